//! Tests that span several parts of the sweep, and those built on the points made below
//! (`table_point`, `at_rate`).

use super::axis::split_values;
use super::reduce::reduce_point;
use super::*;
use crate::engine::simulate_summary;
use model::results::{GroupSummary, Verdict};
use model::scenario::{self, Priority, Scenario};
use model::threshold::{Figure, Metric, Threshold};
use serde_json::Value;
use std::collections::BTreeMap;

/// The best point by a service's figure, by goodput (successes per second, not the ratio),
/// and by a recovery that did not happen everywhere.
#[test]
fn the_best_point_by_a_group_figure() {
    let point = |goodput_ratio: f64, goodput: f64, billing: f64, billing_recovery: Option<f64>| Point {
        params: Vec::new(),
        goodput_ratio,
        goodput: Some(goodput),
        p50: 0.0,
        p99: 0.0,
        amplification: 1.0,
        wasted_s: 0.0,
        recovery_s: None,
        verdict: "recovered".into(),
        held: false,
        attempts: 0,
        meets_slo: true,
        seeds: 1,
        slo_held: None,
        slo_held_each: Vec::new(),
        classes: BTreeMap::new(),
        services: [(
            "billing".to_string(),
            GroupSummary {
                offered: 10,
                goodput_ratio: billing,
                verdict: Some(if billing_recovery.is_some() {
                    Verdict::Recovered
                } else {
                    Verdict::Metastable
                }),
                recovery_s: billing_recovery,
                ..Default::default()
            },
        )]
        .into(),
        slo_measured: Vec::new(),
        slo_values: Vec::new(),
        sized_queue_capacity: None,
        sized_queue_capacities: BTreeMap::new(),
        worst_services: BTreeMap::new(),
        stopped: None,
    };
    // Each objective has a different best point.
    let points = [
        point(0.99, 50.0, 0.6, None),
        point(0.95, 90.0, 0.7, Some(20.0)),
        point(0.97, 70.0, 0.8, Some(5.0)),
    ];
    let at = |f: &str| {
        let f = parse_objective(f).unwrap();
        let b = best(&points, &f)?;
        points.iter().position(|p| std::ptr::eq(p, b))
    };
    assert_eq!(at("goodput_ratio"), Some(0));
    assert_eq!(at("goodput"), Some(1), "successes per second, not the ratio");
    assert_eq!(at("service[billing].goodput_ratio"), Some(2));
    assert_eq!(at("service[billing].p50"), None, "billing finished nothing: no latency");
    let recovery = parse_objective("service[billing].recovery").unwrap();
    assert_eq!(
        best(&points[..2], &recovery).map(|p| p.goodput),
        Some(Some(90.0)),
        "never recovering ranks below recovering"
    );
    // ... but a point that never recovered still has the figure, unlike one without billing.
    let mut without = points[1].clone();
    without.services.clear();
    let pair = [without, points[0].clone()];
    assert_eq!(best(&pair, &recovery).map(|p| p.goodput), Some(Some(50.0)));
    assert_eq!(
        best(&pair[..1], &recovery).map(|p| p.goodput),
        None,
        "no point has billing"
    );
    let csv = to_csv(
        &points,
        &parse_objective("service[billing].goodput_ratio").unwrap(),
        &[],
    );
    assert!(
        csv.lines().next().unwrap().ends_with(",service[billing].goodput_ratio"),
        "{csv}"
    );
    assert!(csv.lines().nth(3).unwrap().ends_with(",0.800000"), "{csv}");
    // Points round-trip through sweep.json (reports read them back).
    let back: Vec<Point> = serde_json::from_str(&serde_json::to_string(&points).unwrap()).unwrap();
    assert_eq!(back[1].value(&recovery), Some(20.0));
    // A table written before points kept goodput and groups still reads.
    let old: Vec<Point> = serde_json::from_str(
        r#"[{"params": [["gateway.strategy", "fifo"]], "goodput_ratio": 0.9, "p50": 0.1, "p99": 0.2,
                "amplification": 1.0, "wasted_s": 0.0, "recovery_s": null, "verdict": "stable",
                "attempts": 10, "meets_slo": true}]"#,
    )
    .unwrap();
    let goodput = parse_objective("goodput").unwrap();
    assert!(!old[0].keeps(&goodput) && old[0].value(&goodput).is_none());
    assert!(old[0].keeps(&parse_objective("p99").unwrap()) && !old[0].keeps(&recovery));
    assert_eq!(best(&old, &goodput).map(|p| p.attempts), None);
}

