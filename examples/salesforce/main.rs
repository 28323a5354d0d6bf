//! A Salesforce bridge over OAuth 2.0: Talkdesk runs Salesforce's authorization-code flow, sends the access token
//! (and the org's `instance_url`, when it kept it) in `auth`, and refreshes the token whenever the bridge answers
//! `401`.
//!
//! ```text
//! cargo run --example salesforce -- --demo   # against a built-in fake Salesforce org
//! cargo run --example salesforce             # against each org's own instance
//! cargo run --example salesforce -- --help   # the command line every bridge has (`bridge::cli`), and --demo
//! ```
//!
//! | endpoint | path | Salesforce REST API | calls (round trips) |
//! |---|---|---|---|
//! | auth validation | `/auth_validation` | `GET /services/data/v60.0/sobjects` (describe global) | 1 (1) |
//! | contact synchronization | `/contact_sync` | `GET …/query?q=SELECT … FROM Contact …` and `… FROM Lead …` at once, `nextRecordsUrl` past a batch | 2 (1) per page of up to 200 |
//! | interaction retrieval, by id | `/interaction_update` | one query with `Cases`, `Tasks`, `Events` subqueries | 1 (1) |
//! | interaction retrieval, by email | | the Contact and Lead queries with their subqueries, at once | 2 (1) |
//! | interaction retrieval, by phone | | `GET …/search?q=FIND {…} IN PHONE FIELDS …`, then the query by id | 2 (2) |
//! | action `create_case` | `/actions/create_case` | `POST …/sobjects/Case` | 1 (1) |
//! | action `log_call` | `/actions/log_call` | `POST …/sobjects/Task` (`TaskSubtype = Call`) | 1 (1) |
//! | agent synchronization | `/agent_sync` | `GET …/query?q=SELECT … FROM User …` | 1 (1) |
//!
//! Without `auth.instance_url`, the first request of a token adds one call (one round trip): Salesforce's userinfo.
//!
//! The modules: [`handlers`] (the endpoints), [`soql`] (the only way a request's values reach a query),
//! [`salesforce`] (the calls, the org's instance, Salesforce's errors and daily budget), [`mapping`], [`fake`] (a
//! stateful fake org on 127.0.0.1), [`demo`] (`--demo`).

pub mod demo;
pub mod fake;
pub mod handlers;
pub mod mapping;
pub mod salesforce;
pub mod soql;

use bridge::cli::Command;
use bridge::configuration::{AuthField, AuthenticationType, Documents, FieldType, Integration};
use bridge::http::{BaseUrl, Client, TenantHosts};
use bridge::Bridge;
use std::process::ExitCode;
use std::time::Duration;

bridge::variables! {
    /// The example's own variables, read by [`Config::from_env`] and listed by `--help` after the framework's.
    pub const VARIABLES = [
        /// A proxy, a fake: operator configuration, never request input. The instance URLs in `auth` are still
        /// checked.
        SALESFORCE_BASE_URL = "none": "replaces every org's instance and login.salesforce.com (a proxy, a fake)",
        SALESFORCE_CONTACT_PAGE_SIZE = "200": "contacts (and as many Leads) per page, 1-2000",
    ];
}

/// How the bridge calls Salesforce. [`Config::default`] suits production; [`Config::from_env`] reads the
/// operator's settings on top of it.
#[derive(Debug, Clone)]
pub struct Config {
    /// Replaces every org's instance and the login host (`SALESFORCE_BASE_URL`: a proxy, a fake). The instance
    /// URLs are still checked.
    pub base_url: Option<BaseUrl>,
    /// The longest one attempt of one call may take.
    pub timeout: Duration,
    /// How many times a call is repeated after a `503` or a failed connection.
    pub max_retries: u32,
    /// All the Salesforce calls of one Talkdesk request end within this.
    pub call_budget: Duration,
    /// The bridge answers `504` to a request still running after this.
    pub deadline: Duration,
    /// Contacts (and as many Leads) per page of contact synchronization.
    pub contact_page_size: u32,
    /// Users per page of agent synchronization.
    pub agent_page_size: u32,
    /// Records per batch of a query's answer (`Sforce-Query-Options: batchSize`, 200 to 2,000): a sync page
    /// larger than that follows `nextRecordsUrl`.
    pub query_batch: u32,
    /// How far behind the bridge's clock a sync's checkpoint stays: a record becomes visible when its
    /// transaction commits, after its `SystemModstamp`.
    pub commit_lag: Duration,
    /// From this share of the org's daily API budget used (per cent), contact sync pages answer `503`.
    pub reserve_from_percent: u64,
    /// Their `Retry-After`.
    pub reserve_retry_after: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            base_url: None,
            timeout: Duration::from_secs(10),
            max_retries: 2,
            call_budget: Duration::from_secs(22),
            deadline: Duration::from_secs(25),
            contact_page_size: 200,
            agent_page_size: 100,
            query_batch: 2000,
            commit_lag: Duration::from_secs(15),
            reserve_from_percent: 90,
            reserve_retry_after: Duration::from_secs(900),
        }
    }
}

