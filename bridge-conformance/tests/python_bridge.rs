//! The command itself (the built binary), against a bridge not written with the framework: `tests/python/bridge.py`,
//! in Python's standard library, on 127.0.0.1. The correct bridge passes in every format; each broken variant fails
//! the check it breaks, and only that one; usage errors exit 2.
//!
//! Every process is bounded: the bridge must say it listens within 10 s, a run must end within 60 s, and the bridge
//! is killed when its guard drops, whatever happened.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const AUTH: &str = r#"{"account": "acme", "token": "py-secret-7f3a"}"#;

fn python_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python")
}

/// The Python bridge, killed on drop.
struct PythonBridge {
    child: Child,
    url: String,
}

impl PythonBridge {
    fn start(variant: &str) -> Self {
        let mut child = Command::new("python3")
            .arg(python_dir().join("bridge.py"))
            .args(["--variant", variant])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        // Killed on drop from here on, even when it never says it listens.
        let mut bridge = Self { child, url: String::new() };
        let line = rx.recv_timeout(Duration::from_secs(10)).expect("the Python bridge listens within 10 s");
        let port = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("unexpected: {line:?}"));
        bridge.url = format!("http://127.0.0.1:{port}");
        bridge
    }
}

impl Drop for PythonBridge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `bridge-conformance` with `args`, within 60 s.
fn conformance(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bridge-conformance"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command runs");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("bridge-conformance {args:?} did not end within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The JSON report of a run, with its exit status.
fn json_report(args: &[&str]) -> (i32, Value) {
    let mut args = args.to_vec();
    args.extend(["--format", "json", "--quiet"]);
    let output = conformance(&args);
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", text(&output.stdout), text(&output.stderr)));
    (output.status.code().unwrap(), report)
}

/// The checks of `report` with `outcome`, as (check, subject).
fn with_outcome(report: &Value, outcome: &str) -> Vec<(String, Option<String>)> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] == outcome)
        .map(|c| (c["check"].as_str().unwrap().to_owned(), c["subject"].as_str().map(str::to_owned)))
        .collect()
}

#[test]
fn the_python_bridge_passes_with_only_url_and_auth_in_every_format() {
    let bridge = PythonBridge::start("correct");

    // Text, with only --url and --auth: every check runs and passes, but the declared action, listed as not run.
    let output = conformance(&["--url", &bridge.url, "--auth", AUTH]);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.starts_with(&format!("Talkdesk protocol conformance of {}\n", bridge.url)), "{stdout}");
    assert!(stdout.contains("  SKIP  create_ticket: the declared action ran\n        - declared, not run"), "{stdout}");
    assert!(stdout.contains("run it with --action create_ticket --action-data '{\"subject\":\"…\"}'"), "{stdout}");
    assert!(stdout.ends_with("PASSED: 26 passed, 0 with warnings, 0 failed, 1 skipped\n"), "{stdout}");
    // Progress on stderr, never the credentials anywhere.
    assert!(stderr.contains("initial contact sync: page 3, 25 contacts so far, done"), "{stderr}");
    assert!(!stdout.contains("py-secret") && !stderr.contains("py-secret"));

    // JSON, with the action: nothing skipped, and the paths, types and inputs came from the documents.
    let (status, report) = json_report(&[
        "--url",
        &bridge.url,
        "--auth",
        AUTH,
        "--action",
        "create_ticket",
        "--action-meta",
        r#"{"contact_external_id": "1"}"#,
        "--action-data",
        r#"{"subject": "Call back", "description": "Missed call"}"#,
    ]);
    assert_eq!(status, 0, "{report:#}");
    assert_eq!(report["passed"], true);
    assert_eq!(report["counts"], json!({"pass": 28, "warn": 0, "fail": 0, "skip": 0}), "{report:#}");
    let checks: Vec<&str> = report["checks"].as_array().unwrap().iter().map(|c| c["check"].as_str().unwrap()).collect();
    for check in
        ["IntegrationDocument", "ActionDocument", "InitialSyncPages", "InteractionTypes", "Action", "AgentPages"]
    {
        assert!(checks.contains(&check), "{check} in {checks:?}");
    }
    let action = report["checks"].as_array().unwrap().iter().find(|c| c["check"] == "Action").unwrap();
    assert_eq!(action["summary"], "201 with external_id, message");

    // JUnit, read back by an XML parser as a CI would: one test case per check, in one suite per section.
    let output = conformance(&["--url", &bridge.url, "--auth", AUTH, "--format", "junit", "--quiet"]);
    assert_eq!(output.status.code(), Some(0));
    let xml = text(&output.stdout);
    let document = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}:\n{xml}"));
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(
        (root.attribute("tests"), root.attribute("failures"), root.attribute("skipped")),
        (Some("27"), Some("0"), Some("1"))
    );
    let suites: Vec<_> = root.children().filter(|n| n.has_tag_name("testsuite")).collect();
    let names: Vec<&str> = suites.iter().map(|s| s.attribute("name").unwrap()).collect();
    assert_eq!(
        names,
        [
            "Configuration documents",
            "Authorization validation",
            "Contact synchronization: initial sync",
            "Contact synchronization: incremental sync",
            "Interaction retrieval",
            "Action execution",
            "Agent synchronization",
            "Every endpoint"
        ]
    );
    let cases: Vec<_> = document.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), 27);
    for suite in &suites {
        let count = suite.children().filter(|n| n.has_tag_name("testcase")).count();
        assert_eq!(suite.attribute("tests"), Some(count.to_string().as_str()));
    }
    let skipped: Vec<_> = cases.iter().filter(|c| c.children().any(|n| n.has_tag_name("skipped"))).collect();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].attribute("classname"), Some("bridge-conformance.ActionNotRun"));
}

