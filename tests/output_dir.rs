//! What a command leaves in its output directory when it fails while saving, and what of the
//! user's it leaves there when it succeeds.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_spillway");

fn spillway(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("spillway runs")
}

/// `spillway args` under a file size limit of 8 KiB (`ulimit -f`, SIGXFSZ ignored), so its
/// first write past that fails as "File too large", as on a full disk.
#[cfg(unix)]
fn spillway_with_small_files(args: &[&str]) -> Output {
    Command::new("bash")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 8; exec \"$0\" \"$@\"")
        .arg(BIN)
        .args(args)
        .output()
        .expect("bash runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn scenario(name: &str) -> String {
    format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn fresh_dir(name: &str) -> PathBuf {
    let d = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("spillway-outdir-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every file under `dir` (relative path and bytes), sorted.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                files.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    files.sort();
    files
}

fn names(files: &[(String, Vec<u8>)]) -> Vec<&str> {
    files.iter().map(|(n, _)| n.as_str()).collect()
}

/// A `sim run` that cannot write its results (here past a file size limit) leaves the earlier
/// run's results in its directory readable and whole: they were removed, and results.json cut
/// short, before the new ones were written.
#[cfg(unix)]
#[test]
fn a_failed_sim_run_keeps_the_earlier_results() {
    let d = fresh_dir("sim-run");
    let out = d.join("D");
    let o = out.to_str().unwrap();
    let s = scenario("steady.toml");
    let first = spillway(&["sim", "run", &s, "-o", o]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    let before = snapshot(&out);
    assert_eq!(names(&before), ["results.hlog", "results.json"]);
    assert!(
        before.iter().all(|(_, bytes)| bytes.len() > 8 * 1024),
        "the limit must cut them"
    );

    let failed = spillway_with_small_files(&["sim", "run", &s, "--seed", "2", "-o", o]);
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed));
    assert!(text(&failed).contains("File too large"), "{}", text(&failed));
    assert!(snapshot(&out) == before, "{:?}", names(&snapshot(&out)));

    // Replications that fail: the earlier single run stays too (its files were removed when
    // the first seed was ready).
    let failed = spillway_with_small_files(&["sim", "run", &s, "--replications", "2", "-o", o]);
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed));
    assert!(snapshot(&out) == before, "{:?}", names(&snapshot(&out)));

    // And a comparison's per-run folders.
    let cmp = d.join("C");
    let c = cmp.to_str().unwrap();
    let first = spillway(&["compare", &s, "--strategies", "fifo,deadline", "-o", c]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    let before = snapshot(&cmp.join("fifo"));
    let failed = spillway_with_small_files(&["compare", &s, "--strategies", "fifo,deadline", "--seed", "3", "-o", c]);
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed));
    assert!(
        snapshot(&cmp.join("fifo")) == before,
        "{:?}",
        names(&snapshot(&cmp.join("fifo")))
    );
    let _ = std::fs::remove_dir_all(&d);
}

/// A `seed-N` folder is spillway's only for the results it saves there: a user's file in one
/// survives replications of other seeds and a single run, and the report of the new run reads.
#[test]
fn a_users_file_in_a_seed_folder_survives_a_new_run() {
    let d = fresh_dir("seed-notes");
    let out = d.join("D");
    let o = out.to_str().unwrap();
    let s = scenario("steady.toml");
    let notes = out.join("seed-9/notes.txt");
    std::fs::create_dir_all(notes.parent().unwrap()).unwrap();
    std::fs::write(&notes, "mine").unwrap();
    let reps = spillway(&["sim", "run", &s, "--replications", "2", "--seed", "1", "-o", o]);
    assert_eq!(reps.status.code(), Some(0), "{}", text(&reps));
    assert_eq!(std::fs::read_to_string(&notes).expect("kept"), "mine");
    assert!(out.join("seed-1/results.json").is_file() && out.join("seed-2/results.json").is_file());

    let single = spillway(&["sim", "run", &s, "-o", o]);
    assert_eq!(single.status.code(), Some(0), "{}", text(&single));
    assert_eq!(std::fs::read_to_string(&notes).expect("kept"), "mine");
    // The seeds' results are gone with the replications they belonged to.
    assert!(!out.join("seed-1").exists() && !out.join("replications.json").exists());
    assert_eq!(
        names(&snapshot(&out)),
        ["results.hlog", "results.json", "seed-9/notes.txt"]
    );
    let _ = std::fs::remove_dir_all(&d);
}
