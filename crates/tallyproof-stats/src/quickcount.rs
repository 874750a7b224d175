//! Quick counts (parallel vote tabulation): the sample size for a target
//! margin, and each option's share estimated from the sheets of a random
//! sample of stations, with its interval.
//!
//! # Design
//!
//! Stations are drawn by the consistent sampler ([`crate::sample`]) within
//! strata; each station is a cluster of voters (NDI: Estok, Nevitte & Cowan
//! 2002, *The Quick Count and Election Observation*, ch. 5: the sampling unit
//! is the polling station, the margin depends on the number of stations and
//! on how alike voters within a station are).
//!
//! # Estimator
//!
//! The share of option `j` is the ratio `R = Y / X` of its votes to the
//! options' total. With `N_h` stations in stratum `h` of the frame and `n_h`
//! sheets of its sampled stations in hand, the combined ratio estimate in
//! stratified random sampling (Cochran 1977, *Sampling Techniques*, 3rd
//! ed., ch. 6 §6.10–6.11, "the combined ratio estimate", its variance by
//! linearisation as in §6.3) is
//!
//! `R̂ = Σ_h N_h ȳ_h / Σ_h N_h x̄_h`,
//!
//! with the linearised variance, finite-population correction included,
//!
//! `v(R̂) = (1 / X̂²) Σ_h N_h² (1 − n_h/N_h) s²_{d,h} / n_h`, `d_i = y_i − R̂ x_i`,
//!
//! `X̂ = Σ_h N_h x̄_h`, `s²_{d,h}` the sample variance of `d` in stratum `h`.
//! The interval is `R̂ ± z·√v` (normal approximation). A margin between two
//! options uses `y = y_a − y_b`; a group of options, the sum of its votes.
//!
//! # Plan
//!
//! For stations as clusters, the within-stratum variance of `d` is modelled
//! from the registry's station sizes (Kish 1965, ch. 5, design effect of
//! cluster sampling `1 + ρ (m − 1)`, with the size-weighted cluster size
//! `m = E[x²] / E[x]` for unequal clusters):
//!
//! `S²_{d,h} = σ² (E_h[x] + ρ (E_h[x²] − E_h[x]))`, `x = turnout × registered`,
//!
//! with `σ² = p(1 − p)` for a share `p` and `σ² = p₁ + p₂ − (p₁ − p₂)²` for
//! the margin between the first two; or `S²_{d,h}` measured on a pilot
//! (sheets of an earlier election or of a first sample at the same kind of
//! stations). With proportional allocation (Cochran 1977 ch. 5 §5.3, and
//! the sample size for a half-width with the finite-population correction
//! as for a proportion in §4.4) the
//! variance is `(1/n − 1/N) Σ_h W_h S²_{d,h} / x̄²`, so the total `n` for a
//! half-width `E` at normal quantile `z` is
//! `n = 1 / ((E/z)² x̄² / Σ_h W_h S²_{d,h} + 1/N)`; each stratum's share is
//! then raised for the stations expected never to report.
//!
//! # Assumptions
//!
//! The frame is complete; the seed was fixed before any result was seen;
//! within each stratum the sheets that arrive are a random subset of the
//! sampled stations (missing at random), and sheets are independent within
//! strata. Every result carries them.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};
use tallyproof_core::Sheets;

use crate::sample::{Frame, PublishedSample, proportional_allocation};

/// Errors of quick counts.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QuickCountError {
    /// A parameter is out of range.
    #[error("invalid parameter: {0}")]
    Param(String),
    /// No sheet of a sampled station is in hand.
    #[error("no sheet of a sampled station is in hand: nothing to estimate from")]
    NoArrivals,
    /// The registry gives no registered voters to size stations by.
    #[error(
        "the frame gives no registered voters per station, so the design effect cannot be \
         computed from station sizes: give a pilot (sheets of an earlier election) or a registry \
         with registered voters"
    )]
    NoSizes,
    /// A published sample drawn with replacement.
    #[error(
        "the sample was drawn with replacement; the quick-count estimator is for a sample of \
         distinct stations drawn without replacement"
    )]
    WithReplacement,
}

/// The assumptions every quick-count figure rests on.
pub fn assumptions() -> Vec<String> {
    vec![
        "the frame is complete (every station that exists could be drawn)".into(),
        "the seed was fixed, and its commitment published, before any result was seen".into(),
        "within each stratum the sheets in hand are a random subset of the sampled stations \
         (missing at random), and sheets are independent within strata"
            .into(),
        "intervals use the normal approximation to the stratified ratio estimator".into(),
    ]
}

