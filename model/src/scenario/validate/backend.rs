//! Checks of `[[backend.services]]` (names, APIs, workers, service times, overload, faults),
//! expanded by `count` and API counts into concrete services.

use super::size::{MAX_EXPANDED_APIS, MAX_NAMES, MAX_SERVICES};
use super::Checker;
use crate::scenario::{
    ApiSpec, BackendConfig, Faults, FaultsConfig, Outage, Overload, OverloadConfig, OverloadMode, RateLimitFault,
    ServiceSpec, Slowdown, Stalls, DEFAULT_BACKLOG, DEFAULT_THRASH_K,
};
use crate::time::Time;
use std::collections::{BTreeSet, HashMap};

/// Expands `count` and API counts into concrete services.
pub(super) fn check_backend(c: &mut Checker, b: &BackendConfig) -> Vec<ServiceSpec> {
    if b.services.is_empty() {
        c.fail("backend.services", "expected at least one service, e.g. [[backend.services]] name = \"orders\" workers = 4 service_time = \"40ms\"");
    }
    let mut out = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    // APIs across the expanded services so far; past the limit no more services are built.
    let mut expanded_apis = 0u64;
    let mut too_many_apis = false;
    for (i, s) in b.services.iter().enumerate() {
        let path = format!("backend.services[{i}]");
        c.name(format!("{path}.name"), &s.name);
        if let Some(n) = s.count {
            c.at_least_one(format!("{path}.count"), n);
            c.at_most(format!("{path}.count"), n, MAX_SERVICES, "services");
        }
        let apis: Vec<String> = match &s.apis {
            ApiSpec::Count(n) => {
                c.at_least_one(format!("{path}.apis"), *n);
                c.at_most(format!("{path}.apis"), *n, MAX_NAMES, "APIs");
                (1..=(*n).min(MAX_NAMES)).map(|k| format!("api-{k}")).collect()
            }
            ApiSpec::Names(names) => {
                if names.is_empty() {
                    c.fail(format!("{path}.apis"), "expected at least one API name");
                }
                let mut uniq = BTreeSet::new();
                for (j, n) in names.iter().enumerate() {
                    c.name(format!("{path}.apis[{j}]"), n);
                    if !uniq.insert(n) {
                        c.fail(format!("{path}.apis[{j}]"), format!("API `{n}` is listed twice"));
                    }
                }
                names.clone()
            }
        };
        c.weight(format!("{path}.weight"), s.weight);
        c.at_least_one(format!("{path}.workers"), s.workers);
        let service_time = c.dist(format!("{path}.service_time"), &s.service_time);
        let mut api_service_time = vec![None; apis.len()];
        for (api, spec) in &s.api_service_time {
            let p = format!("{path}.api_service_time.{}", super::locate::key(api));
            let d = c.dist(p.clone(), spec);
            match apis.iter().position(|a| a == api) {
                Some(k) => api_service_time[k] = d,
                None => c.fail(
                    p,
                    format!("unknown API `{api}`: service `{}` has {}", s.name, list_or_count(&apis)),
                ),
            }
        }
        let mut api_weight = Vec::new();
        if !s.api_weight.is_empty() {
            api_weight = vec![1.0; apis.len()];
            for (api, w) in &s.api_weight {
                let p = format!("{path}.api_weight.{}", super::locate::key(api));
                c.weight(p.clone(), *w);
                match apis.iter().position(|a| a == api) {
                    Some(k) => api_weight[k] = *w,
                    None => c.fail(
                        p,
                        format!("unknown API `{api}`: service `{}` has {}", s.name, list_or_count(&apis)),
                    ),
                }
            }
        }
        let overload = check_overload(c, &format!("{path}.overload"), &s.overload);
        let faults = check_faults(c, &format!("{path}.faults"), &s.faults);
        if let Some(u) = &s.upstream {
            // https passes here (runs other than `spillway gateway --scenario` never use it) and
            // is noted in `warnings`: the reference gateway speaks plain HTTP to services.
            if let Err(e) = crate::wire::check_upstream_url(u) {
                c.fail(format!("{path}.upstream"), e);
            }
        }
        let names = s.service_names(MAX_SERVICES);
        // Each expanded service keeps its own copy of the APIs: count x apis is what a run
        // holds, and each limit alone does not bound it. Past the limit no more services are
        // built (a count or apis over its own limit, already an error, is not said twice).
        let mine = names.len() as u64 * apis.len() as u64;
        expanded_apis = expanded_apis.saturating_add(mine);
        let own_limits =
            s.count.is_none_or(|n| n <= MAX_SERVICES) && !matches!(s.apis, ApiSpec::Count(n) if n > MAX_NAMES);
        if expanded_apis > MAX_EXPANDED_APIS && !too_many_apis {
            too_many_apis = true;
            if own_limits {
                let product = match s.count {
                    Some(n) if n >= 1 => format!("count = {n} services x {} APIs each = {mine} APIs", apis.len()),
                    _ => format!("{mine} APIs"),
                };
                let before = expanded_apis - mine;
                let with = if before > 0 {
                    format!(", {expanded_apis} with the services before it")
                } else {
                    String::new()
                };
                c.fail(
                    format!("{path}.apis"),
                    format!(
                        "{product}{with}: at most {MAX_EXPANDED_APIS} APIs across the backend (each service keeps its own list); use fewer APIs or a smaller count"
                    ),
                );
            }
        }
        if too_many_apis {
            continue;
        }
        for name in names {
            if let Some(prev) = seen.insert(name.clone(), i) {
                c.fail(
                    format!("{path}.name"),
                    format!("service `{name}` is already defined by backend.services[{prev}]"),
                );
            }
            if let (Some(st), Some(ov)) = (&service_time, &overload) {
                out.push(ServiceSpec {
                    index: out.len(),
                    name,
                    group: s.name.clone(),
                    entry: i,
                    apis: apis.clone(),
                    weight: s.weight,
                    workers: s.workers,
                    service_time: st.clone(),
                    api_service_time: api_service_time.clone(),
                    api_weight: api_weight.clone(),
                    overload: ov.clone(),
                    faults: faults.clone(),
                    upstream: s.upstream.clone(),
                });
            }
        }
    }
    // A counted group is named in the mix by its name, as a service is by its own: one name
    // for both sent the mix's traffic to the service alone, and the group's to nobody.
    for (i, s) in b.services.iter().enumerate() {
        // `count = 0` is an error of its own (the entry then stands for one service of its name).
        if let (Some(1..), Some(&other)) = (s.count, seen.get(&s.name)) {
            c.fail(
                format!("backend.services[{i}].name"),
                format!(
                    "`{}` names this counted group and the service of backend.services[{other}]: a mix entry (or [gateway.services.{}]) naming it would mean either; rename one",
                    s.name,
                    super::locate::key(&s.name)
                ),
            );
        }
    }
    if out.len() > MAX_SERVICES as usize {
        c.fail(
            "backend.services",
            format!("{} services: at most {MAX_SERVICES} (count included)", out.len()),
        );
    }
    out
}

