//! Parameters come in any order, and every one but the auth is optional, for every kind.
#![deny(warnings)]

use bridge::{
    ActionMeta, ActionOutcome, AgentPage, Auth, Bridge, ContactPage, Data, Error, Interaction, InteractionData,
    InteractionMeta, State,
};

#[derive(serde::Deserialize, bridge::ActionInputs)]
struct Note {
    /// Text
    _text: String,
}

// In any order: state first, auth last.

#[bridge::action_executor(name = "note")]
async fn note(
    _db: State<u32>,
    _text: Data<Note>,
    _meta: ActionMeta,
    _auth: Auth<String>,
) -> Result<ActionOutcome, Error> {
    Ok(ActionOutcome::message("noted"))
}

#[bridge::interaction_retriever]
async fn history(
    _data: InteractionData,
    _auth: Auth<String>,
    _meta: InteractionMeta,
) -> Result<Vec<Interaction>, Error> {
    Ok(Vec::new())
}

// The auth alone.

#[bridge::auth_validator]
async fn validate(_auth: Auth<String>) -> Result<(), Error> {
    Ok(())
}

#[bridge::contact_retriever]
async fn contacts(_auth: Auth<String>) -> Result<ContactPage, Error> {
    Ok(ContactPage::new(Vec::new(), "0"))
}

#[bridge::interaction_retriever(path = "/interactions")]
async fn bare_history(_auth: Auth<String>) -> Result<Vec<Interaction>, Error> {
    Ok(Vec::new())
}

#[bridge::action_executor(name = "ping")]
async fn ping(_auth: Auth<String>) -> Result<ActionOutcome, Error> {
    Ok(ActionOutcome::message("pong"))
}

#[bridge::agent_retriever]
async fn agents(_auth: Auth<String>) -> Result<AgentPage, Error> {
    Ok(AgentPage::new(Vec::new()))
}

#[test]
fn compiles_and_runs() {
    let bridge = Bridge::new()
        .state(1u32)
        .endpoint(note {})
        .endpoint(history {})
        .endpoint(validate {})
        .endpoint(contacts {})
        .endpoint(bare_history {})
        .endpoint(ping {})
        .endpoint(agents {});
    assert!(bridge.into_service().is_ok());
}
