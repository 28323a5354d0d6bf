//! Checking a read handler against the rules of its endpoint kind. Every problem is recorded, spanned on the
//! user's own token (the `fn` without `async`, the offending parameter type…); the first signature problem also
//! prints the signature the endpoint accepts.
//!
//! A handler without problems comes out as a [`Valid`] model, which holds exactly what expansion needs (every
//! parameter with its role, the `T` of `Auth<T>`, the return type), so expansion cannot meet a case this module
//! did not check.

use crate::errors::Errors;
use crate::kind::Kind;
use crate::signature::{Handler, Param, Role};
use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{GenericArgument, ItemFn, PathArguments, Type};

/// A handler that passed every check.
pub(crate) struct Valid<'a> {
    /// The user's function.
    pub(crate) item: &'a ItemFn,
    /// Its parameters, in order.
    pub(crate) params: Vec<ValidParam<'a>>,
    /// The type to report auth type errors on: the `T` of `Auth<T>` (or the whole type, for an alias); `None` for a
    /// handler that reads the credentials through parameters of its own only.
    pub(crate) auth: Option<&'a Type>,
    /// The same for an action's `Data<T>`, when it takes one.
    pub(crate) inputs: Option<&'a Type>,
    /// Its return type.
    pub(crate) output: &'a Type,
}