fn z_of(confidence: f64) -> Result<f64, QuickCountError> {
    if !(0.5..1.0).contains(&confidence) {
        return Err(QuickCountError::Param(format!(
            "confidence must be in [0.5, 1), got {confidence}"
        )));
    }
    let n = Normal::new(0.0, 1.0).map_err(|e| QuickCountError::Param(e.to_string()))?;
    Ok(n.inverse_cdf(0.5 + confidence / 2.0))
}

/// One stratum's sample: the sheets in hand of its sampled stations.
#[derive(Debug, Clone, Default)]
pub struct StratumInput {
    /// The stratum.
    pub name: String,
    /// Stations of the stratum in the frame (`N_h`).
    pub frame_stations: usize,
    /// Stations drawn.
    pub drawn: usize,
    /// Per sheet in hand: votes per option (config order).
    pub sheets: Vec<Vec<u64>>,
}

/// The sheets of a published sample's stations, per stratum, and how many
/// sheets were of stations outside the sample (ignored).
#[derive(Debug, Clone)]
pub struct Matched {
    /// Per stratum of the sample.
    pub strata: Vec<StratumInput>,
    /// Sheets of stations not in the sample, ignored.
    pub outside_sample: usize,
}

/// Pick the sheets of the sample's stations out of the sheets read.
pub fn match_sheets(sample: &PublishedSample, sheets: &Sheets) -> Result<Matched, QuickCountError> {
    if sample.with_replacement {
        return Err(QuickCountError::WithReplacement);
    }
    let mut where_: HashMap<&str, usize> = HashMap::new();
    let mut strata: Vec<StratumInput> = sample
        .strata
        .iter()
        .enumerate()
        .map(|(h, s)| {
            for d in &s.draws {
                where_.insert(d.id.as_str(), h);
            }
            StratumInput {
                name: s.name.clone(),
                frame_stations: s.frame_stations,
                drawn: s.draws.len(),
                sheets: Vec::new(),
            }
        })
        .collect();
    let mut outside = 0;
    for i in 0..sheets.len() {
        match where_.get(sheets.station.get(i)) {
            Some(&h) => strata[h]
                .sheets
                .push(sheets.votes.iter().map(|v| u64::from(v[i])).collect()),
            None => outside += 1,
        }
    }
    Ok(Matched {
        strata,
        outside_sample: outside,
    })
}

/// An estimate with its standard error and interval.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Interval {
    /// The estimate.
    pub estimate: f64,
    /// Its standard error.
    pub se: f64,
    /// Lower end.
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

/// Per stratum: `N_h`, `n_h` and the sheets' (x, y).
type StratumPoints = (f64, f64, Vec<(f64, f64)>);

/// The combined ratio estimate of `Σ w·votes / Σ votes` and its standard
/// error (Cochran 1977, ch. 6, combined ratio estimate; variance by
/// linearisation with the finite-population correction). Strata without a
/// sheet are left out; a stratum with one sheet borrows the pooled
/// within-stratum variance (collapsed strata).
fn ratio(strata: &[StratumInput], w: &[f64]) -> (f64, f64) {
    let mut yh = 0.0;
    let mut xh = 0.0;
    let mut per: Vec<StratumPoints> = Vec::new();
    for s in strata.iter().filter(|s| !s.sheets.is_empty()) {
        let pts: Vec<(f64, f64)> = s
            .sheets
            .iter()
            .map(|v| {
                let x: f64 = v.iter().map(|&c| c as f64).sum();
                let y: f64 = v.iter().zip(w).map(|(&c, &wj)| c as f64 * wj).sum();
                (x, y)
            })
            .collect();
        let n = pts.len() as f64;
        let big_n = (s.frame_stations as f64).max(n);
        yh += big_n * pts.iter().map(|p| p.1).sum::<f64>() / n;
        xh += big_n * pts.iter().map(|p| p.0).sum::<f64>() / n;
        per.push((big_n, n, pts));
    }
    if xh <= 0.0 {
        return (f64::NAN, f64::NAN);
    }
    let r = yh / xh;
    let var_of = |pts: &[(f64, f64)]| -> Option<f64> {
        let n = pts.len();
        if n < 2 {
            return None;
        }
        let d: Vec<f64> = pts.iter().map(|&(x, y)| y - r * x).collect();
        let m = d.iter().sum::<f64>() / n as f64;
        Some(d.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1) as f64)
    };
    let vars: Vec<Option<f64>> = per.iter().map(|p| var_of(&p.2)).collect();
    let pooled = {
        let (mut num, mut den) = (0.0, 0.0);
        for (p, v) in per.iter().zip(&vars) {
            if let Some(v) = v {
                num += v * (p.1 - 1.0);
                den += p.1 - 1.0;
            }
        }
        if den > 0.0 { num / den } else { 0.0 }
    };
    let mut v = 0.0;
    for (p, s2) in per.iter().zip(&vars) {
        let (big_n, n) = (p.0, p.1);
        v += big_n * big_n * (1.0 - n / big_n) * s2.unwrap_or(pooled) / n;
    }
    (r, (v / (xh * xh)).sqrt())
}

