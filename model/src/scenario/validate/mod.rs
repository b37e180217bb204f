//! Semantic checks and resolution: from a parsed [`ScenarioFile`] to a [`Scenario`], collecting
//! every problem with the field path it concerns.
//!
//! [`resolve`] checks the file part by part, each part in a submodule named for it; the
//! `Checker` that collects problems and the rule for names, which every part uses, are here.

mod backend;
mod clients;
mod closed_loop;
mod gateway;
mod in_flight;
mod mix;
mod notes;
mod request_limits;
mod run;
mod size;
mod thresholds;
mod timeline;
mod workload;

pub use in_flight::in_flight_after_arrivals;
pub(super) use timeline::check_timeline;

use crate::dist::{DistSpec, Distribution};
use crate::duration::Dur;
use crate::scenario::{Given, Phase, Problem, Scenario, ScenarioFile};
use crate::time::Time;
use backend::check_backend;
use clients::{check_clients, check_clients_services, check_requests};
use gateway::{check_gateway, check_gateway_services};
use mix::{check_extras, check_mix};
use run::{check_name_from_file, check_run};
use size::{check_size, MAX_WEIGHT};
use std::time::Duration;
use thresholds::check_thresholds;
use workload::check_workload;

// The submodules name these `super::...`, as their code did when it was one file, a child of
// `scenario`.
use super::{locate, phase_utilisation, printable, request, spec, ServiceKeys, TIME_SCALE};

/// A number as a message quotes it: `1e308`, not its 309 digits.
fn num(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-4..1e9).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// Collects problems while walking the file.
#[derive(Default)]
struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn fail(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem::new(path, message));
    }

    fn positive_f64(&mut self, path: String, v: f64, what: &str) {
        if !(v.is_finite() && v > 0.0) {
            self.fail(path, format!("expected {what} > 0, got {}", num(v)));
        }
    }

    /// A relative weight: sums of them must stay finite (two of 1e308 made infinity, and
    /// every request went to one service).
    fn weight(&mut self, path: String, v: f64) {
        if !(v.is_finite() && v > 0.0 && v <= MAX_WEIGHT) {
            self.fail(
                path,
                format!("expected a weight > 0 and at most {MAX_WEIGHT:.0e}, got {}", num(v)),
            );
        }
    }

    fn non_negative(&mut self, path: String, v: f64, what: &str) {
        if !(v.is_finite() && v >= 0.0) {
            self.fail(path, format!("expected {what} >= 0, got {}", num(v)));
        }
    }

    fn probability(&mut self, path: String, v: f64) {
        if !(0.0..=1.0).contains(&v) {
            self.fail(path, format!("expected a probability in [0, 1], got {}", num(v)));
        }
    }

    fn at_least_one(&mut self, path: String, v: u32) {
        if v < 1 {
            self.fail(path, format!("expected an integer >= 1, got {v}"));
        }
    }

    fn at_most(&mut self, path: String, v: u32, max: u32, what: &str) {
        if v > max {
            self.fail(path, format!("at most {max} {what}, got {v}"));
        }
    }
    /// A service or API name: `what` it is, for the message.
    fn name(&mut self, path: String, name: &str) {
        if name.chars().count() > MAX_NAME_CHARS {
            self.too_long(path, name, MAX_NAME_CHARS);
        } else if name == "." || name == ".." {
            self.fail(
                path,
                format!("`{name}` is a dot-segment, which no request path can name (the servers refuse them): choose another name"),
            );
        } else if !valid_name(name) {
            self.fail(
                path,
                format!("expected a name of letters, digits, '-', '_' or '.', got `{name}`"),
            );
        }
    }

    /// Free text (a phase name, the run's name and description) up to `max` characters.
    fn text(&mut self, path: String, text: &str, max: usize) {
        if text.chars().count() > max {
            self.too_long(path, text, max);
        }
    }

    fn too_long(&mut self, path: String, text: &str, max: usize) {
        let start: String = text.chars().take(20).collect();
        self.fail(
            path,
            format!("at most {max} characters, got {} (`{start}...`)", text.chars().count()),
        );
    }

    fn positive_dur(&mut self, path: String, d: Dur) {
        if d.is_zero() {
            self.fail(path, "expected a duration > 0, got 0s");
        }
    }

    fn dist(&mut self, path: String, spec: &DistSpec) -> Option<Distribution> {
        match spec.resolve() {
            Ok(d) => Some(d),
            Err(e) => {
                let p = if matches!(spec, DistSpec::Table(_)) {
                    format!("{path}.{}", e.field)
                } else {
                    path
                };
                self.fail(p, e.message);
                None
            }
        }
    }
}

/// Longest name of a service, API or phase, and of the run: names head table columns and
/// chart labels, which are sized to them (a width past 65,535 panics in `format!`).
pub(crate) const MAX_NAME_CHARS: usize = 128;

pub(crate) fn valid_name(s: &str) -> bool {
    // `.` and `..` are dot-segments: a route `/../` no request can reach (the servers refuse
    // dot-segments with 400).
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.len() <= MAX_NAME_CHARS
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Checks `file` and builds the resolved scenario, or returns every problem found.
pub fn resolve(source: &str, file: ScenarioFile) -> Result<Scenario, Vec<Problem>> {
    let mut c = Checker::default();
    check_run(&mut c, &file.run);
    if file.run.name.is_none() {
        check_name_from_file(&mut c, source);
    }
    let services = check_backend(&mut c, &file.backend);
    let mut phases = check_workload(&mut c, &file.workload);
    let mix = check_mix(&mut c, &file.workload, &file.backend, &services);
    check_extras(&mut c, &file.workload, &file.backend, &services, &mut phases);
    check_clients(&mut c, &file.clients, file.gateway.auth.is_some());
    check_clients_services(&mut c, &file.clients, &services);
    check_requests(&mut c, &file);
    check_gateway(&mut c, &file.gateway, &services);
    check_gateway_services(&mut c, &file.gateway, &services);
    // Group checks need the services and mix as validated: with problems there they would
    // only add confusing follow-ups ("no service `x`" for one that failed its own checks).
    let groups = c
        .problems
        .is_empty()
        .then(|| (crate::results::uses_priorities(&file, &mix), &services[..]));
    let trigger = file.workload.phases.iter().any(|p| p.trigger);
    let thresholds = check_thresholds(&mut c, &file.thresholds, groups, trigger);
    if file.workload.closed.is_some() && file.run.duration.is_none() {
        // Pointed at [workload.closed]: run.duration is what is missing, so it has no line.
        c.fail(
            "workload.closed",
            "a closed-loop workload needs run.duration (how long the users keep sending): add [run] duration = \"5m\"",
        );
    }
    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    let phase_end = phases
        .last()
        .map_or(Duration::ZERO, |p: &Phase| p.end.saturating_since(Time::ZERO));
    let duration = file.run.duration.map_or(phase_end, |d| d.0);
    check_size(&mut c, &file, &phases, &services, duration);
    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    Ok(Scenario {
        source: source.to_string(),
        file,
        services,
        phases,
        mix,
        duration,
        thresholds,
        given: Given::default(),
        sized_bounds: Vec::new(),
    })
}
