//! The command line: what `bridge-conformance` is asked to do, read from its arguments with a few lines of its own
//! (no argument-parsing crate in the build). Everything about the bridge itself — its endpoints, interaction types,
//! actions and authentication type — comes from its configuration documents, not from flags.

use serde_json::{Map, Value};
use std::path::PathBuf;
use std::time::Duration;

/// What `--help` prints.
pub const USAGE: &str = "\
Usage: bridge-conformance --url URL --auth JSON [options]

Drives the bridge at URL as Talkdesk does and checks the protocol on every answer. What to check comes from the
integration's configuration documents: GET URL/configuration, or --configuration FILE for a bridge that does not
serve them. They give the endpoints and their paths, the interaction types, the actions and their inputs and the
authentication type, and are themselves checked against Talkdesk's format.

  --url URL                  the bridge's base URL, e.g. http://127.0.0.1:3000
  --auth JSON                the credentials Talkdesk sends as `auth`, e.g. '{\"token\": \"…\"}' (not needed when the
                             authentication type is `none`); @FILE reads them from FILE
  --configuration FILE       the documents given to Talkdesk instead of GET URL/configuration: {\"integration\": …,
                             \"actions\": […]}, one document, or an array of them (repeatable, one file per document)
  --action NAME              execute the declared action NAME (repeatable: actions change the external service, so
                             none runs unless named; the report lists the others)
  --action-data JSON         the inputs (`data`) of the last --action, the declared ones only; @FILE reads them
  --action-meta JSON         the `meta` of the last --action, e.g. '{\"contact_external_id\": \"1\"}'
  --lookup JSON              one more interaction lookup `data`, e.g. '{\"contact_external_id\": \"1\"}' (repeatable;
                             without any, the synced contacts are searched, each by id then by email and phone,
                             up to 1000 lookups beyond the first three contacts', until interactions come back)
  --header 'NAME: VALUE'     a header sent with every request, e.g. 'Authorization: Bearer …' for a bridge that
                             requires an inbound token (repeatable; @FILE reads `NAME: VALUE` from FILE; the value
                             is never printed)
  --invalid-auth JSON        credentials that must get 401 (default: --auth with \"-invalid\" appended to each
                             secret: a field named like token, password, key, secret; to every string if none is)
  --oauth-token-url URL      OAuth 2.0, as Talkdesk does it: on a 401, refresh the access token at URL and repeat
                             the request once (needs the three flags below)
  --oauth-client-id ID       the integration's OAuth client id
  --oauth-client-secret S    its client secret
  --oauth-refresh-token T    the refresh token Talkdesk holds
  --oauth-token-field KEY    the key of --auth that carries the access token (default: the configuration's field
                             of type `oauth`, else access_token)
  --max-pages N              the most pages a sync may have before it is called endless (default 1000)
  --timeout SECONDS          how long to wait for each answer (default 30)
  --format FORMAT            text (default), json, or junit (one test case per check, for CI)
  --quiet                    no progress lines on stderr
  --help                     this help
  --version                  the version

The report goes to stdout; progress lines and usage errors to stderr.

Exit status:
  0  every check passed (warnings and skipped checks do not fail a run)
  1  a check failed
  2  usage error: a flag is missing or wrong, or disagrees with the configuration (an undeclared action, an
     input the action does not declare, credentials without a mandatory field)
";

/// How the report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// For people: one block per section, one line per check.
    #[default]
    Text,
    /// One JSON object: every check, its outcome and reasons.
    Json,
    /// JUnit XML: one test suite per section, one test case per check.
    Junit,
}

/// One `--action`: its name and what to send.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionFlags {
    /// The action's name, as declared in its configuration document.
    pub name: String,
    /// `--action-data`: its inputs.
    pub data: Option<Value>,
    /// `--action-meta`.
    pub meta: Map<String, Value>,
}

