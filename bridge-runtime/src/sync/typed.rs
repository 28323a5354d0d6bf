//! Typed offsets and checkpoints: what every contact or agent retriever did by hand (read `meta.offset` or
//! `meta.synchronization_checkpoint` back as the value it wrote, or answer a `400` naming the field).

use crate::error::Error;
use crate::protocol::{AgentSyncMeta, ContactSyncMeta};
use std::str::FromStr;

/// The longest part of a refused value quoted back in the `400`.
const QUOTED: usize = 64;

/// `text` read as a `T` (surrounding whitespace ignored), or a `400` naming `field`.
pub(crate) fn parse_as<T: FromStr>(field: &str, text: &str, what: &str) -> Result<T, Error> {
    text.trim().parse::<T>().map_err(|_| {
        let quoted: String = text.chars().take(QUOTED).collect();
        let ellipsis = if text.chars().count() > QUOTED { "…" } else { "" };
        Error::invalid_field(field, format!("`{quoted}{ellipsis}` is not {what} this bridge answered"))
    })
}

impl ContactSyncMeta {
    /// The `offset` Talkdesk sent back, read as the type the bridge wrote it from (`None` on a first page), or a
    /// `400` naming `meta.offset` when it is not one.
    ///
    /// ```
    /// use bridge::ContactSyncMeta;
    ///
    /// let meta: ContactSyncMeta = serde_json::from_str(r#"{"offset": 200}"#).unwrap();
    /// assert_eq!(meta.offset_as::<u64>().unwrap(), Some(200));
    ///
    /// let meta: ContactSyncMeta = serde_json::from_str(r#"{"offset": "page-two"}"#).unwrap();
    /// let refused = meta.offset_as::<u64>().unwrap_err();
    /// assert_eq!((refused.status(), refused.fields()[0].field.as_str()), (400, "meta.offset"));
    /// ```
    pub fn offset_as<T: FromStr>(&self) -> Result<Option<T>, Error> {
        self.situation.offset().map(|text| parse_as("meta.offset", text, "a next_offset")).transpose()
    }

    /// The `synchronization_checkpoint` Talkdesk sent back, read as the type the bridge wrote it from (`None` on an
    /// initial sync), or a `400` naming `meta.synchronization_checkpoint` when it is not one.
    ///
    /// ```
    /// use bridge::{ContactSyncMeta, TalkdeskDate};
    ///
    /// let meta: ContactSyncMeta =
    ///     serde_json::from_str(r#"{"synchronization_checkpoint": "2012-11-20 23:01:00 UTC"}"#).unwrap();
    /// let checkpoint = meta.checkpoint_as::<TalkdeskDate>().unwrap().unwrap();
    /// assert_eq!(checkpoint.to_string(), "2012-11-20 23:01:00 UTC");
    ///
    /// let meta: ContactSyncMeta = serde_json::from_str(r#"{"synchronization_checkpoint": "last tuesday"}"#).unwrap();
    /// let refused = meta.checkpoint_as::<TalkdeskDate>().unwrap_err();
    /// assert_eq!(refused.fields()[0].field, "meta.synchronization_checkpoint");
    /// ```
    pub fn checkpoint_as<T: FromStr>(&self) -> Result<Option<T>, Error> {
        self.situation
            .checkpoint()
            .map(|text| parse_as("meta.synchronization_checkpoint", text, "a synchronization_checkpoint"))
            .transpose()
    }
}

impl AgentSyncMeta {
    /// The `offset` Talkdesk sent back (an integer or a string), read as the type the bridge wrote it from
    /// (`None` on a first page), or a `400` naming `meta.offset`.
    ///
    /// ```
    /// use bridge::AgentSyncMeta;
    ///
    /// let meta: AgentSyncMeta = serde_json::from_str(r#"{"offset": 2}"#).unwrap();
    /// assert_eq!(meta.offset_as::<u32>().unwrap(), Some(2));
    /// assert!(serde_json::from_str::<AgentSyncMeta>(r#"{"offset": "-1"}"#).unwrap().offset_as::<u32>().is_err());
    /// ```
    pub fn offset_as<T: FromStr>(&self) -> Result<Option<T>, Error> {
        self.offset.as_deref().map(|text| parse_as("meta.offset", text, "a next_offset")).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact_meta(json: &str) -> ContactSyncMeta {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn absent_values_are_none_and_whitespace_is_ignored() {
        let meta = contact_meta("{}");
        assert_eq!(meta.offset_as::<u64>().unwrap(), None);
        assert_eq!(meta.checkpoint_as::<u64>().unwrap(), None);
        let meta = contact_meta(r#"{"offset": " 7 ", "synchronization_checkpoint": 9}"#);
        assert_eq!(meta.offset_as::<u64>().unwrap(), Some(7));
        assert_eq!(meta.checkpoint_as::<i64>().unwrap(), Some(9));
    }

    #[test]
    fn a_refusal_names_the_field_and_quotes_a_bounded_value() {
        let long = "x".repeat(500);
        let meta = contact_meta(&format!(r#"{{"offset": "{long}", "synchronization_checkpoint": "soon"}}"#));
        let err = meta.offset_as::<u64>().unwrap_err();
        assert_eq!(err.status(), 400);
        assert_eq!(err.fields()[0].field, "meta.offset");
        assert!(err.fields()[0].message.len() < 120, "{}", err.fields()[0].message);
        let err = meta.checkpoint_as::<u64>().unwrap_err();
        assert_eq!(err.fields()[0].field, "meta.synchronization_checkpoint");
        assert!(err.fields()[0].message.contains("`soon`"), "{}", err.fields()[0].message);
    }

    #[test]
    fn agent_offsets() {
        let meta: AgentSyncMeta = serde_json::from_str(r#"{"offset": "abc"}"#).unwrap();
        assert_eq!(meta.offset_as::<u32>().unwrap_err().fields()[0].field, "meta.offset");
        assert_eq!(AgentSyncMeta::default().offset_as::<u32>().unwrap(), None);
    }
}
