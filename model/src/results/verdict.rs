//! The verdict of a run: stable, recovered (and how fast), metastable, or overloaded.
//!
//! Goodput ratio is taken per window by the intended start of each intent, over a rolling span
//! of windows. A run is only called metastable when it was healthy before the trigger and the
//! offered load came back to its pre-trigger level, yet goodput did not: a system that is simply
//! over capacity is `overloaded`, never metastable.

use serde::{Deserialize, Serialize};

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// No trigger, healthy throughout.
    Stable,
    /// Healthy again after the trigger.
    Recovered,
    /// Healthy before the trigger, offered load back at baseline, goodput never came back.
    Metastable,
    /// Not healthy even without (or before) the trigger, or offered load never came back down.
    Overloaded,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Stable => "stable",
            Verdict::Recovered => "recovered",
            Verdict::Metastable => "metastable",
            Verdict::Overloaded => "overloaded",
        }
    }
}

/// Per-window input to the verdict.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct WindowGoodput {
    pub start_s: f64,
    pub offered: u64,
    pub successes: u64,
    /// Requests held at the gateway over the window, on average (queued plus in flight; for a
    /// service, its own; live, with those waiting in the load generator for a connection): how
    /// a backlog that is still draining is told from one that stays. 0 when not measured (an
    /// external target, a class of a run of several services); `None` for a window no gauge
    /// sample fell in (a live run at a high time scale), which a trend skips.
    pub held: Option<f64>,
}

/// Verdict parameters.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct VerdictParams {
    pub window_s: f64,
    /// Absolute goodput ratio for "healthy" (scenario `run.healthy_ratio`, 0.9 by default).
    pub healthy_ratio: f64,
    /// Recovery means back to this fraction of the pre-trigger baseline (0.9).
    pub recovery_fraction: f64,
    /// Length of the rolling span, in seconds (at least: see `min_span_intents`).
    pub rolling_s: f64,
    /// A rolling span is long enough to hold this many intents at the rate offered before the
    /// trigger ([`MIN_SPAN_INTENTS`]; 0: `rolling_s` alone).
    pub min_span_intents: u64,
    /// First trigger start and last trigger end, if the scenario has triggers.
    pub trigger: Option<(f64, f64)>,
    /// The offered utilisation of the busiest service (of the group's) before the trigger (all
    /// run long without one), from the scenario; `None` when unknown (closed loop). It tells
    /// a run unhealthy from overload apart from one unhealthy at a load the backend can carry.
    pub load: Option<f64>,
    /// Likewise after the trigger (the phases that start once it is over); `None` when unknown
    /// or without a trigger.
    pub load_after: Option<f64>,
}

/// Below this offered utilisation after the trigger, a run that was healthy before it and does
/// not recover is metastable even if the load rose: the backend carries that load with
/// headroom, so what keeps goodput down is the state the trigger left (retries, a backlog of
/// abandoned work), not the load. Closer to capacity, queueing alone may keep it down.
pub const CARRIED_UTILISATION: f64 = 0.9;

/// Windows in the rolling span recovery is judged over ([`VerdictParams::rolling_s`]): a run
/// needs that many windows starting after its trigger for a verdict.
pub const ROLLING_WINDOWS: u32 = 5;

/// Intents a rolling span holds at least, at the pre-trigger rate: a quiet group's span is
/// longer. Judged over a few intents, chance failures read as a relapse, and failures come in
/// clusters (one long request on a one-worker service times out the few queued behind it), so
/// a binomial estimate understates how often. Measured on the ten-service estate at 250/s (10
/// seeds x 1,180 s of steady load, every span start): spans of the two quiet services (about 2
/// intents/s, 99.6% goodput) fell below the recovery line in 0.7-1.4% of spans of 8 to 61
/// intents, so a healthy service was called metastable, or recovered a minute late; in none of
/// 66,000 (overlapping) spans of 83 intents or more (`bench/span-noise.py`).
pub const MIN_SPAN_INTENTS: u64 = 100;

/// Standard errors by which a goodput ratio must fall short of the healthy line before a group
/// is called unhealthy, when its load is one the backend carries (see [`shortfall`]): a quiet
/// service's 98 of 109 (89.9%) is no evidence of an unhealthy service (it ran at 99.6% over a
/// long run of it, its 11 failures one 5 s cluster). The error is the binomial one of a group
/// exactly at the line, over the group's intents: it shrinks with them (a busy group's line is
/// the line, within a fraction of a point) and a burst of failures cannot widen it. One-sided,
/// 2.3% of groups sitting exactly on the line with independent failures are called unhealthy,
/// more with failures in clusters, far fewer the healthier they are.
pub const UNHEALTHY_Z: f64 = 2.0;

/// Windows a backlog's trend is read over at the end of a run ([`draining`]): at least this
/// many, at least a long span, and at least the last half of the windows after the trigger
/// (a big backlog drains by a small share of itself in a few windows: 3,660 to 3,040 in the
/// last ten of a 60 s burst's, 5,209 to 2,902 in the last thirty).
pub const DRAIN_WINDOWS: usize = 10;

/// A backlog counts as draining when the requests held fall, over the span read, by at least
/// this share of where the fitted line starts, and the fall is [`DRAIN_T`] standard errors of
/// the slope or more: a level that holds (the death spiral's backlog fed by retries, or one
/// kept at the clients' timeout by cancellation) wanders but does not lose a fifth over half
/// the time after the trigger.
pub const DRAIN_SHARE: f64 = 0.2;
pub const DRAIN_T: f64 = 3.0;

/// A backlog still draining when the run ended: the fitted line through the requests held
/// over the last `span_s`, from `from` to `to`, falling `rate` a second.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Drain {
    from: f64,
    to: f64,
    span_s: f64,
    rate: f64,
}

/// Whether the gateway's backlog was still going down at the end of `post` (the windows after
/// the trigger, up to the last that offered anything): fitted by least squares over the last
/// `span` windows, falling by [`DRAIN_SHARE`] and [`DRAIN_T`] standard errors or more, and
/// still above twice the level held before the trigger (`pre_held`; a backlog, not the
/// ordinary queue). Such a run has not recovered yet, but nothing says it will not: a queue
/// with no retries feeding it drains at capacity minus the load, however long that takes.
fn draining(post: &[&WindowGoodput], span: usize, pre_held: f64, window_s: f64) -> Option<Drain> {
    let span = span.min(post.len());
    // The windows with a measurement, at their place in the span: one no gauge sample fell in
    // is no data, and read as 0 it made a steady backlog look like one falling.
    let pts: Vec<(f64, f64)> = post[post.len() - span..]
        .iter()
        .enumerate()
        .filter_map(|(i, w)| Some((i as f64, w.held?)))
        .collect();
    if pts.len() < 5 {
        return None;
    }
    if pts.iter().any(|(_, y)| !y.is_finite() || *y < 0.0) {
        return None;
    }
    let n = pts.len() as f64;
    // With every window measured, exactly the mean index (n - 1) / 2.
    let xm = pts.iter().map(|(x, _)| x).sum::<f64>() / n;
    let ym = pts.iter().map(|(_, y)| y).sum::<f64>() / n;
    let sxx: f64 = pts.iter().map(|(x, _)| (x - xm).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|(x, y)| (x - xm) * (y - ym)).sum();
    let slope = sxy / sxx;
    // The fitted line at the span's first and last windows.
    let last = (span - 1) as f64;
    let (from, to) = (ym + slope * (0.0 - xm), ym + slope * (last - xm));
    let residual: f64 = pts.iter().map(|(x, y)| (y - (ym + slope * (x - xm))).powi(2)).sum();
    let se = (residual / (n - 2.0) / sxx).sqrt();
    let falls = slope < 0.0 && -slope >= DRAIN_T * se && from - to >= DRAIN_SHARE * from;
    // A backlog where the line starts; it may be gone by the end (goodput lags the queue by a
    // client timeout and a rolling span: one that drained in the last windows read
    // "metastable", review helper-186).
    (falls && from > 2.0 * pre_held.max(1.0)).then_some(Drain {
        from,
        to,
        span_s: span as f64 * window_s,
        rate: -slope / window_s,
    })
}

/// What a ratio short of the healthy line was judged by.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Shortfall {
    /// Short by more than the allowance: unhealthy.
    unhealthy: bool,
    /// The allowance ([`UNHEALTHY_Z`] standard errors at the line), when one was made, and
    /// the intents it was over.
    allowance: Option<(f64, u64)>,
}

