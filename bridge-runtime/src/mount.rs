//! Mounting: the [`Endpoint`] trait the macros implement for each handler, what an endpoint is mounted with (the
//! bridge's shared state and the endpoint's deadline), and [`BuildError`], why a bridge cannot start.

use crate::configuration::{ActionSpec, ConfigError};
use crate::endpoint::EndpointInfo;
use crate::error::Error;
use crate::extract::RequestParts;
use crate::pipeline::{self, EndpointFn, Mounting};
use crate::protocol::Envelope;
use crate::reply::Reply;
use crate::state::StateMap;
use crate::tap::Tap;
use serde::de::DeserializeOwned;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// An endpoint a [`Bridge`](crate::Bridge) can mount. The `#[bridge::…]` macros implement it for a struct named
/// after the handler function, so `.endpoint(create_ticket {})` mounts the handler `create_ticket`; it is not
/// meant to be implemented by hand (mounting goes through the checks the macros generate).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an endpoint",
    label = "`.endpoint(…)` takes the struct that a `#[bridge::…]` macro generates for a function",
    note = "for a function `validate` annotated with `#[bridge::auth_validator]` (or any `#[bridge::…]` macro), write `.endpoint(validate {{}})`: the macro generates a struct named after the function"
)]
pub trait Endpoint: Send + Sync + 'static {
    /// What the endpoint is.
    fn info(&self) -> EndpointInfo;

    /// The endpoint, given the bridge's state and limits. Generated code only.
    #[doc(hidden)]
    fn mount(&self, ctx: &MountContext<'_>) -> Mounted;

    /// For actions: what Talkdesk shows of it (display text, description, inputs), when the macro knows.
    #[doc(hidden)]
    fn action_spec(&self) -> Option<ActionSpec> {
        None
    }

    /// What the attribute says the endpoint remembers: an action's `dedupe` window, an interaction retriever's
    /// `cache` time to live.
    #[doc(hidden)]
    fn remember(&self) -> Option<Duration> {
        None
    }
}

/// A mounted endpoint, or why it cannot be.
pub type Mounted = Result<MountedEndpoint, BuildError>;

/// An endpoint ready to answer requests. Only the generated-code contract makes one.
pub struct MountedEndpoint(pub(crate) EndpointFn);

/// What an endpoint is mounted with: the bridge's shared state and the endpoint's deadline.
pub struct MountContext<'a> {
    pub(crate) states: &'a Arc<StateMap>,
    pub(crate) info: EndpointInfo,
    pub(crate) deadline: Duration,
    /// The bridge's recorder of external calls, when it records.
    pub(crate) tap: Option<Arc<dyn Tap>>,
}

impl MountContext<'_> {
    /// The shared state of type `T`, or a start-up error naming the handler that wants it.
    pub(crate) fn state<T: Clone + Send + Sync + 'static>(&self) -> Result<T, BuildError> {
        self.states.get::<T>().ok_or_else(|| BuildError::MissingState {
            handler: self.info.handler,
            type_name: std::any::type_name::<T>(),
        })
    }

    /// The endpoint that answers with `handler` (see [`pipeline::endpoint`]).
    pub(crate) fn mount<A, M, D, Out, H, Fut>(&self, handler: H) -> MountedEndpoint
    where
        A: DeserializeOwned + Send + 'static,
        M: DeserializeOwned + Send + 'static,
        D: DeserializeOwned + Send + 'static,
        Out: Reply,
        H: Fn(Envelope<A, M, D>, RequestParts) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Out, Error>> + Send + 'static,
    {
        let mounting = Mounting {
            info: self.info,
            states: Arc::clone(self.states),
            deadline: self.deadline,
            tap: self.tap.clone(),
        };
        MountedEndpoint(pipeline::endpoint(mounting, handler))
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
    Configuration(ConfigError),
    /// The cassette the bridge should record its calls to (`BRIDGE_RECORD`) cannot be written.
    Record {
        /// The cassette's path.
        path: String,
        /// Why.
        reason: String,
    },
    /// A deadline is set for a path no endpoint answers on (`Bridge::deadline_for`, `BRIDGE_ENDPOINT_DEADLINES`):
    /// a misspelt path would otherwise leave its endpoint at the default deadline without a word.
    UnknownDeadlinePath {
        /// The path given.
        path: String,
        /// The paths the bridge's endpoints answer on.
        paths: Vec<&'static str>,
    },
    /// An endpoint takes a path the bridge keeps for itself.
    ReservedPath {
        /// The path.
        path: &'static str,
        /// The handler.
        handler: &'static str,
    },
    /// The store cannot be made (`BRIDGE_REDIS_URL` without `BRIDGE_STORE_KEY`, or without the `redis` feature), or
    /// what an endpoint should remember cannot be (`Bridge::dedupe` on a path no action answers…).
    Store(String),
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
            Self::Record { path, reason } => write!(f, "cannot record the external calls to `{path}`: {reason}"),
            Self::UnknownDeadlinePath { path, paths } => write!(
                f,
                "a deadline is set for `{path}`, but no endpoint answers on it (the endpoints: {})",
                if paths.is_empty() { "none".to_owned() } else { paths.join(", ") }
            ),
            Self::Store(reason) => write!(f, "the store: {reason}"),
            Self::ReservedPath { path, handler } => {
                write!(f, "handler `{handler}` cannot answer on `{path}`: the bridge keeps that path for itself")
            }
        }
    }
}

impl std::error::Error for BuildError {}
