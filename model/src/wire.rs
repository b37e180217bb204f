//! Wire conventions shared by every HTTP part (see DESIGN.md): header names and the parsing
//! and formatting of their values. Pure functions on strings, so the gateway, mock-legacy and
//! the load generator agree byte for byte.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
/// On `/healthz` of mock-legacy and the gateway: the time scale the server runs at, so that
/// the processes of a live run can tell they disagree.
pub const TIME_SCALE: &str = "x-spillway-time-scale";

/// Request headers that carry one value: a request with two copies of any of them is refused
/// (400), as taking the first or the last would let a proxy and a server read different values.
pub const SINGLE_VALUE_REQUEST_HEADERS: &[&str] = &[TIMEOUT_MS, PRIORITY, REQUEST_ID, API_KEY, "authorization"];

/// A 404's message for `path` when its first segment names no service: the first five
/// service names (then `...`), so a typo shows at once; `rest` is what follows the service in a
/// route (`{api}` for mock-legacy, `...` for the gateway).
pub fn no_route_message<'a>(path: &str, rest: &str, services: impl ExactSizeIterator<Item = &'a str>) -> String {
    let many = services.len() > 5;
    let mut names: Vec<&str> = services.take(5).collect();
    if many {
        names.push("...");
    }
    format!(
        "no route for {path}: expected /{{service}}/{rest} with service one of {}",
        names.join(", ")
    )
}

/// The 400 message for a request that repeats a header of [`SINGLE_VALUE_REQUEST_HEADERS`].
pub fn repeated_header_message(name: &str) -> String {
    format!("{name}: sent more than once; it takes a single value")
}

/// The largest budget `x-spillway-timeout-ms` carries: a day. Its readers refuse more, so a
/// sender caps what it passes on here (the gateway, whose upstream timeout may be longer).
pub const MAX_TIMEOUT: Duration = Duration::from_secs(86_400);

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
        Ok(ms) if Duration::from_millis(ms) <= MAX_TIMEOUT => Ok(Duration::from_millis(ms)),
        _ => Err(format!(
            "{TIMEOUT_MS}: expected at most {} ms (a day), got {t}",
            MAX_TIMEOUT.as_millis()
        )),
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

/// Formats a budget for `x-spillway-timeout-ms` (rounded down: never promise more than is left),
/// at most [`MAX_TIMEOUT`]: the gateway answers a longer one 400, so clients patient for more
/// than a day (`clients.timeout = "100000s"`) failed every attempt live and none simulated. A
/// day is as good as no deadline to every reader of the header.
pub fn format_timeout_ms(d: Duration) -> String {
    timeout_ms(d.min(MAX_TIMEOUT)).to_string()
}

/// The `x-spillway-timeout-ms` value of a budget, for writing it in place.
pub fn timeout_ms(d: Duration) -> u128 {
    d.as_millis()
}

/// `Retry-After` (whole seconds, rounded up: any pause under a second is 1) and
/// `x-spillway-retry-after-ms` (milliseconds, rounded up) values. No pause is 0 in both (RFC 9110
/// allows `Retry-After: 0`), not a second in one and none in the other.
pub fn retry_after_values(d: Duration) -> (String, String) {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    let ms = d.as_millis() + u128::from(!d.subsec_nanos().is_multiple_of(1_000_000));
    (secs.to_string(), ms.to_string())
}

/// Reads a pause from `x-spillway-retry-after-ms` if present, else `Retry-After` delta-seconds
/// (ASCII digits; a value too large for a `u64` saturates). An HTTP-date Retry-After needs the
/// current time and yields `None` here: see [`parse_retry_after_at`].
pub fn parse_retry_after(seconds: Option<&str>, millis: Option<&str>) -> Option<Duration> {
    if let Some(ms) = millis.and_then(digits) {
        return Some(Duration::from_millis(ms));
    }
    seconds.and_then(digits).map(Duration::from_secs)
}

