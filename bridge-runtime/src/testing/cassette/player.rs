//! Answering a bridge's calls from a cassette: each call, redacted as the recording was, is matched against the
//! recorded calls by method, path, query (in any order) and body, less the fields the test declared ignorable, and
//! by who makes it: the recording numbered the credentials of its calls in the order they first appeared, and the
//! replay binds each credentials it meets, in the same order, to one of those (so a call with a rejected token is
//! answered as the rejected one was, whatever the order of the calls after that); identical calls of the same
//! credentials are answered in the order they were recorded. A call that matches nothing is never sent: the
//! bridge gets an error naming the nearest recorded call and what differs, and the test fails when the cassette is
//! checked.

use crate::recording::redact::{Filler, Redactor};
use crate::recording::{fingerprint, Body, CassetteFile, Exchange, Sent};
use crate::tap::{Answer, AuthValues, Outgoing, Replayed, Tap};
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, StatusCode};
use reqwest::Url;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Mutex;

/// A cassette being replayed: its calls, which have answered, and the calls it could not answer.
pub(crate) struct Player {
    pub(crate) source: String,
    pub(crate) file: CassetteFile,
    pub(crate) state: Mutex<PlayerState>,
}

/// What changes while a cassette is replayed.
#[derive(Default)]
pub(crate) struct PlayerState {
    /// Names of query parameters, form fields and JSON fields (at any depth) left out of matching.
    pub(crate) ignored: Vec<String>,
    pub(crate) used: Vec<bool>,
    /// Why each call that found no answer found none.
    pub(crate) misses: Vec<String>,
    pub(crate) allow_unused: bool,
    /// Installed in a test client: checked when dropped.
    pub(crate) armed: bool,
    /// Checked by the test already.
    pub(crate) checked: bool,
    /// The credentials met so far (their fingerprints), each bound to the recording's placeholder it answers as.
    pub(crate) callers: HashMap<u64, String>,
}

impl Player {
    pub(crate) fn new(source: String, file: CassetteFile) -> Self {
        let used = vec![false; file.calls.len()];
        Self { source, file, state: Mutex::new(PlayerState { used, ..PlayerState::default() }) }
    }

    pub(crate) fn state(&self) -> std::sync::MutexGuard<'_, PlayerState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The recorded calls never answered, one line each.
    pub(crate) fn unused(&self) -> Vec<String> {
        let state = self.state();
        self.file
            .calls
            .iter()
            .enumerate()
            .filter(|(at, _)| !state.used[*at])
            .map(|(at, exchange)| format!("call #{} {}", at + 1, describe(&exchange.request)))
            .collect()
    }

    /// What is wrong with the replay so far (calls with no answer; recorded calls never used, unless allowed), or
    /// `None`.
    pub(crate) fn problems(&self) -> Option<String> {
        let unused = self.unused();
        let state = self.state();
        let mut report = String::new();
        if !state.misses.is_empty() {
            let _ =
                writeln!(report, "{} call(s) of the bridge found no answer in {}:", state.misses.len(), self.source);
            for miss in &state.misses {
                let _ = writeln!(report, "- {}", miss.replace('\n', "\n  "));
            }
        }
        if !unused.is_empty() && !state.allow_unused {
            let _ = writeln!(
                report,
                "{} recorded call(s) of {} were never made (the bridge no longer makes them, or the test stops \
                 short; `Cassette::allow_unused` accepts it):",
                unused.len(),
                self.source
            );
            for line in unused {
                let _ = writeln!(report, "- {line}");
            }
        }
        (!report.is_empty()).then_some(report)
    }

