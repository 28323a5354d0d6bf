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
//! Everything per kind is generated from the one table below, [`with_kinds!`]: in the runtime, [`KINDS`] (here),
//! `EndpointKind` and its `ALL` (`endpoint.rs`), the marker types and what a handler receives and returns (`kinds!`
//! in `contract.rs`), the test client's `Paths`, its `CallKind` markers (which `testing/mod.rs` re-exports whole)
//! and its builder of each kind's request, `contact_sync()`, `action(name)`, … (`testing/client/mod.rs`); in the
//! macros, their `Kind` (`kind.rs`) and the five `#[proc_macro_attribute]` entry points (`lib.rs`). Each of those
//! matches on every kind, with no wildcard arm, so a kind cannot be half added. The conformance command
//! (`bridge-conformance/src/plan.rs`) reads the kinds through `EndpointKind::ALL` and `Paths::endpoint_mut`.
//!
//! # Adding a kind
//!
//! A new endpoint kind touches these files, and nothing else has a list to keep in step. Its code (the compiler
//! points at the types its row names and at each `match` that misses it):
//!
//! 1. `bridge-runtime/src/kinds.rs`: its row in [`with_kinds!`] (names, path, configuration key, types, messages,
//!    the test client's method, marker and answer, what its request asks, the macro's doc), and its line in the
//!    table above;
//! 2. `bridge-runtime/src/protocol/<kind>.rs` and 3. `protocol/mod.rs`: its `meta`, `data` and answer types;
//! 4. `bridge-runtime/src/lib.rs`: their re-export (and 5. `src/lib.rs`, the facade's, with the macro's);
//! 6. `bridge-runtime/src/memory.rs`: whether its endpoints may be remembered (`Remember::of`);
//! 7. `bridge-runtime/src/testing/client/mod.rs`: the typed setters of its `meta` and `data` fields
//!    (`impl Call<…Call>`), and its arm in the test that each kind's builder posts to its path;
//! 8. `bridge-runtime/src/testing/simulator/<kind>.rs`: what the simulator checks of it, run by 9. `Simulator::run`
//!    (`simulator/mod.rs`), reported under 10. its `Section` and `CheckId`s (`simulator/report.rs`).
//!
//! Its documentation and tests:
//!
//! 11. `docs/<kind>.md`: the protocol's page for it, shipped by 12. `src/docs.rs`, and listed with the other
//!     kinds in 13. `docs/README.md`, 14. `docs/protocol.md`, 15. `README.md` and 16. `bridge-macros/src/lib.rs`;
//! 17. and 18. `public-api/*.txt`: the snapshot, updated by `scripts/public-api.sh --update`;
//! 19. a test of it under `tests/it/` (`macro_forms/every_kind.rs` mounts an endpoint of every kind).

