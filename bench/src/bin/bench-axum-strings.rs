//! The benchmark's three endpoints as a hand-written axum 0.8 `Router` on plain serde structs
//! ([`bridge_bench::plain`]). The server is [`bridge_bench::axum_server`], as `bench-axum`'s.
//!
//! `bench-axum-strings [ADDR] [--threads N]`; stops on SIGINT/SIGTERM.

fn main() {
    // bench:touch (scripts/bench.sh edits this line to time an incremental rebuild)
    bridge_bench::axum_server::main::<bridge_bench::plain::Service>("bench-axum-strings");
}
