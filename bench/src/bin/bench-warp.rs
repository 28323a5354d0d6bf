//! The benchmark's three endpoints as a careful hand-written warp filter on bridge's protocol types (`Envelope`,
//! `Interaction`, `TalkdeskDate`, …): the reference the macros must match. The server is
//! [`bridge_bench::warp_server`].
//!
//! `bench-warp [ADDR] [--threads N]`; stops on SIGINT/SIGTERM.

fn main() {
    // bench:touch (scripts/bench.sh edits this line to time an incremental rebuild)
    bridge_bench::warp_server::main::<bridge_bench::Service>("bench-warp");
}
