//! Cassettes: a bridge's external calls written down, secrets redacted, in a file made for review, to replay them in
//! tests with no service at hand (feature `client`; the replay itself is the test kit's, `bridge::testing`).
//!
//! A cassette is pretty-printed JSON with its keys in order, one entry per call, so that a re-recording diffs
//! well:
//!
//! ```json
//! {
//!   "format": "bridge-cassette/1",
//!   "clock": "2024-06-04T09:00:00Z",
//!   "calls": [
//!     {
//!       "request": {
//!         "method": "GET",
//!         "path": "/api/v2/users/search.json",
//!         "query": { "query": "email:{auth.email}" },
//!         "headers": { "accept": "application/json", "authorization": "<redacted>" }
//!       },
//!       "response": {
//!         "status": 200,
//!         "headers": { "content-type": "application/json" },
//!         "json": { "next_page": "{origin}/api/v2/users/search.json?page=2", "users": [] }
//!       }
//!     }
//!   ]
//! }
//! ```
//!
//! A body is `json` when it is JSON, `form` when it is a form (fields by name), `text` otherwise (`base64` holds
//! `<redacted>` for bytes that are not text). A query parameter or form field given more than once has a list of
//! values. `clock` is the time of the recording's first call: its replay's clock. What is redacted, and the
//! placeholders (`{origin}`, `{auth.…}`), are the [`redact`] module's.

pub(crate) mod recorder;
pub(crate) mod redact;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The format this runtime writes and reads.
pub(crate) const FORMAT: &str = "bridge-cassette/1";

/// A whole cassette file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CassetteFile {
    pub(crate) format: String,
    /// When the recording's first call was made (RFC 3339): the clock its replay runs under.
    pub(crate) clock: String,
    pub(crate) calls: Vec<Exchange>,
}

/// One call and its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Exchange {
    pub(crate) request: Sent,
    pub(crate) response: Received,
}

/// A call, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Sent {
    pub(crate) method: String,
    pub(crate) path: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty", with = "one_or_many")]
    pub(crate) query: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) headers: BTreeMap<String, String>,
    #[serde(flatten)]
    pub(crate) body: Body,
    /// Who made the call: its credentials, redacted and numbered in the order they first appear in the recording
    /// (`<redacted #1>`, `<redacted #2>`), so that a replay answers a call only with what was answered to the same
    /// credentials (a token the service rejected never answers for a good one). Absent for a call without
    /// credentials, and in cassettes recorded before it was written: such a call answers any caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) credentials: Option<String>,
}

/// The identity of a call's credentials while a recording or a replay runs (kept in memory, never written): the
/// same credentials give the same fingerprint; `None` for a call without any.
pub(crate) fn fingerprint(secrets: &[&str]) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    let mut secrets: Vec<&str> = secrets.iter().copied().filter(|s| !s.is_empty()).collect();
    if secrets.is_empty() {
        return None;
    }
    secrets.sort_unstable();
    secrets.dedup();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    secrets.hash(&mut hasher);
    Some(hasher.finish())
}

/// The placeholder of the `n`-th credentials (from 1) a recording met.
pub(crate) fn credentials_placeholder(n: usize) -> String {
    format!("<redacted #{n}>")
}

/// An answer, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Received {
    pub(crate) status: u16,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) headers: BTreeMap<String, String>,
    #[serde(flatten)]
    pub(crate) body: Body,
}

/// A body: at most one of its fields is set (none for an empty body).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Body {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) json: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "optional_one_or_many")]
    pub(crate) form: Option<BTreeMap<String, Vec<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) base64: Option<String>,
}

impl CassetteFile {
    /// A cassette with no calls yet.
    pub(crate) fn empty(clock: String) -> Self {
        Self { format: FORMAT.to_owned(), clock, calls: Vec::new() }
    }

    /// The file's text: pretty-printed, keys in order, ending with a new line.
    pub(crate) fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a cassette is plain JSON");
        text.push('\n');
        text
    }

    /// Reads a cassette's text.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let file: Self = serde_json::from_str(text).map_err(|err| format!("not a cassette: {err}"))?;
        if file.format != FORMAT {
            return Err(format!("a cassette of format `{}`, where this bridge reads `{FORMAT}`", file.format));
        }
        Ok(file)
    }
}

/// Values by name, written as one string when there is one (`"page": "2"`), as a list otherwise.
mod one_or_many {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }

    pub(super) fn serialize<S: Serializer>(map: &BTreeMap<String, Vec<String>>, s: S) -> Result<S::Ok, S::Error> {
        let shown: BTreeMap<&String, OneOrMany> = map
            .iter()
            .map(|(name, values)| {
                let value = match values.as_slice() {
                    [one] => OneOrMany::One(one.clone()),
                    many => OneOrMany::Many(many.to_vec()),
                };
                (name, value)
            })
            .collect();
        shown.serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Vec<String>>, D::Error> {
        let read = BTreeMap::<String, OneOrMany>::deserialize(d)?;
        Ok(read
            .into_iter()
            .map(|(name, value)| match value {
                OneOrMany::One(one) => (name, vec![one]),
                OneOrMany::Many(many) => (name, many),
            })
            .collect())
    }
}

/// [`one_or_many`], for a form that may be absent.
mod optional_one_or_many {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::collections::BTreeMap;

    pub(super) fn serialize<S: Serializer>(
        map: &Option<BTreeMap<String, Vec<String>>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match map {
            Some(map) => super::one_or_many::serialize(map, s),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<BTreeMap<String, Vec<String>>>, D::Error> {
        #[derive(serde::Deserialize)]
        struct Wrapped(#[serde(with = "super::one_or_many")] BTreeMap<String, Vec<String>>);
        Ok(Option::<Wrapped>::deserialize(d)?.map(|Wrapped(map)| map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cassette_reads_back_what_it_wrote() {
        let mut query = BTreeMap::new();
        query.insert("page".to_owned(), vec!["2".to_owned()]);
        query.insert("id".to_owned(), vec!["1".to_owned(), "2".to_owned()]);
        let mut file = CassetteFile::empty("2024-06-04T09:00:00Z".to_owned());
        file.calls.push(Exchange {
            request: Sent {
                method: "POST".to_owned(),
                path: "/token".to_owned(),
                query,
                headers: BTreeMap::new(),
                body: Body { form: Some(BTreeMap::from([("a".to_owned(), vec!["b".to_owned()])])), ..Body::default() },
                credentials: Some(credentials_placeholder(1)),
            },
            response: Received {
                status: 200,
                headers: BTreeMap::new(),
                body: Body { json: Some(serde_json::json!({"b": 1, "a": [true]})), ..Body::default() },
            },
        });
        let text = file.to_text();
        assert!(text.contains(r#""page": "2""#), "{text}");
        assert!(text.contains(r#""form": {"#), "{text}");
        assert!(!text.contains("headers"), "empty maps are left out: {text}");
        assert!(text.contains(r#""credentials": "<redacted #1>""#), "{text}");
        assert_eq!(CassetteFile::parse(&text), Ok(file));
        assert!(CassetteFile::parse(r#"{"format": "x", "clock": "", "calls": []}"#).unwrap_err().contains("`x`"));
        assert!(CassetteFile::parse("[]").unwrap_err().starts_with("not a cassette"));
    }
}
