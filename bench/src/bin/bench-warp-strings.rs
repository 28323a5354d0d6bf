//! The benchmark's three endpoints as a careful hand-written warp filter on plain serde structs (`String` dates,
//! `&'static str` enums, [`bridge_bench::plain`]): what bridge's protocol types are held to. The server is
//! [`bridge_bench::warp_server`], as `bench-warp`'s.
//!
//! `bench-warp-strings [ADDR] [--threads N]`; stops on SIGINT/SIGTERM.

fn main() {
    // bench:touch (scripts/bench.sh edits this line to time an incremental rebuild)
    bridge_bench::warp_server::main::<bridge_bench::plain::Service>("bench-warp-strings");
}
