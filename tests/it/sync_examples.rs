//! The examples' contact and agent syncs followed with the test kit (`TestClient::sync_all`) while their source
//! changes, and checked against the source's truth (`SyncTruth`): the SQLite example over a real SQLite database,
//! the HubSpot example over its stateful fake HubSpot on 127.0.0.1 (a sync past its 10,000-result search
//! limit).

use crate::sqlite_example;

use crate::hubspot_example;

use bridge::http::BaseUrl;
use bridge::testing::{SyncTruth, TestClient};
use bridge::Contact;
use serde_json::json;

#[tokio::test]
async fn the_sqlite_example_loses_nothing_while_another_writer_changes_customers() {
    let db = sqlite_example::db::Db::sample(250).expect("the sample database");
    let client = TestClient::new(sqlite_example::bridge(db.clone())).unwrap();
    let auth = json!({"email": sqlite_example::db::DEMO_EMAIL, "api_key": sqlite_example::db::DEMO_API_KEY});
    let writer = db.clone();
    let synced = client
        .sync_all()
        .auth(&auth)
        .between_pages(move |page| {
            if page == 1 {
                // One customer already sent, one not yet, and a new one.
                let c = writer.lock();
                c.execute("UPDATE customers SET name = 'Ada Early' WHERE id = 7", []).unwrap();
                c.execute("UPDATE customers SET company = 'Late Corp' WHERE id = 240", []).unwrap();
                c.execute("INSERT INTO customers (name) VALUES ('Nina New')", []).unwrap();
            }
        })
        .contacts()
        .await
        .unwrap();
    SyncTruth::new()
        .existed((1..=250).map(|n| n.to_string()))
        .changed(Contact::new("7", "Ada Early"))
        .changed(Contact::new("240", "").company("Late Corp"))
        .changed(Contact::new("251", "Nina New"))
        .assert(&synced);
    assert_eq!(synced.pages(), 3);
    assert!(synced.repeated_unchanged().is_empty());

    // Nothing changed since: an incremental sync is one empty page that keeps the checkpoint.
    let idle = client.sync_all().auth(&auth).checkpoint(synced.checkpoint()).contacts().await.unwrap();
    assert_eq!((idle.pages(), idle.ids().len(), idle.checkpoint()), (1, 0, synced.checkpoint()));

    let agents = client.sync_all().auth(&auth).agents().await.unwrap();
    assert_eq!(agents.ids().len(), 2);

    // The truth checker is not a rubber stamp: a change that did not arrive is reported.
    let wrong = SyncTruth::new().existed(["999"]).changed(Contact::new("8", "Someone Else"));
    assert_eq!(wrong.check(&synced).unwrap_err().len(), 2);
}

#[tokio::test]
async fn the_hubspot_example_sends_every_contact_and_every_change_made_during_the_sync() {
    let fake = hubspot_example::fake::Fake::sample(12_000);
    let server = fake.start().await.expect("the fake HubSpot starts");
    let config = hubspot_example::Config {
        base_url: Some(BaseUrl::parse(&server.url()).unwrap()),
        ..crate::hubspot::test_config()
    };
    let client = TestClient::new(hubspot_example::bridge(config).expect("the bridge builds")).unwrap();
    let auth = json!({"access_token": fake.issue_token(&hubspot_example::fake::ALL_SCOPES)});
    let before: Vec<String> = fake.contacts().iter().map(|c| c.id.to_string()).collect();
    let first = hubspot_example::fake::FIRST_CONTACT;
    let changer = fake.clone();
    let synced = client
        .sync_all()
        .auth(&auth)
        .between_pages(move |page| {
            if page == 20 {
                changer.update_contacts(&[first + 5, first + 11_000], |c| c.jobtitle = Some("CEO".into()));
            }
        })
        .contacts()
        .await
        .unwrap();
    let ceo = |id: u64| Contact { title: Some("CEO".into()), ..Contact::new(id.to_string(), "") };
    SyncTruth::new().existed(before).changed(ceo(first + 5)).changed(ceo(first + 11_000)).assert(&synced);
    assert!(synced.repeated_unchanged().is_empty(), "{:?}", synced.repeated_unchanged());
    assert!(synced.pages() > 12_000 / 200, "past the search limit: {} pages", synced.pages());
}
