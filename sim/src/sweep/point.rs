//! A point of the grid: its settings and headline figures, whole-run and per group, and how it
//! reads (verdict, failure, a figure's value).

use super::objective::OBJECTIVES;
use model::results::{GroupSummary, Verdict};
use model::scenario::Priority;
use model::threshold::{Figure, Metric, Scope};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// One point of the grid and its headline figures, whole-run and per group.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Point {
    pub params: Vec<(String, Value)>,
    pub goodput_ratio: f64,
    /// Successful intents per second (absent from tables of older spillway versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goodput: Option<f64>,
    pub p50: f64,
    pub p99: f64,
    pub amplification: f64,
    pub wasted_s: f64,
    pub recovery_s: Option<f64>,
    pub verdict: String,
    /// The whole run held through the trigger (in every seed): its goodput never fell below the
    /// recovery line, which `verdict` says as `recovered` with a recovery of 0 (the envelope and
    /// filters on it read it so); tables say `held`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub held: bool,
    pub attempts: u64,
    /// SLOs all hold (in every seed).
    pub meets_slo: bool,
    /// Seeds simulated (`--replications`): the figures are their means, the verdicts (whole run
    /// and groups) the worst any seed had, and the point meets the SLO only if every seed does.
    #[serde(default = "one_seed", skip_serializing_if = "is_one_seed")]
    pub seeds: u32,
    /// With several seeds: in how many the SLOs all held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slo_held: Option<u32>,
    /// With several seeds: in how many each SLO held, in `--slo` order (the means in
    /// `slo_values` may all hold while one SLO failed in a seed: which one failed is here).
    /// Empty in tables of older spillway versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slo_held_each: Vec<u32>,
    /// Per priority class and per service, for scenarios that keep them: their figures and
    /// verdicts, so a group's figure can be the objective (`service[billing].goodput_ratio`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub classes: BTreeMap<Priority, GroupSummary>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, GroupSummary>,
    /// What each SLO measured, in `--slo` order, as its check reads it ("1.20s", "never",
    /// "2.10s in service billing"; over seeds, their mean): sweep points keep a few figures
    /// for the whole run, and an SLO may judge any (p999, timeouts, every service's p99).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slo_measured: Vec<String>,
    /// The same as numbers, for sweep.csv: the value (over seeds, the mean of those that have
    /// one) in the metric's unit (seconds, a ratio, a count, per second); `None` when no seed
    /// measured it, and for a recovery that never came in any one seed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slo_values: Vec<Option<f64>>,
    /// The queue bound a `bounded` point ran with when it was given none (by the file or an
    /// axis) and one was sized for it ([`Plan::sized_bounds_note`]): the sizing answer must
    /// say which bound it measured.
    ///
    /// [`Plan::sized_bounds_note`]: super::Plan::sized_bounds_note
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sized_queue_capacity: Option<u32>,
    /// The same when services were sized different bounds, by service (then
    /// `sized_queue_capacity` is absent).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sized_queue_capacities: BTreeMap<String, u32>,
    /// With several seeds, per metric: `service[*]` as one figure, read seed by seed
    /// ([`WorstService`]). Absent with one seed, where the worst of `services` is the seed's.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub worst_services: BTreeMap<String, WorstService>,
    /// A seed's run stopped before its end (the simulator's cap on requests held at once):
    /// why. Its figures cover part of the run, so the point is not judged: its verdict is
    /// `stopped` and it meets no SLO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

/// `service[*].METRIC` of a point of several seeds: the mean over the seeds of each seed's worst
/// service's value, as `compare --expect` reads replications (the worst of the seeds' means
/// would favour a configuration whose worst service is another one in each seed), and the
/// services that were worst. `None`: no seed had a value, or a recovery that never came.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorstService {
    pub value: Option<f64>,
    pub services: Vec<String>,
}

fn one_seed() -> u32 {
    1
}

fn is_one_seed(n: &u32) -> bool {
    *n == 1
}

fn recovers(v: Option<Verdict>) -> bool {
    matches!(v, None | Some(Verdict::Stable | Verdict::Recovered))
}

