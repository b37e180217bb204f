//! What a file must say before a live run that would fail every request: auth keys that cannot
//! travel in a header as the gateway reads them (errors), upstream URLs the gateway's parser
//! refuses (errors), requests over the servers' limits (notes); and how fast many problems, or
//! many phases, are checked and listed.
//!
//! Inline scenarios are one `&str` per line (see `common::text`): the line of a mistake is its
//! position in the array; columns are counted in the comment beside it.

mod common;

use common::text;
use model::scenario;
use model::wire;

const BASE: [&str; 7] = [
    "[[workload.phases]]",     // 1
    "duration = \"10s\"",      // 2
    "rate = 10",               // 3
    "[[backend.services]]",    // 4
    "name = \"a\"",            // 5
    "workers = 2",             // 6
    "service_time = \"10ms\"", // 7
];

/// BASE then `more`, whose first line is line 8.
fn with(more: &[&str]) -> String {
    let lines: Vec<&str> = BASE.iter().copied().chain(more.iter().copied()).collect();
    text(&lines)
}

/// Every diagnostic of an invalid file, one a line.
fn errors(text: &str) -> String {
    match scenario::parse("t.toml", text) {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

fn notes(text: &str) -> Vec<String> {
    scenario::parse("t.toml", text).expect("valid").warnings()
}

/// Without [gateway.auth] no reference gateway checks the credentials (they are for a --target
/// of another kind, which may take any header value), so "the gateway would answer every
/// request 401" was false. loadgen itself sends them as visible ASCII only (it refuses to start
/// the run with another character), so the file is still refused before a run, saying that;
/// with [gateway.auth] the 401 is what the message says.
#[test]
fn non_ascii_credentials_without_gateway_auth_are_refused_for_what_loadgen_does() {
    let e = errors(&with(&[
        "[clients.credentials]", // 8
        "api_key = \"clé\"",     // 9: 11
    ]));
    assert!(
        e.starts_with("t.toml:9:11: clients.credentials.api_key: character 3 of the key is `é` (U+00E9): loadgen sends credentials in a header as visible ASCII only, so it would refuse to start a live run with it"),
        "{e}"
    );
    assert!(!e.contains("401") && !e.contains("the gateway reads"), "{e}");
    let e = errors(&with(&["[clients.credentials]", "bearer = \"tok \""]));
    assert!(
        e.contains("which HTTP trims from a header value") && !e.contains("the gateway trims"),
        "{e}"
    );
    // With [gateway.auth]: the gateway's 401.
    let e = errors(&with(&[
        "[gateway.auth]",
        "keys = [\"ok\"]",
        "[clients.credentials]",
        "api_key = \"clé\"",
    ]));
    assert!(
        e.contains("the gateway reads keys from a header as visible ASCII only, so it would answer every request 401"),
        "{e}"
    );
}

/// A key that is not visible ASCII reads as no key at the gateway (`to_str`), and one with
/// spaces at an end never matches the trimmed key a request presents: every live request was a
/// 401 while `scenario check` was silent and the simulator passed them all.
#[test]
fn auth_keys_that_cannot_travel_in_a_header_are_refused_where_they_are() {
    let e = errors(&with(&[
        "[gateway.auth]",                                        // 8
        "keys = [\"ключ\", \"ok\", \"a\\u0001\", \" padded \"]", // 9: 9, 17, 23, 34
        "[clients.credentials]",                                 // 10
        "api_key = \"ключ\"",                                    // 11: 11
    ]));
    let want = [
        "t.toml:9:9: gateway.auth.keys[0]: character 1 of the key is `к` (U+043A): the gateway reads keys from a header as visible ASCII only",
        "t.toml:9:23: gateway.auth.keys[2]: character 2 of the key is the control character U+0001:",
        "t.toml:9:34: gateway.auth.keys[3]: the key begins or ends with a space or tab, which the gateway trims",
        "t.toml:11:11: clients.credentials.api_key: character 1 of the key is `к` (U+043A)",
    ];
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(lines.len(), want.len(), "{e}");
    for (line, want) in lines.iter().zip(want) {
        assert!(line.starts_with(want), "{line}\nwanted: {want}");
    }
    for bearer in ["\"tok\\u00e9n\"", "\" tok\"", "\"tok\\t\""] {
        let e = errors(&with(&[
            "[gateway.auth]",
            "keys = [\"tok\"]",
            "[clients.credentials]",
            format!("bearer = {bearer}").as_str(), // 11: 10
        ]));
        assert!(e.starts_with("t.toml:11:10: clients.credentials.bearer: "), "{e}");
        assert!(!e.contains('\n') && !e.contains('\t'), "{e:?}");
    }
    // Inner spaces and tabs (which `HeaderValue::to_str` reads) and any punctuation travel
    // and match.
    let n = notes(&with(&[
        "[gateway.auth]",
        "keys = [\"a key\\t~!@#$%^&*()\", \"other\"]",
        "[clients.credentials]",
        "api_key = \"a key\\t~!@#$%^&*()\"",
    ]));
    assert!(n.iter().all(|w| !w.contains("401")), "{n:?}");
}

/// A key listed twice is a copy-paste slip: both places are named.
#[test]
fn a_key_listed_twice_is_refused_naming_both() {
    let e = errors(&with(&[
        "[gateway.auth]",                      // 8
        "keys = [\"a\", \"b\", \"a\", \"a\"]", // 9: 9, 14, 19, 24
        "[clients.credentials]",
        "api_key = \"a\"",
    ]));
    assert_eq!(
        e,
        "t.toml:9:19: gateway.auth.keys[2]: the same key as gateway.auth.keys[0]: list each key once\n\
         t.toml:9:24: gateway.auth.keys[3]: the same key as gateway.auth.keys[0]: list each key once"
    );
}

/// Upstreams the gateway's URI parser refuses are refused by `scenario check` too, at their
/// place, with control characters escaped (the gateway refused them alone, with no position,
/// and printed them raw).
#[test]
fn upstreams_the_gateway_cannot_parse_are_refused_where_they_are() {
    for (upstream, why) in [
        (
            "http://a b",
            "`http://a b`: the host cannot hold a space (a host name is letters, digits and -._~!$&'()*+,;=)",
        ),
        (
            "http://[::1",
            "`http://[::1`: an IPv6 address opened with `[` must be closed with `]`",
        ),
        ("http://a%zz", "`http://a%zz`: the host cannot hold `%`"),
        ("http://a%41", "`http://a%41`: the host cannot hold `%`"),
        (
            "http://x/pa th",
            "`http://x/pa th`: the path cannot hold a space (escape it: a space is `%20`)",
        ),
        (
            "http://x/a%zz",
            "`http://x/a%zz`: the path has `%zz`: a `%` begins an escape of two hex digits",
        ),
        ("http://x/a%4", "`http://x/a%4`: the path has `%4`"),
        (
            "http://x/\\u0001",
            "`http://x/\\u{1}`: the path cannot hold the control character U+0001",
        ),
        (
            "http://\\u0001x",
            "`http://\\u{1}x`: the host cannot hold the control character U+0001",
        ),
        ("http://[zz]:1", "the host in brackets is not an IPv6 address"),
        ("http://x/é", "the path cannot hold `é` (U+00E9)"),
    ] {
        let e = errors(&with(&[format!("upstream = \"{upstream}\"").as_str()])); // 8: 12
        assert!(
            e.starts_with("t.toml:8:12: backend.services[0].upstream: ") && e.contains(why),
            "{upstream}: {e}"
        );
        assert!(!e.chars().any(char::is_control), "{e:?}");
    }
    for ok in [
        "http://127.0.0.1:8081",
        "http://[::1]:9000/base/",
        "http://legacy.internal/a%20b/",
        "http://a-b_c~d:1/p:@!$&'()*+,;=",
    ] {
        notes(&with(&[format!("upstream = \"{ok}\"").as_str()]));
    }
    let long = format!("upstream = \"http://a/{}\"", "p".repeat(wire::MAX_UPSTREAM_URL));
    let e = errors(&with(&[&long]));
    assert!(e.contains("bytes long: at most 2048"), "{e}");
}

/// A request the gateway refuses every time (431 past its header count or head size, 413 past
/// its body size) gets a note naming the field, as credentials it would answer 401 do; the
/// limits are the ones the servers read (`model::wire`).
#[test]
fn requests_over_the_servers_limits_get_a_note_naming_the_field() {
    let note = |more: &[&str]| -> Vec<String> {
        notes(&with(more))
            .into_iter()
            .filter(|n| n.contains(" 431 ") || n.contains(" 413 "))
            .collect()
    };
    let big = format!("headers = {{ x-a = \"{}\" }}", "a".repeat(wire::gateway_head_limit(0)));
    let n = note(&["[clients.request]", &big]);
    assert_eq!(n.len(), 1, "{n:?}");
    assert!(
        n[0].starts_with("clients.request.headers: a request head of at least ")
            && n[0].contains("(the largest header `x-a`), more than the 16128 the reference gateway takes")
            && n[0].contains("every request of a live run through it with 431"),
        "{}",
        n[0]
    );
    // Just under: no note (the head counts the request line and loadgen's own headers).
    let fits = format!(
        "headers = {{ x-a = \"{}\" }}",
        "a".repeat(wire::gateway_head_limit(0) - 200)
    );
    assert_eq!(note(&["[clients.request]", &fits]), Vec::<String>::new());
    // The file's upstream makes the gateway's limit smaller.
    let near = format!(
        "headers = {{ x-a = \"{}\" }}",
        "a".repeat(wire::gateway_head_limit(0) - 150)
    );
    let upstream = format!("upstream = \"http://h/{}\"", "p".repeat(100));
    let n = note(&[&upstream, "[clients.request]", &near]);
    assert!(
        n.len() == 1 && n[0].contains("this file's longest upstream URL"),
        "{n:?}"
    );

    let many: Vec<String> = (0..wire::GATEWAY_MAX_HEADERS - 3)
        .map(|k| format!("x-{k} = \"v\""))
        .collect();
    let table = format!("headers = {{ {} }}", many.join(", "));
    let n = note(&["[clients.request]", &table]);
    assert!(
        n.len() == 1 && n[0].starts_with("clients.request.headers: 95 header fields with loadgen's own"),
        "{n:?}"
    );
    let fewer = format!("headers = {{ {} }}", many[1..].join(", "));
    assert_eq!(note(&["[clients.request]", &fewer]), Vec::<String>::new());
    // The credentials' header counts too.
    let n = note(&["[clients.request]", &fewer, "[clients.credentials]", "api_key = \"k\""]);
    assert_eq!(n.len(), 1, "{n:?}");

    // A service's own table is named when it is what goes over.
    let own = format!("request = {{ headers = {{ x-b = \"{}\" }} }}", "b".repeat(20_000));
    let n = note(&[&own]);
    assert!(
        n.len() == 1 && n[0].starts_with("backend.services[0].request.headers: "),
        "{n:?}"
    );

    let body = format!("body = \"{}\"", "b".repeat(wire::MAX_REQUEST_BODY_BYTES + 1));
    let n = note(&["[clients.request]", "method = \"POST\"", &body]);
    assert!(
        n.len() == 1
            && n[0].starts_with("clients.request.body: a body of 1048577 bytes, more than the 1048576")
            && n[0].contains("with 413"),
        "{n:?}"
    );
    let at_limit = format!("body = \"{}\"", "b".repeat(wire::MAX_REQUEST_BODY_BYTES));
    assert_eq!(
        note(&["[clients.request]", "method = \"POST\"", &at_limit]),
        Vec::<String>::new()
    );
}

/// loadgen writes `content-length: N` for a body and for any method that is not idempotent (a
/// POST without a body too): that field and its bytes count toward the gateway's limits, so 90
/// custom headers and a POST with a body, refused 431 live, get the note.
#[test]
fn the_content_length_loadgen_writes_counts_toward_the_header_limits() {
    let note =
        |more: &[&str]| -> Vec<String> { notes(&with(more)).into_iter().filter(|n| n.contains(" 431 ")).collect() };
    // With loadgen's own 4, exactly the gateway's limit: taken as a GET without a body.
    let fits: Vec<String> = (0..wire::GATEWAY_MAX_HEADERS - 4)
        .map(|k| format!("x-{k} = \"v\""))
        .collect();
    let table = format!("headers = {{ {} }}", fits.join(", "));
    assert_eq!(note(&["[clients.request]", &table]), Vec::<String>::new());
    for (method, body) in [("POST", Some("x")), ("GET", Some("x")), ("POST", None), ("PATCH", None)] {
        let mut lines = vec!["[clients.request]".to_string(), format!("method = \"{method}\"")];
        lines.extend(body.map(|b| format!("body = \"{b}\"")));
        lines.push(table.clone());
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let n = note(&refs);
        assert!(
            n.len() == 1
                && n[0].starts_with("clients.request.headers: 95 header fields with loadgen's own (")
                && n[0].contains(", content-length)"),
            "{method} {body:?}: {n:?}"
        );
    }
    // An idempotent method without a body sends none.
    assert_eq!(
        note(&["[clients.request]", "method = \"PUT\"", &table]),
        Vec::<String>::new()
    );
    // Its bytes count toward the head: the longest header a GET without a body may have is
    // too long for one with a body.
    let head = |len: usize, with_body: bool| {
        let big = format!("headers = {{ x-a = \"{}\" }}", "a".repeat(len));
        let mut lines = vec!["[clients.request]", &big];
        if with_body {
            lines.extend(["method = \"GET\"", "body = \"x\""]);
        }
        !note(&lines).is_empty()
    };
    let longest = (wire::gateway_head_limit(0) - 400..wire::gateway_head_limit(0))
        .take_while(|len| !head(*len, false))
        .last()
        .expect("some fit");
    assert!(head(longest + 1, false));
    assert!(head(longest, true), "content-length: 1 adds its 19 bytes");
    assert!(!head(longest - 19, true));
}

/// Many problems of one field are listed up to a cap, the last saying how many more there are;
/// other fields' problems are all listed, in the file's order.
#[test]
fn many_problems_of_one_field_are_capped() {
    let mut lines: Vec<String> = BASE.iter().map(|s| s.to_string()).collect();
    for _ in 0..100 {
        lines.push("[[workload.mix]]".into());
        lines.push("service = \"nope\"".into());
    }
    // Another field's problem, after them in the file: listed too.
    lines.push("[gateway]".into());
    lines.push("concurrency = 0".into());
    let e = errors(&(lines.join("\n") + "\n"));
    let listed: Vec<&str> = e.lines().collect();
    assert_eq!(listed.len(), scenario::LISTED_PER_FIELD + 2, "{e}");
    assert!(listed[listed.len() - 1].contains(": gateway.concurrency: "), "{e}");
    assert!(
        listed[0].starts_with("t.toml:9:11: workload.mix[0].service: unknown service `nope`"),
        "{e}"
    );
    assert!(
        listed[scenario::LISTED_PER_FIELD].ends_with("(and 79 more problems of workload.mix[*].service, not listed)"),
        "{e}"
    );
}

/// 40,000 phases, and 20,000 problems in a file of 1 MB, are checked and listed (the first
/// [`scenario::LISTED_PER_FIELD`] and a count of the rest). How long that takes is measured in
/// BENCHMARKS.md ("scenario check: time with many phases and problems"), not here: the
/// quadratic checks took 16 s and over a minute on such files, the near-linear ones under a
/// second.
#[test]
fn many_phases_and_many_problems_are_checked_and_listed() {
    let mut t = String::from("[run]\nseed = 1\n");
    for k in 0..40_000 {
        t.push_str(&format!(
            "[[workload.phases]]\nname = \"p{k}\"\nduration = \"1s\"\nrate = 1\n"
        ));
    }
    // Unnamed phases too, whose default names (`phase N`) are looked up.
    for _ in 0..100 {
        t.push_str("[[workload.phases]]\nduration = \"1s\"\nrate = 1\n");
    }
    t.push_str("[[backend.services]]\nname = \"legacy\"\nworkers = 4\nservice_time = \"20ms\"\n");
    let s = scenario::parse("t.toml", &t).expect("valid");
    assert_eq!(s.file.workload.phases.len(), 40_100);

    let mut t = String::from(
        "[[workload.phases]]\nduration = \"10s\"\nrate = 20\n[[backend.services]]\nname = \"legacy\"\nworkers = 4\nservice_time = \"20ms\"\n",
    );
    for _ in 0..20_000 {
        t.push_str("[[workload.mix]]\nservice = \"nope\"\n# a comment to make the file longer, as real ones are\n");
    }
    let e = scenario::parse("t.toml", &t).expect_err("invalid");
    assert_eq!(e.diagnostics().len(), scenario::LISTED_PER_FIELD + 1);
}

/// A name written out that is another phase's, or an unnamed phase's default, is still said.
#[test]
fn phase_names_are_still_checked_against_each_other() {
    let e = errors(&text(&[
        "[[workload.phases]]",  // 1
        "duration = \"1s\"",    // 2
        "rate = 1",             // 3
        "[[workload.phases]]",  // 4
        "name = \"phase 1\"",   // 5: 8
        "duration = \"1s\"",    // 6
        "rate = 1",             // 7
        "[[workload.phases]]",  // 8
        "name = \"phase 1\"",   // 9: 8
        "duration = \"1s\"",    // 10
        "rate = 1",             // 11
        "[[backend.services]]", // 12
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
    ]));
    assert_eq!(
        e,
        "t.toml:5:8: workload.phases[1].name: phase `phase 1` is also the name of workload.phases[0], which has none of its own (unnamed phases are `phase N`, N from 1): give this one another name\n\
         t.toml:9:8: workload.phases[2].name: phase `phase 1` is already defined by workload.phases[1]: reports name phases, so give each its own\n\
         t.toml:9:8: workload.phases[2].name: phase `phase 1` is also the name of workload.phases[0], which has none of its own (unnamed phases are `phase N`, N from 1): give this one another name"
    );
}