/// Whether `ratio`, of `intents` at offered utilisation `load` (`None`: not known, as for an
/// external target or a closed loop), is short of the healthy line: by more than
/// [`UNHEALTHY_Z`] standard errors while the backend carries the load; at all near or over
/// capacity (90% and more), where a shortfall is what queueing does.
fn shortfall(ratio: f64, intents: u64, load: Option<f64>, p: &VerdictParams) -> Shortfall {
    if ratio >= p.healthy_ratio {
        return Shortfall {
            unhealthy: false,
            allowance: None,
        };
    }
    if load.is_some_and(|u| u >= CARRIED_UTILISATION) || intents == 0 {
        return Shortfall {
            unhealthy: true,
            allowance: None,
        };
    }
    let h = p.healthy_ratio.clamp(0.0, 1.0);
    let allowance = UNHEALTHY_Z * (h * (1.0 - h) / intents as f64).sqrt();
    Shortfall {
        unhealthy: p.healthy_ratio - ratio > allowance,
        allowance: (allowance > 0.0).then_some((allowance, intents)),
    }
}

/// "short of the 90% healthy line only within the noise (...)", for a ratio under the line that
/// an allowance let pass.
fn within_noise(ratio: f64, s: Shortfall, p: &VerdictParams) -> Option<String> {
    match s.allowance {
        Some((a, n)) if ratio < p.healthy_ratio && !s.unhealthy => Some(format!(
            "short of the {:.0}% healthy line only within the noise ({UNHEALTHY_Z:.0} standard errors at {n} intents: {:.1} points)",
            p.healthy_ratio * 100.0,
            a * 100.0
        )),
        _ => None,
    }
}

/// Why a run unhealthy without (or before) its trigger was: overload, queueing near capacity,
/// or failures at a load the backend can carry.
fn unhealthy_cause(load: Option<f64>) -> String {
    match load {
        Some(u) if u < CARRIED_UTILISATION => format!(
            "at {:.0}% offered utilisation: not overload, but failures at a load the backend can carry (slow requests outlasting the clients' timeout or the gateway's upstream timeout, errors, rate limits' 429s, or the retries they set off)",
            u * 100.0
        ),
        Some(u) if u < 1.0 => format!(
            "near capacity ({:.0}% offered utilisation): queueing alone can push waits past the clients' timeout",
            u * 100.0
        ),
        Some(u) => format!("plain overload ({:.0}% offered utilisation)", u * 100.0),
        // An external target, or a closed loop: what it can carry is not known here.
        None => "overload, or failures at a load the target can carry".to_string(),
    }
}

