//! The default logs as text: each line exactly as `tracing-subscriber`'s `fmt` writes it without colours
//! (`2026-12-03T10:49:58.123456Z  INFO request{id=r-1}: bridge::request: answered path="/ping" status=200`), written
//! straight into the line's buffer: the timestamp from the [clock](super::timestamp), strings quoted and integers in
//! decimal without `fmt`'s machinery where the value allows it, and a span's fields formatted once, when the span is
//! made.

use super::callsite::{self, Before, Template};
use super::layer::{LineFormat, SpanFields};
use super::{escape, timestamp};
use std::fmt::{self, Write};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// Writes fields as `DefaultFields`' visitor does (ANSI off, messages sanitised).
pub(crate) struct TextVisitor<'a> {
    out: &'a mut String,
    /// The event's callsite's texts before each field, when known.
    before: Option<&'a [Before]>,
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
        if let Some(before) = self.before.and_then(|before| before.get(field.index())) {
            let text = match before {
                Before::Skip => return None,
                Before::Message => None,
                Before::Text(text) => Some(text),
            };
            if self.is_empty {
                self.is_empty = false;
            } else {
                self.out.push(' ');
            }
            return Some(match text {
                Some(text) => {
                    self.out.push_str(text);
                    false
                }
                None => true,
            });
        }
        let name = field.name();
        // `log.…`, `message` and `r#…` all start with `l`, `m` or `r`: other names are written as they are.
        let special = matches!(name.as_bytes().first(), Some(b'l' | b'm' | b'r'));
        if special && name.starts_with("log.") {
            return None;
        }
        if self.is_empty {
            self.is_empty = false;
        } else {
            self.out.push(' ');
        }
        if special && name == "message" {
            return Some(true);
        }
        let name = if special { name.strip_prefix("r#").unwrap_or(name) } else { name };
        self.out.reserve(name.len() + 1);
        self.out.push_str(name);
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
/// the spans from the root with their fields, target, fields. Fields are written as its `DefaultFields`: `name=value`
/// separated by spaces, strings and values quoted as `Debug` does, the message first and bare. An event made from a
/// `log` record has the record's target and level.
#[derive(Debug, Default)]
pub(crate) struct Text;

impl LineFormat for Text {
    fn span_fields(&self, out: &mut String, attrs: &Attributes<'_>) {
        let mut visitor = TextVisitor { out, before: None, is_empty: true, result: Ok(()) };
        attrs.record(&mut visitor);
    }

    fn add_fields(&self, kept: &mut String, values: &Record<'_>) {
        if !kept.is_empty() {
            kept.push(' ');
        }
        let mut visitor = TextVisitor { out: kept, before: None, is_empty: true, result: Ok(()) };
        values.record(&mut visitor);
    }

    fn span_part(&self, out: &mut String, name: &str, fields_len: usize) {
        out.push_str(name);
        if fields_len > 0 {
            out.push('{');
            out.extend_from_within(..fields_len);
            out.push('}');
        }
        out.push(':');
    }

    fn request_part(&self, out: &mut String, id: &str, trace_id: Option<&str>) {
        // `id = %id, trace_id = trace_id.map(display)`: as they are, unquoted.
        out.push_str("request{id=");
        out.push_str(id);
        if let Some(trace_id) = trace_id {
            out.push_str(" trace_id=");
            out.push_str(trace_id);
        }
        out.push_str("}:");
    }

    fn line<S>(&self, out: &mut String, event: &Event<'_>, ctx: &Context<'_, S>) -> fmt::Result
    where
        S: Subscriber + for<'lookup> LookupSpan<'lookup>,
    {
        let (normalized, template) = callsite::of_event(event, "text", template);
        let meta = normalized.as_ref().unwrap_or_else(|| event.metadata());
        timestamp::write_now(out);
        out.push_str(level(meta.level()));
        // As `tracing-subscriber` has it, an event made at the root (`parent: None`) shows no span in text.
        let mut seen = !event.is_root()
            && crate::scope::with_line_part(|id, trace_id| self.request_part(out, id, trace_id)).is_some();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                seen = true;
                match span.extensions().get::<SpanFields>() {
                    Some(fields) => out.push_str(fields.part()),
                    None => {
                        out.push_str(span.metadata().name());
                        out.push(':');
                    }
                }
            }
        }
        if seen {
            out.push(' ');
        }
        match &template {
            Some(template) => out.push_str(&template.after),
            None => {
                out.push_str(meta.target());
                out.push_str(": ");
            }
        }
        let before = template.as_deref().map(|template| &*template.before);
        let mut visitor = TextVisitor { out, before, is_empty: true, result: Ok(()) };
        event.record(&mut visitor);
        visitor.result?;
        out.push('\n');
        Ok(())
    }
}

/// The texts of an event's callsite: `name=` before each field (nothing before the message, and the `log.` fields
/// skipped), and the target after the spans.
fn template(event: &Event<'_>) -> Template {
    let meta = event.metadata();
    let before = meta
        .fields()
        .iter()
        .map(|field| match field.name() {
            name if name.starts_with("log.") => Before::Skip,
            "message" => Before::Message,
            name => Before::Text(format!("{}=", name.strip_prefix("r#").unwrap_or(name)).into()),
        })
        .collect();
    Template { before, after: format!("{}: ", meta.target()).into() }
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
