//! Robustness of the lean HTTP/1.1 client (`loadgen::h1`, from reference-gateway) against
//! hostile answers: a scripted server on 127.0.0.1 sends mutated and random responses (bad
//! status lines, huge or negative Content-Length, broken chunk sizes, header floods, cut heads,
//! NUL bytes, invalid UTF-8, folded lines, 1xx runs, extreme Retry-After values) and the client
//! must neither panic nor hang: it returns an error, or an answer that makes sense (a final
//! status, a collected body within its bound).
//!
//! Deterministic and bounded: a fixed number of cases from a seeded generator, served by one
//! listener (one per case left thousands of sockets in TIME_WAIT), every await under a timeout,
//! every server task aborted when its case ends.

use loadgen::h1::{push_header, H1Client, H1Error};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// Cases run (each one or two requests).
const CASES: u32 = 3000;
/// Bound on one request's whole exchange; a client that takes longer has hung.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// What `send_full` collects at most.
const MAX_BODY: usize = 4096;

/// splitmix64: a tiny seeded generator (loadgen has no `rand` dependency).
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0; close enough to uniform for a test).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Well-formed answers, mutated below. Each is a whole response on a kept-alive connection.
const BASES: &[&[u8]] = &[
    b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello",
    b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3;x=\"y\"\r\nabc\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nx-t: 1\r\n\r\n",
    b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 2\r\ncontent-length: 0\r\n\r\n",
    b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\nx-spillway-retry-after-ms: 250\r\ncontent-length: 4\r\n\r\nslow",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </x>\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
    b"HTTP/1.1 204 No Content\r\n\r\n",
    b"HTTP/1.1 304 Not Modified\r\ncontent-length: 99\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nx-a: one\r\n two\r\n\tthree\r\ncontent-length: 1\r\n\r\nx",
    b"HTTP/1.1 500 Internal Server Error\r\nconnection: close\r\ncontent-length: 4\r\n\r\noops",
];

/// Answers read until the connection closes (the server always closes after its script).
const UNTIL_CLOSE: &[&[u8]] = &[
    b"HTTP/1.0 200 OK\r\n\r\nuntil the end",
    b"HTTP/1.1 200 OK\r\n\r\nno length",
];

const STATUS_LINES: &[&str] = &[
    "HTTP/1.1 2000 OK",
    "HTTP/1.1 -200 OK",
    "HTTP/1.1 20 OK",
    "HTTP/1.1 000 Zero",
    "HTTP/1.1 099 Low",
    "HTTP/1.1 999 High",
    "HTTP/1.1 101 Switching Protocols",
    "HTTP/1.1 100 Continue",
    "HTTP/1.1 200",
    "HTTP/1.1 200 ",
    "HTTP/1.1  200 OK",
    "HTTP/2 200 OK",
    "HTTP/2.0 200 OK",
    "HTTP/0.9 200 OK",
    "HTTP/1.1 200 O\0K",
    "HTTP/1.1 200 \u{fffd}\u{202e}",
    "ICY 200 OK",
    "http/1.1 200 ok",
    "HTTP/1.1 18446744073709551616 Big",
    "",
    " ",
    "HTTP/1.1",
];

const LENGTHS: &[&str] = &[
    "-1",
    "0",
    "1",
    "5, 6",
    "5, 5",
    "5,",
    ",5",
    "+5",
    " 5 ",
    "0x10",
    "1e3",
    "",
    "4294967296",
    "9223372036854775807",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999",
    "1000000000000",
    "5\0",
];

const CHUNK_SIZES: &[&str] = &[
    "ffffffffffffffff",
    "fffffffffffffff",
    "10000000000000000",
    "7fffffffffffffff",
    "-1",
    "",
    "0x5",
    "5;",
    "5 ",
    "5 ;a=b",
    "5;a\0",
    "g",
    "00000000000000000000005",
    "0",
    "1000000",
];

