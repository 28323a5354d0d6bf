//! Logs from the first run: a bridge that installs no `tracing` subscriber of its own gets one when it starts
//! serving ([`Bridge::serve`](crate::Bridge::serve), [`RunningBridge::run_until_signal`](crate::RunningBridge)),
//! so that it prints its address and a line per request with no code at all:
//!
//! - on stderr, filtered by the settings' log filter (`RUST_LOG` when served; default `info`);
//! - as text, coloured only when stderr is a terminal, or as JSON lines ([`LogFormat::Json`],
//!   `BRIDGE_LOG_FORMAT=json`, for a log collector in production).
//!
//! An author who installs a global subscriber before serving keeps full control: this one is then not installed.

use crate::settings::LogFormat;
use std::io::IsTerminal;

/// Installs the default subscriber with `filter` (`RUST_LOG`'s syntax) and `format`, unless a global one is
/// already set. A filter that does not parse is reported, and `info` used instead.
pub(crate) fn install_default(filter: &str, format: LogFormat) {
    let (filter, bad_filter) = match tracing_subscriber::EnvFilter::try_new(filter) {
        Ok(parsed) => (parsed, None),
        Err(err) => (tracing_subscriber::EnvFilter::new("info"), Some(err)),
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).try_init(),
    };
    if let (Ok(()), Some(err)) = (installed, bad_filter) {
        tracing::warn!(target: "bridge::server", error = %err, "the log filter does not parse: logging at `info`");
    }
}
