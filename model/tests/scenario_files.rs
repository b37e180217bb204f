//! Scenario files end to end: the shipped scenarios load, every class of mistake is reported as
//! `file:line:col: field.path: message` at the position of the mistake, the compact `count` /
//! `apis` form expands as documented, and time scaling keeps utilisation.
//!
//! Inline scenarios are written as one `&str` per line (see [`text`]), so the line of a mistake is
//! its position in the array; columns are counted by hand in the comment above each assertion.

mod common;

use common::{only_diagnostic, parse, text};
use model::scenario::{self, Scenario, ScenarioError};
use std::path::{Path, PathBuf};

/// Asserts the rendered diagnostic starts with `t.toml:{line}:{col}: {path}: {message}`.
#[track_caller]
fn assert_error(lines: &[&str], line: usize, col: usize, path: &str, message: &str) {
    let d = only_diagnostic(lines);
    let rendered = d.to_string();
    let want = format!("t.toml:{line}:{col}: {path}: {message}");
    assert!(rendered.starts_with(&want), "\n  got:  {rendered}\n  want: {want}...");
    assert_eq!(
        (d.file.as_str(), d.line, d.column, d.path.as_str()),
        ("t.toml", line, col, path)
    );
}

/// Syntax errors name the field path they are in as best they can (the table header above and
/// the key on the line): `t.toml:{line}:{col}: {path}: {message}`.
#[track_caller]
fn assert_syntax_error(lines: &[&str], line: usize, col: usize, path: &str, message: &str) {
    assert_error(lines, line, col, path, message);
}

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("scenarios")
}

fn scenario_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(scenarios_dir())
        .expect("the repository has a scenarios/ folder")
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

// ---------------------------------------------------------------------------------------------
// Shipped scenarios
// ---------------------------------------------------------------------------------------------

#[test]
fn every_shipped_scenario_loads() {
    let files = scenario_files();
    assert!(
        files.len() >= 2,
        "expected at least 2 scenarios in {}, found {files:?}",
        scenarios_dir().display()
    );
    for f in &files {
        let s = scenario::load(f).unwrap_or_else(|e| panic!("{} does not load:\n{e}", f.display()));
        assert!(!s.services.is_empty(), "{}: no services", f.display());
        assert!(
            !s.phases.is_empty() || s.file.workload.closed.is_some(),
            "{}: no workload",
            f.display()
        );
        assert!(!s.mix.is_empty(), "{}: empty mix", f.display());
        // The summary renders for every shipped file (it is what `scenario check` prints).
        assert!(!scenario::check_summary(&s).is_empty());
    }
}

#[test]
fn a_missing_file_is_an_io_error_naming_the_file() {
    let path = scenarios_dir().join("no-such-scenario.toml");
    let e = scenario::load(&path).unwrap_err();
    assert!(matches!(e, ScenarioError::Io { .. }), "{e:?}");
    assert!(e.diagnostics().is_empty());
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!("{}: cannot read scenario", path.display())),
        "{msg}"
    );
}

// ---------------------------------------------------------------------------------------------
// Deserialization errors: unknown keys, wrong types, durations, syntax
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_top_level_key() {
    let lines = [
        "[[workload.phases]]",  // 1
        "duration = \"10s\"",   // 2
        "rate = 10",            // 3
        "[gatway]",             // 4: the key starts at column 2, after `[`
        "strategy = \"fifo\"",  // 5
        "[[backend.services]]", // 6
        "name = \"a\"",         // 7
        "workers = 2",          // 8
        "service_time = \"10ms\"",
    ];
    assert_error(
        &lines,
        4,
        2,
        "gatway",
        "unknown key `gatway`; did you mean `gateway`? (valid keys: run, workload,",
    );
}

#[test]
fn unknown_top_level_bare_key() {
    let lines = [
        "title = \"x\"",        // 1
        "[[workload.phases]]",  // 2
        "duration = \"10s\"",   // 3
        "rate = 10",            // 4
        "[[backend.services]]", // 5
        "name = \"a\"",         // 6
        "workers = 2",          // 7
        "service_time = \"10ms\"",
    ];
    assert_error(
        &lines,
        1,
        1,
        "title",
        "unknown key `title` (valid keys: run, workload, clients, gateway, backend, thresholds)",
    );
}

#[test]
fn unknown_nested_key() {
    let lines = [
        "[[workload.phases]]",  // 1
        "duration = \"10s\"",   // 2
        "rate = 10",            // 3
        "",                     // 4
        "[[backend.services]]", // 5
        "name = \"a\"",         // 6
        "wrokers = 2",          // 7: column 1
        "service_time = \"10ms\"",
    ];
    assert_error(
        &lines,
        7,
        1,
        "backend.services[0].wrokers",
        "unknown key `wrokers`; did you mean `workers`? (valid keys: name, count, apis, weight, workers,",
    );
}

#[test]
fn unknown_key_inside_an_inline_table() {
    let lines = [
        "[[workload.phases]]",     // 1
        "duration = \"10s\"",      // 2
        "rate = 10",               // 3
        "[[backend.services]]",    // 4
        "name = \"a\"",            // 5
        "workers = 2",             // 6
        "service_time = \"10ms\"", // 7
        // `overload = { mode = "queue", backlg = 5 }`: `overload` 1-8, ` = { ` 9-13, `mode` 14-17,
        // ` = ` 18-20, `"queue"` 21-27, `, ` 28-29, `backlg` at 30.
        "overload = { mode = \"queue\", backlg = 5 }", // 8
    ];
    assert_error(
        &lines,
        8,
        30,
        "backend.services[0].overload.backlg",
        "unknown key `backlg`; did you mean `backlog`? (valid keys: mode, backlog, k, max_in_flight)",
    );
}

#[test]
fn wrong_type() {
    let lines = [
        "[[workload.phases]]", // 1
        "duration = \"10s\"",  // 2
        "rate = \"fast\"",     // 3: `rate = ` is 7 characters, the value at column 8
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
    ];
    assert_error(
        &lines,
        3,
        8,
        "workload.phases[0].rate",
        "expected a number, got the string \"fast\"",
    );

    let lines = [
        "[[workload.phases]]",  // 1
        "duration = \"10s\"",   // 2
        "rate = 10",            // 3
        "[[backend.services]]", // 4
        "name = \"a\"",         // 5
        "workers = \"two\"",    // 6: `workers = ` is 10 characters, the value at column 11
        "service_time = \"10ms\"",
    ];
    assert_error(
        &lines,
        6,
        11,
        "backend.services[0].workers",
        "expected a non-negative integer, got the string \"two\"",
    );
}

#[test]
fn bad_duration_unit() {
    let lines = [
        "[[workload.phases]]", // 1
        "duration = \"10s\"",  // 2
        "rate = 10",           // 3
        "[clients]",           // 4
        "timeout = \"2sec\"",  // 5: `timeout = ` is 10 characters, the value at column 11
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
    ];
    assert_error(
        &lines,
        5,
        11,
        "clients.timeout",
        "unknown unit `sec` in duration `2sec`: use ns, us, ms, s, m or h",
    );
}

/// A negative duration in a file is said to be one, as `--timeout -1s` is (the file said only
/// "expected a duration like 250ms"), and a compound one gets the single unit to write (it was
/// "unknown unit `h30m`").
#[test]
fn negative_and_compound_durations_say_what_is_wrong() {
    for (value, message) in [
        (
            "-1s",
            "expected a duration like 250ms, 2s or 1m, got `-1s`: a duration cannot be negative",
        ),
        (
            "1h30m",
            "`1h30m`: a duration is one number and one unit, not several (write `90m`)",
        ),
    ] {
        let timeout = format!("timeout = \"{value}\"");
        let lines = [
            "[[workload.phases]]",
            "duration = \"10s\"",
            "rate = 10",
            "[clients]",
            &timeout,
            "[[backend.services]]",
            "name = \"a\"",
            "workers = 2",
            "service_time = \"10ms\"",
        ];
        assert_error(&lines, 5, 11, "clients.timeout", message);
    }
}

#[test]
fn bare_number_where_a_duration_is_expected() {
    let lines = [
        "[[workload.phases]]", // 1
        "duration = 10",       // 2: `duration = ` is 11 characters, the value at column 12
        "rate = 10",
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
    ];
    assert_error(
        &lines,
        2,
        12,
        "workload.phases[0].duration",
        "expected a duration string with a unit like \"10ms\" or \"10s\", got the bare number 10",
    );

    let lines = [
        "[[workload.phases]]",  // 1
        "duration = \"10s\"",   // 2
        "rate = 10",            // 3
        "[[backend.services]]", // 4
        "name = \"a\"",         // 5
        "workers = 2",          // 6
        // `service_time = { dist = "exponential", mean = 0.04 }`: `service_time = { ` 1-17,
        // `dist = ` 18-24, `"exponential"` 25-37, `, ` 38-39, `mean = ` 40-46, the value at 47.
        "service_time = { dist = \"exponential\", mean = 0.04 }", // 7
    ];
    assert_error(
        &lines,
        7,
        47,
        "backend.services[0].service_time.mean",
        "expected a duration string with a unit like \"0.04s\", got the bare number 0.04",
    );

    // A bare zero or negative number gets a hint that can be written (`"-1ms"` cannot).
    for (value, shown, hint) in [
        ("-1", "-1", "\"100ms\" or \"2s\""),
        ("-0.5", "-0.5", "\"100ms\" or \"2s\""),
        ("0", "0", "\"100ms\" or \"2s\""),
    ] {
        let window = format!("window = {value}");
        let lines = [
            "[run]",
            &window, // `window = ` is 9 characters, the value at column 10
            "[[workload.phases]]",
            "duration = \"10s\"",
            "rate = 10",
            "[[backend.services]]",
            "name = \"a\"",
            "workers = 2",
            "service_time = \"10ms\"",
        ];
        assert_error(
            &lines,
            2,
            10,
            "run.window",
            &format!("expected a duration string with a unit like {hint}, got the bare number {shown}"),
        );
    }
}

/// serde reads a struct from a list by position: `[[run]]` said "run[0]: expected a quoted
/// string, got a table" (the name, its first field). Single sections say they are one table.
#[test]
fn a_single_section_written_as_a_list_of_tables() {
    let rest = [
        "[[workload.phases]]",
        "duration = \"10s\"",
        "rate = 10",
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
    ];
    let mut lines = vec!["[[run]]", "name = \"x\""];
    lines.extend(rest);
    assert_error(&lines, 1, 1, "run", "[run] is one table: write [run], not [[run]]");
    let lines = [
        "[[workload]]",
        "duration = \"10s\"",
        "rate = 10",
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
    ];
    assert_error(
        &lines,
        1,
        1,
        "workload",
        "[workload] is one table: write [workload], not [[workload]] (each phase is a [[workload.phases]])",
    );
}

/// An inline list where a table belongs parsed by position (`run = ["x", "desc", "10s"]` named
/// the scenario `x`; `clients = []` was every default): refused, with where (robustness review,
/// stop 64). A list where a list belongs is no such error.
#[test]
fn an_inline_list_where_a_table_belongs_is_refused() {
    let rest = [
        "[[workload.phases]]",
        "duration = \"10s\"",
        "rate = 10",
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
    ];
    let mut lines = vec!["run = [\"x\", \"desc\", \"10s\"]"];
    lines.extend(rest);
    assert_error(
        &lines,
        1,
        7,
        "run",
        "expected a table, got a list: write run = { ... } or a [run] section",
    );
    let mut lines = vec!["[clients]", "timeout = \"1s\"", "retry = []"];
    lines.extend(rest);
    assert_error(
        &lines,
        3,
        9,
        "clients.retry",
        "expected a table, got a list: write retry = { ... } or a [retry] section",
    );
    // A table the list leaves at its defaults, which the parsed file does not write back.
    let mut lines = vec!["[clients]", "timeout = \"1s\"", "request = []"];
    lines.extend(rest);
    assert_error(
        &lines,
        3,
        11,
        "clients.request",
        "expected a table, got a list: write request = { ... } or a [request] section",
    );
    let mut lines = rest.to_vec();
    lines.push("apis = [\"x\", \"y\"]");
    assert!(model::scenario::parse("t.toml", &lines.join("\n")).is_ok());
    // An empty list where a list belongs passes too.
    let mut lines = vec!["[clients]", "timeout = \"1s\"", "[clients.retry]", "on = []"];
    lines.extend(rest);
    assert!(model::scenario::parse("t.toml", &lines.join("\n")).is_ok());
}

/// The same at any depth: `[[backend.services.faults]]` said "faults[0]: expected a number,
/// got a table" (its first field, error_ratio). Any table written as a list, with headers or
/// inline, is named with the way to write it; lists whose element has the wrong type keep
/// their own message.
#[test]
fn a_nested_table_written_as_a_list_says_it_is_one_table() {
    let service = [
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
    ];
    let phases = ["[[workload.phases]]", "duration = \"10s\"", "rate = 10"];
    let mut lines = phases.to_vec();
    lines.extend(service);
    lines.extend(["[[backend.services.faults]]", "error_ratio = 0.1"]);
    assert_error(
        &lines,
        8,
        1,
        "backend.services[0].faults",
        "[backend.services.faults] is one table: write [backend.services.faults], not [[backend.services.faults]]",
    );
    // Deeper, under a table that is written right.
    let mut lines = phases.to_vec();
    lines.extend(service);
    lines.extend([
        "[[backend.services.faults.stalls]]",
        "every = \"1s\"",
        "duration = \"10ms\"",
    ]);
    assert_error(
        &lines,
        8,
        1,
        "backend.services[0].faults.stalls",
        "[backend.services.faults.stalls] is one table: write [backend.services.faults.stalls], not",
    );
    // A table whose fields are required (workload.closed needs think_time): still one table.
    let mut lines = service.to_vec();
    lines.extend(["[[workload.closed]]", "users = 3"]);
    assert_error(
        &lines,
        5,
        1,
        "workload.closed",
        "[workload.closed] is one table: write [workload.closed], not [[workload.closed]]",
    );
    // Inline: `retry = [{ ... }]`; `retry = ` is 8 characters, the list starts at column 9.
    let lines = with_extra(&["[clients]", "retry = [{ max_attempts = 2 }]"]);
    assert_error(
        &lines,
        5,
        9,
        "clients.retry",
        "retry is one table: write retry = { ... }, not a list [{ ... }]",
    );
    // A list belongs there: its element's own mistake is said (a table where a name belongs).
    let lines = with_extra(&["[clients.retry]", "on = [{ x = 1 }]"]);
    let d = only_diagnostic(&lines).to_string();
    assert!(
        d.starts_with("t.toml:5:9: clients.retry.on[0]: expected a quoted name here, not a table"),
        "{d}"
    );
    assert!(!d.contains("one table"), "{d}");
}

#[test]
fn toml_syntax_errors_have_line_column_and_the_path_they_are_in() {
    let lines = [
        "[[workload.phases]]", // 1
        "duration = \"10s\"",  // 2
        "rate = 10",           // 3
        "[[backend.services]", // 4: 19 characters; the lone `]` at column 19 should be `]]`
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
    ];
    assert_syntax_error(
        &lines,
        4,
        19,
        "backend.services[0]",
        "invalid table header: expected `.`, `]]`",
    );

    let lines = [
        "[[workload.phases]]",  // 1
        "duration = \"10s\"",   // 2
        "rate = 10",            // 3
        "[[backend.services]]", // 4
        "name = \"a",           // 5: `name = "a` is 9 characters; the line ends at column 10
        "workers = 2",
        "service_time = \"10ms\"",
    ];
    assert_syntax_error(&lines, 5, 10, "backend.services[0].name", "invalid basic string");
}

// ---------------------------------------------------------------------------------------------
// Messages in a scenario author's words (rather than serde's and toml_edit's)
// ---------------------------------------------------------------------------------------------

/// A valid 7-line file with `extra` lines inserted after line 3 (the workload).
fn with_extra<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["[[workload.phases]]", "duration = \"10s\"", "rate = 10"];
    v.extend_from_slice(extra);
    v.extend_from_slice(&[
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
    ]);
    v
}

#[test]
fn a_misspelt_key_is_answered_with_the_key_meant() {
    let lines = with_extra(&[
        "[run]",   // 4
        "sed = 3", // 5
    ]);
    assert_error(
        &lines,
        5,
        1,
        "run.sed",
        "unknown key `sed`; did you mean `seed`? (valid keys: name, description, duration, seed, time_scale, \
         window, healthy_ratio)",
    );
}

#[test]
fn a_misspelt_value_is_answered_with_the_value_meant() {
    let lines = with_extra(&[
        "[gateway]",                    // 4
        "strategy = \"lifo-adaptive\"", // 5: `strategy = ` is 11 characters, the value at column 12
    ]);
    assert_error(
        &lines,
        5,
        12,
        "gateway.strategy",
        "unknown value `lifo-adaptive`; did you mean `adaptive-lifo`? (expected one of: passthrough, fifo, \
         bounded, deadline, codel, adaptive-lifo, lifo, adaptive)",
    );
    let lines = with_extra(&[
        "[clients.retry]",   // 4
        "backoff = \"exp\"", // 5: the value at column 11
    ]);
    assert_error(
        &lines,
        5,
        11,
        "clients.retry.backoff",
        "unknown value `exp`; did you mean `exponential`? (expected one of: none, fixed, exponential)",
    );
}

#[test]
fn a_single_bracket_phase_table_is_told_to_use_double_brackets() {
    let lines = [
        "[workload.phases]", // 1
        "duration = \"10s\"",
        "rate = 10",
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
    ];
    assert_error(
        &lines,
        1,
        1,
        "workload.phases",
        "expected an array, got a table; write [[workload.phases]] (double brackets) for each entry",
    );
}

#[test]
fn a_wrong_type_names_both_types_in_words() {
    let lines = with_extra(&[
        "[gateway]",   // 4
        "auth = true", // 5: the value at column 8
    ]);
    assert_error(&lines, 5, 8, "gateway.auth", "expected a table, got true");
    let lines = with_extra(&[
        "[run]",      // 4
        "seed = 1.5", // 5: the value at column 8
    ]);
    assert_error(
        &lines,
        5,
        8,
        "run.seed",
        "expected a non-negative integer, got the number 1.5",
    );
}

#[test]
fn an_integer_out_of_range_gives_the_range() {
    let lines = with_extra(&[
        "[gateway]",                   // 4
        "strategy = \"bounded\"",      // 5
        "queue_capacity = 5000000000", // 6: `queue_capacity = ` is 17 characters, the value at 18
    ]);
    assert_error(
        &lines,
        6,
        18,
        "gateway.queue_capacity",
        "expected an integer no larger than 4294967295, got 5000000000",
    );
    let lines = with_extra(&[
        "[run]",     // 4
        "seed = -1", // 5: the value at column 8
    ]);
    assert_error(&lines, 5, 8, "run.seed", "expected a non-negative integer, got -1");
}

