//! Human durations in scenario files: `250ms`, `2s`, `1.5m`, `1h`, `500us`.
//!
//! [`Dur`] deserializes only from such strings (a bare number is ambiguous: seconds or
//! milliseconds?) and serializes back to the shortest exact form, so an echoed scenario
//! reads like the file it came from.

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::time::Duration;

/// A duration written as a number and a unit.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dur(pub Duration);

impl Dur {
    pub fn from_millis(ms: u64) -> Dur {
        Dur(Duration::from_millis(ms))
    }
    pub fn from_secs(s: u64) -> Dur {
        Dur(Duration::from_secs(s))
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0.as_secs_f64()
    }
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }
}

impl From<Duration> for Dur {
    fn from(d: Duration) -> Dur {
        Dur(d)
    }
}

const UNITS: &[(&str, f64)] = &[
    ("ns", 1e-9),
    ("us", 1e-6),
    ("µs", 1e-6),
    ("ms", 1e-3),
    ("s", 1.0),
    ("m", 60.0),
    ("h", 3600.0),
];

/// Parses `250ms`, `2s`, `1.5m`, `1h`, `500us`, `0s`. Blanks around the number and the unit
/// (`5 s`, ` 5s `) are allowed.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    // Said here, for a file and a flag alike: the number's parse would only say "expected a
    // duration", and a flag's `-1s` read as an unknown flag.
    if t.starts_with('-') {
        return Err(format!(
            "expected a duration like 250ms, 2s or 1m, got `{text}`: a duration cannot be negative"
        ));
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("expected a duration with a unit like 250ms, 2s or 1m, got `{text}`"))?;
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("expected a duration like 250ms, 2s or 1m, got `{text}`"))?;
    let Some(scale) = unit_scale(unit) else {
        if let Some(total) = compound(t) {
            return Err(format!(
                "`{text}`: a duration is one number and one unit, not several (write `{}`)",
                single_unit(total)
            ));
        }
        return Err(format!(
            "unknown unit `{}` in duration `{text}`: use ns, us, ms, s, m or h",
            unit.trim()
        ));
    };
    let secs = value * scale;
    if !secs.is_finite() || secs > 1e9 {
        return Err(format!("duration `{text}` is out of range"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Seconds per `unit` (blanks around it ignored), if it is one.
fn unit_scale(unit: &str) -> Option<f64> {
    UNITS.iter().find(|(u, _)| *u == unit.trim()).map(|(_, s)| *s)
}

/// The total of a compound duration (`1h30m`, `1m 30s`: several numbers, each with a unit),
/// if `t` is one within range.
fn compound(t: &str) -> Option<Duration> {
    let mut rest = t;
    let mut secs = 0.0;
    let mut parts = 0;
    while !rest.is_empty() {
        let num_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let unit_end = rest[num_end..]
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .map_or(rest.len(), |i| num_end + i);
        let value: f64 = rest[..num_end].parse().ok()?;
        secs += value * unit_scale(&rest[num_end..unit_end])?;
        rest = rest[unit_end..].trim_start();
        parts += 1;
    }
    (parts > 1 && secs.is_finite() && secs <= 1e9).then(|| Duration::from_secs_f64(secs))
}

/// `d` as one number and one unit: a whole number of the largest unit that gives one
/// (`90m` for 1h30m, not `1.5h`), else as [`format_duration`] shows it.
fn single_unit(d: Duration) -> String {
    let ns = d.as_nanos();
    SHOWN_UNITS
        .iter()
        .find(|(_, per)| ns >= *per && ns.is_multiple_of(*per))
        .map_or_else(|| format_duration(d), |(unit, per)| format!("{}{unit}", ns / per))
}

/// A duration flag's value (`--timeout`, `--queue-timeout`), as a scenario writes one. The
/// flag is declared with `allow_hyphen_values` so that `-1s` reaches [`parse_duration`] (clap
/// otherwise refused it as an unknown flag `-1`); a flag where the value goes is said to be one.
pub fn parse_flag_duration(s: &str) -> Result<Dur, String> {
    if s.trim_start().starts_with("--") {
        return Err(format!(
            "expected a duration like 250ms, 2s or 1m, got the flag `{s}`: give this flag its value first"
        ));
    }
    s.parse()
}

/// The units durations are shown in, largest first, with their nanoseconds.
const SHOWN_UNITS: [(&str, u128); 5] = [
    ("h", 3_600_000_000_000),
    ("m", 60_000_000_000),
    ("s", 1_000_000_000),
    ("ms", 1_000_000),
    ("us", 1_000),
];

/// Formats a duration in the largest unit that keeps it exact (up to three decimals).
pub fn format_duration(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns == 0 {
        return "0s".to_string();
    }
    for (unit, per) in SHOWN_UNITS {
        if ns >= per && (ns * 1000).is_multiple_of(per) {
            let v = ns as f64 / per as f64;
            return format!("{}{unit}", trim_float(v));
        }
    }
    format!("{ns}ns")
}

/// A span "60s-80s": both ends in one unit (the largest that gives both, as
/// [`format_duration`] picks one for a single value), where each alone read "1m-80s".
pub fn format_span(a: Duration, b: Duration) -> String {
    let (x, y) = (a.as_nanos(), b.as_nanos());
    for (unit, per) in SHOWN_UNITS {
        let fits = |ns: u128| ns == 0 || (ns >= per && (ns * 1000).is_multiple_of(per));
        if fits(x) && fits(y) && (x, y) != (0, 0) {
            let show = |ns: u128| format!("{}{unit}", trim_float(ns as f64 / per as f64));
            return format!("{}-{}", show(x), show(y));
        }
    }
    format!("{}-{}", format_duration(a), format_duration(b))
}

/// A number as a message or a summary shows it: as written (`20`, `0.5`, `1.25`) when that is
/// short, else in scientific notation (`1e300`, `1e-300`, `2.5e-7`): Rust writes 1e300 as 301
/// digits, and 1e-300 as 300 zeros and a one.
pub fn format_number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() || (1e-5..1e16).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// `x` with `decimals` decimals as `{:.N}` writes it, or in scientific notation with four
/// significant digits (`4.043e304`) when that would be a wall of digits.
pub fn format_fixed(x: f64, decimals: usize) -> String {
    if x.is_finite() && x.abs() >= 1e16 {
        format!("{x:.3e}")
    } else {
        format!("{x:.decimals$}")
    }
}

fn trim_float(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}

impl std::str::FromStr for Dur {
    type Err = String;
    fn from_str(s: &str) -> Result<Dur, String> {
        parse_duration(s).map(Dur)
    }
}

impl Serialize for Dur {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(self.0))
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Dur, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration string like \"250ms\", \"2s\" or \"1m\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
                parse_duration(v).map(Dur).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dur, E> {
                if v <= 0 {
                    return Err(bare_non_positive(v));
                }
                self.visit_u64(v.unsigned_abs())
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dur, E> {
                Err(E::custom(format!(
                    "expected a duration string with a unit like \"{v}ms\" or \"{v}s\", got the bare number {v}"
                )))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dur, E> {
                // `-1s` would be refused in turn: suggest only what can be written. 1e300 is
                // shown so, not as 301 digits, and a duration has no exponent: no `1e300s`.
                let shown = format_number(v);
                if !(v > 0.0 && v.is_finite()) || shown.contains('e') {
                    return Err(bare_non_positive(shown));
                }
                Err(E::custom(format!(
                    "expected a duration string with a unit like \"{shown}s\", got the bare number {shown}"
                )))
            }
        }
        d.deserialize_any(V)
    }
}

fn bare_non_positive<E: de::Error>(v: impl fmt::Display) -> E {
    E::custom(format!(
        "expected a duration string with a unit like \"100ms\" or \"2s\", got the bare number {v}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_gives_both_ends_in_one_unit() {
        let s = Duration::from_secs;
        assert_eq!(format_span(s(60), s(80)), "60s-80s");
        assert_eq!(format_span(s(60), s(120)), "1m-2m");
        assert_eq!(format_span(Duration::ZERO, s(120)), "0m-2m");
        assert_eq!(format_span(Duration::from_millis(1500), s(3)), "1.5s-3s");
        assert_eq!(format_span(Duration::ZERO, Duration::ZERO), "0s-0s");
    }

    #[test]
    fn parses_units() {
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("1m").unwrap(), Duration::from_secs(60));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("500us").unwrap(), Duration::from_micros(500));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("0s").unwrap(), Duration::ZERO);
    }

    #[test]
    fn rejects_bad_text() {
        assert!(parse_duration("250").unwrap_err().contains("unit"));
        assert!(parse_duration("2 parsecs").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("ms").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    /// A negative duration is said to be one, in a file as on the command line: the file said
    /// only "expected a duration like 250ms", the flag "a duration cannot be negative".
    #[test]
    fn a_negative_duration_is_said_to_be_one() {
        for text in ["-1s", " -250ms", "-0.5m"] {
            let e = parse_duration(text).unwrap_err();
            assert!(e.ends_with(": a duration cannot be negative"), "{e}");
        }
        let e = parse_flag_duration("-1s").unwrap_err();
        assert_eq!(
            e,
            "expected a duration like 250ms, 2s or 1m, got `-1s`: a duration cannot be negative"
        );
        assert!(parse_flag_duration("--retries")
            .unwrap_err()
            .contains("got the flag `--retries`"));
    }

    /// `1h30m` was "unknown unit `h30m`": a compound duration is said to be one, with the single
    /// unit to write instead.
    #[test]
    fn a_compound_duration_is_answered_with_one_unit() {
        for (text, instead) in [
            ("1h30m", "90m"),
            ("1m30s", "90s"),
            ("1m 30s", "90s"),
            ("2h0m", "2h"),
            ("1s500ms", "1500ms"),
            ("1.5h20m", "110m"),
        ] {
            let e = parse_duration(text).unwrap_err();
            assert_eq!(
                e,
                format!("`{text}`: a duration is one number and one unit, not several (write `{instead}`)")
            );
            assert!(parse_duration(instead).is_ok(), "{instead}");
        }
        // Not a compound of known units: the unknown unit is named as before.
        assert!(parse_duration("1h30x").unwrap_err().starts_with("unknown unit `h30x`"));
        assert!(parse_duration("2 parsecs")
            .unwrap_err()
            .starts_with("unknown unit `parsecs`"));
    }

    /// Blanks between the number and its unit, and around both, are accepted (and documented).
    #[test]
    fn blanks_around_the_number_and_unit_are_accepted() {
        for text in ["5 s", " 5s ", "5\ts", "5s"] {
            assert_eq!(parse_duration(text).unwrap(), Duration::from_secs(5), "{text:?}");
        }
    }

    /// Very large and very small numbers are shown in scientific notation, not as 300 digits;
    /// everyday ones as Rust writes them.
    #[test]
    fn numbers_past_everyday_magnitudes_are_shown_in_scientific_notation() {
        for (x, shown) in [
            (20.0, "20"),
            (0.5, "0.5"),
            (1.25, "1.25"),
            (0.0, "0"),
            (-3.0, "-3"),
            (1e-5, "0.00001"),
            (1e15, "1000000000000000"),
            (1e16, "1e16"),
            (1e300, "1e300"),
            (1e-300, "1e-300"),
            (-2.5e-7, "-2.5e-7"),
            (f64::INFINITY, "inf"),
        ] {
            assert_eq!(format_number(x), shown);
        }
        assert_eq!(format_fixed(200.0, 1), "200.0");
        assert_eq!(format_fixed(4.043e304, 1), "4.043e304");
        assert_eq!(format_fixed(0.04, 0), "0");
        // A bare number where a duration belongs: the hint is short, and parses as a duration.
        let e = toml::from_str::<std::collections::HashMap<String, Dur>>("d = 1e300")
            .unwrap_err()
            .to_string();
        assert!(e.contains("got the bare number 1e300"), "{e}");
        assert!(e.len() < 200, "{e}");
        assert!(e.contains("like \"100ms\""), "no `1e300s`, which is no duration: {e}");
    }

    #[test]
    fn formats_round_trip() {
        for text in ["250ms", "2s", "1m", "1.5s", "500us", "1h", "0s", "40ms", "90s"] {
            let d = parse_duration(text).unwrap();
            assert_eq!(parse_duration(&format_duration(d)).unwrap(), d, "{text}");
        }
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_duration(Duration::from_secs(120)), "2m");
    }
}
