//! Every setting of a bridge in one place: the [`Settings`] a [`Bridge`](crate::Bridge) is built with, the one
//! table of the environment variables that can set them ([`VARIABLES`]), and the one overlay that reads them
//! ([`Settings::overlay`]).
//!
//! The rule is the same for every setting: **what code sets wins; the environment fills what code left unset;
//! the default fills the rest.** Only serving ([`Bridge::serve`](crate::Bridge::serve)) and the command line
//! (`bridge::cli`) apply the environment. A bridge built into a service
//! ([`Bridge::into_service`](crate::Bridge::into_service)), bound to an address of the code's choosing
//! ([`Bridge::bind`](crate::Bridge::bind)) or called by the test kit never reads it: a test behaves the same
//! whatever the shell that runs it exports.
//!
//! ```
//! use bridge::Settings;
//! use std::time::Duration;
//!
//! let settings = Settings::new().deadline(Duration::from_secs(10));
//! let environment = |name: &str| match name {
//!     "BRIDGE_DEADLINE" => Some("3".to_owned()), // set in code: the code wins
//!     "BRIDGE_MAX_IN_FLIGHT" => Some("64".to_owned()),
//!     _ => None,
//! };
//! let settings = settings.overlay(environment).unwrap();
//! assert_eq!(settings.deadline_value(), Duration::from_secs(10));
//! assert_eq!(settings.max_in_flight_value(), 64);
//! assert_eq!(settings.body_limit_value(), bridge::DEFAULT_BODY_LIMIT);
//! ```

use crate::secret::Secret;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The default limit on request bodies: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// The default deadline of a handler: Talkdesk gives up on a bridge after about 30 s.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(25);

/// The default limit on a request's head (its request line and headers): 64 KiB.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 64 * 1024;

/// The default bound on requests in flight.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1024;

/// The default time a shutdown waits for requests in flight.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The default time between SIGTERM and the end of accepting, while `GET /ready` answers `503` and requests are
/// still served: load balancers (a Kubernetes Service's endpoints, a cloud load balancer) take a few seconds to
/// stop sending.
pub const DEFAULT_DRAIN_DELAY: Duration = Duration::from_secs(5);

/// The default address a bridge listens on.
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";

/// The default log filter (`RUST_LOG`'s syntax).
pub const DEFAULT_LOG_FILTER: &str = "info";

/// One environment variable a bridge reads: a row of [`VARIABLES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variable {
    /// Its name: `BRIDGE_DEADLINE`.
    pub name: &'static str,
    /// Its default, in words: `25 s`.
    pub default: &'static str,
    /// What it sets.
    pub help: &'static str,
}

