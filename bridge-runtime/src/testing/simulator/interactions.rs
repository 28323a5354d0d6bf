//! Interaction retrieval as Talkdesk runs it: a lookup per synced contact (id, name, emails, phones) and per
//! configured lookup, with the integration's interaction types; then, when an answer mixed several types, the same
//! lookup for one type only, to catch a bridge that ignores the filter.

use super::super::client::test_messages::TestResponse;
use super::checks::{self, excerpt, kind, Findings, Id};
use super::report::CheckId;
use super::run::{count, json_answer, Probe, Run};
use crate::endpoint::EndpointKind;
use serde_json::{Map, Value};
use std::collections::HashSet;

impl Run<'_> {
    /// Looks interactions up for a few synced contacts and the configured lookups.
    pub(super) async fn interactions(&mut self, contacts: &[Map<String, Value>]) {
        let ids = [
            CheckId::InteractionAnswers,
            CheckId::InteractionFields,
            CheckId::InteractionValues,
            CheckId::InteractionTypes,
            CheckId::InteractionIds,
        ];
        if let Some(why) = self.undeclared(EndpointKind::InteractionRetrieval) {
            self.skip_all(&ids, &why);
            return;
        }
        let mut lookups: Vec<Value> = self.sim.interaction_lookups.clone();
        let mut with_id = contacts.iter().filter_map(|c| Some((Id::read(c).text()?.to_owned(), c)));
        for (id, contact) in with_id.by_ref().take(self.sim.interaction_contacts) {
            let mut data = Map::new();
            data.insert("contact_external_id".into(), Value::String(id));
            if let Some(name) = contact.get("name").filter(|n| n.is_string()) {
                data.insert("contact_name".into(), name.clone());
            }
            for (from, to) in [("emails", "contact_emails"), ("phones", "contact_phones")] {
                if let Some(Value::Array(values)) = contact.get(from) {
                    if values.iter().all(Value::is_string) {
                        data.insert(to.into(), Value::Array(values.clone()));
                    }
                }
            }
            lookups.push(Value::Object(data));
        }
        let no_lookup = lookups.is_empty();
        if no_lookup {
            lookups.push(Value::Object(Map::new()));
        } else {
            // Until one is found that brings interactions back, the first lookup is the one to replay.
            self.replay.lookup = Some((lookups[0].clone(), false));
        }

        let mut answers = Probe::new(CheckId::InteractionAnswers);
        let mut fields = Probe::new(CheckId::InteractionFields);
        let mut values = Probe::new(CheckId::InteractionValues);
        let mut types = Probe::new(CheckId::InteractionTypes);
        let mut unique = Probe::new(CheckId::InteractionIds);
        let requested = self.sim.interaction_types.clone();
        let mut total = 0usize;
        let mut mixed: Option<(Value, String)> = None;
        // The search, when asked for: the other contacts, each by id, then by emails and phones, made only while
        // nothing came back.
        let fixed = lookups.len();
        if !no_lookup {
            lookups.extend(
                with_id.flat_map(|(id, contact)| search_lookups(id, contact)).take(self.sim.interaction_search),
            );
        }
        let mut made = 0;
        for lookup in &lookups {
            if made >= fixed && total > 0 {
                break;
            }
            made += 1;
            let n = made;
            let what = format!("lookup {n} ({})", excerpt(&lookup.to_string(), 80));
            let call =
                self.sim.client.interaction_retrieval().auth(&self.sim.auth).interaction_types(&requested).data(lookup);
            let first = n == 1 && self.may_be_absent();
            let response = match self.send(&format!("interaction {what}"), call, first).await {
                Ok(response) => response,
                Err(err) => {
                    answers.fail(err);
                    continue;
                }
            };
            if first && response.status() == 404 {
                let path = self.sim.client.paths().interaction_retrieval.clone();
                self.skip_all(&ids, &format!("not served: POST {path} answered 404"));
                return;
            }
            // A declared endpoint that answers 404 fails here; the rejected-credentials round skips it.
            self.served.interactions |= response.status() != 404;
            let Some(items) = interaction_list(&what, &response, &mut answers) else { continue };
            if !no_lookup && !items.is_empty() && !self.replay.lookup.as_ref().is_some_and(|(_, found)| *found) {
                self.replay.lookup = Some((lookup.clone(), true));
            }
            let mut seen: HashSet<String> = HashSet::new();
            let mut kinds: Vec<String> = Vec::new();
            for (i, item) in items.iter().enumerate() {
                total += 1;
                let Some(interaction) = item.as_object() else {
                    fields.fail(format!("{what}, interaction #{}: {}, not an object", i + 1, kind(item)));
                    continue;
                };
                let id = Id::read(interaction);
                let label = format!("{what}, {}", id.label("interaction", i + 1));
                if let Some(problem) = id.problem() {
                    unique.fail(format!("{label} {problem}"));
                }
                if let Some(text) = id.text() {
                    if !seen.insert(text.to_owned()) {
                        unique.fail(format!("{what}: id {text:?} appears twice"));
                    }
                }
                let mut findings = Findings::default();
                let interaction_type = checks::interaction_fields(interaction, &label, &mut findings);
                fields.absorb(findings);
                checks::interaction_values(interaction, &label, values.errors());
                if let Some(interaction_type) = interaction_type {
                    if !requested.contains(&interaction_type) {
                        types.fail(format!(
                            "{label}: type {interaction_type:?} was not requested (asked for {})",
                            requested.join(", ")
                        ));
                    } else if !kinds.contains(&interaction_type) {
                        kinds.push(interaction_type);
                    }
                }
            }
            if mixed.is_none() && kinds.len() > 1 {
                mixed = Some((lookup.clone(), kinds[0].clone()));
            }
        }

        // A bridge that ignores the filter answers the same to a narrower request.
        if let Some((lookup, only)) = mixed {
            let what = format!("lookup for type {only:?} only");
            let call =
                self.sim.client.interaction_retrieval().auth(&self.sim.auth).interaction_types([&only]).data(&lookup);
            match self.send(&format!("interaction {what}"), call, false).await {
                Err(err) => answers.fail(err),
                Ok(response) => {
                    if let Some(items) = interaction_list(&what, &response, &mut answers) {
                        for (i, item) in items.iter().enumerate() {
                            let Some(interaction) = item.as_object() else { continue };
                            let found = interaction.get("type").and_then(Value::as_str).unwrap_or_default();
                            if found != only {
                                let label = Id::read(interaction).label("interaction", i + 1);
                                types.fail(format!(
                                    "{what}: {label} has type {found:?}: the bridge ignores interaction_types"
                                ));
                            }
                        }
                    }
                }
            }
        }

        let looked = if no_lookup {
            "1 lookup with no contact (no contact was synced)".to_owned()
        } else if made > fixed {
            format!(
                "{} ({} searched for, of at most {})",
                count(made, "lookup"),
                made - fixed,
                self.sim.interaction_search
            )
        } else {
            count(made, "lookup")
        };
        answers.summary(format!("{looked}, {}", count(total, "interaction")));
        let nothing = format!("no interaction came back from {looked}: add a lookup that finds some (`--lookup`)");
        for probe in [&mut fields, &mut values, &mut types, &mut unique] {
            if total == 0 {
                probe.skip(nothing.clone());
            } else {
                probe.summary(count(total, "interaction"));
            }
        }
        for probe in [answers, fields, values, types, unique] {
            self.push(probe);
        }
    }
}

/// The lookups the search makes for one contact: by its id, then by its emails and phones when it has some.
fn search_lookups(id: String, contact: &Map<String, Value>) -> Vec<Value> {
    let mut by_id = Map::new();
    by_id.insert("contact_external_id".into(), Value::String(id));
    let mut by_address = Map::new();
    for (from, to) in [("emails", "contact_emails"), ("phones", "contact_phones")] {
        if let Some(Value::Array(values)) = contact.get(from) {
            if !values.is_empty() && values.iter().all(Value::is_string) {
                by_address.insert(to.into(), Value::Array(values.clone()));
            }
        }
    }
    let mut lookups = vec![Value::Object(by_id)];
    if !by_address.is_empty() {
        lookups.push(Value::Object(by_address));
    }
    lookups
}

/// The interactions of a `200` JSON array answer; records why otherwise.
fn interaction_list(what: &str, response: &TestResponse, answers: &mut Probe) -> Option<Vec<Value>> {
    match json_answer(what, &format!("{what}: the answer"), response, answers)? {
        Value::Array(items) => Some(items),
        other => {
            answers.fail(format!("{what}: the answer is {}, not an array", kind(&other)));
            None
        }
    }
}
