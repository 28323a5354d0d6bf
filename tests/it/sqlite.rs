//! The SQLite example (`examples/sqlite`) over real HTTP, against a real SQLite database: every endpoint, the
//! contact-sync guarantees when another writer changes the data between syncs, the database never blocking the
//! async workers, the Talkdesk simulator, and the example's binary (its command line and its documents).

use crate::sqlite_example as example;

use crate::common;

use crate::common::child::clean_command;
use bridge::testing::{ActionProbe, Simulator, TestClient};
use bridge::RunningBridge;
use common::schemas::assert_valid;
use common::{contact_ids, get, post, start, Answer};
use example::db::{Db, DEMO_API_KEY, DEMO_EMAIL};
use example::handlers::CONTACT_PAGE_SIZE;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

const CUSTOMERS: u32 = 250;

fn auth() -> Value {
    json!({"email": DEMO_EMAIL, "api_key": DEMO_API_KEY})
}

async fn setup() -> (Db, RunningBridge) {
    let db = Db::sample(CUSTOMERS).expect("the sample database");
    let bridge = start(example::bridge(db.clone())).await;
    (db, bridge)
}

async fn call(bridge: &RunningBridge, path: &str, meta: Value, data: Value) -> Answer {
    post(bridge, path, &json!({"auth": auth(), "meta": meta, "data": data}).to_string()).await
}

/// Every page of a sync from `checkpoint` (an initial sync when `None`): the pages, in order.
async fn sync(bridge: &RunningBridge, checkpoint: Option<&str>) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut offset: Option<String> = None;
    loop {
        let mut meta = json!({});
        if let Some(checkpoint) = checkpoint {
            meta["synchronization_checkpoint"] = json!(checkpoint);
        }
        if let Some(offset) = &offset {
            meta["offset"] = json!(offset);
        }
        let page = call(bridge, "/contact_sync", meta, json!({})).await.assert_json(200);
        offset = page.get("next_offset").map(|o| o.as_str().expect("a string offset").to_owned());
        pages.push(page);
        if offset.is_none() {
            return pages;
        }
        assert!(pages.len() <= 10, "the sync does not end");
    }
}

fn checkpoint(page: &Value) -> String {
    page["synchronization_checkpoint"].as_str().expect("a checkpoint").to_owned()
}

#[tokio::test]
async fn auth_validation_asks_the_agents_table() {
    let (_db, bridge) = setup().await;
    let answer = post(&bridge, "/auth_validation", &json!({"auth": auth()}).to_string()).await;
    assert_eq!(answer.status, 204, "{}", answer.text);
    // The email is not case-sensitive; the key is.
    let other_case = json!({"auth": {"email": "John.Doe@Example.com", "api_key": DEMO_API_KEY}});
    assert_eq!(post(&bridge, "/auth_validation", &other_case.to_string()).await.status, 204);
    let wrong = json!({"auth": {"email": DEMO_EMAIL, "api_key": "605B32DD"}});
    let answer = post(&bridge, "/auth_validation", &wrong.to_string()).await;
    answer.assert_json(401);
    assert!(!answer.text.contains("605B32DD"), "{}", answer.text);
    let missing = post(&bridge, "/auth_validation", &json!({"auth": {"email": DEMO_EMAIL}}).to_string()).await;
    missing.assert_json(400);
    assert_eq!(missing.fields(), ["auth.api_key"]);
}

#[tokio::test]
async fn wrong_credentials_are_a_401_on_every_endpoint() {
    let (_db, bridge) = setup().await;
    let wrong = json!({"email": "ada.admin@example.com", "api_key": DEMO_API_KEY}); // another agent's key
    for (path, meta, data) in [
        ("/contact_sync", json!({}), json!({})),
        ("/interaction_update", json!({"interaction_types": ["case"]}), json!({"contact_external_id": "1"})),
        ("/actions/create_case", json!({"contact_external_id": "1"}), json!({"subject": "s", "description": "d"})),
        ("/agent_sync", json!({}), json!({})),
    ] {
        let body = json!({"auth": wrong, "meta": meta, "data": data}).to_string();
        assert_eq!(post(&bridge, path, &body).await.status, 401, "{path}");
    }
}

