//! The generated-code contract: every trait and function the macros' output relies on, in one place.
//!
//! For a handler `contacts`, a macro emits the function unchanged, a struct `contacts {}`, and an impl of
//! [`Endpoint`](crate::Endpoint) for that struct, whose `mount` calls the one generic [`mount`] with the handler's
//! [kind](kind) and a closure that calls the handler: at once ([`ready`]), or once the parameters of the author's
//! own are built ([`extracting`], [`extract`]). Generated code names all of this through `bridge::__private`.
//!
//! Each kind is defined here by `kinds!`, from its row in the table of `kinds.rs` (read by the macros too): its
//! `meta`, its `data` and what it returns (with the message for a handler that returns something else). A new
//! kind is one more row there (see "adding a kind" in `kinds.rs`).
//!
//! Generated code never names the user's types: they are inferred from the handler's signature, so that a type
//! that does not resolve (a missing `use`) is reported once, by rustc, on the signature. Each requirement on
//! them is checked in exactly one place, on an expression that generated code spans over the user's own
//! tokens, so that one mistake gives one error, in the framework's words (`#[diagnostic::on_unimplemented]`):
//!
//! | requirement                                              | checked by                                     | reported on         |
//! |----------------------------------------------------------|------------------------------------------------|---------------------|
//! | the `T` of `Auth<T>` is `Deserialize + Send + 'static`   | [`AuthType`] bound of [`mount`]                | that `T`            |
//! | the `T` of `Data<T>` is `Deserialize + Send + 'static`   | [`InputType`], through [`InputsOf`]            | that `T`            |
//! | the return type is the endpoint's `Result`               | the kind's own trait, through [`Accepts`]      | the return type     |
//! | the `T` of `State<T>` is `Clone + Send + Sync + 'static` | [`StateType`] bound of [`state`]               | that `T`            |
//! | the handler's future is `Send`                           | [`handler_future`]                             | the function's name |
//! | any other parameter type implements `FromRequest`        | [`FromRequest`] bound of [`extract`]           | that type           |
//!
//! A bound is reported on the argument whose type names its parameter: the [`Witness`] that generated code
//! spans over the user's type. Everything the server needs afterwards follows from these bounds, in generic
//! code ([`mount`]), so nothing is required (and reported) a second time; state values travel as
//! [`StateHandle`]s, which are `Clone + Send + Sync` whatever the state's type, for the same reason.

use crate::endpoint::EndpointKind;
use crate::error::Error;
use crate::extract::{FromRequest, RequestParts};
use crate::mount::{BuildError, MountContext, Mounted};
use crate::protocol::{
    ActionMeta, ActionOutcome, Agent, AgentPage, AgentSyncMeta, AuthValidation, ContactPage, ContactSyncMeta, Envelope,
    Interaction, InteractionData, InteractionMeta, NoData, NoMeta,
};
use crate::reply::Reply;
use crate::witness::Witness;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// The body of the endpoint a macro emits for a handler with errors, so that `.endpoint(name {})` still compiles
/// and the user sees only the macro's messages. Never run: the build stops at those messages.
pub fn did_not_compile(handler: &str) -> ! {
    panic!("the handler `{handler}` did not compile")
}

/// A handler's future, boxed.
pub type HandlerFuture<R> = Pin<Box<dyn Future<Output = R> + Send>>;

/// What generated code hands the pipeline for one request: the handler's future, at once when the handler takes
/// no parameter of the author's own, else once those are built (or the error that building one failed with).
pub enum Extraction<R> {
    /// The handler's future.
    Ready(HandlerFuture<R>),
    /// The author's parameters being built, then the handler's future.
    Extracting(Pin<Box<dyn Future<Output = Result<HandlerFuture<R>, Error>> + Send>>),
}

/// The handler's future, for a handler without parameters of the author's own.
pub fn ready<R>(future: HandlerFuture<R>) -> Extraction<R> {
    Extraction::Ready(future)
}

/// Builds the author's parameters (`extracting`), then calls the handler.
pub fn extracting<R, F>(extracting: F) -> Extraction<R>
where
    F: Future<Output = Result<HandlerFuture<R>, Error>> + Send + 'static,
{
    Extraction::Extracting(Box::pin(extracting))
}

