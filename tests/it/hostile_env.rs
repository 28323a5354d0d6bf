//! Whatever the shell exports, the test kit sees the bridge its code builds: `Bridge::into_service` and
//! `TestClient` never read the environment (only `serve` and the command line apply it, see `bridge::settings`).
//!
//! The test runs itself a second time in a child process whose environment sets every variable of the settings'
//! table to a hostile value — a token the kit does not send, limits of one byte, a zero deadline, addresses that
//! do not parse — and both runs must pass the whole simulator and the direct calls below.

use crate::common::child::{clean_command, example_binary};
use crate::minimal;

use bridge::settings::VARIABLES;
use bridge::testing::{ActionProbe, Simulator, TestClient};
use serde_json::json;
use std::process::Command;
use std::sync::{Arc, Mutex};

/// Set in the child run, so that it does not start a child of its own.
const CHILD: &str = "HOSTILE_ENV_CHILD";

/// A value for every variable of the table, each one that would break the kit if it were read.
fn hostile(variable: &str) -> &'static str {
    match variable {
        "BRIDGE_TOKEN" => "a-token-the-test-kit-never-sends",
        "BRIDGE_BODY_LIMIT" | "BRIDGE_MAX_HEADER_BYTES" | "BRIDGE_MAX_IN_FLIGHT" => "1",
        "BRIDGE_DEADLINE" => "0",
        "BRIDGE_PUBLIC_URL" => "https://hostile.invalid",
        "RUST_LOG" => "trace",
        // Addresses, durations and formats that do not parse: reading any of them would be an error.
        _ => "not-a-valid-value",
    }
}

#[tokio::test]
async fn the_test_kit_ignores_every_bridge_variable() {
    if std::env::var_os(CHILD).is_none() {
        let name = format!("{}::the_test_kit_ignores_every_bridge_variable", module_path!());
        let name = name.split_once("::").map_or(name.as_str(), |(_, rest)| rest);
        let mut child = Command::new(std::env::current_exe().unwrap());
        child.args(["--exact", name, "--test-threads=1", "--nocapture"]).env(CHILD, "1");
        for variable in VARIABLES {
            child.env(variable.name, hostile(variable.name));
        }
        let output = child.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("1 passed"),
            "with every variable hostile, the test kit failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    } else {
        for variable in VARIABLES {
            assert_eq!(std::env::var(variable.name).as_deref(), Ok(hostile(variable.name)), "{}", variable.name);
        }
        // What the tests spawn (the example binaries) starts with a clean environment, whatever this one holds.
        let seen = clean_command("env").output().expect("`env` runs");
        let seen = String::from_utf8_lossy(&seen.stdout);
        let leaked: Vec<&str> =
            seen.lines().filter(|line| VARIABLES.iter().any(|v| line.starts_with(v.name))).collect();
        assert!(leaked.is_empty() && seen.contains("PATH="), "a spawned binary sees {leaked:?}:\n{seen}");
    }

    let bridge = || minimal::bridge(Arc::new(Mutex::new(minimal::Service::sample(25))));
    let auth = json!({"username": "john.doe@example.com", "password": "605b32dd"});
    let ticket = ActionProbe::new("create_ticket")
        .contact_external_id("1")
        .data(json!({"subject": "Call missed in Talkdesk", "description": "A call from Jane Doe was missed."}));
    let report = Simulator::new(TestClient::new(bridge()).unwrap(), auth.clone()).action(ticket).run().await;
    report.assert_passes();

    let client = TestClient::new(bridge()).unwrap();
    client.auth_validation().auth(&auth).send().await.assert_status(204);
    client.get("/metrics").send().await.assert_status(200); // no token set in code: no `403`
    let large = "x".repeat(64 * 1024);
    let ticket = json!({"subject": large, "description": "a body far past one byte"});
    let answer = client.action("create_ticket").auth(&auth).contact_external_id("1").data(ticket).send().await;
    answer.assert_status(201);
}

/// A command that does not serve checks only the settings it uses: with a malformed drain delay and log format in
/// the environment, the sqlite example still prints its configuration documents, its help and its version; serving
/// reports the drain delay, naming it.
#[test]
fn commands_that_do_not_serve_answer_whatever_else_the_environment_holds() {
    let sqlite = example_binary("sqlite");
    let malformed = [("BRIDGE_DRAIN_DELAY", "nonsense"), ("BRIDGE_LOG_FORMAT", "nonsense")];
    let run = |args: &[&str]| clean_command(&sqlite).args(args).envs(malformed).output().expect("the example runs");

    let documents = run(&["configuration", "--public-url", "https://desk-bridge.example.com"]);
    assert!(documents.status.success(), "{documents:?}");
    let documents: serde_json::Value = serde_json::from_slice(&documents.stdout).expect("stdout is the documents");
    assert_eq!(
        documents["integration"]["contact_synchronization_endpoint"],
        "https://desk-bridge.example.com/contact_sync"
    );
    let help = run(&["--help"]);
    assert!(help.status.success() && String::from_utf8_lossy(&help.stdout).contains("BRIDGE_DRAIN_DELAY"), "{help:?}");
    assert!(run(&["--version"]).status.success());

    let serve = run(&["serve"]);
    let stderr = String::from_utf8_lossy(&serve.stderr);
    assert_eq!(serve.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("BRIDGE_DRAIN_DELAY=`nonsense` is not a duration"), "{stderr}");
}
