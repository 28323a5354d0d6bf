//! The endpoints: what each asks Salesforce, and what it answers Talkdesk. Every value of a request reaches a
//! query through [`soql`](super::soql) only.

use super::mapping::{self, Kind, Stamp, KINDS, PERSON_FIELDS};
use super::salesforce::{field_error, Credentials, QueryResult, Salesforce, Session};
use super::soql::{sosl_term, Id, Soql};
use bridge::http::try_join_all_at_most;
use bridge::sync::{More, Window};
use bridge::{
    ActionMeta, ActionOutcome, AgentPage, AgentSyncMeta, Auth, ContactPage, ContactSyncMeta, Data, Error, ErrorKind,
    FieldError, Interaction, InteractionData, InteractionMeta, State, TalkdeskDate,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// Key prefixes: a Contact's ids start with `003`, a Lead's with `00Q`.
const CONTACT_PREFIX: &str = "003";
const LEAD_PREFIX: &str = "00Q";
/// How many emails, then phone numbers, of a request are looked up.
const MAX_LOOKUPS: usize = 3;
/// What the bridge needs of the org: each object, and whether it creates records of it.
const NEEDS: [(&str, bool, &str); 6] = [
    ("Contact", false, "contacts"),
    ("Lead", false, "leads as contacts"),
    ("Case", true, "cases, and the create_case action"),
    ("Task", true, "tasks, and the log_call action"),
    ("Event", false, "events"),
    ("User", false, "agent synchronization"),
];

/// `204` when Salesforce knows the token and its user may read and create what the bridge needs (one call:
/// describe global); `401` when Salesforce refuses the token, or, naming each missing permission, when the user
/// lacks one (a refresh cannot add it: the admin grants it, and the integration is activated again).
#[bridge::auth_validator]
pub async fn validate(Auth(auth): Auth<Credentials>, State(salesforce): State<Salesforce>) -> Result<(), Error> {
    let session = salesforce.session(&auth).await?;
    let objects = session.objects().await?;
    let missing: Vec<String> = NEEDS
        .iter()
        .filter(|(name, create, _)| {
            !objects.iter().any(|o| o.name == *name && o.queryable && (!create || o.createable))
        })
        .map(|(name, create, what)| format!("{} {name} (for {what})", if *create { "read and create" } else { "read" }))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::CredentialsRejected,
        format!("the Salesforce user of this token may not {}; an admin must grant it", missing.join(", ")),
    ))
}