/// Reads a pause from `x-spillway-retry-after-ms` if present, else from `Retry-After` in either
/// form of RFC 9110 section 10.2.3: delay-seconds, or an HTTP-date (any of the three formats of
/// section 5.6.7), which is read against `now`, the current wall-clock time (the model reads no
/// clock: the caller passes it). A date in the past is no pause (zero); values too large saturate.
pub fn parse_retry_after_at(seconds: Option<&str>, millis: Option<&str>, now: SystemTime) -> Option<Duration> {
    if let Some(d) = parse_retry_after(seconds, millis) {
        return Some(d);
    }
    let at = parse_http_date(seconds?, now)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A whole number written in ASCII digits only (RFC 9110's `1*DIGIT`, around optional
/// whitespace), saturating at `u64::MAX`.
fn digits(v: &str) -> Option<u64> {
    let t = v.trim_matches([' ', '\t']);
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(t.parse::<u64>().unwrap_or(u64::MAX))
}

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const LONG_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days from 1970-01-01 to a civil date (proleptic Gregorian; H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month 1-12, day 1-31) of a day counted from 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Seconds since 1970 (negative before) of a date and time of day, checked field by field.
fn epoch_seconds(y: i64, m: u32, d: u32, (hh, mm, ss): (u32, u32, u32)) -> Option<i64> {
    // Second 60: a leap second (RFC 9110 allows it in the grammar).
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86_400 + i64::from(hh * 3600 + mm * 60 + ss))
}

/// `n` ASCII digits exactly.
fn fixed_digits(s: &str, n: usize) -> Option<u32> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
}

fn month(s: &str) -> Option<u32> {
    MONTHS.iter().position(|m| *m == s).map(|i| i as u32 + 1)
}

/// `hh:mm:ss`.
fn time_of_day(s: &str) -> Option<(u32, u32, u32)> {
    let mut it = s.split(':');
    let t = (
        fixed_digits(it.next()?, 2)?,
        fixed_digits(it.next()?, 2)?,
        fixed_digits(it.next()?, 2)?,
    );
    it.next().is_none().then_some(t)
}

/// Parses an HTTP-date (RFC 9110 section 5.6.7): the preferred IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`) and the two obsolete formats a recipient must also accept,
/// RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`, its two-digit year read as the RFC says: a year
/// that would lie more than 50 years after `now` is the one a century earlier) and asctime
/// (`Sun Nov  6 08:49:37 1994`). The day name is checked as a name, not against the date.
/// A date before 1970 is read as 1970-01-01 (it is long past either way).
pub fn parse_http_date(v: &str, now: SystemTime) -> Option<SystemTime> {
    let v = v.trim_matches([' ', '\t']);
    let secs = if let Some((day, rest)) = v.split_once(", ") {
        let parts: Vec<&str> = rest.split(' ').collect();
        if DAYS.contains(&day) {
            // IMF-fixdate: `DD Mon YYYY hh:mm:ss GMT`.
            let [d, m, y, t, "GMT"] = parts[..] else { return None };
            epoch_seconds(
                i64::from(fixed_digits(y, 4)?),
                month(m)?,
                fixed_digits(d, 2)?,
                time_of_day(t)?,
            )?
        } else if LONG_DAYS.contains(&day) {
            // RFC 850: `DD-Mon-YY hh:mm:ss GMT`.
            let [date, t, "GMT"] = parts[..] else { return None };
            let mut dm = date.split('-');
            let (d, m, yy) = (dm.next()?, dm.next()?, dm.next()?);
            if dm.next().is_some() {
                return None;
            }
            let yy = i64::from(fixed_digits(yy, 2)?);
            let this_year = civil_from_days(unix_seconds(now).div_euclid(86_400)).0;
            let mut y = this_year - this_year.rem_euclid(100) + yy;
            if y > this_year + 50 {
                y -= 100;
            }
            epoch_seconds(y, month(m)?, fixed_digits(d, 2)?, time_of_day(t)?)?
        } else {
            return None;
        }
    } else {
        // asctime: `Day Mon DD hh:mm:ss YYYY`, a one-digit day padded with a space.
        let (day, rest) = v.split_at_checked(4)?;
        let day = day.strip_suffix(' ')?;
        if !DAYS.contains(&day) || rest.len() != 20 {
            return None;
        }
        let (m, rest) = rest.split_at_checked(4)?;
        let (d, rest) = rest.split_at_checked(3)?;
        let d = d.strip_suffix(' ')?;
        let d = match d.strip_prefix(' ') {
            Some(one) => fixed_digits(one, 1)?,
            None => fixed_digits(d, 2)?,
        };
        let (t, y) = rest.split_once(' ')?;
        epoch_seconds(
            i64::from(fixed_digits(y, 4)?),
            month(m.strip_suffix(' ')?)?,
            d,
            time_of_day(t)?,
        )?
    };
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap_or(0)))
}

