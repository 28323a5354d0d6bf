//! The author's readiness check: what `GET /ready` asks of the bridge's own dependencies (its database pool, say)
//! beyond "not draining".
//!
//! An orchestrator probes `/ready` every few seconds with a short timeout, and a replica that fails it is taken
//! out of the load balancer. The check therefore never runs on the probe's path nor on a request's: `/ready`
//! answers at once from the last verdict, and a verdict older than [`ReadinessCheck::every`] starts one new check
//! in the background (never two at once), bounded by [`ReadinessCheck::timeout`]. The first check starts when the
//! bridge is built inside a runtime (or at the first probe); until it ends, `/ready` answers `503`
//! `{"status":"checking"}`. A failing check answers `503` `{"status":"unready"}`: the reason is logged (at `warn`,
//! once per change), never put in the answer, which any caller can read.

use futures_util::future::BoxFuture;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::time::Instant;

/// What a bridge checks before it says it is ready: give it with [`Bridge::readiness_check`](crate::Bridge::readiness_check).
///
/// Check what this replica owns and a restart or another replica could fix: its database pool, a file it needs.
/// Do **not** check the external service the bridge adapts: when Zendesk is down it is down for every replica, a
/// readiness check that follows it takes them all out of the load balancer at once, and Talkdesk then gets
/// connection errors instead of the bridge's `502` that says what happened.
///
/// ```
/// use bridge::{Bridge, ReadinessCheck};
/// use std::time::Duration;
///
/// # #[derive(Clone)] struct Pool;
/// # impl Pool { async fn ping(&self) -> Result<(), String> { Ok(()) } }
/// let pool = Pool; // a database pool, cheap to clone
/// let bridge = Bridge::new().readiness_check(
///     ReadinessCheck::new(move || {
///         let pool = pool.clone();
///         async move { pool.ping().await }
///     })
///     .every(Duration::from_secs(5))
///     .timeout(Duration::from_secs(1)),
/// );
/// # let _ = bridge;
/// ```
pub struct ReadinessCheck {
    check: Box<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>,
    every: Duration,
    timeout: Duration,
}

impl ReadinessCheck {
    /// A check that runs `check`: `Ok(())` is ready, an error is not (its text is logged, never answered). By
    /// default it runs at most once every 5 s and is given 2 s.
    pub fn new<F, Fut, E>(check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: fmt::Display,
    {
        let check = move || -> BoxFuture<'static, Result<(), String>> {
            let future = check();
            Box::pin(async move { future.await.map_err(|err| err.to_string()) })
        };
        Self { check: Box::new(check), every: Duration::from_secs(5), timeout: Duration::from_secs(2) }
    }

    /// How old a verdict may be before a probe starts a new check (5 s by default): how long a replica whose
    /// database went away may still be called ready.
    pub fn every(mut self, every: Duration) -> Self {
        self.every = every;
        self
    }

    /// This check, then `other` when it passed: both must pass.
    pub(crate) fn and<F, Fut>(self, other: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        let first = self.check;
        let check = move || -> BoxFuture<'static, Result<(), String>> {
            let (first, second) = (first(), other());
            Box::pin(async move {
                first.await?;
                second.await
            })
        };
        Self { check: Box::new(check), ..self }
    }

    /// How long a check may take before it counts as failed (2 s by default).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

impl fmt::Debug for ReadinessCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadinessCheck")
            .field("every", &self.every)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// What `/ready` says of the bridge's own dependencies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// No check has ended yet.
    Checking,
    Ready,
    Unready,
}

/// The last verdict, and whether a check is running.
#[derive(Debug)]
struct State {
    verdict: Verdict,
    checked_at: Option<Instant>,
    running: bool,
}

/// A check and its cached verdict, shared by `/ready` and the checks it starts.
pub(crate) struct Readiness {
    check: ReadinessCheck,
    state: Mutex<State>,
}

impl Readiness {
    pub(crate) fn new(check: ReadinessCheck) -> Arc<Self> {
        Arc::new(Self {
            check,
            state: Mutex::new(State { verdict: Verdict::Checking, checked_at: None, running: false }),
        })
    }

