//! reference-gateway: an HTTP/1.1 and h2c reverse proxy with pluggable admission and queueing
//! strategies, the kind of gateway spillway's users are asked to put in front of slow legacy
//! services.
//!
//! It holds no policy logic of its own: every admission, queueing, dropping, pausing and retry
//! decision comes from `model::gateway::ServicePolicy`, the same state machine the simulator
//! runs. This crate translates HTTP events into policy calls (`state.rs`), decisions into HTTP
//! actions (`handler.rs`), and exports the policies' state on /metrics. Clients are served by
//! `front` (accept loop, shutdown): HTTP/1.1 by the lean server in `h1_server`, h2c by hyper;
//! upstream calls go through the lean HTTP/1.1 client in `h1` (which the load generator uses
//! too).
//!
//! Memory: the unbounded `fifo` strategy is unbounded by design (that is the experiment); every
//! other strategy has a hard queue bound, and request bodies are capped.

pub mod answers;
pub mod args;
pub mod config;
mod front;
pub mod h1;
mod h1_server;
mod handler;
pub mod metrics;
pub mod state;

pub use args::Args;
pub use config::Setup;

use anyhow::Context as _;
use metrics::GlobalMetrics;
pub(crate) use mock_legacy::serve::listen_addr;
pub use mock_legacy::serve::ServerLimits;
use mock_legacy::serve::{self, RunningServer};
use model::gateway::{Auth, PolicyConfig, RateLimiter};
use model::scenario::{Priority, RateLimitKey};
use state::{ServiceDriver, Shared};
use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// The gateway's state, shared by every connection.
pub struct Gateway {
    pub setup: Setup,
    pub shared: Arc<Shared>,
    pub services: Vec<Arc<ServiceDriver>>,
    by_name: HashMap<String, usize>,
    auth: Option<Auth>,
    protect_admin: bool,
    rate_limit: Option<(Mutex<RateLimiter>, RateLimitKey)>,
    /// Route prefixes and their priority, longest first.
    priority_routes: Vec<(String, Priority)>,
    pub global: GlobalMetrics,
}

impl Gateway {
    pub fn new(setup: Setup) -> Arc<Gateway> {
        Gateway::with_answer_limits(setup, answers::AnswerLimits::default())
    }

    /// A gateway holding answers for its clients within `answers` (see [`answers`]).
    pub fn with_answer_limits(setup: Setup, answers: answers::AnswerLimits) -> Arc<Gateway> {
        let shared = Arc::new(Shared::with_answer_limits(&setup, answers));
        let g = &setup.gateway;
        let services: Vec<Arc<ServiceDriver>> = setup
            .routes
            .iter()
            .map(|r| {
                ServiceDriver::new(
                    r.name.clone(),
                    r.upstream.clone(),
                    PolicyConfig::for_service(&g.for_service(&r.name, &r.group), r.workers),
                    shared.clone(),
                )
            })
            .collect();
        let by_name = setup
            .routes
            .iter()
            .enumerate()
            .map(|(i, r)| (r.name.clone(), i))
            .collect();
        let mut priority_routes: Vec<(String, Priority)> = g
            .priorities
            .as_ref()
            .map_or_else(Vec::new, |p| p.routes.iter().map(|(k, v)| (k.clone(), *v)).collect());
        priority_routes.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
        Arc::new(Gateway {
            auth: g.auth.as_ref().map(|a| Auth::new(&a.keys)),
            protect_admin: g.auth.as_ref().is_some_and(|a| a.protect_admin),
            rate_limit: g
                .rate_limit
                .as_ref()
                .map(|r| (Mutex::new(RateLimiter::new(r.rate, r.burst)), r.per)),
            priority_routes,
            by_name,
            services,
            shared,
            global: GlobalMetrics::default(),
            setup,
        })
    }

