//! `#[derive(bridge::AuthFields)]`: the auth type's fields as `authentication_configuration` entries.
//!
//! ```text
//! #[derive(Deserialize, bridge::AuthFields)]
//! struct Credentials {
//!     #[bridge(display = "Account", format = "https://{{account}}.zendesk.com")]
//!     account: String,
//!     /// API Token                                   // the label, when `display` is not given
//!     #[bridge(help = "Find under Settings > Channels", store = true)]
//!     token: Secret,
//!     #[serde(rename = "region")]
//!     zone: Option<String>,                           // not mandatory; needs a label: a doc comment or `display`
//! }
//!
//! impl AuthFields for Credentials {
//!     fn auth_fields() -> Vec<AuthField> {
//!         vec![
//!             AuthField::input("account", "Account").format("https://{{account}}.zendesk.com"),
//!             AuthField::input("token", "API Token").help("Find under Settings > Channels").store(true),
//!             …
//!         ]
//!     }
//! }
//! ```

use super::{Derive, Field, Implements, KeyKind, KeySpec};
use crate::errors::Errors;
use crate::exports;
use proc_macro2::{Span, TokenStream};
use quote::quote;

const DERIVE: Derive = Derive {
    name: "AuthFields",
    entry: "auth field",
    keys: &[
        KeySpec { name: "display", kind: KeyKind::Str, example: "\"Account\"" },
        KeySpec { name: "help", kind: KeyKind::Str, example: "\"Find under Settings > Channels\"" },
        KeySpec { name: "format", kind: KeyKind::Str, example: "\"https://{{account}}.example.com\"" },
        KeySpec { name: "store", kind: KeyKind::Bool, example: "false" },
    ],
};

/// The whole expansion of the derive.
pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let at = Span::call_site();
    let implements = Implements {
        trait_path: exports::auth_fields_trait(at),
        function: "auth_fields",
        entry_type: exports::auth_field(at),
    };
    super::expand(DERIVE, input, implements, entry)
}

/// `AuthField::input("key", "Display")…` for one field.
fn entry(field: &Field<'_>, errors: &Errors) -> Option<TokenStream> {
    let display = super::label(DERIVE, field, "display", "label", errors)?;
    let key = &field.key;
    let auth_field = exports::auth_field(Span::call_site());
    let mut tokens = quote!(#auth_field::input(#key, #display));
    if !field.mandatory {
        tokens.extend(quote!(.optional()));
    }
    if let Some(help) = field.attr.str("help") {
        tokens.extend(quote!(.help(#help)));
    }
    if let Some(format) = field.attr.str("format") {
        tokens.extend(quote!(.format(#format)));
    }
    if let Some(store) = field.attr.bool("store") {
        tokens.extend(quote!(.store(#store)));
    }
    Some(tokens)
}
