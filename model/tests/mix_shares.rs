//! A mix weight (or a phase's extra rate) > 0 whose share of a service or API rounds to 0:
//! refused naming the field, where it passed as > 0 and the service got no intents.

mod common;

use common::parse;

/// One phase, a mix entry of `weight` to `to`, an extra of `extra` intents/s to `to`, and the
/// services: `legacy` x2 (a counted group) and `a` with APIs weighed 1 and 1.
fn file(weight: &str, extra: &str, to: &str) -> Vec<String> {
    [
        "[[workload.phases]]".to_string(),
        "duration = \"10s\"".into(),
        "rate = 10".into(),
        format!("extra = [{{ service = \"{to}\", rate = {extra} }}]"),
        "[[workload.mix]]".into(),
        format!("service = \"{to}\""),
        format!("weight = {weight}"),
        "[[workload.mix]]".into(),
        "service = \"legacy\"".into(),
        "weight = 1".into(),
        "[[backend.services]]".into(),
        "name = \"legacy\"".into(),
        "count = 2".into(),
        "workers = 2".into(),
        "service_time = \"10ms\"".into(),
        "[[backend.services]]".into(),
        "name = \"a\"".into(),
        "apis = [\"x\", \"y\"]".into(),
        "api_weight = { x = 1, y = 1 }".into(),
        "workers = 2".into(),
        "service_time = \"10ms\"".into(),
    ]
    .to_vec()
}

fn problems(weight: &str, extra: &str, to: &str) -> Vec<String> {
    let lines = file(weight, extra, to);
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    match parse(&lines) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .diagnostics()
            .iter()
            .map(|d| format!("{}: {}", d.path, d.message))
            .collect(),
    }
}

#[test]
fn a_weight_whose_share_rounds_to_zero_is_refused() {
    for to in ["legacy", "a"] {
        let p = problems("5e-324", "0", to);
        let whom = if to == "a" { "`a` (API `x`)" } else { "`legacy-1`" };
        assert_eq!(
            p,
            [format!(
                "workload.mix[0].weight: 5e-324 is too small to share out: the part of it for service {whom} rounds to 0, so it would get no intents; give a larger value (weights are relative: scale them all up together)"
            )],
            "{to}"
        );
        let p = problems("1", "5e-324", to);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].starts_with("workload.phases[0].extra[0].rate: 5e-324 is too small to share out"),
            "{p:?}"
        );
        // Small, but each part is still a number above 0.
        assert_eq!(problems("1e-300", "1e-300", to), Vec::<String>::new(), "{to}");
    }
}
