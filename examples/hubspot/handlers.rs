//! The endpoints: what each asks HubSpot, and what it answers Talkdesk.
//!
//! Every handler starts with [`HubSpot::session`], which refuses an `auth.access_token` that cannot be a token
//! (`400`) before anything is sent. From there, a HubSpot `401` (the token expired or was revoked) is the bridge's
//! `401`, and Talkdesk refreshes the token and repeats the request; nothing else is ever a `401` (a scope the
//! token lacks is a `400` naming it, HubSpot failing a `502`, HubSpot slow a `504`).
//!
//! Contacts come from the search API, a new query windowed on `lastmodifieddate` for every page: see
//! [`window`](super::window) for why and how nothing is lost past HubSpot's 10,000 results per query.

use super::hubspot::{
    field_error, ContactAssociations, Credentials, Filter, FilterGroup, HubSpot, NewAssociation, NewObject, Object,
    Search, Session, SCOPES,
};
use super::mapping::{self, Kind, CONTACT_PROPERTIES, KINDS};
use super::window::{self, Modified};
use bridge::http::try_join_all_at_most;
use bridge::sync::{More, Window};
use bridge::{
    ActionMeta, ActionOutcome, AgentPage, AgentSyncMeta, Auth, ContactPage, ContactSyncMeta, Data, Error, ErrorKind,
    FieldError, Interaction, InteractionData, InteractionMeta, State, TalkdeskDate,
};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

/// HubSpot's association type ids: a note, a task → its contact.
const NOTE_TO_CONTACT: u32 = 202;
const TASK_TO_CONTACT: u32 = 204;
/// How many associations of a kind are listed when the contact came with only HubSpot's first 100 of them (one
/// call: HubSpot's most per page), and how many of a kind's records are read (one batch read: HubSpot's most per
/// batch): the newest, HubSpot's ids growing with time.
const ASSOCIATIONS_LISTED: u32 = 500;
const RECORDS_READ: usize = 100;
/// How many emails, then phone numbers, of a contact are looked up before giving up.
const MAX_LOOKUPS: usize = 3;
/// The contacts one lookup's search reads (HubSpot's most per page): the contact of the first email or phone
/// number is among them unless more than this many contacts share the request's emails and numbers.
const LOOKUP_RESULTS: u32 = 200;
/// The most batch reads of one request in flight at once: one per interaction kind, six. HubSpot counts an OAuth
/// app's calls per account over ten seconds (100), not per second, outside its search API (about five a second,
/// which a lookup calls once, before any read); six reads at once cost that window what six reads one after
/// another do, and the agent waits for one round trip instead of six.
const READS_AT_ONCE: usize = 6;

/// Checks the token and its scopes with HubSpot's token introspection: `204` when HubSpot knows the token and
/// granted every scope the bridge needs; `401` when HubSpot does not know it (expired, revoked, never issued), so
/// that Talkdesk refreshes it; `401` too, with a message naming each missing scope, for a token HubSpot knows
/// but without the scopes the bridge needs (Talkdesk's auth validation contract is "`204` if the credentials
/// work, `401` otherwise"; the refresh it sets off cannot add a scope, so Talkdesk refuses the activation and the
/// user reinstalls the integration granting them); `502`/`504` when HubSpot fails or is slow. On every other
/// endpoint a missing scope is a `400` naming it, never a `401`: there a refresh and a repeat would fail the same.
#[bridge::auth_validator]
pub async fn validate(Auth(auth): Auth<Credentials>, State(hubspot): State<HubSpot>) -> Result<(), Error> {
    let info = hubspot.session(&auth)?.token_info().await?.ok_or_else(Error::credentials_rejected)?;
    let missing: Vec<String> = SCOPES
        .iter()
        .filter(|(scope, _)| !info.scopes.iter().any(|granted| granted == scope))
        .map(|(scope, what)| format!("`{scope}` (for {what})"))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::CredentialsRejected,
        format!(
            "HubSpot did not grant this token {}; reinstall the integration in HubSpot account {} granting {}",
            missing.join(", "),
            info.hub_id,
            if missing.len() == 1 { "it" } else { "them" }
        ),
    ))
}

