//! The benchmark's three endpoints as a careful hand-written axum 0.8 `Router` on bridge's protocol types
//! (`Envelope`, `Interaction`, `TalkdeskDate`, …): what most Rust developers would write without bridge. The
//! server is [`bridge_bench::axum_server`].
//!
//! `bench-axum [ADDR] [--threads N]`; stops on SIGINT/SIGTERM.

fn main() {
    // bench:touch (scripts/bench.sh edits this line to time an incremental rebuild)
    bridge_bench::axum_server::main::<bridge_bench::Service>("bench-axum");
}
