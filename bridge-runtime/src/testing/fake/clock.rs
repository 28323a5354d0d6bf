//! A clock a test moves ([`Clock`]): a fake's data (`updated_at`, the horizon of an export) is dated by it, so
//! that a test decides when a change happens and when it becomes visible, and never waits for real time.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The time of a fake, in Unix milliseconds, moved only by the test; clones share it.
///
/// ```
/// use bridge::testing::fake::Clock;
/// use std::time::Duration;
///
/// let clock = Clock::at_secs(1_717_416_000);
/// let shared = clock.clone();
/// clock.advance(Duration::from_secs(61));
/// assert_eq!(shared.now_secs(), 1_717_416_061);
/// assert_eq!(shared.tick_millis(), 1_717_416_061_001);
/// ```
#[derive(Debug, Clone)]
pub struct Clock {
    millis: Arc<AtomicI64>,
}

impl Clock {
    /// A clock that reads `unix_millis`.
    pub fn at_millis(unix_millis: i64) -> Self {
        Self { millis: Arc::new(AtomicI64::new(unix_millis)) }
    }

    /// A clock that reads `unix_secs`.
    pub fn at_secs(unix_secs: i64) -> Self {
        Self::at_millis(unix_secs.saturating_mul(1000))
    }

    /// The time, in Unix milliseconds.
    pub fn now_millis(&self) -> i64 {
        self.millis.load(Ordering::SeqCst)
    }

    /// The time, in whole Unix seconds.
    pub fn now_secs(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }

    /// Moves the time forward.
    pub fn advance(&self, by: Duration) {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.millis.fetch_add(by, Ordering::SeqCst);
    }

    /// Moves the time one millisecond forward and reads it: a fresh instant for a change, after every other.
    pub fn tick_millis(&self) -> i64 {
        self.millis.fetch_add(1, Ordering::SeqCst) + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_moves_only_when_told() {
        let clock = Clock::at_millis(1_500);
        assert_eq!((clock.now_millis(), clock.now_secs()), (1_500, 1));
        clock.advance(Duration::from_millis(600));
        assert_eq!(clock.now_secs(), 2);
        assert_eq!(Clock::at_millis(-1).now_secs(), -1, "before 1970, seconds round down");
    }
}
