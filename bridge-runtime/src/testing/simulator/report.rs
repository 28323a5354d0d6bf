//! What the [`Simulator`](super::Simulator) found: a [`Report`] of [`Check`]s, each passed, failed, skipped or
//! passed with warnings, and why. It prints as a readable report and has assertions for tests.
//!
//! ```
//! use bridge::testing::{Check, CheckId, Outcome, Report};
//!
//! let mut report = Report::new("http://127.0.0.1:3000");
//! let duplicate = "id \"7\" on page 2 was already sent on page 1";
//! report.push(Check::new(CheckId::InitialSyncIds, Outcome::Fail).reason(duplicate));
//! assert!(!report.passed());
//! report.assert_fails(CheckId::InitialSyncIds, "already sent");
//! assert!(report.to_string().contains("FAIL  contact ids are present, non-empty and unique"));
//! ```

use crate::upstream::UpstreamCost;
use std::fmt;
use std::time::Duration;

/// The areas a report is divided in, in the order the simulator runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    /// Authorization validation.
    AuthValidation,
    /// The initial contact synchronization.
    InitialContactSync,
    /// The incremental contact synchronization from the initial one's checkpoint.
    IncrementalContactSync,
    /// Interaction retrieval.
    Interactions,
    /// Action execution.
    Actions,
    /// Agent synchronization.
    Agents,
    /// What holds for every endpoint: `401` for rejected credentials, the JSON content type.
    EveryEndpoint,
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::AuthValidation => "Authorization validation",
            Self::InitialContactSync => "Contact synchronization: initial sync",
            Self::IncrementalContactSync => "Contact synchronization: incremental sync",
            Self::Interactions => "Interaction retrieval",
            Self::Actions => "Action execution",
            Self::Agents => "Agent synchronization",
            Self::EveryEndpoint => "Every endpoint",
        })
    }
}

/// Each check the simulator makes. The initial and incremental contact syncs are checked the same way, each under
/// its own ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CheckId {
    /// The given credentials are accepted: `204`, or `200` with an object of fields to store.
    AuthAccepted,
    /// Altered credentials are answered `401`.
    AuthRejected,
    /// Every page of the initial sync is a `200` with a contact page.
    InitialSyncPages,
    /// Contact ids are present, non-empty and unique across the initial sync.
    InitialSyncIds,
    /// Contacts have a name and well-typed optional fields.
    InitialSyncFields,
    /// A checkpoint on every page of the initial sync, never moving backwards.
    InitialSyncCheckpoint,
    /// The initial sync ends: no offset repeats, no more pages than the bound.
    InitialSyncEnds,
    /// [`CheckId::InitialSyncPages`], for the incremental sync.
    IncrementalSyncPages,
    /// [`CheckId::InitialSyncIds`], for the incremental sync.
    IncrementalSyncIds,
    /// [`CheckId::InitialSyncFields`], for the incremental sync.
    IncrementalSyncFields,
    /// A checkpoint on every page of the incremental sync, never before the one it started from.
    IncrementalSyncCheckpoint,
    /// [`CheckId::InitialSyncEnds`], for the incremental sync.
    IncrementalSyncEnds,
    /// With [`Simulator::change_source`](super::Simulator::change_source): the contacts changed between pages
    /// arrive, changed, and none is lost.
    SourceChanges,
    /// Every interaction lookup is a `200` with a JSON array.
    InteractionAnswers,
    /// Interactions have an id, a subject, a type and a date in `YYYY-MM-DD HH:MM:SS UTC`.
    InteractionFields,
    /// Priorities and statuses are within their sets.
    InteractionValues,
    /// Interaction types are among the requested ones.
    InteractionTypes,
    /// Interaction ids are unique in each answer.
    InteractionIds,
    /// An action answers `201` with the documented fields, or `400` with a message.
    Action,
    /// An action sent without its inputs answers `400` with a message (or `201`).
    ActionWithoutInputs,
    /// Every page of the agent sync is a `200` with an agent page.
    AgentPages,
    /// Agents have a unique id, a name and an email.
    AgentFields,
    /// The agent sync ends: no offset repeats, no more pages than the bound.
    AgentSyncEnds,
    /// Altered credentials are a `401` on every other endpoint, with a request that makes the bridge ask its
    /// service (auth validation is [`CheckId::AuthRejected`]).
    RejectedEverywhere,
    /// Every answer has `Content-Type: application/json`.
    JsonContentType,
    /// With OAuth: a `401` to the given credentials is followed by success once the token is refreshed.
    OAuthRefresh,
    /// With OAuth: a freshly refreshed token is never answered `401` (a `401` means rejected credentials only).
    OAuthOnlyRejected,
}

