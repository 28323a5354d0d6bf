//! Each error a handler can return, over real HTTP: its status, its JSON body, and no auth value in it.

use crate::common;

use bridge::{ActionOutcome, Auth, Bridge, Data, Error, Secret};
use common::{post, send, start};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Credentials {
    token: Secret,
}

#[derive(Debug, Deserialize, bridge::ActionInputs)]
struct Failure {
    /// Kind of failure
    kind: String,
}

/// A custom error type converting into `bridge::Error`, as a bridge's own client error would.
#[derive(Debug)]
struct ServiceDown;

impl From<ServiceDown> for Error {
    fn from(_: ServiceDown) -> Self {
        Error::upstream("the service is down")
    }
}

/// Fails the way `data.kind` says. Messages quote the token on purpose: the bridge must blank it out.
#[bridge::action_executor(name = "fail")]
async fn fail(Auth(credentials): Auth<Credentials>, Data(failure): Data<Failure>) -> Result<ActionOutcome, Error> {
    let token = credentials.token.expose();
    Err(match failure.kind.as_str() {
        "credentials" => Error::credentials_rejected(),
        "invalid" => Error::invalid_input(format!("token {token} cannot be used here")),
        "action" => Error::action_failed("the ticket was refused"),
        "upstream" => Error::upstream(format!("the service said: bad token {token}")),
        "timeout" => Error::timeout("the service did not answer in time"),
        "bug" => Error::internal("a bug"),
        "panic" => panic!("handler panicked with {token}"),
        other => Error::invalid_input(format!("unknown kind {other}")),
    })
}

#[bridge::action_executor(name = "custom_error")]
async fn custom_error(_auth: Auth<Credentials>) -> Result<ActionOutcome, ServiceDown> {
    Err(ServiceDown)
}

const TOKEN: &str = "tk-7c1e44e0-secret";

fn failing_bridge() -> Bridge {
    Bridge::new().endpoint(fail {}).endpoint(custom_error {})
}

fn request(kind: &str) -> String {
    format!(r#"{{"auth": {{"token": "{TOKEN}"}}, "data": {{"kind": "{kind}"}}}}"#)
}

#[tokio::test]
async fn each_error_kind_answers_its_status_and_code() {
    let bridge = start(failing_bridge()).await;
    for (kind, status, code) in [
        ("credentials", 401, "credentials_rejected"),
        ("invalid", 400, "invalid_input"),
        ("action", 400, "action_failed"),
        ("upstream", 502, "upstream_failure"),
        ("timeout", 504, "timeout"),
        ("bug", 500, "internal_error"),
    ] {
        let answer = post(&bridge, "/actions/fail", &request(kind)).await;
        let body = answer.assert_json(status);
        assert_eq!(body["code"], code, "{kind}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{kind}: {body}");
        assert!(!answer.text.contains(TOKEN), "{kind}: the token leaked: {}", answer.text);
    }
}

#[tokio::test]
async fn messages_quoting_an_auth_value_are_redacted() {
    let bridge = start(failing_bridge()).await;
    let body = post(&bridge, "/actions/fail", &request("upstream")).await.assert_json(502);
    assert_eq!(body["message"], "the service said: bad token <redacted>");
}

#[tokio::test]
async fn an_action_failure_carries_its_message_for_talkdesk() {
    let bridge = start(failing_bridge()).await;
    let answer = post(&bridge, "/actions/fail", &request("action")).await;
    let body = answer.assert_json(400);
    let request_id = answer.request_id.clone().expect("every answer has an X-Request-Id");
    assert_eq!(
        body,
        serde_json::json!({"code": "action_failed", "message": "the ticket was refused", "request_id": request_id})
    );
}

#[tokio::test]
async fn a_handler_error_type_converts_into_bridge_error() {
    let bridge = start(failing_bridge()).await;
    let body = post(&bridge, "/actions/custom_error", &request("any")).await.assert_json(502);
    assert_eq!(body["message"], "the service is down");
}

#[tokio::test]
async fn a_panicking_handler_is_a_500_and_the_next_request_is_served() {
    let bridge = start(failing_bridge()).await;
    let client = reqwest::Client::new();
    let url = format!("{}/actions/fail", bridge.url());
    let fail = |kind| send(client.post(&url).header("content-type", "application/json").body(request(kind)));
    for _ in 0..2 {
        let answer = fail("panic").await;
        assert_eq!(answer.assert_json(500)["code"], "internal_error");
        assert!(!answer.text.contains(TOKEN));
        // Same client, same keep-alive connection: still served.
        fail("action").await.assert_json(400);
    }
}