pub(super) fn list_or_count(apis: &[String]) -> String {
    if apis.len() <= 6 {
        format!("APIs {}", apis.join(", "))
    } else {
        format!("{} APIs ({} .. {})", apis.len(), apis[0], apis[apis.len() - 1])
    }
}

fn check_overload(c: &mut Checker, path: &str, o: &OverloadConfig) -> Option<Overload> {
    let before = c.problems.len();
    match o.mode {
        OverloadMode::Queue => {
            let extra = [("k", o.k.is_some()), ("max_in_flight", o.max_in_flight.is_some())];
            if let Some((key, _)) = extra.iter().find(|(_, set)| *set) {
                c.fail(
                    format!("{path}.{key}"),
                    "`k` and `max_in_flight` apply to mode = \"thrash\" only",
                );
            }
        }
        OverloadMode::Reject => {
            let extra = [
                ("backlog", o.backlog.is_some()),
                ("k", o.k.is_some()),
                ("max_in_flight", o.max_in_flight.is_some()),
            ];
            if let Some((key, _)) = extra.iter().find(|(_, set)| *set) {
                c.fail(format!("{path}.{key}"), "mode = \"reject\" takes no other settings");
            }
        }
        OverloadMode::Thrash => {
            if o.backlog.is_some() {
                c.fail(format!("{path}.backlog"), "`backlog` applies to mode = \"queue\" only");
            }
            if let Some(k) = o.k {
                c.non_negative(format!("{path}.k"), k, "k");
            }
            if let Some(m) = o.max_in_flight {
                c.at_least_one(format!("{path}.max_in_flight"), m);
            }
        }
    }
    if c.problems.len() > before {
        return None;
    }
    Some(match o.mode {
        OverloadMode::Queue => Overload::Queue {
            backlog: o.backlog.unwrap_or(DEFAULT_BACKLOG),
        },
        OverloadMode::Reject => Overload::Reject,
        OverloadMode::Thrash => Overload::Thrash {
            k: o.k.unwrap_or(DEFAULT_THRASH_K),
            max_in_flight: o.max_in_flight,
        },
    })
}

