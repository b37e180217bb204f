//! What a written report says: index.html, summary.md, junit.xml and the charts' text, for
//! single runs, replications, sweeps and mixed inputs. Results are built in code from the
//! crate's blank fixture; every test writes into a directory of its own.

use model::results::{GroupCounters, GroupSummary, Percentiles, Results, Verdict};
use model::threshold::ThresholdResult;
use reports::charts::{self, Heatmap, Labeled};
use reports::{Entry, Report};
use std::path::{Path, PathBuf};

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("spillway-report-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }
    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.0.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn report<'a>(entries: &'a [Entry], heatmaps: Vec<Heatmap>) -> Report<'a> {
    Report {
        title: "t".into(),
        entries,
        expectations: &[],
        baseline: None,
        heatmaps,
        thresholds_gate: true,
        warnings: Vec::new(),
    }
}

fn write(dir: &TempDir, r: &Report) {
    reports::write(&dir.0, r).expect("the report is written");
}

/// A run of a scenario with a trigger, with `goodput` and a verdict.
fn run(seed: u64, goodput: f64, verdict: Option<Verdict>, recovery_s: Option<f64>) -> Results {
    let mut r = reports::fixture::blank();
    r.seed = seed;
    r.phases[0].trigger = true;
    r.summary.whole.offered = 1000;
    r.summary.whole.goodput_ratio = goodput;
    r.summary.whole.successes = (goodput * 1000.0).round() as u64;
    r.summary.whole.verdict = verdict;
    r.summary.whole.recovery_s = recovery_s;
    r.summary.whole.verdict_reason = "why".into();
    r
}

fn service(verdict: Option<Verdict>, recovery_s: Option<f64>) -> GroupSummary {
    let mut g = GroupSummary::of(
        &GroupCounters {
            intents: 100,
            attempts: 100,
            successes: 90,
            ..Default::default()
        },
        Percentiles::default(),
        10.0,
    );
    g.verdict = verdict;
    g.recovery_s = recovery_s;
    g.verdict_reason = "its reason".into();
    g
}

/// The text of every `<text>` element of an SVG (entities decoded).
fn svg_texts(svg: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find("<text") {
        rest = &rest[i..];
        let Some(open_end) = rest.find('>') else { break };
        let Some(close) = rest.find("</text>") else { break };
        out.push(
            rest[open_end + 1..close]
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&apos;", "'")
                .replace("&amp;", "&")
                .trim()
                .to_string(),
        );
        rest = &rest[close..];
    }
    out
}

fn has_text(svg: &str, needle: &str) -> bool {
    svg_texts(svg).iter().any(|t| t.contains(needle))
}

/// The PNG's RGB pixels and height.
fn pixels(png: &[u8]) -> (Vec<[u8; 3]>, u32) {
    let mut reader = png::Decoder::new(png).read_info().expect("PNG header decodes");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG data decodes");
    let px = buf[..info.buffer_size()]
        .chunks_exact(3)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    (px, info.height)
}

fn count_near(pixels: &[[u8; 3]], c: [u8; 3]) -> usize {
    pixels
        .iter()
        .filter(|p| p.iter().zip(c).all(|(a, b)| (i32::from(*a) - i32::from(b)).abs() <= 4))
        .count()
}

/// Finding 1: the goodput line counts intents by the window they were sent in, and says so.
#[test]
fn the_throughput_chart_says_goodput_is_counted_by_send_time() {
    let r = run(7, 0.5, Some(Verdict::Recovered), Some(2.0));
    let fig = charts::throughput(Labeled {
        label: "fifo (sim)",
        results: &r,
    })
    .unwrap();
    assert!(
        has_text(&fig.svg, "goodput: intents sent then that succeeded"),
        "{:?}",
        svg_texts(&fig.svg)
    );
    assert!(!has_text(&fig.svg, "goodput (successes)"));
    let dir = TempDir::new("throughput-note");
    let entries = [Entry::new("fifo (sim)", vec![r])];
    write(&dir, &report(&entries, Vec::new()));
    let html = dir.read("index.html");
    let fig = &html[html.find("<figure id=\"throughput-fifo-sim\"").expect("the chart")..];
    let caption = &fig[fig.find("<figcaption>").unwrap()..fig.find("</figcaption>").unwrap()];
    assert!(
        caption.contains("counted in the window they were sent in")
            && caption.contains("intents sent then that succeeded"),
        "{caption}"
    );
}

/// Three seeds of one configuration (goodput 20%, 80%, 90%; the first metastable) with a
/// threshold each, and a single run of another.
fn replicated() -> [Entry; 2] {
    let mut seeds = vec![
        run(7, 0.20, Some(Verdict::Metastable), None),
        run(8, 0.80, Some(Verdict::Recovered), Some(1.0)),
        run(9, 0.90, Some(Verdict::Recovered), Some(3.0)),
    ];
    for r in &mut seeds {
        let g = r.summary.whole.goodput_ratio;
        r.thresholds.push(ThresholdResult {
            check: "goodput_ratio >= 0.5".into(),
            name: None,
            value: Some(g),
            passed: g >= 0.5,
            service: None,
            missing: None,
        });
    }
    [
        Entry::new("fifo", seeds),
        Entry::new("bounded", vec![run(7, 0.95, Some(Verdict::Recovered), Some(0.0))]),
    ]
}

/// Finding 2: with replications the comparison chart's bars are the means with their
/// intervals, as in the tables, not the first seed's values.
#[test]
fn replications_chart_their_means() {
    let entries = replicated();
    let (_, rows) = reports::table::cells(&entries);
    let mean = rows[0][2].clone();
    // Three seeds far apart: the interval reaches past both ends of a share, clipped.
    assert_eq!(mean, "63.3% (95% CI 0.0% to 100.0%)");
    let dir = TempDir::new("replications-chart");
    write(&dir, &report(&entries, Vec::new()));
    let svg = dir.read("comparison.svg");
    // The same mean and range, shorter for a bar's label.
    assert!(
        has_text(&svg, "63.3% (0.0%–100.0%)"),
        "the table's {mean} on the chart: {:?}",
        svg_texts(&svg)
    );
    assert!(!has_text(&svg, "20.0%"), "not the first seed's goodput");
    assert!(has_text(&svg, "recovered 2/3, metastable 1/3"), "{:?}", svg_texts(&svg));
    // The range (clipped at 0) and the count; a long label is cut to the panel's width.
    assert!(
        svg_texts(&svg).iter().any(|t| t.starts_with("2.00s (0s–14.7s) (2/3 ")),
        "{:?}",
        svg_texts(&svg)
    );
    assert!(
        has_text(&svg, "mean with 95% confidence interval"),
        "{:?}",
        svg_texts(&svg)
    );
}

/// Finding 2: what shows the first seed only (the card's paragraph and figures, the per-run
/// charts, the thresholds) says so.
#[test]
fn first_seed_text_says_it_is_the_first_seed() {
    let entries = replicated();
    let dir = TempDir::new("replications-card");
    write(&dir, &report(&entries, Vec::new()));
    let html = dir.read("index.html");
    assert!(html.contains("3 replications"), "{html}");
    assert!(html.contains("Seed 7 (first of 3):</b> Metastable."), "{html}");
    let card = &html[html.find("<h2 id=\"run-0\"").unwrap()..html.find("<h2 id=\"run-1\"").unwrap()];
    assert!(
        card.contains("the figures below and the charts are seed 7 (first of 3)"),
        "{card}"
    );
    assert!(
        card.contains("(measured 20.00% in seed 7; fails in 1 of 3 seeds)"),
        "thresholds say how many seeds fail: {card}"
    );
    assert!(
        html.contains("Throughput — fifo · Seed 7 (first of 3): Requests")
            && html.contains("Latency over time — fifo · Seed 7 (first of 3) · <a"),
        "the per-run charts say which seed they show"
    );
    assert!(
        has_text(&dir.read("throughput-fifo.svg"), "seed 7 (first of 3 replications)"),
        "and so do the charts themselves"
    );
    let md = dir.read("summary.md");
    assert!(
        md.contains("recovered 2/3, metastable 1/3; seed 7 (first of 3): metastable"),
        "{md}"
    );
    let junit = dir.read("junit.xml");
    assert!(junit.contains("measured 20.00% in seed 7 (first of 3)"), "{junit}");
}

/// A threshold that held in the first seed but failed in another is a failure in every
/// format, as `sim run` and junit.xml count it (the page and summary.md once showed the first
/// seed's PASS).
#[test]
fn a_threshold_failed_in_any_seed_fails_everywhere() {
    let [mut fifo, bounded] = replicated();
    fifo.runs.rotate_left(1); // seed 8 (passes) first, seed 7 (fails) second
    let dir = TempDir::new("replications-threshold");
    write(&dir, &report(&[fifo, bounded], Vec::new()));
    let html = dir.read("index.html");
    let md = dir.read("summary.md");
    assert!(
        html.contains("<span class=bad>FAIL</span> <code>goodput_ratio &gt;= 0.5</code> (measured 80.00% in seed 8; fails in 1 of 3 seeds)"),
        "{html}"
    );
    assert!(
        md.contains("- ❌ fifo: `goodput_ratio >= 0.5` (measured 80.00% in seed 8; fails in 1 of 3 seeds)"),
        "{md}"
    );
    assert!(dir.read("junit.xml").contains("<failure"));
}

