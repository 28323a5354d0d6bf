//! What to check, read from the configuration documents: the endpoints Talkdesk will call and their paths, the
//! interaction types it may ask for, the actions and their inputs, the authentication type and fields. Then the
//! flags are held against it: credentials without a mandatory field, an action that is not declared or an input it
//! does not declare are usage errors, since Talkdesk would never send them.

use crate::args::{ActionFlags, Options};
use crate::documents::Documents;
use bridge_runtime::testing::{ActionProbe, Paths};
use bridge_runtime::EndpointKind;
use serde_json::{Map, Value};

/// The endpoints of the integration's document, other than actions (named, each in a document of its own), in the
/// protocol's order: every kind of the runtime's table, so that a new kind is checked here with no change.
fn endpoints() -> impl Iterator<Item = EndpointKind> {
    EndpointKind::ALL.into_iter().filter(|kind| !kind.is_named())
}

/// How many endpoints the integration's document declares.
pub(crate) fn declared_endpoint_count(documents: &Documents) -> usize {
    endpoints().filter(|kind| documents.integration.get(kind.configuration_key()).is_some()).count()
}

/// One input of an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// Its key in `data`.
    pub key: String,
    /// Whether Talkdesk sends the action only with it.
    pub mandatory: bool,
}

/// One declared action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// Its name.
    pub name: String,
    /// Its path on the bridge.
    pub path: String,
    /// Its inputs.
    pub inputs: Vec<Input>,
}

/// One field of a `custom` (or OAuth) authentication configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthField {
    /// Its key in `auth`.
    pub key: String,
    /// Whether the user must fill it.
    pub mandatory: bool,
    /// `input`, `default` or `auth_validation`.
    pub source: String,
    /// `input` or `oauth`.
    pub kind: String,
}

/// What the documents say to check.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The endpoints declared, actions included when there are any.
    pub declared: Vec<EndpointKind>,
    /// Where each endpoint is on the bridge.
    pub paths: Paths,
    /// The interaction types the integration declares.
    pub interaction_types: Vec<String>,
    /// The declared actions.
    pub actions: Vec<Action>,
    /// `none`, `custom`, `oauth2`…, when the document says.
    pub authentication_type: Option<String>,
    /// The authentication fields.
    pub auth_fields: Vec<AuthField>,
}

/// The path (and query) of `url` on the bridge at `base`: `https://bridge.example.com/contact_sync` is
/// `/contact_sync`; a base with a path of its own (`http://127.0.0.1:3000/talkdesk`) is taken off the front when the
/// document's path starts with it. `None` when `url` is not an absolute http(s) URL.
fn path_of(url: &str, base: &str) -> Option<String> {
    let path = |url: &str| -> Option<String> {
        let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
        Some(rest.find(['/', '?']).map_or("/".to_owned(), |at| rest[at..].to_owned()))
    };
    let full = path(url)?;
    let full = if full.starts_with('?') { format!("/{full}") } else { full };
    let prefix = path(base).unwrap_or_default();
    let prefix = prefix.trim_end_matches('/');
    match full.strip_prefix(prefix) {
        Some(rest) if !prefix.is_empty() && (rest.starts_with('/') || rest.starts_with('?')) => Some(rest.to_owned()),
        _ => Some(full),
    }
}

