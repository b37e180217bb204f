//! What a sweep is judged by: `--objective` and `--slo`, and a note when the objective ranks
//! on noise.

use super::axis::Axis;
use super::envelope::is_phase_rate;
use model::threshold::{Figure, Metric, Scope, Threshold};

/// The whole-run metrics a sweep can optimise: those its points keep. A class's or a service's
/// figure can be any per-group metric.
pub const OBJECTIVES: [Metric; 7] = [
    Metric::GoodputRatio,
    Metric::Goodput,
    Metric::P50,
    Metric::P99,
    Metric::Amplification,
    Metric::Wasted,
    Metric::Recovery,
];

/// Parses the `--slo` expressions. One given twice (or written two ways: `p99<2s`, `p99 < 2000ms`)
/// is refused rather than merged: it would be judged twice, with two identical `measured:`
/// columns in sweep.csv, and the repeat is more likely a slip for another SLO than meant.
pub fn parse_slos(slo: &[String]) -> Result<Vec<Threshold>, String> {
    let mut out: Vec<Threshold> = Vec::new();
    for t in slo {
        let parsed: Threshold = t.parse().map_err(|e: String| format!("--slo `{t}`: {e}"))?;
        if let Some(j) = out.iter().position(|x| x.same_check(&parsed)) {
            let again = if slo[j].trim() == t.trim() {
                "given twice".to_string()
            } else {
                format!("the same check as --slo `{}`", slo[j])
            };
            return Err(format!("--slo `{t}`: {again}; give each SLO once"));
        }
        out.push(parsed);
    }
    Ok(out)
}

/// Parses `--objective`: one of [`OBJECTIVES`], or any figure of a priority class or a service
/// (`interactive.p99`, `service[billing].goodput_ratio`), or of the worst service at each point
/// (`service[*].goodput_ratio`: the configuration best for the service that fares worst).
/// Whether the scenario keeps that group is for the caller to check
/// ([`Scenario::figure_problem`]).
///
/// [`Scenario::figure_problem`]: model::scenario::Scenario::figure_problem
pub fn parse_objective(text: &str) -> Result<Figure, String> {
    // The figure parser's list is every metric a threshold takes; a sweep keeps fewer for the
    // whole run, so an unknown name gets the sweep's own list.
    let figure: Figure = text.parse().map_err(|e: String| {
        // A class's or a service's figure (`service[a].latncy`) keeps the group parser's list.
        if e.starts_with("unknown metric") && !text.contains(['.', '[']) {
            format!(
                "unknown metric `{}`: expected one of {}; or a priority class's or a service's figure, as interactive.METRIC or service[NAME].METRIC (service[*].METRIC: the worst service's)",
                text.trim(),
                OBJECTIVES.map(Metric::name).join(", ")
            )
        } else {
            e
        }
    })?;
    if let Some(why) = figure.worst_service_problem() {
        return Err(why);
    }
    if figure.scope == Scope::Whole && !OBJECTIVES.contains(&figure.metric) {
        let list = OBJECTIVES.map(Metric::name).join(", ");
        // A group's form only where groups have the figure: `service[NAME].wasted_ratio` was
        // suggested, then refused (wasted work is the backend's, not a group's).
        let or = if figure.metric.per_group() {
            format!(
                ", or a class's or a service's figure (`service[NAME].{}`)",
                figure.metric.name()
            )
        } else if figure.metric == Metric::WastedRatio {
            "; of wasted work a sweep keeps `wasted`, the backend's seconds of work nobody waited for (wasted work is the backend's: no class or service has it)".to_string()
        } else {
            String::new()
        };
        return Err(format!(
            "`{}`: sweep points do not keep it for the whole run; the objective is one of {list}{or}",
            text.trim(),
        ));
    }
    Ok(figure)
}

