//! Calling the external service: an HTTP client with the safe defaults a bridge needs.
//!
//! A bridge spends its life calling one external service (Zendesk, a CRM, a help desk) with the credentials in
//! the request's `auth`. This module makes those calls hard to get wrong:
//!
//! - **one pool per process**: a [`Client`] is built once at start-up and shared as `State<Client>`; its clones
//!   share kept-alive connections (rustls, no OpenSSL);
//! - **bounded time**: every attempt has a timeout; inside a request, every call (its retries and waits
//!   included) ends before the request's deadline, with a [margin](ClientBuilder::request_margin) for the bridge
//!   to answer `504` itself; a call can shorten that with a [`deadline`](RequestBuilder::deadline), never extend
//!   it, and no retry is started that the deadline would cut short;
//! - **bounded retries**: `429` and `503` (and failed connections, or broken ones for idempotent methods) are
//!   retried with jittered exponential [`Backoff`], honouring `Retry-After` in seconds or as a date; a service
//!   that answers `429` without `Retry-After` (HubSpot) gets a [`RateLimit`]: its own hint, backoff and count,
//!   still within the call's deadline;
//! - **no surprises in where calls go**: redirects are never followed, a request chooses a tenant only through a
//!   checked DNS label ([`TenantUrl`]), path segments are percent-encoded ([`BaseUrl::join`]);
//! - **the protocol's statuses**: the service's `401`/`403` becomes the bridge's `401`, other `4xx` a `400`
//!   quoting the service (made safe: its message and the fields it blames, read by a per-service
//!   [`error_reader`](ClientBuilder::error_reader) or the [common shapes](ServiceError::read); a blamed field
//!   the call [maps](RequestBuilder::map_field) becomes a field of the `400`), `5xx` and unreadable answers a
//!   `502`, timeouts a `504`
//!   (the full table is in [`status`]); a `404` can be an `Ok(None)` with
//!   [`send_optional`](RequestBuilder::send_optional) / [`fetch_optional`](RequestBuilder::fetch_optional);
//! - **credentials stay secret**: they are only taken as [`Secret`](crate::Secret)s, marked sensitive, absent
//!   from `Debug`, spans and logs, and blanked out of anything quoted from an answer;
//! - **answers that do not fit say where**: [`Response::json`] names the offending field
//!   (`results[3].created_at: invalid type: null, expected a string`);
//! - **paging the service**, one of its pages per Talkdesk page, the position carried in the page's offset
//!   (a tampered offset is a `400` naming `meta.offset`): [`LinkPager`] (`Link: <…>; rel="next"`, RFC 8288),
//!   [`CursorPager`] (opaque tokens), [`SincePager`] (page numbers re-anchored on the last row's update time: page
//!   numbers alone, [`PageNumbers`], lose the rows that shift back when another row changes mid-sync);
//! - **one span per call** (`http_call`) with `service`, `method`, `host`, `path` (never the query string),
//!   `status`, `attempts` and `latency_ms`;
//! - **seen by the operator**: within a request, each call carries the request's W3C `traceparent` and is counted
//!   in the bridge's `GET /metrics` (calls by service and status, retries, back-off waited, latency).
//!
//! # A complete handler
//!
//! An interaction retriever that lists a contact's Zendesk tickets, mounted in a bridge. The call inherits the
//! request's deadline: no `.deadline(…)` is needed for the bridge to answer in time.
//!
//! ```no_run
//! use bridge::http::{BaseUrl, Client, TenantUrl};
//! use bridge::{
//!     Auth, Bridge, Error, Interaction, InteractionData, InteractionMeta, Secret, State, TalkdeskDate,
//! };
//! use serde::Deserialize;
//! use std::time::Duration;
//!
//! /// The `auth` the integration declares: the Zendesk subdomain, an agent's email and an API token.
//! #[derive(Debug, Deserialize)]
//! struct Credentials {
//!     subdomain: String,
//!     email: String,
//!     token: Secret,
//! }
//!
//! /// The part of Zendesk's `GET /api/v2/search.json` answer the bridge reads.
//! #[derive(Deserialize)]
//! struct Search {
//!     results: Vec<Ticket>,
//! }
//!
//! #[derive(Deserialize)]
//! struct Ticket {
//!     id: u64,
//!     subject: String,
//!     description: Option<String>,
//!     created_at: String,
//! }
//!
//! #[bridge::interaction_retriever]
//! async fn interactions(
//!     Auth(auth): Auth<Credentials>,
//!     meta: InteractionMeta,
//!     data: InteractionData,
//!     State(client): State<Client>,
//!     State(zendesk): State<TenantUrl>,
//! ) -> Result<Vec<Interaction>, Error> {
//!     let Some(email) = data.contact_emails.first() else {
//!         return Ok(Vec::new());
//!     };
//!     if !meta.wants("ticket") {
//!         return Ok(Vec::new());
//!     }
//!     // `auth.subdomain` is checked to be one DNS label: "acme" gives https://acme.zendesk.com/, while
//!     // "evil.com/" is a 400 naming `auth.subdomain`, and nothing is sent.
//!     let base = zendesk.tenant("auth.subdomain", &auth.subdomain)?;
//!     // `format!`, not `format_args!`: a handler's future must be `Send`, and `format_args!`'s value, alive until
//!     // the end of the statement, is not.
//!     let found: Option<Search> = client
//!         .get(base.join(["api", "v2", "search.json"])?)
//!         .query("query", format!("type:ticket requester:{email}"))
//!         .basic_auth(format!("{}/token", auth.email), &auth.token) // the token is the password
//!         .fetch_optional() // Zendesk's 404 (no such user): no interactions
//!         .await?; // 401/403 → 401, 422 → 400 quoting Zendesk, 5xx → 502, past the deadline → 504
//!     let tickets = found.map(|s| s.results).unwrap_or_default();
//!     tickets
//!         .into_iter()
//!         .map(|ticket| {
//!             let date = TalkdeskDate::parse_rfc3339(&ticket.created_at)
//!                 .map_err(|e| Error::upstream(format!("Zendesk sent an unreadable date: {e}")))?;
//!             let url = base.join(["agent", "tickets", &ticket.id.to_string()])?;
//!             let mut interaction = Interaction::new(ticket.id.to_string(), "ticket", ticket.subject, date)
//!                 .url(url.to_string());
//!             if let Some(description) = ticket.description {
//!                 interaction = interaction.description(description);
//!             }
//!             Ok(interaction)
//!         })
//!         .collect()
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let client = Client::builder()
//!         .service_name("Zendesk")
//!         .timeout(Duration::from_secs(5))
//!         .max_retries(2)
//!         .build()?;
//!     // ZENDESK_BASE_URL (operator configuration, e.g. a staging host) replaces https://<subdomain>.zendesk.com;
//!     // `main` reads it, once (the library never reads the environment).
//!     let mut zendesk = TenantUrl::new("zendesk.com");
//!     let variable = std::env::var("ZENDESK_BASE_URL").ok();
//!     if let Some(base) = BaseUrl::from_variable("ZENDESK_BASE_URL", variable.as_deref())? {
//!         zendesk = zendesk.with_override(base);
//!     }
//!     Bridge::new().state(client).state(zendesk).endpoint(interactions {}).serve().await?;
//!     Ok(())
//! }
//! ```

mod base_url;
mod call;
mod call_info;
mod client;
mod concurrently;
mod config;
mod exchange;
mod failure;
#[cfg(test)]
mod fake_service;
mod paging;
mod request;
mod response;
mod sanitize;
mod service_error;
pub mod status;
mod wait;

pub use crate::upstream::UpstreamCost;
pub use base_url::{BaseUrl, BaseUrlError, TenantHosts, TenantUrl};
pub use client::{Client, ClientBuilder, DEFAULT_REQUEST_MARGIN};
pub use concurrently::{in_this_request, try_join_all_at_most};
pub use paging::{next_link, CursorPager, LinkPager, PageNumbers, SincePage, SincePager, SincePosition};
pub use request::RequestBuilder;
pub use response::Response;
pub use service_error::{ServiceError, ServiceFieldError};
pub use status::{upstream_status, UpstreamStatus};
pub use wait::pacing::Pacing;
pub use wait::rate_limit::{RateLimit, RateLimitHint};
pub use wait::retry::Backoff;

/// Types of the underlying HTTP stack that appear in this module's API.
pub use reqwest::{header, Method, StatusCode, Url};
