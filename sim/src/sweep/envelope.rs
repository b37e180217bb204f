//! The safe envelope: per configuration, the largest burst (a rate or a length) after which the
//! system still recovers; and a note when an outage does not follow the burst.

use super::axis::{describe, Axis};
use super::choice::{is_load_axis, params_where};
use super::point::{Params, Point};
use model::scenario::Scenario;
use serde_json::Value;

/// A note when an axis varies a trigger phase's `duration` while an outage overlapping that
/// phase keeps the length the file gives it: an outage is a fault of a backend service, at its
/// own time for its own length, and does not follow the phase. Every point then runs the same
/// outage (the same wasted work), and an envelope over the phase's duration is no answer to how
/// long an outage the system survives; the note names the key that is.
pub fn fault_note(base: &Scenario, axes: &[Axis]) -> Option<String> {
    let fmt = model::duration::format_duration;
    // An axis changing outages (any service's: a name or `*` is not resolved here) leaves
    // nothing to warn about: the user varies them.
    if axes.iter().any(|a| {
        model::scenario::is_fault_key(&a.key) && (a.key.ends_with(".faults") || a.key.contains(".faults.outages"))
    }) {
        return None;
    }
    let mut notes = Vec::new();
    for a in axes {
        let Some(i) = phase_of(&a.key) else { continue };
        let Some(phase) = base.phases.get(i).filter(|p| p.trigger) else {
            continue;
        };
        if a.key != format!("workload.phases[{i}].duration") {
            continue;
        }
        // The phase as long as its longest value (or the file's, if longer).
        let longest = a
            .values
            .iter()
            .filter_map(|v| model::duration::parse_duration(v.as_str()?).ok())
            .fold(phase.duration(), std::cmp::Ord::max);
        let start = phase.start.saturating_since(model::time::Time::ZERO);
        let end = start + longest;
        for (k, svc) in base.file.backend.services.iter().enumerate() {
            for (j, o) in svc.faults.outages.iter().enumerate() {
                let (at, len) = (o.at.0, o.duration.0);
                if at < end && at + len > start {
                    notes.push(format!(
                        "{} is varied, but backend.services[{k}].faults.outages[{j}] (service `{}`, at {}, for {}) overlaps that trigger phase and does not follow it: every point runs the same {} outage, so the findings say nothing of how long an outage the system survives; to vary that, --vary backend.services[{k}].faults.outages[{j}].duration",
                        a.key,
                        svc.name,
                        fmt(at),
                        fmt(len),
                        fmt(len)
                    ));
                }
            }
        }
    }
    (!notes.is_empty()).then(|| notes.join("; "))
}

/// What a safe envelope is over: a burst's rate, or its length.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum EnvelopeUnit {
    /// Requests per second (`workload.phases[N].rate`, or `.ramp_to`).
    Rate,
    /// Seconds (`workload.phases[N].duration`, how long a burst lasts, or
    /// `backend.services[N].faults.outages[J].duration`, how long an outage lasts).
    Duration,
}

impl EnvelopeUnit {
    fn show(self, v: f64) -> String {
        match self {
            EnvelopeUnit::Rate => format!("{v}/s"),
            EnvelopeUnit::Duration => model::duration::format_duration(std::time::Duration::from_secs_f64(v.max(0.0))),
        }
    }

    /// An axis value as a number in this unit (a duration's text as seconds).
    fn value(self, v: &Value) -> Option<f64> {
        match self {
            EnvelopeUnit::Rate => v.as_f64(),
            EnvelopeUnit::Duration => model::duration::parse_duration(v.as_str()?)
                .ok()
                .map(|d| d.as_secs_f64()),
        }
    }
}

/// The axis a safe envelope is over (see [`envelope_axis`]).
pub struct EnvelopeAxis<'a> {
    pub key: &'a str,
    pub unit: EnvelopeUnit,
}

/// Whether `key` (under `workload.phases[N].`) is a rate of the phase: its `rate`, the
/// `ramp_to` its rate ramps to (a larger one is a larger burst too), or its extra traffic's
/// `rate` (`extra[K].rate`: a batch job's size).
pub(super) fn is_phase_rate(key: &str) -> bool {
    key.starts_with("workload.phases[") && (key.ends_with(".rate") || key.ends_with(".ramp_to"))
}

/// The phase index `key` is under (`workload.phases[N]...`), if any.
pub(super) fn phase_of(key: &str) -> Option<usize> {
    let rest = key.strip_prefix("workload.phases[")?;
    rest[..rest.find(']')?].parse().ok()
}

