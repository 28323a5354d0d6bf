//! Pacing calls on the rate budget the service reports, so that a bridge waits for the service's next window
//! instead of sending into a `429`, and so that several replicas share one account's budget with no store of their
//! own: each reads what is left from the service itself, which counts every replica's calls.
//!
//! Each answer's [rate headers](super::rate_headers) update what the client knows of the account's windows (one
//! per policy the service reports); before each attempt, the client counts the call against them, and when a window
//! has no more than the [reserve](Pacing::reserve) left, waits for its end.

use super::rate_headers::{Report, Resets};
use crate::Secret;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher, RandomState};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How a [`Client`](crate::http::Client) paces its calls on the rate budget the service reports in its answers' headers
/// (IETF `RateLimit` / `RateLimit-Policy`, `X-RateLimit-*`, HubSpot's `X-HubSpot-RateLimit-*`, Salesforce's
/// `Sforce-Limit-Info`).
///
/// The budget is counted per **account**: by default the call's host and its credentials (a keyed hash of them,
/// never the credentials themselves), or the key a call gives with
/// [`rate_budget_key`](crate::http::RequestBuilder::rate_budget_key). Before each attempt, the call is counted against
/// what the last answer said is left of each of the account's windows; when a window has no more than the
/// reserve left, the call waits for the window's end, within the call's deadline. When the deadline leaves no
/// room for that wait, the call is not sent and fails at once (`502`, "…'s rate budget for this account is spent
/// for another …"), the answer the service's own `429` would have become, without spending anything.
///
/// Replicas of a bridge (several processes, or several clients) pace themselves on the one budget the service
/// counts for all of them: each learns from every answer what the others spent. The reserve is what each leaves
/// for the calls the others have under way and it has not seen: about `(replicas - 1) × calls each makes at once`.
///
/// On by default, with a reserve of 1. A service that reports nothing is not paced.
///
/// ```
/// use bridge::http::{Client, Pacing};
///
/// // Three replicas, each making up to four calls at once.
/// let client = Client::builder().service_name("HubSpot").pacing(Pacing::new().reserve(8)).build().unwrap();
/// // No pacing at all: send, and let the service's 429s be retried.
/// let unpaced = Client::builder().pacing(Pacing::off()).build().unwrap();
/// # drop((client, unpaced));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacing {
    reserve: Option<u64>,
}

impl Pacing {
    /// Pacing with a reserve of 1.
    pub fn new() -> Self {
        Self { reserve: Some(1) }
    }

    /// No pacing.
    pub fn off() -> Self {
        Self { reserve: None }
    }

    /// Calls left unspent in each window of the account: a call waits for the window's end when no more than
    /// `calls` are left.
    pub fn reserve(self, calls: u64) -> Self {
        Self { reserve: Some(calls) }
    }
}

impl Default for Pacing {
    fn default() -> Self {
        Self::new()
    }
}

/// The account a call's budget is counted in: a keyed hash of its host and credentials (or of the key the call
/// gave), so that no credential is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Account(u64);

/// One window of one of an account's policies, as far as this client knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    /// Calls left, less those this client sent since.
    remaining: u64,
    /// When it ends (at the latest).
    ends: Instant,
}

/// How much a window's end, given in whole seconds, may move between answers within the same window.
const SECOND: Duration = Duration::from_secs(1);

/// Accounts kept before those whose windows are over are forgotten.
const ACCOUNTS_KEPT: usize = 1024;

/// The windows of every account a client calls.
#[derive(Debug)]
pub(crate) struct Budgets {
    pacing: Pacing,
    keys: RandomState,
    accounts: Mutex<HashMap<Account, Vec<(String, Window)>>>,
}

impl Budgets {
    pub(crate) fn new(pacing: Pacing) -> Self {
        Self { pacing, keys: RandomState::new(), accounts: Mutex::default() }
    }

    /// Whether calls are paced at all.
    pub(crate) fn enabled(&self) -> bool {
        self.pacing.reserve.is_some()
    }

