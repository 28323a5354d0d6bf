//! The benchmark's three endpoints with hyper alone, on plain serde structs ([`bridge_bench::plain`]): the floor
//! of the floor. The server is [`bridge_bench::hyper_server`], as `bench-hyper`'s.
//!
//! `bench-hyper-strings [ADDR] [--threads N]`; stops on SIGINT/SIGTERM.

fn main() {
    // bench:touch (scripts/bench.sh edits this line to time an incremental rebuild)
    bridge_bench::hyper_server::main::<bridge_bench::plain::Service>("bench-hyper-strings");
}
