//! Contact synchronization as Talkdesk runs it: an initial sync through every page (following `next_offset`,
//! sending `context` back), then an incremental sync from the checkpoint it ended with.

use super::checks::{self, kind, Id};
use super::report::CheckId;
use super::run::{count, page_object, seen_before, Pager, Probe, Run};
use super::Progress;
use crate::endpoint::EndpointKind;
use serde_json::{Map, Value};
use std::cmp::Ordering;
use std::collections::HashMap;

/// Which sync: they are checked alike, under their own check ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SyncPhase {
    Initial,
    Incremental,
}

impl SyncPhase {
    fn name(self) -> &'static str {
        match self {
            Self::Initial => "initial contact sync",
            Self::Incremental => "incremental contact sync",
        }
    }

    /// Pages, ids, fields, checkpoint, end.
    pub(super) fn checks(self) -> [CheckId; 5] {
        match self {
            Self::Initial => [
                CheckId::InitialSyncPages,
                CheckId::InitialSyncIds,
                CheckId::InitialSyncFields,
                CheckId::InitialSyncCheckpoint,
                CheckId::InitialSyncEnds,
            ],
            Self::Incremental => [
                CheckId::IncrementalSyncPages,
                CheckId::IncrementalSyncIds,
                CheckId::IncrementalSyncFields,
                CheckId::IncrementalSyncCheckpoint,
                CheckId::IncrementalSyncEnds,
            ],
        }
    }
}

/// What a contact sync brought back.
pub(super) struct Synced {
    /// Whether the endpoint is served (its first page was not a `404`).
    pub(super) served: bool,
    /// Every contact read, for interaction lookups.
    pub(super) contacts: Vec<Map<String, Value>>,
    /// The last checkpoint of the sync, where the next one starts.
    pub(super) checkpoint: Option<String>,
}

/// The five checks of one sync, filled page by page.
struct SyncProbes {
    pages: Probe,
    ids: Probe,
    fields: Probe,
    checkpoints: Probe,
    ends: Probe,
}

