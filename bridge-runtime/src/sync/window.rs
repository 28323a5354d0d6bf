//! The keyset window: contact synchronization over a source that can answer "the records modified at or after
//! this, oldest first", without losing a record on a tie, sending one twice at a page boundary, or stalling on a run
//! of ties longer than a page.

use super::typed::parse_as;
use crate::error::Error;
use crate::protocol::{Contact, ContactPage, ContactSyncMeta};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::fmt::Display;
use std::str::FromStr;

/// Where one page of a contact synchronization starts: the records modified **at or after** [`from`](Self::from)
/// (inclusive: a record that shares the boundary's time with one already sent is never skipped), less the ids
/// already sent at `from` ([`seen`](Self::seen), carried in the page's `context`, so that none is sent twice), and,
/// within a run of records sharing `from` that is longer than a page, after the source's cursor
/// [`after`](Self::after).
///
/// `K` is what orders the records: a time of last change (Unix milliseconds, a [`TalkdeskDate`](crate::TalkdeskDate),
/// a type of the bridge's own), or a revision. Its text ([`Display`], read back with [`FromStr`]) is the
/// checkpoint the bridge answers, and the start of `next_offset`.
///
/// A handler opens the window from the request, asks the source for the records it describes, and lets the
/// window make the page ([`Window::step`], then [`Step::contact_page`]):
///
/// ```
/// use bridge::sync::{More, Paged, Window};
/// use bridge::{Contact, ContactPage, ContactSyncMeta, Error};
///
/// /// A source as SQL gives it: `(modified, id)` rows, ties ordered by id.
/// fn query(rows: &[(i64, u32)], from: i64, after: Option<u32>, limit: usize) -> Vec<(i64, u32)> {
///     rows.iter()
///         .filter(|(m, id)| *m > from || (*m == from && after.is_none_or(|a| *id > a)))
///         .take(limit)
///         .copied()
///         .collect()
/// }
///
/// fn contacts(rows: &[(i64, u32)], meta: &ContactSyncMeta) -> Result<ContactPage, Error> {
///     // The first page starts at the checkpoint (inclusive), or at 0 for an initial sync.
///     let window = Window::<i64>::open(meta, |checkpoint| checkpoint.unwrap_or(0))?;
///     let rows = Paged::new(query(rows, *window.from(), window.after_as::<u32>()?, Paged::<()>::limit(2)), 2);
///     let more = if rows.more { More::AfterLastId } else { More::No };
///     let step = window.step(rows.items, |(modified, id)| (*modified, id.to_string()), more)?;
///     Ok(step.contact_page(|(_, id)| Contact::new(id.to_string(), format!("Customer {id}"))))
/// }
///
/// // Three customers share the time 20, one of them on the first page.
/// let rows = [(10, 1), (20, 2), (20, 3), (20, 4), (30, 5)];
/// let (mut meta, mut pages) = (serde_json::json!({}), Vec::new());
/// loop {
///     let page = contacts(&rows, &serde_json::from_value(meta).unwrap()).unwrap();
///     let ids: Vec<String> = page.contacts.iter().map(|c| c.id.clone()).collect();
///     pages.push((ids, page.synchronization_checkpoint));
///     let Some(offset) = page.next_offset else { break };
///     meta = serde_json::json!({"offset": offset, "context": page.context});
/// }
/// // 2 is not sent again on the second page, 3 and 4 are not skipped: the run of ties goes on after 3.
/// let expected = [(vec!["1", "2"], "20"), (vec!["3"], "20"), (vec!["4", "5"], "30")];
/// assert_eq!(pages, expected.map(|(ids, c)| (ids.iter().map(|s| s.to_string()).collect(), c.to_string())));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window<K> {
    from: K,
    after: Option<String>,
    seen: BTreeSet<String>,
    /// The checkpoint the sync started from (Talkdesk sends it with every page of an incremental sync).
    checkpoint: Option<K>,
    /// Whether this page continues a sync (it came from an offset) rather than starting one.
    resumed: bool,
    /// The newest key the source had certainly made visible when the sync started ([`Window::settled`]).
    settled: Option<K>,
    /// Where the sync ends, exclusive ([`Window::until`]).
    end: Option<K>,
}

