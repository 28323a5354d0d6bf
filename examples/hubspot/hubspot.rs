//! The HubSpot CRM API as this bridge uses it: the shapes it reads and writes (from HubSpot's OpenAPI
//! descriptions), and a [`Session`] per Talkdesk request that calls HubSpot with that request's OAuth access token.
//!
//! *How* calls are made is `bridge::http`'s business: one pool, a timeout per attempt, the request's deadline,
//! retries, the token kept out of logs. Two HubSpot habits need more, and are handled here:
//!
//! - **`429` without `Retry-After`**: HubSpot names the exhausted policy in the body (`"policyName":
//!   "SECONDLY"`, `"TEN_SECONDLY_ROLLING"`, `"DAILY"`…) and in `X-HubSpot-RateLimit-*` headers instead;
//!   [`rate_limit`] reads them for `bridge::http`'s [`RateLimit`]: a secondly policy is waited out, a rolling
//!   window backed off, a spent daily quota given up at once (a `502` saying so);
//! - **`401` is only for the token**: HubSpot answers `401` for an expired or revoked token, which becomes the
//!   bridge's `401` (Talkdesk then refreshes the token and repeats the request). Its `403` (a scope the token was
//!   not granted) is **not** a `401`: a refreshed token has the same scopes, so it becomes a `400` naming the
//!   missing scope ([`Session::check`]).
//!
//! | call | HubSpot API | scope |
//! |---|---|---|
//! | [`Session::token_info`] | `GET /oauth/v1/access-tokens/{token}` | none |
//! | [`Session::search_contacts`] | `POST /crm/v3/objects/contacts/search` (4-5 requests/s, 10,000 results/query) | `crm.objects.contacts.read` |
//! | [`Session::contact_associations`] | `GET /crm/v3/objects/contacts/{id}?associations=…` | `crm.objects.contacts.read` |
//! | [`Session::associated`] | `GET /crm/v4/objects/contacts/{id}/associations/{type}` | `crm.objects.contacts.read` |
//! | [`Session::read_batch`] | `POST /crm/v3/objects/{type}/batch/read` | `crm.objects.contacts.read`, `tickets` |
//! | [`Session::create`] | `POST /crm/v3/objects/{notes,tasks}` | `crm.objects.contacts.write` |
//! | [`Session::owners`] | `GET /crm/v3/owners/` | `crm.objects.owners.read` |

use super::Config;
use bridge::http::header::HeaderMap;
use bridge::http::{BaseUrl, Client, RateLimit, RateLimitHint, RequestBuilder, Response, StatusCode, UpstreamStatus};
use bridge::{Error, ErrorKind, FieldError, Secret};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Where HubSpot's API lives.
pub const API_BASE: &str = "https://api.hubapi.com/";

/// The scopes the bridge needs, and what for: auth validation refuses a token without any of them, naming it.
pub const SCOPES: [(&str, &str); 4] = [
    ("crm.objects.contacts.read", "contacts, and their notes, tasks, calls, emails and meetings"),
    ("crm.objects.contacts.write", "the create_task and log_note actions"),
    ("crm.objects.owners.read", "agent synchronization"),
    ("tickets", "tickets as interactions"),
];

/// The `auth` of every request: the OAuth 2.0 access token Talkdesk obtained (and refreshes) for the user.
#[derive(Debug, Deserialize)]
pub struct Credentials {
    /// `Authorization: Bearer <access_token>` on every HubSpot call.
    pub access_token: Secret,
}

/// What every handler shares (as `State<HubSpot>`): the HTTP client and its pool, where HubSpot is, the sizes of
/// what is asked for.
#[derive(Debug, Clone)]
pub struct HubSpot {
    client: Client,
    base: BaseUrl,
    budget: Duration,
    /// Contacts per search page (HubSpot allows up to 200).
    pub contact_page_size: u32,
    /// Owners per page of agent synchronization.
    pub agent_page_size: u32,
    /// Owners per HubSpot call (HubSpot allows up to 500).
    pub owners_per_call: u32,
    /// The most recent interactions returned per type.
    pub interaction_limit: usize,
    /// How far behind its checkpoint an incremental sync starts, for HubSpot's search index to catch up.
    pub search_lag: Duration,
}

impl HubSpot {
    /// The client, the base URL (`https://api.hubapi.com/` or the operator's), the budget and sizes of `config`.
    pub fn new(client: Client, base: BaseUrl, config: &Config) -> Self {
        Self {
            client,
            base,
            budget: config.call_budget,
            contact_page_size: config.contact_page_size,
            agent_page_size: config.agent_page_size,
            owners_per_call: config.owners_per_call,
            interaction_limit: config.interaction_limit,
            search_lag: config.search_lag,
        }
    }