/// The `--oauth-…` flags: where and how to refresh the access token.
#[derive(Clone, PartialEq, Default)]
pub struct OAuthFlags {
    /// The token endpoint.
    pub token_url: String,
    /// The integration's client id.
    pub client_id: String,
    /// Its client secret.
    pub client_secret: String,
    /// The refresh token Talkdesk holds.
    pub refresh_token: String,
    /// The key of `auth` that carries the access token, when given.
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

/// What the command line asks for.
#[derive(Clone, PartialEq)]
pub struct Options {
    /// The bridge's base URL, for [`run`](crate::run) (a bridge in process needs none).
    pub url: String,
    /// The credentials, when given (`--auth`).
    pub auth: Option<Value>,
    /// `--invalid-auth`.
    pub invalid_auth: Option<Value>,
    /// `--configuration` files, in order.
    pub configuration: Vec<PathBuf>,
    /// The actions to execute.
    pub actions: Vec<ActionFlags>,
    /// More interaction lookups.
    pub lookups: Vec<Value>,
    /// `--max-pages`.
    pub max_pages: Option<usize>,
    /// How long to wait for each answer of a bridge at a URL (and for its `GET /configuration`).
    pub timeout: Duration,
    /// How to print the report.
    pub format: Format,
    /// No progress lines.
    pub quiet: bool,
    /// OAuth 2.0, when asked for.
    pub oauth: Option<OAuthFlags>,
    /// `--header`: each a name and a value, sent with every request (the bridge's inbound token); valid, as
    /// [`parse_args`] checks them. The values are never printed.
    pub headers: Vec<(String, String)>,
}

impl std::fmt::Debug for Options {
    /// The credentials are never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("url", &self.url)
            .field("configuration", &self.configuration)
            .field("actions", &self.actions.iter().map(|a| &a.name).collect::<Vec<_>>())
            .field("format", &self.format)
            .field("oauth", &self.oauth)
            .field("headers", &self.headers.iter().map(|(name, _)| name).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Default for Options {
    /// No URL, no credentials, nothing to add to what the configuration documents say: what the command line holds
    /// before its flags are read.
    fn default() -> Self {
        Self {
            url: String::new(),
            auth: None,
            invalid_auth: None,
            configuration: Vec::new(),
            actions: Vec::new(),
            lookups: Vec::new(),
            max_pages: None,
            timeout: bridge_runtime::testing::DEFAULT_TIMEOUT,
            format: Format::Text,
            quiet: false,
            oauth: None,
            headers: Vec::new(),
        }
    }
}

impl Options {
    /// The options of a check with these credentials (`auth`, as Talkdesk sends them) and everything else from the
    /// configuration documents: what a Rust bridge's test gives [`run_in_process`](crate::run_in_process), with
    /// any other field set by name.
    ///
    /// ```
    /// use bridge_conformance::args::Options;
    /// use serde_json::json;
    ///
    /// let options = Options {
    ///     lookups: vec![json!({"contact_emails": ["ann@example.com"]})],
    ///     quiet: true,
    ///     ..Options::new(json!({"account": "acme", "token": "t"}))
    /// };
    /// assert_eq!(options.auth, Some(json!({"account": "acme", "token": "t"})));
    /// ```
    pub fn new(auth: Value) -> Self {
        Self { auth: Some(auth), ..Self::default() }
    }
}

/// What the command line means.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Check a bridge.
    Run(Box<Options>),
    /// Print the help.
    Help,
    /// Print the version.
    Version,
}

/// `NAME: VALUE`, checked as HTTP has them; what is wrong never shows the value (a token).
fn header(text: &str) -> Result<(String, String), String> {
    let text = text.trim_end_matches(['\r', '\n']);
    let Some((name, value)) = text.split_once(':') else {
        return Err("--header: expected `NAME: VALUE`, e.g. `Authorization: Bearer …`".to_owned());
    };
    let (name, value) = (name.trim(), value.trim());
    if http::HeaderName::try_from(name).is_err() {
        return Err(format!("--header: `{name}` is not a header name"));
    }
    if value.is_empty() || http::HeaderValue::try_from(value).is_err() {
        return Err(format!("--header: the value of `{name}` is empty or not a valid header value"));
    }
    Ok((name.to_owned(), value.to_owned()))
}

/// The text of a flag's value, or of the file it names with `@FILE`.
fn text_or_file(flag: &str, value: &str) -> Result<String, String> {
    match value.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).map_err(|err| format!("{flag}: cannot read {path}: {err}")),
        None => Ok(value.to_owned()),
    }
}

/// `text`, to quote in a usage error: ``: `{…}` ``, or nothing for the credentials, which are never printed.
fn quoted(flag: &str, text: &str) -> String {
    if flag.ends_with("auth") {
        String::new()
    } else {
        format!(": {text}")
    }
}

fn json(flag: &str, text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|err| format!("{flag}: not JSON ({err}){}", quoted(flag, text)))
}

