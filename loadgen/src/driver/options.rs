//! How a live run is told to run: its target, time scale, shard and limits.

/// How to run.
#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// `None`: start the scenario's mock-legacy and gateway in-process.
    pub target: Option<String>,
    /// Send every request to the target URL itself (one-liner mode).
    pub catch_all: bool,
    pub time_scale: f64,
    /// Where `time_scale` came from, as a warning names it: "--time-scale 4" (the default), or
    /// "run.time_scale = 4 in FILE" for a file's own.
    pub time_scale_origin: Option<String>,
    /// (index, count); (0, 1) is the whole run.
    pub shard: (u32, u32),
    pub max_connections: usize,
    pub http2: bool,
    pub progress: bool,
    /// Arrivals beyond this many outstanding intents are counted as unsent, not sent.
    pub max_outstanding: usize,
    /// PEM certificates to trust for https targets, besides the public roots.
    pub ca_pem: Option<Vec<u8>>,
    /// Send each request's class in `x-spillway-priority` (on by default). Off (the one-liner's
    /// `--priority none`), the target classifies requests itself (the gateway by its
    /// `[gateway.priorities]` routes).
    pub send_priority: bool,
    /// Logged (INFO) as the run starts, once the target has been checked: `loadgen run`'s
    /// "running ... against ...", which before the check read as if a run had started that
    /// then "cannot reach" the target.
    pub announce: Option<String>,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            target: None,
            catch_all: false,
            time_scale: 1.0,
            time_scale_origin: None,
            send_priority: true,
            shard: (0, 1),
            max_connections: 2048,
            http2: false,
            progress: false,
            max_outstanding: 200_000,
            ca_pem: None,
            announce: None,
        }
    }
}
