//! The scenario format: one TOML file describes a whole experiment (workload, clients,
//! gateway, backend, thresholds).
//!
//! Loading happens in three steps, each with errors that name `file:line:column: field.path`:
//! TOML syntax (toml_edit keeps spans), typed deserialization (unknown keys and wrong types,
//! with the path tracked by `serde_path_to_error`), then semantic checks that find their
//! position again from the field path.

mod error;
mod file;
pub mod locate;
mod placeholders;
mod request;
mod scale;
mod spec;
mod summary;
mod validate;
mod wording;

pub use error::{printable, Diagnostic, Problem, ScenarioError};
pub use file::*;
pub use placeholders::{
    check_for_gateway, load_for_gateway, load_for_loadgen, parse_for_gateway, parse_for_loadgen,
    parse_with_placeholders, GatewayFile, PartialFile, ServiceKeys,
};
pub use request::{body_path, check_header, check_method, read_body, RequestSpec, MAX_BODY_BYTES};
pub use scale::{scale_gateway, time_scaled};

/// The time scales a run accepts: up to 1000x faster (live timers stay meaningful) or 100x slower.
pub const TIME_SCALE: std::ops::RangeInclusive<f64> = 0.01..=1000.0;

/// A `--time-scale` flag's value, checked against [`TIME_SCALE`].
pub fn check_time_scale(f: f64) -> Result<f64, crate::UsageError> {
    if TIME_SCALE.contains(&f) {
        Ok(f)
    } else {
        Err(crate::UsageError(format!(
            "--time-scale: expected a factor from {} to {}, got {f:?}",
            TIME_SCALE.start(),
            TIME_SCALE.end()
        )))
    }
}
/// A `--time-scale` flag's text as a clap value parser: a number within [`TIME_SCALE`], so a bad
/// value is refused before anything runs or is logged.
pub fn parse_time_scale(s: &str) -> Result<f64, String> {
    let f: f64 = s.trim().parse().map_err(|_| {
        format!(
            "expected a factor from {} to {} (e.g. 10), got `{s}`",
            TIME_SCALE.start(),
            TIME_SCALE.end()
        )
    })?;
    check_time_scale(f).map_err(|_| {
        format!(
            "expected a factor from {} to {}, got `{s}`",
            TIME_SCALE.start(),
            TIME_SCALE.end()
        )
    })
}
pub use spec::*;
pub use summary::{
    check_summary, gateway_also, gateway_file_summary, gateway_notes, phase_utilisation, target_file_summary,
    utilisation_at,
};
pub use validate::in_flight_after_arrivals;
pub(crate) use validate::valid_name;
pub(crate) use wording::nearest;

use std::path::Path;
use toml_edit::ImDocument;

/// Whether a scenario key (a sweep axis, a `--set`) varies the load under test (a burst's rate,
/// the mix), a fault the backend suffers (`backend.services[N].faults...`: an outage, stalls,
/// errors, a slowdown, a rate limit) or how long a run watches it (`run.duration`,
/// `run.window`), rather than a setting a team chooses: a sweep's best configuration must hold
/// at every one tried (a shorter run is no better configuration for missing what a longer one
/// sees, nor is the mildest outage one to choose).
pub fn is_load_key(key: &str) -> bool {
    key.starts_with("workload.") || matches!(key, "run.duration" | "run.window") || is_fault_key(key)
}

/// Whether `key` is under a backend service's `faults` (`backend.services[0].faults.outages[0].duration`,
/// `backend.services[*].faults.error_ratio`, `backend.services[billing].faults`): a condition
/// under test, not a setting.
pub fn is_fault_key(key: &str) -> bool {
    use locate::Seg;
    let segs = locate::parse_path(key);
    let rest = match segs.as_slice() {
        [Seg::Key(b), Seg::Key(s), rest @ ..] if b == "backend" && s == "services" => rest,
        _ => return false,
    };
    // The service's index (a name or `*` in brackets leaves no segment).
    let rest = match rest {
        [Seg::Index(_), rest @ ..] => rest,
        rest => rest,
    };
    matches!(rest.first(), Some(Seg::Key(k)) if k == "faults")
}

