//! What each endpoint of the HubSpot and Zendesk examples costs upstream, through the test kit's accounting
//! (`TestResponse::upstream`): how many calls it makes to the service, and how many **round trips** the request
//! waits for (calls one after another), against fakes that answer every call after a delay, as a service far away
//! does. Each endpoint is held to the numbers of the tables in the examples' READMEs (`examples/*/README.md`), so that a change that adds a call, or makes
//! two calls wait for each other, fails here. The conformance check run in process
//! (`bridge_conformance::run_in_process`) reports the same numbers per endpoint.
//!
//! Every request of a test runs at once, so that the delays overlap and the module costs about its longest
//! request, not their sum.

use crate::hubspot::{contact_with_everything, test_config as hubspot_config};
use crate::hubspot_example as hubspot;
use crate::zendesk::test_config as zendesk_config;
use crate::zendesk_example as zendesk;

use bridge::http::{BaseUrl, UpstreamCost};
use bridge::testing::{Call, CallKind, ContactSyncCall, TestClient};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::task::JoinHandle;

/// How long each fake takes to answer a call: calls that overlap in time are told apart from calls one after
/// another however busy the machine, and the tests stay fast.
const LATENCY: Duration = Duration::from_millis(30);

/// Every interaction type of the HubSpot example.
const ALL_SIX: [&str; 6] = ["note", "task", "call", "email", "meeting", "ticket"];

/// One request under way, with the most it may cost.
struct Expected {
    request: &'static str,
    calls: u32,
    round_trips: u32,
    answer: JoinHandle<(u16, Value, UpstreamCost)>,
}

/// Sends `call` on its own task, to be held to `calls` and `round_trips`.
fn expect<K: CallKind + Send + 'static>(
    request: &'static str,
    calls: u32,
    round_trips: u32,
    call: Call<K>,
) -> Expected {
    let answer = tokio::spawn(async move {
        let response = call.send().await;
        (response.status().as_u16(), response.raw_json().unwrap_or(Value::Null), response.upstream())
    });
    Expected { request, calls, round_trips, answer }
}

/// Waits for every request; checks that each succeeded and cost at most what it may, printing the table first
/// (`cargo test -- --nocapture` shows it); the answers, in order, and the calls made in all.
async fn hold(service: &str, expected: Vec<Expected>) -> (Vec<Value>, u32) {
    let mut table = format!("| {service} request | calls | round trips |\n|---|---:|---:|\n");
    let (mut answers, mut broken, mut total) = (Vec::new(), Vec::new(), 0);
    for Expected { request, calls, round_trips, answer } in expected {
        let (status, body, cost) = answer.await.expect("the request ran");
        assert!(status < 300, "{request}: {status} {body}");
        table += &format!("| {request} | {} | {} |\n", cost.calls(), cost.round_trips());
        if cost.calls() > calls || cost.round_trips() > round_trips {
            broken.push(format!("{request}: {cost}, where at most {calls} calls and {round_trips} round trips"));
        }
        total += cost.calls();
        answers.push(body);
    }
    println!("{table}");
    assert!(broken.is_empty(), "{broken:#?}\n{table}");
    (answers, total)
}

/// The contact page after `page`, as Talkdesk asks for it.
fn next_page(client: &TestClient, auth: &Value, page: &Value) -> Call<ContactSyncCall> {
    let offset = page["next_offset"].as_str().unwrap_or_else(|| panic!("a next page: {page}"));
    client.contact_sync().auth(auth).offset(offset).context(page["context"].clone())
}

