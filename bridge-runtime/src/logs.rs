//! Logs from the first run: a bridge that installs no `tracing` subscriber of its own gets one when it starts
//! serving ([`Bridge::serve`](crate::Bridge::serve), [`RunningBridge::run_until_signal`](crate::RunningBridge)),
//! so that it prints its address and a line per request with no code at all:
//!
//! - on stderr, filtered by the settings' log filter (`RUST_LOG` when served; default `info`);
//! - as text, coloured only when stderr is a terminal, or as JSON lines ([`LogFormat::Json`],
//!   `BRIDGE_LOG_FORMAT=json`, for a log collector in production).
//!
//! The lines are those of `tracing-subscriber`'s `fmt` layer, byte for byte (without colours), but written by this
//! module's own [layer](layer) and formats ([text](text), [JSON](json)) at a fraction of the instructions: a bridge
//! writes one per request.
//!
//! An author who installs a global subscriber before serving keeps full control: this one is then not installed.

mod callsite;
mod escape;
mod json;
mod layer;
mod text;
mod timestamp;

use crate::settings::LogFormat;
use std::io::IsTerminal;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the default subscriber with `filter` (`RUST_LOG`'s syntax) and `format`, unless a global one is
/// already set. A filter that does not parse is reported, and `info` used instead.
pub(crate) fn install_default(filter: &str, format: LogFormat) {
    let (filter, bad_filter) = match tracing_subscriber::EnvFilter::try_new(filter) {
        Ok(parsed) => (parsed, None),
        Err(err) => (tracing_subscriber::EnvFilter::new("info"), Some(err)),
    };
    let subscriber = tracing_subscriber::registry().with(filter);
    let installed = match format {
        LogFormat::Json => subscriber.with(layer::Lines::new(json::Json, std::io::stderr)).try_init(),
        // Colours are for a person at a terminal: `tracing-subscriber`'s own layer writes them.
        LogFormat::Text if std::io::stderr().is_terminal() => {
            subscriber.with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(true)).try_init()
        }
        LogFormat::Text => subscriber.with(layer::Lines::new(text::Text, std::io::stderr)).try_init(),
    };
    if let (Ok(()), Some(err)) = (installed, bad_filter) {
        tracing::warn!(target: "bridge::server", error = %err, "the log filter does not parse: logging at `info`");
    }
}

#[cfg(test)]
mod tests {
    use super::{json, text};
    use crate::request_id::RequestId;
    use crate::telemetry::TraceContext;
    use std::io::Write;
    use std::sync::{Arc, Mutex};
    use tracing::field::Empty;
    use tracing_subscriber::fmt::format::{DefaultFields, Format, JsonFields};
    use tracing_subscriber::layer::SubscriberExt;

