//! The source changing while a contact sync runs, as it does in production: an author's hook
//! ([`Simulator::change_source`](super::Simulator::change_source)) changes the external service between two pages,
//! and the simulator checks that each changed contact arrives, changed, and that no contact is lost.
//!
//! It exists because a sync that pages by position (page numbers, offsets) passes every check on a source that
//! holds still, and silently skips rows when one moves; only a source that changes mid-sync shows it.

use super::Progress;
use crate::Contact;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;

/// What an author's hook changed in the external service between two pages of a sync: the contacts it changed or
/// created (as the bridge must now send them) and the ids of those it deleted.
///
/// Every field set on a changed [`Contact`] (its name always, its emails, phones, company… when given) must
/// arrive as given, in a later page of the same sync or in the incremental sync that follows.
///
/// ```
/// use bridge::testing::SourceChange;
/// use bridge::Contact;
///
/// let change = SourceChange::new().changed(Contact::new("3", "Ada Lovelace").email("ada@example.com")).deleted("5");
/// assert!(!change.is_empty());
/// assert!(SourceChange::new().is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceChange {
    pub(super) changed: Vec<Contact>,
    pub(super) deleted: Vec<String>,
}

impl SourceChange {
    /// No change.
    pub fn new() -> Self {
        Self::default()
    }

    /// A contact changed (or created), as it must now arrive.
    #[must_use]
    pub fn changed(mut self, contact: Contact) -> Self {
        self.changed.push(contact);
        self
    }

    /// A contact deleted.
    #[must_use]
    pub fn deleted(mut self, id: impl Into<String>) -> Self {
        self.deleted.push(id.into());
        self
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.deleted.is_empty()
    }
}

/// A hook that changes nothing else answers at once: a synchronous hook returns its `SourceChange`, an async one a
/// future of it, and [`Simulator::change_source`](super::Simulator::change_source) takes either.
impl IntoFuture for SourceChange {
    type Output = SourceChange;
    type IntoFuture = std::future::Ready<SourceChange>;

    fn into_future(self) -> Self::IntoFuture {
        std::future::ready(self)
    }
}

/// The hook, as the simulator keeps it: whatever it returns, a future of the change.
pub(super) type ChangeFn = Arc<dyn Fn(&Progress) -> Pin<Box<dyn Future<Output = SourceChange> + Send>> + Send + Sync>;

/// A changed contact not yet seen as changed.
pub(super) struct Expected {
    /// The fields that must arrive, as the protocol writes them (no `id`, no empty ones).
    pub(super) fields: Map<String, Value>,
    /// Where the change was made (`after page 2 of the initial contact sync`).
    pub(super) when: String,
    /// What arrived instead, the last time the id came.
    pub(super) instead: Option<String>,
}

/// What the run knows of the changes made so far.
#[derive(Default)]
pub(super) struct Changes {
    /// Changed contacts still expected, by id.
    pub(super) expected: HashMap<String, Expected>,
    /// Ids changed (so a repeat in the same sync is the change arriving, not a duplicate).
    pub(super) changed: HashSet<String>,
    pub(super) deleted: HashSet<String>,
    /// Ids that arrived in the contact syncs of the run.
    pub(super) arrived: HashSet<String>,
    /// How many contacts were changed, and arrived changed.
    pub(super) made: usize,
    pub(super) confirmed: usize,
}

impl Changes {
    /// Whether `id` may come twice in one sync: it was changed after it was sent.
    pub(super) fn excuses_repeat(&self, id: &str) -> bool {
        self.changed.contains(id)
    }
}
