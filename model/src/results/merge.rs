//! Merging the results of shards of one run: counters and histograms are added window by
//! window, never percentiles averaged; the summary and verdict are then computed again.

use super::{summarize, GroupResults, Results};
use crate::scenario;
use std::collections::BTreeMap;

/// Why results could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("nothing to merge")]
    Empty,
    #[error("{0}: different run ({1}): only shards of the same scenario and window can be merged")]
    Mismatch(String, String),
    #[error("{0}")]
    Shards(String),
    #[error("the merged scenario is not valid: {0}")]
    Scenario(#[from] scenario::ScenarioError),
}

/// Adds a part's group figures into the base's. Parts either all keep a kind of group or none
/// does: a mix would give group figures that no longer add up to the run's.
fn add_groups<K: Ord + Clone>(
    base: &mut BTreeMap<K, GroupResults>,
    part: &BTreeMap<K, GroupResults>,
    name: &str,
    kind: &str,
) -> Result<(), MergeError> {
    if part.is_empty() != base.is_empty() {
        return Err(MergeError::Mismatch(
            name.to_string(),
            format!("some parts keep {kind} figures and some do not (written by different spillway versions?)"),
        ));
    }
    for (k, g) in part {
        match base.get_mut(k) {
            Some(b) => {
                b.counters.add(&g.counters);
                b.intent_latency.add(&g.intent_latency);
            }
            None => {
                base.insert(k.clone(), g.clone());
            }
        }
    }
    Ok(())
}

/// Whether `parts` are one whole set of shards: each of `--shard 0/N` .. `N-1/N` once, all of
/// one kind of run. Files of older versions record no shard and are taken as they come.
fn check_shards(parts: &[(String, Results)]) -> Result<(), MergeError> {
    let Some((first, _)) = parts.first() else {
        return Err(MergeError::Empty);
    };
    if let Some((name, _)) = parts.iter().find(|(_, p)| p.source == super::RunSource::Sim) {
        return Err(MergeError::Shards(format!(
            "{name} is a simulated run: only the shards of one live run (loadgen run --shard I/N) add up; the simulator needs none"
        )));
    }
    let recorded: Vec<(&String, (u32, u32))> = parts.iter().filter_map(|(n, p)| Some((n, p.shard?))).collect();
    if recorded.is_empty() {
        if parts.len() < 2 {
            return Err(MergeError::Shards(format!(
                "{first} is one run, not a shard: nothing to merge"
            )));
        }
        return Ok(());
    }
    if let Some((name, _)) = parts.iter().find(|(_, p)| p.shard.is_none()) {
        return Err(MergeError::Shards(format!(
            "{name} is not a shard (no --shard I/N): it cannot be added to shards"
        )));
    }
    let n = recorded[0].1 .1;
    if n as usize != parts.len() {
        return Err(MergeError::Shards(format!(
            "{first} is one of {n} shards, but {} files were given: merge every shard of the run once",
            parts.len()
        )));
    }
    let mut seen: Vec<Option<&String>> = vec![None; n as usize];
    for (name, (i, of)) in recorded {
        if of != n {
            return Err(MergeError::Shards(format!(
                "{name} is shard {i}/{of} but {first} is one of {n}"
            )));
        }
        match seen.get_mut(i as usize) {
            Some(Some(other)) => return Err(MergeError::Shards(format!("{name} and {other} are both shard {i}/{n}"))),
            Some(slot) => *slot = Some(name),
            None => return Err(MergeError::Shards(format!("{name}: shard {i}/{n} is out of range"))),
        }
    }
    let missing: Vec<String> = (0..n)
        .filter(|i| seen[*i as usize].is_none())
        .map(|i| format!("{i}/{n}"))
        .collect();
    if !missing.is_empty() {
        return Err(MergeError::Shards(format!(
            "shard {} missing: the merged run would offer less than the scenario",
            missing.join(", ")
        )));
    }
    Ok(())
}

/// Adds `parts` (shards of one run) into one results file.
pub fn merge(parts: Vec<(String, Results)>) -> Result<Results, MergeError> {
    check_shards(&parts)?;
    let secs_ran: Vec<f64> = parts.iter().map(|(_, p)| p.summary.duration_s).collect();
    let mut it = parts.into_iter();
    let (_, mut base) = it.next().ok_or(MergeError::Empty)?;
    for (name, p) in it {
        if p.scenario_name != base.scenario_name
            || (p.window_s - base.window_s).abs() > 1e-12
            || p.strategy != base.strategy
        {
            return Err(MergeError::Mismatch(
                name,
                format!(
                    "{} / window {}s / {} vs {} / window {}s / {}",
                    p.scenario_name, p.window_s, p.strategy, base.scenario_name, base.window_s, base.strategy
                ),
            ));
        }
        if base.windows.len() < p.windows.len() {
            base.windows.resize_with(p.windows.len(), Default::default);
            for (i, w) in base.windows.iter_mut().enumerate() {
                w.start_s = i as f64 * base.window_s;
            }
        }
        for (b, w) in base.windows.iter_mut().zip(&p.windows) {
            b.counters.add(&w.counters);
            b.gauges.queue_depth_max += w.gauges.queue_depth_max;
            b.gauges.in_flight_max += w.gauges.in_flight_max;
            b.gauges.queue_depth_mean += w.gauges.queue_depth_mean;
            b.gauges.in_flight_mean += w.gauges.in_flight_mean;
            for (k, g) in &w.classes {
                b.classes.entry(*k).or_default().add(g);
            }
            for (k, g) in &w.services {
                b.services.entry(k.clone()).or_default().add(g);
            }
            for (k, h) in &w.histograms {
                match b.histograms.get_mut(k) {
                    Some(bh) => {
                        let mut sum = bh.unpack();
                        sum.add(&h.unpack());
                        *bh = super::PackedHist::pack(&sum);
                    }
                    None => {
                        b.histograms.insert(k.clone(), h.clone());
                    }
                }
            }
        }
        for (k, h) in &p.totals {
            match base.totals.get_mut(k) {
                Some(bh) => bh.add(h),
                None => {
                    base.totals.insert(k.clone(), h.clone());
                }
            }
        }
        add_groups(&mut base.classes, &p.classes, &name, "per-class")?;
        add_groups(&mut base.services, &p.services, &name, "per-service")?;
        base.incomplete |= p.incomplete;
        base.notes.add(&p.notes);
        if let Some(g) = p.generator {
            let bg = base.generator.get_or_insert_with(Default::default);
            bg.lagging |= g.lagging;
            bg.unsent += g.unsent;
            bg.lateness_p99_s = bg.lateness_p99_s.max(g.lateness_p99_s);
        }
    }
    base.shard = None;
    let mut s = scenario::resolve(&base.scenario_path, base.scenario.clone())?;
    // Shards stopped early ran for less than the scenario: rates are per the longest of them.
    let ran = secs_ran.into_iter().fold(0.0, f64::max);
    if ran > 0.0 && ran < s.duration.as_secs_f64() {
        s.duration = crate::time::secs(ran);
    }
    let (summary, thresholds) = summarize(
        &base.windows,
        &base.totals,
        &base.classes,
        &base.services,
        base.window_s,
        &s,
        &base.strategy,
    );
    base.summary = summary;
    base.thresholds = thresholds;
    Ok(base)
}
