//! A fake Zendesk Support account, in memory, served on 127.0.0.1 by the test kit's
//! [`FakeServer`](bridge::testing::fake::FakeServer): what `--demo` runs against, and what the integration tests
//! (`tests/it/zendesk.rs`) drive the bridge against, over real HTTP. This file holds Zendesk's behaviour only; the
//! server, the fault queue, the latency, the call log and the clock are the kit's.
//!
//! It serves the calls the bridge makes, with the shapes of Zendesk's `support-oas.yaml`, and behaves as Zendesk
//! does where a bridge can get it wrong:
//!
//! - **credentials**: Basic `{email}/token:{token}`; wrong ones get `200` and the anonymous user (`"id": null`)
//!   from `GET /api/v2/users/me`, and `401 {"error": "Couldn't authenticate you"}` everywhere else; an end user gets
//!   `403` from agent APIs, an agent (light or not) gets `403` from the incremental export (admins only); a light
//!   agent is an agent with `role_type: 1`;
//! - **the incremental user export** (`/api/v2/incremental/users/cursor`): every role, deleted users included, in
//!   ascending `(updated_at, id)` order; an opaque cursor that resumes exactly after the last user sent, so that a
//!   user updated during a sync moves to the end of the stream; `end_of_stream`; no cursor when a `start_time`
//!   finds nothing; users of the last minute withheld, and a `start_time` less than a minute old refused;
//!   `include=identities,organizations` sideloads;
//! - **offset pagination** (`page`, `per_page`, `next_page`, `previous_page`, `count`) for user lists, user search
//!   and a user's requested tickets; `404` for an unknown user;
//! - **cursor pagination** of the user list (`page[size]` up to 100, `page[after]`, `sort` by `id`, `updated_at`
//!   or `created_at`, `-` for descending; `meta.has_more`, `meta.after_cursor`, `links.next`), with a cursor that is
//!   the position of the last user sent, and the same sideloads as the export;
//! - **user update** (`PUT /api/v2/users/{id}` with `{"user": {"name": …, "email": …, "phone": …}}`), as a test
//!   changes the account while a sync runs, through the API it would call on a real account;
//! - **ticket creation** with Zendesk's `422 RecordInvalid` and its `details` for an unknown requester, an assignee
//!   who is not an agent, a missing description or an unknown priority;
//! - **faults on demand** ([`Fake::inject`]): the kit's ([`Fault`]: `429` with `Retry-After`, `503`, `500`, each
//!   with Zendesk's error body; slowness, malformed JSON, a reset connection), and Zendesk's own: a redirect to
//!   another host ([`redirect`]) and the `404` of an account that does not exist ([`unknown_account`]).
//!
//! Time is the fake's own clock ([`Fake::now`], [`Fake::advance`]), so that tests decide when a change happens and
//! when it becomes visible to the export.

pub use bridge::testing::fake::{Call, Fault, RunningFake};
use bridge::testing::fake::{Clock, FakeRequest, FakeResponse, FakeServer, Shared};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::MutexGuard;
use std::time::Duration;

type Response = FakeResponse;

/// The admin whose credentials work (with [`API_TOKEN`]).
pub const ADMIN_EMAIL: &str = "ada.admin@example.com";
/// An agent (not an admin): his credentials are valid, but Zendesk refuses him the incremental export.
pub const AGENT_EMAIL: &str = "ben.agent@example.com";
/// The account's API token.
pub const API_TOKEN: &str = "zd-demo-6f1c2a9e4b7d";
/// The admin's user id.
pub const ADMIN_ID: u64 = 1;
/// The first end user's id ([`Fake::sample`] numbers them from here).
pub const FIRST_END_USER: u64 = 1000;

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    EndUser,
    Agent,
    Admin,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Self::EndUser => "end-user",
            Self::Agent => "agent",
            Self::Admin => "admin",
        }
    }
}

