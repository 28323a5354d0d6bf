//! Making text from an external service fit to put in an error message: short, on one line, and without the
//! credentials of the call.
//!
//! It exists because error messages travel far (to Talkdesk, to its users' screens, to logs) and a service's
//! answer is not written for that: it may be a whole HTML page, span many lines, or echo back the token it
//! refused. Everything from a service's answer that goes into an [`Error`](crate::Error) passes through here.

use crate::Secret;
use serde_json::Value;

/// The longest text kept from a service's answer, in characters.
pub(crate) const MAX_CHARS: usize = 300;

/// `text` with every credential of the call replaced by `<redacted>`, control characters and runs of
/// whitespace folded into single spaces, and cut to [`MAX_CHARS`] characters (with `…` when cut).
///
/// Credentials are replaced before cutting, so a cut can never leave the start of one behind.
pub(crate) fn safe_text(text: &str, secrets: &[Secret]) -> String {
    let mut text = text.to_owned();
    for secret in secrets {
        if !secret.is_empty() {
            text = text.replace(secret.expose(), "<redacted>");
        }
    }
    let mut out = String::with_capacity(text.len().min(MAX_CHARS + 4));
    let mut count = 0;
    for word in text.split(|c: char| c.is_whitespace() || c.is_control()) {
        if word.is_empty() {
            continue;
        }
        if count > 0 {
            out.push(' ');
            count += 1;
        }
        for c in word.chars() {
            if count >= MAX_CHARS {
                out.push('…');
                return out;
            }
            out.push(c);
            count += 1;
        }
    }
    out
}

/// The human-readable message in an error answer, if one can be found: the first non-empty string under one of
/// the usual keys (`message`, `error_description`, `description`, `detail`, `error`, `errors`, `title`), looked
/// for a few levels deep; or a plain-text body. HTML pages and other formats give `None`.
pub(crate) fn service_message(body: &[u8], content_type: Option<&str>) -> Option<String> {
    if let Ok(json) = serde_json::from_slice::<Value>(body) {
        return find_message(&json, 3);
    }
    let is_plain = content_type.is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("text/plain"));
    let text = std::str::from_utf8(body).ok()?.trim();
    (is_plain && !text.is_empty()).then(|| text.to_owned())
}

fn find_message(value: &Value, depth: u8) -> Option<String> {
    const KEYS: [&str; 8] =
        ["message", "error_description", "description", "detail", "error", "errors", "title", "details"];
    match value {
        Value::String(text) if !text.trim().is_empty() => Some(text.clone()),
        _ if depth == 0 => None,
        Value::Array(items) => items.iter().find_map(|item| find_message(item, depth - 1)),
        Value::Object(map) => KEYS.iter().find_map(|key| map.get(*key).and_then(|v| find_message(v, depth - 1))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_before_cutting_and_folds_lines() {
        let token = Secret::new("tok-123");
        let long = format!("bad token tok-123\r\n\tagain {}", "x".repeat(1000));
        let safe = safe_text(&long, &[token]);
        assert!(safe.starts_with("bad token <redacted> again xxx"), "{safe}");
        assert!(safe.ends_with('…'));
        assert_eq!(safe.chars().count(), MAX_CHARS + 1);
        // A credential that straddles the cut is gone too.
        let at_cut = format!("{}{}", "y".repeat(MAX_CHARS - 3), "tok-123");
        assert!(!safe_text(&at_cut, &[Secret::new("tok-123")]).contains("tok"));
    }

    #[test]
    fn finds_the_usual_message_keys() {
        let json = |v: &str| service_message(v.as_bytes(), Some("application/json"));
        assert_eq!(json(r#"{"error": "Couldn't authenticate you"}"#).as_deref(), Some("Couldn't authenticate you"));
        assert_eq!(
            json(r#"{"errors": [{"code": 7, "message": "Subject is too long"}]}"#).as_deref(),
            Some("Subject is too long")
        );
        assert_eq!(json(r#"{"error": {"code": "x", "message": "nested"}}"#).as_deref(), Some("nested"));
        assert_eq!(json(r#"{"status": 500}"#), None);
        assert_eq!(service_message(b"Not allowed", Some("text/plain; charset=utf-8")).as_deref(), Some("Not allowed"));
        assert_eq!(service_message(b"<html>oops</html>", Some("text/html")), None);
    }
}
