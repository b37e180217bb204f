//! Charts render to a decodable PNG and a well-formed SVG that carry the title, the legend and
//! the data, for real-looking results and for degenerate ones.
//!
//! Results are built with the model's own `Recorder` (as the simulator does) from a synthetic
//! event stream: a death spiral (collapse after a burst, retries, wasted work, a growing
//! queue) and a healthy shedding run. No fixture file is committed.

use model::results::{metric, Outcome, Recorder, Results, RunMeta, Tag, Verdict};
use model::scenario::Priority;
use model::Time;
use quick_xml::events::Event;
use reports::charts::{self, Figure, Heatmap, Labeled};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// Unbounded FIFO: collapses at the burst and never recovers.
    Spiral,
    /// Sheds during the burst, healthy again right after; reports a concurrency limit.
    Shedding,
}

fn scenario() -> model::scenario::Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/death-spiral.toml");
    model::scenario::load(&path).expect("the repository's death-spiral scenario loads")
}

/// A deterministic stand-in for random numbers in [0, 1).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn synthetic(kind: Kind) -> Results {
    let sc = scenario();
    let mut rec = Recorder::new(Duration::from_secs(1));
    let mut rng = Lcg(7);
    let secs = sc.duration.as_secs();
    let ms = |v: f64| Duration::from_secs_f64(v / 1e3);
    for s in 0..secs {
        let burst = (60..80).contains(&s);
        let n = if burst { 100 } else { 30 };
        let collapsed = kind == Kind::Spiral && s >= 60;
        for i in 0..n {
            let t = Time::from_secs_f64(s as f64 + i as f64 / n as f64);
            rec.intent_offered(Tag::new(Priority::Interactive, 0), t);
            rec.attempt_sent(Tag::new(Priority::Interactive, 0), t, false);
            let service = ms(30.0 + 40.0 * rng.next());
            if collapsed {
                rec.attempt_sent(Tag::new(Priority::Interactive, 0), t, true);
                rec.attempt_sent(Tag::new(Priority::Interactive, 0), t, true);
                rec.attempt_finished(
                    Tag::new(Priority::Interactive, 0),
                    t,
                    Outcome::Timeout,
                    Duration::from_secs(1),
                );
                let ok = i % 5 == 0 && s < 90;
                rec.intent_finished(
                    Tag::new(Priority::Interactive, 0),
                    t,
                    ms(2900.0 + 400.0 * rng.next()),
                    ok,
                );
                rec.backend_work(t, service, !ok);
                rec.queue_wait(t, ms(900.0 + 200.0 * rng.next()));
                rec.gauges(t, 50 + (s - 60) * 4 + i % 7, 8);
            } else if kind == Kind::Shedding && burst && i % 2 == 1 {
                rec.attempt_finished(Tag::new(Priority::Interactive, 0), t, Outcome::Shed, ms(1.0));
                rec.intent_finished(Tag::new(Priority::Interactive, 0), t, ms(1.0), false);
                rec.gauges(t, 20 + i % 5, 8);
            } else {
                let lat = ms(40.0 + 60.0 * rng.next() * rng.next());
                rec.attempt_finished(Tag::new(Priority::Interactive, 0), t, Outcome::Ok, lat);
                rec.intent_finished(Tag::new(Priority::Interactive, 0), t, lat, true);
                rec.backend_work(t, service, false);
                rec.queue_wait(t, ms(2.0 * rng.next()));
                rec.gauges(t, i % 3, 2 + i % 4);
            }
            if kind == Kind::Shedding && i == 0 {
                rec.limit(t, if burst { 6 } else { 10 + s % 3 });
            }
        }
    }
    let strategy = match kind {
        Kind::Spiral => "fifo",
        Kind::Shedding => "bounded",
    };
    let meta = RunMeta::sim(strategy);
    rec.finish(&sc, meta)
}

/// Results with nothing in them, and numbers that are not numbers.
fn empty() -> Results {
    let mut r = synthetic(Kind::Shedding);
    r.windows.clear();
    r.totals.clear();
    r.phases.clear();
    r.window_s = 0.0;
    r.summary.whole.goodput_ratio = f64::NAN;
    r.summary.whole.amplification = f64::INFINITY;
    r.summary.wasted_ratio = f64::NAN;
    r.summary.whole.latency = Default::default();
    r.summary.whole.recovery_s = None;
    r.summary.whole.verdict = None;
    r
}

/// Decodes `png` and returns its pixels (RGB); fails the test on anything but a valid image
/// of `size` with visible content.
fn check_png(fig: &Figure, size: (u32, u32)) -> Vec<[u8; 3]> {
    assert_eq!(fig.png[..8], PNG_SIGNATURE, "{}: not a PNG", fig.stem);
    let decoder = png::Decoder::new(fig.png.as_slice());
    let mut reader = decoder.read_info().expect("PNG header decodes");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG data decodes");
    assert_eq!((info.width, info.height), size, "{}: PNG size", fig.stem);
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let pixels: Vec<[u8; 3]> = buf[..info.buffer_size()]
        .chunks_exact(3)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    let colours: HashSet<[u8; 3]> = pixels.iter().copied().collect();
    assert!(colours.len() > 20, "{}: only {} colours", fig.stem, colours.len());
    let inked = pixels.iter().filter(|p| **p != [255, 255, 255]).count();
    assert!(
        inked * 100 > pixels.len(),
        "{}: almost blank ({inked} non-white pixels)",
        fig.stem
    );
    pixels
}

/// How many pixels are within a small distance of `c`.
fn count_near(pixels: &[[u8; 3]], c: [u8; 3]) -> usize {
    pixels
        .iter()
        .filter(|p| p.iter().zip(c).all(|(a, b)| (i32::from(*a) - i32::from(b)).abs() <= 6))
        .count()
}

struct Svg {
    texts: Vec<String>,
    elements: Vec<String>,
    size: (u32, u32),
}

impl Svg {
    fn has_text(&self, needle: &str) -> bool {
        self.texts.iter().any(|t| t.contains(needle))
    }
    fn count(&self, name: &str) -> usize {
        self.elements.iter().filter(|e| *e == name).count()
    }
}

/// Parses `fig.svg` as XML (failing on any error), checks the root and the shape elements, and
/// returns the text of its `<text>` elements.
fn check_svg(fig: &Figure) -> Svg {
    check_svg_shapes(fig, 4)
}

