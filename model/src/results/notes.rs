//! What a live run saw besides the figures: answers per status code, why attempts failed
//! without an answer, requests sent twice, and what was left out. Kept in the results file
//! (`notes`), so a CI job reading `results.json` or a merged set of shards can tell a run that
//! met an overloaded backend from one that hit a mistyped URL, as the printed summary does.

use super::Outcome;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// See the module documentation. Empty for simulated runs (the simulator has no network).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunNotes {
    /// Answers per HTTP status code.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub statuses: BTreeMap<u16, u64>,
    /// Attempts that failed without an answer, per reason (counted as errors of the target).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub failures: BTreeMap<String, u64>,
    /// Requests sent again on a new connection after a reused keep-alive connection closed
    /// before any byte of an answer (the server may have received them twice). Each is counted
    /// as an attempt (a retry), the try that failed as an error, so amplification includes it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub resent: u64,
    /// Attempts the generator could not send (it could not open a socket), per reason and
    /// with a hint; their intents are left out of the figures and counted as unsent.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub generator_failures: BTreeMap<String, u64>,
    /// Intents without a final answer when the run ended (in flight or waiting to retry at an
    /// interrupt, or still running after the drain): left out of the figures.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub left_out: u64,
    /// Attempts that waited for one of the generator's `connections` (its cap on requests in
    /// flight): while it binds, the target sees at most that many at once and the rest queue in
    /// the generator, not in the target.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub connection_waits: u64,
    /// The generator's connection cap (`--connections`) of a live run; of merged shards, which
    /// ran side by side, the sum.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub connections: u64,
    /// Intents that gave up because a retry would have been sent later than their clients
    /// keep an intent, for a Retry-After's pause (at once, or through attempts after it that
    /// timed out; see
    /// [`crate::client::intent_lifetime_bound`]), and that bound in seconds (of merged runs, the
    /// largest).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retry_after_past_lifetime: u64,
    #[serde(default, skip_serializing_if = "is_zero_f64")]
    pub intent_lifetime_s: f64,
    /// The service whose capacity the in-process stack's own real time per request cut most
    /// at the run's time scale, when over 2% ([`Overhead`]): of merged runs, the largest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overhead: Option<Overhead>,
}

/// What the in-process stack's real time per request (loopback round trips, timer wake-ups)
/// cost a service's capacity at a time scale: a scenario near capacity can end differently
/// live than in the simulator, and the figures should say so, not only a log line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Overhead {
    /// The service it costs most, or the services it costs as much ("legacy-1 and legacy-2",
    /// "legacy-1, legacy-2 and 8 more").
    pub service: String,
    pub time_scale: f64,
    /// The share of the service's capacity lost, 0 to 1.
    pub loss: f64,
}

/// The share of a service's capacity lost to the stack's overhead from which the summary
/// calls it a warning.
const OVERHEAD_WARNING: f64 = 0.1;

