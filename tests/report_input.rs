//! `spillway report` on results files and sweep tables that no run writes: each is refused
//! (exit 2) with an error naming the file and the field, and the files runs do write still
//! report.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn spillway(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spillway"))
        .args(args)
        .output()
        .expect("spillway runs")
}

fn scenario(name: &str) -> String {
    format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"))
}

/// A fresh directory for one test, under this process's parent. Runs shared between tests
/// (see [`made`]) outlive any one test, so nothing removes them after it: each run of this
/// binary removes the parents of earlier runs instead, those untouched for an hour (another
/// run may be going on beside this one, on the same target directory).
fn scratch(name: &str) -> PathBuf {
    const PREFIX: &str = "spillway-report-input-";
    static PARENT: OnceLock<PathBuf> = OnceLock::new();
    let parent = PARENT.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let stale = |e: &std::fs::DirEntry| {
            e.file_name().to_string_lossy().starts_with(PREFIX)
                && e.metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t.elapsed().is_ok_and(|age| age.as_secs() > 3600))
        };
        for e in std::fs::read_dir(root).into_iter().flatten().flatten() {
            if stale(&e) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
        root.join(format!("{PREFIX}{}", std::process::id()))
    });
    let dir = parent.join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// Runs `args` (a `sim` command writing into `out`) once per test binary.
fn made(cell: &'static OnceLock<PathBuf>, name: &str, args: &[&str]) -> &'static Path {
    cell.get_or_init(|| {
        let out = scratch(name);
        let mut all: Vec<&str> = args.to_vec();
        let o = out.display().to_string();
        all.extend(["-o", &o]);
        let run = spillway(&all);
        // 3: a threshold failed, which is a run all the same.
        assert!(
            matches!(run.status.code(), Some(0 | 3)),
            "{args:?}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        out
    })
}

/// death-spiral under deadline: a trigger, a recovery, two thresholds that pass.
fn deadline_run() -> &'static Path {
    static RUN: OnceLock<PathBuf> = OnceLock::new();
    let s = scenario("death-spiral");
    made(&RUN, "deadline", &["sim", "run", &s, "--strategy", "deadline"])
}

/// A scenario with several services, which results keep figures of.
fn services_run() -> &'static Path {
    static RUN: OnceLock<PathBuf> = OnceLock::new();
    let s = scenario("one-bad-service");
    made(&RUN, "services", &["sim", "run", &s])
}

fn death_spiral_sweep() -> &'static Path {
    static RUN: OnceLock<PathBuf> = OnceLock::new();
    let s = scenario("death-spiral");
    made(
        &RUN,
        "sweep",
        &[
            "sim",
            "sweep",
            &s,
            "--vary",
            "gateway.strategy=fifo,deadline",
            "--vary",
            "workload.phases[1].rate=200,400",
            "--slo",
            "p99<3s",
        ],
    )
}

/// A sweep of a scenario without a trigger phase.
fn steady_sweep() -> &'static Path {
    static RUN: OnceLock<PathBuf> = OnceLock::new();
    let s = scenario("steady");
    made(
        &RUN,
        "steady",
        &["sim", "sweep", &s, "--vary", "gateway.strategy=fifo,deadline"],
    )
}

/// A case: its name, an edit of the file, what the error says.
type Case = (&'static str, Box<dyn FnOnce(&mut Value)>, &'static str);

fn json_of(file: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(file).expect("readable")).expect("JSON")
}

