//! When to wait before the next attempt of a call, in one place: how long after a failure ([`retry`]: backoff
//! and `Retry-After`), after a `429` that does not say ([`rate_limit`]), and before sending at all, on the rate
//! budget the service reports ([`rate_headers`] read it, [`pacing`] spends it).

pub(crate) mod pacing;
pub(crate) mod rate_headers;
pub(crate) mod rate_limit;
pub(crate) mod retry;
