//! Files that leave out what only spillway's own stack needs, read with placeholders.
//!
//! - A file for `spillway gateway` alone: the `[gateway]` settings and the services' names,
//!   workers and upstreams, without what only a run needs (the load in `[workload]`, the
//!   services' `service_time`). A team putting the gateway in front of its own services has
//!   neither to give; requiring them made it invent a load and service times the gateway never
//!   reads.
//! - A file for `spillway loadgen run --target URL`: the load and the services' names, without
//!   the services' `workers` and `service_time`, which only describe the in-process mock
//!   backend; against an external target that backend never starts, and requiring them made
//!   users invent numbers.
//!
//! The file is read as a scenario with placeholders where those are missing: placeholder lines
//! (`workers = 1`, `service_time = "1ms"`) under each such service's `[[backend.services]]`
//! header, and a one-second phase at the end. Positions in errors are mapped back to the file as
//! written. What the reader of such a file derives from a service's workers or service time
//! (capacity, utilisation, a queue bound sized from them) must skip the placeholder ones: see
//! [`PartialFile::placeholders`] and [`Scenario::warnings_with`].

use super::{locate, parse, Diagnostic, Scenario, ScenarioError};
use std::path::Path;
use toml_edit::ImDocument;

/// Keys of a `[[backend.services]]` table: which a file may leave out, or which it left out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServiceKeys {
    pub workers: bool,
    pub service_time: bool,
}

impl ServiceKeys {
    pub const NONE: ServiceKeys = ServiceKeys {
        workers: false,
        service_time: false,
    };
    pub const BOTH: ServiceKeys = ServiceKeys {
        workers: true,
        service_time: true,
    };

    /// Whether any of them.
    pub fn any(self) -> bool {
        self.workers || self.service_time
    }

    /// Their names, in the order a service table usually gives them.
    pub fn names(self) -> Vec<&'static str> {
        [(self.workers, "workers"), (self.service_time, "service_time")]
            .into_iter()
            .filter_map(|(set, name)| set.then_some(name))
            .collect()
    }
}

/// What [`parse_with_placeholders`] read.
#[derive(Clone, Debug)]
pub struct PartialFile {
    /// The scenario, placeholders included (see [`PartialFile::placeholders`]).
    pub scenario: Scenario,
    /// By `backend.services` entry (a [`super::ServiceSpec::entry`]): the keys the file left
    /// out, read as placeholders.
    pub placeholders: Vec<ServiceKeys>,
    /// The file has a `[workload]`.
    pub workload_given: bool,
}

impl PartialFile {
    /// Every service gives every key: nothing read is a placeholder but the workload.
    pub fn services_given(&self) -> bool {
        !self.placeholders.iter().any(|k| k.any())
    }

    /// The services that left keys out, each with them: `orders (workers, service_time)`.
    pub fn left_out(&self) -> Vec<String> {
        self.scenario
            .file
            .backend
            .services
            .iter()
            .zip(&self.placeholders)
            .filter(|(_, k)| k.any())
            .map(|(svc, k)| format!("{} ({})", svc.name, k.names().join(", ")))
            .collect()
    }
}

/// What [`load_for_gateway`] read.
pub struct GatewayFile {
    pub scenario: Scenario,
    /// By `backend.services` entry, the keys the file left out (see [`PartialFile`]).
    pub placeholders: Vec<ServiceKeys>,
    /// Every service gives its `service_time` (a bound sized from service times can be sized).
    pub service_times_given: bool,
    /// The file has a `[workload]`.
    pub workload_given: bool,
    /// The services whose upstream is https, which the gateway does not speak yet: each at
    /// its `upstream`.
    pub https_upstreams: Vec<Diagnostic>,
    /// The services without an upstream: each at its `[[backend.services]]` entry.
    pub missing_upstreams: Vec<Diagnostic>,
}

impl GatewayFile {
    /// What `spillway gateway --config` refuses in the file when no `--upstream` replaces the
    /// services' upstreams, in the file's order: [`GatewayFile::https_upstreams`] and
    /// [`GatewayFile::missing_upstreams`].
    pub fn upstream_problems(&self) -> Vec<Diagnostic> {
        let mut all: Vec<Diagnostic> = self
            .https_upstreams
            .iter()
            .chain(&self.missing_upstreams)
            .cloned()
            .collect();
        all.sort_by_key(|d| (d.line, d.column));
        all
    }
}