impl Plan {
    /// Reads the plan from `documents`, for the bridge at `base_url` (anything else, e.g. `a bridge in process`,
    /// takes nothing off the documents' paths). What the documents lack or get wrong is left out here (the
    /// validation reports it).
    pub fn new(documents: &Documents, base_url: &str) -> Self {
        let integration = &documents.integration;
        let mut paths = Paths::default();
        let mut declared = Vec::new();
        for kind in endpoints() {
            let Some(path) = integration[kind.configuration_key()].as_str().and_then(|url| path_of(url, base_url))
            else {
                continue;
            };
            let Some(slot) = paths.endpoint_mut(kind) else { continue };
            *slot = path;
            declared.push(kind);
        }
        let mut actions = Vec::new();
        for document in &documents.actions {
            let Some(name) = document["name"].as_str() else { continue };
            let path = document["endpoint"].as_str().and_then(|url| path_of(url, base_url));
            let path = path.unwrap_or_else(|| format!("/actions/{name}"));
            paths.actions.insert(name.to_owned(), path.clone());
            let inputs = document["inputs"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|input| {
                    let key = input["key"].as_str()?.to_owned();
                    Some(Input { key, mandatory: input["mandatory"].as_bool().unwrap_or(false) })
                })
                .collect();
            actions.push(Action { name: name.to_owned(), path, inputs });
        }
        if !actions.is_empty() {
            declared.push(EndpointKind::Action);
        }
        let interaction_types = integration["interaction_types"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect();
        let auth_fields = integration["authentication_configuration"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .flat_map(|entry| entry.iter())
            .map(|(key, field)| AuthField {
                key: key.clone(),
                mandatory: field["mandatory"].as_bool().unwrap_or(false),
                source: field["source"].as_str().unwrap_or("input").to_owned(),
                kind: field["type"].as_str().unwrap_or("input").to_owned(),
            })
            .collect();
        Self {
            declared,
            paths,
            interaction_types,
            actions,
            authentication_type: integration["authentication_type"].as_str().map(str::to_owned),
            auth_fields,
        }
    }

    /// Whether the integration uses OAuth 2.0 (`oauth2`, `oauth2_password`, `oauth2_client_credentials`).
    pub fn is_oauth(&self) -> bool {
        self.authentication_type.as_deref().is_some_and(|t| t.starts_with("oauth2"))
    }

    /// The key of `auth` that carries the OAuth access token: the one field of type `oauth`, if there is one.
    pub fn oauth_token_field(&self) -> Option<&str> {
        let mut oauth = self.auth_fields.iter().filter(|f| f.kind == "oauth");
        match (oauth.next(), oauth.next()) {
            (Some(field), None) => Some(&field.key),
            _ => None,
        }
    }

    /// The credentials to send: `--auth`, or `{}` for an integration without authentication; a usage error when
    /// they lack a field Talkdesk always sends (mandatory, and typed by the user or provided by OAuth).
    pub fn credentials(&self, auth: Option<&Value>) -> Result<Value, String> {
        let auth = match auth {
            Some(auth) => auth.clone(),
            None if self.authentication_type.as_deref() == Some("none") => Value::Object(Map::new()),
            None => {
                let of = self.authentication_type.as_deref().unwrap_or("not given");
                return Err(format!("--auth is required: the integration's authentication_type is {of}"));
            }
        };
        let missing: Vec<&str> = self
            .auth_fields
            .iter()
            .filter(|f| f.mandatory && f.source == "input" && auth.get(&f.key).is_none())
            .map(|f| f.key.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "--auth lacks {}: mandatory in the integration's authentication_configuration, so Talkdesk always \
                 sends {}",
                missing.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "),
                if missing.len() == 1 { "it" } else { "them" }
            ));
        }
        Ok(auth)
    }

    /// The probe of each `--action`; a usage error for an action the documents do not declare, inputs it does not
    /// declare, or mandatory inputs left out (Talkdesk sends an action only with them).
    pub fn probes(&self, flags: &[ActionFlags]) -> Result<Vec<ActionProbe>, String> {
        let mut probes = Vec::new();
        for flag in flags {
            let Some(action) = self.actions.iter().find(|a| a.name == flag.name) else {
                let declared: Vec<&str> = self.actions.iter().map(|a| a.name.as_str()).collect();
                let declared = if declared.is_empty() { "none".to_owned() } else { declared.join(", ") };
                return Err(format!("--action {}: not a declared action (declared: {declared})", flag.name));
            };
            let data = flag.data.clone().unwrap_or_else(|| Value::Object(Map::new()));
            let Value::Object(inputs) = &data else {
                return Err(format!("--action-data of {}: expected a JSON object of its inputs", flag.name));
            };
            let unknown: Vec<&str> =
                inputs.keys().filter(|k| !action.inputs.iter().any(|i| &i.key == *k)).map(String::as_str).collect();
            if !unknown.is_empty() {
                let declared: Vec<&str> = action.inputs.iter().map(|i| i.key.as_str()).collect();
                return Err(format!(
                    "--action-data of {}: {} not among its declared inputs ({})",
                    flag.name,
                    unknown.join(", "),
                    declared.join(", ")
                ));
            }
            let missing: Vec<&str> = action
                .inputs
                .iter()
                .filter(|i| i.mandatory && !inputs.contains_key(&i.key))
                .map(|i| i.key.as_str())
                .collect();
            if !missing.is_empty() {
                return Err(format!(
                    "--action-data of {}: give its mandatory input{} {} (Talkdesk sends the action only with them)",
                    flag.name,
                    if missing.len() == 1 { "" } else { "s" },
                    missing.join(", ")
                ));
            }
            let mut probe = ActionProbe::new(&action.name).data(&data);
            for (key, value) in &flag.meta {
                probe = probe.meta_field(key, value.clone());
            }
            probes.push(probe);
        }
        Ok(probes)
    }

