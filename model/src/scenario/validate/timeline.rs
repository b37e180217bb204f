//! Checks of the time line: phases, triggers and the window against the run's length, and
//! whether a run can judge recovery at all.

use super::Checker;
use crate::scenario::{Phase, Problem, Scenario, ScenarioFile};
use crate::time::Time;
use std::time::Duration;

/// What the run's length and window leave out: phases and triggers the run ends before, and a
/// window too long to measure the healthy baseline. Each would make a run whose
/// verdict or thresholds quietly describe something other than the file.
///
/// `window_given` / `duration_given`: whether the file sets them (the default window and an
/// override such as `loadgen run --duration` are not checked).
pub(in crate::scenario) fn check_timeline(s: &Scenario, window_given: bool, duration_given: bool) -> Vec<Problem> {
    let mut c = Checker::default();
    let (file, phases, duration) = (&s.file, &s.phases[..], s.duration);
    check_timeline_of(&mut c, file, phases, duration, window_given, duration_given);
    // A recovery threshold on a run too short after its trigger could never be judged. Only
    // the file's own run length counts: `loadgen run --duration` may cut a run short on purpose.
    let run_end = if duration_given {
        duration
    } else {
        phases.last().map_or(duration, |p| p.end.saturating_since(Time::ZERO))
    };
    // A run that ends before its trigger does is an error of run.duration already.
    let trigger_cut = c.problems.iter().any(|p| p.path == "run.duration");
    if let Some(why) = unjudged_recovery(file, phases, run_end).filter(|_| !trigger_cut) {
        for (i, t) in s.thresholds.iter().enumerate() {
            if t.figure.metric == crate::threshold::Metric::Recovery {
                let at = file.thresholds.iter().position(|c| c.check == t.text).unwrap_or(i);
                c.fail(
                    format!("thresholds[{at}].check"),
                    format!("`{}` could never be judged: {why}", t.text),
                );
            }
        }
    }
    c.problems
}

/// Why no run of this time line can judge recovery, if none can: fewer than
/// [`crate::results::ROLLING_WINDOWS`] windows start between the end of the last trigger phase
/// and the end of the run (`run_end`), so every verdict reads "not judged".
pub(super) fn unjudged_recovery(file: &ScenarioFile, phases: &[Phase], run_end: Duration) -> Option<String> {
    let fmt = crate::duration::format_duration;
    let t_end = phases.iter().filter(|p| p.trigger).map(|p| p.end).max()?;
    if let Some(why) = no_baseline(file, phases) {
        return Some(why);
    }
    // The verdict judges windows that offered something: quiet time after the last phase with
    // a rate (a run.duration longer than the phases) shows nothing, healthy or not.
    let load_end = phases
        .iter()
        .filter(|p| p.rate_start > 0.0 || p.rate_end > 0.0)
        .map(|p| p.end.saturating_since(Time::ZERO))
        .max()
        .unwrap_or(Duration::ZERO);
    let (judged_end, ends) = if load_end < run_end {
        (load_end, "the load ends")
    } else {
        (run_end, "the run ends")
    };
    let trigger_end = t_end.saturating_since(Time::ZERO);
    if judged_end < trigger_end {
        return Some(format!(
            "{ends} at {}, before its last trigger phase ends (at {}), so every run would read \"not judged\"; end the run after the trigger, with load after it",
            fmt(judged_end),
            fmt(trigger_end)
        ));
    }
    let window = crate::time::duration_nanos(file.run.window.0).max(1);
    let end = crate::time::duration_nanos(judged_end);
    let after = end.div_ceil(window).saturating_sub(t_end.0.div_ceil(window));
    let need = u64::from(crate::results::ROLLING_WINDOWS);
    (after < need).then(|| {
        format!(
            "{ends} {} after its last trigger phase ends (at {}), and judging recovery takes {need} windows of {} ({}) with load after it, so every run would read \"not judged\"; lengthen the phase after the trigger or shorten run.window",
            fmt(judged_end.saturating_sub(t_end.saturating_since(Time::ZERO))),
            fmt(t_end.saturating_since(Time::ZERO)),
            fmt(file.run.window.0),
            fmt(file.run.window.0 * crate::results::ROLLING_WINDOWS),
        )
    })
}

