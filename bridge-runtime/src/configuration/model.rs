//! What a configuration is made of: the integration's metadata, its auth fields, and its actions with their inputs.

use serde::Serialize;

/// How Talkdesk authenticates users of the integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthenticationType {
    /// No credentials.
    None,
    /// Fields the user types in when activating the integration (declared with [`AuthField`]s).
    Custom,
    /// OAuth 2.0 authorization code. The access token arrives in `auth`; answering
    /// [`Error::credentials_rejected`](crate::Error::credentials_rejected) (`401`) makes Talkdesk refresh it and retry.
    #[serde(rename = "oauth2")]
    OAuth2,
    /// OAuth 2.0 resource owner password credentials (same `401` rule).
    #[serde(rename = "oauth2_password")]
    OAuth2Password,
    /// OAuth 2.0 client credentials (same `401` rule).
    #[serde(rename = "oauth2_client_credentials")]
    OAuth2ClientCredentials,
}

/// Where the value of an auth field comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldSource {
    /// The user types it.
    Input,
    /// A default value.
    Default,
    /// The bridge's auth validator returns it (`200` with fields to store).
    AuthValidation,
}

/// How Talkdesk obtains an auth field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Provided by the user.
    Input,
    /// Provided by the OAuth 2.0 authority.
    #[serde(rename = "oauth")]
    OAuth,
}

/// One field of `authentication_configuration`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthField {
    /// The key under `auth` in requests.
    pub key: String,
    /// Where the value comes from.
    pub source: FieldSource,
    /// The label shown to the user.
    pub display: String,
    /// Whether Talkdesk requires it (derived from `Option` by `#[derive(AuthFields)]`).
    pub mandatory: bool,
    /// How Talkdesk obtains it.
    pub kind: FieldType,
    /// Whether Talkdesk stores it.
    pub store: bool,
    /// A hint shown with the field.
    pub help: Option<String>,
    /// A template for the input, e.g. `https://{{account}}.zendesk.com`.
    pub format: Option<String>,
}

impl AuthField {
    /// A mandatory, stored field the user types in.
    pub fn input(key: impl Into<String>, display: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            source: FieldSource::Input,
            display: display.into(),
            mandatory: true,
            kind: FieldType::Input,
            store: true,
            help: None,
            format: None,
        }
    }

    /// Marks the field optional.
    pub fn optional(mut self) -> Self {
        self.mandatory = false;
        self
    }

    /// Sets the hint.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the input template.
    pub fn format(mut self, format: impl Into<String>) -> Self {
        self.format = Some(format.into());
        self
    }

    /// Sets whether Talkdesk stores the field.
    pub fn store(mut self, store: bool) -> Self {
        self.store = store;
        self
    }

    /// Sets where the value comes from.
    pub fn source(mut self, source: FieldSource) -> Self {
        self.source = source;
        self
    }

    /// Sets how Talkdesk obtains the value.
    pub fn kind(mut self, kind: FieldType) -> Self {
        self.kind = kind;
        self
    }
}

/// An auth type that can describe its fields (`#[derive(bridge::AuthFields)]` implements it).
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not describe its auth fields",
    label = "the auth type must implement `bridge::configuration::AuthFields`",
    note = "add `#[derive(bridge::AuthFields)]` to `{Self}`"
)]
pub trait AuthFields {
    /// The fields, in declaration order.
    fn auth_fields() -> Vec<AuthField>;
}

/// One input of an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionInput {
    /// The key under `data` in requests.
    pub key: String,
    /// The name shown to the user.
    pub name: String,
    /// Whether Talkdesk requires a value before running the action.
    pub mandatory: bool,
}

impl ActionInput {
    /// An input.
    pub fn new(key: impl Into<String>, name: impl Into<String>, mandatory: bool) -> Self {
        Self { key: key.into(), name: name.into(), mandatory }
    }
}

/// An action input type that can describe its fields (`#[derive(bridge::ActionInputs)]` implements it).
///
/// `#[bridge::action_executor]` requires it of the `T` of an action's `bridge::Data<T>`, so that the generated
/// configuration lists the action's inputs.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not describe the action's inputs",
    label = "the `T` of `bridge::Data<T>` must implement `bridge::configuration::ActionInputs`",
    note = "add `#[derive(bridge::ActionInputs)]` to `{Self}`, with `#[bridge(name = \"…\")]` or a doc comment on each field"
)]
pub trait ActionInputs {
    /// The inputs, in declaration order.
    fn action_inputs() -> Vec<ActionInput>;
}

