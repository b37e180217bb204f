//! Why attempts failed, in words: the generator's own limits, HTTP/2 GOAWAYs and resets, error
//! chains, and the short lists of reasons the run's notes count.

use super::fd_limit::fd_limit;

/// Whether a failed connection attempt is the generator's own limit (not the target's): a hint.
pub(super) fn generator_limit(e: &std::io::Error) -> Option<String> {
    use std::io::ErrorKind;
    // EMFILE and ENFILE are 24 and 23 on Linux, macOS and the BSDs.
    match (e.raw_os_error(), e.kind()) {
        (Some(24), _) if cfg!(unix) => Some(format!(
            "the generator ran out of file descriptors (too many open files{}): raise the hard limit (`ulimit -Hn`; spillway raises its soft limit to it at start) or lower --connections",
            fd_limit().map_or(String::new(), |n| format!(", limit {n}"))
        )),
        (Some(23), _) if cfg!(unix) => Some(
            "the generator's machine ran out of file descriptors (file table overflow): raise fs.file-max or lower --connections".into(),
        ),
        (_, ErrorKind::AddrNotAvailable) => Some(
            "the generator ran out of local ports (address not available): lower --connections, or widen the ephemeral port range".into(),
        ),
        (_, ErrorKind::OutOfMemory) => Some("the generator ran out of memory for a socket".into()),
        _ => None,
    }
}

/// The generator-side cause anywhere in an error's chain (hyper wraps the socket's error).
pub(super) fn generator_cause(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur = Some(e);
    while let Some(x) = cur {
        if let Some(io) = x.downcast_ref::<std::io::Error>() {
            if let Some(why) = generator_limit(io) {
                return Some(why);
            }
        }
        cur = x.source();
    }
    None
}

/// Adds one under `why` in a short list of reasons; past `FAILURE_KINDS` into one bucket.
/// Returns whether `why` is new.
pub(super) fn count_reason(list: &mut Vec<(String, u64)>, why: String) -> bool {
    if let Some(e) = list.iter_mut().find(|(w, _)| *w == why) {
        e.1 += 1;
        false
    } else if list.len() < FAILURE_KINDS {
        list.push((why, 1));
        true
    } else {
        // Past the kinds kept, one bucket, so no listed reason is overstated.
        const OTHER: &str = "other reasons";
        match list.iter_mut().find(|(w, _)| w == OTHER) {
            Some(e) => e.1 += 1,
            None => list.push((OTHER.to_string(), 1)),
        }
        false
    }
}

/// Distinct failure reasons kept; more are counted under the last.
const FAILURE_KINDS: usize = 8;

/// Why a request over hyper failed, as one line: an HTTP/2 GOAWAY or stream reset from the
/// target in words (h2's own read "client error (SendRequest): http2 error: connection error
/// received: not a result of an error" for a graceful GOAWAY), else the error and its sources.
pub(super) fn http_cause(e: &dyn std::error::Error) -> String {
    let mut cur = Some(e);
    while let Some(x) = cur {
        if let Some(why) = h2_cause(&x.to_string()) {
            return why;
        }
        cur = x.source();
    }
    error_chain(e)
}

/// HTTP/2 error codes (RFC 9113 section 7) by h2's description of each.
const H2_REASONS: [(&str, &str); 14] = [
    ("NO_ERROR", "not a result of an error"),
    ("PROTOCOL_ERROR", "unspecific protocol error detected"),
    ("INTERNAL_ERROR", "unexpected internal error encountered"),
    ("FLOW_CONTROL_ERROR", "flow-control protocol violated"),
    ("SETTINGS_TIMEOUT", "settings ACK not received in timely manner"),
    ("STREAM_CLOSED", "received frame when stream half-closed"),
    ("FRAME_SIZE_ERROR", "frame with invalid size"),
    (
        "REFUSED_STREAM",
        "refused stream before processing any application logic",
    ),
    ("CANCEL", "stream no longer needed"),
    ("COMPRESSION_ERROR", "unable to maintain the header compression context"),
    (
        "CONNECT_ERROR",
        "connection established in response to a CONNECT request was reset or abnormally closed",
    ),
    ("ENHANCE_YOUR_CALM", "detected excessive load generating behavior"),
    (
        "INADEQUATE_SECURITY",
        "security properties do not meet minimum requirements",
    ),
    ("HTTP_1_1_REQUIRED", "endpoint requires HTTP/1.1"),
];

