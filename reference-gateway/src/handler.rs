//! The HTTP face of the gateway: admin endpoints, auth, rate limit, routing, deadline and
//! priority headers, and the answers. Both server sides (the lean HTTP/1.1 one in `h1_server`
//! and hyper's h2c) hand it a [`Request`] and write the answer it returns.

use crate::metrics::Outcome;
use crate::state::{Buffered, Delivery, Offer};
use crate::Gateway;
use bytes::Bytes;
use http::header::{HeaderMap, HeaderValue, ALLOW, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::uri::PathAndQuery;
use http::{Method, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use model::gateway::Arrival;
use model::wire;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// An answer's body: the gateway buffers every answer whole.
pub type Body = Bytes;

/// A request as either server side hands it over, its body read in full.
pub struct Request {
    pub method: Method,
    pub path_and_query: PathAndQuery,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The gateway's `Via` entry for it, naming the protocol it came in on.
    pub via: &'static str,
}

impl Request {
    /// hyper's request (h2c) with at most `max_headers` header fields, its body read up to
    /// `max_body`, each frame within `idle` of the one before and all of it within
    /// `body_timeout`, as the HTTP/1.1 server reads a body between reads; past any, or on a
    /// broken stream, the answer to give instead (431, 413, 408, 400).
    pub async fn from_hyper(
        gw: &Gateway,
        req: hyper::Request<hyper::body::Incoming>,
        max_headers: usize,
        max_body: usize,
        idle: Duration,
        body_timeout: Duration,
        held: &Arc<HeldBodies>,
    ) -> Result<(Request, BodyHold), Response<Body>> {
        let (parts, body) = req.into_parts();
        // The HTTP/1.1 server's header limit, on h2c too: each field (`len` counts every value
        // of a repeated name) becomes a header line upstream, and past the limit (less what
        // the gateway adds) a service with the same limits answered 431, after the request
        // had taken a queue place and a call, and counted as a backend error. Pseudo-header
        // fields are not in the map; the Host line the gateway adds for them is in
        // `ADDED_HEADERS`.
        if parts.headers.len() > max_headers {
            gw.global.bad_requests.fetch_add(1, Ordering::Relaxed);
            return Err(json_error(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                &request_id(gw, &parts.headers),
                "bad-request",
                format!("more than {max_headers} request headers"),
            ));
        }
        // A declared length over the limit is refused at once, before any of the body is read
        // (the HTTP/1.1 server does so before it builds a request; this covers HTTP/2).
        if hyper::body::Body::size_hint(&body).lower() > max_body as u64 {
            gw.global.bad_requests.fetch_add(1, Ordering::Relaxed);
            return Err(json_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &request_id(gw, &parts.headers),
                "bad-request",
                format!("request body over the {max_body}-byte limit"),
            ));
        }
        // A stream whose body stops arriving is answered at `idle`: with a total limit alone,
        // a client holding its streams' bodies open kept up to 200 MiB per connection (200
        // streams of 1 MiB) for 100 s.
        let mut hold = BodyHold {
            held: held.clone(),
            bytes: 0,
        };
        let read = tokio::time::timeout(
            body_timeout,
            collect_within(Limited::new(body, max_body), idle, &mut hold),
        )
        .await;
        let body = match read {
            Ok(Some(Err(BodyRead::OverBudget))) => {
                // Shed, as a full queue sheds: the request is fine, the connection is full.
                let r = json_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &request_id(gw, &parts.headers),
                    "shed",
                    format!(
                        "this connection's streams hold {} bytes of request bodies, the most it may: send again when some are answered, or over another connection",
                        held.limit
                    ),
                );
                return Err(with_retry_after(r, Duration::from_secs(1)));
            }
            Err(_) | Ok(None) => {
                gw.global.bad_requests.fetch_add(1, Ordering::Relaxed);
                return Err(json_error(
                    StatusCode::REQUEST_TIMEOUT,
                    &request_id(gw, &parts.headers),
                    "bad-request",
                    format!(
                        "the request body did not arrive within {} s (nor a part of it within {} s of the last)",
                        body_timeout.as_secs_f64(),
                        idle.as_secs_f64()
                    ),
                ));
            }
            Ok(Some(Ok(b))) => b,
            Ok(Some(Err(BodyRead::Body(e)))) => {
                gw.global.bad_requests.fetch_add(1, Ordering::Relaxed);
                let request_id = request_id(gw, &parts.headers);
                return Err(if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
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
                });
            }
        };
        let request = Request {
            path_and_query: parts
                .uri
                .path_and_query()
                .cloned()
                .unwrap_or_else(|| PathAndQuery::from_static("/")),
            method: parts.method,
            headers: parts.headers,
            via: match parts.version {
                http::Version::HTTP_2 => "2 spillway",
                http::Version::HTTP_10 => "1.0 spillway",
                _ => "1.1 spillway",
            },
            body,
        };
        Ok((request, hold))
    }
}

