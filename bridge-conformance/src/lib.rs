#![doc = include_str!("../README.md")]
//!
//! # As a library
//!
//! The command is [`main`] over [`args::parse_args`] and [`run`]; tests of a bridge written in Rust may call
//! [`run`] directly, or [`run_in_process`] with the bridge itself, and look at the [`Conformance`] it returns.

pub mod args;
pub mod documents;
pub mod output;
pub mod plan;
pub mod report;
pub mod validation;

use args::{Command, Options, USAGE};
use bridge_runtime::testing::{HttpTransport, OAuth, Outcome, Section, Simulator, TestClient};
use documents::Documents;
use plan::Plan;
pub use report::{Conformance, EndpointCost, Line};
use std::process::ExitCode;

/// With no `--lookup`, the most lookups the command makes beyond the first contacts' to find a synced contact with
/// interactions (each contact by id, then by email and phone), so that the interaction checks run on a bridge whose
/// contacts mostly have none.
pub const SEARCH_LOOKUPS: usize = 1000;

/// Why a run could not start: a usage error (exit status 2), with what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// The line of a check that could not be made.
fn skipped(section: &str, check: &str, subject: Option<String>, description: &str, why: String) -> Line {
    Line {
        section: section.to_owned(),
        check: check.to_owned(),
        subject,
        description: description.to_owned(),
        outcome: Outcome::Skip,
        summary: None,
        reasons: vec![why],
    }
}

/// Checks the bridge at `options.url` over HTTP: reads its configuration documents (`GET /configuration`, or the
/// `--configuration` files), checks them, then drives the bridge as Talkdesk does. A usage error when the flags
/// disagree with the documents (or name files that cannot be read).
pub async fn run(options: &Options) -> Result<Conformance, UsageError> {
    check(options, TestClient::with_transport(HttpTransport::with_timeout(&options.url, options.timeout))).await
}

/// Checks a bridge in process, as [`run`] checks one at a URL, with the same checks and the same report; and the
/// report says what each endpoint's requests cost upstream ([`Conformance::upstream`]), which only a bridge in
/// process tells. `client` reaches the bridge, e.g. `TestClient::new(bridge)?` (or one that replays a cassette);
/// its `GET /configuration` gives the documents unless `options.configuration` names files. `options.url` and
/// `options.timeout` are not used. The crate's documentation has an example ("In a Rust bridge's tests").
pub async fn run_in_process(options: &Options, client: TestClient) -> Result<Conformance, UsageError> {
    check(options, client).await
}

/// What [`run`] and [`run_in_process`] do, with the bridge `client` reaches.
async fn check(options: &Options, client: TestClient) -> Result<Conformance, UsageError> {
    let client = options.headers.iter().fold(client, |client, (name, value)| client.header(name, value));
    // `http://127.0.0.1:3000`, or `a bridge in process` (which has no base URL to take off the documents' URLs).
    let target = client.describe();
    let mut conformance = Conformance::new(&target);
    let documents = if options.configuration.is_empty() {
        Documents::served_by(&client).await
    } else {
        Ok(Documents::read(&options.configuration).map_err(UsageError)?)
    };
    let mut served = Line::configuration("ConfigurationRead", "the configuration documents can be read");
    let documents = match documents {
        Ok(documents) => {
            let names = documents.action_names();
            served.summary = Some(format!(
                "{}: the integration and {} action{}",
                documents.source,
                names.len(),
                if names.len() == 1 { "" } else { "s" }
            ));
            conformance.lines.push(served);
            documents
        }
        Err(why) => {
            served.outcome = Outcome::Fail;
            served.reasons.push(why);
            conformance.lines.push(served);
            return Ok(conformance);
        }
    };
    conformance.lines.extend(validation::check(&documents));

    let plan = Plan::new(&documents, &target);
    let auth = plan.credentials(options.auth.as_ref()).map_err(UsageError)?;
    let probes = plan.probes(&options.actions).map_err(UsageError)?;

    let client = client.with_paths(plan.paths.clone());
    let mut simulator = Simulator::new(client, &auth).declared_endpoints(plan.declared.iter().copied());
    if let Some(invalid) = &options.invalid_auth {
        simulator = simulator.invalid_auth(invalid);
    }
    if !plan.interaction_types.is_empty() {
        simulator = simulator.interaction_types(&plan.interaction_types);
    }
    for lookup in &options.lookups {
        simulator = simulator.interaction_lookup(lookup);
    }
    if options.lookups.is_empty() {
        // No lookup known to find interactions: search the synced contacts for one that has some.
        simulator = simulator.interaction_search(SEARCH_LOOKUPS);
    }
    for probe in probes {
        simulator = simulator.action(probe);
    }
    if let Some(pages) = options.max_pages {
        simulator = simulator.max_pages(pages);
    }
    if let Some(flags) = &options.oauth {
        let mut oauth = OAuth::new(&flags.token_url, &flags.client_id, &flags.client_secret, &flags.refresh_token);
        if let Some(field) = flags.token_field.as_deref().or(plan.oauth_token_field()) {
            oauth = oauth.token_field(field);
        }
        simulator = simulator.oauth(oauth);
    }
    if !options.quiet {
        simulator = simulator.on_progress(|progress| eprintln!("  … {progress}"));
        eprintln!("Checking {target} as Talkdesk would…");
    }
    let report = simulator.run().await;
    conformance.extend(&report);

    // The actions not run go where the report's actions are: after interaction retrieval, before the agents.
    let section = Section::Actions.to_string();
    let after = [Section::Agents.to_string(), Section::EveryEndpoint.to_string()];
    let at = conformance.lines.iter().position(|line| after.contains(&line.section)).unwrap_or(conformance.lines.len());
    let not_run = plan.not_run(options).into_iter().map(|(name, flags)| {
        let why = format!("declared, not run: actions change the external service; run it with {flags}");
        skipped(&section, "ActionNotRun", Some(name), "the declared action ran", why)
    });
    conformance.lines.splice(at..at, not_run);
    if plan.is_oauth() && options.oauth.is_none() {
        let section = Section::EveryEndpoint.to_string();
        let why = format!(
            "the integration's authentication_type is {}: give --oauth-token-url, --oauth-client-id, \
             --oauth-client-secret and --oauth-refresh-token to check that a 401 makes Talkdesk refresh the token",
            plan.authentication_type.as_deref().unwrap_or_default()
        );
        let description = "OAuth: a 401 is followed by success once Talkdesk refreshed the token";
        conformance.lines.push(skipped(&section, "OAuthRefresh", None, description, why));
    }
    Ok(conformance)
}

/// The whole command: reads `args` (without the program's name), runs, prints the report in the chosen format
/// on stdout, and returns the exit status: `0` passed, `1` a check failed, `2` usage error.
pub async fn main<I: IntoIterator<Item = String>>(args: I) -> ExitCode {
    let options = match args::parse_args(args) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("bridge-conformance {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("bridge-conformance: {err}\n\nRun `bridge-conformance --help` for the options.");
            return ExitCode::from(2);
        }
    };
    match run(&options).await {
        Ok(conformance) => {
            print!("{}", output::render(&conformance, options.format));
            if conformance.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(err) => {
            eprintln!("bridge-conformance: {err}");
            ExitCode::from(2)
        }
    }
}
