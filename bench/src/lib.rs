//! What the benchmark servers share: the bridge's own types, the work each endpoint does (on bridge's protocol
//! types, [`Service`], or on plain serde structs, [`plain::Service`]), the request bodies the load generators send,
//! and the small command line every server reads.
//!
//! Every server (`bench-bridge`, `bench-warp`, `bench-hyper`, `bench-axum`, `bench-warp-plain`, and
//! `bench-warp-strings`, `bench-hyper-strings` and `bench-axum-strings` on plain types) answers the same three
//! endpoints with the same work and the same bytes:
//!
//! - `POST /interaction_update`: decode the envelope, check the credentials, build 20 interactions, encode them (`200`);
//! - `POST /contact_sync`: decode, check, build a page of [`CONTACTS`] contacts, encode it (`200`, about 1.7 MB);
//! - `POST /actions/create_ticket`: decode the action's inputs, check, "create" the ticket, encode the outcome (`201`).
//!
//! Only the plumbing differs (the macro-generated endpoint, a hand-written warp filter, a hand-written hyper
//! service, a hand-written axum router: [`warp_server`], [`hyper_server`], [`axum_server`]), and the types the
//! answers are built from ([`Model`]).

pub mod axum_server;
pub mod hyper_server;
pub mod plain;
pub mod warp_server;

use bridge::{
    ActionMeta, ActionOutcome, Contact, ContactPage, ContactSyncMeta, Envelope, Interaction, InteractionData,
    InteractionMeta, Priority, Secret, Status, TalkdeskDate,
};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Interactions answered per interaction request.
pub const INTERACTIONS: usize = 20;
/// Contacts answered per contact-sync request.
pub const CONTACTS: usize = 10_000;
/// The largest request body accepted, as bridge's default: 1 MiB.
pub const BODY_LIMIT: usize = 1024 * 1024;

pub const USERNAME: &str = "john.doe@example.com";
pub const PASSWORD: &str = "605b32dd";

/// The fields of `auth`, as this integration declares them.
#[derive(Debug, Deserialize)]
pub struct Credentials {
    pub username: String,
    pub password: Secret,
}

/// The inputs of the `create_ticket` action (described for the configuration documents, as bridge requires).
#[derive(Debug, Deserialize, bridge::ActionInputs)]
pub struct NewTicket {
    #[bridge(name = "Ticket subject")]
    pub subject: String,
    #[bridge(name = "Ticket description")]
    pub description: String,
    #[bridge(name = "Priority")]
    #[serde(default)]
    pub priority: Option<Priority>,
}

/// Why the work refused a request (the plumbing turns it into its own error answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `401`: the credentials are not the service's.
    BadCredentials,
    /// `400`: an action without a contact.
    NoContact,
}

impl Refusal {
    pub fn status(self) -> u16 {
        match self {
            Self::BadCredentials => 401,
            Self::NoContact => 400,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::BadCredentials => "credentials_rejected",
            Self::NoContact => "action_failed",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::BadCredentials => "the external service rejected these credentials",
            Self::NoContact => "a ticket needs a contact: run this action from a contact",
        }
    }
}

impl From<Refusal> for bridge::Error {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::BadCredentials => bridge::Error::credentials_rejected(),
            Refusal::NoContact => bridge::Error::action_failed(refusal.message()),
        }
    }
}

/// The types a server is written with, and the work of each endpoint on them: bridge's protocol types
/// ([`Service`]) or plain serde structs ([`plain::Service`]). The hand-written servers are generic over it, so that
/// the two differ in their types only.
pub trait Model: Send + Sync + Sized + 'static {
    /// The decoded request of the interaction endpoint.
    type InteractionRequest: DeserializeOwned + Send;
    /// The decoded request of the contact-sync endpoint.
    type ContactRequest: DeserializeOwned + Send;
    /// The decoded request of the action.
    type ActionRequest: DeserializeOwned + Send;
    /// The interaction endpoint's answer.
    type Interactions: Serialize + Send;
    /// The contact-sync endpoint's answer.
    type ContactPage: Serialize + Send;
    /// The action's answer.
    type Outcome: Serialize + Send;

    /// The service, with its records.
    fn start() -> Arc<Self>;
    /// The interaction endpoint's work.
    fn interactions(&self, request: &Self::InteractionRequest) -> Result<Self::Interactions, Refusal>;
    /// The contact-sync endpoint's work.
    fn contacts(&self, request: &Self::ContactRequest) -> Result<Self::ContactPage, Refusal>;
    /// The action's work.
    fn create_ticket(&self, request: &Self::ActionRequest) -> Result<Self::Outcome, Refusal>;
}

