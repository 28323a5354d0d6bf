//! Credentials: authorization validation with the given credentials (`204`, or `200` with fields to store) and
//! with altered ones (`401`), then altered credentials on every other endpoint that is served (`401` each time, since
//! for OAuth integrations a `401` is what makes Talkdesk refresh the token).

use super::super::checks::kind;
use super::super::report::CheckId;
use super::run::{body_excerpt, count, unexpected, Probe, Run};
use serde_json::{Map, Value};

impl Run<'_> {
    /// The given credentials, then altered ones.
    pub(super) async fn auth_validation(&mut self) {
        let path = self.sim.client.paths().auth_validation.clone();
        let mut accepted = Probe::new(CheckId::AuthAccepted);
        let call = self.sim.client.auth_validation().auth(&self.sim.auth);
        let response = match self.send("auth validation", call, true).await {
            Ok(response) => response,
            Err(err) => {
                accepted.fail(err);
                self.push(accepted);
                self.skip_all(&[CheckId::AuthRejected], "the bridge did not answer");
                return;
            }
        };
        match response.status().as_u16() {
            404 => {
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

    /// Altered credentials on every endpoint that is served: `401` each time.
    pub(super) async fn rejected_everywhere(&mut self) {
        let mut probe = Probe::new(CheckId::RejectedEverywhere);
        let Some(invalid) = self.sim.invalid_auth.clone() else {
            probe.skip("no altered credentials: the given ones have no string to alter");
            return self.push(probe);
        };
        let client = self.sim.client.clone();
        let paths = client.paths().clone();
        let empty = || Value::Object(Map::new());
        // (path, meta, data) of each request.
        let mut requests: Vec<(String, Value, Value)> = Vec::new();
        if self.served.contact_sync {
            requests.push((paths.contact_sync.clone(), empty(), empty()));
        }
        if self.served.interactions {
            let meta = serde_json::json!({"interaction_types": self.sim.interaction_types});
            requests.push((paths.interactions.clone(), meta, empty()));
        }
        for action in &self.sim.actions {
            requests.push((paths.action(&action.name), Value::Object(action.meta.clone()), action.data.clone()));
        }
        if self.served.agent_sync {
            requests.push((paths.agent_sync.clone(), empty(), empty()));
        }
        if requests.is_empty() {
            probe.skip("no endpoint besides auth validation is served");
            return self.push(probe);
        }
        let asked = requests.len();
        for (path, meta, data) in requests {
            let what = format!("POST {path} with altered credentials");
            let call = client.post(&path).auth(&invalid).meta(meta).data(data);
            match self.send(&what, call, false).await {
                Err(err) => probe.fail(err),
                Ok(response) if response.status() == 401 => {}
                Ok(response) => probe.fail(format!("{what} {}", unexpected(&response))),
            }
        }
        probe.summary(format!("{} asked", count(asked, "endpoint")));
        self.push(probe);
    }
}
