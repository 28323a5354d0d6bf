//! The bridge's own routes, all in one place: `GET /health` (alive), `GET /ready` (taking requests; `503` while
//! draining, or while the author's [readiness check](crate::ReadinessCheck) fails), `GET /metrics` (Prometheus) and, for a bridge that describes its integration, `GET /configuration`
//! (the documents Talkdesk is given). No endpoint may take one of these paths ([`reserves`]), and the probes'
//! paths ([`OPEN_PATHS`]) answer without the inbound token.
//!
//! The gate routes a request here when no endpoint answers its path.

use crate::configuration::{ActionSpec, ConfigError, Documents, Integration};
use crate::endpoint::EndpointInfo;
use crate::error::Error;
use crate::readiness::{Readiness, Verdict};
use crate::reply::{error_response, json_response, Response, ResponseBody};
use crate::telemetry::Metrics;
use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, StatusCode};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The paths that answer without the inbound token: the probes of an orchestrator, which cannot be given one.
pub(crate) const OPEN_PATHS: [&str; 2] = ["/health", "/ready"];

/// The paths the bridge always answers itself.
const ALWAYS: [&str; 3] = ["/health", "/ready", "/metrics"];

/// The path of the configuration documents, the bridge's own when it describes its integration.
const CONFIGURATION: &str = "/configuration";

/// The media type of `GET /metrics`: the OpenMetrics text format, which Prometheus reads.
const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Whether `path` is the bridge's own, so that no endpoint may take it (`/configuration` only when the bridge
/// serves its configuration documents).
pub(crate) fn reserves(path: &str, describes_integration: bool) -> bool {
    ALWAYS.contains(&path) || (describes_integration && path == CONFIGURATION)
}

/// One of the bridge's own `GET` routes: its answer, from the request's headers.
pub(crate) struct OwnRoute {
    pub(crate) path: &'static str,
    pub(crate) answer: Box<dyn Fn(&HeaderMap) -> Response + Send + Sync>,
}

/// Every route of the bridge's own.
pub(crate) struct OwnRoutes(Vec<OwnRoute>);

