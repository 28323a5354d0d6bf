//! The protocol's shape rules, read on raw JSON: what a contact, an interaction, an agent and an action outcome must
//! look like, which dates Talkdesk reads, and how checkpoints compare. Raw JSON rather than the protocol types, so
//! that a malformed answer is reported field by field instead of as one decoding error.

pub(crate) use crate::protocol::kind_of as kind;
use crate::protocol::TalkdeskDate;
use serde_json::{Map, Value};
use std::cmp::Ordering;

/// At most `max` characters of `text`, on one line, for messages.
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max {
        line
    } else {
        let cut: String = line.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// What the errors and warnings about one item are.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
}

/// An id as read from an item: ids are strings, and numbers are accepted (Talkdesk's own agent example has one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Id {
    /// No `id`, or `null`.
    Missing,
    /// `""` or only spaces.
    Empty,
    /// A string.
    Text(String),
    /// A number, normalised to its text.
    Number(String),
    /// Another JSON type.
    Wrong(&'static str),
}

impl Id {
    pub(crate) fn read(item: &Map<String, Value>) -> Self {
        match item.get("id") {
            None | Some(Value::Null) => Self::Missing,
            Some(Value::String(s)) if s.trim().is_empty() => Self::Empty,
            Some(Value::String(s)) => Self::Text(s.clone()),
            Some(Value::Number(n)) => Self::Number(n.to_string()),
            Some(other) => Self::Wrong(kind(other)),
        }
    }

    /// The id's text, when it has a usable one.
    pub(crate) fn text(&self) -> Option<&str> {
        match self {
            Self::Text(s) | Self::Number(s) => Some(s),
            Self::Missing | Self::Empty | Self::Wrong(_) => None,
        }
    }

    /// What is wrong with a missing or empty id, for messages: ``has no `id` ``.
    pub(crate) fn problem(&self) -> Option<&'static str> {
        match self {
            Self::Missing => Some("has no `id`"),
            Self::Empty => Some("has an empty `id`"),
            Self::Text(_) | Self::Number(_) | Self::Wrong(_) => None,
        }
    }

    /// How the item is named in messages: `contact #3 (id "7")`.
    pub(crate) fn label(&self, what: &str, position: usize) -> String {
        match self.text() {
            Some(id) => format!("{what} #{position} (id {id:?})"),
            None => format!("{what} #{position}"),
        }
    }
}

fn mandatory_string(item: &Map<String, Value>, key: &str, at: &str, findings: &mut Findings) -> Option<String> {
    match item.get(key) {
        None | Some(Value::Null) => {
            findings.errors.push(format!("{at} has no `{key}` (mandatory)"));
            None
        }
        Some(Value::String(s)) if s.trim().is_empty() => {
            findings.errors.push(format!("{at} has an empty `{key}` (mandatory)"));
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            findings.errors.push(format!("{at}: `{key}` is {}, not a string", kind(other)));
            None
        }
    }
}

fn optional_string(item: &Map<String, Value>, key: &str, at: &str, findings: &mut Findings) {
    match item.get(key) {
        None | Some(Value::Null) | Some(Value::String(_)) => {}
        Some(other) => findings.errors.push(format!("{at}: `{key}` is {}, not a string", kind(other))),
    }
}

fn optional_string_list(item: &Map<String, Value>, key: &str, at: &str, findings: &mut Findings) {
    match item.get(key) {
        None | Some(Value::Null) => {}
        Some(Value::Array(values)) => {
            if let Some((i, bad)) = values.iter().enumerate().find(|(_, v)| !v.is_string()) {
                findings.errors.push(format!("{at}: `{key}[{i}]` is {}, not a string", kind(bad)));
            }
        }
        Some(other) => findings.errors.push(format!("{at}: `{key}` is {}, not an array of strings", kind(other))),
    }
}

/// Whether `id` is a string, as the protocol says; a number is accepted with a warning.
fn id_type(id: &Id, at: &str, findings: &mut Findings) {
    match id {
        Id::Number(n) => findings.warnings.push(format!("{at}: `id` is the number {n}; the protocol says a string")),
        Id::Wrong(kind) => findings.errors.push(format!("{at}: `id` is {kind}, not a string")),
        Id::Missing | Id::Empty | Id::Text(_) => {}
    }
}

/// A contact's fields other than the presence of its id: the mandatory `name`, the types of the optional ones.
pub(crate) fn contact_fields(contact: &Map<String, Value>, at: &str) -> Findings {
    let mut findings = Findings::default();
    id_type(&Id::read(contact), at, &mut findings);
    mandatory_string(contact, "name", at, &mut findings);
    for key in ["company", "title", "photo_url", "address", "twitter", "url"] {
        optional_string(contact, key, at, &mut findings);
    }
    for key in ["emails", "phones", "websites"] {
        optional_string_list(contact, key, at, &mut findings);
    }
    findings
}

