//! The configuration documents against Talkdesk's format: each document against its JSON Schema (the repository's
//! `schemas/`, embedded in the binary), a field Talkdesk does not know (a typo Talkdesk would silently ignore) as a
//! warning, and what the documents must agree on between them.

use crate::documents::{kind, Documents};
use crate::report::Line;
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// The integration's document format: `schemas/integration.schema.json`.
pub const INTEGRATION_SCHEMA: &str = include_str!("../schemas/integration.schema.json");

/// An action's document format: `schemas/action.schema.json`.
pub const ACTION_SCHEMA: &str = include_str!("../schemas/action.schema.json");

struct Schema {
    source: Value,
    validator: jsonschema::Validator,
}

fn compile(text: &str) -> Schema {
    let source: Value = serde_json::from_str(text).expect("the embedded schema is JSON");
    let validator = jsonschema::validator_for(&source).expect("the embedded schema is a valid JSON Schema");
    Schema { source, validator }
}

fn integration_schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| compile(INTEGRATION_SCHEMA))
}

fn action_schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| compile(ACTION_SCHEMA))
}

/// What is wrong with `document` by `schema`, one line each: ``at `/inputs/0`: "key" is a required property``.
fn violations(schema: &Schema, document: &Value) -> Vec<String> {
    schema
        .validator
        .iter_errors(document)
        .map(|error| {
            let at = error.instance_path().to_string();
            if at.is_empty() {
                error.to_string()
            } else {
                format!("at `{at}`: {error}")
            }
        })
        .collect()
}

/// The field names the schema object at `pointer` lists under `properties`.
fn known_fields(schema: &Schema, pointer: &str) -> BTreeSet<String> {
    schema.source.pointer(pointer).and_then(Value::as_object).map(|p| p.keys().cloned().collect()).unwrap_or_default()
}

/// A warning for each field of `object` that `known` does not list.
fn unknown_fields(object: &Map<String, Value>, known: &BTreeSet<String>, at: &str, warnings: &mut Vec<String>) {
    for key in object.keys().filter(|key| !known.contains(*key)) {
        warnings.push(format!("{at}`{key}` is not a field of Talkdesk's format: Talkdesk ignores it (a typo?)"));
    }
}

/// The integration's document: its format, and the fields Talkdesk does not know.
fn integration(document: &Value) -> Line {
    let schema = integration_schema();
    let line = Line::configuration("IntegrationDocument", "the integration's document follows Talkdesk's format");
    let errors = violations(schema, document);
    let mut warnings = Vec::new();
    if let Some(fields) = document.as_object() {
        unknown_fields(fields, &known_fields(schema, "/properties"), "", &mut warnings);
        let auth_fields = known_fields(schema, "/$defs/auth_field/properties");
        let entries = fields.get("authentication_configuration").and_then(Value::as_array);
        for (i, entry) in entries.into_iter().flatten().enumerate() {
            for (name, field) in entry.as_object().into_iter().flatten() {
                if let Some(field) = field.as_object() {
                    let at = format!("authentication_configuration[{i}].{name}: ");
                    unknown_fields(field, &auth_fields, &at, &mut warnings);
                }
            }
        }
    }
    let name = document["name"].as_str().unwrap_or("?");
    let line = line.found(errors, warnings);
    Line { summary: Some(format!("integration `{name}`")), ..line }
}

/// One action's document: its format, and the fields Talkdesk does not know.
fn action(document: &Value, position: usize) -> Line {
    let schema = action_schema();
    let mut line = Line::configuration("ActionDocument", "the action's document follows Talkdesk's format");
    line.subject = Some(match document["name"].as_str() {
        Some(name) => format!("action `{name}`"),
        None => format!("action #{position}"),
    });
    let errors = violations(schema, document);
    let mut warnings = Vec::new();
    if let Some(fields) = document.as_object() {
        unknown_fields(fields, &known_fields(schema, "/properties"), "", &mut warnings);
        let input_fields = known_fields(schema, "/properties/inputs/items/properties");
        for (i, input) in document["inputs"].as_array().into_iter().flatten().enumerate() {
            if let Some(input) = input.as_object() {
                unknown_fields(input, &input_fields, &format!("inputs[{i}]: "), &mut warnings);
            }
        }
    }
    let inputs = document["inputs"].as_array().map_or(0, Vec::len);
    let line = line.found(errors, warnings);
    Line { summary: Some(format!("{inputs} input{}", if inputs == 1 { "" } else { "s" })), ..line }
}

