//! Credentials: authorization validation with the given credentials (`204`, or `200` with fields to store) and
//! with altered ones (`401`), then altered credentials on every other endpoint that is served (`401` each time, since
//! for OAuth integrations a `401` is what makes Talkdesk refresh the token).

use super::super::client::test_messages::TestResponse;
use super::checks::kind;
use super::report::CheckId;
use super::run::{body_excerpt, count, unexpected, Probe, Run};
use crate::endpoint::EndpointKind;
use serde_json::{Map, Value};

impl Run<'_> {
    /// The given credentials, then altered ones.
    pub(super) async fn auth_validation(&mut self) {
        let path = self.sim.client.paths().auth_validation.clone();
        if let Some(why) = self.undeclared(EndpointKind::AuthValidation) {
            self.skip_all(&[CheckId::AuthAccepted, CheckId::AuthRejected], &why);
            return;
        }
        let mut accepted = Probe::new(CheckId::AuthAccepted);
        let call = self.sim.client.auth_validation().auth(&self.sim.auth);
        let response = match self.send("auth validation", call, self.may_be_absent()).await {
            Ok(response) => response,
            Err(err) => {
                accepted.fail(err);
                self.push(accepted);
                self.skip_all(&[CheckId::AuthRejected], "the bridge did not answer");
                return;
            }
        };
        match response.status().as_u16() {
            404 if self.may_be_absent() => {
                let why = format!("not served: POST {path} answered 404");
                self.skip_all(&[CheckId::AuthAccepted, CheckId::AuthRejected], &why);
                return;
            }
            204 => {
                if !response.body().is_empty() {
                    accepted.warn(format!("204 with a body ({}): a 204 has none", body_excerpt(&response)));
                }
                accepted.summary("204 No Content");
            }
            200 => match response.raw_json() {
                Ok(Value::Object(fields)) if fields.is_empty() => accepted.summary("200 with {}"),
                Ok(Value::Object(fields)) => {
                    let keys: Vec<&str> = fields.keys().map(String::as_str).collect();
                    accepted.summary(format!("200 with fields to store: {}", keys.join(", ")));
                }
                Ok(other) => accepted.fail(format!("200 with {}: fields to store are an object", kind(&other))),
                Err(_) => accepted.fail(format!("200 with a body that is not JSON: {}", body_excerpt(&response))),
            },
            _ => accepted.fail(unexpected(&response)),
        }
        self.push(accepted);

        let mut rejected = Probe::new(CheckId::AuthRejected);
        match self.sim.invalid_auth.clone() {
            None => rejected.skip("no altered credentials: the given ones have no string to alter"),
            Some(invalid) => {
                let call = self.sim.client.auth_validation().auth(invalid);
                match self.send("auth validation with altered credentials", call, false).await {
                    Err(err) => rejected.fail(err),
                    Ok(response) if response.status() == 401 => rejected.summary("401 Unauthorized"),
                    Ok(response) => rejected.fail(format!("altered credentials {}", unexpected(&response))),
                }
            }
        }
        self.push(rejected);
    }

    /// Altered credentials on every other endpoint that is served, each with a request a correct bridge must take to
    /// its service: `401` each time. Auth validation is not asked again: [`CheckId::AuthRejected`] is that check.
    ///
    /// A `401` follows when the *service* refused the credentials, so only a request that had to reach the service
    /// can prove anything. Interaction retrieval gets the lookup that found interactions with the given
    /// credentials (else the first one sent, else an empty one); an action, its inputs. Where the bridge may
    /// rightly have had nothing to ask (an empty lookup, or one that found nothing; an action already refused with
    /// `400` with the given credentials), the answer that says so (`200 []`, `400`) is noted, not failed.
    pub(super) async fn rejected_everywhere(&mut self) {
        let mut probe = Probe::new(CheckId::RejectedEverywhere);
        let Some(invalid) = self.sim.invalid_auth.clone() else {
            probe.skip("no altered credentials: the given ones have no string to alter");
            return self.push(probe);
        };
        let client = self.sim.client.clone();
        let paths = client.paths().clone();
        let empty = || Value::Object(Map::new());
        let mut requests: Vec<Replayed> = Vec::new();
        if self.served.contact_sync {
            requests.push(Replayed::new("contact sync", paths.contact_sync.clone(), empty(), empty()));
        }
        if self.served.interactions {
            let meta = serde_json::json!({"interaction_types": self.sim.interaction_types});
            let mut request =
                Replayed::new("interaction retrieval", paths.interaction_retrieval.clone(), meta, empty());
            match self.replay.lookup.clone() {
                Some((lookup, true)) => request.data = lookup,
                Some((lookup, false)) => {
                    request.data = lookup;
                    request.inconclusive = Inconclusive::EmptyList(
                        "its lookup found no interaction with the given credentials either, so the bridge may have \
                         had nothing to ask its service",
                    );
                }
                None => {
                    request.inconclusive = Inconclusive::EmptyList(
                        "there was nothing to look up (no contact synced, no --lookup), so the bridge had nothing to \
                         ask its service",
                    )
                }
            }
            requests.push(request);
        }
        for action in &self.sim.actions {
            let mut request = Replayed::new(
                format!("action `{}`", action.name),
                paths.action(&action.name),
                Value::Object(action.meta.clone()),
                action.data.clone(),
            );
            if self.replay.refused_actions.contains(&action.name) {
                request.inconclusive = Inconclusive::Refused(
                    "the action was refused with 400 with the given credentials too, perhaps before asking its \
                     service",
                );
            }
            requests.push(request);
        }
        if self.served.agent_sync {
            requests.push(Replayed::new("agent sync", paths.agent_sync.clone(), empty(), empty()));
        }
        if requests.is_empty() {
            probe.skip("no endpoint besides auth validation is served");
            return self.push(probe);
        }
        let asked: Vec<String> = requests.iter().map(|r| r.name.clone()).collect();
        let mut notes: Vec<String> = Vec::new();
        for request in requests {
            let what = format!("POST {} with altered credentials", request.path);
            let call = client.post(&request.path).auth(&invalid).meta(request.meta).data(request.data);
            let response = match self.send(&what, call, false).await {
                Ok(response) => response,
                Err(err) => {
                    probe.fail(err);
                    continue;
                }
            };
            let status = response.status().as_u16();
            match (status, request.inconclusive) {
                (401, _) => {}
                (200, Inconclusive::EmptyList(why)) if is_empty_list(&response) => {
                    notes.push(format!("{} answered 200 [] without a 401, which is right when {why}", request.name));
                }
                (400, Inconclusive::Refused(why)) => {
                    notes.push(format!("{} answered 400, not 401: not counted, since {why}", request.name));
                }
                (200, Inconclusive::No) if request.path == paths.interaction_retrieval && is_empty_list(&response) => {
                    probe.fail(format!(
                        "{what} answered 200 with [] where the given credentials found interactions: the bridge \
                     swallowed its service's refusal instead of answering 401"
                    ))
                }
                _ => probe.fail(format!("{what} {}", unexpected(&response))),
            }
        }
        let mut summary = format!(
            "{} asked ({}); auth validation is the check above",
            count(asked.len(), "endpoint"),
            asked.join(", ")
        );
        for note in notes {
            summary.push_str("; ");
            summary.push_str(&note);
        }
        probe.summary(summary);
        self.push(probe);
    }
}

/// When an answer other than `401` to altered credentials proves nothing.
#[derive(Clone, Copy)]
enum Inconclusive {
    /// Every answer but `401` fails.
    No,
    /// A `200` with an empty list is right: the bridge may have had nothing to ask its service.
    EmptyList(&'static str),
    /// A `400` is right: the request was refused with the given credentials as well.
    Refused(&'static str),
}

/// One request of the rejected-credentials round.
struct Replayed {
    name: String,
    path: String,
    meta: Value,
    data: Value,
    inconclusive: Inconclusive,
}

impl Replayed {
    fn new(name: impl Into<String>, path: String, meta: Value, data: Value) -> Self {
        Self { name: name.into(), path, meta, data, inconclusive: Inconclusive::No }
    }
}

/// Whether the answer's body is the JSON `[]`.
fn is_empty_list(response: &TestResponse) -> bool {
    matches!(response.raw_json(), Ok(Value::Array(items)) if items.is_empty())
}
