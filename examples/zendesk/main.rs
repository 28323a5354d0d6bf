//! A complete Zendesk Support bridge: the five Talkdesk endpoints against the Zendesk Support API v2, with the auth
//! fields of Talkdesk's own Zendesk configuration (`account`, `email`, `token`).
//!
//! ```text
//! cargo run --example zendesk -- --demo   # against a built-in fake Zendesk, with curl commands to paste
//! cargo run --example zendesk             # against https://<account>.zendesk.com (or ZENDESK_BASE_URL)
//! cargo run --example zendesk -- configuration --public-url https://zendesk-bridge.example.com
//!                                          # print the configuration documents to give Talkdesk, and exit
//! cargo run --example zendesk -- --help    # the command line every bridge has (`bridge::cli`), and --demo
//! ```
//!
//! The configuration documents (see `bridge::docs::configuration`) are generated from the code: the auth fields from
//! `#[derive(bridge::AuthFields)]` on [`zendesk::Credentials`], the action and its inputs from
//! `#[bridge::action_executor]` and `#[derive(bridge::ActionInputs)]` on [`handlers::TicketInputs`], the endpoint
//! URLs from what [`bridge`] mounts, the rest from [`integration`]. The running bridge also serves them at
//! `GET /configuration` (with the URL of `BRIDGE_PUBLIC_URL`, or of the request's `Host`).
//!
//! | endpoint | path | Zendesk API |
//! |---|---|---|
//! | auth validation | `/auth_validation` | `GET /api/v2/users/me` |
//! | contact synchronization | `/contact_sync` | `GET /api/v2/incremental/users/cursor` (admins), `GET /api/v2/users?role=end-user&sort=-updated_at` (agents) |
//! | interaction retrieval | `/interaction_update` | `GET /api/v2/users/search`, `/api/v2/users/{id}/tickets/requested` |
//! | action `create_ticket` | `/actions/create_ticket` | `POST /api/v2/tickets` |
//! | agent synchronization | `/agent_sync` | `GET /api/v2/users?role[]=agent&role[]=admin` |
//!
//! The modules, in the order a request meets them:
//!
//! - [`handlers`], the five endpoints, whose credentials they accept (an agent's or an admin's, as Talkdesk's form
//!   asks for the "Agent Email"), and how contacts are read with each (the incremental user export for an admin,
//!   the user list for an agent) at what cost;
//! - [`zendesk`], the Zendesk API calls and the shapes they read, over `bridge::http`;
//! - [`mapping`], Zendesk users and tickets as Talkdesk contacts, agents and interactions;
//! - [`fake`], a stateful fake Zendesk on 127.0.0.1, for the demo and the tests;
//! - [`demo`], `--demo`.
//!
//! Environment: `BRIDGE_ADDR` (default `127.0.0.1:3000`) or `PORT`, `BRIDGE_TOKEN` (see the runtime),
//! `ZENDESK_BASE_URL` (replaces `https://<account>.zendesk.com` for every account: a proxy, a staging host, a fake;
//! operator configuration, never request input), `ZENDESK_CONTACT_PAGE_SIZE` (users per contact page, 1–1000,
//! default 500; at most 100 are asked for with an agent's credentials), `RUST_LOG`.

pub mod demo;
pub mod fake;
pub mod handlers;
pub mod mapping;
pub mod zendesk;

use bridge::cli::Command;
use bridge::configuration::{Documents, Integration};
use bridge::http::{BaseUrl, Client, TenantUrl};
use bridge::Bridge;
use std::process::ExitCode;
use std::time::Duration;

bridge::variables! {
    /// The example's own variables, read by [`Config::from_env`] and listed by `--help` after the framework's.
    pub const VARIABLES = [
        /// A proxy, a staging host, a fake: operator configuration, never request input.
        ZENDESK_BASE_URL = "none": "replaces https://<account>.zendesk.com for every account",
        /// At most 100 are asked for with an agent's credentials.
        ZENDESK_CONTACT_PAGE_SIZE = "500": "users per contact page, 1-1000",
    ];
}

/// How the bridge calls Zendesk. [`Config::default`] suits production; [`Config::from_env`] reads the operator's
/// settings on top of it.
#[derive(Debug, Clone)]
pub struct Config {
    /// Replaces `https://<account>.zendesk.com/` for every account (`ZENDESK_BASE_URL`).
    pub base_url: Option<BaseUrl>,
    /// The longest one attempt of one call may take.
    pub timeout: Duration,
    /// How many times a call is repeated after a `429`, a `503` or a failed connection.
    pub max_retries: u32,
    /// The longest `Retry-After` waited for; Zendesk asking for more is a `502` at once.
    pub max_retry_after: Duration,
    /// All the Zendesk calls of one Talkdesk request, retries and waits included, end within this.
    pub call_budget: Duration,
    /// The bridge answers `504` to a request still running after this (Talkdesk gives up after about 30 s).
    pub deadline: Duration,
    /// Users per page of contact synchronization (`ZENDESK_CONTACT_PAGE_SIZE`); at most 100 with an agent's
    /// credentials (Zendesk's limit for the user list).
    pub contact_page_size: u32,
    /// Agents per page of agent synchronization.
    pub agent_page_size: u32,
    /// The most recent tickets returned for a contact.
    pub ticket_limit: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            base_url: None,
            timeout: Duration::from_secs(10),
            max_retries: 2,
            max_retry_after: Duration::from_secs(15),
            call_budget: Duration::from_secs(22),
            deadline: Duration::from_secs(25),
            contact_page_size: 500,
            agent_page_size: 100,
            ticket_limit: 25,
        }
    }
}

