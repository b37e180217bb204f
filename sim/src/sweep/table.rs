//! sweep.json: the table of points a sweep writes and a report reads back, checked as a results
//! file is; and an earlier sweep's table removed when a sweep writes none.

use super::axis::Axis;
use super::envelope::phase_of;
use super::grid::MAX_COMBINATIONS;
use super::point::Point;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What `sim sweep` writes to sweep.json: the points and what they were judged by, so a report
/// of the table shows the same best configuration. (Tables of older versions are a bare array
/// of points; [`Table::parse`] reads both.)
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Table {
    /// The swept scenario's name (absent from tables of older spillway versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    pub objective: String,
    #[serde(default)]
    pub slo: Vec<String>,
    /// The grid's size, when the sweep was interrupted (Ctrl-C) before every point ran: `points`
    /// holds the ones that did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_points: Option<usize>,
    /// The indexes of the scenario's trigger phases, for the safe envelope over a burst's
    /// length ([`envelope_axis`]; absent from tables of older spillway versions).
    ///
    /// [`envelope_axis`]: super::envelope_axis
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bursts: Vec<usize>,
    pub points: Vec<Point>,
}

/// The keys a sweep table's object can start with, as `sim sweep` writes it or a user edits it.
const TABLE_KEYS: [&str; 4] = ["scenario", "objective", "slo", "points"];

/// The first key of the JSON object `t` starts with, if it starts with one.
fn first_key(t: &str) -> Option<String> {
    let rest = t.strip_prefix('{')?.trim_start();
    let mut de = serde_json::Deserializer::from_str(rest).into_iter::<String>();
    de.next()?.ok()
}

impl Table {
    /// A sweep table from sweep.json text: `None` when the text is not one (a results file).
    pub fn parse(text: &str) -> Option<Result<Table, serde_json::Error>> {
        /// What an older table's SLO is called: it did not keep its text.
        const OLD_TABLE_SLO: &str = "an SLO this older table does not name";
        let t = text.trim_start();
        // An array of points (older tables); not a TOML file's `[run]`, which is no table.
        if t.strip_prefix('[')
            .is_some_and(|r| r.trim_start().starts_with(['{', ']']))
        {
            return Some(serde_json::from_str::<Vec<Point>>(t).map(|points| Table {
                scenario: None,
                objective: String::new(),
                // Such a table kept whether each point met the SLO, not the SLO's text: a
                // point that did not met one ("best under the SLO (none given)" beside cells
                // marked "fails SLO").
                slo: if points.iter().any(|p| !p.meets_slo) {
                    vec![OLD_TABLE_SLO.to_string()]
                } else {
                    Vec::new()
                },
                planned_points: None,
                bursts: Vec::new(),
                points,
            }));
        }
        // A results file as spillway writes it starts with "schema": told without building a
        // `Value` of it (several times the file's size).
        if first_key(t).as_deref() == Some("schema") {
            return None;
        }
        // Parsed from the text, not from a `Value`: errors then have a real line and column.
        match serde_json::from_str::<Value>(t) {
            Ok(v) => {
                v.get("points")?;
                Some(serde_json::from_str(t))
            }
            // A table cut short (a full disk, a copy stopped half-way) is still a table, told by
            // its first key; a results file starts with "schema".
            Err(_) if TABLE_KEYS.contains(&first_key(t)?.as_str()) => Some(serde_json::from_str(t)),
            Err(_) => None,
        }
    }