/// What the documents must agree on: each action's `provider` is the integration's `name`, action names and input
/// keys are unique, and an integration that retrieves interactions declares the types it can return.
fn agreement(documents: &Documents) -> Line {
    let line = Line::configuration("DocumentsAgree", "the documents agree with each other");
    let (mut errors, mut warnings) = (Vec::new(), Vec::new());
    let name = documents.integration["name"].as_str();
    let mut names = BTreeSet::new();
    for action in &documents.actions {
        let label = action["name"].as_str().map_or("an action".to_owned(), |n| format!("action `{n}`"));
        match (action["provider"].as_str(), name) {
            (Some(provider), Some(name)) if provider != name => {
                errors.push(format!("{label}: `provider` is {provider:?}, not the integration's `name` {name:?}"))
            }
            _ => {}
        }
        if let Some(action_name) = action["name"].as_str() {
            if !names.insert(action_name) {
                errors.push(format!("two actions are named {action_name:?}: an action's name is unique"));
            }
        }
        let mut keys = BTreeSet::new();
        for key in action["inputs"].as_array().into_iter().flatten().filter_map(|i| i["key"].as_str()) {
            if !keys.insert(key) {
                errors.push(format!("{label}: two inputs have the key {key:?}"));
            }
        }
    }
    let integration = &documents.integration;
    if integration.get("interaction_retrieval_endpoint").is_some() {
        match integration.get("interaction_types") {
            Some(Value::Array(types)) if !types.is_empty() => {}
            Some(Value::Array(_)) | None => warnings.push(
                "an interaction_retrieval_endpoint without interaction_types: an account has no type to choose"
                    .to_owned(),
            ),
            Some(other) => errors.push(format!("`interaction_types` is {}, not an array", kind(other))),
        }
    }
    let endpoints = crate::plan::declared_endpoint_count(documents);
    let actions = documents.actions.len();
    let summary = format!(
        "{endpoints} endpoint{} and {actions} action{} declared",
        if endpoints == 1 { "" } else { "s" },
        if actions == 1 { "" } else { "s" }
    );
    let line = line.found(errors, warnings);
    Line { summary: Some(summary), ..line }
}

