//! One run of the simulator: the report being written, and what every phase shares — sending a request and
//! recording its content type, a check being accumulated ([`Probe`]), following pages ([`Pager`]), describing an
//! unexpected answer.

use super::super::client::test_messages::TestResponse;
use super::super::client::{Call, CallKind};
use super::changes::Changes;
use super::checks::{excerpt, kind, Findings};
use super::oauth::OAuthSession;
use super::report::{Check, CheckId, Outcome, Report};
use super::{Progress, Simulator};
use crate::endpoint::EndpointKind;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// The most reasons a check lists; the rest are counted.
const MAX_REASONS: usize = 12;

/// Accumulates what one check found, then becomes a [`Check`]: failed if anything failed, else skipped if it was
/// skipped, else passed with warnings or passed.
pub(super) struct Probe {
    check: Check,
    errors: Vec<String>,
    warnings: Vec<String>,
    skipped: Option<String>,
}

impl Probe {
    pub(super) fn new(id: CheckId) -> Self {
        Self { check: Check::new(id, Outcome::Pass), errors: Vec::new(), warnings: Vec::new(), skipped: None }
    }

    pub(super) fn subject(mut self, subject: &str) -> Self {
        self.check.subject = Some(subject.to_owned());
        self
    }

    pub(super) fn fail(&mut self, reason: impl Into<String>) {
        self.errors.push(reason.into());
    }

    pub(super) fn warn(&mut self, reason: impl Into<String>) {
        self.warnings.push(reason.into());
    }

    pub(super) fn absorb(&mut self, findings: Findings) {
        self.errors.extend(findings.errors);
        self.warnings.extend(findings.warnings);
    }

    pub(super) fn errors(&mut self) -> &mut Vec<String> {
        &mut self.errors
    }

    pub(super) fn skip(&mut self, why: impl Into<String>) {
        self.skipped = Some(why.into());
    }

    pub(super) fn summary(&mut self, summary: impl Into<String>) {
        self.check.summary = Some(summary.into());
    }

    fn finish(self) -> Check {
        let Probe { mut check, errors, warnings, skipped } = self;
        let capped = |reasons: Vec<String>, prefix: &str| {
            let extra = reasons.len().saturating_sub(MAX_REASONS);
            let mut shown: Vec<String> =
                reasons.into_iter().take(MAX_REASONS).map(|r| format!("{prefix}{r}")).collect();
            if extra > 0 {
                shown.push(format!("… and {extra} more"));
            }
            shown
        };
        if !errors.is_empty() {
            check.outcome = Outcome::Fail;
            check.reasons = capped(errors, "");
            check.reasons.extend(capped(warnings, "warning: "));
        } else if let Some(why) = skipped {
            check.outcome = Outcome::Skip;
            check.reasons = vec![why];
        } else if !warnings.is_empty() {
            check.outcome = Outcome::Warn;
            check.reasons = capped(warnings, "");
        }
        check
    }
}

/// Follows the pages of a sync: stops at an offset that repeats (Talkdesk would loop forever) and past the bound.
pub(super) struct Pager {
    seen: HashMap<String, usize>,
    max_pages: usize,
}

impl Pager {
    pub(super) fn new(max_pages: usize) -> Self {
        Self { seen: HashMap::new(), max_pages }
    }

    /// Whether to ask for the page at `offset`, announced by page `page`; says why not in `ends`.
    pub(super) fn follow(&mut self, page: usize, offset: &str, ends: &mut Probe) -> bool {
        if let Some(first) = self.seen.get(offset) {
            ends.fail(format!(
                "page {page} returned next_offset {offset:?} again (first returned by page {first}): Talkdesk would \
                 loop forever"
            ));
            return false;
        }
        if page >= self.max_pages {
            ends.fail(format!(
                "still a next_offset ({offset:?}) after {page} pages, the bound (set it with max_pages)"
            ));
            return false;
        }
        self.seen.insert(offset.to_owned(), page);
        true
    }
}