/// Every environment variable a bridge reads, in the order `--help` and the README list them. Nothing else in the
/// framework reads the environment.
pub const VARIABLES: &[Variable] = &[
    Variable { name: "BRIDGE_ADDR", default: "127.0.0.1:3000", help: "the address to listen on (`0.0.0.0:8080`)" },
    Variable { name: "PORT", default: "none", help: "with `BRIDGE_ADDR` unset, listen on `0.0.0.0:$PORT`" },
    Variable {
        name: "BRIDGE_TOKEN",
        default: "none",
        help: "the token Talkdesk must present (`Authorization: Bearer <token>` or `?token=<token>`); else `403`",
    },
    Variable {
        name: "BRIDGE_PUBLIC_URL",
        default: "the request's `Host`",
        help: "the URL Talkdesk reaches the bridge at, for the endpoint URLs of `GET /configuration`",
    },
    Variable {
        name: "BRIDGE_METRICS_ADDR",
        default: "none",
        help: "also serve `GET /metrics` there, without the token (a cluster-internal port)",
    },
    Variable {
        name: "BRIDGE_DEADLINE",
        default: "25 s",
        help: "how long a handler may run before `504` (seconds: `25`, `2.5`, `500ms`)",
    },
    Variable {
        name: "BRIDGE_BODY_LIMIT",
        default: "1 MiB",
        help: "the largest request body (bytes: `1048576`, `512KiB`, `2MiB`); past it, `413`",
    },
    Variable {
        name: "BRIDGE_MAX_HEADER_BYTES",
        default: "64 KiB",
        help: "the largest request head (request line and headers); past it, `431`",
    },
    Variable {
        name: "BRIDGE_MAX_IN_FLIGHT",
        default: "1024",
        help: "the most requests handled at once; past it, `503` with `Retry-After`",
    },
    Variable {
        name: "BRIDGE_DRAIN_DELAY",
        default: "5 s",
        help: "after SIGTERM, how long `/ready` answers `503` while requests are still served",
    },
    Variable {
        name: "BRIDGE_SHUTDOWN_GRACE",
        default: "30 s",
        help: "then, how long requests in flight may take to finish",
    },
    Variable {
        name: "BRIDGE_RECORD",
        default: "none",
        help: "a file to record every external call to, redacted, for replay in tests (`tests/cassettes/acme.json`)",
    },
    Variable {
        name: "BRIDGE_REDIS_URL",
        default: "none",
        help: "the Redis replicas share for dedupe and the lookup cache (`redis://redis:6379/0`, feature `redis`, `docs/replicas.md`); else in process",
    },
    Variable {
        name: "BRIDGE_STORE_KEY",
        default: "none",
        help: "the deployment's secret (32 bytes or more) the store's keys are hashed and its values sealed with; required with Redis",
    },
    Variable {
        name: "BRIDGE_STORE_REQUIRED",
        default: "false",
        help: "`true`: `/ready` answers `503` while the store (Redis) does not answer; else the bridge works without it",
    },
    Variable { name: "RUST_LOG", default: "info", help: "the log filter (`warn,bridge::request=info`)" },
    Variable {
        name: "BRIDGE_LOG_FORMAT",
        default: "text",
        help: "`json`: one JSON object per line on stderr, for a log collector",
    },
];

/// The format of the default logs ([`Settings::log_format`], `BRIDGE_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LogFormat {
    /// Human-readable lines, coloured only on a terminal.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// The settings of a bridge: limits, the inbound token, the public URL, addresses, shutdown and logs.
///
/// Each can be set in code (here, or with the [`Bridge`](crate::Bridge) method of the same name); what code does
/// not set, [`overlay`](Self::overlay) may take from the environment ([`VARIABLES`]); the rest has its default.
/// The `*_value` methods give the setting in force.
#[derive(Clone, Default)]
pub struct Settings {
    addr: Option<SocketAddr>,
    body_limit: Option<usize>,
    max_header_bytes: Option<usize>,
    max_in_flight: Option<usize>,
    deadline: Option<Duration>,
    drain_delay: Option<Duration>,
    shutdown_grace: Option<Duration>,
    inbound_token: Option<Secret>,
    public_url: Option<String>,
    metrics_addr: Option<SocketAddr>,
    log_filter: Option<String>,
    log_format: Option<LogFormat>,
    record: Option<PathBuf>,
    redis_url: Option<Secret>,
    store_key: Option<Secret>,
    store_required: Option<bool>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("addr", &self.addr_value())
            .field("body_limit", &self.body_limit_value())
            .field("max_header_bytes", &self.max_header_bytes_value())
            .field("max_in_flight", &self.max_in_flight_value())
            .field("deadline", &self.deadline_value())
            .field("drain_delay", &self.drain_delay_value())
            .field("shutdown_grace", &self.shutdown_grace_value())
            .field("inbound_token", &self.inbound_token) // `Secret` prints `<redacted>`
            .field("public_url", &self.public_url)
            .field("metrics_addr", &self.metrics_addr)
            .field("log_filter", &self.log_filter_value())
            .field("log_format", &self.log_format_value())
            .field("record", &self.record)
            .field("redis_url", &self.redis_url) // `Secret`: it may hold a password
            .field("store_key", &self.store_key)
            .field("store_required", &self.store_required_value())
            .finish()
    }
}

impl Settings {
    /// Nothing set: every setting at its default until code or the environment sets it.
    pub fn new() -> Self {
        Self::default()
    }

