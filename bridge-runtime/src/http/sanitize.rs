//! Making text from an external service fit to put in an error message: short, on one line, and without the
//! credentials of the call.
//!
//! It exists because error messages travel far (to Talkdesk, to its users' screens, to logs) and a service's
//! answer is not written for that: it may be a whole HTML page, span many lines, or echo back the token it
//! refused. Everything from a service's answer that goes into an [`Error`](crate::Error) passes through here.

use crate::Secret;

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
}