    fn route_priority(&self, path: &str) -> Priority {
        self.priority_routes
            .iter()
            .find(|(p, _)| path.starts_with(p.as_str()))
            .map_or(Priority::Interactive, |(_, pr)| *pr)
    }

    pub fn render_metrics(&self) -> String {
        let rows: Vec<_> = self.services.iter().map(|s| (s.gauges(), &s.metrics)).collect();
        metrics::render(&rows, &self.global, &self.shared.answers)
    }
}

/// A running gateway.
pub struct RunningGateway {
    server: RunningServer,
    gateway: Arc<Gateway>,
}

impl RunningGateway {
    pub fn addr(&self) -> SocketAddr {
        self.server.addr
    }
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr)
    }
    pub fn gateway(&self) -> &Arc<Gateway> {
        &self.gateway
    }

    /// Answers queued requests 503, lets in-flight ones finish, stops.
    pub async fn shutdown(self) {
        self.gateway
            .shared
            .shutting_down
            .store(true, std::sync::atomic::Ordering::Relaxed);
        for s in &self.gateway.services {
            s.drain();
        }
        self.server.shutdown().await;
    }
}

/// Starts the gateway on `listen`, with [`proxy_limits`] less its upstreams' lengths.
pub async fn start(setup: Setup, listen: SocketAddr) -> anyhow::Result<RunningGateway> {
    let limits = client_limits(&setup);
    start_with_limits(setup, listen, limits).await
}

/// [`proxy_limits`] less the upstreams' lengths.
fn client_limits(setup: &Setup) -> ServerLimits {
    let mut limits = proxy_limits();
    // The upstream's host replaces the client's, and its path prefix goes before the path.
    let longest = setup.routes.iter().map(|r| r.upstream.len()).max().unwrap_or(0);
    limits.max_head_bytes = model::wire::gateway_head_limit(longest);
    limits
}

/// Headers the gateway adds to a request it forwards, at most (see
/// [`model::wire::GATEWAY_ADDED_HEADERS`], which `scenario check` reads too).
pub const ADDED_HEADERS: usize = model::wire::GATEWAY_ADDED_HEADERS;
/// Bytes those add to the request head, at most, besides the upstream's host and path prefix
/// ([`start`] takes those off too).
pub const ADDED_HEAD_BYTES: usize = model::wire::GATEWAY_ADDED_HEAD_BYTES;

/// What clients may send the gateway: a server's default limits (mock-legacy's) less what the
/// gateway adds, so a request it accepts is not refused by a service with the same limits (a
/// client's 98 headers became 101 upstream, and mock-legacy answered 431).
pub fn proxy_limits() -> ServerLimits {
    let d = ServerLimits::default();
    ServerLimits {
        max_headers: d.max_headers - ADDED_HEADERS,
        max_head_bytes: d.max_head_bytes - ADDED_HEAD_BYTES,
        ..d
    }
}

/// Starts the gateway on `listen` with these limits on what clients may send.
pub async fn start_with_limits(
    setup: Setup,
    listen: SocketAddr,
    limits: ServerLimits,
) -> anyhow::Result<RunningGateway> {
    start_with_answer_limits(setup, listen, limits, answers::AnswerLimits::default()).await
}

/// [`start_with_limits`], holding answers for clients within `answers` (see [`answers`]).
pub async fn start_with_answer_limits(
    setup: Setup,
    listen: SocketAddr,
    limits: ServerLimits,
    answers: answers::AnswerLimits,
) -> anyhow::Result<RunningGateway> {
    start_now(setup, listen, limits, answers)
}

/// [`start_with_answer_limits`]'s body: not async, so that the gateway front end it
/// instantiates is compiled here once (see [`mock_legacy::serve::BoxedFuture`]).
#[inline(never)]
fn start_now(
    setup: Setup,
    listen: SocketAddr,
    limits: ServerLimits,
    answers: answers::AnswerLimits,
) -> anyhow::Result<RunningGateway> {
    let gateway = Gateway::with_answer_limits(setup, answers);
    let listener = serve::bind(listen).with_context(|| format!("cannot listen on {listen}"))?;
    let server = front::spawn(listener, limits, gateway.clone())?;
    Ok(RunningGateway { server, gateway })
}

