//! A closed loop's cycle (think time and the quickest answer), and what can answer its users at
//! once.

use crate::scenario::{ClosedLoopConfig, OutageKind, Overload, ScenarioFile, ServiceSpec, Strategy};

/// The simulator's least gap between a closed-loop user's answer and its next send, seconds.
pub(super) const CLOSED_FLOOR_S: f64 = 1e-6;

/// A closed loop's cycle, in seconds: the mean think time and the shortest mean an answer can
/// take, and what can answer at once, if anything. A shed, a 429, a 401 or a 503 of a full
/// backend takes no time, so the fastest service's mean alone let a file whose users resend
/// every microsecond pass the check (180 million intents for 10 users over 20 s). The answer
/// is taken as no time only when an instant answer is sure to come (a bound the users
/// overfill, a rate limit, failing credentials); a strategy that may shed (a queue bound the
/// users cannot fill alone, CoDel, deadlines) is named, for the zero-think-time warning, but
/// the bound then counts the service's time: refusing every such file refused ones that
/// never shed.
pub(super) fn closed_cycle(
    file: &ScenarioFile,
    services: &[ServiceSpec],
    closed: &ClosedLoopConfig,
) -> (f64, f64, Option<String>) {
    let think = closed.think_time.resolve().map_or(0.0, |d| d.mean());
    let instant = instant_answer(file, services, closed.users);
    if let Some(Instant { why, sure: true }) = instant {
        return (think, 0.0, Some(why));
    }
    let fastest = services
        .iter()
        .flat_map(|s| (0..s.apis.len().max(1)).map(|i| s.distribution(i).mean()))
        .fold(f64::INFINITY, f64::min);
    // An attempt ends at its client's timeout or the gateway's upstream timeout at the latest;
    // the gateway answers one that waited its queue_timeout sooner: the shortest of any
    // service's, as `fastest` is. (Not its default_timeout: the clients always send their own
    // budget.)
    let g = &file.gateway;
    // The clients' timeout: the shortest of any service's.
    let timeout = services
        .iter()
        .map(|s| file.clients.timeout_for(&s.name, &s.group))
        .chain(services.is_empty().then_some(&file.clients.timeout))
        .map(|t| t.resolve().map_or(f64::INFINITY, |d| d.mean()))
        .fold(f64::INFINITY, f64::min);
    let queue_timeout = services
        .iter()
        .filter_map(|s| g.for_service(&s.name, &s.group).queue_timeout)
        .chain(g.queue_timeout.filter(|_| services.is_empty()))
        .map(|d| d.0.as_secs_f64())
        .fold(f64::INFINITY, f64::min);
    let answer = queue_timeout
        .min(fastest)
        .min(timeout)
        .min(g.upstream_timeout.0.as_secs_f64());
    (
        think,
        if answer.is_finite() { answer } else { 0.0 },
        instant.map(|i| i.why),
    )
}

/// A way a closed loop's intent can be answered at once (see [`instant_answer`]).
struct Instant {
    /// The setting, as a message names it.
    why: String,
    /// Certain to happen with no think time, not only possible.
    sure: bool,
}

/// What can answer a closed loop's intent at once, without the backend's service time, if
/// anything.
fn instant_answer(file: &ScenarioFile, services: &[ServiceSpec], users: u32) -> Option<Instant> {
    if let Some(sure) = certain_instant_answer(file, services, users) {
        return Some(sure);
    }
    let g = &file.gateway;
    // With no think time every user has a request at the gateway: more users than a service's
    // concurrency and the least bound its requests meet (the strategy's queue bound, its
    // default when unset, or a priority class's capacity) overfill it at every turn.
    let mut may = None;
    for s in services {
        let sg = g.for_service(&s.name, &s.group);
        let queue = crate::gateway::queue_bound(&sg);
        // Passthrough queues nothing: a class's capacity never sheds there.
        let capacity = sg
            .priorities
            .as_ref()
            .filter(|_| sg.strategy != Strategy::Passthrough)
            .and_then(|p| {
                [p.interactive_capacity, p.background_capacity]
                    .into_iter()
                    .flatten()
                    .min()
            });
        let (bound, what) = match (queue, capacity) {
            (None, None) => continue,
            (Some(q), Some(c)) if c < q => (c, "gateway.priorities' capacity".to_string()),
            (None, Some(c)) => (c, "gateway.priorities' capacity".to_string()),
            (Some(q), _) => (q, format!("gateway.strategy = \"{}\"", sg.strategy.as_str())),
        };
        let concurrency = sg.concurrency.unwrap_or(s.workers);
        if u64::from(users) > u64::from(concurrency) + u64::from(bound) {
            return Some(Instant {
                why: format!("{what} sheds past service `{}`'s bound of {bound}", s.name),
                sure: true,
            });
        }
        may.get_or_insert(Instant {
            why: format!("{what} may shed"),
            sure: false,
        });
    }
    may
}

/// The answers at once that do not depend on the strategy: each is sure to come.
fn certain_instant_answer(file: &ScenarioFile, services: &[ServiceSpec], users: u32) -> Option<Instant> {
    let sure = |why: String| Some(Instant { why, sure: true });
    let g = &file.gateway;
    if g.rate_limit.is_some() {
        return sure("gateway.rate_limit answers 429".into());
    }
    if let Some(auth) = &g.auth {
        let creds = file.clients.credentials.as_ref();
        let known = creds
            .into_iter()
            .flat_map(|c| [c.bearer.as_ref(), c.api_key.as_ref()])
            .flatten()
            .any(|k| auth.keys.contains(k));
        if !known {
            return sure("gateway.auth answers 401 to the clients' credentials".into());
        }
    }
    for s in services {
        let name = &s.name;
        // This service's clients' timeout.
        let timeout = file
            .clients
            .timeout_for(&s.name, &s.group)
            .resolve()
            .map_or(0.0, |d| d.mean());
        if s.faults.rate_limit.is_some() {
            return sure(format!("service `{name}`'s faults.rate_limit answers 429"));
        }
        if s.faults.outages.iter().any(|o| o.kind == OutageKind::Reject) {
            return sure(format!("service `{name}`'s outages answer 503"));
        }
        // The most requests the gateway has at the service at once: fifo's concurrency;
        // passthrough's every user, and more while abandoned attempts still run.
        let sent = match g.strategy {
            Strategy::Passthrough if timeout < s.mean_service_time() => u64::MAX,
            Strategy::Passthrough => u64::from(users),
            _ => u64::from(g.for_service(&s.name, &s.group).concurrency.unwrap_or(s.workers)),
        };
        let holds = match s.overload {
            Overload::Reject => Some(u64::from(s.workers)),
            Overload::Queue { backlog } => Some(u64::from(s.workers) + u64::from(backlog)),
            Overload::Thrash { max_in_flight, .. } => max_in_flight.map(u64::from),
        };
        if holds.is_some_and(|h| sent > h) {
            let how = match s.overload {
                Overload::Reject => "overload = \"reject\"",
                Overload::Queue { .. } => "a full backlog",
                Overload::Thrash { .. } => "overload.max_in_flight",
            };
            return sure(format!("service `{name}` answers 503 past its workers ({how})"));
        }
    }
    None
}
