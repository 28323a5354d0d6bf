//! The Talkdesk simulator against deliberately broken bridges, one fault each, and against the minimal example
//! (in process, and over HTTP through the conformance command's own code, `bridge-conformance`).
//!
//! Each fault test asserts that exactly the checks the fault breaks fail, with a reason that points at it. Faults the
//! typed API can produce are `#[bridge::…]` handlers; malformed shapes it cannot produce are hand-written warp
//! filters, called in process or served on 127.0.0.1 and reached over HTTP.

use crate::minimal;

use bridge::testing::{ActionProbe, CheckId, Outcome, Report, Simulator, TestClient};
use bridge::{
    Agent, AgentPage, AgentSyncMeta, Auth, Bridge, Contact, ContactPage, ContactSyncMeta, Data, Error, Interaction,
    InteractionData, Secret, TalkdeskDate,
};
use bridge_conformance::args::{parse_args, Command, Format};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use warp::filters::path::FullPath;
use warp::Filter;

// --- Test bridges' shared parts --------------------------------------------------------------------------------

/// The credentials of every test bridge: `{"token": "good"}` works, anything else is a 401.
#[derive(Debug, Deserialize)]
struct Token {
    token: String,
}

fn check(token: &Token) -> Result<(), Error> {
    if token.token == "good" {
        Ok(())
    } else {
        Err(Error::credentials_rejected())
    }
}

fn auth() -> Value {
    json!({"token": "good"})
}

/// `2024-01-01 00:00:00 UTC` plus `seconds`.
fn at(seconds: i64) -> TalkdeskDate {
    TalkdeskDate::from_unix_timestamp(1_704_067_200 + seconds).unwrap()
}

/// A correct answer to an incremental sync where nothing changed: no contacts, the same checkpoint.
fn unchanged(meta: &ContactSyncMeta) -> Option<ContactPage> {
    meta.situation.checkpoint().map(|checkpoint| ContactPage::new(Vec::new(), checkpoint))
}

fn simulator(bridge: Bridge) -> Simulator {
    Simulator::new(TestClient::new(bridge).expect("the test bridge builds"), auth())
}

/// Asserts that exactly the checks `expected` failed.
#[track_caller]
fn assert_failed_exactly(report: &Report, expected: &[CheckId]) {
    let failed: BTreeSet<String> = report.failures().map(|c| format!("{:?}", c.id)).collect();
    let expected: BTreeSet<String> = expected.iter().map(|id| format!("{id:?}")).collect();
    assert_eq!(failed, expected, "\n{report}");
}

// --- Hand-written bridges, for shapes the typed API cannot produce ---------------------------------------------

/// What a hand-written endpoint answers.
struct Raw {
    status: u16,
    content_type: &'static str,
    body: String,
}

impl Raw {
    fn json(status: u16, body: Value) -> Option<Self> {
        Some(Raw { status, content_type: "application/json", body: body.to_string() })
    }
}

/// A bridge written by hand: `answer(path, request)`, `404` where it answers `None`, `401` without the good token.
fn raw_bridge<F>(answer: F) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone
where
    F: Fn(&str, &Value) -> Option<Raw> + Clone + Send + Sync + 'static,
{
    warp::post().and(warp::path::full()).and(warp::body::json::<Value>()).map(move |path: FullPath, request: Value| {
        let raw = match answer(path.as_str(), &request) {
            None => Raw { status: 404, content_type: "application/json", body: r#"{"message":"not found"}"#.into() },
            Some(_) if request["auth"]["token"] != "good" => {
                Raw { status: 401, content_type: "application/json", body: r#"{"message":"bad token"}"#.into() }
            }
            Some(raw) => raw,
        };
        warp::http::Response::builder()
            .status(raw.status)
            .header("content-type", raw.content_type)
            .body(raw.body.into())
            .unwrap()
    })
}

/// Serves a hand-written bridge on a free loopback port; its URL.
async fn serve(
    filter: impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone + Send + Sync + 'static,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(warp::serve(filter).incoming(listener).run());
    url
}

/// The `meta` of a request.
fn meta<'a>(request: &'a Value, key: &str) -> &'a Value {
    &request["meta"][key]
}

// --- Contact synchronization ------------------------------------------------------------------------------------

#[bridge::contact_retriever]
async fn duplicate_ids(Auth(token): Auth<Token>, meta: ContactSyncMeta) -> Result<ContactPage, Error> {
    check(&token)?;
    if let Some(page) = unchanged(&meta) {
        return Ok(page);
    }
    Ok(match meta.situation.offset() {
        None => ContactPage::new(vec![Contact::new("1", "Ann"), Contact::new("2", "Bob")], at(2).to_string())
            .next_offset("2"),
        Some(_) => ContactPage::new(vec![Contact::new("2", "Bob"), Contact::new("3", "Cy")], at(3).to_string()),
    })
}

#[tokio::test]
async fn catches_duplicate_contact_ids() {
    let report = simulator(Bridge::new().endpoint(duplicate_ids {})).run().await;
    assert_failed_exactly(&report, &[CheckId::InitialSyncIds]);
    report.assert_fails(CheckId::InitialSyncIds, "id \"2\" on page 2 was already sent on page 1");
}

/// Bob changed while the sync paged (a new email), and comes again on page 2 with it, as `sync::Window` sends him.
#[bridge::contact_retriever]
async fn changed_repeat(Auth(token): Auth<Token>, meta: ContactSyncMeta) -> Result<ContactPage, Error> {
    check(&token)?;
    if let Some(page) = unchanged(&meta) {
        return Ok(page);
    }
    Ok(match meta.situation.offset() {
        None => ContactPage::new(vec![Contact::new("1", "Ann"), Contact::new("2", "Bob")], at(2).to_string())
            .next_offset("2"),
        Some(_) => ContactPage::new(
            vec![Contact::new("2", "Bob").email("bob@new.example.com"), Contact::new("3", "Cy")],
            at(3).to_string(),
        ),
    })
}

