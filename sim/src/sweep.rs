//! Parameter sweeps: a grid of scenario variants run in parallel, the best configuration under
//! an SLO, and the safe envelope (the largest load after which the system still recovers).

use crate::engine::simulate_summary;
use model::results::{GroupSummary, Summary, Verdict};
use model::scenario::{self, Priority, Scenario, ScenarioFile};
use model::threshold::{Figure, Metric, Scope, Threshold};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

/// One `--vary key=values` axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub key: String,
    pub values: Vec<Value>,
}

/// At most this many values in one `A..B` range axis.
pub const MAX_RANGE_VALUES: i128 = 10_000;

/// At most this many combinations in a grid: each is validated (and then simulated) before the
/// sweep reports anything, and a product of a few ranges otherwise exhausts memory in `grid`.
pub const MAX_COMBINATIONS: usize = 100_000;

/// At most this many simulations (points x replications) in one sweep: 100,000 points of one
/// seed, or 10,000 of a hundred. [`MAX_COMBINATIONS`] alone let `--replications 1000` make
/// 10^8 of them.
pub const MAX_SIMULATIONS: u64 = 1_000_000;

/// `n` with its thousands separated: 1,001,000.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Refuses a sweep of more than [`MAX_SIMULATIONS`] simulations: `points` distinct points
/// (the planned grid's), each run `seeds` times, before any runs.
pub fn check_simulations(points: usize, seeds: u32) -> Result<(), String> {
    let n = points as u64 * u64::from(seeds.max(1));
    if n <= MAX_SIMULATIONS {
        return Ok(());
    }
    let fewer_seeds = MAX_SIMULATIONS / (points as u64).max(1);
    let lower = if fewer_seeds >= 1 && seeds > 1 {
        format!("lower --replications to at most {fewer_seeds}, or narrow an axis")
    } else {
        "narrow an axis".to_string()
    };
    Err(format!(
        "--replications {seeds}: {} points x {seeds} seeds make {} simulations; a sweep runs at most {}: {lower}",
        thousands(points as u64),
        thousands(n),
        thousands(MAX_SIMULATIONS)
    ))
}

/// A value as the command line gives it: an integer, a number, a boolean or else a string.
/// `Value::from(f64)` turns NaN and infinities into null, which reads as "not set" and would
/// silently run the default, so they are refused.
/// A table or an array is written as in a scenario file, TOML inline: `{ dist = "exponential",
/// mean = "1s" }`, `["timeout", 503]`.
fn parse_value(flag: &str, spec: &str, s: &str) -> Result<Value, String> {
    let t = s.trim();
    if t.starts_with(['{', '[']) {
        let doc: toml::Table = toml::from_str(&format!("v = {t}")).map_err(|e| {
            format!(
                "{flag} `{spec}`: `{t}` is no TOML inline table or array: {}",
                e.message()
            )
        })?;
        return doc
            .get("v")
            .and_then(|v| serde_json::to_value(v).ok())
            .ok_or_else(|| format!("{flag} `{spec}`: `{t}` is no TOML inline table or array"));
    }
    if let Ok(i) = t.parse::<i64>() {
        return Ok(Value::from(i));
    }
    if let Ok(f) = t.parse::<f64>() {
        if !f.is_finite() {
            return Err(format!("{flag} `{spec}`: `{t}` is not a finite number"));
        }
        return Ok(Value::from(f));
    }
    Ok(match t {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Value::String(t.to_string()),
    })
}

/// `values` split at its commas, but not at those inside a TOML inline table or array, or in
/// a quoted string (`{ dist = "exponential", mean = "1s" },2s` is two values).
fn split_values(values: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0);
    let mut chars = values.char_indices();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (Some('"'), '\\') => {
                chars.next();
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '{' | '[') => depth += 1,
            (None, '}' | ']') => depth -= 1,
            (None, ',') if depth <= 0 => {
                out.push(&values[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&values[start..]);
    out
}

/// Whether two axis values are the same setting: equal, or the same number or duration
/// written differently; tables and arrays field by field, item by item, alike
/// (`{ dist = "exponential", mean = "1s" }` is `{ mean = "1000ms", dist = "exponential" }`).
fn same_value(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            return x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_value(v, w)));
        }
        (Value::Array(x), Value::Array(y)) => {
            return x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same_value(v, w));
        }
        _ => {}
    }
    if let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) {
        return x == y;
    }
    let duration = |v: &Value| v.as_str().and_then(|t| model::duration::parse_duration(t).ok());
    matches!((duration(a), duration(b)), (Some(x), Some(y)) if x == y)
}

/// Parses `gateway.concurrency=1..8` or `gateway.strategy=fifo,deadline` (`--vary`).
pub fn parse_axis(spec: &str) -> Result<Axis, String> {
    let axis = parse_axis_for("--vary", spec)?;
    // The simulator's clock is virtual: every point of this axis would be the same run, and
    // one of them "best".
    if axis.key == "run.time_scale" {
        return Err(format!(
            "--vary `{spec}`: the simulator runs on a virtual clock, so run.time_scale changes nothing in a sweep (it compresses live runs: `loadgen run --time-scale`)"
        ));
    }
    // Seeds are no setting to choose: the best of them is the luckiest.
    if axis.key == "run.seed" {
        return Err(format!(
            "--vary `{spec}`: a seed is no setting to choose (the best would be the luckiest); --replications R runs every point with R seeds and judges it by all of them"
        ));
    }
    if let Some(ignored) = simulator_ignores(&axis.key) {
        let why = ignored.why();
        return Err(match ignored {
            Ignored::Label(_) => format!(
                "--vary `{spec}`: {why}, which no run reads (live runs neither), so every point would be the same run and one of them \"best\""
            ),
            Ignored::LiveOnly(_) => format!(
                "--vary `{spec}`: {why}, so every point would be the same run and one of them \"best\"; vary it in live runs (`spillway compare --mode live --variant`)"
            ),
        });
    }
    // A sweep holds its points to --slo alone (the scenario's thresholds only get a note).
    if matches!(scenario::locate::parse_path(&axis.key).first(), Some(scenario::locate::Seg::Key(k)) if k == "thresholds")
    {
        return Err(format!(
            "--vary `{spec}`: sweep points are held to --slo, not to the scenario's thresholds, so every point would be the same run and one of them \"best\"; give the bound with --slo (\"p99<2s\")"
        ));
    }
    Ok(axis)
}

/// Why the simulator reads nothing of a key: a label no run reads, or a setting only a live
/// run has. The text says what the key is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ignored {
    /// A name or description: no run reads it, simulated or live.
    Label(&'static str),
    /// What only a live run reads (what loadgen sends, how the gateway connects, paths).
    LiveOnly(&'static str),
}

impl Ignored {
    pub fn why(self) -> &'static str {
        match self {
            Ignored::Label(why) | Ignored::LiveOnly(why) => why,
        }
    }
}

/// Why the simulator reads nothing of `key`, if it does not: labels, and settings only a live
/// run has (the headers and body loadgen sends, how the gateway connects, paths, whether its
/// admin endpoints need a key). A request's method is read (the gateway retries only methods
/// that may be sent twice), so a whole `request` table is taken. The scenario's thresholds are
/// read (each run is judged by them, and `compare` shows them), though a sweep's points are
/// not held to them ([`parse_axis`]).
pub fn simulator_ignores(key: &str) -> Option<Ignored> {
    use scenario::locate::Seg::{Index, Key};
    let segs = scenario::locate::parse_path(key);
    let names: Vec<&str> = segs
        .iter()
        .filter_map(|s| match s {
            Key(k) => Some(k.as_str()),
            Index(_) => None,
        })
        .collect();
    // A request's payload: `clients.request.X` or `backend.services[..].request.X`.
    let payload = |rest: &[&str]| matches!(rest, ["request", "headers" | "body" | "body_file", ..]);
    match names.as_slice() {
        ["run", "name" | "description", ..] => Some(Ignored::Label("the run's name and description are labels")),
        ["workload", "phases", "name", ..] => Some(Ignored::Label("a phase's name is a label")),
        ["clients", rest @ ..] | ["backend", "services", rest @ ..] if payload(rest) => Some(Ignored::LiveOnly(
            "a request's headers and body are what loadgen sends (the simulator models times, not payloads)",
        )),
        ["gateway", "connect_timeout", ..] => Some(Ignored::LiveOnly(
            "gateway.connect_timeout is the live gateway's TCP connect to its backend, which the simulator does not model",
        )),
        ["gateway", "auth", "protect_admin", ..] => Some(Ignored::LiveOnly(
            "gateway.auth.protect_admin guards the live gateway's /metrics and /healthz, which simulated clients never call",
        )),
        ["gateway", "priorities", "routes", ..] => Some(Ignored::LiveOnly(
            "gateway.priorities.routes classes live requests by path; simulated ones (and loadgen's) carry their class from the workload",
        )),
        ["backend", "services", "upstream", ..] => Some(Ignored::LiveOnly(
            "a service's upstream address is a live setting (the simulator runs the service model in place of it)",
        )),
        _ => None,
    }
}

/// [`parse_axis`] for another flag (`--variant NAME`), which its errors name.
pub fn parse_axis_for(flag: &str, spec: &str) -> Result<Axis, String> {
    let (key, values) = spec.split_once('=').ok_or_else(|| {
        // `--set` takes one value; the other flags (`--vary`, `--variant`) a list or range.
        if flag == "--set" {
            format!("{flag} `{spec}`: expected KEY=VALUE")
        } else {
            format!("{flag} `{spec}`: expected KEY=V1,V2,... or KEY=A..B (or KEY=A..B:STEP)")
        }
    })?;
    let key = key.trim().to_string();
    if key.is_empty() {
        return Err(format!("{flag} `{spec}`: empty key"));
    }
    check_key_syntax(&key).map_err(|why| format!("{flag} `{spec}`: {why}"))?;
    // An index the path parser would skip (`phases[-1]`, `phases[x]`) made the key name
    // another field, and the error a puzzle ("`rate` is not inside a table").
    let mut rest = key.as_str();
    let mut first = true;
    while let Some(open) = index_start(rest) {
        let after = &rest[open + 1..];
        let close = after
            .find(']')
            .ok_or_else(|| format!("{flag} `{spec}`: `[` without `]` in the key"))?;
        let index = &after[..close];
        // `[*]` right after `backend.services` only: every service entry; or an entry by its
        // name there (`backend.services[billing]`), found in the file (see [`resolve_entry`]).
        let services = first && key.starts_with("backend.services[");
        let every_service = index == "*" && services;
        let by_name = services && is_entry_name(index);
        first = false;
        if index.parse::<usize>().is_err() && !every_service && !by_name {
            return Err(format!(
                "{flag} `{spec}`: `[{index}]` is no list index; indexes count from 0, e.g. workload.phases[0].rate (`[*]` only in backend.services[*]: every service; a service entry by name in backend.services[NAME])"
            ));
        }
        rest = &after[close + 1..];
    }
    let values: Vec<Value> = match values.split_once("..") {
        Some((a, b)) if !values.contains(',') && !values.trim_start().starts_with(['{', '[']) => {
            // `A..B:STEP`: from A, every STEP, up to B.
            let (b, step) = match b.split_once(':') {
                Some((b, step)) => (b, Some(step.trim())),
                None => (b, None),
            };
            let bound = |x: &str| {
                x.trim().parse::<i64>().map_err(|_| {
                    format!(
                        "{flag} `{spec}`: range bound `{}` is no integer: a range is A..B or A..B:STEP of integers (1..8, or 1..8:2 for 1, 3, 5, 7); list other values as V1,V2,...",
                        x.trim()
                    )
                })
            };
            let (a, b) = (bound(a)?, bound(b)?);
            if b < a {
                return Err(format!("{flag} `{spec}`: expected A <= B"));
            }
            // In i128: `b - a` overflows i64 for bounds of opposite signs.
            let span = i128::from(b) - i128::from(a);
            let step = match step {
                None => 1,
                Some(text) => {
                    let n = text.parse::<i64>().map_err(|_| {
                        format!(
                            "{flag} `{spec}`: the step `{text}` is no integer (A..B:STEP, e.g. 1..8:2 for 1, 3, 5, 7)"
                        )
                    })?;
                    if n <= 0 {
                        return Err(format!(
                            "{flag} `{spec}`: the step must be a positive integer (A..B:STEP counts up from A to B), not {n}"
                        ));
                    }
                    if i128::from(n) > span {
                        return Err(format!(
                            "{flag} `{spec}`: the step {n} is larger than the range {a}..{b}, which would then be {a} alone; take a step of at most {span}, or give one value"
                        ));
                    }
                    i128::from(n)
                }
            };
            let count = span / step + 1;
            if count > MAX_RANGE_VALUES {
                return Err(format!(
                    "{flag} `{spec}`: the range has {count} values; at most {MAX_RANGE_VALUES}"
                ));
            }
            // Each value lies between A and B, so fits i64.
            (0..count)
                .filter_map(|i| i64::try_from(i128::from(a) + i * step).ok())
                .map(Value::from)
                .collect()
        }
        _ if values.trim().is_empty() => Vec::new(),
        _ => {
            let items: Vec<&str> = split_values(values).into_iter().map(str::trim).collect();
            if items.iter().any(|v| v.is_empty()) {
                return Err(format!(
                    "{flag} `{spec}`: an empty value (two commas in a row, or one at an end); separate values by single commas"
                ));
            }
            let mut parsed = items
                .iter()
                .map(|v| parse_value(flag, spec, v))
                .collect::<Result<Vec<_>, _>>()?;
            // A strategy by its one name (`lifo` is `adaptive-lifo`), so an alias and its name
            // are the same value below; an unknown name is left for the scenario's check.
            if key == "gateway.strategy" {
                for v in &mut parsed {
                    if let Some(s) = v.as_str().and_then(|s| s.parse::<model::scenario::Strategy>().ok()) {
                        *v = Value::from(s.as_str());
                    }
                }
            }
            // A value listed twice would run twice, as two points of one configuration; so
            // would one written two ways (`1s,1000ms`, `300,300.0`).
            for (i, v) in parsed.iter().enumerate() {
                if let Some(j) = parsed[..i].iter().position(|w| same_value(w, v)) {
                    return Err(if items[j] == items[i] {
                        format!("{flag} `{spec}`: `{}` is listed twice", items[i])
                    } else {
                        format!("{flag} `{spec}`: `{}` is `{}` again", items[i], items[j])
                    });
                }
            }
            parsed
        }
    };
    if values.is_empty() {
        return Err(format!("{flag} `{spec}`: no values"));
    }
    Ok(Axis { key, values })
}

/// Where the next `[` of `key` opens an index: the first outside a quoted name
/// (`gateway.services."x[y]".concurrency` has none).
fn index_start(key: &str) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in key.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '[' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

/// A key's dots and brackets as a scenario path: a name between every two dots and after an
/// index only `.` or `[` (the path parser skipped empty names, so `gateway..concurrency` set
/// gateway.concurrency and labelled every row with the typo).
fn check_key_syntax(key: &str) -> Result<(), String> {
    #[derive(PartialEq)]
    enum Last {
        Start,
        Dot,
        Name,
        Quoted,
        Index,
    }
    let mut last = Last::Start;
    let mut chars = key.chars();
    while let Some(c) = chars.next() {
        match c {
            '.' if matches!(last, Last::Start | Last::Dot) => {
                return Err("a key has a name between its dots, e.g. gateway.concurrency (an empty one here)".into())
            }
            '.' => last = Last::Dot,
            '[' if matches!(last, Last::Start | Last::Dot) => {
                return Err("an index follows a list's name, e.g. workload.phases[0].rate".into())
            }
            '[' => {
                // Its contents are checked with the index (see `parse_axis_for`).
                chars.by_ref().find(|&d| d == ']');
                last = Last::Index;
            }
            '"' if matches!(last, Last::Start | Last::Dot) => {
                let mut closed = false;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => {
                            chars.next();
                        }
                        _ => {}
                    }
                }
                if !closed {
                    return Err("a quoted name has no closing `\"`".into());
                }
                last = Last::Quoted;
            }
            _ if last == Last::Index => {
                return Err("after an index comes `.` or `[`, e.g. workload.phases[0].rate".into())
            }
            _ if last == Last::Quoted => {
                return Err("after a quoted name comes `.` or `[`, e.g. gateway.services.\"api.v2\".concurrency".into())
            }
            _ => last = Last::Name,
        }
    }
    if last == Last::Dot {
        return Err("the key ends with a dot".into());
    }
    Ok(())
}

/// Whether `index`, inside `backend.services[...]`, names an entry rather than counting one.
fn is_entry_name(index: &str) -> bool {
    index != "*" && index.parse::<usize>().is_err() && !index.is_empty() && !index.contains(['[', '"'])
}

/// `path` with `backend.services[NAME]` written as the index of the entry named NAME in
/// `tree` (as TOML lists them, from 0); other paths unchanged. The entry is a line of the file:
/// a member of a `count = N` entry (`legacy-3` of `legacy`) is no entry of its own, and an
/// unknown name is an error listing the entries' names.
fn resolve_entry(tree: &Value, path: &str) -> Result<String, String> {
    let Some(rest) = path.strip_prefix("backend.services[") else {
        return Ok(path.to_string());
    };
    let Some((name, tail)) = rest.split_once(']') else {
        return Ok(path.to_string());
    };
    if !is_entry_name(name) {
        return Ok(path.to_string());
    }
    let entries = tree
        .get("backend")
        .and_then(|b| b.get("services"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let entry_name = |e: &Value| e.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
    if let Some(i) = entries.iter().position(|e| entry_name(e) == name) {
        return Ok(format!("backend.services[{i}]{tail}"));
    }
    // A member of a group: `legacy-3` of `name = "legacy"`, `count = 10`.
    let group = entries.iter().find(|e| {
        let count = e.get("count").and_then(Value::as_u64).unwrap_or(0);
        name.strip_prefix(&format!("{}-", entry_name(e)))
            .and_then(|n| n.parse::<u64>().ok())
            .is_some_and(|n| (1..=count).contains(&n))
    });
    if let Some(g) = group {
        let g = entry_name(g);
        return Err(format!(
            "`{path}`: `{name}` is one of the services of the entry `{g}` (its `count`), not an entry of its own: vary the whole entry, backend.services[{g}]{tail}"
        ));
    }
    let names: Vec<String> = entries.iter().map(entry_name).collect();
    Err(format!(
        "`{path}`: the file has no service entry named `{name}` (its entries: {})",
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    ))
}

/// Sets `path` (e.g. `workload.phases[1].rate`, `backend.services[billing].workers`) in a
/// JSON tree.
fn set_path(root: &mut Value, path: &str, v: Value) -> Result<(), String> {
    let resolved = resolve_entry(root, path)?;
    let segs = scenario::locate::parse_path(&resolved);
    let mut cur = root;
    for (i, seg) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        cur = match seg {
            scenario::locate::Seg::Key(k) => {
                let obj = cur
                    .as_object_mut()
                    .ok_or_else(|| format!("`{path}`: `{k}` is not inside a table"))?;
                if last {
                    obj.insert(k.clone(), v);
                    return Ok(());
                }
                // A missing table is made on the way; a missing list cannot be indexed.
                if let (false, Some(scenario::locate::Seg::Index(n))) = (obj.contains_key(k), segs.get(i + 1)) {
                    return Err(format!(
                        "`{path}`: the file has no `{k}` list there to take item [{n}] of: vary it once it is written in the file"
                    ));
                }
                obj.entry(k.clone())
                    .or_insert_with(|| Value::Object(Default::default()))
            }
            scenario::locate::Seg::Index(n) => {
                let arr = cur
                    .as_array_mut()
                    .ok_or_else(|| format!("`{path}`: [{n}] is not inside a list"))?;
                let len = arr.len();
                let slot = arr.get_mut(*n).ok_or_else(|| {
                    let items = if len == 0 {
                        "none".to_string()
                    } else {
                        format!("{len}, indexes 0 to {}", len - 1)
                    };
                    format!("`{path}`: index {n} out of range (the list has {items})")
                })?;
                if last {
                    *slot = v;
                    return Ok(());
                }
                slot
            }
        };
    }
    Err(format!("`{path}`: empty path"))
}

/// The field `key` names in `base`'s file, as path segments: quotes removed
/// (`"gateway".concurrency` is `gateway.concurrency`) and a service entry named by its name
/// (`backend.services[a]`) by its index, so two spellings of one field compare equal. A name
/// the file does not have stays as written (setting it is refused with why).
pub fn canonical_path(base: &Scenario, key: &str) -> Vec<scenario::locate::Seg> {
    let resolved = serde_json::to_value(&base.file)
        .ok()
        .and_then(|tree| resolve_entry(&tree, key).ok());
    match resolved {
        // A wildcard (`backend.services[*]`) is no single field: kept as written.
        Some(path) if !path.contains("[*]") => scenario::locate::parse_path(&path),
        _ => vec![scenario::locate::Seg::Key(key.to_string())],
    }
}

/// The value at `path` in a JSON tree, if any.
fn get_path<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    let path = resolve_entry(root, path).ok()?;
    scenario::locate::parse_path(&path)
        .iter()
        .try_fold(root, |cur, seg| match seg {
            scenario::locate::Seg::Key(k) => cur.get(k.as_str()),
            scenario::locate::Seg::Index(n) => cur.get(*n),
        })
}