/// Contacts and Leads changed at or after the checkpoint, oldest `SystemModstamp` first (ties by id), both
/// queried at once for each page and merged; a page larger than a batch follows `nextRecordsUrl`. Records deleted
/// in Salesforce are not in a query's answer, so they are not sent. The checkpoint is the newest `SystemModstamp`
/// sent, never later than the bridge's clock less [`commit_lag`](super::Config::commit_lag) when the sync
/// started: the rule for a database-like source, whose records become visible when they commit, after their stamp.
///
/// Near the end of the org's daily API budget ([`reserve_from_percent`](super::Config::reserve_from_percent)
/// used, as Salesforce's last answer said), a page answers `503` with `Retry-After`, and the rest is kept for
/// interaction lookups.
#[bridge::contact_retriever]
pub async fn contacts(
    Auth(auth): Auth<Credentials>,
    meta: ContactSyncMeta,
    State(salesforce): State<Salesforce>,
) -> Result<ContactPage, Error> {
    let session = salesforce.session(&auth).await?;
    if let Some((used, limit)) = session.usage() {
        if used.saturating_mul(100) >= limit.saturating_mul(salesforce.reserve_from_percent) {
            return Err(Error::retry_later(
                format!(
                    "this Salesforce org has used {used} of its {limit} daily API calls: the rest is kept for \
                     interaction lookups, and contact synchronization waits"
                ),
                salesforce.reserve_retry_after,
            ));
        }
    }
    let lag = i64::try_from(salesforce.commit_lag.as_millis()).unwrap_or(i64::MAX);
    let now = TalkdeskDate::now().unix_timestamp() * 1000;
    let window = Window::open(&meta, |checkpoint| checkpoint.unwrap_or(Stamp(0)))?.settled(Stamp(now - lag));
    let size = salesforce.contact_page_size as usize;
    let limit = (size + window.seen().len() + 1) as u64;
    let query = |object: &'static str| {
        let mut soql = Soql::new("SELECT ").code(PERSON_FIELDS);
        soql = match object {
            "Lead" => soql.code(", Company FROM Lead WHERE IsConverted = false AND "),
            _ => soql.code(", Account.Name FROM Contact WHERE "),
        };
        soql = match window.after().and_then(Id::parse) {
            None => soql.code("SystemModstamp >= ").datetime(window.from().0),
            Some(after) => soql
                .code("(SystemModstamp > ")
                .datetime(window.from().0)
                .code(" OR (SystemModstamp = ")
                .datetime(window.from().0)
                .code(" AND Id > ")
                .id(&after)
                .code("))"),
        };
        soql.code(" ORDER BY SystemModstamp, Id LIMIT ").number(limit)
    };
    let (contacts, leads) = (query("Contact"), query("Lead"));
    let batch = salesforce.query_batch;
    let both =
        try_join_all_at_most(2, [all_of(&session, &contacts, limit, batch), all_of(&session, &leads, limit, batch)])
            .await?;
    let mut records: Vec<(Stamp, String, Map<String, Value>)> = Vec::new();
    for record in both.into_iter().flatten() {
        let stamp = mapping::text(&record, "SystemModstamp").and_then(mapping::millis);
        let id = mapping::text(&record, "Id").map(str::to_owned);
        let (Some(stamp), Some(id)) = (stamp, id) else {
            return Err(Error::upstream("Salesforce sent a record without a readable Id and SystemModstamp"));
        };
        records.push((Stamp(stamp), id, record));
    }
    records.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let unseen = records.iter().filter(|(s, id, _)| !(*s == *window.from() && window.seen().contains(id))).count();
    let more = if unseen > size { More::AfterLastId } else { More::No };
    // Keep the seen ones (the window leaves them out) and a page of the others.
    let mut kept = 0;
    records.retain(|(s, id, _)| {
        let seen = *s == *window.from() && window.seen().contains(id);
        kept += usize::from(!seen);
        seen || kept <= size
    });
    let org = session.org.clone();
    let step = window.step(records, |(stamp, id, _)| (*stamp, id.clone()), more)?;
    let mut page = Vec::with_capacity(step.send.len());
    for (_, _, record) in &step.send {
        let mut record = record.clone();
        if let Some(account) = record.get("Account").and_then(|a| a.get("Name")).cloned() {
            record.insert("Company".into(), account);
        }
        page.push(mapping::contact(&record, &org)?);
    }
    let mut contacts = page.into_iter();
    Ok(step.contact_page(|_| contacts.next().expect("one contact per record sent")))
}

/// Every record of a query (its batches through `nextRecordsUrl`), at most `limit`.
async fn all_of(session: &Session, soql: &Soql, limit: u64, batch: u32) -> Result<Vec<Map<String, Value>>, Error> {
    let mut answer: QueryResult = session.query(soql, Some(batch)).await?;
    let mut records = std::mem::take(&mut answer.records);
    while let (false, Some(next)) = (answer.done, answer.next_records_url.as_deref()) {
        if records.len() as u64 >= limit {
            break;
        }
        answer = session.query_more(next).await?;
        records.append(&mut answer.records);
    }
    Ok(records)
}