/// sweep.json carries the objective and SLO (a report of it shows the same best
/// configuration); a bare array of points from older versions still reads; a results file
/// is not a table.
#[test]
fn tables_read_in_both_forms() {
    let p = table_point(
        &[
            ("gateway.strategy", "fifo".into()),
            ("workload.phases[1].rate", 200.into()),
        ],
        0.9,
        true,
    );
    let mut at_300 = p.clone();
    at_300.params[1].1 = 300.into();
    let t = Table {
        scenario: Some("death-spiral".into()),
        objective: "p99".into(),
        slo: vec!["p99<2s".into()],
        planned_points: Some(4),
        bursts: Vec::new(),
        points: vec![p.clone(), at_300],
    };
    let back = Table::parse(&serde_json::to_string(&t).unwrap()).unwrap().unwrap();
    assert_eq!(
        (
            back.objective.as_str(),
            back.slo.len(),
            back.points.len(),
            back.planned_points
        ),
        ("p99", 1, 2, Some(4))
    );
    let axes = back.axes();
    assert_eq!(axes.len(), 2);
    // Two rates: an envelope needs two values to be over.
    assert_eq!(axes[1].values, vec![Value::from(200), Value::from(300)]);
    let old = Table::parse(&serde_json::to_string(&vec![p.clone()]).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!((old.objective.as_str(), old.points.len()), ("", 1));
    // It kept whether each point met an SLO, not which: one that did not is no "none given".
    assert!(old.slo.is_empty(), "every point met it: nothing to name");
    let mut failed = p.clone();
    failed.meets_slo = false;
    let old = Table::parse(&serde_json::to_string(&vec![failed]).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(old.slo, ["an SLO this older table does not name"]);
    let lines = findings(
        &old.points,
        &old.axes(),
        &parse_objective("p99").unwrap(),
        &old.slo,
        &[],
    );
    assert!(!lines.iter().any(|l| l.contains("none given")), "{lines:?}");
    assert!(Table::parse("{\"schema\": 3, \"summary\": {}}").is_none());
    assert!(Table::parse("[{\"nope\": 1}]").unwrap().is_err());
    let f = parse_objective("goodput_ratio").unwrap();
    let lines = findings(&back.points, &axes, &f, &back.slo, &[]);
    assert!(
        lines[0].starts_with("best under the SLO (p99<2s) at every workload.phases[1].rate tried"),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l.starts_with("safe envelope")), "{lines:?}");
}

/// A bad value, or an index past a list's end, names the axis it came from, as a value
/// the file's checks refuse does (`gateway.concurrency=0`).
#[test]
fn bad_values_and_indexes_name_the_axis() {
    let base = scenario::parse("t.toml", "[[workload.phases]]\nduration = \"10s\"\nrate = 5\n[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n").unwrap();
    let axes = |c: &str| {
        vec![
            parse_axis("gateway.strategy=fifo,bounded").unwrap(),
            parse_axis(&format!("gateway.concurrency={c}")).unwrap(),
        ]
    };
    let e = plan(&base, &axes("-1")).err().unwrap();
    assert_eq!(
        e,
        "gateway.strategy=fifo gateway.concurrency=-1: gateway.concurrency: expected a non-negative integer, got -1"
    );
    let e = plan(&base, &axes("1.5,2")).err().unwrap();
    assert!(
        e.contains("gateway.concurrency=1.5: gateway.concurrency: expected a non-negative integer"),
        "{e}"
    );
    let zero = plan(&base, &axes("0")).err().unwrap();
    assert!(
        zero.contains(": gateway.concurrency: expected an integer >= 1"),
        "{zero}"
    );
    let e = plan(&base, &[parse_axis("workload.phases[5].rate=1,2").unwrap()])
        .err()
        .unwrap();
    assert_eq!(
        e,
        "--vary workload.phases[5].rate: index 5 out of range (the list has 1, indexes 0 to 0)"
    );
    let e = plan(&base, &[parse_axis("backend.services[3].workers=1,2").unwrap()])
        .err()
        .unwrap();
    assert!(
        e.starts_with("--vary backend.services[3].workers: index 3 out of range"),
        "{e}"
    );
    let e = check_paths(
        &base,
        "--set",
        &[parse_axis("workload.phases[0].extra[0].rate=1").unwrap()],
    )
    .unwrap_err();
    assert!(
        e.starts_with("--set workload.phases[0].extra[0].rate: the file has no `extra` list"),
        "{e}"
    );
}

/// Two ranges of 10,000 made 10^8 combinations, built in memory before anything was
/// checked (an allocation failure); the product is checked first.
#[test]
fn a_grid_too_large_is_refused_before_it_is_built() {
    let base = scenario::parse("t.toml", "[[workload.phases]]\nduration = \"10s\"\nrate = 5\n[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n").unwrap();
    // 160,000 combinations: over the bound, yet small enough to build without the check.
    let axes = [
        parse_axis("gateway.concurrency=1..400").unwrap(),
        parse_axis("workload.phases[0].rate=1..400").unwrap(),
    ];
    let e = plan(&base, &axes).err().unwrap();
    assert_eq!(
        e,
        "--vary: the axes gateway.concurrency (400 values) x workload.phases[0].rate (400 values) make 160000 combinations; a sweep takes at most 100000: narrow an axis"
    );
    let huge = [
        parse_axis("gateway.concurrency=1..10000").unwrap(),
        parse_axis("run.healthy_ratio=1..10000").unwrap(),
    ];
    assert!(grid(&huge).unwrap_err().contains("make 100000000 combinations"));
    // A product past usize::MAX: checked, not wrapped round to a small number.
    let overflow = vec![parse_axis("gateway.concurrency=1..10000").unwrap(); 5];
    let e = grid_size(&overflow).unwrap_err();
    assert!(
        e.contains(&format!("make more than {} combinations", usize::MAX)),
        "{e}"
    );
    let edge = [
        parse_axis("gateway.concurrency=1..10").unwrap(),
        parse_axis("a=1..10000").unwrap(),
    ];
    assert_eq!(grid_size(&edge), Ok(100_000));
}

/// A seed whose run stopped at the simulator's cap makes its point unjudged: verdict
/// `stopped`, no SLO met, no recovery, and the reason in the findings; the other seeds'
/// figures are still averaged.
#[test]
fn a_point_with_a_stopped_seed_is_not_judged() {
    let base = scenario::parse(
        "t.toml",
        "[[workload.phases]]\nduration = \"20s\"\nrate = 5\n[[workload.phases]]\nduration = \"5s\"\nrate = 5\ntrigger = true\n\
         [[workload.phases]]\nduration = \"20s\"\nrate = 5\n[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n",
    )
    .unwrap();
    let run = |seed| simulate_summary(&base, Some(seed)).summary;
    let params = vec![("gateway.concurrency".to_string(), Value::from(1))];
    let whole = reduce_point(params.clone(), &[], vec![(run(1), None), (run(2), None)], &[]);
    assert!(
        whole.recovered() && whole.meets_slo && whole.stopped.is_none(),
        "{}",
        whole.verdict
    );
    let why = "stopped at 12s: 4000001 requests held at once, the simulator's cap".to_string();
    let cut = reduce_point(params, &[], vec![(run(1), None), (run(2), Some(why.clone()))], &[]);
    assert_eq!((cut.verdict.as_str(), cut.meets_slo), ("stopped", false));
    assert_eq!(
        (cut.slo_held, cut.recovery_s),
        (Some(0), None),
        "no seed's SLO or recovery counts"
    );
    assert_eq!(whole.slo_held, Some(2));
    assert!(!cut.recovered());
    assert_eq!(cut.failure(), format!("not judged: the run {why}"));
    assert_eq!(
        cut.goodput_ratio, whole.goodput_ratio,
        "the seeds' figures are still their mean"
    );
    assert!(to_csv(&[cut], &Figure::whole(Metric::GoodputRatio), &[]).contains(",stopped,"));
}

/// `backend.services[NAME]` is the entry named NAME, as `[i]` is the i-th: a user sizing
/// `billing` among ten entries need not count to it. A member of a `count = N` entry and an
/// unknown name are refused, saying what the file has.
#[test]
fn a_service_entry_is_varied_by_its_name() {
    let base = scenario::parse(
        "t.toml",
        "[[workload.phases]]\nduration = \"10s\"\nrate = 5\n\
         [[backend.services]]\nname = \"legacy\"\ncount = 3\nworkers = 1\nservice_time = \"10ms\"\n\
         [[backend.services]]\nname = \"billing\"\nworkers = 1\nservice_time = \"10ms\"\n",
    )
    .unwrap();
    let workers =
        |s: &Scenario| -> Vec<(String, u32)> { s.services.iter().map(|x| (x.name.clone(), x.workers)).collect() };
    let p = plan(&base, &[parse_axis("backend.services[billing].workers=2,4").unwrap()]).unwrap();
    assert_eq!(p.points.len(), 2);
    for (i, w) in [(0, 2), (1, 4)] {
        let s = p.scenario(i).unwrap();
        let expected: Vec<(String, u32)> = ["legacy-1", "legacy-2", "legacy-3"]
            .iter()
            .map(|n| (n.to_string(), 1))
            .chain([("billing".to_string(), w)])
            .collect();
        assert_eq!(workers(&s), expected, "point {i}");
    }
    // The group's entry by its name: every member.
    let p = plan(&base, &[parse_axis("backend.services[legacy].workers=3").unwrap()]).unwrap();
    let s = p.scenario(0).unwrap();
    assert_eq!(workers(&s).iter().map(|(_, w)| *w).collect::<Vec<_>>(), [3, 3, 3, 1]);
    // Named and wildcard set the same field: the named key wins, in either order.
    for axes in [
        ["backend.services[billing].workers=5", "backend.services[*].workers=2"],
        ["backend.services[*].workers=2", "backend.services[billing].workers=5"],
    ] {
        let axes: Vec<Axis> = axes.iter().map(|a| parse_axis(a).unwrap()).collect();
        let p = plan(&base, &axes).unwrap();
        let s = p.scenario(0).unwrap();
        assert_eq!(
            workers(&s).iter().map(|(_, w)| *w).collect::<Vec<_>>(),
            [2, 2, 2, 5],
            "{axes:?}"
        );
    }
    let refused = |axis: &str| check_paths(&base, "--vary", &[parse_axis(axis).unwrap()]).unwrap_err();
    let e = refused("backend.services[billling].workers=2");
    assert_eq!(
        e,
        "--vary backend.services[billling].workers: the file has no service entry named `billling` (its entries: legacy, billing)"
    );
    let e = refused("backend.services[legacy-2].workers=2");
    assert!(
        e.contains("`legacy-2` is one of the services of the entry `legacy`")
            && e.contains("backend.services[legacy].workers"),
        "{e}"
    );
    // An index is still an index, and a name is allowed only there.
    assert!(parse_axis("backend.services[1].workers=2").is_ok());
    let e = parse_axis("workload.phases[burst].rate=1").unwrap_err();
    assert!(e.contains("is no list index"), "{e}");
}

fn table_point(params: &[(&str, Value)], goodput_ratio: f64, meets_slo: bool) -> Point {
    Point {
        params: params.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
        goodput_ratio,
        goodput: Some(goodput_ratio * 100.0),
        p50: 0.1,
        p99: 0.5,
        amplification: 1.0,
        wasted_s: 0.0,
        recovery_s: None,
        verdict: "recovered".into(),
        held: false,
        attempts: 10,
        meets_slo,
        seeds: 1,
        slo_held: None,
        slo_held_each: Vec::new(),
        classes: BTreeMap::new(),
        services: BTreeMap::new(),
        slo_measured: Vec::new(),
        slo_values: Vec::new(),
        sized_queue_capacity: None,
        sized_queue_capacities: BTreeMap::new(),
        worst_services: BTreeMap::new(),
        stopped: None,
    }
}

/// By recovery, points that all never recovered have no best: it was the first in grid
/// order, "recovery never". One that recovers is the best; goodput reads as a rate.
#[test]
fn no_point_recovering_has_no_best_by_recovery() {
    let never = |s: &str| {
        let mut p = table_point(&[("gateway.strategy", Value::from(s))], 0.2, true);
        p.verdict = "metastable".into();
        p
    };
    let axes = [parse_axis("gateway.strategy=fifo,passthrough").unwrap()];
    let f = parse_objective("recovery").unwrap();
    let points = [never("fifo"), never("passthrough")];
    let lines = findings(&points, &axes, &f, &[], &[]);
    assert!(
        lines[0].starts_with("no configuration recovers: by recovery there is no best"),
        "{lines:?}"
    );
    let mut quick = never("passthrough");
    (quick.verdict, quick.recovery_s) = ("recovered".into(), Some(3.0));
    let lines = findings(&[never("fifo"), quick], &axes, &f, &[], &[]);
    assert!(
        lines[0].contains("by recovery: gateway.strategy=passthrough  -> recovery 3.00s"),
        "{lines:?}"
    );
    let lines = findings(&points, &axes, &parse_objective("goodput").unwrap(), &[], &[]);
    assert!(lines[0].contains("-> goodput 20.0/s,"), "{lines:?}");
    // Nor does the safe envelope mark one "best" then (it marked the first in grid order).
    let axes = [
        parse_axis("gateway.strategy=fifo,passthrough").unwrap(),
        parse_axis("workload.phases[1].rate=900,1100").unwrap(),
    ];
    let at = |s: &str, rate: u32| {
        let mut p = never(s);
        p.params.push(("workload.phases[1].rate".into(), Value::from(rate)));
        p
    };
    let points = [
        at("fifo", 900),
        at("fifo", 1100),
        at("passthrough", 900),
        at("passthrough", 1100),
    ];
    let lines = findings(&points, &axes, &f, &[], &[]);
    assert!(lines[0].starts_with("no configuration recovers at every "), "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("  gateway.strategy=fifo: below 900/s")),
        "the envelope is listed: {lines:?}"
    );
    assert!(!lines.iter().any(|l| l.contains("<- best")), "{lines:?}");
    // It still marks a real best.
    let mut points = points;
    (points[2].verdict, points[2].recovery_s) = ("recovered".into(), Some(3.0));
    (points[3].verdict, points[3].recovery_s) = ("recovered".into(), Some(5.0));
    let lines = findings(&points, &axes, &f, &[], &[]);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("  gateway.strategy=passthrough: ") && l.ends_with("<- best")),
        "{lines:?}"
    );
}