/// Whether `key` stands for one key per service (see [`expand_key`]).
fn is_wildcard(key: &str) -> bool {
    key.starts_with("gateway.services.*.")
        || key.starts_with("clients.services.*.")
        || key.starts_with("backend.services[*]")
}

/// The paths a key sets in `tree` (a scenario file as JSON, with the point's other settings
/// applied): itself, or with `gateway.services.*.` (`clients.services.*.`) one per entry of
/// `backend.services` (by its name, a group's for `count = N`, quoted) and per table
/// `[gateway.services]` (`[clients.services]`) already has, and with `backend.services[*]` one
/// per entry.
/// Sizing ten services is then one axis, not ten (whose grid is the product of them all).
fn expand_key(tree: &Value, key: &str) -> Vec<String> {
    let entries = tree
        .get("backend")
        .and_then(|b| b.get("services"))
        .and_then(Value::as_array);
    let per_service = ["gateway", "clients"].into_iter().find_map(|section| {
        key.strip_prefix(&format!("{section}.services.*."))
            .map(|rest| (section, rest))
    });
    if let Some((section, rest)) = per_service {
        // Also every table the file already has (one member of a group's, say), which would
        // otherwise win over its group's.
        let mut names: Vec<&str> = entries
            .into_iter()
            .flatten()
            .filter_map(|e| e.get("name").and_then(Value::as_str))
            .collect();
        let tables = tree
            .get(section)
            .and_then(|g| g.get("services"))
            .and_then(Value::as_object);
        for n in tables.into_iter().flat_map(|t| t.keys()) {
            if !names.contains(&n.as_str()) {
                names.push(n);
            }
        }
        return names
            .into_iter()
            .map(|name| {
                let name = name.replace('\\', "\\\\").replace('"', "\\\"");
                format!("{section}.services.\"{name}\".{rest}")
            })
            .collect();
    }
    if let Some(rest) = key.strip_prefix("backend.services[*]") {
        return (0..entries.map_or(0, Vec::len))
            .map(|i| format!("backend.services[{i}]{rest}"))
            .collect();
    }
    // An entry by name, by its index: so a key naming it and a wildcard over every entry are
    // seen to set the same field (which wins is decided in [`variant_dropping`]).
    vec![resolve_entry(tree, key).unwrap_or_else(|_| key.to_string())]
}

/// A scenario variant, and the assigned keys its strategy does not take (a queue bound for
/// fifo, a concurrency limit for passthrough): the strategy drops them, so they change nothing.
pub struct Variant {
    pub scenario: Scenario,
    pub ignored: Vec<String>,
    /// Assigned keys that change nothing because everything they set is overridden (see
    /// [`Overridden`]).
    pub overridden: Vec<Overridden>,
}

/// An assignment whose every write is replaced by another assignment's, or is a gateway
/// table no service reads (each service it would reach has its own value, from the file or an
/// axis): its value changes nothing.
#[derive(Clone, Debug, PartialEq)]
pub struct Overridden {
    pub key: String,
    /// The assignments that set what it set again.
    pub by: Vec<String>,
    /// Some of what it set stands but no service reads it: the assignments that set services'
    /// own tables (besides the file's).
    pub shadowed_by: Option<Vec<String>>,
}

