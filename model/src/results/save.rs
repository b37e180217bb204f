//! Saving results into a run's output directory, so that a failure at any point (a full disk,
//! a file size limit, a kill) leaves the results saved there before readable and whole: each
//! file is written under a temporary name first and renamed over its old self once whole, and
//! what an earlier run left is removed only once every new file is written.

use super::{write_hlog, Results};
use std::io;
use std::path::{Path, PathBuf};

/// The files a run saves in its output directory (besides `seed-N/` folders).
const SAVED_FILES: [&str; 3] = ["results.json", "results.hlog", "replications.json"];

/// The files a replication saves in its `seed-N/` folder ([`Results::save`]).
const SEED_FILES: [&str; 2] = ["results.json", "results.hlog"];

/// Where replications save their seeds until every one has run ([`StagedSeeds`]), inside the
/// output directory: the same file system, so they are moved into place by renaming.
const STAGING_DIR: &str = ".spillway-replications.tmp";

fn is_seed_dir(name: &str) -> bool {
    name.strip_prefix("seed-")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The temporary name `name` is written under before it is renamed into place.
fn tmp_name(name: &str) -> String {
    format!(".{name}.tmp")
}

/// Whether `name` is one of `files` or the temporary name of one.
fn one_of(name: &str, files: &[&str]) -> bool {
    files.iter().any(|f| name == *f || name == tmp_name(f))
}

fn named(what: &str, p: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("cannot {what} {}: {e}", p.display()))
}

/// Writes each `(name, bytes)` into `dir` under its temporary name; on a failure, removes those
/// written and says which file could not be.
fn write_temps(dir: &Path, files: &[(&str, &[u8])]) -> io::Result<()> {
    for (i, (name, bytes)) in files.iter().enumerate() {
        let tmp = dir.join(tmp_name(name));
        if let Err(e) = std::fs::write(&tmp, bytes) {
            for (done, _) in &files[..=i] {
                let _ = std::fs::remove_file(dir.join(tmp_name(done)));
            }
            return Err(named("write", &dir.join(name), e));
        }
    }
    Ok(())
}

/// Fails, before anything is removed or renamed, when one of `names` in `dir` is a folder: no
/// file can be renamed over it, and one of a pair renamed before the other failed left a new
/// results.json beside no results.hlog (or an old .hlog removed and no new .json).
fn check_targets(dir: &Path, names: &[&str]) -> io::Result<()> {
    for name in names {
        let to = dir.join(name);
        if std::fs::symlink_metadata(&to).is_ok_and(|m| m.is_dir()) {
            return Err(named(
                "write",
                &to,
                io::Error::new(io::ErrorKind::IsADirectory, "a folder is in its place"),
            ));
        }
    }
    Ok(())
}

/// Renames each of `names`' temporary file in `dir` into place.
fn rename_temps(dir: &Path, names: &[&str]) -> io::Result<()> {
    for name in names {
        let to = dir.join(name);
        std::fs::rename(dir.join(tmp_name(name)), &to).map_err(|e| named("write", &to, e))?;
    }
    Ok(())
}

fn remove_temps(dir: &Path, names: &[&str]) {
    for name in names {
        let _ = std::fs::remove_file(dir.join(tmp_name(name)));
    }
}

/// Removes what an earlier run or set of replications saved in `dir`: its results.json and
/// .hlog, replications.json, and the files a replication saves in each `seed-N/` folder (and
/// their temporary files, if a run was killed writing them), then the folder if that left it
/// empty.
fn clear(dir: &Path) -> io::Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    let remove = |path: &Path| std::fs::remove_file(path).map_err(|e| named("remove", path, e));
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let path = e.path();
        if is_seed_dir(&name) && path.is_dir() {
            let Ok(inside) = std::fs::read_dir(&path) else {
                continue;
            };
            for f in inside.flatten() {
                if one_of(&f.file_name().to_string_lossy(), &SEED_FILES) && !f.path().is_dir() {
                    remove(&f.path())?;
                }
            }
            // Only when empty: a user's own file in it stays, and so does the folder.
            let _ = std::fs::remove_dir(&path);
        } else if SAVED_FILES.contains(&&*name) && !path.is_dir() {
            // Not the temporary files: the new ones are there when this runs.
            remove(&path)?;
        }
    }
    Ok(())
}

