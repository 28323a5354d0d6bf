//! The configuration documents a bridge generates: served at `GET /configuration`, valid against the project's
//! JSON Schemas (written from Talkdesk's configuration reference, see `docs/configuration.md`), and refused at
//! start-up when the metadata is not.

use crate::minimal;

use crate::common;

use common::schemas::{assert_valid, schema};
use common::talkdesk_examples;

use bridge::configuration::{ActionInput, ActionInputs, ActionSpec, AuthField, AuthFields, Integration};
use bridge::BuildError;
use serde_json::json;
use std::sync::{Arc, Mutex};

/// The two examples of configuration.md, verbatim: the schemas must accept what Talkdesk documents.
#[test]
fn the_schemas_accept_the_documented_examples() {
    let integration = talkdesk_examples::zendesk_integration();
    assert_valid("integration", &integration);
    let action = talkdesk_examples::zendesk_action();
    assert_valid("action", &action);
    // And they refuse what configuration.md rules out.
    let mut custom_without_fields = integration.clone();
    custom_without_fields.as_object_mut().unwrap().remove("authentication_configuration");
    assert!(!schema("integration").is_valid(&custom_without_fields));
    assert!(!schema("action").is_valid(&json!({"provider": "zendesk", "name": "x"})));
}

fn integration() -> Integration {
    Integration::new("in_memory", "In-memory service")
        .description("Contacts, cases and agents of an in-memory service")
        .logo_url("https://service.example.com/logo.png")
        .icon_url("https://service.example.com/icon.png")
        .custom_auth(vec![
            AuthField::input("username", "Username"),
            AuthField::input("password", "Password").help("The service's API password"),
        ])
        .interaction_types(["case", "note"])
}

fn minimal_bridge() -> bridge::Bridge {
    minimal::bridge(Arc::new(Mutex::new(minimal::Service::sample(1))))
}

#[tokio::test]
async fn the_bridge_serves_its_configuration() {
    let create_ticket = ActionSpec {
        name: "create_ticket".into(),
        display: "create a ticket".into(),
        description: "create a new case in the service".into(),
        inputs: vec![
            ActionInput::new("subject", "Ticket subject", true),
            ActionInput::new("description", "Ticket description", true),
            ActionInput::new("priority", "Priority", false),
        ],
    };
    let bridge = common::start(
        minimal_bridge().integration(integration().action(create_ticket)).public_url("https://bridge.example.com/"),
    )
    .await;
    let answer = common::get(&bridge, "/configuration").await;
    let documents = answer.assert_json(200);
    let integration = &documents["integration"];
    assert_valid("integration", integration);
    for action in documents["actions"].as_array().unwrap() {
        assert_valid("action", action);
    }
    assert_eq!(integration["auth_validation_endpoint"], "https://bridge.example.com/auth_validation");
    assert_eq!(integration["contact_synchronization_endpoint"], "https://bridge.example.com/contact_sync");
    assert_eq!(integration["interaction_retrieval_endpoint"], "https://bridge.example.com/interaction_update");
    assert_eq!(integration["agent_synchronization_endpoint"], "https://bridge.example.com/agent_sync");
    assert_eq!(
        integration["authentication_configuration"],
        json!([
            {"username": {"source": "input", "display": "Username", "mandatory": true, "type": "input", "store": true}},
            {"password": {"source": "input", "display": "Password", "mandatory": true, "type": "input", "store": true,
                          "help": "The service's API password"}}
        ])
    );
    assert_eq!(documents["actions"][0]["endpoint"], "https://bridge.example.com/actions/create_ticket");
    assert_eq!(
        documents["actions"][0]["inputs"][2],
        json!({"key": "priority", "name": "Priority", "mandatory": false})
    );
}

#[tokio::test]
async fn without_a_public_url_the_host_is_used() {
    let bridge = common::start(minimal_bridge().integration(integration())).await;
    let documents = common::get(&bridge, "/configuration").await.assert_json(200);
    assert_eq!(documents["integration"]["contact_synchronization_endpoint"], format!("{}/contact_sync", bridge.url()));
    // An action nobody described still gets a valid document.
    assert_valid("action", &documents["actions"][0]);
    assert_eq!(documents["actions"][0]["display"], "create ticket");
    // Its inputs come from `#[derive(bridge::ActionInputs)]` on the `T` of its `Data<T>`.
    assert_eq!(
        documents["actions"][0]["inputs"],
        json!([
            {"key": "subject", "name": "Ticket subject", "mandatory": true},
            {"key": "description", "name": "Ticket description", "mandatory": true},
            {"key": "priority", "name": "Priority", "mandatory": false}
        ])
    );
}