/// Builds one parameter of the author's own, of the type `parameter` witnesses (spanned over it, so that a type
/// that does not implement [`FromRequest`] is reported there).
pub fn extract<T: FromRequest>(
    request: &RequestParts,
    parameter: Witness<T>,
) -> impl Future<Output = Result<T, Error>> + Send + '_ {
    let _ = parameter;
    T::from_request(request)
}

/// The type of the request's `auth`, as the bridge declares it (the `T` of `bridge::Auth<T>`).
///
/// Its blanket impl makes rustc report a missing `Deserialize` with this trait's message: the failing bound and
/// this one are on the same type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be decoded from the request's `auth`",
    label = "the `T` of `bridge::Auth<T>` must implement `serde::Deserialize`",
    note = "add `#[derive(serde::Deserialize)]` to `{Self}`"
)]
pub trait AuthType: DeserializeOwned + Send + 'static {}

impl<T: DeserializeOwned + Send + 'static> AuthType for T {}

/// The type of the request's `data`: for an action, the `T` of `bridge::Data<T>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be decoded from the action's inputs",
    label = "the `T` of `bridge::Data<T>` must implement `serde::Deserialize`",
    note = "add `#[derive(serde::Deserialize)]` to `{Self}`"
)]
pub trait InputType: DeserializeOwned + Send + 'static {}

impl<T: DeserializeOwned + Send + 'static> InputType for T {}

/// The type of a piece of shared state: the `T` of `bridge::State<T>`, given to `Bridge::state`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be shared state",
    label = "the `T` of `bridge::State<T>` must be `Clone + Send + Sync + 'static`",
    note = "shared state is cloned for every request and used from any thread: derive `Clone`, or share it as `Arc<{Self}>`",
    note = "a value that is not `Sync` (a database connection) goes behind a lock, as `Arc<std::sync::Mutex<{Self}>>` (or `tokio::sync::Mutex`), or in a connection pool"
)]
pub trait StateType: Clone + Send + Sync + 'static {}

impl<T: Clone + Send + Sync + 'static> StateType for T {}

/// A piece of shared state, looked up when the bridge starts; [`get`](Self::get) clones it for one request.
///
/// It is `Clone + Send + Sync` whatever `T` is, so that a state type that is not is reported once, by [`state`].
pub struct StateHandle<T>(Arc<dyn Fn() -> T + Send + Sync>);

impl<T> StateHandle<T> {
    /// A copy of the state for one request.
    pub fn get(&self) -> T {
        (self.0)()
    }
}

impl<T> Clone for StateHandle<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

/// The shared state of type `T`, for the handler being mounted.
pub fn state<T: StateType>(ctx: &MountContext<'_>, _: Witness<T>) -> Result<StateHandle<T>, BuildError> {
    let value = ctx.state::<T>()?;
    Ok(StateHandle(Arc::new(move || value.clone())))
}

/// The handler's future, boxed; it must be `Send` to be served by a multi-threaded server.
pub fn handler_future<F: Future + Send + 'static>(future: F) -> HandlerFuture<F::Output> {
    Box::pin(future)
}

/// What a handler returns: a `Result` whose success is an answer and whose error converts into
/// [`bridge::Error`](Error). Each endpoint kind narrows the success type (`AuthValidatorResult`, …).
pub trait HandlerResult {
    /// The success type.
    type Ok: Reply;
    /// The result, with the error converted.
    fn into_result(self) -> Result<Self::Ok, Error>;
}

impl<T: Reply, E: Into<Error>> HandlerResult for Result<T, E> {
    type Ok = T;

    fn into_result(self) -> Result<T, Error> {
        self.map_err(Into::into)
    }
}

/// An endpoint kind, as generated code mounts it: what its handler receives as the request's `meta`. Each kind
/// is defined once, in the table of `kinds.rs` (which the macros read too), and implemented by `kinds!` below.
pub trait Kind: Send + Sync + 'static {
    /// The kind, at run time.
    const KIND: EndpointKind;
    /// The request's `meta`, decoded for the handler.
    type Meta: DeserializeOwned + Send + 'static;
}

/// The `data` a handler of kind `K` receives: fixed for every kind but the action executor's, whose inputs are
/// the author's own type (checked by [`InputType`]).
pub trait InputsOf<K: Kind>: DeserializeOwned + Send + 'static {}

