//! Production hardening over real HTTP: request ids, deadlines, load shedding, the inbound token, graceful
//! shutdown with a request in flight.

use crate::common;

use bridge::{ActionOutcome, Auth, Bridge, Data, Error, Secret, State};
use common::{get, post, send, start};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};

#[derive(Debug, Deserialize)]
struct Credentials {
    #[allow(dead_code)]
    token: Secret,
}

#[derive(Debug, Deserialize, bridge::ActionInputs)]
struct Wait {
    /// Milliseconds
    millis: u64,
}

/// Sleeps as long as asked, then succeeds.
#[bridge::action_executor(name = "sleep")]
async fn sleep(_auth: Auth<Credentials>, Data(wait): Data<Wait>) -> Result<ActionOutcome, Error> {
    tokio::time::sleep(Duration::from_millis(wait.millis)).await;
    Ok(ActionOutcome::message("slept"))
}

/// Holds a permit of the shared gate until the test releases it: a request kept in flight on demand.
#[derive(Clone)]
struct Gate(Arc<Semaphore>);

#[bridge::action_executor(name = "hold")]
async fn hold(_auth: Auth<Credentials>, State(gate): State<Gate>) -> Result<ActionOutcome, Error> {
    let _permit = gate.0.acquire().await.map_err(|_| Error::internal("gate closed"))?;
    Ok(ActionOutcome::message("released"))
}

/// Tells the test when a request reached its handler.
#[derive(Clone)]
struct Entered(Arc<Notify>);

/// Says it has started, then sleeps as long as asked and succeeds.
#[bridge::action_executor(name = "announced_sleep")]
async fn announced_sleep(
    _auth: Auth<Credentials>,
    State(entered): State<Entered>,
    Data(wait): Data<Wait>,
) -> Result<ActionOutcome, Error> {
    entered.0.notify_one();
    tokio::time::sleep(Duration::from_millis(wait.millis)).await;
    Ok(ActionOutcome::message("slept"))
}

const AUTH: &str = r#""auth": {"token": "user-token"}"#;

