//! A fake Salesforce org, in memory, served on 127.0.0.1 by the test kit's
//! [`FakeServer`](bridge::testing::fake::FakeServer): what `--demo` runs against, and what
//! `tests/it/salesforce.rs` drives the bridge against. Its shapes follow Salesforce's REST API reference (see the
//! example's README for which page each came from):
//!
//! - `GET /services/oauth2/userinfo`: the token's user, its `urls.rest` and `urls.custom_domain` (the org's
//!   instance, [`Fake::instance`]);
//! - `GET /services/data/v60.0/sobjects`: describe global, `queryable` and `createable` per object, as the
//!   token's user may ([`Fake::issue_token`] takes the objects it may not see);
//! - `GET …/query?q=`: **SOQL, parsed and run** (a subset: fields, `Account.Name`, relationship subqueries of
//!   `Cases`, `Tasks`, `Events`; `WHERE` with `=`, `!=`, `<`, `<=`, `>`, `>=`, `IN`, `AND`, `OR`, parentheses;
//!   `ORDER BY`; `LIMIT`; `OFFSET`), string literals read with SOQL's escape sequences (a value spliced in raw is
//!   a `MALFORMED_QUERY`, or a different query), deleted records left out; `Sforce-Query-Options: batchSize`
//!   splits an answer, the rest at `nextRecordsUrl` (`GET …/query/<locator>`);
//! - `GET …/search?q=FIND {…} IN PHONE FIELDS RETURNING …`: SOSL over phone numbers (their digits), the term's
//!   escapes read;
//! - `POST …/sobjects/Case`, `…/Task`: created, or Salesforce's `400` error array naming `fields`;
//! - errors as Salesforce's JSON array: `401 INVALID_SESSION_ID`, `400 INVALID_TYPE`, `INVALID_FIELD`,
//!   `MALFORMED_QUERY`, `403 REQUEST_LIMIT_EXCEEDED` past the org's daily allocation; and
//!   `Sforce-Limit-Info: api-usage=N/M` on every answer (each call counts, as Salesforce counts them).
//!
//! Faults ([`Fake::inject`]) and latency ([`Fake::latency`]) are the kit's.

use super::mapping::iso_millis;
use super::soql::Id;
pub use bridge::testing::fake::{Call, Fault, RunningFake};
use bridge::testing::fake::{Clock, FakeRequest, FakeResponse, FakeServer, Shared};
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::time::Duration;

type Response = FakeResponse;
/// A refusal on its way out of the SOQL parser and runner (boxed: an answer is large).
type Refused = Box<FakeResponse>;

/// The org's instance, as userinfo says it.
pub const INSTANCE: &str = "https://acme.my.salesforce.com";
/// The clock of [`Fake::sample`]: 2024-06-03 12:00:00.000 UTC, in Unix milliseconds.
pub const START: i64 = 1_717_416_000_000;
/// The org's daily API allocation (a Developer Edition's).
pub const DAILY_LIMIT: u64 = 15_000;
const API: &str = "/services/data/v60.0";

/// The fields each object has (a query naming another is `INVALID_FIELD`).
const FIELDS: [(&str, &[&str]); 6] = [
    (
        "Contact",
        &["Id", "FirstName", "LastName", "Email", "Phone", "MobilePhone", "Title", "SystemModstamp", "CreatedDate"],
    ),
    (
        "Lead",
        &[
            "Id",
            "FirstName",
            "LastName",
            "Email",
            "Phone",
            "MobilePhone",
            "Title",
            "Company",
            "IsConverted",
            "SystemModstamp",
            "CreatedDate",
        ],
    ),
    (
        "Case",
        &["Id", "CaseNumber", "Subject", "Description", "Status", "Priority", "Origin", "ContactId", "CreatedDate"],
    ),
    (
        "Task",
        &[
            "Id",
            "Subject",
            "Description",
            "Status",
            "Priority",
            "TaskSubtype",
            "CallDurationInSeconds",
            "ActivityDate",
            "WhoId",
            "CreatedDate",
        ],
    ),
    ("Event", &["Id", "Subject", "Description", "StartDateTime", "WhoId", "CreatedDate"]),
    ("User", &["Id", "Name", "Email", "IsActive", "UserType"]),
];

/// Child relationships: (parent, relationship, child object, the child's field pointing at the parent).
const RELATIONSHIPS: [(&str, &str, &str, &str); 5] = [
    ("Contact", "Cases", "Case", "ContactId"),
    ("Contact", "Tasks", "Task", "WhoId"),
    ("Contact", "Events", "Event", "WhoId"),
    ("Lead", "Tasks", "Task", "WhoId"),
    ("Lead", "Events", "Event", "WhoId"),
];

fn prefix(object: &str) -> &'static str {
    match object {
        "Contact" => "003",
        "Lead" => "00Q",
        "Case" => "500",
        "Task" => "00T",
        "Event" => "00U",
        "User" => "005",
        _ => "001",
    }
}