    /// The address [`Bridge::serve`](crate::Bridge::serve) listens on (default `127.0.0.1:3000`).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = Some(addr);
        self
    }

    /// The largest request body accepted (default 1 MiB); larger ones get `413`.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = Some(bytes);
        self
    }

    /// The largest request head accepted (default 64 KiB); larger ones get `431` with a JSON body.
    pub fn max_header_bytes(mut self, bytes: usize) -> Self {
        self.max_header_bytes = Some(bytes);
        self
    }

    /// The most requests handled at once (default 1024); past it, `503` with `Retry-After`.
    pub fn max_in_flight(mut self, requests: usize) -> Self {
        self.max_in_flight = Some(requests);
        self
    }

    /// How long any handler may run before the request is answered `504` (default 25 s).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// How long a bridge stays up after SIGTERM, `GET /ready` answering `503`, before it stops accepting
    /// (default 5 s).
    pub fn drain_delay(mut self, delay: Duration) -> Self {
        self.drain_delay = Some(delay);
        self
    }

    /// How long a shutdown waits for requests in flight (default 30 s).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = Some(grace);
        self
    }

    /// The token every request but the probes' must carry (default: none).
    pub fn inbound_token(mut self, token: Secret) -> Self {
        self.inbound_token = Some(token);
        self
    }

    /// The URL Talkdesk reaches the bridge at, for the configuration documents.
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = Some(url.into());
        self
    }

    /// A second address serving `GET /metrics` only, without the token.
    pub fn metrics_addr(mut self, addr: SocketAddr) -> Self {
        self.metrics_addr = Some(addr);
        self
    }

    /// The filter of the default logs, in `RUST_LOG`'s syntax (default `info`).
    pub fn log_filter(mut self, filter: impl Into<String>) -> Self {
        self.log_filter = Some(filter.into());
        self
    }

    /// The format of the default logs (default text).
    pub fn log_format(mut self, format: LogFormat) -> Self {
        self.log_format = Some(format);
        self
    }

    /// Records every call the bridge makes through `bridge::http` while answering requests to the cassette at
    /// `path`, redacted, for `bridge::testing` to replay (default: none; see [`Bridge::record`](crate::Bridge::record)).
    pub fn record(mut self, path: impl Into<PathBuf>) -> Self {
        self.record = Some(path.into());
        self
    }

    /// The Redis the replicas share (`redis://host:6379/0`; feature `redis`): the store behind
    /// [`Bridge::dedupe`](crate::Bridge::dedupe) and [`Bridge::cache`](crate::Bridge::cache) (default: in process).
    pub fn redis_url(mut self, url: Secret) -> Self {
        self.redis_url = Some(url);
        self
    }

    /// The deployment's secret the store's keys are hashed and its values sealed with (required with Redis; at
    /// least 32 bytes; the same on every replica).
    pub fn store_key(mut self, key: Secret) -> Self {
        self.store_key = Some(key);
        self
    }

    /// Whether `GET /ready` answers `503` while the store does not answer (default `false`: the bridge answers
    /// every request without it).
    pub fn store_required(mut self, required: bool) -> Self {
        self.store_required = Some(required);
        self
    }

    /// The Redis URL, if any.
    pub fn redis_url_value(&self) -> Option<&Secret> {
        self.redis_url.as_ref()
    }

    /// The store's key, if any.
    pub fn store_key_value(&self) -> Option<&Secret> {
        self.store_key.as_ref()
    }

    /// Whether readiness requires the store.
    pub fn store_required_value(&self) -> bool {
        self.store_required.unwrap_or(false)
    }

    /// The address to listen on.
    pub fn addr_value(&self) -> SocketAddr {
        self.addr.unwrap_or(SocketAddr::V4(std::net::SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 3000)))
    }

    /// The largest request body accepted.
    pub fn body_limit_value(&self) -> usize {
        self.body_limit.unwrap_or(DEFAULT_BODY_LIMIT)
    }

    /// The largest request head accepted.
    pub fn max_header_bytes_value(&self) -> usize {
        self.max_header_bytes.unwrap_or(DEFAULT_MAX_HEADER_BYTES)
    }

    /// The most requests handled at once.
    pub fn max_in_flight_value(&self) -> usize {
        self.max_in_flight.unwrap_or(DEFAULT_MAX_IN_FLIGHT)
    }

    /// The handlers' deadline.
    pub fn deadline_value(&self) -> Duration {
        self.deadline.unwrap_or(DEFAULT_DEADLINE)
    }

    /// The drain delay.
    pub fn drain_delay_value(&self) -> Duration {
        self.drain_delay.unwrap_or(DEFAULT_DRAIN_DELAY)
    }

    /// The shutdown grace.
    pub fn shutdown_grace_value(&self) -> Duration {
        self.shutdown_grace.unwrap_or(DEFAULT_SHUTDOWN_GRACE)
    }

    /// The inbound token, if any.
    pub fn inbound_token_value(&self) -> Option<&Secret> {
        self.inbound_token.as_ref()
    }

    /// The public URL, if set.
    pub fn public_url_value(&self) -> Option<&str> {
        self.public_url.as_deref()
    }

    /// The address serving `GET /metrics` apart, if any.
    pub fn metrics_addr_value(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The default logs' filter.
    pub fn log_filter_value(&self) -> &str {
        self.log_filter.as_deref().unwrap_or(DEFAULT_LOG_FILTER)
    }

    /// The default logs' format.
    pub fn log_format_value(&self) -> LogFormat {
        self.log_format.unwrap_or_default()
    }

    /// The cassette the bridge records its calls to, if any.
    pub fn record_value(&self) -> Option<&Path> {
        self.record.as_deref()
    }

    /// Fills what code left unset from `environment` (a variable's value by name; see [`VARIABLES`]). An empty
    /// value counts as unset. A value that does not parse is an error naming the variable; the value of
    /// `BRIDGE_TOKEN` is never quoted.
    ///
    /// [`Bridge::serve`](crate::Bridge::serve) and the command line call it with the process's environment
    /// ([`Settings::overlay_process_env`]); nothing else in the framework does.
    pub fn overlay(mut self, environment: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let var = |name: &'static str| {
            debug_assert!(VARIABLES.iter().any(|v| v.name == name), "{name} is missing from VARIABLES");
            environment(name).filter(|value| !value.trim().is_empty()).map(|value| (name, value))
        };
        fill(&mut self.addr, || match (var("BRIDGE_ADDR"), var("PORT")) {
            (Some((name, addr)), _) => parse_addr(name, &addr).map(Some),
            (None, Some((name, port))) => match port.trim().parse::<u16>() {
                Ok(port) => Ok(Some(SocketAddr::from(([0, 0, 0, 0], port)))),
                Err(_) => Err(SettingsError::new(name, &port, "a port number, e.g. 8080")),
            },
            (None, None) => Ok(None),
        })?;
        fill(&mut self.inbound_token, || Ok(var("BRIDGE_TOKEN").map(|(_, token)| Secret::new(token))))?;
        fill(&mut self.public_url, || Ok(var("BRIDGE_PUBLIC_URL").map(|(_, url)| url.trim().to_owned())))?;
        fill(&mut self.metrics_addr, || var("BRIDGE_METRICS_ADDR").map(|(n, v)| parse_addr(n, &v)).transpose())?;
        fill(&mut self.deadline, || var("BRIDGE_DEADLINE").map(|(n, v)| parse_duration(n, &v)).transpose())?;
        fill(&mut self.body_limit, || var("BRIDGE_BODY_LIMIT").map(|(n, v)| parse_bytes(n, &v)).transpose())?;
        fill(&mut self.max_header_bytes, || {
            var("BRIDGE_MAX_HEADER_BYTES").map(|(n, v)| parse_bytes(n, &v)).transpose()
        })?;
        fill(&mut self.max_in_flight, || var("BRIDGE_MAX_IN_FLIGHT").map(|(n, v)| parse_count(n, &v)).transpose())?;
        fill(&mut self.drain_delay, || var("BRIDGE_DRAIN_DELAY").map(|(n, v)| parse_duration(n, &v)).transpose())?;
        fill(&mut self.shutdown_grace, || {
            var("BRIDGE_SHUTDOWN_GRACE").map(|(n, v)| parse_duration(n, &v)).transpose()
        })?;
        fill(&mut self.record, || Ok(var("BRIDGE_RECORD").map(|(_, path)| PathBuf::from(path.trim()))))?;
        fill(&mut self.redis_url, || Ok(var("BRIDGE_REDIS_URL").map(|(_, url)| Secret::new(url.trim()))))?;
        fill(&mut self.store_key, || Ok(var("BRIDGE_STORE_KEY").map(|(_, key)| Secret::new(key.trim()))))?;
        fill(&mut self.store_required, || var("BRIDGE_STORE_REQUIRED").map(|(n, v)| parse_bool(n, &v)).transpose())?;
        fill(&mut self.log_filter, || Ok(var("RUST_LOG").map(|(_, filter)| filter)))?;
        fill(&mut self.log_format, || var("BRIDGE_LOG_FORMAT").map(|(n, v)| parse_log_format(n, &v)).transpose())?;
        Ok(self)
    }

    /// [`overlay`](Self::overlay) with the process's environment: the one place the framework reads it. A value
    /// that is not valid UTF-8 is reported as not parsing.
    pub fn overlay_process_env(self) -> Result<Self, SettingsError> {
        self.overlay(|name| std::env::var_os(name).map(|value| value.to_string_lossy().into_owned()))
    }
}