/// The request body bytes an h2c connection's streams hold, and the most they may. HTTP/1.1
/// holds one request's body per connection; h2c, one per stream, 200 streams of up to the
/// body limit each: four connections of stalled bodies held 800 MB.
pub struct HeldBodies {
    bytes: std::sync::atomic::AtomicUsize,
    limit: usize,
}

impl HeldBodies {
    /// Bodies of `per_connection` bytes at most, across a connection's streams.
    pub fn new(per_connection: usize) -> Arc<HeldBodies> {
        Arc::new(HeldBodies {
            bytes: std::sync::atomic::AtomicUsize::new(0),
            limit: per_connection,
        })
    }
}

/// One stream's share of [`HeldBodies`], given back when it is dropped (the request answered).
pub struct BodyHold {
    held: Arc<HeldBodies>,
    bytes: usize,
}

impl BodyHold {
    /// Takes `n` more bytes; false (taking none) past the connection's limit.
    fn take(&mut self, n: usize) -> bool {
        // Compare and swap, not add then undo: a frame refused must not, for that instant,
        // crowd out another stream's that fits.
        let taken = self
            .held
            .bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |held| {
                held.checked_add(n).filter(|&after| after <= self.held.limit)
            });
        if taken.is_err() {
            return false;
        }
        self.bytes += n;
        true
    }
}

