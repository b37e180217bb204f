//! The one-screen summary of `spillway scenario check`: capacity per service, offered load per
//! phase and the utilisation it implies, so an overloading phase is visible at a glance.

use super::file::{Backoff, Jitter};
use super::spec::Scenario;
use crate::duration::format_duration;
use std::fmt::Write as _;

/// Offered work per service at `rate` intents/s, as utilisation of its workers (1.0 = saturated).
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
        .zip(&s.services)
        .map(|(w, svc)| w / f64::from(svc.workers))
        .collect()
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
        parts.push(format!("429 past {}/s (burst {})", r.rate, r.burst));
    }
    if f.error_ratio > 0.0 {
        parts.push(format!("{:.1}% errors", f.error_ratio * 100.0));
    }
    if let Some(st) = &f.stalls {
        parts.push(format!("stalls {} every {}", secs(st.duration), secs(st.every)));
    }
    if let Some(sl) = &f.slowdown {
        parts.push(format!("{}x slower above {}/s", sl.factor, sl.above_rate));
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

/// Renders the summary text.
pub fn check_summary(s: &Scenario) -> String {
    let mut o = String::new();
    let f = &s.file;
    let _ = writeln!(
        o,
        "scenario {} ({}): seed {}, arrivals for {}, window {}, time scale {}",
        s.name(),
        s.source,
        s.seed(),
        format_duration(s.duration),
        f.run.window,
        f.run.time_scale
    );
    if let Some(d) = &f.run.description {
        let _ = writeln!(o, "  {}", d.trim());
    }
    let _ = writeln!(o, "\nbackend: {} service(s)", s.services.len());
    let _ = writeln!(
        o,
        "  {:<24} {:>5} {:>8} {:>9} {:>11}  overload",
        "service", "apis", "workers", "mean svc", "capacity/s"
    );
    // Identical expanded services (count = N) are shown once.
    let mut shown = 0;
    let mut i = 0;
    while i < s.services.len() {
        let svc = &s.services[i];
        let mut j = i + 1;
        while j < s.services.len()
            && s.services[j].group == svc.group
            && s.services[j].workers == svc.workers
            && s.services[j].service_time == svc.service_time
        {
            j += 1;
        }
        let label = if j - i > 1 {
            format!("{} .. {}", svc.name, s.services[j - 1].name)
        } else {
            svc.name.clone()
        };
        let each = if j - i > 1 { " each" } else { "" };
        let _ = writeln!(
            o,
            "  {:<24} {:>5} {:>8} {:>9} {:>11.1}  {}{each}",
            label,
            svc.apis.len(),
            svc.workers,
            ms(svc.mean_service_time()),
            svc.capacity(),
            overload_text(&svc.overload)
        );
        shown += 1;
        i = j;
        if shown >= 12 && i < s.services.len() {
            let _ = writeln!(o, "  ... and {} more", s.services.len() - i);
            break;
        }
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
    let total_cap: f64 = s.services.iter().map(|x| x.capacity()).sum();
    let _ = writeln!(
        o,
        "  total capacity {total_cap:.1} req/s (if the mix matched the capacities exactly)"
    );

    if let Some(c) = &f.workload.closed {
        let _ = writeln!(o, "\nworkload: closed loop, {} users", c.users);
    } else {
        let _ = writeln!(
            o,
            "\nworkload: {} arrivals, {} phase(s)",
            format!("{:?}", f.workload.arrival).to_lowercase(),
            s.phases.len()
        );
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
            .max(18);
        let _ = writeln!(
            o,
            "  {:<w$} {:>8} {:>8} {:>14}  busiest service at peak rate",
            "phase", "start", "length", "intents/s"
        );
        for p in &s.phases {
            let peak = p.rate_start.max(p.rate_end);
            let util = utilisation_at(s, peak);
            let (k, u) = util
                .iter()
                .enumerate()
                .fold((0, 0.0), |acc, (k, u)| if *u > acc.1 { (k, *u) } else { acc });
            let rate = if (p.rate_start - p.rate_end).abs() > f64::EPSILON {
                format!("{:.0} -> {:.0}", p.rate_start, p.rate_end)
            } else {
                format!("{:.1}", p.rate_start)
            };
            let flag = if u >= 1.0 { "  OVERLOAD" } else { "" };
            let name = label(p);
            let busiest = if s.services.is_empty() {
                String::new()
            } else {
                format!("{} at {:.0}% utilisation{flag}", s.services[k].name, u * 100.0)
            };
            let _ = writeln!(
                o,
                "  {:<w$} {:>8} {:>8} {:>14}  {}",
                name,
                format_duration(p.start.saturating_since(crate::time::Time::ZERO)),
                format_duration(p.duration()),
                rate,
                busiest
            );
        }
    }

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
            format!(", budget {:.0}% + {}/s", b.ratio * 100.0, b.min_per_sec)
        });
        format!("up to {} attempts, {backoff}{jitter}{budget}", retry.max_attempts)
    };
    let timeout = match &c.timeout {
        crate::dist::DistSpec::Constant(d) => d.to_string(),
        other => format!("{} mean", ms(other.resolve().map_or(0.0, |d| d.mean()))),
    };
    let _ = writeln!(o, "\nclients: timeout {timeout}, {retries}");
    let g = &f.gateway;
    let conc = g
        .concurrency
        .map_or("workers of each service".to_string(), |n| n.to_string());
    let cap = g
        .queue_capacity
        .map_or(String::new(), |q| format!(", queue capacity {q}"));
    let _ = writeln!(
        o,
        "gateway: strategy {}, concurrency {conc}{cap}, abandoned requests: {}",
        g.strategy.as_str(),
        format!("{:?}", g.abandon).to_lowercase()
    );
    if !s.thresholds.is_empty() {
        let list: Vec<&str> = s.thresholds.iter().map(|t| t.text.as_str()).collect();
        let _ = writeln!(o, "thresholds: {}", list.join("; "));
    }
    let worst = s
        .phases
        .iter()
        .filter(|p| !p.trigger)
        .map(|p| {
            utilisation_at(s, p.rate_start.max(p.rate_end))
                .into_iter()
                .fold(0.0, f64::max)
        })
        .fold(0.0, f64::max);
    for w in s.warnings() {
        let _ = writeln!(o, "\nnote: {w}");
    }
    if worst >= 1.0 {
        let _ = writeln!(o, "\nnote: a phase not marked as trigger offers more than the backend's capacity ({:.0}%): unless a queue absorbs it within the clients' timeouts, the verdict will be `overloaded`, not metastable (mark the overload `trigger = true` to judge recovery from it)", worst * 100.0);
    }
    o
}
