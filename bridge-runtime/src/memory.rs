//! What a bridge remembers across requests and replicas, through its [store](crate::store): actions that run once
//! (`Bridge::dedupe`, `dedupe = "10m"`) and lookups that share their answers (`Bridge::cache`, `cache = "30s"`).
//!
//! Both wrap a mounted endpoint with one algorithm. A request is named by a keyed hash of its endpoint, its `auth`
//! (the credentials' identity: never the credentials), its `meta` and its `data`, each as canonical JSON (keys
//! sorted), so the same request names the same key on every replica. Then:
//!
//! 1. an answer in the store is the answer (`store=hit`);
//! 2. otherwise the request claims the key (on this replica first, then with set-if-absent in the store), runs,
//!    and stores a successful answer (`201` for an action, `200` for a lookup) for the window; a failure is not
//!    remembered, the claim is dropped, and a repeat runs again (`store=miss`);
//! 3. a request that finds the key claimed waits for the answer, within its own deadline: on this replica on the
//!    running request itself (single flight), across replicas by polling the store.
//!
//! The run is a task of its own: a client that gives up (Talkdesk's timeout, a dropped connection) does not cancel
//! it, so its answer is stored for the repeat. An action run for a contact drops that contact's cached lookups (a
//! ticket just created shows at once); an action without a contact drops the account's.
//!
//! The store failing (Redis down, slow, restarted) never fails a request: the request runs as if nothing were
//! remembered (`store=unavailable`), with a warning and `bridge_store_failures`; identical requests at once on
//! one replica still share one run.

use crate::endpoint::{EndpointInfo, EndpointKind};
use crate::error::Error;
use crate::pipeline::{logged, EndpointFn};
use crate::reply::{json_response, Response, ResponseBody};
use crate::store::{Key, Store, StoreError};
use crate::telemetry::Metrics;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// How often a request waiting for another replica's run looks at the store.
const POLL: Duration = Duration::from_millis(20);

/// What an endpoint remembers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Remember {
    /// An action: its successful answer, for the window (actions that run once).
    Dedupe(Duration),
    /// A lookup: its answer, for the time to live (lookups that share their answers).
    Cache(Duration),
}

impl Remember {
    /// What an endpoint of `kind` remembers for `duration`, or why it cannot.
    pub(crate) fn of(kind: EndpointKind, duration: Duration) -> Result<Self, &'static str> {
        if duration.is_zero() {
            return Err("a window of zero remembers nothing");
        }
        match kind {
            EndpointKind::Action => Ok(Self::Dedupe(duration)),
            EndpointKind::InteractionRetrieval => Ok(Self::Cache(duration)),
            EndpointKind::AuthValidation | EndpointKind::ContactSync | EndpointKind::AgentSync => {
                Err("only actions (dedupe) and interaction retrievers (cache) are remembered")
            }
        }
    }
}

/// How a request was answered with regard to the store: on its log line (`store=…`) and in
/// `bridge_store_answers{outcome}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Recall {
    /// From the store (or from the same request running on this replica).
    Hit,
    /// Run, and remembered if it succeeded.
    Miss,
    /// Run without the store, which failed.
    Unavailable,
}

impl Recall {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Hit => "hit",
            Self::Miss => "miss",
            Self::Unavailable => "unavailable",
        }
    }
}

/// The bridge's memory: its store, its metrics, and the runs in flight on this replica.
pub(crate) struct Memory {
    store: Store,
    metrics: Arc<Metrics>,
    flights: Mutex<HashMap<Key, watch::Receiver<Flight>>>,
}

/// A run on this replica, as the requests that wait for it see it.
#[derive(Clone)]
enum Flight {
    Running,
    /// Its answer, when it was remembered.
    Done(Option<Arc<Stored>>),
}

/// A remembered answer: its status and JSON body.
struct Stored {
    status: u16,
    body: Bytes,
}

/// The claim marker's first byte, and a stored answer's.
const RUNNING: u8 = 0;
const ANSWER: u8 = 1;

impl Stored {
    fn encode(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(3 + self.body.len());
        bytes.push(ANSWER);
        bytes.extend_from_slice(&self.status.to_be_bytes());
        bytes.extend_from_slice(&self.body);
        bytes
    }

    /// `None` for the claim marker (or anything else).
    fn decode(bytes: &[u8]) -> Option<Self> {
        match bytes {
            [ANSWER, high, low, body @ ..] => {
                Some(Self { status: u16::from_be_bytes([*high, *low]), body: Bytes::copy_from_slice(body) })
            }
            _ => None,
        }
    }

