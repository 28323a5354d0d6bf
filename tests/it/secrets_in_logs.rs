//! With logging at its most verbose (TRACE, every crate), no auth value appears anywhere in the captured logs or in
//! the answers: not for good requests, malformed ones, handler errors or handler panics.

use crate::common;

use bridge::{ActionOutcome, Auth, Bridge, Data, Error, Secret};
use common::logs::Captured;
use common::post;
use serde::Deserialize;

const SECRET: &str = "zq-secret-4f9c1b7e";

#[derive(Debug, Deserialize)]
struct Credentials {
    token: Secret,
}

#[derive(Debug, Deserialize, bridge::ActionInputs)]
struct Order {
    /// What to do
    what: String,
}

/// Does what it is told, quoting the token in every message on purpose.
#[bridge::action_executor(name = "echo")]
async fn echo(Auth(credentials): Auth<Credentials>, Data(order): Data<Order>) -> Result<ActionOutcome, Error> {
    let token = credentials.token.expose();
    tracing::debug!(?credentials, "handling {}", order.what);
    match order.what.as_str() {
        "ok" => Ok(ActionOutcome::message("done")),
        "fail" => Err(Error::upstream(format!("service refused token {token}"))),
        "invalid" => Err(Error::invalid_input(format!("{token} is not valid here"))),
        _ => panic!("told to panic while holding {token}"),
    }
}

#[tokio::test]
async fn no_auth_value_in_logs_or_answers() {
    let logs = Captured::install();

    let bridge = common::start(Bridge::new().endpoint(echo {})).await;
    let auth = format!(r#""auth": {{"token": "{SECRET}"}}"#);
    let requests = [
        format!(r#"{{{auth}, "data": {{"what": "ok"}}}}"#),
        format!(r#"{{{auth}, "data": {{"what": "fail"}}}}"#),
        format!(r#"{{{auth}, "data": {{"what": "invalid"}}}}"#),
        format!(r#"{{{auth}, "data": {{"what": "panic"}}}}"#),
        format!(r#"{{{auth}, "data": {{"what": true}}}}"#), // a boolean is not text (a number is)
        format!(r#"{{{auth}, "data": {{"what": "ok"}}"#),   // truncated JSON
        format!(r#"{{"auth": {{"token": ["{SECRET}"]}}}}"#), // wrong type, value quoted by serde
        format!(r#"{{"auth": {{"token": {{"{SECRET}": 1}}}}}}"#), // the secret as a key
        format!(r#"{{{auth}, "data": {{"what": "ok"}}, "auth": {{}}}}"#), // duplicated section
    ];
    let mut statuses = Vec::new();
    for body in &requests {
        let answer = post(&bridge, "/actions/echo", body).await;
        assert!(!answer.text.contains(SECRET), "answer leaks the secret: {}", answer.text);
        statuses.push(answer.status);
    }
    assert_eq!(statuses, [201, 502, 400, 500, 400, 400, 400, 400, 400]);

    let captured = logs.text();
    assert!(captured.contains("bridge::request"), "the request logs were captured:\n{captured}");
    assert!(captured.contains("panicked"), "the panic was logged:\n{captured}");
    assert!(!captured.contains(SECRET), "the logs leak the secret:\n{captured}");
}