fn check_svg_shapes(fig: &Figure, min_shapes: usize) -> Svg {
    let mut reader = quick_xml::Reader::from_str(&fig.svg);
    reader.config_mut().check_end_names = true;
    let mut depth = 0usize;
    let mut in_text = false;
    let mut svg = Svg {
        texts: Vec::new(),
        elements: Vec::new(),
        size: (0, 0),
    };
    let mut current = String::new();
    loop {
        let event = reader
            .read_event()
            .unwrap_or_else(|e| panic!("{}: SVG is not well-formed XML: {e}", fig.stem));
        let opens = matches!(event, Event::Start(_));
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).to_string();
                if svg.elements.is_empty() {
                    assert_eq!(name, "svg", "{}: root element", fig.stem);
                    let attr = |k: &str| {
                        e.try_get_attribute(k)
                            .ok()
                            .flatten()
                            .and_then(|a| String::from_utf8_lossy(&a.value).parse::<u32>().ok())
                            .unwrap_or(0)
                    };
                    svg.size = (attr("width"), attr("height"));
                }
                if name == "text" {
                    in_text = true;
                    current.clear();
                }
                svg.elements.push(name);
                if opens {
                    depth += 1;
                }
            }
            Event::End(e) => {
                depth -= 1;
                if e.name().as_ref() == b"text" {
                    in_text = false;
                    svg.texts.push(current.trim().to_string());
                }
            }
            Event::Text(t) if in_text => current.push_str(&t.decode().expect("UTF-8 text")),
            Event::GeneralRef(r) if in_text => {
                let name = r.decode().expect("UTF-8 entity");
                current.push_str(match name.as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("{}: unexpected entity &{other};", fig.stem),
                });
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "{}: unclosed elements", fig.stem);
    assert!(
        svg.has_text(&fig.title),
        "{}: title {:?} not in the SVG",
        fig.stem,
        fig.title
    );
    let shapes = svg.count("path") + svg.count("polyline") + svg.count("rect") + svg.count("line");
    assert!(shapes >= min_shapes, "{}: only {shapes} shapes", fig.stem);
    svg
}

fn check(fig: &Figure, size: (u32, u32), labels: &[&str]) -> (Vec<[u8; 3]>, Svg) {
    let pixels = check_png(fig, size);
    let svg = check_svg(fig);
    assert_eq!(svg.size, size, "{}: SVG size differs from the PNG's", fig.stem);
    for l in labels {
        assert!(
            svg.has_text(l),
            "{}: {l:?} not among the SVG's texts {:?}",
            fig.stem,
            svg.texts
        );
    }
    (pixels, svg)
}

const TRIGGER_ON_WHITE: [u8; 3] = [255, 241, 224];
const GOODPUT: [u8; 3] = [44, 160, 44];

#[test]
fn throughput_shows_rates_wasted_work_and_the_trigger() {
    let r = synthetic(Kind::Spiral);
    let fig = charts::throughput(Labeled {
        label: "fifo (sim)",
        results: &r,
    })
    .unwrap();
    assert_eq!(fig.stem, "throughput-fifo-sim");
    let (pixels, svg) = check(
        &fig,
        (900, 420),
        &[
            "offered (intents)",
            "attempts (incl. retries)",
            "goodput: intents sent then that succeeded",
            "timeouts",
            "shed (503)",
            "wasted work (right axis)",
            "trigger phase",
            "burst",
            "scenario time (s)",
            "backend-seconds per second",
        ],
    );
    assert!(svg.count("polyline") + svg.count("path") >= 7, "one line per series");
    assert!(count_near(&pixels, GOODPUT) > 300, "the goodput line is drawn");
    assert!(count_near(&pixels, TRIGGER_ON_WHITE) > 2000, "the burst is shaded");
    // No expiry, rate limiting or errors happened, so they stay out of the legend.
    assert!(!svg.has_text("expired"));
    assert!(!svg.has_text("rate limited"));
}

#[test]
fn latency_draws_percentiles_on_a_log_axis() {
    let r = synthetic(Kind::Spiral);
    let fig = charts::latency(Labeled {
        label: "fifo (sim)",
        results: &r,
    })
    .unwrap();
    assert_eq!(fig.stem, "latency-fifo-sim");
    let (_, svg) = check(
        &fig,
        (900, 420),
        &[
            "p50",
            "p90",
            "p99",
            "max",
            "intent latency, failures included (log scale)",
        ],
    );
    // Decade ticks on the log axis, from the 40 ms before the burst to the 3 s after it.
    assert!(svg.has_text("100ms") && svg.has_text("1s"), "ticks: {:?}", svg.texts);
}

#[test]
fn latency_falls_back_to_attempt_latency() {
    let mut r = synthetic(Kind::Shedding);
    for w in &mut r.windows {
        w.histograms.remove(metric::INTENT_LATENCY);
    }
    let fig = charts::latency(Labeled {
        label: "x",
        results: &r,
    })
    .unwrap();
    check(
        &fig,
        (900, 420),
        &["attempt latency, failures included (log scale)", "p99"],
    );
}

#[test]
fn gateway_shows_queue_in_flight_and_the_limit_when_there_is_one() {
    let r = synthetic(Kind::Shedding);
    let fig = charts::gateway(Labeled {
        label: "bounded (sim)",
        results: &r,
    })
    .unwrap();
    assert_eq!(fig.stem, "gateway-bounded-sim");
    check(
        &fig,
        (900, 420),
        &[
            "queue depth (mean, all services)",
            "queue depth (max, all services)",
            "in flight (mean, all services) (right axis)",
            "concurrency limits (sum) (right axis)",
            "requests in flight (sum of 2 services)",
        ],
    );
    let r = synthetic(Kind::Spiral);
    let fig = charts::gateway(Labeled {
        label: "fifo",
        results: &r,
    })
    .unwrap();
    let (_, svg) = check(&fig, (900, 420), &["queue depth (mean, all services)"]);
    assert!(!svg.has_text("concurrency limit"), "no limit was reported");
}

#[test]
fn nines_overlays_runs_on_the_percentile_axis() {
    let (a, b) = (synthetic(Kind::Spiral), synthetic(Kind::Shedding));
    let mut none = synthetic(Kind::Shedding);
    none.totals.clear();
    let runs = [
        Labeled {
            label: "fifo (sim)",
            results: &a,
        },
        Labeled {
            label: "bounded (sim)",
            results: &b,
        },
        Labeled {
            label: "no histograms",
            results: &none,
        },
    ];
    let fig = charts::nines(&runs).unwrap();
    assert_eq!(fig.stem, "percentiles");
    let (pixels, svg) = check(
        &fig,
        (900, 420),
        &[
            "fifo (sim)",
            "bounded (sim)",
            "50%",
            "90%",
            "99%",
            "99.9%",
            "no latency data: no histograms",
        ],
    );
    assert!(svg.count("polyline") + svg.count("path") >= 2);
    // The first two run colours (Tableau blue and orange) are both drawn.
    assert!(count_near(&pixels, [31, 119, 180]) > 200);
    assert!(count_near(&pixels, [255, 127, 14]) > 200);
}