fn fields(flag: &str, text: &str) -> Result<Map<String, Value>, String> {
    match json(flag, text)? {
        Value::Object(fields) => Ok(fields),
        _ => Err(format!("{flag}: expected a JSON object{}", quoted(flag, text).replacen(':', ", got", 1))),
    }
}

/// Reads the arguments (without the program's name).
///
/// ```
/// use bridge_conformance::args::{parse_args, Command};
///
/// let args = ["--url", "http://127.0.0.1:3000", "--auth", r#"{"token": "t"}"#, "--format", "junit"];
/// let Ok(Command::Run(options)) = parse_args(args.map(String::from)) else { panic!() };
/// assert_eq!(options.url, "http://127.0.0.1:3000");
/// ```
pub fn parse_args<I: IntoIterator<Item = String>>(args: I) -> Result<Command, String> {
    let mut args = args.into_iter();
    let mut url = None;
    let mut options = Options::default();
    let mut oauth = OAuthFlags::default();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_owned(), Some(value.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = || inline.clone().or_else(|| args.next()).ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--version" | "-V" => return Ok(Command::Version),
            "--quiet" | "-q" => options.quiet = true,
            "--url" => url = Some(value()?),
            "--auth" => {
                let text = text_or_file("--auth", &value()?)?;
                options.auth = Some(Value::Object(fields("--auth", &text)?));
            }
            "--invalid-auth" => options.invalid_auth = Some(Value::Object(fields("--invalid-auth", &value()?)?)),
            "--configuration" => options.configuration.push(PathBuf::from(value()?)),
            "--lookup" => options.lookups.push(Value::Object(fields("--lookup", &value()?)?)),
            "--action" => {
                let name = value()?;
                if name.is_empty() {
                    return Err("--action: give the action's name".into());
                }
                options.actions.push(ActionFlags { name, data: None, meta: Map::new() });
            }
            "--action-data" => {
                let text = text_or_file("--action-data", &value()?)?;
                let data = json("--action-data", &text)?;
                let last = options.actions.last_mut().ok_or("--action-data comes after the --action it is for")?;
                last.data = Some(data);
            }
            "--action-meta" => {
                let meta = fields("--action-meta", &value()?)?;
                let last = options.actions.last_mut().ok_or("--action-meta comes after the --action it is for")?;
                last.meta.extend(meta);
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
            "--format" => {
                options.format = match value()?.as_str() {
                    "text" => Format::Text,
                    "json" => Format::Json,
                    "junit" => Format::Junit,
                    other => return Err(format!("--format: expected text, json or junit, got `{other}`")),
                }
            }
            "--header" => options.headers.push(header(&text_or_file("--header", &value()?)?)?),
            "--oauth-token-url" => oauth.token_url = value()?,
            "--oauth-client-id" => oauth.client_id = value()?,
            "--oauth-client-secret" => oauth.client_secret = value()?,
            "--oauth-refresh-token" => oauth.refresh_token = value()?,
            "--oauth-token-field" => oauth.token_field = Some(value()?),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    options.url = url.ok_or("--url is required")?.trim_end_matches('/').to_owned();
    if !(options.url.starts_with("http://") || options.url.starts_with("https://")) {
        return Err(format!("--url: expected http://… or https://…, got {}", options.url));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        parse_args(args.iter().map(|a| a.to_string()))
    }

    fn options(args: &[&str]) -> Options {
        match parse(args).unwrap() {
            Command::Run(options) => *options,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_every_option() {
        let dir = std::env::temp_dir().join(format!("bridge-conformance-args-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let data = dir.join("data.json");
        std::fs::write(&data, r#"{"subject": "from a file"}"#).unwrap();
        let o = options(&[
            "--url",
            "http://127.0.0.1:3000/",
            "--auth",
            r#"{"username": "u", "password": "p"}"#,
            "--configuration",
            "integration.json",
            "--action",
            "create_ticket",
            "--action-data",
            &format!("@{}", data.display()),
            "--action-meta",
            r#"{"contact_external_id": "1"}"#,
            "--action=log_note",
            "--lookup",
            r#"{"contact_external_id": "7"}"#,
            "--max-pages=7",
            "--timeout",
            "2.5",
            "--format",
            "json",
            "--quiet",
        ]);
        assert_eq!(o.url, "http://127.0.0.1:3000");
        assert_eq!(o.auth.as_ref().unwrap()["username"], "u");
        assert_eq!(o.configuration, [PathBuf::from("integration.json")]);
        assert_eq!(o.actions.len(), 2);
        assert_eq!(o.actions[0].data, Some(serde_json::json!({"subject": "from a file"})));
        assert_eq!(o.actions[0].meta["contact_external_id"], "1");
        assert_eq!((o.actions[1].name.as_str(), &o.actions[1].data), ("log_note", &None));
        assert_eq!(o.lookups.len(), 1);
        assert_eq!(o.max_pages, Some(7));
        assert_eq!(o.timeout, Duration::from_millis(2500));
        assert_eq!(o.format, Format::Json);
        assert!(o.quiet);
        // Debug never shows the credentials.
        assert!(!format!("{o:?}").contains("\"p\""), "{o:?}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn explains_what_is_wrong() {
        assert_eq!(parse(&["--help"]), Ok(Command::Help));
        assert_eq!(parse(&["--version"]), Ok(Command::Version));
        assert_eq!(parse(&["--auth", "{}"]), Err("--url is required".into()));
        assert!(parse(&["--url", "http://x", "--auth", "nope"]).unwrap_err().starts_with("--auth: not JSON"));
        assert!(parse(&["--url", "http://x", "--auth", "[1]"]).unwrap_err().contains("expected a JSON object"));
        // The credentials are never quoted back, even malformed; other flags are.
        assert_eq!(
            parse(&["--url", "http://x", "--auth", "{\"token\": \"shh"]),
            Err("--auth: not JSON (EOF while parsing a string at line 1 column 14)".into())
        );
        assert_eq!(
            parse(&["--url", "http://x", "--invalid-auth", "[\"shh\"]"]),
            Err("--invalid-auth: expected a JSON object".into())
        );
        assert_eq!(
            parse(&["--url", "http://x", "--lookup", "[1]"]),
            Err("--lookup: expected a JSON object, got [1]".into())
        );
        assert!(parse(&["--url", "http://x", "--auth", "@/nonexistent/auth.json"])
            .unwrap_err()
            .starts_with("--auth: cannot read /nonexistent/auth.json"));
        assert_eq!(
            parse(&["--url", "http://x", "--action-data", "{}"]),
            Err("--action-data comes after the --action it is for".into())
        );
        assert_eq!(parse(&["--url", "x"]), Err("--url: expected http://… or https://…, got x".into()));
        assert_eq!(parse(&["--bogus"]), Err("unknown argument `--bogus`".into()));
        assert_eq!(parse(&["--url"]), Err("--url needs a value".into()));
        assert_eq!(
            parse(&["--url", "http://x", "--format", "xml"]),
            Err("--format: expected text, json or junit, got `xml`".into())
        );
        assert!(parse(&["--url", "http://x", "--max-pages", "0"]).is_err());
        assert_eq!(
            parse(&["--url", "http://x", "--oauth-token-url", "http://t", "--oauth-client-id", "c"]),
            Err("OAuth needs --oauth-client-secret, --oauth-refresh-token too".into())
        );
    }

    #[test]
    fn reads_the_oauth_flags_and_never_shows_the_secrets() {
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

    #[test]
    fn reads_headers_and_never_shows_their_values() {
        let file = std::env::temp_dir().join(format!("bridge-conformance-header-{}", std::process::id()));
        std::fs::write(&file, "X-Gateway-Key: from-a-file\n").unwrap();
        let at_file = format!("@{}", file.display());
        let o = options(&["--url=http://x", "--header", "Authorization:  Bearer t0ken ", "--header", &at_file]);
        std::fs::remove_file(&file).unwrap();
        assert_eq!(
            o.headers,
            [("Authorization".into(), "Bearer t0ken".into()), ("X-Gateway-Key".into(), "from-a-file".into())]
        );
        assert!(!format!("{o:?}").contains("t0ken") && !format!("{o:?}").contains("from-a-file"), "{o:?}");
        let refused = |header: &str| match parse(&["--url", "http://x", "--header", header]) {
            Err(why) => why,
            Ok(_) => panic!("{header:?} was taken"),
        };
        assert_eq!(refused("Bearer s3cret"), "--header: expected `NAME: VALUE`, e.g. `Authorization: Bearer …`");
        assert_eq!(refused("Bad Name: s3cret"), "--header: `Bad Name` is not a header name");
        let invalid = refused("Authorization: s3cret\u{7f}");
        assert_eq!(invalid, "--header: the value of `Authorization` is empty or not a valid header value");
        assert!(refused("Authorization:").contains("empty"));
    }
}
