//! Types may be written with paths or through aliases: `bridge::Auth<…>`, `std::result::Result`, a `Result<T>`
//! alias of the crate's own, an alias of the whole return type, an alias named `Auth` (roles are told by the
//! type's last name). Doc comments and other attributes on the function are kept, and the macro may be imported
//! by name.
#![deny(warnings)]

use bridge::action_executor;

type Result<T> = std::result::Result<T, bridge::Error>;
type Answer = std::result::Result<bridge::ContactPage, bridge::Error>;
type Auth = bridge::Auth<String>;

#[bridge::auth_validator]
async fn validate(_auth: bridge::Auth<String>, _state: ::bridge::State<u8>) -> std::result::Result<(), bridge::Error> {
    Ok(())
}

#[bridge::agent_retriever]
async fn agents(_auth: bridge::Auth<String>, _meta: bridge::AgentSyncMeta) -> Result<bridge::AgentPage> {
    Ok(bridge::AgentPage::new(Vec::new()))
}

#[bridge::contact_retriever]
async fn contacts(_auth: Auth) -> Answer {
    Ok(bridge::ContactPage::new(Vec::new(), "0"))
}

/// Says pong.
#[action_executor(name = "ping")]
#[allow(clippy::unused_async)]
#[inline]
async fn ping(_auth: Auth) -> Result<bridge::ActionOutcome> {
    Ok(bridge::ActionOutcome::message("pong"))
}

#[test]
fn compiles_and_runs() {
    let bridge = bridge::Bridge::new()
        .state(0u8)
        .endpoint(validate {})
        .endpoint(agents {})
        .endpoint(contacts {})
        .endpoint(ping {});
    assert!(bridge.into_service().is_ok());
}