/// A record: its object and fields (Salesforce's names; `_Account` holds a Contact's account name).
#[derive(Debug, Clone)]
pub struct Record {
    pub object: &'static str,
    pub fields: Map<String, Value>,
    pub deleted: bool,
}

impl Record {
    pub fn id(&self) -> &str {
        self.fields["Id"].as_str().unwrap_or_default()
    }
}

struct Org {
    clock: Clock,
    next: u64,
    records: Vec<Record>,
    by_id: HashMap<String, usize>,
    tokens: HashMap<String, HashSet<String>>,
    instance: String,
    used: u64,
    limit: u64,
    locators: HashMap<String, Vec<Value>>,
    cases: u64,
}

/// The fake org; clones share it.
#[derive(Clone)]
pub struct Fake {
    org: Shared<Org>,
    server: FakeServer,
}

impl Default for Fake {
    fn default() -> Self {
        Self::new()
    }
}

impl Fake {
    /// An org with its Users (four active, one inactive, an automated one), nothing else, no token.
    pub fn new() -> Self {
        let org = Org {
            clock: Clock::at_millis(START),
            next: 1,
            records: Vec::new(),
            by_id: HashMap::new(),
            tokens: HashMap::new(),
            instance: INSTANCE.to_owned(),
            used: 0,
            limit: DAILY_LIMIT,
            locators: HashMap::new(),
            cases: 1000,
        };
        let org = Shared::new(org);
        let served = org.clone();
        let server = FakeServer::new(move |request| served.lock().answer(request)).errors(|status| match status {
            503 => errors(503, "SERVER_UNAVAILABLE", "Server unavailable", &[]),
            429 => errors(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", &[]),
            _ => errors(500, "UNKNOWN_EXCEPTION", "An unexpected error occurred.", &[]),
        });
        let fake = Self { org, server };
        for (name, active, kind) in [
            ("Olivia Owner", true, "Standard"),
            ("Paul Seller", true, "Standard"),
            ("Quinn Support", true, "Standard"),
            ("Rita Former", false, "Standard"),
            ("Sam Success", true, "Standard"),
            ("Automated Process", true, "AutomatedProcess"),
        ] {
            let email = format!("{}@acme.example", name.to_lowercase().replace(' ', "."));
            fake.insert("User", json!({"Name": name, "Email": email, "IsActive": active, "UserType": kind}));
        }
        fake
    }

    /// [`new`](Self::new) with `contacts` Contacts and `contacts / 4` Leads, stamped from an hour before
    /// [`START`], three by three in the same millisecond (ties); contact `n` is `customer{n}@example.com`, has a
    /// phone `+1 555 01{n:05}` unless `n % 4 == 0`; the first 50 have `n % 3` Cases, `n % 4` Tasks (one a logged
    /// call) and an Event when `n % 2 == 1`; lead `n` is `lead{n}@example.com`, phone `+1 555 02{n:05}`, with a
    /// Task.
    pub fn sample(contacts: usize) -> Self {
        const FIRST: [&str; 6] = ["Ann", "Bob", "Cleo", "Dan", "Eva", "Finn"];
        let fake = Self::new();
        let base = START - 3_600_000;
        for n in 0..contacts {
            let stamp = base + (n as i64 / 3);
            let mut contact = json!({
                "FirstName": FIRST[n % FIRST.len()], "LastName": format!("Customer{n}"),
                "Email": format!("customer{n}@example.com"), "Title": "Buyer", "_Account": "Acme Corp",
            });
            if n % 4 != 0 {
                contact["Phone"] = json!(format!("+1 555 01{n:05}"));
            }
            let id = fake.insert_at("Contact", contact, stamp);
            if n < 50 {
                for c in 0..n % 3 {
                    let status = ["New", "Working", "Closed"][c % 3];
                    let case = json!({"Subject": format!("Case {c} of customer {n}"), "Status": status,
                        "Priority": "Medium", "Origin": "Phone", "ContactId": id, "Description": "From the sample"});
                    fake.insert_at("Case", case, stamp + c as i64);
                }
                for t in 0..n % 4 {
                    let subtype = if t == 0 { "Call" } else { "Task" };
                    let task = json!({"Subject": format!("{subtype} {t} with customer {n}"), "Status": "Completed",
                        "Priority": "Normal", "TaskSubtype": subtype, "WhoId": id});
                    fake.insert_at("Task", task, stamp + t as i64);
                }
                if n % 2 == 1 {
                    let event = json!({"Subject": format!("Meeting with customer {n}"), "WhoId": id,
                        "StartDateTime": iso_millis(START + 86_400_000)});
                    fake.insert_at("Event", event, stamp);
                }
            }
        }
        for n in 0..contacts / 4 {
            let lead = json!({"FirstName": "Lee", "LastName": format!("Lead{n}"), "Email": format!("lead{n}@example.com"),
                "Phone": format!("+1 555 02{n:05}"), "Company": "Prospect Inc", "IsConverted": false});
            let id = fake.insert_at("Lead", lead, base + (n as i64 * 4) / 3);
            let task = json!({"Subject": format!("Call lead {n}"), "Status": "Not Started", "TaskSubtype": "Call",
                "WhoId": id});
            fake.insert_at("Task", task, base);
        }
        fake
    }

    /// Adds a record stamped now; its id.
    pub fn insert(&self, object: &'static str, fields: Value) -> String {
        let now = self.org.lock().clock.now_millis();
        self.insert_at(object, fields, now)
    }

    fn insert_at(&self, object: &'static str, fields: Value, stamp: i64) -> String {
        self.org.lock().insert(object, fields, stamp)
    }

    /// Changes records, which are then modified now (the clock moves a millisecond first).
    pub fn update(&self, ids: &[&str], change: impl Fn(&mut Map<String, Value>)) {
        let mut org = self.org.lock();
        let now = iso(org.clock.tick_millis());
        for id in ids {
            let Some(&at) = org.by_id.get(*id) else { continue };
            let record = &mut org.records[at];
            change(&mut record.fields);
            record.fields.insert("SystemModstamp".into(), json!(now));
        }
    }

    /// Deletes a record (to the recycle bin: queries no longer see it).
    pub fn delete(&self, id: &str) {
        let mut org = self.org.lock();
        let now = iso(org.clock.tick_millis());
        if let Some(&at) = org.by_id.get(id) {
            org.records[at].deleted = true;
            org.records[at].fields.insert("SystemModstamp".into(), json!(now));
        }
    }

    /// The records of `object`, not deleted, in creation order.
    pub fn records(&self, object: &str) -> Vec<Record> {
        self.org.lock().records.iter().filter(|r| r.object == object && !r.deleted).cloned().collect()
    }

    /// A new access token whose user may not see `hidden` objects; the token.
    pub fn issue_token(&self, hidden: &[&str]) -> String {
        let mut org = self.org.lock();
        let token = format!("00D5g000004fake!AQ{}.tok{:04}", org.next, org.tokens.len());
        org.tokens.insert(token.clone(), hidden.iter().map(|s| s.to_string()).collect());
        token
    }

    /// Ends every session: their tokens are `INVALID_SESSION_ID` from now on.
    pub fn expire_tokens(&self) {
        self.org.lock().tokens.clear();
    }

    /// What userinfo says the org's instance is.
    pub fn instance(&self, url: &str) {
        self.org.lock().instance = url.to_owned();
    }

    /// The org's daily API usage: `used` calls of `limit`.
    pub fn api_usage(&self, used: u64, limit: u64) {
        let mut org = self.org.lock();
        (org.used, org.limit) = (used, limit);
    }

    /// Calls counted so far.
    pub fn api_used(&self) -> u64 {
        self.org.lock().used
    }

    /// The data's clock (Unix milliseconds), which only the test moves.
    pub fn clock(&self) -> Clock {
        self.org.lock().clock.clone()
    }

    pub fn inject(&self, fault: Fault) {
        self.server.inject(fault);
    }

    /// A delay before every answer, as a real round trip.
    pub fn latency(&self, delay: Duration) {
        self.server.set_latency(delay);
    }

    /// Every call so far.
    pub fn requests(&self) -> Vec<Call> {
        self.server.calls()
    }

    pub fn clear_requests(&self) {
        self.server.call_log().clear();
    }

    pub async fn start(&self) -> std::io::Result<RunningFake> {
        self.server.start().await
    }

    pub async fn start_on(&self, addr: SocketAddr) -> std::io::Result<RunningFake> {
        self.server.start_on(addr).await
    }
}

fn iso(ms: i64) -> String {
    // Salesforce's own form: milliseconds, `+0000`.
    iso_millis(ms).replace('Z', "+0000")
}

/// Salesforce's error array.
fn errors(status: u16, code: &str, message: &str, fields: &[&str]) -> Response {
    FakeResponse::json(status, &json!([{"message": message, "errorCode": code, "fields": fields}]))
}

impl Org {
    fn insert(&mut self, object: &'static str, fields: Value, stamp: i64) -> String {
        let id15 = format!("{}5g{:010}", prefix(object), self.next);
        self.next += 1;
        let id = Id::parse(&id15).expect("a valid id").to_string();
        let mut fields = match fields {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        fields.insert("Id".into(), json!(id));
        fields.entry("CreatedDate").or_insert_with(|| json!(iso(stamp)));
        fields.insert("SystemModstamp".into(), json!(iso(stamp)));
        if object == "Case" {
            self.cases += 1;
            fields.insert("CaseNumber".into(), json!(format!("{:08}", self.cases)));
        }
        self.by_id.insert(id.clone(), self.records.len());
        self.records.push(Record { object, fields, deleted: false });
        id
    }

    fn answer(&mut self, request: &FakeRequest) -> Response {
        let answer = self.route(request);
        answer.header("sforce-limit-info", format!("api-usage={}/{}", self.used, self.limit))
    }

    fn route(&mut self, request: &FakeRequest) -> Response {
        let Some(hidden) = request.bearer_token().and_then(|t| self.tokens.get(t)).cloned() else {
            return errors(401, "INVALID_SESSION_ID", "Session expired or invalid", &[]);
        };
        let path = request.path().to_owned();
        if path == "/services/oauth2/userinfo" {
            let rest = format!("{}/services/data/v{{version}}/", self.instance);
            return FakeResponse::json(
                200,
                &json!({"sub": "https://login.salesforce.com/id/00D5g000004fake/0055g0000000001",
                    "user_id": "0055g0000000001", "organization_id": "00D5g000004fake",
                    "email": "olivia.owner@acme.example",
                    "urls": {"custom_domain": self.instance, "rest": rest}}),
            );
        }
        if self.used >= self.limit {
            return errors(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", &[]);
        }
        self.used += 1;
        let Some(rest) = path.strip_prefix(API) else {
            return errors(404, "NOT_FOUND", "The requested resource does not exist", &[]);
        };
        let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        match (request.method().as_str(), segments.as_slice()) {
            ("GET", ["sobjects"]) => {
                let objects: Vec<Value> = FIELDS
                    .iter()
                    .map(|(name, _)| {
                        let visible = !hidden.contains(*name);
                        json!({"name": name, "queryable": visible, "createable": visible && *name != "User",
                            "urls": {"sobject": format!("{API}/sobjects/{name}")}})
                    })
                    .collect();
                FakeResponse::json(200, &json!({"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": objects}))
            }
            ("GET", ["query"]) => {
                let batch = request
                    .header_str("sforce-query-options")
                    .and_then(|o| o.trim().strip_prefix("batchSize="))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(2000usize);
                let q = request.param("q").unwrap_or_default().to_owned();
                match parse(&q).and_then(|query| self.run(&query, &hidden)) {
                    Ok(records) => self.batched(records, batch),
                    Err(err) => *err,
                }
            }
            ("GET", ["query", locator]) => match self.locators.remove(*locator) {
                Some(rest) => {
                    let batch = locator.rsplit('-').next().and_then(|n| n.parse().ok()).unwrap_or(2000);
                    self.batched(rest, batch)
                }
                None => errors(400, "INVALID_QUERY_LOCATOR", "invalid query locator", &[]),
            },
            ("GET", ["search"]) => self.search(request.param("q").unwrap_or_default(), &hidden),
            ("POST", ["sobjects", object]) => self.create(object, request.json(), &hidden),
            _ => errors(404, "NOT_FOUND", "The requested resource does not exist", &[]),
        }
    }

    /// A query's answer: the first `batch` records, the rest behind a `nextRecordsUrl`.
    fn batched(&mut self, mut records: Vec<Value>, batch: usize) -> Response {
        let total = records.len();
        let rest = records.split_off(batch.min(total));
        let mut answer = json!({"totalSize": total, "done": rest.is_empty(), "records": records});
        if !rest.is_empty() {
            let locator = format!("01g5g00000{}-{batch}", self.next);
            self.next += 1;
            answer["nextRecordsUrl"] = json!(format!("{API}/query/{locator}"));
            self.locators.insert(locator, rest);
        }
        FakeResponse::json(200, &answer)
    }

    fn run(&self, query: &Query, hidden: &HashSet<String>) -> Result<Vec<Value>, Refused> {
        let object = self.visible(&query.object, hidden)?;
        let rows = self.select(object, query, None)?;
        let mut out = Vec::new();
        for record in rows {
            let mut row = Map::new();
            row.insert("attributes".into(), attributes(record));
            for field in &query.fields {
                match field {
                    Field::Plain(name) if name == "Account.Name" => {
                        let account = record.fields.get("_Account").and_then(Value::as_str);
                        let value = account.map(|a| json!({"attributes": {"type": "Account"}, "Name": a}));
                        row.insert("Account".into(), value.unwrap_or(Value::Null));
                    }
                    Field::Plain(name) => {
                        row.insert(name.clone(), record.fields.get(name).cloned().unwrap_or(Value::Null));
                    }
                    Field::Sub(sub) => {
                        let (_, relationship, child, _) = RELATIONSHIPS
                            .iter()
                            .find(|(parent, rel, _, _)| *parent == object && rel.eq_ignore_ascii_case(&sub.object))
                            .ok_or_else(|| invalid_type(&sub.object))?;
                        self.visible(child, hidden)?;
                        let children = self.select(child, sub, Some(record.id()))?;
                        let records: Vec<Value> = children
                            .into_iter()
                            .map(|c| {
                                let mut row = Map::new();
                                row.insert("attributes".into(), attributes(c));
                                for f in &sub.fields {
                                    if let Field::Plain(name) = f {
                                        row.insert(name.clone(), c.fields.get(name).cloned().unwrap_or(Value::Null));
                                    }
                                }
                                Value::Object(row)
                            })
                            .collect();
                        let value = match records.is_empty() {
                            true => Value::Null,
                            false => json!({"totalSize": records.len(), "done": true, "records": records}),
                        };
                        row.insert((*relationship).to_owned(), value);
                    }
                }
            }
            out.push(Value::Object(row));
        }
        Ok(out)
    }

    fn visible(&self, object: &str, hidden: &HashSet<String>) -> Result<&'static str, Refused> {
        let known = FIELDS.iter().find(|(name, _)| name.eq_ignore_ascii_case(object)).map(|(name, _)| *name);
        match known {
            Some(name) if !hidden.contains(name) => Ok(name),
            _ => Err(invalid_type(object)),
        }
    }

    /// The records of `object` the query selects (children of `parent` for a subquery), ordered and limited.
    fn select(&self, object: &'static str, query: &Query, parent: Option<&str>) -> Result<Vec<&Record>, Refused> {
        let fields = FIELDS.iter().find(|(name, _)| *name == object).map(|(_, f)| *f).unwrap_or_default();
        let check = |name: &str| {
            if name == "Account.Name" && object == "Contact" || fields.iter().any(|f| f.eq_ignore_ascii_case(name)) {
                Ok(())
            } else {
                Err(Box::new(errors(
                    400,
                    "INVALID_FIELD",
                    &format!("No such column '{name}' on entity '{object}'"),
                    &[],
                )))
            }
        };
        for field in &query.fields {
            if let Field::Plain(name) = field {
                check(name)?;
            }
        }
        if let Some(filter) = &query.filter {
            filter.fields().into_iter().try_for_each(check)?;
        }
        let link = RELATIONSHIPS.iter().find(|(_, _, child, _)| *child == object).map(|(_, _, _, field)| *field);
        let mut rows: Vec<&Record> = self
            .records
            .iter()
            .filter(|r| r.object == object && !r.deleted)
            .filter(|r| match (parent, link) {
                (Some(parent), Some(link)) => r.fields.get(link).and_then(Value::as_str) == Some(parent),
                _ => true,
            })
            .filter(|r| query.filter.as_ref().is_none_or(|f| f.matches(&r.fields)))
            .collect();
        for (field, descending) in query.order.iter().rev() {
            rows.sort_by(|a, b| {
                let order = compare(a.fields.get(field), b.fields.get(field));
                if *descending {
                    order.reverse()
                } else {
                    order
                }
            });
        }
        Ok(rows.into_iter().skip(query.offset).take(query.limit.unwrap_or(usize::MAX)).collect())
    }

    fn search(&self, sosl: &str, hidden: &HashSet<String>) -> Response {
        let Some(rest) = sosl.trim().strip_prefix("FIND ") else {
            return errors(400, "MALFORMED_SEARCH", "expected FIND", &[]);
        };
        // The terms: `{…}` with `\` escapes, joined by OR.
        let mut terms = Vec::new();
        let mut rest = rest.trim_start();
        loop {
            let Some(body) = rest.strip_prefix('{') else {
                return errors(400, "MALFORMED_SEARCH", "expected a search term in braces", &[]);
            };
            let (mut term, mut end) = (String::new(), None);
            let mut chars = body.char_indices();
            while let Some((at, c)) = chars.next() {
                match c {
                    '\\' => term.extend(chars.next().map(|(_, c)| c)),
                    '}' => {
                        end = Some(at + 1);
                        break;
                    }
                    c => term.push(c),
                }
            }
            let Some(end) = end else {
                return errors(400, "MALFORMED_SEARCH", "unterminated search term", &[]);
            };
            terms.push(term);
            rest = body[end..].trim_start();
            match rest.strip_prefix("OR ") {
                Some(more) => rest = more.trim_start(),
                None => break,
            }
        }
        let tail = rest;
        if !tail.starts_with("IN PHONE FIELDS RETURNING ") {
            return errors(400, "MALFORMED_SEARCH", "expected IN PHONE FIELDS RETURNING", &[]);
        }
        let digits = |text: &str| text.chars().filter(char::is_ascii_digit).collect::<String>();
        let wanted: Vec<String> = terms.iter().map(|t| digits(t)).filter(|d| d.len() >= 4).collect();
        let mut found = Vec::new();
        for object in ["Contact", "Lead"] {
            if hidden.contains(object) || !tail.contains(&format!("{object}(")) {
                continue;
            }
            for record in self.records.iter().filter(|r| r.object == object && !r.deleted) {
                let phones = ["Phone", "MobilePhone"].map(|f| record.fields.get(f).and_then(Value::as_str).map(digits));
                let hit =
                    phones.iter().flatten().any(|p| wanted.iter().any(|w| !p.is_empty() && p.ends_with(w.as_str())));
                if hit && record.fields.get("IsConverted") != Some(&json!(true)) {
                    found.push(json!({"attributes": attributes(record), "Id": record.id()}));
                }
            }
        }
        FakeResponse::json(200, &json!({"searchRecords": found}))
    }

    fn create(&mut self, object: &str, body: Option<Value>, hidden: &HashSet<String>) -> Response {
        let object = match self.visible(object, hidden) {
            Ok(object @ ("Case" | "Task")) => object,
            Ok(other) => return errors(403, "INSUFFICIENT_ACCESS", &format!("cannot create {other}"), &[]),
            Err(_) => return errors(403, "INSUFFICIENT_ACCESS", &format!("insufficient access to {object}"), &[]),
        };
        let Some(Value::Object(fields)) = body else {
            return errors(400, "JSON_PARSER_ERROR", "The request body is not a JSON object", &[]);
        };
        let known = FIELDS.iter().find(|(name, _)| *name == object).map(|(_, f)| *f).unwrap_or_default();
        for name in fields.keys() {
            if !known.contains(&name.as_str()) {
                return errors(
                    400,
                    "INVALID_FIELD",
                    &format!("No such column '{name}' on sobject of type {object}"),
                    &[],
                );
            }
        }
        let text = |name: &str| fields.get(name).and_then(Value::as_str);
        if text("Subject").is_some_and(|s| s.chars().count() > 255) {
            return errors(400, "STRING_TOO_LONG", "Subject: data value too large", &["Subject"]);
        }
        if text("Description").is_some_and(|s| s.chars().count() > 32_000) {
            return errors(400, "STRING_TOO_LONG", "Description: data value too large", &["Description"]);
        }
        if let Some(priority) = text("Priority").filter(|p| !["Low", "Medium", "High", "Normal"].contains(p)) {
            let message = format!("Priority: bad value for restricted picklist field: {priority}");
            return errors(400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", &message, &["Priority"]);
        }
        for (field, objects) in [("ContactId", &["Contact"][..]), ("WhoId", &["Contact", "Lead"][..])] {
            let Some(id) = text(field) else { continue };
            let exists = self.by_id.get(id).is_some_and(|&at| objects.contains(&self.records[at].object));
            if !exists {
                let message = format!("{field}: id value of incorrect type: {id}");
                return errors(400, "FIELD_INTEGRITY_EXCEPTION", &message, &[field]);
            }
        }
        if fields.get("CallDurationInSeconds").is_some_and(|d| !d.is_u64()) {
            return errors(
                400,
                "INVALID_TYPE_ON_FIELD_IN_RECORD",
                "Call Duration: value not of required type",
                &["CallDurationInSeconds"],
            );
        }
        let now = self.clock.tick_millis();
        let object: &'static str = if object == "Case" { "Case" } else { "Task" };
        let id = self.insert(object, Value::Object(fields), now);
        FakeResponse::json(201, &json!({"id": id, "success": true, "errors": []}))
    }
}

fn attributes(record: &Record) -> Value {
    json!({"type": record.object, "url": format!("{API}/sobjects/{}/{}", record.object, record.id())})
}

fn invalid_type(object: &str) -> Refused {
    let message = format!("sObject type '{object}' is not supported.");
    Box::new(errors(400, "INVALID_TYPE", &message, &[]))
}

fn compare(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    let key = |v: Option<&Value>| match v {
        Some(Value::String(s)) => (1, s.clone(), 0.0),
        Some(Value::Number(n)) => (1, String::new(), n.as_f64().unwrap_or_default()),
        Some(Value::Bool(b)) => (1, b.to_string(), 0.0),
        _ => (0, String::new(), 0.0), // nulls first, as Salesforce's default
    };
    let (a, b) = (key(a), key(b));
    (a.0, &a.1).cmp(&(b.0, &b.1)).then(a.2.total_cmp(&b.2))
}

// --- SOQL, the subset the bridge uses ----------------------------------------------------------------------------

#[derive(Debug)]
struct Query {
    fields: Vec<Field>,
    object: String,
    filter: Option<Expr>,
    order: Vec<(String, bool)>,
    limit: Option<usize>,
    offset: usize,
}

#[derive(Debug)]
enum Field {
    Plain(String),
    Sub(Box<Query>),
}

#[derive(Debug)]
enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Compare(String, String, Literal),
    In(String, Vec<Literal>),
}

#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Text(String),
    Time(i64),
    Bool(bool),
    Null,
    Number(f64),
}

impl Expr {
    fn fields(&self) -> Vec<&str> {
        match self {
            Expr::And(all) | Expr::Or(all) => all.iter().flat_map(Expr::fields).collect(),
            Expr::Compare(field, _, _) | Expr::In(field, _) => vec![field.as_str()],
        }
    }