/// Each variant, the check it must fail, and words of the reason.
const BROKEN: [(&str, &str, &str); 13] = [
    ("action_200", "Action", "answered 200"),
    ("contact_without_name", "InitialSyncFields", "has no `name` (mandatory)"),
    ("offset_loop", "InitialSyncEnds", "Talkdesk would loop forever"),
    ("checkpoint_backwards", "IncrementalSyncCheckpoint", "2020-01-01 00:00:00 UTC"),
    ("iso_dates", "InteractionFields", "is not in the format `YYYY-MM-DD HH:MM:SS UTC`"),
    ("ignores_types", "InteractionTypes", "comment"),
    ("duplicate_agents", "AgentFields", "\"1\""),
    ("rejects_with_400", "AuthRejected", "400"),
    ("swallows_401", "RejectedEverywhere", "POST /talkdesk/contacts with altered credentials answered 200"),
    ("text_errors", "JsonContentType", "text/plain"),
    ("agent_path_404", "AgentPages", "answered 404 Not Found"),
    ("bad_documents", "IntegrationDocument", "\"display_name\" is a required property"),
    ("no_configuration", "ConfigurationRead", "give them with --configuration FILE"),
];

#[test]
fn each_broken_variant_fails_the_check_it_breaks_and_only_that_one() {
    // In parallel: each variant is its own Python process on its own port.
    std::thread::scope(|scope| {
        let runs: Vec<_> = BROKEN
            .iter()
            .map(|&(variant, check, reason)| {
                scope.spawn(move || {
                    let bridge = PythonBridge::start(variant);
                    let ticket = r#"{"subject": "Call back"}"#;
                    let action = ["--action", "create_ticket", "--action-data", ticket];
                    let (status, report) =
                        json_report(&[&["--url", &bridge.url, "--auth", AUTH][..], &action].concat());
                    assert_eq!(status, 1, "{variant}: {report:#}");
                    assert_eq!(report["passed"], false);
                    let failed: Vec<String> = with_outcome(&report, "fail").into_iter().map(|(c, _)| c).collect();
                    assert_eq!(failed, [check], "{variant}: {report:#}");
                    let failure = report["checks"].as_array().unwrap().iter().find(|c| c["check"] == check).unwrap();
                    let reasons = failure["reasons"].as_array().unwrap();
                    assert!(
                        reasons.iter().any(|r| r.as_str().unwrap().contains(reason)),
                        "{variant}: {reason:?} in {reasons:#?}"
                    );
                })
            })
            .collect();
        for run in runs {
            if let Err(panic) = run.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
}

#[test]
fn documents_given_as_files_serve_a_bridge_that_does_not_serve_them_and_flags_are_held_against_them() {
    let bridge = PythonBridge::start("no_configuration");
    let integration = python_dir().join("integration.json");
    let action = python_dir().join("create_ticket.json");
    let (integration, action) = (integration.to_str().unwrap(), action.to_str().unwrap());
    let with_files = ["--url", &bridge.url, "--auth", AUTH, "--configuration", integration, "--configuration", action];

    // The documents' URLs are the production ones: only their paths are used.
    let (status, report) = json_report(&with_files);
    assert_eq!(status, 0, "{report:#}");
    assert_eq!(with_outcome(&report, "skip"), [("ActionNotRun".to_owned(), Some("create_ticket".to_owned()))]);
    let read = &report["checks"][0];
    assert_eq!(read["check"], "ConfigurationRead");
    assert!(read["summary"].as_str().unwrap().contains("integration.json"), "{read}");

    // Usage errors exit 2 and say what to do.
    let usage = |extra: &[&str], expected: &str| {
        let mut args = with_files.to_vec();
        args.extend(extra);
        let output = conformance(&args);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains(expected), "{extra:?}: {expected:?} in {stderr}");
        assert!(output.stdout.is_empty());
    };
    usage(
        &["--action", "delete_everything"],
        "--action delete_everything: not a declared action (declared: create_ticket)",
    );
    usage(&["--action", "create_ticket"], "give its mandatory input subject");
    usage(
        &["--action", "create_ticket", "--action-data", r#"{"subject": "s", "due": "x"}"#],
        "due not among its declared inputs",
    );
    usage(&["--format", "yaml"], "--format: expected text, json or junit");
    let output =
        conformance(&["--url", &bridge.url, "--auth", r#"{"account": "acme"}"#, "--configuration", integration]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--auth lacks `token`"), "{}", text(&output.stderr));
    let output = conformance(&["--auth", AUTH]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--url is required"));

    // --help documents the formats and the exit statuses.
    let output = conformance(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    let help = text(&output.stdout);
    for words in ["--format FORMAT", "0  every check passed", "1  a check failed", "2  usage error"] {
        assert!(help.contains(words), "{words:?} in {help}");
    }
}

/// A correct bridge whose customers mostly have no interactions (300 customers, one with tickets, found by phone
/// only): with only `--url` and `--auth`, the command searches the synced contacts, each by id then by email and
/// phone, until interactions come back, and the interaction checks run. When no customer has any, it says how many
/// lookups it tried.
#[test]
fn with_no_lookup_the_command_searches_the_contacts_until_interactions_come_back() {
    let interaction_checks = ["InteractionFields", "InteractionValues", "InteractionTypes", "InteractionIds"];
    let check = |report: &Value, name: &str| {
        report["checks"].as_array().unwrap().iter().find(|c| c["check"] == name).cloned().unwrap()
    };
    let sparse = PythonBridge::start("sparse");
    let (status, report) = json_report(&["--url", &sparse.url, "--auth", AUTH]);
    assert_eq!(status, 0, "{report:#}");
    for name in interaction_checks {
        assert_eq!(check(&report, name)["outcome"], "pass", "{name}: {report:#}");
    }
    // The first three contacts, then contacts 4 to 249 by id and by email and phone, then 250 by id and by phone.
    let answers = check(&report, "InteractionAnswers");
    assert_eq!(answers["summary"], "497 lookups (494 searched for, of at most 1000), 2 interactions", "{answers:#}");
    // The lookup that found them is the one sent again with altered credentials.
    assert_eq!(check(&report, "RejectedEverywhere")["outcome"], "pass", "{report:#}");

    let without = PythonBridge::start("without_interactions");
    let (status, report) = json_report(&["--url", &without.url, "--auth", AUTH]);
    assert_eq!(status, 0, "skipped checks do not fail a run: {report:#}");
    let tried = "no interaction came back from 597 lookups (594 searched for, of at most 1000)";
    for name in interaction_checks {
        let skipped = check(&report, name);
        assert_eq!(skipped["outcome"], "skip", "{name}: {report:#}");
        assert!(skipped["reasons"][0].as_str().unwrap().starts_with(tried), "{skipped:#}");
    }
}
