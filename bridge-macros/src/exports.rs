//! The one table of every runtime path that generated code names. Each is produced with the span of the user's
//! token it concerns, so that a type error in generated code is reported on the user's own type.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote_spanned};

macro_rules! exported_paths {
    ($($(#[$doc:meta])* $fn_name:ident => $($segment:ident)::+;)*) => {
        $(
            $(#[$doc])*
            pub(crate) fn $fn_name(span: Span) -> TokenStream {
                quote_spanned!(span=> ::bridge::__private $(::$segment)+)
            }
        )*
    };
}

exported_paths! {
    /// The trait every endpoint implements.
    endpoint_trait => Endpoint;
    /// Static facts about an endpoint.
    endpoint_info => EndpointInfo;
    /// The endpoint kinds.
    endpoint_kind => EndpointKind;
    /// What `mount` receives.
    mount_context => MountContext;
    /// A mounted endpoint, or why it cannot be.
    mounted => Mounted;
    /// The `data` of an action that takes no inputs.
    no_data => NoData;
    /// The body of the placeholder endpoint of a handler with errors.
    did_not_compile => did_not_compile;
    /// A type carried as a value, to report a check on the user's token.
    witness => Witness;
    /// Boxes a handler's future, checking that it is `Send`.
    handler_future => handler_future;
    /// The handler's future, at once or once the author's own parameters are built.
    ready => ready;
    extracting => extracting;
    /// Builds one parameter of the author's own, checking that its type implements `FromRequest`.
    extract => extract;
    /// Looks a piece of shared state up, checking its type.
    state => state;
    /// The configuration traits the derives implement, and what they return.
    auth_fields_trait => AuthFieldsTrait;
    auth_field => AuthField;
    action_inputs_trait => ActionInputsTrait;
    action_input => ActionInput;
    /// What an action executor tells of its action, and how it infers the `T` of its `Data<T>`.
    action_spec => ActionSpec;
    action_inputs_of => action_inputs_of;
    never_called => never_called;
    /// The parameter wrappers, whose constructors generated code calls.
    auth => Auth;
    data => Data;
    state_wrapper => State;
}

/// A function of the runtime's contract by name (`mount_contact_retriever`, …).
pub(crate) fn contract_fn(name: &str, span: Span) -> TokenStream {
    let ident = format_ident!("{}", name, span = span);
    quote_spanned!(span=> ::bridge::__private::#ident)
}
