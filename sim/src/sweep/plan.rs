//! The plan: the grid validated into distinct points before anything runs, then run in
//! parallel.

use super::axis::{describe, Axis};
use super::grid::grid;
use super::key_path::is_wildcard;
use super::point::{Params, Point};
use super::reduce::reduce_point;
use super::variant::{check_paths, not_taken, variant_dropping, Overridden};
use crate::engine::simulate_summary;
use model::results::Summary;
use model::scenario::Scenario;
use model::threshold::{Figure, Metric, Scope, Threshold};
use rayon::prelude::*;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};

/// The grid to simulate: each distinct configuration once, with the scenario it runs.
pub struct Plan {
    /// Combinations of the axes (before identical configurations are merged).
    pub combinations: usize,
    /// The scenario the axes vary.
    base: Scenario,
    /// Per point: its settings as the tables show them (`-`, null, for one its strategy does
    /// not take), the assignments it was validated with, and its seed. Not its scenario: one
    /// of ten services and two hundred APIs is tens of kilobytes, and a grid has up to
    /// [`MAX_COMBINATIONS`] points; each is built again when it runs ([`Plan::scenario`]).
    ///
    /// [`MAX_COMBINATIONS`]: super::MAX_COMBINATIONS
    pub points: Vec<PlannedPoint>,
    /// Per point (in the order of `points`), the queue bounds sized for it, by service (empty
    /// when none was).
    pub sized: Vec<Vec<(String, u32)>>,
    /// Axes some point's strategy does not take, with those strategies (`-` in the tables).
    pub ignored: Vec<(String, Vec<String>)>,
    /// The least and greatest queue bound sized for `bounded` points that were given none
    /// (by the file or an axis), to be said rather than silent.
    pub sized_bounds: Option<(u32, u32)>,
}

/// One point of a [`Plan`].
pub struct PlannedPoint {
    pub params: Params,
    assignments: Params,
    pub seed: u64,
}

impl Plan {
    /// Point `i`'s scenario, as [`plan`] validated it.
    pub fn scenario(&self, i: usize) -> Result<Scenario, String> {
        let p = self.points.get(i).ok_or_else(|| format!("no point {i}"))?;
        variant_dropping(&self.base, &p.assignments).map(|v| v.scenario)
    }

    /// The note on bounds sized for the user, if any point got one.
    pub fn sized_bounds_note(&self) -> Option<String> {
        let (lo, hi) = self.sized_bounds?;
        let range = if lo == hi {
            lo.to_string()
        } else {
            format!("{lo} to {hi}")
        };
        Some(format!(
            "strategy bounded: points without gateway.queue_capacity get a queue bound for each service sized from the clients' median timeout (what the gateway drains from the service within half that timeout; {range} in this grid, each point's in sweep.csv's sized_queue_capacity); add --vary gateway.queue_capacity=... to choose"
        ))
    }
}

/// The first of `figures` (each with the flag that gave it) that a point cannot measure (a
/// misspelt service, a class without priorities, a recovery the run ends too soon to judge),
/// as (flag, where, the problem). A figure of a class or a service, and recovery, is checked at
/// every point, as an axis can rename services (`count` makes `risk` `risk-1`..), drop the
/// priorities or change the time line; where is "" for the file's own problem
/// (every point has it, as the file does), else which point, or "at every point, e.g. ...".
pub fn figure_problem(plan: &Plan, figures: &[(String, &Figure)]) -> Option<(String, String, String)> {
    use rayon::prelude::*;
    let first = |s: &Scenario| {
        figures
            .iter()
            .find_map(|(flag, f)| s.figure_problem(f).map(|p| (flag.clone(), p)))
    };
    let base = first(&plan.base);
    // Recovery too when an axis sets the time line (`run.*`, `workload.*`): it can lengthen or
    // cut the time after the trigger that judging it takes. Nothing else moves it, and building
    // every point again costs seconds at the bound on points.
    let timed = |k: &str| k.starts_with("run.") || k.starts_with("workload.");
    let retimed = plan.points.iter().any(|p| p.assignments.iter().any(|(k, _)| timed(k)));
    let per_point = figures
        .iter()
        .any(|(_, f)| f.scope != Scope::Whole || (f.metric == Metric::Recovery && retimed))
        && plan.points.iter().any(|p| !p.assignments.is_empty());
    if !per_point {
        return base.map(|(flag, p)| (flag, String::new(), p));
    }
    // Each point's scenario is built again, as `plan` built it: in parallel, as the sweep runs.
    let failing: Vec<Option<(String, String)>> = (0..plan.points.len())
        .into_par_iter()
        .map(|i| plan.scenario(i).ok().and_then(|s| first(&s)))
        .collect();
    let (i, found) = failing
        .iter()
        .enumerate()
        .find_map(|(i, f)| f.clone().map(|f| (i, f)))?;
    let at = describe(&plan.points[i].params);
    if failing.iter().all(Option::is_some) {
        if failing.iter().flatten().all(|f| *f == found) && base.as_ref() == Some(&found) {
            return Some((found.0, String::new(), found.1));
        }
        return Some((found.0, format!("at every point, e.g. at {at}: "), found.1));
    }
    Some((found.0, format!("at {at}: "), found.1))
}