/// `file_name` of `from`, edited, in a directory of its own: the report's stderr and exit code.
fn report_edited(
    from: &Path,
    file_name: &str,
    case: &str,
    edit: impl FnOnce(&mut Value),
) -> (Option<i32>, String, PathBuf) {
    let mut v = json_of(&from.join(file_name));
    edit(&mut v);
    let dir = scratch(case);
    let file = dir.join(file_name);
    std::fs::write(&file, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let (code, err) = report(&dir, &[]);
    (code, err, file)
}

fn report(input: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let out = input.join("report");
    let (i, o) = (input.display().to_string(), out.display().to_string());
    let mut args = vec!["report", &i, "-o", &o];
    args.extend(extra);
    let r = spillway(&args);
    (r.status.code(), String::from_utf8_lossy(&r.stderr).into_owned())
}

/// Figures of a results file that disagree with what they are computed from are refused,
/// naming the file and the field: each of these reported as if a run had produced it.
#[test]
fn results_figures_no_run_produces_are_refused() {
    let run = deadline_run();
    let (code, err) = report(run, &[]);
    assert_eq!(code, Some(0), "the run as written reports: {err}");
    let cases: Vec<Case> = vec![
        (
            "amplification",
            Box::new(|v| v["summary"]["amplification"] = json!(0.5)),
            "summary.amplification: 0.5, but attempts / offered is",
        ),
        (
            "wasted",
            Box::new(|v| v["summary"]["wasted_s"] = json!(1e6)),
            "summary.wasted_s: 1000000: more than the backend's busy time",
        ),
        (
            "goodput-ratio",
            Box::new(|v| v["summary"]["goodput_ratio"] = json!(0.3)),
            "summary.goodput_ratio: 0.3, but successes / offered is",
        ),
        (
            "goodput",
            Box::new(|v| v["summary"]["duration_s"] = json!(5.0)),
            "summary.goodput: ",
        ),
        (
            "wasted-ratio",
            Box::new(|v| v["summary"]["wasted_ratio"] = json!(0.99)),
            "summary.wasted_ratio: 0.99, but wasted_s / backend_busy_s",
        ),
        (
            "verdict",
            Box::new(|v| v["summary"]["verdict"] = json!("metastable")),
            "summary.recovery_s: ",
        ),
        (
            "p99",
            // Between its p90 and p999 (3.07 s and 3.23 s): in order, and not the histogram's.
            Box::new(|v| v["summary"]["latency"]["p99"] = json!(3.1)),
            "summary.latency.p99: 3.1, but totals.intent_latency gives 3.1",
        ),
        (
            "strategy",
            Box::new(|v| v["strategy"] = json!("bogus")),
            "strategy: unknown strategy `bogus`: expected one of passthrough, fifo",
        ),
        (
            "strategy-other",
            Box::new(|v| v["scenario"]["gateway"]["strategy"] = json!("fifo")),
            "strategy: `deadline`, but the run's scenario has scenario.gateway.strategy `fifo`",
        ),
        (
            "name-esc",
            Box::new(|v| v["scenario_name"] = json!("death\u{1b}[2Jspiral\u{0}")),
            "scenario_name: a control character (U+001B)",
        ),
        (
            "phases",
            Box::new(|v| v["phases"][1]["start_s"] = json!(10.0)),
            "phases[1].start_s: 10: before phases[0].end_s (60)",
        ),
    ];
    for (case, edit, says) in cases {
        let (code, err, file) = report_edited(run, "results.json", case, edit);
        assert_eq!(code, Some(2), "{case}: {err}");
        assert!(
            err.contains(&format!("{}: ", file.display())),
            "{case} names the file: {err}"
        );
        assert!(err.contains(says), "{case}: {err}");
        assert!(!err.contains("panicked"), "{case}: {err}");
    }
}

/// A stored threshold verdict the summary's figures do not give is refused: a passing
/// `p99 < 1ms (measured 0s)` beside a p99 of 3 s passed a CI gate reading junit.xml.
#[test]
fn a_stored_threshold_verdict_is_judged_again() {
    let run = deadline_run();
    let (code, err, _) = report_edited(run, "results.json", "forged", |v| {
        v["thresholds"] = json!([{"check": "p99 < 1ms", "passed": true, "value": 0}]);
    });
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("thresholds[0].passed: true, but `p99 < 1ms` fails on the summary's figures (measured 3."),
        "{err}"
    );
    // With the scenario's checks, each alone: a verdict, a value, a check of its own.
    let (code, err, _) = report_edited(run, "results.json", "forged-verdict", |v| {
        v["thresholds"][0]["passed"] = json!(false);
    });
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("thresholds[0].passed: false, but `goodput_ratio >= 0.8` holds"),
        "{err}"
    );
    let (code, err, _) = report_edited(run, "results.json", "forged-value", |v| {
        v["thresholds"][0]["value"] = json!(0.95);
    });
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("thresholds[0].value: 0.95, but `goodput_ratio >= 0.8` measures"),
        "{err}"
    );
    let (code, err, _) = report_edited(run, "results.json", "forged-check", |v| {
        v["thresholds"][0]["check"] = json!("goodput_ratio >= 0.5");
    });
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("thresholds[0].check: `goodput_ratio >= 0.5`, but the run's scenario.thresholds[0] is `goodput_ratio >= 0.8`"),
        "{err}"
    );
    let (code, err, _) = report_edited(run, "results.json", "forged-dropped", |v| {
        v["thresholds"].as_array_mut().unwrap().pop();
    });
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("thresholds: 1 results, but the run's scenario has 2 thresholds"),
        "{err}"
    );
}

