//! The store replicas share: get, set with a time to live, set-if-absent, delete by tag. It is what lets an action
//! run once and a lookup share its answer (`Bridge::dedupe`, `Bridge::cache`) across every replica of a bridge.
//!
//! Two backends: in process (the default: one replica needs nothing more), and Redis (feature `redis`, chosen by
//! `BRIDGE_REDIS_URL`) for many. Whatever the backend, it never sees a secret:
//!
//! - a [`Key`] is a keyed hash (HMAC-SHA256) of what it stands for under the deployment's key (`BRIDGE_STORE_KEY`),
//!   so no credential, email, phone or id can be read or guessed from it, and it is namespaced
//!   (`bridge:<namespace>:<hash>`);
//! - a value is sealed (AES-256-GCM, a random nonce, the key as associated data) under a key derived from the same
//!   secret, so what Redis holds is unreadable without the bridge, and cannot be moved from one key to another;
//! - a value is at most [`MAX_VALUE_BYTES`]; a larger one is refused ([`StoreError::TooLarge`]).
//!
//! Every call is bounded in time ([`Store::timeout`]): a slow or unreachable Redis is an error after that, which
//! the bridge's own uses of the store treat as "no store" (they fail open, with a warning and a metric).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), bridge::store::StoreError> {
//! use bridge::store::Store;
//! use std::time::Duration;
//!
//! let store = Store::in_process();
//! let key = store.key("example", &[b"acme", b"42"]);
//! let tag = store.key("contact", &[b"acme", b"7"]);
//! assert!(store.set_if_absent(&key, b"first", Duration::from_secs(60)).await?);
//! assert!(!store.set_if_absent(&key, b"second", Duration::from_secs(60)).await?);
//! store.set(&key, b"answer", Duration::from_secs(60), &[tag.clone()]).await?;
//! assert_eq!(store.get(&key).await?.as_deref(), Some(&b"answer"[..]));
//! store.delete_tag(&tag).await?;
//! assert_eq!(store.get(&key).await?, None);
//! # Ok(()) }
//! ```

mod in_process;
mod keyring;
#[cfg(feature = "redis")]
mod redis;

use keyring::Keyring;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use keyring::MIN_KEY_BYTES;

/// The largest value the store holds, sealed: 64 KiB (an action's answer or an interaction lookup's, with room).
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

/// The default bound on one call to the store: 250 ms (a store slower than that is treated as absent).
pub const DEFAULT_STORE_TIMEOUT: Duration = Duration::from_millis(250);

/// A key of the store: a namespace and a keyed hash of what it stands for ([`Store::key`]). Its text is
/// `bridge:<namespace>:<64 hex digits>`; it never holds the parts it was made of.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Key {
    namespace: &'static str,
    hash: [u8; 32],
}

impl Key {
    /// The key as the backend stores it: `bridge:<namespace>:<hex>`.
    pub fn as_text(&self) -> String {
        let mut text = String::with_capacity(8 + self.namespace.len() + 64);
        text.push_str("bridge:");
        text.push_str(self.namespace);
        text.push(':');
        for byte in self.hash {
            text.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
            text.push(char::from_digit(u32::from(byte & 0xf), 16).unwrap_or('0'));
        }
        text
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_text())
    }
}

/// Why a call to the store failed. Its text never quotes a key's parts or a value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// The store did not answer within its bound ([`Store::timeout`]).
    Timeout,
    /// The store could not be reached, or refused the call.
    Unavailable(String),
    /// A value larger than [`MAX_VALUE_BYTES`] once sealed.
    TooLarge,
    /// A value that does not open under the deployment's key (written under another key, or altered).
    Unsealed,
    /// The store's settings are wrong (a missing or short key, an invalid URL, Redis without the `redis` feature).
    Settings(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => write!(f, "the store did not answer in time"),
            Self::Unavailable(reason) => write!(f, "the store is unavailable: {reason}"),
            Self::TooLarge => write!(f, "the value is larger than the store's limit of {MAX_VALUE_BYTES} bytes"),
            Self::Unsealed => write!(f, "a value in the store does not open under BRIDGE_STORE_KEY"),
            Self::Settings(reason) => f.write_str(reason),
        }
    }
}

