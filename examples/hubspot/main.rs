//! A complete HubSpot CRM bridge over OAuth 2.0: Talkdesk runs HubSpot's authorization-code flow, sends the access
//! token in `auth.access_token`, and refreshes it whenever the bridge answers `401`.
//!
//! ```text
//! cargo run --example hubspot -- --demo   # against a built-in fake HubSpot (with its OAuth token endpoint)
//! cargo run --example hubspot             # against https://api.hubapi.com (or HUBSPOT_BASE_URL)
//! cargo run --example hubspot -- configuration --public-url https://hubspot-bridge.example.com
//! cargo run --example hubspot -- --help    # the command line every bridge has (`bridge::cli`), and --demo
//! ```
//!
//! | endpoint | path | HubSpot API |
//! |---|---|---|
//! | auth validation | `/auth_validation` | `GET /oauth/v1/access-tokens/{token}` (the token's scopes) |
//! | contact synchronization | `/contact_sync` | `POST /crm/v3/objects/contacts/search`, windowed on `lastmodifieddate` |
//! | interaction retrieval | `/interaction_update` | one contact search (by email or phone), `GET /crm/v3/objects/contacts/{id}?associations=…`, `POST /crm/v3/objects/{type}/batch/read` (all at once) |
//! | action `create_task` | `/actions/create_task` | `POST /crm/v3/objects/tasks` |
//! | action `log_note` | `/actions/log_note` | `POST /crm/v3/objects/notes` |
//! | agent synchronization | `/agent_sync` | `GET /crm/v3/owners/` |
//!
//! How it differs from the Zendesk example, and why it is a second flagship: OAuth 2.0 instead of an API token
//! (`401` is the signal to refresh, so it must mean exactly "HubSpot refused the token"); a search API capped at
//! 10,000 results per query instead of an export stream ([`window`]); `429`s without `Retry-After`
//! ([`hubspot::rate_limit`], over `bridge::http`'s `RateLimit`); six kinds of interactions reached through
//! associations; two actions.
//!
//! The modules, in the order a request meets them:
//!
//! - [`handlers`], the endpoints;
//! - [`window`], contact synchronization past the search API's 10,000 results;
//! - [`hubspot`], the HubSpot API calls and the shapes they read, over `bridge::http`;
//! - [`mapping`], HubSpot records as Talkdesk contacts, agents and interactions;
//! - [`fake`], a stateful fake HubSpot on 127.0.0.1 (with an OAuth token endpoint), for the demo and the tests;
//! - [`demo`], `--demo`.
//!
//! Environment: `BRIDGE_ADDR` (default `127.0.0.1:3000`) or `PORT`, `BRIDGE_TOKEN` (see the runtime),
//! `HUBSPOT_BASE_URL` (replaces `https://api.hubapi.com/`: a proxy, a fake; operator configuration, never request
//! input), `HUBSPOT_CONTACT_PAGE_SIZE` (contacts per page, 1–200, default 200), `RUST_LOG`.

pub mod demo;
pub mod fake;
pub mod handlers;
pub mod hubspot;
pub mod mapping;
pub mod window;

use bridge::cli::Command;
use bridge::configuration::{AuthField, AuthenticationType, Documents, FieldType, Integration};
use bridge::http::{Backoff, BaseUrl, Client};
use bridge::Bridge;
use std::process::ExitCode;
use std::time::Duration;

bridge::variables! {
    /// The example's own variables, read by [`Config::from_env`] and by `--demo`, listed by `--help` after the
    /// framework's.
    pub const VARIABLES = [
        /// A proxy, a fake: operator configuration, never request input.
        HUBSPOT_BASE_URL = "none": "replaces https://api.hubapi.com",
        HUBSPOT_CONTACT_PAGE_SIZE = "200": "contacts per page, 1-200",
        HUBSPOT_DEMO_TOKEN_SECONDS = "600": "--demo: access token lifetime, in seconds",
        HUBSPOT_DEMO_TOKEN_USES = "none":
            "--demo: HubSpot calls per access token (with HUBSPOT_CONTACT_PAGE_SIZE=20, 15 expires one mid-sync)",
        HUBSPOT_DEMO_FAKE_ADDR = "a free port": "--demo: where the fake HubSpot listens",
    ];
}

/// How the bridge calls HubSpot. [`Config::default`] suits production; [`Config::from_env`] reads the operator's
/// settings on top of it.
#[derive(Debug, Clone)]
pub struct Config {
    /// Replaces `https://api.hubapi.com/` (`HUBSPOT_BASE_URL`).
    pub base_url: Option<BaseUrl>,
    /// The longest one attempt of one call may take.
    pub timeout: Duration,
    /// How many times a call is repeated after a `503` or a failed connection (or a `429` with `Retry-After`).
    pub max_retries: u32,
    /// The longest wait for a rate limit to free up; more is a `502` at once.
    pub max_retry_after: Duration,
    /// The waits after a `429` whose policy HubSpot does not time (its ten-second rolling window).
    pub rate_limit_backoff: Backoff,
    /// The wait after a `429` of a secondly policy (the search API's).
    pub secondly_wait: Duration,
    /// All the HubSpot calls of one Talkdesk request, retries and waits included, end within this.
    pub call_budget: Duration,
    /// The bridge answers `504` to a request still running after this (Talkdesk gives up after about 30 s).
    pub deadline: Duration,
    /// Contacts per page of contact synchronization (`HUBSPOT_CONTACT_PAGE_SIZE`, HubSpot's search allows 200).
    pub contact_page_size: u32,
    /// Owners per page of agent synchronization.
    pub agent_page_size: u32,
    /// Owners per HubSpot call (HubSpot allows 500).
    pub owners_per_call: u32,
    /// The most recent interactions of each kind returned for a contact.
    pub interaction_limit: usize,
    /// How far HubSpot's search index trails its writes: a sync's checkpoint is never later than the bridge's clock
    /// less this, when the sync started.
    pub search_lag: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            base_url: None,
            timeout: Duration::from_secs(10),
            max_retries: 2,
            max_retry_after: Duration::from_secs(12),
            rate_limit_backoff: Backoff::new(Duration::from_secs(1), Duration::from_secs(4)),
            secondly_wait: Duration::from_millis(1100),
            call_budget: Duration::from_secs(22),
            deadline: Duration::from_secs(25),
            contact_page_size: 200,
            agent_page_size: 100,
            owners_per_call: 500,
            interaction_limit: 25,
            search_lag: Duration::from_secs(5),
        }
    }
}

