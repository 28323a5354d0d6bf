//! Finding every offending field of one section (`auth`, `meta` or `data`) of a request, for any `Deserialize`
//! type, without knowing its schema.
//!
//! serde stops at the first error. So this module deserializes repeatedly: each failure names one field (its path
//! comes from `serde_path_to_error`); the field is recorded, then patched in a scratch copy with a placeholder of a
//! type that gets past it (`""`, `0`, `false`, `[]`, `{}`, or the first variant the error lists), and the next
//! failure is looked for. A placeholder `{}` standing for a missing object would make its own fields fail too: those
//! follow-up failures are patched but not reported. The work is bounded by [`MAX_ATTEMPTS`] deserializations, so a
//! hostile body cannot make it loop. This only ever runs on requests that have already failed.

use crate::error::FieldError;
use crate::protocol::kind_of;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use serde_path_to_error::Segment;

/// The most deserializations spent on one section.
const MAX_ATTEMPTS: usize = 64;

/// One step of the way from a section's top to a field.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// One failed deserialization: where, and serde's own words.
struct Failure {
    at: Vec<Step>,
    message: String,
    missing: bool,
}

/// Appends to `out` every offending field of `section`, deserialized as `T`. With `sensitive`, messages never
/// quote the values they complain about (for `auth`).
pub(super) fn collect<T: DeserializeOwned>(section: &str, value: Value, sensitive: bool, out: &mut Vec<FieldError>) {
    let mut scratch = value;
    let mut attempts = 0;
    let mut reported: Vec<Vec<Step>> = Vec::new();
    let mut placeholders: Vec<Vec<Step>> = Vec::new();
    while let Some(failure) = first_failure::<T>(&scratch, &mut attempts) {
        if reported.contains(&failure.at) {
            return; // no progress: stop rather than report the same field twice
        }
        if !placeholders.iter().any(|p| failure.at.starts_with(p)) {
            let found = if failure.missing { None } else { lookup(&scratch, &failure.at) };
            let message = if failure.missing {
                "missing mandatory field".to_owned()
            } else {
                describe(&failure.message, found, sensitive)
            };
            out.push(FieldError { field: render(section, &failure.at), message });
        }
        reported.push(failure.at.clone());
        match patch::<T>(&mut scratch, &failure, &mut attempts) {
            Patch::Clean => {}
            Patch::Nested => placeholders.push(failure.at),
            Patch::Impossible => return,
        }
    }
}

fn first_failure<T: DeserializeOwned>(value: &Value, attempts: &mut usize) -> Option<Failure> {
    if *attempts >= MAX_ATTEMPTS {
        return None;
    }
    *attempts += 1;
    let err = match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(_) => return None,
        Err(err) => err,
    };
    let mut at = Vec::new();
    for segment in err.path().iter() {
        match segment {
            Segment::Map { key } => at.push(Step::Key(key.clone())),
            Segment::Seq { index } => at.push(Step::Index(*index)),
            Segment::Enum { .. } | Segment::Unknown => break,
        }
    }
    let message = err.into_inner().to_string();
    let missing = match missing_field(&message) {
        Some(name) => {
            at.push(Step::Key(name.to_owned()));
            true
        }
        None => false,
    };
    Some(Failure { at, message, missing })
}

/// The field name of serde's "missing field `name`".
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.strip_suffix('`')
}

enum Patch {
    /// The placeholder got past the field.
    Clean,
    /// Only `{}` got past it, and its own fields now fail (they are follow-ups, not the user's mistakes).
    Nested,
    /// Nothing got past it: stop looking.
    Impossible,
}

fn patch<T: DeserializeOwned>(scratch: &mut Value, failure: &Failure, attempts: &mut usize) -> Patch {
    let mut candidates = Vec::new();
    if let Some(variant) = first_expected_variant(&failure.message) {
        candidates.push(Value::String(variant.to_owned()));
    }
    candidates.extend([
        Value::String(String::new()),
        Value::from(0),
        Value::Bool(false),
        Value::Array(Vec::new()),
        Value::Object(Map::new()),
    ]);
    let mut nested = None;
    let mut next_candidate = 0;
    while let Some(candidate) = candidates.get(next_candidate).cloned() {
        next_candidate += 1;
        let mut trial = scratch.clone();
        if !set(&mut trial, &failure.at, candidate) {
            return Patch::Impossible;
        }
        match first_failure::<T>(&trial, attempts) {
            None if *attempts >= MAX_ATTEMPTS => return Patch::Impossible,
            None => {
                *scratch = trial;
                return Patch::Clean;
            }
            Some(next) if next.at == failure.at => {
                // A missing enum only names its variants once given a wrong one: try the first it names.
                if let Some(variant) = first_expected_variant(&next.message) {
                    let variant = Value::String(variant.to_owned());
                    if !candidates.contains(&variant) {
                        candidates.push(variant);
                    }
                }
            }
            Some(next) if next.at.starts_with(&failure.at) => {
                if nested.is_none() {
                    nested = Some(trial);
                }
            }
            Some(_) => {
                *scratch = trial;
                return Patch::Clean;
            }
        }
    }
    match nested {
        Some(trial) => {
            *scratch = trial;
            Patch::Nested
        }
        None => Patch::Impossible,
    }
}

