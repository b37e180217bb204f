//! A phase's extra traffic aimed at one service (`[[workload.phases.extra]]`): how it resolves,
//! its mistakes at their place in the file, what `scenario check` says of it, time scaling, and
//! the arrivals it gives (counts per service against the binomial split of the summed rate).

mod common;

use common::{only_diagnostic, parse};
use model::rng::Streams;
use model::scenario::{self, Scenario};
use model::time::Time;
use model::workload::Schedule;

/// Three services; `batch` adds 150/s to `billing` on top of 100/s that follow the mix.
const ESTATE: [&str; 28] = [
    "[run]",
    "seed = 3",
    "[[workload.phases]]",
    "name = \"normal\"",
    "duration = \"20s\"",
    "rate = 100",
    "[[workload.phases]]",
    "name = \"batch\"",
    "duration = \"20s\"",
    "rate = 100",
    "trigger = true",
    "extra = [{ service = \"billing\", rate = 150 }]", // 12
    "[[workload.phases]]",
    "name = \"after\"",
    "duration = \"20s\"",
    "rate = 100",
    "[[backend.services]]",
    "name = \"orders\"",
    "workers = 8",
    "service_time = \"20ms\"",
    "[[backend.services]]",
    "name = \"billing\"",
    "workers = 2",
    "service_time = \"10ms\"",
    "[[backend.services]]",
    "name = \"search\"",
    "workers = 8",
    "service_time = \"20ms\"",
];