/// A run of a scenario with priorities gets a chart of each class's latency distribution; a
/// run without classes gets none.
#[test]
fn nines_by_class_draws_one_curve_per_class() {
    use model::results::{GroupCounters, GroupResults, Hist};
    let mut r = synthetic(Kind::Shedding);
    let plain = Labeled {
        label: "fifo (sim)",
        results: &r.clone(),
    };
    assert!(charts::nines_by_class(plain).is_none());
    let mut rng = Lcg(3);
    for (class, base_ms) in [(Priority::Interactive, 20.0), (Priority::Background, 2000.0)] {
        let mut h = Hist::new(3);
        for _ in 0..500 {
            h.record(Duration::from_secs_f64(base_ms * (1.0 + rng.next()) / 1e3));
        }
        r.classes.insert(
            class,
            GroupResults {
                counters: GroupCounters::default(),
                intent_latency: h,
            },
        );
    }
    let fig = charts::nines_by_class(Labeled {
        label: "priorities (sim)",
        results: &r,
    })
    .unwrap()
    .unwrap();
    assert_eq!(fig.stem, "classes-priorities-sim");
    let (pixels, svg) = check(
        &fig,
        (900, 420),
        &[
            "Latency by priority class",
            "interactive",
            "background",
            "500 intents",
            "99%",
        ],
    );
    assert!(svg.count("polyline") + svg.count("path") >= 2);
    assert!(count_near(&pixels, [31, 119, 180]) > 200);
    assert!(count_near(&pixels, [255, 127, 14]) > 200);
}

/// Goodput over time per service (and per class) when the results keep per-window group
/// figures: the failing service's line and its verdict stand apart from the whole run's.
#[test]
fn goodput_by_group_draws_a_line_per_service() {
    assert!(
        charts::goodput_by_group(Labeled {
            label: "fifo (sim)",
            results: &synthetic(Kind::Shedding),
        })
        .is_empty(),
        "one service, no classes: no group charts"
    );
    let sc = scenario();
    let mut rec = Recorder::new(Duration::from_secs(1)).with_services(vec!["ok".into(), "bad".into()]);
    for s in 0..sc.duration.as_secs() {
        for i in 0..20u64 {
            let t = Time::from_secs_f64(s as f64 + i as f64 / 20.0);
            // Every fourth intent goes to `bad`, which fails from the trigger (60 s) on.
            let service = usize::from(i % 4 == 0);
            let tag = Tag::new(Priority::Interactive, service);
            rec.intent_offered(tag, t);
            rec.intent_finished(tag, t, Duration::from_millis(30), service == 0 || s < 60);
        }
    }
    let meta = RunMeta::sim("fifo");
    let r = rec.finish(&sc, meta);
    assert_eq!(r.summary.services["bad"].verdict, Some(Verdict::Metastable));
    let figs = charts::goodput_by_group(Labeled {
        label: "two services",
        results: &r,
    });
    assert_eq!(figs.len(), 1, "services only: the scenario has no priorities");
    let fig = figs.into_iter().next().unwrap().unwrap();
    assert_eq!(fig.stem, "goodput-services-two-services");
    let (pixels, _) = check(
        &fig,
        (900, 420),
        &[
            "Goodput by service — two services",
            "ok  100.0%",
            "metastable",
            "whole run",
            "trigger phase",
            "goodput ratio (%)",
        ],
    );
    // `ok` and `bad` in the first two run colours.
    assert!(count_near(&pixels, [31, 119, 180]) > 200);
    assert!(count_near(&pixels, [255, 127, 14]) > 200);
}

/// What each service's gateway queue held, a line per service: the one whose backlog grew
/// stands apart. No chart for one service, or for results that keep no per-service held.
#[test]
fn held_by_service_draws_a_line_per_service() {
    assert!(
        charts::held_by_service(Labeled {
            label: "fifo (sim)",
            results: &synthetic(Kind::Shedding),
        })
        .is_none(),
        "one service: no chart"
    );
    let sc = scenario();
    let names: Vec<String> = (0..14).map(|i| format!("svc-{i}")).collect();
    let record = |held: bool| {
        let mut rec = Recorder::new(Duration::from_secs(1)).with_services(names.clone());
        for s in 0..sc.duration.as_secs() {
            for i in 0..28u64 {
                let t = Time::from_secs_f64(s as f64 + i as f64 / 28.0);
                let service = (i % 14) as usize;
                let tag = Tag::new(Priority::Interactive, service);
                rec.intent_offered(tag, t);
                rec.intent_finished(tag, t, Duration::from_millis(30), true);
                if i % 14 == 0 {
                    rec.gauges(t, 0, 0);
                    for k in 0..14 {
                        // svc-5 and svc-11 back up from the trigger (60 s) on, svc-11 most;
                        // svc-0 and svc-1 hold the least (1 in flight).
                        let h = match k {
                            5 if s >= 60 => s - 59,
                            11 if s >= 60 => 2 * (s - 59),
                            0 | 1 => 1,
                            _ => 3,
                        };
                        if held {
                            rec.service_held(t, k, h);
                        }
                    }
                }
            }
        }
        rec.finish(&sc, RunMeta::sim("fifo"))
    };
    let without = record(false);
    assert!(
        charts::held_by_service(Labeled {
            label: "old",
            results: &without,
        })
        .is_none(),
        "nothing held kept: no chart"
    );
    let r = record(true);
    let fig = charts::held_by_service(Labeled {
        label: "fourteen",
        results: &r,
    })
    .expect("a chart")
    .unwrap();
    assert_eq!(fig.stem, "held-services-fourteen");
    let (pixels, svg) = check(
        &fig,
        (900, 420),
        &[
            "Requests held at the gateway by service, the 12 fullest of 14 — fourteen",
            "svc-5",
            "svc-11",
            "requests held (queued + in flight, mean)",
            "trigger phase",
        ],
    );
    // The two that held the least are left out.
    let listed = |n: &str| svg.texts.iter().any(|t| t.split_whitespace().next() == Some(n));
    assert!(listed("svc-2") && listed("svc-13"), "{:?}", svg.texts);
    assert!(!listed("svc-0") && !listed("svc-1"), "{:?}", svg.texts);
    assert!(count_near(&pixels, [31, 119, 180]) > 100);
    // And charts of the run include it.
    let all = charts::per_run(
        Labeled {
            label: "fourteen",
            results: &r,
        },
        1,
    )
    .unwrap();
    assert!(all.iter().any(|f| f.stem == "held-services-fourteen"));
}

