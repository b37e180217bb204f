//! The gateway's front door in the simulator: `[gateway.auth]` and `[gateway.rate_limit]` are
//! checked before any queueing policy, as the live gateway does (the simulator used to ignore
//! both, so a scenario that was all 401 or 429 live read 100% goodput simulated).

use model::scenario;

fn scenario_with(gateway: &str, clients: &str) -> scenario::Scenario {
    scenario::parse(
        "front-door.toml",
        &format!(
            "[run]\nseed = 5\n[[workload.phases]]\nduration = \"60s\"\nrate = 20\n\
             [clients]\ntimeout = \"1s\"\n{clients}\n[gateway]\nstrategy = \"fifo\"\n{gateway}\n\
             [[backend.services]]\nname = \"s\"\nworkers = 4\nservice_time = \"10ms\"\n"
        ),
    )
    .unwrap()
}

/// A Retry-After past the intent's lifetime ends the intent at once (its clients would not
/// wait an hour): the results say how many gave up so, or the 429s read as retries never tried.
#[test]
fn intents_given_up_on_a_long_retry_after_are_noted() {
    let text = |retry_after: &str| {
        format!(
            "[run]\nseed = 5\n[[workload.phases]]\nduration = \"20s\"\nrate = 20\n\
             [clients]\ntimeout = \"1s\"\n[clients.retry]\nmax_attempts = 3\n[gateway]\nstrategy = \"passthrough\"\n\
             [[backend.services]]\nname = \"s\"\nworkers = 4\nservice_time = \"10ms\"\n\
             faults = {{ rate_limit = {{ rate = 5, burst = 5, retry_after = \"{retry_after}\" }} }}\n"
        )
    };
    // Passthrough: no pushback pause at the gateway, so every 429 reaches its client.
    let s = scenario::parse("t.toml", &text("1h")).unwrap();
    let hour = sim::simulate(&s, None);
    let n = hour.notes.retry_after_past_lifetime;
    // About three quarters of the ~400 intents meet the 5/s limit; none of them retries.
    assert!(n > 200, "{n}");
    assert_eq!(hour.summary.whole.retries, 0, "no retry was sent");
    assert_eq!(
        n, hour.summary.whole.failures,
        "every failure gave up on the Retry-After"
    );
    assert_eq!(
        hour.notes.intent_lifetime_s,
        model::client::intent_lifetime_bound(&s.file.clients).as_secs_f64()
    );
    let table = model::results::summary_table(&hour);
    assert!(
        table.contains(&format!(
            "  retry-after   {n} intents gave up: a Retry-After's pause would have sent a retry"
        )),
        "{table}"
    );
    // A Retry-After within the lifetime is waited: nothing to note, and nothing in the file.
    let short = sim::simulate(&scenario::parse("t.toml", &text("200ms")).unwrap(), None);
    assert_eq!(short.notes.retry_after_past_lifetime, 0);
    assert!(short.summary.whole.retries > 0);
    assert!(!short.to_json().contains("retry_after_past_lifetime"));
}

/// A Retry-After within the lifetime is waited, and the attempts after it get no retry past
/// the lifetime either: no intent outlives the bound plus one timeout. (A bounded queue's 503s
/// carry its drain time, up to the whole bound of 10 s here; intents lived 14.3 s before.)
#[test]
fn no_intent_outlives_its_lifetime_after_a_retry_after() {
    let s = scenario::parse(
        "life.toml",
        "[run]\nseed = 1\n[[workload.phases]]\nduration = \"30s\"\nrate = 40\n\
         [[workload.phases]]\nduration = \"20s\"\nrate = 120\ntrigger = true\n\
         [[workload.phases]]\nduration = \"60s\"\nrate = 40\n\
         [clients]\ntimeout = \"2s\"\n[clients.retry]\nmax_attempts = 3\nbackoff = \"exponential\"\n\
         base = \"200ms\"\ncap = \"2s\"\njitter = \"full\"\non = [\"timeout\", \"5xx\"]\n\
         [gateway]\nstrategy = \"bounded\"\nqueue_capacity = 400\n\
         [[backend.services]]\nname = \"svc\"\nworkers = 4\n\
         service_time = { dist = \"lognormal\", median = \"60ms\", p99 = \"400ms\" }\n",
    )
    .unwrap();
    let lifetime = model::client::intent_lifetime_bound(&s.file.clients).as_secs_f64();
    assert_eq!(lifetime, 10.0);
    let r = sim::simulate(&s, None);
    assert!(r.notes.retry_after_past_lifetime > 100, "{:?}", r.notes);
    // The histogram keeps 3 significant digits: its max is within 0.1% above the value.
    let max = r.summary.whole.latency.max;
    assert!(max <= (lifetime + 2.0) * 1.001, "an intent lived {max} s");
    // Some came close: the bound is reached, not a smaller one.
    assert!(max > lifetime, "longest intent {max} s");
}

