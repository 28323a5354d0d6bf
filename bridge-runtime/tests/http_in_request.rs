//! The `http` client inside a request, against fakes on 127.0.0.1: calls inherit the request's deadline (less a
//! margin), so the bridge answers `504` with the call's reason before its own deadline, and no retry is started
//! that cannot finish; the service's own error messages and field errors reach the bridge's answer, made safe.

use bridge::http::{Backoff, BaseUrl, Client};
use bridge::testing::TestClient;
use bridge::{ActionMeta, ActionOutcome, Auth, Bridge, Data, Error, Interaction, InteractionData, Secret, State};
use serde::Deserialize;
use serde_json::{json, Value};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use warp::Filter;

/// A fake service: `GET /slow` answers after 5 s, `GET /busy` answers `503` after 1 s, `GET /quick` at once;
/// `POST /contacts` refuses the contact as Freshdesk does, quoting the API key it was given. Counts the `GET`s.
async fn fake() -> (BaseUrl, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let refuse = warp::post().and(warp::path!("contacts")).and(warp::header::<String>("authorization")).map(
        |authorization: String| {
            use base64::Engine as _;
            let encoded = authorization.trim_start_matches("Basic ");
            let pair = base64::engine::general_purpose::STANDARD.decode(encoded).unwrap();
            let key = String::from_utf8(pair).unwrap().split(':').next().unwrap().to_owned();
            let body = json!({"description": "Validation failed", "errors": [
                {"field": "email", "message": format!("It should be a valid email address (for key {key})"),
                 "code": "invalid_value"},
                {"field": "job_title", "message": "It should be a string", "code": "datatype_mismatch"}]});
            warp::reply::with_status(warp::reply::json(&body), warp::http::StatusCode::BAD_REQUEST)
        },
    );
    let routes = refuse.or(warp::path::param::<String>().then(move |what: String| {
        let counted = counted.clone();
        async move {
            counted.fetch_add(1, Ordering::SeqCst);
            let (status, delay) = match what.as_str() {
                "slow" => (200, Duration::from_secs(5)),
                "busy" => (503, Duration::from_secs(1)),
                _ => (200, Duration::ZERO),
            };
            tokio::time::sleep(delay).await;
            let status = warp::http::StatusCode::from_u16(status).unwrap();
            Ok::<_, Infallible>(warp::reply::with_status(warp::reply::json(&json!([])), status))
        }
    }));
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(warp::serve(routes).incoming(listener).run());
    (BaseUrl::parse(&format!("http://{addr}/")).unwrap(), hits)
}

/// Where the handler calls, and with what deadline of its own, if any.
#[derive(Clone)]
struct Target {
    base: BaseUrl,
    path: &'static str,
    own_deadline: Option<Duration>,
}

#[bridge::interaction_retriever]
async fn lookup(
    _auth: Auth<Value>,
    _data: InteractionData,
    State(client): State<Client>,
    State(target): State<Target>,
) -> Result<Vec<Interaction>, Error> {
    let mut call = client.get(target.base.join([target.path])?);
    if let Some(own) = target.own_deadline {
        call = call.deadline(Instant::now() + own);
    }
    call.send().await?;
    Ok(Vec::new())
}

/// A bridge whose interaction endpoint has `deadline`, calling `path` of the fake.
fn bridge(base: &BaseUrl, path: &'static str, deadline: Duration, own_deadline: Option<Duration>) -> TestClient {
    let client = Client::builder()
        .service_name("Fakedesk")
        .timeout(Duration::from_secs(30))
        .max_retries(5)
        .backoff(Backoff::new(Duration::from_millis(20), Duration::from_millis(40)))
        .request_margin(Duration::from_millis(300))
        .build()
        .unwrap();
    let target = Target { base: base.clone(), path, own_deadline };
    TestClient::new(Bridge::new().deadline(deadline).state(client).state(target).endpoint(lookup {})).unwrap()
}

async fn ask(client: &TestClient) -> (u16, String, Duration) {
    let started = Instant::now();
    let response = client
        .interaction_retrieval()
        .auth(json!({"token": "t"}))
        .interaction_types(["case"])
        .contact_external_id("1")
        .send()
        .await;
    let took = started.elapsed();
    (response.status().as_u16(), response.error_message().unwrap_or_default(), took)
}

