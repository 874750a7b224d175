//! Clean elections shaped like a real one: the simulator's clean model
//! fitted to an election's sheets, so that a forensic test can be checked
//! on look-alikes of the election at hand rather than on a generic
//! simulated country.
//!
//! # Model
//!
//! The stations keep their region (a level of the config, e.g. the state)
//! and their registered voters exactly as in the election. Within region
//! `r`, independently per station:
//!
//! - turnout `t = logistic(μ_r + β_r·(ln n − c_r) + σ_r·z)`, `z ~ N(0, 1)`,
//!   with `n` the station's registered voters (turnout that changes with
//!   station size, as it does where small stations are rural); ballots `~
//!   Binomial(n, t)`;
//! - null rate `q = logistic(ν_r + τ_r·z′)`; null `~ Binomial(ballots, q)`;
//! - support: latent weights `g_j ~ Gamma(c_rj, p_rj / c_rj)` (mean `p_rj`,
//!   the region's share of option `j`), shares `g / Σ g`, and the valid
//!   votes split multinomially among them (conditional binomials). With
//!   `c_rj = α_j·p_rj` for all options and one `α`, that is the
//!   Dirichlet-multinomial (Mosimann 1962, *Biometrika* 49:65–82, §2),
//!   whose intra-station correlation `ρ = 1/(1 + α)` measures the spread of
//!   the shares within the region beyond binomial noise; here each option
//!   has its own `ρ_j` (pooled over regions), so a small party with local
//!   strongholds keeps its own spread.
//!
//! # Fit (method of moments)
//!
//! - `μ_r`, `β_r`, `σ_r`: the least-squares line of the empirical logits
//!   `ℓ = logit((b + ½)/(n + 1))` of the region's stations on `ln n − c_r`
//!   (`c_r` the mean log size), and its residual variance less the binomial
//!   part `E[1/(n·t(1 − t))]` (the delta method; Agresti 2013,
//!   *Categorical Data Analysis*, 3rd ed., §3.1.6 for the empirical logit).
//! - the null rate, a few per station and often 0, where empirical logits
//!   are biased: by moments on the proportion scale, then the delta method
//!   to the logit scale (see `fit_small_rate`).
//! - `p_rj = Σ y_j / Σ valid` over the region's stations.
//! - `ρ_j`: from `Var(y_j / v) = p_j(1 − p_j)[ρ_j + (1 − ρ_j)/v]` (the
//!   beta-binomial margin of the Dirichlet-multinomial, Mosimann 1962
//!   eq. 2.6), summed over the stations of every region:
//!   `ρ_j = (A_j − V_j)/(S_j − V_j)` with `A_j = Σ (y_j/v − p_rj)²`,
//!   `S_j = Σ p_rj(1 − p_rj)`, `V_j = Σ p_rj(1 − p_rj)/v`; clamped to
//!   `[10⁻⁶, 0.99]`.
//!
//! What it leaves out, and [`fit`]'s documentation repeats: the clustering
//! of stations below the region (districts, polling centres), a turnout
//! that depends on support, and any correlation between
//! options beyond the normalisation. A test whose null depends on those
//! sees a look-alike less structured than the election.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution, Gamma, StandardNormal};
use rayon::prelude::*;
use serde::Serialize;
use tallyproof_core::{Config, Dataset};

use crate::simulate::{SimParams, Simulation};

/// Errors of the fit.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LikeError {
    /// No station can be used.
    #[error("no station with registered voters and ballots to fit a look-alike to")]
    Empty,
    /// The sheets carry no registered voters.
    #[error("the sheets carry no registered voters: a look-alike needs them for turnout")]
    NoRegistered,
    /// Inconsistent input.
    #[error("look-alike: {0}")]
    Input(String),
}

/// A rate that varies from station to station as `logistic(mean +
/// slope·(ln size − centre) + sd·z)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LogitNormal {
    /// Mean on the logit scale (at the centre size).
    pub mean: f64,
    /// Standard deviation on the logit scale (beyond binomial noise).
    pub sd: f64,
    /// Change of the logit per unit of the log of station size.
    pub slope: f64,
    /// The log size the slope is centred on.
    pub centre: f64,
}