/// A duration setting for the start-up line, in scenario time (and real time when scaled).
fn scenario_time(t: Option<model::duration::Dur>, factor: f64) -> String {
    match (t, factor) {
        (None, _) => "none".to_string(),
        (Some(t), 1.0) => t.to_string(),
        (Some(t), f) => format!("{} ({t} real at {f}x)", model::duration::Dur(t.0.mul_f64(f))),
    }
}

/// Items of a start-up list shown at most (then "and N more"): generous, since a list cut
/// short hid the services it left out (the routes stopped at 5).
const LISTED: usize = 50;

/// `items` joined with ", ", the first [`LISTED`] of them, then how many more.
fn listed(items: &[String]) -> String {
    let mut shown: Vec<String> = items.iter().take(LISTED).cloned().collect();
    if items.len() > LISTED {
        shown.push(format!("and {} more", items.len() - LISTED));
    }
    shown.join(", ")
}

/// A start-up line setting: the shared value, then the services' own
/// (`[gateway.services.NAME]`, or bounds sized per service) as `NAME value`, which the shared
/// value alone hid. When every route has its own, the shared value applies to none and is
/// left out.
fn with_own(
    setup: &Setup,
    shared: String,
    own: impl Fn(&model::scenario::ServiceGatewayConfig) -> Option<String>,
) -> String {
    let g = &setup.gateway;
    let listed_own: Vec<String> = g
        .services
        .iter()
        .filter_map(|(n, o)| own(o).map(|v| format!("{n} {v}")))
        .collect();
    if listed_own.is_empty() {
        return shared;
    }
    // A service's own value is its name's, else its group's (as `GatewayConfig::for_service`).
    let has_own = |name: &str| g.services.get(name).and_then(&own).is_some();
    let every_own = setup.routes.iter().all(|r| has_own(&r.name) || has_own(&r.group));
    if every_own {
        format!("per service ({})", listed(&listed_own))
    } else {
        format!("{shared} (per service: {})", listed(&listed_own))
    }
}

/// The start-up line's queue timeout: the shared one, and the services' own.
fn queue_timeout_text(setup: &Setup) -> String {
    let factor = setup.time_scale;
    with_own(setup, scenario_time(setup.gateway.queue_timeout, factor), |o| {
        o.queue_timeout.map(|t| scenario_time(Some(t), factor))
    })
}

/// The start-up line's queue capacity: the shared one, and the services' own (none under the
/// strategies that keep no bound).
fn queue_capacity_text(setup: &Setup) -> String {
    use model::scenario::Strategy;
    let g = &setup.gateway;
    match (g.strategy, g.queue_capacity) {
        (Strategy::Passthrough, _) => "none (nothing queues)".into(),
        (Strategy::Fifo, _) => "unbounded".into(),
        (_, shared) => with_own(
            setup,
            shared.map_or_else(
                || format!("{} (the default)", model::gateway::DEFAULT_QUEUE_CAPACITY),
                |c| c.to_string(),
            ),
            |o| o.queue_capacity.map(|c| c.to_string()),
        ),
    }
}

/// The start-up line's pushback: on by default and easy to miss, and a backend that refuses at
/// once when busy can hold the gateway far below its capacity with it. Under passthrough the
/// policy never pauses (it has no queue to hold requests in), whatever the setting: said, as the
/// abandoned requests' `cancel` is.
fn pushback_text(p: &model::scenario::PushbackConfig, strategy: model::scenario::Strategy, factor: f64) -> String {
    if strategy == model::scenario::Strategy::Passthrough {
        if p.enabled {
            "pushback off (ignored: passthrough never pauses a service)".to_string()
        } else {
            "pushback off".to_string()
        }
    } else if p.enabled {
        format!(
            "pushback on (a 429 or 503 pauses the service for its Retry-After, {} without one, at most {}; --no-pushback turns it off)",
            scenario_time(Some(p.default_pause), factor),
            scenario_time(Some(p.max_pause), factor)
        )
    } else {
        "pushback off".to_string()
    }
}