#[test]
fn clients_without_a_valid_key_are_all_refused() {
    let auth = "auth = { keys = [\"k1\"] }";
    let none = sim::simulate(&scenario_with(auth, ""), None);
    let s = &none.summary.whole;
    assert!(s.offered > 1000, "{s:?}");
    assert_eq!(s.successes, 0, "{s:?}");
    assert_eq!(s.errors, s.attempts, "every attempt is a 401: {s:?}");
    let wrong = sim::simulate(&scenario_with(auth, "credentials = { api_key = \"k2\" }"), None);
    assert_eq!(wrong.summary.whole.successes, 0);
    for creds in [
        "credentials = { api_key = \"k1\" }",
        "credentials = { bearer = \"k1\" }",
    ] {
        let ok = sim::simulate(&scenario_with(auth, creds), None);
        assert!(
            ok.summary.whole.goodput_ratio > 0.999,
            "{creds}: {:?}",
            ok.summary.whole
        );
    }
}

/// A key the clients send in a request header passes the auth as one in
/// `[clients.credentials]` does: live, loadgen sends the header and the gateway reads it (the
/// simulator refused every such request 401 while live runs were served; review helper-173).
/// Per service: a service whose own `request` carries a wrong key is refused alone.
#[test]
fn a_key_in_a_request_header_is_presented_as_live() {
    let auth = "auth = { keys = [\"k1\"] }";
    for header in ["authorization = \"Bearer k1\"", "x-api-key = \"k1\""] {
        let clients = format!("[clients.request.headers]\n{header}\n");
        let ok = sim::simulate(&scenario_with(auth, &clients), None);
        assert!(
            ok.summary.whole.goodput_ratio > 0.999,
            "{header}: {:?}",
            ok.summary.whole
        );
    }
    let s = scenario::parse(
        "two.toml",
        "[run]\nseed = 5\n[[workload.phases]]\nduration = \"30s\"\nrate = 20\n\
         [clients]\ntimeout = \"1s\"\n[clients.request.headers]\nx-api-key = \"k1\"\n\
         [gateway]\nstrategy = \"fifo\"\nauth = { keys = [\"k1\"] }\n\
         [[backend.services]]\nname = \"good\"\nworkers = 4\nservice_time = \"10ms\"\n\
         [[backend.services]]\nname = \"bad\"\nworkers = 4\nservice_time = \"10ms\"\n\
         request = { headers = { x-api-key = \"k2\" } }\n",
    )
    .unwrap();
    let r = sim::simulate(&s, None);
    let (good, bad) = (&r.summary.services["good"], &r.summary.services["bad"]);
    assert!(good.offered > 200 && bad.offered > 200, "{good:?} {bad:?}");
    assert!(good.goodput_ratio > 0.999, "{good:?}");
    assert_eq!(bad.goodput_ratio, 0.0, "{bad:?}");
}

/// 20/s offered against a 5/s bucket: about 5/s get through on their first attempt; the rest
/// are answered 429 with the bucket's Retry-After, and clients retry after it.
#[test]
fn a_rate_limit_answers_429_past_its_rate() {
    let r = sim::simulate(&scenario_with("rate_limit = { rate = 5, burst = 5 }", ""), None);
    let s = &r.summary.whole;
    assert!(s.rate_limited > 500, "{s:?}");
    // The bucket admits at most rate x duration + burst attempts in all.
    let admitted = s.attempts - s.rate_limited;
    assert!(admitted <= 5 * 60 + 5, "{admitted} admitted: {s:?}");
    assert!(admitted >= 5 * 60 * 9 / 10, "{admitted} admitted: {s:?}");
    let open = sim::simulate(&scenario_with("", ""), None);
    assert_eq!(open.summary.whole.rate_limited, 0);
}

/// Users with zero think time whose every attempt is answered at once (401) used to send again
/// at the same instant forever; the simulator keeps a microsecond between answer and next send.
#[test]
fn a_closed_loop_with_zero_think_time_and_instant_answers_ends() {
    let s = scenario::parse(
        "closed.toml",
        "[run]\nduration = \"1s\"\n[workload.closed]\nusers = 2\nthink_time = \"0s\"\n\
         [gateway]\nstrategy = \"fifo\"\nauth = { keys = [\"k\"] }\n\
         [[backend.services]]\nname = \"s\"\nworkers = 1\nservice_time = \"0s\"\n",
    )
    .unwrap();
    let r = sim::simulate(&s, None);
    let w = &r.summary.whole;
    assert!(w.offered > 100_000 && w.offered <= 2_000_002, "{w:?}");
    assert_eq!(w.successes, 0);
}
