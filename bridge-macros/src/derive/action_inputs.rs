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

use super::{Derive, Field, Implements, KeyKind, KeySpec};
use crate::errors::Errors;
use crate::exports;
use proc_macro2::{Span, TokenStream};
use quote::quote;

const DERIVE: Derive = Derive {
    name: "ActionInputs",
    entry: "action input",
    keys: &[KeySpec { name: "name", kind: KeyKind::Str, example: "\"Ticket subject\"" }],
};

/// The whole expansion of the derive.
pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let at = Span::call_site();
    let implements = Implements {
        trait_path: exports::action_inputs_trait(at),
        function: "action_inputs",
        entry_type: exports::action_input(at),
    };
    super::expand(DERIVE, input, implements, entry)
}

/// `ActionInput::new("key", "Name", mandatory)` for one field.
fn entry(field: &Field<'_>, errors: &Errors) -> Option<TokenStream> {
    let name = super::label(DERIVE, field, "name", "name", errors)?;
    let (key, mandatory) = (&field.key, field.mandatory);
    let action_input = exports::action_input(Span::call_site());
    Some(quote!(#action_input::new(#key, #name, #mandatory)))
}
