//! Agent synchronization as Talkdesk runs it: every page, the offset sent back as an integer when it is one.

use super::checks::{self, kind, Id};
use super::report::CheckId;
use super::run::{count, page_object, seen_before, Pager, Probe, Run};
use super::Progress;
use crate::endpoint::EndpointKind;
use serde_json::Value;
use std::collections::HashMap;

impl Run<'_> {
    /// Every page of the agent sync.
    pub(super) async fn agent_sync(&mut self) {
        let ids = [CheckId::AgentPages, CheckId::AgentFields, CheckId::AgentSyncEnds];
        if let Some(why) = self.undeclared(EndpointKind::AgentSync) {
            self.skip_all(&ids, &why);
            return;
        }
        let [mut pages, mut fields, mut ends] = ids.map(Probe::new);
        let mut seen_ids: HashMap<String, usize> = HashMap::new();
        let mut pager = Pager::new(self.sim.max_pages);
        let mut offset: Option<Value> = None;
        let mut agents = 0;
        let mut page_no = 0;
        loop {
            page_no += 1;
            let mut call = self.sim.client.agent_sync().auth(&self.sim.auth);
            if let Some(offset) = &offset {
                call = call.offset(offset);
            }
            let at = format!("page {page_no}");
            let first = page_no == 1 && self.may_be_absent();
            let response = match self.send(&format!("agent sync {at}"), call, first).await {
                Ok(response) => response,
                Err(err) => {
                    pages.fail(err);
                    break;
                }
            };
            if first && response.status() == 404 {
                let path = self.sim.client.paths().agent_sync.clone();
                self.skip_all(&ids, &format!("not served: POST {path} answered 404"));
                return;
            }
            // A declared endpoint that answers 404 fails here; the rejected-credentials round skips it.
            self.served.agent_sync |= response.status() != 404;
            let Some(page) = page_object(&at, &response, &mut pages) else { break };
            match page.get("agents") {
                Some(Value::Array(items)) => {
                    for (i, item) in items.iter().enumerate() {
                        agents += 1;
                        let Some(agent) = item.as_object() else {
                            fields.fail(format!("{at}, agent #{}: {}, not an object", i + 1, kind(item)));
                            continue;
                        };
                        let id = Id::read(agent);
                        let label = format!("{at}, {}", id.label("agent", i + 1));
                        if let Some(problem) = id.problem() {
                            fields.fail(format!("{label} {problem}"));
                        }
                        if let Some(text) = id.text() {
                            if let Some(first) = seen_before(&mut seen_ids, text, page_no) {
                                fields.fail(format!("agent id {text:?} on {at} was already sent on page {first}"));
                            }
                        }
                        fields.absorb(checks::agent_fields(agent, &label));
                    }
                }
                None | Some(Value::Null) => pages.fail(format!("{at} has no `agents` array")),
                Some(other) => pages.fail(format!("{at}: `agents` is {}, not an array", kind(other))),
            }
            let next = checks::next_offset(&page).unwrap_or_else(|err| {
                pages.fail(format!("{at}: {err}"));
                None
            });
            self.progress(Progress {
                phase: "agent sync",
                page: page_no,
                items: agents,
                next_offset: next.as_ref().map(|(text, _)| text.clone()),
            });
            let Some((text, value)) = next else { break };
            if !pager.follow(page_no, &text, &mut ends) {
                break;
            }
            // Talkdesk sends the offset back as an integer.
            offset = Some(text.parse::<u64>().map(Value::from).unwrap_or(value));
        }
        let read = format!("{} on {}", count(agents, "agent"), count(page_no, "page"));
        pages.summary(read.clone());
        fields.summary(read);
        ends.summary(format!("{} read", count(page_no, "page")));
        for probe in [pages, fields, ends] {
            self.push(probe);
        }
    }
}