impl Overhead {
    /// The warning, without its `WARNING` head.
    pub fn warning(&self) -> String {
        let f = self.time_scale;
        // At time scale 1 there is no lower one to suggest: the scenario itself is tight.
        let advice = if f > 1.0 {
            "check the figures at a lower --time-scale"
        } else {
            "the service's own service time leaves little room for the stack's"
        };
        format!(
            "at time scale {f}, the in-process stack's ~0.3 ms of real time per request (loopback round trips, timer wake-ups) costs {}: a scenario near capacity can end differently than it does in the simulator; {advice}",
            // Service names hold no spaces (letters, digits, '-', '_', '.'): " and " is the list's.
            if self.service.contains(" and ") {
                format!("services {} each about {:.1}% of their capacity", self.service, self.loss * 100.0)
            } else {
                format!("service `{}` about {:.1}% of its capacity", self.service, self.loss * 100.0)
            }
        )
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn is_zero_f64(x: &f64) -> bool {
    *x == 0.0
}

/// A status code with its reason phrase (RFC 9110 and the common extensions): "404 Not Found".
pub fn status_text(code: u16) -> String {
    let reason = match code {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        507 => "Insufficient Storage",
        508 => "Loop Detected",
        511 => "Network Authentication Required",
        _ => return code.to_string(),
    };
    format!("{code} {reason}")
}

/// "56 x 404 Not Found, 3 x 500 Internal Server Error", largest first (ties by name).
fn counts_text<'a>(items: impl Iterator<Item = (String, &'a u64)>) -> String {
    let mut v: Vec<(String, u64)> = items.map(|(k, n)| (k, *n)).filter(|(_, n)| *n > 0).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.iter()
        .map(|(k, n)| format!("{n} x {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Adds `from`'s counts into `into`.
/// Adds `from`'s counts into `into`, saturating (counts come from files).
fn add_counts<K: Ord + Clone>(into: &mut BTreeMap<K, u64>, from: &BTreeMap<K, u64>) {
    for (k, n) in from {
        let c = into.entry(k.clone()).or_insert(0);
        *c = c.saturating_add(*n);
    }
}

/// A sum of counts read from a file, saturating rather than wrapping.
fn total<'a>(counts: impl Iterator<Item = &'a u64>) -> u64 {
    counts.fold(0, |sum, n| sum.saturating_add(*n))
}

/// The first of `from`'s counts whose sum with `into`'s does not fit in a u64.
fn overflowing_count<'a, K: Ord>(into: &BTreeMap<K, u64>, from: &'a BTreeMap<K, u64>) -> Option<&'a K> {
    from.iter()
        .find(|(k, n)| into.get(*k).is_some_and(|c| c.checked_add(**n).is_none()))
        .map(|(k, _)| k)
}

/// The longest reason for failures a report prints (loadgen's are a line of an error).
const MAX_REASON_CHARS: usize = 1024;

impl RunNotes {
    pub fn is_empty(&self) -> bool {
        *self == RunNotes::default()
    }

    /// The first of the notes' texts a report would print that no run writes: a reason with a
    /// control character (a NUL or an ESC reaches the terminal, summary.md and junit.xml), or a
    /// megabyte of one; as (field path, problem). The reasons are loadgen's one-line errors, and
    /// the overhead's service a list of service names.
    pub(crate) fn text_problem(&self) -> Option<(String, String)> {
        let problem = |s: &str| super::text_problem(s, "a text", MAX_REASON_CHARS);
        let short = |k: &str| k.chars().take(32).collect::<String>();
        for (field, map) in [
            ("failures", &self.failures),
            ("generator_failures", &self.generator_failures),
        ] {
            if let Some((k, p)) = map.keys().find_map(|k| problem(k).map(|p| (k, p))) {
                return Some((format!("notes.{field}.{}", short(k).escape_debug()), p));
            }
        }
        let o = self.overhead.as_ref()?;
        problem(&o.service).map(|p| ("notes.overhead.service".to_string(), p))
    }

    /// Adds another shard's notes (counts add up, the connection caps too: shards run side by
    /// side). Runs one after another (replications) add with [`RunNotes::add_sequential`].
    ///
    /// Sums saturate; [`RunNotes::overflow`] tells whether one would.
    pub fn add(&mut self, other: &RunNotes) {
        add_counts(&mut self.statuses, &other.statuses);
        add_counts(&mut self.failures, &other.failures);
        add_counts(&mut self.generator_failures, &other.generator_failures);
        self.resent = self.resent.saturating_add(other.resent);
        self.left_out = self.left_out.saturating_add(other.left_out);
        self.connection_waits = self.connection_waits.saturating_add(other.connection_waits);
        self.connections = self.connections.saturating_add(other.connections);
        self.retry_after_past_lifetime = self
            .retry_after_past_lifetime
            .saturating_add(other.retry_after_past_lifetime);
        self.intent_lifetime_s = self.intent_lifetime_s.max(other.intent_lifetime_s);
        if let Some(o) = &other.overhead {
            if self.overhead.as_ref().is_none_or(|mine| o.loss > mine.loss) {
                self.overhead = Some(o.clone());
            }
        }
    }