impl Results {
    /// Writes `results.json` and `results.hlog` into `dir` (created if missing), in place of
    /// the results an earlier run or set of replications saved there ([`Results::clear_saved`]);
    /// returns the JSON file's path.
    ///
    /// Both files are written under temporary names first; only then are the earlier results
    /// removed and the new ones renamed into place. A failure to write (a full disk, a file
    /// size limit) leaves the earlier results as they were.
    pub fn save(&self, dir: &Path) -> io::Result<PathBuf> {
        std::fs::create_dir_all(dir).map_err(|e| named("create", dir, e))?;
        let json = self.to_json();
        let mut hlog = Vec::new();
        write_hlog(self, &mut hlog)?;
        let files: [(&str, &[u8]); 2] = [("results.json", json.as_bytes()), ("results.hlog", &hlog)];
        let names = files.map(|(name, _)| name);
        write_temps(dir, &files)?;
        let replaced = check_targets(dir, &names)
            .and_then(|()| clear(dir))
            .and_then(|()| rename_temps(dir, &names));
        if replaced.is_err() {
            remove_temps(dir, &names);
        }
        replaced.map(|()| dir.join("results.json"))
    }

    /// Removes what an earlier run or set of replications saved in `dir` (results.json and
    /// .hlog, replications.json, the results in `seed-N/` folders and the folders they leave
    /// empty, what a run killed while saving left), so a report of `dir` reads only what is
    /// saved next: a stale replications.json would win over a fresh results.json, and stale
    /// seeds would join fresh ones. Nothing else in `dir` is touched: a file of the user's in a
    /// `seed-N/` folder stays, and so does its folder.
    pub fn clear_saved(dir: &Path) -> io::Result<()> {
        clear(dir)?;
        let staging = dir.join(STAGING_DIR);
        match std::fs::remove_dir_all(&staging) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(named("remove", &staging, e)),
            _ => Ok(()),
        }
    }

    /// [`Results::is_saved`] for replications, which also write a `seed-N` directory for each
    /// seed: a plain file of that name would stop them after every seed ran.
    pub fn is_saved_by_replications(rel: &Path) -> bool {
        let mut parts = rel.components();
        let seed_named =
            matches!(parts.next(), Some(std::path::Component::Normal(first)) if is_seed_dir(&first.to_string_lossy()));
        seed_named || Results::is_saved(rel)
    }

    /// Whether `rel`, a path inside a run's output directory, is one that saving results there
    /// writes or removes ([`Results::save`], [`Results::clear_saved`], [`StagedSeeds`]): an
    /// input there is lost.
    pub fn is_saved(rel: &Path) -> bool {
        let mut parts = rel.components();
        let Some(std::path::Component::Normal(first)) = parts.next() else {
            return false;
        };
        let first = first.to_string_lossy();
        let more = parts.next().is_some();
        if first == STAGING_DIR {
            return true;
        }
        // Inside a `seed-N` directory (spillway's: its results are replaced there); a plain
        // file of that name is not touched.
        if more {
            is_seed_dir(&first)
        } else {
            one_of(&first, &SAVED_FILES)
        }
    }
}

/// Replications being saved into an output directory: each seed's results are saved as soon
/// as it has run (a thousand seeds' results held in memory ran out of it), into a staging
/// folder inside the directory, and [`StagedSeeds::finish`] moves them into place with their
/// replications.json once every seed ran. Until then the directory's earlier results stay as
/// they were: a run that fails, or is killed, before it finishes leaves them readable and
/// whole. Dropped unfinished, the staged seeds are removed.
#[derive(Debug)]
pub struct StagedSeeds {
    out: PathBuf,
    staging: PathBuf,
    finished: bool,
}

