//! Projection of the final result from the sheets in hand, assuming the
//! missing sheets are missing at random within strata.
//!
//! # Method
//!
//! Within stratum `h` (a region, say), the `n_h` stations in hand are taken
//! as a simple random sample of the stratum's `N_h` stations; the `m_h =
//! N_h − n_h` others are what is projected. Each option's final total is
//! the sum in hand plus, per stratum,
//!
//! - the regression estimate `m_h·a_h + b_h·X_M,h`, with `y = a + b·x`
//!   fitted by least squares on the stations in hand, when the registered
//!   voters `x` of the missing stations are known one by one (Cochran 1977,
//!   *Sampling Techniques*, 3rd ed., §7.1 and §7.10, the separate regression
//!   estimator; it reduces to the ratio estimator when the line passes
//!   through the origin, and stays unbiased when it does not); or
//! - the expansion estimate `m_h · ȳ_h` when only their number is known
//!   (Cochran 1977 §5.2).
//!
//! The interval is a predictive bootstrap (Efron & Tibshirani 1993, *An
//! Introduction to the Bootstrap*, ch. 6 and §13.3; Davison & Hinkley 1997,
//! *Bootstrap Methods and their Application*, ch. 6, resampling cases and
//! prediction from resampled residuals). Each replicate, in each stratum,
//! resamples the `n_h` stations in hand with replacement (pairs `(x, y)`),
//! refits the line (or the mean) on the resample, and predicts each missing
//! station as the refitted line at its `x` plus the residual of a donor
//! drawn from the resample, inflated by `sqrt(n/(n − 1))` (Davison &
//! Hinkley §6.2.3). It so carries the uncertainty of the stratum's line and
//! the station-to-station variation of the stations not seen; strata are
//! resampled independently, as the design treats them. Summed over a
//! stratum's `m` missing stations, a replicate is `m·a* + b*·ΣX_M + c·Σ(y_d
//! − a* − b*·x_d)` over the `m` donors: it needs sums over the resample and
//! over the donors only, which is how it is computed (one pass over each,
//! no prediction per station). The 95% interval is the 2.5th and 97.5th
//! percentiles of the replicates; the probability that the winner differs
//! from the leader in hand is the share of replicates in which another
//! option has the most votes. Replicate `b` draws from its own ChaCha8
//! stream of the seed, so the figures are the same for any number of
//! threads.
//!
//! The donors' residuals are drawn from stations of any size in the
//! stratum. Residuals grow with station size, so this is right on average
//! over which stations are missing at random (the missing ones are then a
//! random draw of the stratum's sizes), not for a stratum whose missing
//! stations are all much larger or smaller than those in hand. On
//! simulated elections of 30,000 stations, missing at random within
//! regions, giving each missing station the spread of a station of its
//! size changes the standard error by 0.3% on average (docs/evidence.md).
//!
//! The assumption is strong and is printed beside every figure: if the
//! stations without a sheet differ from those with one in the same stratum
//! (sheets withheld where one side is strong), the projection is biased,
//! and only the worst case (no assumptions) holds.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

mod strata;
pub use strata::{Strata, strata_from_dataset};

/// The sheets of one stratum.
#[derive(Debug, Clone)]
pub struct Stratum {
    /// Name or code.
    pub name: String,
    /// Per option, per station in hand: votes.
    pub votes: Vec<Vec<u64>>,
    /// Per station in hand: registered voters (for the ratio estimator).
    pub registered: Option<Vec<u64>>,
    /// Stations of the stratum without a sheet.
    pub missing: u64,
    /// Their registered voters one by one, when known.
    pub missing_registered: Option<Vec<u64>>,
}

impl Stratum {
    fn in_hand(&self) -> usize {
        self.votes.first().map_or(0, Vec::len)
    }

    fn ratio_mode(&self) -> bool {
        self.registered.is_some() && self.missing_registered.is_some()
    }
}

/// Settings of the projection.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectionParams {
    /// Bootstrap replicates (at least 2,000 recommended).
    pub replicates: usize,
    /// Seed of every draw.
    pub seed: u64,
    /// Interval level (0.95).
    pub level: f64,
}

impl Default for ProjectionParams {
    fn default() -> Self {
        ProjectionParams {
            replicates: 2000,
            seed: 1,
            level: 0.95,
        }
    }
}

/// The projection of one option.
#[derive(Debug, Clone, Serialize)]
pub struct OptionProjection {
    /// Index of the option.
    pub option: usize,
    /// Votes in the sheets in hand.
    pub in_hand: u64,
    /// Projected final total.
    pub estimate: f64,
    /// Lower end of the interval.
    pub low: f64,
    /// Upper end of the interval.
    pub high: f64,
    /// Projected share of the valid votes.
    pub share: f64,
    /// Interval of the share.
    pub share_low: f64,
    /// Interval of the share.
    pub share_high: f64,
}