/// A service in the summary that the run did not have (no counters, no histogram) is refused.
#[test]
fn a_service_the_run_did_not_have_is_refused() {
    let run = services_run();
    let (code, err) = report(run, &[]);
    assert_eq!(code, Some(0), "the run as written reports: {err}");
    let (code, err, _) = report_edited(run, "results.json", "ghost", |v| {
        let some = v["summary"]["services"]
            .as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .clone();
        v["summary"]["services"]["ghost"] = some;
    });
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("summary.services.ghost: no such service in the run"),
        "{err}"
    );
    let (code, err, _) = report_edited(run, "results.json", "service-ratio", |v| {
        let name = v["summary"]["services"]
            .as_object()
            .unwrap()
            .keys()
            .next()
            .unwrap()
            .clone();
        v["summary"]["services"][&name]["goodput_ratio"] = json!(0.01);
    });
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains(".goodput_ratio: 0.01, but successes / offered"), "{err}");
}

/// A byte order mark is accepted, as scenario files take one; `null` is JSON, said so; an
/// empty results.json and one holding `[]` are called results files, not sweep tables.
#[test]
fn what_a_results_file_holds_is_named() {
    let run = deadline_run();
    let text = std::fs::read_to_string(run.join("results.json")).unwrap();
    let dir = scratch("bom");
    std::fs::write(dir.join("results.json"), format!("\u{feff}{text}")).unwrap();
    let (code, err) = report(&dir, &[]);
    assert_eq!(code, Some(0), "{err}");
    for (case, content, says) in [
        (
            "null",
            "null",
            "not a spillway results file: this is JSON holding `null`, not a results object",
        ),
        ("array", "[]", "not a spillway results file: "),
        ("empty", "", "not a spillway results file: the file is empty"),
    ] {
        let dir = scratch(case);
        std::fs::write(dir.join("results.json"), content).unwrap();
        let (code, err) = report(&dir, &[]);
        assert_eq!(code, Some(2), "{case}: {err}");
        assert!(err.contains(says), "{case}: {err}");
        assert!(!err.contains("sweep table"), "{case}: {err}");
    }
    // A file named neither: an array of numbers is neither, said so (it read "trailing
    // characters", the results parser's word after its first item).
    let dir = scratch("numbers");
    let file = dir.join("arr.json");
    std::fs::write(&file, "[1, 2, 3]\n").unwrap();
    let out = dir.join("report").display().to_string();
    let r = spillway(&["report", &file.display().to_string(), "-o", &out]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "arr.json: neither a spillway results file nor a sweep table: a JSON array whose items are not objects"
        ),
        "{err}"
    );
}

