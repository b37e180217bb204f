//! HTTPS targets: rustls with ALPN, HTTP/1.1 and HTTP/2, against a local TLS server whose
//! self-signed certificate the run trusts through `ca_pem` (`--ca-cert`).

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A TLS server offering `alpn` (e.g. h2 and http/1.1), answering "ok"; counts HTTP/2 requests.
async fn tls_server(alpn: &[&[u8]]) -> (u16, Vec<u8>, Arc<AtomicU64>, tokio::task::JoinHandle<()>) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let pem = cert.cert.pem().into_bytes();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    let mut cfg = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .unwrap();
    cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let h2_requests = Arc::new(AtomicU64::new(0));
    let counter = h2_requests.clone();
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { return };
            let (acceptor, counter) = (acceptor.clone(), counter.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else { return };
                let svc = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    if req.version() == http::Version::HTTP_2 {
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                    async {
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from_static(b"ok"))))
                    }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    (port, pem, h2_requests, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_targets_work_over_http1_and_http2() {
    let (port, pem, h2, server) = tls_server(&[b"h2", b"http/1.1"]).await;
    let s = model::scenario::parse(
        "tls.toml",
        "[[workload.phases]]\nduration = \"2s\"\nrate = 50\n[[backend.services]]\nname = \"t\"\nworkers = 1\nservice_time = \"1ms\"\n",
    )
    .unwrap();
    for http2 in [false, true] {
        let opts = loadgen::LiveOptions {
            target: Some(format!("https://localhost:{port}/x")),
            catch_all: true,
            http2,
            ca_pem: Some(pem.clone()),
            ..Default::default()
        };
        let r = loadgen::run_live(&s, &opts, std::future::pending()).await.unwrap();
        assert!(r.summary.whole.offered > 50);
        assert_eq!(
            r.summary.whole.successes, r.summary.whole.offered,
            "http2={http2}: {:?}",
            r.summary
        );
    }
    assert!(h2.load(Ordering::Relaxed) > 50, "the second run spoke HTTP/2 (ALPN h2)");
    // Without trusting the certificate, TLS fails: it is really verified, and the run is
    // refused before it starts, with the flag that fixes it (every attempt an error, before).
    let e = refused_before_the_run(&s, format!("https://localhost:{port}/x")).await;
    assert!(e.contains("TLS with the target") && e.contains("--ca-cert"), "{e}");
    server.abort();
}

/// `--http2` against a target whose TLS offers only HTTP/1.1 is refused before the run (every
/// attempt failed with "frame with invalid size"); without it, the same target serves the run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_against_a_target_without_it_is_refused_before_the_run() {
    // One that offers only HTTP/1.1 (rustls then ends the handshake), one that ignores ALPN.
    for alpn in [&[&b"http/1.1"[..]][..], &[]] {
        http2_refused(alpn).await;
    }
}

async fn http2_refused(alpn: &[&[u8]]) {
    let (port, pem, _, server) = tls_server(alpn).await;
    let s = model::scenario::parse(
        "tls.toml",
        "[[workload.phases]]\nduration = \"1s\"\nrate = 20\n[[backend.services]]\nname = \"t\"\nworkers = 1\nservice_time = \"1ms\"\n",
    )
    .unwrap();
    let opts = |http2| loadgen::LiveOptions {
        target: Some(format!("https://localhost:{port}/x")),
        catch_all: true,
        http2,
        ca_pem: Some(pem.clone()),
        ..Default::default()
    };
    let e = loadgen::run_live(&s, &opts(true), std::future::pending())
        .await
        .expect_err("refused")
        .to_string();
    assert!(
        e.contains("does not offer HTTP/2") && e.contains("drop --http2"),
        "{alpn:?}: {e}"
    );
    let r = loadgen::run_live(&s, &opts(false), std::future::pending())
        .await
        .unwrap();
    assert!(r.summary.whole.offered > 0);
    assert_eq!(r.summary.whole.successes, r.summary.whole.offered);
    server.abort();
}

/// An https:// URL for a plain-HTTP server was refused with advice to pass --ca-cert; the
/// server answered the TLS hello in HTTP, and the hint now says to use http://.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_to_a_plain_http_server_says_to_use_http() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        // As a plain HTTP/1.1 server does with bytes that are no request: 400 and close.
        for _ in 0..4 {
            let Ok((mut c, _)) = listener.accept().await else {
                return;
            };
            let mut buf = [0u8; 1024];
            let _ = c.read(&mut buf).await;
            let _ = c
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await;
        }
    });
    let s = model::scenario::parse(
        "tls.toml",
        "[[workload.phases]]\nduration = \"1s\"\nrate = 20\n[[backend.services]]\nname = \"t\"\nworkers = 1\nservice_time = \"1ms\"\n",
    )
    .unwrap();
    let e = refused_before_the_run(&s, format!("https://127.0.0.1:{port}/x")).await;
    assert!(
        e.contains("did not answer in TLS") && e.contains("use an http:// URL") && !e.contains("--ca-cert"),
        "{e}"
    );
    server.abort();
}

/// The error of a run against `url` with nothing trusted beyond the public roots, which must be
/// refused before it starts.
async fn refused_before_the_run(s: &model::scenario::Scenario, url: String) -> String {
    let opts = loadgen::LiveOptions {
        target: Some(url),
        catch_all: true,
        ..Default::default()
    };
    loadgen::run_live(s, &opts, std::future::pending())
        .await
        .expect_err("refused before the run")
        .to_string()
}
