//! The wrappers that tell a handler's parameters apart: `Auth<T>` for the credentials, `Data<T>` for an action's
//! inputs, `State<T>` for shared state. The endpoint's protocol types (`ContactSyncMeta`, `InteractionMeta`,
//! `InteractionData`, `ActionMeta`, `AgentSyncMeta`) are taken as they are.

use std::ops::{Deref, DerefMut};

macro_rules! wrapper {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Default, PartialEq, Eq)]
        pub struct $name<T>(pub T);

        impl<T> $name<T> {
            /// The wrapped value.
            pub fn into_inner(self) -> T {
                self.0
            }
        }

        impl<T> Deref for $name<T> {
            type Target = T;

            fn deref(&self) -> &T {
                &self.0
            }
        }

        impl<T> DerefMut for $name<T> {
            fn deref_mut(&mut self) -> &mut T {
                &mut self.0
            }
        }
    };
}

wrapper! {
    /// The request's `auth`: the user's credentials for the external service, decoded as the bridge's own type.
    ///
    /// Every handler takes one. Its `Debug` prints `Auth(<redacted>)`, whatever `T` prints.
    ///
    /// ```
    /// use bridge::{Auth, Secret};
    /// use serde::Deserialize;
    ///
    /// #[derive(Debug, Deserialize)]
    /// struct Credentials { email: String, token: Secret }
    ///
    /// fn greet(Auth(credentials): Auth<Credentials>) -> String {
    ///     format!("hello {}", credentials.email)
    /// }
    /// ```
    Auth
}

wrapper! {
    /// An action's inputs (the request's `data`), decoded as the action's own type.
    Data
}

wrapper! {
    /// Shared state given to [`Bridge::state`](crate::Bridge::state): an HTTP client, a database pool, a store.
    ///
    /// It is cloned for every request, so wrap large values in an `Arc`.
    State
}

impl<T> std::fmt::Debug for Auth<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Auth(<redacted>)")
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Data<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Data").field(&self.0).finish()
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for State<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("State").field(&self.0).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_debug_is_redacted() {
        assert_eq!(format!("{:?}", Auth("hunter2")), "Auth(<redacted>)");
        assert_eq!(format!("{:?}", Data(1)), "Data(1)");
    }
}
