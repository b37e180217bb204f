//! Wire conventions shared by every HTTP part (see DESIGN.md): header names and the parsing
//! and formatting of their values. Pure functions on strings, so the gateway, mock-legacy and
//! the load generator agree byte for byte.

use std::time::Duration;

/// Client time budget, relative, in milliseconds (like `grpc-timeout`).
pub const TIMEOUT_MS: &str = "x-spillway-timeout-ms";
/// `interactive` or `background`.
pub const PRIORITY: &str = "x-spillway-priority";
pub const REQUEST_ID: &str = "x-request-id";
pub const API_KEY: &str = "x-api-key";
/// Time the request spent in the gateway's queue, milliseconds.
pub const QUEUE_MS: &str = "x-spillway-queue-ms";
/// served, shed, expired, rate-limited, ...
pub const OUTCOME: &str = "x-spillway-outcome";
/// Retry-After with millisecond precision: `Retry-After` has whole seconds only, too coarse for
/// time-compressed runs. Our clients and gateway prefer it when present.
pub const RETRY_AFTER_MS: &str = "x-spillway-retry-after-ms";

/// Request headers that carry one value: a request with two copies of any of them is refused
/// (400), as taking the first or the last would let a proxy and a server read different values.
pub const SINGLE_VALUE_REQUEST_HEADERS: &[&str] = &[TIMEOUT_MS, PRIORITY, REQUEST_ID, API_KEY, "authorization"];

/// The 400 message for a request that repeats a header of [`SINGLE_VALUE_REQUEST_HEADERS`].
pub fn repeated_header_message(name: &str) -> String {
    format!("{name}: sent more than once; it takes a single value")
}

/// Parses an `x-spillway-timeout-ms` value: ASCII digits only (no sign, no other text).
pub fn parse_timeout_ms(v: &str) -> Result<Duration, String> {
    let t = v.trim_matches([' ', '\t']);
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{TIMEOUT_MS}: expected a whole number of milliseconds, got `{t}`"
        ));
    }
    // Digits only, so the one way `parse` can fail is overflow: too large all the same.
    match t.parse::<u64>() {
        Ok(ms) if ms <= 86_400_000 => Ok(Duration::from_millis(ms)),
        _ => Err(format!("{TIMEOUT_MS}: expected at most 86400000 ms (a day), got {t}")),
    }
}

/// Parses an `x-spillway-priority` value.
pub fn parse_priority(v: &str) -> Result<crate::scenario::Priority, String> {
    match v.trim() {
        "interactive" => Ok(crate::scenario::Priority::Interactive),
        "background" => Ok(crate::scenario::Priority::Background),
        other => Err(format!("{PRIORITY}: expected interactive or background, got `{other}`")),
    }
}

/// Formats a budget for `x-spillway-timeout-ms` (rounded down: never promise more than is left).
pub fn format_timeout_ms(d: Duration) -> String {
    timeout_ms(d).to_string()
}

/// The `x-spillway-timeout-ms` value of a budget, for writing it in place.
pub fn timeout_ms(d: Duration) -> u128 {
    d.as_millis()
}

/// `Retry-After` (whole seconds, rounded up, at least 1) and `x-spillway-retry-after-ms` values.
pub fn retry_after_values(d: Duration) -> (String, String) {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    let ms = d.as_millis() + u128::from(!d.subsec_nanos().is_multiple_of(1_000_000));
    (secs.max(1).to_string(), ms.to_string())
}