/// A user of the fake account.
#[derive(Debug, Clone)]
pub struct User {
    pub id: u64,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: Role,
    /// `false` once deleted.
    pub active: bool,
    pub suspended: bool,
    pub organization_id: Option<u64>,
    pub photo_url: Option<String>,
    /// Secondary email identities.
    pub other_emails: Vec<String>,
    /// Secondary phone identities.
    pub other_phones: Vec<String>,
    /// An agent with the light agent role (`role_type` 1).
    pub light_agent: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl User {
    /// A live end user with only a name (id and dates are set when added).
    pub fn end_user(name: &str) -> Self {
        Self {
            id: 0,
            name: name.to_owned(),
            email: None,
            phone: None,
            role: Role::EndUser,
            active: true,
            suspended: false,
            organization_id: None,
            photo_url: None,
            other_emails: Vec::new(),
            other_phones: Vec::new(),
            light_agent: false,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn emails(&self) -> impl Iterator<Item = &String> {
        self.email.iter().chain(&self.other_emails)
    }

    fn phones(&self) -> impl Iterator<Item = &String> {
        self.phone.iter().chain(&self.other_phones)
    }
}

/// An organization.
#[derive(Debug, Clone)]
pub struct Organization {
    pub id: u64,
    pub name: String,
}

/// A ticket.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub id: u64,
    pub subject: Option<String>,
    pub description: String,
    /// `new`, `open`, `pending`, `hold`, `solved` or `closed`.
    pub status: String,
    /// `low`, `normal`, `high`, `urgent`, or none.
    pub priority: Option<String>,
    /// `question`, `incident`, `problem`, `task`.
    pub kind: Option<String>,
    pub requester_id: u64,
    pub submitter_id: u64,
    pub assignee_id: Option<u64>,
    pub organization_id: Option<u64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub due_at: Option<i64>,
}

/// The clock of [`Fake::sample`]: 2024-06-03 12:00:00 UTC.
pub const START: i64 = 1_717_416_000;
/// How long a change stays out of the incremental export: Zendesk never exports the last minute.
pub const EXPORT_LAG: i64 = 60;

/// What a subdomain with no account behind it answers: `404` and an HTML page.
pub fn unknown_account() -> Fault {
    let page = "<html><body><h1>Oops! This help center no longer exists</h1></body></html>";
    Fault::Answer(FakeResponse::text(404, "text/html; charset=utf-8", page))
}

/// `302 Found` to another host (which the bridge must not follow, credentials and all).
pub fn redirect() -> Fault {
    Fault::Answer(FakeResponse::json(302, &json!({})).header("location", "http://127.0.0.2:9/api/v2/users/me"))
}

/// Zendesk's answer to the kit's faults: its `429` (the kit adds `Retry-After`), `503` and `500` bodies.
fn error_answer(status: u16) -> Response {
    let (error, description) = match status {
        429 => ("APIRateLimitExceeded", "Number of allowed API requests per minute exceeded"),
        503 => ("ServiceUnavailable", "Maintenance in progress"),
        _ => ("InternalServerError", "Something went wrong"),
    };
    reply(status, json!({"error": error, "description": description}))
}

struct Account {
    clock: Clock,
    next_user_id: u64,
    next_ticket_id: u64,
    users: BTreeMap<u64, User>,
    organizations: BTreeMap<u64, Organization>,
    tickets: Vec<Ticket>,
}

/// The fake account; clones share it.
#[derive(Clone)]
pub struct Fake {
    account: Shared<Account>,
    server: FakeServer,
}

impl Fake {
    /// An account with its staff (an admin, three agents, a deleted agent) and no end users, at [`START`].
    pub fn new() -> Self {
        Self::staffed(START)
    }

    fn staffed(clock: i64) -> Self {
        let account = Account {
            clock: Clock::at_secs(clock),
            next_user_id: FIRST_END_USER,
            next_ticket_id: 1,
            users: BTreeMap::new(),
            organizations: BTreeMap::new(),
            tickets: Vec::new(),
        };
        let account = Shared::new(account);
        let served = account.clone();
        let server = FakeServer::new(move |request| served.lock().answer(request)).errors(error_answer);
        let fake = Self { account, server };
        {
            let mut account = fake.lock();
            let long_ago = clock - 400 * 86_400;
            let staff = [
                (ADMIN_ID, "Ada Admin", ADMIN_EMAIL, Role::Admin, true),
                (2, "Ben Agent", AGENT_EMAIL, Role::Agent, true),
                (3, "Chloe Agent", "chloe.agent@example.com", Role::Agent, true),
                (4, "Dev Agent", "dev.agent@example.com", Role::Agent, true),
                (5, "Eve Former", "eve.former@example.com", Role::Agent, false),
            ];
            for (id, name, email, role, active) in staff {
                let user = User {
                    id,
                    email: Some(email.to_owned()),
                    role,
                    active,
                    created_at: long_ago,
                    updated_at: long_ago + id as i64,
                    ..User::end_user(name)
                };
                account.users.insert(id, user);
            }
        }
        fake
    }

    /// [`new`](Self::new) plus `end_users` sample end users (see [`sample_at`](Self::sample_at)).
    pub fn sample(end_users: usize) -> Self {
        Self::sample_at(end_users, START)
    }

    /// An account whose clock reads `clock`, with eight organizations and `end_users` end users numbered from
    /// [`FIRST_END_USER`]: user `n` (from 0) is `customer{n}@example.com`; has phone `+1555010{n:04}` unless `n` is
    /// a multiple of 4; a second email when `n` is a multiple of 10 and a second phone when a multiple of 15; an
    /// organization unless `n` is a multiple of 3; a photo when a multiple of 5; is deleted when `n % 50 == 49`;
    /// and requested `n % 4` tickets. Users were last updated an hour or more before `clock`, two by two in the same
    /// second (ties everywhere), in id order.
    pub fn sample_at(end_users: usize, clock: i64) -> Self {
        const FIRST: [&str; 12] =
            ["Jane", "Omar", "Li", "Ana", "Tom", "Priya", "Sven", "Mia", "Kofi", "Elena", "Raj", "Zoe"];
        const LAST: [&str; 10] =
            ["Doe", "Haddad", "Wei", "Silva", "Brown", "Nair", "Berg", "Rossi", "Mensah", "Petrova"];
        const ORGS: [&str; 8] =
            ["Acme Corp", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises", "Wonka"];
        const SUBJECTS: [&str; 6] = [
            "My printer is on fire",
            "Cannot log in",
            "Refund for order",
            "Delivery is late",
            "Question about my invoice",
            "Feature request: dark mode",
        ];
        const STATUSES: [&str; 6] = ["new", "open", "pending", "hold", "solved", "closed"];
        const PRIORITIES: [Option<&str>; 5] = [None, Some("low"), Some("normal"), Some("high"), Some("urgent")];
        const KINDS: [&str; 4] = ["question", "incident", "problem", "task"];

        let fake = Self::staffed(clock);
        let mut account = fake.lock();
        for (n, name) in ORGS.iter().enumerate() {
            let id = 100 + n as u64;
            account.organizations.insert(id, Organization { id, name: (*name).to_owned() });
        }
        let oldest = clock - 3600 - (end_users as i64 / 2 + 1) * 300;
        let mut ticket_count = 0usize;
        for n in 0..end_users {
            let id = FIRST_END_USER + n as u64;
            let name = format!("{} {}", FIRST[n % FIRST.len()], LAST[(n / FIRST.len()) % LAST.len()]);
            let updated_at = oldest + (n as i64 / 2) * 300;
            let user = User {
                id,
                email: Some(format!("customer{n}@example.com")),
                phone: (n % 4 != 0).then(|| format!("+1555010{n:04}")),
                organization_id: (n % 3 != 0).then_some(100 + (n % ORGS.len()) as u64),
                photo_url: (n % 5 == 0).then(|| format!("https://example.com/photos/{id}.png")),
                other_emails: if n % 10 == 0 { vec![format!("customer{n}@home.example.org")] } else { vec![] },
                other_phones: if n % 15 == 0 { vec![format!("+1555020{n:04}")] } else { vec![] },
                active: n % 50 != 49,
                created_at: updated_at - 86_400,
                updated_at,
                ..User::end_user(&name)
            };
            account.users.insert(id, user);
            for k in 0..n % 4 {
                let kind = KINDS[ticket_count % KINDS.len()];
                let created_at = updated_at - 86_400 + 3600 * (k as i64 + 1);
                let ticket = Ticket {
                    id: 0,
                    subject: Some(SUBJECTS[ticket_count % SUBJECTS.len()].to_owned()),
                    description: format!("{}: please help. (ticket {k} of customer {n})", SUBJECTS[ticket_count % 6]),
                    status: STATUSES[ticket_count % STATUSES.len()].to_owned(),
                    priority: PRIORITIES[ticket_count % PRIORITIES.len()].map(str::to_owned),
                    kind: Some(kind.to_owned()),
                    requester_id: id,
                    submitter_id: id,
                    assignee_id: Some(2 + (ticket_count % 3) as u64),
                    organization_id: None,
                    created_at,
                    updated_at: created_at + 600,
                    due_at: (kind == "task").then_some(clock + 86_400 * (k as i64 + 2)),
                };
                ticket_count += 1;
                account.add_ticket(ticket);
            }
        }
        account.next_user_id = FIRST_END_USER + end_users as u64;
        drop(account);
        fake
    }

    fn lock(&self) -> MutexGuard<'_, Account> {
        self.account.lock()
    }

    /// The fake's clock (Unix seconds).
    pub fn now(&self) -> i64 {
        self.lock().clock.now_secs()
    }

    /// Moves the clock forward: changes older than a minute become visible to the export.
    pub fn advance(&self, seconds: i64) {
        self.lock().clock.advance(Duration::from_secs(seconds.max(0) as u64));
    }

    /// Adds a user (its id is assigned, its dates are now) and returns its id.
    pub fn add_user(&self, mut user: User) -> u64 {
        let mut account = self.lock();
        user.id = account.next_user_id;
        account.next_user_id += 1;
        user.created_at = account.clock.now_secs();
        user.updated_at = user.created_at;
        let id = user.id;
        account.users.insert(id, user);
        id
    }

    /// Changes users, all in the same second (now), and moves the clock one second on.
    pub fn update_users(&self, ids: &[u64], change: impl Fn(&mut User)) {
        let mut account = self.lock();
        let now = account.clock.now_secs();
        for id in ids {
            let user = account.users.get_mut(id).unwrap_or_else(|| panic!("no user {id}"));
            change(user);
            user.updated_at = now;
        }
        account.clock.advance(Duration::from_secs(1));
    }

    /// A user.
    pub fn user(&self, id: u64) -> Option<User> {
        self.lock().users.get(&id).cloned()
    }

    /// Every user, by id.
    pub fn users(&self) -> Vec<User> {
        self.lock().users.values().cloned().collect()
    }

    /// Adds a ticket (its id is assigned) and returns its id.
    pub fn add_ticket(&self, ticket: Ticket) -> u64 {
        self.lock().add_ticket(ticket)
    }

    /// Every ticket, by id.
    pub fn tickets(&self) -> Vec<Ticket> {
        self.lock().tickets.clone()
    }

    /// Misbehaves on the next request (faults queue up: one per request).
    pub fn inject(&self, fault: Fault) {
        self.server.inject(fault);
    }

    /// Every request is answered `delay` after it arrived, as from a Zendesk far away; requests that arrive
    /// together wait together.
    pub fn latency(&self, delay: Duration) {
        self.server.set_latency(delay);
    }

    /// The requests received so far, oldest first (the latest 20,000).
    pub fn requests(&self) -> Vec<Call> {
        self.server.calls()
    }

    /// Serves the account on 127.0.0.1 (a free port) until the returned handle is dropped; its
    /// [`url`](RunningFake::url) is what `ZENDESK_BASE_URL` would be.
    pub async fn start(&self) -> std::io::Result<RunningFake> {
        self.server.start().await
    }
}

impl Default for Fake {
    fn default() -> Self {
        Self::new()
    }
}

/// A positive integer parameter, `default` when absent, at most `max`.
fn number(request: &FakeRequest, name: &str, default: u64, max: u64) -> Result<u64, Refused> {
    match request.param(name) {
        None => Ok(default),
        Some(text) => match text.parse::<u64>() {
            Ok(n) if n >= 1 => Ok(n.min(max)),
            _ => Err(invalid(&format!("{name} must be a positive integer")).into()),
        },
    }
}

/// An error answer (boxed: answers are large).
type Refused = Box<Response>;

/// Who is calling.
enum Caller {
    Anonymous,
    User(User),
}

impl Account {
    fn add_ticket(&mut self, mut ticket: Ticket) -> u64 {
        ticket.id = self.next_ticket_id;
        self.next_ticket_id += 1;
        if ticket.organization_id.is_none() {
            ticket.organization_id = self.users.get(&ticket.requester_id).and_then(|u| u.organization_id);
        }
        let id = ticket.id;
        self.tickets.push(ticket);
        id
    }

    /// Basic `{email}/token:{token}`.
    fn caller(&self, request: &FakeRequest) -> Caller {
        let Some((user, token)) = request.basic_auth() else {
            return Caller::Anonymous;
        };
        let Some(email) = user.strip_suffix("/token") else {
            return Caller::Anonymous;
        };
        if token != API_TOKEN {
            return Caller::Anonymous;
        }
        match self.users.values().find(|u| u.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(email))) {
            Some(user) if user.active && !user.suspended => Caller::User(user.clone()),
            _ => Caller::Anonymous,
        }
    }

    fn answer(&mut self, request: &FakeRequest) -> Response {
        let path = request.path().strip_suffix(".json").unwrap_or(request.path());
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let caller = self.caller(request);
        if segments == ["api", "v2", "users", "me"] && request.method() == "GET" {
            return match caller {
                Caller::Anonymous => reply(200, json!({"user": anonymous_user()})),
                Caller::User(user) => {
                    let mut me = self.user_json(&user, &request.base());
                    me["authenticity_token"] = json!("fake-csrf-token");
                    reply(200, json!({"user": me}))
                }
            };
        }
        let user = match caller {
            Caller::Anonymous => return reply(401, json!({"error": "Couldn't authenticate you"})),
            Caller::User(user) if user.role == Role::EndUser => return forbidden(),
            Caller::User(user) => user,
        };
        let result = match (request.method().as_str(), segments.as_slice()) {
            ("GET", ["api", "v2", "incremental", "users", "cursor"]) if user.role == Role::Admin => {
                self.export_users(request)
            }
            ("GET", ["api", "v2", "incremental", "users", "cursor"]) => Err(forbidden().into()),
            ("GET", ["api", "v2", "users"]) => self.list_users(request),
            ("GET", ["api", "v2", "users", "search"]) => self.search_users(request),
            ("GET", ["api", "v2", "users", id, "tickets", "requested"]) => self.requested_tickets(request, id),
            ("GET", ["api", "v2", "users", id]) => match id.parse().ok().and_then(|id| self.users.get(&id)) {
                Some(found) => Ok(reply(200, json!({"user": self.user_json(found, &request.base())}))),
                None => Err(not_found().into()),
            },
            ("PUT", ["api", "v2", "users", id]) => self.update_user(request, id),
            ("POST", ["api", "v2", "tickets"]) => self.create_ticket(request, &user),
            _ => Err(reply(404, json!({"error": "InvalidEndpoint", "description": "Not found"})).into()),
        };
        result.unwrap_or_else(|refusal| *refusal)
    }

    /// `GET /api/v2/incremental/users/cursor`.
    fn export_users(&self, request: &FakeRequest) -> Result<Response, Refused> {
        let per_page = number(request, "per_page", 1000, 1000)? as usize;
        let (after, from_time) = match (request.param("cursor"), request.param("start_time")) {
            (Some(cursor), _) => {
                (decode_cursor(cursor).ok_or_else(|| Refused::from(invalid("cursor is invalid")))?, false)
            }
            (None, Some(start)) => {
                let start: i64 = start.parse().map_err(|_| Refused::from(invalid("start_time must be a Unix time")))?;
                if start > self.clock.now_secs() - EXPORT_LAG {
                    return Err(invalid("Too recent start_time. Use a start_time older than 1 minute").into());
                }
                ((start, 0), true)
            }
            (None, None) => return Err(invalid("start_time or cursor is required").into()),
        };
        let horizon = self.clock.now_secs() - EXPORT_LAG;
        let mut stream: Vec<&User> =
            self.users.values().filter(|u| u.updated_at <= horizon && (u.updated_at, u.id) > after).collect();
        stream.sort_by_key(|u| (u.updated_at, u.id));
        let page: Vec<&User> = stream.iter().take(per_page).copied().collect();
        let end_of_stream = stream.len() <= per_page;
        let position = page.last().map_or(after, |u| (u.updated_at, u.id));
        let cursor = (!(page.is_empty() && from_time)).then(|| encode_cursor(position));
        let mut body = json!({
            "users": page.iter().map(|u| self.user_json(u, &request.base())).collect::<Vec<_>>(),
            "after_cursor": cursor,
            "after_url": cursor.as_ref().map(|c| format!("{}api/v2/incremental/users/cursor.json?cursor={c}", request.base())),
            "before_cursor": null,
            "before_url": null,
            "end_of_stream": end_of_stream,
        });
        self.sideload(request, &page, &mut body);
        Ok(reply(200, body))
    }

    /// The sideloads `include` asks for (`identities`, `organizations`) of the users of a page, into `body`.
    fn sideload(&self, request: &FakeRequest, page: &[&User], body: &mut Value) {
        let include = request.param("include").unwrap_or("");
        if include.split(',').any(|s| s.trim() == "organizations") {
            let mut ids: Vec<u64> = page.iter().filter_map(|u| u.organization_id).collect();
            ids.sort_unstable();
            ids.dedup();
            let orgs: Vec<Value> = ids
                .iter()
                .filter_map(|id| self.organizations.get(id))
                .map(|org| organization_json(org, &request.base()))
                .collect();
            body["organizations"] = json!(orgs);
        }
        if include.split(',').any(|s| s.trim() == "identities") {
            let identities: Vec<Value> = page.iter().flat_map(|u| identities_json(u, &request.base())).collect();
            body["identities"] = json!(identities);
        }
    }

    /// `GET /api/v2/users?role=…` or `role[]=…&role[]=…`: live users, by id with offset pagination (`page`,
    /// `per_page`), or in the order of `sort` with cursor pagination (`page[size]`, `page[after]`).
    fn list_users(&self, request: &FakeRequest) -> Result<Response, Refused> {
        let roles: Vec<&str> =
            request.query().iter().filter(|(n, _)| n == "role" || n == "role[]").map(|(_, v)| v.as_str()).collect();
        let users: Vec<&User> = self
            .users
            .values()
            .filter(|u| u.active && (roles.is_empty() || roles.contains(&u.role.as_str())))
            .collect();
        if request.param("page[size]").is_some() || request.param("page[after]").is_some() {
            return self.users_cursor_page(request, users);
        }
        self.users_page(request, "api/v2/users", &users)
    }

    /// Cursor pagination of a user list: sorted by `sort` (`id`, `updated_at` or `created_at`, `-` first for
    /// descending; ties by id in the same direction), `page[size]` users (at most 100) after the position
    /// `page[after]` names. A cursor is the sort position of the last user sent, so that a user updated during a
    /// walk through the list moves to its new place: ahead of the cursor it is met again, behind it, not.
    fn users_cursor_page(&self, request: &FakeRequest, mut users: Vec<&User>) -> Result<Response, Refused> {
        if request.param("page").is_some() || request.param("per_page").is_some() {
            return Err(invalid("page[size] (cursor pagination) cannot be mixed with page or per_page").into());
        }
        if request.param("page[before]").is_some() {
            return Err(invalid("page[before] is not supported by this fake").into());
        }
        let size = number(request, "page[size]", 100, 100)? as usize;
        let sort = request.param("sort").unwrap_or("id");
        let (field, descending) = match sort.strip_prefix('-') {
            Some(field) => (field, true),
            None => (sort, false),
        };
        let key: fn(&User) -> (i64, u64) = match field {
            "id" => |u| (u.id as i64, u.id),
            "updated_at" => |u| (u.updated_at, u.id),
            "created_at" => |u| (u.created_at, u.id),
            other => return Err(invalid(&format!("sort {other} is not supported")).into()),
        };
        users.sort_by_key(|u| key(u));
        if descending {
            users.reverse();
        }
        if let Some(after) = request.param("page[after]") {
            let position = decode_cursor(after).ok_or_else(|| Refused::from(invalid("page[after] is invalid")))?;
            users.retain(|u| if descending { key(u) < position } else { key(u) > position });
        }
        let page: Vec<&User> = users.iter().take(size).copied().collect();
        let has_more = users.len() > size;
        let after_cursor = page.last().map(|u| encode_cursor(key(u)));
        let before_cursor = page.first().map(|u| encode_cursor(key(u)));
        let link = |name: &str, cursor: &Option<String>| {
            cursor.as_ref().map(|cursor| {
                let mut url = bridge::http::Url::parse(&format!("{}api/v2/users.json", request.base())).expect("a URL");
                url.query_pairs_mut()
                    .extend_pairs(request.query().iter().filter(|(n, _)| !n.starts_with("page[")))
                    .append_pair("page[size]", &size.to_string())
                    .append_pair(name, cursor);
                url.to_string()
            })
        };
        let mut body = json!({
            "users": page.iter().map(|u| self.user_json(u, &request.base())).collect::<Vec<_>>(),
            "meta": {"has_more": has_more, "after_cursor": after_cursor, "before_cursor": before_cursor},
            "links": {
                "next": if has_more { link("page[after]", &after_cursor) } else { None },
                "prev": link("page[before]", &before_cursor),
            },
        });
        self.sideload(request, &page, &mut body);
        Ok(reply(200, body))
    }

    /// `GET /api/v2/users/search?query=…`: terms `email:…`, `phone:…`, `role:…` or words of the name or email.
    fn search_users(&self, request: &FakeRequest) -> Result<Response, Refused> {
        let query = request.param("query").ok_or_else(|| Refused::from(invalid("query is required")))?;
        let terms: Vec<(Option<&str>, String)> = query
            .split_whitespace()
            .map(|term| match term.split_once(':') {
                Some((key, value)) => (Some(key), value.trim_matches('"').to_ascii_lowercase()),
                None => (None, term.trim_matches('"').to_ascii_lowercase()),
            })
            .collect();
        let users: Vec<&User> = self
            .users
            .values()
            .filter(|u| u.active)
            .filter(|u| {
                terms.iter().all(|(key, value)| match key {
                    Some("email") => u.emails().any(|e| e.to_ascii_lowercase() == *value),
                    Some("phone") => {
                        let wanted = digits(value);
                        !wanted.is_empty() && u.phones().any(|p| digits(p) == wanted)
                    }
                    Some("role") => u.role.as_str() == value,
                    Some(_) => false,
                    None => {
                        u.name.to_ascii_lowercase().contains(value.as_str())
                            || u.emails().any(|e| e.to_ascii_lowercase().contains(value.as_str()))
                    }
                })
            })
            .collect();
        self.users_page(request, "api/v2/users/search", &users)
    }

    fn users_page(&self, request: &FakeRequest, path: &str, users: &[&User]) -> Result<Response, Refused> {
        let (page, per_page) = (number(request, "page", 1, u32::MAX.into())?, number(request, "per_page", 100, 100)?);
        let (items, next_page, previous_page) = paginate(request, path, users, page, per_page);
        let json: Vec<Value> = items.iter().map(|u| self.user_json(u, &request.base())).collect();
        let body = json!({"users": json, "next_page": next_page, "previous_page": previous_page, "count": users.len()});
        Ok(reply(200, body))
    }

    /// `GET /api/v2/users/{id}/tickets/requested`: `404` for an unknown user; `sort_by` (`id`, `created_at`,
    /// `updated_at`) and `sort_order`; offset pagination.
    fn requested_tickets(&self, request: &FakeRequest, id: &str) -> Result<Response, Refused> {
        let id: u64 = id.parse().map_err(|_| Refused::from(not_found()))?;
        if !self.users.contains_key(&id) {
            return Err(not_found().into());
        }
        let mut tickets: Vec<&Ticket> = self.tickets.iter().filter(|t| t.requester_id == id).collect();
        match request.param("sort_by").unwrap_or("id") {
            "created_at" => tickets.sort_by_key(|t| (t.created_at, t.id)),
            "updated_at" => tickets.sort_by_key(|t| (t.updated_at, t.id)),
            "id" => tickets.sort_by_key(|t| t.id),
            other => return Err(invalid(&format!("sort_by {other} is not supported")).into()),
        }
        if request.param("sort_order") == Some("desc") {
            tickets.reverse();
        }
        let (page, per_page) = (number(request, "page", 1, u32::MAX.into())?, number(request, "per_page", 100, 100)?);
        let path = format!("api/v2/users/{id}/tickets/requested");
        let (items, next_page, previous_page) = paginate(request, &path, &tickets, page, per_page);
        let json: Vec<Value> = items.iter().map(|t| ticket_json(t, &request.base())).collect();
        let body =
            json!({"tickets": json, "next_page": next_page, "previous_page": previous_page, "count": tickets.len()});
        Ok(reply(200, body))
    }

    /// `PUT /api/v2/users/{id}`: the user's `name`, `email` and `phone` as given (the others are kept), updated now
    /// (the clock then moves one second on, as [`Fake::update_users`]); `200` and the user, `404` for an unknown one.
    fn update_user(&mut self, request: &FakeRequest, id: &str) -> Result<Response, Refused> {
        let body: Value = serde_json::from_slice(request.body_bytes())
            .map_err(|e| Refused::from(reply(400, json!({"error": "InvalidJSON", "description": format!("{e}")}))))?;
        let changes =
            body.get("user").and_then(Value::as_object).ok_or_else(|| Refused::from(invalid("user is required")))?;
        let now = self.clock.now_secs();
        let user = id.parse().ok().and_then(|id| self.users.get_mut(&id)).ok_or_else(|| Refused::from(not_found()))?;
        for (key, value) in changes {
            let text = value.as_str().map(str::to_owned);
            match key.as_str() {
                "name" => user.name = text.ok_or_else(|| Refused::from(invalid("name: is not a string")))?,
                "email" => user.email = text,
                "phone" => user.phone = text,
                _ => {}
            }
        }
        user.updated_at = now;
        let user = user.clone();
        self.clock.advance(Duration::from_secs(1));
        Ok(reply(200, json!({"user": self.user_json(&user, &request.base())})))
    }

    /// `POST /api/v2/tickets`: `201` and the ticket, or `422 RecordInvalid` with Zendesk's `details`.
    fn create_ticket(&mut self, request: &FakeRequest, caller: &User) -> Result<Response, Refused> {
        let body: Value = serde_json::from_slice(request.body_bytes())
            .map_err(|e| Refused::from(reply(400, json!({"error": "InvalidJSON", "description": format!("{e}")}))))?;
        let ticket =
            body.get("ticket").filter(|t| t.is_object()).ok_or_else(|| Refused::from(invalid("ticket is required")))?;
        let text = |key: &str| ticket.get(key).and_then(Value::as_str).map(str::to_owned);
        let id_of = |key: &str| ticket.get(key).filter(|v| !v.is_null()).map(|v| v.as_u64());
        let mut details = serde_json::Map::new();
        let mut problem = |field: &str, description: String, error: &str| {
            details.insert(field.to_owned(), json!([{"description": description, "error": error}]));
        };
        let body_text =
            ticket.pointer("/comment/body").and_then(Value::as_str).map(str::to_owned).or(text("description"));
        let description = body_text.filter(|b| !b.trim().is_empty());
        if description.is_none() {
            problem("description", "Description: cannot be blank".into(), "BlankValue");
        }
        let requester_id = match id_of("requester_id") {
            None => Some(caller.id),
            Some(Some(id)) if self.users.get(&id).is_some_and(|u| u.active) => Some(id),
            Some(_) => {
                problem("requester", "Requester: could not be found".into(), "InvalidValue");
                None
            }
        };
        let assignee_id = match id_of("assignee_id") {
            None => None,
            Some(Some(id)) if self.users.get(&id).is_some_and(|u| u.active && u.role != Role::EndUser) => Some(id),
            Some(_) => {
                problem("assignee", "Assignee: is not an agent".into(), "InvalidValue");
                None
            }
        };
        let priority = text("priority");
        if let Some(p) = &priority {
            if !["low", "normal", "high", "urgent"].contains(&p.as_str()) {
                problem("priority", format!("Priority: {p} is not valid"), "InvalidValue");
            }
        }
        if !details.is_empty() {
            let refusal =
                json!({"error": "RecordInvalid", "description": "Record validation errors", "details": details});
            return Err(reply(422, refusal).into());
        }
        let (Some(requester_id), Some(description)) = (requester_id, description) else {
            unreachable!("both are checked above");
        };
        let ticket = Ticket {
            id: 0,
            subject: text("subject").filter(|s| !s.trim().is_empty()),
            description,
            status: if assignee_id.is_some() { "open" } else { "new" }.to_owned(),
            priority,
            kind: text("type"),
            requester_id,
            submitter_id: caller.id,
            assignee_id,
            organization_id: None,
            created_at: self.clock.now_secs(),
            updated_at: self.clock.now_secs(),
            due_at: None,
        };
        let id = self.add_ticket(ticket);
        let created = self.tickets.iter().find(|t| t.id == id).expect("just added");
        let audit = json!({"ticket_id": id, "author_id": caller.id, "created_at": rfc3339(self.clock.now_secs()), "events": []});
        let response = reply(201, json!({"ticket": ticket_json(created, &request.base()), "audit": audit}));
        Ok(response.header("location", format!("{}api/v2/tickets/{id}.json", request.base())))
    }

    fn user_json(&self, user: &User, base: &str) -> Value {
        json!({
            "id": user.id,
            "url": format!("{base}api/v2/users/{}.json", user.id),
            "name": user.name,
            "email": user.email,
            "created_at": rfc3339(user.created_at),
            "updated_at": rfc3339(user.updated_at),
            "time_zone": "Eastern Time (US & Canada)",
            "iana_time_zone": "America/New_York",
            "phone": user.phone,
            "shared_phone_number": user.phone.as_ref().map(|_| false),
            "photo": user.photo_url.as_ref().map(|url| json!({
                "id": user.id * 10,
                "file_name": format!("{}.png", user.id),
                "content_url": url,
                "content_type": "image/png",
                "size": 16_384,
                "thumbnails": [],
            })),
            "locale_id": 1,
            "locale": "en-US",
            "organization_id": user.organization_id,
            "role": user.role.as_str(),
            "verified": true,
            "external_id": null,
            "tags": [],
            "alias": "",
            "active": user.active,
            "shared": false,
            "shared_agent": false,
            "last_login_at": null,
            "two_factor_auth_enabled": false,
            "signature": null,
            "details": "",
            "notes": "",
            "role_type": match user.role {
                Role::Admin => json!(4),
                Role::Agent if user.light_agent => json!(1),
                _ => Value::Null,
            },
            "custom_role_id": null,
            "moderator": user.role != Role::EndUser,
            "ticket_restriction": if user.role == Role::EndUser { json!("requested") } else { Value::Null },
            "only_private_comments": false,
            "restricted_agent": user.role == Role::Agent,
            "suspended": user.suspended,
            "default_group_id": null,
            "report_csv": false,
            "user_fields": {},
        })
    }
}

/// What Zendesk answers `GET /api/v2/users/me` with when it does not recognise the credentials.
fn anonymous_user() -> Value {
    json!({
        "id": null, "url": null, "name": "Anonymous user", "email": "invalid@example.com", "created_at": null,
        "updated_at": null, "time_zone": "Eastern Time (US & Canada)", "iana_time_zone": "America/New_York",
        "phone": null, "shared_phone_number": null, "photo": null, "locale_id": 1, "locale": "en-US",
        "organization_id": null, "role": "end-user", "verified": false, "authenticity_token": "fake-csrf-token",
    })
}

fn organization_json(org: &Organization, base: &str) -> Value {
    json!({
        "id": org.id, "url": format!("{base}api/v2/organizations/{}.json", org.id), "name": org.name,
        "shared_tickets": false, "shared_comments": false, "external_id": null, "created_at": rfc3339(START - 900 * 86_400),
        "updated_at": rfc3339(START - 900 * 86_400), "domain_names": [], "details": "", "notes": "", "group_id": null,
        "tags": [], "organization_fields": {},
    })
}

/// A user's identities: primary email first, then the other emails, then the phone numbers.
fn identities_json(user: &User, base: &str) -> Vec<Value> {
    let emails = user.emails().map(|e| ("email", e));
    let phones = user.phones().map(|p| ("phone_number", p));
    emails
        .chain(phones)
        .enumerate()
        .map(|(n, (kind, value))| {
            let id = user.id * 100 + n as u64;
            let primary = (kind == "email" && user.email.as_ref() == Some(value))
                || (kind == "phone_number" && user.phone.as_ref() == Some(value));
            json!({
                "url": format!("{base}api/v2/users/{}/identities/{id}.json", user.id), "id": id, "user_id": user.id,
                "type": kind, "value": value, "verified": true, "primary": primary,
                "created_at": rfc3339(user.created_at), "updated_at": rfc3339(user.updated_at),
            })
        })
        .collect()
}

fn ticket_json(ticket: &Ticket, base: &str) -> Value {
    json!({
        "id": ticket.id,
        "url": format!("{base}api/v2/tickets/{}.json", ticket.id),
        "external_id": null,
        "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": null}},
        "created_at": rfc3339(ticket.created_at),
        "updated_at": rfc3339(ticket.updated_at),
        "generated_timestamp": ticket.updated_at,
        "type": ticket.kind,
        "subject": ticket.subject,
        "raw_subject": ticket.subject,
        "description": ticket.description,
        "priority": ticket.priority,
        "status": ticket.status,
        "recipient": null,
        "requester_id": ticket.requester_id,
        "submitter_id": ticket.submitter_id,
        "assignee_id": ticket.assignee_id,
        "organization_id": ticket.organization_id,
        "group_id": null,
        "collaborator_ids": [],
        "follower_ids": [],
        "email_cc_ids": [],
        "forum_topic_id": null,
        "problem_id": null,
        "has_incidents": false,
        "is_public": true,
        "due_at": ticket.due_at.map(rfc3339),
        "tags": [],
        "custom_fields": [],
        "satisfaction_rating": null,
        "sharing_agreement_ids": [],
        "followup_ids": [],
        "brand_id": null,
        "allow_channelback": false,
        "allow_attachments": true,
        "from_messaging_channel": false,
    })
}

