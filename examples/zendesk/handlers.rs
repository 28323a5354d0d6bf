//! The five endpoints: what each asks Zendesk, and what it answers Talkdesk.
//!
//! Every handler takes a [`Session`], built from the request's credentials before the handler runs
//! (`bridge::FromRequest`, through [`Zendesk::session`]), which checks `auth.account` as one DNS label before any URL
//! exists: `evil.com/`, `a@b`, `x.y`, `..` or a 64-character label are a `400` naming `auth.account`, and nothing
//! is sent anywhere.
//!
//! # Whose credentials
//!
//! Talkdesk's own Zendesk form asks for an **Agent Email** and its API token, so an agent's credentials are
//! enough: auth validation answers `204` for an agent's or an admin's (`GET /api/v2/users/me`). Every endpoint
//! works with either; only contact synchronization reads users differently (below).
//!
//! Refused, with a message that says why: credentials Zendesk does not recognise, and those of a user the
//! integration cannot act as: an **end user** (Zendesk refuses them every API the bridge calls), a **light agent**
//! (`role_type` 1: may not browse or search users, which contact synchronization and interaction retrieval do, and
//! Zendesk forbids using its API to give light agents what their interface does not), a **contributor**
//! (`role_type` 3, a light agent's access), a suspended or deleted user. All of these are a **`401`**, not a `400`
//! or a `403`: Talkdesk's auth validation contract is "`204` if the credentials are valid, `401` otherwise", and a
//! `401` is the one answer Talkdesk acts on by asking the user for other credentials, which is what a customer who
//! typed an end user's email must do; a `400` says the *request* is wrong (it is not) and a `403` is the bridge's
//! own inbound token (`BRIDGE_TOKEN`). These credentials are API tokens, not OAuth: the `401` sets off no token
//! refresh. On the other endpoints, a Zendesk `403` (say, an agent demoted to end user after the integration was
//! set up) is a `401` too, for the same reason.
//!
//! # Contact synchronization
//!
//! The first page of every sync asks Zendesk who the credentials are (`GET /api/v2/users/me`, one cheap call per
//! sync), then reads users in one of two ways; the next pages follow the offset the first page answered.
//!
//! ## With an admin's credentials: the incremental user export
//!
//! Contacts come from Zendesk's **cursor-based incremental user export** (`/api/v2/incremental/users/cursor`),
//! the one Zendesk API built for "everything that changed since": users in ascending `updated_at` order (ties by
//! id), paged by an opaque cursor that loses nothing between pages, even when users change during the sync (a
//! changed user moves to the end of the stream and is exported again). What it costs:
//!
//! - **admins only**: Zendesk answers anyone else `403`;
//! - **10 requests per minute** (30 with Zendesk's High Volume API add-on): one per page, so pages are large
//!   enough to stay under it (`ZENDESK_CONTACT_PAGE_SIZE`, 500 by default, up to Zendesk's 1000: 5,000 users a
//!   minute) and small enough to answer fast (one Zendesk call per page). A `429` is retried after its
//!   `Retry-After` when that fits in the request's time, and is a `502` otherwise;
//! - the **last minute is never exported** (Zendesk's own rule, so that late writes are not missed), and a start
//!   time must be a minute old: the bridge never asks for a more recent one.
//!
//! How the protocol's four situations map onto the export, and what the checkpoint means:
//!
//! | situation | Zendesk call |
//! |---|---|
//! | initial, first page | `start_time=0` |
//! | incremental, first page | `start_time=<checkpoint>` (at most a minute ago) |
//! | any next page | `cursor=<offset>` (`next_offset` is Zendesk's `after_cursor`) |
//!
//! The **checkpoint** is a time, `YYYY-MM-DD HH:MM:SS UTC`, from which the next sync starts, inclusive. A page
//! that ends the stream answers one second after the newest `updated_at` of the sync (everything up to it has
//! been sent, so the next sync returns exactly what changed since); a page in the middle answers the newest
//! `updated_at` itself, so that a sync Talkdesk restarts from it re-sends the users sharing that second instead of
//! losing them. Either way it never moves backwards: it starts at the request's checkpoint, and the newest
//! `updated_at` seen so far travels between pages in `context`. Agents, admins and deleted users move the
//! checkpoint but are not contacts.
//!
//! ## With an agent's credentials: the user list, newest first
//!
//! Agents may not export, so contacts come from **`GET /api/v2/users?role=end-user&sort=-updated_at`** with cursor
//! pagination (`page[size]`, `page[after]`), identities and organizations sideloaded as with the export: end users,
//! the most recently updated first. The list has no "changed since" filter, so the order does the filtering: a
//! sync reads from the newest user down and stops at the first one updated before its checkpoint.
//!
//! | situation | Zendesk call |
//! |---|---|
//! | initial or incremental, first page | `page[size]=<n>` (no cursor), read down to the checkpoint (or the end) |
//! | any next page | `page[after]=<cursor>` (`next_offset` is `users:<floor>:<end>:<cursor>`) |
//!
//! The guarantees, and why they hold:
//!
//! - **nothing lost across pages**: Zendesk's cursor is the position of the last user sent, so a page starts right
//!   after it whatever changed in between;
//! - **nothing lost between syncs**: a user who changes while a sync runs moves to the top of the list, above the
//!   cursor; this sync no longer meets it, but its new `updated_at` is at or after the newest the sync saw, so the
//!   next sync, which starts there, does. The last page's checkpoint is the second after the newest `updated_at`
//!   seen on the first page, once that second is over (more than a minute in the past by the bridge's clock: clocks
//!   differ, and Zendesk's own export waits a minute too); while it is not, the checkpoint is that second itself,
//!   so that a user written later in it is not lost, at the price of sending that second's users once more;
//! - **a checkpoint on every page that never moves backwards**: pages before the last answer the checkpoint the
//!   sync started from. They cannot answer more: the users still to read are older than every user read so far,
//!   and a sync restarted from a page's checkpoint must still read them. So a sync interrupted in the middle starts
//!   again from its beginning (duplicates, never losses);
//! - **an incremental sync returns what changed**: the users updated at or after the checkpoint, plus the one page
//!   that crosses it. Deleted users are no longer listed, so they are not sent (Talkdesk keeps the contacts it
//!   has, as with the export, which sends deleted users without the bridge making contacts of them).
//!
//! What it costs compared with the export: pages of at most 100 users (Zendesk's limit for cursor pagination; the
//! smaller of that and `ZENDESK_CONTACT_PAGE_SIZE`), so an initial sync of 50,000 end users is 500 calls, where
//! the export makes 100; but the calls count against the account's general API limit (a few hundred requests a
//! minute, depending on the Zendesk plan, shared with every other integration of the account) instead of the
//! export's 10 a minute, and cursor pagination is not subject to the volume limits Zendesk puts on deep offset
//! pages. An incremental sync reads only what changed (a page of 100 per 100 changed users), one call when
//! nothing did, plus `GET /users/me`. An interrupted sync costs a full restart from its checkpoint. Give the bridge
//! an admin's credentials for the cheapest initial sync of a very large account; an agent's are enough for
//! everything else.
//!
//! The Search API (`type:user updated>…`) was weighed and refused: it is capped at 1,000 results per query and
//! lags behind writes while its index catches up, so a checkpoint can overtake users not yet indexed, and they are
//! lost.

