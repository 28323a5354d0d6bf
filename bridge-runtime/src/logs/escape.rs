//! The few ways the default logs write a value, byte for byte as `tracing-subscriber` writes them, without the
//! formatting machinery when the value allows it: a string as `Debug` quotes it, a message with terminal escapes
//! neutralised, a string as a JSON string (serde_json's escapes), an integer in decimal; and the per-thread buffer
//! a line is written into.

use std::cell::RefCell;
use std::fmt::{self, Write};

thread_local! {
    /// The line being written, on each thread.
    static LINE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Runs `write` on this thread's buffer, emptied (a fresh one if it is in use: a value's `Debug` that logs).
pub(crate) fn with_buffer<R>(write: impl FnOnce(&mut String) -> R) -> R {
    LINE.with(|line| {
        let mut own = String::new();
        let mut borrowed = line.try_borrow_mut();
        let line = match &mut borrowed {
            Ok(line) => &mut **line,
            Err(_) => &mut own,
        };
        line.clear();
        write(line)
    })
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether any byte of `word` is below `n` (at most 128).
#[inline]
fn any_below(word: u64, n: u8) -> bool {
    word.wrapping_sub(ONES * u64::from(n)) & !word & HIGHS != 0
}

/// Whether any byte of `word` is `b`.
#[inline]
fn any_is(word: u64, b: u8) -> bool {
    any_below(word ^ (ONES * u64::from(b)), 1)
}

/// How many bytes of `bytes` there are before the first one `special` picks out, eight at a time while the words
/// `word_is_clean` passes have none.
#[inline]
fn clean_prefix(bytes: &[u8], word_is_clean: impl Fn(u64) -> bool, special: impl Fn(u8) -> bool) -> usize {
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        if !word_is_clean(word) {
            break;
        }
        at += 8;
    }
    at + bytes[at..].iter().position(|&b| special(b)).unwrap_or(bytes.len() - at)
}

/// Whether a byte must be escaped in a JSON string.
#[inline]
fn json_special(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Whether a byte is not printable ASCII other than `"` and `\`.
#[inline]
fn debug_special(b: u8) -> bool {
    !(0x20..0x7f).contains(&b) || b == b'"' || b == b'\\'
}

/// Appends ASCII bytes.
#[inline]
pub(crate) fn push_ascii(out: &mut String, ascii: &[u8]) {
    debug_assert!(ascii.is_ascii());
    // SAFETY: ASCII is UTF-8. Every caller passes bytes it wrote itself from ASCII digits and punctuation
    // (checking them again cost as much as writing them).
    unsafe { out.as_mut_vec().extend_from_slice(ascii) }
}

/// Writes `text` as `{:?}` does: quoted, and escaped when it has anything but printable ASCII other than `"` and
/// `\` (then through `Debug` itself).
pub(crate) fn debug_str(out: &mut String, text: &str) {
    let bytes = text.as_bytes();
    let clean =
        |w: u64| w & HIGHS == 0 && !any_below(w, 0x20) && !any_is(w, 0x7f) && !any_is(w, b'"') && !any_is(w, b'\\');
    if clean_prefix(bytes, clean, debug_special) == bytes.len() {
        out.push('"');
        out.push_str(text);
        out.push('"');
    } else {
        let _ = write!(out, "{text:?}");
    }
}

/// A writer that neutralises terminal escapes (ESC, BEL, BS, FF, DEL and the C1 controls) as `tracing-subscriber`
/// does in messages (`\x1b`, `\u{9b}`…), passing everything else through.
pub(crate) struct Sanitized<'a>(pub(crate) &'a mut String);

impl Write for Sanitized<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        // The controls are ASCII below 0x20, DEL, or C1 (0x80..=0x9f, encoded 0xc2 0x80..=0xc2 0x9f).
        let bytes = text.as_bytes();
        let clean = |w: u64| w & HIGHS == 0 && !any_below(w, 0x20) && !any_is(w, 0x7f);
        let special = |b: u8| matches!(b, 0x07 | 0x08 | 0x0c | 0x1b | 0x7f | 0xc2);
        if clean_prefix(bytes, clean, special) == bytes.len() {
            self.0.push_str(text);
            return Ok(());
        }
        for ch in text.chars() {
            match ch {
                '\x1b' => self.0.push_str("\\x1b"),
                '\x07' => self.0.push_str("\\x07"),
                '\x08' => self.0.push_str("\\x08"),
                '\x0c' => self.0.push_str("\\x0c"),
                '\x7f' => self.0.push_str("\\x7f"),
                ch if ('\u{80}'..='\u{9f}').contains(&ch) => write!(self.0, "\\u{{{:x}}}", ch as u32)?,
                ch => self.0.push(ch),
            }
        }
        Ok(())
    }
}

