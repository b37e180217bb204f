//! Results files are input too: `spillway report`, `compare --baseline` and `loadgen merge`
//! read what users hand them. Figures no run produces are refused when the file is read, naming
//! the file and the field; shards are merged only with checked sums and when they ran the same
//! scenario; a run sent nothing is not judged.

use model::results::{merge, summary_table, Recorder, Results, RunMeta, RunSource, Tag};
use model::scenario::{self, Priority, Scenario};
use model::time::Time;
use serde_json::{json, Value};
use std::time::Duration;

fn scenario() -> Scenario {
    scenario::parse(
        "t.toml",
        "[run]\nwindow = \"1s\"\n[[workload.phases]]\nduration = \"5s\"\nrate = 10\n\
         [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n\
         [[backend.services]]\nname = \"b\"\nworkers = 1\nservice_time = \"10ms\"\n\
         [clients.retry]\nmax_attempts = 2\n\
         [[thresholds]]\ncheck = \"goodput_ratio >= 0.5\"\n",
    )
    .expect("valid scenario")
}

/// A live run of five 1 s windows, two services, some failures and retries.
fn run() -> Results {
    let s = scenario();
    let mut r = Recorder::for_scenario(&s);
    for i in 0..50u64 {
        let at = Time(i * 100_000_000);
        let tag = Tag::new(Priority::Interactive, (i % 2) as usize);
        let ok = i % 7 != 0;
        r.intent_offered(tag, at);
        r.attempt_sent(tag, at, false);
        if !ok {
            r.attempt_sent(tag, at, true);
        }
        r.attempt_finished(tag, at, model::results::Outcome::Ok, Duration::from_millis(10 + i));
        r.intent_finished(tag, at, Duration::from_millis(10 + i), ok);
        r.backend_work(Time(at.0 + 5_000_000), Duration::from_millis(5), !ok);
        r.gauges(at, i % 3, i % 4);
        r.service_held(at, (i % 2) as usize, i % 3 + i % 4);
    }
    let mut res = r.finish(
        &s,
        RunMeta {
            source: RunSource::Live,
            ..RunMeta::sim("fifo")
        },
    );
    res.shard = Some((0, 1));
    res
}

/// `run()` as a file, changed by `change`, read back as `pr/results.json`.
fn read_changed(change: impl FnOnce(&mut Value)) -> Result<Results, String> {
    let mut v: Value = serde_json::from_str(&run().to_json()).expect("json");
    change(&mut v);
    Results::from_json("pr/results.json", &v.to_string()).map_err(|e| e.to_string())
}

#[track_caller]
fn refused(change: impl FnOnce(&mut Value), says: &str) {
    match read_changed(change) {
        Ok(_) => panic!("accepted; expected an error starting {says:?}"),
        Err(e) => assert!(e.starts_with(says), "{e}\nshould start with {says}"),
    }
}

#[test]
fn a_run_as_written_is_read_back_unchanged() {
    let r = run();
    let back = Results::from_json("pr/results.json", &r.to_json()).expect("valid");
    assert_eq!((back.summary.whole, back.windows.len()), (r.summary.whole, 5));
}