use super::mapping::{self, TICKET};
use super::zendesk::{Comment, ExportFrom, Identity, NewTicket, Organization, Session, Ticket, User, Zendesk};
use bridge::http::{upstream_status, StatusCode, UpstreamStatus};
use bridge::{
    ActionMeta, ActionOutcome, AgentPage, AgentSyncMeta, Contact, ContactPage, ContactSyncMeta, Data, Error, ErrorKind,
    FieldError, Interaction, InteractionData, InteractionMeta, State, TalkdeskDate,
};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::num::NonZeroU32;

/// How many emails, then phone numbers, of a contact are looked up before giving up.
const MAX_LOOKUPS: usize = 3;

/// Checks the credentials against Zendesk: `204` for an agent's or an admin's; `401` for credentials Zendesk does
/// not recognise (it answers `GET /api/v2/users/me` with `200` and its anonymous user, `"id": null`, rather than a
/// `401`), and for a recognised user the integration cannot work as (an end user, a light agent, a contributor, a
/// suspended user), with a message that says why; `400` naming `auth.account` when no Zendesk account answers
/// there; `502`/`504` when Zendesk fails or is slow, never `401`. See the module documentation for why a refused
/// role is a `401`.
#[bridge::auth_validator]
pub async fn validate(session: Session) -> Result<(), Error> {
    let me = session.authenticated().await?;
    staff(&me).map(|_| ())
}

