//! The four kinds of source of `bridge::docs::sync` ("Which sync for which source"), each behind a real contact
//! retriever, synced as Talkdesk does (`TestClient::sync_all`) while a stateful fake of the source changes rows
//! between pages, and checked against the source's truth (`SyncTruth`): a source that lists what it wrote at once
//! (a database, Pipedrive's list of people), a search index that trails its writes (HubSpot's search), a service's
//! own lossless cursor (Zendesk's export), and page numbers. Each also holds its checkpoint rule to its cost: what
//! an incremental sync right after sends.

use bridge::sync::{More, Paged, Window};
use bridge::testing::{SyncTruth, SyncedContacts, TestClient};
use bridge::{Auth, Bridge, Contact, ContactPage, ContactSyncMeta, Error, State};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

const PAGE: usize = 20;
/// How far the search index trails its writes, in the fake's ticks.
const LAG: u64 = 5;
/// The margin a sync by page numbers takes for the clock skew between the bridge and the service.
const SKEW: u64 = 2;

/// A row of the source: when it last changed, its place in the service's change log, its data.
#[derive(Debug, Clone)]
struct Row {
    modified: u64,
    seq: u64,
    name: String,
}

/// The fake source: rows, a clock the test moves, a change log, and (for an index) a lag before a change shows.
#[derive(Debug, Default)]
struct Table {
    clock: u64,
    seq: u64,
    lag: u64,
    rows: BTreeMap<u32, Row>,
}

#[derive(Debug, Clone, Default)]
struct Source(Arc<Mutex<Table>>);

impl Source {
    /// `n` rows, three to a time of change (ties), the clock after them; reads trail writes by `lag`.
    fn new(n: u32, lag: u64) -> Self {
        let source = Source::default();
        {
            let mut table = source.0.lock().unwrap();
            table.lag = lag;
            for id in 1..=n {
                table.seq += 1;
                let seq = table.seq;
                table.rows.insert(id, Row { modified: u64::from(id / 3), seq, name: format!("Customer {id}") });
            }
            table.clock = u64::from(n / 3) + lag + 1;
        }
        source
    }

    /// A change: the row (new or not) gets the clock's time, the log's next place, and `name`; time moves on.
    fn write(&self, id: u32, name: &str) {
        let mut table = self.0.lock().unwrap();
        table.seq += 1;
        let (modified, seq) = (table.clock, table.seq);
        table.rows.insert(id, Row { modified, seq, name: name.to_owned() });
        table.clock += 1;
    }

    fn tick(&self, by: u64) {
        self.0.lock().unwrap().clock += by;
    }

    fn now(&self) -> u64 {
        self.0.lock().unwrap().clock
    }

    /// The rows a reader sees now: an index shows a change `lag` after it was made.
    fn visible(&self) -> Vec<(u32, Row)> {
        let table = self.0.lock().unwrap();
        table
            .rows
            .iter()
            .filter(|(_, r)| r.modified + table.lag <= table.clock)
            .map(|(id, r)| (*id, r.clone()))
            .collect()
    }

    /// `WHERE modified > $from OR (modified = $from AND id > $after) ORDER BY modified, id LIMIT $limit`.
    fn changed_since(&self, from: u64, after: Option<u32>, limit: usize) -> Vec<(u32, Row)> {
        let mut rows: Vec<(u32, Row)> = self
            .visible()
            .into_iter()
            .filter(|(id, r)| r.modified > from || (r.modified == from && after.is_none_or(|a| *id > a)))
            .collect();
        rows.sort_by_key(|(id, r)| (r.modified, *id));
        rows.truncate(limit);
        rows
    }

    /// The service's export: the rows whose last change comes after `cursor` in its log, in log order.
    fn export(&self, cursor: u64, limit: usize) -> Vec<(u32, Row)> {
        let mut rows: Vec<(u32, Row)> = self.visible().into_iter().filter(|(_, r)| r.seq > cursor).collect();
        rows.sort_by_key(|(_, r)| r.seq);
        rows.truncate(limit);
        rows
    }

    /// `?updated_since=$since&page=$page`, in creation order (by id).
    fn page_number(&self, since: u64, page: usize) -> Vec<(u32, Row)> {
        let rows = self.visible().into_iter().filter(|(_, r)| r.modified >= since);
        rows.skip(page.saturating_sub(1) * PAGE).take(PAGE + 1).collect()
    }
}

fn contact((id, row): (u32, Row)) -> Contact {
    Contact::new(id.to_string(), row.name)
}