/// One parameter of a valid handler: what it receives, its type as written, and (for `State<T>`) the type to
/// report state type errors on.
pub(crate) enum ValidParam<'a> {
    /// `Auth<T>`.
    Auth { ty: &'a Type },
    /// An action's `Data<T>`.
    Inputs { ty: &'a Type },
    /// `State<T>`.
    State { ty: &'a Type, inner: &'a Type },
    /// The endpoint's `meta` (`ContactSyncMeta`, …).
    Meta { ty: &'a Type },
    /// The request's `data`, of the kind's own type (the interaction retriever's `InteractionData`).
    Data { ty: &'a Type },
    /// A parameter of the author's own, built by its `bridge::FromRequest` impl.
    Custom { ty: &'a Type },
}

/// Records every problem of `handler` for `kind`; returns the valid handler when there is none. Every `None`
/// comes with at least one recorded error, or one that rustc reports itself.
pub(crate) fn check<'a>(kind: Kind, handler: &Handler<'a>, errors: &Errors) -> Option<Valid<'a>> {
    let mut problems = Problems::default();
    let sig = &handler.item.sig;
    let attribute = kind.attribute();

    match (&sig.constness, &sig.asyncness) {
        (Some(constness), None) => {
            problems.at(constness, format!("{attribute} goes on an `async fn`, not a `const fn`: write `async fn`"))
        }
        (Some(constness), Some(_)) => {
            problems.at(constness, format!("{attribute} cannot go on a `const fn`: remove `const`"))
        }
        (None, None) => {
            problems.at(sig.fn_token, format!("{attribute} goes on an `async fn`: add `async` before `fn`"))
        }
        (None, Some(_)) => {}
    }
    if let Some(unsafety) = &sig.unsafety {
        problems.at(unsafety, format!("{attribute} cannot go on an `unsafe fn`: remove `unsafe`"));
    }
    if let Some(abi) = &sig.abi {
        problems.at(abi, format!("{attribute} cannot go on an `extern` fn: remove `{}`", abi.to_token_stream()));
    }
    if !sig.generics.params.is_empty() {
        problems.at(
            &sig.generics,
            format!("{attribute} cannot go on a generic function: name concrete types for its parameters"),
        );
    }
    if let Some(clause) = &sig.generics.where_clause {
        problems.at(clause, format!("{attribute} cannot go on a function with a `where` clause"));
    }
    if let Some(variadic) = &sig.variadic {
        problems.at(variadic, format!("{attribute} cannot go on a variadic function"));
    }

    let mut params = Vec::new();
    let mut auth = None;
    let mut inputs = None;
    for (index, param) in handler.params.iter().enumerate() {
        if let Some(valid) = check_param(kind, handler, index, param, &mut problems) {
            match valid {
                (ValidParam::Auth { .. }, Some(inner)) => auth = Some(inner),
                (ValidParam::Inputs { .. }, Some(inner)) => inputs = Some(inner),
                _ => {}
            }
            params.push(valid.0);
        }
    }

    let has_receiver = handler.params.iter().any(|p| p.ty.is_none());
    let has_custom = params.iter().any(|p| matches!(p, ValidParam::Custom { .. }));
    if handler.param(Role::Auth).is_none() && !has_custom && !has_receiver && !problems.left_to_rustc {
        problems.at(
            &sig.ident,
            format!(
                "{} must take the request's credentials: add a parameter `auth: bridge::Auth<YourAuthType>` \
                 (or one of your own that reads them, through `bridge::FromRequest`)",
                kind.described()
            ),
        );
    }

    let output = match handler.output {
        None => {
            problems.at(
                &sig.ident,
                format!("{} must return a `Result`: add `-> Result<…, bridge::Error>`", kind.described()),
            );
            None
        }
        Some(Type::ImplTrait(output)) => {
            problems.at(
                output,
                format!(
                    "{} must name its return type (`Result<…, bridge::Error>`), not `impl Trait`",
                    kind.described()
                ),
            );
            None
        }
        Some(output) => Some(output),
    };

    let usable = problems.is_empty();
    problems.report(kind, errors);
    match output {
        Some(output) if usable => Some(Valid { item: handler.item, params, auth, inputs, output }),
        _ => None,
    }
}

/// Checks one parameter; returns it, with the `T` of a wrapper, when it is right.
fn check_param<'a>(
    kind: Kind,
    handler: &Handler<'a>,
    index: usize,
    param: &Param<'a>,
    problems: &mut Problems,
) -> Option<(ValidParam<'a>, Option<&'a Type>)> {
    let attribute = kind.attribute();
    let Some(ty) = param.ty else {
        problems.at(param.arg, format!("{attribute} goes on a free function, not a method: it cannot take `self`"));
        return None;
    };
    if let Type::Infer(_) = ty {
        problems.left_to_rustc = true; // "the placeholder `_` is not allowed within types on item signatures"
        return None;
    }
    if let Some(problem) = unusable_type(ty) {
        problems.at(ty, format!("{attribute}: {problem}"));
        return None;
    }
    // Any other type is a parameter of the author's own: its `bridge::FromRequest` impl (checked by rustc, on
    // this type) builds it.
    let Some(role) = param.role else {
        return Some((ValidParam::Custom { ty }, None));
    };
    if !kind.accepts(role) {
        problems.at(ty, format!("{} does not receive {}", kind.described(), role.described()));
        return None;
    }
    let earlier = handler.params[..index].iter().any(|p| p.role == Some(role));
    if earlier && !role.repeatable() {
        problems
            .at(ty, format!("{} receives {} once: remove this second parameter", kind.described(), role.described()));
        return None;
    }
    let inner = wrapped_type(param).unwrap_or(ty);
    Some(match role {
        Role::Auth => (ValidParam::Auth { ty }, Some(inner)),
        Role::Inputs => (ValidParam::Inputs { ty }, Some(inner)),
        Role::State => (ValidParam::State { ty, inner }, None),
        Role::Data(_) => (ValidParam::Data { ty }, None),
        Role::Meta(_) => (ValidParam::Meta { ty }, None),
    })
}

/// The `T` of `Auth<T>`, `Data<T>` or `State<T>`, when it is written. Generated code does not name it (it is
/// inferred), it only reports errors on it. A wrapper without its type (`Auth`, `State<_>`) is left to rustc,
/// which reports it on the signature; an alias (`type Auth = bridge::Auth<Creds>`) is fine.
fn wrapped_type<'a>(param: &Param<'a>) -> Option<&'a Type> {
    let Some(PathArguments::AngleBracketed(args)) = param.type_args else {
        return None;
    };
    match args.args.first() {
        Some(GenericArgument::Type(inner)) if args.args.len() == 1 => Some(inner),
        _ => None,
    }
}

/// Why a parameter type cannot be received at all, whatever its role.
fn unusable_type(ty: &Type) -> Option<&'static str> {
    match ty {
        Type::ImplTrait(_) => Some("a handler cannot take `impl Trait` parameters: name a concrete type"),
        Type::Reference(_) => Some("a handler receives its parameters by value: remove the `&`"),
        _ => None,
    }
}

#[derive(Default)]
struct Problems {
    errors: Vec<(TokenStream, String)>,
    /// Problems rustc reports itself (a `_` in the signature): they make the handler unusable, without a message
    /// of ours, which would be a second one.
    left_to_rustc: bool,
}

