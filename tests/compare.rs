//! `spillway report`, `compare` and `demo` as a user runs them: files produced, sections present,
//! exit codes for pass, failed expectation and bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn spillway(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spillway"))
        .args(args)
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .expect("spillway runs")
}

fn scenario(name: &str) -> String {
    format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A fresh directory under the target dir, removed at the end of the test.
struct TempDir(PathBuf);
impl TempDir {
    fn new(name: &str) -> TempDir {
        let p =
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("spillway-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }
    fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }
    fn s(&self, rel: &str) -> String {
        self.path(rel).display().to_string()
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn assert_png(p: &Path) {
    let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{} is a PNG", p.display());
    assert!(
        bytes.len() > 5_000,
        "{} has content ({} bytes)",
        p.display(),
        bytes.len()
    );
}

fn assert_svg(p: &Path) {
    let s = read(p);
    assert!(
        s.contains("<svg") && s.trim_end().ends_with("</svg>"),
        "{} is an SVG",
        p.display()
    );
    assert!(s.matches("<text").count() >= 5, "{} has labels", p.display());
}

#[test]
fn compare_in_the_simulator_writes_the_report_and_gates_on_expectations() {
    let dir = TempDir::new("compare-sim");
    let out = spillway(&[
        "compare",
        &scenario("death-spiral.toml"),
        "--strategies",
        "fifo,bounded,deadline",
        "--expect",
        "deadline.goodput_ratio >= 0.8",
        "--expect",
        "bounded.goodput_ratio > fifo.goodput_ratio",
        "--expect",
        "deadline.recovery < fifo.recovery",
        "-o",
        &dir.s("r"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for want in [
        "fifo",
        "bounded",
        "deadline",
        "metastable",
        "HOLDS deadline.goodput_ratio >= 0.8",
        "report:",
    ] {
        assert!(stdout.contains(want), "{want} missing:\n{stdout}");
    }
    // Each run's results, and the report.
    for s in ["fifo", "bounded", "deadline"] {
        assert!(dir.path(&format!("r/{s}/results.json")).is_file());
        for chart in ["throughput", "latency", "gateway"] {
            assert_png(&dir.path(&format!("r/{chart}-{s}.png")));
            assert_svg(&dir.path(&format!("r/{chart}-{s}.svg")));
        }
    }
    for chart in ["percentiles", "comparison"] {
        assert_png(&dir.path(&format!("r/{chart}.png")));
        assert_svg(&dir.path(&format!("r/{chart}.svg")));
    }
    let html = read(&dir.path("r/index.html"));
    for section in [
        "<h2 id=summary>",
        "Expectations: 3 of 3 hold",
        "id=\"run-0\"",
        "id=\"run-2\"",
        "Metastable. Did not recover",
        "Recovered",
        "p99.9",
        "id=\"percentiles\"",
        "id=\"comparison\"",
        "id=\"throughput-deadline\"",
        "id=\"latency-fifo\"",
        "id=\"gateway-bounded\"",
        "seed 7",
    ] {
        assert!(html.contains(section), "index.html lacks {section}");
    }
    assert!(!html.contains("<script"), "no JavaScript needed");
    assert!(
        !html.contains("http://") || !html.contains("src=\"http"),
        "nothing loaded from the network"
    );
    let md = read(&dir.path("r/summary.md"));
    assert!(md.contains("| run | source | goodput"), "{md}");
    assert!(md.contains("Expectations: 3 of 3 hold"), "{md}");
    // The bound `bounded` was sized (the file sets none) is said where CI readers look, and
    // so is the default bound of deadline (it read as no bound).
    assert!(
        md.contains("Queue bounds: bounded 50; deadline 1000, the default."),
        "{md}"
    );
    assert!(html.contains("strategy <b>bounded</b> (queue bound 50)"), "{html}");
    let junit = read(&dir.path("r/junit.xml"));
    assert!(junit.contains("<testsuite name=\"expectations\""), "{junit}");
    // The class names the comparison and its mode, so a sim and a live report of it differ.
    assert!(
        junit.contains("classname=\"death-spiral: fifo vs bounded vs deadline (sim): expectations\""),
        "{junit}"
    );
    // death-spiral.toml has two thresholds: one test case each per run.
    assert_eq!(
        junit.matches("<testcase name=\"goodput_ratio &gt;= 0.8\"").count(),
        3,
        "{junit}"
    );
    assert_eq!(
        junit.matches("<testcase name=\"recovery &lt;= 30s\"").count(),
        3,
        "{junit}"
    );
    // compare gates on its expectations, which all held: fifo's failed thresholds are listed as
    // skipped, not failures, so a JUnit publisher's check is green when the command exit 0.
    assert!(!junit.contains("<failure"), "{junit}");
    assert!(
        junit.contains(
            "fails, not gated (compare gates on its expectations): expected goodput_ratio &gt;= 0.8; measured"
        ),
        "{junit}"
    );
}

#[test]
fn a_failed_expectation_exits_3_and_bad_input_exits_2() {
    let dir = TempDir::new("compare-codes");
    let ds = scenario("death-spiral.toml");
    let out = spillway(&[
        "compare",
        &ds,
        "--strategies",
        "fifo,deadline",
        "--expect",
        "fifo.goodput_ratio > deadline.goodput_ratio",
        "-o",
        &dir.s("r"),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAILS fifo.goodput_ratio > deadline.goodput_ratio"));
    assert!(
        read(&dir.path("r/junit.xml")).contains("<failure"),
        "the failure is in junit.xml"
    );

    for (args, says) in [
        (
            vec!["compare", &ds, "--strategies", "fifo,dedline"],
            "unknown strategy `dedline`: did you mean `deadline`?",
        ),
        (
            vec!["compare", &ds, "--strategies", "fifo", "--expect", "bounded.p99 < 1s"],
            "neither side names a run",
        ),
        (
            vec!["compare", &ds, "--strategies", "fifo", "--expect", "fifo.p99 < 1"],
            "unit",
        ),
        (vec!["compare", &ds], "nothing to compare"),
        (vec!["compare", &ds, "--variant", "x:gateway.nope=3"], "--variant x"),
        (vec!["compare", &ds, "--variant", "novalue"], "NAME:KEY=VALUE"),
        (
            vec![
                "compare",
                &ds,
                "--variant",
                "a:gateway.concurrency=3;gateway.concurrency=4",
            ],
            "--variant a: `gateway.concurrency` given twice",
        ),
        (
            vec!["compare", &ds, "--variant", "a<b:gateway.concurrency=3"],
            "the name cannot hold `<`; a name is ASCII letters, digits, `-` and `_`",
        ),
        (
            vec!["compare", &ds, "--variant", "a:"],
            "sets nothing, so it would run the base scenario again",
        ),
        (
            vec!["compare", &ds, "--variant", "x:gateway.concurency=2"],
            "unknown key `concurency`; did you mean `concurrency`?",
        ),
        (
            vec!["compare", "/nonexistent/s.toml", "--strategies", "fifo"],
            "/nonexistent/s.toml",
        ),
        (
            vec!["compare", &ds, "--strategies", "fifo", "--time-scale", "4"],
            "--mode live",
        ),
        (vec!["compare"], "give a scenario file"),
        (
            vec!["compare", &ds, "--strategies", "fifo", "--tolerance", "5%"],
            "--tolerance applies to --baseline",
        ),
        (
            vec![
                "compare",
                &ds,
                "--variant",
                "a_b:gateway.strategy=bounded",
                "--variant",
                "a-b:gateway.strategy=deadline",
            ],
            "would share the output directory `a-b`",
        ),
        (
            vec![
                "compare",
                &ds,
                "--strategies",
                "fifo,bounded",
                "--expect",
                "bonded.p99 < fifo.p99",
            ],
            "not a run label (none is called that) nor a number; the runs are fifo, bounded",
        ),
    ] {
        let out = spillway(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: stderr should say {says}: {err}");
        // Nothing about the runs before the error that stops them (a sized queue bound read
        // as the error's cause).
        assert!(
            out.stdout.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// When `compare` sizes `bounded` per service (services of different capacity), the reports
/// give those bounds alone: the gateway-wide default bounds none of them (it read "bounded
/// 1000, the default (billing 12, orders 24)"); they are in the file's order of services.
#[test]
fn per_service_bounds_are_reported_without_the_default_they_replace() {
    let dir = TempDir::new("compare-per-service-bounds");
    let file = dir.path("two.toml");
    std::fs::write(
        &file,
        "[run]\nseed = 3\n[[workload.phases]]\nduration = \"20s\"\nrate = 60\n\
         [clients]\ntimeout = \"2s\"\n\
         [[backend.services]]\nname = \"orders\"\nworkers = 4\nservice_time = \"40ms\"\n\
         [[backend.services]]\nname = \"billing\"\nworkers = 2\nservice_time = \"40ms\"\n",
    )
    .expect("write the scenario");
    let out = spillway(&[
        "compare",
        &file.display().to_string(),
        "--strategies",
        "fifo,bounded",
        "-o",
        &dir.s("r"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_str(&read(&dir.path("r/bounded/results.json"))).expect("json");
    let g = &v["scenario"]["gateway"];
    assert!(g.get("queue_capacity").is_none_or(|c| c.is_null()), "{g}");
    let (orders, billing) = (
        g["services"]["orders"]["queue_capacity"]
            .as_u64()
            .expect("sized for orders"),
        g["services"]["billing"]["queue_capacity"]
            .as_u64()
            .expect("sized for billing"),
    );
    assert!(orders > billing, "{orders} {billing}");
    let md = read(&dir.path("r/summary.md"));
    assert!(
        md.contains(&format!("Queue bounds: bounded orders {orders}, billing {billing}.")),
        "{md}"
    );
    assert!(!md.contains("the default"), "{md}");
    let html = read(&dir.path("r/index.html"));
    assert!(
        html.contains(&format!("(queue bound orders {orders}, billing {billing})")),
        "{html}"
    );
}

#[test]
fn variants_compare_client_policies_on_the_same_traffic() {
    let dir = TempDir::new("compare-variants");
    let out = spillway(&[
        "compare",
        &scenario("death-spiral.toml"),
        "--variant",
        "noretry:clients.retry.max_attempts=1",
        "--variant",
        "retry3:clients.retry.max_attempts=3",
        "--expect",
        "noretry.amplification < retry3.amplification",
        "--expect",
        "noretry.amplification == 1",
        "-o",
        &dir.s("r"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // Identical traffic: both runs were offered exactly the same intents.
    let offered = |label: &str| -> u64 {
        let r = read(&dir.path(&format!("r/{label}/results.json")));
        let v: serde_json::Value = serde_json::from_str(&r).expect("json");
        v["summary"]["offered"].as_u64().expect("offered")
    };
    assert_eq!(offered("noretry"), offered("retry3"));
    // A variant that changes the load on purpose is labelled by its name: no warning that the
    // runs are versions of one scenario at different loads (that is for `report` of files).
    let out = spillway(&[
        "compare",
        &scenario("steady.toml"),
        "--variant",
        "busier:workload.phases[0].rate=150",
        "--variant",
        "usual:clients.retry.max_attempts=2",
        "-o",
        &dir.s("load"),
    ]);
    assert!(out.status.code().is_some_and(|c| c == 0 || c == 3), "{}", text(&out));
    assert!(!text(&out).contains("different versions of scenario"), "{}", text(&out));
}

#[test]
fn replications_show_intervals_and_expectations_must_clear_them() {
    let dir = TempDir::new("compare-reps");
    let out = spillway(&[
        "compare",
        &scenario("death-spiral.toml"),
        "--strategies",
        "fifo,deadline",
        "--replications",
        "3",
        "--expect",
        "deadline.goodput_ratio > fifo.goodput_ratio",
        "-o",
        &dir.s("r"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains('±'), "intervals shown:\n{stdout}");
    for seed in [7, 8, 9] {
        assert!(dir.path(&format!("r/deadline/seed-{seed}/results.json")).is_file());
    }
    // Each strategy's seeds report as one entry with intervals, as `sim run --replications` do.
    let out = spillway(&["report", &dir.s("r/fifo"), &dir.s("r/deadline"), "-o", &dir.s("rep")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let summary = read(&dir.path("rep/summary.md"));
    assert!(summary.contains('±'), "{summary}");
    assert!(
        summary.contains("| fifo (sim) |") && summary.contains("| deadline (sim) |"),
        "{summary}"
    );
    let html = read(&dir.path("rep/index.html"));
    assert!(html.contains("3 replications"), "each entry is its three seeds");
    // `LABEL=FILE` names an entry in place of its strategy and source.
    let (queue, shed) = (
        format!("queue={}", dir.s("r/fifo")),
        format!("shed={}", dir.s("r/deadline")),
    );
    let out = spillway(&["report", &queue, &shed, "-o", &dir.s("rep-labelled")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let summary = read(&dir.path("rep-labelled/summary.md"));
    assert!(
        summary.contains("| queue |") && summary.contains("| shed |") && !summary.contains("fifo (sim)"),
        "{summary}"
    );
    let out = spillway(&[
        "report",
        &queue,
        &format!("queue={}", dir.s("r/deadline")),
        "-o",
        &dir.s("rep-twice"),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("the label `queue` is given twice"),
        "{}",
        text(&out)
    );
    // Nor may a given label be another entry's default: two entries of one name.
    let out = spillway(&[
        "report",
        &format!("deadline (sim)={}", dir.s("r/fifo")),
        &dir.s("r/deadline"),
        "-o",
        &dir.s("rep-default"),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains(&format!(
            "the label `deadline (sim)` is also the label of {} (its default)",
            dir.s("r/deadline")
        )),
        "{}",
        text(&out)
    );

    // A later single run into the same directory replaces the seeds: the report reads it, not
    // the stale replications.
    let out = spillway(&[
        "compare",
        &scenario("steady.toml"),
        "--strategies",
        "fifo,deadline",
        "-o",
        &dir.s("r"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!dir.path("r/fifo/replications.json").exists() && !dir.path("r/fifo/seed-7").exists());
    let out = spillway(&["report", &dir.s("r/fifo"), "-o", &dir.s("rep2")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let summary = read(&dir.path("rep2/summary.md"));
    assert!(summary.contains("## steady") && !summary.contains('±'), "{summary}");
}

/// A comparison into the directory of an earlier one removes the earlier runs it does not
/// repeat (a CI job uploading the directory took them for this comparison's), and leaves what
/// no comparison saved.
#[test]
fn a_comparison_replaces_the_runs_of_the_one_before() {
    let dir = TempDir::new("compare-again");
    let compare = |strategies: &str| {
        let out = spillway(&[
            "compare",
            &scenario("steady.toml"),
            "--strategies",
            strategies,
            "-o",
            &dir.s("c"),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    };
    compare("fifo,bounded,deadline");
    for s in ["fifo", "bounded", "deadline"] {
        assert!(dir.path(&format!("c/{s}/results.json")).is_file(), "{s}");
    }
    std::fs::create_dir_all(dir.path("c/mine")).unwrap();
    std::fs::write(dir.path("c/mine/results.json"), "{}").unwrap();
    std::fs::write(dir.path("c/bounded/notes.txt"), "kept").unwrap();
    compare("fifo,deadline");
    assert!(dir.path("c/fifo/results.json").is_file() && dir.path("c/deadline/results.json").is_file());
    // The earlier run's results are gone; a file of the user's keeps its folder.
    assert!(!dir.path("c/bounded/results.json").exists());
    assert!(dir.path("c/bounded/notes.txt").is_file());
    assert!(
        dir.path("c/mine/results.json").is_file(),
        "not a run a comparison saved"
    );
    std::fs::remove_file(dir.path("c/bounded/notes.txt")).unwrap();
    // A link put in place of an earlier run's folder is not followed: the results it points
    // to were removed through it (robustness review, stop 64).
    std::fs::create_dir_all(dir.path("kept")).unwrap();
    std::fs::write(dir.path("kept/results.json"), "{}").unwrap();
    std::fs::write(dir.path("kept/results.hlog"), "x").unwrap();
    std::fs::remove_dir_all(dir.path("c/deadline")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path("kept"), dir.path("c/deadline")).unwrap();
    compare("fifo");
    assert!(!dir.path("c/bounded").exists());
    assert!(dir.path("kept/results.json").is_file() && dir.path("kept/results.hlog").is_file());
    assert!(dir.path("c/mine/results.json").is_file());
}

#[test]
fn baseline_flags_regressions_metric_by_metric() {
    let dir = TempDir::new("baseline");
    let ds = scenario("death-spiral.toml");
    for s in ["deadline", "fifo"] {
        let out = spillway(&["sim", "run", &ds, "--strategy", s, "--out", &dir.s(s)]);
        assert!(matches!(out.status.code(), Some(0 | 3)), "{}", text(&out));
    }
    // The same run under another path (the file twice is refused).
    std::fs::copy(dir.path("deadline/results.json"), dir.path("deadline/again.json")).expect("copied");
    let same = spillway(&[
        "compare",
        "--baseline",
        &dir.s("deadline/results.json"),
        &dir.s("deadline/again.json"),
        "-o",
        &dir.s("same"),
    ]);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same));
    assert!(String::from_utf8_lossy(&same.stdout).contains("0 regression(s)"));
    let worse = spillway(&[
        "compare",
        "--baseline",
        &dir.s("deadline/results.json"),
        &dir.s("fifo/results.json"),
        "--tolerance",
        "10%",
        "-o",
        &dir.s("worse"),
    ]);
    assert_eq!(worse.status.code(), Some(3), "{}", text(&worse));
    let stdout = String::from_utf8_lossy(&worse.stdout);
    assert!(
        stdout.contains("goodput_ratio") && stdout.contains("REGRESSION (higher is better)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("REGRESSION (lower is better)"),
        "p99 got worse too:\n{stdout}"
    );
    assert!(stdout.contains("regression(s) beyond 10%"), "{stdout}");
    // And listed again at the end, just above the count.
    let tail: Vec<&str> = stdout
        .lines()
        .rev()
        .take_while(|l| !l.starts_with("regressions:"))
        .collect();
    assert!(
        tail.iter()
            .any(|l| l.starts_with("  goodput_ratio ") && l.contains(" -> ")),
        "{stdout}"
    );
    assert!(!String::from_utf8_lossy(&same.stdout).contains("regressions:"));
    // Each whole-run count is compared: fifo times out where deadline sheds.
    for metric in ["shed ", "rate_limited ", "expired ", "errors ", "max "] {
        assert!(stdout.lines().any(|l| l.starts_with(metric)), "{metric}:\n{stdout}");
    }
    let junit = read(&dir.path("worse/junit.xml"));
    assert!(
        junit.contains("message=\"goodput_ratio: ") && junit.contains("REGRESSION (higher is better), tolerance 10%"),
        "readable failure messages:\n{junit}"
    );
    assert!(!junit.contains("Some("), "{junit}");
    assert!(
        junit.contains("not gated (compare gates on its baseline&apos;s regressions)"),
        "{junit}"
    );
    let bad = spillway(&[
        "compare",
        "--baseline",
        &dir.s("deadline/results.json"),
        &dir.s("nope.json"),
    ]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    // A run's directory stands for its results.json, as for `report`; one without names why.
    let dirs = spillway(&[
        "compare",
        "--baseline",
        &dir.s("deadline"),
        &dir.s("fifo"),
        "-o",
        &dir.s("dirs"),
    ]);
    assert_eq!(dirs.status.code(), Some(3), "{}", text(&dirs));
    assert!(String::from_utf8_lossy(&dirs.stdout).contains("REGRESSION"));
    let twice = spillway(&[
        "compare",
        "--baseline",
        &dir.s("deadline"),
        &dir.s("deadline/results.json"),
    ]);
    assert_eq!(twice.status.code(), Some(2), "{}", text(&twice));
    assert!(text(&twice).contains("are the same file"), "{}", text(&twice));
    let empty = spillway(&[
        "compare",
        "--baseline",
        &dir.s("deadline"),
        &dir.s("same"),
        "-o",
        &dir.s("x"),
    ]);
    assert_eq!(empty.status.code(), Some(2), "{}", text(&empty));
    assert!(
        text(&empty).contains("is a directory without a results.json: give a run's results.json"),
        "{}",
        text(&empty)
    );
    // A replications directory suggests one of its own seeds (seed-7 for a scenario of seed
    // 7), not a seed-1 it does not hold.
    let reps = spillway(&[
        "sim",
        "run",
        &scenario("steady.toml"),
        "--seed",
        "7",
        "--replications",
        "2",
        "-o",
        &dir.s("reps"),
    ]);
    assert_eq!(reps.status.code(), Some(0), "{}", text(&reps));
    let out = spillway(&["compare", "--baseline", &dir.s("deadline"), &dir.s("reps")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("such as ") && text(&out).contains("seed-7"),
        "{}",
        text(&out)
    );
    let bad = spillway(&[
        "compare",
        "--baseline",
        &dir.s("deadline/results.json"),
        &dir.s("fifo/results.json"),
        "--tolerance",
        "lots",
    ]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
}

#[test]
fn the_step_summary_is_appended_in_github_actions() {
    let dir = TempDir::new("step-summary");
    let summary = dir.path("step.md");
    std::fs::write(&summary, "previous step\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_spillway"))
        .args([
            "compare",
            &scenario("death-spiral.toml"),
            "--strategies",
            "fifo,bounded",
            "-o",
            &dir.s("r"),
        ])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let s = read(&summary);
    assert!(s.starts_with("previous step\n"), "appended, not overwritten");
    assert!(s.contains("| fifo |") && s.contains("| bounded |"), "{s}");

    // A summary that cannot be written is a warning: the exit code stays the expectations'.
    let out = Command::new(env!("CARGO_BIN_EXE_spillway"))
        .args([
            "compare",
            &scenario("death-spiral.toml"),
            "--strategies",
            "fifo,bounded",
            "--expect",
            "fifo.goodput_ratio > bounded.goodput_ratio",
            "-o",
            &dir.s("r2"),
        ])
        .env("GITHUB_STEP_SUMMARY", dir.path("no/such/dir/step.md"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("$GITHUB_STEP_SUMMARY: cannot write"), "{err}");
    assert_eq!(err.matches("os error 2").count(), 1, "the reason once: {err}");
}

/// A sweep over a burst rate with seeds: the envelope per configuration and what it rests on,
/// and the file's thresholds are said not to be the SLO.
#[test]
fn a_replicated_sweep_gives_each_configuration_its_envelope() {
    let dir = TempDir::new("sweep-seeds");
    let out = spillway(&[
        "sim",
        "sweep",
        &scenario("death-spiral.toml"),
        "--vary",
        "gateway.strategy=fifo,deadline",
        "--vary",
        "workload.phases[1].rate=150,300",
        "--replications",
        "2",
        "-o",
        &dir.s("sweep"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(stdout.contains("each point: 2 seeds"), "{stdout}");
    assert!(stdout.contains("gateway.strategy=fifo: "), "{stdout}");
    assert!(stdout.contains("gateway.strategy=deadline: "), "{stdout}");
    assert!(stdout.contains("note: the scenario's thresholds"), "{stdout}");
    let table = read(&dir.path("sweep/sweep.json"));
    assert!(table.contains("\"seeds\": 2"), "{table}");
    // Its table renders (means of counts rounded apart once ended more intents than offered,
    // and `report` refused the table).
    let report = spillway(&["report", &dir.s("sweep/sweep.json"), "-o", &dir.s("sweep-report")]);
    assert_eq!(report.status.code(), Some(0), "{}", text(&report));
    // The file's thresholds passed as the SLO, written otherwise, are the SLO: no note.
    let out = spillway(&[
        "sim",
        "sweep",
        &scenario("death-spiral.toml"),
        "--vary",
        "gateway.strategy=deadline",
        "--slo",
        "goodput_ratio>=80%",
        "--slo",
        "recovery <= 30000ms",
        "-o",
        &dir.s("sweep-slo"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        !text(&out).contains("note: the scenario's thresholds"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_sweep_renders_as_a_heatmap() {
    let dir = TempDir::new("sweep-report");
    let out = spillway(&[
        "sim",
        "sweep",
        &scenario("death-spiral.toml"),
        "--vary",
        "gateway.strategy=fifo,bounded,deadline",
        "--vary",
        "clients.timeout=500ms,1s,2s",
        "-o",
        &dir.s("sweep"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // The bound `bounded` ran with is sized per point: said beside the results, not only in a log.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "note: strategy bounded: points without gateway.queue_capacity get a queue bound for each service sized"
        ),
        "{stdout}"
    );
    let out = spillway(&["report", &dir.s("sweep/sweep.json"), "-o", &dir.s("r")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_png(&dir.path("r/heatmap.png"));
    assert_svg(&dir.path("r/heatmap.svg"));
    let svg = read(&dir.path("r/heatmap.svg"));
    for label in ["fifo", "deadline", "500ms", "2s"] {
        assert!(svg.contains(label), "heatmap axis label {label}");
    }
    let html = read(&dir.path("r/index.html"));
    assert!(
        html.contains("<title>death-spiral"),
        "a sweep's report is named by its scenario"
    );
    let junit = read(&dir.path("r/junit.xml"));
    assert!(junit.contains("sweep read (no SLO to gate on)"), "not empty:\n{junit}");
    // The sweep's directory, given as a run's would be, is read as its sweep.json (it was
    // refused, naming the file to give), as a run's directory is read as its results.json.
    let out = spillway(&["report", &dir.s("sweep"), "-o", &dir.s("rd")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(read(&dir.path("rd/summary.md")), read(&dir.path("r/summary.md")));

    // With an SLO nothing meets, the sweep exits 3 and its report's junit.xml fails the same way.
    let out = spillway(&[
        "sim",
        "sweep",
        &scenario("death-spiral.toml"),
        "--vary",
        "gateway.strategy=fifo,bounded",
        "--slo",
        "p99<10ms",
        "-o",
        &dir.s("tight"),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let out = spillway(&["report", &dir.s("tight/sweep.json"), "-o", &dir.s("rt")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let junit = read(&dir.path("rt/junit.xml"));
    assert!(
        junit.contains("some configuration meets p99&lt;10ms") && junit.contains("<failure"),
        "{junit}"
    );
    // Its cells fail the SLO and say so with their values, not "n/a" as for a missing point.
    let svg = read(&dir.path("rt/heatmap.svg"));
    assert!(svg.contains("fails SLO: "), "{svg}");
    assert!(
        svg.contains("pale red: fails the SLO (p99&lt;10ms)"),
        "a key says what red means"
    );

    // A service's figure as the objective: the sweep's points keep each service's figures.
    let out = spillway(&[
        "report",
        &dir.s("sweep/sweep.json"),
        "--objective",
        "service[legacy-2].goodput_ratio",
        "-o",
        &dir.s("r2"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(read(&dir.path("r2/heatmap.svg")).contains("service[legacy-2].goodput_ratio"));
    // A class the scenario has no priorities for: no point keeps it.
    let out = spillway(&[
        "report",
        &dir.s("sweep/sweep.json"),
        "--objective",
        "interactive.p99",
        "-o",
        &dir.s("r3"),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("keeps it at no point"), "{}", text(&out));
    // And a sweep refuses an objective naming a service the scenario lacks, before running.
    let out = spillway(&[
        "sim",
        "sweep",
        &scenario("death-spiral.toml"),
        "--vary",
        "gateway.strategy=fifo",
        "--objective",
        "service[billing].p99",
        "-o",
        &dir.s("sweep2"),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no service `billing`"), "{}", text(&out));
}

#[test]
fn report_rejects_what_is_not_a_results_file() {
    let dir = TempDir::new("report-bad");
    std::fs::write(dir.path("x.json"), "{\"schema\": 1, \"tool\": 3}").unwrap();
    let out = spillway(&["report", &dir.s("x.json"), "-o", &dir.s("r")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("x.json:1:"),
        "{}",
        text(&out)
    );
    let out = spillway(&["report", &dir.s("missing.json")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // A scenario file given by mistake, even one that starts with `[run]` (read as an old
    // sweep table, an array of points, it said "not a sweep table: expected value").
    std::fs::write(dir.path("s.toml"), "[run]\nname = \"x\"\n").unwrap();
    for file in [scenario("steady.toml"), dir.s("s.toml")] {
        let out = spillway(&["report", &file, "-o", &dir.s("r3")]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(!text(&out).contains("sweep table"), "{}", text(&out));
        assert!(text(&out).contains("scenario file"), "{}", text(&out));
    }
    // A sweep table with a figure no sweep produces is refused, naming the point and field.
    std::fs::write(
        dir.path("sweep.json"),
        r#"{"objective": "goodput_ratio", "points": [{"params": [["gateway.strategy", "fifo"]],
            "goodput_ratio": 7, "p50": 0.1, "p99": 0.2, "amplification": 1.0, "wasted_s": 0,
            "recovery_s": null, "verdict": "recovered", "attempts": 10, "meets_slo": true}]}"#,
    )
    .unwrap();
    let out = spillway(&["report", &dir.s("sweep.json"), "-o", &dir.s("r2")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("not a valid sweep table: points[0].goodput_ratio: 7: expected a ratio"),
        "{}",
        text(&out)
    );
}

#[test]
fn demo_sim_only_tells_the_story() {
    let dir = TempDir::new("demo");
    let out = spillway(&["demo", "--sim-only", "-o", &dir.s("d")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("The story held"), "{stdout}");
    assert!(
        stdout.contains("fifo (sim)") && stdout.contains("deadline (sim)"),
        "{stdout}"
    );
    assert!(dir.path("d/index.html").is_file());
}

#[test]
fn a_sim_run_and_a_live_run_of_one_scenario_render_side_by_side() {
    let dir = TempDir::new("sim-live-report");
    let steady = scenario("steady.toml");
    let out = spillway(&["sim", "run", &steady, "--out", &dir.s("sim")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = spillway(&[
        "loadgen",
        "run",
        &steady,
        "--duration",
        "20s",
        "--time-scale",
        "4",
        "--no-progress",
        "--out",
        &dir.s("live"),
    ]);
    assert!(matches!(out.status.code(), Some(0 | 3)), "{}", text(&out));
    // A directory holding results.json works as well as the file.
    let out = spillway(&["report", &dir.s("sim/results.json"), &dir.s("live"), "-o", &dir.s("r")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let html = read(&dir.path("r/index.html"));
    for want in [
        "fifo (sim)",
        "fifo (live)",
        "simulated",
        "live, strategy",
        "id=\"throughput-fifo-sim\"",
        "id=\"throughput-fifo-live\"",
    ] {
        assert!(html.contains(want), "index.html lacks {want}");
    }
    for chart in [
        "throughput-fifo-sim",
        "throughput-fifo-live",
        "latency-fifo-live",
        "percentiles",
        "comparison",
    ] {
        assert_png(&dir.path(&format!("r/{chart}.png")));
    }
    // Both runs overlaid on the percentile chart.
    let svg = read(&dir.path("r/percentiles.svg"));
    assert!(
        svg.contains("fifo (sim)") && svg.contains("fifo (live)"),
        "legend names both runs"
    );
}

#[test]
fn compare_runs_live_through_the_in_process_stack() {
    let dir = TempDir::new("compare-live");
    let s = dir.path("small.toml");
    // Half a second of burst at 3x capacity through one worker: the queue's waits pass the
    // 300 ms timeout, the bounded queue sheds instead.
    std::fs::write(
        &s,
        "[run]\nname = \"small\"\nseed = 3\n[[workload.phases]]\nduration = \"4s\"\nrate = 40\n\
         [[workload.phases]]\nduration = \"2s\"\nrate = 300\ntrigger = true\n[[workload.phases]]\nduration = \"6s\"\nrate = 40\n\
         [clients]\ntimeout = \"300ms\"\n[clients.retry]\nmax_attempts = 3\nbackoff = \"none\"\n\
         [gateway]\nstrategy = \"fifo\"\n[[backend.services]]\nname = \"s\"\nworkers = 4\nservice_time = \"40ms\"\n",
    )
    .unwrap();
    let out = spillway(&[
        "compare",
        s.to_str().unwrap(),
        "--strategies",
        "fifo,bounded",
        "--mode",
        "live",
        "--time-scale",
        "2",
        "--expect",
        "bounded.goodput_ratio > fifo.goodput_ratio",
        "-o",
        &dir.s("r"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("HOLDS bounded.goodput_ratio > fifo.goodput_ratio"),
        "{stdout}"
    );
    for s in ["fifo", "bounded"] {
        let r = read(&dir.path(&format!("r/{s}/results.json")));
        assert!(r.contains("\"source\": \"live\""), "{s} ran live");
    }
}

/// A threshold's `name` (accepted by the format, unused until now) labels it in the summary,
/// results.json, the report, summary.md and junit.xml; a name on several lines is refused.
#[test]
fn a_named_threshold_is_labelled_by_its_name_everywhere() {
    let dir = TempDir::new("named-threshold");
    let base = read(Path::new(&scenario("steady.toml")));
    let named = format!("{base}\n[[thresholds]]\nname = \"checkout <fast>\"\ncheck = \"p99 < 10s\"\n");
    std::fs::create_dir_all(dir.path("")).unwrap();
    std::fs::write(dir.path("named.toml"), &named).unwrap();
    let o = spillway(&["sim", "run", &dir.s("named.toml"), "-o", &dir.s("run")]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("PASS checkout <fast>: p99 < 10s"), "{}", text(&o));
    let results = read(&dir.path("run/results.json"));
    assert!(results.contains("\"name\": \"checkout <fast>\""), "{results}");
    let o = spillway(&["report", &dir.s("run/results.json"), "-o", &dir.s("report")]);
    assert!(o.status.success(), "{}", text(&o));
    let junit = read(&dir.path("report/junit.xml"));
    assert!(
        junit.contains("name=\"checkout &lt;fast&gt;: p99 &lt; 10s\""),
        "{junit}"
    );
    let html = read(&dir.path("report/index.html"));
    assert!(
        html.contains("checkout &lt;fast&gt;: <code>p99 &lt; 10s</code>"),
        "{html}"
    );
    let md = read(&dir.path("report/summary.md"));
    assert!(md.contains(": `p99 < 10s`") && md.contains("checkout"), "{md}");

    std::fs::write(
        dir.path("bad.toml"),
        format!("{base}\n[[thresholds]]\nname = \"a\\nb\"\ncheck = \"p99 < 10s\"\n"),
    )
    .unwrap();
    let o = spillway(&["scenario", "check", &dir.s("bad.toml")]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains(".name: expected at most 200 characters on one line"),
        "{}",
        text(&o)
    );
}

/// `compare --baseline` without -o wrote into out/compare, replacing the report of the strategy
/// comparison whose results it usually compares: it now defaults to out/baseline.
#[test]
fn a_baseline_report_goes_to_its_own_default_directory() {
    let dir = TempDir::new("baseline-default");
    let out = spillway(&["sim", "run", &scenario("steady.toml"), "--out", &dir.s("old")]);
    assert!(out.status.success(), "{}", text(&out));
    let results = dir.s("old/results.json");
    let copy = dir.s("old/copy.json");
    std::fs::copy(&results, &copy).expect("copied");
    let o = Command::new(env!("CARGO_BIN_EXE_spillway"))
        .args(["compare", "--baseline", &results, &copy])
        .current_dir(dir.path(""))
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .expect("spillway runs");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(dir.path("out/baseline/index.html").is_file(), "{}", text(&o));
    assert!(!dir.path("out/compare").exists());
    let summary = std::fs::read_to_string(dir.path("out/baseline/summary.md")).expect("summary.md");
    assert!(summary.contains("✅ **no regression beyond 10%**"), "{summary}");
    // One file twice (a CI job whose paths point at one artifact) would pass for ever.
    let twice = dir.s("old/../old/results.json");
    let o = spillway(&["compare", "--baseline", &results, &twice, "-o", &dir.s("twice")]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("OLD and NEW are the same file"), "{}", text(&o));
}

/// A new run that was interrupted covers part of its scenario: every row read "better" and the
/// comparison passed. It fails now, and says why on stdout, in summary.md and in junit.xml.
#[test]
fn a_baseline_against_an_incomplete_run_fails() {
    let dir = TempDir::new("baseline-incomplete");
    let out = spillway(&["sim", "run", &scenario("steady.toml"), "--out", &dir.s("old")]);
    assert!(out.status.success(), "{}", text(&out));
    let results = dir.s("old/results.json");
    let mut cut: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&results).expect("read")).expect("json");
    cut["incomplete"] = serde_json::Value::Bool(true);
    let new = dir.s("old/cut.json");
    std::fs::write(&new, serde_json::to_string(&cut).expect("json")).expect("written");
    let o = spillway(&["compare", "--baseline", &results, &new, "-o", &dir.s("b")]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        text(&o).contains("0 regression(s) beyond 10%; FAILED: the new run is incomplete"),
        "{}",
        text(&o)
    );
    let summary = std::fs::read_to_string(dir.path("b/summary.md")).expect("summary.md");
    assert!(
        summary.contains("❌ **no regression beyond 10%; the new run is incomplete"),
        "{summary}"
    );
    // Its thresholds held over part of a run: not judged, not passed.
    assert!(
        summary.contains("- ⚠️ new (fifo): `goodput_ratio >= 0.99`")
            && summary.contains("not judged: the run is incomplete (")
            && summary.contains("), measured over part of it)"),
        "{summary}"
    );
    let junit = std::fs::read_to_string(dir.path("b/junit.xml")).expect("junit.xml");
    assert!(junit.contains("name=\"new run complete\""), "{junit}");
    assert!(
        junit.contains("classname=\"baseline comparison: steady (sim vs sim): baseline\""),
        "{junit}"
    );
    assert!(junit.contains("not judged: the run is incomplete"), "{junit}");
}

/// A scenario kept where a command writes its output was overwritten by it: `sim run
/// o3/results.json -o o3` wrote its results over the file it had read. Each command that reads a
/// scenario and writes a directory refuses it (bad input), as `--baseline X X` refuses one file
/// twice, and leaves the file as it was; a scenario elsewhere in the directory is fine.
#[test]
fn a_scenario_where_the_output_goes_is_refused_not_overwritten() {
    let dir = TempDir::new("input-in-out");
    let text_of = "[[workload.phases]]\nduration = \"1s\"\nrate = 5\n\
                   [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n";
    let place = |rel: &str| {
        let p = dir.path(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("dir");
        std::fs::write(&p, text_of).expect("written");
        p.display().to_string()
    };
    let cases: [(&str, &str, Vec<&str>); 9] = [
        ("o1/results.json", "o1", vec!["sim", "run"]),
        ("o2/results.hlog", "o2", vec!["sim", "run"]),
        ("o3/seed-7/s.toml", "o3", vec!["sim", "run", "--replications", "2"]),
        // Replications write a seed-N directory, which a plain file of that name would stop.
        ("o12/seed-1", "o12", vec!["sim", "run", "--replications", "2"]),
        (
            "o4/sweep.json",
            "o4",
            vec!["sim", "sweep", "--vary", "gateway.concurrency=1,2"],
        ),
        (
            "o5/fifo/results.json",
            "o5",
            vec!["compare", "--strategies", "fifo,bounded"],
        ),
        ("o6/index.html", "o6", vec!["compare", "--strategies", "fifo,bounded"]),
        // Refused before anything is sent (no socket is opened).
        ("o9/results.json", "o9", vec!["loadgen", "run"]),
        // A shard's results merged into its own directory: refused before it is read.
        ("o10/results.json", "o10", vec!["loadgen", "merge"]),
    ];
    for (rel, out, cmd) in cases {
        let file = place(rel);
        let mut args = cmd.clone();
        let out = dir.s(out);
        args.extend([file.as_str(), "-o", &out]);
        let o = spillway(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(
            text(&o).contains("is where --out") && text(&o).contains("would be overwritten or removed"),
            "{args:?}: {}",
            text(&o)
        );
        assert_eq!(std::fs::read_to_string(&file).expect("kept"), text_of, "{args:?}");
    }
    // A link named as an output: the results would be written through it.
    #[cfg(unix)]
    {
        let target = place("elsewhere/s.toml");
        std::fs::create_dir_all(dir.path("o8")).expect("dir");
        std::os::unix::fs::symlink(&target, dir.path("o8/results.json")).expect("link");
        let o = spillway(&["sim", "run", &dir.s("o8/results.json"), "-o", &dir.s("o8")]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert_eq!(std::fs::read_to_string(&target).expect("kept"), text_of);
    }
    // Next to the output, under a name the command does not write: it runs. A plain file named
    // like a replication's directory is one (only directories of that name are replaced).
    for (rel, out) in [("o7/scenario.toml", "o7"), ("o11/seed-3", "o11")] {
        let file = place(rel);
        let o = spillway(&["sim", "run", &file, "-o", &dir.s(out)]);
        assert_eq!(o.status.code(), Some(0), "{rel}: {}", text(&o));
        assert_eq!(std::fs::read_to_string(&file).expect("kept"), text_of);
    }
}
