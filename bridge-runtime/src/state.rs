//! The bridge's shared state: one value per type, looked up once per endpoint when the bridge starts (not per
//! request).

use std::any::{Any, TypeId};
use std::collections::HashMap;

/// Values given to [`Bridge::state`](crate::Bridge::state), by type.
#[derive(Default)]
pub(crate) struct StateMap(HashMap<TypeId, Box<dyn Any + Send + Sync>>);

impl StateMap {
    pub(crate) fn insert<T: Clone + Send + Sync + 'static>(&mut self, value: T) {
        self.0.insert(TypeId::of::<T>(), Box::new(value));
    }

    pub(crate) fn get<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.0.get(&TypeId::of::<T>())?.downcast_ref::<T>().cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_per_type() {
        let mut states = StateMap::default();
        states.insert(1u8);
        states.insert(2u8);
        states.insert("text");
        assert_eq!(states.get::<u8>(), Some(2));
        assert_eq!(states.get::<&str>(), Some("text"));
        assert_eq!(states.get::<u16>(), None);
    }
}
