//! Plain words for scenario errors.
//!
//! serde, the `toml` deserializer and `toml_edit` word their errors for Rust programmers
//! (`unknown field`, `invalid type: map, expected a sequence`, `expected u32`); a scenario author
//! thinks in keys, values, tables and arrays. Every rewrite of their messages lives here, so that
//! the wording is in one place and each pattern has a test.
//!
//! Everything here takes user text (keys, values, whole files) and must not panic on any of it:
//! slicing goes through `get`, `strip_prefix` or indices returned by `find` on the same string.

use std::collections::HashMap;

/// The message for a file with nothing but blank lines and comments.
pub(super) const EMPTY_FILE: &str =
    "the file is empty: a scenario needs at least [[workload.phases]] and [[backend.services]]";

/// The largest TOML integer (a signed 64-bit integer).
const TOML_INT_MAX: i64 = i64::MAX;

/// True if `text` holds only blank lines and comments (an optional byte order mark aside).
pub(super) fn is_blank(text: &str) -> bool {
    text.trim_start_matches('\u{feff}').lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#')
    })
}

/// A file's bytes as text, or why they are not a UTF-8 text file.
pub(super) fn decode(bytes: Vec<u8>) -> Result<String, String> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) || looks_like_bomless_utf16(&bytes) {
        return Err("looks like UTF-16: save it as UTF-8".to_string());
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        // The bytes before it are valid: where it is, as an editor counts lines and columns.
        let before = std::str::from_utf8(&e.as_bytes()[..at]).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
        format!("not a text file: invalid UTF-8 at line {line}, column {column} (byte {at})")
    })
}

/// UTF-16 text without a byte order mark starts with ASCII characters interleaved with zeros
/// (`[\0r\0` or `\0[\0r`), which is valid UTF-8 but not a scenario.
fn looks_like_bomless_utf16(bytes: &[u8]) -> bool {
    let printable = |b: &u8| (0x09..=0x7E).contains(b);
    match bytes.get(..4) {
        Some([a, 0, b, 0]) | Some([0, a, 0, b]) => printable(a) && printable(b),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Deserialization errors (serde and the `toml` deserializer)
// ---------------------------------------------------------------------------------------------

/// A deserialization error `raw` for the field at `path`, in plain words on one line.
pub(super) fn deserialize(raw: &str, path: &str) -> String {
    let msg = one_line(raw);
    let rewritten = if let Some(rest) = msg.strip_prefix("unknown field `") {
        unknown(rest, Unknown::Key, misplaced(path))
    } else if let Some(rest) = msg.strip_prefix("unknown variant `") {
        unknown(rest, Unknown::Value, None)
    } else if let Some(rest) = msg.strip_prefix("invalid type: ") {
        invalid(rest, path, false)
    } else if let Some(rest) = msg.strip_prefix("invalid value: ") {
        invalid(rest, path, true)
    } else if let Some(rest) = msg.strip_prefix("invalid length ") {
        invalid_length(rest, path)
    } else if let Some(field) = msg.strip_prefix("missing field `").and_then(|r| r.strip_suffix('`')) {
        Some(missing(field, path))
    } else if msg == "wanted string or table" {
        // toml's words for a number or a list where a named choice (an enum) belongs.
        Some(if path == "dist" || path.ends_with(".dist") {
            "expected a distribution's name: \"constant\", \"uniform\", \"exponential\", \"lognormal\", \"pareto\" or \"empirical\"".to_string()
        } else if path.ends_with("strategy") {
            "expected a quoted name here, like \"fifo\"".to_string()
        } else {
            "expected a quoted name here, not a number or a list".to_string()
        })
    } else if msg.starts_with("wanted exactly 1 element")
        || msg.starts_with("expected table, found")
        || msg == "expected empty table"
    {
        // toml's words for a table where a named choice belongs: it reads an enum from a
        // table of one key, the name, and says how that table is wrong.
        Some(name_not_table(path))
    } else {
        None
    };
    rewritten.unwrap_or(msg)
}

/// A table where a named choice (an enum) belongs, at `path`.
pub(super) fn name_not_table(path: &str) -> String {
    if path.ends_with("strategy") {
        "expected a quoted name here, like \"fifo\", not a table".to_string()
    } else {
        "expected a quoted name here, not a table".to_string()
    }
}

/// Settings users look for in the wrong table (the field path of the unknown key), and where
/// they are.
const MISPLACED: &[(&str, &str)] = &[
    (
        "clients.retries",
        "retries are `max_attempts` (attempts in all) in [clients.retry]",
    ),
    ("clients.max_attempts", "it belongs in [clients.retry]"),
    ("clients.backoff", "it belongs in [clients.retry]"),
    (
        "clients.retry.timeout",
        "the timeout of every attempt is `timeout` in [clients]",
    ),
    (
        "workload.rate",
        "rates are per phase: `rate` in each [[workload.phases]]",
    ),
    (
        "workload.duration",
        "durations are per phase: `duration` in each [[workload.phases]] (or `duration` in [run])",
    ),
    (
        "workload.phases.mix",
        "a phase has no mix of its own: `extra` adds traffic aimed at one service (or API) on top of the phase's `rate`",
    ),
    (
        "gateway.timeout",
        "the clients' timeout is `timeout` in [clients]; the gateway's own is `queue_timeout` (or `upstream_timeout`)",
    ),
];

/// Where the setting a misplaced key at `path` is, if it is a known slip ([`MISPLACED`]).
fn misplaced(path: &str) -> Option<&'static str> {
    // Any phase: `workload.phases[2].mix` is `workload.phases.mix` here.
    let mut plain = String::with_capacity(path.len());
    let mut in_index = false;
    for ch in path.chars() {
        match ch {
            '[' => in_index = true,
            ']' => in_index = false,
            _ if !in_index => plain.push(ch),
            _ => {}
        }
    }
    MISPLACED.iter().find(|(p, _)| *p == plain).map(|(_, hint)| *hint)
}

/// The lines of a message, trimmed, joined with `: `.
fn one_line(s: &str) -> String {
    let lines: Vec<&str> = s.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    lines.join(": ")
}

#[derive(Clone, Copy)]
enum Unknown {
    Key,
    Value,
}

/// A required key that is not there: the two top-level tables say what they hold.
fn missing(field: &str, path: &str) -> String {
    match (path.trim_matches('.'), field) {
        ("", "workload") => {
            "no [workload]: a scenario needs [[workload.phases]] (open-loop arrivals) or [workload.closed] (users); a gateway's own file needs none: check it with `scenario check --for gateway`"
                .to_string()
        }
        ("", "backend") => "no [backend]: a scenario needs at least one [[backend.services]]".to_string(),
        // `loadgen run --target` takes a file without the mock backend's capacity, and the
        // gateway one without service times.
        (p, "workers" | "service_time")
            if p.strip_prefix("backend.services[")
                .is_some_and(|r| r.ends_with(']') && !r.contains('.')) =>
        {
            let who = if field == "workers" {
                "only `loadgen run --target` (which starts no mock backend) does without it: check such a file with `scenario check --for target`"
            } else {
                "`loadgen run --target` (which starts no mock backend) and `gateway --config` do without it: check such a file with `scenario check --for target` or `--for gateway`"
            };
            format!("missing `{field}`, which is required here; {who}")
        }
        _ => format!("missing `{field}`, which is required here"),
    }
}

/// `rest` follows "unknown field `" or "unknown variant `": `NAME`, expected ...` or
/// `NAME`, there are no fields`. `hint`: where a misplaced setting is, said instead of the
/// nearest name here.
fn unknown(rest: &str, what: Unknown, hint: Option<&str>) -> Option<String> {
    const EXPECTED: &str = "`, expected ";
    let (name, valid) = if let Some(i) = rest.rfind(EXPECTED) {
        (rest.get(..i)?, backticked(rest.get(i + EXPECTED.len()..)?))
    } else {
        let name = rest
            .strip_suffix("`, there are no fields")
            .or_else(|| rest.strip_suffix("`, there are no variants"))?;
        (name, Vec::new())
    };
    let noun = match what {
        Unknown::Key => "key",
        Unknown::Value => "value",
    };
    let mut out = format!("unknown {noun} `{}`", shown(name));
    if let Some(hint) = hint {
        out.push_str(&format!(": {hint}"));
    } else if let Some(near) = nearest(name, &valid) {
        out.push_str(&format!("; did you mean `{near}`?"));
    }
    let list = valid.join(", ");
    match (what, valid.len()) {
        (Unknown::Key, 0) => out.push_str(" (this table takes no keys)"),
        (Unknown::Key, _) => out.push_str(&format!(" (valid keys: {list})")),
        (Unknown::Value, 0) => {}
        (Unknown::Value, 1) => out.push_str(&format!(" (expected: {list})")),
        (Unknown::Value, _) => out.push_str(&format!(" (expected one of: {list})")),
    }
    Some(out)
}

/// The format's arrays of tables (`[[workload.phases]]`), by header path: only these take the
/// double-bracket advice.
const ARRAYS_OF_TABLES: [&str; 5] = [
    "workload.phases",
    "workload.mix",
    "backend.services",
    "backend.services.faults.outages",
    "thresholds",
];

/// Keys whose values are numbers or booleans: a bare word there is not a missing quote.
const NOT_STRINGS: [&str; 37] = [
    "seed",
    "rate",
    "ramp_to",
    "ramp",
    "trigger",
    "workers",
    "count",
    "apis",
    "weight",
    "users",
    "max_attempts",
    "concurrency",
    "queue_capacity",
    "burst",
    "ratio",
    "min_per_sec",
    "factor",
    "above_rate",
    "error_ratio",
    "healthy_ratio",
    "time_scale",
    "k",
    "max_in_flight",
    "backlog",
    "min_limit",
    "max_limit",
    "initial_limit",
    "sample_size",
    "tolerance",
    "backoff_ratio",
    "background_share",
    "interactive_capacity",
    "background_capacity",
    "budget_ratio",
    "alpha",
    "honor_retry_after",
    "sigma",
];

/// A name as messages show it: at most 64 characters (a pasted blob is not repeated whole).
fn shown(name: &str) -> String {
    match name.char_indices().nth(64) {
        Some((i, _)) => format!("{}...", name.get(..i).unwrap_or("")),
        None => name.to_string(),
    }
}

/// The names in serde's "one of `a`, `b`", "`a` or `b`" and "`a`".
fn backticked(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

/// The valid name nearest to `word`, if it is close enough to be what was meant: within
/// max(1, len/3) edits, or a prefix of it (or it of the name). Besides plain edits, the same
/// words with separators dropped (`log-normal` / `lognormal`) or reordered (`lifo-adaptive` /
/// `adaptive-lifo`) count as equal, and case is ignored.
pub(crate) fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    // No valid name is long; a long word is no typo of one (and keeps the distance cheap).
    if word.is_empty() || word.chars().count() > 64 {
        return None;
    }
    let w = word.to_lowercase();
    let limit = (w.chars().count() / 3).max(1);
    candidates
        .iter()
        .filter(|c| !c.is_empty())
        .filter_map(|&c| {
            let cl = c.to_lowercase();
            let d = distance(&w, &cl)
                .min(distance(&squashed(&w), &squashed(&cl)))
                .min(distance(&sorted_words(&w), &sorted_words(&cl)));
            let prefix = cl.starts_with(&w) || w.starts_with(&cl);
            (d <= limit || prefix).then_some((d, c))
        })
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

fn is_separator(c: char) -> bool {
    matches!(c, '-' | '_' | ' ' | '.')
}

/// `log-normal` -> `lognormal`.
fn squashed(s: &str) -> String {
    s.chars().filter(|&c| !is_separator(c)).collect()
}

/// `lifo-adaptive` -> `adaptive-lifo`.
fn sorted_words(s: &str) -> String {
    let mut words: Vec<&str> = s.split(is_separator).filter(|w| !w.is_empty()).collect();
    words.sort_unstable();
    words.join("-")
}

/// Levenshtein distance in characters, counting a swap of two neighbours (`brust` / `burst`)
/// as one edit (the "optimal string alignment" variant).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Rows i - 2, i - 1 and i of the edit matrix; `row[j]` is the distance between the first i
    // characters of `a` and the first j of `b`.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, &ca) in a.iter().enumerate() {
        let mut row = Vec::with_capacity(b.len() + 1);
        row.push(i + 1);
        for (j, &cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != cb);
            let mut d = substitute.min(prev[j + 1] + 1).min(row[j] + 1);
            if i > 0 && j > 0 && a.get(i - 1) == Some(&cb) && b.get(j - 1) == Some(&ca) {
                d = d.min(before[j - 1] + 1);
            }
            row.push(d);
        }
        before = std::mem::replace(&mut prev, row);
    }
    prev.last().copied().unwrap_or(0)
}

