//! A kit for stateful fakes of the services a bridge calls: what every fake needs and none should write again.
//!
//! A cassette ([`bridge::http`](crate::http)'s recorded traffic) replays what a service once answered; a fake
//! still has its place where a test needs a service that *behaves*: a sync of 50,000 contacts, a change in the
//! middle of a sync, faults on demand, a demo to click through. The fake then holds only its service's behaviour,
//! a function from [`FakeRequest`] to [`FakeResponse`]; the kit gives it the rest:
//!
//! - [`FakeServer`]: a real HTTP/1.1 server on 127.0.0.1 (a free port, `TCP_NODELAY`), stopped when its
//!   [`RunningFake`] is dropped;
//! - [`Fault`]s queued one per request ([`FakeServer::inject`]): `429` with and without `Retry-After`, `503`,
//!   `500` (with the service's own error body, [`FakeServer::errors`]), slow answers, garbage, a reset connection,
//!   or any answer of the service's own;
//! - added latency on every call ([`FakeServer::set_latency`]), as a real service's round trip;
//! - the [`CallLog`]: every call, with its query, headers, body and the status it met, and the most calls it
//!   answered at once ([`FakeServer::most_in_flight`]);
//! - a [`Clock`] the test moves, to date the fake's data, and [`Shared`] state the test and the server both reach.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use bridge::testing::fake::{Clock, FakeResponse, FakeServer, Fault};
//! use serde_json::json;
//!
//! let clock = Clock::at_secs(1_717_416_000);
//! let now = clock.clone();
//! let server = FakeServer::new(move |request| match (request.method().as_str(), request.segments().as_slice()) {
//!     ("GET", ["api", "users"]) => {
//!         let page = request.param("page").unwrap_or("1");
//!         FakeResponse::json(200, &json!({"users": [], "page": page, "at": now.now_secs()}))
//!     }
//!     _ => FakeResponse::json(404, &json!({"error": "no such endpoint"})),
//! })
//! .errors(|status| FakeResponse::json(status, &json!({"error": "the service's own error", "status": status})));
//! let running = server.start().await.unwrap();
//!
//! server.inject(Fault::RateLimited { retry_after_secs: Some(1) });
//! let url = format!("{}/api/users?page=2", running.url());
//! let limited = reqwest::get(&url).await.unwrap();
//! assert_eq!((limited.status().as_u16(), limited.headers()["retry-after"].to_str().unwrap()), (429, "1"));
//!
//! clock.advance(std::time::Duration::from_secs(60));
//! let answer: serde_json::Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
//! assert_eq!(answer, json!({"users": [], "page": "2", "at": 1_717_416_060}));
//!
//! let calls = server.calls();
//! assert_eq!(calls.iter().map(|c| c.status).collect::<Vec<_>>(), [Some(429), Some(200)]);
//! assert_eq!(calls[1].param("page"), Some("2"));
//! # }
//! ```

mod calls;
mod clock;
mod fake_messages;
mod faults;
mod server;
mod shared;

