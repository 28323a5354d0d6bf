//! Serving a bridge: the accept loop (hyper, HTTP/1.1 keep-alive and HTTP/2) answering every connection's requests
//! with the bridge's [`BridgeService`], bounded graceful shutdown on SIGINT/SIGTERM, the listening address from the
//! environment, and a panic hook that keeps handler panics — whose messages may quote credentials — out of stderr.

use crate::builder::Bridge;
use crate::mount::BuildError;
use crate::service::BridgeService;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Once;
use std::time::Duration;
use tokio::net::TcpListener;

/// The default address when neither `BRIDGE_ADDR` nor `PORT` is set.
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";

/// How long a client may take to send a request's headers (slow-loris protection).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

impl Bridge {
    /// Starts serving on `addr` (port 0 picks a free port) and returns at once; the server runs until
    /// [`RunningBridge::shutdown`].
    pub async fn bind(self, addr: SocketAddr) -> Result<RunningBridge, ServeError> {
        let limits = Limits { grace: self.shutdown_grace, max_header_bytes: self.max_header_bytes };
        let service = self.into_service().map_err(ServeError::Build)?;
        let listener = TcpListener::bind(addr).await.map_err(|source| ServeError::Bind { addr, source })?;
        start(listener, service, limits).map_err(|source| ServeError::Bind { addr, source })
    }

    /// Serves on `BRIDGE_ADDR` (default `127.0.0.1:3000`; with only `PORT` set, `0.0.0.0:$PORT`) until SIGINT or
    /// SIGTERM, then stops accepting, lets requests in flight finish (up to the shutdown grace) and returns.
    pub async fn serve(self) -> Result<(), ServeError> {
        let running = self.bind(listen_address()?).await?;
        tracing::info!(target: "bridge::server", addr = %running.local_addr(), "listening");
        running.run_until_signal().await;
        Ok(())
    }
}

/// A bridge serving in the background.
pub struct RunningBridge {
    local_addr: SocketAddr,
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

    /// Serves until SIGINT or SIGTERM, then shuts down gracefully.
    pub async fn run_until_signal(self) {
        shutdown_signal().await;
        tracing::info!(target: "bridge::server", "shutting down");
        self.shutdown().await;
    }

    /// Stops accepting connections, lets requests in flight finish (up to the shutdown grace), and returns when
    /// the server is gone.
    pub async fn shutdown(self) {
        let _ = self.trigger.send(());
        let _ = self.task.await;
    }
}

/// What the accept loop enforces itself.
struct Limits {
    grace: Duration,
    max_header_bytes: usize,
}

fn start(listener: TcpListener, service: BridgeService, limits: Limits) -> std::io::Result<RunningBridge> {
    install_panic_hook();
    let local_addr = listener.local_addr()?;
    let (trigger, triggered) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(accept_loop(listener, service, triggered, limits));
    Ok(RunningBridge { local_addr, trigger, task })
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

async fn shutdown_signal() {
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
        () = interrupt => {}
        () = terminate => {}
    }
}

/// Panics while a request is being handled are logged with the request id and location only: their message may
/// quote the credentials the handler was using. Other panics go to the hook that was there before.
fn install_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| match crate::request_id::current() {
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

/// The address [`Bridge::serve`] listens on: `BRIDGE_ADDR` (default `127.0.0.1:3000`), or `0.0.0.0:$PORT` when
/// only `PORT` is set (the convention of most hosting platforms).
pub fn listen_address() -> Result<SocketAddr, ServeError> {
    address_from_env(std::env::var("BRIDGE_ADDR").ok(), std::env::var("PORT").ok())
}

fn address_from_env(bridge_addr: Option<String>, port: Option<String>) -> Result<SocketAddr, ServeError> {
    let text = match (bridge_addr, port) {
        (Some(addr), _) => addr,
        (None, Some(port)) => format!("0.0.0.0:{port}"),
        (None, None) => DEFAULT_ADDR.to_owned(),
    };
    text.trim().parse().map_err(|_| ServeError::BadAddress(text))
}

/// Why a bridge cannot serve.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServeError {
    /// The endpoints do not fit together.
    Build(BuildError),
    /// `BRIDGE_ADDR` or `PORT` is not an address.
    BadAddress(String),
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
            Self::BadAddress(text) => {
                write!(f, "`{text}` is not an address to listen on (expected e.g. 127.0.0.1:3000)")
            }
            Self::Bind { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
        }
    }
}

impl std::error::Error for ServeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Build(err) => Some(err),
            Self::Bind { source, .. } => Some(source),
            Self::BadAddress(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_address_from_the_environment() {
        let addr = |a: Option<&str>, p: Option<&str>| address_from_env(a.map(Into::into), p.map(Into::into));
        assert_eq!(addr(None, None).unwrap(), "127.0.0.1:3000".parse().unwrap());
        assert_eq!(addr(None, Some("8080")).unwrap(), "0.0.0.0:8080".parse().unwrap());
        assert_eq!(addr(Some("127.0.0.1:9"), Some("8080")).unwrap(), "127.0.0.1:9".parse().unwrap());
        assert!(matches!(addr(Some("nope"), None), Err(ServeError::BadAddress(_))));
    }
}
