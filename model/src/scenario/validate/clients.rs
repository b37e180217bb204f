//! Checks of `[clients]`: timeouts (shared and per service), retries, credentials and the
//! requests they send.

use super::Checker;
use crate::dist::DistSpec;
use crate::scenario::{Backoff, ClientsConfig, ScenarioFile, ServiceSpec};

/// A clients' timeout (`clients.timeout`, or a service's own): a valid distribution with a
/// mean > 0.
fn check_client_timeout(c: &mut Checker, path: String, spec: &DistSpec) {
    if let Some(d) = c.dist(path.clone(), spec) {
        if d.mean() <= 0.0 {
            c.fail(path, "expected a duration > 0, got 0s");
        }
    }
}

/// A per-service table's name (`[gateway.services.NAME]`, `[clients.services.NAME]`): a service
/// or group of the backend. The names it may be are listed, since the mistake is often the
/// group's name for a service's or the reverse.
pub(super) fn check_service_table(c: &mut Checker, path: &str, name: &str, services: &[ServiceSpec]) {
    let mut names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
    for s in services {
        if !names.contains(&s.group.as_str()) {
            names.push(&s.group);
        }
    }
    if services.is_empty() || names.contains(&name) {
        return;
    }
    let hint =
        crate::scenario::wording::nearest(name, &names).map_or(String::new(), |n| format!("; did you mean `{n}`?"));
    const SHOWN: usize = 12;
    let mut known: Vec<String> = names.iter().take(SHOWN).map(|n| format!("`{n}`")).collect();
    if names.len() > SHOWN {
        known.push(format!("and {} more", names.len() - SHOWN));
    }
    c.fail(
        path.to_string(),
        format!(
            "no service or group `{name}` in [[backend.services]]{hint} (services and groups: {})",
            known.join(", ")
        ),
    );
}

/// `[clients.services.NAME]`: a service or group of the backend (the names it may be are
/// listed, since the mistake is often the group's name for a service's or the reverse), and
/// its timeout checked as `clients.timeout` is.
pub(super) fn check_clients_services(c: &mut Checker, cl: &ClientsConfig, services: &[ServiceSpec]) {
    for (name, o) in &cl.services {
        let path = format!("clients.services.{}", super::locate::key(name));
        check_service_table(c, &path, name, services);
        if let Some(t) = &o.timeout {
            check_client_timeout(c, format!("{path}.timeout"), t);
        }
    }
}

/// `auth`: the file has `[gateway.auth]` (the reference gateway checks the credentials).
pub(super) fn check_clients(c: &mut Checker, cl: &ClientsConfig, auth: bool) {
    check_client_timeout(c, "clients.timeout".into(), &cl.timeout);
    let r = &cl.retry;
    c.at_least_one("clients.retry.max_attempts".into(), r.max_attempts);
    if r.on.is_empty() && r.max_attempts > 1 {
        c.fail(
            "clients.retry.on",
            format!(
                "no outcome is retried (on = []), so max_attempts = {} never applies: list what to retry, like on = [\"timeout\", \"5xx\"], or set max_attempts = 1",
                r.max_attempts
            ),
        );
    }
    if r.backoff != Backoff::None {
        c.positive_dur("clients.retry.base".into(), r.base);
    }
    // Without a backoff, neither is used.
    if r.backoff != Backoff::None && r.cap < r.base {
        c.fail(
            "clients.retry.cap",
            format!("expected cap >= base ({}), got {}", r.base, r.cap),
        );
    }
    if let Some(b) = &r.budget {
        c.non_negative("clients.retry.budget.ratio".into(), b.ratio, "a ratio");
        c.non_negative("clients.retry.budget.min_per_sec".into(), b.min_per_sec, "a rate");
    }
    if let Some(cr) = &cl.credentials {
        match (&cr.api_key, &cr.bearer) {
            (None, None) => c.fail("clients.credentials", "give `api_key` or `bearer`"),
            (Some(_), Some(_)) => c.fail("clients.credentials", "give `api_key` or `bearer`, not both"),
            _ => {}
        }
        // Sent as a header with every attempt, by the rule of `[clients.request]`'s header
        // values (loadgen refused such a value only when a run started, with no position).
        let keys = [
            ("api_key", crate::wire::API_KEY, cr.api_key.as_deref()),
            ("bearer", "authorization", cr.bearer.as_deref()),
        ];
        for (key, header, value) in keys {
            let Some(value) = value else { continue };
            let path = format!("clients.credentials.{key}");
            if value.trim().is_empty() {
                c.fail(path, "expected a non-empty key");
            } else if let Err(e) = super::request::check_header(header, value, false) {
                c.fail(path, format!("sent as {e}"));
            } else if let Some(why) = key_problem(value, auth) {
                c.fail(path, why);
            }
        }
    }
}

/// Why an auth key (`gateway.auth.keys[i]`, `clients.credentials.api_key` or `bearer`) could
/// never be presented and match, if it could not. `gateway`: the reference gateway checks it
/// (`[gateway.auth]`). The gateway reads the key a request presents from its header as visible
/// ASCII, spaces and tabs (`HeaderValue::to_str`: any other byte, in UTF-8 or not, reads as no
/// key), and trims it, so a key with a space or tab at either end never matches. Either way a
/// live run is all 401s, while the simulator, which compares the strings, passes every request.
/// Without `[gateway.auth]` the credentials are for a `--target` of another kind, which may take
/// any header value; but loadgen sends them as visible ASCII only (it refuses to start a run
/// with another character in them), and HTTP trims spaces and tabs at a field value's ends.
pub(super) fn key_problem(key: &str, gateway: bool) -> Option<String> {
    let travels = |ch: &char| (' '..='~').contains(ch) || *ch == '\t';
    if let Some((at, ch)) = key.chars().enumerate().find(|(_, ch)| !travels(ch)) {
        let what = if ch.is_control() {
            format!("the control character U+{:04X}", u32::from(ch))
        } else {
            format!("`{ch}` (U+{:04X})", u32::from(ch))
        };
        let why = if gateway {
            "the gateway reads keys from a header as visible ASCII only, so it would answer every request 401"
        } else {
            "loadgen sends credentials in a header as visible ASCII only, so it would refuse to start a live run with it (no [gateway.auth] checks it: the key is for a --target)"
        };
        return Some(format!(
            "character {} of the key is {what}: {why}; use ASCII letters, digits and punctuation",
            at + 1
        ));
    }
    if key.trim() != key {
        return Some(if gateway {
            "the key begins or ends with a space or tab, which the gateway trims from the key a request presents, so no request could match it: remove it"
                .into()
        } else {
            "the key begins or ends with a space or tab, which HTTP trims from a header value, so the target would read another key: remove it"
                .into()
        });
    }
    None
}

/// `[clients.request]` and each service's `request` (their body files are read once the
/// file is valid: see `crate::scenario::parse`).
pub(super) fn check_requests(c: &mut Checker, file: &ScenarioFile) {
    let credentials = file.clients.credentials.is_some();
    c.problems.extend(super::request::check(
        "clients.request",
        &file.clients.request,
        credentials,
    ));
    for (i, s) in file.backend.services.iter().enumerate() {
        c.problems.extend(super::request::check(
            &format!("backend.services[{i}].request"),
            &s.request,
            credentials,
        ));
    }
}