/// With more services than a chart can tell apart, the goodput chart draws the worst
/// [`charts::MAX_GROUP_LINES`] by goodput ratio and says so; a failing service is never left out.
#[test]
fn goodput_by_service_draws_the_worst_when_there_are_many() {
    let sc = scenario();
    let names: Vec<String> = (0..20).map(|i| format!("svc-{i}")).collect();
    let mut rec = Recorder::new(Duration::from_secs(1)).with_services(names);
    for s in 0..sc.duration.as_secs() {
        for i in 0..40u64 {
            let t = Time::from_secs_f64(s as f64 + i as f64 / 40.0);
            let service = (i % 20) as usize;
            let tag = Tag::new(Priority::Interactive, service);
            rec.intent_offered(tag, t);
            // svc-17 and svc-3 fail from the trigger on; the rest are healthy.
            let failing = matches!(service, 3 | 17) && s >= 60;
            rec.intent_finished(tag, t, Duration::from_millis(30), !failing);
        }
    }
    let r = rec.finish(&sc, RunMeta::sim("fifo"));
    let figs = charts::goodput_by_group(Labeled {
        label: "twenty",
        results: &r,
    });
    let fig = figs.into_iter().next().unwrap().unwrap();
    let (_, svg) = check(
        &fig,
        (900, 420),
        &[
            "Goodput by service, the 12 worst of 20 — twenty",
            "svc-3 ",
            "svc-17 ",
            "whole run",
        ],
    );
    // Ties (the healthy ones) are kept in order: svc-0 is drawn, svc-19 is not.
    assert!(svg.has_text("svc-0 ") && !svg.has_text("svc-19 "), "{:?}", svg.texts);
    assert_eq!(charts::MAX_GROUP_LINES, 12);
}

#[test]
fn comparison_labels_values_and_failed_recovery() {
    let (a, b) = (synthetic(Kind::Spiral), synthetic(Kind::Shedding));
    assert_eq!(
        a.summary.whole.verdict,
        Some(Verdict::Metastable),
        "{}",
        a.summary.whole.verdict_reason
    );
    assert!(
        b.summary.whole.recovery_s.is_some(),
        "{}",
        b.summary.whole.verdict_reason
    );
    let runs = [
        Labeled {
            label: "fifo (sim)",
            results: &a,
        },
        Labeled {
            label: "bounded (sim)",
            results: &b,
        },
    ];
    let fig = charts::comparison(&runs).unwrap();
    assert_eq!(fig.stem, "comparison");
    let size = (900, fig_height(&fig));
    let goodput = format!("{:.1}%", a.summary.whole.goodput_ratio * 100.0);
    let (_, svg) = check(
        &fig,
        size,
        &[
            "goodput ratio",
            "p99 latency",
            "amplification",
            "wasted backend time",
            "recovery time",
            "fifo (sim)",
            "bounded (sim)",
            "did not recover",
            "metastable",
            &goodput,
        ],
    );
    // Hatching: many short lines inside the "did not recover" bar.
    assert!(svg.count("polyline") + svg.count("path") + svg.count("line") > 20);

    // One to eight runs, the same layout, taller with more runs.
    let mut last = 0;
    for n in 1..=8 {
        let many: Vec<Labeled> = (0..n)
            .map(|i| Labeled {
                label: ["a", "bb", "a much longer label (live)", "d", "e", "f", "g", "h"][i],
                results: if i % 2 == 0 { &a } else { &b },
            })
            .collect();
        let fig = charts::comparison(&many).unwrap();
        let h = fig_height(&fig);
        assert!(h > last, "{n} runs: height {h} not above {last}");
        last = h;
        check(&fig, (900, h), &["a", "verdict"]);
    }
}

/// The PNG's width and RGB pixels.
fn decode(fig: &Figure) -> (usize, Vec<[u8; 3]>) {
    assert_eq!(fig.png[..8], PNG_SIGNATURE, "{}: not a PNG", fig.stem);
    let mut reader = png::Decoder::new(fig.png.as_slice())
        .read_info()
        .expect("PNG header decodes");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG data decodes");
    let pixels = buf[..info.buffer_size()]
        .chunks_exact(3)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    (info.width as usize, pixels)
}

/// The PNG's height (the comparison grows with the number of runs).
fn fig_height(fig: &Figure) -> u32 {
    let decoder = png::Decoder::new(fig.png.as_slice());
    decoder.read_info().expect("PNG header").info().height
}

fn sweep() -> Heatmap {
    Heatmap {
        title: "Queue bound × concurrency".into(),
        x_key: "gateway.max_concurrency".into(),
        y_key: "gateway.queue_capacity".into(),
        x: vec!["4".into(), "8".into(), "16".into(), "32".into()],
        y: vec!["10".into(), "100".into(), "1000".into()],
        objective: "goodput ratio".into(),
        cells: vec![
            vec![Some(0.51), Some(0.62), Some(0.70), None],
            vec![Some(0.55), Some(0.83), Some(0.79), Some(0.30)],
            vec![Some(0.20), None, Some(0.12), Some(0.05)],
        ],
        best: Some((1, 1)),
        higher_is_better: true,
        notes: Vec::new(),
        slo_met: None,
        interrupted: None,
        failing: Vec::new(),
        points: None,
        failing_slo: Vec::new(),
        not_run: Vec::new(),
    }
}

/// A cell that fails the SLO shows its value as failing; one with no point stays "n/a".
#[test]
fn heatmap_cells_that_fail_the_slo_show_their_value() {
    let mut h = sweep();
    h.slo_met = Some(("p99<2s".into(), true));
    h.failing = vec![
        vec![None, None, None, Some(0.25)],
        vec![None; 4],
        vec![None, None, None, None],
    ];
    let fig = reports::charts::heatmap(&h).expect("drawn");
    let svg = &fig.svg;
    assert!(svg.contains("fails SLO: 0.25"), "the failing cell's value is shown");
    assert!(svg.contains("n/a"), "the cell with no point is still n/a");
    assert!(
        svg.contains("pale red: fails the SLO (p99&lt;2s)"),
        "the key says what red means"
    );
}

/// A cell failing the SLO shows the figure the SLO failed on when the sweep kept it (a
/// service's 80.40%, not the whole run's goodput ratio the cells are coloured by), and the key
/// says so.
#[test]
fn heatmap_cells_that_fail_the_slo_show_the_figure_it_failed_on() {
    let mut h = sweep();
    h.slo_met = Some(("service[billing].goodput_ratio>=0.8".into(), true));
    h.failing = vec![vec![None, None, None, Some(0.921)], vec![None; 4], vec![None; 4]];
    h.failing_slo = vec![
        vec![None, None, None, Some("SLO: 80.40%".into())],
        vec![None; 4],
        vec![None; 4],
    ];
    let fig = charts::heatmap(&h).expect("drawn");
    let svg = check_svg(&fig);
    assert!(svg.has_text("fails SLO: 80.40%"), "{:?}", svg.texts);
    assert!(!svg.has_text("fails SLO: 92"), "{:?}", svg.texts);
    assert!(svg.has_text("the figure it failed on shown"), "{:?}", svg.texts);
}