/// HubSpot contacts, modified at or after the checkpoint, oldest first, a window of the search API per page (see
/// [`window`](super::window)). `next_offset` is the next window (`<date>` or `<date>+<after>`), `context` the ids
/// already sent at its start, the checkpoint the newest `lastmodifieddate` sent (RFC 3339, milliseconds).
#[bridge::contact_retriever]
pub async fn contacts(
    Auth(auth): Auth<Credentials>,
    meta: ContactSyncMeta,
    State(hubspot): State<HubSpot>,
) -> Result<ContactPage, Error> {
    let session = hubspot.session(&auth)?;
    let lag = i64::try_from(hubspot.search_lag.as_millis()).unwrap_or(i64::MAX);
    let window = Window::open(&meta, |checkpoint| checkpoint.unwrap_or(Modified(0)))?
        .settled(Modified(window::now().0.saturating_sub(lag).max(0)));
    let search = Search {
        filter_groups: vec![FilterGroup {
            filters: vec![Filter::new("lastmodifieddate", "GTE", window.from().0.to_string())],
        }],
        sorts: vec![json!({"propertyName": "lastmodifieddate", "direction": "ASCENDING"})],
        properties: CONTACT_PROPERTIES.to_vec(),
        limit: hubspot.contact_page_size,
        after: window.after().map(str::to_owned),
    };
    let page = session.search_contacts(&search).await?;
    let keys = page
        .results
        .iter()
        .enumerate()
        .map(|(n, contact)| {
            let text = contact.property("lastmodifieddate").unwrap_or(&contact.updated_at);
            let modified = mapping::millis(text).ok_or_else(|| {
                Error::upstream(format!("HubSpot sent an unreadable results[{n}].properties.lastmodifieddate"))
            })?;
            Ok(Modified(modified))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    if keys.windows(2).any(|pair| pair[1] < pair[0]) {
        // Moving the window past contacts not yet sent would lose them: better fail loudly.
        return Err(Error::upstream("HubSpot's contact search did not sort by lastmodifieddate, as asked"));
    }
    let more = match page.next_after() {
        Some(after) => More::Cursor(after.to_owned()),
        None => More::No,
    };
    let records: Vec<_> = page.results.iter().zip(keys).collect();
    let step = window.step(records, |(contact, modified)| (*modified, contact.id.clone()), more)?;
    Ok(step.contact_page(|(contact, _)| mapping::contact(contact)))
}

/// The contact's notes, tasks, calls, emails, meetings and tickets, each kind only when requested, newest first
/// (at most [`interaction_limit`](super::Config::interaction_limit) of each). The contact is found by
/// `contact_external_id` (the HubSpot id contacts are synced with), else by the first email, else the first phone
/// or mobile phone number HubSpot finds. A contact HubSpot does not know has no interactions; when there is
/// nothing to look up, the token is still checked, so that a dead one is a `401` here as everywhere.
///
/// What it costs HubSpot, the calls one after another (round trips) first:
///
/// 1. by email or phone, **one search** for every email and phone number at once (`IN`);
/// 2. the contact **with its associations** of every requested kind, in one call;
/// 3. **one batch read per kind** that has records, all at once (at most [`READS_AT_ONCE`]).
///
/// By id: 2 round trips, at most 7 calls; by email or phone: 3 round trips, at most 8 calls. A contact with more
/// than 100 records of one kind (HubSpot's page of associations) costs one more call, and round trip, for that
/// kind: its associations are listed whole (up to 500, as before), so that the newest are read.
// Cached for 30 s: a lookup is 7 calls of an account's 100 per 10 s.
#[bridge::interaction_retriever(cache = "30s")]
pub async fn interactions(
    Auth(auth): Auth<Credentials>,
    meta: InteractionMeta,
    data: InteractionData,
    State(hubspot): State<HubSpot>,
) -> Result<Vec<Interaction>, Error> {
    let session = hubspot.session(&auth)?;
    let kinds: Vec<&Kind> = KINDS.iter().filter(|kind| meta.wants(kind.interaction_type)).collect();
    let contact = match kinds.is_empty() {
        true => Lookup::NothingToAsk,
        false => find_contact(&session, &data).await?,
    };
    let id = match contact {
        Lookup::Found(id) => id,
        Lookup::Unknown => return Ok(Vec::new()),
        Lookup::NothingToAsk => {
            session.token_info().await?.ok_or_else(Error::credentials_rejected)?;
            return Ok(Vec::new());
        }
    };
    let object_types: Vec<&str> = kinds.iter().map(|kind| kind.object_type).collect();
    let Some(contact) = session.contact_associations(&id, &object_types).await? else {
        return Ok(Vec::new()); // no such contact: nothing associated
    };
    let limit = hubspot.interaction_limit;
    let reads: Vec<_> = kinds.into_iter().map(|kind| interactions_of(&session, &contact, &id, kind, limit)).collect();
    // In this task, so that every call keeps the request's deadline and is accounted to it.
    let per_kind = try_join_all_at_most(READS_AT_ONCE, reads).await?;
    let mut all: Vec<Interaction> = per_kind.into_iter().flatten().collect();
    all.sort_by_key(|interaction| std::cmp::Reverse(interaction.date));
    Ok(all)
}

/// The newest `limit` records of `kind` associated with `contact` (whose id is `id`), as interactions: one batch
/// read, after listing the associations whole when the contact's page of them was not.
async fn interactions_of(
    session: &Session,
    contact: &ContactAssociations,
    id: &str,
    kind: &Kind,
    limit: usize,
) -> Result<Vec<Interaction>, Error> {
    let mut ids = match contact.of(kind.object_type) {
        None => return Ok(Vec::new()),
        Some(associated) if associated.complete() => associated.ids(),
        Some(_) => session.associated(id, kind.object_type, ASSOCIATIONS_LISTED).await?,
    };
    ids.sort_by_key(|id| std::cmp::Reverse((id.len(), id.clone()))); // numeric order, newest first
    ids.truncate(RECORDS_READ);
    let records = session.read_batch(kind.object_type, &ids, kind.properties).await?;
    let mut these =
        records.iter().map(|record| mapping::interaction(kind, record)).collect::<Result<Vec<_>, Error>>()?;
    these.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| b.id.cmp(&a.id)));
    these.truncate(limit);
    Ok(these)
}

