//! The five endpoint kinds, as the macros see them: which parameters each accepts, what it answers, and the usage
//! message printed when a signature is wrong. Their names and default paths come from the table shared with the
//! runtime (`kinds.rs`).

use crate::kinds::{KindNames, KINDS};
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
    fn names(self) -> &'static KindNames {
        &KINDS[self as usize]
    }

    /// The macro's name, as users write it.
    pub(crate) fn macro_name(self) -> &'static str {
        self.names().macro_name
    }

    /// `#[bridge::interaction_retriever]`, for messages.
    pub(crate) fn attribute(self) -> String {
        format!("#[bridge::{}]", self.macro_name())
    }

    /// "an interaction retriever", for messages.
    pub(crate) fn described(self) -> &'static str {
        self.names().role_with_article
    }

    /// The variant of `bridge::EndpointKind`.
    pub(crate) fn runtime_variant(self) -> &'static str {
        self.names().variant
    }

    /// The path used when the attribute gives none (actions add `/<name>`).
    pub(crate) fn default_path(self) -> &'static str {
        self.names().default_path
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
             [state: bridge::State<YourStateType>, ...]\n        \
             [yours: YourType, ...]   (types that implement bridge::FromRequest)\n    ) -> Result<{ok}, bridge::Error>",
            capitalized(self.described())
        )
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
