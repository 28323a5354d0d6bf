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

/// What each byte becomes in a JSON string: 0 itself, `u` a `\u00xx` escape, otherwise the letter after `\`
/// (serde_json's table).
static JSON_ESCAPES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[0x08] = b'b';
    table[0x0c] = b'f';
    table[b'\n' as usize] = b'n';
    table[b'\r' as usize] = b'r';
    table[b'\t' as usize] = b't';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// The bytes a string's `Debug` writes as they are: printable ASCII other than `"` and `\`.
static DEBUG_PLAIN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0x20;
    while b < 0x7f {
        table[b] = b != b'"' as usize && b != b'\\' as usize;
        b += 1;
    }
    table
};

/// The bytes that may start a terminal escape in a message: ESC, BEL, BS, FF, DEL, and 0xc2 (the first byte of
/// the C1 controls, U+0080..=U+009F).
static TERMINAL: [bool; 256] = {
    let mut table = [false; 256];
    table[0x07] = true;
    table[0x08] = true;
    table[0x0c] = true;
    table[0x1b] = true;
    table[0x7f] = true;
    table[0xc2] = true;
    table
};

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
    let words = bytes.chunks_exact(8);
    let tail = words.remainder();
    let plain = words.map(|word| u64::from_ne_bytes(word.try_into().expect("eight bytes"))).all(is_debug_plain);
    if plain && tail.iter().all(|&b| DEBUG_PLAIN[usize::from(b)]) {
        out.reserve(text.len() + 2);
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
        if !text.bytes().any(|b| TERMINAL[usize::from(b)]) {
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
    out.reserve(text.len() + 2);
    out.push('"');
    json_str_contents(out, text);
    out.push('"');
}

/// `0x01` in each byte of a word.
const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
/// `0x80` in each byte of a word.
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

/// Whether a byte of `word` is zero (the classic bit trick: exact as a yes or no, eight bytes at once).
#[inline]
fn has_zero_byte(word: u64) -> bool {
    word.wrapping_sub(ONES) & !word & HIGHS != 0
}

/// Whether a byte of `word` is one JSON escapes: a control character, `"` or `\`.
#[inline]
fn has_json_special(word: u64) -> bool {
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS != 0;
    control || has_zero_byte(word ^ (ONES * u64::from(b'"'))) || has_zero_byte(word ^ (ONES * u64::from(b'\\')))
}

/// Whether every byte of `word` is one `Debug` writes as it is ([`DEBUG_PLAIN`]): nothing JSON escapes, no DEL,
/// nothing beyond ASCII.
#[inline]
fn is_debug_plain(word: u64) -> bool {
    !has_json_special(word) && word & HIGHS == 0 && !has_zero_byte(word ^ (ONES * 0x7f))
}

/// How many bytes at the start of `bytes` are whole eight-byte words with nothing JSON escapes.
#[inline]
fn clean_json_words(bytes: &[u8]) -> usize {
    let mut clean = 0;
    for word in bytes.chunks_exact(8) {
        let word = u64::from_ne_bytes(word.try_into().expect("eight bytes"));
        if has_json_special(word) {
            break;
        }
        clean += 8;
    }
    clean
}

/// Writes `text` escaped as the inside of a JSON string (see [`json_str`]). Clean text (most of it) is skipped
/// eight bytes at a time, and copied in one piece.
pub(crate) fn json_str_contents(out: &mut String, text: &str) {
    let bytes = text.as_bytes();
    let mut start = 0;
    let clean = clean_json_words(bytes);
    for (at, &b) in bytes.iter().enumerate().skip(clean) {
        let escape = JSON_ESCAPES[usize::from(b)];
        if escape == 0 {
            continue;
        }
        // Escaped bytes are ASCII, so `at` is a character boundary.
        out.push_str(&text[start..at]);
        if escape == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            push_ascii(out, &[b'\\', b'u', b'0', b'0', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]);
        } else {
            push_ascii(out, &[b'\\', escape]);
        }
        start = at + 1;
    }
    out.push_str(&text[start..]);
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

    /// Each byte value at each place of a word of `a`s, as a word.
    fn words_with_each_byte() -> impl Iterator<Item = (u8, u64)> {
        (0..=255u8).flat_map(|b| {
            (0..8).map(move |at| {
                let mut word = [b'a'; 8];
                word[at] = b;
                (b, u64::from_ne_bytes(word))
            })
        })
    }

    #[test]
    fn words_are_judged_as_their_bytes_are() {
        for (b, word) in words_with_each_byte() {
            assert_eq!(has_json_special(word), JSON_ESCAPES[usize::from(b)] != 0, "{b:#x}");
            assert_eq!(is_debug_plain(word), DEBUG_PLAIN[usize::from(b)], "{b:#x}");
            assert_eq!(has_zero_byte(word), b == 0, "{b:#x}");
        }
        let text = "0123456789abcdef01234567\"01234567";
        assert_eq!(clean_json_words(text.as_bytes()), 24);
        assert_eq!(clean_json_words(b"0123456"), 0);
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
