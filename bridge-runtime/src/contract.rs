//! The generated-code contract: every trait the macros' output relies on, in one place.
//!
//! Generated code names these through `bridge::__private` and asserts them on the user's own types (under the
//! spans of those types), so that a wrong signature is reported in the framework's words, on the user's token.

use crate::error::Error;
use crate::params::{Auth, Data, State};
use crate::protocol::{ActionOutcome, Agent, AgentPage, AuthValidation, ContactPage, Interaction};
use serde::de::DeserializeOwned;
use warp::http::{header, HeaderValue, StatusCode};
use warp::reply::Response;

/// A successful answer, ready for the wire.
pub trait Reply: Send + 'static {
    /// The HTTP response of this answer.
    fn into_response(self) -> Response;
}

/// A JSON response with `status`.
pub(crate) fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn json_reply<T: serde::Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => json_response(status, body),
        Err(err) => {
            let err = Error::internal(format!("the answer could not be encoded as JSON: {err}"));
            json_response(StatusCode::INTERNAL_SERVER_ERROR, err.to_json())
        }
    }
}

/// What an auth validator's `Result` holds on success.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an answer an auth validator can give",
    label = "an auth validator returns `Result<(), bridge::Error>` or `Result<bridge::AuthValidation, bridge::Error>`"
)]
pub trait AuthValidatorReply: Reply {}

/// What a contact retriever's `Result` holds on success.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an answer a contact retriever can give",
    label = "a contact retriever returns `Result<bridge::ContactPage, bridge::Error>`"
)]
pub trait ContactRetrieverReply: Reply {}

/// What an interaction retriever's `Result` holds on success.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an answer an interaction retriever can give",
    label = "an interaction retriever returns `Result<Vec<bridge::Interaction>, bridge::Error>`"
)]
pub trait InteractionRetrieverReply: Reply {}

/// What an action executor's `Result` holds on success.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an answer an action executor can give",
    label = "an action executor returns `Result<bridge::ActionOutcome, bridge::Error>`"
)]
pub trait ActionExecutorReply: Reply {}

/// What an agent retriever's `Result` holds on success.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an answer an agent retriever can give",
    label = "an agent retriever returns `Result<bridge::AgentPage, bridge::Error>` or `Result<Vec<bridge::Agent>, bridge::Error>`"
)]
pub trait AgentRetrieverReply: Reply {}

impl Reply for () {
    fn into_response(self) -> Response {
        AuthValidation::Valid.into_response()
    }
}
impl AuthValidatorReply for () {}

impl Reply for AuthValidation {
    fn into_response(self) -> Response {
        match self {
            AuthValidation::Valid => json_response(StatusCode::NO_CONTENT, Vec::new()),
            AuthValidation::ValidOk => json_response(StatusCode::OK, b"{}".to_vec()),
            AuthValidation::Store(fields) => json_reply(StatusCode::OK, &fields),
        }
    }
}
impl AuthValidatorReply for AuthValidation {}

impl Reply for ContactPage {
    fn into_response(self) -> Response {
        json_reply(StatusCode::OK, &self)
    }
}
impl ContactRetrieverReply for ContactPage {}

impl Reply for Vec<Interaction> {
    fn into_response(self) -> Response {
        json_reply(StatusCode::OK, &self)
    }
}
impl InteractionRetrieverReply for Vec<Interaction> {}

impl Reply for ActionOutcome {
    fn into_response(self) -> Response {
        json_reply(StatusCode::CREATED, &self)
    }
}
impl ActionExecutorReply for ActionOutcome {}

impl Reply for AgentPage {
    fn into_response(self) -> Response {
        json_reply(StatusCode::OK, &self)
    }
}
impl AgentRetrieverReply for AgentPage {}

impl Reply for Vec<Agent> {
    fn into_response(self) -> Response {
        AgentPage::new(self).into_response()
    }
}
impl AgentRetrieverReply for Vec<Agent> {}

/// What a handler returns: a `Result` whose error converts into [`bridge::Error`](Error).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a bridge handler's result",
    label = "a bridge handler returns `Result<_, bridge::Error>` (or `Result<_, E>` where `E: Into<bridge::Error>`)"
)]
pub trait HandlerResult {
    /// The success type.
    type Ok;
    /// The result, with the error converted.
    fn into_result(self) -> Result<Self::Ok, Error>;
}

impl<T, E: Into<Error>> HandlerResult for Result<T, E> {
    type Ok = T;

    fn into_result(self) -> Result<T, Error> {
        self.map_err(Into::into)
    }
}

/// A handler parameter that receives the request's `auth`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot receive the request's `auth`",
    label = "take the credentials as `bridge::Auth<YourAuthType>`"
)]
pub trait AuthParam {
    /// The bridge's own auth type.
    type Inner: DeserializeOwned + Send + 'static;
    /// Wraps the decoded value.
    fn wrap(inner: Self::Inner) -> Self;
}

impl<T: DeserializeOwned + Send + 'static> AuthParam for Auth<T> {
    type Inner = T;
    fn wrap(inner: T) -> Self {
        Auth(inner)
    }
}

/// A handler parameter that receives an action's inputs.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot receive an action's inputs",
    label = "take the inputs as `bridge::Data<YourInputType>`"
)]
pub trait DataParam {
    /// The action's input type.
    type Inner: DeserializeOwned + Send + 'static;
    /// Wraps the decoded value.
    fn wrap(inner: Self::Inner) -> Self;
}

impl<T: DeserializeOwned + Send + 'static> DataParam for Data<T> {
    type Inner = T;
    fn wrap(inner: T) -> Self {
        Data(inner)
    }
}

/// A handler parameter that receives shared state.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be shared state",
    label = "shared state is `bridge::State<T>` where `T: Clone + Send + Sync + 'static`"
)]
pub trait StateParam {
    /// The state's type, as given to `Bridge::state`.
    type Inner: Clone + Send + Sync + 'static;
    /// Wraps the state.
    fn wrap(inner: Self::Inner) -> Self;
}

impl<T: Clone + Send + Sync + 'static> StateParam for State<T> {
    type Inner = T;
    fn wrap(inner: T) -> Self {
        State(inner)
    }
}

/// Asserts, at compile time, that a handler's future can move between threads.
#[diagnostic::on_unimplemented(
    message = "the future of this bridge handler is not `Send`",
    label = "a value that is not `Send` (an `Rc`, a `RefCell` borrow, a `MutexGuard`) is held across an `.await`"
)]
pub trait SendFuture: Send {}

impl<F: std::future::Future + Send> SendFuture for F {}
