//! The deployment's key, and what is made with it: the keyed hashes that name the store's keys (HMAC-SHA256) and
//! the seal of its values (AES-256-GCM). Both from `ring`, already in every default build through rustls.
//!
//! Two subkeys are derived from the secret, one per use, so that a hash never doubles as a sealing key.

use super::{Key, StoreError, MAX_VALUE_BYTES};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use std::sync::Arc;

/// The shortest deployment key accepted (`BRIDGE_STORE_KEY`): 32 bytes, e.g. `openssl rand -base64 32`.
pub const MIN_KEY_BYTES: usize = 32;

/// The overhead of a sealed value: its nonce and its tag.
const SEAL_OVERHEAD: usize = NONCE_LEN + 16;

#[derive(Clone)]
pub(super) struct Keyring {
    inner: Arc<Keys>,
}

struct Keys {
    names: hmac::Key,
    seal: LessSafeKey,
    random: SystemRandom,
}

impl Keyring {
    /// The keys derived from the deployment's secret.
    pub(super) fn from_secret(secret: &[u8]) -> Result<Self, StoreError> {
        if secret.len() < MIN_KEY_BYTES {
            return Err(StoreError::Settings(format!(
                "BRIDGE_STORE_KEY is shorter than {MIN_KEY_BYTES} bytes: give every replica the same random key, \
                 e.g. `openssl rand -base64 32`"
            )));
        }
        let root = hmac::Key::new(hmac::HMAC_SHA256, secret);
        let derive = |label: &[u8]| hmac::sign(&root, label);
        let names = hmac::Key::new(hmac::HMAC_SHA256, derive(b"bridge/store/v1/names").as_ref());
        let seal = UnboundKey::new(&AES_256_GCM, derive(b"bridge/store/v1/seal").as_ref())
            .map_err(|_| StoreError::Settings("BRIDGE_STORE_KEY: the sealing key could not be made".into()))?;
        Ok(Self { inner: Arc::new(Keys { names, seal: LessSafeKey::new(seal), random: SystemRandom::new() }) })
    }

    /// Keys of this process only (the in-process store's default).
    pub(super) fn random() -> Self {
        let mut secret = [0u8; 32];
        // The system's generator fails only on a broken system; a fixed secret would still keep the store
        // working, and an in-process store's keys never leave the process.
        let _ = SystemRandom::new().fill(&mut secret);
        Self::from_secret(&secret).unwrap_or_else(|_| unreachable!("32 bytes is long enough"))
    }

    /// The keyed hash of `namespace` and `parts`, each length-prefixed.
    pub(super) fn hash(&self, namespace: &str, parts: &[&[u8]]) -> [u8; 32] {
        let mut context = hmac::Context::with_key(&self.inner.names);
        context.update(&(namespace.len() as u64).to_be_bytes());
        context.update(namespace.as_bytes());
        for part in parts {
            context.update(&(part.len() as u64).to_be_bytes());
            context.update(part);
        }
        let tag = context.sign();
        let mut hash = [0u8; 32];
        hash.copy_from_slice(tag.as_ref());
        hash
    }

    /// `value` sealed for `key`: a random nonce, then the ciphertext and its tag; the key is the associated data.
    pub(super) fn seal(&self, key: &Key, value: &[u8]) -> Result<Vec<u8>, StoreError> {
        if value.len() + SEAL_OVERHEAD > MAX_VALUE_BYTES {
            return Err(StoreError::TooLarge);
        }
        let mut nonce = [0u8; NONCE_LEN];
        self.inner.random.fill(&mut nonce).map_err(|_| StoreError::Unavailable("no random nonce".into()))?;
        let mut sealed = Vec::with_capacity(value.len() + SEAL_OVERHEAD);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(value);
        let mut body = sealed.split_off(NONCE_LEN);
        self.inner
            .seal
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(associated(key)), &mut body)
            .map_err(|_| StoreError::TooLarge)?;
        sealed.extend_from_slice(&body);
        Ok(sealed)
    }

    /// The value `sealed` holds, when it was sealed for `key` under this deployment's key.
    pub(super) fn open(&self, key: &Key, sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        if sealed.len() < SEAL_OVERHEAD {
            return Err(StoreError::Unsealed);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| StoreError::Unsealed)?;
        let mut body = body.to_vec();
        let opened = self
            .inner
            .seal
            .open_in_place(nonce, Aad::from(associated(key)), &mut body)
            .map_err(|_| StoreError::Unsealed)?;
        let len = opened.len();
        body.truncate(len);
        Ok(body)
    }
}