/// Each of these printed `inf%`, a negative latency or a 309-digit label, or put windows on a
/// time line no run had; now the file is refused naming the field.
#[test]
fn figures_no_run_produces_are_refused_naming_the_field() {
    let f = "pr/results.json: ";
    refused(
        |v| v["summary"]["goodput_ratio"] = json!(1e308),
        &format!("{f}summary.goodput_ratio: 1e308"),
    );
    refused(
        |v| v["summary"]["goodput_ratio"] = json!(1.5),
        &format!("{f}summary.goodput_ratio: 1.5"),
    );
    refused(
        |v| v["summary"]["latency"]["p99"] = json!(-5.0),
        &format!("{f}summary.latency.p99: -5"),
    );
    refused(
        |v| v["summary"]["latency"]["p50"] = json!(9.0),
        &format!("{f}summary.latency.p50: 9: above p90"),
    );
    refused(
        |v| v["summary"]["wasted_ratio"] = json!(2.0),
        &format!("{f}summary.wasted_ratio"),
    );
    refused(
        |v| v["summary"]["duration_s"] = json!(-1.0),
        &format!("{f}summary.duration_s"),
    );
    refused(
        |v| v["summary"]["services"]["b"]["goodput_ratio"] = json!(1e300),
        &format!("{f}summary.services.b.goodput_ratio"),
    );
    refused(
        |v| v["windows"][3]["start_s"] = json!(1e308),
        &format!("{f}windows[3].start_s: 1e308"),
    );
    refused(
        |v| {
            for w in v["windows"].as_array_mut().expect("windows") {
                w["start_s"] = json!(0.0);
            }
        },
        &format!("{f}windows[1].start_s: 0: expected 1"),
    );
    refused(
        |v| v["windows"].as_array_mut().expect("windows").reverse(),
        &format!("{f}windows[0].start_s"),
    );
    refused(|v| v["window_s"] = json!(0.0), &format!("{f}window_s: 0"));
    refused(|v| v["window_s"] = json!(-1.0), &format!("{f}window_s: -1"));
    refused(|v| v["time_scale"] = json!(0.0), &format!("{f}time_scale: 0"));
    refused(
        |v| v["windows"][0]["gauges"]["queue_depth_mean"] = json!(1e308),
        &format!("{f}windows[0].gauges.queue_depth_mean: 1e308"),
    );
    refused(
        |v| v["windows"][2]["counters"]["backend_busy_s"] = json!(-0.5),
        &format!("{f}windows[2].counters.backend_busy_s"),
    );
    refused(
        |v| v["phases"][0]["end_s"] = json!(-3.0),
        &format!("{f}phases[0].end_s"),
    );
    refused(
        |v| v["windows"][1]["counters"]["successes"] = json!(1000),
        &format!("{f}windows[1].counters.successes"),
    );
    refused(
        |v| v["windows"][1]["services"]["a"]["successes"] = json!(1000),
        &format!("{f}windows[1].services.a.successes"),
    );
    refused(
        |v| v["windows"][1]["services"]["b"]["held"] = json!(-2.5),
        &format!("{f}windows[1].services.b.held: -2.5"),
    );
    // A counter near 2^64 makes the windows' sum wrap: refused, not summed into a small figure.
    refused(
        |v| v["windows"][0]["counters"]["intents"] = json!(u64::MAX),
        &format!("{f}windows[1].counters.intents"),
    );
    refused(
        |v| v["summary"]["offered"] = json!(51),
        &format!("{f}summary.offered: 51, but the windows add up to 50"),
    );
    refused(
        |v| v["scenario_name"] = json!("x".repeat(100_000)),
        &format!("{f}scenario_name: a name of 100000"),
    );
    refused(|v| v["shard"] = json!([3, 2]), &format!("{f}shard"));
}

/// A histogram that does not decode was reported at a line and column only; its field is named.
#[test]
fn a_bad_histogram_is_named_by_its_field() {
    let e = read_changed(|v| v["windows"][1]["histograms"]["intent_latency"] = json!("aGVsbG8=")).unwrap_err();
    assert!(
        e.starts_with("pr/results.json:") && e.contains("windows[1].histograms.intent_latency: histogram"),
        "{e}"
    );
}

fn shards(n: u32) -> Vec<(String, Results)> {
    (0..n)
        .map(|i| {
            let mut r = run();
            r.shard = Some((i, n));
            (format!("{}.json", (b'a' + i as u8) as char), r)
        })
        .collect()
}

fn merge_err(parts: Vec<(String, Results)>) -> String {
    match merge(parts) {
        Ok(r) => panic!("merged: {} intents", r.summary.whole.offered),
        Err(e) => e.to_string(),
    }
}

/// `windows[0].counters.intents = 2^64 - 1` in one shard wrapped to 51 in the merged file.
#[test]
fn merged_counters_that_would_wrap_are_refused() {
    let merged = merge(shards(2)).expect("merges");
    assert_eq!(merged.summary.whole.offered, 100);
    // Each shard drives a gateway of its own: the requests they held add up, a service's as
    // the whole gateway's.
    let one = run();
    for (m, w) in merged.windows.iter().zip(&one.windows) {
        assert_eq!(m.held(), w.held().map(|h| 2.0 * h));
        for (name, g) in &w.services {
            assert_eq!(m.services[name].held, 2.0 * g.held, "{name}");
        }
    }
    assert!(one.windows.iter().any(|w| w.services.values().any(|g| g.held > 0.0)));
    let mut parts = shards(2);
    parts[1].1.windows[0].counters.requests.intents = u64::MAX;
    let e = merge_err(parts);
    assert!(e.starts_with("b.json: windows[0].counters.intents: "), "{e}");
    // The same in a gauge, a group's window figures, a whole-run group counter and the notes.
    let mut parts = shards(2);
    parts[0].1.windows[2].gauges.in_flight_max = u64::MAX;
    assert!(merge_err(parts).starts_with("b.json: windows[2].gauges.in_flight_max: "));
    // Sums of means past f64's range (a file can hold 1e308 each) could not be saved.
    let mut parts = shards(2);
    for (_, p) in &mut parts {
        p.windows[1].gauges.queue_depth_mean = 1e308;
    }
    assert!(merge_err(parts).starts_with("b.json: windows[1].gauges.queue_depth_mean: "));
    let mut parts = shards(2);
    for (_, p) in &mut parts {
        p.windows[1].services.get_mut("b").expect("b").held = 1e308;
    }
    assert!(merge_err(parts).starts_with("b.json: windows[1].services.b.held: "));
    let mut parts = shards(2);
    parts[1].1.windows[0].services.get_mut("a").expect("a").offered = u64::MAX;
    assert!(merge_err(parts).starts_with("b.json: windows[0].services.a.offered: "));
    let mut parts = shards(2);
    parts[1].1.services.get_mut("b").expect("b").counters.failures = u64::MAX;
    assert!(merge_err(parts).starts_with("b.json: services.b.counters.failures: "));
    let mut parts = shards(2);
    for (_, p) in &mut parts {
        p.notes.statuses.insert(503, u64::MAX / 2 + 1);
    }
    assert!(merge_err(parts).starts_with("b.json: notes.statuses.503: "));
    // Each window fits, but not the whole run the summary adds up.
    let mut parts = shards(2);
    parts[0].1.windows[0].counters.requests.intents = u64::MAX - 100;
    parts[1].1.windows[1].counters.requests.intents = u64::MAX - 100;
    assert!(merge_err(parts).contains("counters.intents"));
}

