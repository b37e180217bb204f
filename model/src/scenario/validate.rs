//! Semantic checks and resolution: from a parsed [`ScenarioFile`] to a [`Scenario`], collecting
//! every problem with the field path it concerns.

use super::error::Problem;
use super::file::*;
use super::spec::*;
use crate::dist::{DistSpec, Distribution};
use crate::duration::Dur;
use crate::threshold::{Figure, Scope, Threshold};
use crate::time::Time;
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

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
/// Longest `run.description` (shown in the report's header).
const MAX_DESCRIPTION_CHARS: usize = 4096;

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

/// Without `run.name` the scenario is named by its file's name (its stem, [`Scenario::name`]),
/// which results, summaries and reports carry: a control character in it (`tab\tname.toml`)
/// made results that `spillway report` refuses, and would move a terminal's cursor or break
/// junit.xml. Refused here, where the fix is one step (rename the file, or name the run), rather
/// than replaced: a name the run invented would match neither the file nor anything the user
/// wrote, and `run.name` with one is refused the same way.
fn check_name_from_file(c: &mut Checker, source: &str) {
    let name = super::spec::name_from_source(source);
    if let Some(ch) = name.chars().find(|ch| ch.is_control()) {
        c.fail(
            "run.name",
            format!(
                "absent, so the scenario is named by its file's name, {name:?}, which holds a control character ({ch:?}): rename the file, or set [run] name"
            ),
        );
    }
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

/// Limits that keep a run within memory and time: a typo (`rate = 1e9`, `window = "1ns"`) is an
/// error here, not an hour of simulation or an allocation failure.
///
/// Windows: results keep every window from the start until the last intent is over, each in
/// memory and in results.json (measured: about 520 bytes of results.json and 1.35 KB of memory
/// for an empty window, 1.1 KB of results.json and 0.55 KB of results.hlog for a busy one, more
/// with classes and services). 1e6 windows made a 313 MB results.json of empty windows and
/// 813 MB of memory; 1e5 keep a run under about 150 MB of results and memory, and cover a day
/// of 1 s windows or an hour of 100 ms ones.
const MAX_WINDOWS: f64 = 1e5;
const MAX_INTENTS: f64 = 1e9;
const MAX_WEIGHT: f64 = 1e9;
const MAX_USERS: u32 = 1_000_000;
const MAX_NAMES: u32 = 100_000;
const MAX_SERVICES: u32 = 1_000;
/// APIs across the backend once `count` is expanded: each service keeps its own list (and its
/// per-API service times), about 100 bytes an API when a file is checked and 180 in a run
/// (measured: 1e6 APIs take 104 MB in `scenario check` and 183 MB in `sim run`; 1e7, allowed
/// by the per-service limits alone, took 878 MB and 1.7 GB). Ten services of 100,000 APIs, or
/// 1,000 of 1,000, fit.
const MAX_EXPANDED_APIS: u64 = 1_000_000;

/// How long after arrivals end an intent can still be in flight, and whether that is a bound
/// (`false`: the clients' timeout is unbounded, such as exponential patience, and its 99.99th
/// percentile stands for the longest). Rounded up to a whole millisecond.
///
/// Without Retry-After, every attempt waits out the longest timeout, with the longest backoff
/// between attempts. With a Retry-After honoured, a client sends no retry later than its
/// intent's lifetime bound L after the start (`client::intent_lifetime_bound`: n timeouts and,
/// unless `backoff = "none"`, n - 1 backoff caps), whatever paused it: the last attempt, sent by
/// L, ends within one timeout after it.
pub fn in_flight_after_arrivals(cl: &ClientsConfig) -> (Duration, bool) {
    // The longest of every service's timeout (`clients.timeout` and `[clients.services]`).
    let (longest, bounded) = cl
        .all_timeouts()
        .map(timeout_reach)
        .fold((0.0, true), |a, b| if b.0 > a.0 { b } else { a });
    let longest = crate::time::secs(longest.max(0.0));
    let r = &cl.retry;
    let n = r.max_attempts.max(1);
    let attempts = longest.saturating_mul(n);
    let total = if r.honor_retry_after && n > 1 {
        // The bound the clients enforce, not a copy of it (a copy added the cap with
        // `backoff = "none"`, which uses none).
        crate::client::intent_lifetime_bound(cl).saturating_add(longest)
    } else {
        attempts.saturating_add(backoff_total(r, n - 1))
    };
    let ns = crate::time::duration_nanos(total);
    let ms = ns.div_ceil(1_000_000);
    (Duration::from_millis(ms), bounded)
}

/// The longest a timeout lets an attempt wait, in seconds, and whether that is its maximum
/// (`false`: its 99.99th percentile, for an unbounded patience distribution).
fn timeout_reach(t: &crate::dist::DistSpec) -> (f64, bool) {
    match t.resolve() {
        Ok(d) => {
            let max = d.quantile(1.0);
            if max.is_finite() {
                (max, true)
            } else {
                (d.quantile(0.9999), false)
            }
        }
        Err(_) => (2.0, true),
    }
}

/// The path of the longest timeout the file gives (`clients.timeout`, or a service's own in
/// `[clients.services]`, which then bounds the time in flight): the one to lower.
fn longest_timeout_path(cl: &ClientsConfig) -> String {
    let own = cl.services.iter().filter_map(|(name, o)| {
        o.timeout
            .as_ref()
            .map(|t| (format!("clients.services.{}.timeout", super::locate::key(name)), t))
    });
    std::iter::once(("clients.timeout".to_string(), &cl.timeout))
        .chain(own)
        .map(|(path, t)| (path, timeout_reach(t).0))
        .fold((String::new(), f64::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a })
        .0
}

/// The longest the clients sleep over `gaps` backoffs (as `ClientModel::backoff` draws them).
fn backoff_total(r: &RetryConfig, gaps: u32) -> Duration {
    let (base, cap) = (r.base.0, r.cap.0);
    match (r.backoff, r.jitter) {
        (Backoff::None, _) => Duration::ZERO,
        // Decorrelated jitter grows from the last sleep up to the cap, whatever the backoff.
        (_, Jitter::Decorrelated) => cap.saturating_mul(gaps),
        (Backoff::Fixed, _) => base.min(cap).saturating_mul(gaps),
        (Backoff::Exponential, _) => {
            let mut total = Duration::ZERO;
            for k in 0..gaps {
                let ceiling = base.saturating_mul(1u32 << k.min(31)).min(cap);
                if ceiling == cap || k >= 31 {
                    // From here on every sleep is this long.
                    return total.saturating_add(ceiling.saturating_mul(gaps - k));
                }
                total = total.saturating_add(ceiling);
            }
            total
        }
    }
}

/// A "nice" duration (1, 2 or 5 times a power of ten nanoseconds) at least `ns`.
fn nice_at_least(ns: f64) -> Duration {
    let mut p = 1u64;
    loop {
        for m in [1u64, 2, 5] {
            let v = p.saturating_mul(m);
            if v as f64 >= ns || v == u64::MAX {
                return Duration::from_nanos(v);
            }
        }
        p = p.saturating_mul(10);
    }
}

fn check_size(c: &mut Checker, file: &ScenarioFile, phases: &[Phase], services: &[ServiceSpec], duration: Duration) {
    let fmt = crate::duration::format_duration;
    let (in_flight, bounded) = in_flight_after_arrivals(&file.clients);
    let kept = duration.saturating_add(in_flight);
    let window = file.run.window.0;
    let windows = kept.as_secs_f64() / window.as_secs_f64();
    if windows > MAX_WINDOWS {
        let longer = nice_at_least(kept.as_nanos() as f64 / MAX_WINDOWS);
        if longer > duration {
            // No window shorter than the run can hold it: the clients' time in flight is what
            // to change (advising a larger run.window led to "longer than the run").
            let one_attempt = in_flight_after_arrivals(&ClientsConfig {
                retry: RetryConfig {
                    max_attempts: 1,
                    ..file.clients.retry.clone()
                },
                ..file.clients.clone()
            })
            .0;
            let by_attempts = duration.saturating_add(one_attempt).as_secs_f64() / window.as_secs_f64() <= MAX_WINDOWS;
            let timeout = longest_timeout_path(&file.clients);
            let field = if by_attempts {
                "clients.retry.max_attempts".to_string()
            } else {
                timeout.clone()
            };
            c.fail(
                &field,
                format!(
                    "an intent can still be in flight {} after arrivals end ({timeout}, retries and backoff{}), and results keep every window until the last intent is over: {windows:.0} windows of {}, at most {MAX_WINDOWS:.0}, and no window shorter than the run ({}) holds it; lower {field}",
                    fmt(in_flight),
                    if bounded { "" } else { ", by the timeout's 99.99th percentile" },
                    fmt(window),
                    fmt(duration),
                ),
            );
        } else {
            c.fail(
            "run.window",
            format!(
                "{windows:.0} windows of {} over the run's {} and the {} an intent can still be in flight after arrivals end ({}, retries and backoff{}): at most {MAX_WINDOWS:.0} (results keep every window until the last intent is over); use a larger run.window, \"{}\" or more",
                fmt(window),
                fmt(duration),
                fmt(in_flight),
                longest_timeout_path(&file.clients),
                if bounded { "" } else { ", by the timeout's 99.99th percentile" },
                fmt(longer)
            ),
        );
        }
    }
    let intents: f64 = phases
        .iter()
        .map(|p| (p.rate_start + p.rate_end) / 2.0 * p.duration().as_secs_f64())
        .sum();
    if intents > MAX_INTENTS {
        // Most of them a phase's extra traffic (a typo in its rate): said there.
        let extra = |p: &Phase| p.extra_rate() * p.duration().as_secs_f64();
        let heavy = phases
            .iter()
            .enumerate()
            .max_by(|a, b| extra(a.1).total_cmp(&extra(b.1)))
            .filter(|(_, p)| extra(p) > intents / 2.0);
        match heavy {
            Some((i, p)) => c.fail(
                format!("workload.phases[{i}].extra"),
                format!(
                    "the phases offer about {intents:.3e} intents, {:.3e} of them this extra traffic of phase `{}`: at most {MAX_INTENTS:.0e} per run",
                    extra(p),
                    p.name
                ),
            ),
            None => c.fail(
                "workload.phases",
                format!("the phases offer about {intents:.3e} intents: at most {MAX_INTENTS:.0e} per run"),
            ),
        }
    }
    // A closed loop's users send at most once per think time and answer (the simulator sends
    // a user's next intent at least 1 us after its last answer). The same bound as open loops,
    // so a typo in `duration` is an error, not hours.
    if let Some(closed) = &file.workload.closed {
        let (think, answer, instant) = closed_cycle(file, services, closed);
        // A mean (of a lognormal, say) is no round figure: `41.8ms`, not `41834.094us`; below a
        // microsecond, as written (`1ns`).
        let mean = |secs: f64| {
            if secs == 0.0 || secs >= 1e-6 {
                crate::results::fmt_secs(secs)
            } else {
                fmt(crate::time::secs(secs))
            }
        };
        let intents = f64::from(closed.users) * duration.as_secs_f64() / (think + answer).max(CLOSED_FLOOR_S);
        if intents > MAX_INTENTS {
            let answers = match &instant {
                Some(why) if answer == 0.0 => {
                    format!("answers that can come at once ({why}: a user then sends again a microsecond later)")
                }
                _ => format!("answers of {} or more", mean(answer)),
            };
            c.fail(
                "workload.closed",
                format!(
                    "{} users for {} with a think time of {} and {answers} can send about {intents:.3e} intents: at most {MAX_INTENTS:.0e} per run",
                    closed.users,
                    fmt(duration),
                    mean(think),
                ),
            );
        }
    }
}

/// The simulator's least gap between a closed-loop user's answer and its next send, seconds.
const CLOSED_FLOOR_S: f64 = 1e-6;

/// A closed loop's cycle, in seconds: the mean think time and the shortest mean an answer can
/// take, and what can answer at once, if anything. A shed, a 429, a 401 or a 503 of a full
/// backend takes no time, so the fastest service's mean alone let a file whose users resend
/// every microsecond pass the check (180 million intents for 10 users over 20 s). The answer
/// is taken as no time only when an instant answer is sure to come (a bound the users
/// overfill, a rate limit, failing credentials); a strategy that may shed (a queue bound the
/// users cannot fill alone, CoDel, deadlines) is named, for the zero-think-time warning, but
/// the bound then counts the service's time: refusing every such file refused ones that
/// never shed.
fn closed_cycle(
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

/// What the run's length and window leave out: phases and triggers the run ends before, and a
/// window too long to measure the healthy baseline. Each would make a run whose
/// verdict or thresholds quietly describe something other than the file.
///
/// `window_given` / `duration_given`: whether the file sets them (the default window and an
/// override such as `loadgen run --duration` are not checked).
pub(super) fn check_timeline(s: &Scenario, window_given: bool, duration_given: bool) -> Vec<Problem> {
    let mut c = Checker::default();
    let (file, phases, duration) = (&s.file, &s.phases[..], s.duration);
    check_timeline_of(&mut c, file, phases, duration, window_given, duration_given);
    // A recovery threshold on a run too short after its trigger could never be judged. Only
    // the file's own run length counts: `loadgen run --duration` may cut a run short on purpose.
    let run_end = if duration_given {
        duration
    } else {
        phases.last().map_or(duration, |p| p.end.saturating_since(Time::ZERO))
    };
    // A run that ends before its trigger does is an error of run.duration already.
    let trigger_cut = c.problems.iter().any(|p| p.path == "run.duration");
    if let Some(why) = unjudged_recovery(file, phases, run_end).filter(|_| !trigger_cut) {
        for (i, t) in s.thresholds.iter().enumerate() {
            if t.figure.metric == crate::threshold::Metric::Recovery {
                let at = file.thresholds.iter().position(|c| c.check == t.text).unwrap_or(i);
                c.fail(
                    format!("thresholds[{at}].check"),
                    format!("`{}` could never be judged: {why}", t.text),
                );
            }
        }
    }
    c.problems
}

/// Why no run of this time line can judge recovery, if none can: fewer than
/// [`crate::results::ROLLING_WINDOWS`] windows start between the end of the last trigger phase
/// and the end of the run (`run_end`), so every verdict reads "not judged".
pub(super) fn unjudged_recovery(file: &ScenarioFile, phases: &[Phase], run_end: Duration) -> Option<String> {
    let fmt = crate::duration::format_duration;
    let t_end = phases.iter().filter(|p| p.trigger).map(|p| p.end).max()?;
    if let Some(why) = no_baseline(file, phases) {
        return Some(why);
    }
    // The verdict judges windows that offered something: quiet time after the last phase with
    // a rate (a run.duration longer than the phases) shows nothing, healthy or not.
    let load_end = phases
        .iter()
        .filter(|p| p.rate_start > 0.0 || p.rate_end > 0.0)
        .map(|p| p.end.saturating_since(Time::ZERO))
        .max()
        .unwrap_or(Duration::ZERO);
    let (judged_end, ends) = if load_end < run_end {
        (load_end, "the load ends")
    } else {
        (run_end, "the run ends")
    };
    let trigger_end = t_end.saturating_since(Time::ZERO);
    if judged_end < trigger_end {
        return Some(format!(
            "{ends} at {}, before its last trigger phase ends (at {}), so every run would read \"not judged\"; end the run after the trigger, with load after it",
            fmt(judged_end),
            fmt(trigger_end)
        ));
    }
    let window = crate::time::duration_nanos(file.run.window.0).max(1);
    let end = crate::time::duration_nanos(judged_end);
    let after = end.div_ceil(window).saturating_sub(t_end.0.div_ceil(window));
    let need = u64::from(crate::results::ROLLING_WINDOWS);
    (after < need).then(|| {
        format!(
            "{ends} {} after its last trigger phase ends (at {}), and judging recovery takes {need} windows of {} ({}) with load after it, so every run would read \"not judged\"; lengthen the phase after the trigger or shorten run.window",
            fmt(judged_end.saturating_sub(t_end.saturating_since(Time::ZERO))),
            fmt(t_end.saturating_since(Time::ZERO)),
            fmt(file.run.window.0),
            fmt(file.run.window.0 * crate::results::ROLLING_WINDOWS),
        )
    })
}

/// Why no run has a baseline before the first trigger phase, if none has: whole windows come
/// before it, but no phase with a rate reaches into them (phase 0 `rate = 0`), so every verdict
/// reads "not judged: no traffic before the trigger". A trigger before one whole window is
/// warned of on its own ([`Scenario::warnings_with`]); a closed loop's users send regardless.
fn no_baseline(file: &ScenarioFile, phases: &[Phase]) -> Option<String> {
    if file.workload.closed.is_some() {
        return None;
    }
    let fmt = crate::duration::format_duration;
    let trigger = phases.iter().find(|p| p.trigger)?;
    // The verdict's baseline: the windows that end by the trigger's start.
    let window = crate::time::duration_nanos(file.run.window.0).max(1);
    let baseline_end = trigger.start.0 / window * window;
    let offers = |p: &Phase| (p.rate_start > 0.0 || p.rate_end > 0.0) && p.end > p.start;
    if baseline_end == 0 || phases.iter().any(|p| offers(p) && p.start.0 < baseline_end) {
        return None;
    }
    Some(format!(
        "the phases before the trigger phase `{}` (from {}) offer no traffic, so no run has a baseline to judge it against (\"not judged: no traffic before the trigger\"); give a phase before it a rate of normal load",
        trigger.name,
        fmt(trigger.start.saturating_since(Time::ZERO))
    ))
}

fn check_timeline_of(
    c: &mut Checker,
    file: &ScenarioFile,
    phases: &[Phase],
    duration: Duration,
    window_given: bool,
    duration_given: bool,
) {
    let fmt = crate::duration::format_duration;
    let end = Time::ZERO + duration;
    let default_len = phases
        .last()
        .map_or(Duration::ZERO, |p| p.end.saturating_since(Time::ZERO));
    if duration_given && file.run.duration.is_some() {
        let since = |t: Time| fmt(t.saturating_since(Time::ZERO));
        if let Some(p) = phases.iter().find(|p| p.trigger && p.end > end) {
            c.fail(
                "run.duration",
                format!(
                    "the run ends at {}, {} the trigger phase `{}` ({}), so no verdict could be given: remove run.duration (it defaults to the phases' {}) or lengthen it",
                    fmt(duration),
                    if p.start >= end { "before" } else { "during" },
                    p.name,
                    crate::duration::format_span(p.start.saturating_since(Time::ZERO), p.end.saturating_since(Time::ZERO)),
                    fmt(default_len)
                ),
            );
        } else if let Some((i, p)) = phases.iter().enumerate().find(|(_, p)| p.start >= end) {
            c.fail(
                "run.duration",
                format!(
                    "the run ends at {}, before workload.phases[{i}] (`{}`, from {}) starts, so it would never run: remove run.duration (it defaults to the phases' {}) or lengthen it",
                    fmt(duration),
                    p.name,
                    since(p.start),
                    fmt(default_len)
                ),
            );
        }
    }
    let window = file.run.window.0;
    if window_given && !window.is_zero() && !duration.is_zero() {
        if window > duration {
            c.fail(
                "run.window",
                format!(
                    "a window of {} is longer than the run ({}): results are measured per window; use a window well under the run's length",
                    fmt(window),
                    fmt(duration)
                ),
            );
        } else if let Some(p) = phases.iter().find(|p| p.trigger) {
            let before = p.start.saturating_since(Time::ZERO);
            if !before.is_zero() && window > before {
                c.fail(
                    "run.window",
                    format!(
                        "a window of {} is longer than the time before the trigger ({}): no whole window measures the healthy baseline the verdict compares against; use a shorter window",
                        fmt(window),
                        fmt(before)
                    ),
                );
            }
        }
    }
}

fn check_run(c: &mut Checker, run: &RunConfig) {
    if !super::TIME_SCALE.contains(&run.time_scale) {
        c.fail(
            "run.time_scale",
            format!(
                "expected a factor from {} to {}, got {:?}",
                super::TIME_SCALE.start(),
                super::TIME_SCALE.end(),
                run.time_scale
            ),
        );
    }
    c.positive_dur("run.window".into(), run.window);
    if let Some(d) = run.duration {
        c.positive_dur("run.duration".into(), d);
    }
    c.probability("run.healthy_ratio".into(), run.healthy_ratio);
    // Both go to terminals, the page and junit.xml: control characters there would move the
    // cursor, or make the XML unreadable.
    if let Some(n) = &run.name {
        c.text("run.name".into(), n, MAX_NAME_CHARS);
        if n.chars().any(char::is_control) {
            c.fail("run.name", "expected one line without control characters");
        } else if n.trim().is_empty() {
            // Reports, results and comparisons are labelled by it: a blank one labels nothing.
            c.fail("run.name", "expected a name; leave run.name out to use the file's name");
        }
    }
    if let Some(d) = &run.description {
        c.text("run.description".into(), d, MAX_DESCRIPTION_CHARS);
        if d.chars().any(|ch| ch.is_control() && !matches!(ch, '\n' | '\t' | '\r')) {
            c.fail(
                "run.description",
                "expected text without control characters (line breaks and tabs are fine)",
            );
        }
    }
}

fn check_workload(c: &mut Checker, w: &WorkloadConfig) -> Vec<Phase> {
    if w.phases.is_empty() && w.closed.is_none() {
        c.fail(
            "workload.phases",
            "expected at least one phase, e.g. [[workload.phases]] duration = \"60s\" rate = 20",
        );
    }
    if let Some(closed) = &w.closed {
        if !w.phases.is_empty() {
            c.fail(
                "workload.closed",
                "a closed-loop workload has no phases: remove [[workload.phases]] or [workload.closed]",
            );
        }
        c.at_least_one("workload.closed.users".into(), closed.users);
        c.at_most("workload.closed.users".into(), closed.users, MAX_USERS, "users");
        // Zero think time is fine live (each answer takes a round trip); the simulator keeps
        // a microsecond between a user's answer and its next send.
        c.dist("workload.closed.think_time".into(), &closed.think_time);
    }
    let mut phases = Vec::new();
    let mut t = Time::ZERO;
    // Names looked up, not compared pair by pair: 50,000 phases took 24 s to check.
    let mut named: HashMap<&str, usize> = HashMap::new();
    let defaults: HashMap<String, usize> = w
        .phases
        .iter()
        .enumerate()
        .filter(|(_, q)| q.name.is_none())
        .map(|(k, _)| (default_phase_name(k), k))
        .collect();
    for (i, p) in w.phases.iter().enumerate() {
        let path = format!("workload.phases[{i}]");
        let first = p.name.as_deref().and_then(|n| {
            let j = *named.entry(n).or_insert(i);
            (j != i).then_some(j)
        });
        if let (Some(j), Some(n)) = (first, &p.name) {
            c.fail(
                format!("{path}.name"),
                format!(
                    "phase `{n}` is already defined by workload.phases[{j}]: reports name phases, so give each its own"
                ),
            );
        }
        // An unnamed phase is called `phase N` (its number from 1): a name written out must not
        // be another phase's default either, or two phases read alike.
        let unnamed = p.name.as_deref().and_then(|n| defaults.get(n).copied());
        if let (Some(k), Some(n)) = (unnamed, &p.name) {
            c.fail(
                format!("{path}.name"),
                format!(
                    "phase `{n}` is also the name of workload.phases[{k}], which has none of its own (unnamed phases are `phase N`, N from 1): give this one another name"
                ),
            );
        }
        if let Some(n) = &p.name {
            c.text(format!("{path}.name"), n, MAX_NAME_CHARS);
            // Phases are named in summaries, charts and junit.xml, as the run is (`run.name`).
            if n.chars().any(char::is_control) {
                c.fail(format!("{path}.name"), "expected one line without control characters");
            } else if n.trim().is_empty() {
                c.fail(
                    format!("{path}.name"),
                    format!(
                        "expected a name; leave it out to call the phase `{}`",
                        default_phase_name(i)
                    ),
                );
            }
        }
        c.positive_dur(format!("{path}.duration"), p.duration);
        c.non_negative(format!("{path}.rate"), p.rate, "a rate");
        if let Some(r) = p.ramp_to {
            c.non_negative(format!("{path}.ramp_to"), r, "a rate");
            if p.ramp {
                c.fail(
                    format!("{path}.ramp"),
                    "give either `ramp = true` (to the next phase's rate) or `ramp_to`, not both",
                );
            }
        }
        let next_rate = w.phases.get(i + 1).map(|n| n.rate);
        if p.ramp && next_rate.is_none() {
            c.fail(
                format!("{path}.ramp"),
                "the last phase has no next phase to ramp to: use `ramp_to`",
            );
        }
        let rate_end = match (p.ramp_to, p.ramp) {
            (Some(r), _) => r,
            (None, true) => next_rate.unwrap_or(p.rate),
            (None, false) => p.rate,
        };
        let end = t + p.duration.0;
        phases.push(Phase {
            name: p.name.clone().unwrap_or_else(|| default_phase_name(i)),
            start: t,
            end,
            rate_start: p.rate,
            rate_end,
            trigger: p.trigger,
            // Added by `check_extras`, which needs the services.
            extra: Vec::new(),
        });
        t = end;
    }
    phases
}

/// Expands `count` and API counts into concrete services.
fn check_backend(c: &mut Checker, b: &BackendConfig) -> Vec<ServiceSpec> {
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

fn list_or_count(apis: &[String]) -> String {
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

fn check_mix(c: &mut Checker, w: &WorkloadConfig, b: &BackendConfig, services: &[ServiceSpec]) -> Vec<MixTarget> {
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
fn check_extras(
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

/// A clients' timeout (`clients.timeout`, or a service's own): a valid distribution with a
/// mean > 0.
fn check_client_timeout(c: &mut Checker, path: String, spec: &DistSpec) {
    if let Some(d) = c.dist(path.clone(), spec) {
        if d.mean() <= 0.0 {
            c.fail(path, "expected a duration > 0, got 0s");
        }
    }
}

/// A per-service table's name (`[gateway.services.NAME]`, `[clients.services.NAME]`): a service
/// or group of the backend. The names it may be are listed, since the mistake is often the
/// group's name for a service's or the reverse.
fn check_service_table(c: &mut Checker, path: &str, name: &str, services: &[ServiceSpec]) {
    let mut names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
    for s in services {
        if !names.contains(&s.group.as_str()) {
            names.push(&s.group);
        }
    }
    if services.is_empty() || names.contains(&name) {
        return;
    }
    let hint =
        crate::scenario::wording::nearest(name, &names).map_or(String::new(), |n| format!("; did you mean `{n}`?"));
    const SHOWN: usize = 12;
    let mut known: Vec<String> = names.iter().take(SHOWN).map(|n| format!("`{n}`")).collect();
    if names.len() > SHOWN {
        known.push(format!("and {} more", names.len() - SHOWN));
    }
    c.fail(
        path.to_string(),
        format!(
            "no service or group `{name}` in [[backend.services]]{hint} (services and groups: {})",
            known.join(", ")
        ),
    );
}

/// `[clients.services.NAME]`: a service or group of the backend (the names it may be are
/// listed, since the mistake is often the group's name for a service's or the reverse), and
/// its timeout checked as `clients.timeout` is.
fn check_clients_services(c: &mut Checker, cl: &ClientsConfig, services: &[ServiceSpec]) {
    for (name, o) in &cl.services {
        let path = format!("clients.services.{}", super::locate::key(name));
        check_service_table(c, &path, name, services);
        if let Some(t) = &o.timeout {
            check_client_timeout(c, format!("{path}.timeout"), t);
        }
    }
}

/// `auth`: the file has `[gateway.auth]` (the reference gateway checks the credentials).
fn check_clients(c: &mut Checker, cl: &ClientsConfig, auth: bool) {
    check_client_timeout(c, "clients.timeout".into(), &cl.timeout);
    let r = &cl.retry;
    c.at_least_one("clients.retry.max_attempts".into(), r.max_attempts);
    if r.on.is_empty() && r.max_attempts > 1 {
        c.fail(
            "clients.retry.on",
            format!(
                "no outcome is retried (on = []), so max_attempts = {} never applies: list what to retry, like on = [\"timeout\", \"5xx\"], or set max_attempts = 1",
                r.max_attempts
            ),
        );
    }
    if r.backoff != Backoff::None {
        c.positive_dur("clients.retry.base".into(), r.base);
    }
    // Without a backoff, neither is used.
    if r.backoff != Backoff::None && r.cap < r.base {
        c.fail(
            "clients.retry.cap",
            format!("expected cap >= base ({}), got {}", r.base, r.cap),
        );
    }
    if let Some(b) = &r.budget {
        c.non_negative("clients.retry.budget.ratio".into(), b.ratio, "a ratio");
        c.non_negative("clients.retry.budget.min_per_sec".into(), b.min_per_sec, "a rate");
    }
    if let Some(cr) = &cl.credentials {
        match (&cr.api_key, &cr.bearer) {
            (None, None) => c.fail("clients.credentials", "give `api_key` or `bearer`"),
            (Some(_), Some(_)) => c.fail("clients.credentials", "give `api_key` or `bearer`, not both"),
            _ => {}
        }
        // Sent as a header with every attempt, by the rule of `[clients.request]`'s header
        // values (loadgen refused such a value only when a run started, with no position).
        let keys = [
            ("api_key", crate::wire::API_KEY, cr.api_key.as_deref()),
            ("bearer", "authorization", cr.bearer.as_deref()),
        ];
        for (key, header, value) in keys {
            let Some(value) = value else { continue };
            let path = format!("clients.credentials.{key}");
            if value.trim().is_empty() {
                c.fail(path, "expected a non-empty key");
            } else if let Err(e) = super::request::check_header(header, value, false) {
                c.fail(path, format!("sent as {e}"));
            } else if let Some(why) = key_problem(value, auth) {
                c.fail(path, why);
            }
        }
    }
}

/// Why an auth key (`gateway.auth.keys[i]`, `clients.credentials.api_key` or `bearer`) could
/// never be presented and match, if it could not. `gateway`: the reference gateway checks it
/// (`[gateway.auth]`). The gateway reads the key a request presents from its header as visible
/// ASCII, spaces and tabs (`HeaderValue::to_str`: any other byte, in UTF-8 or not, reads as no
/// key), and trims it, so a key with a space or tab at either end never matches. Either way a
/// live run is all 401s, while the simulator, which compares the strings, passes every request.
/// Without `[gateway.auth]` the credentials are for a `--target` of another kind, which may take
/// any header value; but loadgen sends them as visible ASCII only (it refuses to start a run
/// with another character in them), and HTTP trims spaces and tabs at a field value's ends.
fn key_problem(key: &str, gateway: bool) -> Option<String> {
    let travels = |ch: &char| (' '..='~').contains(ch) || *ch == '\t';
    if let Some((at, ch)) = key.chars().enumerate().find(|(_, ch)| !travels(ch)) {
        let what = if ch.is_control() {
            format!("the control character U+{:04X}", u32::from(ch))
        } else {
            format!("`{ch}` (U+{:04X})", u32::from(ch))
        };
        let why = if gateway {
            "the gateway reads keys from a header as visible ASCII only, so it would answer every request 401"
        } else {
            "loadgen sends credentials in a header as visible ASCII only, so it would refuse to start a live run with it (no [gateway.auth] checks it: the key is for a --target)"
        };
        return Some(format!(
            "character {} of the key is {what}: {why}; use ASCII letters, digits and punctuation",
            at + 1
        ));
    }
    if key.trim() != key {
        return Some(if gateway {
            "the key begins or ends with a space or tab, which the gateway trims from the key a request presents, so no request could match it: remove it"
                .into()
        } else {
            "the key begins or ends with a space or tab, which HTTP trims from a header value, so the target would read another key: remove it"
                .into()
        });
    }
    None
}

/// `[clients.request]` and each service's `request` (their body files are read once the
/// file is valid: see `super::parse`).
fn check_requests(c: &mut Checker, file: &ScenarioFile) {
    let credentials = file.clients.credentials.is_some();
    c.problems.extend(super::request::check(
        "clients.request",
        &file.clients.request,
        credentials,
    ));
    for (i, s) in file.backend.services.iter().enumerate() {
        c.problems.extend(super::request::check(
            &format!("backend.services[{i}].request"),
            &s.request,
            credentials,
        ));
    }
}

/// `[gateway.services.NAME]`: a service or group of the backend, with what its strategy takes.
fn check_gateway_services(c: &mut Checker, g: &GatewayConfig, services: &[ServiceSpec]) {
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

fn check_gateway(c: &mut Checker, g: &GatewayConfig, services: &[ServiceSpec]) {
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
        // The verdict's baseline is the whole windows before the first trigger: with none, every
        // run reads "not judged: no traffic before the trigger", however healthy it was.
        if let Some(p) = self.phases.iter().find(|p| p.trigger) {
            let before = p.start.saturating_since(Time::ZERO);
            if before < f.run.window.0 {
                out.push(format!(
                    "workload.phases: the trigger phase `{}` starts at {}, before one whole window ({}) has measured a baseline, so no run gets a verdict (\"not judged: no traffic before the trigger\"); put a phase of normal load (a few windows) before it",
                    p.name,
                    crate::duration::format_duration(before),
                    crate::duration::format_duration(f.run.window.0)
                ));
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
}

/// The headers loadgen writes on every attempt besides the file's, with the shortest value
/// each can have: a request head is at least these (and `content-length` when it sends a body
/// or a method that is not idempotent: [`live_request`]).
const LOADGEN_OWN_HEADERS: [(&str, &str); 4] = [
    ("host", ""),
    (crate::wire::TIMEOUT_MS, "0"),
    (crate::wire::REQUEST_ID, "lg-"),
    (crate::wire::PRIORITY, "background"),
];

/// A header line's bytes in a request head: `name: value\r\n`.
fn header_line_len(name: &str, value: &str) -> usize {
    name.len() + value.len() + 4
}

/// What one `[[backend.services]]` entry's live requests carry, at the least.
struct LiveRequest {
    /// Header fields, loadgen's own included.
    headers: usize,
    /// Bytes of the head: request line, header lines and the blank line.
    head: usize,
    /// The file's largest header (name), for the message.
    largest: Option<String>,
    /// loadgen writes a `content-length` field (a body, or a method that is not idempotent).
    content_length: bool,
    /// The body's length and the field that sets it.
    body: Option<(usize, String)>,
}

impl Scenario {
    /// Notes on requests the reference gateway refuses, each time, in a live run through it
    /// (`[clients.request]`, a service's `request`, `[clients.credentials]`): more header
    /// fields than it takes or a longer head (431), or a larger body (413), as the "every
    /// request would be a 401" note says of credentials. Notes, not errors: the simulator sends
    /// no request, and a `--target` of another kind may take them.
    fn request_limit_notes(&self) -> Vec<String> {
        use crate::wire;
        let f = &self.file;
        let longest_upstream = f
            .backend
            .services
            .iter()
            .filter_map(|s| s.upstream.as_deref())
            .map(str::len)
            .max()
            .unwrap_or(0);
        let head_limit = wire::gateway_head_limit(longest_upstream);
        let credentials = f
            .clients
            .credentials
            .as_ref()
            .and_then(|c| match (&c.api_key, &c.bearer) {
                (Some(k), _) => Some((wire::API_KEY.to_string(), k.clone())),
                (None, Some(b)) => Some(("authorization".to_string(), format!("Bearer {b}"))),
                _ => None,
            });
        let wide = &f.clients.request;
        let none = RequestConfig::default();
        // By field: why, and the groups (entries' names) whose every request it makes refused.
        let mut notes: Vec<(String, String, Vec<String>)> = Vec::new();
        let mut add = |field: String, why: String, group: &str| match notes.iter_mut().find(|n| n.0 == field) {
            Some(n) => n.2.push(group.to_string()),
            None => notes.push((field, why, vec![group.to_string()])),
        };
        for (i, entry) in f.backend.services.iter().enumerate() {
            // The shortest path among its services and APIs: `/service/api`.
            let path = self
                .services
                .iter()
                .filter(|s| s.entry == i)
                .map(|s| s.name.len() + s.apis.iter().map(String::len).min().unwrap_or(0) + 2)
                .min();
            let Some(path) = path else { continue };
            let own = &entry.request;
            let live = live_request(i, wide, own, credentials.as_ref(), path);
            // The clients-wide headers alone, when they are enough to be refused: said of them.
            let alone = live_request(i, wide, &none, credentials.as_ref(), path);
            let headers_field = |over: bool| {
                if over || own.headers.is_empty() {
                    "clients.request.headers".to_string()
                } else {
                    format!("backend.services[{i}].request.headers")
                }
            };
            if live.headers > wire::GATEWAY_MAX_HEADERS {
                add(
                    headers_field(alone.headers > wire::GATEWAY_MAX_HEADERS),
                    format!(
                        "{} header fields with loadgen's own ({}{}{}), more than the {} the reference gateway takes (mock-legacy: {})",
                        live.headers,
                        LOADGEN_OWN_HEADERS.map(|h| h.0).join(", "),
                        if live.content_length { ", content-length" } else { "" },
                        if credentials.is_some() { " and the credentials'" } else { "" },
                        wire::GATEWAY_MAX_HEADERS,
                        wire::MAX_REQUEST_HEADERS
                    ),
                    &entry.name,
                );
            } else if live.head > head_limit {
                let over = alone.head > head_limit;
                let largest = if over { &alone.largest } else { &live.largest };
                add(
                    headers_field(over),
                    format!(
                        "a request head of at least {} bytes (the largest header `{}`), more than the {head_limit} the reference gateway takes ({} less what it adds to a request{})",
                        live.head,
                        largest.as_deref().unwrap_or(""),
                        wire::MAX_REQUEST_HEAD_BYTES,
                        if longest_upstream > 0 {
                            " and this file's longest upstream URL"
                        } else {
                            ", at most: less again its upstream URL's length"
                        }
                    ),
                    &entry.name,
                );
            }
            if let Some((bytes, field)) = live.body.filter(|(b, _)| *b > wire::MAX_REQUEST_BODY_BYTES) {
                add(
                    field,
                    format!(
                        "a body of {bytes} bytes, more than the {} the reference gateway and mock-legacy take",
                        wire::MAX_REQUEST_BODY_BYTES
                    ),
                    &entry.name,
                );
            }
        }
        notes
            .into_iter()
            .map(|(field, why, groups)| {
                let status = if why.starts_with("a body") { 413 } else { 431 };
                let whose = if groups.len() == f.backend.services.len() {
                    "every request of a live run through it".to_string()
                } else {
                    let named: Vec<String> = groups.iter().take(5).map(|g| format!("`{g}`")).collect();
                    format!(
                        "every request to {}{} in a live run through it",
                        named.join(", "),
                        if groups.len() > 5 { ", ..." } else { "" }
                    )
                };
                format!(
                    "{field}: {why}, so it answers {whose} with {status} (the simulator sends no request; a --target that takes it is fine)"
                )
            })
            .collect()
    }
}

/// What entry `i`'s requests carry at the least: `wide` (`[clients.request]`) with `own` (its
/// `request`) over it, the credentials' header, loadgen's own headers, and a request line with
/// a path of `path` bytes.
fn live_request(
    i: usize,
    wide: &RequestConfig,
    own: &RequestConfig,
    credentials: Option<&(String, String)>,
    path: usize,
) -> LiveRequest {
    // Names are case-insensitive: a service's value replaces the clients-wide one.
    let mut headers: std::collections::BTreeMap<String, &str> = std::collections::BTreeMap::new();
    for (name, value) in wide.headers.iter().chain(&own.headers) {
        headers.insert(name.to_ascii_lowercase(), value);
    }
    let largest = headers
        .iter()
        .max_by_key(|(n, v)| header_line_len(n, v))
        .map(|(n, _)| n.clone());
    let file_bytes: usize = headers.iter().map(|(n, v)| header_line_len(n, v)).sum();
    let own_bytes: usize = LOADGEN_OWN_HEADERS.iter().map(|(n, v)| header_line_len(n, v)).sum();
    let cred_bytes = credentials.map_or(0, |(n, v)| header_line_len(n, v));
    let method = own.method.as_deref().or(wide.method.as_deref()).unwrap_or("GET");
    let line = method.len() + 1 + path + " HTTP/1.1\r\n".len();
    let body_len = |r: &RequestConfig| {
        r.body
            .as_ref()
            .map(String::len)
            .or_else(|| r.body_file_bytes.as_ref().map(|b| b.len()))
    };
    let key = |r: &RequestConfig| if r.body.is_some() { "body" } else { "body_file" };
    let body = if own.body.is_some() || own.body_file.is_some() {
        body_len(own).map(|b| (b, format!("backend.services[{i}].request.{}", key(own))))
    } else {
        body_len(wide).map(|b| (b, format!("clients.request.{}", key(wide))))
    };
    // loadgen writes `content-length: N` for a body, and for any method that is not
    // idempotent (a POST without one: `content-length: 0`), as the reference gateway's
    // client does (`h1::finish_request`).
    let body_bytes = body.as_ref().map_or(0, |(b, _)| *b);
    let length = (body_bytes > 0 || !crate::wire::is_idempotent_method(method))
        .then(|| header_line_len("content-length", &body_bytes.to_string()));
    LiveRequest {
        headers: headers.len()
            + LOADGEN_OWN_HEADERS.len()
            + usize::from(credentials.is_some())
            + usize::from(length.is_some()),
        head: line + own_bytes + cred_bytes + file_bytes + length.unwrap_or(0) + 2,
        content_length: length.is_some(),
        largest,
        body,
    }
}

/// Why a threshold's group is not kept by runs of this scenario, if it is not: class figures
/// need priorities (`priorities`), service figures several services, one of them that name.
fn group_problem(figure: &Figure, priorities: bool, services: &[ServiceSpec], trigger: bool) -> Option<String> {
    let whole = figure.metric.name();
    if figure.metric == crate::threshold::Metric::Recovery && !trigger {
        // Without a trigger every run reads "no trigger": a bound on it could never be judged.
        return Some(format!(
            "`{figure}`: recovery is measured from the end of a trigger phase, and this scenario has none (mark the burst or outage phase `trigger = true`)"
        ));
    }
    match &figure.scope {
        Scope::Whole => None,
        Scope::Class(_) if !priorities => Some(format!(
            "`{figure}` names a priority class, but this scenario has no priorities (no mix entry or phase extra with priority = \"background\", no [gateway.priorities]), so its results keep whole-run figures only: write `{whole}`"
        )),
        Scope::Class(_) => None,
        Scope::Service(_) | Scope::EveryService if services.len() < 2 => Some(format!(
            "`{figure}` names a service, but this scenario has one service{}, so its results keep whole-run figures only: write `{whole}`",
            services.first().map_or(String::new(), |s| format!(" (`{}`)", s.name))
        )),
        Scope::Service(name) if !services.iter().any(|s| &s.name == name) => {
            let members: Vec<&str> = services
                .iter()
                .filter(|s| &s.group == name)
                .map(|s| s.name.as_str())
                .collect();
            if let (Some(first), Some(last)) = (members.first(), members.last()) {
                // A `count` group: its services have figures of their own, the group none.
                let group = if members.len() == 1 {
                    format!("`{name}` is one service named `{first}` (`count` numbers it)")
                } else {
                    format!("`{name}` is a group of {} services ({first} .. {last})", members.len())
                };
                return Some(format!(
                    "`{figure}`: {group}, and results keep figures per service: name one (`{}`), or bound every service with `{}`",
                    figure.to_string().replacen(&format!("service[{name}]"), &format!("service[{first}]"), 1),
                    figure.to_string().replacen(&format!("service[{name}]"), "service[*]", 1),
                ));
            }
            let all: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
            // No suggestion of `legacy-1` for `legacy-4` (or `legacy4`): another number of a
            // group is no typo of this one.
            let numbered = |n: &str| {
                let stem = n.trim_end_matches(|c: char| c.is_ascii_digit());
                (stem.len() < n.len()).then(|| stem.trim_end_matches('-').to_string())
            };
            let hint = crate::scenario::wording::nearest(name, &all)
                .filter(|n| numbered(n).is_none() || numbered(n) != numbered(name))
                .map_or(String::new(), |n| format!("; did you mean `{n}`?"));
            Some(format!(
                "`{figure}`: no service `{name}`{hint} (services: {}{})",
                all[..all.len().min(8)].join(", "),
                if services.len() > 8 { ", ..." } else { "" }
            ))
        }
        Scope::Service(_) | Scope::EveryService => None,
    }
}

impl Scenario {
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

    /// Why no run of this scenario can judge recovery, if none can (the run ends too soon after
    /// its last trigger phase): a bound on recovery given on the command line could never be
    /// judged, as the file's own recovery thresholds could not.
    pub fn recovery_never_judged(&self) -> Option<String> {
        unjudged_recovery(&self.file, &self.phases, self.duration)
    }

    /// Why runs of this scenario will not have `figure`, if they will not: a class figure
    /// without priorities, a service figure with one service or a service it does not have,
    /// a recovery the run ends too soon to judge ([`Scenario::recovery_never_judged`]). For
    /// expressions given on the command line (`--threshold`, `--slo`, `--expect`), checked
    /// before any run, as the file's own thresholds are.
    pub fn figure_problem(&self, figure: &Figure) -> Option<String> {
        group_problem(
            figure,
            crate::results::uses_priorities(&self.file, &self.mix),
            &self.services,
            self.phases.iter().any(|p| p.trigger),
        )
        .or_else(|| {
            (figure.metric == crate::threshold::Metric::Recovery)
                .then(|| self.recovery_never_judged())
                .flatten()
                .map(|why| format!("`{figure}` could never be judged: {why}"))
        })
    }
}

/// `groups`: whether runs keep per-class figures, and the expanded services; `None` when the
/// rest of the file has problems (group checks are then skipped).
/// A threshold's name labels it in summaries, reports and JUnit test cases.
const MAX_THRESHOLD_NAME: usize = 200;

fn check_thresholds(
    c: &mut Checker,
    t: &[ThresholdConfig],
    groups: Option<(bool, &[ServiceSpec])>,
    trigger: bool,
) -> Vec<Threshold> {
    let mut first: Vec<(usize, Threshold)> = Vec::new();
    t.iter()
        .enumerate()
        .filter_map(|(i, th)| match th.check.parse::<Threshold>() {
            Ok(mut t) => match groups
                .and_then(|(priorities, services)| group_problem(&t.figure, priorities, services, trigger))
            {
                Some(problem) => {
                    c.fail(format!("thresholds[{i}].check"), problem);
                    None
                }
                None => {
                    t.name = th.name.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(String::from);
                    if let Some(n) = &t.name {
                        if n.chars().count() > MAX_THRESHOLD_NAME || n.chars().any(char::is_control) {
                            c.fail(
                                format!("thresholds[{i}].name"),
                                format!("expected at most {MAX_THRESHOLD_NAME} characters on one line, without control characters"),
                            );
                        }
                    }
                    // The same check twice (however written, names aside) is judged twice and
                    // counted twice in the summaries: a copy-paste, refused as a sweep's
                    // `--slo` given twice is.
                    match first.iter().find(|(_, f)| f.same_check(&t)) {
                        Some((j, f)) => c.problems.push(Problem {
                            path: format!("thresholds[{i}]"),
                            message: format!(
                                "`{}`: the same check as thresholds[{j}] (`{}`): a run judges each check once; remove one",
                                super::printable(&th.check),
                                super::printable(&f.text)
                            ),
                            also: Some(format!("thresholds[{j}]")),
                        }),
                        None => first.push((i, t.clone())),
                    }
                    Some(t)
                }
            },
            Err(e) => {
                c.fail(format!("thresholds[{i}].check"), e);
                None
            }
        })
        .collect()
}

/// The name of the phase at `index` that has none of its own.
fn default_phase_name(index: usize) -> String {
    format!("phase {}", index + 1)
}

/// "`a`", "`a` and `b`", "`a`, `b` and `c`".
fn and_list(mut items: Vec<String>) -> String {
    match items.pop() {
        None => String::new(),
        Some(last) if items.is_empty() => last,
        Some(last) => format!("{} and {last}", items.join(", ")),
    }
}
