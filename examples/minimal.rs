//! A complete bridge in one file: all five endpoints over an in-memory "external service".
//!
//! Run it with `cargo run --example minimal`, then, for instance:
//!
//! ```text
//! curl -s localhost:3000/interaction_update -H 'content-type: application/json' -d '{
//!   "auth": {"username": "john.doe@example.com", "password": "605b32dd"},
//!   "meta": {"interaction_types": ["case", "note"]},
//!   "data": {"contact_external_id": "1"}}'
//! ```
//!
//! The credentials that work are the ones of Talkdesk's documentation examples (`john.doe@example.com` /
//! `605b32dd`); anything else is answered `401`, as a real external service would.

use bridge::configuration::Integration;
use bridge::{
    ActionMeta, ActionOutcome, Agent, AgentPage, AgentSyncMeta, Auth, Bridge, Contact, ContactPage, ContactSyncMeta,
    Data, Error, FieldError, Interaction, InteractionData, InteractionMeta, Priority, Secret, State, Status,
    TalkdeskDate,
};
use serde::Deserialize;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

/// The fields Talkdesk sends in `auth`, as this integration declares them.
#[derive(Debug, Deserialize, bridge::AuthFields)]
pub struct Credentials {
    /// Username
    pub username: String,
    /// Password
    pub password: Secret,
}

/// The inputs of the `create_ticket` action.
#[derive(Debug, Deserialize, bridge::ActionInputs)]
pub struct NewTicket {
    #[bridge(name = "Ticket subject")]
    pub subject: String,
    #[bridge(name = "Ticket description")]
    pub description: String,
    #[bridge(name = "Priority")]
    #[serde(default)]
    pub priority: Option<Priority>,
}

/// A contact of the in-memory service, with the time it last changed.
#[derive(Debug, Clone)]
pub struct StoredContact {
    pub contact: Contact,
    pub updated_at: TalkdeskDate,
}

/// The in-memory external service.
#[derive(Debug)]
pub struct Service {
    pub username: String,
    pub password: String,
    /// Sorted by `updated_at`, each one distinct (the service assigns them).
    pub contacts: Vec<StoredContact>,
    pub interactions: Vec<(String, Interaction)>,
    pub agents: Vec<Agent>,
    clock: i64,
}

/// The service as handlers share it.
pub type Store = Arc<Mutex<Service>>;

/// Contacts per page of a contact sync, agents per page of an agent sync.
pub const CONTACT_PAGE: usize = 10;
pub const AGENT_PAGE: usize = 2;

impl Service {
    /// A service with `contacts` sample contacts, two interactions for the first, and three agents.
    pub fn sample(contacts: usize) -> Self {
        let mut service = Service {
            username: "john.doe@example.com".into(),
            password: "605b32dd".into(),
            contacts: Vec::new(),
            interactions: Vec::new(),
            agents: vec![
                Agent::new("341231", "John Doe", "john.doe@unkn.own"),
                Agent::new("341232", "Ann Smith", "ann.smith@unkn.own"),
                Agent::new("341233", "Raj Patel", "raj.patel@unkn.own"),
            ],
            clock: 1_353_456_000, // 2012-11-21 00:00:00 UTC
        };
        for n in 1..=contacts {
            let contact = Contact::new(n.to_string(), format!("Contact {n}"))
                .email(format!("contact{n}@example.com"))
                .phone(format!("+1555000{n:04}"))
                .url(format!("https://service.example.com/contacts/{n}"));
            service.upsert(contact);
        }
        let date = |s: &str| s.parse::<TalkdeskDate>().expect("a valid sample date");
        service.interactions.push((
            "1".into(),
            Interaction::new("23", "case", "A very important matter", date("2012-11-21 17:53:51 UTC"))
                .description("Your order is ready to be shipped")
                .url("https://service.example.com/interactions/23")
                .priority(Priority::High)
                .status(Status::Pending),
        ));
        service
            .interactions
            .push(("1".into(), Interaction::new("24", "note", "Called back", date("2012-11-22 09:00:00 UTC"))));
        service
    }

