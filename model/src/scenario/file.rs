//! The scenario file as written: serde types, one per TOML table.
//!
//! Every struct denies unknown keys, so a typo is an error with its position rather than a
//! silently ignored setting. Defaults live here; checks that need more than one field live in
//! `validate/` (one file per part of the file it checks).

use crate::dist::DistSpec;
use crate::duration::Dur;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A whole experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    #[serde(default)]
    pub run: RunConfig,
    pub workload: WorkloadConfig,
    #[serde(default)]
    pub clients: ClientsConfig,
    #[serde(default)]
    pub gateway: GatewayConfig,
    pub backend: BackendConfig,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thresholds: Vec<ThresholdConfig>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Arrivals stop here; defaults to the sum of the phase durations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Dur>,
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Divides every duration (and multiplies every rate) of the scenario for live runs.
    #[serde(default = "one")]
    pub time_scale: f64,
    /// Reporting interval.
    #[serde(default = "default_window")]
    pub window: Dur,
    /// Goodput ratio at or above which a window counts as healthy.
    #[serde(default = "default_healthy")]
    pub healthy_ratio: f64,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            name: None,
            description: None,
            duration: None,
            seed: default_seed(),
            time_scale: 1.0,
            window: default_window(),
            healthy_ratio: default_healthy(),
        }
    }
}

fn default_seed() -> u64 {
    1
}
fn one() -> f64 {
    1.0
}
fn default_window() -> Dur {
    Dur::from_secs(1)
}
fn default_healthy() -> f64 {
    0.9
}
fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArrivalProcess {
    #[default]
    Poisson,
    Uniform,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    #[default]
    Interactive,
    Background,
}

impl Priority {
    /// Every class, highest priority first.
    pub const ALL: [Priority; 2] = [Priority::Interactive, Priority::Background];