#[test]
fn a_short_quantile_is_shown_the_pair_it_needs() {
    let lines = with_service(&[
        "[[backend.services]]", // 4
        "name = \"a\"",         // 5
        "workers = 2",          // 6
        // `service_time = { dist = "empirical", quantiles = [[0.0, "5ms"], [0.5], [1.0, "1s"]] }`:
        // `service_time = { ` 1-17, `dist = "empirical", ` 18-37, `quantiles = [` 38-50,
        // `[0.0, "5ms"], ` 51-64, `[0.5]` at 65.
        "service_time = { dist = \"empirical\", quantiles = [[0.0, \"5ms\"], [0.5], [1.0, \"1s\"]] }", // 7
    ]);
    assert_error(
        &lines,
        7,
        65,
        "backend.services[0].service_time.quantiles[1]",
        "expected a [probability, duration] pair like [0.5, \"20ms\"], got 1 value",
    );
}

#[test]
fn syntax_errors_in_words() {
    let lines = with_extra(&[
        "[run]",                       // 4
        "seed = 18446744073709551616", // 5: the value at column 8
    ]);
    assert_syntax_error(
        &lines,
        5,
        8,
        "run.seed",
        "number too large: TOML integers go up to 9223372036854775807",
    );
    let lines = [
        "[[workload.phases]]", // 1
        "duration = \"10s\"",  // 2
        "rate = 1e400",        // 3: the value at column 8
    ];
    assert_syntax_error(
        &lines,
        3,
        8,
        "workload.phases[0].rate",
        "not a valid number (or out of range, e.g. 1e400)",
    );
    let lines = with_extra(&[
        "[gateway]",          // 4
        "strategy = bounded", // 5: the value at column 12
    ]);
    assert_syntax_error(
        &lines,
        5,
        12,
        "gateway.strategy",
        "invalid string: expected `\"`, `'`; strings need quotes: strategy = \"bounded\"",
    );
    let lines = with_extra(&[
        "[run]",    // 4
        "seed = 1", // 5
        "[run]",    // 6: the header at column 1
    ]);
    assert_syntax_error(&lines, 6, 1, "run", "[run] is defined twice");
    let lines = with_service(&[
        "[[backend.services]]",    // 4
        "name = \"a\"",            // 5
        "workers = 2",             // 6
        "service_time = \"10ms\"", // 7
        // `overload = { mode = "queue", backlog = 64, }`: the `}` after the trailing comma at 42.
        "overload = { mode = \"queue\", backlog = 64, }", // 8
    ]);
    assert_syntax_error(
        &lines,
        8,
        42,
        "backend.services[0].overload",
        "invalid inline table: expected `}`",
    );
}

#[test]
fn an_empty_file_says_what_a_scenario_needs() {
    for text in ["", "\n\n", "# a comment\n  # another\n\n"] {
        let e = scenario::parse("t.toml", text).unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.toml:1:1: the file is empty: a scenario needs at least [[workload.phases]] and [[backend.services]]"
        );
    }
}

/// A scratch file for [`scenario::load`], removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> TempFile {
        let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("spillway-scenario-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).expect("write a temporary file");
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn a_file_that_is_not_utf8_text_is_refused_with_where_it_stops_being_text() {
    // `[run]\n` is bytes 0-5, `name = "caf` 6-16: the Latin-1 `é` is byte 17.
    let f = TempFile::new("latin1.toml", b"[run]\nname = \"caf\xe9\"\n");
    let e = scenario::load(&f.0).unwrap_err();
    assert!(matches!(e, ScenarioError::Io { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "{}: cannot read scenario: not a text file: invalid UTF-8 at line 2, column 12 (byte 17)",
            f.0.display()
        )
    );

    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain("[run]\nseed = 1\n".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let f = TempFile::new("utf16.toml", &utf16);
    let e = scenario::load(&f.0).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: cannot read scenario: looks like UTF-16: save it as UTF-8",
            f.0.display()
        )
    );

    // A UTF-8 byte order mark is fine, and files still load from disk.
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(text(&with_extra(&[])).as_bytes());
    let f = TempFile::new("bom.toml", &bytes);
    scenario::load(&f.0).unwrap_or_else(|e| panic!("{e}"));
}

// ---------------------------------------------------------------------------------------------
// Semantic errors, positioned from their field path
// ---------------------------------------------------------------------------------------------

/// A valid file whose service block is `service` (lines 4..), after a 3-line workload.
fn with_service<'a>(service: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["[[workload.phases]]", "duration = \"10s\"", "rate = 10"];
    v.extend_from_slice(service);
    v
}

#[test]
fn zero_workers() {
    let lines = with_service(&[
        "[[backend.services]]", // 4
        "name = \"a\"",         // 5
        "workers = 0",          // 6: the value at column 11
        "service_time = \"10ms\"",
    ]);
    assert_error(
        &lines,
        6,
        11,
        "backend.services[0].workers",
        "expected an integer >= 1, got 0",
    );
}

#[test]
fn lognormal_p99_not_above_median() {
    for (p99, got) in [("30ms", "30ms"), ("40ms", "40ms")] {
        let st = format!("service_time = {{ dist = \"lognormal\", median = \"40ms\", p99 = \"{p99}\" }}");
        let mut lines = with_service(&["[[backend.services]]", "name = \"a\"", "workers = 1"]);
        // Line 7: `service_time = { ` 1-17, `dist = ` 18-24, `"lognormal"` 25-35, `, ` 36-37,
        // `median = ` 38-46, `"40ms"` 47-52, `, ` 53-54, `p99 = ` 55-60, the value at 61.
        lines.push(&st);
        assert_error(
            &lines,
            7,
            61,
            "backend.services[0].service_time.p99",
            &format!("expected p99 > median (40ms), got {got}"),
        );
    }
}

/// A lognormal's mean past the limit is told what to change in the keys the file gave: the
/// `median` / `p99` form was told to lower sigma or mu, keys it does not use.
#[test]
fn a_lognormal_mean_too_large_names_the_keys_given() {
    let cases = [
        // `service_time = { ` 1-17, `dist = ` 18-24, `"lognormal"` 25-35, `, ` 36-37,
        // `median = ` 38-46, `"1s"` 47-50, `, ` 51-52, `p99 = ` 53-58, the value at 59.
        (
            "service_time = { dist = \"lognormal\", median = \"1s\", p99 = \"1000000000s\" }",
            59,
            "p99",
            "(lower p99: the mean grows with the ratio of p99 to the median)",
        ),
        // ..., `mu = ` 38-42, `0` 43, `, ` 44-45, `sigma = ` 46-53, the value at 54.
        (
            "service_time = { dist = \"lognormal\", mu = 0, sigma = 30 }",
            54,
            "sigma",
            "(lower sigma or mu)",
        ),
    ];
    for (st, col, key, hint) in cases {
        let mut lines = with_service(&["[[backend.services]]", "name = \"a\"", "workers = 1"]);
        lines.push(st);
        let d = only_diagnostic(&lines);
        assert_eq!(
            (d.line, d.column, d.path.as_str()),
            (7, col, format!("backend.services[0].service_time.{key}").as_str()),
            "{d}"
        );
        assert!(d.message.starts_with("this distribution's mean is "), "{d}");
        assert!(d.message.ends_with(&format!("s: at most 1e9 s {hint}")), "{d}");
    }
}

#[test]
fn negative_rate() {
    let lines = [
        "[[workload.phases]]", // 1
        "duration = \"10s\"",  // 2
        "rate = -5",           // 3: the value at column 8
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
    ];
    assert_error(&lines, 3, 8, "workload.phases[0].rate", "expected a rate >= 0, got -5");
}

#[test]
fn no_phases() {
    let lines = [
        "[run]",                 // 1
        "seed = 3",              // 2
        "[workload]",            // 3: `workload.phases` is absent, so the error points at its table
        "arrival = \"poisson\"", // 4
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
    ];
    assert_error(&lines, 3, 1, "workload.phases", "expected at least one phase");
}

#[test]
fn service_weight_not_positive() {
    for (w, shown) in [("0", "0"), ("-2.5", "-2.5")] {
        let line = format!("weight = {w}");
        let mut lines = with_service(&[
            "[[backend.services]]",    // 4
            "name = \"a\"",            // 5
            "workers = 2",             // 6
            "service_time = \"10ms\"", // 7
        ]);
        lines.push(&line); // 8: `weight = ` is 9 characters, the value at column 10
        assert_error(
            &lines,
            8,
            10,
            "backend.services[0].weight",
            &format!("expected a weight > 0 and at most 1e9, got {shown}"),
        );
    }
}

#[test]
fn mix_weight_not_positive() {
    let lines = [
        "[workload]",                         // 1
        "mix = [",                            // 2
        "  { service = \"a\", weight = 1 },", // 3
        // `  { ` 1-4, `service = ` 5-14, `"b"` 15-17, `, ` 18-19, `weight = ` 20-28, value at 29.
        "  { service = \"b\", weight = 0 },", // 4
        "]",                                  // 5
        "[[workload.phases]]",
        "duration = \"10s\"",
        "rate = 10",
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
        "[[backend.services]]",
        "name = \"b\"",
        "workers = 2",
        "service_time = \"10ms\"",
    ];
    assert_error(
        &lines,
        4,
        29,
        "workload.mix[1].weight",
        "expected a weight > 0 and at most 1e9, got 0",
    );
}

#[test]
fn error_ratio_outside_unit_interval() {
    for v in ["1.5", "-0.1"] {
        let line = format!("faults = {{ error_ratio = {v} }}");
        let mut lines = with_service(&[
            "[[backend.services]]",
            "name = \"a\"",
            "workers = 2",
            "service_time = \"10ms\"",
        ]);
        lines.push(&line); // 8: `faults = { ` 1-11, `error_ratio = ` 12-25, the value at 26
        assert_error(
            &lines,
            8,
            26,
            "backend.services[0].faults.error_ratio",
            &format!("expected a probability in [0, 1], got {v}"),
        );
    }
}

#[test]
fn zero_timeout() {
    let lines = [
        "[[workload.phases]]", // 1
        "duration = \"10s\"",  // 2
        "rate = 10",           // 3
        "[clients]",           // 4
        "timeout = \"0s\"",    // 5: the value at column 11
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
    ];
    assert_error(&lines, 5, 11, "clients.timeout", "expected a duration > 0, got 0s");
}

#[test]
fn mix_names_an_unknown_service() {
    let lines = [
        "[workload]", // 1
        // `mix = [{ ` 1-9, `service = ` 10-19, the value at 20.
        "mix = [{ service = \"orders\" }]", // 2
        "[[workload.phases]]",
        "duration = \"10s\"",
        "rate = 10",
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
    ];
    assert_error(
        &lines,
        2,
        20,
        "workload.mix[0].service",
        "unknown service `orders`: the backend defines a",
    );
}

/// A mix entry naming a service whose own settings are wrong is not also "unknown" (listed
/// first, that sent users to the wrong line); an unknown one lists what the mix may name,
/// counted groups by their names, and says how many it leaves out.
#[test]
fn mix_names_a_broken_service_or_one_of_many() {
    let broken = [
        "[workload]",
        "mix = [{ service = \"cpp\" }]",
        "[[workload.phases]]",
        "duration = \"10s\"",
        "rate = 10",
        "[[backend.services]]",
        "name = \"cpp\"",
        "count = 2",
        "workers = 2",
        "service_time = { dist = \"lognormal\", median = \"60ms\", p99 = \"40ms\" }", // 10
    ];
    let d = only_diagnostic(&broken);
    assert_eq!(d.path, "backend.services[0].service_time.p99", "{d}");
    let mut many = vec![
        "[workload]",
        "mix = [{ service = \"orders\" }]", // 2: the value at 20
        "[[workload.phases]]",
        "duration = \"10s\"",
        "rate = 10",
        "[[backend.services]]",
        "name = \"cpp\"",
        "count = 3",
        "workers = 2",
        "service_time = \"10ms\"",
    ];
    let names: Vec<String> = (1..=9).map(|k| format!("name = \"s{k}\"")).collect();
    for n in &names {
        many.extend(["[[backend.services]]", n, "workers = 1", "service_time = \"10ms\""]);
    }
    assert_error(
        &many,
        2,
        20,
        "workload.mix[0].service",
        "unknown service `orders`: the backend defines cpp (cpp-1..cpp-3), s1, s2, s3, s4, s5, s6, s7 and 2 more",
    );
}

/// A counted group and a service of the same name: the mix's traffic for the name went to the
/// service alone, and the group's services got none.
#[test]
fn a_counted_group_and_a_service_may_not_share_a_name() {
    let lines = [
        "[[workload.phases]]",
        "duration = \"10s\"",
        "rate = 10",
        "[[backend.services]]",
        "name = \"fortran\"",
        "count = 3",
        "workers = 2",
        "service_time = \"10ms\"",
        "[[backend.services]]",
        "name = \"fortran\"", // 10: the value at 8
        "workers = 1",
        "service_time = \"20ms\"",
    ];
    let d = only_diagnostic(&lines);
    assert_eq!(
        (d.line, d.column, d.path.as_str()),
        (5, 8, "backend.services[0].name"),
        "{d}"
    );
    assert!(
        d.to_string()
            .contains("`fortran` names this counted group and the service of backend.services[1]"),
        "{d}"
    );
}

/// A service the mix leaves out gets no traffic: said, so an estate of ten does not quietly
/// run with nine.
#[test]
fn a_service_the_mix_leaves_out_is_warned_of() {
    let file = |mix: &str| {
        format!(
            "[workload]\nmix = [{mix}]\n[[workload.phases]]\nduration = \"10s\"\nrate = 10\n\
             [[backend.services]]\nname = \"orders\"\nworkers = 2\nservice_time = \"10ms\"\n\
             [[backend.services]]\nname = \"ledger\"\nworkers = 2\nservice_time = \"10ms\"\n"
        )
    };
    let warned = |mix: &str| {
        scenario::parse("t.toml", &file(mix))
            .expect("valid")
            .warnings()
            .into_iter()
            .filter(|w| w.starts_with("workload.mix:"))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        warned("{ service = \"orders\" }"),
        ["workload.mix: no entry names ledger (nor its group): it gets no intents and no results"]
    );
    assert!(warned("{ service = \"orders\" }, { service = \"ledger\" }").is_empty());
}

#[test]
fn mix_names_an_unknown_api() {
    let lines = [
        "[workload]", // 1
        // `mix = [{ service = ` 1-19, `"a"` 20-22, `, ` 23-24, `api = ` 25-30, the value at 31.
        "mix = [{ service = \"a\", api = \"delete\" }]", // 2
        "[[workload.phases]]",
        "duration = \"10s\"",
        "rate = 10",
        "[[backend.services]]",
        "name = \"a\"",
        "apis = [\"get\", \"put\"]",
        "workers = 2",
        "service_time = \"10ms\"",
    ];
    assert_error(
        &lines,
        2,
        31,
        "workload.mix[0].api",
        "unknown API `delete`: service `a` has APIs get, put",
    );
}

#[test]
fn api_service_time_for_an_unknown_api() {
    let lines = with_service(&[
        "[[backend.services]]",    // 4
        "name = \"a\"",            // 5
        "apis = 3",                // 6
        "workers = 2",             // 7
        "service_time = \"10ms\"", // 8
        // `api_service_time = { ` 1-21, `api-9 = ` 22-29, the value at 30.
        "api_service_time = { api-9 = \"5ms\" }", // 9
    ]);
    assert_error(
        &lines,
        9,
        30,
        "backend.services[0].api_service_time.api-9",
        "unknown API `api-9`: service `a` has APIs api-1, api-2, api-3",
    );
}

#[test]
fn bounded_strategy_needs_queue_capacity() {
    let lines = [
        "[[workload.phases]]", // 1
        "duration = \"10s\"",  // 2
        "rate = 10",           // 3
        "[gateway]",           // 4: `queue_capacity` is absent, so the error points at its table
        "strategy = \"bounded\"",
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
    ];
    assert_error(
        &lines,
        4,
        1,
        "gateway.queue_capacity",
        "strategy \"bounded\" needs `queue_capacity`",
    );
}

/// `--strategy bounded` on a file without a bound sizes one (death-spiral: 4 workers x 0.5 x
/// the 1 s median timeout / the ~40 ms mean service time = 50 per service) and says so; a file's
/// own bound, or a strategy that needs none sized, has nothing to say.
#[test]
fn a_sized_queue_bound_is_said() {
    let s = scenario::load(&scenarios_dir().join("death-spiral.toml")).expect("loads");
    let bounded = s.with_strategy(scenario::Strategy::Bounded).expect("bounded");
    let q = bounded.file.gateway.queue_capacity.expect("sized");
    assert_eq!((q, q), (s.sized_queue_capacity(), 50));
    let note = scenario::sized_bound_note(&bounded).expect("said");
    assert!(
        note.contains(&format!("queue bound {q}, sized from the clients' median timeout")),
        "{note}"
    );
    let deadline = s.with_strategy(scenario::Strategy::Deadline).expect("deadline");
    assert_eq!(scenario::sized_bound_note(&deadline), None);
    let mut given = bounded.file.clone();
    given.gateway.queue_capacity = Some(q);
    let given = scenario::resolve_sizing_bounds("given.toml", given).expect("valid");
    assert_eq!(scenario::sized_bound_note(&given), None, "its own bound");
    // Every service with its own bound: nothing sized, nothing said.
    let own = scenario::parse(
        "own.toml",
        "[[workload.phases]]\nduration = \"10s\"\nrate = 10\n[gateway]\nstrategy = \"deadline\"\n\
         [gateway.services.a]\nqueue_capacity = 7\n[gateway.services.b]\nqueue_capacity = 9\n\
         [[backend.services]]\nname = \"a\"\nworkers = 2\nservice_time = \"10ms\"\n\
         [[backend.services]]\nname = \"b\"\nworkers = 2\nservice_time = \"10ms\"\n",
    )
    .expect("valid");
    let bounded = own.with_strategy(scenario::Strategy::Bounded).expect("bounded");
    assert_eq!(bounded.file.gateway.queue_capacity, None);
    assert_eq!(scenario::sized_bound_note(&bounded), None, "every service has its own");
    let caps: Vec<_> = bounded
        .services
        .iter()
        .map(|s| bounded.file.gateway.for_service(&s.name, &s.group).queue_capacity)
        .collect();
    assert_eq!(caps, [Some(7), Some(9)]);
    // One service without: the shared bound is sized for it.
    let mut one = own.file.clone();
    one.gateway.services.remove("b");
    let one = scenario::resolve("one.toml", one).expect("deadline has a default bound");
    let bounded = one.with_strategy(scenario::Strategy::Bounded).expect("bounded");
    assert!(scenario::sized_bound_note(&bounded).is_some());
}