    /// Adds or changes a contact; it moves to the end, with a new, later `updated_at`.
    pub fn upsert(&mut self, contact: Contact) {
        self.clock += 1;
        self.contacts.retain(|c| c.contact.id != contact.id);
        let updated_at = TalkdeskDate::from_unix_timestamp(self.clock).expect("the clock stays in range");
        self.contacts.push(StoredContact { contact, updated_at });
    }

    fn check(&self, credentials: &Credentials) -> Result<(), Error> {
        if credentials.username == self.username && credentials.password.expose() == self.password {
            Ok(())
        } else {
            Err(Error::credentials_rejected())
        }
    }

    fn find_contact(&self, data: &InteractionData) -> Option<&Contact> {
        let contacts = || self.contacts.iter().map(|c| &c.contact);
        if let Some(id) = &data.contact_external_id {
            return contacts().find(|c| &c.id == id);
        }
        contacts()
            .find(|c| c.emails.iter().any(|e| data.contact_emails.contains(e)))
            .or_else(|| contacts().find(|c| c.phones.iter().any(|p| data.contact_phones.contains(p))))
    }
}

fn field_error(field: &str, message: impl Into<String>) -> Error {
    Error::invalid_fields(vec![FieldError { field: field.into(), message: message.into() }])
}

/// The position an offset names (this service's offsets are positions in a list).
fn parse_offset(offset: Option<&str>) -> Result<usize, Error> {
    offset.map_or(Ok(0), |text| {
        text.parse::<usize>().map_err(|_| field_error("meta.offset", "expected a non-negative integer"))
    })
}

#[bridge::auth_validator]
pub async fn validate(Auth(credentials): Auth<Credentials>, State(store): State<Store>) -> Result<(), Error> {
    store.lock().expect("store lock").check(&credentials)
}

/// Contacts in ascending `updated_at` order; the checkpoint is the `updated_at` of the last contact sent, and the
/// offset the position in the (checkpoint-filtered) list.
#[bridge::contact_retriever]
pub async fn contacts(
    Auth(credentials): Auth<Credentials>,
    meta: ContactSyncMeta,
    State(store): State<Store>,
) -> Result<ContactPage, Error> {
    let service = store.lock().expect("store lock");
    service.check(&credentials)?;
    let since = match meta.situation.checkpoint() {
        None => None,
        Some(text) => Some(
            text.parse::<TalkdeskDate>().map_err(|e| field_error("meta.synchronization_checkpoint", e.to_string()))?,
        ),
    };
    let start = parse_offset(meta.situation.offset())?;
    let changed: Vec<&StoredContact> =
        service.contacts.iter().filter(|c| since.is_none_or(|since| c.updated_at > since)).collect();
    let page: Vec<&StoredContact> = changed.iter().skip(start).take(CONTACT_PAGE).copied().collect();
    let checkpoint = match (page.last(), since) {
        (Some(last), _) => last.updated_at,
        (None, Some(since)) => since,
        (None, None) => TalkdeskDate::from_unix_timestamp(0).expect("the epoch is in range"),
    };
    let mut answer = ContactPage::new(page.iter().map(|c| c.contact.clone()).collect(), checkpoint.to_string());
    if start + page.len() < changed.len() {
        answer = answer.next_offset((start + page.len()).to_string());
    }
    Ok(answer)
}

#[bridge::interaction_retriever]
pub async fn interactions(
    Auth(credentials): Auth<Credentials>,
    meta: InteractionMeta,
    data: InteractionData,
    State(store): State<Store>,
) -> Result<Vec<Interaction>, Error> {
    let service = store.lock().expect("store lock");
    service.check(&credentials)?;
    let Some(contact) = service.find_contact(&data) else {
        return Ok(Vec::new());
    };
    Ok(service
        .interactions
        .iter()
        .filter(|(owner, interaction)| owner == &contact.id && meta.wants(&interaction.kind))
        .map(|(_, interaction)| interaction.clone())
        .collect())
}

