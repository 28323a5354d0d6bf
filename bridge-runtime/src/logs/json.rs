//! The default logs as JSON lines (`BRIDGE_LOG_FORMAT=json`): each line exactly as `tracing-subscriber`'s `Json`
//! format writes it (`{"timestamp":…,"level":…,"fields":{…},"target":…,"span":{…},"spans":[…]}`), written straight
//! into the line's buffer. A span's fields are kept as the JSON object they are written as, keys in order, so that
//! each line splices them in, where `tracing-subscriber` parses them back from text on every line.

use super::callsite::{self, Before, Template};
use super::layer::{LineFormat, SpanFields};
use super::{escape, timestamp};
use std::fmt::{self, Write};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::{LookupSpan, SpanRef};

/// Writes `fields` as one JSON object, keys sorted. They usually come sorted (`id`, `trace_id`) and are written as
/// they come; otherwise serde_json's map sorts them.
fn write_object<R: RecordFields>(out: &mut String, fields: R) -> fmt::Result {
    let start = out.len();
    let mut sorted = true;
    let mut visitor = SpanVisitor { out: &mut *out, last: None, sorted: &mut sorted, result: Ok(()) };
    visitor.out.push('{');
    fields.record(&mut visitor);
    visitor.result?;
    out.push('}');
    if !sorted {
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&out[start..]).map_err(|_| fmt::Error)?;
        let object = sorted_object(map)?;
        out.truncate(start);
        out.push_str(&object);
    }
    Ok(())
}

/// A map written with its keys sorted (whether or not serde_json keeps a map's order).
fn sorted_object(map: serde_json::Map<String, serde_json::Value>) -> Result<String, fmt::Error> {
    let sorted: std::collections::BTreeMap<String, serde_json::Value> = map.into_iter().collect();
    serde_json::to_string(&sorted).map_err(|_| fmt::Error)
}

/// Writes a span's fields as `"key":value` members, noting whether they came sorted.
struct SpanVisitor<'a> {
    out: &'a mut String,
    last: Option<&'static str>,
    sorted: &'a mut bool,
    result: fmt::Result,
}

impl SpanVisitor<'_> {
    /// Starts a member: the comma, the key and the colon.
    fn key(&mut self, name: &'static str) -> bool {
        if self.result.is_err() {
            return false;
        }
        if let Some(last) = self.last {
            if last >= name {
                *self.sorted = false;
            }
            self.out.push(',');
        }
        self.last = Some(name);
        escape::json_str(self.out, name);
        self.out.push(':');
        true
    }

    fn serialized(&mut self, name: &'static str, value: serde_json::Value) {
        if self.key(name) {
            self.result = serde_json::to_string(&value).map(|text| self.out.push_str(&text)).map_err(|_| fmt::Error);
        }
    }
}

impl Visit for SpanVisitor<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.serialized(field.name(), value.into());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if self.key(field.name()) {
            escape::signed(self.out, value);
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.key(field.name()) {
            escape::decimal(self.out, value);
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if self.key(field.name()) {
            self.out.push_str(if value { "true" } else { "false" });
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if self.key(field.name()) {
            escape::json_str(self.out, value);
        }
    }

    fn record_bytes(&mut self, field: &Field, value: &[u8]) {
        self.serialized(field.name(), value.into());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let name = field.name();
        if name.starts_with("log.") {
            return;
        }
        if self.key(name.strip_prefix("r#").unwrap_or(name)) {
            self.result = debug_string(self.out, value);
        }
    }
}

/// Writes `value`'s `Debug` as a JSON string, escaped as it is written.
fn debug_string(out: &mut String, value: &dyn fmt::Debug) -> fmt::Result {
    out.push('"');
    write!(JsonEscaping(&mut *out), "{value:?}")?;
    out.push('"');
    Ok(())
}

/// A writer that escapes what it is given as the inside of a JSON string.
struct JsonEscaping<'a>(&'a mut String);

impl Write for JsonEscaping<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        escape::json_str_contents(self.0, text);
        Ok(())
    }
}

/// A JSON line per event, as `tracing-subscriber`'s `Json` format writes it by default: timestamp, level, the
/// event's fields, target, the current span and the list of spans from the root. A span keeps its fields as
/// `JsonFields` does: one JSON object, its keys sorted (a field recorded twice keeps its last value), `Debug` values
/// as strings. An event made from a `log` record has the record's target and level.
#[derive(Debug, Default)]
pub(crate) struct Json;

impl LineFormat for Json {
    fn span_fields(&self, out: &mut String, attrs: &Attributes<'_>) {
        if write_object(out, attrs).is_err() {
            out.clear();
        }
    }