/// Sets `slot` from `read` when code left it unset.
fn fill<T>(slot: &mut Option<T>, read: impl FnOnce() -> Result<Option<T>, SettingsError>) -> Result<(), SettingsError> {
    if slot.is_none() {
        *slot = read()?;
    }
    Ok(())
}

/// An environment variable whose value does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    variable: &'static str,
    value: String,
    expected: &'static str,
}

impl SettingsError {
    fn new(variable: &'static str, value: &str, expected: &'static str) -> Self {
        Self { variable, value: value.to_owned(), expected }
    }

    /// The variable's name.
    pub fn variable(&self) -> &'static str {
        self.variable
    }
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}=`{}` is not {}", self.variable, self.value, self.expected)
    }
}

impl std::error::Error for SettingsError {}

fn parse_bool(name: &'static str, text: &str) -> Result<bool, SettingsError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(SettingsError::new(name, text, "`true` or `false`")),
    }
}

fn parse_addr(name: &'static str, text: &str) -> Result<SocketAddr, SettingsError> {
    text.trim().parse().map_err(|_| SettingsError::new(name, text, "an address to listen on, e.g. 127.0.0.1:3000"))
}

/// Seconds (`5`, `2.5`, `5s`) or milliseconds (`500ms`).
fn parse_duration(name: &'static str, text: &str) -> Result<Duration, SettingsError> {
    let trimmed = text.trim();
    let parsed = match trimmed.strip_suffix("ms") {
        Some(ms) => ms.trim().parse::<u64>().ok().map(Duration::from_millis),
        None => trimmed
            .strip_suffix('s')
            .unwrap_or(trimmed)
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok()),
    };
    parsed.ok_or_else(|| SettingsError::new(name, text, "a duration (seconds, e.g. 5 or 2.5, or 500ms)"))
}

