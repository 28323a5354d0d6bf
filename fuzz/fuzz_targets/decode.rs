//! Request decoding and validation of every endpoint kind, on arbitrary bytes.
//!
//! The first byte picks the endpoint kind; the rest is the request body. Whatever the input, decoding must return
//! (never panic, never loop), a failure must be a 4xx, and what its body says (message, fields) must never quote
//! a string value of the request's `auth`.

#![no_main]

use bridge_runtime::__private::decode_request;
use bridge_runtime::{
    ActionMeta, AgentSyncMeta, ContactSyncMeta, Error, InteractionData, InteractionMeta, NoData, NoMeta, Secret,
};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;

#[derive(Deserialize)]
#[allow(dead_code)]
struct Auth {
    username: String,
    password: Secret,
    subdomain: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Inputs {
    subject: String,
    description: String,
    priority: Option<bridge_runtime::Priority>,
    tags: Option<Vec<String>>,
    count: Option<u8>,
}

fuzz_target!(|input: &[u8]| {
    let Some((&kind, body)) = input.split_first() else { return };
    let Err(error) = decode(kind, body) else { return };
    assert!((400..500).contains(&error.status()), "a decoding failure is a 4xx: {error:?}");
    // What the error body says: its message and every field's path and message (that the body is JSON is the
    // `reply` module's, tested there and over HTTP).
    let text = body_text(&error);
    // The same request with every auth string replaced by a marker fails the same way; any auth value found in the
    // first body but not in the second was quoted from the request.
    let Some(masked) = mask_auth(body) else { return };
    let masked_text = decode(kind, &masked).err().map(|e| body_text(&e)).unwrap_or_default();
    for secret in auth_strings(body) {
        assert!(
            !text.contains(&secret) || masked_text.contains(&secret),
            "the error body quotes the auth value {secret:?}: {text}"
        );
    }
});

fn decode(kind: u8, body: &[u8]) -> Result<(), Error> {
    match kind % 5 {
        0 => decode_request::<Auth, NoMeta, NoData>(body).map(drop),
        1 => decode_request::<Auth, ContactSyncMeta, NoData>(body).map(drop),
        2 => decode_request::<Auth, InteractionMeta, InteractionData>(body).map(drop),
        3 => decode_request::<Auth, ActionMeta, Inputs>(body).map(drop),
        _ => decode_request::<Auth, AgentSyncMeta, NoData>(body).map(drop),
    }
}

/// Every string value of the request's `auth` longer than 3 characters.
fn auth_strings(body: &[u8]) -> Vec<String> {
    fn walk(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::String(s) if s.chars().count() > 3 => out.push(s.clone()),
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            serde_json::Value::Object(map) => map.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(serde_json::Value::Object(top)) = serde_json::from_slice::<serde_json::Value>(body) {
        if let Some(auth) = top.get("auth") {
            walk(auth, &mut out);
        }
    }
    out
}

/// The body with every string of `auth` replaced by a marker of the same type.
fn mask_auth(body: &[u8]) -> Option<Vec<u8>> {
    fn walk(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(s) => *s = "\u{1}masked".to_owned(),
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            serde_json::Value::Object(map) => map.values_mut().for_each(walk),
            _ => {}
        }
    }
    let mut top: serde_json::Value = serde_json::from_slice(body).ok()?;
    walk(top.get_mut("auth")?);
    serde_json::to_vec(&top).ok()
}

/// The text an error's JSON body carries: its message, and each offending field with its message.
fn body_text(error: &Error) -> String {
    let fields: Vec<String> = error.fields().iter().map(|f| format!("{}: {}", f.field, f.message)).collect();
    format!("{} {}", error.message(), fields.join("; "))
}
