//! Notes on a valid scenario, said before a run: what the file sets that a run will not use or
//! cannot pass ([`Scenario::warnings`]).

use super::closed_loop::{closed_cycle, CLOSED_FLOOR_S};
use super::in_flight::in_flight_after_arrivals;
use super::timeline::unjudged_recovery;
use crate::scenario::{Abandon, Backoff, Jitter, Scenario, ServiceSpec, Strategy};
use crate::time::Time;
use std::time::Duration;

/// From this share of a service's attempts timing out with no queue (service times longer than
/// the clients' timeout), `scenario check` notes the timeout: a fifth of the attempts lost
/// before any load is a ceiling on goodput worth knowing about before a run.
const TIMEOUT_NOTE_SHARE: f64 = 0.2;

/// A duration in seconds as `scenario check` shows a computed one: in the unit that reads best,
/// at most one decimal (`175.8ms`, `500ms`, `1.5s`), not `175780.873us`.
fn readable_secs(secs: f64) -> String {
    let text = crate::results::fmt_secs(secs);
    let unit = text.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    let number = &text[..text.len() - unit.len()];
    let number = if number.contains('.') {
        number.trim_end_matches('0').trim_end_matches('.')
    } else {
        number
    };
    format!("{number}{unit}")
}

/// A share as a percentage, whole (`62%`), `>99%` short of all and `<1%` short of none.
fn percent(share: f64) -> String {
    match share {
        s if s >= 1.0 => "100%".to_string(),
        s if s > 0.99 => ">99%".to_string(),
        s if s > 0.0 && s < 0.01 => "<1%".to_string(),
        s => format!("{:.0}%", s * 100.0),
    }
}

impl Scenario {
    /// CoDel closes an interval at the first request to leave the queue after it ends, and
    /// that request opens the next interval and is never dropped. When requests leave a
    /// service's queue further apart than `interval` (workers / mean service time, under
    /// load), every request is such a first: CoDel drops nothing, however long the queue.
    /// Said of the service with the widest gap (the others named), not of one whose figures
    /// are placeholders.
    fn codel_interval_note(&self, placeholder: &dyn Fn(&ServiceSpec) -> super::ServiceKeys) -> Option<String> {
        let interval = self.file.gateway.codel.interval.0.as_secs_f64();
        let mut wide: Vec<(f64, usize)> = self
            .services
            .iter()
            .enumerate()
            .filter(|(_, s)| !placeholder(s).any())
            .map(|(i, _)| (1.0 / self.drain_rate(i), i))
            .filter(|(gap, _)| gap.is_finite() && *gap > interval)
            .collect();
        wide.sort_by(|a, b| b.0.total_cmp(&a.0));
        let &(gap, i) = wide.first()?;
        let s = &self.services[i];
        let sg = self.file.gateway.for_service(&s.name, &s.group);
        let sends = sg.concurrency.unwrap_or(s.workers).min(s.workers).max(1);
        let fmt = crate::results::fmt_secs;
        let others: Vec<String> = wide[1..]
            .iter()
            .map(|(_, j)| format!("`{}`", self.services[*j].name))
            .collect();
        let also = match others.len() {
            0 => String::new(),
            1 => format!(" (so is service {}'s)", others[0]),
            _ => format!(" (so are those of services {})", and_list(others)),
        };
        Some(format!(
            "gateway.codel.interval: {}, shorter than the gap between requests leaving service `{}`'s queue under load, about {} ({sends} at a time at a mean service time of {}){also}: each request leaving then closes an interval and opens the next, and the first of an interval is never dropped, so CoDel drops nothing however long the queue{}; set an interval of several such gaps (e.g. \"{}\")",
            crate::duration::format_duration(self.file.gateway.codel.interval.0),
            s.name,
            fmt(gap),
            fmt(self.service_mean_time(i)),
            if self.file.gateway.strategy == Strategy::AdaptiveLifo {
                " (adaptive LIFO still serves newest first)"
            } else {
                ""
            },
            crate::duration::format_duration(Duration::from_millis((gap * 4000.0).ceil().min(1e12) as u64))
        ))
    }

