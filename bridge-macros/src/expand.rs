//! Writing the endpoint: the user's function unchanged, a struct of the same name (in the type namespace, so the
//! function stays callable) that implements `bridge::Endpoint`, and compile-time assertions on the user's types.
//!
//! Generated code contract, for an interaction retriever `history` taking `Auth<Creds>`, `InteractionData` and
//! `State<Client>`:
//!
//! ```text
//! async fn history(…) -> Result<Vec<Interaction>, Error> { … }         // verbatim
//! struct history {}                                                    // `.endpoint(history {})`
//! const _: fn() = || { /* assertions spanned on the user's types */ };
//! impl Endpoint for history {
//!     fn info(&self) -> EndpointInfo { kind, path: "/interaction_update", handler: "history", action: None }
//!     fn mount(&self, ctx) -> Result<BoxedFilter, BuildError> {
//!         let state_2 = ctx.state::<Client>()?;                         // looked up once, at start-up
//!         Ok(ctx.mount(move |request: Envelope<Creds, InteractionMeta, InteractionData>| {
//!             let state_2 = state_2.clone();
//!             async move { into_result(history(Auth(request.auth), request.data, State(state_2)).await) }
//!         }))
//!     }
//! }
//! ```

use crate::attr::{self, Args};
use crate::errors::Errors;
use crate::exports;
use crate::kind::Kind;
use crate::signature::{Handler, Role};
use crate::valid;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::ItemFn;

/// The whole expansion of one endpoint macro.
pub(crate) fn endpoint(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let errors = Errors::default();
    let args = attr::parse(kind, args, &errors);
    let attr_errors = errors.count();
    let item_fn = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(item_fn) => item_fn,
        Err(_) => {
            errors.at(
                not_a_function_target(&item),
                format!("#[bridge::{}] goes on an `async fn`, not on this item\n\n{}", kind.macro_name(), kind.usage()),
            );
            let compile_errors = errors.into_compile_errors();
            return quote!(#item #compile_errors);
        }
    };
    attr::require_name(kind, &args, Span::call_site(), &errors, attr_errors > 0);
    let handler = Handler::read(&item_fn);
    valid::check(kind, &handler, &errors);
    let endpoint =
        if errors.count() == 0 { full_endpoint(kind, &args, &handler) } else { placeholder_endpoint(&item_fn) };
    let compile_errors = errors.into_compile_errors();
    quote! {
        #item_fn
        #endpoint
        #compile_errors
    }
}

/// What to underline when the macro is not on a function: the item's keyword and name when it has them.
fn not_a_function_target(item: &TokenStream) -> TokenStream {
    use syn::Item;
    match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Struct(s)) => keyword_and_name(s.struct_token, &s.ident),
        Ok(Item::Enum(e)) => keyword_and_name(e.enum_token, &e.ident),
        Ok(Item::Union(u)) => keyword_and_name(u.union_token, &u.ident),
        Ok(Item::Const(c)) => keyword_and_name(c.const_token, &c.ident),
        Ok(Item::Static(s)) => keyword_and_name(s.static_token, &s.ident),
        Ok(Item::Mod(m)) => keyword_and_name(m.mod_token, &m.ident),
        Ok(Item::Trait(t)) => keyword_and_name(t.trait_token, &t.ident),
        Ok(Item::Type(t)) => keyword_and_name(t.type_token, &t.ident),
        Ok(Item::Impl(i)) => i.impl_token.to_token_stream(),
        Ok(Item::Use(u)) => u.use_token.to_token_stream(),
        _ => item.clone(),
    }
}

fn keyword_and_name(keyword: impl quote::ToTokens, name: &syn::Ident) -> TokenStream {
    quote!(#keyword #name)
}

/// The endpoint struct alone, when the handler has errors: it keeps `.endpoint(name {})` resolving, so one mistake
/// gives one message. The build stops at the `compile_error!`s anyway.
fn placeholder_endpoint(item_fn: &ItemFn) -> TokenStream {
    let name = &item_fn.sig.ident;
    let vis = &item_fn.vis;
    let span = name.span();
    let endpoint_trait = exports::endpoint_trait(span);
    let endpoint_info = exports::endpoint_info(span);
    let mount_context = exports::mount_context(span);
    let boxed_filter = exports::boxed_filter(span);
    let response = exports::response(span);
    let build_error = exports::build_error(span);
    quote_spanned! {span=>
        #[allow(non_camel_case_types)]
        #[doc(hidden)]
        #vis struct #name {}

        impl #endpoint_trait for #name {
            fn info(&self) -> #endpoint_info {
                ::core::unreachable!("this endpoint did not compile")
            }
            fn mount(&self, _: &#mount_context<'_>) -> ::core::result::Result<#boxed_filter<(#response,)>, #build_error> {
                ::core::unreachable!("this endpoint did not compile")
            }
        }
    }
}

