//! A sync during which the service itself changed, recorded and replayed offline: the simulator drives the Zendesk
//! bridge, and its async hook renames a user between two pages through Zendesk's own API (`PUT
//! /api/v2/users/{id}`), as a test does against a sandbox account. The fake Zendesk stands in for the account
//! while recording (`scripts/record-cassettes.sh`); the committed cassette (`tests/cassettes/zendesk-changing.json`)
//! answers every call of the replay, where the hook changes nothing and says what the recording changed. Either
//! way the simulator checks that the renamed user arrived renamed and that no user was lost.

use crate::zendesk::test_config;
use crate::zendesk_example as example;
use bridge::testing::{rerecord, CheckId, Outcome, Simulator, SourceChange, TestClient};
use bridge::{Contact, TalkdeskDate};
use example::fake::{Fake, ADMIN_EMAIL, API_TOKEN, FIRST_END_USER, START};
use example::Config;
use serde_json::{json, Value};
use std::sync::Arc;

/// The committed cassette.
const CASSETTE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cassettes/zendesk-changing.json");

type Upstream = crate::common::recording::Upstream<Fake>;

/// The user renamed between the first and the second page of the initial sync, and the name it gets.
const RENAMED: u64 = FIRST_END_USER + 1;
const NEW_NAME: &str = "Renamed Mid-Sync";

/// Renames the user through the service's API: what a test would call on a real account.
async fn rename_through_the_api(base_url: &str) {
    let answer = reqwest::Client::new()
        .put(format!("{base_url}/api/v2/users/{RENAMED}.json"))
        .basic_auth(format!("{ADMIN_EMAIL}/token"), Some(API_TOKEN))
        .json(&json!({"user": {"name": NEW_NAME}}))
        .send()
        .await
        .expect("Zendesk answers");
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap_or_default());
}

/// The simulator's run, the service changing after page 1 of the initial sync; the same whether the calls reach
/// the fake or the cassette.
async fn session(client: TestClient, upstream: Arc<Upstream>, auth: &Value) {
    let hook = Arc::clone(&upstream);
    let report = Simulator::new(client, auth)
        .interaction_types(["ticket"])
        .change_source(move |progress| {
            let first_page = progress.phase == "initial contact sync" && progress.page == 1;
            let upstream = Arc::clone(&hook);
            async move {
                if !first_page {
                    return SourceChange::new();
                }
                if let (Some(url), Some(fake)) = (upstream.url(), upstream.fake()) {
                    rename_through_the_api(&url).await;
                    // A minute passes, as it would on a real account before the export shows the change.
                    fake.advance(90);
                }
                SourceChange::new().changed(Contact::new(RENAMED.to_string(), NEW_NAME))
            }
        })
        .run()
        .await;
    report.assert_passes();
    report.assert_outcome(CheckId::SourceChanges, Outcome::Pass);
    let changes = report.get(CheckId::SourceChanges).unwrap().summary.clone().unwrap_or_default();
    assert!(changes.starts_with("1 contact changed, 1 arrived changed; 0 deleted; 0 of"), "{report}");
}

/// The example's bridge, 5 contacts a page, calling `base_url` (the service's own when `None`).
fn bridge(base_url: Option<String>) -> bridge::Bridge {
    let base_url = base_url.map(|url| bridge::http::BaseUrl::parse(&url).expect("a URL"));
    example::bridge(Config { contact_page_size: 5, base_url, ..test_config() }).expect("the bridge builds")
}

#[tokio::test]
async fn a_sync_during_which_zendesk_changed_replays_offline() {
    let (cassette, client) = crate::common::recording::replay(CASSETTE, bridge(None));
    let auth = json!({"account": "acme", "email": ADMIN_EMAIL, "token": "a-token-of-the-replay"});
    session(client, Arc::new(Upstream::Replaying), &auth).await;
    cassette.assert_all_used();
    // The rename is in the recording: a page after the first answers the new name.
    let text = std::fs::read_to_string(CASSETTE).unwrap();
    assert!(text.contains(NEW_NAME), "the cassette holds the renamed user");
    // The simulator's altered credentials were recorded as other credentials than the good ones.
    assert!(text.contains("<redacted #2>"), "two callers");
    crate::common::recording::assert_holds_none(CASSETTE, &[API_TOKEN, "127.0.0.1"]);
}

/// Records the cassette anew from the fake, and prints what changed in its answers.
#[tokio::test]
#[ignore = "re-records tests/cassettes/zendesk-changing.json from the fake: scripts/record-cassettes.sh"]
async fn record_the_cassette_from_the_fake() {
    let fake = Fake::sample(12);
    let server = fake.start().await.expect("the fake starts");
    let url = server.url();
    let upstream = Arc::new(Upstream::Recording { fake, server });
    let changes = rerecord(CASSETTE, |path| async move {
        let client = TestClient::new(bridge(Some(url)).record(path))
            .unwrap()
            .clock(TalkdeskDate::from_unix_timestamp(START).unwrap());
        let auth = json!({"account": "acme", "email": ADMIN_EMAIL, "token": API_TOKEN});
        session(client, upstream, &auth).await;
    })
    .await
    .expect("the cassette is written");
    println!("{changes}");
}