/// The axis the safe envelope is over: the burst. `bursts` are the indexes of the scenario's
/// trigger phases (`workload.phases[N]`); only axes with at least two values count (one value
/// is no envelope). In order: the first axis varying a trigger phase's rate (its `rate`,
/// `ramp_to` or an `extra[K].rate`), else the first varying a trigger phase's `duration` (how
/// long a burst lasts), else the first varying an outage's `duration`
/// (`backend.services[N].faults.outages[J].duration`: how long an outage lasts; an outage does
/// not follow its trigger phase, see [`fault_note`]). A phase that is no trigger (the load before or after
/// the burst) is no burst: its rate is a load the envelope is judged at, not over. Only a
/// scenario without any trigger phase (or a table of an older spillway, which did not record
/// them) takes the first axis varying any phase's rate. Which of the axes comes first on the
/// command line does not change the answer when only one of them varies a trigger phase.
pub fn envelope_axis<'a>(axes: &'a [Axis], bursts: &[usize]) -> Option<EnvelopeAxis<'a>> {
    let varied = || axes.iter().filter(|a| a.values.len() >= 2 && is_load_axis(&a.key));
    let of_trigger = |a: &Axis| phase_of(&a.key).is_some_and(|i| bursts.contains(&i));
    let rate = |a: &&Axis| is_phase_rate(&a.key) && (bursts.is_empty() || of_trigger(a));
    let axis = |a: &'a Axis, unit| EnvelopeAxis { key: &a.key, unit };
    varied()
        .find(rate)
        .map(|a| axis(a, EnvelopeUnit::Rate))
        .or_else(|| {
            varied()
                .find(|a| {
                    phase_of(&a.key)
                        .is_some_and(|i| bursts.contains(&i) && a.key == format!("workload.phases[{i}].duration"))
                })
                .map(|a| axis(a, EnvelopeUnit::Duration))
        })
        .or_else(|| {
            varied()
                .find(|a| is_outage_duration(&a.key))
                .map(|a| axis(a, EnvelopeUnit::Duration))
        })
}

/// Whether `key` is how long one of a service's outages lasts
/// (`backend.services[N].faults.outages[J].duration`, the service by index, name or `*`).
fn is_outage_duration(key: &str) -> bool {
    use model::scenario::locate::Seg;
    model::scenario::is_fault_key(key)
        && matches!(
            model::scenario::locate::parse_path(key).as_slice(),
            [.., Seg::Key(o), Seg::Index(_), Seg::Key(d)] if o == "outages" && d == "duration"
        )
}

/// The load axes other than the envelope's that take two or more values: the envelope holds
/// only where every one of their values recovers.
pub(super) fn other_loads<'a>(axes: &'a [Axis], envelope: &str) -> Vec<&'a Axis> {
    axes.iter()
        .filter(|a| a.key != envelope && is_load_axis(&a.key) && a.values.len() >= 2)
        .collect()
}

/// A configuration's safe envelope over a rate (or a burst length) axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope {
    /// The configuration: its settings' values ("(all)" when the sweep varies only the load).
    pub label: String,
    pub unit: EnvelopeUnit,
    /// The largest value tried up to which every value tried recovers (`None`: not even the
    /// lowest).
    pub safe: Option<f64>,
    /// The lowest value tried that does not recover, and what went wrong there; `None` when
    /// every value tried recovers (the envelope is at least the largest tried).
    pub first_failure: Option<(f64, String)>,
    /// The first failure is a run that was not judged (no verdict, or stopped): not known to
    /// recover, nor known to fail; the envelope is unknown from there, not "below" it.
    pub unjudged: bool,
    /// Values other configurations ran at and this one did not (an interrupted sweep).
    pub untried: Vec<f64>,
}

impl Envelope {
    /// "300/s (first failure at 400/s: metastable)", ">= 2000/s (every rate tried recovers)".
    pub fn describe(&self) -> String {
        let u = |v: f64| self.unit.show(v);
        let what = match self.unit {
            EnvelopeUnit::Rate => "rate",
            EnvelopeUnit::Duration => "duration",
        };
        let found = match (self.safe, &self.first_failure) {
            (Some(r), None) => format!(">= {} (every {what} tried recovers; the largest tried)", u(r)),
            (Some(r), Some((f, why))) if self.unjudged => format!("{} (unknown from {} on: {why})", u(r), u(*f)),
            (Some(r), Some((f, why))) => format!("{} (first failure at {}: {why})", u(r), u(*f)),
            (None, Some((f, why))) if self.unjudged => {
                format!("unknown: {why} at {}, the lowest {what} tried", u(*f))
            }
            // Failing at 0 (a sweep's "no extra traffic" point): nothing is below it.
            (None, Some((f, why))) if *f <= 0.0 => {
                format!("none: fails even at {}, the lowest {what} tried ({why} there)", u(*f))
            }
            (None, Some((f, why))) => format!("below {}, the lowest {what} tried ({why} there)", u(*f)),
            (None, None) => format!("no {what} tried"),
        };
        if self.untried.is_empty() {
            return found;
        }
        let list: Vec<String> = self.untried.iter().map(|v| u(*v)).collect();
        format!("{found}; not run at {} (the sweep was interrupted)", list.join(", "))
    }
}