/// A source that lists what it wrote at once: the window, the checkpoint the newest change sent (inclusive).
#[bridge::contact_retriever]
async fn at_once(
    _auth: Auth<Value>,
    meta: ContactSyncMeta,
    State(source): State<Source>,
) -> Result<ContactPage, Error> {
    let window = Window::<u64>::open(&meta, |checkpoint| checkpoint.unwrap_or(0))?;
    let rows = source.changed_since(*window.from(), window.after_as()?, Paged::<()>::limit(PAGE));
    let rows = Paged::new(rows, PAGE);
    let more = if rows.more { More::AfterLastId } else { More::No };
    let step = window.step(rows.items, |(id, row)| (row.modified, id.to_string()), more)?;
    Ok(step.contact_page(contact))
}

/// A search index that trails its writes: the window ends, exclusive, where the index is surely complete.
#[bridge::contact_retriever]
async fn trailing(
    _auth: Auth<Value>,
    meta: ContactSyncMeta,
    State(source): State<Source>,
) -> Result<ContactPage, Error> {
    let window =
        Window::<u64>::open(&meta, |checkpoint| checkpoint.unwrap_or(0))?.until(source.now().saturating_sub(LAG));
    let rows = source.changed_since(*window.from(), window.after_as()?, Paged::<()>::limit(PAGE));
    let rows = Paged::new(rows, PAGE);
    let more = if rows.more { More::AfterLastId } else { More::No };
    let step = window.step(rows.items, |(id, row)| (row.modified, id.to_string()), more)?;
    Ok(step.contact_page(contact))
}

/// A service's own lossless cursor: the offset and the checkpoint are both the service's place in its log.
#[bridge::contact_retriever]
async fn cursor(_auth: Auth<Value>, meta: ContactSyncMeta, State(source): State<Source>) -> Result<ContactPage, Error> {
    let from = match meta.offset_as::<u64>()? {
        Some(offset) => offset,
        None => meta.checkpoint_as::<u64>()?.unwrap_or(0),
    };
    let rows = Paged::new(source.export(from, Paged::<()>::limit(PAGE)), PAGE);
    let to = rows.items.last().map_or(from, |(_, row)| row.seq);
    let page = ContactPage::new(rows.items.into_iter().map(contact).collect(), to.to_string());
    Ok(if rows.more { page.next_offset(to.to_string()) } else { page })
}

/// Page numbers: the checkpoint is when the sync started, less the skew, the same on every page.
#[bridge::contact_retriever]
async fn numbered(
    _auth: Auth<Value>,
    meta: ContactSyncMeta,
    State(source): State<Source>,
) -> Result<ContactPage, Error> {
    let started = match meta.context.as_ref().and_then(|context| context.get("started")) {
        Some(started) => started.as_u64().ok_or_else(|| Error::invalid_field("meta.context", "not this bridge's"))?,
        None => source.now().saturating_sub(SKEW),
    };
    let page = meta.offset_as::<usize>()?.unwrap_or(1);
    let since = meta.checkpoint_as::<u64>()?.unwrap_or(0);
    let rows = Paged::new(source.page_number(since, page), PAGE);
    let answer = ContactPage::new(rows.items.into_iter().map(contact).collect(), started.to_string())
        .context(json!({ "started": started }));
    Ok(if rows.more { answer.next_offset((page + 1).to_string()) } else { answer })
}

fn client(source: &Source, bridge: Bridge) -> TestClient {
    TestClient::new(bridge.state(source.clone())).unwrap()
}

/// The changes a test makes during a sync: a row already sent, one not yet read.
const MID_SYNC: [(u32, &str); 2] = [(3, "Ada Early"), (90, "Late Corp")];

/// A whole sync as Talkdesk runs it (from `checkpoint`, if any), the source's clock moving `tick` a page and
/// `changes` written after the first page.
async fn sync(
    client: &TestClient,
    source: &Source,
    checkpoint: Option<&str>,
    changes: &'static [(u32, &'static str)],
    tick: u64,
) -> SyncedContacts {
    let writer = source.clone();
    let mut sync = client.sync_all().auth(json!({"token": "t"})).between_pages(move |page| {
        writer.tick(tick);
        if page == 1 {
            changes.iter().for_each(|(id, name)| writer.write(*id, name));
        }
    });
    if let Some(checkpoint) = checkpoint {
        sync = sync.checkpoint(checkpoint);
    }
    sync.contacts().await.unwrap()
}

/// `truth`, and each of `changes` arrived.
fn arrived(truth: SyncTruth, changes: &[(u32, &str)]) -> SyncTruth {
    changes.iter().fold(truth, |truth, (id, name)| truth.changed(Contact::new(id.to_string(), *name)))
}

/// 16 people change, as in the newcomer's Pipedrive account: the next sync must send them.
const SIXTEEN: [(u32, &str); 16] = {
    let mut changes = [(0, "Changed"); 16];
    let mut n = 0;
    while n < 16 {
        changes[n].0 = 40 + n as u32;
        n += 1;
    }
    changes
};

