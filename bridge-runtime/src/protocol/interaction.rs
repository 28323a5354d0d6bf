//! Interaction retrieval: what Talkdesk asks about a contact, and the interactions a bridge answers.

use super::date::TalkdeskDate;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

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

/// A set of named values read from text the way a person types it: any case, surrounding spaces ignored.
macro_rules! named_values {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];
            const NAMES: &'static [&'static str] = &[$($text,)*];

            /// The name Talkdesk uses, lowercase.
            #[inline]
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ParseVariantError;

            fn from_str(text: &str) -> Result<Self, ParseVariantError> {
                // The name as Talkdesk writes it first (an action's field on every request): no trim, no case
                // folding, which cost about 80 instructions of the action endpoint's 32 000.
                if let Some(value) = Self::ALL.iter().copied().find(|value| value.as_str() == text) {
                    return Ok(value);
                }
                let trimmed = text.trim();
                Self::ALL
                    .iter()
                    .copied()
                    .find(|value| value.as_str().eq_ignore_ascii_case(trimmed))
                    .ok_or_else(|| ParseVariantError { value: text.to_owned(), expected: Self::NAMES })
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct NameVisitor;

                impl<'de> Visitor<'de> for NameVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        write!(f, "one of {}", $name::NAMES.join(", "))
                    }

                    fn visit_str<E: de::Error>(self, text: &str) -> Result<$name, E> {
                        text.parse().map_err(|_| E::unknown_variant(text, $name::NAMES))
                    }
                }

                deserializer.deserialize_str(NameVisitor)
            }
        }
    };
}

named_values! {
    /// How urgent an interaction is. Read in any case (`"High"`, `" URGENT "`), written lowercase.
    ///
    /// ```
    /// use bridge::Priority;
    ///
    /// assert_eq!("High".parse::<Priority>().unwrap(), Priority::High);
    /// assert_eq!(serde_json::from_str::<Priority>(r#""URGENT""#).unwrap(), Priority::Urgent);
    /// assert_eq!((Priority::Low.as_str(), Priority::Low.to_string()), ("low", "low".to_owned()));
    /// assert!("medium".parse::<Priority>().unwrap_err().to_string().contains("`normal`"));
    /// ```
    Priority {
        /// No priority set.
        None => "none",
        /// Low.
        Low => "low",
        /// Normal.
        Normal => "normal",
        /// High.
        High => "high",
        /// Urgent.
        Urgent => "urgent",
    }
}

named_values! {
    /// Where an interaction stands. Read in any case (`"Open"`), written lowercase.
    ///
    /// ```
    /// use bridge::Status;
    ///
    /// assert_eq!("Solved".parse::<Status>().unwrap(), Status::Solved);
    /// assert_eq!(Status::Pending.to_string(), "pending");
    /// ```
    Status {
        /// Just created.
        New => "new",
        /// Being worked on.
        Open => "open",
        /// Waiting for someone.
        Pending => "pending",
        /// Solved.
        Solved => "solved",
        /// Closed.
        Closed => "closed",
    }
}

/// A text that is none of a set's names (a [`Priority`], a [`Status`]): what was read, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseVariantError {
    value: String,
    expected: &'static [&'static str],
}

impl ParseVariantError {
    /// The names that would have been read (lowercase; any case is accepted).
    pub fn expected(&self) -> &'static [&'static str] {
        self.expected
    }
}

impl fmt::Display for ParseVariantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let expected: Vec<String> = self.expected.iter().map(|name| format!("`{name}`")).collect();
        write!(f, "unknown value `{}`, expected one of {} (any case)", self.value, expected.join(", "))
    }
}

impl std::error::Error for ParseVariantError {}

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

    #[test]
    fn priority_and_status_read_what_people_type() {
        let typed = [("High", Priority::High), (" urgent ", Priority::Urgent), ("NONE", Priority::None)];
        // … and each name exactly as Talkdesk writes it (the parse's fast path)
        let exact = Priority::ALL.iter().map(|&priority| (priority.as_str(), priority));
        for (text, priority) in typed.into_iter().chain(exact) {
            assert_eq!(text.parse::<Priority>().unwrap(), priority, "{text:?}");
            assert_eq!(serde_json::from_value::<Priority>(serde_json::json!(text)).unwrap(), priority);
        }
        for status in Status::ALL {
            assert_eq!(status.as_str().to_uppercase().parse::<Status>().unwrap(), *status);
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        let err = serde_json::from_str::<Priority>(r#""medium""#).unwrap_err().to_string();
        assert!(err.contains("unknown variant `medium`, expected one of `none`, `low`"), "{err}");
        assert!(serde_json::from_str::<Priority>("3").is_err());
        assert_eq!("".parse::<Status>().unwrap_err().expected(), ["new", "open", "pending", "solved", "closed"]);
    }
}
