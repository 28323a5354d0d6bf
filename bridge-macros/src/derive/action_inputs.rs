//! `#[derive(bridge::ActionInputs)]`: the fields of an action's `Data<T>` as the action's `inputs`.
//!
//! ```text
//! #[derive(Deserialize, bridge::ActionInputs)]
//! struct TicketInputs {
//!     #[bridge(name = "Ticket subject")]
//!     subject: String,
//!     /// Ticket description                          // the name, when `name` is not given
//!     description: String,
//!     #[bridge(name = "Priority")]
//!     priority: Option<String>,                       // not mandatory
//! }
//!
//! impl ActionInputs for TicketInputs {
//!     fn action_inputs() -> Vec<ActionInput> {
//!         vec![
//!             ActionInput::new("subject", "Ticket subject", true),
//!             ActionInput::new("description", "Ticket description", true),
//!             ActionInput::new("priority", "Priority", false),
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
    name: "ActionInputs",
    entry: "action input",
    keys: &[KeySpec { name: "name", kind: KeyKind::Str, example: "\"Ticket subject\"" }],
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
    let (trait_path, action_input) = (exports::action_inputs_trait(at), exports::action_input(at));
    let body = if errors.count() == 0 {
        quote! {
            fn action_inputs() -> ::std::vec::Vec<#action_input> {
                ::std::vec![#(#entries),*]
            }
        }
    } else {
        // Errors are reported below: an empty impl keeps the type usable, so that nothing else is reported.
        quote! {
            fn action_inputs() -> ::std::vec::Vec<#action_input> {
                ::std::vec::Vec::new()
            }
        }
    };
    super::finish(super::impl_for(&input, trait_path, body), errors)
}

/// `ActionInput::new("key", "Name", mandatory)` for one field.
fn entry(field: &Field<'_>, errors: &Errors) -> Option<TokenStream> {
    let name = match (field.attr.str("name"), &field.doc) {
        (Some(name), _) => name.value(),
        (None, Some(doc)) => super::doc_label(doc),
        // A `name` with a refused value is reported already.
        (None, _) if field.attr.written("name") => return None,
        (None, None) => {
            errors.at(
                field.ident,
                format!(
                    "the action input `{}` needs a name to show the user: add `#[bridge(name = \"…\")]` or a doc \
                     comment",
                    field.key
                ),
            );
            return None;
        }
    };
    let (key, mandatory) = (&field.key, field.mandatory);
    let action_input = exports::action_input(Span::call_site());
    Some(quote!(#action_input::new(#key, #name, #mandatory)))
}