/// Whole seconds of `t` since 1970 (negative before).
fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Formats `t` as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), for `Retry-After` and
/// `Date`; a time before 1970 as 1970-01-01.
pub fn format_http_date(t: SystemTime) -> String {
    let secs = unix_seconds(t).max(0);
    let days = secs / 86_400;
    let (y, m, d) = civil_from_days(days);
    let s = secs % 86_400;
    // 1970-01-01 was a Thursday.
    let weekday = DAYS[(days + 3).rem_euclid(7) as usize];
    format!(
        "{weekday}, {d:02} {} {y:04} {:02}:{:02}:{:02} GMT",
        MONTHS[m as usize - 1],
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// The client addresses a request passed through, oldest first; the gateway appends its
/// client's.
pub const FORWARDED_FOR: &str = "x-forwarded-for";

/// Whether a request of `method` may be sent twice without changing what it does (RFC 9110,
/// section 9.2.2). The gateway resends only these after an answer that may mean the service
/// carried the request out (a 502 or 503), as the simulator's gateway does.
pub fn is_idempotent_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS" | "TRACE")
}

/// The methods spillway's servers answer (for `Allow`). mock-legacy answers these alone (a
/// TRACE or a made-up method gets 501, not a worker's time); the gateway forwards any method
/// but CONNECT, which is a forward proxy's, and TRACE, which would echo the client's
/// credentials back (it answers 405), since what the services behind it take is theirs to say.
pub const ALLOW: &str = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

/// Why a request path is refused, if it is: a dot-segment (`.` or `..`), also percent-encoded
/// (`%2e%2e`) or behind an encoded slash (`..%2f`). A server routes on the path as sent; a
/// backend that removes dot-segments (RFC 3986 section 5.2.4) would serve another route than the
/// one admitted, under that route's queue bound and limits: `/a/../b/x` counts as `a`'s and runs
/// as `b`'s.
pub fn dot_segment_problem(path: &str) -> Option<String> {
    for segment in path.split('/') {
        let decoded = percent_decode(segment);
        // A segment's `;params` dropped first: servlet containers read `..;` as `..`.
        let dot = |p: &str| matches!(p.split(';').next(), Some("." | ".."));
        if decoded.split(['/', '\\']).any(dot) {
            return Some(format!(
                "path segment `{segment}` is a dot-segment (`.` or `..`): a backend that resolves it would serve another route than the one named; send the path resolved"
            ));
        }
    }
    None
}

/// `%XX` escapes decoded (an invalid one kept as written), for checks, not for forwarding.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What the servers' own endpoints (`/healthz`, `/metrics`) answer: reads only.
pub const ADMIN_ALLOW: &str = "GET, HEAD";

/// Why a request for a server's own endpoint `path` with `method` is refused (405, with
/// [`ADMIN_ALLOW`]), if it is: a `POST /healthz` answered 200 read as if it did something.
pub fn admin_method_problem(method: &str, path: &str) -> Option<String> {
    (method != "GET" && method != "HEAD").then(|| format!("{path} answers GET and HEAD only, not {method}"))
}

/// Whether `method` is one of [`ALLOW`].
pub fn allowed_method(method: &str) -> bool {
    ALLOW.split(", ").any(|m| m == method)
}

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

/// `u` with the password of its credentials (`user:pw@`) replaced by `***`, for messages that
/// quote a URL a user gave with them (CI logs keep stderr).
pub fn redact_userinfo(u: &str) -> String {
    let Some(scheme_end) = u.find("://").map(|i| i + 3) else {
        return u.to_string();
    };
    let rest = &u[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return u.to_string();
    };
    let user = rest[..at].split(':').next().unwrap_or("");
    let hidden = if rest[..at].contains(':') {
        format!("{user}:***")
    } else {
        "***".to_string()
    };
    format!("{}{hidden}{}", &u[..scheme_end], &rest[at..])
}

/// Checks a service's upstream base URL, as the gateway and the scenario format take it:
/// `http://host:port` with an optional path prefix (https passes here; the gateway refuses it
/// itself). Refused, with why: credentials (`user:pw@`: never sent, and the gateway would log
/// them), a query or a fragment (dropped from every request, silently), an empty host, a port
/// outside 1..65535, and characters the gateway's URI parser (`http::Uri`) refuses, so that a
/// file `scenario check --for gateway` passes is one the gateway starts from.
pub fn check_upstream_url(u: &str) -> Result<(), String> {
    let shown = crate::scenario::printable(u);
    let rest = u
        .strip_prefix("http://")
        .or_else(|| u.strip_prefix("https://"))
        .ok_or_else(|| format!("expected an http:// URL (http://host:port), got `{shown}`"))?;
    let authority = rest.split('/').next().unwrap_or("");
    if authority.contains('@') {
        return Err(format!(
            "`{}` has credentials (user@): the gateway never sends them to the service; drop them",
            crate::scenario::printable(&redact_userinfo(u))
        ));
    }
    if u.contains('?') || u.contains('#') {
        return Err(format!(
            "`{shown}` has a query or a fragment, which the gateway would drop from every request: give the base URL alone (a path prefix is kept)"
        ));
    }
    if u.len() > MAX_UPSTREAM_URL {
        return Err(format!(
            "`{}...` is {} bytes long: at most {MAX_UPSTREAM_URL} (the gateway takes its length off the request head it accepts from clients)",
            crate::scenario::printable(&u.chars().take(40).collect::<String>()),
            u.len()
        ));
    }
    // The port: after the last `:` outside an IPv6 literal's brackets.
    let (host, port) = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => (&authority[..i], Some(&authority[i + 1..])),
        _ => (authority, None),
    };
    if host.is_empty() || host == "[]" {
        return Err(format!("`{shown}` has no host: expected http://host:port"));
    }
    if let Some(p) = port {
        if !matches!(p.parse::<u32>(), Ok(1..=65535)) || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "`{shown}`: the port must be 1..65535, got `{}`",
                crate::scenario::printable(p)
            ));
        }
    }
    if let Some(why) = upstream_host_problem(host) {
        return Err(format!("`{shown}`: {why}"));
    }
    if let Some(why) = upstream_path_problem(&rest[authority.len()..]) {
        return Err(format!("`{shown}`: {why}"));
    }
    Ok(())
}

