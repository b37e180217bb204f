//! HdrHistogram interval logs (`.hlog`): one tagged line per window and metric, readable by
//! HdrHistogram's standard tools (HistogramLogProcessor, HdrHistogramVisualizer).

use super::Results;
use hdrhistogram::serialization::interval_log::{IntervalLogWriterBuilder, Tag};
use hdrhistogram::serialization::V2DeflateSerializer;
use std::io;
use std::time::Duration;

/// Writes every window's histograms. Values are microseconds; the log's max column is in
/// milliseconds (max value divisor 1000).
pub fn write_hlog<W: io::Write>(r: &Results, out: &mut W) -> io::Result<()> {
    // The writer wants a serializer; only its header is written through it.
    let mut serializer = V2DeflateSerializer::new();
    let comment = format!(
        "spillway {} run of {} (strategy {}, seed {}), values in microseconds",
        source(r),
        r.scenario_name,
        r.strategy,
        r.seed
    );
    // The header through HdrHistogram's writer; the lines from the packed bytes the results
    // file holds, in the writer's format, so no window is inflated and compressed again.
    IntervalLogWriterBuilder::new()
        .add_comment(&comment)
        .with_max_value_divisor(MAX_VALUE_DIVISOR)
        .begin_log_with(&mut *out, &mut serializer)?;
    let window = crate::time::secs(r.window_s);
    for w in &r.windows {
        let start = crate::time::secs(w.start_s);
        for (name, h) in &w.histograms {
            // As the writer: a name that cannot be a tag leaves the line untagged.
            if let Some(tag) = Tag::new(name) {
                write!(out, "Tag={},", tag.as_str())?;
            }
            writeln!(
                out,
                "{:.3},{:.3},{:.3},{}",
                fp_seconds(start),
                fp_seconds(window),
                h.max_us() as f64 / MAX_VALUE_DIVISOR,
                h.base64()
            )?;
        }
    }
    Ok(())
}

/// Values are microseconds; `.hlog` maxima are in milliseconds, as HdrHistogram's tools expect.
const MAX_VALUE_DIVISOR: f64 = 1000.0;

/// Seconds as HdrHistogram's log writer prints them.
fn fp_seconds(d: Duration) -> f64 {
    d.as_secs() as f64 + f64::from(d.subsec_nanos()) / 1e9
}

fn source(r: &Results) -> &'static str {
    match r.source {
        super::RunSource::Sim => "simulated",
        super::RunSource::Live => "live",
    }
}

#[cfg(test)]
mod tests {
    use crate::results::{Outcome, Recorder, RunMeta, RunSource};
    use crate::scenario::{self, Priority};
    use crate::time::Time;
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
    use std::time::Duration;

    #[test]
    fn the_standard_reader_reads_it_back() {
        let s = scenario::parse("t.toml", "[[workload.phases]]\nduration = \"2s\"\nrate = 1\n[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"1ms\"\n").unwrap();
        let mut rec = Recorder::new(Duration::from_secs(1));
        for i in 0..20u64 {
            let t = Time(i * 100_000_000);
            rec.attempt_sent(crate::results::Tag::new(Priority::Interactive, 0), t, false);
            rec.attempt_finished(
                crate::results::Tag::new(Priority::Interactive, 0),
                t,
                Outcome::Ok,
                Duration::from_millis(1 + i),
            );
        }
        let r = rec.finish(
            &s,
            RunMeta {
                source: RunSource::Sim,
                strategy: "fifo".into(),
                incomplete: false,
                generator: None,
            },
        );
        let mut buf = Vec::new();
        super::write_hlog(&r, &mut buf).unwrap();
        let hists: Vec<_> = IntervalLogIterator::new(&buf)
            .filter_map(|e| match e {
                Ok(LogEntry::Interval(h)) => Some(h),
                _ => None,
            })
            .collect();
        assert_eq!(hists.len(), 2, "one attempt_latency line per window");
        assert_eq!(
            hists[0].tag().map(|t| t.as_str().to_string()),
            Some("attempt_latency".to_string())
        );
        assert_eq!(hists[1].start_timestamp(), Duration::from_secs(1));
        assert!(
            (hists[1].max() - 20.0).abs() < 0.2,
            "max column in ms: {}",
            hists[1].max()
        );
        // The same bytes as HdrHistogram's own writer, fed each window's histogram.
        let mut reference = Vec::new();
        let mut serializer = hdrhistogram::serialization::V2DeflateSerializer::new();
        let comment = format!(
            "spillway simulated run of {} (strategy fifo, seed {}), values in microseconds",
            r.scenario_name, r.seed
        );
        let mut log = hdrhistogram::serialization::interval_log::IntervalLogWriterBuilder::new()
            .add_comment(&comment)
            .with_max_value_divisor(1000.0)
            .begin_log_with(&mut reference, &mut serializer)
            .unwrap();
        for w in &r.windows {
            for (name, h) in &w.histograms {
                let tag = hdrhistogram::serialization::interval_log::Tag::new(name);
                log.write_histogram(
                    &h.unpack().0,
                    crate::time::secs(w.start_s),
                    crate::time::secs(r.window_s),
                    tag,
                )
                .unwrap();
            }
        }
        assert_eq!(String::from_utf8_lossy(&buf), String::from_utf8_lossy(&reference));
    }
}
