//! A type carried as a value. Generated code passes `Witness::new()`, spanned over one of the user's types, to the
//! function that checks that type, so that a failed check is reported on the user's token. Both the
//! generated-code contract and the configuration derives use it.

use std::marker::PhantomData;

/// The witness of a type `T` (inferred).
pub struct Witness<T>(PhantomData<fn() -> T>);

impl<T> Witness<T> {
    /// The witness of `T` (inferred).
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Witness(PhantomData)
    }
}
