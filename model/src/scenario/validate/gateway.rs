//! Checks of `[gateway]`: its strategies' settings, shared and per service, and the auth keys it
//! takes.

use super::clients::{check_service_table, key_problem};
use super::Checker;
use crate::duration::Dur;
use crate::scenario::{GatewayConfig, ServiceSpec, Strategy};
use std::collections::HashMap;

/// `[gateway.services.NAME]`: a service or group of the backend, with what its strategy takes.
pub(super) fn check_gateway_services(c: &mut Checker, g: &GatewayConfig, services: &[ServiceSpec]) {
    for (name, o) in &g.services {
        let path = format!("gateway.services.{}", super::locate::key(name));
        check_service_table(c, &path, name, services);
        if let Some(n) = o.concurrency {
            c.at_least_one(format!("{path}.concurrency"), n);
            if g.strategy == Strategy::Passthrough {
                c.fail(
                    format!("{path}.concurrency"),
                    "strategy \"passthrough\" has no concurrency limit: remove `concurrency` or pick another strategy",
                );
            }
        }
        if let Some(q) = o.queue_capacity {
            c.at_least_one(format!("{path}.queue_capacity"), q);
            if matches!(g.strategy, Strategy::Fifo | Strategy::Passthrough) {
                c.fail(
                    format!("{path}.queue_capacity"),
                    format!(
                        "strategy \"{}\" has no queue bound (unbounded by design): use strategy = \"bounded\"",
                        g.strategy.as_str()
                    ),
                );
            }
        }
        if let Some(d) = o.queue_timeout {
            check_queue_timeout(c, format!("{path}.queue_timeout"), d, g.strategy);
        }
    }
}

/// A `queue_timeout`, shared or a service's own: positive, and only where requests queue.
fn check_queue_timeout(c: &mut Checker, path: String, d: Dur, strategy: Strategy) {
    c.positive_dur(path.clone(), d);
    if strategy == Strategy::Passthrough {
        c.fail(
            path,
            "strategy \"passthrough\" queues nothing, so no request waits long enough to time out: remove `queue_timeout` or pick a queueing strategy",
        );
    }
}

pub(super) fn check_gateway(c: &mut Checker, g: &GatewayConfig, services: &[ServiceSpec]) {
    if let Some(n) = g.concurrency {
        c.at_least_one("gateway.concurrency".into(), n);
        if g.strategy == Strategy::Passthrough {
            c.fail(
                "gateway.concurrency",
                "strategy \"passthrough\" has no concurrency limit: remove `concurrency` or pick another strategy",
            );
        }
    }
    match (g.strategy, g.queue_capacity) {
        (Strategy::Fifo | Strategy::Passthrough, Some(_)) => c.fail(
            "gateway.queue_capacity",
            format!(
                "strategy \"{}\" has no queue bound (unbounded by design): use strategy = \"bounded\"",
                g.strategy.as_str()
            ),
        ),
        // Bounds set for every service, in `[gateway.services.NAME]`, are enough.
        (Strategy::Bounded, None)
            if services.is_empty()
                || services
                    .iter()
                    .any(|s| g.for_service(&s.name, &s.group).queue_capacity.is_none()) =>
        {
            c.fail(
                "gateway.queue_capacity",
                "strategy \"bounded\" needs `queue_capacity`, an integer >= 1 (here, or in [gateway.services.NAME] for every service)",
            )
        }
        (_, Some(q)) => c.at_least_one("gateway.queue_capacity".into(), q),
        _ => {}
    }
    if let Some(d) = g.queue_timeout {
        check_queue_timeout(c, "gateway.queue_timeout".into(), d, g.strategy);
    }
    if let Some(d) = g.default_timeout {
        c.positive_dur("gateway.default_timeout".into(), d);
    }
    c.positive_dur("gateway.codel.target".into(), g.codel.target);
    c.positive_dur("gateway.codel.interval".into(), g.codel.interval);
    let a = &g.adaptive;
    c.at_least_one("gateway.adaptive.min_limit".into(), a.min_limit);
    if a.max_limit < a.min_limit {
        c.fail(
            "gateway.adaptive.max_limit",
            format!("expected max_limit >= min_limit ({}), got {}", a.min_limit, a.max_limit),
        );
    }
    if let Some(init) = a.initial_limit {
        if init < a.min_limit || init > a.max_limit {
            c.fail(
                "gateway.adaptive.initial_limit",
                format!("expected a limit in [{}, {}], got {init}", a.min_limit, a.max_limit),
            );
        }
    }
    c.at_least_one("gateway.adaptive.sample_size".into(), a.sample_size);
    c.positive_dur("gateway.adaptive.update_interval".into(), a.update_interval);
    if !(a.tolerance.is_finite() && a.tolerance >= 1.0) {
        c.fail(
            "gateway.adaptive.tolerance",
            format!("expected a tolerance >= 1, got {}", a.tolerance),
        );
    }
    if !(a.backoff_ratio > 0.0 && a.backoff_ratio < 1.0) {
        c.fail(
            "gateway.adaptive.backoff_ratio",
            format!("expected a ratio in (0, 1), got {}", a.backoff_ratio),
        );
    }
    if let Some(p) = &g.priorities {
        c.probability("gateway.priorities.background_share".into(), p.background_share);
        if let Some(n) = p.interactive_capacity {
            c.at_least_one("gateway.priorities.interactive_capacity".into(), n);
        }
        if let Some(n) = p.background_capacity {
            c.at_least_one("gateway.priorities.background_capacity".into(), n);
        }
        // A route is a path prefix: request paths begin with `/`, so one without it never
        // matched and the setting silently did nothing.
        for prefix in p.routes.keys().filter(|r| !r.starts_with('/')) {
            c.fail(
                format!("gateway.priorities.routes.{}", super::locate::key(prefix)),
                format!("a route is a path prefix and begins with `/`: write \"/{prefix}\""),
            );
        }
    }
    if let Some(r) = &g.rate_limit {
        c.positive_f64("gateway.rate_limit.rate".into(), r.rate, "a rate");
        c.at_least_one("gateway.rate_limit.burst".into(), r.burst);
    }
    if let Some(a) = &g.auth {
        if a.keys.is_empty() {
            c.fail("gateway.auth.keys", "expected at least one key");
        }
        let mut first: HashMap<&str, usize> = HashMap::new();
        for (i, k) in a.keys.iter().enumerate() {
            let path = format!("gateway.auth.keys[{i}]");
            if k.trim().is_empty() {
                c.fail(path, "expected a non-empty key");
                continue;
            }
            if let Some(why) = key_problem(k, true) {
                c.fail(path.clone(), why);
            }
            let j = *first.entry(k).or_insert(i);
            if j != i {
                c.fail(
                    path,
                    format!("the same key as gateway.auth.keys[{j}]: list each key once"),
                );
            }
        }
    }
    if g.pushback.default_pause > g.pushback.max_pause {
        c.fail(
            "gateway.pushback.default_pause",
            format!(
                "expected at most max_pause ({}), got {}",
                g.pushback.max_pause, g.pushback.default_pause
            ),
        );
    }
    c.positive_dur("gateway.connect_timeout".into(), g.connect_timeout);
    c.positive_dur("gateway.upstream_timeout".into(), g.upstream_timeout);
    c.at_least_one("gateway.retries.max_attempts".into(), g.retries.max_attempts);
    c.non_negative("gateway.retries.budget_ratio".into(), g.retries.budget_ratio, "a ratio");
    c.non_negative("gateway.retries.min_per_sec".into(), g.retries.min_per_sec, "a rate");
}
