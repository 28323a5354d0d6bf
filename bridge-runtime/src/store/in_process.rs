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
