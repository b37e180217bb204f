//! What another spillway server says of itself: the time scale it runs at, from the
//! [`model::wire::TIME_SCALE`] header of its `/healthz`. A gateway at 4x in front of a mock at 1x
//! measures a backend four times too slow: every service "overloaded", with nothing to say why.
//! The gateway probes its upstreams at start-up and says so.

use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// How long the probe may take in all: it runs once, before or beside the real work.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// The time scale the server at `host:port` says it runs at; `None` when it says nothing (not
/// a spillway server, unreachable, slow, or an answer that is not 200).
pub async fn time_scale_of(host: &str, port: u16) -> Option<f64> {
    tokio::time::timeout(PROBE_TIMEOUT, ask(host, port))
        .await
        .ok()
        .flatten()
}

async fn ask(host: &str, port: u16) -> Option<f64> {
    let mut s = tokio::net::TcpStream::connect((host, port)).await.ok()?;
    let req = format!("GET /healthz HTTP/1.1\r\nhost: {host}:{port}\r\nconnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.ok()?;
    // The head alone, at most 8 KiB of it.
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 8192 {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    parse_time_scale(&buf)
}

/// The time scale in an HTTP/1.1 answer's head, if it is a 200 that gives one.
pub fn parse_time_scale(head: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(head).ok()?;
    let mut lines = text.split("\r\n");
    let status = lines.next()?;
    if status.split(' ').nth(1) != Some("200") {
        return None;
    }
    lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case(model::wire::TIME_SCALE))
        .and_then(|(_, v)| v.trim().parse::<f64>().ok())
        .filter(|f| f.is_finite() && *f > 0.0)
}

/// The warning when a server `what` (at `url`) runs at another time scale than `ours`.
pub fn mismatch(what: &str, url: &str, theirs: f64, ours: f64) -> Option<String> {
    let r = ours / theirs;
    ((r - 1.0).abs() > 1e-9).then(|| {
        // Its service times are F times shorter than given: at a lower F than ours, longer than
        // ours expects.
        let (by, how) = if r > 1.0 { (r, "slow") } else { (1.0 / r, "fast") };
        let by = format!("{by:.3}");
        let by = by.trim_end_matches('0').trim_end_matches('.');
        format!(
            "{what} at {url} runs at time scale {theirs}, this process at {ours}: to this one it is {by}x too {how}, and every figure is off; start both with the same --time-scale"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_time_scale_of_a_200_only() {
        let ok = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nX-Spillway-Time-Scale: 4\r\n\r\nok\n";
        assert_eq!(parse_time_scale(ok), Some(4.0));
        let other = b"HTTP/1.1 404 Not Found\r\nx-spillway-time-scale: 4\r\n\r\n";
        assert_eq!(parse_time_scale(other), None);
        let none = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nx-spillway-time-scale: 4\r\n";
        assert_eq!(parse_time_scale(none), None, "a body line is no header");
        for bad in ["0", "-1", "inf", "NaN", "x"] {
            let h = format!("HTTP/1.1 200 OK\r\nx-spillway-time-scale: {bad}\r\n\r\n");
            assert_eq!(parse_time_scale(h.as_bytes()), None, "{bad}");
        }
        assert_eq!(parse_time_scale(b"\xff\xfe"), None);
    }

    #[test]
    fn a_mismatch_is_said_with_its_ratio() {
        assert_eq!(mismatch("mock-legacy", "http://x", 4.0, 4.0), None);
        let m = mismatch("mock-legacy", "http://x", 1.0, 4.0).expect("differs");
        assert!(
            m.contains("runs at time scale 1, this process at 4") && m.contains("4x too slow"),
            "{m}"
        );
        let m = mismatch("gateway", "http://x", 8.0, 2.0).expect("differs");
        assert!(m.contains("4x too fast"), "{m}");
        let m = mismatch("gateway", "http://x", 2.0, 5.0).expect("differs");
        assert!(m.contains("2.5x too slow"), "{m}");
    }
}
