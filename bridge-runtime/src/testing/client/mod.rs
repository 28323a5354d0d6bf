//! The test client: a typed builder per endpoint for the request (`auth`, `meta`, `data`), and typed access to the
//! answer (status, headers, body as the protocol type or as raw JSON), over any [`Transport`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use bridge::testing::TestClient;
//! use bridge::{Agent, AgentPage, Auth, Bridge, Error};
//!
//! #[bridge::agent_retriever]
//! async fn agents(Auth(auth): Auth<serde_json::Value>) -> Result<AgentPage, Error> {
//!     if auth["token"] != "t" {
//!         return Err(Error::credentials_rejected());
//!     }
//!     Ok(AgentPage::new(vec![Agent::new("1", "Ann", "ann@example.com")]))
//! }
//!
//! let client = TestClient::new(Bridge::new().endpoint(agents {})).unwrap();
//! let answer = client.agent_sync().auth(serde_json::json!({"token": "t"})).send().await;
//! assert_eq!(answer.status(), 200);
//! assert_eq!(answer.content_type(), Some("application/json"));
//! let page: AgentPage = answer.json().unwrap();
//! assert_eq!(page.agents[0].name, "Ann");
//! assert_eq!(answer.raw_json().unwrap()["agents"][0]["id"], "1");
//! # }
//! ```

#[cfg(feature = "testing")]
mod in_process_client;
#[cfg(feature = "testing")]
pub(crate) mod in_process_transport;
pub(crate) mod synced;
pub(crate) mod test_messages;
pub(crate) mod transport;

#[cfg(feature = "testing")]
use crate::endpoint::EndpointInfo;
use crate::endpoint::EndpointKind;
use crate::protocol::{ActionOutcome, AgentPage, ContactPage, Interaction};
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::{HeaderMap, Method};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use test_messages::{TestRequest, TestResponse};
use transport::{HttpTransport, Transport, TransportError};