/// `--title ""` gave an empty <title> and a bare `## ` heading.
#[test]
fn a_blank_title_is_refused() {
    let run = deadline_run();
    for title in ["", "  "] {
        let (code, err) = report(run, &["--title", title]);
        assert_eq!(code, Some(2), "{title:?}: {err}");
        assert!(err.contains("--title: empty"), "{err}");
    }
    let (code, err) = report(run, &["--title", "a\u{1b}[2Jb"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("control character"), "{err}");
}

/// What no sweep writes in sweep.json is refused, naming the file and the field.
#[test]
fn sweep_tables_no_sweep_writes_are_refused() {
    let sweep = death_spiral_sweep();
    let (code, err) = report(sweep, &[]);
    assert_eq!(code, Some(0), "the table as written reports: {err}");
    let cases: Vec<Case> = vec![
        (
            "verdict",
            Box::new(|v| v["points"][0]["verdict"] = json!("zzz")),
            "points[0].verdict: `zzz`: expected one of stable, recovered",
        ),
        (
            "slo",
            Box::new(|v| v["slo"] = json!(["p99 <<< 2"])),
            "slo[0]: `p99 <<< 2`: unknown operator",
        ),
        (
            "bursts",
            Box::new(|v| v["bursts"] = json!([0, 1, 1, 0])),
            "bursts[2]: 1: after 1",
        ),
        (
            "rate",
            Box::new(|v| v["points"][1]["params"][1][1] = json!("abc")),
            "points[1].params[1]: `workload.phases[1].rate` = abc: expected a rate",
        ),
        (
            "strategy",
            Box::new(|v| v["points"][0]["params"][0][1] = json!({"a": [1, 2]})),
            "points[0].params[0]: `gateway.strategy` = { a = [1, 2] }: expected a strategy's name",
        ),
        (
            "params",
            Box::new(|v| v["points"][2]["params"] = json!([["x", "y"]])),
            "points[2].params: the axes x, but points[0] has gateway.strategy, workload.phases[1].rate",
        ),
        (
            "duplicate",
            Box::new(|v| {
                let first = v["points"][0].clone();
                v["points"].as_array_mut().unwrap().push(first);
            }),
            "points[4].params: the same configuration as points[0]",
        ),
        (
            "objective",
            Box::new(|v| v["objective"] = json!("bogus")),
            "objective: `bogus`: unknown metric `bogus`",
        ),
        (
            "objective-group",
            Box::new(|v| v["objective"] = json!("service[nope].p99")),
            "objective: `service[nope].p99`: no point keeps it",
        ),
        ("no-points", Box::new(|v| v["points"] = json!([])), "points: empty"),
        (
            "meets",
            Box::new(|v| {
                for p in v["points"].as_array_mut().unwrap() {
                    p["meets_slo"] = json!(true);
                    p["slo_values"] = json!([9.0]);
                }
            }),
            ".meets_slo: true, but slo[0] `p99<3s` fails",
        ),
    ];
    for (case, edit, says) in cases {
        let (code, err, file) = report_edited(sweep, "sweep.json", case, edit);
        assert_eq!(code, Some(2), "{case}: {err}");
        assert!(
            err.contains(&format!("{}: ", file.display())),
            "{case} names the file: {err}"
        );
        assert!(err.contains(says), "{case}: {err}");
        assert!(!err.contains("--objective"), "{case}: no flag was given: {err}");
    }
    // An empty sweep.json is no table; it is no results file either.
    let dir = scratch("sweep-empty");
    std::fs::write(dir.join("sweep.json"), "").unwrap();
    let (code, err) = report(&dir, &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("sweep.json: not a sweep table: the file is empty"),
        "{err}"
    );
    std::fs::write(dir.join("sweep.json"), "null").unwrap();
    let (code, err) = report(&dir, &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("not a sweep table"), "{err}");
}

/// `report --objective recovery` of a sweep whose scenario has no trigger phase is refused,
/// as `sim sweep` refuses that objective for it; a table saying so of itself too.
#[test]
fn recovery_is_no_objective_without_a_trigger() {
    let sweep = steady_sweep();
    let (code, err) = report(sweep, &[]);
    assert_eq!(code, Some(0), "{err}");
    let (code, err) = report(sweep, &["--objective", "recovery"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--objective `recovery`: recovery is measured from the end of a trigger phase"),
        "{err}"
    );
    let (code, err, _) = report_edited(sweep, "sweep.json", "steady-recovery", |v| {
        v["objective"] = json!("recovery");
    });
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("objective: `recovery`: recovery is measured"), "{err}");
    // With a trigger, the objective stands.
    let (code, err) = report(death_spiral_sweep(), &["--objective", "recovery"]);
    assert_eq!(code, Some(0), "{err}");
}