#[tokio::test]
async fn a_contact_sent_again_with_a_change_is_not_a_duplicate() {
    let report = simulator(Bridge::new().endpoint(changed_repeat {})).run().await;
    report.assert_outcome(CheckId::InitialSyncIds, bridge::testing::Outcome::Pass);
    let ids = report.get(CheckId::InitialSyncIds).unwrap();
    assert_eq!(
        ids.summary.as_deref(),
        Some("3 distinct ids, 1 contact sent again on a later page with a change (Talkdesk keeps the last)"),
        "{report}"
    );
}

#[bridge::contact_retriever]
async fn one_contact(Auth(token): Auth<Token>, meta: ContactSyncMeta) -> Result<ContactPage, Error> {
    check(&token)?;
    if let Some(page) = unchanged(&meta) {
        return Ok(page);
    }
    Ok(ContactPage::new(vec![Contact::new("1", "Ann")], at(2).to_string()))
}

/// With the endpoints the configuration declares, an undeclared one is not called, and a declared one that answers
/// `404` fails (Talkdesk would call it) instead of being taken as not served.
#[tokio::test]
async fn only_declared_endpoints_are_called_and_each_declared_one_must_answer() {
    let report = simulator(Bridge::new().endpoint(one_contact {}))
        .declared_endpoints([bridge::EndpointKind::ContactSync, bridge::EndpointKind::AgentSync])
        .run()
        .await;
    assert_failed_exactly(&report, &[CheckId::AgentPages]);
    report.assert_fails(CheckId::AgentPages, "page 1 answered 404 Not Found");
    let auth = report.get(CheckId::AuthAccepted).unwrap();
    assert_eq!(auth.outcome, Outcome::Skip, "{report}");
    assert_eq!(auth.reasons, ["not declared: the integration's configuration has no `auth_validation_endpoint`"]);
    report.assert_outcome(CheckId::InteractionAnswers, Outcome::Skip);
    report.assert_outcome(CheckId::InitialSyncPages, Outcome::Pass);
    // The rejected-credentials round leaves out the agent sync, which answered 404.
    let rejected = report.get(CheckId::RejectedEverywhere).unwrap().summary.clone().unwrap_or_default();
    assert!(rejected.starts_with("1 endpoint asked (contact sync)"), "{rejected}");
}

#[bridge::contact_retriever]
async fn empty_id(Auth(token): Auth<Token>, meta: ContactSyncMeta) -> Result<ContactPage, Error> {
    check(&token)?;
    Ok(unchanged(&meta).unwrap_or_else(|| {
        ContactPage::new(vec![Contact::new("1", "Ann"), Contact::new("", "Nobody")], at(1).to_string())
    }))
}

#[tokio::test]
async fn catches_an_empty_contact_id() {
    let report = simulator(Bridge::new().endpoint(empty_id {})).run().await;
    assert_failed_exactly(&report, &[CheckId::InitialSyncIds]);
    report.assert_fails(CheckId::InitialSyncIds, "page 1, contact #2 has an empty `id`");
}

fn contacts_answer(answer: fn(&Value) -> Value) -> impl Fn(&str, &Value) -> Option<Raw> + Clone + Send + Sync {
    move |path, request| {
        (path == "/contact_sync").then(|| {
            let checkpoint = meta(request, "synchronization_checkpoint");
            let body = if checkpoint.is_string() {
                json!({"contacts": [], "synchronization_checkpoint": checkpoint})
            } else {
                answer(request)
            };
            Raw::json(200, body).unwrap()
        })
    }
}

#[tokio::test]
async fn catches_missing_and_mistyped_contact_fields() {
    let bridge = raw_bridge(contacts_answer(|_| {
        json!({"contacts": [{"id": "1"}, {"id": "2", "name": "Bob", "emails": "bob@example.com"}, {"name": "No id"}],
               "synchronization_checkpoint": "2024-01-01 00:00:01 UTC"})
    }));
    let report = Simulator::new(TestClient::from_service(warp::service(bridge)), auth()).run().await;
    assert_failed_exactly(&report, &[CheckId::InitialSyncFields, CheckId::InitialSyncIds]);
    report.assert_fails(CheckId::InitialSyncFields, "page 1, contact #1 (id \"1\") has no `name` (mandatory)");
    report.assert_fails(CheckId::InitialSyncFields, "contact #2 (id \"2\"): `emails` is a string, not an array");
    report.assert_fails(CheckId::InitialSyncIds, "page 1, contact #3 has no `id`");
}

#[tokio::test]
async fn catches_a_missing_checkpoint_over_http() {
    let url = serve(raw_bridge(contacts_answer(|_| json!({"contacts": [{"id": "1", "name": "Ann"}]})))).await;
    let report = Simulator::new(TestClient::http(&url), auth()).run().await;
    assert_failed_exactly(&report, &[CheckId::InitialSyncCheckpoint]);
    report.assert_fails(CheckId::InitialSyncCheckpoint, "page 1 has no synchronization_checkpoint");
    report.assert_outcome(CheckId::IncrementalSyncPages, Outcome::Skip);
    assert_eq!(report.target(), url);
}