    /// The account of a call to `host`: by `key` when the call gave one, by its credentials otherwise.
    pub(crate) fn account(&self, host: &str, key: Option<&str>, secrets: &[Secret]) -> Account {
        let mut hasher = self.keys.build_hasher();
        host.hash(&mut hasher);
        match key {
            Some(key) => (0u8, key).hash(&mut hasher),
            None => {
                1u8.hash(&mut hasher);
                for secret in secrets {
                    secret.expose().hash(&mut hasher);
                }
            }
        }
        Account(hasher.finish())
    }

    /// Counts a call about to be sent at `now`: `None` when it may go, or how long to wait for a window to end
    /// first (then ask again).
    pub(crate) fn admit(&self, account: Account, now: Instant) -> Option<Duration> {
        let reserve = self.pacing.reserve?;
        let mut accounts = self.accounts.lock().unwrap_or_else(PoisonError::into_inner);
        let windows = accounts.get_mut(&account)?;
        let wait = admit(windows, reserve, now);
        if windows.is_empty() {
            accounts.remove(&account);
        }
        wait
    }

    /// What an answer received at `now` reported.
    pub(crate) fn learn(&self, account: Account, reports: Vec<Report>, now: Instant) {
        if reports.is_empty() || !self.enabled() {
            return;
        }
        let mut accounts = self.accounts.lock().unwrap_or_else(PoisonError::into_inner);
        if accounts.len() >= ACCOUNTS_KEPT && !accounts.contains_key(&account) {
            accounts.retain(|_, windows| windows.iter().any(|(_, window)| now < window.ends));
        }
        let windows = accounts.entry(account).or_default();
        for report in reports {
            match windows.iter_mut().find(|(policy, _)| *policy == report.policy) {
                Some((_, window)) => *window = merged(Some(*window), &report, now),
                None => windows.push((report.policy.clone(), merged(None, &report, now))),
            }
        }
    }
}

/// Whether a call may go at `now` given an account's `windows` (those over are dropped): `None`, and the call is
/// counted in each, or the wait for the last of the windows with no more than `reserve` left to end.
fn admit(windows: &mut Vec<(String, Window)>, reserve: u64, now: Instant) -> Option<Duration> {
    windows.retain(|(_, window)| now < window.ends);
    let wait = windows
        .iter()
        .filter(|(_, window)| window.remaining <= reserve)
        .map(|(_, window)| window.ends.saturating_duration_since(now))
        .max();
    if wait.is_none() {
        for (_, window) in windows.iter_mut() {
            window.remaining = window.remaining.saturating_sub(1);
        }
    }
    wait
}

