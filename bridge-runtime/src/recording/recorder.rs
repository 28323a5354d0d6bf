//! The recorder a bridge runs with when it records (`BRIDGE_RECORD`, or `Bridge::record` in code):
//! every answered attempt of every call, redacted, appended to the cassette, and the whole file rewritten at once.
//!
//! Writing on each call is what keeps a recording whole whatever ends the process (a drain, `Ctrl-C`, a crash):
//! the file is written beside the cassette and renamed over it, so that a reader never sees half of one. Requests
//! answered at once append in turn under one lock, in the order their answers came.

use super::redact::Redactor;
use super::{credentials_placeholder, fingerprint, CassetteFile, Exchange};
use crate::protocol::TalkdeskDate;
use crate::tap::{Answer, AuthValues, Outgoing, Replayed, Tap};
use reqwest::Url;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Writes a bridge's calls to a cassette.
pub(crate) struct Recorder {
    path: PathBuf,
    cassette: Mutex<CassetteFile>,
    /// The fingerprints of the credentials met so far, in the order they first appeared (`<redacted #1>` first).
    callers: Mutex<Vec<u64>>,
}

impl Recorder {
    /// A recorder writing to `path`, which it empties now (a new recording replaces the old one): a path that
    /// cannot be written is an error at start-up, not at the first call.
    pub(crate) fn create(path: &Path) -> Result<Self, String> {
        let recorder = Self {
            path: path.to_owned(),
            cassette: Mutex::new(CassetteFile::empty(TalkdeskDate::now().to_rfc3339())),
            callers: Mutex::default(),
        };
        let cassette = recorder.cassette.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        recorder.write(&cassette)?;
        drop(cassette);
        Ok(recorder)
    }

    fn write(&self, cassette: &CassetteFile) -> Result<(), String> {
        let mut beside = self.path.clone().into_os_string();
        beside.push(".recording");
        let beside = PathBuf::from(beside);
        std::fs::write(&beside, cassette.to_text())
            .and_then(|()| std::fs::rename(&beside, &self.path))
            .map_err(|err| format!("cannot write {}: {err}", self.path.display()))
    }
}

impl Tap for Recorder {
    fn replay(&self, _: &Outgoing<'_>, _: &AuthValues) -> Option<Replayed> {
        None
    }

    fn replays(&self) -> bool {
        false
    }

    fn record(&self, call: &Outgoing<'_>, auth: &AuthValues, answer: &Answer) {
        let Ok(url) = Url::parse(call.url) else {
            return;
        };
        let redactor = Redactor::new(&url, auth, &call.secrets);
        let mut exchange = Exchange {
            request: redactor.request(call.method, &url, call.headers, call.body),
            response: redactor.answer(answer.status, &answer.headers, &answer.body),
        };
        if let Some(caller) = fingerprint(&call.secrets) {
            let mut callers = self.callers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let n = match callers.iter().position(|known| *known == caller) {
                Some(at) => at + 1,
                None => {
                    callers.push(caller);
                    callers.len()
                }
            };
            exchange.request.credentials = Some(credentials_placeholder(n));
        }
        let mut cassette = self.cassette.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if cassette.calls.is_empty() {
            // The clock of the first call: under the test kit's clock, the time it stands still at.
            cassette.clock = TalkdeskDate::now().to_rfc3339();
        }
        cassette.calls.push(exchange);
        if let Err(err) = self.write(&cassette) {
            tracing::error!(error = %err, "the cassette could not be written");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::{HeaderMap, Method, StatusCode};

    #[test]
    fn each_call_is_in_the_file_at_once_and_an_unwritable_path_is_refused() {
        let dir = std::env::temp_dir().join(format!("bridge-recorder-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.json");
        let recorder = Recorder::create(&path).unwrap();
        let empty = CassetteFile::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert!(empty.calls.is_empty());
        assert!(!recorder.replays());
        let headers = HeaderMap::new();
        let call = Outgoing {
            method: &Method::GET,
            url: "http://127.0.0.1:1/users?token=abcd1234",
            headers: &headers,
            body: None,
            secrets: vec!["abcd1234"],
        };
        assert!(recorder.replay(&call, &AuthValues::default()).is_none());
        let answer = Answer { status: StatusCode::OK, headers: HeaderMap::new(), body: Bytes::from_static(b"[]") };
        recorder.record(&call, &AuthValues::default(), &answer);
        recorder.record(&Outgoing { url: "not a url", ..call }, &AuthValues::default(), &answer);
        let written = CassetteFile::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(written.calls.len(), 1, "a call with no URL to read is not recorded");
        assert_eq!(written.calls[0].request.query["token"], ["<redacted>"]);
        assert_eq!(written.calls[0].response.body.json, Some(serde_json::json!([])));
        let _ = std::fs::remove_dir_all(&dir);
        let refused = Recorder::create(Path::new("/nonexistent-dir/c.json")).err().unwrap();
        assert!(refused.starts_with("cannot write /nonexistent-dir/c.json: "), "{refused}");
    }
}