/// The table of the endpoint kinds: every fact about each kind, once. `with_kinds!(callback)` calls
/// `callback! { … }` with every row, in the order of `EndpointKind`'s variants; each user of the table is such a
/// callback, and takes the fields it needs.
///
/// A row: the macro's documentation (its `///` lines), then `variant` (of `EndpointKind`), `macro_name` (the
/// attribute, which also names the marker type in the runtime's contract), `role` and `role_with_article` (for
/// messages), `configuration_key` and `default_path`, `named` (each endpoint is named by its attribute: an
/// action), `meta` and `data` (the types a handler may take; `NoMeta`/`NoData` for none, `Data` for the author's
/// own), `returns` (the kind's result trait, the success types, and the same in words for the usage message),
/// `message` and `label` (rustc's message for a handler that returns something else), and `test_client` (the test
/// client's method, the field of `Paths`, the `CallKind` marker and the type of a successful answer), after the
/// `///` lines the test client adds to its method's documentation (what the request asks until told otherwise).
macro_rules! with_kinds {
    ($callback:ident) => {
        $callback! {
            {
                /// Makes an `async fn` the bridge's authorization validator (`POST /auth_validation`).
                ///
                /// Signature: `async fn(auth: bridge::Auth<A>, [state: bridge::State<S>, …]) -> Result<R, E>` where `R`
                /// is `()` (answers `204`) or `bridge::AuthValidation`, and `E: Into<bridge::Error>`. Attribute keys:
                /// `path = "/…"`.
                variant: AuthValidation,
                macro_name: auth_validator,
                role: "auth validator",
                role_with_article: "an auth validator",
                configuration_key: "auth_validation_endpoint",
                default_path: "/auth_validation",
                named: false,
                meta: NoMeta,
                data: NoData,
                returns: AuthValidatorResult for [(), AuthValidation] as "() or bridge::AuthValidation",
                message: "`{Self}` is not what an auth validator returns",
                label: "an auth validator returns `Result<(), E>` or `Result<bridge::AuthValidation, E>`",
                /// An authorization validation: are the credentials set with [`auth`](Call::auth) valid?
                test_client: auth_validation in auth_validation as AuthValidationCall answering Map<String, Value>,
            }
            {
                /// Makes an `async fn` the bridge's contact retriever (`POST /contact_sync`).
                ///
                /// Signature: `async fn(auth: bridge::Auth<A>, [meta: bridge::ContactSyncMeta,] [state: bridge::State<S>,
                /// …]) -> Result<bridge::ContactPage, E>`. Attribute keys: `path = "/…"`.
                variant: ContactSync,
                macro_name: contact_retriever,
                role: "contact retriever",
                role_with_article: "a contact retriever",
                configuration_key: "contact_synchronization_endpoint",
                default_path: "/contact_sync",
                named: false,
                meta: ContactSyncMeta,
                data: NoData,
                returns: ContactRetrieverResult for [ContactPage] as "bridge::ContactPage",
                message: "`{Self}` is not what a contact retriever returns",
                label: "a contact retriever returns `Result<bridge::ContactPage, E>`",
                /// A contact synchronization: the first page of an initial sync, until its typed setters say otherwise
                /// ([`checkpoint`](Call::checkpoint) for an incremental sync, `offset` and [`context`](Call::context)
                /// for a next page).
                test_client: contact_sync in contact_sync as ContactSyncCall answering ContactPage,
            }
            {
                /// Makes an `async fn` the bridge's interaction retriever (`POST /interaction_update`).
                ///
                /// Signature: `async fn(auth: bridge::Auth<A>, [meta: bridge::InteractionMeta,] [data:
                /// bridge::InteractionData,] [state: bridge::State<S>, …]) -> Result<Vec<bridge::Interaction>, E>`.
                /// Attribute keys: `path = "/…"`.
                variant: InteractionRetrieval,
                macro_name: interaction_retriever,
                role: "interaction retriever",
                role_with_article: "an interaction retriever",
                configuration_key: "interaction_retrieval_endpoint",
                default_path: "/interaction_update",
                named: false,
                meta: InteractionMeta,
                data: InteractionData,
                returns: InteractionRetrieverResult for [Vec<Interaction>] as "Vec<bridge::Interaction>",
                message: "`{Self}` is not what an interaction retriever returns",
                label: "an interaction retriever returns `Result<Vec<bridge::Interaction>, E>`",
                /// An interaction retrieval: the interactions of the contact its typed setters describe.
                test_client: interaction_retrieval in interaction_retrieval as InteractionRetrievalCall
                    answering Vec<Interaction>,
            }
            {
                /// Makes an `async fn` an action of the bridge (`POST /actions/<name>`).
                ///
                /// Signature: `async fn(auth: bridge::Auth<A>, [meta: bridge::ActionMeta,] [data: bridge::Data<I>,]
                /// [state: bridge::State<S>, …]) -> Result<bridge::ActionOutcome, E>`. Attribute keys: `name = "…"`
                /// (required), `display = "…"` (short, lowercase: "create a ticket"; default: the name, spaced),
                /// `description = "…"` (lowercase: "create a new ticket in Zendesk"; default: the first paragraph of
                /// the function's doc comment, else the display text) and `path = "/…"`. The `T` of `Data<T>` must
                /// implement `bridge::configuration::ActionInputs` (`#[derive(bridge::ActionInputs)]`): the endpoint's
                /// `action_spec` lists its fields as the action's inputs.
                variant: Action,
                macro_name: action_executor,
                role: "action executor",
                role_with_article: "an action executor",
                configuration_key: "endpoint",
                default_path: "/actions",
                named: true,
                meta: ActionMeta,
                data: Data,
                returns: ActionExecutorResult for [ActionOutcome] as "bridge::ActionOutcome",
                message: "`{Self}` is not what an action executor returns",
                label: "an action executor returns `Result<bridge::ActionOutcome, E>`",
                /// An execution of the action `name`, with the inputs set with [`data`](Call::data).
                test_client: action in actions as ActionCall answering ActionOutcome,
            }
            {
                /// Makes an `async fn` the bridge's agent retriever (`POST /agent_sync`).
                ///
                /// Signature: `async fn(auth: bridge::Auth<A>, [meta: bridge::AgentSyncMeta,] [state: bridge::State<S>,
                /// …]) -> Result<bridge::AgentPage, E>` (or `Vec<bridge::Agent>`). Attribute keys: `path = "/…"`.
                variant: AgentSync,
                macro_name: agent_retriever,
                role: "agent retriever",
                role_with_article: "an agent retriever",
                configuration_key: "agent_synchronization_endpoint",
                default_path: "/agent_sync",
                named: false,
                meta: AgentSyncMeta,
                data: NoData,
                returns: AgentRetrieverResult for [AgentPage, Vec<Agent>] as "bridge::AgentPage or Vec<bridge::Agent>",
                message: "`{Self}` is not what an agent retriever returns",
                label: "an agent retriever returns `Result<bridge::AgentPage, E>` or `Result<Vec<bridge::Agent>, E>`",
                /// An agent synchronization: the first page, until its typed setter `offset` asks for a next one.
                test_client: agent_sync in agent_sync as AgentSyncCall answering AgentPage,
            }
        }
    };
}
pub(crate) use with_kinds;

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

