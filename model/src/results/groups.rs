//! Figures per group of intents: per priority class (`interactive`, `background`) and per
//! backend service.
//!
//! Whole-run figures average over everybody: in a scenario where users are 3% of the traffic
//! and a batch job the rest, every whole-run percentile describes the batch job, and shedding
//! the users looks the same as shedding the batch; with ten services behind one gateway, one
//! drowning service hides in the average of nine healthy ones. Results of a scenario with
//! priorities therefore also carry, per class, the intent and attempt counters and the intent
//! latency histogram, and results of a scenario with several services the same per service.
//! The summary derives each group's headline figures from them, and thresholds and `compare`
//! expectations name them: `interactive.shed`, `service[orders].p99`,
//! `bounded.background.p99`.
//!
//! Each window also keeps every group's offered intents and successes ([`GroupWindow`]), so a
//! group has goodput over time and a verdict of its own: after an outage of one service, the
//! whole run may read "recovered" while that service never did.

use super::verdict::{decide, Verdict, VerdictParams, WindowGoodput};
use super::{Hist, Outcome, Percentiles, Summary, Window};
use crate::scenario::{MixTarget, Priority, Scenario, ScenarioFile};
use crate::threshold::Scope;
use serde::{Deserialize, Serialize};

/// Intent and attempt counters of one group, or of everybody (in [`super::Counters`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupCounters {
    pub intents: u64,
    pub attempts: u64,
    pub retries: u64,
    pub successes: u64,
    pub failures: u64,
    pub timeouts: u64,
    pub shed: u64,
    pub rate_limited: u64,
    pub expired: u64,
    pub errors: u64,
}

impl GroupCounters {
    /// Adds `o`, saturating: counters read from files can be near `u64::MAX`, and a wrapped sum
    /// is a small, plausible and wrong figure. Merging shards uses [`GroupCounters::checked_add`].
    pub fn add(&mut self, o: &GroupCounters) {
        self.intents = self.intents.saturating_add(o.intents);
        self.attempts = self.attempts.saturating_add(o.attempts);
        self.retries = self.retries.saturating_add(o.retries);
        self.successes = self.successes.saturating_add(o.successes);
        self.failures = self.failures.saturating_add(o.failures);
        self.timeouts = self.timeouts.saturating_add(o.timeouts);
        self.shed = self.shed.saturating_add(o.shed);
        self.rate_limited = self.rate_limited.saturating_add(o.rate_limited);
        self.expired = self.expired.saturating_add(o.expired);
        self.errors = self.errors.saturating_add(o.errors);
    }

    /// The sum with `o`, or the name of the first counter (as the results file spells it) whose
    /// sum does not fit in a u64.
    pub fn checked_add(&self, o: &GroupCounters) -> Result<GroupCounters, &'static str> {
        let sum = |a: u64, b: u64, name: &'static str| a.checked_add(b).ok_or(name);
        Ok(GroupCounters {
            intents: sum(self.intents, o.intents, "intents")?,
            attempts: sum(self.attempts, o.attempts, "attempts")?,
            retries: sum(self.retries, o.retries, "retries")?,
            successes: sum(self.successes, o.successes, "successes")?,
            failures: sum(self.failures, o.failures, "failures")?,
            timeouts: sum(self.timeouts, o.timeouts, "timeouts")?,
            shed: sum(self.shed, o.shed, "shed")?,
            rate_limited: sum(self.rate_limited, o.rate_limited, "rate_limited")?,
            expired: sum(self.expired, o.expired, "expired")?,
            errors: sum(self.errors, o.errors, "errors")?,
        })
    }

    /// Counts an intent that ended, successfully or not.
    #[inline]
    pub fn ended(&mut self, success: bool) {
        if success {
            self.successes += 1;
        } else {
            self.failures += 1;
        }
    }

    /// Counts an attempt's outcome.
    #[inline]
    pub fn outcome(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Ok => {}
            Outcome::Timeout => self.timeouts += 1,
            Outcome::Shed => self.shed += 1,
            Outcome::RateLimited => self.rate_limited += 1,
            Outcome::Expired => self.expired += 1,
            Outcome::Error => self.errors += 1,
        }
    }
}

