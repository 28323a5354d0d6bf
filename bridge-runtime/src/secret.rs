//! A string that never shows itself: for credentials in a bridge's auth type.

use serde::{Deserialize, Deserializer};
use std::fmt;

/// A credential (token, password, API key) that cannot leak through logs or error messages by accident.
///
/// `Debug` and `Display` print `<redacted>`, and it does not implement `Serialize`. Read the value with
/// [`expose`](Secret::expose) where it is really needed, e.g. to build an `Authorization` header.
///
/// ```
/// use bridge::Secret;
/// use serde::Deserialize;
///
/// #[derive(Debug, Deserialize)]
/// struct Auth { email: String, token: Secret }
///
/// let auth: Auth = serde_json::from_str(r#"{"email": "a@b.c", "token": "s3cr3t"}"#).unwrap();
/// assert_eq!(auth.token.expose(), "s3cr3t");
/// assert!(!format!("{auth:?}").contains("s3cr3t"));
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value itself. Every call site is a place where it could leak: keep them few.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn it_shows_itself_only_through_expose() {
        let secret = Secret::from("s3cr3t".to_owned());
        assert_eq!(secret.expose(), "s3cr3t");
        assert_eq!(format!("{secret:?}"), "<redacted>");
        assert_eq!(secret.to_string(), "<redacted>");
        assert_eq!(format!("{:?}", Some(&secret)), "Some(<redacted>)");
        assert!(!secret.is_empty());
        assert!(Secret::new("").is_empty());
        assert_eq!(Secret::new("x"), Secret::from("x".to_owned()));
        let read: Secret = serde_json::from_str(r#""t0k3n""#).unwrap();
        assert_eq!(read.expose(), "t0k3n");
        assert!(serde_json::from_str::<Secret>("42").is_err());
    }
}