/// The table of points shows the figures an SLO failed on, and the objective when it is not
/// a headline figure, besides whether the SLO held.
#[test]
fn the_points_table_shows_what_the_slo_judged() {
    let mut a = table_point(&[("gateway.strategy", Value::from("fifo"))], 0.25, false);
    a.p99 = 3.18;
    let mut m = a.clone();
    m.verdict = "metastable".into();
    a.wasted_s = 12.5;
    let mut b = table_point(&[("gateway.strategy", Value::from("deadline"))], 0.9, true);
    (b.seeds, b.slo_held) = (5, Some(5));
    let mut c = table_point(&[("gateway.strategy", Value::from("bounded"))], 0.8, false);
    (c.seeds, c.slo_held) = (5, Some(3));
    let objective = parse_objective("wasted").unwrap();
    let slo = ["p99<2s".to_string(), "goodput_ratio>=0.5".to_string()];
    let (header, rows) = cells(&[a, b, c], &objective, &slo);
    assert_eq!(
        header,
        [
            "gateway.strategy",
            "goodput ratio",
            "p50",
            "p99",
            "amplif.",
            "recovery",
            "verdict",
            "wasted",
            "SLO (p99<2s, goodput_ratio>=0.5)"
        ]
    );
    assert_eq!(
        rows[0],
        [
            "fifo",
            "25.0%",
            "100.0ms",
            "3.18s",
            "1.00",
            "-",
            "recovered",
            "12.5s",
            "fails"
        ]
    );
    assert_eq!(rows[1][8], "meets (all 5 seeds)");
    assert_eq!(cells(&[m], &objective, &slo).1[0][5], "never");
    // A goodput short of 100% never reads 100.0% (0.999882 did, beside the heatmap's
    // 99.99%).
    let nearly = table_point(&[("gateway.strategy", Value::from("deadline"))], 0.999882, true);
    assert_eq!(cells(&[nearly], &objective, &slo).1[0][1], "99.99%");
    assert_eq!(rows[2][8], "fails (holds in 3 of 5 seeds)");
    // Without an SLO, no SLO column; a headline objective is not repeated.
    let (header, _) = cells(&rows_points(), &parse_objective("p99").unwrap(), &[]);
    assert_eq!(header.len(), 7);
}

/// An SLO on a figure the points do not keep (p999, timeouts, every service's p99) shows
/// what it measured, in the table and in the CSV, from the simulated runs: one seed's
/// reading, or the seeds' mean.
#[test]
fn figures_the_slo_judged_are_kept_with_the_point() {
    let base = scenario::parse(
        "t.toml",
        "[run]\nwindow = \"1s\"\n[[workload.phases]]\nduration = \"20s\"\nrate = 50\n\
         [[backend.services]]\nname = \"a\"\nworkers = 2\nservice_time = \"20ms\"\n\
         [[backend.services]]\nname = \"b\"\nworkers = 2\nservice_time = \"20ms\"\n",
    )
    .unwrap();
    let texts = ["p999<10s", "timeouts<100", "service[*].p99<2s"].map(String::from);
    let slo: Vec<Threshold> = texts.iter().map(|t| t.parse().unwrap()).collect();
    let axes = [parse_axis("gateway.strategy=fifo,bounded").unwrap()];
    for seeds in [1, 2] {
        let points = run_plan(plan(&base, &axes).unwrap(), &slo, seeds, &|| {});
        let table = Table {
            scenario: None,
            objective: String::new(),
            slo: texts.to_vec(),
            planned_points: None,
            bursts: Vec::new(),
            points: points.clone(),
        };
        assert_eq!(table.check(), Ok(()), "a sweep's own table passes");
        let (header, rows) = cells(&points, &Figure::whole(Metric::GoodputRatio), &texts);
        for (i, name) in ["p999", "timeouts", "service[*].p99"].iter().enumerate() {
            let col = header
                .iter()
                .position(|h| h == name)
                .unwrap_or_else(|| panic!("{header:?}"));
            for (p, row) in points.iter().zip(&rows) {
                assert_eq!(row[col], p.slo_measured[i], "{name}, {seeds} seeds");
                assert_ne!(row[col], "-", "{name}");
            }
        }
        assert_eq!(rows[0][header.iter().position(|h| h == "timeouts").unwrap()], "0");
        let csv = to_csv(&points, &Figure::whole(Metric::GoodputRatio), &texts);
        assert!(
            csv.lines()
                .next()
                .unwrap()
                .ends_with(",\"measured: service[*].p99<2s\""),
            "{csv}"
        );
        // Numbers, in the metric's unit, for scripts: the value behind the table's text.
        let row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
        let measured: Vec<f64> = row[row.len() - 3..]
            .iter()
            .map(|c| c.parse().unwrap_or_else(|_| panic!("a number: {c:?} in {csv}")))
            .collect();
        assert_eq!(measured.len(), 3);
        for (i, v) in measured.iter().enumerate() {
            // Written to six decimals: within half of the last one.
            let exact = points[0].slo_values[i].expect("a measured value");
            assert!((v - exact).abs() <= 5e-7, "{v} for {exact}: {csv}");
        }
        // A key with quotes in it is quoted, its quotes doubled (RFC 4180).
        let mut quoted = points.clone();
        quoted[0].params[0].0 = "gateway.services.\"a,b\".concurrency".into();
        let csv = to_csv(&quoted, &Figure::whole(Metric::GoodputRatio), &texts);
        assert!(
            csv.starts_with("\"gateway.services.\"\"a,b\"\".concurrency\","),
            "{csv}"
        );
        assert!(points[0].slo_measured[0].ends_with('s'), "p999 reads as a time");
    }
}

fn rows_points() -> Vec<Point> {
    vec![table_point(&[("gateway.concurrency", Value::from(2))], 0.5, true)]
}

/// With a load axis, the best configuration is the one that holds at every load, judged by
/// its worst point: fifo is best at the lightest load but fails the SLO at the heaviest.
#[test]
fn the_best_configuration_holds_at_every_load() {
    let (st, rate) = ("gateway.strategy", "workload.phases[1].rate");
    let points = [
        table_point(&[(st, "fifo".into()), (rate, 150.into())], 0.99, true),
        table_point(&[(st, "fifo".into()), (rate, 400.into())], 0.25, false),
        table_point(&[(st, "bounded".into()), (rate, 150.into())], 0.97, true),
        table_point(&[(st, "bounded".into()), (rate, 400.into())], 0.85, true),
        table_point(&[(st, "deadline".into()), (rate, 150.into())], 0.98, true),
        table_point(&[(st, "deadline".into()), (rate, 400.into())], 0.80, true),
    ];
    let f = parse_objective("goodput_ratio").unwrap();
    assert_eq!(
        best(&points, &f).map(|p| p.goodput_ratio),
        Some(0.99),
        "per point: the lightest load"
    );
    let c = best_config(&points, &f).unwrap();
    assert_eq!(c.settings, vec![(st.to_string(), Value::from("bounded"))]);
    assert_eq!(c.worst.goodput_ratio, 0.85, "judged by its worst load");
    // Nothing holds at every load once bounded and deadline fail at 400 too.
    let mut failing = points.clone();
    failing[3].meets_slo = false;
    failing[5].meets_slo = false;
    assert!(best_config(&failing, &f).is_none());
    // Without load axes a configuration is a point.
    let plain = [
        table_point(&[(st, "fifo".into())], 0.5, true),
        table_point(&[(st, "bounded".into())], 0.9, true),
    ];
    assert_eq!(best_config(&plain, &f).unwrap().worst.goodput_ratio, 0.9);
    assert!(!is_load_axis("gateway.queue_capacity") && is_load_axis(rate));
}

/// Where the objective ties (a recovery of 0 s is common), the goodput ratio, then the p99,
/// then the wasted work decide, not the grid order: the first of two configurations with
/// the same recovery may be the worse on every other figure.
#[test]
fn ties_on_the_objective_go_to_the_better_point() {
    let (ab, w) = ("gateway.abandon", "backend.services[0].workers");
    let pt = |abandon: &str, goodput: f64, p99: f64| {
        let mut p = table_point(&[(ab, abandon.into()), (w, 8.into())], goodput, true);
        (p.recovery_s, p.p99) = (Some(0.0), p99);
        p
    };
    let recovery = parse_objective("recovery").unwrap();
    let points = [pt("keep", 0.965, 4.0), pt("cancel", 0.993, 0.85)];
    assert_eq!(best(&points, &recovery).unwrap().goodput_ratio, 0.993);
    let c = best_config(&points, &recovery).unwrap();
    assert_eq!(c.settings[0], (ab.to_string(), Value::from("cancel")));
    // Equal goodput: the lower p99; then the less wasted work.
    let points = [pt("keep", 0.99, 4.0), pt("cancel", 0.99, 0.85)];
    assert_eq!(best(&points, &recovery).unwrap().p99, 0.85);
    let mut wasteful = pt("keep", 0.99, 0.85);
    wasteful.wasted_s = 30.0;
    let points = [wasteful, pt("cancel", 0.99, 0.85)];
    assert_eq!(best(&points, &recovery).unwrap().wasted_s, 0.0);
    // Within a configuration, the worst load is the one ranked lowest, ties included.
    let rate = "workload.phases[1].rate";
    let at = |r: u32, goodput: f64| {
        let mut p = table_point(&[(ab, "keep".into()), (rate, r.into())], goodput, true);
        p.recovery_s = Some(0.0);
        p
    };
    let points = [at(100, 0.99), at(200, 0.90)];
    assert_eq!(best_config(&points, &recovery).unwrap().worst.goodput_ratio, 0.90);
    // Full ties keep the grid order.
    let points = [pt("keep", 0.99, 1.0), pt("cancel", 0.99, 1.0)];
    assert_eq!(best(&points, &recovery).unwrap().params[0].1, Value::from("keep"));
}