/// Why no run has a baseline before the first trigger phase, if none has: the trigger starts
/// before one whole window has measured one (a file without recovery thresholds is told so
/// in a note, [`Scenario::warnings_with`]), or whole windows come before it but no phase with
/// a rate reaches into them (phase 0 `rate = 0`; a closed loop's users send regardless). Every
/// verdict then reads "not judged: no traffic before the trigger".
///
/// [`Scenario::warnings_with`]: crate::scenario::Scenario::warnings_with
fn no_baseline(file: &ScenarioFile, phases: &[Phase]) -> Option<String> {
    let fmt = crate::duration::format_duration;
    let trigger = phases.iter().find(|p| p.trigger)?;
    // The verdict's baseline: the windows that end by the trigger's start.
    let window = crate::time::duration_nanos(file.run.window.0).max(1);
    let baseline_end = trigger.start.0 / window * window;
    if baseline_end == 0 {
        // A trigger from the start (or within the first window) was accepted with a note
        // while a window longer than a shorter lead was an error: its recovery threshold
        // then failed every run as "not judged" (exit 3, not 2).
        return Some(format!(
            "the trigger phase `{}` starts at {}, before one whole window ({}) has measured a baseline, so no run gets a verdict (\"not judged: no traffic before the trigger\"); put a phase of normal load (a few windows) before it",
            trigger.name,
            fmt(trigger.start.saturating_since(Time::ZERO)),
            fmt(file.run.window.0)
        ));
    }
    let offers = |p: &Phase| (p.rate_start > 0.0 || p.rate_end > 0.0) && p.end > p.start;
    if file.workload.closed.is_some() || phases.iter().any(|p| offers(p) && p.start.0 < baseline_end) {
        return None;
    }
    Some(format!(
        "the phases before the trigger phase `{}` (from {}) offer no traffic, so no run has a baseline to judge it against (\"not judged: no traffic before the trigger\"); give a phase before it a rate of normal load",
        trigger.name,
        fmt(trigger.start.saturating_since(Time::ZERO))
    ))
}

fn check_timeline_of(
    c: &mut Checker,
    file: &ScenarioFile,
    phases: &[Phase],
    duration: Duration,
    window_given: bool,
    duration_given: bool,
) {
    let fmt = crate::duration::format_duration;
    let end = Time::ZERO + duration;
    let default_len = phases
        .last()
        .map_or(Duration::ZERO, |p| p.end.saturating_since(Time::ZERO));
    if duration_given && file.run.duration.is_some() {
        let since = |t: Time| fmt(t.saturating_since(Time::ZERO));
        if let Some(p) = phases.iter().find(|p| p.trigger && p.end > end) {
            c.fail(
                "run.duration",
                format!(
                    "the run ends at {}, {} the trigger phase `{}` ({}), so no verdict could be given: remove run.duration (it defaults to the phases' {}) or lengthen it",
                    fmt(duration),
                    if p.start >= end { "before" } else { "during" },
                    p.name,
                    crate::duration::format_span(p.start.saturating_since(Time::ZERO), p.end.saturating_since(Time::ZERO)),
                    fmt(default_len)
                ),
            );
        } else if let Some((i, p)) = phases.iter().enumerate().find(|(_, p)| p.start >= end) {
            c.fail(
                "run.duration",
                format!(
                    "the run ends at {}, before workload.phases[{i}] (`{}`, from {}) starts, so it would never run: remove run.duration (it defaults to the phases' {}) or lengthen it",
                    fmt(duration),
                    p.name,
                    since(p.start),
                    fmt(default_len)
                ),
            );
        }
    }
    let window = file.run.window.0;
    if window_given && !window.is_zero() && !duration.is_zero() {
        if window > duration {
            c.fail(
                "run.window",
                format!(
                    "a window of {} is longer than the run ({}): results are measured per window; use a window well under the run's length",
                    fmt(window),
                    fmt(duration)
                ),
            );
        } else if let Some(p) = phases.iter().find(|p| p.trigger) {
            let before = p.start.saturating_since(Time::ZERO);
            if !before.is_zero() && window > before {
                c.fail(
                    "run.window",
                    format!(
                        "a window of {} is longer than the time before the trigger ({}): no whole window measures the healthy baseline the verdict compares against; use a shorter window",
                        fmt(window),
                        fmt(before)
                    ),
                );
            }
        }
    }
}
