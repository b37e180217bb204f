//! Command-line arguments of `spillway gateway`.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Run the reference queueing gateway: an HTTP/1.1 and h2c reverse proxy that holds, sheds or
/// drops requests in front of slow services according to a strategy.
///
/// With --scenario (or --config), routes /{service}/... to each service's `upstream` from the
/// file's [backend], with the file's [gateway] settings; --upstream sends every service to one
/// address (e.g. a mock-legacy serving the same scenario). Without a file, the one-liner flags
/// configure a single service that receives every path.
///
/// Defaults the flags do not show: a 30 s upstream timeout (504), pushback on (a service's 429
/// or 503 pauses dispatch to it for its Retry-After, 1 s without one, at most 30 s; see
/// --no-pushback), no gateway retries, no auth, no rate limit. A file's [gateway] sets those
/// (docs/scenario-format.md). At start-up the gateway asks each upstream's /healthz for its
/// time scale (a mock-legacy answers; other services are left alone).
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Scenario or config file: [gateway] settings and [backend] services with their upstreams
    /// (a gateway's own file needs no [workload], and its [[backend.services]] tables no
    /// service_time).
    #[arg(long, visible_alias = "config", value_name = "FILE")]
    pub scenario: Option<PathBuf>,

    /// Address to listen on, as IP:PORT or HOST:PORT (`localhost:8080`; port 0: any free
    /// port).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR", value_parser = crate::listen_addr)]
    pub listen: SocketAddr,

    /// Upstream base URL for every service (overrides the file's upstreams).
    #[arg(long, value_name = "URL")]
    pub upstream: Option<String>,

    /// Strategy: passthrough, fifo, bounded, deadline, codel, adaptive-lifo (lifo), adaptive
    /// [default: the file's, else fifo].
    #[arg(long, value_name = "NAME")]
    pub strategy: Option<model::scenario::Strategy>,

    /// Requests in flight to each service (default: the service's workers; 2 without a file).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..), value_name = "N", allow_negative_numbers = true)]
    pub concurrency: Option<u32>,

    /// Queue bound per service (bounded, deadline, codel, adaptive-lifo, adaptive) [default:
    /// 1000; bounded: required, or with --scenario the file's or one sized from its clients'
    /// median timeout].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..), value_name = "N", allow_negative_numbers = true)]
    pub queue_capacity: Option<u32>,

    /// Answer 503 to requests that waited longer than this in the queue (e.g. 500ms; scenario
    /// time, divided by --time-scale), at every service, over a file's
    /// [gateway.services.NAME] ones too [default: the file's, else none].
    #[arg(long, value_name = "DURATION", value_parser = model::duration::parse_flag_duration, allow_hyphen_values = true)]
    pub queue_timeout: Option<model::duration::Dur>,

    /// What happens to a queued request whose client has gone: keep (still sent) or cancel
    /// [default: the file's, else keep].
    #[arg(long, value_name = "keep|cancel", value_parser = parse_abandon)]
    pub abandon: Option<model::scenario::Abandon>,

    /// What the deadline strategy predicts a request's service time from: api (each API's
    /// typical time, by its path below the service, times how slow the service is now) or
    /// service (one estimate for all its APIs) [default: the file's, else api].
    #[arg(long, value_name = "api|service", value_parser = parse_deadline_estimate)]
    pub deadline_estimate: Option<model::scenario::DeadlineEstimate>,

    /// Budget for requests without x-spillway-timeout-ms (e.g. 2s; scenario time, divided by
    /// --time-scale) [default: the file's, else none: such requests never expire].
    #[arg(long, value_name = "DURATION", value_parser = model::duration::parse_flag_duration, allow_hyphen_values = true)]
    pub default_timeout: Option<model::duration::Dur>,

    /// Do not pause a service that answers 429 or 503 (pushback, on by default): keep
    /// dispatching to it. A backend that refuses at once when busy (mock-legacy's `overload =
    /// "reject"`) otherwise pauses the gateway again and again, well below its capacity.
    #[arg(long)]
    pub no_pushback: bool,

    /// Run this many times faster: the scenario's durations and the duration flags are divided
    /// by F (overrides run.time_scale; start the backend and loadgen with the same F)
    /// [default: the scenario's run.time_scale, else 1].
    #[arg(long, value_name = "F", value_parser = model::scenario::parse_time_scale, allow_negative_numbers = true)]
    pub time_scale: Option<f64>,

    /// Bytes of services' answers the gateway holds for its clients at once, gateway-wide
    /// (e.g. 64MiB; K, M, G are powers of 1024). An answer is read whole before it is
    /// written, so a slow client never holds a service's worker; one that finds no room
    /// waits up to 1 s, then its client gets 503 with Retry-After (the service's work done:
    /// the upstream connection is closed); one larger than all of it at once. Answers are
    /// read up to 16 MiB [default: 128MiB].
    #[arg(long, value_name = "SIZE", value_parser = parse_answer_memory)]
    pub answer_memory: Option<usize>,

    /// The slowest pace at which a client may take its answer, per second (e.g. 64KiB; 0:
    /// none): all of it within the 10 s stall timeout or its size at this pace, whichever is
    /// longer, and no write may wait 10 s; past either the client is cut off (HTTP/1.1: the
    /// connection; h2c: the stream's answer, also when its window stays closed, and the
    /// connection when hyper holds a piece of it) [default: 64KiB].
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub min_send_rate: Option<usize>,
}