const RETRY_AFTERS: &[&str] = &[
    "99999999999999999999",
    "18446744073709551615",
    "-1",
    "1.5",
    "nan",
    "",
    "Wed, 21 Oct 9999 07:28:00 GMT",
    "Wed, 31 Feb 2015 07:28:00 GMT",
    "Wed, 21 Oct 0000 00:00:00 GMT",
    "Sunday, 06-Nov-94 08:49:37 GMT",
    "Sun Nov  6 08:49:37 1994",
    "Sun Nov 66 99:99:99 9999",
    "Sun, 06 Nov 1994 23:59:60 GMT",
    "\u{fffd}",
];

const HEADER_LINES: &[&str] = &[
    "transfer-encoding: chunked",
    "transfer-encoding: gzip",
    "transfer-encoding: chunked, gzip",
    "transfer-encoding: chunked\r\ntransfer-encoding: chunked",
    "content-length: 3",
    "connection: close",
    "connection: keep-alive",
    "connection: upgrade",
    "upgrade: websocket",
    "x-spillway-retry-after-ms: 18446744073709551616",
    "x-spillway-retry-after-ms: 1",
    "content-length:\r\n 5",
    "x-nul: a\0b",
    "x-ctl: a\x01\x7fb",
    ": no name",
    "no colon",
    "x-space : 1",
    " leading: space",
    "x-long: ",
];

