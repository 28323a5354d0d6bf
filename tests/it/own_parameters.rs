//! Parameters of the author's own (`bridge::FromRequest`): built from each request before the handler runs, from
//! its credentials, `meta`, headers and shared state; a failure answers the request with the author's status and
//! the handler never runs.

use bridge::testing::TestClient;
use bridge::{
    ActionMeta, ActionOutcome, Auth, Bridge, ContactPage, ContactSyncMeta, Error, FromRequest, RequestParts, Secret,
    State,
};
use serde::Deserialize;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[derive(Debug, Deserialize)]
struct Credentials {
    account: String,
    token: Secret,
}

/// The accounts a test service knows, and how many times a handler ran.
#[derive(Clone, Default)]
struct Service {
    handled: Arc<AtomicUsize>,
}

/// An account whose credentials were checked against the service.
struct Session {
    account: String,
    service: Service,
}

impl FromRequest for Session {
    async fn from_request(request: &RequestParts) -> Result<Self, Error> {
        let credentials: Credentials = request.auth()?;
        let service: Service = request.state()?;
        tokio::task::yield_now().await; // as a real check would, asynchronously
        if credentials.token.expose() != "good" {
            return Err(Error::credentials_rejected());
        }
        Ok(Session { account: credentials.account, service })
    }
}

/// The caller's `X-Trace` header, if any.
struct Trace(Option<String>);

impl FromRequest for Trace {
    async fn from_request(request: &RequestParts) -> Result<Self, Error> {
        Ok(Trace(request.headers().get("x-trace").and_then(|v| v.to_str().ok()).map(str::to_owned)))
    }
}

#[bridge::auth_validator]
async fn validate(_session: Session) -> Result<(), Error> {
    Ok(())
}

#[bridge::contact_retriever]
async fn contacts(meta: ContactSyncMeta, session: Session, trace: Trace) -> Result<ContactPage, Error> {
    session.service.handled.fetch_add(1, Ordering::SeqCst);
    let checkpoint = format!("{} {}", session.account, trace.0.unwrap_or_default());
    let _ = meta;
    Ok(ContactPage::new(Vec::new(), checkpoint))
}

/// Both kinds of parameter at once: the typed `Auth<T>` and one of the author's own, with state beside them.
#[bridge::action_executor(name = "note")]
async fn note(
    Auth(credentials): Auth<Credentials>,
    session: Session,
    meta: ActionMeta,
    State(service): State<Service>,
) -> Result<ActionOutcome, Error> {
    service.handled.fetch_add(1, Ordering::SeqCst);
    assert_eq!(credentials.account, session.account);
    Ok(ActionOutcome::message(format!("noted for {}", meta.contact_external_id.unwrap_or_default())))
}

fn client() -> (TestClient, Service) {
    let service = Service::default();
    let bridge = Bridge::new().state(service.clone()).endpoint(validate {}).endpoint(contacts {}).endpoint(note {});
    (TestClient::new(bridge).unwrap(), service)
}

#[tokio::test]
async fn built_before_the_handler_from_auth_headers_and_state() {
    let (client, service) = client();
    let good = json!({"account": "acme", "token": "good"});
    client.auth_validation().auth(&good).send().await.assert_status(204);
    let page = client.contact_sync().auth(&good).header("x-trace", "t-1").send().await;
    assert_eq!(page.answer().synchronization_checkpoint, "acme t-1");
    let outcome = client.action("note").auth(&good).meta(json!({"contact_external_id": "7"})).send().await;
    assert_eq!(outcome.answer().message.as_deref(), Some("noted for 7"));
    assert_eq!(service.handled.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_failure_answers_with_its_status_and_the_handler_never_runs() {
    let (client, service) = client();
    let refused = client.contact_sync().auth(json!({"account": "acme", "token": "bad"})).send().await;
    refused.assert_status(401);
    assert_eq!(refused.raw_json().unwrap()["code"], "credentials_rejected");
    let malformed = client.action("note").auth(json!({"account": "acme"})).send().await;
    malformed.assert_status(400);
    assert_eq!(malformed.error_fields(), ["auth.token"]);
    assert_eq!(service.handled.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn missing_state_is_a_500_that_names_it() {
    let client = TestClient::new(Bridge::new().endpoint(contacts {})).unwrap();
    let failed = client.contact_sync().auth(json!({"account": "acme", "token": "good"})).send().await;
    failed.assert_status(500);
    assert!(failed.error_message().unwrap().contains("Bridge::state"), "{:?}", failed.error_message());
}
