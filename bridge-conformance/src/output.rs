//! The report in each `--format`: `text` for people, `json` for scripts, `junit` for CI (one test suite per
//! section, one test case per check, so that any CI's test view shows each check).
//!
//! The JUnit XML is written here, in a few lines with every text escaped, rather than with a JUnit crate: the format
//! is five elements, and the crates that write it bring a date library and an XML writer into the build.

use crate::args::Format;
use crate::report::{Conformance, EndpointCost, Line};
use bridge_runtime::testing::Outcome;
use serde_json::{json, Value};
use std::fmt::Write;

/// The report as `format` prints it.
pub fn render(conformance: &Conformance, format: Format) -> String {
    match format {
        Format::Text => text(conformance),
        Format::Json => format!("{:#}", to_json(conformance)),
        Format::Junit => junit(conformance),
    }
}

/// `/interaction_update  4 requests: 9 calls, at most 3 calls and 3 round trips in one, 270 ms waited`: one
/// endpoint's upstream cost, worded as the simulator's report words it.
fn upstream_line(endpoint: &EndpointCost) -> String {
    let plural = |n: u32| if n == 1 { "" } else { "s" };
    format!(
        "{}  {} request{}: {} call{}, at most {} calls and {} round trips in one, {} ms waited",
        endpoint.path,
        endpoint.requests,
        plural(endpoint.requests),
        endpoint.calls,
        plural(endpoint.calls),
        endpoint.most_calls,
        endpoint.most_round_trips,
        endpoint.waited.as_millis()
    )
}

/// The title of the upstream block, in text and as the JUnit suite's name.
const UPSTREAM: &str = "Upstream, per endpoint";

/// One block per section, one line per check with its reasons indented under it, what each endpoint cost upstream
/// (a bridge in process), and a verdict.
fn text(conformance: &Conformance) -> String {
    let mut out = format!("Talkdesk protocol conformance of {}\n", conformance.target);
    let mut section = None;
    for line in &conformance.lines {
        if section != Some(&line.section) {
            section = Some(&line.section);
            let _ = write!(out, "\n{}\n", line.section);
        }
        let _ = writeln!(out, "  {}  {}", line.outcome, line.title());
        if let Some(summary) = &line.summary {
            let _ = writeln!(out, "        {summary}");
        }
        for reason in &line.reasons {
            let _ = writeln!(out, "        - {reason}");
        }
    }
    if !conformance.upstream.is_empty() {
        let _ = write!(out, "\n{UPSTREAM}\n");
        for endpoint in &conformance.upstream {
            let _ = writeln!(out, "  {}", upstream_line(endpoint));
        }
    }
    let _ = writeln!(out, "\n{}", conformance.verdict());
    out
}

fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "pass",
        Outcome::Warn => "warn",
        Outcome::Fail => "fail",
        Outcome::Skip => "skip",
    }
}

/// One endpoint's upstream cost, in JSON.
fn upstream_json(endpoint: &EndpointCost) -> Value {
    json!({
        "path": endpoint.path,
        "requests": endpoint.requests,
        "calls": endpoint.calls,
        "most_calls": endpoint.most_calls,
        "most_round_trips": endpoint.most_round_trips,
        "waited_ms": u64::try_from(endpoint.waited.as_millis()).unwrap_or(u64::MAX),
    })
}

/// `{"target", "passed", "counts": {…}, "checks": [{"section", "check", "subject", "title", "outcome", "summary",
/// "reasons"}], "upstream": [{"path", "requests", "calls", "most_calls", "most_round_trips", "waited_ms"}]}`;
/// `upstream` is always there, empty for a bridge at a URL (only a bridge in process says what its requests cost).
pub fn to_json(conformance: &Conformance) -> Value {
    let checks: Vec<Value> = conformance
        .lines
        .iter()
        .map(|line| {
            json!({
                "section": line.section,
                "check": line.check,
                "subject": line.subject,
                "title": line.title(),
                "outcome": outcome_name(line.outcome),
                "summary": line.summary,
                "reasons": line.reasons,
            })
        })
        .collect();
    json!({
        "target": conformance.target,
        "passed": conformance.passed(),
        "counts": {
            "pass": conformance.count(Outcome::Pass),
            "warn": conformance.count(Outcome::Warn),
            "fail": conformance.count(Outcome::Fail),
            "skip": conformance.count(Outcome::Skip),
        },
        "checks": checks,
        "upstream": conformance.upstream.iter().map(upstream_json).collect::<Vec<Value>>(),
    })
}

/// `text` escaped for XML (attributes and element text alike); the characters XML 1.0 cannot hold at all (most
/// control characters, which a bridge's answer may contain) become U+FFFD.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// The sections in order, each with its lines.
fn sections(conformance: &Conformance) -> Vec<(&str, Vec<&Line>)> {
    let mut sections: Vec<(&str, Vec<&Line>)> = Vec::new();
    for line in &conformance.lines {
        match sections.iter_mut().find(|(name, _)| *name == line.section) {
            Some((_, lines)) => lines.push(line),
            None => sections.push((&line.section, vec![line])),
        }
    }
    sections
}

