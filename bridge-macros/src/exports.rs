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
    /// What `mount` fails with.
    build_error => BuildError;
    /// A mounted endpoint.
    boxed_filter => BoxedFilter;
    /// An HTTP response.
    response => Response;
    /// The decoded request.
    envelope => Envelope;
    /// `meta` or `data` the endpoint ignores.
    no_meta => NoMeta;
    no_data => NoData;
    /// Parameter traits.
    auth_param => AuthParam;
    data_param => DataParam;
    state_param => StateParam;
    /// Return type traits.
    handler_result => HandlerResult;
    send_future => SendFuture;
}

/// A protocol type by name (`ContactSyncMeta`, …), from the runtime's public API.
pub(crate) fn protocol_type(name: &str, span: Span) -> TokenStream {
    let ident = format_ident!("{}", name, span = span);
    quote_spanned!(span=> ::bridge::__private::protocol::#ident)
}

/// A trait of the runtime's contract by name (`InteractionRetrieverReply`, …).
pub(crate) fn contract_trait(name: &str, span: Span) -> TokenStream {
    let ident = format_ident!("{}", name, span = span);
    quote_spanned!(span=> ::bridge::__private::#ident)
}