/// Shards were compared by name, window and strategy only: one of another rate or seed was
/// added in. The file that differs is named, with the first field that does.
#[test]
fn a_shard_of_another_scenario_is_refused() {
    let mut parts = shards(2);
    parts[1].1.scenario.workload.phases[0].rate = 20.0;
    let e = merge_err(parts);
    assert!(
        e.starts_with("b.json: not a shard of the same run as a.json: scenario.workload.phases[0].rate is 20.0 here and 10.0 there"),
        "{e}"
    );
    let mut parts = shards(2);
    parts[1].1.scenario.run.seed = 99;
    assert!(merge_err(parts).contains("scenario.run.seed is 99 here"));
    // What each shard has of its own does not count: the path.
    let mut parts = shards(2);
    parts[1].1.scenario_path = "/elsewhere/t.toml".into();
    assert!(merge(parts).is_ok());
    // Its time scale does: at another pace its load reached the target over other spans of
    // time, and the merge took the first file's scale (robustness review, stop 64).
    let mut parts = shards(2);
    parts[1].1.scenario.run.time_scale = 4.0;
    parts[1].1.time_scale = 4.0;
    let e = merge_err(parts);
    assert!(
        e.starts_with("b.json: not a shard of the same run as a.json: time_scale (--time-scale) is 4 here and 1 there"),
        "{e}"
    );
}

/// A first shard unlike the others was reported naming the second (valid) file.
#[test]
fn the_odd_first_shard_is_the_one_named() {
    let mut parts = shards(3);
    parts[0].1.scenario.clients.retry.max_attempts = 7;
    let e = merge_err(parts);
    assert!(e.starts_with("a.json: not a shard of the same run as the other 2 files (b.json and the rest): scenario.clients.retry.max_attempts is 7 here"), "{e}");
    let mut parts = shards(3);
    parts[2].1.scenario.clients.retry.max_attempts = 7;
    assert!(merge_err(parts).starts_with("c.json: not a shard of the same run as a.json"));
    let mut parts = shards(3);
    parts[0].1.time_scale = 3.0;
    let e = merge_err(parts);
    assert!(
        e.starts_with("a.json: not a shard of the same run as the other 2 files (b.json and the rest): time_scale (--time-scale) is 3 here and 1 there"),
        "{e}"
    );
}

/// An invalid embedded scenario was blamed on the scenario's path (a file the user never gave)
/// and printed twice (`{:#}` printed the message and its source).
#[test]
fn an_invalid_embedded_scenario_names_the_shard_once() {
    let mut parts = shards(2);
    for (_, p) in &mut parts {
        p.scenario_path = "/work/main/scenarios/death-spiral.toml".into();
        p.scenario.workload.phases[0].rate = -1.0;
    }
    let e = merge(parts).expect_err("invalid scenario");
    let text = e.to_string();
    assert!(
        text.starts_with("a.json: its embedded scenario is not valid: scenario.workload.phases[0].rate: "),
        "{text}"
    );
    assert!(!text.contains("death-spiral"), "{text}");
    assert!(
        std::error::Error::source(&e).is_none(),
        "a source would be printed again"
    );
}

/// A run sent nothing was judged "stable" with "goodput ratio 100.0% throughout", and its
/// summary showed goodput 100.0% and p50 0s.
#[test]
fn a_run_sent_nothing_is_not_judged() {
    let s = scenario();
    let r = Recorder::for_scenario(&s).finish(&s, RunMeta::sim("fifo"));
    assert_eq!(r.summary.whole.offered, 0);
    assert_eq!(r.summary.whole.verdict, None, "{}", r.summary.whole.verdict_reason);
    assert_eq!(r.summary.whole.verdict_reason, "nothing offered");
    assert_eq!(r.summary.baseline_goodput_ratio, None);
    let text = summary_table(&r);
    assert!(text.contains("  goodput       - (nothing offered)\n"), "{text}");
    assert!(text.contains("  latency       - (no intent finished)\n"), "{text}");
    assert!(text.contains("  verdict       not judged: nothing offered\n"), "{text}");
    assert!(!text.contains("100.0%"), "{text}");
    // The file still reads back (the schema keeps its goodput_ratio number).
    let back = Results::from_json("zero.json", &r.to_json()).expect("valid");
    assert_eq!(back.summary, r.summary);
}
