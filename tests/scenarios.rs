//! The shipped scenarios say what they show: each header's `spillway compare` commands run in
//! the simulator and their expectations hold, so the numbers in the comments cannot rot.

use model::results::Verdict;
use std::process::Command;

/// The `spillway compare ...` commands in a file's comment header, continuation lines joined.
fn header_commands(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines().take_while(|l| l.starts_with('#') || l.is_empty()) {
        let body = line.trim_start_matches('#').trim();
        match current.as_mut() {
            Some(c) => c.push_str(body.trim_end_matches('\\').trim_end()),
            None if body.starts_with("spillway compare ") => {
                current = Some(body.trim_end_matches('\\').trim_end().to_string())
            }
            None => continue,
        }
        if !body.ends_with('\\') {
            out.extend(current.take());
        } else if let Some(c) = current.as_mut() {
            c.push(' ');
        }
    }
    out
}

/// Splits a shell command line with double quotes (all the headers use).
fn words(cmd: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut w = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in cmd.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut w));
                    any = false;
                }
            }
            c => {
                w.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(w);
    }
    out
}

#[test]
fn every_compare_command_in_a_scenario_header_holds() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out_root =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("spillway-headers-{}", std::process::id()));
    let mut ran = 0;
    for entry in std::fs::read_dir(format!("{root}/scenarios")).expect("scenarios/") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        for (i, cmd) in header_commands(&text).iter().enumerate() {
            let args = words(cmd);
            assert_eq!(args[..2], ["spillway", "compare"], "{cmd}");
            let out_dir = out_root.join(format!("{}-{i}", path.file_stem().unwrap().to_string_lossy()));
            let out = Command::new(env!("CARGO_BIN_EXE_spillway"))
                .args(&args[1..])
                .args(["-o", out_dir.to_str().unwrap()])
                .current_dir(root)
                .env_remove("GITHUB_STEP_SUMMARY")
                .output()
                .expect("spillway runs");
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}: `{cmd}`\n{}{}",
                path.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            ran += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&out_root);
    assert!(ran >= 6, "the headers carry compare commands ({ran} found)");
}

#[test]
fn header_commands_are_parsed_with_continuations() {
    let text = "# x\n#   spillway compare a.toml \\\n#     --expect \"b.p99 < 2s\"\n# y\n[run]\n";
    let cmds = header_commands(text);
    assert_eq!(cmds, ["spillway compare a.toml --expect \"b.p99 < 2s\""]);
    assert_eq!(
        words(&cmds[0]),
        ["spillway", "compare", "a.toml", "--expect", "b.p99 < 2s"]
    );
}

/// The one-bad-service report shows what the whole run hides: billing's goodput over time, and
/// a "behind" line naming billing in the fifo run's card (it recovers later than the run), none
/// in the bounded run's.
#[test]
fn the_one_bad_service_report_names_the_service_behind_the_run() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out_dir =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("spillway-one-bad-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_spillway"))
        .args([
            "compare",
            "scenarios/one-bad-service.toml",
            "--strategies",
            "fifo,bounded",
            "-o",
        ])
        .arg(&out_dir)
        .current_dir(root)
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .expect("spillway runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(out_dir.join("index.html")).expect("index.html");
    let card = |label: &str| {
        let start = html.find(&format!("<h2 id=\"run-{label}\"")).expect("the run's card");
        let end = html[start + 1..].find("<h2 ").map_or(html.len(), |e| start + 1 + e);
        html[start..end].to_string()
    };
    let (fifo, bounded) = (card("0"), card("1"));
    // The figure the card must show is the run's own, read from its results file (not one
    // copied from a past run, which any change to the simulator or the seed would falsify).
    let results = model::results::Results::load(&out_dir.join("fifo/results.json")).expect("fifo's results.json");
    let billing = &results.summary.services["billing"];
    assert_eq!(billing.verdict, Some(Verdict::Recovered), "{}", billing.verdict_reason);
    let recovery = billing
        .recovery_s
        .expect("billing recovered, so it has a recovery time");
    let whole = results.summary.whole.recovery_s.unwrap_or(0.0);
    assert!(
        recovery > whole,
        "billing recovers later than the run ({recovery} s vs {whole} s)"
    );
    let label = model::results::verdict_label(Verdict::Recovered, Some(recovery), billing.held);
    assert!(label.starts_with("recovered in "), "{label}");
    assert!(
        fifo.contains(&format!("behind</span> service billing: {label} (")),
        "expected billing's {label}: {fifo}"
    );
    assert!(!bounded.contains("behind</span>"), "{bounded}");
    assert!(fifo.contains("id=\"goodput-services-fifo\""));
    let svg = std::fs::read_to_string(out_dir.join("goodput-services-fifo.svg")).expect("the chart");
    assert!(svg.contains("billing") && svg.contains("whole run"));
    let _ = std::fs::remove_dir_all(&out_dir);
}

/// The first number after `after` in `text` (`78` in "about 78 ms").
fn number_after(text: &str, after: &str) -> f64 {
    let at = text.find(after).unwrap_or_else(|| panic!("`{after}` not in:\n{text}")) + after.len();
    let digits: String = text[at..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    digits.parse().unwrap_or_else(|_| panic!("no number after `{after}`"))
}

/// mixed-apis' header gives its mean service time, capacity and normal utilisation: they are
/// what `scenario check` computes from the file (lognormal means from median and p99, the 9:1
/// mix), to the header's rounding. It said ~78 ms, ~51 req/s and 78% where the file gives
/// 71.7 ms, 55.8/s and 72%.
#[test]
fn the_mixed_apis_header_numbers_are_the_files() {
    let root = env!("CARGO_MANIFEST_DIR");
    let file = "scenarios/mixed-apis.toml";
    let text = std::fs::read_to_string(format!("{root}/{file}")).expect("readable");
    let header: String = text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .map(|l| l.trim_start_matches('#').trim())
        .collect::<Vec<_>>()
        .join(" ");
    let out = Command::new(env!("CARGO_BIN_EXE_spillway"))
        .args(["scenario", "check", file])
        .current_dir(root)
        .output()
        .expect("spillway runs");
    let check = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{check}");
    let row = check
        .lines()
        .find(|l| l.trim_start().starts_with("legacy "))
        .expect("the service's row");
    let cols: Vec<&str> = row.split_whitespace().collect();
    let mean_ms: f64 = cols[3].trim_end_matches("ms").parse().expect("mean svc");
    let capacity: f64 = cols[4].parse().expect("capacity");
    let normal = number_after(&check, "legacy at");
    assert_eq!(number_after(&header, "about"), mean_ms.round(), "{header}\n{check}");
    assert_eq!(number_after(&header, "so ~"), capacity.round(), "{header}\n{check}");
    assert_eq!(
        number_after(&header, "Normal load is 40/s ("),
        normal,
        "{header}\n{check}"
    );
}