impl CheckId {
    /// The section the check belongs to.
    pub fn section(self) -> Section {
        match self {
            Self::AuthAccepted | Self::AuthRejected => Section::AuthValidation,
            Self::InitialSyncPages
            | Self::InitialSyncIds
            | Self::InitialSyncFields
            | Self::InitialSyncCheckpoint
            | Self::InitialSyncEnds => Section::InitialContactSync,
            Self::IncrementalSyncPages
            | Self::IncrementalSyncIds
            | Self::IncrementalSyncFields
            | Self::IncrementalSyncCheckpoint
            | Self::IncrementalSyncEnds
            | Self::SourceChanges => Section::IncrementalContactSync,
            Self::InteractionAnswers
            | Self::InteractionFields
            | Self::InteractionValues
            | Self::InteractionTypes
            | Self::InteractionIds => Section::Interactions,
            Self::Action | Self::ActionWithoutInputs => Section::Actions,
            Self::AgentPages | Self::AgentFields | Self::AgentSyncEnds => Section::Agents,
            Self::RejectedEverywhere | Self::JsonContentType | Self::OAuthRefresh | Self::OAuthOnlyRejected => {
                Section::EveryEndpoint
            }
        }
    }

    /// What the check asserts, in a line.
    pub fn description(self) -> &'static str {
        match self {
            Self::AuthAccepted => "the given credentials are accepted: 204, or 200 with an object of fields to store",
            Self::AuthRejected => "altered credentials are rejected with 401",
            Self::InitialSyncPages | Self::IncrementalSyncPages => {
                "every page answers 200 with {contacts, synchronization_checkpoint, next_offset?, context?}"
            }
            Self::InitialSyncIds | Self::IncrementalSyncIds => "contact ids are present, non-empty and unique",
            Self::InitialSyncFields | Self::IncrementalSyncFields => {
                "contacts have their mandatory name and well-typed optional fields"
            }
            Self::InitialSyncCheckpoint => "a synchronization_checkpoint on every page, never moving backwards",
            Self::IncrementalSyncCheckpoint => {
                "a synchronization_checkpoint on every page, never before the one the sync started from"
            }
            Self::InitialSyncEnds | Self::IncrementalSyncEnds | Self::AgentSyncEnds => {
                "the sync ends: no next_offset repeats, no more pages than the bound"
            }
            Self::SourceChanges => {
                "contacts changed while a sync runs arrive, changed, and no contact is lost (a new initial sync finds none \
                 that did not arrive)"
            }
            Self::InteractionAnswers => "every lookup answers 200 with a JSON array of interactions",
            Self::InteractionFields => {
                "interactions have an id, a subject, a type and a date in `YYYY-MM-DD HH:MM:SS UTC`"
            }
            Self::InteractionValues => "priority and status are within their sets",
            Self::InteractionTypes => "types are among the requested interaction_types",
            Self::InteractionIds => "interaction ids are unique in each answer",
            Self::Action => "201 with the documented fields, or 400 with a message",
            Self::ActionWithoutInputs => "without its inputs: 400 with a message (or 201 with the documented fields)",
            Self::AgentPages => "every page answers 200 with {agents, next_offset?}",
            Self::AgentFields => "agents have a unique id, a name and an email",
            Self::RejectedEverywhere => "altered credentials are a 401 on every other endpoint that asks its service",
            Self::JsonContentType => "every answer with a body has `Content-Type: application/json`",
            Self::OAuthRefresh => "OAuth: a 401 is followed by success once Talkdesk refreshed the token",
            Self::OAuthOnlyRejected => {
                "OAuth: a fresh token is never answered 401 (401 means rejected credentials only)"
            }
        }
    }
}

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The bridge does what the protocol says.
    Pass,
    /// It works, but something is off (the reasons say what); does not fail the report.
    Warn,
    /// The bridge breaks the protocol; the reasons say where.
    Fail,
    /// Not checked: the endpoint is not served, or nothing could be checked (the reasons say why).
    Skip,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Pass => "PASS",
            Self::Warn => "WARN",
            Self::Fail => "FAIL",
            Self::Skip => "SKIP",
        })
    }
}

