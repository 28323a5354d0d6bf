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
//! **Adding a setting** is one entry in the table below (`settings!`): its setter's doc, its type, its getter and
//! default, its variable with the default in words and the help `--help` prints, and its parser. The field, the
//! setter, the getter, the [`Bridge`](crate::Bridge) method of the same name, the row of [`VARIABLES`], its part of
//! the overlay and of `Debug` follow; add its row to the variables table of `docs/operations.md` (a test says so), and use it.
//!
//! A program's own variables (`ZENDESK_BASE_URL`) are [`Variable`]s too, declared once as a `const`: read with
//! [`Variable::read`], through the same rules (empty is unset, a value that does not parse names the variable), and
//! listed by `--help` with `Cli::variables` (`bridge::cli`).
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

/// One environment variable: a row of [`VARIABLES`] for the framework's, or one of the author's own, declared once
/// (a `const`) and used both to read it ([`read`](Self::read)) and to list it in `--help`
/// (`Cli::variables` (`bridge::cli`)).
///
/// ```
/// use bridge::settings::Variable;
///
/// const PAGE_SIZE: Variable = Variable::new("CRM_PAGE_SIZE", "100", "contacts per page, 1-500");
///
/// let environment = |name: &str| (name == "CRM_PAGE_SIZE").then(|| " 250 ".to_owned());
/// let parse = |text: &str| text.parse::<u32>().ok().filter(|n| (1..=500).contains(n)).ok_or("a number from 1 to 500");
/// assert_eq!(PAGE_SIZE.read_from(environment, parse), Ok(Some(250)));
/// assert_eq!(PAGE_SIZE.read_from(|_| None, parse), Ok(None), "unset: the author's default applies");
/// let error = PAGE_SIZE.read_from(|_| Some("9000".to_owned()), parse).unwrap_err();
/// assert_eq!(error.to_string(), "CRM_PAGE_SIZE=`9000` is not a number from 1 to 500");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variable {
    /// Its name: `BRIDGE_DEADLINE`.
    pub name: &'static str,
    /// Its default, in words: `25 s`.
    pub default: &'static str,
    /// What it sets.
    pub help: &'static str,
}

impl Variable {
    /// A variable `name`, whose default reads `default` in `--help`, and which sets what `help` says.
    pub const fn new(name: &'static str, default: &'static str, help: &'static str) -> Self {
        Self { name, default, help }
    }

