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

/// Makes sure results can be written under `out` before a run starts, and leaves nothing
/// behind: creates the directory, writes and removes a probe file in it, and removes again the
/// directories it made. An output path that is a file, cannot be created or is read-only used to
/// fail only when the results were written, after the whole run, losing a live run's figures.
pub fn check_out_dir(out: &std::path::Path) -> Result<(), UsageError> {
    if out.exists() && !out.is_dir() {
        return Err(UsageError(format!(
            "--out {}: exists and is not a directory",
            out.display()
        )));
    }
    // The outermost directory this check makes, to remove after it.
    let mut made = None;
    let mut p = out;
    while !p.as_os_str().is_empty() && !p.exists() {
        made = Some(p);
        p = p.parent().unwrap_or(std::path::Path::new(""));
    }
    std::fs::create_dir_all(out)
        .map_err(|e| UsageError(format!("--out {}: cannot create the directory: {e}", out.display())))?;
    let probe = out.join(format!(".spillway-write-probe-{}", std::process::id()));
    let written = std::fs::write(&probe, b"");
    let _ = std::fs::remove_file(&probe);
    // Empty directories only (`remove_dir`): what was there before is never touched.
    if let Some(m) = made {
        for d in out.ancestors() {
            if std::fs::remove_dir(d).is_err() || d == m {
                break;
            }
        }
    }
    written.map_err(|e| UsageError(format!("--out {}: cannot write in the directory: {e}", out.display())))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_out_dir;

    /// Refused before a run: a file in the way, a directory that cannot be made; accepted: a
    /// new nested directory (made, probed and removed again) or an existing one (left empty).
    #[test]
    fn an_output_directory_is_made_and_probed_before_the_run() {
        let base = std::env::temp_dir().join(format!("spillway-out-check-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let nested = base.join("a/b");
        std::fs::create_dir_all(&base).unwrap();
        check_out_dir(&nested).unwrap();
        assert!(!base.join("a").exists(), "the directories it made are removed");
        std::fs::create_dir_all(&nested).unwrap();
        check_out_dir(&nested).unwrap();
        assert_eq!(std::fs::read_dir(&nested).unwrap().count(), 0, "the probe is removed");

        let file = base.join("f.txt");
        std::fs::write(&file, b"x").unwrap();
        let e = check_out_dir(&file).unwrap_err().to_string();
        assert!(e.contains("exists and is not a directory"), "{e}");
        let e = check_out_dir(&file.join("sub")).unwrap_err().to_string();
        assert!(e.contains("cannot create the directory"), "{e}");
        let _ = std::fs::remove_dir_all(&base);
    }
}