const WORKERS: &str = "workers = 1\n";
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

/// Reads a gateway's file (see the module's documentation): its services' `service_time` and
/// its `[workload]` may be left out.
pub fn load_for_gateway(path: &Path) -> Result<GatewayFile, ScenarioError> {
    let (name, text) = super::read(path)?;
    parse_for_gateway(&name, &text)
}

/// [`load_for_gateway`] of text; `source` names it in messages.
pub fn parse_for_gateway(source: &str, text: &str) -> Result<GatewayFile, ScenarioError> {
    let omissible = ServiceKeys {
        workers: false,
        service_time: true,
    };
    let read = parse_with_placeholders(source, text, omissible, true)?;
    let missing_upstreams = missing_upstreams(source, text, &read.scenario);
    let https_upstreams = https_upstreams(source, text);
    Ok(GatewayFile {
        service_times_given: read.services_given(),
        workload_given: read.workload_given,
        placeholders: read.placeholders,
        scenario: read.scenario,
        https_upstreams,
        missing_upstreams,
    })
}

/// The file's services without an upstream, each at its place in `text`.
fn missing_upstreams(source: &str, text: &str, scenario: &Scenario) -> Vec<Diagnostic> {
    // Parsed once already: the document is only for the positions.
    let Ok(doc) = ImDocument::parse(text.to_string()) else {
        return Vec::new();
    };
    let missing = scenario
        .file
        .backend
        .services
        .iter()
        .enumerate()
        .filter(|(_, svc)| svc.upstream.is_none())
        .map(|(i, svc)| crate::scenario::Problem {
            path: format!("backend.services[{i}]"),
            message: format!(
                "service `{}` has no `upstream` URL: set `upstream = \"http://host:port\"` here, or pass --upstream URL to send every service to one address",
                svc.name
            ),
            also: None,
        })
        .collect();
    super::position(source, &doc, missing)
}

/// What `scenario check --for gateway` reads: [`load_for_gateway`], and the upstreams the
/// gateway refuses to send to (https) as errors at their place in the file. The gateway itself
/// refuses them only when no `--upstream` replaces them, which a file alone cannot tell; nor
/// whether a service without an upstream will have one from `--upstream` (said in the summary,
/// and refused by the gateway without it: [`GatewayFile::upstream_problems`]).
pub fn check_for_gateway(path: &Path) -> Result<GatewayFile, ScenarioError> {
    let (name, text) = super::read(path)?;
    let read = match parse_for_gateway(&name, &text) {
        Ok(read) => read,
        // Listed with the file's other problems, not after they are fixed: the upstreams are
        // read from the document, which a file with problems still is.
        Err(ScenarioError::Invalid(mut problems)) => {
            problems.extend(https_upstreams(&name, &text));
            problems.sort_by_key(|d| (d.line, d.column));
            problems.dedup();
            return Err(ScenarioError::Invalid(problems));
        }
        Err(e) => return Err(e),
    };
    if read.https_upstreams.is_empty() {
        Ok(read)
    } else {
        Err(ScenarioError::Invalid(read.https_upstreams.clone()))
    }
}

/// The https upstreams of the `[[backend.services]]` in `text`, each at its place, read from
/// the TOML document alone (none when it does not parse as TOML): the same for a file that
/// reads as a scenario and for one with problems, listed with them ([`check_for_gateway`]).
fn https_upstreams(source: &str, text: &str) -> Vec<Diagnostic> {
    let Ok(doc) = ImDocument::parse(text.to_string()) else {
        return Vec::new();
    };
    let upstreams: Vec<Option<String>> = match doc.get("backend").and_then(|b| b.get("services")) {
        Some(toml_edit::Item::ArrayOfTables(a)) => a
            .iter()
            .map(|t| t.get("upstream").and_then(|u| u.as_str()).map(str::to_string))
            .collect(),
        Some(toml_edit::Item::Value(toml_edit::Value::Array(a))) => a
            .iter()
            .map(|v| {
                v.as_inline_table()
                    .and_then(|t| t.get("upstream"))
                    .and_then(|u| u.as_str())
                    .map(str::to_string)
            })
            .collect(),
        _ => Vec::new(),
    };
    // An upstream the checks refused has its problem said already (unchecked, it may be of any
    // length or hold credentials): only the https ones that passed are added.
    let problems = upstreams
        .iter()
        .enumerate()
        .filter_map(|(i, u)| Some((i, u.as_deref().filter(|u| u.starts_with("https://"))?)))
        .filter(|(_, u)| crate::wire::check_upstream_url(u).is_ok())
        .map(|(i, u)| https_problem(i, u))
        .collect();
    super::position(source, &doc, problems)
}

