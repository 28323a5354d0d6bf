//! A fake HubSpot account, in memory, served on 127.0.0.1 by the test kit's
//! [`FakeServer`](bridge::testing::fake::FakeServer): what `--demo` runs against, and what `tests/it/hubspot.rs`
//! drives the bridge against, over real HTTP. This file holds HubSpot's behaviour only; the server, the fault
//! queue, the latency, the call log and the clock are the kit's.
//!
//! It serves the calls the bridge makes, with the shapes of HubSpot's OpenAPI descriptions (the tests check its
//! answers against trimmed fragments of them, `examples/hubspot/schemas.json`), and behaves as HubSpot does where a
//! bridge can get it wrong:
//!
//! - **OAuth 2.0**: `POST /oauth/v1/token` trades the refresh token (with the client id and secret) or an
//!   authorization code for a short-lived access token; `GET /oauth/v1/access-tokens/{token}` introspects one;
//!   every CRM call needs `Authorization: Bearer <access token>`, and answers `401` (`EXPIRED_AUTHENTICATION`) once
//!   it expired: after its lifetime, after a number of uses ([`Fake::token_uses`], so that tests expire tokens in
//!   the middle of a sync deterministically), or when revoked ([`Fake::expire_tokens`]); a scope the token was not
//!   granted is a `403` `MISSING_SCOPES` naming it;
//! - **the CRM search API**: filters (`EQ`, `GT`, `GTE`, `LT`, `LTE`, `IN` with lowercase `values`) in `AND`
//!   groups `OR`ed together, one sort,
//!   at most 200 results a page, an `after` offset, and the **10,000 results per query** limit (a `400` past it,
//!   as HubSpot); contacts are indexed by `lastmodifieddate`, so that a 50,000-contact sync stays fast;
//!   optionally a secondly rate limit ([`Fake::search_rate`]) answered, as HubSpot does, with a `429` **without
//!   `Retry-After`**, the policy named in the body;
//! - **a contact read by id with its associations** (`GET /crm/v3/objects/contacts/{id}?associations=notes,…`),
//!   each type's ids paged by 100 as HubSpot does; **v4 associations** from a contact to its notes, tasks, calls,
//!   emails, meetings and tickets; **batch reads** of those records (at most 100 inputs, `properties`,
//!   `archived`);
//! - **creating notes and tasks**, with HubSpot's `400 VALIDATION_ERROR` for an unknown owner, an unknown contact,
//!   a wrong association type, a missing `hs_timestamp` or a status or priority outside HubSpot's sets;
//! - **owners**, paged by an `after` cursor;
//! - **faults on demand** ([`Fake::inject`], on CRM calls, never on the token endpoint): the kit's ([`Fault`]:
//!   `429`, `503`, `500` with HubSpot's error bodies, slowness, garbage, a reset connection), `429`s of each of
//!   HubSpot's policies ([`rate_limit`]), and a search that ignores its sort ([`Fake::reverse_next_search`]); and a
//!   **latency** on every call ([`Fake::latency`]), to count the round trips a request waits for.
//!
//! The data's time is the fake's own clock in Unix milliseconds ([`Fake::clock`]); token lifetimes are real time.

use super::mapping::iso_millis;
pub use bridge::testing::fake::{Call, Fault, RunningFake};
use bridge::testing::fake::{Clock, FakeRequest, FakeResponse, FakeServer, Shared};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::MutexGuard;
use std::time::{Duration, Instant};

type Response = FakeResponse;

/// The OAuth client id of the Talkdesk integration (the app registered with HubSpot).
pub const CLIENT_ID: &str = "demo-client-5c1d2e";
/// Its client secret.
pub const CLIENT_SECRET: &str = "demo-secret-8a7f3b";
/// The refresh token Talkdesk holds after the user installed the integration.
pub const REFRESH_TOKEN: &str = "demo-refresh-2f9c41";
/// An authorization code the fake accepts once, as the end of HubSpot's authorization flow.
pub const AUTHORIZATION_CODE: &str = "demo-code-71ab";
/// The account (portal) id.
pub const HUB_ID: u64 = 4_242_424;
/// The clock of [`Fake::sample`]: 2024-06-03 12:00:00.000 UTC, in Unix milliseconds.
pub const START: i64 = 1_717_416_000_000;
/// HubSpot's search gives at most this many results per query.
pub const SEARCH_LIMIT: usize = 10_000;
/// Every scope the bridge asks for.
pub const ALL_SCOPES: [&str; 4] =
    ["crm.objects.contacts.read", "crm.objects.contacts.write", "crm.objects.owners.read", "tickets"];
/// The first contact id of [`Fake::sample`].
pub const FIRST_CONTACT: u64 = 101;

/// A contact.
#[derive(Debug, Clone, Default)]
pub struct Contact {
    pub id: u64,
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mobilephone: Option<String>,
    pub company: Option<String>,
    pub jobtitle: Option<String>,
    pub created: i64,
    pub modified: i64,
}

impl Contact {
    fn property(&self, name: &str) -> Option<String> {
        match name {
            "firstname" => self.firstname.clone(),
            "lastname" => self.lastname.clone(),
            "email" => self.email.clone(),
            "phone" => self.phone.clone(),
            "mobilephone" => self.mobilephone.clone(),
            "company" => self.company.clone(),
            "jobtitle" => self.jobtitle.clone(),
            "hs_object_id" => Some(self.id.to_string()),
            "createdate" => Some(iso_millis(self.created)),
            "lastmodifieddate" => Some(iso_millis(self.modified)),
            _ => None,
        }
    }
}

/// A note, task, call, email, meeting or ticket, associated with contacts.
#[derive(Debug, Clone)]
pub struct Record {
    pub id: u64,
    /// `notes`, `tasks`, `calls`, `emails`, `meetings` or `tickets`.
    pub object_type: &'static str,
    pub properties: BTreeMap<String, String>,
    pub created: i64,
    pub modified: i64,
    pub contacts: Vec<u64>,
}

