//! Contact synchronization over HubSpot's search API, which stops at 10,000 results per query: every page is a
//! new query **windowed** on `lastmodifieddate` ([`bridge::sync::Window`]), so that no query ever goes deep.
//!
//! HubSpot's search pages with `after`, an offset into one query's results, and refuses to go past the 10,000th
//! result. Paging one query through 50,000 contacts is therefore impossible, and paging by offset is fragile
//! anyway: a contact modified during the sync moves to the end of the results, every later offset shifts by
//! one, and a contact is skipped. So each page asks afresh for the contacts modified **at or after** the newest
//! `lastmodifieddate` the previous page sent, oldest first; the framework's window does the rest:
//!
//! - **ties on the boundary**: the ids sent at that millisecond travel in `context` and are not sent twice;
//! - **a run of ties longer than a page** (an import that stamped hundreds of contacts with one time): the window
//!   cannot move, so the next page keeps it and takes HubSpot's `after` within it ([`bridge::sync::More::Cursor`]);
//!   only such a run of more than 10,000 contacts would reach HubSpot's limit (the bridge then answers `502`
//!   quoting HubSpot);
//! - **contacts changed during the sync** get a newer `lastmodifieddate`, so they come later in the same sync:
//!   nothing is lost, and a changed contact is sent again with its changes;
//! - **HubSpot's search index trails its writes** by a few seconds: the sync's checkpoints never pass the
//!   bridge's clock less [`search_lag`](super::Config::search_lag) when the sync started
//!   ([`bridge::sync::Window::settled`]), so a contact that shows up late in the index is read by the next sync.
//!
//! The checkpoint is the newest `lastmodifieddate` sent (RFC 3339, milliseconds), inclusive: a sync restarted
//! from a middle page's checkpoint loses nothing either.

use super::mapping;
use bridge::TalkdeskDate;
use std::fmt;
use std::str::FromStr;

/// A `lastmodifieddate` in Unix milliseconds: the window's key. Written as HubSpot writes dates
/// (`2024-06-03T12:00:00.123Z`), read back from that, from Unix milliseconds, or from Talkdesk's date format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Modified(pub i64);

impl fmt::Display for Modified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&mapping::iso_millis(self.0))
    }
}

impl FromStr for Modified {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, ()> {
        mapping::millis(text)
            .or_else(|| Some(text.trim().parse::<TalkdeskDate>().ok()?.unix_timestamp() * 1000))
            .filter(|ms| (0..=mapping::MAX_MILLIS).contains(ms))
            .map(Modified)
            .ok_or(())
    }
}

/// The bridge's clock, in Unix milliseconds, to the second: [`TalkdeskDate::now`], so that a test's clock (a
/// cassette's recording time under replay) holds the window's bound still too. A second less of precision only
/// makes the bound earlier, which loses nothing: the next sync reads what it leaves.
pub fn now() -> Modified {
    Modified(TalkdeskDate::now().unix_timestamp().saturating_mul(1000).clamp(0, mapping::MAX_MILLIS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_refuse_what_is_not_a_date() {
        let key = Modified(1_717_416_000_123);
        assert_eq!(key.to_string(), "2024-06-03T12:00:00.123Z");
        assert_eq!(key.to_string().parse(), Ok(key));
        assert_eq!("2024-06-03 12:00:00 UTC".parse(), Ok(Modified(1_717_416_000_000)));
        for bad in ["", "x", "-5", "1.5", "99999999999999999"] {
            assert_eq!(bad.parse::<Modified>(), Err(()), "{bad:?}");
        }
    }
}
