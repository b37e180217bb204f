//! The resolved scenario: services expanded, distributions validated, phases placed on the
//! time line. Drivers use this; the raw [`ScenarioFile`](super::ScenarioFile) is kept for echoing.

use super::file::{Priority, ScenarioFile};
use crate::dist::Distribution;
use crate::threshold::Threshold;
use crate::time::Time;
use std::time::Duration;

/// A validated scenario, ready to drive.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// File name (or `<built-in>`), for messages.
    pub source: String,
    pub file: ScenarioFile,
    pub services: Vec<ServiceSpec>,
    pub phases: Vec<Phase>,
    pub mix: Vec<MixTarget>,
    /// When arrivals stop.
    pub duration: Duration,
    pub thresholds: Vec<Threshold>,
    /// Which of the run's time line fields the user set (see [`Given`]).
    pub given: Given,
    /// The queue bounds sized for services that a `bounded` gateway was given none for
    /// ([`resolve_sizing_bounds`]), by service name; empty when nothing was sized.
    pub sized_bounds: Vec<(String, u32)>,
}

/// Whether the user set `run.window` and `run.duration` (in the file, or by changing them, as a
/// sweep axis or a compare variant does), rather than leaving the default or having a tool
/// override them (`loadgen run --duration` cuts a run short on purpose). What the user set must
/// let the run show what it describes: [`super::check_given_timeline`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Given {
    pub window: bool,
    pub duration: bool,
}

impl Given {
    /// These, and also what the changed field paths set.
    pub fn with_changed<'a>(self, paths: impl IntoIterator<Item = &'a str>) -> Given {
        paths.into_iter().fold(self, |g, p| Given {
            window: g.window || p == "run.window",
            duration: g.duration || p == "run.duration",
        })
    }
}

/// One workload phase on the time line.
#[derive(Clone, Debug, PartialEq)]
pub struct Phase {
    pub name: String,
    pub start: Time,
    pub end: Time,
    /// Intents per second at the start and the end, the extra traffic's included.
    pub rate_start: f64,
    pub rate_end: f64,
    pub trigger: bool,
    /// Where the phase's extra traffic goes (`extra` in the file), each target's `weight` its
    /// intents per second; empty without (every intent then follows the workload's mix).
    pub extra: Vec<MixTarget>,
}

impl Phase {
    pub fn duration(&self) -> Duration {
        self.end.saturating_since(self.start)
    }
    /// Intents expected in the phase.
    pub fn expected_intents(&self) -> f64 {
        self.duration().as_secs_f64() * (self.rate_start + self.rate_end) / 2.0
    }
    pub fn mean_rate(&self) -> f64 {
        (self.rate_start + self.rate_end) / 2.0
    }
    /// Intents per second of the extra traffic (constant over the phase).
    pub fn extra_rate(&self) -> f64 {
        self.extra.iter().map(|m| m.weight).sum()
    }
}

/// Where a share of the intents goes.
#[derive(Clone, Debug, PartialEq)]
pub struct MixTarget {
    pub service: usize,
    /// `None`: any API of the service, uniformly.
    pub api: Option<usize>,
    pub weight: f64,
    pub priority: Priority,
}

/// One backend service, expanded.
#[derive(Clone, Debug)]
pub struct ServiceSpec {
    pub index: usize,
    pub name: String,
    /// The `name` of the `[[backend.services]]` entry it came from (`legacy` for `legacy-3`).
    pub group: String,
    /// That entry's index in `backend.services` (group names need not be unique).
    pub entry: usize,
    pub apis: Vec<String>,
    pub weight: f64,
    pub workers: u32,
    pub service_time: Distribution,
    /// Per-API overrides, indexed like `apis`.
    pub api_service_time: Vec<Option<Distribution>>,
    /// Per-API shares of the service's intents (`api_weight`), indexed like `apis`; empty
    /// when every API weighs the same.
    pub api_weight: Vec<f64>,
    pub overload: Overload,
    pub faults: Faults,
    pub upstream: Option<String>,
}

