//! The `{auth, meta, data}` envelope every Talkdesk request carries.

use super::form::FormFields;
use serde::de::value::{MapAccessDeserializer, MapDeserializer};
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use std::fmt;
use std::marker::PhantomData;

/// `meta` of an endpoint that has none: whatever is there is ignored.
pub type NoMeta = de::IgnoredAny;

/// `data` of an endpoint that has none: whatever is there is ignored.
pub type NoData = de::IgnoredAny;

/// One request to a bridge endpoint: the user's credentials (`auth`, the bridge's own type), the endpoint's `meta`
/// and its `data`.
///
/// Decoding (`bridge::docs::protocol`): a section must be a JSON object (an array, a string or a number is refused, whatever the section's type
/// would make of it); a missing or `null` section is read as an empty object (so a section whose fields are all
/// optional may be left out); unknown top-level keys are ignored; a section given twice is an error.
///
/// ```
/// use bridge::{Envelope, InteractionData, InteractionMeta};
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Credentials { username: String }
///
/// let request: Envelope<Credentials, InteractionMeta, InteractionData> = serde_json::from_str(
///     r#"{"auth": {"username": "john"}, "meta": {"interaction_types": ["case"]}}"#,
/// ).unwrap();
/// assert_eq!(request.auth.username, "john");
/// assert_eq!(request.meta.interaction_types, ["case"]);
/// assert!(request.data.contact_external_id.is_none());
/// ```
pub struct Envelope<A, M, D> {
    /// The user's credentials for the external service.
    pub auth: A,
    /// The endpoint's accessory information.
    pub meta: M,
    /// The endpoint's payload (for actions, the action's inputs).
    pub data: D,
}

/// Deserializes `T` from the value, which must be an object, or from an empty object when the value is `null`.
struct OrEmpty<T>(T);

/// `T` from a JSON object, and from nothing else: serde's derive would also read a struct from an array,
/// positionally, and `IgnoredAny` takes anything.
struct ObjectOnly<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectOnly<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<V: MapAccess<'de>>(self, map: V) -> Result<T, V::Error> {
        T::deserialize(MapAccessDeserializer::new(map))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OrEmpty<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrEmptyVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for OrEmptyVisitor<T> {
            type Value = OrEmpty<T>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object or null")
            }

            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                from_empty_object().map(OrEmpty)
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                from_empty_object().map(OrEmpty)
            }

            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(ObjectOnly(PhantomData)).map(OrEmpty)
            }
        }

        deserializer.deserialize_option(OrEmptyVisitor(PhantomData))
    }
}

/// `T` as read from `{}`: `Ok` when all its fields are optional, a "missing field" error otherwise.
pub(crate) fn from_empty_object<'de, T: Deserialize<'de>, E: de::Error>() -> Result<T, E> {
    T::deserialize(MapDeserializer::<_, E>::new(std::iter::empty::<((), ())>()))
}

#[derive(serde::Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum Section {
    Auth,
    Meta,
    Data,
    #[serde(other)]
    Other,
}

impl<'de, A, M, D> Deserialize<'de> for Envelope<A, M, D>
where
    A: Deserialize<'de>,
    M: Deserialize<'de>,
    D: Deserialize<'de>,
{
    fn deserialize<De: Deserializer<'de>>(deserializer: De) -> Result<Self, De::Error> {
        struct EnvelopeVisitor<A, M, D>(PhantomData<(A, M, D)>);

        impl<'de, A, M, D> Visitor<'de> for EnvelopeVisitor<A, M, D>
        where
            A: Deserialize<'de>,
            M: Deserialize<'de>,
            D: Deserialize<'de>,
        {
            type Value = Envelope<A, M, D>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object with `auth`, `meta` and `data`")
            }

            fn visit_map<V: MapAccess<'de>>(self, mut map: V) -> Result<Self::Value, V::Error> {
                let (mut auth, mut meta, mut data) = (None, None, None);
                while let Some(section) = map.next_key::<Section>()? {
                    match section {
                        Section::Auth => set_once(&mut auth, "auth", map.next_value::<OrEmpty<A>>()?)?,
                        Section::Meta => set_once(&mut meta, "meta", map.next_value::<OrEmpty<M>>()?)?,
                        Section::Data => {
                            let value = map.next_value::<OrEmpty<FormFields<D>>>()?;
                            set_once(&mut data, "data", OrEmpty(value.0 .0))?
                        }
                        Section::Other => {
                            map.next_value::<de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(Envelope { auth: or_empty(auth)?, meta: or_empty(meta)?, data: or_empty(data)? })
            }
        }

        deserializer.deserialize_map(EnvelopeVisitor(PhantomData))
    }
}