/// The longest upstream URL: the gateway takes it off the request head a client may send
/// (the upstream's host and path prefix go into every request it forwards).
pub const MAX_UPSTREAM_URL: usize = 2048;

/// A character as a message names it: `x`, or its code point when it does not print.
fn char_named(c: char) -> String {
    if c.is_ascii_graphic() {
        format!("`{c}`")
    } else if c == ' ' {
        "a space".into()
    } else if c.is_control() {
        format!("the control character U+{:04X}", u32::from(c))
    } else {
        format!("`{c}` (U+{:04X})", u32::from(c))
    }
}

/// Why an upstream's host (`name`, an IPv4 address or `[IPv6]`) is not one, if it is not: a
/// name of RFC 3986 `unreserved` and `sub-delims` characters (no `%`: `http::Uri` refuses a
/// percent-escape in a host), or an IPv6 address in brackets.
fn upstream_host_problem(host: &str) -> Option<String> {
    if let Some(inner) = host.strip_prefix('[') {
        let Some(literal) = inner.strip_suffix(']') else {
            return Some("an IPv6 address opened with `[` must be closed with `]`".into());
        };
        // `http::Uri` takes at most 8 colons in a literal; an address has at most 7 (8 with `::`).
        let ok = literal.parse::<std::net::Ipv6Addr>().is_ok() && literal.matches(':').count() <= 8;
        return (!ok).then(|| "the host in brackets is not an IPv6 address".into());
    }
    let bad = host
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=".contains(c)));
    bad.map(|c| {
        format!(
            "the host cannot hold {} (a host name is letters, digits and -._~!$&'()*+,;=)",
            char_named(c)
        )
    })
}

