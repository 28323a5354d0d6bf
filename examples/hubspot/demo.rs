//! `--demo`: the bridge against the built-in fake HubSpot (a few hundred contacts with their notes, tasks, calls,
//! emails, meetings and tickets, seven owners, and an OAuth token endpoint), with a `curl` command for each
//! endpoint that Talkdesk would send, ready to paste, each saying what it answers.
//!
//! The fake listens on 127.0.0.1 (a free port, or `HUBSPOT_DEMO_FAKE_ADDR`) and the bridge calls it through the
//! override an operator uses (`HUBSPOT_BASE_URL`); the bridge listens on `BRIDGE_ADDR` (default `127.0.0.1:3000`).
//! Access tokens live `HUBSPOT_DEMO_TOKEN_SECONDS` (default 600) and, when `HUBSPOT_DEMO_TOKEN_USES` is set, only
//! that many HubSpot calls each, so that tokens expire in the middle of a contact sync and a Talkdesk (or
//! `bridge-conformance`, with the printed `--oauth-…` flags) must refresh them: `HUBSPOT_DEMO_TOKEN_USES=15
//! HUBSPOT_CONTACT_PAGE_SIZE=20` expires one in the middle of the initial sync (an interaction lookup of all six
//! types takes 13 HubSpot calls, so fewer uses than that leave no token able to answer one). Before printing, the demo runs one full
//! contact synchronization (so that the next-page and incremental commands carry a real offset and checkpoint),
//! then changes two contacts, so that the incremental command has something to find. Ctrl-C stops both.

use super::fake::{self, Fake, ALL_SCOPES, CLIENT_ID, CLIENT_SECRET, FIRST_CONTACT, REFRESH_TOKEN};
use super::{
    bridge, contact_page_size, Config, HUBSPOT_DEMO_FAKE_ADDR, HUBSPOT_DEMO_TOKEN_SECONDS, HUBSPOT_DEMO_TOKEN_USES,
};
use bridge::http::BaseUrl;
use bridge::testing::TestClient;
use bridge::RunningBridge;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Duration;

/// How many contacts the demo account has.
pub const DEMO_CONTACTS: usize = 300;

/// One command the demo prints: what it shows, the status it answers, and how to send it.
#[derive(Debug, Clone)]
pub struct Command {
    pub title: String,
    /// The status the command answers.
    pub status: u16,
    /// The URL it is sent to.
    pub url: String,
    /// The JSON body (bridge calls) or form (the token endpoint).
    pub body: Body,
}