impl Problems {
    fn at(&mut self, tokens: impl ToTokens, message: impl Into<String>) {
        self.errors.push((tokens.to_token_stream(), message.into()));
    }

    fn is_empty(&self) -> bool {
        self.errors.is_empty() && !self.left_to_rustc
    }

    /// Moves the problems into `errors`, the first one followed by the accepted signature.
    fn report(self, kind: Kind, errors: &Errors) {
        for (index, (tokens, message)) in self.errors.into_iter().enumerate() {
            let message = if index == 0 { format!("{message}\n\n{}", kind.usage()) } else { message };
            errors.at(tokens, message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn problems(kind: Kind, item: ItemFn) -> Vec<String> {
        let errors = Errors::default();
        let valid = check(kind, &Handler::read(&item), &errors);
        let count = errors.count();
        assert!(valid.is_some() || count > 0, "a handler that is not valid has a reported problem");
        errors.into_messages()
    }

    #[test]
    fn accepts_every_role_of_its_kind_in_any_order() {
        let item: ItemFn = parse_quote! {
            pub async fn f(s: State<A>, d: Data<I>, a: Auth<C>, m: ActionMeta, t: State<B>) -> Result<ActionOutcome, Error> {}
        };
        assert!(problems(Kind::Action, item.clone()).is_empty());
        let valid = check(Kind::Action, &Handler::read(&item), &Errors::default());
        let valid = valid.map(|v| (v.params.len(), v.auth.to_token_stream().to_string(), v.inputs.is_some()));
        assert_eq!(valid, Some((5, "C".to_owned(), true)));
    }

    #[test]
    fn reports_each_problem_once_with_usage_on_the_first() {
        let item: ItemFn = parse_quote! {
            fn f<T>(&self, m: InteractionMeta, x: u8, a: Auth<C>, b: Auth<C>, i: impl Send) {}
        };
        let found = problems(Kind::ContactSync, item);
        // `x: u8` is a parameter of the author's own as far as the macro can tell: rustc reports that `u8` does
        // not implement `bridge::FromRequest`, once the signature is otherwise right.
        assert_eq!(found.len(), 7, "{found:#?}");
        assert!(found[0].contains("add `async`") && found[0].contains("must have this signature"));
        assert!(!found[1].contains("must have this signature"));
    }

    #[test]
    fn a_missing_auth_is_reported() {
        let item: ItemFn = parse_quote! { async fn f(m: AgentSyncMeta) -> Result<AgentPage, Error> {} };
        let found = problems(Kind::AgentSync, item);
        assert_eq!(found.len(), 1);
        assert!(found[0].contains("must take the request's credentials"));
    }

    #[test]
    fn wrappers_without_their_type_are_left_to_rustc() {
        // rustc reports `Auth` without its type and `State<_>` on the signature; an alias is fine.
        let item: ItemFn = parse_quote! { async fn f(a: Auth, s: State<_>) -> Result<(), Error> {} };
        assert!(problems(Kind::AuthValidation, item).is_empty());
        let item: ItemFn = parse_quote! { async fn f(a: _) -> Result<(), Error> {} };
        let errors = Errors::default();
        assert!(check(Kind::AuthValidation, &Handler::read(&item), &errors).is_none());
        assert_eq!(errors.count(), 0);
    }

    #[test]
    fn a_reference_to_auth_is_one_mistake() {
        let found = problems(Kind::AuthValidation, parse_quote! { async fn f(a: &Auth<A>) -> Result<(), Error> {} });
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].contains("remove the `&`"));
    }

    #[test]
    fn any_other_type_is_a_parameter_of_the_authors_own() {
        let item: ItemFn = parse_quote! { async fn f(s: Session, m: ContactSyncMeta) -> Result<ContactPage, Error> {} };
        let errors = Errors::default();
        let valid = check(Kind::ContactSync, &Handler::read(&item), &errors).expect("valid without `Auth<T>`");
        assert!(matches!(valid.params[0], ValidParam::Custom { .. }));
        assert!(valid.auth.is_none());
        assert_eq!(errors.count(), 0);
    }

    #[test]
    fn a_const_fn_is_one_mistake() {
        let found = problems(Kind::AuthValidation, parse_quote! { const fn f(a: Auth<A>) -> Result<(), Error> {} });
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].contains("not a `const fn`"));
    }
}