/// Why an upstream's path prefix is not a URL path, if it is not: RFC 3986 `pchar`s and `/`,
/// each `%` followed by two hex digits.
fn upstream_path_problem(path: &str) -> Option<String> {
    let b = path.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let escape = b.get(i + 1..i + 3);
                if !escape.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                    let written: String = path[i..].chars().take(3).collect();
                    return Some(format!(
                        "the path has `{}`: a `%` begins an escape of two hex digits (`%20`); write a `%` itself as `%25`",
                        crate::scenario::printable(&written)
                    ));
                }
                i += 3;
            }
            c if c.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&c) => i += 1,
            _ => {
                let c = path[i..].chars().next().unwrap_or('?');
                return Some(format!(
                    "the path cannot hold {} (escape it: a space is `%20`)",
                    char_named(c)
                ));
            }
        }
    }
    None
}

/// The most header fields spillway's servers (mock-legacy, and the reference gateway less
/// [`GATEWAY_ADDED_HEADERS`]) take in a request: past it they answer 431.
pub const MAX_REQUEST_HEADERS: usize = 100;
/// The largest request head (request line and headers) spillway's servers take, in bytes:
/// past it they answer 431.
pub const MAX_REQUEST_HEAD_BYTES: usize = 16 * 1024;
/// The largest request body spillway's servers take, in bytes: past it they answer 413.
pub const MAX_REQUEST_BODY_BYTES: usize = 1 << 20;
/// Headers the reference gateway adds to a request it forwards, at most: `via`,
/// `x-forwarded-for` (when the client sent none), `x-request-id` (when absent),
/// `x-spillway-timeout-ms` (with a `default_timeout`), `content-length: 0` (a POST without a
/// body) and `host` (an h2c request has none). It takes them off what clients may send, so a
/// request it accepts is not refused by a service with the same limits.
pub const GATEWAY_ADDED_HEADERS: usize = 6;
/// Bytes those add to the request head, at most (an IPv6 client's address is the longest),
/// besides the upstream's host and path prefix (taken off too: [`gateway_head_limit`]).
pub const GATEWAY_ADDED_HEAD_BYTES: usize = 256;

/// The most header fields the reference gateway takes from a client.
pub const GATEWAY_MAX_HEADERS: usize = MAX_REQUEST_HEADERS - GATEWAY_ADDED_HEADERS;