    /// The answer to `call`, or why there is none.
    fn answer(&self, call: &Outgoing<'_>, auth: &AuthValues) -> Result<Answer, String> {
        let url = Url::parse(call.url).map_err(|err| format!("the call's URL `{}` is invalid: {err}", call.url))?;
        let sent = Redactor::new(&url, auth, &call.secrets).request(call.method, &url, call.headers, call.body);
        let mut state = self.state();
        let ignored = state.ignored.clone();
        let matching: Vec<usize> = (0..self.file.calls.len())
            .filter(|at| differences(&self.file.calls[*at].request, &sent, &ignored).is_empty())
            .collect();
        let caller = fingerprint(&call.secrets);
        let bound = caller.and_then(|caller| state.callers.get(&caller).cloned());
        // A recorded call answers this one when either has no credentials, or when its credentials are the ones
        // this caller is bound to (or, for a caller met for the first time, ones no other caller is bound to).
        let answers_caller = |recorded: &Option<String>| match (caller, recorded, &bound) {
            (None, _, _) | (_, None, _) => true,
            (Some(_), Some(recorded), Some(bound)) => recorded == bound,
            (Some(_), Some(recorded), None) => !state.callers.values().any(|other| other == recorded),
        };
        let found = matching
            .iter()
            .copied()
            .find(|&at| !state.used[at] && answers_caller(&self.file.calls[at].request.credentials));
        let Some(at) = found else {
            let why = self.why_not(&sent, &matching, &ignored, &state, bound.as_deref());
            state.misses.push(why.clone());
            return Err(why);
        };
        if let (Some(caller), Some(recorded), None) = (caller, &self.file.calls[at].request.credentials, &bound) {
            state.callers.insert(caller, recorded.clone());
        }
        state.used[at] = true;
        drop(state);
        let filler = Filler { origin: url.origin().ascii_serialization(), auth };
        Ok(build_answer(&self.file.calls[at], &filler))
    }

    /// The message of a call that matched nothing: the nearest recorded call and what differs.
    fn why_not(
        &self,
        sent: &Sent,
        matching: &[usize],
        ignored: &[String],
        state: &PlayerState,
        bound: Option<&str>,
    ) -> String {
        let mut why = format!("no recorded call answers {} (cassette {})", describe(sent), self.source);
        let unused: Vec<String> =
            matching.iter().filter(|at| !state.used[**at]).map(|at| format!("#{}", at + 1)).collect();
        if !unused.is_empty() {
            let theirs = |at: &usize| self.file.calls[*at].request.credentials.clone().unwrap_or_default();
            let recorded: Vec<String> = matching.iter().filter(|at| !state.used[**at]).map(theirs).collect();
            let mine = match bound {
                Some(bound) => format!("this call's credentials answer as {bound}"),
                None => "this call's credentials, met for the first time, answer as none of those, each bound to \
                         other credentials of this replay"
                    .to_owned(),
            };
            let _ = write!(
                why,
                ": call(s) {} match it, but were made with other credentials ({}); {mine}",
                unused.join(", "),
                recorded.join(", ")
            );
            return why;
        }
        if let Some(first) = matching.first() {
            let numbers: Vec<String> = matching.iter().map(|at| format!("#{}", at + 1)).collect();
            let _ = write!(
                why,
                ": call(s) {} match it, but answered earlier calls; the recording made this call {} time(s), \
                 the bridge makes it once more (call #{} is the first)",
                numbers.join(", "),
                matching.len(),
                first + 1
            );
            return why;
        }
        let nearest = self
            .file
            .calls
            .iter()
            .enumerate()
            .map(|(at, exchange)| (distance(&exchange.request, sent, ignored), at))
            .min_by_key(|(distance, at)| (*distance, *at));
        match nearest {
            None => why.push_str(": the cassette has no calls"),
            Some((_, at)) => {
                let recorded = &self.file.calls[at].request;
                let _ = write!(why, "\nthe nearest is call #{}, {}; it differs in:", at + 1, describe(recorded));
                for line in differences(recorded, sent, ignored).iter().take(12) {
                    let _ = write!(why, "\n  {line}");
                }
            }
        }
        why
    }
}

impl Tap for Player {
    fn replay(&self, call: &Outgoing<'_>, auth: &AuthValues) -> Option<Replayed> {
        Some(match self.answer(call, auth) {
            Ok(answer) => Replayed::Answer(answer),
            Err(why) => Replayed::NoMatch(why),
        })
    }

