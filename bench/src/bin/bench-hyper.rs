//! The benchmark's three endpoints with hyper alone, on bridge's protocol types: the floor. The server is
//! [`bridge_bench::hyper_server`].
//!
//! `bench-hyper [ADDR] [--threads N]`; stops on SIGINT/SIGTERM.

fn main() {
    // bench:touch (scripts/bench.sh edits this line to time an incremental rebuild)
    bridge_bench::hyper_server::main::<bridge_bench::Service>("bench-hyper");
}
