//! One command line for every bridge, so that no author hand-parses `std::env::args` again: serve (the default),
//! print the configuration documents for Talkdesk, `--help`, `--version`. It is a hand-written parser of a handful
//! of words — a bridge does not pay for an argument-parsing crate it does not otherwise use.
//!
//! ```no_run
//! use std::process::ExitCode;
//!
//! fn my_bridge() -> bridge::Bridge {
//!     bridge::Bridge::new() // .endpoint(…), .integration(…)
//! }
//!
//! #[tokio::main]
//! async fn main() -> ExitCode {
//!     bridge::cli!().run(my_bridge).await
//! }
//! ```
//!
//! ```text
//! my-bridge                                    serve on BRIDGE_ADDR until SIGINT or SIGTERM
//! my-bridge serve                              the same
//! my-bridge configuration --public-url URL     print {"integration": …, "actions": […]} and exit
//! my-bridge --help | -h                        the usage: commands, and every variable (the framework's and the author's)
//! my-bridge --version | -V                     "my-bridge 0.3.1": the author's crate, not the framework
//! ```
//!
//! Exit codes: `0` done, `1` the bridge could not be built or served or described, `2` a usage error (the
//! usage goes to stderr). Only the configuration documents, the help and the version are printed on stdout, so
//! that `my-bridge configuration … > integration.json` holds JSON alone.

use crate::builder::Bridge;
use crate::settings::{Variable, VARIABLES};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Write;
use std::process::ExitCode;

/// The command line of the program that calls it: [`Cli::new`] with its name and version, or the [`cli!`] macro,
/// which takes both from the calling crate's `Cargo.toml`.
///
/// [`cli!`]: crate::cli!
#[derive(Debug, Clone)]
pub struct Cli {
    name: &'static str,
    version: &'static str,
    about: Option<&'static str>,
    commands: Vec<(&'static str, &'static str)>,
    environment: Vec<Variable>,
}

/// What the command line asks for, once `--help`, `--version` and usage errors are answered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// Serve the bridge (no argument, or `serve`).
    Serve,
    /// Print the configuration documents (`configuration [--public-url URL]`); without the flag, the bridge's
    /// public URL (set in code, else `BRIDGE_PUBLIC_URL`).
    Configuration {
        /// The URL Talkdesk reaches the bridge at, when given on the command line.
        public_url: Option<String>,
    },
    /// A command of the program's own, declared with [`Cli::command`]: the program runs it, with the words that
    /// followed it (`init-db --customers 3000`: `args` is `["--customers", "3000"]`).
    Custom {
        /// The command's name, as declared.
        name: &'static str,
        /// The words after it.
        args: Vec<String>,
    },
}

/// What [`Cli::run`] accepts from the function that builds the bridge: a [`Bridge`], or a `Result` of one (the
/// error is printed and the program exits with `1`).
pub trait IntoBridge {
    /// The bridge, or why there is none.
    fn into_bridge(self) -> Result<Bridge, Box<dyn std::error::Error + Send + Sync>>;
}

impl IntoBridge for Bridge {
    fn into_bridge(self) -> Result<Bridge, Box<dyn std::error::Error + Send + Sync>> {
        Ok(self)
    }
}

impl<E: Into<Box<dyn std::error::Error + Send + Sync>>> IntoBridge for Result<Bridge, E> {
    fn into_bridge(self) -> Result<Bridge, Box<dyn std::error::Error + Send + Sync>> {
        self.map_err(Into::into)
    }
}

/// The command line of the calling crate: [`Cli::new`] with the name of the binary being built (else of the
/// package) and the package's version, read at compile time from the caller's `Cargo.toml` — so `--version`
/// prints `my-bridge 0.3.1`, not the framework's version.
///
/// ```
/// let cli = bridge::cli!();
/// assert_eq!(cli.version(), env!("CARGO_PKG_VERSION"));
/// ```
#[macro_export]
macro_rules! cli {
    () => {
        $crate::cli::Cli::new(
            match ::core::option_env!("CARGO_BIN_NAME") {
                ::core::option::Option::Some(name) => name,
                ::core::option::Option::None => ::core::env!("CARGO_PKG_NAME"),
            },
            ::core::env!("CARGO_PKG_VERSION"),
        )
    };
}