impl Config {
    /// The defaults, with `ZENDESK_BASE_URL` and `ZENDESK_CONTACT_PAGE_SIZE` when set.
    pub fn from_env() -> Result<Self, bridge::SettingsError> {
        let defaults = Self::default();
        Ok(Self {
            base_url: ZENDESK_BASE_URL.read(|text| BaseUrl::parse(text).map_err(|e| format!("a base URL ({e})")))?,
            contact_page_size: contact_page_size()?.unwrap_or(defaults.contact_page_size),
            ..defaults
        })
    }
}

/// `ZENDESK_CONTACT_PAGE_SIZE`, when set.
pub fn contact_page_size() -> Result<Option<u32>, bridge::SettingsError> {
    ZENDESK_CONTACT_PAGE_SIZE
        .read(|text| text.parse().ok().filter(|n| (1..=1000).contains(n)).ok_or("a number from 1 to 1000"))
}

/// What only the author knows of the integration: the rest of its configuration comes from the code.
pub fn integration() -> Integration {
    Integration::new("zendesk", "Zendesk")
        .description(
            "Centralize all your customer conversations so nothing gets ignored and everything is searchable from \
             one place. Easily organize, prioritize and engage with others on support requests.",
        )
        .logo_url("https://talkdeskapp.s3.amazonaws.com/assets/integrations/zendesk.png")
        .icon_url("https://talkdeskapp.s3.amazonaws.com/assets/integrations/zendesk_icon.png")
        .custom_auth_of::<zendesk::Credentials>()
        .interaction_types(["ticket"])
}

/// The configuration documents of the bridge reachable at `public_url`.
pub fn configuration(public_url: &str) -> Result<Documents, Box<dyn std::error::Error>> {
    Ok(bridge(Config::default())?.configuration(public_url)?)
}

/// The bridge: its five endpoints, sharing one Zendesk client (one connection pool).
pub fn bridge(config: Config) -> Result<Bridge, bridge::Error> {
    let client = Client::builder()
        .service_name("Zendesk")
        .timeout(config.timeout)
        .max_retries(config.max_retries)
        .max_retry_after(config.max_retry_after)
        .user_agent(concat!("talkdesk-zendesk-bridge/", env!("CARGO_PKG_VERSION")))
        .build()?;
    let mut accounts = TenantUrl::new(zendesk::PARENT_DOMAIN);
    if let Some(base) = &config.base_url {
        accounts = accounts.with_override(base.clone());
    }
    let zendesk = zendesk::Zendesk::new(client, accounts, &config);
    Ok(Bridge::new()
        .state(zendesk)
        .deadline(config.deadline)
        .integration(integration())
        .endpoint(handlers::validate {})
        .endpoint(handlers::contacts {})
        .endpoint(handlers::interactions {})
        .endpoint(handlers::create_ticket {})
        .endpoint(handlers::agents {}))
}

#[allow(dead_code)] // the integration tests include this file as a module and start the bridge themselves
#[tokio::main]
async fn main() -> ExitCode {
    let cli = bridge::cli!()
        .about("A Zendesk Support bridge for Talkdesk: https://<account>.zendesk.com, or ZENDESK_BASE_URL")
        .command("--demo", "start a fake Zendesk with sample data, serve the bridge against it, print curl commands")
        .command(
            "healthcheck",
            "exit 0 when the bridge on this machine (BRIDGE_ADDR or PORT) answers GET /health (the container \
             image's HEALTHCHECK: the image has no shell and no curl)",
        )
        .variables(VARIABLES);
    match cli.parse() {
        Ok(Command::Custom { name: "--demo", .. }) => match demo::run().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("{}: {err}", cli.name());
                ExitCode::FAILURE
            }
        },
        Ok(Command::Custom { name: "healthcheck", .. }) => match healthcheck().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("{}: {err}", cli.name());
                ExitCode::FAILURE
            }
        },
        Ok(Command::Serve) => cli.execute(Command::Serve, from_env).await,
        // The documents do not depend on the environment: they print even where ZENDESK_BASE_URL is not set up.
        Ok(command) => cli.execute(command, || bridge(Config::default())).await,
        Err(code) => code,
    }
}

/// `zendesk healthcheck`: `GET /health` on the address the bridge listens on, from the same machine.
async fn healthcheck() -> Result<(), Box<dyn std::error::Error>> {
    let mut addr = bridge::Settings::new().overlay_process_env()?.addr_value();
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let client = reqwest::Client::builder().timeout(Duration::from_secs(2)).build()?;
    let status = client.get(format!("http://{addr}/health")).send().await?.status();
    if status != 200 {
        return Err(format!("GET http://{addr}/health answered {status}").into());
    }
    Ok(())
}

/// The bridge against Zendesk (or `ZENDESK_BASE_URL`), as the environment configures it.
fn from_env() -> Result<Bridge, Box<dyn std::error::Error + Send + Sync>> {
    let config = Config::from_env()?;
    match &config.base_url {
        Some(base) => tracing::info!("calling Zendesk at {base} (ZENDESK_BASE_URL) for every account"),
        None => tracing::info!("calling Zendesk at https://<account>.{}/", zendesk::PARENT_DOMAIN),
    }
    Ok(bridge(config)?)
}