/// One edit of an answer.
fn mutate_once(r: &mut Vec<u8>, g: &mut Gen) {
    let head_end = find(r, b"\r\n\r\n").map_or(r.len(), |i| i + 2);
    match g.below(14) {
        0 => {
            // The status line replaced.
            let eol = find(r, b"\r\n").unwrap_or(r.len());
            r.splice(..eol, g.pick(STATUS_LINES).bytes());
        }
        1 => replace_value(r, b"content-length:", g.pick(LENGTHS).as_bytes(), head_end, g),
        2 => {
            // A chunk size replaced (the first line of the body, or any line of it).
            let body = find(r, b"\r\n\r\n").map_or(r.len(), |i| i + 4);
            let lines = line_starts(r, body);
            let at = *g.pick(&lines);
            let eol = find(&r[at..], b"\r\n").map_or(r.len(), |i| at + i);
            r.splice(at..eol, g.pick(CHUNK_SIZES).bytes());
        }
        3 => {
            let v = g.pick(RETRY_AFTERS).to_string();
            let name: &[u8] = if g.chance(50) {
                b"retry-after: "
            } else {
                b"x-spillway-retry-after-ms: "
            };
            insert_header(r, &[name, v.as_bytes()].concat(), g);
        }
        4 => {
            let h = g.pick(HEADER_LINES).to_string();
            let mut line = h.into_bytes();
            if line.ends_with(b"x-long: ") {
                line.extend(vec![b'a'; 70 * 1024]);
            }
            insert_header(r, &line, g);
        }
        5 => {
            // A header flood: past MAX_HEADERS (256), sometimes past MAX_HEAD (64 KiB).
            let n = *g.pick(&[255usize, 256, 257, 1000, 5000]);
            let flood: Vec<u8> = (0..n)
                .flat_map(|i| format!("set-cookie: c{i}=1\r\n").into_bytes())
                .collect();
            let at = find(r, b"\r\n").map_or(0, |i| i + 2);
            r.splice(at..at, flood);
        }
        6 => {
            // Cut anywhere.
            let at = g.below(r.len() + 1);
            r.truncate(at);
        }
        7 => {
            // Random bytes inserted (NULs, CR, LF, invalid UTF-8 among them).
            let n = 1 + g.below(8);
            let at = g.below(r.len() + 1);
            let bytes: Vec<u8> = (0..n)
                .map(|_| {
                    if g.chance(30) {
                        *g.pick(&[0u8, b'\r', b'\n', b' ', b'\t', b':', 0xff, 0xc3, 0x80])
                    } else {
                        g.next() as u8
                    }
                })
                .collect();
            r.splice(at..at, bytes);
        }
        8 => {
            // One byte replaced.
            if !r.is_empty() {
                let at = g.below(r.len());
                r[at] = g.next() as u8;
            }
        }
        9 => {
            // A line of the head deleted or duplicated.
            let lines = line_starts(r, 0);
            let lines: Vec<usize> = lines.into_iter().filter(|&s| s < head_end).collect();
            if lines.is_empty() {
                return;
            }
            let at = *g.pick(&lines);
            let end = find(&r[at..], b"\r\n").map_or(r.len(), |i| at + i + 2);
            if g.chance(50) {
                r.drain(at..end);
            } else {
                let line = r[at..end].to_vec();
                r.splice(at..at, line);
            }
        }
        10 => {
            // A folded line (obs-fold) after a header, or a bare LF for a CRLF.
            if let Some(at) = find(&r[..head_end.min(r.len())], b"\r\n") {
                if g.chance(50) {
                    r.splice(at..at, b"\r\n \t folded".iter().copied());
                } else {
                    r.remove(at);
                }
            }
        }
        11 => {
            // Invalid UTF-8 in a header name or value.
            let junks: [&[u8]; 3] = [b"x-\xff\xfe: 1", b"x-bad: \xff\xfe\xc3(", b"\xc3\x28: x"];
            let junk = *g.pick(&junks);
            insert_header(r, junk, g);
        }
        12 => {
            // The body made much longer or shorter than the framing says.
            let body = find(r, b"\r\n\r\n").map_or(r.len(), |i| i + 4);
            if g.chance(50) {
                r.truncate(body + g.below(r.len() - body + 1));
            } else {
                let n = g.below(10_000);
                r.extend((0..n).map(|i| b"0123456789abcdef\r\n"[i % 18]));
            }
        }
        _ => {
            // Another whole answer appended (a second, unasked-for response).
            let other = BASES[g.below(BASES.len())];
            r.extend_from_slice(other);
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Offsets where lines start, from `from` on.
fn line_starts(r: &[u8], from: usize) -> Vec<usize> {
    let mut out = vec![from.min(r.len())];
    let mut i = from;
    while let Some(k) = r.get(i..).and_then(|t| find(t, b"\r\n")) {
        i += k + 2;
        out.push(i);
    }
    out
}

/// Replaces the value of the header starting with `name` (any case), or adds the header.
fn replace_value(r: &mut Vec<u8>, name: &[u8], value: &[u8], head_end: usize, g: &mut Gen) {
    let lower: Vec<u8> = r[..head_end.min(r.len())].to_ascii_lowercase();
    match find(&lower, name) {
        Some(at) => {
            let from = at + name.len();
            let eol = find(&r[from..], b"\r\n").map_or(r.len(), |i| from + i);
            let mut v = b" ".to_vec();
            v.extend_from_slice(value);
            r.splice(from..eol, v);
        }
        None => insert_header(r, &[name, b" ", value].concat(), g),
    }
}

/// Inserts `line` (and CRLF) after the status line or after a random header line.
fn insert_header(r: &mut Vec<u8>, line: &[u8], g: &mut Gen) {
    let head_end = find(r, b"\r\n\r\n").map_or(r.len(), |i| i + 2);
    let starts: Vec<usize> = line_starts(r, 0)
        .into_iter()
        .filter(|&s| s > 0 && s <= head_end)
        .collect();
    let at = if starts.is_empty() { r.len() } else { *g.pick(&starts) };
    let mut l = line.to_vec();
    l.extend_from_slice(b"\r\n");
    r.splice(at..at, l);
}

/// An answer made of random bytes, sometimes behind a plausible start.
fn random_answer(g: &mut Gen) -> Vec<u8> {
    let mut r = if g.chance(50) {
        b"HTTP/1.1 ".to_vec()
    } else {
        Vec::new()
    };
    let n = g.below(300);
    r.extend((0..n).map(|_| {
        if g.chance(40) {
            *g.pick(b"0123456789 :\r\n\r\nHTTP/1.1")
        } else {
            g.next() as u8
        }
    }));
    r
}

/// How the client sends its request(s).
#[derive(Clone, Copy, Debug)]
enum Call {
    /// `send`: status and Retry-After, the body discarded.
    Get,
    /// `send_full` GET, the body collected up to [`MAX_BODY`].
    Full,
    /// `send_full` HEAD: no body whatever the framing says.
    Head,
    /// `send_full` POST with a body (never sent again).
    Post,
}

/// A case: the answers the server gives on the first connection, one per request read, and
/// how the client asks. Later connections are answered with `fallback`.
struct Case {
    answers: Vec<Vec<u8>>,
    fallback: Option<Vec<u8>>,
    call: Call,
    /// Writes of each answer, cut at these offsets.
    pieces: usize,
}

/// Reads a request (its head and any `content-length` body) from `s`; false at the end.
async fn read_request(s: &mut TcpStream) -> bool {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte).await {
            Ok(1) if buf.len() < 64 * 1024 => buf.push(byte[0]),
            _ => return false,
        }
    }
    let head = String::from_utf8_lossy(&buf).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length.min(1024)];
    s.read_exact(&mut body).await.is_ok()
}