fn interval(strata: &[StratumInput], w: &[f64], z: f64) -> Interval {
    let (e, se) = ratio(strata, w);
    Interval {
        estimate: e,
        se,
        low: e - z * se,
        high: e + z * se,
    }
}

/// One option's estimated share.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OptionShare {
    /// The option's key.
    pub option: String,
    /// Its share of the options' total.
    pub share: Interval,
}

/// How one stratum's sample arrived.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Realised {
    /// The stratum.
    pub stratum: String,
    /// Stations in the frame.
    pub frame_stations: usize,
    /// Stations drawn.
    pub drawn: usize,
    /// Sheets in hand.
    pub arrived: usize,
}

/// Chi-squared test that the arrival rate is the same in every stratum.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ArrivalTest {
    /// The statistic.
    pub chi2: f64,
    /// Degrees of freedom (strata − 1).
    pub df: usize,
    /// Its p-value (chi-squared approximation).
    pub p_value: f64,
}

/// The quick count.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Estimate {
    /// The estimator.
    pub method: String,
    /// The confidence level of the intervals.
    pub confidence: f64,
    /// The normal quantile used.
    pub z: f64,
    /// Each option's share, in config order.
    pub options: Vec<OptionShare>,
    /// The leader (largest estimated share).
    pub leader: String,
    /// The runner-up.
    pub runner_up: String,
    /// Leader's share minus runner-up's, with its interval.
    pub margin: Interval,
    /// Per stratum: drawn and arrived.
    pub realised: Vec<Realised>,
    /// Stations drawn in all.
    pub drawn: usize,
    /// Sheets in hand in all.
    pub arrived: usize,
    /// Test of equal arrival rates across strata, when there are two or more.
    pub arrival_test: Option<ArrivalTest>,
    /// Warnings about the sample (bias risks).
    pub warnings: Vec<String>,
    /// What every figure assumes.
    pub assumptions: Vec<String>,
}

