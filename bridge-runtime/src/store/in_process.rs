//! The in-process backend: a map behind a mutex, with expiry and tags. Bounded: past [`MAX_ENTRIES`] live keys, a
//! new key is not stored (the bridge then works as without a store for it), so a flood of distinct lookups cannot
//! grow it without end.

use super::Key;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::time::Instant;

/// The most keys held at once.
const MAX_ENTRIES: usize = 100_000;

#[derive(Clone, Default)]
pub(super) struct InProcess {
    inner: Arc<Mutex<Maps>>,
}

#[derive(Default)]
struct Maps {
    values: HashMap<Key, (Vec<u8>, Instant)>,
    tags: HashMap<Key, HashSet<Key>>,
}

impl Maps {
    /// Room for one more key: expired ones are swept when the map is full.
    fn has_room(&mut self, now: Instant) -> bool {
        if self.values.len() < MAX_ENTRIES {
            return true;
        }
        self.values.retain(|_, (_, expires)| *expires > now);
        let values = &self.values;
        self.tags.retain(|_, keys| {
            keys.retain(|key| values.contains_key(key));
            !keys.is_empty()
        });
        self.values.len() < MAX_ENTRIES
    }
}

impl InProcess {
    fn maps(&self) -> std::sync::MutexGuard<'_, Maps> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn get(&self, key: &Key) -> Option<Vec<u8>> {
        let now = Instant::now();
        let mut maps = self.maps();
        match maps.values.get(key) {
            Some((value, expires)) if *expires > now => Some(value.clone()),
            Some(_) => {
                maps.values.remove(key);
                None
            }
            None => None,
        }
    }

    pub(super) fn set(&self, key: &Key, value: Vec<u8>, ttl: Duration, tags: &[Key]) -> Result<(), super::StoreError> {
        let now = Instant::now();
        let mut maps = self.maps();
        if !maps.values.contains_key(key) && !maps.has_room(now) {
            return Err(super::StoreError::Unavailable("the in-process store is full".into()));
        }
        maps.values.insert(key.clone(), (value, now + ttl));
        for tag in tags {
            maps.tags.entry(tag.clone()).or_default().insert(key.clone());
        }
        Ok(())
    }

    pub(super) fn set_if_absent(&self, key: &Key, value: Vec<u8>, ttl: Duration) -> Result<bool, super::StoreError> {
        let now = Instant::now();
        let mut maps = self.maps();
        if maps.values.get(key).is_some_and(|(_, expires)| *expires > now) {
            return Ok(false);
        }
        if !maps.values.contains_key(key) && !maps.has_room(now) {
            return Err(super::StoreError::Unavailable("the in-process store is full".into()));
        }
        maps.values.insert(key.clone(), (value, now + ttl));
        Ok(true)
    }

    pub(super) fn delete(&self, key: &Key) {
        self.maps().values.remove(key);
    }

    pub(super) fn delete_tag(&self, tag: &Key) {
        let mut maps = self.maps();
        if let Some(keys) = maps.tags.remove(tag) {
            for key in keys {
                maps.values.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;

    fn key(n: usize) -> Key {
        let mut hash = [0u8; 32];
        hash[..8].copy_from_slice(&(n as u64).to_be_bytes());
        Key { namespace: "t", hash }
    }

    /// A store holding `MAX_ENTRIES` keys, those below `expired` set for no time.
    fn full(expired: usize) -> InProcess {
        let store = InProcess::default();
        {
            let now = Instant::now();
            let mut maps = store.maps();
            for n in 0..MAX_ENTRIES {
                let expires = if n < expired { now } else { now + Duration::from_secs(60) };
                maps.values.insert(key(n), (vec![1], expires));
            }
            maps.tags.insert(key(0), (0..expired.max(1)).map(key).collect());
        }
        store
    }

    fn refused<T>() -> Result<T, StoreError> {
        Err(StoreError::Unavailable("the in-process store is full".into()))
    }

    #[tokio::test(start_paused = true)]
    async fn a_value_lives_for_its_time_to_live_and_not_an_instant_more() {
        let store = InProcess::default();
        let ttl = Duration::from_millis(10);
        store.set(&key(1), vec![1], ttl, &[]).unwrap();
        assert!(store.set_if_absent(&key(2), vec![2], ttl).unwrap());
        tokio::time::advance(ttl - Duration::from_millis(1)).await;
        assert_eq!((store.get(&key(1)), store.set_if_absent(&key(2), vec![3], ttl)), (Some(vec![1]), Ok(false)));
        tokio::time::advance(Duration::from_millis(1)).await;
        assert_eq!(store.get(&key(1)), None, "expired at its time to live");
        assert!(store.set_if_absent(&key(2), vec![3], ttl).unwrap(), "expired at its time to live");
        assert_eq!(store.get(&key(2)), Some(vec![3]));
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_store_refuses_new_keys_only() {
        let store = full(0);
        let new = key(MAX_ENTRIES);
        assert_eq!(store.set(&new, vec![2], Duration::from_secs(1), &[]), refused());
        assert_eq!(store.set_if_absent(&new, vec![2], Duration::from_secs(1)), refused());
        assert_eq!(store.get(&new), None);
        store.set(&key(1), vec![2], Duration::from_secs(1), &[]).unwrap();
        assert_eq!(store.get(&key(1)), Some(vec![2]), "a key it holds is set again");
        assert_eq!(store.maps().values.len(), MAX_ENTRIES);
        store.delete(&key(1));
        assert!(store.set_if_absent(&new, vec![2], Duration::from_secs(1)).unwrap(), "room again");
        assert_eq!(store.set(&key(1), vec![2], Duration::from_secs(1), &[]), refused());
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_store_sweeps_its_expired_keys_and_their_tags() {
        let store = full(2);
        store.set(&key(MAX_ENTRIES), vec![2], Duration::from_secs(1), &[]).unwrap();
        assert_eq!(store.maps().values.len(), MAX_ENTRIES - 1, "two expired keys swept, one new key");
        assert!(store.maps().tags.is_empty(), "a tag of swept keys only is swept");
        assert_eq!(store.get(&key(2)), Some(vec![1]), "live keys are kept");
        assert!(store.set_if_absent(&key(MAX_ENTRIES + 1), vec![2], Duration::from_secs(1)).unwrap());
        assert_eq!(store.set_if_absent(&key(MAX_ENTRIES + 2), vec![2], Duration::from_secs(1)), refused());
    }

    #[tokio::test(start_paused = true)]
    async fn expired_keys_are_swept_only_when_the_store_is_full() {
        let store = InProcess::default();
        store.set(&key(0), vec![1], Duration::ZERO, &[key(9)]).unwrap();
        store.set(&key(1), vec![1], Duration::from_secs(1), &[]).unwrap();
        let maps = store.maps();
        assert_eq!((maps.values.len(), maps.tags.len()), (2, 1), "with room, a new key costs no sweep");
    }
}
