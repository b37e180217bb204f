//! Inputs a fuzz review found mishandled: a replications count no run makes (`report`), results
//! `compare --baseline` read otherwise than `report`, and `loadgen run --rate` said of the
//! file's load rather than the one sent.

use std::path::PathBuf;
use std::process::{Command, Output};

fn spillway(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spillway"))
        .args(args)
        .output()
        .expect("spillway runs")
}

fn scenario(name: &str) -> String {
    format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let d = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("spillway-review-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A replications.json whose count no `sim run --replications` makes (2^64 - 1 ran for ever
/// in ever more memory, listing the seeds missing) is refused naming the file and the field;
/// a count within the cap lists the first seeds missing and how many more.
#[test]
fn report_refuses_a_replications_count_no_run_makes() {
    let d = scratch("reps");
    let out = d.join("D");
    let o = out.to_str().unwrap();
    let run = spillway(&["sim", "run", &scenario("steady.toml"), "--replications", "3", "-o", o]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let listing = out.join("replications.json");
    let original: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&listing).unwrap()).unwrap();
    let report = |field: &str, n: u64| {
        let mut v = original.clone();
        v[field] = n.into();
        std::fs::write(&listing, serde_json::to_string(&v).unwrap()).unwrap();
        spillway(&["report", o, "-o", d.join("R").to_str().unwrap()])
    };
    // (2^64 - 1 last: without the cap it never returns.)
    for (field, n) in [
        ("replications", 10_001),
        ("planned_replications", u64::MAX),
        ("replications", u64::MAX),
    ] {
        let r = report(field, n);
        assert_eq!(r.status.code(), Some(2), "{field} {n}: {}", stderr(&r));
        let e = stderr(&r);
        assert!(
            e.contains(&listing.display().to_string())
                && e.contains(&format!("`{field}` is {n}: more than the 10000 seeds")),
            "{field} {n}: {e}"
        );
    }
    // At the cap, 3 of 10000 seeds: the first 8 missing named, the rest counted.
    let r = report("replications", 10_000);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert!(stderr(&r).contains(" and 9989 more missing;"), "{}", stderr(&r));
    let _ = std::fs::remove_dir_all(&d);
}

/// `compare --baseline` reads its files as `report` reads a results.json, with its messages:
/// it said ":1:0: EOF while parsing a value" of an empty file, "invalid length 0, expected
/// struct Version with 1 element" of `[]`, and "invalid utf-8 sequence" of bytes not UTF-8.
#[test]
fn compare_baseline_reads_results_as_report_does() {
    let d = scratch("baseline");
    let good = d.join("good");
    let run = spillway(&["sim", "run", &scenario("steady.toml"), "-o", good.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let good = good.join("results.json");
    let mut not_utf8 = b"{\"schema\": 1, \"tool\": \"".to_vec();
    not_utf8.extend([0xff, b'"', b'}']);
    for (what, bytes) in [
        ("empty", b"".to_vec()),
        ("array", b"[]".to_vec()),
        ("not-utf8", not_utf8),
    ] {
        let bad = d.join(what).join("results.json");
        std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
        std::fs::write(&bad, bytes).unwrap();
        let report = spillway(&["report", bad.to_str().unwrap(), "-o", d.join("R").to_str().unwrap()]);
        assert_eq!(report.status.code(), Some(2), "{what}: {}", stderr(&report));
        let said = stderr(&report);
        let said = said.lines().find(|l| l.starts_with("error: ")).expect("an error line");
        for (old, new) in [(&bad, &good), (&good, &bad)] {
            let o = d.join("B");
            let cmp = spillway(&[
                "compare",
                "--baseline",
                old.to_str().unwrap(),
                new.to_str().unwrap(),
                "-o",
                o.to_str().unwrap(),
            ]);
            assert_eq!(cmp.status.code(), Some(2), "{what}: {}", stderr(&cmp));
            assert!(
                stderr(&cmp).lines().any(|l| l == said),
                "{what}: report said\n{said}\ncompare said\n{}",
                stderr(&cmp)
            );
        }
    }
    let _ = std::fs::remove_dir_all(&d);
}

/// A loopback port nothing listens on: the run stops at "cannot reach", after the warnings
/// said before any load.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `loadgen run FILE --rate R` warns that the phases offer less than one intent of the load it
/// sends (the file's own was checked before the rate applied, and said nothing), says nothing
/// of the file's when the rate lifts it, and names --rate when the rate makes the phases
/// invalid.
#[test]
fn loadgen_rate_is_warned_of_as_sent() {
    let d = scratch("rate");
    let target = format!("http://127.0.0.1:{}/x", closed_port());
    let run = |file: &str, rate: &str| {
        spillway(&[
            "loadgen",
            "run",
            file,
            "--target",
            &target,
            "--rate",
            rate,
            "-o",
            d.join("L").to_str().unwrap(),
        ])
    };
    let steady = scenario("steady.toml");
    let tiny = run(&steady, "0.001");
    assert!(
        stderr(&tiny).contains("--rate 0.001 scales workload.phases: the phases offer about"),
        "{}",
        stderr(&tiny)
    );
    // A file that offers less than an intent, lifted by --rate: nothing to warn of.
    let text = std::fs::read_to_string(&steady)
        .unwrap()
        .replace("rate = 120", "rate = 0.001");
    assert!(text.contains("rate = 0.001"));
    let small = d.join("small.toml");
    std::fs::write(&small, text).unwrap();
    let alone = spillway(&["scenario", "check", small.to_str().unwrap()]);
    assert!(
        stderr(&alone).contains("intents in all") || String::from_utf8_lossy(&alone.stdout).contains("intents in all")
    );
    let lifted = run(small.to_str().unwrap(), "100");
    assert!(!stderr(&lifted).contains("intents in all"), "{}", stderr(&lifted));
    // Past what a run may offer: said of the flag.
    let huge = run(&steady, "1e300");
    assert_eq!(huge.status.code(), Some(2), "{}", stderr(&huge));
    assert!(
        stderr(&huge).contains("--rate 1e300 (it scales workload.phases): the phases offer about"),
        "{}",
        stderr(&huge)
    );
    let _ = std::fs::remove_dir_all(&d);
}