#[bridge::contact_retriever]
async fn checkpoint_backwards(Auth(token): Auth<Token>, meta: ContactSyncMeta) -> Result<ContactPage, Error> {
    check(&token)?;
    Ok(match (meta.situation.checkpoint(), meta.situation.offset()) {
        // The incremental sync answers a checkpoint before the one it was given.
        (Some(_), _) => ContactPage::new(Vec::new(), at(-3600).to_string()),
        (None, None) => ContactPage::new(vec![Contact::new("1", "Ann")], at(5).to_string()).next_offset("1"),
        (None, Some(_)) => ContactPage::new(vec![Contact::new("2", "Bob")], at(2).to_string()),
    })
}

#[tokio::test]
async fn catches_a_checkpoint_moving_backwards() {
    let report = simulator(Bridge::new().endpoint(checkpoint_backwards {})).run().await;
    assert_failed_exactly(&report, &[CheckId::InitialSyncCheckpoint, CheckId::IncrementalSyncCheckpoint]);
    report.assert_fails(
        CheckId::InitialSyncCheckpoint,
        "page 2: the checkpoint moved backwards, to \"2024-01-01 00:00:02 UTC\" from \"2024-01-01 00:00:05 UTC\" \
         (page 1)",
    );
    report.assert_fails(CheckId::IncrementalSyncCheckpoint, "(the checkpoint the sync started from)");
}

#[bridge::contact_retriever]
async fn offset_loop(Auth(token): Auth<Token>, meta: ContactSyncMeta) -> Result<ContactPage, Error> {
    check(&token)?;
    if let Some(page) = unchanged(&meta) {
        return Ok(page);
    }
    // Always "1": the second page announces itself again.
    let id = meta.situation.offset().unwrap_or("0").to_owned();
    Ok(ContactPage::new(vec![Contact::new(id, "Someone")], at(1).to_string()).next_offset("1"))
}

#[tokio::test]
async fn catches_an_offset_that_repeats() {
    let report = simulator(Bridge::new().endpoint(offset_loop {})).run().await;
    assert_failed_exactly(&report, &[CheckId::InitialSyncEnds]);
    report.assert_fails(
        CheckId::InitialSyncEnds,
        "page 2 returned next_offset \"1\" again (first returned by page 1): Talkdesk would loop forever",
    );
}

#[bridge::contact_retriever]
async fn endless(Auth(token): Auth<Token>, meta: ContactSyncMeta) -> Result<ContactPage, Error> {
    check(&token)?;
    if let Some(page) = unchanged(&meta) {
        return Ok(page);
    }
    let n: i64 = meta.situation.offset().map_or(0, |o| o.parse().unwrap());
    Ok(ContactPage::new(vec![Contact::new(n.to_string(), "Someone")], at(n).to_string())
        .next_offset((n + 1).to_string()))
}

#[tokio::test]
async fn catches_more_pages_than_the_bound() {
    let report = simulator(Bridge::new().endpoint(endless {})).max_pages(5).run().await;
    assert_failed_exactly(&report, &[CheckId::InitialSyncEnds]);
    report.assert_fails(CheckId::InitialSyncEnds, "still a next_offset (\"5\") after 5 pages, the bound");
}

// --- Interaction retrieval --------------------------------------------------------------------------------------

#[bridge::interaction_retriever]
async fn unrequested_type(Auth(token): Auth<Token>) -> Result<Vec<Interaction>, Error> {
    check(&token)?;
    Ok(vec![Interaction::new("1", "case", "Broken", at(0)), Interaction::new("2", "email", "Hello", at(1))])
}

#[tokio::test]
async fn catches_an_interaction_type_that_was_not_requested() {
    let report = simulator(Bridge::new().endpoint(unrequested_type {})).run().await;
    assert_failed_exactly(&report, &[CheckId::InteractionTypes]);
    report.assert_fails(
        CheckId::InteractionTypes,
        "interaction #2 (id \"2\"): type \"email\" was not requested (asked for case, note)",
    );
}

#[bridge::interaction_retriever]
async fn ignores_the_filter(Auth(token): Auth<Token>) -> Result<Vec<Interaction>, Error> {
    check(&token)?;
    Ok(vec![Interaction::new("1", "case", "Broken", at(0)), Interaction::new("2", "note", "Called", at(1))])
}

#[tokio::test]
async fn catches_a_bridge_that_ignores_interaction_types() {
    let report = simulator(Bridge::new().endpoint(ignores_the_filter {})).run().await;
    assert_failed_exactly(&report, &[CheckId::InteractionTypes]);
    report.assert_fails(
        CheckId::InteractionTypes,
        "lookup for type \"case\" only: interaction #2 (id \"2\") has type \"note\": the bridge ignores",
    );
}

#[bridge::interaction_retriever]
async fn duplicate_interactions(Auth(token): Auth<Token>) -> Result<Vec<Interaction>, Error> {
    check(&token)?;
    Ok(vec![Interaction::new("7", "case", "Broken", at(0)), Interaction::new("7", "case", "Broken again", at(1))])
}

#[tokio::test]
async fn catches_duplicate_interaction_ids() {
    let report = simulator(Bridge::new().endpoint(duplicate_interactions {})).run().await;
    assert_failed_exactly(&report, &[CheckId::InteractionIds]);
    report.assert_fails(CheckId::InteractionIds, "id \"7\" appears twice");
}

