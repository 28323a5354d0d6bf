//! The generated-code contract: every trait and function the macros' output relies on, in one place.
//!
//! For a handler `contacts`, a macro emits the function unchanged, a struct `contacts {}`, and an impl of
//! [`Endpoint`](crate::Endpoint) for that struct, whose `mount` calls the kind's `mount_*` function (e.g.
//! [`mount_contact_retriever`]) with a closure that calls the handler: at once ([`ready`]), or once the parameters
//! of the author's own are built ([`extracting`], [`extract`]). Generated code names all of this through
//! `bridge::__private`.
//!
//! Generated code never names the user's types: they are inferred from the handler's signature, so that a type
//! that does not resolve (a missing `use`) is reported once, by rustc, on the signature. Each requirement on
//! them is checked in exactly one place, on an expression that generated code spans over the user's own
//! tokens, so that one mistake gives one error, in the framework's words (`#[diagnostic::on_unimplemented]`):
//!
//! | requirement                                              | checked by                                     | reported on         |
//! |----------------------------------------------------------|------------------------------------------------|---------------------|
//! | the `T` of `Auth<T>` is `Deserialize + Send + 'static`   | [`AuthType`] bound of `mount_<kind>`           | that `T`            |
//! | the `T` of `Data<T>` is `Deserialize + Send + 'static`   | [`InputType`] bound of `mount_action_executor` | that `T`            |
//! | the return type is the endpoint's `Result`               | `<Kind>Result` bound of `mount_<kind>`         | the return type     |
//! | the `T` of `State<T>` is `Clone + Send + Sync + 'static` | [`StateType`] bound of [`state`]               | that `T`            |
//! | the handler's future is `Send`                           | [`handler_future`]                             | the function's name |
//! | any other parameter type implements `FromRequest`        | [`FromRequest`] bound of [`extract`]           | that type           |
//!
//! A bound is reported on the argument whose type names its parameter: the [`Witness`] that generated code
//! spans over the user's type. Everything the server needs afterwards follows from these bounds, in generic
//! code (`mount_handler`), so nothing is required (and reported) a second time; state values travel as
//! [`StateHandle`]s, which are `Clone + Send + Sync` whatever the state's type, for the same reason.

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

/// What an auth validator returns.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not what an auth validator returns",
    label = "an auth validator returns `Result<(), E>` or `Result<bridge::AuthValidation, E>`",
    note = "`E` is `bridge::Error`, or an error type that converts into it (`impl From<E> for bridge::Error`)"
)]
pub trait AuthValidatorResult: HandlerResult {}

impl<E: Into<Error>> AuthValidatorResult for Result<(), E> {}
impl<E: Into<Error>> AuthValidatorResult for Result<AuthValidation, E> {}

/// What a contact retriever returns.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not what a contact retriever returns",
    label = "a contact retriever returns `Result<bridge::ContactPage, E>`",
    note = "`E` is `bridge::Error`, or an error type that converts into it (`impl From<E> for bridge::Error`)"
)]
pub trait ContactRetrieverResult: HandlerResult {}

impl<E: Into<Error>> ContactRetrieverResult for Result<ContactPage, E> {}

/// What an interaction retriever returns.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not what an interaction retriever returns",
    label = "an interaction retriever returns `Result<Vec<bridge::Interaction>, E>`",
    note = "`E` is `bridge::Error`, or an error type that converts into it (`impl From<E> for bridge::Error`)"
)]
pub trait InteractionRetrieverResult: HandlerResult {}

impl<E: Into<Error>> InteractionRetrieverResult for Result<Vec<Interaction>, E> {}

/// What an action executor returns.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not what an action executor returns",
    label = "an action executor returns `Result<bridge::ActionOutcome, E>`",
    note = "`E` is `bridge::Error`, or an error type that converts into it (`impl From<E> for bridge::Error`)"
)]
pub trait ActionExecutorResult: HandlerResult {}

impl<E: Into<Error>> ActionExecutorResult for Result<ActionOutcome, E> {}

/// What an agent retriever returns.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not what an agent retriever returns",
    label = "an agent retriever returns `Result<bridge::AgentPage, E>` or `Result<Vec<bridge::Agent>, E>`",
    note = "`E` is `bridge::Error`, or an error type that converts into it (`impl From<E> for bridge::Error`)"
)]
pub trait AgentRetrieverResult: HandlerResult {}

