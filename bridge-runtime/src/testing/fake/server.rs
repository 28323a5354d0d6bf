//! The server under a fake ([`FakeServer`]): it listens on loopback with `TCP_NODELAY`, reads each request whole,
//! logs it, answers it with the fault waiting in the queue or with the service's own function (after the added
//! latency), and stops when the [`RunningFake`] is dropped. A fake then holds only its service's behaviour.

use super::calls::{Call, CallLog};
use super::fake_messages::{FakeRequest, FakeResponse};
use super::faults::{Fault, Faults, GARBAGE};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

type Handler = dyn Fn(&FakeRequest) -> FakeResponse + Send + Sync;
type ErrorAnswer = dyn Fn(u16) -> FakeResponse + Send + Sync;
type Spared = dyn Fn(&FakeRequest) -> bool + Send + Sync;

/// A fake service on loopback: the service's answers as a function of the request, and what a test controls
/// around it (faults, latency, the call log). Clones share all of it.
#[derive(Clone)]
pub struct FakeServer {
    handler: Arc<Handler>,
    errors: Arc<ErrorAnswer>,
    spared: Arc<Spared>,
    faults: Faults,
    calls: CallLog,
    latency_micros: Arc<AtomicU64>,
    in_flight: Arc<InFlight>,
}

/// The requests being answered (arrived, answer not yet written), and the most there were at once.
#[derive(Debug, Default)]
struct InFlight {
    now: AtomicUsize,
    most: AtomicUsize,
}

/// One request being answered, until it is dropped (answered, reset, or given up by its caller).
struct Answering<'a>(&'a InFlight);

impl<'a> Answering<'a> {
    fn begin(in_flight: &'a InFlight) -> Self {
        let now = in_flight.now.fetch_add(1, Ordering::SeqCst) + 1;
        in_flight.most.fetch_max(now, Ordering::SeqCst);
        Self(in_flight)
    }
}

impl Drop for Answering<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

impl fmt::Debug for FakeServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeServer")
            .field("faults", &self.faults.len())
            .field("latency", &self.latency())
            .finish_non_exhaustive()
    }
}

impl FakeServer {
    /// A server whose service answers each request with `handler`.
    pub fn new(handler: impl Fn(&FakeRequest) -> FakeResponse + Send + Sync + 'static) -> Self {
        Self {
            handler: Arc::new(handler),
            errors: Arc::new(|status| {
                let reason = http::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason());
                FakeResponse::json(status, &serde_json::json!({ "error": reason.unwrap_or("error") }))
            }),
            spared: Arc::new(|_| false),
            faults: Faults::default(),
            calls: CallLog::default(),
            latency_micros: Arc::new(AtomicU64::new(0)),
            in_flight: Arc::default(),
        }
    }

    /// The service's own answer for an error status the faults ask for (`429`, `503`, `500`): its error body and
    /// headers. By default, `{"error": "<reason phrase>"}`.
    pub fn errors(mut self, answer: impl Fn(u16) -> FakeResponse + Send + Sync + 'static) -> Self {
        self.errors = Arc::new(answer);
        self
    }

    /// The requests that faults leave alone (an OAuth token endpoint on another host, say): they take no fault off
    /// the queue. They wait for the latency as every other.
    pub fn spare(mut self, spared: impl Fn(&FakeRequest) -> bool + Send + Sync + 'static) -> Self {
        self.spared = Arc::new(spared);
        self
    }

    /// Keeps the latest `capacity` calls in the log (20,000 by default).
    pub fn remember(mut self, capacity: usize) -> Self {
        self.calls = CallLog::with_capacity(capacity);
        self
    }

    /// Misbehaves on the next request: faults queue up, one per request.
    pub fn inject(&self, fault: Fault) {
        self.faults.push(fault);
    }

    /// The queue of faults.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Every answer waits this long first: the round trip of a real service; requests that arrive together wait
    /// together.
    pub fn set_latency(&self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latency_micros.store(micros, Ordering::Relaxed);
    }

    /// The latency added to each answer.
    pub fn latency(&self) -> Duration {
        Duration::from_micros(self.latency_micros.load(Ordering::Relaxed))
    }

    /// The calls received so far, oldest first.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.calls()
    }

    /// The call log.
    pub fn call_log(&self) -> &CallLog {
        &self.calls
    }

    /// The most requests it was answering at once so far: how a test sees that a bridge keeps to a bound on its
    /// concurrent calls.
    pub fn most_in_flight(&self) -> usize {
        self.in_flight.most.load(Ordering::SeqCst)
    }

    /// Serves on 127.0.0.1, on a free port, until the returned handle is dropped.
    pub async fn start(&self) -> std::io::Result<RunningFake> {
        self.start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Serves on `addr` until the returned handle is dropped.
    pub async fn start_on(&self, addr: SocketAddr) -> std::io::Result<RunningFake> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel();
        tokio::spawn(accept_loop(listener, self.clone(), stopped));
        Ok(RunningFake { addr, _stop: stop })
    }

    /// The answer to one request, after the latency: its fault, or the service's answer.
    async fn answer(&self, request: &FakeRequest) -> Option<FakeResponse> {
        let fault = if (self.spared)(request) { None } else { self.faults.pop() };
        let latency = self.latency();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        Some(match fault {
            None => (self.handler)(request),
            Some(Fault::Slow(delay)) => {
                tokio::time::sleep(delay).await;
                (self.handler)(request)
            }
            Some(Fault::RateLimited { retry_after_secs }) => {
                let answer = (self.errors)(429);
                match retry_after_secs {
                    Some(seconds) => answer.header("retry-after", seconds),
                    None => answer,
                }
            }
            Some(Fault::Unavailable) => (self.errors)(503),
            Some(Fault::ServerError) => (self.errors)(500),
            Some(Fault::Garbage) => FakeResponse::text(200, "application/json; charset=utf-8", GARBAGE),
            Some(Fault::Reset) => return None,
            Some(Fault::Answer(answer)) => answer,
        })
    }

    async fn serve(&self, request: http::Request<Incoming>) -> Result<http::Response<Full<Bytes>>, std::io::Error> {
        let (parts, body) = request.into_parts();
        let body = body.collect().await.map(|collected| collected.to_bytes()).unwrap_or_default();
        let request = FakeRequest::from_parts(parts, body);
        let number = self.calls.arrived(&request);
        let answering = Answering::begin(&self.in_flight);
        let answer = self.answer(&request).await;
        drop(answering);
        match answer {
            Some(answer) => {
                self.calls.answered(number, answer.status());
                Ok(answer.into_http())
            }
            // An error from the service makes hyper close the connection without an answer.
            None => Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "the fake resets the connection")),
        }
    }
}

/// A fake being served; dropping it stops the server and closes its connections.
#[derive(Debug)]
pub struct RunningFake {
    addr: SocketAddr,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl RunningFake {
    /// `http://127.0.0.1:<port>`: the base URL to point a bridge at.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    server: FakeServer,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = &mut stopped => break,
        };
        // Without it, Nagle's algorithm and delayed ACKs stall keep-alive answers written in two segments (40 ms
        // each on Linux): the fake would look slower than the service.
        let _ = stream.set_nodelay(true);
        let server = server.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let server = server.clone();
                async move { server.serve(request).await }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
        while connections.try_join_next().is_some() {}
    }
    // Dropping the set aborts the connections still open.
}
