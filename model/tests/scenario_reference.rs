//! `docs/scenario-format.md` is the reference of the scenario format. These tests keep it true
//! and complete:
//!
//! - every ```toml block in it is valid: a block whose first line is `# complete example` is a
//!   whole scenario and must load as it is (no error, no note); any other block is a fragment,
//!   laid over a small base scenario (its tables merged in, its lists replacing the base's) and
//!   must load the same way;
//! - every key the format accepts has a row (`` | `key` | ``) in the section of its own table
//!   (the section whose heading names the table: `[gateway.codel]`, `[[workload.phases]]`),
//!   every named value of a key (`strategy = "fifo"`, ...) is in that section, and every
//!   threshold metric, operator and group in the section of `[[thresholds]]`.
//!
//! The list of keys is not written here: it is asked of the scenario parser itself. A table's
//! keys are in the message for an unknown key ("unknown key ... (valid keys: ...)"), so each
//! table is probed with one, starting at the top level, and each key it names is probed in
//! turn as a table, a list of tables and a table of tables (`[gateway.services.NAME]`) to find
//! the tables below it. Named values come from the message for an unknown value, metrics and
//! groups from the message for an unknown threshold metric, operators from the one for a check
//! without one. A key added to the format is thus missing from the reference until the
//! reference says what it is.

use model::scenario;
use std::collections::BTreeMap;
use std::path::Path;
use toml::Value;

/// The marker of a complete scenario in the reference: the first line of its block.
const COMPLETE: &str = "# complete example";

/// A key no table takes: probes put it where a table is expected.
const PROBE: &str = "zz_probe";
/// The name of an entry in a table of tables (`[gateway.services.NAME]`).
const ENTRY: &str = "zz_name";

fn reference() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/scenario-format.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------------
// What the parser accepts
// ---------------------------------------------------------------------------------------------

/// One step from a table to a value inside it.
#[derive(Clone, Debug, PartialEq)]
enum Seg {
    /// A key of the table.
    Key(String),
    /// The element of a list (of tables): `[[workload.phases]]`.
    Elem,
    /// An entry of a table whose keys are names: `[gateway.services.NAME]`.
    Entry,
}

/// A table as the reference names it: `backend.services.faults`, `gateway.services.NAME`; the
/// top level is "".
fn dotted(path: &[Seg]) -> String {
    let mut parts = Vec::new();
    for s in path {
        match s {
            Seg::Key(k) => parts.push(k.as_str()),
            Seg::Elem => {}
            Seg::Entry => parts.push("NAME"),
        }
    }
    parts.join(".")
}

/// A scenario text with `leaf` at `path` and nothing else.
fn probe_text(path: &[Seg], leaf: Value) -> String {
    let mut v = leaf;
    for s in path.iter().rev() {
        v = match s {
            Seg::Key(k) => Value::Table([(k.clone(), v)].into_iter().collect()),
            Seg::Elem => Value::Array(vec![v]),
            Seg::Entry => Value::Table([(ENTRY.to_string(), v)].into_iter().collect()),
        };
    }
    let Value::Table(t) = v else {
        unreachable!("paths start at the top-level table")
    };
    toml::to_string(&t).expect("a probe serializes")
}

/// The message for a probe, if the parser refuses it.
fn probe_message(path: &[Seg], leaf: Value) -> Option<String> {
    let text = probe_text(path, leaf);
    match scenario::parse_file("probe.toml", &text) {
        Ok(_) => None,
        Err(e) => {
            let d = e.diagnostics();
            assert_eq!(d.len(), 1, "one problem at a time while deserializing:\n{e}");
            Some(d[0].message.clone())
        }
    }
}

/// The keys of the table at `path`, if a table is there: from the message for an unknown key.
fn keys_of(path: &[Seg]) -> Option<Vec<String>> {
    let mut at = path.to_vec();
    at.push(Seg::Key(PROBE.into()));
    let m = probe_message(&at, Value::Integer(1))?;
    if !m.starts_with(&format!("unknown key `{PROBE}`")) {
        return None;
    }
    if m.ends_with("(this table takes no keys)") {
        return Some(Vec::new());
    }
    let list = m
        .rsplit_once("(valid keys: ")
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("an unknown key's message lists the valid keys: {m}"));
    Some(list.split(", ").map(str::to_string).collect())
}

