//! Hostile `--vary` / `--variant` assignments on the shipped scenarios: nothing panics, and a
//! variant that is accepted simulates.
//!
//! A seeded ChaCha8 stream picks one to three assignments per variant: a real field of the
//! scenario (or a made-up, malformed or out-of-range path) set to an extreme or wrong-typed value,
//! parsed as the command line parses it. Each variant goes through `sweep::plan`, which `sim
//! sweep` and `compare` use; an accepted one with up to 50,000 intents is also simulated (on a
//! thread with a watchdog, so a hang fails the test instead of stalling it).

use model::scenario::{self, Scenario};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use sim::sweep;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

const VALUES: &[&str] = &[
    "0",
    "-1",
    "1",
    "1e308",
    "-1e308",
    "NaN",
    "inf",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "0.0000001",
    "",
    "0s",
    "-1s",
    "1ns",
    "1e30s",
    "99999999999h",
    "1 s",
    "fifo",
    "bounded",
    "deadline",
    "adaptive",
    "none",
    "true",
    "false",
    "{}",
    "[]",
    "ü\u{200b}",
];

/// Paths that are not fields of the scenario, or not well formed.
const ODD_KEYS: &[&str] = &[
    "gateway.nope",
    "workload.phases[99].rate",
    "workload.phases[18446744073709551616].rate",
    "workload.phases[-1].rate",
    "workload.phases[0][0]",
    "workload.phases",
    "backend.services[0]",
    "backend",
    "a..b",
    "[0]",
    ".",
    "gateway.strategy.x",
    "clients.retry.on",
    "run.seed",
    "run.window",
];

/// A value near `current` (the field's own): half, double or ten times a number, another
/// duration, the other boolean; so that many variants are valid and get simulated.
fn plausible(current: Option<&Value>, rng: &mut ChaCha8Rng) -> String {
    let factor = [0.5, 2.0, 10.0, 0.1][rng.random_range(0..4)];
    match current {
        Some(Value::Number(n)) if n.is_i64() => ((n.as_i64().unwrap_or(1) as f64 * factor).round() as i64).to_string(),
        Some(Value::Number(n)) => (n.as_f64().unwrap_or(1.0) * factor).to_string(),
        Some(Value::Bool(b)) => (!b).to_string(),
        Some(Value::String(s)) if s.ends_with('s') => {
            ["10ms", "250ms", "1s", "30s"][rng.random_range(0..4)].to_string()
        }
        _ => VALUES[rng.random_range(0..VALUES.len())].to_string(),
    }
}

/// Every leaf field of `v` as a path (`backend.services[0].workers`).
fn leaves(v: &Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaves(x, &p, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                leaves(x, &format!("{prefix}[{i}]"), out);
            }
        }
        _ => out.push(prefix.to_string()),
    }
}

/// The value at a path that [`leaves`] gave.
fn get<'a>(tree: &'a Value, path: &str) -> Option<&'a Value> {
    let pointer: String = path
        .split('.')
        .flat_map(|part| part.split('[').map(|p| p.trim_end_matches(']').to_string()))
        .map(|p| format!("/{p}"))
        .collect();
    tree.pointer(&pointer)
}

/// Simulates `s` on a thread; an error names a panic or a run that did not end in time.
fn simulate_with_watchdog(s: Scenario) -> Result<(), String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let r = catch_unwind(AssertUnwindSafe(|| sim::simulate(&s, None)));
        let _ = tx.send(r.map(|_| ()).map_err(|p| panic_text(&*p)));
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(r) => r,
        Err(_) => Err("the simulation did not end within 60 s".to_string()),
    }
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic".to_string())
}

#[test]
fn hostile_overrides_are_refused_or_simulate() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the repository has a scenarios/ folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "found {} scenarios", files.len());
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut rng = ChaCha8Rng::seed_from_u64(0x0fe7_e1de);
    let (mut failures, mut planned, mut refused, mut simulated) = (Vec::new(), 0u32, 0u32, 0u32);
    for path in &files {
        let base = scenario::load(path).expect("the shipped scenarios load");
        let tree = serde_json::to_value(&base.file).expect("a scenario serializes");
        let mut keys = Vec::new();
        leaves(&tree, "", &mut keys);
        for _ in 0..400 {
            let n = rng.random_range(1..=3);
            let specs: Vec<String> = (0..n)
                .map(|_| {
                    let key = if rng.random_bool(0.8) {
                        keys[rng.random_range(0..keys.len())].clone()
                    } else {
                        ODD_KEYS[rng.random_range(0..ODD_KEYS.len())].to_string()
                    };
                    let value = if rng.random_bool(0.5) {
                        plausible(get(&tree, &key), &mut rng)
                    } else {
                        VALUES[rng.random_range(0..VALUES.len())].to_string()
                    };
                    format!("{key}={value}")
                })
                .collect();
            let what = format!("{}: {}", path.display(), specs.join(" "));
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let axes = specs
                    .iter()
                    .map(|s| sweep::parse_axis(s))
                    .collect::<Result<Vec<_>, _>>()?;
                sweep::plan(&base, &axes)
            }));
            let plan = match outcome {
                Err(p) => {
                    failures.push(format!("{what}: panicked: {}", panic_text(&*p)));
                    continue;
                }
                Ok(Err(e)) => {
                    if e.trim().is_empty() {
                        failures.push(format!("{what}: an empty error"));
                    }
                    refused += 1;
                    continue;
                }
                Ok(Ok(plan)) => plan,
            };
            planned += 1;
            for i in 0..plan.points.len() {
                let s = match plan.scenario(i) {
                    Ok(s) => s,
                    Err(e) => {
                        failures.push(format!("{what}: point {i} validated, then refused: {e}"));
                        continue;
                    }
                };
                // Small enough to simulate here; the CLI's own limits bound the rest.
                let intents: f64 = s.phases.iter().map(|p| p.expected_intents()).sum();
                if intents <= 50_000.0 && s.file.workload.closed.is_none() {
                    if let Err(e) = simulate_with_watchdog(s) {
                        failures.push(format!("{what}: simulating the variant: {e}"));
                    }
                    simulated += 1;
                }
            }
        }
    }
    std::panic::set_hook(hook);
    assert!(
        failures.is_empty(),
        "{} variants broke; the first:\n{}",
        failures.len(),
        failures[0]
    );
    eprintln!("planned {planned}, refused {refused}, simulated {simulated}");
    // Both paths must be exercised, or the test proves nothing.
    assert!(
        planned > 200 && refused > 500 && simulated > 50,
        "planned {planned}, refused {refused}, simulated {simulated}"
    );
}