/// A command's body.
#[derive(Debug, Clone)]
pub enum Body {
    Json(Value),
    Form(Vec<(&'static str, String)>),
}

impl Command {
    /// The command as a `curl` line.
    pub fn curl(&self) -> String {
        match &self.body {
            Body::Json(body) => {
                let flags = if self.status == 200 || self.status == 201 { "-s" } else { "-si" };
                format!("curl {flags} {} -H 'content-type: application/json' -d '{body}'", self.url)
            }
            Body::Form(fields) => {
                let fields: Vec<String> = fields.iter().map(|(k, v)| format!("-d {k}={v}")).collect();
                format!("curl -s {} {}", self.url, fields.join(" "))
            }
        }
    }
}

/// The running demo: the fake, the bridge, and the commands to try.
pub struct Demo {
    pub fake: Fake,
    pub server: fake::RunningFake,
    pub bridge: RunningBridge,
    pub access_token: String,
    pub commands: Vec<Command>,
    /// The arguments of `bridge-conformance`, as Talkdesk with OAuth, against this demo: the URL, the credentials
    /// and the OAuth flags, no more.
    pub conformance: Vec<String>,
    /// The arguments that add the demo's actions to a `bridge-conformance` run (they change the fake HubSpot).
    pub conformance_actions: Vec<String>,
}

/// `arg` as one shell word.
fn quoted(arg: &str) -> String {
    if arg.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=,".contains(c)) {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

/// Runs the demo until SIGINT or SIGTERM.
pub async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let fake_addr = HUBSPOT_DEMO_FAKE_ADDR
        .read(|text| text.parse::<SocketAddr>().map_err(|_| "an address, e.g. 127.0.0.1:8081"))?
        .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0)));
    let number = |text: &str| text.parse::<u64>().map_err(|_| "a number");
    let seconds = HUBSPOT_DEMO_TOKEN_SECONDS.read(number)?.unwrap_or(600);
    let uses = HUBSPOT_DEMO_TOKEN_USES.read(number)?.map(|n| n as u32);
    let page_size = contact_page_size()?.unwrap_or(100); // a few pages, to show pagination
    let tokens = Tokens { lifetime: Duration::from_secs(seconds), uses };
    let addr = bridge::Settings::new().overlay_process_env()?.addr_value();
    let demo = start_with(fake_addr, addr, tokens, page_size, ReadEnvironment::Yes).await?;
    println!(
        "\nA fake HubSpot with {DEMO_CONTACTS} contacts, their engagements and tickets, and an OAuth token endpoint \
         is listening on {}.",
        demo.server.url()
    );
    println!(
        "Its access tokens live {seconds} s{}.",
        uses.map(|n| format!(" or {n} HubSpot calls")).unwrap_or_default()
    );
    println!(
        "The HubSpot bridge is listening on {}. Talk to it as Talkdesk would (Ctrl-C to stop):\n",
        demo.bridge.url()
    );
    for command in &demo.commands {
        println!("# {}", command.title);
        println!("{}\n", command.curl());
    }
    let words = |args: &[String]| args.iter().map(|arg| quoted(arg)).collect::<Vec<_>>().join(" ");
    println!(
        "# Every check Talkdesk's use implies, as Talkdesk with OAuth (refreshing on 401), with bridge-conformance"
    );
    println!("# (once: cargo install --path bridge-conformance; it reads the rest from GET /configuration):");
    println!("bridge-conformance {}\n", words(&demo.conformance));
    println!("# …and the actions too (they change the fake HubSpot):");
    println!("bridge-conformance {} {}\n", words(&demo.conformance), words(&demo.conformance_actions));
    demo.bridge.run_until_signal().await;
    drop(demo.server);
    Ok(())
}

/// How long the fake's access tokens live.
#[derive(Debug, Clone, Copy)]
pub struct Tokens {
    pub lifetime: Duration,
    /// HubSpot calls each, when limited.
    pub uses: Option<u32>,
}

/// Starts the fake on `fake_addr` and the bridge on `bridge_addr` (`contact_page_size` contacts a page), runs one
/// contact synchronization, changes two contacts, and lists the commands. It reads no environment (`--demo` does,
/// with [`start_with`]): a test sees the same demo whatever its shell exports.
pub async fn start(
    fake_addr: SocketAddr,
    bridge_addr: SocketAddr,
    tokens: Tokens,
    contact_page_size: u32,
) -> Result<Demo, Box<dyn std::error::Error>> {
    start_with(fake_addr, bridge_addr, tokens, contact_page_size, ReadEnvironment::No).await
}

/// Whether the demo's bridge takes the settings its code leaves unset from the environment (`BRIDGE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadEnvironment {
    /// As `--demo` serves: the environment fills what code left unset.
    Yes,
    /// As a test starts it: the code's settings and the defaults only.
    No,
}

