//! Calibration of the suite on clean look-alikes of the election at hand.
//!
//! A test's p-value is only as good as its null. The simulated nulls are
//! checked on a generic simulated country (the calibration example); an
//! election differs from it (station sizes, regional turnout, tiny
//! parties), so [`calibrate_like`] runs the same tests, with the same
//! settings, on `N` clean elections drawn from the election's own fitted
//! shape ([`crate::like`]) and counts how often each rejects at the level.
//! A calibrated test rejects a clean election at about the level: the
//! count is Binomial(N, level), and a rate outside its central 95% band
//! ([`binomial_band`], never narrower than 3.5–6.5% at 0.05) says the
//! test's null does not hold for elections of this shape, so its finding
//! on the real election is not evidence of manipulation by itself.
//! [`LikeCalibration::headline`] keeps, of the findings significant after
//! Benjamini–Hochberg, those from tests calibrated on the look-alikes.
//!
//! The look-alikes are clean under the fitted model, which leaves out the
//! clustering below the region and any dependence of turnout on size or
//! support (see [`crate::like`]); a test that is calibrated on them is
//! calibrated against that model, not against every clean election.

use serde::Serialize;

use super::{
    ANNOUNCEMENT_PERCENTAGES, Finding, ForensicsError, Input, Options, Stations, SuiteReport,
    benjamini_hochberg, run_suite,
};
use crate::like::{Shape, generate};

/// One test's rejections on the look-alikes.
#[derive(Debug, Clone, Serialize)]
pub struct TestRate {
    /// Test code.
    pub code: String,
    /// Look-alikes on which the test gave a p-value.
    pub runs: usize,
    /// Of those, how many had p ≤ the level.
    pub rejections: usize,
    /// `rejections / runs`.
    pub rate: f64,
    /// Whether the rate lies within [`LikeCalibration::band`].
    pub calibrated: bool,
}

/// The suite's calibration on clean look-alikes of one election.
#[derive(Debug, Clone, Serialize)]
pub struct LikeCalibration {
    /// Look-alikes drawn.
    pub elections: usize,
    /// Seed of the look-alikes (look-alike `i` is drawn with `seed + i`,
    /// its nulls with the suite's seed `+ i`).
    pub seed: u64,
    /// The level each p-value is compared with.
    pub level: f64,
    /// Band of rejection rates counted as calibrated.
    pub band: (f64, f64),
    /// How the band was set, in words.
    pub band_rule: String,
    /// Per test, in the order asked.
    pub tests: Vec<TestRate>,
    /// Tests whose null does not involve the stations, so that look-alikes
    /// cannot calibrate them (the back-computed announcement).
    pub not_applicable: Vec<String>,
}

/// Central 95% band of the rejection rate of a calibrated test on `n`
/// clean elections at `level`: the 2.5% and 97.5% quantiles of
/// Binomial(n, level) over n, widened to at least `level ± 0.3·level`
/// (3.5–6.5% at 0.05, the band of the forensic calibration table).
pub fn binomial_band(n: usize, level: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    // pmf by the recurrence pmf(k+1) = pmf(k)·(n−k)/(k+1)·p/(1−p), in logs.
    let p = level.clamp(1e-12, 1.0 - 1e-12);
    let mut logpmf = n as f64 * (1.0 - p).ln();
    let mut cdf = 0.0;
    let (mut lo, mut hi) = (None, None);
    for k in 0..=n {
        cdf += logpmf.exp();
        if lo.is_none() && cdf >= 0.025 {
            lo = Some(k);
        }
        if hi.is_none() && cdf >= 0.975 {
            hi = Some(k);
            break;
        }
        logpmf += ((n - k) as f64 / (k + 1) as f64).ln() + (p / (1.0 - p)).ln();
    }
    let nf = n as f64;
    let lo = lo.unwrap_or(0) as f64 / nf;
    let hi = hi.unwrap_or(n) as f64 / nf;
    (lo.min(0.7 * level), hi.max(1.3 * level))
}