/// Writes `answer` in `pieces` parts, letting the client read between them.
async fn write_pieces(s: &mut TcpStream, answer: &[u8], pieces: usize, g: &mut Gen) -> bool {
    let mut cuts: Vec<usize> = (1..pieces).map(|_| g.below(answer.len() + 1)).collect();
    cuts.sort_unstable();
    cuts.push(answer.len());
    let mut from = 0;
    for to in cuts {
        if s.write_all(&answer[from..to]).await.is_err() {
            return false;
        }
        from = to;
        if s.flush().await.is_err() {
            return false;
        }
        tokio::task::yield_now().await;
    }
    true
}

/// Serves one connection: each request read gets the next answer; after the last the server
/// ends its side and waits (bounded) for the client to leave, so nothing sent is lost to a reset.
async fn serve(mut s: TcpStream, answers: Vec<Vec<u8>>, pieces: usize, seed: u64) {
    let mut g = Gen(seed);
    for a in &answers {
        if !read_request(&mut s).await || !write_pieces(&mut s, a, pieces, &mut g).await {
            return;
        }
    }
    let _ = s.shutdown().await;
    let mut sink = [0u8; 1024];
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while matches!(s.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
}

/// The case being served: every case goes to one listener (a listener per case would take
/// an ephemeral port each, and thousands of cases in TIME_WAIT would slow the next run's binds).
#[derive(Default)]
struct Current {
    answers: Vec<Vec<u8>>,
    fallback: Option<Vec<u8>>,
    pieces: usize,
    seed: u64,
    /// The first connection of the case took `answers`.
    taken: bool,
    /// The case's connection tasks, aborted when the next case starts.
    conns: Vec<tokio::task::JoinHandle<()>>,
}

/// The one listener: a case's first connection gets its answers, later ones (a resend, a
/// replaced pooled connection) the fallback or an immediate close.
struct Server {
    addr: SocketAddr,
    current: Arc<Mutex<Current>>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn start() -> std::io::Result<Server> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let current = Arc::new(Mutex::new(Current::default()));
        let shared = current.clone();
        let task = tokio::spawn(async move {
            while let Ok((s, _)) = listener.accept().await {
                let mut c = lock(&shared);
                let script = if c.taken {
                    c.fallback.clone().into_iter().collect()
                } else {
                    c.taken = true;
                    c.answers.clone()
                };
                let conn = tokio::spawn(serve(s, script, c.pieces, c.seed));
                c.conns.push(conn);
            }
        });
        Ok(Server { addr, current, task })
    }

    /// Serves `case` from now on; the previous case's connections are closed.
    fn set(&self, case: &Case, seed: u64) {
        let mut c = lock(&self.current);
        for t in c.conns.drain(..) {
            t.abort();
        }
        *c = Current {
            answers: case.answers.clone(),
            fallback: case.fallback.clone(),
            pieces: case.pieces,
            seed,
            taken: false,
            conns: Vec::new(),
        };
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
        for t in lock(&self.current).conns.drain(..) {
            t.abort();
        }
    }
}

