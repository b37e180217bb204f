//! The `spillway` binary as a user runs it: help, exit codes, errors on stderr.

use std::process::{Command, Output};

fn spillway(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spillway"))
        .args(args)
        .output()
        .expect("spillway runs")
}

/// A loopback port nothing listens on (bound by the OS, then released): connections to it are
/// refused.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process, killed and reaped on every way out of a test.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

fn scenarios() -> String {
    format!("{}/scenarios", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn help_explains_every_subcommand() {
    let out = spillway(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in [
        "scenario",
        "mock-legacy",
        "gateway",
        "loadgen",
        "sim",
        "report",
        "compare",
        "demo",
    ] {
        assert!(text.contains(cmd), "{cmd} missing from --help:\n{text}");
    }
    for args in [
        &["loadgen", "run", "--help"][..],
        &["gateway", "--help"],
        // The crate's name, as the README calls the server.
        &["reference-gateway", "--help"],
        &["mock-legacy", "--help"],
        &["scenario", "check", "--help"],
        &["report", "--help"],
        &["compare", "--help"],
        &["demo", "--help"],
    ] {
        let out = spillway(args);
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).len() > 200,
            "{args:?} explains its flags"
        );
    }
    // Every command a script or CI runs says what its exit codes mean (demo's said nothing).
    for args in [
        &["loadgen", "run", "--help"][..],
        &["scenario", "check", "--help"],
        &["sim", "run", "--help"],
        &["sim", "sweep", "--help"],
        &["report", "--help"],
        &["compare", "--help"],
        &["demo", "--help"],
    ] {
        let out = spillway(args);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Exit codes: 0 "), "{args:?}:\n{text}");
    }
}

/// A gateway's own file (no [workload], no service_time) and a file for `loadgen run --target`
/// (services by name alone) are valid for what reads them: `scenario check` refused both,
/// saying wrongly that only --target does without a service_time, and no command checked them.
#[test]
fn scenario_check_checks_a_file_for_the_gateway_or_a_target() {
    let dir =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("spillway-cli-for-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let gw = dir.join("gw.toml");
    std::fs::write(
        &gw,
        "[gateway]\nstrategy = \"deadline\"\n[[backend.services]]\nname = \"a\"\nworkers = 3\n\
         upstream = \"http://127.0.0.1:9001\"\n[[backend.services]]\nname = \"b\"\nworkers = 2\n",
    )
    .unwrap();
    let target = dir.join("target.toml");
    std::fs::write(
        &target,
        "[[workload.phases]]\nduration = \"10s\"\nrate = 50\n[clients]\ntimeout = \"2s\"\n\
         [[backend.services]]\nname = \"orders\"\n",
    )
    .unwrap();
    let check = |file: &std::path::Path, extra: &[&str]| {
        let mut args = vec!["scenario", "check", file.to_str().unwrap()];
        args.extend(extra);
        let out = spillway(&args);
        let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
        (out.status.code(), text)
    };
    // Read as a whole scenario, each is refused, pointing at the check that fits it.
    let (code, err) = check(&gw, &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("and `gateway --config` do without it") && err.contains("--for gateway"),
        "{err}"
    );
    let (code, err) = check(&target, &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--for target"), "{err}");
    let (code, text) = check(&gw, &["--for", "gateway"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("valid for `spillway gateway --config`"), "{text}");
    assert!(text.contains("upstream http://127.0.0.1:9001"), "{text}");
    assert!(
        text.contains("no upstream: the gateway then needs --upstream URL"),
        "{text}"
    );
    assert!(text.contains("gateway: strategy deadline"), "{text}");
    assert!(text.contains("no [workload]: the gateway needs none"), "{text}");
    let (code, text) = check(&target, &["--for", "target"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("valid for `spillway loadgen run --target URL`"), "{text}");
    assert!(
        text.contains("orders (1 api)") && text.contains("clients: timeout 2s"),
        "{text}"
    );
    assert!(text.contains("left out by orders (workers, service_time)"), "{text}");
    assert!(!text.contains("capacity"), "no capacity of placeholders: {text}");
    // Its notes are the gateway's and the services' (a table the strategy ignores), and an
    // https upstream, which the gateway refuses, is an error at its place.
    std::fs::write(
        &gw,
        "[gateway.codel]\ntarget = \"50ms\"\n[[backend.services]]\nname = \"a\"\nworkers = 2\n\
         upstream = \"https://h:8443\"\n",
    )
    .unwrap();
    let (code, err) = check(&gw, &["--for", "gateway"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("gw.toml:6:12: backend.services[0].upstream: `https://h:8443`"),
        "{err}"
    );
    std::fs::write(
        &gw,
        "[gateway.codel]\ntarget = \"50ms\"\n[[backend.services]]\nname = \"a\"\nworkers = 2\n",
    )
    .unwrap();
    let (code, text) = check(&gw, &["--for", "gateway"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("note: gateway.codel: applies only under strategy"),
        "{text}"
    );
    // A note of the gateway's that names the clients (their timeout) is the gateway's too.
    std::fs::write(
        &gw,
        "[gateway]\nstrategy = \"bounded\"\nqueue_capacity = 5000\n[[backend.services]]\nname = \"a\"\n\
         workers = 1\nservice_time = \"1ms\"\n",
    )
    .unwrap();
    let (code, text) = check(&gw, &["--for", "gateway"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("note: gateway.queue_capacity: 5000 holds about"),
        "{text}"
    );
    assert!(
        !text.contains("service_time: the gateway needs none"),
        "every service gives it: {text}"
    );
    // A gateway file still needs what the gateway reads: the workers.
    std::fs::write(&gw, "[[backend.services]]\nname = \"a\"\n").unwrap();
    let (code, err) = check(&gw, &["--for", "gateway"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("missing `workers`"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn scenario_check_prints_a_summary_or_a_positioned_error() {
    let out = spillway(&["scenario", "check", &format!("{}/death-spiral.toml", scenarios())]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("capacity/s") && text.contains("OVERLOAD"), "{text}");

    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("spillway-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n[[backend.services]]\nname = \"a\"\nworkers = 0\nservice_time = \"1ms\"\n").unwrap();
    let out = spillway(&["scenario", "check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "bad input exits 2");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml:6:11: backend.services[0].workers: expected an integer >= 1, got 0"),
        "{err}"
    );
    // A table the file's own strategy ignores is worth a warning, unless --strategy runs one
    // that uses it.
    let tuned = dir.join("tuned.toml");
    std::fs::write(
        &tuned,
        "[[workload.phases]]\nduration = \"2s\"\nrate = 5\n[gateway]\nstrategy = \"fifo\"\n\
         [gateway.adaptive]\nmin_limit = 2\n[[backend.services]]\nname = \"a\"\nworkers = 2\nservice_time = \"1ms\"\n",
    )
    .unwrap();
    let out_dir = dir.join("out");
    let run = |extra: &[&str]| {
        let mut args = vec!["sim", "run", tuned.to_str().unwrap(), "-o", out_dir.to_str().unwrap()];
        args.extend(extra);
        let out = spillway(&args);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stderr).contains("gateway.adaptive: applies only under strategy")
    };
    assert!(run(&[]), "fifo ignores [gateway.adaptive]");
    assert!(!run(&["--strategy", "adaptive"]), "adaptive uses it");
    // A threshold's name labels it in the check and in the replications' summary, as in a
    // single run's.
    let named = dir.join("named.toml");
    std::fs::write(
        &named,
        "[[workload.phases]]\nduration = \"2s\"\nrate = 5\n[[thresholds]]\nname = \"fast enough\"\n\
         check = \"p99 < 2s\"\n[[backend.services]]\nname = \"a\"\nworkers = 2\nservice_time = \"1ms\"\n",
    )
    .unwrap();
    let out = spillway(&["scenario", "check", named.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("thresholds: fast enough: p99 < 2s"), "{text}");
    for reps in ["1", "2"] {
        let out = spillway(&[
            "sim",
            "run",
            named.to_str().unwrap(),
            "--replications",
            reps,
            "-o",
            out_dir.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("PASS fast enough: p99 < 2s"), "{text}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// `sim run --set KEY=VALUE` runs one point of a sweep without editing the file: the setting
/// is in the run's results, wildcards work, and a second value, a key given twice or a setting
/// the strategy does not take is bad input (exit 2) that names it.
#[test]
fn sim_run_set_applies_a_setting_as_a_sweep_would() {
    let dir =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("spillway-cli-set-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("two.toml");
    // Two services, `a` and `b`: (workers, service time) each.
    let two_services = |a: (u32, &str), b: (u32, &str)| {
        let text = format!(
            "[[workload.phases]]\nduration = \"2s\"\nrate = 5\n\
             [[backend.services]]\nname = \"a\"\nworkers = {}\nservice_time = \"{}\"\n\
             [[backend.services]]\nname = \"b\"\nworkers = {}\nservice_time = \"{}\"\n",
            a.0, a.1, b.0, b.1
        );
        std::fs::write(&file, text).unwrap();
    };
    two_services((2, "1ms"), (2, "1ms"));
    let out_dir = dir.join("out");
    let run = |extra: &[&str]| {
        let mut args = vec!["sim", "run", file.to_str().unwrap(), "-o", out_dir.to_str().unwrap()];
        args.extend(extra);
        spillway(&args)
    };
    let out = run(&[
        "--strategy",
        "bounded",
        "--set",
        "gateway.services.*.queue_capacity=7",
        "--set",
        "gateway.concurrency=1",
    ]);
    // The gateway settings the run recorded.
    let gateway = |out: &Output| -> serde_json::Value {
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let results = std::fs::read_to_string(out_dir.join("results.json")).unwrap();
        let r: serde_json::Value = serde_json::from_str(&results).unwrap();
        r["scenario"]["gateway"].clone()
    };
    let g = &gateway(&out);
    assert_eq!(
        (g["strategy"].as_str(), g["concurrency"].as_u64()),
        (Some("bounded"), Some(1))
    );
    // Said above the summary, whose header names the file, strategy and seed alone.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("settings (--set): gateway.services.*.queue_capacity=7, gateway.concurrency=1\n"),
        "{stdout}"
    );
    for svc in ["a", "b"] {
        assert_eq!(g["services"][svc]["queue_capacity"].as_u64(), Some(7), "{g}");
    }
    // --strategy goes with the settings, as a sweep's axis would: a bound set for all is every
    // service's, not replaced by bounds sized per service before it was applied (here `a` and
    // `b` drain at different rates).
    two_services((4, "1ms"), (1, "50ms"));
    let g = &gateway(&run(&["--strategy", "bounded", "--set", "gateway.queue_capacity=20"]));
    assert_eq!(g["queue_capacity"].as_u64(), Some(20), "{g}");
    let own = g["services"].as_object().map_or(0, |m| m.len());
    assert_eq!(own, 0, "no per-service bounds: {g}");
    for (extra, says) in [
        (
            vec!["--strategy", "fifo", "--set", "gateway.strategy=bounded"],
            "--set gateway.strategy: given by --strategy too",
        ),
        (
            vec!["--set", "gateway.concurrency=1,2"],
            "--set `gateway.concurrency=1,2`: one value",
        ),
        (
            vec!["--set", "gateway.concurrency=1", "--set", "gateway.concurrency=2"],
            "--set gateway.concurrency: given twice",
        ),
        (vec!["--set", "gateway.queue_capacity=5"], "gateway.queue_capacity"),
    ] {
        let out = run(&extra);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {err}");
        assert!(err.contains(says), "{extra:?}: {err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// `report` of runs that are not what their labels suggest (one file given twice; one scenario
/// at two loads) says so on the page and in summary.md, not on stderr alone, and the comparison
/// chart is not titled a strategy comparison.
#[test]
fn report_warnings_of_mismatched_runs_reach_the_page_and_summary() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("spillway-cli-report-warnings-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("tiny.toml");
    std::fs::write(
        &file,
        "[[workload.phases]]\nduration = \"2s\"\nrate = 5\n\
         [[backend.services]]\nname = \"a\"\nworkers = 2\nservice_time = \"1ms\"\n",
    )
    .unwrap();
    let path = |p: &std::path::Path| p.to_str().expect("utf-8 temp dir").to_string();
    let (a, b, report) = (dir.join("a"), dir.join("b"), dir.join("report"));
    for (out, extra) in [(&a, "workload.phases[0].rate=5"), (&b, "workload.phases[0].rate=8")] {
        let run = spillway(&["sim", "run", &path(&file), "--set", extra, "-o", &path(out)]);
        assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    }
    for (runs, says) in [
        ([path(&a), path(&b)], "are runs of different versions of scenario"),
        ([path(&a), path(&a)], "are the same run"),
    ] {
        let out = spillway(&["report", &runs[0], &runs[1], "-o", &path(&report)]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        for f in ["summary.md", "index.html"] {
            let text = std::fs::read_to_string(report.join(f)).expect("written");
            assert!(text.contains(says), "{f}: {text}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// `loadgen merge` takes the directories shards wrote, as `report` and `compare` take a
/// run's: it said "cannot read results: Is a directory". A directory without results.json
/// is named; a shard's directory that is also --out is refused before it is read.
#[test]
fn loadgen_merge_takes_shard_directories() {
    let dir =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("spillway-merge-dirs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("empty")).expect("dir");
    let at = |p: &str| dir.join(p).display().to_string();
    let steady = format!("{}/steady.toml", scenarios());
    let o = spillway(&["sim", "run", &steady, "-o", &at("sim")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Read as its results.json: a simulated run, which no merge takes (not "Is a directory").
    let o = spillway(&["loadgen", "merge", &at("sim"), &at("sim"), "-o", &at("m")]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("sim/results.json is a simulated run"), "{err}");
    let o = spillway(&["loadgen", "merge", &at("sim"), &at("empty"), "-o", &at("m")]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("empty is a directory without a results.json"), "{err}");
    let o = spillway(&["loadgen", "merge", &at("sim"), "-o", &at("sim")]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("is where --out"), "{err}");
    assert!(dir.join("sim/results.json").is_file(), "the shard is kept");
    // An --out that cannot be written is refused first (exit 2), not after a summary of a
    // merge that is then not saved.
    let o = spillway(&[
        "loadgen",
        "merge",
        &at("sim"),
        &at("sim"),
        "-o",
        &at("sim/results.json/m"),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--out ") && !err.contains("simulated run"), "{err}");
    assert!(o.stdout.is_empty(), "{}", String::from_utf8_lossy(&o.stdout));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Shards run without --target each serve their part of the load with their own in-process
/// stack, the scenario's whole backend: each warns when it runs, and the merge, whose sum reads
/// as one run of the scenario, warns again (it merged them silently).
#[test]
fn loadgen_merge_warns_of_shards_that_ran_in_process() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("spillway-merge-in-process-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let at = |p: &str| dir.join(p).display().to_string();
    let scenario = dir.join("tiny.toml");
    std::fs::write(
        &scenario,
        "[run]\nwindow = \"500ms\"\n[[workload.phases]]\nduration = \"2s\"\nrate = 20\n[clients]\ntimeout = \"1s\"\n[[backend.services]]\nname = \"s\"\nworkers = 2\nservice_time = \"5ms\"\n",
    )
    .expect("scenario");
    for shard in ["0/2", "1/2"] {
        let o = spillway(&[
            "loadgen",
            "run",
            &scenario.display().to_string(),
            "--shard",
            shard,
            "--time-scale",
            "4",
            "--no-progress",
            "-o",
            &at(&format!("shard-{}", &shard[..1])),
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.code().is_some_and(|c| c != 2), "{err}");
        assert!(err.contains("without --target"), "{err}");
    }
    let o = spillway(&["loadgen", "merge", &at("shard-0"), &at("shard-1"), "-o", &at("merged")]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("ran without --target") && err.contains("describe more backends than the scenario's one"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn loadgen_exit_codes_say_what_happened() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("spillway-cli-lg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // An unreachable target: bad input, reported once, before any load.
    let port = closed_port();
    let target = format!("http://127.0.0.1:{port}/x");
    let one_liner = |extra: &[&str]| {
        let mut args = vec!["loadgen", "run", "--target", &target, "--phases", "2s@5"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--out", dir.to_str().unwrap()]);
        spillway(&args)
    };
    let out = one_liner(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stderr).matches("cannot reach").count(), 1);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("WARN"));
    // Phases that offer less than one intent are said of --phases, as of a file's phases.
    let out = spillway(&[
        "loadgen",
        "run",
        "--target",
        &target,
        "--phases",
        "1s@0.5",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--phases: the phases offer about 0.500 intents in all"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A strategy for a target's gateway is not loadgen's to choose: refused, not ignored.
    let out = one_liner(&["--strategy", "deadline"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the target's own gateway decides"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A threshold that cannot hold: exit 3, results still written.
    let sc = dir.join("t.toml");
    std::fs::write(
        &sc,
        "[[workload.phases]]\nduration = \"2s\"\nrate = 20\n[gateway]\nstrategy = \"passthrough\"\n[[backend.services]]\nname = \"s\"\nworkers = 4\nservice_time = \"20ms\"\n\
         [[thresholds]]\ncheck = \"p50 < 1ms\"\n[[thresholds]]\ncheck = \"goodput_ratio >= 0.9\"\n",
    )
    .unwrap();
    let out = spillway(&[
        "loadgen",
        "run",
        sc.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
        "--no-progress",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("FAIL p50 < 1ms") && text.contains("PASS goodput_ratio >= 0.9"),
        "{text}"
    );
    assert!(dir.join("results.json").exists() && dir.join("results.hlog").exists());

    // Bad flags: exit 2 with the flag named.
    let out = spillway(&["loadgen", "run", "--target", "http://127.0.0.1:1/", "--phases", "10@5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--phases"));
    // --phases with a scenario file used to be ignored silently (the file's phases ran).
    let out = spillway(&["loadgen", "run", sc.to_str().unwrap(), "--phases", "1s@5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--phases is for the one-liner"));
    // A target that is no http(s) URL is refused before the run is announced.
    let out = spillway(&["loadgen", "run", "--target", "ftp://127.0.0.1:1/", "--phases", "1s@5"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("expected an http:// or https:// URL"), "{err}");
    assert!(!err.contains("running "), "announced a run it then refused: {err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// A client that closes with answers still unwritten must not kill the server: the binary used
/// to restore SIGPIPE's default for every command, so the server's next write to that socket
/// ended the process (exit 141, no log line).
#[test]
fn servers_survive_clients_that_close_early() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpStream;
    use std::process::Stdio;
    use std::time::Duration;
    let pipelined = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".repeat(2);
    // The HTTP/2 preface and an empty SETTINGS frame: the server answers with its own SETTINGS.
    let h2 = [&b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"[..], &[0, 0, 0, 4, 0, 0, 0, 0, 0]].concat();
    let cases: [(&[&str], bool, &[u8]); 2] = [
        (&["mock-legacy", "--listen", "127.0.0.1:0"], false, &pipelined),
        (
            &["gateway", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:9"],
            true,
            &h2,
        ),
    ];
    for (args, url_on_stdout, hello) in cases {
        let mut child = Command::new(env!("CARGO_BIN_EXE_spillway"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spillway runs");
        let (out, err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
        let (mut first, second): (Box<dyn BufRead + Send>, Box<dyn Read + Send>) = if url_on_stdout {
            (Box::new(BufReader::new(out)), Box::new(err))
        } else {
            (Box::new(BufReader::new(err)), Box::new(out))
        };
        let mut port = None;
        let mut line = String::new();
        for _ in 0..20 {
            line.clear();
            if first.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            if let Some(i) = line.find("http://127.0.0.1:") {
                let digits: String = line[i + 17..].chars().take_while(char::is_ascii_digit).collect();
                port = digits.parse::<u16>().ok();
                break;
            }
        }
        let Some(port) = port else {
            child.kill().ok();
            panic!("{args:?}: no listening address (last line: {line})");
        };
        // Keep draining both pipes so the server never blocks on a full one.
        for mut r in [first as Box<dyn Read + Send>, second] {
            std::thread::spawn(move || std::io::copy(&mut r, &mut std::io::sink()));
        }
        for _ in 0..20 {
            // Close at once, before the answers are written; then give the server time to write.
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                s.write_all(hello).ok();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(300));
        let alive = child.try_wait().unwrap().is_none();
        let answer = TcpStream::connect(("127.0.0.1", port)).ok().map(|mut s| {
            s.set_read_timeout(Some(Duration::from_secs(5))).ok();
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .ok();
            let mut buf = String::new();
            s.read_to_string(&mut buf).ok();
            buf
        });
        child.kill().ok();
        let status = child.wait().unwrap();
        assert!(alive, "{args:?} died: {status:?}");
        let answer = answer.unwrap_or_default();
        assert!(answer.starts_with("HTTP/1.1 200"), "{args:?}: {answer}");
    }
}

/// A server's stdout closed early (`spillway gateway ... | head -0`) ends it quietly, as SIGPIPE
/// would, rather than with a panic and a backtrace (servers keep SIGPIPE ignored for their
/// sockets, so `println!` panics instead).
#[test]
fn a_closed_stdout_ends_a_server_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    // A pipe whose read end is closed before the server starts: with `Stdio::piped()` closed
    // after the spawn, a server that printed its start-up line first (this thread descheduled
    // between the two, under the load of the other tests) had it buffered and ran on with
    // nothing more to print.
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let mut child = Command::new(env!("CARGO_BIN_EXE_spillway"))
        .args(["gateway", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:9"])
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spillway runs");
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        // It ends in milliseconds; the bound is wide because the other tests of this binary
        // drive load on the same two cores (a CI run once took the gateway past 10 s).
        if started.elapsed() > std::time::Duration::from_secs(30) {
            child.kill().ok();
            panic!("still running 30 s after its stdout closed");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).ok();
    assert_eq!(status.code(), Some(141), "{status:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// A second Ctrl-C stops a draining server at once. The first starts the drain, which waits up
/// to 5 s for a request in flight (here one that would take 30 s: a slow mock service, or a
/// gateway whose upstream never answers); an operator who signals again is not kept waiting.
#[cfg(unix)]
#[test]
fn a_second_interrupt_cuts_the_drain_short() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::process::Stdio;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{mpsc, Arc};
    use std::time::{Duration, Instant};

    /// Polls `ready` every 20 ms for up to 20 s.
    fn eventually(mut ready: impl FnMut() -> bool) -> bool {
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            if ready() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    // The gateway's upstream: accepts, reads, never answers; says when a request came in.
    let hung = TcpListener::bind("127.0.0.1:0").expect("bind");
    hung.set_nonblocking(true).expect("nonblocking");
    let hung_url = format!("http://{}", hung.local_addr().expect("addr"));
    let (done, upstream_got_request) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let held = std::thread::spawn({
        let (done, got) = (done.clone(), upstream_got_request.clone());
        move || {
            let mut conns = Vec::new();
            let until = Instant::now() + Duration::from_secs(120);
            while Instant::now() < until && !done.load(Ordering::Relaxed) {
                if let Ok((c, _)) = hung.accept() {
                    c.set_nonblocking(true).ok();
                    conns.push(c);
                }
                for c in &mut conns {
                    if matches!(c.read(&mut [0u8; 4096]), Ok(n) if n > 0) {
                        got.store(true, Ordering::Relaxed);
                    }
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    });
    let cases: [&[&str]; 2] = [
        &[
            "mock-legacy",
            "--listen",
            "127.0.0.1:0",
            "--workers",
            "1",
            "--service-time",
            "30s",
        ],
        &["gateway", "--listen", "127.0.0.1:0", "--upstream", &hung_url],
    ];
    for args in cases {
        let mut server = Reaped(
            Command::new(env!("CARGO_BIN_EXE_spillway"))
                .args(args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spillway runs"),
        );
        let pid = server.0.id() as libc::pid_t;
        let interrupt = || {
            // SAFETY: kill(2) with the pid of our own child, not yet reaped (so not reused).
            assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
        };
        // Both pipes, line by line, on threads: a server never blocks on a full pipe and the
        // test never blocks on a server that stopped talking.
        let (tx, rx) = mpsc::channel::<String>();
        for pipe in [
            Box::new(server.0.stdout.take().expect("stdout")) as Box<dyn Read + Send>,
            Box::new(server.0.stderr.take().expect("stderr")),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        drop(tx);
        let mut seen = Vec::new();
        let wait_for = |what: &str, seen: &mut Vec<String>| -> Option<String> {
            let until = Instant::now() + Duration::from_secs(20);
            while let Some(left) = until.checked_duration_since(Instant::now()) {
                let line = rx.recv_timeout(left).ok()?;
                seen.push(line.clone());
                if line.contains(what) {
                    return Some(line);
                }
            }
            None
        };
        let listening = wait_for("listening on http://", &mut seen);
        let addr = listening
            .as_deref()
            .and_then(|l| l.rsplit("http://").next())
            .unwrap_or_default()
            .trim()
            .to_string();
        assert!(!addr.is_empty(), "{args:?}: no listening address: {seen:?}");
        let mut request = TcpStream::connect(&addr).expect("connect");
        request
            .write_all(b"GET /any/path HTTP/1.1\r\nHost: x\r\n\r\n")
            .expect("send");
        // The request is on the mock's worker, or the gateway's call is at the upstream.
        let in_flight = if args[0] == "gateway" {
            eventually(|| upstream_got_request.load(Ordering::Relaxed))
        } else {
            eventually(|| {
                let Ok(mut s) = TcpStream::connect(&addr) else {
                    return false;
                };
                s.set_read_timeout(Some(Duration::from_secs(5))).ok();
                s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .ok();
                let mut text = String::new();
                s.read_to_string(&mut text).ok();
                text.lines()
                    .any(|l| l.starts_with("mock_legacy_in_flight") && l.ends_with(" 1"))
            })
        };
        assert!(in_flight, "{args:?}: the request never got in flight: {seen:?}");
        interrupt();
        let draining = wait_for("shutting down", &mut seen);
        assert!(
            draining.is_some(),
            "{args:?}: the first signal starts the drain: {seen:?}"
        );
        interrupt();
        let stopped_at_once = wait_for("signalled again", &mut seen);
        assert!(
            stopped_at_once.is_some(),
            "{args:?}: the second stops at once: {seen:?}"
        );
        // Without the second signal the drain would run its 5 s and end with a warning about
        // the drain timeout; stopped at once, the process exits without one. What it says, read
        // to its end (the pipes close when it exits), tells the two apart on a machine of any
        // speed; `eventually`'s 20 s only keeps a process that never exits from hanging the test.
        let exited = eventually(|| server.0.try_wait().ok().flatten().is_some());
        assert!(exited, "{args:?}: no exit after the second signal: {seen:?}");
        let until = Instant::now() + Duration::from_secs(20);
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            match rx.recv_timeout(left) {
                Ok(line) => seen.push(line),
                Err(_) => break,
            }
        }
        assert!(
            !seen.iter().any(|l| l.contains("drain timeout")),
            "{args:?}: stopped at once, not at the end of the drain: {seen:?}"
        );
        assert!(server.0.wait().is_ok_and(|s| s.success()), "{args:?}: exit status");
        drop(request);
    }
    done.store(true, Ordering::Relaxed);
    held.join().expect("the upstream thread");
}

/// Ctrl-C in a sweep, or in replications, finishes the simulations under way, writes the points
/// (seeds) that ran, says it was interrupted, and exits 130; nothing is lost.
#[cfg(unix)]
#[test]
fn an_interrupted_sweep_or_replication_writes_what_ran_and_exits_130() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("spillway-sweep-interrupt-{}", std::process::id()));
    let scenario = format!("{}/death-spiral.toml", scenarios());
    let sweep_out = dir.join("sweep");
    let reps_out = dir.join("reps");
    // Each far longer than the wait before the interrupt: 600 and 5,000 simulations.
    let sweep: Vec<&str> = vec![
        "sim",
        "sweep",
        &scenario,
        "--vary",
        "gateway.strategy=fifo,deadline,bounded",
        "--vary",
        "gateway.concurrency=1..8",
        "--vary",
        "clients.timeout=1s,2s,3s,4s,5s",
        "--replications",
        "5",
        "-o",
        sweep_out.to_str().expect("utf-8 temp dir"),
    ];
    let reps: Vec<&str> = vec![
        "sim",
        "run",
        &scenario,
        "--replications",
        "5000",
        "-o",
        reps_out.to_str().expect("utf-8 temp dir"),
    ];
    // Interrupted once something ran. Replications write each seed as it ends, so the test
    // waits for the first; a sweep writes only at its end, so the test waits a while and, if no
    // point had finished by then (a loaded machine), runs it again with a longer wait.
    let mut cases = vec![(sweep.clone(), "sweeping", Duration::from_millis(1500))];
    let mut tries = 0;
    while let Some((args, started, wait)) = cases.pop() {
        let mut run = Reaped(
            Command::new(env!("CARGO_BIN_EXE_spillway"))
                .args(&args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spillway runs"),
        );
        let stdout = run.0.stdout.take().expect("stdout");
        let stderr = run.0.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let printed = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
        // The sweep says when it starts; replications start at once.
        let until = Instant::now() + Duration::from_secs(20);
        while !started.is_empty() {
            let left = until.saturating_duration_since(Instant::now());
            let line = rx.recv_timeout(left).expect("the sweep starts");
            if line.contains(started) {
                break;
            }
        }
        if args[1] == "run" {
            // Seeds are staged there until every one ran (or Ctrl-C), then moved into place.
            let staged = reps_out.join(".spillway-replications.tmp");
            let until = Instant::now() + Duration::from_secs(60);
            while !std::fs::read_dir(&staged)
                .is_ok_and(|mut d| d.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("seed-"))))
            {
                assert!(Instant::now() < until, "no replication finished within 60 s");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        std::thread::sleep(wait);
        let pid = run.0.id() as libc::pid_t;
        // SAFETY: kill(2) with the pid of our own child, not yet reaped (so not reused).
        assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
        let until = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(s) = run.0.try_wait().expect("wait") {
                break s;
            }
            assert!(Instant::now() < until, "{args:?} did not end within 60 s of Ctrl-C");
            std::thread::sleep(Duration::from_millis(20));
        };
        let text = printed.join().expect("stdout read");
        assert_eq!(status.code(), Some(130), "{args:?}: {text}");
        if args[1] == "sweep" {
            if text.contains("nothing written") && tries < 3 {
                tries += 1;
                cases.push((args, started, wait * 3));
                continue;
            }
            assert!(text.starts_with("interrupted: "), "{text}");
            cases.push((reps.clone(), "", Duration::from_millis(300)));
            let table: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(sweep_out.join("sweep.json")).expect("sweep.json written"),
            )
            .expect("sweep.json is JSON");
            assert_eq!(table["planned_points"], 120, "{table}");
            let ran = table["points"].as_array().expect("points").len();
            assert!(ran < 120, "{ran} points: the interrupt stopped nothing");
            let csv = std::fs::read_to_string(sweep_out.join("sweep.csv")).expect("sweep.csv written");
            assert_eq!(csv.lines().count(), ran + 1, "a header and a line per point that ran");
            assert!(
                text.contains(&format!("interrupted: {ran} of 120 points simulated")),
                "{text}"
            );
        } else {
            assert!(text.contains("interrupted: "), "{text}");
            let summary: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(reps_out.join("replications.json")).expect("replications.json written"),
            )
            .expect("replications.json is JSON");
            let seeds = std::fs::read_dir(&reps_out)
                .expect("out dir")
                .filter(|e| {
                    e.as_ref()
                        .is_ok_and(|e| e.file_name().to_string_lossy().starts_with("seed-"))
                })
                .count();
            assert!(seeds > 0 && seeds < 5000, "{seeds} seeds written");
            assert!(text.contains(&format!("interrupted: {seeds} of 5000 ran")), "{text}");
            assert_eq!(summary["replications"], seeds, "{summary}");
            assert_eq!(summary["planned_replications"], 5000, "{summary}");
            // The report of it says so where its figures are shown, not only on stdout here.
            let report_out = dir.join("report");
            let out = spillway(&[
                "report",
                reps_out.to_str().expect("utf-8 temp dir"),
                "-o",
                report_out.to_str().expect("utf-8 temp dir"),
            ]);
            let printed = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{printed}");
            let mark = format!("interrupted: {seeds} of 5000 seeds");
            assert!(printed.contains(&mark), "{printed}");
            let md = std::fs::read_to_string(report_out.join("summary.md")).expect("summary.md written");
            assert!(md.contains(&mark), "{md}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A note that only some compared configurations bring (a variant's `backoff = "none"` under the
/// file's jitter) is said with their label; one every configuration shares, once without.
#[test]
fn compare_says_which_configuration_a_note_is_about() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("spillway-compare-notes-{}", std::process::id()));
    let out = spillway(&[
        "compare",
        &format!("{}/retry-storm.toml", scenarios()),
        "--variant",
        "immediate:clients.retry.backoff=none",
        "--variant",
        "budget:clients.retry.budget.ratio=0.1",
        "-o",
        dir.to_str().expect("utf-8 temp dir"),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("immediate: clients.retry.jitter: \"full\" jitters the backoff"),
        "{err}"
    );
    assert!(!err.contains("budget: clients.retry.jitter"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// An expectation on a recovery that no run of the scenario can judge (it ends two windows after
/// its trigger, and judging takes five) is bad input, as the same bound in the file is: exit 2
/// before anything runs, not exit 3 after every run read "not judged".
#[test]
fn compare_refuses_an_expectation_on_a_recovery_no_run_can_judge() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("spillway-compare-unjudged-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("short.toml");
    std::fs::write(
        &file,
        "[run]\nwindow = \"1s\"\n\
         [[workload.phases]]\nduration = \"20s\"\nrate = 20\n\
         [[workload.phases]]\nduration = \"5s\"\nrate = 80\ntrigger = true\n\
         [[workload.phases]]\nduration = \"2s\"\nrate = 20\n\
         [[backend.services]]\nname = \"s\"\nworkers = 2\nservice_time = \"50ms\"\n",
    )
    .expect("scenario written");
    let out_dir = dir.join("out");
    let run = |expect: &str| {
        spillway(&[
            "compare",
            file.to_str().expect("utf-8 temp dir"),
            "--strategies",
            "fifo,bounded",
            "--expect",
            expect,
            "-o",
            out_dir.to_str().expect("utf-8 temp dir"),
        ])
    };
    let out = run("bounded.recovery < 5s");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--expect `bounded.recovery < 5s`: run `bounded`: `recovery` could never be judged"),
        "{err}"
    );
    assert!(!out_dir.exists(), "nothing ran");
    // Another figure of the same runs is judged as usual.
    let out = run("bounded.goodput > 0");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_dir_all(&dir).ok();
}

/// A plain HTTP server on 127.0.0.1 (an OS-chosen port) answering every request 200 at once,
/// on threads the test process ends with: a target that is not spillway's.
fn plain_target() -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for conn in listener.incoming().map_while(Result::ok) {
            std::thread::spawn(move || {
                let mut conn = conn;
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while let Ok(n) = conn.read(&mut chunk) {
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        buf.drain(..end + 4);
                        if conn
                            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                            .is_err()
                        {
                            return;
                        }
                    }
                }
            });
        }
    });
    format!("http://{addr}/x")
}

/// What loadgen's flags cannot do is said before the run: `--time-scale` against a target that
/// runs in real time (every timeout too short, every latency too long), and a `--duration` that
/// ends inside the trigger (no verdict).
#[test]
fn loadgen_says_before_the_run_what_its_flags_cannot_do() {
    let dir =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("spillway-cli-lgwarn-{}", std::process::id()));
    let target = plain_target();
    let out_dir = dir.to_str().unwrap().to_string();
    let one_liner = |extra: &[&str]| {
        let mut args = vec![
            "loadgen",
            "run",
            "--target",
            &target,
            "--no-progress",
            "--out",
            &out_dir,
        ];
        args.extend_from_slice(extra);
        spillway(&args)
    };
    let out = one_liner(&[
        "--phases",
        "1s@5,1s@10!,1s@5",
        "--time-scale",
        "2",
        "--duration",
        "1500ms",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("--time-scale 2 with --target: the target must run 2 times faster too"),
        "{err}"
    );
    assert!(err.contains("--duration 1.50s ends during the trigger phase"), "{err}");
    // A file's own time scale is named as the file's, not as a flag never passed.
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("scaled.toml");
    std::fs::write(
        &file,
        "[run]\ntime_scale = 2\n[[workload.phases]]\nduration = \"1s\"\nrate = 5\n[clients]\ntimeout = \"1s\"\n\
         [[backend.services]]\nname = \"x\"\nworkers = 1\nservice_time = { dist = \"exponential\", mean = \"1ms\" }\n",
    )
    .unwrap();
    // The file against the target.
    let with_file = || {
        spillway(&[
            "loadgen",
            "run",
            file.to_str().unwrap(),
            "--target",
            &target,
            "--no-progress",
            "--out",
            &out_dir,
        ])
    };
    let out = with_file();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!("run.time_scale = 2 in {} with --target", file.display())),
        "{err}"
    );
    // Wasted work is not measured against a --target: a bound on it given as a flag is refused
    // before the run; the file's own is warned of.
    let out = one_liner(&["--phases", "1s@5", "--threshold", "wasted_ratio < 0.1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--threshold `wasted_ratio < 0.1`: against a --target loadgen sees no backend work"),
        "{err}"
    );
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("time_scale = 2", "time_scale = 1");
    std::fs::write(&file, format!("{text}[[thresholds]]\ncheck = \"wasted < 1s\"\n")).unwrap();
    let out = with_file();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "fails as not measured: {err}");
    assert!(
        err.contains("thresholds[0] `wasted < 1s`: against a --target loadgen sees no backend work"),
        "{err}"
    );
    // At time scale 1 and the whole run, neither.
    let out = one_liner(&["--phases", "1s@5"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("--time-scale") && !err.contains("--duration"), "{err}");
    // Jitter with no backoff to spread does nothing; with one it is what it says.
    let jitter = |backoff: &str| {
        let out = one_liner(&[
            "--phases",
            "1s@5",
            "--retries",
            "2",
            "--jitter",
            "full",
            "--backoff",
            backoff,
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stderr)
            .contains("jitter \"full\" (--jitter, clients.retry.jitter) spreads the backoff")
    };
    assert!(jitter("none"), "warned without a backoff");
    assert!(!jitter("fixed"), "not with one");
    // The one-liner gates on --threshold like a file's [[thresholds]]: a CI job can fail.
    let gated = |check: &str| {
        one_liner(&[
            "--phases",
            "1s@5",
            "--threshold",
            "goodput_ratio >= 0.9",
            "--threshold",
            check,
        ])
    };
    let out = gated("p50 < 1us");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains("PASS goodput_ratio >= 0.9") && text.contains("FAIL p50 < 1us"),
        "{text}"
    );
    let out = gated("p50 < soon");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--threshold `p50 < soon`:"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// A gateway whose upstream is not listening says so at start: every request would otherwise
/// be a 502 with nothing to say why (review, stop 42). Once the upstream comes up, its time
/// scale is checked as at start: a mock started after the gateway at another scale went
/// unflagged.
#[test]
fn a_gateway_warns_of_an_upstream_that_refuses_connections() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let port = closed_port();
    let upstream = format!("http://127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_spillway"))
        .args(["gateway", "--listen", "127.0.0.1:0", "--upstream", &upstream])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spillway runs");
    let err = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    // The next line that contains `what`, within 30 s.
    let next = |what: &str| loop {
        match rx.recv_timeout(std::time::Duration::from_secs(30)) {
            Ok(line) if line.contains(what) => break Some(line),
            Ok(_) => {}
            Err(_) => break None,
        }
    };
    let line = next("does not accept connections");
    let mut mock = None;
    if line.is_some() {
        mock = Command::new(env!("CARGO_BIN_EXE_spillway"))
            .args([
                "mock-legacy",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--time-scale",
                "3",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .ok();
    }
    // The mock could not bind (another test took the port meanwhile): said at once, with its
    // error, rather than as a missing warning 30 s later.
    std::thread::sleep(std::time::Duration::from_millis(300));
    if let Some(m) = mock.as_mut() {
        if let Ok(Some(status)) = m.try_wait() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut m.stderr.take().unwrap(), &mut err).ok();
            child.kill().ok();
            child.wait().ok();
            panic!("the mock did not start on port {port} ({status}): {err}");
        }
    }
    let mismatch = next("runs at time scale 3, this process at 1");
    for c in [Some(&mut child), mock.as_mut()].into_iter().flatten() {
        c.kill().ok();
        c.wait().ok();
    }
    let line = line.expect("the warning within 30 s");
    assert!(
        line.contains(&format!("the upstream {upstream} does not accept connections")) && line.contains("get 502"),
        "{line}"
    );
    assert!(mock.is_some(), "the mock starts");
    mismatch.expect("the time scale checked once the upstream is up");
}

/// A negative duration given to a flag is said to be one by the flag's own parser: clap read
/// `-1s` as an unknown flag `-1` ("unexpected argument '-1' found"). A flag where the value
/// goes is still said to be a flag, not taken as the value.
#[test]
fn a_negative_duration_flag_is_said_to_be_negative() {
    let port = closed_port();
    let target = format!("http://127.0.0.1:{port}/x");
    let refused = |args: &[&str], says: &str| {
        let out = spillway(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(says) && !err.contains("unexpected argument"),
            "{args:?}: {err}"
        );
    };
    let negative = "got `-1s`: a duration cannot be negative";
    refused(&["gateway", "--queue-timeout", "-1s"], negative);
    refused(&["gateway", "--default-timeout", "-1s"], negative);
    refused(&["mock-legacy", "--service-time", "-1s"], negative);
    refused(&["loadgen", "run", "--target", &target, "--phases", "-1s@10"], negative);
    refused(
        &["loadgen", "run", "--target", &target, "--phases", "10s@5,-1s@10"],
        negative,
    );
    // (A flag with a value of its own after it, `--queue-timeout --strategy fifo`, leaves that
    // value, `fifo`, to clap as an unexpected argument, as loadgen's `--timeout` always has.)
    refused(
        &["gateway", "--queue-timeout", "--no-pushback"],
        "got the flag `--no-pushback`: give this flag its value first",
    );
    refused(
        &["loadgen", "run", "--phases", "--target", &target],
        "got the flag `--target`: give this flag its value first",
    );
    refused(
        &["mock-legacy", "--service-time", "--workers"],
        "got the flag `--workers`: give this flag its value first",
    );
}

/// `gateway --scenario` says at start-up what `scenario check` notes of its settings (here a
/// concurrency past a rejecting service's workers) and what it enforces beside its strategy
/// (auth, rate limit), in scenario time; the notes are of the settings as the flags leave them.
#[test]
fn the_gateway_says_its_notes_and_its_front_at_start_up() {
    use std::io::BufRead;
    use std::process::Stdio;
    let dir =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("spillway-cli-gwnotes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("gw.toml");
    std::fs::write(
        &file,
        "[[workload.phases]]\nduration = \"8s\"\nrate = 20\n\
         [gateway]\nstrategy = \"bounded\"\nqueue_capacity = 10\nconcurrency = 8\n\
         auth = { keys = [\"k1\", \"k2\"] }\nrate_limit = { rate = 3, burst = 5 }\n\
         [[backend.services]]\nname = \"orders\"\nworkers = 2\nservice_time = \"40ms\"\noverload = \"reject\"\n",
    )
    .unwrap();
    // The gateway's log up to its routes line (the last of its start-up), then stopped.
    let start_up = |extra: &[&str]| -> String {
        let mut child = Command::new(env!("CARGO_BIN_EXE_spillway"))
            .args([
                "gateway",
                "--scenario",
                file.to_str().unwrap(),
                "--listen",
                "127.0.0.1:0",
            ])
            .args(["--upstream", "http://127.0.0.1:9", "--time-scale", "10"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spillway runs");
        let err = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut log = String::new();
        while let Ok(line) = rx.recv_timeout(std::time::Duration::from_secs(30)) {
            log.push_str(&line);
            log.push('\n');
            if line.contains("INFO routes:") {
                break;
            }
        }
        child.kill().ok();
        child.wait().ok();
        log
    };
    let log = start_up(&[]);
    assert!(
        log.contains("WARN gateway.concurrency: the gateway sends service `orders` up to 8 requests at once"),
        "{log}"
    );
    // In scenario time (3/s), not the 30/s the gateway runs at 10 times faster (nor 3/s
    // scaled there and back, 0.30000000000000004 at 10x).
    assert!(
        log.contains("INFO also: rate limit 3/s per client (burst 5), 429 past it; auth: 2 key(s), 401 without one"),
        "{log}"
    );
    // The note on credentials concerns the clients, which a gateway's file need not describe.
    assert!(!log.contains("[clients.credentials]"), "{log}");
    // Of the settings that run: a flag that removes the note's cause removes the note; one
    // that does not keeps it.
    let log = start_up(&["--concurrency", "2"]);
    assert!(log.contains("INFO routes:"), "{log}");
    assert!(!log.contains("WARN gateway.concurrency"), "{log}");
    let log = start_up(&["--queue-timeout", "5s"]);
    assert!(log.contains("WARN gateway.concurrency"), "{log}");
    std::fs::remove_dir_all(&dir).ok();
}

/// The one-liner's `--priority`: the class its requests carry in `x-spillway-priority`, or no
/// such header at all with `none` (for a target that classifies requests itself, such as the
/// gateway by its priority routes); refused with a scenario file, whose mix gives the classes.
#[test]
fn the_one_liner_sends_the_priority_it_is_given_or_none() {
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};
    // A target that answers 200 and keeps each request's priority header ("-" without one).
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let target = format!("http://{}/x", listener.local_addr().expect("addr"));
    let kept = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().map_while(Result::ok) {
            let kept = kept.clone();
            std::thread::spawn(move || {
                let mut conn = conn;
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while let Ok(n) = conn.read(&mut chunk) {
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                        let class = head
                            .lines()
                            .find_map(|l| l.strip_prefix("x-spillway-priority:"))
                            .map_or("-".to_string(), |v| v.trim().to_string());
                        kept.lock().unwrap().push(class);
                        buf.drain(..end + 4);
                        if conn
                            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                            .is_err()
                        {
                            return;
                        }
                    }
                }
            });
        }
    });
    let dir =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("spillway-cli-prio-{}", std::process::id()));
    let out_dir = dir.to_str().unwrap().to_string();
    let mut classes = Vec::new();
    for priority in [None, Some("background"), Some("none")] {
        seen.lock().unwrap().clear();
        let mut args = vec![
            "loadgen",
            "run",
            "--target",
            &target,
            "--phases",
            "1s@10",
            "--no-progress",
        ];
        args.extend(["--out", &out_dir]);
        if let Some(p) = priority {
            args.extend(["--priority", p]);
        }
        let out = spillway(&args);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let mut got = seen.lock().unwrap().clone();
        got.dedup();
        classes.push(got);
    }
    assert_eq!(classes, [vec!["interactive"], vec!["background"], vec!["-"]]);
    // A file's classes are its mix's.
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("f.toml");
    std::fs::write(
        &file,
        "[[workload.phases]]\nduration = \"1s\"\nrate = 5\n[[backend.services]]\nname = \"x\"\nworkers = 1\nservice_time = \"1ms\"\n",
    )
    .unwrap();
    let out = spillway(&[
        "loadgen",
        "run",
        file.to_str().unwrap(),
        "--target",
        &target,
        "--priority",
        "none",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--priority is the one-liner's"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
