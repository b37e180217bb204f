//! Sending attempts: one request and its answer, an attempt within its timeout, and an intent
//! from its first attempt through its retries to its final answer.

use super::causes::{error_chain, generator_cause, generator_limit, http_cause};
use super::shared::{lock, Shared};
use super::transport::Transport;
use crate::h1::{push_header, H1Error};
use http_body_util::{BodyExt, Full};
use model::client::{AttemptResult, Intent, Next};
use model::results::{metric, Outcome};
use model::workload::Arrival;
use model::{wire, Time};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// An attempt's figures, kept until its intent has its final answer.
struct Try {
    /// When the attempt was due: its window.
    intended: Time,
    retry: bool,
    outcome: Outcome,
    /// From `intended` to its end (what the attempt's client saw).
    latency: Duration,
    /// From when it was actually sent; `None` for a failed try sent again.
    actual: Option<Duration>,
    /// The status it was answered with in time, or why it got no answer (an error): counted in
    /// the run's notes with its intent, like the attempt itself.
    status: Option<u16>,
    failure: Option<String>,
}

/// How an attempt ended (see [`Shared::attempt`]).
struct Ended {
    result: AttemptResult,
    /// Why it got no answer, for a connection error.
    failure: Option<String>,
    /// When its request had to be sent twice: the failed try's latency and why it failed.
    failed_try: Option<(Duration, String)>,
}

/// Counts an attempt waiting for a connection permit while it lives: the attempt's future is
/// dropped when its client times out, mid-wait.
struct Waiting<'a>(&'a AtomicU64);