    /// The field (`statuses.503`, `left_out`) whose sum with `other`'s would not fit in a u64,
    /// if one would.
    pub fn overflow(&self, other: &RunNotes) -> Option<String> {
        if let Some(code) = overflowing_count(&self.statuses, &other.statuses) {
            return Some(format!("statuses.{code}"));
        }
        for (name, mine, theirs) in [
            ("failures", &self.failures, &other.failures),
            (
                "generator_failures",
                &self.generator_failures,
                &other.generator_failures,
            ),
        ] {
            if let Some(why) = overflowing_count(mine, theirs) {
                return Some(format!("{name}.{why}"));
            }
        }
        [
            ("resent", self.resent, other.resent),
            ("left_out", self.left_out, other.left_out),
            ("connection_waits", self.connection_waits, other.connection_waits),
            ("connections", self.connections, other.connections),
            (
                "retry_after_past_lifetime",
                self.retry_after_past_lifetime,
                other.retry_after_past_lifetime,
            ),
        ]
        .into_iter()
        .find(|(_, a, b)| a.checked_add(*b).is_none())
        .map(|(name, _, _)| name.to_string())
    }

    /// Adds the notes of a run made after this one: counts add up, the connection cap is the
    /// largest (never more than that was open at once).
    pub fn add_sequential(&mut self, other: &RunNotes) {
        let cap = self.connections.max(other.connections);
        self.add(other);
        self.connections = cap;
    }

    /// The errors that are neither timeouts, 503s, 429s nor 504s, by status and cause:
    /// "69 x 500 Internal Server Error, 12 x connection refused"; empty if none.
    pub fn other_errors(&self) -> String {
        let errors = self
            .statuses
            .iter()
            .filter(|(c, _)| Outcome::from_status(**c) == Outcome::Error)
            .map(|(c, n)| (status_text(*c), n))
            .chain(self.failures.iter().map(|(w, n)| (w.clone(), n)));
        counts_text(errors)
    }

    /// The answers that were client errors other than 408 and 429 (the target refused the
    /// requests), when they are most of the answers: (how many, of how many answers, which).
    pub fn mostly_refused(&self) -> Option<(u64, u64, String)> {
        let answers = total(self.statuses.values());
        let refused = |c: u16| (400..500).contains(&c) && c != 408 && c != 429;
        let n = total(self.statuses.iter().filter(|(c, _)| refused(**c)).map(|(_, n)| n));
        (answers > 0 && n > answers / 2).then(|| {
            let which = counts_text(
                self.statuses
                    .iter()
                    .filter(|(c, _)| refused(**c))
                    .map(|(c, n)| (status_text(*c), n)),
            );
            (n, answers, which)
        })
    }

    /// The attempts that got no answer at all (refused or dropped connections), when they are
    /// more than a tenth of those that ended before their timeout: (how many, of how many,
    /// why). A target that went down then fails its clients as a collapse would.
    pub fn unanswered(&self) -> Option<(u64, u64, String)> {
        let unanswered = total(self.failures.values());
        let attempts = total(self.statuses.values()).saturating_add(unanswered);
        (attempts > 0 && unanswered > attempts / 10).then(|| {
            let why = counts_text(self.failures.iter().map(|(w, n)| (w.clone(), n)));
            (unanswered, attempts, why)
        })
    }

    /// Lines for the end of the summary, in its layout; warnings start with `WARNING`.
    pub fn lines(&self) -> Vec<String> {
        self.items()
            .into_iter()
            .map(|n| format!("  {:<13} {}", n.label, n.text))
            .collect()
    }

    /// The notes for a report, in sentences: those [`RunNotes::lines`] has beyond the other
    /// errors and the mostly-refused warning, which reports say in their own words.
    pub fn report_sentences(&self) -> Vec<String> {
        self.items()
            .into_iter()
            .filter_map(|n| n.kind.title(n.label).map(|title| format!("{title}: {}", n.text)))
            .collect()
    }

