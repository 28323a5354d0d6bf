//! The Salesforce bridge offline: a cassette recorded from the fake org (`tests/cassettes/salesforce.json`) answers
//! every call the bridge makes, and no server runs. One session covers every endpoint, a contact sync of several
//! pages and its incremental sync, an instance found through userinfo, lookups by id, email and phone, both actions
//! and a refused field, a `503` retried, and a session Salesforce ended (`401`). The same session, run against the
//! fake with the cassette recording (`scripts/record-cassettes.sh`), is how the cassette is made, so that the
//! assertions hold for both.

use crate::salesforce::test_config;
use crate::salesforce_example as example;
use bridge::testing::{rerecord, TestClient};
use bridge::TalkdeskDate;
use example::fake::{Fake, Fault, INSTANCE, START};
use example::Config;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The committed cassette.
const CASSETTE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cassettes/salesforce.json");

type Upstream = crate::common::recording::Upstream<Fake>;

/// A token of the fake while recording (any token in replay).
fn token(upstream: &Upstream, replay: &str) -> String {
    upstream.fake().map_or_else(|| replay.to_owned(), |fake| fake.issue_token(&[]))
}

/// What Talkdesk does, and what each answer must be, whether the calls reach the fake or the cassette.
async fn session(client: &TestClient, upstream: &Upstream) {
    let auth = json!({"access_token": token(upstream, "replay-token-one"), "instance_url": INSTANCE});
    assert_eq!(client.auth_validation().auth(&auth).send().await.status(), 204);

    let initial = client.sync_all().auth(&auth).contacts().await.expect("the initial sync");
    assert!(initial.pages() >= 3, "several pages: {}", initial.pages());
    assert_eq!(initial.ids().len(), 25, "20 Contacts and 5 Leads");
    let changed: BTreeSet<String> = initial.ids().into_iter().filter(|id| id.starts_with("003")).take(2).collect();
    if let Some(fake) = upstream.fake() {
        let ids: Vec<&str> = changed.iter().map(String::as_str).collect();
        fake.update(&ids, |c| {
            c.insert("Title".into(), json!("Head of it"));
        });
    }
    let incremental = client.sync_all().auth(&auth).checkpoint(initial.checkpoint()).contacts().await.unwrap();
    assert!(incremental.ids().is_superset(&changed), "{:?}", incremental.ids());

    let lookup = |data: Value| {
        client.interaction_retrieval().auth(&auth).interaction_types(["case", "task", "event"]).data(data).send()
    };
    let seventh =
        initial.all_sent().find(|c| c.emails.iter().any(|e| e == "customer7@example.com")).unwrap().id.clone();
    let count = |answer: &bridge::testing::TestResponse<Vec<bridge::Interaction>>| answer.json().unwrap().len();
    assert_eq!(count(&lookup(json!({"contact_external_id": seventh})).await), 5, "a case, three tasks, an event");
    assert_eq!(count(&lookup(json!({"contact_emails": ["customer7@example.com"]})).await), 5);
    assert_eq!(count(&lookup(json!({"contact_phones": ["+1 555 0100007"]})).await), 5);

    // Without instance_url: Salesforce's userinfo says where the org is.
    let bare = json!({"access_token": auth["access_token"]});
    assert_eq!(client.agent_sync().auth(&bare).send().await.status(), 200);

    let act = |name: &str, data: Value| {
        client.action(name).auth(&auth).meta(json!({"contact_external_id": seventh})).data(data).send()
    };
    assert_eq!(act("create_case", json!({"subject": "Call back", "priority": "high"})).await.status(), 201);
    assert_eq!(act("log_call", json!({"subject": "Inbound call", "duration": 60})).await.status(), 201);
    let refused = act("create_case", json!({"subject": "x".repeat(300)})).await;
    assert_eq!((refused.status().as_u16(), refused.error_fields()), (400, vec!["data.subject".to_owned()]));

    let agents = client.sync_all().auth(&auth).agents().await.expect("the agent sync");
    assert_eq!(agents.ids().len(), 4);

    if let Some(fake) = upstream.fake() {
        fake.inject(Fault::Unavailable);
    }
    assert_eq!(client.contact_sync().auth(&auth).send().await.status(), 200, "a 503 is retried");
    if let Some(fake) = upstream.fake() {
        fake.expire_tokens();
    }
    assert_eq!(client.contact_sync().auth(&auth).send().await.status(), 401);
}

/// The example's bridge, 10 contacts a page, calling `base_url` (each org's own instance when `None`).
fn bridge(base_url: Option<String>) -> bridge::Bridge {
    let base_url = base_url.map(|url| bridge::http::BaseUrl::parse(&url).expect("a URL"));
    let config = Config { contact_page_size: 10, base_url, ..test_config("http://127.0.0.1:9") };
    example::bridge(config).expect("the bridge builds")
}

#[tokio::test]
async fn every_endpoint_replays_offline_from_the_cassette() {
    // No base URL: the bridge calls https://acme.my.salesforce.com and login.salesforce.com; the cassette answers.
    let (cassette, client) = crate::common::recording::replay(CASSETTE, bridge(None));
    session(&client, &Upstream::Replaying).await;
    cassette.assert_all_used();
}

#[test]
fn the_cassette_holds_no_credential_of_the_recording() {
    crate::common::recording::assert_holds_none(CASSETTE, &["00D5g000004fake!", ".tok0", "127.0.0.1", "Bearer"]);
}

/// Records the cassette anew from the fake, and prints what changed in its answers.
#[tokio::test]
#[ignore = "re-records tests/cassettes/salesforce.json from the fake: scripts/record-cassettes.sh"]
async fn record_the_cassette_from_the_fake() {
    let fake = Fake::sample(20);
    let server = fake.start().await.expect("the fake starts");
    let url = server.url();
    let upstream = Upstream::Recording { fake, server };
    let changes = rerecord(CASSETTE, |path| async move {
        // An hour after the sample's clock: every change of the session is in the past.
        let now = TalkdeskDate::from_unix_timestamp(START / 1000 + 3600).unwrap();
        let client = TestClient::new(bridge(Some(url)).record(path)).unwrap().clock(now);
        session(&client, &upstream).await;
    })
    .await
    .expect("the cassette is written");
    println!("{changes}");
}