impl<E: Into<Error>> AgentRetrieverResult for Result<AgentPage, E> {}
impl<E: Into<Error>> AgentRetrieverResult for Result<Vec<Agent>, E> {}

/// Mounts an auth validator: `auth` witnesses the `T` of `Auth<T>`, `result` the return type, and `handler` calls
/// the user's function with one request.
pub fn mount_auth_validator<A, R, H>(
    ctx: &MountContext<'_>,
    auth: Witness<A>,
    result: Witness<R>,
    handler: H,
) -> Mounted
where
    A: AuthType,
    R: AuthValidatorResult + 'static,
    H: Fn(Envelope<A, NoMeta, NoData>, RequestParts) -> Extraction<R> + Send + Sync + 'static,
{
    let _ = (auth, result);
    mount_handler(ctx, handler)
}

/// Mounts a contact retriever (see [`mount_auth_validator`]).
pub fn mount_contact_retriever<A, R, H>(
    ctx: &MountContext<'_>,
    auth: Witness<A>,
    result: Witness<R>,
    handler: H,
) -> Mounted
where
    A: AuthType,
    R: ContactRetrieverResult + 'static,
    H: Fn(Envelope<A, ContactSyncMeta, NoData>, RequestParts) -> Extraction<R> + Send + Sync + 'static,
{
    let _ = (auth, result);
    mount_handler(ctx, handler)
}

/// Mounts an interaction retriever (see [`mount_auth_validator`]).
pub fn mount_interaction_retriever<A, R, H>(
    ctx: &MountContext<'_>,
    auth: Witness<A>,
    result: Witness<R>,
    handler: H,
) -> Mounted
where
    A: AuthType,
    R: InteractionRetrieverResult + 'static,
    H: Fn(Envelope<A, InteractionMeta, InteractionData>, RequestParts) -> Extraction<R> + Send + Sync + 'static,
{
    let _ = (auth, result);
    mount_handler(ctx, handler)
}

/// Mounts an action executor (see [`mount_auth_validator`]); `inputs` witnesses the `T` of `Data<T>` (or is a
/// witness of [`NoData`] for an action that takes none).
pub fn mount_action_executor<A, D, R, H>(
    ctx: &MountContext<'_>,
    auth: Witness<A>,
    inputs: Witness<D>,
    result: Witness<R>,
    handler: H,
) -> Mounted
where
    A: AuthType,
    D: InputType,
    R: ActionExecutorResult + 'static,
    H: Fn(Envelope<A, ActionMeta, D>, RequestParts) -> Extraction<R> + Send + Sync + 'static,
{
    let _ = (auth, inputs, result);
    mount_handler(ctx, handler)
}

/// Mounts an agent retriever (see [`mount_auth_validator`]).
pub fn mount_agent_retriever<A, R, H>(
    ctx: &MountContext<'_>,
    auth: Witness<A>,
    result: Witness<R>,
    handler: H,
) -> Mounted
where
    A: AuthType,
    R: AgentRetrieverResult + 'static,
    H: Fn(Envelope<A, AgentSyncMeta, NoData>, RequestParts) -> Extraction<R> + Send + Sync + 'static,
{
    let _ = (auth, result);
    mount_handler(ctx, handler)
}

/// Mounts any handler: each request is decoded, handed to `handler`, and its result answered.
fn mount_handler<A, M, D, R, H>(ctx: &MountContext<'_>, handler: H) -> Mounted
where
    A: DeserializeOwned + Send + 'static,
    M: DeserializeOwned + Send + 'static,
    D: DeserializeOwned + Send + 'static,
    R: HandlerResult + 'static,
    H: Fn(Envelope<A, M, D>, RequestParts) -> Extraction<R> + Send + Sync + 'static,
{
    Ok(ctx.mount(move |request: Envelope<A, M, D>, parts: RequestParts| {
        let extraction = handler(request, parts);
        async move {
            let future = match extraction {
                Extraction::Ready(future) => future,
                Extraction::Extracting(extracting) => extracting.await?,
            };
            future.await.into_result()
        }
    }))
}
