//! Tests that span several parts of the driver: a run's shared state, admitted arrivals and
//! the progress line's view of them.

/// A run's shared state for a one-liner at `http://127.0.0.1:1/x`, nothing started.
fn shared() -> std::sync::Arc<super::Shared> {
    use super::shared::{run_tag, RunParts, Shared};
    use super::transport::{Prepared, Transport};
    use crate::h1::H1Client;
    use mock_legacy::timer::PreciseTimer;
    use model::client::ClientModel;
    use model::results::Recorder;
    use model::rng::Streams;
    use std::sync::Arc;
    use std::time::Instant;
    let s = model::scenario::parse(
        "t.toml",
        "[[workload.phases]]\nduration = \"1s\"\nrate = 10\n[[backend.services]]\nname = \"s\"\nworkers = 1\nservice_time = \"1ms\"\n",
    )
    .expect("valid");
    let streams = Streams::new(1);
    Arc::new(Shared::new(RunParts {
        epoch: Instant::now(),
        f: 1.0,
        recorder: Recorder::for_scenario(&s),
        clients: ClientModel::new(&s.file.clients, &s.services, &streams),
        transport: Transport::Lean(H1Client::new(
            vec!["127.0.0.1:1".parse().expect("addr")],
            "127.0.0.1:1".into(),
            4,
        )),
        connections: 4,
        targets: vec![vec!["/x".into()]],
        requests: Prepared::for_scenario(&s).expect("requests"),
        credentials: None,
        send_priority: true,
        run_tag: run_tag(0),
        timer: PreciseTimer::new().expect("timer"),
    }))
}

/// Arrivals the generator cannot hold are neither started (the progress line's rate) nor
/// waiting: `admit` counted them started first, and the line read `waiting 2289552` with at
/// most 200,000 intents held. Waiting is the intents outstanding; the unsent are said apart,
/// those without a socket among them.
#[test]
fn arrivals_left_unsent_are_not_started_nor_waiting() {
    use std::sync::atomic::Ordering;
    let shared = shared();
    let view = super::shared_view(&shared);
    let arrival = |intent| model::workload::Arrival {
        intent,
        at: model::Time::ZERO,
        service: 0,
        api: 0,
        priority: model::scenario::Priority::Interactive,
    };
    shared.outstanding.store(3, Ordering::Relaxed);
    for i in 0..5 {
        super::admit(&shared, arrival(i), shared.epoch, 3);
    }
    assert_eq!((view.started(), view.waiting(), view.unsent()), (0, 3, 5));
    assert!(shared.not_sent("out of file descriptors".into()).is_some());
    assert_eq!(view.unsent(), 6, "an intent without a socket is unsent too");
}
