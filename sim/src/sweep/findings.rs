//! What a sweep found, as the lines `sim sweep` prints and a report of its table shows.

use super::axis::{describe, show_value, Axis};
use super::choice::{
    best, best_config, configurations, incomplete_configurations, is_load_axis, objective_value, params_where, rank,
    rank_cmp, tied_with_best, Choice,
};
use super::envelope::{envelope_axis, is_phase_rate, other_loads, safe_envelope, EnvelopeUnit};
use super::point::{Params, Point};
use model::threshold::{Figure, Metric, Scope};
use serde_json::Value;

/// A configuration's settings as the findings name it: the scenario as it is when the sweep
/// varies only the load.
fn settings_name(settings: &[(String, Value)]) -> String {
    if settings.is_empty() {
        "the scenario as it is".to_string()
    } else {
        describe(settings)
    }
}

/// `tied` as one line: `gateway.concurrency=7, 6, 5` when each differs from `best` in the same
/// one setting, else each in full.
fn tied_text(best: &Params, tied: &[Params]) -> String {
    const SHOWN: usize = 10;
    let differing = |t: &Params| -> Vec<usize> { (0..t.len()).filter(|&i| best.get(i) != t.get(i)).collect() };
    let one_key = match differing(&tied[0])[..] {
        [k] if tied.iter().all(|t| t.len() == best.len() && differing(t) == [k]) => Some(k),
        _ => None,
    };
    let mut text = match one_key {
        Some(k) => format!(
            "{}={}",
            best[k].0,
            tied.iter()
                .take(SHOWN)
                .map(|t| show_value(&t[k].1))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => tied
            .iter()
            .take(SHOWN)
            .map(|t| describe(t))
            .collect::<Vec<_>>()
            .join("; "),
    };
    if tied.len() > SHOWN {
        text.push_str(&format!(" and {} more", tied.len() - SHOWN));
    }
    // The one setting alone read as that value with the file's other settings (deadline at
    // its default bound, which failed the SLO), not with the best's.
    if one_key.is_some() && best.len() > 1 {
        let others: Params = best
            .iter()
            .enumerate()
            .filter(|&(i, _)| Some(i) != one_key)
            .map(|(_, kv)| kv.clone())
            .collect();
        text.push_str(&format!(" (with the best's {})", describe(&others)));
    }
    text
}

/// The figures [`rank`] compares, each once, as a line naming ties says them:
/// "goodput_ratio, p99 and wasted work".
fn rank_figures(objective: &Figure) -> String {
    let mut figures = vec![objective.to_string()];
    for (m, name) in [
        (Metric::GoodputRatio, "goodput ratio"),
        (Metric::P99, "p99"),
        (Metric::Wasted, "wasted work"),
    ] {
        if *objective != Figure::whole(m) {
            figures.push(name.to_string());
        }
    }
    let last = figures.pop().unwrap_or_default();
    if figures.is_empty() {
        last
    } else {
        format!("{} and {last}", figures.join(", "))
    }
}

/// Whether `c`, the [`best_config`], is no answer: the best of configurations that all never
/// recovered (by recovery) is merely the first in grid order.
fn no_answer(c: &Choice, objective: &Figure) -> bool {
    objective_value(c.worst, objective) == Some(f64::NEG_INFINITY)
}

/// A point's headline figures; the objective first unless it is among them.
pub fn headline(p: &Point, objective: &Figure) -> String {
    let first = if objective.scope == Scope::Whole
        && matches!(
            objective.metric,
            Metric::GoodputRatio | Metric::P99 | Metric::Amplification
        ) {
        String::new()
    } else {
        // A class's or service's ratio or amplification as the whole run's beside it.
        let shown = match (objective.metric, p.value(objective)) {
            (Metric::GoodputRatio, Some(v)) => format!("{v:.4}"),
            (Metric::Amplification, Some(v)) => format!("{v:.2}"),
            (m, v) => m.show(v),
        };
        // `service[*]` reads the worst service: which one it is.
        let over_seeds = if p.worst_names(objective).len() > 1 {
            ", over the seeds"
        } else {
            ""
        };
        let which = p
            .worst_label(objective)
            .map_or(String::new(), |l| format!(" ({l}{over_seeds})"));
        format!("{objective} {shown}{which}, ")
    };
    format!(
        "{first}goodput ratio {:.4}, p99 {}, amplification {:.2}, verdict {}",
        p.goodput_ratio,
        model::results::fmt_secs(p.p99),
        p.amplification,
        p.verdict_name()
    )
}

/// What a sweep found, as the lines `sim sweep` prints and a report of its table shows: the
/// best configuration under the SLO (at every load tried), or the best at each load when none
/// holds at all of them; and, over a rate axis, the safe envelope.
pub fn findings(points: &[Point], axes: &[Axis], objective: &Figure, slo: &[String], bursts: &[usize]) -> Vec<String> {
    let mut out = Vec::new();
    let slo_text = if slo.is_empty() {
        "none given".to_string()
    } else {
        slo.join(", ")
    };
    let loads: Vec<&str> = axes
        .iter()
        .map(|x| x.key.as_str())
        .filter(|k| is_load_axis(k))
        .collect();
    let at_every = if loads.is_empty() {
        String::new()
    } else {
        format!(" at every {} tried", loads.join(" and "))
    };
    match best_config(points, objective) {
        Some(c) if no_answer(&c, objective) => out.push(format!(
            "no configuration recovers{at_every}: by {objective} there is no best (every point under the SLO ({slo_text}) ended without recovering; sweep.csv has each verdict)"
        )),
        Some(c) => {
            let settings = settings_name(&c.settings);
            let worst = if loads.is_empty() {
                String::new()
            } else {
                format!("worst at {}: ", describe(&params_where(&c.worst.params, true)))
            };
            // The bound the worst point ran with (a sized one can vary with the load when the
            // mix is an axis: it follows the mean service time of what each service gets).
            let bound = c.worst.sized_note();
            out.push(format!(
                "best under the SLO ({slo_text}){at_every} by {objective}: {settings}{bound}  -> {worst}{}",
                headline(c.worst, objective)
            ));
            // Listed first only by grid order: named, so nobody reads it as the better one.
            let tied = tied_with_best(points, objective);
            if !tied.is_empty() {
                out.push(format!(
                    "  tied with it on {}{}, so it is first only in grid order: {}",
                    rank_figures(objective),
                    if loads.is_empty() { "" } else { " at their worst load" },
                    tied_text(&c.settings, &tied)
                ));
            }
        }
        None if loads.is_empty() && points.iter().any(|p| p.meets_slo) => out.push(format!(
            "no point under the SLO has {objective} (a group that sent nothing, or that a --vary removed)"
        )),
        None if loads.is_empty() => out.push(format!("no point meets the SLO ({slo_text})")),
        None => {
            out.push(if configurations(points).len() == incomplete_configurations(points).len() {
                // Every configuration missed a load: the sweep was interrupted, not found wanting.
                "no configuration ran at every load tried (the sweep was interrupted); the best at each:".to_string()
            } else if slo.is_empty() {
                format!("no configuration has {objective}{at_every}; the best at each:")
            } else {
                format!("no configuration meets the SLO ({slo_text}){at_every}; the best at each:")
            });
            let mut seen: Vec<Params> = Vec::new();
            for p in points {
                let at = params_where(&p.params, true);
                if seen.contains(&at) {
                    continue;
                }
                let here: Vec<Point> = points
                    .iter()
                    .filter(|q| params_where(&q.params, true) == at)
                    .cloned()
                    .collect();
                let Some(b) = best(&here, objective) else {
                    out.push(format!("  {}: no point meets the SLO", describe(&at)));
                    seen.push(at);
                    continue;
                };
                let settings = params_where(&b.params, false);
                out.push(format!(
                    "  {}: {}{}  -> {}",
                    describe(&at),
                    settings_name(&settings),
                    b.sized_note(),
                    headline(b, objective)
                ));
                // As for the overall best: first among equals only in grid order, so named.
                let top = rank(b, objective);
                let tied: Vec<Params> = here
                    .iter()
                    .filter(|q| q.meets_slo)
                    .filter(|q| matches!((rank(q, objective), &top), (Some(v), Some(t)) if rank_cmp(&v, t).is_eq()))
                    .map(|q| params_where(&q.params, false))
                    .filter(|s| *s != settings)
                    .collect();
                if !tied.is_empty() {
                    out.push(format!(
                        "    tied with it on {}, so it is first only in grid order: {}",
                        rank_figures(objective),
                        tied_text(&settings, &tied)
                    ));
                }
                seen.push(at);
            }
        }
    }
    let partial = incomplete_configurations(points);
    if !partial.is_empty() {
        const SHOWN: usize = 5;
        let names: Vec<String> = partial.iter().take(SHOWN).map(|c| settings_name(c)).collect();
        let more = match partial.len().saturating_sub(SHOWN) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        out.push(format!(
            "not ranked: {} configuration(s) the sweep did not run at every load the others ran at (interrupted): {}{more}",
            partial.len(),
            names.join("; ")
        ));
    }
    let env = safe_envelope(points, axes, bursts);
    match envelope_axis(axes, bursts) {
        Some(axis) if !env.is_empty() => {
            let best = best_config(points, objective)
                .filter(|c| !no_answer(c, objective))
                .map(|c| describe(&c.settings));
            let what = match axis.unit {
                EnvelopeUnit::Rate => "rate",
                EnvelopeUnit::Duration => "duration",
            };
            // Held at every value of the other load axes, said, so that no one reads the
            // envelope as the one at the file's normal load.
            let mut held = other_loads(axes, axis.key)
                .iter()
                .map(|a| {
                    let values: Vec<String> = a.values.iter().map(show_value).collect();
                    format!(" and at every {} tried ({})", a.key, values.join(", "))
                })
                .collect::<String>();
            // A load given one value (the burst's rate, under an envelope over its length).
            for a in axes.iter().filter(|a| is_load_axis(&a.key) && a.values.len() == 1) {
                held.push_str(&format!(", with {}={}", a.key, show_value(&a.values[0])));
            }
            out.push(format!(
                "safe envelope over {} (the largest {what} up to which the whole run and every class and service recover, however long that takes, at every {what} tried{held}; no SLO applies here):",
                axis.key
            ));
            for e in env {
                let mark = if best.as_deref() == Some(e.label.as_str()) {
                    "  <- best"
                } else {
                    ""
                };
                out.push(format!("  {}: {}{mark}", e.label, e.describe()));
            }
        }
        Some(_) => {}
        None if bursts.is_empty() => out.push(
            "no safe envelope: no burst axis (vary a workload phase's rate or ramp_to, a trigger phase's duration or an outage's, e.g. --vary 'workload.phases[1].rate=100,200,400', for the largest burst after which the system recovers)"
                .into(),
        ),
        None => {
            let phases: Vec<String> = bursts.iter().map(|i| format!("workload.phases[{i}]")).collect();
            let example = bursts[0];
            // A rate axis of another phase: why it is not the envelope's.
            let elsewhere: Vec<&str> = axes
                .iter()
                .filter(|a| is_phase_rate(&a.key) && a.values.len() >= 2)
                .map(|a| a.key.as_str())
                .collect();
            let not_burst = if elsewhere.is_empty() {
                String::new()
            } else {
                format!(
                    "; {} the rate of a phase that is no trigger: a load the findings hold at every value, not the burst",
                    elsewhere.join(" and ") + if elsewhere.len() == 1 { " is" } else { " are" }
                )
            };
            out.push(format!(
                "no safe envelope: no axis gives a trigger phase ({}) two or more values of its rate, ramp_to, an extra[K].rate or its duration, nor an outage two or more durations (e.g. --vary 'workload.phases[{example}].rate=100,200,400', for the largest burst after which the system recovers){not_burst}",
                phases.join(", ")
            ));
        }
    }
    let seeds = points.first().map_or(1, |p| p.seeds);
    out.push(if seeds > 1 {
        format!("each point: {seeds} seeds; figures are their means, and a point meets the SLO and recovers only if every seed does")
    } else {
        "each point is one seed: check the chosen configuration with `sim run --replications 10`, or sweep with --replications".to_string()
    });
    out
}