impl Run<'_> {
    /// One sync: from `start` (an incremental sync) or from nothing (the initial sync).
    pub(super) async fn contact_sync(&mut self, phase: SyncPhase, start: Option<String>) -> Synced {
        if let Some(why) = self.undeclared(EndpointKind::ContactSync) {
            self.skip_all(&phase.checks(), &why);
            return Synced { served: false, contacts: Vec::new(), checkpoint: None };
        }
        let [pages, ids, fields, checkpoints, ends] = phase.checks().map(Probe::new);
        let mut probes = SyncProbes { pages, ids, fields, checkpoints, ends };
        let mut contacts: Vec<Map<String, Value>> = Vec::new();
        let mut seen_ids: HashMap<String, usize> = HashMap::new();
        // Each id's contact as last sent, and how many came again, changed, on a later page.
        let mut last_sent: HashMap<String, Map<String, Value>> = HashMap::new();
        let mut sent_again_changed = 0usize;
        let mut pager = Pager::new(self.sim.max_pages);
        // The checkpoint to compare the next one with, and the page it came from (0: where the sync started).
        let mut last_checkpoint: Option<(String, usize)> = start.clone().map(|c| (c, 0));
        let mut unordered = false;
        let mut offset: Option<Value> = None;
        let mut context: Option<Value> = None;
        let mut page_no = 0;
        let mut answered = false;
        loop {
            page_no += 1;
            let mut call = self.sim.client.contact_sync().auth(&self.sim.auth).meta(Map::new());
            if let Some(checkpoint) = &start {
                call = call.checkpoint(checkpoint.clone());
            }
            if let Some(offset) = &offset {
                call = call.meta_field("offset", offset);
            }
            if let Some(context) = &context {
                call = call.context(context.clone());
            }
            let at = format!("page {page_no}");
            let first = page_no == 1 && self.may_be_absent();
            let response = match self.send(&format!("{} {at}", phase.name()), call, first).await {
                Ok(response) => response,
                Err(err) => {
                    probes.pages.fail(err);
                    break;
                }
            };
            // A declared endpoint that answers 404 fails here; the rejected-credentials round skips it.
            answered |= response.status() != 404;
            if first && response.status() == 404 {
                let path = self.sim.client.paths().contact_sync.clone();
                self.skip_all(&phase.checks(), &format!("not served: POST {path} answered 404"));
                return Synced { served: false, contacts, checkpoint: None };
            }
            let Some(page) = page_object(&at, &response, &mut probes.pages) else { break };

            let read_before = contacts.len();
            match page.get("contacts") {
                Some(Value::Array(items)) => {
                    for (i, item) in items.iter().enumerate() {
                        let Some(contact) = item.as_object() else {
                            probes.fields.fail(format!("{at}, contact #{}: {}, not an object", i + 1, kind(item)));
                            continue;
                        };
                        let id = Id::read(contact);
                        let label = format!("{at}, {}", id.label("contact", i + 1));
                        if let Some(problem) = id.problem() {
                            probes.ids.fail(format!("{label} {problem}"));
                        }
                        if let Some(text) = id.text() {
                            if let Some(first) = seen_before(&mut seen_ids, text, page_no) {
                                // A contact the source changed after it was sent comes again, on a later page,
                                // carrying the change: Talkdesk keeps the last, so only an identical repeat (or
                                // two contacts of one id on one page) is a duplicate.
                                let changed = last_sent.get(text).is_some_and(|before| before != contact)
                                    && !seen_on_page(&contacts[read_before..], text);
                                if changed {
                                    sent_again_changed += 1;
                                } else if !self.changes.excuses_repeat(text) {
                                    probes.ids.fail(format!("id {text:?} on {at} was already sent on page {first}"));
                                }
                            }
                            last_sent.insert(text.to_owned(), contact.clone());
                        }
                        probes.fields.absorb(checks::contact_fields(contact, &label));
                        contacts.push(contact.clone());
                    }
                }
                None | Some(Value::Null) => probes.pages.fail(format!("{at} has no `contacts` array")),
                Some(other) => probes.pages.fail(format!("{at}: `contacts` is {}, not an array", kind(other))),
            }

            match page.get("synchronization_checkpoint") {
                None | Some(Value::Null) => probes.checkpoints.fail(format!(
                    "{at} has no synchronization_checkpoint: Talkdesk would sync every contact again every time"
                )),
                Some(Value::String(s)) if s.is_empty() => {
                    probes.checkpoints.fail(format!("{at} has an empty synchronization_checkpoint"))
                }
                Some(Value::String(checkpoint)) => {
                    if let Some((previous, previous_page)) = &last_checkpoint {
                        let from = match previous_page {
                            0 => "the checkpoint the sync started from".to_owned(),
                            page => format!("page {page}"),
                        };
                        match self.sim.checkpoint_order.compare(checkpoint, previous) {
                            Some(Ordering::Less) => probes.checkpoints.fail(format!(
                                "{at}: the checkpoint moved backwards, to {checkpoint:?} from {previous:?} ({from})"
                            )),
                            Some(_) => {}
                            None => unordered = true,
                        }
                    }
                    last_checkpoint = Some((checkpoint.clone(), page_no));
                }
                Some(other) => probes
                    .checkpoints
                    .fail(format!("{at}: synchronization_checkpoint is {}, not a string", kind(other))),
            }

            context = page.get("context").filter(|c| !c.is_null()).cloned();
            let next = checks::next_offset(&page).unwrap_or_else(|err| {
                probes.pages.fail(format!("{at}: {err}"));
                None
            });
            if let Some((_, Value::Number(n))) = &next {
                probes.pages.warn(format!("{at}: next_offset is the number {n}; the protocol says a string"));
            }
            self.arrived(&contacts[read_before..], &format!("{} {at}", phase.name()));
            let progress = Progress {
                phase: phase.name(),
                page: page_no,
                items: contacts.len(),
                next_offset: next.as_ref().map(|(text, _)| text.clone()),
            };
            self.change_source(&progress).await;
            self.progress(progress);
            // Talkdesk sends the offset back as it came.
            let Some((text, value)) = next else { break };
            if !pager.follow(page_no, &text, &mut probes.ends) {
                break;
            }
            offset = Some(value);
        }

        if phase == SyncPhase::Initial {
            self.served.contact_sync = answered;
        }
        let read = format!("{} on {}", count(contacts.len(), "contact"), count(page_no, "page"));
        probes.pages.summary(read.clone());
        let mut distinct = count(seen_ids.len(), "distinct id");
        if sent_again_changed > 0 {
            distinct.push_str(&format!(
                ", {} sent again on a later page with a change (Talkdesk keeps the last)",
                count(sent_again_changed, "contact")
            ));
        }
        probes.ids.summary(distinct);
        probes.fields.summary(read);
        let checkpoint = last_checkpoint.filter(|(_, page)| *page > 0).map(|(c, _)| c);
        if let Some(last) = &checkpoint {
            probes.checkpoints.summary(if unordered {
                format!(
                    "last checkpoint {last:?}; checkpoints are neither dates nor numbers: their order was not checked"
                )
            } else {
                format!("last checkpoint {last:?}")
            });
        }
        probes.ends.summary(format!("{} read", count(page_no, "page")));
        let SyncProbes { pages, ids, fields, checkpoints, ends } = probes;
        for probe in [pages, ids, fields, checkpoints, ends] {
            self.push(probe);
        }
        Synced { served: true, contacts, checkpoint }
    }
}

/// Whether a contact of id `id` is among `page`'s contacts read so far.
fn seen_on_page(page: &[Map<String, Value>], id: &str) -> bool {
    page.iter().any(|contact| Id::read(contact).text() == Some(id))
}