#[tokio::test]
async fn catches_bad_dates_priorities_and_statuses() {
    let bridge = raw_bridge(|path, _| {
        (path == "/interaction_update").then(|| {
            Raw::json(
                200,
                json!([
                    {"id": "1", "subject": "ISO date", "date": "2012-11-21T17:53:51Z", "type": "case"},
                    {"id": "2", "subject": "No date", "type": "case", "priority": "critical", "status": "archived"},
                    {"id": "3", "date": "2012-11-21 17:53:51 UTC", "type": "case", "status": 3}
                ]),
            )
            .unwrap()
        })
    });
    let report = Simulator::new(TestClient::from_service(warp::service(bridge)), auth()).run().await;
    assert_failed_exactly(&report, &[CheckId::InteractionFields, CheckId::InteractionValues]);
    report.assert_fails(
        CheckId::InteractionFields,
        "interaction #1 (id \"1\"): `date` \"2012-11-21T17:53:51Z\" is not in the format `YYYY-MM-DD HH:MM:SS UTC`",
    );
    report.assert_fails(CheckId::InteractionFields, "interaction #2 (id \"2\") has no `date` (mandatory)");
    report.assert_fails(CheckId::InteractionFields, "interaction #3 (id \"3\") has no `subject` (mandatory)");
    report.assert_fails(CheckId::InteractionValues, "`priority` \"critical\" is not one of none, low, normal, high");
    report.assert_fails(CheckId::InteractionValues, "`status` \"archived\" is not one of new, open, pending");
    report.assert_fails(CheckId::InteractionValues, "`status` is a number");
}

// --- Actions ----------------------------------------------------------------------------------------------------

fn ticket() -> ActionProbe {
    ActionProbe::new("create_ticket").contact_external_id("1").data(json!({"subject": "s", "description": "d"}))
}

fn raw_action(status: u16, body: Value) -> impl Fn(&str, &Value) -> Option<Raw> + Clone + Send + Sync {
    move |path, _| (path == "/actions/create_ticket").then(|| Raw::json(status, body.clone()).unwrap())
}

#[tokio::test]
async fn catches_an_action_answering_200() {
    let bridge = raw_bridge(raw_action(200, json!({"message": "done"})));
    let report = Simulator::new(TestClient::from_service(warp::service(bridge)), auth()).action(ticket()).run().await;
    assert_failed_exactly(&report, &[CheckId::Action, CheckId::ActionWithoutInputs]);
    report.assert_fails(CheckId::Action, "answered 200 with `{\"message\":\"done\"}`: an action that ran answers 201");
}

#[tokio::test]
async fn catches_a_400_without_a_message() {
    let bridge = raw_bridge(raw_action(400, json!({"error": "no"})));
    let report = Simulator::new(TestClient::from_service(warp::service(bridge)), auth()).action(ticket()).run().await;
    assert_failed_exactly(&report, &[CheckId::Action, CheckId::ActionWithoutInputs]);
    report.assert_fails(CheckId::Action, "400 without a `message` string (`{\"error\":\"no\"}`)");
}

#[tokio::test]
async fn catches_undocumented_types_in_a_201() {
    let bridge = raw_bridge(raw_action(201, json!({"message": ["created"], "ticket": 1})));
    let report = Simulator::new(TestClient::from_service(warp::service(bridge)), auth())
        .action(ticket().only_with_inputs())
        .run()
        .await;
    assert_failed_exactly(&report, &[CheckId::Action]);
    report.assert_fails(CheckId::Action, "`message` is an array, not a string");
    report.assert_fails(CheckId::Action, "warning: `ticket` is not a documented field");
    report.assert_outcome(CheckId::ActionWithoutInputs, Outcome::Skip);
}

#[derive(Debug, Deserialize, bridge::ActionInputs)]
#[allow(dead_code)]
struct Ticket {
    /// Ticket subject
    subject: String,
}

#[bridge::action_executor(name = "create_ticket")]
async fn silent_failure(Auth(token): Auth<Token>, Data(_ticket): Data<Ticket>) -> Result<bridge::ActionOutcome, Error> {
    check(&token)?;
    Err(Error::action_failed(""))
}

#[tokio::test]
async fn catches_a_400_with_an_empty_message_and_passes_a_400_with_one() {
    let report = simulator(Bridge::new().endpoint(silent_failure {})).action(ticket()).run().await;
    // With its inputs, the action fails with an empty message; without, the bridge names the missing field.
    assert_failed_exactly(&report, &[CheckId::Action]);
    report.assert_fails(CheckId::Action, "400 with an empty `message`");
    let without = report.get(CheckId::ActionWithoutInputs).unwrap();
    assert_eq!(without.outcome, Outcome::Pass, "{report}");
    assert!(without.summary.as_deref().unwrap().contains("data.subject"), "{report}");
}

// --- Agents -----------------------------------------------------------------------------------------------------

#[bridge::agent_retriever]
async fn agent_loop(Auth(token): Auth<Token>, meta: AgentSyncMeta) -> Result<AgentPage, Error> {
    check(&token)?;
    let n = meta.offset.unwrap_or_default();
    Ok(AgentPage::new(vec![Agent::new(format!("a{n}"), "Agent", "agent@example.com")]).next_offset("2"))
}

#[tokio::test]
async fn catches_an_agent_offset_that_repeats() {
    let report = simulator(Bridge::new().endpoint(agent_loop {})).run().await;
    assert_failed_exactly(&report, &[CheckId::AgentSyncEnds]);
    report.assert_fails(CheckId::AgentSyncEnds, "page 2 returned next_offset \"2\" again");
}

#[bridge::agent_retriever]
async fn duplicate_agents(Auth(token): Auth<Token>, meta: AgentSyncMeta) -> Result<AgentPage, Error> {
    check(&token)?;
    let agent = |id: &str| Agent::new(id, "Agent", "agent@example.com");
    Ok(match meta.offset {
        None => AgentPage::new(vec![agent("1"), agent("2")]).next_offset("2"),
        Some(_) => AgentPage::new(vec![agent("2")]),
    })
}

