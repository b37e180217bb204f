//! Inline scenarios for the scenario tests, written as one `&str` per line so the line of a
//! mistake is its position in the array.

#![allow(dead_code)] // each test file uses what it needs

use model::scenario::{self, Diagnostic, Scenario, ScenarioError};

/// Joins lines with `\n`: line N of the file is element N - 1.
pub fn text(lines: &[&str]) -> String {
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

pub fn parse(lines: &[&str]) -> Result<Scenario, ScenarioError> {
    scenario::parse("t.toml", &text(lines))
}

/// The single diagnostic of an invalid file (fails if the file is valid or has several problems).
pub fn only_diagnostic(lines: &[&str]) -> Diagnostic {
    match parse(lines) {
        Ok(_) => panic!("expected an error for:\n{}", text(lines)),
        Err(e) => {
            let d = e.diagnostics();
            assert_eq!(d.len(), 1, "expected exactly one diagnostic, got:\n{e}");
            d[0].clone()
        }
    }
}
