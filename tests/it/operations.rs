//! What the people who run a bridge rely on, over real HTTP: `GET /metrics` (parsed as Prometheus parses it) counts
//! each request, refusal, shed request, deadline expiry, contact page and external call; a W3C `traceparent` sent to
//! the bridge reaches the (fake) Zendesk on every call the request makes; `GET /ready` answers beside `/health`.

use crate::zendesk_example as example;

use crate::common;

use bridge::http::BaseUrl;
use bridge::{Auth, Bridge, ContactPage, ContactSyncMeta, Error, Interaction, InteractionData, InteractionMeta};
use common::{get, post, start};
use example::fake::{Fake, Fault, RunningFake, ADMIN_EMAIL, API_TOKEN, FIRST_END_USER};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// One sample of the exposition: `name{label="value",…} value`.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses the text exposition format (the OpenMetrics flavour the bridge serves), strictly: every line is a
/// comment, `# EOF` (last) or a well-formed sample.
fn parse(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.last(), Some(&"# EOF"), "the exposition ends with # EOF");
    for line in lines {
        if line.starts_with('#') {
            assert!(line.starts_with("# HELP ") || line.starts_with("# TYPE ") || line == "# EOF", "{line}");
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line}"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("bad value: {line}")),
        };
        let (name, labels) = match series.split_once('{') {
            None => (series, BTreeMap::new()),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').unwrap_or_else(|| panic!("unclosed labels: {line}"));
                let mut labels = BTreeMap::new();
                for pair in body.split("\",").filter(|p| !p.is_empty()) {
                    let (key, value) = pair.split_once("=\"").unwrap_or_else(|| panic!("bad label: {line}"));
                    labels.insert(key.to_owned(), value.trim_end_matches('"').to_owned());
                }
                (name, labels)
            }
        };
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'), "{line}");
        samples.push(Sample { name: name.to_owned(), labels, value });
    }
    samples
}

/// The value of the one sample named `name` whose labels include `labels`.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.name == name && labels.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v)))
        .collect();
    assert_eq!(found.len(), 1, "{name} {labels:?}: {found:?}");
    found[0].value
}

async fn metrics(bridge: &bridge::RunningBridge) -> Vec<Sample> {
    let answer = get(bridge, "/metrics").await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(answer.content_type.as_deref().unwrap_or("").starts_with("application/openmetrics-text"));
    parse(&answer.text)
}

// --- A bridge of our own: a slow endpoint (deadline, shedding) and a contact page of a known size -------------------

#[derive(Debug, Deserialize)]
struct Credentials {
    #[allow(dead_code)]
    user: String,
}

#[bridge::interaction_retriever]
async fn slow(
    _auth: Auth<Credentials>,
    _meta: InteractionMeta,
    data: InteractionData,
) -> Result<Vec<Interaction>, Error> {
    let millis: u64 = data.contact_external_id.and_then(|id| id.parse().ok()).unwrap_or(0);
    tokio::time::sleep(Duration::from_millis(millis)).await;
    Ok(Vec::new())
}

#[bridge::contact_retriever]
async fn seven(_auth: Auth<Credentials>, _meta: ContactSyncMeta) -> Result<ContactPage, Error> {
    let contacts = (1..=7).map(|i| bridge::Contact::new(i.to_string(), format!("Contact {i}"))).collect();
    Ok(ContactPage::new(contacts, "2024-01-31 09:30:00 UTC"))
}

fn lookup(millis: u64) -> String {
    json!({"auth": {"user": "u"}, "meta": {"interaction_types": ["case"]}, "data": {"contact_external_id": millis.to_string()}})
        .to_string()
}

