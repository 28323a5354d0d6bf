//! Replaying a bridge's recorded calls: a test of the bridge against its real service's answers, offline.
//!
//! A bridge records its calls with `BRIDGE_RECORD=tests/cassettes/acme.json` (or
//! [`Bridge::record`](crate::Bridge::record)) while it is driven the way Talkdesk drives it (the
//! [`Simulator`](super::Simulator), or the `bridge-conformance` command against a real account). The cassette it
//! writes has every secret redacted (always) and is made to be committed. A test then loads it as a [`Cassette`]
//! and gives it to a [`TestClient`](super::TestClient) with [`replay`](super::TestClient::replay): every call the
//! bridge makes through `bridge::http` while answering that client's requests is answered from the cassette, and
//! none opens a connection.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use bridge::http::{BaseUrl, Client};
//! use bridge::testing::{Cassette, TestClient};
//! use bridge::{Auth, Bridge, Error, Secret, State};
//!
//! #[derive(serde::Deserialize)]
//! struct Credentials { token: Secret }
//!
//! #[bridge::auth_validator]
//! async fn validate(Auth(auth): Auth<Credentials>, State(client): State<Client>) -> Result<(), Error> {
//!     let base = BaseUrl::parse("https://api.example.com").unwrap();
//!     client.get(base.join(["me"])?).bearer(&auth.token).send().await?; // 401 → credentials rejected
//!     Ok(())
//! }
//!
//! // What `BRIDGE_RECORD` wrote (by hand here): the token is a placeholder, the host `{origin}`.
//! let cassette = Cassette::from_json("inline", r#"{
//!   "format": "bridge-cassette/1",
//!   "clock": "2024-06-04T09:00:00Z",
//!   "calls": [
//!     {"request": {"method": "GET", "path": "/me", "headers": {"authorization": "<redacted>"}},
//!      "response": {"status": 200, "json": {"id": 1}}},
//!     {"request": {"method": "GET", "path": "/me", "headers": {"authorization": "<redacted>"}},
//!      "response": {"status": 401, "json": {"error": "invalid token"}}}
//!   ]
//! }"#).unwrap();
//! let bridge = Bridge::new().state(Client::builder().build().unwrap()).endpoint(validate {});
//! let client = TestClient::new(bridge).unwrap().replay(&cassette);
//! let auth = serde_json::json!({"token": "any-token"});
//! assert_eq!(client.auth_validation().auth(auth.clone()).send().await.status(), 204);
//! assert_eq!(client.auth_validation().auth(auth).send().await.status(), 401); // identical calls: in order
//! cassette.assert_all_used();
//! # }
//! ```
//!
//! **Matching.** A call is redacted as the recorded ones were, then matched by method, path, query parameters (in
//! any order) and body (JSON compared as values; forms field by field), less the names given to
//! [`Cassette::ignore`] (a timestamp the bridge computes). Headers are not compared. Identical calls are answered
//! in the order they were recorded, so every page of a recorded sync replays. The placeholders of the answers are
//! filled: `{origin}` with the origin of the call being answered, `{auth.<field>}` with the value of that field of
//! the test's request `auth`.
//!
//! **No match** is never a network call: the bridge's call fails (a `500` naming the nearest recorded call and
//! what differs), and the test fails when the cassette is checked ([`Cassette::assert_all_used`], or when the last
//! handle on a cassette a test client replayed is dropped), as it does for a recorded call never made.
//!
//! **The clock.** While a cassette is replayed, [`TalkdeskDate::now`](crate::TalkdeskDate::now) stands still at the
//! time of its first recorded call ([`Cassette::clock`]): a handler that computes a date from now must take it from
//! there for its calls to match. Record with [`TestClient::clock`](super::TestClient::clock) set and the recording
//! and its replay see the same time.
//!
//! **Not covered:** calls made outside a request (at start-up, in a task a handler spawned with `tokio::spawn`
//! without [`in_this_request`](crate::http::in_this_request)),
//! and a bridge reached over HTTP ([`TestClient::http`](super::TestClient::http)): the player is installed around
//! the requests a test client sends in process.
//!
//! **Re-recording.** [`rerecord`] runs a recording session again and returns what changed in the service's answers
//! since the last recording ([`CassetteChanges`]: statuses, fields added, removed or of another type).

