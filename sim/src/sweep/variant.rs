//! A scenario variant: a point's settings applied and validated, with the ones its strategy
//! drops and the ones other settings override.

use super::axis::{describe, Axis};
use super::key_path::{expand_key, get_path, is_wildcard, set_path};
use model::scenario::{self, Scenario, ScenarioFile};
use serde_json::Value;

/// A scenario variant, and the assigned keys its strategy does not take (a queue bound for
/// fifo, a concurrency limit for passthrough): the strategy drops them, so they change nothing.
pub struct Variant {
    pub scenario: Scenario,
    pub ignored: Vec<String>,
    /// Assigned keys that change nothing because everything they set is overridden (see
    /// [`Overridden`]).
    pub overridden: Vec<Overridden>,
}

/// An assignment whose every write is replaced by another assignment's, or is a gateway
/// table no service reads (each service it would reach has its own value, from the file or an
/// axis): its value changes nothing.
#[derive(Clone, Debug, PartialEq)]
pub struct Overridden {
    pub key: String,
    /// The assignments that set what it set again.
    pub by: Vec<String>,
    /// Some of what it set stands but no service reads it: the assignments that set services'
    /// own tables (besides the file's).
    pub shadowed_by: Option<Vec<String>>,
}

/// The path, within a value set by `--set`/`--vary`, of the first list where the parsed file
/// has a table ("" for the value itself): serde reads a table from a list by position.
pub(super) fn list_where_table(set: &Value, parsed: &Value) -> Option<String> {
    match (set, parsed) {
        (Value::Array(_), Value::Object(_)) => Some(String::new()),
        (Value::Object(fields), Value::Object(parsed)) => fields
            .iter()
            .find_map(|(k, v)| Some(join_path(k, &list_where_table(v, parsed.get(k)?)?))),
        (Value::Array(items), Value::Array(parsed)) => items
            .iter()
            .zip(parsed)
            .enumerate()
            .find_map(|(i, (v, p))| Some(join_path(&format!("[{i}]"), &list_where_table(v, p)?))),
        _ => None,
    }
}

/// Whether the field at `path` of the scenario tree `tree` is a table: the parser, given a
/// `true` there, expects a struct or a map.
fn takes_a_table(tree: &Value, path: &str) -> bool {
    let mut probe = tree.clone();
    if set_path(&mut probe, path, Value::Bool(true)).is_err() {
        return false;
    }
    match serde_json::from_value::<ScenarioFile>(probe) {
        Ok(_) => false,
        Err(e) => {
            let m = e.to_string();
            m.contains("expected struct") || m.contains("expected a map")
        }
    }
}

/// `outer` then `inner` as one key path (`a` + `b` is `a.b`, `a` + `[0]` is `a[0]`).
fn join_path(outer: &str, inner: &str) -> String {
    match inner {
        "" => outer.to_string(),
        _ if inner.starts_with('[') || outer.is_empty() => format!("{outer}{inner}"),
        _ => format!("{outer}.{inner}"),
    }
}

