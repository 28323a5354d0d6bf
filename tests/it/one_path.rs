//! One request path: a bridge answers through the same gate whoever delivers its requests — the in-process test
//! client, axum (mounted under a prefix with `nest_service`), warp (`into_warp_filter`) or a plain hyper server — so request ids, load
//! shedding and the inbound token hold everywhere, and the Talkdesk simulator passes through each.

use crate::minimal;

use bridge::testing::{ActionProbe, Simulator, TestClient};
use bridge::{ActionOutcome, Auth, Bridge, Error, Secret, State};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

fn minimal_bridge() -> Bridge {
    minimal::bridge(Arc::new(Mutex::new(minimal::Service::sample(25))))
}

fn minimal_auth() -> Value {
    json!({"username": "john.doe@example.com", "password": "605b32dd"})
}

fn ticket() -> ActionProbe {
    ActionProbe::new("create_ticket")
        .contact_external_id("1")
        .data(json!({"subject": "Call missed in Talkdesk", "description": "A call from Jane Doe was missed."}))
}

/// Holds a permit of the shared semaphore until the test adds one: a request kept in flight on demand.
#[derive(Clone)]
struct Held(Arc<Semaphore>);

#[bridge::action_executor(name = "hold")]
async fn hold(_auth: Auth<Value>, State(held): State<Held>) -> Result<ActionOutcome, Error> {
    let _permit = held.0.acquire().await.map_err(|_| Error::internal("closed"))?;
    Ok(ActionOutcome::message("released"))
}

#[tokio::test]
async fn in_process_requests_get_request_ids_in_headers_and_error_bodies() {
    let client = TestClient::new(minimal_bridge()).unwrap();
    let answer = client.contact_sync().auth(minimal_auth()).send().await;
    answer.assert_status(200);
    assert_eq!(answer.header("x-request-id").map(str::len), Some(16), "a fresh id");

    let refused = client.contact_sync().auth(json!({"username": 1})).header("x-request-id", "talkdesk-7").send().await;
    refused.assert_status(400);
    assert_eq!(refused.header("x-request-id"), Some("talkdesk-7"));
    assert_eq!(refused.raw_json().unwrap()["request_id"], "talkdesk-7");

    let unknown = client.post("/nope").raw_body("{}").send().await;
    unknown.assert_status(404);
    assert_eq!(unknown.raw_json().unwrap()["request_id"].as_str(), unknown.header("x-request-id"));
}

#[tokio::test]
async fn in_process_requests_past_the_in_flight_bound_are_shed() {
    let held = Held(Arc::new(Semaphore::new(0)));
    let bridge = Bridge::new().endpoint(hold {}).state(held.clone()).max_in_flight(1);
    let client = TestClient::new(bridge).unwrap();
    let first = {
        let client = client.clone();
        tokio::spawn(async move { client.action("hold").auth(json!({})).send().await })
    };
    // The first request is in flight once its handler waits on the semaphore; until then a probe may pass.
    let mut shed = None;
    for _ in 0..500 {
        let probe = client.get("/health").send().await;
        if probe.status() == 503 {
            shed = Some(probe);
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let shed = shed.expect("a second request is shed while the first is in flight");
    assert_eq!(shed.raw_json().unwrap()["code"], "overloaded");
    assert_eq!(shed.header("retry-after"), Some("1"));
    held.0.add_permits(1);
    first.await.unwrap().assert_status(201);
    client.get("/health").send().await.assert_status(200);
}

#[tokio::test]
async fn in_process_requests_need_the_inbound_token() {
    let client = TestClient::new(minimal_bridge().inbound_token(Secret::new("bridge-token"))).unwrap();
    let refused = client.contact_sync().auth(minimal_auth()).send().await;
    refused.assert_status(403);
    assert_eq!(refused.raw_json().unwrap()["code"], "forbidden");
    client
        .contact_sync()
        .auth(minimal_auth())
        .header("authorization", "Bearer bridge-token")
        .send()
        .await
        .assert_status(200);
    client.get("/health").send().await.assert_status(200);
}

/// Serves `app` on a free loopback port, in the background.
async fn serve_axum(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test]
async fn mounted_in_axum_under_a_prefix_the_simulator_passes() {
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { "the host application" }))
        .nest_service("/talkdesk", minimal_bridge().into_service().unwrap());
    let url = serve_axum(app).await;

    let report =
        Simulator::new(TestClient::http(format!("{url}/talkdesk")), minimal_auth()).action(ticket()).run().await;
    report.assert_passes();

    // The host's own routes still answer, and the bridge's gate runs under the prefix.
    let host = reqwest::get(format!("{url}/")).await.unwrap();
    assert_eq!(host.text().await.unwrap(), "the host application");
    let health = reqwest::get(format!("{url}/talkdesk/health")).await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(health.headers().contains_key("x-request-id"));
    let outside = reqwest::Client::new().post(format!("{url}/contact_sync")).body("{}").send().await.unwrap();
    assert_eq!(outside.status(), 404, "the bridge answers under its prefix only");
}

#[tokio::test]
async fn mounted_in_axum_it_can_be_tested_in_process() {
    let app = axum::Router::new().nest_service("/talkdesk", minimal_bridge().into_service().unwrap());
    let client = TestClient::from_service(app);
    let answer =
        client.post("/talkdesk/contact_sync").raw_body(json!({"auth": minimal_auth()}).to_string()).send().await;
    answer.assert_status(200);
    assert!(answer.header("x-request-id").is_some());
}

#[tokio::test]
async fn served_by_plain_hyper_the_simulator_passes() {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let service = minimal_bridge().into_service().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let service = service.clone();
            tokio::spawn(async move {
                // `BridgeService` is a hyper service as it is.
                let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                let _ = builder.serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    let report = Simulator::new(TestClient::http(&url), minimal_auth()).action(ticket()).run().await;
    report.assert_passes();
}

#[tokio::test]
async fn mounted_in_warp_under_a_prefix_the_simulator_passes() {
    use warp::Filter;
    let talkdesk = warp::path("talkdesk").and(minimal_bridge().into_service().unwrap().into_warp_filter());
    let app = warp::path("hello").map(|| "the host application").or(talkdesk);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(warp::serve(app).incoming(listener).run());

    let report =
        Simulator::new(TestClient::http(format!("{url}/talkdesk")), minimal_auth()).action(ticket()).run().await;
    report.assert_passes();
    let host = reqwest::get(format!("{url}/hello")).await.unwrap();
    assert_eq!(host.text().await.unwrap(), "the host application");
    let refused = reqwest::Client::new().post(format!("{url}/talkdesk/nope?x=1")).body("{}").send().await.unwrap();
    assert_eq!(refused.status(), 404);
    assert!(refused.headers().contains_key("x-request-id"), "the bridge's gate answered");
}
