//! The default logs as text: each line exactly as `tracing-subscriber`'s `fmt` writes it without colours
//! (`2026-12-03T10:49:58.123456Z  INFO request{id=r-1}: bridge::request: answered path="/ping" status=200`), written
//! straight into the line's buffer: the timestamp from the [clock](super::clock), strings quoted and integers in
//! decimal without `fmt`'s machinery where the value allows it, and a span's fields formatted once, when the span is
//! made.

use super::{clock, escape, from_log};
use std::fmt::{self, Write};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::{Format, Full, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The fields of a span or an event, as `tracing-subscriber`'s `DefaultFields` writes them without colours:
/// `name=value` separated by spaces, strings and values quoted as `Debug` does, the message first and bare.
#[derive(Debug, Default)]
pub(crate) struct TextFields;

impl<'writer> FormatFields<'writer> for TextFields {
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'writer>, fields: R) -> fmt::Result {
        escape::buffered(&mut writer, |out| {
            let mut visitor = TextVisitor { out, is_empty: true, result: Ok(()) };
            fields.record(&mut visitor);
            visitor.result
        })
    }
}

/// Writes fields as `DefaultFields`' visitor does (ANSI off, messages sanitised).
pub(crate) struct TextVisitor<'a> {
    out: &'a mut String,
    is_empty: bool,
    result: fmt::Result,
}

impl TextVisitor<'_> {
    /// Starts a field: the separating space, then `name=` (unless it is the message); `None` when the field is
    /// not written (a `log.` field: the metadata of an event from the `log` crate).
    #[inline]
    fn start(&mut self, field: &Field) -> Option<bool> {
        if self.result.is_err() {
            return None;
        }
        let name = field.name();
        if name.starts_with("log.") {
            return None;
        }
        if self.is_empty {
            self.is_empty = false;
        } else {
            self.out.push(' ');
        }
        if name == "message" {
            return Some(true);
        }
        self.out.push_str(name.strip_prefix("r#").unwrap_or(name));
        self.out.push('=');
        Some(false)
    }
}

impl Visit for TextVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        match self.start(field) {
            Some(true) => self.result = Sanitized(self.out).write_str(value),
            Some(false) => escape::debug_str(self.out, value),
            None => {}
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.start(field).is_some() {
            escape::decimal(self.out, value);
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if self.start(field).is_some() {
            escape::signed(self.out, value);
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if self.start(field).is_some() {
            self.out.push_str(if value { "true" } else { "false" });
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if self.start(field).is_none() {
            return;
        }
        let out = &mut *self.out;
        self.result = (|| {
            write!(Sanitized(&mut *out), "{value}")?;
            if let Some(source) = value.source() {
                write!(out, " {}.sources=", field.name())?;
                let mut list = Vec::new();
                let mut current = Some(source);
                while let Some(error) = current {
                    let mut text = String::new();
                    write!(Sanitized(&mut text), "{error}")?;
                    list.push(Shown(text));
                    current = error.source();
                }
                write!(out, "{list:?}")?;
            }
            Ok(())
        })();
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        match self.start(field) {
            Some(true) => self.result = write!(Sanitized(self.out), "{value:?}"),
            Some(false) => self.result = write!(self.out, "{value:?}"),
            None => {}
        }
    }
}

/// Text that `Debug` writes as it is (the elements of an error's list of sources).
struct Shown(String);

impl fmt::Debug for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

use escape::Sanitized;

/// A line of text per event, as `tracing-subscriber`'s `Full` format writes it without colours: timestamp, level,
/// the spans from the root with their fields, target, fields. An event from the `log` crate is left to that format
/// (it knows the record's own target and level).
#[derive(Default)]
pub(crate) struct TextLine {
    from_log: Format<Full>,
}

impl<S> FormatEvent<S, TextFields> for TextLine
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, TextFields>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        if from_log::is_from_log(meta) {
            return self.from_log.format_event(ctx, writer, event);
        }
        escape::buffered(&mut writer, |out| {
            clock::write_now(out);
            out.push_str(level(meta.level()));
            if let Some(scope) = ctx.event_scope() {
                let mut seen = false;
                for span in scope.from_root() {
                    out.push_str(span.metadata().name());
                    seen = true;
                    let extensions = span.extensions();
                    if let Some(fields) = extensions.get::<FormattedFields<TextFields>>() {
                        if !fields.is_empty() {
                            out.push('{');
                            out.push_str(fields);
                            out.push('}');
                        }
                    }
                    out.push(':');
                }
                if seen {
                    out.push(' ');
                }
            }
            out.push_str(meta.target());
            out.push_str(": ");
            let mut visitor = TextVisitor { out, is_empty: true, result: Ok(()) };
            event.record(&mut visitor);
            visitor.result?;
            out.push('\n');
            Ok(())
        })
    }
}

/// The level, padded to five characters, and the space after it.
fn level(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => " TRACE ",
        Level::DEBUG => " DEBUG ",
        Level::INFO => "  INFO ",
        Level::WARN => "  WARN ",
        _ => " ERROR ",
    }
}
