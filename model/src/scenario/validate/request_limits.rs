//! Notes on the live requests the reference gateway refuses every time: too many header fields
//! or too long a head (431), or too large a body (413).

use crate::scenario::{RequestConfig, Scenario};

/// The headers loadgen writes on every attempt besides the file's, with the shortest value
/// each can have: a request head is at least these (and `content-length` when it sends a body
/// or a method that is not idempotent: [`live_request`]).
const LOADGEN_OWN_HEADERS: [(&str, &str); 4] = [
    ("host", ""),
    (crate::wire::TIMEOUT_MS, "0"),
    (crate::wire::REQUEST_ID, "lg-"),
    (crate::wire::PRIORITY, "background"),
];

/// A header line's bytes in a request head: `name: value\r\n`.
fn header_line_len(name: &str, value: &str) -> usize {
    name.len() + value.len() + 4
}

/// What one `[[backend.services]]` entry's live requests carry, at the least.
struct LiveRequest {
    /// Header fields, loadgen's own included.
    headers: usize,
    /// Bytes of the head: request line, header lines and the blank line.
    head: usize,
    /// The file's largest header (name), for the message.
    largest: Option<String>,
    /// loadgen writes a `content-length` field (a body, or a method that is not idempotent).
    content_length: bool,
    /// The body's length and the field that sets it.
    body: Option<(usize, String)>,
}

impl Scenario {
    /// Notes on requests the reference gateway refuses, each time, in a live run through it
    /// (`[clients.request]`, a service's `request`, `[clients.credentials]`): more header
    /// fields than it takes or a longer head (431), or a larger body (413), as the "every
    /// request would be a 401" note says of credentials. Notes, not errors: the simulator sends
    /// no request, and a `--target` of another kind may take them.
    pub(super) fn request_limit_notes(&self) -> Vec<String> {
        use crate::wire;
        let f = &self.file;
        let longest_upstream = f
            .backend
            .services
            .iter()
            .filter_map(|s| s.upstream.as_deref())
            .map(str::len)
            .max()
            .unwrap_or(0);
        let head_limit = wire::gateway_head_limit(longest_upstream);
        let credentials = f
            .clients
            .credentials
            .as_ref()
            .and_then(|c| match (&c.api_key, &c.bearer) {
                (Some(k), _) => Some((wire::API_KEY.to_string(), k.clone())),
                (None, Some(b)) => Some(("authorization".to_string(), format!("Bearer {b}"))),
                _ => None,
            });
        let wide = &f.clients.request;
        let none = RequestConfig::default();
        // By field: why, and the groups (entries' names) whose every request it makes refused.
        let mut notes: Vec<(String, String, Vec<String>)> = Vec::new();
        let mut add = |field: String, why: String, group: &str| match notes.iter_mut().find(|n| n.0 == field) {
            Some(n) => n.2.push(group.to_string()),
            None => notes.push((field, why, vec![group.to_string()])),
        };
        for (i, entry) in f.backend.services.iter().enumerate() {
            // The shortest path among its services and APIs: `/service/api`.
            let path = self
                .services
                .iter()
                .filter(|s| s.entry == i)
                .map(|s| s.name.len() + s.apis.iter().map(String::len).min().unwrap_or(0) + 2)
                .min();
            let Some(path) = path else { continue };
            let own = &entry.request;
            let live = live_request(i, wide, own, credentials.as_ref(), path);
            // The clients-wide headers alone, when they are enough to be refused: said of them.
            let alone = live_request(i, wide, &none, credentials.as_ref(), path);
            let headers_field = |over: bool| {
                if over || own.headers.is_empty() {
                    "clients.request.headers".to_string()
                } else {
                    format!("backend.services[{i}].request.headers")
                }
            };
            if live.headers > wire::GATEWAY_MAX_HEADERS {
                add(
                    headers_field(alone.headers > wire::GATEWAY_MAX_HEADERS),
                    format!(
                        "{} header fields with loadgen's own ({}{}{}), more than the {} the reference gateway takes (mock-legacy: {})",
                        live.headers,
                        LOADGEN_OWN_HEADERS.map(|h| h.0).join(", "),
                        if live.content_length { ", content-length" } else { "" },
                        if credentials.is_some() { " and the credentials'" } else { "" },
                        wire::GATEWAY_MAX_HEADERS,
                        wire::MAX_REQUEST_HEADERS
                    ),
                    &entry.name,
                );
            } else if live.head > head_limit {
                let over = alone.head > head_limit;
                let largest = if over { &alone.largest } else { &live.largest };
                add(
                    headers_field(over),
                    format!(
                        "a request head of at least {} bytes (the largest header `{}`), more than the {head_limit} the reference gateway takes ({} less what it adds to a request{})",
                        live.head,
                        largest.as_deref().unwrap_or(""),
                        wire::MAX_REQUEST_HEAD_BYTES,
                        if longest_upstream > 0 {
                            " and this file's longest upstream URL"
                        } else {
                            ", at most: less again its upstream URL's length"
                        }
                    ),
                    &entry.name,
                );
            }
            if let Some((bytes, field)) = live.body.filter(|(b, _)| *b > wire::MAX_REQUEST_BODY_BYTES) {
                add(
                    field,
                    format!(
                        "a body of {bytes} bytes, more than the {} the reference gateway and mock-legacy take",
                        wire::MAX_REQUEST_BODY_BYTES
                    ),
                    &entry.name,
                );
            }
        }
        notes
            .into_iter()
            .map(|(field, why, groups)| {
                let status = if why.starts_with("a body") { 413 } else { 431 };
                let whose = if groups.len() == f.backend.services.len() {
                    "every request of a live run through it".to_string()
                } else {
                    let named: Vec<String> = groups.iter().take(5).map(|g| format!("`{g}`")).collect();
                    format!(
                        "every request to {}{} in a live run through it",
                        named.join(", "),
                        if groups.len() > 5 { ", ..." } else { "" }
                    )
                };
                format!(
                    "{field}: {why}, so it answers {whose} with {status} (the simulator sends no request; a --target that takes it is fine)"
                )
            })
            .collect()
    }
}

