//! The one-screen summary of `spillway scenario check`: capacity per service, offered load per
//! phase and the utilisation it implies, so an overloading phase is visible at a glance.

use super::file::{Backoff, Jitter};
use super::spec::Scenario;
use crate::duration::{format_duration, format_fixed, format_number};
use std::fmt::Write as _;

/// The gateway's cap on a service's requests in service at once, if any: a fixed strategy's
/// `concurrency`, or adaptive's `max_limit` (the limit moves, but never above it).
pub fn gateway_limit(s: &Scenario, service: usize) -> Option<u32> {
    use super::Strategy;
    let svc = &s.services[service];
    let g = s.file.gateway.for_service(&svc.name, &svc.group);
    match g.strategy {
        Strategy::Passthrough => None,
        Strategy::Adaptive => Some(g.adaptive.max_limit),
        _ => g.concurrency,
    }
}

/// The requests a service can have in service at once: its workers, or fewer when the gateway's
/// limit ([`gateway_limit`]) is lower.
pub fn slots(s: &Scenario, service: usize) -> u32 {
    let workers = s.services[service].workers;
    gateway_limit(s, service).map_or(workers, |c| workers.min(c.max(1)))
}

/// Offered work per service at `rate` intents/s, as utilisation of the requests it can serve at
/// once ([`slots`]: its workers, or the gateway's lower concurrency limit); 1.0 = saturated.
pub fn utilisation_at(s: &Scenario, rate: f64) -> Vec<f64> {
    let total: f64 = s.mix.iter().map(|m| m.weight).sum();
    let mut work = vec![0.0; s.services.len()];
    for m in &s.mix {
        let svc = &s.services[m.service];
        let mean = match m.api {
            Some(a) => svc.distribution(a).mean(),
            None => svc.mean_service_time(),
        };
        work[m.service] += rate * m.weight / total * mean;
    }
    work.iter()
        .enumerate()
        .map(|(i, w)| w / f64::from(slots(s, i)))
        .collect()
}

/// [`utilisation_at`] at a phase's peak rate, its extra traffic on the services it is aimed at
/// (the rest of the rate follows the workload's mix).
pub fn phase_utilisation(s: &Scenario, p: &super::Phase) -> Vec<f64> {
    let extra = p.extra_rate();
    let mut util = utilisation_at(s, (p.rate_start.max(p.rate_end) - extra).max(0.0));
    for m in &p.extra {
        let svc = &s.services[m.service];
        let mean = match m.api {
            Some(a) => svc.distribution(a).mean(),
            None => svc.mean_service_time(),
        };
        util[m.service] += m.weight * mean / f64::from(slots(s, m.service));
    }
    util
}

/// Each service's offered intents per second at a phase's peak rate: its share of the mix,
/// plus the extra traffic aimed at it.
pub fn phase_rates(s: &Scenario, p: &super::Phase) -> Vec<f64> {
    let extra = p.extra_rate();
    let rate = (p.rate_start.max(p.rate_end) - extra).max(0.0);
    let total: f64 = s.mix.iter().map(|m| m.weight).sum();
    let mut rates = vec![0.0; s.services.len()];
    if total > 0.0 {
        for m in &s.mix {
            rates[m.service] += rate * m.weight / total;
        }
    }
    for m in &p.extra {
        rates[m.service] += m.weight;
    }
    rates
}

/// "; over rate limits: partner 90/s vs 50/s" for a phase that offers a service more than its
/// `faults.rate_limit` (or the gateway more than `[gateway.rate_limit]`): utilisation alone read
/// 29% for a batch of 90/s against a partner that answers 429 past 50/s.
fn rate_limit_text(s: &Scenario, p: &super::Phase) -> String {
    let rates = phase_rates(s, p);
    let mut over: Vec<String> = s
        .services
        .iter()
        .zip(&rates)
        .filter_map(|(svc, r)| {
            let limit = svc.faults.rate_limit.as_ref()?.rate;
            (*r > limit).then(|| format!("{} {}/s vs {}/s", svc.name, fmt_rate(*r), fmt_rate(limit)))
        })
        .collect();
    let peak = p.rate_start.max(p.rate_end);
    if let Some(g) = s.file.gateway.rate_limit.as_ref().filter(|g| peak > g.rate) {
        over.push(format!("gateway {}/s vs {}/s", fmt_rate(peak), fmt_rate(g.rate)));
    }
    if over.is_empty() {
        String::new()
    } else {
        format!("; over rate limits (429s): {}", shorten_list(&over))
    }
}

