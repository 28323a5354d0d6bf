//! Logs from the first run (the Zendesk example installs no subscriber of its own): the listening address and a
//! line per request on stderr, as text without colours when stderr is not a terminal, as JSON lines with
//! `BRIDGE_LOG_FORMAT=json`, filtered by `RUST_LOG`; and an exit after SIGTERM, once drained.

use crate::common;

use common::child::{example_binary, Running};
use serde_json::Value;

const AUTH: &str =
    r#"{"auth": {"account": "demo", "email": "ada.admin@example.com", "token": "zd-demo-6f1c2a9e4b7d"}}"#;

fn start(env: &[(&str, &str)]) -> Running {
    let mut all = vec![("BRIDGE_ADDR", "127.0.0.1:0"), ("BRIDGE_DRAIN_DELAY", "0")];
    all.extend_from_slice(env);
    Running::start(&example_binary("zendesk"), &["--demo"], &all)
}

fn auth_validation(url: &str) -> u16 {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let answer = reqwest::Client::new()
            .post(format!("{url}/auth_validation"))
            .header("content-type", "application/json")
            .header("x-request-id", "req-logs-1")
            .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            .body(AUTH)
            .send()
            .await
            .unwrap();
        answer.status().as_u16()
    })
}

#[test]
fn a_bridge_without_logging_code_logs_its_address_and_each_request_as_text() {
    let mut bridge = start(&[]);
    let addr = bridge.wait_stderr("listening line", |line| {
        line.contains("listening").then(|| line.split("addr=").nth(1)?.split_whitespace().next().map(str::to_owned))?
    });
    assert_eq!(auth_validation(&format!("http://{addr}")), 204);
    let line = bridge.wait_stderr("request line", |line| {
        line.contains("answered path=\"/auth_validation\"").then(|| line.to_owned())
    });
    for part in [
        "INFO",
        "bridge::request",
        "id=req-logs-1",
        "trace_id=4bf92f3577b34da6a3ce929d0e0e4736",
        "status=204",
        // One call to (the demo's fake) Zendesk.
        "upstream_calls=1",
        "upstream_round_trips=1",
        "upstream_ms=",
    ] {
        assert!(line.contains(part), "{part} not in {line}");
    }
    // The whole line, as tracing-subscriber's text format writes it: `<RFC 3339 time, µs>  INFO <span>: <target>: …`.
    let (time, rest) = line.split_once(' ').unwrap();
    assert_rfc3339_micros(time);
    let rest = rest.strip_prefix(
        " INFO request{id=req-logs-1 trace_id=4bf92f3577b34da6a3ce929d0e0e4736}: bridge::request: answered \
         path=\"/auth_validation\" handler=",
    );
    let rest = rest.unwrap_or_else(|| panic!("not the default text line: {line}"));
    let latency = rest.split_once(" status=204 latency_us=").map(|(_, latency)| latency);
    assert!(latency.is_some_and(|l| l.split(' ').next().unwrap().parse::<u64>().is_ok()), "{line}");
    assert_eq!(bridge.terminate(), Some(0));
    let stderr = bridge.stderr().join("\n");
    assert!(!stderr.contains('\u{1b}'), "colours on a pipe: {stderr}");
    assert!(stderr.contains("draining"), "{stderr}");
    assert!(!stderr.contains("zd-demo-6f1c2a9e4b7d"), "a credential in the logs: {stderr}");
}

#[test]
fn bridge_log_format_json_gives_one_json_object_per_line_and_rust_log_filters() {
    let mut bridge =
        start(&[("BRIDGE_LOG_FORMAT", "json"), ("RUST_LOG", "warn,bridge::request=info,bridge::server=info")]);
    let addr = bridge.wait_stderr("listening line", |line| {
        let json: Value = serde_json::from_str(line).ok()?;
        (json["fields"]["message"] == "listening").then(|| json["fields"]["addr"].as_str().map(str::to_owned))?
    });
    assert_eq!(auth_validation(&format!("http://{addr}")), 204);
    let request = bridge.wait_stderr("request line", |line| {
        let json: Value = serde_json::from_str(line).ok()?;
        (json["fields"]["path"] == "/auth_validation").then_some(json)
    });
    assert_eq!(request["level"], "INFO");
    assert_rfc3339_micros(request["timestamp"].as_str().unwrap());
    assert_eq!(request["target"], "bridge::request");
    assert_eq!(request["fields"]["message"], "answered");
    assert!(request["fields"]["latency_us"].is_u64(), "{request}");
    assert_eq!(request["span"]["name"], "request");
    assert_eq!(request["spans"][0], request["span"], "{request}");
    assert_eq!(request["fields"]["status"], 204);
    assert_eq!(
        (&request["fields"]["upstream_calls"], &request["fields"]["upstream_round_trips"]),
        (&1.into(), &1.into())
    );
    assert!(request["fields"]["upstream_ms"].is_u64(), "{request}");
    assert_eq!(request["span"]["id"], "req-logs-1");
    assert_eq!(request["span"]["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(bridge.terminate(), Some(0));
    for line in bridge.stderr() {
        let json: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        // The external calls' INFO lines (target `bridge_runtime::http::call`) are filtered out, the bridge's kept.
        assert!(json["target"].as_str().unwrap().starts_with("bridge::") || json["level"] != "INFO", "{line}");
    }
}

/// `2026-12-03T10:49:58.123456Z`: the timestamp of the default logs.
fn assert_rfc3339_micros(time: &str) {
    let shape = "dddd-dd-ddTdd:dd:dd.ddddddZ";
    let fits = time.len() == shape.len()
        && shape.bytes().zip(time.bytes()).all(|(s, b)| if s == b'd' { b.is_ascii_digit() } else { s == b });
    assert!(fits, "not an RFC 3339 time in microseconds: {time}");
}