#[tokio::test]
async fn catches_duplicate_agents_across_pages() {
    let report = simulator(Bridge::new().endpoint(duplicate_agents {})).run().await;
    assert_failed_exactly(&report, &[CheckId::AgentFields]);
    report.assert_fails(CheckId::AgentFields, "agent id \"2\" on page 2 was already sent on page 1");
}

#[tokio::test]
async fn catches_an_agent_without_email_and_sends_offsets_as_integers() {
    let bridge = raw_bridge(|path, request| {
        (path == "/agent_sync").then(|| {
            match meta(request, "offset") {
                Value::Null => Raw::json(
                    200,
                    json!({"agents": [{"id": 341231, "name": "John Doe", "email": "john@example.com"}],
                       "next_offset": "2"}),
                ),
                // Talkdesk sends the offset back as an integer: a string here would be a simulator bug.
                offset if offset == &json!(2) => Raw::json(200, json!({"agents": [{"id": "341232", "name": "Ann"}]})),
                other => Raw::json(400, json!({"message": format!("offset {other} is not the integer 2")})),
            }
            .unwrap()
        })
    });
    let report = Simulator::new(TestClient::from_service(warp::service(bridge)), auth()).run().await;
    assert_failed_exactly(&report, &[CheckId::AgentFields]);
    report.assert_fails(CheckId::AgentFields, "page 2, agent #1 (id \"341232\") has no `email` (mandatory)");
    assert_eq!(report.get(CheckId::AgentPages).unwrap().summary.as_deref(), Some("2 agents on 2 pages"));
}

// --- Credentials and content type -----------------------------------------------------------------------------

#[bridge::auth_validator]
async fn accepts_anything(_auth: Auth<Token>) -> Result<(), Error> {
    Ok(())
}

#[tokio::test]
async fn catches_a_validator_that_accepts_altered_credentials() {
    let report = simulator(Bridge::new().endpoint(accepts_anything {})).run().await;
    assert_failed_exactly(&report, &[CheckId::AuthRejected]);
    report.assert_fails(CheckId::AuthRejected, "altered credentials answered 204 No Content");
    report.assert_outcome(CheckId::AuthAccepted, Outcome::Pass);
}

#[bridge::auth_validator]
async fn rejects_with_400(Auth(token): Auth<Token>) -> Result<(), Error> {
    check(&token).map_err(|_| Error::invalid_input("unknown token"))
}

#[tokio::test]
async fn catches_a_validator_that_answers_400_instead_of_401() {
    let report = simulator(Bridge::new().endpoint(rejects_with_400 {})).run().await;
    assert_failed_exactly(&report, &[CheckId::AuthRejected]);
    report.assert_fails(CheckId::AuthRejected, "altered credentials answered 400 Bad Request");
}

#[tokio::test]
async fn catches_valid_credentials_answered_401() {
    let report =
        Simulator::new(TestClient::new(Bridge::new().endpoint(rejects_with_400 {})).unwrap(), json!({"token": "bad"}))
            .invalid_auth(json!({"token": "worse"}))
            .run()
            .await;
    report.assert_fails(CheckId::AuthAccepted, "answered 400 Bad Request");
    let report = simulator(Bridge::new().endpoint(rejects_with_400 {})).invalid_auth(auth()).run().await;
    report.assert_fails(CheckId::AuthRejected, "altered credentials answered 204");
}

#[bridge::auth_validator]
async fn stores_a_token(Auth(token): Auth<Token>) -> Result<bridge::AuthValidation, Error> {
    check(&token)?;
    let mut fields = serde_json::Map::new();
    fields.insert("refresh_token".into(), json!("r-123"));
    Ok(bridge::AuthValidation::Store(fields))
}

#[tokio::test]
async fn passes_a_validator_that_answers_200_with_fields_to_store() {
    let report = simulator(Bridge::new().endpoint(stores_a_token {})).run().await;
    report.assert_passes();
    let accepted = report.get(CheckId::AuthAccepted).unwrap();
    assert_eq!(accepted.summary.as_deref(), Some("200 with fields to store: refresh_token"), "{report}");
}

#[tokio::test]
async fn catches_a_validator_that_answers_200_with_a_non_object() {
    let bridge = raw_bridge(|path, _| (path == "/auth_validation").then(|| Raw::json(200, json!(["ok"])).unwrap()));
    let report = Simulator::new(TestClient::from_service(warp::service(bridge)), auth()).run().await;
    assert_failed_exactly(&report, &[CheckId::AuthAccepted]);
    report.assert_fails(CheckId::AuthAccepted, "200 with an array: fields to store are an object");
}

#[bridge::contact_retriever]
async fn ignores_credentials(_auth: Auth<Token>, meta: ContactSyncMeta) -> Result<ContactPage, Error> {
    Ok(unchanged(&meta).unwrap_or_else(|| ContactPage::new(vec![Contact::new("1", "Ann")], at(1).to_string())))
}

#[tokio::test]
async fn catches_an_endpoint_that_ignores_credentials() {
    let report = simulator(Bridge::new().endpoint(ignores_credentials {})).run().await;
    assert_failed_exactly(&report, &[CheckId::RejectedEverywhere]);
    report.assert_fails(CheckId::RejectedEverywhere, "POST /contact_sync with altered credentials answered 200 OK");
}

// A `401` follows when the *service* refused the credentials: the round of altered credentials must only count
// requests that had to reach it.