#[tokio::test]
async fn metrics_count_answers_refusals_shedding_deadlines_and_contact_pages() {
    let bridge = start(
        Bridge::new()
            .endpoint(slow {})
            .endpoint(seven {})
            .max_in_flight(1)
            .deadline_for("/interaction_update", Duration::from_millis(1_000)),
    )
    .await;
    let before = metrics(&bridge).await;
    // Registered when the bridge is built: the series are there, at zero, before any request.
    assert_eq!(value(&before, "bridge_requests_total", &[("endpoint", "/interaction_update"), ("code", "ok")]), 0.0);
    assert_eq!(value(&before, "bridge_requests_in_flight", &[("endpoint", "/contact_sync")]), 0.0);

    for _ in 0..3 {
        assert_eq!(post(&bridge, "/interaction_update", &lookup(0)).await.status, 200);
    }
    assert_eq!(post(&bridge, "/contact_sync", r#"{"auth": {"user": "u"}}"#).await.status, 200);
    assert_eq!(post(&bridge, "/contact_sync", r#"{"auth": {"user": "u"}}"#).await.status, 200);
    assert_eq!(post(&bridge, "/contact_sync", r#"{"auth": {}}"#).await.status, 400);
    assert_eq!(post(&bridge, "/contact_sync", "{").await.status, 400);
    assert_eq!(post(&bridge, "/interaction_update", &lookup(2_000)).await.status, 504);
    assert_eq!(get(&bridge, "/no/such/path/4711").await.status, 404);
    // One request holds the only slot; the next is shed.
    let url = bridge.url();
    let holder = tokio::spawn(async move {
        reqwest::Client::new()
            .post(format!("{url}/interaction_update"))
            .header("content-type", "application/json")
            .body(lookup(400))
            .send()
            .await
            .unwrap()
            .status()
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(post(&bridge, "/interaction_update", &lookup(0)).await.status, 503);
    assert_eq!(holder.await.unwrap(), 200);

    let after = metrics(&bridge).await;
    let requests = |endpoint, status, code| {
        value(&after, "bridge_requests_total", &[("endpoint", endpoint), ("status", status), ("code", code)])
    };
    assert_eq!(requests("/interaction_update", "2xx", "ok"), 4.0);
    assert_eq!(requests("/interaction_update", "5xx", "timeout"), 1.0);
    assert_eq!(requests("/interaction_update", "5xx", "overloaded"), 1.0);
    assert_eq!(requests("/contact_sync", "2xx", "ok"), 2.0);
    assert_eq!(requests("/contact_sync", "4xx", "invalid_input"), 1.0);
    assert_eq!(requests("/contact_sync", "4xx", "malformed_json"), 1.0);
    assert_eq!(requests("other", "4xx", "not_found"), 1.0);
    assert_eq!(value(&after, "bridge_requests_shed_total", &[("endpoint", "/interaction_update")]), 1.0);
    assert_eq!(value(&after, "bridge_requests_shed_total", &[("endpoint", "/contact_sync")]), 0.0);
    assert_eq!(value(&after, "bridge_deadline_expired_total", &[("endpoint", "/interaction_update")]), 1.0);
    assert_eq!(value(&after, "bridge_requests_in_flight", &[("endpoint", "/interaction_update")]), 0.0);
    // The latency histogram: 5 timed lookups (the shed one is not): 3 fast ones, the holder (400 ms) in the 0.5 s
    // bucket, the 504 (at the 1 s deadline) in the 2 s one.
    let latency = |le| {
        value(&after, "bridge_request_duration_seconds_bucket", &[("endpoint", "/interaction_update"), ("le", le)])
    };
    assert_eq!(latency("0.25"), 3.0);
    assert_eq!(latency("0.5"), 4.0);
    assert_eq!(latency("1.0"), 4.0);
    assert_eq!(latency("2.0"), 5.0);
    assert_eq!(latency("+Inf"), 5.0);
    assert_eq!(value(&after, "bridge_request_duration_seconds_count", &[("endpoint", "/interaction_update")]), 5.0);
    // Two pages of seven contacts.
    assert_eq!(value(&after, "bridge_contact_sync_page_contacts_count", &[("endpoint", "/contact_sync")]), 2.0);
    assert_eq!(value(&after, "bridge_contact_sync_page_contacts_sum", &[("endpoint", "/contact_sync")]), 14.0);
    assert_eq!(
        value(&after, "bridge_contact_sync_page_contacts_bucket", &[("endpoint", "/contact_sync"), ("le", "1.0")]),
        0.0
    );
    assert_eq!(
        value(&after, "bridge_contact_sync_page_contacts_bucket", &[("endpoint", "/contact_sync"), ("le", "10.0")]),
        2.0
    );
    // No label carries an unknown path.
    assert!(after.iter().all(|s| s.labels.values().all(|v| !v.contains("4711"))));
    bridge.shutdown().await;
}

#[tokio::test]
async fn metrics_and_ready_need_no_endpoint_and_ready_answers_without_the_token() {
    let bridge = start(Bridge::new().endpoint(seven {}).inbound_token(bridge::Secret::new("t0ken"))).await;
    assert_eq!(get(&bridge, "/ready").await.assert_json(200), json!({"status": "ready"}));
    assert_eq!(get(&bridge, "/health").await.status, 200);
    // The metrics are behind the inbound token on the bridge's own port.
    assert_eq!(get(&bridge, "/metrics").await.status, 403);
    let answer =
        common::send(reqwest::Client::new().get(format!("{}/metrics", bridge.url())).bearer_auth("t0ken")).await;
    assert_eq!(answer.status, 200);
    parse(&answer.text);
    bridge.shutdown().await;
}

// --- The Zendesk example: external calls, and the trace context --------------------------------------------------

async fn zendesk(fake: &Fake) -> (RunningFake, bridge::RunningBridge) {
    let server = fake.start().await.expect("the fake Zendesk starts");
    let config =
        example::Config { base_url: Some(BaseUrl::parse(&server.url()).unwrap()), ..crate::zendesk::test_config() };
    let bridge = start(example::bridge(config).expect("the bridge builds")).await;
    (server, bridge)
}

fn auth() -> Value {
    json!({"account": "acme", "email": ADMIN_EMAIL, "token": API_TOKEN})
}

#[tokio::test]
async fn metrics_count_external_calls_retries_and_waits() {
    let fake = Fake::sample(3);
    let (_server, bridge) = zendesk(&fake).await;
    let lookup = json!({"auth": auth(), "meta": {"interaction_types": ["ticket"]},
        "data": {"contact_external_id": FIRST_END_USER.to_string()}});
    assert_eq!(post(&bridge, "/interaction_update", &lookup.to_string()).await.status, 200);
    let first_calls = fake.requests().len();
    assert!(first_calls >= 1);
    fake.inject(Fault::Unavailable); // one 503, retried after a back-off
                                     // Another contact: the example caches its lookups, and the same one again would make no call.
    let another = json!({"auth": auth(), "meta": {"interaction_types": ["ticket"]},
        "data": {"contact_external_id": (FIRST_END_USER + 1).to_string()}});
    assert_eq!(post(&bridge, "/interaction_update", &another.to_string()).await.status, 200);
    let calls = fake.requests().len();

    let after = metrics(&bridge).await;
    let answered = value(&after, "bridge_upstream_calls_total", &[("service", "Zendesk"), ("status", "200")]);
    // Every request the fake saw was one attempt of a call; one of them was the 503, retried within its call.
    assert_eq!(answered as usize, calls - 1, "{calls} requests reached the fake");
    assert_eq!(value(&after, "bridge_upstream_retries_total", &[("service", "Zendesk")]), 1.0);
    assert!(value(&after, "bridge_upstream_backoff_seconds_total", &[("service", "Zendesk")]) > 0.0);
    assert_eq!(
        value(&after, "bridge_upstream_call_duration_seconds_count", &[("service", "Zendesk")]),
        answered,
        "one latency observation per call"
    );
    // No label carries the tenant, a credential or a contact's data.
    let text = get(&bridge, "/metrics").await.text;
    for secret in [API_TOKEN, ADMIN_EMAIL, "acme"] {
        assert!(!text.contains(secret), "{secret} in\n{text}");
    }
    bridge.shutdown().await;
}

#[tokio::test]
async fn a_traceparent_reaches_zendesk_on_every_call_a_request_makes() {
    const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let fake = Fake::sample(60);
    let (_server, bridge) = zendesk(&fake).await;
    let traced = |path: &str, body: Value| {
        reqwest::Client::new()
            .post(format!("{}{path}", bridge.url()))
            .header("content-type", "application/json")
            .header("traceparent", TRACEPARENT)
            .body(body.to_string())
    };
    let requests = [
        ("/auth_validation", json!({"auth": auth()})),
        ("/contact_sync", json!({"auth": auth()})),
        (
            "/interaction_update",
            json!({"auth": auth(), "meta": {"interaction_types": ["ticket"]},
            "data": {"contact_external_id": FIRST_END_USER.to_string(), "contact_emails": ["nobody@example.com"]}}),
        ),
    ];
    for (path, body) in &requests {
        let seen = fake.requests().len();
        let answer = common::send(traced(path, body.clone())).await;
        assert!(answer.status < 300, "{path}: {}", answer.text);
        let calls = &fake.requests()[seen..];
        assert!(!calls.is_empty(), "{path} made no call");
        for call in calls {
            assert_eq!(call.header("traceparent"), Some(TRACEPARENT), "{path} → {} {}", call.method, call.path);
        }
    }
    // Without one (or with an invalid one), nothing is invented.
    let seen = fake.requests().len();
    let bad = reqwest::Client::new()
        .post(format!("{}/auth_validation", bridge.url()))
        .header("content-type", "application/json")
        .header("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01")
        .body(json!({"auth": auth()}).to_string());
    assert_eq!(common::send(bad).await.status, 204);
    assert_eq!(post(&bridge, "/auth_validation", &json!({"auth": auth()}).to_string()).await.status, 204);
    assert!(fake.requests()[seen..].iter().all(|call| call.header("traceparent").is_none()));
    bridge.shutdown().await;
}

// --- A call made in a task the handler spawns, carried by `in_this_request` -------------------------------------

/// The Zendesk fake's URL, and a client whose calls are counted as `service="Spawned"`.
#[derive(Clone)]
struct Upstream {
    url: bridge::http::Url,
    client: bridge::http::Client,
}

#[bridge::auth_validator]
async fn spawns_its_call(_auth: Auth<Value>, bridge::State(upstream): bridge::State<Upstream>) -> Result<(), Error> {
    let call = upstream.client.get(upstream.url.clone()).send();
    // The fake answers whatever it answers (a 401 without credentials): the call is what is looked at.
    let _ = tokio::spawn(bridge::http::in_this_request(call)).await.expect("the spawned task ran");
    Ok(())
}

#[tokio::test]
async fn a_call_in_a_task_carried_by_in_this_request_is_counted_and_traced() {
    const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let fake = Fake::sample(1);
    let server = fake.start().await.expect("the fake Zendesk starts");
    let upstream = Upstream {
        url: bridge::http::Url::parse(&format!("{}/api/v2/users/me.json", server.url())).unwrap(),
        client: bridge::http::Client::builder().service_name("Spawned").max_retries(0).build().unwrap(),
    };
    let bridge = start(Bridge::new().state(upstream).endpoint(spawns_its_call {})).await;
    let request = reqwest::Client::new()
        .post(format!("{}/auth_validation", bridge.url()))
        .header("content-type", "application/json")
        .header("traceparent", TRACEPARENT)
        .body(json!({"auth": {}}).to_string());
    assert_eq!(common::send(request).await.status, 204);
    let calls = fake.requests();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].header("traceparent"), Some(TRACEPARENT), "the spawned call carries the trace on");
    let counted: f64 = metrics(&bridge)
        .await
        .iter()
        .filter(|s| {
            s.name == "bridge_upstream_calls_total" && s.labels.get("service").map(String::as_str) == Some("Spawned")
        })
        .map(|s| s.value)
        .sum();
    assert_eq!(counted, 1.0, "the spawned call counts in /metrics");
    bridge.shutdown().await;
}
