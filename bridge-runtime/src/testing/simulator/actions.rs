//! Action execution: each configured action with its inputs, then without them. Success is `201` with the
//! documented fields, failure `400` with a message for the user; anything else breaks the protocol.

use super::super::client::{Call, CallKind};
use super::checks::{self, excerpt};
use super::report::CheckId;
use super::run::{body_excerpt, unexpected, Probe, Run};
use super::ActionProbe;
use serde_json::{Map, Value};

impl Run<'_> {
    /// Executes `action` with its inputs, then without them.
    pub(super) async fn action(&mut self, action: &ActionProbe) {
        let mut with_inputs = Probe::new(CheckId::Action).subject(&action.name);
        let call = self.sim.client.action(&action.name).auth(&self.sim.auth).meta(&action.meta).data(&action.data);
        let status = self.action_answer(&format!("action `{}`", action.name), call, &mut with_inputs).await;
        if status == Some(400) {
            self.replay.refused_actions.insert(action.name.clone());
        }
        self.push(with_inputs);
        let mut without = Probe::new(CheckId::ActionWithoutInputs).subject(&action.name);
        if action.without_inputs && action.has_inputs() {
            let call = self.sim.client.action(&action.name).auth(&self.sim.auth).meta(&action.meta).data(Map::new());
            self.action_answer(&format!("action `{}` without inputs", action.name), call, &mut without).await;
        } else {
            without.skip("not sent: the action has no inputs to leave out, or only_with_inputs was set");
        }
        self.push(without);
    }

    /// Checks one action answer: `201` with the documented fields, or `400` with a message. The answer's status,
    /// when there was an answer.
    async fn action_answer<K: CallKind>(&mut self, what: &str, call: Call<K>, probe: &mut Probe) -> Option<u16> {
        let response = match self.send(what, call, false).await {
            Ok(response) => response,
            Err(err) => {
                probe.fail(err);
                return None;
            }
        };
        let status = response.status().as_u16();
        let body = response.raw_json();
        match status {
            201 => match body {
                Ok(outcome) => {
                    let findings = checks::action_outcome(&outcome);
                    let keys = outcome.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default();
                    probe.absorb(findings);
                    probe.summary(format!("201 with {}", if keys.is_empty() { "{}".into() } else { keys.join(", ") }));
                }
                Err(_) => probe.fail(format!("201 with a body that is not JSON: {}", body_excerpt(&response))),
            },
            400 => match body.as_ref().ok().and_then(|b| b.get("message")) {
                Some(Value::String(message)) if !message.trim().is_empty() => {
                    probe.summary(format!("400 with the message {:?}", excerpt(message, 120)));
                }
                Some(Value::String(_)) => probe.fail("400 with an empty `message`: Talkdesk shows it to the user"),
                _ => probe.fail(format!(
                    "400 without a `message` string ({}): Talkdesk shows it to the user",
                    body_excerpt(&response)
                )),
            },
            200 => probe.fail(format!(
                "answered 200 with {}: an action that ran answers 201, one that failed 400",
                body_excerpt(&response)
            )),
            _ => probe.fail(unexpected(&response)),
        }
        Some(status)
    }
}
