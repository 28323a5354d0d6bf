//! `--demo`: the bridge against the built-in fake Salesforce org (a few hundred Contacts and Leads with their
//! Cases, Tasks and Events, six Users), with a `curl` command for each endpoint that Talkdesk would send, each
//! saying what it answers, and the `bridge-conformance` line.
//!
//! The fake listens on 127.0.0.1 (a free port) and the bridge calls it through the override an operator uses
//! (`SALESFORCE_BASE_URL`): the instance URLs in `auth` are still checked (they name `acme.my.salesforce.com`).
//! The bridge listens on `BRIDGE_ADDR` (default `127.0.0.1:3000`). Before printing, the demo runs one full contact
//! synchronization, so that the incremental command carries a real checkpoint, then changes two contacts.

use super::fake::{self, Fake, INSTANCE};
use super::{bridge, Config};
use bridge::http::BaseUrl;
use bridge::testing::TestClient;
use bridge::RunningBridge;
use serde_json::{json, Value};
use std::net::SocketAddr;

/// How many Contacts the demo org has (and a quarter as many Leads).
pub const DEMO_CONTACTS: usize = 300;

/// One command the demo prints: what it shows, the status it answers, where it goes and its body.
#[derive(Debug, Clone)]
pub struct Command {
    pub title: String,
    pub status: u16,
    pub url: String,
    pub body: Value,
}

impl Command {
    /// The command as a `curl` line.
    pub fn curl(&self) -> String {
        let flags = if self.status == 200 || self.status == 201 { "-s" } else { "-si" };
        let body = self.body.to_string().replace('\'', "'\\''");
        format!("curl {flags} {} -H 'content-type: application/json' -d '{body}'", self.url)
    }
}

/// The running demo.
pub struct Demo {
    pub fake: Fake,
    pub server: fake::RunningFake,
    pub bridge: RunningBridge,
    pub commands: Vec<Command>,
    /// The arguments of `bridge-conformance` against this demo: `--url` and `--auth`, no more.
    pub conformance: Vec<String>,
}

/// Runs the demo until SIGINT or SIGTERM.
pub async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let demo = start_with(bridge::Settings::new().overlay_process_env()?.addr_value(), ReadEnvironment::Yes).await?;
    println!("\nA fake Salesforce org ({INSTANCE}) is listening on {}.", demo.server.url());
    println!(
        "The Salesforce bridge is listening on {}. Talk to it as Talkdesk would (Ctrl-C to stop):\n",
        demo.bridge.url()
    );
    for command in &demo.commands {
        println!("# {}", command.title);
        println!("{}\n", command.curl());
    }
    let words: Vec<String> = demo.conformance.iter().map(|a| format!("'{}'", a.replace('\'', "'\\''"))).collect();
    println!("# Every check Talkdesk's use implies (cargo install --path bridge-conformance):");
    println!("bridge-conformance {}\n", words.join(" "));
    demo.bridge.run_until_signal().await;
    drop(demo.server);
    Ok(())
}

/// Whether the demo's bridge takes its settings from the process's environment too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadEnvironment {
    /// As `--demo` serves: the environment fills what code left unset.
    Yes,
    /// As a test starts it: the code's settings and the defaults only.
    No,
}

/// Starts the fake and the bridge (on `bridge_addr`), syncs once, changes two contacts, lists the commands; reads
/// no environment (as a test starts it).
pub async fn start(bridge_addr: SocketAddr) -> Result<Demo, Box<dyn std::error::Error>> {
    start_with(bridge_addr, ReadEnvironment::No).await
}

