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

use super::{Derive, Field, KeyKind, KeySpec};
use crate::errors::Errors;
use crate::exports;
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::DeriveInput;

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
    let input = match syn::parse2::<DeriveInput>(input) {
        Ok(input) => input,
        Err(err) => return err.to_compile_error(),
    };
    let errors = Errors::default();
    let fields = super::read(DERIVE, &input, &errors);
    let entries: Vec<TokenStream> = fields.iter().flatten().filter_map(|field| entry(field, &errors)).collect();
    let at = Span::call_site();
    let (trait_path, auth_field) = (exports::auth_fields_trait(at), exports::auth_field(at));
    let body = if errors.count() == 0 {
        quote! {
            fn auth_fields() -> ::std::vec::Vec<#auth_field> {
                ::std::vec![#(#entries),*]
            }
        }
    } else {
        // Errors are reported below: an empty impl keeps the type usable, so that nothing else is reported.
        quote! {
            fn auth_fields() -> ::std::vec::Vec<#auth_field> {
                ::std::vec::Vec::new()
            }
        }
    };
    super::finish(super::impl_for(&input, trait_path, body), errors)
}

/// `AuthField::input("key", "Display")…` for one field.
fn entry(field: &Field<'_>, errors: &Errors) -> Option<TokenStream> {
    let display = match (field.attr.str("display"), &field.doc) {
        (Some(display), _) => display.value(),
        (None, Some(doc)) => super::doc_label(doc),
        // A `display` with a refused value is reported already.
        (None, _) if field.attr.written("display") => return None,
        (None, None) => {
            errors.at(
                field.ident,
                format!(
                    "the auth field `{}` needs a label to show the user: add `#[bridge(display = \"…\")]` or a doc \
                     comment",
                    field.key
                ),
            );
            return None;
        }
    };
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
