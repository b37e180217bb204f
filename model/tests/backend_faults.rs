//! Stalls and hanging outages in the backend service model: a job's end is when it has had its
//! work of time that is neither stall nor hang, over the union of the outages (any order, any
//! overlap), computed in closed form. Checked against step-by-step definitions on seeded random
//! cases and against the audit's scenario files.

use model::backend::{merge_hangs, progress_end, stalled_end, Admission, BackendRequest, Job, ServiceModel};
use model::rng::Streams;
use model::scenario::{self, Outage, OutageKind, Stalls};
use model::Time;
use rand::{Rng as _, SeedableRng as _};
use std::time::Duration;

fn ms(v: u64) -> Time {
    Time(v * 1_000_000)
}

/// One service, from the TOML lines of its `[[backend.services]]` table (after `name`).
fn service(body: &str) -> ServiceModel {
    let text =
        format!("[[workload.phases]]\nduration = \"5s\"\nrate = 1\n[[backend.services]]\nname = \"svc\"\n{body}\n");
    let s = scenario::parse("t.toml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    ServiceModel::new(s.services[0].clone(), &Streams::new(1))
}

/// The job a request arriving at `at` starts (the service is idle).
fn job_at(m: &mut ServiceModel, at: Time) -> Job {
    let req = BackendRequest {
        id: 1,
        api: 0,
        arrived: at,
        deadline: None,
    };
    match m.handle_request(at, req) {
        Admission::Started(j) => j,
        other => panic!("expected a start, got {other:?}"),
    }
}

/// A 2 s job from 0 s under the given outages (the audit's hang-order files).
fn end_with_outages(outages: &str) -> Time {
    let mut m = service(&format!(
        "workers = 1\nservice_time = \"2s\"\nfaults = {{ outages = [{outages}] }}"
    ));
    job_at(&mut m, Time::ZERO).completes_at
}

/// The audit's hang-order-a/b and hang-dup files: 1 s of work, the hang 1-2 s, 0.5 s, the hang
/// 2.5-3.5 s, 0.5 s: done at 4 s, whichever outage the file lists first. The same outage twice
/// is one hang (3 s), as is an outage inside another.
#[test]
fn hangs_count_once_in_any_order() {
    let a = "{ at = \"1s\", duration = \"1s\", kind = \"hang\" }";
    let b = "{ at = \"2500ms\", duration = \"1s\", kind = \"hang\" }";
    assert_eq!(end_with_outages(&format!("{a}, {b}")), ms(4000), "hang-order-a");
    assert_eq!(end_with_outages(&format!("{b}, {a}")), ms(4000), "hang-order-b");
    assert_eq!(end_with_outages(&format!("{a}, {a}")), ms(3000), "hang-dup");
    assert_eq!(end_with_outages(a), ms(3000), "one hang");
    // Overlapping (1-2 s and 1.5-2.5 s: hung 1-2.5 s), touching (1-2 s and 2-3 s), nested.
    let overlap = "{ at = \"1500ms\", duration = \"1s\", kind = \"hang\" }";
    assert_eq!(end_with_outages(&format!("{overlap}, {a}")), ms(3500));
    let touching = "{ at = \"2s\", duration = \"1s\", kind = \"hang\" }";
    assert_eq!(end_with_outages(&format!("{touching}, {a}")), ms(4000));
    let inner = "{ at = \"1200ms\", duration = \"300ms\", kind = \"hang\" }";
    assert_eq!(end_with_outages(&format!("{a}, {inner}")), ms(3000));
    assert_eq!(end_with_outages(&format!("{inner}, {a}")), ms(3000));
}

/// A `reject` outage refuses arrivals and leaves work in progress alone, beside a hang too.
#[test]
fn reject_outages_do_not_freeze_work() {
    let reject = "{ at = \"1s\", duration = \"1s\" }";
    assert_eq!(end_with_outages(reject), ms(2000));
    let hang = "{ at = \"2500ms\", duration = \"1s\", kind = \"hang\" }";
    assert_eq!(end_with_outages(&format!("{reject}, {hang}")), ms(2000));
    let late_hang = "{ at = \"1500ms\", duration = \"1s\", kind = \"hang\" }";
    assert_eq!(end_with_outages(&format!("{reject}, {late_hang}")), ms(3000));
    assert_eq!(end_with_outages(&format!("{late_hang}, {reject}")), ms(3000));
    let outages = [
        Outage {
            start: ms(1000),
            end: ms(2000),
            retry_after: None,
            kind: OutageKind::Reject,
        },
        Outage {
            start: ms(1500),
            end: ms(2500),
            retry_after: None,
            kind: OutageKind::Hang,
        },
    ];
    assert_eq!(merge_hangs(&outages), vec![(ms(1500), ms(2500))]);
}

/// Stalls 90-100 ms of every 100 ms and a hang 1010-2950 ms: the work left after the hang meets
/// the stalls where they are, not where they were before the hang moved it. (Stalls first, then
/// the hang's length added, gave 3000 ms and 3005 ms below.)
#[test]
fn stalls_and_hangs_combine_over_their_union() {
    let st = Stalls {
        every: Duration::from_millis(100),
        duration: Duration::from_millis(10),
        offset: Duration::from_millis(90),
    };
    let hang = [(ms(1010), ms(2950))];
    // 950-990 (40), stall, 1000-1010 (10), hang, 2950-2990 (40), stall, 3000-3010 (10).
    assert_eq!(
        progress_end(Some(&st), &hang, ms(950), Duration::from_millis(100)),
        ms(3010)
    );
    // 955-990 (35), stall, 1000-1010 (10), hang, 2950-2990 (40), stall, 3000-3015 (15).
    assert_eq!(
        progress_end(Some(&st), &hang, ms(955), Duration::from_millis(100)),
        ms(3015)
    );
    // The same through a service: stalls first (955 -> 1065), then the hang added (+1940 ms)
    // would give 3005 ms.
    let mut m = service(
        "workers = 1\nservice_time = \"100ms\"\nfaults = { stalls = { every = \"100ms\", duration = \"10ms\", offset = \"90ms\" }, outages = [{ at = \"1010ms\", duration = \"1940ms\", kind = \"hang\" }] }",
    );
    assert_eq!(job_at(&mut m, ms(955)).completes_at, ms(3015));
    // A hang over a stall: the stall's time is not taken twice. Hang 985-1050 ms covers the
    // stall 990-1000: from 950 ms, 35 ms (950-985), hang, 40 ms (1050-1090), stall, 25 ms.
    assert_eq!(
        progress_end(Some(&st), &[(ms(985), ms(1050))], ms(950), Duration::from_millis(100)),
        ms(1125)
    );
}

/// The stall model as it was defined, one stall at a time (the reference).
fn stepwise(st: &Stalls, start: Time, work: Duration) -> Time {
    let every = st.every.as_nanos() as u64;
    let len = st.duration.as_nanos() as u64;
    let off = st.offset.as_nanos() as u64;
    if every == 0 || len == 0 {
        return start + work;
    }
    let mut t = start.0;
    let mut remaining = u64::try_from(work.as_nanos()).unwrap_or(u64::MAX);
    loop {
        let k = if t < off { 0 } else { (t - off) / every };
        let mut s0 = off + k * every;
        if t >= s0 + len {
            s0 += every;
        }
        if t >= s0 {
            t = s0 + len;
            continue;
        }
        let run = s0 - t;
        if remaining <= run {
            return Time(t + remaining);
        }
        remaining -= run;
        t = s0 + len;
    }
}

/// The closed form gives what the stepwise definition gave, on 20,000 seeded random cases of
/// every scale (starts before, inside and after stalls, offsets past a period, zero work, ends
/// on a stall's edge).
#[test]
fn stalled_end_matches_the_stepwise_definition() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20_261_021);
    for case in 0..20_000u32 {
        let scale = [1u64, 1_000, 1_000_000][(case % 3) as usize];
        let every = rng.random_range(2..=200u64);
        let len = rng.random_range(1..every);
        let off = rng.random_range(0..=3 * every);
        let st = Stalls {
            every: Duration::from_nanos(every * scale),
            duration: Duration::from_nanos(len * scale),
            offset: Duration::from_nanos(off * scale),
        };
        let start = Time(rng.random_range(0..=20 * every) * scale + rng.random_range(0..scale));
        let work = match case % 4 {
            0 => 0,
            1 => rng.random_range(0..=every) * scale,
            _ => rng.random_range(0..=50 * every * scale),
        };
        let work = Duration::from_nanos(work);
        assert_eq!(
            stalled_end(&st, start, work),
            stepwise(&st, start, work),
            "case {case}: {st:?}, start {start:?}, work {work:?}"
        );
    }
    // The README's default offset (every - duration) and the unit test's values.
    let st = Stalls {
        every: Duration::from_millis(100),
        duration: Duration::from_millis(10),
        offset: Duration::from_millis(90),
    };
    assert_eq!(stalled_end(&st, ms(0), Duration::from_millis(250)), ms(270));
    assert_eq!(stalled_end(&st, ms(95), Duration::ZERO), ms(100));
    assert_eq!(
        stalled_end(&st, ms(40), Duration::from_millis(50)),
        ms(90),
        "done as a stall starts"
    );
}

