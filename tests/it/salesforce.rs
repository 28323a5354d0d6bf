//! The Salesforce example (`examples/salesforce`), driven as Talkdesk would against its fake org on 127.0.0.1:
//! every endpoint; a sync with records changing, appearing and deleted between pages; lookups held to their round
//! trips by a fake that delays every call; both actions and a field Salesforce refuses; the daily budget's reserve;
//! the instance URL checked before any call; injections through every lookup field; every command the demo prints;
//! and `bridge-conformance` with `--url` and `--auth` only.

use crate::salesforce_example as example;

use bridge::http::BaseUrl;
use bridge::testing::{SyncTruth, TestClient};
use bridge::Contact;
use example::fake::{Fake, Fault, INSTANCE};
use example::Config;
use serde_json::{json, Value};
use std::time::Duration;

/// Small pages and short waits, calls to `fake_url`.
pub(crate) fn test_config(fake_url: &str) -> Config {
    Config {
        base_url: Some(BaseUrl::parse(fake_url).unwrap()),
        timeout: Duration::from_secs(2),
        max_retries: 2,
        call_budget: Duration::from_secs(5),
        deadline: Duration::from_secs(8),
        contact_page_size: 40,
        agent_page_size: 2,
        query_batch: 2000,
        commit_lag: Duration::ZERO,
        reserve_from_percent: 90,
        reserve_retry_after: Duration::from_secs(900),
    }
}

/// The fake (`contacts` sample Contacts), served; a client of the bridge pointed at it; `auth` with a fresh token.
async fn setup(
    contacts: usize,
    tweak: impl FnOnce(&mut Config),
) -> (Fake, example::fake::RunningFake, TestClient, Value) {
    let fake = Fake::sample(contacts);
    let server = fake.start().await.expect("the fake Salesforce starts");
    let mut config = test_config(&server.url());
    tweak(&mut config);
    let client = TestClient::new(example::bridge(config).expect("the bridge builds")).unwrap();
    let auth = json!({"access_token": fake.issue_token(&[]), "instance_url": INSTANCE});
    (fake, server, client, auth)
}

fn ids(value: &Value) -> Vec<String> {
    value.as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect()
}

fn types(value: &Value) -> Vec<String> {
    let mut types: Vec<String> =
        value.as_array().unwrap().iter().map(|i| i["type"].as_str().unwrap().to_owned()).collect();
    types.sort();
    types.dedup();
    types
}

const ALL: [&str; 3] = ["case", "task", "event"];

#[tokio::test]
async fn every_endpoint_answers_against_the_fake() {
    let (fake, _server, client, auth) = setup(60, |_| {}).await;
    client.auth_validation().auth(&auth).send().await.assert_status(204);

    let page = client.contact_sync().auth(&auth).send().await;
    page.assert_status(200);
    let page = page.raw_json().unwrap();
    assert_eq!(page["contacts"].as_array().unwrap().len(), 40, "{page}");
    assert!(page["next_offset"].is_string(), "{page}");
    let first = &page["contacts"][0];
    assert_eq!(first["company"], "Acme Corp", "{first}");
    assert!(first["url"].as_str().unwrap().starts_with("https://acme.my.salesforce.com/003"), "{first}");

    let contact = fake.records("Contact")[7].id().to_owned();
    let found =
        client.interaction_retrieval().auth(&auth).interaction_types(ALL).contact_external_id(&contact).send().await;
    let found = found.raw_json().unwrap();
    assert_eq!(types(&found), ["case", "event", "task"], "{found}");
    assert_eq!(ids(&found).len(), 1 + 3 + 1, "{found}");

    let agents = client.sync_all().auth(&auth).agents().await.unwrap();
    let names: Vec<&str> = agents.agents().iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names.len(), 4, "the active standard users: {names:?}");
    assert!(!names.contains(&"Rita Former") && !names.contains(&"Automated Process"), "{names:?}");

    let case = client
        .action("create_case")
        .auth(&auth)
        .meta(json!({"contact_external_id": contact}))
        .data(json!({"subject": "Call back", "priority": "high"}))
        .send()
        .await;
    case.assert_status(201);
    let call = client
        .action("log_call")
        .auth(&auth)
        .meta(json!({"contact_external_id": contact}))
        .data(json!({"subject": "Inbound call", "duration": 95}))
        .send()
        .await;
    call.assert_status(201);
    let task = fake.records("Task").into_iter().last().unwrap();
    assert_eq!(
        (&task.fields["TaskSubtype"], &task.fields["WhoId"], &task.fields["CallDurationInSeconds"]),
        (&json!("Call"), &json!(contact), &json!(95))
    );
    let case = fake.records("Case").into_iter().last().unwrap();
    assert_eq!((&case.fields["Priority"], &case.fields["ContactId"]), (&json!("High"), &json!(contact)));
}