/// The test client's paths, `CallKind` markers and builder of each kind's request, from the table of the endpoint
/// kinds (`kinds.rs`).
macro_rules! test_client_kinds {
    ($({
        $(#[$doc:meta])*
        variant: $variant:ident,
        macro_name: $macro_name:ident,
        role: $role:literal,
        role_with_article: $role_with_article:literal,
        configuration_key: $configuration_key:literal,
        default_path: $default_path:literal,
        named: $named:tt,
        meta: $meta:ident,
        data: $data:ident,
        returns: $result:ident for [$($ok:ty),+] as $returns:literal,
        message: $message:literal,
        label: $label:literal,
        $(#[$client_doc:meta])*
        test_client: $method:ident in $field:ident as $call:ident answering $answer:ty,
    })*) => {
        /// The paths a client sends each endpoint's requests to. [`TestClient::new`] reads them from the bridge;
        /// for a bridge at a URL they are the defaults unless [`TestClient::with_paths`] says otherwise.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct Paths {
            $(
                #[doc = path_doc!($named, $role, $default_path)]
                pub $field: path_slot!($named),
            )*
        }

        impl Default for Paths {
            fn default() -> Self {
                Self { $($field: PathSlot::default_for(EndpointKind::$variant),)* }
            }
        }

        impl Paths {
            /// The path of the one endpoint of `kind`; `None` for a named kind (an action: [`action`](Self::action)
            /// by name, or [`actions`](Self::actions)).
            pub fn endpoint_mut(&mut self, kind: EndpointKind) -> Option<&mut String> {
                match kind {
                    $(EndpointKind::$variant => self.$field.single(),)*
                }
            }

            /// Records where the endpoint `info` answers, unless an endpoint of its kind (or of its action's name)
            /// was recorded before.
            #[cfg(feature = "testing")]
            fn record(&mut self, info: &EndpointInfo) {
                match info.kind {
                    $(EndpointKind::$variant => self.$field.record(info),)*
                }
            }

            $(path_by_name!($named, $method, $field, $variant, $role, $default_path);)*
        }

        /// The [`CallKind`] marker of each endpoint kind, all of which `bridge::testing` re-exports.
        pub mod markers {
            use super::*;

            $(
                #[doc = concat!(
                    "[`Call`] to ", $role_with_article, " (`#[bridge::", stringify!($macro_name), "]`): success is `",
                    stringify!($answer), "`."
                )]
                #[derive(Debug)]
                pub enum $call {}

                impl CallKind for $call {
                    type Answer = $answer;
                }
            )*
        }

        /// The builder of each kind's request, `auth_validation()`, …, `action(name)`, for `impl TestClient`.
        macro_rules! kind_calls {
            () => {
                $(kind_call!($named, $method in $field as $call, $role, $macro_name, $(#[$client_doc])*);)*
            };
        }
    };
}

/// For a named kind (actions), the method of [`Paths`] that gives the path of its endpoint of a name, named as the
/// test client's method for the kind (`Paths::action(name)`).
macro_rules! path_by_name {
    (false, $method:ident, $field:ident, $variant:ident, $role:literal, $default_path:literal) => {};
    (true, $method:ident, $field:ident, $variant:ident, $role:literal, $default_path:literal) => {
        #[doc = path_doc!(by_name, $role, $field, $default_path)]
        pub fn $method(&self, name: &str) -> String {
            let default = || format!("{}/{name}", EndpointKind::$variant.default_path());
            self.$field.get(name).cloned().unwrap_or_else(default)
        }
    };
}

/// One kind's builder: `$method()` for a kind of one endpoint, at its field of [`Paths`]; `$method(name)` for a
/// named kind (an action), at [`Paths`]' method of the same name.
macro_rules! kind_call {
    (
        false, $method:ident in $field:ident as $call:ident, $role:literal, $macro_name:ident,
        $(#[$client_doc:meta])*
    ) => {
        #[doc = concat!(
            "A request to the bridge's ", $role, " (`#[bridge::", stringify!($macro_name), "]`): `POST` to [`Paths::",
            stringify!($field), "`]."
        )]
        #[doc = ""]
        $(#[$client_doc])*
        pub fn $method(&self) -> Call<$call> {
            self.call(Method::POST, self.paths.$field.clone())
        }
    };
    (
        true, $method:ident in $field:ident as $call:ident, $role:literal, $macro_name:ident,
        $(#[$client_doc:meta])*
    ) => {
        #[doc = concat!(
            "A request to the bridge's ", $role, " named `name` (`#[bridge::", stringify!($macro_name),
            "(name = \"…\")]`): `POST` to [`Paths::", stringify!($method), "`]`(name)`."
        )]
        #[doc = ""]
        $(#[$client_doc])*
        pub fn $method(&self, name: &str) -> Call<$call> {
            self.call(Method::POST, self.paths.$method(name))
        }
    };
}

/// The type of the field of [`Paths`] for a kind: one path, or (a named kind: actions) a path by name.
macro_rules! path_slot {
    (false) => {
        String
    };
    (true) => {
        BTreeMap<String, String>
    };
}

/// The docs of [`Paths`]' items: a kind's field (one path, or a path by name), and a named kind's path by name.
macro_rules! path_doc {
    (false, $role:literal, $default_path:literal) => {
        concat!("The ", $role, "'s (default `", $default_path, "`).")
    };
    (true, $role:literal, $default_path:literal) => {
        concat!("Each ", $role, "'s by name; one not listed is at `", $default_path, "/<name>`.")
    };
    (by_name, $role:literal, $field:ident, $default_path:literal) => {
        concat!(
            "The path of the ",
            $role,
            " named `name`: its entry in [`",
            stringify!($field),
            "`](Self::",
            stringify!($field),
            "), else `",
            $default_path,
            "/<name>`."
        )
    };
}

/// A field of [`Paths`]: the path of the one endpoint of a kind, or of each endpoint of a named kind by name.
trait PathSlot {
    fn default_for(kind: EndpointKind) -> Self;
    /// The first endpoint of the kind (or of the name) wins.
    #[cfg(feature = "testing")]
    fn record(&mut self, info: &EndpointInfo);
    fn single(&mut self) -> Option<&mut String>;
}

impl PathSlot for String {
    fn default_for(kind: EndpointKind) -> Self {
        kind.default_path().to_owned()
    }

    #[cfg(feature = "testing")]
    fn record(&mut self, info: &EndpointInfo) {
        info.path.clone_into(self);
    }

    fn single(&mut self) -> Option<&mut String> {
        Some(self)
    }
}

impl PathSlot for BTreeMap<String, String> {
    fn default_for(_: EndpointKind) -> Self {
        BTreeMap::new()
    }

    #[cfg(feature = "testing")]
    fn record(&mut self, info: &EndpointInfo) {
        if let Some(name) = info.action {
            self.entry(name.to_owned()).or_insert_with(|| info.path.to_owned());
        }
    }

    fn single(&mut self) -> Option<&mut String> {
        None
    }
}

crate::kinds::with_kinds!(test_client_kinds);
use markers::*;

/// A client for one bridge, in process or at a URL. Cheap to clone.
///
/// Each kind of endpoint ([`EndpointKind`](crate::EndpointKind)) has a builder, named as its field of [`Paths`]
/// ([`contact_sync`](Self::contact_sync), [`agent_sync`](Self::agent_sync), …; an action's by name:
/// [`action`](Self::action)); any other request goes through [`post`](Self::post) or [`get`](Self::get).
#[derive(Clone)]
pub struct TestClient {
    transport: Arc<dyn Transport>,
    paths: Arc<Paths>,
    /// What each request runs within while a bridge in process answers it (a cassette's player, a clock).
    #[cfg(feature = "testing")]
    around: in_process_client::Around,
    /// Sent with every request that does not set them itself.
    headers: Arc<HeaderMap>,
}

impl fmt::Debug for TestClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestClient").field("transport", &self.transport.describe()).field("paths", &self.paths).finish()
    }
}

