//! `bridge::testing::TestClient` against the minimal example: each endpoint called in process, without a socket,
//! with the typed request builders, and the answers read as protocol types or raw JSON. The same calls over HTTP
//! answer the same.

use crate::minimal;

use bridge::testing::{Paths, TestClient};
use bridge::{ActionOutcome, AgentPage, Auth, Bridge, Contact, ContactPage, ContactSyncMeta, Error, Interaction};
use minimal::{Service, Store};
use serde::Serialize;
use serde_json::json;
use std::sync::{Arc, Mutex};

/// The minimal example's `auth`, as a struct: any `Serialize` works.
#[derive(Serialize)]
struct Credentials {
    username: &'static str,
    password: &'static str,
}

const GOOD: Credentials = Credentials { username: "john.doe@example.com", password: "605b32dd" };
const BAD: Credentials = Credentials { username: "john.doe@example.com", password: "wrong" };

fn client() -> (TestClient, Store) {
    let store = Arc::new(Mutex::new(Service::sample(25)));
    (TestClient::new(minimal::bridge(store.clone())).expect("the minimal bridge builds"), store)
}

#[tokio::test]
async fn auth_validation_answers_204_or_401() {
    let (client, _) = client();
    let ok = client.auth_validation().auth(GOOD).send().await;
    assert_eq!(ok.status(), 204);
    assert!(ok.body().is_empty());
    let rejected = client.auth_validation().auth(BAD).send().await;
    rejected.assert_status(401);
    assert_eq!(rejected.content_type(), Some("application/json"));
    assert_eq!(rejected.raw_json().unwrap()["code"], "credentials_rejected");
    assert_eq!(rejected.error_message().as_deref(), Some("the external service rejected these credentials"));
}

#[tokio::test]
async fn contact_sync_pages_are_typed() {
    let (client, store) = client();
    let first: ContactPage = client.contact_sync().auth(GOOD).send().await.answer();
    assert_eq!(first.contacts.len(), 10);
    assert_eq!(first.next_offset.as_deref(), Some("10"));

    let second = client.contact_sync().auth(GOOD).offset("10").send().await;
    assert!(second.has_json_content_type());
    let second = second.json().unwrap();
    assert_eq!(second.contacts[0].id, "11");

    // An incremental sync from the checkpoint of the last page sees only what changed since.
    let last = client.contact_sync().auth(GOOD).offset("20").send().await.answer();
    assert_eq!(last.next_offset, None);
    store.lock().unwrap().upsert(Contact::new("3", "Renamed"));
    let changed = client.contact_sync().auth(GOOD).checkpoint(&last.synchronization_checkpoint).send().await.answer();
    assert_eq!(changed.contacts, [Contact::new("3", "Renamed")]);
}

#[tokio::test]
async fn interactions_by_id_email_or_phone() {
    let (client, _) = client();
    let by_id: Vec<Interaction> = client
        .interaction_retrieval()
        .auth(GOOD)
        .interaction_types(["case", "note"])
        .contact_external_id("1")
        .send()
        .await
        .answer();
    assert_eq!(by_id.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["23", "24"]);
    let by_email = client
        .interaction_retrieval()
        .auth(GOOD)
        .interaction_types(["note"])
        .contact_email("nobody@example.com")
        .contact_email("contact1@example.com")
        .send()
        .await;
    assert_eq!(
        by_email.raw_json().unwrap(),
        json!([{"id": "24", "subject": "Called back", "date": "2012-11-22 09:00:00 UTC", "type": "note"}])
    );
    let envelope = client.interaction_retrieval().auth(GOOD).interaction_types(["case"]).contact_phone("+15550000001");
    assert_eq!(envelope.envelope()["data"], json!({"contact_phones": ["+15550000001"]}));
    assert_eq!(envelope.send().await.answer().len(), 1);
}