/// A window, once `report` (received at `now`) is known.
///
/// Answers to concurrent calls arrive in any order, so within a window that is not over the lower count wins
/// (it is the later one). A reset given exactly (`t=30`) is taken with its count, or when it is clearly later (a
/// new window the service has already started); a reset given only as the window's length ends at most that long
/// after the first answer seen in it, which it keeps.
fn merged(known: Option<Window>, report: &Report, now: Instant) -> Window {
    let reported = |within: Duration| Window { remaining: report.remaining, ends: now + within };
    match (known, report.resets) {
        (Some(known), Resets::In(reset)) if now < known.ends => {
            let fresh = reported(reset);
            if fresh.remaining <= known.remaining || fresh.ends >= known.ends + SECOND {
                fresh
            } else {
                known
            }
        }
        (Some(known), Resets::Within(_)) if now < known.ends => {
            Window { remaining: known.remaining.min(report.remaining), ends: known.ends }
        }
        (_, Resets::In(reset) | Resets::Within(reset)) => reported(reset),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::fake_service::{Behaviour, Budget, FakeService, Reports};
    use crate::http::Client;

    fn ms(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    fn report(policy: &str, remaining: u64, resets: Resets) -> Report {
        Report { policy: policy.into(), remaining, resets }
    }

    #[test]
    fn a_call_goes_while_more_than_the_reserve_is_left_and_waits_for_the_window_then() {
        let budgets = Budgets::new(Pacing::new().reserve(1));
        let account = budgets.account("api.hubapi.com", None, &[Secret::new("token")]);
        let now = Instant::now();
        assert_eq!(budgets.admit(account, now), None, "nothing known: go");
        budgets.learn(account, vec![report("p", 3, Resets::In(ms(500)))], now);
        assert_eq!(budgets.admit(account, now), None); // 3 → 2
        assert_eq!(budgets.admit(account, now), None); // 2 → 1
        assert_eq!(budgets.admit(account, now + ms(100)), Some(ms(400)));
        assert_eq!(budgets.admit(account, now + ms(499)), Some(ms(1)));
        // The window is over: forgotten, and calls go.
        assert_eq!(budgets.admit(account, now + ms(500)), None);
        assert!(budgets.accounts.lock().unwrap().is_empty());
    }

    #[test]
    fn the_tightest_window_decides_and_the_wait_is_for_the_last_spent_one() {
        let mut windows = vec![
            ("a".to_owned(), Window { remaining: 10, ends: Instant::now() + ms(100) }),
            ("b".to_owned(), Window { remaining: 2, ends: Instant::now() + ms(1000) }),
        ];
        let now = Instant::now();
        assert_eq!(admit(&mut windows, 1, now), None);
        assert_eq!((windows[0].1.remaining, windows[1].1.remaining), (9, 1));
        let wait = admit(&mut windows, 1, now).unwrap();
        assert!(wait > ms(900) && wait <= ms(1000), "{wait:?}");
        assert_eq!((windows[0].1.remaining, windows[1].1.remaining), (9, 1), "a call that waits is not counted");
        // Spent in both: the wait is for the later end.
        windows[0].1.remaining = 0;
        assert!(admit(&mut windows, 1, now).unwrap() > ms(900));
        // A reserve of 0 sends the last call of the window.
        windows[0].1.remaining = 1;
        windows[1].1.remaining = 1;
        assert_eq!(admit(&mut windows, 0, now), None);
        assert_eq!(admit(&mut windows, 0, now).map(|wait| wait > ms(900)), Some(true));
    }

    #[test]
    fn an_account_is_its_host_and_credentials_or_its_key_and_never_holds_them() {
        let budgets = Budgets::new(Pacing::new());
        let token = Secret::new("pat-na1-0123456789");
        let by_token = budgets.account("api.hubapi.com", None, std::slice::from_ref(&token));
        assert_eq!(by_token, budgets.account("api.hubapi.com", None, std::slice::from_ref(&token)));
        assert_ne!(by_token, budgets.account("api.hubapi.com", None, &[Secret::new("pat-na1-other")]));
        assert_ne!(by_token, budgets.account("other.example", None, std::slice::from_ref(&token)));
        assert_ne!(by_token, budgets.account("api.hubapi.com", None, &[]));
        let by_key = budgets.account("api.hubapi.com", Some("portal 62515"), std::slice::from_ref(&token));
        assert_eq!(by_key, budgets.account("api.hubapi.com", Some("portal 62515"), &[]));
        assert_ne!(by_key, budgets.account("api.hubapi.com", Some("portal 1"), &[]));
        // A key that is the credential's own text is still not the credential's account.
        assert_ne!(budgets.account("h", Some("pat-na1-0123456789"), &[]), budgets.account("h", None, &[token]));
        budgets.learn(by_token, vec![report("p", 9, Resets::In(ms(100)))], Instant::now());
        let debug = format!("{budgets:?}");
        assert!(!debug.contains("pat-na1") && !debug.contains("0123456789"), "{debug}");
    }

    #[test]
    fn off_paces_nothing_and_learns_nothing() {
        let budgets = Budgets::new(Pacing::off());
        assert!(!budgets.enabled());
        let account = budgets.account("h", None, &[]);
        budgets.learn(account, vec![report("p", 0, Resets::In(ms(500)))], Instant::now());
        assert_eq!(budgets.admit(account, Instant::now()), None);
        assert!(budgets.accounts.lock().unwrap().is_empty());
        assert!(Budgets::new(Pacing::default()).enabled());
    }

    #[test]
    fn within_a_window_the_lowest_count_wins_and_an_exact_reset_moves_with_it() {
        let now = Instant::now();
        let window = |remaining, ends| Window { remaining, ends };
        let known = window(5, now + ms(3000));
        // A lower count, exact: taken with its end.
        assert_eq!(merged(Some(known), &report("p", 4, Resets::In(ms(2000))), now), window(4, now + ms(2000)));
        assert_eq!(merged(Some(known), &report("p", 5, Resets::In(ms(2000))), now), window(5, now + ms(2000)));
        // A higher count ending about when the known window does: an earlier answer, arriving late.
        assert_eq!(merged(Some(known), &report("p", 9, Resets::In(ms(3500))), now), known);
        // … ending a second later or more: a new window.
        assert_eq!(merged(Some(known), &report("p", 9, Resets::In(ms(4000))), now), window(9, now + ms(4000)));
        // Only the window's length: the known end stays, the lower count wins.
        assert_eq!(merged(Some(known), &report("p", 9, Resets::Within(ms(10_000))), now), known);
        assert_eq!(merged(Some(known), &report("p", 2, Resets::Within(ms(10_000))), now), window(2, known.ends));
        // The known window is over, or there is none: the report as it is.
        let later = now + ms(3000);
        let over = report("p", 9, Resets::Within(ms(10_000)));
        assert_eq!(merged(Some(known), &over, later), window(9, later + ms(10_000)));
        assert_eq!(merged(Some(known), &report("p", 9, Resets::In(ms(1))), later), window(9, later + ms(1)));
        assert_eq!(merged(None, &report("p", 0, Resets::In(ms(7))), now), window(0, now + ms(7)));
    }

    #[test]
    fn each_policy_is_a_window_of_its_own_and_old_accounts_are_forgotten() {
        let budgets = Budgets::new(Pacing::new().reserve(0));
        let now = Instant::now();
        let account = budgets.account("h", None, &[]);
        budgets.learn(account, vec![report("a", 1, Resets::In(ms(100))), report("b", 5, Resets::In(ms(900)))], now);
        budgets.learn(account, vec![report("b", 4, Resets::In(ms(900)))], now);
        assert_eq!(budgets.admit(account, now), None);
        let wait = budgets.admit(account, now).unwrap();
        assert_eq!(wait, ms(100), "a is spent, b has 3 left");
        // Below the bound, an account whose windows are over is kept (until a call asks for it).
        let over = budgets.account("over", None, &[]);
        budgets.learn(over, vec![report("a", 1, Resets::In(ms(10)))], now);
        budgets.learn(budgets.account("second", None, &[]), vec![report("a", 1, Resets::In(ms(10)))], now + ms(20));
        assert_eq!(budgets.accounts.lock().unwrap().len(), 3);
        for n in 0..ACCOUNTS_KEPT {
            let other = budgets.account(&format!("h{n}"), None, &[]);
            budgets.learn(other, vec![report("a", 1, Resets::In(ms(200)))], now);
        }
        assert_eq!(budgets.accounts.lock().unwrap().len(), ACCOUNTS_KEPT + 3);
        // At the bound, a new account makes room: every account whose windows are over (ending at that very
        // instant included) is forgotten; the first one's "b" is not over.
        let newcomer = budgets.account("new", None, &[]);
        budgets.learn(newcomer, vec![report("a", 1, Resets::In(ms(10)))], now + ms(200));
        assert_eq!(budgets.accounts.lock().unwrap().len(), 2);
        // A known account learning something does not clean up, nor does an empty report.
        budgets.learn(newcomer, vec![report("a", 0, Resets::In(ms(10)))], now + ms(200));
        budgets.learn(budgets.account("newer", None, &[]), vec![], now + ms(200));
        assert_eq!(budgets.accounts.lock().unwrap().len(), 2);
    }

    /// Two replicas (two clients) making 12 calls each, one after another, on one account whose budget is 8 calls
    /// in each 250 ms window, over loopback: `(calls answered, 429s)`.
    async fn two_replicas(pacing: Pacing, budget: Budget) -> (usize, u32) {
        let fake = FakeService::start(Behaviour { delay: ms(2), unavailable_first: 0, budget: Some(budget) }).await;
        let replica = || Client::builder().pacing(pacing).max_retries(0).build().unwrap();
        let token = Secret::new("one account's token");
        let run = |client: Client| {
            let (url, token) = (fake.at("crm/v3/objects/contacts"), token.clone());
            async move {
                let mut answered = 0;
                for _ in 0..12 {
                    if client.get(url.clone()).bearer(&token).send().await.is_ok() {
                        answered += 1;
                    }
                }
                answered
            }
        };
        let (a, b) = tokio::join!(run(replica()), run(replica()));
        assert_eq!(fake.calls(), 24);
        (a + b, fake.too_many())
    }

    fn hubspot_budget() -> Budget {
        Budget { limit: 8, window: ms(250), reports: Reports::HubSpot }
    }

    #[tokio::test]
    async fn two_replicas_share_the_budget_the_service_reports_with_no_429() {
        let began = Instant::now();
        let metrics = std::sync::Arc::new(crate::telemetry::Metrics::default());
        let run = two_replicas(Pacing::new(), hubspot_budget());
        assert_eq!(crate::telemetry::scope(None, &metrics, run).await, (24, 0));
        // 24 calls at 8 a window: at least two windows were waited for, and the waits are counted.
        assert!(began.elapsed() >= ms(500), "{:?}", began.elapsed());
        let text = metrics.encode();
        let line = text.lines().find(|line| line.starts_with("bridge_upstream_backoff_seconds_total{"));
        let waited: f64 = line.and_then(|line| line.rsplit(' ').next()?.parse().ok()).unwrap_or_default();
        assert!(waited >= 0.4, "{text}");
    }

    #[tokio::test]
    async fn without_pacing_the_same_replicas_run_into_429s() {
        let (answered, too_many) = two_replicas(Pacing::off(), hubspot_budget()).await;
        assert!(too_many >= 8 && answered == 24 - too_many as usize, "{answered} answered, {too_many} 429s");
    }

    #[tokio::test]
    async fn a_reset_in_seconds_is_waited_for_too() {
        // X-RateLimit-Reset in whole seconds: 4 calls a second, 6 calls.
        let budget = Budget { limit: 4, window: Duration::from_secs(1), reports: Reports::XRateLimit };
        let fake = FakeService::start(Behaviour { delay: ms(2), unavailable_first: 0, budget: Some(budget) }).await;
        let client = Client::builder().max_retries(0).build().unwrap();
        for _ in 0..6 {
            client.get(fake.at("x")).send().await.unwrap();
        }
        assert_eq!((fake.calls(), fake.too_many()), (6, 0));
    }

    #[tokio::test]
    async fn a_wait_the_deadline_cannot_hold_fails_at_once_unsent() {
        let budget = Budget { limit: 2, window: Duration::from_secs(5), reports: Reports::HubSpot };
        let fake = FakeService::start(Behaviour { delay: ms(2), unavailable_first: 0, budget: Some(budget) }).await;
        let client = Client::builder().service_name("HubSpot").max_retries(0).build().unwrap();
        client.get(fake.at("x")).send().await.unwrap();
        let began = Instant::now();
        let err = client.get(fake.at("x")).deadline(began + ms(500)).send().await.unwrap_err();
        assert!(began.elapsed() < ms(100), "{:?}", began.elapsed());
        assert_eq!(err.status(), 502);
        assert!(err.message().starts_with("HubSpot's rate budget for this account is spent for another"), "{err}");
        assert!(err.message().contains("the call's deadline"), "{err}");
        // Outside any deadline, the longest wait the client allows decides.
        let impatient = Client::builder().max_retry_after(ms(50)).build().unwrap();
        impatient.get(fake.at("x")).send().await.unwrap();
        let err = impatient.get(fake.at("x")).send().await.unwrap_err();
        assert!(err.message().contains("longer than the client's longest wait allows"), "{err}");
        assert_eq!(fake.calls(), 2, "the refused calls were not sent");
        // Another account (other credentials, or a key of its own) is not held back (this fake counts one budget for
        // all: it answers 429).
        client.get(fake.at("x")).rate_budget_key("another portal").send().await.unwrap_err();
        assert_eq!(fake.calls(), 3);
    }
}