fn https_problem(i: usize, u: &str) -> crate::scenario::Problem {
    // Quoted as the checks quote an upstream: credentials masked, control characters escaped.
    let u = super::printable(&crate::wire::redact_userinfo(u)).into_owned();
    crate::scenario::Problem {
        path: format!("backend.services[{i}].upstream"),
        message: format!(
            "`{u}`: the reference gateway does not speak https to services yet, so `gateway --config` refuses this file unless --upstream gives an http:// URL"
        ),
        also: None,
    }
}

/// Reads a file for `spillway loadgen run`: against an external target (`target`), its
/// services' `workers` and `service_time` may be left out (the target's own services serve
/// them); without one they are needed, and a file without them is refused saying so.
pub fn load_for_loadgen(path: &Path, target: bool) -> Result<PartialFile, ScenarioError> {
    let (name, text) = super::read(path)?;
    parse_for_loadgen(&name, &text, target)
}

/// [`load_for_loadgen`] of text; `source` names it in messages.
pub fn parse_for_loadgen(source: &str, text: &str, target: bool) -> Result<PartialFile, ScenarioError> {
    if target {
        return parse_with_placeholders(source, text, ServiceKeys::BOTH, false);
    }
    // Read as for a target, so that the keys missing are said with the file's other problems
    // (a serde error would say only the first), each at its service's header.
    let filled = fill(source, text, ServiceKeys::BOTH, false);
    let missing: Vec<Diagnostic> = filled
        .placeholders
        .iter()
        .zip(&filled.headers)
        .enumerate()
        .filter(|(_, (keys, _))| keys.any())
        .map(|(i, (keys, &(line, column)))| {
            let names: Vec<String> = keys.names().iter().map(|n| format!("`{n}`")).collect();
            let (them, it) = if names.len() > 1 { ("them", "they are") } else { ("it", "it is") };
            Diagnostic {
                file: source.to_string(),
                line,
                column,
                path: format!("backend.services[{i}]"),
                message: format!(
                    "missing {}: {it} needed because no --target was given, so the in-process mock backend serves this service with {them} (with --target URL, a service of your own needs only its name)",
                    names.join(" and ")
                ),
            }
        })
        .collect();
    match filled.result {
        Ok(scenario) if missing.is_empty() => Ok(PartialFile {
            scenario,
            placeholders: filled.placeholders,
            workload_given: filled.workload_given,
        }),
        Ok(_) => Err(ScenarioError::Invalid(missing)),
        Err(ScenarioError::Invalid(mut diagnostics)) => {
            diagnostics.extend(missing);
            diagnostics.sort_by_key(|d| (d.line, d.column));
            Err(ScenarioError::Invalid(diagnostics))
        }
        Err(e) => Err(e),
    }
}

/// Reads scenario text in which `[[backend.services]]` tables may leave out the `omissible`
/// keys and, if `omit_workload`, the file its `[workload]`: each is read as a placeholder (see
/// the module's documentation). `source` names the text in messages.
pub fn parse_with_placeholders(
    source: &str,
    text: &str,
    omissible: ServiceKeys,
    omit_workload: bool,
) -> Result<PartialFile, ScenarioError> {
    let filled = fill(source, text, omissible, omit_workload);
    Ok(PartialFile {
        scenario: filled.result?,
        placeholders: filled.placeholders,
        workload_given: filled.workload_given,
    })
}

/// What [`fill`] read: the scenario or its errors, and what was filled in.
struct Filled {
    result: Result<Scenario, ScenarioError>,
    /// By `backend.services` entry, the keys filled in.
    placeholders: Vec<ServiceKeys>,
    /// By `backend.services` entry, where its header is in the file as written (line, column).
    headers: Vec<(usize, usize)>,
    workload_given: bool,
}

