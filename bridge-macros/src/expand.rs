//! Writing the endpoint: the user's function unchanged, a struct of the same name (in the type namespace, so the
//! function stays callable), and an impl of `bridge::Endpoint` for that struct.
//!
//! Generated code contract, for an interaction retriever `history` taking `Auth<Creds>`, `InteractionData` and
//! `State<Client>` (the committed snapshots under `bridge-macros/tests/snapshots/` show the real thing):
//!
//! ```text
//! async fn history(…) -> Result<Vec<Interaction>, Error> { … }         // verbatim
//! struct history {}                                                    // `.endpoint(history {})`
//! impl Endpoint for history {
//!     fn info(&self) -> EndpointInfo { kind, path: "/interaction_update", handler: "history", action: None }
//!     fn mount(&self, ctx) -> Mounted {                                  // Result<MountedEndpoint, BuildError>
//!         let state_2 = state(ctx, Witness::new())?;                    // on `Client`: Clone + Send + Sync
//!         mount(
//!             ctx,
//!             Witness::<kind::interaction_retriever>::new(),           // the kind: its meta, data, answer
//!             Witness::new(),                                          // on `Creds`: Deserialize
//!             Witness::<InteractionData>::new(),                       // the request's `data`
//!             Witness::new(),                                          // on the return type
//!             move |request| handler_future(history(                  // on `history`: the future is Send
//!                 Auth(request.auth),                                  // on `Auth<Creds>`: is `bridge::Auth`
//!                 request.data,
//!                 State(state_2.get()),
//!             )),
//!         )
//!     }
//! }
//! ```
//!
//! An action executor's impl also has `fn action_spec`, which describes the action for the configuration documents:
//! its name, display text, description (attribute, else the function's doc comment), and the inputs of the `T` of
//! its `Data<T>`, inferred through a never-made call of the handler and required to implement `ActionInputs`.
//!
//! Generated code never names the user's types: they are inferred from the function's signature, so a type that
//! does not resolve is reported once, on the signature. Each check is an expression spanned over the user's token
//! it concerns (see `bridge-runtime/src/contract.rs` for the table), made once, so one mistake gives one error.

use crate::attr::{self, Route};
use crate::errors::Errors;
use crate::exports;
use crate::kind::Kind;
use crate::signature::Handler;
use crate::valid::{self, Valid, ValidParam};
use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Ident, ItemFn};

