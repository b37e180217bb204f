//! Follows the requests of an HTTP/1.1 connection through its bytes, as they arrive, for the one
//! framing error hyper serves instead of refusing: a request with both `Content-Length` and
//! `Transfer-Encoding`. hyper frames it by the Transfer-Encoding, removes the Content-Length
//! (the handler cannot see it was there), serves it, and closes after. RFC 9112 section 6.3 says
//! such a message "ought to be handled as an error" (it is how requests are smuggled past
//! proxies), and the gateway refuses it 400; so mock-legacy must too. This tells which request
//! of the connection it was: the server marks that request ([`crate::serve::FramingConflict`])
//! and [`crate::serve::protocol_refusal`] refuses it.
//!
//! It reads the bytes hyper reads and frames each message the way hyper does: by a valid
//! Content-Length, or chunked. At anything it does not follow (a request hyper refuses itself,
//! CONNECT, HTTP/2, a head past the limit) it stops: hyper then closes the connection, or the
//! request is one hyper judges without help.
//!
//! A request hyper refuses itself it answers with a bare 400 or 431 and no body; this also says
//! why ([`Framing::refusal`]), in the reference gateway's words, so that the server can answer
//! with a JSON body naming the problem as the gateway does.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Headers parsed at most (a head with more: hyper answers 431 by its own limit, or is
/// configured higher and this stops following).
const MAX_HEADERS: usize = 128;
/// The longest chunk-size line (with extensions) or trailer section followed.
const MAX_LINE: usize = 8 * 1024;

#[derive(Debug, PartialEq, Eq)]
enum State {
    /// Reading a request head into `head`.
    Head,
    /// This many bytes of a Content-Length body to go.
    Length(u64),
    /// In a chunked body.
    Chunked(Chunk),
    /// Not following any more.
    Off,
}

#[derive(Debug, PartialEq, Eq)]
enum Chunk {
    /// A chunk-size line: its length so far, the size, whether the size's digits have ended.
    Size {
        line: usize,
        size: u64,
        digits: usize,
        ended: bool,
    },
    /// Chunk data to go.
    Data(u64),
    /// The CRLF after a chunk's data: whether the CR has come.
    DataEnd { cr: bool },
    /// The trailer section: the current line's length (without CR), the section's.
    Trailer { line: usize, total: usize },
}

/// Why hyper refuses a request head, as the reference gateway words it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Refused {
    /// 400, or 431 for a head too large.
    pub(crate) status: u16,
    pub(crate) why: String,
    /// The request is a HEAD: its answer carries no body.
    pub(crate) head: bool,
}

/// One connection's framing follower.
pub(crate) struct Framing {
    state: State,
    /// A request head under way (empty between requests).
    head: Vec<u8>,
    max_head: usize,
    /// The most headers hyper takes in a request.
    max_headers: usize,
    /// The body limit, for the words of a refused length (see [`HYPER_MAX_LENGTH`]).
    max_body: usize,
    /// Why the last head was refused, when it was one hyper refuses.
    refused: Option<Refused>,
    /// Heads read so far.
    heads: u64,
    /// The number (from 1) of the request that had both headers; 0 while none has.
    conflict: Arc<AtomicU64>,
}

impl Framing {
    /// Follows a connection whose heads hyper takes up to `max_head` bytes and `max_headers`
    /// headers; `conflict` is told the number of the request with both framing headers.
    pub(crate) fn new(max_head: usize, max_headers: usize, conflict: Arc<AtomicU64>) -> Framing {
        Framing {
            state: State::Head,
            head: Vec::new(),
            max_head,
            max_headers: max_headers.clamp(1, MAX_HEADERS),
            max_body: model::wire::MAX_REQUEST_BODY_BYTES,
            refused: None,
            heads: 0,
            conflict,
        }
    }

    /// With the server's body limit (its words for a length past it).
    pub(crate) fn with_max_body(mut self, max_body: usize) -> Framing {
        self.max_body = max_body;
        self
    }

