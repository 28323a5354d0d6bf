//! Salesforce's REST API as this bridge uses it, and a [`Session`] per Talkdesk request that calls the org's
//! instance with that request's OAuth access token.
//!
//! Where the calls go is checked before any is made: the org's instance URL comes from `auth.instance_url` (when
//! Talkdesk stored it from the token answer), else from Salesforce's userinfo endpoint for the token, remembered
//! per token under a keyed hash (never the token itself); either way it must be an `https` host under
//! `salesforce.com` or `force.com` (`bridge::http::TenantHosts`), or nothing is sent (`400` naming
//! `auth.instance_url`).
//!
//! What Salesforce answers becomes the bridge's answer here, in [`Session::check`]:
//!
//! | Salesforce | bridge |
//! |---|---|
//! | `401 INVALID_SESSION_ID` | `401` (Talkdesk refreshes the token and repeats) |
//! | `403 REQUEST_LIMIT_EXCEEDED` | `502` saying the org's daily API limit is spent: never `401` |
//! | `403 INSUFFICIENT_ACCESS`, `400 INVALID_TYPE` (an object the user may not see) | `400` naming the object |
//! | `400` with `fields` (a refused record) | `400` naming `data.<field>` for the fields the call maps |
//! | 5xx, garbage, timeouts | as `bridge::http` maps them (`502`, `504`) |
//!
//! Every answer's `Sforce-Limit-Info: api-usage=N/M` is remembered per org ([`Budget`]): the client's pacing
//! reads it too (a dialect of `bridge::http`), and the contact sync holds back near the end of the day's budget.

use super::soql::Soql;
use super::Config;
use bridge::http::{BaseUrl, Client, Response, ServiceError, StatusCode, TenantHosts, UpstreamStatus};
use bridge::{Error, ErrorKind, FieldError, Secret};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The REST API version the bridge speaks.
pub const API_VERSION: &str = "v60.0";
/// Where the userinfo endpoint is for production orgs.
pub const LOGIN_BASE: &str = "https://login.salesforce.com/";
/// The parent domains of every org's instance: `*.my.salesforce.com`, sandboxes (`*.sandbox.my.salesforce.com`),
/// scratch orgs (`*.scratch.my.salesforce.com`), classic instances (`na1.salesforce.com`) and `*.force.com`.
pub const INSTANCE_DOMAINS: [&str; 2] = ["salesforce.com", "force.com"];
/// The most instance URLs remembered (one per token): past it, the memory starts over.
const REMEMBERED_TOKENS: usize = 10_000;

/// The `auth` of every request: the OAuth 2.0 access token Talkdesk obtained (and refreshes), and the org's
/// instance URL from the token answer, when Talkdesk kept it.
#[derive(Debug, Deserialize)]
pub struct Credentials {
    /// `Authorization: Bearer <access_token>` on every Salesforce call.
    pub access_token: Secret,
    /// `https://<org>.my.salesforce.com`: checked before anything is sent to it.
    #[serde(default)]
    pub instance_url: Option<String>,
}

/// What every handler shares (as `State<Salesforce>`).
#[derive(Debug, Clone)]
pub struct Salesforce {
    client: Client,
    hosts: TenantHosts,
    login: BaseUrl,
    instances: Arc<Mutex<HashMap<u64, BaseUrl>>>,
    keys: RandomState,
    /// The orgs' daily API usage, as their last answers said.
    pub budget: Budget,
    call_budget: Duration,
    /// Contacts (and Leads) per page of contact synchronization.
    pub contact_page_size: u32,
    /// Users per page of agent synchronization.
    pub agent_page_size: u32,
    /// Records per batch of a query's answer.
    pub query_batch: u32,
    /// How far behind the bridge's clock a sync's checkpoint stays (a record commits after its SystemModstamp).
    pub commit_lag: Duration,
    /// From this share of the daily budget used (per cent), contact sync pages are held back.
    pub reserve_from_percent: u64,
    /// The `Retry-After` of a held-back page.
    pub reserve_retry_after: Duration,
}

