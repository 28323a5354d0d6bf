//! Interaction retrieval: what Talkdesk asks about a contact, and the interactions a bridge answers.

use super::date::TalkdeskDate;
use serde::{Deserialize, Serialize};

/// `meta` of an interaction retrieval request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InteractionMeta {
    /// The types of interactions the Talkdesk user wants (e.g. `["case", "note"]`). Answer only these.
    pub interaction_types: Vec<String>,
}

impl InteractionMeta {
    /// Whether interactions of type `kind` were asked for.
    #[inline]
    pub fn wants(&self, kind: &str) -> bool {
        self.interaction_types.iter().any(|t| t == kind)
    }
}

/// `data` of an interaction retrieval request: what identifies the contact. Use the first that finds it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct InteractionData {
    /// The contact's id in the external service, for contacts synchronized through the bridge.
    #[serde(default, deserialize_with = "super::id::optional")]
    pub contact_external_id: Option<String>,
    /// The contact's name.
    #[serde(default)]
    pub contact_name: Option<String>,
    /// The contact's emails.
    #[serde(default)]
    pub contact_emails: Vec<String>,
    /// The contact's phone numbers.
    #[serde(default)]
    pub contact_phones: Vec<String>,
}

/// How urgent an interaction is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// No priority set.
    None,
    /// Low.
    Low,
    /// Normal.
    Normal,
    /// High.
    High,
    /// Urgent.
    Urgent,
}

/// Where an interaction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Just created.
    New,
    /// Being worked on.
    Open,
    /// Waiting for someone.
    Pending,
    /// Solved.
    Solved,
    /// Closed.
    Closed,
}

/// One interaction with a contact, as Talkdesk displays it.
///
/// ```
/// use bridge::{Interaction, Priority, Status, TalkdeskDate};
///
/// let date = "2012-11-21 17:53:51 UTC".parse::<TalkdeskDate>().unwrap();
/// let case = Interaction::new("23", "case", "A very important matter", date)
///     .description("Your order is ready to be shipped")
///     .url("http://example.com/interactions/23")
///     .priority(Priority::High)
///     .status(Status::Pending);
/// assert_eq!(
///     serde_json::to_value(&case).unwrap(),
///     serde_json::json!({
///         "id": "23", "subject": "A very important matter", "description": "Your order is ready to be shipped",
///         "date": "2012-11-21 17:53:51 UTC", "url": "http://example.com/interactions/23", "type": "case",
///         "priority": "high", "status": "pending"
///     })
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interaction {
    /// The interaction's id in the external service (unique).
    #[serde(deserialize_with = "super::id::required")]
    pub id: String,
    /// Its subject or title.
    pub subject: String,
    /// A preview: a text description or the start of an email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// When it happened, or its due date for a future item.
    pub date: TalkdeskDate,
    /// Where it is in the external service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Its type: one of the requested `interaction_types`.
    #[serde(rename = "type")]
    pub kind: String,
    /// How urgent it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// Where it stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
}

impl Interaction {
    /// An interaction with its mandatory fields: id, type, subject and date.
    #[inline]
    pub fn new(id: impl Into<String>, kind: impl Into<String>, subject: impl Into<String>, date: TalkdeskDate) -> Self {
        Self {
            id: id.into(),
            subject: subject.into(),
            description: None,
            date,
            url: None,
            kind: kind.into(),
            priority: None,
            status: None,
        }
    }

    /// Sets the preview.
    #[inline]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the URL in the external service.
    #[inline]
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Sets the priority.
    #[inline]
    pub fn priority(mut self, priority: Priority) -> Self {
        self.priority = Some(priority);
        self
    }

    /// Sets the status.
    #[inline]
    pub fn status(mut self, status: Status) -> Self {
        self.status = Some(status);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spec_request_example() {
        let data: InteractionData = serde_json::from_str(
            r#"{"contact_external_id": "1", "contact_name": "Jane",
                "contact_emails": ["jane.doe@example.com", "jane@example.com"], "contact_phones": ["+15555555555"]}"#,
        )
        .unwrap();
        assert_eq!(data.contact_external_id.as_deref(), Some("1"));
        assert_eq!(data.contact_emails.len(), 2);
        let meta: InteractionMeta = serde_json::from_str(r#"{"interaction_types": ["case", "note"]}"#).unwrap();
        assert!(meta.wants("note") && !meta.wants("ticket"));
    }

    #[test]
    fn priority_and_status_use_talkdesk_names() {
        assert_eq!(serde_json::to_string(&Priority::None).unwrap(), r#""none""#);
        assert_eq!(serde_json::to_string(&Status::Solved).unwrap(), r#""solved""#);
        assert!(serde_json::from_str::<Status>(r#""hold""#).is_err());
    }
}
