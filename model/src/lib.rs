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
pub mod bucket;
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
/// behind: creates the missing directories one by one, writes and removes a probe file, then
/// removes exactly the directories it created. An output path that is a file, cannot be created
/// or is read-only used to fail only when the results were written, after the whole run,
/// losing a live run's figures.
pub fn check_out_dir(out: &std::path::Path) -> Result<(), UsageError> {
    if out.exists() && !out.is_dir() {
        return Err(UsageError(format!(
            "--out {}: exists and is not a directory",
            out.display()
        )));
    }
    let mut made = Vec::new();
    let probed = probe_out_dir(out, &mut made);
    // Innermost first; `remove_dir` removes only empty directories.
    for d in made.iter().rev() {
        let _ = std::fs::remove_dir(d);
    }
    probed.map_err(|e| UsageError(format!("--out {}: {e}", out.display())))
}

/// Refuses an input file (`flag` names it) that a command would overwrite or remove in its
/// output directory `out`: `written` says whether a path inside `out`, relative to it, is one
/// the command writes or removes. `sim run o3/results.json -o o3` read its scenario, then wrote
/// its results over it. Call after [`check_out_dir`]; an input that cannot be resolved fails
/// where it is read, not here.
pub fn check_input_not_output(
    input: &std::path::Path,
    flag: &str,
    out: &std::path::Path,
    written: impl Fn(&std::path::Path) -> bool,
) -> Result<(), UsageError> {
    let (Ok(file), Ok(dir)) = (std::fs::canonicalize(input), std::fs::canonicalize(out)) else {
        return Ok(());
    };
    // The file, and a symbolic link to it by its own name: writing through the link
    // overwrites the file all the same.
    let link = input
        .parent()
        .map(|p| {
            if p.as_os_str().is_empty() {
                std::path::Path::new(".")
            } else {
                p
            }
        })
        .and_then(|p| std::fs::canonicalize(p).ok())
        .zip(input.file_name())
        .map(|(p, name)| p.join(name));
    let hit = [Some(file), link]
        .into_iter()
        .flatten()
        .any(|f| f.strip_prefix(&dir).is_ok_and(&written));
    if hit {
        return Err(UsageError(format!(
            "{flag} {} is where --out {} writes its output, and would be overwritten or removed: give another --out, or move the file",
            input.display(),
            out.display()
        )));
    }
    Ok(())
}

/// Creates `out` top-down, recording in `made` each directory this call created (not those
/// that were there: `x/../y` creates `x` alone when `y` exists), and writes a probe file in it.
fn probe_out_dir<'a>(out: &'a std::path::Path, made: &mut Vec<&'a std::path::Path>) -> Result<(), String> {
    let mut chain: Vec<&std::path::Path> = out.ancestors().filter(|d| !d.as_os_str().is_empty()).collect();
    chain.reverse();
    for d in chain {
        match std::fs::create_dir(d) {
            Ok(()) => made.push(d),
            Err(_) if d.is_dir() => {}
            // Not the OS's "File exists", which reads as if an existing output were refused.
            Err(_) if d.exists() => {
                return Err(format!(
                    "cannot create the directory {}: it is a file, and directories cannot go under it",
                    d.display()
                ))
            }
            Err(e) => return Err(format!("cannot create the directory {}: {e}", d.display())),
        }
    }
    let probe = out.join(format!(".spillway-write-probe-{}", std::process::id()));
    let written = std::fs::write(&probe, b"").map_err(|e| format!("cannot write in the directory: {e}"));
    let _ = std::fs::remove_file(&probe);
    written
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

        // `x/../y` with `y` already there (empty): `x` is made and removed, `y` survives.
        let y = base.join("y");
        std::fs::create_dir_all(&y).unwrap();
        check_out_dir(&base.join("x/../y")).unwrap();
        assert!(y.is_dir(), "a directory that was there before is never removed");
        assert!(!base.join("x").exists(), "what it made is removed");
        // Failing part way (a name too long for the file system) leaves nothing either.
        let long = base.join("new").join("n".repeat(300));
        let e = check_out_dir(&long).unwrap_err().to_string();
        assert!(e.contains("cannot create the directory"), "{e}");
        assert!(
            !base.join("new").exists(),
            "the directories made before the failure are removed"
        );

        let file = base.join("f.txt");
        std::fs::write(&file, b"x").unwrap();
        let e = check_out_dir(&file).unwrap_err().to_string();
        assert!(e.contains("exists and is not a directory"), "{e}");
        let e = check_out_dir(&file.join("sub")).unwrap_err().to_string();
        assert!(
            e.ends_with(&format!(
                "cannot create the directory {}: it is a file, and directories cannot go under it",
                file.display()
            )),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(&base);
    }
}