fn estate() -> Scenario {
    parse(&ESTATE).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn extra_traffic_adds_to_its_phase_rate_and_names_its_service() {
    let s = estate();
    let rates: Vec<(f64, f64)> = s.phases.iter().map(|p| (p.rate_start, p.rate_end)).collect();
    assert_eq!(rates, [(100.0, 100.0), (250.0, 250.0), (100.0, 100.0)]);
    let batch = &s.phases[1];
    assert_eq!(batch.extra.len(), 1);
    assert_eq!(
        (batch.extra[0].service, batch.extra[0].weight, batch.extra_rate()),
        (1, 150.0, 150.0)
    );
    assert!(s.phases[0].extra.is_empty() && s.phases[2].extra.is_empty());
    // Utilisation: the mix's 100/s spread evenly (33.3/s each), plus 150/s on billing alone.
    let u = scenario::phase_utilisation(&s, batch);
    let want = [
        100.0 / 3.0 * 0.020 / 8.0,
        (100.0 / 3.0 + 150.0) * 0.010 / 2.0,
        100.0 / 3.0 * 0.020 / 8.0,
    ];
    for (got, want) in u.iter().zip(want) {
        assert!((got - want).abs() < 1e-12, "{u:?}");
    }
    assert!(u[1] < 1.0, "billing at {:.0}%", u[1] * 100.0);
    // Spread evenly at 250/s, as before extras, billing would read 42%: not the 92% it gets.
    assert!(scenario::utilisation_at(&s, 250.0)[1] < 0.5);
    let check = scenario::check_summary(&s);
    let line = check
        .lines()
        .find(|l| l.trim_start().starts_with("batch"))
        .unwrap_or_else(|| panic!("a line for the batch phase:\n{check}"));
    assert!(line.contains("250.0"), "{line}");
    assert!(line.contains("billing at 92% utilisation"), "{line}");
    assert!(line.ends_with("; of it extra 150/s to billing"), "{line}");
    // billing gets traffic of its own from the mix: no idle-service warning either way.
    assert!(
        s.warnings().iter().all(|w| !w.contains("no entry names")),
        "{:?}",
        s.warnings()
    );
}

/// A service that only a phase's extra traffic reaches is not "idle" (the warning said it
/// would get no intents); one that nothing reaches still is.
#[test]
fn a_service_reached_only_by_extra_traffic_is_not_called_idle() {
    let mut lines = ESTATE.to_vec();
    lines.insert(2, "[workload]");
    lines.insert(3, "mix = [{ service = \"orders\" }]");
    let s = parse(&lines).unwrap_or_else(|e| panic!("{e}"));
    let warnings = s.warnings();
    let idle: Vec<&String> = warnings.iter().filter(|w| w.contains("no entry names")).collect();
    assert_eq!(idle.len(), 1, "{warnings:?}");
    assert!(idle[0].contains("no entry names search (nor its group)"), "{}", idle[0]);
}

#[test]
fn extra_traffic_mistakes_are_reported_where_they_are() {
    let mut unknown = ESTATE.to_vec();
    // `extra = [{ ` 1-11, `service = ` 12-21, the value at 22.
    unknown[11] = "extra = [{ service = \"biling\", rate = 150 }]";
    let d = only_diagnostic(&unknown);
    assert_eq!(
        (d.line, d.column, d.path.as_str()),
        (12, 22, "workload.phases[1].extra[0].service"),
        "{d}"
    );
    assert!(
        d.to_string()
            .contains("unknown service `biling`: the backend defines orders, billing, search"),
        "{d}"
    );

    let mut negative = ESTATE.to_vec();
    negative[11] = "extra = [{ service = \"billing\", rate = -5 }]";
    let d = only_diagnostic(&negative);
    assert_eq!(d.path, "workload.phases[1].extra[0].rate", "{d}");
    assert!(d.to_string().contains("expected intents per second >= 0"), "{d}");

    // Rate 0 (a sweep's "no job" point) still checks where it is aimed.
    let mut zero_typo = ESTATE.to_vec();
    zero_typo[11] = "extra = [{ service = \"biling\", rate = 0 }]";
    let d = only_diagnostic(&zero_typo);
    assert_eq!(d.path, "workload.phases[1].extra[0].service", "{d}");

    let mut api = ESTATE.to_vec();
    api[11] = "extra = [{ service = \"billing\", api = \"pay\", rate = 10 }]";
    let d = only_diagnostic(&api);
    assert_eq!(d.path, "workload.phases[1].extra[0].api", "{d}");

    let mut typo = ESTATE.to_vec();
    typo[11] = "extra = [{ service = \"billing\", rps = 10 }]";
    let d = only_diagnostic(&typo);
    assert!(d.path.starts_with("workload.phases[1].extra[0]"), "{d}");
    assert_eq!(d.line, 12, "{d}");
}

/// A counted group spreads its extra traffic over its services, as a mix entry does.
#[test]
fn extra_traffic_to_a_group_spreads_over_its_services() {
    let s = parse(&[
        "[[workload.phases]]",
        "duration = \"10s\"",
        "rate = 10",
        "extra = [{ service = \"fortran\", rate = 30 }]",
        "[[backend.services]]",
        "name = \"fortran\"",
        "count = 3",
        "workers = 2",
        "service_time = \"10ms\"",
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let p = &s.phases[0];
    assert_eq!(p.rate_start, 40.0);
    let by_service: Vec<(usize, f64)> = p.extra.iter().map(|m| (m.service, m.weight)).collect();
    assert_eq!(by_service, [(0, 10.0), (1, 10.0), (2, 10.0)]);
}

#[test]
fn time_scaling_scales_the_extra_traffic() {
    let s = estate();
    let fast = scenario::resolve(&s.source, scenario::time_scaled(&s.file, 4.0)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fast.phases[1].rate_start, 1000.0);
    assert_eq!(fast.phases[1].extra_rate(), 600.0);
    let (u, v) = (
        scenario::phase_utilisation(&s, &s.phases[1]),
        scenario::phase_utilisation(&fast, &fast.phases[1]),
    );
    for (a, b) in u.iter().zip(&v) {
        assert!((a - b).abs() < 1e-12, "{u:?} vs {v:?}");
    }
}

/// Per service and phase, the arrivals are the binomial split of the summed rate: billing gets
/// (33.3 + 150) / 250 of the batch phase's intents and a third of the others'. Bounds of four
/// standard deviations of the counts (Poisson totals, binomial shares).
#[test]
fn arrivals_follow_the_extra_split() {
    let s = estate();
    let mut counts = [[0u64; 3]; 3];
    for seed in 1..=5 {
        for a in Schedule::new(&s, &Streams::new(seed)) {
            let phase = s
                .phases
                .iter()
                .position(|p| a.at >= p.start && a.at < p.end)
                .unwrap_or(2);
            counts[phase][a.service] += 1;
        }
    }
    for (phase, shares) in [
        (0, [1.0 / 3.0; 3]),
        (
            1,
            [100.0 / 3.0 / 250.0, (100.0 / 3.0 + 150.0) / 250.0, 100.0 / 3.0 / 250.0],
        ),
        (2, [1.0 / 3.0; 3]),
    ] {
        let p = &s.phases[phase];
        // Five seeds of the phase's expected intents: the totals are Poisson.
        let expected = 5.0 * p.expected_intents();
        let total: u64 = counts[phase].iter().sum();
        assert!(
            (total as f64 - expected).abs() < 4.0 * expected.sqrt(),
            "phase {phase}: {total} intents, {expected} expected"
        );
        for (service, share) in shares.iter().enumerate() {
            let n = total as f64;
            let got = counts[phase][service] as f64;
            let sd = (n * share * (1.0 - share)).sqrt();
            assert!(
                (got - n * share).abs() < 4.0 * sd,
                "phase {phase}, service {service}: {got} of {n}, share {share}"
            );
        }
    }
}

/// A ramp under extra traffic: the extra share follows the rate's curve (a constant 50/s on a
/// phase ramping 0 -> 100 is most of the start and a third of the end).
#[test]
fn extra_traffic_on_a_ramp_keeps_its_own_rate() {
    let s = parse(&[
        "[run]",
        "seed = 5",
        "[[workload.phases]]",
        "duration = \"100s\"",
        "rate = 0",
        "ramp_to = 100",
        "extra = [{ service = \"b\", rate = 50 }]",
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 100",
        "service_time = \"10ms\"",
        "[[backend.services]]",
        "name = \"b\"",
        "workers = 100",
        "service_time = \"10ms\"",
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((s.phases[0].rate_start, s.phases[0].rate_end), (50.0, 150.0));
    // Arrivals to `b` over the first and last 20 s: 50/s of extra plus half the ramp's rate.
    let (mut first, mut last) = (0u64, 0u64);
    for a in Schedule::new(&s, &Streams::new(1)).filter(|a| a.service == 1) {
        if a.at < Time::from_secs_f64(20.0) {
            first += 1;
        } else if a.at >= Time::from_secs_f64(80.0) {
            last += 1;
        }
    }
    // Over [0, 20): 50 * 20 + half of the ramp's 0..20/s (200): 1,100. Over [80, 100): 1,000
    // + half of 80..100/s (1,800): 1,900. Poisson counts: within 4 standard deviations.
    for (got, want) in [(first, 1100.0), (last, 1900.0)] {
        assert!((got as f64 - want).abs() < 4.0 * f64::sqrt(want), "{got} vs {want}");
    }
}

/// A shard runs a share of the arrivals (`Schedule::with_rate_factor`): the extra traffic's
/// share of them stays what it is.
#[test]
fn a_shard_keeps_the_extra_split() {
    let s = estate();
    let (start, end) = (s.phases[1].start, s.phases[1].end);
    let mut n = [0u64; 3];
    for seed in 1..=5 {
        for a in Schedule::with_rate_factor(&s, &Streams::new(seed), 0.5).filter(|a| a.at >= start && a.at < end) {
            n[a.service] += 1;
        }
    }
    let total: u64 = n.iter().sum();
    // Half of 250/s over 20 s, five seeds: 12,500 expected (Poisson).
    assert!((total as f64 - 12_500.0).abs() < 4.0 * 12_500f64.sqrt(), "{total}");
    let share = (100.0 / 3.0 + 150.0) / 250.0;
    let sd = (total as f64 * share * (1.0 - share)).sqrt();
    assert!((n[1] as f64 - total as f64 * share).abs() < 4.0 * sd, "{n:?}");
}

/// A phase mix is what a user reaches for first: the error points at `extra`.
#[test]
fn a_phase_mix_points_at_extra() {
    let mut lines = ESTATE.to_vec();
    lines[11] = "mix = [{ service = \"billing\" }]";
    let d = only_diagnostic(&lines);
    assert_eq!((d.line, d.path.as_str()), (12, "workload.phases[1].mix"), "{d}");
    assert!(
        d.to_string()
            .contains("a phase has no mix of its own: `extra` adds traffic aimed at one service"),
        "{d}"
    );
}

/// Background extra traffic is a class as a background mix entry is: the run keeps per-class
/// figures and thresholds may name the class (they were refused: "no priorities"); the check
/// line says the class, and a small rate is not shown as 0.
#[test]
fn background_extra_traffic_keeps_class_figures() {
    let mut lines = ESTATE.to_vec();
    lines[11] = "extra = [{ service = \"billing\", rate = 30, priority = \"background\" }, { service = \"search\", rate = 0.04 }]";
    lines.extend(["[[thresholds]]", "check = \"background.goodput_ratio >= 0.5\""]);
    let s = parse(&lines).unwrap_or_else(|e| panic!("{e}"));
    assert!(model::results::keeps_classes(&s));
    assert_eq!(s.thresholds.len(), 1);
    let check = scenario::check_summary(&s);
    assert!(
        check.contains("; of it extra 30/s to billing (background), 0.040/s to search"),
        "{check}"
    );
    // Interactive extra traffic alone keeps no classes.
    assert!(!model::results::keeps_classes(&estate()));
}

/// A typo in an extra rate that makes the run too large is said at the extra, not at the
/// first phase.
#[test]
fn a_run_too_large_by_its_extra_traffic_is_refused_there() {
    let mut lines = ESTATE.to_vec();
    lines[11] = "extra = [{ service = \"billing\", rate = 1e12 }]";
    let d = only_diagnostic(&lines);
    assert_eq!((d.line, d.path.as_str()), (12, "workload.phases[1].extra"), "{d}");
    assert!(
        d.to_string().contains("the phases offer about 2.000e13 intents, 2.000e13 of them this extra traffic of phase `batch`: at most 1e9 per run"),
        "{d}"
    );
}

/// Rate 0 is no extra traffic: the phase, its rate and every arrival are those of the file
/// without the entry, so a sweep's `extra[0].rate=0,...` point is the run without the job.
#[test]
fn a_zero_extra_rate_is_the_phase_without_it() {
    let mut zero = ESTATE.to_vec();
    zero[11] = "extra = [{ service = \"billing\", rate = 0 }]";
    let with_zero = parse(&zero).unwrap_or_else(|e| panic!("{e}"));
    let mut none = ESTATE.to_vec();
    none[11] = "";
    let without = parse(&none).unwrap_or_else(|e| panic!("{e}"));
    assert!(with_zero.phases[1].extra.is_empty());
    let rates = |s: &Scenario| -> Vec<(f64, f64)> { s.phases.iter().map(|p| (p.rate_start, p.rate_end)).collect() };
    assert_eq!(rates(&with_zero), rates(&without));
    assert_eq!(rates(&with_zero)[1], (100.0, 100.0));
    let arrivals = |s: &Scenario| -> Vec<(Time, usize, usize)> {
        Schedule::new(s, &Streams::new(9))
            .map(|a| (a.at, a.service, a.api))
            .collect()
    };
    let (a, b) = (arrivals(&with_zero), arrivals(&without));
    assert!(a.len() > 5_000, "{} arrivals", a.len());
    assert!(a == b, "the arrivals differ");
    assert!(!scenario::check_summary(&with_zero).contains("extra"));
}

/// `scenario check` says when a phase offers a service more than its rate limit (or the
/// gateway more than its own): utilisation alone does not show a batch the service answers
/// mostly with 429s.
#[test]
fn a_phase_over_a_rate_limit_says_so() {
    let mut lines = ESTATE.to_vec();
    // Billing: 33.3/s of the mix + 150/s extra = 183.3/s in the batch phase, against 100/s.
    lines.insert(24, "faults = { rate_limit = { rate = 100 } }");
    let s = parse(&lines).unwrap_or_else(|e| panic!("{e}"));
    let check = scenario::check_summary(&s);
    let line = |name: &str| {
        check
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("a line for {name}:\n{check}"))
            .to_string()
    };
    assert!(
        line("batch").ends_with("; over rate limits (429s): billing 183.3/s vs 100/s"),
        "{}",
        line("batch")
    );
    assert!(!line("normal").contains("rate limit"), "{}", line("normal"));
    // The gateway's own limit, on the whole rate.
    let mut gw = ESTATE.to_vec();
    gw.extend(["[gateway.rate_limit]", "rate = 200"]);
    let s = parse(&gw).unwrap_or_else(|e| panic!("{e}"));
    let check = scenario::check_summary(&s);
    let batch = check
        .lines()
        .find(|l| l.trim_start().starts_with("batch"))
        .expect("batch line");
    assert!(
        batch.ends_with("; over rate limits (429s): gateway 250/s vs 200/s"),
        "{batch}"
    );
}
