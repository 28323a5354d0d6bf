//! The HubSpot bridge offline: a cassette recorded from the fake HubSpot (`tests/cassettes/hubspot.json`) answers
//! every call the bridge makes, and no server runs. One session covers every endpoint, a contact sync of several
//! pages and its incremental sync, a request whose access token expired (`401`, Talkdesk refreshes, the request
//! succeeds), the lookups of all six interaction types, both actions and HubSpot's refusal of an unknown owner, and
//! upstream faults (a `500`, a secondly `429` waited out). The same session, run against the fake with the cassette
//! recording (`scripts/record-cassettes.sh`), is how the cassette is made, so that the assertions hold for both.

use crate::hubspot::test_config;
use crate::hubspot_example as example;
use bridge::testing::{rerecord, TestClient, TestResponse};
use bridge::{Interaction, TalkdeskDate};
use example::fake::{
    rate_limit, Fake, Fault, ALL_SCOPES, CLIENT_ID, CLIENT_SECRET, FIRST_CONTACT, REFRESH_TOKEN, START,
};
use example::Config;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

/// The committed cassette.
const CASSETTE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cassettes/hubspot.json");

/// The fake while recording (it issues the tokens, takes the faults and the changes); in replay the cassette holds
/// what it answered, and any token does.
type Upstream = crate::common::recording::Upstream<Fake>;

/// An access token that HubSpot no longer accepts.
fn expired_token(upstream: &Upstream) -> String {
    match upstream.fake() {
        Some(fake) => fake.issue_token_for(&ALL_SCOPES, Duration::ZERO),
        None => "a-token-that-expired".to_owned(),
    }
}

/// What Talkdesk does on a `401`: a new access token from the token endpoint, for the refresh token it holds.
async fn refreshed_token(upstream: &Upstream) -> String {
    let Some(url) = upstream.url() else { return "a-token-refreshed-in-replay".to_owned() };
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let answer = reqwest::Client::new().post(format!("{url}/oauth/v1/token")).form(&form).send();
    let answer: Value = answer.await.unwrap().error_for_status().unwrap().json().await.unwrap();
    answer["access_token"].as_str().expect("an access token").to_owned()
}

fn items(answer: &TestResponse<Vec<Interaction>>) -> usize {
    answer.json().unwrap_or_else(|err| panic!("{err}: {}", answer.text())).len()
}