/// The sync's truth: records changed, created and deleted between pages; every record that existed arrives, each
/// change arrives, the deleted one never; an incremental sync after it sends the changes and nothing unchanged twice.
#[tokio::test]
async fn a_sync_with_records_changing_between_pages_loses_nothing() {
    let (fake, _server, client, auth) = setup(120, |_| {}).await;
    let contacts = fake.records("Contact");
    let leads = fake.records("Lead");
    let deleted = contacts.last().unwrap().id().to_owned();
    let early = contacts[3].id().to_owned();
    let late = contacts[100].id().to_owned();
    let existed: Vec<String> =
        contacts.iter().chain(&leads).map(|r| r.id().to_owned()).filter(|id| *id != deleted).collect();
    let mut added = String::new();
    let synced = client
        .sync_all()
        .auth(&auth)
        .between_pages(|page| {
            if page == 1 {
                fake.update(&[&early, &late], |c| {
                    c.insert("Title".into(), json!("Changed mid-sync"));
                });
                fake.delete(&deleted);
                added = fake
                    .insert("Contact", json!({"FirstName": "New", "LastName": "Comer", "Email": "new@example.com"}));
            }
        })
        .contacts()
        .await
        .unwrap();
    assert!(synced.pages() >= 4, "{} pages", synced.pages());
    let truth = SyncTruth::new()
        .existed(existed)
        .changed(Contact::new(early.clone(), "").title("Changed mid-sync"))
        .changed(Contact::new(late.clone(), "").title("Changed mid-sync"));
    truth.assert(&synced);
    assert!(!synced.ids().contains(&deleted), "a record deleted in Salesforce is not sent");
    assert!(synced.ids().contains(&added), "a record created during the sync arrives");

    fake.update(&[&late], |c| {
        c.insert("Phone".into(), json!("+1 555 999 0000"));
    });
    let again = client.sync_all().auth(&auth).checkpoint(synced.checkpoint()).contacts().await.unwrap();
    assert!(again.ids().contains(&late), "{:?}", again.ids());
    assert!(again.repeated_unchanged().is_empty(), "{:?}", again.repeated_unchanged());
    assert!(again.ids().len() <= 4, "only what changed since (and the checkpoint's own instant): {:?}", again.ids());
}

/// A page larger than Salesforce's batch follows `nextRecordsUrl`, on the same instance.
#[tokio::test]
async fn a_page_larger_than_a_batch_follows_next_records_url() {
    let (fake, _server, client, auth) = setup(260, |c| (c.contact_page_size, c.query_batch) = (300, 200)).await;
    let synced = client.sync_all().auth(&auth).contacts().await.unwrap();
    assert_eq!(synced.ids().len(), 260 + 65);
    let followed = fake.requests().iter().filter(|c| c.path.starts_with("/services/data/v60.0/query/01g")).count();
    assert!(followed >= 1, "nextRecordsUrl was followed");
}

