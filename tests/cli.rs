//! The `spillway` binary as a user runs it: help, exit codes, errors on stderr.

use std::process::{Command, Output};

fn spillway(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spillway"))
        .args(args)
        .output()
        .expect("spillway runs")
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
}

#[test]
fn scenario_check_prints_a_summary_or_a_positioned_error() {
    let out = spillway(&["scenario", "check", &format!("{}/death-spiral.toml", scenarios())]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("capacity/s") && text.contains("OVERLOAD"), "{text}");

    let dir = std::env::temp_dir().join(format!("spillway-cli-{}", std::process::id()));
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
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn loadgen_exit_codes_say_what_happened() {
    let dir = std::env::temp_dir().join(format!("spillway-cli-lg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // An unreachable target: bad input, reported once, before any load.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = spillway(&[
        "loadgen",
        "run",
        "--target",
        &format!("http://127.0.0.1:{port}/x"),
        "--phases",
        "2s@5",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stderr).matches("cannot reach").count(), 1);

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
    std::fs::remove_dir_all(&dir).ok();
}
