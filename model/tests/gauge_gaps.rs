//! Windows no gauge sample fell in. A live run samples the gateway every 50 ms of real time, so
//! at `--time-scale 20` a 1 s window (50 ms) may get none: its gauge means are no measurement.
//! Read as 0 they were dips in the charts, and a steady backlog with such windows near the end
//! looked like one still draining to the verdict.

use model::results::{merge, Outcome, Recorder, Results, RunMeta, RunSource, Tag, Verdict};
use model::scenario::{self, Priority, Scenario};
use model::time::Time;
use std::time::Duration;

/// 20 s at 10/s, a 5 s burst at 50/s (the trigger), 60 s at 10/s again; two services of
/// 2 workers at 100 ms each (25% busy at 10/s).
fn scenario() -> Scenario {
    scenario::parse(
        "t.toml",
        "[run]\nwindow = \"1s\"\n\
         [[workload.phases]]\nduration = \"20s\"\nrate = 10\n\
         [[workload.phases]]\nduration = \"5s\"\nrate = 50\ntrigger = true\n\
         [[workload.phases]]\nduration = \"60s\"\nrate = 10\n\
         [clients]\ntimeout = \"1s\"\n\
         [[backend.services]]\nname = \"a\"\nworkers = 2\nservice_time = \"100ms\"\n\
         [[backend.services]]\nname = \"b\"\nworkers = 2\nservice_time = \"100ms\"\n",
    )
    .expect("valid scenario")
}

/// Windows (1 s each) the sampler missed: more and more near the end of the run, as on a
/// machine falling behind at a high time scale, and one before the trigger. The last window is
/// sampled (the sampler's last tick comes after the drain).
const MISSED: [u64; 16] = [7, 66, 68, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83];

/// A live run that collapses at the trigger and stays down: every intent from 20 s on fails,
/// while the gateway's backlog holds at 300 (150 a service) to the end. Gauges are sampled
/// with each arrival, except in `missed` windows.
fn run(missed: &[u64]) -> Results {
    let s = scenario();
    let mut r = Recorder::for_scenario(&s);
    for w in 0..85u64 {
        let per_window = if (20..25).contains(&w) { 50 } else { 10 };
        for k in 0..per_window {
            let at = Time(w * 1_000_000_000 + k * (1_000_000_000 / per_window));
            let tag = Tag::new(Priority::Interactive, (k % 2) as usize);
            let ok = w < 20;
            let outcome = if ok { Outcome::Ok } else { Outcome::Timeout };
            let latency = Duration::from_millis(if ok { 100 } else { 1000 });
            r.intent_offered(tag, at);
            r.attempt_sent(tag, at, false);
            r.attempt_finished(tag, at, outcome, latency);
            r.intent_finished(tag, at, latency, ok);
            if missed.contains(&w) {
                continue;
            }
            let (queued, in_flight) = if w < 20 { (0, 2) } else { (296, 4) };
            r.gauges(at, queued, in_flight);
            for service in 0..2 {
                r.service_held(at, service, (queued + in_flight) / 2);
            }
        }
    }
    r.finish(
        &s,
        RunMeta {
            source: RunSource::Live,
            ..RunMeta::sim("fifo")
        },
    )
}

/// The results mark each window no sample fell in, its `held` (the whole gateway's and each
/// service's) is unknown rather than 0, and a run sampled throughout is written as before.
#[test]
fn a_window_without_a_gauge_sample_is_marked_and_holds_nothing_known() {
    let r = run(&MISSED);
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).expect("json");
    for (i, w) in json["windows"].as_array().expect("windows").iter().enumerate() {
        let marked = w["gauges"].get("unsampled") == Some(&serde_json::json!(true));
        assert_eq!(marked, MISSED.contains(&(i as u64)), "window {i}: {}", w["gauges"]);
    }
    for (i, w) in r.windows.iter().enumerate() {
        if MISSED.contains(&(i as u64)) {
            assert_eq!(w.held(), None, "window {i}");
            assert_eq!(w.service_held("a"), None, "window {i}");
        } else {
            assert!(w.held().is_some_and(|h| h > 0.0), "window {i}: {:?}", w.held());
            assert!(w.service_held("a").is_some_and(|h| h > 0.0), "window {i}");
        }
    }
    // Sampled throughout: no field, as every file was before.
    assert!(!run(&[]).to_json().contains("unsampled"));
    // Read back as written.
    let back = Results::from_json("r.json", &r.to_json()).expect("valid");
    let gauges = |r: &Results| r.windows.iter().map(|w| w.gauges).collect::<Vec<_>>();
    assert_eq!(gauges(&back), gauges(&r));
}

