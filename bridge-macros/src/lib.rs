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

/// The attribute macros, one per kind of the table shared with the runtime (`kinds.rs`), each documented there.
macro_rules! entry_points {
    ($({
        $(#[$doc:meta])*
        variant: $variant:ident,
        macro_name: $macro_name:ident,
        $($rest:tt)*
    })*) => {
        $(
            $(#[$doc])*
            #[proc_macro_attribute]
            pub fn $macro_name(args: TokenStream, item: TokenStream) -> TokenStream {
                expand::endpoint(Kind::$variant, args.into(), item.into()).into()
            }
        )*
    };
}

kinds::with_kinds!(entry_points);

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