/// Who the credentials act as, for what the integration needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Staff {
    /// May call the incremental user export.
    Admin,
    /// May list, search and look users up, and create tickets, but not export.
    Agent,
}

/// The role of `me` (the user of the credentials) as the integration sees it, or the `401` that says why the
/// integration cannot work as this user.
fn staff(me: &User) -> Result<Staff, Error> {
    let refuse = |why: String| Err(Error::new(ErrorKind::CredentialsRejected, why));
    if !me.is_live() {
        return refuse("this Zendesk user is suspended or deleted".into());
    }
    match (me.role.as_deref(), me.role_type) {
        (Some("admin"), _) => Ok(Staff::Admin),
        (Some("agent"), Some(LIGHT_AGENT)) => refuse(
            "these credentials belong to a Zendesk light agent, and the integration needs an agent's or an \
             admin's: light agents may not browse or search users, which contact synchronization and interaction \
             retrieval do"
                .into(),
        ),
        (Some("agent"), Some(CONTRIBUTOR)) => refuse(
            "these credentials belong to a Zendesk contributor, and the integration needs an agent's or an \
             admin's: contributors have a light agent's access to Support"
                .into(),
        ),
        (Some("agent"), _) => Ok(Staff::Agent),
        (role, _) => refuse(format!(
            "these credentials belong to a Zendesk {}, and the integration needs an agent's or an admin's",
            role.unwrap_or("user")
        )),
    }
}

/// Zendesk's `role_type` of a light agent.
const LIGHT_AGENT: i64 = 1;
/// Zendesk's `role_type` of a contributor (a chat agent with a light agent's access to Support).
const CONTRIBUTOR: i64 = 3;

/// What the next-page offsets of the user list start with; the incremental export's are Zendesk's cursors as they
/// came (base64: no `:`).
const LIST_OFFSET: &str = "users:";

/// Zendesk end users as Talkdesk contacts: from the incremental user export with an admin's credentials, from the
/// user list with an agent's (see the module documentation).
#[bridge::contact_retriever]
pub async fn contacts(
    session: Session,
    meta: ContactSyncMeta,
    State(zendesk): State<Zendesk>,
) -> Result<ContactPage, Error> {
    let floor = meta.checkpoint_as::<TalkdeskDate>()?.unwrap_or_else(epoch);
    // A next page continues where the first page went; a first page asks who the credentials are.
    match meta.situation.offset() {
        Some(offset) if offset.starts_with(LIST_OFFSET) => {
            let resume = meta.offset_as::<ListOffset>()?.expect("a next page has an offset");
            from_list(&session, &zendesk, resume.floor, Some(resume)).await
        }
        Some(offset) => from_export(&session, &zendesk, &meta, floor, ExportFrom::Cursor(offset)).await,
        None => match staff(&session.authenticated().await?)? {
            Staff::Admin => from_export(&session, &zendesk, &meta, floor, ExportFrom::Time(start_time(floor))).await,
            Staff::Agent => from_list(&session, &zendesk, floor, None).await,
        },
    }
}