/// Finding 3: a replicated recovery is the mean over the seeds that recovered, with how many
/// did, for the whole run and per service, not "never".
#[test]
fn replicated_recovery_counts_the_seeds_that_recovered() {
    let runs: Vec<Results> = (0..10)
        .map(|i| {
            let recovered = i < 6;
            let mut r = if recovered {
                run(7 + i, 0.9, Some(Verdict::Recovered), Some(0.0))
            } else {
                run(7 + i, 0.5, Some(Verdict::Metastable), None)
            };
            r.summary.services.insert(
                "a".into(),
                if i < 8 {
                    service(Some(Verdict::Recovered), Some(2.0))
                } else {
                    service(Some(Verdict::Metastable), None)
                },
            );
            r.summary
                .services
                .insert("b".into(), service(Some(Verdict::Recovered), Some(1.0)));
            r
        })
        .collect();
    let entries = [Entry::new("fifo (sim)", runs)];
    let (header, rows) = reports::table::cells(&entries);
    let rec = header.iter().position(|h| h == "recovery").unwrap();
    assert_eq!(rows[0][rec], "0s (6/10 recovered)");
    let (header, rows) = reports::table::service_cells(&entries).unwrap();
    let rec = header.iter().position(|h| h == "recovery").unwrap();
    assert_eq!(rows[0][rec], "2.00s (8/10 recovered)");
    assert_eq!(rows[1][rec], "1.00s", "every seed recovered");
    let dir = TempDir::new("replicated-recovery");
    write(&dir, &report(&entries, Vec::new()));
    for file in ["summary.md", "index.html"] {
        let text = dir.read(file);
        assert!(text.contains("0s (6/10 recovered)"), "{file}: {text}");
        assert!(text.contains("2.00s (8/10 recovered)"), "{file}: {text}");
    }
    // None recovered: "never"; a single run: as before.
    let none: Vec<Results> = (0..3).map(|i| run(i, 0.2, Some(Verdict::Metastable), None)).collect();
    let (_, rows) = reports::table::cells(&[Entry::new("x", none)]);
    assert_eq!(rows[0][rows[0].len() - 2], "never");
}

/// A run whose whole verdict is "recovered" while a service stayed metastable is amber in the
/// summary table and on its card, not green: the whole-run verdict hides the service.
#[test]
fn a_recovered_run_with_a_service_behind_is_not_green() {
    let mut r = run(4, 0.97, Some(Verdict::Recovered), Some(18.0));
    r.summary
        .services
        .insert("billing".into(), service(Some(Verdict::Metastable), None));
    r.summary
        .services
        .insert("orders".into(), service(Some(Verdict::Recovered), Some(18.0)));
    let healthy = run(5, 0.99, Some(Verdict::Recovered), Some(1.0));
    let entries = [
        Entry::new("fifo (sim)", vec![r]),
        Entry::new("deadline (sim)", vec![healthy]),
    ];
    let dir = TempDir::new("group-behind-amber");
    write(&dir, &report(&entries, Vec::new()));
    let html = dir.read("index.html");
    assert!(
        html.contains("class=\"l warn\">recovered (service billing metastable)"),
        "{html}"
    );
    assert!(
        html.contains("<span class=warn>recovered (service billing metastable)</span>"),
        "{html}"
    );
    assert!(!html.contains("class=good>recovered (service billing"), "{html}");
    // The run without a group behind stays green.
    assert!(html.contains("class=\"l good\">recovered<"), "{html}");
}

fn sweep(title: &str, objective: &str) -> Heatmap {
    Heatmap {
        title: title.into(),
        x_key: "gateway.strategy".into(),
        y_key: "gateway.queue_capacity".into(),
        x: vec!["bounded".into(), "deadline".into()],
        y: vec!["10".into(), "50".into()],
        objective: objective.into(),
        cells: vec![vec![Some(0.5), Some(0.6)], vec![Some(0.7), None]],
        best: Some((0, 1)),
        higher_is_better: true,
        notes: vec![format!("notes of {title}")],
        slo_met: None,
        interrupted: None,
        failing: Vec::new(),
        points: None,
        failing_slo: Vec::new(),
        not_run: Vec::new(),
    }
}

/// Finding 4: two sweeps, two files and two anchors, each with its own notes.
#[test]
fn each_sweep_has_its_own_heatmap_file_and_anchor() {
    let dir = TempDir::new("two-sweeps");
    let written = reports::write(
        &dir.0,
        &report(
            &[],
            vec![sweep("first sweep", "goodput_ratio"), sweep("second sweep", "p99")],
        ),
    )
    .unwrap();
    let svgs: Vec<&Path> = written
        .charts
        .iter()
        .map(PathBuf::as_path)
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .collect();
    assert_eq!(svgs.len(), 2, "{svgs:?}");
    let (a, b) = (dir.read("heatmap-1.svg"), dir.read("heatmap-2.svg"));
    assert!(has_text(&a, "first sweep") && has_text(&b, "second sweep"));
    let html = dir.read("index.html");
    let ids: Vec<&str> = html.match_indices(" id=\"").map(|(i, _)| &html[i + 5..]).collect();
    let ids: Vec<&str> = ids.iter().map(|s| &s[..s.find('"').unwrap()]).collect();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(ids.len(), unique.len(), "ids repeat: {ids:?}");
    assert!(ids.contains(&"heatmap-1") && ids.contains(&"heatmap-2"), "{ids:?}");
    assert!(html.contains("href=\"heatmap-2.png\""));
    // Each sweep's notes sit above its own chart.
    let notes = html.find("notes of second sweep").unwrap();
    assert!(notes < html.find("id=\"heatmap-2\"").unwrap() && notes > html.find("id=\"heatmap-1\"").unwrap());
}

/// The s2 sweep of the audit: strategies against a load, only `bounded` meets the SLO at
/// every load.
fn s2() -> Heatmap {
    Heatmap {
        title: "s2".into(),
        x_key: "gateway.strategy".into(),
        y_key: "workload.phases[1].rate".into(),
        x: vec!["fifo".into(), "bounded".into(), "deadline".into()],
        y: vec!["200".into(), "300".into(), "400".into()],
        objective: "goodput_ratio".into(),
        cells: vec![
            vec![None, Some(0.998_777_3), Some(0.999_881_7)],
            vec![None, Some(0.932_552), None],
            vec![None, Some(0.868_144), None],
        ],
        best: None,
        higher_is_better: true,
        notes: Vec::new(),
        slo_met: Some(("p99<2s".into(), true)),
        interrupted: None,
        failing: Vec::new(),
        points: None,
        failing_slo: Vec::new(),
        not_run: Vec::new(),
    }
}

/// Finding 5: with a load axis shown, the best configuration (its column) is outlined, as the
/// subtitle says and the notes name it.
#[test]
fn a_heatmap_over_a_load_outlines_the_best_configuration() {
    let fig = charts::heatmap(&s2()).unwrap();
    let texts = svg_texts(&fig.svg);
    let (px, _) = pixels(&fig.png);
    // Three cells' height of crimson outline, not one cell's.
    assert!(
        count_near(&px, [220, 20, 60]) > 1500,
        "the bounded column is outlined: {texts:?}"
    );
    assert!(
        has_text(&fig.svg, "outlined: best at every workload.phases[1].rate"),
        "{texts:?}"
    );
    // Nothing to outline (no configuration has a value at every load): no claim of one.
    let mut h = s2();
    h.cells[2][1] = None;
    let fig = charts::heatmap(&h).unwrap();
    let (px, _) = pixels(&fig.png);
    assert_eq!(count_near(&px, [220, 20, 60]), 0);
    assert!(!has_text(&fig.svg, "outlined"), "{:?}", svg_texts(&fig.svg));
}

/// Finding 5: values carry the objective's unit, with the digits it takes to tell them apart.
#[test]
fn heatmap_values_have_units_and_enough_digits() {
    let texts = svg_texts(&charts::heatmap(&s2()).unwrap().svg);
    for want in ["99.88%", "99.99%", "93.26%", "86.81%"] {
        assert!(texts.iter().any(|t| t == want), "{want} among {texts:?}");
    }
    assert!(
        !texts.iter().any(|t| t == "1" || t == "100%" || t == "0.999"),
        "{texts:?}"
    );
    let mut p99 = sweep("p99 sweep", "p99");
    p99.cells = vec![vec![Some(0.0927), Some(1.61)], vec![Some(0.000_42), Some(12.5)]];
    p99.higher_is_better = false;
    let texts = svg_texts(&charts::heatmap(&p99).unwrap().svg);
    for want in ["92.7ms", "1.61s", "420µs", "12.5s"] {
        assert!(texts.iter().any(|t| t == want), "{want} among {texts:?}");
    }
    let mut amp = sweep("amplification sweep", "amplification");
    amp.cells = vec![vec![Some(1.34), Some(2.5)], vec![Some(1.0), Some(1.1)]];
    let texts = svg_texts(&charts::heatmap(&amp).unwrap().svg);
    assert!(texts.iter().any(|t| t == "1.34×"), "{texts:?}");
}