#[tokio::test]
async fn hubspot_requests_cost_at_most_their_round_trips() {
    let fake = hubspot::fake::Fake::sample(5);
    let id = contact_with_everything(&fake).to_string();
    let crowded = contact_with_everything(&fake);
    fake.update_contacts(&[crowded], |contact| {
        (contact.email, contact.phone, contact.mobilephone) = (Some("crowded@example.com".into()), None, None)
    });
    // More notes than HubSpot's page of associations: that kind's associations are listed whole, one more call.
    for n in 0..hubspot::fake::EMBEDDED_ASSOCIATIONS {
        let day = format!("2024-05-{:02}T10:00:00.000Z", 1 + n % 28);
        fake.add_record("notes", &[("hs_note_body", "more"), ("hs_timestamp", &day)], 0, &[crowded]);
    }
    let server = fake.start().await.expect("the fake HubSpot starts");
    let mut config = hubspot_config();
    config.base_url = Some(BaseUrl::parse(&server.url()).unwrap());
    config.contact_page_size = 2;
    let client = TestClient::new(hubspot::bridge(config).expect("the bridge builds")).unwrap();
    let auth = json!({ "access_token": fake.issue_token(&hubspot::fake::ALL_SCOPES) });
    fake.latency(LATENCY);

    let interactions = |types: &[&str]| client.interaction_retrieval().auth(&auth).interaction_types(types.to_vec());
    let (answers, calls) = hold(
        "HubSpot",
        vec![
            expect(
                "interactions by `contact_external_id`, all six types",
                7,
                2,
                interactions(&ALL_SIX).contact_external_id(&id),
            ),
            expect("interactions by id, one type", 2, 2, interactions(&["task"]).contact_external_id(&id)),
            expect(
                "interactions by email, all six types",
                8,
                3,
                interactions(&ALL_SIX).contact_email("nobody@example.com").contact_email("iris@example.com"),
            ),
            expect(
                "interactions by phone, all six types",
                8,
                3,
                interactions(&ALL_SIX).contact_email("nobody@example.com").contact_phone("+1 555 777 1111"),
            ),
            expect(
                "interactions of a contact with over 100 notes",
                8,
                3,
                interactions(&ALL_SIX).contact_external_id(crowded.to_string()),
            ),
            expect("interactions of an unknown contact", 1, 1, interactions(&ALL_SIX).contact_external_id("999999")),
            expect("auth validation", 1, 1, client.auth_validation().auth(&auth)),
            expect("a contact page, the first of a sync", 1, 1, client.contact_sync().auth(&auth)),
            expect("an agent page", 1, 1, client.agent_sync().auth(&auth)),
            // On another contact: the lookups' answers stay the same.
            expect(
                "an action (`log_note`, `create_task`)",
                1,
                1,
                client
                    .action("log_note")
                    .auth(&auth)
                    .meta(json!({"contact_external_id": hubspot::fake::FIRST_CONTACT.to_string()}))
                    .data(json!({"body": "n"})),
            ),
        ],
    )
    .await;
    assert_eq!(answers[0].as_array().map(Vec::len), Some(10), "every record of the contact: {}", answers[0]);
    assert_eq!(answers[1].as_array().map(Vec::len), Some(5));
    assert_eq!(answers[2], answers[0], "the same contact by email");
    assert_eq!(answers[3], answers[0], "the same contact by phone");
    let notes: Vec<&Value> = answers[4].as_array().unwrap().iter().filter(|i| i["type"] == "note").collect();
    assert_eq!(notes.len(), 25, "the newest notes, as many as the limit");
    assert_eq!(answers[5], json!([]));
    let next = next_page(&client, &auth, &answers[7]);
    let (_, more) = hold("HubSpot", vec![expect("a contact page, the next ones", 1, 1, next)]).await;
    assert_eq!(fake.requests().len() as u32, calls + more, "the fake saw every call the accounting counted");
}

/// The Zendesk example in process, against its fake (8 end users, 4 a contact page) answering after [`LATENCY`]; and
/// an admin's credentials.
async fn zendesk_delaying() -> (zendesk::fake::Fake, zendesk::fake::RunningFake, TestClient, Value) {
    let fake = zendesk::fake::Fake::sample(8);
    let server = fake.start().await.expect("the fake Zendesk starts");
    let mut config = zendesk_config();
    config.base_url = Some(BaseUrl::parse(&server.url()).unwrap());
    config.contact_page_size = 4;
    let client = TestClient::new(zendesk::bridge(config).expect("the bridge builds")).unwrap();
    let auth = json!({"account": "acme", "email": zendesk::fake::ADMIN_EMAIL, "token": zendesk::fake::API_TOKEN});
    fake.latency(LATENCY);
    (fake, server, client, auth)
}

#[tokio::test]
async fn zendesk_requests_cost_at_most_their_round_trips() {
    let (fake, _server, client, auth) = zendesk_delaying().await;
    // End user 3 requested three tickets.
    let user = (zendesk::fake::FIRST_END_USER + 3).to_string();
    let interactions = || client.interaction_retrieval().auth(&auth).interaction_types(["ticket"]);
    let (answers, calls) = hold(
        "Zendesk",
        vec![
            expect("interactions by `contact_external_id`", 1, 1, interactions().contact_external_id(&user)),
            expect("interactions by email", 2, 2, interactions().contact_email("customer3@example.com")),
            expect("interactions by phone", 2, 2, interactions().contact_phone("+1 555 010 0003")),
            expect(
                "interactions by phone, after an email that finds no one",
                3,
                3,
                interactions().contact_email("nobody@example.com").contact_phone("+1 555 010 0003"),
            ),
            expect("auth validation", 1, 1, client.auth_validation().auth(&auth)),
            expect("a contact page, the first of a sync", 2, 2, client.contact_sync().auth(&auth)),
            expect("an agent page", 1, 1, client.agent_sync().auth(&auth)),
            // For another user: the lookups' answers stay the same.
            expect(
                "an action (`create_ticket`)",
                1,
                1,
                client
                    .action("create_ticket")
                    .auth(&auth)
                    .meta(json!({"contact_external_id": (zendesk::fake::FIRST_END_USER + 1).to_string()}))
                    .data(json!({"subject": "Hello", "description": "Hi"})),
            ),
        ],
    )
    .await;
    assert_eq!(answers[0].as_array().map(Vec::len), Some(3), "{}", answers[0]);
    assert_eq!(answers[1], answers[0], "the same user by email");
    assert_eq!(answers[2], answers[0], "the same user by phone");
    assert_eq!(answers[3], answers[0], "the same user by phone, after the email");
    let next = next_page(&client, &auth, &answers[5]);
    let (_, more) = hold("Zendesk", vec![expect("a contact page, the next ones", 1, 1, next)]).await;
    assert_eq!(fake.requests().len() as u32, calls + more, "the fake saw every call the accounting counted");
}