/// Services that drain at different rates get a bound each, sized from the mean service time
/// of the requests each gets: per-API times weighted by the mix, not the service's base time.
/// (The smallest for all made a service draining 200/s shed at 5, a queue that holds 25 ms.)
#[test]
fn queue_bounds_are_sized_per_service_from_what_each_is_asked() {
    let text = "[[workload.phases]]\nduration = \"10s\"\nrate = 10\n[clients]\ntimeout = \"2s\"\n\
         [[workload.mix]]\nservice = \"fast\"\nweight = 1\n\
         [[workload.mix]]\nservice = \"slow\"\napi = \"heavy\"\nweight = 3\n\
         [[workload.mix]]\nservice = \"slow\"\napi = \"light\"\nweight = 1\n\
         [[backend.services]]\nname = \"fast\"\nworkers = 4\nservice_time = \"20ms\"\n\
         [[backend.services]]\nname = \"slow\"\napis = [\"heavy\", \"light\"]\nworkers = 2\nservice_time = \"100ms\"\n\
         api_service_time = { heavy = \"500ms\" }\n";
    let s = scenario::parse("t.toml", text).expect("valid");
    // slow: 3/4 of its requests take 500 ms, 1/4 take 100 ms: 400 ms on average, 5/s on two
    // workers (its base time alone would say 20/s); fast: 4 / 20 ms = 200/s.
    assert!(
        (s.service_mean_time(1) - 0.4).abs() < 1e-12,
        "{}",
        s.service_mean_time(1)
    );
    assert!((s.drain_rate(1) - 5.0).abs() < 1e-9);
    assert!((s.service_capacity(0) - 200.0).abs() < 1e-9);
    let bounded = s.with_strategy(scenario::Strategy::Bounded).expect("bounded");
    // Half the 2 s median timeout: 200 and 5.
    assert_eq!(bounded.file.gateway.queue_capacity, None, "no shared bound");
    let caps: Vec<_> = bounded
        .services
        .iter()
        .map(|x| bounded.file.gateway.for_service(&x.name, &x.group).queue_capacity)
        .collect();
    assert_eq!(caps, [Some(200), Some(5)]);
    assert_eq!(
        bounded.sized_bounds,
        [("fast".to_string(), 200), ("slow".to_string(), 5)]
    );
    let note = scenario::sized_bound_note(&bounded).expect("said");
    assert!(
        note.contains("sized per service") && note.contains("fast 200, slow 5"),
        "{note}"
    );
    // The check's capacity table reads the same means.
    let table = scenario::check_summary(&s);
    let slow = table
        .lines()
        .find(|l| l.trim_start().starts_with("slow "))
        .unwrap_or_else(|| panic!("no row for slow:\n{table}"));
    let cells: Vec<&str> = slow.split_whitespace().collect();
    assert_eq!(&cells[..5], ["slow", "2", "2", "400.0ms", "5.0"], "{table}");
}

#[test]
fn fifo_strategy_takes_no_queue_capacity() {
    let lines = [
        "[[workload.phases]]", // 1
        "duration = \"10s\"",  // 2
        "rate = 10",           // 3
        "[gateway]",           // 4
        "strategy = \"fifo\"", // 5
        "queue_capacity = 10", // 6: `queue_capacity = ` is 17 characters, the value at column 18
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
    ];
    assert_error(
        &lines,
        6,
        18,
        "gateway.queue_capacity",
        "strategy \"fifo\" has no queue bound",
    );
}

#[test]
fn bad_threshold_expressions() {
    let cases = [
        (
            "latency < 2s",
            "unknown metric `latency`: expected one of goodput_ratio,",
        ),
        ("p99 < 2", "p99 is a time: write the bound with a unit, like 2s or 2ms"),
        ("goodput_ratio 0.9", "expected `metric op value`"),
        (
            "interactive.p99 < 2s",
            "`interactive.p99` names a priority class, but this scenario has no priorities",
        ),
        (
            "interactive.wasted < 2s",
            "wasted is kept for the whole run, not per priority class (drop `interactive.`)",
        ),
        (
            "service[a].p99 < 2s",
            "`service[a].p99` names a service, but this scenario has one",
        ),
        (
            "service[*].p99 < 2s",
            "`service[*].p99` names a service, but this scenario has one",
        ),
        (
            "background.latency < 2s",
            "unknown metric `latency` of priority class background: expected one of goodput_ratio,",
        ),
    ];
    for (check, message) in cases {
        let line = format!("check = \"{check}\"");
        let mut lines = with_service(&[
            "[[backend.services]]",
            "name = \"a\"",
            "workers = 2",
            "service_time = \"10ms\"",
        ]);
        lines.push("[[thresholds]]"); // 8
        lines.push(&line); // 9: `check = ` is 8 characters, the value at column 9
        assert_error(&lines, 9, 9, "thresholds[0].check", message);
    }
}

/// A ratio is at most 1: `goodput_ratio > 1` and `> 100%` could never be met, yet passed while
/// `>= 1.5` and `<= 1.5` were refused. `>= 1` (every intent) and `<= 0` (none) can be met.
#[test]
fn a_ratio_bound_no_run_can_meet_is_refused() {
    for (check, figure) in [
        ("goodput_ratio > 1", "goodput_ratio"),
        ("goodput_ratio > 100%", "goodput_ratio"),
        ("wasted_ratio > 1.0", "wasted_ratio"),
    ] {
        let line = format!("check = \"{check}\"");
        let mut lines = with_service(&[
            "[[backend.services]]",
            "name = \"a\"",
            "workers = 2",
            "service_time = \"10ms\"",
        ]);
        lines.push("[[thresholds]]"); // 8
        lines.push(&line); // 9: the value at column 9
        assert_error(
            &lines,
            9,
            9,
            "thresholds[0].check",
            &format!(
                "`{check}` could never be met: {figure} is a ratio from 0 to 1 (0% to 100%), never more{}",
                if figure == "goodput_ratio" {
                    format!(" (for all of them, write `{figure} == 1`)")
                } else {
                    String::new()
                }
            ),
        );
    }
    for check in [
        "goodput_ratio >= 1",
        "goodput_ratio <= 0",
        "goodput_ratio > 0.99",
        "goodput_ratio == 100%",
    ] {
        let line = format!("check = \"{check}\"");
        let lines = with_extra(&["[[thresholds]]", &line]);
        parse(&lines).unwrap_or_else(|e| panic!("{check}: {e}"));
    }
}

/// Service thresholds need several services, and one of that name.
#[test]
fn service_thresholds_name_a_service_of_the_scenario() {
    let lines = |check: &'static str| {
        vec![
            "[[workload.phases]]",
            "duration = \"10s\"",
            "rate = 10",
            "[[backend.services]]",
            "name = \"legacy\"",
            "count = 3",
            "workers = 2",
            "service_time = \"10ms\"",
            "[[thresholds]]",
            check,
        ]
    };
    let s = parse(&lines("check = \"service[legacy-2].p99 < 1s\"")).expect("legacy-2 exists");
    assert_eq!(s.thresholds[0].figure.to_string(), "service[legacy-2].p99");
    let s = parse(&lines("check = \"service[*].p99 < 1s\"")).expect("every service");
    assert!(s.thresholds[0].every_service());
    assert_error(
        &lines("check = \"service[legacy-4].p99 < 1s\""),
        10,
        9,
        "thresholds[0].check",
        "`service[legacy-4].p99`: no service `legacy-4` (services: legacy-1, legacy-2, legacy-3)",
    );
    // A typo gets a suggestion, whichever of the services it is (the list shows 8 at most).
    let many: Vec<String> = (0..10)
        .flat_map(|i| {
            let name = if i == 9 {
                "billing".to_string()
            } else {
                format!("svc{i}")
            };
            [
                "[[backend.services]]".to_string(),
                format!("name = \"{name}\""),
                "workers = 2".to_string(),
                "service_time = \"10ms\"".to_string(),
            ]
        })
        .collect();
    let mut typo: Vec<&str> = vec!["[[workload.phases]]", "duration = \"10s\"", "rate = 10"];
    typo.extend(many.iter().map(String::as_str));
    typo.extend(["[[thresholds]]", "check = \"service[biling].p99 < 1s\""]);
    let e = parse(&typo).expect_err("no service biling").to_string();
    assert!(
        e.contains("no service `biling`; did you mean `billing`? (services: svc0,"),
        "{e}"
    );
    // Another number of a group is no typo: no `svc1` for `svc12` or `svc-3`.
    for check in [
        "check = \"service[svc12].p99 < 1s\"",
        "check = \"service[svc-3].p99 < 1s\"",
    ] {
        let n = typo.len();
        typo[n - 1] = check;
        let e = parse(&typo).expect_err("no such service").to_string();
        assert!(!e.contains("did you mean"), "{e}");
    }
    // The group's own name: say what to write instead.
    assert_error(
        &lines("check = \"service[legacy].p99 < 1s\""),
        10,
        9,
        "thresholds[0].check",
        "`service[legacy].p99`: `legacy` is a group of 3 services (legacy-1 .. legacy-3), and results keep figures per service: name one (`service[legacy-1].p99`), or bound every service with `service[*].p99`",
    );
}

/// A scenario with a background mix entry keeps classes, so class thresholds are valid.
#[test]
fn class_thresholds_need_priorities() {
    let s = parse(&with_service(&[
        "[[workload.mix]]",
        "service = \"a\"",
        "weight = 1",
        "priority = \"background\"",
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
        "[[thresholds]]",
        "check = \"background.p99 < 2s\"",
    ]))
    .expect("class thresholds are valid with priorities");
    assert_eq!(s.thresholds[0].figure.to_string(), "background.p99");
}

#[test]
fn duplicate_service_names() {
    let lines = with_service(&[
        "[[backend.services]]",    // 4
        "name = \"a\"",            // 5
        "workers = 2",             // 6
        "service_time = \"10ms\"", // 7
        "[[backend.services]]",    // 8
        "name = \"a\"",            // 9: the value at column 8
        "workers = 1",
        "service_time = \"20ms\"",
    ]);
    assert_error(
        &lines,
        9,
        8,
        "backend.services[1].name",
        "service `a` is already defined by backend.services[0]",
    );

    // A name produced by `count` collides with an explicit one.
    let lines = with_service(&[
        "[[backend.services]]",    // 4
        "name = \"legacy\"",       // 5
        "count = 3",               // 6
        "workers = 2",             // 7
        "service_time = \"10ms\"", // 8
        "[[backend.services]]",    // 9
        "name = \"legacy-2\"",     // 10: the value at column 8
        "workers = 1",
        "service_time = \"20ms\"",
    ]);
    assert_error(
        &lines,
        10,
        8,
        "backend.services[1].name",
        "service `legacy-2` is already defined by backend.services[0]",
    );
}

#[test]
fn stall_not_shorter_than_its_period() {
    for (dur, shown) in [("1s", "1s"), ("1500ms", "1.5s")] {
        let line = format!("faults = {{ stalls = {{ every = \"1s\", duration = \"{dur}\" }} }}");
        let mut lines = with_service(&[
            "[[backend.services]]",
            "name = \"a\"",
            "workers = 2",
            "service_time = \"10ms\"",
        ]);
        // `faults = { ` 1-11, `stalls = { ` 12-22, `every = ` 23-30, `"1s"` 31-34, `, ` 35-36,
        // `duration = ` 37-47, the value at 48.
        lines.push(&line); // 8
        assert_error(
            &lines,
            8,
            48,
            "backend.services[0].faults.stalls.duration",
            &format!("expected a stall shorter than its period (1s), got {shown}"),
        );
    }
}

#[test]
fn several_semantic_problems_are_all_reported() {
    let lines = [
        "[workload]",                       // 1
        "mix = [{ service = \"orders\" }]", // 2: value at 20
        "[[workload.phases]]",              // 3
        "duration = \"10s\"",               // 4
        "rate = -5",                        // 5: value at 8
        "[clients]",                        // 6
        "timeout = \"0s\"",                 // 7: value at 11
        "[[backend.services]]",             // 8
        "name = \"a\"",                     // 9
        "workers = 0",                      // 10: value at 11
        "service_time = \"10ms\"",          // 11
    ];
    let e = parse(&lines).unwrap_err();
    let d = e.diagnostics();
    assert!(d.len() > 1, "{e}");
    let rendered: Vec<String> = d.iter().map(ToString::to_string).collect();
    for want in [
        "t.toml:2:20: workload.mix[0].service: unknown service `orders`",
        "t.toml:5:8: workload.phases[0].rate: expected a rate >= 0, got -5",
        "t.toml:7:11: clients.timeout: expected a duration > 0, got 0s",
        "t.toml:10:11: backend.services[0].workers: expected an integer >= 1, got 0",
    ] {
        assert!(
            rendered.iter().any(|r| r.starts_with(want)),
            "missing `{want}` in:\n{e}"
        );
    }
    assert_eq!(d.len(), 4, "one diagnostic per problem:\n{e}");
    // The error's Display lists them one per line.
    assert_eq!(e.to_string().lines().count(), 4);
}

// ---------------------------------------------------------------------------------------------
// The compact form: `count` and `apis`
// ---------------------------------------------------------------------------------------------

#[test]
fn count_and_api_count_expand() {
    let lines = [
        "[workload]",
        "mix = [{ service = \"legacy\" }]",
        "[[workload.phases]]",
        "duration = \"10s\"",
        "rate = 100",
        "[[backend.services]]",
        "name = \"legacy\"",
        "count = 10",
        "apis = 20",
        "workers = 4",
        "service_time = \"40ms\"",
    ];
    let s = parse(&lines).unwrap();
    let names: Vec<&str> = s.services.iter().map(|x| x.name.as_str()).collect();
    let want: Vec<String> = (1..=10).map(|k| format!("legacy-{k}")).collect();
    assert_eq!(names, want);
    let apis: Vec<String> = (1..=20).map(|k| format!("api-{k}")).collect();
    for (i, svc) in s.services.iter().enumerate() {
        assert_eq!(svc.index, i);
        assert_eq!(svc.apis, apis, "{}", svc.name);
        assert_eq!(svc.workers, 4);
        assert_eq!(svc.api_index("api-20"), Some(19));
    }
    // The group entry spreads over all ten services, equally (equal service weights).
    assert_eq!(s.mix.len(), 10);
    let mut covered: Vec<usize> = s.mix.iter().map(|m| m.service).collect();
    covered.sort_unstable();
    assert_eq!(covered, (0..10).collect::<Vec<_>>());
    assert!(s.mix.iter().all(|m| m.api.is_none()));
    let total: f64 = s.mix.iter().map(|m| m.weight).sum();
    assert!(
        (total - 1.0).abs() < 1e-12,
        "the group keeps the entry's weight: {total}"
    );
    for share in s.service_shares() {
        assert!((share - 0.1).abs() < 1e-12, "{share}");
    }
}

#[test]
fn a_group_mix_entry_with_an_api_targets_that_api_in_every_member() {
    let lines = [
        "[workload]",
        "mix = [{ service = \"legacy\", api = \"api-3\", weight = 2 }, { service = \"other\", weight = 2 }]",
        "[[workload.phases]]",
        "duration = \"10s\"",
        "rate = 100",
        "[[backend.services]]",
        "name = \"legacy\"",
        "count = 4",
        "apis = 5",
        "workers = 4",
        "service_time = \"40ms\"",
        "[[backend.services]]",
        "name = \"other\"",
        "workers = 1",
        "service_time = \"40ms\"",
    ];
    let s = parse(&lines).unwrap();
    assert_eq!(s.services.len(), 5);
    let group: Vec<_> = s.mix.iter().filter(|m| m.service < 4).collect();
    assert_eq!(group.len(), 4);
    assert!(group.iter().all(|m| m.api == Some(2) && (m.weight - 0.5).abs() < 1e-12));
    let shares = s.service_shares();
    for share in &shares[..4] {
        assert!((share - 0.125).abs() < 1e-12, "{shares:?}");
    }
    assert!((shares[4] - 0.5).abs() < 1e-12, "{shares:?}");
}

/// Regression (model/src/scenario/validate/mix.rs, `check_mix`, fixed): a mix entry naming a counted group selects
/// every service whose name is `<group>-<anything without a dash>`, so a separate service named
/// `legacy-archive` is silently swept into the group `legacy` and receives a share of its traffic.
#[test]
fn a_group_mix_entry_covers_only_the_group_members() {
    let lines = [
        "[workload]",
        "mix = [{ service = \"legacy\" }]",
        "[[workload.phases]]",
        "duration = \"10s\"",
        "rate = 10",
        "[[backend.services]]",
        "name = \"legacy\"",
        "count = 2",
        "workers = 1",
        "service_time = \"10ms\"",
        "[[backend.services]]",
        "name = \"legacy-archive\"",
        "workers = 1",
        "service_time = \"10ms\"",
    ];
    let s = parse(&lines).unwrap();
    let targets: Vec<&str> = s.mix.iter().map(|m| s.services[m.service].name.as_str()).collect();
    assert_eq!(targets, ["legacy-1", "legacy-2"], "mix: {:?}", s.mix);
    assert_eq!(
        s.service_shares()[2],
        0.0,
        "legacy-archive is not part of the group `legacy`"
    );
}

// ---------------------------------------------------------------------------------------------
// Time scaling
// ---------------------------------------------------------------------------------------------

/// Utilisation of each service at `rate` intents/s, from public scenario data: the offered work
/// (rate x share x mean service time of the targeted API or service) over the workers.
fn utilisation(s: &Scenario, rate: f64) -> Vec<f64> {
    let total: f64 = s.mix.iter().map(|m| m.weight).sum();
    let mut work = vec![0.0; s.services.len()];
    for m in &s.mix {
        let svc = &s.services[m.service];
        let mean = m
            .api
            .map_or_else(|| svc.mean_service_time(), |a| svc.distribution(a).mean());
        work[m.service] += rate * m.weight / total * mean;
    }
    work.iter()
        .zip(&s.services)
        .map(|(w, svc)| w / f64::from(svc.workers))
        .collect()
}

/// The `NN%` figures of a `scenario check` summary, in order.
fn percentages(summary: &str) -> Vec<String> {
    summary
        .split_whitespace()
        .filter(|w| w.len() > 1 && w.ends_with('%') && w[..w.len() - 1].chars().all(|c| c.is_ascii_digit() || c == '.'))
        .map(str::to_string)
        .collect()
}

fn nanos(d: std::time::Duration) -> i128 {
    d.as_nanos() as i128
}