/// `--answer-memory`: a size, not 0 (which would refuse every answer with a body).
fn parse_answer_memory(s: &str) -> Result<usize, String> {
    match parse_size(s)? {
        0 => Err("0 would refuse every answer with a body: give the memory answers may take, e.g. 128MiB".into()),
        n => Ok(n),
    }
}

/// A size in bytes: digits, then optionally K, M or G (powers of 1024, `KiB`, `MiB`, `GiB`
/// too) or B.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: usize = digits
        .parse()
        .map_err(|_| format!("expected a size such as 64MiB or 65536, got `{s}`"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        other => {
            return Err(format!(
                "unknown size unit `{other}` in `{s}`: use K, M or G (powers of 1024)"
            ))
        }
    };
    n.checked_mul(1usize << shift)
        .ok_or_else(|| format!("`{s}` is too large"))
}

/// A size for messages: in the largest of GiB, MiB, KiB that divides it, else bytes.
pub fn bytes_text(n: u64) -> String {
    for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if n >= 1 << shift && n.is_multiple_of(1 << shift) {
            return format!("{} {unit}", n >> shift);
        }
    }
    format!("{n} bytes")
}

fn parse_deadline_estimate(s: &str) -> Result<model::scenario::DeadlineEstimate, String> {
    match s {
        "api" => Ok(model::scenario::DeadlineEstimate::Api),
        "service" => Ok(model::scenario::DeadlineEstimate::Service),
        _ => Err(format!("expected api or service, got `{s}`")),
    }
}

fn parse_abandon(s: &str) -> Result<model::scenario::Abandon, String> {
    match s {
        "keep" => Ok(model::scenario::Abandon::Keep),
        "cancel" => Ok(model::scenario::Abandon::Cancel),
        _ => Err(format!("expected keep or cancel, got `{s}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_units_and_say_what_is_wrong() {
        assert_eq!(parse_size("65536"), Ok(65536));
        assert_eq!(parse_size("64KiB"), Ok(64 << 10));
        assert_eq!(parse_size("128M"), Ok(128 << 20));
        assert_eq!(parse_size("1gib"), Ok(1 << 30));
        assert_eq!(parse_size("0"), Ok(0));
        assert!(parse_answer_memory("0").is_err() && parse_answer_memory("1M") == Ok(1 << 20));
        assert!(parse_size("12 parsecs").unwrap_err().contains("unknown size unit"));
        assert!(parse_size("MiB").is_err() && parse_size("-1").is_err());
        assert_eq!(bytes_text(128 << 20), "128 MiB");
        assert_eq!(bytes_text(65536), "64 KiB");
        assert_eq!(bytes_text(1000), "1000 bytes");
    }
}
