//! Replications: each headline figure as a mean with a 95% confidence interval (Student's t).

use model::results::{GroupSummary, Results, Summary, Verdict};
use model::scenario::Priority;
use serde::Serialize;
use std::collections::BTreeMap;

pub use model::interval::{t975, Interval};

/// Headline figures over replications.
#[derive(Clone, Debug, Serialize)]
pub struct ReplicationSummary {
    /// Seeds that ran (and were saved).
    pub replications: usize,
    /// Seeds asked for, when Ctrl-C stopped the run before all of them ran (`replications` is
    /// fewer): the figures are over the seeds that ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub planned_replications: Option<usize>,
    pub goodput_ratio: Interval,
    pub p50: Interval,
    pub p99: Interval,
    pub amplification: Interval,
    pub wasted_s: Interval,
    /// Recovery times of the runs that recovered.
    pub recovery_s: Interval,
    /// Fraction of the seeds with a verdict that ended metastable; `None` when no seed was
    /// judged (each run ended before its trigger was over).
    pub metastable_fraction: Option<f64>,
    /// Seeds with a verdict (a run cut short before its trigger was over has none).
    pub judged: usize,
    /// How many seeds had each verdict.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub verdicts: BTreeMap<&'static str, usize>,
    /// Per priority class, for scenarios with priorities, over the seeds in which the class sent
    /// something (classes no seed sent to are left out).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub classes: BTreeMap<Priority, GroupReplication>,
    /// Per service, for scenarios with several, likewise.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, GroupReplication>,
}

/// A priority class's or a service's figures over replications.
#[derive(Clone, Debug, Serialize)]
pub struct GroupReplication {
    pub goodput_ratio: Interval,
    pub p50: Interval,
    pub p99: Interval,
    pub amplification: Interval,
    pub timeouts: Interval,
    pub shed: Interval,
    /// The group's own recovery times, over the seeds in which it recovered.
    pub recovery_s: Interval,
    /// Fraction of the seeds with a group verdict in which the group ended metastable; `None`
    /// when the results keep no group verdicts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metastable_fraction: Option<f64>,
    /// How many seeds had each group verdict.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub verdicts: BTreeMap<&'static str, usize>,
}

/// How many of `figures` had each verdict, a recovery that never fell below the line counted
/// as "held" (as the summary and reports say it).
fn verdict_counts(figures: &[GroupSummary]) -> BTreeMap<&'static str, usize> {
    let mut out = BTreeMap::new();
    // Those without one count too: "13 recovered, 5 metastable" of 20 seeds hid two runs whose
    // backlog was still draining at the end.
    for name in figures.iter().map(|g| g.verdict_name().unwrap_or(NOT_JUDGED)) {
        *out.entry(name).or_insert(0) += 1;
    }
    out
}

/// The verdict count of the seeds without a verdict.
const NOT_JUDGED: &str = "not judged";

