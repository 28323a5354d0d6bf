//! Where a replay test's session sends the bridge's calls: to a fake while the cassette records them, or nowhere
//! (the cassette answers). The session is one function for both, so that what it asserts holds for the recording
//! and for every replay.

use bridge::testing::fake::RunningFake;

/// The fake a session records from, or none when it replays.
pub enum Upstream<F> {
    /// Recording: the calls reach `fake`, served by `server`.
    Recording { fake: F, server: RunningFake },
    /// Replaying: a cassette answers, and there is no fake to arrange.
    Replaying,
}

impl<F> Upstream<F> {
    /// The fake, to arrange (change its data, inject a fault), while recording; `None` in replay, where the
    /// cassette already holds what the arranged fake answered.
    pub fn fake(&self) -> Option<&F> {
        match self {
            Self::Recording { fake, .. } => Some(fake),
            Self::Replaying => None,
        }
    }

    /// The fake's base URL, while recording.
    pub fn url(&self) -> Option<String> {
        match self {
            Self::Recording { server, .. } => Some(server.url()),
            Self::Replaying => None,
        }
    }
}

/// Fails naming the first of `secrets` that the cassette at `path` holds.
pub fn assert_holds_none(path: &str, secrets: &[&str]) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{path}: {err}"));
    for secret in secrets {
        assert!(!text.contains(secret), "the cassette {path} holds {secret}");
    }
}

/// The committed cassette at `path`, and a client of `bridge` (in process) whose calls it answers.
pub fn replay(path: &str, bridge: bridge::Bridge) -> (bridge::testing::Cassette, bridge::testing::TestClient) {
    let cassette = bridge::testing::Cassette::load(path).unwrap_or_else(|err| panic!("{path}: {err}"));
    let client = bridge::testing::TestClient::new(bridge).expect("the bridge builds").replay(&cassette);
    (cassette, client)
}
