//! The best point and the best configuration: ranked by the objective, a configuration by its
//! worst point over the load axes.

use super::point::{Params, Point};
use model::threshold::{Figure, Metric};
use serde_json::Value;

/// The objective at `p` as a score, higher is better: a recovery that never happened scores
/// below every recovery that did; `None` when the point does not have the figure (a group it
/// does not keep, a latency of a group that finished nothing), so it cannot be the best.
pub fn objective_value(p: &Point, f: &Figure) -> Option<f64> {
    let v = match p.value(f) {
        Some(v) => v,
        None if f.metric == Metric::Recovery && p.judged(&f.scope) => f64::INFINITY,
        None => return None,
    };
    Some(if f.metric.higher_is_better() { v } else { -v })
}

/// A point's rank by objective `f`, higher is better: the objective, then, where it ties (a
/// recovery of 0 s, no wasted work: common), the goodput ratio, then the p99 and the wasted
/// work (lower is better). `None` without the objective (see [`objective_value`]).
pub(super) fn rank(p: &Point, f: &Figure) -> Option<[f64; 4]> {
    Some([objective_value(p, f)?, p.goodput_ratio, -p.p99, -p.wasted_s])
}

/// `a` against `b`, as ranks compare: figure by figure, a missing (NaN) figure lowest.
pub(super) fn rank_cmp(a: &[f64; 4], b: &[f64; 4]) -> std::cmp::Ordering {
    let key = |x: f64| if x.is_nan() { f64::NEG_INFINITY } else { x };
    a.iter()
        .zip(b)
        .map(|(x, y)| key(*x).total_cmp(&key(*y)))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

/// The best point meeting the SLO and having the objective ([`rank`]; full ties: the first in
/// grid order).
pub fn best<'a>(points: &'a [Point], f: &Figure) -> Option<&'a Point> {
    points
        .iter()
        .filter(|p| p.meets_slo)
        .filter_map(|p| Some((p, rank(p, f)?)))
        .fold(None, |best: Option<(&Point, [f64; 4])>, (p, v)| match best {
            Some((b, bv)) if rank_cmp(&bv, &v).is_ge() => Some((b, bv)),
            _ => Some((p, v)),
        })
        .map(|(p, _)| p)
}

/// The values of `params` on load axes (`load`), or on settings (`!load`).
pub fn params_where(params: &[(String, Value)], load: bool) -> Params {
    params
        .iter()
        .filter(|(k, _)| is_load_axis(k) == load)
        .cloned()
        .collect()
}

/// Whether an axis varies the load (or the run's length) rather than a setting the team
/// chooses ([`model::scenario::is_load_key`]).
pub fn is_load_axis(key: &str) -> bool {
    model::scenario::is_load_key(key)
}

/// A configuration (a point's settings other than the load axes) and its worst point over the
/// load axes.
pub struct Choice<'a> {
    pub settings: Params,
    pub worst: &'a Point,
}

/// The distinct values of the load axes the points ran at (first-seen order).
fn load_combinations(points: &[Point]) -> Vec<Params> {
    let mut loads: Vec<Params> = Vec::new();
    for p in points {
        let at = params_where(&p.params, true);
        if !loads.contains(&at) {
            loads.push(at);
        }
    }
    loads
}

/// Configurations that did not run at every load another one ran at (an interrupted sweep):
/// their settings, for the findings to say why they were not ranked.
pub fn incomplete_configurations(points: &[Point]) -> Vec<Params> {
    let loads = load_combinations(points);
    configurations(points)
        .into_iter()
        .filter(|(_, ps)| !covers(ps, &loads))
        .map(|(settings, _)| settings)
        .collect()
}

/// Whether a configuration's points ran at every one of `loads`.
fn covers(ps: &[&Point], loads: &[Params]) -> bool {
    loads
        .iter()
        .all(|l| ps.iter().any(|p| params_where(&p.params, true) == *l))
}

