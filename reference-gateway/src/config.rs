//! What the gateway serves: its settings and its routes, from a scenario file or flags.

use crate::args::Args;
use anyhow::{bail, Context as _};
use model::scenario::{self, GatewayConfig, Scenario};

/// One routed service.
#[derive(Clone, Debug)]
pub struct Route {
    pub name: String,
    /// The group of `count = N` services it belongs to (its name otherwise), for
    /// `[gateway.services.GROUP]`.
    pub group: String,
    /// Base URL: `http://host:port` (a path prefix is kept and the request path appended).
    pub upstream: String,
    pub workers: u32,
}

/// Everything the server needs.
#[derive(Clone, Debug)]
pub struct Setup {
    pub gateway: GatewayConfig,
    pub routes: Vec<Route>,
    /// Every path goes to the single route (one-liner mode).
    pub catch_all: bool,
    /// The time scale its durations were divided by (for messages: 1 when built from a
    /// scenario already compressed).
    pub time_scale: f64,
    /// What it enforces beside its strategy (auth, rate limit, priorities, gateway retries),
    /// in scenario time, for the start-up log ([`scenario::gateway_also`] of the file's
    /// settings, before they were scaled: scaling them back gave `0.30000000000000004/s`).
    /// Filled by [`Setup::from_args`] alone.
    pub also: Vec<String>,
}

impl Setup {
    /// The gateway of a scenario; `upstream` overrides every service's upstream.
    pub fn from_scenario(s: &Scenario, upstream: Option<&str>) -> anyhow::Result<Setup> {
        let mut routes = Vec::new();
        for svc in &s.services {
            let (url, what) = match (upstream, &svc.upstream) {
                (Some(u), _) => (u.to_string(), "--upstream".to_string()),
                (None, Some(u)) => (u.clone(), format!("service `{}`'s upstream", svc.name)),
                (None, None) => bail!(
                    "{}: service `{}` has no `upstream` URL: set backend.services[].upstream, or pass --upstream URL to send every service to one address",
                    s.source,
                    svc.name
                ),
            };
            routes.push(Route {
                name: svc.name.clone(),
                group: svc.group.clone(),
                upstream: check_url(&url, &what)?,
                workers: svc.workers,
            });
        }
        Ok(Setup {
            gateway: s.file.gateway.clone(),
            routes,
            catch_all: false,
            time_scale: 1.0,
            also: Vec::new(),
        })
    }

