//! The source changing while a contact sync runs, as it does in production: an author's hook
//! ([`Simulator::change_source`](super::Simulator::change_source)) changes the external service between two pages,
//! and the simulator checks that each changed contact arrives, changed, and that no contact is lost.
//!
//! It exists because a sync that pages by position (page numbers, offsets) passes every check on a source that
//! holds still, and silently skips rows when one moves; only a source that changes mid-sync shows it.

use super::super::report::CheckId;
use super::run::{count, page_object, Probe, Run};
use super::Progress;
use crate::Contact;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
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
    changed: Vec<Contact>,
    deleted: Vec<String>,
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

/// The hook, as the simulator keeps it.
pub(super) type ChangeFn = Arc<dyn Fn(&Progress) -> SourceChange + Send + Sync>;

/// A changed contact not yet seen as changed.
struct Expected {
    /// The fields that must arrive, as the protocol writes them (no `id`, no empty ones).
    fields: Map<String, Value>,
    /// Where the change was made (`after page 2 of the initial contact sync`).
    when: String,
    /// What arrived instead, the last time the id came.
    instead: Option<String>,
}

/// What the run knows of the changes made so far.
#[derive(Default)]
pub(super) struct Changes {
    /// Changed contacts still expected, by id.
    expected: HashMap<String, Expected>,
    /// Ids changed (so a repeat in the same sync is the change arriving, not a duplicate).
    changed: HashSet<String>,
    deleted: HashSet<String>,
    /// Ids that arrived in the contact syncs of the run.
    arrived: HashSet<String>,
    /// How many contacts were changed, and arrived changed.
    made: usize,
    confirmed: usize,
}

impl Changes {
    /// Whether `id` may come twice in one sync: it was changed after it was sent.
    pub(super) fn excuses_repeat(&self, id: &str) -> bool {
        self.changed.contains(id)
    }
}

impl Run<'_> {
    /// Lets the author's hook change the source after `progress`'s page, when there is a next page.
    pub(super) fn change_source(&mut self, progress: &Progress) {
        let Some(hook) = self.sim.change_source.clone() else { return };
        if progress.next_offset.is_none() {
            return;
        }
        let change = hook(progress);
        let when = format!("after page {} of the {}", progress.page, progress.phase);
        let changes = &mut self.changes;
        for contact in change.changed {
            let mut fields = match serde_json::to_value(&contact) {
                Ok(Value::Object(fields)) => fields,
                _ => Map::new(),
            };
            fields.remove("id");
            fields.retain(|_, value| !matches!(value, Value::Null) && value.as_array().is_none_or(|a| !a.is_empty()));
            changes.made += 1;
            changes.changed.insert(contact.id.clone());
            changes.expected.insert(contact.id, Expected { fields, when: when.clone(), instead: None });
        }
        changes.deleted.extend(change.deleted);
    }

    /// Notes the contacts of a page (`at`: `initial contact sync page 3`): a changed one that arrives as expected
    /// is confirmed.
    pub(super) fn arrived(&mut self, contacts: &[Map<String, Value>], at: &str) {
        let changes = &mut self.changes;
        for contact in contacts {
            let Some(id) = contact.get("id").and_then(Value::as_str) else { continue };
            changes.arrived.insert(id.to_owned());
            let Some(expected) = changes.expected.get_mut(id) else { continue };
            let differs: Vec<String> = expected
                .fields
                .iter()
                .filter(|(key, value)| !matches(contact.get(*key), value))
                .map(|(key, _)| format!("{key} {}", contact.get(key).map_or("absent".to_owned(), Value::to_string)))
                .collect();
            if differs.is_empty() {
                changes.expected.remove(id);
                changes.confirmed += 1;
            } else {
                expected.instead = Some(format!("on {at} with {}", differs.join(", ")));
            }
        }
    }

    /// The check, once the syncs are over: every changed contact arrived changed, and every contact a new
    /// initial sync finds (with the source holding still) arrived in the syncs during which it changed.
    pub(super) async fn source_changes(&mut self) {
        if self.sim.change_source.is_none() {
            return;
        }
        let mut probe = Probe::new(CheckId::SourceChanges);
        if self.changes.made == 0 && self.changes.deleted.is_empty() {
            probe.skip("the hook changed nothing: the sync had a single page, or the hook returned no change");
            self.push(probe);
            return;
        }
        let mut missing: Vec<(&String, &Expected)> = self.changes.expected.iter().collect();
        missing.sort_by(|a, b| a.0.cmp(b.0));
        for (id, expected) in missing {
            let instead = match &expected.instead {
                Some(instead) => format!("it came {instead}"),
                None => "it never came after the change".to_owned(),
            };
            probe.fail(format!("contact {id:?}, changed {}, did not arrive changed: {instead}", expected.when));
        }
        match self.recount().await {
            Ok(ids) => {
                let mut lost: Vec<&String> = ids
                    .iter()
                    .filter(|id| !self.changes.arrived.contains(*id) && !self.changes.deleted.contains(*id))
                    .collect();
                lost.sort();
                for id in &lost {
                    probe.fail(format!(
                        "contact {id:?} is in the source (a new initial sync finds it) but arrived in neither the \
                         initial sync during which the source changed nor the incremental sync after it"
                    ));
                }
                probe.summary(format!(
                    "{} changed, {} arrived changed; {} deleted; {} of {} lost",
                    count(self.changes.made, "contact"),
                    self.changes.confirmed,
                    self.changes.deleted.len(),
                    lost.len(),
                    count(ids.len(), "contact"),
                ));
            }
            Err(why) => probe.fail(format!("the initial sync that counts the source failed: {why}")),
        }
        self.push(probe);
    }

    /// The ids of a new initial sync, the source holding still, every page followed (no checks: the syncs before
    /// made them).
    async fn recount(&mut self) -> Result<HashSet<String>, String> {
        let mut ids = HashSet::new();
        let mut offset: Option<Value> = None;
        let mut context: Option<Value> = None;
        for page_no in 1..=self.sim.max_pages {
            let mut call = self.sim.client.contact_sync().auth(&self.sim.auth).meta(Map::new());
            if let Some(offset) = &offset {
                call = call.meta_field("offset", offset);
            }
            if let Some(context) = &context {
                call = call.context(context.clone());
            }
            let at = format!("counting sync, page {page_no}");
            let response = self.send(&at, call, false).await?;
            let mut pages = Probe::new(CheckId::SourceChanges);
            let page = page_object(&at, &response, &mut pages).ok_or_else(|| pages.errors().join("; "))?;
            for contact in page.get("contacts").and_then(Value::as_array).into_iter().flatten() {
                if let Some(id) = contact.get("id").and_then(Value::as_str) {
                    ids.insert(id.to_owned());
                }
            }
            context = page.get("context").filter(|c| !c.is_null()).cloned();
            match page.get("next_offset") {
                None | Some(Value::Null) => return Ok(ids),
                Some(Value::String(s)) if s.is_empty() => return Ok(ids),
                Some(next) => offset = Some(next.clone()),
            }
        }
        Err(format!("more than {} pages", self.sim.max_pages))
    }
}

/// Whether an arrived field matches the expected one: equal, or for a list, containing every expected item.
fn matches(arrived: Option<&Value>, expected: &Value) -> bool {
    match (arrived, expected) {
        (Some(Value::Array(arrived)), Value::Array(expected)) => expected.iter().all(|item| arrived.contains(item)),
        (Some(arrived), expected) => arrived == expected,
        (None, _) => false,
    }
}