    /// Refuses figures no sweep produces (a goodput ratio of 7, a p99 of -1 s), as a results
    /// file's are refused, naming the point and the field: a report would chart them.
    pub fn check(&self) -> Result<(), String> {
        use model::results::figures as f;
        self.check_plan()?;
        for (i, p) in self.points.iter().enumerate() {
            let at = |field: &str| format!("points[{i}].{field}");
            f::ratio(p.goodput_ratio, &at("goodput_ratio"))?;
            if let Some(g) = p.goodput {
                f::amount(g, &at("goodput"))?;
            }
            f::latency(p.p50, &at("p50"))?;
            f::latency(p.p99, &at("p99"))?;
            f::amount(p.amplification, &at("amplification"))?;
            if p.seeds == 1 {
                amplification_of_one_seed(p.amplification, p.attempts, &at("amplification"))?;
            }
            f::amount(p.wasted_s, &at("wasted_s"))?;
            if let Some(r) = p.recovery_s {
                f::seconds(r, &at("recovery_s"))?;
            }
            if p.seeds == 0 {
                return Err(format!("{}: 0: expected at least 1 seed", at("seeds")));
            }
            if let Some(held) = p.slo_held.filter(|h| *h > p.seeds) {
                return Err(format!("{}: {held}: more than the {} seeds", at("slo_held"), p.seeds));
            }
            for (c, g) in &p.classes {
                f::group(g, &at(&format!("classes.{}", c.as_str())))?;
                if p.seeds == 1 {
                    amplification_of_one_seed(
                        g.amplification,
                        g.attempts,
                        &at(&format!("classes.{}.amplification", c.as_str())),
                    )?;
                }
            }
            for (name, g) in &p.services {
                f::group(g, &at(&format!("services.{name}")))?;
                if p.seeds == 1 {
                    amplification_of_one_seed(
                        g.amplification,
                        g.attempts,
                        &at(&format!("services.{name}.amplification")),
                    )?;
                }
            }
            self.check_stable_after_trigger(i, p)?;
        }
        Ok(())
    }

    /// `planned_points`, written only by a sweep interrupted before every point ran: the
    /// grid's size, more than the points that ran and at most [`MAX_COMBINATIONS`] (the
    /// largest grid a sweep runs). A smaller one made the report say "interrupted: 9 of the
    /// grid's 4 points ran".
    fn check_plan(&self) -> Result<(), String> {
        let Some(planned) = self.planned_points else {
            return Ok(());
        };
        let ran = self.points.len();
        if planned <= ran {
            return Err(format!(
                "planned_points: {planned}, but the table holds {ran} points: a sweep records the grid's size only when interrupted before all of it ran, so it is more than the points (a finished sweep's table has no planned_points)"
            ));
        }
        if planned > MAX_COMBINATIONS {
            return Err(format!(
                "planned_points: {planned}: a sweep's grid has at most {MAX_COMBINATIONS} points"
            ));
        }
        Ok(())
    }

    /// `stable` is the verdict of a run without a trigger phase: with one (`bursts` names the
    /// scenario's), a run recovered, stayed metastable or was overloaded. A table saying both
    /// was edited (the report would chart a `stable` burst and take the envelope over it).
    /// Not when an axis may switch a phase's trigger off, or replace the phases.
    fn check_stable_after_trigger(&self, i: usize, p: &Point) -> Result<(), String> {
        let Some(&first) = self.bursts.first() else {
            return Ok(());
        };
        let may_untrigger = |k: &str| {
            k == "workload"
                || k == "workload.phases"
                || k.ends_with(".trigger")
                || (phase_of(k).is_some() && !k.contains("]."))
        };
        if p.params.iter().any(|(k, _)| may_untrigger(k)) {
            return Ok(());
        }
        use model::results::Verdict;
        let stable_group = p
            .classes
            .iter()
            .map(|(c, g)| (format!("classes.{}.verdict", c.as_str()), g.verdict))
            .chain(
                p.services
                    .iter()
                    .map(|(n, g)| (format!("services.{n}.verdict"), g.verdict)),
            )
            .find(|(_, v)| *v == Some(Verdict::Stable))
            .map(|(field, _)| field);
        let field = if p.verdict == "stable" {
            Some("verdict".to_string())
        } else {
            stable_group
        };
        match field {
            Some(field) => Err(format!(
                "points[{i}].{field}: `stable`, but bursts says the scenario has a trigger phase (workload.phases[{first}]): a run with a trigger phase recovers, stays metastable or is overloaded; `stable` is the verdict of a run without one"
            )),
            None => Ok(()),
        }
    }