    /// From the command line: a file, or the one-liner flags.
    pub fn from_args(a: &Args) -> anyhow::Result<Setup> {
        // Duration flags are in scenario time, as the file's are: scaled by the same factor.
        let mut factor = a.time_scale.unwrap_or(1.0);
        let mut setup = match &a.scenario {
            Some(path) => {
                // A gateway's own file needs no load and no service times (see
                // `scenario::load_for_gateway`); a bound sized from service times then cannot be.
                let read = scenario::load_for_gateway(path)?;
                // Without an --upstream to replace them, the upstreams the gateway cannot use
                // are refused at their place in the file, as `scenario check --for gateway`
                // says them (the checks below have only the resolved services, no positions).
                if a.upstream.is_none() {
                    let problems = read.upstream_problems();
                    if !problems.is_empty() {
                        return Err(scenario::ScenarioError::Invalid(problems).into());
                    }
                }
                let mut s = read.scenario;
                // As loadgen and sim do: the file under another strategy drops the settings
                // that strategy does not take, and a bounded queue gets a sized bound.
                if let Some(strategy) = a.strategy {
                    // The flag's bound goes in with the strategy, as a sweep applies a point's
                    // settings: a bound given is never sized (nor then listed as the
                    // scenario's when the flag replaces per-service ones). A strategy that
                    // takes no bound drops it, and the flag check below refuses the flag.
                    if let Some(q) = a.queue_capacity {
                        s.file.gateway.queue_capacity = Some(q);
                    }
                    s = s.with_strategy(strategy)?;
                }
                if !read.service_times_given && !s.sized_bounds.is_empty() {
                    bail!(
                        "--strategy bounded sizes a queue bound from the services' service_time, which {} does not give for every service: pass --queue-capacity N, or set gateway.queue_capacity",
                        path.display()
                    );
                }
                if let Some(note) = scenario::sized_bound_note(&s) {
                    tracing::info!("{note}");
                }
                // The notes `scenario check --for gateway` gives of the gateway's settings (a
                // concurrency past a rejecting service's workers, adaptive's default queue),
                // said by the process that runs them: loadgen logged them of its own copy of
                // the file, and this log said nothing. Of the settings as they run: the flags
                // that apply below to the scaled settings, applied here quietly to a copy in
                // scenario time.
                let also = {
                    let mut running = s.clone();
                    apply_flags(&mut running.file.gateway, a, 1.0, false)?;
                    for w in scenario::gateway_notes(&running, &read.placeholders) {
                        tracing::warn!("{w}");
                    }
                    // What it enforces beside its strategy, in scenario time (`Setup::also`).
                    scenario::gateway_also(&running.file.gateway)
                };
                factor = a.time_scale.unwrap_or(s.file.run.time_scale);
                let s = s.time_scaled(factor)?;
                Setup {
                    time_scale: factor,
                    also,
                    ..Setup::from_scenario(&s, a.upstream.as_deref())?
                }
            }
            None => {
                let upstream = a
                    .upstream
                    .as_deref()
                    .context("give --scenario FILE, or --upstream URL for a one-service gateway")?;
                // The defaults are scenario time too, compressed like a file's.
                let mut gateway = GatewayConfig {
                    concurrency: Some(2),
                    ..GatewayConfig::default()
                };
                scenario::scale_gateway(&mut gateway, factor);
                Setup {
                    gateway,
                    routes: vec![Route {
                        name: "default".into(),
                        group: "default".into(),
                        upstream: check_url(upstream, "--upstream")?,
                        workers: 2,
                    }],
                    catch_all: true,
                    time_scale: factor,
                    also: Vec::new(),
                }
            }
        };
        let g = &mut setup.gateway;
        if let (Some(s), None) = (a.strategy, &a.scenario) {
            g.set_strategy(s);
        }
        apply_flags(g, a, factor, true)?;
        check_flags(g, &setup.routes, a)?;
        Ok(setup)
    }
}

/// The gateway flags of `a` applied to `g`, whose durations run `factor` times faster. With
/// `say`, what is worth saying of them is logged: [`Setup::from_args`] applies them so to the
/// settings that run, and quietly, at factor 1, to a copy of the file's for the notes of the
/// settings as the flags leave them.
fn apply_flags(g: &mut GatewayConfig, a: &Args, factor: f64, say: bool) -> anyhow::Result<()> {
    // A flag sets the value for every service, over the file's per-service ones too: said,
    // since a sizing answer (a sweep's per-service axis) is then not what runs.
    let count = |n: u32| n.to_string();
    override_every_service(
        g,
        "--concurrency",
        a.concurrency,
        count,
        say,
        |o| &mut o.concurrency,
        |g| &mut g.concurrency,
    );
    override_every_service(
        g,
        "--queue-capacity",
        a.queue_capacity,
        count,
        say,
        |o| &mut o.queue_capacity,
        |g| &mut g.queue_capacity,
    );
    if let Some(t) = a.queue_timeout {
        let t = scaled("--queue-timeout", t, factor)?;
        // Shown in scenario time, as the flag and the file give it.
        let real = |d: model::duration::Dur| model::duration::Dur(d.0.mul_f64(factor)).to_string();
        override_every_service(
            g,
            "--queue-timeout",
            Some(t),
            real,
            say,
            |o| &mut o.queue_timeout,
            |g| &mut g.queue_timeout,
        );
    }
    if let Some(ab) = a.abandon {
        g.abandon = ab;
    }
    if let Some(e) = a.deadline_estimate {
        if say && g.strategy != model::scenario::Strategy::Deadline {
            tracing::warn!(
                "--deadline-estimate {}: only the deadline strategy predicts service times; {} ignores it",
                e.as_str(),
                g.strategy.as_str()
            );
        }
        g.deadline_estimate = e;
    }
    if let Some(t) = a.default_timeout {
        g.default_timeout = Some(scaled("--default-timeout", t, factor)?);
    }
    if a.no_pushback {
        g.pushback.enabled = false;
    }
    if say && g.strategy == model::scenario::Strategy::Adaptive {
        if let Some(c) = a.concurrency.filter(|c| *c > g.adaptive.max_limit) {
            tracing::warn!(
                "--concurrency {c}: the adaptive limit starts at its maximum, {} (gateway.adaptive.max_limit in a file raises it)",
                g.adaptive.max_limit
            );
        }
    }
    Ok(())
}

