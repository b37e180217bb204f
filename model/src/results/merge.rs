//! Merging the results of shards of one run: counters and histograms are added window by
//! window, never percentiles averaged; the summary and verdict are then computed again.

use super::{summarize, Counters, GroupResults, Hist, Results};
use crate::scenario;
use std::collections::BTreeMap;

/// Why results could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("nothing to merge")]
    Empty,
    #[error("{0}: different run ({1}): only shards of the same scenario and window can be merged")]
    Mismatch(String, String),
    #[error("{file}: not a shard of the same run as {other}: {why}; only shards of one run (one scenario, window and strategy) can be merged")]
    OtherRun { file: String, other: String, why: String },
    #[error("{0}")]
    Shards(String),
    // The scenario's diagnostics are in the message, not a `source`: `{:#}` printed them twice.
    #[error("{file}: its embedded scenario is not valid: {problems}")]
    Scenario { file: String, problems: String },
    #[error("{file}: {field}: adding it to the files before it overflows (a count past 2^64 - 1, a figure past 1.8e308), so no merged figure would be right (a corrupt shard?)")]
    Overflow { file: String, field: String },
}

fn overflow(file: &str, field: impl Into<String>) -> MergeError {
    MergeError::Overflow {
        file: file.to_string(),
        field: field.into(),
    }
}

/// `base + part` of two histograms, refused when the counts would saturate (hdrhistogram's
/// addition saturates silently).
fn add_hist(base: &mut Hist, part: &Hist, file: &str, field: impl FnOnce() -> String) -> Result<(), MergeError> {
    if base.len().checked_add(part.len()).is_none() {
        return Err(overflow(file, field()));
    }
    base.add(part);
    Ok(())
}

/// Adds a part's group figures into the base's. Parts either all keep a kind of group or none
/// does: a mix would give group figures that no longer add up to the run's.
fn add_groups<K: Ord + Clone + serde::Serialize>(
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
                let at = |f: &str| format!("{}.{}.{f}", kind_field(kind), key(k));
                b.counters = b
                    .counters
                    .checked_add(&g.counters)
                    .map_err(|f| overflow(name, at(&format!("counters.{f}"))))?;
                add_hist(&mut b.intent_latency, &g.intent_latency, name, || at("intent_latency"))?;
            }
            None => {
                base.insert(k.clone(), g.clone());
            }
        }
    }
    Ok(())
}

/// The results file's field of a kind of group (`per-class`: `classes`).
fn kind_field(kind: &str) -> &'static str {
    if kind == "per-class" {
        "classes"
    } else {
        "services"
    }
}

/// A group's key as the results file spells it (`interactive`, a service's name).
fn key<K: serde::Serialize>(k: &K) -> String {
    match serde_json::to_value(k) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(v) => v.to_string(),
        Err(_) => String::new(),
    }
}

/// The first field where `a` and `b` differ, as `path: a-value vs b-value` (values cut short).
fn first_difference(path: &str, a: &serde_json::Value, b: &serde_json::Value) -> Option<(String, String, String)> {
    use serde_json::Value;
    let show = |v: Option<&Value>| {
        let s = v.map_or("(none)".to_string(), Value::to_string);
        match s.char_indices().nth(60) {
            Some((end, _)) => format!("{}...", &s[..end]),
            None => s,
        }
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| {
                let at = format!("{path}.{k}");
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => first_difference(&at, u, v),
                    (u, v) => Some((at, show(u), show(v))),
                }
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (u, v))| first_difference(&format!("{path}[{i}]"), u, v)),
        (Value::Array(x), Value::Array(y)) => Some((
            path.to_string(),
            format!("{} items", x.len()),
            format!("{} items", y.len()),
        )),
        _ if a == b => None,
        _ => Some((path.to_string(), show(Some(a)), show(Some(b)))),
    }
}

/// How shard `p` ran unlike shard `q` in pace or phase marks: shards at another time scale sent
/// their load at another pace (their windows are not the same spans of the target's time, and
/// merged under the first file's scale), and the phases are what the windows, charts and
/// verdict are read against (robustness review, stop 64: both merged silently).
fn pace_or_phases_difference(p: &Results, q: &Results) -> Option<String> {
    let here_there = |field: String, a: String, b: String| Some(format!("{field} is {a} here and {b} there"));
    if p.time_scale != q.time_scale {
        return here_there(
            "time_scale (--time-scale)".into(),
            p.time_scale.to_string(),
            q.time_scale.to_string(),
        );
    }
    if p.phases.len() != q.phases.len() {
        return here_there(
            "phases".into(),
            format!("{} phases", p.phases.len()),
            format!("{} phases", q.phases.len()),
        );
    }
    for (i, (a, b)) in p.phases.iter().zip(&q.phases).enumerate() {
        let num = |x: f64| x.to_string();
        let found = if a.name != b.name {
            Some(("name", format!("{:?}", a.name), format!("{:?}", b.name)))
        } else if a.trigger != b.trigger {
            Some(("trigger", a.trigger.to_string(), b.trigger.to_string()))
        } else {
            [
                ("start_s", a.start_s, b.start_s),
                ("end_s", a.end_s, b.end_s),
                ("rate_start", a.rate_start, b.rate_start),
                ("rate_end", a.rate_end, b.rate_end),
            ]
            .into_iter()
            .find(|(_, x, y)| x != y)
            .map(|(f, x, y)| (f, num(x), num(y)))
        };
        if let Some((field, x, y)) = found {
            return here_there(format!("phases[{i}].{field}"), x, y);
        }
    }
    None
}