impl Salesforce {
    /// The client, where orgs may be (`hosts`, with the operator's override if any), the userinfo endpoint's
    /// base, and the sizes of `config`.
    pub fn new(client: Client, hosts: TenantHosts, login: BaseUrl, config: &Config) -> Self {
        Self {
            client,
            hosts,
            login,
            instances: Arc::default(),
            keys: RandomState::new(),
            budget: Budget::default(),
            call_budget: config.call_budget,
            contact_page_size: config.contact_page_size,
            agent_page_size: config.agent_page_size,
            query_batch: config.query_batch,
            commit_lag: config.commit_lag,
            reserve_from_percent: config.reserve_from_percent,
            reserve_retry_after: config.reserve_retry_after,
        }
    }

    /// A session for one Talkdesk request, at the org's checked instance: a `400` naming `auth.access_token` or
    /// `auth.instance_url` when one cannot be used; the userinfo call when the instance is not in `auth` and not
    /// remembered for this token (a `401` when Salesforce does not know the token).
    pub async fn session(&self, auth: &Credentials) -> Result<Session, Error> {
        let token = auth.access_token.expose();
        if token.trim().is_empty() || token.len() > 4096 || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(field_error("auth.access_token", "must be the OAuth access token Salesforce issued"));
        }
        let deadline = Instant::now() + self.call_budget;
        let own = match auth.instance_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => self.hosts.own_base("auth.instance_url", url)?,
            None => match self.remembered(token) {
                Some(own) => own,
                None => self.identify(&auth.access_token, deadline).await?,
            },
        };
        let base = self.hosts.override_base().cloned().unwrap_or_else(|| own.clone());
        Ok(Session {
            client: self.client.clone(),
            api: BaseUrl::parse(base.join(["services", "data", API_VERSION])?.as_str())
                .map_err(|e| Error::internal(e.to_string()))?,
            base,
            org: own.to_string(),
            token: auth.access_token.clone(),
            deadline,
            budget: self.budget.clone(),
        })
    }

    fn key(&self, token: &str) -> u64 {
        self.keys.hash_one(token)
    }

    fn remembered(&self, token: &str) -> Option<BaseUrl> {
        self.instances.lock().unwrap_or_else(PoisonError::into_inner).get(&self.key(token)).cloned()
    }

    /// The token's org, from Salesforce's userinfo endpoint (`GET /services/oauth2/userinfo`): its `urls.rest`
    /// (or `urls.custom_domain`) says the instance, which is checked and remembered for the token.
    async fn identify(&self, token: &Secret, deadline: Instant) -> Result<BaseUrl, Error> {
        let url = self.login.join(["services", "oauth2", "userinfo"])?;
        let response = self.client.get(url).bearer(token).deadline(deadline).send_unchecked().await?;
        if matches!(response.status(), StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            return Err(Error::credentials_rejected());
        }
        let info: UserInfo = response.error_for_status()?.json()?;
        let said = info.urls.custom_domain.as_deref().or(info.urls.rest.as_deref()).unwrap_or_default();
        let origin = said.find("://").and_then(|at| said[at + 3..].find('/').map(|end| &said[..at + 3 + end]));
        let own = self.hosts.own_base("instance_url", origin.unwrap_or(said)).map_err(|_| {
            Error::upstream("Salesforce's userinfo named an instance outside salesforce.com and force.com: not called")
        })?;
        let mut instances = self.instances.lock().unwrap_or_else(PoisonError::into_inner);
        if instances.len() >= REMEMBERED_TOKENS {
            instances.clear();
        }
        instances.insert(self.key(token.expose()), own.clone());
        Ok(own)
    }
}

/// The orgs' daily API usage, as `Sforce-Limit-Info` said on their last answers; clones share it.
#[derive(Debug, Clone, Default)]
pub struct Budget(Arc<Mutex<HashMap<String, (u64, u64)>>>);

