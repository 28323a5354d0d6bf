//! Property tests of `bridge::sync::Window` over random sources: many records sharing a time, pages smaller than a
//! run of ties, records changed and created between pages, late writes (stamped before they become visible, within
//! the source's lag). Whatever happens, within one sync no record version is sent twice, every record that existed
//! when a sync started arrives, a record changed during a sync arrives changed, and once the source is quiet one
//! more sync leaves Talkdesk with exactly the source.

use bridge::sync::{More, Paged, Window};
use bridge::{Contact, ContactPage, ContactSyncMeta};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// A record of the source: its stamp (the key), a version that grows with each change, and when it becomes
/// visible to readers (a late write is stamped before it commits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Record {
    modified: u64,
    version: u32,
    visible_at: u64,
}

/// The source: a table a SQL query reads as `WHERE modified > $from OR (modified = $from AND id > $after)
/// ORDER BY modified, id LIMIT $n`, showing only the records visible at its clock.
#[derive(Debug, Clone, Default)]
struct Source {
    clock: u64,
    lag: u64,
    records: BTreeMap<u32, Record>,
    next_id: u32,
}

/// What happens to the source between two pages.
#[derive(Debug, Clone)]
enum Op {
    /// A record changes: a new stamp, newer than every other.
    Touch(usize),
    /// A record is created at the current time (several in one tick share it).
    Insert,
    /// A record is created at the current time but becomes visible only `delay` later (at most the lag).
    LateInsert(u64),
    /// Time passes.
    Tick(u64),
}

impl Source {
    fn visible(&self) -> impl Iterator<Item = (u32, Record)> + '_ {
        self.records.iter().filter(|(_, r)| r.visible_at <= self.clock).map(|(id, r)| (*id, *r))
    }

    fn query(&self, from: u64, after: Option<u32>, limit: usize) -> Vec<(u32, Record)> {
        let mut rows: Vec<(u32, Record)> = self
            .visible()
            .filter(|(id, r)| r.modified > from || (r.modified == from && after.is_none_or(|a| *id > a)))
            .collect();
        rows.sort_by_key(|(id, r)| (r.modified, *id));
        rows.truncate(limit);
        rows
    }

    fn insert(&mut self, delay: u64) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        self.records.insert(id, Record { modified: self.clock, version: 0, visible_at: self.clock + delay });
        id
    }

    /// Applies `op`; the id and version of a visible change, for the "arrives changed" check.
    fn apply(&mut self, op: &Op) -> Option<(u32, u32)> {
        match *op {
            Op::Touch(n) => {
                let visible: Vec<u32> = self.visible().map(|(id, _)| id).collect();
                let id = *visible.get(n % visible.len().max(1))?;
                self.clock += 1;
                let record = self.records.get_mut(&id)?;
                record.modified = self.clock;
                record.version += 1;
                record.visible_at = self.clock;
                Some((id, record.version))
            }
            Op::Insert => {
                let id = self.insert(0);
                Some((id, 0))
            }
            Op::LateInsert(delay) => {
                self.insert(delay.min(self.lag));
                None
            }
            Op::Tick(n) => {
                self.clock += n;
                None
            }
        }
    }

    /// The bridge's contact retriever over this source.
    fn contacts(&self, meta: &ContactSyncMeta, page_size: usize) -> ContactPage {
        let window = Window::<u64>::open(meta, |checkpoint| checkpoint.unwrap_or(0))
            .unwrap()
            .settled(self.clock.saturating_sub(self.lag));
        let after = window.after_as::<u32>().unwrap();
        let rows = Paged::new(self.query(*window.from(), after, Paged::<()>::limit(page_size)), page_size);
        let more = if rows.more { More::AfterLastId } else { More::No };
        let step = window.step(rows.items, |(id, r)| (r.modified, id.to_string()), more).unwrap();
        step.contact_page(|(id, r)| Contact::new(id.to_string(), format!("{}:{}", r.modified, r.version)))
    }
}

