//! A fake external service on 127.0.0.1, for the client's own tests of what only a real exchange shows: how many
//! calls arrive and how many at once, when they arrive, and how the client paces itself on the rate budget the
//! service reports.
//!
//! It answers every call after a delay with `{"path": …}`, counts the calls and the most in flight at once, can
//! answer `503` to the first calls, and can count a **rate budget** in fixed windows, as a service does for one
//! account: past the budget it answers `429`, and each answer reports what is left in the headers of one of the
//! common conventions.

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// How the fake reports its budget.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Reports {
    /// `X-HubSpot-RateLimit-Max`, `-Remaining`, `-Interval-Milliseconds` (no reset: only the window's length).
    HubSpot,
    /// `X-RateLimit-Limit`, `-Remaining`, `-Reset` (seconds until the window resets, rounded up).
    XRateLimit,
}

/// A budget of `limit` calls in each window of `window`, counted from the fake's start.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    pub(crate) limit: u32,
    pub(crate) window: Duration,
    pub(crate) reports: Reports,
}

/// What the fake does.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Behaviour {
    pub(crate) delay: Duration,
    /// The first calls answered `503` (no `Retry-After`).
    pub(crate) unavailable_first: u32,
    pub(crate) budget: Option<Budget>,
}

#[derive(Default)]
struct Counts {
    calls: AtomicU32,
    in_flight: AtomicU32,
    most_in_flight: AtomicU32,
    too_many: AtomicU32,
    /// Calls counted in the current window: (window number, calls).
    window: Mutex<(u128, u32)>,
}

/// A running fake; it stops when dropped.
pub(crate) struct FakeService {
    pub(crate) url: reqwest::Url,
    counts: Arc<Counts>,
    server: tokio::task::JoinHandle<()>,
}

impl FakeService {
    pub(crate) async fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port on 127.0.0.1");
        let url = format!("http://{}/", listener.local_addr().expect("its address")).parse().expect("a URL");
        let counts = Arc::new(Counts::default());
        let shared = Arc::clone(&counts);
        let started = Instant::now();
        let server = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let counts = Arc::clone(&shared);
                tokio::spawn(async move {
                    let service = service_fn(move |request: hyper::Request<Incoming>| {
                        let counts = Arc::clone(&counts);
                        async move { Ok::<_, Infallible>(answer(&counts, behaviour, started, request.uri().path()).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { url, counts, server }
    }

    /// `path` on the fake.
    pub(crate) fn at(&self, path: &str) -> reqwest::Url {
        self.url.join(path).expect("a path")
    }

    pub(crate) fn calls(&self) -> u32 {
        self.counts.calls.load(Ordering::SeqCst)
    }

    pub(crate) fn most_in_flight(&self) -> u32 {
        self.counts.most_in_flight.load(Ordering::SeqCst)
    }

    /// The calls answered `429`.
    pub(crate) fn too_many(&self) -> u32 {
        self.counts.too_many.load(Ordering::SeqCst)
    }
}

impl Drop for FakeService {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn answer(counts: &Counts, behaviour: Behaviour, started: Instant, path: &str) -> http::Response<Full<Bytes>> {
    let number = counts.calls.fetch_add(1, Ordering::SeqCst) + 1;
    let now = counts.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    counts.most_in_flight.fetch_max(now, Ordering::SeqCst);
    // The budget is counted when the call arrives, as a service does.
    let report = behaviour.budget.map(|budget| {
        let elapsed = started.elapsed();
        let window = elapsed.as_nanos() / budget.window.as_nanos();
        let mut counted = counts.window.lock().unwrap();
        if counted.0 != window {
            *counted = (window, 0);
        }
        counted.1 += 1;
        let ends = budget.window * (window as u32 + 1);
        (budget, counted.1, ends - elapsed)
    });
    tokio::time::sleep(behaviour.delay).await;
    counts.in_flight.fetch_sub(1, Ordering::SeqCst);
    let mut response = http::Response::builder().header("content-type", "application/json");
    let mut status = 200;
    if number <= behaviour.unavailable_first {
        status = 503;
    }
    if let Some((budget, used, resets_in)) = report {
        if used > budget.limit {
            status = 429;
            counts.too_many.fetch_add(1, Ordering::SeqCst);
        }
        let remaining = budget.limit.saturating_sub(used).to_string();
        response = match budget.reports {
            Reports::HubSpot => response
                .header("x-hubspot-ratelimit-max", budget.limit.to_string())
                .header("x-hubspot-ratelimit-remaining", remaining)
                .header("x-hubspot-ratelimit-interval-milliseconds", budget.window.as_millis().to_string()),
            Reports::XRateLimit => response
                .header("x-ratelimit-limit", budget.limit.to_string())
                .header("x-ratelimit-remaining", remaining)
                .header("x-ratelimit-reset", resets_in.as_secs_f64().ceil().to_string()),
        };
    }
    let body = serde_json::json!({ "path": path }).to_string();
    response.status(status).body(Full::new(Bytes::from(body))).expect("a valid answer")
}