/// The dates of the service's [`INTERACTIONS`] interactions, as seconds since the Unix epoch: one an hour from
/// `2012-11-21 17:53:51 UTC`. The service keeps them in the form its types want (bridge's [`TalkdeskDate`], or
/// the rendered string for the plain types), so that the plain servers never format a date: whatever rendering
/// a `TalkdeskDate` costs shows in the comparison.
pub fn interaction_timestamps() -> impl Iterator<Item = i64> {
    (0..INTERACTIONS as i64).map(|n| 1_353_520_431 + 3_600 * n)
}

/// The in-memory "external service" every variant shares the same way (one `Arc`, cloned per request), with
/// bridge's protocol types.
#[derive(Debug)]
pub struct Service {
    pub contacts: Vec<Contact>,
    pub interaction_dates: Vec<TalkdeskDate>,
    pub next_ticket: AtomicU64,
}

pub type Shared = Arc<Service>;

impl Service {
    pub fn new() -> Shared {
        let contacts = (1..=CONTACTS)
            .map(|n| {
                Contact::new(n.to_string(), format!("Contact {n}"))
                    .email(format!("contact{n}@example.com"))
                    .phone(format!("+1555{n:07}"))
                    .company("Example Corp.")
                    .url(format!("https://service.example.com/contacts/{n}"))
            })
            .collect();
        let interaction_dates =
            interaction_timestamps().map(|at| TalkdeskDate::from_unix_timestamp(at).expect("in range")).collect();
        Arc::new(Service { contacts, interaction_dates, next_ticket: AtomicU64::new(100) })
    }

    fn check(&self, credentials: &Credentials) -> Result<(), Refusal> {
        if credentials.username == USERNAME && credentials.password.expose() == PASSWORD {
            Ok(())
        } else {
            Err(Refusal::BadCredentials)
        }
    }

    /// The interaction endpoint's work: [`INTERACTIONS`] interactions of the requested types.
    pub fn interactions(
        &self,
        credentials: &Credentials,
        meta: &InteractionMeta,
        data: &InteractionData,
    ) -> Result<Vec<Interaction>, Refusal> {
        self.check(credentials)?;
        let contact = data.contact_external_id.as_deref().unwrap_or("0");
        let name = data.contact_name.as_deref().unwrap_or("the contact");
        let mut out = Vec::with_capacity(INTERACTIONS);
        for (n, &date) in self.interaction_dates.iter().enumerate() {
            let kind = if n % 2 == 0 { "case" } else { "note" };
            if !meta.wants(kind) {
                continue;
            }
            let id = format!("{contact}-{n}");
            out.push(
                Interaction::new(&id, kind, format!("Follow-up #{n} with {name}"), date)
                    .description("Your order is ready to be shipped")
                    .url(format!("https://service.example.com/interactions/{id}"))
                    .priority(if n % 3 == 0 { Priority::High } else { Priority::Normal })
                    .status(if n % 4 == 0 { Status::Pending } else { Status::Open }),
            );
        }
        Ok(out)
    }

    /// The contact-sync endpoint's work: one page with all [`CONTACTS`] contacts.
    pub fn contacts(&self, credentials: &Credentials, meta: &ContactSyncMeta) -> Result<ContactPage, Refusal> {
        self.check(credentials)?;
        let checkpoint = meta.situation.checkpoint().unwrap_or("2012-11-21 00:00:00 UTC").to_owned();
        Ok(ContactPage::new(self.contacts.clone(), checkpoint))
    }

    /// The action's work: a new ticket id.
    pub fn create_ticket(
        &self,
        credentials: &Credentials,
        meta: &ActionMeta,
        ticket: &NewTicket,
    ) -> Result<ActionOutcome, Refusal> {
        self.check(credentials)?;
        if meta.contact_external_id.is_none() {
            return Err(Refusal::NoContact);
        }
        let _ = (&ticket.description, ticket.priority);
        let id = self.next_ticket.fetch_add(1, Ordering::Relaxed);
        Ok(ActionOutcome::message(format!("Ticket #{id} created: {}", ticket.subject)).external_id(id.to_string()))
    }
}

