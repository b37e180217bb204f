//! `Retry-After` in both forms of RFC 9110 section 10.2.3: delay-seconds and HTTP-date (the
//! IMF-fixdate and the two obsolete formats of section 5.6.7), read against a `now` passed in.

use model::wire::{format_http_date, parse_http_date, parse_retry_after, parse_retry_after_at};
use proptest::prelude::*;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// 1994-11-06T08:49:37Z, RFC 9110's example.
const EXAMPLE: u64 = 784_111_777;
/// 2026-10-21T07:28:00Z.
const AUDIT: u64 = 1_792_567_680;

#[test]
fn the_three_date_formats_of_rfc_9110_read_alike() {
    let now = at(AUDIT);
    for v in [
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        "  Sun, 06 Nov 1994 08:49:37 GMT ",
    ] {
        assert_eq!(parse_http_date(v, now), Some(at(EXAMPLE)), "{v:?}");
    }
    assert_eq!(parse_http_date("Wed, 21 Oct 2026 07:28:00 GMT", now), Some(at(AUDIT)));
    assert_eq!(parse_http_date("Wed Oct 21 07:28:00 2026", now), Some(at(AUDIT)));
    // Leap years and the last second of a leap day.
    assert_eq!(
        parse_http_date("Tue, 29 Feb 2000 23:59:59 GMT", now),
        Some(at(951_868_799))
    );
}

#[test]
fn an_rfc_850_year_more_than_50_years_ahead_is_a_century_earlier() {
    let now = at(AUDIT); // 2026
    let year = |v: &str| parse_http_date(v, now).map(|t| format_http_date(t)[12..16].to_string());
    assert_eq!(year("Thursday, 01-Jan-76 00:00:00 GMT").as_deref(), Some("2076"));
    assert_eq!(year("Friday, 01-Jan-77 00:00:00 GMT").as_deref(), Some("1977"));
    assert_eq!(year("Monday, 01-Jan-27 00:00:00 GMT").as_deref(), Some("2027"));
}

#[test]
fn malformed_dates_are_none_not_panics() {
    let now = at(AUDIT);
    for bad in [
        "",
        "Wed, 21 Oct 2026 07:28:00 UTC",
        "Wed, 21 Oct 2026 07:28:00",
        "Wed, 21 Oct 2026 7:28:00 GMT",
        "Wed, 32 Oct 2026 07:28:00 GMT",
        "Wed, 29 Feb 2026 07:28:00 GMT",
        "Wed, 21 Okt 2026 07:28:00 GMT",
        "Wed, 21 Oct 2026 24:00:00 GMT",
        "Wed, 21 Oct 2026 07:60:00 GMT",
        "Wed, 21 Oct 2026 07:28:00:00 GMT",
        "Wed,  21 Oct 2026 07:28:00 GMT",
        "Xyz, 21 Oct 2026 07:28:00 GMT",
        "Wednesday, 21-Oct-2026 07:28:00 GMT",
        "Wednesday, 21-Oct-26-1 07:28:00 GMT",
        "Wed Oct 21 07:28:00 26",
        "Wed Oct 2107:28:00 2026",
        "Wed Oct\u{e9}21 07:28:00 2026",
        "\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}",
        "-5",
        "3600",
    ] {
        assert_eq!(parse_http_date(bad, now), None, "{bad:?}");
    }
}

#[test]
fn retry_after_as_a_date_is_a_pause_from_now_and_a_past_date_none() {
    // Half a second into the second before the date: a pause of half a second.
    let now = at(AUDIT - 1) + Duration::from_millis(500);
    let ra = |v: &str| parse_retry_after_at(Some(v), None, now);
    assert_eq!(ra("Wed, 21 Oct 2026 07:28:00 GMT"), Some(Duration::from_millis(500)));
    assert_eq!(
        ra("Wed, 21 Oct 2026 08:28:00 GMT"),
        Some(Duration::from_millis(3_600_500))
    );
    assert_eq!(ra("Sun, 06 Nov 1994 08:49:37 GMT"), Some(Duration::ZERO), "in the past");
    assert_eq!(ra("Thu, 01 Jan 1970 00:00:00 GMT"), Some(Duration::ZERO));
    // The seconds form and the millisecond header as before; garbage is no pause.
    assert_eq!(ra("120"), Some(Duration::from_secs(120)));
    assert_eq!(ra("soon"), None);
    assert_eq!(
        parse_retry_after_at(Some("Wed, 21 Oct 2026 08:28:00 GMT"), Some("250"), now),
        Some(Duration::from_millis(250))
    );
    // Without a clock the date form is not read.
    assert_eq!(parse_retry_after(Some("Wed, 21 Oct 2026 08:28:00 GMT"), None), None);
    // The largest values a target may send saturate.
    assert_eq!(ra("18446744073709551615"), Some(Duration::from_secs(u64::MAX)));
    assert_eq!(ra("184467440737095516150"), Some(Duration::from_secs(u64::MAX)));
}

#[test]
fn formatting_matches_the_rfc_example() {
    assert_eq!(format_http_date(at(EXAMPLE)), "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_eq!(format_http_date(at(0)), "Thu, 01 Jan 1970 00:00:00 GMT");
    assert_eq!(format_http_date(at(AUDIT)), "Wed, 21 Oct 2026 07:28:00 GMT");
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        rng_seed: proptest::test_runner::RngSeed::Fixed(7),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Every second from 1970 to 9999 formats and reads back to itself, and a pause to it is
    /// its distance from now.
    #[test]
    fn format_and_parse_round_trip(secs in 0u64..253_402_300_800, now in 0u64..253_402_300_800) {
        let t = at(secs);
        let s = format_http_date(t);
        prop_assert_eq!(s.len(), 29);
        prop_assert_eq!(parse_http_date(&s, at(now)), Some(t));
        let pause = parse_retry_after_at(Some(&s), None, at(now));
        prop_assert_eq!(pause, Some(Duration::from_secs(secs.saturating_sub(now))));
    }

    /// Nothing a target sends panics.
    #[test]
    fn any_text_is_read_without_panicking(v in "\\PC{0,40}", w in "[A-Za-z0-9 ,:-]{0,32}") {
        let now = at(AUDIT);
        let _ = parse_retry_after_at(Some(&v), None, now);
        let _ = parse_retry_after_at(Some(&w), Some(&v), now);
    }
}
