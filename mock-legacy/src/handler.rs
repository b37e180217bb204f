//! The HTTP face of the backend: routing, header parsing and response bodies.

use crate::state::{Answer, Backend, Service};
use bytes::Bytes;
use http::header::{HeaderValue, ALLOW, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use http::{Method, Response, StatusCode, Version};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::Request;
use model::wire;
use serde_json::json;
use std::sync::atomic::Ordering;
use std::sync::Arc;

pub type Body = Full<Bytes>;

fn json_response(status: StatusCode, request_id: &str, body: serde_json::Value) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        r.headers_mut().insert(wire::REQUEST_ID, v);
    }
    r
}

fn error(status: StatusCode, request_id: &str, message: String) -> Response<Body> {
    json_response(
        status,
        request_id,
        json!({ "error": message, "status": status.as_u16(), "request_id": request_id }),
    )
}

fn text(status: StatusCode, body: String, content_type: &'static str) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// How much of a request body is read, and for how long.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimits {
    pub max_bytes: usize,
    /// A body that stops arriving is answered 408 after this long, so a client that declares
    /// a body and never sends it cannot hold the connection forever.
    pub read_timeout: std::time::Duration,
}

/// Answers one request.
pub async fn handle(b: Arc<Backend>, req: Request<Incoming>, body: BodyLimits) -> Response<Body> {
    let is_head = req.method() == Method::HEAD;
    let mut r = answer(b, req, body).await;
    if is_head {
        // No content for HEAD (RFC 9110 section 9.3.2), on HTTP/2 too (hyper would send it):
        // only the length a GET's body would have.
        use hyper::body::Body as _;
        if let Some(n) = r.body().size_hint().exact() {
            r.headers_mut().entry(CONTENT_LENGTH).or_insert(HeaderValue::from(n));
        }
        *r.body_mut() = Full::new(Bytes::new());
    }
    r
}

/// `r` with `connection: close` on HTTP/1, for an answer after which the connection closes.
fn closing(version: Version, mut r: Response<Body>) -> Response<Body> {
    if version < Version::HTTP_2 {
        r.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
    }
    r
}

