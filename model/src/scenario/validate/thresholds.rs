//! Checks of `[[thresholds]]`, and of figures given on the command line: whether runs of the
//! scenario keep, and can judge, what each one names.

use super::timeline::unjudged_recovery;
use super::Checker;
use crate::scenario::{Problem, Scenario, ServiceSpec, ThresholdConfig};
use crate::threshold::{Figure, Scope, Threshold};

/// Why a threshold's group is not kept by runs of this scenario, if it is not: class figures
/// need priorities (`priorities`), service figures several services, one of them that name.
fn group_problem(figure: &Figure, priorities: bool, services: &[ServiceSpec], trigger: bool) -> Option<String> {
    let whole = figure.metric.name();
    if figure.metric == crate::threshold::Metric::Recovery && !trigger {
        // Without a trigger every run reads "no trigger": a bound on it could never be judged.
        return Some(format!(
            "`{figure}`: recovery is measured from the end of a trigger phase, and this scenario has none (mark the burst or outage phase `trigger = true`)"
        ));
    }
    match &figure.scope {
        Scope::Whole => None,
        Scope::Class(_) if !priorities => Some(format!(
            "`{figure}` names a priority class, but this scenario has no priorities (no mix entry or phase extra with priority = \"background\", no [gateway.priorities]), so its results keep whole-run figures only: write `{whole}`"
        )),
        Scope::Class(_) => None,
        Scope::Service(_) | Scope::EveryService if services.len() < 2 => Some(format!(
            "`{figure}` names a service, but this scenario has one service{}, so its results keep whole-run figures only: write `{whole}`",
            services.first().map_or(String::new(), |s| format!(" (`{}`)", s.name))
        )),
        Scope::Service(name) if !services.iter().any(|s| &s.name == name) => {
            let members: Vec<&str> = services
                .iter()
                .filter(|s| &s.group == name)
                .map(|s| s.name.as_str())
                .collect();
            if let (Some(first), Some(last)) = (members.first(), members.last()) {
                // A `count` group: its services have figures of their own, the group none.
                let group = if members.len() == 1 {
                    format!("`{name}` is one service named `{first}` (`count` numbers it)")
                } else {
                    format!("`{name}` is a group of {} services ({first} .. {last})", members.len())
                };
                return Some(format!(
                    "`{figure}`: {group}, and results keep figures per service: name one (`{}`), or bound every service with `{}`",
                    figure.to_string().replacen(&format!("service[{name}]"), &format!("service[{first}]"), 1),
                    figure.to_string().replacen(&format!("service[{name}]"), "service[*]", 1),
                ));
            }
            let all: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
            // No suggestion of `legacy-1` for `legacy-4` (or `legacy4`): another number of a
            // group is no typo of this one.
            let numbered = |n: &str| {
                let stem = n.trim_end_matches(|c: char| c.is_ascii_digit());
                (stem.len() < n.len()).then(|| stem.trim_end_matches('-').to_string())
            };
            let hint = crate::scenario::wording::nearest(name, &all)
                .filter(|n| numbered(n).is_none() || numbered(n) != numbered(name))
                .map_or(String::new(), |n| format!("; did you mean `{n}`?"));
            Some(format!(
                "`{figure}`: no service `{name}`{hint} (services: {}{})",
                all[..all.len().min(8)].join(", "),
                if services.len() > 8 { ", ..." } else { "" }
            ))
        }
        Scope::Service(_) | Scope::EveryService => None,
    }
}

impl Scenario {
    /// Why no run of this scenario can judge recovery, if none can (the run ends too soon after
    /// its last trigger phase): a bound on recovery given on the command line could never be
    /// judged, as the file's own recovery thresholds could not.
    pub fn recovery_never_judged(&self) -> Option<String> {
        unjudged_recovery(&self.file, &self.phases, self.duration)
    }

    /// Why runs of this scenario will not have `figure`, if they will not: a class figure
    /// without priorities, a service figure with one service or a service it does not have,
    /// a recovery the run ends too soon to judge ([`Scenario::recovery_never_judged`]). For
    /// expressions given on the command line (`--threshold`, `--slo`, `--expect`), checked
    /// before any run, as the file's own thresholds are.
    pub fn figure_problem(&self, figure: &Figure) -> Option<String> {
        group_problem(
            figure,
            crate::results::uses_priorities(&self.file, &self.mix),
            &self.services,
            self.phases.iter().any(|p| p.trigger),
        )
        .or_else(|| {
            (figure.metric == crate::threshold::Metric::Recovery)
                .then(|| self.recovery_never_judged())
                .flatten()
                .map(|why| format!("`{figure}` could never be judged: {why}"))
        })
    }
}

/// `groups`: whether runs keep per-class figures, and the expanded services; `None` when the
/// rest of the file has problems (group checks are then skipped).
/// A threshold's name labels it in summaries, reports and JUnit test cases.
const MAX_THRESHOLD_NAME: usize = 200;

pub(super) fn check_thresholds(
    c: &mut Checker,
    t: &[ThresholdConfig],
    groups: Option<(bool, &[ServiceSpec])>,
    trigger: bool,
) -> Vec<Threshold> {
    let mut first: Vec<(usize, Threshold)> = Vec::new();
    t.iter()
        .enumerate()
        .filter_map(|(i, th)| match th.check.parse::<Threshold>() {
            Ok(mut t) => match groups
                .and_then(|(priorities, services)| group_problem(&t.figure, priorities, services, trigger))
            {
                Some(problem) => {
                    c.fail(format!("thresholds[{i}].check"), problem);
                    None
                }
                None => {
                    t.name = th.name.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(String::from);
                    if let Some(n) = &t.name {
                        if n.chars().count() > MAX_THRESHOLD_NAME || n.chars().any(char::is_control) {
                            c.fail(
                                format!("thresholds[{i}].name"),
                                format!("expected at most {MAX_THRESHOLD_NAME} characters on one line, without control characters"),
                            );
                        }
                    }
                    // The same check twice (however written, names aside) is judged twice and
                    // counted twice in the summaries: a copy-paste, refused as a sweep's
                    // `--slo` given twice is.
                    match first.iter().find(|(_, f)| f.same_check(&t)) {
                        Some((j, f)) => c.problems.push(Problem {
                            path: format!("thresholds[{i}]"),
                            message: format!(
                                "`{}`: the same check as thresholds[{j}] (`{}`): a run judges each check once; remove one",
                                super::printable(&th.check),
                                super::printable(&f.text)
                            ),
                            also: Some(format!("thresholds[{j}]")),
                        }),
                        None => first.push((i, t.clone())),
                    }
                    Some(t)
                }
            },
            Err(e) => {
                c.fail(format!("thresholds[{i}].check"), e);
                None
            }
        })
        .collect()
}