impl ServiceSpec {
    /// Mean service time over the APIs, each weighted by its `api_weight` (equally without
    /// one), in seconds.
    pub fn mean_service_time(&self) -> f64 {
        if !self.api_weight.is_empty() {
            let total: f64 = self.api_weight.iter().sum();
            let sum: f64 = self
                .api_weight
                .iter()
                .enumerate()
                .map(|(i, w)| w * self.distribution(i).mean())
                .sum();
            return sum / total;
        }
        let n = self.apis.len().max(1) as f64;
        self.apis
            .iter()
            .enumerate()
            .map(|(i, _)| self.distribution(i).mean())
            .sum::<f64>()
            / n
    }

    /// The share of this service's attempts whose service time is longer than a client
    /// `timeout`: attempts that time out with no queue at all. Over the APIs by their shares
    /// (`api_weight`, equally without one); a random timeout is integrated over its quantiles
    /// (P(service time > timeout) = E[1 - F(timeout)]), a constant one read off the CDF.
    pub fn share_longer_than(&self, timeout: &Distribution) -> f64 {
        let n = self.apis.len().max(1);
        let weight = |i: usize| {
            if self.api_weight.is_empty() {
                1.0
            } else {
                self.api_weight[i]
            }
        };
        let total: f64 = (0..n).map(weight).sum();
        let longer = |t: f64| -> f64 {
            (0..n)
                .map(|i| weight(i) * (1.0 - self.distribution(i).cdf(t)))
                .sum::<f64>()
                / total
        };
        match timeout {
            Distribution::Constant(t) => longer(*t),
            random => {
                // The midpoints of 1,000 equal slices of the timeout's probability.
                const SLICES: usize = 1000;
                (0..SLICES)
                    .map(|k| longer(random.quantile((k as f64 + 0.5) / SLICES as f64)))
                    .sum::<f64>()
                    / SLICES as f64
            }
        }
        .clamp(0.0, 1.0)
    }

    /// The service-time distribution of one API.
    pub fn distribution(&self, api: usize) -> &Distribution {
        self.api_service_time
            .get(api)
            .and_then(Option::as_ref)
            .unwrap_or(&self.service_time)
    }

    /// Requests per second the workers can complete: workers / mean service time.
    pub fn capacity(&self) -> f64 {
        let m = self.mean_service_time();
        if m > 0.0 {
            f64::from(self.workers) / m
        } else {
            f64::INFINITY
        }
    }

    pub fn api_index(&self, api: &str) -> Option<usize> {
        self.apis.iter().position(|a| a == api)
    }
}