    /// Why hyper refused the request it answers `status` (400, 431) without a body: the head
    /// this saw it refuse, or the head under way (hyper refuses a request line of garbage
    /// before its end comes); else the status's general reason.
    pub(crate) fn refusal(&self, status: u16) -> Refused {
        let under_way = || {
            if self.state != State::Head || self.head.is_empty() {
                return None;
            }
            let mut slots = vec![httparse::EMPTY_HEADER; self.max_headers];
            let mut req = httparse::Request::new(&mut slots);
            req.parse(&self.head).err().map(|e| self.parse_error(e))
        };
        let known = self.refused.clone().or_else(under_way);
        // hyper's 431 for a Content-Length past its own limit is a body too large: 413.
        let same = |r: &Refused| r.status == status || (r.status == 413 && status == 431);
        known.filter(same).unwrap_or_else(|| Refused {
            status,
            why: match status {
                431 => format!(
                    "request head over the {}-byte limit, or more than {} request headers",
                    self.max_head, self.max_headers
                ),
                414 => "request target too long".to_string(),
                _ => "malformed request".to_string(),
            },
            head: is_head_request(&self.head),
        })
    }

    /// The refusal of a head httparse refused with `e`.
    fn parse_error(&self, e: httparse::Error) -> Refused {
        let (status, why) = match e {
            httparse::Error::TooManyHeaders => (431, format!("more than {} request headers", self.max_headers)),
            e => (400, format!("malformed request: {e}")),
        };
        Refused {
            status,
            why,
            head: is_head_request(&self.head),
        }
    }

    /// Notes that hyper refuses the head in `self.head`. The first refusal is kept: hyper
    /// closes the connection at it.
    fn refuse(&mut self, status: u16, why: String) {
        if self.refused.is_none() {
            self.refused = Some(Refused {
                status,
                why,
                head: is_head_request(&self.head),
            });
        }
    }

    /// Stops following (the connection is HTTP/2).
    pub(crate) fn stop(&mut self) {
        self.off();
    }

    fn off(&mut self) {
        self.state = State::Off;
        self.head = Vec::new();
    }

    /// Follows the next bytes read from the connection.
    pub(crate) fn feed(&mut self, mut bytes: &[u8]) {
        // Each turn consumes at least one byte or ends.
        while !bytes.is_empty() {
            match &mut self.state {
                State::Off => return,
                State::Head => bytes = self.head_bytes(bytes),
                State::Length(n) => {
                    let take = bytes.len().min(usize::try_from(*n).unwrap_or(usize::MAX));
                    *n -= take as u64;
                    if *n == 0 {
                        self.state = State::Head;
                    }
                    bytes = &bytes[take..];
                }
                State::Chunked(Chunk::Data(n)) => {
                    let take = bytes.len().min(usize::try_from(*n).unwrap_or(usize::MAX));
                    *n -= take as u64;
                    if *n == 0 {
                        self.state = State::Chunked(Chunk::DataEnd { cr: false });
                    }
                    bytes = &bytes[take..];
                }
                State::Chunked(c) => {
                    let b = bytes[0];
                    bytes = &bytes[1..];
                    if let Some(next) = chunk_byte(c, b) {
                        self.state = next;
                    }
                }
            }
        }
    }