/// What a value is bound to: its key's namespace and hash.
fn associated(key: &Key) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(key.namespace.len() + 33);
    bytes.extend_from_slice(key.namespace.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(&key.hash);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyring(secret: &str) -> Keyring {
        Keyring::from_secret(secret.as_bytes()).unwrap()
    }

    fn key(keys: &Keyring, part: &[u8]) -> Key {
        Key { namespace: "t", hash: keys.hash("t", &[part]) }
    }

    #[test]
    fn a_sealed_value_opens_under_its_key_only() {
        let keys = keyring("0123456789abcdef0123456789abcdef");
        let (a, b) = (key(&keys, b"a"), key(&keys, b"b"));
        let sealed = keys.seal(&a, b"alice@example.com").unwrap();
        assert!(!sealed.windows(5).any(|w| w == b"alice"), "the value is not readable");
        assert_eq!(keys.open(&a, &sealed).unwrap(), b"alice@example.com");
        assert_eq!(keys.open(&b, &sealed), Err(StoreError::Unsealed), "bound to its key");
        let other = keyring("another-deployment-key-0123456789");
        assert_eq!(other.open(&a, &sealed), Err(StoreError::Unsealed), "bound to the deployment key");
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert_eq!(keys.open(&a, &altered), Err(StoreError::Unsealed));
        assert_eq!(keys.open(&a, &sealed[..SEAL_OVERHEAD - 1]), Err(StoreError::Unsealed));
        assert_ne!(keys.seal(&a, b"x").unwrap(), keys.seal(&a, b"x").unwrap(), "a fresh nonce each time");
    }

    #[test]
    fn a_short_key_is_refused() {
        assert!(Keyring::from_secret(&[7u8; MIN_KEY_BYTES - 1]).is_err());
        assert!(Keyring::from_secret(&[7u8; MIN_KEY_BYTES]).is_ok());
    }

    #[test]
    fn the_size_limit_counts_the_seal() {
        let keys = keyring("0123456789abcdef0123456789abcdef");
        let a = key(&keys, b"a");
        let largest = vec![7u8; MAX_VALUE_BYTES - SEAL_OVERHEAD];
        let sealed = keys.seal(&a, &largest).unwrap();
        assert_eq!(sealed.len(), MAX_VALUE_BYTES, "the largest value fills the limit exactly");
        assert_eq!(keys.open(&a, &sealed).unwrap(), largest);
        assert_eq!(keys.seal(&a, &vec![7u8; MAX_VALUE_BYTES - SEAL_OVERHEAD + 1]), Err(StoreError::TooLarge));
    }

    #[test]
    fn an_empty_value_seals_to_its_overhead_and_opens() {
        let keys = keyring("0123456789abcdef0123456789abcdef");
        let a = key(&keys, b"a");
        let sealed = keys.seal(&a, b"").unwrap();
        assert_eq!(sealed.len(), SEAL_OVERHEAD);
        assert_eq!(keys.open(&a, &sealed).unwrap(), b"");
    }

    #[test]
    fn what_is_shorter_than_a_seal_is_refused_without_a_panic() {
        let keys = keyring("0123456789abcdef0123456789abcdef");
        let a = key(&keys, b"a");
        for len in 0..SEAL_OVERHEAD {
            assert_eq!(keys.open(&a, &vec![0u8; len]), Err(StoreError::Unsealed), "{len} bytes");
        }
    }
}
