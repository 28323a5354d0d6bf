//! Collects every error of one macro invocation, so that a user sees all their mistakes at once, each spanned on
//! their own token.

use proc_macro2::TokenStream;
use quote::ToTokens;
use std::cell::RefCell;
use std::fmt::Display;

/// The errors of one macro invocation.
#[derive(Default)]
pub(crate) struct Errors {
    errors: RefCell<Vec<syn::Error>>,
}

impl Errors {
    /// Records `message` spanned on `tokens`.
    pub(crate) fn at(&self, tokens: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// Records an error already built (e.g. by syn's parser).
    pub(crate) fn push(&self, error: syn::Error) {
        self.errors.borrow_mut().push(error);
    }

    /// How many errors so far: compare before and after a step to know whether it failed.
    pub(crate) fn count(&self) -> usize {
        self.errors.borrow().len()
    }

    /// The errors as `compile_error!` invocations (empty when there are none).
    pub(crate) fn into_compile_errors(self) -> TokenStream {
        self.errors.into_inner().into_iter().map(|e| e.to_compile_error()).collect()
    }

    /// The messages, in order, as the `compile_error!`s print them: what unit tests compare.
    #[cfg(test)]
    pub(crate) fn into_messages(self) -> Vec<String> {
        self.errors.into_inner().iter().map(ToString::to_string).collect()
    }
}

/// "`a`, `b` and `c`": names for a message.
pub(crate) fn listed(names: impl IntoIterator<Item = impl Display>) -> String {
    let names: Vec<String> = names.into_iter().map(|name| format!("`{name}`")).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.join(""),
    }
}
