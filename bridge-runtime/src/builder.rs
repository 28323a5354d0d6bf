//! The [`Bridge`] builder: the endpoints, their shared state, the integration's description and the limits, put
//! together into one [`BridgeService`] (checked: a missing state, two endpoints on one path or invalid
//! configuration metadata is a [`BuildError`] before anything is served). Serving it is the `serve` module's job.

use crate::configuration::{ActionSpec, ConfigError, Documents, Integration};
use crate::endpoint::{EndpointInfo, EndpointKind};
use crate::gate::{EndpointRoute, Gate};
use crate::memory::{Memory, Remember};
use crate::mount::{BuildError, Endpoint, MountContext};
use crate::own_routes::{self, OwnRoutes};
use crate::readiness::{Readiness, ReadinessCheck};
use crate::secret::Secret;
use crate::service::BridgeService;
use crate::settings::{LogFormat, Settings, SettingsError};
use crate::state::StateMap;
use crate::store::Store;
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
    remembered: Vec<(String, Duration)>,
    store: Option<Store>,
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
            remembered: Vec::new(),
            store: None,
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

    /// Makes the action on `path` (e.g. `/actions/create_ticket`) run once: the same action with the same `auth`,
    /// `meta` and `data` within `window` is not run again, on this replica or any other sharing its store; a repeat
    /// gets the first run's `201` answer, and one that arrives while the first still runs waits for it (within its
    /// own deadline). A failed run is not remembered. As `dedupe = "10m"` in `#[bridge::action_executor]`; a
    /// `window` of zero turns the attribute's off.
    ///
    /// The store is in process by default, Redis with `BRIDGE_REDIS_URL` (see [`store`](crate::store) and the
    /// replicas chapter, `docs/replicas.md`).
    pub fn dedupe(mut self, path: impl Into<String>, window: Duration) -> Self {
        self.remembered.push((path.into(), window));
        self
    }

    /// Caches the answers of the interaction retriever on `path` (e.g. `/interaction_update`) for `ttl`: identical
    /// lookups at once make one call upstream (single flight), later ones within `ttl` none, and replicas sharing a
    /// store share the answers. An action run for a contact (with [`dedupe`](Self::dedupe)) drops that contact's
    /// cached lookups. As `cache = "30s"` in `#[bridge::interaction_retriever]`; a `ttl` of zero turns the
    /// attribute's off.
    pub fn cache(mut self, path: impl Into<String>, ttl: Duration) -> Self {
        self.remembered.push((path.into(), ttl));
        self
    }

    /// The store [`dedupe`](Self::dedupe) and [`cache`](Self::cache) remember in, instead of the one the settings
    /// choose (in process, or Redis with `BRIDGE_REDIS_URL`).
    pub fn store(mut self, store: Store) -> Self {
        self.store = Some(store);
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
        let remembers = self.remembers(&seen)?;
        let store = match (self.store.clone(), remembers.is_empty()) {
            (Some(store), _) => Some(store),
            (None, _) if self.settings.redis_url_value().is_some() => Some(shared_store(&self.settings)?),
            (None, false) => Some(Store::in_process()),
            (None, true) => None,
        };
        let mut readiness = self.readiness;
        if let (true, Some(store)) = (self.settings.store_required_value(), &store) {
            readiness = Some(store_readiness(store.clone(), readiness));
        }
        let memory = store.map(|store| Memory::new(store, Arc::clone(&metrics)));
        let readiness = readiness.map(Readiness::new);
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
            let mut call = endpoint.mount(&ctx)?.0;
            if let (Some(remember), Some(memory)) = (remembers.iter().find(|(path, _)| *path == info.path), &memory) {
                call = memory.wrap(call, info, remember.1, deadline);
            }
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

    /// What each endpoint remembers: from its attribute, then from `dedupe`/`cache` (the last call wins).
    fn remembers(&self, endpoints: &[EndpointInfo]) -> Result<Vec<(&'static str, Remember)>, BuildError> {
        let mut remembers = Vec::new();
        let asked = self.endpoints.iter().filter_map(|e| e.remember().map(|d| (e.info(), d)));
        let by_path = self.remembered.iter().map(|(path, duration)| {
            let info = endpoints.iter().find(|info| info.path == path).copied();
            info.map(|info| (info, *duration)).ok_or_else(|| {
                BuildError::Store(format!("`dedupe`/`cache` names `{path}`, but no endpoint answers on that path"))
            })
        });
        for found in asked.map(Ok).chain(by_path) {
            let (info, duration) = found?;
            remembers.retain(|(path, _)| *path != info.path);
            if duration.is_zero() {
                continue; // a zero window turns off what the attribute asked for
            }
            let remember = Remember::of(info.kind, duration)
                .map_err(|why| BuildError::Store(format!("`{}` cannot be remembered: {why}", info.path)))?;
            remembers.push((info.path, remember));
        }
        Ok(remembers)
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

/// The Redis store the settings ask for (`BRIDGE_REDIS_URL`, `BRIDGE_STORE_KEY`).
fn shared_store(settings: &Settings) -> Result<Store, BuildError> {
    let Some(key) = settings.store_key_value() else {
        return Err(BuildError::Store(
            "BRIDGE_REDIS_URL is set but BRIDGE_STORE_KEY is not: give every replica the same secret of 32 bytes or \
             more (e.g. `openssl rand -base64 32`, as a Kubernetes Secret)"
                .into(),
        ));
    };
    #[cfg(feature = "redis")]
    {
        let url = settings.redis_url_value().cloned().unwrap_or_else(|| Secret::new(""));
        Store::redis(&url, key).map_err(|err| BuildError::Store(err.to_string()))
    }
    #[cfg(not(feature = "redis"))]
    {
        let _ = key;
        Err(BuildError::Store(
            "BRIDGE_REDIS_URL is set but this bridge is built without the `redis` feature: enable it \
             (`talkdesk-bridge = { features = [\"redis\"] }`) or unset BRIDGE_REDIS_URL"
                .into(),
        ))
    }
}

/// The bridge's readiness when the operator requires the store (`BRIDGE_STORE_REQUIRED`): the store answers, and
/// the author's check, if any, passes.
fn store_readiness(store: Store, author: Option<ReadinessCheck>) -> ReadinessCheck {
    let ping = move || {
        let store = store.clone();
        async move { store.ping().await.map_err(|err| err.to_string()) }
    };
    match author {
        Some(check) => check.and(ping),
        None => ReadinessCheck::new(ping),
    }
}

fn missing_integration() -> BuildError {
    BuildError::Configuration(ConfigError::Missing("integration (Bridge::integration)"))
}
