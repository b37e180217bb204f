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
    let decimals = decimals_for(window);
    for w in &r.windows {
        let start = crate::time::secs(w.start_s);
        // The base64 of the histogram before, kept for one of the same bytes (attempt and
        // intent latency, in runs of one attempt per intent).
        let mut last: Option<(&super::PackedHist, String)> = None;
        for (name, h) in &w.histograms {
            let text = match last {
                Some((before, text)) if before == h => text,
                _ => h.base64(),
            };
            // As the writer: a name that cannot be a tag leaves the line untagged.
            if let Some(tag) = Tag::new(name) {
                write!(out, "Tag={},", tag.as_str())?;
            }
            writeln!(
                out,
                "{:.decimals$},{:.decimals$},{:.3},{}",
                fp_seconds(start),
                fp_seconds(window),
                h.max_us() as f64 / MAX_VALUE_DIVISOR,
                text
            )?;
            last = Some((h, text));
        }
    }
    Ok(())
}

/// Decimals of the start and length columns: HdrHistogram's writer prints 3 (milliseconds),
/// which collapses windows under a millisecond (250 us windows all started at 0.000 and lasted
/// 0.000). Its reader takes up to 9 (nanoseconds), so a window that is not a whole number of
/// milliseconds gets as many as it needs to be exact, and every window start with it (starts
/// are multiples of the window). Whole milliseconds keep the writer's 3, byte for byte.
fn decimals_for(window: Duration) -> usize {
    let mut decimals = 3;
    let mut unit = 1_000_000u32; // nanoseconds in the last decimal
    while decimals < 9 && !window.subsec_nanos().is_multiple_of(unit) {
        decimals += 1;
        unit /= 10;
    }
    decimals
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
    use crate::results::{Outcome, Recorder, RunMeta};
    use crate::scenario::{self, Priority};
    use crate::time::Time;
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
    use hdrhistogram::serialization::Deserializer;
    use std::time::Duration;

    /// A serializer for HdrHistogram's log writer that writes the bytes spillway packs.
    struct Packed;

    impl hdrhistogram::serialization::Serializer for Packed {
        type SerializeError = std::io::Error;

        fn serialize<T: hdrhistogram::Counter, W: std::io::Write>(
            &mut self,
            h: &hdrhistogram::Histogram<T>,
            writer: &mut W,
        ) -> std::io::Result<usize> {
            let bytes = crate::results::histogram::packed_bytes(h);
            writer.write_all(&bytes)?;
            Ok(bytes.len())
        }
    }

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
        let r = rec.finish(&s, RunMeta::sim("fifo"));
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
        // The same bytes as HdrHistogram's own writer, fed each window's histogram and
        // serializing it as spillway packs (hdrhistogram's serializer compresses with miniz).
        let mut reference = Vec::new();
        let mut serializer = Packed;
        let comment = format!(
            "spillway simulated run of {} (strategy fifo, seed {}), values in microseconds",
            r.scenario_name, r.seed
        );
        let mut log = hdrhistogram::serialization::interval_log::IntervalLogWriterBuilder::new()
            .add_comment(&comment)
            .with_max_value_divisor(1000.0)
            .begin_log_with(&mut reference, &mut serializer)
            .unwrap();
        let mut expected = Vec::new();
        for w in &r.windows {
            for (name, h) in &w.histograms {
                let tag = hdrhistogram::serialization::interval_log::Tag::new(name);
                let h = h.unpack().0;
                log.write_histogram(&h, crate::time::secs(w.start_s), crate::time::secs(r.window_s), tag)
                    .unwrap();
                expected.push(h);
            }
        }
        // And each line's histogram decodes, by HdrHistogram's deserializer, to the window's.
        let decoded: Vec<hdrhistogram::Histogram<u64>> = hists
            .iter()
            .map(|e| {
                let bytes = STANDARD.decode(e.encoded_histogram()).unwrap();
                Deserializer::new().deserialize(&mut &bytes[..]).unwrap()
            })
            .collect();
        assert!(decoded == expected);
        assert_eq!(String::from_utf8_lossy(&buf), String::from_utf8_lossy(&reference));
    }

    /// The audit's hlog-window file: 250 us windows were all written as starting at 0.000 and
    /// lasting 0.000. Now each line has the decimals its window needs, and the standard reader
    /// reads back every start and length exactly.
    #[test]
    fn windows_under_a_millisecond_keep_their_times() {
        let s = scenario::parse("t.toml", "[run]\nwindow = \"250us\"\n[[workload.phases]]\nduration = \"2ms\"\nrate = 4000\n[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"100us\"\n").unwrap();
        let mut rec = Recorder::new(Duration::from_micros(250));
        let tag = crate::results::Tag::new(Priority::Interactive, 0);
        for i in 0..8u64 {
            let t = Time(i * 250_000 + 10_000);
            rec.attempt_sent(tag, t, false);
            rec.attempt_finished(tag, t, Outcome::Ok, Duration::from_micros(100 + i));
        }
        let r = rec.finish(&s, RunMeta::sim("fifo"));
        let mut buf = Vec::new();
        super::write_hlog(&r, &mut buf).unwrap();
        let text = String::from_utf8(buf.clone()).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("Tag=attempt_latency,")).collect();
        assert_eq!(lines.len(), 8, "{text}");
        assert!(
            lines[0].starts_with("Tag=attempt_latency,0.00000,0.00025,0.100,"),
            "{}",
            lines[0]
        );
        assert!(
            lines[3].starts_with("Tag=attempt_latency,0.00075,0.00025,0.103,"),
            "{}",
            lines[3]
        );
        let times: Vec<(Duration, Duration)> = IntervalLogIterator::new(&buf)
            .filter_map(|e| match e {
                Ok(LogEntry::Interval(h)) if h.tag().is_some_and(|t| t.as_str() == "attempt_latency") => {
                    Some((h.start_timestamp(), h.duration()))
                }
                _ => None,
            })
            .collect();
        let want: Vec<(Duration, Duration)> = (0..8u64)
            .map(|i| (Duration::from_micros(250 * i), Duration::from_micros(250)))
            .collect();
        assert_eq!(times, want);
    }

    #[test]
    fn decimals_follow_the_window() {
        let d = super::decimals_for;
        assert_eq!(d(Duration::from_secs(1)), 3);
        assert_eq!(d(Duration::from_millis(1)), 3);
        assert_eq!(d(Duration::from_secs(60)), 3);
        assert_eq!(d(Duration::from_micros(1500)), 4);
        assert_eq!(d(Duration::from_micros(250)), 5);
        assert_eq!(d(Duration::from_micros(1)), 6);
        assert_eq!(d(Duration::from_nanos(333_333_333)), 9);
        assert_eq!(d(Duration::from_nanos(1)), 9);
    }
}