/// Configurations that tie with the best on every figure it is ranked by are named: the
/// best is first among them only in grid order.
#[test]
fn configurations_tied_with_the_best_are_named() {
    let (c, rate) = ("gateway.concurrency", "workload.phases[1].rate");
    let pt = |n: u32, r: u32, goodput: f64| table_point(&[(c, n.into()), (rate, r.into())], goodput, true);
    let f = parse_objective("goodput_ratio").unwrap();
    let mut points = Vec::new();
    for n in [8, 7, 6, 5, 4] {
        points.extend([pt(n, 150, 1.0), pt(n, 180, if n < 5 { 0.9 } else { 1.0 })]);
    }
    let axes = vec![
        parse_axis("gateway.concurrency=8,7,6,5,4").unwrap(),
        parse_axis("workload.phases[1].rate=150,180").unwrap(),
    ];
    assert_eq!(best_config(&points, &f).unwrap().settings[0].1, Value::from(8));
    let tied: Vec<Value> = tied_with_best(&points, &f)
        .into_iter()
        .map(|s| s[0].1.clone())
        .collect();
    assert_eq!(tied, vec![Value::from(7), Value::from(6), Value::from(5)]);
    let lines = findings(&points, &axes, &f, &[], &[1]);
    assert!(
        lines.iter().any(
            |l| l.starts_with("  tied with it on goodput_ratio, p99 and wasted work at their worst load")
                && l.ends_with(": gateway.concurrency=7, 6, 5")
        ),
        "{lines:#?}"
    );
    // A tie on the objective alone is no tie: the rest of the rank decides.
    points[3].p99 = 0.6;
    assert_eq!(tied_with_best(&points, &f).len(), 2);
    // Several settings differing: each in full.
    let two = [
        table_point(&[(c, 1.into()), ("gateway.strategy", "fifo".into())], 1.0, true),
        table_point(&[(c, 2.into()), ("gateway.strategy", "bounded".into())], 1.0, true),
    ];
    let lines = findings(&two, &[], &f, &[], &[]);
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with(": gateway.concurrency=2 gateway.strategy=bounded")),
        "{lines:#?}"
    );
    // One setting differing among several: said to be with the best's others (alone,
    // `gateway.strategy=deadline` read as deadline at the file's own bound).
    let q = "gateway.queue_capacity";
    let three = [
        table_point(&[("gateway.strategy", "bounded".into()), (q, 10.into())], 1.0, true),
        table_point(&[("gateway.strategy", "deadline".into()), (q, 10.into())], 1.0, true),
        table_point(&[("gateway.strategy", "deadline".into()), (q, 50.into())], 0.5, true),
    ];
    let lines = findings(&three, &[], &f, &[], &[]);
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with(": gateway.strategy=deadline (with the best's gateway.queue_capacity=10)")),
        "{lines:#?}"
    );
    // No tie, no line.
    let lines = findings(&points[..2], &axes, &f, &[], &[1]);
    assert!(!lines.iter().any(|l| l.contains("tied")), "{lines:#?}");
}

/// When no configuration holds at every load, the best at each load names the
/// configurations tied with it there, as the overall best does.
#[test]
fn the_best_at_each_load_names_its_ties() {
    let (st, q, rate) = ("gateway.strategy", "gateway.queue_capacity", "workload.phases[1].rate");
    let pt = |s: &str, cap: u32, r: u32, ratio: f64, meets: bool| {
        table_point(&[(st, s.into()), (q, cap.into()), (rate, r.into())], ratio, meets)
    };
    let points = vec![
        pt("bounded", 5, 100, 0.9, false),
        pt("deadline", 5, 100, 0.95, false),
        pt("bounded", 10, 100, 0.8, true),
        pt("bounded", 5, 200, 0.9, true),
        pt("deadline", 5, 200, 0.9, true),
        pt("bounded", 10, 200, 0.7, false),
    ];
    let axes = vec![
        parse_axis("gateway.strategy=bounded,deadline").unwrap(),
        parse_axis("gateway.queue_capacity=5,10").unwrap(),
        parse_axis("workload.phases[1].rate=100,200").unwrap(),
    ];
    let f = parse_objective("goodput_ratio").unwrap();
    let lines = findings(&points, &axes, &f, &["p99<2s".into()], &[1]);
    let at = |r: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(&format!("  {rate}={r}: ")))
            .unwrap()
    };
    assert!(
        lines[at("200")].contains(": gateway.strategy=bounded gateway.queue_capacity=5  ->"),
        "{lines:#?}"
    );
    assert_eq!(
        lines[at("200") + 1],
        "    tied with it on goodput_ratio, p99 and wasted work, so it is first only in grid order: gateway.strategy=deadline (with the best's gateway.queue_capacity=5)"
    );
    // No tie at 100/s: no line naming one.
    assert!(lines[at("100") + 1].starts_with(&format!("  {rate}=200")), "{lines:#?}");
}

/// A hand-edited table's grid size, bursts and amplifications were read as they were:
/// "interrupted: 2 of the grid's 1 points ran", a `stable` burst, an amplification of 0.3.
#[test]
fn a_tables_plan_bursts_and_amplification_are_checked() {
    let table = |edit: &dyn Fn(&mut Table)| {
        let mut t = Table {
            scenario: None,
            objective: String::new(),
            slo: Vec::new(),
            planned_points: None,
            bursts: vec![1],
            points: vec![
                table_point(&[("gateway.strategy", Value::from("fifo"))], 0.9, true),
                table_point(&[("gateway.strategy", Value::from("bounded"))], 0.5, true),
            ],
        };
        edit(&mut t);
        t.check()
    };
    assert_eq!(table(&|_| {}), Ok(()));
    assert_eq!(table(&|t| t.planned_points = Some(3)), Ok(()));
    for planned in [0, 1, 2] {
        let e = table(&|t| t.planned_points = Some(planned)).unwrap_err();
        assert!(
            e.starts_with(&format!("planned_points: {planned}, but the table holds 2 points")),
            "{e}"
        );
    }
    let e = table(&|t| t.planned_points = Some(usize::MAX)).unwrap_err();
    assert!(
        e.starts_with("planned_points: 18446744073709551615: a sweep's grid has at most"),
        "{e}"
    );
    // Amplification: at least 1 when anything was sent, 0 with nothing.
    let e = table(&|t| t.points[1].amplification = 0.3).unwrap_err();
    assert!(e.starts_with("points[1].amplification: 0.3, with 10 attempts"), "{e}");
    let e = table(&|t| t.points[1].amplification = 0.0).unwrap_err();
    assert!(e.starts_with("points[1].amplification: 0, with 10 attempts"), "{e}");
    assert_eq!(
        table(&|t| (t.points[1].amplification, t.points[1].attempts) = (0.0, 0)),
        Ok(())
    );
    // A mean over seeds, some of which offered nothing, may lie below 1.
    assert_eq!(
        table(&|t| (t.points[1].amplification, t.points[1].seeds) = (0.5, 2)),
        Ok(())
    );
    let e = table(&|t| {
        t.points[0].services.insert(
            "billing".into(),
            GroupSummary {
                offered: 4,
                attempts: 4,
                amplification: 0.25,
                ..GroupSummary::default()
            },
        );
    })
    .unwrap_err();
    assert!(e.starts_with("points[0].services.billing.amplification: 0.25"), "{e}");
    // `stable` is no verdict of a run with a trigger phase.
    let e = table(&|t| t.points[1].verdict = "stable".into()).unwrap_err();
    assert!(
        e.starts_with(
            "points[1].verdict: `stable`, but bursts says the scenario has a trigger phase (workload.phases[1])"
        ),
        "{e}"
    );
    assert_eq!(
        table(&|t| (t.points[1].verdict, t.bursts) = ("stable".into(), Vec::new())),
        Ok(())
    );
}

/// A table's figures are checked as a results file's are: a report would chart them.
#[test]
fn a_tables_figures_are_checked() {
    let table = |edit: &dyn Fn(&mut Point)| {
        let mut p = table_point(&[("gateway.strategy", Value::from("fifo"))], 0.9, true);
        edit(&mut p);
        Table {
            scenario: None,
            objective: String::new(),
            slo: Vec::new(),
            planned_points: None,
            bursts: Vec::new(),
            points: vec![
                table_point(&[("gateway.strategy", Value::from("bounded"))], 0.5, true),
                p,
            ],
        }
        .check()
    };
    assert_eq!(table(&|_| {}), Ok(()));
    let e = table(&|p| p.goodput_ratio = 7.0).unwrap_err();
    assert!(e.starts_with("points[1].goodput_ratio: 7: expected a ratio"), "{e}");
    let e = table(&|p| p.p99 = -1.0).unwrap_err();
    assert!(e.starts_with("points[1].p99: -1: expected"), "{e}");
    assert!(table(&|p| p.amplification = f64::NAN)
        .unwrap_err()
        .starts_with("points[1].amplification"));
    assert!(table(&|p| p.recovery_s = Some(-3.0))
        .unwrap_err()
        .starts_with("points[1].recovery_s"));
    assert!(table(&|p| (p.seeds, p.slo_held) = (2, Some(3)))
        .unwrap_err()
        .contains("more than the 2 seeds"));
    let e = table(&|p| {
        p.services.insert(
            "billing".into(),
            GroupSummary {
                offered: 1,
                goodput_ratio: 2.0,
                ..Default::default()
            },
        );
    })
    .unwrap_err();
    assert!(e.starts_with("points[1].services.billing.goodput_ratio"), "{e}");
}

/// A sweep over the load alone has one configuration, the scenario as it is: the findings
/// name it so, not with an empty label.
#[test]
fn a_load_only_sweep_names_its_configuration() {
    let rate = "workload.phases[1].rate";
    let points = [
        table_point(&[(rate, 100.into())], 0.99, true),
        table_point(&[(rate, 200.into())], 0.5, false),
    ];
    let axes = [parse_axis("workload.phases[1].rate=100,200").unwrap()];
    let f = parse_objective("goodput_ratio").unwrap();
    let lines = findings(&points, &axes, &f, &["goodput_ratio>=0.9".to_string()], &[]);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("  workload.phases[1].rate=100: the scenario as it is  -> ")),
        "{lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.contains(":   ->")), "{lines:#?}");
}

