//! Several pieces of shared state, each looked up by type (the same type twice included), and parameters written
//! as patterns: `Auth(creds): Auth<Creds>`, `mut`, struct patterns and `_`.
#![deny(warnings)]

use bridge::{ActionOutcome, Auth, Bridge, ContactPage, Data, Error, State};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Clone)]
struct Client;

#[derive(Clone)]
struct Settings {
    page_size: usize,
}

#[bridge::contact_retriever]
async fn contacts(
    _client: State<Client>,
    _auth: Auth<String>,
    settings: State<Arc<Settings>>,
    State(again): State<Arc<Settings>>,
    State(limit): State<u64>,
) -> Result<ContactPage, Error> {
    assert_eq!((settings.page_size, again.page_size, limit), (10, 10, 3));
    Ok(ContactPage::new(Vec::new(), "0"))
}

#[derive(Deserialize)]
struct Creds {
    user: String,
}

#[derive(Deserialize, bridge::ActionInputs)]
struct Inputs {
    /// Subject
    subject: String,
}

#[bridge::action_executor(name = "create_ticket")]
async fn create_ticket(
    Auth(Creds { user }): Auth<Creds>,
    Data(mut inputs): Data<Inputs>,
    State(prefix): State<&'static str>,
    _: State<u64>,
) -> Result<ActionOutcome, Error> {
    inputs.subject.insert_str(0, prefix);
    Ok(ActionOutcome::message(format!("{user}: {}", inputs.subject)))
}

#[test]
fn compiles_and_runs() {
    let bridge = Bridge::new()
        .state(Client)
        .state(Arc::new(Settings { page_size: 10 }))
        .state(3u64)
        .state("#")
        .endpoint(contacts {})
        .endpoint(create_ticket {});
    assert!(bridge.into_service().is_ok());
}