    /// What the file sets that a run of it will not use or cannot pass: valid (a server started
    /// from the file may serve other clients, or longer), but worth saying before a run.
    pub fn warnings(&self) -> Vec<String> {
        self.warnings_with(&[])
    }

    /// [`Scenario::warnings`] of a file read with placeholders ([`super::PartialFile`]):
    /// `placeholders`, by `backend.services` entry, names the keys the file left out, and what
    /// is said of a service's capacity (its workers, how fast it drains a queue) is not said
    /// of a service whose figures are placeholders.
    ///
    /// [`super::PartialFile`]: crate::scenario::PartialFile
    pub fn warnings_with(&self, placeholders: &[super::ServiceKeys]) -> Vec<String> {
        let placeholder = |s: &ServiceSpec| placeholders.get(s.entry).copied().unwrap_or_default();
        let f = &self.file;
        let mut out = Vec::new();
        // A service the mix leaves out gets no traffic and shows in no result: easy to miss
        // in an estate of ten (an empty mix spreads over every service).
        if !f.workload.mix.is_empty() {
            let idle: Vec<&str> = self
                .services
                .iter()
                .filter(|s| {
                    !self.mix.iter().any(|m| m.service == s.index)
                        && !self.phases.iter().any(|p| p.extra.iter().any(|m| m.service == s.index))
                })
                .map(|s| s.name.as_str())
                .collect();
            if !idle.is_empty() {
                out.push(format!(
                    "workload.mix: no entry names {} (nor its group): {} no intents and no results",
                    idle.join(", "),
                    if idle.len() == 1 { "it gets" } else { "they get" }
                ));
            }
        }
        // An outage that sticks out of the trigger phases widens the trigger the verdict judges
        // recovery from: said, so that "recovered in 3s" after a trigger phase that ended 20 s
        // before the outage did is not a surprise.
        if let (Some(phases), Some(span)) = (
            self.phases
                .iter()
                .filter(|p| p.trigger)
                .fold(None, |acc: Option<(Time, Time)>, p| {
                    Some(acc.map_or((p.start, p.end), |(a, b)| (a.min(p.start), b.max(p.end))))
                }),
            self.trigger_span(),
        ) {
            if span != phases {
                let at = |(a, b): (Time, Time)| {
                    crate::duration::format_span(a.saturating_since(Time::ZERO), b.saturating_since(Time::ZERO))
                };
                out.push(format!(
                    "backend.services: an outage overlapping the trigger phases ({}) reaches outside them: the verdict takes the trigger as {}, its baseline before it and recovery from its end (mark the phases the outage covers `trigger = true` to say so in the file)",
                    at(phases),
                    at(span)
                ));
            }
        }
        if let Some(auth) = f.gateway.auth.as_ref().filter(|a| !a.keys.is_empty()) {
            match &f.clients.credentials {
                // A key may come in a request header (authorization or x-api-key), per service.
                None => {
                    let check = crate::gateway::Auth::new(&auth.keys);
                    let refused: Vec<&str> = self
                        .services
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| {
                            let (bearer, api_key) = self.presented_credentials(*i);
                            !check.check(bearer.as_deref(), api_key.as_deref())
                        })
                        .map(|(_, s)| s.name.as_str())
                        .collect();
                    let whom = if refused.len() == self.services.len() {
                        "every request of a run".to_string()
                    } else {
                        format!("the requests to {}", refused.join(", "))
                    };
                    if !refused.is_empty() {
                        out.push(format!(
                            "gateway.auth: the clients present no key it accepts (no [clients.credentials], and no authorization or x-api-key request header with one of gateway.auth.keys), so the gateway answers {whom} 401; add [clients.credentials] with api_key or bearer set to one of gateway.auth.keys"
                        ));
                    }
                }
                Some(cr) => {
                    let bearer = cr.bearer.as_ref().map(|b| format!("Bearer {b}"));
                    if !crate::gateway::Auth::new(&auth.keys).check(bearer.as_deref(), cr.api_key.as_deref()) {
                        let field = if cr.bearer.is_some() { "bearer" } else { "api_key" };
                        out.push(format!(
                            "clients.credentials.{field}: not one of gateway.auth.keys, so the gateway answers every request of a run 401"
                        ));
                    }
                }
            }
        }
        // A timeout shorter than much of the work itself: that share of attempts times out with
        // no queue at all, whatever the gateway does (`--timeout 1ns` was taken without a
        // word). Judged by the share of service times longer than the timeout (its CDF), not
        // by the mean: a right-skewed service (median 50ms, p99 2s: mean 176ms) against a
        // 150ms timeout mostly succeeds. By the field that sets it, listing the services it
        // reaches with their share.
        // (field, the timeout as said, the services it reaches with their share)
        type Reached<'a> = Vec<(&'a str, f64)>;
        let mut too_short: Vec<(String, String, Reached)> = Vec::new();
        for (i, sv) in self.services.iter().enumerate() {
            if placeholder(sv).service_time {
                continue;
            }
            let c = &f.clients;
            let Ok(timeout) = c.timeout_for(&sv.name, &sv.group).resolve() else {
                continue;
            };
            let share = sv.share_longer_than(&timeout);
            if share < TIMEOUT_NOTE_SHARE {
                continue;
            }
            let own = |n: &str| c.services.get(n).is_some_and(|o| o.timeout.is_some());
            let field = match [sv.name.as_str(), sv.group.as_str()].into_iter().find(|n| own(n)) {
                Some(n) => format!("clients.services.{}.timeout", super::locate::key(n)),
                None => "clients.timeout".to_string(),
            };
            match too_short.iter_mut().find(|(f, _, _)| *f == field) {
                Some((_, _, services)) => services.push((sv.name.as_str(), share)),
                None => {
                    let said = match timeout {
                        crate::dist::Distribution::Constant(t) => readable_secs(t),
                        _ => format!("median {}", readable_secs(self.median_client_timeout(i))),
                    };
                    too_short.push((field, said, vec![(sv.name.as_str(), share)]))
                }
            }
        }
        for (field, said, services) in too_short {
            let listed: Vec<String> = services
                .iter()
                .take(5)
                .map(|(name, share)| format!("{name} ({})", percent(*share)))
                .collect();
            let more = services.len().saturating_sub(5);
            let least = services.iter().map(|(_, share)| *share).fold(1.0, f64::min);
            let outcome = if least >= 0.99 {
                "nearly every attempt times out even with no queue, so goodput stays near zero whatever the gateway does"
            } else if least > 0.5 {
                "most attempts time out even with no queue, whatever the gateway does"
            } else {
                "that share of attempts times out even with no queue, whatever the gateway does"
            };
            out.push(format!(
                "{field} ({said}) is shorter than the service time of this share of the attempts to {}{}: {outcome}",
                listed.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
        if !self
            .thresholds
            .iter()
            .any(|t| t.figure.metric == crate::threshold::Metric::Recovery)
        {
            // With a recovery threshold this is an error ([`check_timeline`]).
            if let Some(why) = unjudged_recovery(f, &self.phases, self.duration) {
                out.push(format!("workload.phases: no verdict: {why}"));
            }
        }
        out.extend(self.few_intents_warning());
        out.extend(self.uniform_fraction_notes());
        // Settings of another strategy stay valid (compare and sweep run one file under several
        // strategies) but do nothing under this file's own.
        let g = &f.gateway;
        let unused = |table: &str, users: &[Strategy]| {
            format!(
                "gateway.{table}: applies only under strategy {}, and the strategy is \"{}\" (runs of it ignore the table)",
                users.iter().map(|u| format!("\"{}\"", u.as_str())).collect::<Vec<_>>().join(" or "),
                g.strategy.as_str()
            )
        };
        if !g.strategy.uses_codel() && g.codel != crate::scenario::CodelConfig::default() {
            out.push(unused("codel", &Strategy::CODEL));
        }
        if g.strategy.uses_codel() {
            out.extend(self.codel_interval_note(&placeholder));
        }
        if g.strategy != Strategy::Adaptive && g.adaptive != crate::scenario::AdaptiveConfig::default() {
            out.push(unused("adaptive", &[Strategy::Adaptive]));
        }
        if g.strategy != Strategy::Deadline && g.deadline_estimate != crate::scenario::DeadlineEstimate::default() {
            out.push(format!(
                "gateway.deadline_estimate: only strategy \"deadline\" predicts service times, and the strategy is \"{}\" (runs of it ignore the setting)",
                g.strategy.as_str()
            ));
        }
        // Passthrough queues nothing, so a class's capacity bounds nothing. A note, as for
        // [gateway.codel], not an error as queue_capacity is: compare and sweep run one file
        // under several strategies, and the classes' routes and results still apply.
        if let Some(p) = g.priorities.as_ref().filter(|_| g.strategy == Strategy::Passthrough) {
            let set: Vec<&str> = [
                ("interactive_capacity", p.interactive_capacity),
                ("background_capacity", p.background_capacity),
            ]
            .into_iter()
            .filter_map(|(key, v)| v.map(|_| key))
            .collect();
            let said = match set[..] {
                [key] => Some(format!("gateway.priorities.{key}: bounds its class's queue")),
                [_, _] => Some(
                    "gateway.priorities: interactive_capacity and background_capacity bound the classes' queues"
                        .to_string(),
                ),
                _ => None,
            };
            if let Some(said) = said {
                out.push(format!(
                    "{said}, and strategy \"passthrough\" queues nothing (runs ignore {it}; every other strategy applies {it})",
                    it = if set.len() == 1 { "it" } else { "them" }
                ));
            }
        }
        if g.strategy == Strategy::Passthrough && g.abandon == Abandon::Cancel {
            out.push(
                "gateway.abandon: \"cancel\" removes a queued request whose client left, and strategy \"passthrough\" queues none (runs ignore it)"
                    .to_string(),
            );
        }
        // mock-legacy answers 501 to methods it does not know: a run against spillway's own
        // backend would read as a failing one, while the simulator (which sends no method)
        // reads healthy.
        let methods = std::iter::once(("clients.request.method".to_string(), &f.clients.request.method)).chain(
            f.backend
                .services
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("backend.services[{i}].request.method"), &s.request.method)),
        );
        for (path, method) in methods {
            if let Some(m) = method.as_deref().filter(|m| !crate::wire::allowed_method(m)) {
                out.push(format!(
                    "{path}: mock-legacy answers {m} with 501 (it serves {}), so a run against spillway's own backend fails every request while the simulator ignores the method; fine against a --target that takes it",
                    crate::wire::ALLOW
                ));
            }
        }
        out.extend(self.request_limit_notes());
        let retry = &f.clients.retry;
        if retry.backoff == Backoff::None && retry.jitter != Jitter::None && retry.max_attempts > 1 {
            out.push(format!(
                "clients.retry.jitter: \"{}\" jitters the backoff, and backoff = \"none\" retries at once (runs ignore it): set backoff = \"fixed\" or \"exponential\"",
                retry.jitter.as_str()
            ));
        }
        if f.workload.closed.is_some() && f.workload.arrival != crate::scenario::ArrivalProcess::Poisson {
            out.push(
                "workload.arrival: applies to open-loop phases; a closed loop's users send when their think time ends (runs ignore it)"
                    .to_string(),
            );
        }
        // Zero think time and answers that take no time: each user resends a microsecond after
        // such an answer (the simulator's floor), which measures that floor, not the system,
        // and can fill a run with hundreds of millions of intents under the limit.
        if let Some(closed) = &f.workload.closed {
            if let (think, _, Some(why)) = closed_cycle(f, &self.services, closed) {
                if think <= 0.0 {
                    let most = f64::from(closed.users) * self.duration.as_secs_f64() / CLOSED_FLOOR_S;
                    out.push(format!(
                        "workload.closed.think_time: zero, and answers can come at once ({why}): a user then sends again after 1 us, up to {most:.3e} intents in this run; set a think time (a real client waits at least a round trip)"
                    ));
                }
            }
        }
        // A gateway that sends a service more than it can hold gets an instant 503 for each
        // request past it, and pushback pauses the service for every one: seen at 38% load,
        // 1% goodput, in the simulator and live alike.
        let fixed_limit = !matches!(g.strategy, Strategy::Passthrough | Strategy::Adaptive);
        for s in self.services.iter().filter(|s| !placeholder(s).workers) {
            let holds = match s.overload {
                crate::scenario::Overload::Reject => s.workers,
                crate::scenario::Overload::Queue { backlog } => s.workers.saturating_add(backlog),
                crate::scenario::Overload::Thrash { max_in_flight, .. } => max_in_flight.unwrap_or(u32::MAX),
            };
            let sg = g.for_service(&s.name, &s.group);
            let sends = sg.concurrency.unwrap_or(s.workers).max(1);
            if fixed_limit && sg.pushback.enabled && sends > holds {
                out.push(format!(
                    "gateway.concurrency: the gateway sends service `{}` up to {sends} requests at once, but it holds {holds} (workers{}) and answers 503 at once past them; each such 503 pauses dispatch to it for gateway.pushback.default_pause ({}), so it can collapse under a load well below its capacity; set gateway.concurrency to at most {holds}, or turn pushback off",
                    s.name,
                    match s.overload {
                        crate::scenario::Overload::Reject => "; overload = \"reject\"",
                        crate::scenario::Overload::Queue { .. } => " + backlog",
                        crate::scenario::Overload::Thrash { .. } => ": overload.max_in_flight",
                    },
                    crate::duration::format_duration(sg.pushback.default_pause.0)
                ));
            }
        }
        // Under `bounded` and `adaptive` the queue bound alone limits a wait (the other
        // strategies drop by time): one that holds more than the clients wait for keeps
        // serving requests whose clients have left, and retries keep it full after a burst.
        if matches!(g.strategy, Strategy::Bounded | Strategy::Adaptive) {
            // Every such service, in one warning: the worst with its figures, the others named
            // (of a `count = 2` estate, only `legacy-2` was, though `legacy-1` is the same).
            let deep: Vec<(f64, u32, usize, bool)> = self
                .services
                .iter()
                .enumerate()
                .filter(|(_, s)| !placeholder(s).any())
                .filter_map(|(i, s)| {
                    let sg = g.for_service(&s.name, &s.group);
                    let bound = sg.queue_capacity.unwrap_or(crate::gateway::DEFAULT_QUEUE_CAPACITY);
                    let wait = f64::from(bound) / self.drain_rate(i);
                    // Past what this service's clients wait, by how much.
                    (wait > self.median_client_timeout(i) && sg.priorities.is_none()).then_some((
                        wait,
                        bound,
                        i,
                        sg.queue_capacity.is_none(),
                    ))
                })
                .collect();
            // The key that set a service's bound: its own, its group's, or the gateway's.
            let key_of = |i: usize| {
                let s = &self.services[i];
                [s.name.as_str(), s.group.as_str()]
                    .into_iter()
                    .find(|n| g.services.get(*n).is_some_and(|o| o.queue_capacity.is_some()))
                    .map_or("gateway.queue_capacity".to_string(), |n| {
                        format!("gateway.services.{}.queue_capacity", super::locate::key(n))
                    })
            };
            // What the warning says of a service: the same words for the worst and those alike.
            let figures = |i: usize, wait: f64, bound: u32| {
                let timeout = self.median_client_timeout(i);
                (
                    key_of(i),
                    bound,
                    crate::results::fmt_secs(wait),
                    format!("{:.1}", self.drain_rate(i)),
                    crate::results::fmt_secs(timeout),
                    (self.drain_rate(i) * 0.5 * timeout).round().max(1.0) as u64,
                )
            };
            if let Some(&(wait, bound, i, default)) = deep.iter().max_by(|a, b| a.0.total_cmp(&b.0)) {
                let worst = figures(i, wait, bound);
                let (alike, others): (Vec<&(f64, u32, usize, bool)>, Vec<_>) =
                    deep.iter().partition(|(w, b, j, _)| figures(*j, *w, *b) == worst);
                let name = |j: usize| format!("`{}`", self.services[j].name);
                let (key, _, wait_s, rate, timeout_s, sized) = worst;
                let whose = match alike.as_slice() {
                    [_] => format!("service {}'s work (at {rate} requests/s)", name(i)),
                    _ => format!(
                        "the work of each of services {} (at {rate} requests/s each)",
                        and_list(alike.iter().map(|a| name(a.2)).collect())
                    ),
                };
                let also = match others.as_slice() {
                    [] => String::new(),
                    [o] => format!(
                        "; so does the bound of service {} (about {} of its work)",
                        name(o.2),
                        crate::results::fmt_secs(o.0)
                    ),
                    _ => format!(
                        "; so do the bounds of services {}",
                        and_list(
                            others
                                .iter()
                                .map(|(w, _, j, _)| format!("{} (about {})", name(*j), crate::results::fmt_secs(*w)))
                                .collect()
                        )
                    ),
                };
                out.push(format!(
                    "{key}: {bound}{} holds about {wait_s} of {whose}, past the clients' {timeout_s} median timeout: requests at the back of a full queue wait for clients that have left, and their retries keep it full after a burst (the death spiral this tool shows); about {sized} (what it drains in half the timeout, as strategy \"bounded\" sizes a bound) would shed instead{also}",
                    if default { format!(" (the default under \"{}\")", g.strategy.as_str()) } else { String::new() },
                ));
            }
        }
        for (i, svc) in f.backend.services.iter().enumerate() {
            if let Some(u) = svc.upstream.as_deref().filter(|u| u.starts_with("https://")) {
                out.push(format!(
                    "backend.services[{i}].upstream: `{u}`: the reference gateway does not speak https to services yet, so `spillway gateway --scenario` refuses it (unless --upstream gives an http:// URL); runs without a gateway of their own ignore it"
                ));
            }
        }
        let fmt = crate::duration::format_duration;
        // Arrivals stop at the run's duration, but the intents then in flight go on (and their
        // requests stay in the backend) until their clients' timeouts, retries and backoff end.
        let (in_flight, bounded) = in_flight_after_arrivals(&f.clients);
        // An open loop's arrivals end with its phases: a longer run.duration is quiet time.
        let arrivals_end = match (f.workload.closed.is_some(), self.phases.last()) {
            (false, Some(p)) => self.duration.min(p.end.saturating_since(crate::Time::ZERO)),
            _ => self.duration,
        };
        let last = arrivals_end.saturating_add(in_flight);
        for (i, s) in f.backend.services.iter().enumerate() {
            for (j, o) in s.faults.outages.iter().enumerate() {
                if o.kind == crate::scenario::OutageKind::Hang && o.retry_after.is_some() {
                    out.push(format!(
                        "backend.services[{i}].faults.outages[{j}].retry_after: a \"hang\" outage answers nothing, so it sends no Retry-After (runs ignore it); it applies to kind = \"reject\""
                    ));
                }
                let at = o.at.0;
                let path = format!("backend.services[{i}].faults.outages[{j}].at");
                if at >= last {
                    out.push(format!(
                        "{path}: the outage starts at {}, once arrivals have ended ({}) and the {} an intent can still be in flight after them have passed (clients.timeout, retries and backoff{}), so a run never sees it",
                        fmt(at),
                        fmt(arrivals_end),
                        fmt(in_flight),
                        if bounded { "" } else { ", by the timeout's 99.99th percentile" }
                    ));
                } else if at >= arrivals_end {
                    out.push(format!(
                        "{path}: the outage starts at {}, once arrivals have ended ({}): only the requests still in flight then (for up to {} more: clients.timeout, retries and backoff) see it",
                        fmt(at),
                        fmt(arrivals_end),
                        fmt(in_flight)
                    ));
                }
            }
        }
        // Said by `scenario check` alone until runs logged these notes too.
        if let Some(r) = g.rate_limit.as_ref().filter(|_| f.workload.closed.is_none()) {
            let peak = self
                .phases
                .iter()
                .map(|p| p.rate_start.max(p.rate_end))
                .fold(0.0, f64::max);
            if peak > r.rate {
                out.push(format!(
                    "the gateway's rate limit ({}/s) is below the peak offered rate ({}/s): past it the gateway answers 429 (counted as rate_limited, not as the backend's failures)",
                    crate::duration::format_number(r.rate),
                    crate::duration::format_number(peak)
                ));
            }
        }
        // Capacity is not said of a service whose figures are placeholders.
        let worst = self
            .phases
            .iter()
            .filter(|p| !p.trigger)
            .flat_map(|p| {
                super::phase_utilisation(self, p)
                    .into_iter()
                    .zip(&self.services)
                    .filter(|(_, s)| !placeholder(s).any())
                    .map(|(u, _)| u)
            })
            .fold(0.0, f64::max);
        if worst >= 1.0 {
            out.push(format!("a phase not marked as trigger offers more than the backend's capacity ({:.0}%): the verdict will be `overloaded`, not metastable, unless the gateway absorbs the excess (a queue that drains within the clients' timeouts, or load it sheds that clients retry later); mark the overload `trigger = true` to judge recovery from it", worst * 100.0));
        }
        out
    }

    /// The warning that the phases offer less than one intent in all, so a run likely sends
    /// nothing, if they do (one of [`Scenario::warnings_with`]; `loadgen run --rate` says it
    /// of the load it scales them to).
    pub fn few_intents_warning(&self) -> Option<String> {
        let intents: f64 = self
            .phases
            .iter()
            .map(|p| (p.rate_start + p.rate_end) / 2.0 * p.duration().as_secs_f64())
            .sum();
        if self.file.workload.closed.is_some() || intents >= 1.0 {
            return None;
        }
        // Uniform arrivals are due each time the cumulative rate reaches a whole intent, the
        // first at 0: a run of any rate sends one, at its start.
        if self.file.workload.arrival == crate::scenario::ArrivalProcess::Uniform && intents > 0.0 {
            return Some(format!(
                "workload.phases: the phases offer about {intents:.3} intents in all, and arrival = \"uniform\" sends one each time the cumulative rate reaches a whole intent, the first at 0s: a run sends exactly one intent, at its start; arrival = \"poisson\" draws how many (likely none)"
            ));
        }
        Some(format!(
            "workload.phases: the phases offer about {intents:.3} intents in all, so a run likely sends nothing (and its thresholds fail as \"nothing offered\")"
        ))
    }

    /// Under uniform arrivals, intent k is due when the cumulative rate reaches k (the first
    /// at 0s, carried across phases): a phase offering less than one intent gets one or none,
    /// wherever a whole intent falls (the first phase: one, at its start). Said of each such
    /// phase with a rate, with what it gets; not when the whole run offers less than one
    /// ([`Scenario::few_intents_warning`] says so).
    fn uniform_fraction_notes(&self) -> Vec<String> {
        let w = &self.file.workload;
        if w.closed.is_some() || w.arrival != crate::scenario::ArrivalProcess::Uniform {
            return Vec::new();
        }
        let total: f64 = self.phases.iter().map(|p| p.expected_intents()).sum();
        if total < 1.0 {
            return Vec::new();
        }
        let mut before = 0.0;
        let mut out = Vec::new();
        for (i, p) in self.phases.iter().enumerate() {
            let offers = p.expected_intents();
            let (a, b) = (before, before + offers);
            before = b;
            if !(offers > 0.0 && offers < 1.0) || p.start >= Time::ZERO + self.duration {
                continue;
            }
            // Whole numbers k with a <= k < b: the intents due in the phase.
            let gets = (b.ceil() - a.ceil()).max(0.0) as u64;
            let at_start = if gets == 1 && a.fract() == 0.0 {
                ", at its start"
            } else {
                ""
            };
            out.push(format!(
                "workload.phases[{i}] (`{}`): offers about {offers:.3} intents, and arrival = \"uniform\" sends one each time the cumulative rate reaches a whole intent (the run's first at 0s): this phase gets {gets}{at_start}, not a fraction; at a rate this low, arrival = \"poisson\" draws how many",
                super::printable(&p.name)
            ));
        }
        out
    }
}

/// "`a`", "`a` and `b`", "`a`, `b` and `c`".
fn and_list(mut items: Vec<String>) -> String {
    match items.pop() {
        None => String::new(),
        Some(last) if items.is_empty() => last,
        Some(last) => format!("{} and {last}", items.join(", ")),
    }
}