/// The audit's stalls-slow file: stalls of 500 ns every 1 us and a 10-minute job took 1.2e9
/// steps (10.6 s of CPU); a day-long one would take hours. In closed form: 500 ns of progress
/// per microsecond, the last 500 ns from 1,199,999,999,500 ns.
#[test]
fn fine_stalls_under_long_work_take_no_time() {
    let st = Stalls {
        every: Duration::from_micros(1),
        duration: Duration::from_nanos(500),
        offset: Duration::from_nanos(500),
    };
    assert_eq!(
        stalled_end(&st, Time::ZERO, Duration::from_secs(600)),
        Time(1_199_999_999_500)
    );
    assert_eq!(
        stalled_end(&st, Time::ZERO, Duration::from_secs(86_400)),
        Time(172_799_999_999_500)
    );
    // Through the service, as the audit's file sets it.
    let mut m =
        service("workers = 1\nservice_time = \"10m\"\nfaults = { stalls = { every = \"1us\", duration = \"500ns\" } }");
    assert_eq!(job_at(&mut m, Time::ZERO).completes_at, Time(1_199_999_999_500));
    // Work that would end past u64 nanoseconds saturates rather than overflows.
    assert_eq!(
        stalled_end(&st, Time::ZERO, Duration::from_secs(u64::MAX / 2)),
        Time::MAX
    );
}

