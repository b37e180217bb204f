//! `--vary` axes (and `--set`, `--variant`): `KEY=VALUES` parsed and checked, and values shown
//! back as the command line writes them.

use super::key_path::is_entry_name;
use model::scenario;
use serde_json::Value;

/// One `--vary key=values` axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub key: String,
    pub values: Vec<Value>,
}

/// At most this many values in one `A..B` range axis.
pub const MAX_RANGE_VALUES: i128 = 10_000;

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
    // A quoted value is a TOML string, its quotes not part of it: `"50ms"` was read as the
    // text `"50ms"` (no duration), `run.name=""` named the scenario `""`, and a value with a
    // comma had no way in without its quotes.
    if t.starts_with(['"', '\'']) {
        let doc: toml::Table = toml::from_str(&format!("v = {t}"))
            .map_err(|e| format!("{flag} `{spec}`: `{t}` is no TOML string: {}", e.message()))?;
        return match doc.get("v") {
            Some(toml::Value::String(v)) => Ok(Value::String(v.clone())),
            _ => Err(format!("{flag} `{spec}`: `{t}` is no TOML string")),
        };
    }
    if let Ok(i) = t.parse::<i64>() {
        return Ok(Value::from(i));
    }
    // Past i64: a seed may take all of u64 (`--seed` does); past that, said as the integer typed,
    // not as the float it would round to.
    if let Ok(u) = t.parse::<u64>() {
        return Ok(Value::from(u));
    }
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{flag} `{spec}`: `{t}` is out of range: integers go from {} to {}",
            i64::MIN,
            u64::MAX
        ));
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
pub(super) fn split_values(values: &str) -> Vec<&str> {
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
        // A quoted value is a string, even with `..` in it (`run.name="a..b"`).
        Some((a, b)) if !values.contains(',') && !values.trim_start().starts_with(['{', '[', '"', '\'']) => {
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

pub fn describe(a: &[(String, Value)]) -> String {
    a.iter()
        .map(|(k, v)| format!("{k}={}", show_value(v)))
        .collect::<Vec<_>>()
        .join(" ")
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

#[cfg(test)]
mod tests {
    use super::*;

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

    /// A quoted value is a TOML string without its quotes, and may hold a comma; an integer
    /// past i64 is kept (seeds take all of u64), past u64 refused as typed, not as a float
    /// (robustness review, stop 64).
    #[test]
    fn quoted_values_are_strings_and_large_integers_stay_integers() {
        let one = |spec: &str| parse_axis_for("--set", spec).map(|a| a.values);
        assert_eq!(one("run.name=\"\"").unwrap(), [Value::from("")]);
        assert_eq!(one("x.t=\"50ms\"").unwrap(), [Value::from("50ms")]);
        assert_eq!(
            one("run.description='hello, world'").unwrap(),
            [Value::from("hello, world")]
        );
        assert_eq!(
            parse_axis("clients.timeout=\"1s\",\"2s\"").unwrap().values,
            [Value::from("1s"), Value::from("2s")]
        );
        assert_eq!(one("run.seed=18446744073709551615").unwrap(), [Value::from(u64::MAX)]);
        let e = one("run.seed=18446744073709551616").unwrap_err();
        assert!(e.contains("`18446744073709551616` is out of range"), "{e}");
        assert!(one("run.name=\"open").unwrap_err().contains("is no TOML string"));
        // A sign alone is a string, as it was (review).
        assert_eq!(one("run.name=-").unwrap(), [Value::from("-")]);
        assert_eq!(one("run.name=--5").unwrap(), [Value::from("--5")]);
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
        // Quoted, `..` is part of a string.
        assert_eq!(values("a=\"x..y\""), vec![Value::from("x..y")]);
        assert_eq!(values("a='1..3'"), vec![Value::from("1..3")]);
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
}