/// Runs the tests `names` with `options` on `elections` clean look-alikes
/// of `shape` (all sheets in hand), seeded by `seed`; `done(i)` is called
/// after each look-alike (for progress).
pub fn calibrate_like(
    shape: &Shape,
    names: &[&str],
    options: &Options,
    elections: usize,
    seed: u64,
    done: &dyn Fn(usize),
) -> Result<LikeCalibration, ForensicsError> {
    let not_applicable: Vec<String> = names
        .iter()
        .filter(|n| **n == ANNOUNCEMENT_PERCENTAGES)
        .map(|n| n.to_string())
        .collect();
    let run: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| *n != ANNOUNCEMENT_PERCENTAGES)
        .collect();
    let mut counts: Vec<(usize, usize)> = vec![(0, 0); run.len()];
    for i in 0..elections {
        let sim = generate(shape, seed.wrapping_add(i as u64), 0.0)
            .map_err(|e| ForensicsError::InvalidOption(e.to_string()))?;
        let st = Stations::from(&sim);
        let opts = Options {
            seed: options.seed.wrapping_add(i as u64),
            ..options.clone()
        };
        let rep = run_suite(&run, &Input::new(&st), &opts)?;
        for f in &rep.findings {
            if let (Some(p), Some(t)) = (f.p_value, run.iter().position(|n| *n == f.code)) {
                counts[t].0 += 1;
                if p <= options.level {
                    counts[t].1 += 1;
                }
            }
        }
        done(i + 1);
    }
    let band = binomial_band(elections, options.level);
    let tests = run
        .iter()
        .zip(&counts)
        .map(|(code, &(runs, rejections))| {
            let rate = if runs > 0 {
                rejections as f64 / runs as f64
            } else {
                f64::NAN
            };
            TestRate {
                code: code.to_string(),
                runs,
                rejections,
                rate,
                calibrated: runs > 0 && band.0 <= rate && rate <= band.1,
            }
        })
        .collect();
    Ok(LikeCalibration {
        elections,
        seed,
        level: options.level,
        band,
        band_rule: format!(
            "central 95% of Binomial({elections}, {}) over {elections}, at least {:.1}–{:.1}%",
            options.level,
            70.0 * options.level,
            130.0 * options.level
        ),
        tests,
        not_applicable,
    })
}

impl LikeCalibration {
    /// The rate of test `code`, if it ran on the look-alikes.
    pub fn rate(&self, code: &str) -> Option<&TestRate> {
        self.tests.iter().find(|t| t.code == code)
    }

    /// Whether a finding of test `code` may be named in a headline: its
    /// look-alike rejection rate is within the band, or its null does not
    /// involve the stations.
    pub fn admits(&self, code: &str) -> bool {
        self.not_applicable.iter().any(|c| c == code)
            || self.rate(code).is_some_and(|t| t.calibrated)
    }