    fn record(&self, _: &Outgoing<'_>, _: &AuthValues, _: &Answer) {}

    fn replays(&self) -> bool {
        true
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        let (armed, checked) = {
            let state = self.state();
            (state.armed, state.checked)
        };
        if armed && !checked && !std::thread::panicking() {
            if let Some(problems) = self.problems() {
                panic!("{problems}");
            }
        }
    }
}

/// `GET /path?a=1&b=2`, as the cassette has it.
pub(crate) fn describe(sent: &Sent) -> String {
    let mut text = format!("{} {}", sent.method, sent.path);
    let mut first = true;
    for (name, values) in &sent.query {
        for value in values {
            text.push(if first { '?' } else { '&' });
            first = false;
            let _ = write!(text, "{name}={value}");
        }
    }
    text
}

/// How far a recorded call is from a sent one: the method weighs most, then the path, then each difference.
fn distance(recorded: &Sent, sent: &Sent, ignored: &[String]) -> usize {
    let mut distance = differences(recorded, sent, ignored).len();
    if recorded.method != sent.method {
        distance += 1000;
    }
    if recorded.path != sent.path {
        distance += 100;
    }
    distance
}

/// What differs between a recorded call and a sent one, one line each (none: they match).
pub(crate) fn differences(recorded: &Sent, sent: &Sent, ignored: &[String]) -> Vec<String> {
    let mut lines = Vec::new();
    if recorded.method != sent.method {
        lines.push(format!("method: recorded {}, sent {}", recorded.method, sent.method));
    }
    if recorded.path != sent.path {
        lines.push(format!("path: recorded `{}`, sent `{}`", recorded.path, sent.path));
    }
    compare_pairs("query", &recorded.query, &sent.query, ignored, &mut lines);
    compare_bodies(&recorded.body, &sent.body, ignored, &mut lines);
    lines
}

fn compare_pairs(
    what: &str,
    recorded: &BTreeMap<String, Vec<String>>,
    sent: &BTreeMap<String, Vec<String>>,
    ignored: &[String],
    lines: &mut Vec<String>,
) {
    let names: std::collections::BTreeSet<&String> = recorded.keys().chain(sent.keys()).collect();
    for name in names {
        if ignored.contains(name) {
            continue;
        }
        match (recorded.get(name), sent.get(name)) {
            (Some(recorded), Some(sent)) if recorded != sent => {
                lines.push(format!("{what} `{name}`: recorded {}, sent {}", shown(recorded), shown(sent)));
            }
            (Some(recorded), None) => lines.push(format!("{what} `{name}`: recorded {}, not sent", shown(recorded))),
            (None, Some(sent)) => lines.push(format!("{what} `{name}`: sent {}, not recorded", shown(sent))),
            _ => {}
        }
    }
}

/// Values as JSON: `"2"`, or `["1", "2"]`.
fn shown(values: &[String]) -> String {
    match values {
        [one] => Value::String(one.clone()).to_string(),
        many => serde_json::to_string(many).unwrap_or_default(),
    }
}

fn compare_bodies(recorded: &Body, sent: &Body, ignored: &[String], lines: &mut Vec<String>) {
    match (&recorded.json, &sent.json) {
        (Some(recorded), Some(sent)) => compare_json("body", recorded, sent, ignored, lines),
        (None, None) => {}
        (recorded, sent) => lines.push(format!(
            "body: recorded {}, sent {}",
            recorded.as_ref().map_or("no JSON".to_owned(), Value::to_string),
            sent.as_ref().map_or("no JSON".to_owned(), Value::to_string)
        )),
    }
    match (&recorded.form, &sent.form) {
        (Some(recorded), Some(sent)) => compare_pairs("form field", recorded, sent, ignored, lines),
        (None, None) => {}
        (Some(_), None) => lines.push("body: recorded a form, sent none".to_owned()),
        (None, Some(_)) => lines.push("body: sent a form, none recorded".to_owned()),
    }
    if recorded.text != sent.text {
        let shown = |text: &Option<String>| {
            text.as_ref().map_or("no text".to_owned(), |t| Value::String(t.clone()).to_string())
        };
        lines.push(format!("body: recorded {}, sent {}", shown(&recorded.text), shown(&sent.text)));
    }
    if recorded.base64 != sent.base64 {
        lines.push("body: the bytes differ".to_owned());
    }
}

/// The differences between two JSON values, by path (`body.filter.since`, `body.ids[2]`).
fn compare_json(path: &str, recorded: &Value, sent: &Value, ignored: &[String], lines: &mut Vec<String>) {
    match (recorded, sent) {
        (Value::Object(recorded), Value::Object(sent)) => {
            let keys: std::collections::BTreeSet<&String> = recorded.keys().chain(sent.keys()).collect();
            for key in keys {
                if ignored.contains(key) {
                    continue;
                }
                let at = format!("{path}.{key}");
                match (recorded.get(key), sent.get(key)) {
                    (Some(r), Some(s)) => compare_json(&at, r, s, ignored, lines),
                    (Some(r), None) => lines.push(format!("`{at}`: recorded {r}, not sent")),
                    (None, Some(s)) => lines.push(format!("`{at}`: sent {s}, not recorded")),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(r), Value::Array(s)) if r.len() == s.len() => {
            for (i, (r, s)) in r.iter().zip(s).enumerate() {
                compare_json(&format!("{path}[{i}]"), r, s, ignored, lines);
            }
        }
        (r, s) if r != s => lines.push(format!("`{path}`: recorded {r}, sent {s}")),
        _ => {}
    }
}

/// The recorded answer, its placeholders filled.
fn build_answer(exchange: &Exchange, filler: &Filler<'_>) -> Answer {
    let received = &exchange.response;
    let mut headers = HeaderMap::new();
    for (name, value) in &received.headers {
        if let (Ok(name), Ok(value)) =
            (HeaderName::try_from(name.as_str()), HeaderValue::try_from(filler.text(value).as_str()))
        {
            headers.append(name, value);
        }
    }
    let body = &received.body;
    let bytes: Bytes = if let Some(json) = &body.json {
        serde_json::to_vec(&filler.json(json)).unwrap_or_default().into()
    } else if let Some(form) = &body.form {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        for (name, values) in form {
            for value in values {
                serializer.append_pair(name, &filler.text(value));
            }
        }
        serializer.finish().into()
    } else if let Some(text) = &body.text {
        filler.text(text).into()
    } else if let Some(encoded) = &body.base64 {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap_or_else(|_| encoded.clone().into_bytes())
            .into()
    } else {
        Bytes::new()
    };
    Answer { status: StatusCode::from_u16(received.status).unwrap_or(StatusCode::BAD_GATEWAY), headers, body: bytes }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(method: &str, path: &str, query: &[(&str, &str)], json: Option<Value>) -> Sent {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in query {
            map.entry((*k).to_owned()).or_default().push((*v).to_owned());
        }
        Sent {
            method: method.to_owned(),
            path: path.to_owned(),
            query: map,
            headers: BTreeMap::new(),
            body: Body { json, ..Body::default() },
            credentials: None,
        }
    }

    #[test]
    fn differences_name_each_part() {
        let recorded = sent("GET", "/a", &[("page", "2"), ("x", "1")], Some(serde_json::json!({"f": {"since": 1}})));
        let other = sent("POST", "/b", &[("page", "3"), ("y", "1")], Some(serde_json::json!({"f": {"since": 2}})));
        assert_eq!(
            differences(&recorded, &other, &[]),
            [
                "method: recorded GET, sent POST",
                "path: recorded `/a`, sent `/b`",
                "query `page`: recorded \"2\", sent \"3\"",
                "query `x`: recorded \"1\", not sent",
                "query `y`: sent \"1\", not recorded",
                "`body.f.since`: recorded 1, sent 2",
            ]
        );
        let ignored = ["since".to_owned(), "page".to_owned(), "x".to_owned(), "y".to_owned()];
        assert_eq!(differences(&recorded, &other, &ignored).len(), 2, "method and path are never ignored");
        assert!(differences(&recorded, &recorded.clone(), &[]).is_empty());
        assert_eq!(distance(&recorded, &other, &[]), 1106);
    }

    fn player(calls: Value) -> Player {
        let text = serde_json::json!({"format": "bridge-cassette/1", "clock": "2024-06-04T09:00:00Z", "calls": calls});
        Player::new("test.json".to_owned(), CassetteFile::parse(&text.to_string()).unwrap())
    }

    fn get<'a>(url: &'a str, headers: &'a HeaderMap) -> Outgoing<'a> {
        Outgoing { method: &http::Method::GET, url, headers, body: None, secrets: Vec::new() }
    }

    fn auth() -> AuthValues {
        AuthValues(vec![("auth.email".to_owned(), "ann@acme.test".to_owned())])
    }

    #[test]
    fn identical_calls_are_answered_in_recorded_order_with_placeholders_filled() {
        let player = player(serde_json::json!([
            {"request": {"method": "GET", "path": "/users", "query": {"b": "2", "a": "1"}},
             "response": {"status": 200, "headers": {"link": "<{origin}/users?page=2>"},
                          "json": {"next": "{origin}/users?page=2", "me": "{auth.email}"}}},
            {"request": {"method": "GET", "path": "/users", "query": {"a": "1", "b": "2"}},
             "response": {"status": 429, "headers": {"retry-after": "1"}, "text": "slow down {auth.email}"}},
            {"request": {"method": "GET", "path": "/form"},
             "response": {"status": 200, "headers": {"content-type": "application/x-www-form-urlencoded"},
                          "form": {"a": ["1", "2"], "who": "{auth.email}"}}},
            {"request": {"method": "GET", "path": "/bytes"}, "response": {"status": 200, "base64": "aGk="}},
            {"request": {"method": "GET", "path": "/empty"}, "response": {"status": 204}}
        ]));
        let headers = HeaderMap::new();
        let auth = auth();
        let first = player.answer(&get("http://svc.test:8/users?a=1&b=2", &headers), &auth).unwrap();
        assert_eq!(first.status, 200);
        assert_eq!(first.headers["link"], "<http://svc.test:8/users?page=2>");
        let json: Value = serde_json::from_slice(&first.body).unwrap();
        assert_eq!(json, serde_json::json!({"next": "http://svc.test:8/users?page=2", "me": "ann@acme.test"}));
        // The query in another order is the same call: the second recording answers it.
        let second = player.answer(&get("http://svc.test:8/users?b=2&a=1", &headers), &auth).unwrap();
        assert_eq!((second.status.as_u16(), &second.body[..]), (429, &b"slow down ann@acme.test"[..]));
        let form = player.answer(&get("http://svc.test/form", &headers), &auth).unwrap();
        assert_eq!(&form.body[..], b"a=1&a=2&who=ann%40acme.test");
        let bytes = player.answer(&get("http://svc.test/bytes", &headers), &auth).unwrap();
        assert_eq!(&bytes.body[..], b"hi");
        let empty = player.answer(&get("http://svc.test/empty", &headers), &auth).unwrap();
        assert!(empty.body.is_empty());
        assert!(player.unused().is_empty());
        assert!(player.problems().is_none());
        // A third time: both matching calls answered already.
        let third = player.answer(&get("http://svc.test:8/users?a=1&b=2", &headers), &auth).unwrap_err();
        assert!(third.contains("call(s) #1, #2 match it, but answered earlier calls"), "{third}");
        assert!(third.contains("made this call 2 time(s)"), "{third}");
        assert!(player.problems().unwrap().contains("1 call(s) of the bridge found no answer in test.json"));
        player.state().checked = true;
    }

    #[test]
    fn a_miss_names_the_nearest_call_and_unused_calls_are_listed() {
        let player = player(serde_json::json!([
            {"request": {"method": "POST", "path": "/users", "json": {"name": "Ann"}}, "response": {"status": 201}},
            {"request": {"method": "GET", "path": "/users", "query": {"page": "2"}}, "response": {"status": 200}},
            {"request": {"method": "GET", "path": "/other"}, "response": {"status": 200}}
        ]));
        let headers = HeaderMap::new();
        let miss = player.answer(&get("http://svc.test/users?page=3", &headers), &auth()).unwrap_err();
        assert_eq!(
            miss,
            "no recorded call answers GET /users?page=3 (cassette test.json)\nthe nearest is call #2, GET \
             /users?page=2; it differs in:\n  query `page`: recorded \"2\", sent \"3\""
        );
        assert!(player.replays());
        assert!(matches!(player.replay(&get("http://svc.test/none", &headers), &auth()), Some(Replayed::NoMatch(_))));
        assert_eq!(player.unused(), ["call #1 POST /users", "call #2 GET /users?page=2", "call #3 GET /other"]);
        let problems = player.problems().unwrap();
        assert!(problems.contains("2 call(s) of the bridge found no answer"), "{problems}");
        assert!(problems.contains("3 recorded call(s) of test.json were never made"), "{problems}");
        player.state().allow_unused = true;
        assert!(!player.problems().unwrap().contains("never made"));
        let empty = super::tests::player(serde_json::json!([]));
        let nothing = empty.answer(&get("http://svc.test/x", &headers), &auth()).unwrap_err();
        assert!(nothing.ends_with(": the cassette has no calls"), "{nothing}");
        player.state().checked = true;
    }

    #[test]
    fn bodies_of_other_kinds_differ_plainly() {
        let form = |pairs: &[(&str, &str)]| {
            let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for (k, v) in pairs {
                map.entry((*k).to_owned()).or_default().push((*v).to_owned());
            }
            Body { form: Some(map), ..Body::default() }
        };
        let mut lines = Vec::new();
        compare_bodies(&form(&[("a", "1")]), &form(&[("a", "2")]), &[], &mut lines);
        compare_bodies(&form(&[("a", "1")]), &Body::default(), &[], &mut lines);
        compare_bodies(&Body::default(), &form(&[]), &[], &mut lines);
        let text = |t: &str| Body { text: Some(t.to_owned()), ..Body::default() };
        compare_bodies(&text("x"), &text("y"), &[], &mut lines);
        let bytes = |t: &str| Body { base64: Some(t.to_owned()), ..Body::default() };
        compare_bodies(&bytes("x"), &bytes("y"), &[], &mut lines);
        let json = |v: Value| Body { json: Some(v), ..Body::default() };
        compare_bodies(&json(serde_json::json!([1, 2])), &json(serde_json::json!([1])), &[], &mut lines);
        compare_bodies(&json(serde_json::json!({"a": 1})), &Body::default(), &[], &mut lines);
        assert_eq!(
            lines,
            [
                "form field `a`: recorded \"1\", sent \"2\"",
                "body: recorded a form, sent none",
                "body: sent a form, none recorded",
                "body: recorded \"x\", sent \"y\"",
                "body: the bytes differ",
                "`body`: recorded [1,2], sent [1]",
                "body: recorded {\"a\":1}, sent no JSON",
            ]
        );
        assert_eq!(shown(&["1".to_owned(), "2".to_owned()]), r#"["1","2"]"#);
    }

    #[test]
    fn arrays_of_one_length_differ_by_item() {
        let json = |v: Value| Body { json: Some(v), ..Body::default() };
        let mut lines = Vec::new();
        compare_bodies(
            &json(serde_json::json!({"ids": [1, 2]})),
            &json(serde_json::json!({"ids": [1, 3]})),
            &[],
            &mut lines,
        );
        assert_eq!(lines, ["`body.ids[1]`: recorded 2, sent 3"]);
    }

    #[test]
    fn a_cassette_a_client_replayed_checks_itself_when_dropped_unless_checked() {
        let text = serde_json::json!({"format": "bridge-cassette/1", "clock": "2024-06-04T09:00:00Z", "calls": [
            {"request": {"method": "GET", "path": "/a"}, "response": {"status": 200}}]})
        .to_string();
        // Never given to a client: nothing to say.
        drop(super::super::Cassette::from_json("quiet.json", &text).unwrap());
        // Given to a client, a call never made: a panic naming it when the last handle goes.
        let armed = super::super::Cassette::from_json("armed.json", &text).unwrap();
        let tap = armed.tap();
        drop(armed);
        let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(tap))).unwrap_err();
        let message = panic.downcast_ref::<String>().unwrap();
        assert!(message.contains("1 recorded call(s) of armed.json were never made"), "{message}");
        // Checked by the test already: dropped quietly.
        let checked = super::super::Cassette::from_json("checked.json", &text).unwrap().allow_unused();
        let tap = checked.tap();
        checked.assert_all_used();
        drop(checked);
        drop(tap);
    }

    #[test]
    fn describes_a_call_as_a_line() {
        assert_eq!(describe(&sent("GET", "/a", &[("b", "2"), ("a", "1"), ("a", "3")], None)), "GET /a?a=1&a=3&b=2");
        assert_eq!(describe(&sent("GET", "/a", &[], None)), "GET /a");
    }

    /// A good and a rejected token to one URL, recorded in either order and replayed with other tokens (the test's,
    /// not the recording's) in another order after their first calls: each is answered as it was when recorded.
    #[test]
    fn replay_matches_on_who_is_calling() {
        use crate::recording::recorder::Recorder;
        let dir = std::env::temp_dir().join(format!("bridge-callers-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let headers = HeaderMap::new();
        let url = "http://svc.test/api/me";
        let call = |token: &'static str| Outgoing { secrets: vec![token], ..get(url, &headers) };
        let status = |code: u16| Answer {
            status: StatusCode::from_u16(code).unwrap(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        };
        for good_first in [true, false] {
            let path = dir.join(format!("callers-{good_first}.json"));
            let recorder = Recorder::create(&path).unwrap();
            // Recorded: the first credentials twice around the other's one call.
            let (first, second) = if good_first {
                (("real-good", 200), ("real-bad", 401))
            } else {
                (("real-bad", 401), ("real-good", 200))
            };
            for (token, code) in [first, second, first] {
                recorder.record(&call(token), &AuthValues::default(), &status(code));
            }
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(!text.contains("real-"), "{text}");
            assert!(text.contains("<redacted #2>"), "{text}");
            let player = Player::new("callers.json".to_owned(), CassetteFile::parse(&text).unwrap());
            // Replayed: the same credentials first, then the first one's second call before the other's.
            let replayed =
                |token: &'static str| player.answer(&call(token), &auth()).map(|answer| answer.status.as_u16());
            let (good, bad) = ("test-good", "test-bad");
            let order = if good_first { [good, good, bad] } else { [bad, bad, good] };
            let answers: Vec<u16> = order.iter().map(|token| replayed(token).unwrap()).collect();
            let expected = order.map(|token| if token == good { 200 } else { 401 });
            assert_eq!(answers, expected, "recorded with the good token first: {good_first}");
            // A third caller finds nothing of its own, and is told why.
            let miss = replayed("test-other").unwrap_err();
            assert!(miss.contains("no recorded call answers GET /api/me"), "{miss}");
            player.state().checked = true;
        }
        // Every call left: a call of the same credentials once more says they were answered already.
        let text = std::fs::read_to_string(dir.join("callers-true.json")).unwrap();
        let player = Player::new("callers.json".to_owned(), CassetteFile::parse(&text).unwrap());
        for _ in 0..2 {
            assert_eq!(player.answer(&call("x-good"), &auth()).unwrap().status, 200);
        }
        let miss = player.answer(&call("x-good"), &auth()).unwrap_err();
        assert!(miss.contains("call(s) #2 match it, but were made with other credentials (<redacted #2>); this call's credentials answer as <redacted #1>"), "{miss}");
        // A call without credentials answers as before, in recorded order.
        assert_eq!(player.answer(&get(url, &headers), &auth()).unwrap().status, 401);
        player.state().checked = true;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
