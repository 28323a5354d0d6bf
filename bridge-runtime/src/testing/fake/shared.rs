//! The state of a fake, shared between the test that arranges it and the server that answers from it
//! ([`Shared`]): a mutex that a panicking test or handler does not poison for the others.

use std::sync::{Arc, Mutex, MutexGuard};

/// A fake's state (its account: users, records, tokens…), shared by the test and the server; clones share it.
///
/// ```
/// use bridge::testing::fake::{FakeResponse, FakeServer, Shared};
///
/// let hits = Shared::new(0u32);
/// let counted = hits.clone();
/// let server = FakeServer::new(move |_| {
///     *counted.lock() += 1;
///     FakeResponse::new(204)
/// });
/// assert_eq!(*hits.lock(), 0);
/// # drop(server);
/// ```
#[derive(Debug, Default)]
pub struct Shared<T> {
    value: Arc<Mutex<T>>,
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Self { value: Arc::clone(&self.value) }
    }
}

impl<T> Shared<T> {
    /// `value`, to share.
    pub fn new(value: T) -> Self {
        Self { value: Arc::new(Mutex::new(value)) }
    }

    /// The state, for as long as the guard lives. A panic while it was held (a failed assertion in a test) does
    /// not make it unusable: the state is as the panic left it.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        self.value.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_while_locked_does_not_poison_the_state() {
        let shared = Shared::new(vec![1]);
        let panicking = shared.clone();
        let _ = std::thread::spawn(move || {
            panicking.lock().push(2);
            panic!("a failed assertion");
        })
        .join();
        assert_eq!(*shared.lock(), [1, 2]);
    }
}
