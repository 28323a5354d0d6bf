//! What changed in a service's answers between two recordings of the same session: the moment a service drifts
//! from what the bridge expects is the moment its cassette is re-recorded, and a diff of two big JSON files hides
//! what matters among the values that always change (ids, dates, counts). This compares what a bridge depends on:
//! which calls were made, each answer's status, and the shape of each JSON answer (fields added, removed, or of
//! another type), call by call.

use super::player::describe;
use super::{Cassette, CassetteError};
use crate::recording::{CassetteFile, Exchange};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};

/// What changed in a service's answers between two recordings, call by call (empty: nothing a bridge depends on).
///
/// Calls are paired by method, path and query, in order (the second `GET /users?page=2` of one recording with the
/// second of the other). Its `Display` is one line per change:
///
/// ```text
/// GET /api/v2/users.json?page=2 (call #2): status 200 → 429
/// GET /api/v2/users/me.json (call #1): `user.role` added (string)
/// GET /api/v2/users/me.json (call #1): `user.phone` changed type: string → null
/// GET /api/v2/tickets.json (call #4 of the last recording): no longer made
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CassetteChanges {
    lines: Vec<String>,
}

impl CassetteChanges {
    /// The changes from `old` to `new`.
    pub fn between(old: &Cassette, new: &Cassette) -> Self {
        Self::of_files(old.file(), new.file())
    }

    fn of_files(old: &CassetteFile, new: &CassetteFile) -> Self {
        let old_calls = keyed(&old.calls);
        let mut new_calls = keyed(&new.calls);
        let mut lines = Vec::new();
        for (key, (old_at, old_exchange)) in &old_calls {
            match new_calls.remove(key) {
                None => lines.push(format!(
                    "{} (call #{} of the last recording): no longer made",
                    describe(&old_exchange.request),
                    old_at + 1
                )),
                Some((new_at, new_exchange)) => {
                    let what = format!("{} (call #{})", describe(&new_exchange.request), new_at + 1);
                    let (old_answer, new_answer) = (&old_exchange.response, &new_exchange.response);
                    if old_answer.status != new_answer.status {
                        lines.push(format!("{what}: status {} → {}", old_answer.status, new_answer.status));
                    }
                    let (old_shape, new_shape) = (shape(&old_answer.body.json), shape(&new_answer.body.json));
                    for (path, types) in &new_shape {
                        match old_shape.get(path) {
                            None => lines.push(format!("{what}: `{path}` added ({})", join(types))),
                            Some(old_types) if old_types != types => lines.push(format!(
                                "{what}: `{path}` changed type: {} → {}",
                                join(old_types),
                                join(types)
                            )),
                            Some(_) => {}
                        }
                    }
                    for path in old_shape.keys().filter(|path| !new_shape.contains_key(*path)) {
                        lines.push(format!("{what}: `{path}` removed"));
                    }
                }
            }
        }
        let mut added: Vec<(usize, &Exchange)> = new_calls.into_values().collect();
        added.sort_by_key(|(at, _)| *at);
        for (at, exchange) in added {
            lines.push(format!("{} (call #{}): a new call", describe(&exchange.request), at + 1));
        }
        Self { lines }
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The changes, one line each.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }
}

