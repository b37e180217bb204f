//! The answers the gateway holds for its clients: a gateway-wide budget of their bytes, and a
//! minimum pace for taking one (`reference_gateway::answers`). Every test runs on 127.0.0.1
//! and reads the gateway's own gauges and counters, not its process's memory.

use mock_legacy::testing::{client, metric, HttpClient};
use reference_gateway::answers::AnswerLimits;
use reference_gateway::{RunningGateway, ServerLimits, Setup};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// The answers' size: past what the gateway's kernel send buffer takes (Linux's default
/// tcp_wmem maximum is 4 MiB), so an answer a client does not read stays in the gateway.
const BODY: usize = 8 << 20;

/// An upstream on 127.0.0.1 that answers every request 200 with a `BODY`-byte body.
async fn big_upstream() -> String {
    upstream_of(BODY).await
}

/// An upstream on 127.0.0.1 that answers every request 200 with a `size`-byte body.
async fn upstream_of(size: usize) -> String {
    let mut answer = format!("HTTP/1.1 200 OK\r\ncontent-length: {size}\r\n\r\n").into_bytes();
    answer.resize(answer.len() + size, b'x');
    upstream_answering(answer.leak()).await
}

/// An upstream on 127.0.0.1 that answers every request 200 with a chunked body of `size` bytes,
/// in chunks of 1000.
async fn chunked_upstream_of(size: usize) -> String {
    let mut answer = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    let mut left = size;
    while left > 0 {
        let n = left.min(1000);
        answer.extend_from_slice(format!("{n:x}\r\n").as_bytes());
        answer.resize(answer.len() + n, b'x');
        answer.extend_from_slice(b"\r\n");
        left -= n;
    }
    answer.extend_from_slice(b"0\r\n\r\n");
    upstream_answering(answer.leak()).await
}

/// An upstream on 127.0.0.1 that answers every request with `answer`, as is.
async fn upstream_answering(answer: &'static [u8]) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        buf.drain(..end + 4);
                        if s.write_all(answer).await.is_err() {
                            return;
                        }
                        continue;
                    }
                    match s.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

/// The gateway (fifo, one request at a time to the service) in front of `upstream`.
async fn gateway(upstream: &str, limits: ServerLimits, answers: AnswerLimits) -> RunningGateway {
    let text = "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n\n[gateway]\nstrategy = \"fifo\"\n\n[[backend.services]]\nname = \"svc\"\napis = [\"op\"]\nworkers = 1\nservice_time = \"1ms\"\n";
    let s = model::scenario::parse("test.toml", text).expect("valid");
    let setup = Setup::from_scenario(&s, Some(upstream)).expect("setup");
    reference_gateway::start_with_answer_limits(setup, "127.0.0.1:0".parse().unwrap(), limits, answers)
        .await
        .expect("gateway starts")
}

async fn gauge(c: &HttpClient, gw: &RunningGateway, name: &str) -> f64 {
    let m = mock_legacy::testing::get(c, &format!("{}/metrics", gw.url()))
        .await
        .expect("metrics")
        .body;
    metric(&m, name, "").unwrap_or_else(|| panic!("{name} missing:\n{m}"))
}