/// What each endpoint cost upstream, in JUnit: a `<testsuite>` with no test case, its numbers as `<properties>`
/// (`/interaction_update most_round_trips` = `3`) and its text in `<system-out>`; nothing for a bridge at a URL.
///
/// A suite's `<properties>` and `<system-out>` are where the JUnit schema puts data about a run that is not a test:
/// Jenkins shows a suite's output, and tools that keep JUnit files (test analytics, scripts) read its properties. A
/// test case per endpoint would show in more CIs (GitLab shows neither), but as a passed test, where nothing was
/// checked, and would change the counts the text and JSON formats give.
fn junit_upstream(conformance: &Conformance, out: &mut String) {
    if conformance.upstream.is_empty() {
        return;
    }
    let _ = writeln!(out, "  <testsuite name=\"{UPSTREAM}\" tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\">");
    out.push_str("    <properties>\n");
    for endpoint in &conformance.upstream {
        let waited = endpoint.waited.as_millis();
        let numbers = [
            ("requests", u128::from(endpoint.requests)),
            ("calls", u128::from(endpoint.calls)),
            ("most_calls", u128::from(endpoint.most_calls)),
            ("most_round_trips", u128::from(endpoint.most_round_trips)),
            ("waited_ms", waited),
        ];
        for (name, value) in numbers {
            let name = escape(&format!("{} {name}", endpoint.path));
            let _ = writeln!(out, "      <property name=\"{name}\" value=\"{value}\"/>");
        }
    }
    out.push_str("    </properties>\n");
    let lines: Vec<String> = conformance.upstream.iter().map(upstream_line).collect();
    let _ = writeln!(out, "    <system-out>{}</system-out>", escape(&lines.join("\n")));
    out.push_str("  </testsuite>\n");
}