    /// A session for one Talkdesk request: a `400` naming `auth.access_token` when it cannot be a token.
    pub fn session(&self, auth: &Credentials) -> Result<Session, Error> {
        let token = auth.access_token.expose();
        if token.trim().is_empty() || token.len() > 2048 || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(field_error("auth.access_token", "must be the OAuth access token HubSpot issued"));
        }
        Ok(Session {
            client: self.client.clone(),
            base: self.base.clone(),
            token: auth.access_token.clone(),
            deadline: Instant::now() + self.budget,
        })
    }
}

/// How the client waits out HubSpot's `429`s, which carry no `Retry-After`: a secondly limit (the search API's
/// four or five requests a second) frees up within `secondly`; a spent daily quota will not free up within a
/// request; anything else (the ten-second rolling window) is backed off, from `backoff`.
pub fn rate_limit(secondly: Duration, backoff: bridge::http::Backoff) -> RateLimit {
    RateLimit::new(backoff).hint(move |headers, body| read_429(headers, body, secondly))
}

/// What a HubSpot `429` says about waiting (see [`rate_limit`]).
pub fn read_429(headers: &HeaderMap, body: &[u8], secondly: Duration) -> RateLimitHint {
    let policy = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|body| body.get("policyName").and_then(Value::as_str).map(str::to_ascii_uppercase));
    let daily_left = headers.get("x-hubspot-ratelimit-daily-remaining").and_then(|v| v.to_str().ok());
    match policy.as_deref() {
        Some("DAILY") => RateLimitHint::GiveUp("HubSpot's daily API limit for this account is spent".into()),
        _ if daily_left.map(str::trim) == Some("0") => {
            RateLimitHint::GiveUp("HubSpot's daily API limit for this account is spent".into())
        }
        Some("SECONDLY") => RateLimitHint::Wait(secondly),
        _ => RateLimitHint::Backoff,
    }
}

/// The calls of one Talkdesk request, all with its token and within one deadline.
pub struct Session {
    client: Client,
    base: BaseUrl,
    token: Secret,
    deadline: Instant,
}

impl Session {
    fn authorized(&self, request: RequestBuilder) -> RequestBuilder {
        request.bearer(&self.token).deadline(self.deadline)
    }

    /// A HubSpot answer as the bridge's: `401` stays `401` (Talkdesk refreshes the token); `403` (a scope the
    /// token lacks) is a `400` naming the scopes HubSpot asked for; the rest as `bridge::http` maps it.
    pub fn check(response: Response) -> Result<Response, Error> {
        if response.status() != StatusCode::FORBIDDEN {
            return response.error_for_status();
        }
        let said: Option<HubSpotError> = serde_json::from_slice(response.bytes()).ok();
        let scopes: Vec<String> = said
            .iter()
            .flat_map(|e| e.errors.iter().flat_map(|d| d.context.values().flatten()))
            .chain(said.iter().flat_map(|e| e.context.values().flatten()))
            .cloned()
            .collect();
        let message = match (scopes.is_empty(), said.and_then(|e| e.message)) {
            (false, _) => format!(
                "HubSpot refused the call (403): the access token was not granted {}; reinstall the integration \
                 granting it",
                response.quote(&scopes.join(", "))
            ),
            (true, Some(message)) => format!("HubSpot refused the call (403): {}", response.quote(&message)),
            (true, None) => "HubSpot refused the call (403)".to_owned(),
        };
        Err(Error::new(ErrorKind::InvalidInput, message).with_source(UpstreamStatus(StatusCode::FORBIDDEN)))
    }

    async fn fetch<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, Error> {
        Self::check(self.authorized(request).send_unchecked().await?)?.json()
    }

    /// What HubSpot knows of the token: its scopes, account and lifetime; `None` when HubSpot does not know it
    /// (expired, revoked, or never issued). The token travels in the path: it is declared so, and redacted from
    /// every log line.
    pub async fn token_info(&self) -> Result<Option<TokenInfo>, Error> {
        let url = self.base.join(["oauth", "v1", "access-tokens", self.token.expose()])?;
        let response =
            self.client.get(url).secret_in_path(&self.token).deadline(self.deadline).send_unchecked().await?;
        if response.status().is_client_error() && response.status() != StatusCode::TOO_MANY_REQUESTS {
            return Ok(None);
        }
        let info: TokenInfo = response.error_for_status()?.json()?;
        Ok(Some(info).filter(|info| info.expires_in > 0))
    }

