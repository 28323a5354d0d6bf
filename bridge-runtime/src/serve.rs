//! Serving a bridge: the accept loop (hyper, HTTP/1.1 keep-alive and HTTP/2) answering every connection's requests
//! with the bridge's [`BridgeService`], draining then bounded graceful shutdown on SIGINT/SIGTERM, the listening
//! addresses of its [`Settings`] (the bridge's, and an optional separate one for `GET /metrics`), and a panic hook
//! that keeps handler panics — whose messages may quote credentials — out of stderr.
//!
//! On SIGTERM a bridge behind a load balancer must not drop a call: it first stops being ready (`GET /ready`
//! answers `503`) while it still serves everything for the drain delay, so that the load balancer stops sending;
//! then it stops accepting, and finishes what is in flight within the shutdown grace.

use crate::builder::Bridge;
use crate::error::{Error, ErrorKind};
use crate::mount::BuildError;
use crate::own_routes::metrics_response;
use crate::reply::error_response;
use crate::service::BridgeService;
use crate::settings::{Settings, SettingsError};
use crate::telemetry::Metrics;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::fmt;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::sync::{Arc, Once};
use std::time::Duration;
use tokio::net::TcpListener;

/// How long a client may take to send a request's headers (slow-loris protection).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

impl Bridge {
    /// Starts serving on `addr` (port 0 picks a free port) and returns at once; the server runs until
    /// [`RunningBridge::shutdown`]. It uses the settings code gave: the environment is not read (see
    /// [`Bridge::with_env`] and [`Bridge::start`]).
    ///
    /// With a metrics address set ([`Settings::metrics_addr`]), `GET /metrics` is also served there, without the
    /// inbound token: a port for Prometheus inside the cluster, not to be exposed to the internet.
    pub async fn bind(self, addr: SocketAddr) -> Result<RunningBridge, ServeError> {
        let (service, settings) = self.into_parts().map_err(ServeError::Build)?;
        start(addr, service, settings).await
    }

    /// Starts serving on the address of its settings ([`Settings::addr`], default `127.0.0.1:3000`) and returns
    /// at once, like [`bind`](Self::bind). Call [`with_env`](Self::with_env) first to take the address and the
    /// other settings code left unset from the environment.
    pub async fn start(self) -> Result<RunningBridge, ServeError> {
        let addr = self.current_settings().addr_value();
        self.bind(addr).await
    }

    /// Applies the environment to the settings code left unset ([`Bridge::with_env`]: `BRIDGE_ADDR` or `PORT`,
    /// `BRIDGE_TOKEN`… see [`settings`](crate::settings)), serves until SIGINT or SIGTERM, then drains (see
    /// [`RunningBridge::run_until_signal`]) and returns.
    ///
    /// Without a `tracing` subscriber of the author's, it logs to stderr (see [`RunningBridge::run_until_signal`]).
    pub async fn serve(self) -> Result<(), ServeError> {
        let running = self.with_env().map_err(ServeError::Setting)?.start().await?;
        running.run_until_signal().await;
        Ok(())
    }
}

/// Binds `addr` (and the metrics address, if any) and serves `service` in the background.
async fn start(addr: SocketAddr, service: BridgeService, settings: Settings) -> Result<RunningBridge, ServeError> {
    let bind_error = |addr| move |source| ServeError::Bind { addr, source };
    let listener = TcpListener::bind(addr).await.map_err(bind_error(addr))?;
    let local_addr = listener.local_addr().map_err(bind_error(addr))?;
    // Both listeners are bound before anything is spawned: a metrics address that cannot be had leaves no server
    // running behind the error.
    let metrics_listener = match settings.metrics_addr_value() {
        Some(addr) => {
            let listener = TcpListener::bind(addr).await.map_err(bind_error(addr))?;
            Some((listener.local_addr().map_err(bind_error(addr))?, listener))
        }
        None => None,
    };
    install_panic_hook();
    let (trigger, triggered) = tokio::sync::oneshot::channel::<()>();
    let limits = Limits { grace: settings.shutdown_grace_value(), max_header_bytes: settings.max_header_bytes_value() };
    let task = tokio::spawn(accept_loop(listener, service.clone(), triggered, limits));
    let metrics = metrics_listener
        .map(|(local, listener)| (local, tokio::spawn(serve_metrics(listener, Arc::clone(service.metrics())))));
    Ok(RunningBridge { local_addr, service, settings, metrics, trigger, task })
}

