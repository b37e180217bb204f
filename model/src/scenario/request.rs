//! What loadgen sends with each attempt: `[clients.request]` and a service's `request` over it
//! (method, headers, body). The simulator ignores all of it (it models times, not payloads) but
//! the keys the gateway's auth and rate limit read.
//!
//! Checked here without an HTTP crate (the model has none): methods and header names are RFC
//! 9110 tokens, header values have no control characters, and the headers loadgen writes
//! itself, or that frame the message, are refused with the reason.

use super::error::Problem;
use super::file::{RequestConfig, ScenarioFile};
use super::locate;
use std::path::Path;
use std::sync::Arc;

/// The largest body a request may send (a body file larger than this is a wrong path; the
/// reference gateway and mock-legacy refuse bodies over 1 MiB anyway).
pub const MAX_BODY_BYTES: u64 = 16 << 20;

/// A request as sent to one service: the clients-wide `[clients.request]` with the service's
/// own `request` over it, field by field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestSpec {
    pub method: String,
    /// Lowercase names, in name order; a service's value replaces the clients-wide one.
    pub headers: Vec<(String, String)>,
    pub body: Arc<[u8]>,
}

impl Default for RequestSpec {
    fn default() -> Self {
        RequestSpec {
            method: "GET".into(),
            headers: Vec::new(),
            body: Arc::from(&b""[..]),
        }
    }
}

/// RFC 9110 section 5.6.2: `tchar`.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// Methods as RFC 9110 and 5789 spell them: a lowercase one is a typo, not another method.
const STANDARD_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
];

/// Checks a method as a flag or a file gives it; `Err` says why, for `--method` and
/// `clients.request.method` alike.
pub fn check_method(m: &str) -> Result<(), String> {
    if m.is_empty() || !m.chars().all(is_tchar) {
        return Err(format!(
            "expected an HTTP method (a token of letters, digits and !#$%&'*+-.^_`|~, like POST), got `{m}`"
        ));
    }
    let upper = m.to_ascii_uppercase();
    if upper != m && STANDARD_METHODS.contains(&upper.as_str()) {
        // Methods are case-sensitive (RFC 9110 section 9.1) and curl sends `-X post` as
        // written, which servers answer 405 or 501: refused rather than changed behind the
        // user's back.
        return Err(format!(
            "methods are case-sensitive and `{m}` is not `{upper}`: write `{upper}`"
        ));
    }
    if m == "CONNECT" {
        return Err("CONNECT opens a tunnel through a proxy, it is not a request to a service".into());
    }
    Ok(())
}

/// Headers refused, with why: loadgen frames each message itself, or writes the header per
/// attempt (a second copy makes spillway's servers answer 400).
fn reserved(name: &str) -> Option<&'static str> {
    Some(match name {
        "host" => "loadgen sets Host from the target URL",
        "content-length" => "loadgen sets Content-Length from the body",
        "transfer-encoding" => "loadgen sends the body with a Content-Length, not chunked",
        "connection" | "keep-alive" | "proxy-connection" | "te" | "trailer" | "upgrade" => {
            "a hop-by-hop header: loadgen manages its own connections (and HTTP/2 forbids it)"
        }
        crate::wire::TIMEOUT_MS => "loadgen sends each attempt's remaining budget in it (clients.timeout)",
        crate::wire::REQUEST_ID => "loadgen sends each attempt's own id in it",
        crate::wire::PRIORITY => {
            "loadgen sends each intent's class in it ([[workload.mix]] priority; the one-liner's --priority)"
        }
        _ => return None,
    })
}