/// "; of it extra 150/s to fortran-2" for a phase with extra traffic, by service (and class) in file
/// order; empty without.
fn extra_text(s: &Scenario, p: &super::Phase) -> String {
    if p.extra.is_empty() {
        return String::new();
    }
    let mut by_service: Vec<(usize, super::Priority, f64)> = Vec::new();
    for m in &p.extra {
        match by_service
            .iter_mut()
            .find(|(i, c, _)| *i == m.service && *c == m.priority)
        {
            Some((_, _, r)) => *r += m.weight,
            None => by_service.push((m.service, m.priority, m.weight)),
        }
    }
    let parts: Vec<String> = by_service
        .iter()
        .map(|(i, class, r)| {
            let class = match class {
                super::Priority::Interactive => "",
                super::Priority::Background => " (background)",
            };
            format!("{}/s to {}{class}", fmt_rate(*r), s.services[*i].name)
        })
        .collect();
    format!("; of it extra {}", shorten_list(&parts))
}

/// A rate as written: whole numbers without decimals, small ones to two significant digits
/// (0.04/s is not 0.0/s).
fn fmt_rate(r: f64) -> String {
    // Past everyday magnitudes in scientific notation: 1e-300 read 0.000000000000.
    if r.abs() >= 1e16 || (r != 0.0 && r.abs() < 1e-5) {
        format_number(r)
    } else if r.fract() == 0.0 && r.abs() < 1e15 {
        format!("{r:.0}")
    } else if r >= 10.0 {
        format!("{r:.1}")
    } else {
        let decimals = (1.0 - r.log10().floor()).clamp(1.0, 12.0) as usize;
        format!("{r:.decimals$}")
    }
}

/// A service's faults in one line; empty without any.
fn faults_text(f: &super::Faults) -> String {
    let secs = |d: std::time::Duration| {
        let x = d.as_secs_f64();
        if x.fract() == 0.0 {
            format!("{x:.0}s")
        } else {
            format!("{x}s")
        }
    };
    let at = |t: crate::time::Time| secs(t.saturating_since(crate::time::Time::ZERO));
    let mut parts = Vec::new();
    for o in &f.outages {
        parts.push(match o.kind {
            super::OutageKind::Hang => format!("hangs {}-{}", at(o.start), at(o.end)),
            super::OutageKind::Reject => format!("down {}-{} (answers 503 at once)", at(o.start), at(o.end)),
        });
    }
    if let Some(r) = &f.rate_limit {
        parts.push(format!("429 past {}/s (burst {})", format_number(r.rate), r.burst));
    }
    if f.error_ratio > 0.0 {
        parts.push(format!("{:.1}% errors", f.error_ratio * 100.0));
    }
    if let Some(st) = &f.stalls {
        parts.push(format!("stalls {} every {}", secs(st.duration), secs(st.every)));
    }
    if let Some(sl) = &f.slowdown {
        parts.push(format!(
            "{}x slower above {}/s",
            format_number(sl.factor),
            format_number(sl.above_rate)
        ));
    }
    parts.join("; ")
}

fn ms(secs: f64) -> String {
    if secs >= 1.0 {
        format!("{secs:.2}s")
    } else {
        format!("{:.1}ms", secs * 1e3)
    }
}

fn overload_text(o: &super::spec::Overload) -> String {
    match o {
        super::spec::Overload::Queue { backlog } => format!("backlog of {backlog}, then 503"),
        super::spec::Overload::Reject => "503 when all workers are busy".into(),
        super::spec::Overload::Thrash { k, max_in_flight } => {
            let cap = max_in_flight.map_or(String::new(), |m| format!(", 503 past {m} in flight"));
            format!("thrash: x(1 + {k} x excess){cap}")
        }
    }
}

/// The first few items of a list, and how many more.
fn shorten_list(items: &[String]) -> String {
    const SHOWN: usize = 6;
    if items.len() <= SHOWN {
        items.join(", ")
    } else {
        format!("{} and {} more", items[..SHOWN].join(", "), items.len() - SHOWN)
    }
}