    /// The last verdict, at once; starts a check in the background when that verdict is older than
    /// [`ReadinessCheck::every`] and none is running (outside a Tokio runtime, none is started).
    pub(crate) fn verdict(self: &Arc<Self>) -> Verdict {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let stale = state.checked_at.is_none_or(|at| at.elapsed() >= self.check.every);
        if stale && !state.running {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                state.running = true;
                runtime.spawn(Arc::clone(self).run());
            }
        }
        state.verdict
    }

    /// One check, in a task of its own so that a panic in it is a failed check, not a stuck one.
    async fn run(self: Arc<Self>) {
        let mut task = tokio::spawn((self.check.check)());
        let outcome = match tokio::time::timeout(self.check.timeout, &mut task).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err("the readiness check panicked".to_owned()),
            Err(_) => {
                task.abort();
                Err(format!("the readiness check did not end within {:?}", self.check.timeout))
            }
        };
        let verdict = if outcome.is_ok() { Verdict::Ready } else { Verdict::Unready };
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let before = std::mem::replace(&mut state.verdict, verdict);
        state.checked_at = Some(Instant::now());
        state.running = false;
        drop(state);
        match outcome {
            Err(reason) if before != Verdict::Unready => {
                tracing::warn!(target: "bridge::ready", %reason, "not ready: GET /ready answers 503");
            }
            Ok(()) if before != Verdict::Ready => tracing::info!(target: "bridge::ready", "ready"),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// Asks until the verdict is no longer `Checking`, or `limit` passes.
    async fn settled(readiness: &Arc<Readiness>) -> Verdict {
        for _ in 0..200 {
            match readiness.verdict() {
                Verdict::Checking => tokio::time::sleep(Duration::from_millis(5)).await,
                verdict => return verdict,
            }
        }
        panic!("the check never ended");
    }

    fn counting(ok: Arc<AtomicBool>, runs: Arc<AtomicUsize>) -> ReadinessCheck {
        ReadinessCheck::new(move || {
            runs.fetch_add(1, Ordering::SeqCst);
            let ok = ok.load(Ordering::SeqCst);
            async move {
                if ok {
                    Ok(())
                } else {
                    Err("the database is away")
                }
            }
        })
    }

    // Paused: the clock moves only when every task waits, so "within `every`" cannot be stretched by a busy machine.
    #[tokio::test(start_paused = true)]
    async fn follows_the_check_and_caches_its_verdict() {
        let (ok, runs) = (Arc::new(AtomicBool::new(true)), Arc::new(AtomicUsize::new(0)));
        let readiness = Readiness::new(counting(Arc::clone(&ok), Arc::clone(&runs)).every(Duration::from_millis(60)));
        assert_eq!(readiness.verdict(), Verdict::Checking);
        assert_eq!(settled(&readiness).await, Verdict::Ready);
        ok.store(false, Ordering::SeqCst);
        // Within `every`, probes are answered from the cache: no check runs.
        for _ in 0..20 {
            assert_eq!(readiness.verdict(), Verdict::Ready);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_millis(70)).await;
        // The stale verdict is answered at once, and one check starts.
        assert_eq!(readiness.verdict(), Verdict::Ready);
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(readiness.verdict(), Verdict::Unready);
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn never_runs_two_checks_at_once() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&runs);
        let check = ReadinessCheck::new(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                Ok::<_, String>(())
            }
        })
        .every(Duration::ZERO);
        let readiness = Readiness::new(check);
        for _ in 0..10 {
            assert_eq!(readiness.verdict(), Verdict::Checking);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(settled(&readiness).await, Verdict::Ready);
    }

    #[tokio::test]
    async fn a_check_that_hangs_or_panics_fails() {
        let hangs = ReadinessCheck::new(std::future::pending::<Result<(), String>>).timeout(Duration::from_millis(20));
        let started = std::time::Instant::now();
        assert_eq!(settled(&Readiness::new(hangs)).await, Verdict::Unready);
        assert!(started.elapsed() < Duration::from_millis(900));

        let panics = ReadinessCheck::new(|| async { panic!("boom") as Result<(), String> });
        assert_eq!(settled(&Readiness::new(panics)).await, Verdict::Unready);
    }

    #[test]
    fn outside_a_runtime_no_check_starts() {
        let readiness = Readiness::new(ReadinessCheck::new(|| async { Ok::<_, String>(()) }));
        assert_eq!(readiness.verdict(), Verdict::Checking);
        assert!(!readiness.state.lock().unwrap().running);
    }

    #[test]
    fn debug_shows_the_timings_only() {
        let check = ReadinessCheck::new(|| async { Ok::<_, String>(()) }).timeout(Duration::from_secs(1));
        assert_eq!(format!("{check:?}"), "ReadinessCheck { every: 5s, timeout: 1s, .. }");
    }
}
