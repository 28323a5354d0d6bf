//! The [`Bridge`] builder: the endpoints, their shared state, the integration's description and the limits, put
//! together into one [`BridgeService`] (checked: a missing state, two endpoints on one path or invalid
//! configuration metadata is a [`BuildError`] before anything is served). Serving it is the `serve` module's job.

use crate::configuration::{ActionSpec, ConfigError, Documents, Integration};
use crate::endpoint::{EndpointInfo, EndpointKind};
use crate::gate::{EndpointRoute, Gate};
use crate::mount::{BuildError, Endpoint, MountContext};
use crate::own_routes::{self, OwnRoutes};
use crate::readiness::{Readiness, ReadinessCheck};
use crate::secret::Secret;
use crate::service::BridgeService;
use crate::settings::{LogFormat, Settings, SettingsError};
use crate::state::StateMap;
use crate::tap::Tap;
use crate::telemetry::{Metrics, OTHER};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// A bridge: its endpoints, their shared state and the server's settings.
///
/// Each setting has a method of its own (`body_limit`, `deadline`, `deadline_for`, `drain_delay`…), generated with
/// [`Settings`]' from the one table of settings: see [`settings`](crate::settings).
///
/// ```no_run
/// # async fn run() -> Result<(), bridge::ServeError> {
/// use bridge::Bridge;
/// # #[derive(Clone)] struct Store;
/// # let store = Store;
/// Bridge::new()
///     .state(store)
///     // .endpoint(validate {}).endpoint(contacts {}) …, one per `#[bridge::…]` function
///     .serve()
///     .await
/// # }
/// ```
pub struct Bridge {
    states: StateMap,
    endpoints: Vec<Box<dyn Endpoint>>,
    /// Every setting, each one's method generated from the table in `settings.rs`.
    settings: Settings,
    integration: Option<Integration>,
    readiness: Option<ReadinessCheck>,
}

impl Default for Bridge {
    fn default() -> Self {
        Self::new()
    }
}

impl Bridge {
    /// A bridge with no endpoints yet.
    pub fn new() -> Self {
        Self {
            states: StateMap::default(),
            endpoints: Vec::new(),
            settings: Settings::new(),
            integration: None,
            readiness: None,
        }
    }