/// One group's intents in one window (by intended start, as the window's own counters): what
/// its goodput over time and its verdict are computed from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupWindow {
    pub offered: u64,
    pub successes: u64,
    /// A service's: the requests its gateway queue held over the window, on average (queued
    /// plus in flight, sampled as the window's gauges are). What tells a service's backlog
    /// still draining from one stuck (see `group_verdicts`). 0 for classes, which share their
    /// service's queue, and in results written before services kept it; 0 and no measurement
    /// in a window no gauge sample fell in (read it with [`Window::service_held`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub held: f64,
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

impl GroupWindow {
    /// Adds `o`, saturating (see [`GroupCounters::add`]).
    pub fn add(&mut self, o: &GroupWindow) {
        self.offered = self.offered.saturating_add(o.offered);
        self.successes = self.successes.saturating_add(o.successes);
        self.held += o.held;
    }

    /// The sum with `o`, or the name of the field whose sum does not fit (in a u64; `held`
    /// in a finite f64, which a results file can hold).
    pub fn checked_add(&self, o: &GroupWindow) -> Result<GroupWindow, &'static str> {
        // Shards each drive a gateway of their own: what they held adds up, as their gauges do.
        let held = self.held + o.held;
        Ok(GroupWindow {
            offered: self.offered.checked_add(o.offered).ok_or("offered")?,
            successes: self.successes.checked_add(o.successes).ok_or("successes")?,
            held: if held.is_finite() { held } else { return Err("held") },
        })
    }

    pub fn is_empty(&self) -> bool {
        self.offered == 0 && self.successes == 0 && self.held == 0.0
    }
}

/// What a results file keeps of one group: counters and the intent latency histogram (full
/// precision, so shards add exactly).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupResults {
    pub counters: GroupCounters,
    pub intent_latency: Hist,
}

/// One group's headline figures (the whole-run [`Summary`]'s, for that group's intents).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupSummary {
    pub offered: u64,
    pub attempts: u64,
    pub retries: u64,
    pub successes: u64,
    pub failures: u64,
    /// Successful intents per second of the run.
    pub goodput: f64,
    /// Successful intents / offered intents (1 when none was offered, as for a whole run).
    pub goodput_ratio: f64,
    /// Attempts / intents.
    pub amplification: f64,
    pub timeouts: u64,
    pub shed: u64,
    pub rate_limited: u64,
    pub expired: u64,
    pub errors: u64,
    /// Intent latency of the group's finished intents.
    pub latency: Percentiles,
    /// The group's own verdict, from its goodput per window (as the whole run's, see
    /// [`group_verdicts`]); `None` when the results' windows do not account for the group's
    /// intents (an older spillway wrote them) or the group sent nothing before the trigger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// Seconds from the end of the last trigger until the group's goodput was back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_s: Option<f64>,
    /// Recovered without ever falling below the recovery line: goodput held through the
    /// trigger (see [`crate::results::VerdictResult::held`]). Absent when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub held: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub verdict_reason: String,
}

impl GroupSummary {
    /// The verdict's name as the summary gives it: "held" for a recovery that never fell
    /// below the line, else the verdict's own ("recovered", "metastable").
    pub fn verdict_name(&self) -> Option<&'static str> {
        self.verdict.map(|v| match v {
            Verdict::Recovered if self.held => "held",
            v => v.as_str(),
        })
    }

    /// The figures of `c` over a run of `run_s` seconds, with `latency` its intents' latencies.
    pub fn of(c: &GroupCounters, latency: Percentiles, run_s: f64) -> GroupSummary {
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
        GroupSummary {
            offered: c.intents,
            attempts: c.attempts,
            retries: c.retries,
            successes: c.successes,
            failures: c.failures,
            goodput: ratio(c.successes as f64, run_s),
            goodput_ratio: if c.intents == 0 {
                1.0
            } else {
                c.successes as f64 / c.intents as f64
            },
            amplification: ratio(c.attempts as f64, c.intents as f64),
            timeouts: c.timeouts,
            shed: c.shed,
            rate_limited: c.rate_limited,
            expired: c.expired,
            errors: c.errors,
            latency,
            verdict: None,
            recovery_s: None,
            held: false,
            verdict_reason: String::new(),
        }
    }
}