    /// The class's place in [`Priority::ALL`], for per-class arrays.
    #[inline]
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Interactive => "interactive",
            Priority::Background => "background",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadConfig {
    #[serde(default)]
    pub arrival: ArrivalProcess,
    #[serde(default)]
    pub phases: Vec<PhaseConfig>,
    /// Where intents go; empty means every service by its weight, APIs uniformly.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mix: Vec<MixEntry>,
    /// Closed loop instead of open-loop phases: N users, each waiting for its answer, then thinking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<ClosedLoopConfig>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub duration: Dur,
    /// Intents per second at the start of the phase.
    pub rate: f64,
    /// Rate at the end of the phase, reached linearly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramp_to: Option<f64>,
    /// Ramp linearly to the next phase's rate.
    #[serde(default, skip_serializing_if = "is_false")]
    pub ramp: bool,
    /// Marks an overload phase: recovery is measured from the end of the last one.
    #[serde(default, skip_serializing_if = "is_false")]
    pub trigger: bool,
    /// Intents on top of `rate` during the phase, aimed at one service (or API): a batch job
    /// hammering one legacy service while the rest of the traffic goes on as before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<ExtraEntry>,
}

/// A phase's extra traffic to one service, a counted group or one API: `rate` intents per
/// second on top of the phase's own, for the whole phase (the same arrival process).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraEntry {
    pub service: String,
    /// One API of the service; absent means all of its APIs, as a mix entry spreads them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    /// Intents per second.
    pub rate: f64,
    #[serde(default)]
    pub priority: Priority,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MixEntry {
    pub service: String,
    /// One API of the service; absent means all of its APIs, uniformly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    #[serde(default = "one")]
    pub weight: f64,
    #[serde(default)]
    pub priority: Priority,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosedLoopConfig {
    pub users: u32,
    pub think_time: DistSpec,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientsConfig {
    /// Per-attempt timeout: the client abandons an attempt after this long. A duration, or a
    /// distribution for clients of varying patience (e.g. exponential, as in Erlang-A).
    #[serde(default = "default_timeout")]
    pub timeout: DistSpec,
    #[serde(default)]
    pub retry: RetryConfig,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Credentials>,
    /// What each attempt sends: method, headers, body (loadgen only; the simulator models
    /// times, not payloads).
    #[serde(default, skip_serializing_if = "RequestConfig::is_empty")]
    pub request: RequestConfig,
    /// Per service (by name, or by the group name of `count = N` services): its clients' own
    /// timeout, over `timeout` (a reporting API's clients wait 30 s, a lookup's 2 s).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, ServiceClientsConfig>,
}

impl Default for ClientsConfig {
    fn default() -> Self {
        ClientsConfig {
            timeout: default_timeout(),
            retry: RetryConfig::default(),
            credentials: None,
            request: RequestConfig::default(),
            services: BTreeMap::new(),
        }
    }
}

/// One service's own client settings (`[clients.services.NAME]`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceClientsConfig {
    /// The timeout of this service's attempts, as `clients.timeout`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<DistSpec>,
}

impl ClientsConfig {
    /// The timeout of the attempts to one service (`name`, of group `group`): its own
    /// `[clients.services.NAME]`, else its group's `[clients.services.GROUP]`, else `timeout`.
    pub fn timeout_for(&self, name: &str, group: &str) -> &DistSpec {
        let own = |n: &str| self.services.get(n).and_then(|o| o.timeout.as_ref());
        own(name)
            .or_else(|| (group != name).then(|| own(group)).flatten())
            .unwrap_or(&self.timeout)
    }

    /// Every timeout the file gives: `timeout`, then each `[clients.services.NAME]`'s. The
    /// longest of them bounds how long any attempt waits.
    pub fn all_timeouts(&self) -> impl Iterator<Item = &DistSpec> {
        std::iter::once(&self.timeout).chain(self.services.values().filter_map(|o| o.timeout.as_ref()))
    }
}

/// `[clients.request]`, or a service's `request` over it field by field: what loadgen sends.
/// Every field is optional, so a service's table says only what differs (`None`: the
/// clients-wide value, then the default: GET, no headers, no body).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestConfig {
    /// An HTTP method token, sent as written (methods are case-sensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Header name = value; names are case-insensitive (sent lowercase).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// A file whose bytes are the body, relative to the scenario file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_file: Option<String>,
    /// `body_file`'s bytes, read when the scenario is loaded (so a missing file is an error with
    /// its position, from every command). Not in the file.
    #[serde(skip)]
    pub body_file_bytes: Option<std::sync::Arc<[u8]>>,
}

impl RequestConfig {
    pub fn is_empty(&self) -> bool {
        self.method.is_none() && self.headers.is_empty() && self.body.is_none() && self.body_file.is_none()
    }
}

fn default_timeout() -> DistSpec {
    DistSpec::Constant(Dur::from_secs(2))
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backoff {
    #[default]
    None,
    Fixed,
    Exponential,
}

/// The AWS Architecture Blog's jitter formulas.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Jitter {
    #[default]
    None,
    Full,
    Equal,
    Decorrelated,
}

impl Jitter {
    /// The name a scenario file uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Jitter::None => "none",
            Jitter::Full => "full",
            Jitter::Equal => "equal",
            Jitter::Decorrelated => "decorrelated",
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RetryOn {
    #[serde(rename = "timeout")]
    Timeout,
    #[serde(rename = "5xx")]
    ServerError,
    #[serde(rename = "429")]
    RateLimited,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryConfig {
    /// Attempts per intent, the first included; 1 means no retries.
    #[serde(default = "one_u32")]
    pub max_attempts: u32,
    #[serde(default)]
    pub backoff: Backoff,
    #[serde(default = "default_backoff_base")]
    pub base: Dur,
    #[serde(default = "default_backoff_cap")]
    pub cap: Dur,
    #[serde(default)]
    pub jitter: Jitter,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<RetryBudgetConfig>,
    #[serde(default = "yes")]
    pub honor_retry_after: bool,
    #[serde(default = "default_retry_on")]
    pub on: Vec<RetryOn>,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: 1,
            backoff: Backoff::None,
            base: default_backoff_base(),
            cap: default_backoff_cap(),
            jitter: Jitter::None,
            budget: None,
            honor_retry_after: true,
            on: default_retry_on(),
        }
    }
}

fn one_u32() -> u32 {
    1
}
fn yes() -> bool {
    true
}
fn default_backoff_base() -> Dur {
    Dur::from_millis(100)
}
fn default_backoff_cap() -> Dur {
    Dur::from_secs(10)
}
fn default_retry_on() -> Vec<RetryOn> {
    vec![RetryOn::Timeout, RetryOn::ServerError, RetryOn::RateLimited]
}

/// Retries allowed: `ratio` x first attempts, plus `min_per_sec` (as Finagle and Linkerd do).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryBudgetConfig {
    pub ratio: f64,
    #[serde(default)]
    pub min_per_sec: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer: Option<String>,
}