/// An owner (a HubSpot user or a queue).
#[derive(Debug, Clone)]
pub struct Owner {
    pub id: u64,
    pub email: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub archived: bool,
    pub queue: bool,
}

/// HubSpot's `429` for `policy` (`SECONDLY`, `TEN_SECONDLY_ROLLING`, `DAILY`): no `Retry-After`, the policy in
/// the body.
pub fn rate_limit(policy: &str) -> Fault {
    Fault::Answer(rate_limited(policy))
}

/// HubSpot's answer to the kit's faults: its `429` (ten-secondly), `503` and `500` bodies.
fn error_answer(status: u16) -> Response {
    match status {
        429 => rate_limited("TEN_SECONDLY_ROLLING"),
        503 => error(503, "SERVICE_UNAVAILABLE", "Service unavailable", None),
        _ => error(500, "INTERNAL_ERROR", "Internal error", None),
    }
}

struct Token {
    scopes: Vec<String>,
    expires: Instant,
    uses_left: Option<u32>,
}

struct Account {
    clock: Clock,
    next_id: u64,
    contacts: HashMap<u64, Contact>,
    by_modified: BTreeSet<(i64, u64)>,
    records: HashMap<u64, Record>,
    associations: HashMap<(u64, &'static str), Vec<u64>>,
    owners: Vec<Owner>,
    access_tokens: HashMap<String, Token>,
    refresh_tokens: HashMap<String, Vec<String>>,
    codes: HashMap<String, Vec<String>>,
    token_lifetime: Duration,
    token_uses: Option<u32>,
    issued: u64,
    search_rate: Option<(u32, Instant, u32)>,
    reverse_search: bool,
}

/// How many associated ids of each type a contact read with `associations` carries (HubSpot's page of them).
pub const EMBEDDED_ASSOCIATIONS: usize = 100;

/// The fake account; clones share it.
#[derive(Clone)]
pub struct Fake {
    account: Shared<Account>,
    server: FakeServer,
    clock: Clock,
}

impl Default for Fake {
    fn default() -> Self {
        Self::new()
    }
}

/// Record types and their association type ids (record → contact).
const TO_CONTACT: [(&str, u32); 6] =
    [("notes", 202), ("tasks", 204), ("calls", 194), ("emails", 198), ("meetings", 200), ("tickets", 16)];

impl Fake {
    /// An account with its owners (five people, one archived, and a queue), no contacts, the refresh token
    /// [`REFRESH_TOKEN`] granted every scope, and access tokens that live 30 minutes, as HubSpot's.
    pub fn new() -> Self {
        let owners = [
            (501, "Olivia", "Owner", false, false),
            (502, "Paul", "Seller", false, false),
            (503, "Quinn", "Support", false, false),
            (504, "Rita", "Former", true, false),
            (505, "Sam", "Success", false, false),
            (506, "Tier 2", "Queue", false, true),
            (507, "Uma", "Account", false, false),
        ];
        let owners = owners
            .into_iter()
            .map(|(id, first, last, archived, queue)| Owner {
                id,
                email: (!queue).then(|| format!("{}.{}@example.com", first.to_lowercase(), last.to_lowercase())),
                first_name: first.to_owned(),
                last_name: last.to_owned(),
                archived,
                queue,
            })
            .collect();
        let clock = Clock::at_millis(START);
        let account = Account {
            clock: clock.clone(),
            next_id: FIRST_CONTACT,
            contacts: HashMap::new(),
            by_modified: BTreeSet::new(),
            records: HashMap::new(),
            associations: HashMap::new(),
            owners,
            access_tokens: HashMap::new(),
            refresh_tokens: HashMap::from([(REFRESH_TOKEN.to_owned(), scopes(&ALL_SCOPES))]),
            codes: HashMap::from([(AUTHORIZATION_CODE.to_owned(), scopes(&ALL_SCOPES))]),
            token_lifetime: Duration::from_secs(1800),
            token_uses: None,
            issued: 0,
            search_rate: None,
            reverse_search: false,
        };
        let account = Shared::new(account);
        let served = account.clone();
        let server = FakeServer::new(move |request| served.lock().answer(request))
            .errors(error_answer)
            .spare(|request| request.path().starts_with("/oauth/"));
        Self { account, server, clock }
    }

    /// [`new`](Self::new) with `contacts` sample contacts, numbered from [`FIRST_CONTACT`], modified in id order
    /// from an hour before [`START`] on, three by three in the same millisecond (ties everywhere) and, from the
    /// 1,000th, a run of 450 in one millisecond (an import); contact `n` (from 0) is `customer{n}@example.com`,
    /// has a phone unless `n % 4 == 0`, a mobile phone when `n % 3 == 0`, a company unless `n % 5 == 0`. The first
    /// 300 contacts have records: `n % 3` notes, `n % 4` tasks, and a call, an email, a meeting and a ticket when
    /// `n % 5`, `% 6`, `% 7`, `% 2` is `1`.
    pub fn sample(contacts: usize) -> Self {
        const FIRST: [&str; 10] = ["Ann", "Bob", "Cleo", "Dan", "Eva", "Finn", "Gus", "Hana", "Ivo", "Jade"];
        const LAST: [&str; 8] = ["Lopes", "Meyer", "Nakamura", "Okafor", "Park", "Quist", "Rossi", "Silva"];
        const COMPANIES: [&str; 4] = ["Acme Corp", "Globex", "Initech", "Umbrella"];
        let fake = Self::new();
        {
            let mut account = fake.lock();
            let first_time = START - 3_600_000;
            for n in 0..contacts {
                let time = if (1000..1450).contains(&n) { first_time + 1000 } else { first_time + (n as i64 / 3) };
                let contact = Contact {
                    firstname: Some(FIRST[n % FIRST.len()].to_owned()),
                    lastname: Some(LAST[(n / FIRST.len()) % LAST.len()].to_owned()),
                    email: Some(format!("customer{n}@example.com")),
                    phone: (n % 4 != 0).then(|| format!("+1 555 01{:05}", n)),
                    mobilephone: (n % 3 == 0).then(|| format!("+1 555 09{:05}", n)),
                    company: (n % 5 != 0).then(|| COMPANIES[n % COMPANIES.len()].to_owned()),
                    jobtitle: (n % 2 == 0).then(|| "Buyer".to_owned()),
                    created: time - 86_400_000,
                    modified: time,
                    ..Contact::default()
                };
                account.insert_contact(contact);
            }
            let ids: Vec<u64> = (0..contacts.min(300)).map(|n| FIRST_CONTACT + n as u64).collect();
            for (n, id) in ids.into_iter().enumerate() {
                account.sample_records(n, id);
            }
        }
        fake
    }

