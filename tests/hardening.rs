//! Production hardening over real HTTP: request ids, deadlines, load shedding, the inbound token, graceful
//! shutdown with a request in flight.

mod common;

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