#[tokio::test]
async fn an_initial_sync_sends_every_customer_once_in_pages() {
    let (_db, bridge) = setup().await;
    let pages = sync(&bridge, None).await;
    assert_eq!(pages.len(), (CUSTOMERS as usize).div_ceil(CONTACT_PAGE_SIZE as usize));
    let ids: Vec<String> = pages.iter().flat_map(contact_ids).collect();
    assert_eq!(ids.len(), CUSTOMERS as usize);
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len(), "an id is sent twice");
    let checkpoints: Vec<i64> = pages.iter().map(|p| checkpoint(p).parse().unwrap()).collect();
    assert!(checkpoints.windows(2).all(|w| w[0] < w[1]), "{checkpoints:?}");
    let jane = &pages[0]["contacts"][2];
    assert_eq!(jane["name"], "Customer 3");
    assert_eq!(jane["emails"], json!(["customer3@example.com"]));
    assert_eq!(jane["phones"], json!(["+15550000003"]));
    assert_eq!(jane["company"], "Company 3");
}

#[tokio::test]
async fn an_incremental_sync_sends_exactly_what_another_writer_changed() {
    let (db, bridge) = setup().await;
    let end = checkpoint(sync(&bridge, None).await.last().unwrap());
    // Nothing changed: no contacts, and the same checkpoint.
    let pages = sync(&bridge, Some(&end)).await;
    assert_eq!(pages.len(), 1);
    assert_eq!(contact_ids(&pages[0]), Vec::<String>::new());
    assert_eq!(checkpoint(&pages[0]), end);
    // The help desk's own application writes, as the bridge never does.
    {
        let c = db.lock();
        c.execute("UPDATE customers SET phone = '+15559999999' WHERE id = 200", []).unwrap();
        c.execute("UPDATE customers SET name = 'Customer Seven' WHERE id = 7", []).unwrap();
        c.execute("INSERT INTO customers (name, email) VALUES ('New Customer', 'new@example.com')", []).unwrap();
        // A write to no column Talkdesk sees is not a change.
        c.execute("UPDATE customers SET revision = revision WHERE id = 9", []).unwrap();
    }
    let pages = sync(&bridge, Some(&end)).await;
    let changed: Vec<String> = pages.iter().flat_map(contact_ids).collect();
    assert_eq!(changed, ["200", "7", &(CUSTOMERS + 1).to_string()], "in the order of the changes");
    let next = checkpoint(pages.last().unwrap());
    assert!(next.parse::<i64>().unwrap() > end.parse::<i64>().unwrap());
    assert_eq!(contact_ids(&sync(&bridge, Some(&next)).await[0]), Vec::<String>::new());
}

#[tokio::test]
async fn a_checkpoint_or_offset_this_bridge_did_not_write_is_a_400_naming_it() {
    let (_db, bridge) = setup().await;
    let answer = call(&bridge, "/contact_sync", json!({"synchronization_checkpoint": "yesterday"}), json!({})).await;
    answer.assert_json(400);
    assert_eq!(answer.fields(), ["meta.synchronization_checkpoint"]);
    let answer = call(&bridge, "/contact_sync", json!({"offset": "-3"}), json!({})).await;
    assert_eq!(answer.fields(), ["meta.offset"]);
    let answer = call(&bridge, "/agent_sync", json!({"offset": "x"}), json!({})).await;
    assert_eq!(answer.fields(), ["meta.offset"]);
}