impl TestClient {
    /// Calls the bridge at `base_url` (e.g. [`RunningBridge::url`](crate::RunningBridge::url)) over HTTP, with the
    /// default paths.
    pub fn http(base_url: impl Into<String>) -> Self {
        Self::with_transport(HttpTransport::new(base_url))
    }

    /// Calls a bridge through `transport`, with the default paths.
    pub fn with_transport(transport: impl Transport) -> Self {
        Self {
            transport: Arc::new(transport),
            paths: Arc::new(Paths::default()),
            #[cfg(feature = "testing")]
            around: in_process_client::Around::default(),
            headers: Arc::new(HeaderMap::new()),
        }
    }

    /// Sends the header `name: value` with every request of this client that does not set `name` itself: the
    /// bridge's inbound token (`Authorization: Bearer …`, see
    /// [`Bridge::inbound_token`](crate::Bridge::inbound_token)), a gateway's key. The value is marked sensitive, and
    /// never printed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use bridge::testing::TestClient;
    /// use bridge::{AgentPage, Auth, Bridge, Error, Secret};
    ///
    /// #[bridge::agent_retriever]
    /// async fn agents(_: Auth<serde_json::Value>) -> Result<AgentPage, Error> {
    ///     Ok(AgentPage::new(vec![]))
    /// }
    ///
    /// let bridge = || Bridge::new().inbound_token(Secret::new("s3cret")).endpoint(agents {});
    /// let without = TestClient::new(bridge()).unwrap();
    /// assert_eq!(without.agent_sync().send().await.status(), 403);
    /// let with = TestClient::new(bridge()).unwrap().header("authorization", "Bearer s3cret");
    /// assert_eq!(with.agent_sync().send().await.status(), 200);
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// When `name` or `value` is not a valid header (the value is not shown).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let (name, mut value) = header(name, value);
        value.set_sensitive(true);
        Arc::make_mut(&mut self.headers).insert(name, value);
        self
    }

    /// Sends each endpoint's requests to `paths`.
    pub fn with_paths(mut self, paths: Paths) -> Self {
        self.paths = Arc::new(paths);
        self
    }

    /// Where each endpoint's requests go.
    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// What the client reaches: `a bridge in process`, or the bridge's URL.
    pub fn describe(&self) -> String {
        self.transport.describe()
    }

    // `auth_validation()`, `contact_sync()`, …, `action(name)`: a builder per kind (`test_client_kinds!`).
    kind_calls!();

    /// A `POST` to any path, with a JSON envelope built like the endpoints' ones.
    pub fn post(&self, path: impl Into<String>) -> Call<RawCall> {
        self.call(Method::POST, path.into())
    }

    /// A `GET` to any path (e.g. `/health`), with no body.
    pub fn get(&self, path: impl Into<String>) -> Call<RawCall> {
        self.call(Method::GET, path.into()).raw_body(Bytes::new())
    }

    /// Sends a request built by hand.
    pub async fn send(&self, mut request: TestRequest) -> Result<TestResponse, TransportError> {
        for (name, value) in self.headers.iter() {
            if !request.headers.contains_key(name) {
                request.headers.insert(name, value.clone());
            }
        }
        let sending = self.transport.send(request);
        #[cfg(feature = "testing")]
        let sending = self.around.around(sending);
        sending.await
    }

    fn call<K: CallKind>(&self, method: Method, path: String) -> Call<K> {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Call {
            client: self.clone(),
            method,
            path,
            headers,
            auth: None,
            meta: None,
            data: None,
            body: None,
            kind: PhantomData,
        }
    }
}