impl std::error::Error for StoreError {}

/// The store: a cheap handle (clones share it). See the [module](self).
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
    timeout: Duration,
}

struct Inner {
    backend: Backend,
    keys: Keyring,
}

enum Backend {
    InProcess(in_process::InProcess),
    #[cfg(feature = "redis")]
    Redis(Box<redis::Redis>),
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend_name()).field("timeout", &self.timeout).finish()
    }
}

impl Store {
    /// A store in this process, under a random key: what a single replica needs.
    pub fn in_process() -> Self {
        Self::new(Backend::InProcess(in_process::InProcess::default()), Keyring::random(), DEFAULT_STORE_TIMEOUT)
    }

    /// A store on the Redis at `url` (`redis://host:6379/0`, `redis://:password@host`), its keys hashed and its
    /// values sealed under `key` (at least [`MIN_KEY_BYTES`] bytes; every replica must be given the same). The
    /// connection is made on first use and remade after a failure, so a bridge starts while Redis is down.
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub fn redis(url: &crate::Secret, key: &crate::Secret) -> Result<Self, StoreError> {
        let keys = Keyring::from_secret(key.expose().as_bytes())?;
        let backend = redis::Redis::new(url.expose(), DEFAULT_STORE_TIMEOUT)?;
        Ok(Self::new(Backend::Redis(Box::new(backend)), keys, DEFAULT_STORE_TIMEOUT))
    }

    /// An in-process store under the deployment's `key`, for tests that compare what a backend holds.
    pub fn in_process_with_key(key: &crate::Secret) -> Result<Self, StoreError> {
        let keys = Keyring::from_secret(key.expose().as_bytes())?;
        Ok(Self::new(Backend::InProcess(in_process::InProcess::default()), keys, DEFAULT_STORE_TIMEOUT))
    }

    fn new(backend: Backend, keys: Keyring, timeout: Duration) -> Self {
        Self { inner: Arc::new(Inner { backend, keys }), timeout }
    }

