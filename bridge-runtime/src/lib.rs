//! Runtime of the `bridge` framework. Bridge authors use it through the `talkdesk-bridge` crate (`bridge::…`),
//! which re-exports its public API.
//!
//! The modules depend on each other in one direction, leaves first; read them in this order:
//!
//! | layer | modules | what they hold |
//! |---|---|---|
//! | protocol | `protocol`, `secret`, `request_id`, `kinds`, `witness` | the protocol's types; credentials that never print; request ids; the endpoint kinds' names |
//! | data | `error`, `params`, `state`, `endpoint` | the error handlers return (plain data); `Auth`/`Data`/`State`; shared state; endpoint kinds and facts |
//! | wire | `decode`, `reply` | body → envelope, or a `400` naming every field; answers and errors → HTTP responses |
//! | description | [`configuration`] | the configuration documents, generated from code |
//! | sync kit | [`sync`] | the paging incremental synchronization needs: keyset windows, over-fetch pages, typed offsets |
//! | parameters | `extract` | the author's own handler parameters ([`FromRequest`]) |
//! | telemetry | `telemetry` | the metrics and their per-endpoint handles; the W3C trace context of a request |
//! | one endpoint | `pipeline`, `mount`, `contract` | decode → handler → answer; the `Endpoint` trait; the generated-code contract |
//! | one request | `gate`, `service` | ids, load shedding, inbound token, routing, body limits, log lines; the [`BridgeService`] |
//! | the bridge | `builder`, `logs`, `serve` | the [`Bridge`] builder; the default logs; the accept loop, draining, shutdown, addresses |
//! | command line | [`mod@cli`] | serve, print the configuration documents, `--help`, `--version`: one call from `main` |
//! | on top | [`http`], `testing`, `warp_filter` | the external-service client (feature `client`, on by default); the test kit (feature `testing`); a warp filter (feature `warp`) |
//!
//! Nothing in a lower layer imports from a higher one; `http` and `testing` use the core and are never used by it.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod builder;
pub mod cli;
pub mod configuration;
mod contract;
mod decode;
mod endpoint;
mod error;
mod extract;
mod gate;
#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
pub mod http;
// Shared with the macros, which read the names the runtime does not (the macro names, for messages).
#[allow(dead_code)]
mod kinds;
mod logs;
mod mount;
mod params;
mod pipeline;
mod protocol;
mod reply;
mod request_id;
mod secret;
mod serve;
mod service;
mod state;
pub mod sync;
mod telemetry;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
#[cfg(feature = "warp")]
mod warp_filter;
mod witness;

pub use builder::{
    Bridge, DEFAULT_BODY_LIMIT, DEFAULT_DEADLINE, DEFAULT_DRAIN_DELAY, DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_SHUTDOWN_GRACE,
};
pub use endpoint::{EndpointInfo, EndpointKind};
pub use error::{Error, ErrorKind, FieldError, ResultExt};
pub use extract::{FromRequest, RequestParts};
pub use mount::{BuildError, Endpoint};
pub use params::{Auth, Data, State};
pub use protocol::{
    ActionMeta, ActionOutcome, Agent, AgentPage, AgentSyncMeta, AuthValidation, Contact, ContactPage, ContactSyncMeta,
    DateParseError, Envelope, Interaction, InteractionData, InteractionMeta, NoData, NoMeta, ParseVariantError,
    Priority, Status, SyncSituation, TalkdeskDate,
};
pub use reply::{Response, ResponseBody};
pub use secret::Secret;
pub use serve::{listen_address, RunningBridge, ServeError, DEFAULT_ADDR};
pub use service::{BridgeService, ResponseFuture};

/// Not public API: the paths generated code names (and the framework's own benchmarks and fuzz targets). Stable
/// only together with the macros of the same version.
#[doc(hidden)]
pub mod __private {
    pub use crate::configuration::model::{
        action_inputs_of, never_called, ActionInput, ActionInputs as ActionInputsTrait, ActionSpec, AuthField,
        AuthFields as AuthFieldsTrait,
    };
    pub use crate::contract::{
        did_not_compile, extract, extracting, handler_future, mount_action_executor, mount_agent_retriever,
        mount_auth_validator, mount_contact_retriever, mount_interaction_retriever, ready, state, ActionExecutorResult,
        AgentRetrieverResult, AuthType, AuthValidatorResult, ContactRetrieverResult, Extraction, HandlerFuture,
        HandlerResult, InputType, InteractionRetrieverResult, StateHandle, StateType,
    };
    pub use crate::decode::decode_request;
    pub use crate::endpoint::{EndpointInfo, EndpointKind};
    pub use crate::mount::{BuildError, Endpoint, MountContext, Mounted, MountedEndpoint};
    pub use crate::params::{Auth, Data, State};
    pub use crate::protocol::{Envelope, NoData, NoMeta};
    pub use crate::reply::Reply;
    pub use crate::witness::Witness;
}
