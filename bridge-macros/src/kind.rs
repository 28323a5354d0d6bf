//! The five endpoint kinds, as the macros see them: which parameters each accepts, what it answers, its default
//! path, and the usage message printed when a signature is wrong.

use crate::signature::Role;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    AuthValidator,
    ContactRetriever,
    InteractionRetriever,
    ActionExecutor,
    AgentRetriever,
}

impl Kind {
    /// The macro's name, as users write it.
    pub(crate) fn macro_name(self) -> &'static str {
        match self {
            Self::AuthValidator => "auth_validator",
            Self::ContactRetriever => "contact_retriever",
            Self::InteractionRetriever => "interaction_retriever",
            Self::ActionExecutor => "action_executor",
            Self::AgentRetriever => "agent_retriever",
        }
    }

    /// `#[bridge::interaction_retriever]`, for messages.
    pub(crate) fn attribute(self) -> String {
        format!("#[bridge::{}]", self.macro_name())
    }

    /// "an interaction retriever", for messages.
    pub(crate) fn described(self) -> &'static str {
        match self {
            Self::AuthValidator => "an auth validator",
            Self::ContactRetriever => "a contact retriever",
            Self::InteractionRetriever => "an interaction retriever",
            Self::ActionExecutor => "an action executor",
            Self::AgentRetriever => "an agent retriever",
        }
    }

    /// The variant of `bridge::EndpointKind`.
    pub(crate) fn runtime_variant(self) -> &'static str {
        match self {
            Self::AuthValidator => "AuthValidation",
            Self::ContactRetriever => "ContactSync",
            Self::InteractionRetriever => "InteractionRetrieval",
            Self::ActionExecutor => "Action",
            Self::AgentRetriever => "AgentSync",
        }
    }

    /// The path used when the attribute gives none (actions add `/<name>`).
    pub(crate) fn default_path(self) -> &'static str {
        match self {
            Self::AuthValidator => "/auth_validation",
            Self::ContactRetriever => "/contact_sync",
            Self::InteractionRetriever => "/interaction_update",
            Self::ActionExecutor => "/actions",
            Self::AgentRetriever => "/agent_sync",
        }
    }

    /// The attribute keys this macro accepts.
    pub(crate) fn keys(self) -> &'static [&'static str] {
        match self {
            Self::ActionExecutor => &["name", "display", "description", "path"],
            _ => &["path"],
        }
    }

    /// Whether a parameter of `role` makes sense for this kind.
    pub(crate) fn accepts(self, role: Role) -> bool {
        match role {
            Role::Auth | Role::State => true,
            Role::ContactSyncMeta => self == Self::ContactRetriever,
            Role::InteractionMeta | Role::InteractionData => self == Self::InteractionRetriever,
            Role::ActionMeta | Role::ActionData => self == Self::ActionExecutor,
            Role::AgentSyncMeta => self == Self::AgentRetriever,
        }
    }

    /// The runtime function that mounts this kind of endpoint (`mount_<macro name>`); its where-clause checks the
    /// return type.
    pub(crate) fn mount_fn(self) -> String {
        format!("mount_{}", self.macro_name())
    }

    /// The signature this kind accepts, printed when a handler's signature is wrong.
    pub(crate) fn usage(self) -> String {
        let (params, ok) = match self {
            Self::AuthValidator => ("", "() or bridge::AuthValidation"),
            Self::ContactRetriever => ("        [meta: bridge::ContactSyncMeta,]\n", "bridge::ContactPage"),
            Self::InteractionRetriever => (
                "        [meta: bridge::InteractionMeta,]\n        [data: bridge::InteractionData,]\n",
                "Vec<bridge::Interaction>",
            ),
            Self::ActionExecutor => (
                "        [meta: bridge::ActionMeta,]\n        [data: bridge::Data<YourInputType>,]\n",
                "bridge::ActionOutcome",
            ),
            Self::AgentRetriever => {
                ("        [meta: bridge::AgentSyncMeta,]\n", "bridge::AgentPage or Vec<bridge::Agent>")
            }
        };
        format!(
            "{} must have this signature (parameters in any order, those in [] optional):\n    \
             async fn handler(\n        auth: bridge::Auth<YourAuthType>,\n{params}        \
             [state: bridge::State<YourStateType>, ...]\n    ) -> Result<{ok}, bridge::Error>",
            capitalized(self.described())
        )
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