/// Reads a pause from `x-spillway-retry-after-ms` if present, else `Retry-After` delta-seconds.
/// An HTTP-date Retry-After is not understood and yields `None`.
pub fn parse_retry_after(seconds: Option<&str>, millis: Option<&str>) -> Option<Duration> {
    if let Some(ms) = millis.and_then(|m| m.trim().parse::<u64>().ok()) {
        return Some(Duration::from_millis(ms));
    }
    seconds
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// The methods spillway's servers answer (for `Allow`): any but CONNECT, which is a proxy's.
pub const ALLOW: &str = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

/// Whether a `Host` value is `uri-host [ ":" port ]` (RFC 9110 section 7.2; RFC 3986 section
/// 3.2.2), or empty (a target without an authority). No user info, no path, no spaces.
pub fn valid_host(v: &[u8]) -> bool {
    let (host, port) = if let Some(rest) = v.strip_prefix(b"[") {
        // An IP literal: IPv6 (or IPvFuture) in brackets.
        let Some(end) = rest.iter().position(|&b| b == b']') else {
            return false;
        };
        let literal = &rest[..end];
        if literal.is_empty() || !literal.iter().all(|&b| b.is_ascii_hexdigit() || b":.vV".contains(&b)) {
            return false;
        }
        match &rest[end + 1..] {
            [] => (&b""[..], None),
            [b':', port @ ..] => (&b""[..], Some(port)),
            _ => return false,
        }
    } else {
        match v.iter().rposition(|&b| b == b':') {
            Some(i) => (&v[..i], Some(&v[i + 1..])),
            None => (v, None),
        }
    };
    // reg-name or IPv4: unreserved, pct-encoded and sub-delims.
    let mut i = 0;
    while i < host.len() {
        match host[i] {
            b'%' if host
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) =>
            {
                i += 2
            }
            b if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b) => {}
            _ => return false,
        }
        i += 1;
    }
    port.is_none_or(|p| p.len() <= 5 && p.iter().all(u8::is_ascii_digit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_values() {
        for ok in [
            "",
            "a",
            "a.example",
            "a.example:8080",
            "127.0.0.1:80",
            "[::1]",
            "[::1]:8081",
            "xn--bcher-kva.example",
            "a%20b",
            "a:",
        ] {
            assert!(valid_host(ok.as_bytes()), "{ok:?}");
        }
        for bad in [
            "a b/c@d", "user@a", "a/b", "a:b:c", "a:123456", "a:8x", "[::1", "[zz]", "[::1]x", "a%2", "a\tb", "\u{e9}",
        ] {
            assert!(!valid_host(bad.as_bytes()), "{bad:?}");
        }
    }

    #[test]
    fn timeout_header() {
        assert_eq!(parse_timeout_ms("1500"), Ok(Duration::from_millis(1500)));
        assert!(parse_timeout_ms("1.5s").unwrap_err().contains("whole number"));
        assert!(parse_timeout_ms("-1").is_err());
        assert!(parse_timeout_ms("99999999999").is_err());
        assert!(parse_timeout_ms("99999999999999999999999")
            .unwrap_err()
            .contains("at most"));
        assert_eq!(parse_timeout_ms(" 0000100 "), Ok(Duration::from_millis(100)));
        for bad in ["+5000", "", "1e3", "0x10", "100ms", "1 0", "\u{661}"] {
            assert!(parse_timeout_ms(bad).unwrap_err().contains("whole number"), "{bad:?}");
        }
        assert_eq!(format_timeout_ms(Duration::from_micros(1999)), "1");
    }

    #[test]
    fn priority_header() {
        assert_eq!(parse_priority("background"), Ok(crate::scenario::Priority::Background));
        assert!(parse_priority("urgent")
            .unwrap_err()
            .contains("interactive or background"));
    }

    #[test]
    fn retry_after() {
        assert_eq!(
            retry_after_values(Duration::from_millis(100)),
            ("1".into(), "100".into())
        );
        assert_eq!(
            retry_after_values(Duration::from_millis(2500)),
            ("3".into(), "2500".into())
        );
        assert_eq!(
            retry_after_values(Duration::from_micros(100_500)),
            ("1".into(), "101".into())
        );
        assert_eq!(
            parse_retry_after(Some("3"), Some("2500")),
            Some(Duration::from_millis(2500))
        );
        assert_eq!(parse_retry_after(Some("3"), None), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT"), None), None);
    }
}