/// The named values of the key at `path` (an enum, or a list or table of them), if it has
/// any: from the message for an unknown value.
fn values_of(path: &[Seg]) -> Option<Vec<String>> {
    let word = || Value::String(PROBE.into());
    let shapes = [
        word(),
        Value::Array(vec![word()]),
        Value::Table([(ENTRY.to_string(), word())].into_iter().collect()),
    ];
    shapes.into_iter().find_map(|leaf| {
        let m = probe_message(path, leaf)?;
        let rest = m.strip_prefix(&format!("unknown value `{PROBE}`"))?;
        let list = rest
            .rsplit_once("(expected one of: ")
            .or_else(|| rest.rsplit_once("(expected: "))
            .and_then(|(_, l)| l.strip_suffix(')'))
            .unwrap_or_else(|| panic!("an unknown value's message lists the valid ones: {m}"));
        Some(list.split(", ").map(str::to_string).collect())
    })
}

/// One table of the format: where, its keys, and the named values of those that have them.
#[derive(Debug)]
struct Table {
    path: Vec<Seg>,
    keys: Vec<String>,
    values: BTreeMap<String, Vec<String>>,
}

/// Every table of the format, found from the top level down.
fn tables() -> Vec<Table> {
    let mut out: Vec<Table> = Vec::new();
    let mut todo: Vec<Vec<Seg>> = vec![Vec::new()];
    while let Some(path) = todo.pop() {
        assert!(path.len() < 12, "tables nest this deep? {}", dotted(&path));
        let keys = keys_of(&path).unwrap_or_else(|| panic!("no table at `{}`", dotted(&path)));
        let mut values = BTreeMap::new();
        for k in &keys {
            let mut at = path.clone();
            at.push(Seg::Key(k.clone()));
            let child = [vec![], vec![Seg::Elem], vec![Seg::Entry]]
                .into_iter()
                .find_map(|shape| {
                    let mut c = at.clone();
                    c.extend(shape);
                    keys_of(&c).map(|_| c)
                });
            match child {
                Some(c) => todo.push(c),
                None => {
                    if let Some(v) = values_of(&at) {
                        values.insert(k.clone(), v);
                    }
                }
            }
        }
        out.push(Table { path, keys, values });
    }
    out.sort_by_key(|t| dotted(&t.path));
    out
}

// ---------------------------------------------------------------------------------------------
// The reference's examples
// ---------------------------------------------------------------------------------------------

