//! Request ids: each request gets one (the caller's `X-Request-Id` when it is sane, else a fresh one), returned as
//! a header, written in error bodies and carried by every log line of the request.
//!
//! The id lives in the request's scope for the duration of the request (`scope.rs`), so that the gate, the
//! error answers and a panic hook can all read it without threading it through every call.
//!
//! The same scope carries the request's part of a log line (`request{id=… trace_id=…}:`) when the logging
//! subscriber writes it from there ([`WritesRequestPart`]: the default logs): the gate then makes no `tracing` span
//! for the request, whose making, entering, leaving and closing cost more than the rest of the line.

use http::header::{HeaderName, HeaderValue};
use http::HeaderMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// The header a request id travels in, both ways.
pub(crate) const HEADER: &str = "x-request-id";

/// [`HEADER`] as a header name, made once: looking a header up or inserting it by `&str` parses the name (and
/// copies it, for a name that is not a standard one) on every request.
pub(crate) static HEADER_NAME: HeaderName = HeaderName::from_static(HEADER);

/// The longest incoming id that is honoured.
const MAX_LEN: usize = 128;

/// A request's id.
///
/// Kept as the header value it is answered in: the caller's own value shares the request's buffer, and a fresh
/// id is formatted once; neither is copied again to be sent back.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct RequestId(HeaderValue);

impl RequestId {
    /// The id as text.
    pub(crate) fn as_str(&self) -> &str {
        // Only sane ids (ASCII) are ever made.
        self.0.to_str().unwrap_or_default()
    }

    /// The id as the value of an `X-Request-Id` header.
    pub(crate) fn into_header_value(self) -> HeaderValue {
        self.0
    }

    /// The caller's id when it is sane (1 to 128 characters among `A-Z a-z 0-9 . _ : -`), else a new one.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        match headers.get(&HEADER_NAME) {
            Some(value) if is_sane(value.as_bytes()) => Self(value.clone()),
            _ => Self::generate(),
        }
    }

    /// A fresh id: 16 hex digits, unique within the process and unlikely to repeat across processes.
    fn generate() -> Self {
        static SEED: OnceLock<u64> = OnceLock::new();
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let seed = *SEED.get_or_init(|| {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            now.as_nanos() as u64 ^ (u64::from(std::process::id()) << 32)
        });
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let digits = hex16(splitmix64(seed.wrapping_add(n)));
        Self(HeaderValue::from_bytes(&digits).expect("hex digits make a header value"))
    }
}

fn is_sane(text: &[u8]) -> bool {
    !text.is_empty()
        && text.len() <= MAX_LEN
        && text.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// `x` as 16 lowercase hex digits (`format!("{x:016x}")` without the formatting machinery: it runs on every
/// request that comes without an id).
fn hex16(x: u64) -> [u8; 16] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 16];
    for (i, digit) in out.iter_mut().enumerate() {
        *digit = DIGITS[(x >> (60 - 4 * i)) as usize & 0xf];
    }
    out
}

/// A bijective mix, so that consecutive counters give unrelated-looking ids.
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequestId({})", self.as_str())
    }
}

/// The marker of a logging subscriber that writes the request's part of each line itself, from the request's
/// scope (`scope::with_line_part`), rather than from a span: `tracing::Dispatch::is::<WritesRequestPart>()` is true for
/// it. The default logs are one; any other subscriber gets a span per request, as `tracing` has it.
pub(crate) struct WritesRequestPart;

/// Whether the current subscriber writes the request's part of each line itself ([`WritesRequestPart`]).
pub(crate) fn subscriber_writes_request_part() -> bool {
    tracing::dispatcher::get_default(|dispatch| dispatch.is::<WritesRequestPart>())
}

/// The 32 hex digits of a W3C trace id, kept inline (a request's scope is moved with its future).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct TraceId([u8; 32]);

impl TraceId {
    /// `digits`, when they are 32 hex digits.
    pub(crate) fn new(digits: &str) -> Option<Self> {
        let digits: [u8; 32] = digits.as_bytes().try_into().ok()?;
        digits.iter().all(u8::is_ascii_hexdigit).then_some(Self(digits))
    }

    pub(crate) fn as_str(&self) -> &str {
        // Hex digits only (checked when made).
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// The request's part of the lines logged while it is handled, beside its id, when the subscriber writes that
/// part itself ([`WritesRequestPart`]) and would show the request's span.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LinePart {
    /// The request's trace id, if it came with one.
    pub(crate) trace_id: Option<TraceId>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn from(value: &str) -> RequestId {
        let mut headers = HeaderMap::new();
        headers.insert(HEADER, HeaderValue::from_str(value).unwrap());
        RequestId::from_headers(&headers)
    }

    #[test]
    fn honours_sane_ids_and_replaces_others() {
        assert_eq!(from("abc-123_x.y:z").as_str(), "abc-123_x.y:z");
        for insane in ["", "has space", "a/b", "<script>", &"x".repeat(129)] {
            let id = from(insane);
            assert_ne!(id.as_str(), insane);
            assert_eq!(id.as_str().len(), 16);
        }
    }

    #[test]
    fn hex_digits_are_formatted_like_format() {
        for x in [0, 1, 0xf, 0x10, 0xdead_beef, u64::MAX, 0x0123_4567_89ab_cdef, 1 << 63] {
            assert_eq!(std::str::from_utf8(&hex16(x)).unwrap(), format!("{x:016x}"));
        }
    }

    #[test]
    fn generated_ids_differ() {
        let a = RequestId::from_headers(&HeaderMap::new());
        let b = RequestId::from_headers(&HeaderMap::new());
        assert_ne!(a, b);
    }

    #[test]
    fn trace_ids_are_32_hex_digits() {
        let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        assert_eq!(TraceId::new(trace).map(|id| id.as_str().to_owned()), Some(trace.to_owned()));
        for wrong in ["", &trace[1..], &format!("{trace}0"), "4bf92f3577b34da6a3ce929d0e0e473g"] {
            assert_eq!(TraceId::new(wrong), None, "{wrong}");
        }
    }
}
