//! One endpoint of each kind, with their usual parameters, mounted on one bridge that builds.
#![deny(warnings)]

use bridge::{
    ActionMeta, ActionOutcome, AgentPage, AgentSyncMeta, Auth, Bridge, ContactPage, ContactSyncMeta, Data, Error,
    Interaction, InteractionData, InteractionMeta, State,
};
use serde::Deserialize;

#[derive(Deserialize)]
struct Creds {
    token: String,
}

#[derive(Deserialize, bridge::ActionInputs)]
struct Ticket {
    #[bridge(name = "Ticket subject")]
    subject: String,
}

#[derive(Clone)]
struct Client;

#[bridge::auth_validator]
async fn validate(Auth(creds): Auth<Creds>, _client: State<Client>) -> Result<(), Error> {
    if creds.token.is_empty() {
        Err(Error::credentials_rejected())
    } else {
        Ok(())
    }
}

#[bridge::contact_retriever]
async fn contacts(_auth: Auth<Creds>, _meta: ContactSyncMeta, _client: State<Client>) -> Result<ContactPage, Error> {
    Ok(ContactPage::new(Vec::new(), "0"))
}

#[bridge::interaction_retriever]
async fn history(
    _auth: Auth<Creds>,
    _meta: InteractionMeta,
    _data: InteractionData,
    _client: State<Client>,
) -> Result<Vec<Interaction>, Error> {
    Ok(Vec::new())
}

#[bridge::action_executor(name = "create_ticket")]
async fn create_ticket(
    _auth: Auth<Creds>,
    _meta: ActionMeta,
    Data(ticket): Data<Ticket>,
    _client: State<Client>,
) -> Result<ActionOutcome, Error> {
    Ok(ActionOutcome::message(ticket.subject))
}

#[bridge::agent_retriever]
async fn agents(_auth: Auth<Creds>, _meta: AgentSyncMeta, _client: State<Client>) -> Result<AgentPage, Error> {
    Ok(AgentPage::new(Vec::new()))
}

#[test]
fn compiles_and_runs() {
    let bridge = Bridge::new()
        .state(Client)
        .endpoint(validate {})
        .endpoint(contacts {})
        .endpoint(history {})
        .endpoint(create_ticket {})
        .endpoint(agents {});
    let paths: Vec<_> = bridge.endpoints().map(|info| info.path).collect();
    assert_eq!(
        paths,
        ["/auth_validation", "/contact_sync", "/interaction_update", "/actions/create_ticket", "/agent_sync"]
    );
    assert!(bridge.into_service().is_ok());
}