/// What looking a contact up in HubSpot gave.
enum Lookup {
    /// The HubSpot id of the contact.
    Found(String),
    /// HubSpot knows no such contact.
    Unknown,
    /// The request carries nothing to look up: HubSpot was not asked.
    NothingToAsk,
}

/// The contact by `contact_external_id`, without a call; else one search for the first [`MAX_LOOKUPS`] emails and
/// phone numbers at once, the contact of the first email that found one winning, then of the first phone number
/// (as `phone` or `mobilephone`), as if each had been searched in turn.
async fn find_contact(session: &Session, data: &InteractionData) -> Result<Lookup, Error> {
    // Contacts synced through this bridge carry their HubSpot id; an id from elsewhere is not a number.
    if let Some(id) = data.contact_external_id.as_deref().map(str::trim).filter(|id| is_hubspot_id(id)) {
        return Ok(Lookup::Found(id.to_owned()));
    }
    let emails: Vec<String> = data
        .contact_emails
        .iter()
        .map(|e| e.trim())
        .filter(|e| e.contains('@'))
        .take(MAX_LOOKUPS)
        .map(str::to_owned)
        .collect();
    let phones: Vec<String> = data
        .contact_phones
        .iter()
        .map(|p| p.trim())
        .filter(|p| p.chars().any(|c| c.is_ascii_digit()))
        .take(MAX_LOOKUPS)
        .map(str::to_owned)
        .collect();
    if emails.is_empty() && phones.is_empty() {
        return Ok(Lookup::NothingToAsk);
    }
    let mut groups = Vec::new();
    if !emails.is_empty() {
        groups.push(FilterGroup { filters: vec![Filter::any_of("email", &emails)] });
    }
    if !phones.is_empty() {
        groups.push(FilterGroup { filters: vec![Filter::any_of("phone", &phones)] });
        groups.push(FilterGroup { filters: vec![Filter::any_of("mobilephone", &phones)] });
    }
    let search = Search {
        filter_groups: groups,
        sorts: Vec::new(),
        properties: vec!["hs_object_id", "email", "phone", "mobilephone"],
        limit: LOOKUP_RESULTS,
        after: None,
    };
    let found = session.search_contacts(&search).await?.results;
    let has = |contact: &&Object, property: &str, value: &str| {
        contact.property(property).is_some_and(|known| known.eq_ignore_ascii_case(value))
    };
    let by_email = emails.iter().find_map(|email| found.iter().find(|c| has(c, "email", email)));
    let by_phone = || {
        phones.iter().find_map(|phone| found.iter().find(|c| has(c, "phone", phone) || has(c, "mobilephone", phone)))
    };
    // HubSpot may match a value written otherwise (a phone number's punctuation): its first result then.
    let contact = by_email.or_else(by_phone).or(found.first());
    Ok(contact.map_or(Lookup::Unknown, |contact| Lookup::Found(contact.id.clone())))
}

