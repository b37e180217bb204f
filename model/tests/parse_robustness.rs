//! Robustness of the scenario parser against mutated files: nothing panics, every refusal
//! names the file it was given (and a line of it), and a mutant that loads can be turned into
//! the model's parts (schedule, client model, gateway policies, backend service models,
//! recorder) and briefly driven without a panic either.
//!
//! Every shipped example (`scenarios/*.toml`, `bench/*.toml`) is mutated a fixed number of
//! times by a seeded ChaCha8 stream: lines deleted, duplicated or swapped, numbers replaced by
//! edge values, durations by extreme ones, strings by other keys' values or unknown names, the
//! text cut at a random char boundary, random bytes inserted. The run is deterministic and
//! bounded in count (see [`CASES_PER_FILE`]); work on a loaded mutant is bounded too.

use model::backend::{Admission, BackendRequest, Job, ServiceModel};
use model::client::{AttemptResult, ClientModel, Intent};
use model::gateway::{Arrival as GwArrival, Auth, PolicyConfig, RateLimiter, ServicePolicy};
use model::results::Recorder;
use model::rng::Streams;
use model::scenario::{self, Scenario};
use model::workload::{ClosedLoop, Schedule};
use model::Time;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Mutants per example file.
const CASES_PER_FILE: u32 = 1000;
/// Arrivals taken from a loaded mutant's schedule.
const MAX_ARRIVALS: usize = 1000;
/// Of those, how many are sent through each backend service model and gateway policy.
const MAX_DRIVEN: usize = 200;

/// Numbers a value may be replaced by.
const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1",
    "-0",
    "0.0",
    "1e308",
    "-1e308",
    "1e-308",
    "5e-324",
    "nan",
    "+nan",
    "-nan",
    "inf",
    "+inf",
    "-inf",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999999999",
    "0.0000000001",
    "0x7fffffff",
    "1_000_000",
];

/// Durations (quoted) a duration may be replaced by.
const DURATIONS: &[&str] = &[
    "\"99999999999h\"",
    "\"0s\"",
    "\"-1s\"",
    "\"0ns\"",
    "\"1ns\"",
    "\"18446744073709551615s\"",
    "\"18446744073709551616ns\"",
    "\"1e308s\"",
    "\"nans\"",
    "\"infs\"",
    "\"1.5e3ms\"",
    "\"0.000000001ns\"",
    "\"584y\"",
    "\"99999999999999999999d\"",
    "\"1h1h\"",
    "\"s\"",
    "\"\"",
    "\"5\"",
    "\"5 minutes\"",
    "\"1µs\"",
];

/// Names nobody defined.
const UNKNOWN_NAMES: &[&str] = &[
    "\"no-such-service\"",
    "\"NOPE\"",
    "\"\"",
    "\" \"",
    "\"../../etc/passwd\"",
    "\"a\\u0000b\"",
    "\"ü\u{200b}\u{202e}\"",
    "\"x\"",
];

/// Lines inserted whole.
const LINES: &[&str] = &[
    "[run]",
    "[workload]",
    "[[workload.phases]]",
    "[clients]",
    "[clients.retry]",
    "[gateway]",
    "[[backend.services]]",
    "[[thresholds]]",
    "[workload.closed]",
    "users = 1000000",
    "think_time = \"0s\"",
    "count = 1000",
    "apis = 100000",
    "workers = 4294967295",
    "rate = 1e9",
    "duration = \"99999999999h\"",
    "window = \"1ns\"",
    "unknown = 1",
    "x = [",
    "= 1",
    "[",
    "]]",
    "\"",
    "'''",
    "a.b.c = 1",
];

/// One `key = value` line: where the value starts.
fn value_start(line: &str) -> Option<usize> {
    let t = line.trim_start();
    if t.starts_with('#') || t.starts_with('[') {
        return None;
    }
    line.find('=').map(|i| i + 1)
}

/// Byte ranges of the numbers in `s` (digits with an optional sign, dot, exponent and `_`).
fn numbers(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut in_string = false;
    while i < b.len() {
        if b[i] == b'"' {
            in_string = !in_string;
        }
        let signed = (b[i] == b'-' || b[i] == b'+') && b.get(i + 1).is_some_and(u8::is_ascii_digit);
        if b[i].is_ascii_digit() || signed {
            let start = i;
            i += 1;
            while i < b.len() && (b[i].is_ascii_digit() || b"._eE".contains(&b[i])) {
                i += 1;
            }
            // Digits inside a string are part of a duration or a name: replaced too, which
            // makes "1e308s" and "-1ms" out of "35ms".
            out.push((start, i));
            continue;
        }
        i += 1;
    }
    out
}

