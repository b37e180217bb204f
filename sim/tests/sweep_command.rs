//! `sim sweep` as the command runs it (`sim::sweep`): what it refuses, and what it leaves in
//! its output directory.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

/// A fresh directory for one test, with a small scenario in it.
fn workdir(name: &str) -> PathBuf {
    let dir =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("spillway-sweep-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("s.toml"),
        "[[workload.phases]]\nduration = \"5s\"\nrate = 5\n[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n",
    )
    .expect("scenario");
    dir
}

fn args(dir: &Path, slo: &[&str]) -> sim::SweepArgs {
    sim::SweepArgs {
        scenario: dir.join("s.toml"),
        vary: vec!["gateway.concurrency=1,2".to_string()],
        objective: "goodput_ratio".to_string(),
        slo: slo.iter().map(|s| s.to_string()).collect(),
        replications: 1,
        out: dir.join("out"),
    }
}

/// The same SLO twice (as written, or the same check written another way) is bad input (exit
/// 2), not two identical columns.
#[test]
fn an_slo_given_twice_is_refused() {
    let dir = workdir("slo");
    for (slo, says) in [
        (["p99<2s", "p99<2s"], "--slo `p99<2s`: given twice"),
        (
            ["p99<2s", "p99 < 2000ms"],
            "--slo `p99 < 2000ms`: the same check as --slo `p99<2s`",
        ),
    ] {
        let e = sim::sweep(args(&dir, &slo), &AtomicBool::new(false)).expect_err("refused");
        assert!(e.downcast_ref::<sim::UsageError>().is_some(), "{e}");
        assert!(e.to_string().starts_with(says), "{e}");
    }
    assert!(sim::sweep(args(&dir, &["p99<2s", "p50<1s"]), &AtomicBool::new(false)).is_ok());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A sweep interrupted before any point finished writes no table, and leaves none of an earlier
/// sweep's in its directory to be read as its own; a sweep that runs replaces both files.
#[test]
fn an_interrupted_sweep_that_finished_nothing_leaves_no_earlier_table() {
    let dir = workdir("stale");
    let out = dir.join("out");
    let files = ["sweep.csv", "sweep.json"].map(|f| out.join(f));
    let mut three = args(&dir, &[]);
    three.vary = vec!["gateway.concurrency=1,2,3".to_string()];
    sim::sweep(three, &AtomicBool::new(false)).expect("sweep");
    // Fewer points: both files are this sweep's.
    sim::sweep(args(&dir, &[]), &AtomicBool::new(false)).expect("sweep");
    let csv = std::fs::read_to_string(&files[0]).expect("csv");
    assert_eq!(csv.lines().count(), 3, "{csv}");
    let json = std::fs::read_to_string(&files[1]).expect("json");
    assert_eq!(
        sim::sweep::Table::parse(&json)
            .expect("table")
            .expect("valid")
            .points
            .len(),
        2
    );
    let ended = sim::sweep(args(&dir, &[]), &AtomicBool::new(true)).expect("sweep");
    assert!(ended.interrupted && !ended.passed);
    for f in &files {
        assert!(!f.exists(), "{} left", f.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Points x seeds is the count of simulations a sweep is refused above (bad input, before
/// any runs), not grid points alone: 1,001 points x 1,000 seeds is 1,001,000 simulations.
/// (Were it started, the sweep is stopped after a few seconds, and the test fails on its
/// interrupted result rather than running for hours.)
#[test]
fn too_many_simulations_are_refused_before_any_runs() {
    let dir = workdir("simulations");
    let mut many = args(&dir, &[]);
    many.vary = vec!["gateway.concurrency=1..1001".to_string()];
    many.replications = 1000;
    let stop = AtomicBool::new(false);
    let done = AtomicBool::new(false);
    let result = std::thread::scope(|s| {
        s.spawn(|| {
            let start = std::time::Instant::now();
            while !done.load(std::sync::atomic::Ordering::Relaxed) && start.elapsed().as_secs() < 20 {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        let r = sim::sweep(many, &stop);
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        r
    });
    let e = result.expect_err("refused");
    assert!(e.downcast_ref::<sim::UsageError>().is_some(), "{e}");
    assert!(
        e.to_string().starts_with(
            "--replications 1000: 1,001 points x 1000 seeds make 1,001,000 simulations; a sweep runs at most 1,000,000: lower --replications to at most 999"
        ),
        "{e}"
    );
    assert!(!dir.join("out").join("sweep.csv").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