/// [`start`], reading the environment or not.
pub async fn start_with(
    fake_addr: SocketAddr,
    bridge_addr: SocketAddr,
    tokens: Tokens,
    contact_page_size: u32,
    environment: ReadEnvironment,
) -> Result<Demo, Box<dyn std::error::Error>> {
    let fake = Fake::sample(DEMO_CONTACTS);
    fake.token_lifetime(tokens.lifetime);
    fake.search_rate(Some(5)); // HubSpot's search API: a few requests a second, then 429 without Retry-After
    let server = fake.start_on(fake_addr).await?;
    let config = Config {
        base_url: Some(BaseUrl::parse(&server.url())?),
        contact_page_size,
        agent_page_size: 3,
        search_lag: Duration::ZERO, // the fake's search index never lags
        ..Config::default()
    };

    // The demo's own Talkdesk syncs once with a token of its own, before tokens may be limited in uses, in process
    // and before the bridge listens: once `/health` or `/ready` answer, the start-up sync is over and nothing
    // changes under a check that starts then.
    let own = json!({ "access_token": fake.issue_token(&ALL_SCOPES) });
    let talkdesk = TestClient::new(bridge(config.clone())?)?;
    let first = talkdesk.contact_sync().auth(&own).send().await.raw_json()?;
    let checkpoint = talkdesk.sync_all().auth(&own).contacts().await?.checkpoint().to_owned();
    let changed = [FIRST_CONTACT + 5, FIRST_CONTACT + 42];
    fake.update_contacts(&changed, |c| c.jobtitle = Some("Head of Purchasing (changed)".into()));
    fake.token_uses(tokens.uses);
    let bridge = bridge(config)?;
    let bridge = if environment == ReadEnvironment::Yes { bridge.with_env()? } else { bridge };
    let running = bridge.bind(bridge_addr).await?;
    let url = running.url();
    let token = fake.issue_token(&ALL_SCOPES);
    let expired = fake.issue_token_for(&ALL_SCOPES, Duration::ZERO);
    let narrow = fake.issue_token(&["crm.objects.contacts.read"]);

    let auth = json!({ "access_token": token });
    let call = |title: &str, status: u16, path: &str, meta: Option<Value>, data: Option<Value>| {
        let mut body = json!({ "auth": auth });
        if let Some(meta) = meta {
            body["meta"] = meta;
        }
        if let Some(data) = data {
            body["data"] = data;
        }
        Command { title: title.to_owned(), status, url: format!("{url}{path}"), body: Body::Json(body) }
    };
    let contacts = fake.contacts();
    let contact = |n: u64| contacts.iter().find(|c| c.id == FIRST_CONTACT + n).cloned().expect("a sample contact");
    let (by_id, by_email, by_phone) = (contact(13), contact(7), contact(21));
    let all_types = json!({"interaction_types": ["note", "task", "call", "email", "meeting", "ticket"]});

    let mut commands = vec![call(
        "Auth validation: 204, the token has every scope the bridge needs",
        204,
        "/auth_validation",
        None,
        None,
    )];
    let mut expired_call = call(
        "…and 401 for an expired token: Talkdesk refreshes it and repeats the request",
        401,
        "/contact_sync",
        None,
        None,
    );
    expired_call.body = Body::Json(json!({"auth": {"access_token": expired}}));
    commands.push(expired_call);
    commands.push(Command {
        title: "The refresh Talkdesk then makes: 200, a new access_token (expires_in seconds)".into(),
        status: 200,
        url: format!("{}/oauth/v1/token", server.url()),
        body: Body::Form(vec![
            ("grant_type", "refresh_token".into()),
            ("client_id", CLIENT_ID.into()),
            ("client_secret", CLIENT_SECRET.into()),
            ("refresh_token", REFRESH_TOKEN.into()),
        ]),
    });
    let mut narrow_call = call(
        "Auth validation with a token missing scopes: 401 naming each missing scope (Talkdesk refuses the activation)",
        401,
        "/auth_validation",
        None,
        None,
    );
    narrow_call.body = Body::Json(json!({"auth": {"access_token": narrow}}));
    commands.push(narrow_call);
    commands.push(call(
        "Contact sync, initial, first page: 100 contacts and a next_offset",
        200,
        "/contact_sync",
        None,
        None,
    ));
    let next = json!({"offset": first["next_offset"], "context": first["context"]});
    commands.push(call("Contact sync, initial, next page", 200, "/contact_sync", Some(next), None));
    let incremental = json!({ "synchronization_checkpoint": checkpoint });
    commands.push(call(
        "Contact sync, incremental: the two contacts changed since the initial sync (and the few sharing the checkpoint's millisecond)",
        200,
        "/contact_sync",
        Some(incremental),
        None,
    ));
    let by = |how: &str, c: &fake::Contact| {
        format!(
            "Interactions of {} {} (contact {}), by {how}",
            c.firstname.as_deref().unwrap_or(""),
            c.lastname.as_deref().unwrap_or(""),
            c.id
        )
    };
    commands.push(call(
        &(by("contact_external_id", &by_id) + ": its notes, tasks, emails and tickets"),
        200,
        "/interaction_update",
        Some(all_types.clone()),
        Some(json!({"contact_external_id": by_id.id.to_string()})),
    ));
    commands.push(call(
        &(by("email", &by_email) + ": only its notes and tasks, as requested"),
        200,
        "/interaction_update",
        Some(json!({"interaction_types": ["note", "task"]})),
        Some(json!({"contact_emails": [by_email.email]})),
    ));
    commands.push(call(
        &(by("phone", &by_phone) + ": its task, call and ticket"),
        200,
        "/interaction_update",
        Some(all_types),
        Some(json!({"contact_phones": [by_phone.phone]})),
    ));
    let meta = json!({"contact_external_id": by_id.id.to_string(), "agent_external_id": "502"});
    commands.push(call(
        "Action create_task: a follow-up task on the contact, assigned to owner 502 (Paul Seller): 201 with its id",
        201,
        "/actions/create_task",
        Some(meta.clone()),
        Some(json!({"subject": "Call back about the renewal", "body": "Missed call in Talkdesk.", "priority": "high", "due": "2030-01-15 09:00:00 UTC"})),
    ));
    commands.push(call(
        "Action log_note: a note on the contact's timeline: 201 with its id",
        201,
        "/actions/log_note",
        Some(meta),
        Some(json!({"body": "Customer asked for a callback next week."})),
    ));
    commands.push(call(
        "Action create_task for an owner HubSpot does not know: 400 with HubSpot's reason",
        400,
        "/actions/create_task",
        Some(json!({"contact_external_id": by_id.id.to_string(), "agent_external_id": "999"})),
        Some(json!({"subject": "Call back"})),
    ));
    commands.push(call(
        "Agent sync, first page: HubSpot owners (people only) and a next_offset",
        200,
        "/agent_sync",
        None,
        None,
    ));
    commands.push(call("Agent sync, next page", 200, "/agent_sync", Some(json!({"offset": 3})), None));
    let meta = json!({"contact_external_id": by_id.id.to_string(), "agent_external_id": "502"}).to_string();
    // Everything else (the endpoints, the interaction types, the actions and their inputs, the authentication
    // type and the OAuth token's field) the command reads from the bridge's GET /configuration.
    let conformance = [
        "--url",
        &url,
        "--auth",
        &json!({ "access_token": token }).to_string(),
        "--oauth-token-url",
        &format!("{}/oauth/v1/token", server.url()),
        "--oauth-client-id",
        CLIENT_ID,
        "--oauth-client-secret",
        CLIENT_SECRET,
        "--oauth-refresh-token",
        REFRESH_TOKEN,
    ]
    .map(str::to_owned)
    .to_vec();
    let conformance_actions = [
        "--action",
        "create_task",
        "--action-meta",
        &meta,
        "--action-data",
        r#"{"subject": "Call back", "priority": "high"}"#,
        "--action",
        "log_note",
        "--action-meta",
        &meta,
        "--action-data",
        r#"{"body": "Called from Talkdesk"}"#,
    ]
    .map(str::to_owned)
    .to_vec();
    Ok(Demo { fake, server, bridge: running, access_token: token, commands, conformance, conformance_actions })
}