/// How `p` is not a shard of the same run as `q`, if it is not: its scenario name, window,
/// strategy or embedded scenario differ (rates, seed, phases, clients, gateway, backend,
/// thresholds), its time scale or its phase marks ([`pace_or_phases_difference`]). Left out is
/// what each shard has of its own: its index, its random streams (derived from the shared
/// seed), the path it read the scenario from, its notes and its figures.
fn difference(p: &Results, q: &Results) -> Option<String> {
    let field = |name: &str, a: String, b: String| Some(format!("{name} is {a} here and {b} there"));
    if p.scenario_name != q.scenario_name {
        return field("scenario_name", p.scenario_name.clone(), q.scenario_name.clone());
    }
    if (p.window_s - q.window_s).abs() > 1e-12 {
        return field("window_s", format!("{}s", p.window_s), format!("{}s", q.window_s));
    }
    if p.strategy != q.strategy {
        return field("strategy", p.strategy.clone(), q.strategy.clone());
    }
    if let Some(why) = pace_or_phases_difference(p, q) {
        return Some(why);
    }
    let mut mine = p.scenario.clone();
    mine.run.time_scale = q.scenario.run.time_scale;
    if mine == q.scenario {
        return None;
    }
    let (a, b) = (serde_json::to_value(&mine), serde_json::to_value(&q.scenario));
    let found = match (a, b) {
        (Ok(a), Ok(b)) => first_difference("scenario", &a, &b),
        _ => None,
    };
    Some(match found {
        Some((path, a, b)) => format!("{path} is {a} here and {b} there"),
        None => "the embedded scenarios differ".to_string(),
    })
}

/// Whether `parts` are shards of one run; if not, names the file that differs. With three or
/// more files, a first file unlike all the others (which agree) is the one named, not the
/// second: the odd one out is the shard to check.
fn check_same_run(parts: &[(String, Results)]) -> Result<(), MergeError> {
    let Some(((first, r0), rest)) = parts.split_first() else {
        return Err(MergeError::Empty);
    };
    let Some((i, why)) = rest
        .iter()
        .enumerate()
        .find_map(|(i, (_, p))| difference(p, r0).map(|why| (i + 1, why)))
    else {
        return Ok(());
    };
    let second = &parts[1];
    let others_agree = parts.len() >= 3 && i == 1 && parts[2..].iter().all(|(_, p)| difference(p, &second.1).is_none());
    if others_agree {
        return Err(MergeError::OtherRun {
            file: first.clone(),
            other: format!("the other {} files ({} and the rest)", parts.len() - 1, second.0),
            why: difference(r0, &second.1).unwrap_or(why),
        });
    }
    Err(MergeError::OtherRun {
        file: parts[i].0.clone(),
        other: first.clone(),
        why,
    })
}