    /// One page of a contact search.
    pub async fn search_contacts(&self, search: &Search) -> Result<SearchPage, Error> {
        let url = self.base.join(["crm", "v3", "objects", "contacts", "search"])?;
        self.fetch(self.client.post(url).json(search)).await
    }

    /// Contact `id` with the ids of the objects of each of `kinds` (`notes`, `tickets`…) associated with it, in
    /// one call (`GET /crm/v3/objects/contacts/{id}?associations=…`); `None` when HubSpot knows no such contact.
    /// HubSpot gives the first 100 associations of each kind ([`Associated::complete`] says whether that was all).
    pub async fn contact_associations(&self, id: &str, kinds: &[&str]) -> Result<Option<ContactAssociations>, Error> {
        let url = self.base.join(["crm", "v3", "objects", "contacts", id])?;
        let request = self
            .client
            .get(url)
            .query("properties", "hs_object_id")
            .query("associations", kinds.join(","))
            .query("archived", false);
        let response = self.authorized(request).send_unchecked().await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        Self::check(response)?.json().map(Some)
    }

    /// The ids of the objects of `kind` (`notes`, `tickets`…) associated with contact `id`: the first page, up to
    /// `limit`.
    pub async fn associated(&self, id: &str, kind: &str, limit: u32) -> Result<Vec<String>, Error> {
        let url = self.base.join(["crm", "v4", "objects", "contacts", id, "associations", kind])?;
        let response = self.authorized(self.client.get(url).query("limit", limit)).send_unchecked().await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(Vec::new()); // no such contact: nothing associated
        }
        let page: AssociationsPage = Self::check(response)?.json()?;
        Ok(page.results.into_iter().map(|a| a.to_object_id).collect())
    }

    /// Objects of `kind` by id, with `properties` (at most 100 ids, HubSpot's batch limit).
    pub async fn read_batch(&self, kind: &str, ids: &[String], properties: &[&str]) -> Result<Vec<Object>, Error> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let url = self.base.join(["crm", "v3", "objects", kind, "batch", "read"])?;
        let body = json!({
            "inputs": ids.iter().map(|id| json!({"id": id})).collect::<Vec<_>>(),
            "properties": properties,
            "propertiesWithHistory": [],
        });
        // A read, whatever its method: safe to repeat after a broken connection.
        let batch: Batch = self.fetch(self.client.post(url).idempotent(true).json(&body)).await?;
        Ok(batch.results)
    }

    /// Creates an object of `kind` (`notes`, `tasks`). HubSpot's `400` becomes a `400` quoting HubSpot's reason.
    pub async fn create(&self, kind: &str, object: &NewObject) -> Result<Object, Error> {
        let url = self.base.join(["crm", "v3", "objects", kind])?;
        let response = self.authorized(self.client.post(url)).json(object).send_unchecked().await?;
        if matches!(response.status(), StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY) {
            let said: Option<HubSpotError> = serde_json::from_slice(response.bytes()).ok();
            let reason = said.and_then(|e| e.message).unwrap_or_else(|| response.status().to_string());
            return Err(Error::action_failed(format!("HubSpot refused it: {}", response.quote(&reason))));
        }
        Self::check(response)?.json()
    }

    /// One page of the account's owners, from `after`.
    pub async fn owners(&self, after: Option<&str>, limit: u32) -> Result<OwnersPage, Error> {
        let url = self.base.join(["crm", "v3", "owners"])?;
        let mut request = self.client.get(url).query("limit", limit).query("archived", false);
        if let Some(after) = after {
            request = request.query("after", after);
        }
        self.fetch(request).await
    }
}

/// A `400` naming one request field.
pub fn field_error(field: &str, message: impl Into<String>) -> Error {
    Error::invalid_fields(vec![FieldError { field: field.to_owned(), message: message.into() }])
}

// --- What HubSpot sends ------------------------------------------------------------------------------------------

/// `AccessTokenInfoResponse`, as far as the bridge reads it.
#[derive(Debug, Deserialize)]
pub struct TokenInfo {
    pub hub_id: u64,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Seconds left.
    pub expires_in: i64,
}

/// A CRM object (`SimplePublicObject`): its id and the properties asked for (HubSpot sends every value as a
/// string, or `null`).
#[derive(Debug, Clone, Deserialize)]
pub struct Object {
    pub id: String,
    #[serde(default)]
    pub properties: BTreeMap<String, Option<String>>,
    #[serde(rename = "createdAt")]
    pub created_at: String,
    #[serde(rename = "updatedAt")]
    pub updated_at: String,
}

impl Object {
    /// A property's value, when set and not blank.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties.get(name)?.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }
}

