//! One self-contained HTML report of an election's sheets: who leads,
//! coverage, the feasibility of an announcement, and the forensic findings,
//! with inline SVG charts.
//!
//! The report needs no network and no script: styles and charts are inline,
//! the layout reflows to a phone's width, and it prints on paper. Every
//! figure names where it comes from (files, seed, test and citation).
//!
//! # Overview
//!
//! - [`ReportData`] holds plain figures: totals per option, coverage, rows
//!   per region, an optional feasibility verdict, the per-station
//!   [`Stations`] table and an optional forensic [`SuiteReport`].
//! - [`render`] turns it into the HTML text; [`charts`] draws each SVG
//!   (fingerprint heat map, turnout and share histograms with whole-percent
//!   lines, last-digit bars) with plotters.
//!
//! ```
//! use tallyproof_report::{render, Coverage, OptionTotal, ReportData};
//! use tallyproof_stats::forensics::Stations;
//!
//! let st = Stations::new(
//!     vec!["1".into(), "2".into()], vec![500, 400], vec![300, 250],
//!     vec![290, 245], vec![10, 5], vec!["A".into(), "B".into()],
//!     vec![vec![200, 100], vec![90, 145]],
//! )?;
//! let data = ReportData::new("Example", &st)
//!     .with_options(vec![OptionTotal::new("A", "Alice", 300), OptionTotal::new("B", "Bob", 235)])
//!     .with_coverage(Coverage { sheets: 2, ..Coverage::default() });
//! let html = render(&data)?;
//! assert!(html.contains("Alice leads"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod charts;
pub mod quickcount;

pub use quickcount::QuickCount;

use std::fmt::Write as _;

use serde::Serialize;
use tallyproof_stats::forensics::{LAST_DIGIT, Stations, SuiteReport};

/// Errors while rendering.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A chart could not be drawn.
    #[error("chart {chart}: {message}")]
    Chart {
        /// Which chart.
        chart: &'static str,
        /// The drawing error.
        message: String,
    },
    /// Writing the text failed.
    #[error("formatting the report: {0}")]
    Format(#[from] std::fmt::Error),
}

/// One option's total in the sheets in hand.
#[derive(Debug, Clone, Serialize)]
pub struct OptionTotal {
    /// Option key.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Votes in the sheets in hand.
    pub votes: u64,
}

impl OptionTotal {
    /// A total.
    pub fn new(key: &str, name: &str, votes: u64) -> Self {
        OptionTotal {
            key: key.to_string(),
            name: name.to_string(),
            votes,
        }
    }
}

/// Coverage of the sheets in hand; unknown denominators stay `None` and are
/// printed as unknown, never as 100%.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Coverage {
    /// Sheets accepted.
    pub sheets: u64,
    /// Stations known (registry), if known.
    pub stations_known: Option<u64>,
    /// Registered voters at the stations with a sheet, if known.
    pub registered_covered: Option<u64>,
    /// Registered voters in all known stations, if known.
    pub registered_known: Option<u64>,
    /// Sheets quarantined by validation.
    pub quarantined: u64,
}

/// One row of the per-region table.
#[derive(Debug, Clone, Serialize)]
pub struct RegionRow {
    /// Region name or code.
    pub name: String,
    /// Sheets in hand.
    pub sheets: u64,
    /// Votes per option, in the order of [`ReportData::options`].
    pub votes: Vec<u64>,
}

/// The feasibility verdict on an announcement.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// The announcement's label.
    pub label: String,
    /// Whether the announcement can be a sum of genuine sheets.
    pub possible: bool,
    /// Explanatory lines (margins, assumption).
    pub lines: Vec<String>,
}

/// Everything the report shows.
#[derive(Debug, Clone)]
pub struct ReportData<'a> {
    /// Title (the election's name).
    pub title: String,
    /// Where the figures come from: files, hashes, commands.
    pub sources: Vec<String>,
    /// Totals per option.
    pub options: Vec<OptionTotal>,
    /// Coverage.
    pub coverage: Coverage,
    /// Per-region rows.
    pub regions: Vec<RegionRow>,
    /// Feasibility of an announcement, when one was given.
    pub verdict: Option<Verdict>,
    /// Per-station counts, for the charts.
    pub stations: &'a Stations,
    /// Forensic findings, when the suite was run.
    pub forensics: Option<&'a SuiteReport>,
    /// A quick count on a published sample, when one was given.
    pub quick_count: Option<QuickCount>,
}