/// Each ```toml block of the reference: the line its text starts on, and its text.
fn toml_blocks(doc: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (i, line) in doc.lines().enumerate() {
        match &mut open {
            None if line.trim_end() == "```toml" => open = Some((i + 2, String::new())),
            None => {}
            Some(_) if line.trim_end() == "```" => out.extend(open.take()),
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    assert!(open.is_none(), "a ```toml block is never closed");
    out
}

/// What a fragment is laid over: the least a scenario needs, with two services (so that
/// per-service thresholds apply) named as the reference's prose names them.
const BASE: &str = r#"
[[workload.phases]]
name = "steady"
duration = "60s"
rate = 20

[[backend.services]]
name = "orders"
apis = ["create", "status"]
workers = 4
service_time = "40ms"

[[backend.services]]
name = "billing"
workers = 4
service_time = "40ms"
"#;

/// `over` laid on `base`: tables merged key by key, any other value (a list of tables
/// included) replacing the base's.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(Value::Table(b)), Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Loads `text` as a scenario: valid, and nothing noted.
fn assert_loads(what: &str, text: &str) {
    match scenario::parse("example.toml", text) {
        Ok(s) => {
            let notes = s.warnings();
            assert!(notes.is_empty(), "{what} loads with notes:\n{notes:#?}\n{text}");
            // The check's own notes (a phase past the backend's capacity outside a trigger)
            // come from its summary, not from the warnings.
            let summary = scenario::check_summary(&s);
            assert!(
                !summary.contains("note:"),
                "{what} is checked with notes:\n{summary}\n{text}"
            );
        }
        Err(e) => panic!("{what} does not load:\n{e}\n--- as loaded:\n{text}"),
    }
}

#[test]
fn every_example_in_the_reference_loads() {
    let doc = reference();
    let blocks = toml_blocks(&doc);
    let complete = blocks.iter().filter(|(_, t)| t.starts_with(COMPLETE)).count();
    assert!(
        complete >= 1,
        "the reference starts with a complete example (a ```toml block whose first line is `{COMPLETE}`)"
    );
    assert!(blocks.len() > complete, "the reference has fragments too");
    for (line, text) in &blocks {
        if text.starts_with(COMPLETE) {
            assert_loads(&format!("the complete example at line {line}"), text);
        } else {
            let what = format!("the fragment at line {line}");
            let over: toml::Table = toml::from_str(text).unwrap_or_else(|e| panic!("{what} is not TOML: {e}"));
            let mut file: toml::Table = toml::from_str(BASE).expect("the base is TOML");
            merge(&mut file, over);
            let merged = toml::to_string(&file).expect("a table serializes");
            assert_loads(&what, &merged);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The reference names everything
// ---------------------------------------------------------------------------------------------

/// The reference's headings: (line index, level, text).
fn headings(lines: &[&str]) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut fenced = false;
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with("```") {
            fenced = !fenced;
        }
        if fenced {
            continue;
        }
        let level = l.chars().take_while(|c| *c == '#').count();
        if level > 0 && l[level..].starts_with(' ') {
            out.push((i, level, l[level..].trim().to_string()));
        }
    }
    out
}

/// A section of the reference: its heading and text.
struct Section {
    heading: String,
    /// Up to the next heading, whatever its level: the table's own keys are here.
    own: String,
    /// Up to the next heading of the same level or above: the subsections too.
    whole: String,
}

fn sections(doc: &str) -> Vec<Section> {
    let lines: Vec<&str> = doc.lines().collect();
    let hs = headings(&lines);
    hs.iter()
        .enumerate()
        .map(|(n, (i, level, heading))| {
            let next = hs.get(n + 1).map_or(lines.len(), |h| h.0);
            let end = hs[n + 1..].iter().find(|h| h.1 <= *level).map_or(lines.len(), |h| h.0);
            Section {
                heading: heading.clone(),
                own: lines[*i + 1..next].join("\n"),
                whole: lines[*i + 1..end].join("\n"),
            }
        })
        .collect()
}

/// The sections whose heading names the table at `path`: `[P]`, `[[P]]` or `P`, in backticks.
fn sections_of<'a>(all: &'a [Section], path: &str) -> Vec<&'a Section> {
    let forms = [format!("`[{path}]`"), format!("`[[{path}]]`"), format!("`{path}`")];
    all.iter()
        .filter(|s| forms.iter().any(|f| s.heading.contains(f.as_str())))
        .collect()
}

/// Whether `text` has a row for the key `key`: a table line that starts `` | `key` | ``.
fn has_row(text: &str, key: &str) -> bool {
    let start = format!("| `{key}` |");
    text.lines().any(|l| l.starts_with(&start))
}

/// Whether `text` names the value `v`: `"v"` (in a code span) or `` `v` ``.
fn names_value(text: &str, v: &str) -> bool {
    text.contains(&format!("\"{v}\"")) || text.contains(&format!("`{v}`"))
}

/// What the reference leaves out, one line each.
fn missing_from(doc: &str) -> Vec<String> {
    let all = sections(doc);
    let mut missing = Vec::new();
    for t in tables() {
        let path = dotted(&t.path);
        if path.is_empty() {
            // The top-level tables: each has a heading of its own.
            for k in &t.keys {
                let named = all
                    .iter()
                    .any(|s| s.heading.contains(&format!("`[{k}]`")) || s.heading.contains(&format!("`[[{k}]]`")));
                if !named {
                    missing.push(format!("no heading names the top-level table `[{k}]` (or `[[{k}]]`)"));
                }
            }
            continue;
        }
        let secs = sections_of(&all, &path);
        if secs.is_empty() {
            missing.push(format!(
                "no heading names the table `{path}` (as `[{path}]`, `[[{path}]]` or `{path}`)"
            ));
            continue;
        }
        for k in &t.keys {
            if !secs.iter().any(|s| has_row(&s.own, k)) {
                missing.push(format!("`{path}.{k}`: no row in the section of `{path}`"));
            }
        }
        for (k, values) in &t.values {
            for v in values {
                if !secs.iter().any(|s| names_value(&s.whole, v)) {
                    missing.push(format!("`{path}.{k} = \"{v}\"`: not named in the section of `{path}`"));
                }
            }
        }
    }
    missing.extend(threshold_grammar_missing(&all));
    missing
}

/// The metrics, operators and groups of a threshold check, from the messages of the parser
/// for an unknown metric and a missing operator, each in the section of `[[thresholds]]`.
fn threshold_grammar_missing(all: &[Section]) -> Vec<String> {
    let refused = |check: &str| {
        let text = format!("{BASE}\n[[thresholds]]\ncheck = \"{check}\"\n");
        let e = scenario::parse("t.toml", &text).expect_err("an invalid check");
        let d = e.diagnostics();
        assert_eq!(d.len(), 1, "{e}");
        d[0].message.clone()
    };
    let m = refused("zz_probe >= 1");
    let (metrics, groups) = m
        .split_once("expected one of ")
        .and_then(|(_, rest)| rest.split_once("; or "))
        .unwrap_or_else(|| panic!("the message for an unknown metric lists them: {m}"));
    let groups = groups
        .split_once(", as ")
        .map(|(_, g)| g)
        .unwrap_or_else(|| panic!("the message for an unknown metric lists the groups: {m}"));
    let m2 = refused("p99 2s");
    let ops = m2
        .split_once("(op one of ")
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(ops, _)| ops)
        .unwrap_or_else(|| panic!("the message for a missing operator lists them: {m2}"));
    let secs = sections_of(all, "thresholds");
    let mut missing = Vec::new();
    let mut need = |what: &str, form: String| {
        if !secs.iter().any(|s| s.whole.contains(&form)) {
            missing.push(format!(
                "threshold {what} {form}: not in the section of `[[thresholds]]`"
            ));
        }
    };
    for metric in metrics.split(", ") {
        need("metric", format!("`{metric}`"));
    }
    for op in ops.split(", ") {
        need("operator", format!("`{op}`"));
    }
    for group in groups.split(", ") {
        need("group", format!("`{group}`"));
    }
    need("group", "`service[*]`".to_string());
    assert!(
        metrics.split(", ").count() >= 10 && ops.split(", ").count() >= 5,
        "{m}\n{m2}"
    );
    missing
}

