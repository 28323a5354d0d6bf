//! The five endpoints over the database. Every handler takes a [`Caller`]: the agent whose credentials came with
//! the request, checked against the `agents` table before the handler runs (the database is the external service
//! here: a wrong API key is its refusal, a `401`). Then each runs its queries through [`Db::call`].

use super::db::Db;
use bridge::sync::Paged;
use bridge::{
    ActionMeta, ActionOutcome, Agent, AgentPage, AgentSyncMeta, Contact, ContactPage, ContactSyncMeta, Data, Error,
    FromRequest, Interaction, InteractionData, InteractionMeta, Priority, RequestParts, Secret, Status, TalkdeskDate,
};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Deserialize;

/// Customers per page of contact synchronization.
pub const CONTACT_PAGE_SIZE: u32 = 100;
/// Agents per page of agent synchronization.
pub const AGENT_PAGE_SIZE: u32 = 100;
/// The most recent cases shown for a contact.
pub const CASE_LIMIT: u32 = 25;

/// What Talkdesk asks the user for, and sends in every request's `auth`.
#[derive(Debug, Deserialize, bridge::AuthFields)]
pub struct Credentials {
    /// Agent email
    pub email: String,
    #[bridge(display = "API key", help = "Your API key, from your profile page")]
    pub api_key: Secret,
}

/// The agent these credentials belong to, or a `401`.
fn agent_of(connection: &Connection, credentials: &Credentials) -> rusqlite::Result<Option<i64>> {
    connection
        .query_row(
            "SELECT id FROM agents WHERE email = ?1 COLLATE NOCASE AND api_key = ?2",
            (&credentials.email, credentials.api_key.expose()),
            |row| row.get(0),
        )
        .optional()
}

/// The agent the request's credentials belong to, and the database: what every handler starts from.
pub struct Caller {
    /// The agent's id in `agents`.
    pub agent: i64,
    /// The database.
    pub db: Db,
}

impl FromRequest for Caller {
    /// A `400` naming `auth.api_key` when the credentials do not fit [`Credentials`], a `401` when they belong to
    /// no agent; the handler runs only for an agent.
    async fn from_request(request: &RequestParts) -> Result<Self, Error> {
        let credentials: Credentials = request.auth()?;
        let db: Db = request.state()?;
        match db.call(move |c| agent_of(c, &credentials)).await? {
            Some(agent) => Ok(Caller { agent, db }),
            None => Err(Error::credentials_rejected()),
        }
    }
}

#[bridge::auth_validator]
pub async fn validate(_caller: Caller) -> Result<(), Error> {
    Ok(()) // the credentials are an agent's: building the `Caller` checked them
}

/// Customers in `revision` order, `CONTACT_PAGE_SIZE` a page. The offset and the checkpoint are both revisions:
/// a page is "the customers after this revision", so a customer changed during the sync moves to the end of it
/// and is sent there, and nothing is skipped or sent twice between pages. Every page answers the revision of its
/// last customer as the checkpoint (the revision the sync started from when the page is empty), so the
/// checkpoint never moves backwards and the next sync starts exactly after what this one sent.
#[bridge::contact_retriever]
pub async fn contacts(caller: Caller, meta: ContactSyncMeta) -> Result<ContactPage, Error> {
    // Both are revisions this bridge wrote (a `400` naming the field otherwise): a later page starts after its
    // offset, a first page after the checkpoint (after 0 on an initial sync).
    let Revision(after) = match meta.offset_as::<Revision>()? {
        Some(offset) => offset,
        None => meta.checkpoint_as::<Revision>()?.unwrap_or(Revision(0)),
    };
    let page = caller
        .db
        .call(move |c| {
            let mut statement = c.prepare_cached(
                "SELECT id, name, email, phone, company, revision FROM customers WHERE revision > ?1 \
                 ORDER BY revision LIMIT ?2",
            )?;
            let rows = statement
                .query_map(params![after, i64::from(CONTACT_PAGE_SIZE) + 1], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, i64>(5)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Paged::new(rows, CONTACT_PAGE_SIZE as usize))
        })
        .await?;
    let last = page.items.last().map_or(after, |row| row.5);
    let next_offset = page.next_offset(|row| row.5);
    let contacts = page
        .items
        .into_iter()
        .map(|(id, name, email, phone, company, _)| {
            let mut contact = Contact::new(id.to_string(), name);
            if let Some(email) = email {
                contact = contact.email(email);
            }
            if let Some(phone) = phone {
                contact = contact.phone(phone);
            }
            if let Some(company) = company {
                contact = contact.company(company);
            }
            contact
        })
        .collect();
    let answer = ContactPage::new(contacts, last.to_string());
    Ok(match next_offset {
        Some(offset) => answer.next_offset(offset),
        None => answer,
    })
}

/// A revision (or an agent id) this bridge wrote: a whole number, at least 0.
struct Revision(i64);

impl std::str::FromStr for Revision {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, ()> {
        text.parse::<i64>().ok().filter(|n| *n >= 0).map(Revision).ok_or(())
    }
}