    /// The notes, each with its summary label and what it is.
    fn items(&self) -> Vec<Note> {
        let mut out = Vec::new();
        let mut push = |kind, label, text| out.push(Note { kind, label, text });
        let errors = self.other_errors();
        if !errors.is_empty() {
            push(NoteKind::OtherErrors, "other errors", errors);
        }
        if self.resent > 0 {
            push(NoteKind::Resent, "resent", format!(
                "{} requests sent again on a new connection after a kept-alive connection closed before answering (each counted as an attempt: the try that failed as an error, the resend as a retry)",
                self.resent
            ));
        }
        // Attempts that got no answer at all (refused or dropped connections) are no overload:
        // a target down mid-run read only as "overloaded".
        if let Some((unanswered, attempts, why)) = self.unanswered() {
            push(NoteKind::Warning, "WARNING", format!(
                "{unanswered} of the {attempts} attempts that ended before their timeout got no usable HTTP answer ({why}): the target was unreachable, dropped connections, or answered in something other than HTTP (an https port, say) for part of the run; a verdict of overload or metastability there says nothing about its capacity"
            ));
        }
        if let Some((n, answers, which)) = self.mostly_refused() {
            push(NoteKind::MostlyRefused, "WARNING", format!(
                "{n} of {answers} answers were client errors ({which}): the target refused the requests, which says nothing about its capacity; check the target URL (the --target's path, or the service and API names a scenario builds it from), the credentials and the method"
            ));
        }
        let answers = total(self.statuses.values());
        // Those with somewhere to lead: a 304 (Not Modified) or 300 is no redirect to follow.
        let redirect = |c: &u16| matches!(c, 301 | 302 | 303 | 307 | 308);
        let redirects = total(self.statuses.iter().filter(|(c, _)| redirect(c)).map(|(_, n)| n));
        if answers > 0 && redirects > answers / 2 {
            let which = counts_text(
                self.statuses
                    .iter()
                    .filter(|(c, _)| redirect(c))
                    .map(|(c, n)| (status_text(*c), n)),
            );
            push(NoteKind::Warning, "WARNING", format!(
                "{redirects} of {answers} answers were redirects ({which}), counted as errors: loadgen does not follow them; point the target at where they lead"
            ));
        }
        if !self.generator_failures.is_empty() {
            let n = total(self.generator_failures.values());
            let why = counts_text(self.generator_failures.iter().map(|(w, n)| (w.clone(), n)));
            push(NoteKind::Warning, "WARNING", format!(
                "the generator could not send {n} attempts ({why}); their intents are left out of the figures and counted as not sent: they are no failure of the target"
            ));
        }
        if self.connection_waits > 0 {
            push(NoteKind::Warning, "WARNING", format!(
                "{} attempts waited for a connection: --connections ({}) capped the requests in flight, so the target never held more than that at once and the rest queued in the generator (their waits count in their latency); raise --connections for the target's own queue to fill",
                self.connection_waits, self.connections
            ));
        }
        if self.retry_after_past_lifetime > 0 {
            let n = self.retry_after_past_lifetime;
            push(NoteKind::RetryAfter, "retry-after", format!(
                "{n} {} gave up: a Retry-After's pause would have sent a retry (that one, or one after attempts that followed it and timed out) later than the clients keep an intent (~{}: every attempt timing out, with the longest backoff between), so it was not sent",
                if n == 1 { "intent" } else { "intents" },
                super::fmt_secs(self.intent_lifetime_s)
            ));
        }
        if let Some(o) = &self.overhead {
            // A few percent is worth knowing, not a warning: a 10 ms service loses 3% at
            // time scale 1.
            let head = if o.loss >= OVERHEAD_WARNING {
                "WARNING"
            } else {
                "overhead"
            };
            push(NoteKind::Overhead, head, o.warning());
        }
        if self.left_out > 0 {
            push(NoteKind::LeftOut, "left out", format!(
                "{} intents had no final answer when the run ended (in flight or waiting to retry): not counted as offered, succeeded or failed",
                self.left_out
            ));
        }
        out
    }
}

