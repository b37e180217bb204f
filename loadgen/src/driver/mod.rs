//! The live driver: the model's workload schedule and client model on tokio's clock.
//!
//! Every intent's first attempt is sent at its scheduled time, whatever the target is doing
//! (open loop), and every latency is measured from the time the attempt was *meant* to be sent,
//! so a stalled target cannot hide its stall (no coordinated omission). The driver records in
//! scenario time: with `time_scale = f`, real durations are multiplied by f, so a compressed live
//! run reports the same units as the simulator. Send lateness (a property of the generator) is
//! recorded in real time.
//!
//! An intent enters the figures (offered, succeeded or failed) when it has its final answer.
//! Intents without one when the run ends (in flight or waiting to retry at an interrupt, or still
//! in flight when the end-of-run wait for them ran out) are left out and counted in
//! [`RunNotes::left_out`], so an interrupt does not read as failures; only an interrupt marks
//! the results incomplete (the binary's exit 130), an intent abandoned at the end is said as such;
//! so are intents the generator itself could not send (no socket: too many open files), which
//! are no failure of the target and count as unsent in the generator's health.
//!
//! By part: `options` (how to run), `target` (the target's checks before the run), `transport`
//! (how requests travel and what they carry), `shared` (a run's shared state and its
//! accounting), `attempts` (an intent's attempts and retries), `causes` (why attempts failed, in
//! words), `fd_limit` (the open-files limit and `--connections`), `loops` (the open and closed
//! loops), `sampling` (the in-process stack's gauges), `view` (what the progress line reads) and
//! `run` (the run itself, start to results).
//!
//! [`RunNotes::left_out`]: model::results::RunNotes::left_out

mod attempts;
mod causes;
mod fd_limit;
mod loops;
mod options;
mod run;
mod sampling;
mod shared;
mod target;
mod transport;
mod view;

#[cfg(test)]
mod tests;

pub use attempts::BUDGET_MARGIN;
pub use fd_limit::{connections_within_fd_limit, raise_fd_limit};
pub use options::LiveOptions;
pub use run::{run, run_quiet};
pub use target::{check_target_url, preflight, TargetError};
pub(crate) use view::View;

#[cfg(test)]
use self::{loops::admit, shared::Shared, view::shared_view};