fn is_hubspot_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit())
}

/// The inputs of the `create_task` action, as its generated configuration lists them.
#[derive(Debug, Deserialize, bridge::ActionInputs)]
pub struct TaskInputs {
    #[bridge(name = "Task title")]
    pub subject: String,
    #[bridge(name = "Task notes")]
    #[serde(default)]
    pub body: Option<String>,
    /// When the task is due: `2024-06-04 09:00:00 UTC` or RFC 3339; a day from now when absent.
    #[bridge(name = "Due date")]
    #[serde(default)]
    pub due: Option<String>,
    /// `low`, `normal` (or `medium`), `high`; `none` or absent for none.
    #[bridge(name = "Task priority")]
    #[serde(default)]
    pub priority: Option<String>,
}

/// Creates a follow-up task on the contact (`meta.contact_external_id`), assigned to the HubSpot owner behind
/// `meta.agent_external_id` (agents are synced as owners), `NOT_STARTED`. `201` with the task's id; `400` with
/// HubSpot's reason when it refuses the task (an unknown owner or contact), or naming the request fields that
/// cannot be used.
#[bridge::action_executor(
    name = "create_task",
    display = "create a follow-up task",
    description = "create a follow-up task on the contact in HubSpot, assigned to the agent",
    dedupe = "10m"
)]
pub async fn create_task(
    Auth(auth): Auth<Credentials>,
    meta: ActionMeta,
    Data(inputs): Data<TaskInputs>,
    State(hubspot): State<HubSpot>,
) -> Result<ActionOutcome, Error> {
    let session = hubspot.session(&auth)?;
    let mut problems = Vec::new();
    let subject = inputs.subject.trim();
    if subject.is_empty() {
        problems.push(FieldError { field: "data.subject".into(), message: "must not be empty".into() });
    }
    let priority = mapping::hubspot_task_priority(inputs.priority.as_deref())
        .map_err(|message| problems.push(FieldError { field: "data.priority".into(), message }))
        .unwrap_or(None);
    let due = match inputs.due.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => Some(TalkdeskDate::now().unix_timestamp() * 1000 + 24 * 3600 * 1000),
        Some(text) => text.parse::<Modified>().ok().map(|due| due.0).or_else(|| {
            let message = "expected a date: 2024-06-04 09:00:00 UTC, or RFC 3339".to_owned();
            problems.push(FieldError { field: "data.due".into(), message });
            None
        }),
    };
    let (contact, owner) = ids_of(&mut problems, &meta);
    if !problems.is_empty() {
        return Err(Error::invalid_fields(problems));
    }
    let mut properties = BTreeMap::from([
        ("hs_task_subject", subject.to_owned()),
        ("hs_task_status", "NOT_STARTED".to_owned()),
        ("hs_task_type", "TODO".to_owned()),
        ("hs_timestamp", mapping::iso_millis(due.unwrap_or_default())),
    ]);
    properties.extend(inputs.body.filter(|b| !b.trim().is_empty()).map(|body| ("hs_task_body", body)));
    properties.extend(priority.map(|p| ("hs_task_priority", p.to_owned())));
    properties.extend(owner.map(|owner| ("hubspot_owner_id", owner)));
    let associations = contact.iter().map(|id| NewAssociation::contact(id, TASK_TO_CONTACT)).collect();
    let task =
        session.create("tasks", &NewObject { properties, associations }).await.map_err(|err| refused("task", err))?;
    Ok(ActionOutcome::message(format!("HubSpot task {} created", task.id)).external_id(task.id))
}

/// The inputs of the `log_note` action.
#[derive(Debug, Deserialize, bridge::ActionInputs)]
pub struct NoteInputs {
    #[bridge(name = "Note")]
    pub body: String,
}

