//! The five endpoint kinds of the protocol: every name each one goes by, and what its handler takes and returns,
//! in one table.
//!
//! This file is shared, byte for byte, by both crates: `bridge-runtime` reads it for `EndpointKind` and
//! `bridge-macros` (through a symbolic link, `bridge-macros/src/kinds.rs`) for its macros, so that the two cannot
//! drift. It holds plain data only, so that it compiles in either crate.
//!
//! One concept, one name, and this is where the others map onto it:
//!
//! | Talkdesk's role ("Implementing an …") | macro                           | `EndpointKind`         | configuration key                  | default path           | test kit (`bridge::testing`)   |
//! |---------------------------------------|---------------------------------|------------------------|------------------------------------|------------------------|--------------------------------|
//! | Authorization Validator               | `#[bridge::auth_validator]`     | `AuthValidation`       | `auth_validation_endpoint`         | `/auth_validation`     | `auth_validation()`            |
//! | Contact Retriever                     | `#[bridge::contact_retriever]`  | `ContactSync`          | `contact_synchronization_endpoint` | `/contact_sync`        | `contact_sync()`               |
//! | Interaction Retriever                 | `#[bridge::interaction_retriever]` | `InteractionRetrieval` | `interaction_retrieval_endpoint` | `/interaction_update`  | `interaction_retrieval()`      |
//! | Action Executor                       | `#[bridge::action_executor]`    | `Action`               | `endpoint` (one per action)        | `/actions/<name>`      | `action(name)`                 |
//! | Agent Retriever                       | `#[bridge::agent_retriever]`    | `AgentSync`            | `agent_synchronization_endpoint`   | `/agent_sync`          | `agent_sync()`                 |
//!
//! The macro is named for the handler's role in Talkdesk's documents; the kind, the test kit's calls and the
//! configuration key for the endpoint (as the configuration names it); the default paths are those of Talkdesk's
//! own configuration example (`/interaction_update` included).
//!
//! What a kind's handler receives and returns is typed once more in the runtime, by `kinds!` in `contract.rs`
//! (its marker type is named after `macro_name`); the macros take the parameters a kind accepts, the usage message
//! and the attribute keys from the rows below.

/// One endpoint kind: its names, and what its handler takes and returns.
pub(crate) struct KindSpec {
    /// The attribute macro that declares a handler of this kind (`interaction_retriever`).
    pub(crate) macro_name: &'static str,
    /// The handler's role in words, for messages (`interaction retriever`).
    pub(crate) role: &'static str,
    /// The role with its article (`an interaction retriever`).
    pub(crate) role_with_article: &'static str,
    /// The variant of the runtime's `EndpointKind` (`InteractionRetrieval`).
    pub(crate) variant: &'static str,
    /// The key of the endpoint in Talkdesk's integration configuration (`interaction_retrieval_endpoint`).
    pub(crate) configuration_key: &'static str,
    /// The path it answers on unless told otherwise; an action adds `/<name>` (`/interaction_update`).
    pub(crate) default_path: &'static str,
    /// The type of the request's `meta` a handler may take (`InteractionMeta`), if the kind has one.
    pub(crate) meta: Option<&'static str>,
    /// The type of the request's `data` a handler may take (`InteractionData`; `Data` for an action's inputs,
    /// `Data<T>`), if the kind has one.
    pub(crate) data: Option<&'static str>,
    /// What a handler returns, inside `Result<…, bridge::Error>`, for the usage message.
    pub(crate) returns: &'static str,
    /// Whether each endpoint of the kind is named by its attribute (`name`, `display`, `description`): an action.
    pub(crate) named: bool,
}

/// The five kinds, in the order of `EndpointKind`'s variants.
pub(crate) const KINDS: [KindSpec; 5] = [
    KindSpec {
        macro_name: "auth_validator",
        role: "auth validator",
        role_with_article: "an auth validator",
        variant: "AuthValidation",
        configuration_key: "auth_validation_endpoint",
        default_path: "/auth_validation",
        meta: None,
        data: None,
        returns: "() or bridge::AuthValidation",
        named: false,
    },
    KindSpec {
        macro_name: "contact_retriever",
        role: "contact retriever",
        role_with_article: "a contact retriever",
        variant: "ContactSync",
        configuration_key: "contact_synchronization_endpoint",
        default_path: "/contact_sync",
        meta: Some("ContactSyncMeta"),
        data: None,
        returns: "bridge::ContactPage",
        named: false,
    },
    KindSpec {
        macro_name: "interaction_retriever",
        role: "interaction retriever",
        role_with_article: "an interaction retriever",
        variant: "InteractionRetrieval",
        configuration_key: "interaction_retrieval_endpoint",
        default_path: "/interaction_update",
        meta: Some("InteractionMeta"),
        data: Some("InteractionData"),
        returns: "Vec<bridge::Interaction>",
        named: false,
    },
    KindSpec {
        macro_name: "action_executor",
        role: "action executor",
        role_with_article: "an action executor",
        variant: "Action",
        configuration_key: "endpoint",
        default_path: "/actions",
        meta: Some("ActionMeta"),
        data: Some("Data"),
        returns: "bridge::ActionOutcome",
        named: true,
    },
    KindSpec {
        macro_name: "agent_retriever",
        role: "agent retriever",
        role_with_article: "an agent retriever",
        variant: "AgentSync",
        configuration_key: "agent_synchronization_endpoint",
        default_path: "/agent_sync",
        meta: Some("AgentSyncMeta"),
        data: None,
        returns: "bridge::AgentPage or Vec<bridge::Agent>",
        named: false,
    },
];