/// One sync as Talkdesk runs it, with `ops` applied to the source between pages. Checks what holds within it and
/// returns the checkpoint; `talkdesk` is what Talkdesk holds (id → stamp and version).
fn sync(
    source: &mut Source,
    talkdesk: &mut BTreeMap<u32, (u64, u32)>,
    checkpoint: Option<String>,
    page_size: usize,
    ops: &mut dyn Iterator<Item = Op>,
    ops_per_page: usize,
) -> Result<String, TestCaseError> {
    let at_start: Vec<(u32, Record)> = source.visible().collect();
    let start_from: u64 = checkpoint.as_deref().map_or(0, |c| c.parse().unwrap());
    let mut meta = json!({});
    if let Some(checkpoint) = &checkpoint {
        meta["synchronization_checkpoint"] = json!(checkpoint);
    }
    let mut sent: BTreeSet<(u32, u64)> = BTreeSet::new();
    let mut latest_sent: BTreeMap<u32, (u64, u32)> = BTreeMap::new();
    let mut changed: Vec<(u32, u32)> = Vec::new();
    let mut last_checkpoint = checkpoint.clone().unwrap_or_default();
    for pages in 0.. {
        prop_assert!(pages < 10_000, "the sync does not end");
        let page = source.contacts(&serde_json::from_value(meta.clone()).unwrap(), page_size);
        prop_assert!(page.contacts.len() <= page_size);
        let now: u64 = page.synchronization_checkpoint.parse().unwrap();
        if let Ok(before) = last_checkpoint.parse::<u64>() {
            prop_assert!(now >= before, "the checkpoint moved back: {before} -> {now}");
        }
        last_checkpoint = page.synchronization_checkpoint.clone();
        for contact in &page.contacts {
            let id: u32 = contact.id.parse().unwrap();
            let (modified, version) = contact.name.split_once(':').unwrap();
            let (modified, version): (u64, u32) = (modified.parse().unwrap(), version.parse().unwrap());
            prop_assert!(sent.insert((id, modified)), "record {id} at {modified} sent twice in one sync");
            latest_sent.insert(id, (modified, version));
            talkdesk.insert(id, (modified, version));
        }
        let Some(offset) = page.next_offset else { break };
        meta["offset"] = json!(offset);
        meta["context"] = page.context.unwrap_or(Value::Null);
        for op in ops.take(ops_per_page) {
            changed.extend(source.apply(&op));
        }
    }
    // Every record that existed when the sync started (at or after where it started) arrived, as it was or newer.
    for (id, record) in at_start.iter().filter(|(_, r)| r.modified >= start_from) {
        let got = latest_sent.get(id).map(|(m, _)| *m);
        prop_assert!(got.is_some_and(|m| m >= record.modified), "record {id} ({record:?}) lost: got {got:?}");
    }
    // A record changed during the sync arrived changed.
    for (id, version) in changed {
        let got = latest_sent.get(&id).map(|(_, v)| *v);
        prop_assert!(got.is_some_and(|v| v >= version), "change {version} of record {id} lost: got {got:?}");
    }
    Ok(last_checkpoint)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0usize..1_000).prop_map(Op::Touch),
        3 => Just(Op::Insert),
        2 => (0u64..4).prop_map(Op::LateInsert),
        2 => (0u64..3).prop_map(Op::Tick),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_record_lost_none_sent_twice_on_a_page_boundary(
        // Stamps drawn from a few values: long runs of ties.
        initial in prop::collection::vec(0u64..6, 0..40),
        lag in 0u64..4,
        page_size in 1usize..6,
        ops_per_page in 0usize..4,
        ops in prop::collection::vec(op(), 0..60),
    ) {
        let mut source = Source { lag, ..Source::default() };
        for stamp in initial {
            source.clock = stamp;
            source.insert(0);
        }
        source.clock = 6;
        let mut talkdesk = BTreeMap::new();
        let mut ops = ops.into_iter();
        // An initial sync, then incremental ones while the source keeps changing.
        let mut checkpoint = sync(&mut source, &mut talkdesk, None, page_size, &mut ops, ops_per_page)?;
        for _ in 0..3 {
            source.apply(&Op::Tick(1));
            checkpoint = sync(&mut source, &mut talkdesk, Some(checkpoint), page_size, &mut ops, ops_per_page)?;
        }
        // Quiet: every late write is visible now; one more sync and Talkdesk holds the source exactly.
        source.apply(&Op::Tick(lag + 1));
        sync(&mut source, &mut talkdesk, Some(checkpoint), page_size, &mut std::iter::empty(), 0)?;
        let truth: BTreeMap<u32, (u64, u32)> =
            source.records.iter().map(|(id, r)| (*id, (r.modified, r.version))).collect();
        prop_assert_eq!(talkdesk, truth);
    }
}