/// [`parse_with_placeholders`], with what was filled in even when the text is not valid.
fn fill(source: &str, text: &str, omissible: ServiceKeys, omit_workload: bool) -> Filled {
    let Ok(doc) = ImDocument::parse(text.to_string()) else {
        // A syntax error: said as any scenario's.
        return Filled {
            result: parse(source, text),
            placeholders: Vec::new(),
            headers: Vec::new(),
            workload_given: true,
        };
    };
    // Byte offsets of the lines that get placeholders before them, with their text: the line
    // after each `[[backend.services]]` header that gives not all the keys. (A service written
    // inline, `services = [{ ... }]`, has no line of its own: it must give them.)
    let mut at: Vec<(usize, String)> = Vec::new();
    let mut placeholders = Vec::new();
    let mut headers = Vec::new();
    let services = doc
        .get("backend")
        .and_then(|b| b.get("services"))
        .and_then(|s| s.as_array_of_tables());
    // Line starts indexed once: a line and column per service counted from the top of the file
    // took time quadratic in the services (20,000 of them: 25 s before the limit refused them).
    let mut lines = locate::Positions::new(text);
    for (i, t) in services.into_iter().flat_map(|l| l.iter()).enumerate() {
        let header = locate::span_of(&doc, &format!("backend.services[{i}]"));
        headers.push(header.as_ref().map_or((1, 1), |h| lines.line_col(h.start)));
        let missing = ServiceKeys {
            workers: omissible.workers && !t.contains_key("workers"),
            service_time: omissible.service_time && !t.contains_key("service_time"),
        };
        let header = header.filter(|h| text[h.start..].starts_with("[["));
        let (Some(header), true) = (header, missing.any()) else {
            placeholders.push(ServiceKeys::NONE);
            continue;
        };
        placeholders.push(missing);
        let lines = [(missing.workers, WORKERS), (missing.service_time, SERVICE_TIME)]
            .into_iter()
            .filter_map(|(set, line)| set.then_some(line))
            .collect::<String>();
        let offset = text[header.start..]
            .find('\n')
            .map_or(text.len(), |k| header.start + k + 1);
        at.push((offset, lines));
    }
    let workload_given = !omit_workload || locate::is_given(&doc, "workload");
    let added: usize = at.iter().map(|(_, l)| l.len() + 1).sum();
    let mut filled = String::with_capacity(text.len() + added + 64);
    // Lines of `filled` that are placeholders, 1-based.
    let mut placeholder_lines: Vec<usize> = Vec::new();
    let mut last = 0;
    for (offset, lines) in &at {
        filled.push_str(&text[last..*offset]);
        if !filled.ends_with('\n') {
            filled.push('\n');
        }
        let first = filled.matches('\n').count() + 1;
        placeholder_lines.extend(first..first + lines.matches('\n').count());
        filled.push_str(lines);
        last = *offset;
    }
    filled.push_str(&text[last..]);
    let original_lines = text.lines().count().max(1);
    if !workload_given {
        if !filled.ends_with('\n') {
            filled.push('\n');
        }
        filled.push_str(&workload(&placeholder_duration(&doc)));
    }
    let result = match parse(source, &filled) {
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
        other => other,
    };
    Filled {
        result,
        placeholders,
        headers,
        workload_given,
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

    /// The upstreams the gateway cannot send to without an --upstream are said at their place:
    /// an https one at its value, a service without one at its header.
    #[test]
    fn upstream_problems_are_positioned() {
        let g = parse_for_gateway("g.toml", GATEWAY).expect("a gateway file");
        assert!(g.https_upstreams.is_empty());
        let missing: Vec<String> = g.missing_upstreams.iter().map(|d| d.to_string()).collect();
        assert_eq!(missing.len(), 1, "{missing:?}");
        assert!(
            missing[0].starts_with("g.toml:11:1: backend.services[1]: service `billing` has no `upstream` URL"),
            "{missing:?}"
        );
        let https = GATEWAY.replace("http://127.0.0.1:8081", "https://127.0.0.1:8081");
        let g = parse_for_gateway("g.toml", &https).expect("a gateway file");
        let all: Vec<String> = g.upstream_problems().iter().map(|d| d.to_string()).collect();
        assert_eq!(all.len(), 2, "{all:?}");
        assert!(
            all[0].starts_with("g.toml:9:12: backend.services[0].upstream: `https://"),
            "{all:?}"
        );
        assert!(all[1].starts_with("g.toml:11:1: backend.services[1]:"), "{all:?}");
    }

    /// `scenario check --for gateway` lists an https upstream with the file's other problems
    /// (a credentialed upstream in another service), not only once they are fixed.
    #[test]
    fn https_upstreams_are_listed_with_the_files_other_problems() {
        let bad = GATEWAY
            .replace("http://127.0.0.1:8081", "http://u:secret@127.0.0.1:8081")
            .replace(
                "service_time = \"20ms\"\n",
                "service_time = \"20ms\"\nupstream = \"https://127.0.0.1:9\"\n",
            );
        let path = std::env::temp_dir().join(format!("spillway-https-{}.toml", std::process::id()));
        std::fs::write(&path, &bad).expect("temp file");
        let e = check_for_gateway(&path).map(|_| ()).expect_err("refused").to_string();
        let _ = std::fs::remove_file(&path);
        assert!(e.contains("backend.services[0].upstream"), "{e}");
        assert!(
            e.contains(":15:12: backend.services[1].upstream: `https://127.0.0.1:9`: the reference gateway does not speak https"),
            "{e}"
        );
        // An https upstream with credentials: its own problem, said once, the password masked.
        let secret = GATEWAY.replace("http://127.0.0.1:8081", "https://bob:hunter2@127.0.0.1:8081");
        std::fs::write(&path, &secret).expect("temp file");
        let e = check_for_gateway(&path).map(|_| ()).expect_err("refused").to_string();
        let _ = std::fs::remove_file(&path);
        assert!(!e.contains("hunter2"), "{e}");
        assert_eq!(e.matches("backend.services[0].upstream").count(), 1, "{e}");
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
        for (from, to, says) in [
            // `workers = 0` on line 8 of the file, after the first service's header (line 6).
            (
                "workers = 2",
                "workers = 0",
                "g.toml:8:11: backend.services[0].workers:",
            ),
            // On line 14, after both services' headers (one placeholder before it).
            ("service_time = \"20ms\"", "service_time = \"-1ms\"", "g.toml:14:"),
            // Before any placeholder: line 2.
            ("strategy = \"bounded\"", "strategy = \"bonded\"", "g.toml:2:"),
            // A missing name is still missing.
            ("name = \"orders\"\n", "", "backend.services[0]: missing `name`"),
        ] {
            let Err(e) = parse_for_gateway("g.toml", &GATEWAY.replace(from, to)) else {
                panic!("{to:?} refused")
            };
            let e = e.to_string();
            let placed = if says.starts_with("g.toml:") {
                e.starts_with(says)
            } else {
                e.contains(says)
            };
            assert!(placed, "{e}");
        }
    }

    /// A file for `loadgen run --target`: the load, and services by name (one gives its
    /// workers, none its service time).
    const TARGET: &str = "[[workload.phases]]\nduration = \"2s\"\nrate = 10\n\n\
        [[backend.services]]\nname = \"orders\"\napis = [\"list\", \"get\"]\n\n\
        [[backend.services]]  # workers only\nname = \"billing\"\nworkers = 2\n\n\
        [[thresholds]]\ncheck = \"goodput_ratio >= 0.9\"\n";

    fn error(text: &str, target: bool) -> String {
        match parse_for_loadgen("t.toml", text, target) {
            Ok(_) => panic!("refused: {text}"),
            Err(e) => e.to_string(),
        }
    }

    /// Against a target, a service needs only its name: what was left out is said per service,
    /// and what the file gives is read as written.
    #[test]
    fn a_file_for_a_target_needs_only_the_services_names() {
        let read = parse_for_loadgen("t.toml", TARGET, true).expect("a file for a target");
        let names: Vec<&str> = read.scenario.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["orders", "billing"]);
        assert_eq!(read.scenario.services[0].apis, ["list", "get"]);
        assert_eq!(read.scenario.services[1].workers, 2);
        let only_time = ServiceKeys {
            workers: false,
            service_time: true,
        };
        assert_eq!(read.placeholders, [ServiceKeys::BOTH, only_time]);
        assert!(read.workload_given && !read.services_given());
        assert_eq!(read.scenario.thresholds.len(), 1);
        // A whole file has no placeholders, with or without a target, and reads as `parse` does.
        let full = TARGET
            .replace("apis = [", "workers = 3\nservice_time = \"5ms\"\napis = [")
            .replace("workers = 2\n", "workers = 2\nservice_time = \"7ms\"\n");
        for target in [true, false] {
            let read = parse_for_loadgen("t.toml", &full, target).expect("a whole file");
            assert!(read.services_given(), "{:?}", read.placeholders);
            let plain = parse("t.toml", &full).expect("a scenario");
            assert_eq!(read.scenario.file, plain.file);
        }
        // The gateway's leniency is not the target's: workers stay required there.
        let Err(e) = parse_for_gateway("t.toml", TARGET) else {
            panic!("a gateway's file needs its services' workers")
        };
        assert!(e.to_string().contains("backend.services[0]: missing `workers`"), "{e}");
    }

    /// Errors of a file for a target point at the file as written, before, between and after
    /// the placeholder lines (two under the first header, one under the second).
    #[test]
    fn errors_of_a_file_for_a_target_keep_their_place() {
        let e = error(&TARGET.replace("rate = 10", "rate = -1"), true);
        assert!(e.starts_with("t.toml:3:"), "{e}");
        let e = error(&TARGET.replace("workers = 2", "workers = 0"), true);
        assert!(e.starts_with("t.toml:11:11: backend.services[1].workers:"), "{e}");
        let e = error(&TARGET.replace("goodput_ratio >= 0.9", "goodput_ration >= 0.9"), true);
        assert!(e.starts_with("t.toml:14:"), "{e}");
        let e = error(&TARGET.replace("apis = [\"list\", \"get\"]", "apis = 0"), true);
        assert!(e.starts_with("t.toml:7:"), "{e}");
        // A name is still needed.
        let e = error(&TARGET.replace("name = \"orders\"\n", ""), true);
        assert!(e.contains("backend.services[0]: missing `name`"), "{e}");
    }

    /// Without a target the in-process mock backend serves the services: each missing key is
    /// refused at its service's header, saying why, along with the file's other problems.
    #[test]
    fn without_a_target_the_missing_keys_are_refused_saying_why() {
        let e = error(TARGET, false);
        let lines: Vec<&str> = e.lines().collect();
        assert_eq!(lines.len(), 2, "{e}");
        assert!(
            lines[0].starts_with(
                "t.toml:5:1: backend.services[0]: missing `workers` and `service_time`: they are needed because no --target was given"
            ),
            "{e}"
        );
        assert!(
            lines[1].starts_with(
                "t.toml:9:1: backend.services[1]: missing `service_time`: it is needed because no --target was given"
            ),
            "{e}"
        );
        // With another problem: all of them, in the file's order.
        let e = error(&TARGET.replace("goodput_ratio >= 0.9", "goodput_ration >= 0.9"), false);
        let at: Vec<&str> = e.lines().map(|l| l.split(": ").next().unwrap_or(l)).collect();
        assert_eq!(at, ["t.toml:5:1", "t.toml:9:1", "t.toml:14:9"], "{e}");
    }

    /// What is said of a service's capacity is not said of one whose figures are placeholders:
    /// a deep queue and a gateway sending more than the workers hold are warned of for a
    /// service that gives them, not for one that does not.
    #[test]
    fn warnings_say_nothing_of_placeholder_capacity() {
        let file = format!(
            "[gateway]\nstrategy = \"bounded\"\nqueue_capacity = 100000\nconcurrency = 8\n\
             [clients]\ntimeout = \"1s\"\n{}",
            TARGET
                .replace("workers = 2\n", "")
                .replace("\"\napis", "\"\noverload = { mode = \"reject\" }\napis")
                .replace("\"billing\"\n", "\"billing\"\noverload = { mode = \"reject\" }\n")
        );
        let read = parse_for_loadgen("t.toml", &file, true).expect("a file for a target");
        let deep = |w: &[String]| w.iter().any(|w| w.starts_with("gateway.queue_capacity: 100000"));
        let pushback = |w: &[String]| w.iter().any(|w| w.starts_with("gateway.concurrency:"));
        // The placeholders alone would be warned of as figures (1 worker of 1 ms).
        let all = read.scenario.warnings();
        assert!(deep(&all) && pushback(&all), "{all:?}");
        let said = read.scenario.warnings_with(&read.placeholders);
        assert!(!deep(&said) && !pushback(&said), "{said:?}");
        // A service that gives them is still warned of.
        let given = file.replace(
            "name = \"billing\"\n",
            "name = \"billing\"\nworkers = 1\nservice_time = \"10ms\"\n",
        );
        let read = parse_for_loadgen("t.toml", &given, true).expect("a file for a target");
        let said = read.scenario.warnings_with(&read.placeholders);
        assert!(deep(&said) && pushback(&said), "{said:?}");
        assert!(said.iter().all(|w| !w.contains("`orders`")), "{said:?}");
    }
}