fn full_endpoint(kind: Kind, args: &Args, handler: &Handler<'_>) -> TokenStream {
    let item = handler.item;
    let name = &item.sig.ident;
    let vis = &item.vis;
    let span = name.span();
    let name_text = name.to_string();
    let path = args.resolved_path(kind);
    let output = handler.output.expect("checked by valid::check");
    let output_span = output.span();

    let auth_param = exports::auth_param(Span::call_site());
    let data_param = exports::data_param(Span::call_site());
    let state_param = exports::state_param(Span::call_site());
    let handler_result = exports::handler_result(output_span);

    // The envelope's three types.
    let auth_ty = handler.param(Role::Auth).and_then(|p| p.ty).expect("checked by valid::check");
    let auth_inner = quote_spanned!(auth_ty.span()=> <#auth_ty as #auth_param>::Inner);
    let meta_ty = match kind.meta_type() {
        Some(meta) => exports::protocol_type(meta, Span::call_site()),
        None => exports::no_meta(Span::call_site()),
    };
    let data_ty = match (kind.data_type(), handler.param(Role::ActionData).and_then(|p| p.ty)) {
        (Some(data), _) => exports::protocol_type(data, Span::call_site()),
        (None, Some(ty)) => quote_spanned!(ty.span()=> <#ty as #data_param>::Inner),
        (None, None) => exports::no_data(Span::call_site()),
    };

    // One argument per parameter, in the user's order; state is looked up once and cloned per request.
    let mut state_lookups = Vec::new();
    let mut state_clones = Vec::new();
    let mut call_args = Vec::new();
    let mut check_params = Vec::new();
    let mut check_args = Vec::new();
    for (index, param) in handler.params.iter().enumerate() {
        let ty = param.ty.expect("checked by valid::check");
        let ty_span = ty.span();
        let arg = quote_spanned!(ty_span=> __request);
        call_args.push(match param.role.expect("checked by valid::check") {
            Role::Auth => quote_spanned!(ty_span=> <#ty as #auth_param>::wrap(#arg.auth)),
            Role::ActionData => quote_spanned!(ty_span=> <#ty as #data_param>::wrap(#arg.data)),
            Role::InteractionData => quote_spanned!(ty_span=> #arg.data),
            Role::ContactSyncMeta | Role::InteractionMeta | Role::ActionMeta | Role::AgentSyncMeta => {
                quote_spanned!(ty_span=> #arg.meta)
            }
            Role::State => {
                let var = format_ident!("__state_{}", index);
                state_lookups.push(quote_spanned! {ty_span=>
                    let #var = __ctx.state::<<#ty as #state_param>::Inner>()?;
                });
                state_clones.push(quote!(let #var = ::core::clone::Clone::clone(&#var);));
                quote_spanned!(ty_span=> <#ty as #state_param>::wrap(#var))
            }
        });
        let check_var = format_ident!("__arg_{}", index);
        check_params.push(quote!(#check_var: #ty));
        check_args.push(check_var);
    }

    let reply_trait = exports::contract_trait(kind.reply_trait(), output_span);
    let send_future = exports::send_future(span);
    let assertions = quote! {
        const _: fn() = || {
            fn __need_auth<T: #auth_param>() {}
            __need_auth::<#auth_ty>();
        };
        const _: fn() = || {
            fn __need_reply<T: #reply_trait>() {}
            __need_reply::<<#output as #handler_result>::Ok>();
        };
        const _: fn() = || {
            fn __need_send<F: #send_future>(_: F) {}
            #[allow(clippy::too_many_arguments)]
            fn __check_send(#(#check_params),*) {
                __need_send(#name(#(#check_args),*));
            }
        };
    };

    let endpoint_trait = exports::endpoint_trait(span);
    let endpoint_info = exports::endpoint_info(span);
    let endpoint_kind = exports::endpoint_kind(span);
    let kind_variant = format_ident!("{}", kind.runtime_variant());
    let mount_context = exports::mount_context(span);
    let boxed_filter = exports::boxed_filter(span);
    let response = exports::response(span);
    let build_error = exports::build_error(span);
    let envelope = exports::envelope(span);
    let action = match &args.name {
        Some(action) => quote!(::core::option::Option::Some(#action)),
        None => quote!(::core::option::Option::None),
    };
    let doc = format!(
        "The endpoint of [`{name_text}()`]: `POST {path}`. Mount it with `Bridge::new().endpoint({name_text} {{}})`."
    );

    quote! {
        #[doc = #doc]
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, Default)]
        #vis struct #name {}

        #assertions

        impl #endpoint_trait for #name {
            fn info(&self) -> #endpoint_info {
                #endpoint_info {
                    kind: #endpoint_kind::#kind_variant,
                    path: #path,
                    handler: #name_text,
                    action: #action,
                }
            }

            fn mount(
                &self,
                __ctx: &#mount_context<'_>,
            ) -> ::core::result::Result<#boxed_filter<(#response,)>, #build_error> {
                #(#state_lookups)*
                ::core::result::Result::Ok(__ctx.mount(
                    move |__request: #envelope<#auth_inner, #meta_ty, #data_ty>| {
                        #(#state_clones)*
                        async move {
                            <#output as #handler_result>::into_result(#name(#(#call_args),*).await)
                        }
                    },
                ))
            }
        }
    }
}
