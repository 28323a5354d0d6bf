//! Compile-time diagnostics of the `#[bridge::…]` macros: every misuse gets one clear error, spanned on the user's
//! own token. See `tests/ui/README.md` for the conventions; regenerate the expected output with
//! `TRYBUILD=overwrite cargo test --test ui` and read every changed `.stderr`.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
