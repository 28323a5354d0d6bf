//! Talkdesk's own examples from its configuration reference (see `docs/configuration.md`), verbatim (stray spaces
//! included), kept in `tests/vectors/`: the test vectors of the configuration documents.

use serde_json::Value;

/// The example integration: Talkdesk's Zendesk configuration.
pub fn zendesk_integration() -> Value {
    serde_json::from_str(include_str!("../../vectors/zendesk_integration.json")).expect("valid JSON")
}

/// The example action: Zendesk's `create_ticket`.
pub fn zendesk_action() -> Value {
    serde_json::from_str(include_str!("../../vectors/zendesk_action.json")).expect("valid JSON")
}