/// `rest` follows "invalid type: " or "invalid value: ": `UNEXPECTED, expected EXPECTED`.
fn invalid(rest: &str, path: &str, value: bool) -> Option<String> {
    const EXPECTED: &str = ", expected ";
    // The expectation never contains ", expected "; the value (a user's string) might.
    let i = rest.rfind(EXPECTED)?;
    let (unexpected, expected) = (rest.get(..i)?, rest.get(i + EXPECTED.len()..)?);
    if value {
        if let (Some((min, max)), Some(n)) = (int_range(expected), integer(unexpected)) {
            // Only the bound the value breaks: the type's other one need not be the field's
            // (`workers` takes no 0, yet its type is u32's 0 to 4294967295).
            return Some(if n < 0 && min == 0 {
                format!("expected a non-negative integer, got {n}")
            } else if n > max {
                format!("expected an integer no larger than {max}, got {n}")
            } else {
                format!("expected an integer from {min} to {max}, got {n}")
            });
        }
    }
    let want = expectation(expected, path);
    let mut out = format!("expected {want}, got {}", given(unexpected));
    if unexpected == "map" && want == "an array" {
        let header = header_path(path);
        if ARRAYS_OF_TABLES.contains(&header.as_str()) {
            out.push_str(&format!("; write [[{header}]] (double brackets) for each entry"));
        }
    }
    if let Some(s) = unexpected.strip_prefix("string \"").and_then(|s| s.strip_suffix('"')) {
        // Only a value the field would take unquoted: an integer in range, a finite number.
        let t = s.trim();
        let fits = match (int_range(expected), expected) {
            (Some((min, max)), _) => t
                .parse::<i128>()
                .is_ok_and(|n| (min..=max).contains(&n) && !t.starts_with('+')),
            (None, "f64" | "f32") => t.parse::<f64>().is_ok_and(f64::is_finite) && !t.starts_with('+'),
            (None, "a boolean") => matches!(t, "true" | "false"),
            _ => false,
        };
        if fits {
            out.push_str(&format!("; write it without quotes: {t}"));
        }
    }
    Some(out)
}

/// `rest` follows "invalid length ": `N, expected EXPECTED`.
fn invalid_length(rest: &str, path: &str) -> Option<String> {
    let (n, expected) = rest.split_once(", expected ")?;
    let n: usize = n.parse().ok()?;
    let values = if n == 1 { "value" } else { "values" };
    Some(if is_quantile_pair(expected, path) {
        format!("expected {QUANTILE_PAIR}, got {n} {values}")
    } else if let Some(size) = expected.strip_prefix("a tuple of size ") {
        if size == "2" {
            format!("expected a pair of 2 values, got {n}")
        } else {
            format!("expected an array of {size} values, got {n}")
        }
    } else {
        format!("expected {}, got {n} {values}", expectation(expected, path))
    })
}

