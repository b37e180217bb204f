//! The client model: what a client does after each attempt (give up, or retry when, with which
//! backoff and jitter, within which budget). Sans-I/O: the load generator sends the requests and
//! keeps the clocks; the simulator does the same on its virtual clock.

use crate::budget::RetryBudget;
use crate::dist::Distribution;
use crate::rng::{Rng, Streams};
use crate::scenario::{Backoff, ClientsConfig, Jitter, RetryOn, ServiceSpec};
use crate::time::Time;
use rand::Rng as _;
use std::time::Duration;

/// How an attempt ended, from the client's side.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum AttemptResult {
    /// The client's timeout fired first.
    Timeout,
    /// An answer with this status; `retry_after` from its headers.
    Status { status: u16, retry_after: Option<Duration> },
    /// No connection or a broken one.
    ConnectionError,
}

impl AttemptResult {
    pub fn is_success(&self) -> bool {
        matches!(self, AttemptResult::Status { status: 200..=299, .. })
    }

    /// The outcome in the results' words.
    pub fn outcome(&self) -> crate::results::Outcome {
        match self {
            AttemptResult::Timeout => crate::results::Outcome::Timeout,
            AttemptResult::Status { status, .. } => crate::results::Outcome::from_status(*status),
            AttemptResult::ConnectionError => crate::results::Outcome::Error,
        }
    }

    fn retry_class(&self) -> Option<RetryOn> {
        match self {
            AttemptResult::Timeout => Some(RetryOn::Timeout),
            AttemptResult::Status { status: 429, .. } => Some(RetryOn::RateLimited),
            AttemptResult::Status { status: 500..=599, .. } | AttemptResult::ConnectionError => {
                Some(RetryOn::ServerError)
            }
            AttemptResult::Status { .. } => None,
        }
    }
}

/// Where one intent stands.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Intent {
    pub id: u64,
    /// The first attempt's intended send time: intent latency runs from here.
    pub start: Time,
    /// Attempts made so far.
    pub attempts: u32,
    /// The last backoff sleep (decorrelated jitter grows from it).
    pub last_sleep: Duration,
}

impl Intent {
    pub fn new(id: u64, start: Time) -> Intent {
        Intent {
            id,
            start,
            attempts: 0,
            last_sleep: Duration::ZERO,
        }
    }
}

/// What the client does next.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// The intent is over.
    Done { success: bool },
    /// Send another attempt at this time.
    RetryAt(Time),
}

/// One service's attempt timeout: a distribution, and the duration itself when it is
/// constant, converted once rather than per attempt.
struct AttemptTimeout {
    dist: Distribution,
    constant: Option<Duration>,
}

impl AttemptTimeout {
    fn new(spec: &crate::dist::DistSpec) -> AttemptTimeout {
        // A scenario that validated has a valid timeout; fall back to the default otherwise.
        let dist = spec.resolve().unwrap_or(Distribution::Constant(2.0));
        let constant = match dist {
            Distribution::Constant(s) => Some(crate::time::secs(s)),
            _ => None,
        };
        AttemptTimeout { dist, constant }
    }
}

/// The retry behaviour of a scenario's clients.
pub struct ClientModel {
    cfg: ClientsConfig,
    budget: Option<RetryBudget>,
    jitter: Rng,
    /// Each service's timeout, by service index (`clients.timeout`, or the service's own).
    timeouts: Vec<AttemptTimeout>,
    /// `clients.timeout`, for a service past `timeouts` (clients built without services).
    shared_timeout: AttemptTimeout,
    /// One stream for every service's random patience: drawn only for the attempts whose
    /// service has a random timeout, so a file without `[clients.services]` draws as before.
    patience: Rng,
    /// [`intent_lifetime_bound`]: no retry is sent later than this after an intent started.
    lifetime: Duration,
    /// Intents that gave up because a retry would have been sent past `lifetime` (a
    /// Retry-After's pause, at once or through the attempts after it).
    past_lifetime: u64,
}