/// How a service behaves past its workers.
#[derive(Clone, Debug, PartialEq)]
pub enum Overload {
    Queue { backlog: u32 },
    Reject,
    Thrash { k: f64, max_in_flight: Option<u32> },
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    pub error_ratio: f64,
    pub rate_limit: Option<RateLimitFault>,
    pub stalls: Option<Stalls>,
    pub outages: Vec<Outage>,
    pub slowdown: Option<Slowdown>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RateLimitFault {
    pub rate: f64,
    pub burst: u32,
    pub retry_after: Option<Duration>,
}

/// Periodic stalls: from `offset`, every `every`, the service stops for `duration`.
#[derive(Clone, Debug, PartialEq)]
pub struct Stalls {
    pub every: Duration,
    pub duration: Duration,
    pub offset: Duration,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Outage {
    pub start: Time,
    pub end: Time,
    pub retry_after: Option<Duration>,
    pub kind: super::file::OutageKind,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Slowdown {
    pub above_rate: f64,
    pub factor: f64,
    pub window: Duration,
}

/// The name a scenario without `run.name` goes by: its file's stem (`death-spiral` for
/// `scenarios/death-spiral.toml`), else `source` itself.
pub(crate) fn name_from_source(source: &str) -> String {
    std::path::Path::new(source)
        .file_stem()
        .map_or_else(|| source.to_string(), |s| s.to_string_lossy().into_owned())
}

impl Scenario {
    /// Whether the workload sends intents to the service called `name`: a mix target (an
    /// empty mix spreads over every service by its weight) or a phase's extra traffic aims at
    /// it with a weight above zero. A service no entry names gets no traffic, and nothing of
    /// its clients (their timeout, say) bears on a run.
    pub fn receives_intents(&self, name: &str) -> bool {
        let Some(s) = self.services.iter().find(|s| s.name == name) else {
            return false;
        };
        let aimed = |m: &MixTarget| m.service == s.index && m.weight > 0.0;
        self.mix.iter().any(aimed) || self.phases.iter().any(|p| p.extra.iter().any(aimed))
    }

    /// `run.name`, else the file's name without its extension ([`name_from_source`]).
    pub fn name(&self) -> String {
        self.file
            .run
            .name
            .clone()
            .unwrap_or_else(|| name_from_source(&self.source))
    }

    pub fn seed(&self) -> u64 {
        self.file.run.seed
    }

    pub fn window(&self) -> Duration {
        self.file.run.window.0
    }

    pub fn service_index(&self, name: &str) -> Option<usize> {
        self.services.iter().position(|s| s.name == name)
    }

    /// End of the last trigger phase, if any.
    pub fn last_trigger_end(&self) -> Option<Time> {
        self.phases.iter().filter(|p| p.trigger).map(|p| p.end).max()
    }

    /// What the verdict treats as the trigger: from the first trigger phase's start to the
    /// last one's end, widened to cover every backend outage that overlaps it (the trigger
    /// phase marks an outage's time, but a sweep over `faults.outages[i].duration`, or an
    /// edit, can make the outage outlast it: recovery timed from the phase's end read
    /// "recovered in 23s" for goodput back 3 s after a 30 s outage). `None` without a trigger.
    pub fn trigger_span(&self) -> Option<(Time, Time)> {
        let (mut start, mut end) = self
            .phases
            .iter()
            .filter(|p| p.trigger)
            .fold(None, |acc: Option<(Time, Time)>, p| {
                Some(acc.map_or((p.start, p.end), |(a, b)| (a.min(p.start), b.max(p.end))))
            })?;
        // Widened until no overlapping outage sticks out: one may overlap only another's part.
        loop {
            let mut widened = false;
            for o in self.services.iter().flat_map(|s| &s.faults.outages) {
                if o.start < end && o.end > start && (o.start < start || o.end > end) {
                    (start, end) = (start.min(o.start), end.max(o.end));
                    widened = true;
                }
            }
            if !widened {
                return Some((start, end));
            }
        }
    }

    /// Share of intents that go to each service.
    pub fn service_shares(&self) -> Vec<f64> {
        let total: f64 = self.mix.iter().map(|m| m.weight).sum();
        let mut shares = vec![0.0; self.services.len()];
        for m in &self.mix {
            shares[m.service] += m.weight / total;
        }
        shares
    }
}

impl Scenario {
    /// A queue bound for service `i` when the file gives none (a scenario written for `fifo`
    /// replayed under `bounded`): what its concurrency drains within half its clients' median
    /// timeout. A longer queue only holds requests whose clients will have left; half leaves
    /// the other half for the service itself.
    pub fn sized_bound(&self, i: usize) -> u32 {
        (self.drain_rate(i) * 0.5 * self.median_client_timeout(i))
            .round()
            .clamp(1.0, f64::from(u32::MAX)) as u32
    }

    /// The smallest of the services' [`Scenario::sized_bound`]s.
    pub fn sized_queue_capacity(&self) -> u32 {
        (0..self.services.len()).map(|i| self.sized_bound(i)).min().unwrap_or(1)
    }

    /// The median timeout of service `i`'s clients (`clients.timeout`, or its own in
    /// `[clients.services.NAME]`), seconds (2 s when it has none).
    pub fn median_client_timeout(&self, i: usize) -> f64 {
        let s = &self.services[i];
        self.file
            .clients
            .timeout_for(&s.name, &s.group)
            .resolve()
            .map(|d| d.quantile(0.5))
            .unwrap_or(2.0)
    }

    /// Requests per second the gateway drains from service `i`'s queue: its concurrency (the
    /// workers when not set) over the mean service time of the requests it gets
    /// ([`Scenario::service_mean_time`]). A concurrency above the workers drains no faster: the
    /// excess waits inside the backend.
    pub fn drain_rate(&self, i: usize) -> f64 {
        let service = &self.services[i];
        let g = self.file.gateway.for_service(&service.name, &service.group);
        let c = f64::from(g.concurrency.unwrap_or(service.workers).min(service.workers).max(1));
        c / self.service_mean_time(i).max(1e-6)
    }

    /// The mean service time (seconds) of the requests service `i` gets: each API's mean
    /// weighted by the mix's share of it (a mix target naming no API spreads over the
    /// service's APIs by their `api_weight`, evenly without), or over the APIs so when the mix
    /// sends it nothing. Per-API service times
    /// (`api_service_time`) count: a service's base time alone misjudged its capacity.
    pub fn service_mean_time(&self, i: usize) -> f64 {
        let svc = &self.services[i];
        let (mut weight, mut sum) = (0.0, 0.0);
        for m in self.mix.iter().filter(|m| m.service == i) {
            let mean = match m.api {
                Some(a) => svc.distribution(a).mean(),
                None => svc.mean_service_time(),
            };
            weight += m.weight;
            sum += m.weight * mean;
        }
        if weight > 0.0 {
            sum / weight
        } else {
            svc.mean_service_time()
        }
    }

    /// Requests per second service `i`'s workers complete: workers over
    /// [`Scenario::service_mean_time`].
    pub fn service_capacity(&self, i: usize) -> f64 {
        let m = self.service_mean_time(i);
        if m > 0.0 {
            f64::from(self.services[i].workers) / m
        } else {
            f64::INFINITY
        }
    }

    /// This scenario under another gateway strategy, dropping settings the strategy does not take
    /// and sizing a queue bound it needs but the file lacks ([`Scenario::sized_queue_capacity`]).
    pub fn with_strategy(&self, s: super::Strategy) -> Result<Scenario, super::ScenarioError> {
        let mut f = self.file.clone();
        f.gateway.set_strategy(s);
        let mut run = resolve_sizing_bounds(&self.source, f)?;
        run.given = self.given;
        Ok(run)
    }
}

/// What to say when queue bounds were sized for the user ([`resolve_sizing_bounds`]): a bound
/// picked for the user is said, not silent (a 10 min timeout sizes ~30,000, as good as
/// unbounded).
pub fn sized_bound_note(run: &Scenario) -> Option<String> {
    let sized = &run.sized_bounds;
    let first = sized.first()?.1;
    if sized.iter().all(|(_, q)| *q == first) {
        return Some(format!(
            "strategy bounded: queue bound {first}, sized from the clients' median timeout (what the gateway drains in half of it); set gateway.queue_capacity to choose one"
        ));
    }
    const SHOWN: usize = 8;
    let mut list: Vec<String> = sized.iter().take(SHOWN).map(|(n, q)| format!("{n} {q}")).collect();
    if sized.len() > SHOWN {
        list.push(format!("and {} more", sized.len() - SHOWN));
    }
    Some(format!(
        "strategy bounded: queue bounds sized per service from the clients' median timeout (what the gateway drains from each within half that timeout): {}; set gateway.queue_capacity, or [gateway.services.NAME] queue_capacity, to choose",
        list.join(", ")
    ))
}

/// [`super::resolve`], but a `bounded` gateway without a `queue_capacity` gets one sized for
/// each service that has none ([`Scenario::sized_bound`]) instead of an error: for files
/// modified in code (a strategy switched by a flag, a sweep axis), where the user never had the
/// chance to write one. Services draining at one rate share one `gateway.queue_capacity`; when
/// they differ, each gets its own `[gateway.services.NAME]` bound (the smallest for all would
/// make a fast service shed what it could serve: 5 for a service that drains 125/s).
pub fn resolve_sizing_bounds(source: &str, mut f: ScenarioFile) -> Result<Scenario, super::ScenarioError> {
    if f.gateway.strategy != super::Strategy::Bounded || f.gateway.queue_capacity.is_some() {
        return super::resolve(source, f);
    }
    let mut probe = f.clone();
    probe.gateway.queue_capacity = Some(1);
    let probe = super::resolve(source, probe)?;
    // Services that each set their own `[gateway.services.NAME]` bound need none.
    let sized: Vec<(String, u32)> = probe
        .services
        .iter()
        .enumerate()
        .filter(|(_, s)| f.gateway.for_service(&s.name, &s.group).queue_capacity.is_none())
        .map(|(i, s)| (s.name.clone(), probe.sized_bound(i)))
        .collect();
    match sized.first() {
        None => {}
        Some(&(_, q)) if sized.iter().all(|(_, x)| *x == q) => f.gateway.queue_capacity = Some(q),
        Some(_) => {
            for (name, q) in &sized {
                f.gateway.services.entry(name.clone()).or_default().queue_capacity = Some(*q);
            }
        }
    }
    let mut run = super::resolve(source, f)?;
    run.sized_bounds = sized;
    Ok(run)
}
