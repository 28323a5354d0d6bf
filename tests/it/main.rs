//! The facade's integration tests, in one test binary: each file of `tests/it/` is a module, so that the whole
//! stack (tokio, hyper, reqwest, rustls, the runtime, the examples) is compiled and linked once for all of them
//! rather than once per file. A test is named after its file: `cargo test --test it zendesk::` runs the Zendesk
//! tests, `cargo test --test it -- --exact hardening::a_handler_past_its_deadline_is_a_504` one test.
//!
//! Where a new test goes:
//!
//! - a new concern gets a new file `tests/it/<concern>.rs` (its `//!` doc saying what it drives) and a line
//!   `mod <concern>;` below, in alphabetical order; not a new file directly under `tests/` (that would be one more
//!   binary to link);
//! - shared helpers are in [`common`] (`use crate::common;`), the examples below
//!   (`use crate::zendesk_example as example;`): each is compiled once here, and its own unit tests
//!   (`#[cfg(test)] mod tests`) run here, as `minimal::tests::…`;
//! - process-wide state is shared by every test of the binary: the global tracing subscriber of the tests that look
//!   for leaks is installed once, by [`common::logs::Captured::install`], never with `.init()` in a test;
//! - a test that needs the process to itself stays a file of its own directly in `tests/`: `tests/drain.rs` sends
//!   SIGTERM to its own process, and `run_until_signal` installs the default global subscriber;
//! - a compile-fail fixture goes in `bridge-macros/tests/ui/` (see its README): trybuild builds the fixtures with
//!   that crate's few dev-dependencies, not with the many of this binary.
//!

mod common;

#[path = "../../examples/hubspot/main.rs"]
#[allow(dead_code)]
mod hubspot_example;
#[path = "../../examples/minimal.rs"]
#[allow(dead_code)]
mod minimal;
#[path = "../../examples/salesforce/main.rs"]
#[allow(dead_code)]
mod salesforce_example;
#[path = "../../examples/sqlite/main.rs"]
#[allow(dead_code)]
mod sqlite_example;
#[path = "../../examples/zendesk/main.rs"]
#[allow(dead_code)]
mod zendesk_example;

mod cassettes;
mod configuration;
mod default_logs;
mod form_inputs;
mod handler_errors;
mod hardening;
mod hostile_env;
mod hubspot;
mod hubspot_replay;
mod macro_forms;
mod minimal_bridge;
mod one_path;
mod operations;
mod own_parameters;
mod postgres;
mod random_json;
mod redis;
mod round_trips;
mod salesforce;
mod salesforce_replay;
mod secrets_in_logs;
mod simulator;
mod sqlite;
mod startup_errors;
mod sync_examples;
mod sync_sources;
mod sync_window;
mod testkit;
mod zendesk;
mod zendesk_changing_replay;
mod zendesk_configuration;
mod zendesk_replay;