/// The whole expansion of one endpoint macro.
pub(crate) fn endpoint(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let errors = Errors::default();
    let route = attr::parse(kind, args, &errors);
    let item_fn = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(item_fn) => item_fn,
        Err(_) => {
            errors.at(
                not_a_function_target(&item),
                format!("{} goes on an `async fn`, not on this item\n\n{}", kind.attribute(), kind.usage()),
            );
            let compile_errors = errors.into_compile_errors();
            return quote!(#item #compile_errors);
        }
    };
    let handler = Handler::read(&item_fn);
    let endpoint = match (route, valid::check(kind, &handler, &errors)) {
        (Some(route), Some(valid)) => Some(full_endpoint(kind, &route, &valid)),
        _ => None,
    };
    let (endpoint, function) = match endpoint {
        Some(endpoint) => (endpoint, user_function(item_fn)),
        None => (placeholder_endpoint(&item_fn), function_on_error(item_fn)),
    };
    let compile_errors = errors.into_compile_errors();
    quote! {
        #function
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

fn keyword_and_name(keyword: impl ToTokens, name: &Ident) -> TokenStream {
    quote!(#keyword #name)
}

/// The user's function as emitted when the handler has errors: unchanged, except for `const`, which rustc would
/// refuse a second time (`const async fn`, or a `const fn` body that is not const), so that one mistake gives one
/// message.
fn function_on_error(mut item_fn: ItemFn) -> TokenStream {
    item_fn.sig.constness = None;
    user_function(item_fn)
}

/// The user's function, token for token, but with the types of its parameters marked as passing through the macro
/// (call-site hygiene, located on the user's tokens): rustc's own errors on them (a type that does not resolve,
/// `Auth` without its type, `State<_>`) then point at the user's type *and* name the attribute it went through.
/// Names resolve exactly as written: call-site hygiene is the user's own scope.
fn user_function(mut item_fn: ItemFn) -> TokenStream {
    for input in &mut item_fn.sig.inputs {
        if let syn::FnArg::Typed(typed) = input {
            let respanned = through_macro(typed.ty.to_token_stream());
            if let Ok(ty) = syn::parse2::<syn::Type>(respanned) {
                *typed.ty = ty;
            }
        }
    }
    item_fn.to_token_stream()
}

/// `tokens`, each with call-site hygiene at its own location.
fn through_macro(tokens: TokenStream) -> TokenStream {
    tokens
        .into_iter()
        .map(|tree| match tree {
            TokenTree::Group(group) => {
                let mut respanned = Group::new(group.delimiter(), through_macro(group.stream()));
                respanned.set_span(Span::call_site().located_at(group.span()));
                TokenTree::Group(respanned)
            }
            mut other => {
                other.set_span(Span::call_site().located_at(other.span()));
                other
            }
        })
        .collect()
}

/// The endpoint struct alone, when the handler has errors: it keeps `.endpoint(name {})` resolving, so one mistake
/// gives one message. The build stops at the `compile_error!`s anyway. A method (a function taking `self`) gets
/// none: it sits in an `impl` block, where a struct cannot go.
fn placeholder_endpoint(item_fn: &ItemFn) -> TokenStream {
    if item_fn.sig.receiver().is_some() {
        return TokenStream::new();
    }
    let name = &item_fn.sig.ident;
    let vis = &item_fn.vis;
    let span = name.span();
    let name_text = name.to_string();
    let endpoint_trait = exports::endpoint_trait(span);
    let endpoint_info = exports::endpoint_info(span);
    let mount_context = exports::mount_context(span);
    let mounted = exports::mounted(span);
    let did_not_compile = exports::did_not_compile(span);
    let endpoint_impl = quote_spanned! {span=>
        impl #endpoint_trait for #name {
            fn info(&self) -> #endpoint_info {
                #did_not_compile(#name_text)
            }
            fn mount(&self, _: &#mount_context<'_>) -> #mounted {
                #did_not_compile(#name_text)
            }
        }
    };
    let endpoint_impl = exports::in_contract_scope(endpoint_impl);
    quote_spanned! {span=>
        #[allow(non_camel_case_types)]
        #[doc(hidden)]
        #vis struct #name {}

        #endpoint_impl
    }
}

/// `tokens` (an expression of generated code) re-spanned over `over`, a type of the user's: the first token gets
/// the location of `over`'s first token and every other one that of `over`'s last, so that rustc's span of the
/// expression, or of any part of it that rustc picks, runs from the first to the last token of `over`, whatever
/// its length. (`Span::join`, which would give one token that span, is not available to proc macros on stable
/// Rust.) The spans keep the macro's hygiene, so an error there is reported on the user's token "in this attribute
/// macro expansion", which names the attribute; locals of generated code (`__request`, …) keep their spans.
fn spanned_over(tokens: TokenStream, over: &impl ToTokens) -> TokenStream {
    let over = over.to_token_stream();
    let at = |span: Span| Span::call_site().located_at(span);
    let first = first_span(&over).map_or_else(Span::call_site, at);
    let last = last_span(&over).map_or(first, at);
    respan(tokens, first, last, &mut false)
}

fn respan(tokens: TokenStream, first: Span, last: Span, done_first: &mut bool) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tree| {
            let is_first = !std::mem::replace(done_first, true);
            let span = if is_first { first } else { last };
            match &tree {
                TokenTree::Group(group) => {
                    let mut inner = Group::new(group.delimiter(), respan(group.stream(), first, last, done_first));
                    inner.set_span(span);
                    tree = TokenTree::Group(inner);
                }
                // A local keeps its span (the first token's location is needed for the expression's span, and
                // `first` keeps the call-site hygiene locals have anyway).
                TokenTree::Ident(ident) if !is_first && ident.to_string().starts_with("__") => {}
                _ => tree.set_span(span),
            }
            tree
        })
        .collect()
}

fn first_span(tokens: &TokenStream) -> Option<Span> {
    tokens.clone().into_iter().next().map(|tree| match tree {
        TokenTree::Group(group) => group.span_open(),
        other => other.span(),
    })
}

