//! spillway's shared, sans-I/O core: "one model, two clocks".
//!
//! Everything that decides behaviour lives here, once: the scenario format, the workload
//! schedule, the seeded random streams, the legacy backend's service model, and the results
//! schema with its recorder and verdict. Nothing here does I/O or reads a clock: every function
//! that needs the time takes it as an argument ([`time::Time`]), and every random draw comes
//! from a seeded stream passed in ([`rng::Streams`]). The simulator drives this code on a
//! virtual clock; mock-legacy, the gateway and the load generator drive it on tokio's.
//! `clippy.toml` in this crate bans the ambient clock and RNG to keep it that way.

pub mod backend;
pub mod budget;
pub mod client;
pub mod dist;
pub mod duration;
pub mod files;
pub mod gateway;
pub mod interval;
pub mod results;
pub mod rng;
pub mod scenario;
pub mod threshold;
pub mod time;
pub mod wire;
pub mod workload;

pub use time::Time;

/// A flag or value a user gave that cannot work: reported as bad input (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Refuses an output path that exists and is not a directory, before a run starts (it used to
/// fail only when the results were written, after the whole run).
pub fn check_out_dir(out: &std::path::Path) -> Result<(), UsageError> {
    if out.exists() && !out.is_dir() {
        return Err(UsageError(format!(
            "--out {}: exists and is not a directory",
            out.display()
        )));
    }
    Ok(())
}