/// Finding 5: grey says what it can mean, and a sweep where nothing meets the SLO says so.
#[test]
fn heatmap_grey_cells_and_an_slo_nothing_meets_are_explained() {
    let fig = charts::heatmap(&s2()).unwrap();
    assert!(
        has_text(
            &fig.svg,
            "grey n/a: fails the SLO (p99<2s), or no point there (a setting that does not apply)"
        ),
        "{:?}",
        svg_texts(&fig.svg)
    );
    let mut none = sweep("tight", "goodput_ratio");
    none.cells = vec![vec![None, None], vec![None, None]];
    none.best = None;
    none.slo_met = Some(("p99<10ms".into(), false));
    let fig = charts::heatmap(&none).unwrap();
    assert!(
        has_text(&fig.svg, "no configuration meets the SLO (p99<10ms)"),
        "{:?}",
        svg_texts(&fig.svg)
    );
}

/// Finding 6: the card says "never" for a run that did not recover, and a run that was not
/// judged reads "not judged" (no empty class, no bare "-").
#[test]
fn the_card_says_never_and_not_judged() {
    let dir = TempDir::new("never");
    // Overloaded with no trigger phase: no burst to recover from, so not "never".
    let mut untriggered = run(7, 0.0, Some(Verdict::Overloaded), None);
    untriggered.phases[0].trigger = false;
    let entries = [
        Entry::new("spiral", vec![run(7, 0.25, Some(Verdict::Metastable), None)]),
        Entry::new("short", vec![run(7, 0.5, None, None)]),
        Entry::new("overloaded", vec![untriggered]),
    ];
    write(&dir, &report(&entries, Vec::new()));
    let html = dir.read("index.html");
    let card = |i: usize| {
        let start = html.find(&format!("<h2 id=\"run-{i}\"")).unwrap();
        let end = html[start + 1..].find("<h2 ").map_or(html.len(), |e| start + 1 + e);
        html[start..end].to_string()
    };
    let spiral = card(0);
    let recovery_cell = |card: &str| {
        let row = &card[card.find("<th>recovery</th></tr>").unwrap() + 22..];
        let row = &row[..row.find("</tr>").unwrap()];
        let cells: Vec<&str> = row.split("<td").collect();
        cells[cells.len() - 1]
            .trim_start_matches('>')
            .trim_end_matches("</td>")
            .to_string()
    };
    assert_eq!(recovery_cell(&spiral), "never");
    let short = card(1);
    assert_eq!(recovery_cell(&short), "not judged");
    assert_eq!(recovery_cell(&card(2)), "no trigger");
    assert!(!html.contains("class=>"), "no empty class");
    assert!(short.contains(">not judged</span>"), "{short}");
    let (_, rows) = reports::table::cells(&entries);
    assert_eq!(rows[1][rows[1].len() - 1], "not judged");
    assert_eq!(rows[1][rows[1].len() - 2], "not judged");
    let md = dir.read("summary.md");
    assert!(md.contains("| not judged | not judged |"), "{md}");
}

/// Finding 7: a sweep-only report counts its sweep, and runs of different scenarios are
/// labelled with their scenario.
#[test]
fn reports_name_sweeps_and_scenarios() {
    let dir = TempDir::new("sweep-only");
    write(&dir, &report(&[], vec![sweep("a sweep", "goodput_ratio")]));
    let html = dir.read("index.html");
    assert!(html.contains("report · 1 sweep"), "{html}");
    assert!(!html.contains("0 run"), "{html}");

    let mut a = reports::fixture::blank();
    a.scenario_name = "death-spiral".into();
    let mut b = a.clone();
    b.scenario_name = "one-bad-service".into();
    let labels = reports::entry::default_labels(&[a.clone(), b, a.clone()]);
    assert_eq!(
        labels,
        [
            "death-spiral · fifo (sim) #1",
            "one-bad-service · fifo (sim)",
            "death-spiral · fifo (sim) #2"
        ]
    );
    // One scenario: as before.
    assert_eq!(
        reports::entry::default_labels(&[a.clone(), a]),
        ["fifo (sim) #1", "fifo (sim) #2"]
    );
}

/// Finding 8: summary.md carries the page's "behind" lines, the expired (504) count and the
/// measured value of each threshold.
#[test]
fn summary_md_has_behind_expired_and_measured_values() {
    let mut r = run(7, 0.9, Some(Verdict::Recovered), Some(5.0));
    r.summary.whole.expired = 42;
    r.summary
        .services
        .insert("billing".into(), service(Some(Verdict::Recovered), Some(30.0)));
    r.summary
        .services
        .insert("legacy".into(), service(Some(Verdict::Recovered), Some(5.0)));
    r.thresholds.push(ThresholdResult {
        check: "goodput_ratio >= 0.95".into(),
        name: None,
        value: Some(0.9),
        passed: false,
        service: None,
        missing: None,
    });
    assert_eq!(r.summary.groups_behind(r.window_s).len(), 1);
    let dir = TempDir::new("md");
    let entries = [Entry::new("fifo (sim)", vec![r])];
    write(&dir, &report(&entries, Vec::new()));
    let md = dir.read("summary.md");
    assert!(
        md.contains("**behind:** service billing: recovered in 30.0s (its reason); whole run: recovered in 5.00s"),
        "{md}"
    );
    assert!(md.contains("expired (504) 42"), "{md}");
    assert!(md.contains("`goodput_ratio >= 0.95` (measured 90.00%)"), "{md}");
}

/// One run's whole verdict names the groups it hides whose own verdict is worse: "recovered"
/// with billing metastable to the end read, in compare's and summary.md's tables, as a design
/// that works. A group that recovered later is the BEHIND line's alone; replications as before.
#[test]
fn a_runs_verdict_names_the_services_it_hides() {
    let mut r = run(7, 0.9, Some(Verdict::Recovered), Some(5.0));
    r.summary
        .services
        .insert("billing".into(), service(Some(Verdict::Metastable), None));
    r.summary
        .services
        .insert("ledger".into(), service(Some(Verdict::Recovered), Some(30.0)));
    r.summary
        .services
        .insert("legacy".into(), service(Some(Verdict::Recovered), Some(5.0)));
    let one = Entry::new("fifo (sim)", vec![r.clone()]);
    assert_eq!(one.verdict_text(), "recovered (service billing metastable)");
    let two = Entry::new("fifo (sim)", vec![r.clone(), r]);
    assert_eq!(two.verdict_text(), "recovered");
}

/// A threshold with no value says why alone: "(never)", "(not measured: ...)", not
/// "(measured not measured ...)", in index.html, summary.md and junit.xml alike.
#[test]
fn a_threshold_without_a_value_says_why_without_measured() {
    let mut r = run(7, 0.9, Some(Verdict::Metastable), None);
    for (check, why) in [
        ("recovery < 30s", "never"),
        (
            "wasted <= 1s",
            "not measured: against a --target, loadgen sees no backend work",
        ),
    ] {
        r.thresholds.push(ThresholdResult {
            check: check.into(),
            name: None,
            value: None,
            passed: false,
            service: None,
            missing: Some(why.into()),
        });
    }
    let dir = TempDir::new("missing-values");
    write(&dir, &report(&[Entry::new("fifo (sim)", vec![r])], Vec::new()));
    let (html, md, junit) = (dir.read("index.html"), dir.read("summary.md"), dir.read("junit.xml"));
    for text in [&html, &md, &junit] {
        assert!(
            !text.contains("measured never") && !text.contains("measured not measured"),
            "{text}"
        );
    }
    assert!(html.contains("<code>recovery &lt; 30s</code> (never)"), "{html}");
    assert!(md.contains("`wasted <= 1s` (not measured: against a --target"), "{md}");
    assert!(
        junit.contains("message=\"expected recovery &lt; 30s; never\""),
        "{junit}"
    );
}

/// A failed threshold's junit message names the check and its bound with what was measured,
/// as a failed expectation's does; a message of several lines (a sweep's findings) has its
/// first line in the `message` attribute (where an XML parser turns newlines into spaces) and
/// the whole text in the element.
#[test]
fn junit_messages_say_the_check_and_keep_one_line_in_the_attribute() {
    let mut fifo = run(7, 0.2532, Some(Verdict::Metastable), None);
    fifo.thresholds.push(ThresholdResult {
        check: "goodput_ratio >= 0.8".into(),
        name: None,
        value: Some(0.2532),
        passed: false,
        service: None,
        missing: None,
    });
    let mut h = sweep("cut", "goodput_ratio");
    h.slo_met = Some(("p99<2s".into(), false));
    h.notes = vec!["first finding".into(), "second finding".into()];
    let entries = [Entry::new("fifo", vec![fifo])];
    let dir = TempDir::new("junit-messages");
    write(&dir, &report(&entries, vec![h]));
    let junit = dir.read("junit.xml");
    assert!(
        junit.contains("message=\"expected goodput_ratio &gt;= 0.8; measured 25.32%\""),
        "{junit}"
    );
    let doc = attribute_values(&junit);
    assert!(
        doc.iter().all(|a| !a.contains('\n')),
        "no attribute holds a newline: {doc:?}"
    );
    assert!(
        junit.contains("message=\"no configuration meets p99&lt;2s (more in the text)\""),
        "{junit}"
    );
    let failure = &junit[junit.rfind("<failure").unwrap()..];
    let failure = &failure[..failure.find("</failure>").unwrap()];
    assert!(
        failure.contains(">no configuration meets p99&lt;2s\nfirst finding\nsecond finding"),
        "{failure}"
    );
}

