//! Logs from the first run: a bridge that installs no `tracing` subscriber of its own gets one when it starts
//! serving ([`Bridge::serve`](crate::Bridge::serve), [`RunningBridge::run_until_signal`](crate::RunningBridge)),
//! so that it prints its address and a line per request with no code at all:
//!
//! - on stderr, filtered by `RUST_LOG` (default `info`);
//! - as text, coloured only when stderr is a terminal, or as JSON lines with `BRIDGE_LOG_FORMAT=json` (for a log
//!   collector in production).
//!
//! An author who installs a global subscriber before serving keeps full control: this one is then not installed.

use std::io::IsTerminal;

/// The log formats `BRIDGE_LOG_FORMAT` chooses between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

fn format_from(value: Option<&str>) -> Result<Format, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(Format::Text),
        Some(text) if text.eq_ignore_ascii_case("text") => Ok(Format::Text),
        Some(json) if json.eq_ignore_ascii_case("json") => Ok(Format::Json),
        Some(other) => Err(other.to_owned()),
    }
}

/// Installs the default subscriber, unless a global one is already set.
pub(crate) fn install_default() {
    let format_var = std::env::var("BRIDGE_LOG_FORMAT").ok();
    let (format, unknown) = match format_from(format_var.as_deref()) {
        Ok(format) => (format, None),
        Err(other) => (Format::Text, Some(other)),
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let installed = match format {
        Format::Json => builder.json().try_init(),
        Format::Text => builder.with_ansi(std::io::stderr().is_terminal()).try_init(),
    };
    if let (Ok(()), Some(other)) = (installed, unknown) {
        tracing::warn!(target: "bridge::server", value = %other, "BRIDGE_LOG_FORMAT is neither `text` nor `json`: logging text");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_format() {
        assert_eq!(format_from(None), Ok(Format::Text));
        assert_eq!(format_from(Some("")), Ok(Format::Text));
        assert_eq!(format_from(Some("TEXT")), Ok(Format::Text));
        assert_eq!(format_from(Some(" json ")), Ok(Format::Json));
        assert_eq!(format_from(Some("yaml")), Err("yaml".to_owned()));
    }
}