impl Config {
    /// The defaults, with the operator's settings ([`VARIABLES`]) on top: every variable is read here, and only here.
    pub fn from_env() -> Result<Self, bridge::SettingsError> {
        let defaults = Self::default();
        Ok(Self {
            base_url: SALESFORCE_BASE_URL.read(|text| BaseUrl::parse(text).map_err(|e| format!("a base URL ({e})")))?,
            contact_page_size: SALESFORCE_CONTACT_PAGE_SIZE
                .read(|text| text.parse().ok().filter(|n| (1..=2000).contains(n)).ok_or("a number from 1 to 2000"))?
                .unwrap_or(defaults.contact_page_size),
            ..defaults
        })
    }
}

/// What only the author knows of the integration.
pub fn integration() -> Integration {
    Integration::new("salesforce", "Salesforce")
        .description(
            "See your Salesforce contacts and leads with their cases, tasks, logged calls and events beside every \
             conversation, open cases and log calls without leaving Talkdesk.",
        )
        .logo_url("https://talkdeskapp.s3.amazonaws.com/assets/integrations/salesforce.png")
        .icon_url("https://talkdeskapp.s3.amazonaws.com/assets/integrations/salesforce_icon.png")
        .authentication(
            AuthenticationType::OAuth2,
            vec![
                AuthField::input("access_token", "Salesforce access token").kind(FieldType::OAuth),
                AuthField::input("instance_url", "Salesforce instance URL").kind(FieldType::OAuth),
            ],
        )
        .interaction_types(mapping::KINDS.iter().map(|kind| kind.interaction_type))
}

/// The configuration documents of the bridge reachable at `public_url`.
pub fn configuration(public_url: &str) -> Result<Documents, Box<dyn std::error::Error>> {
    Ok(bridge(Config::default())?.configuration(public_url)?)
}

/// The bridge: its endpoints, sharing one client (one connection pool).
pub fn bridge(config: Config) -> Result<Bridge, bridge::Error> {
    let client = Client::builder()
        .service_name("Salesforce")
        .timeout(config.timeout)
        .max_retries(config.max_retries)
        .error_reader(salesforce::read_error)
        .user_agent(concat!("talkdesk-salesforce-bridge/", env!("CARGO_PKG_VERSION")))
        .build()?;
    let mut hosts = TenantHosts::new(&salesforce::INSTANCE_DOMAINS);
    let login = match &config.base_url {
        Some(base) => {
            hosts = hosts.with_override(base.clone());
            base.clone()
        }
        None => BaseUrl::parse(salesforce::LOGIN_BASE).map_err(|e| bridge::Error::internal(e.to_string()))?,
    };
    let salesforce = salesforce::Salesforce::new(client, hosts, login, &config);
    Ok(Bridge::new()
        .state(salesforce)
        .deadline(config.deadline)
        .integration(integration())
        .endpoint(handlers::validate {})
        .endpoint(handlers::contacts {})
        .endpoint(handlers::interactions {})
        .endpoint(handlers::create_case {})
        .endpoint(handlers::log_call {})
        .endpoint(handlers::agents {}))
}

#[allow(dead_code)] // the integration tests include this file as a module and start the bridge themselves
#[tokio::main]
async fn main() -> ExitCode {
    let cli = bridge::cli!()
        .about("A Salesforce bridge for Talkdesk, over OAuth 2.0: each org's own instance, or SALESFORCE_BASE_URL")
        .command("--demo", "start a fake Salesforce org, serve the bridge against it, print curl commands")
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
        Ok(command) => cli.execute(command, || bridge(Config::default())).await,
        Err(code) => code,
    }
}

/// The bridge as the environment configures it.
fn from_env() -> Result<Bridge, Box<dyn std::error::Error + Send + Sync>> {
    Ok(bridge(Config::from_env()?)?)
}
