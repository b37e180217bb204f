//! A file for `spillway gateway` alone: the `[gateway]` settings and the services' names,
//! workers and upstreams, without what only a run needs (the load in `[workload]`, the
//! services' `service_time`). A team putting the gateway in front of its own services has
//! neither to give; requiring them made it invent a load and service times the gateway never
//! reads.
//!
//! The file is read as a scenario with placeholders where those are missing: a placeholder
//! line `service_time = "1ms"` under each such service's header, and a one-second phase at the
//! end. Positions in errors are mapped back to the file as written.

use super::{locate, parse, Scenario, ScenarioError};
use std::path::Path;
use toml_edit::ImDocument;

/// What [`load_for_gateway`] read.
pub struct GatewayFile {
    pub scenario: Scenario,
    /// Every service gives its `service_time` (a bound sized from service times can be sized).
    pub service_times_given: bool,
    /// The file has a `[workload]`.
    pub workload_given: bool,
}

const SERVICE_TIME: &str = "service_time = \"1ms\"\n";
/// The placeholder phase, `duration` long.
fn workload(duration: &str) -> String {
    format!("[[workload.phases]]\nduration = \"{duration}\"\nrate = 1\n")
}

/// How long the placeholder phase lasts: as long as the file's `run.window` and `run.duration`
/// (a run shorter than its window, or than its stated duration, is an error of the file's
/// run, which a gateway's file does not describe), and at least a second.
fn placeholder_duration(doc: &ImDocument<String>) -> String {
    let run = doc.get("run");
    let given = ["window", "duration"]
        .iter()
        .filter_map(|k| run.and_then(|r| r.get(k)).and_then(|v| v.as_str()))
        .filter_map(|t| crate::duration::parse_duration(t).ok());
    let longest = given.fold(std::time::Duration::from_secs(1), std::cmp::max);
    format!("{}ns", longest.as_nanos())
}

/// Reads a gateway's file (see the module's documentation).
pub fn load_for_gateway(path: &Path) -> Result<GatewayFile, ScenarioError> {
    let (name, text) = super::read(path)?;
    parse_for_gateway(&name, &text)
}