    /// Shares `value` with every handler that takes a `State<T>` of its type. One value per type: a second call
    /// with the same type replaces the first.
    pub fn state<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.states.insert(value);
        self
    }

    /// What `GET /ready` checks besides "not draining": the bridge's own dependencies, a database pool say
    /// (see [`ReadinessCheck`] for what to check and what not). `/ready` answers from the last verdict at once;
    /// the check runs in the background, never on a request's path. A second call replaces the first.
    pub fn readiness_check(mut self, check: ReadinessCheck) -> Self {
        self.readiness = Some(check);
        self
    }

    /// Mounts an endpoint: `.endpoint(handler_name {})` for a function annotated with a `#[bridge::…]` macro.
    pub fn endpoint(mut self, endpoint: impl Endpoint) -> Self {
        self.endpoints.push(Box::new(endpoint));
        self
    }

    /// Describes the integration, so that the bridge serves its configuration documents at `GET /configuration`
    /// (checked when the bridge is built: invalid metadata is a start-up error).
    pub fn integration(mut self, integration: Integration) -> Self {
        self.integration = Some(integration);
        self
    }

    /// Replaces every setting at once (the methods above each change one).
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// The settings as code left them (before any environment is applied).
    pub fn current_settings(&self) -> &Settings {
        &self.settings
    }

    /// Fills the settings code left unset from the process's environment ([`Settings::overlay_process_env`]):
    /// what [`serve`](Self::serve) and the command line do first. A bridge turned into a service or bound to an
    /// address without it never reads the environment.
    pub fn with_env(mut self) -> Result<Self, SettingsError> {
        self.settings = self.settings.overlay_process_env()?;
        Ok(self)
    }

    /// [`with_env`](Self::with_env) of the `variables` named only: what a command that does not serve reads.
    pub(crate) fn env_only(mut self, variables: &[&str]) -> Result<Self, SettingsError> {
        self.settings = self.settings.overlay_only(variables, crate::settings::process_env)?;
        Ok(self)
    }

    /// The configuration documents for a bridge reachable at `public_url`.
    pub fn configuration(&self, public_url: &str) -> Result<Documents, BuildError> {
        let integration = self.integration.as_ref().ok_or(missing_integration())?;
        let (endpoints, described) = self.described();
        integration.documents(public_url, &endpoints, &described).map_err(BuildError::Configuration)
    }

    /// The mounted endpoints, in mounting order.
    pub fn endpoints(&self) -> impl Iterator<Item = EndpointInfo> + '_ {
        self.endpoints.iter().map(|e| e.info())
    }

    /// The bridge as a service, to serve, to mount in another server, or to call in process. Fails when a
    /// handler's state is missing, two endpoints share a path, or the configuration metadata is invalid.
    ///
    /// It uses the settings code gave ([`Bridge::settings`] and the methods above) and never reads the
    /// environment: in a test, a bridge behaves the same whatever the shell exports.
    pub fn into_service(self) -> Result<BridgeService, BuildError> {
        self.into_parts().map(|(service, _)| service)
    }

    /// The service and the settings it was built with, for serving.
    pub(crate) fn into_parts(self) -> Result<(BridgeService, Settings), BuildError> {
        let describes = self.integration.is_some();
        let mut seen: Vec<EndpointInfo> = Vec::new();
        for info in self.endpoints() {
            if own_routes::reserves(info.path, describes) {
                return Err(BuildError::ReservedPath { path: info.path, handler: info.handler });
            }
            if let Some(first) = seen.iter().find(|s| s.path == info.path) {
                return Err(BuildError::DuplicatePath { path: info.path, first: first.handler, second: info.handler });
            }
            seen.push(info);
        }
        let metrics = Arc::new(Metrics::default());
        let draining = Arc::new(AtomicBool::new(false));
        let configuration = match self.integration.clone() {
            Some(integration) => {
                let (endpoints, described) = self.described();
                Some(
                    own_routes::configuration(integration, endpoints, described, self.settings.public_url_value())
                        .map_err(BuildError::Configuration)?,
                )
            }
            None => None,
        };
        let readiness = self.readiness.map(Readiness::new);
        if let Some(readiness) = &readiness {
            // The first check starts now when built inside a runtime, so the first probe may already find it done.
            readiness.verdict();
        }
        let own = OwnRoutes::new(Arc::clone(&draining), readiness, Arc::clone(&metrics), configuration);
        let mut endpoints = Vec::with_capacity(self.endpoints.len());
        let states = Arc::new(self.states);
        let settings = self.settings;
        let tap = recorder(&settings)?;
        if let Some((path, _)) =
            settings.deadlines_value().iter().find(|(path, _)| !seen.iter().any(|s| s.path == path))
        {
            let paths = seen.iter().map(|info| info.path).collect();
            return Err(BuildError::UnknownDeadlinePath { path: path.clone(), paths });
        }
        for (endpoint, info) in self.endpoints.iter().zip(seen) {
            let deadline = settings.deadline_of(info.path);
            let ctx = MountContext { states: &states, info, deadline, tap: tap.clone() };
            let call = endpoint.mount(&ctx)?.0;
            let endpoint_metrics = metrics.endpoint(info.path, info.kind == EndpointKind::ContactSync);
            endpoints.push(EndpointRoute { info, call, metrics: endpoint_metrics });
        }
        let gate = Gate {
            endpoints,
            own,
            in_flight: Arc::new(Semaphore::new(settings.max_in_flight_value())),
            token: settings.inbound_token_value().cloned(),
            body_limit: settings.body_limit_value(),
            max_header_bytes: settings.max_header_bytes_value(),
            other: metrics.endpoint(OTHER, false),
            metrics,
            draining,
        };
        Ok((BridgeService::new(gate), settings))
    }

    fn described(&self) -> (Vec<EndpointInfo>, Vec<ActionSpec>) {
        (self.endpoints().collect(), self.endpoints.iter().filter_map(|e| e.action_spec()).collect())
    }
}

/// The recorder of the bridge's external calls, when its settings ask for one (feature `client`: without it, the
/// bridge makes no calls to record).
fn recorder(settings: &Settings) -> Result<Option<Arc<dyn Tap>>, BuildError> {
    let Some(path) = settings.record_value() else {
        return Ok(None);
    };
    #[cfg(feature = "client")]
    {
        let recorder = crate::recording::recorder::Recorder::create(path)
            .map_err(|reason| BuildError::Record { path: path.display().to_string(), reason })?;
        Ok(Some(Arc::new(recorder)))
    }
    #[cfg(not(feature = "client"))]
    {
        let _ = path;
        Ok(None)
    }
}

/// A method of [`Bridge`] per setting, from the table of the settings (`settings.rs`): each sets it in the
/// [`Settings`] the bridge is built with.
macro_rules! bridge_methods {
    (@rows $(
        $(#[$doc:meta])*
        $name:ident: $stored:ty {
            $mode:ident($($param:ident: $param_ty:ty),*) = $store:expr;
            $($rest:tt)*
        }
    )*) => {
        impl Bridge {
            $(
                $(#[$doc])*
                pub fn $name(mut self, $($param: $param_ty),*) -> Self {
                    self.settings = self.settings.$name($($param),*);
                    self
                }
            )*
        }
    };
}

crate::settings::with_settings!(bridge_methods);

fn missing_integration() -> BuildError {
    BuildError::Configuration(ConfigError::Missing("integration (Bridge::integration)"))
}