/// A queue bound crossed with fifo changes nothing: shown as `-`, simulated once; an axis no
/// point takes, or a variant setting one, is an error as it is in a scenario file.
#[test]
fn settings_a_strategy_does_not_take() {
    let base = scenario::parse("t.toml", "[[workload.phases]]\nduration = \"10s\"\nrate = 5\n[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n").unwrap();
    let axes = [
        parse_axis("gateway.strategy=fifo,bounded").unwrap(),
        parse_axis("gateway.queue_capacity=10,50").unwrap(),
    ];
    let plan = plan(&base, &axes).unwrap();
    assert_eq!(plan.combinations, 4);
    let params: Vec<String> = plan.points.iter().map(|p| describe(&p.params)).collect();
    assert_eq!(
        params,
        [
            "gateway.strategy=fifo gateway.queue_capacity=-",
            "gateway.strategy=bounded gateway.queue_capacity=10",
            "gateway.strategy=bounded gateway.queue_capacity=50",
        ]
    );
    assert_eq!(
        plan.ignored,
        vec![("gateway.queue_capacity".to_string(), vec!["fifo".to_string()])]
    );
    assert_eq!(plan.scenario(2).unwrap().file.gateway.queue_capacity, Some(50));
    // Every bounded point was given its bound: nothing sized, nothing to say.
    assert_eq!((plan.sized_bounds, plan.sized_bounds_note()), (None, None));
    // Without a bound axis, bounded points get one sized for them, and it is said.
    let timeouts = [
        parse_axis("gateway.strategy=fifo,bounded").unwrap(),
        parse_axis("clients.timeout=1s,4s").unwrap(),
    ];
    let sized = super::plan(&base, &timeouts).unwrap();
    let scenarios: Vec<Scenario> = (0..sized.points.len()).map(|i| sized.scenario(i).unwrap()).collect();
    let bounds: Vec<u32> = scenarios
        .iter()
        .filter(|s| s.file.gateway.strategy == scenario::Strategy::Bounded)
        .filter_map(|s| s.file.gateway.queue_capacity)
        .collect();
    assert_eq!(bounds.len(), 2, "{bounds:?}");
    let (lo, hi) = sized.sized_bounds.expect("the sized bounds are kept");
    assert_eq!((lo, hi), (*bounds.iter().min().unwrap(), *bounds.iter().max().unwrap()));
    let note = sized.sized_bounds_note().unwrap();
    assert!(
        note.contains("sized from the clients' median timeout") && note.contains(&lo.to_string()),
        "{note}"
    );
    // Each point's table row and the best line name the bound it ran with.
    let expected: Vec<Option<u32>> = scenarios
        .iter()
        .map(|s| {
            (s.file.gateway.strategy == scenario::Strategy::Bounded)
                .then_some(s.file.gateway.queue_capacity)
                .flatten()
        })
        .collect();
    let planned: Vec<Option<u32>> = sized.sized.iter().map(|v| v.first().map(|x| x.1)).collect();
    assert_eq!(planned, expected);
    let points = run_plan(sized, &[], 1, &|| {});
    let got: Vec<Option<u32>> = points.iter().map(|p| p.sized_queue_capacity).collect();
    assert_eq!(got, expected);
    let csv = to_csv(&points, &Figure::whole(Metric::GoodputRatio), &[]);
    let mut rows = csv.lines();
    assert!(
        rows.next()
            .unwrap()
            .starts_with("gateway.strategy,clients.timeout,sized_queue_capacity,goodput_ratio,"),
        "{csv}"
    );
    for (row, q) in rows.zip(&expected) {
        let cell = row.split(',').nth(2).unwrap();
        assert_eq!(cell, q.map_or("-".to_string(), |q| q.to_string()), "{row}");
    }
    let only_bounded: Vec<Point> = points
        .iter()
        .filter(|p| p.sized_queue_capacity.is_some())
        .cloned()
        .collect();
    let lines = findings(&only_bounded, &timeouts, &Figure::whole(Metric::GoodputRatio), &[], &[]);
    let best = best_config(&only_bounded, &Figure::whole(Metric::GoodputRatio)).unwrap();
    let q = best.worst.sized_queue_capacity.unwrap();
    assert!(lines[0].contains(&format!("(queue bound sized: {q})")), "{lines:#?}");
    // Tables without sized bounds keep their columns.
    let given = run_plan(plan, &[], 1, &|| {});
    assert!(given.iter().all(|p| p.sized_queue_capacity.is_none()));
    assert!(!to_csv(&given, &Figure::whole(Metric::GoodputRatio), &[]).contains("sized_queue_capacity"));
    let only_fifo = [parse_axis("gateway.queue_capacity=10,50").unwrap()];
    let e = super::plan(&base, &only_fifo).err().unwrap();
    assert!(
        e.contains("no point of the grid takes it") && e.contains("no queue bound"),
        "{e}"
    );
    let e = variant(&base, &[("gateway.queue_capacity".into(), Value::from(10))]).unwrap_err();
    assert!(e.contains("gateway.queue_capacity") && e.contains("\"fifo\""), "{e}");
    // A list for a table is refused: `--set run=[]` reset the seed, every field at its default.
    for key in ["run", "clients.retry", "gateway.codel"] {
        let e = variant(&base, &[(key.into(), Value::Array(Vec::new()))]).unwrap_err();
        assert!(e.contains(&format!("{key}: expected a table, got a list")), "{e}");
    }
    // Also where the table the list was read as is not written back (an empty request).
    let e = variant(&base, &[("clients.request".into(), Value::Array(Vec::new()))]).unwrap_err();
    assert!(e.contains("clients.request: expected a table, got a list"), "{e}");
    // A list where a list belongs still passes.
    variant(&base, &[("clients.retry.on".into(), serde_json::json!(["timeout"]))]).unwrap();
    // And within a table given whole, named down to the list.
    let nested = serde_json::json!({ "adaptive": [] });
    let e = variant(&base, &[("gateway".into(), nested)]).unwrap_err();
    assert!(e.contains("gateway.adaptive: expected a table, got a list"), "{e}");
    let nested = serde_json::json!({ "services": [{ "name": "api", "faults": { "x": [] } }] });
    let parsed = serde_json::json!({ "services": [{ "name": "api", "faults": { "x": {} } }] });
    assert_eq!(
        super::variant::list_where_table(&nested, &parsed).as_deref(),
        Some("services[0].faults.x")
    );
    // Switching the strategy away from a bound the base file sets is no error.
    let bounded = variant(&base, &[("gateway.strategy".into(), Value::from("bounded"))]).unwrap();
    let back = variant(&bounded, &[("gateway.strategy".into(), Value::from("fifo"))]).unwrap();
    assert_eq!(back.file.gateway.queue_capacity, None);

    // [gateway.codel] and [gateway.adaptive] likewise, even at their default values (5ms
    // is CoDel's default target): once, fifo ran every such point as a separate "best".
    let axes = [
        parse_axis("gateway.strategy=fifo,codel").unwrap(),
        parse_axis("gateway.codel.target=5ms,50ms").unwrap(),
    ];
    let plan = super::plan(&base, &axes).unwrap();
    let params: Vec<String> = plan.points.iter().map(|p| describe(&p.params)).collect();
    assert_eq!(
        params,
        [
            "gateway.strategy=fifo gateway.codel.target=-",
            "gateway.strategy=codel gateway.codel.target=5ms",
            "gateway.strategy=codel gateway.codel.target=50ms",
        ]
    );
    for key in ["gateway.codel.target=5ms,50ms", "gateway.adaptive.max_limit=4,40"] {
        let e = super::plan(&base, &[parse_axis(key).unwrap()]).err().unwrap();
        assert!(
            e.contains("no point of the grid takes it") && e.contains("applies only under"),
            "{e}"
        );
    }
    let e = variant(&base, &[("gateway.adaptive.max_limit".into(), Value::from(40))]).unwrap_err();
    assert!(
        e.contains("[gateway.adaptive] applies only under strategy \"adaptive\""),
        "{e}"
    );
}

/// `p` with a service `name` that sent 10 intents and ended `verdict`.
fn with_service(p: &mut Point, name: &str, verdict: Verdict) {
    p.services.insert(
        name.into(),
        GroupSummary {
            offered: 10,
            verdict: Some(verdict),
            ..Default::default()
        },
    );
}

fn at_rate(rate: u32, verdict: &str) -> Point {
    let mut p = table_point(&[("workload.phases[1].rate", Value::from(rate))], 0.9, true);
    p.verdict = verdict.into();
    p
}

/// The envelope is the largest rate up to which every rate tried recovers: recovering again
/// at a higher rate (one seed's luck) does not make the rates between safe.
#[test]
fn the_envelope_stops_at_the_first_rate_that_does_not_recover() {
    let axes = vec![parse_axis("workload.phases[1].rate=100,200,300").unwrap()];
    let env = |points: &[Point]| safe_envelope(points, &axes, &[]).remove(0);
    let e = env(&[
        at_rate(300, "recovered"),
        at_rate(100, "stable"),
        at_rate(200, "metastable"),
    ]);
    assert_eq!(
        (e.safe, e.first_failure.clone()),
        (Some(100.0), Some((200.0, "metastable".to_string())))
    );
    assert_eq!(e.describe(), "100/s (first failure at 200/s: metastable)");
    let e = env(&[
        at_rate(100, "recovered"),
        at_rate(200, "recovered"),
        at_rate(300, "recovered"),
    ]);
    assert_eq!((e.safe, e.first_failure.clone()), (Some(300.0), None));
    assert!(
        e.describe().starts_with(">= 300/s (every rate tried recovers"),
        "{}",
        e.describe()
    );
    let e = env(&[at_rate(100, "overloaded"), at_rate(200, "recovered")]);
    assert_eq!(e.safe, None);
    assert_eq!(e.describe(), "below 100/s, the lowest rate tried (overloaded there)");
    // Failing at 0 (a phase's extra traffic at rate 0: none), nothing is below it.
    let zero = Envelope {
        first_failure: Some((0.0, "overloaded".into())),
        ..e.clone()
    };
    assert_eq!(
        zero.describe(),
        "none: fails even at 0/s, the lowest rate tried (overloaded there)"
    );
    // A run that was not judged is not known to recover, nor known to fail: the envelope is
    // unknown from it, not "below" it.
    let e = env(&[at_rate(100, "-")]);
    assert_eq!(e.safe, None);
    assert!(
        e.describe().starts_with("unknown: not judged (no verdict")
            && e.describe().ends_with("at 100/s, the lowest rate tried"),
        "{}",
        e.describe()
    );
    let e = env(&[at_rate(100, "recovered"), at_rate(200, "-"), at_rate(300, "metastable")]);
    assert_eq!(e.safe, Some(100.0));
    assert!(
        e.describe()
            .starts_with("100/s (unknown from 200/s on: not judged (no verdict"),
        "{}",
        e.describe()
    );
}