/// The interaction fields Talkdesk needs: id type, `subject`, `type`, `date` (in its one format), the optional
/// strings. Returns the type, when there is one.
pub(crate) fn interaction_fields(
    interaction: &Map<String, Value>,
    at: &str,
    findings: &mut Findings,
) -> Option<String> {
    id_type(&Id::read(interaction), at, findings);
    mandatory_string(interaction, "subject", at, findings);
    let kind = mandatory_string(interaction, "type", at, findings);
    if let Some(date) = mandatory_string(interaction, "date", at, findings) {
        if !is_talkdesk_date(&date) {
            findings.errors.push(format!("{at}: `date` {date:?} is not in the format `YYYY-MM-DD HH:MM:SS UTC`"));
        }
    }
    for key in ["description", "url"] {
        optional_string(interaction, key, at, findings);
    }
    kind
}

/// The interaction priorities Talkdesk knows.
pub(crate) const PRIORITIES: [&str; 5] = ["none", "low", "normal", "high", "urgent"];

/// The interaction statuses Talkdesk knows.
pub(crate) const STATUSES: [&str; 5] = ["new", "open", "pending", "solved", "closed"];

/// `priority` and `status`, when present, within their sets.
pub(crate) fn interaction_values(interaction: &Map<String, Value>, at: &str, errors: &mut Vec<String>) {
    for (key, allowed) in [("priority", &PRIORITIES), ("status", &STATUSES)] {
        match interaction.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if allowed.contains(&s.as_str()) => {}
            Some(Value::String(s)) => {
                errors.push(format!("{at}: `{key}` {s:?} is not one of {}", allowed.join(", ")));
            }
            Some(other) => errors.push(format!("{at}: `{key}` is {}, not one of {}", kind(other), allowed.join(", "))),
        }
    }
}

/// An agent's `name` and `email`, and the type of its id.
pub(crate) fn agent_fields(agent: &Map<String, Value>, at: &str) -> Findings {
    let mut findings = Findings::default();
    if let Id::Wrong(kind) = Id::read(agent) {
        findings.errors.push(format!("{at}: `id` is {kind}, not a string"));
    }
    mandatory_string(agent, "name", at, &mut findings);
    mandatory_string(agent, "email", at, &mut findings);
    findings
}

/// The fields an action outcome may have.
pub(crate) const OUTCOME_FIELDS: [&str; 5] =
    ["message", "external_id", "contact_external_id", "contact_external_type", "contact_external_url"];

/// A `201` body: an object whose fields are the documented ones, as strings (ids may be numbers).
pub(crate) fn action_outcome(body: &Value) -> Findings {
    let mut findings = Findings::default();
    let Some(outcome) = body.as_object() else {
        findings.errors.push(format!("the body is {}, not an object", kind(body)));
        return findings;
    };
    for (key, value) in outcome {
        if !OUTCOME_FIELDS.contains(&key.as_str()) {
            findings.warnings.push(format!("`{key}` is not a documented field: Talkdesk ignores it"));
            continue;
        }
        let id_like = key.ends_with("_id");
        match value {
            Value::Null | Value::String(_) => {}
            Value::Number(_) if id_like => {}
            other => findings.errors.push(format!("`{key}` is {}, not a string", kind(other))),
        }
    }
    findings
}

/// Whether `text` is exactly `YYYY-MM-DD HH:MM:SS UTC`, a real date.
pub(crate) fn is_talkdesk_date(text: &str) -> bool {
    let shape = text.len() == 23
        && text.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 | 19 => c == ' ',
            13 | 16 => c == ':',
            20..=22 => "UTC".as_bytes()[i - 20] == c as u8,
            _ => c.is_ascii_digit(),
        });
    shape && text.parse::<TalkdeskDate>().is_ok()
}

/// How the simulator orders synchronization checkpoints, whose meaning is the bridge's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CheckpointOrder {
    /// Compares two checkpoints when both are Talkdesk dates, RFC 3339 timestamps or integers; leaves others
    /// (opaque cursors) unordered, and says so in the report.
    #[default]
    Auto,
    /// Compares checkpoints as strings, for cursors built to sort that way.
    Lexicographic,
    /// Never compares checkpoints.
    Unordered,
}