/// Each window's goodput (of the windows that start within the run) in what `of` picks from
/// it: the input of a verdict.
pub(crate) fn goodput_series(
    windows: &[Window],
    run_s: f64,
    of: impl Fn(&Window) -> GroupWindow,
) -> Vec<WindowGoodput> {
    windows
        .iter()
        .filter(|w| w.start_s < run_s)
        .map(|w| {
            let g = of(w);
            WindowGoodput {
                start_s: w.start_s,
                offered: g.offered,
                successes: g.successes,
                // A window no gauge sample fell in held nothing known, not 0.
                held: w.gauges.sampled().then_some(g.held),
            }
        })
        .collect()
}

/// Gives each group in `groups` its verdict from its goodput per window, decided as the whole
/// run's is with `params`; `scope` names a group. A group keeps no verdict when its windows do
/// not account for all its intents (results of an older spillway keep no window figures, or
/// shards of both kinds were merged), or when it sent nothing before the trigger (no baseline
/// to recover to).
pub(crate) fn group_verdicts<K: Ord>(
    groups: &mut std::collections::BTreeMap<K, GroupSummary>,
    windows: &[Window],
    run_s: f64,
    scope: impl Fn(&K) -> Scope,
    params: &VerdictParams,
    load: impl Fn(&K) -> (Option<f64>, Option<f64>),
    shared_held: bool,
) {
    for (k, g) in groups.iter_mut().filter(|(_, g)| g.offered > 0) {
        let scope = scope(k);
        // A group is judged on the requests its own queue held (a service's), or on the whole
        // gateway's when it has the gateway to itself (`shared_held`: a class of a one-service
        // run). Never on another service's: that one's backlog draining would hide this one's
        // death spiral (review helper-186).
        let series = goodput_series(windows, run_s, |w| {
            let mut g = w.group(&scope);
            if shared_held {
                // `goodput_series` reads a window without a sample as no data.
                g.held = w.held().unwrap_or(0.0);
            }
            g
        });
        let offered = series.iter().fold(0u64, |sum, w| sum.saturating_add(w.offered));
        if offered != g.offered {
            continue;
        }
        let (before, after) = load(k);
        let v = decide(
            &series,
            &VerdictParams {
                load: before,
                load_after: after,
                ..*params
            },
        );
        if v.baseline.is_none() {
            continue;
        }
        g.verdict = v.verdict;
        g.recovery_s = v.recovery_s;
        g.held = v.held;
        g.verdict_reason = v.reason;
    }
}

impl Window {
    /// The requests the whole gateway held over the window, on average (queued plus in flight),
    /// with those a live run's load generator held for want of a connection. `None` for a
    /// window no gauge sample fell in ([`super::Gauges::unsampled`]): unknown, not 0.
    pub fn held(&self) -> Option<f64> {
        let g = &self.gauges;
        g.sampled()
            .then_some(g.queue_depth_mean + g.in_flight_mean + g.generator_waiting_mean)
    }

    /// What service `name`'s gateway queue held over the window, on average
    /// ([`GroupWindow::held`]): 0 when the window does not list it, `None` when no gauge
    /// sample fell in the window.
    pub fn service_held(&self, name: &str) -> Option<f64> {
        self.gauges
            .sampled()
            .then(|| self.services.get(name).map_or(0.0, |g| g.held))
    }

    /// The intents of `scope` in this window (none for a group the window does not list; all
    /// the services' together for every service).
    pub fn group(&self, scope: &Scope) -> GroupWindow {
        match scope {
            Scope::EveryService => self.services.values().fold(GroupWindow::default(), |mut sum, g| {
                sum.add(g);
                sum
            }),
            Scope::Whole => GroupWindow {
                offered: self.counters.requests.intents,
                successes: self.counters.requests.successes,
                // No sample: `goodput_series` reads the window's gauges as no data.
                held: self.held().unwrap_or(0.0),
            },
            Scope::Class(c) => self.classes.get(c).copied().unwrap_or_default(),
            Scope::Service(name) => self.services.get(name).copied().unwrap_or_default(),
        }
    }
}

impl Summary {
    /// The figures of `class`; `None` when the run kept no per-class figures (its scenario has
    /// no priorities, or an older spillway wrote it). A class that sent nothing has zero counts.
    pub fn class(&self, class: Priority) -> Option<GroupSummary> {
        if self.classes.is_empty() {
            return None;
        }
        Some(
            self.classes.get(&class).cloned().unwrap_or_else(|| {
                GroupSummary::of(&GroupCounters::default(), Percentiles::default(), self.duration_s)
            }),
        )
    }

