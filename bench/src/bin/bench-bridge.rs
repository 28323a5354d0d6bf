//! The benchmark's three endpoints written with bridge's macros: what a bridge author writes.
//!
//! `bench-bridge [ADDR] [--threads N] [--deployed]`; stops on SIGINT/SIGTERM. With `--deployed` it serves as a
//! deployed bridge does: the environment's settings (`RUST_LOG`, `BRIDGE_LOG_FORMAT`) and the default logs, a line
//! per request on stderr (the figures of the log line's cost); without, no subscriber is installed.

use bridge::{ActionMeta, ActionOutcome, Auth, Bridge, ContactPage, ContactSyncMeta, Data, Error, Interaction};
use bridge::{InteractionData, InteractionMeta, State};
use bridge_bench::{announce, shutdown_signal, Credentials, NewTicket, ServerArgs, Service, Shared, BODY_LIMIT};

#[bridge::interaction_retriever]
async fn interactions(
    Auth(credentials): Auth<Credentials>,
    meta: InteractionMeta,
    data: InteractionData,
    State(service): State<Shared>,
) -> Result<Vec<Interaction>, Error> {
    // bench:touch (scripts/bench.sh edits this line to time an incremental rebuild)
    Ok(service.interactions(&credentials, &meta, &data)?)
}

#[bridge::contact_retriever]
async fn contacts(
    Auth(credentials): Auth<Credentials>,
    meta: ContactSyncMeta,
    State(service): State<Shared>,
) -> Result<ContactPage, Error> {
    Ok(service.contacts(&credentials, &meta)?)
}

#[bridge::action_executor(name = "create_ticket")]
async fn create_ticket(
    Auth(credentials): Auth<Credentials>,
    meta: ActionMeta,
    Data(ticket): Data<NewTicket>,
    State(service): State<Shared>,
) -> Result<ActionOutcome, Error> {
    Ok(service.create_ticket(&credentials, &meta, &ticket)?)
}

fn main() {
    let args = ServerArgs::parse();
    args.runtime().block_on(async {
        let bridge = Bridge::new().drain_delay(std::time::Duration::ZERO);
        let bridge = if args.deployed { bridge.with_env().expect("the environment's settings") } else { bridge };
        let running = bridge
            .state(Service::new())
            .body_limit(BODY_LIMIT)
            .endpoint(interactions {})
            .endpoint(contacts {})
            .endpoint(create_ticket {})
            .bind(args.addr)
            .await
            .expect("the bridge starts");
        announce("bench-bridge", running.local_addr());
        if args.deployed {
            running.run_until_signal().await;
        } else {
            shutdown_signal().await;
            running.shutdown().await;
        }
    });
}