/// Logs a note on the contact (`meta.contact_external_id`), by the owner behind `meta.agent_external_id`, dated
/// now. `201` with the note's id; `400` with HubSpot's reason, or naming the fields that cannot be used.
#[bridge::action_executor(
    name = "log_note",
    display = "log a note",
    description = "log a note on the contact's HubSpot timeline",
    dedupe = "10m"
)]
pub async fn log_note(
    Auth(auth): Auth<Credentials>,
    meta: ActionMeta,
    Data(inputs): Data<NoteInputs>,
    State(hubspot): State<HubSpot>,
) -> Result<ActionOutcome, Error> {
    let session = hubspot.session(&auth)?;
    let mut problems = Vec::new();
    if inputs.body.trim().is_empty() {
        problems.push(FieldError { field: "data.body".into(), message: "must not be empty".into() });
    }
    let (contact, owner) = ids_of(&mut problems, &meta);
    if !problems.is_empty() {
        return Err(Error::invalid_fields(problems));
    }
    let mut properties = BTreeMap::from([
        ("hs_note_body", inputs.body),
        ("hs_timestamp", mapping::iso_millis(TalkdeskDate::now().unix_timestamp() * 1000)),
    ]);
    properties.extend(owner.map(|owner| ("hubspot_owner_id", owner)));
    let associations = contact.iter().map(|id| NewAssociation::contact(id, NOTE_TO_CONTACT)).collect();
    let note =
        session.create("notes", &NewObject { properties, associations }).await.map_err(|err| refused("note", err))?;
    Ok(ActionOutcome::message(format!("HubSpot note {} logged", note.id)).external_id(note.id))
}

/// `HubSpot refused it: …` as `HubSpot refused the task: …`.
fn refused(what: &str, err: Error) -> Error {
    match err.message().strip_prefix("HubSpot refused it: ") {
        Some(reason) => Error::action_failed(format!("HubSpot refused the {what}: {reason}")),
        None => err,
    }
}

/// The contact and owner ids of an action's `meta` (each optional), or a problem with the field.
fn ids_of(problems: &mut Vec<FieldError>, meta: &ActionMeta) -> (Option<String>, Option<String>) {
    let mut id = |field: &str, value: Option<&str>, what: &str| {
        let value = value.map(str::trim).filter(|v| !v.is_empty())?;
        if is_hubspot_id(value) {
            return Some(value.to_owned());
        }
        let message = format!("expected a HubSpot {what} id (a number), as this bridge synchronizes them");
        problems.push(FieldError { field: field.to_owned(), message });
        None
    };
    let contact = id("meta.contact_external_id", meta.contact_external_id.as_deref(), "contact");
    let owner = id("meta.agent_external_id", meta.agent_external_id.as_deref(), "owner");
    (contact, owner)
}

/// HubSpot owners (people, not queues; archived ones left out), a page at a time. Talkdesk sends an agent
/// sync's offset back as an integer, and HubSpot's owner cursor is an opaque string, so `next_offset` is a position
/// among HubSpot's owners: a page reads HubSpot's owners from the start in calls of
/// [`owners_per_call`](super::Config::owners_per_call) (500, HubSpot's most) until it reaches that position, one
/// call for an account's first 500 owners.
#[bridge::agent_retriever]
pub async fn agents(
    Auth(auth): Auth<Credentials>,
    meta: AgentSyncMeta,
    State(hubspot): State<HubSpot>,
) -> Result<AgentPage, Error> {
    let session = hubspot.session(&auth)?;
    let offset = match meta.offset.as_deref().map(str::trim) {
        None | Some("") => 0,
        Some(text) => text
            .parse::<usize>()
            .map_err(|_| field_error("meta.offset", "expected the next_offset this bridge answered (a number)"))?,
    };
    let size = hubspot.agent_page_size as usize;
    let mut owners = Vec::new();
    let mut after: Option<String> = None;
    let more = loop {
        let page = session.owners(after.as_deref(), hubspot.owners_per_call).await?;
        owners.extend(page.results);
        let next = page.paging.and_then(|p| p.next).map(|n| n.after).filter(|a| !a.is_empty());
        if next.is_some() && next == after {
            return Err(Error::upstream("HubSpot's owner list did not move past its cursor"));
        }
        after = next;
        if after.is_none() || owners.len() > offset + size {
            break after.is_some() || owners.len() > offset + size;
        }
    };
    let page = owners.iter().skip(offset).take(size).filter_map(mapping::agent).collect();
    let mut answer = AgentPage::new(page);
    if more {
        answer = answer.next_offset((offset + size).to_string());
    }
    Ok(answer)
}