impl Drop for BodyHold {
    fn drop(&mut self) {
        self.held.bytes.fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

/// Why [`collect_within`] stopped short of the body's end.
enum BodyRead<E> {
    Body(E),
    OverBudget,
}

/// `body` whole, each frame within `idle` of the one before, its bytes taken from `hold`;
/// `None` when a frame did not come in time.
async fn collect_within<B>(
    mut body: B,
    idle: Duration,
    hold: &mut BodyHold,
) -> Option<Result<Bytes, BodyRead<B::Error>>>
where
    B: hyper::body::Body + Unpin,
{
    use bytes::Buf;
    let mut out = bytes::BytesMut::new();
    loop {
        match tokio::time::timeout(idle, body.frame()).await {
            Err(_) => return None,
            Ok(None) => return Some(Ok(out.freeze())),
            Ok(Some(Err(e))) => return Some(Err(BodyRead::Body(e))),
            Ok(Some(Ok(frame))) => {
                if let Ok(mut data) = frame.into_data() {
                    if !hold.take(data.remaining()) {
                        return Some(Err(BodyRead::OverBudget));
                    }
                    while data.has_remaining() {
                        let chunk = data.chunk();
                        out.extend_from_slice(chunk);
                        let n = chunk.len();
                        data.advance(n);
                    }
                }
            }
        }
    }
}

/// The client's `x-request-id` when usable, else a new one.
fn request_id(gw: &Gateway, headers: &HeaderMap) -> String {
    match headers.get(wire::REQUEST_ID).and_then(|v| v.to_str().ok()) {
        Some(id) if !id.is_empty() && id.len() <= 200 => id.to_string(),
        _ => gw.shared.new_request_id(),
    }
}

fn set(r: &mut Response<Body>, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().insert(name, v);
    }
}

pub(crate) fn json_error(status: StatusCode, request_id: &str, outcome: &str, message: String) -> Response<Body> {
    let body = json!({ "error": message, "status": status.as_u16(), "request_id": request_id, "outcome": outcome });
    let mut r = Response::new(Bytes::from(body.to_string()));
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

/// What a forwarding intermediary adds: its `Via` entry (RFC 9110 section 7.6.3: a gateway MUST
/// send one), after any the client's request carried, and the client's address appended to
/// `X-Forwarded-For` (a backend trusts the last entry, the one a hop it knows added: those
/// before it are whatever the client sent).
fn add_forwarding(headers: &mut HeaderMap, peer: SocketAddr, via: &'static str) {
    headers.append(http::header::VIA, HeaderValue::from_static(via));
    let ip = peer.ip().to_string();
    let earlier: Vec<&[u8]> = headers
        .get_all(wire::FORWARDED_FOR)
        .iter()
        .map(HeaderValue::as_bytes)
        .collect();
    let mut list = earlier.join(&b", "[..]);
    if !list.is_empty() {
        list.extend_from_slice(b", ");
    }
    list.extend_from_slice(ip.as_bytes());
    // Made of header values and an address: valid header bytes, but checked, not assumed.
    if let Ok(v) = HeaderValue::from_bytes(&list) {
        headers.insert(wire::FORWARDED_FOR, v);
    }
}

/// Answers one request. Admission runs before the returned future: what a queued request
/// holds while it waits is only that future ([`Waiting`] and its receiver), not the locals of
/// admission (a future keeps every local that lives across an await, moved or not).
pub fn handle(
    gw: Arc<Gateway>,
    req: Request,
    peer: SocketAddr,
) -> impl std::future::Future<Output = Response<Body>> + Send {
    let admitted = admit(&gw, req, peer);
    async move {
        match admitted {
            Admitted::Answer(r) => r,
            Admitted::Waiting(w) => w.answer().await,
        }
    }
}

/// What admission decided.
enum Admitted {
    Answer(Response<Body>),
    Waiting(Waiting),
}

/// A request offered to its service, waiting for the service's answer or the policy's.
struct Waiting {
    /// The call to the service, when the policy dispatched the request at once.
    forward: Option<crate::state::Forward>,
    rx: tokio::sync::oneshot::Receiver<Delivery>,
    guard: crate::state::CancelGuard,
    driver: Arc<crate::state::ServiceDriver>,
    request_id: String,
    is_head: bool,
}

/// Checks and routes a request and offers it to its service. The body has been read.
fn admit(gw: &Arc<Gateway>, req: Request, peer: SocketAddr) -> Admitted {
    use Admitted::Answer;
    let path = req.path_and_query.path();
    let headers = &req.headers;
    let get = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    if req.method == Method::CONNECT {
        // HTTP/1.1 refuses it while parsing; this is h2c's.
        gw.global.bad_requests.fetch_add(1, Ordering::Relaxed);
        let mut r = json_error(
            StatusCode::NOT_IMPLEMENTED,
            &gw.shared.new_request_id(),
            "bad-request",
            "CONNECT is not supported: this gateway is not a forward proxy".into(),
        );
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static(model::wire::ALLOW));
        return Answer(r);
    }
    if req.method == Method::TRACE {
        // TRACE echoes the request back, credentials included: forwarded, a service that
        // answers it hands a page's script the `authorization` and `x-api-key` a browser sent
        // (cross-site tracing). Not among the methods the gateway's `Allow` lists; other
        // methods outside it, the services' own (WebDAV's, custom ones), are still forwarded:
        // what they take is theirs to say.
        gw.global.bad_requests.fetch_add(1, Ordering::Relaxed);
        let mut r = json_error(
            StatusCode::METHOD_NOT_ALLOWED,
            &gw.shared.new_request_id(),
            "bad-request",
            // Not "one of" the `Allow` list: every other method but CONNECT is forwarded.
            "TRACE is not forwarded: it would echo the request, credentials included; any other method but CONNECT is, for the service to serve or refuse".to_string(),
        );
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static(model::wire::ALLOW));
        return Answer(r);
    }
    if req.path_and_query.as_str() == "*" {
        if req.method != Method::OPTIONS {
            gw.global.bad_requests.fetch_add(1, Ordering::Relaxed);
            return Answer(json_error(
                StatusCode::BAD_REQUEST,
                &gw.shared.new_request_id(),
                "bad-request",
                "the asterisk target `*` is for OPTIONS only".into(),
            ));
        }
        // `OPTIONS *`: what the server as a whole supports; nothing to forward.
        let mut r = Response::new(Bytes::new());
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static(model::wire::ALLOW));
        return Answer(r);
    }
    // Two copies of a single-value header: whichever one a reader takes, another may take the
    // other (an auth check and the service, a proxy in front and this gateway).
    if let Some(name) = wire::SINGLE_VALUE_REQUEST_HEADERS
        .iter()
        .find(|n| headers.get_all(**n).iter().nth(1).is_some())
    {
        gw.global.bad_requests.fetch_add(1, Ordering::Relaxed);
        return Answer(json_error(
            StatusCode::BAD_REQUEST,
            &gw.shared.new_request_id(),
            "bad-request",
            wire::repeated_header_message(name),
        ));
    }
    if let Some(why) = wire::dot_segment_problem(path) {
        gw.global.bad_requests.fetch_add(1, Ordering::Relaxed);
        return Answer(json_error(
            StatusCode::BAD_REQUEST,
            &gw.shared.new_request_id(),
            "bad-request",
            why,
        ));
    }
    let request_id = request_id(gw, headers);
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
            return Answer(r);
        }
    }
    if admin {
        if let Some(why) = wire::admin_method_problem(req.method.as_str(), path) {
            gw.global.bad_requests.fetch_add(1, Ordering::Relaxed);
            let mut r = json_error(StatusCode::METHOD_NOT_ALLOWED, &request_id, "bad-request", why);
            r.headers_mut()
                .insert(ALLOW, HeaderValue::from_static(wire::ADMIN_ALLOW));
            return Answer(r);
        }
    }
    if path == "/healthz" {
        let mut r = Response::new(Bytes::from_static(b"ok\n"));
        r.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        if let Ok(v) = HeaderValue::from_str(&gw.setup.time_scale.to_string()) {
            r.headers_mut().insert(wire::TIME_SCALE, v);
        }
        return Answer(r);
    }
    if path == "/metrics" {
        let mut r = Response::new(Bytes::from(gw.render_metrics()));
        r.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
        return Answer(r);
    }
    let now = gw.shared.now();
    if let Some((limiter, per)) = &gw.rate_limit {
        let key = model::gateway::bucket_key(
            *per,
            gw.auth.is_some(),
            get("authorization"),
            get(wire::API_KEY),
            &peer.ip().to_string(),
        );
        let verdict = limiter.lock().unwrap_or_else(|p| p.into_inner()).check(now, &key);
        if let Err(wait) = verdict {
            gw.global.rate_limited.fetch_add(1, Ordering::Relaxed);
            let r = json_error(
                StatusCode::TOO_MANY_REQUESTS,
                &request_id,
                "rate-limited",
                "rate limit exceeded".into(),
            );
            return Answer(with_retry_after(r, wait));
        }
    }
    let driver = if gw.setup.catch_all {
        gw.services.first().cloned()
    } else {
        // The first segment of the path as sent: `//svc/op` names the service `` (none: 404),
        // not `svc`. Collapsing the slashes would route a path that the path-keyed rules do not
        // see as that route (a priority route `/svc/batch` misses `//svc/batch`, which then ran
        // as interactive), and that a backend keeping them (mock-legacy does) serves otherwise.
        let first = path.strip_prefix('/').unwrap_or(path).split('/').next().unwrap_or("");
        gw.by_name.get(first).map(|i| gw.services[*i].clone())
    };
    let Some(driver) = driver else {
        gw.global.not_found.fetch_add(1, Ordering::Relaxed);
        let message = wire::no_route_message(path, "...", gw.services.iter().map(|s| s.name.as_str()));
        return Answer(json_error(StatusCode::NOT_FOUND, &request_id, "not-found", message));
    };
    let bad = |msg: String| {
        gw.global.bad_requests.fetch_add(1, Ordering::Relaxed);
        json_error(StatusCode::BAD_REQUEST, &request_id, "bad-request", msg)
    };
    let budget = match get(wire::TIMEOUT_MS) {
        Some(v) => match wire::parse_timeout_ms(v) {
            Ok(d) => Some(d),
            Err(e) => return Answer(bad(e)),
        },
        None if headers.contains_key(wire::TIMEOUT_MS) => {
            return Answer(bad(format!("{}: not ASCII", wire::TIMEOUT_MS)))
        }
        None => gw.setup.gateway.default_timeout.map(|d| d.0),
    };
    let priority = match get(wire::PRIORITY).map(wire::parse_priority) {
        Some(Ok(p)) => p,
        Some(Err(e)) => return Answer(bad(e)),
        None if headers.contains_key(wire::PRIORITY) => return Answer(bad(format!("{}: not ASCII", wire::PRIORITY))),
        None => gw.route_priority(path),
    };
    let is_head = req.method == Method::HEAD;

    // Budget counts from arrival, so time spent reading the body is already spent.
    let arrival = Arrival {
        arrived: now,
        deadline: budget.map(|b| now + b),
        priority,
        api: model::gateway::NO_API,
        // The gateway keeps its own map from tickets to requests.
        token: 0,
    };
    let api_from = crate::state::api_start(path, gw.setup.catch_all);
    let mut headers = req.headers;
    // The client's hop-by-hop headers go first: a `Connection: via, x-forwarded-for` must drop
    // the client's copies, not the gateway's entries added next.
    crate::state::strip_hop_by_hop(&mut headers);
    add_forwarding(&mut headers, peer, req.via);
    let buffered = Buffered {
        method: req.method,
        path_and_query: req.path_and_query,
        headers,
        body: req.body,
        request_id: request_id.clone(),
    };
    match driver.offer(buffered, arrival, api_from) {
        Offer::Rejected(rejection) => Answer(rejected(&driver.name, &request_id, &rejection, Duration::ZERO)),
        Offer::ShuttingDown => Answer(json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            &request_id,
            "shed",
            "gateway shutting down".into(),
        )),
        Offer::Now(forward, rx, guard) => Admitted::Waiting(Waiting {
            forward: Some(forward),
            rx,
            guard,
            driver,
            request_id,
            is_head,
        }),
        Offer::Waiting(rx, guard) => Admitted::Waiting(Waiting {
            forward: None,
            rx,
            guard,
            driver,
            request_id,
            is_head,
        }),
    }
}