/// The envelope's axis is a load (`workload.`), not any key ending in "rate".
#[test]
fn the_envelope_is_over_a_load_rate() {
    let axes = vec![
        parse_axis("gateway.rate_limit.rate=50,100").unwrap(),
        parse_axis("workload.phases[1].rate=100,200").unwrap(),
    ];
    let p = |limit: u32, rate: u32, verdict: &str| {
        let mut p = table_point(
            &[
                ("gateway.rate_limit.rate", Value::from(limit)),
                ("workload.phases[1].rate", Value::from(rate)),
            ],
            0.9,
            true,
        );
        p.verdict = verdict.into();
        p
    };
    let env = safe_envelope(
        &[
            p(50, 100, "recovered"),
            p(50, 200, "metastable"),
            p(100, 100, "recovered"),
            p(100, 200, "recovered"),
        ],
        &axes,
        &[],
    );
    assert_eq!(env.len(), 2, "{env:?}");
    assert_eq!(env[0].label, "gateway.rate_limit.rate=50");
    assert_eq!(env[0].describe(), "100/s (first failure at 200/s: metastable)");
}

/// One drowning service hides in the average of the healthy ones: a point recovers only if
/// every class and service does.
#[test]
fn a_service_that_did_not_recover_fails_the_point() {
    let axes = vec![parse_axis("workload.phases[1].rate=100,200").unwrap()];
    let mut bad = at_rate(200, "recovered");
    with_service(&mut bad, "billing", Verdict::Metastable);
    with_service(&mut bad, "orders", Verdict::Recovered);
    assert!(!bad.recovered());
    assert_eq!(bad.failure(), "service billing metastable");
    let e = safe_envelope(&[at_rate(100, "recovered"), bad], &axes, &[]).remove(0);
    assert_eq!(
        e.describe(),
        "100/s (first failure at 200/s: service billing metastable)"
    );
}

/// The CSV's `verdict` is the whole run's; `all_recover` and `failure` say what the envelope
/// judged by (a point whose whole run recovered while one service did not read "recovered").
#[test]
fn the_csv_says_when_a_group_did_not_recover() {
    let mut bad = at_rate(200, "recovered");
    with_service(&mut bad, "billing", Verdict::Metastable);
    let csv = to_csv(
        &[at_rate(100, "recovered"), bad.clone()],
        &Figure::whole(Metric::GoodputRatio),
        &[],
    );
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    let col = |name: &str| rows[0].iter().position(|h| *h == name).expect(name);
    let (verdict, all, failure) = (col("verdict"), col("all_recover"), col("failure"));
    assert_eq!(
        (rows[1][verdict], rows[1][all], rows[1][failure]),
        ("recovered", "true", "")
    );
    assert_eq!(
        (rows[2][verdict], rows[2][all], rows[2][failure]),
        ("recovered", "false", "service billing metastable")
    );
    assert!(rows.iter().all(|r| r.len() == rows[0].len()), "{csv}");
    // The report's table says it beside the verdict.
    assert_eq!(bad.verdict_text(), "recovered (service billing metastable)");
    assert_eq!(at_rate(100, "metastable").verdict_text(), "metastable");
}

/// A class's goodput ratio beside the whole run's reads with the same digits (it read
/// `interactive.goodput_ratio 1` next to `goodput ratio 0.0589`).
#[test]
fn a_class_objective_reads_as_the_whole_runs_figures() {
    let mut p = at_rate(100, "recovered");
    let class = GroupSummary {
        goodput_ratio: 1.0,
        amplification: 1.5,
        ..GroupSummary::default()
    };
    p.classes.insert(Priority::Interactive, class);
    let line = |objective: &str| headline(&p, &parse_objective(objective).expect("objective"));
    assert!(
        line("interactive.goodput_ratio").starts_with("interactive.goodput_ratio 1.0000, goodput ratio 0.9000"),
        "{}",
        line("interactive.goodput_ratio")
    );
    assert!(
        line("interactive.amplification").starts_with("interactive.amplification 1.50, "),
        "{}",
        line("interactive.amplification")
    );
}

/// `service[*]` as the objective: each point is read at its worst service, so the best point
/// is the one whose worst service does best, and the output names that service.
#[test]
fn the_worst_service_as_the_objective() {
    let group = |goodput_ratio: f64, p99: f64| {
        let mut g = GroupSummary {
            offered: 100,
            goodput_ratio,
            successes: 90,
            ..GroupSummary::default()
        };
        (g.latency.p99, g.latency.count) = (p99, 90);
        g
    };
    let point = |a: (f64, f64), b: (f64, f64)| {
        let mut p = at_rate(100, "recovered");
        p.services = [
            ("accounts".to_string(), group(a.0, a.1)),
            ("billing".to_string(), group(b.0, b.1)),
        ]
        .into();
        p
    };
    // The best whole-run average is not the best worst service: point 0 starves billing.
    let points = [point((0.99, 0.2), (0.40, 9.0)), point((0.90, 1.0), (0.85, 2.0))];
    let f = parse_objective("service[*].goodput_ratio").unwrap();
    assert_eq!(points[0].value(&f), Some(0.40));
    assert_eq!(points[1].value(&f), Some(0.85));
    let b = best(&points, &f).unwrap();
    assert!(std::ptr::eq(b, &points[1]), "the point whose worst service does best");
    assert!(
        headline(b, &f).starts_with("service[*].goodput_ratio 0.8500 (service billing), "),
        "{}",
        headline(b, &f)
    );
    // By latency the worst is the slowest: billing at point 0, accounts nowhere.
    let p99 = parse_objective("service[*].p99").unwrap();
    assert_eq!(points[0].value(&p99), Some(9.0));
    let (header, rows) = cells(&points, &p99, &[]);
    let col = header
        .iter()
        .position(|h| h == "service[*].p99")
        .expect("a column for the objective");
    assert_eq!(rows[0][col], "9.00s in service billing");
    assert!(points[0].keeps(&p99) && !at_rate(100, "recovered").keeps(&p99));
    // Counts and rates pick a service by its load: refused as one figure.
    assert!(parse_objective("service[*].goodput")
        .unwrap_err()
        .contains("by its load"));

    // Over seeds: each seed's worst, then their mean (as compare reads replications), not
    // the worst of the services' means, which would read 3s here.
    let seed = |a: f64, b: f64| {
        let mut s = model::results::Summary::default();
        s.whole.offered = 200;
        s.services = [("a".to_string(), group(0.9, a)), ("b".to_string(), group(0.9, b))].into();
        (s, None)
    };
    let p = reduce_point(Vec::new(), &[], vec![seed(5.0, 1.0), seed(1.0, 5.0)], &[]);
    assert_eq!(p.value(&p99), Some(5.0));
    assert_eq!(p.worst_names(&p99), ["a", "b"]);
    assert!(
        headline(&p, &p99).starts_with("service[*].p99 5.00s (services a, b, over the seeds), "),
        "{}",
        headline(&p, &p99)
    );
    let back: Point = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
    assert_eq!(back.value(&p99), Some(5.0), "kept in sweep.json");
    // One seed keeps no table of its own: the worst of its services is the seed's.
    let one = reduce_point(Vec::new(), &[], vec![seed(5.0, 1.0)], &[]);
    assert!(one.worst_services.is_empty());
    assert_eq!(
        (one.value(&p99), one.worst_names(&p99)),
        (Some(5.0), vec!["a".to_string()])
    );
}

