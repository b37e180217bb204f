//! Faults are conditions under test, not settings: a sweep over an outage's length gives the
//! envelope over it, and its best configuration holds at every outage tried; an outage does not
//! follow its trigger phase, and a sweep over the phase's length says so. And a sweep holds its
//! points to --slo alone, so the file's thresholds do not refuse a grid either.

use model::scenario::{self, Scenario};
use sim::sweep::{self, Axis};

fn root() -> String {
    format!("{}/..", env!("CARGO_MANIFEST_DIR"))
}

/// `scenarios/retry-storm-hotos.toml` at 140 req/s (every phase), where it recovers from its
/// 10 s outage: the review's `hotos140.toml`.
fn hotos140() -> Scenario {
    let text = std::fs::read_to_string(format!("{}/scenarios/retry-storm-hotos.toml", root())).expect("scenario");
    // The three phases (and the header comment, which says to do this).
    assert_eq!(text.matches("\nrate = 280").count(), 3);
    scenario::parse("hotos140.toml", &text.replace("rate = 280", "rate = 140")).expect("valid")
}

fn ax(s: &str) -> Axis {
    sweep::parse_axis(s).expect("axis")
}

const OUTAGE: &str = "backend.services[0].faults.outages[0].duration";

/// Three strategies over three outage lengths: the best line does not recommend the mildest
/// outage as a setting (it read `passthrough ... outages[0].duration=2s`); it holds at every
/// outage tried, and the safe envelope is over the outage's length.
#[test]
fn an_outage_length_is_a_condition_and_the_envelope_is_over_it() {
    let s = hotos140();
    let axes = vec![
        ax("gateway.strategy=passthrough,deadline,bounded"),
        ax(&format!("{OUTAGE}=2s,10s,30s")),
    ];
    let plan = sweep::plan(&s, &axes).expect("plan");
    let points = sweep::run_plan(plan, &[], 1, &|| {});
    assert_eq!(points.len(), 9);
    let objective = sweep::parse_objective("goodput_ratio").expect("objective");
    let best = sweep::best_config(&points, &objective).expect("a best configuration");
    assert!(
        best.settings.iter().all(|(k, _)| k == "gateway.strategy"),
        "the outage is no setting: {:?}",
        best.settings
    );
    let lines = sweep::findings(&points, &axes, &objective, &[], &[1]);
    let text = lines.join("\n");
    let best_line = lines
        .iter()
        .find(|l| l.starts_with("best under the SLO"))
        .expect("best line");
    assert!(
        best_line.contains(&format!("at every {OUTAGE} tried")) && !best_line.contains("duration=2s  ->"),
        "{text}"
    );
    assert!(
        text.contains(&format!("safe envelope over {OUTAGE} (the largest duration")),
        "{text}"
    );
    assert!(sweep::is_load_axis(OUTAGE));
    // Each configuration's envelope is over the three lengths tried.
    let env = sweep::safe_envelope(&points, &axes, &[1]);
    assert_eq!(env.len(), 3, "{env:?}");
    for e in &env {
        assert!(e.safe.is_some() || e.first_failure.is_some(), "{e:?}");
    }
}

/// Varying the trigger phase's length leaves the outage (at 60 s, for 10 s) as the file has it:
/// every point runs the same outage, and the sweep says so, naming the key to vary instead;
/// nothing is said once an axis varies the outage, or when the phase's length is not varied.
#[test]
fn an_outage_that_does_not_follow_its_trigger_phase_is_said() {
    let s = hotos140();
    let strategy = ax("gateway.strategy=passthrough,deadline");
    let length = ax("workload.phases[1].duration=5s,10s,20s,40s");
    let note = sweep::fault_note(&s, &[strategy.clone(), length.clone()]).expect("a note");
    assert!(
        note.contains("workload.phases[1].duration is varied")
            && note.contains("backend.services[0].faults.outages[0] (service `store`, at 1m, for 10s)")
            && note.contains(&format!("--vary {OUTAGE}")),
        "{note}"
    );
    assert_eq!(
        sweep::fault_note(&s, &[strategy.clone(), length.clone(), ax(&format!("{OUTAGE}=5s,10s"))]),
        None
    );
    assert_eq!(
        sweep::fault_note(&s, &[strategy.clone(), ax("workload.phases[1].rate=140,280")]),
        None
    );
    // The load after the burst is no trigger: its length is no burst's.
    assert_eq!(
        sweep::fault_note(&s, &[strategy, ax("workload.phases[2].duration=100s,110s")]),
        None
    );
    // And indeed every point ran the same outage: the same wasted work at every length.
    let axes = vec![length];
    let points = sweep::run_plan(sweep::plan(&s, &axes).expect("plan"), &[], 1, &|| {});
    assert_eq!(points.len(), 4);
    assert!(
        points.iter().all(|p| p.wasted_s == points[0].wasted_s),
        "the same outage at every phase length: wasted {:?}",
        points.iter().map(|p| p.wasted_s).collect::<Vec<_>>()
    );
}

/// death-spiral's `recovery <= 30s` is not the sweep's SLO, and no longer refuses a grid whose
/// run is too short to judge recovery in (the point says "not judged" itself): a run length, a
/// phase's length, a window. What no run could show (a run cut during the trigger) still is.
#[test]
fn a_files_thresholds_do_not_refuse_a_grid() {
    let s = scenario::load(std::path::Path::new(&format!("{}/scenarios/death-spiral.toml", root()))).expect("scenario");
    assert!(s.thresholds.iter().any(|t| t.text == "recovery <= 30s"));
    for axis in [
        "run.duration=83s,200s",
        "workload.phases[2].duration=3s,120s",
        "run.window=1s,25s",
    ] {
        let plan = sweep::plan(&s, &[ax(axis)]);
        assert!(plan.is_ok(), "--vary {axis}: {}", plan.err().unwrap_or_default());
    }
    let e = sweep::plan(&s, &[ax("run.duration=70s,200s")]).err().expect("refused");
    assert!(e.contains("run.duration") && e.contains("trigger phase"), "{e}");
    // The short point runs, and is not judged.
    let points = sweep::run_plan(
        sweep::plan(&s, &[ax("run.duration=83s,200s")]).expect("plan"),
        &[],
        1,
        &|| {},
    );
    assert_eq!(points.len(), 2);
    let short = points
        .iter()
        .find(|p| p.params.iter().any(|(k, v)| k == "run.duration" && v == "83s"))
        .expect("the 83s point");
    assert_eq!(short.verdict, "-", "not judged: 3 s after the trigger");
}