/// For sweeps over a rate (or a burst's length): per configuration (the settings, as the best
/// line names them), the largest value up to which the system recovers at every value tried
/// ([`Point::recovered`]: whole run and every group, in every seed). A configuration that
/// recovers at 400/s but not at 300/s is safe to 200/s: a burst between the two is not known
/// to be safe. Another load axis (the normal load, the run's length) is no configuration: a
/// value is safe only if it recovers at every value of the other load axes tried, as the best
/// configuration is the one that holds at every load, and a failure names the load it was at.
pub fn safe_envelope(points: &[Point], axes: &[Axis], bursts: &[usize]) -> Vec<Envelope> {
    let Some(axis) = envelope_axis(axes, bursts) else {
        return Vec::new();
    };
    let others: Vec<&str> = other_loads(axes, axis.key).iter().map(|a| a.key.as_str()).collect();
    let other_load = |p: &Point| -> Params {
        p.params
            .iter()
            .filter(|(k, _)| others.contains(&k.as_str()))
            .cloned()
            .collect()
    };
    // Every (value, other loads) any configuration ran at: a configuration that missed one of
    // a value's has not been tried there (an interrupted sweep).
    let mut all: Vec<(f64, Params)> = Vec::new();
    let mut groups: Vec<(String, Vec<(f64, &Point)>)> = Vec::new();
    for p in points {
        let settings = params_where(&p.params, false);
        let label = if settings.is_empty() {
            "(all)".to_string()
        } else {
            describe(&settings)
        };
        let Some(value) = p
            .params
            .iter()
            .find(|(k, _)| k == axis.key)
            .and_then(|(_, v)| axis.unit.value(v))
        else {
            continue;
        };
        let at = (value, other_load(p));
        if !all.contains(&at) {
            all.push(at);
        }
        match groups.iter_mut().find(|(l, _)| *l == label) {
            Some((_, ps)) => ps.push((value, p)),
            None => groups.push((label, vec![(value, p)])),
        }
    }
    let mut values: Vec<f64> = Vec::new();
    for (v, _) in &all {
        if !values.contains(v) {
            values.push(*v);
        }
    }
    values.sort_by(f64::total_cmp);
    groups
        .into_iter()
        .map(|(label, ps)| {
            let ran = |v: f64, load: &Params| ps.iter().any(|(w, p)| *w == v && other_load(p) == *load);
            let untried: Vec<f64> = values
                .iter()
                .copied()
                .filter(|&v| all.iter().any(|(w, load)| *w == v && !ran(v, load)))
                .collect();
            let mut safe = None;
            let mut first_failure = None;
            let mut unjudged = false;
            for &value in &values {
                let here: Vec<&Point> = ps.iter().filter(|(w, _)| *w == value).map(|(_, p)| *p).collect();
                // A failure that was judged says more than a run that was not: named first.
                let judged = |p: &&&Point| p.verdict != "-" && p.stopped.is_none();
                let failed = || here.iter().filter(|p| !p.recovered());
                if let Some(p) = failed().find(judged).or_else(|| failed().next()) {
                    unjudged = !judged(&p);
                    let mut why = p.failure();
                    if p.seeds > 1 {
                        why.push_str(" in at least one seed");
                    }
                    let load = other_load(p);
                    if !load.is_empty() {
                        why.push_str(&format!(" at {}", describe(&load)));
                    }
                    first_failure = Some((value, why));
                    break;
                }
                // A value not run at every other load is not known to be safe; nor is it a
                // failure: it is listed as not run.
                if !here.is_empty() && !untried.contains(&value) {
                    safe = Some(value);
                }
            }
            Envelope {
                label,
                unit: axis.unit,
                safe,
                first_failure,
                unjudged,
                untried,
            }
        })
        .collect()
}