/// A bridge serving in the background.
pub struct RunningBridge {
    local_addr: SocketAddr,
    service: BridgeService,
    settings: Settings,
    metrics: Option<(SocketAddr, tokio::task::JoinHandle<()>)>,
    trigger: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningBridge {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://<address>`, to build request URLs from.
    pub fn url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// The address `GET /metrics` is served on apart, when one is set ([`Settings::metrics_addr`]).
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(addr, _)| *addr)
    }

    /// Serves until SIGINT or SIGTERM, then drains: `GET /ready` answers `503` at once while every request is
    /// still served for the drain delay ([`Bridge::drain_delay`]; a second signal cuts it short), then the bridge
    /// stops accepting and lets requests in flight finish (up to the shutdown grace). Ctrl-C in a terminal (SIGINT
    /// with stdin a terminal) skips the drain delay: no load balancer is sending there, and the port is free at
    /// once for the next run; the log line says so.
    ///
    /// Unless a global `tracing` subscriber is already installed, it installs one first: the listening address and
    /// a line per request on stderr, filtered by the settings' log filter (`RUST_LOG` when served; default
    /// `info`), coloured only on a terminal, as JSON lines with [`LogFormat::Json`](crate::settings::LogFormat::Json) (`BRIDGE_LOG_FORMAT=json`).
    pub async fn run_until_signal(self) {
        crate::logs::install_default(self.settings.log_filter_value(), self.settings.log_format_value());
        tracing::info!(target: "bridge::server", addr = %self.local_addr, "listening");
        if let Some(addr) = self.metrics_addr() {
            tracing::info!(target: "bridge::server", addr = %addr, "serving GET /metrics");
        }
        let signal = shutdown_signal().await;
        self.service.start_draining();
        let drain_delay = drain_delay_after(signal, self.settings.drain_delay_value(), std::io::stdin().is_terminal());
        if drain_delay.is_zero() && !self.settings.drain_delay_value().is_zero() {
            tracing::info!(target: "bridge::server", "{}", signal.why_no_drain());
        } else {
            tracing::info!(
                target: "bridge::server",
                drain_ms = u64::try_from(drain_delay.as_millis()).unwrap_or(u64::MAX),
                "draining: /ready answers 503, requests are still served until the drain delay is over (a second \
                 signal stops at once)"
            );
            tokio::select! {
                () = tokio::time::sleep(drain_delay) => {}
                _ = shutdown_signal() => {}
            }
        }
        tracing::info!(target: "bridge::server", "shutting down");
        self.shutdown().await;
    }

    /// Stops accepting connections, lets requests in flight finish (up to the shutdown grace), and returns when
    /// the server is gone.
    pub async fn shutdown(self) {
        self.service.start_draining();
        let _ = self.trigger.send(());
        let _ = self.task.await;
        if let Some((_, task)) = self.metrics {
            task.abort();
        }
    }
}

/// What the accept loop enforces itself.
struct Limits {
    grace: Duration,
    max_header_bytes: usize,
}

/// `GET /metrics` on its own listener (and `404` for anything else).
async fn serve_metrics(listener: TcpListener, metrics: Arc<Metrics>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let metrics = Arc::clone(&metrics);
        tokio::spawn(async move {
            let answer = hyper::service::service_fn(move |request: http::Request<hyper::body::Incoming>| {
                let response = if request.uri().path() == "/metrics" && request.method() == http::Method::GET {
                    metrics_response(&metrics)
                } else {
                    error_response(&Error::new(ErrorKind::NotFound, "this port serves GET /metrics only"))
                };
                std::future::ready(Ok::<_, Infallible>(response))
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), answer)
                .await;
        });
    }
}

