//! Runtime of the `bridge` framework. Bridge authors use it through the `talkdesk-bridge` crate (`bridge::…`),
//! which re-exports its public API.
//!
//! The modules depend on each other in one direction, leaves first; read them in this order:
//!
//! | layer | modules | what they hold |
//! |---|---|---|
//! | protocol | `protocol`, `secret`, `request_id`, `deadline`, `tap`, `kinds`, `witness` | the protocol's types; credentials that never print; request ids; the deadline of the request being handled; the seam where its external calls are recorded or replayed; the endpoint kinds' names |
//! | settings | [`settings`], `recording`, `upstream` | every setting, the table of environment variables, the one overlay that reads them; the cassettes' format, redaction and recorder; the upstream cost of the request being handled |
//! | data | `error`, `params`, `state`, `endpoint`, `readiness`, [`store`] | the error handlers return (plain data); `Auth`/`Data`/`State`; shared state; endpoint kinds and facts; the readiness check; the store replicas share |
//! | wire | `decode`, `reply` | body → envelope, or a `400` naming every field; answers and errors → HTTP responses |
//! | description | [`configuration`] | the configuration documents, generated from code |
//! | sync kit | [`sync`] | the paging incremental synchronization needs: keyset windows, over-fetch pages, typed offsets |
//! | parameters | `extract` | the author's own handler parameters ([`FromRequest`]) |
//! | telemetry | `telemetry` | the metrics and their per-endpoint handles; the W3C trace context of a request |
//! | one endpoint | `pipeline`, `memory`, `mount`, `contract` | decode → handler → answer; dedupe and the lookup cache around it; the `Endpoint` trait; the generated-code contract |
//! | own routes | `own_routes` | `/health`, `/ready`, `/metrics`, `/configuration`: the paths the bridge keeps for itself |
//! | one request | `gate`, `service` | ids, load shedding, inbound token, routing, body limits, log lines; the [`BridgeService`] |
//! | the bridge | `builder`, `logs`, `serve` | the [`Bridge`] builder; the default logs; the accept loop, draining, shutdown |
//! | command line | [`mod@cli`] | serve, print the configuration documents, `--help`, `--version`: one call from `main` |
//! | on top | [`http`], `testing`, `warp_filter` | the external-service client (feature `client`, on by default); the test kit (feature `testing`); a warp filter (feature `warp`) |
//!
//! Nothing in a lower layer imports from a higher one; `http` and `testing` use the core and are never used by it.
//!
//! Every layer is a bridge's that serves: feature `server`, on by default and always on through the facade. Built
//! without it, with `simulator` (as `talkdesk-bridge-conformance` builds it, to drive bridges at a URL), the runtime
//! is the protocol's types and the test kit's simulator and HTTP client, without the server stack (hyper's server,
//! `prometheus-client`, `tracing-subscriber`).

#![cfg_attr(docsrs, feature(doc_cfg))]

/// Items of a bridge that serves (feature `server`): its re-exports, below.
macro_rules! server {
    ($($item:item)*) => {
        $(
            #[cfg(feature = "server")]
            $item
        )*
    };
}

mod endpoint;
mod protocol;
mod secret;
#[cfg(feature = "simulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "simulator")))]
pub mod testing;
mod upstream;

// Shared with the macros, which read the names the runtime does not (the macro names, for messages).
#[allow(dead_code)]
mod kinds;

