//! The Zendesk example's configuration documents, generated from its code, against Talkdesk's own Zendesk example
//! in its configuration reference (`docs/configuration.md`): the same auth fields, the same endpoints (at the
//! bridge's public URL, only those it mounts), the same `create_ticket` action and inputs, valid against the
//! project's JSON Schemas. Both in-process and through the real binary's `configuration` subcommand.

use crate::zendesk_example as example;

use crate::common;

use common::schemas::assert_valid;
use common::talkdesk_examples;

use crate::common::child::clean_command;
use serde_json::{json, Value};
use std::path::PathBuf;

const PUBLIC_URL: &str = "https://td-zendesk.herokuapp.com";

/// Talkdesk's example integration (configuration.md), but for the stray spaces in its description.
fn talkdesk_integration() -> Value {
    let mut integration = talkdesk_examples::zendesk_integration();
    let description = integration["description"].as_str().expect("a description");
    integration["description"] = json!(description.split_whitespace().collect::<Vec<_>>().join(" "));
    integration
}

/// Talkdesk's example action, with the example's one extra input: an optional priority.
fn talkdesk_action() -> Value {
    let mut action = talkdesk_examples::zendesk_action();
    let inputs = action["inputs"].as_array_mut().expect("inputs");
    inputs.push(json!({"key": "priority", "name": "Ticket priority", "mandatory": false}));
    action
}

fn assert_talkdesks_shape(documents: &Value) {
    assert_valid("integration", &documents["integration"]);
    assert_eq!(documents["integration"], talkdesk_integration(), "{documents:#}");
    let actions = documents["actions"].as_array().expect("an array of actions");
    assert_eq!(actions.len(), 1, "{documents:#}");
    assert_valid("action", &actions[0]);
    assert_eq!(actions[0], talkdesk_action());
}

#[test]
fn the_generated_documents_are_talkdesks_zendesk_configuration() {
    let documents = example::configuration(PUBLIC_URL).expect("the documents are generated");
    assert_talkdesks_shape(&documents.to_json());
    // A trailing `/` or a path prefix on the public URL.
    let documents = example::configuration("https://bridges.example.com/zendesk/").unwrap();
    assert_eq!(
        documents.integration["agent_synchronization_endpoint"],
        "https://bridges.example.com/zendesk/agent_sync"
    );
    assert_eq!(documents.actions[0]["endpoint"], "https://bridges.example.com/zendesk/actions/create_ticket");
}

#[test]
fn only_mounted_endpoints_get_a_url() {
    let bridge = bridge::Bridge::new()
        .endpoint(example::handlers::validate {})
        .endpoint(example::handlers::contacts {})
        .integration(example::integration());
    let documents = bridge.configuration(PUBLIC_URL).unwrap();
    let integration = documents.integration.as_object().unwrap();
    assert_eq!(integration["auth_validation_endpoint"], "https://td-zendesk.herokuapp.com/auth_validation");
    assert!(!integration.contains_key("interaction_retrieval_endpoint"));
    assert!(!integration.contains_key("agent_synchronization_endpoint"));
    assert!(documents.actions.is_empty());
    assert_valid("integration", &documents.integration);
}

/// The example's binary, as `cargo test` builds it (`target/<profile>/examples/zendesk`).
fn example_binary() -> PathBuf {
    let test_binary = std::env::current_exe().expect("the test binary's path");
    let profile_dir = test_binary.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps");
    let binary = profile_dir.join("examples").join(format!("zendesk{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: `cargo test` builds the examples; alone, this test needs `cargo build --example zendesk`",
        binary.display()
    );
    binary
}

#[test]
fn the_configuration_subcommand_prints_the_documents() {
    let output = clean_command(example_binary())
        .args(["configuration", "--public-url", PUBLIC_URL])
        .output()
        .expect("the example runs");
    assert!(output.status.success(), "{output:?}");
    let documents: Value = serde_json::from_slice(&output.stdout).expect("stdout is the documents' JSON");
    assert_talkdesks_shape(&documents);
}

#[test]
fn the_configuration_subcommand_refuses_a_bad_public_url() {
    let binary = example_binary();
    let output = clean_command(&binary).args(["configuration", "--public-url", "ftp://x"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("the public URL `ftp://x` must be http(s)://"));
    assert!(output.stdout.is_empty());
    let output = clean_command(&binary).args(["configuration"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("configuration --public-url <URL>"));
}
