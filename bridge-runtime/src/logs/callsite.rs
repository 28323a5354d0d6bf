//! What a format works out once per place in the code that logs (an event's callsite), not on every line: the text
//! written before each field's value (`path=`, `"path":`) and after the fields (the target). Each thread remembers
//! the last few callsites it wrote.

use std::cell::RefCell;
use std::rc::Rc;
use tracing::{Event, Metadata};
use tracing_log::NormalizeEvent;

/// What is written before a field's value.
pub(crate) enum Before {
    /// Nothing, and not the value either (the `log.` fields of an event made from a `log` record, in text).
    Skip,
    /// The field is the message.
    Message,
    /// This text.
    Text(Box<str>),
}

/// A callsite's texts, for one format.
pub(crate) struct Template {
    /// By field index.
    pub(crate) before: Box<[Before]>,
    pub(crate) after: Box<str>,
}

/// How many callsites a thread remembers.
const REMEMBERED: usize = 8;

/// A remembered template: its callsite's metadata, the format it is for, and the template.
type Remembered = (*const Metadata<'static>, &'static str, Rc<Template>);

thread_local! {
    static TEMPLATES: RefCell<Vec<Remembered>> = const { RefCell::new(Vec::new()) };
}

/// The template of `format` for the callsite of `meta`, made by `make` the first time (or again once forgotten).
pub(crate) fn template(
    meta: &'static Metadata<'static>,
    format: &'static str,
    make: impl FnOnce() -> Template,
) -> Rc<Template> {
    TEMPLATES.with(|cell| {
        let Ok(mut remembered) = cell.try_borrow_mut() else { return Rc::new(make()) };
        let key: *const Metadata<'static> = meta;
        if let Some((_, _, template)) = remembered.iter().find(|(m, f, _)| *m == key && *f == format) {
            return Rc::clone(template);
        }
        let made = Rc::new(make());
        if remembered.len() == REMEMBERED {
            remembered.remove(0);
        }
        remembered.push((key, format, Rc::clone(&made)));
        made
    })
}

/// What a line shows of `event`: its metadata when it was made from a `log` record (the record's own target and
/// level), and the template of `format` for its callsite, made by `make` the first time (none for a `log` record:
/// every record shares one callsite).
pub(crate) fn of_event<'a>(
    event: &'a Event<'a>,
    format: &'static str,
    make: impl FnOnce(&Event<'_>) -> Template,
) -> (Option<Metadata<'a>>, Option<Rc<Template>>) {
    let normalized = event.normalized_metadata();
    let template = normalized.is_none().then(|| template(event.metadata(), format, || make(event)));
    (normalized, template)
}