/// Gateway strategies (behaviour lives in the gateway issue; names and parameters are fixed here).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// No limit: every request goes straight to the backend.
    Passthrough,
    /// Concurrency limit with an unbounded FIFO queue: what "put a queue in front" builds.
    #[default]
    Fifo,
    /// FIFO with a capacity; past it, shed with 503.
    Bounded,
    /// FIFO that drops at dequeue what can no longer meet its deadline, and the oldest queued
    /// request at its deadline when nothing dequeues.
    Deadline,
    /// CoDel queue management.
    Codel,
    /// Adaptive LIFO (with CoDel), as used together at Facebook.
    #[serde(alias = "lifo")]
    AdaptiveLifo,
    /// Adaptive concurrency limit with a bounded queue.
    Adaptive,
}

impl Strategy {
    pub const ALL: [Strategy; 7] = [
        Strategy::Passthrough,
        Strategy::Fifo,
        Strategy::Bounded,
        Strategy::Deadline,
        Strategy::Codel,
        Strategy::AdaptiveLifo,
        Strategy::Adaptive,
    ];
    /// The strategies `[gateway.codel]` applies to.
    pub const CODEL: [Strategy; 2] = [Strategy::Codel, Strategy::AdaptiveLifo];
    pub fn uses_codel(self) -> bool {
        Strategy::CODEL.contains(&self)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Passthrough => "passthrough",
            Strategy::Fifo => "fifo",
            Strategy::Bounded => "bounded",
            Strategy::Deadline => "deadline",
            Strategy::Codel => "codel",
            Strategy::AdaptiveLifo => "adaptive-lifo",
            Strategy::Adaptive => "adaptive",
        }
    }
}

impl std::str::FromStr for Strategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Strategy, String> {
        if s == "lifo" {
            return Ok(Strategy::AdaptiveLifo);
        }
        Strategy::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            // As the scenario file's error lists them: `lifo` (adaptive-lifo's alias) included.
            let mut names: Vec<_> = Strategy::ALL.iter().map(|k| k.as_str()).collect();
            names.insert(names.len() - 1, "lifo");
            let hint = super::wording::nearest(s, &names).map_or(String::new(), |n| format!("did you mean `{n}`? "));
            format!("unknown strategy `{s}`: {hint}expected one of {}", names.join(", "))
        })
    }
}

/// What happens to a queued request whose client has gone.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Abandon {
    /// Still sent to the backend: message-queue semantics.
    #[default]
    Keep,
    /// Removed from the queue when the client disconnects.
    Cancel,
}

/// What the `deadline` strategy predicts a request's service time from.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineEstimate {
    /// One running estimate per service: every API alike.
    Service,
    /// Each API's typical time (its path below the service) times how slow the service is
    /// now: a request to a slow API is not sent with a budget only a fast one fits in, nor a
    /// fast one refused for a slow one's time.
    #[default]
    Api,
}

impl DeadlineEstimate {
    /// The name a scenario file uses.
    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineEstimate::Service => "service",
            DeadlineEstimate::Api => "api",
        }
    }

    fn is_default(&self) -> bool {
        *self == DeadlineEstimate::default()
    }
}