/// Each lookup against a fake that answers every call after 25 ms, held to its calls and round trips.
#[tokio::test]
async fn lookups_cost_one_round_trip_by_id_and_at_most_two_by_email_or_phone() {
    let (fake, _server, client, auth) = setup(30, |_| {}).await;
    let contact = fake.records("Contact")[7].clone();
    let lead = fake.records("Lead")[2].clone();
    fake.latency(Duration::from_millis(25));
    let lookup = |call: bridge::testing::Call<_>| async move {
        let response = call.send().await;
        let cost = response.upstream();
        (response.raw_json().unwrap(), cost.calls(), cost.round_trips())
    };
    let ask = || client.interaction_retrieval().auth(&auth).interaction_types(ALL);
    let by_id = lookup(ask().contact_external_id(contact.id())).await;
    assert_eq!((types(&by_id.0), by_id.1, by_id.2), (vec!["case".into(), "event".into(), "task".into()], 1, 1));
    let lead_by_id = lookup(ask().contact_external_id(lead.id())).await;
    assert_eq!((types(&lead_by_id.0), lead_by_id.1, lead_by_id.2), (vec!["task".into()], 1, 1));
    let by_email = lookup(ask().contact_email("nobody@example.com").contact_email("customer7@example.com")).await;
    assert_eq!((ids(&by_email.0), by_email.1, by_email.2), (ids(&by_id.0), 2, 1));
    let by_phone = lookup(ask().contact_phone("+1 (555) 010-0007")).await;
    assert_eq!((ids(&by_phone.0), by_phone.1, by_phone.2), (ids(&by_id.0), 2, 2));
    let both = lookup(ask().contact_email("nobody@example.com").contact_phone("+1 555 0200002")).await;
    assert_eq!((ids(&both.0), both.2), (ids(&lead_by_id.0), 2));
    let unknown = lookup(ask().contact_email("nobody@example.com")).await;
    assert_eq!((unknown.0, unknown.2), (json!([]), 1));

    // The other endpoints: one round trip each.
    let cost =
        |response: bridge::testing::TestResponse<_>| (response.upstream().calls(), response.upstream().round_trips());
    assert_eq!(cost(client.auth_validation().auth(&auth).send().await.cast::<Value>()), (1, 1));
    assert_eq!(cost(client.contact_sync().auth(&auth).send().await.cast::<Value>()), (2, 1));
    assert_eq!(cost(client.agent_sync().auth(&auth).send().await.cast::<Value>()), (1, 1));
    let case = client.action("create_case").auth(&auth).data(json!({"subject": "s"})).send().await;
    assert_eq!(cost(case.cast::<Value>()), (1, 1));
}

/// Salesforce's field errors as the bridge's `400` naming `data.<field>`; the bridge's own checks first.
#[tokio::test]
async fn a_field_salesforce_refuses_is_named() {
    let (fake, _server, client, auth) = setup(5, |_| {}).await;
    let contact = fake.records("Contact")[1].id().to_owned();
    let lead = fake.records("Lead")[0].id().to_owned();
    let act = |name: &str, meta: Value, data: Value| client.action(name).auth(&auth).meta(meta).data(data).send();
    let long = act("create_case", json!({"contact_external_id": contact}), json!({"subject": "x".repeat(300)})).await;
    long.assert_status(400);
    assert_eq!(long.error_fields(), ["data.subject"], "{}", long.text());
    assert!(long.text().contains("STRING_TOO_LONG"), "{}", long.text());
    let priority = act("create_case", json!({}), json!({"subject": "s", "priority": "urgent"})).await;
    assert_eq!(priority.error_fields(), ["data.priority"]);
    let on_lead = act("create_case", json!({"contact_external_id": lead}), json!({"subject": "s"})).await;
    assert_eq!(on_lead.error_fields(), ["meta.contact_external_id"]);
    let logged = act("log_call", json!({"contact_external_id": lead}), json!({"subject": "s", "duration": 5})).await;
    logged.assert_status(201);
    let gone = "003000000000000"; // a Contact id Salesforce does not know
    let unknown = act("log_call", json!({"contact_external_id": gone}), json!({"subject": "s"})).await;
    assert_eq!((unknown.status().as_u16(), unknown.error_fields()), (400, vec!["meta.contact_external_id".to_owned()]));
}

