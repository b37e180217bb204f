//! `[clients.request]` and a service's `request`: what loadgen sends (method, headers, body).
//! Parsing, the per-service override, and every error as `file:line:col: field.path: message`.
//!
//! Inline scenarios are one `&str` per line (see `common::text`): the line of a mistake is its
//! position in the array; columns are counted in the comment beside it.

mod common;

use common::{only_diagnostic, parse};
use model::scenario::{self, RequestSpec};
use std::path::PathBuf;

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
fn with(more: &[&'static str]) -> Vec<&'static str> {
    BASE.iter().copied().chain(more.iter().copied()).collect()
}

#[track_caller]
fn assert_error(lines: &[&str], line: usize, col: usize, path: &str, message: &str) {
    let d = only_diagnostic(lines);
    let want = format!("t.toml:{line}:{col}: {path}: {message}");
    assert_eq!(d.to_string(), want);
}

#[test]
fn without_a_request_table_loadgen_sends_a_bodiless_get() {
    let s = parse(&BASE).expect("valid");
    assert_eq!(s.request(0), Ok(RequestSpec::default()));
    assert_eq!(RequestSpec::default().method, "GET");
    assert!(s.file.clients.request.is_empty());
}

#[test]
fn a_clients_wide_request_parses() {
    let s = parse(&with(&[
        "[clients.request]",
        "method = \"POST\"",
        "headers = { \"Content-Type\" = \"application/json\", x-tenant = \"a\" }",
        "body = '{\"order\": 1}'",
    ]))
    .expect("valid");
    let r = s.request(0).expect("a request");
    assert_eq!(r.method, "POST");
    // Names lowercase, in order.
    assert_eq!(
        r.headers,
        vec![
            ("content-type".to_string(), "application/json".to_string()),
            ("x-tenant".to_string(), "a".to_string())
        ]
    );
    assert_eq!(&r.body[..], b"{\"order\": 1}");
}

/// A service's `request` overrides the clients-wide one field by field: its method, its body,
/// and its headers name by name (the others kept).
#[test]
fn a_service_request_overrides_field_by_field() {
    let s = parse(&[
        "[[workload.phases]]",
        "duration = \"10s\"",
        "rate = 10",
        "[clients.request]",
        "method = \"PUT\"",
        "headers = { content-type = \"application/json\", x-tenant = \"a\" }",
        "body = \"wide\"",
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 2",
        "service_time = \"10ms\"",
        "[[backend.services]]",
        "name = \"b\"",
        "count = 2",
        "workers = 2",
        "service_time = \"10ms\"",
        "request = { method = \"POST\", headers = { X-Tenant = \"b\" }, body = \"own\" }",
    ])
    .expect("valid");
    let a = s.request(0).expect("a");
    assert_eq!((a.method.as_str(), &a.body[..]), ("PUT", &b"wide"[..]));
    for i in [1, 2] {
        let b = s.request(i).expect("b-N");
        assert_eq!((b.method.as_str(), &b.body[..]), ("POST", &b"own"[..]));
        assert_eq!(
            b.headers,
            vec![
                ("content-type".to_string(), "application/json".to_string()),
                ("x-tenant".to_string(), "b".to_string())
            ]
        );
    }
}

#[test]
fn a_lowercase_method_is_refused() {
    // `method = ` is 9 characters: the value at column 10.
    assert_error(
        &with(&["[clients.request]", "method = \"post\""]),
        9,
        10,
        "clients.request.method",
        "methods are case-sensitive and `post` is not `POST`: write `POST`",
    );
}

#[test]
fn a_method_that_is_no_token_is_refused() {
    assert_error(
        &with(&["[clients.request]", "method = \"GET /\""]),
        9,
        10,
        "clients.request.method",
        "expected an HTTP method (a token of letters, digits and !#$%&'*+-.^_`|~, like POST), got `GET /`",
    );
}

#[test]
fn framing_and_loadgen_headers_are_refused_with_why() {
    // `headers = { ` is 12 characters, the name from column 13, then ` = `: the value (where
    // the position of a key's problem points) at 13 + the name's length + 3.
    let cases = [
        (
            "headers = { Host = \"x\" }",
            "Host",
            "loadgen sets Host from the target URL",
        ),
        (
            "headers = { Content-Length = \"3\" }",
            "Content-Length",
            "loadgen sets Content-Length from the body",
        ),
        (
            "headers = { transfer-encoding = \"chunked\" }",
            "transfer-encoding",
            "loadgen sends the body with a Content-Length, not chunked",
        ),
        (
            "headers = { Connection = \"close\" }",
            "Connection",
            "a hop-by-hop header: loadgen manages its own connections (and HTTP/2 forbids it)",
        ),
        (
            "headers = { x-request-id = \"1\" }",
            "x-request-id",
            "loadgen sends each attempt's own id in it",
        ),
    ];
    for (line, name, why) in cases {
        assert_error(
            &with(&["[clients.request]", line]),
            9,
            13 + name.len() + 3,
            &format!("clients.request.headers.{name}"),
            &format!("header `{name}` cannot be set: {why}"),
        );
    }
}

#[test]
fn bad_header_names_and_values_are_refused() {
    // `headers = { "x tenant" = "a" }`: the quoted name at 13-22, ` = `, the value at 26.
    assert_error(
        &with(&["[clients.request]", "headers = { \"x tenant\" = \"a\" }"]),
        9,
        26,
        "clients.request.headers.\"x tenant\"",
        "`x tenant` is not a header name (a token of letters, digits and !#$%&'*+-.^_`|~, like x-tenant)",
    );
    assert_error(
        &with(&["[clients.request]", "headers = { x-a = \"1\\r\\nx-b: 2\" }"]),
        9,
        19,
        "clients.request.headers.x-a",
        "header `x-a`: a value cannot hold the control character '\\r'",
    );
    // The same name twice, in two cases: `X-Tenant` 13-20, `"a"` 24-26, `x-tenant` 29-36, its
    // value at 40.
    assert_error(
        &with(&["[clients.request]", "headers = { X-Tenant = \"a\", x-tenant = \"b\" }"]),
        9,
        40,
        "clients.request.headers.x-tenant",
        "header names are case-insensitive: `x-tenant` is `X-Tenant` again",
    );
    // A value that is not a string: the deserializer's own error.
    let d = only_diagnostic(&with(&["[clients.request]", "headers = { x-a = 1 }"]));
    assert_eq!((d.line, d.path.as_str()), (9, "clients.request.headers.x-a"), "{d}");
}

#[test]
fn a_credentials_header_is_refused_beside_clients_credentials() {
    assert_error(
        &with(&[
            "[clients.credentials]",
            "api_key = \"k\"",
            "[clients.request]",
            "headers = { x-api-key = \"other\" }",
        ]),
        // `x-api-key` 13-21, ` = `, the value at 25.
        11,
        25,
        "clients.request.headers.x-api-key",
        "header `x-api-key` cannot be set: [clients.credentials] sends the key (remove one of them)",
    );
}

/// A key is sent as a header with every attempt: a control character or an empty key passed
/// `scenario check` and was refused only when loadgen started, with no line or column.
#[test]
fn a_credential_that_is_no_header_value_is_refused_at_its_place() {
    // `api_key = ` 1-10, the value at 11.
    assert_error(
        &with(&["[clients.credentials]", "api_key = \"a\\nb\""]),
        9,
        11,
        "clients.credentials.api_key",
        "sent as header `x-api-key`: a value cannot hold the control character '\\n'",
    );
    // `bearer = ` 1-9, the value at 10.
    assert_error(
        &with(&["[clients.credentials]", "bearer = \"a\\u0007b\""]),
        9,
        10,
        "clients.credentials.bearer",
        "sent as header `authorization`: a value cannot hold the control character '\\u{7}'",
    );
    for empty in ["api_key = \"\"", "bearer = \" \""] {
        let d = only_diagnostic(&with(&["[clients.credentials]", empty]));
        let key = empty.split(' ').next().unwrap_or_default();
        assert_eq!(
            (d.line, d.path.as_str(), d.message.as_str()),
            (
                9,
                format!("clients.credentials.{key}").as_str(),
                "expected a non-empty key"
            ),
            "{d}"
        );
    }
    // A tab is allowed, as in any header value.
    parse(&with(&["[clients.credentials]", "api_key = \"a\\tb\""])).expect("valid");
}

#[test]
fn body_and_body_file_together_are_refused() {
    assert_error(
        &with(&["[clients.request]", "body = \"x\"", "body_file = \"b.json\""]),
        10,
        13,
        "clients.request.body_file",
        "give `body` or `body_file`, not both",
    );
}

#[test]
fn a_service_request_error_names_the_service() {
    // `request = { method = ` is 21 characters: the value at column 22.
    assert_error(
        &with(&["request = { method = \"get\" }"]),
        8,
        22,
        "backend.services[0].request.method",
        "methods are case-sensitive and `get` is not `GET`: write `GET`",
    );
}

#[test]
fn an_unknown_request_key_lists_the_valid_ones() {
    assert_error(
        &with(&["[clients.request]", "mehtod = \"POST\""]),
        9,
        1,
        "clients.request.mehtod",
        "unknown key `mehtod`; did you mean `method`? (valid keys: method, headers, body, body_file)",
    );
}

/// A scenario in its own directory, with `files` beside it.
fn dir_with(name: &str, scenario: &str, files: &[(&str, &[u8])]) -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("spillway-request-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temp dir");
    for (f, bytes) in files {
        std::fs::write(dir.join(f), bytes).expect("a body file");
    }
    let path = dir.join("s.toml");
    std::fs::write(&path, scenario).expect("the scenario");
    path
}

/// `body_file` is relative to the scenario file, not the current directory.
#[test]
fn a_body_file_is_read_relative_to_the_scenario() {
    let text = format!(
        "{}\n[clients.request]\nmethod = \"POST\"\nbody_file = \"payload.json\"\n",
        BASE.join("\n")
    );
    let path = dir_with("ok", &text, &[("payload.json", b"{\"a\": 1}\n")]);
    let s = scenario::load(&path).expect("valid");
    assert_eq!(&s.request(0).expect("a request").body[..], b"{\"a\": 1}\n");
    let _ = std::fs::remove_dir_all(path.parent().expect("a dir"));
}

#[test]
fn a_missing_body_file_is_an_error_naming_it() {
    let text = format!("{}\n[clients.request]\nbody_file = \"nope.json\"\n", BASE.join("\n"));
    let path = dir_with("missing", &text, &[]);
    let e = scenario::load(&path).expect_err("refused").to_string();
    let missing = path.with_file_name("nope.json");
    // Line 9 (BASE's 7, then the table), `body_file = ` is 12 characters: the value at 13.
    let want = format!(
        "{}:9:13: clients.request.body_file: cannot read the body file {}: ",
        path.display(),
        missing.display()
    );
    assert!(e.starts_with(&want), "\n  got:  {e}\n  want: {want}...");
    let _ = std::fs::remove_dir_all(path.parent().expect("a dir"));
}

/// The simulator models times, not payloads: a file with a request table runs unchanged.
#[test]
fn a_request_table_does_not_change_what_the_simulator_reads() {
    let plain = parse(&BASE).expect("valid");
    let with_request = parse(&with(&[
        "[clients.request]",
        "method = \"POST\"",
        "headers = { content-type = \"application/json\" }",
        "body = \"{}\"",
    ]))
    .expect("valid");
    assert_eq!(plain.services.len(), with_request.services.len());
    assert_eq!(plain.phases, with_request.phases);
    assert_eq!(plain.mix, with_request.mix);
    assert_eq!(plain.file.clients.timeout, with_request.file.clients.timeout);
    assert_eq!(plain.file.clients.retry, with_request.file.clients.retry);
}

/// A method mock-legacy does not serve (it answers 501) is valid, for a target that takes it,
/// and noted: against spillway's own backend every request would fail.
#[test]
fn a_method_the_mock_does_not_serve_is_noted() {
    let s = parse(&with(&["[clients.request]", "method = \"PURGE\""])).expect("valid");
    let w = s.warnings();
    assert!(
        w.iter()
            .any(|w| w.starts_with("clients.request.method: mock-legacy answers PURGE with 501")),
        "{w:?}"
    );
    let s = parse(&with(&["request = { method = \"TRACE\" }"])).expect("valid");
    assert!(s
        .warnings()
        .iter()
        .any(|w| w.starts_with("backend.services[0].request.method: mock-legacy answers TRACE")));
    let s = parse(&with(&["[clients.request]", "method = \"POST\""])).expect("valid");
    assert!(!s.warnings().iter().any(|w| w.contains("answers POST")));
}