/// What Talkdesk does, and what each answer must be, whether the calls reach the fake or the cassette.
async fn session(client: &TestClient, upstream: &Upstream, token: &str) {
    let auth = json!({ "access_token": token });
    assert_eq!(client.auth_validation().auth(&auth).send().await.status(), 204);

    // An initial sync of several pages, then the incremental sync that finds the two contacts changed since.
    let initial = client.sync_all().auth(&auth).contacts().await.expect("the initial sync");
    assert!(initial.pages() >= 3, "several pages: {}", initial.pages());
    assert_eq!(initial.ids(), (0..30).map(|n| (FIRST_CONTACT + n).to_string()).collect());
    if let Some(fake) = upstream.fake() {
        fake.update_contacts(&[FIRST_CONTACT + 5, FIRST_CONTACT + 21], |c| c.jobtitle = Some("Head of it".into()));
    }
    let incremental =
        client.sync_all().auth(&auth).checkpoint(initial.checkpoint()).contacts().await.expect("the incremental sync");
    let changed: BTreeSet<String> = [5, 21].map(|n| (FIRST_CONTACT + n).to_string()).into();
    assert!(incremental.ids().is_superset(&changed), "{:?}", incremental.ids());

    // An access token that expired: 401, Talkdesk refreshes it, and the same request succeeds.
    let expired = json!({ "access_token": expired_token(upstream) });
    assert_eq!(client.contact_sync().auth(&expired).send().await.status(), 401);
    let auth = json!({ "access_token": refreshed_token(upstream).await });
    assert_eq!(client.contact_sync().auth(&auth).send().await.status(), 200);

    // A contact's interactions of every type, by id, by email and by phone.
    let lookup = |types: &[&str], data: Value| {
        client.interaction_retrieval().auth(&auth).interaction_types(types.to_vec()).data(data).send()
    };
    let all = ["note", "task", "call", "email", "meeting", "ticket"];
    let by_id = lookup(&all, json!({"contact_external_id": (FIRST_CONTACT + 13).to_string()})).await;
    assert_eq!(items(&by_id), 4, "a note, a task, an email and a ticket");
    let by_email = lookup(&["note", "task"], json!({"contact_emails": ["customer7@example.com"]})).await;
    assert_eq!(items(&by_email), 4, "a note and three tasks");
    let by_phone = lookup(&all, json!({"contact_phones": ["+1 555 0100021"]})).await;
    assert_eq!(items(&by_phone), 3, "a task, a call and a ticket");

    // Both actions, and HubSpot's refusal of an owner it does not know, as the user's 400.
    let act = |name: &str, owner: &str, data: Value| {
        client
            .action(name)
            .auth(&auth)
            .contact_external_id((FIRST_CONTACT + 13).to_string())
            .agent_external_id(owner)
            .data(data)
            .send()
    };
    let task = json!({"subject": "Call back about the renewal", "priority": "high", "due": "2030-01-15 09:00:00 UTC"});
    assert_eq!(act("create_task", "502", task.clone()).await.status(), 201);
    assert_eq!(act("log_note", "502", json!({"body": "Customer asked for a callback."})).await.status(), 201);
    assert_eq!(act("create_task", "999", task).await.status(), 400);

    // Every page of owners: people, not queues, not archived.
    let agents = client.sync_all().auth(&auth).agents().await.expect("the agent sync");
    assert_eq!(agents.ids(), ["501", "502", "503", "505", "507"].map(str::to_owned).into());

    // Upstream faults: HubSpot failing is a 502, never a 401; a secondly limit is waited out.
    if let Some(fake) = upstream.fake() {
        fake.inject(Fault::ServerError);
    }
    assert_eq!(client.contact_sync().auth(&auth).send().await.status(), 502);
    if let Some(fake) = upstream.fake() {
        fake.inject(rate_limit("SECONDLY"));
    }
    assert_eq!(client.contact_sync().auth(&auth).send().await.status(), 200);
}

/// The example's bridge, 10 contacts a page, calling `base_url` (the service's own when `None`).
fn bridge(base_url: Option<String>) -> bridge::Bridge {
    let base_url = base_url.map(|url| bridge::http::BaseUrl::parse(&url).expect("a URL"));
    example::bridge(Config { contact_page_size: 10, base_url, ..test_config() }).expect("the bridge builds")
}

#[tokio::test]
async fn every_endpoint_replays_offline_from_the_cassette() {
    // No base URL: the bridge calls https://api.hubapi.com, and the cassette answers in its place.
    let (cassette, client) = crate::common::recording::replay(CASSETTE, bridge(None));
    session(&client, &Upstream::Replaying, "a-token-of-the-replay").await;
    cassette.assert_all_used();
}

#[test]
fn the_cassette_holds_no_credential_of_the_recording() {
    let secrets = [CLIENT_SECRET, REFRESH_TOKEN, "demo-access-", "demo-refresh-", "127.0.0.1"];
    crate::common::recording::assert_holds_none(CASSETTE, &secrets);
}

/// Records the cassette anew from the fake, and prints what changed in its answers.
#[tokio::test]
#[ignore = "re-records tests/cassettes/hubspot.json from the fake: scripts/record-cassettes.sh"]
async fn record_the_cassette_from_the_fake() {
    let fake = Fake::sample(30);
    let token = fake.issue_token(&ALL_SCOPES);
    let server = fake.start().await.expect("the fake starts");
    let url = server.url();
    let upstream = Upstream::Recording { fake, server };
    let changes = rerecord(CASSETTE, |path| async move {
        // An hour after the sample's clock: every change of the session is in the past.
        let now = TalkdeskDate::from_unix_timestamp(START / 1000 + 3600).unwrap();
        let client = TestClient::new(bridge(Some(url)).record(path)).unwrap().clock(now);
        session(&client, &upstream, &token).await;
    })
    .await
    .expect("the cassette is written");
    println!("{changes}");
}
