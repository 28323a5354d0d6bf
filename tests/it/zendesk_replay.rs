//! The Zendesk bridge offline: a cassette recorded from the fake Zendesk (`tests/cassettes/zendesk.json`) answers
//! every call the bridge makes, and no server runs. One session covers every endpoint, a contact sync of several
//! pages and its incremental sync, the lookups by id, email and phone, the action and a refusal Zendesk gives it,
//! and upstream faults (a `429` retried, a `500`, an account that does not exist). The same session, run against
//! the fake with the cassette recording (`scripts/record-cassettes.sh`), is how the cassette is made, so that the
//! assertions below hold for both.

use crate::zendesk::test_config;
use crate::zendesk_example as example;
use bridge::testing::{rerecord, TestClient};
use bridge::TalkdeskDate;
use example::fake::{Fake, Fault, ADMIN_EMAIL, API_TOKEN, FIRST_END_USER, START};
use example::Config;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The committed cassette.
const CASSETTE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cassettes/zendesk.json");

type Upstream = crate::common::recording::Upstream<Fake>;

/// While recording, `fault` for the fake's next answer.
fn inject(upstream: &Upstream, fault: Fault) {
    if let Some(fake) = upstream.fake() {
        fake.inject(fault);
    }
}

/// What Talkdesk does, and what each answer must be, whether the calls reach the fake or the cassette.
async fn session(client: &TestClient, upstream: &Upstream, auth: &Value) {
    assert_eq!(client.auth_validation().auth(auth).send().await.status(), 204);

    // An initial sync of several pages, then the incremental sync that finds the two users changed since.
    let initial = client.sync_all().auth(auth).contacts().await.expect("the initial sync");
    assert!(initial.pages() >= 3, "several pages: {}", initial.pages());
    let end_users: BTreeSet<String> =
        (0..12).filter(|n| n % 50 != 49).map(|n| (FIRST_END_USER + n).to_string()).collect();
    assert!(end_users.is_subset(&initial.ids()), "every end user: {:?}", initial.ids());
    // Two users change, and a minute passes (Zendesk exports a change once it is a minute old).
    if let Some(fake) = upstream.fake() {
        fake.update_users(&[FIRST_END_USER + 1, FIRST_END_USER + 2], |u| u.name = format!("{} (moved)", u.name));
        fake.advance(61);
    }
    let incremental =
        client.sync_all().auth(auth).checkpoint(initial.checkpoint()).contacts().await.expect("the incremental sync");
    let moved: BTreeSet<String> = [1, 2].map(|n| (FIRST_END_USER + n).to_string()).into();
    assert_eq!(incremental.ids(), moved);
    assert!(incremental.contacts().values().all(|c| c.name.ends_with("(moved)")));

    // A customer's tickets, found by id, by email and by phone.
    let tickets =
        |data: Value| client.interaction_retrieval().auth(auth).interaction_types(["ticket"]).data(data).send();
    let by_id = tickets(json!({"contact_external_id": (FIRST_END_USER + 3).to_string()})).await;
    assert_eq!(by_id.raw_json().unwrap().as_array().map(Vec::len), Some(3), "{}", by_id.text());
    let by_email = tickets(json!({"contact_emails": ["customer7@example.com"]})).await;
    assert_eq!(by_email.raw_json().unwrap().as_array().map(Vec::len), Some(3), "{}", by_email.text());
    let by_phone = tickets(json!({"contact_phones": ["+15550100006"]})).await;
    assert_eq!(by_phone.raw_json().unwrap().as_array().map(Vec::len), Some(2), "{}", by_phone.text());

    // The action, and Zendesk's refusal of an assignee who is not an agent, as the user's 400.
    let create = |assignee: &str| {
        client
            .action("create_ticket")
            .auth(auth)
            .contact_external_id((FIRST_END_USER + 3).to_string())
            .agent_external_id(assignee)
            .data(json!({"subject": "Call missed in Talkdesk", "description": "Please call back.", "priority": "high"}))
            .send()
    };
    let created = create("2").await;
    assert_eq!(created.status(), 201, "{}", created.text());
    let refused = create(&(FIRST_END_USER + 4).to_string()).await;
    assert_eq!(refused.status(), 400, "{}", refused.text());

    // Every page of agents.
    let agents = client.sync_all().auth(auth).agents().await.expect("the agent sync");
    assert_eq!(agents.ids(), ["1", "2", "3", "4"].map(str::to_owned).into());

    // Upstream faults: a rate limit waited out, a failure, an account that does not exist.
    inject(upstream, Fault::RateLimited { retry_after_secs: Some(1) });
    assert_eq!(client.auth_validation().auth(auth).send().await.status(), 204, "retried after the 429");
    inject(upstream, Fault::ServerError);
    let failed = client.auth_validation().auth(auth).send().await;
    assert_eq!(
        (failed.status().as_u16(), failed.raw_json().unwrap()["code"].clone()),
        (502, json!("upstream_failure"))
    );
    inject(upstream, example::fake::unknown_account());
    let unknown = client.auth_validation().auth(auth).send().await;
    assert_eq!(unknown.raw_json().unwrap()["fields"][0]["field"], "auth.account", "{}", unknown.text());
}

/// The example's bridge, 5 contacts a page, calling `base_url` (the service's own when `None`).
fn bridge(base_url: Option<String>) -> bridge::Bridge {
    let base_url = base_url.map(|url| bridge::http::BaseUrl::parse(&url).expect("a URL"));
    example::bridge(Config { contact_page_size: 5, base_url, ..test_config() }).expect("the bridge builds")
}

#[tokio::test]
async fn every_endpoint_replays_offline_from_the_cassette() {
    // No base URL: the bridge calls https://acme.zendesk.com, and the cassette answers in its place.
    let (cassette, client) = crate::common::recording::replay(CASSETTE, bridge(None));
    let auth = json!({"account": "acme", "email": ADMIN_EMAIL, "token": "a-token-of-the-replay"});
    session(&client, &Upstream::Replaying, &auth).await;
    cassette.assert_all_used();
}

#[test]
fn the_cassette_holds_no_credential_of_the_recording() {
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{ADMIN_EMAIL}/token:{API_TOKEN}"));
    crate::common::recording::assert_holds_none(CASSETTE, &[API_TOKEN, &basic, "127.0.0.1"]);
}

/// Records the cassette anew from the fake, and prints what changed in its answers.
#[tokio::test]
#[ignore = "re-records tests/cassettes/zendesk.json from the fake: scripts/record-cassettes.sh"]
async fn record_the_cassette_from_the_fake() {
    let fake = Fake::sample(12);
    let server = fake.start().await.expect("the fake starts");
    let url = server.url();
    let upstream = Upstream::Recording { fake, server };
    let changes = rerecord(CASSETTE, |path| async move {
        let client = TestClient::new(bridge(Some(url)).record(path))
            .unwrap()
            .clock(TalkdeskDate::from_unix_timestamp(START).unwrap());
        let auth = json!({"account": "acme", "email": ADMIN_EMAIL, "token": API_TOKEN});
        session(&client, &upstream, &auth).await;
    })
    .await
    .expect("the cassette is written");
    println!("{changes}");
}