/// [`load_for_gateway`] of text; `source` names it in messages.
pub fn parse_for_gateway(source: &str, text: &str) -> Result<GatewayFile, ScenarioError> {
    let Ok(doc) = ImDocument::parse(text.to_string()) else {
        // A syntax error: said as any scenario's.
        return parse(source, text).map(|scenario| GatewayFile {
            scenario,
            service_times_given: true,
            workload_given: true,
        });
    };
    // Byte offsets of the lines that get a placeholder before them: the line after each
    // `[[backend.services]]` header that gives no service_time. (A service written inline,
    // `services = [{ ... }]`, has no line of its own: it must give one.)
    let mut at: Vec<usize> = Vec::new();
    let services = doc
        .get("backend")
        .and_then(|b| b.get("services"))
        .and_then(|s| s.as_array_of_tables());
    for (i, t) in services.into_iter().flat_map(|l| l.iter()).enumerate() {
        if t.contains_key("service_time") {
            continue;
        }
        let Some(header) = locate::span_of(&doc, &format!("backend.services[{i}]")) else {
            continue;
        };
        if !text[header.start..].starts_with("[[") {
            continue;
        }
        at.push(
            text[header.start..]
                .find('\n')
                .map_or(text.len(), |k| header.start + k + 1),
        );
    }
    let workload_given = locate::is_given(&doc, "workload");
    let mut filled = String::with_capacity(text.len() + (at.len() + 3) * SERVICE_TIME.len());
    // Lines of `filled` that are placeholders, 1-based.
    let mut placeholder_lines: Vec<usize> = Vec::new();
    let mut last = 0;
    for &offset in &at {
        filled.push_str(&text[last..offset]);
        if !filled.ends_with('\n') {
            filled.push('\n');
        }
        placeholder_lines.push(filled.matches('\n').count() + 1);
        filled.push_str(SERVICE_TIME);
        last = offset;
    }
    filled.push_str(&text[last..]);
    let original_lines = text.lines().count().max(1);
    if !workload_given {
        if !filled.ends_with('\n') {
            filled.push('\n');
        }
        filled.push_str(&workload(&placeholder_duration(&doc)));
    }
    match parse(source, &filled) {
        Ok(scenario) => Ok(GatewayFile {
            scenario,
            service_times_given: at.is_empty(),
            workload_given,
        }),
        Err(ScenarioError::Invalid(mut diagnostics)) => {
            for d in &mut diagnostics {
                if d.line == 0 {
                    continue;
                }
                let before = placeholder_lines.iter().filter(|&&l| l < d.line).count();
                let line = d.line - before;
                if placeholder_lines.contains(&d.line) || line > original_lines {
                    // In a placeholder (cannot be wrong by itself): the nearest place written.
                    (d.line, d.column) = (line.min(original_lines), 1);
                } else {
                    d.line = line;
                }
            }
            Err(ScenarioError::Invalid(diagnostics))
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GATEWAY: &str = "[gateway]\nstrategy = \"bounded\"\nconcurrency = 4\nqueue_capacity = 50\n\n\
        [[backend.services]]\nname = \"orders\"\nworkers = 2\nupstream = \"http://127.0.0.1:8081\"\n\n\
        [[backend.services]]  # with its own time\nname = \"billing\"\nworkers = 1\nservice_time = \"20ms\"\n";

    /// The walkthrough's file: gateway settings and services with upstreams, no load and no
    /// service time for one of them. It loads, and says what it lacked.
    #[test]
    fn a_gateway_file_needs_no_load_and_no_service_times() {
        let g = parse_for_gateway("g.toml", GATEWAY).expect("a gateway file");
        assert!(!g.workload_given && !g.service_times_given);
        let names: Vec<&str> = g.scenario.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["orders", "billing"]);
        assert_eq!(
            g.scenario.services[0].upstream.as_deref(),
            Some("http://127.0.0.1:8081")
        );
        assert_eq!(g.scenario.file.gateway.queue_capacity, Some(50));
        // A whole scenario reads as it always did.
        let full = format!(
            "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n{}",
            GATEWAY.replace("workers = 2\n", "workers = 2\nservice_time = \"5ms\"\n")
        );
        let g = parse_for_gateway("g.toml", &full).expect("a scenario");
        assert!(g.workload_given && g.service_times_given);
        assert_eq!(g.scenario.services[0].service_time.mean(), 0.005);
        // Without the gateway's leniency, the same file is still refused for a run.
        assert!(parse("g.toml", GATEWAY).is_err());
    }

    /// The file's own run settings do not clash with the placeholder load: a window or a
    /// duration longer than a second is fine.
    #[test]
    fn run_settings_fit_the_placeholder_load() {
        for run in [
            "[run]\nwindow = \"5s\"\n",
            "[run]\nduration = \"10m\"\nwindow = \"30s\"\n",
        ] {
            if let Err(e) = parse_for_gateway("g.toml", &format!("{run}{GATEWAY}")) {
                panic!("{run}: {e}");
            }
        }
    }

    /// Errors point at the file as written, below and above the placeholders.
    #[test]
    fn errors_keep_their_place_in_the_file_as_written() {
        // `workers = 0` on line 8 of the file, after the first service's header (line 6).
        let bad = GATEWAY.replace("workers = 2", "workers = 0");
        let Err(e) = parse_for_gateway("g.toml", &bad) else {
            panic!("refused")
        };
        let e = e.to_string();
        assert!(e.starts_with("g.toml:8:11: backend.services[0].workers:"), "{e}");
        // On line 14, after both services' headers (one placeholder before it).
        let bad = GATEWAY.replace("service_time = \"20ms\"", "service_time = \"-1ms\"");
        let Err(e) = parse_for_gateway("g.toml", &bad) else {
            panic!("refused")
        };
        let e = e.to_string();
        assert!(e.starts_with("g.toml:14:"), "{e}");
        // Before any placeholder: line 2.
        let bad = GATEWAY.replace("strategy = \"bounded\"", "strategy = \"bonded\"");
        let Err(e) = parse_for_gateway("g.toml", &bad) else {
            panic!("refused")
        };
        let e = e.to_string();
        assert!(e.starts_with("g.toml:2:"), "{e}");
        // A missing name is still missing.
        let bad = GATEWAY.replace("name = \"orders\"\n", "");
        let Err(e) = parse_for_gateway("g.toml", &bad) else {
            panic!("refused")
        };
        let e = e.to_string();
        assert!(e.contains("backend.services[0]: missing `name`"), "{e}");
    }
}