/// The first variant of serde's "unknown variant `x`, expected `a` or `b`" / "expected one of `a`, `b`".
fn first_expected_variant(message: &str) -> Option<&str> {
    let expected = &message[message.find("expected")?..];
    let start = expected.find('`')? + 1;
    let len = expected[start..].find('`')?;
    Some(&expected[start..start + len])
}

fn lookup<'v>(value: &'v Value, at: &[Step]) -> Option<&'v Value> {
    at.iter().try_fold(value, |v, step| match step {
        Step::Key(k) => v.get(k.as_str()),
        Step::Index(i) => v.get(*i),
    })
}

/// Puts `new` at `at`, adding the last key to its object if missing. `false` when the parent is not there.
fn set(value: &mut Value, at: &[Step], new: Value) -> bool {
    let Some((last, parents)) = at.split_last() else {
        *value = new;
        return true;
    };
    let mut parent = value;
    for step in parents {
        let next = match step {
            Step::Key(k) => parent.get_mut(k.as_str()),
            Step::Index(i) => parent.get_mut(*i),
        };
        match next {
            Some(next) => parent = next,
            None => return false,
        }
    }
    match (last, parent) {
        (Step::Key(k), Value::Object(map)) => {
            map.insert(k.clone(), new);
            true
        }
        (Step::Index(i), Value::Array(items)) if *i < items.len() => {
            items[*i] = new;
            true
        }
        _ => false,
    }
}

fn render(section: &str, at: &[Step]) -> String {
    let mut path = section.to_owned();
    for step in at {
        match step {
            Step::Key(k) => {
                path.push('.');
                path.push_str(k);
            }
            Step::Index(i) => {
                path.push('[');
                path.push_str(&i.to_string());
                path.push(']');
            }
        }
    }
    path
}

/// serde's message, rephrased so that it never quotes a value: serde writes `invalid type: string "hunter2",
/// expected u32`, which for `auth` would echo a credential. With `sensitive`, messages it does not recognise are
/// replaced by a generic one (a custom `Deserialize` may quote its input).
pub(super) fn describe(message: &str, found: Option<&Value>, sensitive: bool) -> String {
    let expected = message.rfind(", expected ").map(|i| &message[i + ", expected ".len()..]);
    if message.starts_with("invalid type:") {
        if let Some(expected) = expected {
            return match found {
                Some(found) => format!("expected {expected}, found {}", kind_of(found)),
                None => format!("expected {expected}"),
            };
        }
    }
    if message.starts_with("invalid value:") {
        if let Some(expected) = expected {
            return format!("invalid value, expected {expected}");
        }
    }
    if message.starts_with("unknown variant") && sensitive {
        if let Some(expected) = expected {
            return format!("unknown variant, expected {expected}");
        }
    }
    if message.starts_with("invalid length") || message.starts_with("duplicate field") {
        return message.to_owned();
    }
    if sensitive {
        "invalid value".to_owned()
    } else {
        message.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Address {
        street: String,
        number: u32,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    #[serde(rename_all = "lowercase")]
    enum Level {
        Low,
        High,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Input {
        name: String,
        age: u8,
        level: Level,
        address: Address,
        tags: Option<Vec<String>>,
    }

    fn errors(value: Value) -> Vec<String> {
        let mut out = Vec::new();
        collect::<Input>("data", value, false, &mut out);
        out.into_iter().map(|f| format!("{}: {}", f.field, f.message)).collect()
    }

    #[test]
    fn reports_every_missing_field_once_without_follow_ups() {
        assert_eq!(
            errors(json!({})),
            [
                "data.name: missing mandatory field",
                "data.age: missing mandatory field",
                "data.level: missing mandatory field",
                "data.address: missing mandatory field",
            ]
        );
    }

    #[test]
    fn reports_wrong_types_values_and_nested_fields() {
        // Present fields come in the order of the JSON object's keys (alphabetical), missing ones in declaration
        // order: both deterministic.
        assert_eq!(
            errors(json!({"name": 1, "age": 300, "level": "medium", "address": {"street": "x", "number": "4"},
                          "tags": ["a", null]})),
            [
                "data.address.number: expected u32, found a string",
                "data.age: invalid value, expected u8",
                "data.level: unknown variant `medium`, expected `low` or `high`",
                "data.name: expected a string, found a number",
                "data.tags[1]: expected a string, found null",
            ]
        );
    }

    #[test]
    fn a_section_of_the_wrong_type_is_one_error() {
        assert_eq!(errors(json!("oops")), ["data: expected struct Input, found a string"]);
    }

    #[test]
    fn valid_input_reports_nothing() {
        assert!(
            errors(json!({"name": "n", "age": 3, "level": "low", "address": {"street": "s", "number": 1}})).is_empty()
        );
    }

    #[test]
    fn work_is_bounded_on_huge_inputs() {
        let mut out = Vec::new();
        let many: Vec<Value> = (0..10_000).map(Value::from).collect();
        collect::<Vec<String>>("meta", Value::Array(many), false, &mut out);
        assert!(!out.is_empty() && out.len() < MAX_ATTEMPTS, "{}", out.len());
    }

    #[test]
    fn sensitive_messages_do_not_quote_values() {
        let message = describe(r#"invalid value: string "hunter2", expected a token"#, None, true);
        assert_eq!(message, "invalid value, expected a token");
        assert_eq!(describe("my custom hunter2 complaint", None, true), "invalid value");
        assert_eq!(describe("unknown variant `hunter2`, expected `a`", None, true), "unknown variant, expected `a`");
    }
}
