//! Compile-time diagnostics of the `#[bridge::…]` macros: every misuse gets one clear error, spanned on the user's
//! own token. See `tests/ui/README.md` for the conventions; regenerate the expected output with
//! `TRYBUILD=overwrite cargo test --test ui` and read every changed `.stderr`.
//!
//! Only compile-fail fixtures: with no pass fixture, trybuild type-checks its project (`cargo check`) rather than
//! building and linking every dependency. The accepted forms are compiled and run with the integration tests
//! (`tests/it/macro_forms/`).

#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("tests/ui/fail/*.rs");
}