/// Per assignment, per path it sets (`paths`, from [`expand_key`]): the assignments that set
/// that path again afterwards, or a table holding it, in the order [`variant_dropping`]
/// writes: wildcards, then specific keys (their last write). Empty for a write that stands.
fn later_writers(assignments: &[(String, Value)], paths: &[Vec<String>]) -> Vec<Vec<Vec<usize>>> {
    let segs: Vec<Vec<Vec<scenario::locate::Seg>>> = paths
        .iter()
        .map(|ps| ps.iter().map(|p| scenario::locate::parse_path(p)).collect())
        .collect();
    let order = |i: usize| (!is_wildcard(&assignments[i].0), i);
    (0..assignments.len())
        .map(|i| {
            segs[i]
                .iter()
                .map(|p| {
                    (0..assignments.len())
                        .filter(|&j| order(j) > order(i) && segs[j].iter().any(|q| p.starts_with(q)))
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// Whether `value` written at `path` is read for some service: a gateway-wide limit, bound or
/// queue timeout only by services without their own (`[gateway.services.NAME]`, or their
/// group's), a group's table only by members without their own of the fields it sets; anything
/// else is read.
fn reaches_a_service(
    g: &model::scenario::GatewayConfig,
    services: &[model::scenario::ServiceSpec],
    path: &str,
    value: &Value,
) -> bool {
    use scenario::locate::Seg::Key;
    // The settings a service's own table overrides, by section.
    let fields = |section: &str| -> &'static [&'static str] {
        match section {
            "gateway" => &["concurrency", "queue_capacity", "queue_timeout"],
            // None for the clients: every timeout the file gives bounds an intent's lifetime
            // (`model::client::intent_lifetime_bound`, the Retry-After cut-off), so even one
            // that every service overrides changes a run.
            _ => &[],
        }
    };
    let own = |section: &str, table: &str, field: &str| match section {
        "gateway" => g.services.get(table).is_some_and(|o| match field {
            "concurrency" => o.concurrency.is_some(),
            "queue_capacity" => o.queue_capacity.is_some(),
            "queue_timeout" => o.queue_timeout.is_some(),
            _ => false,
        }),
        _ => false,
    };
    let segs = scenario::locate::parse_path(path);
    match segs.as_slice() {
        [Key(a), Key(field)] if fields(a).contains(&field.as_str()) => {
            services.is_empty()
                || services
                    .iter()
                    .any(|sv| !own(a, &sv.name, field) && !own(a, &sv.group, field))
        }
        [Key(a), Key(b), Key(table), rest @ ..] if !fields(a).is_empty() && b == "services" => {
            let overridable = fields(a);
            let set: Vec<&str> = match (rest, value.as_object()) {
                // A whole table: the fields it sets (a member's own concurrency does not
                // shadow a table that sets only the queue bound).
                ([], Some(t)) if t.keys().all(|f| overridable.contains(&f.as_str())) => {
                    t.keys().map(String::as_str).collect()
                }
                ([], _) => overridable.to_vec(),
                ([Key(field), ..], _) => vec![field.as_str()],
                _ => return true,
            };
            services
                .iter()
                .any(|sv| sv.name == *table || (sv.group == *table && set.iter().any(|f| !own(a, &sv.name, f))))
        }
        _ => true,
    }
}

/// The scenario with `assignments` applied, validated; assignments the strategy does not take
/// are dropped and listed (a grid crosses every strategy with every queue bound).
pub fn variant_dropping(base: &Scenario, assignments: &[(String, Value)]) -> Result<Variant, String> {
    let mut tree = serde_json::to_value(&base.file).map_err(|e| e.to_string())?;
    // The point's own settings first, then the wildcards over its services (a `count` or a
    // name it sets changes them), then its own again: a key naming one service wins over a
    // wildcard for every service, whatever the order of the axes.
    let specific: Vec<&(String, Value)> = assignments.iter().filter(|(k, _)| !is_wildcard(k)).collect();
    for (k, v) in &specific {
        set_path(&mut tree, k, v.clone())?;
    }
    let paths: Vec<Vec<String>> = assignments.iter().map(|(k, _)| expand_key(&tree, k)).collect();
    for ((k, v), paths) in assignments.iter().zip(&paths) {
        if is_wildcard(k) {
            for path in paths {
                set_path(&mut tree, path, v.clone())?;
            }
        }
    }
    for (k, v) in &specific {
        set_path(&mut tree, k, v.clone())?;
    }
    let mut file: ScenarioFile = serde_json::from_value(tree).map_err(|e| {
        // serde_json's error has no path: the assignment that fails on its own names it
        // (`gateway.concurrency=-1` said only "expected a non-negative integer").
        let hint = assignments.iter().find_map(|(k, _)| dotted_name_hint(base, k));
        let hint = hint.map(|h| format!(" ({h})")).unwrap_or_default();
        match blame(base, assignments) {
            Some((key, e)) => format!("{}: {key}: {}{hint}", describe(assignments), scenario::reword(&e, key)),
            None => {
                let path = assignments.first().map_or("", |(k, _)| k.as_str());
                format!(
                    "{}: {}{hint}",
                    describe(assignments),
                    scenario::reword(&e.to_string(), path)
                )
            }
        }
    })?;
    let before = serde_json::to_value(&file).map_err(|e| e.to_string())?;
    file.gateway.normalize();
    let after = serde_json::to_value(&file).map_err(|e| e.to_string())?;
    let ignored = assignments
        .iter()
        .zip(&paths)
        .filter(|((k, _), paths)| {
            paths.iter().any(|p| get_path(&before, p) != get_path(&after, p)) || !file.gateway.reads_table_of(k)
        })
        .map(|((k, _), _)| k.clone())
        .collect();
    // Before bounds are sized: a sized bound is no setting of the user's to override one.
    let gateway = file.gateway.clone();
    let mut scenario =
        scenario::resolve_sizing_bounds(&base.source, file).map_err(|e| format!("{}: {e}", describe(assignments)))?;
    // A varied duration or window is the user's, as if written in the file; so are the base's.
    scenario.given = base.given.with_changed(assignments.iter().map(|(k, _)| k.as_str()));
    scenario::check_given_timeline(&scenario).map_err(|e| format!("{}: {e}", describe(assignments)))?;
    let later = later_writers(assignments, &paths);
    let overridden = assignments
        .iter()
        .zip(paths.iter().zip(&later))
        .filter(|(_, (mine, _))| !mine.is_empty())
        .filter_map(|((k, v), (mine, later))| {
            let standing: Vec<&String> = mine
                .iter()
                .zip(later)
                .filter(|(_, l)| l.is_empty())
                .map(|(p, _)| p)
                .collect();
            if standing
                .iter()
                .any(|p| reaches_a_service(&gateway, &scenario.services, p, v))
            {
                return None;
            }
            let keys = |js: &mut dyn Iterator<Item = usize>| {
                let mut out: Vec<String> = Vec::new();
                for j in js {
                    if !out.contains(&assignments[j].0) {
                        out.push(assignments[j].0.clone());
                    }
                }
                out
            };
            let tables = |j: &usize| {
                assignments[*j].0 != *k
                    && paths[*j]
                        .iter()
                        .any(|p| p.starts_with("gateway.services.") || p.starts_with("clients.services."))
            };
            Some(Overridden {
                key: k.clone(),
                by: keys(&mut later.iter().flatten().copied()),
                shadowed_by: (!standing.is_empty()).then(|| keys(&mut (0..assignments.len()).filter(tables))),
            })
        })
        .collect();
    Ok(Variant {
        scenario,
        ignored,
        overridden,
    })
}

/// How to write `key` when it names a service with a dot in its name unquoted:
/// `gateway.services.api.v2.concurrency` is a key `v2` of a service `api`, and was refused as
/// "unknown key `v2`" with no word of `api.v2`, the service the file has.
fn dotted_name_hint(base: &Scenario, key: &str) -> Option<String> {
    use scenario::locate::Seg;
    let segs = scenario::locate::parse_path(key);
    let [Seg::Key(section), Seg::Key(services), rest @ ..] = segs.as_slice() else {
        return None;
    };
    if !matches!(section.as_str(), "gateway" | "clients") || services != "services" {
        return None;
    }
    let keys: Vec<&str> = rest
        .iter()
        .map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        })
        .collect::<Option<_>>()?;
    let known = |name: &str| base.services.iter().any(|s| s.name == name || s.group == name);
    // The longest name first: `a.b.c` over `a.b` when the file has both.
    (2..keys.len()).rev().find_map(|n| {
        let name = keys[..n].join(".");
        known(&name).then(|| {
            let field: Vec<String> = keys[n..].iter().map(|k| scenario::locate::key(k)).collect();
            format!(
                "the service `{name}` has a dot in its name: quote it, '{section}.services.{}.{}'",
                scenario::locate::key(&name),
                field.join(".")
            )
        })
    })
}

/// The first of `assignments` that makes `base`'s file unreadable on its own, with serde's
/// error: which key a point's failure is of. `None` when only several together fail.
fn blame<'a>(base: &Scenario, assignments: &'a [(String, Value)]) -> Option<(&'a str, String)> {
    let tree = serde_json::to_value(&base.file).ok()?;
    assignments.iter().find_map(|(k, v)| {
        let mut t = tree.clone();
        for path in expand_key(&tree, k) {
            set_path(&mut t, &path, v.clone()).ok()?;
        }
        serde_json::from_value::<ScenarioFile>(t)
            .err()
            .map(|e| (k.as_str(), e.to_string()))
    })
}

/// Refuses, naming `flag` and the key, an axis whose path does not reach into `base`'s file:
/// an index past the end of a list (`workload.phases[5]` of three), a list the file does not
/// have, a field inside a value that is no table. Checked once per axis, before the grid:
/// every point would fail alike. (An axis cannot lengthen a list another indexes: one axis
/// inside another's value is refused.)
pub fn check_paths(base: &Scenario, flag: &str, axes: &[Axis]) -> Result<(), String> {
    let tree = serde_json::to_value(&base.file).map_err(|e| e.to_string())?;
    for a in axes {
        let Some(v) = a.values.first() else { continue };
        let mut t = tree.clone();
        for path in expand_key(&tree, &a.key) {
            set_path(&mut t, &path, v.clone()).map_err(|e| {
                let e = e.strip_prefix(&format!("`{}`: ", a.key)).unwrap_or(&e);
                format!("{flag} {}: {e}", a.key)
            })?;
        }
    }
    Ok(())
}

/// The scenario with `assignments` applied, validated; an assignment the strategy does not
/// take is an error, as it is in a scenario file.
pub fn variant(base: &Scenario, assignments: &[(String, Value)]) -> Result<Scenario, String> {
    let v = variant_dropping(base, assignments)?;
    match v.ignored.first() {
        None => Ok(v.scenario),
        Some(key) => Err(format!(
            "`{key}`: {}",
            not_taken(v.scenario.file.gateway.strategy.as_str(), key)
        )),
    }
}

/// Why `strategy` does not take `key` (one of the keys [`model::scenario::GatewayConfig::normalize`] drops).
fn not_taken(strategy: &str, key: &str) -> String {
    match key {
        "gateway.queue_capacity" => format!(
            "strategy \"{strategy}\" has no queue bound (unbounded by design): set gateway.strategy to \"bounded\" (or deadline, codel, lifo, adaptive) with it (`--strategy bounded` on `sim run`)"
        ),
        "gateway.concurrency" => format!("strategy \"{strategy}\" has no concurrency limit"),
        k if k.starts_with("gateway.codel.") => {
            format!("[gateway.codel] applies only under strategy \"codel\" or \"adaptive-lifo\", not \"{strategy}\"")
        }
        k if k.starts_with("gateway.adaptive.") => {
            format!("[gateway.adaptive] applies only under strategy \"adaptive\", not \"{strategy}\"")
        }
        _ => format!("strategy \"{strategy}\" does not take it"),
    }
}

pub fn describe(a: &[(String, Value)]) -> String {
    a.iter()
        .map(|(k, v)| format!("{k}={}", show_value(v)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A configuration's settings as the findings name it: the scenario as it is when the sweep
/// varies only the load.
fn settings_name(settings: &[(String, Value)]) -> String {
    if settings.is_empty() {
        "the scenario as it is".to_string()
    } else {
        describe(settings)
    }
}

/// An axis value as the tables print it; `-` for a setting the point's strategy does not take.
pub fn show_value(v: &Value) -> String {
    match v {
        Value::Null => "-".to_string(),
        Value::String(s) => s.clone(),
        v => toml_inline(v),
    }
}

/// A value as TOML inline, as `--vary` takes it: `{ dist = "exponential", mean = "1s" }`.
fn toml_inline(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let fields: Vec<String> = m.iter().map(|(k, v)| format!("{k} = {}", toml_inline(v))).collect();
            format!("{{ {} }}", fields.join(", "))
        }
        Value::Array(a) => format!("[{}]", a.iter().map(toml_inline).collect::<Vec<_>>().join(", ")),
        // JSON's string escapes are TOML's basic string's.
        v => v.to_string(),
    }
}

/// One point of the grid and its headline figures, whole-run and per group.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Point {
    pub params: Vec<(String, Value)>,
    pub goodput_ratio: f64,
    /// Successful intents per second (absent from tables of older spillway versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goodput: Option<f64>,
    pub p50: f64,
    pub p99: f64,
    pub amplification: f64,
    pub wasted_s: f64,
    pub recovery_s: Option<f64>,
    pub verdict: String,
    /// The whole run held through the trigger (in every seed): its goodput never fell below the
    /// recovery line, which `verdict` says as `recovered` with a recovery of 0 (the envelope and
    /// filters on it read it so); tables say `held`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub held: bool,
    pub attempts: u64,
    /// SLOs all hold (in every seed).
    pub meets_slo: bool,
    /// Seeds simulated (`--replications`): the figures are their means, the verdicts (whole run
    /// and groups) the worst any seed had, and the point meets the SLO only if every seed does.
    #[serde(default = "one_seed", skip_serializing_if = "is_one_seed")]
    pub seeds: u32,
    /// With several seeds: in how many the SLOs all held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slo_held: Option<u32>,
    /// Per priority class and per service, for scenarios that keep them: their figures and
    /// verdicts, so a group's figure can be the objective (`service[billing].goodput_ratio`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub classes: BTreeMap<Priority, GroupSummary>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, GroupSummary>,
    /// What each SLO measured, in `--slo` order, as its check reads it ("1.20s", "never",
    /// "2.10s in service billing"; over seeds, their mean): sweep points keep a few figures
    /// for the whole run, and an SLO may judge any (p999, timeouts, every service's p99).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slo_measured: Vec<String>,
    /// The same as numbers, for sweep.csv: the value (over seeds, the mean of those that have
    /// one) in the metric's unit (seconds, a ratio, a count, per second); `None` when no seed
    /// measured it, and for a recovery that never came in any one seed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slo_values: Vec<Option<f64>>,
    /// The queue bound a `bounded` point ran with when it was given none (by the file or an
    /// axis) and one was sized for it ([`Plan::sized_bounds_note`]): the sizing answer must
    /// say which bound it measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sized_queue_capacity: Option<u32>,
    /// The same when services were sized different bounds, by service (then
    /// `sized_queue_capacity` is absent).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sized_queue_capacities: BTreeMap<String, u32>,
    /// A seed's run stopped before its end (the simulator's cap on requests held at once):
    /// why. Its figures cover part of the run, so the point is not judged: its verdict is
    /// `stopped` and it meets no SLO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

fn one_seed() -> u32 {
    1
}

fn is_one_seed(n: &u32) -> bool {
    *n == 1
}

/// Worse verdicts rank higher: a point is judged by its worst seed. A seed without a verdict
/// (a run cut short) ranks worst: a point is not known to recover unless every seed says so.
fn severity(v: Option<Verdict>) -> u8 {
    match v {
        Some(Verdict::Stable) => 0,
        Some(Verdict::Recovered) => 1,
        Some(Verdict::Overloaded) => 2,
        Some(Verdict::Metastable) => 3,
        None => 4,
    }
}

fn worst_verdict(vs: impl Iterator<Item = Option<Verdict>>) -> Option<Verdict> {
    vs.max_by_key(|v| severity(*v)).flatten()
}

/// Groups: a group without a verdict in a seed (it sent nothing before the trigger, say) says
/// nothing, so the worst of the verdicts the seeds have.
fn worst_group_verdict(vs: impl Iterator<Item = Option<Verdict>>) -> Option<Verdict> {
    worst_verdict(vs.filter(Option::is_some))
}

fn recovers(v: Option<Verdict>) -> bool {
    matches!(v, None | Some(Verdict::Stable | Verdict::Recovered))
}

impl Point {
    /// The queue bound(s) sized for it, if any: `12`, or `accounts=140 risk=4` per service.
    pub fn sized_text(&self) -> Option<String> {
        if let Some(q) = self.sized_queue_capacity {
            return Some(q.to_string());
        }
        (!self.sized_queue_capacities.is_empty()).then(|| {
            self.sized_queue_capacities
                .iter()
                .map(|(n, q)| format!("{n}={q}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
    }

    /// " (queue bound sized: 12)", for the findings; empty when nothing was sized.
    fn sized_note(&self) -> String {
        match (self.sized_queue_capacity, self.sized_text()) {
            (Some(q), _) => format!(" (queue bound sized: {q})"),
            (None, Some(t)) => format!(" (queue bounds sized: {t})"),
            (None, None) => String::new(),
        }
    }

    /// Whether the system came through: the whole run and every priority class and service the
    /// point keeps were stable or recovered (one drowning service hides in the average of the
    /// healthy ones), and the run was judged at all.
    pub fn recovered(&self) -> bool {
        matches!(self.verdict.as_str(), "stable" | "recovered")
            && self
                .classes
                .values()
                .chain(self.services.values())
                .all(|g| recovers(g.verdict))
    }

    /// The whole run's verdict as tables show it: `held` for a recovery that never dipped.
    pub fn verdict_name(&self) -> &str {
        if self.held && self.verdict == "recovered" {
            "held"
        } else {
            &self.verdict
        }
    }

    /// The whole run's verdict, and the group that did not recover when the whole run did:
    /// "recovered (service billing metastable)".
    pub fn verdict_text(&self) -> String {
        if matches!(self.verdict.as_str(), "stable" | "recovered") && !self.recovered() {
            format!("{} ({})", self.verdict_name(), self.failure())
        } else {
            self.verdict_name().to_string()
        }
    }

    /// What kept the point from recovering: "metastable", or "service billing metastable".
    pub fn failure(&self) -> String {
        if let Some(why) = &self.stopped {
            return format!("not judged: the run {why}");
        }
        if self.verdict == "-" {
            return "not judged (no verdict: the run has no trigger phase, ends in it or too soon after it, ends with its backlog still draining, or sent nothing before it)"
                .to_string();
        }
        if !matches!(self.verdict.as_str(), "stable" | "recovered") {
            return self.verdict.clone();
        }
        let classes = self.classes.iter().map(|(c, g)| (c.as_str().to_string(), g));
        let services = self.services.iter().map(|(n, g)| (format!("service {n}"), g));
        classes
            .chain(services)
            .find_map(|(name, g)| match g.verdict {
                Some(v) if !recovers(Some(v)) => Some(format!("{name} {}", v.as_str())),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// The value of `f` at this point; `None` when the point does not keep it (see
    /// [`parse_objective`]), or when it did not happen (no recovery; a latency of a group that
    /// sent nothing).
    pub fn value(&self, f: &Figure) -> Option<f64> {
        let g = match &f.scope {
            Scope::Whole => {
                return match f.metric {
                    Metric::GoodputRatio => Some(self.goodput_ratio),
                    Metric::Goodput => self.goodput,
                    // No latency where nothing succeeded (see `Figure::value_in`).
                    Metric::P50 => (self.goodput_ratio > 0.0).then_some(self.p50),
                    Metric::P99 => (self.goodput_ratio > 0.0).then_some(self.p99),
                    Metric::Amplification => Some(self.amplification),
                    Metric::Wasted => Some(self.wasted_s),
                    Metric::Recovery => self.recovery_s,
                    _ => None,
                };
            }
            Scope::Class(c) => self.classes.get(c)?,
            Scope::Service(name) => self.services.get(name)?,
            // No single value (objectives cannot name it: see `parse_objective`).
            Scope::EveryService => return None,
        };
        f.value_in(g)
    }

    /// Whether the point keeps the figure at all (a group the scenario keeps; `goodput` is
    /// absent from tables of older spillway versions).
    pub fn keeps(&self, f: &Figure) -> bool {
        match &f.scope {
            Scope::Whole if f.metric == Metric::Goodput => self.goodput.is_some(),
            Scope::Whole => OBJECTIVES.contains(&f.metric),
            Scope::Class(c) => self.classes.contains_key(c),
            Scope::Service(name) => self.services.contains_key(name),
            Scope::EveryService => false,
        }
    }

    /// Whether the point has a verdict for the figure's scope (so a missing recovery means
    /// "never", not "not kept").
    fn judged(&self, scope: &Scope) -> bool {
        match scope {
            Scope::Whole => self.verdict != "-",
            Scope::Class(c) => self.classes.get(c).is_some_and(|g| g.verdict.is_some()),
            Scope::Service(name) => self.services.get(name).is_some_and(|g| g.verdict.is_some()),
            Scope::EveryService => false,
        }
    }
}

/// What `sim sweep` writes to sweep.json: the points and what they were judged by, so a report
/// of the table shows the same best configuration. (Tables of older versions are a bare array
/// of points; [`Table::parse`] reads both.)
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Table {
    /// The swept scenario's name (absent from tables of older spillway versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    pub objective: String,
    #[serde(default)]
    pub slo: Vec<String>,
    /// The grid's size, when the sweep was interrupted (Ctrl-C) before every point ran: `points`
    /// holds the ones that did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_points: Option<usize>,
    /// The indexes of the scenario's trigger phases, for the safe envelope over a burst's
    /// length ([`envelope_axis`]; absent from tables of older spillway versions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bursts: Vec<usize>,
    pub points: Vec<Point>,
}

/// The keys a sweep table's object can start with, as `sim sweep` writes it or a user edits it.
const TABLE_KEYS: [&str; 4] = ["scenario", "objective", "slo", "points"];

/// The first key of the JSON object `t` starts with, if it starts with one.
fn first_key(t: &str) -> Option<String> {
    let rest = t.strip_prefix('{')?.trim_start();
    let mut de = serde_json::Deserializer::from_str(rest).into_iter::<String>();
    de.next()?.ok()
}

impl Table {
    /// A sweep table from sweep.json text: `None` when the text is not one (a results file).
    pub fn parse(text: &str) -> Option<Result<Table, serde_json::Error>> {
        /// What an older table's SLO is called: it did not keep its text.
        const OLD_TABLE_SLO: &str = "an SLO this older table does not name";
        let t = text.trim_start();
        // An array of points (older tables); not a TOML file's `[run]`, which is no table.
        if t.strip_prefix('[')
            .is_some_and(|r| r.trim_start().starts_with(['{', ']']))
        {
            return Some(serde_json::from_str::<Vec<Point>>(t).map(|points| Table {
                scenario: None,
                objective: String::new(),
                // Such a table kept whether each point met the SLO, not the SLO's text: a
                // point that did not met one ("best under the SLO (none given)" beside cells
                // marked "fails SLO").
                slo: if points.iter().any(|p| !p.meets_slo) {
                    vec![OLD_TABLE_SLO.to_string()]
                } else {
                    Vec::new()
                },
                planned_points: None,
                bursts: Vec::new(),
                points,
            }));
        }
        // A results file as spillway writes it starts with "schema": told without building a
        // `Value` of it (several times the file's size).
        if first_key(t).as_deref() == Some("schema") {
            return None;
        }
        // Parsed from the text, not from a `Value`: errors then have a real line and column.
        match serde_json::from_str::<Value>(t) {
            Ok(v) => {
                v.get("points")?;
                Some(serde_json::from_str(t))
            }
            // A table cut short (a full disk, a copy stopped half-way) is still a table, told by
            // its first key; a results file starts with "schema".
            Err(_) if TABLE_KEYS.contains(&first_key(t)?.as_str()) => Some(serde_json::from_str(t)),
            Err(_) => None,
        }
    }

    /// Refuses figures no sweep produces (a goodput ratio of 7, a p99 of -1 s), as a results
    /// file's are refused, naming the point and the field: a report would chart them.
    pub fn check(&self) -> Result<(), String> {
        use model::results::figures as f;
        self.check_plan()?;
        for (i, p) in self.points.iter().enumerate() {
            let at = |field: &str| format!("points[{i}].{field}");
            f::ratio(p.goodput_ratio, &at("goodput_ratio"))?;
            if let Some(g) = p.goodput {
                f::amount(g, &at("goodput"))?;
            }
            f::latency(p.p50, &at("p50"))?;
            f::latency(p.p99, &at("p99"))?;
            f::amount(p.amplification, &at("amplification"))?;
            if p.seeds == 1 {
                amplification_of_one_seed(p.amplification, p.attempts, &at("amplification"))?;
            }
            f::amount(p.wasted_s, &at("wasted_s"))?;
            if let Some(r) = p.recovery_s {
                f::seconds(r, &at("recovery_s"))?;
            }
            if p.seeds == 0 {
                return Err(format!("{}: 0: expected at least 1 seed", at("seeds")));
            }
            if let Some(held) = p.slo_held.filter(|h| *h > p.seeds) {
                return Err(format!("{}: {held}: more than the {} seeds", at("slo_held"), p.seeds));
            }
            for (c, g) in &p.classes {
                f::group(g, &at(&format!("classes.{}", c.as_str())))?;
                if p.seeds == 1 {
                    amplification_of_one_seed(
                        g.amplification,
                        g.attempts,
                        &at(&format!("classes.{}.amplification", c.as_str())),
                    )?;
                }
            }
            for (name, g) in &p.services {
                f::group(g, &at(&format!("services.{name}")))?;
                if p.seeds == 1 {
                    amplification_of_one_seed(
                        g.amplification,
                        g.attempts,
                        &at(&format!("services.{name}.amplification")),
                    )?;
                }
            }
            self.check_stable_after_trigger(i, p)?;
        }
        Ok(())
    }

    /// `planned_points`, written only by a sweep interrupted before every point ran: the
    /// grid's size, more than the points that ran and at most [`MAX_COMBINATIONS`] (the
    /// largest grid a sweep runs). A smaller one made the report say "interrupted: 9 of the
    /// grid's 4 points ran".
    fn check_plan(&self) -> Result<(), String> {
        let Some(planned) = self.planned_points else {
            return Ok(());
        };
        let ran = self.points.len();
        if planned <= ran {
            return Err(format!(
                "planned_points: {planned}, but the table holds {ran} points: a sweep records the grid's size only when interrupted before all of it ran, so it is more than the points (a finished sweep's table has no planned_points)"
            ));
        }
        if planned > MAX_COMBINATIONS {
            return Err(format!(
                "planned_points: {planned}: a sweep's grid has at most {MAX_COMBINATIONS} points"
            ));
        }
        Ok(())
    }

    /// `stable` is the verdict of a run without a trigger phase: with one (`bursts` names the
    /// scenario's), a run recovered, stayed metastable or was overloaded. A table saying both
    /// was edited (the report would chart a `stable` burst and take the envelope over it).
    /// Not when an axis may switch a phase's trigger off, or replace the phases.
    fn check_stable_after_trigger(&self, i: usize, p: &Point) -> Result<(), String> {
        let Some(&first) = self.bursts.first() else {
            return Ok(());
        };
        let may_untrigger = |k: &str| {
            k == "workload"
                || k == "workload.phases"
                || k.ends_with(".trigger")
                || (phase_of(k).is_some() && !k.contains("]."))
        };
        if p.params.iter().any(|(k, _)| may_untrigger(k)) {
            return Ok(());
        }
        use model::results::Verdict;
        let stable_group = p
            .classes
            .iter()
            .map(|(c, g)| (format!("classes.{}.verdict", c.as_str()), g.verdict))
            .chain(
                p.services
                    .iter()
                    .map(|(n, g)| (format!("services.{n}.verdict"), g.verdict)),
            )
            .find(|(_, v)| *v == Some(Verdict::Stable))
            .map(|(field, _)| field);
        let field = if p.verdict == "stable" {
            Some("verdict".to_string())
        } else {
            stable_group
        };
        match field {
            Some(field) => Err(format!(
                "points[{i}].{field}: `stable`, but bursts says the scenario has a trigger phase (workload.phases[{first}]): a run with a trigger phase recovers, stays metastable or is overloaded; `stable` is the verdict of a run without one"
            )),
            None => Ok(()),
        }
    }

    /// The points' axes, in order, with their values in first-seen order.
    pub fn axes(&self) -> Vec<Axis> {
        let mut axes: Vec<Axis> = Vec::new();
        for p in &self.points {
            for (k, v) in &p.params {
                match axes.iter_mut().find(|a| a.key == *k) {
                    Some(a) if !a.values.contains(v) => a.values.push(v.clone()),
                    Some(_) => {}
                    None => axes.push(Axis {
                        key: k.clone(),
                        values: vec![v.clone()],
                    }),
                }
            }
        }
        axes
    }
}

/// A run's amplification is attempts / intents offered, and the simulator sends each intent's
/// first attempt when it arrives: at least 1 when anything was offered, 0 (with no attempts)
/// when nothing was. Of one seed only: a mean over seeds, some of which offered nothing, may
/// lie between.
fn amplification_of_one_seed(amplification: f64, attempts: u64, field: &str) -> Result<(), String> {
    // The ratio of two integers read back from its shortest form: a hair of slack.
    if amplification == 0.0 && attempts == 0 || amplification >= 1.0 - 1e-9 && attempts > 0 {
        return Ok(());
    }
    Err(format!(
        "{field}: {amplification}, with {attempts} attempts: amplification is attempts / intents offered, at least 1 when anything was sent (each intent's first attempt is one) and 0 when nothing was"
    ))
}

/// How many combinations the axes make, refused above [`MAX_COMBINATIONS`] (checked: the
/// product of a few long axes overflows `usize`).
pub fn grid_size(axes: &[Axis]) -> Result<usize, String> {
    let n = axes.iter().try_fold(1usize, |n, a| n.checked_mul(a.values.len()));
    match n {
        Some(n) if n <= MAX_COMBINATIONS => Ok(n),
        _ => {
            let sizes = axes
                .iter()
                .map(|a| format!("{} ({} values)", a.key, a.values.len()))
                .collect::<Vec<_>>()
                .join(" x ");
            let n = n.map_or_else(|| format!("more than {}", usize::MAX), |n| n.to_string());
            Err(format!(
                "--vary: the axes {sizes} make {n} combinations; a sweep takes at most {MAX_COMBINATIONS}: narrow an axis"
            ))
        }
    }
}

/// Every combination of the axes; refused when there are too many ([`grid_size`]).
pub fn grid(axes: &[Axis]) -> Result<Vec<Vec<(String, Value)>>, String> {
    grid_size(axes)?;
    let mut out = vec![Vec::new()];
    for a in axes {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                a.values.iter().map(move |v| {
                    let mut p = prefix.clone();
                    p.push((a.key.clone(), v.clone()));
                    p
                })
            })
            .collect();
    }
    Ok(out)
}

/// The grid to simulate: each distinct configuration once, with the scenario it runs.
pub struct Plan {
    /// Combinations of the axes (before identical configurations are merged).
    pub combinations: usize,
    /// The scenario the axes vary.
    base: Scenario,
    /// Per point: its settings as the tables show them (`-`, null, for one its strategy does
    /// not take), the assignments it was validated with, and its seed. Not its scenario: one
    /// of ten services and two hundred APIs is tens of kilobytes, and a grid has up to
    /// [`MAX_COMBINATIONS`] points; each is built again when it runs ([`Plan::scenario`]).
    pub points: Vec<PlannedPoint>,
    /// Per point (in the order of `points`), the queue bounds sized for it, by service (empty
    /// when none was).
    pub sized: Vec<Vec<(String, u32)>>,
    /// Axes some point's strategy does not take, with those strategies (`-` in the tables).
    pub ignored: Vec<(String, Vec<String>)>,
    /// The least and greatest queue bound sized for `bounded` points that were given none
    /// (by the file or an axis), to be said rather than silent.
    pub sized_bounds: Option<(u32, u32)>,
}

/// One point of a [`Plan`].
pub struct PlannedPoint {
    pub params: Params,
    assignments: Params,
    pub seed: u64,
}

impl Plan {
    /// Point `i`'s scenario, as [`plan`] validated it.
    pub fn scenario(&self, i: usize) -> Result<Scenario, String> {
        let p = self.points.get(i).ok_or_else(|| format!("no point {i}"))?;
        variant_dropping(&self.base, &p.assignments).map(|v| v.scenario)
    }

    /// The note on bounds sized for the user, if any point got one.
    pub fn sized_bounds_note(&self) -> Option<String> {
        let (lo, hi) = self.sized_bounds?;
        let range = if lo == hi {
            lo.to_string()
        } else {
            format!("{lo} to {hi}")
        };
        Some(format!(
            "strategy bounded: points without gateway.queue_capacity get a queue bound for each service sized from the clients' median timeout (what the gateway drains from the service within half that timeout; {range} in this grid, each point's in sweep.csv's sized_queue_capacity); add --vary gateway.queue_capacity=... to choose"
        ))
    }
}

/// The first of `figures` (each with the flag that gave it) that a point cannot measure (a
/// misspelt service, a class without priorities, a recovery the run ends too soon to judge),
/// as (flag, where, the problem). A figure of a class or a service, and recovery, is checked at
/// every point, as an axis can rename services (`count` makes `risk` `risk-1`..), drop the
/// priorities or change the time line; where is "" for the file's own problem
/// (every point has it, as the file does), else which point, or "at every point, e.g. ...".
pub fn figure_problem(plan: &Plan, figures: &[(String, &Figure)]) -> Option<(String, String, String)> {
    use rayon::prelude::*;
    let first = |s: &Scenario| {
        figures
            .iter()
            .find_map(|(flag, f)| s.figure_problem(f).map(|p| (flag.clone(), p)))
    };
    let base = first(&plan.base);
    // Recovery too when an axis sets the time line (`run.*`, `workload.*`): it can lengthen or
    // cut the time after the trigger that judging it takes. Nothing else moves it, and building
    // every point again costs seconds at the bound on points.
    let timed = |k: &str| k.starts_with("run.") || k.starts_with("workload.");
    let retimed = plan.points.iter().any(|p| p.assignments.iter().any(|(k, _)| timed(k)));
    let per_point = figures
        .iter()
        .any(|(_, f)| f.scope != Scope::Whole || (f.metric == Metric::Recovery && retimed))
        && plan.points.iter().any(|p| !p.assignments.is_empty());
    if !per_point {
        return base.map(|(flag, p)| (flag, String::new(), p));
    }
    // Each point's scenario is built again, as `plan` built it: in parallel, as the sweep runs.
    let failing: Vec<Option<(String, String)>> = (0..plan.points.len())
        .into_par_iter()
        .map(|i| plan.scenario(i).ok().and_then(|s| first(&s)))
        .collect();
    let (i, found) = failing
        .iter()
        .enumerate()
        .find_map(|(i, f)| f.clone().map(|f| (i, f)))?;
    let at = describe(&plan.points[i].params);
    if failing.iter().all(Option::is_some) {
        if failing.iter().flatten().all(|f| *f == found) && base.as_ref() == Some(&found) {
            return Some((found.0, String::new(), found.1));
        }
        return Some((found.0, format!("at every point, e.g. at {at}: "), found.1));
    }
    Some((found.0, format!("at {at}: "), found.1))
}

/// Every combination of the axes, validated before anything runs (a bad value is reported
/// before hours of simulation). A setting a point's strategy does not take (a queue bound for
/// fifo) is shown as `-` (null) and the configurations that become identical run once; an axis
/// that no point takes is an error.
pub fn plan(base: &Scenario, axes: &[Axis]) -> Result<Plan, String> {
    plan_until(base, axes, &std::sync::atomic::AtomicBool::new(false))?.ok_or_else(|| "interrupted".to_string())
}

/// [`plan`], given up (`None`) once `stop` is set: building and checking every point of a
/// large grid takes seconds (7 s for 100,000 points), which Ctrl-C should not wait out.
pub fn plan_until(
    base: &Scenario,
    axes: &[Axis],
    stop: &std::sync::atomic::AtomicBool,
) -> Result<Option<Plan>, String> {
    let combinations = grid(axes)?;
    check_paths(base, "--vary", axes)?;
    // Points are held to --slo alone, not to the file's thresholds (said beside the findings):
    // nor are they checked against them. A `recovery <= 30s` the file keeps refused a
    // `run.duration` (or a phase's duration, or a window) too short to judge recovery in, at a
    // point whose verdict says "not judged" by itself.
    let mut base = base.clone();
    base.file.thresholds.clear();
    base.thresholds.clear();
    let base = &base;
    let mut plan = Plan {
        combinations: combinations.len(),
        base: base.clone(),
        points: Vec::new(),
        sized: Vec::new(),
        ignored: Vec::new(),
        sized_bounds: None,
    };
    let mut taken = vec![false; axes.len()];
    // Per axis, where a point overrode all it set: by which axes, and whether by services' own
    // tables (the file's or an axis's).
    let mut overridden: Vec<Option<Overridden>> = vec![None; axes.len()];
    let mut seen = std::collections::HashSet::new();
    for assignments in combinations {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(None);
        }
        let mut params = assignments.clone();
        let v = variant_dropping(base, &params)?;
        let sized = v.scenario.sized_bounds.clone();
        for &(_, q) in &sized {
            let (lo, hi) = plan.sized_bounds.unwrap_or((q, q));
            plan.sized_bounds = Some((lo.min(q), hi.max(q)));
        }
        let strategy = v.scenario.file.gateway.strategy.as_str();
        for (i, (k, value)) in params.iter_mut().enumerate() {
            if !v.ignored.contains(k) {
                // A setting whose every effect something else overrides changes nothing here.
                match (v.overridden.iter().find(|o| o.key == *k), &mut overridden[i]) {
                    (None, _) => taken[i] = true,
                    (Some(o), slot @ None) => *slot = Some(o.clone()),
                    (Some(o), Some(seen)) => {
                        let union = |to: &mut Vec<String>, from: &[String]| {
                            for b in from {
                                if !to.contains(b) {
                                    to.push(b.clone());
                                }
                            }
                        };
                        union(&mut seen.by, &o.by);
                        if let Some(from) = &o.shadowed_by {
                            union(seen.shadowed_by.get_or_insert_with(Vec::new), from);
                        }
                    }
                }
                continue;
            }
            *value = Value::Null;
            match plan.ignored.iter_mut().find(|(key, _)| key == k) {
                Some((_, by)) if by.iter().any(|s| s == strategy) => {}
                Some((_, by)) => by.push(strategy.to_string()),
                None => plan.ignored.push((k.clone(), vec![strategy.to_string()])),
            }
        }
        // Keyed by the JSON text: a linear scan per point was quadratic in the grid's size.
        if seen.insert(serde_json::to_string(&params).unwrap_or_default()) {
            plan.points.push(PlannedPoint {
                params,
                assignments,
                seed: v.scenario.seed(),
            });
            plan.sized.push(sized);
        }
    }
    if let Some((i, o)) = taken
        .iter()
        .zip(&overridden)
        .enumerate()
        .find_map(|(i, (t, o))| o.as_ref().filter(|_| !t).map(|o| (i, o)))
    {
        return Err(overridden_error(&axes[i].key, o));
    }
    if let Some(i) = taken.iter().position(|t| !t) {
        let key = &axes[i].key;
        let by = plan
            .ignored
            .iter()
            .find(|(k, _)| k == key)
            .map_or(String::new(), |(_, by)| by.join(", "));
        return Err(format!(
            "--vary {key}: no point of the grid takes it: {}",
            not_taken(&by, key)
        ));
    }
    Ok(Some(plan))
}

/// Why axis `key` changes nothing at any point of the grid ([`plan`]'s error).
fn overridden_error(key: &str, o: &Overridden) -> String {
    let field = key.rsplit('.').next().unwrap_or(key);
    let setters = match o.shadowed_by.as_deref() {
        None | Some([]) => "in the file".to_string(),
        Some(by) => format!(
            "set by {} or the file",
            by.iter().map(|k| format!("--vary {k}")).collect::<Vec<_>>().join(", ")
        ),
    };
    // `gateway` or `clients`: the section whose per-service tables override the key.
    let section = if key.starts_with("clients.") {
        "clients"
    } else {
        "gateway"
    };
    let own = |whose: &str| {
        format!("every service{whose} sets its own {field} ({section}.services.<name>.{field}, {setters})")
    };
    if o.by.is_empty() {
        return match key.strip_prefix(&format!("{section}.services.")) {
            // A group's whole table: no field to name, its members set every one it sets.
            Some(group) if !group.contains('.') => format!(
                "--vary {key}: no point of the grid takes it: every service of group {group} sets its own value for each setting it sets ({section}.services.<name>, {setters}), which overrides its group's; vary those settings under {section}.services.* instead"
            ),
            Some(rest) => {
                let group = rest.strip_suffix(&format!(".{field}")).unwrap_or(rest);
                format!(
                    "--vary {key}: no point of the grid takes it: {}, which overrides its group's; vary {section}.services.*.{field} instead",
                    own(&format!(" of group {group}"))
                )
            }
            None => format!(
                "--vary {key}: no point of the grid takes it: {}, which overrides the {section}-wide one; vary {section}.services.*.{field} instead",
                own("")
            ),
        };
    }
    let by: Vec<String> = o.by.iter().map(|k| format!("--vary {k}")).collect();
    let rest = if o.shadowed_by.is_some() {
        " and the rest by services' own settings"
    } else {
        ""
    };
    // The order of the axes does not matter: a key naming one service is applied last.
    let why = if is_wildcard(key) && o.by.iter().any(|k| !is_wildcard(k)) {
        " (a key naming one service wins over a wildcard)"
    } else {
        ""
    };
    format!(
        "--vary {key}: no point of the grid takes it: all it sets, for every service it applies to, is set again by {}{rest}{why}, so its values change nothing: drop one of the axes",
        by.join(" and ")
    )
}

/// Refuses a plan whose points' seeds (each point's seed, +1, ... for `seeds` replications)
/// would pass `u64::MAX` (a scenario seed near it), before anything runs: [`run_plan`] would
/// wrap round to seed 0.
pub fn check_seeds(plan: &Plan, seeds: u32) -> Result<(), String> {
    let extra = u64::from(seeds.max(1)) - 1;
    match plan.points.iter().find(|p| p.seed.checked_add(extra).is_none()) {
        None => Ok(()),
        Some(p) => Err(format!(
            "--replications {seeds}: the point `{}` has seed {}, and its seeds would pass {}, the largest; use a seed of at most {}",
            describe(&p.params),
            p.seed,
            u64::MAX,
            u64::MAX - extra
        )),
    }
}

/// Runs the plan's points in parallel, each with `seeds` seeds (the scenario's seed, +1, ...;
/// [`check_seeds`] says whether they fit); `tick` is called once per finished simulation.
pub fn run_plan(plan: Plan, slo: &[Threshold], seeds: u32, tick: &(dyn Fn() + Sync)) -> Vec<Point> {
    run_plan_until(plan, slo, seeds, tick, &AtomicBool::new(false))
}

/// [`run_plan`], starting no simulation once `stop` is set (Ctrl-C): the points whose every
/// seed ran, in plan order; a point left part-way is left out, not averaged over fewer seeds.
pub fn run_plan_until(
    plan: Plan,
    slo: &[Threshold],
    seeds: u32,
    tick: &(dyn Fn() + Sync),
    stop: &AtomicBool,
) -> Vec<Point> {
    let seeds = seeds.max(1) as u64;
    // Each point is reduced to its figures as soon as its seeds have run: a whole `Results`
    // (window counters per service and class, histograms) is megabytes for a scenario of ten
    // services, and a table of every run's figures for the largest grid times the most seeds
    // is 10^8 entries; holding either ran out of memory.
    let points: Vec<Option<Point>> = (0..plan.points.len())
        .into_par_iter()
        .map(|i| {
            if stop.load(Ordering::Relaxed) {
                return None;
            }
            // Built again as `plan` built it when it validated the point, so it cannot fail
            // here unless that changed; a point that did would be left out, and said.
            let s = match plan.scenario(i) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!("point {} of the sweep, left out: {e}", i + 1);
                    return None;
                }
            };
            let runs: Option<Vec<(Summary, Option<String>)>> = (0..seeds)
                .into_par_iter()
                .map(|k| {
                    if stop.load(Ordering::Relaxed) {
                        return None;
                    }
                    // Points keep only headline figures: no window histograms to record or compress.
                    let r = simulate_summary(&s, Some(s.seed().wrapping_add(k)));
                    tick();
                    Some((r.summary, r.stopped))
                })
                .collect();
            // A point left part-way (Ctrl-C) is left out, not averaged over fewer seeds.
            Some(reduce_point(plan.points[i].params.clone(), &plan.sized[i], runs?, slo))
        })
        .collect();
    points.into_iter().flatten().collect()
}

/// A point from its seeds' summaries and, for a run that stopped before its end, why; `sized`
/// the queue bounds sized for it.
fn reduce_point(
    params: Vec<(String, Value)>,
    sized: &[(String, u32)],
    runs: Vec<(Summary, Option<String>)>,
    slo: &[Threshold],
) -> Point {
    let (runs, stopped): (Vec<Summary>, Vec<Option<String>>) = runs.into_iter().unzip();
    let one = sized.first().map(|f| f.1).filter(|q| sized.iter().all(|(_, x)| x == q));
    let mut p = Point {
        sized_queue_capacity: one,
        sized_queue_capacities: if one.is_none() {
            sized.iter().cloned().collect()
        } else {
            BTreeMap::new()
        },
        ..point(params, &runs, slo)
    };
    // Figures over part of a run judge nothing: not a verdict, not an SLO.
    if let Some(why) = stopped.into_iter().flatten().next() {
        p.verdict = "stopped".to_string();
        p.held = false;
        p.meets_slo = false;
        p.slo_held = p.slo_held.map(|_| 0);
        p.recovery_s = None;
        p.stopped = Some(why);
    }
    p
}

/// A point from the runs of its seeds.
fn point(params: Vec<(String, Value)>, runs: &[Summary], slo: &[Threshold]) -> Point {
    let held = runs.iter().filter(|r| slo.iter().all(|t| t.evaluate(r).passed)).count();
    let wholes: Vec<GroupSummary> = runs.iter().map(|r| r.whole.clone()).collect();
    let whole = mean_group(&wholes, true);
    let mean = |f: &dyn Fn(&Summary) -> f64| runs.iter().map(f).sum::<f64>() / runs.len() as f64;
    let group_names = |names: &mut Vec<String>, r: &Summary| {
        for n in r.services.keys() {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
    };
    let mut names = Vec::new();
    for r in runs {
        group_names(&mut names, r);
    }
    let services = names
        .into_iter()
        .filter_map(|n| {
            let gs: Vec<GroupSummary> = runs.iter().filter_map(|r| r.services.get(&n).cloned()).collect();
            (!gs.is_empty()).then(|| (n, mean_group(&gs, false)))
        })
        .collect();
    let classes = Priority::ALL
        .into_iter()
        .filter_map(|c| {
            let gs: Vec<GroupSummary> = runs.iter().filter_map(|r| r.classes.get(&c).cloned()).collect();
            (!gs.is_empty()).then(|| (c, mean_group(&gs, false)))
        })
        .collect();
    let (slo_measured, slo_values) = slo.iter().map(|t| slo_reading(t, runs)).unzip();
    Point {
        params,
        goodput_ratio: whole.goodput_ratio,
        goodput: Some(whole.goodput),
        p50: whole.latency.p50,
        p99: whole.latency.p99,
        amplification: whole.amplification,
        wasted_s: mean(&|r| r.wasted_s),
        recovery_s: whole.recovery_s,
        verdict: whole.verdict.map_or("-", Verdict::as_str).to_string(),
        held: whole.held,
        attempts: whole.attempts,
        meets_slo: held == runs.len(),
        seeds: runs.len() as u32,
        slo_held: (runs.len() > 1).then_some(held as u32),
        classes,
        services,
        slo_measured,
        slo_values,
        sized_queue_capacity: None,
        sized_queue_capacities: BTreeMap::new(),
        stopped: None,
    }
}

/// What `t` measured over the seeds' runs: as a check shows it (one seed's reading, or the mean
/// of the seeds that have a value, saying how many do when not all), and as a number (that
/// mean, `None` when no seed has a value).
fn slo_reading(t: &Threshold, runs: &[Summary]) -> (String, Option<f64>) {
    let results: Vec<_> = runs.iter().map(|r| t.evaluate(r)).collect();
    let values: Vec<f64> = results.iter().filter_map(|r| r.value).collect();
    let mean = (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64);
    if let [one] = &results[..] {
        return (one.measured(), mean);
    }
    // The seeds' mean, shown as a check shows its value (no one service's name: a mean's).
    let shown = |first: &model::threshold::ThresholdResult| {
        model::threshold::ThresholdResult {
            value: mean,
            service: None,
            ..first.clone()
        }
        .measured()
    };
    let Some(first_missing) = results.iter().find(|r| r.value.is_none()) else {
        return (shown(&results[0]), mean);
    };
    if values.is_empty() {
        return (first_missing.measured(), None);
    }
    let text = format!(
        "{} ({} of {} seeds; else {})",
        shown(first_missing),
        values.len(),
        results.len(),
        first_missing.measured()
    );
    // A recovery that never came in one seed is no mean of the others: the number is empty,
    // as for a point that never recovered (the text says how many seeds did).
    if t.figure.metric == Metric::Recovery {
        return (text, None);
    }
    (text, mean)
}

/// A group's (or the `whole` run's) figures over seeds: means (counts rounded), the worst
/// verdict (for the whole run, a seed without one is worst), and a recovery time only if every
/// seed recovered (the mean of theirs).
fn mean_group(gs: &[GroupSummary], whole: bool) -> GroupSummary {
    if let [one] = gs {
        return one.clone();
    }
    let n = gs.len().max(1) as f64;
    let f = |get: &dyn Fn(&GroupSummary) -> f64| gs.iter().map(get).sum::<f64>() / n;
    let c = |get: &dyn Fn(&GroupSummary) -> u64| (gs.iter().map(|g| get(g) as f64).sum::<f64>() / n).round() as u64;
    let worst = gs.iter().max_by_key(|g| severity(g.verdict));
    let verdict = if whole {
        worst_verdict(gs.iter().map(|g| g.verdict))
    } else {
        worst_group_verdict(gs.iter().map(|g| g.verdict))
    };
    let recovery_s = gs
        .iter()
        .map(|g| g.recovery_s)
        .collect::<Option<Vec<f64>>>()
        .map(|r| r.iter().sum::<f64>() / n)
        .filter(|_| verdict == Some(Verdict::Recovered));
    let lat = |get: &dyn Fn(&model::results::Percentiles) -> f64| f(&|g| get(&g.latency));
    // Rounding is monotone, so a rounded mean keeps `successes <= offered` and `retries <=
    // attempts`; but two rounded means can add up past a third (3.5 + 6.5 of 10 gave 4 + 7),
    // and results readers refuse more intents ended than offered. So the ended intents are
    // rounded as one count and the failures are the rest of it.
    let successes = c(&|g| g.successes);
    let ended = c(&|g| g.successes + g.failures);
    GroupSummary {
        offered: c(&|g| g.offered),
        attempts: c(&|g| g.attempts),
        retries: c(&|g| g.retries),
        successes,
        failures: ended - successes,
        goodput: f(&|g| g.goodput),
        goodput_ratio: f(&|g| g.goodput_ratio),
        amplification: f(&|g| g.amplification),
        timeouts: c(&|g| g.timeouts),
        shed: c(&|g| g.shed),
        rate_limited: c(&|g| g.rate_limited),
        expired: c(&|g| g.expired),
        errors: c(&|g| g.errors),
        latency: model::results::Percentiles {
            count: c(&|g| g.latency.count),
            mean: lat(&|p| p.mean),
            p50: lat(&|p| p.p50),
            p90: lat(&|p| p.p90),
            p99: lat(&|p| p.p99),
            p999: lat(&|p| p.p999),
            max: gs.iter().map(|g| g.latency.max).fold(0.0, f64::max),
        },
        verdict,
        recovery_s,
        // Over seeds: held only if it was in every one.
        held: verdict == Some(Verdict::Recovered) && gs.iter().all(|g| g.held),
        verdict_reason: worst.map_or(String::new(), |g| g.verdict_reason.clone()),
    }
}

/// The whole-run metrics a sweep can optimise: those its points keep. A class's or a service's
/// figure can be any per-group metric.
pub const OBJECTIVES: [Metric; 7] = [
    Metric::GoodputRatio,
    Metric::Goodput,
    Metric::P50,
    Metric::P99,
    Metric::Amplification,
    Metric::Wasted,
    Metric::Recovery,
];

/// The table a sweep writes into its `--out` directory (each through a `.NAME.tmp` first).
pub const TABLE_FILES: [&str; 2] = ["sweep.csv", "sweep.json"];

/// For a sweep with no table to write (interrupted before any point finished): removes an
/// earlier sweep's table from `out`, which would otherwise read as this sweep's. What it did,
/// as a note for the "nothing written" line: empty when there was none.
pub fn remove_earlier_table(out: &std::path::Path) -> String {
    let mut removed = Vec::new();
    let mut kept = Vec::new();
    for name in TABLE_FILES {
        let path = out.join(name);
        match std::fs::remove_file(&path) {
            Ok(()) => removed.push(path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => kept.push(format!("{} (cannot remove it: {e})", path.display())),
        }
    }
    let mut note = String::new();
    if !removed.is_empty() {
        note.push_str(&format!("; removed an earlier sweep's {}", removed.join(" and ")));
    }
    if !kept.is_empty() {
        note.push_str(&format!(
            "; {} is an earlier sweep's, not this one's",
            kept.join(" and ")
        ));
    }
    note
}

/// Parses the `--slo` expressions. One given twice (or written two ways: `p99<2s`, `p99 < 2000ms`)
/// is refused rather than merged: it would be judged twice, with two identical `measured:`
/// columns in sweep.csv, and the repeat is more likely a slip for another SLO than meant.
pub fn parse_slos(slo: &[String]) -> Result<Vec<Threshold>, String> {
    let mut out: Vec<Threshold> = Vec::new();
    for t in slo {
        let parsed: Threshold = t.parse().map_err(|e: String| format!("--slo `{t}`: {e}"))?;
        if let Some(j) = out.iter().position(|x| x.same_check(&parsed)) {
            let again = if slo[j].trim() == t.trim() {
                "given twice".to_string()
            } else {
                format!("the same check as --slo `{}`", slo[j])
            };
            return Err(format!("--slo `{t}`: {again}; give each SLO once"));
        }
        out.push(parsed);
    }
    Ok(out)
}

/// Parses `--objective`: one of [`OBJECTIVES`], or any figure of a priority class or a service
/// (`interactive.p99`, `service[billing].goodput_ratio`). Whether the scenario keeps that group
/// is for the caller to check ([`Scenario::figure_problem`]).
pub fn parse_objective(text: &str) -> Result<Figure, String> {
    // The figure parser's list is every metric a threshold takes; a sweep keeps fewer for the
    // whole run, so an unknown name gets the sweep's own list.
    let figure: Figure = text.parse().map_err(|e: String| {
        // A class's or a service's figure (`service[a].latncy`) keeps the group parser's list.
        if e.starts_with("unknown metric") && !text.contains(['.', '[']) {
            format!(
                "unknown metric `{}`: expected one of {}; or a priority class's or a service's figure, as interactive.METRIC or service[NAME].METRIC",
                text.trim(),
                OBJECTIVES.map(Metric::name).join(", ")
            )
        } else {
            e
        }
    })?;
    if figure.scope == Scope::Whole && !OBJECTIVES.contains(&figure.metric) {
        let list = OBJECTIVES.map(Metric::name).join(", ");
        // A group's form only where groups have the figure: `service[NAME].wasted_ratio` was
        // suggested, then refused (wasted work is the backend's, not a group's).
        let or = if figure.metric.per_group() {
            format!(
                ", or a class's or a service's figure (`service[NAME].{}`)",
                figure.metric.name()
            )
        } else if figure.metric == Metric::WastedRatio {
            "; of wasted work a sweep keeps `wasted`, the backend's seconds of work nobody waited for (wasted work is the backend's: no class or service has it)".to_string()
        } else {
            String::new()
        };
        return Err(format!(
            "`{}`: sweep points do not keep it for the whole run; the objective is one of {list}{or}",
            text.trim(),
        ));
    }
    Ok(figure)
}

/// A note when `objective` is an absolute goodput (successes per second) and a workload
/// rate or phase duration varies: goodput follows the offered load, so every configuration's
/// worst load is about the same rate (~126/s at every burst rate of death-spiral), and which
/// is best comes down to a fraction of a request per second of one seed's noise. The goodput
/// ratio (the share of intents that succeeded) compares configurations across loads.
pub fn objective_note(objective: &Figure, axes: &[Axis]) -> Option<String> {
    if objective.metric != Metric::Goodput {
        return None;
    }
    let loads: Vec<&str> = axes
        .iter()
        .filter(|a| {
            a.values.len() >= 2
                && a.key.starts_with("workload.phases[")
                && (is_phase_rate(&a.key) || a.key.ends_with(".duration"))
        })
        .map(|a| a.key.as_str())
        .collect();
    if loads.is_empty() {
        return None;
    }
    let ratio = Figure {
        scope: objective.scope.clone(),
        metric: Metric::GoodputRatio,
    };
    Some(format!(
        "--objective {objective} is successes per second, which follows the offered load: over {} every configuration's worst load serves about the same rate, and the ranking comes down to small differences (one seed's noise); --objective {ratio} (the share of intents that succeed) compares configurations across loads",
        loads.join(" and ")
    ))
}

/// A note when an axis varies a trigger phase's `duration` while an outage overlapping that
/// phase keeps the length the file gives it: an outage is a fault of a backend service, at its
/// own time for its own length, and does not follow the phase. Every point then runs the same
/// outage (the same wasted work), and an envelope over the phase's duration is no answer to how
/// long an outage the system survives; the note names the key that is.
pub fn fault_note(base: &Scenario, axes: &[Axis]) -> Option<String> {
    let fmt = model::duration::format_duration;
    // An axis changing outages (any service's: a name or `*` is not resolved here) leaves
    // nothing to warn about: the user varies them.
    if axes.iter().any(|a| {
        model::scenario::is_fault_key(&a.key) && (a.key.ends_with(".faults") || a.key.contains(".faults.outages"))
    }) {
        return None;
    }
    let mut notes = Vec::new();
    for a in axes {
        let Some(i) = phase_of(&a.key) else { continue };
        let Some(phase) = base.phases.get(i).filter(|p| p.trigger) else {
            continue;
        };
        if a.key != format!("workload.phases[{i}].duration") {
            continue;
        }
        // The phase as long as its longest value (or the file's, if longer).
        let longest = a
            .values
            .iter()
            .filter_map(|v| model::duration::parse_duration(v.as_str()?).ok())
            .fold(phase.duration(), std::cmp::Ord::max);
        let start = phase.start.saturating_since(model::time::Time::ZERO);
        let end = start + longest;
        for (k, svc) in base.file.backend.services.iter().enumerate() {
            for (j, o) in svc.faults.outages.iter().enumerate() {
                let (at, len) = (o.at.0, o.duration.0);
                if at < end && at + len > start {
                    notes.push(format!(
                        "{} is varied, but backend.services[{k}].faults.outages[{j}] (service `{}`, at {}, for {}) overlaps that trigger phase and does not follow it: every point runs the same {} outage, so the findings say nothing of how long an outage the system survives; to vary that, --vary backend.services[{k}].faults.outages[{j}].duration",
                        a.key,
                        svc.name,
                        fmt(at),
                        fmt(len),
                        fmt(len)
                    ));
                }
            }
        }
    }
    (!notes.is_empty()).then(|| notes.join("; "))
}

/// The objective at `p` as a score, higher is better: a recovery that never happened scores
/// below every recovery that did; `None` when the point does not have the figure (a group it
/// does not keep, a latency of a group that finished nothing), so it cannot be the best.
pub fn objective_value(p: &Point, f: &Figure) -> Option<f64> {
    let v = match p.value(f) {
        Some(v) => v,
        None if f.metric == Metric::Recovery && p.judged(&f.scope) => f64::INFINITY,
        None => return None,
    };
    Some(if f.metric.higher_is_better() { v } else { -v })
}

/// A point's rank by objective `f`, higher is better: the objective, then, where it ties (a
/// recovery of 0 s, no wasted work: common), the goodput ratio, then the p99 and the wasted
/// work (lower is better). `None` without the objective (see [`objective_value`]).
fn rank(p: &Point, f: &Figure) -> Option<[f64; 4]> {
    Some([objective_value(p, f)?, p.goodput_ratio, -p.p99, -p.wasted_s])
}

/// `a` against `b`, as ranks compare: figure by figure, a missing (NaN) figure lowest.
fn rank_cmp(a: &[f64; 4], b: &[f64; 4]) -> std::cmp::Ordering {
    let key = |x: f64| if x.is_nan() { f64::NEG_INFINITY } else { x };
    a.iter()
        .zip(b)
        .map(|(x, y)| key(*x).total_cmp(&key(*y)))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

/// The best point meeting the SLO and having the objective ([`rank`]; full ties: the first in
/// grid order).
pub fn best<'a>(points: &'a [Point], f: &Figure) -> Option<&'a Point> {
    points
        .iter()
        .filter(|p| p.meets_slo)
        .filter_map(|p| Some((p, rank(p, f)?)))
        .fold(None, |best: Option<(&Point, [f64; 4])>, (p, v)| match best {
            Some((b, bv)) if rank_cmp(&bv, &v).is_ge() => Some((b, bv)),
            _ => Some((p, v)),
        })
        .map(|(p, _)| p)
}

/// A point's axis values, in axis order.
pub type Params = Vec<(String, Value)>;

/// The values of `params` on load axes (`load`), or on settings (`!load`).
pub fn params_where(params: &[(String, Value)], load: bool) -> Params {
    params
        .iter()
        .filter(|(k, _)| is_load_axis(k) == load)
        .cloned()
        .collect()
}

/// Whether an axis varies the load (or the run's length) rather than a setting the team
/// chooses ([`model::scenario::is_load_key`]).
pub fn is_load_axis(key: &str) -> bool {
    model::scenario::is_load_key(key)
}

/// A configuration (a point's settings other than the load axes) and its worst point over the
/// load axes.
pub struct Choice<'a> {
    pub settings: Params,
    pub worst: &'a Point,
}

/// The distinct values of the load axes the points ran at (first-seen order).
fn load_combinations(points: &[Point]) -> Vec<Params> {
    let mut loads: Vec<Params> = Vec::new();
    for p in points {
        let at = params_where(&p.params, true);
        if !loads.contains(&at) {
            loads.push(at);
        }
    }
    loads
}

/// Configurations that did not run at every load another one ran at (an interrupted sweep):
/// their settings, for the findings to say why they were not ranked.
pub fn incomplete_configurations(points: &[Point]) -> Vec<Params> {
    let loads = load_combinations(points);
    configurations(points)
        .into_iter()
        .filter(|(_, ps)| !covers(ps, &loads))
        .map(|(settings, _)| settings)
        .collect()
}

/// Whether a configuration's points ran at every one of `loads`.
fn covers(ps: &[&Point], loads: &[Params]) -> bool {
    loads
        .iter()
        .all(|l| ps.iter().any(|p| params_where(&p.params, true) == *l))
}

/// The points grouped by configuration (first-seen order), each group over the load axes.
fn configurations(points: &[Point]) -> Vec<(Params, Vec<&Point>)> {
    let mut groups: Vec<(Params, Vec<&Point>)> = Vec::new();
    for p in points {
        let settings = params_where(&p.params, false);
        match groups.iter_mut().find(|(s, _)| *s == settings) {
            Some((_, ps)) => ps.push(p),
            None => groups.push((settings, vec![p])),
        }
    }
    groups
}

/// The best configuration: of those that meet the SLO and have the objective at every load
/// tried, the one whose worst point is best (by [`rank`]; full ties: the first in grid order).
/// Without load axes every point is a configuration of its own, so this is [`best`]. Picking
/// the best point over the loads instead would recommend whatever was tried at the lightest load.
/// A configuration is ranked only if it ran at every load any configuration ran at: in an
/// interrupted sweep, one that never reached the heaviest load would win for its absence.
pub fn best_config<'a>(points: &'a [Point], f: &Figure) -> Option<Choice<'a>> {
    ranked_configs(points, f)
        .into_iter()
        .fold(None, |best: Option<(Choice<'a>, [f64; 4])>, (c, v)| match best {
            Some((b, bv)) if rank_cmp(&bv, &v).is_ge() => Some((b, bv)),
            _ => Some((c, v)),
        })
        .map(|(c, _)| c)
}

/// The configurations [`best_config`] chooses from, in grid order, each with its worst point
/// and that point's [`rank`].
fn ranked_configs<'a>(points: &'a [Point], f: &Figure) -> Vec<(Choice<'a>, [f64; 4])> {
    let loads = load_combinations(points);
    let mut out = Vec::new();
    for (settings, ps) in configurations(points) {
        let mut worst: Option<(&Point, [f64; 4])> = None;
        let mut ok = covers(&ps, &loads);
        for p in ps {
            match rank(p, f) {
                Some(v) if p.meets_slo => {
                    if worst.is_none_or(|(_, w)| rank_cmp(&v, &w).is_lt()) {
                        worst = Some((p, v));
                    }
                }
                _ => ok = false,
            }
        }
        if let (Some((p, v)), true) = (worst, ok) {
            out.push((Choice { settings, worst: p }, v));
        }
    }
    out
}

/// The other configurations that tie exactly with the [`best_config`] on every figure it is
/// ranked by: it is first among them only in grid order, no better.
pub fn tied_with_best(points: &[Point], f: &Figure) -> Vec<Params> {
    let ranked = ranked_configs(points, f);
    let Some(best) = best_config(points, f) else {
        return Vec::new();
    };
    let Some((_, top)) = ranked.iter().find(|(c, _)| c.settings == best.settings) else {
        return Vec::new();
    };
    ranked
        .iter()
        .filter(|(c, v)| c.settings != best.settings && rank_cmp(v, top).is_eq())
        .map(|(c, _)| c.settings.clone())
        .collect()
}

/// `tied` as one line: `gateway.concurrency=7, 6, 5` when each differs from `best` in the same
/// one setting, else each in full.
fn tied_text(best: &Params, tied: &[Params]) -> String {
    const SHOWN: usize = 10;
    let differing = |t: &Params| -> Vec<usize> { (0..t.len()).filter(|&i| best.get(i) != t.get(i)).collect() };
    let one_key = match differing(&tied[0])[..] {
        [k] if tied.iter().all(|t| t.len() == best.len() && differing(t) == [k]) => Some(k),
        _ => None,
    };
    let mut text = match one_key {
        Some(k) => format!(
            "{}={}",
            best[k].0,
            tied.iter()
                .take(SHOWN)
                .map(|t| show_value(&t[k].1))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => tied
            .iter()
            .take(SHOWN)
            .map(|t| describe(t))
            .collect::<Vec<_>>()
            .join("; "),
    };
    if tied.len() > SHOWN {
        text.push_str(&format!(" and {} more", tied.len() - SHOWN));
    }
    // The one setting alone read as that value with the file's other settings (deadline at
    // its default bound, which failed the SLO), not with the best's.
    if one_key.is_some() && best.len() > 1 {
        let others: Params = best
            .iter()
            .enumerate()
            .filter(|&(i, _)| Some(i) != one_key)
            .map(|(_, kv)| kv.clone())
            .collect();
        text.push_str(&format!(" (with the best's {})", describe(&others)));
    }
    text
}

/// The figures [`rank`] compares, each once, as a line naming ties says them:
/// "goodput_ratio, p99 and wasted work".
fn rank_figures(objective: &Figure) -> String {
    let mut figures = vec![objective.to_string()];
    for (m, name) in [
        (Metric::GoodputRatio, "goodput ratio"),
        (Metric::P99, "p99"),
        (Metric::Wasted, "wasted work"),
    ] {
        if *objective != Figure::whole(m) {
            figures.push(name.to_string());
        }
    }
    let last = figures.pop().unwrap_or_default();
    if figures.is_empty() {
        last
    } else {
        format!("{} and {last}", figures.join(", "))
    }
}

/// Whether `c`, the [`best_config`], is no answer: the best of configurations that all never
/// recovered (by recovery) is merely the first in grid order.
fn no_answer(c: &Choice, objective: &Figure) -> bool {
    objective_value(c.worst, objective) == Some(f64::NEG_INFINITY)
}

/// A point's headline figures; the objective first unless it is among them.
pub fn headline(p: &Point, objective: &Figure) -> String {
    let first = if objective.scope == Scope::Whole
        && matches!(
            objective.metric,
            Metric::GoodputRatio | Metric::P99 | Metric::Amplification
        ) {
        String::new()
    } else {
        // A class's or service's ratio or amplification as the whole run's beside it.
        let shown = match (objective.metric, p.value(objective)) {
            (Metric::GoodputRatio, Some(v)) => format!("{v:.4}"),
            (Metric::Amplification, Some(v)) => format!("{v:.2}"),
            (m, v) => m.show(v),
        };
        format!("{objective} {shown}, ")
    };
    format!(
        "{first}goodput ratio {:.4}, p99 {}, amplification {:.2}, verdict {}",
        p.goodput_ratio,
        model::results::fmt_secs(p.p99),
        p.amplification,
        p.verdict_name()
    )
}

/// What a sweep found, as the lines `sim sweep` prints and a report of its table shows: the
/// best configuration under the SLO (at every load tried), or the best at each load when none
/// holds at all of them; and, over a rate axis, the safe envelope.
pub fn findings(points: &[Point], axes: &[Axis], objective: &Figure, slo: &[String], bursts: &[usize]) -> Vec<String> {
    let mut out = Vec::new();
    let slo_text = if slo.is_empty() {
        "none given".to_string()
    } else {
        slo.join(", ")
    };
    let loads: Vec<&str> = axes
        .iter()
        .map(|x| x.key.as_str())
        .filter(|k| is_load_axis(k))
        .collect();
    let at_every = if loads.is_empty() {
        String::new()
    } else {
        format!(" at every {} tried", loads.join(" and "))
    };
    match best_config(points, objective) {
        Some(c) if no_answer(&c, objective) => out.push(format!(
            "no configuration recovers{at_every}: by {objective} there is no best (every point under the SLO ({slo_text}) ended without recovering; sweep.csv has each verdict)"
        )),
        Some(c) => {
            let settings = settings_name(&c.settings);
            let worst = if loads.is_empty() {
                String::new()
            } else {
                format!("worst at {}: ", describe(&params_where(&c.worst.params, true)))
            };
            // The bound the worst point ran with (a sized one can vary with the load when the
            // mix is an axis: it follows the mean service time of what each service gets).
            let bound = c.worst.sized_note();
            out.push(format!(
                "best under the SLO ({slo_text}){at_every} by {objective}: {settings}{bound}  -> {worst}{}",
                headline(c.worst, objective)
            ));
            // Listed first only by grid order: named, so nobody reads it as the better one.
            let tied = tied_with_best(points, objective);
            if !tied.is_empty() {
                out.push(format!(
                    "  tied with it on {}{}, so it is first only in grid order: {}",
                    rank_figures(objective),
                    if loads.is_empty() { "" } else { " at their worst load" },
                    tied_text(&c.settings, &tied)
                ));
            }
        }
        None if loads.is_empty() && points.iter().any(|p| p.meets_slo) => out.push(format!(
            "no point under the SLO has {objective} (a group that sent nothing, or that a --vary removed)"
        )),
        None if loads.is_empty() => out.push(format!("no point meets the SLO ({slo_text})")),
        None => {
            out.push(if configurations(points).len() == incomplete_configurations(points).len() {
                // Every configuration missed a load: the sweep was interrupted, not found wanting.
                "no configuration ran at every load tried (the sweep was interrupted); the best at each:".to_string()
            } else if slo.is_empty() {
                format!("no configuration has {objective}{at_every}; the best at each:")
            } else {
                format!("no configuration meets the SLO ({slo_text}){at_every}; the best at each:")
            });
            let mut seen: Vec<Params> = Vec::new();
            for p in points {
                let at = params_where(&p.params, true);
                if seen.contains(&at) {
                    continue;
                }
                let here: Vec<Point> = points
                    .iter()
                    .filter(|q| params_where(&q.params, true) == at)
                    .cloned()
                    .collect();
                let Some(b) = best(&here, objective) else {
                    out.push(format!("  {}: no point meets the SLO", describe(&at)));
                    seen.push(at);
                    continue;
                };
                let settings = params_where(&b.params, false);
                out.push(format!(
                    "  {}: {}{}  -> {}",
                    describe(&at),
                    settings_name(&settings),
                    b.sized_note(),
                    headline(b, objective)
                ));
                // As for the overall best: first among equals only in grid order, so named.
                let top = rank(b, objective);
                let tied: Vec<Params> = here
                    .iter()
                    .filter(|q| q.meets_slo)
                    .filter(|q| matches!((rank(q, objective), &top), (Some(v), Some(t)) if rank_cmp(&v, t).is_eq()))
                    .map(|q| params_where(&q.params, false))
                    .filter(|s| *s != settings)
                    .collect();
                if !tied.is_empty() {
                    out.push(format!(
                        "    tied with it on {}, so it is first only in grid order: {}",
                        rank_figures(objective),
                        tied_text(&settings, &tied)
                    ));
                }
                seen.push(at);
            }
        }
    }
    let partial = incomplete_configurations(points);
    if !partial.is_empty() {
        const SHOWN: usize = 5;
        let names: Vec<String> = partial.iter().take(SHOWN).map(|c| settings_name(c)).collect();
        let more = match partial.len().saturating_sub(SHOWN) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        out.push(format!(
            "not ranked: {} configuration(s) the sweep did not run at every load the others ran at (interrupted): {}{more}",
            partial.len(),
            names.join("; ")
        ));
    }
    let env = safe_envelope(points, axes, bursts);
    match envelope_axis(axes, bursts) {
        Some(axis) if !env.is_empty() => {
            let best = best_config(points, objective)
                .filter(|c| !no_answer(c, objective))
                .map(|c| describe(&c.settings));
            let what = match axis.unit {
                EnvelopeUnit::Rate => "rate",
                EnvelopeUnit::Duration => "duration",
            };
            // Held at every value of the other load axes, said, so that no one reads the
            // envelope as the one at the file's normal load.
            let mut held = other_loads(axes, axis.key)
                .iter()
                .map(|a| {
                    let values: Vec<String> = a.values.iter().map(show_value).collect();
                    format!(" and at every {} tried ({})", a.key, values.join(", "))
                })
                .collect::<String>();
            // A load given one value (the burst's rate, under an envelope over its length).
            for a in axes.iter().filter(|a| is_load_axis(&a.key) && a.values.len() == 1) {
                held.push_str(&format!(", with {}={}", a.key, show_value(&a.values[0])));
            }
            out.push(format!(
                "safe envelope over {} (the largest {what} up to which the whole run and every class and service recover, however long that takes, at every {what} tried{held}; no SLO applies here):",
                axis.key
            ));
            for e in env {
                let mark = if best.as_deref() == Some(e.label.as_str()) {
                    "  <- best"
                } else {
                    ""
                };
                out.push(format!("  {}: {}{mark}", e.label, e.describe()));
            }
        }
        Some(_) => {}
        None if bursts.is_empty() => out.push(
            "no safe envelope: no burst axis (vary a workload phase's rate or ramp_to, a trigger phase's duration or an outage's, e.g. --vary 'workload.phases[1].rate=100,200,400', for the largest burst after which the system recovers)"
                .into(),
        ),
        None => {
            let phases: Vec<String> = bursts.iter().map(|i| format!("workload.phases[{i}]")).collect();
            let example = bursts[0];
            // A rate axis of another phase: why it is not the envelope's.
            let elsewhere: Vec<&str> = axes
                .iter()
                .filter(|a| is_phase_rate(&a.key) && a.values.len() >= 2)
                .map(|a| a.key.as_str())
                .collect();
            let not_burst = if elsewhere.is_empty() {
                String::new()
            } else {
                format!(
                    "; {} the rate of a phase that is no trigger: a load the findings hold at every value, not the burst",
                    elsewhere.join(" and ") + if elsewhere.len() == 1 { " is" } else { " are" }
                )
            };
            out.push(format!(
                "no safe envelope: no axis gives a trigger phase ({}) two or more values of its rate, ramp_to, an extra[K].rate or its duration, nor an outage two or more durations (e.g. --vary 'workload.phases[{example}].rate=100,200,400', for the largest burst after which the system recovers){not_burst}",
                phases.join(", ")
            ));
        }
    }
    let seeds = points.first().map_or(1, |p| p.seeds);
    out.push(if seeds > 1 {
        format!("each point: {seeds} seeds; figures are their means, and a point meets the SLO and recovers only if every seed does")
    } else {
        "each point is one seed: check the chosen configuration with `sim run --replications 10`, or sweep with --replications".to_string()
    });
    out
}

/// What a safe envelope is over: a burst's rate, or its length.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum EnvelopeUnit {
    /// Requests per second (`workload.phases[N].rate`, or `.ramp_to`).
    Rate,
    /// Seconds (`workload.phases[N].duration`, how long a burst lasts, or
    /// `backend.services[N].faults.outages[J].duration`, how long an outage lasts).
    Duration,
}

impl EnvelopeUnit {
    fn show(self, v: f64) -> String {
        match self {
            EnvelopeUnit::Rate => format!("{v}/s"),
            EnvelopeUnit::Duration => model::duration::format_duration(std::time::Duration::from_secs_f64(v.max(0.0))),
        }
    }

    /// An axis value as a number in this unit (a duration's text as seconds).
    fn value(self, v: &Value) -> Option<f64> {
        match self {
            EnvelopeUnit::Rate => v.as_f64(),
            EnvelopeUnit::Duration => model::duration::parse_duration(v.as_str()?)
                .ok()
                .map(|d| d.as_secs_f64()),
        }
    }
}

/// The axis a safe envelope is over (see [`envelope_axis`]).
pub struct EnvelopeAxis<'a> {
    pub key: &'a str,
    pub unit: EnvelopeUnit,
}

