//! The end-of-run summary printed by the simulator and the load generator alike.

use super::{Results, Verdict};
use std::fmt::Write as _;

/// A time in seconds, in the unit that reads best.
pub fn fmt_secs(s: f64) -> String {
    if s == 0.0 {
        return "0s".into();
    }
    let (scale, suffix, decimals) = secs_unit(s);
    format!("{:.decimals$}{suffix}", s * scale)
}

/// The unit [`fmt_secs`] shows a non-zero `s` in: the factor from seconds, the suffix and the
/// decimals (callers that need more digits in the same unit start from it).
pub fn secs_unit(s: f64) -> (f64, &'static str, usize) {
    if s >= 10.0 {
        (1.0, "s", 1)
    } else if s >= 1.0 {
        (1.0, "s", 2)
    } else if s >= 0.001 {
        (1e3, "ms", 1)
    } else {
        (1e6, "us", 0)
    }
}

/// The whole run's verdict reason, and, when a live run's target stopped answering (more than
/// a tenth of its attempts got no answer: [`super::RunNotes::unanswered`]) or refused most
/// requests ([`super::RunNotes::mostly_refused`]), that a verdict of metastability or overload
/// is then about an unreachable or refusing target, not about its capacity: a target stopped
/// mid-run reads as a collapse that never recovers.
pub fn verdict_reason(r: &Results) -> String {
    let w = &r.summary.whole;
    let reason = w.verdict_reason.trim_end_matches('.');
    let bad = matches!(w.verdict, Some(Verdict::Metastable | Verdict::Overloaded));
    if let (true, Some((n, attempts, _))) = (bad, r.notes.unanswered()) {
        return format!(
            "{reason}; but {n} of the {attempts} attempts that ended before their timeout got no usable HTTP answer (see the warning): the target was unreachable, dropped connections or did not answer in HTTP, which says nothing about its capacity"
        );
    }
    // Refused requests (every answer a 401, say) fail their intents as overload would.
    if let (true, Some((n, answers, _))) = (bad, r.notes.mostly_refused()) {
        return format!(
            "{reason}; but {n} of the {answers} answers were client errors: the target refused the requests, which says nothing about its capacity"
        );
    }
    reason.to_string()
}

/// Why a run's figures cover only part of it, if they do: a live run was interrupted (Ctrl-C,
/// or intents lost), the simulator stops early only at one of its caps (closed-loop intents,
/// requests held at once), which it names.
pub fn incomplete_reason(r: &Results) -> Option<&str> {
    match (r.incomplete, r.source) {
        (false, _) => None,
        (true, super::RunSource::Sim) => Some(r.stopped.as_deref().unwrap_or("stopped at the intent cap")),
        (true, _) => Some("interrupted"),
    }
}

/// Whether `r` is a live run that was interrupted (its figures cover part of the scenario).
pub fn interrupted(r: &Results) -> bool {
    r.incomplete && r.source != super::RunSource::Sim
}

/// Why `r` cannot be compared with whole runs, if it cannot: a live run that was interrupted,
/// or a simulation stopped at its cap on requests held at once (a blow-up, stopped before the
/// scenario had run its course). A simulation capped at its closed-loop intents ran its course
/// with users that send without pause, and is compared as it is.
pub fn cut_off(r: &Results) -> Option<&'static str> {
    if interrupted(r) {
        Some("was interrupted")
    } else if r.stopped.is_some() {
        Some("stopped early, at the simulator's cap")
    } else {
        None
    }
}

/// Intents of a stopped run that had no final answer when it stopped, if any: its latency
/// figures are of the others alone (at a simulator's cap, often a small fraction that finished
/// early, whose percentiles read healthy).
pub fn unfinished(r: &Results) -> Option<u64> {
    let w = &r.summary.whole;
    let unfinished = w.offered.saturating_sub(w.successes + w.failures);
    (r.incomplete && unfinished > 0).then_some(unfinished)
}

/// What a stopped run's latency figures cover, when intents were left unfinished
/// ([`unfinished`]): said beside them wherever they are shown.
pub fn latency_coverage(r: &Results) -> Option<String> {
    let left = unfinished(r)?;
    // No latency shown, nothing to qualify.
    if r.summary.whole.latency.count == 0 {
        return None;
    }
    Some(format!(
        "latency covers the {} intents that finished, not the {left} left without an answer",
        r.summary.whole.latency.count
    ))
}