    /// The same store with every call bounded by `timeout` (default [`DEFAULT_STORE_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// `in-process` or `redis`.
    pub fn backend_name(&self) -> &'static str {
        match &self.inner.backend {
            Backend::InProcess(_) => "in-process",
            #[cfg(feature = "redis")]
            Backend::Redis(_) => "redis",
        }
    }

    /// Whether the store is shared with other processes (Redis) rather than this one's own.
    pub fn is_shared(&self) -> bool {
        !matches!(self.inner.backend, Backend::InProcess(_))
    }

    /// The key for `parts` in `namespace` (ASCII letters, digits, `_` and `-`): a keyed hash of the namespace and
    /// each part, length-prefixed, so that no two lists of parts share a key.
    ///
    /// # Panics
    ///
    /// When `namespace` is empty or holds another character: it is the code's constant, not data.
    pub fn key(&self, namespace: &'static str, parts: &[&[u8]]) -> Key {
        assert!(
            !namespace.is_empty() && namespace.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
            "a store namespace is ASCII letters, digits, `_` and `-`"
        );
        Key { namespace, hash: self.inner.keys.hash(namespace, parts) }
    }

    /// The value at `key`, opened, if any (and not expired).
    pub async fn get(&self, key: &Key) -> Result<Option<Vec<u8>>, StoreError> {
        let sealed = self
            .bounded(async {
                match &self.inner.backend {
                    Backend::InProcess(store) => Ok(store.get(key)),
                    #[cfg(feature = "redis")]
                    Backend::Redis(store) => store.get(key).await,
                }
            })
            .await?;
        sealed.map(|sealed| self.inner.keys.open(key, &sealed)).transpose()
    }

    /// Sets `key` to `value` for `ttl`, tagged with `tags` (see [`delete_tag`](Self::delete_tag)).
    pub async fn set(&self, key: &Key, value: &[u8], ttl: Duration, tags: &[Key]) -> Result<(), StoreError> {
        let sealed = self.inner.keys.seal(key, value)?;
        self.bounded(async {
            match &self.inner.backend {
                Backend::InProcess(store) => store.set(key, sealed, ttl, tags),
                #[cfg(feature = "redis")]
                Backend::Redis(store) => store.set(key, sealed, ttl, tags).await,
            }
        })
        .await
    }

    /// Sets `key` to `value` for `ttl` only when it holds nothing: `true` when it was set.
    pub async fn set_if_absent(&self, key: &Key, value: &[u8], ttl: Duration) -> Result<bool, StoreError> {
        let sealed = self.inner.keys.seal(key, value)?;
        self.bounded(async {
            match &self.inner.backend {
                Backend::InProcess(store) => store.set_if_absent(key, sealed, ttl),
                #[cfg(feature = "redis")]
                Backend::Redis(store) => store.set_if_absent(key, sealed, ttl).await,
            }
        })
        .await
    }

    /// Deletes `key`.
    pub async fn delete(&self, key: &Key) -> Result<(), StoreError> {
        self.bounded(async {
            match &self.inner.backend {
                Backend::InProcess(store) => {
                    store.delete(key);
                    Ok(())
                }
                #[cfg(feature = "redis")]
                Backend::Redis(store) => store.delete(key).await,
            }
        })
        .await
    }

    /// Deletes every key set with `tag`.
    pub async fn delete_tag(&self, tag: &Key) -> Result<(), StoreError> {
        self.bounded(async {
            match &self.inner.backend {
                Backend::InProcess(store) => {
                    store.delete_tag(tag);
                    Ok(())
                }
                #[cfg(feature = "redis")]
                Backend::Redis(store) => store.delete_tag(tag).await,
            }
        })
        .await
    }

    /// Whether the store answers (Redis: `PING`), within the bound.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.bounded(async {
            match &self.inner.backend {
                Backend::InProcess(_) => Ok(()),
                #[cfg(feature = "redis")]
                Backend::Redis(store) => store.ping().await,
            }
        })
        .await
    }

    async fn bounded<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(outcome) => outcome,
            Err(_) => Err(StoreError::Timeout),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn set_get_expire_and_tags() {
        let store = Store::in_process();
        let (a, b, tag) = (store.key("t", &[b"a"]), store.key("t", &[b"b"]), store.key("tag", &[b"x"]));
        assert_eq!(store.get(&a).await.unwrap(), None);
        store.set(&a, b"1", Duration::from_secs(60), std::slice::from_ref(&tag)).await.unwrap();
        store.set(&b, b"2", Duration::from_secs(60), &[]).await.unwrap();
        assert_eq!(store.get(&a).await.unwrap().as_deref(), Some(&b"1"[..]));
        store.delete_tag(&tag).await.unwrap();
        assert_eq!(store.get(&a).await.unwrap(), None, "dropped with its tag");
        assert_eq!(store.get(&b).await.unwrap().as_deref(), Some(&b"2"[..]), "untagged: kept");
        store.delete(&b).await.unwrap();
        assert_eq!(store.get(&b).await.unwrap(), None);
        assert!(store.set_if_absent(&a, b"x", Duration::from_millis(1)).await.unwrap());
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(store.get(&a).await.unwrap(), None, "expired");
        assert!(store.set_if_absent(&a, b"y", Duration::from_secs(1)).await.unwrap(), "an expired key is absent");
        assert!(!store.set_if_absent(&a, b"z", Duration::from_secs(1)).await.unwrap());
    }

    #[tokio::test]
    async fn values_are_bounded() {
        let store = Store::in_process();
        let key = store.key("t", &[b"a"]);
        let big = vec![0u8; MAX_VALUE_BYTES];
        assert_eq!(store.set(&key, &big, Duration::from_secs(1), &[]).await, Err(StoreError::TooLarge));
        let fits = vec![0u8; MAX_VALUE_BYTES - 64];
        store.set(&key, &fits, Duration::from_secs(1), &[]).await.unwrap();
    }

    #[test]
    fn keys_are_namespaced_hashes_of_every_part() {
        let store = Store::in_process();
        let key = store.key("dedupe", &[b"ab", b"c"]);
        let text = key.as_text();
        assert!(text.starts_with("bridge:dedupe:") && text.len() == "bridge:dedupe:".len() + 64, "{text}");
        assert_ne!(key, store.key("dedupe", &[b"a", b"bc"]), "parts are length-prefixed");
        assert_ne!(key, store.key("lookup", &[b"ab", b"c"]), "the namespace is hashed in");
        assert_eq!(key, store.key("dedupe", &[b"ab", b"c"]));
        assert_ne!(key, Store::in_process().key("dedupe", &[b"ab", b"c"]), "another deployment key, another hash");
    }

    #[test]
    fn a_key_reads_as_its_hash_in_hex() {
        let store = Store::in_process();
        let key = Key { namespace: "t", hash: std::array::from_fn(|i| (i * 8 + 1) as u8) };
        let hex: String = key.hash.iter().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(key.as_text(), format!("bridge:t:{hex}"));
        assert!(hex.starts_with("0109111921"), "both digits of every byte: {hex}");
        let made = store.key("t", &[b"a"]);
        assert_eq!(format!("{made:?}"), made.as_text(), "Debug is the text, never the parts");
    }

    #[test]
    fn errors_and_the_store_say_what_they_are() {
        assert_eq!(StoreError::Timeout.to_string(), "the store did not answer in time");
        assert_eq!(StoreError::Unavailable("down".into()).to_string(), "the store is unavailable: down");
        assert_eq!(
            StoreError::TooLarge.to_string(),
            format!("the value is larger than the store's limit of {MAX_VALUE_BYTES} bytes")
        );
        assert_eq!(StoreError::Unsealed.to_string(), "a value in the store does not open under BRIDGE_STORE_KEY");
        assert_eq!(StoreError::Settings("no key".into()).to_string(), "no key");
        let store = Store::in_process().timeout(Duration::from_millis(7));
        assert_eq!((store.backend_name(), store.is_shared()), ("in-process", false));
        assert_eq!(format!("{store:?}"), r#"Store { backend: "in-process", timeout: 7ms }"#);
    }

    #[cfg(feature = "redis")]
    #[tokio::test]
    async fn a_redis_store_is_shared_and_one_out_of_reach_fails_its_ping_in_time() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let url = crate::Secret::new(format!("redis://127.0.0.1:{port}/0"));
        let key = crate::Secret::new("0123456789abcdef0123456789abcdef");
        let store = Store::redis(&url, &key).unwrap().timeout(Duration::from_millis(100));
        assert_eq!((store.backend_name(), store.is_shared()), ("redis", true));
        assert!(store.ping().await.is_err(), "nothing listens on port {port}");
    }

    #[tokio::test]
    async fn the_limit_is_64_kib_sealed() {
        let store = Store::in_process();
        let key = store.key("t", &[b"a"]);
        let largest = vec![7u8; 64 * 1024 - 28];
        store.set(&key, &largest, Duration::from_secs(1), &[]).await.unwrap();
        assert_eq!(store.get(&key).await.unwrap(), Some(largest));
        let over = vec![7u8; 64 * 1024 - 27];
        assert_eq!(store.set_if_absent(&key, &over, Duration::from_secs(1)).await, Err(StoreError::TooLarge));
    }
}