/// The contact's Cases, Tasks (logged calls among them) and Events, each kind only when requested, newest first.
/// The contact is found by `contact_external_id` (a Contact's or a Lead's id), else by email, else by phone:
///
/// - by id: **one query** with a relationship subquery per kind: 1 call, 1 round trip;
/// - by email: the Contact and the Lead queries (with their subqueries) at once: 2 calls, 1 round trip;
/// - by phone: a SOSL search in phone fields, then the query by id: 2 calls, 2 round trips (with emails too, the
///   search goes with the email queries: 4 calls at most, 2 round trips).
#[bridge::interaction_retriever]
pub async fn interactions(
    Auth(auth): Auth<Credentials>,
    meta: InteractionMeta,
    data: InteractionData,
    State(salesforce): State<Salesforce>,
) -> Result<Vec<Interaction>, Error> {
    let session = salesforce.session(&auth).await?;
    let kinds: Vec<&Kind> = KINDS.iter().filter(|kind| meta.wants(kind.interaction_type)).collect();
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let by_id = data
        .contact_external_id
        .as_deref()
        .and_then(Id::parse)
        .filter(|id| [CONTACT_PREFIX, LEAD_PREFIX].contains(&id.prefix()));
    let emails: Vec<&str> =
        data.contact_emails.iter().map(|e| e.trim()).filter(|e| e.contains('@')).take(MAX_LOOKUPS).collect();
    let phones: Vec<&str> = data
        .contact_phones
        .iter()
        .map(|p| p.trim())
        .filter(|p| p.chars().filter(char::is_ascii_digit).count() >= 4)
        .take(MAX_LOOKUPS)
        .collect();
    let person = match by_id {
        Some(id) => first(session.query(&with_kinds(object_of(&id), &kinds).code("Id = ").id(&id), None).await?),
        None if emails.is_empty() && phones.is_empty() => {
            session.objects().await?; // nothing to look up: the token is still checked
            return Ok(Vec::new());
        }
        None => by_email_or_phone(&session, &kinds, &emails, &phones).await?,
    };
    let Some(person) = person else { return Ok(Vec::new()) };
    let mut all = Vec::new();
    for kind in kinds {
        let Some(records) = person.get(kind.relationship).and_then(|r| r.get("records")).and_then(Value::as_array)
        else {
            continue; // none of this kind (Salesforce sends null)
        };
        for record in records.iter().filter_map(Value::as_object) {
            all.push(mapping::interaction(kind, record, &session.org)?);
        }
    }
    all.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| b.id.cmp(&a.id)));
    Ok(all)
}

fn object_of(id: &Id) -> &'static str {
    if id.prefix() == LEAD_PREFIX {
        "Lead"
    } else {
        "Contact"
    }
}

/// `SELECT Id, Email, <a subquery per kind> FROM <object> WHERE ` (Leads have no Cases).
fn with_kinds(object: &'static str, kinds: &[&Kind]) -> Soql {
    let mut soql = Soql::new("SELECT Id, Email");
    for kind in kinds.iter().filter(|k| object == "Contact" || k.on_leads) {
        soql = soql.code(", ").code(kind.subquery);
    }
    match object {
        "Lead" => soql.code(" FROM Lead WHERE IsConverted = false AND "),
        _ => soql.code(" FROM Contact WHERE "),
    }
}

fn first(answer: QueryResult) -> Option<Map<String, Value>> {
    answer.records.into_iter().next()
}

/// The Contact of the first email that has one, else the Lead; else the first record a phone search finds.
async fn by_email_or_phone(
    session: &Session,
    kinds: &[&Kind],
    emails: &[&str],
    phones: &[&str],
) -> Result<Option<Map<String, Value>>, Error> {
    enum Found {
        People(Vec<Map<String, Value>>),
        Ids(Vec<Id>),
    }
    type Call<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Found, Error>> + Send + 'a>>;
    let mut calls: Vec<Call<'_>> = Vec::new();
    if !emails.is_empty() {
        for object in ["Contact", "Lead"] {
            let soql = with_kinds(object, kinds)
                .code("Email IN ")
                .texts(emails.iter().copied())
                .code(" ORDER BY CreatedDate LIMIT 10");
            calls.push(Box::pin(async move { Ok(Found::People(session.query(&soql, None).await?.records)) }));
        }
    }
    if !phones.is_empty() {
        let terms: Vec<String> = phones.iter().map(|p| sosl_term(p)).collect();
        let sosl = format!(
            "FIND {} IN PHONE FIELDS RETURNING Contact(Id ORDER BY CreatedDate), Lead(Id WHERE IsConverted = false \
             ORDER BY CreatedDate) LIMIT 10",
            terms.join(" OR ")
        );
        calls.push(Box::pin(async move {
            let found = session.search(&sosl).await?;
            Ok(Found::Ids(found.iter().filter_map(|r| mapping::text(r, "Id").and_then(Id::parse)).collect()))
        }));
    }
    let answers = try_join_all_at_most(3, calls).await?;
    let mut people = Vec::new();
    let mut ids = Vec::new();
    for answer in answers {
        match answer {
            Found::People(found) => people.extend(found),
            Found::Ids(found) => ids.extend(found),
        }
    }
    // The first email wins; a Contact before a Lead (the Contact answer came first).
    let by_email = emails.iter().find_map(|email| {
        people.iter().position(|p| mapping::text(p, "Email").is_some_and(|e| e.eq_ignore_ascii_case(email)))
    });
    if let Some(at) = by_email {
        return Ok(Some(people.swap_remove(at)));
    }
    let Some(id) = ids.into_iter().find(|id| [CONTACT_PREFIX, LEAD_PREFIX].contains(&id.prefix())) else {
        return Ok(None);
    };
    Ok(first(session.query(&with_kinds(object_of(&id), kinds).code("Id = ").id(&id), None).await?))
}