/// The values of every attribute of an XML document (quoted with `"`, as quick-junit writes).
fn attribute_values(xml: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_tag = false;
    let mut rest = xml;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            '"' if in_tag => {
                let end = rest[1..].find('"').map_or(rest.len() - 1, |i| i + 1);
                out.push(rest[1..end].to_string());
                rest = &rest[end..];
            }
            _ => {}
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Replications interrupted before every seed ran are incomplete: their thresholds' passes
/// are not passes (junit.xml fails them, as an interrupted sweep's SLO; summary.md and the
/// page say not judged), and the card gives the seeds that ran, not a range that never did.
#[test]
fn interrupted_replications_pass_no_threshold_and_say_which_seeds_ran() {
    let runs: Vec<Results> = (4..=48)
        .chain(204..=247)
        .map(|seed| {
            let mut r = run(seed, 0.99, Some(Verdict::Recovered), Some(1.0));
            r.thresholds.push(ThresholdResult {
                check: "goodput_ratio >= 0.95".into(),
                name: None,
                value: Some(0.99),
                passed: true,
                service: None,
                missing: None,
            });
            r
        })
        .collect();
    assert_eq!(runs.len(), 89);
    let entries = [Entry::new("fifo (sim)", runs).with_planned(Some(400))];
    let dir = TempDir::new("interrupted-replications");
    write(&dir, &report(&entries, Vec::new()));
    let (html, md, junit) = (dir.read("index.html"), dir.read("summary.md"), dir.read("junit.xml"));
    assert!(html.contains("89 replications (seeds 4..48, 204..247)"), "{html}");
    assert!(!html.contains("seeds 4..247"), "{html}");
    assert!(html.contains("NOT JUDGED"), "{html}");
    assert!(!html.contains(">PASS<"), "{html}");
    assert!(
        md.contains("- ⚠️ fifo (sim): `goodput_ratio >= 0.95`")
            && md.contains("not judged: the run is incomplete (interrupted: 89 of 400 seeds ran)"),
        "{md}"
    );
    assert!(
        junit.contains("<failure")
            && junit.contains("not judged: the run is incomplete (interrupted: 89 of 400 seeds ran)"),
        "{junit}"
    );
    // Every seed that was planned: a pass.
    let whole =
        [Entry::new("fifo (sim)", vec![run(4, 0.99, Some(Verdict::Recovered), Some(1.0))]).with_planned(Some(1))];
    assert_eq!(whole[0].incomplete(), None);
}

/// Finding 9: skipped cases are counted as skipped; expectations have a classname; a failed
/// expectation's message says what was expected and what was measured.
#[test]
fn junit_counts_skipped_cases_and_explains_failed_expectations() {
    let mut fifo = run(7, 0.253, Some(Verdict::Metastable), None);
    fifo.thresholds.push(ThresholdResult {
        check: "goodput_ratio >= 0.8".into(),
        name: None,
        value: Some(0.253),
        passed: false,
        service: None,
        missing: None,
    });
    let entries = [
        Entry::new("fifo", vec![fifo]),
        Entry::new("deadline", vec![run(7, 0.868, Some(Verdict::Recovered), Some(1.0))]),
    ];
    let labels = ["fifo".to_string(), "deadline".to_string()];
    let checked = [
        reports::expect::parse("fifo.goodput_ratio > deadline.goodput_ratio", &labels)
            .unwrap()
            .check(&entries)
            .unwrap(),
    ];
    assert!(!checked[0].passed);
    assert!(!checked[0].detail.contains("0.253 > 0.868"), "{}", checked[0].detail);
    let dir = TempDir::new("junit");
    write(
        &dir,
        &Report {
            title: "t".into(),
            entries: &entries,
            expectations: &checked,
            baseline: None,
            heatmaps: Vec::new(),
            thresholds_gate: false,
            warnings: Vec::new(),
        },
    );
    let junit = dir.read("junit.xml");
    let suite = |name: &str| {
        let start = junit.find(&format!("<testsuite name=\"{name}\"")).unwrap();
        junit[start..start + junit[start..].find('>').unwrap()].to_string()
    };
    let thresholds = suite("thresholds: fifo");
    assert!(thresholds.contains("skipped=\"1\""), "{thresholds}");
    junit10_attributes_only(&junit);
    assert!(suite("expectations").contains("skipped=\"0\""));
    assert!(
        junit.contains(
            "<testcase name=\"fifo.goodput_ratio &gt; deadline.goodput_ratio\" classname=\"t: expectations\">"
        ),
        "{junit}"
    );
    assert!(
        junit.contains("message=\"expected fifo.goodput_ratio &gt; deadline.goodput_ratio; measured 0.253 vs 0.868\""),
        "{junit}"
    );
}

/// Every element and attribute of `junit` is one the Jenkins xUnit plugin's JUnit schema
/// (junit-10.xsd) allows: the plugin skips a file that does not validate, and quick-junit wrote
/// `disabled` on every suite, which that schema does not have.
fn junit10_attributes_only(junit: &str) {
    let allowed = |element: &str| -> Option<&[&str]> {
        Some(match element {
            "testsuites" => &["name", "time", "tests", "failures", "errors"],
            "testsuite" => &[
                "name",
                "tests",
                "failures",
                "errors",
                "group",
                "time",
                "skipped",
                "timestamp",
                "hostname",
                "id",
                "package",
                "file",
                "log",
                "url",
            ],
            "testcase" => &["name", "time", "classname", "group"],
            "failure" | "error" | "skipped" => &["type", "message"],
            "properties" | "system-out" | "system-err" => &[],
            "property" => &["name", "value"],
            _ => return None,
        })
    };
    let mut reader = quick_xml::Reader::from_str(junit);
    let mut elements = 0;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)) => {
                elements += 1;
                let name = String::from_utf8_lossy(e.name().as_ref()).to_string();
                let Some(ok) = allowed(&name) else {
                    panic!("element <{name}> is not in junit-10.xsd:\n{junit}")
                };
                for a in e.attributes() {
                    let a = a.expect("a well-formed attribute");
                    let key = String::from_utf8_lossy(a.key.as_ref()).to_string();
                    assert!(
                        ok.contains(&key.as_str()),
                        "<{name} {key}=...> is not in junit-10.xsd:\n{junit}"
                    );
                }
            }
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("junit.xml is not well-formed: {e}\n{junit}"),
        }
    }
    assert!(elements > 3, "{junit}");
}

/// A run without thresholds gets one passing case, as a sweep without an SLO does: an empty
/// junit.xml (`tests="0"`) fails a Jenkins job.
#[test]
fn junit_of_runs_without_thresholds_is_not_empty() {
    let entries = [
        Entry::new("fifo", vec![run(7, 0.253, Some(Verdict::Metastable), None)]),
        Entry::new("deadline", vec![run(7, 0.868, Some(Verdict::Recovered), Some(1.0))]),
    ];
    let dir = TempDir::new("junit-no-thresholds");
    write(&dir, &report(&entries[..1], Vec::new()));
    let junit = dir.read("junit.xml");
    assert!(
        junit.contains("<testsuites name=\"spillway: t\" tests=\"1\""),
        "{junit}"
    );
    assert!(
        junit.contains("<testcase name=\"run read (no thresholds to gate on)\" classname=\"t: fifo\">"),
        "{junit}"
    );
    assert!(junit.contains("verdict: metastable"), "{junit}");
    assert!(!junit.contains("<failure"), "{junit}");
    // Each run of a comparison has its case.
    write(&dir, &report(&entries, Vec::new()));
    let junit = dir.read("junit.xml");
    assert_eq!(
        junit.matches("run read (no thresholds to gate on)").count(),
        2,
        "{junit}"
    );
}

/// Finding 10: an overloaded run (nothing succeeds) is red like a metastable one, not amber.
#[test]
fn an_overloaded_run_is_red() {
    let mut r = run(3, 0.003, Some(Verdict::Overloaded), None);
    r.phases[0].trigger = false;
    let dir = TempDir::new("overloaded");
    let entries = [Entry::new("allfail", vec![r])];
    write(&dir, &report(&entries, Vec::new()));
    let html = dir.read("index.html");
    assert!(html.contains("<td class=\"l bad\">overloaded</td>"), "{html}");
    assert!(html.contains("<span class=bad>overloaded</span>"), "{html}");
    assert!(!html.contains("offered more than it can serve"), "{html}");
}

/// The comparison's p99 panel turns logarithmic when one run's p99 dwarfs the others'.
#[test]
fn a_far_slower_run_puts_the_p99_panel_on_a_log_scale() {
    let p99 = |v: f64| {
        let mut r = run(7, 0.9, Some(Verdict::Recovered), Some(1.0));
        r.summary.whole.latency.count = 100;
        r.summary.whole.latency.p99 = v;
        r
    };
    let (a, b, c) = (p99(0.05), p99(0.08), p99(23.0));
    let runs = [("a", &a), ("b", &b), ("c", &c)].map(|(label, results)| Labeled { label, results });
    let fig = charts::comparison(&runs).unwrap();
    assert!(has_text(&fig.svg, "log scale"), "{:?}", svg_texts(&fig.svg));
    let fig = charts::comparison(&runs[..2]).unwrap();
    assert!(!has_text(&fig.svg, "log scale"), "two close values stay linear");
}