#[test]
fn the_reference_names_every_key_value_and_metric() {
    let found = tables();
    // The probes work: the format has these at least (a change in the parser's wording that
    // broke them would otherwise find nothing and pass).
    let paths: Vec<String> = found.iter().map(|t| dotted(&t.path)).collect();
    for p in [
        "",
        "run",
        "workload.phases",
        "gateway.services.NAME",
        "backend.services.faults.outages",
        "thresholds",
    ] {
        assert!(paths.iter().any(|x| x == p), "no table `{p}` found; found {paths:?}");
    }
    assert!(found.len() >= 30, "{paths:?}");
    assert!(found.iter().map(|t| t.keys.len()).sum::<usize>() >= 120);
    let missing = missing_from(&reference());
    assert!(
        missing.is_empty(),
        "docs/scenario-format.md leaves out {} thing(s) the scenario format accepts:\n  {}",
        missing.len(),
        missing.join("\n  ")
    );
}

/// The check itself notices a key left out: the reference without one key's row is incomplete.
#[test]
fn a_key_left_out_is_noticed() {
    let doc = reference();
    let row = doc
        .lines()
        .find(|l| l.starts_with("| `upstream_timeout` |"))
        .expect("the reference has a row for gateway.upstream_timeout");
    let without = doc.replace(&format!("{row}\n"), "");
    let missing = missing_from(&without);
    assert_eq!(
        missing,
        vec!["`gateway.upstream_timeout`: no row in the section of `gateway`".to_string()]
    );
}
