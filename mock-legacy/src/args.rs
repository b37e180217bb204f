//! Command-line arguments of `spillway mock-legacy`.

use clap::ValueEnum;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum OverloadFlag {
    /// Wait in the service's own backlog (up to --backlog), then 503.
    Queue,
    /// 503 as soon as every worker is busy.
    Reject,
    /// Serve everything at once, each request slower the more are in flight.
    Thrash,
}

/// Serve a mock legacy backend: few workers, slow service times, overload behaviour and faults.
///
/// With --scenario, serves the scenario's [backend] on /{service}/{api}. Without it, one service
/// answers every path (one-liner mode: --workers, --service-time ...). /metrics (Prometheus) and
/// /healthz are always there. Requests may carry x-spillway-timeout-ms: work completed after that
/// budget is counted as wasted.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Scenario file whose [backend] to serve.
    #[arg(long, visible_alias = "config", value_name = "FILE", conflicts_with_all = ["workers", "service_time", "overload", "backlog", "error_ratio"])]
    pub scenario: Option<PathBuf>,

    /// Address to listen on, as IP:PORT or HOST:PORT (`localhost:8081`; port 0: any free
    /// port).
    #[arg(long, default_value = "127.0.0.1:8081", value_name = "ADDR", value_parser = crate::listen_addr)]
    pub listen: SocketAddr,

    /// One-liner mode: workers of the single service (requests it serves at once) [default: 2].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..), value_name = "N", allow_negative_numbers = true)]
    pub workers: Option<u32>,

    /// One-liner mode: service time: `40ms`, `exp:40ms`, `lognormal:40ms:400ms` (median:p99) or
    /// `uniform:10ms:30ms` [default: 40ms, constant].
    #[arg(long, value_name = "DIST", value_parser = parse_dist_flag, allow_hyphen_values = true)]
    pub service_time: Option<String>,

    /// One-liner mode: what happens when every worker is busy [default: queue].
    #[arg(long, value_enum)]
    pub overload: Option<OverloadFlag>,

    /// One-liner mode: requests that may wait for a worker (queue overload) [default: 1024].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub backlog: Option<u32>,

    /// One-liner mode: probability that a request ends in 500 [default: 0].
    #[arg(long, value_name = "P", value_parser = parse_probability, allow_negative_numbers = true)]
    pub error_ratio: Option<f64>,

    /// Run the scenario this many times faster (overrides run.time_scale) [default: the
    /// scenario's run.time_scale, else 1].
    #[arg(long, value_name = "F", value_parser = model::scenario::parse_time_scale, allow_negative_numbers = true)]
    pub time_scale: Option<f64>,

    /// Seed of the service-time and fault streams (overrides run.seed) [default: the
    /// scenario's run.seed, else 1].
    #[arg(long, allow_negative_numbers = true)]
    pub seed: Option<u64>,
}

/// Turns `--service-time` text into the scenario's distribution syntax (TOML inline value).
/// Its value may start with `-` (the flag takes hyphen values): `-1s` is refused as a negative
/// duration, and a flag where the value goes is said to be one.
pub fn parse_dist_flag(s: &str) -> Result<String, String> {
    if s.trim_start().starts_with("--") {
        return Err(format!(
            "expected 40ms, exp:40ms, lognormal:MEDIAN:P99 or uniform:MIN:MAX, got the flag `{s}`: give this flag its value first"
        ));
    }
    let dur = |t: &str| model::duration::parse_duration(t).map(model::duration::format_duration);
    let parts: Vec<&str> = s.split(':').collect();
    let spec = match parts.as_slice() {
        [d] => format!("\"{}\"", dur(d)?),
        ["exp" | "exponential", m] => format!("{{ dist = \"exponential\", mean = \"{}\" }}", dur(m)?),
        ["lognormal", m, p] => format!(
            "{{ dist = \"lognormal\", median = \"{}\", p99 = \"{}\" }}",
            dur(m)?,
            dur(p)?
        ),
        ["uniform", a, b] => format!("{{ dist = \"uniform\", min = \"{}\", max = \"{}\" }}", dur(a)?, dur(b)?),
        _ => {
            return Err(format!(
                "expected 40ms, exp:40ms, lognormal:MEDIAN:P99 or uniform:MIN:MAX, got `{s}`"
            ))
        }
    };
    // Check the distribution itself (e.g. p99 > median) now, so the error names the flag.
    let probe = format!("x = {spec}");
    #[derive(serde::Deserialize)]
    struct Probe {
        x: model::dist::DistSpec,
    }
    let p: Probe = toml::from_str(&probe).map_err(|e| e.message().to_string())?;
    p.x.resolve().map_err(|e| e.message)?;
    Ok(spec)
}

fn parse_probability(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("expected a probability in [0, 1], got `{s}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dist_flags() {
        assert_eq!(parse_dist_flag("40ms").unwrap(), "\"40ms\"");
        assert!(parse_dist_flag("exp:40ms").unwrap().contains("exponential"));
        assert!(parse_dist_flag("lognormal:40ms:400ms").is_ok());
        assert!(parse_dist_flag("lognormal:40ms:20ms")
            .unwrap_err()
            .contains("p99 > median"));
        assert!(parse_dist_flag("gamma:1:2").is_err());
        assert!(parse_dist_flag("40").unwrap_err().contains("unit"));
    }
}