/// A note when `objective` is an absolute goodput (successes per second) and a workload
/// rate or phase duration varies: goodput follows the offered load, so every configuration's
/// worst load is about the same rate (~126/s at every burst rate of death-spiral), and which
/// is best comes down to a fraction of a request per second of one seed's noise. The goodput
/// ratio (the share of intents that succeeded) compares configurations across loads.
pub fn objective_note(objective: &Figure, axes: &[Axis]) -> Option<String> {
    if objective.metric != Metric::Goodput {
        return None;
    }
    let loads: Vec<&str> = axes
        .iter()
        .filter(|a| {
            a.values.len() >= 2
                && a.key.starts_with("workload.phases[")
                && (is_phase_rate(&a.key) || a.key.ends_with(".duration"))
        })
        .map(|a| a.key.as_str())
        .collect();
    if loads.is_empty() {
        return None;
    }
    let ratio = Figure {
        scope: objective.scope.clone(),
        metric: Metric::GoodputRatio,
    };
    Some(format!(
        "--objective {objective} is successes per second, which follows the offered load: over {} every configuration's worst load serves about the same rate, and the ranking comes down to small differences (one seed's noise); --objective {ratio} (the share of intents that succeed) compares configurations across loads",
        loads.join(" and ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::parse_axis;
    use model::scenario::Priority;

    /// A whole-run objective is one the points keep (`shed` used to fall back to goodput ratio,
    /// negated as lower-is-better, and picked the worst point); a group's may be any of its
    /// figures (whether the scenario keeps the group is `Scenario::figure_problem`'s to say).
    #[test]
    fn objectives_parse() {
        assert_eq!(parse_objective("goodput"), Ok(Figure::whole(Metric::Goodput)));
        assert_eq!(parse_objective(" p99 "), Ok(Figure::whole(Metric::P99)));
        // Wasted work is the backend's: no group's form to suggest (it was, then refused).
        let err = parse_objective("wasted_ratio").unwrap_err();
        assert!(
            err.contains("keeps `wasted`") && !err.contains("service[NAME]"),
            "{err}"
        );
        let err = parse_objective("shed").unwrap_err();
        assert!(err.contains("do not keep it") && err.contains("recovery"), "{err}");
        assert_eq!(
            parse_objective("interactive.shed"),
            Ok(Figure::class(Priority::Interactive, Metric::Shed))
        );
        // An unknown name lists what a sweep can optimise, not every threshold metric.
        let err = parse_objective("latency").unwrap_err();
        assert!(
            err.contains("unknown metric `latency`") && err.contains("recovery"),
            "{err}"
        );
        assert!(!err.contains("max") && !err.contains("timeouts"), "{err}");
    }

    /// An absolute goodput with a varied load ranks on noise: a note suggests the ratio (a
    /// class's or a service's for theirs); a setting axis, or another objective, gets none.
    #[test]
    fn goodput_over_a_varied_load_suggests_the_ratio() {
        let ax = |s: &str| parse_axis(s).unwrap();
        let strategy = ax("gateway.strategy=fifo,bounded");
        let goodput = parse_objective("goodput").unwrap();
        let note = objective_note(&goodput, &[strategy.clone(), ax("workload.phases[1].rate=150,200")]).unwrap();
        assert!(
            note.starts_with("--objective goodput is successes per second")
                && note.contains("over workload.phases[1].rate every configuration's worst load")
                && note.ends_with("--objective goodput_ratio (the share of intents that succeed) compares configurations across loads"),
            "{note}"
        );
        let billing = parse_objective("service[billing].goodput").unwrap();
        let note = objective_note(&billing, &[ax("workload.phases[1].duration=5s,10s")]).unwrap();
        assert!(note.contains("--objective service[billing].goodput_ratio"), "{note}");
        assert!(objective_note(&goodput, std::slice::from_ref(&strategy)).is_none());
        assert!(objective_note(&goodput, &[strategy.clone(), ax("workload.phases[1].rate=150")]).is_none());
        let ratio = parse_objective("goodput_ratio").unwrap();
        assert!(objective_note(&ratio, &[strategy, ax("workload.phases[1].rate=150,200")]).is_none());
    }
}