    fn matches(&self, record: &Map<String, Value>) -> bool {
        match self {
            Expr::And(all) => all.iter().all(|e| e.matches(record)),
            Expr::Or(all) => all.iter().any(|e| e.matches(record)),
            Expr::In(field, values) => values.iter().any(|v| holds(record.get(field), "=", v)),
            Expr::Compare(field, op, value) => holds(record.get(field), op, value),
        }
    }
}

fn holds(field: Option<&Value>, op: &str, literal: &Literal) -> bool {
    use std::cmp::Ordering;
    let field = field.filter(|v| !v.is_null());
    let order: Option<Ordering> = match (field, literal) {
        (None, Literal::Null) => return op == "=",
        (Some(_), Literal::Null) => return op == "!=",
        (None, _) => return op == "!=",
        (Some(Value::String(s)), Literal::Time(t)) => super::mapping::millis(s).map(|m| m.cmp(t)),
        (Some(Value::String(s)), Literal::Text(t)) => match op {
            "=" | "!=" => Some(if s.eq_ignore_ascii_case(t) { Ordering::Equal } else { s.as_str().cmp(t.as_str()) }),
            _ => Some(s.as_str().cmp(t.as_str())),
        },
        (Some(Value::Bool(b)), Literal::Bool(l)) => Some(b.cmp(l)),
        (Some(Value::Number(n)), Literal::Number(l)) => n.as_f64().and_then(|n| n.partial_cmp(l)),
        _ => None,
    };
    let Some(order) = order else { return op == "!=" };
    match op {
        "=" => order == Ordering::Equal,
        "!=" => order != Ordering::Equal,
        "<" => order == Ordering::Less,
        "<=" => order != Ordering::Greater,
        ">" => order == Ordering::Greater,
        _ => order != Ordering::Less,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Symbol(&'static str),
}

fn malformed(why: &str) -> Refused {
    Box::new(errors(400, "MALFORMED_QUERY", why, &[]))
}

fn tokens(q: &str) -> Result<Vec<Token>, Refused> {
    let mut out = Vec::new();
    let mut chars = q.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '\'' => {
                chars.next();
                let mut text = String::new();
                loop {
                    match chars.next() {
                        Some('\\') => text.push(match chars.next() {
                            Some('n') => '\n',
                            Some('r') => '\r',
                            Some('t') => '\t',
                            Some('b') => '\u{8}',
                            Some('f') => '\u{c}',
                            Some(c @ ('\\' | '\'' | '"' | '%' | '_')) => c,
                            _ => return Err(malformed("invalid escape sequence in a string literal")),
                        }),
                        Some('\'') => break,
                        Some(c) => text.push(c),
                        None => return Err(malformed("unterminated string literal")),
                    }
                }
                out.push(Token::Text(text));
            }
            '(' | ')' | ',' | '=' => {
                chars.next();
                out.push(Token::Symbol(match c {
                    '(' => "(",
                    ')' => ")",
                    ',' => ",",
                    _ => "=",
                }));
            }
            '!' | '<' | '>' => {
                chars.next();
                let eq = chars.next_if_eq(&'=').is_some();
                out.push(Token::Symbol(match (c, eq) {
                    ('!', true) => "!=",
                    ('<', true) => "<=",
                    ('>', true) => ">=",
                    ('<', false) => "<",
                    ('>', false) => ">",
                    _ => return Err(malformed("unexpected '!'")),
                }));
            }
            c if c.is_ascii_alphanumeric() || c == '_' || c == '.' => {
                let mut word = String::new();
                while let Some(c) = chars.next_if(|c| c.is_ascii_alphanumeric() || "_.:+-".contains(*c)) {
                    word.push(c);
                }
                out.push(Token::Word(word));
            }
            other => return Err(malformed(&format!("unexpected '{other}'"))),
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

fn parse(q: &str) -> Result<Query, Refused> {
    let mut parser = Parser { tokens: tokens(q)?, at: 0 };
    let query = parser.query()?;
    match parser.peek() {
        None => Ok(query),
        Some(token) => Err(malformed(&format!("unexpected {token:?} after the query"))),
    }
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn keyword(&mut self, word: &str) -> bool {
        match self.peek() {
            Some(Token::Word(w)) if w.eq_ignore_ascii_case(word) => {
                self.at += 1;
                true
            }
            _ => false,
        }
    }

    fn symbol(&mut self, symbol: &str) -> bool {
        if self.peek()
            == Some(&Token::Symbol(match symbol {
                "(" => "(",
                ")" => ")",
                _ => ",",
            }))
        {
            self.at += 1;
            return true;
        }
        false
    }

    fn expect(&mut self, word: &str) -> Result<(), Refused> {
        if self.keyword(word) {
            Ok(())
        } else {
            Err(malformed(&format!("expected {word}")))
        }
    }

    fn name(&mut self) -> Result<String, Refused> {
        match self.next() {
            Some(Token::Word(w)) if w.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) => Ok(w),
            other => Err(malformed(&format!("expected a name, found {other:?}"))),
        }
    }

    fn number(&mut self) -> Result<usize, Refused> {
        match self.next() {
            Some(Token::Word(w)) => w.parse().map_err(|_| malformed("expected a number")),
            _ => Err(malformed("expected a number")),
        }
    }

    fn query(&mut self) -> Result<Query, Refused> {
        self.expect("SELECT")?;
        let mut fields = Vec::new();
        loop {
            if self.symbol("(") {
                let sub = self.query()?;
                if !self.symbol(")") {
                    return Err(malformed("expected ) after a subquery"));
                }
                fields.push(Field::Sub(Box::new(sub)));
            } else {
                fields.push(Field::Plain(self.name()?));
            }
            if !self.symbol(",") {
                break;
            }
        }
        self.expect("FROM")?;
        let object = self.name()?;
        let filter = if self.keyword("WHERE") { Some(self.or()?) } else { None };
        let mut order = Vec::new();
        if self.keyword("ORDER") {
            self.expect("BY")?;
            loop {
                let field = self.name()?;
                let descending = self.keyword("DESC");
                if !descending {
                    self.keyword("ASC");
                }
                order.push((field, descending));
                if !self.symbol(",") {
                    break;
                }
            }
        }
        let limit = if self.keyword("LIMIT") { Some(self.number()?) } else { None };
        let offset = if self.keyword("OFFSET") { self.number()? } else { 0 };
        Ok(Query { fields, object, filter, order, limit, offset })
    }

    fn or(&mut self) -> Result<Expr, Refused> {
        let mut all = vec![self.and()?];
        while self.keyword("OR") {
            all.push(self.and()?);
        }
        Ok(if all.len() == 1 { all.remove(0) } else { Expr::Or(all) })
    }

    fn and(&mut self) -> Result<Expr, Refused> {
        let mut all = vec![self.atom()?];
        while self.keyword("AND") {
            all.push(self.atom()?);
        }
        Ok(if all.len() == 1 { all.remove(0) } else { Expr::And(all) })
    }

    fn atom(&mut self) -> Result<Expr, Refused> {
        if self.symbol("(") {
            let inner = self.or()?;
            if !self.symbol(")") {
                return Err(malformed("expected )"));
            }
            return Ok(inner);
        }
        let field = self.name()?;
        if self.keyword("IN") {
            if !self.symbol("(") {
                return Err(malformed("expected ( after IN"));
            }
            let mut values = vec![self.literal()?];
            while self.symbol(",") {
                values.push(self.literal()?);
            }
            if !self.symbol(")") {
                return Err(malformed("expected ) after IN's values"));
            }
            return Ok(Expr::In(field, values));
        }
        let op = match self.next() {
            Some(Token::Symbol(op)) if ["=", "!=", "<", "<=", ">", ">="].contains(&op) => op.to_owned(),
            other => return Err(malformed(&format!("expected an operator, found {other:?}"))),
        };
        Ok(Expr::Compare(field, op, self.literal()?))
    }

    fn literal(&mut self) -> Result<Literal, Refused> {
        match self.next() {
            Some(Token::Text(text)) => Ok(Literal::Text(text)),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("null") => Ok(Literal::Null),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("true") => Ok(Literal::Bool(true)),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("false") => Ok(Literal::Bool(false)),
            Some(Token::Word(w)) if w.contains('T') && w.contains(':') => {
                super::mapping::millis(&w).map(Literal::Time).ok_or_else(|| malformed("invalid dateTime literal"))
            }
            Some(Token::Word(w)) => w.parse().map(Literal::Number).map_err(|_| malformed("expected a value")),
            other => Err(malformed(&format!("expected a value, found {other:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soql_reads_escapes_and_refuses_a_value_spliced_raw() {
        let query =
            parse(r"SELECT Id FROM Contact WHERE Email = 'o\'neil@example.com' AND IsConverted = false").unwrap();
        let Some(Expr::And(all)) = query.filter else { panic!("{query:?}") };
        assert!(
            matches!(&all[0], Expr::Compare(f, op, Literal::Text(t)) if f == "Email" && op == "=" && t == "o'neil@example.com")
        );
        // Spliced raw, the injection is another query (every record), or no query at all.
        let raw = parse("SELECT Id FROM Contact WHERE Email = '' OR Email != null OR Email = ''").unwrap();
        assert!(matches!(raw.filter, Some(Expr::Or(_))));
        assert!(parse("SELECT Id FROM Contact WHERE Email = 'o'neil'").is_err());
    }
}