/// Reads, parses and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let (name, text) = read(path)?;
    parse(&name, &text)
}

/// A scenario file's name (for messages) and text.
fn read(path: &Path) -> Result<(String, String), ScenarioError> {
    let name = path.display().to_string();
    let io = |error| ScenarioError::Io {
        file: name.clone(),
        error,
    };
    // Bounded: `scenario check /dev/zero` must not read forever.
    let bytes = crate::files::read_at_most(path, crate::files::MAX_SCENARIO_BYTES, "a scenario file").map_err(io)?;
    let text = wording::decode(bytes).map_err(|why| io(std::io::Error::new(std::io::ErrorKind::InvalidData, why)))?;
    Ok((name, text))
}

/// A scenario built from command-line flags (the one-liners): its errors name the field and
/// `<command line>`, with no line or column, which would point into text nobody wrote.
pub fn parse_flags(text: &str) -> Result<Scenario, ScenarioError> {
    parse("<command line>", text).map_err(for_flags)
}

/// An error in a scenario built from command-line flags, as the user who typed them needs it:
/// no position in a text they never saw, and no advice to set a field no flag sets.
pub fn for_flags(e: ScenarioError) -> ScenarioError {
    match e {
        ScenarioError::Invalid(mut d) => {
            for d in &mut d {
                (d.line, d.column) = (0, 0);
                if d.path == "run.window" {
                    d.message.push_str(
                        " (the one-liner keeps the default run.window: give fewer --retries or a shorter --timeout or --backoff, or write a scenario file)",
                    );
                }
                // A one-liner marks its trigger in --phases, not with a key.
                if let Some(m) = d
                    .message
                    .strip_suffix("(mark the burst or outage phase `trigger = true`)")
                {
                    d.message =
                        format!("{m}(end the burst or outage phase of --phases with `!`: `30s@20,10s@60!,60s@20`)");
                }
                if d.message.contains("still be in flight") {
                    match d.path.as_str() {
                        "clients.retry.max_attempts" => d.message.push_str(" (give fewer --retries)"),
                        "clients.timeout" => d.message.push_str(" (give a shorter --timeout)"),
                        _ => {}
                    }
                }
            }
            ScenarioError::Invalid(d)
        }
        other => other,
    }
}

/// Parses and validates scenario text; `source` names it in messages.
pub fn parse(source: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let (file, doc) = parse_file(source, text)?;
    let mut s =
        validate::resolve(source, file).map_err(|problems| ScenarioError::Invalid(position(source, &doc, problems)))?;
    // Body files are read once the file is valid (a `body` with a `body_file` is refused
    // first), relative to the scenario file, by every command: `scenario check` and `sim run`
    // find a missing one too, though the simulator sends no body.
    let unread = request::read_bodies(source, &mut s.file);
    if !unread.is_empty() {
        return Err(ScenarioError::Invalid(position(source, &doc, unread)));
    }
    // What the file itself sets (not overrides such as `loadgen run --duration`, which cuts a
    // run short on purpose, nor the default window) must let the run show what it describes.
    s.given = Given {
        window: locate::is_given(&doc, "run.window"),
        duration: locate::is_given(&doc, "run.duration"),
    };
    let problems = validate::check_timeline(&s, s.given.window, s.given.duration);
    if problems.is_empty() {
        Ok(s)
    } else {
        Err(ScenarioError::Invalid(position(source, &doc, problems)))
    }
}

/// The time line checks [`parse`] makes on what a file sets, for a scenario changed in code (a
/// sweep point, a compare variant) whose [`Scenario::given`] says what the user set. Errors
/// name the field but no line, as [`resolve`]'s do.
pub fn check_given_timeline(s: &Scenario) -> Result<(), ScenarioError> {
    let problems = validate::check_timeline(s, s.given.window, s.given.duration);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ScenarioError::Invalid(unpositioned(&s.source, problems)))
    }
}