/// What an endpoint answers with on success, by the kind of [`Call`]: what [`TestResponse::json`] decodes.
pub trait CallKind {
    /// The protocol type of a successful answer.
    type Answer: DeserializeOwned;
}

/// [`Call`] to any path: the answer is read as raw JSON.
#[derive(Debug)]
pub enum RawCall {}

impl CallKind for RawCall {
    type Answer = Value;
}

/// A request being built: the envelope's `auth`, `meta` and `data`, headers, and [`send`](Self::send).
///
/// The methods every kind has set the envelope's sections as JSON; each kind adds typed setters for its own `meta`
/// and `data` fields (e.g. [`Call::<ContactSyncCall>::offset`](Call::offset)). Only the sections that were set are
/// sent, as Talkdesk leaves out what it has not got.
///
/// # Panics
///
/// The setters panic when a value cannot be represented as JSON (a map with non-string keys): a bug in the test.
#[must_use = "a call does nothing until it is sent"]
pub struct Call<K> {
    client: TestClient,
    method: Method,
    path: String,
    headers: HeaderMap,
    auth: Option<Value>,
    meta: Option<Value>,
    data: Option<Value>,
    body: Option<Bytes>,
    kind: PhantomData<fn() -> K>,
}

impl<K> fmt::Debug for Call<K> {
    /// `auth` is never printed: it holds credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("auth", &self.auth.as_ref().map(|_| "<redacted>"))
            .field("meta", &self.meta)
            .field("data", &self.data)
            .finish_non_exhaustive()
    }
}

fn to_json(value: impl Serialize, what: &str) -> Value {
    serde_json::to_value(value).unwrap_or_else(|err| panic!("the test's {what} cannot be represented as JSON: {err}"))
}

fn section(slot: &mut Option<Value>) -> &mut Map<String, Value> {
    if !matches!(slot, Some(Value::Object(_))) {
        *slot = Some(Value::Object(Map::new()));
    }
    match slot {
        Some(Value::Object(map)) => map,
        _ => unreachable!("the section was just made an object"),
    }
}

fn push(slot: &mut Option<Value>, key: &str, value: Value) {
    let map = section(slot);
    match map.get_mut(key) {
        Some(Value::Array(items)) => items.push(value),
        _ => {
            map.insert(key.to_owned(), Value::Array(vec![value]));
        }
    }
}

impl<K: CallKind> Call<K> {
    /// Sets `auth`: the credentials, as a struct of the bridge's own `Auth` type would serialize, or as
    /// `serde_json::json!({…})`.
    pub fn auth(mut self, auth: impl Serialize) -> Self {
        self.auth = Some(to_json(auth, "auth"));
        self
    }

    /// Sets the whole `meta` section (any JSON, to test what a bridge does with a malformed one).
    pub fn meta(mut self, meta: impl Serialize) -> Self {
        self.meta = Some(to_json(meta, "meta"));
        self
    }

    /// Sets one field of `meta`.
    pub fn meta_field(mut self, key: &str, value: impl Serialize) -> Self {
        let value = to_json(value, "meta field");
        section(&mut self.meta).insert(key.to_owned(), value);
        self
    }

    /// Sets the whole `data` section: an action's inputs, say.
    pub fn data(mut self, data: impl Serialize) -> Self {
        self.data = Some(to_json(data, "data"));
        self
    }

    /// Sets one field of `data`.
    pub fn data_field(mut self, key: &str, value: impl Serialize) -> Self {
        let value = to_json(value, "data field");
        section(&mut self.data).insert(key.to_owned(), value);
        self
    }