/// What a note is, for reports that say some in their own words.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NoteKind {
    OtherErrors,
    MostlyRefused,
    Warning,
    Resent,
    RetryAfter,
    Overhead,
    LeftOut,
}

impl NoteKind {
    /// The note's title in a report's sentence (`label`: its summary label, which says
    /// whether an overhead is a warning); `None` for those reports say in their own words.
    fn title(self, label: &str) -> Option<&'static str> {
        Some(match self {
            NoteKind::OtherErrors | NoteKind::MostlyRefused => return None,
            _ if label == "WARNING" => "Warning",
            NoteKind::Warning => "Warning",
            NoteKind::Resent => "Resent",
            NoteKind::RetryAfter => "Retry-After",
            NoteKind::Overhead => "Overhead",
            NoteKind::LeftOut => "Left out",
        })
    }
}

/// One note: its label in the summary's layout and its text.
struct Note {
    kind: NoteKind,
    label: &'static str,
    text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notes(statuses: &[(u16, u64)], failures: &[(&str, u64)]) -> RunNotes {
        RunNotes {
            statuses: statuses.iter().copied().collect(),
            failures: failures.iter().map(|(w, n)| (w.to_string(), *n)).collect(),
            ..RunNotes::default()
        }
    }

    /// The stack's overhead at a time scale is in the notes: a line of its own, a warning from
    /// a tenth of the capacity; merged runs keep the largest; results without one read as before.
    #[test]
    fn the_stack_overhead_is_noted_and_merged() {
        let at = |service: &str, f: f64, loss: f64| RunNotes {
            overhead: Some(Overhead {
                service: service.into(),
                time_scale: f,
                loss,
            }),
            ..RunNotes::default()
        };
        let small = at("a", 1.0, 0.029);
        assert_eq!(
            small.lines(),
            ["  overhead      at time scale 1, the in-process stack's ~0.3 ms of real time per request (loopback round trips, timer wake-ups) costs service `a` about 2.9% of its capacity: a scenario near capacity can end differently than it does in the simulator; the service's own service time leaves little room for the stack's"]
        );
        let big = at("b", 60.0, 0.64);
        let line = &big.lines()[0];
        assert!(line.starts_with("  WARNING       at time scale 60, "), "{line}");
        assert!(line.contains("service `b` about 64.0% of its capacity"), "{line}");
        assert!(line.ends_with("check the figures at a lower --time-scale"), "{line}");
        for (mut into, from) in [(small.clone(), big.clone()), (big.clone(), small.clone())] {
            into.add(&from);
            assert_eq!(into.overhead, big.overhead);
        }
        let mut none = RunNotes::default();
        none.add(&small);
        assert_eq!(none.overhead, small.overhead);
        let json = serde_json::to_string(&RunNotes::default()).expect("serializes");
        assert!(!json.contains("overhead"), "{json}");
        let back: RunNotes = serde_json::from_str(&serde_json::to_string(&big).expect("serializes")).expect("reads");
        assert_eq!(back, big);
    }

    /// Other errors are the answers that count as errors (not 503, 429, 504) and the failures
    /// without an answer, largest first.
    #[test]
    fn other_errors_by_status_and_cause() {
        let n = notes(
            &[(200, 900), (503, 40), (429, 7), (504, 3), (500, 69), (404, 22)],
            &[("connection refused", 30)],
        );
        assert_eq!(
            n.other_errors(),
            "69 x 500 Internal Server Error, 30 x connection refused, 22 x 404 Not Found"
        );
        assert!(n.mostly_refused().is_none());
        assert_eq!(status_text(599), "599");
        assert!(RunNotes::default().lines().is_empty());
    }

