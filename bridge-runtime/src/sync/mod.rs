//! The paging incremental synchronization needs, generic over the source: what every contact retriever gets
//! wrong the same ways, once.
//!
//! Talkdesk asks a bridge for "what changed since the checkpoint", a page at a time, and sends back with each
//! request the `next_offset` and `context` of the previous page (`bridge::docs::contact_sync`). The pieces, each
//! with the failure it prevents:
//!
//! | piece | what it does | the failure it prevents |
//! |---|---|---|
//! | [`Window`] | a keyset window over `(modified-at, id)`: records modified **at or after** the window's start, the ids already sent at that start carried in `context` | a contact **missed on a tie** (a strict `>` after a time that several contacts share), or **sent twice** at a page boundary (an inclusive `>=` without memory) |
//! | [`More`] | how a run of ties longer than a page goes on: the source's cursor, or after the last id | a sync that **stalls** (or loops) when an import stamped more contacts with one time than fit on a page |
//! | [`Window::open`] | the first page may start before the checkpoint: a **lag margin** | contacts **lost to an index that trails its writes** (a search API shows a change seconds after it was made) |
//! | [`Window::settled`] | caps the sync's checkpoints at what the source had surely made visible | contacts **lost to a late write**, stamped before the window passed them but visible only after |
//! | [`Window::until`] | ends the sync at a key, exclusive, and answers that key as the last page's checkpoint | the same late writes, without the next sync **sending again** what the cap made it re-read |
//! | [`Window::try_step`] | a key read from the record that can fail (a time in the source's own format) | an `unwrap` in a handler: a **panic** where a `502` naming the source was due |
//! | [`Paged`] | over-fetch paging: ask for a page and one more (`LIMIT n + 1`) | an **empty last page** every time the records fill a page exactly, or a count that disagrees with the page |
//! | [`ContactSyncMeta::offset_as`](crate::ContactSyncMeta::offset_as), [`checkpoint_as`](crate::ContactSyncMeta::checkpoint_as), [`AgentSyncMeta::offset_as`](crate::AgentSyncMeta::offset_as) | the offset or checkpoint read back as the type the bridge wrote | a **`500` or a silent restart** on a value the bridge never wrote: a `400` names `meta.offset` or `meta.synchronization_checkpoint` |
//!
//! Paging by page number is what the window replaces: a contact changed in the middle of a sync moves to the end
//! of the results, every later page shifts by one, and a contact is skipped. A window starts each page at a key,
//! not a position, so a changed contact is simply sent again later in the same sync, with its changes.
//!
//! Which pieces, and which checkpoint rule, fit which kind of source (a database, a search index that trails its
//! writes, a service's own cursor, page numbers): the chapter `bridge::docs::sync`.
//!
//! What the pieces cannot know is when the source **commits** a change: a database that stamps a row with the time
//! its transaction started and commits it later can show a row older than a window that has already passed. The
//! guide's PostgreSQL recipe (`bridge::docs::guide`) covers that case with the database's own transaction
//! horizon.
//!
//! ```
//! use bridge::sync::{More, Window};
//! use bridge::ContactSyncMeta;
//!
//! let meta: ContactSyncMeta = serde_json::from_str(r#"{"synchronization_checkpoint": "1000"}"#).unwrap();
//! // An incremental sync, at 1010, over a search index that trails its writes by up to 5 units: it ends at 1005.
//! let window = Window::<i64>::open(&meta, |checkpoint| checkpoint.unwrap_or(0)).unwrap().until(1010 - 5);
//! let page = vec![(1000, "a"), (1002, "b"), (1007, "c")];
//! let step = window.step(page, |(m, id)| (*m, id.to_string()), More::No).unwrap();
//! // "c" waits for the next sync, which starts at 1005: everything before it was in the index, and was sent.
//! assert_eq!((step.send.len(), step.checkpoint), (2, 1005));
//! ```

mod paged;
mod typed;
mod window;

pub use paged::Paged;
pub use window::{More, Step, Window};