/// A kind whose handlers may return `R`: each kind accepts what its own trait (`ActionExecutorResult`, …) is
/// implemented for. The bound is on the kind, not on `R`, so that rustc reports a wrong return type with that
/// trait's message, in the kind's words ("… is not what an action executor returns").
pub trait Accepts<R>: Kind {
    /// The success of the result.
    type Ok: Reply;
    /// The result, with its error converted.
    fn into_result(result: R) -> Result<Self::Ok, Error>;
}

/// Defines each endpoint kind of the table (`kinds.rs`): its marker type (in [`kind`]), its `meta`, its `data`, and
/// what its handler returns, with the message rustc prints when a handler returns something else.
macro_rules! kinds {
    ($({
        $(#[$doc:meta])*
        variant: $kind:ident,
        macro_name: $marker:ident,
        role: $role:literal,
        role_with_article: $role_with_article:literal,
        configuration_key: $configuration_key:literal,
        default_path: $default_path:literal,
        named: $named:literal,
        meta: $meta:ty,
        data: $data:ident,
        returns: $result:ident for [$($ok:ty),+] as $returns:literal,
        message: $message:literal,
        label: $label:literal,
        $($rest:tt)*
    })*) => {
        /// The endpoint kinds, one marker type each, named after the macro that declares a handler of the kind
        /// (so that rustc's messages, which name the marker, read as the attribute the user wrote).
        #[allow(non_camel_case_types)]
        pub mod kind {
            $(
                #[doc = concat!("The kind of a `#[bridge::", stringify!($marker), "]` handler.")]
                pub struct $marker;
            )*
        }
        $(
            impl Kind for kind::$marker {
                const KIND: EndpointKind = EndpointKind::$kind;
                type Meta = $meta;
            }

            inputs_of!($marker, $data);

            #[doc = concat!("What a `#[bridge::", stringify!($marker), "]` handler returns.")]
            #[diagnostic::on_unimplemented(
                message = $message,
                label = $label,
                note = "`E` is `bridge::Error`, or an error type that converts into it (`impl From<E> for bridge::Error`)"
            )]
            pub trait $result: HandlerResult {}

            $(impl<E: Into<Error>> $result for Result<$ok, E> {})+

            impl<R: $result> Accepts<R> for kind::$marker {
                type Ok = R::Ok;

                fn into_result(result: R) -> Result<R::Ok, Error> {
                    result.into_result()
                }
            }
        )*
    };
}

/// The `data` a kind's handler takes: the runtime's type, or (`Data`) the author's, for which `InputsOf` has a
/// blanket impl below.
macro_rules! inputs_of {
    ($marker:ident, Data) => {};
    ($marker:ident, $data:ty) => {
        impl InputsOf<kind::$marker> for $data {}
    };
}

use crate::kinds::with_kinds;
with_kinds!(kinds);

/// An action's `data` is the author's inputs type (`NoData` when it takes none), checked by [`InputType`].
impl<D: InputType> InputsOf<kind::action_executor> for D {}

/// Mounts a handler of kind `K`: `kind` names the kind, `auth` witnesses the `T` of `Auth<T>`, `inputs` the type of
/// the request's `data` (the `T` of `Data<T>` for an action), `result` the return type, and `handler` calls the
/// user's function with one request. Each request is decoded, handed to `handler`, and its result answered.
pub fn mount<K, A, D, R, H>(
    ctx: &MountContext<'_>,
    kind: Witness<K>,
    auth: Witness<A>,
    inputs: Witness<D>,
    result: Witness<R>,
    handler: H,
) -> Mounted
where
    K: Accepts<R>,
    A: AuthType,
    D: InputsOf<K>,
    R: Send + 'static,
    H: Fn(Envelope<A, K::Meta, D>, RequestParts) -> Extraction<R> + Send + Sync + 'static,
{
    let _ = (kind, auth, inputs, result);
    debug_assert_eq!(K::KIND, ctx.info.kind, "generated code mounts a handler as the kind it declares");
    Ok(ctx.mount(move |request: Envelope<A, K::Meta, D>, parts: RequestParts| {
        let extraction = handler(request, parts);
        async move {
            let future = match extraction {
                Extraction::Ready(future) => future,
                Extraction::Extracting(extracting) => extracting.await?,
            };
            K::into_result(future.await)
        }
    }))
}