    /// Whether the run kept per-class figures.
    pub fn keeps_classes(&self) -> bool {
        !self.classes.is_empty()
    }

    /// The figures of the service called `name`; `None` when the run kept no per-service
    /// figures (one service, or an older spillway) or has no such service.
    pub fn service(&self, name: &str) -> Option<GroupSummary> {
        self.services.get(name).cloned()
    }

    /// Whether the run kept per-service figures.
    pub fn keeps_services(&self) -> bool {
        !self.services.is_empty()
    }

    /// The classes and services (named "class interactive", "service billing") whose own
    /// verdict is behind the whole run's: a worse verdict (overloaded or metastable while the
    /// run was stable or recovered; metastable while it was overloaded), a recovery later than
    /// the run's by more than `window_s`, the resolution of recovery times (groups of one
    /// healthy system differ by a window), or not judged for a reason of its own (a backlog of
    /// its own still draining at the end) while the run is stable or recovered: a service down
    /// to the end is named whether or not its queue was still shrinking. What whole-run
    /// figures hide.
    pub fn groups_behind(&self, window_s: f64) -> Vec<(String, &GroupSummary)> {
        let rank = |v: Option<Verdict>| match v {
            Some(Verdict::Stable | Verdict::Recovered) => Some(0),
            Some(Verdict::Overloaded) => Some(1),
            Some(Verdict::Metastable) => Some(2),
            None => None,
        };
        let behind = |g: &GroupSummary| match (rank(g.verdict), rank(self.whole.verdict)) {
            (Some(group), Some(run)) if group > run => true,
            // Not judged with a reason: judged as far as it could be, unlike a group that sent
            // nothing before the trigger (no reason) or a run cut short (nothing judged).
            (None, Some(0)) => !g.verdict_reason.is_empty(),
            _ => match (g.verdict, g.recovery_s, self.whole.recovery_s) {
                (Some(Verdict::Recovered), Some(rec), Some(run)) => rec > run + window_s,
                _ => false,
            },
        };
        let classes = self.classes.iter().map(|(c, g)| (format!("class {}", c.as_str()), g));
        let services = services_in_order(&self.services)
            .into_iter()
            .map(|(n, g)| (format!("service {n}"), g));
        classes.chain(services).filter(|(_, g)| behind(g)).collect()
    }
}

/// Orders names as people count: `legacy-2` before `legacy-10` (runs of digits compare as
/// numbers), for listing services, which results keep in a map ordered by bytes.
pub fn natural_order(a: &str, b: &str) -> std::cmp::Ordering {
    /// The name as alternating runs: (digits as a number, or text).
    fn runs(s: &str) -> Vec<(Option<u128>, &str)> {
        let mut out = Vec::new();
        let mut rest = s;
        while let Some(c) = rest.chars().next() {
            let digit = c.is_ascii_digit();
            let end = rest.find(|ch: char| ch.is_ascii_digit() != digit).unwrap_or(rest.len());
            let (run, tail) = rest.split_at(end);
            out.push((if digit { run.parse().ok() } else { None }, run));
            rest = tail;
        }
        out
    }
    // A number sorts before text at the same place; equal numbers fall back to their text
    // (`07` vs `7`), and a full tie to the bytes.
    runs(a).cmp(&runs(b)).then_with(|| a.cmp(b))
}

/// Services of a summary in [`natural_order`].
pub fn services_in_order(services: &std::collections::BTreeMap<String, GroupSummary>) -> Vec<(&String, &GroupSummary)> {
    let mut v: Vec<_> = services.iter().collect();
    v.sort_by(|a, b| natural_order(a.0, b.0));
    v
}

/// Whether a run of `scenario` keeps per-service figures: it has more than one service (with
/// one, the whole run is that service).
pub fn keeps_services(scenario: &Scenario) -> bool {
    scenario.services.len() > 1
}

/// What the recorder needs to know of an intent to count it in its groups: its class and the
/// index of its service in the scenario's (expanded) service list.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Tag {
    pub class: Priority,
    pub service: usize,
}

impl Tag {
    pub fn new(class: Priority, service: usize) -> Tag {
        Tag { class, service }
    }
}

/// Whether a run of `scenario` keeps per-class figures: it sends background requests or its
/// gateway has class queues. Other runs are all interactive: their whole-run figures say it all.
pub fn keeps_classes(scenario: &Scenario) -> bool {
    uses_priorities(&scenario.file, &scenario.mix)
}

