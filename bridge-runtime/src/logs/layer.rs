//! The layer that writes the default logs: a span's part of a line (`request{id=…}:`, or its JSON object) written
//! once, when the span is made, and kept in the span (inline when short: no allocation for a request's id and
//! trace id); a line per event written into a per-thread buffer and handed to the writer in one `write`. What a
//! line looks like is its [format](LineFormat)'s business ([text](super::text), [JSON](super::json)).
//!
//! A request's own span is not made at all when this layer is installed ([`WritesRequestPart`]): a line logged
//! while a request is handled starts with the request's part, read from the request's scope. Making, entering,
//! leaving and closing a span in `tracing-subscriber`'s registry cost more than writing the rest of the line.

use super::escape;
use crate::request_id::WritesRequestPart;
use std::any::TypeId;
use std::fmt;
use std::io::Write;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// How the lines of a format are written.
pub(crate) trait LineFormat: Send + Sync + 'static {
    /// Writes the fields a span is made with, as the span keeps them.
    fn span_fields(&self, out: &mut String, attrs: &Attributes<'_>);

    /// Adds fields recorded after the span was made to those it keeps.
    fn add_fields(&self, kept: &mut String, values: &Record<'_>);

    /// Appends what a line shows of a span named `name` whose fields are `out[..fields_len]`.
    fn span_part(&self, out: &mut String, name: &str, fields_len: usize);

    /// Appends what a line shows of the span of the request `id` (its trace id, if any) that the gate would have
    /// made (`request{id=… trace_id=…}`): the part a line logged while the request is handled starts with, read
    /// from the request's scope instead of a span ([`WritesRequestPart`]).
    fn request_part(&self, out: &mut String, id: &str, trace_id: Option<&str>);

    /// Writes an event's line, its newline included.
    fn line<S>(&self, out: &mut String, event: &Event<'_>, ctx: &Context<'_, S>) -> fmt::Result
    where
        S: Subscriber + for<'lookup> LookupSpan<'lookup>;
}

/// The default logs' layer: lines of `format`, written to `make_writer`'s writer.
pub(crate) struct Lines<F, W> {
    format: F,
    make_writer: W,
}

impl<F, W> Lines<F, W> {
    pub(crate) fn new(format: F, make_writer: W) -> Self {
        Self { format, make_writer }
    }
}

impl<S, F, W> Layer<S> for Lines<F, W>
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
    F: LineFormat,
    W: for<'writer> MakeWriter<'writer> + 'static,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        escape::with_buffer(|text| {
            self.format.span_fields(text, attrs);
            let fields_len = text.len();
            self.format.span_part(text, span.metadata().name(), fields_len);
            span.extensions_mut().insert(SpanFields::new(text, fields_len));
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        let mut kept = extensions.get_mut::<SpanFields>().map(|fields| fields.fields().to_owned()).unwrap_or_default();
        self.format.add_fields(&mut kept, values);
        let fields_len = kept.len();
        self.format.span_part(&mut kept, span.metadata().name(), fields_len);
        let fields = SpanFields::new(&kept, fields_len);
        match extensions.get_mut::<SpanFields>() {
            Some(kept) => *kept = fields,
            None => extensions.insert(fields),
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        escape::with_buffer(|line| {
            if self.format.line(line, event, &ctx).is_ok() {
                let _ = self.make_writer.make_writer_for(event.metadata()).write_all(line.as_bytes());
            }
        });
    }

    /// Also answers to [`WritesRequestPart`]: the layer writes the request's part of each line itself, so the gate
    /// makes no span per request. (`tracing::Dispatch::is` asks each layer of a subscriber through this method.)
    unsafe fn downcast_raw(&self, id: TypeId) -> Option<*const ()> {
        if id == TypeId::of::<Self>() {
            Some(self as *const Self as *const ())
        } else if id == TypeId::of::<WritesRequestPart>() {
            // A marker without data: the pointer is never read.
            Some(std::ptr::NonNull::<WritesRequestPart>::dangling().as_ptr() as *const ())
        } else {
            None
        }
    }
}

/// How many bytes of a span's fields and part of a line are kept without an allocation: a request's `id` (at
/// most 128 characters) and `trace_id`, in either format.
const INLINE: usize = 400;

/// A span's fields, as its format writes them, followed by its part of a line.
pub(crate) struct SpanFields {
    len: usize,
    fields_len: usize,
    inline: [u8; INLINE],
    spilled: String,
}

impl SpanFields {
    /// Keeps `text`: the fields (its first `fields_len` bytes), then the span's part of a line.
    fn new(text: &str, fields_len: usize) -> Self {
        let mut kept = Self { len: text.len(), fields_len, inline: [0; INLINE], spilled: String::new() };
        match kept.inline.get_mut(..text.len()) {
            Some(inline) => inline.copy_from_slice(text.as_bytes()),
            None => kept.spilled = text.to_owned(),
        }
        kept
    }

    fn text(&self) -> &str {
        if self.len > INLINE {
            return &self.spilled;
        }
        // SAFETY: the first `len` bytes were copied from a `&str`, whole.
        unsafe { std::str::from_utf8_unchecked(&self.inline[..self.len]) }
    }

    /// The span's fields.
    pub(crate) fn fields(&self) -> &str {
        &self.text()[..self.fields_len]
    }

    /// The span's part of a line.
    pub(crate) fn part(&self) -> &str {
        &self.text()[self.fields_len..]
    }
}