/// The scenario the shards ran (the first one's, which the others match), its problems
/// named as the first file's embedded scenario.
fn embedded_scenario(parts: &[(String, Results)]) -> Result<scenario::Scenario, MergeError> {
    let (file, r) = parts.first().ok_or(MergeError::Empty)?;
    scenario::resolve(&r.scenario_path, r.scenario.clone()).map_err(|e| {
        let problems: Vec<String> = match &e {
            scenario::ScenarioError::Invalid(d) => d
                .iter()
                .map(|d| {
                    if d.path.is_empty() {
                        d.message.clone()
                    } else {
                        format!("scenario.{}: {}", d.path, d.message)
                    }
                })
                .collect(),
            other => vec![other.to_string()],
        };
        MergeError::Scenario {
            file: file.clone(),
            problems: problems.join("; "),
        }
    })
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
            "{first} is one of {n} shards, but {} given: merge every shard of the run once",
            match parts.len() {
                1 => "1 file was".to_string(),
                k => format!("{k} files were"),
            }
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
    check_same_run(&parts)?;
    let mut s = embedded_scenario(&parts)?;
    let secs_ran: Vec<f64> = parts.iter().map(|(_, p)| p.summary.duration_s).collect();
    let mut it = parts.into_iter();
    let (_, mut base) = it.next().ok_or(MergeError::Empty)?;
    for (name, p) in it {
        if base.windows.len() < p.windows.len() {
            base.windows.resize_with(p.windows.len(), Default::default);
            for (i, w) in base.windows.iter_mut().enumerate() {
                w.start_s = i as f64 * base.window_s;
            }
        }
        for (i, (b, w)) in base.windows.iter_mut().zip(&p.windows).enumerate() {
            // Sums are checked: a wrapped counter is a small, plausible and wrong figure.
            let at = |f: &str| format!("windows[{i}].{f}");
            b.counters = b
                .counters
                .checked_add(&w.counters)
                .map_err(|f| overflow(&name, at(&format!("counters.{f}"))))?;
            let (bg, wg) = (&mut b.gauges, &w.gauges);
            bg.queue_depth_max = (bg.queue_depth_max.checked_add(wg.queue_depth_max))
                .ok_or_else(|| overflow(&name, at("gauges.queue_depth_max")))?;
            bg.in_flight_max = (bg.in_flight_max.checked_add(wg.in_flight_max))
                .ok_or_else(|| overflow(&name, at("gauges.in_flight_max")))?;
            // Means add as the shards' gateways do; a sum past f64 could not be saved.
            for (field, sum, part) in [
                ("queue_depth_mean", &mut bg.queue_depth_mean, wg.queue_depth_mean),
                ("in_flight_mean", &mut bg.in_flight_mean, wg.in_flight_mean),
                (
                    "generator_waiting_mean",
                    &mut bg.generator_waiting_mean,
                    wg.generator_waiting_mean,
                ),
            ] {
                *sum += part;
                if !sum.is_finite() {
                    return Err(overflow(&name, at(&format!("gauges.{field}"))));
                }
            }
            for (k, g) in &w.classes {
                let sum = b.classes.entry(*k).or_default();
                *sum = (sum.checked_add(g)).map_err(|f| overflow(&name, at(&format!("classes.{}.{f}", k.as_str()))))?;
            }
            for (k, g) in &w.services {
                let sum = b.services.entry(k.clone()).or_default();
                *sum = (sum.checked_add(g)).map_err(|f| overflow(&name, at(&format!("services.{k}.{f}"))))?;
            }
            // The shards' gateways add up: a sum missing one shard's is no sum, so a window
            // one shard has no gauge sample of has none merged (read as a partial sum, it was
            // the dip the flag is there to keep out of charts and the verdict).
            if wg.unsampled || bg.unsampled {
                let limit = bg.limit;
                *bg = super::Gauges {
                    limit,
                    unsampled: true,
                    ..Default::default()
                };
                b.services.values_mut().for_each(|g| g.held = 0.0);
            }
            for (k, h) in &w.histograms {
                match b.histograms.get_mut(k) {
                    Some(bh) => {
                        let mut sum = bh.unpack();
                        add_hist(&mut sum, &h.unpack(), &name, || at(&format!("histograms.{k}")))?;
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
                Some(bh) => add_hist(bh, h, &name, || format!("totals.{k}"))?,
                None => {
                    base.totals.insert(k.clone(), h.clone());
                }
            }
        }
        add_groups(&mut base.classes, &p.classes, &name, "per-class")?;
        add_groups(&mut base.services, &p.services, &name, "per-service")?;
        base.incomplete |= p.incomplete;
        if let Some(field) = base.notes.overflow(&p.notes) {
            return Err(overflow(&name, format!("notes.{field}")));
        }
        base.notes.add(&p.notes);
        if let Some(g) = p.generator {
            let bg = base.generator.get_or_insert_with(Default::default);
            bg.lagging |= g.lagging;
            bg.unsent = (bg.unsent.checked_add(g.unsent)).ok_or_else(|| overflow(&name, "generator.unsent"))?;
            bg.lateness_p99_s = bg.lateness_p99_s.max(g.lateness_p99_s);
            // Unknown if any shard's file predates the count.
            bg.late_sends = bg.late_sends.zip(g.late_sends).map(|(a, b)| a.saturating_add(b));
        }
        // The summary adds the windows up again: their whole-run sum must fit too.
        base.windows
            .iter()
            .try_fold(Counters::default(), |sum, w| sum.checked_add(&w.counters))
            .map_err(|f| overflow(&name, format!("summary: the windows' counters.{f}")))?;
    }
    base.shard = None;
    base.merged_from = Some(secs_ran.len() as u32);
    // Shards stopped early ran for less than the scenario: rates are per the longest of them.
    let ran = secs_ran.into_iter().fold(0.0, f64::max);
    if ran > 0.0 && ran < s.duration.as_secs_f64() {
        s.duration = crate::time::secs(ran);
    }
    base.summary = summarize(
        &base.windows,
        &base.totals,
        &base.classes,
        &base.services,
        base.window_s,
        &s,
        &base.strategy,
    );
    let partial = super::recorder::PartialRun {
        source: base.source,
        incomplete: base.incomplete,
        stopped: base.stopped.is_some(),
        unsent: base.generator.as_ref().map_or(0, |g| g.unsent),
    };
    base.thresholds = super::recorder::judge(&mut base.summary, &s, partial);
    Ok(base)
}