/// Checks that `fast` is `orig` run `f` times faster.
fn assert_time_scaled(orig: &Scenario, fast: &Scenario, f: f64) {
    let name = &orig.source;
    // Tolerances. Each scaled duration is a whole number of nanoseconds: rounding it costs
    // less than 1 ns, i.e. less than f ns once scaled back; a phase end sums at most one such
    // error per phase. Means and capacities come from at most two rounded durations (lognormal
    // median and p99) and exp/ln of their ratio, so their relative error is below
    // 4 x 1 ns / (the shortest scaled duration); rates are products of floats (relative 1e-15).
    let fi = f as i128;
    let shortest_s = fast
        .services
        .iter()
        .flat_map(|s| (0..s.apis.len()).map(move |a| s.distribution(a).quantile(0.5)))
        .fold(f64::INFINITY, f64::min);
    let rel = 4.0 * 1e-9 / shortest_s;
    assert!(rel < 1e-4, "{name}: durations too short to compare ({shortest_s} s)");

    assert_eq!(orig.phases.len(), fast.phases.len());
    for (k, (a, b)) in orig.phases.iter().zip(&fast.phases).enumerate() {
        let phases_so_far = (k + 1) as i128;
        assert!(
            (nanos(b.duration()) * fi - nanos(a.duration())).abs() <= fi,
            "{name}: phase {k} duration"
        );
        assert!(
            (i128::from(b.end.as_nanos()) * fi - i128::from(a.end.as_nanos())).abs() <= fi * phases_so_far,
            "{name}: phase {k} end {} vs {}",
            b.end,
            a.end
        );
        assert!(
            (b.rate_start - a.rate_start * f).abs() <= 1e-12 * a.rate_start.abs().max(1.0),
            "{name}: phase {k} rate"
        );
        assert!(
            (b.rate_end - a.rate_end * f).abs() <= 1e-12 * a.rate_end.abs().max(1.0),
            "{name}: phase {k} rate_end"
        );
        assert_eq!(a.trigger, b.trigger);
    }
    assert!((nanos(fast.duration) * fi - nanos(orig.duration)).abs() <= fi * orig.phases.len().max(1) as i128);
    let (ta, tb) = (
        orig.file.clients.timeout.as_constant().unwrap().0,
        fast.file.clients.timeout.as_constant().unwrap().0,
    );
    assert!(
        (nanos(tb) * fi - nanos(ta)).abs() <= fi,
        "{name}: timeout {tb:?} vs {ta:?}"
    );
    assert!(
        (nanos(fast.window()) * fi - nanos(orig.window())).abs() <= fi,
        "{name}: window"
    );
    assert_eq!(
        fast.file.run.time_scale, 1.0,
        "{name}: the factor is applied, not recorded twice"
    );

    assert_eq!(orig.services.len(), fast.services.len());
    for (a, b) in orig.services.iter().zip(&fast.services) {
        assert_eq!(a.name, b.name);
        assert_eq!(a.workers, b.workers);
        let (ma, mb) = (a.mean_service_time(), b.mean_service_time());
        assert!(
            (mb * f - ma).abs() <= rel * ma,
            "{name}/{}: mean service time {mb} x {f} vs {ma}",
            a.name
        );
        for api in 0..a.apis.len() {
            let (ma, mb) = (a.distribution(api).mean(), b.distribution(api).mean());
            assert!(
                (mb * f - ma).abs() <= rel * ma,
                "{name}/{} api {api}: mean {mb} x {f} vs {ma}",
                a.name
            );
        }
        let (ca, cb) = (a.capacity(), b.capacity());
        assert!(
            (cb - ca * f).abs() <= rel * ca * f,
            "{name}/{}: capacity {cb} vs {ca} x {f}",
            a.name
        );
    }
    // Rates and capacities both grew by f: utilisation at every phase's peak is unchanged.
    for (a, b) in orig.phases.iter().zip(&fast.phases) {
        let (ua, ub) = (
            utilisation(orig, a.rate_start.max(a.rate_end)),
            utilisation(fast, b.rate_start.max(b.rate_end)),
        );
        for (x, y) in ua.iter().zip(&ub) {
            assert!(
                (x - y).abs() <= 2.0 * rel * x.max(1e-12),
                "{name}: utilisation {x} vs {y}"
            );
        }
    }
    // And `scenario check` prints the same utilisation figures.
    let (pa, pb) = (
        percentages(&scenario::check_summary(orig)),
        percentages(&scenario::check_summary(fast)),
    );
    assert_eq!(pa, pb, "{name}: utilisation in the summary");
}

#[test]
fn time_scaling_keeps_utilisation() {
    let lines = [
        "[run]",
        "window = \"500ms\"",
        "[workload]",
        "mix = [{ service = \"slow\", api = \"report\", weight = 1 }, { service = \"fast\", weight = 3 }]",
        "[[workload.phases]]",
        "duration = \"30s\"",
        "rate = 20",
        "ramp = true",
        "[[workload.phases]]",
        "duration = \"10s\"",
        "rate = 80",
        "trigger = true",
        "[[workload.phases]]",
        "duration = \"1m\"",
        "rate = 40",
        "ramp_to = 10",
        "[clients]",
        "timeout = \"1500ms\"",
        "[[backend.services]]",
        "name = \"slow\"",
        "apis = [\"report\", \"lookup\"]",
        "workers = 3",
        "service_time = { dist = \"lognormal\", median = \"120ms\", p99 = \"900ms\" }",
        "api_service_time = { lookup = { dist = \"exponential\", mean = \"30ms\" } }",
        "[[backend.services]]",
        "name = \"fast\"",
        "count = 2",
        "apis = 4",
        "workers = 2",
        "service_time = { dist = \"lognormal\", mu = -3.5, sigma = 0.6 }",
    ];
    let s = parse(&lines).unwrap();
    let fast = s.time_scaled(10.0).unwrap();
    assert_time_scaled(&s, &fast, 10.0);
    // The concrete numbers, for the reader.
    assert_eq!(fast.phases[2].duration(), std::time::Duration::from_secs(6));
    assert_eq!(fast.phases[1].rate_start, 800.0);
    assert_eq!(
        fast.file.clients.timeout.as_constant().unwrap().0,
        std::time::Duration::from_millis(150)
    );
    // A factor of 1 is the identity.
    let same = s.time_scaled(1.0).unwrap();
    assert_eq!(same.file, s.file);
}

#[test]
fn time_scaling_keeps_utilisation_for_every_shipped_scenario() {
    for f in scenario_files() {
        let s = scenario::load(&f).unwrap();
        let fast = s.time_scaled(10.0).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert_time_scaled(&s, &fast, 10.0);
    }
}

// ---------------------------------------------------------------------------------------------
// Limits: values that parse but would exhaust memory or time are errors, not a hung run
// ---------------------------------------------------------------------------------------------

const SERVICE: &str = "[[backend.services]]\nname = \"s\"\nworkers = 1\nservice_time = \"10ms\"";

#[test]
fn runs_too_large_to_simulate_are_refused_with_their_size() {
    // 5e9 intents (a rate typo): the sim would run for hours and the results outgrow memory.
    assert_error(
        &["[[workload.phases]]", "duration = \"5s\"", "rate = 1e9", SERVICE],
        1,
        1,
        "workload.phases",
        "the phases offer about 5.000e9 intents: at most 1e9 per run",
    );
    // 7e9 windows of 1 ns: the 5 s run and the 2 s default timeout after it.
    assert_error(
        &[
            "[run]",
            "window = \"1ns\"",
            "[[workload.phases]]",
            "duration = \"5s\"",
            "rate = 1",
            SERVICE,
        ],
        2,
        10,
        "run.window",
        "7000000000 windows of 1ns over the run's 5s and the 2s an intent can still be in flight after arrivals end (clients.timeout, retries and backoff): at most 100000",
    );
    assert_error(
        &[
            "[run]",
            "time_scale = 1e-300",
            "[[workload.phases]]",
            "duration = \"5s\"",
            "rate = 1",
            SERVICE,
        ],
        2,
        14,
        "run.time_scale",
        "expected a factor from 0.01 to 1000, got 1e-300",
    );
    assert_error(
        &[
            "[[workload.phases]]",
            "duration = \"5s\"",
            "rate = 1",
            SERVICE,
            "count = 100000000",
        ],
        8,
        9,
        "backend.services[0].count",
        "at most 1000 services, got 100000000",
    );
}

/// `scenario check /dev/zero` used to read without end (13.8 GB in 10 s).
#[cfg(unix)]
#[test]
fn an_endless_file_is_refused_after_a_bounded_read() {
    let e = scenario::load(Path::new("/dev/zero")).unwrap_err();
    assert!(e.to_string().contains("larger than 16 MiB"), "{e}");
    // The I/O error is said once.
    let e = scenario::load(&scenarios_dir().join("no-such.toml")).unwrap_err();
    let msg = format!("{:#}", anyhow_like(&e));
    assert_eq!(msg.matches("No such file").count(), 1, "{msg}");
}

/// What `anyhow`'s `{:#}` prints: the error and its sources.
fn anyhow_like(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(x) = src {
        s.push_str(&format!(": {x}"));
        src = x.source();
    }
    s
}

/// `scenario check` shows each service's faults: an outage or a rate limit overloads a service
/// whose utilisation figures look fine.
#[test]
fn the_summary_shows_faults() {
    let s = parse(&[
        "[[workload.phases]]",
        "duration = \"120s\"",
        "rate = 10",
        SERVICE,
        "faults = { rate_limit = { rate = 5, burst = 2 }, outages = [{ at = \"60s\", duration = \"30s\", kind = \"hang\" }] }",
    ])
    .unwrap();
    let text = scenario::check_summary(&s);
    assert!(text.contains("faults:"), "{text}");
    assert!(text.contains("hangs 60s-90s; 429 past 5/s (burst 2)"), "{text}");
    let plain = parse(&["[[workload.phases]]", "duration = \"1s\"", "rate = 1", SERVICE]).unwrap();
    assert!(!scenario::check_summary(&plain).contains("faults:"));
    assert!(scenario::check_summary(&plain).contains("concurrency workers of each service"));
    // Passthrough has no limit at all (it once read "concurrency workers of each service").
    let pass = parse(&with_extra(&["[gateway]", "strategy = \"passthrough\""])).unwrap();
    let text = scenario::check_summary(&pass);
    assert!(
        text.contains("strategy passthrough, concurrency unlimited, no queue"),
        "{text}"
    );
}

/// The phase table gives its times in one unit: `1m` over `80s` read like two scales.
#[test]
fn the_phase_table_keeps_one_unit() {
    let s = scenario::load(&scenarios_dir().join("death-spiral.toml")).expect("loads");
    let text = scenario::check_summary(&s);
    let row = |name: &str| {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("no {name} row: {text}"));
        line.split_whitespace().map(String::from).collect::<Vec<_>>()
    };
    assert_eq!(row("normal")[1..3], ["0s", "60s"]);
    assert_eq!(row("after")[1..3], ["80s", "120s"]);
    // Long runs keep the file's notation.
    let long = parse(&["[[workload.phases]]", "duration = \"2h\"", "rate = 1", SERVICE]).unwrap();
    assert!(
        scenario::check_summary(&long).contains("       2h "),
        "{}",
        scenario::check_summary(&long)
    );
}

/// Utilisation counts the requests a service can serve at once through the gateway (a
/// concurrency limit below its workers caps it), every service over capacity is named, not only
/// the busiest, and a limit above a service's workers is pointed out.
#[test]
fn the_summary_uses_the_gateway_limit_and_names_every_overloaded_service() {
    let lines = |gateway: &[&'static str]| {
        let mut v = vec!["[[workload.phases]]", "duration = \"10s\"", "rate = 30"];
        v.extend_from_slice(gateway);
        v.extend_from_slice(&[
            "[[backend.services]]",
            "name = \"wide\"",
            "workers = 8",
            "service_time = \"200ms\"",
            "[[backend.services]]",
            "name = \"narrow\"",
            "workers = 1",
            "service_time = \"100ms\"",
            "[[backend.services]]",
            "name = \"middle\"",
            "workers = 2",
            "service_time = \"150ms\"",
        ]);
        v
    };
    // 10/s each. Workers alone: wide 10 x 0.2 / 8 = 25%, narrow 10 x 0.1 / 1 = 100%,
    // middle 10 x 0.15 / 2 = 75%.
    let plain = scenario::check_summary(&parse(&lines(&[])).unwrap());
    assert!(plain.contains("narrow at 100% utilisation  OVERLOAD\n"), "{plain}");
    assert!(!plain.contains("concurrency limit is"), "{plain}");
    // Through a gateway limit of 1: wide 10 x 0.2 / 1 = 200%, middle 150%, narrow 100%.
    let text = scenario::check_summary(&parse(&lines(&["[gateway]", "concurrency = 1"])).unwrap());
    assert!(
        text.contains("wide at 200% utilisation  OVERLOAD; also over: middle 150%, narrow 100%"),
        "{text}"
    );
    assert!(
        text.contains(
            "the gateway's concurrency limit is below the workers of wide (1 of 8: 5.0/s), middle (1 of 2: 6.7/s)"
        ),
        "{text}"
    );
    // The total is what the gateway lets through: 5.0 + 10.0 + 6.7, against 40 + 10 + 13.3.
    assert!(
        text.contains("total capacity 21.7 req/s through the gateway, 63.3 of the workers alone"),
        "{text}"
    );
    assert!(plain.contains("total capacity 63.3 req/s (if the mix"), "{plain}");
    let text = scenario::check_summary(&parse(&lines(&["[gateway]", "concurrency = 4"])).unwrap());
    assert!(
        text.contains("the gateway's concurrency limit is above the workers of narrow (4 for 1), middle (4 for 2)"),
        "{text}"
    );
    // Passthrough and adaptive limits do not cap it.
    let text =
        scenario::check_summary(&parse(&lines(&["[gateway]", "strategy = \"adaptive\"", "concurrency = 1"])).unwrap());
    assert!(text.contains("narrow at 100% utilisation"), "{text}");
}