/// What entry `i`'s requests carry at the least: `wide` (`[clients.request]`) with `own` (its
/// `request`) over it, the credentials' header, loadgen's own headers, and a request line with
/// a path of `path` bytes.
fn live_request(
    i: usize,
    wide: &RequestConfig,
    own: &RequestConfig,
    credentials: Option<&(String, String)>,
    path: usize,
) -> LiveRequest {
    // Names are case-insensitive: a service's value replaces the clients-wide one.
    let mut headers: std::collections::BTreeMap<String, &str> = std::collections::BTreeMap::new();
    for (name, value) in wide.headers.iter().chain(&own.headers) {
        headers.insert(name.to_ascii_lowercase(), value);
    }
    let largest = headers
        .iter()
        .max_by_key(|(n, v)| header_line_len(n, v))
        .map(|(n, _)| n.clone());
    let file_bytes: usize = headers.iter().map(|(n, v)| header_line_len(n, v)).sum();
    let own_bytes: usize = LOADGEN_OWN_HEADERS.iter().map(|(n, v)| header_line_len(n, v)).sum();
    let cred_bytes = credentials.map_or(0, |(n, v)| header_line_len(n, v));
    let method = own.method.as_deref().or(wide.method.as_deref()).unwrap_or("GET");
    let line = method.len() + 1 + path + " HTTP/1.1\r\n".len();
    let body_len = |r: &RequestConfig| {
        r.body
            .as_ref()
            .map(String::len)
            .or_else(|| r.body_file_bytes.as_ref().map(|b| b.len()))
    };
    let key = |r: &RequestConfig| if r.body.is_some() { "body" } else { "body_file" };
    let body = if own.body.is_some() || own.body_file.is_some() {
        body_len(own).map(|b| (b, format!("backend.services[{i}].request.{}", key(own))))
    } else {
        body_len(wide).map(|b| (b, format!("clients.request.{}", key(wide))))
    };
    // loadgen writes `content-length: N` for a body, and for any method that is not
    // idempotent (a POST without one: `content-length: 0`), as the reference gateway's
    // client does (`h1::finish_request`).
    let body_bytes = body.as_ref().map_or(0, |(b, _)| *b);
    let length = (body_bytes > 0 || !crate::wire::is_idempotent_method(method))
        .then(|| header_line_len("content-length", &body_bytes.to_string()));
    LiveRequest {
        headers: headers.len()
            + LOADGEN_OWN_HEADERS.len()
            + usize::from(credentials.is_some())
            + usize::from(length.is_some()),
        head: line + own_bytes + cred_bytes + file_bytes + length.unwrap_or(0) + 2,
        content_length: length.is_some(),
        largest,
        body,
    }
}