    fn response(&self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        recalled(json_response(status, self.body.clone()), Recall::Hit)
    }
}

/// One request, as the memory names it.
struct Named {
    key: Key,
    /// Lookups: the tags the answer is stored under. Actions: the tags their success drops.
    tags: Vec<Key>,
    remember: Remember,
}

impl Memory {
    pub(crate) fn new(store: Store, metrics: Arc<Metrics>) -> Arc<Self> {
        Arc::new(Self { store, metrics, flights: Mutex::new(HashMap::new()) })
    }

    /// `call`, remembering as `remember` says; `deadline` is the endpoint's.
    pub(crate) fn wrap(
        self: &Arc<Self>,
        call: EndpointFn,
        info: EndpointInfo,
        remember: Remember,
        deadline: Duration,
    ) -> EndpointFn {
        let memory = Arc::clone(self);
        Arc::new(move |headers: HeaderMap, body: Bytes| {
            // A body that is not an envelope is the pipeline's to refuse, with its `400`.
            let Some(named) = memory.name(info, remember, &body) else {
                return call(headers, body);
            };
            let (memory, call) = (Arc::clone(&memory), Arc::clone(&call));
            Box::pin(async move { memory.answer(named, call, headers, body, deadline).await })
        })
    }

    fn name(&self, info: EndpointInfo, remember: Remember, body: &[u8]) -> Option<Named> {
        let envelope: Value = serde_json::from_slice(body).ok()?;
        let object = envelope.as_object()?;
        let part = |name: &str| canonical(object.get(name).unwrap_or(&Value::Null));
        let (auth, meta, data) = (part("auth"), part("meta"), part("data"));
        let contact = |within: &str| {
            object.get(within)?.get("contact_external_id").and_then(|id| match id {
                Value::String(id) => Some(id.clone()),
                Value::Number(id) => Some(id.to_string()),
                _ => None,
            })
        };
        let account = self.store.key("account", &[&auth]);
        let (namespace, tags) = match remember {
            Remember::Dedupe(_) => {
                let drops = match contact("meta") {
                    Some(id) => self.store.key("contact", &[&auth, id.as_bytes()]),
                    None => account,
                };
                ("dedupe", vec![drops])
            }
            Remember::Cache(_) => {
                let mut tags = vec![account];
                if let Some(id) = contact("data") {
                    tags.push(self.store.key("contact", &[&auth, id.as_bytes()]));
                }
                ("lookup", tags)
            }
        };
        let key = self.store.key(namespace, &[info.path.as_bytes(), &auth, &meta, &data]);
        Some(Named { key, tags, remember })
    }