/// `[gateway.services.NAME]` sets one service's (or one group's) concurrency and queue bound
/// over the shared ones; names and values are checked like the shared settings.
#[test]
fn a_service_can_have_its_own_gateway_limits() {
    let with = |gateway: &[&'static str]| {
        let mut v = vec!["[[workload.phases]]", "duration = \"10s\"", "rate = 10", "[gateway]"];
        v.extend_from_slice(gateway);
        v.extend_from_slice(&[
            "[[backend.services]]",
            "name = \"risk\"",
            "workers = 1",
            "service_time = \"100ms\"",
            "[[backend.services]]",
            "name = \"ledger\"",
            "count = 2",
            "workers = 8",
            "service_time = \"100ms\"",
        ]);
        v
    };
    let s = parse(&with(&[
        "strategy = \"bounded\"",
        "concurrency = 4",
        "queue_capacity = 50",
        "[gateway.services.risk]",
        "concurrency = 1",
        "queue_capacity = 5",
        "[gateway.services.ledger]",
        "concurrency = 8",
    ]))
    .expect("valid");
    let g = &s.file.gateway;
    let risk = g.for_service("risk", "risk");
    assert_eq!((risk.concurrency, risk.queue_capacity), (Some(1), Some(5)));
    // A group's settings reach each of its services; what they leave out is the shared value.
    let ledger = g.for_service("ledger-2", "ledger");
    assert_eq!((ledger.concurrency, ledger.queue_capacity), (Some(8), Some(50)));
    // A service's own entry layers over its group's, field by field.
    let mut layered = g.clone();
    layered.services.insert(
        "ledger-2".into(),
        model::scenario::ServiceGatewayConfig {
            concurrency: None,
            queue_capacity: Some(5),
            queue_timeout: None,
        },
    );
    let l2 = layered.for_service("ledger-2", "ledger");
    assert_eq!((l2.concurrency, l2.queue_capacity), (Some(8), Some(5)));
    let l1 = layered.for_service("ledger-1", "ledger");
    assert_eq!((l1.concurrency, l1.queue_capacity), (Some(8), Some(50)));
    // compare's queue sizing for bounded uses each service's own limit: risk, 1 slot x half
    // the default 2 s timeout / 100 ms = 10 (with the shared 4 it would be 40).
    assert_eq!(s.sized_queue_capacity(), 10);
    let text = scenario::check_summary(&s);
    assert!(
        text.contains("per service: ledger (concurrency 8), risk (concurrency 1, queue capacity 5)"),
        "{text}"
    );
    // risk: 10/s spread over three services, 3.3/s x 0.1 s over its own limit of 1.
    assert!(!text.contains("concurrency limit is above"), "{text}");

    // An unknown name, a zero, and a queue bound under fifo are refused with their paths.
    let e = parse(&with(&["[gateway.services.rsik]", "concurrency = 1"])).unwrap_err();
    let e = e.to_string();
    assert!(
        e.contains("gateway.services.rsik: no service or group `rsik` in [[backend.services]]; did you mean `risk`?"),
        "{e}"
    );
    let e = parse(&with(&["[gateway.services.risk]", "concurrency = 0"]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("gateway.services.risk.concurrency"), "{e}");
    let e = parse(&with(&["[gateway.services.risk]", "queue_capacity = 3"]))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("gateway.services.risk.queue_capacity: strategy \"fifo\" has no queue bound"),
        "{e}"
    );
    let e = parse(&with(&["[gateway.services.risk]", "limit = 3"]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown key `limit`"), "{e}");
}

/// `[gateway.services.NAME]` sets one service's (or one group's) queue timeout too, the
/// group's first and the service's own over it; checked as `[gateway]`'s, at its position;
/// scaled with the rest of the scenario's time; shown by `scenario check`.
#[test]
fn a_service_can_have_its_own_queue_timeout() {
    let with = |gateway: &[&'static str]| {
        let mut v = vec!["[[workload.phases]]", "duration = \"10s\"", "rate = 10", "[gateway]"];
        v.extend_from_slice(gateway);
        v.extend_from_slice(&[
            "[[backend.services]]",
            "name = \"report\"",
            "workers = 1",
            "service_time = \"100ms\"",
            "[[backend.services]]",
            "name = \"lookup\"",
            "count = 2",
            "workers = 8",
            "service_time = \"10ms\"",
        ]);
        v
    };
    let s = parse(&with(&[
        "queue_timeout = \"1s\"",      // 5
        "[gateway.services.report]",   // 6
        "queue_timeout = \"25s\"",     // 7
        "[gateway.services.lookup]",   // 8
        "queue_timeout = \"1500ms\"",  // 9
        "[gateway.services.lookup-2]", // 10
        "queue_timeout = \"300ms\"",   // 11
    ]))
    .expect("valid");
    let g = &s.file.gateway;
    let qt = |name: &str, group: &str| g.for_service(name, group).queue_timeout.map(|d| d.0);
    let ms = std::time::Duration::from_millis;
    assert_eq!(qt("report", "report"), Some(ms(25_000)));
    // The group's reaches its services; a service's own wins over it.
    assert_eq!(qt("lookup-1", "lookup"), Some(ms(1500)));
    assert_eq!(qt("lookup-2", "lookup"), Some(ms(300)));
    // Without its own, a service has the shared one; the other keys are untouched.
    let mut shared = g.clone();
    shared.services.remove("report");
    assert_eq!(
        shared.for_service("report", "report").queue_timeout.map(|d| d.0),
        Some(ms(1000))
    );
    assert_eq!(g.for_service("report", "report").concurrency, None);
    // scenario check shows each one's own.
    let text = scenario::check_summary(&s);
    assert!(
        text.contains("queue timeout 1s, abandoned requests: keep; per service: lookup (queue timeout 1.5s), lookup-2 (queue timeout 300ms), report (queue timeout 25s)"),
        "{text}"
    );
    // Ten times faster: every service's own timeout too, not only the shared one.
    let fast = s.time_scaled(10.0).expect("scaled");
    let fg = &fast.file.gateway;
    assert_eq!(fg.queue_timeout.map(|d| d.0), Some(ms(100)));
    assert_eq!(
        fg.for_service("report", "report").queue_timeout.map(|d| d.0),
        Some(ms(2500))
    );
    assert_eq!(
        fg.for_service("lookup-1", "lookup").queue_timeout.map(|d| d.0),
        Some(ms(150))
    );
    assert_eq!(
        fg.for_service("lookup-2", "lookup").queue_timeout.map(|d| d.0),
        Some(ms(30))
    );

    // Zero, and under passthrough, refused at the service's key as the shared one is.
    // `queue_timeout = ` is 16 characters: the value is at column 17.
    assert_error(
        &with(&["[gateway.services.lookup]", "queue_timeout = \"0s\""]),
        6,
        17,
        "gateway.services.lookup.queue_timeout",
        "expected a duration > 0, got 0s",
    );
    assert_error(
        &with(&[
            "strategy = \"passthrough\"",
            "[gateway.services.report]",
            "queue_timeout = \"1s\"",
        ]),
        7,
        17,
        "gateway.services.report.queue_timeout",
        "strategy \"passthrough\" queues nothing, so no request waits long enough to time out: remove `queue_timeout` or pick a queueing strategy",
    );
    // A strategy switched to passthrough (sweeps, compare) drops them with the shared one.
    let mut pass = g.clone();
    pass.set_strategy(model::scenario::Strategy::Passthrough);
    assert!(pass.services.is_empty(), "{:?}", pass.services);
}

/// `[clients.services.NAME]` gives one service's (or one group's) clients their own timeout,
/// the group's first and the service's own over it; the clients' bounds take the longest;
/// checked as `clients.timeout` is, at its position; scaled; shown by `scenario check`.
#[test]
fn a_service_can_have_its_own_client_timeout() {
    let with = |clients: &[&'static str]| {
        let mut v = vec!["[[workload.phases]]", "duration = \"10s\"", "rate = 10", "[clients]"];
        v.extend_from_slice(clients);
        v.extend_from_slice(&[
            "[[backend.services]]",
            "name = \"report\"",
            "workers = 4",
            "service_time = \"100ms\"",
            "[[backend.services]]",
            "name = \"lookup\"",
            "count = 2",
            "workers = 8",
            "service_time = \"10ms\"",
        ]);
        v
    };
    let s = parse(&with(&[
        "timeout = \"2s\"",
        "[clients.services.report]",
        "timeout = \"30s\"",
        "[clients.services.lookup]",
        "timeout = \"1s\"",
        "[clients.services.lookup-2]",
        "timeout = { dist = \"exponential\", mean = \"500ms\" }",
    ]))
    .expect("valid");
    let cl = &s.file.clients;
    let secs = |t: &model::dist::DistSpec| t.resolve().expect("valid").mean();
    assert_eq!(secs(cl.timeout_for("report", "report")), 30.0);
    // The group's reaches its services; a service's own wins over it.
    assert_eq!(secs(cl.timeout_for("lookup-1", "lookup")), 1.0);
    assert!((secs(cl.timeout_for("lookup-2", "lookup")) - 0.5).abs() < 1e-9);
    assert!(cl.timeout_for("lookup-2", "lookup").as_constant().is_none());
    // A service without one has the clients-wide timeout.
    assert_eq!(secs(cl.timeout_for("other", "other")), 2.0);
    // Each attempt gets its service's (the scenario's service order: report, lookup-1, lookup-2).
    let mut m = model::client::ClientModel::new(cl, &s.services, &model::rng::Streams::new(1));
    let ms = std::time::Duration::from_millis;
    assert_eq!(m.attempt_timeout(0), ms(30_000));
    assert_eq!(m.attempt_timeout(1), ms(1000));
    assert_ne!(
        m.attempt_timeout(2),
        m.attempt_timeout(2),
        "lookup-2's patience is drawn"
    );
    // The bounds on an intent take the longest: report's 30 s.
    assert_eq!(m.max_timeout(), ms(30_000));
    assert_eq!(model::client::intent_lifetime_bound(cl), ms(30_000));
    assert_eq!(scenario::in_flight_after_arrivals(cl).0, ms(30_000));
    // `bounded` sizes each service's queue from its own clients' median timeout: report drains
    // 40/s, for 15 s; lookup-1 800/s, for 0.5 s.
    assert_eq!((s.sized_bound(0), s.sized_bound(1)), (600, 400));
    // scenario check shows each one that differs from the clients-wide timeout.
    let text = scenario::check_summary(&s);
    assert!(
        text.contains("clients: timeout 2s (per service: lookup 1s, lookup-2 500.0ms mean, report 30s),"),
        "{text}"
    );
    // Ten times faster: every service's own timeout too.
    let fast = s.time_scaled(10.0).expect("scaled");
    let fcl = &fast.file.clients;
    assert!((secs(fcl.timeout_for("report", "report")) - 3.0).abs() < 1e-9);
    assert!((secs(fcl.timeout_for("lookup-1", "lookup")) - 0.1).abs() < 1e-9);
    assert!((secs(fcl.timeout_for("lookup-2", "lookup")) - 0.05).abs() < 1e-9);

    // An unknown name is refused at its table, with the names it may be.
    assert_error(
        &with(&["[clients.services.reprot]", "timeout = \"1s\""]),
        5,
        1,
        "clients.services.reprot",
        "no service or group `reprot` in [[backend.services]]; did you mean `report`? (services and groups: `report`, `lookup-1`, `lookup-2`, `lookup`)",
    );
    // A zero, and a distribution without its fields, at their keys as clients.timeout's are.
    // `timeout = ` is 10 characters: the value is at column 11.
    assert_error(
        &with(&["[clients.services.lookup]", "timeout = \"0s\""]),
        6,
        11,
        "clients.services.lookup.timeout",
        "expected a duration > 0, got 0s",
    );
    let e = parse(&with(&[
        "[clients.services.report]",
        "timeout = { dist = \"exponential\" }",
    ]))
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("t.toml:6:") && e.contains("clients.services.report.timeout.mean"),
        "{e}"
    );
    let e = parse(&with(&["[clients.services.report]", "patience = \"1s\""]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown key `patience`"), "{e}");
}

/// A service named with a dot (a valid name) is one key of `[gateway.services]`: its mistakes
/// are placed at its own table, under a path that quotes the name as TOML does.
#[test]
fn a_dotted_service_name_is_one_path_segment() {
    // Line 6 col 1 is `concurrency = 0` inside `[gateway.services."api.v2"]` (line 5).
    assert_error(
        &[
            "[[workload.phases]]",
            "duration = \"10s\"",
            "rate = 10",
            "[gateway]",
            "[gateway.services.\"api.v2\"]",
            "concurrency = 0",
            "[[backend.services]]",
            "name = \"api.v2\"",
            "workers = 1",
            "service_time = \"100ms\"",
        ],
        6,
        15,
        "gateway.services.\"api.v2\".concurrency",
        "expected an integer >= 1, got 0",
    );
}

/// An unknown key, a wrong type, an unreadable value and a syntax error in a dotted service's
/// table quote its name as the range check does: serde's path joined every key with dots, so
/// `gateway.services.api.v2.concurency` read as a key `v2` of a service `api`.
#[test]
fn a_dotted_service_name_is_quoted_in_every_kind_of_error() {
    let file = |section: &str, line: &str| {
        vec![
            "[[workload.phases]]".to_string(),
            "duration = \"10s\"".to_string(),
            "rate = 10".to_string(),
            "[gateway]".to_string(),
            format!("[{section}.services.\"api.v2\"]"),
            line.to_string(),
            "[[backend.services]]".to_string(),
            "name = \"api.v2\"".to_string(),
            "workers = 1".to_string(),
            "service_time = \"100ms\"".to_string(),
        ]
    };
    let check = |section: &str, line: &str, col: usize, path: &str, message: &str| {
        let v = file(section, line);
        let lines: Vec<&str> = v.iter().map(String::as_str).collect();
        assert_error(&lines, 6, col, path, message);
    };
    check(
        "gateway",
        "concurency = 1",
        1,
        "gateway.services.\"api.v2\".concurency",
        "unknown key `concurency`; did you mean `concurrency`?",
    );
    check(
        "gateway",
        "concurrency = \"x\"",
        15,
        "gateway.services.\"api.v2\".concurrency",
        "expected a non-negative integer, got the string \"x\"",
    );
    check(
        "clients",
        "timeout = \"5 x\"",
        11,
        "clients.services.\"api.v2\".timeout",
        "unknown unit `x`",
    );
    check(
        "gateway",
        "concurrency = @",
        15,
        "gateway.services.\"api.v2\".concurrency",
        "",
    );
}

/// Names head table columns and chart labels, sized to them: a name of 65,536 characters
/// panicked the summary (`format!` widths stop at 65,535). Names, the run's name and
/// description have a length bound, said with the start of the text rather than all of it.
#[test]
fn names_and_texts_have_a_length_bound() {
    let long = "n".repeat(70_000);
    for (line, key) in [(2, "name"), (5, "name"), (9, "name")] {
        let name_line = format!("name = \"{long}\"");
        let mut v = vec![
            "[run]",
            "name = \"ok\"",
            "[[workload.phases]]",
            "duration = \"10s\"",
            "name = \"ok\"",
            "rate = 10",
            "[[backend.services]]",
            "workers = 1",
            "name = \"ok\"",
            "service_time = \"100ms\"",
        ];
        v[line - 1] = &name_line;
        let e = parse(&v).unwrap_err().to_string();
        let path = match line {
            2 => "run.name",
            5 => "workload.phases[0].name",
            _ => "backend.services[0].name",
        };
        assert!(
            e.contains(&format!(
                "{path}: at most 128 characters, got 70000 (`nnnnnnnnnnnnnnnnnnnn...`)"
            )),
            "{key} at line {line}: {}",
            &e[..e.len().min(300)]
        );
        assert!(e.len() < 500, "the error does not repeat the whole name");
    }
    // 128 is fine.
    let ok = format!("name = \"{}\"", "n".repeat(128));
    let s = parse(&[
        "[[workload.phases]]",
        "duration = \"10s\"",
        "rate = 10",
        "[[backend.services]]",
        &ok,
        "workers = 1",
        "service_time = \"100ms\"",
    ])
    .expect("128 characters is a valid name");
    assert!(!scenario::check_summary(&s).is_empty());
}

/// Weights are relative; one past 1e9 is a typo, and two of 1e308 summed to infinity and sent
/// every request to one service.
#[test]
fn weights_are_bounded() {
    // Line 8 col 10 is the value of the second service's weight.
    assert_error(
        &[
            "[[workload.phases]]",
            "duration = \"10s\"",
            "rate = 10",
            "[[backend.services]]",
            "name = \"a\"",
            "workers = 1",
            "service_time = \"100ms\"",
            "weight = 1e308",
            "[[backend.services]]",
            "name = \"b\"",
            "workers = 1",
            "service_time = \"100ms\"",
        ],
        8,
        10,
        "backend.services[0].weight",
        "expected a weight > 0 and at most 1e9, got 1e308",
    );
}

/// Long group labels widen the service column instead of pushing the figures out of it.
#[test]
fn the_service_table_keeps_its_columns_with_long_labels() {
    let s = parse(&[
        "[[workload.phases]]",
        "duration = \"1s\"",
        "rate = 1",
        "[[backend.services]]",
        "name = \"inventory-service\"",
        "count = 3",
        "workers = 2",
        "service_time = \"10ms\"",
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
    ])
    .unwrap();
    let text = scenario::check_summary(&s);
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("service "))
        .take(3)
        .collect();
    let column = |l: &str| l.find(" apis").or_else(|| l.find("    1 ")).unwrap_or(0);
    assert_eq!(rows.len(), 3, "{text}");
    let apis: Vec<usize> = rows.iter().map(|l| column(l)).collect();
    assert!(rows[1].contains("inventory-service-1 .. inventory-service-3"), "{text}");
    assert!(
        apis.iter().all(|&c| c == apis[0] && c > 0),
        "columns at {apis:?}:\n{text}"
    );
}

/// Phases after `run.duration`, a trigger it cuts, and a window that cannot measure the baseline
/// are errors: each would make a run whose verdict quietly describes something else.
#[test]
fn a_run_that_cannot_see_its_own_phases_is_refused() {
    let phases = |run: &[&'static str]| {
        let mut v: Vec<&str> = run.to_vec();
        v.extend_from_slice(&[
            "[[workload.phases]]",
            "duration = \"20s\"",
            "rate = 10",
            "[[workload.phases]]",
            "name = \"burst\"",
            "duration = \"20s\"",
            "rate = 50",
            "trigger = true",
            "[[workload.phases]]",
            "name = \"after\"",
            "duration = \"40s\"",
            "rate = 10",
            "[[backend.services]]",
            "name = \"a\"",
            "workers = 2",
            "service_time = \"10ms\"",
        ]);
        v
    };
    assert!(parse(&phases(&[])).is_ok());
    assert!(
        parse(&phases(&["[run]", "duration = \"50s\""])).is_ok(),
        "a cut after the trigger"
    );
    // [run] duration = "30s": line 2, column 12.
    assert_error(
        &phases(&["[run]", "duration = \"30s\""]),
        2,
        12,
        "run.duration",
        "the run ends at 30s, during the trigger phase `burst` (20s-40s), so no verdict could be given",
    );
    assert_error(
        &phases(&["[run]", "duration = \"15s\""]),
        2,
        12,
        "run.duration",
        "the run ends at 15s, before the trigger phase `burst` (20s-40s), so no verdict could be given",
    );
    assert_error(
        &phases(&["[run]", "duration = \"40s\""]),
        2,
        12,
        "run.duration",
        "the run ends at 40s, before workload.phases[2] (`after`, from 40s) starts, so it would never run",
    );
    assert_error(
        &phases(&["[run]", "window = \"2m\""]),
        2,
        10,
        "run.window",
        "a window of 2m is longer than the run (80s)",
    );
    assert_error(
        &phases(&["[run]", "window = \"25s\""]),
        2,
        10,
        "run.window",
        "a window of 25s is longer than the time before the trigger (20s)",
    );
    assert!(parse(&phases(&["[run]", "window = \"20s\""])).is_ok());

    // Only what the file sets: an override that cuts the run short on purpose (`loadgen run
    // --duration 30s`) resolves, and so does a run shorter than the default window.
    let mut file = parse(&phases(&[])).unwrap().file;
    file.run.duration = Some("30s".parse().unwrap());
    assert!(scenario::resolve("t.toml", file).is_ok());
    let short = parse(&[
        "[[workload.phases]]",
        "duration = \"500ms\"",
        "rate = 10",
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
    ]);
    assert!(short.is_ok(), "{:?}", short.err());
}

#[test]
fn retries_with_nothing_to_retry_and_twice_named_phases_are_refused() {
    // on = []: line 5, column 6.
    assert_error(
        &with_extra(&["[clients.retry]", "max_attempts = 3", "on = []"]),
        6,
        6,
        "clients.retry.on",
        "no outcome is retried (on = []), so max_attempts = 3 never applies",
    );
    assert!(parse(&with_extra(&["[clients.retry]", "max_attempts = 1", "on = []"])).is_ok());
    let twice = [
        "[[workload.phases]]",
        "name = \"x\"",
        "duration = \"10s\"",
        "rate = 10",
        "[[workload.phases]]",
        "name = \"x\"",
        "duration = \"10s\"",
        "rate = 10",
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
    ];
    assert_error(
        &twice,
        6,
        8,
        "workload.phases[1].name",
        "phase `x` is already defined by workload.phases[0]",
    );
    // A blank name, or one with a line break, names nothing a report can show (the second
    // phase, on lines 4-7, after the first one's three).
    for (name, says) in [
        (
            "name = \"  \"",
            "expected a name; leave it out to call the phase `phase 2`",
        ),
        ("name = \"a\\nb\"", "expected one line without control characters"),
        // Nor another phase's default name: the first, unnamed, is `phase 1`.
        (
            "name = \"phase 1\"",
            "phase `phase 1` is also the name of workload.phases[0], which has none of its own",
        ),
    ] {
        let lines = with_extra(&["[[workload.phases]]", name, "duration = \"10s\"", "rate = 10"]);
        assert_error(&lines, 5, 8, "workload.phases[1].name", says);
    }
}

/// What a run of the file would not use or cannot pass is valid (a server started from the
/// file may serve other clients, or longer) but is said: in `scenario check` and before runs.
#[test]
fn keys_the_clients_lack_and_outages_after_the_end_are_warned_about() {
    let warnings = |extra: &[&str]| parse(&with_extra(extra)).expect("valid").warnings();
    assert!(warnings(&[]).is_empty());
    let w = warnings(&["[gateway.auth]", "keys = [\"k1\"]"]);
    assert_eq!(w.len(), 1);
    assert!(w[0].starts_with("gateway.auth: the clients present no key"), "{w:?}");
    // A key in a request header is presented, as live (review helper-173).
    for header in ["authorization = \"Bearer k1\"", "x-api-key = \"k1\""] {
        let w = warnings(&["[gateway.auth]", "keys = [\"k1\"]", "[clients.request.headers]", header]);
        assert!(w.is_empty(), "{header}: {w:?}");
    }
    let w = warnings(&[
        "[gateway.auth]",
        "keys = [\"k1\"]",
        "[clients.request.headers]",
        "x-api-key = \"k9\"",
    ]);
    assert!(w[0].contains("answers every request of a run 401"), "{w:?}");
    let w = warnings(&[
        "[gateway.auth]",
        "keys = [\"k1\"]",
        "[clients.credentials]",
        "api_key = \"k2\"",
    ]);
    assert!(
        w[0].starts_with("clients.credentials.api_key: not one of gateway.auth.keys"),
        "{w:?}"
    );
    assert!(warnings(&[
        "[gateway.auth]",
        "keys = [\"k1\"]",
        "[clients.credentials]",
        "bearer = \"k1\""
    ])
    .is_empty());
    let outage = parse(&[
        "[[workload.phases]]",
        "duration = \"10s\"",
        "rate = 10",
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
        "faults = { outages = [{ at = \"10s\", duration = \"5s\" }, { at = \"5s\", duration = \"1s\" }] }",
    ])
    .expect("valid");
    assert_eq!(
        outage.warnings(),
        vec!["backend.services[0].faults.outages[0].at: the outage starts at 10s, once arrivals have ended (10s): only the requests still in flight then (for up to 2s more: clients.timeout, retries and backoff) see it"]
    );
    assert!(scenario::check_summary(&outage).contains("note: backend.services[0].faults.outages[0].at"));
    // A run.duration past the phases is quiet time: arrivals still end with the phases, and an
    // outage after them is said (it was not, measured against run.duration).
    let quiet = parse(&[
        "[run]",
        "duration = \"25s\"",
        "[[workload.phases]]",
        "duration = \"10s\"",
        "rate = 10",
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
        "faults = { outages = [{ at = \"20s\", duration = \"3s\" }] }",
    ])
    .expect("valid");
    assert_eq!(
        quiet.warnings(),
        vec!["backend.services[0].faults.outages[0].at: the outage starts at 20s, once arrivals have ended (10s) and the 2s an intent can still be in flight after them have passed (clients.timeout, retries and backoff), so a run never sees it"]
    );
}

/// [gateway.codel] and [gateway.adaptive] under a strategy that ignores them are valid (compare
/// and sweep run one file under several strategies) but said.
#[test]
fn settings_of_another_strategy_are_warned_about() {
    let warnings = |extra: &[&str]| parse(&with_extra(extra)).expect("valid").warnings();
    let codel = ["[gateway.codel]", "target = \"50ms\""];
    let adaptive = ["[gateway.adaptive]", "max_limit = 40"];
    let w = warnings(&codel);
    assert_eq!(
        w,
        vec!["gateway.codel: applies only under strategy \"codel\" or \"adaptive-lifo\", and the strategy is \"fifo\" (runs of it ignore the table)"]
    );
    let w = warnings(&adaptive);
    assert_eq!(w.len(), 1);
    assert!(
        w[0].starts_with("gateway.adaptive: applies only under strategy \"adaptive\""),
        "{w:?}"
    );
    // Under their own strategy, nothing to say.
    let with_strategy = |strategy: &str, table: &[&str]| {
        let line = format!("strategy = \"{strategy}\"");
        let mut extra = vec!["[gateway]", line.as_str()];
        extra.extend_from_slice(table);
        parse(&with_extra(&extra)).expect("valid").warnings()
    };
    assert!(with_strategy("codel", &codel).is_empty());
    assert!(with_strategy("adaptive-lifo", &codel).is_empty());
    // The deadline strategy's prediction: said when set away from its default elsewhere.
    let w = warnings(&["[gateway]", "deadline_estimate = \"service\""]);
    assert_eq!(
        w,
        vec!["gateway.deadline_estimate: only strategy \"deadline\" predicts service times, and the strategy is \"fifo\" (runs of it ignore the setting)"]
    );
    assert!(warnings(&["[gateway]", "deadline_estimate = \"api\""]).is_empty());
    let w = with_strategy("deadline", &["deadline_estimate = \"service\""]);
    assert!(w.iter().all(|w| !w.contains("deadline_estimate")), "{w:?}");
    let bad = parse(&with_extra(&["[gateway]", "deadline_estimate = \"route\""])).expect_err("refused");
    assert!(bad.to_string().contains("gateway.deadline_estimate"), "{bad}");
    // (Its default queue bound of 1,000 holds 5 s of this service's work: that is said too.)
    let w = with_strategy("adaptive", &adaptive);
    assert!(w.iter().all(|w| !w.starts_with("gateway.adaptive")), "{w:?}");
}

/// `abandon = "cancel"` removes queued requests: under passthrough, which queues none, it is said.
#[test]
fn cancel_under_passthrough_is_warned_about() {
    let warnings = |extra: &[&str]| parse(&with_extra(extra)).expect("valid").warnings();
    assert_eq!(
        warnings(&["[gateway]", "strategy = \"passthrough\"", "abandon = \"cancel\""]),
        vec!["gateway.abandon: \"cancel\" removes a queued request whose client left, and strategy \"passthrough\" queues none (runs ignore it)"]
    );
    assert!(warnings(&["[gateway]", "strategy = \"passthrough\""]).is_empty());
    assert!(warnings(&["[gateway]", "strategy = \"fifo\"", "abandon = \"cancel\""]).is_empty());
}

/// A class's capacity bounds its queue, and passthrough queues nothing: it passed silently
/// (queue_capacity there is an error). Said as a note, as other settings of another strategy.
#[test]
fn priority_capacities_under_passthrough_are_warned_about() {
    let warnings = |extra: &[&str]| parse(&with_extra(extra)).expect("valid").warnings();
    let pass = ["[gateway]", "strategy = \"passthrough\"", "[gateway.priorities]"];
    assert_eq!(
        warnings(&[&pass[..], &["background_capacity = 5"]].concat()),
        vec!["gateway.priorities.background_capacity: bounds its class's queue, and strategy \"passthrough\" queues nothing (runs ignore it; every other strategy applies it)"]
    );
    assert_eq!(
        warnings(&[&pass[..], &["interactive_capacity = 50", "background_capacity = 5"]].concat()),
        vec!["gateway.priorities: interactive_capacity and background_capacity bound the classes' queues, and strategy \"passthrough\" queues nothing (runs ignore them; every other strategy applies them)"]
    );
    // The table without capacities (routes, results per class) is no mistake, nor fifo's.
    assert!(warnings(&[&pass[..], &["background_share = 0.2"]].concat()).is_empty());
    let fifo = [
        "[gateway]",
        "strategy = \"fifo\"",
        "[gateway.priorities]",
        "background_capacity = 5",
    ];
    assert!(warnings(&fifo).is_empty());
    // Nor does a capacity passthrough ignores make a closed loop's answers instant: 10 users of
    // no think time past 4 workers and a background capacity of 1 read as 2e9 intents (one
    // per user every microsecond), an error.
    let closed = [
        "[run]",
        "duration = \"200s\"",
        "[workload.closed]",
        "users = 10",
        "think_time = \"0s\"",
        "[gateway]",
        "strategy = \"passthrough\"",
        "[gateway.priorities]",
        "background_capacity = 1",
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 4",
        "service_time = \"10ms\"",
    ];
    let w = parse(&closed).unwrap_or_else(|e| panic!("{e}")).warnings();
    assert!(w.iter().all(|w| !w.contains("answers can come at once")), "{w:?}");
}

/// Under `bounded` and `adaptive` only the queue bound limits a wait: a bound that holds more of
/// a service's work than the clients' median timeout is said, with the bound `bounded` sizes.
#[test]
fn a_queue_bound_past_the_clients_timeout_is_warned_about() {
    // 4 workers at 40 ms drain 100 requests a second; the clients wait 1 s.
    let warnings = |gateway: &str| {
        let text = format!(
            "[[workload.phases]]\nduration = \"10s\"\nrate = 10\n[clients]\ntimeout = \"1s\"\n[gateway]\n{gateway}\n\
             [[backend.services]]\nname = \"a\"\nworkers = 4\nservice_time = \"40ms\"\n"
        );
        parse(&text.lines().collect::<Vec<_>>()).expect("valid").warnings()
    };
    let w = warnings("strategy = \"adaptive\"");
    assert_eq!(
        w,
        vec!["gateway.queue_capacity: 1000 (the default under \"adaptive\") holds about 10.0s of service `a`'s work (at 100.0 requests/s), past the clients' 1.00s median timeout: requests at the back of a full queue wait for clients that have left, and their retries keep it full after a burst (the death spiral this tool shows); about 50 (what it drains in half the timeout, as strategy \"bounded\" sizes a bound) would shed instead"]
    );
    // A concurrency past the workers drains no faster; a service's own bound is named as such.
    let w = warnings(
        "strategy = \"adaptive\"\nconcurrency = 40\nqueue_capacity = 10\n[gateway.services.a]\nqueue_capacity = 500",
    );
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].starts_with(
            "gateway.services.a.queue_capacity: 500 holds about 5.00s of service `a`'s work (at 100.0 requests/s)"
        ),
        "{w:?}"
    );
    let w = warnings("strategy = \"bounded\"\nqueue_capacity = 300");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].starts_with("gateway.queue_capacity: 300 holds about 3.00s of service `a`'s work"),
        "{w:?}"
    );
    // Within the timeout, or a strategy that drops by time, or an unbounded FIFO (its spiral is
    // the point): nothing to say.
    for quiet in [
        "strategy = \"adaptive\"\nqueue_capacity = 100",
        "strategy = \"bounded\"\nqueue_capacity = 50",
        "strategy = \"deadline\"",
        "strategy = \"codel\"",
        "strategy = \"fifo\"",
    ] {
        assert!(warnings(quiet).is_empty(), "{quiet}: {:?}", warnings(quiet));
    }
}

