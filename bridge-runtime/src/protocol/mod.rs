//! The Talkdesk bridge protocol as Rust types: what Talkdesk sends to each endpoint and what a bridge answers.
//!
//! This is the ground floor of the framework: it imports nothing else of ours. Each submodule covers one endpoint
//! (or one value shared by several), and follows Talkdesk's bridge protocol, with our own decisions where Talkdesk's
//! documents are unclear: unknown keys are ignored, a missing `meta`/`data` is an empty object, ids and offsets are
//! accepted as strings or numbers and always emitted as strings.

mod action;
mod agent;
mod auth;
mod contact;
mod date;
mod envelope;
mod form;
mod id;
mod interaction;

pub use action::{ActionMeta, ActionOutcome};
pub use agent::{Agent, AgentPage, AgentSyncMeta};
pub use auth::AuthValidation;
pub use contact::{Contact, ContactPage, ContactSyncMeta, SyncSituation};
#[cfg_attr(not(feature = "client"), allow(unused_imports))]
pub(crate) use date::carry_clock;
#[cfg_attr(not(feature = "testing"), allow(unused_imports))]
pub(crate) use date::frozen_clock;
pub use date::{DateParseError, TalkdeskDate};
pub use envelope::{Envelope, NoData, NoMeta};
#[cfg(feature = "server")]
pub(crate) use form::FormFields;
pub use interaction::{Interaction, InteractionData, InteractionMeta, ParseVariantError, Priority, Status};

/// "a string", "an object", …: what a JSON value is, without what it says (for the decoder's and the simulator's
/// messages).
#[cfg(any(feature = "server", feature = "simulator"))]
pub(crate) fn kind_of(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
