//! A trigger whose whole windows before it offer no traffic: every run reads "not judged: no
//! traffic before the trigger", which `scenario check` says (and refuses for a recovery
//! threshold, which could never be judged).

mod common;

use common::parse;

/// Phase 0 for 30s at `first` intents/s, then `gap` (a duration) at 5/s when given, then the
/// trigger `burst`, then 30s of load; with a recovery threshold when `check`.
fn file(first: &str, gap: Option<&str>, check: bool) -> Vec<String> {
    let mut v: Vec<String> = vec![
        "[run]".into(),
        "window = \"1s\"".into(),
        "[[workload.phases]]".into(),
        "name = \"quiet\"".into(),
        "duration = \"30s\"".into(),
        format!("rate = {first}"),
    ];
    if let Some(gap) = gap {
        v.extend([
            "[[workload.phases]]".into(),
            format!("duration = \"{gap}\""),
            "rate = 5".into(),
        ]);
    }
    v.extend(
        [
            "[[workload.phases]]",
            "name = \"burst\"",
            "duration = \"10s\"",
            "rate = 40",
            "trigger = true",
            "[[workload.phases]]",
            "duration = \"30s\"",
            "rate = 10",
            "[[backend.services]]",
            "name = \"a\"",
            "workers = 2",
            "service_time = \"10ms\"",
        ]
        .map(String::from),
    );
    if check {
        v.extend(["[[thresholds]]".into(), "check = \"recovery <= 30s\"".into()]);
    }
    v
}

fn lines(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

const SAID: &str = "the phases before the trigger phase `burst` (from 30s) offer no traffic, so no run has a baseline to judge it against (\"not judged: no traffic before the trigger\"); give a phase before it a rate of normal load";

#[test]
fn a_trigger_with_no_traffic_before_it_is_said_to_get_no_verdict() {
    let s = parse(&lines(&file("0", None, false))).expect("valid: a note, not an error");
    let w = s.warnings();
    assert!(w.contains(&format!("workload.phases: no verdict: {SAID}")), "{w:?}");
    // A recovery threshold on it could never be judged: refused.
    let e = parse(&lines(&file("0", None, true))).expect_err("a recovery threshold is refused");
    let d = e.diagnostics();
    assert!(
        d.iter().any(|d| d.path == "thresholds[0].check"
            && d.message == format!("`recovery <= 30s` could never be judged: {SAID}")),
        "{e}"
    );
    // Traffic before the trigger: neither.
    let s = parse(&lines(&file("5", None, true))).expect("valid");
    assert!(
        !s.warnings().iter().any(|w| w.contains("no verdict")),
        "{:?}",
        s.warnings()
    );
}

/// Only the whole windows before the trigger make its baseline: traffic in the window the
/// trigger starts in is none of it; traffic in a whole window before it is.
#[test]
fn the_baseline_is_the_whole_windows_before_the_trigger() {
    let burst_at = |gap: &str| SAID.replace("(from 30s)", &format!("(from {gap})"));
    let s = parse(&lines(&file("0", Some("500ms"), false))).expect("valid");
    assert!(
        s.warnings()
            .contains(&format!("workload.phases: no verdict: {}", burst_at("30.5s"))),
        "{:?}",
        s.warnings()
    );
    let s = parse(&lines(&file("0", Some("1s"), false))).expect("valid");
    assert!(
        !s.warnings().iter().any(|w| w.contains("no verdict")),
        "{:?}",
        s.warnings()
    );
}