    /// Its value in `environment` (a value by name), trimmed, read by `parse`; `None` when unset or empty. A value
    /// `parse` refuses is an error naming the variable, the value and what `parse` says was expected (`Err("a
    /// number from 1 to 500")`: the message reads "CRM_PAGE_SIZE=`9000` is not a number from 1 to 500"; so a
    /// variable that holds a secret has a parser that never fails). This is how [`Settings::overlay`] reads every
    /// setting of the framework.
    pub fn read_from<T, E: fmt::Display>(
        &self,
        environment: impl Fn(&str) -> Option<String>,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Option<T>, SettingsError> {
        let Some(value) = environment(self.name).filter(|value| !value.trim().is_empty()) else {
            return Ok(None);
        };
        parse(value.trim()).map(Some).map_err(|expected| SettingsError::new(self.name, &value, expected.to_string()))
    }

    /// [`read_from`](Self::read_from) the process's environment: for the program's own variables, read by the
    /// program's `main` (or the function that builds its bridge), as the framework reads its own.
    pub fn read<T, E: fmt::Display>(
        &self,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Option<T>, SettingsError> {
        self.read_from(process_env, parse)
    }
}

/// Declares a program's own environment variables once each: a [`Variable`] constant per variable, named as the
/// variable is, and a list of them all for `--help` (`Cli::variables` (`bridge::cli`)).
///
/// ```
/// bridge::variables! {
///     /// What `--help` lists after the framework's variables.
///     pub const VARIABLES = [
///         /// Replaces `https://api.crm.example` (a proxy, a fake).
///         CRM_BASE_URL = "https://api.crm.example": "the CRM's base URL",
///         CRM_PAGE_SIZE = "100": "contacts per page, 1-500",
///     ];
/// }
///
/// assert_eq!(CRM_PAGE_SIZE.name, "CRM_PAGE_SIZE");
/// assert_eq!(VARIABLES, [CRM_BASE_URL, CRM_PAGE_SIZE]);
/// let page_size = CRM_PAGE_SIZE.read(|text| text.parse::<u32>())?.unwrap_or(100);
/// let cli = bridge::cli!().variables(VARIABLES);
/// # Ok::<(), bridge::SettingsError>(())
/// ```
#[macro_export]
macro_rules! variables {
    (
        $(#[$list_doc:meta])*
        $vis:vis const $list:ident = [
            $( $(#[$doc:meta])* $name:ident = $default:literal: $help:literal ),* $(,)?
        ];
    ) => {
        $(
            $(#[$doc])*
            #[doc = concat!("`", stringify!($name), "`: ", $help, " (default: ", $default, ").")]
            $vis const $name: $crate::settings::Variable =
                $crate::settings::Variable::new(stringify!($name), $default, $help);
        )*
        $(#[$list_doc])*
        $vis const $list: &[$crate::settings::Variable] = &[$($name),*];
    };
}

/// The process's environment, by name: the one place the framework reads it. A value that is not valid UTF-8 is
/// read lossily, so that it is reported as not parsing.
pub(crate) fn process_env(name: &str) -> Option<String> {
    std::env::var_os(name).map(|value| value.to_string_lossy().into_owned())
}

/// Declares every setting once, and generates the rest: the field of [`Settings`], its setter and the getter of the
/// value in force (`<name>_value`), the [`Bridge`](crate::Bridge) method of the same name, its rows of
/// [`VARIABLES`] and its part of [`Settings::overlay`] and of `Debug`.
///
/// A row: the setter's doc, `name: StoredType { set(params) = stored value; getter -> Type = |slot| value in
/// force; "VARIABLE", default "in words": "help" => parser; … }`. `push` instead of `set` appends to a list. A
/// setting read from two variables lists both, the first set wins (`BRIDGE_ADDR`, then `PORT`).
macro_rules! settings {
    (@rows $(
        $(#[$doc:meta])*
        $name:ident: $stored:ty {
            $mode:ident($($param:ident: $param_ty:ty),*) = $store:expr;
            $getter:ident -> $value:ty = |$slot:ident| $get:expr;
            $($variable:literal, default $default:literal: $help:literal => $parse:path;)*
        }
    )*) => {
        /// Every environment variable a bridge reads, in the order `--help` and `docs/operations.md` list them. Nothing else
        /// in the framework reads the environment.
        pub const VARIABLES: &[Variable] = &[$($(Variable::new($variable, $default, $help),)*)*];

        /// The settings of a bridge: limits, the inbound token, the public URL, addresses, shutdown and logs.
        ///
        /// Each can be set in code (here, or with the [`Bridge`](crate::Bridge) method of the same name); what
        /// code does not set, [`overlay`](Self::overlay) may take from the environment ([`VARIABLES`]); the rest
        /// has its default. The `*_value` methods give the setting in force.
        #[derive(Clone, Default)]
        pub struct Settings {
            $($name: Option<$stored>,)*
        }

        impl fmt::Debug for Settings {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // The values in force; `Secret` prints `<redacted>`.
                f.debug_struct("Settings")$(.field(stringify!($name), &self.$getter()))*.finish()
            }
        }

        impl Settings {
            $(
                $(#[$doc])*
                pub fn $name(mut self, $($param: $param_ty),*) -> Self {
                    settings!(@$mode self.$name, $store);
                    self
                }

                #[doc = concat!("The value in force of [`", stringify!($name), "`](Self::", stringify!($name), ").")]
                pub fn $getter(&self) -> $value {
                    let $slot = &self.$name;
                    $get
                }
            )*

            /// Fills what code left unset from `environment` (a variable's value by name; see [`VARIABLES`]). An
            /// empty value counts as unset. A value that does not parse is an error naming the variable; the value
            /// of `BRIDGE_TOKEN` is never quoted.
            ///
            /// [`Bridge::serve`](crate::Bridge::serve) and the command line call it with the process's environment
            /// ([`Settings::overlay_process_env`]); nothing else in the framework does.
            pub fn overlay(mut self, environment: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
                $(
                    if self.$name.is_none() {
                        $(
                            if self.$name.is_none() {
                                self.$name = Variable::new($variable, $default, $help).read_from(&environment, $parse)?;
                            }
                        )*
                    }
                )*
                Ok(self)
            }
        }

    };
    (@set $slot:expr, $value:expr) => {
        $slot = Some($value)
    };
    (@push $slot:expr, $value:expr) => {
        $slot.get_or_insert_with(Vec::new).push($value)
    };
}

/// The table of the settings: `with_settings!(callback)` calls `callback! { @rows … }` with every row; `settings!`
/// (here) and the [`Bridge`](crate::Bridge) methods (`builder.rs`) are its callbacks.
macro_rules! with_settings {
    ($callback:ident) => {
        $callback! { @rows
    /// The address [`Bridge::serve`](crate::Bridge::serve) listens on (default `127.0.0.1:3000`).
    addr: SocketAddr {
        set(addr: SocketAddr) = addr;
        addr_value -> SocketAddr = |slot| slot.unwrap_or(SocketAddr::from(([127, 0, 0, 1], 3000)));
        "BRIDGE_ADDR", default "127.0.0.1:3000": "the address to listen on (`0.0.0.0:8080`)" => parse_addr;
        "PORT", default "none": "with `BRIDGE_ADDR` unset, listen on `0.0.0.0:$PORT`" => parse_port;
    }
    /// Requires every request but `GET /health` to carry this token, as `Authorization: Bearer <token>` or as a
    /// `token` query parameter (Talkdesk can only be given a URL); others get `403` (default: none).
    inbound_token: Secret {
        set(token: Secret) = token;
        inbound_token_value -> Option<&Secret> = |slot| slot.as_ref();
        "BRIDGE_TOKEN", default "none": "the token Talkdesk must present (`Authorization: Bearer <token>` or \
            `?token=<token>`); else `403`" => parse_secret;
    }
    /// The URL Talkdesk reaches the bridge at (e.g. `https://bridge.example.com`), for the endpoint URLs of the
    /// configuration documents. Default: the scheme-less `Host` of each `GET /configuration` request, as
    /// `http://host`.
    public_url: String {
        set(url: impl Into<String>) = url.into();
        public_url_value -> Option<&str> = |slot| slot.as_deref();
        "BRIDGE_PUBLIC_URL", default "the request's `Host`": "the URL Talkdesk reaches the bridge at, for the \
            endpoint URLs of `GET /configuration`" => parse_text;
    }
    /// A second address serving `GET /metrics` only, without the token (default: none).
    metrics_addr: SocketAddr {
        set(addr: SocketAddr) = addr;
        metrics_addr_value -> Option<SocketAddr> = |slot| *slot;
        "BRIDGE_METRICS_ADDR", default "none": "also serve `GET /metrics` there, without the token (a \
            cluster-internal port)" => parse_addr;
    }
    /// How long any handler may run before the request is answered `504` (default 25 s).
    deadline: Duration {
        set(deadline: Duration) = deadline;
        deadline_value -> Duration = |slot| slot.unwrap_or(DEFAULT_DEADLINE);
        "BRIDGE_DEADLINE", default "25 s": "how long a handler may run before `504` (seconds: `25`, `2.5`, \
            `500ms`)" => parse_duration;
    }
    /// The deadline of the endpoint on `path` (e.g. `/contact_sync`), overriding [`deadline`](Self::deadline); the
    /// last one given for a path wins. A path no endpoint answers on stops the bridge from starting.
    deadline_for: Vec<(String, Duration)> {
        push(path: impl Into<String>, deadline: Duration) = (path.into(), deadline);
        deadlines_value -> &[(String, Duration)] = |slot| slot.as_deref().unwrap_or_default();
        "BRIDGE_ENDPOINT_DEADLINES", default "none": "deadlines of single endpoints, overriding \
            `BRIDGE_DEADLINE` (`/contact_sync=60,/agent_sync=10`)" => parse_deadlines;
    }
    /// The largest request body accepted (default 1 MiB); larger ones get `413`.
    body_limit: usize {
        set(bytes: usize) = bytes;
        body_limit_value -> usize = |slot| slot.unwrap_or(DEFAULT_BODY_LIMIT);
        "BRIDGE_BODY_LIMIT", default "1 MiB": "the largest request body (bytes: `1048576`, `512KiB`, `2MiB`); \
            past it, `413`" => parse_bytes;
    }
    /// The largest request head accepted: request line and headers (default 64 KiB, plenty for Talkdesk's
    /// requests); larger ones get `431` with a JSON body. Served by the bridge itself, a connection never buffers
    /// more than twice this (or 8 KiB) for a head: past that, the HTTP layer answers `431` without a body.
    max_header_bytes: usize {
        set(bytes: usize) = bytes;
        max_header_bytes_value -> usize = |slot| slot.unwrap_or(DEFAULT_MAX_HEADER_BYTES);
        "BRIDGE_MAX_HEADER_BYTES", default "64 KiB": "the largest request head (request line and headers); past \
            it, `431`" => parse_bytes;
    }
    /// The most requests handled at once (default 1024); past it, requests are answered `503` with `Retry-After`
    /// at once instead of queueing without bound.
    max_in_flight: usize {
        set(requests: usize) = requests;
        max_in_flight_value -> usize = |slot| slot.unwrap_or(DEFAULT_MAX_IN_FLIGHT);
        "BRIDGE_MAX_IN_FLIGHT", default "1024": "the most requests handled at once; past it, `503` with \
            `Retry-After`" => parse_count;
    }
    /// How long a bridge stays up after SIGTERM before it stops accepting, answering `GET /ready` with `503` while
    /// it still serves every request, so that its load balancer stops sending first (default 5 s,
    /// `bridge::DEFAULT_DRAIN_DELAY`). `Duration::ZERO` stops accepting at once; so does a
    /// second signal (a second Ctrl-C) during the delay.
    drain_delay: Duration {
        set(delay: Duration) = delay;
        drain_delay_value -> Duration = |slot| slot.unwrap_or(DEFAULT_DRAIN_DELAY);
        "BRIDGE_DRAIN_DELAY", default "5 s": "after SIGTERM, how long `/ready` answers `503` while requests are \
            still served" => parse_duration;
    }
    /// How long a shutdown waits for requests in flight (default 30 s).
    shutdown_grace: Duration {
        set(grace: Duration) = grace;
        shutdown_grace_value -> Duration = |slot| slot.unwrap_or(DEFAULT_SHUTDOWN_GRACE);
        "BRIDGE_SHUTDOWN_GRACE", default "30 s": "then, how long requests in flight may take to finish" =>
            parse_duration;
    }
    /// Records every call the bridge makes through `bridge::http` while answering requests (each attempt, with
    /// its answer) to the cassette at `path`, redacted, for `bridge::testing` to replay offline (feature `client`;
    /// default: none). The file is replaced when the bridge starts and rewritten after each call, so it is whole
    /// whenever the bridge stops.
    ///
    /// Redaction is always on: `Authorization`, cookies, every header, query parameter, form and JSON field named
    /// like a secret, the request's `auth` values (as `{auth.<field>}` placeholders, which replay fills in), the
    /// call's credentials, and the call's origin (as `{origin}`). Calls made outside a request (at start-up, in a
    /// task a handler spawned without `bridge::http::in_this_request`) are not recorded. See the guide's chapter,
    /// `docs/cassettes.md`.
    ///
    /// ```no_run
    /// # async fn run(bridge: bridge::Bridge) -> Result<(), bridge::ServeError> {
    /// // Drive it with `bridge-conformance --url http://127.0.0.1:3000 --auth '{…}'` against a real account.
    /// bridge.record("tests/cassettes/acme.json").serve().await
    /// # }
    /// ```
    record: PathBuf {
        set(path: impl Into<PathBuf>) = path.into();
        record_value -> Option<&Path> = |slot| slot.as_deref();
        "BRIDGE_RECORD", default "none": "a file to record every external call to, redacted, for replay in tests \
            (`tests/cassettes/acme.json`)" => parse_path;
    }
    /// The Redis the replicas share (`redis://host:6379/0`; feature `redis`): the store behind
    /// [`Bridge::dedupe`](crate::Bridge::dedupe) and [`Bridge::cache`](crate::Bridge::cache) (default: in process).
    redis_url: Secret {
        set(url: Secret) = url;
        redis_url_value -> Option<&Secret> = |slot| slot.as_ref();
        "BRIDGE_REDIS_URL", default "none": "the Redis replicas share for dedupe and the lookup cache \
            (`redis://redis:6379/0`, feature `redis`, `docs/replicas.md`); else in process" => parse_secret;
    }
    /// The deployment's secret the store's keys are hashed and its values sealed with (required with Redis; at
    /// least 32 bytes; the same on every replica).
    store_key: Secret {
        set(key: Secret) = key;
        store_key_value -> Option<&Secret> = |slot| slot.as_ref();
        "BRIDGE_STORE_KEY", default "none": "the deployment's secret (32 bytes or more) the store's keys are hashed \
            and its values sealed with; required with Redis" => parse_secret;
    }
    /// Whether `GET /ready` answers `503` while the store does not answer (default `false`: the bridge answers
    /// every request without it).
    store_required: bool {
        set(required: bool) = required;
        store_required_value -> bool = |slot| slot.unwrap_or(false);
        "BRIDGE_STORE_REQUIRED", default "false": "`true`: `/ready` answers `503` while the store (Redis) does not \
            answer; else the bridge works without it" => parse_bool;
    }
    /// The filter of the default logs, in `RUST_LOG`'s syntax (default `info`).
    log_filter: String {
        set(filter: impl Into<String>) = filter.into();
        log_filter_value -> &str = |slot| slot.as_deref().unwrap_or(DEFAULT_LOG_FILTER);
        "RUST_LOG", default "info": "the log filter (`warn,bridge::request=info`)" => parse_text;
    }
    /// The format of the default logs (default text).
    log_format: LogFormat {
        set(format: LogFormat) = format;
        log_format_value -> LogFormat = |slot| slot.unwrap_or_default();
        "BRIDGE_LOG_FORMAT", default "text": "`json`: one JSON object per line on stderr, for a log collector" =>
            parse_log_format;
    }
}
    };
}
pub(crate) use with_settings;

with_settings!(settings);

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

impl Settings {
    /// Nothing set: every setting at its default until code or the environment sets it.
    pub fn new() -> Self {
        Self::default()
    }

    /// [`overlay`](Self::overlay) with the process's environment: the one place the framework reads it. A value
    /// that is not valid UTF-8 is reported as not parsing.
    pub fn overlay_process_env(self) -> Result<Self, SettingsError> {
        self.overlay(process_env)
    }

    /// [`overlay`](Self::overlay) of `variables` only: what a command that does not serve reads (printing the
    /// configuration documents reads `BRIDGE_PUBLIC_URL`, and is not stopped by a malformed drain delay).
    pub fn overlay_only(
        self,
        variables: &[&str],
        environment: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, SettingsError> {
        self.overlay(|name| if variables.contains(&name) { environment(name) } else { None })
    }

    /// The deadline of the endpoint on `path`: the last [`deadline_for`](Self::deadline_for) it, else the
    /// [`deadline`](Self::deadline).
    pub fn deadline_of(&self, path: &str) -> Duration {
        self.deadlines_value().iter().rev().find(|(p, _)| p == path).map_or(self.deadline_value(), |(_, d)| *d)
    }
}

/// An environment variable whose value does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    variable: &'static str,
    value: String,
    expected: String,
}

impl SettingsError {
    fn new(variable: &'static str, value: &str, expected: String) -> Self {
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

fn parse_addr(text: &str) -> Result<SocketAddr, &'static str> {
    text.parse().map_err(|_| "an address to listen on, e.g. 127.0.0.1:3000")
}

/// `PORT`, as platforms that give a port set it: listen on every interface.
fn parse_port(text: &str) -> Result<SocketAddr, &'static str> {
    text.parse::<u16>().map(|port| SocketAddr::from(([0, 0, 0, 0], port))).map_err(|_| "a port number, e.g. 8080")
}

fn parse_secret(text: &str) -> Result<Secret, &'static str> {
    Ok(Secret::new(text))
}

fn parse_bool(text: &str) -> Result<bool, &'static str> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err("`true` or `false`"),
    }
}

fn parse_text(text: &str) -> Result<String, &'static str> {
    Ok(text.to_owned())
}

fn parse_path(text: &str) -> Result<PathBuf, &'static str> {
    Ok(PathBuf::from(text))
}

/// Seconds (`5`, `2.5`, `5s`) or milliseconds (`500ms`).
fn parse_duration(text: &str) -> Result<Duration, &'static str> {
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
    parsed.ok_or("a duration (seconds, e.g. 5 or 2.5, or 500ms)")
}

/// `/contact_sync=60,/agent_sync=2.5`: paths, each with a duration as [`parse_duration`] reads it.
fn parse_deadlines(text: &str) -> Result<Vec<(String, Duration)>, &'static str> {
    const EXPECTED: &str = "a list of path=duration, e.g. /contact_sync=60,/agent_sync=500ms";
    text.split(',')
        .map(|entry| {
            let (path, duration) = entry.split_once('=').ok_or(EXPECTED)?;
            let path = path.trim();
            if !path.starts_with('/') {
                return Err(EXPECTED);
            }
            Ok((path.to_owned(), parse_duration(duration).map_err(|_| EXPECTED)?))
        })
        .collect()
}

/// Bytes (`65536`), or with a binary unit (`64KiB`, `2MiB`); not zero.
fn parse_bytes(text: &str) -> Result<usize, &'static str> {
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
        .ok_or("a size in bytes, e.g. 65536, 64KiB or 2MiB")
}