fn last_span(tokens: &TokenStream) -> Option<Span> {
    tokens.clone().into_iter().last().map(|tree| match tree {
        TokenTree::Group(group) => group.span_close(),
        other => other.span(),
    })
}

/// `Witness::new()`, a value carrying a type of the user's, spanned over `over` so that a check on it is reported
/// there.
fn witness(over: &impl ToTokens) -> TokenStream {
    let witness_type = exports::witness(Span::call_site());
    spanned_over(quote!(#witness_type::new()), over)
}

/// An identifier of generated code (a parameter, a local), with call-site hygiene, located at `span` for messages.
fn local(name: &str, span: Span) -> Ident {
    Ident::new(name, Span::call_site().located_at(span))
}

fn full_endpoint(kind: Kind, route: &Route, valid: &Valid<'_>) -> TokenStream {
    let item = valid.item;
    let name = &item.sig.ident;
    let vis = &item.vis;
    let name_text = name.to_string();
    let path = &route.path;
    let at = Span::call_site();
    let request = local("__request", at);
    let ctx = local("__ctx", at);
    let (auth, data, state) = (exports::auth(at), exports::data(at), exports::state_wrapper(at));

    // One argument per parameter, in the user's order; state is looked up once, at start-up; the author's own
    // parameters are built first, each from the request's parts.
    let parts = local("__parts", at);
    let mut state_lookups = Vec::new();
    let mut state_vars = Vec::new();
    let mut extractions = Vec::new();
    let mut call_args = Vec::new();
    for (index, param) in valid.params.iter().enumerate() {
        call_args.push(match param {
            ValidParam::Auth { ty } => spanned_over(quote!(#auth(#request.auth)), ty),
            ValidParam::Inputs { ty } => spanned_over(quote!(#data(#request.data)), ty),
            ValidParam::Data { ty } => spanned_over(quote!(#request.data), ty),
            ValidParam::Meta { ty } => spanned_over(quote!(#request.meta), ty),
            ValidParam::State { ty, inner } => {
                let var = local(&format!("__state_{index}"), inner.span());
                let lookup = spanned_over(exports::state(at), inner);
                let witness = witness(inner);
                state_lookups.push(quote!(let #var = #lookup(#ctx, #witness)?;));
                state_vars.push(var.clone());
                spanned_over(quote!(#state(#var.get())), ty)
            }
            ValidParam::Custom { ty } => {
                let var = local(&format!("__param_{index}"), ty.span());
                let extract = spanned_over(exports::extract(at), ty);
                let witness = witness(ty);
                extractions.push(quote!(let #var = #extract(&#parts, #witness).await?;));
                quote!(#var)
            }
        });
    }
    let handler_future = exports::handler_future(at);
    // The call, spanned over the function's name; its arguments keep their own spans.
    let mut args = Group::new(Delimiter::Parenthesis, quote!(#(#call_args),*));
    args.set_span(Span::call_site().located_at(name.span()));
    let callee = spanned_over(name.to_token_stream(), name);
    let call = quote!(#callee #args);
    let handler = if extractions.is_empty() {
        let ready = exports::ready(at);
        quote!(move |#request, _| #ready(#handler_future(#call)))
    } else {
        let extracting = exports::extracting(at);
        // The state handles are cloned for the request's future (a reference count each).
        quote! {
            move |#request, #parts| {
                #(let #state_vars = #state_vars.clone();)*
                #extracting(async move {
                    #(#extractions)*
                    ::core::result::Result::Ok(#handler_future(#call))
                })
            }
        }
    };

    let no_data = exports::no_data(at);
    let witness_type = exports::witness(at);
    let mut witnesses = vec![match valid.auth {
        Some(auth) => witness(auth),
        None => quote!(#witness_type::<#no_data>::new()),
    }];
    witnesses.push(match (valid.inputs, kind.fixed_data()) {
        (Some(inputs), _) => witness(inputs),
        (None, Some(data)) => {
            let data = exports::contract_fn(data, at);
            quote!(#witness_type::<#data>::new())
        }
        (None, None) => quote!(#witness_type::<#no_data>::new()),
    });
    witnesses.push(witness(valid.output));
    let mount = exports::mount(at);
    let kind_marker = exports::kind_marker(kind.macro_name(), at);
    // Spanned over the return type: the kind's bound on it is reported there.
    let kind_witness = spanned_over(quote!(#witness_type::<#kind_marker>::new()), valid.output);

    let endpoint_trait = exports::endpoint_trait(at);
    let endpoint_info = exports::endpoint_info(at);
    let endpoint_kind = exports::endpoint_kind(at);
    let kind_variant = format_ident!("{}", kind.runtime_variant());
    let mount_context = exports::mount_context(at);
    let mounted = exports::mounted(at);
    let action = match &route.action {
        Some(action) => quote!(::core::option::Option::Some(#action)),
        None => quote!(::core::option::Option::None),
    };
    let doc = format!(
        " The endpoint of [`{name_text}()`]: `POST {path}`. Mount it with `Bridge::new().endpoint({name_text} {{}})`."
    );
    let action_spec = route.action.as_deref().map(|action| action_spec(action, route, valid));
    let remember = route.remember_ms.map(|ms| {
        quote! {
            fn remember(&self) -> ::core::option::Option<::core::time::Duration> {
                ::core::option::Option::Some(::core::time::Duration::from_millis(#ms))
            }
        }
    });

    let endpoint_impl = exports::in_contract_scope(quote! {
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
                #ctx: &#mount_context<'_>,
            ) -> #mounted {
                #(#state_lookups)*
                #mount(
                    #ctx,
                    #kind_witness,
                    #(#witnesses,)*
                    #handler,
                )
            }

            #action_spec
            #remember
        }
    });
    quote! {
        #[doc = #doc]
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, Default)]
        #vis struct #name {}

        #endpoint_impl
    }
}

/// `fn action_spec`: the action's name, display text, description, and inputs from the `T` of its `Data<T>`,
/// required to implement `ActionInputs`. The type is inferred, not named (see `action_inputs_of` in the runtime):
/// a never-made call of the handler passes the inferred value as its `Data<T>`; the check is spanned over the
/// user's type, once.
fn action_spec(action: &str, route: &Route, valid: &Valid<'_>) -> TokenStream {
    let at = Span::call_site();
    let display = route.display.clone().unwrap_or_else(|| action.replace(['_', '-'], " "));
    let description =
        route.description.clone().or_else(|| crate::derive::doc_comment(&valid.item.attrs)).unwrap_or(display.clone());
    let spec = exports::action_spec(at);
    let inputs = match valid.inputs {
        Some(inputs) => {
            let value = local("__inputs", at);
            let (data, never) = (exports::data(at), exports::never_called(at));
            let args = valid.params.iter().map(|param| match param {
                ValidParam::Inputs { .. } => quote!(#data(#value)),
                _ => quote!(#never()),
            });
            let name = &valid.item.sig.ident;
            let check = spanned_over(exports::action_inputs_of(at), inputs);
            let witness = witness(inputs);
            quote!(#check(#witness, |#value| #name(#(#args),*)))
        }
        None => quote!(::std::vec::Vec::new()),
    };
    quote! {
        fn action_spec(&self) -> ::core::option::Option<#spec> {
            ::core::option::Option::Some(#spec::new(#action, #display, #description, #inputs))
        }
    }
}

/// Snapshots of the generated code, one endpoint of each kind (and one with an error), so that a change to the
/// expansion shows in review. They live in `bridge-macros/tests/snapshots/*.rs.snap`; after an intended change,
/// regenerate them with `UPDATE_SNAPSHOTS=1 cargo test -p bridge-macros snapshot` and read the diff.
#[cfg(test)]
pub(crate) mod snapshots {
    use super::*;

    fn check(name: &str, kind: Kind, args: TokenStream, item: TokenStream) {
        compare(name, endpoint(kind, args, item));
    }

    /// Compares `expanded` with the snapshot `name` (or writes it, with `UPDATE_SNAPSHOTS`).
    pub(crate) fn compare(name: &str, expanded: TokenStream) {
        let file = match syn::parse2::<syn::File>(expanded.clone()) {
            Ok(file) => file,
            Err(err) => panic!("the expansion of {name} does not parse ({err}):\n{expanded}"),
        };
        let actual = format!(
            "// Generated by `bridge-macros/src/expand.rs` (snapshots); do not edit.\n\n{}",
            prettyplease::unparse(&file)
        );
        let path = format!("{}/tests/snapshots/{name}.rs.snap", env!("CARGO_MANIFEST_DIR"));
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(&path, &actual).unwrap_or_else(|err| panic!("cannot write {path}: {err}"));
            return;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            expected == actual,
            "the expansion of {name} changed; if that is intended, run \
             `UPDATE_SNAPSHOTS=1 cargo test -p bridge-macros snapshot` and review the diff of {path}\n\
             --- expected\n{expected}\n--- actual\n{actual}"
        );
    }

    #[test]
    fn snapshot_auth_validator() {
        check(
            "auth_validator",
            Kind::AuthValidation,
            quote!(),
            quote! {
                pub async fn validate(Auth(creds): Auth<Credentials>) -> Result<(), Error> {
                    creds.check()
                }
            },
        );
    }

    #[test]
    fn snapshot_own_parameters() {
        check(
            "own_parameters",
            Kind::ContactSync,
            quote!(),
            quote! {
                async fn contacts(
                    session: Session,
                    meta: ContactSyncMeta,
                    State(client): State<Client>,
                    tenant: Tenant<Crm>,
                ) -> Result<ContactPage, Error> {
                    client.contacts(session, tenant, meta).await
                }
            },
        );
    }

    #[test]
    fn snapshot_contact_retriever() {
        check(
            "contact_retriever",
            Kind::ContactSync,
            quote!(path = "/v2/contacts"),
            quote! {
                async fn contacts(
                    auth: Auth<Credentials>,
                    meta: ContactSyncMeta,
                    State(client): State<Client>,
                ) -> Result<ContactPage, Error> {
                    client.contacts(auth, meta).await
                }
            },
        );
    }

    #[test]
    fn snapshot_interaction_retriever() {
        check(
            "interaction_retriever",
            Kind::InteractionRetrieval,
            quote!(),
            quote! {
                pub(crate) async fn history(
                    auth: bridge::Auth<Credentials>,
                    meta: InteractionMeta,
                    data: InteractionData,
                    client: State<Client>,
                    settings: State<Arc<Settings>>,
                ) -> Result<Vec<Interaction>, Error> {
                    client.history(auth, meta, data, settings).await
                }
            },
        );
    }

    #[test]
    fn snapshot_action_executor() {
        check(
            "action_executor",
            Kind::Action,
            quote!(name = "create_ticket"),
            quote! {
                pub async fn create_ticket(
                    State(client): State<Client>,
                    Data(ticket): Data<NewTicket>,
                    auth: Auth<Credentials>,
                    meta: ActionMeta,
                ) -> Result<ActionOutcome, ServiceError> {
                    client.create(auth, meta, ticket).await
                }
            },
        );
    }

    #[test]
    fn snapshot_action_executor_described() {
        check(
            "action_executor_described",
            Kind::Action,
            quote!(name = "add_note", display = "add a note"),
            quote! {
                /// add a note to the contact
                ///
                /// Not part of the description.
                async fn add_note(auth: Auth<Credentials>, note: bridge::Data<Note>) -> Result<ActionOutcome, Error> {
                    save(auth, note).await
                }
            },
        );
    }

    #[test]
    fn snapshot_action_executor_without_inputs() {
        check(
            "action_executor_without_inputs",
            Kind::Action,
            quote!(name = "ping"),
            quote! {
                async fn ping(_auth: Auth<Credentials>) -> Result<ActionOutcome, Error> {
                    Ok(ActionOutcome::message("pong"))
                }
            },
        );
    }

    #[test]
    fn snapshot_agent_retriever() {
        check(
            "agent_retriever",
            Kind::AgentSync,
            quote!(),
            quote! {
                /// The agents, one page at a time.
                pub async fn agents(auth: Auth<Credentials>, meta: AgentSyncMeta) -> Result<AgentPage, Error> {
                    fetch(auth, meta).await
                }
            },
        );
    }

    /// With errors: the function (without its `const`), the placeholder endpoint and the messages.
    #[test]
    fn snapshot_with_errors() {
        check(
            "with_errors",
            Kind::ContactSync,
            quote!(path = "contacts"),
            quote! {
                const fn contacts(auth: Auth<Credentials>, limit: u8) -> Result<ContactPage, Error> {
                    fetch(auth, limit)
                }
            },
        );
    }
}
