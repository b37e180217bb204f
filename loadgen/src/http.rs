//! The HTTP client of the load generator: pooled keep-alive connections (HTTP/1.1, or HTTP/2
//! by prior knowledge or ALPN), TLS with rustls, and a cap on open connections.

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

pub type Connector = hyper_rustls::HttpsConnector<HttpConnector>;
pub type HttpClient = Client<Connector, Full<Bytes>>;

/// A client for `http://` and `https://` targets.
pub fn client(http2: bool, max_idle: usize) -> HttpClient {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    let tls = hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http();
    let connector = if http2 {
        tls.enable_http2().wrap_connector(http)
    } else {
        tls.enable_http1().wrap_connector(http)
    };
    let mut b = Client::builder(TokioExecutor::new());
    b.pool_max_idle_per_host(max_idle);
    if http2 {
        b.http2_only(true);
    }
    b.build(connector)
}