/// Estimate each option's share from the sheets of the sampled stations.
pub fn estimate(
    option_keys: &[String],
    strata: &[StratumInput],
    confidence: f64,
) -> Result<Estimate, QuickCountError> {
    let z = z_of(confidence)?;
    let k = option_keys.len();
    let arrived: usize = strata.iter().map(|s| s.sheets.len()).sum();
    let total_votes: u64 = strata.iter().flat_map(|s| &s.sheets).flatten().sum();
    if arrived == 0 || total_votes == 0 {
        return Err(QuickCountError::NoArrivals);
    }
    let unit = |j: usize| -> Vec<f64> { (0..k).map(|i| if i == j { 1.0 } else { 0.0 }).collect() };
    let options: Vec<OptionShare> = (0..k)
        .map(|j| OptionShare {
            option: option_keys[j].clone(),
            share: interval(strata, &unit(j), z),
        })
        .collect();
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| {
        options[b]
            .share
            .estimate
            .total_cmp(&options[a].share.estimate)
    });
    let (a, b) = (order[0], order.get(1).copied().unwrap_or(order[0]));
    let mut w = vec![0.0; k];
    w[a] += 1.0;
    w[b] -= 1.0;
    let margin = interval(strata, &w, z);
    let drawn: usize = strata.iter().map(|s| s.drawn).sum();
    let realised: Vec<Realised> = strata
        .iter()
        .map(|s| Realised {
            stratum: s.name.clone(),
            frame_stations: s.frame_stations,
            drawn: s.drawn,
            arrived: s.sheets.len(),
        })
        .collect();
    let arrival_test = arrival_test(&realised);
    let mut warnings = Vec::new();
    let empty: Vec<&str> = realised
        .iter()
        .filter(|r| r.drawn > 0 && r.arrived == 0)
        .map(|r| r.stratum.as_str())
        .collect();
    if !empty.is_empty() {
        warnings.push(format!(
            "no sheet in hand from {} stratum(s) ({}): the estimate covers only the other strata \
             and is biased if these vote differently",
            empty.len(),
            empty.join(", ")
        ));
    }
    let single = realised.iter().filter(|r| r.arrived == 1).count();
    if single > 0 {
        warnings.push(format!(
            "{single} stratum(s) with a single sheet in hand borrow the pooled within-stratum variance"
        ));
    }
    if let Some(t) = &arrival_test
        && t.p_value < 0.05
    {
        let mut rates: Vec<(f64, &str)> = realised
            .iter()
            .filter(|r| r.drawn > 0)
            .map(|r| (r.arrived as f64 / r.drawn as f64, r.stratum.as_str()))
            .collect();
        rates.sort_by(|x, y| x.0.total_cmp(&y.0));
        let low: Vec<String> = rates
            .iter()
            .take(3)
            .map(|(r, s)| format!("{s} {:.0}%", r * 100.0))
            .collect();
        warnings.push(format!(
            "arrivals differ by stratum (chi² = {:.1}, df = {}, p = {:.2e}; lowest: {}): the \
             estimator weights each stratum by its stations, but if within a stratum the sheets \
             that arrived differ from those still missing (cities first, say) the estimate is \
             biased; wait for more arrivals",
            t.chi2,
            t.df,
            t.p_value,
            low.join(", ")
        ));
    }
    if arrived < drawn {
        warnings.push(format!(
            "{arrived} of {drawn} sampled stations in hand: the intervals assume the missing ones \
             are missing at random within strata"
        ));
    }
    Ok(Estimate {
        method: "combined ratio estimator in stratified random sampling with finite-population \
                 correction (Cochran 1977, ch. 6)"
            .into(),
        confidence,
        z,
        leader: option_keys[a].clone(),
        runner_up: option_keys[b].clone(),
        options,
        margin,
        realised,
        drawn,
        arrived,
        arrival_test,
        warnings,
        assumptions: assumptions(),
    })
}

/// Pearson's chi-squared test of homogeneity on strata × (arrived, not yet).
fn arrival_test(r: &[Realised]) -> Option<ArrivalTest> {
    let rows: Vec<&Realised> = r.iter().filter(|x| x.drawn > 0).collect();
    if rows.len() < 2 {
        return None;
    }
    let drawn: f64 = rows.iter().map(|x| x.drawn as f64).sum();
    let arrived: f64 = rows.iter().map(|x| x.arrived as f64).sum();
    let p = arrived / drawn;
    if p <= 0.0 || p >= 1.0 {
        return None;
    }
    let chi2: f64 = rows
        .iter()
        .map(|x| {
            let e1 = x.drawn as f64 * p;
            let e0 = x.drawn as f64 * (1.0 - p);
            let o1 = x.arrived as f64;
            let o0 = x.drawn as f64 - o1;
            (o1 - e1).powi(2) / e1 + (o0 - e0).powi(2) / e0
        })
        .sum();
    let df = rows.len() - 1;
    let p_value = ChiSquared::new(df as f64).map_or(f64::NAN, |d| d.sf(chi2));
    Some(ArrivalTest { chi2, df, p_value })
}

/// An announced share set beside the quick count.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Comparison {
    /// The announcement's key (an option or a group).
    pub key: String,
    /// The announced share of the options' total.
    pub announced: f64,
    /// The quick count's estimate of the same share, with its interval.
    pub quick_count: Interval,
    /// (announced − estimate) / standard error.
    pub z: f64,
    /// Whether the announced share is inside the interval.
    pub inside: bool,
}

/// Compare announced totals with the quick count. `targets` are (key,
/// option indices, announced total); `denominator` the announced options'
/// total (valid votes).
pub fn compare(
    strata: &[StratumInput],
    k: usize,
    targets: &[(String, Vec<usize>, u64)],
    denominator: u64,
    confidence: f64,
) -> Result<Vec<Comparison>, QuickCountError> {
    let z = z_of(confidence)?;
    if denominator == 0 {
        return Err(QuickCountError::Param(
            "the announcement's total is zero".into(),
        ));
    }
    Ok(targets
        .iter()
        .map(|(key, opts, total)| {
            let mut w = vec![0.0; k];
            for &j in opts {
                if j < k {
                    w[j] = 1.0;
                }
            }
            let qc = interval(strata, &w, z);
            let announced = *total as f64 / denominator as f64;
            let zz = (announced - qc.estimate) / qc.se;
            Comparison {
                key: key.clone(),
                announced,
                quick_count: qc,
                z: zz,
                inside: announced >= qc.low && announced <= qc.high,
            }
        })
        .collect())
}

