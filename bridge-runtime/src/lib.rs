//! Runtime of the `bridge` framework: the Talkdesk protocol model, request decoding, the generated-code contract
//! and the server. Bridge authors use it through the `talkdesk-bridge` crate (`bridge::…`).
//!
//! Where things are:
//! - [`protocol`]: the protocol's requests and answers, one module per endpoint;
//! - [`error`]: the error handlers return and its statuses;
//! - [`decode`]: body → envelope, or a `400` naming every offending field;
//! - [`contract`]: the traits generated code relies on;
//! - [`configuration`]: the integration's configuration documents, generated from code;
//! - [`endpoint`] and [`server`]: mounting endpoints and serving them;
//! - [`http`]: the client for the external service, shared by handlers as state;
//! - `testing` (feature `testing`): an in-process test client and a Talkdesk simulator.

pub mod configuration;
pub mod contract;
pub mod decode;
pub mod endpoint;
pub mod error;
mod gate;
pub mod http;
mod listener;
mod params;
mod pipeline;
pub mod protocol;
pub mod request_id;
mod secret;
pub mod server;
mod state;
#[cfg(feature = "testing")]
pub mod testing;

pub use decode::decode_request;
pub use endpoint::{BuildError, Endpoint, EndpointInfo, EndpointKind, MountContext};
pub use error::{Error, ErrorKind, FieldError};
pub use listener::RunningBridge;
pub use params::{Auth, Data, State};
pub use protocol::*;
pub use secret::Secret;
pub use server::{listen_address, Bridge, ServeError};

/// Not public API: the paths generated code names. Stable only together with the macros of the same version.
#[doc(hidden)]
pub mod __private {
    pub use crate::configuration::{
        action_inputs_of, never_called, ActionInput, ActionInputs as ActionInputsTrait, ActionSpec, AuthField,
        AuthFields as AuthFieldsTrait,
    };
    pub use crate::contract::{
        did_not_compile, handler_future, mount_action_executor, mount_agent_retriever, mount_auth_validator,
        mount_contact_retriever, mount_interaction_retriever, state, Witness,
    };
    pub use crate::endpoint::{BuildError, Endpoint, EndpointInfo, EndpointKind, MountContext};
    pub use crate::params::{Auth, Data, State};
    pub use crate::protocol::{self, Envelope, NoData, NoMeta};
    pub use warp::filters::BoxedFilter;
    pub use warp::reply::Response;
}