    /// Takes head bytes; returns what follows the head when it is complete.
    fn head_bytes<'a>(&mut self, bytes: &'a [u8]) -> &'a [u8] {
        let old = self.head.len();
        let take = bytes.len().min((self.max_head + 1).saturating_sub(old));
        self.head.extend_from_slice(&bytes[..take]);
        // Parsed only once a blank line may have come (a head sent a byte at a time is not
        // parsed again at each byte).
        let from = old.saturating_sub(3);
        let blank = |w: &[u8]| w.starts_with(b"\n\n") || w.starts_with(b"\n\r\n");
        if !self.head[from..].windows(3).any(blank) && !self.head.ends_with(b"\n\n") {
            // hyper refuses a head it has `max_head` bytes of and no end (431).
            if self.head.len() >= self.max_head {
                self.refuse(431, self.over_limit());
                self.off();
            }
            return &bytes[take..];
        }
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut slots[..self.max_headers]);
        let end = match req.parse(&self.head) {
            Ok(httparse::Status::Complete(n)) if n > old => n,
            Ok(httparse::Status::Partial) if self.head.len() < self.max_head => return &bytes[take..],
            other => {
                match other {
                    Err(e) => {
                        let r = self.parse_error(e);
                        self.refuse(r.status, r.why);
                    }
                    Ok(httparse::Status::Complete(n)) if n > self.max_head => self.refuse(431, self.over_limit()),
                    Ok(httparse::Status::Partial) => self.refuse(431, self.over_limit()),
                    Ok(_) => {}
                }
                self.off();
                return &[];
            }
        };
        let problem = head_problem(&req);
        let next = next_state(&req);
        let both = next == State::Off && has_both(&req);
        if end > self.max_head {
            self.refuse(431, self.over_limit());
        } else if let Some(why) = problem {
            self.refuse(400, why.to_string());
        } else if content_length(&req).is_some_and(|n| n > HYPER_MAX_LENGTH) {
            // hyper refuses it as a head too large (431, "request head over the limit" for a
            // 60-byte head); what is too large is the body, as the gateway answers.
            let why = format!("request body over the {}-byte limit", self.max_body);
            self.refuse(413, why);
        }
        self.heads += 1;
        if both {
            self.conflict.store(self.heads, Ordering::Relaxed);
        }
        self.head.clear();
        if self.head.capacity() > 4096 {
            self.head = Vec::new();
        }
        match next {
            State::Off => {
                self.off();
                &[]
            }
            s => {
                self.state = s;
                &bytes[end - old..]
            }
        }
    }
}

impl Framing {
    fn over_limit(&self) -> String {
        format!("request head over the {}-byte limit", self.max_head)
    }
}

/// Whether the request at the start of `head`, as far as it came, is a HEAD (as the gateway
/// tells it).
fn is_head_request(head: &[u8]) -> bool {
    let start = head
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(head.len());
    head[start..].starts_with(b"HEAD ")
}

/// What hyper refuses (400) in a head httparse took, in the reference gateway's words: its
/// request target, Content-Length and Transfer-Encoding. (What hyper serves and the handler
/// refuses, [`crate::serve::protocol_refusal`] words.)
fn head_problem(req: &httparse::Request<'_, '_>) -> Option<&'static str> {
    if req.path.is_none_or(|p| p.parse::<http::Uri>().is_err()) {
        return Some("invalid request target");
    }
    let http10 = req.version == Some(0);
    let mut length: Option<u64> = None;
    let mut codings: Option<&[u8]> = None;
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            let v = h.value.trim_ascii();
            if v.contains(&b',') {
                return Some("content-length: a list of values; send one");
            }
            // Any u64, as hyper reads it (those past its own limit: see `HYPER_MAX_LENGTH`).
            let Some(n) = digits(v) else {
                return Some("invalid content-length");
            };
            if length.is_some_and(|l| l != n) {
                return Some("conflicting content-length values");
            }
            length = Some(n);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            codings = Some(h.value);
        }
    }
    let last = codings.map(|v| v.rsplit(|&b| b == b',').map(<[u8]>::trim_ascii).find(|c| !c.is_empty()));
    match last {
        Some(_) if length.is_some() => Some("both transfer-encoding and content-length"),
        Some(None) => Some("transfer-encoding without a coding"),
        Some(Some(_)) if http10 => Some("invalid transfer-encoding"),
        Some(Some(c)) if !c.eq_ignore_ascii_case(b"chunked") => {
            Some("transfer-encoding whose final coding is not chunked: the body's length cannot be told")
        }
        _ => None,
    }
}

