//! The report in each `--format`: `text` for people, `json` for scripts, `junit` for CI (one test suite per
//! section, one test case per check, so that any CI's test view shows each check).
//!
//! The JUnit XML is written here, in a few lines with every text escaped, rather than with a JUnit crate: the format
//! is five elements, and the crates that write it bring a date library and an XML writer into the build.

use crate::args::Format;
use crate::report::{Conformance, Line};
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

/// One block per section, one line per check with its reasons indented under it, and a verdict.
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

/// `{"target", "passed", "counts": {…}, "checks": [{"section", "check", "subject", "title", "outcome", "summary",
/// "reasons"}]}`.
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

/// JUnit XML: `<testsuites>`, one `<testsuite>` per section, one `<testcase>` per check; a failed check has a
/// `<failure>`, a skipped one `<skipped>`, and a summary or warnings go to `<system-out>`.
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
        };
        assert_eq!(
            text(&conformance),
            "Talkdesk protocol conformance of http://x\n\nA\n  PASS  a <check> & more\n\nB\n  WARN  a <check> & more\n        \
             - why\n\nPASSED: 1 passed, 1 with warnings, 0 failed, 0 skipped\n"
        );
        assert_eq!(to_json(&conformance)["checks"][1]["outcome"], "warn");
    }
}