impl Model for Service {
    type InteractionRequest = Envelope<Credentials, InteractionMeta, InteractionData>;
    type ContactRequest = Envelope<Credentials, ContactSyncMeta, IgnoredAny>;
    type ActionRequest = Envelope<Credentials, ActionMeta, NewTicket>;
    type Interactions = Vec<Interaction>;
    type ContactPage = ContactPage;
    type Outcome = ActionOutcome;

    fn start() -> Arc<Self> {
        Service::new()
    }

    fn interactions(&self, request: &Self::InteractionRequest) -> Result<Vec<Interaction>, Refusal> {
        Service::interactions(self, &request.auth, &request.meta, &request.data)
    }

    fn contacts(&self, request: &Self::ContactRequest) -> Result<ContactPage, Refusal> {
        Service::contacts(self, &request.auth, &request.meta)
    }

    fn create_ticket(&self, request: &Self::ActionRequest) -> Result<ActionOutcome, Refusal> {
        Service::create_ticket(self, &request.auth, &request.meta, &request.data)
    }
}

/// The error body the hand-written variants send: the same shape as bridge's (`{"code": …, "message": …}`).
#[derive(Serialize)]
pub struct ErrorBody<'a> {
    pub code: &'a str,
    pub message: &'a str,
}

/// `{"code": …, "message": …}` as bytes.
pub fn error_json(code: &str, message: &str) -> Vec<u8> {
    serde_json::to_vec(&ErrorBody { code, message }).expect("strings always encode")
}

/// The JSON answers the hand-written servers build, written once: generic over the server's body type (warp's,
/// hyper's `Full<Bytes>`, axum's `Body`: each is made from the encoded bytes).
pub mod respond {
    use super::{error_json, Refusal};
    use http::header::{HeaderValue, CONTENT_TYPE};
    use http::{Response, StatusCode};
    use serde::de::DeserializeOwned;
    use serde::Serialize;
    use std::time::Instant;

    /// `status` with `body`, declared JSON.
    pub fn json<B: From<Vec<u8>>>(status: StatusCode, body: Vec<u8>) -> Response<B> {
        let mut response = Response::new(B::from(body));
        *response.status_mut() = status;
        response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }

    /// `status` with bridge's error body, `{"code": …, "message": …}`.
    pub fn error<B: From<Vec<u8>>>(status: StatusCode, code: &str, message: &str) -> Response<B> {
        json(status, error_json(code, message))
    }

    /// `value` encoded, or a `500` if it cannot be.
    pub fn encode<T: Serialize, B: From<Vec<u8>>>(status: StatusCode, value: &T) -> Response<B> {
        match serde_json::to_vec(value) {
            Ok(body) => json(status, body),
            Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "the answer could not be encoded"),
        }
    }

    /// The typed request, or the `400` naming what is wrong with it.
    // The error is the answer itself, sent as is: boxing it would cost an allocation for nothing.
    #[allow(clippy::result_large_err)]
    pub fn decode<T: DeserializeOwned, B: From<Vec<u8>>>(body: &[u8]) -> Result<T, Response<B>> {
        serde_json::from_slice(body).map_err(|err| {
            let code = if err.is_syntax() || err.is_eof() { "malformed_json" } else { "invalid_input" };
            error(StatusCode::BAD_REQUEST, code, &format!("invalid request: {err}"))
        })
    }

    /// The work's answer: `value` encoded with `status`, or the refusal's error.
    pub fn answer<T: Serialize, B: From<Vec<u8>>>(status: StatusCode, result: Result<T, Refusal>) -> Response<B> {
        match result {
            Ok(value) => encode(status, &value),
            Err(refusal) => refused(refusal),
        }
    }

    /// A refusal of the work as its error answer.
    pub fn refused<B: From<Vec<u8>>>(refusal: Refusal) -> Response<B> {
        let status = StatusCode::from_u16(refusal.status()).expect("a valid status");
        error(status, refusal.code(), refusal.message())
    }

    /// The `413` of a body over [`BODY_LIMIT`](super::BODY_LIMIT).
    pub fn too_large<B: From<Vec<u8>>>() -> Response<B> {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is larger than the limit of 1048576 bytes",
        )
    }

    /// The per-request log line every server writes (bridge's is the same event).
    pub fn log<B>(path: &'static str, response: &Response<B>, started: Instant) {
        let status = response.status().as_u16();
        let latency_us = started.elapsed().as_micros() as u64;
        tracing::info!(target: "bench::request", path, status, latency_us, "answered");
    }
}