/// A correct bridge: with nothing to look up, it has nothing to ask its service and answers `200 []` whatever the
/// credentials; with a contact to look up, its service (`check`) refuses bad credentials.
#[bridge::interaction_retriever]
async fn asks_only_with_a_lookup(Auth(token): Auth<Token>, data: InteractionData) -> Result<Vec<Interaction>, Error> {
    if data.contact_external_id.is_none() && data.contact_emails.is_empty() && data.contact_phones.is_empty() {
        return Ok(Vec::new());
    }
    check(&token)?;
    Ok(vec![Interaction::new("1", "case", "Broken", at(0))])
}

/// A broken bridge: it turns its service's refusal into an empty list.
#[bridge::interaction_retriever]
async fn swallows_the_refusal(Auth(token): Auth<Token>, data: InteractionData) -> Result<Vec<Interaction>, Error> {
    match (check(&token), data.contact_external_id) {
        (Ok(()), Some(id)) => Ok(vec![Interaction::new(id, "case", "Broken", at(0))]),
        _ => Ok(Vec::new()),
    }
}

#[tokio::test]
async fn passes_a_bridge_that_answers_200_empty_when_there_is_nothing_to_look_up() {
    // Nothing synced and no lookup: the only request the simulator can make has nothing to ask the service.
    let report = simulator(Bridge::new().endpoint(asks_only_with_a_lookup {})).run().await;
    report.assert_passes();
    let summary = report.get(CheckId::RejectedEverywhere).unwrap().summary.clone().unwrap();
    assert!(summary.starts_with("1 endpoint asked (interaction retrieval); auth validation is the check above"));
    assert!(summary.contains("interaction retrieval answered 200 [] without a 401, which is right when there was"));

    // With a lookup, the altered credentials reach the service, and the 401 comes back.
    let report = simulator(Bridge::new().endpoint(asks_only_with_a_lookup {}))
        .interaction_lookup(json!({"contact_external_id": "1"}))
        .run()
        .await;
    report.assert_passes();
    let summary = report.get(CheckId::RejectedEverywhere).unwrap().summary.clone().unwrap();
    assert_eq!(summary, "1 endpoint asked (interaction retrieval); auth validation is the check above");
}

#[tokio::test]
async fn catches_a_bridge_that_swallows_its_services_401() {
    let report = simulator(Bridge::new().endpoint(swallows_the_refusal {}))
        .interaction_lookup(json!({"contact_emails": ["jane@example.com"]}))
        .interaction_lookup(json!({"contact_external_id": "7"}))
        .run()
        .await;
    assert_failed_exactly(&report, &[CheckId::RejectedEverywhere]);
    // The lookup replayed is the one that found interactions (the second), not the first.
    report.assert_fails(
        CheckId::RejectedEverywhere,
        "POST /interaction_update with altered credentials answered 200 with [] where the given credentials found \
         interactions: the bridge swallowed its service's refusal instead of answering 401",
    );
}

#[tokio::test]
async fn over_http_a_bridge_with_nothing_to_ask_is_told_from_one_that_swallows_a_401() {
    let simulate = |url: String, lookup: bool| {
        let mut simulator = Simulator::new(TestClient::http(url), json!({"token": "good"}));
        if lookup {
            simulator = simulator.interaction_lookup(json!({"contact_external_id": "7"}));
        }
        simulator
    };
    let correct =
        Bridge::new().endpoint(asks_only_with_a_lookup {}).bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    for lookup in [false, true] {
        simulate(correct.url(), lookup).run().await.assert_passes();
    }
    let broken = Bridge::new().endpoint(swallows_the_refusal {}).bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let report = simulate(broken.url(), true).run().await;
    assert_failed_exactly(&report, &[CheckId::RejectedEverywhere]);
    report.assert_fails(CheckId::RejectedEverywhere, "the bridge swallowed its service's refusal");
    correct.shutdown().await;
    broken.shutdown().await;
}

/// Refuses a ticket for a priority it does not know before asking its service anything.
#[bridge::action_executor(name = "create_ticket")]
async fn checks_inputs_first(
    Auth(token): Auth<Token>,
    Data(ticket): Data<Ticket>,
) -> Result<bridge::ActionOutcome, Error> {
    if ticket.subject == "critical" {
        return Err(Error::action_failed("unknown priority: critical"));
    }
    check(&token)?;
    Ok(bridge::ActionOutcome::message("created"))
}

#[tokio::test]
async fn an_action_refused_before_asking_its_service_is_noted_not_failed() {
    let refused = ActionProbe::new("create_ticket").data(json!({"subject": "critical"})).only_with_inputs();
    let report = simulator(Bridge::new().endpoint(checks_inputs_first {})).action(refused).run().await;
    report.assert_passes();
    let summary = report.get(CheckId::RejectedEverywhere).unwrap().summary.clone().unwrap();
    assert!(summary.contains("action `create_ticket` answered 400, not 401: not counted"), "{summary}");

    // An action that went through with the given credentials must be a 401 with altered ones.
    let accepted = ActionProbe::new("create_ticket").data(json!({"subject": "s"})).only_with_inputs();
    let report = simulator(Bridge::new().endpoint(checks_inputs_first {})).action(accepted).run().await;
    report.assert_passes();
    assert!(!report.get(CheckId::RejectedEverywhere).unwrap().summary.clone().unwrap().contains("not counted"));
}

#[tokio::test]
async fn catches_a_wrong_content_type_over_http() {
    let url = serve(raw_bridge(|path, request| {
        (path == "/contact_sync").then(|| Raw {
            status: 200,
            content_type: "text/plain; charset=utf-8",
            body: json!({"contacts": [], "synchronization_checkpoint": meta(request, "synchronization_checkpoint")
                .as_str().unwrap_or("2024-01-01 00:00:00 UTC")})
            .to_string(),
        })
    }))
    .await;
    let report = Simulator::new(TestClient::http(url), auth()).run().await;
    assert_failed_exactly(&report, &[CheckId::JsonContentType]);
    report.assert_fails(
        CheckId::JsonContentType,
        "initial contact sync page 1: 200 OK with Content-Type `text/plain; charset=utf-8`",
    );
    report.assert_fails(CheckId::JsonContentType, "incremental contact sync page 1");
}

