//! Parameters of the author's own: a type that implements [`FromRequest`] is built from each request (its
//! credentials, `meta`, headers, the bridge's shared state) before the handler runs, and can then be taken by any
//! handler — `session: Session`, `crm: Tenant<Crm>` — like axum's extractors or Rocket's request guards. What every
//! handler of a bridge would begin with (check the credentials, build the per-account client) is written once.

use crate::decode::decode_request;
use crate::endpoint::EndpointInfo;
use crate::error::Error;
use crate::protocol::{NoData, NoMeta};
use crate::state::StateMap;
use bytes::Bytes;
use http::HeaderMap;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::sync::Arc;

/// What a [`FromRequest`] type is built from: one request to one endpoint, before its handler runs.
pub struct RequestParts {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) states: Arc<StateMap>,
    pub(crate) endpoint: EndpointInfo,
}

impl RequestParts {
    /// The request's `auth`, decoded as `T` (the bridge's credentials type). A `T` that does not fit is a `400`
    /// naming every offending field (`auth.token`), as for a handler's own `Auth<T>`.
    pub fn auth<T: DeserializeOwned>(&self) -> Result<T, Error> {
        decode_request::<T, NoMeta, NoData>(&self.body).map(|envelope| envelope.auth)
    }

    /// The request's `meta`, decoded as `T` (e.g. [`ActionMeta`](crate::ActionMeta)); a missing or `null` `meta` is
    /// an empty object.
    pub fn meta<T: DeserializeOwned>(&self) -> Result<T, Error> {
        decode_request::<NoData, T, NoData>(&self.body).map(|envelope| envelope.meta)
    }

    /// The request's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The endpoint the request is for.
    pub fn endpoint(&self) -> EndpointInfo {
        self.endpoint
    }

    /// The shared state of type `T` given to [`Bridge::state`](crate::Bridge::state). Without one, a `500`: the
    /// bridge was built without a value its parameters need.
    pub fn state<T: Clone + Send + Sync + 'static>(&self) -> Result<T, Error> {
        self.states.get::<T>().ok_or_else(|| {
            Error::internal(format!(
                "a parameter of `{}` needs shared state of type `{}`: give one to `Bridge::state`",
                self.endpoint.handler,
                std::any::type_name::<T>()
            ))
        })
    }
}

/// A handler parameter of the bridge author's own, built from each request before the handler runs. A handler takes
/// it by its type, in any position, beside `Auth<T>`, the endpoint's `meta`/`data` and `State<T>`; it may take
/// several. If building it fails, the handler does not run and the request is answered with the error — so the
/// status stays the author's: [`Error::credentials_rejected`] for credentials the service refused (`401`),
/// [`Error::upstream`] when the service could not be asked (`502`), and so on.
///
/// The credentials checked once, for every handler that takes a `Session`:
///
/// ```
/// use bridge::{ContactPage, Error, FromRequest, RequestParts, Secret};
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Credentials {
///     account: String,
///     token: Secret,
/// }
///
/// /// An account whose credentials were checked.
/// struct Session {
///     account: String,
/// }
///
/// impl FromRequest for Session {
///     async fn from_request(request: &RequestParts) -> Result<Self, Error> {
///         let credentials: Credentials = request.auth()?;
///         // A real bridge asks its service (or its database, through `request.state()`).
///         if credentials.token.expose() != "let-me-in" {
///             return Err(Error::credentials_rejected());
///         }
///         Ok(Session { account: credentials.account })
///     }
/// }
///
/// #[bridge::auth_validator]
/// async fn validate(_session: Session) -> Result<(), Error> {
///     Ok(())
/// }
///
/// #[bridge::contact_retriever]
/// async fn contacts(session: Session) -> Result<ContactPage, Error> {
///     let _ = session.account; // …the account's contacts
///     Ok(ContactPage::new(Vec::new(), "2024-01-01 00:00:00 UTC"))
/// }
/// # let _ = bridge::Bridge::new().endpoint(validate {}).endpoint(contacts {});
/// ```
///
/// A handler that takes only parameters of its own still receives a request with `auth`: a missing `auth` is a
/// `400`, whatever its parameters read.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a parameter a handler can take",
    label = "a handler's parameters are `bridge::Auth<T>`, its endpoint's `meta`/`data`, `bridge::State<T>`, or types that implement `bridge::FromRequest`",
    note = "to build a `{Self}` from each request (its credentials, headers, shared state), implement `bridge::FromRequest` for it",
    note = "to share one value with every request, take `bridge::State<{Self}>` and give the value to `Bridge::state`"
)]
pub trait FromRequest: Sized + Send + 'static {
    /// Builds the parameter from `request`, or fails with the error the request is answered with.
    fn from_request(request: &RequestParts) -> impl Future<Output = Result<Self, Error>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::EndpointKind;

    fn parts(body: &'static [u8]) -> RequestParts {
        let mut states = StateMap::default();
        states.insert(7u32);
        RequestParts {
            headers: HeaderMap::new(),
            body: Bytes::from_static(body),
            states: Arc::new(states),
            endpoint: EndpointInfo {
                kind: EndpointKind::ContactSync,
                path: "/contact_sync",
                handler: "contacts",
                action: None,
            },
        }
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Creds {
        token: String,
    }

    #[test]
    fn reads_the_sections_and_the_state() {
        let request = parts(br#"{"auth": {"token": "t"}, "meta": {"offset": "2"}}"#);
        assert_eq!(request.auth::<Creds>().unwrap(), Creds { token: "t".into() });
        assert_eq!(request.meta::<serde_json::Value>().unwrap()["offset"], "2");
        assert_eq!(request.state::<u32>().unwrap(), 7);
        assert_eq!(request.state::<u64>().unwrap_err().status(), 500);
    }

    #[test]
    fn names_the_offending_auth_fields() {
        let err = parts(br#"{"auth": {"token": 5}}"#).auth::<Creds>().unwrap_err();
        assert_eq!(err.status(), 400);
        assert_eq!(err.fields()[0].field, "auth.token");
    }
}