/// A recovery that never dipped: `recovered` in the CSV's `verdict` (the envelope and filters
/// read it), `true` in its `held`; the tables, the best line and the JSON say `held` (a
/// recovery of 0s, as the reports' tables show it).
#[test]
fn a_point_that_held_reads_held() {
    let mut held = at_rate(100, "recovered");
    (held.held, held.recovery_s) = (true, Some(0.0));
    let mut dipped = at_rate(200, "recovered");
    dipped.recovery_s = Some(0.0);
    let goodput = Figure::whole(Metric::GoodputRatio);
    let csv = to_csv(&[held.clone(), dipped.clone()], &goodput, &[]);
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    let col = |name: &str| rows[0].iter().position(|h| *h == name).expect(name);
    let (verdict, flag) = (col("verdict"), col("held"));
    assert_eq!((rows[1][verdict], rows[1][flag]), ("recovered", "true"));
    assert_eq!((rows[2][verdict], rows[2][flag]), ("recovered", "false"));
    assert!(held.recovered());
    assert_eq!(held.verdict_text(), "held");
    assert!(headline(&held, &goodput).ends_with("verdict held"));
    let (header, table) = cells(&[held.clone(), dipped], &goodput, &[]);
    let at = |name: &str| header.iter().position(|h| h == name).expect(name);
    assert_eq!(
        (table[0][at("recovery")].as_str(), table[0][at("verdict")].as_str()),
        ("0s", "held")
    );
    assert_eq!(
        (table[1][at("recovery")].as_str(), table[1][at("verdict")].as_str()),
        ("0s", "recovered")
    );
    let json = serde_json::to_string(&held).unwrap();
    assert!(json.contains(r#""held":true"#), "{json}");
    let back: Point = serde_json::from_str(&json).unwrap();
    assert!(back.held);
    // Tables of older versions have no `held`.
    let old: Point = serde_json::from_str(&json.replace(r#""held":true,"#, "")).unwrap();
    assert!(!old.held);
}

/// An interrupted sweep: a configuration that never ran at the heaviest load is not ranked
/// (it won for the absence of its hard point), and its envelope says what it missed.
#[test]
fn a_configuration_missing_a_load_is_not_ranked() {
    let axes = vec![
        parse_axis("gateway.queue_capacity=10,21").unwrap(),
        parse_axis("workload.phases[1].rate=150,400").unwrap(),
    ];
    let p = |q: u32, rate: u32, ratio: f64, verdict: &str| {
        let mut p = table_point(
            &[
                ("gateway.queue_capacity", Value::from(q)),
                ("workload.phases[1].rate", Value::from(rate)),
            ],
            ratio,
            true,
        );
        p.verdict = verdict.into();
        p
    };
    let points = [
        p(10, 150, 0.99, "recovered"),
        p(10, 400, 0.80, "recovered"),
        p(21, 150, 1.0, "recovered"),
    ];
    let objective = Figure::whole(Metric::GoodputRatio);
    let best = best_config(&points, &objective).expect("a complete configuration");
    assert_eq!(describe(&best.settings), "gateway.queue_capacity=10");
    assert_eq!(incomplete_configurations(&points).len(), 1);
    let lines = findings(&points, &axes, &objective, &[], &[]);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("not ranked: 1 configuration(s)") && l.ends_with("gateway.queue_capacity=21")),
        "{lines:#?}"
    );
    let env = safe_envelope(&points, &axes, &[]);
    assert_eq!(
        env[1].describe(),
        ">= 150/s (every rate tried recovers; the largest tried); not run at 400/s (the sweep was interrupted)"
    );
    // Every configuration missed a load: said so, not "no configuration has goodput_ratio".
    let apart = [p(10, 150, 0.99, "recovered"), p(21, 400, 0.8, "recovered")];
    let lines = findings(&apart, &axes, &objective, &[], &[]);
    assert!(
        lines[0].starts_with("no configuration ran at every load tried (the sweep was interrupted)"),
        "{lines:#?}"
    );
    // A complete grid has no such line.
    let complete = [
        points[0].clone(),
        points[1].clone(),
        points[2].clone(),
        p(21, 400, 0.5, "recovered"),
    ];
    assert!(incomplete_configurations(&complete).is_empty());
    assert_eq!(
        describe(&best_config(&complete, &objective).unwrap().settings),
        "gateway.queue_capacity=10"
    );
}

/// A burst's length is an envelope too (how long an outage may last), and the heading names
/// the axis it is over; without a rate or a length axis, the findings say there is none.
#[test]
fn the_envelope_over_a_burst_length_and_none_without_one() {
    let axes = vec![parse_axis("workload.phases[1].duration=5s,10s,20s").unwrap()];
    let p = |d: &str, verdict: &str| {
        let mut p = table_point(&[("workload.phases[1].duration", Value::from(d))], 0.9, true);
        p.verdict = verdict.into();
        p
    };
    let points = [p("20s", "metastable"), p("5s", "recovered"), p("10s", "recovered")];
    // Phase 1 is the trigger.
    let env = safe_envelope(&points, &axes, &[1]);
    assert_eq!(env[0].describe(), "10s (first failure at 20s: metastable)");
    // A burst rate of one value is no envelope, but is said.
    let with_rate = vec![axes[0].clone(), parse_axis("workload.phases[1].rate=210").unwrap()];
    let lines = findings(&points, &with_rate, &Figure::whole(Metric::GoodputRatio), &[], &[1]);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("safe envelope over workload.phases[1].duration")
                && l.contains("at every duration tried, with workload.phases[1].rate=210; no SLO")),
        "{lines:#?}"
    );
    let lines = findings(&points, &axes, &Figure::whole(Metric::GoodputRatio), &[], &[1]);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("safe envelope over workload.phases[1].duration (the largest duration")),
        "{lines:#?}"
    );
    // The length of a phase that is no trigger (a warm-up, the time after) is no burst.
    assert!(safe_envelope(&points, &axes, &[2]).is_empty());
    let lines = findings(&points, &axes, &Figure::whole(Metric::GoodputRatio), &[], &[2]);
    assert!(lines.iter().any(|l| l.starts_with("no safe envelope")), "{lines:#?}");
    // A rate axis is preferred, and named.
    let both = vec![parse_axis("workload.phases[1].rate=100,200").unwrap(), axes[0].clone()];
    assert_eq!(
        envelope_axis(&both, &[]).map(|a| a.key),
        Some("workload.phases[1].rate")
    );
    let settings = vec![parse_axis("gateway.concurrency=1,2").unwrap()];
    let points = [table_point(&[("gateway.concurrency", Value::from(1))], 0.9, true)];
    let lines = findings(&points, &settings, &Figure::whole(Metric::GoodputRatio), &[], &[]);
    assert!(
        lines.iter().any(|l| l.starts_with("no safe envelope: no burst axis")),
        "{lines:#?}"
    );
}

/// The envelope is over the burst: a trigger phase's rate (then its length), with at least
/// two values, whatever the order of the --vary flags; the normal load or the load after
/// the burst is no burst, and a one-valued axis is no envelope.
#[test]
fn the_envelope_is_over_the_trigger_phase_whatever_the_order() {
    let ax = |s: &str| parse_axis(s).unwrap();
    let key = |axes: &[Axis], bursts: &[usize]| envelope_axis(axes, bursts).map(|a| a.key.to_string());
    let normal = ax("workload.phases[0].rate=60,120");
    let burst = ax("workload.phases[1].rate=150,200,400");
    let after = ax("workload.phases[2].rate=100,150");
    let length = ax("workload.phases[1].duration=5s,10s");
    let one = ax("workload.phases[1].rate=210");
    let strategy = ax("gateway.strategy=fifo,bounded");
    let burst_key = Some("workload.phases[1].rate".to_string());
    for axes in [
        vec![strategy.clone(), normal.clone(), burst.clone()],
        vec![strategy.clone(), burst.clone(), normal.clone()],
        vec![after.clone(), burst.clone()],
        vec![length.clone(), burst.clone()],
    ] {
        assert_eq!(key(&axes, &[1]), burst_key, "{axes:?}");
    }
    // One burst rate: the burst's length is the envelope.
    assert_eq!(
        key(&[strategy.clone(), length.clone(), one.clone()], &[1]),
        Some("workload.phases[1].duration".to_string())
    );
    // Else an outage's length (how long an outage lasts), by index, name or for every service.
    for outage in [
        "backend.services[0].faults.outages[0].duration",
        "backend.services[store].faults.outages[1].duration",
        "backend.services[*].faults.outages[0].duration",
    ] {
        let o = ax(&format!("{outage}=2s,10s,30s"));
        assert_eq!(key(&[strategy.clone(), o.clone()], &[1]), Some(outage.to_string()));
        assert_eq!(key(std::slice::from_ref(&o), &[]), Some(outage.to_string()));
        assert_eq!(
            key(&[o.clone(), length.clone()], &[1]),
            Some("workload.phases[1].duration".to_string())
        );
        assert_eq!(key(&[o, burst.clone()], &[1]), burst_key);
    }
    let at = ax("backend.services[0].faults.outages[0].at=10s,20s");
    assert!(key(&[strategy.clone(), at], &[1]).is_none());
    assert!(key(&[strategy.clone(), one.clone()], &[1]).is_none());
    // The load after the burst, or before it, is no burst.
    assert!(key(&[strategy.clone(), after.clone()], &[1]).is_none());
    assert!(key(std::slice::from_ref(&normal), &[1]).is_none());
    // A trigger's extra traffic and ramp are its rate.
    let extra = ax("workload.phases[1].extra[0].rate=0,100");
    assert_eq!(
        key(&[normal.clone(), extra], &[1]),
        Some("workload.phases[1].extra[0].rate".to_string())
    );
    // Without a trigger phase (or a table that did not record them), any phase's rate.
    assert_eq!(
        key(&[after.clone(), burst.clone()], &[]),
        Some("workload.phases[2].rate".to_string())
    );
    // The findings say why the load after the burst gives none.
    let points = [table_point(
        &[
            ("gateway.strategy", "fifo".into()),
            ("workload.phases[2].rate", 100.into()),
        ],
        0.9,
        true,
    )];
    let lines = findings(
        &points,
        &[strategy, after],
        &Figure::whole(Metric::GoodputRatio),
        &[],
        &[1],
    );
    assert!(
        lines.iter().any(|l| l.starts_with(
            "no safe envelope: no axis gives a trigger phase (workload.phases[1]) two or more values"
        ) && l.ends_with("; workload.phases[2].rate is the rate of a phase that is no trigger: a load the findings hold at every value, not the burst")),
        "{lines:#?}"
    );
}

