//! The minimal example, started on 127.0.0.1:0 and driven over real HTTP with the protocol's own JSON examples
//! (from Talkdesk's documentation), the four contact-sync situations and the request mistakes a bridge must name.

use crate::minimal;

use crate::common;

use common::{contact_ids, get, post, send, start};
use minimal::{Service, CONTACT_PAGE};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

const AUTH: &str = r#""auth": {"username": "john.doe@example.com", "password": "605b32dd"}"#;

async fn sample_bridge() -> (bridge::RunningBridge, minimal::Store) {
    let store = Arc::new(Mutex::new(Service::sample(25)));
    (start(minimal::bridge(store.clone())).await, store)
}

async fn sync_page(bridge: &bridge::RunningBridge, meta: Value) -> Value {
    let body = format!("{{{AUTH}, \"meta\": {meta}}}");
    post(bridge, "/contact_sync", &body).await.assert_json(200)
}

// --- The spec's examples, one per endpoint -------------------------------------------------------------------

#[tokio::test]
async fn auth_validation_spec_example_answers_204() {
    let (bridge, _) = sample_bridge().await;
    let answer =
        post(&bridge, "/auth_validation", r#"{"auth": {"username": "john.doe@example.com", "password": "605b32dd"}}"#)
            .await;
    assert_eq!(answer.status, 204);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    assert_eq!(answer.text, "");
}

#[tokio::test]
async fn contact_sync_spec_example_is_an_incremental_next_page() {
    let (bridge, _) = sample_bridge().await;
    // Verbatim from contact-synchronization.md: offset 2 of the contacts changed after the checkpoint.
    let page = sync_page(
        &bridge,
        json!({"offset": "2", "synchronization_checkpoint": "2012-11-20 23:01:00 UTC", "context": null}),
    )
    .await;
    let expected: Vec<String> = (3..=12).map(|n| n.to_string()).collect();
    assert_eq!(contact_ids(&page), expected);
    assert_eq!(page["next_offset"], "12");
    assert_eq!(page["synchronization_checkpoint"], "2012-11-21 00:00:12 UTC");
    assert_eq!(
        page["contacts"][0],
        json!({
            "id": "3", "name": "Contact 3", "emails": ["contact3@example.com"], "phones": ["+15550000003"],
            "url": "https://service.example.com/contacts/3"
        })
    );
}

#[tokio::test]
async fn interaction_spec_example_answers_the_contacts_interactions() {
    let (bridge, _) = sample_bridge().await;
    let body = r#"{
        "auth": {"username": "john.doe@example.com", "password": "605b32dd"},
        "meta": {"interaction_types": ["case", "note"]},
        "data": {"contact_external_id": "1", "contact_name": "Jane",
                 "contact_emails": ["jane.doe@example.com", "jane@example.com"], "contact_phones": ["+15555555555"]}
    }"#;
    let answer = post(&bridge, "/interaction_update", body).await.assert_json(200);
    assert_eq!(
        answer,
        json!([
            {"id": "23", "subject": "A very important matter", "description": "Your order is ready to be shipped",
             "date": "2012-11-21 17:53:51 UTC", "url": "https://service.example.com/interactions/23", "type": "case",
             "priority": "high", "status": "pending"},
            {"id": "24", "subject": "Called back", "date": "2012-11-22 09:00:00 UTC", "type": "note"}
        ])
    );
}

#[tokio::test]
async fn action_seed_example_corrected_creates_a_ticket() {
    let (bridge, store) = sample_bridge().await;
    // The seed's example has a trailing comma and a missing comma (see `docs/protocol.md`): as sent, it is refused…
    let seed = r#"{
    "auth": {"username": "john.doe@example.com", "password": "605b32dd"},
    "meta": {"contact_external_id": "1",}
    "data": {"subject": "Call missed in Talkdesk", "description": "A call from Jane Doe was missed."}
}"#;
    let refused = post(&bridge, "/actions/create_ticket", seed).await.assert_json(400);
    assert_eq!(refused["code"], "malformed_json");
    assert!(refused["message"].as_str().unwrap().contains("line 3 column"), "{refused}");
    // …and corrected, it is the test vector.
    let corrected = seed.replace(r#""1",}"#, r#""1"},"#);
    let created = post(&bridge, "/actions/create_ticket", &corrected).await.assert_json(201);
    let id = created["external_id"].as_str().unwrap().to_owned();
    assert_eq!(created["message"], format!("Ticket #{id} created"));
    let service = store.lock().unwrap();
    let (owner, ticket) = service.interactions.iter().find(|(_, i)| i.id == id).unwrap();
    assert_eq!((owner.as_str(), ticket.subject.as_str()), ("1", "Call missed in Talkdesk"));
}

