//! Where the load goes: `workload.mix` and each phase's extra traffic, aimed at services and
//! APIs, with the share of it each one gets.

use super::backend::list_or_count;
use super::{num, Checker};
use crate::scenario::{BackendConfig, MixTarget, Phase, Priority, ServiceSpec, WorkloadConfig};

/// `t`, a target naming no API, as one target per API when its service weighs its APIs
/// (`api_weight`): its weight split by theirs. Otherwise `t` itself (its API drawn uniformly:
/// the same draws as before `api_weight` existed).
fn spread_over_apis(t: MixTarget, services: &[ServiceSpec]) -> Vec<MixTarget> {
    let weights = services
        .get(t.service)
        .map(|s| s.api_weight.as_slice())
        .unwrap_or_default();
    if t.api.is_some() || weights.is_empty() {
        return vec![t];
    }
    let total: f64 = weights.iter().sum();
    weights
        .iter()
        .enumerate()
        .map(|(k, w)| MixTarget {
            api: Some(k),
            weight: t.weight * w / total,
            ..t.clone()
        })
        .collect()
}

pub(super) fn check_mix(
    c: &mut Checker,
    w: &WorkloadConfig,
    b: &BackendConfig,
    services: &[ServiceSpec],
) -> Vec<MixTarget> {
    if w.mix.is_empty() {
        let mut out = Vec::new();
        for s in services {
            let targets = spread_over_apis(
                MixTarget {
                    service: s.index,
                    api: None,
                    weight: s.weight,
                    priority: Priority::Interactive,
                },
                services,
            );
            check_shares(
                c,
                format!("backend.services[{}].weight", s.entry),
                s.weight,
                &targets,
                services,
            );
            out.extend(targets);
        }
        return out;
    }
    let mut out = Vec::new();
    for (i, m) in w.mix.iter().enumerate() {
        let path = format!("workload.mix[{i}]");
        c.weight(format!("{path}.weight"), m.weight);
        let to = Aim {
            service: &m.service,
            api: m.api.as_deref(),
            weight: m.weight,
            priority: m.priority,
        };
        let targets = aim(c, &path, to, b, services);
        check_shares(c, format!("{path}.weight"), m.weight, &targets, services);
        out.extend(targets);
    }
    out
}

/// A weight (or an extra rate) at `path`, `given` > 0, whose share of one of its `targets`
/// rounds to 0 (`5e-324` split between a group's two services, or by `api_weight`): that
/// service or API would get no intents, though the file sends it some.
fn check_shares(c: &mut Checker, path: String, given: f64, targets: &[MixTarget], services: &[ServiceSpec]) {
    if !(given.is_finite() && given > 0.0) {
        return; // said of the field already
    }
    // A share of 0 from a factor of 0 (an `api_weight` of 0) is that factor's error, said there.
    let positive = |w: f64| w.is_finite() && w > 0.0;
    let underflows = |t: &&MixTarget| {
        !positive(t.weight)
            && services.get(t.service).is_some_and(|s| {
                positive(s.weight) && t.api.and_then(|k| s.api_weight.get(k)).is_none_or(|w| positive(*w))
            })
    };
    let Some(t) = targets.iter().find(underflows) else {
        return;
    };
    // Once per field (a group's members would each say it).
    let Some(s) = services
        .get(t.service)
        .filter(|_| !c.problems.iter().any(|p| p.path == path))
    else {
        return;
    };
    let api = t
        .api
        .and_then(|k| s.apis.get(k))
        .map_or(String::new(), |a| format!(" (API `{a}`)"));
    c.fail(
        path,
        format!(
            "{} is too small to share out: the part of it for service `{}`{api} rounds to 0, so it would get no intents; give a larger value (weights are relative: scale them all up together)",
            num(given),
            s.name
        ),
    );
}

/// Where a mix entry or a phase's extra traffic is aimed, as the file gives it.
struct Aim<'a> {
    service: &'a str,
    api: Option<&'a str>,
    weight: f64,
    priority: Priority,
}

