//! The external-service client against a fake upstream on 127.0.0.1: real HTTP, real connections, counted.

use bridge_runtime::http::{
    upstream_status, Backoff, BaseUrl, Client, ClientBuilder, RateLimit, RateLimitHint, StatusCode, TenantUrl, Url,
};
use bridge_runtime::{Error, ErrorKind, Secret};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};
use tokio::net::TcpListener;

// ---------------------------------------------------------------------------------------------------------------
// The fake upstream.

/// What the fake saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: hyper::HeaderMap,
}

/// What the fake answers.
#[derive(Debug, Clone)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    delay: Duration,
}

impl Reply {
    fn new(status: u16) -> Self {
        Self { status, headers: Vec::new(), body: String::new(), delay: Duration::ZERO }
    }

    fn json(status: u16, body: impl Into<String>) -> Self {
        Self { body: body.into(), ..Self::new(status) }.header("content-type", "application/json")
    }

    fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// A fake service on 127.0.0.1 that counts the TCP connections it accepts and the requests it answers.
struct Fake {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Fake {
    /// Answers request number `n` (from 0) with `reply(n, &seen)`.
    async fn start(reply: impl Fn(usize, &Seen) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let reply = Arc::new(reply);
        let (conns, reqs, log) = (connections.clone(), requests.clone(), seen.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                conns.fetch_add(1, Ordering::SeqCst);
                let (reply, reqs, log) = (reply.clone(), reqs.clone(), log.clone());
                let service = service_fn(move |req: hyper::Request<Incoming>| {
                    let (reply, reqs, log) = (reply.clone(), reqs.clone(), log.clone());
                    async move {
                        let (parts, body) = req.into_parts();
                        let _ = body.collect().await;
                        let seen = Seen {
                            method: parts.method.to_string(),
                            path: parts.uri.path().to_owned(),
                            headers: parts.headers,
                        };
                        let n = reqs.fetch_add(1, Ordering::SeqCst);
                        let answer = reply(n, &seen);
                        log.lock().unwrap().push(seen);
                        tokio::time::sleep(answer.delay).await;
                        let mut response = hyper::Response::builder().status(answer.status);
                        for (name, value) in &answer.headers {
                            response = response.header(name, value);
                        }
                        Ok::<_, Infallible>(response.body(Full::new(Bytes::from(answer.body))).unwrap())
                    }
                });
                tokio::spawn(async move {
                    let _ =
                        http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
        Self { addr, connections, requests, seen }
    }

    /// Always `reply`.
    async fn always(reply: Reply) -> Self {
        Self::start(move |_, _| reply.clone()).await
    }

    fn base(&self) -> BaseUrl {
        BaseUrl::parse(&format!("http://{}/", self.addr)).unwrap()
    }

    fn url(&self, path: &str) -> Url {
        self.base().join(path.split('/').filter(|s| !s.is_empty())).unwrap()
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// A listener on 127.0.0.1 that accepts connections and closes them at once, counting them.
async fn slammer() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (addr, accepted)
}

/// Fast defaults for tests: millisecond backoff, short timeouts.
fn builder() -> ClientBuilder {
    Client::builder()
        .service_name("Fakedesk")
        .timeout(Duration::from_secs(5))
        .max_retries(2)
        .backoff(Backoff::new(Duration::from_millis(1), Duration::from_millis(5)))
}

/// Every log line of the test process, at `TRACE`, `log` records included.
fn logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        struct Writer(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Writer {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let shared = buffer.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || Writer(shared.clone()))
            .try_init()
            .expect("the only subscriber of the tests");
        buffer
    })
    .clone()
}

fn logged() -> String {
    String::from_utf8_lossy(&logs().lock().unwrap()).into_owned()
}

// ---------------------------------------------------------------------------------------------------------------
// Status mapping.

#[tokio::test]
async fn each_status_maps_to_its_bridge_error() {
    let fake = Fake::start(|_, seen| {
        let status: u16 = seen.path.trim_start_matches("/status/").parse().unwrap();
        Reply::json(status, r#"{"error": "no ticket for tok-STATUS-1\nsorry"}"#)
    })
    .await;
    let client = builder().max_retries(0).build().unwrap();
    let token = Secret::new("tok-STATUS-1");
    let cases = [
        (401, ErrorKind::CredentialsRejected, 401),
        (403, ErrorKind::CredentialsRejected, 401),
        (404, ErrorKind::InvalidInput, 400),
        (400, ErrorKind::InvalidInput, 400),
        (409, ErrorKind::InvalidInput, 400),
        (422, ErrorKind::InvalidInput, 400),
        (405, ErrorKind::Upstream, 502),
        (415, ErrorKind::Upstream, 502),
        (408, ErrorKind::Timeout, 504),
        (429, ErrorKind::Upstream, 502),
        (500, ErrorKind::Upstream, 502),
        (502, ErrorKind::Upstream, 502),
        (503, ErrorKind::Upstream, 502),
        (504, ErrorKind::Upstream, 502),
    ];
    for (status, kind, ours) in cases {
        let err = client.get(fake.url(&format!("/status/{status}"))).bearer(&token).send().await.unwrap_err();
        assert_eq!((err.kind(), err.status()), (kind, ours), "{status}: {err:?}");
        assert_eq!(upstream_status(&err).map(|s| s.as_u16()), Some(status), "{status}");
        assert!(!format!("{err:?}").contains("tok-STATUS-1"), "{status}: {err:?}");
    }
    // Other 4xx quote the service, made safe: one line, credentials blanked.
    let err = client.get(fake.url("/status/422")).bearer(&token).send().await.unwrap_err();
    assert_eq!(
        err.message(),
        "Fakedesk refused the request (422 Unprocessable Entity): no ticket for <redacted> sorry"
    );
    assert_eq!(fake.requests(), cases.len() + 1);
}

#[tokio::test]
async fn a_404_can_be_none() {
    #[derive(Debug, Deserialize)]
    struct User {
        id: u64,
    }
    let fake = Fake::start(|_, seen| match seen.path.as_str() {
        "/users/1" => Reply::json(200, r#"{"id": 1}"#),
        _ => Reply::json(404, r#"{"error": "RecordNotFound"}"#),
    })
    .await;
    let client = builder().build().unwrap();
    let found: Option<User> = client.get(fake.url("/users/1")).fetch_optional().await.unwrap();
    assert_eq!(found.map(|u| u.id), Some(1));
    let missing: Option<User> = client.get(fake.url("/users/2")).fetch_optional().await.unwrap();
    assert!(missing.is_none());
    assert!(client.get(fake.url("/users/2")).send_optional().await.unwrap().is_none());
    let unchecked = client.get(fake.url("/users/2")).send_unchecked().await.unwrap();
    assert!(unchecked.is_not_found());
    let err = client.get(fake.url("/users/2")).fetch::<User>().await.unwrap_err();
    assert_eq!(err.status(), 400);
    assert_eq!(upstream_status(&err), Some(StatusCode::NOT_FOUND));
    assert_eq!(err.message(), "Fakedesk has no such resource (404 Not Found): RecordNotFound");
}

#[tokio::test]
async fn an_answer_that_does_not_fit_names_the_field() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Page {
        users: Vec<User>,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct User {
        email: String,
    }
    let logs = logs();
    let fake = Fake::start(|_, seen| match seen.path.as_str() {
        "/users" => {
            Reply::json(200, r#"{"users": [{"email": "a@x"}, {"email": "b@x"}, {"email": "c@x"}, {"email": null}]}"#)
        }
        _ => Reply::new(200).header("content-type", "text/html"),
    })
    .await;
    let client = builder().build().unwrap();
    let err = client.get(fake.url("/users")).fetch::<Page>().await.unwrap_err();
    assert_eq!(err.status(), 502);
    assert!(
        err.message().starts_with(
            "Fakedesk answered something the bridge cannot read: users[3].email: invalid type: null, expected a string"
        ),
        "{}",
        err.message()
    );
    let lines = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    let line = lines.lines().find(|l| l.contains("users[3].email: invalid type")).expect("the mismatch is logged");
    assert!(line.contains("WARN") && line.contains("path=/users"), "{line}");

    let err = client.get(fake.url("/page")).fetch::<Page>().await.unwrap_err();
    assert_eq!(err.status(), 502);
    assert!(err.message().starts_with("Fakedesk answered something that is not JSON"), "{}", err.message());
}

#[tokio::test]
async fn transport_failures_are_502_and_timeouts_504() {
    // Nobody listens on this port any more.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let client = builder().build().unwrap();
    let url = Url::parse(&format!("http://{closed}/x")).unwrap();
    let err = client.get(url).send().await.unwrap_err();
    assert_eq!(err.status(), 502, "{err:?}");
    assert_eq!(err.message(), "could not connect to Fakedesk, after 3 attempts");

    // A URL that is not http or https cannot be sent: a bug, not retried.
    let err = client.get(Url::parse("ftp://127.0.0.1/x").unwrap()).send().await.unwrap_err();
    assert_eq!(err.status(), 500, "{err:?}");

    let slow = Fake::always(Reply::json(200, "{}").delay(Duration::from_secs(3))).await;
    let client = builder().timeout(Duration::from_millis(100)).build().unwrap();
    let started = Instant::now();
    let err = client.get(slow.url("/slow")).send().await.unwrap_err();
    assert_eq!(err.status(), 504, "{err:?}");
    assert_eq!(err.message(), "Fakedesk did not answer within 100ms");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(slow.requests(), 1, "timeouts are not retried");
}

#[tokio::test]
async fn a_too_large_answer_is_502() {
    let fake = Fake::always(Reply::json(200, format!("\"{}\"", "x".repeat(10_000)))).await;
    let client = builder().max_response_bytes(1_000).build().unwrap();
    let err = client.get(fake.url("/big")).send().await.unwrap_err();
    assert_eq!(err.status(), 502);
    assert!(err.message().contains("larger than the bridge reads"), "{}", err.message());
}

// ---------------------------------------------------------------------------------------------------------------
// Retries.

#[tokio::test]
async fn retry_after_in_seconds_is_honoured() {
    let fake = Fake::start(|n, _| match n {
        0 => Reply::json(429, "{}").header("retry-after", "1"),
        _ => Reply::json(200, r#"{"ok": true}"#),
    })
    .await;
    let client = builder().build().unwrap();
    let started = Instant::now();
    let answer = client.post(fake.url("/tickets")).json(&"x").send().await.unwrap();
    let waited = started.elapsed();
    assert_eq!(answer.status(), 200);
    assert_eq!(fake.requests(), 2, "a 429 is retried, even for a POST");
    assert!(fake.seen.lock().unwrap().iter().all(|seen| seen.method == "POST"));
    assert!(waited >= Duration::from_secs(1) && waited < Duration::from_secs(2), "{waited:?}");
}

#[tokio::test]
async fn retry_after_as_a_date_is_honoured() {
    // HTTP dates have whole seconds: two seconds from now is between one and two seconds away.
    let fake = Fake::start(|n, _| match n {
        0 => Reply::json(503, "{}")
            .header("retry-after", httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2))),
        _ => Reply::json(200, "{}"),
    })
    .await;
    let client = builder().build().unwrap();
    let started = Instant::now();
    client.get(fake.url("/t")).send().await.unwrap();
    let waited = started.elapsed();
    assert_eq!(fake.requests(), 2);
    assert!(waited >= Duration::from_millis(900) && waited < Duration::from_millis(2600), "{waited:?}");

    // A date far away does not fit the deadline: the call ends at once, as a 502.
    let far = Fake::always(
        Reply::json(503, "{}")
            .header("retry-after", httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3600))),
    )
    .await;
    let client = builder().max_retry_after(Duration::from_secs(7200)).build().unwrap();
    let started = Instant::now();
    let err = client.get(far.url("/t")).deadline(Instant::now() + Duration::from_secs(2)).send().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(500), "{:?}", started.elapsed());
    assert_eq!(err.status(), 502);
    assert!(err.message().starts_with("Fakedesk is unavailable (503 Service Unavailable)"), "{err:?}");
    assert_eq!(far.requests(), 1);
}

#[tokio::test]
async fn retries_stop_at_the_bound() {
    let busy = Fake::always(Reply::json(503, "{}")).await;
    let client = builder().max_retries(3).build().unwrap();
    let err = client.get(busy.url("/t")).send().await.unwrap_err();
    assert_eq!(busy.requests(), 4);
    assert_eq!(err.status(), 502);
    assert_eq!(err.message(), "Fakedesk is unavailable (503 Service Unavailable), after 4 attempts");

    let limited = Fake::always(Reply::json(429, "{}")).await;
    let err = client.post(limited.url("/t")).send().await.unwrap_err();
    assert_eq!(limited.requests(), 4);
    assert_eq!(err.message(), "Fakedesk is rate-limiting the bridge (429 Too Many Requests), after 4 attempts");
    assert_eq!(upstream_status(&err), Some(StatusCode::TOO_MANY_REQUESTS));

    // No retries at all.
    let once = Fake::always(Reply::json(503, "{}")).await;
    let err = builder().max_retries(0).build().unwrap().get(once.url("/t")).send().await.unwrap_err();
    assert_eq!((once.requests(), err.status()), (1, 502));

    // A Retry-After longer than the client waits is a 502 at once.
    let patient = Fake::always(Reply::json(429, "{}").header("retry-after", "3600")).await;
    let started = Instant::now();
    let err = client.get(patient.url("/t")).send().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(patient.requests(), 1);
    assert!(err.message().contains("asks to wait 3600s"), "{}", err.message());
}

/// HubSpot's way: `429` without `Retry-After`, the policy named in the body and the window in a header.
fn hubspot_429(policy: &str) -> Reply {
    Reply::json(429, format!(r#"{{"status": "error", "errorType": "RATE_LIMIT", "policyName": "{policy}"}}"#))
        .header("x-hubspot-ratelimit-interval-milliseconds", "10000")
}

/// Reads HubSpot's 429s as the example bridge does: a secondly policy frees up within a second, a daily one not today.
fn hubspot_rate_limit() -> RateLimit {
    RateLimit::new(Backoff::new(Duration::from_millis(40), Duration::from_millis(40))).max_retries(5).hint(|_, body| {
        let body = String::from_utf8_lossy(body);
        if body.contains("\"DAILY\"") {
            RateLimitHint::GiveUp("its daily limit is spent".into())
        } else if body.contains("\"SECONDLY\"") {
            RateLimitHint::Wait(Duration::from_millis(300))
        } else {
            RateLimitHint::Backoff
        }
    })
}

#[tokio::test]
async fn a_429_without_retry_after_is_waited_out_by_the_rate_limit() {
    // No RateLimit: such a 429 is retried like a 503, within max_retries.
    let limited =
        Fake::start(|n, _| if n < 3 { hubspot_429("TEN_SECONDLY_ROLLING") } else { Reply::json(200, "{}") }).await;
    let err = builder().max_retries(1).build().unwrap().get(limited.url("/t")).send().await.unwrap_err();
    assert_eq!((limited.requests(), err.status()), (2, 502));

    // With one: its own count (max_retries(0) does not stop it), its own backoff (40 ms, not 1-5 ms).
    let limited =
        Fake::start(|n, _| if n < 3 { hubspot_429("TEN_SECONDLY_ROLLING") } else { Reply::json(200, "{}") }).await;
    let client = builder().max_retries(0).rate_limit(hubspot_rate_limit()).build().unwrap();
    let started = Instant::now();
    let answer = client.post(limited.url("/search")).json(&"q").send().await.unwrap();
    assert_eq!((answer.status().as_u16(), limited.requests()), (200, 4));
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(60), "three waits of 20..=40 ms: {waited:?}");

    // The hint's wait is honoured.
    let secondly = Fake::start(|n, _| if n == 0 { hubspot_429("SECONDLY") } else { Reply::json(200, "{}") }).await;
    let started = Instant::now();
    client.get(secondly.url("/t")).send().await.unwrap();
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(300) && waited < Duration::from_millis(1500), "{waited:?}");

    // A spent daily quota is given up at once, saying why.
    let daily = Fake::always(hubspot_429("DAILY")).await;
    let err = client.get(daily.url("/t")).send().await.unwrap_err();
    assert_eq!((daily.requests(), err.status()), (1, 502));
    assert_eq!(err.message(), "Fakedesk is rate-limiting the bridge (429 Too Many Requests): its daily limit is spent");

    // Its own bound: 5 retries, then a 502.
    let always = Fake::always(hubspot_429("TEN_SECONDLY_ROLLING")).await;
    let err = client.get(always.url("/t")).send().await.unwrap_err();
    assert_eq!(always.requests(), 6);
    assert_eq!(err.message(), "Fakedesk is rate-limiting the bridge (429 Too Many Requests), after 6 attempts");

    // The deadline bounds it: a wait that does not fit is not started.
    let always = Fake::always(hubspot_429("SECONDLY")).await;
    let started = Instant::now();
    let err = client.get(always.url("/t")).deadline(started + Duration::from_millis(200)).send().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(200));
    assert_eq!((always.requests(), err.status()), (1, 502));
    assert!(err.message().contains("would run past the call's deadline"), "{}", err.message());

    // A hint longer than max_retry_after gives up at once.
    let long = RateLimit::new(Backoff::default()).hint(|_, _| RateLimitHint::Wait(Duration::from_secs(60)));
    let client = builder().rate_limit(long).build().unwrap();
    let always = Fake::always(hubspot_429("TEN_SECONDLY_ROLLING")).await;
    let err = client.get(always.url("/t")).send().await.unwrap_err();
    assert_eq!(always.requests(), 1);
    assert!(err.message().contains("frees up in 60s, longer than the bridge waits"), "{}", err.message());

    // Retry-After still wins over the hint (and counts among the client's own retries), and a 503 is not the rate
    // limit's business.
    let asked = Fake::start(|n, _| match n {
        0 => hubspot_429("SECONDLY").header("retry-after", "0"),
        1 => Reply::json(503, "{}"),
        _ => Reply::json(200, "{}"),
    })
    .await;
    let client = builder().max_retries(2).rate_limit(hubspot_rate_limit()).build().unwrap();
    let started = Instant::now();
    client.get(asked.url("/t")).send().await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(250), "{:?}", started.elapsed());
    assert_eq!(asked.requests(), 3);
}

#[tokio::test]
async fn retries_stop_at_the_deadline() {
    // Waits of 100..=200 ms, endless retries: the deadline is what stops them.
    let busy = Fake::always(Reply::json(503, "{}")).await;
    let client = builder()
        .max_retries(1_000)
        .backoff(Backoff::new(Duration::from_millis(200), Duration::from_millis(200)))
        .build()
        .unwrap();
    let started = Instant::now();
    let deadline = started + Duration::from_millis(450);
    let err = client.get(busy.url("/t")).deadline(deadline).send().await.unwrap_err();
    let ended = Instant::now();
    if err.status() == 502 {
        // The usual case: a wait that would not fit is not started, and the call ends before its deadline.
        assert!(ended < deadline, "gave up {:?} after the deadline", ended - deadline);
        assert!(err.message().contains("would run past the call's deadline"), "{}", err.message());
    } else {
        // A wait that just fit left an attempt only a sliver of time, and the deadline cut it: a 504, on time.
        assert_eq!(err.status(), 504, "{err:?}");
        assert!(ended < deadline + Duration::from_millis(50), "{:?} after the deadline", ended - deadline);
    }
    // Waits of 100..=200 ms within 450 ms: two to five attempts.
    assert!((2..=5).contains(&busy.requests()), "{}", busy.requests());

    // A Retry-After that does not fit: at once.
    let later = Fake::always(Reply::json(503, "{}").header("retry-after", "5")).await;
    let started = Instant::now();
    let err = client.get(later.url("/t")).deadline(started + Duration::from_millis(300)).send().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(200));
    assert_eq!((later.requests(), err.status()), (1, 502));

