//! The configuration derives and the action executor's description, in every accepted form, generating documents
//! that a bridge serves.
#![deny(warnings)]

use bridge::configuration::{ActionInputs, AuthFields, Integration};
use bridge::{ActionOutcome, Auth, Bridge, Data, Error, Secret};
use serde::Deserialize;

/// Every key, a doc comment as the label, serde's names, optional fields, a skipped one, a raw identifier.
#[derive(Debug, Deserialize, bridge::AuthFields)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    #[bridge(display = "Account", format = "https://{{account}}.example.com", help = "Your subdomain", store = true)]
    pub account: String,
    /// Agent Email
    pub agent_email: String,
    /// API Token.
    #[serde(rename = "token")]
    pub api_token: Secret,
    #[bridge(display = "Code", store = false)]
    pub code: Option<String>,
    /// Type
    #[serde(default)]
    pub r#type: String,
    #[serde(skip)]
    pub cache: Vec<u8>,
}

/// Generics and a where clause.
#[derive(Deserialize, bridge::ActionInputs)]
pub struct Ticket<T>
where
    T: Default,
{
    #[bridge(name = "Ticket subject")]
    pub subject: String,
    /// Ticket description
    ///
    /// (Only the first paragraph is the name.)
    pub description: String,
    #[bridge(name = "Priority")]
    #[serde(default)]
    pub priority: T,
}

/// `Data<T>` through an alias (roles are told by the type's last name).
mod aliased {
    pub type Data = bridge::Data<super::Ticket<Option<String>>>;
}

/// create a new ticket in the service
#[bridge::action_executor(name = "create_ticket", display = "create a ticket")]
async fn create_ticket(Auth(creds): Auth<Credentials>, Data(ticket): aliased::Data) -> Result<ActionOutcome, Error> {
    let _ = (creds.account, creds.agent_email, creds.api_token, creds.code, creds.r#type, creds.cache);
    Ok(ActionOutcome::message(format!("{} {} {:?}", ticket.subject, ticket.description, ticket.priority)))
}

#[bridge::action_executor(name = "ping", display = "ping", description = "ping the service")]
async fn ping(_auth: Auth<Credentials>) -> Result<ActionOutcome, Error> {
    Ok(ActionOutcome::message("pong"))
}

#[test]
fn compiles_and_runs() {
    assert_eq!(Credentials::auth_fields().len(), 5);
    assert_eq!(<Ticket<u8>>::action_inputs().len(), 3);
    let bridge = Bridge::new().endpoint(create_ticket {}).endpoint(ping {}).integration(
        Integration::new("service", "Service")
            .description("A service")
            .logo_url("https://example.com/logo.png")
            .icon_url("https://example.com/icon.png")
            .custom_auth_of::<Credentials>(),
    );
    let documents = bridge.configuration("https://bridge.example.com").unwrap();
    let fields = &documents.integration["authentication_configuration"];
    assert_eq!(fields[1]["agentEmail"]["display"], "Agent Email");
    assert_eq!(fields[2]["token"]["display"], "API Token");
    assert_eq!(fields[3]["code"]["mandatory"], false);
    assert_eq!(fields[4]["type"]["mandatory"], false);
    let create = &documents.actions[0];
    assert_eq!(create["description"], "create a new ticket in the service");
    assert_eq!(create["inputs"][1]["name"], "Ticket description");
    assert_eq!(create["inputs"][2]["mandatory"], false);
    assert_eq!(documents.actions[1]["inputs"], serde_json::json!([]));
    assert!(bridge.into_service().is_ok());
}