#[bridge::action_executor(name = "create_ticket")]
pub async fn create_ticket(
    Auth(credentials): Auth<Credentials>,
    meta: ActionMeta,
    Data(ticket): Data<NewTicket>,
    State(store): State<Store>,
) -> Result<ActionOutcome, Error> {
    let mut service = store.lock().expect("store lock");
    service.check(&credentials)?;
    let Some(contact_id) = meta.contact_external_id else {
        return Err(Error::action_failed("a ticket needs a contact: run this action from a contact"));
    };
    if !service.contacts.iter().any(|c| c.contact.id == contact_id) {
        return Err(Error::action_failed(format!("there is no contact {contact_id} to open a ticket for")));
    }
    let id = (100 + service.interactions.len()).to_string();
    let mut interaction = Interaction::new(&id, "case", &ticket.subject, TalkdeskDate::now())
        .description(&ticket.description)
        .status(Status::New);
    interaction.priority = ticket.priority;
    service.interactions.push((contact_id, interaction));
    Ok(ActionOutcome::message(format!("Ticket #{id} created")).external_id(id))
}

#[bridge::agent_retriever]
pub async fn agents(
    Auth(credentials): Auth<Credentials>,
    meta: AgentSyncMeta,
    State(store): State<Store>,
) -> Result<AgentPage, Error> {
    let service = store.lock().expect("store lock");
    service.check(&credentials)?;
    let start = parse_offset(meta.offset.as_deref())?;
    let page: Vec<Agent> = service.agents.iter().skip(start).take(AGENT_PAGE).cloned().collect();
    let end = start + page.len();
    let mut answer = AgentPage::new(page);
    if end < service.agents.len() {
        answer = answer.next_offset(end.to_string());
    }
    Ok(answer)
}

/// The bridge, with its five endpoints and the service they share.
pub fn bridge(store: Store) -> Bridge {
    Bridge::new()
        .state(store)
        .endpoint(validate {})
        .endpoint(contacts {})
        .endpoint(interactions {})
        .endpoint(create_ticket {})
        .endpoint(agents {})
}

/// What Talkdesk is told about the integration (`cargo run --example minimal -- configuration --public-url URL`).
pub fn integration() -> Integration {
    Integration::new("minimal", "Minimal")
        .description("Tickets and notes from an in-memory service")
        .logo_url("https://example.com/logo.png")
        .icon_url("https://example.com/icon.png")
        .custom_auth_of::<Credentials>()
        .interaction_types(["case", "note"])
}

#[allow(dead_code)] // the integration tests include this file as a module and start the bridge themselves
#[tokio::main]
async fn main() -> ExitCode {
    // Serves on BRIDGE_ADDR (default 127.0.0.1:3000), logging to stderr; `--help` lists the rest.
    bridge::cli!().run(|| bridge(Arc::new(Mutex::new(Service::sample(25)))).integration(integration())).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials(password: &str) -> Auth<Credentials> {
        Auth(Credentials { username: "john.doe@example.com".into(), password: Secret::new(password) })
    }

    fn store() -> State<Store> {
        State(Arc::new(Mutex::new(Service::sample(25))))
    }

    // The annotated functions are plain async functions: call them directly.
    #[tokio::test]
    async fn handlers_are_callable_directly() {
        assert!(validate(credentials("605b32dd"), store()).await.is_ok());
        let err = validate(credentials("wrong"), store()).await.unwrap_err();
        assert_eq!(err.status(), 401);

        let meta: InteractionMeta = serde_json::from_str(r#"{"interaction_types": ["note"]}"#).unwrap();
        let data =
            InteractionData { contact_emails: vec!["contact1@example.com".into()], ..InteractionData::default() };
        let found = interactions(credentials("605b32dd"), meta, data, store()).await.unwrap();
        assert_eq!(found.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["24"]);
    }
}