fn unpositioned(source: &str, problems: Vec<Problem>) -> Vec<Diagnostic> {
    capped(
        problems
            .into_iter()
            .map(|p| Diagnostic {
                file: source.to_string(),
                line: 0,
                column: 0,
                path: p.path,
                message: p.message,
            })
            .collect(),
    )
}

/// Resolves an already-parsed file (e.g. built in code, or after overriding fields). Problems
/// name the field but no line: the file as changed is not the text on disk, so a position in it
/// would point at the wrong line of the file the user has.
pub fn resolve(source: &str, file: ScenarioFile) -> Result<Scenario, ScenarioError> {
    validate::resolve(source, file).map_err(|problems| ScenarioError::Invalid(unpositioned(source, problems)))
}

pub(crate) fn position(source: &str, doc: &ImDocument<String>, problems: Vec<Problem>) -> Vec<Diagnostic> {
    // Each problem's offset, then positions in the file's order (as its author reads it; stable,
    // so one place's problems keep theirs), counted with one index of the lines.
    let mut at: Vec<(usize, Problem)> = problems
        .into_iter()
        .map(|p| (locate::span_of(doc, &p.path).map_or(0, |s| s.start), p))
        .collect();
    at.sort_by_key(|(offset, _)| *offset);
    let mut lines = locate::Positions::new(doc.raw());
    let out = at
        .into_iter()
        .map(|(offset, p)| {
            let (line, column) = lines.line_col(offset);
            let mut message = p.message;
            if let Some(span) = p.also.as_deref().and_then(|also| locate::span_of(doc, also)) {
                let (l, c) = lines.line_col(span.start);
                message = format!("{message} ({} is at {source}:{l}:{c})", p.also.as_deref().unwrap_or(""));
            }
            Diagnostic {
                file: source.to_string(),
                line,
                column,
                path: p.path,
                message,
            }
        })
        .collect();
    capped(out)
}

/// How many problems of one field of a list's entries (`workload.mix[*].api`) are listed: the
/// first few show the mistake; 100,000 lines of it hid every other problem (and took seconds to
/// print).
pub const LISTED_PER_FIELD: usize = 20;

/// `diagnostics` with at most [`LISTED_PER_FIELD`] + 1 of each field of a list's entries, the
/// last of them saying how many more there are.
fn capped(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    use std::collections::HashMap;
    let mut total: HashMap<String, usize> = HashMap::new();
    for d in &diagnostics {
        if let Some(f) = list_field(&d.path) {
            *total.entry(f).or_default() += 1;
        }
    }
    if total.values().all(|&n| n <= LISTED_PER_FIELD + 1) {
        return diagnostics;
    }
    let mut listed: HashMap<String, usize> = HashMap::new();
    diagnostics
        .into_iter()
        .filter_map(|mut d| {
            let Some(f) = list_field(&d.path) else { return Some(d) };
            let n = listed.entry(f.clone()).or_default();
            *n += 1;
            if *n > LISTED_PER_FIELD + 1 {
                return None;
            }
            let rest = total.get(&f).copied().unwrap_or(0).saturating_sub(*n);
            if *n == LISTED_PER_FIELD + 1 && rest > 0 {
                d.message = format!("{} (and {rest} more problems of {f}, not listed)", d.message);
            }
            Some(d)
        })
        .collect()
}

/// The field of a list's entries a path names (`workload.mix[*].api` for
/// `workload.mix[7].api`), if it names one.
fn list_field(path: &str) -> Option<String> {
    if !path.contains('[') {
        return None;
    }
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' if !in_index => {
                in_index = true;
                out.push_str("[*]");
            }
            ']' if in_index => in_index = false,
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    Some(out)
}

