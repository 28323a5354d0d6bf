//! The test client's in-process half (feature `testing`): a client for a [`Bridge`] called without a socket, and
//! what each of its requests runs within (a cassette's player, a clock stood still).

use super::in_process_transport::InProcessTransport;
use super::test_messages::TestResponse;
use super::transport::TransportError;
use super::{Paths, TestClient};
use crate::builder::Bridge;
use crate::endpoint::EndpointKind;
use crate::mount::BuildError;
use crate::protocol::{frozen_clock, TalkdeskDate};
use crate::tap::Tap;
use crate::testing::Cassette;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use std::fmt;
use std::sync::Arc;

impl Paths {
    /// The paths `bridge` serves: the first endpoint of each kind, every action.
    pub fn of(bridge: &Bridge) -> Self {
        let mut paths = Self::default();
        let mut found: Vec<EndpointKind> = Vec::new();
        for info in bridge.endpoints() {
            if info.kind.is_named() || !found.contains(&info.kind) {
                found.push(info.kind);
                paths.record(&info);
            }
        }
        paths
    }
}

impl TestClient {
    /// Calls `bridge` in process, without a socket, through the path its requests take when it is served
    /// (request ids, load shedding, inbound token, routing, limits). Fails as
    /// [`Bridge::into_service`](crate::Bridge::into_service) does (a missing state, two endpoints on one path).
    pub fn new(bridge: Bridge) -> Result<Self, BuildError> {
        let paths = Paths::of(&bridge);
        Ok(Self::with_transport(InProcessTransport::new(bridge.into_service()?)).with_paths(paths))
    }

    /// Calls any HTTP service in process, with the default paths: an application a bridge is mounted in, or a
    /// deliberately broken bridge written by hand (see [`InProcessTransport::from_service`]).
    pub fn from_service<S, B>(service: S) -> Self
    where
        S: tower_service::Service<http::Request<http_body_util::Full<Bytes>>, Response = http::Response<B>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send,
        S::Error: fmt::Display,
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: fmt::Display,
    {
        Self::with_transport(InProcessTransport::from_service(service))
    }

    /// Answers every call the bridge makes through `bridge::http` while answering this client's requests from
    /// `cassette`, with no connection opened (see [`Cassette`] for matching, placeholders and checks), and stands
    /// the clock still at the cassette's [`clock`](Cassette::clock) unless [`clock`](Self::clock) set another.
    ///
    /// Only a bridge called in process ([`TestClient::new`]) sees the cassette: over HTTP the bridge's calls are
    /// the other process's.
    pub fn replay(mut self, cassette: &Cassette) -> Self {
        self.around.tap = Some(cassette.tap());
        self.around.clock = self.around.clock.or(Some(cassette.clock()));
        self
    }

    /// Makes [`TalkdeskDate::now`] give `at` while the bridge answers this client's requests (in process): for
    /// handlers that compute dates from now, so that a recording made with this clock replays exactly.
    pub fn clock(mut self, at: TalkdeskDate) -> Self {
        self.around.clock = Some(at);
        self
    }
}

/// What each request of a client runs within while the bridge answers it in process.
#[derive(Clone, Default)]
pub(super) struct Around {
    /// The player of a cassette.
    tap: Option<Arc<dyn Tap>>,
    /// The time `TalkdeskDate::now` gives.
    clock: Option<TalkdeskDate>,
}

impl Around {
    /// `sending`, within the clock and the cassette's player, if any.
    pub(super) fn around<'a>(
        &self,
        mut sending: BoxFuture<'a, Result<TestResponse, TransportError>>,
    ) -> BoxFuture<'a, Result<TestResponse, TransportError>> {
        if let Some(at) = self.clock {
            sending = Box::pin(frozen_clock(at, sending));
        }
        if let Some(tap) = &self.tap {
            sending = Box::pin(crate::scope::tap_around(Arc::clone(tap), sending));
        }
        sending
    }
}