/// Long labels that share a start are shortened in the middle, so each stays distinct.
#[test]
fn long_labels_with_a_common_start_stay_distinct() {
    let r = run(7, 0.9, Some(Verdict::Recovered), Some(1.0));
    let labels: Vec<String> = ["fifo", "bounded", "deadline"]
        .iter()
        .map(|s| format!("a-very-long-scenario-name-that-does-not-fit-at-all-even-in-one-column-of-panels · {s} (sim)"))
        .collect();
    let runs: Vec<Labeled> = labels.iter().map(|l| Labeled { label: l, results: &r }).collect();
    let fig = charts::comparison(&runs).unwrap();
    let texts = svg_texts(&fig.svg);
    for s in ["fifo (sim)", "bounded (sim)", "deadline (sim)"] {
        assert!(
            texts.iter().any(|t| t.contains('…') && t.ends_with(s)),
            "{s} kept: {texts:?}"
        );
    }
    // Labels alike but for a counter at the end keep the counter.
    let labels: Vec<String> = (1..=2)
        .map(|i| format!("death-spiral-with-a-long-name-that-does-not-fit-one-column-of-panels · fifo (sim) #{i}"))
        .collect();
    let runs: Vec<Labeled> = labels.iter().map(|l| Labeled { label: l, results: &r }).collect();
    let texts = svg_texts(&charts::comparison(&runs).unwrap().svg);
    for s in ["… #1", "… #2"] {
        assert!(texts.iter().any(|t| t.ends_with(s)), "{s}: {texts:?}");
    }
}

/// Runs beyond the tenth get colours of their own.
#[test]
fn the_eleventh_run_has_a_colour_of_its_own() {
    let r = run(7, 0.9, Some(Verdict::Recovered), Some(1.0));
    let labels: Vec<String> = (0..12).map(|i| format!("run {i}")).collect();
    let runs: Vec<Labeled> = labels.iter().map(|l| Labeled { label: l, results: &r }).collect();
    let (px, _) = pixels(&charts::comparison(&runs).unwrap().png);
    // The eleventh and twelfth: Tableau 20's light blue and light orange.
    assert!(count_near(&px, [174, 199, 232]) > 100);
    assert!(count_near(&px, [255, 187, 120]) > 100);
}

/// A run with 30 services gets a chart of the 12 worst (here the first twelve: all are
/// healthy), titled so, with its legend beside the plot.
#[test]
fn the_goodput_by_service_chart_of_thirty_services_draws_twelve() {
    let sc = model::scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/one-bad-service.toml"))
        .expect("the scenario loads");
    let names: Vec<String> = (1..=30).map(|i| format!("service-{i}")).collect();
    let mut rec = model::results::Recorder::new(std::time::Duration::from_secs(1)).with_services(names.clone());
    for s in 0..20u32 {
        for (k, _) in names.iter().enumerate() {
            let t = model::Time::from_secs_f64(f64::from(s));
            let tag = model::results::Tag::new(model::scenario::Priority::Interactive, k);
            rec.intent_offered(tag, t);
            rec.intent_finished(tag, t, std::time::Duration::from_millis(30), true);
        }
    }
    let r = rec.finish(&sc, model::results::RunMeta::sim("fifo"));
    let figs = charts::goodput_by_group(Labeled {
        label: "thirty",
        results: &r,
    });
    let fig = figs.into_iter().next().unwrap().unwrap();
    let (_, height) = pixels(&fig.png);
    // Twelve services drawn (all healthy: the first twelve), and the whole run: the legend of
    // 13 entries fits beside the plot.
    assert!(height >= 50 + 20 + 13 * 20, "height {height}");
    assert!(has_text(&fig.svg, "the 12 worst of 30"), "{:?}", svg_texts(&fig.svg));
    assert!(has_text(&fig.svg, "service-12"), "{:?}", svg_texts(&fig.svg));
    assert!(!has_text(&fig.svg, "service-30"), "{:?}", svg_texts(&fig.svg));
    // The SVG is as tall as the PNG.
    assert!(fig.svg.contains(&format!("height=\"{height}\"")));
}

/// The markdown title is text, not HTML or markdown.
#[test]
fn the_markdown_title_is_escaped() {
    let dir = TempDir::new("title");
    let entries = [Entry::new(
        "fifo *(sim)*",
        vec![run(7, 0.9, Some(Verdict::Recovered), Some(1.0))],
    )];
    let mut r = report(&entries, Vec::new());
    r.title = "<b>vs</b> _x_".into();
    write(&dir, &r);
    let md = dir.read("summary.md");
    assert!(md.starts_with("## &lt;b&gt;vs&lt;/b&gt; \\_x\\_\n"), "{md}");
    assert!(md.contains("| fifo \\*(sim)\\* |"), "{md}");
}

/// A `|` in a label is escaped once in summary.md's tables: escaped twice (`a\\|b`) GitHub read
/// an escaped backslash, then a column break.
#[test]
fn a_pipe_in_a_label_keeps_the_tables_columns() {
    let dir = TempDir::new("pipe");
    let mut r = run(7, 0.9, Some(Verdict::Recovered), Some(1.0));
    r.summary
        .services
        .insert("s|1".into(), service(Some(Verdict::Recovered), Some(1.0)));
    let entries = [Entry::new("a|b", vec![r])];
    write(&dir, &report(&entries, Vec::new()));
    let md = dir.read("summary.md");
    assert!(md.contains("| a\\|b |"), "{md}");
    assert!(!md.contains("a\\\\|b"), "{md}");
    // Each row has as many cell breaks (a `|` after an even run of backslashes) as its table's
    // `| --- |` line.
    let breaks = |line: &str| {
        let mut n = 0;
        let mut backslashes = 0;
        for c in line.chars() {
            match c {
                '\\' => backslashes += 1,
                '|' if backslashes % 2 == 0 => n += 1,
                _ => {}
            }
            if c != '\\' {
                backslashes = 0;
            }
        }
        n
    };
    let lines: Vec<&str> = md.lines().collect();
    let mut rows = 0;
    for (i, sep) in lines.iter().enumerate().filter(|(_, l)| l.starts_with("| ---")) {
        for row in lines[i + 1..].iter().take_while(|l| l.starts_with('|')) {
            assert_eq!(breaks(row), breaks(sep), "{row}\n{md}");
            rows += 1;
        }
    }
    assert!(rows >= 2, "the run and the service tables: {md}");
}

/// A simulated run stopped at one of the simulator's caps is said so, with the cap, not
/// "interrupted", nor "cut short by --duration" (its arrivals did stop before the phases end).
#[test]
fn a_capped_simulation_is_not_called_interrupted() {
    let mut sim = run(1, 0.9, Some(Verdict::Stable), None);
    sim.incomplete = true;
    let mut live = run(2, 0.9, Some(Verdict::Stable), None);
    live.incomplete = true;
    live.source = model::results::RunSource::Live;
    let mut held = run(3, 0.2, Some(Verdict::Overloaded), None);
    held.incomplete = true;
    held.stopped = Some("stopped at 789.5s: 4000001 requests held at once, the simulator's cap".into());
    let end = held.phases.iter().map(|p| p.end_s).fold(0.0, f64::max);
    held.summary.duration_s = end / 2.0;
    // Most of its intents had no answer when it stopped: its latency is of the others alone.
    let w = &mut held.summary.whole;
    w.offered = w.successes + w.failures + 1000;
    w.latency.count = w.successes + w.failures;
    let coverage = format!(
        "its latency covers the {} intents that finished, not the 1000 left without an answer.",
        w.latency.count
    );
    let dir = TempDir::new("capped");
    let entries = [
        Entry::new("capped", vec![sim]),
        Entry::new("cut", vec![live]),
        Entry::new("held", vec![held]),
    ];
    write(&dir, &report(&entries, Vec::new()));
    let html = dir.read("index.html");
    assert!(html.contains("The run was stopped at the intent cap"), "{html}");
    assert!(html.contains("The run was interrupted"), "{html}");
    assert!(
        html.contains("The run was stopped at 789.5s: 4000001 requests held at once"),
        "{html}"
    );
    assert!(html.contains(&coverage), "{html}");
    assert!(!html.contains("--duration or [run] duration"), "{html}");
    let md = dir.read("summary.md");
    assert!(
        md.contains(
            "**Incomplete**, figures cover what was gathered: capped (stopped at the intent cap); cut (interrupted); held (stopped at 789.5s: 4000001 requests held at once, the simulator's cap)."
        ),
        "{md}"
    );
    assert!(!md.contains("--duration"), "{md}");
}

