//! The protocol and the guide, shipped with the crate: the pages of the repository's `docs/` folder.
//!
//! - [`guide`]: from `cargo new` to a deployed bridge, over a SQL database — blocking work in async handlers,
//!   tests, deployment.
//! - [`http_service`]: a bridge over an HTTP service — the tenant's URL from `auth`, the base-URL override for a
//!   fake or a proxy, the client's defaults (deadline, retries, rate limits, the service's error messages),
//!   paging the service without losing rows, the checkpoint rule, testing.
//! - [`cassettes`]: testing against the real service without writing a fake — record a session (`BRIDGE_RECORD`),
//!   what is redacted, replay it offline, re-record when the service changes and read what changed.
//! - [`protocol`]: what every endpoint shares — the envelope, the answers, what a `401` means, dates, and where
//!   this project's reading departs from Talkdesk's documents.
//! - One page per endpoint, with what Talkdesk sends, what to answer and the edge cases: [`auth_validation`],
//!   [`contact_sync`], [`interaction_retrieval`], [`action_execution`], [`agent_sync`].
//! - [`configuration`]: the configuration documents Talkdesk is given, and which code writes each field.
//! - [`postgres`]: contact synchronization over PostgreSQL, where commit order is not timestamp order (the
//!   `pg_snapshot_xmin` recipe, and its trap).
//! - [`replicas`]: many replicas, one memory — actions that run once and lookups that share their answers, in
//!   process or on Redis: what is shared, what is not, what it saves.
//!
//! Their code examples are compiled and run as doc tests, with the paths a bridge writes (`bridge::…`).

#[doc = include_str!("../docs/guide.md")]
pub mod guide {}

#[doc = include_str!("../docs/http_service.md")]
pub mod http_service {}

#[doc = include_str!("../docs/cassettes.md")]
pub mod cassettes {}

#[doc = include_str!("../docs/protocol.md")]
pub mod protocol {}

#[doc = include_str!("../docs/auth_validation.md")]
pub mod auth_validation {}

#[doc = include_str!("../docs/contact_sync.md")]
pub mod contact_sync {}

#[doc = include_str!("../docs/interaction_retrieval.md")]
pub mod interaction_retrieval {}

#[doc = include_str!("../docs/action_execution.md")]
pub mod action_execution {}

#[doc = include_str!("../docs/agent_sync.md")]
pub mod agent_sync {}

#[doc = include_str!("../docs/configuration.md")]
pub mod configuration {}

#[doc = include_str!("../docs/postgres.md")]
pub mod postgres {}

#[doc = include_str!("../docs/replicas.md")]
pub mod replicas {}