impl fmt::Display for CassetteChanges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.lines.is_empty() {
            return f.write_str("no change in the service's answers");
        }
        for line in &self.lines {
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

/// Records the session again into the cassette at `path` and returns what changed in the service's answers since
/// the last recording there (every call is new when there was none).
///
/// `session` is given the path and records into it: it builds the bridge with
/// [`Bridge::record`](crate::Bridge::record) and drives it (with the [`Simulator`](crate::testing::Simulator), or a
/// test client's requests). A script or an ignored test calls it against the real account, and prints the changes:
///
/// ```no_run
/// # async fn run(build_bridge: fn() -> bridge::Bridge, auth: serde_json::Value) {
/// use bridge::testing::{rerecord, Simulator, TestClient};
///
/// let changes = rerecord("tests/cassettes/acme.json", |path| async move {
///     let client = TestClient::new(build_bridge().record(path)).unwrap();
///     Simulator::new(client, auth).run().await.assert_passes();
/// })
/// .await
/// .unwrap();
/// println!("{changes}");
/// # }
/// ```
pub async fn rerecord<F, Fut>(path: impl AsRef<Path>, session: F) -> Result<CassetteChanges, CassetteError>
where
    F: FnOnce(PathBuf) -> Fut,
    Fut: Future<Output = ()>,
{
    let path = path.as_ref();
    let old = match std::fs::read_to_string(path) {
        Ok(text) => {
            CassetteFile::parse(&text).map_err(|err| CassetteError::new(format!("{}: {err}", path.display())))?
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => CassetteFile::empty(String::new()),
        Err(err) => return Err(CassetteError::new(format!("cannot read the cassette {}: {err}", path.display()))),
    };
    session(path.to_owned()).await;
    let new = Cassette::load(path)?;
    Ok(CassetteChanges::of_files(&old, new.file()))
}

/// The calls by method, path, query and rank among identical ones.
fn keyed(calls: &[Exchange]) -> BTreeMap<(String, usize), (usize, &Exchange)> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for (at, exchange) in calls.iter().enumerate() {
        let line = describe(&exchange.request);
        let rank = seen.entry(line.clone()).or_default();
        out.insert((line, *rank), (at, exchange));
        *rank += 1;
    }
    out
}

/// A JSON answer's shape: each path (`users[].email`) with the types found there.
fn shape(json: &Option<Value>) -> BTreeMap<String, BTreeSet<&'static str>> {
    fn walk(path: &str, value: &Value, out: &mut BTreeMap<String, BTreeSet<&'static str>>) {
        let kind = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        if !path.is_empty() {
            out.entry(path.to_owned()).or_default().insert(kind);
        }
        match value {
            Value::Array(items) => items.iter().for_each(|item| walk(&format!("{path}[]"), item, out)),
            Value::Object(map) => map.iter().for_each(|(key, item)| {
                let at = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                walk(&at, item, out);
            }),
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    if let Some(json) = json {
        walk("", json, &mut out);
    }
    out
}

fn join(types: &BTreeSet<&'static str>) -> String {
    types.iter().copied().collect::<Vec<_>>().join(" or ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cassette(calls: Value) -> CassetteFile {
        let text = serde_json::json!({"format": "bridge-cassette/1", "clock": "2024-06-04T09:00:00Z", "calls": calls});
        CassetteFile::parse(&text.to_string()).unwrap()
    }

    fn call(path: &str, status: u16, json: Value) -> Value {
        serde_json::json!({"request": {"method": "GET", "path": path}, "response": {"status": status, "json": json}})
    }

    #[test]
    fn changes_are_statuses_shapes_and_calls() {
        let old = cassette(serde_json::json!([
            call("/me", 200, serde_json::json!({"user": {"id": 1, "phone": "1", "gone": true}})),
            call("/list", 200, serde_json::json!({"items": [{"a": 1}]})),
            call("/list", 200, serde_json::json!({"items": []})),
            call("/old", 200, serde_json::json!({})),
        ]));
        let new = cassette(serde_json::json!([
            call("/me", 200, serde_json::json!({"user": {"id": 2, "phone": null, "role": "admin"}})),
            call("/list", 200, serde_json::json!({"items": [{"a": "5"}]})),
            call("/list", 429, serde_json::json!({"items": []})),
            call("/new", 200, serde_json::json!({})),
        ]));
        let changes = CassetteChanges::of_files(&old, &new);
        assert_eq!(
            changes.lines(),
            [
                "GET /list (call #2): `items[].a` changed type: number → string",
                "GET /list (call #3): status 200 → 429",
                "GET /me (call #1): `user.phone` changed type: string → null",
                "GET /me (call #1): `user.role` added (string)",
                "GET /me (call #1): `user.gone` removed",
                "GET /old (call #4 of the last recording): no longer made",
                "GET /new (call #4): a new call",
            ]
        );
        assert!(CassetteChanges::of_files(&old, &old).is_empty());
        assert_eq!(CassetteChanges::default().to_string(), "no change in the service's answers");
        assert!(changes.to_string().ends_with("a new call\n"));
    }

    /// A session that records `calls` (as a bridge with `Bridge::record` would), noting that it ran.
    fn recording(
        calls: Value,
        ran: &std::sync::atomic::AtomicBool,
    ) -> impl FnOnce(PathBuf) -> std::future::Ready<()> + '_ {
        move |path| {
            ran.store(true, std::sync::atomic::Ordering::SeqCst);
            std::fs::write(path, cassette(calls).to_text()).unwrap();
            std::future::ready(())
        }
    }

    #[tokio::test]
    async fn rerecord_compares_with_the_last_recording_and_refuses_what_it_cannot_read() {
        let dir = std::env::temp_dir().join(format!("bridge-rerecord-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("acme.json");
        let ran = std::sync::atomic::AtomicBool::new(false);
        let first = serde_json::json!([call("/me", 200, serde_json::json!({"id": 1}))]);
        let changes = rerecord(&path, recording(first, &ran)).await.unwrap();
        assert_eq!(changes.lines(), ["GET /me (call #1): a new call"]);
        let last = Cassette::load(&path).unwrap();
        let second = serde_json::json!([call("/me", 500, serde_json::json!({"id": 1}))]);
        let changes = rerecord(&path, recording(second, &ran)).await.unwrap();
        assert_eq!(changes.lines(), ["GET /me (call #1): status 200 → 500"]);
        assert!(!changes.is_empty());
        assert_eq!(CassetteChanges::between(&last, &Cassette::load(&path).unwrap()), changes);
        // A path that cannot be read (a directory) is not taken for a first recording: the session never runs.
        ran.store(false, std::sync::atomic::Ordering::SeqCst);
        let err = rerecord(&dir, recording(serde_json::json!([]), &ran)).await.unwrap_err();
        assert!(err.to_string().starts_with("cannot read the cassette"), "{err}");
        assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
