//! Hostile edits of the shipped scenarios: nothing panics, every mistake is reported where it is.
//!
//! Each shipped scenario is edited a few hundred ways (a seeded ChaCha8 stream picks the line and
//! the edit: a value replaced by an extreme or a wrong type, a line deleted, duplicated or cut,
//! an unknown key added) and loaded as a user's file would be, then time-scaled and given each
//! strategy as `--time-scale` and `--strategy` do. Every outcome is allowed but a panic: a file
//! that loads is valid, one that does not names a line of the file (or the whole file), and its
//! messages are not empty.

use model::scenario::{self, Strategy};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// Values a user (or a typo) could put after `key =`.
const VALUES: &[&str] = &[
    "0",
    "-1",
    "1e308",
    "-1e308",
    "nan",
    "inf",
    "-inf",
    "9223372036854775807",
    "18446744073709551615",
    "99999999999999999999999",
    "0.0000001",
    "\"\"",
    "\"0s\"",
    "\"-1s\"",
    "\"1e30s\"",
    "\"99999999999h\"",
    "\"18446744073709551615s\"",
    "\"1 s\"",
    "\"1ms1s\"",
    "\"nan s\"",
    "\"fifo\"",
    "\"no-such-thing\"",
    "true",
    "[]",
    "[[]]",
    "[1, \"a\"]",
    "{}",
    "{ dist = \"exponential\", mean = \"0s\" }",
    "{ dist = \"lognormal\", median = \"1s\", sigma = -1 }",
    "{ dist = \"pareto\", scale = \"1ms\", shape = 0 }",
    "{ dist = \"bimodal\", p = 2, fast = \"1ms\", slow = \"1s\" }",
    "{ dist = \"nope\" }",
    "\"ü\u{200b}\"",
    "1979-05-27T07:32:00Z",
];

/// Lines inserted at a random place.
const LINES: &[&str] = &[
    "unknown_key = 1",
    "[unknown_table]",
    "[[backend.services]]",
    "[[workload.phases]]",
    "[gateway]",
    "[run]",
    "count = 1000000000",
    "apis = 4294967295",
    "workers = 4294967295",
    "rate = 1e12",
    "duration = \"9999999999h\"",
    "window = \"1ns\"",
    "= 1",
    "[",
];

/// One edit of `text`, chosen by `rng`.
fn mutate(text: &str, rng: &mut ChaCha8Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let assignments: Vec<usize> = (0..lines.len())
        .filter(|&i| {
            let l = lines[i].trim_start();
            !l.starts_with('#') && l.contains('=')
        })
        .collect();
    match rng.random_range(0..10u32) {
        // Most edits replace a value: that is where users' mistakes are.
        0..=5 if !assignments.is_empty() => {
            let i = assignments[rng.random_range(0..assignments.len())];
            let l = &lines[i];
            let eq = l.find('=').unwrap_or(0);
            let value = VALUES[rng.random_range(0..VALUES.len())];
            lines[i] = format!("{}= {value}", &l[..eq]);
        }
        6 if !lines.is_empty() => {
            let i = rng.random_range(0..lines.len());
            lines.remove(i);
        }
        7 if !lines.is_empty() => {
            let i = rng.random_range(0..lines.len());
            let l = lines[i].clone();
            lines.insert(i, l);
        }
        8 if !lines.is_empty() => {
            // A line cut short, as a bad paste leaves it.
            let i = rng.random_range(0..lines.len());
            let n = lines[i].chars().count();
            let keep = rng.random_range(0..=n);
            lines[i] = lines[i].chars().take(keep).collect();
        }
        _ => {
            let i = rng.random_range(0..=lines.len());
            lines.insert(i, LINES[rng.random_range(0..LINES.len())].to_string());
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// Whether `text` loaded, or what is wrong with how it was refused (a panic's message).
fn load(name: &str, text: &str) -> Result<bool, String> {
    let outcome = catch_unwind(AssertUnwindSafe(|| match scenario::parse(name, text) {
        Ok(s) => {
            // What `--time-scale` and `--strategy` do to a file that loads.
            for f in [0.5, 10.0] {
                if let Err(e) = s.time_scaled(f) {
                    assert!(!e.to_string().trim().is_empty(), "an empty error for --time-scale {f}");
                }
            }
            for st in Strategy::ALL {
                if let Err(e) = s.with_strategy(st) {
                    assert!(!e.to_string().trim().is_empty(), "an empty error for --strategy {st:?}");
                }
            }
            None
        }
        Err(e) => Some(e),
    }));
    let lines = text.lines().count();
    match outcome {
        Err(panic) => Err(panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic".to_string())),
        Ok(None) => Ok(true),
        Ok(Some(e)) => {
            let d = e.diagnostics();
            if d.is_empty() {
                return Err(format!("an error without diagnostics: {e}"));
            }
            for d in d {
                if d.message.trim().is_empty() {
                    return Err(format!("an empty message: {d}"));
                }
                if d.file != name {
                    return Err(format!("names another file: {d}"));
                }
                // Line 0 is the whole file; otherwise a line that exists (or the end of the file,
                // where a parser reports what is missing).
                if d.line > lines + 1 || (d.line > 0 && d.column == 0) {
                    return Err(format!("points outside the file ({lines} lines): {d}"));
                }
            }
            Ok(false)
        }
    }
}

#[test]
fn edited_scenarios_load_or_say_where_they_are_wrong() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the repository has a scenarios/ folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "found {} scenarios in {}", files.len(), dir.display());
    // The panics' own messages would drown the report: collect them instead.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut rng = ChaCha8Rng::seed_from_u64(0x5eed_5ce7);
    let (mut failures, mut loaded, mut refused) = (Vec::new(), 0u32, 0u32);
    for path in &files {
        let original = std::fs::read_to_string(path).expect("a readable scenario");
        for round in 0..2000u32 {
            // Some mutants take two edits, so a later edit meets an earlier one.
            let mut text = mutate(&original, &mut rng);
            if round % 3 == 0 {
                text = mutate(&text, &mut rng);
            }
            match load("t.toml", &text) {
                Ok(true) => loaded += 1,
                Ok(false) => refused += 1,
                Err(why) => failures.push(format!("{} edit {round}: {why}\n{text}", path.display())),
            }
        }
    }
    std::panic::set_hook(hook);
    assert!(
        failures.is_empty(),
        "{} of the edited files broke the loader; the first:\n{}",
        failures.len(),
        failures[0]
    );
    // The edits must exercise both paths, or the test proves nothing.
    assert!(loaded > 100 && refused > 1000, "loaded {loaded}, refused {refused}");
    eprintln!("loaded {loaded}, refused {refused}");
}