impl Config {
    /// The defaults, with `HUBSPOT_BASE_URL` and `HUBSPOT_CONTACT_PAGE_SIZE` when set.
    pub fn from_env() -> Result<Self, bridge::SettingsError> {
        let defaults = Self::default();
        Ok(Self {
            base_url: HUBSPOT_BASE_URL.read(|text| BaseUrl::parse(text).map_err(|e| format!("a base URL ({e})")))?,
            contact_page_size: contact_page_size()?.unwrap_or(defaults.contact_page_size),
            ..defaults
        })
    }
}

/// `HUBSPOT_CONTACT_PAGE_SIZE`, when set.
pub fn contact_page_size() -> Result<Option<u32>, bridge::SettingsError> {
    HUBSPOT_CONTACT_PAGE_SIZE
        .read(|text| text.parse().ok().filter(|n| (1..=200).contains(n)).ok_or("a number from 1 to 200"))
}

/// What only the author knows of the integration: the rest of its configuration comes from the code.
pub fn integration() -> Integration {
    Integration::new("hubspot", "HubSpot")
        .description(
            "See your HubSpot contacts, their notes, tasks, calls, emails, meetings and tickets beside every \
             conversation, and log notes and follow-up tasks without leaving Talkdesk.",
        )
        .logo_url("https://talkdeskapp.s3.amazonaws.com/assets/integrations/hubspot.png")
        .icon_url("https://talkdeskapp.s3.amazonaws.com/assets/integrations/hubspot_icon.png")
        // The key Talkdesk passes the access token under, declared as provided by the OAuth 2.0 authority.
        .authentication(
            AuthenticationType::OAuth2,
            vec![AuthField::input("access_token", "HubSpot access token").kind(FieldType::OAuth)],
        )
        .interaction_types(mapping::KINDS.iter().map(|kind| kind.interaction_type))
}

/// The configuration documents of the bridge reachable at `public_url`.
pub fn configuration(public_url: &str) -> Result<Documents, Box<dyn std::error::Error>> {
    Ok(bridge(Config::default())?.configuration(public_url)?)
}

/// The bridge: its endpoints, sharing one HubSpot client (one connection pool).
pub fn bridge(config: Config) -> Result<Bridge, bridge::Error> {
    let client = Client::builder()
        .service_name("HubSpot")
        .timeout(config.timeout)
        .max_retries(config.max_retries)
        .max_retry_after(config.max_retry_after)
        .rate_limit(hubspot::rate_limit(config.secondly_wait, config.rate_limit_backoff))
        .user_agent(concat!("talkdesk-hubspot-bridge/", env!("CARGO_PKG_VERSION")))
        .build()?;
    let base = match &config.base_url {
        Some(base) => base.clone(),
        None => BaseUrl::parse(hubspot::API_BASE).map_err(|e| bridge::Error::internal(e.to_string()))?,
    };
    let hubspot = hubspot::HubSpot::new(client, base, &config);
    Ok(Bridge::new()
        .state(hubspot)
        .deadline(config.deadline)
        .integration(integration())
        .endpoint(handlers::validate {})
        .endpoint(handlers::contacts {})
        .endpoint(handlers::interactions {})
        .endpoint(handlers::create_task {})
        .endpoint(handlers::log_note {})
        .endpoint(handlers::agents {}))
}

#[allow(dead_code)] // the integration tests include this file as a module and start the bridge themselves
#[tokio::main]
async fn main() -> ExitCode {
    // Logs: the bridge installs its own (stderr, RUST_LOG, BRIDGE_LOG_FORMAT=json) when it serves.
    let cli = bridge::cli!()
        .about("A HubSpot CRM bridge for Talkdesk, over OAuth 2.0: https://api.hubapi.com, or HUBSPOT_BASE_URL")
        .command(
            "--demo",
            "start a fake HubSpot (contacts, engagements, owners, an OAuth token endpoint), serve the bridge against \
             it, print curl commands",
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
        Ok(Command::Serve) => cli.execute(Command::Serve, from_env).await,
        // The documents do not depend on the environment: they print even where HUBSPOT_BASE_URL is not set up.
        Ok(command) => cli.execute(command, || bridge(Config::default())).await,
        Err(code) => code,
    }
}

/// The bridge against HubSpot (or `HUBSPOT_BASE_URL`), as the environment configures it.
fn from_env() -> Result<Bridge, Box<dyn std::error::Error + Send + Sync>> {
    let config = Config::from_env()?;
    match &config.base_url {
        Some(base) => tracing::info!("calling HubSpot at {base} (HUBSPOT_BASE_URL)"),
        None => tracing::info!("calling HubSpot at {}", hubspot::API_BASE),
    }
    Ok(bridge(config)?)
}
