//! Serving a bridge: the accept loop (hyper, HTTP/1.1 keep-alive and HTTP/2), each connection's requests through
//! the [`Gate`](crate::gate), bounded graceful shutdown, and a panic hook that keeps handler panics — whose messages
//! may quote credentials — out of stderr.

use crate::gate::{Gate, Routes};
use crate::server::ServerLimits;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::net::SocketAddr;
use std::sync::{Arc, Once};
use std::time::Duration;
use tokio::net::TcpListener;
use warp::reply::Response;
use warp::Filter;

/// How long a client may take to send a request's headers (slow-loris protection).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

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

pub(crate) fn start(listener: TcpListener, routes: Routes, limits: ServerLimits) -> std::io::Result<RunningBridge> {
    install_panic_hook();
    let local_addr = listener.local_addr()?;
    let gate = Arc::new(crate::gate::gate(routes, limits.max_in_flight, limits.inbound_token));
    let (trigger, triggered) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(accept_loop(listener, gate, triggered, limits.shutdown_grace));
    Ok(RunningBridge { local_addr, trigger, task })
}

async fn accept_loop<E>(
    listener: TcpListener,
    gate: Arc<Gate<E>>,
    mut triggered: tokio::sync::oneshot::Receiver<()>,
    grace: Duration,
) where
    E: Filter<Extract = (Response,), Error = std::convert::Infallible> + Clone + Send + Sync + 'static,
{
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
        let gate = Arc::clone(&gate);
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| Arc::clone(&gate).handle(request));
            let mut builder = auto::Builder::new(TokioExecutor::new());
            builder.http1().timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT);
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            if let Err(err) = watcher.watch(connection).await {
                tracing::debug!(target: "bridge::server", error = %err, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown()).await.is_err() {
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