/// A flag's value for every service, over the file's per-service ones too; said when it
/// replaces any (with `say`), since a sizing answer (a sweep's per-service axis) is then not
/// what runs. `show` writes a value as the user gave it.
fn override_every_service<T: Copy>(
    g: &mut GatewayConfig,
    flag: &str,
    value: Option<T>,
    show: impl Fn(T) -> String,
    say: bool,
    own: fn(&mut model::scenario::ServiceGatewayConfig) -> &mut Option<T>,
    shared: fn(&mut GatewayConfig) -> &mut Option<T>,
) {
    let Some(v) = value else { return };
    let replaced: Vec<String> = g
        .services
        .iter_mut()
        .filter_map(|(n, o)| own(o).take().map(|x| format!("{n} {}", show(x))))
        .collect();
    if say && !replaced.is_empty() {
        tracing::info!(
            "{flag} {} sets every service's value, over the scenario's per-service ones ({})",
            show(v),
            replaced.join(", ")
        );
    }
    *shared(g) = Some(v);
}

/// The checks the scenario format applies to [gateway], for the settings that came from flags
/// (a file's own settings were checked with the file, and a `--strategy` drops the ones it
/// does not take).
fn check_flags(g: &GatewayConfig, routes: &[Route], a: &Args) -> anyhow::Result<()> {
    use model::scenario::Strategy;
    let unbounded = matches!(g.strategy, Strategy::Fifo | Strategy::Passthrough);
    // A bound for every service: shared, or each its own (a scenario's, or sized per service).
    let every_bounded = routes
        .iter()
        .all(|r| g.for_service(&r.name, &r.group).queue_capacity.is_some());
    if g.strategy == Strategy::Bounded && !every_bounded {
        bail!("--strategy bounded needs --queue-capacity N");
    }
    if unbounded && a.queue_capacity.is_some() {
        bail!(
            "--queue-capacity does not apply to --strategy {} (unbounded by design): use --strategy bounded",
            g.strategy.as_str()
        )
    }
    if g.strategy == Strategy::Passthrough && a.concurrency.is_some() {
        bail!("--strategy passthrough has no concurrency limit: drop --concurrency");
    }
    if g.strategy == Strategy::Passthrough && a.queue_timeout.is_some() {
        bail!("--strategy passthrough queues nothing: drop --queue-timeout");
    }
    Ok(())
}

/// A duration flag at time scale `factor`: refused at zero, as the file's `gateway.queue_timeout`
/// and `gateway.default_timeout` are (a zero queue timeout shed every queued request at once).
fn scaled(flag: &str, d: model::duration::Dur, factor: f64) -> anyhow::Result<model::duration::Dur> {
    if d.0.is_zero() {
        bail!("{flag}: expected a duration > 0, got {d}");
    }
    let real = d.0.div_f64(factor);
    if real.is_zero() {
        bail!("{flag} {d}: below a nanosecond at time scale {factor}");
    }
    Ok(model::duration::Dur(real))
}

