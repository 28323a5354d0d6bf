//! Turning a request body into an [`Envelope`], or into one `400` that names every offending field.
//!
//! The happy path is a single typed `serde_json::from_slice`, exactly what hand-written code would do. Only when it
//! fails does the slow path run: it re-reads the body as a `serde_json::Value` and asks the `fields` module to find every
//! offending field of each section, not just serde's first.

pub(crate) mod fields;

use crate::error::{Error, ErrorKind, FieldError};
use crate::protocol::{Envelope, FormFields};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Decodes a request body into the endpoint's envelope.
///
/// ```
/// use bridge::__private::decode_request;
/// use bridge::ActionMeta;
/// use serde::Deserialize;
///
/// #[derive(Debug, Deserialize)]
/// struct Auth { token: String }
/// #[derive(Debug, Deserialize)]
/// struct Ticket { subject: String, description: String }
///
/// let err = decode_request::<Auth, ActionMeta, Ticket>(br#"{"auth": {"token": "t"}, "data": {}}"#).unwrap_err();
/// let fields: Vec<_> = err.fields().iter().map(|f| f.field.as_str()).collect();
/// assert_eq!(fields, ["data.subject", "data.description"]);
/// ```
pub fn decode_request<A, M, D>(body: &[u8]) -> Result<Envelope<A, M, D>, Error>
where
    A: DeserializeOwned,
    M: DeserializeOwned,
    D: DeserializeOwned,
{
    match serde_json::from_slice(body) {
        Ok(envelope) => Ok(envelope),
        Err(first) => Err(diagnose::<A, M, D>(body, &first)),
    }
}

#[cold]
fn diagnose<A, M, D>(body: &[u8], first: &serde_json::Error) -> Error
where
    A: DeserializeOwned,
    M: DeserializeOwned,
    D: DeserializeOwned,
{
    if body.iter().all(u8::is_ascii_whitespace) {
        return Error::new(
            ErrorKind::MalformedJson,
            "the request body is empty: expected a JSON object with `auth`, `meta` and `data`",
        );
    }
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(syntax) => {
            return Error::new(ErrorKind::MalformedJson, format!("the request body is not valid JSON: {syntax}"))
        }
    };
    let Value::Object(mut sections) = value else {
        return Error::invalid_input(format!(
            "the request body must be a JSON object with `auth`, `meta` and `data`, not {}",
            crate::protocol::kind_of(&value)
        ));
    };
    let mut found = Vec::new();
    for (name, value) in [
        ("auth", take_section(&mut sections, "auth")),
        ("meta", take_section(&mut sections, "meta")),
        ("data", take_section(&mut sections, "data")),
    ] {
        if !value.is_object() {
            let message = format!("expected an object, found {}", crate::protocol::kind_of(&value));
            found.push(FieldError { field: name.to_owned(), message });
            continue;
        }
        match name {
            "auth" => fields::collect::<A>(name, value, true, &mut found),
            "meta" => fields::collect::<M>(name, value, false, &mut found),
            _ => fields::collect::<FormFields<D>>(name, value, false, &mut found),
        }
    }
    if found.is_empty() {
        // The sections are fine one by one; what failed is the whole (a section given twice, say).
        let reason = fields::describe(&first.to_string(), None, true);
        return Error::invalid_input(format!("invalid request: {reason}"));
    }
    Error::invalid_fields(found)
}

fn take_section(sections: &mut Map<String, Value>, name: &str) -> Value {
    match sections.remove(name) {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(value) => value,
    }
}

/// The string values of the request's `auth`, to be blanked out of any error body. Values shorter than four
/// characters are left out: blanking every `1` or `on` of a message would hide more than it protects.
pub(crate) fn auth_secrets(body: &[u8]) -> Vec<String> {
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(s) if s.chars().count() >= 4 => out.push(s.clone()),
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            Value::Object(map) => map.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(Value::Object(mut top)) = serde_json::from_slice::<Value>(body) {
        if let Some(auth) = top.remove("auth") {
            walk(&auth, &mut out);
        }
    }
    // Longest first, so that a secret containing another is blanked whole.
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ActionMeta, InteractionData, InteractionMeta};
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Auth {
        username: String,
        password: String,
    }

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Ticket {
        subject: String,
        description: String,
        priority: Option<u8>,
    }

    fn fields_of(err: &Error) -> Vec<(String, String)> {
        err.fields().iter().map(|f| (f.field.clone(), f.message.clone())).collect()
    }

    #[test]
    fn decodes_the_corrected_seed_action_example() {
        let body = br#"{"auth": {"username": "john.doe@example.com", "password": "605b32dd"},
            "meta": {"contact_external_id": "1"},
            "data": {"subject": "Call missed in Talkdesk", "description": "A call from Jane Doe was missed."}}"#;
        let req = decode_request::<Auth, ActionMeta, Ticket>(body).unwrap();
        assert_eq!(req.meta.contact_external_id.as_deref(), Some("1"));
        assert_eq!(req.data.subject, "Call missed in Talkdesk");
    }

    #[test]
    fn names_every_offending_field_across_sections() {
        let body = br#"{"auth": {"username": "john"}, "meta": {"interaction_types": ["case", 7, "note", false]},
            "data": {"contact_emails": "jane@example.com"}}"#;
        let err = decode_request::<Auth, InteractionMeta, InteractionData>(body).unwrap_err();
        assert_eq!(err.status(), 400);
        assert_eq!(
            fields_of(&err),
            [
                ("auth.password".into(), "missing mandatory field".into()),
                ("meta.interaction_types[1]".into(), "expected a string, found a number".into()),
                ("meta.interaction_types[3]".into(), "expected a string, found a boolean".into()),
                ("data.contact_emails".into(), "expected a sequence, found a string".into()),
            ]
        );
    }

    #[test]
    fn auth_messages_never_quote_values() {
        let body = br#"{"auth": {"username": ["605b32dd-secret"], "password": 605}}"#;
        let err = decode_request::<Auth, ActionMeta, Ticket>(body).unwrap_err();
        let text = format!("{} {:?}", err.message(), err.fields());
        assert!(text.contains("auth.username") && text.contains("auth.password"), "{text}");
        assert!(!text.contains("605"), "{text}");
    }

    #[test]
    fn malformed_and_empty_bodies() {
        let err = decode_request::<Auth, ActionMeta, Ticket>(b"{\"auth\": ").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MalformedJson);
        assert!(err.message().contains("line 1 column"), "{}", err.message());
        let err = decode_request::<Auth, ActionMeta, Ticket>(b"  ").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MalformedJson);
        assert!(err.message().contains("empty"));
        let err = decode_request::<Auth, ActionMeta, Ticket>(b"[1]").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn a_duplicated_section_is_a_400() {
        let body = br#"{"auth": {"username": "a", "password": "b"}, "auth": {"username": "a", "password": "b"},
            "data": {"subject": "s", "description": "d"}}"#;
        let err = decode_request::<Auth, ActionMeta, Ticket>(body).unwrap_err();
        assert_eq!(err.status(), 400);
        assert!(err.message().contains("duplicate field `auth`"), "{}", err.message());
    }

    #[test]
    fn collects_auth_secrets_longest_first() {
        let secrets = auth_secrets(br#"{"auth": {"a": "abcd", "b": "abcdef", "c": "xy", "d": 5}}"#);
        assert_eq!(secrets, ["abcdef", "abcd"]);
    }
}
