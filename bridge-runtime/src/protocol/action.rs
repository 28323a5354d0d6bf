//! Action execution: the context of an action request and the outcome a bridge answers with `201`.

use serde::{Deserialize, Serialize};

/// `meta` of an action execution request. `data` is the action's own input type.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct ActionMeta {
    /// The contact's id in the external service, when the action runs in the scope of a synchronized contact.
    #[serde(default, deserialize_with = "super::id::optional")]
    pub contact_external_id: Option<String>,
    /// The agent's id in the external service, when the agent who ran the action was synchronized.
    #[serde(default, deserialize_with = "super::id::optional")]
    pub agent_external_id: Option<String>,
}

/// What an action executor answers on success (status `201`). Every field is optional.
///
/// ```
/// use bridge::ActionOutcome;
///
/// let outcome = ActionOutcome::message("Ticket #42 created").external_id("42");
/// assert_eq!(
///     serde_json::to_value(&outcome).unwrap(),
///     serde_json::json!({"message": "Ticket #42 created", "external_id": "42"})
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ActionOutcome {
    /// What happened, e.g. `Case successfully created`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The id of the resource the action created (other than a contact).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "super::id::optional")]
    pub external_id: Option<String>,
    /// The id of the contact the action created.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "super::id::optional")]
    pub contact_external_id: Option<String>,
    /// The type of the contact the action created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_external_type: Option<String>,
    /// The URL of the contact the action created (needed for contact pop).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_external_url: Option<String>,
}

impl ActionOutcome {
    /// An outcome with a message.
    #[inline]
    pub fn message(message: impl Into<String>) -> Self {
        Self { message: Some(message.into()), ..Self::default() }
    }

    /// Sets the id of the created resource.
    #[inline]
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.external_id = Some(id.into());
        self
    }

    /// Describes a created contact: its id, type and URL.
    #[inline]
    pub fn contact(mut self, id: impl Into<String>, kind: impl Into<String>, url: impl Into<String>) -> Self {
        self.contact_external_id = Some(id.into());
        self.contact_external_type = Some(kind.into());
        self.contact_external_url = Some(url.into());
        self
    }
}
