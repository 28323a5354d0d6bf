//! Attribute macros of the `bridge` framework. Use them through the `talkdesk-bridge` crate, as
//! `#[bridge::auth_validator]`, `#[bridge::contact_retriever]`, `#[bridge::interaction_retriever]`,
//! `#[bridge::action_executor(name = "…")]` and `#[bridge::agent_retriever]`.
//!
//! Each macro runs the same three steps, each in its own module, with every error collected along the way:
//! `attr` and `signature` parse, `valid` checks the parsed handler against its endpoint's rules (`kind`),
//! `expand` writes the endpoint. The user's function is always emitted unchanged, errors or not, so it stays
//! callable and rust-analyzer keeps working.

mod attr;
mod errors;
mod expand;
mod exports;
mod kind;
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
/// `path = "/…"`.
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