/// A backlog that holds its level is stuck, whichever windows the sampler missed: read as 0,
/// the missed windows near the end made it "still draining" and the run was not judged; each
/// service likewise.
#[test]
fn missed_samples_do_not_make_a_steady_backlog_drain() {
    let r = run(&MISSED);
    let whole = &r.summary.whole;
    assert_eq!(whole.verdict, Some(Verdict::Metastable), "{}", whole.verdict_reason);
    assert!(!whole.verdict_reason.contains("drain"), "{}", whole.verdict_reason);
    for (name, g) in &r.summary.services {
        assert_eq!(g.verdict, Some(Verdict::Metastable), "{name}: {}", g.verdict_reason);
    }
    // As sampled throughout.
    let full = run(&[]);
    assert_eq!(full.summary.whole.verdict, Some(Verdict::Metastable));
}

/// A results file of an older spillway (no `unsampled` field) loads as before: every window
/// reads as sampled.
#[test]
fn an_older_file_without_the_mark_loads_as_before() {
    let mut v: serde_json::Value = serde_json::from_str(&run(&MISSED).to_json()).expect("json");
    for w in v["windows"].as_array_mut().expect("windows") {
        w["gauges"].as_object_mut().expect("gauges").remove("unsampled");
    }
    let old = Results::from_json("old.json", &v.to_string()).expect("an older file loads");
    assert!(old.windows.iter().all(|w| w.gauges.sampled()));
    assert_eq!(old.windows[66].held(), Some(0.0));
    // Where the mark is, the window holds nothing known.
    assert_eq!(run(&MISSED).windows[66].held(), None);
}

/// A window marked without a sample that carries gauge figures is refused: some readers would
/// take them as a measurement, others not.
#[test]
fn figures_in_a_window_without_a_sample_are_refused() {
    let read = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut v: serde_json::Value = serde_json::from_str(&run(&MISSED).to_json()).expect("json");
        edit(&mut v["windows"][66]);
        Results::from_json("r.json", &v.to_string()).map_err(|e| e.to_string())
    };
    let err = read(&|w| w["gauges"]["queue_depth_mean"] = serde_json::json!(12.5)).expect_err("refused");
    assert!(
        err.starts_with("r.json: windows[66].gauges.queue_depth_mean: 12.5, in a window marked `unsampled`"),
        "{err}"
    );
    let err = read(&|w| w["services"]["a"]["held"] = serde_json::json!(3.0)).expect_err("refused");
    assert!(err.starts_with("r.json: windows[66].services.a.held: 3"), "{err}");
}

/// Shards each drive a gateway of their own, and their gauges add up: a window one shard has
/// no sample of has no sum, so none merged (a partial sum was the same dip, halved).
#[test]
fn a_merged_window_is_sampled_when_every_shard_sampled_it() {
    let shard = |i: u32, missed: &[u64]| {
        let mut r = run(missed);
        r.shard = Some((i, 2));
        (format!("{i}.json"), r)
    };
    let one = run(&[]);
    let merged = merge(vec![shard(0, &[44]), shard(1, &[46])]).expect("merges");
    for (i, (m, w)) in merged.windows.iter().zip(&one.windows).enumerate() {
        if i == 44 || i == 46 {
            assert!(m.gauges.unsampled, "window {i}");
            assert_eq!((m.held(), m.service_held("b")), (None, None), "window {i}");
        } else {
            assert_eq!(m.held(), w.held().map(|h| 2.0 * h), "window {i}");
        }
    }
    assert_eq!(merged.summary.whole.verdict, Some(Verdict::Metastable));
    let back = Results::from_json("m.json", &merged.to_json()).expect("a merged file reads back");
    assert_eq!(back.windows[44].held(), None);
}
