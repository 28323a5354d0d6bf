//! Checks any bridge at a URL, written in any language, the way Talkdesk would use it: the Talkdesk simulator of
//! `bridge::testing`, over HTTP.
//!
//! ```text
//! cargo run --example minimal &
//! cargo run --example conformance -- --url http://127.0.0.1:3000 \
//!     --auth '{"username": "john.doe@example.com", "password": "605b32dd"}' \
//!     --action create_ticket --action-meta '{"contact_external_id": "1"}' \
//!     --action-data '{"subject": "Call missed", "description": "A call from Jane Doe was missed."}'
//! ```
//!
//! For an `oauth2` integration, give it what Talkdesk holds and it refreshes the token as Talkdesk does, then
//! repeats a request answered `401` (once), and reports it:
//!
//! ```text
//! cargo run --example conformance -- --url http://127.0.0.1:3000 --auth '{"access_token": "…"}' \
//!     --oauth-token-url https://api.hubapi.com/oauth/v1/token --oauth-client-id … \
//!     --oauth-client-secret … --oauth-refresh-token …
//! ```
//!
//! It prints a progress line per page of each sync (on stderr), then the report (on stdout): each check, PASS,
//! WARN, FAIL or SKIP, and why. It exits with 0 when no check failed, 1 when one did, 2 on a usage error.

use bridge::testing::{ActionProbe, OAuth, Paths, Report, Simulator, TestClient, Transport};
use serde_json::{Map, Value};
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "\
Usage: conformance --url URL --auth JSON [options]

Drives the bridge at URL as Talkdesk does and checks the protocol on every answer.

  --url URL                  the bridge's base URL, e.g. http://127.0.0.1:3000
  --auth JSON                the credentials Talkdesk sends as `auth`, e.g. '{\"token\": \"…\"}'
  --invalid-auth JSON        credentials that must get 401 (default: --auth with \"-invalid\" appended to each
                             secret: a field named like token, password, key, secret; to every string if none is)
  --interaction-types LIST   the integration's interaction types: case,note or '[\"case\",\"note\"]' (default case,note)
  --lookup JSON              one more interaction lookup `data`, e.g. '{\"contact_external_id\": \"1\"}' (repeatable);
                             the first that finds interactions is also sent with the altered credentials
  --action NAME              execute the action NAME (repeatable; actions change the external service)
  --action-data JSON         the inputs (`data`) of the last --action
  --action-meta JSON         the `meta` of the last --action, e.g. '{\"contact_external_id\": \"1\"}'
  --max-pages N              the most pages a sync may have before it is called endless (default 1000)
  --path ENDPOINT=PATH       another path for auth_validation, contact_sync, interaction_retrieval, agent_sync or
                             action:NAME (defaults: /auth_validation, /contact_sync, /interaction_update,
                             /agent_sync, /actions/NAME)
  --timeout SECONDS          how long to wait for each answer (default 30)
  --oauth-token-url URL      OAuth 2.0, as Talkdesk does it: on a 401, refresh the access token at URL and repeat
                             the request once (needs the three flags below)
  --oauth-client-id ID       the integration's OAuth client id
  --oauth-client-secret S    its client secret
  --oauth-refresh-token T    the refresh token Talkdesk holds
  --oauth-token-field KEY    the key of --auth that carries the access token (default access_token)
  --quiet                    no progress lines
  --help                     this help
";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub url: String,
    pub auth: Value,
    pub invalid_auth: Option<Value>,
    pub interaction_types: Option<Vec<String>>,
    pub lookups: Vec<Value>,
    pub actions: Vec<ActionProbe>,
    pub max_pages: Option<usize>,
    pub paths: Paths,
    pub timeout: Duration,
    pub quiet: bool,
    pub oauth: Option<OAuthFlags>,
}

/// The `--oauth-…` flags: where and how to refresh the access token.
#[derive(Clone, PartialEq, Default)]
pub struct OAuthFlags {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub refresh_token: String,
    pub token_field: Option<String>,
}

impl std::fmt::Debug for OAuthFlags {
    /// The client secret and the refresh token are credentials: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthFlags")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("token_field", &self.token_field)
            .finish_non_exhaustive()
    }
}

/// What the command line means: options to run, or a request for help.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Run(Box<Options>),
    Help,
}

fn json(flag: &str, text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|err| format!("{flag}: not JSON ({err}): {text}"))
}

fn object(flag: &str, text: &str) -> Result<Value, String> {
    fields(flag, text).map(Value::Object)
}

fn fields(flag: &str, text: &str) -> Result<Map<String, Value>, String> {
    match json(flag, text)? {
        Value::Object(fields) => Ok(fields),
        _ => Err(format!("{flag}: expected a JSON object, got {text}")),
    }
}