/// Past 90 % of the org's daily budget, sync pages wait (`503`, `Retry-After`) and lookups still run; a spent
/// budget (`REQUEST_LIMIT_EXCEEDED`) is never a `401`.
#[tokio::test]
async fn the_budget_reserve_keeps_the_rest_of_the_day_for_lookups() {
    let (fake, _server, client, auth) = setup(10, |_| {}).await;
    let contact = fake.records("Contact")[4].id().to_owned();
    let lookup = || client.interaction_retrieval().auth(&auth).interaction_types(ALL).contact_external_id(&contact);
    client.contact_sync().auth(&auth).send().await.assert_status(200);
    fake.api_usage(13_600, 15_000);
    lookup().send().await.assert_status(200); // Salesforce says 13,601 of 15,000
    let held = client.contact_sync().auth(&auth).send().await;
    held.assert_status(503);
    assert_eq!(held.header("retry-after"), Some("900"));
    assert!(held.text().contains("13601 of its 15000"), "{}", held.text());
    let before = fake.api_used();
    lookup().send().await.assert_status(200);
    assert_eq!(fake.api_used(), before + 1, "the lookup ran");

    fake.api_usage(15_000, 15_000);
    let spent = lookup().send().await;
    spent.assert_status(502);
    assert!(spent.text().contains("REQUEST_LIMIT_EXCEEDED") || spent.text().contains("budget"), "{}", spent.text());
    // The pacing now knows the budget is spent: nothing more is sent today.
    fake.clear_requests();
    client.auth_validation().auth(&auth).send().await.assert_status(502);
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}

/// The instance URL, from `auth` or from userinfo, is checked before anything is sent to it.
#[tokio::test]
async fn the_instance_url_is_checked_before_any_call() {
    let (fake, _server, client, auth) = setup(5, |_| {}).await;
    let token = auth["access_token"].clone();
    for foreign in
        ["https://evil.example", "http://acme.my.salesforce.com", "https://acme.my.salesforce.com.evil.example"]
    {
        let refused =
            client.auth_validation().auth(json!({"access_token": token, "instance_url": foreign})).send().await;
        assert_eq!(refused.status().as_u16(), 400, "{foreign}: {}", refused.text());
        assert_eq!(refused.error_fields(), ["auth.instance_url"]);
    }
    assert!(fake.requests().is_empty(), "nothing was sent: {:?}", fake.requests());

    // Without instance_url: userinfo once, then remembered for the token.
    let bare = json!({"access_token": token});
    client.auth_validation().auth(&bare).send().await.assert_status(204);
    client.auth_validation().auth(&bare).send().await.assert_status(204);
    let userinfo = fake.requests().iter().filter(|c| c.path == "/services/oauth2/userinfo").count();
    assert_eq!(userinfo, 1);

    // A userinfo that names a foreign host: nothing more is sent.
    fake.instance("https://evil.example");
    fake.clear_requests();
    let other = json!({"access_token": fake.issue_token(&[])});
    let refused = client.auth_validation().auth(&other).send().await;
    refused.assert_status(502);
    let paths: Vec<String> = fake.requests().iter().map(|c| c.path.clone()).collect();
    assert_eq!(paths, ["/services/oauth2/userinfo"]);
}

