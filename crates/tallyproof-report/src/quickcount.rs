//! The report's quick-count section, shown when a published sample is
//! given: each option's share with its interval, the realised sample per
//! stratum, the comparison with an announcement, and what it all assumes.
//!
//! The figures come from [`tallyproof_stats::quickcount::estimate`] (the
//! combined ratio estimator, stratified, with the finite-population
//! correction; Cochran 1977, *Sampling Techniques*, 3rd ed., §6.11–6.12 for
//! the combined ratio estimate and its variance) and
//! [`tallyproof_stats::quickcount::compare`] (the announced share against
//! the interval, in standard errors; NDI, Estok, Nevitte & Cowan 2002, *The
//! Quick Count and Election Observation*, ch. 5 on sample size and margins
//! of error). This module only lays them out.

use std::fmt::Write as _;

use tallyproof_stats::quickcount::{Comparison, Estimate};

use super::{ReportError, esc, int};

/// A quick count on the sheets of a published sample.
#[derive(Debug, Clone)]
pub struct QuickCount {
    /// The estimate (shares with intervals, the realised sample, warnings,
    /// assumptions).
    pub estimate: Estimate,
    /// Sheets in hand of stations that were not drawn (left out).
    pub outside_sample: usize,
    /// The published sample's seed.
    pub seed: String,
    /// The sample file's name, as the user gave it.
    pub sample_file: String,
    /// An announcement set beside the quick count: (label, one comparison
    /// per announced total).
    pub announcement: Option<(String, Vec<Comparison>)>,
}

fn p(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

/// Writes the section.
pub(crate) fn section(h: &mut String, q: &QuickCount) -> Result<(), ReportError> {
    let e = &q.estimate;
    writeln!(
        h,
        "<h2>Quick count</h2><p>From the sheets of {} of the {} stations drawn in the published sample <code>{}</code> \
         (seed <code>{}</code>; {} other sheets in hand left out): each option's share of the options' total with its \
         {:.0}% interval.</p>",
        int(e.arrived as u64),
        int(e.drawn as u64),
        esc(&q.sample_file),
        esc(&q.seed),
        int(q.outside_sample as u64),
        e.confidence * 100.0
    )?;
    writeln!(
        h,
        "<div class=\"scroll\"><table><tr><th>option</th><th>share</th><th>interval</th><th>± pp</th></tr>"
    )?;
    let mut order: Vec<usize> = (0..e.options.len()).collect();
    order.sort_by(|&a, &b| {
        e.options[b]
            .share
            .estimate
            .total_cmp(&e.options[a].share.estimate)
    });
    for j in order {
        let s = &e.options[j].share;
        writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{} – {}</td><td>{:.2}</td></tr>",
            esc(&e.options[j].option),
            p(s.estimate),
            p(s.low),
            p(s.high),
            (s.high - s.estimate) * 100.0
        )?;
    }
    writeln!(h, "</table></div>")?;
    writeln!(
        h,
        "<p>{} leads {} by {:.2} percentage points (interval {:.2} to {:.2}).</p>",
        esc(&e.leader),
        esc(&e.runner_up),
        e.margin.estimate * 100.0,
        e.margin.low * 100.0,
        e.margin.high * 100.0
    )?;
    writeln!(
        h,
        "<h3>Realised sample</h3><div class=\"scroll\"><table><tr><th>stratum</th><th>stations</th><th>drawn</th>\
         <th>in hand</th><th>arrived</th></tr>"
    )?;
    for r in &e.realised {
        let rate = if r.drawn > 0 {
            p(r.arrived as f64 / r.drawn as f64)
        } else {
            "–".to_string()
        };
        writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{rate}</td></tr>",
            esc(&r.stratum),
            int(r.frame_stations as u64),
            int(r.drawn as u64),
            int(r.arrived as u64)
        )?;
    }
    writeln!(h, "</table></div>")?;
    if let Some(t) = &e.arrival_test {
        writeln!(
            h,
            "<p class=\"mute\">Equal arrival rates across strata: χ² = {:.2} on {} degrees of freedom, p = {:.3} \
             (chi-squared approximation).</p>",
            t.chi2, t.df, t.p_value
        )?;
    }
    for w in &e.warnings {
        writeln!(h, "<p class=\"bad\">Warning: {}</p>", esc(w))?;
    }
    if let Some((label, cs)) = &q.announcement {
        writeln!(
            h,
            "<h3>Against the announcement “{}”</h3><div class=\"scroll\"><table><tr><th>total</th><th>announced</th>\
             <th>quick count</th><th>interval</th><th>z</th><th>verdict</th></tr>",
            esc(label)
        )?;
        for c in cs {
            let q = &c.quick_count;
            let verdict = if c.inside {
                "<span class=\"good\">inside</span>".to_string()
            } else {
                format!(
                    "<span class=\"bad\">outside by {:.1} standard errors</span>",
                    c.z.abs()
                )
            };
            writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} – {}</td><td>{:+.1}</td><td>{verdict}</td></tr>",
                esc(&c.key),
                p(c.announced),
                p(q.estimate),
                p(q.low),
                p(q.high),
                c.z
            )?;
        }
        writeln!(
            h,
            "</table></div><p class=\"mute\">z = (announced − quick count) / standard error. An announced share \
             outside the interval is one the sample makes unlikely if every assumption below holds; it is not \
             by itself proof of a wrong count.</p>"
        )?;
    }
    writeln!(
        h,
        "<p><b>Method:</b> {}.</p><p><b>Assumes:</b> {}.</p>",
        esc(&e.method),
        esc(&e.assumptions.join("; "))
    )?;
    Ok(())
}