/// Checks one header as a flag or a file gives it; `Err` says why. `credentials`: whether
/// `[clients.credentials]` sends a key (then its header is refused here).
pub fn check_header(name: &str, value: &str, credentials: bool) -> Result<(), String> {
    if name.is_empty() || !name.chars().all(is_tchar) {
        return Err(format!(
            "`{name}` is not a header name (a token of letters, digits and !#$%&'*+-.^_`|~, like x-tenant)"
        ));
    }
    let lower = name.to_ascii_lowercase();
    if let Some(why) = reserved(&lower) {
        return Err(format!("header `{name}` cannot be set: {why}"));
    }
    if credentials && (lower == "authorization" || lower == crate::wire::API_KEY) {
        return Err(format!(
            "header `{name}` cannot be set: [clients.credentials] sends the key (remove one of them)"
        ));
    }
    if let Some(c) = value.chars().find(|c| (c.is_control() && *c != '\t') || *c == '\u{7f}') {
        return Err(format!(
            "header `{name}`: a value cannot hold the control character {:?}",
            c
        ));
    }
    Ok(())
}

/// The checks of one request table at `path` (`clients.request`, `backend.services[0].request`).
pub(super) fn check(path: &str, r: &RequestConfig, credentials: bool) -> Vec<Problem> {
    let mut out = Vec::new();
    if let Some(m) = &r.method {
        if let Err(e) = check_method(m) {
            out.push(Problem::new(format!("{path}.method"), e));
        }
    }
    let mut seen: Vec<(String, &str)> = Vec::new();
    for (name, value) in &r.headers {
        let at = format!("{path}.headers.{}", locate::key(name));
        if let Err(e) = check_header(name, value, credentials) {
            out.push(Problem::new(at, e));
            continue;
        }
        let lower = name.to_ascii_lowercase();
        if let Some((_, first)) = seen.iter().find(|(l, _)| *l == lower) {
            out.push(Problem::new(
                at,
                format!("header names are case-insensitive: `{name}` is `{first}` again"),
            ));
        } else {
            seen.push((lower, name));
        }
    }
    if r.body.is_some() && r.body_file.is_some() {
        out.push(Problem::new(
            format!("{path}.body_file"),
            "give `body` or `body_file`, not both",
        ));
    }
    if r.body_file.as_deref() == Some("") {
        out.push(Problem::new(
            format!("{path}.body_file"),
            "expected a file name, got \"\"",
        ));
    }
    out
}

/// Where a `body_file` is read: relative to the scenario file's directory (`source` is its
/// path; a name such as `<command line>` has none, so the current directory).
pub fn body_path(source: &str, body_file: &str) -> std::path::PathBuf {
    let dir = Path::new(source).parent().unwrap_or(Path::new(""));
    dir.join(body_file)
}

/// Reads one body file, bounded; `Err` names the file and why.
pub fn read_body(source: &str, body_file: &str) -> Result<Arc<[u8]>, String> {
    let path = body_path(source, body_file);
    crate::files::read_at_most(&path, MAX_BODY_BYTES, "a request body")
        .map(Arc::from)
        .map_err(|e| format!("cannot read the body file {}: {e}", path.display()))
}

/// Reads every `body_file` of `file` not read yet (relative to `source`), keeping the bytes
/// in it; the problems name the field.
pub(super) fn read_bodies(source: &str, file: &mut ScenarioFile) -> Vec<Problem> {
    let mut out = Vec::new();
    let tables = std::iter::once(("clients.request".to_string(), &mut file.clients.request)).chain(
        file.backend
            .services
            .iter_mut()
            .enumerate()
            .map(|(i, s)| (format!("backend.services[{i}].request"), &mut s.request)),
    );
    for (path, r) in tables {
        if let (Some(f), None) = (&r.body_file, &r.body_file_bytes) {
            match read_body(source, f) {
                Ok(b) => r.body_file_bytes = Some(b),
                Err(e) => out.push(Problem::new(format!("{path}.body_file"), e)),
            }
        }
    }
    out
}