    fn add_fields(&self, kept: &mut String, values: &Record<'_>) {
        // As `JsonFields` does: the object so far and the new fields, merged by key.
        let mut added = String::new();
        let merged = write_object(&mut added, values).ok().and_then(|()| {
            let mut merged: serde_json::Map<String, serde_json::Value> = serde_json::from_str(kept).ok()?;
            let added: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&added).ok()?;
            merged.extend(added);
            sorted_object(merged).ok()
        });
        if let Some(merged) = merged {
            *kept = merged;
        }
    }

    fn span_part(&self, out: &mut String, name: &str, fields_len: usize) {
        // `{"id":"r-1"}` and `request` → `{"id":"r-1","name":"request"}`
        if fields_len > 2 {
            out.extend_from_within(..fields_len - 1);
            out.push_str(",\"name\":");
        } else {
            out.push_str("{\"name\":");
        }
        escape::json_str(out, name);
        out.push('}');
    }

    fn request_part(&self, out: &mut String, id: &str, trace_id: Option<&str>) {
        // Request ids and trace ids need no escape (`A-Z a-z 0-9 . _ : -`, hex digits).
        out.push_str("{\"id\":\"");
        out.push_str(id);
        if let Some(trace_id) = trace_id {
            out.push_str("\",\"trace_id\":\"");
            out.push_str(trace_id);
        }
        out.push_str("\",\"name\":\"request\"}");
    }

    fn line<S>(&self, out: &mut String, event: &Event<'_>, ctx: &Context<'_, S>) -> fmt::Result
    where
        S: Subscriber + for<'lookup> LookupSpan<'lookup>,
    {
        let (normalized, template) = callsite::of_event(event, "json", template);
        let meta = normalized.as_ref().unwrap_or_else(|| event.metadata());
        out.push_str("{\"timestamp\":\"");
        timestamp::write_now(out);
        out.push_str(level(meta.level()));
        let before = template.as_deref().map(|template| &*template.before);
        let mut visitor = EventVisitor { out: &mut *out, before, first: true, result: Ok(()) };
        event.record(&mut visitor);
        visitor.result?;
        match &template {
            Some(template) => out.push_str(&template.after),
            None => {
                out.push_str("},\"target\":");
                escape::json_str(out, meta.target());
            }
        }
        let leaf = ctx.lookup_current();
        let parent = event.parent().and_then(|id| ctx.span(id));
        // The request's part (read from its scope: no span was made for it) is the root of `spans`, and `span`
        // when no other span is.
        let mut first = match parent.as_ref().or(leaf.as_ref()) {
            Some(span) => {
                out.push_str(",\"span\":");
                write_span(out, span);
                out.push_str(",\"spans\":[");
                crate::scope::with_line_part(|id, trace_id| self.request_part(out, id, trace_id)).is_none()
            }
            None => {
                let mark = out.len();
                out.push_str(",\"span\":");
                let at = out.len();
                if crate::scope::with_line_part(|id, trace_id| self.request_part(out, id, trace_id)).is_none() {
                    out.truncate(mark);
                    out.push_str("}\n");
                    return Ok(());
                }
                let written = at..out.len();
                out.push_str(",\"spans\":[");
                out.extend_from_within(written);
                false
            }
        };
        if let Some(leaf) = &leaf {
            for span in leaf.scope().from_root() {
                if !first {
                    out.push(',');
                }
                first = false;
                write_span(out, &span);
            }
        }
        out.push_str("]}\n");
        Ok(())
    }
}

/// The texts of an event's callsite: `"name":` before each field, and the target after the fields.
fn template(event: &Event<'_>) -> Template {
    let meta = event.metadata();
    let before = meta
        .fields()
        .iter()
        .map(|field| {
            let mut key = String::new();
            escape::json_str(&mut key, field.name());
            key.push(':');
            Before::Text(key.into())
        })
        .collect();
    let mut after = String::from("},\"target\":");
    escape::json_str(&mut after, meta.target());
    Template { before, after: after.into() }
}

/// `","level":"INFO","fields":{`, for each level.
fn level(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "\",\"level\":\"TRACE\",\"fields\":{",
        Level::DEBUG => "\",\"level\":\"DEBUG\",\"fields\":{",
        Level::INFO => "\",\"level\":\"INFO\",\"fields\":{",
        Level::WARN => "\",\"level\":\"WARN\",\"fields\":{",
        _ => "\",\"level\":\"ERROR\",\"fields\":{",
    }
}

/// A span as an object: its fields, then its name.
fn write_span<S>(out: &mut String, span: &SpanRef<'_, S>)
where
    S: for<'lookup> LookupSpan<'lookup>,
{
    match span.extensions().get::<SpanFields>() {
        Some(fields) => out.push_str(fields.part()),
        None => {
            out.push_str("{\"name\":");
            escape::json_str(out, span.metadata().name());
            out.push('}');
        }
    }
}

/// Writes an event's fields as the members of an object, in their order, as `tracing-serde` does.
struct EventVisitor<'a> {
    out: &'a mut String,
    /// The event's callsite's keys, when known.
    before: Option<&'a [Before]>,
    first: bool,
    result: fmt::Result,
}

impl EventVisitor<'_> {
    #[inline]
    fn key(&mut self, field: &Field) -> bool {
        if self.result.is_err() {
            return false;
        }
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        match self.before.and_then(|before| before.get(field.index())) {
            Some(Before::Text(key)) => self.out.push_str(key),
            _ => {
                escape::json_str(self.out, field.name());
                self.out.push(':');
            }
        }
        true
    }
}

impl Visit for EventVisitor<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        if self.key(field) {
            self.result = serde_json::to_string(&value).map(|text| self.out.push_str(&text)).map_err(|_| fmt::Error);
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if self.key(field) {
            escape::signed(self.out, value);
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.key(field) {
            escape::decimal(self.out, value);
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if self.key(field) {
            self.out.push_str(if value { "true" } else { "false" });
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if self.key(field) {
            escape::json_str(self.out, value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.key(field) {
            self.result = debug_string(self.out, value);
        }
    }
}