#[tokio::test]
async fn reports_a_bridge_that_does_not_answer() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let report = Simulator::new(TestClient::http(format!("http://127.0.0.1:{port}")), auth()).run().await;
    report.assert_fails(CheckId::AuthAccepted, "no answer");
    report.assert_fails(CheckId::InitialSyncPages, "cannot connect");
}

// --- The minimal example passes -------------------------------------------------------------------------------

fn minimal_bridge() -> Bridge {
    minimal::bridge(Arc::new(Mutex::new(minimal::Service::sample(25))))
}

fn minimal_auth() -> Value {
    json!({"username": "john.doe@example.com", "password": "605b32dd"})
}

fn minimal_ticket() -> ActionProbe {
    ActionProbe::new("create_ticket")
        .contact_external_id("1")
        .data(json!({"subject": "Call missed in Talkdesk", "description": "A call from Jane Doe was missed."}))
}

#[tokio::test]
async fn the_minimal_example_passes_in_process() {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let progress = Arc::clone(&lines);
    let simulator = Simulator::new(TestClient::new(minimal_bridge()).unwrap(), minimal_auth())
        .action(minimal_ticket())
        .on_progress(move |p| progress.lock().unwrap().push(p.to_string()));
    // A run is a `Send` future: it can be spawned.
    let report = tokio::spawn(async move { simulator.run().await }).await.unwrap();
    report.assert_passes();
    // Every check ran: nothing skipped, nothing to warn about.
    assert_eq!((report.count(Outcome::Skip), report.count(Outcome::Warn)), (0, 0), "{report}");
    assert_eq!(report.get(CheckId::InitialSyncPages).unwrap().summary.as_deref(), Some("25 contacts on 3 pages"));
    assert_eq!(
        *lines.lock().unwrap(),
        [
            "initial contact sync: page 1, 10 contacts so far, next offset \"10\"",
            "initial contact sync: page 2, 20 contacts so far, next offset \"20\"",
            "initial contact sync: page 3, 25 contacts so far, done",
            "incremental contact sync: page 1, 0 contacts so far, done",
            "agent sync: page 1, 2 agents so far, next offset \"2\"",
            "agent sync: page 2, 3 agents so far, done",
        ]
    );
    let text = report.to_string();
    assert!(text.starts_with("Talkdesk protocol conformance of a bridge in process\n"), "{text}");
    assert!(text.contains("  PASS  create_ticket: 201 with the documented fields, or 400 with a message\n"), "{text}");
    assert!(text.ends_with("PASSED: 24 passed, 0 with warnings, 0 failed, 0 skipped"), "{text}");
}

/// `bridge-conformance`, with `--url` and `--auth` only (plus the action it is asked to run): the minimal example's
/// `GET /configuration` gives the rest, and every check runs and passes.
#[tokio::test]
async fn the_conformance_command_passes_the_minimal_example_over_http() {
    let running = minimal_bridge().integration(minimal::integration()).bind("127.0.0.1:0".parse().unwrap()).await;
    let running = running.unwrap();
    let auth = minimal_auth().to_string();
    let args = ["--url", &running.url(), "--auth", &auth, "--quiet"];
    let run = |extra: &[&str]| {
        let args = [&args[..], extra].concat().into_iter().map(str::to_owned);
        let Ok(Command::Run(options)) = parse_args(args) else { panic!("the arguments parse") };
        async move { bridge_conformance::run(&options).await.expect("no usage error") }
    };
    let conformance = run(&[]).await;
    let text = bridge_conformance::output::render(&conformance, Format::Text);
    assert!(conformance.passed(), "{text}");
    let skipped: Vec<&str> =
        conformance.lines.iter().filter(|l| l.outcome == Outcome::Skip).map(|l| l.check.as_str()).collect();
    assert_eq!(skipped, ["ActionNotRun"], "{text}");
    assert!(text.contains("  PASS  types are among the requested interaction_types\n"), "{text}");

    let ticket = r#"{"subject": "Call missed", "description": "A call from Jane Doe was missed."}"#;
    let meta = r#"{"contact_external_id": "1"}"#;
    let conformance = run(&["--action", "create_ticket", "--action-meta", meta, "--action-data", ticket]).await;
    let text = bridge_conformance::output::render(&conformance, Format::Text);
    assert!(conformance.passed(), "{text}");
    assert_eq!(conformance.count(Outcome::Skip), 0, "{text}");
    assert!(text.contains("  PASS  create_ticket: 201 with the documented fields, or 400 with a message\n"), "{text}");
    running.shutdown().await;
}