/// Syntax and typed deserialization only (no semantic checks). Messages are reworded for a
/// scenario author in [`wording`].
pub fn parse_file(source: &str, text: &str) -> Result<(ScenarioFile, ImDocument<String>), ScenarioError> {
    let diag = |span: Option<std::ops::Range<usize>>, path: String, message: String| {
        let (line, column) = span.map_or((1, 1), |s| locate::line_col(text, s.start));
        ScenarioError::Invalid(vec![Diagnostic {
            file: source.to_string(),
            line,
            column,
            path,
            message,
        }])
    };
    if wording::is_blank(text) {
        return Err(diag(None, String::new(), wording::EMPTY_FILE.to_string()));
    }
    let doc = ImDocument::parse(text.to_string()).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let (path, message) = wording::syntax(text, e.message(), offset);
        // Where toml_edit gave no words its position may be off too (past the character).
        let span = if e.message().trim().is_empty() {
            let at = wording::unworded(text, offset).0;
            Some(at..at)
        } else {
            e.span()
        };
        diag(span, path, message)
    })?;
    // serde reads a struct from a list by position, so `[[run]]` got "run[0]: expected a quoted
    // string" (its first field, the name): say that these sections are single tables.
    for (key, item) in doc.as_table().iter() {
        let single = matches!(key, "run" | "workload" | "clients" | "gateway" | "backend");
        if single && item.is_array_of_tables() {
            let hint = match key {
                "workload" => " (each phase is a [[workload.phases]])",
                "backend" => " (each service is a [[backend.services]])",
                _ => "",
            };
            return Err(diag(
                item.span().or_else(|| doc.as_table().key(key).and_then(|k| k.span())),
                key.to_string(),
                format!("[{key}] is one table: write [{key}], not [[{key}]]{hint}"),
            ));
        }
    }
    let de = toml::Deserializer::new(text);
    match serde_path_to_error::deserialize::<_, ScenarioFile>(de) {
        Ok(file) => match list_read_as_table(&doc, &file) {
            Some(path) => {
                let name = path.rsplit('.').next().unwrap_or(&path).to_string();
                Err(diag(
                    locate::span_of(&doc, &path),
                    path,
                    format!("expected a table, got a list: write {name} = {{ ... }} or a [{name}] section"),
                ))
            }
            None => Ok((file, doc)),
        },
        Err(e) => {
            let path = field_path(e.path());
            if let Some((list, message)) = table_written_as_list(text, &path) {
                return Err(diag(locate::span_of(&doc, &list), list, message));
            }
            let inner = e.into_inner();
            if let Some(name) = named_by_table(&doc, &path, inner.message()) {
                return Err(diag(
                    locate::span_of(&doc, &name),
                    name.clone(),
                    wording::name_not_table(&name),
                ));
            }
            let span = locate::span_of(&doc, &path)
                .filter(|_| inner.span().is_none())
                .or(inner.span());
            let message = match unknown_variant(inner.message()) {
                // toml read a table's one key as the name: `arrival = { x = 1 }` is not an
                // unknown name `x`, but a table where a name belongs.
                Some(name) if locate::is_table_of_one(&doc, &path, name) => wording::name_not_table(&path),
                _ => wording::deserialize(inner.message(), &path),
            };
            Err(diag(span, path, message))
        }
    }
}

