//! What the protocol's endpoints are: their five kinds, with the names each goes by (one table, [`kinds`](crate::kinds),
//! shared with the macros), and what is known of an endpoint at compile time.

use crate::kinds::{KindSpec, KINDS};
use std::fmt;

macro_rules! endpoint_kind {
    ($({
        $(#[$doc:meta])*
        variant: $variant:ident,
        macro_name: $macro_name:ident,
        role: $role:literal,
        role_with_article: $role_with_article:literal,
        configuration_key: $configuration_key:literal,
        default_path: $default_path:literal,
        $($rest:tt)*
    })*) => {
        /// The five kinds of endpoint of the protocol (generated from the one table of the kinds, `kinds.rs`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EndpointKind {
            $(
                #[doc = concat!(
                    "Answered by ", $role_with_article, ", `#[bridge::", stringify!($macro_name), "]`: `",
                    $configuration_key, "` in the configuration, `", $default_path, "` unless told otherwise."
                )]
                $variant,
            )*
        }

        impl EndpointKind {
            /// Every kind, in the protocol's order.
            pub const ALL: [EndpointKind; crate::kinds::COUNT] = [$(Self::$variant),*];
        }
    };
}

crate::kinds::with_kinds!(endpoint_kind);

impl EndpointKind {
    fn names(self) -> &'static KindSpec {
        &KINDS[self as usize]
    }

    /// The path an endpoint of this kind answers on unless told otherwise (actions: `/actions/<name>`).
    pub fn default_path(self) -> &'static str {
        self.names().default_path
    }

    /// The key of this endpoint in Talkdesk's integration configuration.
    pub fn configuration_key(self) -> &'static str {
        self.names().configuration_key
    }

    /// Whether each endpoint of this kind is named by its attribute, one per name, each at a path of its own (an
    /// action); else a bridge has at most one endpoint of the kind.
    pub fn is_named(self) -> bool {
        self.names().named
    }
}

impl fmt::Display for EndpointKind {
    /// The handler's role: `interaction retriever`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.names().role)
    }
}

/// Everything known about an endpoint at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointInfo {
    /// Its kind.
    pub kind: EndpointKind,
    /// The path it answers `POST` on, e.g. `/actions/create_ticket`.
    pub path: &'static str,
    /// The name of the handler function.
    pub handler: &'static str,
    /// The action's name, for action executors.
    pub action: Option<&'static str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_follows_the_enum() {
        for kind in EndpointKind::ALL {
            assert_eq!(kind.names().variant, format!("{kind:?}"));
            assert!(kind.names().role_with_article.ends_with(&kind.to_string()));
        }
        assert_eq!(EndpointKind::InteractionRetrieval.default_path(), "/interaction_update");
        assert_eq!(EndpointKind::ContactSync.configuration_key(), "contact_synchronization_endpoint");
    }
}
