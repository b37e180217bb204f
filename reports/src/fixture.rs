//! Results built in code, for tests of this crate and of its users (not part of the API).

use model::results::{Recorder, Results, RunMeta};
use std::time::Duration;

/// An empty run of a one-phase scenario: every figure zero, ready to be set by a test.
pub fn blank() -> Results {
    let s = model::scenario::parse(
        "fixture.toml",
        "[[workload.phases]]\nduration = \"10s\"\nrate = 10\n[clients]\ntimeout = \"1s\"\n\
         [[backend.services]]\nname = \"s\"\nworkers = 1\nservice_time = \"10ms\"\n",
    )
    .expect("the fixture scenario is valid");
    Recorder::new(Duration::from_secs(1)).finish(&s, RunMeta::sim("fifo"))
}