/// Every combination of the axes, validated before anything runs (a bad value is reported
/// before hours of simulation). A setting a point's strategy does not take (a queue bound for
/// fifo) is shown as `-` (null) and the configurations that become identical run once; an axis
/// that no point takes is an error.
pub fn plan(base: &Scenario, axes: &[Axis]) -> Result<Plan, String> {
    plan_until(base, axes, &std::sync::atomic::AtomicBool::new(false))?.ok_or_else(|| "interrupted".to_string())
}

/// [`plan`], given up (`None`) once `stop` is set: building and checking every point of a
/// large grid takes seconds (7 s for 100,000 points), which Ctrl-C should not wait out.
pub fn plan_until(
    base: &Scenario,
    axes: &[Axis],
    stop: &std::sync::atomic::AtomicBool,
) -> Result<Option<Plan>, String> {
    let combinations = grid(axes)?;
    check_paths(base, "--vary", axes)?;
    // Points are held to --slo alone, not to the file's thresholds (said beside the findings):
    // nor are they checked against them. A `recovery <= 30s` the file keeps refused a
    // `run.duration` (or a phase's duration, or a window) too short to judge recovery in, at a
    // point whose verdict says "not judged" by itself.
    let mut base = base.clone();
    base.file.thresholds.clear();
    base.thresholds.clear();
    let base = &base;
    let mut plan = Plan {
        combinations: combinations.len(),
        base: base.clone(),
        points: Vec::new(),
        sized: Vec::new(),
        ignored: Vec::new(),
        sized_bounds: None,
    };
    let mut taken = vec![false; axes.len()];
    // Per axis, where a point overrode all it set: by which axes, and whether by services' own
    // tables (the file's or an axis's).
    let mut overridden: Vec<Option<Overridden>> = vec![None; axes.len()];
    let mut seen = std::collections::HashSet::new();
    for assignments in combinations {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(None);
        }
        let mut params = assignments.clone();
        let v = variant_dropping(base, &params)?;
        let sized = v.scenario.sized_bounds.clone();
        for &(_, q) in &sized {
            let (lo, hi) = plan.sized_bounds.unwrap_or((q, q));
            plan.sized_bounds = Some((lo.min(q), hi.max(q)));
        }
        let strategy = v.scenario.file.gateway.strategy.as_str();
        for (i, (k, value)) in params.iter_mut().enumerate() {
            if !v.ignored.contains(k) {
                // A setting whose every effect something else overrides changes nothing here.
                match (v.overridden.iter().find(|o| o.key == *k), &mut overridden[i]) {
                    (None, _) => taken[i] = true,
                    (Some(o), slot @ None) => *slot = Some(o.clone()),
                    (Some(o), Some(seen)) => {
                        let union = |to: &mut Vec<String>, from: &[String]| {
                            for b in from {
                                if !to.contains(b) {
                                    to.push(b.clone());
                                }
                            }
                        };
                        union(&mut seen.by, &o.by);
                        if let Some(from) = &o.shadowed_by {
                            union(seen.shadowed_by.get_or_insert_with(Vec::new), from);
                        }
                    }
                }
                continue;
            }
            *value = Value::Null;
            match plan.ignored.iter_mut().find(|(key, _)| key == k) {
                Some((_, by)) if by.iter().any(|s| s == strategy) => {}
                Some((_, by)) => by.push(strategy.to_string()),
                None => plan.ignored.push((k.clone(), vec![strategy.to_string()])),
            }
        }
        // Keyed by the JSON text: a linear scan per point was quadratic in the grid's size.
        if seen.insert(serde_json::to_string(&params).unwrap_or_default()) {
            plan.points.push(PlannedPoint {
                params,
                assignments,
                seed: v.scenario.seed(),
            });
            plan.sized.push(sized);
        }
    }
    if let Some((i, o)) = taken
        .iter()
        .zip(&overridden)
        .enumerate()
        .find_map(|(i, (t, o))| o.as_ref().filter(|_| !t).map(|o| (i, o)))
    {
        return Err(overridden_error(&axes[i].key, o));
    }
    if let Some(i) = taken.iter().position(|t| !t) {
        let key = &axes[i].key;
        let by = plan
            .ignored
            .iter()
            .find(|(k, _)| k == key)
            .map_or(String::new(), |(_, by)| by.join(", "));
        return Err(format!(
            "--vary {key}: no point of the grid takes it: {}",
            not_taken(&by, key)
        ));
    }
    Ok(Some(plan))
}