impl Point {
    /// The queue bound(s) sized for it, if any: `12`, or `accounts=140 risk=4` per service.
    pub fn sized_text(&self) -> Option<String> {
        if let Some(q) = self.sized_queue_capacity {
            return Some(q.to_string());
        }
        (!self.sized_queue_capacities.is_empty()).then(|| {
            self.sized_queue_capacities
                .iter()
                .map(|(n, q)| format!("{n}={q}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
    }

    /// " (queue bound sized: 12)", for the findings; empty when nothing was sized.
    pub(super) fn sized_note(&self) -> String {
        match (self.sized_queue_capacity, self.sized_text()) {
            (Some(q), _) => format!(" (queue bound sized: {q})"),
            (None, Some(t)) => format!(" (queue bounds sized: {t})"),
            (None, None) => String::new(),
        }
    }

    /// Whether the system came through: the whole run and every priority class and service the
    /// point keeps were stable or recovered (one drowning service hides in the average of the
    /// healthy ones), and the run was judged at all.
    pub fn recovered(&self) -> bool {
        matches!(self.verdict.as_str(), "stable" | "recovered")
            && self
                .classes
                .values()
                .chain(self.services.values())
                .all(|g| recovers(g.verdict))
    }

    /// The whole run's verdict as tables show it: `held` for a recovery that never dipped.
    pub fn verdict_name(&self) -> &str {
        if self.held && self.verdict == "recovered" {
            "held"
        } else {
            &self.verdict
        }
    }

    /// The whole run's verdict, and the group that did not recover when the whole run did:
    /// "recovered (service billing metastable)".
    pub fn verdict_text(&self) -> String {
        if matches!(self.verdict.as_str(), "stable" | "recovered") && !self.recovered() {
            format!("{} ({})", self.verdict_name(), self.failure())
        } else {
            self.verdict_name().to_string()
        }
    }

    /// What kept the point from recovering: "metastable", or "service billing metastable".
    pub fn failure(&self) -> String {
        if let Some(why) = &self.stopped {
            return format!("not judged: the run {why}");
        }
        if self.verdict == "-" {
            return "not judged (no verdict: the run has no trigger phase, ends in it or too soon after it, ends with its backlog still draining, or sent nothing before it)"
                .to_string();
        }
        if !matches!(self.verdict.as_str(), "stable" | "recovered") {
            return self.verdict.clone();
        }
        let classes = self.classes.iter().map(|(c, g)| (c.as_str().to_string(), g));
        let services = self.services.iter().map(|(n, g)| (format!("service {n}"), g));
        classes
            .chain(services)
            .find_map(|(name, g)| match g.verdict {
                Some(v) if !recovers(Some(v)) => Some(format!("{name} {}", v.as_str())),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// The value of `f` at this point; `None` when the point does not keep it (see
    /// [`parse_objective`]), or when it did not happen (no recovery; a latency of a group that
    /// sent nothing).
    ///
    /// [`parse_objective`]: super::parse_objective
    pub fn value(&self, f: &Figure) -> Option<f64> {
        let g = match &f.scope {
            Scope::Whole => {
                return match f.metric {
                    Metric::GoodputRatio => Some(self.goodput_ratio),
                    Metric::Goodput => self.goodput,
                    // No latency where nothing succeeded (see `Figure::value_in`).
                    Metric::P50 => (self.goodput_ratio > 0.0).then_some(self.p50),
                    Metric::P99 => (self.goodput_ratio > 0.0).then_some(self.p99),
                    Metric::Amplification => Some(self.amplification),
                    Metric::Wasted => Some(self.wasted_s),
                    Metric::Recovery => self.recovery_s,
                    _ => None,
                };
            }
            Scope::Class(c) => self.classes.get(c)?,
            Scope::Service(name) => self.services.get(name)?,
            // The worst service's (see `Figure::worst_service`), seed by seed.
            Scope::EveryService => match self.worst_services.get(f.metric.name()) {
                Some(w) => return w.value,
                None => f.worst_service(&self.services)?.1,
            },
        };
        f.value_in(g)
    }

    /// For `service[*]`: the service (over seeds, services) that was worst; empty for other
    /// figures.
    pub fn worst_names(&self, f: &Figure) -> Vec<String> {
        if f.scope != Scope::EveryService {
            return Vec::new();
        }
        match self.worst_services.get(f.metric.name()) {
            Some(w) => w.services.clone(),
            None => f
                .worst_service(&self.services)
                .map(|(n, _)| vec![n.to_string()])
                .unwrap_or_default(),
        }
    }

    /// For `service[*]`: "service billing", or over seeds "services a, b"; `None` for other
    /// figures or when no service was worst (none was sent anything).
    pub fn worst_label(&self, f: &Figure) -> Option<String> {
        match self.worst_names(f).as_slice() {
            [] => None,
            [one] => Some(format!("service {one}")),
            many => Some(format!("services {}", many.join(", "))),
        }
    }

    /// Whether the point keeps the figure at all (a group the scenario keeps; `goodput` is
    /// absent from tables of older spillway versions).
    pub fn keeps(&self, f: &Figure) -> bool {
        match &f.scope {
            Scope::Whole if f.metric == Metric::Goodput => self.goodput.is_some(),
            Scope::Whole => OBJECTIVES.contains(&f.metric),
            Scope::Class(c) => self.classes.contains_key(c),
            Scope::Service(name) => self.services.contains_key(name),
            Scope::EveryService => !self.services.is_empty(),
        }
    }

    /// Whether the point has a verdict for the figure's scope (so a missing recovery means
    /// "never", not "not kept").
    pub(super) fn judged(&self, scope: &Scope) -> bool {
        match scope {
            Scope::Whole => self.verdict != "-",
            Scope::Class(c) => self.classes.get(c).is_some_and(|g| g.verdict.is_some()),
            Scope::Service(name) => self.services.get(name).is_some_and(|g| g.verdict.is_some()),
            // Every service sent something judged: an unjudged one is the worst (unknown).
            Scope::EveryService => {
                let mut sent = self.services.values().filter(|g| g.offered > 0).peekable();
                sent.peek().is_some() && sent.all(|g| g.verdict.is_some())
            }
        }
    }
}

/// A point's axis values, in axis order.
pub type Params = Vec<(String, Value)>;
