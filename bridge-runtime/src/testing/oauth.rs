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
//! # async fn example(client: bridge_runtime::testing::TestClient) {
//! use bridge_runtime::testing::{OAuth, Simulator};
//!
//! let oauth = OAuth::new("https://api.hubapi.com/oauth/v1/token", "client-id", "client-secret", "refresh-token");
//! Simulator::new(client, serde_json::json!({"access_token": "…"})).oauth(oauth).run().await.assert_passes();
//! # }
//! ```

use super::client::{Call, CallKind, TestClient, TestResponse};
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

    #[tokio::test]
    async fn an_unreachable_token_endpoint_says_so() {
        let oauth = OAuth::new("http://127.0.0.1:9/token", "id", "very-secret", "refresh-me");
        let err = oauth.refresh().await.unwrap_err();
        assert!(err.starts_with("the token endpoint did not answer"), "{err}");
        assert!(!err.contains("refresh-me"), "{err}");
    }
}
