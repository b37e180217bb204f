//! Time compression: a scenario run `f` times faster. Every duration is divided by `f` and
//! every rate multiplied by it, so utilisation, queue lengths and retry counts are unchanged
//! while a 5-minute story plays in 30 s.

use super::file::*;
use crate::dist::{DistSpec, DistTable};
use crate::duration::Dur;

fn d(x: Dur, f: f64) -> Dur {
    Dur(x.0.div_f64(f))
}

fn od(x: Option<Dur>, f: f64) -> Option<Dur> {
    x.map(|x| d(x, f))
}

fn dist(spec: &DistSpec, f: f64) -> DistSpec {
    match spec {
        DistSpec::Constant(x) => DistSpec::Constant(d(*x, f)),
        DistSpec::Table(t) => DistSpec::Table(DistTable {
            dist: t.dist,
            value: od(t.value, f),
            min: od(t.min, f),
            max: od(t.max, f),
            mean: od(t.mean, f),
            median: od(t.median, f),
            p99: od(t.p99, f),
            // ln(x / f) = ln(x) - ln(f): sigma is scale-free.
            mu: t.mu.map(|mu| mu - f.ln()),
            sigma: t.sigma,
            alpha: t.alpha,
            quantiles: t
                .quantiles
                .as_ref()
                .map(|q| q.iter().map(|(p, x)| (*p, d(*x, f))).collect()),
        }),
    }
}

/// The same scenario, `f` times faster. `run.time_scale` is set to 1 in the result (already applied).
pub fn time_scaled(file: &ScenarioFile, f: f64) -> ScenarioFile {
    let mut s = file.clone();
    s.run.duration = od(s.run.duration, f);
    s.run.window = d(s.run.window, f);
    s.run.time_scale = 1.0;
    for p in &mut s.workload.phases {
        p.duration = d(p.duration, f);
        p.rate *= f;
        p.ramp_to = p.ramp_to.map(|r| r * f);
        for e in &mut p.extra {
            e.rate *= f;
        }
    }
    if let Some(c) = &mut s.workload.closed {
        c.think_time = dist(&c.think_time, f);
    }
    let cl = &mut s.clients;
    cl.timeout = dist(&cl.timeout, f);
    for o in cl.services.values_mut() {
        o.timeout = o.timeout.as_ref().map(|t| dist(t, f));
    }
    cl.retry.base = d(cl.retry.base, f);
    cl.retry.cap = d(cl.retry.cap, f);
    if let Some(b) = &mut cl.retry.budget {
        b.min_per_sec *= f;
    }
    scale_gateway(&mut s.gateway, f);
    for svc in &mut s.backend.services {
        svc.service_time = dist(&svc.service_time, f);
        for v in svc.api_service_time.values_mut() {
            *v = dist(v, f);
        }
        let fl = &mut svc.faults;
        if let Some(r) = &mut fl.rate_limit {
            r.rate *= f;
            r.retry_after = od(r.retry_after, f);
        }
        if let Some(st) = &mut fl.stalls {
            st.every = d(st.every, f);
            st.duration = d(st.duration, f);
            st.offset = od(st.offset, f);
        }
        for o in &mut fl.outages {
            o.at = d(o.at, f);
            o.duration = d(o.duration, f);
            o.retry_after = od(o.retry_after, f);
        }
        if let Some(sl) = &mut fl.slowdown {
            sl.above_rate *= f;
            sl.window = d(sl.window, f);
        }
    }
    s
}

/// The gateway's settings `f` times faster: for a scenario's, and for the defaults a gateway
/// started from flags alone runs with.
pub fn scale_gateway(g: &mut GatewayConfig, f: f64) {
    g.queue_timeout = od(g.queue_timeout, f);
    for o in g.services.values_mut() {
        o.queue_timeout = od(o.queue_timeout, f);
    }
    g.default_timeout = od(g.default_timeout, f);
    g.codel.target = d(g.codel.target, f);
    g.codel.interval = d(g.codel.interval, f);
    g.adaptive.update_interval = d(g.adaptive.update_interval, f);
    if let Some(r) = &mut g.rate_limit {
        r.rate *= f;
    }
    g.pushback.default_pause = d(g.pushback.default_pause, f);
    g.pushback.max_pause = d(g.pushback.max_pause, f);
    g.retries.min_per_sec *= f;
    g.connect_timeout = d(g.connect_timeout, f);
    g.upstream_timeout = d(g.upstream_timeout, f);
    g.clock_scale *= f;
}