impl LogitNormal {
    /// The rate at a station of `size` with standard normal draw `z`.
    fn at(&self, size: u32, z: f64) -> f64 {
        let u = if self.slope == 0.0 {
            0.0
        } else {
            f64::from(size.max(1)).ln() - self.centre
        };
        logistic(self.mean + self.slope * u + self.sd * z)
    }
}

/// One region's fitted shape.
#[derive(Debug, Clone, Serialize)]
pub struct RegionShape {
    /// Unit code or name.
    pub name: String,
    /// Registered voters of each station, as in the election.
    #[serde(skip)]
    pub registered: Vec<u32>,
    /// Number of stations.
    pub stations: usize,
    /// Turnout.
    pub turnout: LogitNormal,
    /// Share of null ballots among ballots.
    pub null: LogitNormal,
    /// Share of each option among valid votes.
    pub shares: Vec<f64>,
}

/// The fitted clean model of an election.
#[derive(Debug, Clone, Serialize)]
pub struct Shape {
    /// Option keys.
    pub option_keys: Vec<String>,
    /// Option names.
    pub option_names: Vec<String>,
    /// Per region.
    pub regions: Vec<RegionShape>,
    /// Per option: intra-station correlation `ρ_j` of its votes within a
    /// region (0 = binomial only).
    pub support_rho: Vec<f64>,
}

/// The counts the fit reads, one entry per station.
#[derive(Debug, Clone)]
pub struct Counts<'a> {
    /// Option keys.
    pub option_keys: &'a [String],
    /// Option names (same length as the keys).
    pub option_names: &'a [String],
    /// Region names; `region[i]` indexes them.
    pub region_names: &'a [String],
    /// Region of each station.
    pub region: &'a [u32],
    /// Registered voters.
    pub registered: &'a [u32],
    /// Ballots cast (valid + null when no ballots column).
    pub ballots: &'a [u32],
    /// Null ballots.
    pub null: &'a [u32],
    /// Votes per option, per station.
    pub votes: &'a [Vec<u32>],
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Turnout on the logit scale, with its slope on the log of station size:
/// the empirical logits regressed by least squares on `ln n − centre`,
/// their residual variance less the binomial part.
fn fit_turnout(pairs: impl Iterator<Item = (u32, u32)> + Clone) -> LogitNormal {
    let mut rows: Vec<(f64, f64, f64)> = Vec::new();
    for (k, n) in pairs {
        if n == 0 {
            continue;
        }
        let (k, n) = (f64::from(k.min(n)), f64::from(n));
        let t = (k + 0.5) / (n + 1.0);
        rows.push((n.ln(), logit(t), 1.0 / (n * t * (1.0 - t))));
    }
    let cnt = rows.len() as f64;
    if cnt < 3.0 {
        let mean = rows.iter().map(|r| r.1).sum::<f64>() / cnt.max(1.0);
        return LogitNormal {
            mean,
            sd: 0.0,
            slope: 0.0,
            centre: 0.0,
        };
    }
    let centre = rows.iter().map(|r| r.0).sum::<f64>() / cnt;
    let mean = rows.iter().map(|r| r.1).sum::<f64>() / cnt;
    let sxx: f64 = rows.iter().map(|r| (r.0 - centre).powi(2)).sum();
    let sxy: f64 = rows.iter().map(|r| (r.0 - centre) * (r.1 - mean)).sum();
    let slope = if sxx > 1e-9 { sxy / sxx } else { 0.0 };
    let rss: f64 = rows
        .iter()
        .map(|r| (r.1 - mean - slope * (r.0 - centre)).powi(2))
        .sum();
    let noise = rows.iter().map(|r| r.2).sum::<f64>() / cnt;
    LogitNormal {
        mean,
        sd: (rss / (cnt - 2.0) - noise).max(0.0).sqrt(),
        slope,
        centre,
    }
}

