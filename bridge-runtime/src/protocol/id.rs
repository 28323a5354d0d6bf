//! Ids and offsets arrive as strings or as numbers (Talkdesk's own agent example uses a number): both are accepted
//! and normalised to `String`, which is what a bridge always emits.

use serde::de::{self, Deserializer, Visitor};
use std::fmt;

struct StringOrNumber;

impl<'de> Visitor<'de> for StringOrNumber {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string or an integer")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
}

struct OptionalStringOrNumber;

impl<'de> Visitor<'de> for OptionalStringOrNumber {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string, an integer or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(StringOrNumber).map(Some)
    }
}

/// `deserialize_with` for an optional id or offset: a string, an integer or `null`. An empty string counts as
/// absent, since an empty offset or checkpoint cannot mean anything.
pub(crate) fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(d.deserialize_option(OptionalStringOrNumber)?.filter(|s| !s.is_empty()))
}

/// `deserialize_with` for a mandatory id: a string or an integer.
pub(crate) fn required<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    d.deserialize_any(StringOrNumber)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "super::optional")]
        offset: Option<String>,
        #[serde(deserialize_with = "super::required")]
        id: String,
    }

    fn probe(json: &str) -> Probe {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn accepts_strings_and_numbers() {
        let p = probe(r#"{"offset": 2, "id": 341231}"#);
        assert_eq!(p.offset.as_deref(), Some("2"));
        assert_eq!(p.id, "341231");
        let p = probe(r#"{"offset": "abc", "id": "7"}"#);
        assert_eq!(p.offset.as_deref(), Some("abc"));
    }

    #[test]
    fn null_empty_and_absent_offsets_are_none() {
        assert_eq!(probe(r#"{"offset": null, "id": "1"}"#).offset, None);
        assert_eq!(probe(r#"{"offset": "", "id": "1"}"#).offset, None);
        assert_eq!(probe(r#"{"id": "1"}"#).offset, None);
    }

    #[test]
    fn rejects_other_types() {
        assert!(serde_json::from_str::<Probe>(r#"{"id": true}"#).is_err());
        assert!(serde_json::from_str::<Probe>(r#"{"id": "1", "offset": [1]}"#).is_err());
    }
}
