//! An action's inputs come from a form a person filled in: a field left empty arrives as `""`, a number typed
//! into an id field as a number. The request's `data` is read through [`FormFields`], which takes both as a
//! person means them, for the fields of the section's top level:
//!
//! - `""` for an `Option` field is `None` (as `meta` already reads an empty offset or id as absent);
//! - an integer where a string is expected (`"ticket_id": 5`) is that integer's text.
//!
//! Everything else is read exactly as the field's own `Deserialize` reads it, errors included.

use serde::de::value::{
    BorrowedStrDeserializer, MapAccessDeserializer, SeqAccessDeserializer, StrDeserializer, StringDeserializer,
};
use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::marker::PhantomData;

/// `T` read from an object, its fields read as a form's (see the module documentation).
pub(crate) struct FormFields<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for FormFields<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldsVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for FieldsVisitor<T> {
            type Value = FormFields<T>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
                T::deserialize(MapAccessDeserializer::new(FormMap(map))).map(FormFields)
            }
        }

        deserializer.deserialize_map(FieldsVisitor(PhantomData))
    }
}

/// The object's entries, each value read through [`FormValue`].
struct FormMap<M>(M);

impl<'de, M: MapAccess<'de>> MapAccess<'de> for FormMap<M> {
    type Error = M::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, M::Error> {
        self.0.next_key_seed(seed)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, M::Error> {
        self.0.next_value_seed(FormSeed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

struct FormSeed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for FormSeed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(FormValue(deserializer))
    }
}

/// One field's value: as its own deserializer, except for options and strings.
struct FormValue<D>(D);

macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
                self.0.$method($($arg,)* visitor)
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for FormValue<D> {
    type Error = D::Error;

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_option(EmptyIsNone(visitor))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(IntegerAsText(visitor))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(IntegerAsText(visitor))
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }

    forward! {
        deserialize_any();
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_i128();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_u128();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_seq();
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
        deserialize_ignored_any();
    }
}

/// An `Option`'s visitor that reads `""` as `None`. The present value is replayed to the option's own visitor
/// (through [`FormValue`], so that an `Option<String>` takes an integer too).
struct EmptyIsNone<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for EmptyIsNone<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.expecting(f)
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        deserializer.deserialize_any(Present(self.0))
    }
}

/// The value of a present `Option`: `""` is `None`, anything else the option's `Some`.
struct Present<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for Present<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.expecting(f)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<V::Value, E> {
        self.0.visit_some(FormValue(v.into_deserializer()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<V::Value, E> {
        self.0.visit_some(FormValue(v.into_deserializer()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<V::Value, E> {
        self.0.visit_some(FormValue(v.into_deserializer()))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<V::Value, E> {
        self.0.visit_some(FormValue(v.into_deserializer()))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<V::Value, E> {
        self.0.visit_some(FormValue(v.into_deserializer()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<V::Value, E> {
        self.0.visit_some(FormValue(v.into_deserializer()))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        match v {
            "" => self.0.visit_none(),
            v => self.0.visit_some(FormValue(StrDeserializer::new(v))),
        }
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        match v {
            "" => self.0.visit_none(),
            v => self.0.visit_some(FormValue(BorrowedStrDeserializer::new(v))),
        }
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        match v.as_str() {
            "" => self.0.visit_none(),
            _ => self.0.visit_some(FormValue(StringDeserializer::new(v))),
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(FormValue(deserializer))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.visit_some(SeqAccessDeserializer::new(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_some(MapAccessDeserializer::new(map))
    }
}

/// A string's visitor that takes an integer as its text.
struct IntegerAsText<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for IntegerAsText<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.expecting(f)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<V::Value, E> {
        self.0.visit_string(v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<V::Value, E> {
        self.0.visit_string(v.to_string())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<V::Value, E> {
        self.0.visit_bool(v)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<V::Value, E> {
        self.0.visit_f64(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        self.0.visit_str(v)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        self.0.visit_borrowed_str(v)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        self.0.visit_string(v)
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Priority;
    use serde_json::json;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Ticket {
        subject: String,
        ticket_id: String,
        #[serde(default)]
        priority: Option<Priority>,
        #[serde(default)]
        note: Option<String>,
        #[serde(default)]
        count: Option<u8>,
        #[serde(default)]
        tags: Option<Vec<String>>,
        #[serde(default)]
        assignee: Option<String>,
    }

    fn read(value: serde_json::Value) -> Result<Ticket, serde_json::Error> {
        serde_json::from_value::<FormFields<Ticket>>(value).map(|f| f.0)
    }

    #[test]
    fn empty_strings_are_absent_options() {
        let t = read(json!({"subject": "s", "ticket_id": "1", "priority": "", "note": "", "count": "", "tags": ""}))
            .unwrap();
        assert_eq!((t.priority, t.note, t.count, t.tags), (None, None, None, None));
        // A mandatory string stays what was typed, empty or not.
        assert_eq!(read(json!({"subject": "", "ticket_id": "1"})).unwrap().subject, "");
    }

    #[test]
    fn present_options_are_read_by_their_own_type() {
        let t = read(json!({"subject": "s", "ticket_id": "1", "priority": "High", "note": "n", "count": 3,
                            "tags": ["a"], "assignee": null}))
        .unwrap();
        assert_eq!(t.priority, Some(Priority::High));
        assert_eq!((t.note.as_deref(), t.count, t.tags), (Some("n"), Some(3), Some(vec!["a".to_owned()])));
        assert_eq!(t.assignee, None);
        let err = read(json!({"subject": "s", "ticket_id": "1", "count": 300})).unwrap_err();
        assert!(err.to_string().contains("expected u8"), "{err}");
        let err = read(json!({"subject": "s", "ticket_id": "1", "priority": "medium"})).unwrap_err();
        assert!(err.to_string().contains("unknown variant `medium`"), "{err}");
    }

    #[test]
    fn integers_are_text_where_text_is_expected() {
        let t = read(json!({"subject": 42, "ticket_id": 5, "assignee": 7})).unwrap();
        assert_eq!((t.subject.as_str(), t.ticket_id.as_str(), t.assignee.as_deref()), ("42", "5", Some("7")));
        // Not anything: a boolean or a fraction is still refused.
        assert!(read(json!({"subject": "s", "ticket_id": true})).is_err());
        assert!(read(json!({"subject": "s", "ticket_id": 1.5})).is_err());
    }

    #[test]
    fn nested_values_are_left_as_they_are() {
        #[derive(Debug, Deserialize)]
        struct Outer {
            #[allow(dead_code)]
            inner: Inner,
        }
        #[derive(Debug, Deserialize)]
        struct Inner {
            #[allow(dead_code)]
            id: String,
        }
        assert!(serde_json::from_value::<FormFields<Outer>>(json!({"inner": {"id": 5}})).is_err());
    }
}
