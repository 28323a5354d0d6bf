//! Random JSON thrown at every endpoint of the minimal example over real HTTP: every answer is a 2xx or a 4xx with
//! a JSON content type, never a 5xx (a 5xx would mean the framework failed on input it should have refused).

use crate::minimal;

use crate::common;

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::sync::{Arc, Mutex, OnceLock};

const PATHS: [&str; 5] =
    ["/auth_validation", "/contact_sync", "/interaction_update", "/actions/create_ticket", "/agent_sync"];

/// One bridge and one runtime for every case.
fn bridge() -> &'static (tokio::runtime::Runtime, bridge::RunningBridge) {
    static BRIDGE: OnceLock<(tokio::runtime::Runtime, bridge::RunningBridge)> = OnceLock::new();
    BRIDGE.get_or_init(|| {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let store = Arc::new(Mutex::new(minimal::Service::sample(30)));
        let running = runtime.block_on(common::start(minimal::bridge(store)));
        (runtime, running)
    })
}

fn check(path: &str, body: Vec<u8>) -> Result<(), TestCaseError> {
    let (runtime, running) = bridge();
    let answer = runtime.block_on(common::send(
        reqwest::Client::new()
            .post(format!("{}{path}", running.url()))
            .header("content-type", "application/json")
            .body(body.clone()),
    ));
    prop_assert!(
        answer.status < 500,
        "{path} answered {} to {:?}: {}",
        answer.status,
        String::from_utf8_lossy(&body),
        answer.text
    );
    prop_assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    if answer.status != 204 {
        prop_assert!(serde_json::from_str::<Value>(&answer.text).is_ok(), "not JSON: {}", answer.text);
    }
    Ok(())
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "[a-z0-9 _:.+-]{0,12}".prop_map(Value::from),
        Just(Value::from("2012-11-20 23:01:00 UTC")),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(key(), inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Keys that the endpoints know, mixed with others, so that random values land on real fields.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "username",
            "password",
            "offset",
            "synchronization_checkpoint",
            "context",
            "interaction_types",
            "contact_external_id",
            "contact_emails",
            "contact_phones",
            "agent_external_id",
            "subject",
            "description",
            "priority",
        ])
        .prop_map(str::to_owned),
        "[a-z]{1,8}",
    ]
}

/// A JSON object of random fields.
fn section() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(key(), any_json(), 0..6)
        .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>()))
}

/// An envelope whose sections are random, or random fields over valid credentials.
fn envelope() -> impl Strategy<Value = Value> {
    let auth =
        prop_oneof![Just(json!({"username": "john.doe@example.com", "password": "605b32dd"})), any_json(), section(),];
    (auth, any_json(), section(), section())
        .prop_map(|(auth, noise, meta, data)| json!({"auth": auth, "meta": meta, "data": data, "extra": noise}))
}

/// Any JSON value but an object or `null`: what no section may be.
fn not_an_object() -> impl Strategy<Value = Value> {
    any_json().prop_filter("not an object or null", |v| !v.is_object() && !v.is_null())
}

/// A request whose `section` is `value`, the others valid, is a `400` that names the section.
fn check_section_refused(path: &str, section: &str, value: Value) -> Result<(), TestCaseError> {
    let mut body =
        json!({"auth": {"username": "john.doe@example.com", "password": "605b32dd"}, "meta": {}, "data": {}});
    body[section] = value;
    let (runtime, running) = bridge();
    let answer = runtime.block_on(common::post(running, path, &body.to_string()));
    prop_assert_eq!(answer.status, 400, "{} answered {} to {}: {}", path, answer.status, body, answer.text);
    prop_assert!(answer.fields().contains(&section.to_owned()), "{}", answer.text);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_section_that_is_not_an_object_is_a_400_naming_it(
        path in prop::sample::select(PATHS.to_vec()),
        section in prop::sample::select(vec!["auth", "meta", "data"]),
        value in not_an_object(),
    ) {
        check_section_refused(path, section, value)?;
    }

    #[test]
    fn random_envelopes_never_get_a_5xx(path in prop::sample::select(PATHS.to_vec()), body in envelope()) {
        check(path, serde_json::to_vec(&body).unwrap())?;
    }

    #[test]
    fn random_json_documents_never_get_a_5xx(path in prop::sample::select(PATHS.to_vec()), body in any_json()) {
        check(path, serde_json::to_vec(&body).unwrap())?;
    }

    #[test]
    fn random_bytes_never_get_a_5xx(path in prop::sample::select(PATHS.to_vec()), body in prop::collection::vec(any::<u8>(), 0..256)) {
        check(path, body)?;
    }
}
