//! The W3C trace context (`traceparent`, `tracestate`) of an incoming request, kept as it came so that the bridge's
//! calls to the external service carry it on: a trace started by Talkdesk follows the request into Zendesk or
//! HubSpot.
//!
//! The bridge reports no spans of its own to a tracing backend, so it passes the caller's `parent-id` unchanged:
//! the external service's spans become children of the caller's span, and the trace stays one connected tree.

use http::{HeaderMap, HeaderName, HeaderValue};

/// `traceparent`, made once.
pub(crate) static TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
/// `tracestate`, made once.
#[cfg(feature = "client")]
pub(crate) static TRACESTATE: HeaderName = HeaderName::from_static("tracestate");

/// A valid incoming trace context (the header values share the request's buffers: nothing is copied).
#[derive(Clone, Debug)]
pub(crate) struct TraceContext {
    parent: HeaderValue,
    /// Only the HTTP client sends it on.
    #[cfg(feature = "client")]
    state: Option<HeaderValue>,
}

impl TraceContext {
    /// The request's trace context, when its `traceparent` is valid (an invalid one is ignored, as the
    /// specification asks).
    pub(crate) fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let parent = headers.get(&TRACEPARENT)?;
        if !is_valid(parent.as_bytes()) {
            return None;
        }
        Some(Self {
            parent: parent.clone(),
            #[cfg(feature = "client")]
            state: headers.get(&TRACESTATE).filter(|s| s.len() <= 512).cloned(),
        })
    }

    /// The trace id: 32 lowercase hex digits.
    pub(crate) fn trace_id(&self) -> &str {
        // Only valid (ASCII) values are kept.
        self.parent.to_str().map_or("", |text| &text[3..35])
    }

    /// Adds the context to an outgoing call's headers.
    #[cfg(feature = "client")]
    pub(crate) fn propagate(&self, headers: &mut HeaderMap) {
        headers.insert(TRACEPARENT.clone(), self.parent.clone());
        if let Some(state) = &self.state {
            headers.insert(TRACESTATE.clone(), state.clone());
        }
    }
}

/// `version-traceid-parentid-flags`, as W3C Trace Context level 1 defines it: lowercase hex, a version other than
/// `ff`, ids not all zeros; a later version may append `-…` fields, version `00` may not.
fn is_valid(value: &[u8]) -> bool {
    if value.len() < 55 {
        return false;
    }
    let hex = |part: &[u8]| part.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b));
    let not_zero = |part: &[u8]| part.iter().any(|&b| b != b'0');
    let (version, trace_id, parent_id, flags) = (&value[0..2], &value[3..35], &value[36..52], &value[53..55]);
    let dashes = value[2] == b'-' && value[35] == b'-' && value[52] == b'-';
    let rest_ok = match version {
        b"00" => value.len() == 55,
        _ => value.len() == 55 || value[55] == b'-',
    };
    dashes
        && rest_ok
        && hex(version)
        && version != b"ff"
        && hex(trace_id)
        && not_zero(trace_id)
        && hex(parent_id)
        && not_zero(parent_id)
        && hex(flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    fn context(traceparent: &str) -> Option<TraceContext> {
        let mut headers = HeaderMap::new();
        headers.insert(&TRACEPARENT, HeaderValue::from_str(traceparent).unwrap());
        headers.insert(&TRACESTATE, HeaderValue::from_static("congo=t61rcWkgMzE"));
        TraceContext::from_headers(&headers)
    }

    #[test]
    #[cfg(feature = "client")]
    fn keeps_a_valid_traceparent_and_its_tracestate() {
        let trace = context(VALID).unwrap();
        assert_eq!(trace.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
        let mut out = HeaderMap::new();
        trace.propagate(&mut out);
        assert_eq!(out[&TRACEPARENT], VALID);
        assert_eq!(out[&TRACESTATE], "congo=t61rcWkgMzE");
        assert!(context(&format!("01{}-what-comes-next", &VALID[2..])).is_some());
    }

    #[test]
    fn ignores_invalid_traceparents() {
        for invalid in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
        ] {
            assert!(context(invalid).is_none(), "{invalid}");
        }
        assert!(TraceContext::from_headers(&HeaderMap::new()).is_none());
    }
}
