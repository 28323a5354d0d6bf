//! # bridge
//!
//! Turn a few annotated async functions into a production [Talkdesk](https://www.talkdesk.com) integration
//! bridge: the HTTP service Talkdesk calls to validate credentials, synchronize contacts and agents, show a
//! contact's interactions and run actions in an external service.
//!
//! ```no_run
//! use bridge::{ActionMeta, ActionOutcome, Auth, Bridge, Data, Error, Secret};
//! use serde::Deserialize;
//!
//! #[derive(Debug, Deserialize)]
//! struct Credentials {
//!     token: Secret,
//! }
//!
//! #[derive(Debug, Deserialize)]
//! struct Ticket {
//!     subject: String,
//!     description: String,
//! }
//!
//! #[bridge::auth_validator]
//! async fn validate(Auth(credentials): Auth<Credentials>) -> Result<(), Error> {
//!     if credentials.token.expose() == "let-me-in" {
//!         Ok(())
//!     } else {
//!         Err(Error::credentials_rejected())
//!     }
//! }
//!
//! #[bridge::action_executor(name = "create_ticket")]
//! async fn create_ticket(
//!     _auth: Auth<Credentials>,
//!     meta: ActionMeta,
//!     Data(ticket): Data<Ticket>,
//! ) -> Result<ActionOutcome, Error> {
//!     let _ = (meta.contact_external_id, ticket.description);
//!     Ok(ActionOutcome::message(format!("created \"{}\"", ticket.subject)).external_id("42"))
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), bridge::ServeError> {
//!     Bridge::new()
//!         .endpoint(validate {})
//!         .endpoint(create_ticket {})
//!         .serve()
//!         .await
//! }
//! ```
//!
//! Each macro generates the endpoint's warp filter: the `POST` route, body decoding with a `400` that names every
//! offending field, the call, and the answer with the status the protocol wants. The function itself stays an
//! ordinary `async fn` that tests can call directly.

pub use bridge_macros::{action_executor, agent_retriever, auth_validator, contact_retriever, interaction_retriever};
pub use bridge_runtime::*;

/// The README's examples, compiled as doc tests so that they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