/// The first key the file gives a list (`run = ["name", "desc"]`) where a table belongs: serde
/// reads a struct from a list by position, so such a file passed the checks with its fields
/// taken in order, or every field at its default (`run = []` reset the seed). Found by the
/// parsed file's own form: a table where the file has a list.
fn list_read_as_table(doc: &ImDocument<String>, file: &ScenarioFile) -> Option<String> {
    // `keys`: the path by table keys alone, for the probe below (`None` inside a list).
    fn walk(
        item: &toml_edit::Item,
        parsed: Option<&serde_json::Value>,
        path: &str,
        keys: Option<Vec<String>>,
        unwritten: &mut Vec<(String, Vec<String>)>,
    ) -> Option<String> {
        let is_list = item.is_array() || item.is_array_of_tables();
        let Some(parsed) = parsed else {
            // Not written back: a table the list left at its defaults may be skipped (an empty
            // `request = []`); asked of the parser after the walk.
            if let (true, Some(keys)) = (is_list, keys) {
                unwritten.push((path.to_string(), keys));
            }
            return None;
        };
        if is_list && parsed.is_object() {
            return Some(path.to_string());
        }
        match (item, parsed) {
            (
                toml_edit::Item::Table(_) | toml_edit::Item::Value(toml_edit::Value::InlineTable(_)),
                serde_json::Value::Object(fields),
            ) => {
                let table = item.as_table_like()?;
                table.iter().find_map(|(k, v)| {
                    let inner = if path.is_empty() {
                        k.to_string()
                    } else {
                        format!("{path}.{k}")
                    };
                    let keys = keys.clone().map(|mut ks| {
                        ks.push(k.to_string());
                        ks
                    });
                    walk(v, fields.get(k), &inner, keys, unwritten)
                })
            }
            (_, serde_json::Value::Array(elements)) => {
                let items: Vec<toml_edit::Item> = match item {
                    toml_edit::Item::ArrayOfTables(a) => a.iter().map(|t| toml_edit::Item::Table(t.clone())).collect(),
                    toml_edit::Item::Value(toml_edit::Value::Array(a)) => {
                        a.iter().map(|v| toml_edit::Item::Value(v.clone())).collect()
                    }
                    _ => return None,
                };
                items
                    .iter()
                    .zip(elements)
                    .enumerate()
                    .find_map(|(i, (v, e))| walk(v, Some(e), &format!("{path}[{i}]"), None, unwritten))
            }
            _ => None,
        }
    }
    // Whether the field at `keys` takes a table: the parser, given `true` there, expects a
    // struct or a map.
    fn takes_a_table(doc: &ImDocument<String>, keys: &[String]) -> bool {
        let Ok(mut probe) = doc.raw().parse::<toml_edit::DocumentMut>() else {
            return false;
        };
        let mut item = probe.as_item_mut();
        for k in keys {
            match item.as_table_like_mut().and_then(|t| t.get_mut(k)) {
                Some(next) => item = next,
                None => return false,
            }
        }
        *item = toml_edit::value(true);
        match toml::from_str::<ScenarioFile>(&probe.to_string()) {
            Ok(_) => false,
            Err(e) => e.message().contains("expected struct") || e.message().contains("expected a map"),
        }
    }
    let parsed = serde_json::to_value(file).ok()?;
    let mut unwritten = Vec::new();
    if let Some(path) = walk(doc.as_item(), Some(&parsed), "", Some(Vec::new()), &mut unwritten) {
        return Some(path);
    }
    unwritten
        .into_iter()
        .find(|(_, keys)| takes_a_table(doc, keys))
        .map(|(path, _)| path)
}

/// toml reads a name (an enum) from a table of one key, the name, whose value must be an empty
/// table: `jitter = { full = 1 }` failed at `jitter.full` ("expected table, found integer").
/// The path of the table where the name belongs, if that is the error at `path`.
fn named_by_table(doc: &ImDocument<String>, path: &str, message: &str) -> Option<String> {
    if !(message.starts_with("expected table, found") || message == "expected empty table") {
        return None;
    }
    let segs = locate::parse_path(path);
    let (locate::Seg::Key(name), parent) = segs.split_last()? else {
        return None;
    };
    let parent = segs_path(parent);
    locate::is_table_of_one(doc, &parent, name).then_some(parent)
}

/// The name in serde's "unknown variant `NAME`, expected ...".
fn unknown_variant(message: &str) -> Option<&str> {
    message
        .strip_prefix("unknown variant `")?
        .split_once('`')
        .map(|(name, _)| name)
}