/// Bytes (`65536`), or with a binary unit (`64KiB`, `2MiB`); not zero.
fn parse_bytes(name: &'static str, text: &str) -> Result<usize, SettingsError> {
    let trimmed = text.trim();
    let (number, unit) = match trimmed.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => trimmed.split_at(at),
        None => (trimmed, ""),
    };
    let scale: usize = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1024,
        "MiB" => 1024 * 1024,
        _ => 0,
    };
    number
        .parse::<usize>()
        .ok()
        .and_then(|number| number.checked_mul(scale))
        .filter(|bytes| *bytes > 0)
        .ok_or_else(|| SettingsError::new(name, text, "a size in bytes, e.g. 65536, 64KiB or 2MiB"))
}

/// A count, not zero.
fn parse_count(name: &'static str, text: &str) -> Result<usize, SettingsError> {
    text.trim()
        .parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| SettingsError::new(name, text, "a number above 0"))
}

fn parse_log_format(name: &'static str, text: &str) -> Result<LogFormat, SettingsError> {
    match text.trim() {
        t if t.eq_ignore_ascii_case("text") => Ok(LogFormat::Text),
        j if j.eq_ignore_ascii_case("json") => Ok(LogFormat::Json),
        _ => Err(SettingsError::new(name, text, "`text` or `json`")),
    }
}