/// A page of the incremental user export (admins).
async fn from_export(
    session: &Session,
    zendesk: &Zendesk,
    meta: &ContactSyncMeta,
    floor: TalkdeskDate,
    from: ExportFrom<'_>,
) -> Result<ContactPage, Error> {
    let export = session.export_users(from, zendesk.contact_page_size).await.map_err(|err| {
        match upstream_status(&err) {
            // Authenticated, but not allowed: the export is for admins only. Still a 401, saying why.
            Some(StatusCode::FORBIDDEN) => Error::new(
                ErrorKind::CredentialsRejected,
                "Zendesk refused its user export to these credentials: only an admin's may export users",
            )
            .with_source(UpstreamStatus(StatusCode::FORBIDDEN)),
            _ => err,
        }
    })?;

    // The newest `updated_at` of the sync so far: the previous pages' (from `context`), then this page's.
    let mut newest = meta.context.as_ref().and_then(newest_from_context);
    for (n, user) in export.users.iter().enumerate() {
        newest = newest.max(Some(updated_at(user, n)?));
    }
    let contacts = contacts_of(&export.users, &export.organizations, &export.identities, session)?;

    let checkpoint = match newest {
        None => floor,
        Some(newest) if export.end_of_stream => floor.max(one_second_after(newest)?),
        Some(newest) => floor.max(newest),
    };
    let mut page = ContactPage::new(contacts, checkpoint.to_string());
    if let Some(newest) = newest {
        page = page.context(json!({ "newest_updated_at": newest.to_string() }));
    }
    if !export.end_of_stream {
        let Some(next) = export.after_cursor.filter(|cursor| !cursor.is_empty()) else {
            return Err(Error::upstream("Zendesk's user export announced more users but sent no cursor"));
        };
        if export.users.is_empty() && meta.situation.offset() == Some(next.as_str()) {
            return Err(Error::upstream("Zendesk's user export did not move past its cursor"));
        }
        page = page.next_offset(next);
    }
    Ok(page)
}

/// Where a sync through the user list stands, carried in its `next_offset`
/// (`users:<floor>:<end>:<cursor>`, the dates as Unix seconds): everything the next page needs, so that it does not
/// depend on `context` or on the checkpoint of the request.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ListOffset {
    /// Where the sync started (its checkpoint, or the epoch): users updated before it are not read.
    floor: TalkdeskDate,
    /// The checkpoint the last page will answer, decided on the first page.
    end: TalkdeskDate,
    /// Zendesk's `meta.after_cursor`.
    cursor: String,
}

impl std::str::FromStr for ListOffset {
    type Err = ();

    /// What [`ListOffset::to_offset`] wrote (`users:<floor>:<end>:<cursor>`).
    fn from_str(text: &str) -> Result<Self, ()> {
        let mut parts = text.strip_prefix(LIST_OFFSET).ok_or(())?.splitn(3, ':');
        let mut date = || -> Option<TalkdeskDate> { TalkdeskDate::from_unix_timestamp(parts.next()?.parse().ok()?) };
        let (floor, end) = (date().ok_or(())?, date().ok_or(())?);
        let cursor = parts.next().filter(|c| !c.is_empty()).ok_or(())?.to_owned();
        Ok(Self { floor, end, cursor })
    }
}

impl ListOffset {
    fn to_offset(&self) -> String {
        format!("{LIST_OFFSET}{}:{}:{}", self.floor.unix_timestamp(), self.end.unix_timestamp(), self.cursor)
    }
}

/// How long after a second the bridge takes it as over: no write can still land in it. Clocks differ (Zendesk's
/// `updated_at`, the bridge's now); Zendesk's own export holds back the last minute for the same reason.
const SETTLED_AFTER: i64 = 60;