/// The longest Content-Length hyper frames (its `DecodedLength::MAX_LEN`: the two values above
/// it mark chunked and read-until-close bodies); past it hyper answers 431.
const HYPER_MAX_LENGTH: u64 = u64::MAX - 2;

/// The request's Content-Length, when it has a valid one.
fn content_length(req: &httparse::Request<'_, '_>) -> Option<u64> {
    let h = req
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))?;
    digits(h.value.trim_ascii())
}

/// A decimal u64 of digits only (no sign, no spaces).
fn digits(v: &[u8]) -> Option<u64> {
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    v.iter()
        .try_fold(0u64, |n, d| n.checked_mul(10)?.checked_add(u64::from(d - b'0')))
}

/// Whether a request has both a Content-Length and a Transfer-Encoding.
fn has_both(req: &httparse::Request<'_, '_>) -> bool {
    let has = |name: &str| req.headers.iter().any(|h| h.name.eq_ignore_ascii_case(name));
    has("content-length") && has("transfer-encoding")
}

/// How the body after a head is framed, as hyper frames it; `Off` for what hyper refuses or
/// does not frame as a message (both framing headers, CONNECT, a bad Content-Length).
fn next_state(req: &httparse::Request<'_, '_>) -> State {
    if has_both(req) || req.method == Some("CONNECT") {
        return State::Off;
    }
    let mut length: Option<u64> = None;
    let mut chunked = None;
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("transfer-encoding") {
            // hyper: the last line's last coding decides.
            let last = h.value.rsplit(|&b| b == b',').next().unwrap_or(b"").trim_ascii();
            chunked = Some(last.eq_ignore_ascii_case(b"chunked"));
        } else if h.name.eq_ignore_ascii_case("content-length") {
            let v = h.value;
            if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
                return State::Off;
            }
            let n = v.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
            if length.is_some_and(|l| l != n) {
                return State::Off;
            }
            length = Some(n);
        }
    }
    match (chunked, length) {
        (Some(true), _) if req.version == Some(1) => State::Chunked(Chunk::Size {
            line: 0,
            size: 0,
            digits: 0,
            ended: false,
        }),
        (Some(_), _) => State::Off,
        (None, Some(n)) if n > 0 => State::Length(n),
        (None, _) => State::Head,
    }
}