impl Abandon {
    /// The name a scenario file uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Abandon::Keep => "keep",
            Abandon::Cancel => "cancel",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    #[serde(default)]
    pub strategy: Strategy,
    /// Requests in flight to each backend service; defaults to that service's workers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
    /// Queue bound per service (bounded, deadline, codel, adaptive-lifo, adaptive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_capacity: Option<u32>,
    /// Answer 503 to a request that waited longer than this (HAProxy's `timeout queue`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_timeout: Option<Dur>,
    #[serde(default)]
    pub abandon: Abandon,
    /// The `deadline` strategy's service-time prediction: per service or per API.
    #[serde(default, skip_serializing_if = "DeadlineEstimate::is_default")]
    pub deadline_estimate: DeadlineEstimate,
    /// Budget given to requests that carry no `x-spillway-timeout-ms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_timeout: Option<Dur>,
    #[serde(default)]
    pub codel: CodelConfig,
    #[serde(default)]
    pub adaptive: AdaptiveConfig,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priorities: Option<PrioritiesConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimitConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthConfig>,
    #[serde(default)]
    pub pushback: PushbackConfig,
    #[serde(default)]
    pub retries: GatewayRetriesConfig,
    /// Giving up on connecting to a service (answered 502).
    #[serde(default = "connect_timeout")]
    pub connect_timeout: Dur,
    /// Giving up on a service's answer: the client gets 504 and the gateway's slot is freed,
    /// while the backend, which does not know, keeps working on it. Independent of the
    /// client's budget.
    #[serde(default = "upstream_timeout")]
    pub upstream_timeout: Dur,
    /// Per service (by name, or by the group name of `count = N` services): its own
    /// concurrency limit, queue bound and queue timeout, over the ones above.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, ServiceGatewayConfig>,
    /// How many times faster than the scenario's clock this gateway's runs (a time-compressed
    /// live run: [`super::time_scaled`] multiplies it); the policy's own time constants (the
    /// retry budget's window, its Retry-After estimates) are divided by it. Not in the file.
    #[serde(skip, default = "one")]
    pub clock_scale: f64,
}

/// One service's own gateway settings (`[gateway.services.NAME]`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceGatewayConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_capacity: Option<u32>,
    /// This service's `queue_timeout`: its clients may wait longer (or less) than others'.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_timeout: Option<Dur>,
}

fn connect_timeout() -> Dur {
    Dur::from_secs(1)
}
fn upstream_timeout() -> Dur {
    Dur::from_secs(30)
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            strategy: Strategy::default(),
            concurrency: None,
            queue_capacity: None,
            queue_timeout: None,
            abandon: Abandon::default(),
            deadline_estimate: DeadlineEstimate::default(),
            default_timeout: None,
            codel: CodelConfig::default(),
            adaptive: AdaptiveConfig::default(),
            priorities: None,
            rate_limit: None,
            auth: None,
            pushback: PushbackConfig::default(),
            retries: GatewayRetriesConfig::default(),
            connect_timeout: connect_timeout(),
            upstream_timeout: upstream_timeout(),
            services: BTreeMap::new(),
            clock_scale: 1.0,
        }
    }
}

impl GatewayConfig {
    /// Switches strategy, dropping the settings the new one does not take (a queue bound for
    /// the unbounded strategies, a limit for passthrough), so one scenario can be replayed
    /// under every strategy.
    pub fn set_strategy(&mut self, s: Strategy) {
        self.strategy = s;
        self.normalize();
    }

    /// Whether the strategy reads the table a `gateway.TABLE.FIELD` key names: `[gateway.codel]`
    /// and `[gateway.adaptive]` apply to some strategies only. [`GatewayConfig::normalize`]
    /// resets the others to their defaults, so a key set to its default value is told apart
    /// here, not by a changed value.
    pub fn reads_table_of(&self, key: &str) -> bool {
        if key.starts_with("gateway.codel.") {
            self.strategy.uses_codel()
        } else if key.starts_with("gateway.adaptive.") {
            self.strategy == Strategy::Adaptive
        } else if key == "gateway.deadline_estimate" {
            self.strategy == Strategy::Deadline
        } else {
            true
        }
    }

    /// Drops settings the current strategy does not take (see [`GatewayConfig::set_strategy`]):
    /// a sweep shows them as `-` and runs the configurations that become identical once.
    pub fn normalize(&mut self) {
        let unbounded = matches!(self.strategy, Strategy::Fifo | Strategy::Passthrough);
        let unlimited = self.strategy == Strategy::Passthrough;
        if !self.strategy.uses_codel() {
            self.codel = CodelConfig::default();
        }
        if self.strategy != Strategy::Adaptive {
            self.adaptive = AdaptiveConfig::default();
        }
        if self.strategy != Strategy::Deadline {
            self.deadline_estimate = DeadlineEstimate::default();
        }
        if unbounded {
            self.queue_capacity = None;
        }
        if unlimited {
            self.concurrency = None;
            // Nothing waits at a passthrough gateway.
            self.queue_timeout = None;
        }
        for o in self.services.values_mut() {
            if unbounded {
                o.queue_capacity = None;
            }
            if unlimited {
                o.concurrency = None;
                o.queue_timeout = None;
            }
        }
        self.services.retain(|_, o| *o != ServiceGatewayConfig::default());
    }