/// `1 page`, `3 pages`.
pub(super) fn count(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// The body of an answer, for messages.
pub(super) fn body_excerpt(response: &TestResponse) -> String {
    if response.body().is_empty() {
        "an empty body".to_owned()
    } else {
        format!("`{}`", excerpt(&response.text(), 160))
    }
}

/// What an unexpected answer was: ``answered 500 Internal Server Error with `{…}` ``.
pub(super) fn unexpected(response: &TestResponse) -> String {
    let status = response.status();
    let hint = match status.as_u16() {
        401 => " (the credentials were rejected: are they right?)",
        404 => " (nothing answers on this path)",
        _ => "",
    };
    format!("answered {status}{hint} with {}", body_excerpt(response))
}

/// The JSON body of a `200` answer to `what`; says why not in `probe`, naming the body `subject`.
pub(super) fn json_answer(what: &str, subject: &str, response: &TestResponse, probe: &mut Probe) -> Option<Value> {
    if response.status() != 200 {
        probe.fail(format!("{what} {}", unexpected(response)));
        return None;
    }
    match response.raw_json() {
        Ok(value) => Some(value),
        Err(_) => {
            probe.fail(format!("{subject} is not JSON: {}", body_excerpt(response)));
            None
        }
    }
}

/// The JSON object of a page, when the answer is a `200` with one; says why not in `pages`.
pub(super) fn page_object(at: &str, response: &TestResponse, pages: &mut Probe) -> Option<Map<String, Value>> {
    match json_answer(at, at, response, pages)? {
        Value::Object(page) => Some(page),
        other => {
            pages.fail(format!("{at} is {}, not an object", kind(&other)));
            None
        }
    }
}

/// The page `id` was first sent on, when it was sent before; otherwise records it as sent on `page`.
pub(super) fn seen_before(seen: &mut HashMap<String, usize>, id: &str, page: usize) -> Option<usize> {
    match seen.get(id) {
        Some(&first) => Some(first),
        None => {
            seen.insert(id.to_owned(), page);
            None
        }
    }
}

/// Which endpoints answered something other than `404`, for the rejected-credentials round.
#[derive(Default)]
pub(super) struct Served {
    pub(super) contact_sync: bool,
    pub(super) interactions: bool,
    pub(super) agent_sync: bool,
}

/// What the earlier phases learnt that the rejected-credentials round needs, so that it only sends requests a
/// correct bridge must take to its service.
#[derive(Default)]
pub(super) struct Replay {
    /// The interaction lookup to send again with altered credentials, and whether it found interactions with the
    /// given ones (only then is a `200` with an empty list proof that the bridge swallowed its service's refusal).
    pub(super) lookup: Option<(Value, bool)>,
    /// The actions answered `400` with the given credentials: refused before anything was done, perhaps without
    /// asking the service at all, so the same `400` with altered credentials proves nothing.
    pub(super) refused_actions: HashSet<String>,
}

/// One run: the report being written and what the phases share.
pub(super) struct Run<'a> {
    pub(super) sim: &'a Simulator,
    report: Report,
    content_type: Probe,
    answers: usize,
    pub(super) served: Served,
    pub(super) replay: Replay,
    oauth: Option<OAuthSession>,
    pub(super) changes: Changes,
}

impl<'a> Run<'a> {
    pub(super) fn new(sim: &'a Simulator) -> Self {
        Self {
            sim,
            report: Report::new(sim.client.describe()),
            content_type: Probe::new(CheckId::JsonContentType),
            answers: 0,
            served: Served::default(),
            replay: Replay::default(),
            oauth: sim.oauth.as_ref().map(|oauth| OAuthSession::new(oauth, &sim.auth)),
            changes: Changes::default(),
        }
    }

    /// Why the endpoint of `kind` is not called: the configuration given to the simulator does not declare it.
    pub(super) fn undeclared(&self, kind: EndpointKind) -> Option<String> {
        let declared = self.sim.declared.as_ref()?;
        (!declared.contains(&kind))
            .then(|| format!("not declared: the integration's configuration has no `{}`", kind.configuration_key()))
    }

    /// Whether a `404` to the first request means "not served": only when the simulator was not told which
    /// endpoints are declared (a declared one that answers `404` fails).
    pub(super) fn may_be_absent(&self) -> bool {
        self.sim.declared.is_none()
    }

    pub(super) fn progress(&self, progress: Progress) {
        if let Some(report) = &self.sim.progress {
            report(&progress);
        }
    }

    /// Sends `call` (described as `what` in messages) and records its content type, except for a `204` without a
    /// body and, when `may_be_absent`, a `404` that means "not served".
    pub(super) async fn send<K: CallKind>(
        &mut self,
        what: &str,
        call: Call<K>,
        may_be_absent: bool,
    ) -> Result<TestResponse, String> {
        let request = call.request();
        let path = request.path.split('?').next().unwrap_or("");
        let response = match self.oauth.as_mut() {
            // With OAuth, the given credentials are the ones in use (refreshed along the way), as Talkdesk's.
            Some(oauth) if call.envelope().get("auth") == Some(&self.sim.auth) => {
                oauth.send(&self.sim.client, what, call).await?
            }
            _ => call.try_send().await.map_err(|err| format!("{what}: no answer: {err}"))?.cast::<Value>(),
        };
        let absent = may_be_absent && response.status() == 404;
        if let (Some(cost), false) = (response.upstream_cost(), absent) {
            self.report.record_upstream(path, cost);
        }
        let bodiless = response.status() == 204 && response.body().is_empty();
        if !absent && !bodiless {
            self.answers += 1;
            if !response.has_json_content_type() {
                let found = response.content_type().map_or("none".to_owned(), |ct| format!("`{ct}`"));
                self.content_type.fail(format!("{what}: {} with Content-Type {found}", response.status()));
            }
        }
        Ok(response)
    }

    pub(super) fn push(&mut self, probe: Probe) {
        self.report.push(probe.finish());
    }

    pub(super) fn skip_all(&mut self, ids: &[CheckId], why: &str) {
        for &id in ids {
            self.report.push(Check::new(id, Outcome::Skip).reason(why));
        }
    }

    /// The report, with the content-type check last.
    pub(super) fn finish(mut self) -> Report {
        for check in self.oauth.as_ref().map(OAuthSession::checks).into_iter().flatten() {
            self.report.push(check);
        }
        let mut content_type = std::mem::replace(&mut self.content_type, Probe::new(CheckId::JsonContentType));
        content_type.summary(format!("{} with a body", count(self.answers, "answer")));
        self.push(content_type);
        self.report
    }
}