    /// The declared actions `options` does not run, with the flags that would.
    pub fn not_run(&self, options: &Options) -> Vec<(String, String)> {
        self.actions
            .iter()
            .filter(|a| !options.actions.iter().any(|flag| flag.name == a.name))
            .map(|a| {
                let example: Map<String, Value> =
                    a.inputs.iter().filter(|i| i.mandatory).map(|i| (i.key.clone(), Value::from("…"))).collect();
                (a.name.clone(), format!("--action {} --action-data '{}'", a.name, Value::Object(example)))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_are_read_from_the_urls() {
        assert_eq!(
            path_of("https://bridge.example.com/contact_sync", "http://127.0.0.1:3000"),
            Some("/contact_sync".into())
        );
        assert_eq!(path_of("http://h:1/a/b?key=1", "http://127.0.0.1:3000"), Some("/a/b?key=1".into()));
        assert_eq!(path_of("https://h", "http://x"), Some("/".into()));
        assert_eq!(path_of("https://h/talkdesk/contact_sync", "http://x/talkdesk/"), Some("/contact_sync".into()));
        assert_eq!(
            path_of("https://h/talkdeskish/contact_sync", "http://x/talkdesk"),
            Some("/talkdeskish/contact_sync".into())
        );
        assert_eq!(path_of("ftp://h/x", "http://x"), None);
    }

    fn plan() -> Plan {
        let documents = Documents::sort(
            "test",
            vec![json!({
                "integration": {
                    "name": "desk",
                    "authentication_type": "custom",
                    "authentication_configuration": [
                        {"account": {"source": "input", "display": "Account", "mandatory": true, "type": "input", "store": true}},
                        {"token": {"source": "input", "display": "Token", "mandatory": true, "type": "input", "store": true}},
                        {"region": {"source": "input", "display": "Region", "mandatory": false, "type": "input", "store": true}},
                        {"user_id": {"source": "auth_validation", "display": "User", "mandatory": true, "type": "input", "store": true}}
                    ],
                    "contact_synchronization_endpoint": "https://desk.example.com/v1/contacts",
                    "interaction_retrieval_endpoint": "https://desk.example.com/v1/interactions",
                    "interaction_types": ["ticket", "comment"]
                },
                "actions": [{
                    "provider": "desk", "name": "create_ticket", "display": "create a ticket", "description": "d",
                    "endpoint": "https://desk.example.com/v1/tickets",
                    "inputs": [{"key": "subject", "name": "Subject", "mandatory": true},
                               {"key": "body", "name": "Body", "mandatory": false}]
                }]
            })],
        )
        .unwrap();
        Plan::new(&documents, "http://127.0.0.1:8000")
    }

    #[test]
    fn reads_endpoints_types_actions_and_auth_from_the_documents() {
        let plan = plan();
        assert_eq!(
            plan.declared,
            [EndpointKind::ContactSync, EndpointKind::InteractionRetrieval, EndpointKind::Action]
        );
        assert_eq!(
            (plan.paths.contact_sync.as_str(), plan.paths.action("create_ticket").as_str()),
            ("/v1/contacts", "/v1/tickets")
        );
        assert_eq!(plan.interaction_types, ["ticket", "comment"]);
        assert_eq!(
            plan.actions[0].inputs,
            [Input { key: "subject".into(), mandatory: true }, Input { key: "body".into(), mandatory: false }]
        );
        assert!(!plan.is_oauth());
    }

    #[test]
    fn holds_the_flags_against_the_documents() {
        let plan = plan();
        assert_eq!(
            plan.credentials(Some(&json!({"account": "a"}))),
            Err("--auth lacks `token`: mandatory in the integration's authentication_configuration, so Talkdesk always sends it".into())
        );
        assert!(plan.credentials(Some(&json!({"account": "a", "token": "t"}))).is_ok());
        assert_eq!(
            plan.credentials(None),
            Err("--auth is required: the integration's authentication_type is custom".into())
        );

        let action = |name: &str, data: Value| ActionFlags { name: name.into(), data: Some(data), meta: Map::new() };
        assert_eq!(
            plan.probes(&[action("delete_everything", json!({}))]),
            Err("--action delete_everything: not a declared action (declared: create_ticket)".into())
        );
        assert_eq!(
            plan.probes(&[action("create_ticket", json!({"subject": "s", "priority": "high"}))]),
            Err("--action-data of create_ticket: priority not among its declared inputs (subject, body)".into())
        );
        assert_eq!(
            plan.probes(&[action("create_ticket", json!({"body": "b"}))]),
            Err("--action-data of create_ticket: give its mandatory input subject (Talkdesk sends the action only with them)".into())
        );
        let probes = plan.probes(&[action("create_ticket", json!({"subject": "s"}))]).unwrap();
        assert_eq!(probes, [ActionProbe::new("create_ticket").data(json!({"subject": "s"}))]);
    }
}
