//! Reading the annotated function: its parameters, the role each one claims (from its type's name), and its
//! return type. Nothing here knows which roles an endpoint accepts: that is [`crate::valid`]'s job.

use crate::kinds::KINDS;
use syn::{FnArg, ItemFn, PathArguments, PathSegment, ReturnType, Type};

/// What a parameter receives, told by the last segment of its type's path. The `meta` and `data` types are those
/// of the kinds' table (`kinds.rs`), so that a kind's types are named in one place.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Role {
    /// `Auth<T>`: the request's `auth`.
    Auth,
    /// `State<T>`: shared state.
    State,
    /// `Data<T>`: an action's inputs.
    Inputs,
    /// A kind's `meta` type (`ContactSyncMeta`).
    Meta(&'static str),
    /// A kind's own `data` type (`InteractionData`).
    Data(&'static str),
}

impl Role {
    fn from_type_name(name: &str) -> Option<Self> {
        match name {
            "Auth" => Some(Self::Auth),
            "State" => Some(Self::State),
            _ => KINDS.iter().find_map(|kind| match (kind.meta, kind.data) {
                (Some(meta), _) if meta == name => Some(Self::Meta(meta)),
                (_, Some(data)) if data == name && kind.named => Some(Self::Inputs),
                (_, Some(data)) if data == name => Some(Self::Data(data)),
                _ => None,
            }),
        }
    }

    /// The type whose name claims this role, for the roles a kind's table row names (`meta` and `data`); `None`
    /// for those every kind accepts (`Auth`, `State`).
    pub(crate) fn type_name(self) -> Option<&'static str> {
        match self {
            Self::Auth | Self::State => None,
            Self::Inputs => Some("Data"),
            Self::Meta(name) | Self::Data(name) => Some(name),
        }
    }

    /// What the role is, for messages.
    pub(crate) fn described(self) -> String {
        match self {
            Self::Auth => "the request's `auth` (`bridge::Auth<_>`)".to_owned(),
            Self::State => "shared state (`bridge::State<_>`)".to_owned(),
            Self::Inputs => "the action's inputs (`bridge::Data<_>`)".to_owned(),
            Self::Meta(name) => format!("the `meta` of another endpoint (`bridge::{name}`)"),
            Self::Data(name) => format!("the `data` of another endpoint (`bridge::{name}`)"),
        }
    }

    /// Whether a handler may take several parameters of this role.
    pub(crate) fn repeatable(self) -> bool {
        self == Self::State
    }
}

/// One parameter of the handler.
pub(crate) struct Param<'a> {
    /// The whole `pattern: Type` (or `self`), for spans.
    pub(crate) arg: &'a FnArg,
    /// Its type (`None` for a `self` receiver).
    pub(crate) ty: Option<&'a Type>,
    /// The role its type claims (`None` when the type names no role).
    pub(crate) role: Option<Role>,
    /// The type arguments of its type's last segment (`Creds` in `bridge::Auth<Creds>`), for wrapper roles.
    pub(crate) type_args: Option<&'a PathArguments>,
}

/// The annotated function, read.
pub(crate) struct Handler<'a> {
    pub(crate) item: &'a ItemFn,
    pub(crate) params: Vec<Param<'a>>,
    pub(crate) output: Option<&'a Type>,
}

impl<'a> Handler<'a> {
    pub(crate) fn read(item: &'a ItemFn) -> Self {
        let params = item
            .sig
            .inputs
            .iter()
            .map(|arg| match arg {
                FnArg::Receiver(_) => Param { arg, ty: None, role: None, type_args: None },
                FnArg::Typed(typed) => {
                    let last = last_segment(&typed.ty);
                    Param {
                        arg,
                        ty: Some(&typed.ty),
                        role: last.and_then(|segment| Role::from_type_name(&segment.ident.to_string())),
                        type_args: last.map(|segment| &segment.arguments),
                    }
                }
            })
            .collect();
        let output = match &item.sig.output {
            ReturnType::Default => None,
            ReturnType::Type(_, ty) => Some(&**ty),
        };
        Handler { item, params, output }
    }

    /// The parameter of `role`, if there is one.
    pub(crate) fn param(&self, role: Role) -> Option<&Param<'a>> {
        self.params.iter().find(|p| p.role == Some(role))
    }
}

/// The last segment of a plain path type, which tells the role it claims (`bridge::Auth<Creds>` → `Auth<Creds>`).
fn last_segment(ty: &Type) -> Option<&PathSegment> {
    match ty {
        Type::Path(path) if path.qself.is_none() => path.path.segments.last(),
        Type::Group(group) => last_segment(&group.elem),
        Type::Paren(paren) => last_segment(&paren.elem),
        // `&Auth<T>` claims the auth too (and is refused for the `&`, not reported as a missing auth).
        Type::Reference(reference) => last_segment(&reference.elem),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[test]
    fn reads_roles_from_type_names() {
        let item: ItemFn = parse_quote! {
            async fn f(Auth(a): bridge::Auth<Creds>, m: InteractionMeta, s: State<Client>, x: u8) -> Result<(), Error> {}
        };
        let handler = Handler::read(&item);
        let roles: Vec<_> = handler.params.iter().map(|p| p.role).collect();
        assert_eq!(roles, [Some(Role::Auth), Some(Role::Meta("InteractionMeta")), Some(Role::State), None]);
        let read = |ty: &str| Role::from_type_name(ty);
        assert_eq!(read("Data"), Some(Role::Inputs));
        assert_eq!(read("InteractionData"), Some(Role::Data("InteractionData")));
        assert_eq!(read("AgentSyncMeta"), Some(Role::Meta("AgentSyncMeta")));
        assert_eq!(read("NoMeta"), None);
        assert!(handler.output.is_some());
        assert!(handler.param(Role::Auth).is_some());
    }
}