/// A page of the user list, most recently updated first (agents; see the module documentation): users updated at
/// or after `floor` (the sync's checkpoint), the first page or the one after `resume`.
async fn from_list(
    session: &Session,
    zendesk: &Zendesk,
    floor: TalkdeskDate,
    resume: Option<ListOffset>,
) -> Result<ContactPage, Error> {
    let list = session.end_users(resume.as_ref().map(|r| r.cursor.as_str()), zendesk.contact_page_size).await?;
    let mut kept: Vec<&User> = Vec::with_capacity(list.users.len());
    let mut reached_floor = false;
    let mut newest: Option<TalkdeskDate> = None;
    for (n, user) in list.users.iter().enumerate() {
        let updated = updated_at(user, n)?;
        if updated < floor {
            reached_floor = true; // older than the sync: the rest of the list is too
            continue;
        }
        newest = newest.max(Some(updated));
        kept.push(user);
    }
    let contacts = contacts_of(kept, &list.organizations, &list.identities, session)?;
    let end = match &resume {
        Some(offset) => offset.end,
        None => match newest {
            // The second after the newest change, once that second is over; until then, that second itself.
            Some(newest) if newest.unix_timestamp() + 1 + SETTLED_AFTER <= TalkdeskDate::now().unix_timestamp() => {
                one_second_after(newest)?
            }
            Some(newest) => newest,
            None => floor,
        },
    };
    if reached_floor || !list.meta.has_more {
        return Ok(ContactPage::new(contacts, end.to_string()));
    }
    let Some(next) = list.meta.after_cursor.filter(|cursor| !cursor.is_empty()) else {
        return Err(Error::upstream("Zendesk's user list announced more users but sent no cursor"));
    };
    if list.users.is_empty() && resume.as_ref().is_some_and(|r| r.cursor == next) {
        return Err(Error::upstream("Zendesk's user list did not move past its cursor"));
    }
    // Until the last page, the checkpoint stays where the sync started: the users not read yet are older than every
    // user read so far, and a sync restarted from here must still read them.
    Ok(ContactPage::new(contacts, floor.to_string()).next_offset(ListOffset { floor, end, cursor: next }.to_offset()))
}

/// The `updated_at` of the `n`th user of a page.
fn updated_at(user: &User, n: usize) -> Result<TalkdeskDate, Error> {
    let field = format!("users[{n}].updated_at");
    let text = user.updated_at.as_deref().ok_or_else(|| Error::upstream(format!("Zendesk sent no {field}")))?;
    mapping::date(text, &field)
}

/// The contacts among `users` (end users, live), with their sideloaded organizations and identities.
fn contacts_of<'a>(
    users: impl IntoIterator<Item = &'a User>,
    organizations: &[Organization],
    identities: &[Identity],
    session: &Session,
) -> Result<Vec<Contact>, Error> {
    let organizations: HashMap<u64, &str> = organizations.iter().map(|org| (org.id, org.name.as_str())).collect();
    let mut by_user: HashMap<u64, Vec<&Identity>> = HashMap::new();
    for identity in identities {
        by_user.entry(identity.user_id).or_default().push(identity);
    }
    users
        .into_iter()
        .filter(|user| mapping::is_contact(user))
        .map(|user| {
            let theirs = user.id.and_then(|id| by_user.get(&id)).map_or(&[][..], Vec::as_slice);
            mapping::contact(user, &organizations, theirs, session)
        })
        .collect()
}

fn epoch() -> TalkdeskDate {
    TalkdeskDate::from_unix_timestamp(0).expect("the epoch is a date")
}

fn one_second_after(date: TalkdeskDate) -> Result<TalkdeskDate, Error> {
    TalkdeskDate::from_unix_timestamp(date.unix_timestamp() + 1)
        .ok_or_else(|| Error::upstream("Zendesk sent a date at the end of time"))
}

/// The export's `start_time` for a checkpoint: Zendesk refuses one less than a minute old, so a checkpoint that
/// recent (clocks differ) starts a little earlier instead: users are sent twice rather than lost.
fn start_time(checkpoint: TalkdeskDate) -> i64 {
    let latest = TalkdeskDate::now().unix_timestamp() - 61;
    checkpoint.unix_timestamp().min(latest).max(0)
}

fn newest_from_context(context: &Value) -> Option<TalkdeskDate> {
    context.get("newest_updated_at")?.as_str()?.parse().ok()
}