/// Polls `name` until `ok` holds of it, for up to `within`; its last value.
async fn wait_for(c: &HttpClient, gw: &RunningGateway, name: &str, within: Duration, ok: impl Fn(f64) -> bool) -> f64 {
    let until = Instant::now() + within;
    loop {
        let v = gauge(c, gw, name).await;
        if ok(v) || Instant::now() > until {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A client with a small receive buffer (no autotuning) that sends a request and reads nothing.
async fn idle_reader(gw: &RunningGateway, request: &[u8]) -> tokio::net::TcpStream {
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let mut s = sock.connect(gw.addr()).await.unwrap();
    s.write_all(request).await.unwrap();
    s
}

/// Five HTTP/1.1 clients that ask for 8 MiB answers and read none: the gateway holds the two
/// that fit in its 20 MiB of answer memory and answers the other three 503 with Retry-After
/// (the service's slot freed all the same), instead of holding 40 MiB; the bytes go back when
/// the clients leave.
#[tokio::test]
async fn answers_held_for_clients_that_do_not_read_stay_within_the_answer_memory() {
    let upstream = big_upstream().await;
    let answers = AnswerLimits {
        memory: 20 << 20,
        wait: Duration::from_millis(200),
        ..Default::default()
    };
    let gw = gateway(&upstream, ServerLimits::default(), answers).await;
    let c = client();
    let mut clients = Vec::new();
    for _ in 0..5 {
        clients.push(idle_reader(&gw, b"GET /svc/op HTTP/1.1\r\nhost: x\r\n\r\n").await);
    }
    let refused = wait_for(
        &c,
        &gw,
        "spillway_gateway_answers_refused_total",
        Duration::from_secs(20),
        |v| v >= 3.0,
    )
    .await;
    assert_eq!(refused, 3.0, "two 8 MiB answers fit in 20 MiB, not three");
    let held = gauge(&c, &gw, "spillway_gateway_answer_bytes_held").await;
    assert_eq!(held, (2 * BODY) as f64, "the two answers' bytes, and no more");
    assert_eq!(
        gauge(&c, &gw, "spillway_gateway_answer_bytes_limit").await,
        (20 << 20) as f64
    );
    // Each client's status line: two 200s (their answers held), three 503s.
    let mut statuses = Vec::new();
    for s in clients.iter_mut() {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut byte))
                .await
                .expect("an answer's head")
                .expect("read");
            assert_eq!(n, 1, "closed before a head: {:?}", String::from_utf8_lossy(&head));
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
        if head.starts_with("http/1.1 503") {
            assert!(
                head.contains("retry-after: 1\r\n") && head.contains("x-spillway-outcome: shed\r\n"),
                "{head}"
            );
        }
        statuses.push(head[9..12].to_string());
    }
    statuses.sort();
    assert_eq!(statuses, ["200", "200", "503", "503", "503"]);
    // Clients that leave give their answers' bytes back.
    drop(clients);
    let held = wait_for(
        &c,
        &gw,
        "spillway_gateway_answer_bytes_held",
        Duration::from_secs(20),
        |v| v == 0.0,
    )
    .await;
    assert_eq!(held, 0.0, "bytes still held after the clients left");
    gw.shutdown().await;
}

/// A client that takes 2 MiB of its 16 MiB answer every second: often enough for the stall
/// timeout (3 s here) never to fire (each read frees half the gateway's socket send buffer,
/// which Linux grows to 4 MiB, and makes it writable again), too slowly for the minimum pace
/// (4 MiB/s here: all of it within 4 s). It is cut off at 4 s, not served for 8 s, and the
/// answer's bytes go back. (Helper-180's client, 64 KiB every 7 s, holds 15 MB for
/// 27 minutes without the pace.)
#[tokio::test]
async fn a_client_that_reads_its_answer_too_slowly_is_cut_off() {
    const SIZE: usize = 16 << 20;
    let upstream = upstream_of(SIZE).await;
    let answers = AnswerLimits {
        min_send_rate: 4 << 20,
        ..Default::default()
    };
    let limits = ServerLimits {
        header_read_timeout: Duration::from_secs(3),
        ..Default::default()
    };
    let gw = gateway(&upstream, limits, answers).await;
    let c = client();
    let mut s = idle_reader(&gw, b"GET /svc/op HTTP/1.1\r\nhost: x\r\n\r\n").await;
    let mut got = 0usize;
    let mut chunk = vec![0u8; 1 << 16];
    let until = Instant::now() + Duration::from_secs(20);
    let closed = 'read: loop {
        if Instant::now() > until {
            break false;
        }
        let mut burst = 0;
        while burst < 2 << 20 {
            let want = chunk.len().min((2 << 20) - burst);
            match tokio::time::timeout(Duration::from_secs(5), s.read(&mut chunk[..want])).await {
                Ok(Ok(0)) | Ok(Err(_)) => break 'read true,
                Ok(Ok(n)) => burst += n,
                Err(_) => break,
            }
        }
        got += burst;
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    assert!(closed, "still open after 20 s ({got} bytes read)");
    assert!(got < SIZE, "cut mid-answer: {got} bytes");
    assert_eq!(gauge(&c, &gw, "spillway_gateway_answers_cut_off_total").await, 1.0);
    let held = wait_for(
        &c,
        &gw,
        "spillway_gateway_answer_bytes_held",
        Duration::from_secs(10),
        |v| v == 0.0,
    )
    .await;
    assert_eq!(held, 0.0);
    gw.shutdown().await;
}

/// An h2c client that opens no flow-control window (SETTINGS_INITIAL_WINDOW_SIZE 0, no
/// WINDOW_UPDATE) and asks for three 8 MiB answers on one connection: two fit in 20 MiB, the
/// third gets 503; once a window has stayed closed for the stall timeout the connection is
/// closed (hyper holds a piece of each answer until its window opens) and every byte goes back,
/// instead of being held as long as the connection lives. Then small answers, which had no
/// watchdog: one client's streams held the whole budget (robustness review, stop 64).
#[tokio::test]
async fn h2c_answers_whose_window_stays_closed_are_dropped() {
    use http_body_util::Empty;
    let upstream = big_upstream().await;
    let answers = AnswerLimits {
        memory: 20 << 20,
        wait: Duration::from_millis(200),
        ..Default::default()
    };
    let limits = ServerLimits {
        header_read_timeout: Duration::from_secs(1),
        ..Default::default()
    };
    let gw = gateway(&upstream, limits, answers).await;
    let c = client();
    let (sender, _conn) = h2c_client(&gw, 0).await;
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..3 {
        let mut sender = sender.clone();
        let url = format!("{}/svc/op", gw.url());
        set.spawn(async move {
            let req = http::Request::get(url).body(Empty::new()).unwrap();
            let resp = tokio::time::timeout(Duration::from_secs(20), sender.send_request(req))
                .await
                .expect("an answer's head within 20 s")
                .expect("h2c answer");
            // Kept, unread: the stream stays open with its window closed.
            (resp.status().as_u16(), resp)
        });
    }
    let mut streams = Vec::new();
    while let Some(r) = set.join_next().await {
        streams.push(r.expect("request task"));
    }
    let mut statuses: Vec<u16> = streams.iter().map(|(s, _)| *s).collect();
    statuses.sort();
    assert_eq!(statuses, [200, 200, 503]);
    let cut = wait_for(
        &c,
        &gw,
        "spillway_gateway_answers_cut_off_total",
        Duration::from_secs(20),
        |v| v >= 1.0,
    )
    .await;
    assert!(cut >= 1.0, "a held answer cut off after its window stayed closed");
    let held = wait_for(
        &c,
        &gw,
        "spillway_gateway_answer_bytes_held",
        Duration::from_secs(5),
        |v| v == 0.0,
    )
    .await;
    assert_eq!(held, 0.0, "the stalled connection's answers all given back");
    drop(streams);
    drop(sender);
    // Small answers (16 KiB or less, one piece) on a connection of the same kind: held, then
    // given back as well.
    let small = upstream_of(1000).await;
    let gw2 = gateway(
        &small,
        limits_with_stall(Duration::from_secs(1)),
        AnswerLimits::default(),
    )
    .await;
    let (sender, _conn) = h2c_client(&gw2, 0).await;
    let small_streams = h2c_heads(&gw2, &sender, 20).await;
    assert_eq!(gauge(&c, &gw2, "spillway_gateway_answer_bytes_held").await, 20_000.0);
    let held = wait_for(
        &c,
        &gw2,
        "spillway_gateway_answer_bytes_held",
        Duration::from_secs(10),
        |v| v == 0.0,
    )
    .await;
    assert_eq!(held, 0.0, "small answers given back after the stall timeout");
    assert!(gauge(&c, &gw2, "spillway_gateway_answers_cut_off_total").await >= 1.0);
    drop(small_streams);
    drop(sender);
    gw2.shutdown().await;
    gw.shutdown().await;
}

/// An h2c (prior knowledge) connection to `gw` whose streams each open a flow-control window of
/// `window` bytes and never more (no adaptive window; a body left unread releases nothing), and
/// the task that drives it (aborted, the connection closes).
async fn h2c_client(
    gw: &RunningGateway,
    window: u32,
) -> (
    hyper::client::conn::http2::SendRequest<http_body_util::Empty<bytes::Bytes>>,
    tokio::task::JoinHandle<Result<(), hyper::Error>>,
) {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let tcp = tokio::net::TcpStream::connect(gw.addr()).await.expect("connect");
    let (sender, conn) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
        .initial_stream_window_size(window)
        .adaptive_window(false)
        .handshake(TokioIo::new(tcp))
        .await
        .expect("h2c handshake");
    (sender, tokio::spawn(conn))
}

/// `streams` GETs of /svc/op on `sender`'s connection, each kept open with its answer's body
/// unread once its head has come (within 20 s).
async fn h2c_heads(
    gw: &RunningGateway,
    sender: &hyper::client::conn::http2::SendRequest<http_body_util::Empty<bytes::Bytes>>,
    streams: usize,
) -> Vec<http::Response<hyper::body::Incoming>> {
    let mut heads = Vec::new();
    for _ in 0..streams {
        let req = http::Request::get(format!("{}/svc/op", gw.url()))
            .body(http_body_util::Empty::new())
            .expect("request");
        let resp = tokio::time::timeout(Duration::from_secs(20), sender.clone().send_request(req))
            .await
            .expect("an answer's head within 20 s")
            .expect("h2c answer");
        assert_eq!(resp.status(), 200);
        heads.push(resp);
    }
    heads
}

fn limits_with_stall(stall: Duration) -> ServerLimits {
    ServerLimits {
        header_read_timeout: stall,
        ..Default::default()
    }
}

/// An answer larger than the whole answer memory can never be held: its 503 says so and
/// carries no Retry-After (which invited clients to ask again, forever); one that does not fit
/// for now is told to come back.
#[tokio::test]
async fn an_answer_larger_than_the_whole_memory_is_not_worth_asking_for_again() {
    let upstream = upstream_of(1000).await;
    let answers = AnswerLimits {
        memory: 500,
        wait: Duration::from_millis(50),
        ..Default::default()
    };
    let gw = gateway(&upstream, ServerLimits::default(), answers).await;
    let c = client();
    let r = mock_legacy::testing::get(&c, &format!("{}/svc/op", gw.url()))
        .await
        .expect("an answer");
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(
        r.body.contains(
            "its answer (1000 bytes at least) is larger than all the memory the gateway has for answers (500 bytes"
        ),
        "{}",
        r.body
    );
    assert_eq!(r.header("retry-after"), None, "asking again cannot help");
    assert_eq!(gauge(&c, &gw, "spillway_gateway_answer_bytes_held").await, 0.0);
    // A chunked answer that fits is served, though its buffer grows by doubling past the
    // memory's size (7000 bytes: 8192 and more), and one that does not is refused the same way.
    let chunked = |size: usize| async move {
        let upstream = chunked_upstream_of(size).await;
        let gw = gateway(
            &upstream,
            ServerLimits::default(),
            AnswerLimits {
                memory: 7500,
                wait: Duration::from_millis(50),
                ..Default::default()
            },
        )
        .await;
        mock_legacy::testing::get(&client(), &format!("{}/svc/op", gw.url()))
            .await
            .expect("an answer")
    };
    let r = chunked(7000).await;
    assert_eq!((r.status, r.body.len()), (200, 7000), "{}", r.body);
    let r = chunked(9000).await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r.body.contains("can never be held"), "{}", r.body);
    assert_eq!(r.header("retry-after"), None);
    // Room enough for one, taken by a client that does not read: the next is told to come back.
    let gw = gateway(
        &upstream_of(BODY).await,
        ServerLimits::default(),
        AnswerLimits {
            memory: BODY + 1000,
            wait: Duration::from_millis(50),
            ..Default::default()
        },
    )
    .await;
    let _idle = idle_reader(&gw, b"GET /svc/op HTTP/1.1\r\nhost: x\r\n\r\n").await;
    wait_for(
        &c,
        &gw,
        "spillway_gateway_answer_bytes_held",
        Duration::from_secs(20),
        |v| v >= BODY as f64,
    )
    .await;
    let r = mock_legacy::testing::get(&c, &format!("{}/svc/op", gw.url()))
        .await
        .expect("an answer");
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r.body.contains("send again later"), "{}", r.body);
    assert_eq!(r.header("retry-after"), Some("1"));
}