/// Whether the source has more records after the ones given to [`Window::step`], and how to go on within a run of
/// records that share a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum More {
    /// The source has nothing more: this page ends the sync.
    No,
    /// The source has more, and this is its own cursor to continue the same query (an API's `after`, `page[after]`).
    Cursor(String),
    /// The source has more, and orders records that share a key by id: a run of ties goes on after the last
    /// record's id (SQL: `WHERE modified > $from OR (modified = $from AND id > $after) ORDER BY modified, id`).
    AfterLastId,
}

/// What a page of records makes of a window: the records to send, the next page's window, the checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step<R, K> {
    /// The records to send, in the source's order (those already sent at the window's start are left out).
    pub send: Vec<R>,
    /// The next page's window, or `None` when this page ends the sync.
    pub next: Option<Window<K>>,
    /// The checkpoint to answer: the newest key sent so far (never older than the checkpoint the sync started
    /// from, never newer than [`Window::settled`]).
    pub checkpoint: K,
}

impl<K> Window<K>
where
    K: Ord + Clone + Display + FromStr,
{
    /// The window of a first page, starting at `from` (inclusive).
    pub fn starting(from: K) -> Self {
        Self { from, after: None, seen: BTreeSet::new(), checkpoint: None, resumed: false, settled: None, end: None }
    }

    /// The window of the request: on a first page, the one starting where `first` says (given the checkpoint
    /// Talkdesk sent, `None` on an initial sync: return it, or less a lag margin for a source whose reads trail its
    /// writes, though [`until`](Self::until) is the cleaner answer to those); on a later page, the one the previous
    /// page answered (its `next_offset` and `context`). Which checkpoint fits which kind of source:
    /// `bridge::docs::sync`.
    ///
    /// A `400` naming `meta.synchronization_checkpoint`, `meta.offset` or `meta.context` when one is not what this
    /// bridge answered.
    pub fn open(meta: &ContactSyncMeta, first: impl FnOnce(Option<K>) -> K) -> Result<Self, Error> {
        let checkpoint = meta.checkpoint_as::<K>()?;
        let mut window = match meta.situation.offset() {
            None => Self::starting(first(checkpoint.clone())),
            Some(offset) => Self::resume(offset, meta.context.as_ref())?,
        };
        window.checkpoint = checkpoint;
        Ok(window)
    }

    /// The window a page's `next_offset` and `context` describe (what [`Window::offset`] and [`Window::context`]
    /// wrote), or a `400` naming `meta.offset` or `meta.context`. A context written for another window is ignored.
    pub fn resume(offset: &str, context: Option<&Value>) -> Result<Self, Error> {
        let not_ours = || Error::invalid_field("meta.offset", "not a next_offset this bridge answered");
        let (from_text, after) = match offset.trim().split_once('+') {
            Some((_, "")) => return Err(not_ours()),
            Some((from, after)) => (from, Some(after.to_owned())),
            None => (offset.trim(), None),
        };
        let from_text = unescape(from_text).ok_or_else(not_ours)?;
        let from: K = parse_as("meta.offset", &from_text, "a next_offset")?;
        let mut window = Self { resumed: true, after, ..Self::starting(from) };
        let Some(context) = context.filter(|c| c.get("from").and_then(Value::as_str) == Some(from_text.as_str()))
        else {
            return Ok(window); // without its context, a page may send a tie again: never lose one
        };
        let bad_context = || Error::invalid_field("meta.context", "not a context this bridge answered");
        if let Some(seen) = context.get("seen") {
            window.seen = serde_json::from_value(seen.clone()).map_err(|_| bad_context())?;
        }
        let key = |field: &str| -> Result<Option<K>, Error> {
            let Some(value) = context.get(field) else { return Ok(None) };
            let text = value.as_str().ok_or_else(bad_context)?;
            text.parse().map(Some).map_err(|_| bad_context())
        };
        window.settled = key("settled")?;
        window.end = key("until")?;
        Ok(window)
    }

    /// Caps the checkpoints of this sync at `bound`: every record the source stamped at or before `bound` is
    /// already visible in it (the source's now, less how far its reads trail its writes). A record that shows
    /// up late, stamped before the window had passed it, is then read by the next sync, which starts at or
    /// before `bound`. Set on a first page; later pages carry it in `context`. [`until`](Self::until) ends the sync
    /// there instead, so the next one sends nothing twice.
    pub fn settled(mut self, bound: K) -> Self {
        if !self.resumed {
            self.settled = Some(bound);
        }
        self
    }

    /// Ends this sync at `end`, **exclusive**: it sends the records keyed before `end`, and its last page answers
    /// `end` itself as the checkpoint, so the next sync starts exactly there (inclusive) and sends nothing twice.
    /// For a source whose reads trail its writes (a search index), `end` is the source's now less how far it
    /// trails: every record keyed before it is visible, and one stamped later but not yet visible is read by the
    /// next sync. Records keyed at or after `end` that the source answers anyway are not sent and end the sync,
    /// so a source that cannot filter on an upper bound needs no care; one that can should ([`end`](Self::end)).
    ///
    /// A record changed during the sync gets a key past `end`: it arrives with the next sync, not this one (with
    /// [`settled`](Self::settled) instead, it arrives in this one too, and the next sync sends again what changed
    /// in the last moments before the cap). Set on a first page; later pages carry it in `context`.
    ///
    /// ```
    /// use bridge::sync::{More, Window};
    ///
    /// // The source: an index that shows a change 5 units after it is made; now is 100.
    /// let window = Window::<i64>::starting(0).until(100 - 5);
    /// let step = window.step(vec![(90, "a"), (95, "b")], |(m, id)| (*m, id.to_string()), More::No).unwrap();
    /// // "b" is at the end: not sent (the next sync, starting at 95, sends it), and the checkpoint is the end.
    /// assert_eq!((step.send.len(), step.checkpoint, step.next), (1, 95, None));
    /// ```
    pub fn until(mut self, end: K) -> Self {
        if !self.resumed {
            self.end = Some(end);
        }
        self
    }

    /// Where this sync ends, exclusive ([`until`](Self::until)): a source that can filter on an upper bound asks
    /// for the records keyed before it.
    pub fn end(&self) -> Option<&K> {
        self.end.as_ref()
    }

    /// The records of this page are modified at or after this.
    pub fn from(&self) -> &K {
        &self.from
    }

    /// The source's cursor within a run of records modified at [`from`](Self::from) (what [`More::Cursor`] gave,
    /// or the last id sent with [`More::AfterLastId`]).
    pub fn after(&self) -> Option<&str> {
        self.after.as_deref()
    }

    /// [`after`](Self::after) read as the type it was written from (an id), or a `400` naming `meta.offset`.
    pub fn after_as<T: FromStr>(&self) -> Result<Option<T>, Error> {
        self.after.as_deref().map(|text| parse_as("meta.offset", text, "a next_offset")).transpose()
    }

    /// The ids already sent that are modified exactly at [`from`](Self::from).
    pub fn seen(&self) -> &BTreeSet<String> {
        &self.seen
    }

    /// This window as a `next_offset`: `<from>`, or `<from>+<after>` within a run of ties.
    pub fn offset(&self) -> String {
        let from = escape(&self.from.to_string());
        match &self.after {
            Some(after) => format!("{from}+{after}"),
            None => from,
        }
    }

    /// This window's `context`: the ids already sent at its start (and the sync's cap and end), with the start
    /// itself.
    pub fn context(&self) -> Option<Value> {
        if self.seen.is_empty() && self.settled.is_none() && self.end.is_none() {
            return None;
        }
        let mut context = json!({ "from": self.from.to_string() });
        if !self.seen.is_empty() {
            context["seen"] = json!(self.seen);
        }
        if let Some(settled) = &self.settled {
            context["settled"] = json!(settled.to_string());
        }
        if let Some(end) = &self.end {
            context["until"] = json!(end.to_string());
        }
        Some(context)
    }

    /// What the source's answer to this window makes: `records` as the source answered them (ascending key,
    /// at most a page), `key` a record's key and id, `more` whether the source has more.
    ///
    /// A `502` when the source broke its side of the contract (records out of order or before the window, more
    /// announced with nothing to go on): moving the window past records not yet sent would lose them.
    pub fn step<R>(&self, records: Vec<R>, key: impl Fn(&R) -> (K, String), more: More) -> Result<Step<R, K>, Error> {
        let keys = records.iter().map(key).collect();
        self.step_keyed(records, keys, more)
    }

    /// [`step`](Self::step), with a key function that can fail: a record whose time of change the source wrote in
    /// a form the bridge cannot read. The first error is the answer (a [`ResultExt`](crate::ResultExt) method picks
    /// its status where the key is read: `.upstream("HubSpot's lastmodifieddate")?` is a `502`).
    ///
    /// ```
    /// use bridge::sync::{More, Window};
    /// use bridge::{Error, ResultExt, TalkdeskDate};
    ///
    /// let key = |(modified, id): &(&str, u32)| -> Result<(TalkdeskDate, String), Error> {
    ///     Ok((modified.parse().upstream("the source's time of change")?, id.to_string()))
    /// };
    /// let window = Window::starting(TalkdeskDate::from_unix_timestamp(0).unwrap());
    /// let step = window.try_step(vec![("2024-01-31 09:30:00 UTC", 1)], key, More::No).unwrap();
    /// assert_eq!(step.checkpoint.to_string(), "2024-01-31 09:30:00 UTC");
    /// let refused = window.try_step(vec![("yesterday", 2)], key, More::No).unwrap_err();
    /// assert_eq!(refused.status(), 502);
    /// ```
    pub fn try_step<R, E: Into<Error>>(
        &self,
        records: Vec<R>,
        key: impl Fn(&R) -> Result<(K, String), E>,
        more: More,
    ) -> Result<Step<R, K>, Error> {
        let keys = records.iter().map(|record| key(record).map_err(Into::into)).collect::<Result<_, Error>>()?;
        self.step_keyed(records, keys, more)
    }

    /// [`step`](Self::step) with the records' keys already read.
    fn step_keyed<R>(
        &self,
        mut records: Vec<R>,
        mut keys: Vec<(K, String)>,
        mut more: More,
    ) -> Result<Step<R, K>, Error> {
        if keys.first().is_some_and(|(k, _)| *k < self.from) {
            return Err(Error::upstream("the source answered a record older than the sync's window"));
        }
        if keys.windows(2).any(|pair| pair[1].0 < pair[0].0) {
            return Err(Error::upstream("the source did not answer its records in ascending order"));
        }
        if let Some(end) = &self.end {
            if let Some(past) = keys.iter().position(|(k, _)| k >= end) {
                records.truncate(past);
                keys.truncate(past);
                more = More::No;
            }
        }
        let newest = keys.last().map(|(k, _)| k.clone());
        let next = match more {
            More::No => None,
            _ if newest.as_ref().is_some_and(|n| *n > self.from) => {
                let newest = newest.clone().unwrap_or_else(|| self.from.clone());
                let seen = keys.iter().filter(|(k, _)| *k == newest).map(|(_, id)| id.clone()).collect();
                Some(Self { from: newest, after: None, seen, resumed: true, ..self.clone() })
            }
            More::Cursor(cursor) => Some(self.within_run(cursor)?),
            More::AfterLastId => {
                let Some((_, last)) = keys.last() else {
                    return Err(Error::upstream("the source announced more records but answered none"));
                };
                Some(self.within_run(last.clone())?)
            }
        };
        // A sync that ends at its end has sent every record keyed before it: the next starts there.
        let reached = if next.is_none() { self.end.clone() } else { None };
        let checkpoint = self.checkpoint(newest.max(reached));
        let send = records
            .into_iter()
            .zip(keys)
            .filter(|(_, (k, id))| !(*k == self.from && self.seen.contains(id)))
            .map(|(record, _)| record)
            .collect();
        Ok(Step { send, next, checkpoint })
    }

    /// The next window within a run of ties at `from`, continued at the source's `cursor`.
    fn within_run(&self, cursor: String) -> Result<Self, Error> {
        if cursor.is_empty() || self.after.as_deref() == Some(cursor.as_str()) {
            return Err(Error::upstream("the source did not move past its cursor"));
        }
        Ok(Self { after: Some(cursor), resumed: true, ..self.clone() })
    }

    /// The newest key sent so far, never older than the sync's checkpoint nor newer than its cap.
    fn checkpoint(&self, newest_on_page: Option<K>) -> K {
        let sent = match (self.resumed.then(|| self.from.clone()), newest_on_page) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let sent = match (sent, &self.settled) {
            (Some(sent), Some(settled)) => Some(sent.min(settled.clone())),
            (sent, _) => sent,
        };
        match (sent, &self.checkpoint) {
            (Some(sent), Some(checkpoint)) => sent.max(checkpoint.clone()),
            (Some(sent), None) => sent,
            (None, Some(checkpoint)) => checkpoint.clone(),
            (None, None) => self.from.clone(),
        }
    }
}