#[tokio::test]
async fn a_contacts_cases_are_found_by_id_then_email_then_phone() {
    let (_db, bridge) = setup().await;
    let cases = |data: Value| {
        let bridge = &bridge;
        async move { call(bridge, "/interaction_update", json!({"interaction_types": ["case"]}), data).await }
    };
    // Customer 7 has 3 cases (n % 4), newest first.
    let by_id = cases(json!({"contact_external_id": "7"})).await.assert_json(200);
    let subjects: Vec<&str> = by_id.as_array().unwrap().iter().map(|i| i["subject"].as_str().unwrap()).collect();
    assert_eq!(subjects, ["Case 2 of customer 7", "Case 1 of customer 7", "Case 0 of customer 7"]);
    let first = &by_id[2];
    assert_eq!(first["type"], "case");
    assert_eq!(first["status"], "new");
    assert_eq!(first["priority"], "normal");
    assert_eq!(first["date"], "2024-01-01 07:00:00 UTC");
    assert_eq!(by_id[1]["priority"], "none");
    // An unknown id falls back to the email, then the phone.
    assert_eq!(
        cases(json!({"contact_external_id": "99999", "contact_emails": ["CUSTOMER7@example.com"]})).await.json(),
        by_id
    );
    assert_eq!(
        cases(json!({"contact_emails": ["nobody@example.com"], "contact_phones": ["+15550000007"]})).await.json(),
        by_id
    );
    assert_eq!(cases(json!({"contact_name": "Customer 7"})).await.assert_json(200), json!([]));
    let notes = call(
        &bridge,
        "/interaction_update",
        json!({"interaction_types": ["note"]}),
        json!({"contact_external_id": "7"}),
    );
    assert_eq!(notes.await.assert_json(200), json!([]));
}

#[tokio::test]
async fn create_case_opens_a_case_the_contact_then_shows() {
    let (_db, bridge) = setup().await;
    let inputs =
        json!({"subject": "Call missed", "description": "A call from Customer 4 was missed.", "priority": "high"});
    let answer = call(
        &bridge,
        "/actions/create_case",
        json!({"contact_external_id": "4", "agent_external_id": "2"}),
        inputs.clone(),
    )
    .await;
    let outcome = answer.assert_json(201);
    let id = outcome["external_id"].as_str().expect("the case's id").to_owned();
    assert_eq!(outcome["message"], format!("Case {id} created"));
    let cases = call(
        &bridge,
        "/interaction_update",
        json!({"interaction_types": ["case"]}),
        json!({"contact_external_id": "4"}),
    )
    .await
    .assert_json(200);
    assert_eq!(cases[0]["id"], id.as_str(), "the newest case comes first: {cases:#}");
    assert_eq!(cases[0]["priority"], "high");
    assert_eq!(cases[0]["status"], "new");

    // Without a contact, with a contact that does not exist, without a subject.
    let answer = call(&bridge, "/actions/create_case", json!({}), inputs.clone()).await;
    answer.assert_json(400);
    assert_eq!(answer.fields(), ["meta.contact_external_id"]);
    let answer = call(&bridge, "/actions/create_case", json!({"contact_external_id": "99999"}), inputs).await;
    assert_eq!(answer.assert_json(400)["message"], "there is no customer 99999");
    let answer =
        call(&bridge, "/actions/create_case", json!({"contact_external_id": "4"}), json!({"description": "d"})).await;
    assert_eq!(answer.fields(), ["data.subject"]);
}

#[tokio::test]
async fn agents_are_the_agents_table() {
    let (_db, bridge) = setup().await;
    let page = call(&bridge, "/agent_sync", json!({}), json!({})).await.assert_json(200);
    assert_eq!(
        page,
        json!({"agents": [
            {"id": "1", "name": "John Doe", "email": "john.doe@example.com"},
            {"id": "2", "name": "Ada Admin", "email": "ada.admin@example.com"},
        ]})
    );
}