/// Whether `key` (under `workload.phases[N].`) is a rate of the phase: its `rate`, the
/// `ramp_to` its rate ramps to (a larger one is a larger burst too), or its extra traffic's
/// `rate` (`extra[K].rate`: a batch job's size).
fn is_phase_rate(key: &str) -> bool {
    key.starts_with("workload.phases[") && (key.ends_with(".rate") || key.ends_with(".ramp_to"))
}

/// The phase index `key` is under (`workload.phases[N]...`), if any.
fn phase_of(key: &str) -> Option<usize> {
    let rest = key.strip_prefix("workload.phases[")?;
    rest[..rest.find(']')?].parse().ok()
}

/// The axis the safe envelope is over: the burst. `bursts` are the indexes of the scenario's
/// trigger phases (`workload.phases[N]`); only axes with at least two values count (one value
/// is no envelope). In order: the first axis varying a trigger phase's rate (its `rate`,
/// `ramp_to` or an `extra[K].rate`), else the first varying a trigger phase's `duration` (how
/// long a burst lasts), else the first varying an outage's `duration`
/// (`backend.services[N].faults.outages[J].duration`: how long an outage lasts; an outage does
/// not follow its trigger phase, see [`fault_note`]). A phase that is no trigger (the load before or after
/// the burst) is no burst: its rate is a load the envelope is judged at, not over. Only a
/// scenario without any trigger phase (or a table of an older spillway, which did not record
/// them) takes the first axis varying any phase's rate. Which of the axes comes first on the
/// command line does not change the answer when only one of them varies a trigger phase.
pub fn envelope_axis<'a>(axes: &'a [Axis], bursts: &[usize]) -> Option<EnvelopeAxis<'a>> {
    let varied = || axes.iter().filter(|a| a.values.len() >= 2 && is_load_axis(&a.key));
    let of_trigger = |a: &Axis| phase_of(&a.key).is_some_and(|i| bursts.contains(&i));
    let rate = |a: &&Axis| is_phase_rate(&a.key) && (bursts.is_empty() || of_trigger(a));
    let axis = |a: &'a Axis, unit| EnvelopeAxis { key: &a.key, unit };
    varied()
        .find(rate)
        .map(|a| axis(a, EnvelopeUnit::Rate))
        .or_else(|| {
            varied()
                .find(|a| {
                    phase_of(&a.key)
                        .is_some_and(|i| bursts.contains(&i) && a.key == format!("workload.phases[{i}].duration"))
                })
                .map(|a| axis(a, EnvelopeUnit::Duration))
        })
        .or_else(|| {
            varied()
                .find(|a| is_outage_duration(&a.key))
                .map(|a| axis(a, EnvelopeUnit::Duration))
        })
}