impl<'a> Waiting<'a> {
    fn new(n: &'a AtomicU64) -> Waiting<'a> {
        n.fetch_add(1, Ordering::Relaxed);
        Waiting(n)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Why an attempt got no answer.
enum Failure {
    /// The target's doing (or the network's): counted as an error.
    Target(String),
    /// The generator's own: it could not open a socket. Not counted against the target.
    Generator(String),
}

/// What the budget an attempt sends (`x-spillway-timeout-ms`) is short of the time its client
/// has left, in real time. A gateway that answers at the deadline (the deadline strategy
/// expiring a queued request) then beats the client's own timer, as the simulator's tie rule
/// has it; with the budget merely rounded down to the millisecond, the gateway's timer and the
/// client's (both of a 1 ms grain) raced, and the client won about 40% of the ties: the
/// deadline strategy through a 10 s hang at 50/s (seed 1, --time-scale 2) counted 322 timeouts
/// and 487 expired 504s live where the simulator counted 4 and 805; with the margin, 8 and 801.
pub const BUDGET_MARGIN: Duration = Duration::from_millis(2);

impl Shared {
    /// The lean client is about to send a request again, on a new connection, because the reused
    /// one closed before answering: the try that failed is an attempt of its own (an error), as
    /// the server may have received it. Kept in `failed_try` (its latency and why), which
    /// outlives the request future, so a timeout that drops the resend does not lose it.
    fn resending(&self, intended: Time, e: &H1Error, failed_try: &OnceLock<(Duration, String)>) {
        let _ = failed_try.set((
            self.now().saturating_since(intended),
            format!(
                "{} on a kept-alive connection (sent again on a new one)",
                error_chain(e)
            ),
        ));
    }

    /// One request and its whole answer: status and Retry-After; `Err` says why there is none.
    /// `failed_try` is set when the request had to be sent a second time (see
    /// [`Shared::resending`]).
    async fn exchange(
        &self,
        a: &Arrival,
        intent: &Intent,
        intended: Time,
        left: Duration,
        failed_try: &OnceLock<(Duration, String)>,
    ) -> Result<(u16, Option<Duration>), Failure> {
        let timeout_ms = wire::format_timeout_ms(left.saturating_sub(BUDGET_MARGIN));
        match &self.transport {
            Transport::Lean(h1) => {
                use std::io::Write as _;
                let p = self.request(a);
                let extra: usize = p.headers.iter().map(|(n, v)| n.as_str().len() + v.len() + 4).sum();
                let mut req = h1.request(p.method.as_str(), self.target(a), 256 + extra + p.body.len());
                push_header(&mut req, wire::TIMEOUT_MS, timeout_ms.as_bytes());
                let _ = write!(
                    req,
                    "{}: lg-{}-{}-{}\r\n",
                    wire::REQUEST_ID,
                    self.run_tag,
                    a.intent,
                    intent.attempts
                );
                if self.send_priority {
                    push_header(&mut req, wire::PRIORITY, a.priority.as_str().as_bytes());
                }
                if let Some((name, value)) = &self.credentials {
                    push_header(&mut req, name, value.as_bytes());
                }
                for (name, value) in &p.headers {
                    push_header(&mut req, name.as_str(), value.as_bytes());
                }
                let on_resend = |e: &H1Error| self.resending(intended, e, failed_try);
                // Content-Length is written for a body; a request of a method that is not
                // idempotent (POST) is never sent a second time after a stale keep-alive: its
                // failure is the attempt's (an error, which the client model may retry).
                match h1.send_with(&p.method, req, &p.body, on_resend).await {
                    Ok(head) => Ok((head.status, head.retry_after)),
                    Err(H1Error::Connect(e)) => Err(match generator_limit(&e) {
                        Some(why) => Failure::Generator(why),
                        None => Failure::Target(error_chain(&H1Error::Connect(e))),
                    }),
                    Err(e) => Err(Failure::Target(error_chain(&e))),
                }
            }
            Transport::Hyper(http) => {
                let p = self.request(a);
                let mut b = http::Request::builder()
                    .method(p.method.clone())
                    .uri(self.target(a))
                    .header(wire::TIMEOUT_MS, timeout_ms)
                    .header(
                        wire::REQUEST_ID,
                        format!("lg-{}-{}-{}", self.run_tag, a.intent, intent.attempts),
                    );
                if self.send_priority {
                    b = b.header(wire::PRIORITY, a.priority.as_str());
                }
                if let Some((name, value)) = &self.credentials {
                    b = b.header(*name, value.as_str());
                }
                for (name, value) in &p.headers {
                    b = b.header(name, value);
                }
                let target = |e: &dyn std::error::Error| Failure::Target(http_cause(e));
                // A `Full` body has a known length: hyper sends it with its Content-Length.
                let req = b.body(Full::new(p.body.clone())).map_err(|e| target(&e))?;
                let resp = http.request(req).await.map_err(|e| match generator_cause(&e) {
                    Some(why) => Failure::Generator(why),
                    None => target(&e),
                })?;
                let status = resp.status().as_u16();
                let h = resp.headers();
                let get = |n: &str| h.get(n).and_then(|v| v.to_str().ok());
                let retry_after = wire::parse_retry_after_at(
                    get("retry-after"),
                    get(wire::RETRY_AFTER_MS),
                    std::time::SystemTime::now(),
                );
                resp.into_body().collect().await.map_err(|e| target(&e))?;
                Ok((status, retry_after))
            }
        }
    }

    /// One attempt: how it ended (see [`Ended`]); `Err` (why) when the generator could not send
    /// it.
    ///
    /// Its deadline is `intended` + `timeout`, as the simulator's client has it: the time it was
    /// due (a first attempt's scheduled time, a retry's when it came due), not when this task
    /// got to run. A generator running late (a busy machine, a rate beyond it) so sends a late
    /// attempt with that much less time left, and its budget header says what is left; one
    /// whose deadline has passed before it could be sent is a timeout, unsent, as it was for a
    /// client that sent it on time. (Timed from the task's start, an answer 21.8 ms after the
    /// intended time counted as a success against a 20 ms timeout.)
    async fn attempt(&self, a: &Arrival, intent: &Intent, intended: Time, timeout: Duration) -> Result<Ended, String> {
        let timeout_real = self.real(timeout);
        let due = self.instant(intended);
        // Far enough: no attempt waits a century.
        let deadline = due
            .checked_add(timeout_real)
            .unwrap_or_else(|| due + Duration::from_secs(100 * 365 * 86_400));
        let failed_try = OnceLock::new();
        if Instant::now() >= deadline {
            // Already timed out: sending it would only make the target work for no one.
            return Ok(Ended {
                result: AttemptResult::Timeout,
                failure: None,
                failed_try: None,
            });
        }
        let call = async {
            // Waiting for a free connection is part of the attempt: its clock already runs.
            let _permit = match self.connections.try_acquire() {
                Ok(p) => p,
                Err(_) => {
                    self.connection_waits.fetch_add(1, Ordering::Relaxed);
                    let _waiting = self.waiting.get(a.service).map(Waiting::new);
                    self.connections
                        .acquire()
                        .await
                        .map_err(|_| Failure::Target("the connection pool closed".to_string()))?
                }
            };
            self.exchange(
                a,
                intent,
                intended,
                deadline.saturating_duration_since(Instant::now()),
                &failed_try,
            )
            .await
        };
        // On timeout the request future is dropped, which closes its connection: the target
        // sees the client leave, as it would a real one.
        let outcome = tokio::time::timeout_at(tokio::time::Instant::from_std(deadline), call).await;
        // tokio's timers have a 1 ms grain and fire late on a busy machine: an answer that came
        // after the attempt's timeout is one its client had given up on (the model's client
        // never sees it). Compressed runs multiply that lateness, so it would otherwise turn
        // timeouts into successes (the deadline strategy dispatches many just in time).
        let late = Instant::now() > deadline;
        // Statuses and failures are counted by the caller, with the intent (see `settle`).
        let (result, failure) = match outcome {
            Err(_) => (AttemptResult::Timeout, None),
            Ok(Err(Failure::Generator(why))) => return Err(why),
            Ok(_) if late => (AttemptResult::Timeout, None),
            Ok(Err(Failure::Target(why))) => (AttemptResult::ConnectionError, Some(why)),
            Ok(Ok((status, ra))) => (
                AttemptResult::Status {
                    status,
                    // In scenario time, like every other duration (the seconds and the date form
                    // alike): a compressed target's pauses are compressed too.
                    retry_after: ra.map(|d| self.scenario(d)),
                },
                None,
            ),
        };
        Ok(Ended {
            result,
            failure,
            failed_try: failed_try.into_inner(),
        })
    }

    /// One intent, first attempt to final answer. `due`: when the schedule meant it to start
    /// (its send lateness is recorded here, when the task runs, so the runtime's own delay in
    /// starting it counts); `None` when the caller recorded it.
    ///
    /// The intent is counted as offered when it has its final answer (with that answer), so one
    /// still in flight when the run ends is left out rather than read as a failure.
    pub(super) async fn run_intent(self: Arc<Self>, a: Arrival, due: Option<Instant>) {
        let mut intent = Intent::new(a.intent, a.at);
        let mut intended = a.at;
        // Recorded with the intent's final answer, so an intent left out takes its attempts
        // with it (counted alone, they made an interrupted run's amplification 3.5 with
        // max_attempts = 3).
        let mut tries: Vec<Try> = Vec::new();
        if let Some(due) = due {
            self.record_lateness(a.at, Instant::now().saturating_duration_since(due));
        }
        loop {
            let timeout = {
                let mut c = lock(&self.clients);
                c.on_send(intended, &mut intent);
                c.attempt_timeout(a.service)
            };
            let sent = self.now();
            let Ended {
                result,
                failure,
                failed_try,
            } = match self.attempt(&a, &intent, intended, timeout).await {
                Ok(e) => e,
                Err(why) => {
                    // No socket: the generator's failure, not the target's (see `not_sent`).
                    if let Some(Some(w)) = self.settle(|_| self.not_sent(why)) {
                        tracing::warn!("{w}");
                    }
                    return;
                }
            };
            let end = self.now();
            match result.outcome() {
                Outcome::Timeout => self.timeouts_seen.fetch_add(1, Ordering::Relaxed),
                Outcome::Shed => self.shed_seen.fetch_add(1, Ordering::Relaxed),
                _ => 0,
            };
            self.recent.record(end.saturating_since(intended));
            let retry = intent.attempts > 1;
            let resent = failed_try.is_some();
            if let Some((latency, why)) = failed_try {
                tries.push(Try {
                    intended,
                    retry,
                    outcome: Outcome::Error,
                    latency,
                    actual: None,
                    status: None,
                    failure: Some(why),
                });
            }
            tries.push(Try {
                intended,
                retry: retry || resent,
                outcome: result.outcome(),
                latency: end.saturating_since(intended),
                actual: Some(end.saturating_since(sent)),
                status: match result {
                    AttemptResult::Status { status, .. } => Some(status),
                    _ => None,
                },
                failure,
            });
            let next = lock(&self.clients).on_result(end, &mut intent, result);
            match next {
                Next::Done { success } => {
                    // Counted with the intent they belong to, as its attempts are: an intent left
                    // out takes its resends with it.
                    let resent = tries.iter().filter(|t| t.actual.is_none()).count() as u64;
                    let warnings = self.settle(|r| {
                        let mut warnings = Vec::new();
                        if resent > 0 {
                            self.resent.fetch_add(resent, Ordering::Relaxed);
                        }
                        for t in tries {
                            if let Some(n) = t.status.and_then(|s| self.statuses.get(usize::from(s))) {
                                n.fetch_add(1, Ordering::Relaxed);
                            }
                            if let Some(w) = t.failure.and_then(|why| self.failed(why)) {
                                warnings.push(w);
                            }
                            r.attempt_sent(a.tag(), t.intended, t.retry);
                            r.attempt_finished(a.tag(), t.intended, t.outcome, t.latency);
                            if let Some(actual) = t.actual {
                                r.record(t.intended, metric::ATTEMPT_LATENCY_ACTUAL, actual);
                            }
                        }
                        r.intent_offered(a.tag(), a.at);
                        r.intent_finished(a.tag(), a.at, end.saturating_since(a.at), success);
                        warnings
                    });
                    for w in warnings.into_iter().flatten() {
                        tracing::warn!("{w}");
                    }
                    return;
                }
                Next::RetryAt(t) => {
                    if self.stop.load(Ordering::Relaxed) {
                        // Interrupted while waiting to retry: no final answer.
                        self.settle(|_| {
                            self.left_out.fetch_add(1, Ordering::Relaxed);
                        });
                        return;
                    }
                    self.timer.sleep_until(self.instant(t)).await;
                    intended = t;
                }
            }
        }
    }
}
