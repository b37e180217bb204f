//! `junit.xml`: one test case per threshold of each run (one passing placeholder for a run
//! without thresholds, as for a sweep without an SLO), per `compare` expectation and per
//! baseline metric, so a CI system lists them beside the unit tests.

use crate::baseline::Change;
use crate::report::Report;
use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

fn case(name: &str, passed: bool, message: &str) -> TestCase {
    let status = if passed {
        TestCaseStatus::success()
    } else {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
        set_message(&mut s, message);
        s
    };
    with_status(name, status, message)
}

/// A failed check that does not gate the command: listed, but not a failure.
fn informational(name: &str, message: &str) -> TestCase {
    let mut s = TestCaseStatus::skipped();
    set_message(&mut s, message);
    with_status(name, s, message)
}

/// The `message` attribute holds one line, the first (an XML parser reads a newline in an
/// attribute as a space, so a sweep's findings ran together); a message of several lines is
/// given whole in the element's text too.
fn set_message(s: &mut TestCaseStatus, message: &str) {
    match message.split_once('\n') {
        Some((first, _)) => {
            s.set_message(format!("{} (more in the text)", first.trim_end()));
            s.set_description(message.to_string());
        }
        None => {
            s.set_message(message.to_string());
        }
    }
}

fn with_status(name: &str, status: TestCaseStatus, message: &str) -> TestCase {
    let mut c = TestCase::new(name.to_string(), status);
    c.set_system_out(message.to_string());
    c
}

/// Adds `suite` to `report`, counting its skipped cases as `skipped` (quick-junit counts them
/// as `disabled`, which JUnit readers take for tests switched off, not run-and-skipped; the
/// attribute, 0 then, is dropped from the document by [`without_disabled`]).
fn add_suite(report: &mut quick_junit::Report, mut suite: TestSuite) {
    let skipped = suite
        .test_cases
        .iter()
        .filter(|c| matches!(c.status, TestCaseStatus::Skipped { .. }))
        .count();
    suite.disabled = suite.disabled.saturating_sub(skipped);
    suite.extra.insert("skipped".into(), skipped.to_string().into());
    report.add_test_suite(suite);
}

