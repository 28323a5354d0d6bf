//! Building and checking the documents: the integration's JSON and one JSON per action, with the URLs of the
//! endpoints the bridge mounts.

use super::model::{ActionSpec, AuthenticationType, Integration};
use crate::endpoint::{EndpointInfo, EndpointKind};
use serde_json::{json, Map, Value};
use std::fmt;

/// The generated documents.
#[derive(Debug, Clone, PartialEq)]
pub struct Documents {
    /// The integration's configuration.
    pub integration: Value,
    /// One configuration per action, in mounting order.
    pub actions: Vec<Value>,
}

impl Documents {
    /// Both, as served at `GET /configuration`: `{"integration": …, "actions": […]}`.
    pub fn to_json(&self) -> Value {
        json!({"integration": self.integration, "actions": self.actions})
    }
}

/// Why the configuration cannot be generated. Reported when the bridge starts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A mandatory field is empty.
    Missing(&'static str),
    /// The system name is not made of lowercase letters, digits, `_` and `-`.
    InvalidName(String),
    /// A `custom` integration declares no auth fields.
    NoAuthFields,
    /// Two auth fields share a key.
    DuplicateAuthField(String),
    /// Two actions share a name.
    DuplicateAction(String),
    /// An action is described but not mounted.
    UnmountedAction(String),
    /// An action's display or description is empty.
    IncompleteAction(String),
    /// An interaction type is empty or given twice.
    InvalidInteractionType(String),
    /// The public URL is not an `http(s)://` URL without query or fragment.
    InvalidPublicUrl(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing(field) => write!(f, "the integration's `{field}` must not be empty"),
            Self::InvalidName(name) => {
                write!(f, "the integration's name `{name}` must be lowercase letters, digits, `_` or `-`")
            }
            Self::NoAuthFields => f.write_str("a `custom` integration needs at least one auth field"),
            Self::DuplicateAuthField(key) => write!(f, "the auth field `{key}` is declared twice"),
            Self::DuplicateAction(name) => write!(f, "two actions are named `{name}`"),
            Self::UnmountedAction(name) => write!(f, "the action `{name}` is described but no endpoint executes it"),
            Self::IncompleteAction(name) => write!(f, "the action `{name}` needs a display text and a description"),
            Self::InvalidInteractionType(kind) => write!(f, "the interaction type `{kind}` is empty or repeated"),
            Self::InvalidPublicUrl(url) => {
                write!(f, "the public URL `{url}` must be http(s)://host[:port][/path], without query or fragment")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

impl Integration {
    /// The documents for a bridge reachable at `public_url` that mounts `endpoints`. `described` are the actions'
    /// specs from their macros; those given to [`Integration::action`] take precedence.
    pub fn documents(
        &self,
        public_url: &str,
        endpoints: &[EndpointInfo],
        described: &[ActionSpec],
    ) -> Result<Documents, ConfigError> {
        self.check()?;
        let base = public_base(public_url)?;
        let mut integration = Map::new();
        integration.insert("name".into(), json!(self.name));
        integration.insert("display_name".into(), json!(self.display_name));
        integration.insert("description".into(), json!(self.description));
        integration.insert("logo_url".into(), json!(self.logo_url));
        integration.insert("icon_url".into(), json!(self.icon_url));
        integration.insert("authentication_type".into(), json!(self.authentication));
        if !self.auth_fields.is_empty() {
            let fields: Vec<Value> = self.auth_fields.iter().map(auth_field_json).collect();
            integration.insert("authentication_configuration".into(), Value::Array(fields));
        }
        for info in endpoints.iter().filter(|info| info.kind != EndpointKind::Action) {
            integration.insert(info.kind.configuration_key().into(), json!(format!("{base}{}", info.path)));
        }
        if !self.interaction_types.is_empty() {
            integration.insert("interaction_types".into(), json!(self.interaction_types));
        }

        let mounted: Vec<&EndpointInfo> = endpoints.iter().filter(|info| info.kind == EndpointKind::Action).collect();
        if let Some(spec) = self.actions.iter().find(|spec| !mounted.iter().any(|info| info.action == Some(&spec.name)))
        {
            return Err(ConfigError::UnmountedAction(spec.name.clone()));
        }
        let mut actions = Vec::new();
        let mut names: Vec<&str> = Vec::new();
        for info in mounted {
            let name = info.action.unwrap_or(info.handler);
            if names.contains(&name) {
                return Err(ConfigError::DuplicateAction(name.to_owned()));
            }
            names.push(name);
            let spec = self
                .actions
                .iter()
                .chain(described)
                .find(|spec| spec.name == name)
                .cloned()
                .unwrap_or_else(|| default_spec(name));
            if spec.display.trim().is_empty() || spec.description.trim().is_empty() {
                return Err(ConfigError::IncompleteAction(name.to_owned()));
            }
            actions.push(json!({
                "provider": self.name,
                "name": name,
                "display": spec.display,
                "description": spec.description,
                "endpoint": format!("{base}{}", info.path),
                "inputs": spec.inputs,
            }));
        }
        Ok(Documents { integration: Value::Object(integration), actions })
    }

    fn check(&self) -> Result<(), ConfigError> {
        for (field, value) in [
            ("name", &self.name),
            ("display_name", &self.display_name),
            ("description", &self.description),
            ("logo_url", &self.logo_url),
            ("icon_url", &self.icon_url),
        ] {
            if value.trim().is_empty() {
                return Err(ConfigError::Missing(field));
            }
        }
        if !self.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-') {
            return Err(ConfigError::InvalidName(self.name.clone()));
        }
        if self.authentication == AuthenticationType::Custom && self.auth_fields.is_empty() {
            return Err(ConfigError::NoAuthFields);
        }
        for (index, field) in self.auth_fields.iter().enumerate() {
            if self.auth_fields[..index].iter().any(|f| f.key == field.key) {
                return Err(ConfigError::DuplicateAuthField(field.key.clone()));
            }
        }
        for (index, kind) in self.interaction_types.iter().enumerate() {
            if kind.trim().is_empty() || self.interaction_types[..index].contains(kind) {
                return Err(ConfigError::InvalidInteractionType(kind.clone()));
            }
        }
        for (index, spec) in self.actions.iter().enumerate() {
            if self.actions[..index].iter().any(|s| s.name == spec.name) {
                return Err(ConfigError::DuplicateAction(spec.name.clone()));
            }
        }
        Ok(())
    }
}

/// Talkdesk's shape: one single-key object per field, `[{"account": {…}}, {"email": {…}}]`.
fn auth_field_json(field: &super::model::AuthField) -> Value {
    let mut body = Map::new();
    body.insert("source".into(), json!(field.source));
    body.insert("display".into(), json!(field.display));
    body.insert("mandatory".into(), json!(field.mandatory));
    body.insert("type".into(), json!(field.kind));
    body.insert("store".into(), json!(field.store));
    if let Some(help) = &field.help {
        body.insert("help".into(), json!(help));
    }
    if let Some(format) = &field.format {
        body.insert("format".into(), json!(format));
    }
    let mut entry = Map::new();
    entry.insert(field.key.clone(), Value::Object(body));
    Value::Object(entry)
}

/// An action described nowhere: its name, spaced, for display and description.
fn default_spec(name: &str) -> ActionSpec {
    let spaced = name.replace(['_', '-'], " ");
    ActionSpec { name: name.to_owned(), display: spaced.clone(), description: spaced, inputs: Vec::new() }
}

/// `https://host[:port][/prefix]` without a trailing `/`.
fn public_base(url: &str) -> Result<&str, ConfigError> {
    let trimmed = url.trim().trim_end_matches('/');
    let rest = trimmed.strip_prefix("https://").or_else(|| trimmed.strip_prefix("http://"));
    let valid = rest.is_some_and(|rest| {
        let host = rest.split('/').next().unwrap_or("");
        !host.is_empty() && !rest.contains(['?', '#', ' ', '@'])
    });
    if valid {
        Ok(trimmed)
    } else {
        Err(ConfigError::InvalidPublicUrl(url.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::{ActionInput, AuthField};
    use super::*;

    fn endpoints() -> Vec<EndpointInfo> {
        let info = |kind, path, handler, action| EndpointInfo { kind, path, handler, action };
        vec![
            info(EndpointKind::AuthValidation, "/auth_validation", "validate", None),
            info(EndpointKind::ContactSync, "/contact_sync", "contacts", None),
            info(EndpointKind::Action, "/actions/create_ticket", "create_ticket", Some("create_ticket")),
        ]
    }

    fn zendesk() -> Integration {
        Integration::new("zendesk", "Zendesk")
            .description("Tickets")
            .logo_url("https://example.com/logo.png")
            .icon_url("https://example.com/icon.png")
            .custom_auth(vec![AuthField::input("account", "Account").format("https://{{account}}.zendesk.com")])
            .interaction_types(["ticket"])
    }

    #[test]
    fn builds_the_documents_of_mounted_endpoints_only() {
        let spec = ActionSpec {
            name: "create_ticket".into(),
            display: "create a ticket".into(),
            description: "create a new ticket in Zendesk".into(),
            inputs: vec![ActionInput::new("subject", "Ticket subject", true)],
        };
        let docs = zendesk().documents("https://bridge.example.com/", &endpoints(), &[spec]).unwrap();
        assert_eq!(docs.integration["contact_synchronization_endpoint"], "https://bridge.example.com/contact_sync");
        assert!(docs.integration.get("interaction_retrieval_endpoint").is_none());
        assert_eq!(docs.integration["authentication_configuration"][0]["account"]["mandatory"], true);
        assert_eq!(docs.actions[0]["endpoint"], "https://bridge.example.com/actions/create_ticket");
        assert_eq!(docs.actions[0]["provider"], "zendesk");
        assert_eq!(docs.actions[0]["inputs"][0]["key"], "subject");
    }

    #[test]
    fn refuses_invalid_metadata() {
        let refused = |integration: Integration| integration.documents("https://b.example.com", &endpoints(), &[]);
        assert_eq!(refused(zendesk().description("")), Err(ConfigError::Missing("description")));
        assert_eq!(refused(Integration::new("", "x")), Err(ConfigError::Missing("name")));
        assert_eq!(refused(zendesk().custom_auth(vec![])), Err(ConfigError::NoAuthFields));
        let twice =
            ActionSpec { name: "create_ticket".into(), display: "d".into(), description: "d".into(), inputs: vec![] };
        assert_eq!(
            refused(zendesk().action(twice.clone()).action(twice)),
            Err(ConfigError::DuplicateAction("create_ticket".into()))
        );
        assert!(matches!(zendesk().documents("ftp://x", &endpoints(), &[]), Err(ConfigError::InvalidPublicUrl(_))));
    }
}