/// The contact's cases, newest first: found by `contact_external_id`, else by email, else by phone.
#[bridge::interaction_retriever]
pub async fn interactions(
    caller: Caller,
    meta: InteractionMeta,
    data: InteractionData,
) -> Result<Vec<Interaction>, Error> {
    if !meta.wants("case") {
        return Ok(Vec::new()); // the only type this bridge has
    }
    let rows = caller
        .db
        .call(move |c| {
            let Some(customer) = find_customer(c, &data)? else { return Ok(Vec::new()) };
            let mut statement = c.prepare_cached(
                "SELECT id, subject, description, status, priority, created_at FROM cases WHERE customer_id = ?1 \
                 ORDER BY created_at DESC, id DESC LIMIT ?2",
            )?;
            let rows = statement.query_map(params![customer, CASE_LIMIT], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, i64>(5)?,
                ))
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })
        .await?;
    rows.into_iter()
        .map(|(id, subject, description, status, priority, created_at)| {
            let date = TalkdeskDate::from_unix_timestamp(created_at)
                .ok_or_else(|| Error::internal(format!("case {id} has an impossible creation time")))?;
            let mut interaction = Interaction::new(id.to_string(), "case", subject, date)
                .status(status_of(&status))
                .priority(priority_of(priority.as_deref()));
            if let Some(description) = description {
                interaction = interaction.description(description);
            }
            Ok(interaction)
        })
        .collect()
}

/// The customer Talkdesk means: by id when it sent one (and it exists), else by its first email that matches,
/// else by its first phone that does.
fn find_customer(c: &Connection, data: &InteractionData) -> rusqlite::Result<Option<i64>> {
    if let Some(id) = data.contact_external_id.as_deref().and_then(|id| id.trim().parse::<i64>().ok()) {
        let found = c.query_row("SELECT id FROM customers WHERE id = ?1", [id], |r| r.get(0)).optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    for email in &data.contact_emails {
        let found = c
            .query_row("SELECT id FROM customers WHERE email = ?1 COLLATE NOCASE ORDER BY id", [email], |r| r.get(0))
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    for phone in &data.contact_phones {
        let found =
            c.query_row("SELECT id FROM customers WHERE phone = ?1 ORDER BY id", [phone], |r| r.get(0)).optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

fn status_of(status: &str) -> Status {
    match status {
        "open" => Status::Open,
        "pending" => Status::Pending,
        "solved" => Status::Solved,
        "closed" => Status::Closed,
        _ => Status::New,
    }
}

fn priority_of(priority: Option<&str>) -> Priority {
    match priority {
        Some("low") => Priority::Low,
        Some("normal") => Priority::Normal,
        Some("high") => Priority::High,
        Some("urgent") => Priority::Urgent,
        _ => Priority::None,
    }
}

/// The inputs of `create_case`.
#[derive(Debug, Deserialize, bridge::ActionInputs)]
pub struct NewCase {
    #[bridge(name = "Case subject")]
    pub subject: String,
    #[bridge(name = "Case description")]
    pub description: String,
    #[bridge(name = "Priority")]
    #[serde(default)]
    pub priority: Option<Priority>,
}

/// open a case for the contact
#[bridge::action_executor(name = "create_case", display = "create a case")]
pub async fn create_case(caller: Caller, meta: ActionMeta, Data(case): Data<NewCase>) -> Result<ActionOutcome, Error> {
    let Some(customer) = meta.contact_external_id.as_deref().map(str::trim).filter(|id| !id.is_empty()) else {
        return Err(Error::invalid_field(
            "meta.contact_external_id",
            "a case is opened for a contact: run the action on a synchronized contact",
        ));
    };
    let Ok(customer) = customer.parse::<i64>() else {
        return Err(Error::action_failed(format!("there is no customer {customer}")));
    };
    let priority = match case.priority {
        None | Some(Priority::None) => None,
        Some(Priority::Low) => Some("low"),
        Some(Priority::Normal) => Some("normal"),
        Some(Priority::High) => Some("high"),
        Some(Priority::Urgent) => Some("urgent"),
    };
    let agent = meta.agent_external_id.and_then(|id| id.trim().parse::<i64>().ok());
    let Caller { agent: caller, db } = caller;
    let created = db
        .call(move |c| {
            let tx = c.transaction()?;
            if tx.query_row("SELECT 1 FROM customers WHERE id = ?1", [customer], |_| Ok(())).optional()?.is_none() {
                return Ok(None);
            }
            // The agent who ran the action when Talkdesk knows them, else the one whose credentials these are.
            let assignee = match agent {
                Some(id) => tx
                    .query_row("SELECT id FROM agents WHERE id = ?1", [id], |r| r.get(0))
                    .optional()?
                    .unwrap_or(caller),
                None => caller,
            };
            tx.execute(
                "INSERT INTO cases (customer_id, agent_id, subject, description, priority) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![customer, assignee, case.subject, case.description, priority],
            )?;
            let id = tx.last_insert_rowid();
            tx.commit()?;
            Ok(Some(id))
        })
        .await?;
    match created {
        Some(id) => Ok(ActionOutcome::message(format!("Case {id} created")).external_id(id.to_string())),
        None => Err(Error::action_failed(format!("there is no customer {customer}"))),
    }
}

/// Agents in id order, `AGENT_PAGE_SIZE` a page; `next_offset` is the last id sent.
#[bridge::agent_retriever]
pub async fn agents(caller: Caller, meta: AgentSyncMeta) -> Result<AgentPage, Error> {
    let Revision(after) = meta.offset_as::<Revision>()?.unwrap_or(Revision(0));
    let page = caller
        .db
        .call(move |c| {
            let mut statement =
                c.prepare_cached("SELECT id, name, email FROM agents WHERE id > ?1 ORDER BY id LIMIT ?2")?;
            let rows = statement
                .query_map(params![after, i64::from(AGENT_PAGE_SIZE) + 1], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Paged::new(rows, AGENT_PAGE_SIZE as usize))
        })
        .await?;
    let next_offset = page.next_offset(|agent| agent.0);
    let answer = AgentPage::new(
        page.items.into_iter().map(|(id, name, email)| Agent::new(id.to_string(), name, email)).collect(),
    );
    Ok(match next_offset {
        Some(offset) => answer.next_offset(offset),
        None => answer,
    })
}