/// Per assignment, per path it sets (`paths`, from [`expand_key`]): the assignments that set
/// that path again afterwards, or a table holding it, in the order [`variant_dropping`]
/// writes: wildcards, then specific keys (their last write). Empty for a write that stands.
fn later_writers(assignments: &[(String, Value)], paths: &[Vec<String>]) -> Vec<Vec<Vec<usize>>> {
    let segs: Vec<Vec<Vec<scenario::locate::Seg>>> = paths
        .iter()
        .map(|ps| ps.iter().map(|p| scenario::locate::parse_path(p)).collect())
        .collect();
    let order = |i: usize| (!is_wildcard(&assignments[i].0), i);
    (0..assignments.len())
        .map(|i| {
            segs[i]
                .iter()
                .map(|p| {
                    (0..assignments.len())
                        .filter(|&j| order(j) > order(i) && segs[j].iter().any(|q| p.starts_with(q)))
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// Whether `value` written at `path` is read for some service: a gateway-wide limit, bound or
/// queue timeout only by services without their own (`[gateway.services.NAME]`, or their
/// group's), a group's table only by members without their own of the fields it sets; anything
/// else is read.
fn reaches_a_service(
    g: &model::scenario::GatewayConfig,
    services: &[model::scenario::ServiceSpec],
    path: &str,
    value: &Value,
) -> bool {
    use scenario::locate::Seg::Key;
    // The settings a service's own table overrides, by section.
    let fields = |section: &str| -> &'static [&'static str] {
        match section {
            "gateway" => &["concurrency", "queue_capacity", "queue_timeout"],
            // None for the clients: every timeout the file gives bounds an intent's lifetime
            // (`model::client::intent_lifetime_bound`, the Retry-After cut-off), so even one
            // that every service overrides changes a run.
            _ => &[],
        }
    };
    let own = |section: &str, table: &str, field: &str| match section {
        "gateway" => g.services.get(table).is_some_and(|o| match field {
            "concurrency" => o.concurrency.is_some(),
            "queue_capacity" => o.queue_capacity.is_some(),
            "queue_timeout" => o.queue_timeout.is_some(),
            _ => false,
        }),
        _ => false,
    };
    let segs = scenario::locate::parse_path(path);
    match segs.as_slice() {
        [Key(a), Key(field)] if fields(a).contains(&field.as_str()) => {
            services.is_empty()
                || services
                    .iter()
                    .any(|sv| !own(a, &sv.name, field) && !own(a, &sv.group, field))
        }
        [Key(a), Key(b), Key(table), rest @ ..] if !fields(a).is_empty() && b == "services" => {
            let overridable = fields(a);
            let set: Vec<&str> = match (rest, value.as_object()) {
                // A whole table: the fields it sets (a member's own concurrency does not
                // shadow a table that sets only the queue bound).
                ([], Some(t)) if t.keys().all(|f| overridable.contains(&f.as_str())) => {
                    t.keys().map(String::as_str).collect()
                }
                ([], _) => overridable.to_vec(),
                ([Key(field), ..], _) => vec![field.as_str()],
                _ => return true,
            };
            services
                .iter()
                .any(|sv| sv.name == *table || (sv.group == *table && set.iter().any(|f| !own(a, &sv.name, f))))
        }
        _ => true,
    }
}

/// The scenario with `assignments` applied, validated; assignments the strategy does not take
/// are dropped and listed (a grid crosses every strategy with every queue bound).
pub fn variant_dropping(base: &Scenario, assignments: &[(String, Value)]) -> Result<Variant, String> {
    let mut tree = serde_json::to_value(&base.file).map_err(|e| e.to_string())?;
    // The point's own settings first, then the wildcards over its services (a `count` or a
    // name it sets changes them), then its own again: a key naming one service wins over a
    // wildcard for every service, whatever the order of the axes.
    let specific: Vec<&(String, Value)> = assignments.iter().filter(|(k, _)| !is_wildcard(k)).collect();
    for (k, v) in &specific {
        set_path(&mut tree, k, v.clone())?;
    }
    let paths: Vec<Vec<String>> = assignments.iter().map(|(k, _)| expand_key(&tree, k)).collect();
    for ((k, v), paths) in assignments.iter().zip(&paths) {
        if is_wildcard(k) {
            for path in paths {
                set_path(&mut tree, path, v.clone())?;
            }
        }
    }
    for (k, v) in &specific {
        set_path(&mut tree, k, v.clone())?;
    }
    // Kept for the probe below (a list read as a table may leave no trace in the parsed file).
    let set_tree = tree.clone();
    let mut file: ScenarioFile = serde_json::from_value(tree).map_err(|e| {
        // serde_json's error has no path: the assignment that fails on its own names it
        // (`gateway.concurrency=-1` said only "expected a non-negative integer").
        let hint = assignments.iter().find_map(|(k, _)| dotted_name_hint(base, k));
        let hint = hint.map(|h| format!(" ({h})")).unwrap_or_default();
        match blame(base, assignments) {
            Some((key, e)) => format!("{}: {key}: {}{hint}", describe(assignments), scenario::reword(&e, key)),
            None => {
                let path = assignments.first().map_or("", |(k, _)| k.as_str());
                format!(
                    "{}: {}{hint}",
                    describe(assignments),
                    scenario::reword(&e.to_string(), path)
                )
            }
        }
    })?;
    let before = serde_json::to_value(&file).map_err(|e| e.to_string())?;
    // serde reads a table from a list by position (`run=[]` reset the seed, every field at its
    // default): a list set where the parsed file has a table is refused.
    // Inside a table given whole too (`gateway={ adaptive = [] }`).
    for ((k, v), paths) in assignments.iter().zip(&paths) {
        if let Some(inner) = paths
            .iter()
            .find_map(|p| get_path(&before, p).and_then(|parsed| list_where_table(v, parsed)))
        {
            let at = join_path(k, &inner);
            let how = if inner.is_empty() {
                format!("{k}={{ key = value, ... }}")
            } else {
                "a table there: { key = value, ... }".to_string()
            };
            return Err(format!(
                "{}: {at}: expected a table, got a list: write {how}",
                describe(assignments)
            ));
        }
        // A table left at its defaults by the list may not be written back at all
        // (`clients.request=[]`: an empty request table is skipped): what the field takes is
        // then asked of the parser, with a value no field takes.
        if v.is_array()
            && paths
                .iter()
                .any(|p| get_path(&before, p).is_none() && takes_a_table(&set_tree, p))
        {
            return Err(format!(
                "{}: {k}: expected a table, got a list: write {k}={{ key = value, ... }}",
                describe(assignments)
            ));
        }
    }
    file.gateway.normalize();
    let after = serde_json::to_value(&file).map_err(|e| e.to_string())?;
    let ignored = assignments
        .iter()
        .zip(&paths)
        .filter(|((k, _), paths)| {
            paths.iter().any(|p| get_path(&before, p) != get_path(&after, p)) || !file.gateway.reads_table_of(k)
        })
        .map(|((k, _), _)| k.clone())
        .collect();
    // Before bounds are sized: a sized bound is no setting of the user's to override one.
    let gateway = file.gateway.clone();
    let mut scenario =
        scenario::resolve_sizing_bounds(&base.source, file).map_err(|e| format!("{}: {e}", describe(assignments)))?;
    // A varied duration or window is the user's, as if written in the file; so are the base's.
    scenario.given = base.given.with_changed(assignments.iter().map(|(k, _)| k.as_str()));
    scenario::check_given_timeline(&scenario).map_err(|e| format!("{}: {e}", describe(assignments)))?;
    let later = later_writers(assignments, &paths);
    let overridden = assignments
        .iter()
        .zip(paths.iter().zip(&later))
        .filter(|(_, (mine, _))| !mine.is_empty())
        .filter_map(|((k, v), (mine, later))| {
            let standing: Vec<&String> = mine
                .iter()
                .zip(later)
                .filter(|(_, l)| l.is_empty())
                .map(|(p, _)| p)
                .collect();
            if standing
                .iter()
                .any(|p| reaches_a_service(&gateway, &scenario.services, p, v))
            {
                return None;
            }
            let keys = |js: &mut dyn Iterator<Item = usize>| {
                let mut out: Vec<String> = Vec::new();
                for j in js {
                    if !out.contains(&assignments[j].0) {
                        out.push(assignments[j].0.clone());
                    }
                }
                out
            };
            let tables = |j: &usize| {
                assignments[*j].0 != *k
                    && paths[*j]
                        .iter()
                        .any(|p| p.starts_with("gateway.services.") || p.starts_with("clients.services."))
            };
            Some(Overridden {
                key: k.clone(),
                by: keys(&mut later.iter().flatten().copied()),
                shadowed_by: (!standing.is_empty()).then(|| keys(&mut (0..assignments.len()).filter(tables))),
            })
        })
        .collect();
    Ok(Variant {
        scenario,
        ignored,
        overridden,
    })
}

/// How to write `key` when it names a service with a dot in its name unquoted:
/// `gateway.services.api.v2.concurrency` is a key `v2` of a service `api`, and was refused as
/// "unknown key `v2`" with no word of `api.v2`, the service the file has.
fn dotted_name_hint(base: &Scenario, key: &str) -> Option<String> {
    use scenario::locate::Seg;
    let segs = scenario::locate::parse_path(key);
    let [Seg::Key(section), Seg::Key(services), rest @ ..] = segs.as_slice() else {
        return None;
    };
    if !matches!(section.as_str(), "gateway" | "clients") || services != "services" {
        return None;
    }
    let keys: Vec<&str> = rest
        .iter()
        .map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        })
        .collect::<Option<_>>()?;
    let known = |name: &str| base.services.iter().any(|s| s.name == name || s.group == name);
    // The longest name first: `a.b.c` over `a.b` when the file has both.
    (2..keys.len()).rev().find_map(|n| {
        let name = keys[..n].join(".");
        known(&name).then(|| {
            let field: Vec<String> = keys[n..].iter().map(|k| scenario::locate::key(k)).collect();
            format!(
                "the service `{name}` has a dot in its name: quote it, '{section}.services.{}.{}'",
                scenario::locate::key(&name),
                field.join(".")
            )
        })
    })
}

/// The first of `assignments` that makes `base`'s file unreadable on its own, with serde's
/// error: which key a point's failure is of. `None` when only several together fail.
fn blame<'a>(base: &Scenario, assignments: &'a [(String, Value)]) -> Option<(&'a str, String)> {
    let tree = serde_json::to_value(&base.file).ok()?;
    assignments.iter().find_map(|(k, v)| {
        let mut t = tree.clone();
        for path in expand_key(&tree, k) {
            set_path(&mut t, &path, v.clone()).ok()?;
        }
        serde_json::from_value::<ScenarioFile>(t)
            .err()
            .map(|e| (k.as_str(), e.to_string()))
    })
}

/// Refuses, naming `flag` and the key, an axis whose path does not reach into `base`'s file:
/// an index past the end of a list (`workload.phases[5]` of three), a list the file does not
/// have, a field inside a value that is no table. Checked once per axis, before the grid:
/// every point would fail alike. (An axis cannot lengthen a list another indexes: one axis
/// inside another's value is refused.)
pub fn check_paths(base: &Scenario, flag: &str, axes: &[Axis]) -> Result<(), String> {
    let tree = serde_json::to_value(&base.file).map_err(|e| e.to_string())?;
    for a in axes {
        let Some(v) = a.values.first() else { continue };
        let mut t = tree.clone();
        for path in expand_key(&tree, &a.key) {
            set_path(&mut t, &path, v.clone()).map_err(|e| {
                let e = e.strip_prefix(&format!("`{}`: ", a.key)).unwrap_or(&e);
                format!("{flag} {}: {e}", a.key)
            })?;
        }
    }
    Ok(())
}

/// The scenario with `assignments` applied, validated; an assignment the strategy does not
/// take is an error, as it is in a scenario file.
pub fn variant(base: &Scenario, assignments: &[(String, Value)]) -> Result<Scenario, String> {
    let v = variant_dropping(base, assignments)?;
    match v.ignored.first() {
        None => Ok(v.scenario),
        Some(key) => Err(format!(
            "`{key}`: {}",
            not_taken(v.scenario.file.gateway.strategy.as_str(), key)
        )),
    }
}

/// Why `strategy` does not take `key` (one of the keys [`model::scenario::GatewayConfig::normalize`] drops).
pub(super) fn not_taken(strategy: &str, key: &str) -> String {
    match key {
        "gateway.queue_capacity" => format!(
            "strategy \"{strategy}\" has no queue bound (unbounded by design): set gateway.strategy to \"bounded\" (or deadline, codel, lifo, adaptive) with it (`--strategy bounded` on `sim run`)"
        ),
        "gateway.concurrency" => format!("strategy \"{strategy}\" has no concurrency limit"),
        k if k.starts_with("gateway.codel.") => {
            format!("[gateway.codel] applies only under strategy \"codel\" or \"adaptive-lifo\", not \"{strategy}\"")
        }
        k if k.starts_with("gateway.adaptive.") => {
            format!("[gateway.adaptive] applies only under strategy \"adaptive\", not \"{strategy}\"")
        }
        _ => format!("strategy \"{strategy}\" does not take it"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_apply_and_validate() {
        let base = scenario::parse("t.toml", "[[workload.phases]]\nduration = \"10s\"\nrate = 5\n[[workload.phases]]\nduration = \"10s\"\nrate = 5\n[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n").unwrap();
        let v = variant(
            &base,
            &[
                ("workload.phases[1].rate".into(), Value::from(50)),
                ("gateway.strategy".into(), Value::from("deadline")),
                ("clients.timeout".into(), Value::from("3s")),
            ],
        )
        .unwrap();
        assert_eq!(v.phases[1].rate_start, 50.0);
        assert_eq!(v.file.gateway.strategy, model::scenario::Strategy::Deadline);
        let e = variant(&base, &[("gateway.concurrency".into(), Value::from(0))]).unwrap_err();
        assert!(e.contains("gateway.concurrency") && e.contains(">= 1"), "{e}");
        assert!(variant(&base, &[("workload.phases[5].rate".into(), Value::from(1))])
            .unwrap_err()
            .contains("out of range"));
    }
}