/// A small rate (null ballots: a few per station, often 0), fitted on the
/// proportion scale, where small counts do not bias the moments: the
/// pooled rate `p̄`, the between-station variance `V = Var(k/n) −
/// E[p̄(1 − p̄)/n]`, and on the logit scale `sd = √V / (p̄(1 − p̄))` (delta
/// method) and `mean = logit(p̄) − sd²/2` (for small `p̄`, `E[p] ≈
/// logistic(mean)·e^{sd²/2}`).
fn fit_small_rate(pairs: impl Iterator<Item = (u32, u32)> + Clone) -> LogitNormal {
    let (mut k_all, mut n_all, mut cnt) = (0.0, 0.0, 0.0);
    for (k, n) in pairs.clone() {
        if n > 0 {
            k_all += f64::from(k.min(n));
            n_all += f64::from(n);
            cnt += 1.0;
        }
    }
    let flat = |p: f64| LogitNormal {
        mean: logit(p.clamp(1e-6, 1.0 - 1e-6)),
        sd: 0.0,
        slope: 0.0,
        centre: 0.0,
    };
    if cnt < 2.0 || n_all == 0.0 {
        return flat(if n_all > 0.0 { k_all / n_all } else { 0.0 });
    }
    let p = k_all / n_all;
    if p <= 0.0 || p >= 1.0 {
        return flat(p);
    }
    let (mut ss, mut binom) = (0.0, 0.0);
    for (k, n) in pairs {
        if n > 0 {
            let r = f64::from(k.min(n)) / f64::from(n);
            ss += (r - p).powi(2);
            binom += p * (1.0 - p) / f64::from(n);
        }
    }
    let v = ((ss - binom) / cnt).max(0.0);
    let sd = v.sqrt() / (p * (1.0 - p));
    LogitNormal {
        mean: logit(p) - sd * sd / 2.0,
        sd,
        slope: 0.0,
        centre: 0.0,
    }
}

/// Fits the clean model to an election's counts (see the module's
/// documentation). Stations without registered voters or ballots are left
/// out of the turnout fit but keep their place; the look-alike gives them
/// the region's sizes as they are.
pub fn fit(c: &Counts<'_>) -> Result<Shape, LikeError> {
    let n = c.registered.len();
    let k = c.option_keys.len();
    if [c.region.len(), c.ballots.len(), c.null.len()]
        .iter()
        .any(|&l| l != n)
        || c.votes.len() != k
        || c.votes.iter().any(|v| v.len() != n)
        || c.option_names.len() != k
    {
        return Err(LikeError::Input("columns of unequal length".into()));
    }
    if n == 0 || k == 0 {
        return Err(LikeError::Empty);
    }
    let nr = c.region_names.len();
    if c.region.iter().any(|&r| r as usize >= nr) {
        return Err(LikeError::Input("a region index out of range".into()));
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); nr];
    for (i, &r) in c.region.iter().enumerate() {
        members[r as usize].push(i);
    }
    let valid = |i: usize| -> u64 { c.votes.iter().map(|v| u64::from(v[i])).sum() };
    let mut regions = Vec::new();
    // Moment sums of every option, over all regions.
    let (mut a, mut sq, mut vb) = (vec![0.0; k], vec![0.0; k], vec![0.0; k]);
    for (r, m) in members.iter().enumerate() {
        if m.is_empty() {
            continue;
        }
        let turnout = fit_turnout(m.iter().map(|&i| (c.ballots[i], c.registered[i])));
        let null = fit_small_rate(m.iter().map(|&i| (c.null[i], c.ballots[i])));
        let tv: u64 = m.iter().map(|&i| valid(i)).sum();
        let shares: Vec<f64> = (0..k)
            .map(|j| {
                let y: u64 = m.iter().map(|&i| u64::from(c.votes[j][i])).sum();
                if tv > 0 { y as f64 / tv as f64 } else { 0.0 }
            })
            .collect();
        for &i in m {
            let v = valid(i);
            if v < 2 {
                continue;
            }
            let v = v as f64;
            for j in 0..k {
                let p = shares[j];
                let s = f64::from(c.votes[j][i]) / v;
                a[j] += (s - p).powi(2);
                sq[j] += p * (1.0 - p);
                vb[j] += p * (1.0 - p) / v;
            }
        }
        regions.push(RegionShape {
            name: c.region_names[r].clone(),
            registered: m.iter().map(|&i| c.registered[i]).collect(),
            stations: m.len(),
            turnout,
            null,
            shares,
        });
    }
    if regions.iter().all(|r| r.registered.iter().all(|&x| x == 0)) {
        return Err(LikeError::Empty);
    }
    let support_rho = (0..k)
        .map(|j| {
            let d = sq[j] - vb[j];
            if d > 0.0 {
                ((a[j] - vb[j]) / d).clamp(1e-6, 0.99)
            } else {
                1e-6
            }
        })
        .collect();
    Ok(Shape {
        option_keys: c.option_keys.to_vec(),
        option_names: c.option_names.to_vec(),
        regions,
        support_rho,
    })
}

