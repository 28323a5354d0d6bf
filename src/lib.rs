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
//! #[derive(Debug, Deserialize, bridge::ActionInputs)]
//! struct Ticket {
//!     /// Ticket subject
//!     subject: String,
//!     /// Ticket description
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
//! #[bridge::action_executor(name = "create_ticket", display = "create a ticket")]
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
//! Each macro generates the endpoint: the `POST` route, body decoding with a `400` that names every offending
//! field, the call, and the answer with the status the protocol wants. Every request reaches it through one path,
//! the bridge's [`BridgeService`] (request ids, load shedding, the inbound token, limits), whether the bridge
//! serves itself ([`Bridge::serve`]), is mounted in another server, or is called in process by the test kit. The function itself stays an
//! ordinary `async fn` that tests can call directly.
//!
//! ## Documentation
//!
//! [`docs`] holds the guide ([`docs::guide`]: from `cargo new` to a deployed bridge, over a SQL database) and the
//! protocol's reference, one page per endpoint ([`docs::protocol`] first). [`mod@cli`] is the command line every
//! bridge's `main` hands itself to. The test kit, `bridge::testing`, needs the `testing` feature (docs.rs and the
//! project's CI document it with every feature on: `cargo doc --all-features`).
//!
//! ## Configuration generated from code
//!
//! Talkdesk learns about an integration from JSON documents ([`docs::configuration`]): the integration's,
//! with its auth fields and endpoint URLs, and one per action, with its inputs. The bridge writes them from code:
//! `#[derive(bridge::AuthFields)]` describes the auth type, `#[derive(bridge::ActionInputs)]` an action's inputs
//! (required of the `T` of every `Data<T>`), `#[bridge::action_executor(display = "…", description = "…")]` the
//! action, and [`configuration::Integration`] the rest. The [`Bridge`] adds the URLs of the endpoints it mounts,
//! refuses invalid metadata at start-up, and serves the documents at `GET /configuration`:
//!
//! ```
//! use bridge::configuration::{ActionInputs, AuthFields, Integration};
//! use bridge::{ActionOutcome, Auth, Bridge, Data, Error, Secret};
//! use serde::Deserialize;
//!
//! #[derive(Deserialize, bridge::AuthFields)]
//! struct Credentials {
//!     #[bridge(display = "Account", format = "https://{{account}}.zendesk.com")]
//!     account: String,
//!     /// Agent Email
//!     email: String,
//!     #[bridge(display = "API Token", help = "Find under Settings > Channels")]
//!     token: Secret,
//!     /// Region
//!     #[serde(rename = "zone")]
//!     region: Option<String>,
//! }
//!
//! #[derive(Deserialize, bridge::ActionInputs)]
//! struct Ticket {
//!     #[bridge(name = "Ticket subject")]
//!     subject: String,
//!     /// Priority
//!     #[serde(default)]
//!     priority: Option<String>,
//! }
//!
//! /// create a new ticket in Zendesk
//! #[bridge::action_executor(name = "create_ticket", display = "create a ticket")]
//! async fn create_ticket(_auth: Auth<Credentials>, Data(ticket): Data<Ticket>) -> Result<ActionOutcome, Error> {
//!     Ok(ActionOutcome::message(ticket.subject))
//! }
//!
//! let fields = Credentials::auth_fields();
//! assert_eq!((fields[0].key.as_str(), fields[0].display.as_str()), ("account", "Account"));
//! assert_eq!((fields[3].key.as_str(), fields[3].mandatory), ("zone", false));
//! assert_eq!(Ticket::action_inputs()[1].name, "Priority");
//!
//! let bridge = Bridge::new().endpoint(create_ticket {}).integration(
//!     Integration::new("zendesk", "Zendesk")
//!         .description("Support tickets")
//!         .logo_url("https://example.com/logo.png")
//!         .icon_url("https://example.com/icon.png")
//!         .custom_auth_of::<Credentials>(),
//! );
//! let documents = bridge.configuration("https://bridge.example.com").unwrap();
//! assert_eq!(documents.actions[0]["endpoint"], "https://bridge.example.com/actions/create_ticket");
//! assert_eq!(documents.actions[0]["description"], "create a new ticket in Zendesk");
//! assert_eq!(documents.actions[0]["inputs"][0]["name"], "Ticket subject");
//! ```
//!
//! Misuse is a compile error on the field: a field without a label, an unknown key, a value of the wrong type.
//!
//! ```compile_fail
//! #[derive(serde::Deserialize, bridge::AuthFields)]
//! struct Credentials {
//!     #[bridge(display = "Account", store = "yes")] // `store` takes `true` or `false`
//!     account: String,
//! }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod docs;

pub use bridge_macros::{
    action_executor, agent_retriever, auth_validator, contact_retriever, interaction_retriever, ActionInputs,
    AuthFields,
};
/// Declares a program's own environment variables once: see [`settings::Variable`].
pub use bridge_runtime::variables;
pub use bridge_runtime::{
    cli, configuration, settings, sync, ActionMeta, ActionOutcome, Agent, AgentPage, AgentSyncMeta, Auth,
    AuthValidation, Bridge, BridgeService, BuildError, Contact, ContactPage, ContactSyncMeta, Data, DateParseError,
    Endpoint, EndpointInfo, EndpointKind, Envelope, Error, ErrorKind, FieldError, FromRequest, Interaction,
    InteractionData, InteractionMeta, LogFormat, NoData, NoMeta, ParseVariantError, Priority, ReadinessCheck,
    RequestParts, Response, ResponseBody, ResponseFuture, ResultExt, RunningBridge, Secret, ServeError, Settings,
    SettingsError, State, Status, SyncSituation, TalkdeskDate, DEFAULT_ADDR, DEFAULT_BODY_LIMIT, DEFAULT_DEADLINE,
    DEFAULT_DRAIN_DELAY, DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_IN_FLIGHT, DEFAULT_SHUTDOWN_GRACE,
};

/// The store replicas share, for actions that run once and lookups that share their answers (in process; Redis
/// with the feature `redis`).
pub use bridge_runtime::store;

/// The client for the external service a bridge adapts (feature `client`, on by default).
#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
pub use bridge_runtime::http;

/// Test a bridge the way Talkdesk uses it, without Talkdesk: an in-process and HTTP test client, and a Talkdesk
/// simulator.
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub use bridge_runtime::testing;

#[doc(hidden)]
pub use bridge_runtime::__private;

/// The README's examples, compiled as doc tests so that they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(test)]
mod tests {
    /// The generated code of `bridge-macros` calls the runtime's versioned contract: the facade pins both crates to
    /// its own exact version, so that a user's lock file cannot pair them otherwise.
    #[test]
    fn the_internal_crates_are_pinned_to_this_version() {
        let manifest = include_str!("../Cargo.toml");
        for krate in ["bridge-macros", "bridge-runtime"] {
            let pinned = format!("{krate} = {{ path = \"{krate}\", version = \"={}\"", env!("CARGO_PKG_VERSION"));
            assert!(manifest.contains(&pinned), "Cargo.toml must pin `{pinned}`");
        }
    }

    /// The operations chapter's table of environment variables is the one `bridge::settings` reads and `--help`
    /// prints.
    #[test]
    fn the_operations_chapter_lists_every_variable_as_the_settings_do() {
        let table = crate::settings::markdown_table();
        assert!(
            include_str!("../docs/operations.md").contains(&table),
            "docs/operations.md's \"Variables\" table must read, exactly:\n{table}"
        );
    }
}