/// Every check of the documents, in order: the integration's, each action's, and their agreement.
pub fn check(documents: &Documents) -> Vec<Line> {
    let mut lines = vec![integration(&documents.integration)];
    for (i, document) in documents.actions.iter().enumerate() {
        lines.push(action(document, i + 1));
    }
    lines.push(agreement(documents));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use bridge_runtime::testing::Outcome;
    use serde_json::json;

    /// Talkdesk's own examples, from its configuration reference.
    fn talkdesk_integration() -> Value {
        json!({
          "name": "zendesk",
          "display_name": "Zendesk",
          "description": "Centralize all your customer conversations so nothing gets ignored.",
          "logo_url": "https://talkdeskapp.s3.amazonaws.com/assets/integrations/zendesk.png",
          "icon_url": "https://talkdeskapp.s3.amazonaws.com/assets/integrations/zendesk_icon.png",
          "authentication_type": "custom",
          "authentication_configuration": [
            {"account": { "source": "input", "display": "Account", "mandatory": true, "type": "input", "store": true, "format": "https://{{account}}.zendesk.com" }},
            {"email": { "source": "input", "display": "Agent Email", "mandatory": true, "type": "input", "store": true }},
            {"token": { "source": "input", "display": "API Token", "mandatory": true, "type": "input", "store": true, "help": "Find under Settings > Channels" }}
          ],
          "auth_validation_endpoint": "https://td-zendesk.herokuapp.com/auth_validation",
          "contact_synchronization_endpoint": "https://td-zendesk.herokuapp.com/contact_sync",
          "interaction_retrieval_endpoint": "https://td-zendesk.herokuapp.com/interaction_update",
          "agent_synchronization_endpoint": "https://td-zendesk.herokuapp.com/agent_sync",
          "interaction_types": ["ticket"]
        })
    }

    fn talkdesk_action() -> Value {
        json!({
          "provider": "zendesk",
          "name": "create_ticket",
          "display": "create a ticket",
          "description": "create a new ticket in Zendesk",
          "endpoint": "https://td-zendesk.herokuapp.com/actions/create_ticket",
          "inputs": [
            {"key": "subject", "name": "Ticket subject", "mandatory": true},
            {"key": "description", "name": "Ticket description", "mandatory": true}
          ]
        })
    }

    fn documents(integration: Value, actions: Vec<Value>) -> Documents {
        Documents { source: "test".into(), integration, actions }
    }

    #[test]
    fn talkdesks_own_examples_pass() {
        let lines = check(&documents(talkdesk_integration(), vec![talkdesk_action()]));
        for line in &lines {
            assert_eq!(line.outcome, Outcome::Pass, "{line:?}");
        }
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[2].summary.as_deref(), Some("4 endpoints and 1 action declared"));
    }

    #[test]
    fn the_schemas_are_the_repositorys() {
        for (name, embedded) in [("integration", INTEGRATION_SCHEMA), ("action", ACTION_SCHEMA)] {
            let path = format!("{}/../schemas/{name}.schema.json", env!("CARGO_MANIFEST_DIR"));
            let original = std::fs::read_to_string(&path).unwrap();
            assert_eq!(embedded, original, "bridge-conformance/schemas/ is a copy of schemas/: copy {path} again");
        }
    }

    #[test]
    fn names_what_is_wrong_in_each_document() {
        let mut integration = talkdesk_integration();
        integration["authentication_configuration"][2]["token"].as_object_mut().unwrap().remove("display");
        integration["authentication_type"] = json!("basic");
        integration["contact_sync_endpoint"] = json!("https://td-zendesk.herokuapp.com/contact_sync");
        let mut action = talkdesk_action();
        action["provider"] = json!("zendesk2");
        action["inputs"][1]["mandatory"] = json!("yes");
        action["inputs"][1]["label"] = json!("x");
        let lines = check(&documents(integration, vec![action.clone(), action]));

        assert_eq!(lines[0].outcome, Outcome::Fail);
        let reasons = lines[0].reasons.join("\n");
        assert!(
            reasons.contains("at `/authentication_configuration/2/token`: \"display\" is a required property"),
            "{reasons}"
        );
        assert!(reasons.contains("at `/authentication_type`: \"basic\" is not one of"), "{reasons}");
        assert!(reasons.contains("warning: `contact_sync_endpoint` is not a field of Talkdesk's format"), "{reasons}");

        assert_eq!(lines[1].outcome, Outcome::Fail);
        assert_eq!(lines[1].subject.as_deref(), Some("action `create_ticket`"));
        let reasons = lines[1].reasons.join("\n");
        assert!(reasons.contains("at `/inputs/1/mandatory`: \"yes\" is not of type \"boolean\""), "{reasons}");
        assert!(reasons.contains("warning: inputs[1]: `label` is not a field of Talkdesk's format"), "{reasons}");

        let agreement = lines.last().unwrap();
        assert_eq!(agreement.outcome, Outcome::Fail);
        assert!(
            agreement.reasons.contains(
                &"action `create_ticket`: `provider` is \"zendesk2\", not the integration's `name` \"zendesk\""
                    .to_owned()
            ),
            "{agreement:?}"
        );
        assert!(
            agreement
                .reasons
                .contains(&"two actions are named \"create_ticket\": an action's name is unique".to_owned()),
            "{agreement:?}"
        );
    }

    #[test]
    fn an_unknown_field_alone_is_a_warning() {
        let mut integration = talkdesk_integration();
        integration["interaction_type"] = json!(["ticket"]);
        let line = &check(&documents(integration, vec![]))[0];
        assert_eq!(line.outcome, Outcome::Warn, "{line:?}");
    }
}