/// The summary table of one run.
pub fn summary_table(r: &Results) -> String {
    let s = &r.summary;
    let mut o = String::new();
    let source = r.source.as_str();
    let scale = if (r.time_scale - 1.0).abs() > 1e-9 {
        format!(", time scale {}", r.time_scale)
    } else {
        String::new()
    };
    let _ = writeln!(
        o,
        "{} ({source}, strategy {}, seed {}{}{scale}){}",
        r.scenario_name,
        r.strategy,
        r.seed,
        r.shard
            .filter(|(_, n)| *n > 1)
            .map_or(String::new(), |(i, n)| format!(", shard {i}/{n} (streams of its own)")),
        incomplete_reason(r).map_or(String::new(), |why| format!("  [INCOMPLETE: {why}]"))
    );
    let _ = writeln!(
        o,
        "  offered       {} intents over {}   attempts {} (retries {})   amplification {:.2}",
        s.whole.offered,
        fmt_secs(s.duration_s),
        s.whole.attempts,
        s.whole.retries,
        s.whole.amplification
    );
    // A ratio of no intents and percentiles of no latencies are no 100% and 0s.
    if s.whole.offered == 0 {
        let _ = writeln!(o, "  goodput       - (nothing offered)");
    } else {
        let _ = writeln!(
            o,
            "  goodput       {} of intents succeeded within the timeout ({:.1}/s)",
            crate::threshold::share(s.whole.goodput_ratio),
            s.whole.goodput
        );
    }
    // A run stopped early counts the intents still waiting as not succeeded: say how many,
    // or a goodput of 0.0% over four million intents reads as four million failures.
    if let Some(unfinished) = unfinished(r) {
        let _ = writeln!(
            o,
            "  unfinished    {unfinished} intents had no final answer when the run stopped (counted as not succeeded)"
        );
    }
    let l = &s.whole.latency;
    if l.count == 0 {
        let _ = writeln!(o, "  latency       - (no intent finished)");
    } else if s.whole.successes == 0 {
        // As the group lines, thresholds and reports: a latency of failures alone is no
        // latency figure; how long the clients waited for them is still worth a line.
        let _ = writeln!(
            o,
            "  latency       - (nothing succeeded; the failed intents ended after p50 {}, p99 {}, max {})",
            fmt_secs(l.p50),
            fmt_secs(l.p99),
            fmt_secs(l.max)
        );
    } else {
        let _ = writeln!(
            o,
            "  latency       p50 {}   p90 {}   p99 {}   p99.9 {}   max {}   (intent, from intended send{})",
            fmt_secs(l.p50),
            fmt_secs(l.p90),
            fmt_secs(l.p99),
            fmt_secs(l.p999),
            fmt_secs(l.max),
            latency_coverage(r).map_or(String::new(), |c| format!("; {c}"))
        );
    }
    let _ = writeln!(
        o,
        "  attempts      timeouts {}   shed 503 {}   429 {}   expired 504 {}   other errors {}",
        s.whole.timeouts, s.whole.shed, s.whole.rate_limited, s.whole.expired, s.whole.errors
    );
    let gateway_retries = r.gateway_retries();
    if gateway_retries > 0 {
        let _ = writeln!(
            o,
            "  gateway       {gateway_retries} retries of a 502/503 (backend calls on top of the attempts)"
        );
    }
    if s.backend_busy_s > 0.0 {
        let _ = writeln!(
            o,
            "  wasted work   {} of {} backend time ({:.1}%) served to clients who had given up",
            fmt_secs(s.wasted_s),
            fmt_secs(s.backend_busy_s),
            s.wasted_ratio * 100.0
        );
    }
    // Groups that sent nothing (all of `untagged` is interactive) get no line.
    let classes = s.classes.iter().map(|(c, g)| (c.as_str().to_string(), g));
    let services = super::services_in_order(&s.services)
        .into_iter()
        .map(|(n, g)| (n.clone(), g));
    for (title, groups) in [
        ("by class", classes.collect::<Vec<_>>()),
        ("by service", services.collect()),
    ] {
        // Capped: names come from results files, and `format!` panics at widths past 65,535.
        let width = groups.iter().map(|(n, _)| n.len()).max().unwrap_or(0).clamp(11, 200);
        for (i, (name, g)) in groups.iter().filter(|(_, g)| g.offered > 0).enumerate() {
            // Of failures alone when nothing succeeded: no latency, as thresholds and the
            // reports' tables say ("nothing succeeded").
            let latency = |q: f64| if g.successes == 0 { "-".to_string() } else { fmt_secs(q) };
            let _ = writeln!(
                o,
                "  {:<13} {name:<width$} offered {}   goodput {}   p50 {}   p99 {}   timeouts {}   shed {}   429 {}   expired {}   amplification {:.2}{}",
                if i == 0 { title } else { "" },
                g.offered,
                crate::threshold::share(g.goodput_ratio),
                latency(g.latency.p50),
                latency(g.latency.p99),
                g.timeouts,
                g.shed,
                g.rate_limited,
                g.expired,
                g.amplification,
                group_verdict(g)
            );
        }
    }
    let verdict = s.whole.verdict.map_or("not judged".into(), |v| {
        verdict_label(v, s.whole.recovery_s, s.whole.held)
    });
    let _ = writeln!(o, "  verdict       {verdict}: {}", verdict_reason(r));
    for (name, g) in s.groups_behind(r.window_s) {
        let _ = writeln!(
            o,
            "  BEHIND        {name}: {} ({}); whole run: {verdict}",
            g.verdict
                .map_or("not judged".into(), |v| verdict_label(v, g.recovery_s, g.held)),
            g.verdict_reason
        );
    }
    if let Some(g) = &r.generator {
        if g.lagging {
            // Arrivals left unsent only when there were any (as the report says it).
            let unsent = match g.unsent {
                0 => String::new(),
                n => format!(", {n} arrivals not sent, left out of the figures"),
            };
            let _ = writeln!(
                o,
                "  WARNING       the load generator fell behind its schedule ({}{unsent}): latencies include its own delay, and a late send can change what the target saw; {}",
                g.lateness_text(),
                r.generator_remedy()
            );
        }
    }
    for line in r.notes.lines() {
        let _ = writeln!(o, "{line}");
    }
    for t in &r.thresholds {
        let v = t.measured();
        let _ = writeln!(
            o,
            "  threshold     {} {}  (value {v})",
            if t.passed { "PASS" } else { "FAIL" },
            t.label()
        );
    }
    o
}