/// A replicated point's seed count shows in a cell wide enough for it; a narrow cell drops it
/// and keeps the figure.
#[test]
fn heatmap_cells_show_how_many_seeds_held_where_they_fit() {
    let detail = "SLO: 80.40% (holds in 4 of 5 seeds)";
    // One row of `n` cells, the last failing the SLO.
    let grid = |n: usize| {
        let mut h = sweep();
        h.x = (0..n).map(|i| i.to_string()).collect();
        h.y.truncate(1);
        h.cells = vec![(0..n).map(|i| (i + 1 < n).then_some(0.9)).collect()];
        h.failing = vec![(0..n).map(|i| (i + 1 == n).then_some(0.804)).collect()];
        h.failing_slo = vec![(0..n).map(|i| (i + 1 == n).then(|| detail.to_string())).collect()];
        h.best = None;
        h.slo_met = Some(("goodput_ratio>=0.8".into(), true));
        check_svg(&charts::heatmap(&h).expect("drawn"))
    };
    let wide = grid(2);
    assert!(wide.has_text(&format!("fails {detail}")), "{:?}", wide.texts);
    let narrow = grid(8);
    assert!(narrow.has_text("fails SLO: 80.40%"), "{:?}", narrow.texts);
    assert!(!narrow.has_text("holds in"), "{:?}", narrow.texts);
}

/// An interrupted sweep's cells that did not run at every load read "not run", not the grey
/// "n/a" of a setting that does not apply; the header says the sweep was interrupted and the
/// best is of the points that ran.
#[test]
fn heatmap_of_an_interrupted_sweep_says_which_cells_did_not_run() {
    let mut h = sweep();
    h.interrupted = Some("interrupted: 9 of the grid's 12 points ran".into());
    h.not_run = vec![
        vec![false, false, false, true],
        vec![false; 4],
        vec![false, true, false, false],
    ];
    let fig = charts::heatmap(&h).expect("drawn");
    let svg = check_svg(&fig);
    assert!(svg.has_text("not run"), "{:?}", svg.texts);
    assert!(!svg.texts.iter().any(|t| t == "n/a"), "{:?}", svg.texts);
    assert!(svg.has_text("interrupted"), "{:?}", svg.texts);
    assert!(svg.has_text("best of the points that ran"), "{:?}", svg.texts);
    assert!(svg.has_text("sweep was interrupted"), "{:?}", svg.texts);
    assert!(!svg.has_text("a setting that does not apply"), "{:?}", svg.texts);
    // Not interrupted: the same cells are no point there.
    h.interrupted = None;
    let svg = check_svg(&charts::heatmap(&h).expect("drawn"));
    assert!(svg.texts.iter().any(|t| t == "n/a"), "{:?}", svg.texts);
    assert!(!svg.has_text("not run"), "{:?}", svg.texts);
}

#[test]
fn heatmap_prints_values_and_marks_the_best_cell() {
    let h = sweep();
    let fig = charts::heatmap(&h).unwrap();
    assert_eq!(fig.stem, "heatmap");
    let size = (900, fig_height(&fig));
    let (pixels, svg) = check(
        &fig,
        size,
        &[
            "0.83",
            "0.05",
            "n/a",
            "gateway.max_concurrency",
            "gateway.queue_capacity",
            "1000",
            "32",
            "best",
            "goodput ratio",
        ],
    );
    assert!(svg.count("rect") >= 12, "one rectangle per cell");
    // The outline of the best cell (crimson).
    assert!(count_near(&pixels, [220, 20, 60]) > 100);

    // Lower is better, ragged rows, an out-of-range best cell and NaN: still a figure.
    let mut h = sweep();
    h.higher_is_better = false;
    h.cells[1].truncate(1);
    h.cells[2][0] = Some(f64::NAN);
    h.best = Some((9, 9));
    let fig = charts::heatmap(&h).unwrap();
    check(&fig, (900, fig_height(&fig)), &["lower is better", "n/a"]);
}

#[test]
fn empty_results_give_no_data_figures() {
    let r = empty();
    let run = Labeled {
        label: "empty",
        results: &r,
    };
    for fig in [
        charts::throughput(run).unwrap(),
        charts::latency(run).unwrap(),
        charts::gateway(run).unwrap(),
        charts::nines(&[run]).unwrap(),
        charts::nines(&[]).unwrap(),
        charts::comparison(&[]).unwrap(),
    ] {
        // A frame around the note.
        let svg = check_svg_shapes(&fig, 1);
        assert!(
            svg.has_text("no data"),
            "{}: no \"no data\" note in {:?}",
            fig.stem,
            svg.texts
        );
        // The PNG has its title in the top band, drawn with the bundled font: nothing else is
        // drawn there.
        let (w, pixels) = decode(&fig);
        let title_ink = pixels[..w * 30].iter().filter(|p| p.iter().all(|c| *c < 128)).count();
        assert!(
            title_ink > 100,
            "{}: no title text in the PNG ({title_ink} dark pixels)",
            fig.stem
        );
    }
    // The comparison of a run with no numbers still renders, with n/a where values are missing.
    let fig = charts::comparison(&[run]).unwrap();
    let svg = check_svg(&fig);
    assert!(svg.has_text("n/a"), "{:?}", svg.texts);
    let fig = charts::heatmap(&Heatmap::default()).unwrap();
    assert!(check_svg_shapes(&fig, 1).has_text("no data"));

    // Windows present but every value missing or not finite.
    let mut r = synthetic(Kind::Spiral);
    r.window_s = f64::NAN;
    let run = Labeled {
        label: "nan",
        results: &r,
    };
    for fig in [charts::throughput(run).unwrap(), charts::gateway(run).unwrap()] {
        assert!(check_svg_shapes(&fig, 1).has_text("no data"), "{}", fig.stem);
    }
    let mut r = synthetic(Kind::Spiral);
    for w in &mut r.windows {
        w.histograms.clear();
        w.start_s = f64::NAN;
    }
    let fig = charts::latency(Labeled {
        label: "nan",
        results: &r,
    })
    .unwrap();
    assert!(check_svg_shapes(&fig, 1).has_text("no data"));
}

#[test]
fn labels_with_markup_stay_well_formed() {
    let r = synthetic(Kind::Shedding);
    let label = "a<b & \"c\" 'd'";
    let fig = charts::throughput(Labeled { label, results: &r }).unwrap();
    assert_eq!(fig.stem, "throughput-a-b-c-d");
    check_svg(&fig);
}

#[test]
fn slugs() {
    assert_eq!(charts::slug("fifo (sim)"), "fifo-sim");
    assert_eq!(charts::slug("Adaptive-LIFO (live)"), "adaptive-lifo-live");
    assert_eq!(charts::slug("  deadline  /  x  "), "deadline-x");
    assert_eq!(charts::slug("a__b"), "a-b");
    assert_eq!(charts::slug("été"), "t");
    assert_eq!(charts::slug("()"), "run");
    assert_eq!(charts::slug(""), "run");
}

