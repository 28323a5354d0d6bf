//! The one way a value the user controls (an email, a phone number, an id, a time) reaches a SOQL or SOSL query:
//! escaped, or checked, by the kind of place it goes.
//!
//! A query is code, written in the bridge ([`Soql::code`] takes only `&'static str`: a request's text cannot be
//! passed as code), and values, each added through one method that makes it inert:
//!
//! - [`Soql::text`]: a SOQL string literal, quoted, with `\` `'` `"` and control characters escaped as SOQL's
//!   "Quoted String Escape Sequences" list them (a newline becomes `\n`); `%` and `_` are plain characters outside
//!   `LIKE`, and escaped (`\%`, `\_`) by [`Soql::like`];
//! - [`Soql::id`] takes an [`Id`], which only a 15- or 18-character Salesforce id becomes (the 18-character
//!   form's checksum checked);
//! - [`Soql::datetime`] a time the bridge formats itself;
//! - [`sosl_term`]: a SOSL search term, in braces, every reserved character (`? & | ! { } [ ] ( ) ^ ~ * : \ " ' +
//!   -`) escaped with `\`, and control characters turned into spaces.
//!
//! Why in the example and not in the framework: SOQL and SOSL are one service's languages, as HubSpot's search
//! filters are HubSpot's, and the framework holds what every service shares (base URLs, pacing, paging). What is
//! shared here is the rule, written once for the whole bridge: values only through these methods.

use std::fmt;

/// A SOQL query: code from the bridge, values through the methods that escape them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Soql(String);

impl Soql {
    /// A query starting with `code`.
    pub fn new(code: &'static str) -> Self {
        Self(code.to_owned())
    }

    /// More of the query, as written in the bridge.
    pub fn code(mut self, code: &'static str) -> Self {
        self.0.push_str(code);
        self
    }

    /// `value` as a quoted string literal, for `=`, `!=` and `IN`.
    pub fn text(mut self, value: &str) -> Self {
        self.0.push_str(&literal(value, false));
        self
    }

    /// `value` as a quoted string literal for `LIKE`, its `%` and `_` matching only themselves.
    pub fn like(mut self, value: &str) -> Self {
        self.0.push_str(&literal(value, true));
        self
    }

    /// `(v1, v2, …)` of string literals, for `IN`.
    pub fn texts<'a>(mut self, values: impl IntoIterator<Item = &'a str>) -> Self {
        let items: Vec<String> = values.into_iter().map(|v| literal(v, false)).collect();
        self.0.push('(');
        self.0.push_str(&items.join(", "));
        self.0.push(')');
        self
    }

    /// A checked id, quoted.
    pub fn id(mut self, id: &Id) -> Self {
        self.0.push('\'');
        self.0.push_str(id.as_str());
        self.0.push('\'');
        self
    }

    /// A dateTime literal (`2024-06-03T12:00:00.000Z`) from Unix milliseconds.
    pub fn datetime(mut self, unix_millis: i64) -> Self {
        self.0.push_str(&super::mapping::iso_millis(unix_millis));
        self
    }

    /// A number the bridge computed (a `LIMIT`).
    pub fn number(mut self, n: u64) -> Self {
        self.0.push_str(&n.to_string());
        self
    }

    /// The query's text, for the `q` parameter.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Soql {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `'value'` with SOQL's escape sequences.
fn literal(value: &str, like: bool) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '%' | '_' if like => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '), // no escape exists for it: a space cannot end the literal
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// SOSL's reserved characters, escaped with `\` inside a search term.
const SOSL_RESERVED: &str = "?&|!{}[]()^~*:\\\"'+-";