/// A count, not zero.
fn parse_count(text: &str) -> Result<usize, &'static str> {
    text.trim().parse::<usize>().ok().filter(|n| *n > 0).ok_or("a number above 0")
}

fn parse_log_format(text: &str) -> Result<LogFormat, &'static str> {
    match text.trim() {
        t if t.eq_ignore_ascii_case("text") => Ok(LogFormat::Text),
        j if j.eq_ignore_ascii_case("json") => Ok(LogFormat::Json),
        _ => Err("`text` or `json`"),
    }
}

/// The table of [`VARIABLES`] in Markdown, as `docs/operations.md` shows it (a test keeps the two the same).
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
        let duration = parse_duration;
        assert_eq!(duration("7").unwrap(), Duration::from_secs(7));
        assert_eq!(duration("3s").unwrap(), Duration::from_secs(3));
        assert_eq!(duration("0").unwrap(), Duration::ZERO);
        assert_eq!(duration("250ms").unwrap(), Duration::from_millis(250));
        for bad in ["soon", "-1", "5m", "1e400", "ms"] {
            assert!(duration(bad).is_err(), "{bad}");
        }
        let bytes = parse_bytes;
        assert_eq!(bytes("1").unwrap(), 1);
        assert_eq!(bytes("10B").unwrap(), 10);
        assert_eq!(bytes("1KiB").unwrap(), 1024);
        assert_eq!(bytes("3 MiB").unwrap(), 3 * 1024 * 1024);
        assert!(bytes("KiB").is_err());
        assert!(bytes(&format!("{}MiB", usize::MAX)).is_err(), "an overflow is refused, not wrapped");
        assert_eq!(parse_count("1").unwrap(), 1);
        for (text, format) in [("text", LogFormat::Text), (" Text ", LogFormat::Text), ("json", LogFormat::Json)] {
            assert_eq!(parse_log_format(text).unwrap(), format, "{text}");
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

    #[test]
    fn per_path_deadlines_are_settings_the_last_for_a_path_wins() {
        let settings = Settings::new()
            .deadline(Duration::from_secs(9))
            .deadline_for("/contact_sync", Duration::from_secs(60))
            .deadline_for("/contact_sync", Duration::from_secs(61));
        assert_eq!(settings.deadline_of("/contact_sync"), Duration::from_secs(61));
        assert_eq!(settings.deadline_of("/agent_sync"), Duration::from_secs(9));
        let from_env = Settings::new()
            .overlay(env(&[("BRIDGE_ENDPOINT_DEADLINES", " /contact_sync=60, /agent_sync = 500ms ")]))
            .unwrap();
        assert_eq!(
            from_env.deadlines_value(),
            [
                ("/contact_sync".to_owned(), Duration::from_secs(60)),
                ("/agent_sync".to_owned(), Duration::from_millis(500))
            ]
        );
        for bad in ["/contact_sync", "contact_sync=60", "/contact_sync=soon", "/a=1,,/b=2"] {
            assert!(parse_deadlines(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_command_reads_only_the_variables_it_uses() {
        let hostile = env(&[("BRIDGE_DRAIN_DELAY", "nonsense"), ("BRIDGE_PUBLIC_URL", "https://a.example")]);
        assert!(Settings::new().overlay(&hostile).is_err(), "serving reports the drain delay");
        let documents = Settings::new().overlay_only(&["BRIDGE_PUBLIC_URL"], &hostile).unwrap();
        assert_eq!(documents.public_url_value(), Some("https://a.example"));
        assert_eq!(documents.drain_delay_value(), DEFAULT_DRAIN_DELAY);
    }

    #[test]
    fn an_authors_variable_is_read_as_the_frameworks_are() {
        const SIZE: Variable = Variable::new("CRM_PAGE_SIZE", "100", "contacts per page");
        let parse = |text: &str| text.parse::<u32>().map_err(|_| "a number");
        assert_eq!(SIZE.read_from(env(&[("CRM_PAGE_SIZE", " 7 ")]), parse), Ok(Some(7)));
        assert_eq!(SIZE.read_from(env(&[("CRM_PAGE_SIZE", "  ")]), parse), Ok(None), "empty is unset");
        let err = SIZE.read_from(env(&[("CRM_PAGE_SIZE", "many")]), parse).unwrap_err();
        assert_eq!(
            (err.variable(), err.to_string().as_str()),
            ("CRM_PAGE_SIZE", "CRM_PAGE_SIZE=`many` is not a number")
        );
    }
}