/// A 300-character strategy made chart file names past the file system's 255 bytes: slugs are
/// bounded, and labels that share a long beginning still get slugs of their own.
#[test]
fn long_labels_give_bounded_distinct_slugs() {
    let long = "x".repeat(300);
    let a = charts::slug(&format!("{long} (sim)"));
    let b = charts::slug(&format!("{long} (live)"));
    for s in [&a, &b] {
        assert_eq!(s.len(), charts::MAX_SLUG, "{s}");
        assert!(s.starts_with("xxxx") && !s.contains("--"), "{s}");
    }
    assert_ne!(a, b);
    assert_eq!(
        a,
        charts::slug(&format!("{long} (sim)")),
        "the same label, the same slug"
    );
    // Short labels (variant names are at most 64 characters) keep their plain slugs.
    let name = "a".repeat(64);
    assert_eq!(charts::slug(&format!("{name} (sim)")), format!("{name}-sim"));
    let r = synthetic(Kind::Shedding);
    let label = format!("{long} (sim)");
    let fig = charts::throughput(Labeled {
        label: &label,
        results: &r,
    })
    .unwrap();
    let dir = temp_dir("long-label");
    fig.write(&dir).expect("a long label's chart is written");
    let _ = std::fs::remove_dir_all(&dir);
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("spillway-charts-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn write_puts_both_files_in_the_directory() {
    let r = synthetic(Kind::Shedding);
    let fig = charts::latency(Labeled {
        label: "bounded (sim)",
        results: &r,
    })
    .unwrap();
    let dir = temp_dir("write").join("nested");
    let paths = fig.write(&dir).unwrap();
    assert_eq!(
        paths,
        vec![dir.join("latency-bounded-sim.svg"), dir.join("latency-bounded-sim.png")]
    );
    assert_eq!(std::fs::read_to_string(&paths[0]).unwrap(), fig.svg);
    assert_eq!(std::fs::read(&paths[1]).unwrap(), fig.png);
    let _ = std::fs::remove_dir_all(dir.parent().unwrap_or(&dir));

    // A file where the directory should be: an error naming the path, not a panic.
    let blocker = temp_dir("blocked");
    std::fs::write(&blocker, b"").unwrap();
    let err = fig.write(&blocker).unwrap_err();
    assert!(err.to_string().contains(&blocker.display().to_string()), "{err}");
    let _ = std::fs::remove_file(&blocker);
}

/// The elements `name` of an SVG: their attributes and text.
fn svg_elements(svg: &str, name: &str) -> Vec<(std::collections::HashMap<String, String>, String)> {
    let mut reader = quick_xml::Reader::from_str(svg);
    let mut out = Vec::new();
    let mut open: Option<(std::collections::HashMap<String, String>, String)> = None;
    loop {
        match reader.read_event().expect("well-formed SVG") {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == name.as_bytes() => {
                let attrs = e
                    .attributes()
                    .flatten()
                    .map(|a| {
                        (
                            String::from_utf8_lossy(a.key.as_ref()).to_string(),
                            String::from_utf8_lossy(&a.value).to_string(),
                        )
                    })
                    .collect();
                open = Some((attrs, String::new()));
                if name != "text" {
                    out.extend(open.take());
                }
            }
            Event::Text(t) => {
                if let Some((_, s)) = open.as_mut() {
                    s.push_str(t.decode().expect("UTF-8").trim());
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, s)) = open.as_mut() {
                    s.push(match r.decode().expect("UTF-8").as_ref() {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        _ => '?',
                    });
                }
            }
            Event::End(e) if e.name().as_ref() == name.as_bytes() => out.extend(open.take()),
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

/// The y coordinate of the first `<text>` whose text contains `needle`.
fn text_y(svg: &str, needle: &str) -> f64 {
    svg_elements(svg, "text")
        .into_iter()
        .find(|(_, t)| t.contains(needle))
        .and_then(|(a, _)| a.get("y").and_then(|y| y.parse().ok()))
        .unwrap_or_else(|| panic!("no text {needle:?}"))
}

/// C3: a trigger phase's name sits in a strip above the plot area, where no line crosses it
/// (it was inside, under the 100% goodput line and the p99 at the clients' patience).
#[test]
fn phase_names_sit_above_the_plot_area() {
    let r = synthetic(Kind::Spiral);
    let run = Labeled {
        label: "fifo (sim)",
        results: &r,
    };
    for fig in [
        charts::throughput(run).unwrap(),
        charts::latency(run).unwrap(),
        charts::gateway(run).unwrap(),
    ] {
        let band_top = svg_elements(&fig.svg, "rect")
            .into_iter()
            .filter(|(a, _)| {
                a.get("fill").is_some_and(|f| f == "#FFAA3C") && a.get("opacity").is_some_and(|o| o == "0.16")
            })
            .filter_map(|(a, _)| a.get("y").and_then(|y| y.parse::<f64>().ok()))
            .next()
            .expect("the burst is shaded");
        let label = text_y(&fig.svg, "burst");
        assert!(
            label < band_top,
            "{}: \"burst\" at y {label}, the plot starts at {band_top}",
            fig.stem
        );
    }
}

/// M11: where no intent succeeded, the latency lines are failures' (after the collapse, the
/// clients' give-up time): those windows are marked, and the legend and the axis say so.
#[test]
fn latency_marks_windows_where_no_intent_succeeded() {
    let r = synthetic(Kind::Spiral);
    assert!(r.windows[100].counters.requests.successes == 0 && r.windows[100].counters.requests.failures > 0);
    let fig = charts::latency(Labeled {
        label: "fifo (sim)",
        results: &r,
    })
    .unwrap();
    let (pixels, _) = check(
        &fig,
        (900, 420),
        &["no intent succeeded: lines show failures", "failures included"],
    );
    // The band: pale red over a third of the plot (windows 90 to 200).
    let band = [254, 233, 233];
    assert!(
        count_near(&pixels, band) > 20_000,
        "{} band pixels",
        count_near(&pixels, band)
    );
    // Every window of the shedding run has successes: nothing to mark.
    let r = synthetic(Kind::Shedding);
    let fig = charts::latency(Labeled {
        label: "bounded",
        results: &r,
    })
    .unwrap();
    assert!(!check_svg(&fig).has_text("no intent succeeded"));
}

/// M4: each service has a gateway queue, and the results keep their sum: with several
/// services the chart says it is a sum (a bound of 50 on 2 services plateaus at 100).
#[test]
fn gateway_says_when_it_sums_the_queues_of_several_services() {
    let r = synthetic(Kind::Spiral);
    assert_eq!(r.scenario.backend.services[0].count, Some(2));
    let fig = charts::gateway(Labeled {
        label: "fifo",
        results: &r,
    })
    .unwrap();
    check(
        &fig,
        (900, 420),
        &[
            "both services summed",
            "queued requests (sum of 2 services)",
            "requests in flight (sum of 2 services)",
            "queue depth (mean, all services)",
        ],
    );
    let mut one = synthetic(Kind::Spiral);
    one.scenario.backend.services[0].count = None;
    let fig = charts::gateway(Labeled {
        label: "fifo",
        results: &one,
    })
    .unwrap();
    let (_, svg) = check(&fig, (900, 420), &["Gateway queue and concurrency", "queued requests"]);
    assert!(!svg.has_text("sum") && !svg.has_text("all services"), "{:?}", svg.texts);
}

/// M8: a run that sent nothing gets "no data" on its throughput and gateway charts too, not
/// 0-1 axes with one dot at t=0.
#[test]
fn a_run_without_traffic_has_no_data_charts() {
    let sc = model::scenario::parse(
        "idle.toml",
        "[[workload.phases]]\nduration = \"1s\"\nrate = 0.1\n\
         [[backend.services]]\nname = \"s\"\nworkers = 1\nservice_time = \"10ms\"\n",
    )
    .unwrap();
    let r = Recorder::new(Duration::from_secs(1)).finish(&sc, RunMeta::sim("fifo"));
    assert_eq!((r.windows.len(), r.summary.whole.offered), (1, 0));
    let run = Labeled {
        label: "idle",
        results: &r,
    };
    for fig in [
        charts::throughput(run).unwrap(),
        charts::gateway(run).unwrap(),
        charts::latency(run).unwrap(),
    ] {
        let svg = check_svg_shapes(&fig, 1);
        assert!(svg.has_text("no data"), "{}: {:?}", fig.stem, svg.texts);
    }
}

/// M5: runs of different scenarios are no strategy comparison: a neutral title, and the
/// subtitle names the scenarios.
#[test]
fn a_comparison_of_different_scenarios_says_so() {
    fn compare(a: &Results, b: &Results) -> Figure {
        let runs = [
            Labeled {
                label: "fifo",
                results: a,
            },
            Labeled {
                label: "bounded",
                results: b,
            },
        ];
        charts::comparison(&runs).unwrap()
    }
    let (a, mut b) = (synthetic(Kind::Spiral), synthetic(Kind::Shedding));
    let fig = compare(&a, &b);
    assert_eq!(fig.title, "Strategy comparison");
    assert!(check_svg(&fig).has_text("scenario death-spiral"));
    // One scenario at different loads (here its window) is no strategy comparison either.
    let mut c = synthetic(Kind::Shedding);
    c.window_s = a.window_s * 5.0;
    let fig = compare(&a, &c);
    assert_eq!(fig.title, "Run comparison");
    assert!(check_svg(&fig).has_text("different loads of scenario death-spiral"));
    b.scenario_name = "steady".into();
    let fig = compare(&a, &b);
    assert_eq!(fig.title, "Run comparison");
    let svg = check_svg(&fig);
    assert!(
        svg.has_text("different scenarios: death-spiral, steady"),
        "{:?}",
        svg.texts
    );
}

/// M2: with recovery as the objective, a point that never recovered (an infinite recovery)
/// reads "never" on the worst colour, or pale red when it fails the SLO too: not the grey
/// "n/a" of a missing point.
#[test]
fn heatmap_draws_a_recovery_that_never_came_as_never() {
    let mut h = sweep();
    h.objective = "recovery".into();
    h.higher_is_better = false;
    h.cells = vec![
        vec![Some(2.0), Some(f64::INFINITY), Some(5.0), Some(2.5)],
        vec![Some(3.0), Some(4.0), None, Some(6.0)],
        vec![Some(1.0), None, Some(7.0), Some(8.0)],
    ];
    h.best = Some((0, 2));
    h.slo_met = Some(("goodput_ratio>=0.8".into(), true));
    h.failing = vec![
        vec![None; 4],
        vec![None, None, Some(f64::INFINITY), None],
        vec![None, Some(9.0), None, None],
    ];
    let fig = charts::heatmap(&h).unwrap();
    let (pixels, svg) = check(
        &fig,
        (900, fig_height(&fig)),
        &[
            "never",
            "fails SLO: never",
            "fails SLO: 9.00s",
            "never: did not recover",
        ],
    );
    // No cell lacks a point: no grey, no "n/a".
    assert!(!svg.has_text("n/a"), "{:?}", svg.texts);
    let grey = pixels.iter().filter(|p| **p == [224, 226, 229]).count();
    assert!(grey < 100, "{grey} grey pixels");
    // A missing point is grey; it cannot be a recovery that never came when the sweep shows
    // those as "never" ...
    h.cells[0][3] = None;
    let svg = check_svg(&charts::heatmap(&h).unwrap());
    assert!(
        svg.has_text("; grey n/a: no point there (a setting that does not apply)"),
        "{:?}",
        svg.texts
    );
    // ... but one that leaves them out (no cell is infinite) may have made them grey.
    h.cells[0][1] = None;
    h.failing[1][2] = None;
    let svg = check_svg(&charts::heatmap(&h).unwrap());
    assert!(
        svg.has_text("grey n/a: never recovered, or no point there"),
        "{:?}",
        svg.texts
    );
}

/// The colour bar's worst end is where "never" cells sit: when every finite recovery is 0 s it
/// read "0s better ... worse 0s", with the chart's worst cells on neither end.
#[test]
fn heatmap_colour_bar_names_never_at_its_worst_end() {
    let mut h = sweep();
    h.objective = "recovery".into();
    h.higher_is_better = false;
    h.x.truncate(2);
    h.y.truncate(1);
    h.cells = vec![vec![Some(0.0), Some(f64::INFINITY)]];
    h.best = Some((0, 0));
    h.failing = vec![vec![None, None]];
    let svg = check_svg(&charts::heatmap(&h).unwrap());
    assert!(svg.has_text("never"), "{:?}", svg.texts);
    assert_eq!(
        svg.texts.iter().filter(|t| t.as_str() == "0s").count(),
        2,
        "a cell and the bar's better end: {:?}",
        svg.texts
    );
    // With finite values apart, the worst end names both.
    h.cells = vec![vec![Some(3.0), Some(f64::INFINITY)]];
    h.x.push("third".into());
    h.cells[0].push(Some(9.0));
    h.failing = vec![vec![None, None, None]];
    let svg = check_svg(&charts::heatmap(&h).unwrap());
    assert!(svg.texts.iter().any(|t| t.ends_with(", never")), "{:?}", svg.texts);
}

/// M1: the colours span at least 5 points of a ratio, so cells 0.4 points apart (one seed's
/// noise) are near-equal colours, not the palette's two ends; the colour bar gives the range
/// it shows.
#[test]
fn heatmap_colours_of_near_equal_values_are_near_equal() {
    let mut h = sweep();
    h.objective = "goodput_ratio".into();
    h.x.truncate(2);
    h.y.truncate(1);
    h.cells = vec![vec![Some(0.815), Some(0.819)]];
    h.best = Some((1, 0));
    let fig = charts::heatmap(&h).unwrap();
    // The palette's ends appear in the colour bar only (a pixel row each), not as cells.
    let (_, pixels) = decode(&fig);
    for end in [[8, 29, 88], [255, 255, 217]] {
        assert!(
            count_near(&pixels, end) < 1000,
            "{end:?}: {} pixels",
            count_near(&pixels, end)
        );
    }
    let (_, svg) = check(&fig, (900, fig_height(&fig)), &["81.5%", "81.9%", "better"]);
    // The bar's ends are the scale's, not the cells' values (each printed once, in its cell).
    for v in ["81.5%", "81.9%"] {
        assert_eq!(svg.texts.iter().filter(|t| *t == v).count(), 1, "{v}: {:?}", svg.texts);
    }
    // Far apart values still span the palette.
    h.cells = vec![vec![Some(0.25), Some(0.87)]];
    let fig = charts::heatmap(&h).unwrap();
    let (pixels, _) = check(&fig, (900, fig_height(&fig)), &["25.0%", "87.0%"]);
    assert!(count_near(&pixels, [8, 29, 88]) > 5000);
}

/// M12: a folded axis' note gets a line of its own rather than an ellipsis, and the y axis
/// title fits a two-row grid.
#[test]
fn heatmap_title_and_axis_titles_are_not_cut() {
    let mut h = sweep();
    h.title = "death-spiral · sweep: goodput_ratio by gateway.strategy and gateway.concurrency (worst over workload.phases[1].rate)".into();
    h.x = vec!["fifo".into(), "deadline".into()];
    h.x_key = "gateway.strategy".into();
    h.y = vec!["2".into(), "4".into()];
    h.y_key = "gateway.concurrency".into();
    h.cells = vec![vec![Some(0.016), Some(0.454)], vec![Some(0.253), Some(0.819)]];
    h.best = Some((1, 1));
    let fig = charts::heatmap(&h).unwrap();
    let (_, svg) = check_svg_shapes_and_texts(&fig);
    for want in [
        "death-spiral · sweep: goodput_ratio by gateway.strategy and gateway.concurrency",
        "(worst over workload.phases[1].rate)",
        "gateway.concurrency",
    ] {
        assert!(
            svg.texts.iter().any(|t| t == want),
            "{want:?} not among {:?}",
            svg.texts
        );
    }
    assert!(!svg.texts.iter().any(|t| t.contains('…')), "{:?}", svg.texts);
}

/// Like [`check_svg`], for a figure whose title is on more than one line.
fn check_svg_shapes_and_texts(fig: &Figure) -> (Vec<[u8; 3]>, Svg) {
    let pixels = check_png(fig, (900, fig_height(fig)));
    let mut f = fig.clone();
    // The title check looks for the whole title in one text: give it the first line.
    f.title = svg_elements(&fig.svg, "text")
        .first()
        .map(|(_, t)| t.clone())
        .unwrap_or_default();
    (pixels, check_svg(&f))
}

/// C4: the notice that no configuration meets the SLO sits above the grid, not over the
/// cells' values; with no cell coloured the subtitle claims nothing of colours.
#[test]
fn heatmap_notice_that_nothing_meets_the_slo_covers_no_cell() {
    let mut h = sweep();
    h.failing = h.cells.clone();
    h.cells = vec![vec![None; 4]; 3];
    h.best = None;
    h.slo_met = Some(("p99<100ms".into(), false));
    let fig = charts::heatmap(&h).unwrap();
    let (_, svg) = check(
        &fig,
        (900, fig_height(&fig)),
        &["no configuration meets the SLO (p99<100ms)"],
    );
    let notice = text_y(&fig.svg, "no configuration meets");
    let first_row = text_y(&fig.svg, "fails SLO: 0.51");
    assert!(
        notice + 20.0 < first_row,
        "the notice at y {notice}, the first row's values at {first_row}"
    );
    assert!(!svg.has_text("darker is better"), "{:?}", svg.texts);
}

/// C4: a one-axis sweep's colour bar is tall enough for its labels (they were crammed into 55
/// px), and the figure is no taller than its content.
#[test]
fn heatmap_of_one_axis_has_a_readable_colour_bar() {
    let mut h = sweep();
    h.objective = "goodput_ratio".into();
    h.y_key = String::new();
    h.y = vec![String::new()];
    h.cells = vec![vec![Some(0.25), Some(0.87), Some(0.82), Some(0.86)]];
    h.best = Some((1, 0));
    let fig = charts::heatmap(&h).unwrap();
    // The bar is drawn a pixel row at a time.
    let bar = svg_elements(&fig.svg, "rect")
        .iter()
        .filter(|(a, _)| a.get("width").is_some_and(|w| w == "18") && a.get("height").is_some_and(|h| h == "1"))
        .count();
    assert!(bar >= 95, "a colour bar {bar} px tall");
    assert!(fig_height(&fig) < 260, "{} px tall", fig_height(&fig));
    let (_, svg) = check(&fig, (900, fig_height(&fig)), &["87.0%", "25.0%"]);
    let ys: Vec<f64> = ["better", "worse"].iter().map(|t| text_y(&fig.svg, t)).collect();
    assert!(
        ys[1] - ys[0] >= 40.0,
        "better at {}, worse at {}: {:?}",
        ys[0],
        ys[1],
        svg.texts
    );
}

/// C4: one precision per chart: "1.60s" beside "1.61s", not "1.6s"; "86.30%" beside
/// "86.27%".
#[test]
fn heatmap_values_share_one_precision() {
    let mut h = sweep();
    h.objective = "p99".into();
    h.higher_is_better = false;
    h.cells = vec![vec![Some(1.6), Some(1.61)]];
    h.x.truncate(2);
    h.y.truncate(1);
    let fig = charts::heatmap(&h).unwrap();
    check(&fig, (900, fig_height(&fig)), &["1.60s", "1.61s"]);
    let mut h = sweep();
    h.objective = "goodput_ratio".into();
    h.cells = vec![vec![Some(0.863), Some(0.8627)]];
    h.failing = vec![vec![None, None, Some(0.01617)]];
    h.x.truncate(3);
    h.y.truncate(1);
    let fig = charts::heatmap(&h).unwrap();
    check(&fig, (900, fig_height(&fig)), &["86.30%", "86.27%", "fails SLO: 1.62%"]);
}