    async fn answer(
        self: Arc<Self>,
        named: Named,
        call: EndpointFn,
        headers: HeaderMap,
        body: Bytes,
        deadline: Duration,
    ) -> Response {
        // The whole request keeps to the endpoint's deadline: an action waits for a run of the same request until
        // then (a second run is what dedupe prevents); a lookup waits half of it, and then runs itself in the rest.
        let end = Instant::now() + deadline;
        let until = match named.remember {
            Remember::Dedupe(_) => end,
            Remember::Cache(_) => end - deadline / 2,
        };
        loop {
            // A run of the same request on this replica: wait for it.
            let following = self.lock().get(&named.key).cloned();
            if let Some(mut flight) = following {
                let waited = tokio::time::timeout_at(until, async {
                    match flight.wait_for(|f| matches!(f, Flight::Done(_))).await {
                        Ok(done) => match &*done {
                            Flight::Done(stored) => stored.clone(),
                            Flight::Running => None,
                        },
                        // Its sender is gone without an answer.
                        Err(_) => None,
                    }
                })
                .await;
                match waited {
                    Ok(Some(stored)) => return stored.response(),
                    // It failed (not remembered) or is gone: this request runs, or finds another run to wait for.
                    Ok(None) => continue,
                    Err(_) => return self.gave_up(&named, call, headers, body, end).await,
                }
            }
            // Whether the store answers: without it, this replica's own flights are still shared.
            let shared = match self.store.get(&named.key).await {
                Ok(Some(value)) => {
                    if let Some(stored) = Stored::decode(&value) {
                        return stored.response();
                    }
                    // Claimed by a run on another replica: wait for its answer.
                    if !self.pause(until).await {
                        return self.gave_up(&named, call, headers, body, end).await;
                    }
                    continue;
                }
                Ok(None) => true,
                Err(error) => {
                    self.failed("read", &error);
                    false
                }
            };
            let Some(flight) = self.claim_here(&named.key) else {
                continue;
            };
            if !shared {
                return self.run(named, flight, call, headers, body, false).await;
            }
            let claim_ttl = deadline + Duration::from_secs(1);
            match self.store.set_if_absent(&named.key, &[RUNNING], claim_ttl).await {
                Ok(true) => return self.run(named, flight, call, headers, body, true).await,
                Ok(false) => {
                    drop(flight);
                    if !self.pause(until).await {
                        return self.gave_up(&named, call, headers, body, end).await;
                    }
                }
                Err(error) => {
                    self.failed("claim", &error);
                    return self.run(named, flight, call, headers, body, false).await;
                }
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, watch::Receiver<Flight>>> {
        self.flights.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Claims `key` on this replica: `None` when another request just did.
    fn claim_here(self: &Arc<Self>, key: &Key) -> Option<Claim> {
        let mut flights = self.lock();
        if flights.contains_key(key) {
            return None;
        }
        let (sender, receiver) = watch::channel(Flight::Running);
        flights.insert(key.clone(), receiver);
        Some(Claim { memory: Arc::clone(self), key: key.clone(), sender: Some(sender) })
    }

    /// Waits a little before looking at the store again: `false` when the deadline is reached.
    async fn pause(&self, until: Instant) -> bool {
        let now = Instant::now();
        if now + POLL >= until {
            return false;
        }
        tokio::time::sleep(POLL).await;
        true
    }

    /// The request runs, as its own task (a client that gives up does not cancel it), and its answer is stored
    /// (in the store when it is `shared`, for the requests waiting on this replica in any case).
    async fn run(
        self: Arc<Self>,
        named: Named,
        claim: Claim,
        call: EndpointFn,
        headers: HeaderMap,
        body: Bytes,
        shared: bool,
    ) -> Response {
        let memory = Arc::clone(&self);
        let key = shared.then(|| named.key.clone());
        let task = async move {
            let response = call(headers, body).await;
            memory.keep(named, claim, response, shared).await
        };
        match tokio::spawn(carry(task)).await {
            Ok(response) => response,
            Err(_) => {
                // The run panicked: a failure, not remembered. Its claim on this replica went with it; the one in
                // the store goes too, so that another replica's repeat runs instead of waiting its deadline out.
                if let Some(key) = key {
                    if let Err(error) = self.store.delete(&key).await {
                        self.failed("release a claim", &error);
                    }
                }
                logged(&Error::internal("the bridge failed while handling this request"))
            }
        }
    }

    /// Stores `response` when it succeeded (and drops what an action's success makes stale); releases the claim
    /// when it did not.
    async fn keep(&self, named: Named, mut claim: Claim, response: Response, shared: bool) -> Response {
        let (status, ttl, dedupe) = match named.remember {
            Remember::Dedupe(window) => (StatusCode::CREATED, window, true),
            Remember::Cache(ttl) => (StatusCode::OK, ttl, false),
        };
        let mut recall = if shared { Recall::Miss } else { Recall::Unavailable };
        if response.status() != status {
            if shared {
                if let Err(error) = self.store.delete(&named.key).await {
                    self.failed("release a claim", &error);
                }
            }
            claim.finish(None);
            return recalled(response, recall);
        }
        let (parts, body) = response.into_parts();
        let stored = Arc::new(Stored { status: status.as_u16(), body: body.into_bytes() });
        let tags: &[Key] = if dedupe { &[] } else { &named.tags };
        if !shared {
            let response = Response::from_parts(parts, ResponseBody::new(stored.body.clone()));
            claim.finish(Some(stored));
            return recalled(response, recall);
        }
        if let Err(error) = self.store.set(&named.key, &stored.encode(), ttl, tags).await {
            self.failed("store an answer", &error);
            recall = Recall::Unavailable;
            let _ = self.store.delete(&named.key).await;
        }
        if dedupe {
            for tag in &named.tags {
                if let Err(error) = self.store.delete_tag(tag).await {
                    self.failed("drop a contact's cached lookups", &error);
                }
            }
        }
        let response = Response::from_parts(parts, ResponseBody::new(stored.body.clone()));
        claim.finish(Some(stored));
        recalled(response, recall)
    }

    /// Its time to wait passed while another run of the same request held the key. A lookup runs itself (its
    /// answer is only a read), within what is left of the request's deadline (`end`); an action does not (a second
    /// run is what dedupe prevents): it answers `504`.
    async fn gave_up(
        &self,
        named: &Named,
        call: EndpointFn,
        headers: HeaderMap,
        body: Bytes,
        end: Instant,
    ) -> Response {
        match named.remember {
            Remember::Cache(_) => match tokio::time::timeout_at(end, call(headers, body)).await {
                Ok(response) => recalled(response, Recall::Miss),
                Err(_) => logged(&Error::timeout(
                    "the same lookup was still running for an earlier request, and this one's own run did not end \
                     within the deadline",
                )),
            },
            Remember::Dedupe(_) => {
                let error = Error::timeout(
                    "the same action is still running for an earlier request: its answer was not known within \
                     this request's deadline; repeat it to get that answer",
                );
                logged(&error)
            }
        }
    }

    fn failed(&self, what: &str, error: &StoreError) {
        self.metrics.store_failure();
        tracing::warn!(
            target: "bridge::store",
            backend = self.store.backend_name(),
            error = %error,
            "the store failed ({what}): answering without it"
        );
    }
}

/// `future` as part of the request being handled (its id on log lines, its trace, the metrics its calls are
/// counted in, the test kit's clock), for the run's own task: the request's one [carry](crate::scope::carry).
fn carry<F: std::future::Future>(future: F) -> impl std::future::Future<Output = F::Output> {
    crate::scope::carry(future)
}

/// `response`, marked with how it was recalled.
fn recalled(mut response: Response, recall: Recall) -> Response {
    response.extensions_mut().insert(recall);
    response
}

/// A run's claim on its key on this replica: its end (an answer or none) reaches the requests waiting for it,
/// and the claim is removed, whatever happens to the run.
struct Claim {
    memory: Arc<Memory>,
    key: Key,
    sender: Option<watch::Sender<Flight>>,
}

impl Claim {
    fn finish(&mut self, stored: Option<Arc<Stored>>) {
        self.memory.lock().remove(&self.key);
        if let Some(sender) = self.sender.take() {
            let _ = sender.send(Flight::Done(stored));
        }
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if self.sender.is_some() {
            self.finish(None);
        }
    }
}

/// `value` as canonical JSON: object keys sorted at every level, no spaces.
fn canonical(value: &Value) -> Vec<u8> {
    fn write(value: &Value, out: &mut Vec<u8>) {
        match value {
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
                out.push(b'{');
                for (i, (name, value)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write(&Value::String(name.clone()), out);
                    out.push(b':');
                    write(value, out);
                }
                out.push(b'}');
            }
            Value::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write(item, out);
                }
                out.push(b']');
            }
            scalar => out.extend_from_slice(&serde_json::to_vec(scalar).unwrap_or_default()),
        }
    }
    let mut out = Vec::new();
    write(value, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::json_response;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const ACTION: EndpointInfo =
        EndpointInfo { kind: EndpointKind::Action, path: "/actions/create_ticket", handler: "create", action: None };
    const LOOKUP: EndpointInfo = EndpointInfo {
        kind: EndpointKind::InteractionRetrieval,
        path: "/interaction_update",
        handler: "lookup",
        action: None,
    };

    /// An endpoint that counts its runs and answers `status` with the run's number after `delay`.
    fn counting(status: StatusCode, delay: Duration) -> (EndpointFn, Arc<AtomicUsize>) {
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&runs);
        let call: EndpointFn = Arc::new(move |_, _| {
            let run = counted.fetch_add(1, Ordering::SeqCst) + 1;
            Box::pin(async move {
                tokio::time::sleep(delay).await;
                json_response(status, format!("{{\"external_id\":\"{run}\"}}"))
            })
        });
        (call, runs)
    }

    fn body(auth: &str, data: &str) -> Bytes {
        Bytes::from(format!(r#"{{"auth":{auth},"meta":{{}},"data":{data}}}"#))
    }

    async fn text(response: Response) -> (u16, String, Option<Recall>) {
        let recall = response.extensions().get::<Recall>().copied();
        let status = response.status().as_u16();
        (status, String::from_utf8(response.into_body().into_bytes().to_vec()).unwrap(), recall)
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":{"d":[1,{"y":2,"x":"é"}],"c":null}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":{"c":null,"d":[1,{"x":"é","y":2}]},"b":1}"#).unwrap();
        assert_eq!(canonical(&a), canonical(&b));
        assert_eq!(String::from_utf8(canonical(&a)).unwrap(), r#"{"a":{"c":null,"d":[1,{"x":"é","y":2}]},"b":1}"#);
        let c: Value = serde_json::from_str(r#"{"a":{"c":null,"d":[{"x":"é","y":2},1]},"b":1}"#).unwrap();
        assert_ne!(canonical(&a), canonical(&c), "arrays keep their order");
    }

    #[tokio::test]
    async fn an_action_runs_once_and_a_repeat_gets_its_answer() {
        let memory = Memory::new(Store::in_process(), Arc::new(Metrics::default()));
        let (call, runs) = counting(StatusCode::CREATED, Duration::from_millis(50));
        let call = memory.wrap(call, ACTION, Remember::Dedupe(Duration::from_secs(60)), Duration::from_secs(5));
        let requests = (0..5).map(|_| call(HeaderMap::new(), body(r#"{"token":"t"}"#, r#"{"subject":"s"}"#)));
        let answers = futures_util::future::join_all(requests).await;
        let mut hits = 0;
        for answer in answers {
            let (status, text, recall) = text(answer).await;
            assert_eq!((status, text.as_str()), (201, r#"{"external_id":"1"}"#));
            hits += usize::from(recall == Some(Recall::Hit));
        }
        assert_eq!((runs.load(Ordering::SeqCst), hits), (1, 4), "one run, four repeats answered from it");
        let later = text(call(HeaderMap::new(), body(r#"{"token":"t"}"#, r#"{"subject":"s"}"#)).await).await;
        assert_eq!((later.1.as_str(), later.2), (r#"{"external_id":"1"}"#, Some(Recall::Hit)));
        // Other credentials, or other data: another run.
        let _ = call(HeaderMap::new(), body(r#"{"token":"u"}"#, r#"{"subject":"s"}"#)).await;
        let _ = call(HeaderMap::new(), body(r#"{"token":"t"}"#, r#"{"subject":"z"}"#)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_failed_run_is_not_remembered() {
        let memory = Memory::new(Store::in_process(), Arc::new(Metrics::default()));
        let (call, runs) = counting(StatusCode::BAD_GATEWAY, Duration::ZERO);
        let call = memory.wrap(call, ACTION, Remember::Dedupe(Duration::from_secs(60)), Duration::from_secs(5));
        for _ in 0..3 {
            let (status, _, recall) = text(call(HeaderMap::new(), body("{}", "{}")).await).await;
            assert_eq!((status, recall), (502, Some(Recall::Miss)));
        }
        assert_eq!(runs.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_client_that_gives_up_does_not_cancel_the_run() {
        let memory = Memory::new(Store::in_process(), Arc::new(Metrics::default()));
        let (call, runs) = counting(StatusCode::CREATED, Duration::from_millis(50));
        let call = memory.wrap(call, ACTION, Remember::Dedupe(Duration::from_secs(60)), Duration::from_secs(5));
        let first = tokio::time::timeout(Duration::from_millis(5), call(HeaderMap::new(), body("{}", "{}"))).await;
        assert!(first.is_err(), "the client gave up");
        let (status, text, recall) = text(call(HeaderMap::new(), body("{}", "{}")).await).await;
        assert_eq!((status, text.as_str(), recall), (201, r#"{"external_id":"1"}"#, Some(Recall::Hit)));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn an_action_for_a_contact_drops_its_cached_lookups() {
        let memory = Memory::new(Store::in_process(), Arc::new(Metrics::default()));
        let (lookup, lookups) = counting(StatusCode::OK, Duration::ZERO);
        let lookup = memory.wrap(lookup, LOOKUP, Remember::Cache(Duration::from_secs(30)), Duration::from_secs(5));
        let (action, _) = counting(StatusCode::CREATED, Duration::ZERO);
        let action = memory.wrap(action, ACTION, Remember::Dedupe(Duration::from_secs(60)), Duration::from_secs(5));
        let looked_up = || lookup(HeaderMap::new(), body("{}", r#"{"contact_external_id":"7"}"#));
        let other = || lookup(HeaderMap::new(), body("{}", r#"{"contact_external_id":"8"}"#));
        let _ = (looked_up().await, looked_up().await, other().await, other().await);
        assert_eq!(lookups.load(Ordering::SeqCst), 2, "each contact looked up once");
        let acted = Bytes::from(r#"{"auth":{},"meta":{"contact_external_id":7},"data":{}}"#);
        assert_eq!(action(HeaderMap::new(), acted).await.status(), 201);
        let _ = (looked_up().await, other().await);
        assert_eq!(lookups.load(Ordering::SeqCst), 3, "contact 7's lookup dropped, 8's kept");
    }

    #[tokio::test]
    async fn a_lookup_waiting_for_a_stalled_run_keeps_to_its_deadline() {
        let memory = Memory::new(Store::in_process(), Arc::new(Metrics::default()));
        let (lookup, runs) = counting(StatusCode::OK, Duration::from_secs(2));
        let deadline = Duration::from_millis(300);
        let lookup = memory.wrap(lookup, LOOKUP, Remember::Cache(Duration::from_secs(30)), deadline);
        let stalled = tokio::spawn(lookup(HeaderMap::new(), body("{}", "{}")));
        tokio::time::sleep(Duration::from_millis(20)).await;
        let began = Instant::now();
        let (status, _, _) = text(lookup(HeaderMap::new(), body("{}", "{}")).await).await;
        let took = began.elapsed();
        assert_eq!(status, 504);
        assert!(took >= deadline / 2, "it waited for the run first ({took:?})");
        assert!(took < deadline + Duration::from_millis(150), "the request kept to its deadline ({took:?})");
        assert_eq!(runs.load(Ordering::SeqCst), 2, "after half its deadline, the lookup ran itself");
        stalled.abort();
    }

    #[test]
    fn only_actions_and_lookups_remember() {
        assert_eq!(
            Remember::of(EndpointKind::Action, Duration::from_secs(1)),
            Ok(Remember::Dedupe(Duration::from_secs(1)))
        );
        assert!(Remember::of(EndpointKind::ContactSync, Duration::from_secs(1)).is_err());
        assert!(Remember::of(EndpointKind::Action, Duration::ZERO).is_err());
    }

    #[test]
    fn recalls_read_as_their_log_words() {
        let words = [Recall::Hit, Recall::Miss, Recall::Unavailable].map(Recall::as_str);
        assert_eq!(words, ["hit", "miss", "unavailable"]);
    }

    /// Two replicas of one bridge: two memories on one store, each with `call` mounted as an action.
    fn replicas(call: EndpointFn, deadline: Duration) -> [EndpointFn; 2] {
        let store = Store::in_process();
        let dedupe = Remember::Dedupe(Duration::from_secs(60));
        [store.clone(), store].map(|store| {
            Memory::new(store, Arc::new(Metrics::default())).wrap(Arc::clone(&call), ACTION, dedupe, deadline)
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_replica_waits_for_another_replicas_run_and_gets_its_answer() {
        let (call, runs) = counting(StatusCode::CREATED, Duration::from_millis(100));
        let [one, two] = replicas(call, Duration::from_secs(5));
        let first = tokio::spawn(one(HeaderMap::new(), body("{}", "{}")));
        tokio::time::sleep(Duration::from_millis(10)).await;
        let began = Instant::now();
        let (status, text, recall) = text(two(HeaderMap::new(), body("{}", "{}")).await).await;
        assert_eq!((status, text.as_str(), recall), (201, r#"{"external_id":"1"}"#, Some(Recall::Hit)));
        assert!(began.elapsed() < Duration::from_millis(90) + POLL, "it polled the store: {:?}", began.elapsed());
        assert_eq!(first.await.unwrap().status(), 201);
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn an_action_waiting_for_another_replicas_stalled_run_answers_504_within_its_deadline() {
        let (call, runs) = counting(StatusCode::CREATED, Duration::from_secs(10));
        let deadline = Duration::from_secs(1);
        let [one, two] = replicas(call, deadline);
        let stalled = tokio::spawn(one(HeaderMap::new(), body("{}", "{}")));
        tokio::time::sleep(Duration::from_millis(10)).await;
        let began = Instant::now();
        let (status, _, _) = text(two(HeaderMap::new(), body("{}", "{}")).await).await;
        let took = began.elapsed();
        assert_eq!(status, 504);
        assert!(deadline - POLL <= took && took <= deadline, "it waited its deadline, not more ({took:?})");
        assert_eq!(runs.load(Ordering::SeqCst), 1, "an action does not run twice, even past the claim's deadline");
        stalled.abort();
    }

    #[tokio::test]
    async fn an_answer_too_large_for_the_store_is_answered_and_counted_not_remembered() {
        let metrics = Arc::new(Metrics::default());
        let memory = Memory::new(Store::in_process(), Arc::clone(&metrics));
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&runs);
        let large = format!(r#"{{"note":"{}"}}"#, "x".repeat(crate::store::MAX_VALUE_BYTES));
        let call: EndpointFn = Arc::new(move |_, _| {
            counted.fetch_add(1, Ordering::SeqCst);
            let large = large.clone();
            Box::pin(async move { json_response(StatusCode::CREATED, large) })
        });
        let call = memory.wrap(call, ACTION, Remember::Dedupe(Duration::from_secs(60)), Duration::from_secs(5));
        for run in 1..=2 {
            let (status, text, recall) = text(call(HeaderMap::new(), body("{}", "{}")).await).await;
            assert_eq!(
                (status, text.len(), recall),
                (201, crate::store::MAX_VALUE_BYTES + 11, Some(Recall::Unavailable))
            );
            assert_eq!(runs.load(Ordering::SeqCst), run, "not remembered: a repeat runs again");
        }
        let metrics = metrics.encode();
        assert!(metrics.contains("bridge_store_failures_total 2"), "{metrics}");
    }

    /// An endpoint whose first run panics and whose later runs answer `status`, and the count of its runs.
    fn panics_first(status: StatusCode) -> (EndpointFn, Arc<AtomicUsize>) {
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&runs);
        let call: EndpointFn = Arc::new(move |_, _| {
            let first = counted.fetch_add(1, Ordering::SeqCst) == 0;
            Box::pin(async move {
                if first {
                    panic!("the first run panics (this test's own panic)");
                }
                json_response(status, r#"{"external_id":"2"}"#)
            })
        });
        (call, runs)
    }

    #[tokio::test(start_paused = true)]
    async fn a_run_that_panics_releases_its_claim_on_this_replica() {
        let (call, runs) = panics_first(StatusCode::OK);
        let memory = Memory::new(Store::in_process(), Arc::new(Metrics::default()));
        let lookup = memory.wrap(call, LOOKUP, Remember::Cache(Duration::from_secs(30)), Duration::from_secs(1));
        assert_eq!(lookup(HeaderMap::new(), body("{}", "{}")).await.status(), 500);
        let (status, _, recall) = text(lookup(HeaderMap::new(), body("{}", "{}")).await).await;
        assert_eq!((status, recall), (200, Some(Recall::Miss)));
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_run_that_panics_releases_its_claim_in_the_store_for_the_other_replicas() {
        let (call, runs) = panics_first(StatusCode::CREATED);
        let [one, two] = replicas(call, Duration::from_secs(5));
        assert_eq!(one(HeaderMap::new(), body("{}", "{}")).await.status(), 500);
        let began = Instant::now();
        let (status, _, recall) = text(two(HeaderMap::new(), body("{}", "{}")).await).await;
        assert_eq!((status, recall), (201, Some(Recall::Miss)), "the repeat ran, as after any failure");
        assert!(began.elapsed() < POLL, "it did not wait for a claim nobody holds ({:?})", began.elapsed());
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_lookup_waits_half_its_deadline_for_a_run_before_it_runs_itself() {
        let memory = Memory::new(Store::in_process(), Arc::new(Metrics::default()));
        let (lookup, runs) = counting(StatusCode::OK, Duration::from_secs(10));
        let deadline = Duration::from_secs(1);
        let lookup = memory.wrap(lookup, LOOKUP, Remember::Cache(Duration::from_secs(30)), deadline);
        let stalled = tokio::spawn(lookup(HeaderMap::new(), body("{}", "{}")));
        tokio::time::sleep(Duration::from_millis(10)).await;
        let began = Instant::now();
        let waiting = tokio::spawn(lookup(HeaderMap::new(), body("{}", "{}")));
        tokio::time::sleep_until(began + deadline / 2 - POLL).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1, "it waits for the run first");
        tokio::time::sleep_until(began + deadline / 2 + POLL).await;
        assert_eq!(runs.load(Ordering::SeqCst), 2, "then it runs itself");
        let (status, _, _) = text(waiting.await.unwrap()).await;
        assert_eq!((status, began.elapsed()), (504, deadline), "its own run is bounded by the rest of its deadline");
        stalled.abort();
    }
}