/// The reference for stalls and hangs together: nanosecond by nanosecond, the service moves
/// in a nanosecond that is neither in a stall nor in any hang. The end is the end of the
/// nanosecond that completes the work; no work ends at the first nanosecond that moves.
fn tick_by_tick(st: Option<&Stalls>, hangs: &[(u64, u64)], start: u64, work: u64) -> u64 {
    let blocked = |t: u64| {
        let stalled = st.is_some_and(|st| {
            let (every, len, off) = (
                st.every.as_nanos() as u64,
                st.duration.as_nanos() as u64,
                st.offset.as_nanos() as u64,
            );
            t >= off && (t - off) % every < len
        });
        stalled || hangs.iter().any(|&(s, e)| t >= s && t < e)
    };
    let mut t = start;
    let mut done = 0;
    loop {
        if !blocked(t) {
            if done == work {
                return t;
            }
            done += 1;
            if done == work {
                return t + 1;
            }
        }
        t += 1;
    }
}

/// Hangs in random order, overlapping, nested, repeated and touching, with and without
/// stalls: the same end as the tick-by-tick definition over their union (10,000 seeded cases).
#[test]
fn progress_end_matches_the_tick_by_tick_definition() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    for case in 0..10_000u32 {
        let st = (case % 3 != 0).then(|| {
            let every = rng.random_range(2..=40u64);
            let len = rng.random_range(1..every);
            Stalls {
                every: Duration::from_nanos(every),
                duration: Duration::from_nanos(len),
                offset: Duration::from_nanos(rng.random_range(0..=80)),
            }
        });
        let n = rng.random_range(0..=4);
        let mut outages: Vec<Outage> = (0..n)
            .map(|_| {
                let s = rng.random_range(0..=300u64);
                Outage {
                    start: Time(s),
                    end: Time(s + rng.random_range(1..=80)),
                    retry_after: None,
                    kind: if rng.random_bool(0.8) {
                        OutageKind::Hang
                    } else {
                        OutageKind::Reject
                    },
                }
            })
            .collect();
        if n > 0 && rng.random_bool(0.3) {
            outages.push(outages[0].clone());
        }
        let start = rng.random_range(0..=350u64);
        let work = if case % 5 == 0 { 0 } else { rng.random_range(0..=200u64) };
        let hangs: Vec<(u64, u64)> = outages
            .iter()
            .filter(|o| o.kind == OutageKind::Hang)
            .map(|o| (o.start.0, o.end.0))
            .collect();
        let want = tick_by_tick(st.as_ref(), &hangs, start, work);
        let merged = merge_hangs(&outages);
        let got = progress_end(st.as_ref(), &merged, Time(start), Duration::from_nanos(work));
        assert_eq!(
            got,
            Time(want),
            "case {case}: {st:?}, {outages:?}, start {start}, work {work}"
        );
        outages.reverse();
        assert_eq!(merge_hangs(&outages), merged, "case {case}: the order does not matter");
    }
}