impl StagedSeeds {
    /// Starts saving replications into `out` (created if missing), clearing what a run killed
    /// while saving left staged there.
    pub fn begin(out: &Path) -> io::Result<StagedSeeds> {
        let staging = out.join(STAGING_DIR);
        match std::fs::remove_dir_all(&staging) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(named("remove", &staging, e)),
            _ => {}
        }
        std::fs::create_dir_all(&staging).map_err(|e| named("create", &staging, e))?;
        Ok(StagedSeeds {
            out: out.to_path_buf(),
            staging,
            finished: false,
        })
    }

    /// Saves one seed's results (staged: see [`StagedSeeds`]).
    pub fn save(&self, r: &Results) -> io::Result<()> {
        r.save(&self.staging.join(format!("seed-{}", r.seed))).map(|_| ())
    }

    /// Puts the staged seeds and `replications` (the text of replications.json) in place of
    /// what the directory held ([`Results::clear_saved`]); returns replications.json's path.
    /// replications.json is written under a temporary name before anything is removed.
    pub fn finish(mut self, replications: &str) -> io::Result<PathBuf> {
        const SUMMARY: &str = "replications.json";
        let out = self.out.clone();
        write_temps(&out, &[(SUMMARY, replications.as_bytes())])?;
        let moved = check_targets(&out, &[SUMMARY])
            .and_then(|()| clear(&out))
            .and_then(|()| self.move_seeds());
        if let Err(e) = moved.and_then(|()| rename_temps(&out, &[SUMMARY])) {
            remove_temps(&out, &[SUMMARY]);
            return Err(e);
        }
        self.finished = true;
        let _ = std::fs::remove_dir_all(&self.staging);
        Ok(out.join(SUMMARY))
    }

    /// Each staged `seed-N/` into the output directory: renamed whole, or file by file into a
    /// folder of that name that a file of the user's kept there.
    fn move_seeds(&self) -> io::Result<()> {
        let entries = std::fs::read_dir(&self.staging).map_err(|e| named("read", &self.staging, e))?;
        for e in entries {
            let e = e.map_err(|e| named("read", &self.staging, e))?;
            let to = self.out.join(e.file_name());
            if std::fs::rename(e.path(), &to).is_ok() {
                continue;
            }
            if !to.is_dir() {
                return Err(named(
                    "write",
                    &to,
                    io::Error::new(io::ErrorKind::AlreadyExists, "in the way, not a directory"),
                ));
            }
            for name in SEED_FILES {
                let (from, into) = (e.path().join(name), to.join(name));
                if from.exists() {
                    std::fs::rename(&from, &into).map_err(|err| named("write", &into, err))?;
                }
            }
        }
        Ok(())
    }
}

impl Drop for StagedSeeds {
    fn drop(&mut self) {
        if !self.finished {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("spillway-save-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn put(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// A folder where one of the pair goes fails the save before anything is replaced: the
    /// earlier pair stays whole (a new results.json was left beside no results.hlog, or the old
    /// .hlog removed; robustness review, stop 64).
    #[test]
    fn a_save_that_cannot_write_one_of_the_pair_changes_neither() {
        let scenario = crate::scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n",
        )
        .unwrap();
        let results = super::super::Recorder::new(std::time::Duration::from_secs(1))
            .finish(&scenario, super::super::RunMeta::sim("fifo"));
        for (blocked, kept) in [("results.hlog", "results.json"), ("results.json", "results.hlog")] {
            let d = temp_dir(&format!("pair-{blocked}"));
            put(&d.join(kept), "earlier");
            std::fs::create_dir_all(d.join(blocked)).unwrap();
            let e = results.save(&d).expect_err("a folder in its place");
            assert!(e.to_string().contains(blocked), "{e}");
            assert_eq!(std::fs::read_to_string(d.join(kept)).unwrap(), "earlier", "{blocked}");
            let left: Vec<String> = std::fs::read_dir(&d)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            assert_eq!(left.len(), 2, "no temporary file left: {left:?}");
            let _ = std::fs::remove_dir_all(&d);
        }
    }

    /// `seed-N/` folders are spillway's only for the files it saves there: a user's notes in
    /// one (and the folder holding them) survive a new run's clearing.
    #[test]
    fn clearing_keeps_a_users_files_in_seed_folders() {
        let d = temp_dir("clear");
        for f in ["results.json", "results.hlog", "replications.json", "mine.txt"] {
            put(&d.join(f), "x");
        }
        put(&d.join("seed-9/results.json"), "x");
        put(&d.join("seed-9/results.hlog"), "x");
        put(&d.join("seed-9/notes.txt"), "keep");
        put(&d.join("seed-8/results.json"), "x");
        Results::clear_saved(&d).unwrap();
        assert_eq!(std::fs::read_to_string(d.join("seed-9/notes.txt")).unwrap(), "keep");
        assert!(!d.join("seed-9/results.json").exists() && !d.join("seed-9/results.hlog").exists());
        assert!(!d.join("seed-8").exists(), "an emptied seed folder is removed");
        assert!(d.join("mine.txt").exists());
        for f in ["results.json", "results.hlog", "replications.json"] {
            assert!(!d.join(f).exists(), "{f}");
        }
        let _ = std::fs::remove_dir_all(&d);
    }
}