/// What parsing answers instead of a command: text for stdout (help, version) or a usage error for stderr.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    Print(String),
    Usage(String),
}

impl Cli {
    /// The command line of program `name` at `version` (what `--version` prints).
    pub fn new(name: &'static str, version: &'static str) -> Self {
        Self { name, version, about: None, commands: Vec::new(), environment: Vec::new() }
    }

    /// One line saying what the bridge is, at the top of `--help`.
    pub fn about(mut self, text: &'static str) -> Self {
        self.about = Some(text);
        self
    }

    /// Declares a command of the program's own (`"--demo"`, `"init-db"`), listed in `--help` with `help`. The
    /// program handles it: read the command line with [`Cli::parse`], run [`Command::Custom`] itself (with the
    /// words that follow the command, its arguments) and give the other commands to [`Cli::execute`].
    ///
    /// ```
    /// use bridge::cli::{Cli, Command};
    ///
    /// let cli = Cli::new("desk-bridge", "0.1.0").command("init-db", "create the sample database (--customers N)");
    /// let command = cli.parse_from(["init-db", "--customers", "3000"]).unwrap();
    /// assert_eq!(command, Command::Custom { name: "init-db", args: vec!["--customers".into(), "3000".into()] });
    /// ```
    pub fn command(mut self, name: &'static str, help: &'static str) -> Self {
        self.commands.push((name, help));
        self
    }

    /// Lists the program's own environment variables in `--help`, after the framework's (which are always
    /// listed: [`settings::VARIABLES`](crate::settings::VARIABLES)): the same [`Variable`]s the program reads, so
    /// that each name is written once.
    ///
    /// ```
    /// bridge::variables! {
    ///     const VARIABLES = [CRM_URL = "https://api.crm.example": "the CRM's base URL"];
    /// }
    ///
    /// let cli = bridge::cli!().variables(VARIABLES);
    /// assert!(cli.usage().contains("CRM_URL             the CRM's base URL (default: https://api.crm.example)"));
    /// // In the function that builds the bridge: the same reading as the framework's settings.
    /// let base_url = CRM_URL.read(|text| Ok::<_, &str>(text.to_owned()))?.unwrap_or_else(|| CRM_URL.default.into());
    /// # Ok::<(), bridge::SettingsError>(())
    /// ```
    pub fn variables(mut self, variables: &[Variable]) -> Self {
        self.environment.extend_from_slice(variables);
        self
    }

    /// Documents an environment variable of the program's own, in `--help`, with no default to show. Prefer
    /// [`variables`](Self::variables), which lists the [`Variable`] the program reads.
    pub fn env(mut self, variable: &'static str, help: &'static str) -> Self {
        self.environment.push(Variable::new(variable, "", help));
        self
    }

