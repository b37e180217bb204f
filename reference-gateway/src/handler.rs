//! The HTTP face of the gateway: admin endpoints, auth, rate limit, routing, deadline and
//! priority headers, and the answers.

use crate::metrics::Outcome;
use crate::state::{Buffered, Delivery, Offer};
use crate::Gateway;
use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::Request;
use model::gateway::Arrival;
use model::scenario::RateLimitKey;
use model::wire;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

pub type Body = Full<Bytes>;

fn set(r: &mut Response<Body>, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().insert(name, v);
    }
}

fn json_error(status: StatusCode, request_id: &str, outcome: &str, message: String) -> Response<Body> {
    let body = json!({ "error": message, "status": status.as_u16(), "request_id": request_id, "outcome": outcome });
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    set(&mut r, wire::REQUEST_ID, request_id);
    set(&mut r, wire::OUTCOME, outcome);
    r
}

fn with_retry_after(mut r: Response<Body>, d: Duration) -> Response<Body> {
    let (secs, ms) = wire::retry_after_values(d);
    set(&mut r, RETRY_AFTER.as_str(), &secs);
    set(&mut r, wire::RETRY_AFTER_MS, &ms);
    r
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1e3)
}

/// The answer for a request the policy refused or dropped without calling the service.
fn rejected(
    service: &str,
    request_id: &str,
    rejection: &model::gateway::Rejection,
    waited: Duration,
) -> Response<Body> {
    let status = StatusCode::from_u16(rejection.reason.status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let r = json_error(
        status,
        request_id,
        rejection.reason.outcome(),
        format!("{service}: {}", rejection.reason.describe()),
    );
    let mut r = match rejection.retry_after {
        Some(d) => with_retry_after(r, d),
        None => r,
    };
    set(&mut r, wire::QUEUE_MS, &ms(waited));
    r
}

/// Answers one request.
pub async fn handle(gw: Arc<Gateway>, req: Request<Incoming>, peer: SocketAddr, max_body: usize) -> Response<Body> {
    let path = req.uri().path().to_string();
    let headers = req.headers();
    let get = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let request_id = match get(wire::REQUEST_ID) {
        Some(id) if !id.is_empty() && id.len() <= 200 => id.to_string(),
        _ => gw.shared.new_request_id(),
    };
    let admin = path == "/healthz" || path == "/metrics";
    if let Some(auth) = &gw.auth {
        if (!admin || gw.protect_admin) && !auth.check(get("authorization"), get(wire::API_KEY)) {
            gw.global.unauthorized.fetch_add(1, Ordering::Relaxed);
            let mut r = json_error(
                StatusCode::UNAUTHORIZED,
                &request_id,
                "unauthorized",
                "missing or wrong API key (authorization: Bearer <key> or x-api-key)".into(),
            );
            r.headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return r;
        }
    }
    if path == "/healthz" {
        let mut r = Response::new(Full::new(Bytes::from_static(b"ok\n")));
        r.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        return r;
    }
    if path == "/metrics" {
        let mut r = Response::new(Full::new(Bytes::from(gw.render_metrics())));
        r.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
        return r;
    }
    let now = gw.shared.now();
    if let Some((limiter, per)) = &gw.rate_limit {
        let key = match per {
            RateLimitKey::Global => String::new(),
            RateLimitKey::Client => get(wire::API_KEY)
                .map(str::to_string)
                .or_else(|| get("authorization").map(str::to_string))
                .unwrap_or_else(|| peer.ip().to_string()),
        };
        let verdict = limiter.lock().unwrap_or_else(|p| p.into_inner()).check(now, &key);
        if let Err(wait) = verdict {
            gw.global.rate_limited.fetch_add(1, Ordering::Relaxed);
            let r = json_error(
                StatusCode::TOO_MANY_REQUESTS,
                &request_id,
                "rate-limited",
                "rate limit exceeded".into(),
            );
            return with_retry_after(r, wait);
        }
    }
    let driver = if gw.setup.catch_all {
        gw.services.first().cloned()
    } else {
        let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
        gw.by_name.get(first).map(|i| gw.services[*i].clone())
    };
    let Some(driver) = driver else {
        gw.global.not_found.fetch_add(1, Ordering::Relaxed);
        return json_error(
            StatusCode::NOT_FOUND,
            &request_id,
            "not-found",
            format!("no route for {path}: expected /{{service}}/..."),
        );
    };
    let bad = |msg: String| {
        gw.global.bad_requests.fetch_add(1, Ordering::Relaxed);
        json_error(StatusCode::BAD_REQUEST, &request_id, "bad-request", msg)
    };
    let budget = match get(wire::TIMEOUT_MS) {
        Some(v) => match wire::parse_timeout_ms(v) {
            Ok(d) => Some(d),
            Err(e) => return bad(e),
        },
        None if headers.contains_key(wire::TIMEOUT_MS) => return bad(format!("{}: not ASCII", wire::TIMEOUT_MS)),
        None => gw.setup.gateway.default_timeout.map(|d| d.0),
    };
    let priority = match get(wire::PRIORITY).map(wire::parse_priority) {
        Some(Ok(p)) => p,
        Some(Err(e)) => return bad(e),
        None => gw.route_priority(&path),
    };

    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, max_body).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            gw.global.bad_requests.fetch_add(1, Ordering::Relaxed);
            return if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
                json_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &request_id,
                    "bad-request",
                    format!("request body over the {max_body}-byte limit"),
                )
            } else {
                json_error(
                    StatusCode::BAD_REQUEST,
                    &request_id,
                    "bad-request",
                    format!("could not read the request body: {e}"),
                )
            };
        }
    };
    if gw.shared.shutting_down.load(Ordering::Relaxed) {
        return json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            &request_id,
            "shed",
            "gateway shutting down".into(),
        );
    }
    // Budget counts from arrival, so time spent reading the body is already spent.
    let arrival = Arrival {
        arrived: now,
        deadline: budget.map(|b| now + b),
        priority,
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| http::uri::PathAndQuery::from_static("/"));
    let buffered = Buffered {
        method: parts.method,
        path_and_query,
        headers: parts.headers,
        body,
        request_id: request_id.clone(),
    };
    match driver.offer(buffered, arrival) {
        Offer::Rejected(rejection) => rejected(&driver.name, &request_id, &rejection, Duration::ZERO),
        Offer::Waiting(rx, mut guard) => {
            let delivery = rx.await;
            guard.disarm();
            match delivery {
                Ok(Delivery::Upstream {
                    status,
                    headers,
                    body,
                    queue_wait,
                }) => {
                    let mut r = Response::new(Full::new(body));
                    *r.status_mut() = status;
                    // The upstream's map, moved rather than copied; hyper sets the length.
                    let mut headers = headers;
                    crate::state::strip_hop_by_hop(&mut headers);
                    headers.remove(http::header::CONTENT_LENGTH);
                    *r.headers_mut() = headers;
                    set(&mut r, wire::REQUEST_ID, &request_id);
                    set(&mut r, wire::QUEUE_MS, &ms(queue_wait));
                    let outcome = if status.as_u16() == 429 {
                        Outcome::BackendRateLimited
                    } else {
                        Outcome::Served
                    };
                    r.headers_mut()
                        .insert(wire::OUTCOME, HeaderValue::from_static(outcome.as_str()));
                    r
                }
                Ok(Delivery::Rejected { rejection, waited }) => rejected(&driver.name, &request_id, &rejection, waited),
                Ok(Delivery::Failed {
                    status,
                    message,
                    queue_wait,
                }) => {
                    let outcome = if status == StatusCode::BAD_GATEWAY {
                        Outcome::BadGateway
                    } else {
                        Outcome::UpstreamTimeout
                    };
                    let mut r = json_error(status, &request_id, outcome.as_str(), message);
                    set(&mut r, wire::QUEUE_MS, &ms(queue_wait));
                    r
                }
                Err(_) => json_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &request_id,
                    "shed",
                    "gateway shutting down".into(),
                ),
            }
        }
    }
}