/// What a plan aims at.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Target {
    /// The leader's share, expected near `share` (0.5 is the worst case).
    LeaderShare {
        /// Expected share.
        share: f64,
    },
    /// The margin between the first two, expected near these shares.
    FirstTwoMargin {
        /// Expected share of the first.
        first: f64,
        /// Expected share of the second.
        second: f64,
    },
}

impl Target {
    /// `σ²` of one voter's contribution: `p(1−p)`, or `p₁ + p₂ − (p₁ − p₂)²`.
    pub fn sigma2(&self) -> f64 {
        match *self {
            Target::LeaderShare { share } => share * (1.0 - share),
            Target::FirstTwoMargin { first, second } => {
                first + second - (first - second) * (first - second)
            }
        }
    }
}

/// The parameters of a plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlanParams {
    /// Target half-width of the interval (0.005 = ±0.5 percentage points).
    pub margin: f64,
    /// Confidence (0.95 or 0.99).
    pub confidence: f64,
    /// What the margin is on.
    pub target: Target,
    /// Expected turnout (valid votes over registered).
    pub turnout: f64,
    /// Allowance for turnout below plan: plan at `turnout × (1 − allowance)`.
    pub low_turnout: f64,
    /// Share of sampled stations expected never to report.
    pub non_response: f64,
    /// Intraclass correlation of vote choice within a station, within
    /// strata (used without a pilot).
    pub icc: f64,
}

/// A pilot stratum: sheets (votes per option) from an earlier election or a
/// first sample, used to measure `S²_d` and `x̄` directly.
#[derive(Debug, Clone)]
pub struct PilotStratum {
    /// The stratum.
    pub name: String,
    /// Votes per option, per sheet.
    pub sheets: Vec<Vec<u64>>,
}

/// One stratum of a plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlanStratum {
    /// The stratum.
    pub name: String,
    /// Stations in the frame.
    pub frame_stations: usize,
    /// Registered voters in the frame, when known.
    pub frame_registered: Option<u64>,
    /// Sheets needed in hand.
    pub needed: usize,
    /// Stations to draw: `needed` raised for non-response, at most the stratum.
    pub size: usize,
}

/// A quick-count plan: the sample size per stratum.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    /// How the sizes were computed.
    pub method: String,
    /// The strata level, if stratified.
    pub strata_level: Option<String>,
    /// The parameters.
    pub params: PlanParams,
    /// Where the design effect came from ("registry sizes, icc …" or "pilot").
    pub variance_source: String,
    /// Design effect against a simple random sample of as many voters.
    pub design_effect: f64,
    /// Mean valid votes per station assumed.
    pub mean_votes: f64,
    /// Expected half-width with the sheets needed all in hand.
    pub expected_margin: f64,
    /// Sheets needed in all.
    pub needed: usize,
    /// Stations to draw in all.
    pub size: usize,
    /// Stations in the frame.
    pub frame_stations: usize,
    /// Per stratum.
    pub strata: Vec<PlanStratum>,
    /// What the plan assumes.
    pub assumptions: Vec<String>,
}

impl Plan {
    /// Stations to draw per stratum, for [`crate::sample::draw`].
    pub fn sizes(&self) -> BTreeMap<String, usize> {
        self.strata
            .iter()
            .map(|s| (s.name.clone(), s.size))
            .collect()
    }
}

/// Per stratum: (`W_h`, `E_h[x]`, `S²_{d,h}`).
type Moments = Vec<(String, f64, f64, f64)>;

fn moments_from_sizes(frame: &Frame, p: &PlanParams) -> Result<Moments, QuickCountError> {
    let t = p.turnout * (1.0 - p.low_turnout);
    let n = frame.stations.len() as f64;
    let mut by: BTreeMap<&str, (f64, f64, f64)> = BTreeMap::new();
    for s in &frame.stations {
        let r = s.registered.ok_or(QuickCountError::NoSizes)? as f64;
        let x = t * r;
        let e = by.entry(s.stratum.as_str()).or_default();
        e.0 += 1.0;
        e.1 += x;
        e.2 += x * x;
    }
    let s2 = p.target.sigma2();
    Ok(by
        .into_iter()
        .map(|(name, (c, sx, sxx))| {
            let ex = sx / c;
            let ex2 = sxx / c;
            let sd2 = s2 * (ex + p.icc * (ex2 - ex).max(0.0));
            (name.to_string(), c / n, ex, sd2)
        })
        .collect())
}