/// A bridge that requires an inbound token: `bridge-conformance` says so when it is not given one, and passes with
/// `--header`, whose value never shows in the report.
#[tokio::test]
async fn the_conformance_command_sends_the_inbound_token_it_is_given() {
    let bridge = minimal_bridge().integration(minimal::integration()).inbound_token(Secret::new("in-b0und"));
    let running = bridge.bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let (url, auth) = (running.url(), minimal_auth().to_string());
    let run = |extra: &[&str]| {
        let args = [&["--url", &url, "--auth", &auth, "--quiet"][..], extra].concat();
        let Ok(Command::Run(options)) = parse_args(args.into_iter().map(str::to_owned)) else { panic!("they parse") };
        async move {
            let conformance = bridge_conformance::run(&options).await.expect("no usage error");
            let text = bridge_conformance::output::render(&conformance, Format::Text);
            (conformance, text)
        }
    };
    let (refused, text) = run(&[]).await;
    assert!(!refused.passed(), "{text}");
    assert!(
        text.contains("answered 403 Forbidden: the bridge requires a token of its own; give it with --header"),
        "{text}"
    );
    let (conformance, text) = run(&["--header", "Authorization: Bearer in-b0und"]).await;
    assert!(conformance.passed(), "{text}");
    let json = bridge_conformance::output::render(&conformance, Format::Json);
    assert!(!text.contains("in-b0und") && !json.contains("in-b0und"), "{text}");
    running.shutdown().await;
}

#[tokio::test]
async fn over_http_a_broken_bridge_fails() {
    let running = Bridge::new().endpoint(offset_loop {}).bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let report = Simulator::new(TestClient::http(running.url()), json!({"token": "good"})).run().await;
    assert!(!report.passed());
    let text = report.to_string();
    assert!(text.contains("  FAIL  the sync ends: no next_offset repeats, no more pages than the bound\n"), "{text}");
    assert!(text.contains("        - page 2 returned next_offset \"1\" again"), "{text}");
    assert!(text.ends_with("FAILED: 11 passed, 0 with warnings, 1 failed, 10 skipped"), "{text}");
    running.shutdown().await;
}

// --- A source that changes mid-sync ----------------------------------------------------------------------------

/// What a fake service holds: contacts in the order it pages them (by update time: a renamed one moves last).
#[derive(Clone, Default)]
struct Rows(Arc<Mutex<Vec<(String, String)>>>);

impl Rows {
    fn rename_first(&self, name: &str) -> Contact {
        let mut rows = self.0.lock().unwrap();
        let (id, _) = rows.remove(0);
        rows.push((id.clone(), name.to_owned()));
        Contact::new(id, name)
    }
}

/// Pages by page number, 3 contacts a page: a row that moves while the sync runs shifts the others.
#[bridge::contact_retriever]
async fn by_page_number(
    Auth(token): Auth<Token>,
    meta: ContactSyncMeta,
    bridge::State(rows): bridge::State<Rows>,
) -> Result<ContactPage, Error> {
    check(&token)?;
    if meta.situation.offset().is_none() {
        if let Some(unchanged) = unchanged(&meta) {
            return Ok(unchanged); // the bug's accomplice: nothing "changed" since the checkpoint
        }
    }
    let page: usize = meta.situation.offset().map_or(Ok(0), str::parse).map_err(|_| Error::invalid_input("offset"))?;
    let rows = rows.0.lock().unwrap().clone();
    let contacts = rows.iter().skip(page * 3).take(3).map(|(id, name)| Contact::new(id, name)).collect();
    let mut answer = ContactPage::new(contacts, at(0).to_string());
    if (page + 1) * 3 < rows.len() {
        answer = answer.next_offset((page + 1).to_string());
    }
    Ok(answer)
}

#[tokio::test]
async fn a_change_between_pages_catches_a_sync_that_pages_by_position() {
    use bridge::testing::SourceChange;

    let rows = Rows(Arc::new(Mutex::new((1..=9).map(|n| (n.to_string(), format!("contact {n}"))).collect())));
    let source = rows.clone();
    let report = simulator(Bridge::new().state(rows).endpoint(by_page_number {}))
        .change_source(move |progress| match (progress.phase, progress.page) {
            ("initial contact sync", 1) => SourceChange::new().changed(source.rename_first("contact 1, renamed")),
            _ => SourceChange::new(),
        })
        .run()
        .await;
    // Contact 1 comes again, renamed, at the end (not a duplicate: it changed); contact 4 slid onto page 1 after
    // it was read, and no sync sends it.
    assert_failed_exactly(&report, &[CheckId::SourceChanges]);
    report.assert_fails(CheckId::SourceChanges, "contact \"4\" is in the source (a new initial sync finds it)");
    let check = report.get(CheckId::SourceChanges).unwrap();
    assert_eq!(check.summary.as_deref(), Some("1 contact changed, 1 arrived changed; 0 deleted; 1 of 9 contacts lost"));
}

/// Pages the same way, but answers a contact that changed with its old name (a stale cache, say).
#[bridge::contact_retriever]
async fn stale(Auth(token): Auth<Token>, meta: ContactSyncMeta) -> Result<ContactPage, Error> {
    check(&token)?;
    if let Some(unchanged) = unchanged(&meta) {
        return Ok(unchanged);
    }
    let first = meta.situation.offset().is_none();
    let ids = if first { 1..=3 } else { 4..=6 };
    let contacts = ids.map(|n| Contact::new(n.to_string(), format!("contact {n}"))).collect();
    let page = ContactPage::new(contacts, at(0).to_string());
    Ok(if first { page.next_offset("2") } else { page })
}

#[tokio::test]
async fn a_change_that_never_arrives_is_named() {
    use bridge::testing::SourceChange;

    let report = simulator(Bridge::new().endpoint(stale {}))
        .change_source(|progress| match progress.page {
            1 => SourceChange::new().changed(Contact::new("5", "contact 5, renamed")),
            _ => SourceChange::new(),
        })
        .run()
        .await;
    assert_failed_exactly(&report, &[CheckId::SourceChanges]);
    report.assert_fails(
        CheckId::SourceChanges,
        "contact \"5\", changed after page 1 of the initial contact sync, did not arrive changed: it came on \
         initial contact sync page 2 with name \"contact 5\"",
    );
}