/// An h2 error's text (`stream error received: <description>`, `connection error received:
/// <description> (b"debug data")`, ...) in words, with the error code's name; `None` for
/// anything else.
fn h2_cause(text: &str) -> Option<String> {
    const KINDS: [(&str, bool, bool); 6] = [
        // (prefix, a connection error (GOAWAY) rather than a stream's, sent by the target)
        ("connection error received: ", true, true),
        ("stream error received: ", false, true),
        ("connection error detected: ", true, false),
        ("stream error detected: ", false, false),
        ("connection error sent by user: ", true, false),
        ("stream error sent by user: ", false, false),
    ];
    let (rest, connection, remote) = KINDS
        .iter()
        .find_map(|(p, c, r)| text.strip_prefix(p).map(|rest| (rest, *c, *r)))?;
    let (name, described) = H2_REASONS
        .iter()
        .find(|(_, d)| rest.starts_with(d))
        .map_or(("an unknown error code", rest), |(n, d)| (*n, *d));
    Some(match (connection, remote, name) {
        (true, true, "NO_ERROR") => {
            "the target closed the HTTP/2 connection (GOAWAY, NO_ERROR) before answering".to_string()
        }
        (true, true, _) => {
            format!("the target closed the HTTP/2 connection with an error (GOAWAY, {name}: {described})")
        }
        (false, true, "REFUSED_STREAM") => {
            "the target refused the HTTP/2 stream (REFUSED_STREAM) before processing the request".to_string()
        }
        (false, true, _) => format!("the target reset the HTTP/2 stream ({name}: {described})"),
        (true, false, _) => format!("HTTP/2 connection error on the generator's side ({name}: {described})"),
        (false, false, _) => format!("HTTP/2 stream error on the generator's side ({name}: {described})"),
    })
}

/// An error and its sources, as one line.
pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(x) = src {
        let more = x.to_string();
        if !s.contains(&more) {
            s.push_str(": ");
            s.push_str(&more);
        }
        src = x.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http_body_util::Full;
    use std::time::Duration;

    /// An h2c server on 127.0.0.1 that reads the client's first request's HEADERS, then sends
    /// `frame` (a GOAWAY, an RST_STREAM) and holds the connection a while.
    async fn h2_server_that_sends(frame: Vec<u8>) -> String {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let frame = frame.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    // The preface (24 bytes), then frames (9-byte headers) until a HEADERS.
                    let mut at = 24;
                    let mut settings_sent = false;
                    loop {
                        match s.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                        if !settings_sent && buf.len() >= 24 {
                            // Our SETTINGS (none) and the ACK of the client's.
                            let _ = s
                                .write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0])
                                .await;
                            settings_sent = true;
                        }
                        let mut headers = false;
                        while buf.len() >= at + 9 {
                            let len =
                                usize::from(buf[at]) << 16 | usize::from(buf[at + 1]) << 8 | usize::from(buf[at + 2]);
                            headers |= buf[at + 3] == 1;
                            at += 9 + len;
                        }
                        if headers {
                            let _ = s.write_all(&frame).await;
                            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                            return;
                        }
                    }
                });
            }
        });
        format!("http://{addr}/x")
    }

    /// A GOAWAY (graceful or not) and a refused or reset stream are said in words, not in h2's
    /// ("http2 error: connection error received: not a result of an error").
    #[tokio::test]
    async fn http2_goaway_and_refused_streams_are_said_in_words() {
        use super::*;
        // GOAWAY: last stream 0 (the request was not processed), then the error code.
        let goaway = |code: u8| vec![0, 0, 8, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, code];
        let reset = |code: u8| vec![0, 0, 4, 3, 0, 0, 0, 0, 1, 0, 0, 0, code];
        let cases = [
            (
                goaway(0),
                "the target closed the HTTP/2 connection (GOAWAY, NO_ERROR) before answering",
            ),
            (
                goaway(11),
                "the target closed the HTTP/2 connection with an error (GOAWAY, ENHANCE_YOUR_CALM: detected excessive load generating behavior)",
            ),
            (
                reset(7),
                "the target refused the HTTP/2 stream (REFUSED_STREAM) before processing the request",
            ),
            (
                reset(2),
                "the target reset the HTTP/2 stream (INTERNAL_ERROR: unexpected internal error encountered)",
            ),
        ];
        for (frame, words) in cases {
            let url = h2_server_that_sends(frame).await;
            let client = crate::http::client(true, 1, None).unwrap();
            let req = http::Request::get(url).body(Full::new(Bytes::new())).unwrap();
            let e = tokio::time::timeout(Duration::from_secs(10), client.request(req))
                .await
                .expect("an answer or an error within 10 s")
                .expect_err("no answer");
            assert_eq!(http_cause(&e), words, "{}", error_chain(&e));
        }
        // Anything else: the error and its sources, as before.
        let io = std::io::Error::other("connection reset");
        assert_eq!(http_cause(&io), "connection reset");
        assert_eq!(
            h2_cause("connection error received: unspecific protocol error detected (b\"bye\")").as_deref(),
            Some("the target closed the HTTP/2 connection with an error (GOAWAY, PROTOCOL_ERROR: unspecific protocol error detected)")
        );
    }
}