    /// The points' axes, in order, with their values in first-seen order.
    pub fn axes(&self) -> Vec<Axis> {
        let mut axes: Vec<Axis> = Vec::new();
        for p in &self.points {
            for (k, v) in &p.params {
                match axes.iter_mut().find(|a| a.key == *k) {
                    Some(a) if !a.values.contains(v) => a.values.push(v.clone()),
                    Some(_) => {}
                    None => axes.push(Axis {
                        key: k.clone(),
                        values: vec![v.clone()],
                    }),
                }
            }
        }
        axes
    }
}

/// A run's amplification is attempts / intents offered, and the simulator sends each intent's
/// first attempt when it arrives: at least 1 when anything was offered, 0 (with no attempts)
/// when nothing was. Of one seed only: a mean over seeds, some of which offered nothing, may
/// lie between.
fn amplification_of_one_seed(amplification: f64, attempts: u64, field: &str) -> Result<(), String> {
    // The ratio of two integers read back from its shortest form: a hair of slack.
    if amplification == 0.0 && attempts == 0 || amplification >= 1.0 - 1e-9 && attempts > 0 {
        return Ok(());
    }
    Err(format!(
        "{field}: {amplification}, with {attempts} attempts: amplification is attempts / intents offered, at least 1 when anything was sent (each intent's first attempt is one) and 0 when nothing was"
    ))
}

/// The table a sweep writes into its `--out` directory (each through a `.NAME.tmp` first).
pub const TABLE_FILES: [&str; 2] = ["sweep.csv", "sweep.json"];

/// For a sweep with no table to write (interrupted before any point finished): removes an
/// earlier sweep's table from `out`, which would otherwise read as this sweep's. What it did,
/// as a note for the "nothing written" line: empty when there was none.
pub fn remove_earlier_table(out: &std::path::Path) -> String {
    let mut removed = Vec::new();
    let mut kept = Vec::new();
    for name in TABLE_FILES {
        let path = out.join(name);
        match std::fs::remove_file(&path) {
            Ok(()) => removed.push(path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => kept.push(format!("{} (cannot remove it: {e})", path.display())),
        }
    }
    let mut note = String::new();
    if !removed.is_empty() {
        note.push_str(&format!("; removed an earlier sweep's {}", removed.join(" and ")));
    }
    if !kept.is_empty() {
        note.push_str(&format!(
            "; {} is an earlier sweep's, not this one's",
            kept.join(" and ")
        ));
    }
    note
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A type error in a table was reported at a made-up `0:0` (it was decoded from a `Value`),
    /// and a table cut short was "not a spillway results file".
    #[test]
    fn table_errors_have_their_real_position() {
        let point = r#"{"params": [["gateway.concurrency", 1]], "goodput_ratio": 0.5, "p50": 0.1,
            "p99": 0.2, "amplification": 1.0, "wasted_s": 0.0, "recovery_s": null,
            "verdict": "stable", "attempts": 10, "meets_slo": true}"#;
        let table = format!("{{\n  \"scenario\": \"steady\",\n  \"objective\": \"goodput_ratio\",\n  \"slo\": [],\n  \"points\": [{point}]\n}}");
        let t = Table::parse(&table).expect("a table").expect("valid");
        assert_eq!(t.points.len(), 1);
        let typo = table.replace("\"p50\": 0.1", "\"p50\": \"fast\"");
        let e = Table::parse(&typo).expect("a table").expect_err("p50 is a string");
        // serde_json points just past the bad value: `"fast"` on the points line.
        let end = typo.lines().nth(4).and_then(|l| l.find("\"fast\"")).expect("line 5") + 6;
        assert_eq!((e.line(), e.column()), (5, end), "{e}");
        let cut = &table[..table.len() / 2];
        let e = Table::parse(cut).expect("a cut table is a table").expect_err("cut");
        assert!(e.is_eof() && e.line() > 1, "{e}");
        assert!(
            Table::parse("{\"schema\": 1, \"tool\": ").is_none(),
            "a cut results file"
        );
        assert!(Table::parse("{\"schema\": 1}").is_none(), "a results file");
    }
}