fn moments_from_pilot(
    frame: &Frame,
    pilot: &[PilotStratum],
    p: &PlanParams,
) -> Result<(Moments, f64), QuickCountError> {
    let all: Vec<&Vec<u64>> = pilot.iter().flat_map(|s| &s.sheets).collect();
    let k = all.first().map_or(0, |v| v.len());
    if all.len() < 2 || k < 2 {
        return Err(QuickCountError::Param(
            "the pilot needs at least two sheets with two options".into(),
        ));
    }
    // The target variable, from the pilot's own first two options.
    let mut tot = vec![0u64; k];
    for v in &all {
        for (t, c) in tot.iter_mut().zip(v.iter()) {
            *t += c;
        }
    }
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by_key(|&j| std::cmp::Reverse(tot[j]));
    let (a, b) = (order[0], order[1]);
    let y = |v: &Vec<u64>| -> f64 {
        match p.target {
            Target::LeaderShare { .. } => v[a] as f64,
            Target::FirstTwoMargin { .. } => v[a] as f64 - v[b] as f64,
        }
    };
    let xs = |v: &Vec<u64>| -> f64 { v.iter().map(|&c| c as f64).sum() };
    let sum_x: f64 = all.iter().map(|v| xs(v)).sum();
    let r = all.iter().map(|v| y(v)).sum::<f64>() / sum_x;
    let stats = |sheets: &[&Vec<u64>]| -> (f64, f64) {
        let n = sheets.len() as f64;
        let ex = sheets.iter().map(|v| xs(v)).sum::<f64>() / n;
        let d: Vec<f64> = sheets.iter().map(|v| y(v) - r * xs(v)).collect();
        let m = d.iter().sum::<f64>() / n;
        let s2 = d.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
        (ex, s2)
    };
    let pooled = stats(&all);
    let sigma2 = match p.target {
        Target::LeaderShare { .. } => r * (1.0 - r),
        Target::FirstTwoMargin { .. } => {
            let p1 = tot[a] as f64 / sum_x;
            let p2 = tot[b] as f64 / sum_x;
            p1 + p2 - (p1 - p2).powi(2)
        }
    };
    let n = frame.stations.len() as f64;
    let mut count: BTreeMap<&str, f64> = BTreeMap::new();
    for s in &frame.stations {
        *count.entry(s.stratum.as_str()).or_default() += 1.0;
    }
    let by_name: HashMap<&str, &PilotStratum> =
        pilot.iter().map(|s| (s.name.as_str(), s)).collect();
    let m = count
        .into_iter()
        .map(|(name, c)| {
            let (ex, s2) = match by_name.get(name) {
                Some(ps) if ps.sheets.len() >= 2 => {
                    let v: Vec<&Vec<u64>> = ps.sheets.iter().collect();
                    stats(&v)
                }
                _ => pooled,
            };
            // Lower turnout: treated as if all the variance were binomial,
            // which grows as x shrinks (conservative).
            (name.to_string(), c / n, ex, s2 / (1.0 - p.low_turnout))
        })
        .collect();
    Ok((m, sigma2))
}

