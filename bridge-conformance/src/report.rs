//! What one run found, in one list: the checks of the configuration documents, the simulator's checks
//! (`bridge::testing::Report`), and the declared actions that were not run. The three output formats
//! ([`crate::output`]) print this list.

use bridge_runtime::testing::{Outcome, Report};

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

/// Everything one run checked, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conformance {
    /// The bridge's URL.
    pub target: String,
    /// Every check.
    pub lines: Vec<Line>,
}

impl Conformance {
    /// Adds the simulator's checks.
    pub(crate) fn extend(&mut self, report: &Report) {
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