fn lock(m: &Mutex<Current>) -> std::sync::MutexGuard<'_, Current> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Builds a case from the generator.
fn make_case(g: &mut Gen) -> Case {
    let call = *g.pick(&[Call::Get, Call::Get, Call::Full, Call::Full, Call::Head, Call::Post]);
    let mut answers = Vec::new();
    // Sometimes a clean answer first on a kept-alive connection, so the hostile one arrives
    // on a reused connection (the 408 and stale-connection paths).
    if g.chance(20) {
        answers.push(BASES[0].to_vec());
    }
    let hostile = if g.chance(10) {
        random_answer(g)
    } else {
        let mut r = if g.chance(10) {
            g.pick(UNTIL_CLOSE).to_vec()
        } else if g.chance(5) {
            b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\n\r\n".to_vec()
        } else if g.chance(30) {
            // The chunked answers, for the chunk decoder.
            g.pick(&BASES[1..3]).to_vec()
        } else {
            g.pick(BASES).to_vec()
        };
        for _ in 0..1 + g.below(3) {
            mutate_once(&mut r, g);
        }
        r
    };
    answers.push(hostile);
    let fallback = if g.chance(50) { Some(BASES[0].to_vec()) } else { None };
    Case {
        answers,
        fallback,
        call,
        pieces: 1 + g.below(3),
    }
}

/// What one request of a case came to, checked for sense; `Err` says what is wrong.
async fn call(client: Arc<H1Client>, how: Call) -> Result<Result<u16, String>, String> {
    let task = tokio::spawn(async move {
        match how {
            Call::Get => {
                let mut req = client.get("/svc/x", 128);
                push_header(&mut req, "x-case", b"1");
                client.send(req, |_| {}).await.map(|h| (h.status, None))
            }
            Call::Full | Call::Head | Call::Post => {
                let method = match how {
                    Call::Head => http::Method::HEAD,
                    Call::Post => http::Method::POST,
                    _ => http::Method::GET,
                };
                let body: &[u8] = if matches!(how, Call::Post) { b"ab" } else { b"" };
                let req = client.request(method.as_str(), "/svc/x", 128);
                client
                    .send_full(&method, req, body, MAX_BODY)
                    .await
                    .map(|r| (r.status, Some(r.body.len())))
            }
        }
    });
    let mut task = task;
    let Ok(joined) = tokio::time::timeout(CALL_TIMEOUT, &mut task).await else {
        task.abort();
        return Err(format!("no answer within {CALL_TIMEOUT:?}: the client hung"));
    };
    let outcome = joined.map_err(|e| match e.try_into_panic() {
        Ok(p) => format!(
            "the client panicked: {}",
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        ),
        Err(e) => format!("the client task failed: {e}"),
    })?;
    match outcome {
        Ok((status, body)) => {
            // 1xx answers are skipped (101 is an error), so a final status is left.
            if !(200..=999).contains(&status) {
                return Err(format!("an answer with status {status}"));
            }
            if let Some(n) = body {
                if n > MAX_BODY {
                    return Err(format!("a body of {n} bytes collected, past the bound of {MAX_BODY}"));
                }
                if matches!(how, Call::Head) && n > 0 {
                    return Err(format!("a body of {n} bytes for HEAD"));
                }
            }
            Ok(Ok(status))
        }
        Err(e) => {
            let shown = e.to_string();
            if shown.trim().is_empty() {
                return Err(format!("an error without a message: {e:?}"));
            }
            if let H1Error::TooLarge(n) = e {
                if n != MAX_BODY {
                    return Err(format!("TooLarge({n}), the bound was {MAX_BODY}"));
                }
            }
            Ok(Err(shown))
        }
    }
}

/// An answer as printable text, cut to a readable length.
fn show(bytes: &[u8]) -> String {
    const SHOWN: usize = 1500;
    if bytes.len() > SHOWN {
        format!(
            "{:?}... ({} bytes)",
            String::from_utf8_lossy(&bytes[..SHOWN]),
            bytes.len()
        )
    } else {
        format!("{:?}", String::from_utf8_lossy(bytes))
    }
}