impl CheckpointOrder {
    /// How `a` compares to `b`, or `None` when they cannot be compared.
    pub(crate) fn compare(self, a: &str, b: &str) -> Option<Ordering> {
        match self {
            Self::Unordered => None,
            Self::Lexicographic => Some(a.cmp(b)),
            Self::Auto => {
                if let (Ok(a), Ok(b)) = (a.parse::<TalkdeskDate>(), b.parse::<TalkdeskDate>()) {
                    return Some(a.cmp(&b));
                }
                if let (Ok(a), Ok(b)) = (TalkdeskDate::parse_rfc3339(a), TalkdeskDate::parse_rfc3339(b)) {
                    return Some(a.cmp(&b));
                }
                if let (Ok(a), Ok(b)) = (a.trim().parse::<i128>(), b.trim().parse::<i128>()) {
                    return Some(a.cmp(&b));
                }
                None
            }
        }
    }
}

/// A page's `next_offset`: `None` when absent, `null` or empty (the sync is complete), its text otherwise.
pub(crate) fn next_offset(page: &Map<String, Value>) -> Result<Option<(String, Value)>, String> {
    match page.get("next_offset") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some((s.clone(), Value::String(s.clone())))),
        Some(Value::Number(n)) => Ok(Some((n.to_string(), Value::Number(n.clone())))),
        Some(other) => Err(format!("`next_offset` is {}, not a string", kind(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn talkdesk_dates_are_exactly_one_format() {
        assert!(is_talkdesk_date("2012-11-21 17:53:51 UTC"));
        for bad in ["2012-11-21T17:53:51Z", "2012-11-21 17:53:51", "2012-13-21 17:53:51 UTC", "21/11/2012", ""] {
            assert!(!is_talkdesk_date(bad), "{bad}");
        }
    }

    #[test]
    fn checkpoints_compare_as_dates_numbers_or_not_at_all() {
        let auto = CheckpointOrder::Auto;
        assert_eq!(auto.compare("2012-11-21 00:00:09 UTC", "2012-11-21 00:00:10 UTC"), Some(Ordering::Less));
        assert_eq!(auto.compare("9", "10"), Some(Ordering::Less));
        assert_eq!(auto.compare("2024-01-01T00:00:00Z", "2023-12-31T23:00:00-02:00"), Some(Ordering::Less));
        assert_eq!(auto.compare("cursor_9", "cursor_10"), None);
        assert_eq!(CheckpointOrder::Lexicographic.compare("9", "10"), Some(Ordering::Greater));
        assert_eq!(CheckpointOrder::Unordered.compare("1", "2"), None);
    }

    #[test]
    fn contacts_need_a_name_and_typed_fields() {
        let f = contact_fields(&object(json!({"id": "1", "name": "Jane", "emails": ["a@b.c"]})), "contact #1");
        assert!(f.errors.is_empty() && f.warnings.is_empty(), "{f:?}");
        let f = contact_fields(&object(json!({"id": 1, "emails": "a@b.c", "company": 3})), "contact #1");
        assert_eq!(f.warnings, ["contact #1: `id` is the number 1; the protocol says a string"]);
        assert_eq!(
            f.errors,
            [
                "contact #1 has no `name` (mandatory)",
                "contact #1: `company` is a number, not a string",
                "contact #1: `emails` is a string, not an array of strings"
            ]
        );
    }

    #[test]
    fn interactions_values_and_outcomes() {
        let mut errors = Vec::new();
        interaction_values(&object(json!({"priority": "critical", "status": "open"})), "x", &mut errors);
        assert_eq!(errors, ["x: `priority` \"critical\" is not one of none, low, normal, high, urgent"]);
        let f = action_outcome(&json!({"message": "ok", "external_id": 42, "extra": true}));
        assert!(f.errors.is_empty());
        assert_eq!(f.warnings.len(), 1);
        assert_eq!(action_outcome(&json!({"message": 1})).errors, ["`message` is a number, not a string"]);
    }

    #[test]
    fn value_sets_are_the_protocol_enums() {
        use crate::protocol::{Priority, Status};
        for priority in PRIORITIES {
            serde_json::from_value::<Priority>(json!(priority)).unwrap();
        }
        for status in STATUSES {
            serde_json::from_value::<Status>(json!(status)).unwrap();
        }
    }

    #[test]
    fn ids_and_offsets() {
        assert_eq!(Id::read(&object(json!({"id": " "}))), Id::Empty);
        assert_eq!(Id::read(&object(json!({}))), Id::Missing);
        assert_eq!(Id::read(&object(json!({"id": 7}))).label("agent", 2), "agent #2 (id \"7\")");
        assert_eq!(next_offset(&object(json!({"next_offset": ""}))), Ok(None));
        assert_eq!(next_offset(&object(json!({"next_offset": 2}))).unwrap().unwrap().0, "2");
        assert!(next_offset(&object(json!({"next_offset": [2]}))).is_err());
    }
}