impl<R, K: Display> Step<R, K> {
    /// The page to answer: the records to send as contacts, the checkpoint, and the next window's `next_offset` and
    /// `context` when there is one.
    pub fn contact_page(self, contact: impl FnMut(R) -> Contact) -> ContactPage
    where
        K: Ord + Clone + FromStr,
    {
        let contacts = self.send.into_iter().map(contact).collect();
        let mut page = ContactPage::new(contacts, self.checkpoint.to_string());
        if let Some(next) = &self.next {
            page = page.next_offset(next.offset());
            if let Some(context) = next.context() {
                page = page.context(context);
            }
        }
        page
    }

    /// [`contact_page`](Self::contact_page), with a mapping that can fail (a record the source answered that
    /// cannot be a contact).
    pub fn try_contact_page<E>(self, mut contact: impl FnMut(R) -> Result<Contact, E>) -> Result<ContactPage, E>
    where
        K: Ord + Clone + FromStr,
    {
        let Step { send, next, checkpoint } = self;
        let contacts = send.into_iter().map(&mut contact).collect::<Result<Vec<_>, E>>()?;
        Ok(Step { send: contacts, next, checkpoint }.contact_page(|c| c))
    }
}

/// A key's text, with `+` (the offset's separator) and `%` escaped.
fn escape(text: &str) -> String {
    text.replace('%', "%25").replace('+', "%2B")
}