/// A live run's errors by status and cause reach summary.md and the page, with the warning
/// when most answers were client errors; replications add up; runs without any say nothing.
#[test]
fn errors_by_status_and_cause_are_reported() {
    let notes = |statuses: &[(u16, u64)]| model::results::RunNotes {
        statuses: statuses.iter().copied().collect(),
        failures: [("connection refused".to_string(), 2)].into(),
        ..Default::default()
    };
    let mut a = run(1, 0.1, Some(Verdict::Overloaded), None);
    a.notes = notes(&[(404, 60), (200, 10)]);
    let mut b = run(2, 0.1, Some(Verdict::Overloaded), None);
    b.notes = notes(&[(404, 30), (500, 1)]);
    let quiet = run(3, 0.9, Some(Verdict::Stable), None);
    let dir = TempDir::new("errors");
    let entries = [Entry::new("typo", vec![a, b]), Entry::new("fine", vec![quiet])];
    write(&dir, &report(&entries, Vec::new()));
    let md = dir.read("summary.md");
    assert!(
        md.contains(
            "> **Errors in typo:** 90 x 404 Not Found, 4 x connection refused, 1 x 500 Internal Server Error. **90 of 101 answers were client errors: check the target URL and credentials.**"
        ),
        "{md}"
    );
    assert!(!md.contains("Errors in fine"), "{md}");
    let html = dir.read("index.html");
    assert!(
        html.contains("Other errors, by status and cause: 60 x 404 Not Found, 2 x connection refused."),
        "{html}"
    );
    // Once: the overloaded verdict's reason says it, and the card does not again.
    assert_eq!(html.matches("answers were client errors").count(), 1, "{html}");
    assert!(html.contains("60 of the 70 answers were client errors"), "{html}");
}

/// A report that cannot be written leaves the directory's earlier report as it was: it wrote
/// its charts in place and stopped at the first failure, so new charts sat next to the old
/// index.html and summary.md.
#[test]
fn a_report_that_cannot_be_written_leaves_the_earlier_one_intact() {
    let dir = TempDir::new("all-or-nothing");
    let old = [Entry::new(
        "fifo (sim)",
        vec![run(7, 0.5, Some(Verdict::Recovered), Some(2.0))],
    )];
    let mut first = report(&old, Vec::new());
    first.title = "the earlier report".into();
    write(&dir, &first);
    let before: Vec<(String, Vec<u8>)> = {
        let mut files: Vec<_> = std::fs::read_dir(&dir.0)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        files.sort();
        files
    };
    assert!(before.iter().any(|(n, _)| n == "throughput-fifo-sim.png"), "{before:?}");
    // Something the next report cannot write over: a directory named like one of its files.
    std::fs::remove_file(dir.0.join("junit.xml")).unwrap();
    std::fs::create_dir(dir.0.join("junit.xml")).unwrap();
    let new = [
        Entry::new("deadline (sim)", vec![run(8, 0.9, Some(Verdict::Stable), None)]),
        Entry::new("fifo (sim)", vec![run(9, 0.1, Some(Verdict::Metastable), None)]),
    ];
    let mut second = report(&new, Vec::new());
    second.title = "the next report".into();
    let err = reports::write(&dir.0, &second).expect_err("junit.xml is a directory");
    assert!(err.to_string().contains("junit.xml"), "{err}");
    let mut after: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir.0)
        .unwrap()
        .filter_map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name != "junit.xml").then(|| (name, std::fs::read(e.path()).unwrap()))
        })
        .collect();
    after.sort();
    let before: Vec<_> = before.into_iter().filter(|(n, _)| n != "junit.xml").collect();
    let names = |v: &[(String, Vec<u8>)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&after), names(&before), "no new file, no staging directory left");
    assert!(after == before, "every earlier file unchanged");
    // Nor does one in a directory holding only the obstacle.
    let fresh = TempDir::new("all-or-nothing-fresh");
    std::fs::create_dir_all(fresh.0.join("index.html")).unwrap();
    assert!(reports::write(&fresh.0, &second).is_err());
    let left: Vec<_> = std::fs::read_dir(&fresh.0)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["index.html"], "only what was there");
}

/// A run against an external target measured no backend work: the card, the run's table and
/// the charts say so instead of showing its zeros as 0% wasted and an idle gateway.
#[test]
fn an_external_targets_backend_work_reads_as_not_measured() {
    let with_traffic = |mut r: Results| {
        r.windows = (0..20)
            .map(|t| {
                let mut w = model::results::Window {
                    start_s: f64::from(t),
                    ..Default::default()
                };
                w.counters.requests.intents = 10;
                w.counters.requests.attempts = 10;
                w
            })
            .collect();
        r.window_s = 1.0;
        r
    };
    let measured = with_traffic(run(1, 0.99, Some(Verdict::Recovered), Some(0.0)));
    let mut external = measured.clone();
    external.summary.external_target = true;
    for (r, says) in [(measured, false), (external, true)] {
        let entries = [Entry::new("run", vec![r])];
        let dir = TempDir::new(if says { "external" } else { "measured" });
        write(&dir, &report(&entries, Vec::new()));
        let html = dir.read("index.html");
        assert_eq!(
            html.contains("queue were not measured (an external target"),
            says,
            "card"
        );
        assert_eq!(
            html.contains("of backend time went to requests nobody waited for"),
            !says
        );
        assert_eq!(html.contains("<td>not measured</td>"), says, "the run's table");
        // No empty gateway chart, and no throughput caption about backend time not drawn.
        assert_eq!(
            html.contains("Gateway queue and concurrency"),
            !says,
            "the gateway chart"
        );
        assert_eq!(dir.0.join("gateway-run.svg").exists(), !says);
        assert_eq!(html.contains("backend busy and wasted time are counted"), !says);
        assert_eq!(
            html.contains("backend-seconds per second"),
            !says,
            "the throughput chart's backend axis"
        );
    }
}

/// A run whose queue drained long after goodput recovered, and one cut short by `--duration`:
/// the card and summary.md say both (the audit found "recovered 0s" beside a minute of backlog,
/// and a 30 s live run beside a 60 s sim run with no word of it).
#[test]
fn a_late_draining_queue_and_a_cut_run_are_said() {
    let mut r = run(1, 0.99, Some(Verdict::Recovered), Some(0.0));
    // The fixture's one phase (0-10 s) is the trigger; the run goes on to 40 s.
    r.windows = (0..40)
        .map(|t| {
            let mut w = model::results::Window {
                start_s: f64::from(t),
                ..Default::default()
            };
            // 300 waiting when the trigger ends at 10 s, drained by 25 s.
            w.gauges.queue_depth_mean = if (5..25).contains(&t) { 300.0 } else { 0.0 };
            w
        })
        .collect();
    r.window_s = 1.0;
    let mut cut = run(2, 1.0, Some(Verdict::Recovered), Some(0.0));
    cut.summary.duration_s = 4.0;
    let entries = [Entry::new("late", vec![r]), Entry::new("cut", vec![cut])];
    let dir = TempDir::new("drain-and-cut");
    write(&dir, &report(&entries, Vec::new()));
    let html = dir.read("index.html");
    let md = dir.read("summary.md");
    for text in [&html, &md] {
        assert!(
            text.contains("The gateway queue took 15.0s after the trigger ended to drain (300 requests waiting then)"),
            "{text}"
        );
        // Its own sentence in summary.md, a note in the card's paragraph.
        assert!(
            text.to_lowercase()
                .contains("arrivals stopped at 4.00s, before the scenario"),
            "{text}"
        );
        assert!(text.contains("phases end (10.0s): the run was cut short"), "{text}");
    }
    // An interrupted live run is not said to be cut short by a setting.
    let mut stopped = entries[1].runs[0].clone();
    (stopped.source, stopped.incomplete) = (model::results::RunSource::Live, true);
    let note = reports::entry::cut_short(&stopped).expect("ended early");
    assert!(
        note.ends_with("(10.0s): the run was interrupted, and its figures cover that part"),
        "{note}"
    );
    // A shard, or a merge of shards, says so on its card and in summary.md.
    let mut shard = entries[0].runs[0].clone();
    shard.shard = Some((1, 2));
    let mut merged = entries[0].runs[0].clone();
    merged.merged_from = Some(2);
    let mut one = entries[0].runs[0].clone();
    assert_eq!(reports::entry::provenance(&one), None);
    one.shard = Some((0, 1));
    assert_eq!(reports::entry::provenance(&one), None, "an unsharded run");
    let parts = [Entry::new("shard", vec![shard]), Entry::new("merged", vec![merged])];
    let shards_dir = TempDir::new("shards");
    write(&shards_dir, &report(&parts, Vec::new()));
    for text in [shards_dir.read("index.html"), shards_dir.read("summary.md")] {
        assert!(
            text.contains("shard 1/2 of a run: it offered 1/2 of the scenario"),
            "{text}"
        );
        assert!(text.contains("2 shards added up by"), "{text}");
    }
    // With queue-wait histograms, the note says how long requests waited while it drained:
    // the highest window p99 from the trigger's end until drained (not before, not after).
    let mut timed = entries[0].runs[0].clone();
    let wait = |secs: f64| {
        let mut h = model::results::Hist::new(3);
        h.record(std::time::Duration::from_secs_f64(secs));
        model::results::PackedHist::pack(&h)
    };
    for (t, secs) in [(8, 9.0), (12, 1.2), (20, 0.7), (30, 5.0)] {
        timed.windows[t].histograms.insert("queue_wait".into(), wait(secs));
    }
    let note = reports::entry::queue_drain_note(&timed).unwrap();
    assert!(
        note.contains("(300 requests waiting then; queue waits up to 1.20s (p99) meanwhile)"),
        "{note}"
    );
    // The run that drained within its recovery, and a run not cut, say neither.
    let mut quick = run(3, 1.0, Some(Verdict::Recovered), Some(20.0));
    quick.windows = entries[0].runs[0].windows.clone();
    quick.window_s = 1.0;
    quick.summary.duration_s = 10.0;
    assert_eq!(reports::entry::queue_drain_note(&quick), None);
    assert_eq!(reports::entry::cut_short(&quick), None);
}