/// Not public API: the inputs of the `T` of an action's `Data<T>`, for `#[bridge::action_executor]`. Generated code
/// does not name the user's type: `call` (never called) passes its argument as the handler's `Data<T>`, so that
/// `D` is inferred from the handler's signature, and `inputs` is spanned over the user's type, so that a `T` without
/// `ActionInputs` is reported there, once.
#[doc(hidden)]
pub fn action_inputs_of<D: ActionInputs, R>(
    inputs: crate::witness::Witness<D>,
    call: impl FnOnce(D) -> R,
) -> Vec<ActionInput> {
    let _ = (inputs, call);
    D::action_inputs()
}

/// Not public API: a value of any type, for the arguments of the handler call `action_inputs_of` never makes.
#[doc(hidden)]
pub fn never_called<T>() -> T {
    unreachable!("generated code never calls the handler it describes")
}

/// What Talkdesk shows of an action: its name, display text, description and inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionSpec {
    /// The action's name (its path segment and identifier).
    pub name: String,
    /// Short, lowercase: "create a ticket" (shown as "Then create a ticket").
    pub display: String,
    /// Lowercase: "create a new ticket in Zendesk".
    pub description: String,
    /// Its inputs.
    pub inputs: Vec<ActionInput>,
}

impl ActionSpec {
    /// An action's spec.
    pub fn new(
        name: impl Into<String>,
        display: impl Into<String>,
        description: impl Into<String>,
        inputs: Vec<ActionInput>,
    ) -> Self {
        Self { name: name.into(), display: display.into(), description: description.into(), inputs }
    }
}

/// The integration's metadata, set once in code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    pub(crate) name: String,
    pub(crate) display_name: String,
    pub(crate) description: String,
    pub(crate) logo_url: String,
    pub(crate) icon_url: String,
    pub(crate) authentication: AuthenticationType,
    pub(crate) auth_fields: Vec<AuthField>,
    pub(crate) interaction_types: Vec<String>,
    pub(crate) actions: Vec<ActionSpec>,
}

impl Integration {
    /// An integration with its system name (`zendesk`) and display name (`Zendesk`), no authentication yet.
    pub fn new(name: impl Into<String>, display_name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            display_name: display_name.into(),
            description: String::new(),
            logo_url: String::new(),
            icon_url: String::new(),
            authentication: AuthenticationType::None,
            auth_fields: Vec::new(),
            interaction_types: Vec::new(),
            actions: Vec::new(),
        }
    }

    /// A user-friendly description of the service.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// The logo shown when configuring the integration.
    pub fn logo_url(mut self, url: impl Into<String>) -> Self {
        self.logo_url = url.into();
        self
    }

    /// The icon shown beside retrieved interactions.
    pub fn icon_url(mut self, url: impl Into<String>) -> Self {
        self.icon_url = url.into();
        self
    }

    /// `custom` authentication with these fields.
    pub fn custom_auth(mut self, fields: Vec<AuthField>) -> Self {
        self.authentication = AuthenticationType::Custom;
        self.auth_fields = fields;
        self
    }

    /// `custom` authentication with the fields of the auth type `A`.
    pub fn custom_auth_of<A: AuthFields>(self) -> Self {
        self.custom_auth(A::auth_fields())
    }

    /// Another authentication type (`none`, or one of the OAuth 2.0 types), with optional extra fields.
    pub fn authentication(mut self, kind: AuthenticationType, fields: Vec<AuthField>) -> Self {
        self.authentication = kind;
        self.auth_fields = fields;
        self
    }

    /// The types of interactions the integration can retrieve (e.g. `["ticket"]`).
    pub fn interaction_types<I: IntoIterator<Item = S>, S: Into<String>>(mut self, types: I) -> Self {
        self.interaction_types = types.into_iter().map(Into::into).collect();
        self
    }

    /// Describes an action mounted on the bridge (when its `#[bridge::action_executor]` does not already).
    pub fn action(mut self, spec: ActionSpec) -> Self {
        self.actions.push(spec);
        self
    }
}