    /// The findings a headline may name: significant after
    /// Benjamini–Hochberg, from a test the look-alikes admit.
    pub fn headline<'a>(&self, report: &'a SuiteReport) -> Vec<&'a Finding> {
        report
            .significant()
            .filter(|f| self.admits(f.code))
            .collect()
    }

    /// Applies the calibration to the report of the real election: a test
    /// the look-alikes do not admit is marked not calibrated, and
    /// Benjamini–Hochberg is redone over the tests still calibrated, so
    /// that the report's own headline ([`SuiteReport::summary`]) names only
    /// findings from tests calibrated at this size and on look-alikes.
    pub fn apply(&self, report: &mut SuiteReport) {
        for f in &mut report.findings {
            if !self.admits(f.code) {
                f.calibrated = false;
            }
        }
        let ps: Vec<Option<f64>> = report
            .findings
            .iter()
            .map(|f| if f.calibrated { f.p_value } else { None })
            .collect();
        for (f, a) in report.findings.iter_mut().zip(benjamini_hochberg(&ps)) {
            f.p_adjusted = a;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forensics::{INTEGER_PERCENTAGES, LAST_DIGIT};
    use crate::like::{counts_of, fit};
    use crate::simulate::{SimParams, simulate};

    #[test]
    fn band_by_hand() {
        // Binomial(20, 0.05): P(0) = 0.95^20 = 0.3585 ≥ 0.025, so lo = 0;
        // P(≤2) = 0.3585 + 0.3774 + 0.1887 = 0.9245, P(≤3) = 0.9245 +
        // 0.0596 = 0.9841 ≥ 0.975, so hi = 3: 0–15%.
        let (lo, hi) = binomial_band(20, 0.05);
        assert_eq!(lo, 0.0);
        assert!((hi - 0.15).abs() < 1e-12, "{hi}");
        // Large n: the binomial band is narrower than 3.5–6.5%, which wins.
        let (lo, hi) = binomial_band(100_000, 0.05);
        assert!((lo - 0.035).abs() < 1e-12 && (hi - 0.065).abs() < 1e-12);
        // n = 500: mean 25, sd 4.87: about 16/500 to 35/500.
        let (lo, hi) = binomial_band(500, 0.05);
        assert!((0.030..0.035).contains(&lo), "{lo}");
        assert!((0.068..0.074).contains(&hi), "{hi}");
    }

    #[test]
    fn clean_look_alikes_reject_about_at_the_level() {
        // A clean simulated election of 3,000 stations, fitted, and 40
        // look-alikes through two quick tests: each rate must lie within
        // the Binomial(40, 0.05) band (0–12.5%); a test that rejected clean
        // look-alikes routinely would fail here.
        let sim = simulate(&SimParams {
            stations: 3000,
            options: 4,
            seed: 21,
            missing_share: 0.0,
        })
        .unwrap();
        let shape = fit(&counts_of(&sim)).unwrap();
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let cal = calibrate_like(
            &shape,
            &[INTEGER_PERCENTAGES, LAST_DIGIT, ANNOUNCEMENT_PERCENTAGES],
            &Options {
                seed: 3,
                replicates: 200,
                level: 0.05,
            },
            40,
            77,
            &|_| {
                calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            },
        )
        .unwrap();
        assert_eq!(calls.into_inner(), 40);
        assert_eq!(cal.not_applicable, vec![ANNOUNCEMENT_PERCENTAGES]);
        assert_eq!(cal.tests.len(), 2);
        let (lo, hi) = binomial_band(40, 0.05);
        assert_eq!((lo, hi), cal.band);
        for t in &cal.tests {
            assert_eq!(t.runs, 40, "{}", t.code);
            assert!(t.calibrated, "{}: {} of 40", t.code, t.rejections);
        }
    }

    #[test]
    fn headline_drops_uncalibrated_tests() {
        let mut a = Finding::new(LAST_DIGIT, "last");
        a.p_value = Some(0.001);
        a.p_adjusted = Some(0.002);
        let mut b = Finding::new(INTEGER_PERCENTAGES, "whole");
        b.p_value = Some(0.001);
        b.p_adjusted = Some(0.002);
        let mut c = Finding::new(ANNOUNCEMENT_PERCENTAGES, "announcement");
        c.p_value = Some(0.001);
        c.p_adjusted = Some(0.002);
        for f in [&mut a, &mut b, &mut c] {
            f.calibrated = true;
        }
        let report = SuiteReport {
            seed: 1,
            replicates: 100,
            level: 0.05,
            findings: vec![a, b, c],
            skipped: vec![],
        };
        let cal = LikeCalibration {
            elections: 100,
            seed: 1,
            level: 0.05,
            band: binomial_band(100, 0.05),
            band_rule: String::new(),
            tests: vec![
                TestRate {
                    code: LAST_DIGIT.into(),
                    runs: 100,
                    rejections: 60,
                    rate: 0.6,
                    calibrated: false,
                },
                TestRate {
                    code: INTEGER_PERCENTAGES.into(),
                    runs: 100,
                    rejections: 5,
                    rate: 0.05,
                    calibrated: true,
                },
            ],
            not_applicable: vec![ANNOUNCEMENT_PERCENTAGES.into()],
        };
        let h: Vec<&str> = cal.headline(&report).iter().map(|f| f.code).collect();
        assert_eq!(h, vec![INTEGER_PERCENTAGES, ANNOUNCEMENT_PERCENTAGES]);
        // Applied to the report, the last-digit test leaves the correction:
        // two p-values of 0.001 adjust to 0.001·2/2 = 0.001 each.
        let mut report = report;
        cal.apply(&mut report);
        assert!(!report.findings[0].calibrated);
        assert_eq!(report.findings[0].p_adjusted, None);
        assert_eq!(report.findings[1].p_adjusted, Some(0.001));
        let sig: Vec<&str> = report.significant().map(|f| f.code).collect();
        assert_eq!(sig, vec![INTEGER_PERCENTAGES, ANNOUNCEMENT_PERCENTAGES]);
    }
}