/// With a second load axis (the normal load), the envelope is per configuration, held at
/// every value of the other load, as the best is: its line is the best's, marked so, and a
/// failure says at which load it came.
#[test]
fn the_envelope_holds_at_every_other_load_and_marks_the_best() {
    let (st, normal, burst) = ("gateway.strategy", "workload.phases[0].rate", "workload.phases[1].rate");
    let axes = vec![
        parse_axis("gateway.strategy=fifo,bounded").unwrap(),
        parse_axis(&format!("{normal}=60,120")).unwrap(),
        parse_axis(&format!("{burst}=150,200,400")).unwrap(),
    ];
    let mut points = Vec::new();
    for s in ["fifo", "bounded"] {
        for n in [60, 120] {
            for b in [150, 200, 400] {
                let mut p = table_point(&[(st, s.into()), (normal, n.into()), (burst, b.into())], 0.9, true);
                // fifo collapses after a burst of 200/s at the normal load of 120/s only.
                if s == "fifo" && b >= 200 && (n == 120 || b == 400) {
                    p.verdict = "metastable".into();
                    p.goodput_ratio = 0.3;
                }
                points.push(p);
            }
        }
    }
    let env = safe_envelope(&points, &axes, &[1]);
    assert_eq!(env.len(), 2, "{env:#?}");
    assert_eq!(env[0].label, "gateway.strategy=fifo");
    assert_eq!(
        env[0].describe(),
        "150/s (first failure at 200/s: metastable at workload.phases[0].rate=120)"
    );
    assert_eq!(env[1].label, "gateway.strategy=bounded");
    let lines = findings(&points, &axes, &Figure::whole(Metric::GoodputRatio), &[], &[1]);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("safe envelope over workload.phases[1].rate (")
                && l.contains("at every rate tried and at every workload.phases[0].rate tried (60, 120);")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("  gateway.strategy=bounded: >= 400/s") && l.ends_with("  <- best")),
        "{lines:#?}"
    );
    // The order of the axes changes nothing.
    let swapped = vec![axes[0].clone(), axes[2].clone(), axes[1].clone()];
    assert_eq!(safe_envelope(&points, &swapped, &[1]), env);
    // A load the configuration missed at one normal load is not run, not safe.
    let partial: Vec<Point> = points
        .iter()
        .filter(|p| !(p.params[0].1 == "bounded" && p.params[1].1 == 60 && p.params[2].1 == 400))
        .cloned()
        .collect();
    let e = &safe_envelope(&partial, &axes, &[1])[1];
    assert_eq!((e.safe, e.untried.clone()), (Some(200.0), vec![400.0]));
}

/// A phase's `ramp_to` is a rate like its `rate` (the one its ramp ends at): an axis over it
/// gives the safe envelope.
#[test]
fn a_ramp_to_axis_gives_the_envelope() {
    let key = "workload.phases[1].ramp_to";
    let axes = vec![parse_axis(&format!("{key}=100,200,400")).unwrap()];
    let p = |r: u32, verdict: &str| {
        let mut p = table_point(&[(key, r.into())], 0.9, true);
        p.verdict = verdict.into();
        p
    };
    let points = [p(100, "recovered"), p(200, "recovered"), p(400, "metastable")];
    let env = safe_envelope(&points, &axes, &[1]);
    assert_eq!(env[0].describe(), "200/s (first failure at 400/s: metastable)");
    let lines = findings(&points, &axes, &Figure::whole(Metric::GoodputRatio), &[], &[1]);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("safe envelope over {key} (the largest rate"))),
        "{lines:#?}"
    );
}

/// A seed is no setting; the run's length is no setting either but a condition the best
/// configuration must hold under (as a load axis).
#[test]
fn seeds_are_refused_and_the_run_length_is_a_condition() {
    let e = parse_axis("run.seed=1..6").unwrap_err();
    assert!(e.contains("--replications"), "{e}");
    assert!(is_load_axis("run.duration") && is_load_axis("run.window"));
    assert!(!is_load_axis("run.healthy_ratio"));
}

/// A table or an array is given as TOML inline, and its commas do not split the list.
#[test]
fn table_and_array_values_are_toml_inline() {
    let a = parse_axis(r#"clients.timeout={ dist = "exponential", mean = "1s" },2s"#).unwrap();
    assert_eq!(
        a.values,
        vec![
            serde_json::json!({"dist": "exponential", "mean": "1s"}),
            Value::from("2s")
        ]
    );
    let a = parse_axis(r#"clients.retry.on=["timeout", 503],["timeout"]"#).unwrap();
    assert_eq!(
        a.values,
        vec![serde_json::json!(["timeout", 503]), serde_json::json!(["timeout"])]
    );
    // Tables and CSV show it as given (quoted in the CSV: it has commas).
    assert_eq!(show_value(&a.values[0]), r#"["timeout", 503]"#);
    let table = parse_axis(r#"clients.timeout={ dist = "exponential", mean = "1s" }"#)
        .unwrap()
        .values
        .remove(0);
    assert_eq!(show_value(&table), r#"{ dist = "exponential", mean = "1s" }"#);
    let mut p = table_point(&[("clients.timeout", table)], 0.9, true);
    p.verdict = "stable".into();
    let csv = to_csv(&[p], &Figure::whole(Metric::GoodputRatio), &[]);
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with(r#""{ dist = ""exponential"", mean = ""1s"" }",0.9"#),
        "{csv}"
    );
    // A quoted comma is no separator either.
    assert_eq!(split_values(r#"{ a = "x,y" },b"#), vec![r#"{ a = "x,y" }"#, "b"]);
    let e = parse_axis("clients.timeout={ dist = }").unwrap_err();
    assert!(e.contains("is no TOML inline table or array"), "{e}");
    // And applied as the file's own would be.
    let base = scenario::parse(
        "t.toml",
        "[[workload.phases]]\nduration = \"10s\"\nrate = 5\n[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n",
    )
    .unwrap();
    let a = parse_axis(r#"clients.timeout={ dist = "exponential", mean = "1s" }"#).unwrap();
    let v = variant(&base, &[(a.key.clone(), a.values[0].clone())]).unwrap();
    assert!(v.file.clients.timeout.as_constant().is_none());
}

/// With several seeds a point's figures are the seeds' means, and it meets the SLO only if
/// every seed does (the seeds are the scenario's, +1, +2).
#[test]
fn replicated_points_average_their_seeds_and_need_every_seed_to_hold() {
    let base = scenario::parse(
        "t.toml",
        "[run]\nseed = 7\n[[workload.phases]]\nduration = \"60s\"\nrate = 8\n[clients]\ntimeout = \"1s\"\n[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = { dist = \"exponential\", mean = \"100ms\" }\n",
    )
    .unwrap();
    let axes = vec![parse_axis("gateway.concurrency=1").unwrap()];
    let seeds: Vec<model::results::Results> = (7..10).map(|sd| simulate_summary(&base, Some(sd))).collect();
    let ratios: Vec<f64> = seeds.iter().map(|r| r.summary.whole.goodput_ratio).collect();
    let (lo, hi) = ratios
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &r| (a.min(r), b.max(r)));
    assert!(lo < hi, "the seeds differ: {ratios:?}");
    // An SLO between the seeds' figures holds in some seeds, not all.
    let slo: Threshold = format!("goodput_ratio >= {}", (lo + hi) / 2.0).parse().unwrap();
    let held = ratios.iter().filter(|&&r| r >= (lo + hi) / 2.0).count() as u32;
    // A second SLO that holds in every seed: each SLO's own count of seeds says which failed.
    let always: Threshold = "goodput_ratio >= 0".parse().unwrap();
    let points = run_plan(plan(&base, &axes).unwrap(), &[always, slo], 3, &|| {});
    let p = &points[0];
    assert_eq!((p.seeds, p.slo_held, p.meets_slo), (3, Some(held), false));
    assert_eq!(p.slo_held_each, [3, held]);
    let mean = ratios.iter().sum::<f64>() / 3.0;
    assert!((p.goodput_ratio - mean).abs() < 1e-12, "{} vs {mean}", p.goodput_ratio);
    let p99 = seeds.iter().map(|r| r.summary.whole.latency.p99).sum::<f64>() / 3.0;
    assert!((p.p99 - p99).abs() < 1e-12);
    let csv = to_csv(&points, &Figure::whole(Metric::GoodputRatio), &[]);
    assert!(
        csv.lines()
            .next()
            .is_some_and(|h| h.ends_with(",meets_slo,seeds,slo_held")),
        "{csv}"
    );
    assert!(
        csv.lines()
            .nth(1)
            .is_some_and(|r| r.ends_with(&format!(",false,3,{held}"))),
        "{csv}"
    );
    // One seed is that seed's run exactly.
    let one = run_plan(plan(&base, &axes).unwrap(), &[], 1, &|| {});
    assert_eq!(
        (one[0].goodput_ratio, one[0].seeds, one[0].slo_held),
        (ratios[0], 1, None)
    );
}

/// A point's time line is checked as a file's is: a varied run.duration that cuts the
/// trigger, a varied window longer than the time before it, or a varied phase that leaves
/// the file's own window too long is refused as `sim run` refuses the file, before any run.
#[test]
fn varied_time_lines_are_checked_as_the_files_are() {
    let text = "[run]\n{run}\n[[workload.phases]]\nduration = \"30s\"\nrate = 5\n\
                [[workload.phases]]\nduration = \"10s\"\nrate = 50\ntrigger = true\n\
                [[workload.phases]]\nduration = \"40s\"\nrate = 5\n\
                [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n";
    let base = scenario::parse("t.toml", &text.replace("{run}", "")).unwrap();
    let duration = |d: &str| vec![("run.duration".to_string(), Value::from(d))];
    let e = variant(&base, &duration("35s")).unwrap_err();
    assert!(e.contains("run.duration") && e.contains("trigger phase"), "{e}");
    assert!(variant(&base, &duration("80s")).is_ok());
    let e = variant(&base, &[("run.window".into(), Value::from("40s"))]).unwrap_err();
    assert!(e.contains("run.window") && e.contains("before the trigger"), "{e}");
    assert!(variant(&base, &[("run.window".into(), Value::from("5s"))]).is_ok());
    // The default window is not the user's: a short first phase passes, as in a file.
    let short_phase = [("workload.phases[0].duration".to_string(), Value::from("500ms"))];
    assert!(variant(&base, &short_phase).is_ok());
    // The file's own window is.
    let windowed = scenario::parse("t.toml", &text.replace("{run}", "window = \"1s\"")).unwrap();
    let e = variant(&windowed, &short_phase).unwrap_err();
    assert!(e.contains("run.window") && e.contains("before the trigger"), "{e}");
    // The sweep refuses the grid before running any point.
    let axes = [parse_axis("run.duration=35s,80s").unwrap()];
    assert!(plan(&base, &axes).is_err());
    // So does a changed strategy keep what the file set.
    let fifo = windowed.with_strategy(model::scenario::Strategy::Fifo).unwrap();
    assert!(variant(&fifo, &short_phase).is_err());
}