impl<'a> ReportData<'a> {
    /// A report with a title and the station table; the rest is added with
    /// the `with_*` methods.
    pub fn new(title: &str, stations: &'a Stations) -> Self {
        ReportData {
            title: title.to_string(),
            sources: Vec::new(),
            options: Vec::new(),
            coverage: Coverage::default(),
            regions: Vec::new(),
            verdict: None,
            stations,
            forensics: None,
            quick_count: None,
        }
    }

    /// Sets the totals per option.
    pub fn with_options(mut self, o: Vec<OptionTotal>) -> Self {
        self.options = o;
        self
    }

    /// Sets the coverage.
    pub fn with_coverage(mut self, c: Coverage) -> Self {
        self.coverage = c;
        self
    }

    /// Sets the per-region rows.
    pub fn with_regions(mut self, r: Vec<RegionRow>) -> Self {
        self.regions = r;
        self
    }

    /// Sets the feasibility verdict.
    pub fn with_verdict(mut self, v: Verdict) -> Self {
        self.verdict = Some(v);
        self
    }

    /// Sets the forensic findings.
    pub fn with_forensics(mut self, f: &'a SuiteReport) -> Self {
        self.forensics = Some(f);
        self
    }

    /// Sets the quick count on a published sample.
    pub fn with_quick_count(mut self, q: QuickCount) -> Self {
        self.quick_count = Some(q);
        self
    }

    /// Adds a source line.
    pub fn with_source(mut self, s: &str) -> Self {
        self.sources.push(s.to_string());
        self
    }
}

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// An integer with comma thousands separators.
pub fn int(n: u64) -> String {
    tallyproof_core::thousands(n)
}

fn pct(a: u64, b: u64) -> String {
    if b == 0 {
        "–".into()
    } else {
        format!("{:.2}%", 100.0 * a as f64 / b as f64)
    }
}

fn num(x: f64) -> String {
    if x.is_nan() {
        "–".into()
    } else if x != 0.0 && (x.abs() < 1e-3 || x.abs() >= 1e6) {
        format!("{x:.2e}")
    } else if x.fract() == 0.0 && x.abs() < 1e6 {
        format!("{x:.0}")
    } else {
        format!("{x:.4}")
    }
}

const STYLE: &str = "
:root{--ink:#1b1b1b;--mute:#5b5b5b;--line:#d0d0d0;--warn:#a40000;--ok:#0a5a0a}
*{box-sizing:border-box}
body{font:16px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--ink);margin:0 auto;max-width:60rem;padding:0.8rem}
h1{font-size:1.5rem;margin:0.3rem 0}
h2{font-size:1.2rem;border-bottom:1px solid var(--line);padding-bottom:0.2rem;margin-top:1.6rem}
h3{font-size:1.02rem;margin:1rem 0 0.3rem}
.headline{font-size:1.15rem;background:#f4f4f4;border-left:4px solid var(--ink);padding:0.6rem 0.8rem}
.bad{color:var(--warn);font-weight:600}.good{color:var(--ok);font-weight:600}
.mute{color:var(--mute);font-size:0.9rem}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;min-width:100%}
th,td{border-bottom:1px solid var(--line);padding:0.25rem 0.5rem;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
figure{margin:0.8rem 0}
figure svg{width:100%;height:auto;display:block}
figcaption{color:var(--mute);font-size:0.9rem}
.finding{border:1px solid var(--line);border-radius:4px;padding:0.5rem 0.7rem;margin:0.6rem 0;break-inside:avoid}
.finding p{margin:0.25rem 0}
code{font-size:0.9em}
@media print{body{max-width:none;font-size:11pt}.finding,figure{break-inside:avoid}h2{break-after:avoid}}
";

/// Renders the whole report as one HTML document.
pub fn render(d: &ReportData<'_>) -> Result<String, ReportError> {
    let mut h = String::with_capacity(1 << 20);
    write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>",
        esc(&d.title)
    )?;
    writeln!(h, "<h1>{}</h1>", esc(&d.title))?;
    headline(&mut h, d)?;
    totals(&mut h, d)?;
    regions(&mut h, d)?;
    if let Some(v) = &d.verdict {
        writeln!(h, "<h2>Announcement: {}</h2>", esc(&v.label))?;
        let (cls, word) = if v.possible {
            ("good", "can be")
        } else {
            ("bad", "cannot be")
        };
        writeln!(
            h,
            "<p class=\"{cls}\">The announcement {word} a sum of the sheets in hand and the stations not in hand.</p>"
        )?;
        for l in &v.lines {
            writeln!(h, "<p>{}</p>", esc(l))?;
        }
    }
    if let Some(q) = &d.quick_count {
        quickcount::section(&mut h, q)?;
    }
    charts_section(&mut h, d)?;
    findings(&mut h, d)?;
    writeln!(h, "<h2>Sources</h2><ul>")?;
    for s in &d.sources {
        writeln!(h, "<li><code>{}</code></li>", esc(s))?;
    }
    writeln!(
        h,
        "<li>{} stations in the charts and tests.</li></ul></body></html>",
        int(d.stations.len() as u64)
    )?;
    Ok(h)
}