/// Every service whose queue bound holds past the clients' timeout is named, in one warning:
/// of death-spiral's `legacy-1` and `legacy-2` (`count = 2`, identical), only `legacy-2` was.
#[test]
fn a_queue_bound_past_the_timeout_names_every_service_it_affects() {
    let warnings = |services: &str| {
        let text = format!(
            "[[workload.phases]]\nduration = \"10s\"\nrate = 10\n[clients]\ntimeout = \"1s\"\n[gateway]\nstrategy = \"adaptive\"\n{services}"
        );
        parse(&text.lines().collect::<Vec<_>>()).expect("valid").warnings()
    };
    let twins = "[[backend.services]]\nname = \"legacy\"\ncount = 2\nworkers = 4\nservice_time = \"40ms\"\n";
    let w = warnings(twins);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].starts_with(
            "gateway.queue_capacity: 1000 (the default under \"adaptive\") holds about 10.0s of the work of each of services `legacy-1` and `legacy-2` (at 100.0 requests/s each), past the clients' 1.00s median timeout"
        ),
        "{w:?}"
    );
    // Services the bound holds less of are named after, with how much; one within the
    // timeout is not.
    let w = warnings(&format!(
        "{twins}[[backend.services]]\nname = \"b\"\nworkers = 8\nservice_time = \"40ms\"\n\
         [[backend.services]]\nname = \"c\"\nworkers = 5\nservice_time = \"40ms\"\n\
         [[backend.services]]\nname = \"quick\"\nworkers = 40\nservice_time = \"1ms\"\n"
    ));
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].ends_with("would shed instead; so do the bounds of services `b` (about 5.00s) and `c` (about 8.00s)"),
        "{w:?}"
    );
    assert!(!w[0].contains("quick"), "{w:?}");
    // A service's own bound is named by its path, a dotted name quoted as TOML writes it.
    let w = warnings(
        "[gateway.services.\"api.v2\"]\nqueue_capacity = 5000\n\
         [[backend.services]]\nname = \"api.v2\"\nworkers = 4\nservice_time = \"40ms\"\n",
    );
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].starts_with("gateway.services.\"api.v2\".queue_capacity: 5000"),
        "{w:?}"
    );
}

/// A bound on recovery needs a trigger to recover from: without one it could never be judged.
#[test]
fn a_recovery_threshold_without_a_trigger_is_refused() {
    // check = "recovery <= 10s": line 5, column 9.
    assert_error(
        &with_extra(&["[[thresholds]]", "check = \"recovery <= 10s\""]),
        5,
        9,
        "thresholds[0].check",
        "`recovery`: recovery is measured from the end of a trigger phase, and this scenario has none",
    );
    assert!(parse(&with_extra(&["[[thresholds]]", "check = \"p99 <= 10s\""])).is_ok());
}

#[test]
fn phases_that_offer_nothing_are_warned_about() {
    let s = parse(&[
        "[[workload.phases]]",
        "duration = \"1s\"",
        "rate = 0.001",
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
    ])
    .expect("valid");
    assert!(
        s.warnings()
            .iter()
            .any(|w| w.starts_with("workload.phases: the phases offer about 0.001 intents")),
        "{:?}",
        s.warnings()
    );
}

/// run.duration is missing, so it has no line: the error points at the closed loop that needs it.
#[test]
fn a_closed_loop_without_a_duration_points_at_the_closed_loop() {
    assert_error(
        &[
            "[[backend.services]]",
            "name = \"a\"",
            "workers = 2",
            "service_time = \"10ms\"",
            "[workload.closed]",
            "users = 4",
            "think_time = \"1s\"",
        ],
        5,
        1,
        "workload.closed",
        "a closed-loop workload needs run.duration (how long the users keep sending): add [run] duration = \"5m\"",
    );
}

/// A key that does not belong is named at its own position, not at `dist` or `mode`.
#[test]
fn a_key_that_does_not_belong_is_pointed_at_itself() {
    let lines = |extra: &'static str| {
        vec![
            "[[workload.phases]]",
            "duration = \"10s\"",
            "rate = 10",
            "[[backend.services]]",
            "name = \"a\"",
            "workers = 2",
            extra,
        ]
    };
    // `mean = "20ms"`: its value starts at column 76.
    assert_error(
        &lines("service_time = { dist = \"lognormal\", median = \"10ms\", p99 = \"50ms\", mean = \"20ms\" }"),
        7,
        76,
        "backend.services[0].service_time.mean",
        "`mean` does not apply to a lognormal distribution",
    );
    let e = parse(&lines(
        "service_time = { dist = \"exponential\", mean = \"10ms\", p99 = \"50ms\" }",
    ))
    .expect_err("p99 is not exponential's")
    .to_string();
    assert!(
        e.contains("`p99` does not apply to an exponential distribution (it takes mean)"),
        "{e}"
    );
    let mut v = lines("service_time = \"10ms\"");
    v.push("overload = { mode = \"reject\", backlog = 64 }");
    assert_error(
        &v,
        8,
        41,
        "backend.services[0].overload.backlog",
        "mode = \"reject\" takes no other settings",
    );
}

/// A gateway that sends a service more at once than it holds gets an instant 503 past it, and
/// pushback pauses the service for each: warned about, with the bound to set. Within what it
/// holds, with pushback off, or adaptive (whose limit falls on 503s), no warning.
#[test]
fn a_gateway_sending_more_than_a_rejecting_service_holds_is_warned_about() {
    let with = |gateway: &[&str], overload: &str| {
        let mut lines = vec!["[[workload.phases]]", "duration = \"10s\"", "rate = 10", "[gateway]"];
        lines.extend_from_slice(gateway);
        lines.extend_from_slice(&[
            "[[backend.services]]",
            "name = \"a\"",
            "workers = 4",
            "service_time = \"10ms\"",
            overload,
        ]);
        parse(&lines).expect("valid").warnings()
    };
    let reject = "overload = { mode = \"reject\" }";
    let w = with(&["concurrency = 6"], reject);
    assert!(
        w.iter().any(|w| w.starts_with(
            "gateway.concurrency: the gateway sends service `a` up to 6 requests at once, but it holds 4"
        ) && w.contains("set gateway.concurrency to at most 4")),
        "{w:?}"
    );
    let queue = with(&["concurrency = 10"], "overload = { mode = \"queue\", backlog = 4 }");
    assert!(
        queue.iter().any(|w| w.contains("but it holds 8 (workers + backlog)")),
        "{queue:?}"
    );
    for quiet in [
        with(&["concurrency = 4"], reject),
        with(&["concurrency = 6", "pushback = { enabled = false }"], reject),
        with(&["strategy = \"adaptive\"", "concurrency = 6"], reject),
        with(&["concurrency = 6"], "overload = { mode = \"queue\", backlog = 64 }"),
    ] {
        assert!(!quiet.iter().any(|w| w.starts_with("gateway.concurrency")), "{quiet:?}");
    }
}

/// Found writing docs/scenario-format.md: `bounded` refused a file whose every service had its
/// own bound; `cap >= base` was required even with no backoff, where neither is used; a hang
/// outage's `retry_after` was silently ignored.
#[test]
fn settings_that_apply_are_accepted_and_ignored_ones_are_noted() {
    fn two<'a>(gateway: &[&'a str]) -> Vec<&'a str> {
        let mut lines = vec!["[[workload.phases]]", "duration = \"10s\"", "rate = 10", "[gateway]"];
        lines.extend_from_slice(gateway);
        lines.extend_from_slice(&[
            "[[backend.services]]",
            "name = \"a\"",
            "workers = 2",
            "service_time = \"10ms\"",
            "[[backend.services]]",
            "name = \"b\"",
            "count = 2",
            "workers = 2",
            "service_time = \"10ms\"",
        ]);
        lines
    }
    // Every service bounded in its own table (b by its group): enough.
    let s = parse(&two(&[
        "strategy = \"bounded\"",
        "[gateway.services.a]",
        "queue_capacity = 5",
        "[gateway.services.b]",
        "queue_capacity = 7",
    ]))
    .expect("every service has a bound");
    let bound = |name: &str, group: &str| s.file.gateway.for_service(name, group).queue_capacity;
    assert_eq!(
        (bound("a", "a"), bound("b-1", "b"), bound("b-2", "b")),
        (Some(5), Some(7), Some(7))
    );
    // One service without a bound: still an error, which says where a bound may go.
    let d = only_diagnostic(&two(&[
        "strategy = \"bounded\"",
        "[gateway.services.a]",
        "queue_capacity = 5",
    ]));
    assert_eq!(d.path, "gateway.queue_capacity");
    assert!(
        d.to_string()
            .contains("or in [gateway.services.NAME] for every service"),
        "{d}"
    );

    let retry = |extra: &[&str]| {
        let mut lines = vec!["[clients.retry]", "max_attempts = 2"];
        lines.extend_from_slice(extra);
        with_extra(&lines).iter().map(|l| l.to_string()).collect::<Vec<_>>()
    };
    let owned = retry(&["backoff = \"none\"", "cap = \"50ms\""]);
    let lines: Vec<&str> = owned.iter().map(String::as_str).collect();
    parse(&lines).expect("no backoff: cap and base unused");
    let owned = retry(&["backoff = \"fixed\"", "cap = \"50ms\""]);
    let lines: Vec<&str> = owned.iter().map(String::as_str).collect();
    assert!(only_diagnostic(&lines).to_string().contains("expected cap >= base"));

    let outage = |kind: &str| {
        let lines = [
            "[[workload.phases]]",
            "duration = \"10s\"",
            "rate = 10",
            "[[backend.services]]",
            "name = \"a\"",
            "workers = 2",
            "service_time = \"10ms\"",
            kind,
        ];
        parse(&lines).expect("valid").warnings()
    };
    let w =
        outage("faults = { outages = [{ at = \"2s\", duration = \"1s\", kind = \"hang\", retry_after = \"1s\" }] }");
    assert!(
        w.iter()
            .any(|w| w
                .starts_with("backend.services[0].faults.outages[0].retry_after: a \"hang\" outage answers nothing")),
        "{w:?}"
    );
    let w = outage("faults = { outages = [{ at = \"2s\", duration = \"1s\", retry_after = \"1s\" }] }");
    assert!(!w.iter().any(|w| w.contains("retry_after")), "{w:?}");
}

/// An overload table without `mode` takes the mode its keys imply, instead of "missing field
/// `mode`" (an omitted `overload` is queue already); `arrival` beside a closed loop is noted.
#[test]
fn an_overload_table_without_mode_takes_the_mode_its_keys_imply() {
    let mode = |overload: &str| {
        let lines = [
            "[[workload.phases]]",
            "duration = \"10s\"",
            "rate = 10",
            "[[backend.services]]",
            "name = \"a\"",
            "workers = 2",
            "service_time = \"10ms\"",
            overload,
        ];
        parse(&lines).expect("valid").services[0].overload.clone()
    };
    use model::scenario::Overload;
    assert_eq!(mode("overload = { backlog = 100 }"), Overload::Queue { backlog: 100 });
    assert!(matches!(mode("overload = { k = 0.25 }"), Overload::Thrash { k, .. } if k == 0.25));
    assert!(matches!(
        mode("overload = { max_in_flight = 9 }"),
        Overload::Thrash {
            max_in_flight: Some(9),
            ..
        }
    ));
    assert_eq!(mode("overload = { mode = \"reject\" }"), Overload::Reject);

    let closed = |arrival: &str| {
        let lines = [
            "[workload]",
            arrival,
            "[workload.closed]",
            "users = 2",
            "think_time = \"1s\"",
            "[run]",
            "duration = \"10s\"",
            "[[backend.services]]",
            "name = \"a\"",
            "workers = 2",
            "service_time = \"10ms\"",
        ];
        parse(&lines).expect("valid").warnings()
    };
    assert!(closed("arrival = \"uniform\"")
        .iter()
        .any(|w| w.starts_with("workload.arrival: applies to open-loop phases")));
    assert!(!closed("").iter().any(|w| w.starts_with("workload.arrival")));

    let jitter = |backoff: &str| {
        let lines = with_extra(&["[clients.retry]", "max_attempts = 3", backoff, "jitter = \"full\""]);
        parse(&lines).expect("valid").warnings()
    };
    assert!(jitter("backoff = \"none\"")
        .iter()
        .any(|w| w.starts_with("clients.retry.jitter: \"full\" jitters the backoff")));
    assert!(!jitter("backoff = \"fixed\"")
        .iter()
        .any(|w| w.starts_with("clients.retry.jitter")));
}