/// "3 recovered, 1 metastable, 1 overloaded", or "" without verdicts.
fn verdicts_text(counts: &BTreeMap<&'static str, usize>) -> String {
    ["stable", "held", "recovered", "metastable", "overloaded", NOT_JUDGED]
        .iter()
        .filter_map(|v| counts.get(v).map(|n| format!("{n} {v}")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Of a whole run's or a group's figures over seeds: the recovery times of those that
/// recovered, how many have a verdict, and how many of those are metastable.
fn recoveries(figures: &[GroupSummary]) -> (Interval, usize, usize) {
    let recovered: Vec<f64> = figures.iter().filter_map(|g| g.recovery_s).collect();
    let verdicts = figures.iter().filter(|g| g.verdict.is_some()).count();
    let metastable = figures
        .iter()
        .filter(|g| g.verdict == Some(Verdict::Metastable))
        .count();
    (Interval::of(&recovered), verdicts, metastable)
}

/// Mean and 95% interval of `f` over `items`.
fn col<T>(items: &[T], f: impl Fn(&T) -> f64) -> Interval {
    Interval::of(&items.iter().map(f).collect::<Vec<_>>())
}

pub fn summarize(runs: &[Results]) -> ReplicationSummary {
    summarize_summaries(&runs.iter().map(|r| &r.summary).collect::<Vec<_>>())
}

/// [`summarize`] from the runs' summaries alone (a driver that keeps no more of each run).
pub fn summarize_summaries(runs: &[&Summary]) -> ReplicationSummary {
    let whole: Vec<GroupSummary> = runs.iter().map(|r| r.whole.clone()).collect();
    let (recovery_s, judged, metastable) = recoveries(&whole);
    let classes = Priority::ALL
        .into_iter()
        .filter_map(|p| group_replication(runs.iter().filter_map(|r| r.class(p))).map(|g| (p, g)))
        .collect();
    let names: std::collections::BTreeSet<&String> = runs.iter().flat_map(|r| r.services.keys()).collect();
    let mut names: Vec<&String> = names.into_iter().collect();
    names.sort_by(|a, b| model::results::natural_order(a, b));
    let services = names
        .into_iter()
        .filter_map(|n| group_replication(runs.iter().filter_map(|r| r.service(n))).map(|g| (n.clone(), g)))
        .collect();
    ReplicationSummary {
        replications: runs.len(),
        planned_replications: None,
        goodput_ratio: col(runs, |r| r.whole.goodput_ratio),
        p50: col(runs, |r| r.whole.latency.p50),
        p99: col(runs, |r| r.whole.latency.p99),
        amplification: col(runs, |r| r.whole.amplification),
        wasted_s: col(runs, |r| r.wasted_s),
        recovery_s,
        metastable_fraction: (judged > 0).then(|| metastable as f64 / judged as f64),
        judged,
        verdicts: verdict_counts(&whole),
        classes,
        services,
    }
}

/// A group's figures over the seeds in which it sent something (a seed without any of its
/// intents has no latency or goodput to average in); `None` if it never did.
fn group_replication(groups: impl Iterator<Item = GroupSummary>) -> Option<GroupReplication> {
    let sent: Vec<GroupSummary> = groups.filter(|g| g.offered > 0).collect();
    let (recovery_s, verdicts, metastable) = recoveries(&sent);
    (!sent.is_empty()).then(|| GroupReplication {
        recovery_s,
        metastable_fraction: (verdicts > 0).then(|| metastable as f64 / verdicts as f64),
        verdicts: verdict_counts(&sent),
        goodput_ratio: col(&sent, |c| c.goodput_ratio),
        p50: col(&sent, |c| c.latency.p50),
        p99: col(&sent, |c| c.latency.p99),
        amplification: col(&sent, |c| c.amplification),
        timeouts: col(&sent, |c| c.timeouts as f64),
        shed: col(&sent, |c| c.shed as f64),
    })
}

/// "40% of seeds", or of the judged seeds when some runs were not judged.
fn metastable_line(s: &ReplicationSummary) -> String {
    match s.metastable_fraction {
        None => "- (no seed judged: every run ended during its trigger or too soon after it, or with its backlog still draining)".to_string(),
        Some(m) if s.judged == s.replications => format!("{:.0}% of seeds", m * 100.0),
        Some(m) => format!(
            "{:.0}% of the {} seeds judged ({} not judged: ended during their trigger or too soon after it, or with a backlog still draining)",
            m * 100.0,
            s.judged,
            s.replications - s.judged
        ),
    }
}

/// How [`render`] shows a figure: seconds, a ratio (as a percentage, its interval in points,
/// as `compare` and the reports show it), or a plain number.
#[derive(Clone, Copy, PartialEq)]
enum Unit {
    Secs,
    Ratio,
    Plain,
    /// A count's mean: one decimal.
    Count,
}

pub fn render(s: &ReplicationSummary) -> String {
    use model::results::fmt_secs;
    // Each figure's natural range: `floor` to `ceiling`.
    let iv_unit = |i: &Interval, unit: Unit, floor: f64, ceiling: f64| {
        let one = |v: f64| match unit {
            Unit::Secs => fmt_secs(v),
            Unit::Ratio => format!("{:.1}%", v * 100.0),
            Unit::Plain => format!("{v:.4}"),
            Unit::Count => format!("{v:.1}"),
        };
        match i.n {
            0 => "-".to_string(),
            // One value (one seed recovered) has no interval: its half-width is infinite.
            _ if !i.half_width.is_finite() => one(i.mean),
            // Every figure here is at least 0 (amplification at least 1, a ratio at most 1): a
            // t-interval reaching past that (few seeds, one far off) is shown as the range it
            // can be, not as "2.00s ± 3.10s" or "1.9827 ± 1.9289" attempts per intent.
            _ if i.mean - i.half_width < floor || i.mean + i.half_width > ceiling => {
                format!(
                    "{} (95% CI {} to {})",
                    one(i.mean),
                    one((i.mean - i.half_width).max(floor)),
                    one((i.mean + i.half_width).min(ceiling))
                )
            }
            _ if unit == Unit::Ratio => format!("{} ± {}", one(i.mean), model::interval::points_text(i.half_width)),
            _ => format!("{} ± {}", one(i.mean), one(i.half_width)),
        }
    };
    let ratio = |i: &Interval| iv_unit(i, Unit::Ratio, 0.0, 1.0);
    let secs = |i: &Interval| iv_unit(i, Unit::Secs, 0.0, f64::INFINITY);
    // Attempts per intent: at least 1 wherever anything was offered.
    let amplification = |i: &Interval| {
        iv_unit(
            i,
            Unit::Plain,
            model::interval::amplification_floor(i.mean),
            f64::INFINITY,
        )
    };
    // Runs without a trigger (all judged stable) have no recovery to count.
    let triggered = s.judged < s.replications || s.verdicts.keys().any(|v| *v != "stable");
    let recovery = if triggered || s.recovery_s.n > 0 {
        format!(
            "{} ({} of {} runs recovered)",
            secs(&s.recovery_s),
            s.recovery_s.n,
            s.replications
        )
    } else {
        "- (no trigger)".to_string()
    };
    let mut o = format!(
        "{} replications (mean ± 95% CI)\n  goodput ratio   {}\n  p50             {}\n  p99             {}\n  amplification   {}\n  wasted work     {}\n  recovery        {recovery}\n  metastable      {}\n  verdicts        {}\n",
        s.replications,
        ratio(&s.goodput_ratio),
        secs(&s.p50),
        secs(&s.p99),
        amplification(&s.amplification),
        secs(&s.wasted_s),
        metastable_line(s),
        if s.verdicts.is_empty() { "-".to_string() } else { verdicts_text(&s.verdicts) }
    );
    // Clipped at 0 as the other figures are: `2148.4 ± 4859.4` timeouts read as possibly
    // negative, where the reports said `(95% CI 0.0 to 7007.8)`.
    let count = |i: &Interval| iv_unit(i, Unit::Count, 0.0, f64::INFINITY);
    let classes = s.classes.iter().map(|(c, g)| (c.as_str().to_string(), g));
    let mut services: Vec<_> = s.services.iter().collect();
    services.sort_by(|a, b| model::results::natural_order(a.0, b.0));
    let services = services.into_iter().map(|(n, g)| (format!("service {n}"), g));
    let groups: Vec<(String, _)> = classes.chain(services).collect();
    // As wide as the longest name: "service notifications" pushed its line out of step.
    let width = groups
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(15, 200);
    for (name, c) in groups {
        let verdicts = match c.metastable_fraction {
            // Over the seeds that recovered, and said so, as the whole run's line: "0s ± 0s
            // (9 held, 11 metastable)" read as if the service never went down.
            Some(m) => format!(
                "   recovery {} in {} of {} seeds ({})   metastable {:.0}%{}",
                secs(&c.recovery_s),
                c.recovery_s.n,
                c.verdicts.values().sum::<usize>(),
                verdicts_text(&c.verdicts),
                m * 100.0,
                // Of the seeds judged, as the whole run's line says it.
                if c.verdicts.contains_key(NOT_JUDGED) {
                    " of those judged"
                } else {
                    ""
                }
            ),
            None => String::new(),
        };
        o.push_str(&format!(
            "  {:<width$} goodput ratio {}   p50 {}   p99 {}   amplification {}   timeouts {}   shed {}{verdicts}\n",
            name,
            ratio(&c.goodput_ratio),
            secs(&c.p50),
            secs(&c.p99),
            amplification(&c.amplification),
            count(&c.timeouts),
            count(&c.shed)
        ));
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each verdict's seeds are counted, so a line never reads "4 recovered" without saying
    /// what the fifth was.
    #[test]
    fn every_verdict_is_counted() {
        let g = |v| GroupSummary {
            verdict: v,
            ..Default::default()
        };
        let counts = verdict_counts(&[
            g(Some(Verdict::Recovered)),
            g(Some(Verdict::Overloaded)),
            g(Some(Verdict::Recovered)),
            g(None),
            g(Some(Verdict::Metastable)),
        ]);
        assert_eq!(
            verdicts_text(&counts),
            "2 recovered, 1 metastable, 1 overloaded, 1 not judged"
        );
        // A recovery that never fell below the line is counted as held, as the summary says.
        let held = GroupSummary {
            held: true,
            ..g(Some(Verdict::Recovered))
        };
        let counts = verdict_counts(&[held.clone(), g(Some(Verdict::Recovered)), held]);
        assert_eq!(verdicts_text(&counts), "2 held, 1 recovered");
    }

    /// Replications of a scenario with priorities report each class over the seeds; one
    /// without reports none.
    #[test]
    fn classes_are_summarized_over_the_seeds() {
        let text = |mix: &str| {
            format!(
                "[[workload.phases]]\nduration = \"20s\"\nrate = 40\n{mix}[clients]\ntimeout = \"5s\"\n\
                 [[backend.services]]\nname = \"s\"\nworkers = 2\nservice_time = {{ dist = \"exponential\", mean = \"40ms\" }}\n"
            )
        };
        // Utilisation 0.8 and class queues: background waits behind every interactive request.
        let with = model::scenario::parse(
            "t.toml",
            &text(
                "[[workload.mix]]\nservice = \"s\"\nweight = 1\n[[workload.mix]]\nservice = \"s\"\nweight = 1\npriority = \"background\"\n\
                 [gateway]\nstrategy = \"fifo\"\nconcurrency = 2\n[gateway.priorities]\n",
            ),
        )
        .unwrap();
        let runs: Vec<Results> = (1..=3).map(|seed| crate::simulate(&with, Some(seed))).collect();
        let s = summarize(&runs);
        assert_eq!(s.classes.len(), 2);
        let (fg, bg) = (&s.classes[&Priority::Interactive], &s.classes[&Priority::Background]);
        let p99s: Vec<f64> = runs
            .iter()
            .map(|r| r.summary.classes[&Priority::Background].latency.p99)
            .collect();
        assert_eq!(bg.p99.n, 3);
        assert!((bg.p99.mean - p99s.iter().sum::<f64>() / 3.0).abs() < 1e-12);
        assert!(bg.p99.mean > fg.p99.mean, "{bg:?} vs {fg:?}");
        for r in &runs {
            let class_p99 = |p| r.summary.classes[&p].latency.p99;
            assert!(
                class_p99(Priority::Background) > class_p99(Priority::Interactive),
                "seed {}: background waits behind interactive",
                r.seed
            );
        }
        assert!(render(&s).contains("background"), "{}", render(&s));

        let without = model::scenario::parse("t.toml", &text("")).unwrap();
        let runs: Vec<Results> = (1..=2).map(|seed| crate::simulate(&without, Some(seed))).collect();
        assert!(summarize(&runs).classes.is_empty());
    }

    /// A group's recovery is averaged over the seeds in which it recovered, and its metastable
    /// fraction over those with a verdict; results without group verdicts give no fraction.
    #[test]
    fn group_recovery_and_metastable_fraction_over_seeds() {
        let g = |offered, verdict, recovery_s| GroupSummary {
            offered,
            verdict,
            recovery_s,
            ..Default::default()
        };
        let r = group_replication(
            [
                g(10, Some(Verdict::Recovered), Some(4.0)),
                g(10, Some(Verdict::Metastable), None),
                g(10, Some(Verdict::Recovered), Some(8.0)),
                g(10, Some(Verdict::Metastable), None),
                g(0, Some(Verdict::Metastable), None),
            ]
            .into_iter(),
        )
        .unwrap();
        assert_eq!((r.recovery_s.n, r.recovery_s.mean), (2, 6.0));
        assert_eq!(
            r.metastable_fraction,
            Some(0.5),
            "the seed that sent nothing is left out"
        );
        let old = group_replication([g(10, None, None)].into_iter()).unwrap();
        assert_eq!((old.metastable_fraction, old.recovery_s.n), (None, 0));
        let text = render(&ReplicationSummary {
            services: [("s".to_string(), old)].into(),
            ..summarize(&[])
        });
        let line = text.lines().find(|l| l.contains("service s")).unwrap();
        assert!(!line.contains("recovery") && !line.contains("metastable"), "{line}");
    }

    /// Seeds 1-3 of a small run without a trigger (each judged stable).
    fn three_seeds() -> Vec<Results> {
        let scenario = model::scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"10s\"\nrate = 20\n[clients]\ntimeout = \"5s\"\n\
             [[backend.services]]\nname = \"s\"\nworkers = 2\nservice_time = { dist = \"exponential\", mean = \"40ms\" }\n",
        )
        .unwrap();
        (1..=3).map(|seed| crate::simulate(&scenario, Some(seed))).collect()
    }

    /// A seed whose run was not judged (cut short before its trigger was over) is left out of
    /// the whole run's metastable fraction rather than counted as recovered.
    #[test]
    fn metastable_fraction_is_over_the_judged_seeds() {
        let mut runs = three_seeds();
        runs[0].summary.whole.verdict = None;
        runs[1].summary.whole.verdict = Some(Verdict::Metastable);
        runs[2].summary.whole.verdict = Some(Verdict::Recovered);
        let s = summarize(&runs);
        assert_eq!((s.metastable_fraction, s.judged), (Some(0.5), 2));
        assert!(
            render(&s).contains("metastable      50% of the 2 seeds judged (1 not judged"),
            "{}",
            render(&s)
        );
        for r in &mut runs {
            r.summary.whole.verdict = None;
        }
        let s = summarize(&runs);
        assert_eq!((s.metastable_fraction, s.judged), (None, 0));
        assert!(
            render(&s).contains("metastable      - (no seed judged"),
            "{}",
            render(&s)
        );
        runs[0].summary.whole.verdict = Some(Verdict::Metastable);
        runs[1].summary.whole.verdict = Some(Verdict::Stable);
        runs[2].summary.whole.verdict = Some(Verdict::Stable);
        assert!(render(&summarize(&runs)).contains("metastable      33% of seeds\n"));
    }

    /// A service metastable in two seeds of three and held in the third: its line read
    /// "recovery 0s (1 held, 2 metastable)", as if it never went down; it says over how many
    /// seeds that recovery is, as the whole run's line does.
    #[test]
    fn a_services_recovery_says_over_how_many_seeds() {
        let mut runs = three_seeds();
        for (r, held) in runs.iter_mut().zip([true, false, false]) {
            let billing = model::results::GroupSummary {
                offered: 100,
                successes: 50,
                goodput_ratio: 0.5,
                verdict: Some(if held { Verdict::Recovered } else { Verdict::Metastable }),
                recovery_s: held.then_some(0.0),
                held,
                ..Default::default()
            };
            r.summary.services.insert("billing".into(), billing);
        }
        let text = render(&summarize(&runs));
        assert!(
            text.contains("recovery 0s in 1 of 3 seeds (1 held, 2 metastable)   metastable 67%"),
            "{text}"
        );
    }

    /// One recovered seed has a recovery but no interval (not "± infs"); runs without a
    /// trigger have no recovery to count (not "0 of 3 runs recovered").
    #[test]
    fn single_values_and_untriggered_runs_read_plainly() {
        let mut runs = three_seeds();
        let text = render(&summarize(&runs));
        assert!(text.contains("recovery        - (no trigger)\n"), "{text}");
        runs[0].summary.whole.verdict = Some(Verdict::Recovered);
        runs[0].summary.whole.recovery_s = Some(2.0);
        runs[1].summary.whole.verdict = Some(Verdict::Metastable);
        let text = render(&summarize(&runs));
        assert!(
            text.contains("recovery        2.00s (1 of 3 runs recovered)\n"),
            "{text}"
        );
        assert!(!text.contains("inf"), "{text}");
        // Two recoveries far apart: the interval would reach below 0 s.
        runs[1].summary.whole.verdict = Some(Verdict::Recovered);
        runs[1].summary.whole.recovery_s = Some(20.0);
        let s = summarize(&runs);
        assert!(s.recovery_s.mean - s.recovery_s.half_width < 0.0);
        let text = render(&s);
        let high = model::results::fmt_secs(s.recovery_s.mean + s.recovery_s.half_width);
        assert!(
            text.contains(&format!(
                "recovery        11.0s (95% CI 0s to {high}) (2 of 3 runs recovered)\n"
            )),
            "{text}"
        );
        // Goodput ratios of 0.99, 0.99 and 0.90: the interval would reach above 100%.
        for (r, g) in runs.iter_mut().zip([0.99, 0.99, 0.90]) {
            r.summary.whole.goodput_ratio = g;
        }
        let s = summarize(&runs);
        assert!(s.goodput_ratio.mean + s.goodput_ratio.half_width > 1.0);
        let text = render(&s);
        let low = (s.goodput_ratio.mean - s.goodput_ratio.half_width) * 100.0;
        assert!(
            text.contains(&format!("goodput ratio   96.0% (95% CI {low:.1}% to 100.0%)\n")),
            "{text}"
        );
        // Within bounds: a percentage with its interval in points, as compare shows it.
        for (r, g) in runs.iter_mut().zip([0.50, 0.60, 0.55]) {
            r.summary.whole.goodput_ratio = g;
        }
        let s = summarize(&runs);
        let text = render(&s);
        let pp = s.goodput_ratio.half_width * 100.0;
        assert!(
            text.contains(&format!("goodput ratio   55.0% ± {pp:.1} pp\n")),
            "{text}"
        );
    }

    /// A group's counts are clipped at 0 as the other figures are: timeouts of 0, 0 and 300
    /// read `100.0 (95% CI 0.0 to ...)`, not `100.0 ± 430.3`.
    #[test]
    fn group_counts_are_clipped_at_zero() {
        let mut runs = three_seeds();
        for (r, t) in runs.iter_mut().zip([0, 0, 300]) {
            let g = GroupSummary {
                offered: 1000,
                attempts: 1000,
                timeouts: t,
                ..Default::default()
            };
            r.summary.services.insert("billing".into(), g);
        }
        let s = summarize(&runs);
        let t = &s.services["billing"].timeouts;
        assert!(t.mean - t.half_width < 0.0);
        let text = render(&s);
        let high = t.mean + t.half_width;
        assert!(
            text.contains(&format!("timeouts 100.0 (95% CI 0.0 to {high:.1})")),
            "{text}"
        );
    }

    /// Amplification is at least 1 attempt per intent: an interval reaching below that (two
    /// seeds far apart read `1.9827 ± 1.9289`, and a service `(95% CI 0.0000 to 4.8271)`) is
    /// shown from 1, for the whole run and each service.
    #[test]
    fn amplification_is_clipped_at_one() {
        let mut runs = three_seeds();
        for (r, a) in runs.iter_mut().zip([1.0, 1.05, 3.9]) {
            r.summary.whole.amplification = a;
            let g = GroupSummary {
                offered: 100,
                attempts: (100.0 * a) as u64,
                amplification: a,
                ..Default::default()
            };
            r.summary.services.insert("billing".into(), g);
        }
        let s = summarize(&runs);
        let a = &s.amplification;
        assert!(a.mean - a.half_width < 1.0, "{a:?}");
        let text = render(&s);
        let high = a.mean + a.half_width;
        let whole = format!("amplification   {:.4} (95% CI 1.0000 to {high:.4})\n", a.mean);
        assert!(text.contains(&whole), "{whole}\n{text}");
        let service = format!("amplification {:.4} (95% CI 1.0000 to {high:.4})", a.mean);
        let line = text.lines().find(|l| l.contains("service billing")).expect("billing");
        assert!(line.contains(&service), "{line}");
    }

    /// Group lines stay in step whatever the names' lengths: `service notifications` (21
    /// characters) pushed its figures right of the others' (walkthrough 5).
    #[test]
    fn group_lines_line_up_past_fifteen_characters() {
        let mut runs = three_seeds();
        for r in &mut runs {
            for name in ["ledger", "notifications"] {
                let g = GroupSummary {
                    offered: 100,
                    ..Default::default()
                };
                r.summary.services.insert(name.into(), g);
            }
        }
        let text = render(&summarize(&runs));
        let at = |name: &str| {
            let line = text.lines().find(|l| l.contains(name)).expect(name);
            line.find("goodput ratio").expect("a goodput ratio")
        };
        assert_eq!(at("service ledger"), at("service notifications"), "{text}");
    }

    #[test]
    fn interval_of_known_sample() {
        let i = Interval::of(&[1.0, 2.0, 3.0, 4.0]);
        assert!((i.mean - 2.5).abs() < 1e-12);
        // s = 1.29099, se = 0.645497, t(3) = 3.182
        assert!((i.half_width - 3.182 * 0.645_497).abs() < 1e-4);
    }
}