/// Why axis `key` changes nothing at any point of the grid ([`plan`]'s error).
fn overridden_error(key: &str, o: &Overridden) -> String {
    let field = key.rsplit('.').next().unwrap_or(key);
    let setters = match o.shadowed_by.as_deref() {
        None | Some([]) => "in the file".to_string(),
        Some(by) => format!(
            "set by {} or the file",
            by.iter().map(|k| format!("--vary {k}")).collect::<Vec<_>>().join(", ")
        ),
    };
    // `gateway` or `clients`: the section whose per-service tables override the key.
    let section = if key.starts_with("clients.") {
        "clients"
    } else {
        "gateway"
    };
    let own = |whose: &str| {
        format!("every service{whose} sets its own {field} ({section}.services.<name>.{field}, {setters})")
    };
    if o.by.is_empty() {
        return match key.strip_prefix(&format!("{section}.services.")) {
            // A group's whole table: no field to name, its members set every one it sets.
            Some(group) if !group.contains('.') => format!(
                "--vary {key}: no point of the grid takes it: every service of group {group} sets its own value for each setting it sets ({section}.services.<name>, {setters}), which overrides its group's; vary those settings under {section}.services.* instead"
            ),
            Some(rest) => {
                let group = rest.strip_suffix(&format!(".{field}")).unwrap_or(rest);
                format!(
                    "--vary {key}: no point of the grid takes it: {}, which overrides its group's; vary {section}.services.*.{field} instead",
                    own(&format!(" of group {group}"))
                )
            }
            None => format!(
                "--vary {key}: no point of the grid takes it: {}, which overrides the {section}-wide one; vary {section}.services.*.{field} instead",
                own("")
            ),
        };
    }
    let by: Vec<String> = o.by.iter().map(|k| format!("--vary {k}")).collect();
    let rest = if o.shadowed_by.is_some() {
        " and the rest by services' own settings"
    } else {
        ""
    };
    // The order of the axes does not matter: a key naming one service is applied last.
    let why = if is_wildcard(key) && o.by.iter().any(|k| !is_wildcard(k)) {
        " (a key naming one service wins over a wildcard)"
    } else {
        ""
    };
    format!(
        "--vary {key}: no point of the grid takes it: all it sets, for every service it applies to, is set again by {}{rest}{why}, so its values change nothing: drop one of the axes",
        by.join(" and ")
    )
}

/// Refuses a plan whose points' seeds (each point's seed, +1, ... for `seeds` replications)
/// would pass `u64::MAX` (a scenario seed near it), before anything runs: [`run_plan`] would
/// wrap round to seed 0.
pub fn check_seeds(plan: &Plan, seeds: u32) -> Result<(), String> {
    let extra = u64::from(seeds.max(1)) - 1;
    match plan.points.iter().find(|p| p.seed.checked_add(extra).is_none()) {
        None => Ok(()),
        Some(p) => Err(format!(
            "--replications {seeds}: the point `{}` has seed {}, and its seeds would pass {}, the largest; use a seed of at most {}",
            describe(&p.params),
            p.seed,
            u64::MAX,
            u64::MAX - extra
        )),
    }
}

/// Runs the plan's points in parallel, each with `seeds` seeds (the scenario's seed, +1, ...;
/// [`check_seeds`] says whether they fit); `tick` is called once per finished simulation.
pub fn run_plan(plan: Plan, slo: &[Threshold], seeds: u32, tick: &(dyn Fn() + Sync)) -> Vec<Point> {
    run_plan_until(plan, slo, seeds, tick, &AtomicBool::new(false))
}