/// The start-up line's concurrency: under `adaptive` the limit it starts at, as the policy
/// clamps it (`--concurrency 100` starts at the default `max_limit` of 64), and its range; then
/// the services' own.
fn concurrency_text(setup: &Setup) -> String {
    use model::scenario::Strategy;
    let g = &setup.gateway;
    let a = &g.adaptive;
    // Where adaptive starts with concurrency `c` (`initial_limit` over it), clamped.
    let start = |c: Option<u32>| {
        a.initial_limit
            .or(c)
            .map(|c| c.max(a.min_limit).min(a.max_limit).to_string())
    };
    let shared = match (g.strategy, g.concurrency) {
        (Strategy::Passthrough, _) => return "unlimited".into(),
        (Strategy::Adaptive, c) => format!(
            "adaptive from {} (between {} and {})",
            start(c).unwrap_or_else(|| "the workers".into()),
            a.min_limit,
            a.max_limit
        ),
        (_, None) => "= workers".into(),
        (_, Some(c)) => c.to_string(),
    };
    with_own(setup, shared, |o| match g.strategy {
        Strategy::Adaptive => o.concurrency.and_then(|c| start(Some(c))).map(|c| format!("from {c}")),
        _ => o.concurrency.map(|c| c.to_string()),
    })
}

/// The start-up line of the gateway's settings.
fn settings_text(setup: &Setup) -> String {
    let g = &setup.gateway;
    format!(
        "strategy {}, concurrency {}, queue capacity {}, queue timeout {}, abandoned requests: {}, default timeout {}, {}",
        g.strategy.as_str(),
        concurrency_text(setup),
        queue_capacity_text(setup),
        queue_timeout_text(setup),
        match (g.strategy, g.abandon) {
            // Nothing queues, so nothing is removed: said, not silently accepted.
            (model::scenario::Strategy::Passthrough, model::scenario::Abandon::Cancel) => {
                "cancel (ignored: passthrough queues nothing)"
            }
            (_, a) => a.as_str(),
        },
        scenario_time(g.default_timeout, setup.time_scale),
        pushback_text(&g.pushback, g.strategy, setup.time_scale)
    )
}

/// The start-up line of the routes: every one, up to [`LISTED`].
fn routes_text(setup: &Setup) -> String {
    let routes: Vec<String> = setup
        .routes
        .iter()
        .map(|r| format!("/{}/ -> {}", r.name, r.upstream))
        .collect();
    format!("routes: {}", listed(&routes))
}

/// `spillway gateway`: serve until Ctrl-C or SIGTERM (boxed: see
/// [`mock_legacy::serve::BoxedFuture`]).
pub fn run(args: Args) -> mock_legacy::serve::BoxedFuture<'static, anyhow::Result<()>> {
    Box::pin(serve_until_signalled(args))
}