/// Reads the arguments (without the program's name).
pub fn parse_args<I: IntoIterator<Item = String>>(args: I) -> Result<Command, String> {
    let mut args = args.into_iter();
    let (mut url, mut auth) = (None, None);
    let mut options = Options {
        url: String::new(),
        auth: Value::Null,
        invalid_auth: None,
        interaction_types: None,
        lookups: Vec::new(),
        actions: Vec::new(),
        max_pages: None,
        paths: Paths::default(),
        timeout: bridge::testing::DEFAULT_TIMEOUT,
        quiet: false,
        oauth: None,
    };
    let mut oauth = OAuthFlags::default();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_owned(), Some(value.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = || inline.clone().or_else(|| args.next()).ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--quiet" | "-q" => options.quiet = true,
            "--url" => url = Some(value()?),
            "--auth" => auth = Some(object("--auth", &value()?)?),
            "--invalid-auth" => options.invalid_auth = Some(object("--invalid-auth", &value()?)?),
            "--interaction-types" => {
                let text = value()?;
                let types: Vec<String> = if text.trim_start().starts_with('[') {
                    serde_json::from_str(&text)
                        .map_err(|err| format!("--interaction-types: not an array of strings ({err})"))?
                } else {
                    text.split(',').map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect()
                };
                if types.is_empty() {
                    return Err("--interaction-types: give at least one type".into());
                }
                options.interaction_types = Some(types);
            }
            "--lookup" => options.lookups.push(object("--lookup", &value()?)?),
            "--action" => options.actions.push(ActionProbe::new(value()?)),
            "--action-data" => {
                let data = json("--action-data", &value()?)?;
                let last = options.actions.pop().ok_or("--action-data comes after the --action it is for")?;
                options.actions.push(last.data(data));
            }
            "--action-meta" => {
                let meta = fields("--action-meta", &value()?)?;
                let mut last = options.actions.pop().ok_or("--action-meta comes after the --action it is for")?;
                for (key, value) in meta {
                    last = last.meta_field(key, value);
                }
                options.actions.push(last);
            }
            "--max-pages" => {
                let text = value()?;
                let pages = text.parse::<usize>().ok().filter(|&n| n > 0);
                options.max_pages = Some(pages.ok_or_else(|| format!("--max-pages: not a positive number: {text}"))?);
            }
            "--timeout" => {
                let text = value()?;
                let seconds = text.parse::<f64>().ok().filter(|s| s.is_finite() && *s > 0.0);
                options.timeout = Duration::from_secs_f64(
                    seconds.ok_or_else(|| format!("--timeout: not a positive number of seconds: {text}"))?,
                );
            }
            "--path" => {
                let text = value()?;
                let (endpoint, path) =
                    text.split_once('=').ok_or_else(|| format!("--path: expected ENDPOINT=PATH, got {text}"))?;
                if !path.starts_with('/') {
                    return Err(format!("--path: the path must start with `/`: {path}"));
                }
                let path = path.to_owned();
                match endpoint {
                    "auth_validation" => options.paths.auth_validation = path,
                    "contact_sync" => options.paths.contact_sync = path,
                    "interaction_retrieval" | "interactions" | "interaction_update" => {
                        options.paths.interaction_retrieval = path
                    }
                    "agent_sync" => options.paths.agent_sync = path,
                    other => match other.strip_prefix("action:") {
                        Some(name) if !name.is_empty() => {
                            options.paths.actions.insert(name.to_owned(), path);
                        }
                        _ => return Err(format!("--path: unknown endpoint `{other}`")),
                    },
                }
            }
            "--oauth-token-url" => oauth.token_url = value()?,
            "--oauth-client-id" => oauth.client_id = value()?,
            "--oauth-client-secret" => oauth.client_secret = value()?,
            "--oauth-refresh-token" => oauth.refresh_token = value()?,
            "--oauth-token-field" => oauth.token_field = Some(value()?),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    options.url = url.ok_or("--url is required")?;
    if !(options.url.starts_with("http://") || options.url.starts_with("https://")) {
        return Err(format!("--url: expected http://… or https://…, got {}", options.url));
    }
    options.auth = auth.ok_or("--auth is required (use '{}' for a bridge without credentials)")?;
    if oauth != OAuthFlags::default() {
        let missing: Vec<&str> = [
            ("--oauth-token-url", &oauth.token_url),
            ("--oauth-client-id", &oauth.client_id),
            ("--oauth-client-secret", &oauth.client_secret),
            ("--oauth-refresh-token", &oauth.refresh_token),
        ]
        .into_iter()
        .filter(|(_, value)| value.is_empty())
        .map(|(flag, _)| flag)
        .collect();
        if !missing.is_empty() {
            return Err(format!("OAuth needs {} too", missing.join(", ")));
        }
        options.oauth = Some(oauth);
    }
    Ok(Command::Run(Box::new(options)))
}

/// The simulator the options describe, over `transport` (HTTP to `--url` in `main`).
pub fn simulator(options: &Options, transport: impl Transport) -> Simulator {
    let client = TestClient::with_transport(transport).with_paths(options.paths.clone());
    let mut simulator = Simulator::new(client, &options.auth);
    if let Some(invalid) = &options.invalid_auth {
        simulator = simulator.invalid_auth(invalid);
    }
    if let Some(types) = &options.interaction_types {
        simulator = simulator.interaction_types(types);
    }
    for lookup in &options.lookups {
        simulator = simulator.interaction_lookup(lookup);
    }
    for action in &options.actions {
        simulator = simulator.action(action.clone());
    }
    if let Some(pages) = options.max_pages {
        simulator = simulator.max_pages(pages);
    }
    if let Some(flags) = &options.oauth {
        let mut oauth = OAuth::new(&flags.token_url, &flags.client_id, &flags.client_secret, &flags.refresh_token);
        if let Some(field) = &flags.token_field {
            oauth = oauth.token_field(field);
        }
        simulator = simulator.oauth(oauth);
    }
    if !options.quiet {
        simulator = simulator.on_progress(|progress| eprintln!("  … {progress}"));
    }
    simulator
}

/// Runs the simulator against `--url`.
pub async fn run(options: &Options) -> Report {
    if !options.quiet {
        eprintln!("Checking {} as Talkdesk would…", options.url);
    }
    let transport = bridge::testing::HttpTransport::with_timeout(&options.url, options.timeout);
    simulator(options, transport).run().await
}

#[allow(dead_code)] // tests include this file as a module and call `parse_args` and `run`
#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("conformance: {err}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let report = run(&options).await;
    println!("{report}");
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        parse_args(args.iter().map(|a| a.to_string()))
    }

    fn options(args: &[&str]) -> Options {
        match parse(args).unwrap() {
            Command::Run(options) => *options,
            Command::Help => panic!("help"),
        }
    }

    #[test]
    fn reads_every_option() {
        let o = options(&[
            "--url",
            "http://127.0.0.1:3000",
            "--auth",
            r#"{"username": "u", "password": "p"}"#,
            "--interaction-types",
            "case, note,email",
            "--action",
            "create_ticket",
            "--action-data",
            r#"{"subject": "s"}"#,
            "--action-meta",
            r#"{"contact_external_id": "1"}"#,
            "--max-pages=7",
            "--path=contact_sync=/contacts",
            "--path",
            "action:create_ticket=/tickets",
            "--timeout",
            "2.5",
            "--quiet",
        ]);
        assert_eq!(o.url, "http://127.0.0.1:3000");
        assert_eq!(o.auth["username"], "u");
        assert_eq!(o.interaction_types.unwrap(), ["case", "note", "email"]);
        assert_eq!(
            o.actions,
            [ActionProbe::new("create_ticket").data(serde_json::json!({"subject": "s"})).contact_external_id("1")]
        );
        assert_eq!(o.max_pages, Some(7));
        assert_eq!(o.paths.contact_sync, "/contacts");
        assert_eq!(o.paths.action("create_ticket"), "/tickets");
        assert_eq!(o.timeout, Duration::from_millis(2500));
        assert!(o.quiet);
    }

    #[test]
    fn explains_what_is_wrong() {
        assert_eq!(parse(&["--help"]), Ok(Command::Help));
        assert_eq!(parse(&["--auth", "{}"]), Err("--url is required".into()));
        assert!(parse(&["--url", "http://x", "--auth", "nope"]).unwrap_err().starts_with("--auth: not JSON"));
        assert!(parse(&["--url", "http://x", "--auth", "[1]"]).unwrap_err().contains("expected a JSON object"));
        assert_eq!(
            parse(&["--url", "http://x", "--auth", "{}", "--action-data", "{}"]),
            Err("--action-data comes after the --action it is for".into())
        );
        assert_eq!(parse(&["--url", "x", "--auth", "{}"]), Err("--url: expected http://… or https://…, got x".into()));
        assert_eq!(parse(&["--bogus"]), Err("unknown argument `--bogus`".into()));
        assert_eq!(parse(&["--url"]), Err("--url needs a value".into()));
        assert!(parse(&["--url", "http://x", "--auth", "{}", "--max-pages", "0"]).is_err());
        assert_eq!(
            parse(&["--url", "http://x", "--auth", "{}", "--oauth-token-url", "http://t", "--oauth-client-id", "c"]),
            Err("OAuth needs --oauth-client-secret, --oauth-refresh-token too".into())
        );
    }

    #[test]
    fn reads_the_oauth_flags() {
        let o = options(&[
            "--url=http://x",
            "--auth={\"access_token\": \"a\"}",
            "--oauth-token-url=http://127.0.0.1:9/oauth/v1/token",
            "--oauth-client-id=client",
            "--oauth-client-secret=shh",
            "--oauth-refresh-token=again",
        ]);
        let flags = o.oauth.clone().unwrap();
        assert_eq!(
            (flags.token_url.as_str(), flags.refresh_token.as_str()),
            ("http://127.0.0.1:9/oauth/v1/token", "again")
        );
        assert!(!format!("{o:?}").contains("shh") && !format!("{o:?}").contains("again"));
    }
}