/// `{term}` for `FIND`, every reserved character escaped and control characters made spaces.
pub fn sosl_term(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 2);
    out.push('{');
    for c in term.chars() {
        if SOSL_RESERVED.contains(c) {
            out.push('\\');
            out.push(c);
        } else if c.is_control() {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out.push('}');
    out
}

/// A Salesforce record id: 15 case-sensitive characters, or 18 whose last three encode the case of the first 15.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(String);

impl Id {
    /// `text` (trimmed) if it is a Salesforce id; its 18-character form.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if !text.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        match text.len() {
            15 => Some(Self(format!("{text}{}", suffix(text)))),
            18 if text[15..].eq_ignore_ascii_case(&suffix(&text[..15])) => {
                Some(Self(format!("{}{}", &text[..15], suffix(&text[..15]))))
            }
            _ => None,
        }
    }

    /// The three-character key prefix that says the object: `003` a Contact, `00Q` a Lead, `005` a User.
    pub fn prefix(&self) -> &str {
        &self.0[..3]
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The 18-character id's suffix for a 15-character id: per group of five, the bits of its capital letters.
fn suffix(id15: &str) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
    id15.as_bytes()
        .chunks(5)
        .map(|chunk| {
            let bits = chunk.iter().enumerate().filter(|(_, b)| b.is_ascii_uppercase()).fold(0, |n, (i, _)| n | 1 << i);
            ALPHABET[bits] as char
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The injections of issue 35, each as a value: the query keeps its shape, and the value reads back whole.
    const INJECTIONS: [&str; 8] = [
        "'",
        "\\",
        "%",
        "_",
        "a\nb",
        "' OR Name != null OR Name = '",
        "x\\' OR Email != null OR Email = \\'",
        "} RETURNING User(Id) FIND {",
    ];

    /// Reads a SOQL string literal back from the start of `text` (as Salesforce's parser does): its value and the
    /// rest of the text, or `None` when it is not one.
    fn read_literal(text: &str) -> Option<(String, &str)> {
        let mut chars = text.strip_prefix('\'')?.char_indices();
        let mut value = String::new();
        while let Some((at, c)) = chars.next() {
            match c {
                '\\' => value.push(match chars.next()?.1 {
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    other @ ('\\' | '\'' | '"' | '%' | '_') => other,
                    _ => return None,
                }),
                '\'' => return Some((value, &text[at + 2..])),
                c => value.push(c),
            }
        }
        None
    }

    #[test]
    fn every_injection_stays_one_string_literal() {
        for value in INJECTIONS {
            let query = Soql::new("SELECT Id FROM Contact WHERE Email = ").text(value).code(" LIMIT 1");
            let literal = query.as_str().strip_prefix("SELECT Id FROM Contact WHERE Email = ").unwrap();
            let (read, rest) = read_literal(literal).unwrap_or_else(|| panic!("{query}"));
            assert_eq!((read.as_str(), rest), (value, " LIMIT 1"), "{query}");
            assert!(!query.as_str().contains('\n'), "a newline is escaped: {query}");
        }
        assert_eq!(Soql::new("").text("' OR Name != null OR Name = '").as_str(), r"'\' OR Name != null OR Name = \''");
        assert_eq!(Soql::new("").text(r"a\b").as_str(), r"'a\\b'");
        // Outside LIKE, % and _ are plain characters; in LIKE they are escaped.
        assert_eq!(Soql::new("").text("50%_off").as_str(), "'50%_off'");
        assert_eq!(Soql::new("").like("50%_off").as_str(), r"'50\%\_off'");
        let like = Soql::new("").like("50%_off");
        let (read, rest) = read_literal(like.as_str()).unwrap();
        assert_eq!((read.as_str(), rest), ("50%_off", ""));
        assert_eq!(Soql::new("").text("a\u{0}b").as_str(), "'a b'");
    }

    #[test]
    fn lists_are_literals_each() {
        let query = Soql::new("WHERE Email IN ").texts(["a@example.com", "o'neil@example.com"]);
        assert_eq!(query.as_str(), r"WHERE Email IN ('a@example.com', 'o\'neil@example.com')");
    }

    #[test]
    fn every_sosl_injection_stays_inside_its_braces() {
        for value in INJECTIONS.iter().chain(&["{x}", "a OR b*", "+1 (555) 010-0000", "a\\}b"]) {
            let term = sosl_term(value);
            // Unescape: every `\` takes the next character; the term ends at the first unescaped `}`.
            let mut chars = term.strip_prefix('{').unwrap().chars();
            let mut read = String::new();
            let mut rest = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => read.push(chars.next().unwrap()),
                    '}' => {
                        rest = chars.collect();
                        break;
                    }
                    c => read.push(c),
                }
            }
            assert_eq!((read.replace('\n', " "), rest.as_str()), (value.replace('\n', " "), ""), "{term}");
        }
        assert_eq!(sosl_term("+1 (555) 010-0000"), r"{\+1 \(555\) 010\-0000}");
    }

    #[test]
    fn ids_are_15_or_18_characters_with_their_checksum() {
        let id = Id::parse("003D000000QyZ9a").unwrap();
        assert_eq!(id.as_str(), "003D000000QyZ9aIAF");
        assert_eq!(Id::parse(" 003D000000QyZ9aIAF ").unwrap(), id);
        assert_eq!(Id::parse("003D000000QyZ9aiaf").unwrap(), id, "the suffix is case-insensitive");
        assert_eq!(id.prefix(), "003");
        for bad in [
            "",
            "003D000000QyZ9",
            "003D000000QyZ9aIAG",
            "003D000000QyZ9aIA",
            "003D000000QyZ9a'",
            "' OR Id != null OR Id = '",
            "003D0000\n00QyZ9a",
            "003D00000 QyZ9a",
            "003D000000QyZ9aÄAF",
        ] {
            assert_eq!(Id::parse(bad), None, "{bad:?}");
        }
    }
}
