//! `path = "…"` overrides the default path, for actions too (whose name stays the action's).
#![deny(warnings)]

use bridge::{ActionOutcome, Auth, Bridge, ContactPage, Error};

#[bridge::contact_retriever(path = "/v2/contacts")]
async fn contacts(_auth: Auth<String>) -> Result<ContactPage, Error> {
    Ok(ContactPage::new(Vec::new(), "0"))
}

#[bridge::action_executor(name = "create-ticket", path = "/tickets/new")]
async fn create_ticket(_auth: Auth<String>) -> Result<ActionOutcome, Error> {
    Ok(ActionOutcome::message("created"))
}

#[bridge::action_executor(path = "/ping", name = "ping")]
async fn ping(_auth: Auth<String>) -> Result<ActionOutcome, Error> {
    Ok(ActionOutcome::message("pong"))
}

#[test]
fn compiles_and_runs() {
    let bridge = Bridge::new().endpoint(contacts {}).endpoint(create_ticket {}).endpoint(ping {});
    let infos: Vec<_> = bridge.endpoints().map(|info| (info.path, info.action)).collect();
    assert_eq!(infos, [("/v2/contacts", None), ("/tickets/new", Some("create-ticket")), ("/ping", Some("ping"))]);
    assert!(bridge.into_service().is_ok());
}