/// Whether a `Content-Type` value declares JSON (`application/json` or `…+json`, any parameters): the check
/// every variant makes, written once, allocation-free.
pub fn is_json(value: &[u8]) -> bool {
    let value = match std::str::from_utf8(value) {
        Ok(value) => value,
        Err(_) => return false,
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence.len() > 5 && essence[essence.len() - 5..].eq_ignore_ascii_case("+json")
}

/// The three endpoints the benchmark drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Interactions,
    Contacts,
    Action,
}

impl Endpoint {
    pub const ALL: [Endpoint; 3] = [Endpoint::Interactions, Endpoint::Contacts, Endpoint::Action];

    pub fn name(self) -> &'static str {
        match self {
            Self::Interactions => "interactions",
            Self::Contacts => "contacts",
            Self::Action => "action",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }

    pub fn path(self) -> &'static str {
        match self {
            Self::Interactions => "/interaction_update",
            Self::Contacts => "/contact_sync",
            Self::Action => "/actions/create_ticket",
        }
    }

    /// The status a successful answer has.
    pub fn status(self) -> u16 {
        match self {
            Self::Interactions | Self::Contacts => 200,
            Self::Action => 201,
        }
    }

    /// The request body the load generators send (what Talkdesk sends, give or take a field).
    pub fn body(self) -> &'static str {
        match self {
            Self::Interactions => {
                r#"{"auth":{"username":"john.doe@example.com","password":"605b32dd"},"meta":{"interaction_types":["case","note"]},"data":{"contact_external_id":"1","contact_name":"Jane Doe","contact_emails":["jane.doe@example.com","jane@example.com"],"contact_phones":["+15555555555"]}}"#
            }
            Self::Contacts => {
                r#"{"auth":{"username":"john.doe@example.com","password":"605b32dd"},"meta":{"synchronization_checkpoint":null,"offset":null,"context":null}}"#
            }
            Self::Action => {
                r#"{"auth":{"username":"john.doe@example.com","password":"605b32dd"},"meta":{"contact_external_id":"1","agent_external_id":"341231"},"data":{"subject":"Call missed in Talkdesk","description":"A call from Jane Doe was missed.","priority":"high"}}"#
            }
        }
    }
}

/// What a server reads from its command line: `[ADDR] [--threads N] [--deployed]`. `ADDR` defaults to `BENCH_ADDR`
/// or `127.0.0.1:3000`; `--threads 1` runs a current-thread runtime (what the callgrind runs use), otherwise a
/// multi-thread runtime with N workers (default: one per core). `--deployed` (`bench-bridge` only) serves as a
/// deployed bridge does: settings from the environment (`RUST_LOG`, `BRIDGE_LOG_FORMAT`) and the default logs,
/// a line per request on stderr.
pub struct ServerArgs {
    pub addr: SocketAddr,
    pub threads: Option<usize>,
    pub deployed: bool,
}

impl ServerArgs {
    pub fn parse() -> Self {
        let mut addr = std::env::var("BENCH_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
        let mut threads = None;
        let mut deployed = false;
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--threads" => {
                    threads = Some(args.next().and_then(|n| n.parse().ok()).expect("--threads takes a number"))
                }
                "--deployed" => deployed = true,
                other => addr = other.to_owned(),
            }
        }
        ServerArgs { addr: addr.parse().expect("an address such as 127.0.0.1:3000"), threads, deployed }
    }

    /// The tokio runtime the server runs on.
    pub fn runtime(&self) -> tokio::runtime::Runtime {
        let mut builder = match self.threads {
            Some(1) => tokio::runtime::Builder::new_current_thread(),
            Some(n) => {
                let mut b = tokio::runtime::Builder::new_multi_thread();
                b.worker_threads(n);
                b
            }
            None => tokio::runtime::Builder::new_multi_thread(),
        };
        builder.enable_all().build().expect("a tokio runtime")
    }
}

/// Resolves on SIGINT or SIGTERM: every server then stops accepting, finishes and exits normally (which is what
/// lets callgrind write its counts).
pub async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