    /// The settings for one service (`name`, of group `group`): the shared ones, the group's
    /// `[gateway.services.GROUP]` over them, and its own `[gateway.services.NAME]` over those.
    pub fn for_service(&self, name: &str, group: &str) -> GatewayConfig {
        let mut g = self.clone();
        // The group's settings, then the service's own over them, field by field.
        let group = (group != name).then(|| self.services.get(group)).flatten();
        for o in group.into_iter().chain(self.services.get(name)) {
            if o.concurrency.is_some() {
                g.concurrency = o.concurrency;
            }
            if o.queue_capacity.is_some() {
                g.queue_capacity = o.queue_capacity;
            }
            if o.queue_timeout.is_some() {
                g.queue_timeout = o.queue_timeout;
            }
        }
        g
    }
}

/// CoDel defaults are the paper's (5 ms, 100 ms); legacy services usually need larger values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodelConfig {
    #[serde(default = "codel_target")]
    pub target: Dur,
    #[serde(default = "codel_interval")]
    pub interval: Dur,
}

impl Default for CodelConfig {
    fn default() -> Self {
        CodelConfig {
            target: codel_target(),
            interval: codel_interval(),
        }
    }
}

fn codel_target() -> Dur {
    Dur::from_millis(5)
}
fn codel_interval() -> Dur {
    Dur::from_millis(100)
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitAlgorithm {
    #[default]
    Gradient,
    Aimd,
}

/// Adaptive concurrency, with defaults sized for tens of requests per second.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdaptiveConfig {
    #[serde(default)]
    pub algorithm: LimitAlgorithm,
    #[serde(default = "one_u32")]
    pub min_limit: u32,
    #[serde(default = "adaptive_max")]
    pub max_limit: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_limit: Option<u32>,
    /// Completed requests per limit update (published defaults use 50+; at 20 req/s that is seconds).
    #[serde(default = "adaptive_samples")]
    pub sample_size: u32,
    /// Longest time between limit updates, whatever the sample count.
    #[serde(default = "adaptive_interval")]
    pub update_interval: Dur,
    /// Latency tolerated over the minimum before the limit backs off (gradient).
    #[serde(default = "adaptive_tolerance")]
    pub tolerance: f64,
    /// Multiplier on decrease (AIMD).
    #[serde(default = "adaptive_backoff")]
    pub backoff_ratio: f64,
}

impl Default for AdaptiveConfig {
    fn default() -> Self {
        AdaptiveConfig {
            algorithm: LimitAlgorithm::default(),
            min_limit: 1,
            max_limit: adaptive_max(),
            initial_limit: None,
            sample_size: adaptive_samples(),
            update_interval: adaptive_interval(),
            tolerance: adaptive_tolerance(),
            backoff_ratio: adaptive_backoff(),
        }
    }
}

fn adaptive_max() -> u32 {
    64
}
fn adaptive_samples() -> u32 {
    10
}
fn adaptive_interval() -> Dur {
    Dur::from_secs(1)
}
fn adaptive_tolerance() -> f64 {
    2.0
}
fn adaptive_backoff() -> f64 {
    0.9
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrioritiesConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interactive_capacity: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_capacity: Option<u32>,
    /// Share of dispatches reserved for background while both classes wait (anti-starvation).
    #[serde(default = "background_share")]
    pub background_share: f64,
    /// Priority by path prefix, for clients that send no header.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub routes: BTreeMap<String, Priority>,
}

