//! A bridge inside a warp application (feature `warp`): a filter built on [`BridgeService`], so that a request it
//! takes goes through the very gate a served bridge's requests do.

use crate::service::BridgeService;
use bytes::{Buf, Bytes};
use futures_util::StreamExt;
use http::Request;
use http_body_util::StreamBody;
use warp::filters::path::Tail;
use warp::Filter;

/// Warp's body chunks as `http_body` frames.
fn frames<S, B>(body: S) -> impl futures_util::Stream<Item = Result<http_body::Frame<Bytes>, warp::Error>>
where
    S: futures_util::Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    body.map(|chunk| chunk.map(|mut chunk| http_body::Frame::data(chunk.copy_to_bytes(chunk.remaining()))))
}

impl BridgeService {
    /// The bridge as a warp filter that takes every request reaching it (feature `warp`). Mount it under a prefix
    /// with warp's own filters; the bridge routes on the rest of the path:
    ///
    /// ```
    /// use warp::Filter;
    /// # fn app(bridge: bridge::Bridge) -> Result<(), bridge::BuildError> {
    /// let talkdesk = warp::path("talkdesk").and(bridge.into_service()?.into_warp_filter());
    /// let app = warp::path("hello").map(|| "hello").or(talkdesk);
    /// # let _ = app; Ok(()) }
    /// ```
    pub fn into_warp_filter(
        self,
    ) -> impl Filter<Extract = (http::Response<Bytes>,), Error = warp::Rejection> + Clone + Send + Sync + 'static {
        let query = warp::query::raw().or(warp::any().map(String::new)).unify();
        warp::method()
            .and(warp::path::tail())
            .and(query)
            .and(warp::header::headers_cloned())
            .and(warp::body::stream())
            .then(move |method: http::Method, tail: Tail, query: String, headers: http::HeaderMap, body| {
                let service = self.clone();
                async move {
                    let uri = match query.as_str() {
                        "" => format!("/{}", tail.as_str()),
                        query => format!("/{}?{query}", tail.as_str()),
                    };
                    let mut request = Request::new(StreamBody::new(frames(body)));
                    *request.method_mut() = method;
                    *request.headers_mut() = headers;
                    // A path warp accepted is a valid URI path; a malformed one is refused as not found.
                    *request.uri_mut() = uri.parse().unwrap_or_else(|_| http::Uri::from_static("/"));
                    let response = match service.answer(request).await {
                        Ok(response) => response,
                        Err(never) => match never {},
                    };
                    response.map(crate::reply::ResponseBody::into_bytes)
                }
            })
    }
}
