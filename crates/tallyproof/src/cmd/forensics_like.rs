//! `tallyproof forensics --calibrate-like N`: the suite's rejection rate on
//! N clean look-alikes of the election at hand (the election's own fitted
//! shape, `tallyproof_stats::like`), printed beside each test's p-value;
//! the headline then names only findings from tests whose look-alike rate
//! lies within the binomial band for N.

use anyhow::Result;
use tallyproof_core::{Config, Dataset};
use tallyproof_stats::forensics::calibrate::{LikeCalibration, calibrate_like};
use tallyproof_stats::forensics::{Options, SuiteReport};
use tallyproof_stats::like;

use crate::progress::Bar;

/// Fits the look-alike to the sheets and runs the tests of `report` on `n`
/// of them, with the suite's settings and seed.
pub fn calibrate(
    config: &Config,
    data: &Dataset,
    report: &SuiteReport,
    options: &Options,
    n: usize,
) -> Result<LikeCalibration> {
    let shape = like::fit_dataset(config, data, like::default_level(config))?;
    let names: Vec<&str> = report.findings.iter().map(|f| f.code).collect();
    let bar = Bar::items(n as u64, "look-alikes");
    let cal = calibrate_like(&shape, &names, options, n, options.seed, &|_| bar.inc(1));
    bar.finish();
    Ok(cal?)
}

fn pct(x: f64) -> String {
    if x.is_nan() {
        "-".into()
    } else {
        format!("{:.1}%", 100.0 * x)
    }
}

/// The text view: per test, its p-values beside its look-alike rate, then
/// the headline (`report` with the calibration applied).
pub fn render(cal: &LikeCalibration, report: &SuiteReport) -> String {
    let mut out = format!(
        "== Calibration on {} clean look-alikes of this election (seed {}; a test rejects a clean election at p ≤ {} about {:.0}% of the time: calibrated band {}–{}, {})\n",
        cal.elections,
        cal.seed,
        cal.level,
        100.0 * cal.level,
        pct(cal.band.0),
        pct(cal.band.1),
        cal.band_rule
    );
    out.push_str(&format!(
        "{:<26} {:>10} {:>10} {:>22}  {}\n",
        "test", "p", "BH p", "look-alike rejections", "calibrated"
    ));
    for f in &report.findings {
        let p = f.p_value.map_or("-".into(), |p| format!("{p:.4}"));
        let q = f.p_adjusted.map_or("-".into(), |p| format!("{p:.4}"));
        let (rate, ok) = match cal.rate(f.code) {
            _ if f.p_value.is_none() => ("-".into(), "n/a (a listing, no p-value)".into()),
            Some(t) => (
                format!("{} of {} ({})", t.rejections, t.runs, pct(t.rate)),
                if t.calibrated { "yes" } else { "NO" }.to_string(),
            ),
            None if cal.not_applicable.iter().any(|c| c == f.code) => (
                "-".into(),
                "n/a (its null does not involve the stations)".into(),
            ),
            None => ("-".into(), "not run".into()),
        };
        out.push_str(&format!(
            "{:<26} {:>10} {:>10} {:>22}  {}\n",
            f.code, p, q, rate, ok
        ));
    }
    let head = cal.headline(report);
    let dropped: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.p_value.is_some_and(|p| p <= report.level) && !cal.admits(f.code))
        .map(|f| f.code)
        .collect();
    if head.is_empty() {
        out.push_str("headline: no finding from a test calibrated on look-alikes of this election is significant after Benjamini–Hochberg.\n");
    } else {
        let names: Vec<String> = head.iter().map(|f| f.title.clone()).collect();
        out.push_str(&format!(
            "headline: significant after Benjamini–Hochberg at {}, from tests calibrated on look-alikes: {}.\n",
            report.level,
            names.join("; ")
        ));
    }
    if !dropped.is_empty() {
        out.push_str(&format!(
            "left out of the headline (p ≤ {} here, but their rate on clean look-alikes of this election is outside the band): {}.\n",
            report.level,
            dropped.join(", ")
        ));
    }
    out
}
