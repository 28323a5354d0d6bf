//! Action inputs come from forms people fill in: over real HTTP, a field left empty (`""`) is an absent `Option`,
//! the protocol's enums are read in any case, and a number typed where a string id is expected is its text. The
//! SQLite example (the guide's own, with `Option<Priority>`) accepts what a person types; what is still wrong is a
//! `400` naming only the fields that are.

use crate::sqlite_example as example;

use crate::common;

use bridge::{ActionOutcome, Auth, Bridge, Data, Error, Priority, Status};
use common::{post, start, Answer};
use example::db::{Db, DEMO_API_KEY, DEMO_EMAIL};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
struct Credentials {
    #[allow(dead_code)]
    token: String,
}

#[derive(Debug, Deserialize, bridge::ActionInputs)]
struct TicketUpdate {
    /// Ticket id
    ticket_id: String,
    /// Priority
    #[serde(default)]
    priority: Option<Priority>,
    /// Status
    #[serde(default)]
    status: Option<Status>,
    /// Note
    #[serde(default)]
    note: Option<String>,
}

/// Answers with what it read, as JSON in the message.
#[bridge::action_executor(name = "update_ticket")]
async fn update_ticket(_auth: Auth<Credentials>, Data(update): Data<TicketUpdate>) -> Result<ActionOutcome, Error> {
    let read = json!({
        "ticket_id": update.ticket_id,
        "priority": update.priority.map(Priority::as_str),
        "status": update.status.map(|s| s.to_string()),
        "note": update.note,
    });
    Ok(ActionOutcome::message(read.to_string()))
}

async fn update(bridge: &bridge::RunningBridge, data: Value) -> Answer {
    post(bridge, "/actions/update_ticket", &json!({"auth": {"token": "t0k3n"}, "data": data}).to_string()).await
}

fn read(answer: &Answer) -> Value {
    serde_json::from_str(answer.assert_json(201)["message"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn empty_fields_any_case_and_numeric_ids_are_read_as_a_person_means_them() {
    let bridge = start(Bridge::new().endpoint(update_ticket {})).await;

    let answer = update(&bridge, json!({"ticket_id": "7", "priority": "", "status": "", "note": ""})).await;
    assert_eq!(read(&answer), json!({"ticket_id": "7", "priority": null, "status": null, "note": null}));

    let answer = update(&bridge, json!({"ticket_id": 5, "priority": "High", "status": " OPEN "})).await;
    assert_eq!(read(&answer), json!({"ticket_id": "5", "priority": "high", "status": "open", "note": null}));

    let answer = update(&bridge, json!({"ticket_id": "9", "priority": null})).await;
    assert_eq!(read(&answer)["priority"], Value::Null);
}

#[tokio::test]
async fn what_is_still_wrong_is_a_400_naming_only_those_fields() {
    let bridge = start(Bridge::new().endpoint(update_ticket {})).await;
    let answer = update(&bridge, json!({"ticket_id": true, "priority": "medium", "status": "", "note": ""})).await;
    let body = answer.assert_json(400);
    assert_eq!(answer.fields(), ["data.priority", "data.ticket_id"], "{body}");
    let priority = &body["fields"][0]["message"];
    assert!(priority.as_str().unwrap().contains("expected one of `none`, `low`"), "{priority}");

    let answer = update(&bridge, json!({"priority": "low"})).await;
    answer.assert_json(400);
    assert_eq!(answer.fields(), ["data.ticket_id"]);
    // A fraction is not an id.
    let answer = update(&bridge, json!({"ticket_id": 1.5})).await;
    answer.assert_json(400);
    assert_eq!(answer.fields(), ["data.ticket_id"]);
}

#[tokio::test]
async fn the_guides_create_case_takes_an_empty_or_capitalised_priority() {
    let db = Db::sample(3).expect("the sample database");
    let bridge = start(example::bridge(db.clone())).await;
    for (typed, stored) in [("", None), ("High", Some("high")), ("URGENT", Some("urgent")), ("none", None)] {
        let body = json!({
            "auth": {"email": DEMO_EMAIL, "api_key": DEMO_API_KEY},
            "meta": {"contact_external_id": 2},
            "data": {"subject": "Call back", "description": "About the invoice", "priority": typed},
        });
        let answer = post(&bridge, "/actions/create_case", &body.to_string()).await;
        let created = answer.assert_json(201);
        let id: i64 = created["external_id"].as_str().unwrap().parse().unwrap();
        let priority: Option<String> =
            db.lock().query_row("SELECT priority FROM cases WHERE id = ?1", [id], |r| r.get(0)).unwrap();
        assert_eq!(priority.as_deref(), stored, "{typed:?}");
    }
}