/// Whether `key` is how long one of a service's outages lasts
/// (`backend.services[N].faults.outages[J].duration`, the service by index, name or `*`).
fn is_outage_duration(key: &str) -> bool {
    use model::scenario::locate::Seg;
    model::scenario::is_fault_key(key)
        && matches!(
            model::scenario::locate::parse_path(key).as_slice(),
            [.., Seg::Key(o), Seg::Index(_), Seg::Key(d)] if o == "outages" && d == "duration"
        )
}

/// The load axes other than the envelope's that take two or more values: the envelope holds
/// only where every one of their values recovers.
fn other_loads<'a>(axes: &'a [Axis], envelope: &str) -> Vec<&'a Axis> {
    axes.iter()
        .filter(|a| a.key != envelope && is_load_axis(&a.key) && a.values.len() >= 2)
        .collect()
}

/// A configuration's safe envelope over a rate (or a burst length) axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope {
    /// The configuration: its settings' values ("(all)" when the sweep varies only the load).
    pub label: String,
    pub unit: EnvelopeUnit,
    /// The largest value tried up to which every value tried recovers (`None`: not even the
    /// lowest).
    pub safe: Option<f64>,
    /// The lowest value tried that does not recover, and what went wrong there; `None` when
    /// every value tried recovers (the envelope is at least the largest tried).
    pub first_failure: Option<(f64, String)>,
    /// The first failure is a run that was not judged (no verdict, or stopped): not known to
    /// recover, nor known to fail; the envelope is unknown from there, not "below" it.
    pub unjudged: bool,
    /// Values other configurations ran at and this one did not (an interrupted sweep).
    pub untried: Vec<f64>,
}