impl Budget {
    /// `(used, allocation)` of the org at `org` (its own base URL), if an answer said it.
    pub fn of(&self, org: &str) -> Option<(u64, u64)> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).get(org).copied()
    }

    fn learn(&self, org: &str, response: &Response) {
        let Some(usage) = response.headers().get("sforce-limit-info").and_then(|v| v.to_str().ok()) else {
            return;
        };
        let read = usage.split(';').find_map(|member| {
            let (key, value) = member.split_once('=')?;
            let (used, limit) = value.split_once('/')?;
            key.trim().eq_ignore_ascii_case("api-usage").then_some(())?;
            Some((used.trim().parse().ok()?, limit.trim().parse().ok()?))
        });
        if let Some(read) = read {
            self.0.lock().unwrap_or_else(PoisonError::into_inner).insert(org.to_owned(), read);
        }
    }
}

/// The calls of one Talkdesk request: its token, its org, one deadline.
pub struct Session {
    client: Client,
    /// Where calls go (the org's instance, or the operator's override).
    base: BaseUrl,
    /// `<base>/services/data/vNN.0/`.
    api: BaseUrl,
    /// The org's own base URL (`https://acme.my.salesforce.com/`): what it is known by, and the records' links.
    pub org: String,
    token: Secret,
    deadline: Instant,
    budget: Budget,
}

impl Session {
    /// The org's daily API usage, as its last answer said.
    pub fn usage(&self) -> Option<(u64, u64)> {
        self.budget.of(&self.org)
    }

    async fn send(&self, request: bridge::http::RequestBuilder) -> Result<Response, Error> {
        let response = request.bearer(&self.token).deadline(self.deadline).send_unchecked().await?;
        self.budget.learn(&self.org, &response);
        Self::check(response)
    }

    /// A Salesforce answer as the bridge's (see the module's table).
    pub fn check(response: Response) -> Result<Response, Error> {
        let status = response.status();
        if status.is_success() || status == StatusCode::UNAUTHORIZED {
            return response.error_for_status();
        }
        let errors: Vec<SalesforceError> = serde_json::from_slice(response.bytes()).unwrap_or_default();
        let first = errors.first();
        let code = first.map_or("", |e| e.error_code.as_str());
        let message = first.map(|e| response.quote(&e.message)).unwrap_or_default();
        let kind = match (status.as_u16(), code) {
            (403, "REQUEST_LIMIT_EXCEEDED") => {
                let message =
                    format!("Salesforce's daily API limit for this org is spent (REQUEST_LIMIT_EXCEEDED): {message}");
                return Err(Error::upstream(message).with_source(UpstreamStatus(status)));
            }
            (403, _) | (400, "INVALID_TYPE" | "INSUFFICIENT_ACCESS") => ErrorKind::InvalidInput,
            _ => return response.error_for_status(),
        };
        let code = if code.is_empty() { "403" } else { code };
        let message = format!(
            "Salesforce refused access ({code}): {message}; the integration's Salesforce user needs access to that object"
        );
        Err(Error::new(kind, message).with_source(UpstreamStatus(status)))
    }

    /// One SOQL query (`GET /services/data/vNN.0/query?q=`), its first batch of at most `batch` records
    /// (`Sforce-Query-Options: batchSize`).
    pub async fn query(&self, soql: &Soql, batch: Option<u32>) -> Result<QueryResult, Error> {
        let mut request = self.client.get(self.api.join(["query"])?).query("q", soql);
        if let Some(batch) = batch {
            request = request.header("sforce-query-options", format!("batchSize={batch}"));
        }
        self.send(request).await?.json()
    }

    /// The next batch of a query, from its `nextRecordsUrl` (on the same instance, or refused).
    pub async fn query_more(&self, next_records_url: &str) -> Result<QueryResult, Error> {
        self.send(self.client.get(self.base.follow(next_records_url)?)).await?.json()
    }