/// The inputs of the `create_case` action.
#[derive(Debug, Deserialize, bridge::ActionInputs)]
pub struct CaseInputs {
    #[bridge(name = "Subject")]
    pub subject: String,
    #[bridge(name = "Description")]
    #[serde(default)]
    pub description: Option<String>,
    /// `low`, `normal` (or `medium`), `high`; Salesforce's default when absent.
    #[bridge(name = "Priority")]
    #[serde(default)]
    pub priority: Option<String>,
}

/// Opens a Case for the contact (`meta.contact_external_id`, a Contact: Cases do not belong to Leads), origin
/// `Phone`. `201` with the Case's id; `400` naming `data.<field>` for a field Salesforce refuses.
#[bridge::action_executor(
    name = "create_case",
    display = "create a case",
    description = "open a Salesforce case for the contact",
    // A repeat within 10 minutes (an answer lost to a timeout, a second click) gets the first answer: one record.
    dedupe = "10m"
)]
pub async fn create_case(
    Auth(auth): Auth<Credentials>,
    meta: ActionMeta,
    Data(inputs): Data<CaseInputs>,
    State(salesforce): State<Salesforce>,
) -> Result<ActionOutcome, Error> {
    let session = salesforce.session(&auth).await?;
    let mut problems = Vec::new();
    if inputs.subject.trim().is_empty() {
        problems.push(FieldError { field: "data.subject".into(), message: "must not be empty".into() });
    }
    let priority = mapping::salesforce_priority(inputs.priority.as_deref())
        .map_err(|message| problems.push(FieldError { field: "data.priority".into(), message }))
        .unwrap_or(None);
    let contact = person_of(&mut problems, &meta, &[CONTACT_PREFIX], "a Contact id (Cases belong to Contacts)");
    if !problems.is_empty() {
        return Err(Error::invalid_fields(problems));
    }
    let mut case = json!({"Subject": inputs.subject.trim(), "Origin": "Phone"});
    if let Some(description) = inputs.description.filter(|d| !d.trim().is_empty()) {
        case["Description"] = json!(description);
    }
    if let Some(priority) = priority {
        case["Priority"] = json!(priority);
    }
    if let Some(contact) = contact {
        case["ContactId"] = json!(contact.as_str());
    }
    let fields = [
        ("Subject", "data.subject"),
        ("Description", "data.description"),
        ("Priority", "data.priority"),
        ("ContactId", "meta.contact_external_id"),
    ];
    let id = session.create("Case", &case, &fields).await?;
    Ok(ActionOutcome::message(format!("Salesforce case {id} created")).external_id(id))
}

/// The inputs of the `log_call` action.
#[derive(Debug, Deserialize, bridge::ActionInputs)]
pub struct CallInputs {
    #[bridge(name = "Subject")]
    pub subject: String,
    #[bridge(name = "Notes")]
    #[serde(default)]
    pub description: Option<String>,
    /// The call's length, in seconds.
    #[bridge(name = "Duration (seconds)")]
    #[serde(default)]
    pub duration: Option<u32>,
}