impl Envelope {
    /// "300/s (first failure at 400/s: metastable)", ">= 2000/s (every rate tried recovers)".
    pub fn describe(&self) -> String {
        let u = |v: f64| self.unit.show(v);
        let what = match self.unit {
            EnvelopeUnit::Rate => "rate",
            EnvelopeUnit::Duration => "duration",
        };
        let found = match (self.safe, &self.first_failure) {
            (Some(r), None) => format!(">= {} (every {what} tried recovers; the largest tried)", u(r)),
            (Some(r), Some((f, why))) if self.unjudged => format!("{} (unknown from {} on: {why})", u(r), u(*f)),
            (Some(r), Some((f, why))) => format!("{} (first failure at {}: {why})", u(r), u(*f)),
            (None, Some((f, why))) if self.unjudged => {
                format!("unknown: {why} at {}, the lowest {what} tried", u(*f))
            }
            // Failing at 0 (a sweep's "no extra traffic" point): nothing is below it.
            (None, Some((f, why))) if *f <= 0.0 => {
                format!("none: fails even at {}, the lowest {what} tried ({why} there)", u(*f))
            }
            (None, Some((f, why))) => format!("below {}, the lowest {what} tried ({why} there)", u(*f)),
            (None, None) => format!("no {what} tried"),
        };
        if self.untried.is_empty() {
            return found;
        }
        let list: Vec<String> = self.untried.iter().map(|v| u(*v)).collect();
        format!("{found}; not run at {} (the sweep was interrupted)", list.join(", "))
    }
}

/// For sweeps over a rate (or a burst's length): per configuration (the settings, as the best
/// line names them), the largest value up to which the system recovers at every value tried
/// ([`Point::recovered`]: whole run and every group, in every seed). A configuration that
/// recovers at 400/s but not at 300/s is safe to 200/s: a burst between the two is not known
/// to be safe. Another load axis (the normal load, the run's length) is no configuration: a
/// value is safe only if it recovers at every value of the other load axes tried, as the best
/// configuration is the one that holds at every load, and a failure names the load it was at.
pub fn safe_envelope(points: &[Point], axes: &[Axis], bursts: &[usize]) -> Vec<Envelope> {
    let Some(axis) = envelope_axis(axes, bursts) else {
        return Vec::new();
    };
    let others: Vec<&str> = other_loads(axes, axis.key).iter().map(|a| a.key.as_str()).collect();
    let other_load = |p: &Point| -> Params {
        p.params
            .iter()
            .filter(|(k, _)| others.contains(&k.as_str()))
            .cloned()
            .collect()
    };
    // Every (value, other loads) any configuration ran at: a configuration that missed one of
    // a value's has not been tried there (an interrupted sweep).
    let mut all: Vec<(f64, Params)> = Vec::new();
    let mut groups: Vec<(String, Vec<(f64, &Point)>)> = Vec::new();
    for p in points {
        let settings = params_where(&p.params, false);
        let label = if settings.is_empty() {
            "(all)".to_string()
        } else {
            describe(&settings)
        };
        let Some(value) = p
            .params
            .iter()
            .find(|(k, _)| k == axis.key)
            .and_then(|(_, v)| axis.unit.value(v))
        else {
            continue;
        };
        let at = (value, other_load(p));
        if !all.contains(&at) {
            all.push(at);
        }
        match groups.iter_mut().find(|(l, _)| *l == label) {
            Some((_, ps)) => ps.push((value, p)),
            None => groups.push((label, vec![(value, p)])),
        }
    }
    let mut values: Vec<f64> = Vec::new();
    for (v, _) in &all {
        if !values.contains(v) {
            values.push(*v);
        }
    }
    values.sort_by(f64::total_cmp);
    groups
        .into_iter()
        .map(|(label, ps)| {
            let ran = |v: f64, load: &Params| ps.iter().any(|(w, p)| *w == v && other_load(p) == *load);
            let untried: Vec<f64> = values
                .iter()
                .copied()
                .filter(|&v| all.iter().any(|(w, load)| *w == v && !ran(v, load)))
                .collect();
            let mut safe = None;
            let mut first_failure = None;
            let mut unjudged = false;
            for &value in &values {
                let here: Vec<&Point> = ps.iter().filter(|(w, _)| *w == value).map(|(_, p)| *p).collect();
                // A failure that was judged says more than a run that was not: named first.
                let judged = |p: &&&Point| p.verdict != "-" && p.stopped.is_none();
                let failed = || here.iter().filter(|p| !p.recovered());
                if let Some(p) = failed().find(judged).or_else(|| failed().next()) {
                    unjudged = !judged(&p);
                    let mut why = p.failure();
                    if p.seeds > 1 {
                        why.push_str(" in at least one seed");
                    }
                    let load = other_load(p);
                    if !load.is_empty() {
                        why.push_str(&format!(" at {}", describe(&load)));
                    }
                    first_failure = Some((value, why));
                    break;
                }
                // A value not run at every other load is not known to be safe; nor is it a
                // failure: it is listed as not run.
                if !here.is_empty() && !untried.contains(&value) {
                    safe = Some(value);
                }
            }
            Envelope {
                label,
                unit: axis.unit,
                safe,
                first_failure,
                unjudged,
                untried,
            }
        })
        .collect()
}