async fn answer(b: Arc<Backend>, req: Request<Incoming>, body: BodyLimits) -> Response<Body> {
    // The budget counts from here, as `grpc-timeout` does from a call's start: a body that
    // takes its time to arrive spends the caller's budget too.
    let arrived = b.now();
    let max_body = body.max_bytes;
    if let Some((status, why)) = crate::serve::protocol_refusal(&req) {
        b.bad_requests.fetch_add(1, Ordering::Relaxed);
        let mut r = error(status, &b.new_request_id(), why);
        if status == StatusCode::NOT_IMPLEMENTED && !wire::allowed_method(req.method().as_str()) {
            r.headers_mut()
                .insert(ALLOW, HeaderValue::from_static(model::wire::ALLOW));
        }
        if req.version() < Version::HTTP_2 {
            // Its body (or a tunnel's bytes) is not read: nothing after it can be trusted.
            r.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
        }
        return r;
    }
    if let Some(name) = wire::SINGLE_VALUE_REQUEST_HEADERS
        .iter()
        .find(|n| req.headers().get_all(**n).iter().nth(1).is_some())
    {
        b.bad_requests.fetch_add(1, Ordering::Relaxed);
        return error(
            StatusCode::BAD_REQUEST,
            &b.new_request_id(),
            wire::repeated_header_message(name),
        );
    }
    if req.uri().path() == "*" {
        // `OPTIONS *`: what the server as a whole supports; no service's work.
        let mut r = text(StatusCode::OK, String::new(), "text/plain");
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static(model::wire::ALLOW));
        return r;
    }
    let path = req.uri().path().to_string();
    if path == "/healthz" || path == "/metrics" {
        if let Some(why) = wire::admin_method_problem(req.method().as_str(), &path) {
            b.bad_requests.fetch_add(1, Ordering::Relaxed);
            let mut r = error(StatusCode::METHOD_NOT_ALLOWED, &b.new_request_id(), why);
            r.headers_mut()
                .insert(ALLOW, HeaderValue::from_static(wire::ADMIN_ALLOW));
            return r;
        }
    }
    match path.as_str() {
        "/healthz" => {
            let mut r = text(StatusCode::OK, "ok\n".into(), "text/plain");
            if let Ok(v) = HeaderValue::from_str(&b.time_scale().to_string()) {
                r.headers_mut().insert(wire::TIME_SCALE, v);
            }
            return r;
        }
        "/metrics" => return text(StatusCode::OK, crate::metrics::render(&b), "text/plain; version=0.0.4"),
        _ => {}
    }
    let request_id = match req.headers().get(wire::REQUEST_ID).and_then(|v| v.to_str().ok()) {
        Some(id) if !id.is_empty() && id.len() <= 200 => id.to_string(),
        _ => b.new_request_id(),
    };
    let route = if b.catch_all {
        b.services.first().map_or(Route::None, |s| Route::Found(s.clone(), 0))
    } else {
        // Routed on the path as sent, as the gateway routes it: `//orders/get` names no service
        // (404), it is not `/orders/get` with its slashes collapsed.
        let mut parts = path.strip_prefix('/').unwrap_or(&path).split('/');
        match (parts.next().and_then(|n| b.service(n)), parts.next(), parts.next()) {
            (Some(s), Some(api), None) => match s.api_index(api) {
                Some(i) => Route::Found(s.clone(), i),
                None => Route::UnknownApi(s, api),
            },
            _ => Route::None,
        }
    };
    let (svc, api) = match route {
        Route::Found(s, i) => (s, i),
        Route::UnknownApi(s, api) => {
            b.not_found.fetch_add(1, Ordering::Relaxed);
            let message = format!("no API `{api}` in service {}: its APIs are {}", s.name, s.api_range());
            return error(StatusCode::NOT_FOUND, &request_id, message);
        }
        Route::None => {
            b.not_found.fetch_add(1, Ordering::Relaxed);
            let message = wire::no_route_message(&path, "{api}", b.services.iter().map(|s| s.name.as_str()));
            return error(StatusCode::NOT_FOUND, &request_id, message);
        }
    };
    let budget = match req.headers().get(wire::TIMEOUT_MS) {
        None => None,
        Some(v) => match v
            .to_str()
            .map_err(|_| format!("{}: not ASCII", wire::TIMEOUT_MS))
            .and_then(wire::parse_timeout_ms)
        {
            Ok(d) => Some(d),
            Err(e) => {
                b.bad_requests.fetch_add(1, Ordering::Relaxed);
                return error(StatusCode::BAD_REQUEST, &request_id, e);
            }
        },
    };
    // A body declared over the limit is refused before it is read (no `100 Continue`, no wait
    // for bytes that may never come), as the gateway does; its bytes are not read, so an
    // HTTP/1 connection closes after the answer.
    if hyper::body::Body::size_hint(req.body()).lower() > max_body as u64 {
        b.bad_requests.fetch_add(1, Ordering::Relaxed);
        let mut r = error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &request_id,
            format!("request body over the {max_body}-byte limit"),
        );
        if req.version() < Version::HTTP_2 {
            r.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
        }
        return r;
    }
    // Legacy servers read the whole request before a worker looks at it.
    let version = req.version();
    // Waiting for the client's bytes: a shutdown does not wait for a body that may never come.
    let awaiting = req
        .extensions()
        .get::<crate::serve::Answering>()
        .map(crate::serve::Answering::awaiting_client);
    let read = tokio::time::timeout(body.read_timeout, Limited::new(req.into_body(), max_body).collect()).await;
    drop(awaiting);
    let Ok(read) = read else {
        b.bad_requests.fetch_add(1, Ordering::Relaxed);
        return closing(
            version,
            error(
                StatusCode::REQUEST_TIMEOUT,
                &request_id,
                format!(
                    "the request body did not arrive within {} s",
                    body.read_timeout.as_secs_f64()
                ),
            ),
        );
    };
    if let Err(e) = read {
        b.bad_requests.fetch_add(1, Ordering::Relaxed);
        let too_large = e.downcast_ref::<http_body_util::LengthLimitError>().is_some();
        // The rest of the body is unread: the connection closes, and the answer says so.
        return closing(
            version,
            if too_large {
                error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &request_id,
                    format!("request body over the {max_body}-byte limit"),
                )
            } else {
                error(
                    StatusCode::BAD_REQUEST,
                    &request_id,
                    format!("could not read the request body: {e}"),
                )
            },
        );
    }
    // The body is not used: it goes now, not after the wait for a worker (an h2c connection's
    // streams, up to `H2_MAX_CONCURRENT_STREAMS`, would hold theirs while they wait).
    drop(read);
    let api_name = svc.api_name(api);
    let deadline = budget.map(|d| arrived + d);
    match b.call(&svc, api, deadline).await {
        Answer::Done(c) => {
            let status = if c.status == 200 {
                StatusCode::OK
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            let body = json!({
                "request_id": request_id,
                "service": svc.name,
                "api": api_name,
                "status": c.status,
                // Nanoseconds over 1e6 prints as the value (5.548032), not 5.548031999999999.
                "queued_ms": c.queued.as_nanos() as f64 / 1e6,
                "service_ms": c.busy.as_nanos() as f64 / 1e6,
                "late": c.wasted,
            });
            json_response(status, &request_id, body)
        }
        Answer::Rejected(reply) => {
            let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let why = match reply.reason {
                model::backend::RejectReason::Overloaded => match svc.max_in_flight() {
                    // Thrash mode has no worker limit: what is full is its max_in_flight.
                    Some(m) => format!("overloaded: {m} requests in flight already, its max_in_flight"),
                    None => "overloaded: no free worker and no room to wait".into(),
                },
                model::backend::RejectReason::RateLimited => "rate limited".into(),
                model::backend::RejectReason::Outage => "service unavailable (outage)".into(),
            };
            let mut r = error(status, &request_id, format!("{}/{}: {why}", svc.name, api_name));
            if let Some(d) = reply.retry_after {
                let (secs, ms) = wire::retry_after_values(d);
                if let (Ok(s), Ok(m)) = (HeaderValue::from_str(&secs), HeaderValue::from_str(&ms)) {
                    r.headers_mut().insert(RETRY_AFTER, s);
                    r.headers_mut().insert(wire::RETRY_AFTER_MS, m);
                }
            }
            r
        }
        Answer::Gone => error(
            StatusCode::SERVICE_UNAVAILABLE,
            &request_id,
            "server shutting down".into(),
        ),
    }
}

/// What a request's path names: a service and one of its APIs, a known service with an API it
/// lacks (the 404 names its APIs), or nothing.
enum Route<'a> {
    Found(Arc<Service>, usize),
    UnknownApi(&'a Arc<Service>, &'a str),
    None,
}