fn headline(h: &mut String, d: &ReportData<'_>) -> Result<(), ReportError> {
    let total: u64 = d.options.iter().map(|o| o.votes).sum();
    let mut sorted: Vec<&OptionTotal> = d.options.iter().collect();
    sorted.sort_by_key(|o| std::cmp::Reverse(o.votes));
    write!(h, "<p class=\"headline\">")?;
    match (sorted.first(), sorted.get(1)) {
        (Some(a), Some(b)) => write!(
            h,
            "<b>{} leads</b> in the sheets in hand with {} votes ({}), ahead of {} with {} ({}); margin {} votes.",
            esc(&a.name),
            int(a.votes),
            pct(a.votes, total),
            esc(&b.name),
            int(b.votes),
            pct(b.votes, total),
            int(a.votes - b.votes)
        )?,
        (Some(a), None) => write!(
            h,
            "<b>{} leads</b> with {} votes.",
            esc(&a.name),
            int(a.votes)
        )?,
        _ => write!(h, "No votes in the sheets in hand.")?,
    }
    let c = &d.coverage;
    write!(h, "<br>Coverage: {} sheets", int(c.sheets))?;
    match c.stations_known {
        Some(k) => write!(h, " of {} stations known ({})", int(k), pct(c.sheets, k))?,
        None => write!(h, " (stations known: unknown, no registry)")?,
    }
    if let (Some(a), Some(b)) = (c.registered_covered, c.registered_known) {
        write!(
            h,
            "; registered voters {} of {} ({})",
            int(a),
            int(b),
            pct(a, b)
        )?;
    }
    write!(h, "; {} sheets quarantined.", int(c.quarantined))?;
    if let Some(v) = &d.verdict {
        write!(
            h,
            "<br>Announcement “{}”: <span class=\"{}\">{}</span>.",
            esc(&v.label),
            if v.possible { "good" } else { "bad" },
            if v.possible {
                "possible as a sum of genuine sheets"
            } else {
                "impossible as a sum of genuine sheets"
            }
        )?;
    }
    if let Some(f) = d.forensics {
        // Only tests calibrated at this size speak in the headline, each
        // with its direction and meaning; nothing found is said plainly.
        let found = f.significant().next().is_some();
        write!(
            h,
            "<br>Forensics: {}{}{}",
            if found { "<span class=\"bad\">" } else { "" },
            esc(&f.summary()),
            if found { "</span>" } else { "" }
        )?;
    }
    writeln!(h, "</p>")?;
    Ok(())
}

fn totals(h: &mut String, d: &ReportData<'_>) -> Result<(), ReportError> {
    if d.options.is_empty() {
        return Ok(());
    }
    let total: u64 = d.options.iter().map(|o| o.votes).sum();
    writeln!(
        h,
        "<h2>Totals in the sheets</h2><div class=\"scroll\"><table><tr><th>option</th><th>votes</th><th>share</th></tr>"
    )?;
    for o in &d.options {
        writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&o.name),
            int(o.votes),
            pct(o.votes, total)
        )?;
    }
    writeln!(
        h,
        "<tr><th>valid votes</th><th>{}</th><th></th></tr></table></div>",
        int(total)
    )?;
    Ok(())
}

fn regions(h: &mut String, d: &ReportData<'_>) -> Result<(), ReportError> {
    if d.regions.is_empty() {
        return Ok(());
    }
    writeln!(
        h,
        "<h2>By region</h2><div class=\"scroll\"><table><tr><th>region</th><th>sheets</th>"
    )?;
    for o in &d.options {
        write!(h, "<th>{}</th>", esc(&o.key))?;
    }
    writeln!(h, "</tr>")?;
    for r in &d.regions {
        let t: u64 = r.votes.iter().sum();
        write!(h, "<tr><td>{}</td><td>{}</td>", esc(&r.name), int(r.sheets))?;
        for v in &r.votes {
            write!(h, "<td>{}</td>", pct(*v, t))?;
        }
        writeln!(h, "</tr>")?;
    }
    writeln!(
        h,
        "</table></div><p class=\"mute\">Shares of the valid votes in each region's sheets in hand.</p>"
    )?;
    Ok(())
}