/// Runs of different scenarios side by side are warned of on the page and in summary.md; runs
/// of one scenario are not.
#[test]
fn runs_of_different_scenarios_are_warned_of() {
    let a = run(1, 1.0, Some(Verdict::Stable), None);
    let mut b = run(1, 0.3, Some(Verdict::Metastable), None);
    b.scenario_name = "death-spiral".into();
    let entries = [Entry::new("steady", vec![a.clone()]), Entry::new("spiral", vec![b])];
    let dir = TempDir::new("mixed");
    write(&dir, &report(&entries, Vec::new()));
    let warning = "runs of different scenarios (fixture, death-spiral)";
    assert!(dir.read("index.html").contains(warning));
    assert!(dir.read("summary.md").contains(warning));
    let same = [Entry::new("x", vec![a.clone()]), Entry::new("y", vec![a])];
    assert_eq!(reports::entry::mixed_scenarios(&same), None);
}

/// One file given twice, and runs of one scenario at different loads, are warned of by name:
/// both were labelled `fifo (sim) #1`, `#2`, ... with nothing telling them apart.
#[test]
fn the_same_run_twice_and_versions_of_a_scenario_are_warned_of() {
    let a = run(1, 1.0, Some(Verdict::Stable), None);
    let entries = |runs: &[Results]| -> Vec<Entry> {
        let labels = reports::entry::default_labels(runs);
        labels
            .into_iter()
            .zip(runs)
            .map(|(l, r)| Entry::new(l, vec![r.clone()]))
            .collect()
    };
    assert_eq!(
        reports::entry::run_warnings(&entries(&[a.clone(), a.clone()])),
        ["`fifo (sim) #1` and `fifo (sim) #2` are the same run (identical results: one file given twice?): the report shows one run under 2 labels"]
    );
    // Another seed of the same scenario is neither.
    let mut seed2 = a.clone();
    seed2.seed = 2;
    assert!(reports::entry::run_warnings(&entries(&[a.clone(), seed2])).is_empty());
    let mut faster = a.clone();
    faster.scenario.workload.phases[0].rate *= 2.0;
    faster.summary.whole.offered *= 2;
    let mut finer = a.clone();
    finer.scenario.run.window = model::duration::Dur::from_millis(1);
    finer.window_s = 0.001;
    let mut shorter = a.clone();
    shorter.scenario.run.duration = Some(model::duration::Dur::from_millis(5_000));
    // Other clients or another backend are another system too (labelled by strategy alone,
    // it would pass for the same one); another gateway is what runs compare.
    let mut retrying = a.clone();
    retrying.scenario.clients.retry.max_attempts += 1;
    let mut bigger = a.clone();
    bigger.scenario.backend.services[0].workers *= 2;
    // Another gateway setting under the same strategy is another system too (both read
    // "fifo (sim)"); another strategy is what runs compare.
    let mut cancelling = a.clone();
    cancelling.scenario.gateway.abandon = model::scenario::Abandon::Cancel;
    let mut shedding = a.clone();
    shedding.strategy = "bounded".into();
    shedding
        .scenario
        .gateway
        .set_strategy(model::scenario::Strategy::Bounded);
    shedding.scenario.gateway.queue_capacity = Some(7);
    let warned = reports::entry::run_warnings(&entries(&[
        a.clone(),
        faster,
        finer,
        shorter,
        retrying,
        bigger,
        cancelling,
        shedding,
    ]));
    let expected: Vec<String> = [2, 3, 4, 5, 6, 7]
        .map(|n| {
            let what = ["workload", "window", "duration", "clients", "backend", "gateway"][n - 2];
            let tail = if n <= 4 {
                "different loads, not strategies"
            } else {
                "different systems, which their labels do not show"
            };
            format!(
                "`fifo (sim) #1` and `fifo (sim) #{n}` are runs of different versions of scenario `fixture` ({what} settings differ): side by side they compare {tail}"
            )
        })
        .into();
    assert_eq!(warned, expected);
}

/// A run with no backend time shows its wasted share as "-", not "0.0%"; a report of sweeps
/// alone has no empty section above them.
#[test]
fn no_backend_time_has_no_wasted_share_and_sweeps_head_their_summary() {
    let entries = [Entry::new("idle", vec![reports::fixture::blank()])];
    let (header, rows) = reports::table::cells(&entries);
    let wasted = header.iter().position(|h| h == "wasted").unwrap();
    assert_eq!(rows[0][wasted], "-");
    let dir = TempDir::new("sweeps-only");
    write(
        &dir,
        &report(&[], vec![sweep("death-spiral · sweep: goodput_ratio", "goodput ratio")]),
    );
    let md = dir.read("summary.md");
    assert!(md.starts_with("## death-spiral · sweep: goodput_ratio\n"), "{md}");
}

/// A sweep's table of points is on the page (folded when long) and in summary.md (up to a
/// size), so a sweep that no point passes shows the figures that failed its SLO.
#[test]
fn a_sweeps_points_are_listed() {
    let header: Vec<String> = ["gateway.strategy", "goodput ratio", "p99", "SLO (p99<2s)"]
        .map(String::from)
        .to_vec();
    let row = |s: &str, p99: &str| vec![s.to_string(), "81.9%".into(), p99.to_string(), "fails".into()];
    let mut h = sweep("death-spiral · sweep: goodput_ratio", "goodput ratio");
    h.points = Some((header.clone(), vec![row("fifo", "3.18s"), row("deadline", "3.09s")]));
    let dir = TempDir::new("sweep-points");
    write(&dir, &report(&[], vec![h.clone()]));
    let html = dir.read("index.html");
    assert!(
        html.contains("<details open><summary>Every point (2)</summary>"),
        "{html}"
    );
    assert!(
        html.contains("<td class=l>fifo</td><td>81.9%</td><td>3.18s</td><td class=l>fails</td>"),
        "{html}"
    );
    let md = dir.read("summary.md");
    assert!(md.contains("| fifo | 81.9% | 3.18s | fails |"), "{md}");
    // Findings as a list that wraps (a code block's long lines ran off the side), nested as
    // the terminal indents them, backticks kept as code and other markdown escaped.
    h.notes = vec![
        "safe envelope over workload.phases[1].rate (the largest rate):\n  gateway.strategy=fifo: 120/s\n    tied with *it*".into(),
        "check with `sim run --replications 10`".into(),
    ];
    let dir = TempDir::new("sweep-notes");
    write(&dir, &report(&[], vec![h.clone()]));
    let md = dir.read("summary.md");
    assert!(
        md.contains(
            "- safe envelope over workload.phases\\[1\\].rate (the largest rate):\n  - gateway.strategy=fifo: 120/s\n    - tied with \\*it\\*\n- check with `sim run --replications 10`\n"
        ) && !md.contains("```"),
        "{md}"
    );
    // A large grid: folded on the page, pointed to from summary.md.
    h.points = Some((header, (0..100).map(|i| row(&format!("c{i}"), "1s")).collect()));
    let dir = TempDir::new("sweep-points-many");
    write(&dir, &report(&[], vec![h]));
    assert!(dir
        .read("index.html")
        .contains("<details><summary>Every point (100)</summary>"));
    let md = dir.read("summary.md");
    assert!(md.contains("100 points: every one is in the sweep's sweep.csv"), "{md}");
    assert!(!md.contains("| c99 |"), "{md}");
}

/// An interrupted sweep's SLO case fails in junit.xml even where a point met the SLO: the
/// best may not hold at the loads that did not run (review, stop 42).
#[test]
fn junit_fails_the_slo_of_an_interrupted_sweep() {
    let dir = TempDir::new("junit-interrupted");
    let mut met = sweep("whole", "goodput_ratio");
    met.slo_met = Some(("p99<2s".into(), true));
    let mut cut = sweep("cut", "goodput_ratio");
    cut.slo_met = Some(("p99<2s".into(), true));
    cut.interrupted = Some("interrupted: 41 of the grid's 122 points ran".into());
    cut.notes = vec!["interrupted: 41 of the grid's 122 points ran".into()];
    write(&dir, &report(&[], vec![met, cut]));
    let junit = dir.read("junit.xml");
    let suite = |name: &str| {
        let start = junit.find(&format!("<testsuite name=\"{name}\"")).unwrap();
        let end = start + junit[start..].find("</testsuite>").unwrap();
        junit[start..end].to_string()
    };
    assert!(!suite("whole").contains("<failure"), "{junit}");
    let cut = suite("cut");
    assert!(
        cut.contains("<failure")
            && cut.contains("not judged: a pass over part of the grid proves nothing")
            && cut.matches("interrupted: 41 of the grid").count() == 2,
        "{cut}"
    );
}