/// JUnit XML: `<testsuites>`, one `<testsuite>` per section, one `<testcase>` per check; a failed check has a
/// `<failure>`, a skipped one `<skipped>`, and a summary or warnings go to `<system-out>`; then the upstream cost
/// ([`junit_upstream`]).
fn junit(conformance: &Conformance) -> String {
    let count = |lines: &[&Line], outcome: Outcome| lines.iter().filter(|l| l.outcome == outcome).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">",
        escape(&format!("Talkdesk protocol conformance of {}", conformance.target)),
        conformance.lines.len(),
        conformance.count(Outcome::Fail),
        conformance.count(Outcome::Skip)
    );
    for (section, lines) in sections(conformance) {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">",
            escape(section),
            lines.len(),
            count(&lines, Outcome::Fail),
            count(&lines, Outcome::Skip)
        );
        for line in lines {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\"",
                escape(&format!("bridge-conformance.{}", line.check)),
                escape(&line.title())
            );
            let reasons = line.reasons.join("\n");
            let first = line.reasons.first().map(String::as_str).unwrap_or_default();
            match line.outcome {
                Outcome::Pass if line.summary.is_none() => out.push_str("/>\n"),
                Outcome::Pass => {
                    let summary = line.summary.as_deref().unwrap_or_default();
                    let _ = write!(out, ">\n      <system-out>{}</system-out>\n    </testcase>\n", escape(summary));
                }
                Outcome::Warn => {
                    let _ = write!(out, ">\n      <system-out>{}</system-out>\n    </testcase>\n", escape(&reasons));
                }
                Outcome::Fail => {
                    let _ = write!(
                        out,
                        ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                        escape(first),
                        escape(&line.check),
                        escape(&reasons)
                    );
                }
                Outcome::Skip => {
                    let _ = write!(out, ">\n      <skipped message=\"{}\"/>\n    </testcase>\n", escape(&reasons));
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    junit_upstream(conformance, &mut out);
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(section: &str, outcome: Outcome, reasons: &[&str]) -> Line {
        Line {
            section: section.to_owned(),
            check: "Check".to_owned(),
            subject: None,
            description: "a <check> & more".to_owned(),
            outcome,
            summary: None,
            reasons: reasons.iter().map(|r| r.to_string()).collect(),
        }
    }

    #[test]
    fn escapes_everything_xml_cannot_hold_as_it_is() {
        assert_eq!(escape("a<b>&\"c'\n\u{1}"), "a&lt;b&gt;&amp;&quot;c&apos;&#10;\u{FFFD}");
        let conformance = Conformance {
            target: "http://127.0.0.1:1".into(),
            lines: vec![
                line("A", Outcome::Fail, &["body `<html>`", "second"]),
                line("A", Outcome::Skip, &["not declared"]),
                line("B", Outcome::Pass, &[]),
            ],
            upstream: Vec::new(),
        };
        let xml = junit(&conformance);
        assert!(xml.contains("<testsuites name=\"Talkdesk protocol conformance of http://127.0.0.1:1\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\">"), "{xml}");
        assert!(
            xml.contains(
                "<failure message=\"body `&lt;html&gt;`\" type=\"Check\">body `&lt;html&gt;`&#10;second</failure>"
            ),
            "{xml}"
        );
        assert!(xml.contains("<testsuite name=\"B\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\">"), "{xml}");
        assert!(xml.contains("name=\"a &lt;check&gt; &amp; more\"/>"), "{xml}");
    }

    #[test]
    fn text_groups_by_section_and_ends_with_the_verdict() {
        let conformance = Conformance {
            target: "http://x".into(),
            lines: vec![line("A", Outcome::Pass, &[]), line("B", Outcome::Warn, &["why"])],
            upstream: Vec::new(),
        };
        assert_eq!(
            text(&conformance),
            "Talkdesk protocol conformance of http://x\n\nA\n  PASS  a <check> & more\n\nB\n  WARN  a <check> & more\n        \
             - why\n\nPASSED: 1 passed, 1 with warnings, 0 failed, 0 skipped\n"
        );
        let json = to_json(&conformance);
        assert_eq!(json["checks"][1]["outcome"], "warn");
        // A bridge at a URL: no upstream block, an empty array, no suite.
        assert_eq!(json["upstream"], json!([]));
        assert!(!junit(&conformance).contains(UPSTREAM));
    }

    /// A bridge in process: two endpoints' costs, after a failed check.
    fn in_process() -> Conformance {
        let cost = |path: &str, requests, calls, most_calls, most_round_trips, waited| EndpointCost {
            path: path.to_owned(),
            requests,
            calls,
            most_calls,
            most_round_trips,
            waited: std::time::Duration::from_millis(waited),
        };
        Conformance {
            upstream: vec![cost("/auth_validation", 1, 1, 1, 1, 31), cost("/interaction_update", 4, 9, 3, 3, 270)],
            lines: vec![line("A", Outcome::Fail, &["why"])],
            ..Conformance::new("a bridge in process")
        }
    }

    #[test]
    fn text_shows_each_endpoints_upstream_cost_after_the_checks_and_before_the_verdict() {
        assert_eq!(
            text(&in_process()),
            "Talkdesk protocol conformance of a bridge in process\n\nA\n  FAIL  a <check> & more\n        - why\n\n\
             Upstream, per endpoint\n  \
             /auth_validation  1 request: 1 call, at most 1 calls and 1 round trips in one, 31 ms waited\n  \
             /interaction_update  4 requests: 9 calls, at most 3 calls and 3 round trips in one, 270 ms waited\n\n\
             FAILED: 0 passed, 0 with warnings, 1 failed, 0 skipped\n"
        );
    }

    #[test]
    fn json_has_an_upstream_array_with_every_number() {
        let json = to_json(&in_process());
        assert_eq!(
            json["upstream"],
            json!([
                {"path": "/auth_validation", "requests": 1, "calls": 1, "most_calls": 1, "most_round_trips": 1,
                 "waited_ms": 31},
                {"path": "/interaction_update", "requests": 4, "calls": 9, "most_calls": 3, "most_round_trips": 3,
                 "waited_ms": 270},
            ])
        );
        assert_eq!(json["counts"]["fail"], 1);
    }

    #[test]
    fn junit_has_the_upstream_cost_in_a_suite_of_no_test_case() {
        let xml = junit(&in_process());
        let document = roxmltree::Document::parse(&xml).unwrap_or_else(|err| panic!("{err}:\n{xml}"));
        let root = document.root_element();
        // The counts are the checks' only.
        assert_eq!((root.attribute("tests"), root.attribute("failures")), (Some("1"), Some("1")), "{xml}");
        let suite = root
            .children()
            .find(|n| n.attribute("name") == Some(UPSTREAM))
            .unwrap_or_else(|| panic!("an upstream suite:\n{xml}"));
        assert_eq!(suite.attribute("tests"), Some("0"));
        assert!(!suite.children().any(|n| n.has_tag_name("testcase")), "{xml}");
        let property = |name: &str| {
            suite
                .descendants()
                .find(|n| n.has_tag_name("property") && n.attribute("name") == Some(name))
                .and_then(|n| n.attribute("value"))
        };
        assert_eq!(property("/interaction_update most_round_trips"), Some("3"));
        assert_eq!(property("/interaction_update calls"), Some("9"));
        assert_eq!(property("/auth_validation waited_ms"), Some("31"));
        assert_eq!(suite.descendants().filter(|n| n.has_tag_name("property")).count(), 10);
        let out = suite.children().find(|n| n.has_tag_name("system-out")).and_then(|n| n.text());
        assert_eq!(
            out.map(|text| text.lines().count()),
            Some(2),
            "one line per endpoint, as in the text format:\n{xml}"
        );
        assert!(out.unwrap().ends_with("at most 3 calls and 3 round trips in one, 270 ms waited"), "{xml}");
    }
}