const QUANTILE_PAIR: &str = "a [probability, duration] pair like [0.5, \"20ms\"]";

fn is_quantile_pair(expected: &str, path: &str) -> bool {
    expected == "a tuple of size 2" && path.contains("quantiles")
}

/// The inclusive range of a Rust integer type named in an expectation (`u32`).
fn int_range(ty: &str) -> Option<(i128, i128)> {
    Some(match ty {
        "u8" => (0, u8::MAX.into()),
        "u16" => (0, u16::MAX.into()),
        "u32" => (0, u32::MAX.into()),
        "u64" => (0, u64::MAX.into()),
        "usize" => (0, i128::try_from(usize::MAX).ok()?),
        "i8" => (i8::MIN.into(), i8::MAX.into()),
        "i16" => (i16::MIN.into(), i16::MAX.into()),
        "i32" => (i32::MIN.into(), i32::MAX.into()),
        "i64" => (i64::MIN.into(), i64::MAX.into()),
        "isize" => (i128::try_from(isize::MIN).ok()?, i128::try_from(isize::MAX).ok()?),
        _ => return None,
    })
}

/// The number in serde's "integer `5`".
fn integer(unexpected: &str) -> Option<i128> {
    unexpected.strip_prefix("integer `")?.strip_suffix('`')?.parse().ok()
}

/// What serde expected, in words (`u32` -> `a non-negative integer`); custom expectations stay.
fn expectation(expected: &str, path: &str) -> String {
    if is_quantile_pair(expected, path) {
        return QUANTILE_PAIR.to_string();
    }
    if let Some((min, _)) = int_range(expected) {
        return if min == 0 {
            "a non-negative integer"
        } else {
            "an integer"
        }
        .to_string();
    }
    let words = match expected {
        "f64" | "f32" => "a number",
        "a boolean" => "true or false",
        "a string" | "a borrowed string" => "a quoted string",
        "a sequence" => "an array",
        "a map" => "a table",
        "a character" => "a single character",
        "a tuple of size 2" => "a pair of 2 values",
        e if e.starts_with("struct ") => "a table",
        e => {
            if let Some(size) = e.strip_prefix("a tuple of size ") {
                return format!("an array of {size} values");
            }
            return e.to_string();
        }
    };
    words.to_string()
}

/// What the file held, in words (`map` -> `a table`, ``integer `5` `` -> `the integer 5`).
fn given(unexpected: &str) -> String {
    let quoted = |prefix: &str| unexpected.strip_prefix(prefix).and_then(|s| s.strip_suffix('`'));
    if let Some(s) = unexpected.strip_prefix("string ") {
        format!("the string {s}")
    } else if let Some(n) = quoted("integer `") {
        format!("the integer {n}")
    } else if let Some(x) = quoted("floating point `") {
        format!("the number {}", number(x))
    } else if let Some(b) = quoted("boolean `") {
        b.to_string()
    } else if let Some(c) = quoted("character `") {
        format!("the character '{c}'")
    } else {
        match unexpected {
            "map" => "a table",
            "sequence" => "an array",
            "unit value" => "an empty value",
            other => other,
        }
        .to_string()
    }
}

/// A number serde wrote in full (`1e300` as 301 digits), in scientific notation past everyday
/// magnitudes ([`crate::duration::format_number`]); as written otherwise.
fn number(written: &str) -> String {
    match written.parse::<f64>() {
        Ok(x) if crate::duration::format_number(x).contains('e') => crate::duration::format_number(x),
        _ => written.to_string(),
    }
}