#[tokio::test]
async fn a_slow_service_is_a_504_with_its_reason_before_the_request_deadline() {
    let (base, hits) = fake().await;
    // Deadline 3 s, margin 300 ms (at most a tenth): the call gives up at 2.7 s, not after the service's 5 s, and
    // the bridge answers with the call's reason before its own deadline would answer for it.
    let (status, message, took) = ask(&bridge(&base, "slow", Duration::from_secs(3), None)).await;
    assert_eq!(status, 504, "{message}");
    assert_eq!(message, "the request's deadline passed before Fakedesk answered");
    assert!(took >= Duration::from_millis(2650), "gave up early: {took:?}");
    assert!(took < Duration::from_secs(3), "not before the request's deadline: {took:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_call_may_shorten_the_deadline_never_extend_it() {
    let (base, _) = fake().await;
    let (status, message, took) =
        ask(&bridge(&base, "slow", Duration::from_secs(3), Some(Duration::from_millis(200)))).await;
    assert_eq!(status, 504);
    assert_eq!(message, "the call's deadline passed before Fakedesk answered");
    assert!(took >= Duration::from_millis(200) && took < Duration::from_millis(1500), "{took:?}");

    let (status, message, took) =
        ask(&bridge(&base, "slow", Duration::from_secs(3), Some(Duration::from_secs(60)))).await;
    assert_eq!(status, 504);
    assert_eq!(message, "the request's deadline passed before Fakedesk answered");
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test]
async fn no_retry_is_started_that_cannot_finish() {
    let (base, hits) = fake().await;
    // Each 503 takes 1 s; the call has 2.7 s: two attempts and a short wait fit (about 2.04 s), a third attempt
    // would end near 3.1 s, past the call's deadline, so it is not started.
    let (status, message, took) = ask(&bridge(&base, "busy", Duration::from_secs(3), None)).await;
    assert_eq!(status, 502, "{message}");
    assert!(message.starts_with("Fakedesk is unavailable (503 Service Unavailable), and waiting"), "{message}");
    assert!(message.ends_with("would run past the request's deadline"), "{message}");
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    assert!(took < Duration::from_millis(2700), "{took:?}");
}

#[tokio::test]
async fn calls_outside_a_request_keep_no_deadline_but_their_own() {
    let (base, _) = fake().await;
    let client = Client::builder().service_name("Fakedesk").build().unwrap();
    // Quick calls inside a generous request are untouched by the margin.
    let (status, _, _) = ask(&bridge(&base, "quick", Duration::from_secs(5), None)).await;
    assert_eq!(status, 200);
    let started = Instant::now();
    let err = client
        .get(base.join(["slow"]).unwrap())
        .deadline(Instant::now() + Duration::from_millis(300))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.message(), "the call's deadline passed before Fakedesk answered");
    assert!(started.elapsed() < Duration::from_millis(600));
}

#[derive(Debug, Deserialize)]
struct Freshdesk {
    api_key: Secret,
}

#[derive(Debug, Deserialize, bridge::ActionInputs)]
struct NewContact {
    /// Email
    email: String,
}

#[bridge::action_executor(name = "create_contact", display = "create a contact")]
async fn create_contact(
    Auth(auth): Auth<Freshdesk>,
    _meta: ActionMeta,
    Data(contact): Data<NewContact>,
    State(client): State<Client>,
    State(target): State<Target>,
) -> Result<ActionOutcome, Error> {
    client
        .post(target.base.join(["contacts"])?)
        .basic_auth_api_key(&auth.api_key, "X")
        .json(&json!({"email": contact.email, "job_title": 7}))
        .map_field("email", "data.email")
        .send()
        .await?;
    Ok(ActionOutcome::message("created"))
}

#[tokio::test]
async fn the_services_message_and_fields_reach_the_answer_without_its_secrets() {
    let (base, _) = fake().await;
    let client = Client::builder().service_name("Freshdesk").build().unwrap();
    let target = Target { base, path: "contacts", own_deadline: None };
    let bridge = TestClient::new(Bridge::new().state(client).state(target).endpoint(create_contact {})).unwrap();
    let response = bridge
        .action("create_contact")
        .auth(json!({"api_key": "fd-key-123"}))
        .data(json!({"email": "ada@"}))
        .send()
        .await;
    response.assert_status(400);
    let body = response.raw_json().unwrap();
    assert_eq!(
        body["message"],
        "Freshdesk refused the request (400 Bad Request): Validation failed (email: It should be a valid email \
         address (for key <redacted>); job_title: It should be a string)"
    );
    // The field the bridge maps is the answer's field; the other one is in the message only.
    assert_eq!(
        body["fields"],
        json!([{"field": "data.email", "message": "It should be a valid email address (for key <redacted>)"}])
    );
    assert!(!response.text().contains("fd-key-123"));
}
