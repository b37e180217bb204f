//! A point from its seeds' runs: mean figures, the worst verdict, what each SLO measured.

use super::point::{Point, WorstService};
use model::results::{GroupSummary, Summary, Verdict};
use model::scenario::Priority;
use model::threshold::{Figure, Metric, Scope, Threshold};
use serde_json::Value;
use std::collections::BTreeMap;

/// Worse verdicts rank higher: a point is judged by its worst seed. A seed without a verdict
/// (a run cut short) ranks worst: a point is not known to recover unless every seed says so.
fn severity(v: Option<Verdict>) -> u8 {
    match v {
        Some(Verdict::Stable) => 0,
        Some(Verdict::Recovered) => 1,
        Some(Verdict::Overloaded) => 2,
        Some(Verdict::Metastable) => 3,
        None => 4,
    }
}

fn worst_verdict(vs: impl Iterator<Item = Option<Verdict>>) -> Option<Verdict> {
    vs.max_by_key(|v| severity(*v)).flatten()
}

/// Groups: a group without a verdict in a seed (it sent nothing before the trigger, say) says
/// nothing, so the worst of the verdicts the seeds have.
fn worst_group_verdict(vs: impl Iterator<Item = Option<Verdict>>) -> Option<Verdict> {
    worst_verdict(vs.filter(Option::is_some))
}

/// A point from its seeds' summaries and, for a run that stopped before its end, why; `sized`
/// the queue bounds sized for it.
pub(super) fn reduce_point(
    params: Vec<(String, Value)>,
    sized: &[(String, u32)],
    runs: Vec<(Summary, Option<String>)>,
    slo: &[Threshold],
) -> Point {
    let (runs, stopped): (Vec<Summary>, Vec<Option<String>>) = runs.into_iter().unzip();
    let one = sized.first().map(|f| f.1).filter(|q| sized.iter().all(|(_, x)| x == q));
    let mut p = Point {
        sized_queue_capacity: one,
        sized_queue_capacities: if one.is_none() {
            sized.iter().cloned().collect()
        } else {
            BTreeMap::new()
        },
        ..point(params, &runs, slo)
    };
    // Figures over part of a run judge nothing: not a verdict, not an SLO.
    if let Some(why) = stopped.into_iter().flatten().next() {
        p.verdict = "stopped".to_string();
        p.held = false;
        p.meets_slo = false;
        p.slo_held = p.slo_held.map(|_| 0);
        p.recovery_s = None;
        p.stopped = Some(why);
    }
    p
}