/// `INVALID_SESSION_ID` is `401`; a missing permission is a 4xx naming the object, never `401` outside validation.
#[tokio::test]
async fn only_a_refused_session_is_a_401() {
    let (fake, _server, client, auth) = setup(10, |_| {}).await;
    let contact = fake.records("Contact")[4].id().to_owned();
    let no_cases = json!({"access_token": fake.issue_token(&["Case"]), "instance_url": INSTANCE});
    let validation = client.auth_validation().auth(&no_cases).send().await;
    validation.assert_status(401);
    assert!(validation.text().contains("read and create Case"), "{}", validation.text());
    let lookup = client.interaction_retrieval().auth(&no_cases).interaction_types(ALL).contact_external_id(&contact);
    let refused = lookup.send().await;
    refused.assert_status(400);
    assert!(refused.text().contains("INVALID_TYPE") && refused.text().contains("Case"), "{}", refused.text());
    fake.expire_tokens();
    client.auth_validation().auth(&auth).send().await.assert_status(401);
    client.contact_sync().auth(&auth).send().await.assert_status(401);
    client.agent_sync().auth(&auth).send().await.assert_status(401);
}

/// A failing, garbled or slow Salesforce: the same answers as the other flagships.
#[tokio::test]
async fn faults_are_502_and_503s_are_retried() {
    let (fake, _server, client, auth) = setup(5, |_| {}).await;
    fake.inject(Fault::Unavailable);
    client.agent_sync().auth(&auth).send().await.assert_status(200);
    fake.inject(Fault::Garbage);
    client.agent_sync().auth(&auth).send().await.assert_status(502);
    for _ in 0..3 {
        fake.inject(Fault::ServerError);
    }
    client.agent_sync().auth(&auth).send().await.assert_status(502);
}

/// Every value a user controls, as an injection, through each lookup field: the query keeps its shape, and finds
/// nothing (spliced raw, `' OR Email != null OR Email = '` would find everyone).
#[tokio::test]
async fn injections_through_the_lookup_fields_are_inert() {
    let (_fake, _server, client, auth) = setup(10, |_| {}).await;
    let ask = || client.interaction_retrieval().auth(&auth).interaction_types(ALL);
    for email in
        ["x' OR Email != null OR Email = 'x@", "a@b\\' OR Email != null OR Email = \\'", "%@%", "_@_", "a@b\nc"]
    {
        let found = ask().contact_email(email).send().await;
        assert_eq!(
            (found.status().as_u16(), found.raw_json().unwrap()),
            (200, json!([])),
            "{email:?}: {}",
            found.text()
        );
    }
    for phone in ["5555} RETURNING User(Id) FIND {5555", "{*} OR {0100}", "0100*"] {
        let found = ask().contact_phone(phone).send().await;
        assert_eq!(found.status().as_u16(), 200, "{phone:?}: {}", found.text());
        assert!(found.raw_json().unwrap().as_array().unwrap().len() <= 6, "{phone:?}: {}", found.text());
    }
    let id = ask().contact_external_id("' OR Id != null OR Id = '").send().await;
    assert_eq!(id.raw_json().unwrap(), json!([]));
}

#[tokio::test]
async fn every_command_the_demo_prints_answers_as_it_says() {
    let demo = example::demo::start("127.0.0.1:0".parse().unwrap()).await.expect("the demo starts");
    let http = reqwest::Client::new();
    assert!(demo.commands.len() >= 14);
    for command in &demo.commands {
        let response = http.post(&command.url).json(&command.body).send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert_eq!(status, command.status, "{}\n{}\n{text}", command.title, command.curl());
    }
}

/// `bridge-conformance` as the demo prints it, `--url` and `--auth` only: every check runs and passes.
#[tokio::test]
async fn the_conformance_command_passes_against_the_demo() {
    use bridge_conformance::args::{parse_args, Command};
    let demo = example::demo::start("127.0.0.1:0".parse().unwrap()).await.expect("the demo starts");
    let args = demo.conformance.iter().cloned().chain(["--quiet".to_owned()]);
    let Ok(Command::Run(options)) = parse_args(args) else { panic!("the arguments parse") };
    let conformance = bridge_conformance::run(&options).await.expect("no usage error");
    let text = bridge_conformance::output::render(&conformance, options.format);
    assert!(conformance.passed(), "{text}");
}