fn unescape(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        match rest.get(at..at + 3) {
            Some("%25") => out.push('%'),
            Some("%2B") => out.push('+'),
            _ => return None,
        }
        rest = &rest[at + 3..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(items: &[(&str, i64)]) -> Vec<(String, i64)> {
        items.iter().map(|(id, m)| ((*id).to_owned(), *m)).collect()
    }

    fn key(record: &(String, i64)) -> (i64, String) {
        (record.1, record.0.clone())
    }

    fn ids(step: &Step<(String, i64), i64>) -> Vec<&str> {
        step.send.iter().map(|(id, _)| id.as_str()).collect()
    }

    #[test]
    fn the_window_moves_to_the_newest_key_and_skips_who_was_sent_there() {
        let first = Window::starting(0);
        let step = first.step(page(&[("1", 10), ("2", 20), ("3", 20)]), key, More::Cursor("3".into())).unwrap();
        assert_eq!(ids(&step), ["1", "2", "3"]);
        assert_eq!(step.checkpoint, 20);
        let next = step.next.unwrap();
        assert_eq!((*next.from(), next.after()), (20, None));
        assert_eq!(next.seen(), &BTreeSet::from(["2".to_owned(), "3".to_owned()]));

        let step = next.step(page(&[("2", 20), ("3", 20), ("4", 20), ("5", 30)]), key, More::No).unwrap();
        assert_eq!(ids(&step), ["4", "5"]);
        assert_eq!((step.next, step.checkpoint), (None, 30));
    }

    #[test]
    fn a_run_of_ties_longer_than_a_page_goes_on_after_the_cursor() {
        let window = Window { seen: BTreeSet::from(["a".to_owned()]), resumed: true, ..Window::starting(50) };
        let step = window.step(page(&[("a", 50), ("b", 50), ("c", 50)]), key, More::AfterLastId).unwrap();
        assert_eq!(ids(&step), ["b", "c"]);
        let next = step.next.unwrap();
        assert_eq!((*next.from(), next.after()), (50, Some("c")));
        // The same cursor twice is a source that does not move: a 502, not a loop.
        let err = next.step(page(&[]), key, More::Cursor("c".into())).unwrap_err();
        assert_eq!(err.status(), 502);
        let err = next.step(page(&[]), key, More::AfterLastId).unwrap_err();
        assert_eq!(err.status(), 502);
    }

    #[test]
    fn records_out_of_order_or_before_the_window_are_a_502() {
        let window = Window::starting(10);
        assert_eq!(window.step(page(&[("1", 20), ("2", 15)]), key, More::No).unwrap_err().status(), 502);
        assert_eq!(window.step(page(&[("1", 5)]), key, More::No).unwrap_err().status(), 502);
    }

    #[test]
    fn the_checkpoint_never_moves_back_nor_past_the_cap() {
        let meta: ContactSyncMeta = serde_json::from_str(r#"{"synchronization_checkpoint": "100"}"#).unwrap();
        let window = Window::<i64>::open(&meta, |c| c.unwrap() - 30).unwrap();
        assert_eq!(*window.from(), 70);
        // Only records older than the checkpoint (the lag margin): the checkpoint stays.
        assert_eq!(window.step(page(&[("1", 80)]), key, More::No).unwrap().checkpoint, 100);
        assert_eq!(window.step(page(&[]), key, More::No).unwrap().checkpoint, 100);
        let capped = window.clone().settled(120);
        let step = capped.step(page(&[("1", 110), ("2", 130)]), key, More::Cursor("x".into())).unwrap();
        assert_eq!(step.checkpoint, 120);
        // The cap travels in the context, and holds on the next page.
        let next = step.next.unwrap();
        let resumed = Window::<i64>::resume(&next.offset(), next.context().as_ref()).unwrap().settled(999);
        assert_eq!(resumed.step(page(&[("3", 140)]), key, More::No).unwrap().checkpoint, 120);
        // An initial sync over an empty source answers where it started.
        assert_eq!(Window::starting(0).step(page(&[]), key, More::No).unwrap().checkpoint, 0);
    }

    #[test]
    fn a_sync_until_an_end_sends_what_is_before_it_and_answers_the_end() {
        let meta: ContactSyncMeta = serde_json::from_str(r#"{"synchronization_checkpoint": "50"}"#).unwrap();
        let window = Window::<i64>::open(&meta, |c| c.unwrap_or(0)).unwrap().until(100);
        assert_eq!(window.end(), Some(&100));
        // A middle page: the newest sent, inclusive; the end travels in the context and holds on the next page.
        let step = window.step(page(&[("1", 60), ("2", 70)]), key, More::AfterLastId).unwrap();
        assert_eq!((ids(&step), step.checkpoint), (vec!["1", "2"], 70));
        let next = step.next.unwrap();
        let resumed = Window::<i64>::resume(&next.offset(), next.context().as_ref()).unwrap().until(999);
        assert_eq!(resumed.end(), Some(&100));
        // Records at or past the end are not sent, and end the sync whatever the source said of more.
        let step = resumed.step(page(&[("3", 99), ("4", 100), ("5", 120)]), key, More::AfterLastId).unwrap();
        assert_eq!((ids(&step), &step.next, step.checkpoint), (vec!["3"], &None, 100));
        // A last page before the end also answers the end: everything before it was sent.
        assert_eq!(window.step(page(&[("1", 60)]), key, More::No).unwrap().checkpoint, 100);
        assert_eq!(window.step(page(&[]), key, More::No).unwrap().checkpoint, 100);
        // Never backwards: an end before the sync's checkpoint answers the checkpoint.
        let behind = Window::<i64>::open(&meta, |c| c.unwrap_or(0)).unwrap().until(40);
        assert_eq!(behind.step(page(&[("1", 60)]), key, More::No).unwrap().checkpoint, 50);
        // With a cap too, the cap wins.
        let capped = Window::<i64>::starting(0).until(100).settled(80);
        assert_eq!(capped.step(page(&[("1", 60)]), key, More::No).unwrap().checkpoint, 80);
        // A page that is not the first does not set an end.
        assert_eq!(Window::<i64>::resume("7", None).unwrap().until(9).end(), None);
        // An end that is not this bridge's is a 400 naming the context.
        let err = Window::<i64>::resume("12", Some(&json!({"from": "12", "until": "later"}))).unwrap_err();
        assert_eq!(err.fields()[0].field, "meta.context");
    }

    #[test]
    fn a_key_that_cannot_be_read_is_the_answer() {
        let key = |record: &(String, &str)| -> Result<(i64, String), Error> {
            let modified = record.1.parse().map_err(|_| Error::upstream("an unreadable time of change"))?;
            Ok((modified, record.0.clone()))
        };
        let records = |items: &[(&str, &'static str)]| -> Vec<(String, &'static str)> {
            items.iter().map(|(id, m)| ((*id).to_owned(), *m)).collect()
        };
        let window = Window::starting(0);
        let step = window.try_step(records(&[("1", "10"), ("2", "20")]), key, More::No).unwrap();
        assert_eq!((step.send.len(), step.checkpoint), (2, 20));
        let err = window.try_step(records(&[("1", "10"), ("2", "soon")]), key, More::No).unwrap_err();
        assert_eq!((err.status(), err.message()), (502, "an unreadable time of change"));
        // The same checks as `step` after the keys are read.
        let err = window.try_step(records(&[("1", "20"), ("2", "10")]), key, More::No).unwrap_err();
        assert_eq!(err.status(), 502);
    }

    #[test]
    fn offsets_and_contexts_round_trip() {
        let window: Window<String> = Window {
            after: Some("2+00".into()),
            seen: BTreeSet::from(["7".into()]),
            resumed: true,
            ..Window::starting("2024-06-03T12:00:00+02:00 50%".to_owned())
        };
        let offset = window.offset();
        assert_eq!(offset, "2024-06-03T12:00:00%2B02:00 50%25+2+00");
        let back = Window::<String>::resume(&offset, window.context().as_ref()).unwrap();
        assert_eq!(back, window);
        // Another window's context is not this one's.
        let other = Window::<i64>::resume("12", Some(&json!({"from": "13", "seen": ["1"]}))).unwrap();
        assert!(other.seen().is_empty());
        for bad in ["", "x", "12+", "1.5", "%", "%2"] {
            let err = Window::<i64>::resume(bad, None).unwrap_err();
            assert_eq!(err.fields()[0].field, "meta.offset", "{bad:?}");
        }
        let err = Window::<i64>::resume("12", Some(&json!({"from": "12", "seen": 5}))).unwrap_err();
        assert_eq!(err.fields()[0].field, "meta.context");
        let err = Window::<i64>::resume("12", Some(&json!({"from": "12", "settled": "soon"}))).unwrap_err();
        assert_eq!(err.fields()[0].field, "meta.context");
    }
}