/// Writes `text` as a JSON string, with serde_json's escapes (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, and
/// `\u00xx` for the other control characters).
pub(crate) fn json_str(out: &mut String, text: &str) {
    out.push('"');
    json_str_contents(out, text);
    out.push('"');
}

/// Writes `text` escaped as the inside of a JSON string (see [`json_str`]).
pub(crate) fn json_str_contents(out: &mut String, text: &str) {
    let clean = |w: u64| !any_below(w, 0x20) && !any_is(w, b'"') && !any_is(w, b'\\');
    let mut rest = text;
    loop {
        let at = clean_prefix(rest.as_bytes(), clean, json_special);
        // Special bytes are ASCII, so `at` is a character boundary.
        out.push_str(&rest[..at]);
        let Some(&b) = rest.as_bytes().get(at) else { return };
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                push_ascii(out, &[b'\\', b'u', b'0', b'0', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]);
            }
        }
        rest = &rest[at + 1..];
    }
}

/// Writes `value` in decimal.
pub(crate) fn decimal(out: &mut String, value: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = value;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    push_ascii(out, &digits[at..]);
}

/// Writes `value` in decimal, with its sign.
pub(crate) fn signed(out: &mut String, value: i64) {
    if value < 0 {
        out.push('-');
    }
    decimal(out, value.unsigned_abs());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Strings with every ASCII byte, quotes, backslashes, C1 controls and other non-ASCII text.
    fn samples() -> Vec<String> {
        let mut samples: Vec<String> = (0u8..=0x7f).map(|b| format!("a{}b", b as char)).collect();
        // A special byte in the second word, and after a whole clean word.
        samples.extend((0u8..=0x7f).map(|b| format!("0123456789{}abcdefghijklmnop", b as char)));
        samples.extend((0u8..=0x7f).map(|b| format!("01234567{}", b as char)));
        samples.extend(
            [
                "",
                "plain",
                "/interaction_update",
                "a longer text, over eight bytes \"quoted\" at the end\n",
                "é ü 日本",
                "\u{80}\u{9b}\u{9f}\u{a0}",
                "\u{200b}\u{301}x",
                "\u{10ffff}",
            ]
            .map(str::to_owned),
        );
        samples
    }

    #[test]
    fn quotes_strings_as_debug_does() {
        for text in samples() {
            let mut out = String::new();
            debug_str(&mut out, &text);
            assert_eq!(out, format!("{text:?}"));
        }
    }

    #[test]
    fn writes_json_strings_as_serde_json_does() {
        for text in samples() {
            let mut out = String::new();
            json_str(&mut out, &text);
            assert_eq!(out, serde_json::to_string(&text).unwrap());
        }
    }

    #[test]
    fn neutralises_terminal_escapes_and_nothing_else() {
        let mut out = String::new();
        Sanitized(&mut out).write_str("a\x1b[31mb\x07\x08\x0c\x7f\u{9b}c é\u{a0}").unwrap();
        assert_eq!(out, "a\\x1b[31mb\\x07\\x08\\x0c\\x7f\\u{9b}c é\u{a0}");
        for clean in ["", "answered", "a message longer than a word, with\ttabs and\nlines"] {
            let mut out = String::new();
            Sanitized(&mut out).write_str(clean).unwrap();
            assert_eq!(out, clean);
        }
        let mut out = String::new();
        Sanitized(&mut out).write_str("0123456789abcdef\x1b").unwrap();
        assert_eq!(out, "0123456789abcdef\\x1b");
    }

    #[test]
    fn writes_integers_in_decimal() {
        for value in [0, 7, 10, 204, 999_999, u64::MAX] {
            let mut out = String::new();
            decimal(&mut out, value);
            assert_eq!(out, value.to_string());
        }
        for value in [0, -1, 42, i64::MIN, i64::MAX] {
            let mut out = String::new();
            signed(&mut out, value);
            assert_eq!(out, value.to_string());
        }
    }
}