/// A page of search results (`CollectionResponseWithTotalSimplePublicObjectForwardPaging`).
#[derive(Debug, Deserialize)]
pub struct SearchPage {
    pub total: u64,
    pub results: Vec<Object>,
    #[serde(default)]
    pub paging: Option<Paging>,
}

impl SearchPage {
    /// HubSpot's cursor to the next page, when there is one.
    pub fn next_after(&self) -> Option<&str> {
        self.paging.as_ref()?.next.as_ref().map(|next| next.after.as_str()).filter(|a| !a.is_empty())
    }
}

/// `ForwardPaging`.
#[derive(Debug, Deserialize)]
pub struct Paging {
    #[serde(default)]
    pub next: Option<NextPage>,
}

/// `NextPage`.
#[derive(Debug, Deserialize)]
pub struct NextPage {
    pub after: String,
}

/// A contact read with its associations (`SimplePublicObjectWithAssociations`), as far as the bridge reads it.
#[derive(Debug, Deserialize)]
pub struct ContactAssociations {
    /// Per object type (`notes`, `tickets`…); a type without any associated object is absent.
    #[serde(default)]
    pub associations: BTreeMap<String, Associated>,
}

impl ContactAssociations {
    /// The associations of `kind`: none when HubSpot sent none.
    pub fn of(&self, kind: &str) -> Option<&Associated> {
        self.associations.get(kind)
    }
}

/// One type's page of associated ids (`CollectionResponseAssociatedId`): HubSpot lists an object once per
/// association type (a labelled and an unlabelled one), so an id may come twice.
#[derive(Debug, Deserialize)]
pub struct Associated {
    results: Vec<AssociatedObject>,
    #[serde(default)]
    paging: Option<Paging>,
}

impl Associated {
    /// The associated ids, each once.
    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.results.iter().map(|a| a.id.clone()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Whether these are all of them (HubSpot sent no next page).
    pub fn complete(&self) -> bool {
        self.paging.as_ref().and_then(|p| p.next.as_ref()).is_none()
    }
}

#[derive(Debug, Deserialize)]
struct AssociatedObject {
    id: String,
}

#[derive(Debug, Deserialize)]
struct AssociationsPage {
    results: Vec<Association>,
}

#[derive(Debug, Deserialize)]
struct Association {
    /// A string in HubSpot's description, a number in some of its answers: both are read.
    #[serde(rename = "toObjectId", deserialize_with = "string_or_number")]
    to_object_id: String,
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!("expected an id, found {other}"))),
    }
}

#[derive(Debug, Deserialize)]
struct Batch {
    results: Vec<Object>,
}

/// A HubSpot owner (`PublicOwner`), as far as the bridge reads it.
#[derive(Debug, Deserialize)]
pub struct Owner {
    pub id: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default, rename = "firstName")]
    pub first_name: Option<String>,
    #[serde(default, rename = "lastName")]
    pub last_name: Option<String>,
    #[serde(default)]
    pub archived: bool,
    /// `PERSON` or `QUEUE`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// A page of owners (`CollectionResponsePublicOwnerForwardPaging`).
#[derive(Debug, Deserialize)]
pub struct OwnersPage {
    pub results: Vec<Owner>,
    #[serde(default)]
    pub paging: Option<Paging>,
}

/// HubSpot's error body (`Error`), as far as the bridge reads it.
#[derive(Debug, Default, Deserialize)]
struct HubSpotError {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    context: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    errors: Vec<HubSpotErrorDetail>,
}

#[derive(Debug, Default, Deserialize)]
struct HubSpotErrorDetail {
    #[serde(default)]
    context: BTreeMap<String, Vec<String>>,
}

// --- What the bridge sends ---------------------------------------------------------------------------------------

/// A search (`PublicObjectSearchRequest`).
#[derive(Debug, Serialize)]
pub struct Search {
    #[serde(rename = "filterGroups")]
    pub filter_groups: Vec<FilterGroup>,
    /// HubSpot's guide writes sorts as `{"propertyName", "direction"}` objects (its OpenAPI file says strings).
    pub sorts: Vec<Value>,
    pub properties: Vec<&'static str>,
    pub limit: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// Filters that must all match; a search's groups are alternatives.
#[derive(Debug, Serialize)]
pub struct FilterGroup {
    pub filters: Vec<Filter>,
}

/// One condition on a property: a `value`, or `values` for `IN`.
#[derive(Debug, Serialize)]
pub struct Filter {
    #[serde(rename = "propertyName")]
    pub property: &'static str,
    pub operator: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

impl Filter {
    pub fn new(property: &'static str, operator: &'static str, value: impl Into<String>) -> Self {
        Self { property, operator, value: Some(value.into()), values: Vec::new() }
    }