/// The points grouped by configuration (first-seen order), each group over the load axes.
pub(super) fn configurations(points: &[Point]) -> Vec<(Params, Vec<&Point>)> {
    let mut groups: Vec<(Params, Vec<&Point>)> = Vec::new();
    for p in points {
        let settings = params_where(&p.params, false);
        match groups.iter_mut().find(|(s, _)| *s == settings) {
            Some((_, ps)) => ps.push(p),
            None => groups.push((settings, vec![p])),
        }
    }
    groups
}

/// The best configuration: of those that meet the SLO and have the objective at every load
/// tried, the one whose worst point is best (by [`rank`]; full ties: the first in grid order).
/// Without load axes every point is a configuration of its own, so this is [`best`]. Picking
/// the best point over the loads instead would recommend whatever was tried at the lightest load.
/// A configuration is ranked only if it ran at every load any configuration ran at: in an
/// interrupted sweep, one that never reached the heaviest load would win for its absence.
pub fn best_config<'a>(points: &'a [Point], f: &Figure) -> Option<Choice<'a>> {
    ranked_configs(points, f)
        .into_iter()
        .fold(None, |best: Option<(Choice<'a>, [f64; 4])>, (c, v)| match best {
            Some((b, bv)) if rank_cmp(&bv, &v).is_ge() => Some((b, bv)),
            _ => Some((c, v)),
        })
        .map(|(c, _)| c)
}

/// The configurations [`best_config`] chooses from, in grid order, each with its worst point
/// and that point's [`rank`].
fn ranked_configs<'a>(points: &'a [Point], f: &Figure) -> Vec<(Choice<'a>, [f64; 4])> {
    let loads = load_combinations(points);
    let mut out = Vec::new();
    for (settings, ps) in configurations(points) {
        let mut worst: Option<(&Point, [f64; 4])> = None;
        let mut ok = covers(&ps, &loads);
        for p in ps {
            match rank(p, f) {
                Some(v) if p.meets_slo => {
                    if worst.is_none_or(|(_, w)| rank_cmp(&v, &w).is_lt()) {
                        worst = Some((p, v));
                    }
                }
                _ => ok = false,
            }
        }
        if let (Some((p, v)), true) = (worst, ok) {
            out.push((Choice { settings, worst: p }, v));
        }
    }
    out
}

/// The other configurations that tie exactly with the [`best_config`] on every figure it is
/// ranked by: it is first among them only in grid order, no better.
pub fn tied_with_best(points: &[Point], f: &Figure) -> Vec<Params> {
    let ranked = ranked_configs(points, f);
    let Some(best) = best_config(points, f) else {
        return Vec::new();
    };
    let Some((_, top)) = ranked.iter().find(|(c, _)| c.settings == best.settings) else {
        return Vec::new();
    };
    ranked
        .iter()
        .filter(|(c, v)| c.settings != best.settings && rank_cmp(v, top).is_eq())
        .map(|(c, _)| c.settings.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A backend service's faults (any of them, the service by index, name or `*`) are
    /// conditions under test, as the load is: the best configuration must hold at each one
    /// tried, not pick the mildest. Its other keys are settings.
    #[test]
    fn faults_are_conditions_not_settings() {
        for key in [
            "backend.services[0].faults.outages[0].duration",
            "backend.services[1].faults.outages[0].at",
            "backend.services[*].faults.error_ratio",
            "backend.services[billing].faults.stalls.duration",
            "backend.services[0].faults.slowdown.factor",
            "backend.services[0].faults.rate_limit.rate",
            "backend.services[0].faults",
        ] {
            assert!(is_load_axis(key), "{key}");
        }
        for key in [
            "backend.services[0].workers",
            "backend.services[*].overload",
            "backend.services[faults].workers",
            "gateway.faults",
        ] {
            assert!(!is_load_axis(key), "{key}");
        }
    }
}