async fn accept_loop(
    listener: TcpListener,
    service: BridgeService,
    mut triggered: tokio::sync::oneshot::Receiver<()>,
    limits: Limits,
) {
    // The gate answers a head past the limit with a JSON `431`; a connection buffers at most twice the limit (hyper's
    // floor is 8 KiB) before hyper answers `431` itself, without a body.
    let buffer = (limits.max_header_bytes.saturating_mul(2)).max(8192);
    let graceful = GracefulShutdown::new();
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    // Out of file descriptors, say: wait a little rather than spin.
                    tracing::warn!(target: "bridge::server", error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut triggered => break,
        };
        let _ = stream.set_nodelay(true);
        let service = service.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let mut builder = auto::Builder::new(TokioExecutor::new());
            builder.http1().timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT).max_buf_size(buffer);
            builder.http2().max_header_list_size(u32::try_from(buffer).unwrap_or(u32::MAX));
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            if let Err(err) = watcher.watch(connection).await {
                tracing::debug!(target: "bridge::server", error = %err, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.grace, graceful.shutdown()).await.is_err() {
        tracing::warn!(target: "bridge::server", "requests still in flight after the shutdown grace were dropped");
    }
}

/// The signal that stops a bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signal {
    /// SIGINT: Ctrl-C.
    Interrupt,
    /// SIGTERM: an orchestrator's.
    Terminate,
}

impl Signal {
    fn why_no_drain(self) -> &'static str {
        match self {
            Self::Interrupt => "interrupted from a terminal: no drain delay, the port is free at once",
            Self::Terminate => "no drain delay",
        }
    }
}

/// The drain delay a bridge waits after `signal`: none for Ctrl-C in a terminal, where no load balancer is
/// sending and whoever pressed it wants the port back for the next run; else the setting's.
fn drain_delay_after(signal: Signal, setting: Duration, stdin_is_a_terminal: bool) -> Duration {
    if signal == Signal::Interrupt && stdin_is_a_terminal {
        Duration::ZERO
    } else {
        setting
    }
}

async fn shutdown_signal() -> Signal {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => Signal::Interrupt,
        () = terminate => Signal::Terminate,
    }
}

/// Panics while a request is being handled are logged with the request id and location only: their message may
/// quote the credentials the handler was using. Other panics go to the hook that was there before.
fn install_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| match crate::scope::request_id() {
            Some(id) => tracing::error!(
                target: "bridge::request",
                request_id = %id,
                location = %info.location().map(|l| l.to_string()).unwrap_or_default(),
                "the handler panicked (its message is withheld: it may quote credentials)"
            ),
            None => previous(info),
        }));
    });
}

/// Why a bridge cannot serve.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServeError {
    /// The endpoints do not fit together.
    Build(BuildError),
    /// An environment variable does not parse.
    Setting(SettingsError),
    /// The address cannot be listened on.
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Build(err) => err.fmt(f),
            Self::Setting(err) => err.fmt(f),
            Self::Bind { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
        }
    }
}

impl std::error::Error for ServeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Build(err) => Some(err),
            Self::Bind { source, .. } => Some(source),
            Self::Setting(err) => Some(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctrl_c_in_a_terminal_does_not_wait_for_a_load_balancer() {
        let setting = Duration::from_secs(5);
        assert_eq!(drain_delay_after(Signal::Interrupt, setting, true), Duration::ZERO);
        assert_eq!(drain_delay_after(Signal::Interrupt, setting, false), setting, "SIGINT from a supervisor");
        assert_eq!(drain_delay_after(Signal::Terminate, setting, true), setting);
        assert_eq!(drain_delay_after(Signal::Terminate, setting, false), setting);
        assert!(Signal::Interrupt.why_no_drain().contains("terminal"));
    }
}