pub fn render(r: &Report) -> Result<String, String> {
    let mut report = quick_junit::Report::new(format!("spillway: {}", r.title));
    // Each case's class names the report (scenario, runs, sim or live): a CI job with a sim
    // and a live report of one comparison listed the same (class, name) twice, and many test
    // reporters read only those two.
    let class = |what: &str| format!("{}: {what}", r.title);
    if !r.expectations.is_empty() {
        let mut suite = TestSuite::new("expectations");
        for c in r.expectations {
            // A failure says what was expected and what was measured.
            let message = if c.passed {
                c.detail.clone()
            } else {
                format!("expected {}; {}", c.expectation, c.detail)
            };
            let mut case = case(&c.expectation, c.passed, &message);
            case.set_classname(class("expectations"));
            suite.add_test_case(case);
        }
        add_suite(&mut report, suite);
    }
    for e in r.entries {
        let Some(first) = e.first() else { continue };
        let mut suite = TestSuite::new(format!("thresholds: {}", e.label));
        if first.thresholds.is_empty() {
            // As a sweep without an SLO: one passing case, so a report of runs without
            // thresholds is not an empty junit.xml (which some CI systems, Jenkins among them,
            // reject).
            let mut detail = format!("verdict: {}", e.verdict_text());
            if let Some(why) = e.incomplete() {
                detail.push_str(&format!("; the run is incomplete ({why}), measured over part of it"));
            }
            let mut c = case("run read (no thresholds to gate on)", true, &detail);
            c.set_classname(class(&e.label));
            suite.add_test_case(c);
            add_suite(&mut report, suite);
            continue;
        }
        for (i, t) in first.thresholds.iter().enumerate() {
            // Every replication must pass for the case to pass.
            let fails = e.threshold_failures(i);
            let value = t.measured_phrase();
            let mut msg = if e.runs.len() > 1 {
                format!(
                    "{value} in seed {} (first of {}); failed in {fails} of {} runs",
                    first.seed,
                    e.runs.len(),
                    e.runs.len()
                )
            } else {
                value
            };
            // A failure says what was expected and what was measured, as an expectation's
            // does: `measured 25.32%` alone named neither the check nor its bound.
            if fails > 0 {
                msg = format!("expected {}; {msg}", t.check);
                if e.generator_in_doubt() {
                    msg.push_str(crate::entry::INCONCLUSIVE_NOTE);
                }
            }
            let mut c = match e.incomplete() {
                // A pass over part of a run, or over part of its seeds, proves nothing, as one
                // over part of a sweep's grid does not: a failure where thresholds gate.
                Some(why) if fails == 0 => {
                    let text = format!("not judged: the run is incomplete ({why}), measured over part of it: {msg}");
                    if r.thresholds_gate {
                        case(&t.label(), false, &text)
                    } else {
                        informational(&t.label(), &text)
                    }
                }
                _ if fails == 0 || r.thresholds_gate => case(&t.label(), fails == 0, &msg),
                _ => informational(
                    &t.label(),
                    &format!(
                        "fails, not gated (compare gates on its {}): {msg}",
                        if r.baseline.is_some() {
                            "baseline's regressions"
                        } else {
                            "expectations"
                        }
                    ),
                ),
            };
            c.set_classname(class(&e.label));
            suite.add_test_case(c);
        }
        add_suite(&mut report, suite);
    }
    // A sweep is one case: some configuration meets its SLO (or, without one, it was read), so
    // a report of sweeps alone is not an empty junit.xml (which some CI systems reject).
    for h in &r.heatmaps {
        let mut suite = TestSuite::new(h.title.clone());
        let detail = h.notes.join("\n");
        let mut c = match (&h.slo_met, &h.interrupted) {
            // A pass over part of the grid proves nothing: the best may not hold at the loads
            // that did not run.
            // The detail's notes open with how much of the grid ran.
            (Some((slo, _)), Some(_)) => case(
                &format!("some configuration meets {slo}"),
                false,
                &format!("not judged: a pass over part of the grid proves nothing\n{detail}"),
            ),
            (Some((slo, true)), None) => case(&format!("some configuration meets {slo}"), true, &detail),
            // The message's one line says what failed; the findings follow.
            (Some((slo, false)), None) => case(
                &format!("some configuration meets {slo}"),
                false,
                &format!("no configuration meets {slo}\n{detail}"),
            ),
            (None, _) => case("sweep read (no SLO to gate on)", true, &detail),
        };
        c.set_classname(class("sweep"));
        suite.add_test_case(c);
        add_suite(&mut report, suite);
    }
    if let Some(b) = &r.baseline {
        let mut suite = TestSuite::new("baseline");
        for p in &b.problems {
            let mut c = case(p.check, false, &p.detail);
            c.set_classname(class("baseline"));
            suite.add_test_case(c);
        }
        let (outcome, text) = crate::markdown::baseline_outcome(r, b);
        let inconclusive = outcome == crate::baseline::Outcome::Inconclusive;
        for row in &b.rows {
            let mut msg = row.describe(b.tolerance);
            let passed = row.change != Change::Regression;
            // Failures all the same (`compare` exits 4, not 0), each saying so, as a failed
            // expectation over such runs does.
            if !passed && inconclusive {
                msg.push_str(crate::entry::INCONCLUSIVE_NOTE);
            }
            let mut c = case(&row.metric, passed, &msg);
            c.set_classname(class("baseline"));
            suite.add_test_case(c);
        }
        if inconclusive && b.rows.iter().all(|row| row.change != Change::Regression) {
            // No regression, over a load the target never saw in full: a pass proves nothing.
            let mut c = case(
                "the whole load reached the target",
                false,
                &format!("inconclusive: {text}"),
            );
            c.set_classname(class("baseline"));
            suite.add_test_case(c);
        }
        add_suite(&mut report, suite);
    }
    report
        .to_string()
        .map(|doc| xml_chars(without_disabled(doc)))
        .map_err(|e| e.to_string())
}

/// The document without the `disabled` attribute quick-junit writes on every `<testsuite>`
/// (always 0 here, see [`add_suite`]): the Jenkins xUnit plugin's JUnit schema (junit-10.xsd)
/// has no such attribute and the plugin skips a file that does not validate.
fn without_disabled(doc: String) -> String {
    const TAG: &str = "<testsuite ";
    const ATTRIBUTE: &str = " disabled=\"0\"";
    let mut out = String::with_capacity(doc.len());
    let mut rest = doc.as_str();
    // A `<` in a name or a text is escaped, so every `<testsuite ` opens a tag, which ends at
    // its first `>` (escaped in attribute values too).
    while let Some(at) = rest.find(TAG) {
        let end = rest[at..].find('>').map_or(rest.len(), |e| at + e);
        out.push_str(&rest[..at]);
        out.push_str(&rest[at..end].replacen(ATTRIBUTE, "", 1));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The document with every character XML 1.0 forbids (most control characters, U+FFFE,
/// U+FFFF) replaced by U+FFFD: no escape can carry them, and one from a name in a results file
/// made the whole junit.xml unreadable to a CI system.
fn xml_chars(doc: String) -> String {
    let allowed =
        |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
    if doc.chars().all(allowed) {
        return doc;
    }
    doc.chars().map(|c| if allowed(c) { c } else { '\u{FFFD}' }).collect()
}

#[cfg(test)]
mod tests {
    /// Characters XML cannot hold at all become U+FFFD; the rest of the text is untouched.
    #[test]
    fn characters_xml_forbids_are_replaced() {
        let doc = "<a b=\"x\u{FFFE}y\">\u{2}tab\there \u{1F600}\u{FFFF}</a>\n".to_string();
        assert_eq!(
            super::xml_chars(doc),
            "<a b=\"x\u{FFFD}y\">\u{FFFD}tab\there \u{1F600}\u{FFFD}</a>\n"
        );
        assert_eq!(super::xml_chars("plain".into()), "plain");
    }
}