/// What bridge does around every request (request ids, a deadline, a bound on requests in flight, a header-read
/// timeout), written by hand as an expert would, for `bench-warp`, `bench-hyper` and `bench-axum`: with it they do
/// the same work and give the same answers as `bench-bridge` (`bench-warp-plain` goes without, to show what it
/// costs).
pub mod hardening {
    use super::error_json;
    use futures_util::FutureExt;
    use http::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
    use http::StatusCode;
    use std::future::Future;
    use std::panic::AssertUnwindSafe;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    use std::time::Duration;
    use tokio::sync::Semaphore;
    use tracing::Instrument;

    /// How long a handler may run before the answer is `504` (bridge's default).
    pub const DEADLINE: Duration = Duration::from_secs(25);
    /// Requests handled at once before `503` (bridge's default).
    pub const MAX_IN_FLIGHT: usize = 1024;
    /// How long a client may take to send a request's headers (bridge's value).
    pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

    pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

    /// The caller's `X-Request-Id` when it is sane (1 to 128 of `A-Z a-z 0-9 . _ : -`), else a fresh one.
    pub fn request_id(headers: &HeaderMap) -> HeaderValue {
        match headers.get(&X_REQUEST_ID) {
            Some(value)
                if (1..=128).contains(&value.len())
                    && value.as_bytes().iter().all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(b)) =>
            {
                value.clone()
            }
            _ => fresh_id(),
        }
    }

    /// 16 hex digits, unique within the process.
    fn fresh_id() -> HeaderValue {
        static SEED: OnceLock<u64> = OnceLock::new();
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let seed = *SEED.get_or_init(|| {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            now.as_nanos() as u64 ^ (u64::from(std::process::id()) << 32)
        });
        let mut x = seed.wrapping_add(COUNTER.fetch_add(1, Ordering::Relaxed)).wrapping_add(0x9e37_79b9_7f4a_7c15);
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        HeaderValue::try_from(format!("{:016x}", x ^ (x >> 31))).expect("hex digits make a header value")
    }

    /// Runs `inner` (the routing and the handler) as the handling of one request: in a span carrying its id,
    /// under the bound on requests in flight and the deadline, with a panic answered `500`; stamps the id on the
    /// answer. `json` builds a JSON response of the server's body type.
    pub async fn guard<B, Fut>(
        in_flight: &Semaphore,
        id: HeaderValue,
        inner: Fut,
        json: fn(StatusCode, Vec<u8>) -> http::Response<B>,
    ) -> http::Response<B>
    where
        Fut: Future<Output = http::Response<B>>,
    {
        let span = tracing::info_span!(target: "bench::request", "request", id = id.to_str().unwrap_or(""));
        async move {
            let mut response = match in_flight.try_acquire() {
                Err(_) => {
                    let body = error_json("overloaded", "too many requests in flight: retry shortly");
                    let mut response = json(StatusCode::SERVICE_UNAVAILABLE, body);
                    response.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("1"));
                    response
                }
                Ok(_permit) => match tokio::time::timeout(DEADLINE, AssertUnwindSafe(inner).catch_unwind()).await {
                    Ok(Ok(response)) => response,
                    Ok(Err(_panic)) => json(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        error_json("internal_error", "the bridge failed while handling this request"),
                    ),
                    Err(_elapsed) => json(
                        StatusCode::GATEWAY_TIMEOUT,
                        error_json("timeout", "the bridge did not answer within its deadline"),
                    ),
                },
            };
            response.headers_mut().insert(X_REQUEST_ID.clone(), id);
            response
        }
        .instrument(span)
        .await
    }
}

/// A listener whose connections have `TCP_NODELAY` (Linux hands the option down to accepted sockets), as bridge's
/// own listener sets it: without it, Nagle's algorithm and delayed ACKs stall keep-alive answers written in two
/// segments, and the hand-written variants would lose the req/s comparison for a reason that is not their code.
pub fn listen(addr: SocketAddr) -> tokio::net::TcpListener {
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4() } else { tokio::net::TcpSocket::new_v6() }
        .expect("a TCP socket");
    socket.set_reuseaddr(true).expect("SO_REUSEADDR");
    socket.set_nodelay(true).expect("TCP_NODELAY");
    socket.bind(addr).expect("the address is free");
    socket.listen(1024).expect("listening")
}

/// Prints the line the scripts wait for.
pub fn announce(variant: &str, addr: SocketAddr) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{variant} listening on http://{addr}");
    let _ = out.flush();
}