pub use calls::{Call, CallLog, DEFAULT_CAPACITY};
pub use clock::Clock;
pub use fake_messages::{FakeRequest, FakeResponse};
pub use faults::{Fault, Faults, GARBAGE};
pub use server::{FakeServer, RunningFake};
pub use shared::Shared;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::{Duration, Instant};

    fn echo() -> FakeServer {
        FakeServer::new(|request| FakeResponse::json(200, &json!({"path": request.path()})))
            .errors(|status| FakeResponse::json(status, &json!({"own": status})))
            .spare(|request| request.path().starts_with("/oauth/"))
    }

    async fn get(url: &str) -> Result<(u16, Option<String>, String), reqwest::Error> {
        let answer = reqwest::get(url).await?;
        let retry_after = answer.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
        Ok((answer.status().as_u16(), retry_after, answer.text().await?))
    }

    #[tokio::test]
    async fn each_fault_meets_one_request_in_order() {
        let server = echo();
        let running = server.start().await.unwrap();
        let url = format!("{}/api/x", running.url());
        let faults = [
            Fault::RateLimited { retry_after_secs: Some(3) },
            Fault::RateLimited { retry_after_secs: None },
            Fault::Unavailable,
            Fault::ServerError,
            Fault::Garbage,
            Fault::Answer(FakeResponse::text(404, "text/html", "<h1>gone</h1>")),
        ];
        for fault in faults {
            server.inject(fault);
        }
        let mut answers = Vec::new();
        for _ in 0..7 {
            answers.push(get(&url).await.unwrap());
        }
        let own = |status: u16| json!({ "own": status }).to_string();
        assert_eq!(
            answers,
            [
                (429, Some("3".into()), own(429)),
                (429, None, own(429)),
                (503, None, own(503)),
                (500, None, own(500)),
                (200, None, GARBAGE.to_owned()),
                (404, None, "<h1>gone</h1>".to_owned()),
                (200, None, json!({"path": "/api/x"}).to_string()),
            ]
        );
        let statuses: Vec<Option<u16>> = server.calls().iter().map(|c| c.status).collect();
        assert_eq!(statuses, [429, 429, 503, 500, 200, 404, 200].map(Some));
    }

    #[tokio::test]
    async fn a_reset_closes_the_connection_without_an_answer() {
        let server = echo();
        let running = server.start().await.unwrap();
        server.inject(Fault::Reset);
        let error = get(&format!("{}/api/x", running.url())).await.unwrap_err();
        assert!(error.is_request(), "{error:?}");
        assert_eq!(get(&format!("{}/api/x", running.url())).await.unwrap().0, 200, "the next call is answered");
        assert_eq!(server.calls()[0].status, None, "the reset call got no status");
    }

    #[tokio::test]
    async fn slowness_and_latency_delay_answers_and_spared_requests_take_no_fault() {
        let server = echo();
        let running = server.start().await.unwrap();
        server.inject(Fault::Slow(Duration::from_millis(40)));
        let started = Instant::now();
        let (token, slow) = (format!("{}/oauth/token", running.url()), format!("{}/api/slow", running.url()));
        let (spared, slow) = tokio::join!(get(&token), async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            get(&slow).await
        });
        assert_eq!((spared.unwrap().0, slow.unwrap().0), (200, 200));
        assert!(started.elapsed() >= Duration::from_millis(40));
        assert_eq!(server.faults().len(), 0, "the spared call left the fault to the next");

        server.set_latency(Duration::from_millis(100));
        let started = Instant::now();
        let (a, b) = (format!("{}/api/a", running.url()), format!("{}/oauth/token", running.url()));
        let (a, b) = tokio::join!(get(&a), get(&b));
        assert_eq!((a.unwrap().0, b.unwrap().0), (200, 200));
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(100) && waited < Duration::from_millis(200), "together: {waited:?}");
    }

    #[tokio::test]
    async fn the_log_holds_what_was_sent_and_dropping_the_handle_stops_the_server() {
        let server = echo().remember(2);
        let running = server.start().await.unwrap();
        let url = running.url();
        let client = reqwest::Client::new();
        for n in 0..3 {
            let answer = client.post(format!("{url}/api/{n}?q=a%20b")).json(&json!({"n": n})).send().await.unwrap();
            assert_eq!(answer.status(), 200);
        }
        let calls = server.calls();
        assert_eq!(calls.iter().map(|c| c.path.as_str()).collect::<Vec<_>>(), ["/api/1", "/api/2"]);
        assert_eq!((calls[1].param("q"), calls[1].json()), (Some("a b"), Some(json!({"n": 2}))));
        assert_eq!(calls[1].header("content-type"), Some("application/json"));
        drop(running);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(reqwest::get(format!("{url}/api/x")).await.is_err(), "nothing listens any more");
    }
}