    /// What a subscriber wrote.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        /// The text, each timestamp (`2026-12-03T10:49:58.123456Z`) replaced by `<time>` once checked.
        fn text(&self) -> String {
            let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
            let shape = b"dddd-dd-ddTdd:dd:dd.ddddddZ";
            let bytes = text.as_bytes();
            let mut out = String::new();
            let mut at = 0;
            while at < bytes.len() {
                let fits = bytes.len() - at >= shape.len()
                    && shape
                        .iter()
                        .zip(&bytes[at..])
                        .all(|(&s, &b)| if s == b'd' { b.is_ascii_digit() } else { s == b });
                if fits {
                    out.push_str("<time>");
                    at += shape.len();
                } else {
                    let ch = text[at..].chars().next().unwrap();
                    out.push(ch);
                    at += ch.len_utf8();
                }
            }
            out
        }
    }

    #[derive(Debug)]
    struct Outer(std::io::Error);

    impl std::fmt::Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("the call failed \u{1b}[31m")
        }
    }

    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    /// Events and spans of every kind of field, level and nesting the formats must write as `tracing-subscriber`'s.
    fn emit() {
        tracing::info!(target: "bridge::server", addr = %"127.0.0.1:3000", "listening");
        in_request(Some("4bf92f3577b34da6a3ce929d0e0e4736"), emit_in_request);
        in_request(None, || tracing::info!(target: "bridge::request", status = 200u16, "answered"));
        tracing::info!(parent: None, "no span at all");
        tracing::error!("outside");
    }

    /// Runs `emit` as the gate runs a request `r-1` with `traceparent` (`trace`): within the request's span for
    /// `tracing-subscriber`'s layers, within its scope only for the bridge's (which write its part of each line).
    fn in_request(trace: Option<&str>, emit: impl FnOnce()) {
        let id = RequestId::from_headers(&http::HeaderMap::from_iter([(
            http::header::HeaderName::from_static("x-request-id"),
            http::HeaderValue::from_static("r-1"),
        )]));
        let parent = trace.map(|trace| format!("00-{trace}-00f067aa0ba902b7-01"));
        let trace = parent.map(|parent| {
            let headers = http::HeaderMap::from_iter([(
                http::header::HeaderName::from_static("traceparent"),
                http::HeaderValue::from_str(&parent).unwrap(),
            )]);
            TraceContext::from_headers(&headers).expect("a valid traceparent")
        });
        let (span, on_lines) = crate::gate::request_span(&id, trace.as_ref());
        let _request = span.enter();
        crate::scope::sync(id, on_lines, emit);
    }

    /// Events and spans of every kind of field, level and nesting, within a request.
    fn emit_in_request() {
        tracing::info!(parent: None, "explicitly at the root");
        tracing::info!(target: "bridge::request", path = "/interaction_update", handler = "interactions", status = 200u16, latency_us = 25u64, "answered");
        tracing::warn!(target: "bridge::request", status = 400, code = "invalid_input", error = %"the \"x\" field\n\tis é \u{1b}[31m\u{9b}", "refused");
        tracing::error!("failed {} {:?} \u{1b}[0m\u{7f}", 7, "quoted\u{1}");
        tracing::debug!(message = "a message as a str \u{7}", r#type = "raw", "log.target" = "skipped in text");
        tracing::trace!(
            negative = -3i64,
            ratio = 0.5f64,
            nan = f64::NAN,
            infinite = f64::INFINITY,
            yes = true,
            big = 1u128 << 100,
            small = -1i128
        );
        tracing::info!(tuple = ?("a\"b", 1), list = ?vec![1, 2], bytes = &b"\0ab"[..], "values");
        let outer = Outer(std::io::Error::other("connection reset\u{1b}"));
        tracing::warn!(error = &outer as &(dyn std::error::Error + 'static), "with a source");
        tracing::warn!(message = &outer as &(dyn std::error::Error + 'static));
        let call = tracing::info_span!(
            "external_call",
            service = "zendesk",
            method = "GET",
            status = Empty,
            bytes = &b"x"[..]
        );
        call.record("status", 200);
        call.record("method", "POST");
        tracing::info!(parent: &call, "external call answered");
        {
            let _call = call.enter();
            tracing::info!("inside the call");
            let unsorted = tracing::info_span!("unsorted", zeta = 1, alpha = "a", r#mid = ?[1, 2], name = "a name");
            let _unsorted = unsorted.enter();
            tracing::info!("three deep");
            let empty = tracing::info_span!("empty");
            let _empty = empty.enter();
            tracing::info!("four deep");
        }
        // A `log` record, as `tracing-log` turns it into an event: its own target and level.
        let record = tracing_log::log::Record::builder()
            .args(format_args!("from the log crate 1"))
            .level(tracing_log::log::Level::Warn)
            .target("some::crate")
            .module_path(Some("some::crate::module"))
            .file(Some("module.rs"))
            .line(Some(7))
            .build();
        tracing_log::format_trace(&record).unwrap();
    }

    /// What `emit` writes through `layer`, an `fmt` layer writing to the capture.
    fn through<L>(layer: impl FnOnce(Captured) -> L) -> String
    where
        L: tracing_subscriber::Layer<tracing_subscriber::Registry> + Send + Sync + 'static,
    {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::registry().with(layer(captured.clone()));
        // Twice: what a format works out once per callsite is reused the second time.
        tracing::subscriber::with_default(subscriber, || (0..2).for_each(|_| emit()));
        captured.text()
    }

    #[test]
    fn text_lines_are_those_of_tracing_subscriber() {
        let theirs = through(|out| {
            tracing_subscriber::fmt::layer()
                .with_writer(move || out.clone())
                .with_ansi(false)
                .fmt_fields(DefaultFields::new())
                .event_format(Format::default())
        });
        let ours = through(|out| super::layer::Lines::new(text::Text, move || out.clone()));
        assert!(theirs.contains("<time>  INFO request{id=r-1 trace_id=4bf92f3577b34da6a3ce929d0e0e4736}: bridge::request: answered path=\"/interaction_update\""), "{theirs}");
        assert!(theirs.contains("<time>  WARN request{id=r-1 trace_id=4bf92f3577b34da6a3ce929d0e0e4736}: some::crate: from the log crate 1\n"), "{theirs}");
        assert_eq!(ours, theirs);
    }

    #[test]
    fn no_span_is_made_for_a_request_when_the_layer_writes_its_part() {
        let id = RequestId::from_headers(&http::HeaderMap::new());
        let decided = |filter: &str| {
            let filter = tracing_subscriber::EnvFilter::new(filter);
            let ours = tracing_subscriber::registry().with(filter).with(super::layer::Lines::new(text::Text, Vec::new));
            tracing::subscriber::with_default(ours, || {
                let (span, part) = crate::gate::request_span(&id, None);
                (span.is_disabled(), part.is_some())
            })
        };
        assert_eq!(decided("info"), (true, true));
        assert_eq!(decided("info,bridge::request=warn"), (true, false));
        assert_eq!(decided("warn"), (true, false));
        let theirs = tracing_subscriber::registry().with(tracing_subscriber::fmt::layer().with_writer(Vec::new));
        let (span, part) = tracing::subscriber::with_default(theirs, || crate::gate::request_span(&id, None));
        assert!(!span.is_disabled() && part.is_none());
    }

    #[test]
    fn json_lines_are_those_of_tracing_subscriber() {
        let theirs = through(|out| {
            tracing_subscriber::fmt::layer()
                .with_writer(move || out.clone())
                .with_ansi(false)
                .fmt_fields(JsonFields::new())
                .event_format(Format::default().json())
        });
        let ours = through(|out| super::layer::Lines::new(json::Json, move || out.clone()));
        assert!(
            theirs.contains(r#""span":{"id":"r-1","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","name":"request"}"#),
            "{theirs}"
        );
        assert_eq!(ours, theirs);
        for line in ours.lines() {
            serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|err| panic!("{err}: {line}"));
        }
    }
}
