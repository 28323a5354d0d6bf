//! Attribute macros of the `bridge` framework. Use them through the `talkdesk-bridge` crate, as
//! `#[bridge::auth_validator]`, `#[bridge::contact_retriever]`, `#[bridge::interaction_retriever]`,
//! `#[bridge::action_executor(name = "…")]` and `#[bridge::agent_retriever]`.
//!
//! Each macro runs the same three steps, each in its own module, with every error collected along the way:
//! `attr` and `signature` parse, `valid` checks the parsed handler against its endpoint's rules (`kind`),
//! `expand` writes the endpoint. The user's function is always emitted unchanged, errors or not, so it stays
//! callable and rust-analyzer keeps working.
//!
//! The derives `#[derive(bridge::AuthFields)]` and `#[derive(bridge::ActionInputs)]` describe the auth type and an
//! action's inputs for the integration's configuration documents ([`derive`]).

mod attr;
mod derive;
mod errors;
mod expand;
mod exports;
mod kind;
// Shared with the runtime (a link to `bridge-runtime/src/kinds.rs`), which reads the names the macros do not.
#[allow(dead_code)]
mod kinds;
mod signature;
mod valid;

use kind::Kind;
use proc_macro::TokenStream;

/// Makes an `async fn` the bridge's authorization validator (`POST /auth_validation`).
///
/// Signature: `async fn(auth: bridge::Auth<A>, [state: bridge::State<S>, …]) -> Result<R, E>` where `R` is `()`
/// (answers `204`) or `bridge::AuthValidation`, and `E: Into<bridge::Error>`. Attribute keys: `path = "/…"`.
#[proc_macro_attribute]
pub fn auth_validator(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::endpoint(Kind::AuthValidator, args.into(), item.into()).into()
}

/// Makes an `async fn` the bridge's contact retriever (`POST /contact_sync`).
///
/// Signature: `async fn(auth: bridge::Auth<A>, [meta: bridge::ContactSyncMeta,] [state: bridge::State<S>, …])
/// -> Result<bridge::ContactPage, E>`. Attribute keys: `path = "/…"`.
#[proc_macro_attribute]
pub fn contact_retriever(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::endpoint(Kind::ContactRetriever, args.into(), item.into()).into()
}

/// Makes an `async fn` the bridge's interaction retriever (`POST /interaction_update`).
///
/// Signature: `async fn(auth: bridge::Auth<A>, [meta: bridge::InteractionMeta,] [data: bridge::InteractionData,]
/// [state: bridge::State<S>, …]) -> Result<Vec<bridge::Interaction>, E>`. Attribute keys: `path = "/…"`.
#[proc_macro_attribute]
pub fn interaction_retriever(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::endpoint(Kind::InteractionRetriever, args.into(), item.into()).into()
}

/// Makes an `async fn` an action of the bridge (`POST /actions/<name>`).
///
/// Signature: `async fn(auth: bridge::Auth<A>, [meta: bridge::ActionMeta,] [data: bridge::Data<I>,]
/// [state: bridge::State<S>, …]) -> Result<bridge::ActionOutcome, E>`. Attribute keys: `name = "…"` (required),
/// `display = "…"` (short, lowercase: "create a ticket"; default: the name, spaced), `description = "…"`
/// (lowercase: "create a new ticket in Zendesk"; default: the first paragraph of the function's doc comment, else
/// the display text) and `path = "/…"`. The `T` of `Data<T>` must implement `bridge::configuration::ActionInputs`
/// (`#[derive(bridge::ActionInputs)]`): the endpoint's `action_spec` lists its fields as the action's inputs.
#[proc_macro_attribute]
pub fn action_executor(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::endpoint(Kind::ActionExecutor, args.into(), item.into()).into()
}

/// Makes an `async fn` the bridge's agent retriever (`POST /agent_sync`).
///
/// Signature: `async fn(auth: bridge::Auth<A>, [meta: bridge::AgentSyncMeta,] [state: bridge::State<S>, …])
/// -> Result<bridge::AgentPage, E>` (or `Vec<bridge::Agent>`). Attribute keys: `path = "/…"`.
#[proc_macro_attribute]
pub fn agent_retriever(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::endpoint(Kind::AgentRetriever, args.into(), item.into()).into()
}

/// Implements `bridge::configuration::AuthFields` for a struct with named fields: one `authentication_configuration`
/// entry per field, keyed by its serde name (`#[serde(rename)]`, `#[serde(rename_all)]` apply), mandatory unless it
/// is an `Option` or has `#[serde(default)]`.
///
/// Field attribute keys, all optional: `#[bridge(display = "Account", help = "…", format = "https://{{account}}…",
/// store = false)]`. The label (`display`) defaults to the first paragraph of the field's doc comment; a field with
/// neither is refused. See the `talkdesk-bridge` crate's documentation for an example.
#[proc_macro_derive(AuthFields, attributes(bridge))]
pub fn derive_auth_fields(item: TokenStream) -> TokenStream {
    derive::auth_fields::derive(item.into()).into()
}

/// Implements `bridge::configuration::ActionInputs` for a struct with named fields: one action input per field,
/// keyed by its serde name, mandatory unless it is an `Option` or has `#[serde(default)]`.
///
/// Field attribute key: `#[bridge(name = "Ticket subject")]`, the name shown to the user; it defaults to the first
/// paragraph of the field's doc comment; a field with neither is refused.
#[proc_macro_derive(ActionInputs, attributes(bridge))]
pub fn derive_action_inputs(item: TokenStream) -> TokenStream {
    derive::action_inputs::derive(item.into()).into()
}
