//! Key paths into a scenario file's JSON tree: set and read, a service entry by its name, and
//! the wildcards that stand for one key per service.

use model::scenario::{self, Scenario};
use serde_json::Value;

/// Whether `index`, inside `backend.services[...]`, names an entry rather than counting one.
pub(super) fn is_entry_name(index: &str) -> bool {
    index != "*" && index.parse::<usize>().is_err() && !index.is_empty() && !index.contains(['[', '"'])
}

/// `path` with `backend.services[NAME]` written as the index of the entry named NAME in
/// `tree` (as TOML lists them, from 0); other paths unchanged. The entry is a line of the file:
/// a member of a `count = N` entry (`legacy-3` of `legacy`) is no entry of its own, and an
/// unknown name is an error listing the entries' names.
fn resolve_entry(tree: &Value, path: &str) -> Result<String, String> {
    let Some(rest) = path.strip_prefix("backend.services[") else {
        return Ok(path.to_string());
    };
    let Some((name, tail)) = rest.split_once(']') else {
        return Ok(path.to_string());
    };
    if !is_entry_name(name) {
        return Ok(path.to_string());
    }
    let entries = tree
        .get("backend")
        .and_then(|b| b.get("services"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let entry_name = |e: &Value| e.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
    if let Some(i) = entries.iter().position(|e| entry_name(e) == name) {
        return Ok(format!("backend.services[{i}]{tail}"));
    }
    // A member of a group: `legacy-3` of `name = "legacy"`, `count = 10`.
    let group = entries.iter().find(|e| {
        let count = e.get("count").and_then(Value::as_u64).unwrap_or(0);
        name.strip_prefix(&format!("{}-", entry_name(e)))
            .and_then(|n| n.parse::<u64>().ok())
            .is_some_and(|n| (1..=count).contains(&n))
    });
    if let Some(g) = group {
        let g = entry_name(g);
        return Err(format!(
            "`{path}`: `{name}` is one of the services of the entry `{g}` (its `count`), not an entry of its own: vary the whole entry, backend.services[{g}]{tail}"
        ));
    }
    let names: Vec<String> = entries.iter().map(entry_name).collect();
    Err(format!(
        "`{path}`: the file has no service entry named `{name}` (its entries: {})",
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    ))
}

/// Sets `path` (e.g. `workload.phases[1].rate`, `backend.services[billing].workers`) in a
/// JSON tree.
pub(super) fn set_path(root: &mut Value, path: &str, v: Value) -> Result<(), String> {
    let resolved = resolve_entry(root, path)?;
    let segs = scenario::locate::parse_path(&resolved);
    let mut cur = root;
    for (i, seg) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        cur = match seg {
            scenario::locate::Seg::Key(k) => {
                let obj = cur
                    .as_object_mut()
                    .ok_or_else(|| format!("`{path}`: `{k}` is not inside a table"))?;
                if last {
                    obj.insert(k.clone(), v);
                    return Ok(());
                }
                // A missing table is made on the way; a missing list cannot be indexed.
                if let (false, Some(scenario::locate::Seg::Index(n))) = (obj.contains_key(k), segs.get(i + 1)) {
                    return Err(format!(
                        "`{path}`: the file has no `{k}` list there to take item [{n}] of: vary it once it is written in the file"
                    ));
                }
                obj.entry(k.clone())
                    .or_insert_with(|| Value::Object(Default::default()))
            }
            scenario::locate::Seg::Index(n) => {
                let arr = cur
                    .as_array_mut()
                    .ok_or_else(|| format!("`{path}`: [{n}] is not inside a list"))?;
                let len = arr.len();
                let slot = arr.get_mut(*n).ok_or_else(|| {
                    let items = if len == 0 {
                        "none".to_string()
                    } else {
                        format!("{len}, indexes 0 to {}", len - 1)
                    };
                    format!("`{path}`: index {n} out of range (the list has {items})")
                })?;
                if last {
                    *slot = v;
                    return Ok(());
                }
                slot
            }
        };
    }
    Err(format!("`{path}`: empty path"))
}

/// The field `key` names in `base`'s file, as path segments: quotes removed
/// (`"gateway".concurrency` is `gateway.concurrency`) and a service entry named by its name
/// (`backend.services[a]`) by its index, so two spellings of one field compare equal. A name
/// the file does not have stays as written (setting it is refused with why).
pub fn canonical_path(base: &Scenario, key: &str) -> Vec<scenario::locate::Seg> {
    let resolved = serde_json::to_value(&base.file)
        .ok()
        .and_then(|tree| resolve_entry(&tree, key).ok());
    match resolved {
        // A wildcard (`backend.services[*]`) is no single field: kept as written.
        Some(path) if !path.contains("[*]") => scenario::locate::parse_path(&path),
        _ => vec![scenario::locate::Seg::Key(key.to_string())],
    }
}

/// The value at `path` in a JSON tree, if any.
pub(super) fn get_path<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    let path = resolve_entry(root, path).ok()?;
    scenario::locate::parse_path(&path)
        .iter()
        .try_fold(root, |cur, seg| match seg {
            scenario::locate::Seg::Key(k) => cur.get(k.as_str()),
            scenario::locate::Seg::Index(n) => cur.get(*n),
        })
}