/// A group's verdict at the end of its summary line: its label, or "not judged (why)" as the
/// whole run's line says it (a run cut short right after its trigger left the lines with no
/// verdict at all); nothing for a group given neither (no baseline, or older results).
fn group_verdict(g: &super::GroupSummary) -> String {
    match g.verdict {
        Some(v) => format!("   {}", verdict_label(v, g.recovery_s, g.held)),
        None if !g.verdict_reason.is_empty() => format!("   not judged ({})", g.verdict_reason),
        None => String::new(),
    }
}

/// A verdict in a few words: "recovered in 25.0s" (from the end of the trigger), "held"
/// (goodput never fell below the line: "recovered in 0s" read as if something had happened to
/// a service the burst never reached), "metastable".
pub fn verdict_label(v: Verdict, recovery_s: Option<f64>, held: bool) -> String {
    match (v, recovery_s) {
        (Verdict::Recovered, _) if held => "held".to_string(),
        (Verdict::Recovered, Some(rec)) => format!("recovered in {}", fmt_secs(rec)),
        (v, _) => v.as_str().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Recorder, RunMeta, Tag};
    use crate::scenario::Priority;
    use crate::time::Time;
    use std::time::Duration;

    /// A live run whose target stopped answering fails its clients as a collapse would; the
    /// verdict's reason says so wherever it is shown (summary, markdown, HTML), beside the
    /// warning, instead of a bare "metastable".
    #[test]
    fn a_bad_verdict_says_when_the_target_stopped_answering() {
        let s = crate::scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"2s\"\nrate = 10\n\
             [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n",
        )
        .expect("valid");
        let mut r = Recorder::for_scenario(&s).finish(&s, RunMeta::sim("fifo"));
        r.summary.whole.verdict_reason = "goodput 12.0% after the trigger, 98.0% before".into();
        let refused = "cannot connect: Connection refused".to_string();
        let with = |r: &Results, verdict, refused_n: u64| {
            let mut r = r.clone();
            r.summary.whole.verdict = Some(verdict);
            r.notes.statuses = [(200, 100)].into_iter().collect();
            r.notes.failures = [(refused.clone(), refused_n)].into_iter().collect();
            r
        };
        let down = with(&r, Verdict::Metastable, 50);
        let table = summary_table(&down);
        assert!(
            table.contains("verdict       metastable: goodput 12.0% after the trigger, 98.0% before; but 50 of the 150 attempts that ended before their timeout got no usable HTTP answer (see the warning)"),
            "{table}"
        );
        assert!(table.contains("WARNING       50 of the 150 attempts"), "{table}");
        assert!(verdict_reason(&with(&r, Verdict::Overloaded, 50)).contains("; but 50 of the 150"));
        // A few refused connections (a tenth or less), or a good verdict, leave it as it was.
        for (v, n) in [
            (Verdict::Metastable, 11),
            (Verdict::Recovered, 50),
            (Verdict::Stable, 50),
        ] {
            assert_eq!(
                verdict_reason(&with(&r, v, n)),
                "goodput 12.0% after the trigger, 98.0% before",
                "{v:?} with {n} refused"
            );
        }
        // Every answer a 401: the verdict says the target refused the requests.
        let mut refusing = with(&r, Verdict::Overloaded, 0);
        refusing.notes.statuses = [(401, 99)].into_iter().collect();
        assert!(
            verdict_reason(&refusing).ends_with(
                "; but 99 of the 99 answers were client errors: the target refused the requests, which says nothing about its capacity"
            ),
            "{}",
            verdict_reason(&refusing)
        );
        refusing.summary.whole.verdict = Some(Verdict::Stable);
        assert!(!verdict_reason(&refusing).contains("client errors"));
    }

    /// A run stopped with most intents unanswered (a simulation at its cap on requests held)
    /// has latency figures of the few that finished, early: the latency line says so, or a
    /// p99 of 168 ms read as health beside 99.8% of intents never answered.
    #[test]
    fn a_stopped_runs_latency_says_it_covers_the_finished_intents_alone() {
        let s = crate::scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"2s\"\nrate = 10\n\
             [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n",
        )
        .expect("valid");
        let mut rec = Recorder::for_scenario(&s);
        let tag = Tag::new(Priority::Interactive, 0);
        for i in 0..10u64 {
            let at = Time::ZERO + Duration::from_millis(100 * i);
            rec.intent_offered(tag, at);
            rec.intent_finished(tag, at, Duration::from_millis(40), true);
        }
        let mut r = rec.finish(&s, RunMeta::sim("fifo"));
        let latency_line = |r: &Results| {
            summary_table(r)
                .lines()
                .find(|l| l.starts_with("  latency"))
                .expect("latency line")
                .to_string()
        };
        // Complete, or stopped with every intent answered: nothing to add.
        assert!(
            latency_line(&r).ends_with("(intent, from intended send)"),
            "{}",
            latency_line(&r)
        );
        r.incomplete = true;
        assert_eq!(latency_coverage(&r), None);
        r.summary.whole.offered += 4000;
        let line = latency_line(&r);
        assert!(
            line.ends_with("(intent, from intended send; latency covers the 10 intents that finished, not the 4000 left without an answer)"),
            "{line}"
        );
    }

    /// A results file's service names are not bounded as a scenario's are: one of 70,000
    /// characters panicked the per-service table (`format!` widths stop at 65,535).
    #[test]
    fn a_very_long_service_name_keeps_the_table_whole() {
        let s = crate::scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"2s\"\nrate = 10\n\
             [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n\
             [[backend.services]]\nname = \"b\"\nworkers = 1\nservice_time = \"10ms\"\n",
        )
        .expect("valid");
        let mut rec = Recorder::for_scenario(&s);
        for service in 0..2 {
            let tag = Tag::new(Priority::Interactive, service);
            rec.intent_offered(tag, Time::ZERO);
            rec.intent_finished(tag, Time::ZERO, Duration::from_millis(10), true);
        }
        let mut r = rec.finish(&s, RunMeta::sim("fifo"));
        let long = "x".repeat(70_000);
        let a = r.summary.services.remove("a").expect("service a has figures");
        r.summary.services.insert(long.clone(), a);
        let text = summary_table(&r);
        assert!(
            text.contains(&long) && text.contains("by service"),
            "the long name is printed"
        );
        // A service's 504s (the deadline strategy's answers) are on its line: without them
        // it read `shed 0` while the gateway answered most of its requests.
        let b = r.summary.services.get_mut("b").expect("service b");
        b.expired = 7;
        let text = summary_table(&r);
        let line = text.lines().find(|l| l.contains(" b ")).expect("b's line");
        assert!(line.contains("shed 0   429 0   expired 7"), "{line}");
        assert!(line.contains("p50 10.0ms"), "{line}");
        // Where nothing succeeded, no latency (it would be of failures alone), as the reports.
        r.summary.services.get_mut("b").expect("service b").successes = 0;
        let text = summary_table(&r);
        let line = text.lines().find(|l| l.contains(" b ")).expect("b's line");
        assert!(line.contains("p50 -   p99 -"), "{line}");
        // The whole run's line too, saying how long the failures took instead.
        let l = r.summary.whole.latency;
        r.summary.whole.successes = 0;
        let text = summary_table(&r);
        let line = text.lines().find(|l| l.starts_with("  latency")).expect("latency line");
        assert!(line.starts_with("  latency       - (nothing succeeded"), "{line}");
        assert!(line.contains(&format!("p50 {}", fmt_secs(l.p50))), "{line}");
        assert!(!line.contains("(intent, from intended send)"), "{line}");
    }
}