async fn serve_until_signalled(args: Args) -> anyhow::Result<()> {
    // Every problem here is in the flags or the scenario: bad input (exit 2), not a failure.
    let setup = Setup::from_args(&args).map_err(|e| match e.downcast::<model::scenario::ScenarioError>() {
        Ok(se) => anyhow::Error::from(se),
        Err(e) => anyhow::Error::from(model::UsageError(format!("{e:#}"))),
    })?;
    let summary = settings_text(&setup);
    // Auth, rate limit, priorities and gateway retries, as `scenario check` lists them: each
    // enforced, and a log that showed every other setting read as if they were off.
    let also = setup.also.clone();
    let routes = routes_text(&setup);
    let catch_all = setup.catch_all;
    let mut signals = serve::TerminationSignals::new();
    let answers = answers::AnswerLimits {
        memory: args.answer_memory.unwrap_or(answers::DEFAULT_ANSWER_MEMORY),
        min_send_rate: args.min_send_rate.map_or(answers::DEFAULT_MIN_SEND_RATE, |r| r as u64),
        ..answers::AnswerLimits::default()
    };
    let answers_text = format!(
        "answers held for clients at most {} (--answer-memory), each taken within the stall timeout or at {} (--min-send-rate)",
        args::bytes_text(answers.memory as u64),
        if answers.min_send_rate == 0 {
            "any pace".to_string()
        } else {
            format!("{}/s at least", args::bytes_text(answers.min_send_rate))
        }
    );
    let limits = client_limits(&setup);
    let gw = start_with_answer_limits(setup, args.listen, limits, answers).await?;
    println!("gateway listening on {}", gw.url());
    let _ = std::io::stdout().flush();
    tracing::info!("{summary}");
    if !also.is_empty() {
        tracing::info!("also: {}", also.join("; "));
    }
    tracing::info!("{answers_text}");
    if catch_all {
        tracing::info!("every path -> {}", gw.gateway.setup.routes[0].upstream);
    } else {
        tracing::info!("{routes}");
    }
    check_upstreams(&gw.gateway.setup);
    signals.recv().await;
    tracing::info!(
        "shutting down: answering queued requests 503, draining in-flight ones (Ctrl-C again to stop at once)"
    );
    serve::drain_unless_signalled_again(gw.shutdown(), &mut signals).await;
    Ok(())
}

/// Checks each upstream in the background: that it accepts connections (one that does not yet
/// is tried again each second for a while, until it does), and the time scale it runs at (a
/// mock-legacy says so on `/healthz`; other services say nothing and are left alone): at
/// another scale than the gateway's, every service looks overloaded, with nothing else to say
/// why.
fn check_upstreams(setup: &Setup) {
    let ours = setup.time_scale;
    for (base, host, port) in upstream_bases(setup) {
        tokio::spawn(async move {
            let connects = || async {
                let connect = tokio::net::TcpStream::connect((host.as_str(), port));
                tokio::time::timeout(UPSTREAM_PROBE_WAIT, connect).await
            };
            // An upstream that is not listening yet: every request to it is a 502 until it is,
            // which otherwise reads as the service failing (review, stop 42).
            match connects().await {
                Ok(Ok(_)) => {}
                down => {
                    match down {
                        Ok(Err(e)) => tracing::warn!("the upstream {base} does not accept connections ({e}): requests routed to it get 502 until it does"),
                        _ => tracing::warn!("the upstream {base} did not accept a connection within 1 s: requests routed to it may get 502 or time out"),
                    }
                    // Started after the gateway (a common order): its time scale is checked
                    // once it is up, or one at another scale went unflagged. Polled for a
                    // while, not forever.
                    let until = tokio::time::Instant::now() + UPSTREAM_PROBING;
                    let mut up = false;
                    while tokio::time::Instant::now() < until {
                        tokio::time::sleep(UPSTREAM_PROBE_WAIT).await;
                        if matches!(connects().await, Ok(Ok(_))) {
                            up = true;
                            break;
                        }
                    }
                    if !up {
                        tracing::warn!("the upstream {base} still does not accept connections after {}s: no longer checked (its time scale unknown)", UPSTREAM_PROBING.as_secs());
                        return;
                    }
                    tracing::info!("the upstream {base} accepts connections now");
                }
            }
            let theirs = mock_legacy::probe::time_scale_of(&host, port).await;
            if let Some(w) = theirs.and_then(|t| mock_legacy::probe::mismatch("the upstream", &base, t, ours)) {
                tracing::warn!("{w}");
            }
        });
    }
}