    /// Adds or replaces a header (`Content-Type: application/json` is there unless replaced).
    ///
    /// # Panics
    ///
    /// When `name` or `value` is not a valid header (the value is not shown: it may be a token).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let (name, value) = header(name, value);
        self.headers.insert(name, value);
        self
    }

    /// Sends `body` as it is instead of the envelope: malformed JSON, an empty body, a body over the limit.
    pub fn raw_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// The envelope that will be sent: `{"auth": …, "meta": …, "data": …}` with the sections that were set.
    pub fn envelope(&self) -> Value {
        let mut envelope = Map::new();
        for (key, value) in [("auth", &self.auth), ("meta", &self.meta), ("data", &self.data)] {
            if let Some(value) = value {
                envelope.insert(key.to_owned(), value.clone());
            }
        }
        Value::Object(envelope)
    }

    /// The request, ready for a [`Transport`].
    pub fn request(&self) -> TestRequest {
        let body = match &self.body {
            Some(body) => body.clone(),
            None => Bytes::from(self.envelope().to_string()),
        };
        TestRequest { method: self.method.clone(), path: self.path.clone(), headers: self.headers.clone(), body }
    }

    /// Sends the request; `Err` only when no answer came at all (see [`TransportError`]).
    pub async fn try_send(self) -> Result<TestResponse<K::Answer>, TransportError> {
        let request = self.request();
        Ok(self.client.send(request).await?.cast())
    }

    /// Sends the request.
    ///
    /// # Panics
    ///
    /// When no answer came at all (the bridge at the URL is not listening yet, say). To wait for a bridge that is
    /// starting (a spawned binary), poll with [`try_send`](Self::try_send), which returns that as an `Err`:
    ///
    /// ```no_run
    /// # async fn example() {
    /// use bridge::testing::TestClient;
    ///
    /// let client = TestClient::http("http://127.0.0.1:3000");
    /// let health = loop {
    ///     match client.get("/health").try_send().await {
    ///         Ok(answer) => break answer,
    ///         Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
    ///     }
    /// };
    /// assert_eq!(health.status(), 200);
    /// # }
    /// ```
    pub async fn send(self) -> TestResponse<K::Answer> {
        let target = format!("{} {}", self.method, self.path);
        self.try_send().await.unwrap_or_else(|err| {
            panic!("{target} got no answer: {err} (to wait for a bridge that is starting, poll with `try_send()`)")
        })
    }
}

/// A header from text.
///
/// # Panics
///
/// When `name` or `value` is not valid; the message names the header, never its value (it may be a token).
fn header(name: &str, value: &str) -> (HeaderName, HeaderValue) {
    let name = HeaderName::try_from(name).unwrap_or_else(|_| panic!("`{name}` is not a header name"));
    let value = HeaderValue::try_from(value).unwrap_or_else(|_| panic!("the value of `{name}` is not a header value"));
    (name, value)
}

impl Call<ContactSyncCall> {
    /// `meta.synchronization_checkpoint`: makes this an incremental sync from `checkpoint`.
    pub fn checkpoint(self, checkpoint: impl Into<String>) -> Self {
        self.meta_field("synchronization_checkpoint", checkpoint.into())
    }

    /// `meta.offset`: the `next_offset` of the previous page.
    pub fn offset(self, offset: impl Into<String>) -> Self {
        self.meta_field("offset", offset.into())
    }

    /// `meta.context`: the `context` of the previous page.
    pub fn context(self, context: Value) -> Self {
        self.meta_field("context", context)
    }
}

impl Call<InteractionRetrievalCall> {
    /// `meta.interaction_types`: the types the user wants.
    pub fn interaction_types<I, S>(self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let types: Vec<String> = types.into_iter().map(Into::into).collect();
        self.meta_field("interaction_types", types)
    }

    /// `data.contact_external_id`.
    pub fn contact_external_id(self, id: impl Into<String>) -> Self {
        self.data_field("contact_external_id", id.into())
    }

    /// `data.contact_name`.
    pub fn contact_name(self, name: impl Into<String>) -> Self {
        self.data_field("contact_name", name.into())
    }

    /// Adds an email to `data.contact_emails`.
    pub fn contact_email(mut self, email: impl Into<String>) -> Self {
        push(&mut self.data, "contact_emails", Value::String(email.into()));
        self
    }

    /// Adds a phone number to `data.contact_phones`.
    pub fn contact_phone(mut self, phone: impl Into<String>) -> Self {
        push(&mut self.data, "contact_phones", Value::String(phone.into()));
        self
    }
}

