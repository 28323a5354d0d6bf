//! The checks of a run whose source changes mid-sync ([`SourceChange`](super::SourceChange)): the author's hook
//! called between pages, and, at the end, each changed contact arrived changed and none lost. The state they keep
//! is in `changes.rs`, which the run holds; these are the run's methods that use it.

use super::changes::Expected;
use super::report::CheckId;
use super::run::{count, page_object, Probe, Run};
use super::Progress;
use serde_json::{Map, Value};
use std::collections::HashSet;

impl Run<'_> {
    /// Lets the author's hook change the source after `progress`'s page, when there is a next page, and waits for
    /// it to be done.
    pub(super) async fn change_source(&mut self, progress: &Progress) {
        let Some(hook) = self.sim.change_source.clone() else { return };
        if progress.next_offset.is_none() {
            return;
        }
        let change = hook(progress).await;
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