/// The sample size per stratum for the target margin (see the module doc:
/// NDI / Estok, Nevitte & Cowan 2002 ch. 5 for stations as sampling units;
/// Cochran 1977 ch. 5 §5.3 proportional allocation, §4.4 sample size with
/// the finite-population correction; Kish 1965 ch. 5 for the design
/// effect).
pub fn plan(
    frame: &Frame,
    params: &PlanParams,
    pilot: Option<&[PilotStratum]>,
) -> Result<Plan, QuickCountError> {
    let bad = |m: String| Err(QuickCountError::Param(m));
    if !(params.margin > 0.0 && params.margin < 0.5) {
        return bad(format!("margin must be in (0, 0.5), got {}", params.margin));
    }
    for (name, v, hi) in [
        ("turnout", params.turnout, 1.0),
        ("low-turnout allowance", params.low_turnout, 0.95),
        ("non-response", params.non_response, 0.95),
        ("icc", params.icc, 1.0),
    ] {
        if !(0.0..=hi).contains(&v) || (name == "turnout" && v == 0.0) {
            return bad(format!("{name} must be in [0, {hi}], got {v}"));
        }
    }
    if let Target::LeaderShare { share } = params.target
        && !(0.0 < share && share < 1.0)
    {
        return bad(format!("expected share must be in (0, 1), got {share}"));
    }
    let z = z_of(params.confidence)?;
    if frame.stations.is_empty() {
        return bad("the frame has no stations".into());
    }
    let (m, sigma2, source) = match pilot {
        Some(p) => {
            let (m, s2) = moments_from_pilot(frame, p, params)?;
            let sheets: usize = p.iter().map(|s| s.sheets.len()).sum();
            (m, s2, format!("pilot of {sheets} sheets"))
        }
        None => (
            moments_from_sizes(frame, params)?,
            params.target.sigma2(),
            format!(
                "registry station sizes at turnout {:.0}% (less {:.0}%), intraclass correlation {}",
                params.turnout * 100.0,
                params.low_turnout * 100.0,
                params.icc
            ),
        ),
    };
    let big_n = frame.stations.len() as f64;
    let xbar: f64 = m.iter().map(|s| s.1 * s.2).sum();
    let sw: f64 = m.iter().map(|s| s.1 * s.3).sum();
    if xbar <= 0.0 || sw <= 0.0 {
        return bad("stations with no votes: cannot size the sample".into());
    }
    let e = params.margin / z;
    let n = 1.0 / (e * e * xbar * xbar / sw + 1.0 / big_n);
    let needed_total = (n.ceil() as usize).min(frame.stations.len());
    let mut alloc = proportional_allocation(frame, needed_total);
    let strata = frame.strata();
    // Two sheets per stratum at least, so each has its own variance.
    for (name, a) in alloc.iter_mut() {
        let cap = strata.get(name).map_or(0, Vec::len);
        *a = (*a).max(2).min(cap);
    }
    let mut registered: BTreeMap<&str, Option<u64>> = BTreeMap::new();
    for s in &frame.stations {
        let e = registered.entry(s.stratum.as_str()).or_insert(Some(0));
        *e = match (*e, s.registered) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
    }
    let mut out = Vec::new();
    let mut v = 0.0;
    for (name, w, _ex, sd2) in &m {
        let cap = strata.get(name.as_str()).map_or(0, Vec::len);
        let needed = alloc.get(name).copied().unwrap_or(0);
        let size = ((needed as f64 / (1.0 - params.non_response)).ceil() as usize).min(cap);
        if needed > 0 {
            let nh = needed as f64;
            let bigh = cap as f64;
            v += w * w * (1.0 / nh - 1.0 / bigh) * sd2;
        }
        out.push(PlanStratum {
            name: name.clone(),
            frame_stations: cap,
            frame_registered: registered.get(name.as_str()).copied().flatten(),
            needed,
            size,
        });
    }
    let expected_margin = z * v.max(0.0).sqrt() / xbar;
    let deff = sw / xbar / sigma2;
    let mut assumptions = assumptions();
    assumptions.push(format!("variance from {source}"));
    Ok(Plan {
        method:
            "stations as clusters of voters (Estok, Nevitte & Cowan 2002, ch. 5); proportional \
                 allocation with finite-population correction (Cochran 1977, ch. 5); design effect \
                 1 + ρ(m − 1) (Kish 1965, ch. 5)"
                .into(),
        strata_level: frame.level.clone(),
        params: params.clone(),
        variance_source: source,
        design_effect: deff,
        mean_votes: xbar,
        expected_margin,
        needed: out.iter().map(|s| s.needed).sum(),
        size: out.iter().map(|s| s.size).sum(),
        frame_stations: frame.stations.len(),
        strata: out,
        assumptions,
    })
}

/// One simulated quick count, for calibration: the frame is every station
/// of a simulated election stratified by region, `size` stations drawn by
/// the consistent sampler under `seed` (proportional allocation), and each
/// region's sheets lost at its own rate `non_response[region % len]`, at
/// random within the region.
#[derive(Debug, Clone, Serialize)]
pub struct Trial {
    /// Per option: whether the interval covers the full-count share.
    pub covered: Vec<bool>,
    /// Whether the leader–runner-up margin's interval covers the true one.
    pub margin_covered: bool,
    /// Half-width of the leader's interval.
    pub half_width: f64,
    /// Whether a bias warning on arrivals was raised.
    pub warned: bool,
}