    /// The program's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The program's version.
    pub fn version(&self) -> &'static str {
        self.version
    }

    /// Reads the command line and does what it asks: serves the bridge `build` returns, or prints its
    /// configuration documents, the help or the version. `build` is called only when a command needs the bridge
    /// (never for `--help`), so it may read the environment or open a database.
    pub async fn run<B: IntoBridge>(self, build: impl FnOnce() -> B) -> ExitCode {
        match self.parse() {
            Ok(command) => self.execute(command, build).await,
            Err(code) => code,
        }
    }

    /// Reads the program's arguments: the command to run, or, for `--help`, `--version` and usage errors, the
    /// exit code once they are answered (on stdout, or on stderr with the usage).
    pub fn parse(&self) -> Result<Command, ExitCode> {
        self.parse_from(std::env::args_os().skip(1))
    }

    /// [`parse`](Self::parse) of the given words instead of the program's arguments.
    pub fn parse_from<I>(&self, args: I) -> Result<Command, ExitCode>
    where
        I: IntoIterator,
        I::Item: Into<OsString>,
    {
        match self.interpret(args.into_iter().map(Into::into)) {
            Ok(command) => Ok(command),
            Err(Answer::Print(text)) => {
                print!("{text}");
                Err(ExitCode::SUCCESS)
            }
            Err(Answer::Usage(message)) => {
                eprintln!("{}: {message}\n\n{}", self.name, self.usage());
                Err(ExitCode::from(2))
            }
        }
    }

    /// Runs `command` on the bridge `build` returns. A [`Command::Custom`] is the program's to run: given here,
    /// it is reported as not handled (exit `1`).
    pub async fn execute<B: IntoBridge>(&self, command: Command, build: impl FnOnce() -> B) -> ExitCode {
        let bridge = match &command {
            Command::Custom { name, .. } => {
                return self.fail(format!("`{name}` is the program's own command: run it before `Cli::execute`"))
            }
            _ => match build().into_bridge() {
                Ok(bridge) => bridge,
                Err(err) => return self.fail(err),
            },
        };
        match command {
            Command::Configuration { public_url } => {
                // The documents need the public URL, and no other setting: a malformed serving setting
                // (`BRIDGE_DRAIN_DELAY=soon`) is for `serve` to report.
                let bridge = match bridge.env_only(&["BRIDGE_PUBLIC_URL"]) {
                    Ok(bridge) => bridge,
                    Err(err) => return self.fail(err),
                };
                let Some(public_url) =
                    public_url.or_else(|| bridge.current_settings().public_url_value().map(Into::into))
                else {
                    eprintln!(
                        "{}: `configuration` needs the URL Talkdesk reaches the bridge at: `configuration \
                         --public-url <URL>` (or BRIDGE_PUBLIC_URL)\n\n{}",
                        self.name,
                        self.usage()
                    );
                    return ExitCode::from(2);
                };
                let mut out = Vec::new();
                match write_configuration(&bridge, &public_url, &mut out) {
                    Ok(()) => {
                        let mut stdout = std::io::stdout().lock();
                        match stdout.write_all(&out).and_then(|()| stdout.flush()) {
                            Ok(()) => ExitCode::SUCCESS,
                            Err(err) => self.fail(err),
                        }
                    }
                    Err(err) => self.fail(err),
                }
            }
            _ => match bridge.serve().await {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => self.fail(err),
            },
        }
    }

    /// The text of `--help`.
    pub fn usage(&self) -> String {
        let mut text = format!("{} {}\n", self.name, self.version);
        if let Some(about) = self.about {
            let _ = writeln!(text, "{about}");
        }
        let _ = write!(text, "\nusage: {} [COMMAND]\n\ncommands:\n", self.name);
        let mut commands = vec![
            ("serve", "serve the bridge until SIGINT or SIGTERM (the default)"),
            (
                "configuration --public-url <URL>",
                "print the configuration documents for Talkdesk (JSON) of the bridge at <URL> (default: the \
                 bridge's public URL, BRIDGE_PUBLIC_URL), and exit",
            ),
        ];
        commands.extend(self.commands.iter().copied());
        commands.extend([("-h, --help", "print this help"), ("-V, --version", "print the version")]);
        list(&mut text, &commands);
        text.push_str("\nenvironment:\n");
        let described: Vec<(&str, String)> = VARIABLES
            .iter()
            .chain(&self.environment)
            .map(|variable| match variable.default {
                "" => (variable.name, variable.help.to_owned()),
                default => (variable.name, format!("{} (default: {default})", variable.help)),
            })
            .collect();
        let environment: Vec<(&str, &str)> = described.iter().map(|(name, help)| (*name, help.as_str())).collect();
        list(&mut text, &environment);
        text
    }

    fn interpret(&self, args: impl IntoIterator<Item = OsString>) -> Result<Command, Answer> {
        let mut words = Vec::new();
        for arg in args {
            match arg.into_string() {
                Ok(word) => words.push(word),
                Err(arg) => return Err(Answer::Usage(format!("`{}` is not valid UTF-8", arg.to_string_lossy()))),
            }
        }
        // A command of the program's own takes every word after it, `--help` included.
        if let Some((name, _)) = words.first().and_then(|first| self.commands.iter().find(|(name, _)| name == first)) {
            return Ok(Command::Custom { name, args: words[1..].to_vec() });
        }
        if words.iter().any(|w| w == "--help" || w == "-h") {
            return Err(Answer::Print(self.usage()));
        }
        if words.iter().any(|w| w == "--version" || w == "-V") {
            return Err(Answer::Print(format!("{} {}\n", self.name, self.version)));
        }
        let Some((first, rest)) = words.split_first() else { return Ok(Command::Serve) };
        let unexpected = |word: &str| Err(Answer::Usage(format!("unexpected argument `{word}`")));
        match first.as_str() {
            "serve" => rest.first().map_or(Ok(Command::Serve), |word| unexpected(word)),
            "configuration" => {
                let mut public_url = None;
                let mut rest = rest.iter();
                while let Some(word) = rest.next() {
                    if word == "--public-url" {
                        let Some(url) = rest.next() else {
                            return Err(Answer::Usage("`--public-url` needs a URL".into()));
                        };
                        public_url = Some(url.clone());
                    } else if let Some(url) = word.strip_prefix("--public-url=") {
                        public_url = Some(url.to_owned());
                    } else {
                        return unexpected(word);
                    }
                }
                Ok(Command::Configuration { public_url })
            }
            word => unexpected(word),
        }
    }

    fn fail(&self, err: impl std::fmt::Display) -> ExitCode {
        eprintln!("{}: {err}", self.name);
        ExitCode::FAILURE
    }
}

