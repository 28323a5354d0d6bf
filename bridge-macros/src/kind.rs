//! The five endpoint kinds, as the macros see them: which parameters each accepts, what it answers, and the usage
//! message printed when a signature is wrong — all read from the table shared with the runtime (`kinds.rs`), so
//! that nothing here is written per kind: `Kind` and the entry points (`lib.rs`) are generated from it too.

use crate::kinds::{KindSpec, KINDS};
use crate::signature::Role;

macro_rules! kind {
    ($({
        $(#[$doc:meta])*
        variant: $variant:ident,
        $($rest:tt)*
    })*) => {
        /// One of the kinds, in the order of the shared table, named as the runtime's `EndpointKind` names it.
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        pub(crate) enum Kind {
            $($variant,)*
        }
    };
}

crate::kinds::with_kinds!(kind);

impl Kind {
    fn spec(self) -> &'static KindSpec {
        &KINDS[self as usize]
    }

    /// The macro's name, as users write it; it also names the kind's marker type in the runtime's contract.
    pub(crate) fn macro_name(self) -> &'static str {
        self.spec().macro_name
    }

    /// `#[bridge::interaction_retriever]`, for messages.
    pub(crate) fn attribute(self) -> String {
        format!("#[bridge::{}]", self.macro_name())
    }

    /// "an interaction retriever", for messages.
    pub(crate) fn described(self) -> &'static str {
        self.spec().role_with_article
    }

    /// The variant of `bridge::EndpointKind`.
    pub(crate) fn runtime_variant(self) -> &'static str {
        self.spec().variant
    }

    /// The path used when the attribute gives none (actions add `/<name>`).
    pub(crate) fn default_path(self) -> &'static str {
        self.spec().default_path
    }

    /// Whether each endpoint of this kind is named by its attribute (an action).
    pub(crate) fn named(self) -> bool {
        self.spec().named
    }

    /// The type of the `data` a handler of this kind takes, when it is the runtime's (`InteractionData`); `None`
    /// for none, and for an action's, which is the author's.
    pub(crate) fn fixed_data(self) -> Option<&'static str> {
        self.spec().data.filter(|_| !self.named())
    }

    /// The attribute keys this macro accepts.
    pub(crate) fn keys(self) -> &'static [&'static str] {
        if self.named() {
            &["name", "display", "description", "path", "dedupe"]
        } else if self.macro_name() == "interaction_retriever" {
            &["path", "cache"]
        } else {
            &["path"]
        }
    }

    /// An attribute of this kind with its keys, for messages.
    pub(crate) fn attribute_example(self) -> String {
        if self.named() {
            format!("#[bridge::{}(name = \"create_ticket\", path = \"/tickets\")]", self.macro_name())
        } else {
            format!("#[bridge::{}(path = \"/v2{}\")]", self.macro_name(), self.default_path())
        }
    }

    /// Whether a parameter of `role` makes sense for this kind.
    pub(crate) fn accepts(self, role: Role) -> bool {
        match role.type_name() {
            None => true,
            Some(name) => self.spec().meta == Some(name) || self.spec().data == Some(name),
        }
    }

    /// The signature this kind accepts, printed when a handler's signature is wrong.
    pub(crate) fn usage(self) -> String {
        let spec = self.spec();
        let mut params = String::new();
        if let Some(meta) = spec.meta {
            params.push_str(&format!("        [meta: bridge::{meta},]\n"));
        }
        match spec.data {
            Some(_) if spec.named => params.push_str("        [data: bridge::Data<YourInputType>,]\n"),
            Some(data) => params.push_str(&format!("        [data: bridge::{data},]\n")),
            None => {}
        }
        format!(
            "{} must have this signature (parameters in any order, those in [] optional):\n    \
             async fn handler(\n        auth: bridge::Auth<YourAuthType>,\n{params}        \
             [state: bridge::State<YourStateType>, ...]\n        \
             [yours: YourType, ...]   (types that implement bridge::FromRequest)\n    ) -> Result<{}, bridge::Error>",
            capitalized(self.described()),
            spec.returns,
        )
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