/// CSV with one row per point; a class's or a service's objective gets a last column of its own.
/// The table of every point as a report shows it: the swept values, the headline figures, the
/// objective and each SLO's figure where they are not among those, and whether the SLO held
/// (in how many seeds, with replications). A report of a sweep that no point passes otherwise
/// shows only the objective, not the figures that failed.
pub fn cells(points: &[Point], objective: &Figure, slo: &[String]) -> (Vec<String>, Vec<Vec<String>>) {
    let shown = |f: &Figure| {
        f.scope == Scope::Whole
            && matches!(
                f.metric,
                Metric::GoodputRatio | Metric::P50 | Metric::P99 | Metric::Amplification | Metric::Recovery
            )
    };
    // Each extra column: its figure, and the SLO whose reading fills it where the point does
    // not keep the figure itself (p999, timeouts, every service's p99).
    let mut extra: Vec<(Figure, Option<usize>)> = Vec::new();
    let slo_figures = slo
        .iter()
        .enumerate()
        .filter_map(|(i, t)| Some((t.parse::<Threshold>().ok()?.figure, Some(i))));
    for (f, i) in std::iter::once((objective.clone(), None)).chain(slo_figures) {
        match extra.iter_mut().find(|(g, _)| *g == f) {
            Some((_, j)) => *j = j.or(i),
            None if !shown(&f) => extra.push((f, i)),
            None => {}
        }
    }
    let mut header: Vec<String> = points
        .first()
        .map(|p| p.params.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    // The ratio, named so: headed "goodput", its 25.3% read as successes per second's bound
    // (`goodput >= 0.8`), as in the runs' tables.
    header.extend(["goodput ratio", "p50", "p99", "amplif.", "recovery", "verdict"].map(String::from));
    header.extend(extra.iter().map(|(f, _)| f.to_string()));
    if !slo.is_empty() {
        header.push(format!("SLO ({})", slo.join(", ")));
    }
    let rows = points
        .iter()
        .map(|p| {
            let mut row: Vec<String> = p.params.iter().map(|(_, v)| show_value(v)).collect();
            row.push(model::threshold::share(p.goodput_ratio));
            row.push(model::results::fmt_secs(p.p50));
            row.push(model::results::fmt_secs(p.p99));
            row.push(format!("{:.2}", p.amplification));
            // No recovery time: "never" when it did not recover, "-" when it had nothing to
            // recover from (stable, no trigger) or was not judged. A run that held reads 0s,
            // as in the reports' tables.
            row.push(p.recovery_s.map_or_else(
                || match p.verdict.as_str() {
                    "metastable" | "overloaded" => "never".into(),
                    _ => "-".into(),
                },
                model::results::fmt_secs,
            ));
            row.push(p.verdict_text());
            for (f, slo_index) in &extra {
                let measured = slo_index.and_then(|i| p.slo_measured.get(i));
                row.push(match (p.value(f), measured) {
                    (Some(v), _) if f.metric.is_ratio() => model::threshold::share(v),
                    (None, Some(m)) => m.clone(),
                    (None, None) if f.metric.is_ratio() || f.scope == Scope::EveryService => "-".into(),
                    (v, _) => f.metric.show(v),
                });
            }
            if !slo.is_empty() {
                row.push(match (p.seeds > 1, p.meets_slo) {
                    (false, true) => "meets".into(),
                    (false, false) => "fails".into(),
                    (true, true) => format!("meets (all {} seeds)", p.seeds),
                    (true, false) => format!("fails (holds in {} of {} seeds)", p.slo_held.unwrap_or(0), p.seeds),
                });
            }
            row
        })
        .collect();
    (header, rows)
}

pub fn to_csv(points: &[Point], objective: &Figure, slo: &[String]) -> String {
    let extra = objective.scope != Scope::Whole;
    let quote = |t: &str| format!("\"{}\"", t.replace('"', "\"\""));
    // Quoted only where RFC 4180 needs it (a comma, a quote or a line break), so plain cells
    // stay as they were.
    let cell = |t: &str| {
        if t.contains(['"', ',', '\n', '\r']) {
            quote(t)
        } else {
            t.to_string()
        }
    };
    let mut o = String::new();
    if let Some(p) = points.first() {
        for (k, _) in &p.params {
            // A key naming a service by a quoted name (`services."billing".concurrency`): strict
            // CSV readers stop at its first `"` unless the cell is quoted.
            o.push_str(&cell(k));
            o.push(',');
        }
    }
    // The bound sized for `bounded` points given none, beside the settings it belongs with.
    let sized = points.iter().any(|p| p.sized_text().is_some());
    if sized {
        o.push_str("sized_queue_capacity,");
    }
    // `verdict` is the whole run's; `all_recover` and `failure` are the envelope's judgement
    // (every class and service too), or a filter on `verdict` counts a drowning service safe.
    o.push_str(
        "goodput_ratio,goodput,p50_s,p99_s,amplification,wasted_s,recovery_s,verdict,held,all_recover,failure,attempts,meets_slo",
    );
    if extra {
        o.push_str(&format!(",{objective}"));
    }
    // With replications: the seeds behind each row and how many met the SLO.
    let seeds = points.iter().any(|p| p.seeds > 1);
    if seeds {
        o.push_str(",seeds,slo_held");
    }
    // What each SLO measured (a figure the columns above may not hold: p999, timeouts).
    for t in slo {
        o.push(',');
        o.push_str(&quote(&format!("measured: {t}")));
    }
    o.push('\n');
    for p in points {
        for (_, v) in &p.params {
            // A table value (`{ dist = "exponential", mean = "1s" }`) has commas and quotes.
            o.push_str(&cell(&show_value(v)));
            o.push(',');
        }
        if sized {
            o.push_str(&p.sized_text().unwrap_or_else(|| "-".to_string()));
            o.push(',');
        }
        let recovered = p.recovered();
        let failure = if recovered { String::new() } else { cell(&p.failure()) };
        o.push_str(&format!(
            "{:.6},{},{:.6},{:.6},{:.4},{:.3},{},{},{},{recovered},{failure},{},{}",
            p.goodput_ratio,
            p.goodput.map_or(String::new(), |g| format!("{g:.4}")),
            p.p50,
            p.p99,
            p.amplification,
            p.wasted_s,
            p.recovery_s.map_or(String::new(), |r| format!("{r:.3}")),
            p.verdict,
            p.held,
            p.attempts,
            p.meets_slo
        ));
        if extra {
            o.push(',');
            if let Some(v) = p.value(objective) {
                o.push_str(&format!("{v:.6}"));
            }
        }
        if seeds {
            o.push_str(&format!(
                ",{},{}",
                p.seeds,
                p.slo_held.unwrap_or(u32::from(p.meets_slo))
            ));
        }
        for i in 0..slo.len() {
            o.push(',');
            if let Some(v) = p.slo_values.get(i).copied().flatten() {
                // Six decimals like the columns before (`to_string` wrote 0.32447899999999996).
                o.push_str(&format!("{v:.6}"));
            }
        }
        o.push('\n');
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Varying an item of a list the file does not have says so, not "[0] is not inside a list"
    /// (a phase without `extra`); missing tables are still made on the way.
    #[test]
    fn a_path_into_a_missing_list_says_the_list_is_missing() {
        let mut tree: Value = serde_json::json!({ "workload": { "phases": [{ "rate": 1.0 }] } });
        let e = set_path(&mut tree, "workload.phases[0].extra[0].rate", Value::from(5.0)).unwrap_err();
        assert_eq!(
            e,
            "`workload.phases[0].extra[0].rate`: the file has no `extra` list there to take item [0] of: vary it once it is written in the file"
        );
        set_path(&mut tree, "gateway.codel.target", Value::from("5ms")).expect("tables are made");
        assert_eq!(tree["gateway"]["codel"]["target"], "5ms");
        let e = set_path(&mut tree, "workload.phases[3].rate", Value::from(5.0)).unwrap_err();
        assert!(
            e.contains("index 3 out of range (the list has 1, indexes 0 to 0)"),
            "{e}"
        );
    }

    /// Seeds with 3 + 7 and 4 + 6 of 10 intents ended: the means 3.5 and 6.5 rounded apart made
    /// 4 + 7 of 10, a table `spillway report` refused (`more than the 10 intents offered`).
    #[test]
    fn mean_counts_never_end_more_intents_than_offered() {
        let seed = |successes, failures| GroupSummary {
            offered: 10,
            attempts: 12,
            retries: 2,
            successes,
            failures,
            ..GroupSummary::default()
        };
        let m = mean_group(&[seed(3, 7), seed(4, 6)], true);
        assert_eq!((m.offered, m.successes, m.failures), (10, 4, 6));
    }

    /// A type error in a table was reported at a made-up `0:0` (it was decoded from a `Value`),
    /// and a table cut short was "not a spillway results file".
    #[test]
    fn table_errors_have_their_real_position() {
        let point = r#"{"params": [["gateway.concurrency", 1]], "goodput_ratio": 0.5, "p50": 0.1,
            "p99": 0.2, "amplification": 1.0, "wasted_s": 0.0, "recovery_s": null,
            "verdict": "stable", "attempts": 10, "meets_slo": true}"#;
        let table = format!("{{\n  \"scenario\": \"steady\",\n  \"objective\": \"goodput_ratio\",\n  \"slo\": [],\n  \"points\": [{point}]\n}}");
        let t = Table::parse(&table).expect("a table").expect("valid");
        assert_eq!(t.points.len(), 1);
        let typo = table.replace("\"p50\": 0.1", "\"p50\": \"fast\"");
        let e = Table::parse(&typo).expect("a table").expect_err("p50 is a string");
        // serde_json points just past the bad value: `"fast"` on the points line.
        let end = typo.lines().nth(4).and_then(|l| l.find("\"fast\"")).expect("line 5") + 6;
        assert_eq!((e.line(), e.column()), (5, end), "{e}");
        let cut = &table[..table.len() / 2];
        let e = Table::parse(cut).expect("a cut table is a table").expect_err("cut");
        assert!(e.is_eof() && e.line() > 1, "{e}");
        assert!(
            Table::parse("{\"schema\": 1, \"tool\": ").is_none(),
            "a cut results file"
        );
        assert!(Table::parse("{\"schema\": 1}").is_none(), "a results file");
    }

    /// A whole-run objective is one the points keep (`shed` used to fall back to goodput ratio,
    /// negated as lower-is-better, and picked the worst point); a group's may be any of its
    /// figures (whether the scenario keeps the group is `Scenario::figure_problem`'s to say).
    #[test]
    fn objectives_parse() {
        assert_eq!(parse_objective("goodput"), Ok(Figure::whole(Metric::Goodput)));
        assert_eq!(parse_objective(" p99 "), Ok(Figure::whole(Metric::P99)));
        // Wasted work is the backend's: no group's form to suggest (it was, then refused).
        let err = parse_objective("wasted_ratio").unwrap_err();
        assert!(
            err.contains("keeps `wasted`") && !err.contains("service[NAME]"),
            "{err}"
        );
        let err = parse_objective("shed").unwrap_err();
        assert!(err.contains("do not keep it") && err.contains("recovery"), "{err}");
        assert_eq!(
            parse_objective("interactive.shed"),
            Ok(Figure::class(Priority::Interactive, Metric::Shed))
        );
        // An unknown name lists what a sweep can optimise, not every threshold metric.
        let err = parse_objective("latency").unwrap_err();
        assert!(
            err.contains("unknown metric `latency`") && err.contains("recovery"),
            "{err}"
        );
        assert!(!err.contains("max") && !err.contains("timeouts"), "{err}");
    }

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

    /// An alias and the name it stands for are one value: listed both, the axis is refused
    /// rather than running the same strategy twice; an alias alone runs under its name.
    #[test]
    fn a_strategy_and_its_alias_are_one_value() {
        let e = parse_axis("gateway.strategy=lifo,adaptive-lifo").unwrap_err();
        assert!(e.contains("`adaptive-lifo` is `lifo` again"), "{e}");
        let a = parse_axis("gateway.strategy=fifo,lifo").unwrap();
        assert_eq!(a.values, [Value::from("fifo"), Value::from("adaptive-lifo")]);
        // Unknown names are the scenario check's to refuse, with its list.
        assert_eq!(
            parse_axis("gateway.strategy=fifo,nope").unwrap().values[1],
            Value::from("nope")
        );
    }

    #[test]
    fn axes_parse() {
        assert_eq!(
            parse_axis("gateway.concurrency=1..3").unwrap().values,
            vec![Value::from(1), Value::from(2), Value::from(3)]
        );
        let a = parse_axis("gateway.strategy=fifo,deadline").unwrap();
        assert_eq!(a.values, vec![Value::from("fifo"), Value::from("deadline")]);
        assert_eq!(
            parse_axis("clients.timeout=1s,2s").unwrap().values[1],
            Value::from("2s")
        );
        assert!(parse_axis("nokey").is_err());
        // Empty names and a name glued to an index: refused, not read as another key.
        for bad in [
            "gateway..concurrency=2",
            ".gateway.concurrency=2",
            "gateway.concurrency.=2",
            "workload.phases[0]rate=1",
            "workload.[0].rate=1",
            r#"gateway.services."a.b"concurrency=1,2"#,
            r#"gateway.services."c.concurrency=1,2"#,
        ] {
            let e = parse_axis(bad).unwrap_err();
            assert!(e.starts_with(&format!("--vary `{bad}`: ")), "{e}");
        }
        for good in [
            "workload.phases[0].rate=1",
            "backend.services[0][1]=1",
            r#"gateway.services."a.v2".concurrency=2"#,
            r#"gateway.services."a]".concurrency=2"#,
            r#"gateway.services."x[y]".concurrency=2"#,
            r#"gateway.services."v[2".concurrency=2"#,
        ] {
            assert!(parse_axis(good).is_ok(), "{good}");
        }
        // Settings only a live run reads: every point would be one run.
        for ignored in [
            "run.name=a,b",
            "run.description=a,b",
            "clients.request.body=a,b",
            "clients.request.headers.x-a=a,b",
            "gateway.connect_timeout=1s,2s",
            "gateway.priorities.routes={ \"/a\" = \"background\" }",
            "backend.services[0].upstream=http://a,http://b",
            "backend.services[billing].request.body_file=a.json,b.json",
        ] {
            let e = parse_axis(ignored).unwrap_err();
            assert!(e.contains("so every point would be the same run"), "{e}");
        }
        // The method is read (the gateway retries only idempotent ones), so is a whole table.
        for read in [
            "clients.request.method=GET,POST",
            "backend.services[0].request.method=GET,POST",
            "clients.request={ method = \"GET\" },{ method = \"POST\" }",
        ] {
            assert!(parse_axis(read).is_ok(), "{read}");
        }
        let e = parse_axis("run.time_scale=1,2").unwrap_err();
        assert!(e.contains("virtual clock"), "{e}");
        assert!(parse_axis("a=3..1").is_err());
        // An empty value or one listed twice was dropped silently ("1 points simulated").
        let e = parse_axis("gateway.concurrency=1,,2").unwrap_err();
        assert!(e.contains("an empty value"), "{e}");
        assert!(parse_axis("gateway.concurrency=1,2,")
            .unwrap_err()
            .contains("an empty value"));
        let e = parse_axis("gateway.concurrency=2,2").unwrap_err();
        assert!(e.contains("`2` is listed twice"), "{e}");
        // Or written two ways: it ran twice, as two identical points.
        let e = parse_axis("clients.timeout=1s,2s,1000ms").unwrap_err();
        assert!(e.contains("`1000ms` is `1s` again"), "{e}");
        let e = parse_axis("workload.phases[1].rate=300,300.0").unwrap_err();
        assert!(e.contains("`300.0` is `300` again"), "{e}");
        assert_eq!(parse_axis("clients.timeout=1s,1001ms").unwrap().values.len(), 2);
        assert!(parse_axis("gateway.concurrency=").unwrap_err().contains("no values"));
        // An index that is none named another field.
        let e = parse_axis("workload.phases[-1].rate=1,2").unwrap_err();
        assert!(e.contains("`[-1]` is no list index"), "{e}");
        assert!(parse_axis("workload.phases[0.rate=1")
            .unwrap_err()
            .contains("without `]`"));
        assert!(parse_axis("workload.phases[1].rate=1,2").is_ok());
    }

    /// `A..B:STEP` counts from A by STEP up to B; a step that is no positive integer, or one
    /// that leaves A alone, is refused saying so (`1..8:2` said "range bounds must be integers").
    /// More keys a sweep point never reads: whether the live gateway's admin endpoints need a
    /// key, a phase's name (a label) and the scenario's thresholds (points are held to --slo).
    /// A label's refusal does not send the user to live runs, which ignore it too.
    #[test]
    fn labels_admin_auth_and_thresholds_are_no_axis_and_labels_are_not_sent_live() {
        let e = parse_axis("gateway.auth.protect_admin=true,false").unwrap_err();
        assert!(
            e.contains("/metrics and /healthz") && e.contains("so every point would be the same run"),
            "{e}"
        );
        assert!(e.contains("vary it in live runs"), "{e}");
        for label in ["workload.phases[0].name=a,b", "run.name=a,b", "run.description=a,b"] {
            let e = parse_axis(label).unwrap_err();
            assert!(
                e.contains("label") && e.contains("so every point would be the same run"),
                "{e}"
            );
            assert!(
                e.contains("no run reads (live runs neither)") && !e.contains("vary it in live"),
                "{e}"
            );
        }
        let e = parse_axis(r#"thresholds[0].check="p99<1s","p99<2s""#).unwrap_err();
        assert!(e.contains("held to --slo, not to the scenario's thresholds"), "{e}");
        // Compare does read thresholds (each run is judged and shown by them).
        assert_eq!(simulator_ignores("thresholds[0].check"), None);
        assert_eq!(
            simulator_ignores("workload.phases[2].name"),
            Some(Ignored::Label("a phase's name is a label"))
        );
    }

    #[test]
    fn a_range_takes_a_step() {
        let values = |spec: &str| parse_axis(spec).unwrap().values;
        let ints = |v: &[i64]| v.iter().map(|&i| Value::from(i)).collect::<Vec<_>>();
        assert_eq!(values("gateway.concurrency=1..8:2"), ints(&[1, 3, 5, 7]));
        assert_eq!(values("gateway.concurrency=2..8:2"), ints(&[2, 4, 6, 8]));
        assert_eq!(values("gateway.concurrency=1..8:7"), ints(&[1, 8]));
        assert_eq!(values("a=-10..10: 10"), ints(&[-10, 0, 10]));
        assert_eq!(values("gateway.concurrency=1..3"), ints(&[1, 2, 3]));
        assert_eq!(
            values("a=-9223372036854775808..9223372036854775807:9223372036854775807").len(),
            3
        );
        for (spec, says) in [
            ("gateway.concurrency=1..8:0", "the step must be a positive integer (A..B:STEP counts up from A to B), not 0"),
            ("gateway.concurrency=1..8:-2", "the step must be a positive integer (A..B:STEP counts up from A to B), not -2"),
            ("gateway.concurrency=1..8:1.5", "the step `1.5` is no integer (A..B:STEP, e.g. 1..8:2 for 1, 3, 5, 7)"),
            ("gateway.concurrency=1..8:", "the step `` is no integer"),
            (
                "gateway.concurrency=1..8:8",
                "the step 8 is larger than the range 1..8, which would then be 1 alone; take a step of at most 7, or give one value",
            ),
            ("gateway.concurrency=1..1:1", "the step 1 is larger than the range 1..1"),
            ("gateway.concurrency=1.5..8", "range bound `1.5` is no integer: a range is A..B or A..B:STEP of integers"),
        ] {
            let e = parse_axis(spec).unwrap_err();
            assert!(e.starts_with(&format!("--vary `{spec}`: {says}")), "{e}");
        }
        let e = parse_axis("a=0..100000:5").unwrap_err();
        assert!(e.contains("the range has 20001 values; at most 10000"), "{e}");
        assert_eq!(values("a=0..99990:10").len(), 10_000);
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

    /// A table (or an array) written two ways is one value, as a scalar is (`1s,1000ms`): it
    /// ran twice, as two identical points. Different tables are not.
    #[test]
    fn a_table_written_two_ways_is_one_value() {
        let e = parse_axis(
            r#"clients.timeout={ dist = "exponential", mean = "1s" },{ dist = "exponential", mean = "1000ms" }"#,
        )
        .unwrap_err();
        assert!(
            e.ends_with(
                r#"`{ dist = "exponential", mean = "1000ms" }` is `{ dist = "exponential", mean = "1s" }` again"#
            ),
            "{e}"
        );
        // Fields in another order, an integer as a float, nested tables and arrays.
        assert!(parse_axis(
            r#"clients.timeout={ mean = "1s", dist = "exponential" },{ dist = "exponential", mean = "1s" }"#
        )
        .is_err());
        assert!(parse_axis(r#"a={ x = 1, y = [2, "1m"] },{ y = [2.0, "60s"], x = 1.0 }"#).is_err());
        assert!(parse_axis(r#"a=["timeout", "1s"],["timeout", "1000ms"]"#).is_err());
        for distinct in [
            r#"clients.timeout={ dist = "exponential", mean = "1s" },{ dist = "exponential", mean = "2s" }"#,
            r#"clients.timeout={ dist = "exponential", mean = "1s" },{ dist = "lognormal", mean = "1s" }"#,
            r#"clients.timeout={ dist = "exponential", mean = "1s" },{ dist = "exponential", mean = "1s", p99 = "3s" }"#,
            r#"a=[1, 2],[1, 2, 3]"#,
        ] {
            assert_eq!(parse_axis(distinct).unwrap().values.len(), 2, "{distinct}");
        }
    }

    /// `-2..9223372036854775807`: `b - a` overflowed i64, passed the size check and panicked
    /// with a capacity overflow.
    #[test]
    fn a_range_with_bounds_of_opposite_signs_is_refused_not_a_panic() {
        let e = parse_axis("gateway.concurrency=-2..9223372036854775807").unwrap_err();
        assert!(
            e.starts_with("--vary `gateway.concurrency=-2..9223372036854775807`:")
                && e.contains("9223372036854775810 values; at most 10000"),
            "{e}"
        );
        let e = parse_axis("a=-9223372036854775808..9223372036854775807").unwrap_err();
        assert!(e.contains("18446744073709551616 values"), "{e}");
        assert_eq!(parse_axis("a=1..10000").unwrap().values.len(), 10_000);
        assert!(parse_axis("a=0..10000").is_err());
        assert_eq!(parse_axis("a=-2..-2").unwrap().values, vec![Value::from(-2)]);
    }

    /// `Value::from(f64::NAN)` is null, which reads as "not set": `gateway.concurrency=nan` ran
    /// as `-`, `run.duration=inf` as the default.
    #[test]
    fn non_finite_numbers_are_refused_not_read_as_unset() {
        for v in ["nan", "NaN", "inf", "-inf", "infinity", "1e400"] {
            let spec = format!("gateway.concurrency={v}");
            let e = parse_axis(&spec).unwrap_err();
            assert_eq!(e, format!("--vary `{spec}`: `{v}` is not a finite number"));
        }
        let e = parse_axis("run.duration=1,inf").unwrap_err();
        assert!(e.contains("`inf` is not a finite number"), "{e}");
        let e = parse_axis_for("--variant a", "run.duration=inf").unwrap_err();
        assert!(e.starts_with("--variant a `run.duration=inf`:"), "{e}");
        assert_eq!(parse_axis("a=1e308").unwrap().values, vec![Value::from(1e308)]);
        assert_eq!(parse_axis("a=info").unwrap().values, vec![Value::from("info")]);
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

    /// The cap counts simulations, points x seeds, not grid points alone: 1,001 points of
    /// 1,000 seeds each were a million simulations, started without a word.
    #[test]
    fn too_many_simulations_are_refused_naming_both_numbers() {
        assert_eq!(check_simulations(100_000, 1), Ok(()));
        assert_eq!(check_simulations(1_000, 1_000), Ok(()));
        assert_eq!(
            check_simulations(1_001, 1_000).unwrap_err(),
            "--replications 1000: 1,001 points x 1000 seeds make 1,001,000 simulations; a sweep runs at most 1,000,000: lower --replications to at most 999, or narrow an axis"
        );
        let e = check_simulations(100_000, 1_000).unwrap_err();
        assert!(
            e.contains("make 100,000,000 simulations") && e.ends_with("at most 10, or narrow an axis"),
            "{e}"
        );
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
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

    /// `gateway.services.*.KEY` sets KEY for every service and `backend.services[*]` every entry
    /// of the file's list: one axis sizes them all. A strategy that does not take the key
    /// shows it as `-`, as for one service.
    #[test]
    fn a_wildcard_key_sets_every_service() {
        let base = scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"10s\"\nrate = 5\n[gateway]\nstrategy = \"bounded\"\nqueue_capacity = 50\n\
             [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n\
             [[backend.services]]\nname = \"b.v2\"\ncount = 2\nworkers = 1\nservice_time = \"10ms\"\n",
        )
        .unwrap();
        let axes = [
            parse_axis("gateway.strategy=fifo,bounded").unwrap(),
            parse_axis("gateway.services.*.queue_capacity=3,7").unwrap(),
            parse_axis("backend.services[*].workers=2").unwrap(),
        ];
        let plan = plan(&base, &axes).unwrap();
        let params: Vec<String> = plan.points.iter().map(|p| describe(&p.params)).collect();
        assert_eq!(
            params,
            [
                "gateway.strategy=fifo gateway.services.*.queue_capacity=- backend.services[*].workers=2",
                "gateway.strategy=bounded gateway.services.*.queue_capacity=3 backend.services[*].workers=2",
                "gateway.strategy=bounded gateway.services.*.queue_capacity=7 backend.services[*].workers=2",
            ]
        );
        for (i, q) in [(0, None), (1, Some(3)), (2, Some(7))] {
            let s = plan.scenario(i).unwrap();
            let caps: Vec<Option<u32>> = s
                .services
                .iter()
                .map(|x| s.file.gateway.for_service(&x.name, &x.group).queue_capacity)
                .collect();
            assert_eq!(caps.len(), 3, "a, and b.v2 twice");
            assert!(caps.iter().all(|c| *c == q), "point {i}: {caps:?}");
            assert!(s.services.iter().all(|x| x.workers == 2));
        }
        // `[*]` elsewhere is still no index, nor a second one inside a service entry.
        let e = parse_axis("workload.phases[*].rate=1").unwrap_err();
        assert!(e.contains("is no list index"), "{e}");
        let e = parse_axis("backend.services[*].overload.backlog[*]=3").unwrap_err();
        assert!(e.contains("is no list index"), "{e}");
        // The services are the point's own: a `count` axis changes them.
        let axes = [
            parse_axis("backend.services[1].count=1,3").unwrap(),
            parse_axis("gateway.services.*.queue_capacity=5").unwrap(),
        ];
        let plan = super::plan(&base, &axes).unwrap();
        for i in 0..plan.points.len() {
            let s = plan.scenario(i).unwrap();
            assert!(
                s.services
                    .iter()
                    .all(|x| s.file.gateway.for_service(&x.name, &x.group).queue_capacity == Some(5)),
                "point {i}: {:?}",
                s.file.gateway.services
            );
        }
        assert_eq!(plan.scenario(1).unwrap().services.len(), 4, "a, and b.v2 three times");
        // A key naming one service wins over the wildcard, whichever axis comes first.
        for order in [
            [
                "gateway.services.a.queue_capacity=9",
                "gateway.services.*.queue_capacity=5",
            ],
            [
                "gateway.services.*.queue_capacity=5",
                "gateway.services.a.queue_capacity=9",
            ],
        ] {
            let axes: Vec<Axis> = order.iter().map(|a| parse_axis(a).unwrap()).collect();
            let s = super::plan(&base, &axes).unwrap().scenario(0).unwrap();
            assert_eq!(
                s.file.gateway.for_service("a", "a").queue_capacity,
                Some(9),
                "{order:?}"
            );
            assert_eq!(
                s.file.gateway.for_service("b.v2-1", "b.v2").queue_capacity,
                Some(5),
                "{order:?}"
            );
        }
        // A member's own table would win over its group's: the wildcard sets it too.
        let mut f = base.file.clone();
        f.gateway.services.entry("b.v2-1".into()).or_default().queue_capacity = Some(9);
        let own = scenario::resolve("t.toml", f).unwrap();
        let plan = super::plan(&own, &[parse_axis("gateway.services.*.queue_capacity=5").unwrap()]).unwrap();
        let s = plan.scenario(0).unwrap();
        assert_eq!(s.file.gateway.for_service("b.v2-1", "b.v2").queue_capacity, Some(5));
    }

    /// A recovery SLO that no run of a point could judge (the run ends too soon after its
    /// trigger) is refused before the sweep, at the points that cannot judge it: an axis on
    /// the phase after the trigger decides which. A grid whose every point judges it runs.
    #[test]
    fn a_recovery_slo_no_point_can_judge_is_refused() {
        let base = scenario::parse(
            "t.toml",
            "[run]\nwindow = \"1s\"\n\
             [[workload.phases]]\nduration = \"10s\"\nrate = 5\n\
             [[workload.phases]]\nduration = \"2s\"\nrate = 50\ntrigger = true\n\
             [[workload.phases]]\nduration = \"2s\"\nrate = 5\n\
             [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n",
        )
        .unwrap();
        let t: model::threshold::Threshold = "recovery < 5s".parse().unwrap();
        let problem = |plan: &Plan| figure_problem(plan, &[("--slo: ".to_string(), &t.figure)]);
        // No axis touches the time line: the file's problem, said as the file's.
        let same = plan(&base, &[parse_axis("gateway.strategy=fifo,deadline").unwrap()]).unwrap();
        let (_, at, p) = problem(&same).expect("refused");
        assert_eq!(at, "");
        assert!(
            p.starts_with("`recovery` could never be judged: the run ends 2s after"),
            "{p}"
        );
        // The phase after the trigger varied: only its short points are refused.
        let some = plan(&base, &[parse_axis("workload.phases[2].duration=2s,30s").unwrap()]).unwrap();
        let (_, at, _) = problem(&some).expect("refused");
        assert_eq!(at, "at workload.phases[2].duration=2s: ");
        let all = plan(&base, &[parse_axis("workload.phases[2].duration=20s,30s").unwrap()]).unwrap();
        assert_eq!(problem(&all), None);
    }

    /// SLOs and objectives name services as every point has them: an axis on `count` renames
    /// `risk` to `risk-1`.., so `service[risk]` measures nothing at any point, and
    /// `service[risk-2]` nothing where the count is 1. A problem every point shares is the file's.
    #[test]
    fn slo_figures_are_checked_at_every_point() {
        let base = scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"10s\"\nrate = 5\n\
             [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n\
             [[backend.services]]\nname = \"risk\"\nworkers = 1\nservice_time = \"10ms\"\n",
        )
        .unwrap();
        let plan = plan(&base, &[parse_axis("backend.services[1].count=1,3").unwrap()]).unwrap();
        let problem = |slo: &str| {
            let t: model::threshold::Threshold = slo.parse().unwrap();
            figure_problem(&plan, &[("--slo: ".to_string(), &t.figure)]).map(|(_, at, p)| format!("{at}{p}"))
        };
        let whole_named = problem("service[risk].p99<1s").unwrap();
        assert!(
            whole_named.starts_with(
                "at every point, e.g. at backend.services[1].count=1: `service[risk].p99`: `risk` is one service named `risk-1`"
            ),
            "{whole_named}"
        );
        let second = problem("service[risk-2].p99<1s").unwrap();
        assert!(
            second.starts_with("at backend.services[1].count=1: `service[risk-2].p99`: no service `risk-2`"),
            "{second}"
        );
        assert_eq!(problem("service[risk-1].p99<1s"), None);
        assert_eq!(problem("service[a].p99<1s"), None);
        assert_eq!(problem("service[*].p99<1s"), None);
        let typo = problem("service[zz].p99<1s").unwrap();
        assert!(
            typo.starts_with("at every point, e.g. at backend.services[1].count=1: `service[zz].p99`: no service `zz`"),
            "{typo}"
        );
        // The file's own problem, the same at every point (no axis touches it), reads as the file's.
        let only_workers = super::plan(&base, &[parse_axis("backend.services[1].workers=1,2").unwrap()]).unwrap();
        let t: model::threshold::Threshold = "service[zz].p99<1s".parse().unwrap();
        let (_, at, p) = figure_problem(&only_workers, &[("--slo: ".to_string(), &t.figure)]).unwrap();
        assert_eq!(at, "");
        assert!(p.starts_with("`service[zz].p99`: no service `zz`"), "{p}");
        // A figure valid at every point is not blamed for the base scenario's problem with
        // another (review, stop 42: `service[risk-1]` was refused for `service[risk]`'s).
        let two = super::plan(&base, &[parse_axis("backend.services[1].count=2,3").unwrap()]).unwrap();
        let (slo, ok): (model::threshold::Threshold, model::threshold::Threshold) = (
            "service[risk].p99<1s".parse().unwrap(),
            "service[risk-1].p99<1s".parse().unwrap(),
        );
        let (flag, at, p) = figure_problem(
            &two,
            &[
                ("--slo risk-1: ".to_string(), &ok.figure),
                ("--slo risk: ".to_string(), &slo.figure),
            ],
        )
        .unwrap();
        assert_eq!(flag, "--slo risk: ");
        assert!(
            at.starts_with("at every point, e.g. at backend.services[1].count=2"),
            "{at}"
        );
        assert!(p.contains("`risk` is a group of 2 services"), "{p}");
        // The base scenario's `risk` is not what the points run: no point is judged by it.
        assert!(base
            .figure_problem(
                &"service[risk].p99<1s"
                    .parse::<model::threshold::Threshold>()
                    .unwrap()
                    .figure
            )
            .is_none());
    }

    /// A point's seeds (its seed, +1, ...) must not pass u64::MAX: [`run_plan`] would wrap to 0.
    #[test]
    fn seeds_past_the_largest_are_refused() {
        let base = scenario::parse("t.toml", "[[workload.phases]]\nduration = \"10s\"\nrate = 5\n[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n").unwrap();
        let mut p = plan(&base, &[parse_axis("gateway.strategy=fifo").unwrap()]).unwrap();
        p.points[0].seed = u64::MAX - 1;
        assert_eq!(check_seeds(&p, 2), Ok(()));
        let e = check_seeds(&p, 3).unwrap_err();
        assert!(
            e.starts_with("--replications 3: the point `gateway.strategy=fifo` has seed 18446744073709551614")
                && e.ends_with("at most 18446744073709551613"),
            "{e}"
        );
    }

    #[test]
    fn grid_is_the_cartesian_product() {
        let axes = vec![parse_axis("a=1,2").unwrap(), parse_axis("b=x,y,z").unwrap()];
        assert_eq!(grid(&axes).unwrap().len(), 6);
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
            classes: BTreeMap::new(),
            services: BTreeMap::new(),
            slo_measured: Vec::new(),
            slo_values: Vec::new(),
            sized_queue_capacity: None,
            sized_queue_capacities: BTreeMap::new(),
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
            lines.iter().any(|l| l
                .starts_with("  tied with it on goodput_ratio, p99 and wasted work at their worst load")
                && l.ends_with(": gateway.concurrency=7, 6, 5")),
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

    /// An absolute goodput with a varied load ranks on noise: a note suggests the ratio (a
    /// class's or a service's for theirs); a setting axis, or another objective, gets none.
    #[test]
    fn goodput_over_a_varied_load_suggests_the_ratio() {
        let ax = |s: &str| parse_axis(s).unwrap();
        let strategy = ax("gateway.strategy=fifo,bounded");
        let goodput = parse_objective("goodput").unwrap();
        let note = objective_note(&goodput, &[strategy.clone(), ax("workload.phases[1].rate=150,200")]).unwrap();
        assert!(
            note.starts_with("--objective goodput is successes per second")
                && note.contains("over workload.phases[1].rate every configuration's worst load")
                && note.ends_with("--objective goodput_ratio (the share of intents that succeed) compares configurations across loads"),
            "{note}"
        );
        let billing = parse_objective("service[billing].goodput").unwrap();
        let note = objective_note(&billing, &[ax("workload.phases[1].duration=5s,10s")]).unwrap();
        assert!(note.contains("--objective service[billing].goodput_ratio"), "{note}");
        assert!(objective_note(&goodput, std::slice::from_ref(&strategy)).is_none());
        assert!(objective_note(&goodput, &[strategy.clone(), ax("workload.phases[1].rate=150")]).is_none());
        let ratio = parse_objective("goodput_ratio").unwrap();
        assert!(objective_note(&ratio, &[strategy, ax("workload.phases[1].rate=150,200")]).is_none());
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

    /// Over seeds, a whole run without a verdict is not known to recover (it ranks worst); a
    /// group without one in some seed is judged by the seeds that have one.
    #[test]
    fn seeds_without_a_verdict() {
        let g = |v| GroupSummary {
            offered: 10,
            verdict: v,
            ..Default::default()
        };
        let whole = mean_group(&[g(Some(Verdict::Recovered)), g(None)], true);
        assert_eq!(whole.verdict, None);
        let group = mean_group(
            &[g(None), g(Some(Verdict::Metastable)), g(Some(Verdict::Recovered))],
            false,
        );
        assert_eq!(group.verdict, Some(Verdict::Metastable));
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

    /// Over seeds, a recovery that never came in one seed is no mean of the others: the number
    /// (sweep.csv's `measured:` column) is empty, the text says how many seeds recovered.
    #[test]
    fn a_recovery_missing_in_a_seed_has_no_mean() {
        let seed = |recovery: Option<f64>, verdict| {
            let mut s = Summary::default();
            s.whole.offered = 10;
            s.whole.recovery_s = recovery;
            s.whole.verdict = Some(verdict);
            s
        };
        let t: Threshold = "recovery < 30s".parse().unwrap();
        let (text, value) = slo_reading(
            &t,
            &[seed(Some(2.0), Verdict::Recovered), seed(None, Verdict::Metastable)],
        );
        assert_eq!(value, None, "{text}");
        assert!(text.contains("(1 of 2 seeds; else never)"), "{text}");
        let (_, value) = slo_reading(
            &t,
            &[seed(Some(2.0), Verdict::Recovered), seed(Some(4.0), Verdict::Recovered)],
        );
        assert_eq!(value, Some(3.0));
        // Other figures a seed lacks are the mean of the seeds that have them.
        let p99: Threshold = "p99 < 2s".parse().unwrap();
        let mut with = seed(Some(2.0), Verdict::Recovered);
        with.whole.latency.p99 = 1.0;
        (with.whole.successes, with.whole.latency.count) = (10, 10);
        let none = Summary::default();
        let (_, value) = slo_reading(&p99, &[with, none]);
        assert_eq!(value, Some(1.0));
    }

    /// A gateway-wide setting that every service overrides changes nothing: its axis is refused
    /// (its points ran as identical rows, and the best line named a value as chosen).
    #[test]
    fn an_axis_every_service_overrides_is_refused() {
        let base = scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"10s\"\nrate = 5\n[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n[[backend.services]]\nname = \"b\"\nworkers = 1\nservice_time = \"10ms\"\n",
        )
        .unwrap();
        let global = parse_axis("gateway.concurrency=1,2").unwrap();
        let every = parse_axis("gateway.services.*.concurrency=3,4").unwrap();
        let e = plan(&base, &[global.clone(), every.clone()]).err().unwrap();
        assert!(
            e.starts_with(
                "--vary gateway.concurrency: no point of the grid takes it: every service sets its own concurrency (gateway.services.<name>.concurrency, set by --vary gateway.services.*.concurrency or the file)"
            ),
            "{e}"
        );
        assert!(plan(&base, std::slice::from_ref(&global)).is_ok());
        // One service of two overriding it leaves the other to take it.
        let one = parse_axis("gateway.services.a.concurrency=3,4").unwrap();
        assert!(plan(&base, &[global, one]).is_ok());
    }

    /// The gateway's queue timeout, which a service's own table overrides too: an axis every
    /// service overrides is refused and names the wildcard (its points ran as identical rows).
    /// The clients' timeout is taken whatever the services set (it bounds an intent's lifetime),
    /// and `clients.services.*.timeout` sets every service's.
    #[test]
    fn per_service_timeouts_override_their_axes_and_take_a_wildcard() {
        let service =
            |name: &str| format!("[[backend.services]]\nname = \"{name}\"\nworkers = 1\nservice_time = \"10ms\"\n");
        let file = |tables: &str| {
            scenario::parse(
                "t.toml",
                &format!(
                    "[[workload.phases]]\nduration = \"10s\"\nrate = 5\n[gateway]\nstrategy = \"bounded\"\nqueue_capacity = 5\n{}{}{tables}",
                    service("a"),
                    service("b")
                ),
            )
            .unwrap()
        };
        let both = file(
            "[clients.services.a]\ntimeout = \"1s\"\n[clients.services.b]\ntimeout = \"3s\"\n\
             [gateway.services.a]\nqueue_timeout = \"100ms\"\n[gateway.services.b]\nqueue_timeout = \"200ms\"\n",
        );
        let e = plan(&both, &[parse_axis("gateway.queue_timeout=1s,5s").unwrap()])
            .err()
            .expect("refused");
        assert!(
            e.contains("no point of the grid takes it") && e.contains("vary gateway.services.*.queue_timeout instead"),
            "{e}"
        );
        assert!(plan(&both, &[parse_axis("clients.timeout=1s,5s").unwrap()]).is_ok());
        // One service of two with its own leaves the other to read the clients-wide one.
        let one = file("[clients.services.a]\ntimeout = \"1s\"\n");
        assert!(plan(&one, &[parse_axis("clients.timeout=1s,5s").unwrap()]).is_ok());
        // The wildcard sets each service's own, the file's tables and the others alike.
        let p = plan(&one, &[parse_axis("clients.services.*.timeout=2s,4s").unwrap()]).unwrap();
        for (i, want) in [(0, 2), (1, 4)] {
            let s = p.scenario(i).unwrap();
            for name in ["a", "b"] {
                let t = s.file.clients.timeout_for(name, name).as_constant();
                assert_eq!(
                    t,
                    Some(model::duration::Dur::from_secs(want)),
                    "point {i}, service {name}"
                );
            }
        }
    }

    /// An axis whose every write another axis repeats for every service it reaches changes
    /// nothing (a key naming one service wins over a wildcard): refused, naming both. A wildcard
    /// that still reaches some service is kept; so is a group's table a member still reads.
    #[test]
    fn an_axis_another_overrides_for_every_service_is_refused() {
        let service = |name: &str, extra: &str| {
            format!("[[backend.services]]\nname = \"{name}\"\nworkers = 1\nservice_time = \"10ms\"\n{extra}")
        };
        let phases = "[[workload.phases]]\nduration = \"10s\"\nrate = 5\n";
        let one = scenario::parse("t.toml", &format!("{phases}{}", service("a", ""))).unwrap();
        let two = scenario::parse("t.toml", &format!("{phases}{}{}", service("a", ""), service("b", ""))).unwrap();
        let refused = |base: &Scenario, axes: &[&str], dead: &str, by: &str| {
            let axes: Vec<Axis> = axes.iter().map(|a| parse_axis(a).unwrap()).collect();
            let e = plan(base, &axes).err().expect("refused");
            assert!(
                e.starts_with(&format!("--vary {dead}: no point of the grid takes it"))
                    && e.contains(&format!("--vary {by} ")),
                "{e}"
            );
        };
        let (a, every) = ("gateway.services.a.concurrency", "gateway.services.*.concurrency");
        refused(&one, &[&format!("{a}=2,3"), &format!("{every}=1,4")], every, a);
        refused(&one, &[&format!("{every}=1,4"), &format!("{a}=2,3")], every, a);
        // The same service quoted, and a table holding the field.
        let quoted = r#"gateway.services."a".concurrency"#;
        refused(
            &one,
            &[&format!("{every}=1,4"), &format!("{quoted}=2,3")],
            every,
            quoted,
        );
        refused(
            &one,
            &[
                &format!("{every}=1,4"),
                "gateway.services.a={ concurrency = 2 },{ concurrency = 3 }",
            ],
            every,
            "gateway.services.a",
        );
        let (w0, w_all) = ("backend.services[0].workers", "backend.services[*].workers");
        refused(&one, &[&format!("{w0}=2,4"), &format!("{w_all}=3,5")], w_all, w0);
        // A second service still takes the wildcard.
        let kept = |base: &Scenario, axes: &[&str]| {
            let axes: Vec<Axis> = axes.iter().map(|a| parse_axis(a).unwrap()).collect();
            let p = plan(base, &axes).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(p.points.len(), 4);
        };
        kept(&two, &[&format!("{a}=2,3"), &format!("{every}=1,4")]);
        kept(&two, &[&format!("{w0}=2,4"), &format!("{w_all}=3,5")]);
        // A group's table: one member's own table (the file's) leaves the other to read it;
        // when every member has its own, none does.
        let group = |extra: &str| {
            scenario::parse("t.toml", &format!("{phases}{}{extra}", service("g", "count = 2\n"))).unwrap()
        };
        let own = |m: &str| format!("[gateway.services.{m}]\nconcurrency = 1\n");
        let g = "gateway.services.g.concurrency=2,3";
        kept(&group(&own("g-1")), &[g, "clients.timeout=1s,2s"]);
        let e = plan(
            &group(&format!("{}{}", own("g-1"), own("g-2"))),
            &[parse_axis(g).unwrap()],
        )
        .err()
        .expect("refused");
        assert!(
            e.starts_with(
                "--vary gateway.services.g.concurrency: no point of the grid takes it: every service of group g sets its own concurrency"
            ),
            "{e}"
        );
        // The group's whole table, setting only what every member sets for itself: refused
        // (it ran, each value giving the same figures).
        let e = plan(
            &group(&format!("{}{}", own("g-1"), own("g-2"))),
            &[parse_axis("gateway.services.g={ concurrency = 2 },{ concurrency = 3 }").unwrap()],
        )
        .err()
        .expect("refused");
        assert!(e.starts_with("--vary gateway.services.g: no point"), "{e}");
        // A table setting the queue bound, which the members leave to it: it stands.
        let bounded = |extra: &str| {
            group(&format!(
                "[gateway]\nstrategy = \"bounded\"\nqueue_capacity = 4\n{extra}"
            ))
        };
        let g_bound = "gateway.services.g={ queue_capacity = 2 },{ queue_capacity = 3 }";
        kept(
            &bounded(&format!("{}{}", own("g-1"), own("g-2"))),
            &[g_bound, "clients.timeout=1s,2s"],
        );
        // The group's whole table, every member setting all a table can: there is no field to
        // name (it read "sets its own g").
        let both = |m: &str| format!("[gateway.services.{m}]\nconcurrency = 1\nqueue_capacity = 5\n");
        let e = plan(
            &group(&format!(
                "[gateway]\nstrategy = \"bounded\"\n{}{}",
                both("g-1"),
                both("g-2")
            )),
            &[parse_axis("gateway.services.g={ concurrency = 2 },{ concurrency = 3 }").unwrap()],
        )
        .err()
        .expect("refused");
        assert!(
            e.starts_with(
                "--vary gateway.services.g: no point of the grid takes it: every service of group g sets its own value for each setting it sets (gateway.services.<name>, in the file)"
            ) && !e.contains("own g "),
            "{e}"
        );
    }

    /// Ctrl-C while a grid is being prepared gives it up rather than waiting for every point
    /// to be built and checked; unset, the same grid plans in full.
    #[test]
    fn a_grid_being_prepared_stops_on_ctrl_c() {
        use std::sync::atomic::AtomicBool;
        let s = scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"10s\"\nrate = 5\n[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n",
        )
        .unwrap();
        let axes = vec![parse_axis("gateway.concurrency=1..50").unwrap()];
        assert!(plan_until(&s, &axes, &AtomicBool::new(true)).unwrap().is_none());
        let full = plan_until(&s, &axes, &AtomicBool::new(false))
            .unwrap()
            .expect("planned");
        assert_eq!(full.points.len(), 50);
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

    /// A backend service's faults (any of them, the service by index, name or `*`) are
    /// conditions under test, as the load is: the best configuration must hold at each one
    /// tried, not pick the mildest. Its other keys are settings.
    #[test]
    fn faults_are_conditions_not_settings() {
        for key in [
            "backend.services[0].faults.outages[0].duration",
            "backend.services[1].faults.outages[0].at",
            "backend.services[*].faults.error_ratio",
            "backend.services[billing].faults.stalls.duration",
            "backend.services[0].faults.slowdown.factor",
            "backend.services[0].faults.rate_limit.rate",
            "backend.services[0].faults",
        ] {
            assert!(is_load_axis(key), "{key}");
        }
        for key in [
            "backend.services[0].workers",
            "backend.services[*].overload",
            "backend.services[faults].workers",
            "gateway.faults",
        ] {
            assert!(!is_load_axis(key), "{key}");
        }
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
        let points = run_plan(plan(&base, &axes).unwrap(), &[slo], 3, &|| {});
        let p = &points[0];
        assert_eq!((p.seeds, p.slo_held, p.meets_slo), (3, Some(held), false));
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

    /// Once `stop` is set no simulation starts: the points whose every seed ran come back, in
    /// plan order, each with all its seeds and the same figures as an uninterrupted sweep's.
    #[test]
    fn a_stopped_plan_keeps_only_its_whole_points() {
        let base = scenario::parse("t.toml", "[[workload.phases]]\nduration = \"10s\"\nrate = 5\n[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n").unwrap();
        let axes = vec![parse_axis("gateway.concurrency=1..12").unwrap()];
        let full = run_plan(plan(&base, &axes).unwrap(), &[], 3, &|| {});
        assert_eq!(full.len(), 12);
        let stop = AtomicBool::new(false);
        let ran = std::sync::atomic::AtomicUsize::new(0);
        let tick = || {
            if ran.fetch_add(1, Ordering::SeqCst) + 1 >= 7 {
                stop.store(true, Ordering::SeqCst);
            }
        };
        let part = run_plan_until(plan(&base, &axes).unwrap(), &[], 3, &tick, &stop);
        let ran = ran.load(Ordering::SeqCst);
        // At least the 7th run set it; each other thread may have had one more under way.
        assert!((7..7 + rayon::current_num_threads()).contains(&ran), "{ran} runs");
        assert!(part.len() <= ran / 3, "{} whole points from {ran} runs", part.len());
        let mut at = 0;
        for p in &part {
            assert_eq!(p.seeds, 3);
            let i = full[at..]
                .iter()
                .position(|f| f.params == p.params)
                .expect("in plan order")
                + at;
            assert_eq!(p.goodput_ratio, full[i].goodput_ratio);
            assert_eq!(p.p99, full[i].p99);
            at = i + 1;
        }
        let none = run_plan_until(plan(&base, &axes).unwrap(), &[], 3, &|| {}, &AtomicBool::new(true));
        assert!(none.is_empty());
    }

    #[test]
    fn variants_apply_and_validate() {
        let base = scenario::parse("t.toml", "[[workload.phases]]\nduration = \"10s\"\nrate = 5\n[[workload.phases]]\nduration = \"10s\"\nrate = 5\n[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n").unwrap();
        let v = variant(
            &base,
            &[
                ("workload.phases[1].rate".into(), Value::from(50)),
                ("gateway.strategy".into(), Value::from("deadline")),
                ("clients.timeout".into(), Value::from("3s")),
            ],
        )
        .unwrap();
        assert_eq!(v.phases[1].rate_start, 50.0);
        assert_eq!(v.file.gateway.strategy, model::scenario::Strategy::Deadline);
        let e = variant(&base, &[("gateway.concurrency".into(), Value::from(0))]).unwrap_err();
        assert!(e.contains("gateway.concurrency") && e.contains(">= 1"), "{e}");
        assert!(variant(&base, &[("workload.phases[5].rate".into(), Value::from(1))])
            .unwrap_err()
            .contains("out of range"));
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
}
