//! Checks of `[run]` (its window, length, time scale, name and description), and of the name a
//! run without `run.name` takes from its file.

use super::{Checker, MAX_NAME_CHARS};
use crate::scenario::RunConfig;

/// Longest `run.description` (shown in the report's header).
const MAX_DESCRIPTION_CHARS: usize = 4096;

/// Without `run.name` the scenario is named by its file's name (its stem, [`Scenario::name`]),
/// which results, summaries and reports carry: a control character in it (`tab\tname.toml`)
/// made results that `spillway report` refuses, and would move a terminal's cursor or break
/// junit.xml. Refused here, where the fix is one step (rename the file, or name the run), rather
/// than replaced: a name the run invented would match neither the file nor anything the user
/// wrote, and `run.name` with one is refused the same way.
///
/// [`Scenario::name`]: crate::scenario::Scenario::name
pub(super) fn check_name_from_file(c: &mut Checker, source: &str) {
    let name = super::spec::name_from_source(source);
    if let Some(ch) = name.chars().find(|ch| ch.is_control()) {
        c.fail(
            "run.name",
            format!(
                "absent, so the scenario is named by its file's name, {name:?}, which holds a control character ({ch:?}): rename the file, or set [run] name"
            ),
        );
    }
}

pub(super) fn check_run(c: &mut Checker, run: &RunConfig) {
    if !super::TIME_SCALE.contains(&run.time_scale) {
        c.fail(
            "run.time_scale",
            format!(
                "expected a factor from {} to {}, got {:?}",
                super::TIME_SCALE.start(),
                super::TIME_SCALE.end(),
                run.time_scale
            ),
        );
    }
    c.positive_dur("run.window".into(), run.window);
    if let Some(d) = run.duration {
        c.positive_dur("run.duration".into(), d);
    }
    c.probability("run.healthy_ratio".into(), run.healthy_ratio);
    // Both go to terminals, the page and junit.xml: control characters there would move the
    // cursor, or make the XML unreadable.
    if let Some(n) = &run.name {
        c.text("run.name".into(), n, MAX_NAME_CHARS);
        if n.chars().any(char::is_control) {
            c.fail("run.name", "expected one line without control characters");
        } else if n.trim().is_empty() {
            // Reports, results and comparisons are labelled by it: a blank one labels nothing.
            c.fail("run.name", "expected a name; leave run.name out to use the file's name");
        }
    }
    if let Some(d) = &run.description {
        c.text("run.description".into(), d, MAX_DESCRIPTION_CHARS);
        if d.chars().any(|ch| ch.is_control() && !matches!(ch, '\n' | '\t' | '\r')) {
            c.fail(
                "run.description",
                "expected text without control characters (line breaks and tabs are fine)",
            );
        }
    }
}