/// Byte ranges of the double-quoted strings in `s` (quotes included).
fn strings(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut open = None;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match (open, c) {
            (Some(_), '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (Some(o), '"') if !escaped => {
                out.push((o, i + 1));
                open = None;
            }
            (None, '"') => open = Some(i),
            _ => {}
        }
        escaped = false;
    }
    out
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, xs: &'a [T]) -> Option<&'a T> {
    if xs.is_empty() {
        None
    } else {
        Some(&xs[rng.random_range(0..xs.len())])
    }
}

/// The largest char boundary of `s` at or before `i`.
fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Every string value of the file (quotes included), for swapping between keys.
fn string_pool(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| value_start(l).map(|v| &l[v..]))
        .flat_map(|v| strings(v).into_iter().map(move |(a, b)| v[a..b].to_string()))
        .collect()
}

/// One edit of `text`.
fn mutate_once(text: &str, pool: &[String], rng: &mut ChaCha8Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let n = lines.len();
    let values: Vec<usize> = (0..n).filter(|&i| value_start(&lines[i]).is_some()).collect();
    match rng.random_range(0..12u32) {
        0 if n > 0 => {
            lines.remove(rng.random_range(0..n));
        }
        1 if n > 0 => {
            let i = rng.random_range(0..n);
            let l = lines[i].clone();
            lines.insert(rng.random_range(0..=n), l);
        }
        2 if n > 1 => {
            let (i, j) = (rng.random_range(0..n), rng.random_range(0..n));
            lines.swap(i, j);
        }
        3 | 4 if !values.is_empty() => {
            // A number (or the digits of a duration) replaced by an edge value.
            let i = values[rng.random_range(0..values.len())];
            let v = value_start(&lines[i]).unwrap_or(0);
            let spans = numbers(&lines[i][v..]);
            let by = pick(rng, NUMBERS).copied().unwrap_or("0");
            if let Some(&(a, b)) = pick(rng, &spans) {
                lines[i].replace_range(v + a..v + b, by);
            } else {
                lines[i] = format!("{}= {by}", &lines[i][..v - 1]);
            }
        }
        5 | 6 if !values.is_empty() => {
            // A string replaced by an extreme duration, another key's value or an unknown name.
            let i = values[rng.random_range(0..values.len())];
            let v = value_start(&lines[i]).unwrap_or(0);
            let spans = strings(&lines[i][v..]);
            let by = match rng.random_range(0..3u32) {
                0 => pick(rng, DURATIONS).map(|s| s.to_string()),
                1 => pick(rng, pool).cloned(),
                _ => pick(rng, UNKNOWN_NAMES).map(|s| s.to_string()),
            }
            .unwrap_or_else(|| "\"\"".to_string());
            match pick(rng, &spans) {
                Some(&(a, b)) => lines[i].replace_range(v + a..v + b, &by),
                None => lines[i] = format!("{}= {by}", &lines[i][..v - 1]),
            }
        }
        7 => {
            // The whole text cut at a random char boundary.
            let joined = lines.join("\n");
            let at = floor_boundary(&joined, rng.random_range(0..=joined.len()));
            return joined[..at].to_string();
        }
        8 => {
            // Random bytes inserted (as text: invalid UTF-8 becomes U+FFFD, as a lossy reader
            // would give it), control characters and NULs included.
            let mut joined = lines.join("\n");
            let len = rng.random_range(1..=8usize);
            let bytes: Vec<u8> = (0..len).map(|_| rng.random::<u8>()).collect();
            let at = floor_boundary(&joined, rng.random_range(0..=joined.len()));
            joined.insert_str(at, &String::from_utf8_lossy(&bytes));
            return joined;
        }
        9 => {
            // One random char replaced.
            let mut joined = lines.join("\n");
            if !joined.is_empty() {
                let at = floor_boundary(&joined, rng.random_range(0..joined.len()));
                let end = joined[at..].chars().next().map_or(at, |c| at + c.len_utf8());
                let c = *pick(
                    rng,
                    &['"', '=', '[', ']', '{', '}', ',', '#', '\\', '\0', '\n', '.', '\'', 'x'],
                )
                .unwrap_or(&'x');
                joined.replace_range(at..end, &c.to_string());
            }
            return joined;
        }
        _ => {
            let l = pick(rng, LINES).copied().unwrap_or("[run]");
            lines.insert(rng.random_range(0..=n), l.to_string());
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// One to three edits.
fn mutate(text: &str, pool: &[String], rng: &mut ChaCha8Rng) -> String {
    let edits = rng.random_range(1..=3u32);
    let mut t = text.to_string();
    for _ in 0..edits {
        t = mutate_once(&t, pool, rng);
    }
    t
}

/// The model's parts the simulator builds from a scenario (see `sim::engine::Engine::new`),
/// each briefly driven: a bounded number of arrivals, backend requests and client decisions.
fn exercise(s: &Scenario) {
    let streams = Streams::new(1);
    let g = &s.file.gateway;
    let arrivals: Vec<_> = Schedule::new(s, &streams).take(MAX_ARRIVALS).collect();
    assert!(arrivals.windows(2).all(|w| w[0].at <= w[1].at), "arrivals out of order");
    for a in &arrivals {
        assert!(
            a.service < s.services.len(),
            "arrival for service {} of {}",
            a.service,
            s.services.len()
        );
        assert!(
            a.api < s.services[a.service].apis.len().max(1),
            "arrival for API {} of {}",
            a.api,
            s.services[a.service].apis.len()
        );
    }

    let mut clients = ClientModel::new(&s.file.clients, &s.services, &streams);
    let _ = clients.max_timeout();
    for i in 0..20u32 {
        let _ = clients.attempt_timeout(i as usize % s.services.len().max(1));
        let _ = clients.backoff(i + 1, Duration::from_millis(u64::from(i)));
    }
    for (i, a) in arrivals.iter().take(20).enumerate() {
        let mut intent = Intent::new(a.intent, a.at);
        clients.on_send(a.at, &mut intent);
        let result = match i % 4 {
            0 => AttemptResult::Timeout,
            1 => AttemptResult::ConnectionError,
            2 => AttemptResult::Status {
                status: 503,
                retry_after: Some(Duration::from_secs(u64::MAX)),
            },
            _ => AttemptResult::Status {
                status: 429,
                retry_after: Some(Duration::from_millis(10)),
            },
        };
        let _ = clients.on_result(a.at, &mut intent, result);
    }

    let _recorder = Recorder::for_scenario(s);
    if let Some(c) = &s.file.workload.closed {
        if let Ok(think) = c.think_time.resolve() {
            let mut users = ClosedLoop::new(think, &streams);
            let starts = users.initial(c.users.min(1000));
            for t in starts.iter().take(100) {
                let _ = users.next_after(*t);
            }
        }
    }
    if let Some(a) = &g.auth {
        let _ = Auth::new(&a.keys).check(Some("Bearer x"), Some("k"));
    }
    if let Some(r) = &g.rate_limit {
        let _ = RateLimiter::new(r.rate, r.burst);
    }

    let deadline = |at: Time| Some(Time(at.0.saturating_add(1_000_000_000)));
    for spec in &s.services {
        let mut policy = ServicePolicy::new(PolicyConfig::for_service(
            &g.for_service(&spec.name, &spec.group),
            spec.workers,
        ));
        let mut backend = ServiceModel::new(spec.clone(), &streams);
        // Jobs on a worker (indices into `jobs`), by completion time.
        let mut jobs: Vec<Job> = Vec::new();
        let mut running: BinaryHeap<Reverse<(Time, usize)>> = BinaryHeap::new();
        let mine = arrivals.iter().filter(|a| a.service == spec.index).take(MAX_DRIVEN);
        for (k, a) in mine.enumerate() {
            let _ = policy.handle_arrival(
                a.at,
                GwArrival {
                    arrived: a.at,
                    deadline: deadline(a.at),
                    priority: a.priority,
                    api: a.api as u32,
                    token: 0,
                },
            );
            let req = BackendRequest {
                id: k as u64,
                api: a.api,
                arrived: a.at,
                deadline: deadline(a.at),
            };
            // What is due before this arrival finishes first.
            finish(&mut backend, &mut running, &mut jobs, Some(a.at));
            if let Admission::Started(j) = backend.handle_request(a.at, req) {
                run(&mut running, &mut jobs, j);
            }
        }
        // Each request completes at most once: bounded by MAX_DRIVEN.
        finish(&mut backend, &mut running, &mut jobs, None);
        let _ = backend.busy_seconds_at(Time(u64::MAX), &[]);
    }
}

/// Puts a job that started on a worker among the running ones.
fn run(running: &mut BinaryHeap<Reverse<(Time, usize)>>, jobs: &mut Vec<Job>, j: Job) {
    assert!(j.completes_at >= j.started, "a job that ends before it starts");
    running.push(Reverse((j.completes_at, jobs.len())));
    jobs.push(j);
}

/// Completes the running jobs due by `until` (all of them with `None`) in time order, the jobs
/// they let start from the backlog included.
fn finish(
    backend: &mut ServiceModel,
    running: &mut BinaryHeap<Reverse<(Time, usize)>>,
    jobs: &mut Vec<Job>,
    until: Option<Time>,
) {
    while let Some(&Reverse((at, i))) = running.peek() {
        if until.is_some_and(|u| at > u) {
            break;
        }
        running.pop();
        let (_, next) = backend.handle_complete(at, jobs[i]);
        if let Some(j) = next {
            run(running, jobs, j);
        }
    }
}

/// What became of one mutant.
enum Outcome {
    Loaded,
    Refused,
    /// Refused with a diagnostic that has a position but no message (see
    /// [`syntax_errors_toml_edit_leaves_unworded_still_get_a_message`]): fails the test.
    Unworded(String),
}

/// Parses `text` as `name` (and exercises it if it loads); `Err` says what went wrong.
fn check(name: &str, text: &str) -> Result<Outcome, String> {
    let parsed = catch_unwind(AssertUnwindSafe(|| scenario::parse(name, text)));
    let parsed = parsed.map_err(|p| format!("scenario::parse panicked: {}", panic_message(&p)))?;
    match parsed {
        Ok(s) => {
            catch_unwind(AssertUnwindSafe(|| exercise(&s)))
                .map_err(|p| format!("the model panicked on a scenario that loaded: {}", panic_message(&p)))?;
            Ok(Outcome::Loaded)
        }
        Err(e) => {
            let rendered = e.to_string();
            if !rendered.starts_with(name) {
                return Err(format!("an error that does not start with the file name: {rendered:?}"));
            }
            let d = e.diagnostics();
            if d.is_empty() {
                return Err(format!("an error without diagnostics: {rendered}"));
            }
            let lines = text.lines().count();
            let mut unworded = None;
            for d in d {
                if d.file != name {
                    return Err(format!("a diagnostic that names another file: {d}"));
                }
                if d.message.trim().is_empty() {
                    unworded = Some(format!("{d:?}"));
                }
                // Line 0 is the whole file; otherwise a line of the file, or the one after
                // its end (where a parser says what is missing), with a column.
                if d.line > lines + 1 || (d.line > 0 && d.column == 0) {
                    return Err(format!("a diagnostic outside the file ({lines} lines): {d}"));
                }
                if !rendered.contains(&d.to_string()) {
                    return Err(format!("a diagnostic missing from the message: {d}"));
                }
            }
            Ok(unworded.map_or(Outcome::Refused, Outcome::Unworded))
        }
    }
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(a panic without a message)".to_string())
}

fn examples() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["scenarios", "bench"] {
        let dir = root.join(dir);
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut here: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        here.sort();
        files.extend(here);
    }
    files
}

#[test]
#[allow(clippy::disallowed_methods)] // wall time of the test itself, for its report
fn mutated_examples_never_panic_and_errors_name_the_file() {
    let files = examples();
    assert!(files.len() >= 8, "found only {} example files", files.len());
    // A panic's default report would drown the summary: the failures are collected instead.
    // (The hook is global: the helper test beside this one still fails if it panics.)
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let started = Instant::now();
    let (mut failures, mut loaded, mut refused, mut cases) = (Vec::new(), 0u32, 0u32, 0u32);
    let mut slowest = (Duration::ZERO, String::new());
    let (mut unworded, mut unworded_count) = (Vec::new(), 0u32);
    for (f, path) in files.iter().enumerate() {
        let original = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let stem = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = format!("mutant-of-{stem}");
        // The example itself loads and runs.
        match check(&name, &original) {
            Ok(Outcome::Loaded) => {}
            Ok(Outcome::Refused | Outcome::Unworded(_)) => {
                failures.push(format!("{}: the example itself is refused", path.display()))
            }
            Err(why) => failures.push(format!("{}: the example itself: {why}", path.display())),
        }
        let pool = string_pool(&original);
        let mut rng = ChaCha8Rng::seed_from_u64(0x0b05_7e57 ^ ((f as u64) << 32));
        for case in 0..CASES_PER_FILE {
            let text = mutate(&original, &pool, &mut rng);
            let t = Instant::now();
            let outcome = check(&name, &text);
            let took = t.elapsed();
            if took > slowest.0 {
                slowest = (took, format!("{} case {case}", path.display()));
            }
            cases += 1;
            match outcome {
                Ok(Outcome::Loaded) => loaded += 1,
                Ok(Outcome::Refused) => refused += 1,
                Ok(Outcome::Unworded(d)) => {
                    refused += 1;
                    if unworded.len() < 3 {
                        unworded.push(format!("{} case {case}: {d}\n{text:?}", path.display()));
                    }
                    unworded_count += 1;
                }
                Err(why) => failures.push(format!(
                    "{} case {case}: {why}\n--- mutated input ---\n{text}\n--- end ---",
                    path.display()
                )),
            }
        }
    }
    std::panic::set_hook(hook);
    eprintln!(
        "{cases} mutants of {} files: {loaded} loaded, {refused} refused, {} failed, in {:.2?} (slowest {:.2?}: {})",
        files.len(),
        failures.len(),
        started.elapsed(),
        slowest.0,
        slowest.1
    );
    assert!(
        unworded_count == 0,
        "{unworded_count} refusals had a diagnostic without a message; the first:\n{}",
        unworded.join("\n")
    );
    assert!(
        failures.is_empty(),
        "{} mutants broke the parser or the model; all of them:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    // Both paths must be exercised, or the test proves little.
    assert!(
        loaded >= cases / 20 && refused >= cases / 4,
        "loaded {loaded}, refused {refused}"
    );
}

#[test]
fn mutation_helpers_find_numbers_and_strings() {
    let l = "service_time = { dist = \"lognormal\", median = \"35ms\", p99 = \"1.2s\" }, x = -3";
    let v = value_start(l).unwrap_or(0);
    let nums: Vec<&str> = numbers(&l[v..]).into_iter().map(|(a, b)| &l[v + a..v + b]).collect();
    assert_eq!(nums, ["35", "99", "1.2", "-3"]);
    let strs: Vec<&str> = strings(&l[v..]).into_iter().map(|(a, b)| &l[v + a..v + b]).collect();
    assert_eq!(strs, ["\"lognormal\"", "\"35ms\"", "\"1.2s\""]);
    assert_eq!(floor_boundary("aü", 2), 1);
}

/// toml_edit gives some syntax errors no message (a control character in a comment line, a bare
/// CR, a value missing at the end of the file); the diagnostic still says what, not only where
/// (`t.toml:1:4: ` was all it said), and where is the character's place, which toml_edit puts
/// one past it inside an array.
#[test]
fn syntax_errors_toml_edit_leaves_unworded_still_get_a_message() {
    // (A file of nothing but a comment is refused as empty, with a message: hence `a = 1`.)
    // The input and the diagnostic's start: where, and what is there.
    let cases = [
        (
            "a = 1\n# a\u{1f}b\n",
            "t.toml:2:4: control character U+001F is not allowed in TOML",
        ),
        (
            "a = 1\n# \0\n",
            "t.toml:2:3: control character U+0000 is not allowed in TOML",
        ),
        ("\rx = 1\n", "t.toml:1:1: a carriage return (\\r) without a line feed"),
        (
            "[run]\nname =",
            "t.toml:2:7: run.name: the file ends where a value was expected",
        ),
        (
            "[run]\nseed = ",
            "t.toml:2:8: run.seed: the file ends where a value was expected",
        ),
        // Whitespace to the end of the file is not the end of a value: the CR, the form feed.
        ("a = 1\n\r", "t.toml:2:1: a carriage return (\\r) without a line feed"),
        (
            "a = 1\n\r   \n",
            "t.toml:2:1: a carriage return (\\r) without a line feed",
        ),
        (
            "a = 1\n# x\u{c}\n",
            "t.toml:2:4: control character U+000C is not allowed in TOML",
        ),
        // Inside an array toml_edit points past the character: at the LF, at a letter.
        (
            "a = [\n# c\u{7f}\n1]\n",
            "t.toml:2:4: control character U+007F is not allowed in TOML",
        ),
        (
            "[clients]\ntimeout = [ # x\u{1f}yz\n1]",
            "t.toml:2:16: clients.timeout: control character U+001F",
        ),
        (
            "a = [ 1, # c\rd\n 2]",
            "t.toml:1:13: a: a carriage return (\\r) without a line feed",
        ),
    ];
    for (text, want) in cases {
        match scenario::parse("t.toml", text) {
            Ok(_) => panic!("{text:?} loaded"),
            Err(e) => {
                assert!(
                    e.diagnostics().iter().all(|d| !d.message.trim().is_empty()),
                    "{text:?}: {e}"
                );
                assert!(e.to_string().starts_with(want), "{text:?}: {e}");
            }
        }
    }
}