    fn lock(&self) -> MutexGuard<'_, Account> {
        self.account.lock()
    }

    /// The data's clock (Unix milliseconds), which only the test moves.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Adds a contact, modified now; its id.
    pub fn add_contact(&self, mut contact: Contact) -> u64 {
        let mut account = self.lock();
        contact.created = account.clock.now_millis();
        contact.modified = contact.created;
        account.insert_contact(contact)
    }

    /// Changes contacts, which are then modified now (the clock moves a millisecond first).
    pub fn update_contacts(&self, ids: &[u64], change: impl Fn(&mut Contact)) {
        let mut account = self.lock();
        let now = account.clock.tick_millis();
        for id in ids {
            let Some(mut contact) = account.contacts.get(id).cloned() else { continue };
            account.by_modified.remove(&(contact.modified, contact.id));
            change(&mut contact);
            contact.modified = now;
            account.by_modified.insert((now, contact.id));
            account.contacts.insert(*id, contact);
        }
    }

    /// Every contact, in id order.
    pub fn contacts(&self) -> Vec<Contact> {
        let mut all: Vec<Contact> = self.lock().contacts.values().cloned().collect();
        all.sort_by_key(|c| c.id);
        all
    }

    /// Adds a record associated with `contacts`; its id.
    pub fn add_record(
        &self,
        object_type: &'static str,
        properties: &[(&str, &str)],
        created: i64,
        contacts: &[u64],
    ) -> u64 {
        let properties = properties.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        self.lock().insert_record(object_type, properties, created, contacts.to_vec())
    }

    /// The records of `object_type` associated with `contact`.
    pub fn records_of(&self, contact: u64, object_type: &str) -> Vec<Record> {
        let account = self.lock();
        let mut found: Vec<Record> = account
            .records
            .values()
            .filter(|r| r.object_type == object_type && r.contacts.contains(&contact))
            .cloned()
            .collect();
        found.sort_by_key(|r| r.id);
        found
    }

    /// A record by id.
    pub fn record(&self, id: u64) -> Option<Record> {
        self.lock().records.get(&id).cloned()
    }

    /// Every owner.
    pub fn owners(&self) -> Vec<Owner> {
        self.lock().owners.clone()
    }

    /// Access tokens issued from now on expire after `uses` CRM calls each (`None`: only by time).
    pub fn token_uses(&self, uses: Option<u32>) {
        self.lock().token_uses = uses;
    }

    /// Access tokens issued from now on live this long.
    pub fn token_lifetime(&self, lifetime: Duration) {
        self.lock().token_lifetime = lifetime;
    }

    /// The search API answers at most `per_second` requests a second (per account), then `429` as HubSpot does.
    pub fn search_rate(&self, per_second: Option<u32>) {
        self.lock().search_rate = per_second.map(|limit| (limit, Instant::now(), 0));
    }

    /// Every call (OAuth included) is answered `delay` after it arrived, as from a HubSpot far away; calls that
    /// arrive together wait together.
    pub fn latency(&self, delay: Duration) {
        self.server.set_latency(delay);
    }

    /// A new access token with `scopes`, as the token endpoint would issue it.
    pub fn issue_token(&self, scopes: &[&str]) -> String {
        self.lock().issue(self::scopes(scopes))
    }

    /// A new access token with `scopes` that lives `lifetime` (zero: already expired).
    pub fn issue_token_for(&self, scopes: &[&str], lifetime: Duration) -> String {
        let mut account = self.lock();
        let token = account.issue(self::scopes(scopes));
        if let Some(entry) = account.access_tokens.get_mut(&token) {
            entry.expires = Instant::now() + lifetime;
        }
        token
    }

    /// A new refresh token granting `scopes`.
    pub fn issue_refresh_token(&self, scopes: &[&str]) -> String {
        let mut account = self.lock();
        account.issued += 1;
        let token = format!("demo-refresh-{:04}-{:08x}", account.issued, mix(account.issued));
        account.refresh_tokens.insert(token.clone(), self::scopes(scopes));
        token
    }

    /// Revokes every access token issued so far (HubSpot then answers `401`, and Talkdesk refreshes).
    pub fn expire_tokens(&self) {
        let now = Instant::now();
        for token in self.lock().access_tokens.values_mut() {
            token.expires = now;
        }
    }

    /// How many access tokens the token endpoint issued so far (refreshes and authorization codes).
    pub fn tokens_issued(&self) -> u64 {
        self.lock().issued
    }

    /// Misbehaves on the next CRM request (faults queue up, one per request).
    pub fn inject(&self, fault: Fault) {
        self.server.inject(fault);
    }

    /// The next search answers its results in reverse order (a sort not honoured).
    pub fn reverse_next_search(&self) {
        self.lock().reverse_search = true;
    }

    /// The requests received, oldest first (the latest 20,000).
    pub fn requests(&self) -> Vec<Call> {
        self.server.calls()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        self.server.call_log().clear();
    }

    /// Serves the account on 127.0.0.1 (a free port) until the returned handle is dropped; its
    /// [`url`](RunningFake::url) is what `HUBSPOT_BASE_URL` would be.
    pub async fn start(&self) -> std::io::Result<RunningFake> {
        self.server.start().await
    }

    /// Serves the account on `addr`.
    pub async fn start_on(&self, addr: SocketAddr) -> std::io::Result<RunningFake> {
        self.server.start_on(addr).await
    }
}