fn check_faults(c: &mut Checker, path: &str, f: &FaultsConfig) -> Faults {
    c.probability(format!("{path}.error_ratio"), f.error_ratio);
    let rate_limit = f.rate_limit.as_ref().map(|r| {
        c.positive_f64(format!("{path}.rate_limit.rate"), r.rate, "a rate");
        c.at_least_one(format!("{path}.rate_limit.burst"), r.burst);
        RateLimitFault {
            rate: r.rate,
            burst: r.burst,
            retry_after: r.retry_after.map(|d| d.0),
        }
    });
    let stalls = f.stalls.as_ref().map(|s| {
        c.positive_dur(format!("{path}.stalls.every"), s.every);
        c.positive_dur(format!("{path}.stalls.duration"), s.duration);
        // A zero period or stall is said above, not again as a stall too long for it.
        if s.duration >= s.every && !s.every.is_zero() && !s.duration.is_zero() {
            c.fail(
                format!("{path}.stalls.duration"),
                format!(
                    "expected a stall shorter than its period ({}), got {}",
                    s.every, s.duration
                ),
            );
        }
        Stalls {
            every: s.every.0,
            duration: s.duration.0,
            offset: s.offset.map_or(s.every.0.saturating_sub(s.duration.0), |d| d.0),
        }
    });
    let outages = f
        .outages
        .iter()
        .enumerate()
        .map(|(i, o)| {
            c.positive_dur(format!("{path}.outages[{i}].duration"), o.duration);
            let start = Time::from_duration(o.at.0);
            Outage {
                start,
                end: start + o.duration.0,
                retry_after: o.retry_after.map(|d| d.0),
                kind: o.kind,
            }
        })
        .collect();
    let slowdown = f.slowdown.as_ref().map(|s| {
        c.positive_f64(format!("{path}.slowdown.above_rate"), s.above_rate, "a rate");
        if !(s.factor.is_finite() && s.factor >= 1.0) {
            c.fail(
                format!("{path}.slowdown.factor"),
                format!("expected a factor >= 1, got {}", s.factor),
            );
        }
        c.positive_dur(format!("{path}.slowdown.window"), s.window);
        Slowdown {
            above_rate: s.above_rate,
            factor: s.factor,
            window: s.window.0,
        }
    });
    Faults {
        error_ratio: f.error_ratio,
        rate_limit,
        stalls,
        outages,
        slowdown,
    }
}