/// The slice of `items` on `page`, with the `next_page` and `previous_page` URLs Zendesk's offset pagination gives.
fn paginate<'a, T>(
    request: &FakeRequest,
    path: &str,
    items: &'a [T],
    page: u64,
    per_page: u64,
) -> (&'a [T], Option<String>, Option<String>) {
    let start = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX).min(items.len());
    let end = start.saturating_add(per_page as usize).min(items.len());
    let link = |page: u64| {
        let mut url = bridge::http::Url::parse(&format!("{}{path}.json", request.base())).expect("a URL");
        url.query_pairs_mut()
            .extend_pairs(request.query().iter().filter(|(name, _)| name != "page"))
            .append_pair("page", &page.to_string());
        url.to_string()
    };
    let next_page = (end < items.len()).then(|| link(page + 1));
    let previous_page = (page > 1).then(|| link(page - 1));
    (&items[start..end], next_page, previous_page)
}

fn reply(status: u16, body: Value) -> Response {
    FakeResponse::json(status, &body)
}

fn invalid(description: &str) -> Response {
    reply(400, json!({"error": "InvalidValue", "description": description}))
}

fn forbidden() -> Response {
    reply(
        403,
        json!({"error": {"title": "Forbidden", "message": "You do not have access to this page. Please contact the account owner of this help desk for further help."}}),
    )
}

