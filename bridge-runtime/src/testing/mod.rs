//! Test a bridge the way Talkdesk uses it, without Talkdesk (feature `testing`, for `[dev-dependencies]`).
//!
//! - [`TestClient`] calls a bridge's endpoints **in process**, without a socket ([`TestClient::new`]), or a bridge
//!   at a URL over HTTP ([`TestClient::http`]), with a typed builder for each endpoint's request and typed access
//!   to the answer: status, headers, body as the protocol type ([`TestResponse::json`]) or as raw JSON
//!   ([`TestResponse::raw_json`]).
//! - [`Simulator`] drives a bridge as Talkdesk does (every page of an initial and an incremental contact sync,
//!   interaction lookups, actions, every page of an agent sync, rejected credentials) and checks the protocol's
//!   invariants on every answer. It returns a [`Report`]: each check, pass or fail, and why. Given an [`OAuth`]
//!   ([`Simulator::oauth`]), it refreshes the token and repeats a request answered `401`, as Talkdesk does.
//! - [`fake`] is the kit for a stateful fake of the service a bridge calls: a loopback server over a function from
//!   request to answer, with faults on demand, latency, a call log and a clock, so that the fake holds only the
//!   service's behaviour.
//!
//! The same simulator runs against any bridge at a URL, in any language, as a command that reads what to check from
//! the bridge's configuration documents: `bridge-conformance --url http://127.0.0.1:3000 --auth '{"username": "…",
//! "password": "…"}'` (the `talkdesk-bridge-conformance` crate; [`Simulator::declared_endpoints`] is how it tells
//! the simulator which endpoints the documents declare).
//!
//! ```toml
//! [dev-dependencies]
//! talkdesk-bridge = { version = "0.1", features = ["testing"] }
//! ```
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use bridge::testing::{Simulator, TestClient};
//! use bridge::{Auth, Bridge, Contact, ContactPage, Error};
//!
//! #[bridge::contact_retriever]
//! async fn contacts(Auth(auth): Auth<serde_json::Value>) -> Result<ContactPage, Error> {
//!     if auth["token"] != "t" {
//!         return Err(Error::credentials_rejected());
//!     }
//!     Ok(ContactPage::new(vec![Contact::new("1", "Jane")], "2024-01-31 09:30:00 UTC"))
//! }
//!
//! let client = TestClient::new(Bridge::new().endpoint(contacts {})).unwrap();
//!
//! // One request, typed both ways.
//! let page: ContactPage = client.contact_sync().auth(serde_json::json!({"token": "t"})).send().await.answer();
//! assert_eq!(page.contacts, [Contact::new("1", "Jane")]);
//!
//! // Talkdesk's whole conversation, checked.
//! Simulator::new(client, serde_json::json!({"token": "t"})).run().await.assert_passes();
//! # }
//! ```

// The kit's docs describe all of it; built with `simulator` alone, their links to the in-process half (feature
// `testing`) have nothing to point at.
#![cfg_attr(not(feature = "testing"), allow(rustdoc::broken_intra_doc_links))]

// One folder per product: the cassette player, the test client, the fakes' kit, the simulator (with its report
// and checks). Their paths for users are the re-exports below.
//
// The simulator and the test client over HTTP drive a bridge at a URL and need no server (feature `simulator`:
// `talkdesk-bridge-conformance` builds on them alone); the rest calls a bridge in process or serves a fake
// (feature `testing`, which the facade's `testing` turns on).
#[cfg(feature = "testing")]
mod cassette;
mod client;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod fake;
mod simulator;

#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub use cassette::{rerecord, Cassette, CassetteChanges, CassetteError};
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub use client::in_process_transport::InProcessTransport;
pub use client::synced::{SyncAll, SyncFailure, SyncTruth, SyncedAgents, SyncedContacts};
pub use client::test_messages::{TestRequest, TestResponse};
pub use client::transport::{HttpTransport, Transport, TransportError, DEFAULT_TIMEOUT};
// The `CallKind` marker of each endpoint kind (`ContactSyncCall`, …), generated from the table of the kinds.
pub use client::markers::*;
pub use client::{Call, CallKind, Paths, RawCall, TestClient};
pub use simulator::checks::CheckpointOrder;
pub use simulator::oauth::{OAuth, Refreshed};
pub use simulator::report::{Check, CheckId, EndpointUpstream, Outcome, Report, Section};
pub use simulator::{ActionProbe, Progress, Simulator, SourceChange, DEFAULT_MAX_PAGES};
