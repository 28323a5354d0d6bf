//! Checking a read handler against the rules of its endpoint kind. Every problem is recorded, spanned on the
//! user's own token (the `fn` without `async`, the offending parameter type…); the first signature problem also
//! prints the signature the endpoint accepts.

use crate::errors::Errors;
use crate::kind::Kind;
use crate::signature::{Handler, Role};
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::Type;

/// Records every problem of `handler` for `kind`; returns whether the signature is usable for expansion.
pub(crate) fn check(kind: Kind, handler: &Handler<'_>, errors: &Errors) -> bool {
    let mut problems = Problems::default();
    let sig = &handler.item.sig;
    let macro_name = kind.macro_name();

    if let Some(constness) = &sig.constness {
        problems.at(constness, format!("#[bridge::{macro_name}] cannot go on a `const fn`"));
    }
    if sig.asyncness.is_none() {
        problems.at(sig.fn_token, format!("#[bridge::{macro_name}] goes on an `async fn`: add `async` before `fn`"));
    }
    if let Some(unsafety) = &sig.unsafety {
        problems.at(unsafety, format!("#[bridge::{macro_name}] cannot go on an `unsafe fn`"));
    }
    if let Some(abi) = &sig.abi {
        problems.at(abi, format!("#[bridge::{macro_name}] cannot go on an `extern` fn"));
    }
    if !sig.generics.params.is_empty() {
        problems.at(&sig.generics, "a bridge handler cannot be generic: name concrete types for its parameters");
    }
    if let Some(clause) = &sig.generics.where_clause {
        problems.at(clause, "a bridge handler cannot have a `where` clause");
    }
    if let Some(variadic) = &sig.variadic {
        problems.at(variadic, "a bridge handler cannot be variadic");
    }

    for (index, param) in handler.params.iter().enumerate() {
        let Some(ty) = param.ty else {
            problems.at(param.arg, "a bridge handler is a free function, not a method: it cannot take `self`");
            continue;
        };
        if let Some(problem) = unusable_type(ty) {
            problems.at(ty, problem);
            continue;
        }
        let Some(role) = param.role else {
            problems
                .at(ty, format!("{} cannot provide a parameter of type `{}`", kind.described(), ty.to_token_stream()));
            continue;
        };
        if !kind.accepts(role) {
            problems.at(ty, format!("{} does not receive {}", kind.described(), role.described()));
            continue;
        }
        let earlier = handler.params[..index].iter().any(|p| p.role == Some(role));
        if earlier && !role.repeatable() {
            problems.at(ty, format!("two parameters claim {}: keep one", role.described()));
        }
    }

    if handler.param(Role::Auth).is_none() && handler.params.iter().all(|p| p.ty.is_some()) {
        problems.at(
            &sig.ident,
            format!(
                "{} must take the request's credentials: add a parameter `auth: bridge::Auth<YourAuthType>`",
                kind.described()
            ),
        );
    }

    match handler.output {
        None => problems
            .at(&sig.ident, format!("{} must return a `Result`: add `-> Result<…, bridge::Error>`", kind.described())),
        Some(Type::ImplTrait(output)) => problems
            .at(output, "a bridge handler must name its return type (`Result<…, bridge::Error>`), not `impl Trait`"),
        Some(_) => {}
    }

    let usable = problems.errors.is_empty();
    problems.report(kind, errors);
    usable
}

/// Why a parameter type cannot be received at all, whatever its role.
fn unusable_type(ty: &Type) -> Option<&'static str> {
    match ty {
        Type::ImplTrait(_) => Some("a bridge handler cannot take `impl Trait` parameters: name a concrete type"),
        Type::Reference(_) => Some("a bridge handler receives its parameters by value: remove the `&`"),
        Type::Infer(_) => Some("a bridge handler must name the types of its parameters"),
        _ => None,
    }
}

#[derive(Default)]
struct Problems {
    errors: Vec<(TokenStream, String)>,
}

impl Problems {
    fn at(&mut self, tokens: impl ToTokens, message: impl Into<String>) {
        self.errors.push((tokens.to_token_stream(), message.into()));
    }

    /// Moves the problems into `errors`, the first one followed by the accepted signature.
    fn report(self, kind: Kind, errors: &Errors) {
        for (index, (tokens, message)) in self.errors.into_iter().enumerate() {
            let message = if index == 0 { format!("{message}\n\n{}", kind.usage()) } else { message };
            errors.at(quote!(#tokens), message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::{parse_quote, ItemFn};

    fn problems(kind: Kind, item: ItemFn) -> Vec<String> {
        let errors = Errors::default();
        check(kind, &Handler::read(&item), &errors);
        errors.into_compile_errors().to_string().split("compile_error !").skip(1).map(|s| s.trim().to_owned()).collect()
    }

    #[test]
    fn accepts_every_role_of_its_kind_in_any_order() {
        let item: ItemFn = parse_quote! {
            pub async fn f(s: State<A>, d: Data<I>, a: Auth<C>, m: ActionMeta, t: State<B>) -> Result<ActionOutcome, Error> {}
        };
        assert!(problems(Kind::ActionExecutor, item).is_empty());
    }

    #[test]
    fn reports_each_problem_once_with_usage_on_the_first() {
        let item: ItemFn = parse_quote! {
            fn f<T>(&self, m: InteractionMeta, x: u8, a: Auth<C>, b: Auth<C>, i: impl Send) {}
        };
        let found = problems(Kind::ContactRetriever, item);
        assert_eq!(found.len(), 8, "{found:#?}");
        assert!(found[0].contains("add `async`") && found[0].contains("must have this signature"));
        assert!(!found[1].contains("must have this signature"));
    }

    #[test]
    fn a_missing_auth_is_reported() {
        let item: ItemFn = parse_quote! { async fn f(m: AgentSyncMeta) -> Result<AgentPage, Error> {} };
        let found = problems(Kind::AgentRetriever, item);
        assert_eq!(found.len(), 1);
        assert!(found[0].contains("must take the request's credentials"));
    }
}