/// `backend.services[0].apis` -> `backend.services.apis`: a TOML header names the last element of
/// each array of tables on its way.
fn header_path(path: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in path.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Syntax errors (toml_edit)
// ---------------------------------------------------------------------------------------------

/// A `toml_edit` syntax error `raw` at byte `offset` of `text`: the field path it is in (best
/// effort: the table header above it plus the key on its line) and the message on one line.
pub(super) fn syntax(text: &str, raw: &str, offset: usize) -> (String, String) {
    let path = syntax_path(text, offset);
    let lines: Vec<&str> = raw.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let first = lines.first().copied().unwrap_or("");
    let second = lines.get(1).copied().unwrap_or("");

    if first == "invalid table header" {
        if let Some(table) = duplicate_key(second) {
            let mut out = format!("[{table}] is defined twice");
            if ARRAYS_OF_TABLES.contains(&table.as_str()) && has_both_headers(text, &table) {
                // One `[table]` where a list of `[[table]]` entries was meant: no entry to name.
                out.push_str(&format!("; write [[{table}]] (double brackets) for each entry"));
                return (table, out);
            }
            // A repeated `[[table]]` header would add an entry, not name one: name the table.
            return (if path.ends_with(']') { table } else { path }, out);
        }
    }

    let mut words: Vec<String> = lines
        .iter()
        .map(|l| match *l {
            "number too large to fit in target type" => {
                format!("number too large: TOML integers go up to {TOML_INT_MAX}")
            }
            "invalid floating-point number" if lines.len() == 1 => {
                "not a valid number (or out of range, e.g. 1e400)".to_string()
            }
            "invalid floating-point number" => "not a valid number".to_string(),
            l => l.replace(" in document root", " at the top level"),
        })
        .collect();
    if first == "invalid string" && second == "expected `\"`, `'`" {
        if let Some(hint) = unquoted_hint(text, offset) {
            if let Some(last) = words.last_mut() {
                last.push_str(&format!("; {hint}"));
            }
        } else if let Some(found) = not_a_value(text, offset) {
            // toml_edit tries a string last, so any character no value starts with reads as a
            // string's missing quote (`rate = = 400`): say a value was expected.
            words = vec![format!(
                "expected a value (a number, a \"string\", true or false, an [array] or an {{ inline table }}), found {found}"
            )];
        }
    }
    let message = words.join(": ");
    if message.trim().is_empty() {
        // toml_edit gives some errors no words (a control character in a comment, a bare CR, a
        // value missing at the end): say what is there.
        return (path, unworded(text, offset).1);
    }
    (path, message)
}

/// What stands at `offset` where a value should, when no value can start with it: `=` or
/// another sign, or the end of the line. `None` for a letter or digit (another message fits).
fn not_a_value(text: &str, offset: usize) -> Option<String> {
    let c = text.get(offset..)?.chars().next();
    match c {
        None => Some("the end of the file".to_string()),
        Some('\n' | '\r') => Some("the end of the line".to_string()),
        Some(c) if c.is_alphanumeric() || c.is_control() => None,
        Some(c) => Some(format!("`{c}`")),
    }
}

/// Where and what the syntax error at `offset` is, for one toml_edit gave no words: the first
/// character TOML refuses (a control character, a CR without its LF) on the offset's line, or
/// the line before (inside an array toml_edit points past the character), else the end of the
/// file or the character at the offset.
pub(super) fn unworded(text: &str, offset: usize) -> (usize, String) {
    let mut at = offset.min(text.len());
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let previous_start = line_start
        .checked_sub(1)
        .map_or(0, |nl| text[..nl].rfind('\n').map_or(0, |i| i + 1));
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    for (from, to) in [(line_start, line_end), (previous_start, line_start)] {
        let line = &text[from..to];
        let bad = line.char_indices().find(|&(i, c)| match c {
            '\r' => !text[from + i + 1..].starts_with('\n'),
            '\t' | '\n' => false,
            c => c.is_control(),
        });
        match bad {
            Some((i, '\r')) => {
                let what = "a carriage return (\\r) without a line feed: TOML ends lines with \\n or \\r\\n";
                return (from + i, what.to_string());
            }
            Some((i, c)) => {
                let what = format!(
                    "control character U+{:04X} is not allowed in TOML, not even in a comment",
                    u32::from(c)
                );
                return (from + i, what);
            }
            None => {}
        }
    }
    match text[at..].chars().next() {
        Some(c) if !text[at..].trim().is_empty() => (at, format!("unexpected `{c}`")),
        _ => (at, "the file ends where a value was expected".to_string()),
    }
}

/// `duplicate key `X` in table `T`` -> `T.X`; `... in document root` -> `X`.
fn duplicate_key(line: &str) -> Option<String> {
    let rest = line.strip_prefix("duplicate key `")?;
    let (key, place) = rest.split_once('`')?;
    if place.trim() == "in document root" {
        return Some(key.to_string());
    }
    let table = place.trim().strip_prefix("in table `")?.strip_suffix('`')?;
    Some(format!("{table}.{key}"))
}

/// True if `text` has both a `[name]` and a `[[name]]` header (one table where a list was meant).
fn has_both_headers(text: &str, name: &str) -> bool {
    let (mut single, mut double) = (false, false);
    for h in text.lines().filter_map(|l| header(l, true)) {
        if h.keys.join(".") == name {
            if h.array {
                double = true;
            } else {
                single = true;
            }
        }
    }
    single && double
}

/// For a bare word where a value belongs (`strategy = bounded`): `strings need quotes: strategy =
/// "bounded"`, or `booleans are lowercase: on = true` for `True`.
fn unquoted_hint(text: &str, offset: usize) -> Option<String> {
    let after = text.get(offset..)?;
    let end = after
        .find(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(after.len());
    let word = after.get(..end)?;
    if !word.chars().next()?.is_alphabetic() {
        return None;
    }
    let before = text.get(..offset)?;
    let line = before.rsplit('\n').next().unwrap_or("");
    let key = line
        .trim_end()
        .strip_suffix('=')
        .map(|k| {
            let k = k.trim_end();
            let start = k
                .rfind(|c: char| c.is_whitespace() || matches!(c, '{' | ',' | '['))
                .map_or(0, |i| i + 1);
            k.get(start..).unwrap_or("")
        })
        .filter(|k| !k.is_empty());
    // A quoted key is not cut reliably here, and a number's key wants no quoted word.
    if key.is_some_and(|k| k.contains(['"', '\''])) {
        return None;
    }
    let last = key.map(|k| k.rsplit('.').next().unwrap_or(k));
    let lower = word.to_lowercase();
    let boolean = matches!(lower.as_str(), "true" | "false");
    if !boolean && last.is_some_and(|k| NOT_STRINGS.contains(&k)) {
        return None;
    }
    let (advice, value) = if boolean {
        ("booleans are lowercase", lower)
    } else {
        ("strings need quotes", format!("\"{word}\""))
    };
    Some(match key {
        Some(key) => format!("{advice}: {key} = {value}"),
        None => format!("{advice}: {value}"),
    })
}

/// The field path of a syntax error at byte `offset`: the last table header above its line
/// (counting the entries of arrays of tables), then the header or key on the line itself.
pub(super) fn syntax_path(text: &str, offset: usize) -> String {
    let mut at = offset.min(text.len());
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = text.get(..at).unwrap_or("");
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let above = text.get(..line_start).unwrap_or("");
    let from_line = text.get(line_start..).unwrap_or("");
    let line = from_line.split('\n').next().unwrap_or("");

    let mut arrays = HashMap::new();
    let mut table = String::new();
    // Inside a multi-line string a `[header]`-like line is text, not a header.
    let mut in_string: Option<&str> = None;
    for l in above.lines() {
        let l = l.trim_start_matches('\u{feff}');
        let outside = in_string.is_none();
        for quote in ["\"\"\"", "'''"] {
            if in_string.is_none_or(|q| q == quote) && l.matches(quote).count() % 2 == 1 {
                in_string = if in_string.is_some() { None } else { Some(quote) };
            }
        }
        if outside {
            if let Some(h) = header(l, true) {
                table = place(&mut arrays, &h);
            }
        }
    }
    if let Some(h) = header(line, false) {
        let path = place(&mut arrays, &h);
        return if path.len() <= MAX_PATH { path } else { String::new() };
    }
    let path = match line_key(line).map(|keys| joined(&keys)) {
        Some(key) if table.is_empty() => key,
        Some(key) => format!("{table}.{key}"),
        None => table.clone(),
    };
    // A path is a pointer, not a copy of the line: a key of thousands of parts names nothing.
    [path, table]
        .into_iter()
        .find(|p| p.len() <= MAX_PATH)
        .unwrap_or_default()
}

/// The longest field path a syntax error names.
const MAX_PATH: usize = 200;

/// A `[table]` or `[[array]]` header line.
struct Header {
    array: bool,
    keys: Vec<String>,
}

/// Reads a header line: keys in brackets and nothing after them but a comment (so that a line of
/// a multi-line array such as `[0.5, "20ms"],` is no header); `strict` wants all the brackets.
fn header(line: &str, strict: bool) -> Option<Header> {
    let t = line.trim_start_matches('\u{feff}').trim_start();
    let (array, rest) = match t.strip_prefix("[[") {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('[')?),
    };
    let (keys, rest) = dotted_key(rest);
    if keys.is_empty() {
        return None;
    }
    let rest = rest.trim_start();
    let tail = if strict {
        rest.strip_prefix(if array { "]]" } else { "]" })?
    } else {
        // The line of a syntax error may be a header missing a bracket (`[gateway`).
        rest.strip_prefix(']')
            .map_or(rest, |r| r.strip_prefix(']').unwrap_or(r))
    };
    let tail = tail.trim();
    if !(tail.is_empty() || tail.starts_with('#')) {
        return None;
    }
    Some(Header { array, keys })
}

/// The key of a `key = value` line.
fn line_key(line: &str) -> Option<Vec<String>> {
    let (keys, rest) = dotted_key(line);
    (!keys.is_empty() && rest.trim_start().starts_with('=')).then_some(keys)
}

/// Reads `a.b."c d"` at the start of `s` (after blanks): the keys and the text after them.
fn dotted_key(s: &str) -> (Vec<String>, &str) {
    let mut keys = Vec::new();
    let mut rest = s;
    loop {
        let t = rest.trim_start_matches([' ', '\t']);
        let quoted = ['"', '\''].into_iter().find_map(|q| {
            let inner = t.strip_prefix(q)?;
            let end = inner.find(q)?;
            Some((inner.get(..end)?, inner.get(end + q.len_utf8()..)?))
        });
        let (key, after) = match quoted {
            Some(k) => k,
            None => {
                let end = t
                    .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
                    .unwrap_or(t.len());
                if end == 0 {
                    break;
                }
                (t.get(..end).unwrap_or(""), t.get(end..).unwrap_or(""))
            }
        };
        keys.push(key.to_string());
        rest = after;
        match after.trim_start_matches([' ', '\t']).strip_prefix('.') {
            Some(next) => rest = next,
            None => break,
        }
    }
    (keys, rest)
}

/// Keys as one field path: a key that is not bare quoted (`gateway.services."api.v2"`), as
/// the errors found later write it.
fn joined(keys: &[String]) -> String {
    keys.iter().map(|k| super::locate::key(k)).collect::<Vec<_>>().join(".")
}

/// The field path a header names, with the current index of each array of tables on the way;
/// `[[x]]` adds an entry to `x`.
fn place(arrays: &mut HashMap<String, usize>, h: &Header) -> String {
    let mut path = String::new();
    for (i, key) in h.keys.iter().enumerate() {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(&super::locate::key(key));
        let last = i + 1 == h.keys.len();
        if last && h.array {
            let n = arrays.entry(path.clone()).or_insert(0);
            *n += 1;
            path = format!("{path}[{}]", *n - 1);
        } else if !last {
            if let Some(n) = arrays.get(&path) {
                path = format!("{path}[{}]", n.saturating_sub(1));
            }
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Findings of a review: advice only where it fixes the file.
    #[test]
    fn advice_only_where_it_fixes_the_file() {
        // Double brackets only for the format's arrays of tables.
        let m = deserialize("invalid type: map, expected a sequence", "clients.retry.on");
        assert!(!m.contains("[["), "{m}");
        let m = deserialize("invalid type: map, expected a sequence", "workload.phases");
        assert!(m.contains("write [[workload.phases]]"), "{m}");
        let (_, m) = syntax(
            "[run]\nseed = 1\n[[run]]\n",
            "invalid table header\nduplicate key `run` in document root",
            17,
        );
        assert_eq!(m, "[run] is defined twice");
        // Without quotes only what the field takes unquoted.
        for (raw, hint) in [
            ("invalid type: string \"1.5\", expected u32", false),
            ("invalid type: string \"1e3\", expected u32", false),
            ("invalid type: string \"+4\", expected u32", false),
            ("invalid type: string \" 4 \", expected u32", true),
            ("invalid type: string \"inf\", expected f64", false),
            ("invalid type: string \"nan\", expected f64", false),
            ("invalid type: string \"2.5\", expected f64", true),
        ] {
            assert_eq!(deserialize(raw, "x").contains("without quotes"), hint, "{raw}");
        }
        assert!(deserialize("invalid type: string \" 4 \", expected u32", "x").ends_with("without quotes: 4"));
        // No quotes advice for a number's key, nor a quoted key; booleans still.
        let text = "[run]\nseed = x\n";
        assert_eq!(unquoted_hint(text, 13), None);
        assert_eq!(unquoted_hint("\"a b\" = bare\n", 8), None);
        assert_eq!(
            unquoted_hint("[[workload.phases]]\ntrigger = True\n", 30).as_deref(),
            Some("booleans are lowercase: trigger = true")
        );
        // A pasted blob as a key is not repeated whole.
        let long = "k".repeat(10_000);
        let m = deserialize(&format!("unknown field `{long}`, expected `seed`"), "run");
        assert!(m.len() < 200, "{}", m.len());
    }

    /// A byte order mark and header-like lines inside multi-line strings do not shift paths.
    #[test]
    fn paths_skip_byte_order_marks_and_multiline_strings() {
        let text = "\u{feff}[run]\nseed = x\n";
        assert_eq!(syntax_path(text, text.find("x").unwrap()), "run.seed");
        let text = "[run]\ndescription = \"\"\"\n[[backend.services]]\n\"\"\"\n[[backend.services]]\nname = @\n";
        assert_eq!(syntax_path(text, text.find('@').unwrap()), "backend.services[0].name");
    }
    use crate::scenario::parse;

    /// A valid scenario with `extra` on line 4 (after a workload) and `service` on line 9 (in the
    /// service, replacing its `workers` or `service_time` if it sets them).
    fn scenario(extra: &str, service: &str) -> String {
        let workers = if service.contains("workers =") {
            ""
        } else {
            "workers = 2"
        };
        let time = if service.contains("service_time =") {
            ""
        } else {
            "service_time = \"10ms\""
        };
        format!(
            "[[workload.phases]]\nduration = \"10s\"\nrate = 10\n{extra}\n[[backend.services]]\nname = \"a\"\n\
             {workers}\n{time}\n{service}\n"
        )
    }

    /// The rendered error of `text` (which must not parse).
    #[track_caller]
    fn error(text: &str) -> String {
        match parse("t.toml", text) {
            Ok(_) => panic!("expected an error for:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    // --- helpers ---

    #[test]
    fn distance_counts_edits_and_swaps() {
        assert_eq!(distance("", ""), 0);
        assert_eq!(distance("seed", "seed"), 0);
        assert_eq!(distance("sed", "seed"), 1);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("brust", "burst"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("abc", ""), 3);
        assert_eq!(distance("ünit", "unit"), 1);
    }

    #[test]
    fn nearest_finds_typos_reorders_and_prefixes() {
        let strategies = [
            "passthrough",
            "fifo",
            "bounded",
            "deadline",
            "codel",
            "adaptive-lifo",
            "lifo",
            "adaptive",
        ];
        assert_eq!(nearest("lifo-adaptive", &strategies), Some("adaptive-lifo"));
        assert_eq!(nearest("LIFO", &strategies), Some("lifo"));
        assert_eq!(nearest("bounde", &strategies), Some("bounded"));
        assert_eq!(nearest("zzz", &strategies), None);
        assert_eq!(nearest("", &strategies), None);
        let dists = ["constant", "uniform", "exponential", "lognormal", "pareto", "empirical"];
        assert_eq!(nearest("log-normal", &dists), Some("lognormal"));
        assert_eq!(nearest("exp", &["none", "fixed", "exponential"]), Some("exponential"));
        assert_eq!(nearest("poison", &["poisson", "uniform"]), Some("poisson"));
        assert_eq!(nearest("500", &["timeout", "5xx", "429"]), None);
        assert_eq!(nearest(&"x".repeat(10_000), &strategies), None);
    }

    #[test]
    fn syntax_paths_follow_headers_and_array_entries() {
        let text = "[run]\nseed = x\n[[backend.services]]\nname = 1\n[[backend.services]]\napis = @\n\
                    [backend.services.faults]\nerror_ratio = @\n[[backend.services.faults.outages]]\nat = @\n";
        let at = |needle: &str| syntax_path(text, text.find(needle).unwrap_or(0));
        assert_eq!(at("x"), "run.seed");
        assert_eq!(at("1"), "backend.services[0].name");
        assert_eq!(at("@\n[backend"), "backend.services[1].apis");
        assert_eq!(at("@\n[[backend"), "backend.services[1].faults.error_ratio");
        assert_eq!(
            syntax_path(text, text.rfind('@').unwrap_or(0)),
            "backend.services[1].faults.outages[0].at"
        );
        assert_eq!(syntax_path(text, 0), "run");
        // A line of a multi-line array is neither a header nor a key.
        let text = "[a]\nq = [\n  [0.5, 1],\n  [x],\n]\n";
        assert_eq!(syntax_path(text, text.find('x').unwrap_or(0)), "a");
        // Quoted keys, blanks around dots, and offsets past the end or inside a character.
        let text = "[ \"x y\" . z ]\n'k' . w = é";
        assert_eq!(syntax_path(text, text.len() - 1), "\"x y\".z.k.w");
        assert_eq!(syntax_path(text, usize::MAX), "\"x y\".z.k.w");
        assert_eq!(syntax_path("", 3), "");
        // An absurdly long key is not repeated as the path.
        let long = format!("[t]\n{} = @\n", vec!["a"; 500].join("."));
        assert_eq!(syntax_path(&long, long.len() - 2), "t");
        let long = format!("[{}]\n", vec!["a"; 500].join("."));
        assert_eq!(syntax_path(&long, 1), "");
    }

    #[test]
    fn blank_files_and_text_decoding() {
        assert!(is_blank(""));
        assert!(is_blank("\u{feff}\n  # comment\r\n\n"));
        assert!(!is_blank("# c\nx = 1\n"));
        assert_eq!(decode(b"a = 1".to_vec()).as_deref(), Ok("a = 1"));
        assert_eq!(
            decode(vec![b'a', b' ', 0xC3, 0x28]),
            Err("not a text file: invalid UTF-8 at line 1, column 3 (byte 2)".to_string())
        );
        assert_eq!(
            decode("a = 1\nn = \"caf".bytes().chain([0xE9, b'"']).collect()),
            Err("not a text file: invalid UTF-8 at line 2, column 9 (byte 14)".to_string())
        );
        let utf16 = "[run]".encode_utf16().flat_map(u16::to_le_bytes);
        let le_bom: Vec<u8> = [0xFF, 0xFE].into_iter().chain(utf16.clone()).collect();
        assert_eq!(decode(le_bom), Err("looks like UTF-16: save it as UTF-8".to_string()));
        assert_eq!(
            decode(vec![0xFE, 0xFF, 0, b'[']),
            Err("looks like UTF-16: save it as UTF-8".to_string())
        );
        assert_eq!(
            decode(utf16.collect()),
            Err("looks like UTF-16: save it as UTF-8".to_string())
        );
        assert!(decode(Vec::new()).is_ok());
        assert!(decode((0u8..=255).collect()).is_err());
    }

    // --- 1. unknown keys ---

    /// A setting looked for in the wrong table says where it is, not the nearest key here
    /// (`retries` is near `retry`, a table that takes no count).
    #[test]
    fn misplaced_keys_say_where_the_setting_is() {
        for (extra, says) in [
            (
                "[clients]\nretries = 2",
                "clients.retries: unknown key `retries`: retries are `max_attempts` (attempts in all) in [clients.retry] (valid keys: timeout,",
            ),
            (
                "[clients.retry]\ntimeout = \"1s\"",
                "clients.retry.timeout: unknown key `timeout`: the timeout of every attempt is `timeout` in [clients] (valid keys: max_attempts,",
            ),
            (
                "[gateway]\ntimeout = \"1s\"",
                "gateway.timeout: unknown key `timeout`: the clients' timeout is `timeout` in [clients];",
            ),
        ] {
            let e = error(&scenario(extra, ""));
            assert!(e.contains(says), "{e}");
            assert!(!e.contains("did you mean"), "{e}");
        }
    }

    #[test]
    fn unknown_keys_suggest_the_nearest_valid_key() {
        let e = error(&format!("[run]\nsed = 1\n{}", scenario("", "")));
        assert_eq!(
            e,
            "t.toml:2:1: run.sed: unknown key `sed`; did you mean `seed`? (valid keys: name, description, \
             duration, seed, time_scale, window, healthy_ratio)"
        );
        // `expected `a` or `b``; a swap of two letters is one edit.
        let e = error(&scenario("[gateway.codel]\ntrget = \"5ms\"", ""));
        assert!(
            e.ends_with(
                "gateway.codel.trget: unknown key `trget`; did you mean `target`? (valid keys: target, interval)"
            ),
            "{e}"
        );
        let e = error(&scenario(
            "[gateway]\nstrategy = \"fifo\"\n[gateway.rate_limit]\nrate = 5\nbrust = 2",
            "",
        ));
        assert!(
            e.contains("unknown key `brust`; did you mean `burst`? (valid keys: rate, burst, per)"),
            "{e}"
        );
        // A prefix counts as close.
        let e = error(&scenario("", "worker = 3"));
        assert!(
            e.contains("unknown key `worker`; did you mean `workers`? (valid keys: name, count,"),
            "{e}"
        );
    }

    #[test]
    fn unknown_keys_far_from_any_valid_key_list_the_valid_keys_only() {
        let e = error(&format!("package = 1\n{}", scenario("", "")));
        assert_eq!(
            e,
            "t.toml:1:1: package: unknown key `package` (valid keys: run, workload, clients, gateway, backend, \
             thresholds)"
        );
    }

    #[test]
    fn unknown_key_message_forms() {
        let key = |raw: &str| deserialize(raw, "x");
        assert_eq!(
            key("unknown field `key`, expected `keys`"),
            "unknown key `key`; did you mean `keys`? (valid keys: keys)"
        );
        assert_eq!(
            key("unknown field `zz`, expected `target` or `interval`"),
            "unknown key `zz` (valid keys: target, interval)"
        );
        assert_eq!(
            key("unknown field `zz`, there are no fields"),
            "unknown key `zz` (this table takes no keys)"
        );
        // A key holding serde's own words.
        assert_eq!(
            key("unknown field `a`, expected `b``, expected one of `seed`"),
            "unknown key `a`, expected `b`` (valid keys: seed)"
        );
        assert_eq!(key("unknown field `"), "unknown field `");
    }

    // --- 2. unknown values ---

    #[test]
    fn unknown_values_suggest_reordered_words_unseparated_words_and_prefixes() {
        let e = error(&scenario("[gateway]\nstrategy = \"lifo-adaptive\"", ""));
        assert!(
            e.ends_with(
                "gateway.strategy: unknown value `lifo-adaptive`; did you mean `adaptive-lifo`? (expected one of: \
                 passthrough, fifo, bounded, deadline, codel, adaptive-lifo, lifo, adaptive)"
            ),
            "{e}"
        );
        let e = error(&scenario(
            "",
            "service_time = { dist = \"log-normal\", median = \"1ms\", p99 = \"2ms\" }",
        ));
        assert!(
            e.contains("unknown value `log-normal`; did you mean `lognormal`? (expected one of: constant,"),
            "{e}"
        );
        let e = error(&format!("[workload]\narrival = \"poison\"\n{}", scenario("", "")));
        assert!(
            e.ends_with(
                "workload.arrival: unknown value `poison`; did you mean `poisson`? (expected one of: poisson, uniform)"
            ),
            "{e}"
        );
        let e = error(&scenario("[clients.retry]\nbackoff = \"exp\"", ""));
        assert!(
            e.ends_with("unknown value `exp`; did you mean `exponential`? (expected one of: none, fixed, exponential)"),
            "{e}"
        );
        // A number where a named choice belongs: toml says "wanted string or table".
        let e = error(&scenario("", "service_time = { dist = -1 }"));
        assert!(
            e.ends_with("backend.services[0].service_time.dist: expected a distribution's name: \"constant\", \"uniform\", \"exponential\", \"lognormal\", \"pareto\" or \"empirical\""),
            "{e}"
        );
        let e = error(&scenario("[gateway]\nstrategy = 3", ""));
        assert!(
            e.ends_with("gateway.strategy: expected a quoted name here, like \"fifo\""),
            "{e}"
        );
        // A table where a name belongs: toml's words for it were serde's internals ("wanted
        // exactly 1 element, found 0 elements", "expected table, found integer"), or an
        // unknown name that was the table's key.
        for (extra, at) in [
            ("[clients.retry]\nbackoff = {}", "clients.retry.backoff"),
            ("[clients.retry]\nbackoff = { a = 1, b = 2 }", "clients.retry.backoff"),
            ("[clients.retry]\njitter = { full = 1 }", "clients.retry.jitter"),
            ("[clients.retry]\non = [{}]", "clients.retry.on[0]"),
            ("[gateway.adaptive]\nalgorithm = {}", "gateway.adaptive.algorithm"),
            ("[workload]\narrival = { x = 1 }", "workload.arrival"),
            ("[workload.arrival]\nx = 1", "workload.arrival"),
        ] {
            let e = error(&scenario(extra, ""));
            assert!(
                e.ends_with(&format!("{at}: expected a quoted name here, not a table")),
                "{extra}: {e}"
            );
        }
        for extra in [
            "[gateway]\nstrategy = {}",
            "[gateway]\nstrategy = { fifo = 1 }",
            "[gateway]\nstrategy = { x = {} }",
        ] {
            let e = error(&scenario(extra, ""));
            assert!(
                e.ends_with("gateway.strategy: expected a quoted name here, like \"fifo\", not a table"),
                "{extra}: {e}"
            );
        }
        // A name that is unknown is still said so, with the names there are.
        let e = error(&scenario("[workload]\narrival = \"x\"", ""));
        assert!(e.contains("workload.arrival: unknown value `x`"), "{e}");
        // Elsewhere no strategy is named as the example.
        let e = error(&scenario("[workload]\narrival = 1", ""));
        assert!(
            e.ends_with("workload.arrival: expected a quoted name here, not a number or a list"),
            "{e}"
        );
        let e = error(&scenario("[clients.retry]\non = [\"500\"]", ""));
        assert!(
            e.ends_with("clients.retry.on[0]: unknown value `500` (expected one of: timeout, 5xx, 429)"),
            "{e}"
        );
        assert_eq!(
            deserialize("unknown variant `x`, there are no variants", ""),
            "unknown value `x`"
        );
        assert_eq!(
            deserialize("unknown variant `x`, expected `y`", ""),
            "unknown value `x`; did you mean `y`? (expected: y)"
        );
    }

    // --- 3. invalid types ---

    /// A number past everyday magnitudes is shown in scientific notation, not as 301 digits
    /// (serde writes 1e300 in full); everyday ones as before.
    #[test]
    fn huge_and_tiny_numbers_given_are_shown_in_scientific_notation() {
        for (value, shown) in [("1e300", "1e300"), ("1e-300", "1e-300"), ("-2.5e100", "-2.5e100")] {
            let e = error(&scenario("", &format!("workers = {value}")));
            assert!(
                e.ends_with(&format!(
                    "backend.services[0].workers: expected a non-negative integer, got the number {shown}"
                )),
                "{e}"
            );
            let e = error(&scenario("", &format!("service_time = {value}")));
            assert!(e.ends_with(&format!(", got the number {shown}")), "{e}");
            assert!(e.len() < 300, "{e}");
        }
        let e = error(&scenario("", "workers = 2.5"));
        assert!(e.ends_with("got the number 2.5"), "{e}");
    }

    #[test]
    fn wrong_types_say_what_was_expected_and_what_was_given() {
        let e = error(&scenario("[run]\nseed = \"x\"", ""));
        assert!(
            e.ends_with("run.seed: expected a non-negative integer, got the string \"x\""),
            "{e}"
        );
        let e = error(&scenario("[run]\nseed = 1.5", ""));
        assert!(
            e.ends_with("run.seed: expected a non-negative integer, got the number 1.5"),
            "{e}"
        );
        let e = error(&scenario("[run]\nhealthy_ratio = \"high\"", ""));
        assert!(
            e.ends_with("run.healthy_ratio: expected a number, got the string \"high\""),
            "{e}"
        );
        let e = error(&scenario(
            "[[workload.phases]]\nduration = \"1s\"\nrate = 1\ntrigger = 1",
            "",
        ));
        assert!(
            e.ends_with("workload.phases[1].trigger: expected true or false, got the integer 1"),
            "{e}"
        );
        let e = error(&scenario("", "apis = [1]"));
        assert!(
            e.ends_with("backend.services[0].apis[0]: expected a quoted string, got the integer 1"),
            "{e}"
        );
        let e = error(&format!("run = true\n{}", scenario("", "")));
        assert_eq!(e, "t.toml:1:7: run: expected a table, got true");
        let e = error(&scenario("[gateway]\nauth = 5", ""));
        assert!(e.ends_with("gateway.auth: expected a table, got the integer 5"), "{e}");
        let e = error(&scenario("[gateway]\nauth = { keys = \"k1\" }", ""));
        assert!(
            e.ends_with("gateway.auth.keys: expected an array, got the string \"k1\""),
            "{e}"
        );
        let e = error(&scenario("", "upstream = { a = 1 }"));
        assert!(
            e.ends_with("backend.services[0].upstream: expected a quoted string, got a table"),
            "{e}"
        );
        // Custom expectations stay.
        let e = error(&scenario("[clients]\ntimeout = true", ""));
        assert!(e.ends_with("clients.timeout: expected a duration like \"40ms\" or a table like { dist = \"exponential\", mean = \"40ms\" }, got true"), "{e}");
    }

    #[test]
    fn a_quoted_number_or_boolean_is_told_to_drop_the_quotes() {
        let e = error(&scenario("", "workers = \"4\""));
        assert!(
            e.ends_with("backend.services[0].workers: expected a non-negative integer, got the string \"4\"; write it without quotes: 4"),
            "{e}"
        );
        let e = error(&scenario(
            "[[workload.phases]]\nduration = \"1s\"\nrate = 1\ntrigger = \"true\"",
            "",
        ));
        assert!(
            e.ends_with("expected true or false, got the string \"true\"; write it without quotes: true"),
            "{e}"
        );
    }

    #[test]
    fn a_single_bracket_table_where_an_array_belongs_gets_the_double_bracket_hint() {
        let text = "[workload.phases]\nduration = \"10s\"\nrate = 10\n[[backend.services]]\nname = \"a\"\n\
                    workers = 2\nservice_time = \"10ms\"\n";
        assert_eq!(
            error(text),
            "t.toml:1:1: workload.phases: expected an array, got a table; write [[workload.phases]] (double \
             brackets) for each entry"
        );
        assert_eq!(
            deserialize("invalid type: map, expected a sequence", "backend.services[2].faults.outages"),
            "expected an array, got a table; write [[backend.services.faults.outages]] (double brackets) for each entry"
        );
    }

    // --- 4. integers out of range ---

    #[test]
    fn integers_out_of_range_give_the_bound_they_break() {
        let e = error(&scenario(
            "[gateway]\nstrategy = \"bounded\"\nqueue_capacity = 5000000000",
            "",
        ));
        assert!(
            e.ends_with("gateway.queue_capacity: expected an integer no larger than 4294967295, got 5000000000"),
            "{e}"
        );
        let e = error(&scenario("[run]\nseed = -1", ""));
        assert!(
            e.ends_with("t.toml:5:8: run.seed: expected a non-negative integer, got -1"),
            "{e}"
        );
        assert_eq!(
            deserialize("invalid value: integer `5000000000`, expected i32", ""),
            "expected an integer no larger than 2147483647, got 5000000000"
        );
        // `workers` takes no 0: a value too large names only the upper bound, not u32's 0.
        let e = error(&scenario("", "workers = 99999999999"));
        assert!(
            e.contains("expected an integer no larger than 4294967295, got 99999999999"),
            "{e}"
        );
        assert_eq!(
            deserialize("invalid value: integer `-5000000000`, expected i32", ""),
            "expected an integer from -2147483648 to 2147483647, got -5000000000"
        );
        // Other invalid values read the same way, without the range.
        assert_eq!(
            deserialize("invalid value: string \"x\", expected a duration", ""),
            "expected a duration, got the string \"x\""
        );
    }

    // --- 5. lengths ---

    #[test]
    fn wrong_lengths_describe_the_pair() {
        // Too few values, and values past the pair (refused, not dropped).
        for (points, got) in [
            ("[[0.0, \"5ms\"], [0.5], [1.0, \"1s\"]]", "1 value"),
            ("[[0.0, \"5ms\"], [1.0, \"1s\", \"junk\"]]", "3 values"),
        ] {
            let e = error(&scenario(
                "",
                &format!("service_time = {{ dist = \"empirical\", quantiles = {points} }}"),
            ));
            assert!(
                e.ends_with(&format!(
                    "backend.services[0].service_time.quantiles[1]: expected a [probability, duration] pair like \
                     [0.5, \"20ms\"], got {got}"
                )),
                "{e}"
            );
        }
        let e = error(&scenario(
            "",
            "service_time = { dist = \"empirical\", quantiles = [0.5, \"1s\"] }",
        ));
        assert!(
            e.ends_with(
                "quantiles[0]: expected a [probability, duration] pair like [0.5, \"20ms\"], got the number 0.5"
            ),
            "{e}"
        );
        assert_eq!(
            deserialize("invalid length 1, expected a tuple of size 2", "a.b"),
            "expected a pair of 2 values, got 1"
        );
        assert_eq!(
            deserialize("invalid length 0, expected a tuple of size 2", "q.quantiles[0]"),
            "expected a [probability, duration] pair like [0.5, \"20ms\"], got 0 values"
        );
        assert_eq!(
            deserialize("invalid length 4, expected a tuple of size 3", ""),
            "expected an array of 3 values, got 4"
        );
        assert_eq!(
            deserialize("invalid length 4, expected fewer elements in array", ""),
            "expected fewer elements in array, got 4 values"
        );
        assert_eq!(
            deserialize("invalid length x, expected y", ""),
            "invalid length x, expected y"
        );
    }

    // --- 6. syntax errors ---

    #[test]
    fn syntax_errors_join_their_lines_and_name_a_path() {
        let e = error("[run]\nseed = 7\n[gateway\nstrategy = \"fifo\"\n");
        assert_eq!(e, "t.toml:3:9: gateway: invalid table header: expected `.`, `]`");
        let e = error("[run]\nname = \"x\n");
        assert_eq!(e, "t.toml:2:10: run.name: invalid basic string");
        let e = error(&scenario("", "overload = { mode = \"queue\", backlog = 64, }"));
        assert!(
            e.ends_with(":9:42: backend.services[0].overload: invalid inline table: expected `}`"),
            "{e}"
        );
        let e = error("[[backend.services]]\nname = \"a\"\n[[backend.services]]\nname = \"b\"\napis = [1, 2,, 3]\n");
        assert_eq!(e, "t.toml:5:14: backend.services[1].apis: invalid array: expected `]`");
        let e = error("[run]\nseed 7\n");
        assert_eq!(e, "t.toml:2:6: run: expected `.`, `=`");
    }

    #[test]
    fn numbers_toml_cannot_hold() {
        let e = error("[run]\nseed = 18446744073709551616\n");
        assert_eq!(
            e,
            "t.toml:2:8: run.seed: number too large: TOML integers go up to 9223372036854775807"
        );
        let e = error("[[backend.services]]\napis = 18446744073709551615\n");
        assert_eq!(
            e,
            "t.toml:2:8: backend.services[0].apis: number too large: TOML integers go up to 9223372036854775807"
        );
        let e = error("[[workload.phases]]\nrate = 1e400\n");
        assert_eq!(
            e,
            "t.toml:2:8: workload.phases[0].rate: not a valid number (or out of range, e.g. 1e400)"
        );
        let e = error("[[workload.phases]]\nrate = 1.\n");
        assert_eq!(
            e,
            "t.toml:2:10: workload.phases[0].rate: not a valid number: expected digit"
        );
    }

    #[test]
    fn a_table_defined_twice() {
        let e = error("[run]\nseed = 1\n[workload]\n[run]\nname = \"x\"\n");
        assert_eq!(e, "t.toml:4:1: run: [run] is defined twice");
        let e = error("a = 1\na = 2\n");
        assert_eq!(e, "t.toml:2:1: a: duplicate key `a` at the top level");
        let e = error("[workload.phases]\nrate = 1\n[[workload.phases]]\nrate = 2\n");
        assert_eq!(
            e,
            "t.toml:3:1: workload.phases: [workload.phases] is defined twice; write [[workload.phases]] \
             (double brackets) for each entry"
        );
        let e = error("[workload]\nphases = []\n[[workload.phases]]\nrate = 2\n");
        assert_eq!(e, "t.toml:3:1: workload.phases: [workload.phases] is defined twice");
    }

    /// A sign where a value should be reads "expected a value", not toml_edit's "invalid
    /// string: expected `"`, `'`" (no string was begun).
    #[test]
    fn a_sign_where_a_value_should_be_is_named() {
        let e = error("[[workload.phases]]\nduration = \"10s\"\nrate = = 400\n");
        assert_eq!(
            e,
            "t.toml:3:8: workload.phases[0].rate: expected a value (a number, a \"string\", true or false, an [array] or an { inline table }), found `=`"
        );
        let e = error("[run]\nname = ,\n");
        assert!(e.ends_with("found `,`"), "{e}");
    }

    #[test]
    fn a_bare_word_value_is_told_to_use_quotes() {
        let e = error(&scenario("[gateway]\nstrategy = bounded", ""));
        assert!(
            e.ends_with(
                ":5:12: gateway.strategy: invalid string: expected `\"`, `'`; strings need quotes: strategy = \"bounded\""
            ),
            "{e}"
        );
        let e = error("[clients.retry]\non = [timeout]\n");
        assert!(
            e.ends_with("clients.retry.on: invalid string: expected `\"`, `'`; strings need quotes: \"timeout\""),
            "{e}"
        );
        let e = error("[[workload.phases]]\ntrigger = True\n");
        assert!(e.ends_with("; booleans are lowercase: trigger = true"), "{e}");
        let e = error("[x]\nk = { a = b }\n");
        assert!(e.ends_with("; strings need quotes: a = \"b\""), "{e}");
        // Not a word: no hint.
        let e = error("[x]\nk = @\n");
        assert!(!e.contains("quotes"), "{e}");
    }

    // --- 7. empty files ---

    #[test]
    fn an_empty_file_says_so() {
        let want =
            "t.toml:1:1: the file is empty: a scenario needs at least [[workload.phases]] and [[backend.services]]";
        assert_eq!(error(""), want);
        assert_eq!(error("# only a comment\n\n   \n# another\r\n"), want);
        assert!(error("[run]\n").contains("no [workload]: a scenario needs [[workload.phases]]"));
        let no_backend = error("[[workload.phases]]\nduration = \"1s\"\nrate = 1\n");
        assert!(
            no_backend.contains("no [backend]: a scenario needs at least one [[backend.services]]"),
            "{no_backend}"
        );
        // A service without the mock backend's capacity: only `loadgen run --target` takes it.
        let no_workers = error("[[workload.phases]]\nduration = \"1s\"\nrate = 1\n[[backend.services]]\nname = \"a\"\nservice_time = \"1ms\"\n");
        assert!(
            no_workers.contains(
                "backend.services[0]: missing `workers`, which is required here; only `loadgen run --target` (which starts no mock backend) does without it: check such a file with `scenario check --for target`"
            ),
            "{no_workers}"
        );
        let no_name = error("[[workload.phases]]\nduration = \"1s\"\nrate = 1\n[[backend.services]]\nworkers = 1\nservice_time = \"1ms\"\n");
        assert!(
            no_name.contains("backend.services[0]: missing `name`, which is required here"),
            "{no_name}"
        );
    }

    // --- No panics ---

    #[test]
    fn odd_input_does_not_panic() {
        for text in [
            "\u{feff}",
            "é = ",
            "[é",
            "[[é]]\n[[é.ü]]\n[é.ü.x]\nk = ü",
            "a = \"\u{1F600}",
            "a = 1\n\u{1F600} = 2",
            "[\"\n",
            "['a'.\"b\"",
            "[[]]",
            "=",
            "[\n]",
            "a = [[[",
            "\u{0}",
            "a.b.c = {",
            "a = { é = ü }",
        ] {
            let _ = parse("t.toml", text);
            for offset in 0..=text.len() + 1 {
                let _ = syntax_path(text, offset);
                let _ = syntax(text, "invalid string\nexpected `\"`, `'`", offset);
                let _ = syntax(text, "invalid table header\nduplicate key `é` in table `ü`", offset);
                let _ = syntax(text, "", offset);
            }
        }
        for raw in [
            "unknown field `",
            "unknown variant ``, expected ",
            "invalid type: ",
            "invalid type: , expected ",
            "invalid value: integer ``, expected u32",
            "invalid value: integer `99999999999999999999999999999999999999999`, expected u64",
            "invalid length , expected ",
            "",
        ] {
            let _ = deserialize(raw, "é[");
        }
    }
}