/// The clients of one of `shards` shards of a live run: the retry budget's floor
/// (`min_per_sec`) is shared by all clients, so each shard gets 1/N of it (with the whole floor
/// each, N shards together retried up to N times as much as one run). Its ratio scales with the
/// shard's own attempts already.
pub fn for_shard(c: &ClientsConfig, shards: u32) -> ClientsConfig {
    let mut c = c.clone();
    if let Some(b) = c.retry.budget.as_mut() {
        b.min_per_sec /= f64::from(shards.max(1));
    }
    c
}

/// About how long an intent can live: every attempt timing out after the longest timeout (of
/// `clients.timeout` and every `[clients.services.NAME]` one: a bound for every service), with
/// the longest backoff between them (none with `backoff = "none"`, which uses no `cap`). A
/// client sends no retry later than this after the intent started, whatever paused it (a
/// Retry-After, or attempts that timed out after one): it gives up instead (see
/// [`ClientModel::on_result`]), so an intent ends by this bound plus one attempt's timeout.
/// Recorders use it to know when a window will receive no more values, and a live run how
/// long to wait for the last intents.
pub fn intent_lifetime_bound(cfg: &ClientsConfig) -> Duration {
    let longest = cfg
        .all_timeouts()
        .map(|t| t.resolve().map_or(2.0, |d| d.quantile(0.9999).max(0.0)))
        .fold(0.0, f64::max);
    let n = cfg.retry.max_attempts.max(1);
    let backoff = match cfg.retry.backoff {
        crate::scenario::Backoff::None => Duration::ZERO,
        _ => cfg.retry.cap.0,
    };
    crate::time::secs(longest)
        .saturating_mul(n)
        .saturating_add(backoff.saturating_mul(n - 1))
}

impl ClientModel {
    /// The clients of `services` (the scenario's, in their order: what
    /// [`ClientModel::attempt_timeout`] takes the index of), each with its timeout
    /// ([`ClientsConfig::timeout_for`]).
    pub fn new(cfg: &ClientsConfig, services: &[ServiceSpec], streams: &Streams) -> ClientModel {
        let budget = cfg
            .retry
            .budget
            .as_ref()
            .map(|b| RetryBudget::new(b.ratio, b.min_per_sec, Duration::from_secs(10)));
        ClientModel {
            cfg: cfg.clone(),
            budget,
            jitter: streams.stream("jitter"),
            timeouts: services
                .iter()
                .map(|s| AttemptTimeout::new(cfg.timeout_for(&s.name, &s.group)))
                .collect(),
            shared_timeout: AttemptTimeout::new(&cfg.timeout),
            patience: streams.stream("patience"),
            lifetime: intent_lifetime_bound(cfg),
            past_lifetime: 0,
        }
    }

    /// Intents so far that gave up because a retry would have been sent past
    /// [`intent_lifetime_bound`] (a Retry-After's pause, at once or through the attempts after
    /// it): the results say so, or the failures read as retries that were never tried.
    pub fn gave_up_on_retry_after(&self) -> u64 {
        self.past_lifetime
    }

    /// [`intent_lifetime_bound`] of these clients.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// The timeout of the next attempt to service `service` (an index into the services the
    /// model was built with): constant, or drawn from its patience distribution.
    #[inline]
    pub fn attempt_timeout(&mut self, service: usize) -> Duration {
        let t = self.timeouts.get(service).unwrap_or(&self.shared_timeout);
        match t.constant {
            Some(d) => d,
            None => t.dist.sample(&mut self.patience),
        }
    }

    /// The longest timeout an attempt to any service may get (the 99.99th percentile for
    /// random patience).
    pub fn max_timeout(&self) -> Duration {
        let longest = if self.timeouts.is_empty() {
            self.shared_timeout.dist.quantile(0.9999)
        } else {
            self.timeouts
                .iter()
                .map(|t| t.dist.quantile(0.9999))
                .fold(0.0, f64::max)
        };
        crate::time::secs(longest)
    }

