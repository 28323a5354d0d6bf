//! Talkdesk's side of OAuth 2.0, for the [`Simulator`](super::Simulator): when a bridge answers `401` to the
//! credentials it was given, Talkdesk refreshes the access token at the service's token endpoint and repeats the
//! request, once, with the new token.
//!
//! It exists because that loop is the whole contract of an `oauth2` integration, and a bridge can break it two
//! ways: by never answering `401` when the service refused the token (Talkdesk never refreshes, and the
//! integration dies when the first token expires), or by answering `401` for something else (a rate limit, an
//! outage), which makes Talkdesk refresh for nothing and the request fail anyway. With an [`OAuth`] the simulator
//! does what Talkdesk does, and two checks report how it went:
//!
//! - [`CheckId::OAuthRefresh`]: every `401` to the given credentials was followed by success once the token was
//!   refreshed (skipped when no `401` came: the token never expired during the run);
//! - [`CheckId::OAuthOnlyRejected`]: no fresh token was answered `401` — a `401` right after a refresh cannot mean
//!   "these credentials were rejected".
//!
//! ```no_run
//! # async fn example(client: bridge::testing::TestClient) {
//! use bridge::testing::{OAuth, Simulator};
//!
//! let oauth = OAuth::new("https://api.hubapi.com/oauth/v1/token", "client-id", "client-secret", "refresh-token");
//! Simulator::new(client, serde_json::json!({"access_token": "…"})).oauth(oauth).run().await.assert_passes();
//! # }
//! ```

use super::super::client::test_messages::TestResponse;
use super::super::client::{Call, CallKind, TestClient};
use super::report::{Check, CheckId, Outcome};
use crate::Secret;
use reqwest::Url;
use serde_json::Value;
use std::fmt;
use std::time::Duration;

/// Where and how to refresh an access token, as Talkdesk does for an `oauth2` integration: the token endpoint, the
/// integration's client credentials, and the refresh token Talkdesk holds.
#[derive(Clone)]
pub struct OAuth {
    token_url: String,
    client_id: String,
    client_secret: Secret,
    refresh_token: Secret,
    token_field: String,
    timeout: Duration,
}

impl fmt::Debug for OAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("token_field", &self.token_field)
            .finish_non_exhaustive()
    }
}

/// What a token endpoint answered to a refresh.
#[derive(Debug, Clone)]
pub struct Refreshed {
    /// The new access token.
    pub access_token: Secret,
    /// A new refresh token, when the service rotates them.
    pub refresh_token: Option<Secret>,
    /// How long the access token lives, in seconds, when the service says.
    pub expires_in: Option<u64>,
}

impl OAuth {
    /// Refreshes at `token_url` with the client credentials and `refresh_token` (the standard
    /// `grant_type=refresh_token` form, RFC 6749 §6); the access token goes into `auth.access_token` (see
    /// [`token_field`](Self::token_field)).
    pub fn new(
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        refresh_token: impl Into<String>,
    ) -> Self {
        Self {
            token_url: token_url.into(),
            client_id: client_id.into(),
            client_secret: Secret::new(client_secret.into()),
            refresh_token: Secret::new(refresh_token.into()),
            token_field: "access_token".to_owned(),
            timeout: Duration::from_secs(30),
        }
    }

    /// The key of `auth` that carries the access token (default `access_token`).
    pub fn token_field(mut self, field: impl Into<String>) -> Self {
        self.token_field = field.into();
        self
    }

    /// The key of `auth` that carries the access token.
    pub fn field(&self) -> &str {
        &self.token_field
    }

    /// Trades `refresh_token` for a new access token; `Err` says why not (in words, without the secrets).
    pub async fn refresh_with(&self, refresh_token: &Secret) -> Result<Refreshed, String> {
        let mut form = Url::parse("http://form/").map_err(|e| e.to_string())?;
        form.query_pairs_mut()
            .append_pair("grant_type", "refresh_token")
            .append_pair("client_id", &self.client_id)
            .append_pair("client_secret", self.client_secret.expose())
            .append_pair("refresh_token", refresh_token.expose());
        let body = form.query().unwrap_or_default().to_owned();
        let http = reqwest::Client::builder().timeout(self.timeout).build().map_err(|e| e.to_string())?;
        let response = http
            .post(&self.token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("the token endpoint did not answer: {}", e.without_url()))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if !status.is_success() {
            let text =
                text.replace(refresh_token.expose(), "<redacted>").replace(self.client_secret.expose(), "<redacted>");
            let text: String = text.chars().take(200).collect();
            return Err(format!("the token endpoint answered {status}: {text}"));
        }
        let answer: Value =
            serde_json::from_str(&text).map_err(|_| "the token endpoint's answer is not JSON".to_owned())?;
        let access_token = answer
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or("the token endpoint's answer has no access_token")?;
        Ok(Refreshed {
            access_token: Secret::new(access_token),
            refresh_token: answer.get("refresh_token").and_then(Value::as_str).map(Secret::new),
            expires_in: answer.get("expires_in").and_then(Value::as_u64),
        })
    }