/// `scenario check` passed an https upstream silently that `spillway gateway` then refused at
/// start-up: valid (the simulator and in-process runs never use it), but noted.
#[test]
fn an_https_upstream_is_noted() {
    let s = parse(&[
        "[[workload.phases]]",
        "duration = \"10s\"",
        "rate = 10",
        SERVICE,
        "upstream = \"https://127.0.0.1:8443\"",
    ])
    .expect("valid: only the gateway would use it");
    assert_eq!(
        s.warnings(),
        vec!["backend.services[0].upstream: `https://127.0.0.1:8443`: the reference gateway does not speak https to services yet, so `spillway gateway --scenario` refuses it (unless --upstream gives an http:// URL); runs without a gateway of their own ignore it"]
    );
}

/// Found by a walkthrough of the gateway used standalone: an upstream with credentials or a
/// query, a priority route without its leading `/` (it never matched) and a service named `..`
/// (a route no request can reach) were accepted. Each is refused where it is written.
#[test]
fn upstreams_routes_and_names_that_cannot_work_are_refused_in_place() {
    // The problem in a file of one phase (lines 1-3) and then `extra`, or `None` when valid.
    let problem = |extra: &[&str]| {
        let head = ["[[workload.phases]]", "duration = \"10s\"", "rate = 10"];
        let lines: Vec<&str> = head.iter().chain(extra).copied().collect();
        parse(&lines).err().map(|_| common::only_diagnostic(&lines).to_string())
    };
    let service = |name: &'static str| ["[[backend.services]]", name, "workers = 1", "service_time = \"1ms\""];
    for (extra, want) in [
        (
            vec![SERVICE, "upstream = \"http://user:pw@127.0.0.1:8081\""],
            "t.toml:8:12: backend.services[0].upstream: `http://user:***@127.0.0.1:8081` has credentials",
        ),
        (
            vec![SERVICE, "upstream = \"http://127.0.0.1:99999\""],
            "t.toml:8:12: backend.services[0].upstream: `http://127.0.0.1:99999`: the port must be 1..65535",
        ),
        (
            vec![
                "[gateway.priorities]",
                "routes = { \"orders\" = \"background\", \"/ok\" = \"background\" }",
                SERVICE,
            ],
            "t.toml:5:23: gateway.priorities.routes.orders: a route is a path prefix and begins with `/`: write \"/orders\"",
        ),
        (
            service("name = \"..\"").to_vec(),
            "t.toml:5:8: backend.services[0].name: `..` is a dot-segment",
        ),
    ] {
        let e = problem(&extra).unwrap_or_else(|| panic!("accepted: {extra:?}"));
        assert!(e.starts_with(want), "{e}");
    }
    // A name with dots in it is fine.
    assert_eq!(problem(&service("name = \"v1.orders\"")), None);
}

/// Several problems are listed in the file's order (they came in the order the checks ran:
/// backend, workload, gateway).
#[test]
fn several_problems_are_listed_top_to_bottom() {
    let e = parse(&[
        "[gateway]",            // 1
        "concurrency = 0",      // 2
        "[[workload.phases]]",  // 3
        "duration = \"10s\"",   // 4
        "rate = -1",            // 5
        "[[backend.services]]", // 6
        "name = \"s\"",         // 7
        "workers = 0",          // 8
        "service_time = \"10ms\"",
    ])
    .expect_err("three problems");
    let at: Vec<(usize, &str)> = e.diagnostics().iter().map(|d| (d.line, d.path.as_str())).collect();
    assert_eq!(
        at,
        [
            (2, "gateway.concurrency"),
            (5, "workload.phases[0].rate"),
            (8, "backend.services[0].workers")
        ]
    );
}

/// Nothing waits at a passthrough gateway, so a queue timeout there is refused at its key, as
/// its concurrency and queue bound are.
#[test]
fn queue_timeout_with_passthrough() {
    // Lines 4-6 after with_extra's three phase lines; `queue_timeout = ` is 16 characters.
    let lines = with_extra(&["[gateway]", "strategy = \"passthrough\"", "queue_timeout = \"1s\""]);
    assert_error(
        &lines,
        6,
        17,
        "gateway.queue_timeout",
        "strategy \"passthrough\" queues nothing, so no request waits long enough to time out: remove `queue_timeout` or pick a queueing strategy",
    );
}