/// The projection of a whole result.
#[derive(Debug, Clone, Serialize)]
pub struct Projection {
    /// The settings.
    pub params: ProjectionParams,
    /// Per option.
    pub options: Vec<OptionProjection>,
    /// Index of the leader in hand.
    pub leader_in_hand: usize,
    /// Share of replicates whose winner is not the leader in hand.
    pub p_winner_differs: f64,
    /// Strata with stations to project but no sheet in hand, projected from
    /// the pooled sheets of all strata.
    pub pooled_strata: Vec<String>,
    /// The estimator used: regression on registered voters, or expansion by stations.
    pub estimator: String,
    /// The assumptions, in words.
    pub assumptions: String,
}

/// Errors of the projection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProjectionError {
    /// No sheets in hand at all.
    #[error("no sheets in hand to project from")]
    NoSheets,
    /// A setting is out of range.
    #[error("invalid projection setting: {0}")]
    Param(String),
    /// Neither a registry nor the config says how many stations there are.
    #[error(
        "the number of stations is unknown: give --registry, or [election] stations_total in the config"
    )]
    NoDenominator,
}

/// Least-squares line y = a + b·x (b = 0 when x does not vary).
fn regression(
    x: impl Iterator<Item = f64> + Clone,
    y: impl Iterator<Item = f64> + Clone,
) -> (f64, f64) {
    let (mut n, mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (xi, yi) in x.zip(y) {
        n += 1.0;
        sx += xi;
        sy += yi;
        sxx += xi * xi;
        sxy += xi * yi;
    }
    if n == 0.0 {
        return (0.0, 0.0);
    }
    let vx = sxx - sx * sx / n;
    let b = if vx > 1e-9 {
        (sxy - sx * sy / n) / vx
    } else {
        0.0
    };
    ((sy - b * sx) / n, b)
}

/// One stratum with stations to project, laid out for the bootstrap: per
/// station in hand, its registered voters (0 in expansion mode) and then
/// its votes per option, side by side, so a resampled station is one read
/// and one pass over the resample gives every option's regression sums.
struct Prepared {
    /// Stations in hand.
    n: usize,
    /// Stations without a sheet.
    m: usize,
    /// Options.
    k: usize,
    /// `n` rows of `k + 1` values: registered voters, then votes.
    rows: Vec<f64>,
    /// Registered voters of the missing stations (0 in expansion mode).
    xm_total: f64,
    /// Residual inflation `sqrt(n / (n − 1))`.
    c: f64,
}

/// Per-thread buffers of the bootstrap.
struct Scratch {
    /// The resample: indices of stations in hand.
    sample: Vec<u32>,
    /// The donors: indices of stations in hand, drawn from the resample.
    donor: Vec<u32>,
    /// Per option: Σy over the resample.
    sy: Vec<f64>,
    /// Per option: Σx·y over the resample.
    sxy: Vec<f64>,
    /// Per option: Σy over the donors.
    dy: Vec<f64>,
}

impl Scratch {
    fn new(n: usize, k: usize) -> Scratch {
        Scratch {
            sample: Vec::with_capacity(n),
            donor: Vec::new(),
            sy: vec![0.0; k],
            sxy: vec![0.0; k],
            dy: vec![0.0; k],
        }
    }
}

impl Prepared {
    fn new(s: &Stratum, k: usize) -> Prepared {
        let n = s.in_hand();
        let ratio = s.ratio_mode();
        let x = s.registered.as_deref().filter(|_| ratio);
        let mut rows = Vec::with_capacity(n * (k + 1));
        for d in 0..n {
            rows.push(x.map_or(0.0, |x| x[d] as f64));
            rows.extend((0..k).map(|j| s.votes[j].get(d).map_or(0.0, |&v| v as f64)));
        }
        let xm_total = if ratio {
            s.missing_registered
                .as_deref()
                .map_or(0, |v| v.iter().sum::<u64>()) as f64
        } else {
            0.0
        };
        Prepared {
            n,
            m: s.missing as usize,
            k,
            rows,
            xm_total,
            // Residuals are inflated by sqrt(n / (n − 1)), the small-sample
            // adjustment of residual resampling (Davison & Hinkley 1997,
            // Bootstrap Methods and their Application, §6.2.3).
            c: if n > 1 {
                (n as f64 / (n as f64 - 1.0)).sqrt()
            } else {
                1.0
            },
        }
    }

    /// Σx, Σx² over the resample and Σx over the donors; Σy, Σx·y over the
    /// resample and Σy over the donors per option into `s`, for `K = k`
    /// options.
    fn sums<const K: usize>(&self, s: &mut Scratch) -> (f64, f64, f64) {
        let w = K + 1;
        let (mut sx, mut sxx, mut dx) = (0.0f64, 0.0f64, 0.0f64);
        let (mut sy, mut sxy, mut dy) = ([0.0f64; K], [0.0f64; K], [0.0f64; K]);
        for &d in &s.sample {
            let row = &self.rows[d as usize * w..(d as usize + 1) * w];
            let x = row[0];
            sx += x;
            sxx += x * x;
            for j in 0..K {
                sy[j] += row[j + 1];
                sxy[j] += x * row[j + 1];
            }
        }
        for &d in &s.donor {
            let row = &self.rows[d as usize * w..(d as usize + 1) * w];
            dx += row[0];
            for j in 0..K {
                dy[j] += row[j + 1];
            }
        }
        s.sy.copy_from_slice(&sy);
        s.sxy.copy_from_slice(&sxy);
        s.dy.copy_from_slice(&dy);
        (sx, sxx, dx)
    }

    /// [`Prepared::sums`] for any number of options.
    fn sums_any(&self, s: &mut Scratch) -> (f64, f64, f64) {
        let w = self.k + 1;
        let (mut sx, mut sxx, mut dx) = (0.0f64, 0.0f64, 0.0f64);
        s.sy.fill(0.0);
        s.sxy.fill(0.0);
        s.dy.fill(0.0);
        for &d in &s.sample {
            let row = &self.rows[d as usize * w..(d as usize + 1) * w];
            let x = row[0];
            sx += x;
            sxx += x * x;
            for ((sy, sxy), &y) in s.sy.iter_mut().zip(s.sxy.iter_mut()).zip(&row[1..]) {
                *sy += y;
                *sxy += x * y;
            }
        }
        for &d in &s.donor {
            let row = &self.rows[d as usize * w..(d as usize + 1) * w];
            dx += row[0];
            for (dy, &y) in s.dy.iter_mut().zip(&row[1..]) {
                *dy += y;
            }
        }
        (sx, sxx, dx)
    }

    /// Adds one bootstrap replicate of this stratum's missing stations to
    /// `tot`: resample the `n` stations in hand with replacement, fit the
    /// resample's line `y = a + b·x` per option (its mean in expansion
    /// mode), and predict each missing station as the line plus the
    /// residual of a donor drawn from the resample. Summed over the `m`
    /// missing stations that is `m·a + b·ΣX_M + c·Σ(y_d − a − b·x_d)` over
    /// the `m` donors, so the replicate needs only sums over the resample
    /// and over the donors. The sum is what is projected, so a single
    /// prediction below zero (a small station given a large station's
    /// negative residual) is kept, and only the stratum's total is clipped
    /// at zero: clipping each station biased every small option's
    /// replicates upward, by about half a standard error at 30,000 stations.
    fn replicate(&self, rng: &mut ChaCha8Rng, s: &mut Scratch, tot: &mut [f64]) {
        let (n, k) = (self.n, self.k);
        // A stratum without sheets in hand has borrowed the pool, so n ≥ 1;
        // the ranges below are never empty.
        let nn = n as u32;
        s.sample.clear();
        s.sample.extend((0..n).map(|_| rng.random_range(0..nn)));
        s.donor.clear();
        let sample = &s.sample;
        s.donor
            .extend((0..self.m).map(|_| sample[rng.random_range(0..nn) as usize]));
        // The sums over the resample and over the donors, with the
        // accumulators in registers for up to 8 options.
        let (sx, sxx, dx) = match k {
            1 => self.sums::<1>(s),
            2 => self.sums::<2>(s),
            3 => self.sums::<3>(s),
            4 => self.sums::<4>(s),
            5 => self.sums::<5>(s),
            6 => self.sums::<6>(s),
            7 => self.sums::<7>(s),
            8 => self.sums::<8>(s),
            _ => self.sums_any(s),
        };
        // The least-squares line of the resample, as `regression` computes
        // it (b = 0 when x does not vary, which is always so in expansion
        // mode, where x is 0).
        let nf = n as f64;
        let vx = sxx - sx * sx / nf;
        let mf = self.m as f64;
        for (((t, &sy), &sxy), &dy) in tot.iter_mut().zip(&s.sy).zip(&s.sxy).zip(&s.dy) {
            let b = if vx > 1e-9 {
                (sxy - sx * sy / nf) / vx
            } else {
                0.0
            };
            let a = (sy - b * sx) / nf;
            let fitted = mf * a + b * self.xm_total;
            let resid = dy - mf * a - b * dx;
            *t += (fitted + self.c * resid).max(0.0);
        }
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    // Type 7 (linear interpolation), as R's default quantile.
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Project every option's final total.
pub fn project(
    strata: &[Stratum],
    params: &ProjectionParams,
) -> Result<Projection, ProjectionError> {
    if params.replicates < 100 {
        return Err(ProjectionError::Param(format!(
            "at least 100 replicates, got {}",
            params.replicates
        )));
    }
    if !(0.5..1.0).contains(&params.level) {
        return Err(ProjectionError::Param(format!(
            "level must be in [0.5, 1), got {}",
            params.level
        )));
    }
    let k = strata.iter().map(|s| s.votes.len()).max().unwrap_or(0);
    if k == 0 || strata.iter().all(|s| s.in_hand() == 0) {
        return Err(ProjectionError::NoSheets);
    }
    // Strata with missing stations but nothing in hand borrow the pool.
    let pool = Stratum {
        name: "(all strata pooled)".into(),
        votes: (0..k)
            .map(|j| {
                strata
                    .iter()
                    .flat_map(|s| s.votes[j].iter().copied())
                    .collect()
            })
            .collect(),
        registered: if strata.iter().all(|s| s.registered.is_some()) {
            Some(
                strata
                    .iter()
                    .flat_map(|s| s.registered.iter().flatten().copied())
                    .collect(),
            )
        } else {
            None
        },
        missing: 0,
        missing_registered: None,
    };
    let pooled: Vec<String> = strata
        .iter()
        .filter(|s| s.in_hand() == 0 && s.missing > 0)
        .map(|s| s.name.clone())
        .collect();
    let source = |s: &Stratum| -> Stratum {
        if s.in_hand() == 0 {
            Stratum {
                name: s.name.clone(),
                votes: pool.votes.clone(),
                registered: pool.registered.clone(),
                missing: s.missing,
                missing_registered: s.missing_registered.clone(),
            }
        } else {
            s.clone()
        }
    };
    let work: Vec<Stratum> = strata
        .iter()
        .filter(|s| s.missing > 0 || s.in_hand() > 0)
        .map(source)
        .collect();
    let in_hand: Vec<u64> = (0..k)
        .map(|j| strata.iter().map(|s| s.votes[j].iter().sum::<u64>()).sum())
        .collect();
    let leader = (0..k)
        .max_by_key(|&j| (in_hand[j], std::cmp::Reverse(j)))
        .unwrap_or(0);
    // Point estimate.
    let mut point = in_hand.iter().map(|&v| v as f64).collect::<Vec<f64>>();
    for s in &work {
        if s.missing == 0 {
            continue;
        }
        let n = s.in_hand() as f64;
        for (j, p) in point.iter_mut().enumerate() {
            let y: u64 = s.votes[j].iter().sum();
            *p += match (s.ratio_mode(), &s.registered, &s.missing_registered) {
                (true, Some(x), Some(xm)) => {
                    let (a, b) = regression(
                        x.iter().map(|&v| v as f64),
                        s.votes[j].iter().map(|&v| v as f64),
                    );
                    let xms: u64 = xm.iter().sum();
                    a * s.missing as f64 + b * xms as f64
                }
                _ => s.missing as f64 * y as f64 / n,
            };
        }
    }
    // The strata to project, laid out for the bootstrap.
    let prepared: Vec<Prepared> = work
        .iter()
        .filter(|s| s.missing > 0)
        .map(|s| Prepared::new(s, k))
        .collect();
    let n_max = prepared.iter().map(|p| p.n).max().unwrap_or(0);
    let start: Vec<f64> = in_hand.iter().map(|&v| v as f64).collect();
    // Bootstrap replicates, each with its own stream of the seed, so the
    // figures do not depend on the number of threads; the buffers are
    // reused across the replicates one thread runs.
    let reps: Vec<Vec<f64>> = (0..params.replicates)
        .into_par_iter()
        .map_init(
            || Scratch::new(n_max, k),
            |scratch, b| {
                let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
                rng.set_stream(b as u64 + 1);
                let mut tot = start.clone();
                for p in &prepared {
                    p.replicate(&mut rng, scratch, &mut tot);
                }
                tot
            },
        )
        .collect();
    let alpha = (1.0 - params.level) / 2.0;
    let mut options = Vec::with_capacity(k);
    let point_valid: f64 = point.iter().sum();
    for j in 0..k {
        let mut v: Vec<f64> = reps.iter().map(|r| r[j]).collect();
        v.sort_by(f64::total_cmp);
        let mut sh: Vec<f64> = reps
            .iter()
            .map(|r| {
                let t: f64 = r.iter().sum();
                if t > 0.0 { r[j] / t } else { 0.0 }
            })
            .collect();
        sh.sort_by(f64::total_cmp);
        options.push(OptionProjection {
            option: j,
            in_hand: in_hand[j],
            estimate: point[j],
            low: percentile(&v, alpha),
            high: percentile(&v, 1.0 - alpha),
            share: if point_valid > 0.0 {
                point[j] / point_valid
            } else {
                0.0
            },
            share_low: percentile(&sh, alpha),
            share_high: percentile(&sh, 1.0 - alpha),
        });
    }
    let differs = reps
        .iter()
        .filter(|r| {
            let w = (0..k)
                .max_by(|&a, &b| r[a].total_cmp(&r[b]).then(b.cmp(&a)))
                .unwrap_or(leader);
            w != leader
        })
        .count();
    let ratio_all = work
        .iter()
        .filter(|s| s.missing > 0)
        .all(Stratum::ratio_mode);
    let estimator = if ratio_all {
        "separate regression estimator on registered voters (Cochran 1977 §7.10)"
    } else {
        "expansion by number of stations within strata (Cochran 1977 §5.2)"
    };
    Ok(Projection {
        params: params.clone(),
        options,
        leader_in_hand: leader,
        p_winner_differs: differs as f64 / params.replicates as f64,
        pooled_strata: pooled,
        estimator: estimator.to_string(),
        assumptions: format!(
            "Assumes the stations without a sheet are missing at random within each stratum: they vote like the stations with a sheet in the same stratum{}. Interval: {:.0}% predictive bootstrap, {} replicates, seed {}. If sheets are missing where one side is strong, the projection is biased; the worst case does not rest on this assumption.",
            if ratio_all {
                ", given their registered voters"
            } else {
                ""
            },
            params.level * 100.0,
            params.replicates,
            params.seed
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stratum(votes: Vec<Vec<u64>>, missing: u64) -> Stratum {
        Stratum {
            name: "s".into(),
            votes,
            registered: None,
            missing,
            missing_registered: None,
        }
    }

    #[test]
    fn nothing_missing_means_no_uncertainty() {
        let s = stratum(vec![vec![10, 20, 30], vec![5, 5, 5]], 0);
        let p = project(
            &[s],
            &ProjectionParams {
                replicates: 200,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(p.options[0].estimate, 60.0);
        assert_eq!((p.options[0].low, p.options[0].high), (60.0, 60.0));
        assert_eq!(p.p_winner_differs, 0.0);
    }

    #[test]
    fn expansion_estimate_by_hand() {
        // Three stations in hand with 10, 20, 30 votes for option 0; two
        // missing: 60 + 2 × 20 = 100.
        let s = stratum(vec![vec![10, 20, 30], vec![1, 1, 1]], 2);
        let p = project(
            &[s],
            &ProjectionParams {
                replicates: 500,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(p.options[0].estimate, 100.0);
        // The votes in hand are certain; predictions are never negative.
        assert!(p.options[0].low >= 60.0 && p.options[0].low < 100.0);
        assert!(p.options[0].high > 100.0);
    }

    #[test]
    fn regression_estimate_by_hand() {
        // In hand, option 0 lies on y = 2 + 0.25·x: (40, 12), (60, 17),
        // (80, 22), 51 votes. The missing stations have 20 and 100
        // registered: 2·2 + 0.25·120 = 34, so 51 + 34 = 85.
        let s = Stratum {
            name: "r".into(),
            votes: vec![vec![12, 17, 22], vec![5, 5, 5]],
            registered: Some(vec![40, 60, 80]),
            missing: 2,
            missing_registered: Some(vec![20, 100]),
        };
        let p = project(
            &[s],
            &ProjectionParams {
                replicates: 300,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(
            (p.options[0].estimate - 85.0).abs() < 1e-9,
            "{}",
            p.options[0].estimate
        );
        // Option 1 does not vary: 15 + 2 × 5 = 25.
        assert!((p.options[1].estimate - 25.0).abs() < 1e-9);
        assert!(p.estimator.contains("regression"));
    }

    #[test]
    fn seeded_and_reproducible() {
        let s = stratum(vec![vec![10, 20, 30, 7], vec![9, 8, 1, 3]], 3);
        let a = project(
            std::slice::from_ref(&s),
            &ProjectionParams {
                replicates: 300,
                seed: 5,
                level: 0.95,
            },
        )
        .unwrap();
        let b = project(
            &[s],
            &ProjectionParams {
                replicates: 300,
                seed: 5,
                level: 0.95,
            },
        )
        .unwrap();
        assert_eq!(a.options[0].low, b.options[0].low);
        assert_eq!(a.p_winner_differs, b.p_winner_differs);
    }

    /// A stratum with registered voters known one by one: `n` stations in
    /// hand and `m` missing, `k` options, votes roughly `x·share` plus noise.
    fn drawn_stratum(n: usize, m: usize, k: usize, seed: u64) -> Stratum {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut size = || rng.random_range(100u64..2000);
        let registered: Vec<u64> = (0..n).map(|_| size()).collect();
        let missing_registered: Vec<u64> = (0..m).map(|_| size()).collect();
        let votes = (0..k)
            .map(|j| {
                registered
                    .iter()
                    .map(|&x| {
                        let share = 0.5 / (j as f64 + 1.0);
                        let noise = rng.random_range(-0.3..0.3) * share * x as f64;
                        (share * 0.6 * x as f64 + noise).round().max(0.0) as u64
                    })
                    .collect()
            })
            .collect();
        Stratum {
            name: "d".into(),
            votes,
            registered: Some(registered),
            missing: m as u64,
            missing_registered: Some(missing_registered),
        }
    }

    /// The replicate as the method states it, station by station: the
    /// resample's least-squares line at each missing station's registered
    /// voters plus a donor's inflated residual, summed, the sum clipped at
    /// zero; the draws in the same order (the resample, then the donors).
    fn replicate_by_station(s: &Stratum, rng: &mut ChaCha8Rng) -> Vec<f64> {
        let n = s.in_hand();
        let sample: Vec<usize> = (0..n)
            .map(|_| rng.random_range(0..n as u32) as usize)
            .collect();
        let donors: Vec<usize> = (0..s.missing)
            .map(|_| sample[rng.random_range(0..n as u32) as usize])
            .collect();
        let x = s.registered.as_ref().unwrap();
        let xm = s.missing_registered.as_ref().unwrap();
        let c = (n as f64 / (n as f64 - 1.0)).sqrt();
        (0..s.votes.len())
            .map(|j| {
                let y = &s.votes[j];
                let (a, b) = regression(
                    sample.iter().map(|&d| x[d] as f64),
                    sample.iter().map(|&d| y[d] as f64),
                );
                let total: f64 = xm
                    .iter()
                    .zip(&donors)
                    .map(|(&xi, &d)| a + b * xi as f64 + c * (y[d] as f64 - a - b * x[d] as f64))
                    .sum();
                total.max(0.0)
            })
            .collect()
    }

    #[test]
    fn replicate_sums_equal_the_station_by_station_prediction() {
        // 3 options take the path with the sums in registers, 11 the
        // general one.
        for (k, seed) in [(3, 1), (11, 2)] {
            let s = drawn_stratum(37, 23, k, seed);
            let p = Prepared::new(&s, k);
            let mut scratch = Scratch::new(p.n, k);
            for b in 0..20u64 {
                let mut fast_rng = ChaCha8Rng::seed_from_u64(9);
                fast_rng.set_stream(b);
                let mut ref_rng = fast_rng.clone();
                let mut fast = vec![0.0; k];
                p.replicate(&mut fast_rng, &mut scratch, &mut fast);
                let by_station = replicate_by_station(&s, &mut ref_rng);
                for j in 0..k {
                    assert!(
                        (fast[j] - by_station[j]).abs() <= 1e-7 * by_station[j].abs().max(1.0),
                        "k {k}, replicate {b}, option {j}: {} vs {}",
                        fast[j],
                        by_station[j]
                    );
                }
            }
        }
    }

    #[test]
    fn interval_width_matches_the_predictive_variance() {
        // Homoscedastic stratum: y = 20 + 0.4·x + e, e uniform on ±26 (sd
        // 15). The variance of the missing total's prediction error under
        // the regression model is s²·(m + m²/n + (X_M − m·x̄)²/Sxx)
        // (Cochran 1977 §7.10, plus the m stations' own variation); the
        // bootstrap's 95% interval should be 2 × 1.96 of its square root.
        // Dropping either part (the line's uncertainty or the missing
        // stations' own variation) narrows it by 24% or 35%.
        let (n, m) = (400usize, 300usize);
        let mut rng = ChaCha8Rng::seed_from_u64(77);
        let x: Vec<u64> = (0..n).map(|_| rng.random_range(200u64..1200)).collect();
        let xm: Vec<u64> = (0..m).map(|_| rng.random_range(200u64..1200)).collect();
        let y: Vec<u64> = x
            .iter()
            .map(|&xi| (20.0 + 0.4 * xi as f64 + rng.random_range(-26.0..26.0)).round() as u64)
            .collect();
        let (a, b) = regression(x.iter().map(|&v| v as f64), y.iter().map(|&v| v as f64));
        let s2 = x
            .iter()
            .zip(&y)
            .map(|(&xi, &yi)| (yi as f64 - a - b * xi as f64).powi(2))
            .sum::<f64>()
            / (n as f64 - 2.0);
        let xbar = x.iter().sum::<u64>() as f64 / n as f64;
        let sxx: f64 = x.iter().map(|&v| (v as f64 - xbar).powi(2)).sum();
        let xms = xm.iter().sum::<u64>() as f64;
        let (nf, mf) = (n as f64, m as f64);
        let sd = (s2 * (mf + mf * mf / nf + (xms - mf * xbar).powi(2) / sxx)).sqrt();
        let s = Stratum {
            name: "h".into(),
            votes: vec![y, vec![3; n]],
            registered: Some(x),
            missing: m as u64,
            missing_registered: Some(xm),
        };
        let p = project(
            &[s],
            &ProjectionParams {
                replicates: 4000,
                seed: 3,
                level: 0.95,
            },
        )
        .unwrap();
        let half = (p.options[0].high - p.options[0].low) / 2.0;
        let ratio = half / (1.959_964 * sd);
        assert!((0.93..=1.07).contains(&ratio), "ratio {ratio}, sd {sd}");
    }

    #[test]
    fn same_figures_on_one_thread_and_many() {
        let strata = [drawn_stratum(300, 120, 4, 5), drawn_stratum(80, 40, 4, 6)];
        let params = ProjectionParams {
            replicates: 500,
            seed: 8,
            level: 0.95,
        };
        let many = project(&strata, &params).unwrap();
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| project(&strata, &params).unwrap());
        for (a, b) in many.options.iter().zip(&one.options) {
            assert_eq!((a.low, a.high, a.share_low), (b.low, b.high, b.share_low));
        }
        assert_eq!(many.p_winner_differs, one.p_winner_differs);
    }

    #[test]
    fn empty_stratum_borrows_the_pool() {
        let a = stratum(vec![vec![10, 20], vec![1, 2]], 0);
        let b = stratum(vec![vec![], vec![]], 4);
        let p = project(
            &[a, b],
            &ProjectionParams {
                replicates: 200,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(p.pooled_strata, vec!["s".to_string()]);
        assert_eq!(p.options[0].estimate, 30.0 + 4.0 * 15.0);
    }
}

/// Strata (regions) from a simulated election, as the sheets in hand would
/// give them: the stations with a sheet in hand, and the missing ones with
/// (`per_station_registered`) or without their registered voters.
pub fn strata_from_simulation(
    sim: &crate::simulate::Simulation,
    per_station_registered: bool,
) -> Vec<Stratum> {
    let k = sim.option_keys.len();
    let mut out: Vec<Stratum> = sim
        .region_names
        .iter()
        .map(|name| Stratum {
            name: name.clone(),
            votes: vec![Vec::new(); k],
            registered: Some(Vec::new()),
            missing: 0,
            missing_registered: per_station_registered.then(Vec::new),
        })
        .collect();
    for i in 0..sim.len() {
        let s = &mut out[sim.region[i] as usize];
        if sim.has_sheet[i] {
            for j in 0..k {
                s.votes[j].push(u64::from(sim.votes[j][i]));
            }
            if let Some(r) = s.registered.as_mut() {
                r.push(u64::from(sim.registered[i]));
            }
        } else {
            s.missing += 1;
            if let Some(r) = s.missing_registered.as_mut() {
                r.push(u64::from(sim.registered[i]));
            }
        }
    }
    out
}

/// One simulated election's check of the projection: per option, whether
/// the interval held the true total, and where the truth and the interval
/// lie in units of the interval's standard error.
#[derive(Debug, Clone, Serialize)]
pub struct ElectionCheck {
    /// Per option: the interval held the true total.
    pub hit: Vec<bool>,
    /// Per option: interval width over the true total.
    pub relative_width: Vec<f64>,
    /// Per option: `(truth − estimate) / se`, `se` = half-width / 1.96.
    pub z: Vec<f64>,
    /// Per option: `(interval midpoint − estimate) / se`: how far the
    /// bootstrap's interval sits from the point estimate (0 when centred).
    pub offset: Vec<f64>,
    /// Whether the winner over all stations differs from the leader in hand.
    pub winner_differs: bool,
    /// The projection's probability that it does.
    pub p_winner_differs: f64,
}

/// Checks the projection on election number `s` of a calibration run:
/// simulate (5 options, seed `seed + 7919·s`), project with `replicates`
/// (seed `seed ^ s`), compare with the truth.
pub fn check_election(
    s: usize,
    stations: usize,
    missing_share: f64,
    replicates: usize,
    ratio: bool,
    seed: u64,
) -> Result<ElectionCheck, ProjectionError> {
    let sim = crate::simulate::simulate(&crate::simulate::SimParams {
        stations,
        options: 5,
        seed: seed.wrapping_add(s as u64 * 7919),
        missing_share,
    })
    .map_err(|e| ProjectionError::Param(e.to_string()))?;
    let truth = sim.true_totals();
    let strata = strata_from_simulation(&sim, ratio);
    let p = project(
        &strata,
        &ProjectionParams {
            replicates,
            seed: seed ^ (s as u64),
            level: 0.95,
        },
    )?;
    let se = |o: &OptionProjection| (o.high - o.low) / (2.0 * 1.959_964);
    let per = |f: &dyn Fn(&OptionProjection, f64) -> f64| -> Vec<f64> {
        p.options
            .iter()
            .map(|o| f(o, truth[o.option] as f64))
            .collect()
    };
    let true_winner = (0..truth.len())
        .max_by_key(|&j| (truth[j], std::cmp::Reverse(j)))
        .unwrap_or(0);
    Ok(ElectionCheck {
        hit: p
            .options
            .iter()
            .map(|o| o.low <= truth[o.option] as f64 && truth[o.option] as f64 <= o.high)
            .collect(),
        relative_width: per(&|o, t| (o.high - o.low) / t.max(1.0)),
        z: per(&|o, t| {
            if se(o) > 0.0 {
                (t - o.estimate) / se(o)
            } else {
                0.0
            }
        }),
        offset: per(&|o, _| {
            if se(o) > 0.0 {
                ((o.low + o.high) / 2.0 - o.estimate) / se(o)
            } else {
                0.0
            }
        }),
        winner_differs: true_winner != p.leader_in_hand,
        p_winner_differs: p.p_winner_differs,
    })
}

/// How often the projection's interval covers the truth, per option.
#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    /// Simulated elections.
    pub simulations: usize,
    /// Stations per election.
    pub stations: usize,
    /// Share of sheets missing (at random within regions).
    pub missing_share: f64,
    /// Bootstrap replicates per projection.
    pub replicates: usize,
    /// Whether the missing stations' registered voters were known one by one.
    pub ratio: bool,
    /// Per option: share of elections whose interval held the true total.
    pub coverage: Vec<f64>,
    /// All options together.
    pub coverage_all: f64,
    /// Mean interval width relative to the true total, per option.
    pub relative_width: Vec<f64>,
    /// Per option: mean of the standardised error `(truth − estimate) / se`,
    /// with `se` the interval's half-width over 1.96 (0 when calibrated).
    pub z_mean: Vec<f64>,
    /// Per option: standard deviation of the standardised error (1 when
    /// the interval's width is right; below 1 too wide, above 1 too narrow).
    pub z_sd: Vec<f64>,
    /// Per option: mean offset of the interval's midpoint from the point
    /// estimate, in standard errors.
    pub offset_mean: Vec<f64>,
    /// Mean of the projection's probability that the winner differs.
    pub p_winner_differs_mean: f64,
    /// Share of elections whose true winner differs from the leader in hand.
    pub winner_differs_share: f64,
}

impl Calibration {
    /// Aggregates the checks of one configuration.
    pub fn from_checks(
        checks: &[ElectionCheck],
        stations: usize,
        missing_share: f64,
        replicates: usize,
        ratio: bool,
    ) -> Calibration {
        let n = checks.len().max(1) as f64;
        let k = checks.first().map_or(0, |c| c.hit.len());
        let mean = |f: &dyn Fn(&ElectionCheck) -> f64| checks.iter().map(f).sum::<f64>() / n;
        let coverage: Vec<f64> = (0..k)
            .map(|j| mean(&|c| f64::from(u8::from(c.hit[j]))))
            .collect();
        let z_mean: Vec<f64> = (0..k).map(|j| mean(&|c| c.z[j])).collect();
        let z_sd = (0..k)
            .map(|j| {
                let ss: f64 = checks.iter().map(|c| (c.z[j] - z_mean[j]).powi(2)).sum();
                (ss / (n - 1.0).max(1.0)).sqrt()
            })
            .collect();
        Calibration {
            simulations: checks.len(),
            stations,
            missing_share,
            replicates,
            ratio,
            coverage_all: coverage.iter().sum::<f64>() / k.max(1) as f64,
            coverage,
            relative_width: (0..k).map(|j| mean(&|c| c.relative_width[j])).collect(),
            z_mean,
            z_sd,
            offset_mean: (0..k).map(|j| mean(&|c| c.offset[j])).collect(),
            p_winner_differs_mean: mean(&|c| c.p_winner_differs),
            winner_differs_share: mean(&|c| f64::from(u8::from(c.winner_differs))),
        }
    }
}

/// Check the interval on simulated elections where the truth is known
/// ([`check_election`] for elections `0..simulations`).
pub fn calibrate(
    simulations: usize,
    stations: usize,
    missing_share: f64,
    replicates: usize,
    ratio: bool,
    seed: u64,
) -> Result<Calibration, ProjectionError> {
    let checks = (0..simulations)
        .map(|s| check_election(s, stations, missing_share, replicates, ratio, seed))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Calibration::from_checks(
        &checks,
        stations,
        missing_share,
        replicates,
        ratio,
    ))
}

#[cfg(test)]
mod calibration_tests {
    use super::*;

    /// A quick version of the calibration (the full one, 200 elections and
    /// 2,000 replicates, is `cargo run --release -p tallyproof-stats
    /// --example projection_calibration`): 60 elections, so the band is
    /// wider: with 300 interval checks (5 options × 60) at a true 95%, the
    /// pooled coverage lies within 95% ± 4 points with high probability.
    #[test]
    fn interval_covers_the_truth_about_95_percent() {
        for ratio in [true, false] {
            let c = calibrate(60, 800, 0.25, 400, ratio, 11).unwrap();
            assert!(
                (0.91..=0.99).contains(&c.coverage_all),
                "ratio {ratio}: coverage {:?}",
                c.coverage
            );
        }
    }
}