/// The level a look-alike is fitted by when none is named: the config's
/// `[analysis] strata`, else its top level, else none (one region).
pub fn default_level(cfg: &Config) -> Option<usize> {
    cfg.analysis
        .strata
        .as_deref()
        .and_then(|l| cfg.level_index(l).ok())
        .or(if cfg.levels.is_empty() { None } else { Some(0) })
}

/// Fits the clean model to the accepted sheets of a dataset by the units of
/// `level` ([`OwnedCounts::from_dataset`], then [`fit`]).
pub fn fit_dataset(cfg: &Config, ds: &Dataset, level: Option<usize>) -> Result<Shape, LikeError> {
    let names = cfg
        .options
        .iter()
        .map(|o| o.name.clone().unwrap_or_else(|| o.key.clone()))
        .collect();
    fit(&OwnedCounts::from_dataset(ds, level, names)?.counts())
}

/// The counts of a simulated election, by region.
pub fn counts_of(sim: &Simulation) -> Counts<'_> {
    Counts {
        option_keys: &sim.option_keys,
        option_names: &sim.option_names,
        region_names: &sim.region_names,
        region: &sim.region,
        registered: &sim.registered,
        ballots: &sim.ballots,
        null: &sim.null,
        votes: &sim.votes,
    }
}

/// Columns owned, for [`Counts`] built from sheets.
#[derive(Debug, Clone)]
pub struct OwnedCounts {
    /// Option keys.
    pub option_keys: Vec<String>,
    /// Option names.
    pub option_names: Vec<String>,
    /// Region names.
    pub region_names: Vec<String>,
    /// Region of each station.
    pub region: Vec<u32>,
    /// Registered voters.
    pub registered: Vec<u32>,
    /// Ballots cast.
    pub ballots: Vec<u32>,
    /// Null ballots.
    pub null: Vec<u32>,
    /// Votes per option, per station.
    pub votes: Vec<Vec<u32>>,
}

impl OwnedCounts {
    /// The accepted sheets of a dataset, by the units of `level` (one
    /// region when `None`): ballots are the turnout numerator (ballots
    /// issued or cast where the config maps them, else valid + null, as
    /// the forensic tests read them); registered voters at least the ballots.
    pub fn from_dataset(
        ds: &Dataset,
        level: Option<usize>,
        option_names: Vec<String>,
    ) -> Result<OwnedCounts, LikeError> {
        let sh = &ds.sheets;
        let n = sh.len();
        let Some(reg) = sh.registered.as_ref() else {
            return Err(LikeError::NoRegistered);
        };
        let (region, region_names) = match level {
            Some(l) if l < sh.geo.len() && l < ds.units.len() => {
                (sh.geo[l].clone(), ds.units[l].codes.clone())
            }
            _ => (vec![0; n], vec!["all".to_string()]),
        };
        let ballots: Vec<u32> = (0..n)
            .map(|i| u32::try_from(sh.turnout_numerator(i)).unwrap_or(u32::MAX))
            .collect();
        // A sheet with more ballots than registered voters keeps its
        // ballots: its size is taken as the larger of the two.
        let registered: Vec<u32> = (0..n).map(|i| reg[i].max(ballots[i])).collect();
        let null = match &sh.null {
            Some(v) => v.clone(),
            None => vec![0; n],
        };
        Ok(OwnedCounts {
            option_keys: ds.options.clone(),
            option_names,
            region_names,
            region,
            registered,
            ballots,
            null,
            votes: sh.votes.clone(),
        })
    }