impl Call<ActionCall> {
    /// `meta.contact_external_id`: the action runs in the scope of this contact.
    pub fn contact_external_id(self, id: impl Into<String>) -> Self {
        self.meta_field("contact_external_id", id.into())
    }

    /// `meta.agent_external_id`: the agent who ran the action.
    pub fn agent_external_id(self, id: impl Into<String>) -> Self {
        self.meta_field("agent_external_id", id.into())
    }
}

impl Call<AgentSyncCall> {
    /// `meta.offset`: the `next_offset` of the previous page. Talkdesk sends it as an integer (`2`); a string is
    /// accepted too.
    pub fn offset(self, offset: impl Serialize) -> Self {
        self.meta_field("offset", offset)
    }
}

#[cfg(test)]
mod tests {
    use super::header;
    use super::{EndpointInfo, EndpointKind, Method, Paths, TestClient};

    #[test]
    fn paths_has_a_place_for_every_kind_of_the_table() {
        let mut paths = Paths::default();
        for kind in EndpointKind::ALL {
            match paths.endpoint_mut(kind) {
                Some(path) => assert_eq!((kind.is_named(), path.as_str()), (false, kind.default_path())),
                None => assert!(kind.is_named(), "{kind:?}"),
            }
        }
        let info = |kind, path, action| EndpointInfo { kind, path, handler: "h", action };
        paths.record(&info(EndpointKind::AgentSync, "/v2/agents", None));
        paths.record(&info(EndpointKind::Action, "/tickets", Some("create_ticket")));
        assert_eq!(paths.endpoint_mut(EndpointKind::AgentSync).unwrap(), "/v2/agents");
        assert_eq!(paths.action("create_ticket"), "/tickets");
        assert_eq!(paths.action("other"), "/actions/other");
    }

    #[test]
    fn each_kinds_builder_posts_to_the_path_paths_gives_that_kind() {
        let mut paths = Paths::default();
        for kind in EndpointKind::ALL {
            if let Some(path) = paths.endpoint_mut(kind) {
                *path = format!("/own/{kind:?}");
            }
        }
        paths.actions.insert("create_ticket".to_owned(), "/own/tickets".to_owned());
        let client = TestClient::http("http://127.0.0.1:9").with_paths(paths.clone());
        for kind in EndpointKind::ALL {
            // Every kind, no wildcard arm: a kind's builder is checked as soon as the kind exists.
            let request = match kind {
                EndpointKind::AuthValidation => client.auth_validation().request(),
                EndpointKind::ContactSync => client.contact_sync().request(),
                EndpointKind::InteractionRetrieval => client.interaction_retrieval().request(),
                EndpointKind::Action => client.action("create_ticket").request(),
                EndpointKind::AgentSync => client.agent_sync().request(),
            };
            let expected = paths.endpoint_mut(kind).cloned().unwrap_or_else(|| paths.action("create_ticket"));
            assert_eq!((request.method, request.path.as_str()), (Method::POST, expected.as_str()), "{kind:?}");
            assert!(expected.starts_with("/own/"), "{kind:?} is at a path of its own: {expected}");
        }
        assert_eq!(client.action("other").request().path, "/actions/other");
    }

    #[test]
    fn a_bad_header_names_itself_and_never_shows_its_value() {
        assert_eq!(header("authorization", "Bearer t").0, "authorization");
        let refused = std::panic::catch_unwind(|| header("authorization", "Bearer s3cret\n")).unwrap_err();
        let message = refused.downcast_ref::<String>().cloned().unwrap_or_default();
        assert_eq!(message, "the value of `authorization` is not a header value");
        let refused = std::panic::catch_unwind(|| header("bad name", "v")).unwrap_err();
        assert_eq!(refused.downcast_ref::<String>().map(String::as_str), Some("`bad name` is not a header name"));
    }

    #[tokio::test]
    async fn send_to_nothing_listening_says_to_poll_with_try_send() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        drop(listener); // nothing listens there now
        let client = super::TestClient::http(&url);
        assert!(client.get("/health").try_send().await.is_err(), "try_send returns the refusal");
        let panic = tokio::spawn(async move { client.get("/health").send().await }).await.unwrap_err().into_panic();
        let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(message.starts_with("GET /health got no answer: "), "{message}");
        assert!(message.ends_with("(to wait for a bridge that is starting, poll with `try_send()`)"), "{message}");
    }
}