/// Follows one byte of a chunked body outside chunk data; the next state when it changes.
fn chunk_byte(c: &mut Chunk, b: u8) -> Option<State> {
    match c {
        Chunk::Size {
            line,
            size,
            digits,
            ended,
        } => {
            *line += 1;
            if *line > MAX_LINE {
                return Some(State::Off);
            }
            if b == b'\n' {
                return Some(match (*digits, *size) {
                    (0, _) => State::Off,
                    (_, 0) => State::Chunked(Chunk::Trailer { line: 0, total: 0 }),
                    (_, n) => State::Chunked(Chunk::Data(n)),
                });
            }
            match (*ended, (b as char).to_digit(16)) {
                (false, Some(d)) if *digits < 16 => {
                    *size = *size * 16 + u64::from(d);
                    *digits += 1;
                }
                (false, Some(_)) => return Some(State::Off),
                // Extensions, or the CR: hyper checks them; the line ends at LF.
                _ => *ended = true,
            }
            None
        }
        Chunk::DataEnd { cr } => match b {
            b'\r' if !*cr => {
                *cr = true;
                None
            }
            b'\n' => Some(State::Chunked(Chunk::Size {
                line: 0,
                size: 0,
                digits: 0,
                ended: false,
            })),
            _ => Some(State::Off),
        },
        Chunk::Trailer { line, total } => {
            *total += 1;
            if *total > MAX_LINE {
                return Some(State::Off);
            }
            match b {
                b'\n' if *line == 0 => Some(State::Head),
                b'\n' => {
                    *line = 0;
                    None
                }
                b'\r' => None,
                _ => {
                    *line += 1;
                    None
                }
            }
        }
        Chunk::Data(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The numbers of the requests found with both framing headers when `bytes` arrive in
    /// pieces of `step` bytes.
    fn conflict(bytes: &[u8], step: usize) -> (u64, u64) {
        let flag = Arc::new(AtomicU64::new(0));
        let mut f = Framing::new(16 * 1024, 100, flag.clone());
        for piece in bytes.chunks(step) {
            f.feed(piece);
        }
        (flag.load(Ordering::Relaxed), f.heads)
    }

    #[test]
    fn the_request_with_both_framing_headers_is_found_behind_others() {
        let ok = "POST /a HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello\
                  POST /a HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n\
                  5;e=1\r\nhello\r\n0\r\nx-t: 1\r\n\r\n\
                  \r\nGET /a HTTP/1.1\r\nhost: x\r\n\r\n";
        for both in [
            "POST /a HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\nhost: x\r\n\r\n",
            "GET /a HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\ntransfer-encoding: gzip\r\n\r\n",
        ] {
            let all = format!("{ok}{both}GET /a HTTP/1.1\r\nhost: x\r\n\r\n");
            for step in [1, 2, 7, all.len()] {
                assert_eq!(conflict(all.as_bytes(), step), (4, 4), "{both:?} in steps of {step}");
            }
        }
        for step in [1, 3, ok.len()] {
            assert_eq!(conflict(ok.as_bytes(), step), (0, 3), "steps of {step}");
        }
    }

    #[test]
    fn it_stops_at_what_it_does_not_follow() {
        for (bytes, heads) in [
            // Hyper refuses these itself (400), and the connection ends.
            (
                &b"POST /a HTTP/1.1\r\ncontent-length: 2, 2\r\n\r\nokGET / HTTP/1.1\r\n\r\n"[..],
                1,
            ),
            (
                b"POST /a HTTP/1.1\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nokGET / HTTP/1.1\r\n\r\n",
                1,
            ),
            (
                b"POST /a HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nGET / HTTP/1.1\r\n\r\n",
                1,
            ),
            (
                b"POST /a HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
                1,
            ),
            (b"CONNECT a:1 HTTP/1.1\r\nhost: a:1\r\n\r\nGET / HTTP/1.1\r\n\r\n", 1),
            (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 0),
            (b"NOT HTTP\r\n\r\n", 0),
        ] {
            assert_eq!(conflict(bytes, 1), (0, heads), "{:?}", String::from_utf8_lossy(bytes));
            assert_eq!(
                conflict(bytes, bytes.len()),
                (0, heads),
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
        // A head past the limit: hyper answers 431; nothing is kept past it.
        let flag = Arc::new(AtomicU64::new(0));
        let mut f = Framing::new(100, 100, flag);
        f.feed(&[b'a'; 1000]);
        assert_eq!(f.state, State::Off);
        assert_eq!(f.head.capacity(), 0);
    }

    /// Why hyper refuses what it refuses, in the gateway's words, sent whole or a byte at a
    /// time; behind a request it serves too.
    #[test]
    fn it_says_why_hyper_refuses_a_head() {
        let many: String = (0..101).map(|i| format!("x-{i}: a\r\n")).collect();
        let many = format!("GET / HTTP/1.1\r\nhost: x\r\n{many}\r\n");
        let cases: Vec<(&[u8], u16, &str)> = vec![
            (b"HELLO WORLD\r\n\r\n", 400, "malformed request: invalid token"),
            (b"GET / HTTP/2.0\r\nhost: x\r\n\r\n", 400, "malformed request: invalid HTTP version"),
            (b"GET / HTTP/1.1\r\nhost: x\r\nx: a\r\n b\r\n\r\n", 400, "malformed request: invalid header name"),
            (b"GET / HTTP/1.1\r\nhost: x\r\nx: a\x00b\r\n\r\n", 400, "malformed request: invalid header value"),
            (b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: abc\r\n\r\n", 400, "invalid content-length"),
            (b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: +5\r\n\r\n", 400, "invalid content-length"),
            (
                b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab",
                400,
                "conflicting content-length values",
            ),
            (
                b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 2, 2\r\n\r\nab",
                400,
                "content-length: a list of values; send one",
            ),
            (
                b"POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: gzip\r\n\r\n",
                400,
                "transfer-encoding whose final coding is not chunked: the body's length cannot be told",
            ),
            (b"POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: \r\n\r\n", 400, "transfer-encoding without a coding"),
            (b"POST / HTTP/1.0\r\ntransfer-encoding: chunked\r\n\r\n", 400, "invalid transfer-encoding"),
            (b"GET / HTTP/1.1\r\nhost: x\r\nx-a: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 431, "request head over the 128-byte limit"),
            (many.as_bytes(), 431, "more than 100 request headers"),
        ];
        let served = b"GET /a HTTP/1.1\r\nhost: x\r\n\r\n";
        for (bytes, status, why) in cases {
            let max_head = if status == 431 && !why.contains("headers") {
                128
            } else {
                16 * 1024
            };
            for behind in [false, true] {
                let all = if behind {
                    [&served[..], bytes].concat()
                } else {
                    bytes.to_vec()
                };
                for step in [1, all.len()] {
                    let mut f = Framing::new(max_head, 100, Arc::new(AtomicU64::new(0)));
                    for piece in all.chunks(step) {
                        f.feed(piece);
                    }
                    let shown = String::from_utf8_lossy(&all);
                    assert_eq!(
                        f.refusal(status),
                        Refused {
                            status,
                            why: why.to_string(),
                            head: false
                        },
                        "{shown:?} in steps of {step}"
                    );
                }
            }
        }
        // Garbage without the blank line that would end a head: hyper refuses it at once.
        let mut f = Framing::new(16 * 1024, 100, Arc::new(AtomicU64::new(0)));
        f.feed(&(0..=255u8).collect::<Vec<_>>());
        assert_eq!(f.refusal(400).why, "malformed request: invalid token");
        // A HEAD request's answer has no body; a status nothing here explains has its general
        // reason.
        let mut f = Framing::new(16 * 1024, 100, Arc::new(AtomicU64::new(0)));
        f.feed(b"HEAD / HTTP/1.1\r\nhost: x\r\nx: a\r\n b\r\n\r\n");
        assert!(f.refusal(400).head);
        assert_eq!(
            f.refusal(431).why,
            "request head over the 16384-byte limit, or more than 100 request headers"
        );
        let f = Framing::new(16 * 1024, 100, Arc::new(AtomicU64::new(0)));
        assert_eq!(f.refusal(400).why, "malformed request");
    }

    /// hyper answers 431 to a Content-Length of 2^64 - 2 or - 1 (its markers for chunked and
    /// read-until-close bodies): the answer says 413 and the body limit, as for 2^64 - 3.
    #[test]
    fn a_length_past_hypers_own_limit_is_a_body_too_large() {
        for n in ["18446744073709551614", "18446744073709551615"] {
            let mut f = Framing::new(16 * 1024, 100, Arc::new(AtomicU64::new(0))).with_max_body(1 << 20);
            f.feed(format!("POST / HTTP/1.1\r\nhost: x\r\ncontent-length: {n}\r\n\r\n").as_bytes());
            assert_eq!(
                f.refusal(431),
                Refused {
                    status: 413,
                    why: "request body over the 1048576-byte limit".into(),
                    head: false
                },
                "{n}"
            );
        }
        // hyper frames one less itself (and the server refuses it 413); nothing to explain.
        let mut f = Framing::new(16 * 1024, 100, Arc::new(AtomicU64::new(0)));
        f.feed(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 18446744073709551613\r\n\r\n");
        assert_eq!(f.refusal(431).status, 431);
    }
}
