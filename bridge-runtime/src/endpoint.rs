//! What an endpoint is to the server: its kind, its path, and how it becomes a warp filter once the bridge's
//! shared state is known. The macros implement [`Endpoint`] for a unit-like struct named after the handler.

use crate::contract::Reply;
use crate::error::Error;
use crate::pipeline;
use crate::protocol::Envelope;
use crate::state::StateMap;
use serde::de::DeserializeOwned;
use std::fmt;
use std::future::Future;
use warp::filters::BoxedFilter;
use warp::reply::Response;

/// The five kinds of endpoint of the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndpointKind {
    /// Authorization validation (`auth_validation_endpoint`).
    AuthValidation,
    /// Contact synchronization (`contact_synchronization_endpoint`).
    ContactSync,
    /// Interaction retrieval (`interaction_retrieval_endpoint`).
    InteractionRetrieval,
    /// Action execution (one `endpoint` per action).
    Action,
    /// Agent synchronization (`agent_synchronization_endpoint`).
    AgentSync,
}

impl EndpointKind {
    /// The path an endpoint of this kind answers on unless told otherwise (actions: `/actions/<name>`).
    pub fn default_path(self) -> &'static str {
        match self {
            Self::AuthValidation => "/auth_validation",
            Self::ContactSync => "/contact_sync",
            Self::InteractionRetrieval => "/interaction_update",
            Self::Action => "/actions",
            Self::AgentSync => "/agent_sync",
        }
    }

    /// The key of this endpoint in Talkdesk's integration configuration.
    pub fn configuration_key(self) -> &'static str {
        match self {
            Self::AuthValidation => "auth_validation_endpoint",
            Self::ContactSync => "contact_synchronization_endpoint",
            Self::InteractionRetrieval => "interaction_retrieval_endpoint",
            Self::Action => "endpoint",
            Self::AgentSync => "agent_synchronization_endpoint",
        }
    }
}

impl fmt::Display for EndpointKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::AuthValidation => "auth validator",
            Self::ContactSync => "contact retriever",
            Self::InteractionRetrieval => "interaction retriever",
            Self::Action => "action executor",
            Self::AgentSync => "agent retriever",
        })
    }
}

/// Everything known about an endpoint at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointInfo {
    /// Its kind.
    pub kind: EndpointKind,
    /// The path it answers `POST` on, e.g. `/actions/create_ticket`.
    pub path: &'static str,
    /// The name of the handler function.
    pub handler: &'static str,
    /// The action's name, for action executors.
    pub action: Option<&'static str>,
}

/// An endpoint a [`Bridge`](crate::Bridge) can mount. `#[bridge::…]` macros implement it for a struct named after
/// the handler function, so `.endpoint(create_ticket {})` mounts the handler `create_ticket`.
pub trait Endpoint: Send + Sync + 'static {
    /// What the endpoint is.
    fn info(&self) -> EndpointInfo;

    /// The warp filter of the endpoint, given the bridge's state and limits.
    fn mount(&self, ctx: &MountContext<'_>) -> Result<BoxedFilter<(Response,)>, BuildError>;

    /// For actions: what Talkdesk shows of it (display text, description, inputs), when the macro knows.
    fn action_spec(&self) -> Option<crate::configuration::ActionSpec> {
        None
    }
}

/// What an endpoint is mounted with: the bridge's shared state and limits.
pub struct MountContext<'a> {
    pub(crate) states: &'a StateMap,
    pub(crate) info: EndpointInfo,
    pub(crate) body_limit: usize,
    pub(crate) deadline: std::time::Duration,
}

impl MountContext<'_> {
    /// The shared state of type `T`, or a start-up error naming the handler that wants it.
    pub fn state<T: Clone + Send + Sync + 'static>(&self) -> Result<T, BuildError> {
        self.states.get::<T>().ok_or_else(|| BuildError::MissingState {
            handler: self.info.handler,
            type_name: std::any::type_name::<T>(),
        })
    }

    /// The filter that answers this endpoint's requests with `handler`: it reads and decodes the envelope
    /// `Envelope<A, M, D>`, calls `handler`, and encodes its answer or error.
    pub fn mount<A, M, D, Out, H, Fut>(&self, handler: H) -> BoxedFilter<(Response,)>
    where
        A: DeserializeOwned + Send + 'static,
        M: DeserializeOwned + Send + 'static,
        D: DeserializeOwned + Send + 'static,
        Out: Reply,
        H: Fn(Envelope<A, M, D>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Out, Error>> + Send + 'static,
    {
        pipeline::filter(self.info, self.body_limit, self.deadline, handler)
    }
}

/// Why a bridge cannot start.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// A handler takes `State<T>`, but no `T` was given to `Bridge::state`.
    MissingState {
        /// The handler's name.
        handler: &'static str,
        /// The missing state's type.
        type_name: &'static str,
    },
    /// Two endpoints answer on the same path (two actions with one name, say).
    DuplicatePath {
        /// The path.
        path: &'static str,
        /// The first handler.
        first: &'static str,
        /// The second handler.
        second: &'static str,
    },
    /// The integration's configuration is invalid.
    Configuration(crate::configuration::ConfigError),
    /// An endpoint takes a path the bridge keeps for itself.
    ReservedPath {
        /// The path.
        path: &'static str,
        /// The handler.
        handler: &'static str,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingState { handler, type_name } => write!(
                f,
                "handler `{handler}` takes `State<{type_name}>`, but no `{type_name}` was given: \
                 add `.state(…)` with a value of that type to the Bridge"
            ),
            Self::DuplicatePath { path, first, second } => write!(
                f,
                "handlers `{first}` and `{second}` both answer `POST {path}`: give one of them another \
                 action `name` or `path`"
            ),
            Self::Configuration(err) => write!(f, "invalid integration configuration: {err}"),
            Self::ReservedPath { path, handler } => {
                write!(f, "handler `{handler}` cannot answer on `{path}`: the bridge keeps that path for itself")
            }
        }
    }
}

impl std::error::Error for BuildError {}
