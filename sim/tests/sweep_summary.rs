//! Sweeps simulate for the summary alone (no window histograms): every headline figure must be
//! exactly what a full simulation reports.

use model::scenario;

#[test]
fn a_summary_only_run_has_the_full_runs_summary() {
    let root = env!("CARGO_MANIFEST_DIR");
    for (file, strategy) in [
        ("death-spiral.toml", None),
        ("death-spiral.toml", Some(scenario::Strategy::Deadline)),
        ("retry-storm.toml", None),
        ("priorities.toml", None),
    ] {
        let s = scenario::load(std::path::Path::new(&format!("{root}/../scenarios/{file}"))).expect("scenario");
        let s = match strategy {
            Some(st) => s.with_strategy(st).expect("strategy"),
            None => s,
        };
        let full = sim::simulate(&s, None);
        let lean = sim::simulate_summary(&s, None);
        assert_eq!(full.summary, lean.summary, "{file} {strategy:?}");
        assert_eq!(full.thresholds, lean.thresholds);
        assert_eq!(full.windows.len(), lean.windows.len());
        for (a, b) in full.windows.iter().zip(&lean.windows) {
            assert_eq!(a.counters, b.counters);
            assert_eq!(a.gauges, b.gauges);
            assert!(b.histograms.is_empty());
        }
        assert!(full.windows.iter().any(|w| !w.histograms.is_empty()));
    }
}

/// A sweep point carries the run's `held`: outage-catch-up's queue answers every request in
/// time through the outage (its summary says held), while the deadline strategy's run drops
/// some and only recovers.
#[test]
fn a_sweep_point_says_whether_the_run_held() {
    let root = env!("CARGO_MANIFEST_DIR");
    let s = scenario::load(std::path::Path::new(&format!(
        "{root}/../scenarios/outage-catch-up.toml"
    )))
    .expect("scenario");
    let axes = vec![sim::sweep::parse_axis("gateway.strategy=fifo,deadline").expect("axis")];
    let plan = sim::sweep::plan(&s, &axes).expect("plan");
    let points = sim::sweep::run_plan(plan, &[], 1, &|| {});
    let fifo = &points[0];
    let full = sim::simulate_summary(&s, None);
    assert!(full.summary.whole.held, "the scenario's own run holds");
    assert_eq!((fifo.verdict.as_str(), fifo.held), ("recovered", true));
    assert_eq!(fifo.verdict_text(), "held");
    let deadline = &points[1];
    assert_eq!((deadline.verdict.as_str(), deadline.held), ("recovered", false));
    assert!(sim::sweep::to_csv(
        &points,
        &sim::sweep::parse_objective("goodput_ratio").expect("objective"),
        &[]
    )
    .contains(",recovered,true,"));
}