/// How long [`check_upstreams`] waits for a connection, and between tries at one that was down.
const UPSTREAM_PROBE_WAIT: std::time::Duration = std::time::Duration::from_secs(1);
/// How long [`check_upstreams`] keeps trying an upstream that was down.
const UPSTREAM_PROBING: std::time::Duration = std::time::Duration::from_secs(600);

/// Each upstream once: its base URL as the log writes it (an IPv6 literal in brackets, as a
/// URL has it: `http://::1:8081` named no address), its host and its port.
fn upstream_bases(setup: &Setup) -> Vec<(String, String, u16)> {
    let mut upstreams: Vec<(String, String, u16)> = Vec::new();
    for r in &setup.routes {
        let Ok(uri) = r.upstream.parse::<http::Uri>() else {
            continue;
        };
        let Some((host, port)) = h1::host_port(&uri) else {
            continue;
        };
        let base = format!("http://{}", h1::host_header(host, port));
        if !upstreams.iter().any(|(b, _, _)| *b == base) {
            upstreams.push((base, host.to_string(), port));
        }
    }
    upstreams
}

#[cfg(test)]
mod tests {
    use super::{concurrency_text, pushback_text, routes_text, settings_text, upstream_bases};
    use model::scenario::{GatewayConfig, Strategy};

    /// A gateway of `g` routing one service of each name to a mock on 127.0.0.1:9.
    fn setup(g: GatewayConfig, names: &[&str]) -> crate::Setup {
        crate::Setup {
            gateway: g,
            routes: names
                .iter()
                .map(|n| crate::config::Route {
                    name: n.to_string(),
                    group: n.to_string(),
                    upstream: format!("http://127.0.0.1:9/{n}"),
                    workers: 2,
                })
                .collect(),
            catch_all: false,
            time_scale: 1.0,
            also: Vec::new(),
        }
    }

    /// The upstreams checked at start-up are logged as URLs: an IPv6 one in brackets (it read
    /// `http://::1:8081`), each once.
    #[test]
    fn upstreams_are_logged_as_urls() {
        let route = |name: &str, upstream: &str| crate::config::Route {
            name: name.into(),
            group: name.into(),
            upstream: upstream.into(),
            workers: 1,
        };
        let setup = crate::Setup {
            gateway: GatewayConfig::default(),
            routes: vec![
                route("a", "http://[::1]:8081"),
                route("b", "http://[::1]:8081/base"),
                route("c", "http://127.0.0.1:8082"),
            ],
            catch_all: false,
            time_scale: 1.0,
            also: Vec::new(),
        };
        let bases: Vec<(String, String, u16)> = upstream_bases(&setup);
        assert_eq!(
            bases,
            [
                ("http://[::1]:8081".to_string(), "::1".to_string(), 8081),
                ("http://127.0.0.1:8082".to_string(), "127.0.0.1".to_string(), 8082),
            ]
        );
    }

    /// Under passthrough the start-up line says pushback is off, as the policy has it: it said
    /// "pushback on (a 429 or 503 pauses the service ...)", which passthrough never does.
    #[test]
    fn the_startup_line_says_passthrough_never_pauses() {
        let mut g = GatewayConfig::default();
        assert!(g.pushback.enabled, "on by default");
        let text = pushback_text(&g.pushback, Strategy::Passthrough, 1.0);
        assert_eq!(text, "pushback off (ignored: passthrough never pauses a service)");
        for strategy in [Strategy::Fifo, Strategy::Bounded, Strategy::Adaptive] {
            let text = pushback_text(&g.pushback, strategy, 1.0);
            assert!(text.starts_with("pushback on (a 429 or 503 pauses"), "{text}");
        }
        g.pushback.enabled = false;
        for strategy in [Strategy::Passthrough, Strategy::Fifo] {
            assert_eq!(pushback_text(&g.pushback, strategy, 1.0), "pushback off");
        }
    }