    /// `property` is one of `values`: HubSpot's `IN`, which wants string values in lowercase (they are made so).
    pub fn any_of(property: &'static str, values: &[String]) -> Self {
        let values = values.iter().map(|v| v.to_lowercase()).collect();
        Self { property, operator: "IN", value: None, values }
    }
}

/// An object to create (`SimplePublicObjectInputForCreate`).
#[derive(Debug, Serialize)]
pub struct NewObject {
    pub properties: BTreeMap<&'static str, String>,
    pub associations: Vec<NewAssociation>,
}

/// An association of a new object, with HubSpot's association type id (`202` note → contact, `204` task →
/// contact).
#[derive(Debug, Serialize)]
pub struct NewAssociation {
    pub to: AssociatedId,
    pub types: Vec<AssociationType>,
}

impl NewAssociation {
    /// An association to contact `id`, of HubSpot-defined type `type_id`.
    pub fn contact(id: &str, type_id: u32) -> Self {
        Self {
            to: AssociatedId { id: id.to_owned() },
            types: vec![AssociationType { category: "HUBSPOT_DEFINED", type_id }],
        }
    }
}

#[derive(Debug, Serialize)]
pub struct AssociatedId {
    pub id: String,
}

#[derive(Debug, Serialize)]
pub struct AssociationType {
    #[serde(rename = "associationCategory")]
    pub category: &'static str,
    #[serde(rename = "associationTypeId")]
    pub type_id: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use bridge::http::header::HeaderValue;

    #[test]
    fn a_contacts_associations_are_read_once_each_and_known_complete_or_not() {
        // As HubSpot's description shows them: an object once per association type, a page of 100 at most.
        let contact: ContactAssociations = serde_json::from_value(json!({
            "id": "512", "properties": {"hs_object_id": "512"},
            "createdAt": "2024-06-03T12:00:00.000Z", "updatedAt": "2024-06-03T12:00:00.000Z", "archived": false,
            "associations": {
                "companies": {"results": [{"id": "29846388244", "type": "contact_to_company"},
                    {"id": "29846388244", "type": "contact_to_company_unlabeled"}]},
                "notes": {"results": [{"id": "7", "type": "contact_to_note"}],
                    "paging": {"next": {"after": "MTAw", "link": "?after=MTAw"}}},
            },
        }))
        .unwrap();
        let companies = contact.of("companies").unwrap();
        assert_eq!((companies.ids(), companies.complete()), (vec!["29846388244".to_owned()], true));
        assert!(!contact.of("notes").unwrap().complete());
        assert!(contact.of("tickets").is_none());
        let bare: ContactAssociations = serde_json::from_value(json!({"id": "1", "properties": {}})).unwrap();
        assert!(bare.of("notes").is_none(), "a contact without associations has none of any kind");
    }

    #[test]
    fn in_filters_are_lowercase_and_leave_value_out() {
        let filter = serde_json::to_value(Filter::any_of("email", &["Iris@Example.com".to_owned()])).unwrap();
        assert_eq!(filter, json!({"propertyName": "email", "operator": "IN", "values": ["iris@example.com"]}));
        let filter = serde_json::to_value(Filter::new("phone", "EQ", "+1 555")).unwrap();
        assert_eq!(filter, json!({"propertyName": "phone", "operator": "EQ", "value": "+1 555"}));
    }

    #[test]
    fn hubspot_429s_are_read_by_policy() {
        let second = Duration::from_millis(1100);
        let body =
            |policy: &str| format!(r#"{{"status": "error", "errorType": "RATE_LIMIT", "policyName": "{policy}"}}"#);
        let none = HeaderMap::new();
        assert_eq!(read_429(&none, body("SECONDLY").as_bytes(), second), RateLimitHint::Wait(second));
        assert_eq!(read_429(&none, body("TEN_SECONDLY_ROLLING").as_bytes(), second), RateLimitHint::Backoff);
        assert!(matches!(read_429(&none, body("DAILY").as_bytes(), second), RateLimitHint::GiveUp(_)));
        assert_eq!(read_429(&none, b"<html>busy</html>", second), RateLimitHint::Backoff);
        let mut spent = HeaderMap::new();
        spent.insert("x-hubspot-ratelimit-daily-remaining", HeaderValue::from_static("0"));
        assert!(matches!(read_429(&spent, body("TEN_SECONDLY_ROLLING").as_bytes(), second), RateLimitHint::GiveUp(_)));
    }
}