/// [`run_plan`], starting no simulation once `stop` is set (Ctrl-C): the points whose every
/// seed ran, in plan order; a point left part-way is left out, not averaged over fewer seeds.
pub fn run_plan_until(
    plan: Plan,
    slo: &[Threshold],
    seeds: u32,
    tick: &(dyn Fn() + Sync),
    stop: &AtomicBool,
) -> Vec<Point> {
    let seeds = seeds.max(1) as u64;
    // Each point is reduced to its figures as soon as its seeds have run: a whole `Results`
    // (window counters per service and class, histograms) is megabytes for a scenario of ten
    // services, and a table of every run's figures for the largest grid times the most seeds
    // is 10^8 entries; holding either ran out of memory.
    let points: Vec<Option<Point>> = (0..plan.points.len())
        .into_par_iter()
        .map(|i| {
            if stop.load(Ordering::Relaxed) {
                return None;
            }
            // Built again as `plan` built it when it validated the point, so it cannot fail
            // here unless that changed; a point that did would be left out, and said.
            let s = match plan.scenario(i) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!("point {} of the sweep, left out: {e}", i + 1);
                    return None;
                }
            };
            let runs: Option<Vec<(Summary, Option<String>)>> = (0..seeds)
                .into_par_iter()
                .map(|k| {
                    if stop.load(Ordering::Relaxed) {
                        return None;
                    }
                    // Points keep only headline figures: no window histograms to record or compress.
                    let r = simulate_summary(&s, Some(s.seed().wrapping_add(k)));
                    tick();
                    Some((r.summary, r.stopped))
                })
                .collect();
            // A point left part-way (Ctrl-C) is left out, not averaged over fewer seeds.
            Some(reduce_point(plan.points[i].params.clone(), &plan.sized[i], runs?, slo))
        })
        .collect();
    points.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::parse_axis;
    use model::scenario;

    /// `gateway.services.*.KEY` sets KEY for every service and `backend.services[*]` every entry
    /// of the file's list: one axis sizes them all. A strategy that does not take the key
    /// shows it as `-`, as for one service.
    #[test]
    fn a_wildcard_key_sets_every_service() {
        let base = scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"10s\"\nrate = 5\n[gateway]\nstrategy = \"bounded\"\nqueue_capacity = 50\n\
             [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n\
             [[backend.services]]\nname = \"b.v2\"\ncount = 2\nworkers = 1\nservice_time = \"10ms\"\n",
        )
        .unwrap();
        let axes = [
            parse_axis("gateway.strategy=fifo,bounded").unwrap(),
            parse_axis("gateway.services.*.queue_capacity=3,7").unwrap(),
            parse_axis("backend.services[*].workers=2").unwrap(),
        ];
        let plan = plan(&base, &axes).unwrap();
        let params: Vec<String> = plan.points.iter().map(|p| describe(&p.params)).collect();
        assert_eq!(
            params,
            [
                "gateway.strategy=fifo gateway.services.*.queue_capacity=- backend.services[*].workers=2",
                "gateway.strategy=bounded gateway.services.*.queue_capacity=3 backend.services[*].workers=2",
                "gateway.strategy=bounded gateway.services.*.queue_capacity=7 backend.services[*].workers=2",
            ]
        );
        for (i, q) in [(0, None), (1, Some(3)), (2, Some(7))] {
            let s = plan.scenario(i).unwrap();
            let caps: Vec<Option<u32>> = s
                .services
                .iter()
                .map(|x| s.file.gateway.for_service(&x.name, &x.group).queue_capacity)
                .collect();
            assert_eq!(caps.len(), 3, "a, and b.v2 twice");
            assert!(caps.iter().all(|c| *c == q), "point {i}: {caps:?}");
            assert!(s.services.iter().all(|x| x.workers == 2));
        }
        // `[*]` elsewhere is still no index, nor a second one inside a service entry.
        let e = parse_axis("workload.phases[*].rate=1").unwrap_err();
        assert!(e.contains("is no list index"), "{e}");
        let e = parse_axis("backend.services[*].overload.backlog[*]=3").unwrap_err();
        assert!(e.contains("is no list index"), "{e}");
        // The services are the point's own: a `count` axis changes them.
        let axes = [
            parse_axis("backend.services[1].count=1,3").unwrap(),
            parse_axis("gateway.services.*.queue_capacity=5").unwrap(),
        ];
        let plan = super::plan(&base, &axes).unwrap();
        for i in 0..plan.points.len() {
            let s = plan.scenario(i).unwrap();
            assert!(
                s.services
                    .iter()
                    .all(|x| s.file.gateway.for_service(&x.name, &x.group).queue_capacity == Some(5)),
                "point {i}: {:?}",
                s.file.gateway.services
            );
        }
        assert_eq!(plan.scenario(1).unwrap().services.len(), 4, "a, and b.v2 three times");
        // A key naming one service wins over the wildcard, whichever axis comes first.
        for order in [
            [
                "gateway.services.a.queue_capacity=9",
                "gateway.services.*.queue_capacity=5",
            ],
            [
                "gateway.services.*.queue_capacity=5",
                "gateway.services.a.queue_capacity=9",
            ],
        ] {
            let axes: Vec<Axis> = order.iter().map(|a| parse_axis(a).unwrap()).collect();
            let s = super::plan(&base, &axes).unwrap().scenario(0).unwrap();
            assert_eq!(
                s.file.gateway.for_service("a", "a").queue_capacity,
                Some(9),
                "{order:?}"
            );
            assert_eq!(
                s.file.gateway.for_service("b.v2-1", "b.v2").queue_capacity,
                Some(5),
                "{order:?}"
            );
        }
        // A member's own table would win over its group's: the wildcard sets it too.
        let mut f = base.file.clone();
        f.gateway.services.entry("b.v2-1".into()).or_default().queue_capacity = Some(9);
        let own = scenario::resolve("t.toml", f).unwrap();
        let plan = super::plan(&own, &[parse_axis("gateway.services.*.queue_capacity=5").unwrap()]).unwrap();
        let s = plan.scenario(0).unwrap();
        assert_eq!(s.file.gateway.for_service("b.v2-1", "b.v2").queue_capacity, Some(5));
    }

    /// A recovery SLO that no run of a point could judge (the run ends too soon after its
    /// trigger) is refused before the sweep, at the points that cannot judge it: an axis on
    /// the phase after the trigger decides which. A grid whose every point judges it runs.
    #[test]
    fn a_recovery_slo_no_point_can_judge_is_refused() {
        let base = scenario::parse(
            "t.toml",
            "[run]\nwindow = \"1s\"\n\
             [[workload.phases]]\nduration = \"10s\"\nrate = 5\n\
             [[workload.phases]]\nduration = \"2s\"\nrate = 50\ntrigger = true\n\
             [[workload.phases]]\nduration = \"2s\"\nrate = 5\n\
             [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n",
        )
        .unwrap();
        let t: model::threshold::Threshold = "recovery < 5s".parse().unwrap();
        let problem = |plan: &Plan| figure_problem(plan, &[("--slo: ".to_string(), &t.figure)]);
        // No axis touches the time line: the file's problem, said as the file's.
        let same = plan(&base, &[parse_axis("gateway.strategy=fifo,deadline").unwrap()]).unwrap();
        let (_, at, p) = problem(&same).expect("refused");
        assert_eq!(at, "");
        assert!(
            p.starts_with("`recovery` could never be judged: the run ends 2s after"),
            "{p}"
        );
        // The phase after the trigger varied: only its short points are refused.
        let some = plan(&base, &[parse_axis("workload.phases[2].duration=2s,30s").unwrap()]).unwrap();
        let (_, at, _) = problem(&some).expect("refused");
        assert_eq!(at, "at workload.phases[2].duration=2s: ");
        let all = plan(&base, &[parse_axis("workload.phases[2].duration=20s,30s").unwrap()]).unwrap();
        assert_eq!(problem(&all), None);
    }

    /// SLOs and objectives name services as every point has them: an axis on `count` renames
    /// `risk` to `risk-1`.., so `service[risk]` measures nothing at any point, and
    /// `service[risk-2]` nothing where the count is 1. A problem every point shares is the file's.
    #[test]
    fn slo_figures_are_checked_at_every_point() {
        let base = scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"10s\"\nrate = 5\n\
             [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n\
             [[backend.services]]\nname = \"risk\"\nworkers = 1\nservice_time = \"10ms\"\n",
        )
        .unwrap();
        let plan = plan(&base, &[parse_axis("backend.services[1].count=1,3").unwrap()]).unwrap();
        let problem = |slo: &str| {
            let t: model::threshold::Threshold = slo.parse().unwrap();
            figure_problem(&plan, &[("--slo: ".to_string(), &t.figure)]).map(|(_, at, p)| format!("{at}{p}"))
        };
        let whole_named = problem("service[risk].p99<1s").unwrap();
        assert!(
            whole_named.starts_with(
                "at every point, e.g. at backend.services[1].count=1: `service[risk].p99`: `risk` is one service named `risk-1`"
            ),
            "{whole_named}"
        );
        let second = problem("service[risk-2].p99<1s").unwrap();
        assert!(
            second.starts_with("at backend.services[1].count=1: `service[risk-2].p99`: no service `risk-2`"),
            "{second}"
        );
        assert_eq!(problem("service[risk-1].p99<1s"), None);
        assert_eq!(problem("service[a].p99<1s"), None);
        assert_eq!(problem("service[*].p99<1s"), None);
        let typo = problem("service[zz].p99<1s").unwrap();
        assert!(
            typo.starts_with("at every point, e.g. at backend.services[1].count=1: `service[zz].p99`: no service `zz`"),
            "{typo}"
        );
        // The file's own problem, the same at every point (no axis touches it), reads as the file's.
        let only_workers = super::plan(&base, &[parse_axis("backend.services[1].workers=1,2").unwrap()]).unwrap();
        let t: model::threshold::Threshold = "service[zz].p99<1s".parse().unwrap();
        let (_, at, p) = figure_problem(&only_workers, &[("--slo: ".to_string(), &t.figure)]).unwrap();
        assert_eq!(at, "");
        assert!(p.starts_with("`service[zz].p99`: no service `zz`"), "{p}");
        // A figure valid at every point is not blamed for the base scenario's problem with
        // another (review, stop 42: `service[risk-1]` was refused for `service[risk]`'s).
        let two = super::plan(&base, &[parse_axis("backend.services[1].count=2,3").unwrap()]).unwrap();
        let (slo, ok): (model::threshold::Threshold, model::threshold::Threshold) = (
            "service[risk].p99<1s".parse().unwrap(),
            "service[risk-1].p99<1s".parse().unwrap(),
        );
        let (flag, at, p) = figure_problem(
            &two,
            &[
                ("--slo risk-1: ".to_string(), &ok.figure),
                ("--slo risk: ".to_string(), &slo.figure),
            ],
        )
        .unwrap();
        assert_eq!(flag, "--slo risk: ");
        assert!(
            at.starts_with("at every point, e.g. at backend.services[1].count=2"),
            "{at}"
        );
        assert!(p.contains("`risk` is a group of 2 services"), "{p}");
        // The base scenario's `risk` is not what the points run: no point is judged by it.
        assert!(base
            .figure_problem(
                &"service[risk].p99<1s"
                    .parse::<model::threshold::Threshold>()
                    .unwrap()
                    .figure
            )
            .is_none());
    }

    /// A point's seeds (its seed, +1, ...) must not pass u64::MAX: [`run_plan`] would wrap to 0.
    #[test]
    fn seeds_past_the_largest_are_refused() {
        let base = scenario::parse("t.toml", "[[workload.phases]]\nduration = \"10s\"\nrate = 5\n[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n").unwrap();
        let mut p = plan(&base, &[parse_axis("gateway.strategy=fifo").unwrap()]).unwrap();
        p.points[0].seed = u64::MAX - 1;
        assert_eq!(check_seeds(&p, 2), Ok(()));
        let e = check_seeds(&p, 3).unwrap_err();
        assert!(
            e.starts_with("--replications 3: the point `gateway.strategy=fifo` has seed 18446744073709551614")
                && e.ends_with("at most 18446744073709551613"),
            "{e}"
        );
    }

    /// A gateway-wide setting that every service overrides changes nothing: its axis is refused
    /// (its points ran as identical rows, and the best line named a value as chosen).
    #[test]
    fn an_axis_every_service_overrides_is_refused() {
        let base = scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"10s\"\nrate = 5\n[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n[[backend.services]]\nname = \"b\"\nworkers = 1\nservice_time = \"10ms\"\n",
        )
        .unwrap();
        let global = parse_axis("gateway.concurrency=1,2").unwrap();
        let every = parse_axis("gateway.services.*.concurrency=3,4").unwrap();
        let e = plan(&base, &[global.clone(), every.clone()]).err().unwrap();
        assert!(
            e.starts_with(
                "--vary gateway.concurrency: no point of the grid takes it: every service sets its own concurrency (gateway.services.<name>.concurrency, set by --vary gateway.services.*.concurrency or the file)"
            ),
            "{e}"
        );
        assert!(plan(&base, std::slice::from_ref(&global)).is_ok());
        // One service of two overriding it leaves the other to take it.
        let one = parse_axis("gateway.services.a.concurrency=3,4").unwrap();
        assert!(plan(&base, &[global, one]).is_ok());
    }

    /// The gateway's queue timeout, which a service's own table overrides too: an axis every
    /// service overrides is refused and names the wildcard (its points ran as identical rows).
    /// The clients' timeout is taken whatever the services set (it bounds an intent's lifetime),
    /// and `clients.services.*.timeout` sets every service's.
    #[test]
    fn per_service_timeouts_override_their_axes_and_take_a_wildcard() {
        let service =
            |name: &str| format!("[[backend.services]]\nname = \"{name}\"\nworkers = 1\nservice_time = \"10ms\"\n");
        let file = |tables: &str| {
            scenario::parse(
                "t.toml",
                &format!(
                    "[[workload.phases]]\nduration = \"10s\"\nrate = 5\n[gateway]\nstrategy = \"bounded\"\nqueue_capacity = 5\n{}{}{tables}",
                    service("a"),
                    service("b")
                ),
            )
            .unwrap()
        };
        let both = file(
            "[clients.services.a]\ntimeout = \"1s\"\n[clients.services.b]\ntimeout = \"3s\"\n\
             [gateway.services.a]\nqueue_timeout = \"100ms\"\n[gateway.services.b]\nqueue_timeout = \"200ms\"\n",
        );
        let e = plan(&both, &[parse_axis("gateway.queue_timeout=1s,5s").unwrap()])
            .err()
            .expect("refused");
        assert!(
            e.contains("no point of the grid takes it") && e.contains("vary gateway.services.*.queue_timeout instead"),
            "{e}"
        );
        assert!(plan(&both, &[parse_axis("clients.timeout=1s,5s").unwrap()]).is_ok());
        // One service of two with its own leaves the other to read the clients-wide one.
        let one = file("[clients.services.a]\ntimeout = \"1s\"\n");
        assert!(plan(&one, &[parse_axis("clients.timeout=1s,5s").unwrap()]).is_ok());
        // The wildcard sets each service's own, the file's tables and the others alike.
        let p = plan(&one, &[parse_axis("clients.services.*.timeout=2s,4s").unwrap()]).unwrap();
        for (i, want) in [(0, 2), (1, 4)] {
            let s = p.scenario(i).unwrap();
            for name in ["a", "b"] {
                let t = s.file.clients.timeout_for(name, name).as_constant();
                assert_eq!(
                    t,
                    Some(model::duration::Dur::from_secs(want)),
                    "point {i}, service {name}"
                );
            }
        }
    }

    /// An axis whose every write another axis repeats for every service it reaches changes
    /// nothing (a key naming one service wins over a wildcard): refused, naming both. A wildcard
    /// that still reaches some service is kept; so is a group's table a member still reads.
    #[test]
    fn an_axis_another_overrides_for_every_service_is_refused() {
        let service = |name: &str, extra: &str| {
            format!("[[backend.services]]\nname = \"{name}\"\nworkers = 1\nservice_time = \"10ms\"\n{extra}")
        };
        let phases = "[[workload.phases]]\nduration = \"10s\"\nrate = 5\n";
        let one = scenario::parse("t.toml", &format!("{phases}{}", service("a", ""))).unwrap();
        let two = scenario::parse("t.toml", &format!("{phases}{}{}", service("a", ""), service("b", ""))).unwrap();
        let refused = |base: &Scenario, axes: &[&str], dead: &str, by: &str| {
            let axes: Vec<Axis> = axes.iter().map(|a| parse_axis(a).unwrap()).collect();
            let e = plan(base, &axes).err().expect("refused");
            assert!(
                e.starts_with(&format!("--vary {dead}: no point of the grid takes it"))
                    && e.contains(&format!("--vary {by} ")),
                "{e}"
            );
        };
        let (a, every) = ("gateway.services.a.concurrency", "gateway.services.*.concurrency");
        refused(&one, &[&format!("{a}=2,3"), &format!("{every}=1,4")], every, a);
        refused(&one, &[&format!("{every}=1,4"), &format!("{a}=2,3")], every, a);
        // The same service quoted, and a table holding the field.
        let quoted = r#"gateway.services."a".concurrency"#;
        refused(
            &one,
            &[&format!("{every}=1,4"), &format!("{quoted}=2,3")],
            every,
            quoted,
        );
        refused(
            &one,
            &[
                &format!("{every}=1,4"),
                "gateway.services.a={ concurrency = 2 },{ concurrency = 3 }",
            ],
            every,
            "gateway.services.a",
        );
        let (w0, w_all) = ("backend.services[0].workers", "backend.services[*].workers");
        refused(&one, &[&format!("{w0}=2,4"), &format!("{w_all}=3,5")], w_all, w0);
        // A second service still takes the wildcard.
        let kept = |base: &Scenario, axes: &[&str]| {
            let axes: Vec<Axis> = axes.iter().map(|a| parse_axis(a).unwrap()).collect();
            let p = plan(base, &axes).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(p.points.len(), 4);
        };
        kept(&two, &[&format!("{a}=2,3"), &format!("{every}=1,4")]);
        kept(&two, &[&format!("{w0}=2,4"), &format!("{w_all}=3,5")]);
        // A group's table: one member's own table (the file's) leaves the other to read it;
        // when every member has its own, none does.
        let group = |extra: &str| {
            scenario::parse("t.toml", &format!("{phases}{}{extra}", service("g", "count = 2\n"))).unwrap()
        };
        let own = |m: &str| format!("[gateway.services.{m}]\nconcurrency = 1\n");
        let g = "gateway.services.g.concurrency=2,3";
        kept(&group(&own("g-1")), &[g, "clients.timeout=1s,2s"]);
        let e = plan(
            &group(&format!("{}{}", own("g-1"), own("g-2"))),
            &[parse_axis(g).unwrap()],
        )
        .err()
        .expect("refused");
        assert!(
            e.starts_with(
                "--vary gateway.services.g.concurrency: no point of the grid takes it: every service of group g sets its own concurrency"
            ),
            "{e}"
        );
        // The group's whole table, setting only what every member sets for itself: refused
        // (it ran, each value giving the same figures).
        let e = plan(
            &group(&format!("{}{}", own("g-1"), own("g-2"))),
            &[parse_axis("gateway.services.g={ concurrency = 2 },{ concurrency = 3 }").unwrap()],
        )
        .err()
        .expect("refused");
        assert!(e.starts_with("--vary gateway.services.g: no point"), "{e}");
        // A table setting the queue bound, which the members leave to it: it stands.
        let bounded = |extra: &str| {
            group(&format!(
                "[gateway]\nstrategy = \"bounded\"\nqueue_capacity = 4\n{extra}"
            ))
        };
        let g_bound = "gateway.services.g={ queue_capacity = 2 },{ queue_capacity = 3 }";
        kept(
            &bounded(&format!("{}{}", own("g-1"), own("g-2"))),
            &[g_bound, "clients.timeout=1s,2s"],
        );
        // The group's whole table, every member setting all a table can: there is no field to
        // name (it read "sets its own g").
        let both = |m: &str| format!("[gateway.services.{m}]\nconcurrency = 1\nqueue_capacity = 5\n");
        let e = plan(
            &group(&format!(
                "[gateway]\nstrategy = \"bounded\"\n{}{}",
                both("g-1"),
                both("g-2")
            )),
            &[parse_axis("gateway.services.g={ concurrency = 2 },{ concurrency = 3 }").unwrap()],
        )
        .err()
        .expect("refused");
        assert!(
            e.starts_with(
                "--vary gateway.services.g: no point of the grid takes it: every service of group g sets its own value for each setting it sets (gateway.services.<name>, in the file)"
            ) && !e.contains("own g "),
            "{e}"
        );
    }

    /// Ctrl-C while a grid is being prepared gives it up rather than waiting for every point
    /// to be built and checked; unset, the same grid plans in full.
    #[test]
    fn a_grid_being_prepared_stops_on_ctrl_c() {
        use std::sync::atomic::AtomicBool;
        let s = scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"10s\"\nrate = 5\n[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n",
        )
        .unwrap();
        let axes = vec![parse_axis("gateway.concurrency=1..50").unwrap()];
        assert!(plan_until(&s, &axes, &AtomicBool::new(true)).unwrap().is_none());
        let full = plan_until(&s, &axes, &AtomicBool::new(false))
            .unwrap()
            .expect("planned");
        assert_eq!(full.points.len(), 50);
    }

    /// Once `stop` is set no simulation starts: the points whose every seed ran come back, in
    /// plan order, each with all its seeds and the same figures as an uninterrupted sweep's.
    #[test]
    fn a_stopped_plan_keeps_only_its_whole_points() {
        let base = scenario::parse("t.toml", "[[workload.phases]]\nduration = \"10s\"\nrate = 5\n[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n").unwrap();
        let axes = vec![parse_axis("gateway.concurrency=1..12").unwrap()];
        let full = run_plan(plan(&base, &axes).unwrap(), &[], 3, &|| {});
        assert_eq!(full.len(), 12);
        let stop = AtomicBool::new(false);
        let ran = std::sync::atomic::AtomicUsize::new(0);
        let tick = || {
            if ran.fetch_add(1, Ordering::SeqCst) + 1 >= 7 {
                stop.store(true, Ordering::SeqCst);
            }
        };
        let part = run_plan_until(plan(&base, &axes).unwrap(), &[], 3, &tick, &stop);
        let ran = ran.load(Ordering::SeqCst);
        // At least the 7th run set it; each other thread may have had one more under way.
        assert!((7..7 + rayon::current_num_threads()).contains(&ran), "{ran} runs");
        assert!(part.len() <= ran / 3, "{} whole points from {ran} runs", part.len());
        let mut at = 0;
        for p in &part {
            assert_eq!(p.seeds, 3);
            let i = full[at..]
                .iter()
                .position(|f| f.params == p.params)
                .expect("in plan order")
                + at;
            assert_eq!(p.goodput_ratio, full[i].goodput_ratio);
            assert_eq!(p.p99, full[i].p99);
            at = i + 1;
        }
        let none = run_plan_until(plan(&base, &axes).unwrap(), &[], 3, &|| {}, &AtomicBool::new(true));
        assert!(none.is_empty());
    }
}
