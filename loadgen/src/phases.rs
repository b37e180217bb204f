//! The one-liner workload: `--phases 30s@50,10s@300!,60s@50` (`@` the rate, `!` a trigger
//! phase, `a->b` a linear ramp: `20s@50->300`).

use model::duration::{format_duration, parse_duration};

/// One phase of a one-liner.
#[derive(Clone, Debug, PartialEq)]
pub struct PhaseSpec {
    pub duration: std::time::Duration,
    pub rate: f64,
    pub ramp_to: Option<f64>,
    pub trigger: bool,
}

fn rate(s: &str, whole: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && r >= 0.0 => Ok(r),
        _ => Err(format!("`{whole}`: expected a rate >= 0 in intents/s, got `{s}`")),
    }
}

/// Parses the comma-separated phase list.
pub fn parse_phases(spec: &str) -> Result<Vec<PhaseSpec>, String> {
    let mut out = Vec::new();
    if spec.trim().is_empty() {
        return Err("expected at least one phase, e.g. --phases 30s@50,10s@300!,60s@50".into());
    }
    for (i, part) in spec.split(',').map(str::trim).enumerate() {
        // `30s@50,,60s@50` lost a phase, or has a comma too many: say so rather than guess.
        if part.is_empty() {
            return Err(format!(
                "`{}`: phase {} is empty (two commas in a row, or one at an end)",
                spec.trim(),
                i + 1
            ));
        }
        let (body, trigger) = match part.strip_suffix('!') {
            Some(b) => (b, true),
            None => (part, false),
        };
        let (dur, rates) = body
            .split_once('@')
            .ok_or_else(|| format!("`{part}`: expected DURATION@RATE, e.g. 30s@50 (add ! for a trigger phase)"))?;
        let duration = parse_duration(dur).map_err(|e| format!("`{part}`: {e}"))?;
        if duration.is_zero() {
            return Err(format!("`{part}`: a phase needs a duration > 0"));
        }
        let (r0, r1) = match rates.split_once("->") {
            Some((a, b)) => (rate(a, part)?, Some(rate(b, part)?)),
            None => (rate(rates, part)?, None),
        };
        out.push(PhaseSpec {
            duration,
            rate: r0,
            ramp_to: r1,
            trigger,
        });
    }
    if out.is_empty() {
        return Err("expected at least one phase, e.g. --phases 30s@50,10s@300!,60s@50".into());
    }
    Ok(out)
}

/// A rate as a TOML float: always with a decimal point or an exponent (`50.0`, `1e20`,
/// `1e-300`), exactly the parsed value. f64's Display wrote 1e20 as 21 digits, a TOML integer,
/// which is refused past 9223372036854775807 before the rate's own limits are checked.
fn toml_float(r: f64) -> String {
    format!("{r:?}")
}

/// The phases as `[[workload.phases]]` TOML.
pub fn phases_toml(phases: &[PhaseSpec]) -> String {
    let mut o = String::new();
    for (i, p) in phases.iter().enumerate() {
        o.push_str(&format!(
            "[[workload.phases]]\nname = \"phase {}{}\"\nduration = \"{}\"\nrate = {}\n",
            i + 1,
            if p.trigger { " (trigger)" } else { "" },
            format_duration(p.duration),
            toml_float(p.rate)
        ));
        if let Some(r) = p.ramp_to {
            o.push_str(&format!("ramp_to = {}\n", toml_float(r)));
        }
        if p.trigger {
            o.push_str("trigger = true\n");
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn parses_the_example() {
        let p = parse_phases("30s@50,10s@300!,60s@50").unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(
            p[1],
            PhaseSpec {
                duration: Duration::from_secs(10),
                rate: 300.0,
                ramp_to: None,
                trigger: true
            }
        );
        let r = parse_phases("20s@50->300").unwrap();
        assert_eq!(r[0].ramp_to, Some(300.0));
    }

    /// Rates of every magnitude are written as TOML floats that read back exactly; a huge one
    /// reaches the run-size limit instead of TOML's integer bound ("number too large: TOML
    /// integers go up to 9223372036854775807" for `1s@1e20`).
    #[test]
    fn rates_are_written_as_toml_floats() {
        let scenario = |phases: &str| {
            let text = format!(
                "{}[[backend.services]]\nname = \"target\"\nworkers = 1\nservice_time = \"1ms\"\n",
                phases_toml(&parse_phases(phases).unwrap())
            );
            model::scenario::parse_flags(&text)
        };
        let given = "1s@50,2s@0.1->1e-7,3s@0,4s@1234.25!,5s@1e6->7e5";
        let s = scenario(given).unwrap_or_else(|e| panic!("{e}"));
        let p = parse_phases(given).unwrap();
        assert_eq!(s.file.workload.phases.len(), p.len());
        for (spec, read) in p.iter().zip(&s.file.workload.phases) {
            assert_eq!(read.rate, spec.rate);
            assert_eq!(read.ramp_to, spec.ramp_to);
            assert_eq!(read.duration.0, spec.duration);
            assert_eq!(read.trigger, spec.trigger);
        }
        for (rate, written) in [
            (1e20, "rate = 1e20\n"),
            (50.0, "rate = 50.0\n"),
            (1e-300, "rate = 1e-300\n"),
        ] {
            let one = PhaseSpec {
                duration: Duration::from_secs(1),
                rate,
                ramp_to: None,
                trigger: false,
            };
            assert!(phases_toml(&[one]).contains(written), "{rate}");
        }
        let e = scenario("1s@1e20").unwrap_err().to_string();
        assert!(e.contains("at most 1e9"), "{e}");
        assert!(!e.contains("TOML integers"), "{e}");
    }

    #[test]
    fn rejects_bad_phases() {
        assert!(parse_phases("30s").unwrap_err().contains("DURATION@RATE"));
        assert!(parse_phases("30@50").unwrap_err().contains("unit"));
        assert!(parse_phases("30s@-5").unwrap_err().contains("rate"));
        assert!(parse_phases("0s@5").unwrap_err().contains("> 0"));
        assert!(parse_phases("").is_err());
        for (spec, n) in [("1s@5,,", 2), ("1s@5,", 2), (",1s@5", 1), ("1s@5, ,2s@1", 2)] {
            let e = parse_phases(spec).unwrap_err();
            assert!(e.contains(&format!("phase {n} is empty")), "{spec}: {e}");
        }
    }
}