fn background_share() -> f64 {
    0.1
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateLimitKey {
    /// One bucket per client: its API key or bearer token when `[gateway.auth]` checks them,
    /// else its address.
    #[default]
    Client,
    Global,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Tokens per second.
    pub rate: f64,
    #[serde(default = "one_u32")]
    pub burst: u32,
    #[serde(default)]
    pub per: RateLimitKey,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    pub keys: Vec<String>,
    /// Whether /metrics and /healthz also need a key.
    #[serde(default)]
    pub protect_admin: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushbackConfig {
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Pause when a 429/503 carries no Retry-After.
    #[serde(default = "pushback_default")]
    pub default_pause: Dur,
    /// Longest pause honoured, whatever the backend asks.
    #[serde(default = "pushback_max")]
    pub max_pause: Dur,
}

impl Default for PushbackConfig {
    fn default() -> Self {
        PushbackConfig {
            enabled: true,
            default_pause: pushback_default(),
            max_pause: pushback_max(),
        }
    }
}

fn pushback_default() -> Dur {
    Dur::from_secs(1)
}
fn pushback_max() -> Dur {
    Dur::from_secs(30)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayRetriesConfig {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default = "gw_retry_max")]
    pub max_attempts: u32,
    #[serde(default = "gw_budget_ratio")]
    pub budget_ratio: f64,
    #[serde(default = "gw_budget_min")]
    pub min_per_sec: f64,
}

impl Default for GatewayRetriesConfig {
    fn default() -> Self {
        GatewayRetriesConfig {
            enabled: false,
            max_attempts: gw_retry_max(),
            budget_ratio: gw_budget_ratio(),
            min_per_sec: gw_budget_min(),
        }
    }
}

fn gw_retry_max() -> u32 {
    2
}
fn gw_budget_ratio() -> f64 {
    0.2
}
fn gw_budget_min() -> f64 {
    10.0
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendConfig {
    pub services: Vec<ServiceConfig>,
}

/// One legacy service, or `count` identical ones (`name` becomes `name-1` .. `name-N`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// `20` (named `api-1` .. `api-20`) or a list of names.
    #[serde(default)]
    pub apis: ApiSpec,
    #[serde(default = "one")]
    pub weight: f64,
    pub workers: u32,
    pub service_time: DistSpec,
    /// Per-API service times that differ from the service's.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub api_service_time: BTreeMap<String, DistSpec>,
    /// Per-API shares of the service's intents, for APIs called more (or less) than others:
    /// `{ acc-op01 = 10 }`; an API not listed weighs 1. Without it every API gets the same.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub api_weight: BTreeMap<String, f64>,
    #[serde(default)]
    pub overload: OverloadConfig,
    #[serde(default)]
    pub faults: FaultsConfig,
    /// Where the gateway finds this service when it is not the in-process mock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
    /// What loadgen sends to this service, over `[clients.request]` field by field.
    #[serde(default, skip_serializing_if = "RequestConfig::is_empty")]
    pub request: RequestConfig,
}

impl ServiceConfig {
    /// The services this entry stands for, at most `limit` of them: `name-1` .. `name-N` with
    /// `count = N` (N >= 1), else `name` itself (`count = 0` is an error of its own).
    pub fn service_names(&self, limit: u32) -> Vec<String> {
        match self.count {
            Some(n) if n >= 1 => (1..=n.min(limit)).map(|k| format!("{}-{k}", self.name)).collect(),
            _ => vec![self.name.clone()],
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ApiSpec {
    Count(u32),
    Names(Vec<String>),
}

impl Default for ApiSpec {
    fn default() -> Self {
        ApiSpec::Count(1)
    }
}

impl<'de> Deserialize<'de> for ApiSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ApiSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of APIs (e.g. 20) or a list of API names")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ApiSpec, E> {
                u32::try_from(v)
                    .map(ApiSpec::Count)
                    .map_err(|_| E::custom(format!("expected an API count >= 1, got {v}")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ApiSpec, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(-1))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ApiSpec, A::Error> {
                let mut names = Vec::new();
                while let Some(n) = seq.next_element::<String>()? {
                    names.push(n);
                }
                Ok(ApiSpec::Names(names))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverloadMode {
    /// Requests past the workers wait in the service's own backlog, up to `backlog`, then 503.
    #[default]
    Queue,
    /// 503 for every request past the workers.
    Reject,
    /// Everything runs at once, each request slower: service time x (1 + k x excess in-flight).
    Thrash,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OverloadConfig {
    pub mode: OverloadMode,
    /// Queue mode: waiting requests held beyond the busy workers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backlog: Option<u32>,
    /// Thrash mode: slowdown per request in flight beyond the workers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub k: Option<f64>,
    /// Thrash mode: 503 past this many in flight.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<u32>,
}

impl Default for OverloadConfig {
    fn default() -> Self {
        OverloadConfig {
            mode: OverloadMode::Queue,
            backlog: None,
            k: None,
            max_in_flight: None,
        }
    }
}

pub const DEFAULT_BACKLOG: u32 = 1024;
pub const DEFAULT_THRASH_K: f64 = 0.5;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OverloadTable {
    /// Without it, what the other keys imply: `k` or `max_in_flight` thrash, else queue.
    #[serde(default)]
    mode: Option<OverloadMode>,
    #[serde(default)]
    backlog: Option<u32>,
    #[serde(default)]
    k: Option<f64>,
    #[serde(default)]
    max_in_flight: Option<u32>,
}

impl<'de> Deserialize<'de> for OverloadConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OverloadConfig;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"queue\", \"reject\", \"thrash\" or a table like { mode = \"queue\", backlog = 100 }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OverloadConfig, E> {
                let mode = OverloadMode::deserialize(de::value::StrDeserializer::<E>::new(v))?;
                Ok(OverloadConfig {
                    mode,
                    ..OverloadConfig::default()
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<OverloadConfig, A::Error> {
                let t = OverloadTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                let thrash = t.k.is_some() || t.max_in_flight.is_some();
                Ok(OverloadConfig {
                    mode: t.mode.unwrap_or(if thrash {
                        OverloadMode::Thrash
                    } else {
                        OverloadMode::Queue
                    }),
                    backlog: t.backlog,
                    k: t.k,
                    max_in_flight: t.max_in_flight,
                })
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultsConfig {
    /// Probability that a served request ends in 500.
    #[serde(default)]
    pub error_ratio: f64,
    /// Answer 429 above this rate, like a throttling external system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<BackendRateLimit>,
    /// Every `every`, the service stops for `duration`: nothing starts or progresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stalls: Option<StallConfig>,
    /// The service answers 503 at once during these windows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outages: Vec<OutageConfig>,
    /// Above this offered rate, every service time is multiplied by `factor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slowdown: Option<SlowdownConfig>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendRateLimit {
    pub rate: f64,
    #[serde(default = "one_u32")]
    pub burst: u32,
    /// Retry-After sent with the 429; defaults to the time until a token is free.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<Dur>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StallConfig {
    pub every: Dur,
    pub duration: Dur,
    /// When the first stall starts; defaults to `every - duration`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<Dur>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutageConfig {
    pub at: Dur,
    pub duration: Dur,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<Dur>,
    /// `reject`: answer 503 at once. `hang`: accept, but nothing progresses until it ends.
    #[serde(default)]
    pub kind: OutageKind,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutageKind {
    #[default]
    Reject,
    Hang,
}

/// A service that slows down when offered more than it was built for (arrivals over `window`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlowdownConfig {
    pub above_rate: f64,
    pub factor: f64,
    #[serde(default = "default_window")]
    pub window: Dur,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdConfig {
    /// e.g. `goodput_ratio >= 0.9`, `p99 < 2s`, `recovery <= 10s`.
    pub check: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::Strategy;

    /// A flag's unknown strategy lists the names a scenario file's error lists: the `lifo`
    /// alias included, and every name listed parses.
    #[test]
    fn an_unknown_strategy_lists_every_accepted_name() {
        let e = "bogus".parse::<Strategy>().unwrap_err();
        let listed = e.split("expected one of ").nth(1).expect("a list");
        let names: Vec<&str> = listed.split(", ").collect();
        // The same names, in the same order, as a scenario file's error for the same value.
        let file = "[gateway]\nstrategy = \"bogus\"\n[[workload.phases]]\nduration = \"1s\"\nrate = 1\n\
                    [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n";
        let fe = crate::scenario::parse("t.toml", file).expect_err("refused").to_string();
        let from_file = fe
            .split("expected one of: ")
            .nth(1)
            .expect("a list")
            .trim_end_matches(')');
        assert_eq!(listed, from_file, "{fe}");
        assert!(names.contains(&"lifo"), "{e}");
        for n in names {
            assert!(n.parse::<Strategy>().is_ok(), "{n}");
        }
        assert_eq!("lifo".parse::<Strategy>(), Ok(Strategy::AdaptiveLifo));
    }
}
