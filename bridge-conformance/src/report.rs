//! What one run found, in one list: the checks of the configuration documents, the simulator's checks
//! (`bridge::testing::Report`), and the declared actions that were not run; and, for a bridge in process, what
//! each endpoint's requests cost upstream. The three output formats ([`crate::output`]) print it.

use bridge_runtime::testing::{EndpointUpstream, Outcome, Report};
use std::time::Duration;

/// The section of the configuration documents' checks.
pub const CONFIGURATION: &str = "Configuration documents";

/// One check, whatever made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The section it belongs to: `Configuration documents`, `Authorization validation`…
    pub section: String,
    /// A stable identifier of the check, for machines: `IntegrationDocument`, `InitialSyncPages`…
    pub check: String,
    /// What it is about, when there are several of its kind (an action's name).
    pub subject: Option<String>,
    /// What it asserts, in a line.
    pub description: String,
    /// How it came out.
    pub outcome: Outcome,
    /// What was looked at, for a pass.
    pub summary: Option<String>,
    /// Why it failed, warned or was skipped.
    pub reasons: Vec<String>,
}

impl Line {
    /// A line of the configuration section, passed until told otherwise.
    pub(crate) fn configuration(check: &str, description: &str) -> Self {
        Self {
            section: CONFIGURATION.to_owned(),
            check: check.to_owned(),
            subject: None,
            description: description.to_owned(),
            outcome: Outcome::Pass,
            summary: None,
            reasons: Vec::new(),
        }
    }

    /// The check's title: its description, after its subject if any.
    pub fn title(&self) -> String {
        match &self.subject {
            Some(subject) => format!("{subject}: {}", self.description),
            None => self.description.clone(),
        }
    }

    /// Sets the outcome from what was found: failed if there are errors, passed with warnings if only warnings.
    pub(crate) fn found(mut self, errors: Vec<String>, warnings: Vec<String>) -> Self {
        if !errors.is_empty() {
            self.outcome = Outcome::Fail;
            self.reasons = errors;
            self.reasons.extend(warnings.into_iter().map(|w| format!("warning: {w}")));
        } else if !warnings.is_empty() {
            self.outcome = Outcome::Warn;
            self.reasons = warnings;
        }
        self
    }
}

/// What one endpoint's requests cost upstream during a run: the calls the bridge made to the external service and
/// the round trips on each request's critical path (`bridge::http::UpstreamCost`), as the simulator's report
/// counts them (`bridge::testing::EndpointUpstream`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointCost {
    /// The endpoint's path: `/interaction_update`.
    pub path: String,
    /// The requests sent to it.
    pub requests: u32,
    /// The calls of all of them.
    pub calls: u32,
    /// The most calls one request made.
    pub most_calls: u32,
    /// The most round trips one request waited for.
    pub most_round_trips: u32,
    /// The time all of them spent waiting on calls.
    pub waited: Duration,
}

impl From<&EndpointUpstream> for EndpointCost {
    fn from(endpoint: &EndpointUpstream) -> Self {
        Self {
            path: endpoint.path().to_owned(),
            requests: endpoint.requests(),
            calls: endpoint.calls(),
            most_calls: endpoint.most_calls(),
            most_round_trips: endpoint.most_round_trips(),
            waited: endpoint.waited(),
        }
    }
}

/// Everything one run checked, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conformance {
    /// What was checked: the bridge's URL, or `a bridge in process`.
    pub target: String,
    /// Every check.
    pub lines: Vec<Line>,
    /// What each endpoint's requests cost upstream, in the order the endpoints were first called: known for a
    /// bridge in process ([`run_in_process`](crate::run_in_process)) only, empty for a bridge at a URL (its
    /// answers do not say, and should not: that would tell every caller how the bridge calls its service).
    pub upstream: Vec<EndpointCost>,
}

impl Conformance {
    /// Nothing checked yet about `target`.
    pub fn new(target: impl Into<String>) -> Self {
        Self { target: target.into(), lines: Vec::new(), upstream: Vec::new() }
    }

    /// Adds the simulator's checks and what each endpoint cost upstream.
    pub(crate) fn extend(&mut self, report: &Report) {
        self.upstream.extend(report.upstream().iter().map(EndpointCost::from));
        for check in report.checks() {
            self.lines.push(Line {
                section: check.id.section().to_string(),
                check: format!("{:?}", check.id),
                subject: check.subject.clone(),
                description: check.id.description().to_owned(),
                outcome: check.outcome,
                summary: check.summary.clone(),
                reasons: check.reasons.clone(),
            });
        }
    }

    /// Whether no check failed (warnings and skipped checks do not fail a run).
    pub fn passed(&self) -> bool {
        self.count(Outcome::Fail) == 0
    }

    /// How many checks came out `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.lines.iter().filter(|line| line.outcome == outcome).count()
    }

    /// What the requests to `path` cost upstream, if any was counted.
    pub fn upstream_of(&self, path: &str) -> Option<&EndpointCost> {
        self.upstream.iter().find(|endpoint| endpoint.path == path)
    }

    /// The checks with this identifier.
    pub fn find<'a>(&'a self, check: &'a str) -> impl Iterator<Item = &'a Line> + 'a {
        self.lines.iter().filter(move |line| line.check == check)
    }

    /// `PASSED: 20 passed, 0 with warnings, 0 failed, 2 skipped`.
    pub fn verdict(&self) -> String {
        format!(
            "{}: {} passed, {} with warnings, {} failed, {} skipped",
            if self.passed() { "PASSED" } else { "FAILED" },
            self.count(Outcome::Pass),
            self.count(Outcome::Warn),
            self.count(Outcome::Fail),
            self.count(Outcome::Skip)
        )
    }
}