    /// Under adaptive the start-up line gives the limit the policy starts at, clamped as the
    /// policy clamps it: `--concurrency 100` reads 64 (the default max_limit), not 100.
    #[test]
    fn the_startup_line_gives_the_adaptive_limit_as_clamped() {
        let mut g = GatewayConfig {
            strategy: Strategy::Adaptive,
            concurrency: Some(100),
            ..GatewayConfig::default()
        };
        let max = g.adaptive.max_limit;
        let text = |g: &GatewayConfig| concurrency_text(&setup(g.clone(), &["a", "b"]));
        assert_eq!(
            text(&g),
            format!("adaptive from {max} (between {} and {max})", g.adaptive.min_limit)
        );
        g.adaptive.initial_limit = Some(3);
        assert!(text(&g).starts_with("adaptive from 3 "));
        g.adaptive.initial_limit = None;
        g.concurrency = None;
        assert!(text(&g).starts_with("adaptive from the workers "));
        // A service's own limit, clamped alike.
        g.services.entry("a".into()).or_default().concurrency = Some(500);
        assert!(
            text(&g).ends_with(&format!(" (per service: a from {max})")),
            "{}",
            text(&g)
        );
        g.services.clear();
        g.strategy = Strategy::Fifo;
        g.concurrency = Some(100);
        assert_eq!(text(&g), "100");
    }

    /// The start-up line listed the services' own queue timeouts but not their own concurrency
    /// or queue capacity (`scenario check --for gateway` gave them): each is listed with the
    /// setting it overrides, and a shared value no service keeps is not given as if it applied.
    #[test]
    fn the_startup_line_lists_every_services_own_settings() {
        let secs = |s| Some(model::duration::Dur(std::time::Duration::from_secs(s)));
        let mut g = GatewayConfig {
            strategy: Strategy::Bounded,
            queue_capacity: Some(100),
            queue_timeout: secs(1),
            ..GatewayConfig::default()
        };
        let own = |concurrency, queue_capacity, queue_timeout| model::scenario::ServiceGatewayConfig {
            concurrency,
            queue_capacity,
            queue_timeout,
        };
        g.services.insert("pricing".into(), own(Some(1), Some(23), None));
        g.services.insert("reports".into(), own(None, Some(47), secs(10)));
        let text = settings_text(&setup(g.clone(), &["accounts", "pricing", "reports"]));
        assert!(
            text.starts_with("strategy bounded, concurrency = workers (per service: pricing 1), queue capacity 100 (per service: pricing 23, reports 47), queue timeout 1s (per service: reports 10s), abandoned requests: "),
            "{text}"
        );
        // Every route with its own bound (bounds sized per service): no shared one to give.
        let text = settings_text(&setup(g.clone(), &["pricing", "reports"]));
        assert!(
            text.contains(", queue capacity per service (pricing 23, reports 47), "),
            "{text}"
        );
        // Past the listed limit, how many more.
        for i in 0..60 {
            g.services.entry(format!("s{i:02}")).or_default().queue_capacity = Some(i);
        }
        let text = settings_text(&setup(g, &["accounts"]));
        assert!(text.contains(", s47 47, and 12 more), queue timeout 1s"), "{text}");
    }

    /// The routes line stopped at 5 routes ("..."): every route is listed, up to 50.
    #[test]
    fn the_startup_line_lists_every_route() {
        let names: Vec<String> = (0..10).map(|i| format!("svc{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let text = routes_text(&setup(GatewayConfig::default(), &refs));
        assert!(
            text.starts_with("routes: /svc0/ -> http://127.0.0.1:9/svc0, "),
            "{text}"
        );
        assert!(text.ends_with(", /svc9/ -> http://127.0.0.1:9/svc9"), "{text}");
        let names: Vec<String> = (0..53).map(|i| format!("svc{i:02}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let text = routes_text(&setup(GatewayConfig::default(), &refs));
        assert!(
            text.ends_with(", /svc49/ -> http://127.0.0.1:9/svc49, and 3 more"),
            "{text}"
        );
    }
}