fn set_once<T, E: de::Error>(slot: &mut Option<T>, name: &'static str, value: OrEmpty<T>) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::duplicate_field(name));
    }
    *slot = Some(value.0);
    Ok(())
}

fn or_empty<'de, T: Deserialize<'de>, E: de::Error>(value: Option<T>) -> Result<T, E> {
    match value {
        Some(value) => Ok(value),
        None => from_empty_object(),
    }
}

impl<A, M: fmt::Debug, D: fmt::Debug> fmt::Debug for Envelope<A, M, D> {
    /// `auth` is never printed: it holds the user's credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("auth", &"<redacted>")
            .field("meta", &self.meta)
            .field("data", &self.data)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Auth {
        token: String,
    }

    #[derive(Deserialize, Debug, PartialEq, Default)]
    struct Optional {
        note: Option<String>,
    }

    type Request = Envelope<Auth, Optional, Optional>;

    #[test]
    fn missing_and_null_sections_read_as_empty_objects() {
        let r: Request = serde_json::from_str(r#"{"auth": {"token": "t"}, "meta": null}"#).unwrap();
        assert_eq!(r.meta, Optional::default());
        assert_eq!(r.data, Optional::default());
    }

    #[test]
    fn a_missing_auth_with_mandatory_fields_is_an_error() {
        let err = serde_json::from_str::<Request>("{}").unwrap_err();
        assert!(err.to_string().contains("missing field `token`"), "{err}");
    }

    #[test]
    fn unknown_sections_are_ignored_and_duplicates_refused() {
        let r: Request = serde_json::from_str(r#"{"auth": {"token": "t", "extra": 1}, "version": 2}"#).unwrap();
        assert_eq!(r.auth.token, "t");
        let err = serde_json::from_str::<Request>(r#"{"auth": {"token": "t"}, "auth": {"token": "u"}}"#).unwrap_err();
        assert!(err.to_string().contains("duplicate field `auth`"), "{err}");
    }

    #[test]
    fn a_section_that_is_not_an_object_is_refused() {
        for body in [
            r#"{"auth": ["t"]}"#,
            r#"{"auth": {"token": "t"}, "data": ["a note"]}"#,
            r#"{"auth": {"token": "t"}, "meta": "meta"}"#,
            r#"{"auth": {"token": "t"}, "meta": 1}"#,
            r#"{"auth": "t"}"#,
        ] {
            let err = serde_json::from_str::<Request>(body).unwrap_err();
            assert!(err.to_string().contains("expected an object"), "{body}: {err}");
        }
        // Even where the section's type takes anything.
        let err = serde_json::from_str::<Envelope<Auth, NoMeta, NoData>>(r#"{"auth": {"token": "t"}, "meta": []}"#);
        assert!(err.is_err());
        assert!(serde_json::from_str::<Envelope<Auth, NoMeta, NoData>>(
            r#"{"auth": {"token": "t"}, "meta": {"x": [1]}}"#
        )
        .is_ok());
    }

    #[test]
    fn debug_never_shows_auth() {
        let r: Request = serde_json::from_str(r#"{"auth": {"token": "s3cr3t-value"}}"#).unwrap();
        let debug = format!("{r:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert!(debug.contains(r#"auth: "<redacted>""#) && debug.contains("meta:"), "{debug}");
    }

    #[test]
    fn errors_say_what_was_expected() {
        let err = serde_json::from_str::<Request>("[]").unwrap_err();
        assert!(err.to_string().contains("expected an object with `auth`, `meta` and `data`"), "{err}");
        // serde_json hands a section to `OrEmpty` through `deserialize_option`, so its own expectation shows only
        // with deserializers that do not (here, a bare number).
        use serde::de::IntoDeserializer;
        let number: serde::de::value::U32Deserializer<serde::de::value::Error> = 1u32.into_deserializer();
        let err = OrEmpty::<Auth>::deserialize(number).err().unwrap();
        assert!(err.to_string().contains("expected an object or null"), "{err}");
    }
}