fn charts_section(h: &mut String, d: &ReportData<'_>) -> Result<(), ReportError> {
    let s = d.stations;
    if s.is_empty() {
        return Ok(());
    }
    writeln!(h, "<h2>Charts</h2>")?;
    writeln!(
        h,
        "<figure>{}<figcaption>Election fingerprint: stations by turnout (ballots / registered, horizontal) and the leader's share \
         (leader / (valid + invalid), vertical), 1-point bins, darker = more stations (log scale). A clean election is one \
         compact cloud; ballot stuffing smears it toward the top right (Klimek et al. 2012).</figcaption></figure>",
        charts::fingerprint(s, 100)?
    )?;
    let (t, v) = charts::rates_pct(s);
    writeln!(
        h,
        "<figure>{}<figcaption>Turnout of each station in 0.1-point bins; grey lines at whole percents. Spikes on the \
         lines are the whole-percent fingerprint (Kobak, Shpilkin & Pshenichnikov 2016).</figcaption></figure>",
        charts::histogram(&t, "turnout, %", "turnout")?
    )?;
    writeln!(
        h,
        "<figure>{}<figcaption>Leader's share of each station in 0.1-point bins; grey lines at whole percents.</figcaption></figure>",
        charts::histogram(&v, "leader share, %", "share")?
    )?;
    if let Some(f) = d
        .forensics
        .and_then(|r| r.findings.iter().find(|f| f.code == LAST_DIGIT))
    {
        let mut counts = [0u64; 10];
        for (k, c) in counts.iter_mut().enumerate() {
            *c = f.get(&format!("digit {k}")).unwrap_or(0.0) as u64;
        }
        writeln!(
            h,
            "<figure>{}<figcaption>Last digits of the vote counts expected at 100 votes or more; the line is the 10% \
             expected when they are uniform (Beber & Scacco 2012).</figcaption></figure>",
            charts::digits(&counts)?
        )?;
    }
    Ok(())
}

fn findings(h: &mut String, d: &ReportData<'_>) -> Result<(), ReportError> {
    let Some(r) = d.forensics else {
        return Ok(());
    };
    writeln!(
        h,
        "<h2>Forensic tests</h2><p class=\"mute\">Seed {} and {} replicates for every simulated null; p-values adjusted \
         by Benjamini–Hochberg across the suite, flagged at {}. A significant test is a symptom to explain, not proof.</p>",
        r.seed, r.replicates, r.level
    )?;
    for f in &r.findings {
        let sig = f.p_adjusted.is_some_and(|p| p <= r.level);
        writeln!(
            h,
            "<div class=\"finding\"><h3>{}{}</h3>",
            esc(&f.title),
            if f.p_value.is_some() && !f.calibrated {
                " — exploratory (not calibrated at this size; not in the headline)"
            } else if sig {
                " — <span class=\"bad\">significant</span>"
            } else if f.p_value.is_none() {
                " — listing"
            } else {
                " — not significant"
            }
        )?;
        write!(
            h,
            "<p>{}: <b>{}</b>",
            esc(&f.statistic_name),
            num(f.statistic)
        )?;
        if let Some(p) = f.p_value {
            write!(
                h,
                "; p = {}, adjusted p = {}",
                num(p),
                f.p_adjusted.map_or("–".into(), num)
            )?;
        }
        writeln!(h, "; {}: {}.</p>", esc(&f.effect_name), num(f.effect))?;
        if !f.details.is_empty() {
            let parts: Vec<String> = f
                .details
                .iter()
                .map(|x| format!("{} {}", esc(&x.name), num(x.value)))
                .collect();
            writeln!(h, "<p class=\"mute\">{}</p>", parts.join(" · "))?;
        }
        if f.stations_total > 0 {
            let shown: Vec<String> = f.stations.iter().take(20).map(|s| esc(s)).collect();
            writeln!(
                h,
                "<p class=\"mute\">Stations ({}): {}{}</p>",
                int(f.stations_total as u64),
                shown.join(", "),
                if f.stations_total > shown.len() {
                    ", …"
                } else {
                    ""
                }
            )?;
        }
        writeln!(
            h,
            "<p><b>Assumption:</b> {}</p><p><b>Caveat:</b> {}</p><p class=\"mute\">Test <code>{}</code>; source: {}.</p></div>",
            esc(&f.null),
            esc(&f.caveat),
            f.code,
            esc(&f.citation)
        )?;
    }
    for s in &r.skipped {
        writeln!(
            h,
            "<p class=\"mute\"><code>{}</code> not run: {}</p>",
            esc(&s.code),
            esc(&s.reason)
        )?;
    }
    Ok(())
}