/// serde reads a struct from a list by position, so `[[backend.services.faults]]` (one table
/// written as a list of them) was "faults[0]: expected a number, got a table": the table given
/// to the struct's first field. When the error is at a list's element and the same document
/// with that element in the list's place gets past it, the list is one table: say so, with
/// the path of the list and the way to write it.
fn table_written_as_list(text: &str, path: &str) -> Option<(String, String)> {
    let segs = locate::parse_path(path);
    let (locate::Seg::Index(index), list) = segs.split_last()? else {
        return None;
    };
    let (one, form) = locate::with_element_as_table(text, list, *index)?;
    let list_path = segs_path(list);
    let de = toml::Deserializer::new(&one);
    if let Err(e) = serde_path_to_error::deserialize::<_, ScenarioFile>(de) {
        // A table there still fails on its type: a list belongs there after all (its element
        // has the wrong type). A missing field means a table does belong there.
        let missing = e.inner().message().starts_with("missing field");
        if field_path(e.path()) == list_path && !missing {
            return None;
        }
    }
    let header = list
        .iter()
        .filter_map(|s| match s {
            locate::Seg::Key(k) => Some(locate::key(k)),
            locate::Seg::Index(_) => None,
        })
        .collect::<Vec<_>>()
        .join(".");
    let message = match form {
        locate::ListForm::Headers => format!("[{header}] is one table: write [{header}], not [[{header}]]"),
        locate::ListForm::Inline => {
            let name = header.rsplit('.').next().unwrap_or(&header);
            format!("{name} is one table: write {name} = {{ ... }}, not a list [{{ ... }}]")
        }
    };
    Some((list_path, message))
}

/// A field path from its segments, as serde_path_to_error writes it (`a.b[0].c`).
fn segs_path(segs: &[locate::Seg]) -> String {
    let mut out = String::new();
    for s in segs {
        match s {
            locate::Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&locate::key(k));
            }
            locate::Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// The field path serde_path_to_error tracked, written as [`segs_path`] writes one: a key that
/// is not bare quoted (its own Display joined `"api.v2"` with dots, as if two keys), a trailing
/// `?` (a step it could not follow) dropped, and the root empty.
fn field_path(p: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut segs: Vec<&Segment> = p.iter().collect();
    while segs.len() > 1 && matches!(segs.last(), Some(Segment::Unknown)) {
        segs.pop();
    }
    let mut out = String::new();
    for s in segs {
        match s {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&locate::key(key));
            }
            Segment::Unknown => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push('?');
            }
        }
    }
    out
}

/// A serde message about the field at `path` in a scenario author's words (for settings given
/// outside a file, such as `--vary` and `--variant`): see the `wording` module.
pub fn reword(raw: &str, path: &str) -> String {
    wording::deserialize(raw, path)
}

/// Parses scenario TOML embedded in the binary (built-in defaults); errors name `<built-in NAME>`.
pub fn builtin(name: &str, text: &str) -> Result<Scenario, ScenarioError> {
    parse(&format!("<built-in {name}>"), text)
}

impl Scenario {
    /// This scenario `factor` times faster (see [`time_scaled`]).
    pub fn time_scaled(&self, factor: f64) -> Result<Scenario, ScenarioError> {
        if (factor - 1.0).abs() < f64::EPSILON {
            return Ok(self.clone());
        }
        let at = |path: &str, message: String| Diagnostic {
            file: self.source.clone(),
            line: 0,
            column: 0,
            path: path.to_string(),
            message,
        };
        if !TIME_SCALE.contains(&factor) {
            return Err(ScenarioError::Invalid(vec![at(
                "time scale",
                format!(
                    "expected a factor from {} to {}, got {factor:?}",
                    TIME_SCALE.start(),
                    TIME_SCALE.end()
                ),
            )]));
        }
        // A value valid in the file may not be once scaled (a duration below a nanosecond): the
        // problem is in the scaled copy, so it has no line in the file.
        resolve(&self.source, time_scaled(&self.file, factor)).map_err(|e| match e {
            ScenarioError::Invalid(ds) => ScenarioError::Invalid(
                ds.into_iter()
                    .map(|d| at(&d.path, format!("at time scale {factor}: {}", d.message)))
                    .collect(),
            ),
            e => e,
        })
    }
}