    /// An attempt of `intent` is about to be sent at `now`.
    #[inline]
    pub fn on_send(&mut self, now: Time, intent: &mut Intent) {
        intent.attempts += 1;
        if intent.attempts == 1 {
            if let Some(b) = &mut self.budget {
                b.record_request(now);
            }
        }
    }

    /// The attempt ended at `now` with `result`: done, or when to retry.
    ///
    /// A retry that would be sent later than [`intent_lifetime_bound`] after the intent
    /// started is not sent: the intent ends at once, as a failure with this answer. Only a
    /// Retry-After (honoured when `honor_retry_after`) pauses that long, at once or through
    /// attempts that time out after a pause it asked for: a client that gives each attempt a
    /// timeout of seconds does not wait an hour for a retry, and a run does not wait for it
    /// either (a target cannot stall a run by asking for a long pause, however long: the pause
    /// saturates rather than overflows).
    #[inline]
    pub fn on_result(&mut self, now: Time, intent: &mut Intent, result: AttemptResult) -> Next {
        if result.is_success() {
            return Next::Done { success: true };
        }
        let r = &self.cfg.retry;
        let retryable = result.retry_class().is_some_and(|c| r.on.contains(&c));
        let honor_retry_after = r.honor_retry_after;
        if !retryable || intent.attempts >= r.max_attempts {
            return Next::Done { success: false };
        }
        let keep_until = intent.start + self.lifetime;
        // Past the lifetime already: an earlier Retry-After's pause sent this attempt late, and
        // it timed out after the bound. No retry is sent past it, whatever asked for the pause.
        if now >= keep_until {
            self.past_lifetime += 1;
            return Next::Done { success: false };
        }
        if let (
            true,
            AttemptResult::Status {
                retry_after: Some(ra), ..
            },
        ) = (honor_retry_after, result)
        {
            // Decided before the budget and the jitter draw, so that a retry not made spends
            // neither.
            if now + ra > keep_until {
                self.past_lifetime += 1;
                return Next::Done { success: false };
            }
        }
        if let Some(b) = &mut self.budget {
            if !b.try_retry(now) {
                return Next::Done { success: false };
            }
        }
        let mut delay = self.backoff(intent.attempts, intent.last_sleep);
        intent.last_sleep = delay;
        if honor_retry_after {
            if let AttemptResult::Status {
                retry_after: Some(ra), ..
            } = result
            {
                delay = delay.max(ra);
            }
        }
        // The backoff drawn past the bound (after an earlier Retry-After's pause; rare: the
        // checks above catch most before the budget and the draw are spent).
        if now + delay > keep_until {
            self.past_lifetime += 1;
            return Next::Done { success: false };
        }
        Next::RetryAt(now + delay)
    }