mod player;
mod rerecord;

pub use rerecord::{rerecord, CassetteChanges};

use crate::protocol::TalkdeskDate;
use crate::recording::CassetteFile;
use crate::tap::Tap;
use player::Player;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// A recorded cassette, to replay in tests ([`TestClient::replay`](super::TestClient::replay)). Cheap to clone:
/// clones share which calls have answered.
///
/// Once given to a test client, it checks itself when its last handle is dropped: a call the bridge made that found
/// no answer, or a recorded call never made (unless [`allow_unused`](Self::allow_unused)), fails the test with the
/// list. [`assert_all_used`](Self::assert_all_used) does the same check where the test calls it.
#[derive(Clone)]
pub struct Cassette {
    player: Arc<Player>,
}

impl fmt::Debug for Cassette {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cassette")
            .field("source", &self.player.source)
            .field("calls", &self.player.file.calls.len())
            .finish_non_exhaustive()
    }
}

/// Why a cassette cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CassetteError {
    message: String,
}

impl CassetteError {
    fn new(message: String) -> Self {
        Self { message }
    }
}

impl fmt::Display for CassetteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CassetteError {}

impl Cassette {
    /// Reads the cassette at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, CassetteError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|err| CassetteError::new(format!("cannot read the cassette {}: {err}", path.display())))?;
        Self::from_json(&path.display().to_string(), &text)
    }

    /// Reads a cassette's JSON text; `source` names it in messages (its path, say).
    pub fn from_json(source: &str, text: &str) -> Result<Self, CassetteError> {
        let file = CassetteFile::parse(text).map_err(|err| CassetteError::new(format!("{source}: {err}")))?;
        Ok(Self { player: Arc::new(Player::new(source.to_owned(), file)) })
    }

    /// Leaves the query parameters, form fields and JSON fields (at any depth) called `name` out of matching: a
    /// value the bridge computes differently on each run (a timestamp, a random id).
    #[must_use]
    pub fn ignore(self, name: impl Into<String>) -> Self {
        self.player.state().ignored.push(name.into());
        self
    }

    /// Recorded calls the bridge never makes are not an error (a test that replays part of a shared cassette).
    #[must_use]
    pub fn allow_unused(self) -> Self {
        self.player.state().allow_unused = true;
        self
    }

    /// The number of recorded calls.
    pub fn len(&self) -> usize {
        self.player.file.calls.len()
    }

    /// Whether the cassette has no calls.
    pub fn is_empty(&self) -> bool {
        self.player.file.calls.is_empty()
    }

    /// The time of the recording's first call: what [`TalkdeskDate::now`](crate::TalkdeskDate::now) gives while
    /// the cassette is replayed.
    pub fn clock(&self) -> TalkdeskDate {
        TalkdeskDate::parse_rfc3339(&self.player.file.clock).unwrap_or_else(|_| TalkdeskDate::now())
    }

    /// The recorded calls not made yet, one line each (`call #3 GET /api/v2/users.json?page=2`).
    pub fn unused(&self) -> Vec<String> {
        self.player.unused()
    }

    /// The calls the bridge made that found no answer, each with the nearest recorded call and what differs.
    pub fn misses(&self) -> Vec<String> {
        self.player.state().misses.clone()
    }

    /// Panics, listing them, if a call of the bridge found no answer, or a recorded call was never made (unless
    /// [`allow_unused`](Self::allow_unused)). Once called, dropping the cassette checks nothing more.
    #[track_caller]
    pub fn assert_all_used(&self) {
        let problems = self.player.problems();
        self.player.state().checked = true;
        if let Some(problems) = problems {
            panic!("{problems}");
        }
    }

    /// The player, installed around a test client's requests: checked when dropped from now on.
    pub(crate) fn tap(&self) -> Arc<dyn Tap> {
        self.player.state().armed = true;
        Arc::clone(&self.player) as Arc<dyn Tap>
    }

    pub(crate) fn file(&self) -> &CassetteFile {
        &self.player.file
    }
}
