//! Checks of the target before the run: its URL, that it accepts connections, and its TLS or
//! h2c handshake.

use super::causes::error_chain;
use super::options::LiveOptions;
use std::time::Duration;

/// A target that cannot be used, found before the run (bad input, not a failed run).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TargetError(pub String);

/// Checks the target's URL without connecting: an http:// or https:// URL with a host.
pub fn check_target_url(url: &str) -> Result<http::Uri, TargetError> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| TargetError(format!("--target `{url}` is not a URL: {e}")))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => {
            return Err(TargetError(format!(
                "--target `{url}`: expected an http:// or https:// URL"
            )))
        }
    }
    if crate::h1::host_port(&uri).is_none() {
        return Err(no_host(url));
    }
    // `user:pw@` is never sent (no Authorization header is made of it): refused, as a
    // service's upstream is, rather than a run of 401s that reads as the target's.
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Err(TargetError(format!(
            "--target `{}` has credentials (user@), which loadgen does not send: send them as a header (-H 'authorization: Basic ...', or in [clients.request] headers) and drop them from the URL",
            model::wire::redact_userinfo(url)
        )));
    }
    Ok(uri)
}

fn no_host(url: &str) -> TargetError {
    TargetError(format!("--target `{url}`: no host, or a port beyond 65535"))
}

/// Checks once, before the run, that the target accepts connections.
pub async fn preflight(url: &str) -> Result<(), TargetError> {
    let uri = check_target_url(url)?;
    let (host, port) = crate::h1::host_port(&uri).ok_or_else(|| no_host(url))?;
    let addr = format!("{}:{port}", uri.host().unwrap_or(host));
    match tokio::time::timeout(Duration::from_secs(3), tokio::net::TcpStream::connect((host, port))).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(TargetError(format!("cannot reach the target {url} ({addr}): {e}"))),
        Err(_) => Err(TargetError(format!(
            "cannot reach the target {url} ({addr}): no answer to a connection attempt within 3 s"
        ))),
    }
}

/// For an `https://` target, once before the run: the TLS handshake the run's connections will
/// make, without a request (for `--http2` over plain http, [`h2c_preflight`]). A certificate
/// the run cannot verify, or `--http2` against a target that does not offer HTTP/2, would
/// otherwise make every attempt an error ("other errors 900 x invalid peer certificate") and
/// the run a false failure of the target.
pub(super) async fn tls_preflight(url: &str, opts: &LiveOptions) -> Result<(), TargetError> {
    use hyper_util::client::legacy::connect::Connection as _;
    let uri: http::Uri = url
        .parse()
        .map_err(|e| TargetError(format!("--target `{url}` is not a URL: {e}")))?;
    if uri.scheme_str() != Some("https") {
        return if opts.http2 {
            h2c_preflight(url, &uri).await
        } else {
            Ok(())
        };
    }
    let mut connector = crate::http::connector(opts.http2, opts.ca_pem.as_deref()).map_err(TargetError)?;
    let handshake = tower_service::Service::call(&mut connector, uri);
    let stream = match tokio::time::timeout(Duration::from_secs(5), handshake).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            let why = error_chain(e.as_ref());
            // A server that offers protocols but not h2 may end the handshake over it (rustls
            // does); one that ignores ALPN completes it and is caught below.
            if opts.http2 && why.contains("NoApplicationProtocol") {
                return Err(TargetError(format!(
                    "--http2: the target {url} does not offer HTTP/2 (its TLS handshake refused h2: {why}): drop --http2"
                )));
            }
            // A plain-HTTP server answers the TLS hello in HTTP ("HTTP/1.1 400 ..."), which
            // rustls reads as a record of an invalid type: no certificate is involved.
            let hint = if why.contains("InvalidContentType") || why.contains("corrupt message") {
                "the target did not answer in TLS: if it speaks plain HTTP, use an http:// URL"
            } else if opts.ca_pem.is_some() {
                "check that --ca-cert holds the CA that signed the target's certificate (not the certificate itself) and that the URL's host is a name the certificate holds"
            } else {
                "a target with a private or self-signed certificate needs its CA: --ca-cert FILE (PEM)"
            };
            return Err(TargetError(format!(
                "TLS with the target {url} failed before the run: {why}; {hint}"
            )));
        }
        Err(_) => {
            return Err(TargetError(format!(
                "TLS with the target {url}: no handshake within 5 s"
            )))
        }
    };
    if opts.http2 && !stream.connected().is_negotiated_h2() {
        return Err(TargetError(format!(
            "--http2: the target {url} does not offer HTTP/2 (its TLS handshake did not choose h2): drop --http2"
        )));
    }
    Ok(())
}

/// `--http2` over plain http (h2c, prior knowledge), once before the run: the connection
/// preface and an empty SETTINGS frame, which an HTTP/2 server answers with its own SETTINGS
/// (RFC 9113 section 3.4) and an HTTP/1 one with an error status or a close. Without it, every
/// attempt against an HTTP/1-only target failed with "frame with invalid size". No request
/// is sent; an HTTP/1 target may log one malformed one (the preface's `PRI *` line).
async fn h2c_preflight(url: &str, uri: &http::Uri) -> Result<(), TargetError> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    const PREFACE_AND_SETTINGS: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0";
    const SETTINGS: u8 = 0x4;
    let (host, port) = crate::h1::host_port(uri).ok_or_else(|| no_host(url))?;
    let probe = async {
        let mut s = tokio::net::TcpStream::connect((host, port)).await?;
        s.write_all(PREFACE_AND_SETTINGS).await?;
        let mut frame = [0u8; 9];
        s.read_exact(&mut frame).await?;
        Ok::<_, std::io::Error>(frame)
    };
    let refused = |why: String| {
        TargetError(format!(
            "--http2: the target {url} does not speak HTTP/2 over plain http (h2c by prior knowledge): {why}; drop --http2"
        ))
    };
    match tokio::time::timeout(Duration::from_secs(5), probe).await {
        // A frame header: 3 bytes of length, its type, flags, then stream 0 for SETTINGS.
        Ok(Ok(f)) if f[3] == SETTINGS && f[5..] == [0, 0, 0, 0] => Ok(()),
        Ok(Ok(f)) if f.starts_with(b"HTTP/") => Err(refused(format!(
            "it answered the HTTP/2 preface in HTTP/1 (`{}`)",
            String::from_utf8_lossy(&f).trim_end()
        ))),
        Ok(Ok(_)) => Err(refused(
            "its answer to the HTTP/2 preface was not a SETTINGS frame".into(),
        )),
        Ok(Err(e)) => Err(refused(format!("the connection ended at the HTTP/2 preface ({e})"))),
        Err(_) => Err(refused("no answer to the HTTP/2 preface within 5 s".into())),
    }
}

#[cfg(test)]
mod tests {
    /// A target URL with credentials is refused: loadgen would send none of them.
    #[test]
    fn a_target_url_with_credentials_is_refused() {
        let e = super::check_target_url("http://user:secret@127.0.0.1:8080/x")
            .unwrap_err()
            .0;
        assert!(
            e.contains("has credentials (user@), which loadgen does not send"),
            "{e}"
        );
        // The password is not printed (stderr ends up in CI logs).
        assert!(
            e.contains("`http://user:***@127.0.0.1:8080/x`") && !e.contains("secret"),
            "{e}"
        );
        assert!(super::check_target_url("http://127.0.0.1:8080/x?a=b@c").is_ok());
    }
}