/// Logs the call as a completed Task (`TaskSubtype = Call`) on the contact or lead (`WhoId` =
/// `meta.contact_external_id`). `201` with the Task's id; `400` naming `data.<field>` for a field Salesforce
/// refuses.
#[bridge::action_executor(
    name = "log_call",
    display = "log a call",
    description = "log the call on the contact in Salesforce",
    // A repeat within 10 minutes (an answer lost to a timeout, a second click) gets the first answer: one record.
    dedupe = "10m"
)]
pub async fn log_call(
    Auth(auth): Auth<Credentials>,
    meta: ActionMeta,
    Data(inputs): Data<CallInputs>,
    State(salesforce): State<Salesforce>,
) -> Result<ActionOutcome, Error> {
    let session = salesforce.session(&auth).await?;
    let mut problems = Vec::new();
    if inputs.subject.trim().is_empty() {
        problems.push(FieldError { field: "data.subject".into(), message: "must not be empty".into() });
    }
    let who = person_of(&mut problems, &meta, &[CONTACT_PREFIX, LEAD_PREFIX], "a Contact or Lead id");
    if !problems.is_empty() {
        return Err(Error::invalid_fields(problems));
    }
    let today = TalkdeskDate::now().to_string();
    let mut task = json!({
        "Subject": inputs.subject.trim(),
        "TaskSubtype": "Call",
        "Status": "Completed",
        "ActivityDate": &today[..10],
    });
    if let Some(description) = inputs.description.filter(|d| !d.trim().is_empty()) {
        task["Description"] = json!(description);
    }
    if let Some(duration) = inputs.duration {
        task["CallDurationInSeconds"] = json!(duration);
    }
    if let Some(who) = who {
        task["WhoId"] = json!(who.as_str());
    }
    let fields = [
        ("Subject", "data.subject"),
        ("Description", "data.description"),
        ("CallDurationInSeconds", "data.duration"),
        ("WhoId", "meta.contact_external_id"),
    ];
    let id = session.create("Task", &task, &fields).await?;
    Ok(ActionOutcome::message(format!("Salesforce call {id} logged")).external_id(id))
}

/// The action's contact (optional), if its id is one of `prefixes`; else a problem naming the field.
fn person_of(problems: &mut Vec<FieldError>, meta: &ActionMeta, prefixes: &[&str], what: &str) -> Option<Id> {
    let text = meta.contact_external_id.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
    let id = Id::parse(text).filter(|id| prefixes.contains(&id.prefix()));
    if id.is_none() {
        let message = format!("expected {what}, as this bridge synchronizes them");
        problems.push(FieldError { field: "meta.contact_external_id".into(), message });
    }
    id
}

/// Active standard Users, by id, a page at a time (`OFFSET`, which Salesforce allows up to 2,000).
#[bridge::agent_retriever]
pub async fn agents(
    Auth(auth): Auth<Credentials>,
    meta: AgentSyncMeta,
    State(salesforce): State<Salesforce>,
) -> Result<AgentPage, Error> {
    let session = salesforce.session(&auth).await?;
    let offset = match meta.offset.as_deref().map(str::trim) {
        None | Some("") => 0,
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|n| *n <= 2000)
            .ok_or_else(|| field_error("meta.offset", "expected the next_offset this bridge answered"))?,
    };
    let size = u64::from(salesforce.agent_page_size);
    let soql = Soql::new(
        "SELECT Id, Name, Email FROM User WHERE IsActive = true AND UserType = 'Standard' ORDER BY Id LIMIT ",
    )
    .number(size + 1)
    .code(" OFFSET ")
    .number(offset);
    let users = session.query(&soql, None).await?.records;
    let more = users.len() as u64 > size;
    let page = users.iter().take(size as usize).filter_map(mapping::agent).collect();
    let mut answer = AgentPage::new(page);
    if more {
        answer = answer.next_offset((offset + size).to_string());
    }
    Ok(answer)
}
