//! Hostile flag values found by an audit: each is refused as bad input (exit 2, the flag and the
//! value named on stderr) before anything runs, instead of a panic, an abort, a silent default
//! or a failure after the whole run.

use std::path::PathBuf;
use std::process::{Command, Output};

fn spillway(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spillway"))
        .args(args)
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .expect("spillway runs")
}

fn steady() -> String {
    format!("{}/scenarios/steady.toml", env!("CARGO_MANIFEST_DIR"))
}

/// An output directory that does not exist yet, removed at the end of the test.
struct Out(PathBuf);
impl Out {
    fn new(name: &str) -> Out {
        let p = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("spillway-robust-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        Out(p)
    }
    fn s(&self) -> String {
        self.0.display().to_string()
    }
}
impl Drop for Out {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `args` and checks it exits 2 with `says` on stderr, having written nothing to `out`.
fn refused(args: &[&str], out: &Out, says: &str) {
    let o = spillway(args);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{args:?}\nstdout:\n{}\nstderr:\n{stderr}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(stderr.contains(says), "{args:?}: stderr should say {says}:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        !out.0.exists(),
        "{args:?}: nothing is written before the input is checked"
    );
}

/// An axis inside another's table value (`api_weight.c` and `api_weight={ a = 2 }`): whichever
/// applied last won, silently, so the rows were identical and the best line named a value.
#[test]
fn sweep_axes_inside_one_another_are_refused() {
    let out = Out::new("sweep-nested");
    refused(
        &[
            "sim",
            "sweep",
            &steady(),
            "--vary",
            "gateway.codel.target=5ms,50ms",
            "--vary",
            "gateway.codel={ target = \"10ms\" },{ target = \"20ms\" }",
            "-o",
            &out.s(),
        ],
        &out,
        "--vary gateway.codel.target: inside --vary gateway.codel, which sets all of it",
    );
}

/// `-2..9223372036854775807` overflowed `b - a` and panicked with a capacity overflow; a grid
/// of 10^8 combinations aborted on allocation failure.
#[test]
fn sweep_axes_too_large_are_refused() {
    let out = Out::new("sweep");
    let spec = "gateway.concurrency=-2..9223372036854775807";
    refused(
        &["sim", "sweep", &steady(), "--vary", spec, "-o", &out.s()],
        &out,
        &format!("--vary `{spec}`: the range has 9223372036854775810 values; at most 10000"),
    );
    refused(
        &[
            "sim",
            "sweep",
            &steady(),
            "--vary",
            "gateway.concurrency=1..10000",
            "--vary",
            "run.healthy_ratio=1..10000",
            "-o",
            &out.s(),
        ],
        &out,
        "make 100000000 combinations; a sweep takes at most 100000",
    );
}

/// NaN and infinities became JSON null, "not set": the sweep ran with `-`, the variant ran
/// the default duration.
#[test]
fn non_finite_overrides_are_refused() {
    let out = Out::new("nan");
    refused(
        &[
            "sim",
            "sweep",
            &steady(),
            "--vary",
            "gateway.concurrency=nan",
            "-o",
            &out.s(),
        ],
        &out,
        "--vary `gateway.concurrency=nan`: `nan` is not a finite number",
    );
    refused(
        &["compare", &steady(), "--variant", "a:run.duration=inf", "-o", &out.s()],
        &out,
        "--variant a `run.duration=inf`: `inf` is not a finite number",
    );
}

/// A 300-character variant name ran the simulation, then failed (exit 1) creating its
/// directory.
#[test]
fn variant_names_that_cannot_name_a_directory_are_refused_first() {
    let out = Out::new("name");
    let long = format!("{}:gateway.concurrency=2", "v".repeat(300));
    refused(
        &["compare", &steady(), "--variant", &long, "-o", &out.s()],
        &out,
        "the name has 300 characters; at most 64",
    );
    refused(
        &[
            "compare",
            &steady(),
            "--variant",
            "a\u{1b}b:gateway.concurrency=2",
            "-o",
            &out.s(),
        ],
        &out,
        "control characters",
    );
}

/// `--seed 18446744073709551615 --replications 3` wrapped round: `seeds 18446744073709551615..1`.
#[test]
fn seeds_past_the_largest_are_refused() {
    let out = Out::new("seeds");
    let says = "--seed 18446744073709551615 with --replications 3: the seeds would pass 18446744073709551615";
    refused(
        &[
            "sim",
            "run",
            &steady(),
            "--seed",
            "18446744073709551615",
            "--replications",
            "3",
            "-o",
            &out.s(),
        ],
        &out,
        says,
    );
    refused(
        &[
            "compare",
            &steady(),
            "--strategies",
            "fifo",
            "--seed",
            "18446744073709551615",
            "--replications",
            "3",
            "-o",
            &out.s(),
        ],
        &out,
        says,
    );
}

/// `--retries 4294967295` wrapped `n + 1` to 0, reported as `clients.retry.max_attempts`.
#[test]
fn retries_past_u32_are_refused() {
    let out = Out::new("retries");
    refused(
        &[
            "loadgen",
            "run",
            "--target",
            "http://127.0.0.1:9",
            "--phases",
            "1s@1",
            "--retries",
            "4294967295",
            "-o",
            &out.s(),
        ],
        &out,
        "4294967295 is not in 0..=4294967294",
    );
}

/// `report /dev/zero`, `compare --baseline /dev/zero ...` and `--ca-cert /dev/zero` read until
/// memory ran out: every file a user names is measured or read up to a bound, then refused.
#[test]
fn endless_input_files_are_refused_at_a_bound() {
    let out = Out::new("endless");
    // A sparse terabyte: refused by its size, unread. (A device such as /dev/zero is read up to
    // the bound, 1 GiB of memory: checked below with the 4 MiB certificate bound.)
    let big = Out::new("terabyte");
    std::fs::create_dir_all(&big.0).unwrap();
    let huge = big.0.join("results.json");
    std::fs::File::create(&huge).unwrap().set_len(1 << 40).unwrap();
    let huge = huge.display().to_string();
    refused(
        &["report", &huge, "--out", &out.s()],
        &out,
        &format!("{huge}: cannot read: larger than 1 GiB: not a spillway results file"),
    );
    // As report says it: --baseline reads its files as report does.
    refused(
        &["compare", "--baseline", &huge, &huge],
        &out,
        &format!("{huge}: cannot read: larger than 1 GiB: not a spillway results file"),
    );
    refused(
        &[
            "loadgen",
            "run",
            &steady(),
            "--target",
            "https://127.0.0.1:9",
            "--ca-cert",
            "/dev/zero",
            "--out",
            &out.s(),
        ],
        &out,
        "--ca-cert /dev/zero: larger than 4 MiB: not a PEM certificate file",
    );
}

/// Found by a new user's walkthrough: `--connections 0` ran with a silent 1; a bad
/// `--time-scale` was logged as "real time infs" before its error; negative numbers got clap's
/// "use '-- -5'" tip instead of the flag's own message; `--duration 0s` blamed `run.duration`;
/// the demo ignored `--time-scale` with `--sim-only` and said "the story held" with nothing
/// compared; a variant without a value quoted the sweep's syntax.
#[test]
fn flag_values_a_user_gets_wrong_are_refused_by_name() {
    let s = steady();
    let out = Out::new("flags");
    let o = out.s();
    let lg = |extra: &[&str], says: &str| {
        let mut args = vec!["loadgen", "run", s.as_str(), "-o", o.as_str()];
        args.extend_from_slice(extra);
        refused(&args, &out, says);
    };
    lg(&["--connections", "0"], "'--connections <N>': 0 is not in 1..");
    for bad in ["0", "-2", "nan", "inf", "1e9"] {
        lg(&["--time-scale", bad], "expected a factor from 0.01 to 1000");
    }
    lg(&["--rate", "-5"], "--rate: expected intents/s > 0, got -5");
    lg(&["--seed", "-1"], "invalid value '-1' for '--seed <N>'");
    lg(&["--duration", "0s"], "--duration: expected a duration > 0");
    refused(
        &["sim", "run", s.as_str(), "-o", o.as_str(), "--seed", "-1"],
        &out,
        "invalid value '-1' for '--seed <N>'",
    );
    refused(
        &[
            "compare",
            "--baseline",
            "a.json",
            "b.json",
            "--tolerance",
            "-5%",
            "-o",
            o.as_str(),
        ],
        &out,
        "--tolerance: expected a percentage",
    );
    refused(
        &["demo", "--sim-only", "--time-scale", "4", "-o", o.as_str()],
        &out,
        "--time-scale applies to the live runs, and --sim-only skips them",
    );
    refused(
        &["demo", "--sim-only", "--strategies", "fifo", "-o", o.as_str()],
        &out,
        "--strategies: give at least two",
    );
    refused(
        &[
            "compare",
            s.as_str(),
            "--variant",
            "a:clients.timeout",
            "-o",
            o.as_str(),
        ],
        &out,
        "--variant a: `clients.timeout` has no value; expected KEY=VALUE",
    );
    refused(
        &["mock-legacy", "--time-scale", "-1"],
        &out,
        "'--time-scale <F>': expected a factor from 0.01 to 1000",
    );
    refused(
        &["gateway", "--upstream", "http://127.0.0.1:9", "--concurrency", "-3"],
        &out,
        "'--concurrency <N>': -3 is not in 1..",
    );
}

/// `sim run --replications` points at replications.json, and `report` on that file said only
/// "missing field `schema`": it now says what the file is and to give the directory.
#[test]
fn report_on_a_replications_listing_says_to_give_the_directory() {
    let out = Out::new("replisting");
    let runs = Out::new("replisting-runs");
    let o = spillway(&["sim", "run", &steady(), "--replications", "2", "-o", &runs.s()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let listing = runs.0.join("replications.json").display().to_string();
    refused(
        &["report", &listing, "-o", &out.s()],
        &out,
        "this is the summary of `sim run --replications` (replications.json); give `spillway report` its directory instead",
    );
    // sweep.json where a results file goes: report takes it as it is, so that is the advice,
    // and no position at the end of the file.
    let sweep = Out::new("replisting-sweep");
    let o = spillway(&[
        "sim",
        "sweep",
        &steady(),
        "--vary",
        "gateway.concurrency=1,2",
        "-o",
        &sweep.s(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let table = sweep.0.join("sweep.json").display().to_string();
    let results = runs.0.join("seed-1").join("results.json");
    let results = if results.exists() {
        results.display().to_string()
    } else {
        // The listing's first seed, whatever the scenario's seed is.
        let first = std::fs::read_dir(&runs.0)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path().join("results.json")))
            .find(|p| p.exists())
            .expect("a seed's results");
        first.display().to_string()
    };
    let o = spillway(&["compare", "--baseline", &results, &table, "-o", &out.s()]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{table}: not a spillway results file: this is the table of `sim sweep` (sweep.json); `spillway report {table}` draws it as a heatmap"
        )),
        "{stderr}"
    );
}

/// Flags that do nothing for what was asked were silently ignored, so they read as applied:
/// `report --objective` with no sweep table, `compare --baseline` with a run's flags.
#[test]
fn flags_that_do_not_apply_are_refused() {
    let runs = Out::new("notapply-runs");
    let o = spillway(&["sim", "run", &steady(), "-o", &runs.s()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let results = runs.0.join("results.json").display().to_string();
    let out = Out::new("notapply");
    refused(
        &["report", &results, "--objective", "p99", "-o", &out.s()],
        &out,
        "--objective p99: it chooses what a sweep table's heatmap shows, and no sweep.json was given",
    );
    for flags in [&["--replications", "5"][..], &["--seed", "3"], &["--mode", "live"]] {
        let mut args = vec![
            "compare",
            "--baseline",
            &results,
            &results,
            "-o",
            &out.0.to_str().unwrap(),
        ];
        args.extend_from_slice(flags);
        refused(&args, &out, "runs nothing: it compares two results files as they are");
    }
}