/// The targets `to` (at `path`) names: one service, or a counted group's services (`legacy`
/// for legacy-1..legacy-N) sharing its weight by their own; an API, or every API by its
/// `api_weight`. An unknown name is a problem at `path`.
fn aim(c: &mut Checker, path: &str, to: Aim, b: &BackendConfig, services: &[ServiceSpec]) -> Vec<MixTarget> {
    let targets: Vec<&ServiceSpec> = match services.iter().find(|s| s.name == to.service) {
        Some(s) => vec![s],
        None => {
            let counted = b.services.iter().any(|s| s.name == to.service && s.count.is_some());
            if counted {
                services.iter().filter(|s| s.group == to.service).collect()
            } else {
                Vec::new()
            }
        }
    };
    if targets.is_empty() {
        if !declared(b, to.service) {
            c.fail(
                format!("{path}.service"),
                format!(
                    "unknown service `{}`: the backend defines {}",
                    to.service,
                    mix_names(b, 8)
                ),
            );
        }
        return Vec::new();
    }
    let mut out = Vec::new();
    let group_weight: f64 = targets.iter().map(|s| s.weight).sum();
    for s in targets {
        let api = match to.api {
            None => None,
            Some(a) => match s.api_index(a) {
                Some(k) => Some(k),
                None => {
                    c.fail(
                        format!("{path}.api"),
                        format!("unknown API `{a}`: service `{}` has {}", s.name, list_or_count(&s.apis)),
                    );
                    break;
                }
            },
        };
        out.extend(spread_over_apis(
            MixTarget {
                service: s.index,
                api,
                weight: to.weight * s.weight / group_weight,
                priority: to.priority,
            },
            services,
        ));
    }
    out
}

/// Each phase's extra traffic (`workload.phases[i].extra`): its targets, and its rate added
/// to the phase's.
pub(super) fn check_extras(
    c: &mut Checker,
    w: &WorkloadConfig,
    b: &BackendConfig,
    services: &[ServiceSpec],
    phases: &mut [Phase],
) {
    for (i, (p, phase)) in w.phases.iter().zip(phases.iter_mut()).enumerate() {
        for (k, e) in p.extra.iter().enumerate() {
            let path = format!("workload.phases[{i}].extra[{k}]");
            if !e.rate.is_finite() || e.rate < 0.0 {
                c.fail(
                    format!("{path}.rate"),
                    format!(
                        "expected intents per second >= 0 on top of the phase's rate, got {}",
                        e.rate
                    ),
                );
                continue;
            }
            let to = Aim {
                service: &e.service,
                api: e.api.as_deref(),
                weight: e.rate,
                priority: e.priority,
            };
            let targets = aim(c, &path, to, b, services);
            check_shares(c, format!("{path}.rate"), e.rate, &targets, services);
            // Rate 0 is no extra traffic (a sweep's "no job" point): its aim is still checked,
            // so a typo fails at every point, but it adds nothing, and the run is the one
            // without the entry, draw for draw.
            if e.rate > 0.0 {
                phase.extra.extend(targets);
            }
        }
        let extra = phase.extra_rate();
        phase.rate_start += extra;
        phase.rate_end += extra;
    }
}

/// The names a mix entry may take, in file order: each counted group's (with its services'
/// range) and each other service's, the first `shown`, then how many more.
fn mix_names(b: &BackendConfig, shown: usize) -> String {
    let names: Vec<String> = b
        .services
        .iter()
        .map(|s| match s.count {
            Some(n) if n > 1 => format!("{} ({}-1..{}-{n})", s.name, s.name, s.name),
            _ => s.name.clone(),
        })
        .collect();
    match names.len().saturating_sub(shown) {
        0 => names.join(", "),
        more => format!("{} and {more} more", names[..shown].join(", ")),
    }
}

/// Whether the backend declares `name` (a service, a counted group or one of its services),
/// valid or not: a mix entry naming a service whose own settings are wrong is not also
/// "unknown", which listed first sent users to the wrong line.
fn declared(b: &BackendConfig, name: &str) -> bool {
    b.services.iter().any(|s| {
        s.name == name
            || s.count.is_some_and(|n| {
                name.strip_prefix(s.name.as_str())
                    .and_then(|k| k.strip_prefix('-'))
                    .and_then(|k| k.parse::<u32>().ok())
                    .is_some_and(|k| (1..=n).contains(&k))
            })
    })
}
