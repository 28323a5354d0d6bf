//! `bridge-conformance`: the command. Everything is in the library (`bridge_conformance::main`), so that the
//! command's tests and a Rust bridge's own tests run the same code.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    bridge_conformance::main(std::env::args().skip(1)).await
}