    /// Trades the configured refresh token for a new access token.
    pub async fn refresh(&self) -> Result<Refreshed, String> {
        self.refresh_with(&self.refresh_token).await
    }
}

/// One simulator run's OAuth: the credentials in use (refreshed along the way), and what the refreshes found.
pub(crate) struct OAuthSession {
    oauth: OAuth,
    refresh_token: Secret,
    auth: Value,
    refreshed_after: Vec<String>,
    refresh_failures: Vec<String>,
    still_refused: Vec<String>,
}

impl OAuthSession {
    pub(crate) fn new(oauth: &OAuth, auth: &Value) -> Self {
        Self {
            refresh_token: oauth.refresh_token.clone(),
            oauth: oauth.clone(),
            auth: auth.clone(),
            refreshed_after: Vec::new(),
            refresh_failures: Vec::new(),
            still_refused: Vec::new(),
        }
    }

    /// Sends `call` (described as `what`) with the credentials in use; a `401` refreshes them and repeats it, once,
    /// as Talkdesk does. `Err` only when the bridge did not answer.
    pub(crate) async fn send<K: CallKind>(
        &mut self,
        client: &TestClient,
        what: &str,
        call: Call<K>,
    ) -> Result<TestResponse, String> {
        let call = call.auth(&self.auth);
        let first = client.send(call.request()).await.map_err(|err| format!("{what}: no answer: {err}"))?;
        if first.status() != 401 {
            return Ok(first);
        }
        let refreshed = match self.oauth.refresh_with(&self.refresh_token).await {
            Ok(refreshed) => refreshed,
            Err(err) => {
                self.refresh_failures.push(format!("{what} answered 401, and refreshing the token failed: {err}"));
                return Ok(first);
            }
        };
        if let Some(rotated) = refreshed.refresh_token {
            self.refresh_token = rotated;
        }
        if let Value::Object(fields) = &mut self.auth {
            fields.insert(self.oauth.token_field.clone(), Value::String(refreshed.access_token.expose().to_owned()));
        }
        let call = call.auth(&self.auth);
        let again = client.send(call.request()).await.map_err(|err| format!("{what}: no answer: {err}"))?;
        if again.status() == 401 {
            self.still_refused.push(format!(
                "{what} answered 401 again right after the token was refreshed: a 401 must mean the service \
                 rejected the credentials, and these were fresh"
            ));
        } else {
            self.refreshed_after.push(what.to_owned());
        }
        Ok(again)
    }