/// The table of [`VARIABLES`] in Markdown, as the README shows it (a test keeps the two the same).
pub fn markdown_table() -> String {
    let mut table = String::from("| variable | default | |\n|---|---|---|\n");
    for variable in VARIABLES {
        table.push_str(&format!("| `{}` | {} | {} |\n", variable.name, variable.default, variable.help));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned())
    }

    #[test]
    fn the_defaults_are_those_the_readme_documents() {
        assert_eq!(DEFAULT_BODY_LIMIT, 1_048_576, "1 MiB");
        assert_eq!(DEFAULT_MAX_HEADER_BYTES, 65_536, "64 KiB");
        assert_eq!(DEFAULT_MAX_IN_FLIGHT, 1024);
        assert_eq!(DEFAULT_DEADLINE, Duration::from_secs(25));
        assert_eq!(DEFAULT_DRAIN_DELAY, Duration::from_secs(5));
        assert_eq!(DEFAULT_SHUTDOWN_GRACE, Duration::from_secs(30));
        let documented = |name: &str| VARIABLES.iter().find(|v| v.name == name).unwrap().default;
        assert_eq!(documented("BRIDGE_BODY_LIMIT"), "1 MiB");
        assert_eq!(documented("BRIDGE_MAX_HEADER_BYTES"), "64 KiB");
    }

    #[test]
    fn the_default_address_is_the_documented_one() {
        assert_eq!(Settings::new().addr_value().to_string(), DEFAULT_ADDR);
    }

    #[test]
    fn nothing_set_is_every_default() {
        let settings = Settings::new().overlay(env(&[])).unwrap();
        assert_eq!(settings.addr_value(), "127.0.0.1:3000".parse().unwrap());
        assert_eq!(settings.body_limit_value(), DEFAULT_BODY_LIMIT);
        assert_eq!(settings.max_header_bytes_value(), DEFAULT_MAX_HEADER_BYTES);
        assert_eq!(settings.max_in_flight_value(), DEFAULT_MAX_IN_FLIGHT);
        assert_eq!(settings.deadline_value(), DEFAULT_DEADLINE);
        assert_eq!(settings.drain_delay_value(), DEFAULT_DRAIN_DELAY);
        assert_eq!(settings.shutdown_grace_value(), DEFAULT_SHUTDOWN_GRACE);
        assert!(settings.inbound_token_value().is_none());
        assert_eq!(settings.public_url_value(), None);
        assert_eq!(settings.metrics_addr_value(), None);
        assert_eq!(settings.log_filter_value(), "info");
        assert_eq!(settings.log_format_value(), LogFormat::Text);
        assert_eq!(settings.record_value(), None);
    }

    #[test]
    fn the_environment_fills_every_setting() {
        let settings = Settings::new()
            .overlay(env(&[
                ("BRIDGE_ADDR", "0.0.0.0:8080"),
                ("PORT", "9999"),
                ("BRIDGE_TOKEN", "t0ken"),
                ("BRIDGE_PUBLIC_URL", " https://bridge.example.com "),
                ("BRIDGE_METRICS_ADDR", "127.0.0.1:9090"),
                ("BRIDGE_DEADLINE", "2.5"),
                ("BRIDGE_BODY_LIMIT", "2MiB"),
                ("BRIDGE_MAX_HEADER_BYTES", "16KiB"),
                ("BRIDGE_MAX_IN_FLIGHT", "64"),
                ("BRIDGE_DRAIN_DELAY", "250ms"),
                ("BRIDGE_SHUTDOWN_GRACE", "7s"),
                ("RUST_LOG", "warn"),
                ("BRIDGE_LOG_FORMAT", "JSON"),
                ("BRIDGE_RECORD", " tests/cassettes/acme.json "),
            ]))
            .unwrap();
        assert_eq!(settings.addr_value(), "0.0.0.0:8080".parse().unwrap(), "BRIDGE_ADDR wins over PORT");
        assert_eq!(settings.inbound_token_value().map(Secret::expose), Some("t0ken"));
        assert_eq!(settings.public_url_value(), Some("https://bridge.example.com"));
        assert_eq!(settings.metrics_addr_value(), Some("127.0.0.1:9090".parse().unwrap()));
        assert_eq!(settings.deadline_value(), Duration::from_millis(2500));
        assert_eq!(settings.body_limit_value(), 2 * 1024 * 1024);
        assert_eq!(settings.max_header_bytes_value(), 16 * 1024);
        assert_eq!(settings.max_in_flight_value(), 64);
        assert_eq!(settings.drain_delay_value(), Duration::from_millis(250));
        assert_eq!(settings.shutdown_grace_value(), Duration::from_secs(7));
        assert_eq!(settings.log_filter_value(), "warn");
        assert_eq!(settings.log_format_value(), LogFormat::Json);
        assert_eq!(settings.record_value(), Some(Path::new("tests/cassettes/acme.json")));
        let store = Settings::new()
            .overlay(env(&[
                ("BRIDGE_REDIS_URL", " redis://:pw@redis:6379/0 "),
                ("BRIDGE_STORE_KEY", "k"),
                ("BRIDGE_STORE_REQUIRED", "true"),
            ]))
            .unwrap();
        assert_eq!(store.redis_url_value().map(Secret::expose), Some("redis://:pw@redis:6379/0"));
        assert_eq!(store.store_key_value().map(Secret::expose), Some("k"));
        assert!(store.store_required_value());
        assert!(!format!("{store:?}").contains("pw@"), "the URL may hold a password: never printed");
        let in_code = Settings::new().record("a.json").overlay(env(&[("BRIDGE_RECORD", "b.json")])).unwrap();
        assert_eq!(in_code.record_value(), Some(Path::new("a.json")), "code wins");
        let port_only = Settings::new().overlay(env(&[("PORT", "8081")])).unwrap();
        assert_eq!(port_only.addr_value(), "0.0.0.0:8081".parse().unwrap());
    }

    #[test]
    fn what_code_sets_wins_over_the_environment() {
        let everything = env(&[
            ("BRIDGE_ADDR", "0.0.0.0:8080"),
            ("BRIDGE_TOKEN", "from-env"),
            ("BRIDGE_PUBLIC_URL", "https://env.example"),
            ("BRIDGE_METRICS_ADDR", "127.0.0.1:9090"),
            ("BRIDGE_DEADLINE", "1"),
            ("BRIDGE_BODY_LIMIT", "1"),
            ("BRIDGE_MAX_HEADER_BYTES", "1"),
            ("BRIDGE_MAX_IN_FLIGHT", "1"),
            ("BRIDGE_DRAIN_DELAY", "1"),
            ("BRIDGE_SHUTDOWN_GRACE", "1"),
            ("RUST_LOG", "trace"),
            ("BRIDGE_LOG_FORMAT", "json"),
        ]);
        let settings = Settings::new()
            .addr("127.0.0.1:1".parse().unwrap())
            .inbound_token(Secret::new("from-code"))
            .public_url("https://code.example")
            .metrics_addr("127.0.0.1:2".parse().unwrap())
            .deadline(Duration::from_secs(9))
            .body_limit(9)
            .max_header_bytes(9)
            .max_in_flight(9)
            .drain_delay(Duration::from_secs(9))
            .shutdown_grace(Duration::from_secs(9))
            .log_filter("debug")
            .log_format(LogFormat::Text)
            .overlay(everything)
            .unwrap();
        assert_eq!(settings.addr_value(), "127.0.0.1:1".parse().unwrap());
        assert_eq!(settings.inbound_token_value().map(Secret::expose), Some("from-code"));
        assert_eq!(settings.public_url_value(), Some("https://code.example"));
        assert_eq!(settings.metrics_addr_value(), Some("127.0.0.1:2".parse().unwrap()));
        assert_eq!(settings.deadline_value(), Duration::from_secs(9));
        assert_eq!(
            (settings.body_limit_value(), settings.max_header_bytes_value(), settings.max_in_flight_value()),
            (9, 9, 9)
        );
        assert_eq!(settings.drain_delay_value(), Duration::from_secs(9));
        assert_eq!(settings.shutdown_grace_value(), Duration::from_secs(9));
        assert_eq!((settings.log_filter_value(), settings.log_format_value()), ("debug", LogFormat::Text));
    }

    #[test]
    fn empty_values_are_unset() {
        let settings =
            Settings::new().overlay(env(&[("BRIDGE_TOKEN", ""), ("BRIDGE_DEADLINE", "  "), ("PORT", "")])).unwrap();
        assert!(settings.inbound_token_value().is_none());
        assert_eq!(settings.deadline_value(), DEFAULT_DEADLINE);
        assert_eq!(settings.addr_value(), "127.0.0.1:3000".parse().unwrap());
    }

    #[test]
    fn a_value_that_does_not_parse_names_its_variable() {
        let error = |name: &'static str, value: &'static str| {
            let pairs: &'static [(&'static str, &'static str)] = Box::leak(Box::new([(name, value)]));
            Settings::new().overlay(env(pairs)).unwrap_err()
        };
        for (name, bad) in [
            ("BRIDGE_ADDR", "nope"),
            ("PORT", "70000"),
            ("BRIDGE_METRICS_ADDR", "localhost"),
            ("BRIDGE_DEADLINE", "soon"),
            ("BRIDGE_DRAIN_DELAY", "-1"),
            ("BRIDGE_SHUTDOWN_GRACE", "5m"),
            ("BRIDGE_BODY_LIMIT", "0"),
            ("BRIDGE_BODY_LIMIT", "1GiB"),
            ("BRIDGE_MAX_HEADER_BYTES", "lots"),
            ("BRIDGE_MAX_IN_FLIGHT", "0"),
            ("BRIDGE_LOG_FORMAT", "yaml"),
            ("BRIDGE_STORE_REQUIRED", "maybe"),
        ] {
            let err = error(name, bad);
            assert_eq!(err.variable(), name);
            assert!(err.to_string().starts_with(&format!("{name}=`{bad}` is not ")), "{err}");
        }
    }

    #[test]
    fn durations_sizes_and_counts_read_at_their_edges() {
        let duration = |text| parse_duration("BRIDGE_DEADLINE", text);
        assert_eq!(duration("7").unwrap(), Duration::from_secs(7));
        assert_eq!(duration("3s").unwrap(), Duration::from_secs(3));
        assert_eq!(duration("0").unwrap(), Duration::ZERO);
        assert_eq!(duration("250ms").unwrap(), Duration::from_millis(250));
        for bad in ["soon", "-1", "5m", "1e400", "ms"] {
            assert!(duration(bad).is_err(), "{bad}");
        }
        let bytes = |text| parse_bytes("BRIDGE_BODY_LIMIT", text);
        assert_eq!(bytes("1").unwrap(), 1);
        assert_eq!(bytes("10B").unwrap(), 10);
        assert_eq!(bytes("1KiB").unwrap(), 1024);
        assert_eq!(bytes("3 MiB").unwrap(), 3 * 1024 * 1024);
        assert!(bytes("KiB").is_err());
        assert!(bytes(&format!("{}MiB", usize::MAX)).is_err(), "an overflow is refused, not wrapped");
        assert_eq!(parse_count("BRIDGE_MAX_IN_FLIGHT", "1").unwrap(), 1);
        for (text, format) in [("text", LogFormat::Text), (" Text ", LogFormat::Text), ("json", LogFormat::Json)] {
            assert_eq!(parse_log_format("BRIDGE_LOG_FORMAT", text).unwrap(), format, "{text}");
        }
    }

    #[test]
    fn the_token_is_never_printed() {
        let settings = Settings::new().inbound_token(Secret::new("hunter2-token"));
        let debug = format!("{settings:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("max_in_flight: 1024"), "{debug}");
    }

    #[test]
    fn every_variable_is_read_and_listed_once() {
        let mut names: Vec<&str> = VARIABLES.iter().map(|v| v.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), VARIABLES.len());
        let asked = std::sync::Mutex::new(Vec::new());
        Settings::new()
            .overlay(|name| {
                asked.lock().unwrap().push(name.to_owned());
                None
            })
            .unwrap();
        let mut asked = asked.into_inner().unwrap();
        asked.sort_unstable();
        assert_eq!(asked, names, "the overlay reads exactly the variables of the table");
        let table = markdown_table();
        assert!(VARIABLES.iter().all(|v| table.contains(&format!("| `{}` |", v.name))), "{table}");
    }
}