#[tokio::test(flavor = "current_thread")]
async fn hostile_answers_give_errors_or_sane_answers_never_panics_or_hangs() {
    // Spawned tasks' panics are reported by `call`, with the answer that caused them.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let started = Instant::now();
    let mut g = Gen(0x5eed_0f41);
    let (mut failures, mut answered, mut refused) = (Vec::new(), 0u32, 0u32);
    let mut errors = std::collections::BTreeMap::<String, u32>::new();
    let mut slowest = (Duration::ZERO, String::new());
    let server = Server::start().await.expect("listen on 127.0.0.1");
    let addr = server.addr;
    for n in 0..CASES {
        let case = make_case(&mut g);
        server.set(&case, g.next());
        // A client per case: no connection pooled by an earlier case.
        let client = Arc::new(H1Client::new(vec![addr], addr.to_string(), 1));
        for i in 0..case.answers.len() {
            let t = Instant::now();
            let outcome = call(client.clone(), case.call).await;
            let took = t.elapsed();
            if took > slowest.0 {
                slowest = (took, format!("case {n}, request {i}: {}", show(&case.answers[i])));
            }
            match outcome {
                Ok(Ok(_)) => answered += 1,
                Ok(Err(e)) => {
                    refused += 1;
                    // The kind of error, without the numbers an io::Error carries.
                    let kind: String = e.chars().take_while(|c| *c != '(').collect();
                    *errors.entry(kind).or_default() += 1;
                }
                Err(why) => failures.push(format!(
                    "case {n}, request {i} ({:?}, {} piece(s)): {why}\n  answers: {}",
                    case.call,
                    case.pieces,
                    case.answers
                        .iter()
                        .map(|a| show(a))
                        .collect::<Vec<_>>()
                        .join("\n           ")
                )),
            }
        }
    }
    drop(server);
    std::panic::set_hook(hook);
    eprintln!(
        "{CASES} cases in {:.2?}: {answered} answered, {refused} errors, {} failures; errors by kind: {errors:#?}\nslowest request {:.2?}: {}",
        started.elapsed(),
        failures.len(),
        slowest.0,
        slowest.1
    );
    assert!(
        failures.is_empty(),
        "{} requests went wrong:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    // Both outcomes must be common, or the mutations miss the parser.
    assert!(
        answered > CASES / 10 && refused > CASES / 4,
        "answered {answered}, refused {refused}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn the_unmutated_answers_are_read_as_sent() {
    // Status and body of each of BASES, then UNTIL_CLOSE (1xx skipped, chunks joined, no body
    // for 204 and 304, a folded header read past).
    let expected: [(u16, &[u8]); 12] = [
        (200, b"hello"),
        (200, b"hello"),
        (200, b"abcabcdefghijklmnopqrstuvwxyz"),
        (503, b""),
        (429, b"slow"),
        (200, b"ok"),
        (204, b""),
        (304, b""),
        (200, b"x"),
        (500, b"oops"),
        (200, b"until the end"),
        (200, b"no length"),
    ];
    assert_eq!(expected.len(), BASES.len() + UNTIL_CLOSE.len());
    let server = Server::start().await.expect("listen on 127.0.0.1");
    let addr = server.addr;
    for (i, (base, (status, body))) in BASES.iter().chain(UNTIL_CLOSE).zip(expected).enumerate() {
        let case = Case {
            answers: vec![base.to_vec()],
            fallback: None,
            call: Call::Full,
            pieces: 1,
        };
        server.set(&case, 1);
        let client = H1Client::new(vec![addr], addr.to_string(), 1);
        let req = client.request("GET", "/svc/x", 128);
        let r = tokio::time::timeout(CALL_TIMEOUT, client.send_full(&http::Method::GET, req, b"", MAX_BODY))
            .await
            .unwrap_or_else(|_| panic!("answer {i}: no answer within {CALL_TIMEOUT:?}"))
            .unwrap_or_else(|e| panic!("answer {i}: {e}"));
        assert_eq!((r.status, &r.body[..]), (status, body), "answer {i}");
    }
}