#[tokio::test]
async fn actions_answer_201_or_name_every_missing_input() {
    let (client, store) = client();
    let created = client
        .action("create_ticket")
        .auth(GOOD)
        .contact_external_id("1")
        .data(json!({"subject": "Call missed", "description": "A call from Jane Doe was missed."}))
        .send()
        .await;
    created.assert_status(201);
    let outcome: ActionOutcome = created.json().unwrap();
    let id = outcome.external_id.unwrap();
    assert!(store.lock().unwrap().interactions.iter().any(|(_, i)| i.id == id));

    let refused =
        client.action("create_ticket").auth(GOOD).contact_external_id("1").data_field("priority", "high").send().await;
    refused.assert_status(400);
    assert_eq!(refused.error_fields(), ["data.subject", "data.description"]);

    let no_contact =
        client.action("create_ticket").auth(GOOD).data(json!({"subject": "s", "description": "d"})).send().await;
    assert_eq!(no_contact.status(), 400);
    assert_eq!(no_contact.error_message().as_deref(), Some("a ticket needs a contact: run this action from a contact"));
}

#[tokio::test]
async fn agents_page_with_integer_offsets() {
    let (client, _) = client();
    let first: AgentPage = client.agent_sync().auth(GOOD).send().await.answer();
    assert_eq!(first.next_offset.as_deref(), Some("2"));
    let last = client.agent_sync().auth(GOOD).offset(2).send().await.answer();
    assert_eq!(last.agents[0].name, "Raj Patel");
    assert_eq!(last.next_offset, None);
}

#[tokio::test]
async fn raw_requests_reach_what_the_server_answers_around_endpoints() {
    let (client, _) = client();
    let health = client.get("/health").send().await;
    assert_eq!(health.raw_json().unwrap(), json!({"status": "ok"}));
    let malformed = client.post("/contact_sync").raw_body("{not json").send().await;
    assert_eq!(malformed.status(), 400);
    assert_eq!(malformed.raw_json().unwrap()["code"], "malformed_json");
    let form = client.contact_sync().auth(GOOD).header("content-type", "text/plain").send().await;
    assert_eq!(form.status(), 415);
    let missing = client.post("/nowhere").auth(GOOD).send().await;
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.header("content-type"), Some("application/json"));
}

#[bridge::contact_retriever(path = "/contacts")]
async fn elsewhere(_auth: Auth<serde_json::Value>, _meta: ContactSyncMeta) -> Result<ContactPage, Error> {
    Ok(ContactPage::new(vec![Contact::new("1", "Ann")], "2024-01-01 00:00:00 UTC"))
}

#[tokio::test]
async fn the_client_follows_the_bridges_own_paths() {
    let client = TestClient::new(Bridge::new().endpoint(elsewhere {})).unwrap();
    assert_eq!(client.paths().contact_sync, "/contacts");
    assert_eq!(client.contact_sync().auth(json!({})).send().await.answer().contacts.len(), 1);
    // A client with other paths, e.g. for a bridge at a URL that uses its own.
    let paths = Paths { contact_sync: "/elsewhere".into(), ..Paths::default() };
    let moved = client.clone().with_paths(paths);
    assert_eq!(moved.contact_sync().auth(json!({})).send().await.status(), 404);
    assert_eq!(moved.paths().action("create_ticket"), "/actions/create_ticket");
}

#[tokio::test]
async fn over_http_the_same_calls_answer_the_same() {
    let store = Arc::new(Mutex::new(Service::sample(25)));
    let running = minimal::bridge(store.clone()).bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let http = TestClient::http(running.url());
    let in_process = TestClient::new(minimal::bridge(store)).unwrap();
    for client in [&http, &in_process] {
        let page = client.contact_sync().auth(GOOD).offset("20").send().await;
        assert_eq!(page.status(), 200);
        assert_eq!(page.answer().contacts.len(), 5);
        assert_eq!(client.auth_validation().auth(BAD).send().await.status(), 401);
    }
    assert_eq!(http.describe(), running.url());
    running.shutdown().await;
    // Once the bridge is gone, there is no answer at all: an error, not a response.
    let err = http.agent_sync().auth(GOOD).try_send().await.unwrap_err();
    assert!(err.message().contains("cannot connect"), "{err}");
}

// --- What a request cost upstream ----------------------------------------------------------------------------------

