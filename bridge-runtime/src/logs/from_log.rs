//! Events that the `log` crate's records became (through `tracing-log`, which `tracing-subscriber` installs when
//! its `tracing-log` feature is on): their target and level are in their fields, which `tracing-subscriber`'s own
//! formats read. The default logs leave those events to them.

use tracing::Metadata;

/// Whether `meta` is that of an event made from a `log` record.
pub(crate) fn is_from_log(meta: &Metadata<'_>) -> bool {
    meta.name() == "log event"
}