impl super::Scenario {
    /// What loadgen sends to service `i`: `[clients.request]` with the service's own `request`
    /// over it. A `body_file` not read yet (a file changed in code) is read now, relative to
    /// the scenario's source.
    pub fn request(&self, i: usize) -> Result<RequestSpec, String> {
        let wide = &self.file.clients.request;
        let own = self
            .services
            .get(i)
            .and_then(|s| self.file.backend.services.get(s.entry))
            .map(|s| &s.request);
        let mut spec = RequestSpec::default();
        let layers = std::iter::once(wide).chain(own);
        for r in layers {
            if let Some(m) = &r.method {
                spec.method = m.clone();
            }
            for (name, value) in &r.headers {
                let lower = name.to_ascii_lowercase();
                spec.headers.retain(|(n, _)| *n != lower);
                spec.headers.push((lower, value.clone()));
            }
            if let Some(b) = &r.body {
                spec.body = Arc::from(b.as_bytes());
            } else if let Some(f) = &r.body_file {
                spec.body = match &r.body_file_bytes {
                    Some(b) => b.clone(),
                    None => read_body(&self.source, f)?,
                };
            }
        }
        spec.headers.sort();
        Ok(spec)
    }
}

impl super::Scenario {
    /// What the clients of service `i` present to the gateway's auth and rate limit, as it
    /// reads them: the `authorization` value (`Bearer KEY`) and the `x-api-key` value. From
    /// `[clients.credentials]`, else from the headers loadgen sends to that service
    /// (`[clients.request]`, the service's own `request` over it): live, a key in a request
    /// header works as one in the credentials, so the simulator reads it there too (it
    /// answered every such request 401 while live runs were served).
    pub fn presented_credentials(&self, i: usize) -> (Option<String>, Option<String>) {
        if let Some(c) = &self.file.clients.credentials {
            return (c.bearer.as_ref().map(|b| format!("Bearer {b}")), c.api_key.clone());
        }
        let own = self
            .services
            .get(i)
            .and_then(|s| self.file.backend.services.get(s.entry))
            .map(|s| &s.request);
        let header = |wanted: &str| {
            std::iter::once(&self.file.clients.request)
                .chain(own)
                .flat_map(|r| r.headers.iter())
                .rfind(|(name, _)| name.eq_ignore_ascii_case(wanted))
                .map(|(_, v)| v.clone())
        };
        (header("authorization"), header("x-api-key"))
    }

    /// The clients-wide request in a few words, for `scenario check`: `POST, headers
    /// content-type, x-tenant, a 12-byte body`.
    pub(super) fn request_text(&self) -> String {
        let r = &self.file.clients.request;
        let mut parts = vec![r.method.clone().unwrap_or_else(|| "GET".into())];
        if !r.headers.is_empty() {
            let names: Vec<String> = r.headers.keys().map(|n| n.to_ascii_lowercase()).collect();
            parts.push(format!("headers {}", names.join(", ")));
        }
        let body = match (&r.body, &r.body_file, &r.body_file_bytes) {
            (Some(b), _, _) => Some(format!("a {}-byte body", b.len())),
            (None, Some(f), Some(b)) => Some(format!("a {}-byte body from {f}", b.len())),
            (None, Some(f), None) => Some(format!("the body of {f}")),
            _ => None,
        };
        parts.extend(body);
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods() {
        for ok in ["GET", "POST", "PURGE", "M-SEARCH", "Custom"] {
            assert_eq!(check_method(ok), Ok(()), "{ok}");
        }
        assert!(check_method("post").unwrap_err().contains("write `POST`"));
        assert!(check_method("GET /").unwrap_err().contains("expected an HTTP method"));
        assert!(check_method("").is_err());
        assert!(check_method("CONNECT").unwrap_err().contains("tunnel"));
    }

    #[test]
    fn headers() {
        assert_eq!(check_header("Content-Type", "application/json", false), Ok(()));
        assert_eq!(check_header("authorization", "Bearer x", false), Ok(()));
        assert!(check_header("authorization", "Bearer x", true)
            .unwrap_err()
            .contains("[clients.credentials]"));
        for name in [
            "Host",
            "content-length",
            "Transfer-Encoding",
            "Connection",
            "x-request-id",
        ] {
            let e = check_header(name, "x", false).unwrap_err();
            assert!(e.starts_with(&format!("header `{name}` cannot be set: ")), "{e}");
        }
        assert!(check_header("bad name", "x", false)
            .unwrap_err()
            .contains("not a header name"));
        assert!(check_header("x-a", "a\r\nx: y", false)
            .unwrap_err()
            .contains("control character"));
    }
}