impl OwnRoutes {
    /// `/health`, `/ready` (`503` once `draining` is set, or when `readiness` says so), `/metrics`, and
    /// `/configuration` when given.
    pub(crate) fn new(
        draining: Arc<AtomicBool>,
        readiness: Option<Arc<Readiness>>,
        metrics: Arc<Metrics>,
        configuration: Option<OwnRoute>,
    ) -> Self {
        let mut routes = vec![
            OwnRoute {
                path: "/health",
                answer: Box::new(|_: &HeaderMap| {
                    json_response(StatusCode::OK, Bytes::from_static(br#"{"status":"ok"}"#))
                }),
            },
            OwnRoute {
                path: "/ready",
                answer: Box::new(move |_: &HeaderMap| {
                    let unavailable =
                        |body: &'static [u8]| json_response(StatusCode::SERVICE_UNAVAILABLE, Bytes::from_static(body));
                    if draining.load(Ordering::Relaxed) {
                        return unavailable(br#"{"status":"draining"}"#);
                    }
                    match readiness.as_ref().map_or(Verdict::Ready, Readiness::verdict) {
                        Verdict::Ready => json_response(StatusCode::OK, Bytes::from_static(br#"{"status":"ready"}"#)),
                        Verdict::Checking => unavailable(br#"{"status":"checking"}"#),
                        Verdict::Unready => unavailable(br#"{"status":"unready"}"#),
                    }
                }),
            },
            OwnRoute { path: "/metrics", answer: Box::new(move |_: &HeaderMap| metrics_response(&metrics)) },
        ];
        routes.extend(configuration);
        Self(routes)
    }

    /// Routes of one's choosing (the gate's unit tests).
    #[cfg(test)]
    pub(crate) fn of(routes: Vec<OwnRoute>) -> Self {
        Self(routes)
    }

    /// The route on `path`, if the bridge has one.
    pub(crate) fn find(&self, path: &str) -> Option<&OwnRoute> {
        self.0.iter().find(|route| route.path == path)
    }
}

/// `GET /metrics`'s answer: the bridge's metrics in the OpenMetrics text format.
pub(crate) fn metrics_response(metrics: &Metrics) -> Response {
    let mut response = Response::new(ResponseBody::new(Bytes::from(metrics.encode())));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(METRICS_CONTENT_TYPE));
    response
}

/// `GET /configuration`, checked now with `public_url` or a placeholder. With a public URL the answer's body is
/// built once, here; without, each request's `Host` gives it (`http://host`).
pub(crate) fn configuration(
    integration: Integration,
    endpoints: Vec<EndpointInfo>,
    described: Vec<ActionSpec>,
    public_url: Option<&str>,
) -> Result<OwnRoute, ConfigError> {
    let body = |documents: Documents| Bytes::from(documents.to_json().to_string());
    let checked = integration.documents(public_url.unwrap_or("http://localhost"), &endpoints, &described)?;
    let fixed: Option<Bytes> = public_url.is_some().then(|| body(checked));
    let answer = move |headers: &HeaderMap| {
        if let Some(fixed) = &fixed {
            return json_response(StatusCode::OK, fixed.clone());
        }
        let host = headers.get(header::HOST).and_then(|host| host.to_str().ok()).unwrap_or("localhost");
        match integration.documents(&format!("http://{host}"), &endpoints, &described) {
            Ok(documents) => json_response(StatusCode::OK, body(documents)),
            Err(err) => error_response(&Error::invalid_input(format!("no configuration for this host: {err}"))),
        }
    };
    Ok(OwnRoute { path: CONFIGURATION, answer: Box::new(answer) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserves_its_own_paths_only() {
        for path in ["/health", "/ready", "/metrics"] {
            assert!(reserves(path, false) && reserves(path, true), "{path}");
        }
        assert!(!reserves("/configuration", false));
        assert!(reserves("/configuration", true));
        assert!(!reserves("/contact_sync", true));
        assert!(!reserves("/health/", true));
    }

    #[test]
    fn ready_follows_draining() {
        let draining = Arc::new(AtomicBool::new(false));
        let routes = OwnRoutes::new(Arc::clone(&draining), None, Arc::new(Metrics::default()), None);
        let ready = routes.find("/ready").expect("a /ready route");
        assert_eq!((ready.answer)(&HeaderMap::new()).status(), 200);
        draining.store(true, Ordering::Relaxed);
        assert_eq!((ready.answer)(&HeaderMap::new()).status(), 503);
        assert_eq!((routes.find("/health").unwrap().answer)(&HeaderMap::new()).status(), 200);
        let metrics = (routes.find("/metrics").unwrap().answer)(&HeaderMap::new());
        assert_eq!(metrics.headers()[header::CONTENT_TYPE], METRICS_CONTENT_TYPE);
        assert!(routes.find("/configuration").is_none());
    }

    /// The answer's status and body.
    async fn probe(routes: &OwnRoutes) -> (u16, String) {
        use http_body_util::BodyExt;
        let response = (routes.find("/ready").unwrap().answer)(&HeaderMap::new());
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn ready_follows_the_readiness_check_and_draining_comes_first() {
        let healthy = Arc::new(AtomicBool::new(false));
        let check = {
            let healthy = Arc::clone(&healthy);
            crate::ReadinessCheck::new(move || {
                let healthy = healthy.load(Ordering::SeqCst);
                async move {
                    if healthy {
                        Ok(())
                    } else {
                        Err("no database")
                    }
                }
            })
            .every(std::time::Duration::ZERO)
        };
        let draining = Arc::new(AtomicBool::new(false));
        let routes =
            OwnRoutes::new(Arc::clone(&draining), Some(Readiness::new(check)), Arc::new(Metrics::default()), None);
        let settle = |want: &'static str| {
            let routes = &routes;
            async move {
                for _ in 0..200 {
                    let (status, body) = probe(routes).await;
                    if body.contains(want) {
                        return status;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                panic!("/ready never said {want}");
            }
        };
        assert_eq!(probe(&routes).await, (503, r#"{"status":"checking"}"#.to_owned()));
        assert_eq!(settle("unready").await, 503);
        healthy.store(true, Ordering::SeqCst);
        assert_eq!(settle(r#""ready""#).await, 200);
        draining.store(true, Ordering::Relaxed);
        assert_eq!(probe(&routes).await, (503, r#"{"status":"draining"}"#.to_owned()));
    }
}
