//! `--demo`: the bridge against the built-in fake Zendesk, with a few hundred sample users and their tickets, and a
//! `curl` command for each endpoint that Talkdesk would send, ready to paste, and the `bridge-conformance` command
//! that checks them all.
//!
//! The fake listens on 127.0.0.1 (a free port) and the bridge calls it through the same override an operator uses
//! (`ZENDESK_BASE_URL`); the bridge listens on `BRIDGE_ADDR` (default `127.0.0.1:3000`). Before printing, the demo
//! runs one full contact synchronization through the bridge (so that the printed next-page and incremental
//! commands carry real offsets and checkpoints), then changes two users, so that the incremental command has
//! something to find. That start-up sync runs in process, before the bridge listens: once `/health` or `/ready`
//! answer, the demo is ready, and a check that starts then (`bridge-conformance`, `scripts/load.sh`) never meets
//! users changing under it. Both stop on Ctrl-C.

use super::fake::{Fake, User, ADMIN_EMAIL, AGENT_EMAIL, API_TOKEN, FIRST_END_USER};
use super::{bridge, Config};
use bridge::http::BaseUrl;
use bridge::testing::TestClient;
use bridge::TalkdeskDate;
use serde_json::{json, Value};

/// How many end users the demo account has.
pub const DEMO_USERS: usize = 300;

/// Runs the demo until SIGINT or SIGTERM.
pub async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let fake = Fake::sample_at(DEMO_USERS, TalkdeskDate::now().unix_timestamp());
    let server = fake.start().await?;
    let mut config = Config::from_env()?;
    config.base_url = Some(BaseUrl::parse(&server.url())?);
    if super::contact_page_size()?.is_none() {
        config.contact_page_size = 100; // a few pages, to show pagination
    }
    config.agent_page_size = 2;

    let auth = json!({"account": "demo", "email": ADMIN_EMAIL, "token": API_TOKEN});
    // The demo's own Talkdesk, in process before the bridge listens: the first page, for the next-page command,
    // and a whole sync, for the checkpoint.
    let talkdesk = TestClient::new(bridge(config.clone())?)?;
    let first = talkdesk.contact_sync().auth(&auth).send().await.raw_json()?;
    let checkpoint = talkdesk.sync_all().auth(&auth).contacts().await?.checkpoint().to_owned();
    // Two users change after the sync: the incremental command finds exactly them.
    let changed = [FIRST_END_USER + 5, FIRST_END_USER + 42];
    fake.update_users(&changed, |user: &mut User| user.name = format!("{} (changed)", user.name));
    fake.advance(61); // Zendesk exports a change once it is a minute old

    // Ready: only now does the bridge listen (and `/health` answer).
    let running = bridge(config)?.with_env()?.start().await?;
    let url = running.url();

    let with_tickets = |n: u64| fake.user(FIRST_END_USER + n).expect("a sample user");
    let (by_id, by_email, by_phone) = (with_tickets(3), with_tickets(7), with_tickets(11));

    println!("\nA fake Zendesk with {DEMO_USERS} end users and their tickets is listening on {}.", server.url());
    println!("The Zendesk bridge is listening on {url}. Talk to it as Talkdesk would (Ctrl-C to stop):\n");
    let show = |title: &str, path: &str, meta: Option<Value>, data: Option<Value>| {
        // Written by hand to keep Talkdesk's order: auth, meta, data.
        let mut body = format!("{{\"auth\": {auth}");
        for (key, value) in [("meta", meta), ("data", data)] {
            if let Some(value) = value {
                body.push_str(&format!(", \"{key}\": {value}"));
            }
        }
        let flags = if path == "/auth_validation" { "-si" } else { "-s" };
        println!("# {title}");
        println!("curl {flags} {url}{path} -H 'content-type: application/json' -d '{body}}}'\n");
    };
    show("Auth validation: 204 for the admin's API token", "/auth_validation", None, None);
    println!("# …and 401 for a wrong token");
    let wrong = json!({"auth": {"account": "demo", "email": ADMIN_EMAIL, "token": "not-the-token"}});
    println!("curl -si {url}/auth_validation -H 'content-type: application/json' -d '{wrong}'\n");
    println!("# An agent's credentials are valid too (contact sync then reads the user list, newest first)");
    let agent = json!({"auth": {"account": "demo", "email": AGENT_EMAIL, "token": API_TOKEN}});
    println!("curl -si {url}/auth_validation -H 'content-type: application/json' -d '{agent}'\n");
    println!("curl -s {url}/contact_sync -H 'content-type: application/json' -d '{agent}'\n");
    show("Contact sync, initial, first page: contacts and a next_offset", "/contact_sync", None, None);
    let next = json!({"offset": first["next_offset"], "context": first["context"]});
    show("Contact sync, initial, next page", "/contact_sync", Some(next), None);
    let incremental = json!({ "synchronization_checkpoint": checkpoint });
    show(
        "Contact sync, incremental: exactly the two users changed since the initial sync",
        "/contact_sync",
        Some(incremental),
        None,
    );
    let tickets = Some(json!({"interaction_types": ["ticket"]}));
    let by =
        |how: &str, user: &User| format!("Interactions: the tickets of {} (user {}), by {how}", user.name, user.id);
    let data = json!({ "contact_external_id": by_id.id.to_string() });
    show(&by("contact_external_id", &by_id), "/interaction_update", tickets.clone(), Some(data));
    let data = json!({ "contact_emails": [by_email.email] });
    show(&by("email", &by_email), "/interaction_update", tickets.clone(), Some(data));
    let data = json!({ "contact_phones": [by_phone.phone] });
    show(&by("phone", &by_phone), "/interaction_update", tickets, Some(data));
    let meta = json!({"contact_external_id": by_id.id.to_string(), "agent_external_id": "2"});
    let data = json!({
        "subject": "Call missed in Talkdesk",
        "description": "A call was missed; please call back.",
        "priority": "high",
    });
    let title = format!("Action create_ticket: a ticket requested by {} and assigned to Ben Agent (201)", by_id.name);
    show(&title, "/actions/create_ticket", Some(meta), Some(data));
    show("Agent sync, first page", "/agent_sync", None, None);
    show("Agent sync, next page", "/agent_sync", Some(json!({"offset": 2})), None);
    println!(
        "# Every check Talkdesk's use implies, with bridge-conformance (once: cargo install --path bridge-conformance;"
    );
    println!("# it reads the endpoints, interaction types, actions and authentication type from GET /configuration):");
    println!("bridge-conformance --url {url} --auth '{auth}'\n");
    let meta = json!({"contact_external_id": by_id.id.to_string()});
    let data = json!({"subject": "Call missed in Talkdesk", "description": "A call was missed; please call back."});
    println!("# …and the action too (it creates a ticket in the fake Zendesk):");
    println!(
        "bridge-conformance --url {url} --auth '{auth}' --action create_ticket --action-meta '{meta}' \\\n    \
         --action-data '{data}'\n"
    );

    running.run_until_signal().await;
    drop(server);
    Ok(())
}
