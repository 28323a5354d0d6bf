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

    #[test]
    fn control_characters_never_reach_the_text_and_runs_of_spaces_fold() {
        // An ANSI escape (a terminal's colours, or a cursor move that rewrites the line a log reader sees), a bell,
        // a NUL, a DEL, C1 controls: none is whitespace, and none comes through.
        let hostile = "\u{1b}[31mred\u{1b}[0m  and\u{7}bell\u{0}nul\u{7f}del\u{9b}2Jcsi\u{85}nel   end";
        let safe = safe_text(hostile, &[]);
        assert!(!safe.chars().any(char::is_control), "{safe:?}");
        assert_eq!(safe, "[31mred [0m and bell nul del 2Jcsi nel end");
        // Text that is only control characters and spaces says nothing.
        assert_eq!(safe_text("\u{1b}\u{7} \t\u{0}", &[]), "");
        // An empty credential redacts nothing (replacing "" would put `<redacted>` between every character).
        assert_eq!(safe_text("a b", &[Secret::new(""), Secret::new("zz")]), "a b");
        // Exactly at the bound: nothing cut.
        let full = "z".repeat(MAX_CHARS);
        assert_eq!(safe_text(&full, &[]), full);
        assert_eq!(safe_text(&format!("{full}z"), &[]), format!("{full}…"));
        // The space between words counts towards the bound.
        let words = format!("{} {}", "a".repeat(MAX_CHARS - 2), "bcd");
        assert_eq!(safe_text(&words, &[]), format!("{} b…", "a".repeat(MAX_CHARS - 2)));
    }
}
