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