    /// A target down for part of the run (refused connections) read only as "overloaded": more
    /// than a tenth of the attempts without an answer warn; a few dropped connections do not.
    #[test]
    fn attempts_without_an_answer_warn_of_an_unreachable_target() {
        let down = notes(&[(200, 33)], &[("cannot connect: Connection refused", 92)]);
        assert!(
            down.lines().iter().any(|l| l.starts_with(
                "  WARNING       92 of the 125 attempts that ended before their timeout got no usable HTTP answer (92 x cannot connect: Connection refused)"
            )),
            "{:?}",
            down.lines()
        );
        let few = notes(&[(200, 95)], &[("connection reset", 5)]);
        assert!(
            !few.lines().iter().any(|l| l.contains("got no usable HTTP answer")),
            "{:?}",
            few.lines()
        );
    }

    /// Mostly 4xx answers warn about the URL; 408 and 429 are the target's load, not a refusal.
    #[test]
    fn mostly_client_errors_warn() {
        let n = notes(&[(404, 60), (200, 40)], &[]);
        let (k, of, which) = n.mostly_refused().unwrap();
        assert_eq!((k, of, which.as_str()), (60, 100, "60 x 404 Not Found"));
        assert!(n
            .lines()
            .iter()
            .any(|l| l.contains("WARNING") && l.contains("check the target URL")));
        assert!(notes(&[(429, 60), (408, 10), (200, 40)], &[])
            .mostly_refused()
            .is_none());
    }

    /// Mostly redirects warn that loadgen does not follow them; a 304 has nowhere to lead.
    #[test]
    fn mostly_redirects_warn_and_not_modified_is_no_redirect() {
        let warned = |n: &RunNotes| n.lines().iter().any(|l| l.contains("were redirects"));
        let n = notes(&[(302, 50), (307, 11), (200, 40)], &[]);
        let line = n.lines().into_iter().find(|l| l.contains("were redirects"));
        assert!(
            line.as_deref()
                .is_some_and(|l| l.contains("61 of 101 answers") && l.contains("50 x 302 Found")),
            "{line:?}"
        );
        assert!(!warned(&notes(&[(302, 40), (200, 60)], &[])), "not most");
        assert!(!warned(&notes(&[(304, 30)], &[])), "304 Not Modified leads nowhere");
    }

    /// A reason with an ESC (which would reach the terminal and the report) is named.
    #[test]
    fn reasons_no_run_writes_are_named() {
        let mut n = notes(&[(200, 3)], &[("connection refused", 2)]);
        assert_eq!(n.text_problem(), None);
        n.failures.insert("a\u{1b}[2Jb".into(), 1);
        let (field, problem) = n.text_problem().expect("refused");
        assert_eq!(field, "notes.failures.a\\u{1b}[2Jb");
        assert!(problem.contains("U+001B"), "{problem}");
    }

    /// Shards' notes add up, and a results file keeps them (and leaves out empty ones).
    #[test]
    fn notes_add_and_round_trip() {
        let mut a = notes(&[(500, 2)], &[("reset", 1)]);
        a.resent = 1;
        let b = RunNotes {
            left_out: 3,
            generator_failures: [("EMFILE".to_string(), 4)].into(),
            ..notes(&[(500, 5), (404, 1)], &[])
        };
        a.add(&b);
        assert_eq!(a.statuses, [(404, 1), (500, 7)].into());
        assert_eq!((a.resent, a.left_out, a.generator_failures["EMFILE"]), (1, 3, 4));
        let capped = |connections| RunNotes {
            connections,
            ..RunNotes::default()
        };
        let mut shards = capped(2048);
        shards.add(&capped(2048));
        assert_eq!(shards.connections, 4096, "shards run side by side");
        let mut seeds = capped(2048);
        seeds.add_sequential(&capped(1024));
        assert_eq!(seeds.connections, 2048, "replications one after another");
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<RunNotes>(&json).unwrap(), a);
        assert_eq!(serde_json::to_string(&RunNotes::default()).unwrap(), "{}");
    }
}