/// Run one [`Trial`] on a simulated election.
pub fn simulated_trial(
    sim: &crate::simulate::Simulation,
    seed: &str,
    size: usize,
    non_response: &[f64],
    confidence: f64,
) -> Result<Trial, QuickCountError> {
    use crate::sample::{FrameStation, Seed, draw};
    use rand::{RngExt, SeedableRng};
    let frame = Frame {
        level: Some("region".into()),
        stations: (0..sim.len())
            .map(|i| FrameStation {
                id: sim.station_id(i),
                stratum: format!("{:02}", sim.region[i] + 1),
                registered: Some(u64::from(sim.registered[i])),
            })
            .collect(),
    };
    let seed = Seed::new(seed).map_err(|e| QuickCountError::Param(e.to_string()))?;
    let sizes = proportional_allocation(&frame, size);
    let sample =
        draw(&seed, &frame, &sizes, false).map_err(|e| QuickCountError::Param(e.to_string()))?;
    let index: HashMap<String, usize> = (0..sim.len()).map(|i| (sim.station_id(i), i)).collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(
        u64::from_str_radix(&seed.hash_hex()[..16], 16).unwrap_or(0),
    );
    let k = sim.votes.len();
    let strata: Vec<StratumInput> = sample
        .strata
        .iter()
        .map(|s| {
            let mut sheets = Vec::new();
            for d in &s.draws {
                let Some(&i) = index.get(&d.id) else { continue };
                let rate = if non_response.is_empty() {
                    0.0
                } else {
                    non_response[sim.region[i] as usize % non_response.len()]
                };
                if rng.random::<f64>() < rate {
                    continue;
                }
                sheets.push((0..k).map(|j| u64::from(sim.votes[j][i])).collect());
            }
            StratumInput {
                name: s.name.clone(),
                frame_stations: s.frame_stations,
                drawn: s.draws.len(),
                sheets,
            }
        })
        .collect();
    let keys: Vec<String> = sim.option_keys.clone();
    let est = estimate(&keys, &strata, confidence)?;
    let truth = sim.true_totals();
    let total: f64 = truth.iter().map(|&t| t as f64).sum();
    let share = |j: usize| truth[j] as f64 / total;
    let covered = est
        .options
        .iter()
        .enumerate()
        .map(|(j, o)| o.share.low <= share(j) && share(j) <= o.share.high)
        .collect();
    let a = keys.iter().position(|x| *x == est.leader).unwrap_or(0);
    let b = keys.iter().position(|x| *x == est.runner_up).unwrap_or(0);
    let m = share(a) - share(b);
    Ok(Trial {
        covered,
        margin_covered: est.margin.low <= m && m <= est.margin.high,
        half_width: est.options[a].share.high - est.options[a].share.estimate,
        warned: est
            .warnings
            .iter()
            .any(|w| w.starts_with("arrivals differ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_stratum_census_has_zero_variance() {
        // Every station of the stratum in hand: the fpc makes the variance 0.
        let s = StratumInput {
            name: "a".into(),
            frame_stations: 3,
            drawn: 3,
            sheets: vec![vec![10, 5], vec![3, 9], vec![7, 7]],
        };
        let (r, se) = ratio(&[s], &[1.0, 0.0]);
        // 20 / 41
        assert!((r - 20.0 / 41.0).abs() < 1e-12);
        assert!(se.abs() < 1e-12);
    }

    #[test]
    fn ratio_variance_by_hand() {
        // One stratum, N = 10, n = 3, sheets (x, y): (10, 6), (20, 8), (30, 21).
        // R = 35/60 = 0.583333; d = 6 − 5.83333 = 0.16667, 8 − 11.66667 = −3.66667,
        // 21 − 17.5 = 3.5; mean 0; s² = (0.027778 + 13.444444 + 12.25)/2 = 12.861111.
        // X̂ = 10 · 20 = 200; v = 10² (1 − 0.3) 12.861111 / 3 / 200² = 900.2778 / 3 / 40000
        // = 0.0075023.
        let s = StratumInput {
            name: "a".into(),
            frame_stations: 10,
            drawn: 3,
            sheets: vec![vec![6, 4], vec![8, 12], vec![21, 9]],
        };
        let (r, se) = ratio(&[s], &[1.0, 0.0]);
        assert!((r - 35.0 / 60.0).abs() < 1e-12);
        assert!((se * se - 0.007_502_3).abs() < 1e-7, "{}", se * se);
    }
}