/// The point of `Db::call`: a request waiting for the database waits on the blocking pool, and the runtime
/// (here a single thread, where an inline blocking call would stall everything) keeps answering.
#[tokio::test(flavor = "current_thread")]
async fn a_request_waiting_for_the_database_does_not_block_the_others() {
    let (db, bridge) = setup().await;
    let (locked, release) = (std::sync::mpsc::channel::<()>(), std::sync::mpsc::channel::<()>());
    let holder = std::thread::spawn({
        let db = db.clone();
        move || {
            let _guard = db.lock(); // another writer holding the connection
            locked.0.send(()).unwrap();
            // Released by the test, or after 3 s, so that a bridge that blocks its runtime fails the test
            // rather than hanging it.
            let _ = release.1.recv_timeout(Duration::from_secs(3));
        }
    });
    locked.1.recv().unwrap();
    let url = bridge.url();
    let waiting = tokio::spawn(async move {
        let body = json!({"auth": auth(), "meta": {}}).to_string();
        reqwest::Client::new()
            .post(format!("{url}/contact_sync"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
            .status()
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let asked = std::time::Instant::now();
    assert_eq!(get(&bridge, "/health").await.status, 200);
    assert!(asked.elapsed() < Duration::from_secs(1), "/health waited {:?} for the database", asked.elapsed());
    assert!(!waiting.is_finished(), "the sync waits for the database");
    let _ = release.0.send(());
    holder.join().unwrap();
    assert_eq!(waiting.await.unwrap(), 200);
}

#[tokio::test]
async fn the_talkdesk_simulator_passes() {
    let (_db, bridge) = setup().await;
    let report = Simulator::new(TestClient::http(bridge.url()), auth())
        .interaction_types(["case"])
        .action(ActionProbe::new("create_case").contact_external_id("3").data(json!({
            "subject": "Call missed",
            "description": "A call from Customer 3 was missed."
        })))
        .run()
        .await;
    report.assert_passes();
}

#[tokio::test]
async fn a_database_file_is_created_with_its_schema_and_kept() {
    let path = std::env::temp_dir().join(format!("bridge-sqlite-example-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    {
        let db = Db::open(&path).expect("a new database file");
        db.seed(3).unwrap();
    }
    let db = Db::open(&path).expect("the same file, opened again");
    let bridge = start(example::bridge(db)).await;
    let pages = sync(&bridge, None).await;
    assert_eq!(contact_ids(&pages[0]), ["1", "2", "3"]);
    let _ = std::fs::remove_file(&path);
}

/// The example's binary, as `cargo test` builds it (`target/<profile>/examples/sqlite`).
fn example_binary() -> PathBuf {
    let test_binary = std::env::current_exe().expect("the test binary's path");
    let profile_dir = test_binary.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps");
    let binary = profile_dir.join("examples").join(format!("sqlite{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: `cargo test` builds the examples; alone, this test needs `cargo build --example sqlite`",
        binary.display()
    );
    binary
}

#[test]
fn the_command_line_prints_the_version_the_help_and_the_documents() {
    let run = |args: &[&str]| clean_command(example_binary()).args(args).output().unwrap();
    let version = run(&["--version"]);
    assert!(version.status.success());
    assert_eq!(String::from_utf8_lossy(&version.stdout), format!("sqlite {}\n", env!("CARGO_PKG_VERSION")));
    let help = run(&["--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("SQLITE_DATABASE"));

    let output = run(&["configuration", "--public-url", "https://desk-bridge.example.com"]);
    assert!(output.status.success(), "{output:?}");
    let documents: Value = serde_json::from_slice(&output.stdout).expect("stdout is the documents' JSON");
    assert_valid("integration", &documents["integration"]);
    assert_eq!(
        documents["integration"]["contact_synchronization_endpoint"],
        "https://desk-bridge.example.com/contact_sync"
    );
    assert_eq!(documents["integration"]["authentication_configuration"][1]["api_key"]["display"], "API key");
    assert_valid("action", &documents["actions"][0]);
    assert_eq!(documents["actions"][0]["description"], "open a case for the contact");

    let usage = run(&["configuration"]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(usage.stdout.is_empty());
}