    // The deadline passes while the service thinks: 504, on time.
    let slow = Fake::always(Reply::json(200, "{}").delay(Duration::from_secs(3))).await;
    let started = Instant::now();
    let err = client.get(slow.url("/t")).deadline(started + Duration::from_millis(200)).send().await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.status(), 504, "{err:?}");
    assert_eq!(err.message(), "the call's deadline passed before Fakedesk answered");
    assert!(took >= Duration::from_millis(190) && took < Duration::from_millis(700), "{took:?}");

    // A deadline already past: nothing is sent.
    let idle = Fake::always(Reply::json(200, "{}")).await;
    let err = client.get(idle.url("/t")).deadline(Instant::now() - Duration::from_millis(1)).send().await.unwrap_err();
    assert_eq!((err.status(), idle.requests()), (504, 0));
}

#[tokio::test]
async fn broken_connections_are_retried_only_when_idempotent() {
    let (addr, accepted) = slammer().await;
    let url = Url::parse(&format!("http://{addr}/t")).unwrap();
    let client = builder().max_retries(2).build().unwrap();
    let attempts = |expected: usize| {
        let accepted = accepted.clone();
        move || {
            let n = accepted.swap(0, Ordering::SeqCst);
            assert_eq!(n, expected);
        }
    };

    let err = client.get(url.clone()).send().await.unwrap_err();
    assert_eq!(err.status(), 502, "{err:?}");
    assert_eq!(err.message(), "the connection to Fakedesk broke during the call, after 3 attempts");
    attempts(3)();

    for method in ["PUT", "DELETE", "HEAD"] {
        let method = method.parse().unwrap();
        client.request(method, url.clone()).send().await.unwrap_err();
        attempts(3)();
    }

    let err = client.post(url.clone()).json(&1).send().await.unwrap_err();
    assert_eq!(err.message(), "the connection to Fakedesk broke during the call");
    attempts(1)();
    client.patch(url.clone()).send().await.unwrap_err();
    attempts(1)();

    client.post(url.clone()).idempotent(true).send().await.unwrap_err();
    attempts(3)();
}