/// A live run whose load generator fell behind says by how much on its card (`compare` and
/// `demo` send the reader there): it said only that it fell behind.
#[test]
fn the_card_says_by_how_much_the_generator_fell_behind() {
    let mut r = run(7, 0.9, Some(Verdict::Recovered), Some(1.0));
    r.source = model::results::RunSource::Live;
    r.generator = Some(model::results::GeneratorHealth {
        lateness_p99_s: 0.0123,
        unsent: 0,
        lagging: true,
        late_sends: Some(40),
    });
    let dir = TempDir::new("lagging");
    let entries = [Entry::new("live", vec![r])];
    write(&dir, &report(&entries, Vec::new()));
    let html = dir.read("index.html");
    assert!(
        html.contains(
            "Caution: the load generator fell behind its schedule (send lateness p99 12.3ms real time, 40 sends later than 1.0ms), so these figures"
        ),
        "{html}"
    );
    // A file from before the count of late sends says the p99 alone.
    let mut old = entries[0].runs[0].clone();
    old.generator.as_mut().expect("set above").late_sends = None;
    write(&dir, &report(&[Entry::new("live", vec![old])], Vec::new()));
    let html = dir.read("index.html");
    assert!(html.contains("(send lateness p99 12.3ms real time), so"), "{html}");
}

/// The run's notes that the summary prints (resends, intents left out, attempts the generator
/// could not send, arrivals it left unsent) are in summary.md and the page too; only the
/// errors and the mostly-4xx warning were (review, stop 42).
#[test]
fn the_runs_notes_are_repeated_in_the_report() {
    let mut r = run(7, 0.9, Some(Verdict::Recovered), Some(1.0));
    r.notes.resent = 3;
    r.notes.left_out = 2;
    r.notes
        .generator_failures
        .insert("the generator ran out of file descriptors".into(), 71);
    r.generator = Some(model::results::GeneratorHealth {
        lateness_p99_s: 0.002,
        unsent: 71,
        lagging: true,
        ..Default::default()
    });
    let dir = TempDir::new("notes");
    let entries = [Entry::new("live", vec![r])];
    write(&dir, &report(&entries, Vec::new()));
    let (md, html) = (dir.read("summary.md"), dir.read("index.html"));
    for text in [&md, &html] {
        assert!(!text.contains("arrivals not sent"), "said once, with its cause: {text}");
        for part in [
            "Resent: 3 requests sent again",
            "Left out: 2 intents had no final answer",
            "Warning: the generator could not send 71 attempts (71 x the generator ran out of file descriptors)",
        ] {
            assert!(text.contains(part), "{part} in {text}");
        }
    }
    assert!(md.contains("> **Notes on live:**\n> - "), "{md}");
    // Arrivals left unsent for want of room for intents (not in the notes) are counted there.
    let mut more = entries[0].runs[0].clone();
    more.generator.as_mut().unwrap().unsent = 80;
    write(&dir, &report(&[Entry::new("live", vec![more])], Vec::new()));
    for text in [dir.read("summary.md"), dir.read("index.html")] {
        assert!(text.contains("9 arrivals not sent, left out of the figures"), "{text}");
    }
    // Its thresholds, not judged over unsent arrivals, are inconclusive, not failed.
    let mut r = entries[0].runs[0].clone();
    r.thresholds = vec![ThresholdResult {
        check: "goodput_ratio >= 0.5".into(),
        name: None,
        value: None,
        passed: false,
        service: None,
        missing: Some("not judged: the load generator left 71 arrivals unsent".into()),
    }];
    let entries = [Entry::new("live", vec![r])];
    write(&dir, &report(&entries, Vec::new()));
    let md = dir.read("summary.md");
    assert!(
        md.contains("- ⚠️ live: `goodput_ratio >= 0.5` (not judged: the load generator left 71"),
        "{md}"
    );
    // The page and junit.xml say so too: it read FAIL there, and a plain failure.
    let html = dir.read("index.html");
    assert!(html.contains("<span class=warn>INCONCLUSIVE</span>"), "{html}");
    assert!(!html.contains(">FAIL<"), "{html}");
    assert!(
        html.contains("; inconclusive: the load generator fell behind"),
        "{html}"
    );
    let junit = dir.read("junit.xml");
    assert!(
        junit.contains("; inconclusive: the load generator fell behind"),
        "{junit}"
    );
}

/// A baseline comparison beside a run whose load generator is in doubt exits 4, inconclusive:
/// summary.md and the page say so, not a plain failure, and junit.xml's failures say it too.
/// The regressions come first, each saying what moved and by how much, and the reader is told
/// where the charts are; a rise from zero reads "from 0", not "-".
#[test]
fn an_inconclusive_baseline_reads_as_such_and_lists_its_regressions_first() {
    let old = run(7, 0.95, Some(Verdict::Recovered), Some(0.0));
    let mut new = run(7, 0.60, Some(Verdict::Recovered), Some(0.0));
    new.summary.whole.timeouts = 40;
    let entries_of = |new: Results| {
        [
            Entry::new("baseline (fifo)", vec![old.clone()]),
            Entry::new("new (fifo)", vec![new]),
        ]
    };
    fn baseline_report(entries: &[Entry]) -> Report<'_> {
        let (o, n) = (&entries[0].runs[0], &entries[1].runs[0]);
        let rows = reports::baseline::compare(o, n, 0.1);
        Report {
            title: "baseline comparison".into(),
            entries,
            expectations: &[],
            baseline: Some(reports::report::Baseline {
                old: "old.json".into(),
                new: "new.json".into(),
                tolerance: 0.1,
                rows,
                problems: reports::baseline::problems(o, n),
            }),
            heatmaps: Vec::new(),
            thresholds_gate: false,
            warnings: Vec::new(),
        }
    }

    // Sure: a plain failure.
    let sure = entries_of(new.clone());
    let dir = TempDir::new("baseline-sure");
    write(&dir, &baseline_report(&sure));
    let md = dir.read("summary.md");
    let section = &md[md.find("### Against the baseline").expect("the section")..];
    assert!(section.contains("❌ **2 regressions beyond 10%**"), "{section}");
    let listed = section
        .find("- `goodput_ratio: 0.9500 -> 0.6000 (-36.8%): REGRESSION")
        .expect("listed");
    assert!(listed < section.find("```").expect("the table"), "{section}");
    assert!(
        section.contains("- `timeouts: 0 -> 40 (from 0): REGRESSION"),
        "{section}"
    );
    assert!(section.contains("`index.html` in this report's directory"), "{section}");
    assert!(!dir.read("junit.xml").contains("inconclusive"));

    // The new run's generator left arrivals unsent: the same regressions are inconclusive.
    new.generator = Some(model::results::GeneratorHealth {
        lateness_p99_s: 0.002,
        unsent: 71,
        lagging: true,
        ..Default::default()
    });
    let doubt = entries_of(new);
    let dir = TempDir::new("baseline-doubt");
    write(&dir, &baseline_report(&doubt));
    let md = dir.read("summary.md");
    assert!(
        md.contains(
            "⚠️ INCONCLUSIVE: **2 regressions beyond 10%, which may be the load generator's, not the change's**"
        ),
        "{md}"
    );
    assert!(!md.contains("❌ **"), "{md}");
    let html = dir.read("index.html");
    assert!(
        html.contains("<span class=warn>inconclusive</span> 2 regressions"),
        "{html}"
    );
    let junit = dir.read("junit.xml");
    let failures = junit.matches("<failure").count();
    assert_eq!(failures, 2, "{junit}");
    // In each failure's message and its case's output.
    assert_eq!(
        junit.matches("; inconclusive: the load generator").count(),
        4,
        "{junit}"
    );
    junit10_attributes_only(&junit);
}

/// Under compare the runs' own thresholds do not gate: summary.md says so and marks a failing
/// one ➖, not the ❌ of a failed gate (a green job showed red crosses), and index.html a muted
/// FAIL; where they gate, ❌ and a red FAIL.
#[test]
fn thresholds_that_do_not_gate_are_not_marked_as_failures() {
    let mut fifo = run(7, 0.253, Some(Verdict::Metastable), None);
    fifo.thresholds.push(ThresholdResult {
        check: "goodput_ratio >= 0.8".into(),
        name: None,
        value: Some(0.253),
        passed: false,
        service: None,
        missing: None,
    });
    let entries = [Entry::new("fifo", vec![fifo])];
    let dir = TempDir::new("not-gated");
    write(
        &dir,
        &Report {
            thresholds_gate: false,
            ..report(&entries, Vec::new())
        },
    );
    let md = dir.read("summary.md");
    assert!(
        md.contains(
            "Not gated: this comparison gates on its expectations (none given); ➖ marks a threshold that fails."
        ) && md.contains("- ➖ fifo: `goodput_ratio >= 0.8`")
            && !md.contains('❌'),
        "{md}"
    );
    // The page agrees: a muted "FAIL (not gated)", not the red FAIL of a gate.
    let html = dir.read("index.html");
    assert!(
        html.contains("<span class=muted>FAIL (not gated)</span>")
            && html.contains("Thresholds not gated")
            && !html.contains("<span class=bad>FAIL</span>"),
        "{html}"
    );
    let dir = TempDir::new("gated");
    write(&dir, &report(&entries, Vec::new()));
    let md = dir.read("summary.md");
    assert!(
        md.contains("- ❌ fifo: `goodput_ratio >= 0.8`") && !md.contains("Not gated"),
        "{md}"
    );
    let html = dir.read("index.html");
    assert!(
        html.contains("<span class=bad>FAIL</span>") && !html.contains("not gated"),
        "{html}"
    );
}