impl Waiting {
    async fn answer(mut self) -> Response<Body> {
        if let Some(forward) = self.forward.as_mut() {
            forward.await;
        }
        let delivery = (&mut self.rx).await;
        self.guard.disarm();
        deliver(&self.driver.name, &self.request_id, self.is_head, delivery)
    }
}

/// The answer to a request the service or the policy has decided.
fn deliver(
    service: &str,
    request_id: &str,
    is_head: bool,
    delivery: Result<Delivery, tokio::sync::oneshot::error::RecvError>,
) -> Response<Body> {
    match delivery {
        Ok(Delivery::Upstream {
            status,
            headers,
            body,
            hold,
            queue_wait,
        }) => {
            let mut r = Response::new(body);
            // Its bytes stay counted until the server side has written it, or its client left.
            r.extensions_mut().insert(crate::answers::HeldAnswer(Arc::new(hold)));
            *r.status_mut() = status;
            // The upstream's map, moved rather than copied; the server side sets the length
            // from the body, except for HEAD, whose answer says what a GET's body would be.
            let mut headers = headers;
            crate::state::strip_hop_by_hop(&mut headers);
            // One value at most (the upstream client refuses conflicting ones, not repeats),
            // and none where no body can be (1xx, 204): HTTP/2 clients refuse the stream.
            let length = headers.remove(http::header::CONTENT_LENGTH);
            let may_have_body = !(status.is_informational() || status == http::StatusCode::NO_CONTENT);
            if let Some(l) = length.filter(|_| is_head && may_have_body) {
                headers.insert(http::header::CONTENT_LENGTH, l);
            }
            *r.headers_mut() = headers;
            set(&mut r, wire::REQUEST_ID, request_id);
            set(&mut r, wire::QUEUE_MS, &ms(queue_wait));
            let outcome = Outcome::of_upstream(status.as_u16());
            r.headers_mut()
                .insert(wire::OUTCOME, HeaderValue::from_static(outcome.as_str()));
            r
        }
        Ok(Delivery::Rejected { rejection, waited }) => rejected(service, request_id, &rejection, waited),
        Ok(Delivery::Failed {
            status,
            message,
            queue_wait,
            retry_after,
        }) => {
            let outcome = match status {
                StatusCode::BAD_GATEWAY => Outcome::BadGateway,
                // No room for the service's answer: shed, as a full queue sheds.
                StatusCode::SERVICE_UNAVAILABLE => Outcome::Shed,
                _ => Outcome::UpstreamTimeout,
            };
            let mut r = json_error(status, request_id, outcome.as_str(), message);
            if let Some(d) = retry_after {
                r = with_retry_after(r, d);
            }
            set(&mut r, wire::QUEUE_MS, &ms(queue_wait));
            r
        }
        Err(_) => json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            request_id,
            "shed",
            "gateway shutting down".into(),
        ),
    }
}