/// Recovery is judged over 5 windows after the last trigger phase: a run that ends sooner
/// reads "not judged" every time, so a recovery threshold on it is an error (at the threshold)
/// and, without one, `scenario check` and runs warn.
#[test]
fn a_run_too_short_after_its_trigger_to_judge_recovery() {
    let file = |after: &str, window: &str, check: bool| {
        let mut v = vec![
            "[run]".to_string(),
            format!("window = \"{window}\""),
            "[[workload.phases]]".into(),
            "duration = \"60s\"".into(),
            "rate = 10".into(),
            "[[workload.phases]]".into(),
            "duration = \"10s\"".into(),
            "rate = 40".into(),
            "trigger = true".into(),
            "[[workload.phases]]".into(),
            format!("duration = \"{after}\""),
            "rate = 10".into(),
        ];
        if check {
            v.extend(["[[thresholds]]".into(), "check = \"recovery <= 30s\"".into()]);
        }
        v.extend(
            [
                "[[backend.services]]",
                "name = \"a\"",
                "workers = 2",
                "service_time = \"10ms\"",
            ]
            .map(String::from),
        );
        v
    };
    fn refs(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    let ok = |after: &str, window: &str, check: bool| parse(&refs(&file(after, window, check)));
    // 4 windows of 1s after the trigger: one short.
    assert_error(
        &refs(&file("4s", "1s", true)),
        14,
        9,
        "thresholds[0].check",
        "`recovery <= 30s` could never be judged: the run ends 4s after its last trigger phase ends (at 70s), and judging recovery takes 5 windows of 1s (5s) with load after it",
    );
    // Enough 1s windows, but 2s windows need 10s.
    assert!(ok("5s", "1s", true).is_ok());
    assert!(ok("5s", "2s", true).is_err());
    // Without a recovery threshold: valid, with a warning.
    let s = ok("5s", "2s", false).expect("valid");
    let w = s.warnings();
    assert!(
        w.iter()
            .any(|w| w.starts_with("workload.phases: no verdict: the run ends 5s after")),
        "{w:?}"
    );
    assert!(ok("10s", "2s", false).expect("valid").warnings().is_empty());
}

/// Quiet time after the phases (a run.duration longer than them) judges no recovery: the
/// verdict reads only windows that offered something, so a 10 s trigger at the end of the
/// phases with 30 s of quiet after it can never be judged (it read "recovered in 0s").
#[test]
fn quiet_time_after_the_phases_judges_no_recovery() {
    let lines = [
        "[run]",
        "duration = \"50s\"",
        "[[workload.phases]]",
        "duration = \"10s\"",
        "rate = 50",
        "[[workload.phases]]",
        "duration = \"10s\"",
        "rate = 500",
        "trigger = true",
        "[[thresholds]]",
        "check = \"recovery < 30s\"",
        "[[backend.services]]",
        "name = \"o\"",
        "workers = 4",
        "service_time = \"20ms\"",
    ];
    assert_error(
        &lines,
        11,
        9,
        "thresholds[0].check",
        "`recovery < 30s` could never be judged: the load ends 0s after its last trigger phase ends (at 20s)",
    );
    // Load that ends before the trigger does (a trigger of silence at the end) is said as such.
    let silent: Vec<&str> = lines[2..]
        .iter()
        .map(|l| if *l == "rate = 500" { "rate = 0" } else { l })
        .collect();
    assert_error(
        &silent,
        9,
        9,
        "thresholds[0].check",
        "`recovery < 30s` could never be judged: the load ends at 10s, before its last trigger phase ends (at 20s)",
    );
}

/// A run.duration that ends before or during the trigger is one error, of run.duration: a
/// recovery bound was also said to be unjudgeable, "0s after its last trigger phase ends"
/// (a negative gap, saturated), with advice about run.window that could not help.
#[test]
fn a_run_ending_inside_its_trigger_is_one_error() {
    for (end, during) in [("30s", "before"), ("50s", "during")] {
        let duration = format!("duration = \"{end}\"");
        let lines = [
            "[run]",
            &duration,
            "[[workload.phases]]",
            "duration = \"40s\"",
            "rate = 50",
            "[[workload.phases]]",
            "name = \"burst\"",
            "duration = \"15s\"",
            "rate = 500",
            "trigger = true",
            "[[workload.phases]]",
            "duration = \"60s\"",
            "rate = 50",
            "[[thresholds]]",
            "check = \"recovery <= 30s\"",
            "[[backend.services]]",
            "name = \"o\"",
            "workers = 4",
            "service_time = \"20ms\"",
        ];
        assert_error(
            &lines,
            2,
            12,
            "run.duration",
            &format!("the run ends at {end}, {during} the trigger phase `burst` (40s-55s)"),
        );
    }
}

/// A trigger with no whole window before it leaves no baseline: every run would read
/// "not judged: no traffic before the trigger", so `check` says so (it said nothing).
#[test]
fn a_trigger_before_one_whole_window_is_warned_about() {
    let file = |first: &str| {
        let mut v = vec!["[[workload.phases]]".to_string()];
        if !first.is_empty() {
            v.extend([
                format!("duration = \"{first}\""),
                "rate = 10".into(),
                "[[workload.phases]]".into(),
            ]);
        }
        v.extend(
            [
                "duration = \"10s\"",
                "rate = 40",
                "trigger = true",
                "[[workload.phases]]",
                "duration = \"20s\"",
                "rate = 10",
                "[[backend.services]]",
                "name = \"a\"",
                "workers = 2",
                "service_time = \"10ms\"",
            ]
            .map(String::from),
        );
        v
    };
    let warned = |first: &str| {
        let lines = file(first);
        let s = parse(&lines.iter().map(String::as_str).collect::<Vec<_>>()).expect("valid");
        let said = s
            .warnings()
            .iter()
            .filter(|w| w.contains("before one whole window (1s) has measured a baseline"))
            .count();
        assert!(said <= 1, "said once: {:?}", s.warnings());
        said == 1
    };
    assert!(warned(""), "a trigger first");
    assert!(warned("500ms"));
    assert!(!warned("1s"));

    // With a bound on recovery, which no run could then judge, it is an error (it was a note,
    // and every run failed the bound as "not judged", exit 3 where bad input is exit 2).
    let mut lines = file("");
    lines.extend(["[[thresholds]]", "check = \"recovery <= 30s\""].map(String::from));
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    assert_error(
        &lines,
        lines.len(),
        9,
        "thresholds[0].check",
        "`recovery <= 30s` could never be judged: the trigger phase `phase 1` starts at 0s, before one whole window (1s) has measured a baseline",
    );
}

/// Under `adaptive`, the limit never passes `max_limit` (64 by default): with 100 workers the
/// summary said capacity 5000/s and 80% utilisation where the gateway carries 3200/s.
#[test]
fn an_adaptive_max_limit_below_the_workers_caps_capacity() {
    let lines = [
        "[[workload.phases]]",
        "duration = \"10s\"",
        "rate = 4000",
        "[gateway]",
        "strategy = \"adaptive\"",
        "[[backend.services]]",
        "name = \"o\"",
        "workers = 100",
        "service_time = \"20ms\"",
    ];
    let s = parse(&lines).expect("valid");
    let text = scenario::check_summary(&s);
    assert!(
        text.contains("the gateway's adaptive max_limit is below the workers of o (64 of 100: 3200.0/s)"),
        "{text}"
    );
    // 4000/s x 20 ms over 64 slots, not 100.
    let u = scenario::utilisation_at(&s, 4000.0)[0];
    assert!((u - 1.25).abs() < 1e-9, "{u}");
}

/// The summary shows the gateway's rate limit, auth and priorities (it showed only the
/// strategy), and notes a rate limit below the offered load: its 429s are not the backend's.
/// Two notes were printed by `scenario check` alone, though the format says notes are also
/// logged before a run: they are [`Scenario::warnings`] now, which runs log.
#[test]
fn the_rate_limit_and_overload_notes_are_warnings_runs_log() {
    let file = |rate: &str, trigger: bool, limit: bool| {
        let mut v = vec![
            "[[workload.phases]]".to_string(),
            "duration = \"10s\"".to_string(),
            "rate = 50".to_string(),
            "[[workload.phases]]".to_string(),
            "duration = \"10s\"".to_string(),
            format!("rate = {rate}"),
            format!("trigger = {trigger}"),
            "[[workload.phases]]".to_string(),
            "duration = \"10s\"".to_string(),
            "rate = 50".to_string(),
        ];
        if limit {
            v.extend(["[gateway.rate_limit]".to_string(), "rate = 10".to_string()]);
        }
        v.extend(
            [
                "[[backend.services]]",
                "name = \"o\"",
                "workers = 4",
                "service_time = \"20ms\"",
            ]
            .map(String::from),
        );
        v
    };
    let warnings = |lines: &[String]| {
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        parse(&lines).expect("valid").warnings()
    };
    let limited = "the gateway's rate limit (10/s) is below the peak offered rate (500/s): past it the gateway answers 429 (counted as rate_limited, not as the backend's failures)";
    let over = "a phase not marked as trigger offers more than the backend's capacity (250%): the verdict will be `overloaded`, not metastable, unless the gateway absorbs the excess (a queue that drains within the clients' timeouts, or load it sheds that clients retry later); mark the overload `trigger = true` to judge recovery from it";
    let w = warnings(&file("500", false, true));
    assert!(w.iter().any(|w| w == limited), "{w:?}");
    assert!(w.iter().any(|w| w == over), "{w:?}");
    // An overload marked as the trigger, and a rate limit above the peak: neither.
    let w = warnings(&file("500", true, false));
    assert!(
        !w.iter()
            .any(|w| w.contains("rate limit") || w.contains("not marked as trigger")),
        "{w:?}"
    );
    let w = warnings(&file("5", false, true));
    assert!(
        w.iter()
            .any(|w| w.starts_with("the gateway's rate limit (10/s) is below the peak offered rate (50/s)")),
        "{w:?}"
    );
    assert!(!w.iter().any(|w| w.contains("not marked as trigger")), "{w:?}");
    // A file for `loadgen run --target` whose services leave out their figures: no capacity
    // is said of the placeholders.
    let target: Vec<String> = file("5000", false, false)
        .into_iter()
        .filter(|l| !l.starts_with("workers") && !l.starts_with("service_time"))
        .collect();
    let read = scenario::parse_for_loadgen("t.toml", &(target.join("\n") + "\n"), true).expect("a file for a target");
    let w = read.scenario.warnings_with(&read.placeholders);
    assert!(!w.iter().any(|w| w.contains("not marked as trigger")), "{w:?}");
}

#[test]
fn the_summary_shows_the_gateways_front_door() {
    let lines = [
        "[[workload.phases]]",
        "duration = \"10s\"",
        "rate = 50",
        "[gateway.rate_limit]",
        "rate = 10",
        "[[backend.services]]",
        "name = \"o\"",
        "workers = 4",
        "service_time = \"20ms\"",
    ];
    let text = scenario::check_summary(&parse(&lines).expect("valid"));
    assert!(
        text.contains("gateway also: rate limit 10/s per client (burst 1), 429 past it"),
        "{text}"
    );
    assert!(
        text.contains("note: the gateway's rate limit (10/s) is below the peak offered rate (50/s)"),
        "{text}"
    );
    let plain = scenario::check_summary(
        &parse(&lines[..3].iter().chain(&lines[5..]).copied().collect::<Vec<_>>()).expect("valid"),
    );
    assert!(
        !plain.contains("gateway also") && !plain.contains("rate limit"),
        "{plain}"
    );
}

/// The run's name and description go to terminals, the page and junit.xml: control characters
/// are refused (a description keeps its line breaks and tabs).
#[test]
fn control_characters_in_the_run_name_and_description() {
    let file = |key: &str, value: &str| {
        vec![
            "[run]".to_string(),
            format!("{key} = \"{value}\""),
            "[[workload.phases]]".into(),
            "duration = \"10s\"".into(),
            "rate = 10".into(),
            "[[backend.services]]".into(),
            "name = \"a\"".into(),
            "workers = 2".into(),
            "service_time = \"10ms\"".into(),
        ]
    };
    let check = |key: &str, value: &str| {
        let v = file(key, value);
        parse(&v.iter().map(String::as_str).collect::<Vec<_>>()).map(|_| ())
    };
    let e = check("name", "a\\u0002b").unwrap_err().to_string();
    assert!(
        e.contains("t.toml:2:8: run.name: expected one line without control characters"),
        "{e}"
    );
    assert!(check("name", "a\\nb").is_err());
    let e = check("description", "a\\u001bb").unwrap_err().to_string();
    assert!(
        e.contains("run.description: expected text without control characters"),
        "{e}"
    );
    assert!(check("description", "two\\nlines\\tand a tab").is_ok());
    assert!(check("name", "plain name").is_ok());
    // A blank name labelled reports and results with nothing (`scenario  (m8.toml)`).
    for blank in ["", "  "] {
        let e = check("name", blank).unwrap_err().to_string();
        assert!(e.contains("run.name: expected a name; leave run.name out"), "{e}");
    }
}

/// `api_weight` gives a service's APIs their shares of its intents (an API not listed weighs
/// 1): drawn in those shares, and the service's mean service time (its capacity) weighs them.
#[test]
fn api_weights_share_a_service_s_intents() {
    let s = parse(&with_service(&[
        "[[backend.services]]",
        "name = \"a\"",
        "apis = [\"fast\", \"slow\", \"rare\"]",
        "workers = 2",
        "service_time = \"10ms\"",
        "api_service_time = { slow = \"100ms\" }",
        "api_weight = { slow = 3, rare = 0.5 }",
        "[[backend.services]]",
        "name = \"b\"",
        "apis = 2",
        "workers = 1",
        "service_time = \"10ms\"",
    ]))
    .expect("valid");
    let a = &s.services[0];
    assert_eq!(a.api_weight, vec![1.0, 3.0, 0.5]);
    assert!(s.services[1].api_weight.is_empty());
    // (1 x 10 + 3 x 100 + 0.5 x 10) / 4.5 ms.
    let mean = (10.0 + 300.0 + 5.0) / 4.5 / 1000.0;
    assert!(
        (a.mean_service_time() - mean).abs() < 1e-12,
        "{}",
        a.mean_service_time()
    );
    assert!((s.service_mean_time(0) - mean).abs() < 1e-12);
    // Drawn in those shares: 60,000 intents, half to each service (equal weights). Each API's
    // share of service a is within 4 binomial standard errors of its weight's.
    let mix = model::workload::MixSampler::new(&s);
    let mut rng = model::rng::Streams::new(1).stream("mix");
    let mut counts = [[0u32; 3]; 2];
    for _ in 0..60_000 {
        let (service, api, _) = mix.sample(&mut rng);
        counts[service][api] += 1;
    }
    let n: u32 = counts[0].iter().sum();
    for (k, w) in [1.0, 3.0, 0.5].iter().enumerate() {
        let p = w / 4.5;
        let share = f64::from(counts[0][k]) / f64::from(n);
        let se = (p * (1.0 - p) / f64::from(n)).sqrt();
        assert!((share - p).abs() < 4.0 * se, "API {k}: {share} vs {p} (se {se})");
    }
    // Service b's APIs, unweighted, stay even.
    assert_eq!(counts[1][2], 0);
    let nb = f64::from(counts[1][0] + counts[1][1]);
    let se = (0.25 / nb).sqrt();
    assert!((f64::from(counts[1][0]) / nb - 0.5).abs() < 4.0 * se, "{:?}", counts[1]);
}

#[test]
fn api_weight_of_an_unknown_api_or_no_weight() {
    let lines = with_service(&[
        "[[backend.services]]",    // 4
        "name = \"a\"",            // 5
        "apis = 3",                // 6
        "workers = 2",             // 7
        "service_time = \"10ms\"", // 8
        // `api_weight = { ` 1-15, `api-9 = ` 16-23, the value at 24.
        "api_weight = { api-9 = 2 }", // 9
    ]);
    assert_error(
        &lines,
        9,
        24,
        "backend.services[0].api_weight.api-9",
        "unknown API `api-9`: service `a` has APIs api-1, api-2, api-3",
    );
    let lines = with_service(&[
        "[[backend.services]]",
        "name = \"a\"",
        "apis = 3",
        "workers = 2",
        "service_time = \"10ms\"",
        "api_weight = { api-2 = 0 }", // 9
    ]);
    assert_error(
        &lines,
        9,
        24,
        "backend.services[0].api_weight.api-2",
        "expected a weight > 0",
    );
}

/// `scenario check` gives each class's queue bound as the gateway runs it: unset, a class
/// takes the strategy's bound (the default one too), not "unbounded".
#[test]
fn check_gives_the_class_queue_bounds_that_apply() {
    let line = |strategy: &str, bound: &str| {
        let s = parse(&[
            "[[workload.phases]]",
            "duration = \"10s\"",
            "rate = 50",
            "[[workload.mix]]",
            "service = \"orders\"",
            "priority = \"background\"",
            "[gateway]",
            strategy,
            bound,
            "[gateway.priorities]",
            "interactive_capacity = 7",
            "[[backend.services]]",
            "name = \"orders\"",
            "workers = 1",
            "service_time = \"10ms\"",
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        let check = model::scenario::check_summary(&s);
        check
            .lines()
            .find_map(|l| l.split_once("priorities: ").map(|(_, p)| p.to_string()))
            .unwrap_or_else(|| panic!("a priorities line:\n{check}"))
    };
    assert!(
        line("strategy = \"bounded\"", "queue_capacity = 5").starts_with("interactive queue 7, background queue 5,")
    );
    assert!(line("strategy = \"deadline\"", "").starts_with("interactive queue 7, background queue 1000,"));
    assert!(line("strategy = \"fifo\"", "").starts_with("interactive queue 7, background queue unbounded,"));
}

/// One mistake, one error: `count = 0` is not also a name clash with itself, and a zero stall
/// period is not also a stall too long for it.
#[test]
fn a_zero_count_or_stall_period_is_said_once() {
    let with = |lines: &[&str]| {
        let mut all = with_service(&[
            "[[backend.services]]",
            "name = \"a\"",
            "workers = 1",
            "service_time = \"10ms\"",
        ]);
        all.extend(lines);
        match parse(&all) {
            Err(model::scenario::ScenarioError::Invalid(d)) => d.iter().map(|d| d.path.clone()).collect::<Vec<_>>(),
            other => panic!("{:?}", other.map(|_| ())),
        }
    };
    assert_eq!(with(&["count = 0"]), ["backend.services[0].count"]);
    assert_eq!(
        with(&["faults = { stalls = { every = \"0s\", duration = \"0s\" } }"]),
        [
            "backend.services[0].faults.stalls.every",
            "backend.services[0].faults.stalls.duration"
        ]
    );
    // A stall as long as its period is still refused.
    assert_eq!(
        with(&["faults = { stalls = { every = \"1s\", duration = \"1s\" } }"]),
        ["backend.services[0].faults.stalls.duration"]
    );
}

/// `scenario check`'s summary lists no class queues under passthrough, which has none: it said
/// "background queue 5" beside the note that passthrough ignores that bound.
#[test]
fn the_summary_lists_no_class_queues_under_passthrough() {
    let summary = |strategy: &str| {
        let s = parse(&with_extra(&[
            "[gateway]",
            &format!("strategy = \"{strategy}\""),
            "[gateway.priorities]",
            "background_capacity = 5",
        ]))
        .expect("valid");
        model::scenario::check_summary(&s)
    };
    let pass = summary("passthrough");
    assert!(
        pass.contains("priorities: classes for results only (passthrough queues nothing)"),
        "{pass}"
    );
    assert!(!pass.contains("background queue"), "{pass}");
    assert!(summary("fifo").contains("background queue 5"));
}

/// `scenario check` gives every service's utilisation at each phase's peak rate: the phase
/// table names only the busiest and those over capacity, and with ten services a team could not
/// see which others were near it. Past 20 services, the 20 busiest.
#[test]
fn the_check_gives_each_services_utilisation_by_phase() {
    let file = |services: &str| {
        format!(
            "[[workload.phases]]\nname = \"normal\"\nduration = \"10s\"\nrate = 100\n\
             [[workload.phases]]\nname = \"burst\"\nduration = \"5s\"\nrate = 300\ntrigger = true\n\
             [clients]\ntimeout = \"1s\"\n{services}"
        )
    };
    let two = model::scenario::parse(
        "t.toml",
        &file(
            "[[backend.services]]\nname = \"a\"\nworkers = 4\nservice_time = \"20ms\"\n\
         [[backend.services]]\nname = \"b\"\nworkers = 2\nservice_time = \"30ms\"\n",
        ),
    )
    .expect("valid");
    let check = model::scenario::check_summary(&two);
    // 50/s each: a at 50 x 20 ms / 4 = 25%, b at 50 x 30 ms / 2 = 75%; x3 in the burst.
    assert!(
        check.contains("  utilisation by service at each phase's peak rate:\n"),
        "{check}"
    );
    assert!(check.contains("    service  normal   burst\n"), "{check}");
    assert!(check.contains("    a           25%     75%\n"), "{check}");
    assert!(check.contains("    b           75%    225%\n"), "{check}");
    let many = model::scenario::parse(
        "t.toml",
        &file("[[backend.services]]\nname = \"s\"\ncount = 25\nworkers = 4\nservice_time = \"20ms\"\n"),
    )
    .expect("valid");
    let check = model::scenario::check_summary(&many);
    assert!(check.contains("peak rate, the 20 busiest of 25:"), "{check}");
    let one = model::scenario::parse(
        "t.toml",
        &file("[[backend.services]]\nname = \"a\"\nworkers = 4\nservice_time = \"20ms\"\n"),
    )
    .expect("valid");
    assert!(!model::scenario::check_summary(&one).contains("utilisation by service"));
    // An absurd burst widens its column, not the row (`b    75%  22500000%` broke the table).
    let absurd = model::scenario::parse(
        "t.toml",
        &file(
            "[[backend.services]]\nname = \"a\"\nworkers = 4\nservice_time = \"20ms\"\n\
         [[backend.services]]\nname = \"b\"\nworkers = 2\nservice_time = \"30ms\"\n",
        )
        .replace("rate = 300", "rate = 3e7"),
    )
    .expect("valid");
    let check = model::scenario::check_summary(&absurd);
    assert!(check.contains("    service  normal      burst\n"), "{check}");
    assert!(check.contains("    a           25%   7500000%\n"), "{check}");
    assert!(check.contains("    b           75%  22500000%\n"), "{check}");
}

/// Without run.name a scenario is named by its file's stem, which results carry: a stem with a
/// control character (`tab\tname.toml`) made results `spillway report` refuses. Refused at the
/// source, saying how to fix it; with run.name set the file's name does not matter.
#[test]
fn a_file_name_with_a_control_character_names_no_scenario() {
    let text = "[[workload.phases]]\nduration = \"3s\"\nrate = 5\n[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n";
    let e = scenario::parse("dir/tab\tname.toml", text)
        .expect_err("refused")
        .to_string();
    assert!(
        e.contains(":1:1: run.name: absent, so the scenario is named by its file's name, \"tab\\tname\", which holds a control character ('\\t'): rename the file, or set [run] name"),
        "{e}"
    );
    let named = format!("[run]\nname = \"tabbed\"\n{text}");
    let s = scenario::parse("dir/tab\tname.toml", &named).expect("run.name set");
    assert_eq!(s.name(), "tabbed");
    // A plain file name still names it.
    assert_eq!(scenario::parse("dir/plain.toml", text).expect("valid").name(), "plain");
}

/// The timeout note judges by the share of service times longer than the timeout, not by the
/// mean: a right-skewed service (lognormal, median 50ms, p99 2s: mean 176ms) against a 150ms
/// timeout loses about a quarter of its attempts, not most (the simulator's goodput is about
/// 76%), and the note says that share and reads its durations as the rest of the check does,
/// never `175780.873us`; a constant 1s service against 500ms still reads as the lost cause it is,
/// and a random timeout is integrated over its distribution.
#[test]
fn the_timeout_note_states_the_share_of_service_times_longer_than_the_timeout() {
    let warnings = |timeout: &str, service_time: &str| {
        parse(&[
            "[[workload.phases]]",
            "duration = \"60s\"",
            "rate = 5",
            "[clients]",
            &format!("timeout = {timeout}"),
            "[[backend.services]]",
            "name = \"a\"",
            "workers = 50",
            &format!("service_time = {service_time}"),
        ])
        .expect("valid")
        .warnings()
    };
    let skewed = r#"{ dist = "lognormal", median = "50ms", p99 = "2s" }"#;
    let w = warnings("\"150ms\"", skewed);
    let note: Vec<&String> = w.iter().filter(|w| w.starts_with("clients.timeout")).collect();
    assert_eq!(note.len(), 1, "{w:?}");
    assert!(note[0].contains("(150ms)") && note[0].contains("a (24%)"), "{w:?}");
    assert!(!note[0].contains("most") && !note[0].contains("near zero"), "{w:?}");
    assert!(!w.iter().any(|w| w.contains("us ") || w.contains("us)")), "{w:?}");
    // Patient enough for nearly all of it: no note.
    assert!(!warnings("\"2s\"", skewed)
        .iter()
        .any(|w| w.starts_with("clients.timeout")));
    // The real case.
    let w = warnings("\"500ms\"", "\"1s\"");
    assert!(
        w.iter().any(|w| w
            == "clients.timeout (500ms) is shorter than the service time of this share of the attempts to a (100%): nearly every attempt times out even with no queue, so goodput stays near zero whatever the gateway does"),
        "{w:?}"
    );
    // Most, not all: a uniform 0-1s service against 300ms loses 70%.
    let w = warnings("\"300ms\"", r#"{ dist = "uniform", min = "0s", max = "1s" }"#);
    assert!(
        w.iter().any(|w| w.starts_with("clients.timeout (300ms)")
            && w.contains("a (70%): most attempts time out even with no queue, whatever the gateway does")),
        "{w:?}"
    );
    // A random timeout (exponential, mean 1s: median 693.1ms) against a constant 1s service:
    // P(timeout < 1s) = 1 - e^-1, 63%.
    let w = warnings(r#"{ dist = "exponential", mean = "1s" }"#, "\"1s\"");
    assert!(
        w.iter()
            .any(|w| w.starts_with("clients.timeout (median 693.1ms)") && w.contains("a (63%): most attempts")),
        "{w:?}"
    );
}

/// A client timeout shorter than a service's service times is noted by the field that sets it, naming the services it reaches; a service whose own timeout is long
/// enough is not named, and a tiny rate limit reads in scientific notation, not 300 digits.
#[test]
fn a_timeout_shorter_than_the_work_and_a_tiny_rate_limit_are_noted_readably() {
    let w = parse(&[
        "[[workload.phases]]",
        "duration = \"10s\"",
        "rate = 5",
        "[clients]",
        "timeout = \"1ms\"",
        "[clients.services.b]",
        "timeout = \"5s\"",
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 2",
        "service_time = \"20ms\"",
        "[[backend.services]]",
        "name = \"b\"",
        "workers = 2",
        "service_time = \"20ms\"",
        "[gateway.rate_limit]",
        "rate = 1e-300",
    ])
    .expect("valid")
    .warnings();
    assert!(
        w.iter().any(|w| w
            == "clients.timeout (1ms) is shorter than the service time of this share of the attempts to a (100%): nearly every attempt times out even with no queue, so goodput stays near zero whatever the gateway does"),
        "{w:?}"
    );
    assert!(!w.iter().any(|w| w.contains("clients.services")), "{w:?}");
    assert!(
        w.iter()
            .any(|w| w.starts_with("the gateway's rate limit (1e-300/s) is below the peak offered rate (5/s)")),
        "{w:?}"
    );
}

/// The same `[[thresholds]]` twice (however written) was accepted and judged twice: refused at
/// the second, naming where the first is.
#[test]
fn a_threshold_given_twice_is_refused_naming_both() {
    for (first, second) in [("p99 < 2s", "p99 < 2s"), ("p99 < 2s", "p99 < 2000ms")] {
        let (a, b) = (format!("check = \"{first}\""), format!("check = \"{second}\""));
        let mut lines = with_service(&[
            "[[backend.services]]",
            "name = \"a\"",
            "workers = 2",
            "service_time = \"10ms\"",
        ]);
        lines.push("[[thresholds]]"); // 8
        lines.push(&a); // 9
        lines.push("[[thresholds]]"); // 10
        lines.push(&b); // 11
        let d = only_diagnostic(&lines);
        assert_eq!((d.path.as_str(), d.file.as_str()), ("thresholds[1]", "t.toml"), "{d}");
        assert!((10..=11).contains(&d.line), "{d}");
        assert!(
            d.message
                .starts_with(&format!("`{second}`: the same check as thresholds[0] (`{first}`)")),
            "{d}"
        );
        assert!(
            d.message.contains("(thresholds[0] is at t.toml:8:")
                || d.message.contains("(thresholds[0] is at t.toml:9:"),
            "{d}"
        );
    }
    // Different checks of one metric stand.
    let mut lines = with_service(&[
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
    ]);
    lines.extend([
        "[[thresholds]]",
        "check = \"p99 < 2s\"",
        "[[thresholds]]",
        "check = \"p99 < 3s\"",
    ]);
    assert!(parse(&lines).is_ok());
}

/// A CoDel interval shorter than the gap between requests leaving a service's queue (workers /
/// mean service time) makes every request the first of its interval, which CoDel never drops:
/// it dropped nothing, and nothing said so.
#[test]
fn a_codel_interval_shorter_than_the_dequeue_gap_is_noted() {
    let notes = |strategy: &str, interval: &str| {
        let (strategy, interval) = (
            format!("strategy = \"{strategy}\""),
            format!("interval = \"{interval}\""),
        );
        let lines = [
            "[[workload.phases]]",
            "duration = \"10s\"",
            "rate = 1",
            "[gateway]",
            strategy.as_str(),
            "[gateway.codel]",
            interval.as_str(),
            "[[backend.services]]",
            "name = \"slow\"",
            "workers = 2",
            "service_time = \"500ms\"",
        ];
        parse(&lines)
            .expect("valid")
            .warnings()
            .into_iter()
            .filter(|w| w.starts_with("gateway.codel.interval"))
            .collect::<Vec<String>>()
    };
    let w = notes("codel", "100ms");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].starts_with(
            "gateway.codel.interval: 100ms, shorter than the gap between requests leaving service `slow`'s queue under load, about 250.0ms (2 at a time at a mean service time of 500.0ms)"
        ),
        "{w:?}"
    );
    assert!(
        w[0].contains("CoDel drops nothing") && w[0].ends_with("(e.g. \"1s\")"),
        "{w:?}"
    );
    let w = notes("adaptive-lifo", "100ms");
    assert!(w[0].contains("adaptive LIFO still serves newest first"), "{w:?}");
    // An interval of several gaps, or a strategy without CoDel, says nothing.
    assert!(notes("codel", "1s").is_empty());
    assert!(notes("fifo", "100ms")
        .iter()
        .all(|w| !w.contains("shorter than the gap")));
}

/// Uniform arrivals are due each time the cumulative rate reaches a whole intent, the first at
/// 0s: a phase offering half an intent got one, at its start, and nothing said so; a run
/// offering half an intent in all was said to "likely send nothing", and sent one.
#[test]
fn uniform_arrivals_at_a_fraction_of_an_intent_are_noted() {
    use model::rng::Streams;
    use model::workload::Schedule;
    let lines = |arrival: &str, first_rate: &str, second: bool| {
        let mut v = vec![
            "[workload]".to_string(),
            format!("arrival = \"{arrival}\""),
            "[[workload.phases]]".into(),
            "name = \"trickle\"".into(),
            "duration = \"10s\"".into(),
            format!("rate = {first_rate}"),
        ];
        if second {
            v.extend([
                "[[workload.phases]]".into(),
                "duration = \"10s\"".into(),
                "rate = 10".into(),
            ]);
        }
        v.extend([
            "[[backend.services]]".into(),
            "name = \"a\"".into(),
            "workers = 2".into(),
            "service_time = \"10ms\"".into(),
        ]);
        v
    };
    let scenario = |v: Vec<String>| parse(&v.iter().map(String::as_str).collect::<Vec<_>>()).expect("valid");
    let s = scenario(lines("uniform", "0.05", true));
    // What the note says is what the schedule does: one intent in the trickle, at 0s.
    let first: Vec<_> = Schedule::new(&s, &Streams::new(1))
        .filter(|a| a.at < model::time::Time::from_secs_f64(10.0))
        .collect();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].at, model::time::Time::ZERO);
    let w = s.warnings();
    let note: Vec<&String> = w.iter().filter(|w| w.starts_with("workload.phases[0]")).collect();
    assert_eq!(note.len(), 1, "{w:?}");
    assert!(
        note[0].starts_with("workload.phases[0] (`trickle`): offers about 0.500 intents")
            && note[0].contains("this phase gets 1, at its start, not a fraction"),
        "{w:?}"
    );
    // Poisson draws how many: nothing to note.
    let w = scenario(lines("poisson", "0.05", true)).warnings();
    assert!(w.iter().all(|w| !w.starts_with("workload.phases[0]")), "{w:?}");
    // A whole run of half an intent sends one under uniform, not "likely nothing".
    let s = scenario(lines("uniform", "0.05", false));
    assert_eq!(Schedule::new(&s, &Streams::new(1)).count(), 1);
    let w = s.warnings();
    assert!(
        w.iter()
            .any(|w| w.contains("a run sends exactly one intent, at its start")),
        "{w:?}"
    );
    assert!(w.iter().all(|w| !w.contains("likely sends nothing")), "{w:?}");
}