/// Renders the summary text.
pub fn check_summary(s: &Scenario) -> String {
    let mut o = run_line(s, "");
    let f = &s.file;
    if let Some(d) = &f.run.description {
        let _ = writeln!(o, "  {}", d.trim());
    }
    let _ = writeln!(o, "\nbackend: {} service(s)", s.services.len());
    // Identical expanded services (count = N) are shown once.
    let mut rows = Vec::new();
    let mut i = 0;
    while i < s.services.len() {
        let svc = &s.services[i];
        let mut j = i + 1;
        while j < s.services.len()
            && s.services[j].group == svc.group
            && s.services[j].workers == svc.workers
            && s.services[j].service_time == svc.service_time
            && s.service_mean_time(j) == s.service_mean_time(i)
        {
            j += 1;
        }
        let label = if j - i > 1 {
            format!("{} .. {}", svc.name, s.services[j - 1].name)
        } else {
            svc.name.clone()
        };
        rows.push((i, j, label));
        i = j;
    }
    let w = rows
        .iter()
        .map(|(_, _, l)| l.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(24, 200);
    let _ = writeln!(
        o,
        "  {:<w$} {:>5} {:>8} {:>9} {:>11}  overload",
        "service", "apis", "workers", "mean svc", "capacity/s"
    );
    for (shown, (i, j, label)) in rows.iter().enumerate() {
        if shown >= 12 {
            let _ = writeln!(o, "  ... and {} more", s.services.len() - i);
            break;
        }
        let svc = &s.services[*i];
        let each = if j - i > 1 { " each" } else { "" };
        let _ = writeln!(
            o,
            "  {:<w$} {:>5} {:>8} {:>9} {:>11}  {}{each}",
            label,
            svc.apis.len(),
            svc.workers,
            ms(s.service_mean_time(*i)),
            format_fixed(s.service_capacity(*i), 1),
            overload_text(&svc.overload)
        );
    }
    // A gateway limit below a service's workers is its capacity through the gateway; one above
    // lets requests queue inside the backend, where the gateway's strategy cannot drop them.
    // (An adaptive limit above the workers is its default ceiling, not a setting to warn of.)
    let adaptive = f.gateway.strategy == super::Strategy::Adaptive;
    let (mut below, mut above) = (Vec::new(), Vec::new());
    // Each service's capacity through the gateway: a limit below its workers caps it.
    let mut through: f64 = 0.0;
    for (i, x) in s.services.iter().enumerate() {
        through += match gateway_limit(s, i) {
            Some(c) if c < x.workers => f64::from(c) / s.service_mean_time(i),
            _ => s.service_capacity(i),
        };
    }
    for (i, x) in s.services.iter().enumerate() {
        let Some(c) = gateway_limit(s, i) else {
            continue;
        };
        if c < x.workers {
            below.push(format!(
                "{} ({c} of {}: {}/s)",
                x.name,
                x.workers,
                format_fixed(f64::from(c) / s.service_mean_time(i), 1)
            ));
        } else if c > x.workers && !adaptive {
            above.push(format!("{} ({c} for {})", x.name, x.workers));
        }
    }
    if !below.is_empty() {
        let _ = writeln!(
            o,
            "  the gateway's {} is below the workers of {}: their capacity through the gateway (utilisation below uses it)",
            if adaptive { "adaptive max_limit" } else { "concurrency limit" },
            shorten_list(&below)
        );
    }
    if !above.is_empty() {
        let _ = writeln!(
            o,
            "  the gateway's concurrency limit is above the workers of {}: the excess queues inside the backend, out of the gateway strategy's reach",
            shorten_list(&above)
        );
    }
    // Faults change capacity over time: an outage or a rate limit is an overload the
    // utilisation figures below do not show.
    let mut faulty: Vec<(&str, String)> = Vec::new();
    for svc in &s.services {
        let text = faults_text(&svc.faults);
        if !text.is_empty() && !faulty.iter().any(|(g, _)| *g == svc.group) {
            faulty.push((&svc.group, text));
        }
    }
    if !faulty.is_empty() {
        let _ = writeln!(o, "  faults:");
        for (group, text) in faulty {
            let _ = writeln!(o, "    {group:<22} {text}");
        }
    }
    let total_cap: f64 = (0..s.services.len()).map(|i| s.service_capacity(i)).sum();
    if below.is_empty() {
        let _ = writeln!(
            o,
            "  total capacity {} req/s (if the mix matched the capacities exactly)",
            format_fixed(total_cap, 1)
        );
    } else {
        let _ = writeln!(
            o,
            "  total capacity {} req/s through the gateway, {} of the workers alone (if the mix matched the capacities exactly)",
            format_fixed(through, 1),
            format_fixed(total_cap, 1)
        );
    }

    o.push_str(&workload_header(s));
    o.push_str(&phase_table(s, true));

    o.push_str(&clients_text(s));
    o.push_str(&gateway_text(s));
    o.push_str(&thresholds_line(s));
    for w in s.warnings() {
        let _ = writeln!(o, "\nnote: {w}");
    }
    o
}

/// The clients' lines of [`check_summary`]: timeout and retries, and what loadgen sends.
fn clients_text(s: &Scenario) -> String {
    let mut o = String::new();
    let f = &s.file;
    let c = &f.clients;
    let retry = &c.retry;
    let retries = if retry.max_attempts <= 1 {
        "no retries".to_string()
    } else {
        let backoff = match retry.backoff {
            Backoff::None => "immediately".to_string(),
            Backoff::Fixed => format!("after {}", retry.base),
            Backoff::Exponential => format!("exponential backoff {} .. {}", retry.base, retry.cap),
        };
        let jitter = if retry.jitter == Jitter::None {
            String::new()
        } else {
            format!(", {:?} jitter", retry.jitter).to_lowercase()
        };
        let budget = retry.budget.as_ref().map_or(String::new(), |b| {
            // A ratio past f64::MAX / 100 (no budget, in effect) is no percentage: `inf%`.
            let share = match b.ratio * 100.0 {
                p if p.is_finite() => format!("{}%", format_fixed(p, 0)),
                _ => format!("{}x", format_number(b.ratio)),
            };
            format!(", budget {share} + {}/s", format_number(b.min_per_sec))
        });
        format!("up to {} attempts, {backoff}{jitter}{budget}", retry.max_attempts)
    };
    let text = |t: &crate::dist::DistSpec| match t {
        crate::dist::DistSpec::Constant(d) => d.to_string(),
        other => format!("{} mean", ms(other.resolve().map_or(0.0, |d| d.mean()))),
    };
    let timeout = text(&c.timeout);
    // Each service's (or group's) own timeout, where it differs from the clients-wide one.
    let own: Vec<String> = c
        .services
        .iter()
        .filter_map(|(name, x)| {
            x.timeout
                .as_ref()
                .filter(|t| **t != c.timeout)
                .map(|t| format!("{name} {}", text(t)))
        })
        .collect();
    let timeout = if own.is_empty() {
        timeout
    } else {
        format!("{timeout} (per service: {})", shorten_list(&own))
    };
    let _ = writeln!(o, "\nclients: timeout {timeout}, {retries}");
    // What loadgen sends, when a file says more than a bodiless GET (the simulator ignores it).
    let own: Vec<&str> = f
        .backend
        .services
        .iter()
        .filter(|e| !e.request.is_empty())
        .map(|e| e.name.as_str())
        .collect();
    if !c.request.is_empty() || !own.is_empty() {
        let wide = s.request_text();
        let own = if own.is_empty() {
            String::new()
        } else {
            format!(
                "; their own: {}",
                shorten_list(&own.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            )
        };
        let _ = writeln!(o, "requests (loadgen only): {wide}{own}");
    }
    o
}

/// The gateway's lines of [`check_summary`]: strategy, limits, and what it does beside them.
fn gateway_text(s: &Scenario) -> String {
    let mut o = String::new();
    let f = &s.file;
    let g = &f.gateway;
    let conc = match (g.strategy, g.concurrency) {
        (crate::scenario::Strategy::Passthrough, _) => "unlimited, no queue".to_string(),
        (_, None) => "workers of each service".to_string(),
        (_, Some(n)) => n.to_string(),
    };
    let cap = g
        .queue_capacity
        .map_or(String::new(), |q| format!(", queue capacity {q}"));
    let cap = match g.queue_timeout {
        Some(t) => format!("{cap}, queue timeout {t}"),
        None => cap,
    };
    let mut named: Vec<_> = g.services.iter().collect();
    named.sort_by(|a, b| crate::results::natural_order(a.0, b.0));
    let own: Vec<String> = named
        .into_iter()
        .filter_map(|(name, x)| {
            let parts: Vec<String> = [
                x.concurrency.map(|c| format!("concurrency {c}")),
                x.queue_capacity.map(|q| format!("queue capacity {q}")),
                x.queue_timeout.map(|t| format!("queue timeout {t}")),
            ]
            .into_iter()
            .flatten()
            .collect();
            // Parenthesised: a service's items read as its own, not the next service's. An
            // empty table of a service's sets nothing.
            (!parts.is_empty()).then(|| format!("{name} ({})", parts.join(", ")))
        })
        .collect();
    // Last on the line: the items before it are the gateway's, not the last service's.
    let own = if own.is_empty() {
        String::new()
    } else {
        format!("; per service: {}", shorten_list(&own))
    };
    let estimate = match (g.strategy, g.deadline_estimate) {
        (crate::scenario::Strategy::Deadline, super::file::DeadlineEstimate::Api) => {
            ", service times predicted per API"
        }
        (crate::scenario::Strategy::Deadline, super::file::DeadlineEstimate::Service) => {
            ", service times predicted per service"
        }
        _ => "",
    };
    let _ = writeln!(
        o,
        "gateway: strategy {}{estimate}, concurrency {conc}{cap}, abandoned requests: {}{own}",
        g.strategy.as_str(),
        g.abandon.as_str()
    );
    let front = gateway_also(g);
    if !front.is_empty() {
        let _ = writeln!(o, "gateway also: {}", front.join("; "));
    }
    o
}

/// What the gateway does before and beside its strategy (rate limit, auth, priorities, gateway
/// retries), one item each: [`check_summary`]'s "gateway also" line, and the live gateway's at
/// start-up. A rate limit below the offered load answers 429s a run would otherwise blame on
/// the backend; auth answers 401s.
pub fn gateway_also(g: &super::GatewayConfig) -> Vec<String> {
    let mut front = Vec::new();
    if let Some(r) = &g.rate_limit {
        let per = match r.per {
            super::file::RateLimitKey::Client => "per client",
            super::file::RateLimitKey::Global => "for all clients",
        };
        front.push(format!(
            "rate limit {}/s {per} (burst {}), 429 past it",
            format_number(r.rate),
            r.burst
        ));
    }
    if let Some(a) = &g.auth {
        front.push(format!("auth: {} key(s), 401 without one", a.keys.len()));
    }
    if g.priorities.is_some() && g.strategy == super::file::Strategy::Passthrough {
        // Classes still tag requests (results per class); the class queues and their bounds,
        // which the line below lists, are never used (a note says so of set bounds).
        front.push("priorities: classes for results only (passthrough queues nothing)".to_string());
    } else if let Some(p) = &g.priorities {
        // Unset, a class's queue takes the gateway's bound (the default's too), as the policy
        // does: it read "unbounded" under a bounded strategy.
        let whole = crate::gateway::queue_bound(g);
        let cap = |c: Option<u32>| c.or(whole).map_or("unbounded".to_string(), |c| c.to_string());
        front.push(format!(
            "priorities: interactive queue {}, background queue {}, background share {}",
            cap(p.interactive_capacity),
            cap(p.background_capacity),
            format_number(p.background_share)
        ));
    }
    if g.retries.enabled {
        front.push(format!(
            "gateway retries: up to {} attempts, budget {} of requests (at least {}/s)",
            g.retries.max_attempts,
            format_number(g.retries.budget_ratio),
            format_number(g.retries.min_per_sec)
        ));
    }
    front
}

/// What `scenario check --for gateway` prints of a file read as `gateway --config` reads it
/// ([`super::load_for_gateway`]): its services' upstreams and the gateway, not the capacity and
/// load figures of a run, which such a file need not describe.
pub fn gateway_file_summary(read: &super::GatewayFile) -> String {
    let s = &read.scenario;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "gateway configuration {} ({}): valid for `spillway gateway --config`",
        s.name(),
        s.source
    );
    let _ = writeln!(o, "\nservices: {}", s.services.len());
    let w = s
        .services
        .iter()
        .map(|x| x.name.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(12, 80);
    for (shown, x) in s.services.iter().enumerate() {
        if shown >= 24 {
            let _ = writeln!(o, "  ... and {} more", s.services.len() - shown);
            break;
        }
        let upstream = x.upstream.as_deref().map_or_else(
            || "no upstream: the gateway then needs --upstream URL (every service to one address)".to_string(),
            |u| format!("upstream {u}"),
        );
        let _ = writeln!(o, "  {:<w$} workers {:>4}   {upstream}", x.name, x.workers);
    }
    o.push('\n');
    o.push_str(&gateway_text(s));
    if !read.workload_given {
        let _ = writeln!(
            o,
            "\nnote: no [workload]: the gateway needs none; `sim run` and `loadgen run` of this file would (`scenario check` without --for checks a file for them)"
        );
    }
    if !read.service_times_given && s.file.gateway.queue_capacity.is_none() {
        let _ = writeln!(
            o,
            "\nnote: not every service gives its service_time: the gateway needs none, but `gateway --strategy bounded` cannot size a queue bound without them (give --queue-capacity N, or gateway.queue_capacity)"
        );
    }
    for w in gateway_notes(s, &read.placeholders) {
        let _ = writeln!(o, "\nnote: {w}");
    }
    o
}

/// The notes ([`super::Scenario::warnings_with`]) of what the gateway reads: its own table and
/// the services'. Not those of the load, nor the one of credentials the clients lack for the
/// gateway's auth, which a file for the gateway need not describe. What `scenario check --for
/// gateway` prints, and `gateway --scenario` logs as it starts.
pub fn gateway_notes(s: &Scenario, placeholders: &[super::ServiceKeys]) -> Vec<String> {
    s.warnings_with(placeholders)
        .into_iter()
        .filter(|w| (w.starts_with("gateway") || w.starts_with("backend")) && !w.contains("[clients.credentials]"))
        .collect()
}

/// What `scenario check --for target` prints of a file read as `loadgen run --target` reads it
/// ([`super::load_for_loadgen`]): the load and the clients, and no capacity or utilisation,
/// which the target's own services set and the file need not give.
pub fn target_file_summary(read: &super::PartialFile) -> String {
    let s = &read.scenario;
    let mut o = run_line(s, "valid for `spillway loadgen run --target URL`: ");
    let names: Vec<String> = s
        .services
        .iter()
        .map(|x| {
            format!(
                "{} ({} api{})",
                x.name,
                x.apis.len(),
                if x.apis.len() == 1 { "" } else { "s" }
            )
        })
        .collect();
    let _ = writeln!(o, "\nservices (paths on the target): {}", shorten_list(&names));
    o.push_str(&workload_header(s));
    o.push_str(&phase_table(s, false));
    o.push_str(&clients_text(s));
    o.push_str(&thresholds_line(s));
    let left_out = read.left_out();
    if !left_out.is_empty() {
        let _ = writeln!(
            o,
            "\nnote: left out by {}: not needed against --target, whose own services serve the requests (`sim run` and a run without --target need them)",
            shorten_list(&left_out)
        );
    }
    for w in s.warnings_with(&read.placeholders) {
        let _ = writeln!(o, "\nnote: {w}");
    }
    o
}

/// The workload's first line: a closed loop's users, or the arrivals and their phases.
fn workload_header(s: &Scenario) -> String {
    let f = &s.file;
    match &f.workload.closed {
        Some(c) => format!("\nworkload: closed loop, {} users\n", c.users),
        None => format!(
            "\nworkload: {} arrivals, {} phase(s)\n",
            format!("{:?}", f.workload.arrival).to_lowercase(),
            s.phases.len()
        ),
    }
}

/// The phases as a table: start, length and rate, one unit down the time columns, and with
/// `utilisation` the busiest service at each phase's peak (not for a file whose services'
/// capacity is a placeholder). Empty for a closed loop.
fn phase_table(s: &Scenario, utilisation: bool) -> String {
    let mut o = String::new();
    if s.file.workload.closed.is_none() {
        let label = |p: &crate::scenario::Phase| {
            if p.trigger {
                format!("{} [trigger]", p.name)
            } else {
                p.name.clone()
            }
        };
        // The phase column fits the longest name, so the figures stay in their columns.
        let w = s
            .phases
            .iter()
            .map(|p| label(p).chars().count())
            .max()
            .unwrap_or(0)
            .clamp(18, 200);
        let busiest_head = if utilisation {
            "  busiest service at peak rate (and the others over capacity)"
        } else {
            ""
        };
        let _ = writeln!(
            o,
            "  {:<w$} {:>8} {:>8} {:>14}{busiest_head}",
            "phase", "start", "length", "intents/s"
        );
        // One unit down the columns (`1m` over `80s` read like different scales): whole seconds
        // when every time is one and short enough to read so, else the file's own notation.
        let times = s
            .phases
            .iter()
            .flat_map(|p| [p.start.saturating_since(crate::time::Time::ZERO), p.duration()]);
        let in_seconds = times.clone().all(|d| d.subsec_nanos() == 0 && d.as_secs() < 1000);
        let time = |d: std::time::Duration| {
            if in_seconds {
                format!("{}s", d.as_secs())
            } else {
                format_duration(d)
            }
        };
        for p in &s.phases {
            let util = phase_utilisation(s, p);
            let (k, u) = util
                .iter()
                .enumerate()
                .fold((0, 0.0), |acc, (k, u)| if *u > acc.1 { (k, *u) } else { acc });
            let mut others: Vec<(usize, f64)> = util
                .iter()
                .copied()
                .enumerate()
                .filter(|&(i, x)| i != k && x >= 1.0)
                .collect();
            others.sort_by(|a, b| b.1.total_cmp(&a.1));
            let others: Vec<String> = others
                .iter()
                .map(|(i, x)| format!("{} {}%", s.services[*i].name, format_fixed(x * 100.0, 0)))
                .collect();
            let others = if others.is_empty() {
                String::new()
            } else {
                format!("; also over: {}", shorten_list(&others))
            };
            let rate = if (p.rate_start - p.rate_end).abs() > f64::EPSILON {
                format!("{} -> {}", format_fixed(p.rate_start, 0), format_fixed(p.rate_end, 0))
            } else {
                format_fixed(p.rate_start, 1)
            };
            let flag = if u >= 1.0 { "  OVERLOAD" } else { "" };
            let others = others + &extra_text(s, p) + &rate_limit_text(s, p);
            let name = label(p);
            let busiest = if s.services.is_empty() || !utilisation {
                String::new()
            } else {
                format!(
                    "  {} at {}% utilisation{flag}{others}",
                    s.services[k].name,
                    format_fixed(u * 100.0, 0)
                )
            };
            let _ = writeln!(
                o,
                "  {:<w$} {:>8} {:>8} {:>14}{}",
                name,
                time(p.start.saturating_since(crate::time::Time::ZERO)),
                time(p.duration()),
                rate,
                busiest
            );
        }
        if utilisation && s.services.len() > 1 {
            o.push_str(&service_utilisation_table(s));
        }
    }

    o
}

/// Services shown at most in [`service_utilisation_table`]: the busiest, beyond it.
const SERVICES_SHOWN: usize = 20;

/// Each service's utilisation at each phase's peak rate: the phase table names only the
/// busiest (and those over capacity), and with ten services a team could not see which others
/// were near it. The busiest [`SERVICES_SHOWN`] by their peak, in the file's order.
fn service_utilisation_table(s: &Scenario) -> String {
    let by_phase: Vec<Vec<f64>> = s.phases.iter().map(|p| phase_utilisation(s, p)).collect();
    let peak = |i: usize| by_phase.iter().map(|u| u[i]).fold(0.0, f64::max);
    let mut shown: Vec<usize> = (0..s.services.len()).collect();
    let all = shown.len();
    if all > SERVICES_SHOWN {
        shown.sort_by(|a, b| peak(*b).total_cmp(&peak(*a)));
        shown.truncate(SERVICES_SHOWN);
        shown.sort_unstable();
    }
    let name_w = shown
        .iter()
        .map(|&i| s.services[i].name.chars().count())
        .max()
        .unwrap_or(0)
        .max("service".len());
    let cell = |u: f64| format!("{}%", format_fixed(u * 100.0, 0));
    // As wide as the phase's name, or its widest figure (an absurd rate's `5033772%`).
    let col_w: Vec<usize> = s
        .phases
        .iter()
        .zip(&by_phase)
        .map(|(p, u)| {
            let widest = shown.iter().map(|&i| cell(u[i]).chars().count()).max().unwrap_or(0);
            p.name.chars().count().max(6).max(widest)
        })
        .collect();
    let mut o = String::new();
    let which = if all > SERVICES_SHOWN {
        format!(", the {SERVICES_SHOWN} busiest of {all}")
    } else {
        String::new()
    };
    let _ = writeln!(o, "  utilisation by service at each phase's peak rate{which}:");
    let _ = write!(o, "    {:<name_w$}", "service");
    for (p, w) in s.phases.iter().zip(&col_w) {
        let _ = write!(o, "  {:>w$}", p.name);
    }
    o.push('\n');
    for i in shown {
        let _ = write!(o, "    {:<name_w$}", s.services[i].name);
        for (u, w) in by_phase.iter().zip(&col_w) {
            let _ = write!(o, "  {:>w$}", cell(u[i]));
        }
        o.push('\n');
    }
    o
}

/// The file's thresholds, one line, by their names where they have one; nothing without any.
fn thresholds_line(s: &Scenario) -> String {
    if s.thresholds.is_empty() {
        return String::new();
    }
    let list: Vec<String> = s.thresholds.iter().map(|t| t.label()).collect();
    format!("thresholds: {}\n", list.join("; "))
}

/// A summary's first line: the scenario, its file, and its run (`what` says what the file is
/// valid for, when it is checked for one command).
fn run_line(s: &Scenario, what: &str) -> String {
    let r = &s.file.run;
    format!(
        "scenario {} ({}): {what}seed {}, arrivals for {}, window {}, time scale {}\n",
        s.name(),
        s.source,
        s.seed(),
        format_duration(s.duration),
        r.window,
        r.time_scale
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `check_summary` of a one-service scenario with `service` lines added to the service
    /// and `extra` tables at the end; the notes (worded by validation) left out.
    fn summary(service: &str, extra: &str) -> String {
        let text = format!(
            "[[workload.phases]]\nname = \"normal\"\nduration = \"10s\"\nrate = 20\n[clients]\ntimeout = \"2s\"\n\
             [[backend.services]]\nname = \"legacy\"\nworkers = 4\n{service}\n{extra}\n"
        );
        let s = crate::scenario::parse("t.toml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        check_summary(&s)
            .lines()
            .filter(|l| !l.starts_with("note:"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The longest run of digits in `text`.
    fn longest_digits(text: &str) -> usize {
        text.split(|c: char| !c.is_ascii_digit())
            .map(str::len)
            .max()
            .unwrap_or(0)
    }

    /// Extreme settings printed as 300-digit numbers (a rate of 1e-300 as 300 zeros); they are
    /// shown in scientific notation.
    #[test]
    fn extreme_figures_are_shown_in_scientific_notation() {
        for (service, extra, shown) in [
            (
                "service_time = { dist = \"lognormal\", mu = -700, sigma = 0.001 }",
                "",
                "e304",
            ),
            (
                "service_time = \"20ms\"\n[backend.services.faults]\nslowdown = { above_rate = 1e-300, factor = 1e300, window = \"1s\" }",
                "",
                "1e300x slower above 1e-300/s",
            ),
            (
                "service_time = \"20ms\"\n[backend.services.faults]\nrate_limit = { rate = 1e-300, burst = 1 }",
                "",
                "429 past 1e-300/s",
            ),
            (
                "service_time = \"20ms\"",
                "[gateway.rate_limit]\nrate = 1e-300",
                "rate limit 1e-300/s",
            ),
            (
                "service_time = \"20ms\"",
                "[clients.retry]\nmax_attempts = 3\n[clients.retry.budget]\nratio = 0\nmin_per_sec = 1e300",
                "budget 0% + 1e300/s",
            ),
            (
                "service_time = \"20ms\"",
                "[clients.retry]\nmax_attempts = 3\n[clients.retry.budget]\nratio = 1e308\nmin_per_sec = 1",
                "budget 1e308x + 1/s",
            ),
        ] {
            let text = summary(service, extra);
            assert!(text.contains(shown), "{service} {extra}: no `{shown}` in\n{text}");
            assert!(longest_digits(&text) < 20, "{service} {extra}: a wall of digits in\n{text}");
        }
        // Everyday figures as before.
        let text = summary("service_time = \"20ms\"", "");
        assert!(text.contains("      200.0  backlog"), "{text}");
        assert!(text.contains("total capacity 200.0 req/s"), "{text}");
        assert!(text.contains("           20.0  legacy at 10% utilisation"), "{text}");
    }

    /// A bounded Pareto of a tiny alpha is the log-uniform distribution: its mean is 144.6 ms
    /// for min 1 ms and max 1 s, not 90 ms (alpha 1e-17) or infinite (alpha 1e-20, which
    /// read "capacity 0.0" and "inf% utilisation OVERLOAD").
    #[test]
    fn a_tiny_pareto_alpha_has_the_log_uniform_mean_and_capacity() {
        for alpha in ["1e-17", "1e-20", "1e-300"] {
            let text = summary(
                &format!("service_time = {{ dist = \"pareto\", alpha = {alpha}, min = \"1ms\", max = \"1s\" }}"),
                "",
            );
            assert!(text.contains("144.6ms        27.7"), "alpha {alpha}:\n{text}");
            assert!(text.contains("legacy at 72% utilisation"), "alpha {alpha}:\n{text}");
            assert!(
                !text.contains("inf") && !text.contains("OVERLOAD"),
                "alpha {alpha}:\n{text}"
            );
        }
    }
}