fn not_found() -> Response {
    reply(404, json!({"error": "RecordNotFound", "description": "Not found"}))
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// `2024-06-03T12:00:00Z`: [`TalkdeskDate`](bridge::TalkdeskDate)'s `2024-06-03 12:00:00 UTC`, in RFC 3339's
/// spelling (the example cannot name `time`'s `Rfc3339` formatter: `time` is not one of its dependencies).
pub fn rfc3339(seconds: i64) -> String {
    let date = bridge::TalkdeskDate::from_unix_timestamp(seconds).expect("a date in range").to_string();
    let date = date.strip_suffix(" UTC").expect("a TalkdeskDate ends with UTC");
    format!("{}Z", date.replacen(' ', "T", 1))
}

/// The export's opaque cursor: the `(updated_at, id)` the next page starts after, in hex (Zendesk's are base64).
fn encode_cursor((updated_at, id): (i64, u64)) -> String {
    format!("{updated_at}.0||{id}|").bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_cursor(cursor: &str) -> Option<(i64, u64)> {
    if !cursor.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Vec<u8> = (0..cursor.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(cursor.get(i..i + 2)?, 16).ok())
        .collect::<Option<_>>()?;
    let text = String::from_utf8(bytes).ok()?;
    let (time, id) = text.strip_suffix('|')?.split_once(".0||")?;
    Some((time.parse().ok()?, id.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_dates_are_rfc3339() {
        assert_eq!(decode_cursor(&encode_cursor((1_717_416_000, 1042))), Some((1_717_416_000, 1042)));
        assert_eq!(decode_cursor("zz"), None);
        assert_eq!(rfc3339(START), "2024-06-03T12:00:00Z");
    }
}