/// Every accepted form of the derives: serde's names, `Option` and `#[serde(default)]` fields, doc comments as
/// labels, every key, generics.
#[test]
fn the_derives_describe_fields_by_their_serde_names() {
    #[derive(serde::Deserialize, bridge::AuthFields)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Credentials<T> {
        /// API Key.
        ///
        /// More documentation, not part of the label.
        api_key: T,
        #[bridge(display = "Code", store = false, help = "Sent once")]
        #[serde(rename = "oauth_code")]
        code: Option<String>,
        #[bridge(display = "Host", format = "https://{{host}}.example.com")]
        #[serde(default)]
        r#host: String,
        #[serde(skip)]
        ignored: u8,
    }
    assert_eq!(
        Credentials::<bridge::Secret>::auth_fields(),
        vec![
            AuthField::input("apiKey", "API Key"),
            AuthField::input("oauth_code", "Code").optional().store(false).help("Sent once"),
            AuthField::input("host", "Host").optional().format("https://{{host}}.example.com"),
        ]
    );

    #[derive(serde::Deserialize, bridge::ActionInputs)]
    #[serde(rename_all = "kebab-case")]
    #[allow(dead_code)]
    struct Inputs {
        #[bridge(name = "Ticket subject")]
        ticket_subject: String,
        /// Notes
        notes: Option<String>,
    }
    assert_eq!(
        Inputs::action_inputs(),
        vec![ActionInput::new("ticket-subject", "Ticket subject", true), ActionInput::new("notes", "Notes", false)]
    );
}

/// `#[bridge::action_executor(display, description)]`, or the function's doc comment, describe the action.
#[test]
fn an_action_executor_describes_its_action() {
    #[derive(serde::Deserialize, bridge::ActionInputs)]
    #[allow(dead_code)]
    struct Note {
        /// Text
        text: String,
    }

    /// add a note to the contact
    ///
    /// (Not part of the description.)
    #[bridge::action_executor(name = "add_note", display = "add a note")]
    async fn add_note(
        _auth: bridge::Auth<String>,
        _note: bridge::Data<Note>,
    ) -> Result<bridge::ActionOutcome, bridge::Error> {
        Ok(bridge::ActionOutcome::message("added"))
    }

    #[bridge::action_executor(name = "ping-them", description = "ping the service")]
    async fn ping(_auth: bridge::Auth<String>) -> Result<bridge::ActionOutcome, bridge::Error> {
        Ok(bridge::ActionOutcome::message("pong"))
    }

    use bridge::Endpoint;
    assert_eq!(
        add_note {}.action_spec(),
        Some(ActionSpec::new(
            "add_note",
            "add a note",
            "add a note to the contact",
            vec![ActionInput::new("text", "Text", true)]
        ))
    );
    assert_eq!(ping {}.action_spec(), Some(ActionSpec::new("ping-them", "ping them", "ping the service", vec![])));
}

#[test]
fn invalid_metadata_is_refused_at_start_up() {
    let refused = |integration: Integration| match minimal_bridge().integration(integration).into_service() {
        Err(BuildError::Configuration(err)) => err.to_string(),
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("accepted"),
    };
    assert!(refused(Integration::new("", "x")).contains("`name` must not be empty"));
    assert!(refused(integration().custom_auth(vec![])).contains("at least one auth field"));
    #[derive(serde::Deserialize, bridge::AuthFields)]
    struct NoFields {}
    assert!(refused(integration().custom_auth_of::<NoFields>()).contains("at least one auth field"));
    assert!(refused(integration().description(" ")).contains("`description` must not be empty"));
    let twice =
        ActionSpec { name: "create_ticket".into(), display: "a".into(), description: "b".into(), inputs: vec![] };
    assert!(
        refused(integration().action(twice.clone()).action(twice)).contains("two actions are named `create_ticket`")
    );
    let unmounted =
        ActionSpec { name: "delete_all".into(), display: "a".into(), description: "b".into(), inputs: vec![] };
    assert!(refused(integration().action(unmounted)).contains("no endpoint executes it"));
}

/// Two mounted actions with one name (on two paths) would be one action to Talkdesk: refused at start-up.
#[test]
fn two_mounted_actions_with_one_name_are_refused() {
    #[bridge::action_executor(name = "notify", path = "/v1/notify")]
    async fn notify_v1(_auth: bridge::Auth<String>) -> Result<bridge::ActionOutcome, bridge::Error> {
        Ok(bridge::ActionOutcome::message("sent"))
    }

    #[bridge::action_executor(name = "notify", path = "/v2/notify")]
    async fn notify_v2(_auth: bridge::Auth<String>) -> Result<bridge::ActionOutcome, bridge::Error> {
        Ok(bridge::ActionOutcome::message("sent"))
    }

    let bridge = bridge::Bridge::new().endpoint(notify_v1 {}).endpoint(notify_v2 {}).integration(integration());
    match bridge.into_service() {
        Err(BuildError::Configuration(err)) => assert_eq!(err.to_string(), "two actions are named `notify`"),
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("accepted"),
    }
}
