//! `bench-warp` without what bridge does around every request (request ids, deadline, bound on requests in
//! flight, header-read timeout): the same hand-written filter ([`bridge_bench::warp_server::routes`], on bridge's
//! protocol types) served by plain `warp::serve`. It is not a variant the macros are held to; it shows what
//! bridge's hardening costs.
//!
//! `bench-warp-plain [ADDR] [--threads N]`; stops on SIGINT/SIGTERM.

use bridge_bench::{announce, shutdown_signal, warp_server, Model, ServerArgs, Service};

fn main() {
    let args = ServerArgs::parse();
    args.runtime().block_on(async {
        let listener = bridge_bench::listen(args.addr);
        announce("bench-warp-plain", listener.local_addr().expect("a bound address"));
        let routes = warp_server::routes(<Service as Model>::start());
        warp::serve(routes).incoming(listener).graceful(shutdown_signal()).run().await;
    });
}