    /// Borrowed view for [`fit`].
    pub fn counts(&self) -> Counts<'_> {
        Counts {
            option_keys: &self.option_keys,
            option_names: &self.option_names,
            region_names: &self.region_names,
            region: &self.region,
            registered: &self.registered,
            ballots: &self.ballots,
            null: &self.null,
            votes: &self.votes,
        }
    }
}

fn binomial(rng: &mut ChaCha8Rng, n: u32, p: f64) -> u32 {
    if n == 0 || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    match Binomial::new(u64::from(n), p) {
        Ok(b) => b.sample(rng) as u32,
        Err(_) => 0,
    }
}

/// Draws a clean look-alike of the fitted election: the same stations per
/// region with the same registered voters, counts drawn from the fitted
/// model; `missing_share` of the sheets missing at random. Every station
/// has its own ChaCha8 stream of `seed`, so the result does not depend on
/// the number of threads. Regions are written as regions of the
/// simulation, each its own district.
pub fn generate(shape: &Shape, seed: u64, missing_share: f64) -> Result<Simulation, LikeError> {
    if !(0.0..=0.95).contains(&missing_share) {
        return Err(LikeError::Input(format!(
            "missing share must be in [0, 0.95], got {missing_share}"
        )));
    }
    let k = shape.option_keys.len();
    // Per region and option: the Gamma of the latent weight.
    let alpha: Vec<f64> = shape.support_rho.iter().map(|r| 1.0 / r - 1.0).collect();
    let mut region = Vec::new();
    let mut registered = Vec::new();
    for (r, rs) in shape.regions.iter().enumerate() {
        region.extend(std::iter::repeat_n(r as u32, rs.registered.len()));
        registered.extend_from_slice(&rs.registered);
    }
    let n = registered.len();
    let gammas: Vec<Vec<Option<Gamma<f64>>>> = shape
        .regions
        .iter()
        .map(|rs| {
            (0..k)
                .map(|j| {
                    let p = rs.shares[j];
                    let c = alpha[j] * p;
                    if p > 0.0 && c > 0.0 {
                        Gamma::new(c, p / c).ok()
                    } else {
                        None
                    }
                })
                .collect()
        })
        .collect();
    struct Row {
        ballots: u32,
        null: u32,
        votes: Vec<u32>,
        has_sheet: bool,
    }
    let rows: Vec<Row> = (0..n)
        .into_par_iter()
        .map(|i| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(i as u64 + 1);
            let rs = &shape.regions[region[i] as usize];
            let z: f64 = rng.sample(StandardNormal);
            let ballots = binomial(&mut rng, registered[i], rs.turnout.at(registered[i], z));
            let z: f64 = rng.sample(StandardNormal);
            let null = binomial(&mut rng, ballots, rs.null.at(ballots, z));
            let valid = ballots - null;
            let w: Vec<f64> = gammas[region[i] as usize]
                .iter()
                .map(|g| g.as_ref().map_or(0.0, |g| g.sample(&mut rng)))
                .collect();
            let mut left_w: f64 = w.iter().sum();
            let mut left = valid;
            let mut votes = vec![0u32; k];
            for j in 0..k {
                let v = if left_w <= 0.0 {
                    0
                } else if j + 1 == k || w[j] >= left_w {
                    left
                } else {
                    binomial(&mut rng, left, w[j] / left_w)
                };
                votes[j] = v;
                left -= v;
                left_w -= w[j];
            }
            // Every valid vote goes to an option; if all weights were zero
            // the last option with a share takes them.
            if left > 0 {
                let j = (0..k).rev().find(|&j| rs.shares[j] > 0.0).unwrap_or(k - 1);
                votes[j] += left;
            }
            let has_sheet = rng.random::<f64>() >= missing_share;
            Row {
                ballots,
                null,
                votes,
                has_sheet,
            }
        })
        .collect();
    let mut votes = vec![Vec::with_capacity(n); k];
    for row in &rows {
        for (j, v) in row.votes.iter().enumerate() {
            votes[j].push(*v);
        }
    }
    let nr = shape.regions.len();
    Ok(Simulation {
        params: SimParams {
            stations: n,
            options: k,
            seed,
            missing_share,
        },
        option_keys: shape.option_keys.clone(),
        option_names: shape.option_names.clone(),
        region_names: shape.regions.iter().map(|r| r.name.clone()).collect(),
        district_region: (0..nr as u32).collect(),
        district: region.clone(),
        region,
        registered,
        ballots: rows.iter().map(|r| r.ballots).collect(),
        null: rows.iter().map(|r| r.null).collect(),
        votes,
        has_sheet: rows.iter().map(|r| r.has_sheet).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A shape with known parameters: three regions of different sizes,
    /// turnout and support; a leader, a runner-up and two small options
    /// with different spreads.
    fn known() -> Shape {
        let sizes = |n: usize, base: u32| -> Vec<u32> {
            (0..n).map(|i| base + (i as u32 * 37) % 400).collect()
        };
        let region = |name: &str, n, base, t: (f64, f64, f64), shares: Vec<f64>| RegionShape {
            name: name.into(),
            registered: sizes(n, base),
            stations: n,
            turnout: LogitNormal {
                mean: t.0,
                sd: t.1,
                slope: t.2,
                centre: 5.8,
            },
            null: LogitNormal {
                mean: -4.0,
                sd: 0.3,
                slope: 0.0,
                centre: 0.0,
            },
            shares,
        };
        Shape {
            option_keys: ["A", "B", "C", "D"].map(String::from).to_vec(),
            option_names: ["A", "B", "C", "D"].map(String::from).to_vec(),
            regions: vec![
                region(
                    "north",
                    6000,
                    200,
                    (0.4, 0.3, 0.0),
                    vec![0.5, 0.4, 0.08, 0.02],
                ),
                region(
                    "south",
                    4000,
                    300,
                    (-0.2, 0.5, -0.4),
                    vec![0.3, 0.6, 0.07, 0.03],
                ),
                region(
                    "east",
                    3000,
                    150,
                    (0.9, 0.2, 0.3),
                    vec![0.6, 0.3, 0.05, 0.05],
                ),
            ],
            support_rho: vec![0.02, 0.02, 0.01, 0.05],
        }
    }

    #[test]
    fn fit_recovers_the_parameters_it_was_drawn_with() {
        let shape = known();
        let sim = generate(&shape, 17, 0.0).unwrap();
        let fitted = fit(&counts_of(&sim)).unwrap();
        assert_eq!(fitted.regions.len(), 3);
        for (f, t) in fitted.regions.iter().zip(&shape.regions) {
            assert_eq!(f.registered, t.registered);
            // 3,000–6,000 stations: the sample mean of the logits has a
            // standard error below sd/√3000 ≈ 0.01; allow 0.03.
            // The latent sd: within 0.03 (standard error about
            // sd/√(2n) ≈ 0.007 for the largest, plus the binomial correction).
            assert!(
                (f.turnout.sd - t.turnout.sd).abs() < 0.03,
                "{} {:?}",
                f.name,
                f.turnout
            );
            // The slope on log size (sizes span ln 150 to ln 550, so its
            // standard error is about 0.03): within 0.1.
            assert!(
                (f.turnout.slope - t.turnout.slope).abs() < 0.1,
                "{} {:?}",
                f.name,
                f.turnout
            );
            // The mean is at the fitted centre (the mean log size), not at
            // the known shape's 5.8: compare the rate at the same size.
            let size = 400;
            assert!(
                (f.turnout.at(size, 0.0) - t.turnout.at(size, 0.0)).abs() < 0.01,
                "{}",
                f.name
            );
            assert!((f.null.mean - t.null.mean).abs() < 0.05, "{:?}", f.null);
            assert!((f.null.sd - t.null.sd).abs() < 0.08, "{:?}", f.null);
            for j in 0..4 {
                // Share of valid votes within half a point, and within 10%
                // of a small option's share.
                let (a, b) = (f.shares[j], t.shares[j]);
                assert!(
                    (a - b).abs() < 0.005 && (a - b).abs() < 0.1 * b,
                    "{} {j}: {a} {b}",
                    f.name
                );
            }
        }
        // ρ_j within 25% of the truth (the Gamma weights are normalised, so
        // a big option's margin is only close to beta-binomial).
        for j in 0..4 {
            let (a, b) = (fitted.support_rho[j], shape.support_rho[j]);
            assert!((a - b).abs() < 0.25 * b, "rho {j}: {a} vs {b}");
        }
    }

    #[test]
    fn look_alikes_are_consistent_and_seeded() {
        let shape = known();
        let a = generate(&shape, 3, 0.1).unwrap();
        let b = generate(&shape, 3, 0.1).unwrap();
        assert_eq!(a.votes, b.votes);
        assert_ne!(a.votes, generate(&shape, 4, 0.1).unwrap().votes);
        for i in 0..a.len() {
            let s: u32 = a.votes.iter().map(|v| v[i]).sum();
            assert_eq!(s, a.valid(i));
            assert!(a.ballots[i] <= a.registered[i]);
        }
        let miss = a.has_sheet.iter().filter(|h| !**h).count() as f64 / a.len() as f64;
        // 13,000 stations at 10%: standard error 0.26 points.
        assert!((0.09..0.11).contains(&miss), "{miss}");
    }

    #[test]
    fn a_simulated_country_is_refitted_close_to_itself() {
        // The default simulator's election, fitted then drawn again: the
        // national turnout and shares agree within a point; each region's
        // turnout (ballots over registered) within 3 points. The look-alike
        // has no districts, and the generic model's turnout varies by
        // district and urbanness, which the fit sees only through station
        // size: measured, the worst of 35 regions is 2.8 points off
        // (region 12, seed 5/9), most within one.
        let sim = crate::simulate::simulate(&SimParams {
            stations: 20_000,
            options: 5,
            seed: 5,
            missing_share: 0.0,
        })
        .unwrap();
        let shape = fit(&counts_of(&sim)).unwrap();
        let again = generate(&shape, 9, 0.0).unwrap();
        let turnout = |s: &Simulation, r: u32| {
            let (mut b, mut n) = (0u64, 0u64);
            for i in 0..s.len() {
                if s.region[i] == r {
                    b += u64::from(s.ballots[i]);
                    n += u64::from(s.registered[i]);
                }
            }
            b as f64 / n as f64
        };
        for r in 0..sim.region_names.len() as u32 {
            let (a, b) = (turnout(&sim, r), turnout(&again, r));
            assert!((a - b).abs() < 0.03, "region {r}: {a} {b}");
        }
        let national = |s: &Simulation| {
            let b: u64 = s.ballots.iter().map(|&x| u64::from(x)).sum();
            let n: u64 = s.registered.iter().map(|&x| u64::from(x)).sum();
            b as f64 / n as f64
        };
        let (a, b) = (national(&sim), national(&again));
        assert!((a - b).abs() < 0.01, "national: {a} {b}");
        let share = |s: &Simulation| -> Vec<f64> {
            let t = s.true_totals();
            let v: u64 = t.iter().sum();
            t.iter().map(|&x| x as f64 / v as f64).collect()
        };
        for (a, b) in share(&sim).iter().zip(share(&again)) {
            assert!((a - b).abs() < 0.01, "{a} {b}");
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        let keys = vec!["A".to_string()];
        let names = vec!["all".to_string()];
        let c = Counts {
            option_keys: &keys,
            option_names: &keys,
            region_names: &names,
            region: &[0, 0],
            registered: &[100],
            ballots: &[50, 60],
            null: &[1, 1],
            votes: &[vec![49, 59]],
        };
        assert!(fit(&c).is_err());
    }
}