    /// The two OAuth checks.
    pub(crate) fn checks(&self) -> [Check; 2] {
        let mut refresh = Check::new(CheckId::OAuthRefresh, Outcome::Pass);
        if !self.refresh_failures.is_empty() || !self.still_refused.is_empty() {
            refresh.outcome = Outcome::Fail;
            refresh.reasons = self.refresh_failures.iter().chain(&self.still_refused).take(12).cloned().collect();
        } else if self.refreshed_after.is_empty() {
            refresh.outcome = Outcome::Skip;
            refresh.reasons = vec!["no 401 to the given credentials: the token never expired during the run".into()];
        } else {
            let n = self.refreshed_after.len();
            let list: Vec<&str> = self.refreshed_after.iter().take(5).map(String::as_str).collect();
            let more = if n > 5 { format!(" and {} more", n - 5) } else { String::new() };
            refresh.summary = Some(format!(
                "{n} refresh{}, each followed by success: after {}{more}",
                if n == 1 { "" } else { "es" },
                list.join(", ")
            ));
        }
        let mut only = Check::new(CheckId::OAuthOnlyRejected, Outcome::Pass);
        if self.still_refused.is_empty() {
            only.summary = Some(format!(
                "{} fresh token{} accepted",
                self.refreshed_after.len(),
                if self.refreshed_after.len() == 1 { "" } else { "s" }
            ));
        } else {
            only.outcome = Outcome::Fail;
            only.reasons = self.still_refused.iter().take(12).cloned().collect();
        }
        [refresh, only]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_out_of_debug() {
        let oauth = OAuth::new("http://127.0.0.1:9/token", "id", "very-secret", "refresh-me").token_field("token");
        let debug = format!("{oauth:?}");
        assert!(!debug.contains("very-secret") && !debug.contains("refresh-me"), "{debug}");
        assert_eq!(oauth.field(), "token");
    }

    use warp::Filter;

    /// A token endpoint on 127.0.0.1 that issues `fresh-<n>` for the refresh token `r1` (and rotates it to `r2`),
    /// and refuses anything else.
    async fn token_endpoint() -> String {
        let issued = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let route = warp::post().and(warp::body::form()).map(move |form: std::collections::HashMap<String, String>| {
            let ok = form.get("grant_type").map(String::as_str) == Some("refresh_token")
                && form.get("client_id").map(String::as_str) == Some("id")
                && form.get("client_secret").map(String::as_str) == Some("shh")
                && matches!(form.get("refresh_token").map(String::as_str), Some("r1" | "r2"));
            if !ok {
                let body = warp::reply::json(&serde_json::json!({"error": "invalid_grant"}));
                return warp::reply::with_status(body, warp::http::StatusCode::BAD_REQUEST);
            }
            let n = issued.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let body =
                serde_json::json!({"access_token": format!("fresh-{n}"), "refresh_token": "r2", "expires_in": 60});
            warp::reply::with_status(warp::reply::json(&body), warp::http::StatusCode::OK)
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(warp::serve(route).incoming(listener).run());
        format!("http://{addr}/oauth/token")
    }

    /// A bridge that accepts only tokens starting with `fresh-`, or (`broken`) answers 401 to everything.
    fn bridge(broken: bool) -> TestClient {
        let filter = warp::body::json().map(move |envelope: Value| {
            let token = envelope["auth"]["access_token"].as_str().unwrap_or_default();
            let status = if !broken && token.starts_with("fresh-") { 200 } else { 401 };
            let status = warp::http::StatusCode::from_u16(status).unwrap();
            warp::reply::with_status(warp::reply::json(&serde_json::json!({"agents": []})), status)
        });
        TestClient::from_service(warp::service(filter))
    }

    #[tokio::test]
    async fn a_401_is_refreshed_and_repeated_once_with_the_new_token() {
        let oauth = OAuth::new(token_endpoint().await, "id", "shh", "r1");
        let client = bridge(false);
        let mut session = OAuthSession::new(&oauth, &serde_json::json!({"access_token": "expired", "other": 1}));
        let answer = session.send(&client, "agent sync page 1", client.agent_sync()).await.unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(session.auth, serde_json::json!({"access_token": "fresh-0", "other": 1}));
        assert_eq!(session.refresh_token.expose(), "r2", "a rotated refresh token is kept");
        // The fresh token keeps working: no second refresh.
        let answer = session.send(&client, "agent sync page 2", client.agent_sync()).await.unwrap();
        assert_eq!(answer.status(), 200);
        let [refresh, only] = session.checks();
        assert_eq!((refresh.outcome, only.outcome), (Outcome::Pass, Outcome::Pass));
        assert!(refresh.summary.unwrap().starts_with("1 refresh, each followed by success: after agent sync page 1"));
    }

    #[tokio::test]
    async fn a_401_to_a_fresh_token_is_caught_and_a_failed_refresh_reported() {
        let oauth = OAuth::new(token_endpoint().await, "id", "shh", "r1");
        let client = bridge(true);
        let mut session = OAuthSession::new(&oauth, &serde_json::json!({"access_token": "expired"}));
        let answer = session.send(&client, "contact sync page 3", client.agent_sync()).await.unwrap();
        assert_eq!(answer.status(), 401);
        let [refresh, only] = session.checks();
        assert_eq!((refresh.outcome, only.outcome), (Outcome::Fail, Outcome::Fail));
        assert!(
            only.reasons[0].starts_with("contact sync page 3 answered 401 again right after the token was refreshed")
        );

        let wrong = OAuth::new(token_endpoint().await, "id", "wrong-secret", "r1");
        let mut session = OAuthSession::new(&wrong, &serde_json::json!({"access_token": "expired"}));
        session.send(&client, "auth validation", client.auth_validation()).await.unwrap();
        let [refresh, only] = session.checks();
        assert_eq!((refresh.outcome, only.outcome), (Outcome::Fail, Outcome::Pass));
        assert!(
            refresh.reasons[0].contains("refreshing the token failed: the token endpoint answered 400"),
            "{:?}",
            refresh.reasons
        );
        assert!(!refresh.reasons[0].contains("wrong-secret"));

        // No 401 at all: nothing to say about refreshing.
        let mut session = OAuthSession::new(&oauth, &serde_json::json!({"access_token": "fresh-x"}));
        let working = bridge(false);
        session.send(&working, "x", working.agent_sync()).await.unwrap();
        assert_eq!(session.checks()[0].outcome, Outcome::Skip);
    }

    #[tokio::test]
    async fn an_unreachable_token_endpoint_says_so() {
        let oauth = OAuth::new("http://127.0.0.1:9/token", "id", "very-secret", "refresh-me");
        let err = oauth.refresh().await.unwrap_err();
        assert!(err.starts_with("the token endpoint did not answer"), "{err}");
        assert!(!err.contains("refresh-me"), "{err}");
    }
}
