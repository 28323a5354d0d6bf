//! Contact synchronization over HubSpot's search API, which stops at 10,000 results per query: every page is a
//! new query **windowed** on `lastmodifieddate`, so that no query ever goes deep.
//!
//! HubSpot's search pages with `after`, an offset into one query's results, and refuses to go past the 10,000th
//! result. Paging one query through 50,000 contacts is therefore impossible, and paging by offset is fragile
//! anyway: a contact modified during the sync moves to the end of the results, every later offset shifts by
//! one, and a contact is skipped. So each page asks afresh for the contacts modified **at or after** the newest
//! `lastmodifieddate` the previous page sent, oldest first:
//!
//! - **ties on the boundary**: several contacts can share that millisecond, and some were on the previous page:
//!   their ids travel in `context` ([`Window::seen`]) and are not sent twice;
//! - **a run of ties longer than a page** (an import that stamped hundreds of contacts with one time): the window
//!   cannot move, so the next page keeps the window and takes HubSpot's `after` within it ([`Window::after`]);
//!   only such a run of more than 10,000 contacts would reach HubSpot's limit (the bridge then answers `502`
//!   quoting HubSpot);
//! - **contacts changed during the sync** get a newer `lastmodifieddate`, so they come later in the same sync:
//!   nothing is lost, and a changed contact is sent again with its changes.
//!
//! The checkpoint is the newest `lastmodifieddate` sent (RFC 3339, milliseconds), inclusive: an incremental sync
//! starts there minus [`search_lag`](super::Config::search_lag) (HubSpot's search index trails its writes by a
//! few seconds), re-sending the few contacts of that span rather than losing one. A sync restarted from a middle
//! page's checkpoint loses nothing either.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;

/// Where a page of a sync starts: `next_offset` carries `from` and `after`; `context` carries `seen`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Window {
    /// Contacts modified at or after this (Unix milliseconds).
    pub from: i64,
    /// HubSpot's `after` within the window, while a run of equal times is longer than a page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Contacts modified exactly at `from` that were already sent.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub seen: BTreeSet<String>,
}

/// What one search page gives the sync.
#[derive(Debug, PartialEq, Eq)]
pub struct Step {
    /// The positions, in the page's results, of the contacts to send (the others were already sent).
    pub send: Vec<usize>,
    /// The next page's window, or `None` when HubSpot has nothing after this page.
    pub next: Option<Window>,
    /// The newest `lastmodifieddate` of the page, if it had results.
    pub newest: Option<i64>,
}

impl Window {
    /// The window of a first page: everything modified at or after `from`.
    pub fn starting(from: i64) -> Self {
        Self { from, after: None, seen: BTreeSet::new() }
    }

    /// The window of a later page: `offset` is what [`Window::offset`] wrote, `context` what [`Window::context`]
    /// wrote. `None` when the offset is not one of this bridge's.
    pub fn resume(offset: &str, context: Option<&Value>) -> Option<Self> {
        let (from, after) = match offset.trim().split_once('+') {
            Some((from, after)) if !after.is_empty() => (from, Some(after.to_owned())),
            Some(_) => return None,
            None => (offset.trim(), None),
        };
        let from: i64 = from.parse().ok().filter(|ms| (0..=super::mapping::MAX_MILLIS).contains(ms))?;
        // The seen ids belong to the window they were written with; another window's are ignored.
        let seen = context
            .filter(|c| c.get("from").and_then(Value::as_i64) == Some(from))
            .and_then(|c| c.get("seen"))
            .and_then(|seen| serde_json::from_value::<BTreeSet<String>>(seen.clone()).ok())
            .unwrap_or_default();
        Some(Self { from, after, seen })
    }

    /// `next_offset`: `<from>` or `<from>+<after>`.
    pub fn offset(&self) -> String {
        match &self.after {
            Some(after) => format!("{}+{after}", self.from),
            None => self.from.to_string(),
        }
    }

    /// `context`: the ids already sent at `from`, with `from` itself.
    pub fn context(&self) -> Value {
        serde_json::json!({ "from": self.from, "seen": self.seen })
    }

    /// The step a page of results makes: `results` are `(id, lastmodifieddate)` in HubSpot's ascending order,
    /// `next_after` is HubSpot's cursor to more results of the same query.
    pub fn step(&self, results: &[(String, i64)], next_after: Option<&str>) -> Step {
        let send = results
            .iter()
            .enumerate()
            .filter(|(_, (id, modified))| !(*modified == self.from && self.seen.contains(id)))
            .map(|(n, _)| n)
            .collect();
        let newest = results.iter().map(|(_, modified)| *modified).max();
        let next = next_after.map(|after| match newest {
            // The window moves on to the newest time sent, remembering who was sent at that time.
            Some(newest) if newest > self.from => Self {
                from: newest,
                after: None,
                seen: results.iter().filter(|(_, m)| *m == newest).map(|(id, _)| id.clone()).collect(),
            },
            // A run of equal times fills the page: stay in the window, go further into it.
            _ => Self { from: self.from, after: Some(after.to_owned()), seen: self.seen.clone() },
        });
        Step { send, next, newest }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(items: &[(&str, i64)]) -> Vec<(String, i64)> {
        items.iter().map(|(id, m)| ((*id).to_owned(), *m)).collect()
    }

    #[test]
    fn the_window_moves_to_the_newest_time_and_skips_who_was_sent_there() {
        let first = Window::starting(0);
        let step = first.step(&page(&[("1", 10), ("2", 20), ("3", 20)]), Some("3"));
        assert_eq!(step.send, vec![0, 1, 2]);
        let next = step.next.unwrap();
        assert_eq!((next.from, next.after.as_deref()), (20, None));
        assert_eq!(next.seen, BTreeSet::from(["2".to_owned(), "3".to_owned()]));

        // The next query starts at 20 again: 2 and 3 come back and are skipped, 4 (also at 20) is new.
        let step = next.step(&page(&[("2", 20), ("3", 20), ("4", 20), ("5", 30)]), None);
        assert_eq!(step.send, vec![2, 3]);
        assert_eq!((step.next, step.newest), (None, Some(30)));
    }

    #[test]
    fn a_run_of_ties_longer_than_a_page_goes_on_with_after() {
        let window = Window { from: 50, after: None, seen: BTreeSet::from(["a".to_owned()]) };
        let step = window.step(&page(&[("a", 50), ("b", 50), ("c", 50)]), Some("3"));
        assert_eq!(step.send, vec![1, 2]);
        let next = step.next.unwrap();
        assert_eq!((next.from, next.after.as_deref()), (50, Some("3")));
        // Nothing new at all (every result already sent): still moves on, by `after`.
        let step = window.step(&page(&[("a", 50)]), Some("1"));
        assert_eq!(step.send, Vec::<usize>::new());
        assert_eq!(step.next.unwrap().after.as_deref(), Some("1"));
    }

    #[test]
    fn offsets_and_contexts_round_trip() {
        let window = Window { from: 1_717_416_000_123, after: Some("200".into()), seen: BTreeSet::from(["7".into()]) };
        let back = Window::resume(&window.offset(), Some(&window.context())).unwrap();
        assert_eq!(back, window);
        // Another window's context is not this one's.
        let other = Window::resume("1717416000999", Some(&window.context())).unwrap();
        assert!(other.seen.is_empty());
        for bad in ["", "x", "-5", "12+", "1.5", "99999999999999999"] {
            assert_eq!(Window::resume(bad, None), None, "{bad:?}");
        }
    }
}
