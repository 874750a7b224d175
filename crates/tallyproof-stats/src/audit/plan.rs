//! Sample sizes before the audit, per method, under stated assumptions.
//! A size is a planning figure, not a guarantee: the audit stops when the
//! risk measured on the audited sheets reaches α, whatever the plan said
//! (Lindeman & Stark 2012, "A Gentle Introduction to Risk-Limiting
//! Audits", IEEE Security & Privacy 10(5), on initial sample sizes and
//! escalation).
//!
//! - MACRO: Arlo's first-round size (no discrepancies, one draw added;
//!   Stark 2009 §3 eq. (13) solved for n);
//!   with an assumed error rate, the first draw at which the risk reaches
//!   α when every ⌊1/r⌋-th draw, starting with the first, has the taint of
//!   an error of `error_votes` votes in a station of average bound.
//! - ALPHA: SHANGRLA's `Assertion.find_sample_size` with `reps=None`
//!   (its planning rule for a hypothesised population): the
//!   first draw at which the risk reaches α over a population of N sheets
//!   where every ⌊1/r⌋-th sheet, starting with the first, overstates the
//!   pair's margin by `error_votes` votes and the others are exact.
//! - BRAVO: Arlo's `get_sample_size` (Lindeman, Stark & Yates 2012 §3 eq.
//!   (4) for the ASN; the reported shares are right; there
//!   are no "errors" in ballot polling, only the true shares), with the
//!   expected number of distinct stations the ballots are in.

use serde::{Deserialize, Serialize};

use super::assertions::{Assertion, Method};
use super::assorter::Assorter;
use super::bravo::{self, Pair};
use super::{AuditError, Reported, check_risk_limit};

/// What a plan assumes about the sheets.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Assumptions {
    /// Fraction of sheets whose audited result differs, in [0, 1).
    pub error_rate: f64,
    /// Votes by which each such sheet overstates the margin between the
    /// winner and each loser (a vote moved from the winner to the loser
    /// counts 2).
    pub error_votes: f64,
}

impl Assumptions {
    /// No errors.
    pub const EXACT: Assumptions = Assumptions {
        error_rate: 0.0,
        error_votes: 0.0,
    };

    /// For people: "no discrepancies" or "1.00% of sheets overstate the
    /// margin by 2 votes".
    pub fn describe(&self) -> String {
        if self.error_rate <= 0.0 || self.error_votes <= 0.0 {
            "no discrepancies".to_string()
        } else {
            format!(
                "{:.2}% of sheets overstate the margin by {} votes",
                self.error_rate * 100.0,
                self.error_votes
            )
        }
    }
}

/// One method's planned first round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanRow {
    /// The method.
    pub method: Method,
    /// "stations" or "ballots".
    pub unit: String,
    /// Draws expected to reach the risk limit (the largest over the
    /// assertions), at most the population (then a full hand count).
    pub size: u64,
    /// Expected distinct stations to visit for these draws.
    pub stations: f64,
    /// The size is the whole population: count everything by hand.
    pub full_count: bool,
    /// What the figure assumes, in words.
    pub assumption: String,
    /// Per assertion: (label, size).
    pub per_assertion: Vec<(String, u64)>,
    /// For BRAVO: Arlo's sizes by probability of finishing in one round.
    pub options: Vec<bravo::SizeOption>,
}

/// Expected distinct stations among `n` draws with replacement, station p
/// drawn with probability w_p/W each time: Σ_p 1 − (1 − w_p/W)^n.
fn distinct(weights: &[f64], n: u64) -> f64 {
    let total: f64 = weights.iter().sum();
    weights
        .iter()
        .map(|w| 1.0 - (1.0 - w / total).powf(n as f64))
        .sum()
}

/// The sequence SHANGRLA's `find_sample_size` builds: `n` values `big`,
/// with `small` at indices 0, k, 2k, … for k = ⌊1/rate⌋.
fn interleaved(n: usize, big: f64, small: f64, rate: f64) -> Vec<f64> {
    let mut x = vec![big; n];
    if rate > 0.0 {
        let k = ((1.0 / rate) as usize).max(1);
        for v in x.iter_mut().step_by(k) {
            *v = small;
        }
    }
    x
}

