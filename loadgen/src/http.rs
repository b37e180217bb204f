//! The load generator's hyper client, for https (TLS with rustls) and HTTP/2 (by prior knowledge
//! or ALPN): pooled keep-alive connections and a cap on open connections. Plain http over
//! HTTP/1.1 goes through the leaner `crate::h1`.

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::CertificateDer;
use std::sync::Arc;

pub type Connector = hyper_rustls::HttpsConnector<HttpConnector>;
pub type HttpClient = Client<Connector, Full<Bytes>>;

/// A client for `http://` and `https://` targets. `extra_roots`: PEM certificates to trust
/// besides the public (webpki) roots, e.g. a test or internal CA.
pub fn client(http2: bool, max_idle: usize, extra_roots: Option<&[u8]>) -> Result<HttpClient, String> {
    let connector = connector(http2, extra_roots)?;
    let mut cb = Client::builder(TokioExecutor::new());
    cb.pool_max_idle_per_host(max_idle);
    // Read legacy answers as `crate::h1` does: a folded header line (obs-fold) as a space, as
    // RFC 9112 section 5.2 asks of a user agent, and up to as many header lines.
    cb.http1_allow_obsolete_multiline_headers_in_responses(true);
    cb.http1_max_headers(reference_gateway::h1::MAX_HEADERS);
    if http2 {
        cb.http2_only(true);
    }
    Ok(cb.build(connector))
}

/// What [`client`] connects with: TCP, then TLS for `https://` (ALPN h2 with `http2`, else
/// http/1.1). The run's preflight uses it alone, to find a certificate or protocol problem
/// before the run, without sending a request.
pub fn connector(http2: bool, extra_roots: Option<&[u8]>) -> Result<Connector, String> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(pem) = extra_roots {
        let mut n = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| format!("--ca-cert: not a PEM certificate: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| format!("--ca-cert: unusable certificate: {e}"))?;
            n += 1;
        }
        if n == 0 {
            return Err("--ca-cert: no certificate found in the file".into());
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    // ALPN follows the enabled versions: h2 with --http2, http/1.1 otherwise.
    let b = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http();
    Ok(if http2 {
        b.enable_http2().wrap_connector(http)
    } else {
        b.enable_http1().wrap_connector(http)
    })
}