/// The configuration documents of `bridge` at `public_url`, pretty-printed, with a final newline.
fn write_configuration(
    bridge: &Bridge,
    public_url: &str,
    out: &mut Vec<u8>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let documents = bridge.configuration(public_url)?;
    serde_json::to_writer_pretty(&mut *out, &documents.to_json())?;
    out.push(b'\n');
    Ok(())
}

/// Two columns: names, then what they are (on the next line when the name is long), wrapped at 100 columns.
fn list(text: &mut String, rows: &[(&str, &str)]) {
    const WIDTH: usize = 20;
    const LINE: usize = 100 - 2 - WIDTH;
    for (name, help) in rows {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in help.split_whitespace() {
            if !line.is_empty() && line.len() + 1 + word.len() > LINE {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
        if name.len() < WIDTH {
            let _ = writeln!(text, "  {name:<WIDTH$}{}", lines[0]);
        } else {
            let _ = writeln!(text, "  {name}\n  {:<WIDTH$}{}", "", lines[0]);
        }
        for line in &lines[1..] {
            let _ = writeln!(text, "  {:<WIDTH$}{line}", "");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli() -> Cli {
        Cli::new("my-bridge", "0.3.1").about("A bridge over a CRM").command("--demo", "run against sample data")
    }

    fn parse(args: &[&str]) -> Result<Command, Answer> {
        cli().interpret(args.iter().map(OsString::from))
    }

    fn usage_error(args: &[&str]) -> String {
        match parse(args) {
            Err(Answer::Usage(message)) => message,
            other => panic!("{args:?} should be a usage error, not {other:?}"),
        }
    }

    #[test]
    fn serves_by_default() {
        assert_eq!(parse(&[]), Ok(Command::Serve));
        assert_eq!(parse(&["serve"]), Ok(Command::Serve));
    }

    #[test]
    fn reads_the_public_url_of_the_configuration() {
        let configuration = |url: Option<&str>| Ok(Command::Configuration { public_url: url.map(Into::into) });
        assert_eq!(
            parse(&["configuration", "--public-url", "https://a.example"]),
            configuration(Some("https://a.example"))
        );
        assert_eq!(
            parse(&["configuration", "--public-url=https://b.example"]),
            configuration(Some("https://b.example"))
        );
        assert_eq!(parse(&["configuration"]), configuration(None), "the bridge's settings give it");
        assert_eq!(usage_error(&["configuration", "--public-url"]), "`--public-url` needs a URL");
    }

    #[test]
    fn the_configuration_takes_the_bridges_public_url_when_not_given() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let bridge = || {
            Bridge::new().public_url("https://code.example").integration(
                crate::configuration::Integration::new("crm", "CRM")
                    .description("Contacts")
                    .logo_url("https://a.example/logo.png")
                    .icon_url("https://a.example/icon.png"),
            )
        };
        let code = runtime.block_on(cli().execute(Command::Configuration { public_url: None }, bridge));
        assert_eq!(code, ExitCode::SUCCESS);
    }

    #[test]
    fn help_and_version_win_wherever_they_are() {
        for args in [&["--help"][..], &["-h"], &["configuration", "--help"], &["nonsense", "-h"]] {
            match parse(args) {
                Err(Answer::Print(text)) => {
                    assert!(text.starts_with("my-bridge 0.3.1\nA bridge over a CRM\n"), "{text}");
                    assert!(text.contains("configuration --public-url <URL>"), "{text}");
                    assert!(text.contains("  --demo              run against sample data\n"), "{text}");
                    assert!(text.contains("BRIDGE_PUBLIC_URL"), "{text}");
                }
                other => panic!("{args:?}: {other:?}"),
            }
        }
        assert_eq!(parse(&["--version"]), Err(Answer::Print("my-bridge 0.3.1\n".into())));
        assert_eq!(parse(&["serve", "-V"]), Err(Answer::Print("my-bridge 0.3.1\n".into())));
    }

    #[test]
    fn the_programs_own_commands_come_back_to_it_with_their_arguments() {
        assert_eq!(parse(&["--demo"]), Ok(Command::Custom { name: "--demo", args: vec![] }));
        let cli = cli().command("init-db", "create the database");
        let parsed = cli.interpret(["init-db", "--customers", "3000", "--help"].map(OsString::from));
        let args = vec!["--customers".to_owned(), "3000".to_owned(), "--help".to_owned()];
        assert_eq!(parsed, Ok(Command::Custom { name: "init-db", args }), "its `--help` is its own");
        assert_eq!(usage_error(&["serve", "--demo"]), "unexpected argument `--demo`");
    }

    #[test]
    fn anything_else_is_a_usage_error() {
        assert_eq!(usage_error(&["serv"]), "unexpected argument `serv`");
        assert_eq!(usage_error(&["serve", "now"]), "unexpected argument `now`");
        assert_eq!(usage_error(&["configuration", "--url", "x"]), "unexpected argument `--url`");
        assert_eq!(usage_error(&["--demo-mode"]), "unexpected argument `--demo-mode`");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_arguments_that_are_not_utf8() {
        use std::os::unix::ffi::OsStringExt;
        let answer = cli().interpret([OsString::from_vec(vec![b'a', 0xff])]);
        assert!(matches!(answer, Err(Answer::Usage(message)) if message.contains("not valid UTF-8")));
    }

    #[test]
    fn the_help_lists_every_variable_the_framework_and_the_author_read() {
        let text = cli().env("CRM_URL", "the CRM's base URL").usage();
        assert!(text.contains("  CRM_URL             the CRM's base URL\n"), "{text}");
        for variable in VARIABLES {
            assert!(text.contains(&format!("\n  {}", variable.name)), "{} missing from:\n{text}", variable.name);
        }
        assert!(text.lines().all(|line| line.len() <= 100), "{text}");
    }

    #[test]
    fn long_help_is_wrapped_under_its_column() {
        let long: &'static str = "word ".repeat(40).leak().trim();
        let text = cli().env("A_VARIABLE_WITH_A_LONG_NAME", long).usage();
        assert!(text.lines().all(|line| line.len() <= 100), "{text}");
        let at = text.find("  A_VARIABLE_WITH_A_LONG_NAME\n").expect("the name on a line of its own");
        let rest: Vec<&str> = text[at..].lines().skip(1).take(3).collect();
        assert!(rest.iter().all(|line| line.starts_with(&" ".repeat(22)) && line.trim_start().starts_with("word")));
        assert_eq!(rest.iter().map(|l| l.split_whitespace().count()).sum::<usize>(), 40);
    }

    #[test]
    fn prints_the_configuration_documents_or_says_why_not() {
        let mut out = Vec::new();
        let err = write_configuration(&Bridge::new(), "https://a.example", &mut out).unwrap_err();
        assert!(err.to_string().contains("integration"), "{err}");
        assert!(out.is_empty());
        let bridge = Bridge::new().integration(
            crate::configuration::Integration::new("crm", "CRM")
                .description("Contacts")
                .logo_url("https://a.example/logo.png")
                .icon_url("https://a.example/icon.png"),
        );
        write_configuration(&bridge, "https://a.example", &mut out).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(json["integration"]["name"], "crm");
        assert_eq!(json["actions"], serde_json::json!([]));
        assert!(out.ends_with(b"}\n"));
    }

    #[test]
    fn a_failed_build_is_reported_not_run() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let code = runtime.block_on(cli().execute(Command::Serve, || Err::<Bridge, _>("no database at ./crm.db")));
        assert_eq!(code, ExitCode::FAILURE);
        let demo = Command::Custom { name: "--demo", args: vec![] };
        let code = runtime.block_on(cli().execute(demo, || -> Bridge { unreachable!() }));
        assert_eq!(code, ExitCode::FAILURE);
    }
}