/// The largest request head the reference gateway takes from a client, in bytes, when its
/// longest upstream URL is `longest_upstream` bytes: a service's limit less what the gateway
/// adds, the upstream's host and path prefix included.
pub fn gateway_head_limit(longest_upstream: usize) -> usize {
    (MAX_REQUEST_HEAD_BYTES - GATEWAY_ADDED_HEAD_BYTES)
        .saturating_sub(longest_upstream)
        .max(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a client writes is always what the servers read back: a budget of more than a day
    /// is sent as a day (the gateway answered it 400).
    #[test]
    fn a_budget_written_is_one_the_servers_accept() {
        for d in [
            Duration::from_micros(1500),
            Duration::from_secs(5),
            MAX_TIMEOUT,
            MAX_TIMEOUT + Duration::from_millis(1),
            Duration::from_secs(100_000),
            Duration::MAX,
        ] {
            let v = format_timeout_ms(d);
            assert_eq!(
                parse_timeout_ms(&v),
                Ok(d.min(MAX_TIMEOUT)).map(|d| Duration::from_millis(d.as_millis() as u64)),
                "{d:?} -> {v}"
            );
        }
    }

    /// Upstream URLs: a base with an optional path prefix; credentials, queries, fragments,
    /// empty hosts and bad ports refused, each saying why.
    #[test]
    fn passwords_are_redacted_from_quoted_urls() {
        assert_eq!(
            redact_userinfo("http://u:secret@h:1/p?q=a@b"),
            "http://u:***@h:1/p?q=a@b"
        );
        assert_eq!(redact_userinfo("http://token@h/p"), "http://***@h/p");
        assert_eq!(redact_userinfo("http://h:1/p@x"), "http://h:1/p@x");
        assert_eq!(redact_userinfo("not a url"), "not a url");
        assert!(!check_upstream_url("http://u:secret@h:1")
            .unwrap_err()
            .contains("secret"));
    }

    #[test]
    fn upstream_urls_are_bases_without_credentials_or_queries() {
        for ok in [
            "http://127.0.0.1:8081",
            "http://legacy.internal:8081/base/",
            "http://[::1]:9000",
            "http://legacy",
            "https://legacy.example:443",
        ] {
            assert_eq!(check_upstream_url(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("127.0.0.1:8081", "expected an http:// URL"),
            ("ftp://a:1", "expected an http:// URL"),
            ("http://user:pw@127.0.0.1:8081", "has credentials"),
            ("http://127.0.0.1:8081/base?x=1", "a query or a fragment"),
            ("http://127.0.0.1:8081/#frag", "a query or a fragment"),
            ("http://:8081", "has no host"),
            ("http:///base", "has no host"),
            ("http://127.0.0.1:99999", "the port must be 1..65535, got `99999`"),
            ("http://127.0.0.1:0", "the port must be 1..65535"),
            ("http://127.0.0.1:+80", "the port must be 1..65535"),
            ("http://[::1]:x", "the port must be 1..65535"),
        ] {
            let e = check_upstream_url(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    /// Five names, then `...` for the rest; all of them when five or fewer.
    #[test]
    fn a_404_names_the_first_five_services() {
        let six = ["a", "b", "c", "d", "e", "f"];
        assert_eq!(
            no_route_message("/x/y", "{api}", six.iter().copied()),
            "no route for /x/y: expected /{service}/{api} with service one of a, b, c, d, e, ..."
        );
        assert_eq!(
            no_route_message("/x", "...", six[..5].iter().copied()),
            "no route for /x: expected /{service}/... with service one of a, b, c, d, e"
        );
    }

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
        // No pause reads 0 in both; the smallest one still rounds up to a second and a ms.
        assert_eq!(retry_after_values(Duration::ZERO), ("0".into(), "0".into()));
        assert_eq!(retry_after_values(Duration::from_nanos(1)), ("1".into(), "1".into()));
        assert_eq!(
            parse_retry_after(Some("3"), Some("2500")),
            Some(Duration::from_millis(2500))
        );
        assert_eq!(parse_retry_after(Some("3"), None), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT"), None), None);
        // Saturating, not ignored; digits only.
        assert_eq!(
            parse_retry_after(Some("99999999999999999999999"), None),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(parse_retry_after(Some("+5"), None), None);
        assert_eq!(parse_retry_after(Some("5"), Some("-1")), Some(Duration::from_secs(5)));
    }

    /// Dot-segments are refused however they are written; names that only contain dots, and
    /// encoded slashes without a dot-segment, are not.
    #[test]
    fn dot_segments_are_refused_in_every_spelling() {
        for p in [
            "/a/../b/x",
            "/a/./x",
            "/a/%2e%2e/b/x",
            "/a/%2E./b",
            "/a/..%2fb/x",
            "/a/..%5Cb/x",
            "/a/x/..",
            "/a/..;/b/x",
            "/a/.;x/b",
        ] {
            assert!(dot_segment_problem(p).is_some(), "{p}");
        }
        for p in [
            "/a/b",
            "/a/.../x",
            "/a/v1.2/x",
            "/a/files%2Fname",
            "/a/..b",
            "/a/%zz/x",
            "/a/x;v=1",
            "/",
        ] {
            assert_eq!(dot_segment_problem(p), None, "{p}");
        }
    }
}
