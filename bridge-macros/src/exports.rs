//! The one table of every runtime path that generated code names. Each is produced with the span of the user's
//! token it concerns, so that a type error in generated code is reported on the user's own type.
//!
//! Generated code reaches the runtime through one import, of the module of the runtime's version that these
//! macros were built with ([`in_contract_scope`]): a user whose lock file pairs these macros with a runtime of
//! another version gets one error, on that import, naming the version the macros need (and rustc's suggestion of
//! the runtime's own, a similar name), instead of an error in every line of generated code.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};

macro_rules! exported_paths {
    ($($(#[$doc:meta])* $fn_name:ident => $($segment:ident)::+;)*) => {
        $(
            $(#[$doc])*
            pub(crate) fn $fn_name(span: Span) -> TokenStream {
                quote_spanned!(span=> __bridge_private $(::$segment)+)
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
    /// Mounts a handler of any kind.
    mount => mount;
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

/// An item of the runtime's contract by name (`InteractionData`, …).
pub(crate) fn contract_fn(name: &str, span: Span) -> TokenStream {
    let ident = format_ident!("{}", name, span = span);
    quote_spanned!(span=> __bridge_private::#ident)
}

/// The marker type of an endpoint kind (`kind::contact_retriever`), named after the kind's macro.
pub(crate) fn kind_marker(variant: &str, span: Span) -> TokenStream {
    let ident = format_ident!("{}", variant, span = span);
    quote_spanned!(span=> __bridge_private::kind::#ident)
}

/// The module of `bridge::__private` for the runtime of the macros' own version: `bridge_runtime_0_1_0`.
pub(crate) fn versioned_module() -> String {
    let version: String =
        env!("CARGO_PKG_VERSION").chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    format!("bridge_runtime_{version}")
}

/// `items` of generated code (impls), in an anonymous block that imports the runtime's contract once, as
/// `__bridge_private`, from the module of the macros' version.
pub(crate) fn in_contract_scope(items: TokenStream) -> TokenStream {
    let module = format_ident!("{}", versioned_module());
    quote! {
        const _: () = {
            use ::bridge::__private::#module as __bridge_private;
            #items
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_code_imports_the_runtime_of_the_macros_version_once() {
        let expected = format!("bridge_runtime_{}", env!("CARGO_PKG_VERSION").replace(['.', '-', '+'], "_"));
        assert_eq!(versioned_module(), expected);
        let block = in_contract_scope(quote!(impl X for Y {})).to_string();
        assert_eq!(block.matches("use :: bridge :: __private ::").count(), 1, "{block}");
        assert!(block.contains(&format!("{expected} as __bridge_private")), "{block}");
        assert!(endpoint_trait(Span::call_site()).to_string().starts_with("__bridge_private ::"));
    }
}