#[tokio::test]
async fn a_source_that_lists_what_it_wrote_at_once_needs_the_window_and_no_margin() {
    let source = Source::new(100, 0);
    let client = client(&source, Bridge::new().endpoint(at_once {}));
    // One row already sent, one not yet, one new.
    const CHANGES: [(u32, &str); 3] = [MID_SYNC[0], MID_SYNC[1], (101, "Nina New")];
    let synced = sync(&client, &source, None, &CHANGES, 0).await;
    arrived(SyncTruth::new().existed((1..=100).map(|id| id.to_string())), &CHANGES).assert(&synced);
    assert!(synced.repeated_unchanged().is_empty(), "{:?}", synced.repeated_unchanged());

    // The next sync sends the 16 changed and the one row at the checkpoint's own time (inclusive).
    SIXTEEN.iter().for_each(|(id, name)| source.write(*id, name));
    let next = sync(&client, &source, Some(synced.checkpoint()), &[], 0).await;
    arrived(SyncTruth::new(), &SIXTEEN).assert(&next);
    assert_eq!(next.ids().len(), 16 + 1, "{:?}", next.ids());
}

#[tokio::test]
async fn a_search_index_that_trails_its_writes_ends_each_sync_where_the_index_is_complete() {
    let source = Source::new(100, LAG);
    let client = client(&source, Bridge::new().endpoint(trailing {}));
    // Both vanish from the index until it catches up: this sync has passed 3 and cannot send 90.
    let synced = sync(&client, &source, None, &MID_SYNC, 1).await;
    SyncTruth::new().existed((1..=100).filter(|id| *id != 90).map(|id| id.to_string())).assert(&synced);
    assert!(synced.repeated_unchanged().is_empty(), "{:?}", synced.repeated_unchanged());

    // Once the index has caught up, the next sync sends both, changed, and only them.
    source.tick(LAG);
    let next = sync(&client, &source, Some(synced.checkpoint()), &[], 0).await;
    arrived(SyncTruth::new(), &MID_SYNC).assert(&next);
    assert_eq!(next.ids().len(), 2, "{:?}", next.ids());
    // Nothing changed since: with an exclusive end, an incremental sync sends nothing at all.
    source.tick(LAG);
    let idle = sync(&client, &source, Some(next.checkpoint()), &[], 0).await;
    assert_eq!((idle.ids().len(), idle.pages()), (0, 1));
}

#[tokio::test]
async fn a_services_own_cursor_is_the_offset_and_the_checkpoint() {
    let source = Source::new(100, 0);
    let client = client(&source, Bridge::new().endpoint(cursor {}));
    let synced = sync(&client, &source, None, &MID_SYNC, 0).await;
    arrived(SyncTruth::new().existed((1..=100).map(|id| id.to_string())), &MID_SYNC).assert(&synced);
    assert!(synced.repeated_unchanged().is_empty(), "{:?}", synced.repeated_unchanged());

    SIXTEEN.iter().for_each(|(id, name)| source.write(*id, name));
    let next = sync(&client, &source, Some(synced.checkpoint()), &[], 0).await;
    arrived(SyncTruth::new(), &SIXTEEN).assert(&next);
    assert_eq!(next.ids().len(), 16, "exactly what changed: {:?}", next.ids());
}

#[tokio::test]
async fn page_numbers_take_the_syncs_start_and_pay_for_it_with_repeats() {
    let source = Source::new(100, 0);
    let client = client(&source, Bridge::new().endpoint(numbered {}));
    // In creation order a change moves nothing: 3 was read (its change waits), 90 is still to come.
    let synced = sync(&client, &source, None, &MID_SYNC, 0).await;
    arrived(SyncTruth::new().existed((1..=100).map(|id| id.to_string())), &MID_SYNC[1..]).assert(&synced);
    assert_eq!(synced.contacts()["3"].name, "Customer 3");

    // The next sync starts where this one started: 3 arrives changed, with what changed in the skew before.
    SIXTEEN.iter().for_each(|(id, name)| source.write(*id, name));
    let next = sync(&client, &source, Some(synced.checkpoint()), &[], 0).await;
    arrived(SyncTruth::new(), &SIXTEEN).changed(Contact::new("3", "Ada Early")).assert(&next);
    assert!(next.ids().len() > 16 + 1, "the start's margin sends more than what changed: {:?}", next.ids());
}

/// `bridge::docs::sync` shows these retrievers as they are tested here, character for character.
#[test]
fn the_chapter_shows_the_retrievers_tested_here() {
    let chapter = include_str!("../../docs/sync.md");
    let this = include_str!("sync_sources.rs");
    for name in ["at_once", "trailing", "cursor", "numbered"] {
        let start = this.find(&format!("#[bridge::contact_retriever]\nasync fn {name}(")).unwrap();
        let end = start + this[start..].find("\n}\n").unwrap() + 3;
        let code = &this[start..end];
        assert!(chapter.contains(code), "docs/sync.md must show `{name}` as tested here:\n{code}");
    }
}