/// One check: what it asserts, how it came out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Which check.
    pub id: CheckId,
    /// A qualifier shown after the description, e.g. the action's name.
    pub subject: Option<String>,
    /// How it came out.
    pub outcome: Outcome,
    /// What was looked at, for a pass: `25 contacts on 3 pages`.
    pub summary: Option<String>,
    /// Why it failed, warned or was skipped: one precise line per finding.
    pub reasons: Vec<String>,
}

impl Check {
    /// A check with no summary and no reasons yet.
    pub fn new(id: CheckId, outcome: Outcome) -> Self {
        Self { id, subject: None, outcome, summary: None, reasons: Vec::new() }
    }

    /// Adds a reason.
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reasons.push(reason.into());
        self
    }

    /// Sets the summary.
    pub fn summary(mut self, summary: impl Into<String>) -> Self {
        self.summary = Some(summary.into());
        self
    }

    /// Sets the subject.
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// The check's line: its description, and its subject if any.
    pub fn title(&self) -> String {
        match &self.subject {
            Some(subject) => format!("{subject}: {}", self.id.description()),
            None => self.id.description().to_owned(),
        }
    }
}

/// Everything the simulator checked, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    target: String,
    checks: Vec<Check>,
    upstream: Vec<EndpointUpstream>,
}

/// What one endpoint's requests cost upstream during a run (known for a bridge in process): the calls to the
/// external service and the round trips on each request's critical path (see [`UpstreamCost`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointUpstream {
    path: String,
    requests: u32,
    calls: u32,
    most_calls: u32,
    most_round_trips: u32,
    waited: Duration,
}

impl EndpointUpstream {
    /// The endpoint's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The requests whose cost is known.
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// The calls of all of them.
    pub fn calls(&self) -> u32 {
        self.calls
    }

    /// The most calls one request made.
    pub fn most_calls(&self) -> u32 {
        self.most_calls
    }

    /// The most round trips one request waited for.
    pub fn most_round_trips(&self) -> u32 {
        self.most_round_trips
    }

    /// The time all of them spent waiting on calls.
    pub fn waited(&self) -> Duration {
        self.waited
    }
}

impl Report {
    /// An empty report about the bridge at `target` (`a bridge in process`, a URL).
    pub fn new(target: impl Into<String>) -> Self {
        Self { target: target.into(), checks: Vec::new(), upstream: Vec::new() }
    }

    /// Counts what a request to `path` cost upstream.
    pub fn record_upstream(&mut self, path: &str, cost: UpstreamCost) {
        let index = match self.upstream.iter().position(|endpoint| endpoint.path == path) {
            Some(index) => index,
            None => {
                self.upstream.push(EndpointUpstream {
                    path: path.to_owned(),
                    requests: 0,
                    calls: 0,
                    most_calls: 0,
                    most_round_trips: 0,
                    waited: Duration::ZERO,
                });
                self.upstream.len() - 1
            }
        };
        let endpoint = &mut self.upstream[index];
        endpoint.requests += 1;
        endpoint.calls += cost.calls();
        endpoint.most_calls = endpoint.most_calls.max(cost.calls());
        endpoint.most_round_trips = endpoint.most_round_trips.max(cost.round_trips());
        endpoint.waited += cost.waited();
    }

    /// What each endpoint's requests cost upstream, in the order the endpoints were first called (empty for a
    /// bridge at a URL, whose answers do not say).
    pub fn upstream(&self) -> &[EndpointUpstream] {
        &self.upstream
    }

    /// What the requests to `path` cost upstream, if any was counted.
    pub fn upstream_of(&self, path: &str) -> Option<&EndpointUpstream> {
        self.upstream.iter().find(|endpoint| endpoint.path == path)
    }

    /// Adds a check.
    pub fn push(&mut self, check: Check) {
        self.checks.push(check);
    }

    /// What was checked: `a bridge in process`, or the bridge's URL.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// All the checks, in the order they were made.
    pub fn checks(&self) -> &[Check] {
        &self.checks
    }

