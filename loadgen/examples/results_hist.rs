//! Prints one whole-run histogram of a results file (its `totals` entry) as a tab-separated
//! line, for the benchmark scripts (`bench/loadgen-*.sh`):
//!
//!     cargo run --release -p spillway-loadgen --example results_hist -- out/live/results.json [send_lateness]
//!
//! Columns: file, metric, count, mean, p50, p90, p99, p99.9, max (all in milliseconds), then
//! the generator health of a live run (lateness_p99 in ms, unsent, lagging) and the headline
//! summary (offered, attempts, goodput ratio, timeouts, errors, duration in s). A missing
//! metric prints counts of 0.

use model::results::{Hist, Results};
use std::path::Path;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let file = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: results_hist RESULTS.json [METRIC]"))?;
    let metric = args.next().unwrap_or_else(|| "send_lateness".to_string());
    let r = Results::load(Path::new(&file))?;
    let empty = Hist::default();
    let h = r.totals.get(&metric).unwrap_or(&empty);
    let ms = |s: f64| format!("{:.3}", s * 1e3);
    let (lp99, unsent, lagging) = match &r.generator {
        Some(g) => (ms(g.lateness_p99_s), g.unsent.to_string(), g.lagging.to_string()),
        None => ("-".into(), "-".into(), "-".into()),
    };
    let s = &r.summary;
    println!(
        "{file}\t{metric}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{lp99}\t{unsent}\t{lagging}\t{}\t{}\t{:.6}\t{}\t{}\t{:.3}",
        h.len(),
        ms(h.mean_s()),
        ms(h.quantile_s(0.5)),
        ms(h.quantile_s(0.9)),
        ms(h.quantile_s(0.99)),
        ms(h.quantile_s(0.999)),
        ms(h.max_s()),
        s.whole.offered,
        s.whole.attempts,
        s.whole.goodput_ratio,
        s.whole.timeouts,
        s.whole.errors,
        s.duration_s,
    );
    Ok(())
}
