//! The progress line on stderr: elapsed, phase, rate, intents ok/failed/waiting (and arrivals
//! left unsent, when there are), attempts timed out and shed, and the p99 latency of the
//! attempts that ended since the line was last drawn.

use crate::driver::View;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use model::results::{fmt_secs, GroupCounters};
use model::scenario::Scenario;
use std::io::IsTerminal;
use std::time::Duration;

/// How often the line is redrawn on a terminal, and logged otherwise (real time).
const DRAW_EVERY: Duration = Duration::from_millis(500);
const LOG_EVERY: Duration = Duration::from_secs(10);

pub struct Progress {
    bar: ProgressBar,
    task: tokio::task::JoinHandle<()>,
}

impl Progress {
    /// Starts drawing the line on stderr twice a second; when stderr is not a terminal (a CI
    /// log), it is logged every [`LOG_EVERY`] instead, so a long run is not silent until its
    /// summary.
    pub(crate) fn start(view: View, s: &Scenario) -> Progress {
        let total = s.duration.as_secs_f64();
        let tty = std::io::stderr().is_terminal();
        let target = if tty {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some((total * 10.0) as u64), target);
        bar.set_style(ProgressStyle::with_template("{bar:20} {msg}").unwrap_or_else(|_| ProgressStyle::default_bar()));
        let mut phases: Vec<(f64, f64, String)> = s
            .phases
            .iter()
            .map(|p| (p.start.as_secs_f64(), p.end.as_secs_f64(), p.name.clone()))
            .collect();
        // A closed loop has no phases: its users send for the run's duration, then it drains.
        if let Some(c) = s.file.workload.closed.as_ref().filter(|_| phases.is_empty()) {
            phases.push((0.0, total, format!("{} users", c.users)));
        }
        let b = bar.clone();
        let task = tokio::spawn(async move {
            let (mut last_intents, mut last_t) = (0u64, 0.0f64);
            let mut tick = tokio::time::interval(if tty { DRAW_EVERY } else { LOG_EVERY });
            // The first tick is at once: nothing has happened yet.
            tick.tick().await;
            loop {
                tick.tick().await;
                let now = view.now().as_secs_f64();
                let (tot, recent) = view.snapshot();
                let phase = phases
                    .iter()
                    .find(|(a, e, _)| now >= *a && now < *e)
                    .map_or("draining", |p| p.2.as_str());
                // Intents per second of scenario time, like the phase rates.
                let started = view.started();
                let rate = started.saturating_sub(last_intents) as f64 / (now - last_t).max(1e-9);
                // In a log the rate is over the scenario time since the last line (10 s real),
                // which may span two phases: said, so `phase-3 18/s` of a 10/s phase does not
                // read as wrong.
                let span = if tty {
                    String::new()
                } else {
                    format!(" over the last {}", fmt_secs(now - last_t))
                };
                (last_intents, last_t) = (started, now);
                // Of the attempts that ended since the last line: a collapse shows at once,
                // as timeouts' latencies (the recorder files attempts by when they were due).
                let p99 = recent.map_or_else(|| "-".to_string(), fmt_secs);
                b.set_position((now.min(total) * 10.0) as u64);
                // Started but without their final answer yet: against a stalled target the only
                // count that moves. (Not started less ended: arrivals left unsent are neither,
                // and were read as waiting.)
                let line = progress_line(
                    &format!("{}/{}", fmt_secs(now), fmt_secs(total)),
                    phase,
                    rate,
                    &span,
                    &tot.requests,
                    (view.waiting(), view.unsent()),
                    &p99,
                );
                if tty {
                    b.set_message(line);
                } else {
                    tracing::info!("{line}");
                }
            }
        });
        Progress { bar, task }
    }

    pub fn finish(self) {
        self.task.abort();
        self.bar.finish_and_clear();
    }
}

/// One progress line. Intents and attempts are counted apart, and labelled so: with retries,
/// one intent's timeouts are several attempts', and "ok 900 timeout 300" read as 1,200
/// requests when 300 timeouts could be 100 intents retried twice. `(waiting, unsent)`: the
/// intents outstanding, and the arrivals the generator left unsent (said only when there are).
fn progress_line(
    clock: &str,
    phase: &str,
    rate: f64,
    span: &str,
    c: &GroupCounters,
    (waiting, unsent): (u64, u64),
    p99: &str,
) -> String {
    let unsent = if unsent > 0 {
        format!(" unsent {unsent}")
    } else {
        String::new()
    };
    format!(
        "{clock}  {phase}  {rate:.0}/s{span}  intents ok {} failed {} waiting {waiting}{unsent}  attempts timeout {} shed {}  p99 now {p99}",
        c.successes, c.failures, c.timeouts, c.shed,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_says_which_counts_are_intents_and_which_attempts() {
        let c = GroupCounters {
            intents: 1000,
            attempts: 1300,
            retries: 300,
            successes: 900,
            failures: 100,
            timeouts: 300,
            shed: 7,
            ..GroupCounters::default()
        };
        let line = progress_line("10s/60s", "burst", 100.0, "", &c, (40, 0), "1.2s");
        assert_eq!(
            line,
            "10s/60s  burst  100/s  intents ok 900 failed 100 waiting 40  attempts timeout 300 shed 7  p99 now 1.2s"
        );
        // Arrivals left unsent are said apart, not as waiting.
        let line = progress_line("10s/60s", "burst", 100.0, "", &c, (40, 2_000), "1.2s");
        assert!(
            line.contains("  intents ok 900 failed 100 waiting 40 unsent 2000  attempts"),
            "{line}"
        );
        let logged = progress_line("10s/60s", "burst", 100.0, " over the last 10.0s", &c, (40, 0), "1.2s");
        assert!(
            logged.contains("  burst  100/s over the last 10.0s  intents"),
            "{logged}"
        );
    }
}
