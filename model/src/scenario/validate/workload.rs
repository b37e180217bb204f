//! Checks of `[workload]`: a closed loop's users and think time, and the phases, built into
//! [`Phase`]s (their extra traffic is added by `mix`).

use super::size::MAX_USERS;
use super::{Checker, MAX_NAME_CHARS};
use crate::scenario::{Phase, WorkloadConfig};
use crate::time::Time;
use std::collections::HashMap;

pub(super) fn check_workload(c: &mut Checker, w: &WorkloadConfig) -> Vec<Phase> {
    if w.phases.is_empty() && w.closed.is_none() {
        c.fail(
            "workload.phases",
            "expected at least one phase, e.g. [[workload.phases]] duration = \"60s\" rate = 20",
        );
    }
    if let Some(closed) = &w.closed {
        if !w.phases.is_empty() {
            c.fail(
                "workload.closed",
                "a closed-loop workload has no phases: remove [[workload.phases]] or [workload.closed]",
            );
        }
        c.at_least_one("workload.closed.users".into(), closed.users);
        c.at_most("workload.closed.users".into(), closed.users, MAX_USERS, "users");
        // Zero think time is fine live (each answer takes a round trip); the simulator keeps
        // a microsecond between a user's answer and its next send.
        c.dist("workload.closed.think_time".into(), &closed.think_time);
    }
    let mut phases = Vec::new();
    let mut t = Time::ZERO;
    // Names looked up, not compared pair by pair: 50,000 phases took 24 s to check.
    let mut named: HashMap<&str, usize> = HashMap::new();
    let defaults: HashMap<String, usize> = w
        .phases
        .iter()
        .enumerate()
        .filter(|(_, q)| q.name.is_none())
        .map(|(k, _)| (default_phase_name(k), k))
        .collect();
    for (i, p) in w.phases.iter().enumerate() {
        let path = format!("workload.phases[{i}]");
        let first = p.name.as_deref().and_then(|n| {
            let j = *named.entry(n).or_insert(i);
            (j != i).then_some(j)
        });
        if let (Some(j), Some(n)) = (first, &p.name) {
            c.fail(
                format!("{path}.name"),
                format!(
                    "phase `{n}` is already defined by workload.phases[{j}]: reports name phases, so give each its own"
                ),
            );
        }
        // An unnamed phase is called `phase N` (its number from 1): a name written out must not
        // be another phase's default either, or two phases read alike.
        let unnamed = p.name.as_deref().and_then(|n| defaults.get(n).copied());
        if let (Some(k), Some(n)) = (unnamed, &p.name) {
            c.fail(
                format!("{path}.name"),
                format!(
                    "phase `{n}` is also the name of workload.phases[{k}], which has none of its own (unnamed phases are `phase N`, N from 1): give this one another name"
                ),
            );
        }
        if let Some(n) = &p.name {
            c.text(format!("{path}.name"), n, MAX_NAME_CHARS);
            // Phases are named in summaries, charts and junit.xml, as the run is (`run.name`).
            if n.chars().any(char::is_control) {
                c.fail(format!("{path}.name"), "expected one line without control characters");
            } else if n.trim().is_empty() {
                c.fail(
                    format!("{path}.name"),
                    format!(
                        "expected a name; leave it out to call the phase `{}`",
                        default_phase_name(i)
                    ),
                );
            }
        }
        c.positive_dur(format!("{path}.duration"), p.duration);
        c.non_negative(format!("{path}.rate"), p.rate, "a rate");
        if let Some(r) = p.ramp_to {
            c.non_negative(format!("{path}.ramp_to"), r, "a rate");
            if p.ramp {
                c.fail(
                    format!("{path}.ramp"),
                    "give either `ramp = true` (to the next phase's rate) or `ramp_to`, not both",
                );
            }
        }
        let next_rate = w.phases.get(i + 1).map(|n| n.rate);
        if p.ramp && next_rate.is_none() {
            c.fail(
                format!("{path}.ramp"),
                "the last phase has no next phase to ramp to: use `ramp_to`",
            );
        }
        let rate_end = match (p.ramp_to, p.ramp) {
            (Some(r), _) => r,
            (None, true) => next_rate.unwrap_or(p.rate),
            (None, false) => p.rate,
        };
        let end = t + p.duration.0;
        phases.push(Phase {
            name: p.name.clone().unwrap_or_else(|| default_phase_name(i)),
            start: t,
            end,
            rate_start: p.rate,
            rate_end,
            trigger: p.trigger,
            // Added by `check_extras`, which needs the services.
            extra: Vec::new(),
        });
        t = end;
    }
    phases
}

/// The name of the phase at `index` that has none of its own.
fn default_phase_name(index: usize) -> String {
    format!("phase {}", index + 1)
}