/// The planned first round of one method.
pub fn plan(
    rep: &Reported,
    method: Method,
    alpha: f64,
    assume: Assumptions,
) -> Result<PlanRow, AuditError> {
    let alpha = check_risk_limit(alpha)?;
    let out = rep.outcome()?;
    let stations = rep.stations.len();
    let asserts: Vec<Assertion> = method.assertions(rep, &out);
    let errs = assume.error_rate > 0.0 && assume.error_votes > 0.0;
    let mut per = Vec::new();
    let mut options = Vec::new();
    let ballots: Vec<f64> = rep.stations.iter().map(|s| s.ballots as f64).collect();
    let (unit, size, visit, assumption) = match method {
        Method::Macro => {
            let a = &asserts[0];
            let Assorter::MacroTaint(m) = &a.assorter else {
                return Err(AuditError::State("MACRO without its assorter".into()));
            };
            let size = if errs {
                let v_min = m.pairs.iter().map(|p| p.2).min().unwrap_or(1).max(1) as f64;
                let taint = (assume.error_votes / v_min) / (m.total / stations as f64);
                let x = interleaved(
                    stations,
                    a.assorter.upper_bound(),
                    (1.0 - taint.min(1.0)) * a.assorter.upper_bound(),
                    assume.error_rate,
                );
                a.test.first_crossing(&x, alpha).unwrap_or(stations as u64)
            } else {
                m.sample_size(alpha, 1.0, false, stations)
            };
            per.push((a.label.clone(), size));
            let w = &m.max_error;
            let text = if errs {
                format!(
                    "{}, each a taint of that many votes over the smallest pairwise margin in a station of average bound; stations drawn with probability proportional to their bound u_p, with replacement",
                    assume.describe()
                )
            } else {
                "no discrepancies, one draw added (Arlo); stations drawn with probability proportional to their bound u_p, with replacement".to_string()
            };
            ("stations", size, distinct(w, size), text)
        }
        Method::Alpha => {
            let mut worst = 0;
            for a in &asserts {
                let Assorter::SheetOverstatement(s) = &a.assorter else {
                    continue;
                };
                let small = s.of_overstatement(s.omega_for_votes(assume.error_votes));
                let x = interleaved(stations, s.of_overstatement(0.0), small, assume.error_rate);
                let n = a
                    .test
                    .sample_size_repeated(&x, alpha)
                    .unwrap_or(stations as u64);
                per.push((a.label.clone(), n));
                worst = worst.max(n);
            }
            let text = format!(
                "{}; sheets drawn uniformly without replacement; ALPHA with SHANGRLA's default alternative (η = (1/2 + u)/2)",
                assume.describe()
            );
            ("stations", worst, worst as f64, text)
        }
        Method::Bravo => {
            let n = out.ballots as f64;
            let pairs: Vec<Pair> = out
                .losers
                .iter()
                .map(|&l| Pair {
                    p_w: out.totals[out.winner] as f64 / n,
                    p_l: out.totals[l] as f64 / n,
                    sample_w: 0,
                    sample_l: 0,
                })
                .collect();
            options = bravo::sample_sizes(alpha, &pairs, out.ballots).unwrap_or_default();
            let pick = options
                .iter()
                .find(|o| o.label == "0.9")
                .or_else(|| options.first())
                .map_or(out.ballots, |o| o.size);
            for (a, p) in asserts.iter().zip(&pairs) {
                if p.p_l > 0.0 {
                    per.push((a.label.clone(), p.quantile_size(alpha, 0.9, out.ballots)));
                }
            }
            let text = "the reported shares are the true shares; ballots drawn uniformly with replacement; the size finishes in one round with probability 0.9 (Arlo)".to_string();
            ("ballots", pick, distinct(&ballots, pick), text)
        }
    };
    let population = match method {
        Method::Bravo => out.ballots,
        _ => stations as u64,
    };
    Ok(PlanRow {
        method,
        unit: unit.to_string(),
        size: size.min(population),
        stations: visit.min(stations as f64),
        full_count: size >= population,
        assumption,
        per_assertion: per,
        options,
    })
}