/// `u` as the gateway's upstream base URL; errors name `what` gave it (the flag, or the
/// service whose `upstream` it is).
fn check_url(u: &str, what: &str) -> anyhow::Result<String> {
    model::wire::check_upstream_url(u).map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
    // Quoted with its control characters escaped: printed raw they would move the cursor.
    let shown = model::scenario::printable(u);
    let uri: http::Uri = u.parse().with_context(|| format!("{what}: `{shown}` is not a URL"))?;
    match (uri.scheme_str(), uri.authority()) {
        (Some("http"), Some(_)) if crate::h1::host_port(&uri).is_none() => {
            bail!("{what}: `{shown}`: the port must be 1..65535")
        }
        (Some("http"), Some(_)) => Ok(u.trim_end_matches('/').to_string()),
        (Some("https"), _) => bail!("{what}: `{shown}`: https upstreams are not supported yet; use http://"),
        _ => bail!("{what}: `{shown}`: expected http://host:port"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n\
        [gateway]\nstrategy = \"bounded\"\nconcurrency = 4\nqueue_capacity = 20\n\
        [gateway.services.risk]\nconcurrency = 1\nqueue_capacity = 2\n\
        [[backend.services]]\nname = \"risk\"\nworkers = 2\nservice_time = \"10ms\"\n\
        [[backend.services]]\nname = \"ledger\"\nworkers = 8\nservice_time = \"10ms\"\n";

    fn limits(setup: Setup) -> Vec<(String, Option<u32>)> {
        crate::Gateway::new(setup)
            .services
            .iter()
            .map(|s| (s.name.clone(), s.gauges().limit))
            .collect()
    }

    /// `[gateway.services.NAME]` limits that service; `--concurrency` sets every service's.
    #[tokio::test]
    async fn a_service_gets_its_own_limit_and_a_flag_sets_every_one() {
        let s = scenario::parse("t.toml", FILE).expect("valid");
        let setup = Setup::from_scenario(&s, Some("http://127.0.0.1:9")).expect("setup");
        assert_eq!(
            limits(setup),
            vec![("risk".to_string(), Some(1)), ("ledger".to_string(), Some(4))]
        );

        let setup = from_flags(Some(FILE), &["--concurrency", "3"]);
        assert_eq!(
            limits(setup.expect("setup")),
            vec![("risk".to_string(), Some(3)), ("ledger".to_string(), Some(3))]
        );
    }

    /// `[gateway.services.NAME]`'s `queue_timeout` is that service's, time-scaled with the
    /// file; `--queue-timeout` sets every service's, over it, as `--concurrency` does.
    #[test]
    fn a_service_gets_its_own_queue_timeout_and_the_flag_sets_every_one() {
        let file = FILE.replace(
            "queue_capacity = 2\n",
            "queue_capacity = 2\nqueue_timeout = \"300ms\"\n",
        );
        let qt = |setup: &Setup| ["risk", "ledger"].map(|n| setup.gateway.for_service(n, n).queue_timeout.map(|d| d.0));
        let ms = std::time::Duration::from_millis;
        let own = from_flags(Some(&file), &["--time-scale", "4"]).expect("setup");
        assert_eq!(qt(&own), [Some(ms(75)), None]);
        let flag = from_flags(Some(&file), &["--queue-timeout", "2s", "--time-scale", "4"]).expect("setup");
        assert_eq!(qt(&flag), [Some(ms(500)), Some(ms(500))]);
    }

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    /// Duration flags were taken as real time (a one-liner's `--time-scale` was ignored, and
    /// with a file they escaped its scaling) and accepted at zero (every queued request shed at
    /// once): now scenario time like the file's, and refused at zero.
    #[test]
    fn duration_flags_are_scenario_time_and_positive() {
        let one_liner = |extra: &[&str]| {
            let mut flags = vec!["--concurrency", "1"];
            flags.extend_from_slice(extra);
            from_flags(None, &flags)
        };
        let g = one_liner(&["--queue-timeout", "1s", "--default-timeout", "3s", "--time-scale", "10"])
            .expect("setup")
            .gateway;
        assert_eq!(
            g.queue_timeout.map(|d| d.0),
            Some(std::time::Duration::from_millis(100))
        );
        assert_eq!(
            g.default_timeout.map(|d| d.0),
            Some(std::time::Duration::from_millis(300))
        );
        let g = one_liner(&["--queue-timeout", "1s"]).expect("setup").gateway;
        assert_eq!(g.queue_timeout.map(|d| d.0), Some(std::time::Duration::from_secs(1)));

        let g = from_flags(Some(FILE), &["--queue-timeout", "2s", "--time-scale", "4"])
            .expect("setup")
            .gateway;
        assert_eq!(
            g.queue_timeout.map(|d| d.0),
            Some(std::time::Duration::from_millis(500))
        );

        // Without --scenario the defaults are compressed too (CoDel's 5 ms target, say).
        let plain = one_liner(&[]).expect("setup").gateway;
        let fast = one_liner(&["--time-scale", "10"]).expect("setup").gateway;
        assert_eq!(fast.codel.target.0, plain.codel.target.0 / 10);
        assert_eq!(fast.upstream_timeout.0, plain.upstream_timeout.0 / 10);
        // A file's own run.time_scale is the factor when --time-scale is absent.
        let scaled_file = FILE.replacen("[[workload.phases]]", "[run]\ntime_scale = 2\n[[workload.phases]]", 1);
        let g = from_flags(Some(&scaled_file), &["--queue-timeout", "2s"])
            .expect("setup")
            .gateway;
        assert_eq!(g.queue_timeout.map(|d| d.0), Some(std::time::Duration::from_secs(1)));

        for flag in ["--queue-timeout", "--default-timeout"] {
            let e = one_liner(&[flag, "0s"]).unwrap_err().to_string();
            assert!(e.contains(flag) && e.contains("expected a duration > 0"), "{e}");
        }
    }

    /// A gateway's own file gives its settings and services, not a load or service times; a
    /// bound that would be sized from those is asked for instead.
    #[test]
    fn a_gateway_file_needs_no_workload_or_service_times() {
        let file = "[gateway]\nstrategy = \"fifo\"\nconcurrency = 3\n\
            [[backend.services]]\nname = \"orders\"\nworkers = 2\nupstream = \"http://127.0.0.1:8081\"\n";
        let setup = from_flags(Some(file), &[]).expect("a gateway-only file");
        assert_eq!(setup.routes.len(), 1);
        assert_eq!(setup.gateway.concurrency, Some(3));
        let Err(e) = from_flags(Some(file), &["--strategy", "bounded"]) else {
            panic!("no bound to size")
        };
        let e = e.to_string();
        assert!(e.contains("pass --queue-capacity N"), "{e}");
        let b = from_flags(Some(file), &["--strategy", "bounded", "--queue-capacity", "9"]).expect("given");
        assert_eq!(b.gateway.queue_capacity, Some(9));
        // A bound the file gives needs no sizing.
        let bounded = file.replace("strategy = \"fifo\"\n", "strategy = \"bounded\"\nqueue_capacity = 50\n");
        let b = from_flags(Some(&bounded), &["--strategy", "bounded"]).expect("the file's bound");
        assert_eq!(b.gateway.queue_capacity, Some(50));
    }

    /// Pushback is on unless --no-pushback, over a file's setting too.
    #[test]
    fn no_pushback_turns_it_off() {
        assert!(from_flags(None, &[]).expect("setup").gateway.pushback.enabled);
        assert!(
            !from_flags(None, &["--no-pushback"])
                .expect("setup")
                .gateway
                .pushback
                .enabled
        );
        assert!(from_flags(Some(FILE), &[]).expect("setup").gateway.pushback.enabled);
        let off = from_flags(Some(FILE), &["--no-pushback"]).expect("setup");
        assert!(!off.gateway.pushback.enabled);
    }

    /// An upstream with credentials (never sent, and the startup line would print the
    /// password) or a query (dropped from every request) is refused; a path prefix is kept.
    #[test]
    fn upstreams_with_credentials_or_queries_are_refused() {
        let e = check_url("http://user:pw@127.0.0.1:8081", "--upstream")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("--upstream: `http://user:***@127.0.0.1:8081` has credentials"),
            "{e}"
        );
        let e = check_url("http://127.0.0.1:8081/base?x=1", "--upstream")
            .unwrap_err()
            .to_string();
        assert!(e.contains("a query or a fragment"), "{e}");
        let e = check_url("http://127.0.0.1:99999", "--upstream")
            .unwrap_err()
            .to_string();
        assert!(e.contains("the port must be 1..65535"), "{e}");
        // Without a scheme: the flag is named (it said "upstream expected an http:// URL").
        let e = check_url("127.0.0.1:8081", "--upstream").unwrap_err().to_string();
        assert!(e.starts_with("--upstream: expected an http:// URL"), "{e}");
        assert_eq!(
            check_url("http://127.0.0.1:8081/base/", "--upstream").unwrap(),
            "http://127.0.0.1:8081/base"
        );
    }

    /// A gateway's file whose upstreams it cannot use is refused at their place in it, as
    /// `scenario check --for gateway` says them (an https upstream had no position; a service
    /// without one, neither position nor index); with --upstream replacing them it is served.
    #[test]
    fn upstreams_a_file_cannot_use_are_refused_at_their_place() {
        let file = "[gateway]\nstrategy = \"fifo\"\n\n\
            [[backend.services]]\nname = \"orders\"\nworkers = 2\nupstream = \"https://127.0.0.1:8081\"\n\n\
            [[backend.services]]\nname = \"billing\"\nworkers = 1\n";
        let Err(e) = from_file_alone(file) else {
            panic!("refused")
        };
        let se = e
            .downcast_ref::<scenario::ScenarioError>()
            .unwrap_or_else(|| panic!("a scenario error: {e:#}"));
        let said: Vec<String> = se
            .diagnostics()
            .iter()
            .map(|d| format!("{}:{}: {}: {}", d.line, d.column, d.path, d.message))
            .collect();
        assert_eq!(said.len(), 2, "{said:?}");
        assert!(
            said[0].starts_with("7:12: backend.services[0].upstream: `https://127.0.0.1:8081`: the reference gateway does not speak https"),
            "{said:?}"
        );
        assert!(
            said[1].starts_with("9:1: backend.services[1]: service `billing` has no `upstream` URL"),
            "{said:?}"
        );
        // With --upstream for every service, the file's upstreams do not matter.
        let setup = from_flags(Some(file), &[]).expect("--upstream replaces them");
        assert!(setup.routes.iter().all(|r| r.upstream == "http://127.0.0.1:9"));
        // A file whose upstreams are all usable is served without one.
        let good = file
            .replace("https://", "http://")
            .replace("workers = 1\n", "workers = 1\nupstream = \"http://127.0.0.1:8082\"\n");
        let setup = from_file_alone(&good).expect("valid");
        let ups: Vec<&str> = setup.routes.iter().map(|r| r.upstream.as_str()).collect();
        assert_eq!(ups, ["http://127.0.0.1:8081", "http://127.0.0.1:8082"]);
    }

    /// `spillway gateway --config FILE` without --upstream.
    fn from_file_alone(file: &str) -> anyhow::Result<Setup> {
        static CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("spillway-gw-alone-{}-{call}.toml", std::process::id()));
        std::fs::write(&path, file).expect("write");
        let argv = ["gateway".to_string(), "--config".into(), path.display().to_string()];
        let setup = Setup::from_args(&<Cli as clap::Parser>::parse_from(argv).args);
        let _ = std::fs::remove_file(&path);
        setup
    }

    /// `spillway gateway` with `extra` flags, over `file` (written to a temporary file) if given.
    fn from_flags(file: Option<&str>, extra: &[&str]) -> anyhow::Result<Setup> {
        // A file of its own per call: tests run in parallel, and two with the same flags
        // (named after them, once) removed each other's file.
        static CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("spillway-gw-flags-{}-{call}.toml", std::process::id()));
        let mut argv = vec!["gateway".to_string(), "--upstream".into(), "http://127.0.0.1:9".into()];
        if let Some(text) = file {
            std::fs::write(&path, text).expect("write");
            argv.extend(["--scenario".to_string(), path.display().to_string()]);
        }
        argv.extend(extra.iter().map(|s| s.to_string()));
        let setup = Setup::from_args(&<Cli as clap::Parser>::parse_from(argv).args);
        let _ = std::fs::remove_file(&path);
        setup
    }

    /// A file replayed under another `--strategy` drops the settings that strategy does not
    /// take (as sim and loadgen do) instead of blaming flags nobody passed; flags that
    /// contradict the strategy are still refused, by name.
    #[test]
    fn a_strategy_flag_over_a_file_drops_what_it_does_not_take() {
        let fifo = from_flags(Some(FILE), &["--strategy", "fifo"]).expect("a bounded file runs as fifo");
        assert_eq!(fifo.gateway.queue_capacity, None);
        assert!(fifo.gateway.services["risk"].queue_capacity.is_none());
        assert_eq!(fifo.gateway.concurrency, Some(4), "fifo keeps the limit");
        let pass = from_flags(Some(FILE), &["--strategy", "passthrough"]).expect("and as passthrough");
        assert_eq!((pass.gateway.concurrency, pass.gateway.queue_capacity), (None, None));
        assert!(pass.gateway.services.is_empty());
        let fifo_file = FILE
            .replace("strategy = \"bounded\"", "strategy = \"fifo\"")
            .replace("queue_capacity = 20\n", "")
            .replace("queue_capacity = 2\n", "");
        let bounded = from_flags(Some(&fifo_file), &["--strategy", "bounded"]).expect("a fifo file runs bounded");
        // With sized bounds, as sim's: one per service, since risk (1 at a time) drains a
        // quarter as fast as ledger (4).
        let caps = ["risk", "ledger"].map(|n| bounded.gateway.for_service(n, n).queue_capacity);
        match caps {
            [Some(r), Some(l)] => assert_eq!(4 * r, l, "{caps:?}"),
            _ => panic!("no sized bound: {caps:?}"),
        }
        // With --queue-capacity nothing is sized: the flag's bound is every service's.
        let given =
            from_flags(Some(&fifo_file), &["--strategy", "bounded", "--queue-capacity", "10"]).expect("bounded");
        let caps = ["risk", "ledger"].map(|n| given.gateway.for_service(n, n).queue_capacity);
        assert_eq!(caps, [Some(10), Some(10)]);
        assert!(given.gateway.services.values().all(|o| o.queue_capacity.is_none()));

        let err = from_flags(Some(FILE), &["--strategy", "fifo", "--queue-capacity", "5"]).unwrap_err();
        assert!(
            err.to_string()
                .contains("--queue-capacity does not apply to --strategy fifo"),
            "{err}"
        );
        let err = from_flags(None, &["--strategy", "passthrough", "--concurrency", "2"]).unwrap_err();
        assert!(err.to_string().contains("drop --concurrency"), "{err}");
        // Nothing waits at a passthrough gateway: a queue timeout there is a mistake...
        let err = from_flags(None, &["--strategy", "passthrough", "--queue-timeout", "1s"]).unwrap_err();
        assert!(
            err.to_string().contains("queues nothing: drop --queue-timeout"),
            "{err}"
        );
        // ... and a file's is dropped with the rest of what passthrough does not take.
        let timed = FILE.replace("queue_capacity = 20\n", "queue_capacity = 20\nqueue_timeout = \"1s\"\n");
        let pass = from_flags(Some(&timed), &["--strategy", "passthrough"]).expect("passthrough");
        assert_eq!(pass.gateway.queue_timeout, None);
        let err = from_flags(None, &["--strategy", "bounded"]).unwrap_err();
        assert!(err.to_string().contains("needs --queue-capacity"), "{err}");
        let one = from_flags(None, &["--strategy", "passthrough"]).expect("the one-liner as passthrough");
        assert_eq!(one.gateway.concurrency, None);
    }

    /// Every upstream the model's check passes, the gateway's own parse passes too (a file
    /// `scenario check --for gateway` passed had the gateway refuse it, with no position), and
    /// the ones it refuses it refuses first, with why; control characters are never printed.
    #[test]
    fn the_model_accepts_only_upstreams_the_gateway_parses() {
        let long_path = format!("http://a:1/{}", "p".repeat(70_000));
        let tricky = [
            "http://a",
            "http://a:1",
            "http://a:65535/",
            "http://127.0.0.1:8081/base/",
            "http://[::1]:9000",
            "http://[::1]",
            "http://[::ffff:1.2.3.4]:80",
            "http://[1:2:3:4:5:6:7::]:80",
            "http://[1:2:3:4:5:6:7:8]",
            "http://[::1:2:3:4:5:6:7]",
            "http://a-b.c_d~e:80/x%20y/%41",
            "http://a!$&'()*+,;=b:80/p:@!$&'()*+,;=",
            "http://a b",
            "http://[::1",
            "http://::1]",
            "http://[::1]x",
            "http://[::1]:",
            "http://[zz]:1",
            "http://[1:2:3:4:5:6:7:8:9]",
            "http://a%zz",
            "http://a%41",
            "http://a%4",
            "http://x/pa th",
            "http://x/a%zz",
            "http://x/a%4",
            "http://x/a%",
            "http://x/\u{1}",
            "http://\u{1}x",
            "http://x\u{7f}",
            "http://x/\u{e9}",
            "http://\u{e9}",
            "http://x/[a]",
            "http://x/{a}",
            "http://x/a\"b",
            "http://x/a|b",
            "http://x/a\\b",
            "http://x/a^b",
            "http://x/a`b",
            "http://x/a<b>",
            "http://x:1:2",
            "http://x:",
            "http://x:+1",
            "http://x:00080",
            "http://x:1/",
            "http://x//",
            "http:///",
            "http://",
            "http://x\t",
            "http:// x",
            long_path.as_str(),
        ];
        for u in tricky {
            let model = model::wire::check_upstream_url(u);
            let gateway = check_url(u, "--upstream");
            if model.is_ok() {
                assert!(
                    gateway.is_ok(),
                    "{u:?}: the model passes it, the gateway says {gateway:?}"
                );
            }
            for e in [model.err(), gateway.err().map(|e| e.to_string())]
                .into_iter()
                .flatten()
            {
                assert!(!e.chars().any(char::is_control), "{u:?}: {e:?}");
            }
        }
        for u in [
            "http://a b",
            "http://[::1",
            "http://a%zz",
            "http://x/pa th",
            "http://x/\u{1}",
        ] {
            assert!(model::wire::check_upstream_url(u).is_err(), "{u:?}");
        }
    }

    /// `gateway --scenario` reads the file as `scenario check` does: an upstream the gateway
    /// cannot parse, or keys no request could present, are refused at their place in the
    /// file with the field's path (the gateway said "upstream `http://a b` is not a URL"
    /// with neither, and served every request 401 for a non-ASCII key).
    #[test]
    fn a_gateway_file_is_refused_where_its_upstream_or_keys_are_wrong() {
        let start = |text: &str| {
            let path = std::env::temp_dir().join(format!("spillway-gw-refused-{}.toml", std::process::id()));
            std::fs::write(&path, text).expect("write");
            let argv = ["gateway", "--scenario", &path.display().to_string()].map(String::from);
            let setup = Setup::from_args(&<Cli as clap::Parser>::parse_from(argv).args);
            let _ = std::fs::remove_file(&path);
            setup.map(|_| ()).map_err(|e| e.to_string())
        };
        let file = |upstream: &str, keys: &str| {
            format!(
                "[gateway]\nstrategy = \"fifo\"\n[gateway.auth]\nkeys = [{keys}]\n\
                 [[backend.services]]\nname = \"orders\"\nworkers = 2\nupstream = \"{upstream}\"\n"
            )
        };
        assert_eq!(start(&file("http://127.0.0.1:8081", "\"k\"")), Ok(()));
        let e = start(&file("http://a b", "\"k\"")).unwrap_err();
        assert!(
            e.contains(":8:12: backend.services[0].upstream: `http://a b`: the host cannot hold"),
            "{e}"
        );
        let e = start(&file("http://x/\\u0001", "\"k\"")).unwrap_err();
        assert!(e.contains("backend.services[0].upstream: `http://x/\\u{1}`"), "{e}");
        assert!(!e.chars().any(|c| c.is_control() && c != '\n'), "{e:?}");
        let e = start(&file("http://127.0.0.1:8081", "\"\u{43a}\u{43b}\", \"k\", \"k\"")).unwrap_err();
        assert!(
            e.contains(":4:9: gateway.auth.keys[0]: character 1 of the key is `\u{43a}`"),
            "{e}"
        );
        assert!(
            e.contains("gateway.auth.keys[2]: the same key as gateway.auth.keys[1]"),
            "{e}"
        );
    }
}