/// [`keeps_classes`] for a scenario being resolved (its mix expanded, not yet a [`Scenario`]).
/// A phase's extra traffic of the background class counts as a background mix entry does.
pub fn uses_priorities(file: &ScenarioFile, mix: &[MixTarget]) -> bool {
    file.gateway.priorities.is_some()
        || mix.iter().any(|m| m.priority != Priority::Interactive)
        || file
            .workload
            .phases
            .iter()
            .flat_map(|p| &p.extra)
            .any(|e| e.priority != Priority::Interactive)
}

#[cfg(test)]
mod tests {
    use super::natural_order;
    use super::{GroupSummary, Summary, Verdict};

    /// A group is behind when it fared worse than the whole run: a worse verdict, or a
    /// recovery later by more than a window; a run that is itself metastable hides nothing.
    #[test]
    fn groups_behind_the_whole_run() {
        let g = |verdict, recovery_s| GroupSummary {
            offered: 1,
            verdict: Some(verdict),
            recovery_s,
            ..Default::default()
        };
        let mut s = Summary::default();
        (s.whole.verdict, s.whole.recovery_s) = (Some(Verdict::Recovered), Some(25.0));
        s.services.insert("late".into(), g(Verdict::Recovered, Some(30.0)));
        // One window later is within the resolution of recovery times.
        s.services
            .insert("a-window-late".into(), g(Verdict::Recovered, Some(26.0)));
        s.services.insert("prompt".into(), g(Verdict::Recovered, Some(0.0)));
        s.services.insert("down".into(), g(Verdict::Metastable, None));
        s.services.insert("busy".into(), g(Verdict::Overloaded, None));
        s.classes
            .insert(crate::scenario::Priority::Background, GroupSummary::default());
        let names = |s: &Summary| s.groups_behind(1.0).into_iter().map(|(n, _)| n).collect::<Vec<_>>();
        assert_eq!(names(&s), ["service busy", "service down", "service late"]);
        s.whole.verdict = Some(Verdict::Overloaded);
        s.whole.recovery_s = None;
        assert_eq!(names(&s), ["service down"], "metastable is worse than overloaded");
        s.whole.verdict = Some(Verdict::Metastable);
        assert!(names(&s).is_empty(), "{:?}", names(&s));
        s.whole.verdict = None;
        assert!(names(&s).is_empty(), "no run verdict, nothing to be behind");
    }

    /// A service not judged for a reason of its own (its backlog still draining at the end)
    /// while the whole run recovered is behind it: it was named while it read metastable, and
    /// dropped out of the BEHIND lines when per-service backlogs made it not judged (review
    /// helper-189). A group with no verdict and no reason (it sent nothing before the trigger)
    /// is not.
    #[test]
    fn a_service_not_judged_under_a_judged_run_is_behind_it() {
        let mut s = Summary::default();
        (s.whole.verdict, s.whole.recovery_s) = (Some(Verdict::Recovered), Some(14.0));
        let draining = GroupSummary {
            offered: 1,
            verdict_reason: "not back to 90% ... but its backlog was still draining".into(),
            ..Default::default()
        };
        s.services.insert("billing".into(), draining);
        s.services.insert(
            "new".into(),
            GroupSummary {
                offered: 1,
                ..Default::default()
            },
        );
        let names = |s: &Summary| s.groups_behind(1.0).into_iter().map(|(n, _)| n).collect::<Vec<_>>();
        assert_eq!(names(&s), ["service billing"]);
        s.whole.verdict = Some(Verdict::Stable);
        assert_eq!(names(&s), ["service billing"]);
        s.whole.verdict = Some(Verdict::Metastable);
        assert!(names(&s).is_empty(), "{:?}", names(&s));
    }

    #[test]
    fn names_sort_as_people_count() {
        let mut names = vec![
            "legacy-10",
            "billing",
            "legacy-2",
            "legacy-1",
            "legacy-02",
            "a.v10",
            "a.v9",
        ];
        names.sort_by(|a, b| natural_order(a, b));
        assert_eq!(
            names,
            [
                "a.v9",
                "a.v10",
                "billing",
                "legacy-1",
                "legacy-02",
                "legacy-2",
                "legacy-10"
            ]
        );
    }
}