/// Near capacity, a queue that is slow to drain is what queueing does, and a healthy start
/// may be no more than the time an empty queue took to fill: a metastable verdict there says
/// so, and how to tell. (Not called overload: a service at 92% that sat at 0% goodput for
/// 100 s after a burst, healthy before it, is the death spiral itself.)
fn near_capacity_caveat(load_after: Option<f64>) -> String {
    match load_after {
        Some(u) if u >= CARRIED_UTILISATION => format!(
            "; at {:.0}% of capacity, queueing alone may hold goodput down for long: the same run without its trigger tells whether this is the trigger's doing",
            u * 100.0
        ),
        _ => String::new(),
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct VerdictResult {
    /// `None` when the run ended too soon after its trigger to judge recovery, or sent nothing
    /// before it (no baseline); `reason` says which.
    pub verdict: Option<Verdict>,
    pub baseline: Option<f64>,
    pub recovery_s: Option<f64>,
    /// Recovered, and goodput never fell below the recovery line from the trigger's start on:
    /// it held through the trigger (a service the burst was not aimed at; or requests that
    /// waited long but all got their answers in time: latency is not judged here).
    pub held: bool,
    pub reason: String,
}

/// Offered intents and successes of `windows`, saturating: counts come from files too.
fn tally<'a>(windows: impl IntoIterator<Item = &'a WindowGoodput>) -> (u64, u64) {
    windows.into_iter().fold((0u64, 0u64), |(o, s), w| {
        (o.saturating_add(w.offered), s.saturating_add(w.successes))
    })
}

fn ratio(s: u64, o: u64) -> f64 {
    if o == 0 {
        1.0
    } else {
        s as f64 / o as f64
    }
}

/// Decides the verdict from windowed goodput.
pub fn decide(windows: &[WindowGoodput], p: &VerdictParams) -> VerdictResult {
    let (total_o, total_s) = tally(windows);
    if total_o == 0 {
        // 0 of 0 is no goodput ratio of 100%: a run that offered nothing is not judged.
        return VerdictResult {
            held: false,
            verdict: None,
            baseline: None,
            recovery_s: None,
            reason: "nothing offered".into(),
        };
    }
    let Some((t_start, t_end)) = p.trigger else {
        let r = ratio(total_s, total_o);
        let short = shortfall(r, total_o, p.load, p);
        return if !short.unhealthy {
            VerdictResult {
                held: false,
                verdict: Some(Verdict::Stable),
                baseline: Some(r),
                recovery_s: None,
                reason: format!(
                    "no trigger; goodput ratio {:.1}% throughout{}",
                    r * 100.0,
                    within_noise(r, short, p).map(|w| format!(", {w}")).unwrap_or_default()
                ),
            }
        } else {
            VerdictResult {
                held: false,
                verdict: Some(Verdict::Overloaded),
                baseline: Some(r),
                recovery_s: None,
                reason: format!(
                    "no trigger, yet goodput ratio is {:.1}% (< {:.0}% healthy): {}",
                    r * 100.0,
                    p.healthy_ratio * 100.0,
                    unhealthy_cause(p.load)
                ),
            }
        };
    };
    let eps = 1e-9;
    let pre: Vec<&WindowGoodput> = windows
        .iter()
        .filter(|w| w.start_s + p.window_s <= t_start + eps)
        .collect();
    let (pre_o, pre_s) = tally(pre.iter().copied());
    if pre_o == 0 {
        // Not "overloaded" (as it once read): nothing says it was. As a group without traffic
        // before the trigger, it is not judged.
        return VerdictResult {
            held: false,
            verdict: None,
            baseline: None,
            recovery_s: None,
            reason: "no traffic before the trigger: no baseline to judge recovery against".into(),
        };
    }
    let baseline = ratio(pre_s, pre_o);
    let before = shortfall(baseline, pre_o, p.load, p);
    let unhealthy_before = || VerdictResult {
        held: false,
        verdict: Some(Verdict::Overloaded),
        baseline: Some(baseline),
        recovery_s: None,
        reason: format!(
            "goodput ratio {:.1}% before the trigger (< {:.0}% healthy): {}; not metastability",
            baseline * 100.0,
            p.healthy_ratio * 100.0,
            unhealthy_cause(p.load)
        ),
    };
    if before.unhealthy {
        return unhealthy_before();
    }
    // Short of the line within the noise: a recovery counts (and its reason says so); without
    // one, it is judged as short of the line (below).
    let mut post: Vec<&WindowGoodput> = windows.iter().filter(|w| w.start_s + eps >= t_end).collect();
    // Windows after the last one that offered anything (a run longer than its phases) carry no
    // evidence: 0 of 0 would read as healthy and call any run recovered once its load stopped.
    let load_ended = post.iter().rposition(|w| w.offered > 0).map_or(0, |i| i + 1);
    let quiet_tail = load_ended < post.len();
    post.truncate(load_ended);
    // Recovery is judged over the rolling span (`short`) and, for a quiet group, over a longer
    // one (`long`) holding `min_span_intents` at its pre-trigger rate: a few chance failures in
    // a short span of a quiet group are no relapse.
    let per_window = pre_o as f64 / pre.len().max(1) as f64;
    let quiet = (p.min_span_intents as f64 / per_window).ceil();
    let quiet = if quiet.is_finite() { quiet as usize } else { 1 };
    let short = ((p.rolling_s / p.window_s).round() as usize).max(1);
    let goal = baseline * p.recovery_fraction;
    // A group whose goodput dipped below the line before the trigger (a flaky service's
    // periodic stall) is judged over spans as long as it took to hold the line then: a dip
    // after the trigger like those before it is its normal pattern, no relapse (a service at
    // 9% load with a 2 s stall every 45 s read "recovered in 104s", or "metastable" when a
    // stall fell near the end, in a run with no burst at all).
    // Twice the shortest that held: at the shortest, the worst span before the trigger sat at
    // the line, and a stall after it as bad by chance a point worse read as a relapse (the
    // flaky service then "recovered in 104s" over 10 s spans). 0: the group held the line
    // before the trigger over its usual spans.
    // Only for dips that recur before the trigger (one, a cold start or a pause, is no
    // pattern, and widened the spans enough to hide a 3 s outage after the trigger), and at
    // most [`STEADY_SPANS`] usual spans and half of what follows the trigger (review, stop 64).
    let usual = short.max(quiet);
    let cap = (STEADY_SPANS * usual).min(post.len() / 2);
    let steady = Some(steady_span(&pre, usual, goal))
        .filter(|&s| s > usual && dips(&pre, usual, goal) >= 2)
        .map_or(0, |s| (2 * s).min(cap));
    let steady = if steady > usual { steady } else { 0 };
    let long = usual.max(steady);
    let span_note = if steady > 0 {
        format!(
            "; judged over spans of {}, as its goodput dipped below the line before the trigger too",
            super::fmt_secs(steady as f64 * p.window_s)
        )
    } else {
        String::new()
    };
    // The offered load just before the trigger, over its last long span: a whole-period average
    // is diluted by a ramp up from zero (the load after the trigger, back at the level it ramped
    // to, read as "above baseline": overload, not metastability).
    let last_span = &pre[pre.len().saturating_sub(usual)..];
    let (last_o, _) = tally(last_span.iter().copied());
    let last_s = last_span.len() as f64 * p.window_s;
    let pre_rate = last_o as f64 / last_s;
    // Prefix sums of offered and successes: any span's ratio in O(1).
    let mut sums = Vec::with_capacity(post.len() + 1);
    sums.push((0u64, 0u64));
    for w in &post {
        let (o, s) = *sums.last().unwrap_or(&(0, 0));
        sums.push((o.saturating_add(w.offered), s.saturating_add(w.successes)));
    }
    let healthy = |from: usize, to: usize| {
        let (o, s) = (sums[to].0 - sums[from].0, sums[to].1 - sums[from].1);
        ratio(s, o) >= goal
    };
    let n = post.len();
    // The rolling span at each start it fits.
    let rolling: Vec<f64> = (0..n.saturating_sub(short - 1))
        .map(|i| {
            let (o, s) = (sums[i + short].0 - sums[i].0, sums[i + short].1 - sums[i].1);
            ratio(s, o)
        })
        .collect();
    if rolling.is_empty() {
        // A run cut short (--duration, Ctrl-C) before one rolling span after the trigger: too
        // soon to say whether it recovers, and its offered load after the trigger is unknown.
        return VerdictResult {
            held: false,
            verdict: None,
            baseline: Some(baseline),
            recovery_s: None,
            reason: {
                let end = match (quiet_tail, post.last()) {
                    (true, Some(w)) => w.start_s + p.window_s,
                    (true, None) => t_end,
                    (false, _) => windows.last().map_or(0.0, |w| w.start_s + p.window_s),
                };
                let ended = if quiet_tail {
                    "the run's load ended"
                } else {
                    "the run ended"
                };
                let when = if end <= t_start + eps {
                    format!("at {end:.0}s, before its trigger ({t_start:.0}s-{t_end:.0}s)")
                } else if end < t_end {
                    format!("at {end:.0}s, during its trigger ({t_start:.0}s-{t_end:.0}s)")
                } else {
                    format!("{:.0}s after its trigger", end - t_end)
                };
                format!(
                    "{ended} {when}; judging recovery takes {:.0}s after the trigger",
                    short as f64 * p.window_s
                )
            },
        };
    }
    // Recovery at `i`: the rolling span from `i` is healthy, and so is every long span from
    // `i` on (or, when less than one is left, all that is left from `i`). Windows before `i`
    // never count against it, so neither a collapse before a late recovery nor the run's length
    // decides, and a busy group (long = short) is judged as over rolling spans alone. A window
    // that offered nothing is no start of one: a lull after the trigger (0 of 0) dated the
    // recovery to the lull's start, before any intent had succeeded.
    let full = n.saturating_sub(long - 1); // starts of long spans that fit
    let mut all_long_from = vec![true; full + 1];
    for k in (0..full).rev() {
        all_long_from[k] = all_long_from[k + 1] && healthy(k, k + long);
    }
    let first_good = (0..rolling.len()).find(|&i| {
        post[i].offered > 0 && rolling[i] >= goal && if i < full { all_long_from[i] } else { healthy(i, n) }
    });
    // Goodput at the end, for the reasons below: over the last long span (or all there is).
    let end_ratio = {
        let from = n.saturating_sub(long);
        let (o, s) = (sums[n].0 - sums[from].0, sums[n].1 - sums[from].1);
        ratio(s, o)
    };
    let noise_note = || {
        within_noise(baseline, before, p)
            .map(|m| format!(" (a baseline {m})"))
            .unwrap_or_default()
    };
    if let Some(i) = first_good {
        // Held, whatever the first window after the trigger: a trigger that ends within a
        // window, or a quiet group's empty windows after it, put that window's start past the
        // trigger's end, and a group that never dipped read "recovered in 500ms".
        if held_through(windows, t_start, quiet.max(steady).max(1), goal, p) {
            return VerdictResult {
                held: true,
                verdict: Some(Verdict::Recovered),
                baseline: Some(baseline),
                recovery_s: Some(0.0),
                reason: format!(
                    "goodput stayed >= {:.0}% of the {:.1}% pre-trigger baseline through the trigger and after it{}{span_note}",
                    p.recovery_fraction * 100.0,
                    baseline * 100.0,
                    noise_note()
                ),
            };
        }
        let rec = (post[i].start_s - t_end).max(0.0);
        // Seen in less than two rolling spans before the run (or its load) ended: one healthy
        // span at the very end reads "recovered in 55s" in a run that ends 60 s after its
        // trigger, and a seed whose last span fell a point short reads "metastable".
        let late = if n - i < 2 * short {
            format!(
                "; only the {}'s last {} show it: a longer run tells whether it holds",
                if quiet_tail { "load" } else { "run" },
                super::fmt_secs((n - i) as f64 * p.window_s)
            )
        } else {
            String::new()
        };
        return VerdictResult {
            held: false,
            verdict: Some(Verdict::Recovered),
            baseline: Some(baseline),
            recovery_s: Some(rec),
            reason: format!(
                "goodput back to >= {:.0}% of the {:.1}% pre-trigger baseline {} after the trigger ended{}{late}{span_note}",
                p.recovery_fraction * 100.0,
                baseline * 100.0,
                // As the verdict's label gives it ("recovered in 8.00s"), not a second way.
                super::fmt_secs(rec),
                noise_note()
            ),
        };
    }
    // A baseline short of the line, if only within the noise, that does not recover: as any
    // baseline short of the line (no metastability claim, and no "noise": the collapse may have
    // begun before the trigger).
    if before.allowance.is_some() && baseline < p.healthy_ratio {
        return unhealthy_before();
    }
    // A backlog still going down at the end: not recovered yet, and neither stuck (metastable)
    // nor held down by the load (overloaded) as far as the run shows.
    // Over the windows measured: one without a gauge sample is no level of 0.
    let measured = pre.iter().filter(|w| w.held.is_some()).count();
    let pre_held = pre.iter().filter_map(|w| w.held).sum::<f64>() / measured.max(1) as f64;
    if let Some(d) = draining(&post, long.max(DRAIN_WINDOWS).max(n / 2), pre_held, p.window_s) {
        let left = if d.to > 2.0 * pre_held.max(1.0) {
            format!(
                "was still draining: the requests held at the gateway fell from about {:.0} to {:.0} over the last {} ({:.1}/s; at that pace about {} more to drain)",
                d.from,
                d.to,
                super::fmt_secs(d.span_s),
                d.rate,
                super::fmt_secs(d.to / d.rate)
            )
        } else {
            format!(
                "had just drained: the requests held at the gateway fell from about {:.0} over the last {} ({:.1}/s) to about the {:.0} held before the trigger, and goodput had not caught up",
                d.from,
                super::fmt_secs(d.span_s),
                d.rate,
                pre_held
            )
        };
        return VerdictResult {
            held: false,
            verdict: None,
            baseline: Some(baseline),
            recovery_s: None,
            reason: format!(
                "not back to {:.0}% of the {:.1}% pre-trigger baseline by the end (goodput {:.1}% over the last {}), but its backlog {left}: a longer run tells whether it recovers",
                p.recovery_fraction * 100.0,
                baseline * 100.0,
                end_ratio * 100.0,
                super::fmt_secs(long.min(n) as f64 * p.window_s),
            ),
        };
    }
    let (post_o, _) = tally(post.iter().copied());
    let post_rate = if post.is_empty() {
        f64::INFINITY
    } else {
        post_o as f64 / (post.len() as f64 * p.window_s)
    };
    // Offered load "back at baseline": within 10% plus Poisson noise of the pre-trigger rate
    // (three standard errors of the difference of the two estimates).
    let noise = 3.0 * (pre_rate / (post.len().max(1) as f64 * p.window_s) + pre_rate / last_s).sqrt();
    // What the two rates are: that over all the windows after the trigger (up to the last
    // that offered anything), that over the last span before it. ("back at baseline (181.3/s
    // vs 193.4/s)" read as the scenario's rate against the one after, for 180/s offered.)
    let rates = format!(
        "{post_rate:.1}/s after the trigger vs {pre_rate:.1}/s in the last {} before it",
        super::fmt_secs(last_s)
    );
    let back_at_baseline = post_rate <= pre_rate * 1.1 + noise;
    // Higher than before, but under capacity: not overload. With headroom (under 90%) what
    // keeps goodput down is the state the trigger left; closer to capacity queueing alone may,
    // and the reason says how to tell ("overload, not metastability" was said of a service at
    // 93% that sat at 0% goodput for 120 s, which held 100% at that load without the burst).
    if let (false, Some(u)) = (back_at_baseline, p.load_after.filter(|u| *u < 1.0)) {
        let carried = if u < CARRIED_UTILISATION {
            "a load the backend carries"
        } else {
            "under what the backend carries"
        };
        return VerdictResult {
            held: false,
            verdict: Some(Verdict::Metastable),
            baseline: Some(baseline),
            recovery_s: None,
            reason: format!(
                "did not recover although it was healthy before the trigger ({:.1}%) and the offered load after it, higher than before ({rates}), is {:.0}% of capacity, {carried}; goodput still {:.1}% at the end{}{span_note}",
                baseline * 100.0,
                u * 100.0,
                end_ratio * 100.0,
                near_capacity_caveat(Some(u))
            ),
        };
    }
    if back_at_baseline {
        let last = end_ratio;
        VerdictResult {
            held: false,
            verdict: Some(Verdict::Metastable),
            baseline: Some(baseline),
            recovery_s: None,
            reason: format!(
                "did not recover although it was healthy before the trigger ({:.1}%) and the offered load is back at baseline ({rates}); goodput still {:.1}% at the end{}{span_note}",
                baseline * 100.0,
                last * 100.0,
                near_capacity_caveat(p.load_after)
            ),
        }
    } else {
        VerdictResult {
            held: false,
            verdict: Some(Verdict::Overloaded),
            baseline: Some(baseline),
            recovery_s: None,
            reason: match p.load_after {
                Some(u) => format!("did not recover, but offered load stayed above baseline ({rates}), at {:.0}% of capacity: overload, not metastability", u * 100.0),
                None => format!("did not recover, but offered load stayed above baseline ({rates}): overload, not metastability"),
            },
        }
    }
}

/// The most usual spans a flaky group's spans grow to ([`steady_span`]).
const STEADY_SPANS: usize = 12;

/// Separate dips below `goal` over spans of `span` windows among `pre` (spans starting at
/// windows that offered something; overlapping failing spans are one dip).
fn dips(pre: &[&WindowGoodput], span: usize, goal: f64) -> usize {
    if pre.len() < span || span == 0 {
        return 0;
    }
    let mut sums = Vec::with_capacity(pre.len() + 1);
    sums.push((0u64, 0u64));
    for w in pre {
        let (o, s) = *sums.last().unwrap_or(&(0, 0));
        sums.push((o.saturating_add(w.offered), s.saturating_add(w.successes)));
    }
    let (mut count, mut last_fail) = (0, None::<usize>);
    for i in 0..=pre.len() - span {
        if pre[i].offered == 0 {
            continue;
        }
        let failing = ratio(sums[i + span].1 - sums[i].1, sums[i + span].0 - sums[i].0) < goal;
        if failing {
            if last_fail.is_none_or(|l| i > l + span) {
                count += 1;
            }
            last_fail = Some(i);
        }
    }
    count
}

/// The fewest windows, from `from`, over which every span of the windows before the trigger
/// (`pre`) held `goal`: `from` for a group that held it throughout. Spans start at windows
/// that offered something. Only spans that fit twice into `pre` count as evidence; when none
/// of those holds, the longest of them (a baseline that erratic is judged as coarsely as it
/// allows).
fn steady_span(pre: &[&WindowGoodput], from: usize, goal: f64) -> usize {
    let from = from.max(1);
    let mut sums = Vec::with_capacity(pre.len() + 1);
    sums.push((0u64, 0u64));
    for w in pre {
        let (o, s) = *sums.last().unwrap_or(&(0, 0));
        sums.push((o.saturating_add(w.offered), s.saturating_add(w.successes)));
    }
    let holds = |len: usize| {
        (0..=pre.len() - len)
            .filter(|&i| pre[i].offered > 0)
            .all(|i| ratio(sums[i + len].1 - sums[i].1, sums[i + len].0 - sums[i].0) >= goal)
    };
    let longest = pre.len() / 2;
    if longest <= from {
        return from;
    }
    (from..=longest).find(|&len| holds(len)).unwrap_or(longest)
}

/// Goodput never fell below `goal` from the trigger's start on: over every span of `span`
/// windows (or all there is, when fewer), those that overlap the trigger and the ones after,
/// up to the last that offered anything. `span` is one window for a busy group, and for a
/// quiet one enough windows to hold `min_span_intents` at its pre-trigger rate, so one chance
/// timeout among a handful of intents is no dip; not the rolling span, which a dip of a window
/// or two hides in.
fn held_through(windows: &[WindowGoodput], t_start: f64, span: usize, goal: f64, p: &VerdictParams) -> bool {
    let eps = 1e-9;
    let from: Vec<&WindowGoodput> = windows
        .iter()
        .filter(|w| w.start_s + p.window_s > t_start + eps)
        .collect();
    let end = from.iter().rposition(|w| w.offered > 0).map_or(0, |i| i + 1);
    let from = &from[..end];
    if from.len() <= span {
        let (o, s) = tally(from.iter().copied());
        return ratio(s, o) >= goal;
    }
    from.windows(span).all(|w| {
        let (o, s) = tally(w.iter().copied());
        ratio(s, o) >= goal
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows(spec: &[(u64, u64)]) -> Vec<WindowGoodput> {
        spec.iter()
            .enumerate()
            .map(|(i, (o, s))| WindowGoodput {
                start_s: i as f64,
                offered: *o,
                successes: *s,
                held: Some(0.0),
            })
            .collect()
    }

    fn params(trigger: Option<(f64, f64)>) -> VerdictParams {
        VerdictParams {
            window_s: 1.0,
            healthy_ratio: 0.9,
            recovery_fraction: 0.9,
            rolling_s: 2.0,
            min_span_intents: 0,
            trigger,
            load: None,
            load_after: None,
        }
    }

    /// A run that ends before one rolling span after its trigger gets no verdict (it used to
    /// read "overloaded ... inf/s" when it ended during the trigger).
    #[test]
    fn a_run_cut_short_after_its_trigger_is_not_judged() {
        for n in [4, 6] {
            let w = windows(&vec![(10, 10); n]);
            let r = decide(&w, &params(Some((3.0, 5.0))));
            assert_eq!((r.verdict, r.recovery_s), (None, None), "{n} windows: {}", r.reason);
            assert!(r.reason.contains("the run ended"), "{}", r.reason);
        }
        // One full rolling span after the trigger is enough.
        let r = decide(&windows(&[(10, 10); 7]), &params(Some((3.0, 5.0))));
        assert_eq!(r.verdict, Some(Verdict::Recovered), "{}", r.reason);
    }

    /// Healthy, a trigger in [3, 5), then goodput at 0-10% of a load back at baseline.
    const COLLAPSED: [(u64, u64); 10] = [
        (10, 10),
        (10, 10),
        (10, 10),
        (50, 5),
        (50, 5),
        (10, 0),
        (10, 1),
        (10, 0),
        (10, 1),
        (10, 0),
    ];

    /// A run longer than its phases: the quiet windows after its load ended (0 of 0) read as
    /// healthy, so a death spiral run 100 s past its phases was "recovered" when arrivals stopped.
    #[test]
    fn quiet_windows_after_the_load_are_no_recovery() {
        let mut w = COLLAPSED.to_vec();
        w.extend([(0, 0); 6]);
        let r = decide(&windows(&w), &params(Some((3.0, 5.0))));
        assert_eq!(r.verdict, Some(Verdict::Metastable), "{}", r.reason);
        // Nor do they make a load that stopped during the trigger's aftermath judgeable.
        let r = decide(
            &windows(&[
                (10, 10),
                (10, 10),
                (10, 10),
                (50, 5),
                (50, 5),
                (10, 0),
                (0, 0),
                (0, 0),
                (0, 0),
            ]),
            &params(Some((3.0, 5.0))),
        );
        assert_eq!(r.verdict, None, "{}", r.reason);
        assert!(
            r.reason.contains("the run's load ended 1s after its trigger"),
            "{}",
            r.reason
        );
    }

    /// The reason gives the recovery time as the verdict's label does: "recovered in 8.00s:
    /// ... 8.00s after the trigger ended", not "8.0s" beside it.
    #[test]
    fn the_reason_gives_the_recovery_as_the_label_does() {
        let mut w = vec![(100, 100); 20];
        for x in &mut w[4..13] {
            *x = (100, 20);
        }
        let r = decide(&windows(&w), &params(Some((3.0, 5.0))));
        let rec = r.recovery_s.expect("recovered");
        assert!(rec > 1.0, "{rec}");
        let label = verdict_label_of(&r);
        let figure = label.strip_prefix("recovered in ").expect(&label);
        assert!(
            r.reason.contains(&format!(" {figure} after the trigger ended")),
            "{label}: {}",
            r.reason
        );
    }

    /// A flaky service (a 2 s stall every 45 s, walkthrough 5) dips below the line before the
    /// trigger as after it: judged over the spans it held the line over before the trigger,
    /// its stalls after it are no relapse. It read "recovered in 104s" with no burst at all,
    /// or "metastable" when a stall fell near the end. A collapse after the trigger deeper and
    /// longer than its stalls is still one.
    #[test]
    fn a_flaky_groups_periodic_dips_are_its_baseline() {
        // 1 s windows of 20 intents; a stall fails the 2 windows at 20 + 45k.
        let flaky = |len: usize, collapse_from: Option<usize>| {
            let w: Vec<(u64, u64)> = (0..len)
                .map(|i| match collapse_from {
                    Some(c) if i >= c => (20, 4),
                    _ if i >= 20 && (i - 20) % 45 < 2 => (20, 0),
                    _ => (20, 20),
                })
                .collect();
            windows(&w)
        };
        // Trigger 180-200 s (the same load: no burst); the last stall at 335 s, 5 s before the end.
        let p = params(Some((180.0, 200.0)));
        let r = decide(&flaky(340, None), &p);
        assert_eq!((r.verdict, r.held), (Some(Verdict::Recovered), true), "{}", r.reason);
        assert!(
            r.reason
                .contains("judged over spans of 24.0s, as its goodput dipped below the line before the trigger too"),
            "{}",
            r.reason
        );
        // Two failed windows in 15 are 86.7%, 14 windows 85.7%: under 90% of the 95.6% baseline
        // (86.0%) only in the shorter.
        let w = flaky(340, None);
        let pre: Vec<&WindowGoodput> = w.iter().take(180).collect();
        assert_eq!(steady_span(&pre, 2, 0.9 * 172.0 / 180.0), 15);
        // Judged over the rolling span alone (a steady group's), its last stall read as
        // metastable: the stall 5 s before the end leaves no healthy span after it.
        assert!(!held_through(&w, 180.0, 2, 0.9 * 172.0 / 180.0, &p));
        // A collapse to 20% from 210 s on: metastable all the same.
        let r = decide(&flaky(340, Some(210)), &p);
        assert_eq!(r.verdict, Some(Verdict::Metastable), "{}", r.reason);
        // One dip before the trigger (a cold start) is no pattern: the spans stay as they were,
        // and an outage of 3 s after the trigger is not read as held (review).
        let w: Vec<(u64, u64)> = (0..340)
            .map(|i| {
                if (20..22).contains(&i) || (205..208).contains(&i) {
                    (20, 0)
                } else {
                    (20, 20)
                }
            })
            .collect();
        let r = decide(&windows(&w), &p);
        assert!(!r.held && r.recovery_s.is_some_and(|s| s > 0.0), "{}", r.reason);
        assert!(!r.reason.contains("judged over spans"), "{}", r.reason);
    }

    /// Goodput that never fell below the line from the trigger's start on held; one that fell
    /// during the trigger and was back by its end recovered in 0 s, which is not the same.
    #[test]
    fn a_group_the_trigger_did_not_touch_held() {
        let trigger = params(Some((3.0, 5.0)));
        let flat = decide(&windows(&[(100, 100); 10]), &trigger);
        assert_eq!(
            (flat.verdict, flat.recovery_s, flat.held),
            (Some(Verdict::Recovered), Some(0.0), true)
        );
        assert!(flat.reason.starts_with("goodput stayed >= 90%"), "{}", flat.reason);
        assert_eq!(verdict_label_of(&flat), "held");
        // A dip in the trigger's last window, back at its end: recovered in 0 s, not held.
        let mut dip = vec![(100, 100); 10];
        dip[4] = (100, 40);
        let dipped = decide(&windows(&dip), &trigger);
        assert_eq!(
            (dipped.verdict, dipped.recovery_s, dipped.held),
            (Some(Verdict::Recovered), Some(0.0), false),
            "{}",
            dipped.reason
        );
        assert_eq!(verdict_label_of(&dipped), "recovered in 0s");
        // Nor after the trigger: a relapse a window long that the rolling span forgives.
        let mut late = vec![(100, 100); 12];
        late[7] = (100, 60);
        let r = decide(&windows(&late), &trigger);
        assert_eq!((r.verdict, r.held), (Some(Verdict::Recovered), false), "{}", r.reason);
        // A quiet group (5 intents a window): one chance failure in a window is 80% there, but
        // over the 20 windows that hold 100 of its intents it is 99%: held.
        let quiet = |p: &VerdictParams| {
            let mut w = vec![(5, 5); 60];
            w[31] = (5, 4);
            decide(&windows(&w), p)
        };
        let p = VerdictParams {
            min_span_intents: MIN_SPAN_INTENTS,
            ..params(Some((30.0, 35.0)))
        };
        assert!(quiet(&p).held, "{}", quiet(&p).reason);
        // Judged window by window, it would not be.
        assert!(!quiet(&params(Some((30.0, 35.0)))).held);
        // A trigger that ends within a window (5.5 s), or a first window after it that offered
        // nothing: held all the same, with a recovery of 0 (they read "recovered in 500ms").
        for (trigger, w) in [
            ((3.0, 5.5), vec![(100, 100); 10]),
            ((3.0, 5.0), {
                let mut w = vec![(2, 2); 30];
                w[5] = (0, 0);
                w[6] = (0, 0);
                w
            }),
        ] {
            let r = decide(&windows(&w), &params(Some(trigger)));
            assert_eq!(
                (r.verdict, r.recovery_s, r.held),
                (Some(Verdict::Recovered), Some(0.0), true),
                "{}",
                r.reason
            );
        }
    }

    fn verdict_label_of(r: &VerdictResult) -> String {
        crate::results::verdict_label(r.verdict.expect("judged"), r.recovery_s, r.held)
    }

    #[test]
    fn no_trigger_is_stable_or_overloaded() {
        assert_eq!(
            decide(&windows(&[(10, 10); 5]), &params(None)).verdict,
            Some(Verdict::Stable)
        );
        assert_eq!(
            decide(&windows(&[(10, 5); 5]), &params(None)).verdict,
            Some(Verdict::Overloaded)
        );
    }

    #[test]
    fn recovery_is_measured_from_the_trigger_end() {
        // Trigger in [3, 5); goodput back from window 7 on.
        let w = windows(&[
            (10, 10),
            (10, 10),
            (10, 10),
            (50, 5),
            (50, 5),
            (10, 0),
            (10, 2),
            (10, 10),
            (10, 10),
            (10, 10),
        ]);
        let r = decide(&w, &params(Some((3.0, 5.0))));
        assert_eq!(r.verdict, Some(Verdict::Recovered));
        assert_eq!(r.recovery_s, Some(2.0));
    }

    /// A lull after the trigger (its phases offer nothing for a while) is no recovery: it is
    /// dated to the first window after it that offered intents and was healthy.
    #[test]
    fn a_lull_after_the_trigger_does_not_date_the_recovery() {
        let mut w = vec![(10, 10), (10, 10), (10, 10), (50, 5), (50, 5)];
        w.extend([(0, 0); 3]);
        w.extend([(10, 10); 4]);
        let r = decide(&windows(&w), &params(Some((3.0, 5.0))));
        assert_eq!(r.verdict, Some(Verdict::Recovered), "{}", r.reason);
        // Window 8, the first with load (3 s after the trigger's end), not the lull's start.
        assert_eq!(r.recovery_s, Some(3.0), "{}", r.reason);
    }

    /// A trigger with no traffic before it leaves no baseline: not judged (it read
    /// "overloaded", as if the run had been unhealthy).
    #[test]
    fn a_trigger_at_the_start_is_not_judged() {
        let r = decide(&windows(&COLLAPSED[3..]), &params(Some((0.0, 2.0))));
        assert_eq!((r.verdict, r.baseline), (None, None), "{}", r.reason);
        assert!(r.reason.contains("no traffic before the trigger"), "{}", r.reason);
    }

    #[test]
    fn collapse_at_baseline_load_is_metastable() {
        let w = windows(&COLLAPSED);
        let r = decide(&w, &params(Some((3.0, 5.0))));
        assert_eq!(r.verdict, Some(Verdict::Metastable), "{}", r.reason);
        assert!(r.reason.contains("did not recover"), "{}", r.reason);
    }

    /// A quiet group (2 intents a window) is judged over spans of at least
    /// [`MIN_SPAN_INTENTS`]: two chance failures at the end of an otherwise healthy run no
    /// longer read as a relapse, while a quiet group that did collapse is still metastable.
    #[test]
    fn a_quiet_group_is_judged_over_enough_intents() {
        let run = |after: (u64, u64), tail: &[(u64, u64)]| {
            let mut spec = vec![(2, 2); 39];
            spec.push((2, 1)); // baseline 79/80
            spec.extend([(20, 2); 5]); // the trigger, 40-45 s
            spec.extend(vec![after; 60]);
            spec.extend_from_slice(tail);
            windows(&spec)
        };
        let p = |min_span_intents| VerdictParams {
            rolling_s: 5.0,
            min_span_intents,
            ..params(Some((40.0, 45.0)))
        };
        // Healthy after the trigger but for one failure in each of the last two windows.
        let blip = run((2, 2), &[(2, 1), (2, 1)]);
        let short = decide(&blip, &p(0));
        assert_eq!(short.verdict, Some(Verdict::Metastable), "{}", short.reason);
        let long = decide(&blip, &p(MIN_SPAN_INTENTS));
        assert_eq!(long.verdict, Some(Verdict::Recovered), "{}", long.reason);
        assert_eq!(long.recovery_s, Some(0.0));
        // Collapsed for good: metastable either way.
        let dead = run((2, 0), &[]);
        assert_eq!(decide(&dead, &p(MIN_SPAN_INTENTS)).verdict, Some(Verdict::Metastable));
        // Down for a while after the trigger, then healthy: recovery where it came back, not
        // where a long span first averages above the line (3 s here, with 1 intent a window).
        let late = |down: usize, up: usize| {
            let mut spec = vec![(1, 1); 40];
            spec.extend([(5, 1); 5]);
            spec.extend(vec![(1, 0); down]);
            spec.extend(vec![(1, 1); up]);
            windows(&spec)
        };
        let r = decide(&late(8, 92), &p(MIN_SPAN_INTENTS));
        assert_eq!(
            (r.verdict, r.recovery_s),
            (Some(Verdict::Recovered), Some(8.0)),
            "{}",
            r.reason
        );
        // Too little time after the trigger for a long span: the rolling span judges (one span
        // over all 40 windows read a late recovery as metastable).
        let r = decide(&late(10, 30), &p(MIN_SPAN_INTENTS));
        assert_eq!(
            (r.verdict, r.recovery_s),
            (Some(Verdict::Recovered), Some(10.0)),
            "{}",
            r.reason
        );
        // However long it stays healthy after coming back: a longer run never turns a recovery
        // into "metastable" (30 windows down, then 5 to 80 up; a long span over the collapse
        // said metastable from 20 up to 44).
        for up in 5..80 {
            let r = decide(&late(30, up), &p(MIN_SPAN_INTENTS));
            assert_eq!(
                (r.verdict, r.recovery_s),
                (Some(Verdict::Recovered), Some(30.0)),
                "up {up}: {}",
                r.reason
            );
        }
        // A busy group's span is the rolling span: 50 intents fit in it.
        let busy: Vec<WindowGoodput> = run((2, 2), &[])
            .into_iter()
            .map(|w| WindowGoodput {
                offered: w.offered * 10,
                successes: w.successes * 10,
                ..w
            })
            .collect();
        assert_eq!(decide(&busy, &p(MIN_SPAN_INTENTS)), decide(&busy, &p(0)));
    }

    #[test]
    fn unhealthy_before_the_trigger_is_overloaded_not_metastable() {
        let w = windows(&[(10, 5), (10, 5), (10, 5), (50, 5), (50, 5), (10, 0), (10, 0), (10, 0)]);
        assert_eq!(decide(&w, &params(Some((3.0, 5.0)))).verdict, Some(Verdict::Overloaded));
    }

    /// Unhealthy before the trigger at a load the backend can carry is not "plain overload":
    /// the reason says which, from the scenario's offered utilisation.
    #[test]
    fn the_reason_tells_overload_from_failures_at_a_load_the_backend_carries() {
        let w = windows(&[(10, 5), (10, 5), (10, 5), (50, 5), (50, 5), (10, 0), (10, 0), (10, 0)]);
        let with = |load| {
            decide(
                &w,
                &VerdictParams {
                    load,
                    ..params(Some((3.0, 5.0)))
                },
            )
        };
        let light = with(Some(0.51));
        assert_eq!(light.verdict, Some(Verdict::Overloaded));
        assert!(
            light
                .reason
                .contains("at 51% offered utilisation: not overload, but failures at a load the backend can carry"),
            "{}",
            light.reason
        );
        assert!(!light.reason.contains("plain overload"), "{}", light.reason);
        let near = with(Some(0.96));
        assert!(
            near.reason.contains(
                "near capacity (96% offered utilisation): queueing alone can push waits past the clients' timeout"
            ),
            "{}",
            near.reason
        );
        assert!(!near.reason.contains("a load the backend can carry"), "{}", near.reason);
        let heavy = with(Some(1.3));
        assert!(
            heavy.reason.contains("plain overload (130% offered utilisation)"),
            "{}",
            heavy.reason
        );
        assert!(with(None)
            .reason
            .contains("overload, or failures at a load the target can carry; not metastability"));
        let steady = windows(&[(10, 5); 5]);
        let r = decide(
            &steady,
            &VerdictParams {
                load: Some(0.3),
                ..params(None)
            },
        );
        assert!(
            r.reason.contains("at 30% offered utilisation: not overload"),
            "{}",
            r.reason
        );
    }

    /// A quiet group's baseline short of the line by one cluster of failures is no evidence of
    /// an unhealthy group (the estate's `risk`: 98 of 109 before its trigger, 11 failures in
    /// one 5 s burst, 99.6% over a long run, was "overloaded" in 1 of 20 seeds); the same
    /// shortfall spread over many intents, or a quiet group near capacity, is.
    #[test]
    fn a_shortfall_within_the_noise_is_no_unhealthy_baseline() {
        // 60 windows of 1 s before a trigger at 60-80 s, 1.8 intents/s (108); 11 failures, all
        // in 40-46 s.
        let mut spec: Vec<(u64, u64)> = (0..60)
            .map(|i| {
                let o = if i % 5 == 0 { 1 } else { 2 };
                (o, o)
            })
            .collect();
        for w in &mut spec[40..46] {
            w.1 = 0;
        }
        spec[46].1 -= 1;
        let failures = |spec: &[(u64, u64)]| spec.iter().map(|(o, s)| o - s).sum::<u64>();
        assert_eq!(failures(&spec), 11);
        spec.extend([(10, 2); 20]); // the trigger
        spec.extend([(2, 2); 40]); // after: healthy
        let offered: u64 = spec[..60].iter().map(|w| w.0).sum();
        let ratio = 1.0 - 11.0 / offered as f64;
        assert!(ratio < 0.9, "short of the line: {ratio}");
        let p = |load| VerdictParams {
            rolling_s: 5.0,
            min_span_intents: MIN_SPAN_INTENTS,
            load,
            ..params(Some((60.0, 80.0)))
        };
        let r = decide(&windows(&spec), &p(Some(0.48)));
        assert_eq!(r.verdict, Some(Verdict::Recovered), "{}", r.reason);
        assert!(
            r.reason.contains(
                "(a baseline short of the 90% healthy line only within the noise (2 standard errors at 108 intents: 5.8 points))"
            ),
            "{}",
            r.reason
        );
        let r = decide(&windows(&spec), &p(None));
        assert_eq!(r.verdict, Some(Verdict::Recovered), "unknown load: {}", r.reason);
        // Short within the noise and no recovery: no healthy baseline to be metastable from.
        // (Judged as short of the line, as before: its failures may be a collapse that began
        // before the trigger, no noise.)
        let mut stuck = spec.clone();
        for w in &mut stuck[80..] {
            w.1 = 0;
        }
        let r = decide(&windows(&stuck), &p(Some(0.48)));
        assert_eq!(r.verdict, Some(Verdict::Overloaded), "{}", r.reason);
        assert!(
            r.reason
                .starts_with("goodput ratio 89.8% before the trigger (< 90% healthy): at 48% offered utilisation")
                && !r.reason.contains("noise"),
            "{}",
            r.reason
        );
        // Near capacity, the line is the line.
        let r = decide(&windows(&spec), &p(Some(0.96)));
        assert_eq!(r.verdict, Some(Verdict::Overloaded), "{}", r.reason);
        assert!(r.reason.contains("near capacity (96%"), "{}", r.reason);
        // 25 failures (76.9%) are a shortfall of 13 points, past the 5.8 allowed.
        let mut spread: Vec<(u64, u64)> = spec[..60].iter().map(|(o, _)| (*o, *o)).collect();
        for k in 0..25 {
            let i = (k * 60 / 25 + 1..60).find(|&i| spread[i].1 > 0).unwrap_or(0);
            spread[i].1 -= 1;
        }
        assert_eq!(failures(&spread), 25);
        spread.extend_from_slice(&spec[60..]);
        let r = decide(&windows(&spread), &p(Some(0.48)));
        assert_eq!(r.verdict, Some(Verdict::Overloaded), "{}", r.reason);
        // Without a trigger, alike.
        let no_trigger = |load| VerdictParams {
            trigger: None,
            ..p(load)
        };
        let r = decide(&windows(&spec[..60]), &no_trigger(Some(0.48)));
        assert_eq!(r.verdict, Some(Verdict::Stable), "{}", r.reason);
        assert!(
            r.reason
                .contains("89.8% throughout, short of the 90% healthy line only within the noise"),
            "{}",
            r.reason
        );
        let r = decide(&windows(&spread[..60]), &no_trigger(Some(0.48)));
        assert_eq!(r.verdict, Some(Verdict::Overloaded), "{}", r.reason);
        // Failures in bursts do not excuse themselves: half the run dead is 50%, unhealthy.
        let halves: Vec<(u64, u64)> = (0..20).map(|i| (10, if i < 10 { 10 } else { 0 })).collect();
        assert_eq!(
            decide(&windows(&halves), &no_trigger(Some(0.5))).verdict,
            Some(Verdict::Overloaded)
        );
        // A busy group's allowance is a fraction of a point: 85% of 60,000 intents (a 90 s
        // outage in 600 s at 100/s) is unhealthy, known load or not.
        let busy: Vec<(u64, u64)> = (0..600)
            .map(|i| (100, if (200..290).contains(&i) { 0 } else { 100 }))
            .collect();
        for load in [Some(0.5), None] {
            let r = decide(&windows(&busy), &no_trigger(load));
            assert_eq!(r.verdict, Some(Verdict::Overloaded), "{load:?}: {}", r.reason);
        }
    }

    /// A group near capacity that does not recover at a load back at baseline is metastable,
    /// with a caveat saying how to tell it from slow queueing: a service at 92% that sat at 0%
    /// goodput after a burst is the death spiral, though one at 96% hovering at 80% may not be.
    #[test]
    fn no_recovery_near_capacity_says_how_to_tell() {
        let with = |load_after| {
            decide(
                &windows(&COLLAPSED),
                &VerdictParams {
                    load_after,
                    ..params(Some((3.0, 5.0)))
                },
            )
        };
        for load in [None, Some(0.6), Some(0.96)] {
            assert_eq!(with(load).verdict, Some(Verdict::Metastable), "{load:?}");
        }
        assert!(!with(Some(0.6)).reason.contains("queueing alone"));
        let near = with(Some(0.96));
        assert!(
            near.reason.contains(
                "; at 96% of capacity, queueing alone may hold goodput down for long: the same run without its trigger tells"
            ),
            "{}",
            near.reason
        );
    }

    /// A ramp up from zero before the trigger does not make the load after it, back at the
    /// level it ramped to, "above baseline": the baseline load is that just before the trigger
    /// (a whole-period average read 206.8/s against 250/s and called a collapse overload).
    #[test]
    fn a_ramp_before_the_trigger_is_no_higher_load_after_it() {
        let mut spec: Vec<(u64, u64)> = (0..30).map(|i| (i * 250 / 30, i * 250 / 30)).collect();
        spec.extend([(250, 250); 60]);
        spec.extend([(600, 60); 10]); // the trigger, 90-100 s
        spec.extend([(250, 5); 60]);
        let judge = |spec: &[(u64, u64)]| {
            decide(
                &windows(spec),
                &VerdictParams {
                    rolling_s: 5.0,
                    min_span_intents: MIN_SPAN_INTENTS,
                    ..params(Some((90.0, 100.0)))
                },
            )
        };
        let r = judge(&spec);
        assert_eq!(r.verdict, Some(Verdict::Metastable), "{}", r.reason);
        assert!(
            r.reason
                .contains("back at baseline (250.0/s after the trigger vs 250.0/s in the last 5.00s before it)"),
            "{}",
            r.reason
        );
        // A load that did stay higher is still overload.
        let high: Vec<(u64, u64)> = spec
            .iter()
            .enumerate()
            .map(|(i, &(o, s))| if i >= 100 { (400, s) } else { (o, s) })
            .collect();
        let r = judge(&high);
        assert_eq!(r.verdict, Some(Verdict::Overloaded), "{}", r.reason);
    }

    /// The rates a metastable or overloaded verdict compares say what they are: the load over
    /// the windows after the trigger against that over the last span before it (batch-job,
    /// 180/s offered, read "back at baseline (181.3/s vs 193.4/s)", the second the last 5 s
    /// before the trigger, not the 178.6/s of the whole time before it).
    #[test]
    fn the_rates_compared_say_which_windows_they_are() {
        let judge = |after: u64| {
            let mut spec = vec![(178, 178); 55];
            spec.extend([(193, 193); 5]);
            spec.extend([(400, 40); 20]); // the trigger, 60-80 s
            spec.extend(vec![(after, 10); 100]);
            decide(
                &windows(&spec),
                &VerdictParams {
                    rolling_s: 5.0,
                    min_span_intents: MIN_SPAN_INTENTS,
                    ..params(Some((60.0, 80.0)))
                },
            )
        };
        let r = judge(181);
        assert_eq!(r.verdict, Some(Verdict::Metastable), "{}", r.reason);
        assert!(
            r.reason.contains(
                "and the offered load is back at baseline (181.0/s after the trigger vs 193.0/s in the last 5.00s before it); goodput still"
            ),
            "{}",
            r.reason
        );
        let r = judge(300);
        assert_eq!(r.verdict, Some(Verdict::Overloaded), "{}", r.reason);
        assert!(
            r.reason.contains(
                "offered load stayed above baseline (300.0/s after the trigger vs 193.0/s in the last 5.00s before it)"
            ),
            "{}",
            r.reason
        );
    }

    #[test]
    fn load_that_stays_high_is_overloaded() {
        let w = windows(&[
            (10, 10),
            (10, 10),
            (10, 10),
            (50, 5),
            (50, 5),
            (50, 0),
            (50, 0),
            (50, 0),
            (50, 0),
        ]);
        assert_eq!(decide(&w, &params(Some((3.0, 5.0)))).verdict, Some(Verdict::Overloaded));
    }

    /// A load after the trigger higher than before, but one the backend carries with headroom,
    /// does not excuse a collapse as overload: the sweep's envelope once read "overloaded" for
    /// a fifo stuck at 60% of capacity, because the run before the burst was lighter still.
    #[test]
    fn a_higher_load_the_backend_carries_is_no_overload() {
        let w = windows(&[
            (10, 10),
            (10, 10),
            (10, 10),
            (40, 5),
            (40, 5),
            (20, 0),
            (20, 0),
            (20, 0),
            (20, 0),
            (20, 0),
            (20, 0),
        ]);
        let with = |load_after| VerdictParams {
            load: Some(0.5),
            load_after,
            ..params(Some((3.0, 5.0)))
        };
        let r = decide(&w, &with(Some(0.6)));
        assert_eq!(r.verdict, Some(Verdict::Metastable), "{}", r.reason);
        assert!(
            r.reason.contains("60% of capacity, a load the backend carries"),
            "{}",
            r.reason
        );
        // Near capacity but under it: no overload either (helper-182: "overload, not
        // metastability" at 93%, a load held at 100% without the burst); the reason says what
        // queueing so close to capacity may do, and how to tell.
        let r = decide(&w, &with(Some(0.95)));
        assert_eq!(r.verdict, Some(Verdict::Metastable), "{}", r.reason);
        assert!(
            r.reason.contains("is 95% of capacity, under what the backend carries"),
            "{}",
            r.reason
        );
        assert!(
            r.reason.contains("the same run without its trigger tells"),
            "{}",
            r.reason
        );
        // At capacity or over it, overload.
        for u in [1.0, 1.3] {
            let r = decide(&w, &with(Some(u)));
            assert_eq!(r.verdict, Some(Verdict::Overloaded), "{}", r.reason);
            assert!(
                r.reason
                    .contains(&format!("at {:.0}% of capacity: overload", u * 100.0)),
                "{}",
                r.reason
            );
        }
        // Unknown (an external target): the rates alone decide, as before.
        assert_eq!(decide(&w, &with(None)).verdict, Some(Verdict::Overloaded));
    }

    #[test]
    fn a_blip_of_recovery_does_not_count() {
        let w = windows(&[
            (10, 10),
            (10, 10),
            (10, 10),
            (50, 5),
            (10, 10),
            (10, 10),
            (10, 0),
            (10, 0),
            (10, 0),
        ]);
        assert_eq!(decide(&w, &params(Some((3.0, 4.0)))).verdict, Some(Verdict::Metastable));
    }

    /// The death spiral's windows with the gateway's backlog after the trigger: `fall` a
    /// window from 400 (draining) or wandering around 400 (stuck), goodput 0 throughout.
    fn backlog(fall: f64, wander: f64, after: usize) -> Vec<WindowGoodput> {
        let mut w = windows(&[(10, 10); 5]);
        for x in &mut w {
            x.held = Some(3.0);
        }
        let mut post = windows(&vec![(10, 0); 2 + after]);
        for (i, x) in post.iter_mut().enumerate() {
            x.start_s += 5.0;
            x.offered = if i < 2 { 50 } else { 10 };
            // A fixed zig-zag, not noise: the same every run.
            let zig = if i % 2 == 0 { wander } else { -wander };
            x.held = Some(400.0 - fall * i as f64 + zig);
        }
        w.extend(post);
        w
    }

    /// A backlog still going down when the run ends is not judged (helper-182: death-spiral.toml
    /// with retries off, 40 s after the burst, read "metastable" while its queue fell from
    /// 4094 to 965; 30 s more and it read "recovered in 50s").
    #[test]
    fn a_backlog_still_draining_at_the_end_is_not_judged() {
        let p = params(Some((5.0, 7.0)));
        let r = decide(&backlog(20.0, 5.0, 12), &p);
        assert_eq!(r.verdict, None, "{}", r.reason);
        assert!(r.reason.contains("still draining"), "{}", r.reason);
        assert!(r.reason.contains("(20.3/s;"), "{}", r.reason);
        assert!(r.reason.contains("a longer run tells"), "{}", r.reason);
        // A backlog that holds its level, zig-zagging, is stuck: metastable as before.
        let r = decide(&backlog(0.0, 30.0, 12), &p);
        assert_eq!(r.verdict, Some(Verdict::Metastable), "{}", r.reason);
        // So is a fall too small to tell from the wandering (0.5 a window against +-30).
        let r = decide(&backlog(0.5, 30.0, 12), &p);
        assert_eq!(r.verdict, Some(Verdict::Metastable), "{}", r.reason);
        // A big backlog draining slowly for a long time (the last 29 windows of 58 read: by
        // less than a fifth over the last ten alone).
        let r = decide(&backlog(3.0, 2.0, 58), &p);
        assert_eq!(r.verdict, None, "{}", r.reason);
        assert!(r.reason.contains("over the last 29.0s"), "{}", r.reason);
        // A backlog that drained in the last windows, before goodput caught up (review
        // helper-186: 2082 to 10 read "metastable", while one still draining was not judged).
        let mut w = backlog(33.0, 0.0, 12);
        for x in &mut w[5..] {
            x.held = x.held.map(|h| h.max(3.0));
        }
        let r = decide(&w, &p);
        assert_eq!(r.verdict, None, "{}", r.reason);
        assert!(r.reason.contains("had just drained"), "{}", r.reason);
        // Fewer than five windows after the trigger: too few to read a trend, as before.
        let r = decide(&backlog(20.0, 5.0, 2), &p);
        assert_eq!(r.verdict, Some(Verdict::Metastable), "{}", r.reason);
        // Nothing measured (an external target): as before.
        let mut w = backlog(20.0, 5.0, 12);
        for x in &mut w {
            x.held = Some(0.0);
        }
        assert_eq!(decide(&w, &p).verdict, Some(Verdict::Metastable));
    }

    /// A window no gauge sample fell in (a live run at a high time scale) is no data: a stuck
    /// backlog with such windows near the end is stuck, not falling to 0, and one draining
    /// still drains at its pace.
    #[test]
    fn windows_without_a_gauge_sample_are_no_fall_of_the_backlog() {
        let p = params(Some((5.0, 7.0)));
        // The six windows before the last one missed, and one before the trigger.
        let with_gaps = |mut w: Vec<WindowGoodput>, gap: Option<f64>| {
            let n = w.len();
            w[n - 7..n - 1].iter_mut().for_each(|x| x.held = gap);
            w[1].held = gap;
            w
        };
        // Read as 0, the gaps made the stuck backlog "still draining".
        let r = decide(&with_gaps(backlog(0.0, 30.0, 40), Some(0.0)), &p);
        assert_eq!(r.verdict, None, "{}", r.reason);
        let r = decide(&with_gaps(backlog(0.0, 30.0, 40), None), &p);
        assert_eq!(r.verdict, Some(Verdict::Metastable), "{}", r.reason);
        // A backlog draining still drains, at its pace.
        let r = decide(&with_gaps(backlog(8.0, 5.0, 40), None), &p);
        assert_eq!(r.verdict, None, "{}", r.reason);
        assert!(r.reason.contains("still draining"), "{}", r.reason);
        assert!(r.reason.contains("(8.2/s;"), "{}", r.reason);
        // Too few measured windows to read a trend from.
        let mut w = backlog(20.0, 5.0, 12);
        let n = w.len();
        w[n - 10..n - 4].iter_mut().for_each(|x| x.held = None);
        let r = decide(&w, &p);
        assert_eq!(r.verdict, Some(Verdict::Metastable), "{}", r.reason);
    }

    /// A recovery only the run's last spans show says so (helper-182: "recovered in 55.0s"
    /// 60 s after the trigger, on one healthy span at the very end).
    #[test]
    fn a_recovery_only_the_last_span_shows_says_so() {
        let mut spec = vec![(10, 10); 3];
        spec.extend([(50, 5), (50, 5)]);
        spec.extend(vec![(10, 0); 6]);
        spec.extend(vec![(10, 10); 2]);
        let r = decide(&windows(&spec), &params(Some((3.0, 5.0))));
        assert_eq!(r.verdict, Some(Verdict::Recovered), "{}", r.reason);
        assert!(r.reason.contains("only the run's last 2.00s show it"), "{}", r.reason);
        // With more of the run after it, nothing to add.
        spec.extend(vec![(10, 10); 3]);
        let r = decide(&windows(&spec), &params(Some((3.0, 5.0))));
        assert_eq!(r.verdict, Some(Verdict::Recovered), "{}", r.reason);
        assert!(!r.reason.contains("only the run's last"), "{}", r.reason);
    }
}