type Refused = Box<Response>;

fn scopes(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

impl Account {
    fn insert_contact(&mut self, mut contact: Contact) -> u64 {
        if contact.id == 0 {
            contact.id = self.next_id;
            self.next_id += 1;
        }
        self.by_modified.insert((contact.modified, contact.id));
        let id = contact.id;
        self.contacts.insert(id, contact);
        id
    }

    fn insert_record(
        &mut self,
        object_type: &'static str,
        properties: BTreeMap<String, String>,
        created: i64,
        contacts: Vec<u64>,
    ) -> u64 {
        let id = 9_000_000 + self.next_id;
        self.next_id += 1;
        for contact in &contacts {
            self.associations.entry((*contact, object_type)).or_default().push(id);
        }
        self.records.insert(id, Record { id, object_type, properties, created, modified: created, contacts });
        id
    }

    fn sample_records(&mut self, n: usize, contact: u64) {
        let day = 86_400_000;
        let at = |k: usize| START - (k as i64 + 1) * day - n as i64 * 1000;
        let add = |account: &mut Self, kind: &'static str, k: usize, props: Vec<(&str, String)>| {
            let mut props: BTreeMap<String, String> = props.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            props.entry("hs_timestamp".into()).or_insert_with(|| iso_millis(at(k)));
            account.insert_record(kind, props, at(k), vec![contact]);
        };
        const TASK_STATUSES: [&str; 5] = ["NOT_STARTED", "IN_PROGRESS", "WAITING", "DEFERRED", "COMPLETED"];
        const PRIORITIES: [&str; 3] = ["LOW", "MEDIUM", "HIGH"];
        for k in 0..n % 3 {
            add(
                self,
                "notes",
                k,
                vec![("hs_note_body", format!("<p>Spoke with the customer about <b>order {n}-{k}</b>.</p>"))],
            );
        }
        for k in 0..n % 4 {
            add(
                self,
                "tasks",
                k,
                vec![
                    ("hs_task_subject", format!("Follow up on quote {n}-{k}")),
                    ("hs_task_body", "Send the revised quote.".to_owned()),
                    ("hs_task_status", TASK_STATUSES[(n + k) % 5].to_owned()),
                    ("hs_task_priority", PRIORITIES[(n + k) % 3].to_owned()),
                    ("hs_task_type", "TODO".to_owned()),
                ],
            );
        }
        if n % 5 == 1 {
            add(
                self,
                "calls",
                0,
                vec![
                    ("hs_call_title", format!("Call with customer {n}")),
                    ("hs_call_body", "Discussed the renewal.".to_owned()),
                    ("hs_call_status", "COMPLETED".to_owned()),
                ],
            );
        }
        if n % 6 == 1 {
            add(
                self,
                "emails",
                1,
                vec![
                    ("hs_email_subject", format!("Your order {n}")),
                    ("hs_email_text", "Thanks for your order.".to_owned()),
                    ("hs_email_status", "SENT".to_owned()),
                ],
            );
        }
        if n % 7 == 1 {
            add(
                self,
                "meetings",
                2,
                vec![
                    ("hs_meeting_title", format!("Onboarding {n}")),
                    ("hs_meeting_body", "Walkthrough of the product.".to_owned()),
                    ("hs_meeting_outcome", "SCHEDULED".to_owned()),
                    ("hs_meeting_start_time", iso_millis(START + 2 * day)),
                ],
            );
        }
        if n % 2 == 1 {
            add(
                self,
                "tickets",
                3,
                vec![
                    ("subject", format!("Cannot log in ({n})")),
                    ("content", "The customer cannot log in since the update.".to_owned()),
                    ("hs_pipeline_stage", ((n / 2) % 4 + 1).to_string()),
                    ("hs_ticket_priority", ["LOW", "MEDIUM", "HIGH", "URGENT"][n % 4].to_owned()),
                    ("createdate", iso_millis(at(3))),
                ],
            );
        }
    }

    fn issue(&mut self, scopes: Vec<String>) -> String {
        self.issued += 1;
        let token = format!("demo-access-{:04}-{:016x}", self.issued, mix(self.issued));
        let entry = Token { scopes, expires: Instant::now() + self.token_lifetime, uses_left: self.token_uses };
        self.access_tokens.insert(token.clone(), entry);
        token
    }

    fn answer(&mut self, request: &FakeRequest) -> Response {
        let (method, segments, params) = (request.method().as_str(), request.segments(), request.query());
        let body = request.json();
        let body = body.as_ref();
        match (method, segments.as_slice()) {
            ("POST", ["oauth", "v1", "token"]) => return self.token(&request.form()),
            ("GET", ["oauth", "v1", "access-tokens", token]) => return self.token_info(token),
            _ => {}
        }
        let scopes = match self.bearer(request.bearer_token()) {
            Ok(scopes) => scopes,
            Err(refusal) => return *refusal,
        };
        let need = |scope: &str| -> Result<(), Refused> {
            match scopes.iter().any(|s| s == scope) {
                true => Ok(()),
                false => Err(missing_scope(scope).into()),
            }
        };
        let result = match (method, segments.as_slice()) {
            ("POST", ["crm", "v3", "objects", "contacts", "search"]) => {
                need("crm.objects.contacts.read").and_then(|()| self.search(body))
            }
            ("GET", ["crm", "v3", "objects", "contacts", id]) => {
                need("crm.objects.contacts.read").and_then(|()| self.contact(id, params))
            }
            ("GET", ["crm", "v4", "objects", "contacts", id, "associations", to]) => {
                need("crm.objects.contacts.read").and_then(|()| self.associations(id, to, params))
            }
            ("POST", ["crm", "v3", "objects", kind, "batch", "read"]) => {
                let scope = if *kind == "tickets" { "tickets" } else { "crm.objects.contacts.read" };
                need(scope).and_then(|()| self.batch_read(kind, params, body))
            }
            ("POST", ["crm", "v3", "objects", kind @ ("notes" | "tasks")]) => {
                let kind = if *kind == "notes" { "notes" } else { "tasks" };
                need("crm.objects.contacts.write").and_then(|()| self.create(kind, body))
            }
            ("GET", ["crm", "v3", "owners"] | ["crm", "v3", "owners", ""]) => {
                need("crm.objects.owners.read").and_then(|()| self.list_owners(params))
            }
            _ => Err(error(404, "OBJECT_NOT_FOUND", "Resource not found", None).into()),
        };
        result.unwrap_or_else(|refusal| *refusal)
    }

    /// The scopes of the bearer token, or HubSpot's `401`; a use of the token is counted.
    fn bearer(&mut self, token: Option<&str>) -> Result<Vec<String>, Refused> {
        let Some(token) = token else {
            let message = "Authentication credentials not found. This API supports OAuth 2.0 authentication.";
            return Err(error(401, "INVALID_AUTHENTICATION", message, None).into());
        };
        let Some(entry) = self.access_tokens.get_mut(token) else {
            return Err(error(
                401,
                "INVALID_AUTHENTICATION",
                "The OAuth token used to make this call is invalid.",
                None,
            )
            .into());
        };
        if entry.expires <= Instant::now() || entry.uses_left == Some(0) {
            let message = "The OAuth token used to make this call expired.";
            return Err(error(401, "EXPIRED_AUTHENTICATION", message, None).into());
        }
        if let Some(left) = entry.uses_left.as_mut() {
            *left -= 1;
        }
        Ok(entry.scopes.clone())
    }

    /// `POST /oauth/v1/token`.
    fn token(&mut self, form: &[(String, String)]) -> Response {
        let field = |name: &str| form.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        let oauth_error = |status: &str, message: &str| {
            reply(
                400,
                json!({"status": status, "message": message, "correlationId": correlation_id(), "category": status}),
            )
        };
        if field("client_id") != Some(CLIENT_ID) {
            return oauth_error("BAD_CLIENT_ID", "missing or invalid client_id");
        }
        if field("client_secret") != Some(CLIENT_SECRET) {
            return oauth_error("BAD_CLIENT_SECRET", "missing or invalid client_secret");
        }
        let (scopes, refresh) = match field("grant_type") {
            Some("refresh_token") => {
                let refresh = field("refresh_token").unwrap_or("");
                match self.refresh_tokens.get(refresh) {
                    Some(scopes) => (scopes.clone(), refresh.to_owned()),
                    None => return oauth_error("BAD_REFRESH_TOKEN", "missing or unknown refresh token"),
                }
            }
            Some("authorization_code") => match self.codes.remove(field("code").unwrap_or("")) {
                Some(scopes) => {
                    self.issued += 1;
                    let refresh = format!("demo-refresh-{:04}-{:08x}", self.issued, mix(self.issued));
                    self.refresh_tokens.insert(refresh.clone(), scopes.clone());
                    (scopes, refresh)
                }
                None => return oauth_error("BAD_AUTH_CODE", "missing or unknown auth code"),
            },
            _ => return oauth_error("BAD_GRANT_TYPE", "grant_type must be refresh_token or authorization_code"),
        };
        let access = self.issue(scopes);
        reply(
            200,
            json!({
                "access_token": access,
                "refresh_token": refresh,
                "expires_in": self.token_lifetime.as_secs(),
                "token_type": "bearer",
            }),
        )
    }

    /// `GET /oauth/v1/access-tokens/{token}`.
    fn token_info(&self, token: &str) -> Response {
        match self.access_tokens.get(token) {
            Some(entry) if entry.expires > Instant::now() && entry.uses_left != Some(0) => {
                let left = entry.expires.saturating_duration_since(Instant::now()).as_secs().max(1);
                reply(
                    200,
                    json!({
                        "token": token,
                        "user": "olivia.owner@example.com",
                        "hub_domain": "demo.example.com",
                        "scopes": entry.scopes,
                        "hub_id": HUB_ID,
                        "app_id": 77,
                        "expires_in": left,
                        "user_id": 501,
                        "token_type": "access",
                    }),
                )
            }
            _ => error(404, "OBJECT_NOT_FOUND", "access token not found or expired", None),
        }
    }

    /// `POST /crm/v3/objects/contacts/search`.
    fn search(&mut self, body: Option<&Value>) -> Result<Response, Refused> {
        if let Some((limit, since, count)) = self.search_rate.as_mut() {
            if since.elapsed() >= Duration::from_secs(1) {
                (*since, *count) = (Instant::now(), 0);
            }
            *count += 1;
            if *count > *limit {
                return Err(rate_limited("SECONDLY").into());
            }
        }
        let body = body.ok_or_else(|| Box::new(invalid("Invalid input JSON")))?;
        let limit = body.get("limit").and_then(Value::as_u64).unwrap_or(10);
        if !(1..=200).contains(&limit) {
            return Err(invalid("limit must be between 1 and 200").into());
        }
        let offset: usize = match body.get("after") {
            None | Some(Value::Null) => 0,
            Some(Value::String(after)) => after.parse().map_err(|_| Box::new(invalid("after must be a number")))?,
            Some(_) => return Err(invalid("after must be a string").into()),
        };
        if offset >= SEARCH_LIMIT {
            let message = format!("Cannot page past {SEARCH_LIMIT} results (after={offset}): narrow the search");
            return Err(invalid(&message).into());
        }
        let groups = parse_filter_groups(body).map_err(|m| Box::new(invalid(&m)))?;
        let properties: Vec<String> = body
            .get("properties")
            .and_then(Value::as_array)
            .map(|p| p.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_else(|| scopes(&["firstname", "lastname", "email", "createdate", "lastmodifieddate"]));
        let want = offset + limit as usize;
        // One indexed range when the only condition is a lower bound on lastmodifieddate (the sync's query);
        // a scan otherwise (lookups by email or phone), sorted by lastmodifieddate.
        let only = match groups.as_slice() {
            [group] if group.len() == 1 => Some(&group[0]),
            _ => None,
        };
        let (page, total): (Vec<&Contact>, usize) = match only {
            Some((property, op, value)) if property == "lastmodifieddate" && (op == "GTE" || op == "GT") => {
                let from = value
                    .first()
                    .map_or("", String::as_str)
                    .parse::<i64>()
                    .map_err(|_| Box::new(invalid("lastmodifieddate must be a number")))?;
                let from = if op == "GT" { from + 1 } else { from };
                let range = self.by_modified.range((from, 0)..);
                let total = range.clone().count();
                let page = range.skip(offset).take(limit as usize).map(|(_, id)| &self.contacts[id]).collect();
                (page, total)
            }
            _ => {
                let mut all: Vec<&Contact> = self
                    .by_modified
                    .iter()
                    .map(|(_, id)| &self.contacts[id])
                    .filter(|c| groups.is_empty() || groups.iter().any(|g| g.iter().all(|f| matches(c, f))))
                    .collect();
                let total = all.len();
                all.truncate(want);
                (all.into_iter().skip(offset).collect(), total)
            }
        };
        let mut results: Vec<Value> = page.iter().map(|c| contact_json(c, &properties)).collect();
        if std::mem::take(&mut self.reverse_search) {
            results.reverse();
        }
        let mut answer = json!({"total": total, "results": results});
        if want < total {
            answer["paging"] = json!({"next": {"after": want.to_string(), "link": format!("?after={want}")}});
        }
        Ok(reply(200, answer))
    }

    /// `GET /crm/v3/objects/contacts/{contactId}`: the contact with `properties` (HubSpot's defaults when none are
    /// asked for) and, for each type `associations` names, the first [`EMBEDDED_ASSOCIATIONS`] associated ids with a
    /// `paging.next` cursor when there are more (HubSpot's paging of associations since 2021); types without any
    /// are left out. Both parameters are comma-separated lists, or repeated. `archived=true` asks for archived
    /// contacts only: this account has none.
    fn contact(&self, id: &str, params: &[(String, String)]) -> Result<Response, Refused> {
        let not_found =
            || Box::new(error(404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.", None));
        let contact = id.parse::<u64>().ok().and_then(|id| self.contacts.get(&id)).ok_or_else(not_found)?;
        if param(params, "archived") == Some("true") {
            return Err(not_found());
        }
        let list = |name: &str| -> Vec<String> {
            let values = params.iter().filter(|(n, _)| n == name).flat_map(|(_, v)| v.split(','));
            values.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned).collect()
        };
        let mut properties = list("properties");
        if properties.is_empty() {
            properties = scopes(&["firstname", "lastname", "email"]);
        }
        let mut answer = contact_json(contact, &properties);
        let mut associations = Map::new();
        for to in list("associations") {
            let Some((object_type, _)) = TO_CONTACT.iter().find(|(t, _)| *t == to) else { continue };
            let all = self.associations.get(&(contact.id, *object_type)).map_or(&[][..], Vec::as_slice);
            if all.is_empty() {
                continue;
            }
            let singular = object_type.trim_end_matches('s');
            let results: Vec<Value> = all
                .iter()
                .take(EMBEDDED_ASSOCIATIONS)
                .map(|record| json!({"id": record.to_string(), "type": format!("contact_to_{singular}")}))
                .collect();
            let mut page = json!({ "results": results });
            if all.len() > EMBEDDED_ASSOCIATIONS {
                let after = EMBEDDED_ASSOCIATIONS.to_string();
                let link = format!("/crm/v4/objects/contacts/{}/associations/{object_type}?after={after}", contact.id);
                page["paging"] = json!({"next": {"after": after, "link": link}});
            }
            associations.insert((*object_type).to_owned(), page);
        }
        if !associations.is_empty() {
            answer["associations"] = Value::Object(associations);
        }
        Ok(reply(200, answer))
    }

    /// `GET /crm/v4/objects/contacts/{id}/associations/{toObjectType}`.
    fn associations(&self, id: &str, to: &str, params: &[(String, String)]) -> Result<Response, Refused> {
        let Some((object_type, type_id)) = TO_CONTACT.iter().find(|(t, _)| *t == to) else {
            return Err(invalid(&format!("Unknown object type {to}")).into());
        };
        let id: u64 = id.parse().map_err(|_| Box::new(invalid("objectId must be a number")))?;
        let limit: usize = param(params, "limit").and_then(|l| l.parse().ok()).unwrap_or(500).clamp(1, 500);
        let offset: usize = param(params, "after").and_then(|a| a.parse().ok()).unwrap_or(0);
        let all = self.associations.get(&(id, *object_type)).map_or(&[][..], Vec::as_slice);
        let results: Vec<Value> = all
            .iter()
            .skip(offset)
            .take(limit)
            .map(|record| {
                json!({
                    "toObjectId": record.to_string(),
                    "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": type_id - 1}],
                })
            })
            .collect();
        let mut answer = json!({ "results": results });
        if offset + limit < all.len() {
            answer["paging"] = json!({"next": {"after": (offset + limit).to_string()}});
        }
        Ok(reply(200, answer))
    }

    /// `POST /crm/v3/objects/{objectType}/batch/read`.
    /// At most 100 inputs; ids that are not records of `objectType` are left out. `archived=true` reads archived
    /// records only: this account has none.
    fn batch_read(&self, kind: &str, params: &[(String, String)], body: Option<&Value>) -> Result<Response, Refused> {
        if !TO_CONTACT.iter().any(|(t, _)| *t == kind) {
            return Err(error(404, "OBJECT_NOT_FOUND", &format!("Unknown object type {kind}"), None).into());
        }
        let body = body.ok_or_else(|| Box::new(invalid("Invalid input JSON")))?;
        let inputs =
            body.get("inputs").and_then(Value::as_array).ok_or_else(|| Box::new(invalid("inputs is required")))?;
        if inputs.len() > 100 {
            return Err(invalid("at most 100 inputs per batch").into());
        }
        let properties: Vec<String> = body
            .get("properties")
            .and_then(Value::as_array)
            .map(|p| p.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        let archived = param(params, "archived") == Some("true");
        let results: Vec<Value> = inputs
            .iter()
            .filter_map(|input| input.get("id")?.as_str()?.parse::<u64>().ok())
            .filter_map(|id| self.records.get(&id).filter(|r| r.object_type == kind && !archived))
            .map(|record| record_json(record, &properties))
            .collect();
        let now = iso_millis(self.clock.now_millis());
        Ok(reply(200, json!({"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now})))
    }

    /// `POST /crm/v3/objects/{notes,tasks}`.
    fn create(&mut self, kind: &'static str, body: Option<&Value>) -> Result<Response, Refused> {
        let body = body.ok_or_else(|| Box::new(invalid("Invalid input JSON")))?;
        let properties: BTreeMap<String, String> = body
            .get("properties")
            .and_then(Value::as_object)
            .ok_or_else(|| Box::new(invalid("properties is required")))?
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
            .collect();
        let mut problems = Vec::new();
        if properties.get("hs_timestamp").is_none_or(|t| super::mapping::millis(t).is_none()) {
            problems.push("hs_timestamp is required, as a date".to_owned());
        }
        if let Some(owner) = properties.get("hubspot_owner_id") {
            let known = self.owners.iter().any(|o| o.id.to_string() == *owner && !o.archived);
            if !known {
                problems.push(format!("{owner} is not a valid owner id"));
            }
        }
        if kind == "tasks" {
            let status = properties.get("hs_task_status").map(String::as_str);
            if !matches!(status, None | Some("NOT_STARTED" | "IN_PROGRESS" | "WAITING" | "DEFERRED" | "COMPLETED")) {
                problems
                    .push(format!("{} was not one of the allowed options for hs_task_status", status.unwrap_or("")));
            }
            let priority = properties.get("hs_task_priority").map(String::as_str);
            if !matches!(priority, None | Some("LOW" | "MEDIUM" | "HIGH" | "NONE")) {
                problems.push(format!(
                    "{} was not one of the allowed options for hs_task_priority",
                    priority.unwrap_or("")
                ));
            }
        }
        let expected_type = TO_CONTACT.iter().find(|(t, _)| *t == kind).map(|(_, id)| *id);
        let mut contacts = Vec::new();
        for association in body.get("associations").and_then(Value::as_array).map_or(&[][..], Vec::as_slice) {
            let to = association.pointer("/to/id").and_then(Value::as_str).and_then(|id| id.parse::<u64>().ok());
            let type_id = association.pointer("/types/0/associationTypeId").and_then(Value::as_u64);
            match to {
                Some(id) if self.contacts.contains_key(&id) => contacts.push(id),
                _ => problems.push(format!(
                    "No contact with id {} exists",
                    association.pointer("/to/id").unwrap_or(&Value::Null)
                )),
            }
            if type_id.map(|t| t as u32) != expected_type {
                problems.push(format!("association type {type_id:?} is not {kind} to contact"));
            }
        }
        if !problems.is_empty() {
            let message = format!("Property values were not valid: {}", problems.join("; "));
            return Err(error(400, "VALIDATION_ERROR", &message, None).into());
        }
        let id = self.insert_record(kind, properties, self.clock.tick_millis(), contacts);
        let record = record_json(&self.records[&id], &[]);
        Ok(reply(201, record))
    }

    /// `GET /crm/v3/owners/`.
    fn list_owners(&self, params: &[(String, String)]) -> Result<Response, Refused> {
        let limit: usize = match param(params, "limit") {
            None => 100,
            Some(l) => l
                .parse()
                .ok()
                .filter(|l| (1..=500).contains(l))
                .ok_or_else(|| Box::new(invalid("limit must be 1-500")))?,
        };
        let offset: usize = match param(params, "after") {
            None => 0,
            Some(after) => decode_after(after).ok_or_else(|| Box::new(invalid("after is not a valid cursor")))?,
        };
        let archived = param(params, "archived") == Some("true");
        let owners: Vec<&Owner> = self.owners.iter().filter(|o| o.archived == archived).collect();
        let results: Vec<Value> = owners.iter().skip(offset).take(limit).map(|o| owner_json(o)).collect();
        let mut answer = json!({ "results": results });
        if offset + limit < owners.len() {
            let after = encode_after(offset + limit);
            answer["paging"] = json!({"next": {"after": after, "link": format!("?after={after}")}});
        }
        Ok(reply(200, answer))
    }
}

/// A filter: a property, an operator, and its value (`IN`: its values).
type Condition = (String, String, Vec<String>);

fn parse_filter_groups(body: &Value) -> Result<Vec<Vec<Condition>>, String> {
    let groups = body.get("filterGroups").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    if groups.len() > 5 {
        return Err("at most 5 filterGroups".into());
    }
    groups
        .iter()
        .map(|group| {
            let filters = group.get("filters").and_then(Value::as_array).ok_or("filters is required")?;
            filters
                .iter()
                .map(|f| {
                    let text = |k: &str| f.get(k).and_then(Value::as_str).map(str::to_owned);
                    let property = text("propertyName").ok_or("propertyName is required")?;
                    let operator = text("operator").unwrap_or_else(|| "EQ".to_owned());
                    let text = |v: &Value| match v {
                        Value::Number(n) => n.to_string(),
                        Value::String(s) => s.clone(),
                        _ => String::new(),
                    };
                    let values = match operator.as_str() {
                        "IN" => f
                            .get("values")
                            .and_then(Value::as_array)
                            .ok_or("IN needs values")?
                            .iter()
                            .map(text)
                            .collect(),
                        _ => vec![f.get("value").map(text).unwrap_or_default()],
                    };
                    Ok((property, operator, values))
                })
                .collect()
        })
        .collect()
}

fn matches(contact: &Contact, (property, operator, values): &Condition) -> bool {
    let value = values.first().map_or("", String::as_str);
    if property == "lastmodifieddate" || property == "createdate" {
        let Ok(bound) = value.parse::<i64>() else { return false };
        let time = if property == "lastmodifieddate" { contact.modified } else { contact.created };
        return match operator.as_str() {
            "EQ" => time == bound,
            "GT" => time > bound,
            "GTE" => time >= bound,
            "LT" => time < bound,
            "LTE" => time <= bound,
            _ => false,
        };
    }
    let actual = contact.property(property);
    match operator.as_str() {
        // HubSpot compares emails without regard to case.
        "EQ" => actual.is_some_and(|a| a.eq_ignore_ascii_case(value.trim())),
        "NEQ" => !actual.is_some_and(|a| a.eq_ignore_ascii_case(value.trim())),
        // HubSpot asks for `IN` values in lowercase, and compares them as `EQ` does.
        "IN" => {
            actual.is_some_and(|a| values.iter().any(|v| v == &v.to_lowercase() && a.eq_ignore_ascii_case(v.trim())))
        }
        "HAS_PROPERTY" => actual.is_some(),
        _ => false,
    }
}

fn contact_json(contact: &Contact, properties: &[String]) -> Value {
    let mut props = Map::new();
    for name in properties.iter().map(String::as_str).chain(["hs_object_id", "lastmodifieddate", "createdate"]) {
        props.insert(name.to_owned(), contact.property(name).map_or(Value::Null, Value::String));
    }
    json!({
        "id": contact.id.to_string(),
        "properties": props,
        "createdAt": iso_millis(contact.created),
        "updatedAt": iso_millis(contact.modified),
        "archived": false,
    })
}

fn record_json(record: &Record, properties: &[String]) -> Value {
    let mut props = Map::new();
    props.insert("hs_object_id".into(), json!(record.id.to_string()));
    props.insert("hs_createdate".into(), json!(iso_millis(record.created)));
    props.insert("hs_lastmodifieddate".into(), json!(iso_millis(record.modified)));
    let wanted = |name: &String| properties.is_empty() || properties.contains(name);
    for (name, value) in record.properties.iter().filter(|(name, _)| wanted(name)) {
        props.insert(name.clone(), json!(value));
    }
    for name in properties {
        props.entry(name.clone()).or_insert(Value::Null);
    }
    json!({
        "id": record.id.to_string(),
        "properties": props,
        "createdAt": iso_millis(record.created),
        "updatedAt": iso_millis(record.modified),
        "archived": false,
    })
}

fn owner_json(owner: &Owner) -> Value {
    let mut value = json!({
        "id": owner.id.to_string(),
        "firstName": owner.first_name,
        "lastName": owner.last_name,
        "createdAt": iso_millis(START - 400 * 86_400_000),
        "updatedAt": iso_millis(START - 40 * 86_400_000),
        "archived": owner.archived,
        "type": if owner.queue { "QUEUE" } else { "PERSON" },
        "teams": [],
    });
    if let Some(email) = &owner.email {
        value["email"] = json!(email);
        value["userId"] = json!(owner.id + 9000);
    }
    value
}

/// The owners' `after` cursor: opaque, as HubSpot's (the offset, in base 36, behind a prefix).
fn encode_after(offset: usize) -> String {
    format!("MTA{}", to_base36(offset as u64))
}

fn decode_after(after: &str) -> Option<usize> {
    usize::from_str_radix(after.strip_prefix("MTA")?, 36).ok()
}

fn to_base36(mut n: u64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII")
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// A scrambled counter, for tokens that look random but are reproducible.
fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn correlation_id() -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = mix(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        n >> 32,
        (n >> 16) & 0xffff,
        n & 0xfff,
        (n >> 20) & 0xfff,
        mix(n) & 0xffff_ffff_ffff
    )
}

fn reply(status: u16, body: Value) -> Response {
    FakeResponse::json(status, &body).header("content-type", "application/json;charset=utf-8")
}

/// HubSpot's error body (`Error`).
fn error(status: u16, category: &str, message: &str, errors: Option<Value>) -> Response {
    let mut body = json!({
        "status": "error",
        "message": message,
        "correlationId": correlation_id(),
        "category": category,
    });
    if let Some(errors) = errors {
        body["errors"] = errors;
    }
    reply(status, body)
}

fn invalid(message: &str) -> Response {
    error(400, "VALIDATION_ERROR", message, None)
}

fn missing_scope(scope: &str) -> Response {
    let message = "This app hasn't been granted all required scopes to make this call. Read more about required \
                   scopes here: https://developers.hubspot.com/scopes.";
    let errors = json!([{"message": format!("One or more of the following scopes are required: {scope}"),
        "context": {"requiredGranularScopes": [scope]}}]);
    error(403, "MISSING_SCOPES", message, Some(errors))
}

/// HubSpot's `429`: no `Retry-After`, the policy in the body and the limits in headers.
fn rate_limited(policy: &str) -> Response {
    let (message, interval, max) = match policy {
        "SECONDLY" => ("You have reached your secondly limit.", 1000, 5),
        "DAILY" => ("You have reached your daily limit.", 86_400_000, 250_000),
        _ => ("You have reached your ten_secondly_rolling limit.", 10_000, 100),
    };
    let response = reply(
        429,
        json!({
            "status": "error",
            "message": message,
            "errorType": "RATE_LIMIT",
            "correlationId": correlation_id(),
            "policyName": policy,
            "groupName": "publicapi",
        }),
    );
    let daily_left = if policy == "DAILY" { 0 } else { 200_000 };
    response
        .header("x-hubspot-ratelimit-interval-milliseconds", interval)
        .header("x-hubspot-ratelimit-max", max)
        .header("x-hubspot-ratelimit-remaining", 0)
        .header("x-hubspot-ratelimit-daily-remaining", daily_left)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_cursors_round_trip() {
        for n in [0, 3, 35, 36, 1000] {
            assert_eq!(decode_after(&encode_after(n)), Some(n));
        }
        assert_eq!(decode_after("3"), None);
    }
}