    /// The pause before retry number `retry` (1 for the first retry), per the AWS formulas.
    pub fn backoff(&mut self, retry: u32, last_sleep: Duration) -> Duration {
        let r = &self.cfg.retry;
        let (base, cap) = (r.base.0, r.cap.0);
        let ceiling = match r.backoff {
            Backoff::None => return Duration::ZERO,
            Backoff::Fixed => base.min(cap),
            Backoff::Exponential => {
                let exp = retry.saturating_sub(1).min(40);
                base.saturating_mul(1u32 << exp.min(31)).min(cap)
            }
        };
        let between = |rng: &mut Rng, lo: Duration, hi: Duration| -> Duration {
            if hi <= lo {
                lo
            } else {
                lo + (hi - lo).mul_f64(rng.random::<f64>())
            }
        };
        match r.jitter {
            Jitter::None => ceiling,
            Jitter::Full => between(&mut self.jitter, Duration::ZERO, ceiling),
            Jitter::Equal => ceiling / 2 + between(&mut self.jitter, Duration::ZERO, ceiling / 2),
            Jitter::Decorrelated => {
                let prev = if last_sleep.is_zero() { base } else { last_sleep };
                between(&mut self.jitter, base, prev.saturating_mul(3)).min(cap)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// Shards split a closed loop's users and the retry budget's floor: together they are the
    /// scenario's clients.
    #[test]
    fn shards_split_the_users_and_the_budget_floor() {
        for (total, shards) in [(50, 2), (50, 3), (7, 7), (3, 1), (10, 4)] {
            let parts: Vec<u32> = (0..shards)
                .map(|i| crate::workload::shard_share(total, i, shards))
                .collect();
            assert_eq!(parts.iter().sum::<u32>(), total, "{parts:?}");
            assert!(
                parts.iter().max().unwrap() - parts.iter().min().unwrap() <= 1,
                "{parts:?}"
            );
        }
        assert_eq!(crate::workload::shard_share(3, 3, 4), 0);
        let s = crate::scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n[clients.retry]\nmax_attempts = 3\n\
             [clients.retry.budget]\nratio = 0.1\nmin_per_sec = 2\n\
             [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"1ms\"\n",
        )
        .expect("valid");
        let budget = |shards| super::for_shard(&s.file.clients, shards).retry.budget.expect("budget");
        assert_eq!((budget(1).ratio, budget(1).min_per_sec), (0.1, 2.0));
        assert_eq!((budget(4).ratio, budget(4).min_per_sec), (0.1, 0.5));
    }

    use super::*;
    use crate::duration::Dur;
    use crate::scenario::{RetryBudgetConfig, RetryConfig};

    fn model(retry: RetryConfig) -> ClientModel {
        let cfg = ClientsConfig {
            timeout: crate::dist::DistSpec::Constant(Dur::from_secs(1)),
            retry,
            credentials: None,
            request: Default::default(),
            services: Default::default(),
        };
        ClientModel::new(&cfg, &[], &Streams::new(3))
    }

    fn retry(backoff: Backoff, jitter: Jitter, max: u32) -> RetryConfig {
        RetryConfig {
            max_attempts: max,
            backoff,
            base: Dur::from_millis(100),
            cap: Dur::from_secs(1),
            jitter,
            ..RetryConfig::default()
        }
    }

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn exponential_without_jitter_doubles_up_to_the_cap() {
        let mut m = model(retry(Backoff::Exponential, Jitter::None, 10));
        let got: Vec<Duration> = (1..=6).map(|k| m.backoff(k, Duration::ZERO)).collect();
        assert_eq!(got, vec![ms(100), ms(200), ms(400), ms(800), ms(1000), ms(1000)]);
    }

    #[test]
    fn jitter_formulas_stay_in_their_ranges() {
        for (jitter, lo, hi) in [(Jitter::Full, 0, 400), (Jitter::Equal, 200, 400)] {
            let mut m = model(retry(Backoff::Exponential, jitter, 10));
            for _ in 0..1000 {
                let d = m.backoff(3, Duration::ZERO);
                assert!(d >= ms(lo) && d <= ms(hi), "{jitter:?}: {d:?}");
            }
        }
        let mut m = model(retry(Backoff::Exponential, Jitter::Decorrelated, 10));
        let mut prev = Duration::ZERO;
        for k in 1..50 {
            let d = m.backoff(k, prev);
            let upper = if prev.is_zero() {
                ms(300)
            } else {
                (prev * 3).min(ms(1000))
            };
            assert!(d >= ms(100).min(upper) && d <= upper, "{d:?} after {prev:?}");
            prev = d;
        }
    }

    #[test]
    fn a_failing_backend_gets_exactly_max_attempts() {
        let mut m = model(retry(Backoff::Fixed, Jitter::None, 3));
        let mut i = Intent::new(1, Time::ZERO);
        let mut now = Time::ZERO;
        loop {
            m.on_send(now, &mut i);
            match m.on_result(
                now,
                &mut i,
                AttemptResult::Status {
                    status: 500,
                    retry_after: None,
                },
            ) {
                Next::RetryAt(t) => {
                    assert_eq!(t, now + ms(100));
                    now = t;
                }
                Next::Done { success } => {
                    assert!(!success);
                    break;
                }
            }
        }
        assert_eq!(i.attempts, 3);
    }

    #[test]
    fn only_named_outcomes_are_retried_and_retry_after_is_honoured() {
        let mut cfg = retry(Backoff::Fixed, Jitter::None, 3);
        cfg.on = vec![RetryOn::RateLimited];
        let mut m = model(cfg);
        let mut i = Intent::new(1, Time::ZERO);
        m.on_send(Time::ZERO, &mut i);
        assert_eq!(
            m.on_result(Time::ZERO, &mut i, AttemptResult::Timeout),
            Next::Done { success: false }
        );
        let mut i = Intent::new(2, Time::ZERO);
        m.on_send(Time::ZERO, &mut i);
        let next = m.on_result(
            Time::ZERO,
            &mut i,
            AttemptResult::Status {
                status: 429,
                retry_after: Some(ms(2500)),
            },
        );
        assert_eq!(
            next,
            Next::RetryAt(Time::ZERO + ms(2500)),
            "Retry-After beats the 100 ms backoff"
        );
        let mut i = Intent::new(3, Time::ZERO);
        m.on_send(Time::ZERO, &mut i);
        assert_eq!(
            m.on_result(
                Time::ZERO,
                &mut i,
                AttemptResult::Status {
                    status: 404,
                    retry_after: None
                }
            ),
            Next::Done { success: false }
        );
    }

    #[test]
    fn a_retry_after_beyond_the_intents_lifetime_ends_it_at_once() {
        // Timeout 1 s, 3 attempts, cap 1 s: an intent lives at most 3 x 1 s + 2 x 1 s = 5 s.
        let mut m = model(retry(Backoff::Fixed, Jitter::None, 3));
        let status = |secs: u64| AttemptResult::Status {
            status: 503,
            retry_after: Some(Duration::from_secs(secs)),
        };
        let start = Time::ZERO + ms(500);
        let mut i = Intent::new(1, start);
        m.on_send(start, &mut i);
        let now = start + ms(10);
        assert_eq!(
            m.on_result(now, &mut i, status(4)),
            Next::RetryAt(now + ms(4000)),
            "within the lifetime: honoured"
        );
        let mut i = Intent::new(2, start);
        m.on_send(start, &mut i);
        assert_eq!(
            m.on_result(now, &mut i, status(3600)),
            Next::Done { success: false },
            "an hour: given up now, as a failure with this answer"
        );
        let mut i = Intent::new(3, start);
        m.on_send(start, &mut i);
        assert_eq!(
            m.on_result(now, &mut i, status(u64::MAX)),
            Next::Done { success: false },
            "any value a target sends, without overflow"
        );
        // Counted, for the results' note: the two given up, not the one honoured.
        assert_eq!(m.gave_up_on_retry_after(), 2);
        assert_eq!(m.lifetime(), Duration::from_secs(5));
        // Not honoured: the backoff alone decides, as before.
        let mut cfg = retry(Backoff::Fixed, Jitter::None, 3);
        cfg.honor_retry_after = false;
        let mut m = model(cfg);
        let mut i = Intent::new(4, start);
        m.on_send(start, &mut i);
        assert_eq!(m.on_result(now, &mut i, status(3600)), Next::RetryAt(now + ms(100)));
        // Without backoff no cap is waited: 3 x 1 s. A Retry-After of 4 s passes it; 2 s does not.
        let mut m = model(retry(Backoff::None, Jitter::None, 3));
        let mut i = Intent::new(5, start);
        m.on_send(start, &mut i);
        assert_eq!(m.on_result(now, &mut i, status(4)), Next::Done { success: false });
        let mut i = Intent::new(6, start);
        m.on_send(start, &mut i);
        assert_eq!(m.on_result(now, &mut i, status(2)), Next::RetryAt(now + ms(2000)));
    }

    /// A Retry-After within the lifetime is waited, but the attempts after it get no retry
    /// past the lifetime either: an intent ends within the bound plus one timeout.
    #[test]
    fn no_retry_is_sent_past_the_lifetime_after_a_retry_after() {
        // Timeout 1 s, 4 attempts, fixed backoff 100 ms, cap 1 s: lifetime 4 x 1 s + 3 x 1 s = 7 s.
        let mut m = model(retry(Backoff::Fixed, Jitter::None, 4));
        assert_eq!(m.lifetime(), Duration::from_secs(7));
        let start = Time::ZERO;
        let mut i = Intent::new(1, start);
        m.on_send(start, &mut i);
        // A 503 at 10 ms asking for 6.5 s: the retry at 6.51 s is within 7 s, waited.
        let t1 = start + ms(10);
        let retry_after = AttemptResult::Status {
            status: 503,
            retry_after: Some(ms(6500)),
        };
        assert_eq!(m.on_result(t1, &mut i, retry_after), Next::RetryAt(t1 + ms(6500)));
        let sent = t1 + ms(6500);
        m.on_send(sent, &mut i);
        // It times out at 7.51 s, past the lifetime: not retried, though attempts are left.
        assert!(i.attempts < 4);
        assert_eq!(
            m.on_result(sent + ms(1000), &mut i, AttemptResult::Timeout),
            Next::Done { success: false }
        );
        assert_eq!(m.gave_up_on_retry_after(), 1);
        // Answered at 6.95 s instead: its backoff of 100 ms would send the retry at 7.05 s, past
        // it too.
        let mut i = Intent::new(2, start);
        m.on_send(start, &mut i);
        m.on_result(t1, &mut i, retry_after);
        m.on_send(sent, &mut i);
        let shed = AttemptResult::Status {
            status: 503,
            retry_after: None,
        };
        assert_eq!(
            m.on_result(start + ms(6950), &mut i, shed),
            Next::Done { success: false }
        );
        assert_eq!(m.gave_up_on_retry_after(), 2);
        // At 6.85 s it fits (6.95 s): retried as before.
        let mut i = Intent::new(3, start);
        m.on_send(start, &mut i);
        m.on_result(t1, &mut i, retry_after);
        m.on_send(sent, &mut i);
        assert_eq!(
            m.on_result(start + ms(6850), &mut i, shed),
            Next::RetryAt(start + ms(6950))
        );
        // Without a Retry-After, every attempt timing out stays within the bound: all 4 sent.
        let mut i = Intent::new(4, start);
        let mut now = start;
        for _ in 0..3 {
            m.on_send(now, &mut i);
            match m.on_result(now + ms(1000), &mut i, AttemptResult::Timeout) {
                Next::RetryAt(t) => now = t,
                other => panic!("{other:?} after {} attempts", i.attempts),
            }
        }
        m.on_send(now, &mut i);
        assert_eq!(i.attempts, 4);
        assert_eq!(m.gave_up_on_retry_after(), 2);
    }

    #[test]
    fn a_retry_budget_bounds_amplification() {
        let mut cfg = retry(Backoff::None, Jitter::None, 5);
        cfg.budget = Some(RetryBudgetConfig {
            ratio: 0.1,
            min_per_sec: 0.0,
        });
        let mut m = model(cfg);
        let (mut attempts, intents) = (0u32, 1000u64);
        for id in 0..intents {
            let now = Time(id * 1_000_000);
            let mut i = Intent::new(id, now);
            loop {
                m.on_send(now, &mut i);
                attempts += 1;
                if let Next::Done { .. } = m.on_result(now, &mut i, AttemptResult::Timeout) {
                    break;
                }
            }
        }
        let amplification = f64::from(attempts) / intents as f64;
        assert!(amplification <= 1.1 + 1e-9, "{amplification}");
        assert!(amplification > 1.05, "the budget is used: {amplification}");
    }
}