/// Where the fake service of the upstream tests listens.
#[derive(Clone)]
struct Upstream(bridge::http::Url);

/// Reads three things at once (at most three at a time), then one more: two round trips, four calls.
#[bridge::interaction_retriever]
async fn three_at_once_then_one(
    _auth: Auth<serde_json::Value>,
    bridge::State(client): bridge::State<bridge::http::Client>,
    bridge::State(upstream): bridge::State<Upstream>,
) -> Result<Vec<Interaction>, Error> {
    let url = |path: &str| upstream.0.join(path).expect("a path");
    let reads = ["notes", "tasks", "calls"].map(|path| client.get(url(path)).send());
    bridge::http::try_join_all_at_most(3, reads).await?;
    client.get(url("owner")).send().await?;
    Ok(Vec::new())
}

#[tokio::test]
async fn an_answer_says_what_its_request_cost_upstream_and_the_simulator_per_endpoint() {
    // A fake service on loopback that answers every call after 40 ms.
    let delay = std::time::Duration::from_millis(40);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = Upstream(format!("http://{}/", listener.local_addr().unwrap()).parse().unwrap());
    let slow = axum::Router::new().fallback(move || async move {
        tokio::time::sleep(delay).await;
        "{}"
    });
    tokio::spawn(async move { axum::serve(listener, slow).await });
    let bridge = || {
        let client = bridge::http::Client::builder().build().unwrap();
        Bridge::new().state(client).state(upstream.clone()).endpoint(three_at_once_then_one {})
    };
    let client = TestClient::new(bridge()).unwrap();

    let answer = client.interaction_retrieval().auth(json!({})).interaction_types(["note"]).send().await;
    let cost = answer.assert_status(200).upstream();
    assert_eq!((cost.calls(), cost.retries(), cost.round_trips()), (4, 0, 2), "{cost}");
    assert!(cost.waited() >= delay * 2 && cost.waited() < delay * 4, "{cost}");

    // Refused before the handler ran: nothing called.
    let refused = client.post(client.paths().interaction_retrieval.clone()).raw_body("[").send().await;
    assert_eq!((refused.status().as_u16(), refused.upstream().calls()), (400, 0));
    // `/metrics`: both requests to the endpoint, per request.
    let metrics = client.get("/metrics").send().await.text();
    let path = &client.paths().interaction_retrieval;
    for line in [
        format!("bridge_request_upstream_calls_count{{endpoint=\"{path}\"}} 2\n"),
        format!("bridge_request_upstream_calls_sum{{endpoint=\"{path}\"}} 4.0\n"),
        format!("bridge_request_upstream_round_trips_bucket{{le=\"1.0\",endpoint=\"{path}\"}} 1\n"),
        format!("bridge_request_upstream_round_trips_bucket{{le=\"2.0\",endpoint=\"{path}\"}} 2\n"),
    ] {
        assert!(metrics.contains(&line), "{line} not in {metrics}");
    }
    // Over HTTP, the answer does not say.
    let served = crate::common::start(bridge()).await;
    let over_http = TestClient::http(format!("http://{}", served.local_addr()));
    let answer = over_http.post(client.paths().interaction_retrieval.clone()).raw_body("[").send().await;
    assert_eq!((answer.status().as_u16(), answer.upstream_cost()), (400, None));

    let report = bridge::testing::Simulator::new(client.clone(), json!({})).run().await;
    let path = &client.paths().interaction_retrieval;
    let lookups = report.upstream_of(path).unwrap_or_else(|| panic!("no upstream line for {path}:\n{report}"));
    assert!(lookups.requests() >= 1 && lookups.calls() == 4 * lookups.requests(), "{lookups:?}");
    assert_eq!((lookups.most_calls(), lookups.most_round_trips()), (4, 2));
    assert!(report.upstream_of(&client.paths().contact_sync).is_none(), "not served, not listed:\n{report}");
    let text = report.to_string();
    assert!(text.contains(&format!("Upstream, per endpoint\n  {path}  ")), "{text}");
    assert!(text.contains("at most 4 calls and 2 round trips in one"), "{text}");
}