/// The contact's tickets, newest first: found by `contact_external_id` (the Zendesk user id contacts are synced
/// with), else by the first email, else the first phone number that finds a Zendesk user. Only when `ticket` is
/// among the requested `interaction_types`; a contact Zendesk does not know has no interactions. When there is
/// nothing to look up, the credentials are still checked (`GET /api/v2/users/me`), so that wrong ones are a `401`
/// here as everywhere, rather than an empty list. Cached for 30 s (`cache`): a phone ringing for several agents, or
/// Talkdesk repeating itself, makes one lookup, shared by every replica with `BRIDGE_REDIS_URL`.
#[bridge::interaction_retriever(cache = "30s")]
pub async fn interactions(
    session: Session,
    meta: InteractionMeta,
    data: InteractionData,
    State(zendesk): State<Zendesk>,
) -> Result<Vec<Interaction>, Error> {
    let lookup = match meta.wants(TICKET) {
        true => find_tickets(&session, &data, zendesk.ticket_limit).await?,
        false => Lookup::NothingToAsk,
    };
    let tickets = match lookup {
        Lookup::Found(tickets) => tickets,
        Lookup::Unknown => Vec::new(),
        Lookup::NothingToAsk => {
            session.authenticated().await?;
            Vec::new()
        }
    };
    tickets.iter().map(|ticket| mapping::interaction(ticket, &session)).collect()
}

/// What looking a contact up in Zendesk gave.
enum Lookup {
    /// The tickets of the Zendesk user found.
    Found(Vec<Ticket>),
    /// Zendesk knows no such user.
    Unknown,
    /// The request carries nothing to look up: Zendesk was not asked.
    NothingToAsk,
}

async fn find_tickets(session: &Session, data: &InteractionData, limit: u32) -> Result<Lookup, Error> {
    let found = |tickets: Option<Vec<Ticket>>| tickets.map_or(Lookup::Unknown, Lookup::Found);
    let mut asked = false;
    // Contacts synced through this bridge carry their Zendesk user id; an id from elsewhere is not a number.
    if let Some(id) = data.contact_external_id.as_deref().and_then(|id| id.trim().parse::<u64>().ok()) {
        asked = true;
        if let Some(tickets) = session.requested_tickets(id, limit).await? {
            return Ok(Lookup::Found(tickets));
        }
    }
    for email in data.contact_emails.iter().filter_map(|e| searchable_email(e)).take(MAX_LOOKUPS) {
        asked = true;
        let users = session.search_users(&format!("email:{email}")).await?;
        let exact = users.iter().find(|u| u.email.as_deref().is_some_and(|known| known.eq_ignore_ascii_case(email)));
        if let Some(id) = exact.or(users.first()).and_then(|user| user.id) {
            return Ok(found(session.requested_tickets(id, limit).await?));
        }
    }
    for phone in data.contact_phones.iter().filter_map(|p| searchable_phone(p)).take(MAX_LOOKUPS) {
        asked = true;
        let users = session.search_users(&format!("phone:{phone}")).await?;
        if let Some(id) = users.first().and_then(|user| user.id) {
            return Ok(found(session.requested_tickets(id, limit).await?));
        }
    }
    Ok(if asked { Lookup::Unknown } else { Lookup::NothingToAsk })
}

/// An email that can go into a search query as one term; others are skipped (they cannot be a Zendesk email).
fn searchable_email(email: &str) -> Option<&str> {
    let email = email.trim();
    let plain = email.chars().all(|c| !c.is_whitespace() && !c.is_control() && !"\"'()\\:".contains(c));
    (plain && email.contains('@')).then_some(email)
}

/// A phone number as Zendesk stores them: `+` and digits only (`+1 (555) 010-0001` → `+15550100001`).
fn searchable_phone(phone: &str) -> Option<String> {
    let plus = phone.trim_start().starts_with('+');
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= 4).then(|| if plus { format!("+{digits}") } else { digits })
}

/// The inputs of the `create_ticket` action, as its generated configuration lists them.
#[derive(Debug, Deserialize, bridge::ActionInputs)]
pub struct TicketInputs {
    #[bridge(name = "Ticket subject")]
    pub subject: String,
    #[bridge(name = "Ticket description")]
    pub description: String,
    /// `low`, `normal`, `high` or `urgent` (any case); `none` or absent for none.
    #[bridge(name = "Ticket priority")]
    #[serde(default)]
    pub priority: Option<String>,
}