    /// The checks with this id (several for actions, one otherwise).
    pub fn find(&self, id: CheckId) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(move |c| c.id == id)
    }

    /// The first check with this id.
    pub fn get(&self, id: CheckId) -> Option<&Check> {
        self.find(id).next()
    }

    /// The failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.outcome == Outcome::Fail)
    }

    /// Whether no check failed (warnings and skips do not fail a report).
    pub fn passed(&self) -> bool {
        self.failures().next().is_none()
    }

    /// How many checks came out `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.checks.iter().filter(|c| c.outcome == outcome).count()
    }

    /// Asserts that no check failed.
    ///
    /// # Panics
    ///
    /// When one did; the message is the whole report.
    #[track_caller]
    pub fn assert_passes(&self) {
        assert!(self.passed(), "the bridge does not pass the Talkdesk simulator:\n{self}");
    }

    /// Asserts that the check `id` failed with a reason containing `reason`: how a test shows that the simulator
    /// catches a fault.
    ///
    /// # Panics
    ///
    /// When it did not; the message is the whole report.
    #[track_caller]
    pub fn assert_fails(&self, id: CheckId, reason: &str) {
        let caught = self.find(id).any(|c| c.outcome == Outcome::Fail && c.reasons.iter().any(|r| r.contains(reason)));
        assert!(caught, "expected `{}` to fail with a reason containing {reason:?}:\n{self}", id.description());
    }

    /// Asserts that the check `id` came out `outcome`.
    ///
    /// # Panics
    ///
    /// When it did not (or was not made); the message is the whole report.
    #[track_caller]
    pub fn assert_outcome(&self, id: CheckId, outcome: Outcome) {
        let found = self.find(id).any(|c| c.outcome == outcome);
        assert!(found, "expected `{}` to be {outcome}:\n{self}", id.description());
    }
}

impl fmt::Display for Report {
    /// The report as the conformance command prints it: one block per section, one line per check, its reasons
    /// indented under it, and a verdict.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Talkdesk protocol conformance of {}", self.target)?;
        let mut section = None;
        for check in &self.checks {
            if section != Some(check.id.section()) {
                section = Some(check.id.section());
                writeln!(f)?;
                writeln!(f, "{}", check.id.section())?;
            }
            writeln!(f, "  {}  {}", check.outcome, check.title())?;
            if let Some(summary) = &check.summary {
                writeln!(f, "        {summary}")?;
            }
            for reason in &check.reasons {
                writeln!(f, "        - {reason}")?;
            }
        }
        if !self.upstream.is_empty() {
            writeln!(f)?;
            writeln!(f, "Upstream, per endpoint")?;
            for endpoint in &self.upstream {
                writeln!(
                    f,
                    "  {}  {} request{}: {} call{}, at most {} calls and {} round trips in one, {} ms waited",
                    endpoint.path,
                    endpoint.requests,
                    if endpoint.requests == 1 { "" } else { "s" },
                    endpoint.calls,
                    if endpoint.calls == 1 { "" } else { "s" },
                    endpoint.most_calls,
                    endpoint.most_round_trips,
                    endpoint.waited.as_millis()
                )?;
            }
        }
        writeln!(f)?;
        let verdict = if self.passed() { "PASSED" } else { "FAILED" };
        write!(
            f,
            "{verdict}: {} passed, {} with warnings, {} failed, {} skipped",
            self.count(Outcome::Pass),
            self.count(Outcome::Warn),
            self.count(Outcome::Fail),
            self.count(Outcome::Skip)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_costs_add_up_per_endpoint_and_print_after_the_checks() {
        let mut report = Report::new("a bridge in process");
        assert!(!report.to_string().contains("Upstream"));
        let cost = |calls, round_trips| {
            let mut tally = UpstreamCost::default();
            tally.add(calls, round_trips, Duration::from_millis(10));
            tally
        };
        report.record_upstream("/interaction_update", cost(7, 2));
        report.record_upstream("/contact_sync", cost(1, 1));
        report.record_upstream("/interaction_update", cost(2, 3));
        let lookups = report.upstream_of("/interaction_update").unwrap();
        assert_eq!(
            (lookups.requests(), lookups.calls(), lookups.most_calls(), lookups.most_round_trips()),
            (2, 9, 7, 3)
        );
        assert_eq!(lookups.waited(), Duration::from_millis(20));
        assert_eq!(lookups.path(), "/interaction_update");
        assert_eq!(report.upstream().len(), 2);
        assert!(report.upstream_of("/agent_sync").is_none());
        let text = report.to_string();
        assert!(
            text.contains(
                "Upstream, per endpoint\n  /interaction_update  2 requests: 9 calls, at most 7 calls and 3 round trips \
                 in one, 20 ms waited\n  /contact_sync  1 request: 1 call, at most 1 calls and 1 round trips in one"
            ),
            "{text}"
        );
    }
}