/// The name of a `meta` or `data` type a handler may take, for messages: none for `NoMeta` and `NoData`.
macro_rules! type_name {
    (NoMeta) => {
        None
    };
    (NoData) => {
        None
    };
    ($type:ident) => {
        Some(stringify!($type))
    };
}

macro_rules! kind_specs {
    ($({
        $(#[$doc:meta])*
        variant: $variant:ident,
        macro_name: $macro_name:ident,
        role: $role:literal,
        role_with_article: $role_with_article:literal,
        configuration_key: $configuration_key:literal,
        default_path: $default_path:literal,
        named: $named:literal,
        meta: $meta:ident,
        data: $data:ident,
        returns: $result:ident for [$($ok:ty),+] as $returns:literal,
        message: $message:literal,
        label: $label:literal,
        $(#[$client_doc:meta])*
        test_client: $method:ident in $field:ident as $call:ident answering $answer:ty,
    })*) => {
        /// How many kinds there are.
        pub(crate) const COUNT: usize = [$(stringify!($variant)),*].len();

        /// The kinds, in the order of `EndpointKind`'s variants.
        pub(crate) const KINDS: [KindSpec; COUNT] = [$(
            KindSpec {
                macro_name: stringify!($macro_name),
                role: $role,
                role_with_article: $role_with_article,
                variant: stringify!($variant),
                configuration_key: $configuration_key,
                default_path: $default_path,
                meta: type_name!($meta),
                data: type_name!($data),
                returns: $returns,
                named: $named,
            },
        )*];
    };
}

with_kinds!(kind_specs);