/// Whether `key` stands for one key per service (see [`expand_key`]).
pub(super) fn is_wildcard(key: &str) -> bool {
    key.starts_with("gateway.services.*.")
        || key.starts_with("clients.services.*.")
        || key.starts_with("backend.services[*]")
}

/// The paths a key sets in `tree` (a scenario file as JSON, with the point's other settings
/// applied): itself, or with `gateway.services.*.` (`clients.services.*.`) one per entry of
/// `backend.services` (by its name, a group's for `count = N`, quoted) and per table
/// `[gateway.services]` (`[clients.services]`) already has, and with `backend.services[*]` one
/// per entry.
/// Sizing ten services is then one axis, not ten (whose grid is the product of them all).
pub(super) fn expand_key(tree: &Value, key: &str) -> Vec<String> {
    let entries = tree
        .get("backend")
        .and_then(|b| b.get("services"))
        .and_then(Value::as_array);
    let per_service = ["gateway", "clients"].into_iter().find_map(|section| {
        key.strip_prefix(&format!("{section}.services.*."))
            .map(|rest| (section, rest))
    });
    if let Some((section, rest)) = per_service {
        // Also every table the file already has (one member of a group's, say), which would
        // otherwise win over its group's.
        let mut names: Vec<&str> = entries
            .into_iter()
            .flatten()
            .filter_map(|e| e.get("name").and_then(Value::as_str))
            .collect();
        let tables = tree
            .get(section)
            .and_then(|g| g.get("services"))
            .and_then(Value::as_object);
        for n in tables.into_iter().flat_map(|t| t.keys()) {
            if !names.contains(&n.as_str()) {
                names.push(n);
            }
        }
        return names
            .into_iter()
            .map(|name| {
                let name = name.replace('\\', "\\\\").replace('"', "\\\"");
                format!("{section}.services.\"{name}\".{rest}")
            })
            .collect();
    }
    if let Some(rest) = key.strip_prefix("backend.services[*]") {
        return (0..entries.map_or(0, Vec::len))
            .map(|i| format!("backend.services[{i}]{rest}"))
            .collect();
    }
    // An entry by name, by its index: so a key naming it and a wildcard over every entry are
    // seen to set the same field (which wins is decided in [`variant_dropping`]).
    vec![resolve_entry(tree, key).unwrap_or_else(|_| key.to_string())]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Varying an item of a list the file does not have says so, not "[0] is not inside a list"
    /// (a phase without `extra`); missing tables are still made on the way.
    #[test]
    fn a_path_into_a_missing_list_says_the_list_is_missing() {
        let mut tree: Value = serde_json::json!({ "workload": { "phases": [{ "rate": 1.0 }] } });
        let e = set_path(&mut tree, "workload.phases[0].extra[0].rate", Value::from(5.0)).unwrap_err();
        assert_eq!(
            e,
            "`workload.phases[0].extra[0].rate`: the file has no `extra` list there to take item [0] of: vary it once it is written in the file"
        );
        set_path(&mut tree, "gateway.codel.target", Value::from("5ms")).expect("tables are made");
        assert_eq!(tree["gateway"]["codel"]["target"], "5ms");
        let e = set_path(&mut tree, "workload.phases[3].rate", Value::from(5.0)).unwrap_err();
        assert!(
            e.contains("index 3 out of range (the list has 1, indexes 0 to 0)"),
            "{e}"
        );
    }
}