/// A point from the runs of its seeds.
fn point(params: Vec<(String, Value)>, runs: &[Summary], slo: &[Threshold]) -> Point {
    // [seed][slo]: whether the SLO held in the seed.
    let passed: Vec<Vec<bool>> = runs
        .iter()
        .map(|r| slo.iter().map(|t| t.evaluate(r).passed).collect())
        .collect();
    let held = passed.iter().filter(|seed| seed.iter().all(|&p| p)).count();
    let wholes: Vec<GroupSummary> = runs.iter().map(|r| r.whole.clone()).collect();
    let whole = mean_group(&wholes, true);
    let mean = |f: &dyn Fn(&Summary) -> f64| runs.iter().map(f).sum::<f64>() / runs.len() as f64;
    let group_names = |names: &mut Vec<String>, r: &Summary| {
        for n in r.services.keys() {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
    };
    let mut names = Vec::new();
    for r in runs {
        group_names(&mut names, r);
    }
    let services = names
        .into_iter()
        .filter_map(|n| {
            let gs: Vec<GroupSummary> = runs.iter().filter_map(|r| r.services.get(&n).cloned()).collect();
            (!gs.is_empty()).then(|| (n, mean_group(&gs, false)))
        })
        .collect();
    let classes = Priority::ALL
        .into_iter()
        .filter_map(|c| {
            let gs: Vec<GroupSummary> = runs.iter().filter_map(|r| r.classes.get(&c).cloned()).collect();
            (!gs.is_empty()).then(|| (c, mean_group(&gs, false)))
        })
        .collect();
    let (slo_measured, slo_values) = slo.iter().map(|t| slo_reading(t, runs)).unzip();
    Point {
        params,
        goodput_ratio: whole.goodput_ratio,
        goodput: Some(whole.goodput),
        p50: whole.latency.p50,
        p99: whole.latency.p99,
        amplification: whole.amplification,
        wasted_s: mean(&|r| r.wasted_s),
        recovery_s: whole.recovery_s,
        verdict: whole.verdict.map_or("-", Verdict::as_str).to_string(),
        held: whole.held,
        attempts: whole.attempts,
        meets_slo: held == runs.len(),
        seeds: runs.len() as u32,
        slo_held: (runs.len() > 1).then_some(held as u32),
        slo_held_each: if runs.len() > 1 {
            (0..slo.len())
                .map(|k| passed.iter().filter(|seed| seed[k]).count() as u32)
                .collect()
        } else {
            Vec::new()
        },
        classes,
        services,
        slo_measured,
        slo_values,
        sized_queue_capacity: None,
        sized_queue_capacities: BTreeMap::new(),
        worst_services: worst_services(runs),
        stopped: None,
    }
}

/// [`WorstService`] of every metric that has one, over seeds (none with one seed or no
/// services).
fn worst_services(runs: &[Summary]) -> BTreeMap<String, WorstService> {
    if runs.len() < 2 || runs.iter().all(|r| r.services.is_empty()) {
        return BTreeMap::new();
    }
    Metric::ALL
        .into_iter()
        .map(|metric| Figure {
            scope: Scope::EveryService,
            metric,
        })
        .filter(|f| f.metric.per_group() && f.worst_service_problem().is_none())
        .map(|f| {
            let worst: Vec<(&str, &GroupSummary)> = runs.iter().filter_map(|r| f.worst_service(&r.services)).collect();
            let values: Vec<f64> = worst.iter().filter_map(|(_, g)| f.value_in(g)).collect();
            // A judged service that never recovered: no recovery, as one seed's reads.
            let never = f.metric == Metric::Recovery && worst.iter().any(|(_, g)| f.value_in(g).is_none());
            let value = (!never && !values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64);
            let mut services: Vec<String> = worst.iter().map(|(n, _)| n.to_string()).collect();
            services.sort_by(|a, b| model::results::natural_order(a, b));
            services.dedup();
            (f.metric.name().to_string(), WorstService { value, services })
        })
        .collect()
}

/// What `t` measured over the seeds' runs: as a check shows it (one seed's reading, or the mean
/// of the seeds that have a value, saying how many do when not all), and as a number (that
/// mean, `None` when no seed has a value).
fn slo_reading(t: &Threshold, runs: &[Summary]) -> (String, Option<f64>) {
    let results: Vec<_> = runs.iter().map(|r| t.evaluate(r)).collect();
    let values: Vec<f64> = results.iter().filter_map(|r| r.value).collect();
    let mean = (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64);
    if let [one] = &results[..] {
        return (one.measured(), mean);
    }
    // The seeds' mean, shown as a check shows its value (no one service's name: a mean's).
    let shown = |first: &model::threshold::ThresholdResult| {
        model::threshold::ThresholdResult {
            value: mean,
            service: None,
            ..first.clone()
        }
        .measured()
    };
    let Some(first_missing) = results.iter().find(|r| r.value.is_none()) else {
        return (shown(&results[0]), mean);
    };
    if values.is_empty() {
        return (first_missing.measured(), None);
    }
    let text = format!(
        "{} ({} of {} seeds; else {})",
        shown(first_missing),
        values.len(),
        results.len(),
        first_missing.measured()
    );
    // A recovery that never came in one seed is no mean of the others: the number is empty,
    // as for a point that never recovered (the text says how many seeds did).
    if t.figure.metric == Metric::Recovery {
        return (text, None);
    }
    (text, mean)
}

/// A group's (or the `whole` run's) figures over seeds: means (counts rounded), the worst
/// verdict (for the whole run, a seed without one is worst), and a recovery time only if every
/// seed recovered (the mean of theirs).
fn mean_group(gs: &[GroupSummary], whole: bool) -> GroupSummary {
    if let [one] = gs {
        return one.clone();
    }
    let n = gs.len().max(1) as f64;
    let f = |get: &dyn Fn(&GroupSummary) -> f64| gs.iter().map(get).sum::<f64>() / n;
    let c = |get: &dyn Fn(&GroupSummary) -> u64| (gs.iter().map(|g| get(g) as f64).sum::<f64>() / n).round() as u64;
    let worst = gs.iter().max_by_key(|g| severity(g.verdict));
    let verdict = if whole {
        worst_verdict(gs.iter().map(|g| g.verdict))
    } else {
        worst_group_verdict(gs.iter().map(|g| g.verdict))
    };
    let recovery_s = gs
        .iter()
        .map(|g| g.recovery_s)
        .collect::<Option<Vec<f64>>>()
        .map(|r| r.iter().sum::<f64>() / n)
        .filter(|_| verdict == Some(Verdict::Recovered));
    let lat = |get: &dyn Fn(&model::results::Percentiles) -> f64| f(&|g| get(&g.latency));
    // Rounding is monotone, so a rounded mean keeps `successes <= offered` and `retries <=
    // attempts`; but two rounded means can add up past a third (3.5 + 6.5 of 10 gave 4 + 7),
    // and results readers refuse more intents ended than offered. So the ended intents are
    // rounded as one count and the failures are the rest of it.
    let successes = c(&|g| g.successes);
    let ended = c(&|g| g.successes + g.failures);
    GroupSummary {
        offered: c(&|g| g.offered),
        attempts: c(&|g| g.attempts),
        retries: c(&|g| g.retries),
        successes,
        failures: ended - successes,
        goodput: f(&|g| g.goodput),
        goodput_ratio: f(&|g| g.goodput_ratio),
        amplification: f(&|g| g.amplification),
        timeouts: c(&|g| g.timeouts),
        shed: c(&|g| g.shed),
        rate_limited: c(&|g| g.rate_limited),
        expired: c(&|g| g.expired),
        errors: c(&|g| g.errors),
        latency: model::results::Percentiles {
            count: c(&|g| g.latency.count),
            mean: lat(&|p| p.mean),
            p50: lat(&|p| p.p50),
            p90: lat(&|p| p.p90),
            p99: lat(&|p| p.p99),
            p999: lat(&|p| p.p999),
            max: gs.iter().map(|g| g.latency.max).fold(0.0, f64::max),
        },
        verdict,
        recovery_s,
        // Over seeds: held only if it was in every one.
        held: verdict == Some(Verdict::Recovered) && gs.iter().all(|g| g.held),
        verdict_reason: worst.map_or(String::new(), |g| g.verdict_reason.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seeds with 3 + 7 and 4 + 6 of 10 intents ended: the means 3.5 and 6.5 rounded apart made
    /// 4 + 7 of 10, a table `spillway report` refused (`more than the 10 intents offered`).
    #[test]
    fn mean_counts_never_end_more_intents_than_offered() {
        let seed = |successes, failures| GroupSummary {
            offered: 10,
            attempts: 12,
            retries: 2,
            successes,
            failures,
            ..GroupSummary::default()
        };
        let m = mean_group(&[seed(3, 7), seed(4, 6)], true);
        assert_eq!((m.offered, m.successes, m.failures), (10, 4, 6));
    }

    /// Over seeds, a whole run without a verdict is not known to recover (it ranks worst); a
    /// group without one in some seed is judged by the seeds that have one.
    #[test]
    fn seeds_without_a_verdict() {
        let g = |v| GroupSummary {
            offered: 10,
            verdict: v,
            ..Default::default()
        };
        let whole = mean_group(&[g(Some(Verdict::Recovered)), g(None)], true);
        assert_eq!(whole.verdict, None);
        let group = mean_group(
            &[g(None), g(Some(Verdict::Metastable)), g(Some(Verdict::Recovered))],
            false,
        );
        assert_eq!(group.verdict, Some(Verdict::Metastable));
    }

    /// Over seeds, a recovery that never came in one seed is no mean of the others: the number
    /// (sweep.csv's `measured:` column) is empty, the text says how many seeds recovered.
    #[test]
    fn a_recovery_missing_in_a_seed_has_no_mean() {
        let seed = |recovery: Option<f64>, verdict| {
            let mut s = Summary::default();
            s.whole.offered = 10;
            s.whole.recovery_s = recovery;
            s.whole.verdict = Some(verdict);
            s
        };
        let t: Threshold = "recovery < 30s".parse().unwrap();
        let (text, value) = slo_reading(
            &t,
            &[seed(Some(2.0), Verdict::Recovered), seed(None, Verdict::Metastable)],
        );
        assert_eq!(value, None, "{text}");
        assert!(text.contains("(1 of 2 seeds; else never)"), "{text}");
        let (_, value) = slo_reading(
            &t,
            &[seed(Some(2.0), Verdict::Recovered), seed(Some(4.0), Verdict::Recovered)],
        );
        assert_eq!(value, Some(3.0));
        // Other figures a seed lacks are the mean of the seeds that have them.
        let p99: Threshold = "p99 < 2s".parse().unwrap();
        let mut with = seed(Some(2.0), Verdict::Recovered);
        with.whole.latency.p99 = 1.0;
        (with.whole.successes, with.whole.latency.count) = (10, 10);
        let none = Summary::default();
        let (_, value) = slo_reading(&p99, &[with, none]);
        assert_eq!(value, Some(1.0));
    }
}