/// Creates a Zendesk ticket: requested by `meta.contact_external_id` when given (otherwise by the user of the
/// credentials, as Zendesk does), assigned to `meta.agent_external_id` when given. `201` with the ticket's id;
/// `400` with Zendesk's own explanation when it refuses the ticket (an unknown requester, an assignee who is not an
/// agent), or naming the request fields that cannot be used.
#[bridge::action_executor(
    name = "create_ticket",
    display = "create a ticket",
    description = "create a new ticket in Zendesk",
    // A repeat within 10 minutes (an answer lost to a timeout, a second click) gets the first ticket's answer.
    dedupe = "10m"
)]
pub async fn create_ticket(
    session: Session,
    meta: ActionMeta,
    Data(inputs): Data<TicketInputs>,
) -> Result<ActionOutcome, Error> {
    let mut problems = Vec::new();
    let priority = mapping::zendesk_priority(inputs.priority.as_deref())
        .map_err(|message| problems.push(FieldError { field: "data.priority".into(), message }))
        .unwrap_or(None);
    let requester_id = zendesk_id(&mut problems, "meta.contact_external_id", meta.contact_external_id.as_deref());
    let assignee_id = zendesk_id(&mut problems, "meta.agent_external_id", meta.agent_external_id.as_deref());
    if !problems.is_empty() {
        return Err(Error::invalid_fields(problems));
    }
    let ticket = NewTicket {
        subject: inputs.subject.trim(),
        comment: Comment { body: &inputs.description },
        priority,
        requester_id,
        assignee_id,
    };
    let created = session.create_ticket(ticket).await?;
    let url = session.agent_url("tickets", created.id)?;
    Ok(ActionOutcome::message(format!("Zendesk ticket #{} created: {url}", created.id))
        .external_id(created.id.to_string()))
}

/// A Zendesk id from the request (`None` when absent), or a problem with the field it came from.
fn zendesk_id(problems: &mut Vec<FieldError>, field: &str, value: Option<&str>) -> Option<u64> {
    let value = value?.trim();
    match value.parse::<u64>() {
        Ok(id) => Some(id),
        Err(_) => {
            let message = "expected a Zendesk user id (a number), as this bridge synchronizes them".to_owned();
            problems.push(FieldError { field: field.to_owned(), message });
            None
        }
    }
}

/// Zendesk's agents and admins, a page at a time: `next_offset` is the next page number (Talkdesk sends it back as
/// an integer).
#[bridge::agent_retriever]
pub async fn agents(session: Session, meta: AgentSyncMeta, State(zendesk): State<Zendesk>) -> Result<AgentPage, Error> {
    let page = match meta.offset_as::<NonZeroU32>()? {
        None => 1,
        Some(page) => page.get(),
    };
    let staff = session.staff(page, zendesk.agent_page_size).await?;
    let mut answer = AgentPage::new(staff.users.iter().filter_map(mapping::agent).collect());
    if staff.next_page.is_some() && !staff.users.is_empty() {
        answer = answer.next_offset((page + 1).to_string());
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_use_only_plain_terms() {
        assert_eq!(searchable_email(" jane@example.com "), Some("jane@example.com"));
        for bad in ["jane", "a b@c", "x\"@y", "role:admin@x"] {
            assert_eq!(searchable_email(bad), None, "{bad}");
        }
        assert_eq!(searchable_phone("+1 (555) 010-0001").as_deref(), Some("+15550100001"));
        assert_eq!(searchable_phone("555 0101").as_deref(), Some("5550101"));
        assert_eq!(searchable_phone("n/a"), None);
    }

    #[test]
    fn start_times_are_never_in_the_last_minute() {
        let now = TalkdeskDate::now().unix_timestamp();
        assert_eq!(start_time(epoch()), 0);
        let recent = TalkdeskDate::from_unix_timestamp(now - 10).unwrap();
        assert!(start_time(recent) <= now - 61);
        let old = TalkdeskDate::from_unix_timestamp(now - 3600).unwrap();
        assert_eq!(start_time(old), now - 3600);
    }
}