/// [`start`], reading the environment or not.
pub async fn start_with(
    bridge_addr: SocketAddr,
    environment: ReadEnvironment,
) -> Result<Demo, Box<dyn std::error::Error>> {
    let fake = Fake::sample(DEMO_CONTACTS);
    let server = fake.start().await?;
    let config = Config {
        base_url: Some(BaseUrl::parse(&server.url())?),
        contact_page_size: 100,
        agent_page_size: 3,
        commit_lag: std::time::Duration::ZERO,
        ..Config::default()
    };
    let token = fake.issue_token(&[]);
    let auth = json!({"access_token": token, "instance_url": INSTANCE});
    // The demo's own Talkdesk syncs once, in process and before the bridge listens: once `/health` or `/ready`
    // answer, the start-up sync is over and nothing changes under a check that starts then.
    let talkdesk = TestClient::new(bridge(config.clone())?)?;
    let checkpoint = talkdesk.sync_all().auth(&auth).contacts().await?.checkpoint().to_owned();
    let contacts = fake.records("Contact");
    let id = |n: usize| contacts[n].id().to_owned();
    fake.update(&[&id(5), &id(42)], |c| {
        c.insert("Title".into(), json!("Head of Purchasing (changed)"));
    });
    let bridge = bridge(config)?;
    let bridge = if environment == ReadEnvironment::Yes { bridge.with_env()? } else { bridge };
    let running = bridge.bind(bridge_addr).await?;
    let url = running.url();
    let call = |title: &str, status: u16, path: &str, auth: &Value, meta: Value, data: Value| {
        let mut body = json!({"auth": auth});
        if !meta.is_null() {
            body["meta"] = meta;
        }
        if !data.is_null() {
            body["data"] = data;
        }
        Command { title: title.to_owned(), status, url: format!("{url}{path}"), body }
    };
    let types = json!(["case", "task", "event"]);
    let no_instance = json!({"access_token": token});
    let foreign = json!({"access_token": token, "instance_url": "https://acme.my.salesforce.com.evil.example"});
    let hidden_cases = json!({"access_token": fake.issue_token(&["Case"]), "instance_url": INSTANCE});
    let commands = vec![
        call(
            "Auth validation: 204, the user may read and create what the bridge needs",
            204,
            "/auth_validation",
            &auth,
            Value::Null,
            Value::Null,
        ),
        call(
            "…401 for a token Salesforce does not know (INVALID_SESSION_ID): Talkdesk refreshes it",
            401,
            "/auth_validation",
            &json!({"access_token": "00Dnever!issued", "instance_url": INSTANCE}),
            Value::Null,
            Value::Null,
        ),
        call(
            "…401 naming the missing permission (a user who may not see Cases)",
            401,
            "/auth_validation",
            &hidden_cases,
            Value::Null,
            Value::Null,
        ),
        call(
            "…400 naming auth.instance_url for a host outside Salesforce: nothing is sent to it",
            400,
            "/auth_validation",
            &foreign,
            Value::Null,
            Value::Null,
        ),
        call(
            "Contact sync, first page: Contacts and Leads, oldest change first, a next_offset",
            200,
            "/contact_sync",
            &auth,
            Value::Null,
            Value::Null,
        ),
        call(
            "Incremental contact sync from the demo's own checkpoint: the two contacts changed since (after those stamped at the checkpoint itself, sent again: the boundary is inclusive)",
            200,
            "/contact_sync",
            &auth,
            json!({"synchronization_checkpoint": checkpoint}),
            Value::Null,
        ),
        call(
            "Interactions by id (one query with subqueries): cases, tasks and events",
            200,
            "/interaction_update",
            &auth,
            json!({"interaction_types": types}),
            json!({"contact_external_id": id(13)}),
        ),
        call(
            "Interactions by email (the instance from Salesforce's userinfo, remembered for the token)",
            200,
            "/interaction_update",
            &no_instance,
            json!({"interaction_types": types}),
            json!({"contact_emails": ["customer7@example.com"]}),
        ),
        call(
            "Interactions by phone (a SOSL search, then the query by id)",
            200,
            "/interaction_update",
            &auth,
            json!({"interaction_types": types}),
            json!({"contact_phones": ["+1 555 0100021"]}),
        ),
        call(
            "Action create_case: 201 with the Case's id",
            201,
            "/actions/create_case",
            &auth,
            json!({"contact_external_id": id(13)}),
            json!({"subject": "Call back about the renewal", "description": "Missed call in Talkdesk.", "priority": "high"}),
        ),
        call(
            "Action log_call: a completed Task (TaskSubtype Call) on the contact: 201",
            201,
            "/actions/log_call",
            &auth,
            json!({"contact_external_id": id(13)}),
            json!({"subject": "Inbound call", "description": "Asked about invoices.", "duration": 184}),
        ),
        call(
            "Action create_case with a subject Salesforce refuses (over 255 characters): 400 naming data.subject",
            400,
            "/actions/create_case",
            &auth,
            json!({"contact_external_id": id(13)}),
            json!({"subject": "x".repeat(300)}),
        ),
        call(
            "Agent sync, first page: active standard Users and a next_offset",
            200,
            "/agent_sync",
            &auth,
            Value::Null,
            Value::Null,
        ),
        call("Agent sync, next page", 200, "/agent_sync", &auth, json!({"offset": "3"}), Value::Null),
    ];
    let conformance = ["--url", &url, "--auth", &auth.to_string()].map(str::to_owned).to_vec();
    Ok(Demo { fake, server, bridge: running, commands, conformance })
}