fn sleep_request(millis: u64) -> String {
    format!(r#"{{{AUTH}, "data": {{"millis": {millis}}}}}"#)
}

#[tokio::test]
async fn request_ids_are_honoured_or_made_and_returned_everywhere() {
    let bridge = start(Bridge::new().endpoint(sleep {})).await;
    let client = reqwest::Client::new();
    let url = bridge.url();

    let honoured =
        send(client.post(format!("{url}/actions/sleep")).header("x-request-id", "talkdesk-42").body("{")).await;
    assert_eq!(honoured.request_id.as_deref(), Some("talkdesk-42"));
    assert_eq!(honoured.assert_json(400)["request_id"], "talkdesk-42");

    let insane = send(client.post(format!("{url}/nope")).header("x-request-id", "a b<c>")).await;
    let made = insane.request_id.clone().unwrap();
    assert_ne!(made, "a b<c>");
    assert_eq!(insane.assert_json(404)["request_id"], made.as_str());

    let ok = post(&bridge, "/actions/sleep", &sleep_request(0)).await;
    ok.assert_json(201);
    let health = get(&bridge, "/health").await;
    assert!(ok.request_id.is_some() && health.request_id.is_some());
    assert_ne!(ok.request_id, health.request_id);
}

#[tokio::test]
async fn a_handler_past_its_deadline_is_a_504() {
    let bridge = start(
        Bridge::new()
            .endpoint(sleep {})
            .deadline(Duration::from_secs(5))
            .deadline_for("/actions/sleep", Duration::from_millis(100)),
    )
    .await;
    let started = std::time::Instant::now();
    let late = post(&bridge, "/actions/sleep", &sleep_request(2_000)).await;
    assert_eq!(late.assert_json(504)["code"], "timeout");
    assert!(started.elapsed() < Duration::from_millis(1_500), "answered after {:?}", started.elapsed());
    post(&bridge, "/actions/sleep", &sleep_request(10)).await.assert_json(201);
}

#[tokio::test]
async fn past_the_in_flight_bound_requests_get_503_with_retry_after() {
    let gate = Gate(Arc::new(Semaphore::new(0)));
    let bridge = Arc::new(start(Bridge::new().endpoint(hold {}).state(gate.clone()).max_in_flight(2)).await);
    let body = format!("{{{AUTH}}}");
    let held: Vec<_> = (0..2)
        .map(|_| {
            let (bridge, body) = (Arc::clone(&bridge), body.clone());
            tokio::spawn(async move { post(&bridge, "/actions/hold", &body).await })
        })
        .collect();
    // Wait until both are in flight (holding the gate), then one more is shed at once.
    for _ in 0..200 {
        if bridge_in_flight_is_saturated(&bridge).await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let shed = post(&bridge, "/actions/hold", &body).await;
    assert_eq!(shed.assert_json(503)["code"], "overloaded");
    assert_eq!(shed.retry_after.as_deref(), Some("1"));
    gate.0.add_permits(2);
    for request in held {
        request.await.unwrap().assert_json(201);
    }
    post(&bridge, "/actions/hold", &body).await.assert_json(201);
}

/// Whether a probe is refused: the probe itself is a `/health` request, which takes a slot like any other.
async fn bridge_in_flight_is_saturated(bridge: &bridge::RunningBridge) -> bool {
    get(bridge, "/health").await.status == 503
}

#[tokio::test]
async fn the_inbound_token_guards_every_endpoint_but_health() {
    let bridge = start(Bridge::new().endpoint(sleep {}).inbound_token(Secret::new("bridge-token"))).await;
    let client = reqwest::Client::new();
    let url = format!("{}/actions/sleep", bridge.url());
    let body = sleep_request(0);
    let json = |r: reqwest::RequestBuilder| r.header("content-type", "application/json").body(body.clone());

    let by_header = send(json(client.post(&url).bearer_auth("bridge-token"))).await;
    by_header.assert_json(201);
    let by_query = send(json(client.post(format!("{url}?token=bridge-token")))).await;
    by_query.assert_json(201);
    let missing = send(json(client.post(&url))).await;
    assert_eq!(missing.assert_json(403)["code"], "forbidden");
    let wrong = send(json(client.post(&url).bearer_auth("bridge-tokem"))).await;
    wrong.assert_json(403);
    let wrong_query = send(json(client.post(format!("{url}?token=nope")))).await;
    wrong_query.assert_json(403);
    assert!(!wrong.text.contains("bridge-tok"), "{}", wrong.text);
    let health = get(&bridge, "/health").await;
    health.assert_json(200);
}

#[tokio::test]
async fn shutdown_lets_a_request_in_flight_complete() {
    let entered = Entered(Arc::new(Notify::new()));
    let bridge = start(Bridge::new().endpoint(announced_sleep {}).state(entered.clone())).await;
    let url = bridge.url();
    let in_flight = tokio::spawn(send(
        reqwest::Client::new()
            .post(format!("{url}/actions/announced_sleep"))
            .header("content-type", "application/json")
            .body(sleep_request(300)),
    ));
    entered.0.notified().await; // the handler runs: the request is in flight
    let stopped = tokio::spawn(bridge.shutdown());
    in_flight.await.unwrap().assert_json(201);
    stopped.await.unwrap();
    assert!(reqwest::Client::new().get(format!("{url}/health")).send().await.is_err(), "still accepting");
}

/// Sends `head` (a request's head, without its final blank line) on a raw connection and reads the whole answer.
async fn raw_exchange(url: &str, head: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(url.trim_start_matches("http://")).await.unwrap();
    let request = format!("{head}\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{{}}");
    // The server may answer and close before reading everything: a write error is not the test's concern.
    let _ = stream.write_all(request.as_bytes()).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_head_past_the_limit_is_a_431() {
    let bridge = start(Bridge::new().endpoint(sleep {})).await;
    let url = bridge.url();
    let head = |filler: usize| format!("POST /actions/sleep HTTP/1.1\r\nhost: x\r\nx-filler: {}", "a".repeat(filler));

    // 100 KiB of headers (the default limit is 64 KiB): the gate answers, in JSON.
    let answer = raw_exchange(&url, &head(100 * 1024)).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{}", &answer[..answer.len().min(200)]);
    assert!(answer.contains(r#""code":"headers_too_large""#), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("x-request-id"), "{answer}");

    // Past twice the limit, the connection's buffer is full: hyper answers 431 itself, before any request exists.
    let answer = raw_exchange(&url, &head(200 * 1024)).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{}", &answer[..answer.len().min(200)]);

    // Under the limit, served as usual.
    let answer = raw_exchange(&url, &format!("{}\r\ncontent-type: application/json", head(32 * 1024))).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{}", &answer[..answer.len().min(200)]);
    // `{}` lacks `auth`
}

#[tokio::test]
async fn the_head_limit_holds_in_process_and_can_be_set() {
    let client = bridge::testing::TestClient::new(Bridge::new().endpoint(sleep {}).max_header_bytes(1024)).unwrap();
    let refused =
        client.action("sleep").auth(serde_json::json!({"token": "t"})).header("x-big", &"b".repeat(2000)).send().await;
    refused.assert_status(431);
    assert_eq!(refused.raw_json().unwrap()["code"], "headers_too_large");
    let fine = client
        .action("sleep")
        .auth(serde_json::json!({"token": "t"}))
        .data(serde_json::json!({"millis": 0}))
        .send()
        .await;
    fine.assert_status(201);
}