// The modules of a bridge that serves (feature `server`, which the facade always turns on): all of the framework but
// the protocol's types and the simulator, which are what `talkdesk-bridge-conformance` builds on. Each `mod` keeps
// its own `#[cfg]` rather than sitting in `server!`: tools that find files from `mod` lines as written
// (cargo-mutants) do not expand macros, and would skip them.
#[cfg(feature = "server")]
mod builder;
#[cfg(feature = "server")]
pub mod cli;
#[cfg(feature = "server")]
pub mod configuration;
#[cfg(feature = "server")]
mod contract;
#[cfg(feature = "server")]
mod deadline;
#[cfg(feature = "server")]
mod decode;
#[cfg(feature = "server")]
mod error;
#[cfg(feature = "server")]
mod extract;
#[cfg(feature = "server")]
mod gate;
#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
pub mod http;
#[cfg(feature = "server")]
mod logs;
#[cfg(feature = "server")]
mod memory;
#[cfg(feature = "server")]
mod mount;
#[cfg(feature = "server")]
mod own_routes;
#[cfg(feature = "server")]
mod params;
#[cfg(feature = "server")]
mod pipeline;
#[cfg(feature = "server")]
mod readiness;
#[cfg(feature = "client")]
mod recording;
#[cfg(feature = "server")]
mod reply;
#[cfg(feature = "server")]
mod request_id;
#[cfg(feature = "server")]
mod scope;
#[cfg(feature = "server")]
mod serve;
#[cfg(feature = "server")]
mod service;
#[cfg(feature = "server")]
pub mod settings;
#[cfg(feature = "server")]
mod state;
#[cfg(feature = "server")]
pub mod store;
#[cfg(feature = "server")]
pub mod sync;
#[cfg(feature = "server")]
mod tap;
#[cfg(feature = "server")]
mod telemetry;
#[cfg(feature = "server")]
mod trace;
#[cfg(feature = "warp")]
mod warp_filter;
#[cfg(feature = "server")]
mod witness;

pub use endpoint::{EndpointInfo, EndpointKind};
pub use protocol::{
    ActionMeta, ActionOutcome, Agent, AgentPage, AgentSyncMeta, AuthValidation, Contact, ContactPage, ContactSyncMeta,
    DateParseError, Envelope, Interaction, InteractionData, InteractionMeta, NoData, NoMeta, ParseVariantError,
    Priority, Status, SyncSituation, TalkdeskDate,
};
pub use secret::Secret;

server! {
    pub use builder::Bridge;
    pub use error::{Error, ErrorKind, FieldError, ResultExt};
    pub use extract::{FromRequest, RequestParts};
    pub use mount::{BuildError, Endpoint};
    pub use params::{Auth, Data, State};
    pub use readiness::ReadinessCheck;
    pub use reply::{Response, ResponseBody};
    pub use serve::{RunningBridge, ServeError};
    pub use service::{BridgeService, ResponseFuture};
    pub use settings::{
        LogFormat, Settings, SettingsError, DEFAULT_ADDR, DEFAULT_BODY_LIMIT, DEFAULT_DEADLINE, DEFAULT_DRAIN_DELAY,
        DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_IN_FLIGHT, DEFAULT_SHUTDOWN_GRACE,
    };
}

/// Not public API: the paths generated code names (and the framework's own benchmarks and fuzz targets). Stable
/// only together with the macros of the same version.
#[doc(hidden)]
#[cfg(feature = "server")]
pub mod __private {
    pub use crate::configuration::model::{
        action_inputs_of, never_called, ActionInput, ActionInputs as ActionInputsTrait, ActionSpec, AuthField,
        AuthFields as AuthFieldsTrait,
    };
    pub use crate::contract::{
        did_not_compile, extract, extracting, handler_future, kind, mount, ready, state, Accepts, ActionExecutorResult,
        AgentRetrieverResult, AuthType, AuthValidatorResult, ContactRetrieverResult, Extraction, HandlerFuture,
        HandlerResult, InputType, InputsOf, InteractionRetrieverResult, Kind, StateHandle, StateType,
    };
    pub use crate::decode::decode_request;
    pub use crate::endpoint::{EndpointInfo, EndpointKind};
    pub use crate::mount::{BuildError, Endpoint, MountContext, Mounted, MountedEndpoint};
    pub use crate::params::{Auth, Data, State};
    pub use crate::protocol::{Envelope, InteractionData, NoData, NoMeta};
    pub use crate::reply::Reply;
    pub use crate::witness::Witness;

    /// The contract under the runtime's version: generated code imports it from here, once per item, as the
    /// module of the macros' own version, so that macros and runtime of different versions fail with one error
    /// on that import. Renamed with every release (a test ties it to the package's version).
    pub mod bridge_runtime_0_1_0 {
        pub use super::*;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_contract_is_under_the_runtimes_version() {
        let version: String =
            env!("CARGO_PKG_VERSION").chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
        let declaration = format!("pub mod bridge_runtime_{version} {{");
        assert!(
            include_str!("lib.rs").contains(&declaration),
            "rename `__private::bridge_runtime_*` to the package's version: `{declaration}`"
        );
    }
}