    /// A SOSL search (`GET /services/data/vNN.0/search?q=`): the records found.
    pub async fn search(&self, sosl: &str) -> Result<Vec<Map<String, Value>>, Error> {
        let found: SearchResult =
            self.send(self.client.get(self.api.join(["search"])?).query("q", sosl)).await?.json()?;
        Ok(found.search_records)
    }

    /// The objects the user may see, and how (`GET /services/data/vNN.0/sobjects`).
    pub async fn objects(&self) -> Result<Vec<ObjectInfo>, Error> {
        let global: Global = self.send(self.client.get(self.api.join(["sobjects"])?)).await?.json()?;
        Ok(global.sobjects)
    }

    /// Creates a record of `object` (`POST /services/data/vNN.0/sobjects/<object>`); Salesforce's field errors
    /// become the bridge's, for the fields in `fields` (Salesforce's name → the request's).
    pub async fn create(&self, object: &str, record: &Value, fields: &[(&str, &str)]) -> Result<String, Error> {
        let mut request = self.client.post(self.api.join(["sobjects", object])?).json(record);
        for (theirs, ours) in fields {
            request = request.map_field(*theirs, *ours);
        }
        let created: Created = self.send(request).await?.json()?;
        Ok(created.id)
    }
}

/// Salesforce's error bodies, an array of `{message, errorCode, fields}`, as `bridge::http` reads services' errors
/// (for the client's [`error_reader`](bridge::http::ClientBuilder::error_reader)).
pub fn read_error(_: &bridge::http::header::HeaderMap, body: &[u8]) -> ServiceError {
    let errors: Vec<SalesforceError> = serde_json::from_slice(body).unwrap_or_default();
    let mut said = ServiceError::new();
    if let Some(first) = errors.first() {
        said = said.message(format!("{} ({})", first.message, first.error_code));
    }
    for error in &errors {
        for field in &error.fields {
            said = said.field(field.clone(), error.message.clone());
        }
    }
    said
}

/// A `400` naming one request field.
pub fn field_error(field: &str, message: impl Into<String>) -> Error {
    Error::invalid_fields(vec![FieldError { field: field.to_owned(), message: message.into() }])
}

// --- What Salesforce sends ---------------------------------------------------------------------------------------

/// One element of Salesforce's error array.
#[derive(Debug, Default, Deserialize)]
pub struct SalesforceError {
    #[serde(default)]
    pub message: String,
    #[serde(default, rename = "errorCode")]
    pub error_code: String,
    #[serde(default)]
    pub fields: Vec<String>,
}

/// A query's answer: a batch of records, and `nextRecordsUrl` while `done` is false.
#[derive(Debug, Deserialize)]
pub struct QueryResult {
    #[serde(rename = "totalSize")]
    pub total_size: u64,
    pub done: bool,
    #[serde(default, rename = "nextRecordsUrl")]
    pub next_records_url: Option<String>,
    pub records: Vec<Map<String, Value>>,
}

#[derive(Debug, Deserialize)]
struct SearchResult {
    #[serde(rename = "searchRecords")]
    search_records: Vec<Map<String, Value>>,
}

/// What the describe-global call says of one object.
#[derive(Debug, Deserialize)]
pub struct ObjectInfo {
    pub name: String,
    #[serde(default)]
    pub queryable: bool,
    #[serde(default)]
    pub createable: bool,
}

#[derive(Debug, Deserialize)]
struct Global {
    sobjects: Vec<ObjectInfo>,
}

#[derive(Debug, Deserialize)]
struct Created {
    id: String,
}

#[derive(Debug, Deserialize)]
struct UserInfo {
    #[serde(default)]
    urls: Urls,
}

#[derive(Debug, Default, Deserialize)]
struct Urls {
    #[serde(default)]
    custom_domain: Option<String>,
    #[serde(default)]
    rest: Option<String>,
}