#[tokio::test]
async fn agent_sync_spec_example_pages_agents() {
    let (bridge, _) = sample_bridge().await;
    let first =
        post(&bridge, "/agent_sync", r#"{"auth": {"username": "john.doe@example.com", "password": "605b32dd"}}"#)
            .await
            .assert_json(200);
    assert_eq!(
        first,
        json!({"agents": [
        {"id": "341231", "name": "John Doe", "email": "john.doe@unkn.own"},
        {"id": "341232", "name": "Ann Smith", "email": "ann.smith@unkn.own"}
    ], "next_offset": "2"})
    );
    // Talkdesk sends the next offset back as an integer.
    let last = post(&bridge, "/agent_sync", &format!("{{{AUTH}, \"meta\": {{\"offset\": 2}}}}")).await.assert_json(200);
    assert_eq!(last, json!({"agents": [{"id": "341233", "name": "Raj Patel", "email": "raj.patel@unkn.own"}]}));
}

#[tokio::test]
async fn wrong_credentials_are_a_401_on_every_endpoint() {
    let (bridge, _) = sample_bridge().await;
    let auth = r#""auth": {"username": "john.doe@example.com", "password": "wrong-password"}"#;
    for (path, rest) in [
        ("/auth_validation", ""),
        ("/contact_sync", ""),
        ("/interaction_update", r#", "meta": {"interaction_types": ["case"]}"#),
        ("/actions/create_ticket", r#", "data": {"subject": "s", "description": "d"}"#),
        ("/agent_sync", ""),
    ] {
        let answer = post(&bridge, path, &format!("{{{auth}{rest}}}")).await;
        let body = answer.assert_json(401);
        assert_eq!(body["code"], "credentials_rejected", "{path}");
        assert!(!answer.text.contains("wrong-password"), "{path}: {}", answer.text);
    }
}

// --- The four contact-sync situations --------------------------------------------------------------------------

#[tokio::test]
async fn the_four_contact_sync_situations() {
    let (bridge, store) = sample_bridge().await;

    // 1. Initial sync, first page.
    let first = sync_page(&bridge, json!({})).await;
    assert_eq!(contact_ids(&first), (1..=10).map(|n| n.to_string()).collect::<Vec<_>>());
    assert_eq!(first["next_offset"], "10");
    assert_eq!(first["synchronization_checkpoint"], "2012-11-21 00:00:10 UTC");

    // 2. Initial sync, next pages, until no next_offset: every contact once, checkpoints never moving back.
    let mut seen: Vec<String> = contact_ids(&first);
    let mut checkpoint = first["synchronization_checkpoint"].as_str().unwrap().to_owned();
    let mut offset = first["next_offset"].clone();
    while !offset.is_null() {
        let page = sync_page(&bridge, json!({"offset": offset, "context": first["context"]})).await;
        let next_checkpoint = page["synchronization_checkpoint"].as_str().unwrap().to_owned();
        assert!(next_checkpoint >= checkpoint, "checkpoint moved back: {checkpoint} -> {next_checkpoint}");
        checkpoint = next_checkpoint;
        seen.extend(contact_ids(&page));
        offset = page["next_offset"].clone();
    }
    assert_eq!(seen.len(), 25);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 25);
    assert_eq!(checkpoint, "2012-11-21 00:00:25 UTC");

    // 3. Incremental sync, first page: nothing changed, then exactly what changed.
    let unchanged = sync_page(&bridge, json!({"synchronization_checkpoint": checkpoint})).await;
    assert_eq!(contact_ids(&unchanged), Vec::<String>::new());
    assert_eq!(unchanged["synchronization_checkpoint"], checkpoint.as_str(), "an empty page keeps the checkpoint");
    assert!(unchanged.get("next_offset").is_none());
    {
        let mut service = store.lock().unwrap();
        for n in [7, 3, 19] {
            service.upsert(bridge::Contact::new(n.to_string(), format!("Renamed {n}")));
        }
        for n in 100..100 + CONTACT_PAGE {
            service.upsert(bridge::Contact::new(n.to_string(), format!("New {n}")));
        }
    }
    let changed = sync_page(&bridge, json!({"synchronization_checkpoint": checkpoint})).await;
    let mut expected: Vec<String> = vec!["7".into(), "3".into(), "19".into()];
    expected.extend((100..107).map(|n| n.to_string()));
    assert_eq!(contact_ids(&changed), expected);
    assert_eq!(changed["next_offset"], "10");

    // 4. Incremental sync, next page.
    let rest = sync_page(&bridge, json!({"synchronization_checkpoint": checkpoint, "offset": "10"})).await;
    assert_eq!(contact_ids(&rest), (107..110).map(|n| n.to_string()).collect::<Vec<_>>());
    assert!(rest.get("next_offset").is_none());
    assert!(
        rest["synchronization_checkpoint"].as_str().unwrap() > changed["synchronization_checkpoint"].as_str().unwrap()
    );
}

// --- Request mistakes ------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_action_missing_two_mandatory_fields_gets_one_400_naming_both() {
    let (bridge, _) = sample_bridge().await;
    let body = format!(r#"{{{AUTH}, "meta": {{"contact_external_id": "1"}}, "data": {{"priority": "high"}}}}"#);
    let answer = post(&bridge, "/actions/create_ticket", &body).await;
    let json = answer.assert_json(400);
    assert_eq!(json["code"], "invalid_input");
    assert_eq!(answer.fields(), ["data.subject", "data.description"]);
    assert!(json["message"].as_str().unwrap().contains("data.subject"), "{json}");
}

#[tokio::test]
async fn every_offending_field_is_named_across_sections() {
    let (bridge, _) = sample_bridge().await;
    let body = r#"{"auth": {"username": "john.doe@example.com", "password": 605},
                   "meta": {"interaction_types": ["case", 2]},
                   "data": {"contact_emails": "jane@example.com"}}"#;
    let answer = post(&bridge, "/interaction_update", body).await;
    answer.assert_json(400);
    assert_eq!(answer.fields(), ["auth.password", "meta.interaction_types[1]", "data.contact_emails"]);
    assert!(!answer.text.contains("605"), "an auth value leaked: {}", answer.text);
}

#[tokio::test]
async fn a_wrong_typed_meta_field_is_named() {
    let (bridge, _) = sample_bridge().await;
    let answer =
        post(&bridge, "/interaction_update", &format!(r#"{{{AUTH}, "meta": {{"interaction_types": "case"}}}}"#)).await;
    let json = answer.assert_json(400);
    assert_eq!(answer.fields(), ["meta.interaction_types"]);
    assert_eq!(json["fields"][0]["message"], "expected a sequence, found a string");
    let answer = post(&bridge, "/contact_sync", &format!(r#"{{{AUTH}, "meta": {{"offset": true}}}}"#)).await;
    answer.assert_json(400);
    assert_eq!(answer.fields(), ["meta.offset"]);
}

#[tokio::test]
async fn a_body_that_is_not_json_and_an_empty_body_are_400s() {
    let (bridge, _) = sample_bridge().await;
    let not_json = post(&bridge, "/agent_sync", "auth=john").await.assert_json(400);
    assert_eq!(not_json["code"], "malformed_json");
    assert!(not_json["message"].as_str().unwrap().contains("line 1 column 1"), "{not_json}");
    let empty = post(&bridge, "/agent_sync", "").await.assert_json(400);
    assert_eq!(empty["code"], "malformed_json");
    assert!(empty["message"].as_str().unwrap().contains("empty"), "{empty}");
    let array = post(&bridge, "/agent_sync", "[]").await.assert_json(400);
    assert_eq!(array["code"], "invalid_input");
}

#[tokio::test]
async fn a_missing_meta_or_data_reads_as_empty() {
    let (bridge, _) = sample_bridge().await;
    // `data` of an interaction request is all optional: without it, no contact is found and nothing returned.
    let answer =
        post(&bridge, "/interaction_update", &format!(r#"{{{AUTH}, "meta": {{"interaction_types": ["case"]}}}}"#))
            .await;
    assert_eq!(answer.assert_json(200), json!([]));
    // `meta.interaction_types` is mandatory: without `meta`, it is named.
    let answer = post(&bridge, "/interaction_update", &format!("{{{AUTH}}}")).await;
    answer.assert_json(400);
    assert_eq!(answer.fields(), ["meta.interaction_types"]);
}

// --- What the server answers around the endpoints --------------------------------------------------------------

#[tokio::test]
async fn health_unknown_paths_methods_and_media_types_answer_json() {
    let (bridge, _) = sample_bridge().await;
    let client = reqwest::Client::new();
    let health = get(&bridge, "/health").await.assert_json(200);
    assert_eq!(health, json!({"status": "ok"}));
    let missing = post(&bridge, "/nope", "{}").await;
    assert_eq!(missing.assert_json(404)["code"], "not_found");
    let wrong_method = get(&bridge, "/contact_sync").await;
    assert_eq!(wrong_method.assert_json(405)["code"], "method_not_allowed");
    let form = send(
        client
            .post(format!("{}/contact_sync", bridge.url()))
            .header("content-type", "text/plain")
            .body(format!("{{{AUTH}}}")),
    )
    .await;
    assert_eq!(form.assert_json(415)["code"], "unsupported_media_type");
    // No Content-Type at all is accepted (the body is still read as JSON).
    let bare = send(client.post(format!("{}/contact_sync", bridge.url())).body(format!("{{{AUTH}}}"))).await;
    bare.assert_json(200);
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413() {
    let store = Arc::new(Mutex::new(Service::sample(1)));
    let bridge = start(minimal::bridge(store).body_limit(256)).await;
    let padding = "x".repeat(300);
    let answer = post(&bridge, "/agent_sync", &format!(r#"{{{AUTH}, "padding": "{padding}"}}"#)).await;
    assert_eq!(answer.assert_json(413)["code"], "payload_too_large");
    // Under the limit, the same endpoint answers.
    post(&bridge, "/agent_sync", &format!("{{{AUTH}}}")).await.assert_json(200);
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let (bridge, _) = sample_bridge().await;
    let url = bridge.url();
    bridge.shutdown().await;
    assert!(reqwest::Client::new().get(format!("{url}/health")).send().await.is_err());
}

#[tokio::test]
async fn a_section_that_is_not_an_object_is_a_400_naming_it() {
    let (bridge, store) = sample_bridge().await;
    let tickets_before = store.lock().unwrap().interactions.len();
    let auth = r#""auth": {"username": "john.doe@example.com", "password": "605b32dd"}"#;
    // An array for `data`: serde would read the ticket's fields from it positionally.
    let body = format!(r#"{{{auth}, "meta": {{"contact_external_id": "1"}}, "data": ["subject", "description"]}}"#);
    let refused = post(&bridge, "/actions/create_ticket", &body).await;
    assert_eq!(
        refused.assert_json(400)["fields"],
        json!([{"field": "data", "message": "expected an object, found an array"}])
    );
    assert_eq!(store.lock().unwrap().interactions.len(), tickets_before, "no ticket was created");
    // A string for `meta`, where the endpoint reads no `meta` at all.
    let refused = post(&bridge, "/auth_validation", &format!(r#"{{{auth}, "meta": "meta"}}"#)).await;
    assert_eq!(refused.assert_json(400)["fields"][0]["message"], "expected an object, found a string");
    // `auth` as an array.
    let refused = post(&bridge, "/contact_sync", r#"{"auth": ["john.doe@example.com", "605b32dd"]}"#).await;
    assert_eq!(refused.fields(), ["auth"]);
    // `null` and absent sections are still empty objects.
    assert_eq!(post(&bridge, "/auth_validation", &format!(r#"{{{auth}, "meta": null}}"#)).await.status, 204);
}