/// The conformance check of a Rust bridge's own tests, `bridge_conformance::run_in_process`, over the Zendesk
/// example with the delaying fake: every check passes, and the report says what each endpoint cost upstream, in
/// text and in JSON: the round trips the requests above are held to, and every call the fake saw.
#[tokio::test]
async fn the_conformance_report_of_a_bridge_in_process_shows_each_endpoints_upstream_cost() {
    use bridge_conformance::args::{Format, Options};
    use bridge_conformance::output::{render, to_json};

    let (fake, _server, client, auth) = zendesk_delaying().await;
    // Besides the simulator's lookups (by a synced user's id: one call), the costliest: an email that finds no one,
    // then a phone, as "interactions by phone, after an email that finds no one" above.
    let costliest = json!({"contact_emails": ["nobody@example.com"], "contact_phones": ["+1 555 010 0003"]});
    let options = Options { lookups: vec![costliest], quiet: true, ..Options::new(auth) };

    let conformance = bridge_conformance::run_in_process(&options, client).await.expect("no usage error");
    let text = render(&conformance, Format::Text);
    assert!(conformance.passed(), "{text}");
    let read = conformance.find("ConfigurationRead").next().and_then(|line| line.summary.as_deref());
    assert!(read.is_some_and(|read| read.starts_with("GET /configuration of a bridge in process")), "{text}");

    let most = |path: &str| {
        let endpoint = conformance.upstream_of(path).unwrap_or_else(|| panic!("{path} was called:\n{text}"));
        (endpoint.most_calls, endpoint.most_round_trips)
    };
    assert_eq!(most("/interaction_update"), (3, 3), "{text}");
    assert_eq!(most("/contact_sync"), (2, 2), "the first page of a sync:\n{text}");
    assert_eq!(most("/auth_validation"), (1, 1), "{text}");
    assert_eq!(most("/agent_sync"), (1, 1), "{text}");
    let counted: u32 = conformance.upstream.iter().map(|endpoint| endpoint.calls).sum();
    assert_eq!(counted as usize, fake.requests().len(), "every call the fake saw is counted:\n{text}");
    for endpoint in &conformance.upstream {
        // Each call waits for the fake, and no two overlap.
        assert!(endpoint.waited >= LATENCY * endpoint.calls, "{}: {:?}\n{text}", endpoint.path, endpoint.waited);
    }

    let lookups = conformance.upstream_of("/interaction_update").unwrap();
    // After the checks, before the verdict, the endpoints in the order they were first called.
    let block = "\n\nUpstream, per endpoint\n  /auth_validation  ";
    let at = text.find(block).unwrap_or_else(|| panic!("{text}"));
    assert!(at > text.find("Every endpoint").unwrap() && at < text.find("PASSED").unwrap(), "{text}");
    let line = format!(
        "  /interaction_update  {} requests: {} calls, at most 3 calls and 3 round trips in one, {} ms waited\n",
        lookups.requests,
        lookups.calls,
        lookups.waited.as_millis()
    );
    assert!(text.contains(&line), "{text}");
    let json = to_json(&conformance);
    let of = |path: &str| json["upstream"].as_array().unwrap().iter().find(|e| e["path"] == path).cloned();
    let lookups_json = of("/interaction_update").unwrap_or_else(|| panic!("{json:#}"));
    assert_eq!(
        lookups_json,
        json!({"path": "/interaction_update", "requests": lookups.requests, "calls": lookups.calls, "most_calls": 3,
               "most_round_trips": 3, "waited_ms": lookups.waited.as_millis() as u64})
    );
    assert_eq!(json["upstream"].as_array().map(Vec::len), Some(conformance.upstream.len()));
}
