//! `index.html`: one self-contained page (inline SVG and CSS, no network, no JavaScript).

use crate::entry::Entry;
use crate::report::{capitalize, Place, Placed, Report};
use crate::table;
use model::results::{fmt_secs, verdict_label, Results, RunSource, Verdict};
use std::fmt::Write as _;

pub(crate) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            // A NUL or an ESC is no character of a page (a NUL makes it unreadable): every
            // name is checked when its file is read; shown, should one come through.
            c if c.is_control() && !matches!(c, '\n' | '\r' | '\t') => o.push('\u{fffd}'),
            c => o.push(c),
        }
    }
    o
}

const STYLE: &str = "
body{font-family:'DejaVu Sans',system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
main{max-width:1000px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px} h2{font-size:20px;margin:32px 0 8px;border-bottom:2px solid #d9dde3;padding-bottom:4px}
h3{font-size:16px;margin:20px 0 6px}
.sub{color:#5b6472;margin:0 0 16px}
table{border-collapse:collapse;background:#fff;font-size:13px;margin:8px 0;display:block;max-width:100%;overflow-x:auto;width:max-content}
th,td{padding:5px 9px;border-bottom:1px solid #e3e6ea;text-align:right;white-space:nowrap}
th{background:#eef0f3} td.l,th.l{text-align:left}
.card{background:#fff;border:1px solid #dfe2e6;border-radius:6px;padding:12px 16px;margin:12px 0}
.verdict{font-size:15px;margin:8px 0}
.bad{color:#b42318;font-weight:bold} .good{color:#067647;font-weight:bold} .warn{color:#b54708;font-weight:bold}
.muted{color:#5b6472;font-weight:bold}
figure{margin:10px 0;background:#fff;border:1px solid #dfe2e6;border-radius:6px;padding:6px}
figure svg{max-width:100%;height:auto;display:block;margin:0 auto}
figcaption{font-size:12px;color:#5b6472;text-align:center}
ul.checks{list-style:none;padding-left:0} ul.checks li{margin:3px 0}
code{background:#eef0f3;padding:1px 4px;border-radius:3px}
pre{white-space:pre-wrap;overflow-wrap:anywhere}
nav a{margin-right:12px}
";

/// The chart's SVG without an XML declaration, so it can sit inside the page.
fn inline_svg(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

fn figure_html(o: &mut String, p: &Placed) {
    let _ = writeln!(
        o,
        "<figure id=\"{}\">{}<figcaption>{}{} · <a href=\"{0}.png\">PNG</a> · <a href=\"{0}.svg\">SVG</a></figcaption></figure>",
        esc(&p.figure.stem),
        inline_svg(&p.figure.svg),
        esc(&p.figure.title),
        p.note.as_deref().map_or(String::new(), |n| format!(" · {}", esc(n)))
    );
}

/// The colour of a verdict: an overloaded run fails its users as surely as a metastable one
/// (a run whose backend rejects everything is "overloaded" too), so both are red.
fn verdict_class(v: Option<Verdict>) -> &'static str {
    match v {
        Some(Verdict::Stable | Verdict::Recovered) => "good",
        Some(Verdict::Metastable | Verdict::Overloaded) => "bad",
        None => "muted",
    }
}

/// The colour of an entry's verdicts over its runs: green when every run is healthy or
/// recovered and no class or service of any is behind it, red when none is, amber when the
/// seeds disagree or a group is behind, grey when none was judged.
fn entry_class(e: &Entry) -> &'static str {
    if crate::entry::nothing_offered(&e.runs) {
        return "muted";
    }
    let classes: Vec<&str> = e.verdicts().iter().map(|(v, _)| verdict_class(Some(*v))).collect();
    match classes.as_slice() {
        [] => "muted",
        // "recovered (service billing metastable)" is not a run to read as healthy.
        c if c.iter().all(|k| *k == "good") && crate::entry::some_group_behind(&e.runs) => "warn",
        c if c.iter().all(|k| *k == "good") => "good",
        c if c.iter().all(|k| *k == "bad") => "bad",
        _ => "warn",
    }
}

/// A run's recovery in its card: the time, "never" (judged and not recovered), "no trigger"
/// or "not judged", as the thresholds say it; never a bare "-" that reads like "no trigger".
fn recovery_cell(r: &Results) -> String {
    match (r.summary.whole.recovery_s, r.summary.whole.verdict) {
        (Some(t), _) => fmt_secs(t),
        // Overloaded without a trigger had no burst to recover from: not "never".
        (None, Some(_)) if !r.has_trigger() => "no trigger".into(),
        (None, Some(Verdict::Metastable | Verdict::Overloaded)) => "never".into(),
        (None, Some(Verdict::Stable)) => "no trigger".into(),
        (None, Some(Verdict::Recovered)) => "-".into(),
        (None, None) => "not judged".into(),
    }
}

/// One paragraph a reader can act on.
pub fn verdict_paragraph(r: &Results) -> String {
    let s = &r.summary;
    if s.whole.offered == 0 {
        // Not "Stable: healthy throughout. 100.0% of 0 intents succeeded".
        let mut p = "Nothing offered: the run sent no request (is the rate too low for the duration?), so it has no goodput, latency or verdict.".to_string();
        if let Some(why) = model::results::incomplete_reason(r) {
            p.push_str(&format!(" The run was {why}."));
        }
        return p;
    }
    let reason = model::results::verdict_reason(r);
    let reason = reason.trim().trim_end_matches('.');
    let mut chars = reason.chars();
    let reason = match chars.next() {
        Some(c) => format!("{}{}.", c.to_uppercase(), chars.as_str()),
        None => String::new(),
    };
    // The reason says when and how far goodput came back (or did not): the head only names the
    // verdict then, rather than saying it twice.
    let explained = !reason.is_empty();
    let head = match s.whole.verdict {
        Some(Verdict::Stable) => "Stable: healthy throughout.".to_string(),
        Some(Verdict::Recovered) if s.whole.held => "Held.".to_string(),
        Some(Verdict::Recovered) if explained => "Recovered.".to_string(),
        Some(Verdict::Recovered) => match s.whole.recovery_s {
            Some(t) => format!("Recovered {} after the trigger ended.", fmt_secs(t)),
            None => "Recovered after the trigger.".to_string(),
        },
        Some(Verdict::Metastable) if explained => "Metastable.".to_string(),
        Some(Verdict::Metastable) => {
            "Did not recover: metastable. The trigger is over and the offered load is back to normal, yet goodput stays down."
                .to_string()
        }
        Some(Verdict::Overloaded) => {
            "Overloaded: not healthy even without (or before) the trigger, or the offered load never came back down.".to_string()
        }
        None => "Not judged.".to_string(),
    };
    let wasted = if s.external_target {
        "the backend's work and the gateway's queue were not measured (an external target: loadgen sees only its own side)".to_string()
    } else {
        format!(
            "{} of backend time went to requests nobody waited for any more",
            crate::table::share(s.wasted_ratio)
        )
    };
    let mut p = format!(
        "{head} {reason} {} of {} intents succeeded within the client timeout; {:.2} attempts per intent; {wasted}.",
        crate::table::share(s.whole.goodput_ratio),
        s.whole.offered,
        s.whole.amplification,
    );
    if let Some(retries) = crate::entry::gateway_retries_note(r) {
        p.push_str(&format!(" {retries}."));
    }
    if let Some(drain) = crate::entry::queue_drain_note(r) {
        p.push_str(&format!(" {drain}."));
    }
    if let Some(why) = model::results::incomplete_reason(r) {
        p.push_str(&format!(" The run was {why}: figures cover what was gathered"));
        match model::results::latency_coverage(r) {
            Some(c) => p.push_str(&format!("; its {c}.")),
            None => p.push('.'),
        }
    }
    if let Some(cut) = crate::entry::cut_short(r) {
        p.push_str(&format!(" Note: {cut}."));
    }
    if let Some(from) = crate::entry::provenance(r) {
        p.push_str(&format!(" Figures of {from}."));
    }
    let errors = r.notes.other_errors();
    if !errors.is_empty() {
        p.push_str(&format!(" Other errors, by status and cause: {errors}."));
    }
    // Said by the verdict's reason already when the verdict is a bad one (`verdict_reason`).
    let refusal_said = reason.contains("answers were client errors");
    if let Some((n, of, _)) = r.notes.mostly_refused().filter(|_| !refusal_said) {
        p.push_str(&format!(
            " {n} of {of} answers were client errors: the target refused the requests (check the URL and credentials), which says nothing about its capacity."
        ));
    }
    if let Some(g) = r.generator.as_ref().filter(|g| g.lagging) {
        // By how much, as the run's summary says it: `compare` and `demo` send the reader here.
        p.push_str(&format!(
            " Caution: the load generator fell behind its schedule ({}), so these figures partly describe the generator",
            g.lateness_text()
        ));
        // Those the generator had no socket for are in its notes below, with the cause.
        let unsent = r.unsent_without_cause();
        if unsent > 0 {
            p.push_str(&format!(" ({unsent} arrivals not sent, left out of the figures)"));
        }
        p.push('.');
    }
    for s in r.notes.report_sentences() {
        p.push_str(&format!(" {s}."));
    }
    p
}

/// A table; `attrs(row, column, columns)` gives a cell's attributes (`row` is `None` for the
/// header).
fn html_table(
    o: &mut String,
    header: &[String],
    rows: &[Vec<String>],
    attrs: impl Fn(Option<usize>, usize, usize) -> String,
) {
    let n = header.len();
    o.push_str("<table><tr>");
    for (c, h) in header.iter().enumerate() {
        let _ = write!(o, "<th{}>{}</th>", attrs(None, c, n), esc(h));
    }
    o.push_str("</tr>");
    for (i, row) in rows.iter().enumerate() {
        o.push_str("<tr>");
        for (c, cell) in row.iter().enumerate() {
            let _ = write!(o, "<td{}>{}</td>", attrs(Some(i), c, n), esc(cell));
        }
        o.push_str("</tr>");
    }
    o.push_str("</table>\n");
}

fn percentiles_table(o: &mut String, r: &Results) {
    let s = &r.summary;
    o.push_str("<table><tr><th class=l>latency</th><th>count</th><th>mean</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>");
    let classes: Vec<(String, &model::results::Percentiles)> = s
        .classes
        .iter()
        .map(|(class, c)| (format!("intent, {} class", class.as_str()), &c.latency))
        .collect();
    for (name, p) in [
        ("intent (with retries)".to_string(), &s.whole.latency),
        ("attempt".to_string(), &s.attempt_latency),
        ("gateway queue wait".to_string(), &s.queue_wait),
    ]
    .into_iter()
    .chain(classes)
    {
        if p.count == 0 {
            continue;
        }
        let _ = write!(
            o,
            "<tr><td class=l>{name}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            p.count,
            fmt_secs(p.mean),
            fmt_secs(p.p50),
            fmt_secs(p.p90),
            fmt_secs(p.p99),
            fmt_secs(p.p999),
            fmt_secs(p.max)
        );
    }
    o.push_str("</table>");
    let _ = write!(
        o,
        "<table><tr><th class=l>offered</th><th>attempts</th><th>retries</th><th>goodput</th><th>timeouts</th><th>shed</th><th>429</th><th>expired (504)</th><th>errors</th><th>wasted</th><th>recovery</th></tr>\
         <tr><td class=l>{} ({:.1}/s)</td><td>{}</td><td>{}</td><td>{} ({:.1}/s)</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></table>",
        s.whole.offered,
        if s.duration_s > 0.0 { s.whole.offered as f64 / s.duration_s } else { 0.0 },
        s.whole.attempts,
        s.whole.retries,
        if s.whole.offered == 0 {
            "-".to_string()
        } else {
            crate::table::share(s.whole.goodput_ratio)
        },
        s.whole.goodput,
        s.whole.timeouts,
        s.whole.shed,
        s.whole.rate_limited,
        s.whole.expired,
        s.whole.errors,
        if s.external_target {
            "not measured".to_string()
        } else {
            format!("{} ({})", fmt_secs(s.wasted_s), crate::table::share(s.wasted_ratio))
        },
        recovery_cell(r)
    );
}

/// `gates`: the run's own thresholds decide the exit code (a plain report, or a compare that
/// gates on them); under a compare that gates on expectations or a baseline, a failing threshold
/// is shown muted, as summary.md marks it ➖ and junit.xml skips it.
fn run_section(o: &mut String, i: usize, e: &Entry, placed: &[Placed], gates: bool) {
    let _ = writeln!(o, "<h2 id=\"run-{i}\">{}</h2>", esc(&e.label));
    let Some(r) = e.first() else {
        o.push_str("<p>No results.</p>");
        return;
    };
    let source = match r.source {
        RunSource::Sim => "simulated",
        RunSource::Live => "live",
    };
    let seed_note = e.first_seed_note();
    let _ = writeln!(
        o,
        "<p class=sub>Scenario <b>{}</b> (<code>{}</code>), {source}, strategy <b>{}</b>{}, seed {}{}{}</p>",
        esc(&r.scenario_name),
        esc(&r.scenario_path),
        esc(&r.strategy),
        e.queue_bounds()
            .map_or(String::new(), |q| format!(" (queue bound {})", esc(&q))),
        r.seed,
        if (r.time_scale - 1.0).abs() > 1e-9 {
            format!(", time compressed {}x", r.time_scale)
        } else {
            String::new()
        },
        match &seed_note {
            // The seeds that ran: an interrupted run of parallel seeds leaves gaps, and
            // "seeds 4..247" claimed seeds that never ran.
            Some(note) => format!(
                "; {} replications ({}): the verdict counts every seed; the figures below and the charts are {}",
                e.runs.len(),
                e.seed_ranges(),
                esc(note)
            ),
            None => String::new(),
        }
    );
    let _ = writeln!(
        o,
        "<div class=card><p class=verdict><span class={}>{}</span> {}{}</p>",
        entry_class(e),
        esc(&e.verdict_text()),
        seed_note
            .as_deref()
            .map_or(String::new(), |n| format!("<b>{}:</b> ", esc(&capitalize(n)))),
        esc(&verdict_paragraph(r))
    );
    for (name, g) in r.summary.groups_behind(r.window_s) {
        let _ = writeln!(
            o,
            "<p class=verdict><span class={}>behind</span> {}: {} ({}); whole run: {}.</p>",
            match g.verdict {
                Some(Verdict::Recovered) => "warn",
                v => verdict_class(v),
            },
            esc(&name),
            esc(&g
                .verdict
                .map_or("not judged".into(), |v| verdict_label(v, g.recovery_s, g.held))),
            esc(&g.verdict_reason),
            esc(&r.summary.whole.verdict.map_or("not judged".into(), |v| verdict_label(
                v,
                r.summary.whole.recovery_s,
                r.summary.whole.held
            )))
        );
    }
    percentiles_table(o, r);
    if !r.thresholds.is_empty() {
        let failing = (0..r.thresholds.len()).any(|k| e.threshold_failures(k) > 0);
        if !gates && failing {
            o.push_str(
                "<p class=sub>Thresholds not gated: this comparison gates on its expectations or its baseline.</p>",
            );
        }
        o.push_str("<ul class=checks>");
        for (k, t) in r.thresholds.iter().enumerate() {
            // Held only if it held in every seed, as junit.xml and `sim run` count it.
            let held = e.threshold_failures(k) == 0;
            let fails = e.threshold_failures(k);
            // A pass over part of the run or of its seeds is no pass (as junit.xml has it).
            let unjudged = if held { e.incomplete() } else { None };
            // A failure where the load generator fell behind is inconclusive (exit code 4), as
            // summary.md marks it.
            let in_doubt = !held && e.generator_in_doubt();
            let _ = write!(
                o,
                "<li><span class={}>{}</span> {}<code>{}</code> ({}{}{}{})</li>",
                match (held, &unjudged, in_doubt) {
                    (true, None, _) => "good",
                    (true, Some(_), _) | (false, _, true) => "warn",
                    (false, _, false) if !gates => "muted",
                    (false, _, false) => "bad",
                },
                match (held, &unjudged, in_doubt) {
                    (true, None, _) => "PASS",
                    (true, Some(_), _) => "NOT JUDGED",
                    (false, _, true) => "INCONCLUSIVE",
                    (false, _, false) if !gates => "FAIL (not gated)",
                    (false, _, false) => "FAIL",
                },
                t.name.as_deref().map_or(String::new(), |n| format!("{}: ", esc(n))),
                esc(&t.check),
                esc(&t.measured_phrase()),
                if e.runs.len() > 1 {
                    format!(" in seed {}; fails in {fails} of {} seeds", r.seed, e.runs.len())
                } else {
                    String::new()
                },
                unjudged.map_or(String::new(), |why| format!("; not judged: {}", esc(&why))),
                if in_doubt { crate::entry::INCONCLUSIVE_NOTE } else { "" }
            );
        }
        o.push_str("</ul>");
    }
    o.push_str("</div>");
    for p in placed.iter().filter(|p| p.place == Place::Entry(i)) {
        figure_html(o, p);
    }
}

/// "4 runs · 2 sweeps", "1 sweep".
fn counts(r: &Report) -> String {
    let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut parts = Vec::new();
    if !r.entries.is_empty() || r.heatmaps.is_empty() {
        parts.push(plural(r.entries.len(), "run", "runs"));
    }
    if !r.heatmaps.is_empty() {
        parts.push(plural(r.heatmaps.len(), "sweep", "sweeps"));
    }
    parts.join(" · ")
}

/// Each sweep: what it found, and its heatmap.
fn sweep_sections(o: &mut String, r: &Report, placed: &[Placed]) {
    for (i, h) in r.heatmaps.iter().enumerate() {
        let _ = write!(
            o,
            "<h2 id=\"sweep-{}\">{}</h2><pre>{}</pre>",
            i + 1,
            esc(&h.title),
            esc(&h.notes.join("\n"))
        );
        for p in placed.iter().filter(|p| p.place == Place::Sweep(i)) {
            figure_html(o, p);
        }
        if let Some((header, rows)) = &h.points {
            // Folded: a sweep of a thousand points is a long table.
            let _ = write!(
                o,
                "<details{}><summary>Every point ({})</summary>",
                if rows.len() <= 30 { " open" } else { "" },
                rows.len()
            );
            html_table(o, header, rows, |_, c, _| {
                if crate::table::is_text_column(header, c) {
                    " class=l"
                } else {
                    ""
                }
                .to_string()
            });
            o.push_str("</details>\n");
        }
    }
}

pub(crate) fn render(r: &Report, placed: &[Placed]) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><main>\n",
        esc(&r.title)
    );
    let _ = writeln!(
        o,
        "<h1>{}</h1><p class=sub>spillway {} report · {}</p>",
        esc(&r.title),
        env!("CARGO_PKG_VERSION"),
        counts(r)
    );
    o.push_str(if r.entries.is_empty() {
        "<nav>"
    } else {
        "<nav><a href=\"#summary\">Summary</a>"
    });
    for (i, e) in r.entries.iter().enumerate() {
        let _ = write!(o, "<a href=\"#run-{i}\">{}</a>", esc(&e.label));
    }
    for i in 0..r.heatmaps.len() {
        let _ = write!(
            o,
            "<a href=\"#sweep-{}\">{}</a>",
            i + 1,
            if r.heatmaps.len() == 1 {
                "Sweep".to_string()
            } else {
                format!("Sweep {}", i + 1)
            }
        );
    }
    o.push_str("</nav>\n");

    if r.entries.is_empty() {
        sweep_sections(&mut o, r, placed);
        o.push_str("</main></body></html>\n");
        return o;
    }
    o.push_str("<h2 id=summary>Summary</h2>");
    for w in crate::report::warnings(r) {
        let _ = write!(
            o,
            "<p class=verdict><span class=bad>warning</span> {}.</p>",
            esc(&capitalize(&w))
        );
    }
    let (header, rows) = table::cells(r.entries);
    let verdicts: Vec<&str> = r.entries.iter().map(entry_class).collect();
    html_table(&mut o, &header, &rows, |row, c, n| {
        if c == n - 1 {
            // The verdict column, coloured by the verdict (no row: the header).
            row.map_or(" class=l".to_string(), |i| format!(" class=\"l {}\"", verdicts[i]))
        } else if c < 2 {
            " class=l".to_string()
        } else {
            String::new()
        }
    });
    for (title, cells) in [
        ("By priority class", table::class_cells(r.entries)),
        ("By service", table::service_cells(r.entries)),
    ] {
        if let Some((header, rows)) = cells {
            let _ = write!(o, "<h3>{title}</h3>");
            html_table(&mut o, &header, &rows, |_, c, _| {
                if c < 2 { " class=l" } else { "" }.to_string()
            });
        }
    }
    if !r.expectations.is_empty() {
        let held = r.expectations.iter().filter(|c| c.passed).count();
        let _ = write!(
            o,
            "<h3>Expectations: {held} of {} hold</h3><ul class=checks>",
            r.expectations.len()
        );
        for c in r.expectations {
            let _ = write!(
                o,
                "<li><span class={}>{}</span> <code>{}</code> ({})</li>",
                match (c.passed, c.inconclusive) {
                    (true, _) => "good",
                    (false, false) => "bad",
                    (false, true) => "warn",
                },
                c.word(),
                esc(&c.expectation),
                esc(&c.detail)
            );
        }
        o.push_str("</ul>\n");
    }
    if let Some(b) = &r.baseline {
        let _ = write!(
            o,
            "<h3>Against the baseline</h3><p class=sub><code>{}</code> → <code>{}</code>, tolerance {}</p>{}{}<pre>{}</pre>",
            esc(&b.old),
            esc(&b.new),
            crate::baseline::fmt_tolerance(b.tolerance),
            {
                let (outcome, text) = crate::markdown::baseline_outcome(r, b);
                let (class, word) = match outcome {
                    crate::baseline::Outcome::Passed => ("good", "pass"),
                    crate::baseline::Outcome::Failed => ("bad", "fail"),
                    crate::baseline::Outcome::Inconclusive => ("warn", "inconclusive"),
                };
                format!(
                    "<p class=verdict><span class={class}>{word}</span> {}</p>",
                    esc(&capitalize(&text))
                )
            },
            crate::markdown::baseline_mismatch(r)
                .iter()
                .map(|w| format!("<p class=verdict><span class=bad>warning</span> {}.</p>", esc(&capitalize(w))))
                .collect::<String>(),
            esc(&crate::baseline::render(&b.rows, b.tolerance))
        );
    }
    for p in placed.iter().filter(|p| p.place == Place::Overlay) {
        figure_html(&mut o, p);
    }
    sweep_sections(&mut o, r, placed);
    for (i, e) in r.entries.iter().enumerate() {
        run_section(&mut o, i, e, placed, r.thresholds_gate);
    }
    o.push_str("</main></body></html>\n");
    o
}