#[test]
fn jitter_keeps_waits_within_bounds() {
    let backoff = Backoff::new(Duration::from_millis(10), Duration::from_millis(500));
    for retry in 0..12 {
        let (low, high) = backoff.bounds(retry);
        let ceiling = Duration::from_millis(10 * (1 << retry)).min(Duration::from_millis(500));
        assert_eq!((low, high), (ceiling / 2, ceiling), "retry {retry}");
        let waits: Vec<Duration> = (0..2_000).map(|_| backoff.delay(retry)).collect();
        let (min, max) = (*waits.iter().min().unwrap(), *waits.iter().max().unwrap());
        assert!(low <= min && max <= high, "retry {retry}: {min:?}..{max:?} outside {low:?}..{high:?}");
        // The jitter really spreads the waits over the range.
        let tenth = (high - low) / 10;
        assert!(min < low + tenth && max > high - tenth, "retry {retry}: {min:?}..{max:?}");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Where calls go.

#[tokio::test]
async fn redirects_are_not_followed() {
    let elsewhere = Fake::always(Reply::json(200, "{}")).await;
    let target = format!("http://{}/landing", elsewhere.addr);
    let fake = Fake::always(Reply::new(302).header("location", target)).await;
    let client = builder().build().unwrap();

    let err = client.get(fake.url("/t")).send().await.unwrap_err();
    assert_eq!(err.status(), 502);
    assert_eq!(err.message(), "Fakedesk answered with a redirect (302 Found), which the bridge does not follow");
    let answer = client.get(fake.url("/t")).send_unchecked().await.unwrap();
    assert_eq!(answer.status(), 302);
    assert_eq!((fake.requests(), elsewhere.requests(), elsewhere.connections()), (2, 0, 0));
}

#[tokio::test]
async fn invalid_tenant_labels_send_nothing() {
    /// What a handler does with `auth.subdomain`.
    async fn lookup(client: &Client, tenants: &TenantUrl, subdomain: &str) -> Result<StatusCode, Error> {
        let base = tenants.tenant("auth.subdomain", subdomain)?;
        let answer = client.get(base.join(["api", "v2", "users.json"])?).send().await?;
        Ok(answer.status())
    }
    let fake = Fake::always(Reply::json(200, "{}")).await;
    let tenants = TenantUrl::new("zendesk.com").with_override(fake.base());
    let client = builder().build().unwrap();
    let long = "a".repeat(64);
    let refused = [
        "evil.com/",
        "a@b",
        "x.y",
        "..",
        "%2e",
        "",
        &long,
        "evil.com",
        "a b",
        "-a",
        "a-",
        "a:80",
        "a/b",
        "café",
        "a?b",
        "a#b",
        "a\\b",
        "acme ",
        "\tacme",
    ];
    for label in refused {
        let err = lookup(&client, &tenants, label).await.unwrap_err();
        assert_eq!(err.status(), 400, "{label:?}");
        assert_eq!(err.fields().len(), 1, "{label:?}");
        assert_eq!(err.fields()[0].field, "auth.subdomain", "{label:?}");
        assert!(err.message().contains("auth.subdomain"), "{label:?}: {}", err.message());
    }
    assert_eq!((fake.requests(), fake.connections()), (0, 0), "nothing was sent");

    assert_eq!(lookup(&client, &tenants, "Acme-2").await.unwrap(), 200);
    assert_eq!(fake.seen.lock().unwrap()[0].path, "/api/v2/users.json");
    assert_eq!(fake.requests(), 1);

    // Without an override, the label can only ever make https://<label>.zendesk.com/.
    let zendesk = TenantUrl::new("zendesk.com");
    assert_eq!(zendesk.tenant("f", "Acme-2").unwrap().to_string(), "https://acme-2.zendesk.com/");
    assert_eq!(zendesk.tenant("f", &"b".repeat(63)).unwrap().as_url().host_str().unwrap().len(), 63 + 12);
}

#[tokio::test]
async fn path_segments_are_percent_encoded() {
    let fake = Fake::always(Reply::json(200, "{}")).await;
    let client = builder().build().unwrap();
    let url = fake.base().join(["users", "ann/../../admin?x=1#y", "tickets"]).unwrap();
    client.get(url).send().await.unwrap();
    assert_eq!(fake.seen.lock().unwrap()[0].path, "/users/ann%2F..%2F..%2Fadmin%3Fx=1%23y/tickets");
    assert_eq!(fake.base().join(["users", ".."]).unwrap_err().status(), 400);
}

// ---------------------------------------------------------------------------------------------------------------
// The pool.

#[tokio::test]
async fn connections_are_reused() {
    let fake = Fake::always(Reply::json(200, r#"{"ok": true}"#)).await;
    let client = builder().build().unwrap();
    let shared = client.clone();
    for i in 0..1_000 {
        let which = if i % 2 == 0 { &client } else { &shared };
        let answer: serde_json::Value = which.get(fake.url("/ping")).fetch().await.unwrap();
        assert_eq!(answer["ok"], true);
    }
    assert_eq!(fake.requests(), 1_000);
    assert!(fake.connections() <= 3, "{} connections for 1000 calls", fake.connections());
}

// ---------------------------------------------------------------------------------------------------------------
// Credentials.

#[tokio::test]
async fn credentials_never_reach_the_logs() {
    const TOKEN: &str = "tok-LOGS-8f3a91c2";
    logs(); // capture from here on
    let fake = Fake::start(|_, seen| {
        // An unkind service that echoes what it was sent.
        let echoed = seen.headers.get("authorization").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        match seen.path.as_str() {
            "/ok" => Reply::json(200, r#"{"ok": true}"#),
            "/denied" => Reply::json(401, format!(r#"{{"error": "{echoed} {TOKEN}"}}"#)),
            "/refused" => Reply::json(422, format!(r#"{{"message": "bad key {TOKEN} in {echoed}"}}"#)),
            "/odd" => Reply::json(200, format!(r#"{{"count": "{TOKEN}"}}"#)),
            // Echoes the credential without its scheme: the bare token, or the bare base64 of a Basic pair.
            "/bare" => {
                let bare = echoed.split_once(' ').map_or("", |(_, credential)| credential);
                Reply::json(422, format!(r#"{{"message": "bad credential {bare}"}}"#))
            }
            _ => Reply::json(500, format!(r#"{{"error": "{TOKEN}"}}"#)),
        }
    })
    .await;
    let client = builder().max_retries(0).build().unwrap();
    let token = Secret::new(TOKEN);

    let request = client.get(fake.url("/ok")).bearer(&token).query("page", 7).query_secret("api_token", &token);
    let debug = format!("{request:?}");
    assert!(!debug.contains(TOKEN) && debug.contains("authorization") && debug.contains("?<redacted>"), "{debug}");
    request.send().await.unwrap();

    let basic = client.get(fake.url("/ok")).basic_auth("agent@acme.test/token", &token);
    assert!(!format!("{basic:?}").contains("Basic"), "{basic:?}");
    basic.send().await.unwrap();
    let header = client.get(fake.url("/ok")).secret_header("x-api-key", &token);
    header.send().await.unwrap();
    // A token in the path (an introspection endpoint), declared: the span's path shows <redacted>.
    let url = fake.base().join(["oauth", "v1", "access-tokens", &format!("{TOKEN}/+")]).unwrap();
    let err = client.get(url).secret_in_path(&Secret::new(format!("{TOKEN}/+"))).send().await.unwrap_err();
    assert_eq!(err.status(), 502);
    assert!(logged().contains("/oauth/v1/access-tokens/<redacted>"), "{}", logged());
    assert_eq!(fake.seen.lock().unwrap()[0].headers["authorization"], format!("Bearer {TOKEN}"));
    assert_eq!(fake.seen.lock().unwrap()[2].headers["x-api-key"], TOKEN);

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Odd {
        count: u32,
    }
    let mut errors = Vec::new();
    for path in ["/denied", "/refused", "/broken", "/bare"] {
        errors.push(client.get(fake.url(path)).bearer(&token).send().await.unwrap_err());
        errors.push(
            client
                .post(fake.url(path))
                .basic_auth("agent", &token)
                .json(&serde_json::json!({"x": 1}))
                .send()
                .await
                .unwrap_err(),
        );
    }
    errors.push(client.get(fake.url("/odd")).bearer(&token).fetch::<Odd>().await.unwrap_err());
    for err in &errors {
        tracing::error!(error = ?err, message = %err, "handler failed");
        assert!(!format!("{err:?}").contains(TOKEN), "{err:?}");
    }
    assert!(errors[2].message().contains("<redacted>"), "{}", errors[2].message());

    let text = logged();
    assert!(!text.contains(TOKEN), "the token is in the logs:\n{text}");
    for user in ["agent@acme.test/token", "agent"] {
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{TOKEN}"));
        assert!(!text.contains(&encoded), "a Basic credential is in the logs");
    }
    // The calls were logged: one span per call, with what it was, and never the query string.
    let answered = text
        .lines()
        .find(|l| l.contains("external call answered") && l.contains("path=/ok"))
        .expect("the call is logged");
    for field in ["method=GET", "host=127.0.0.1:", "status=200", "attempts=1", "latency_ms="] {
        assert!(answered.contains(field), "{field} missing from {answered}");
    }
    assert!(!text.contains("page=7") && !text.contains("api_token"), "the query string is logged");
}
