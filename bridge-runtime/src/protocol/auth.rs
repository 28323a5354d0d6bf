//! Authorization validation: how a bridge says "these credentials work".

use serde_json::{Map, Value};

/// What an auth validator returns when the credentials work. (When they do not, it returns
/// [`Error::credentials_rejected`](crate::Error::credentials_rejected), which answers `401`.)
#[derive(Clone, PartialEq, Default)]
pub enum AuthValidation {
    /// `204 No Content`: the protocol's classic answer.
    #[default]
    Valid,
    /// `200 OK` with `{}`, as Talkdesk's current documentation answers every successful validation.
    ValidOk,
    /// `200 OK` with auth fields for Talkdesk to store (the keys must be fields the integration declared).
    Store(Map<String, Value>),
}

impl std::fmt::Debug for AuthValidation {
    /// Stored fields are credentials: only their keys are printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Valid => f.write_str("Valid"),
            Self::ValidOk => f.write_str("ValidOk"),
            Self::Store(fields) => f.debug_tuple("Store").field(&fields.keys().collect::<Vec<_>>()).finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_stored_keys_not_values() {
        let mut fields = Map::new();
        fields.insert("refresh_token".into(), Value::from("very-secret-token"));
        let shown = format!("{:?}", AuthValidation::Store(fields));
        assert!(shown.contains("refresh_token") && !shown.contains("very-secret"), "{shown}");
    }
}
