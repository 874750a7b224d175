//! The election fingerprint and the Klimek et al. fraud model.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::shape::rates;
use super::util::{replicate_rng, replicates, test_seed, upper_p};
use super::{Finding, ForensicTest, ForensicsError, Input, KLIMEK_FINGERPRINT, Options, Stations};

/// A 2-D histogram of stations by turnout (rows) and leader share (columns),
/// each over [0, 1] in `bins` equal bins (the last bin includes 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FingerprintHistogram {
    /// Bins per axis.
    pub bins: usize,
    /// `counts[turnout_bin][share_bin]`: number of stations.
    pub counts: Vec<Vec<u64>>,
}

fn bin(x: f64, bins: usize) -> usize {
    ((x * bins as f64).floor().max(0.0) as usize).min(bins - 1)
}

impl FingerprintHistogram {
    /// Bins turnout and share pairs.
    pub fn from_rates(t: &[f64], v: &[f64], bins: usize) -> Self {
        let bins = bins.max(1);
        let mut counts = vec![vec![0u64; bins]; bins];
        for (&a, &b) in t.iter().zip(v) {
            counts[bin(a, bins)][bin(b, bins)] += 1;
        }
        FingerprintHistogram { bins, counts }
    }

    /// The fingerprint of a table: turnout = ballots / registered, leader
    /// share = leader / (valid + invalid), stations where both are defined
    /// (Klimek et al. 2012, Fig. 1).
    pub fn of(s: &Stations, bins: usize) -> Self {
        match rates(s) {
            Some((_, t, v)) => Self::from_rates(&t, &v, bins),
            None => Self::from_rates(&[], &[], bins),
        }
    }
}

/// Per-station random numbers of the model, drawn once so that every grid
/// point sees the same draws (common random numbers).
struct ModelDraws {
    a: Vec<f64>,
    v: Vec<f64>,
    u: Vec<f64>,
    x_inc: Vec<f64>,
    x_ext: Vec<f64>,
}

/// Standard normal by Box–Muller.
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Model parameters estimated from the data.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct KlimekBase {
    /// Median turnout.
    pub turnout: f64,
    /// Robust SD of turnout (1.4826·MAD).
    pub turnout_sd: f64,
    /// Median leader share.
    pub share: f64,
    /// Robust SD of leader share.
    pub share_sd: f64,
}

fn median(x: &[f64]) -> f64 {
    let mut y = x.to_vec();
    y.sort_by(|a, b| a.total_cmp(b));
    let n = y.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        y[n / 2]
    } else {
        0.5 * (y[n / 2 - 1] + y[n / 2])
    }
}

fn robust(x: &[f64]) -> (f64, f64) {
    let m = median(x);
    let dev: Vec<f64> = x.iter().map(|v| (v - m).abs()).collect();
    (m, 1.4826 * median(&dev))
}

impl KlimekBase {
    /// Median and 1.4826·MAD of turnout and share: the clean peak, robust to
    /// the fraudulent tail.
    pub fn estimate(t: &[f64], v: &[f64]) -> Self {
        let (tm, ts) = robust(t);
        let (vm, vs) = robust(v);
        KlimekBase {
            turnout: tm,
            turnout_sd: ts,
            share: vm,
            share_sd: vs,
        }
    }
}

/// SD of |N(0, σ)| in extreme fraud: the leader gets all but a fraction
/// |N(0, 0.075)| of the non-voters and of the others' votes.
const EXTREME_SD: f64 = 0.075;

fn draws(base: &KlimekBase, n: usize, rng: &mut ChaCha8Rng) -> ModelDraws {
    let mut d = ModelDraws {
        a: Vec::with_capacity(n),
        v: Vec::with_capacity(n),
        u: Vec::with_capacity(n),
        x_inc: Vec::with_capacity(n),
        x_ext: Vec::with_capacity(n),
    };
    for _ in 0..n {
        d.a.push((base.turnout + base.turnout_sd * normal(rng)).clamp(0.0, 1.0));
        d.v.push((base.share + base.share_sd * normal(rng)).clamp(0.0, 1.0));
        d.u.push(rng.random::<f64>());
        d.x_inc.push(rng.random::<f64>());
        d.x_ext
            .push((1.0 - (EXTREME_SD * normal(rng)).abs()).clamp(0.0, 1.0));
    }
    d
}

/// Normalised fingerprint of the model at fraud fractions (f_i, f_e).
fn model_hist(d: &ModelDraws, fi: f64, fe: f64, bins: usize) -> Vec<f64> {
    let n = d.a.len();
    let mut h = vec![0.0; bins * bins];
    for k in 0..n {
        let (a, v) = (d.a[k], d.v[k]);
        let x = if d.u[k] < fe {
            d.x_ext[k]
        } else if d.u[k] < fe + fi {
            d.x_inc[k]
        } else {
            0.0
        };
        // A fraction x of non-voters (1 − a) is added as leader votes and a
        // fraction x of the others' votes a(1 − v) is moved to the leader.
        let t = a + x * (1.0 - a);
        let w = if t > 0.0 {
            (a * v + x * (1.0 - a) + x * a * (1.0 - v)) / t
        } else {
            0.0
        };
        h[bin(t, bins) * bins + bin(w, bins)] += 1.0;
    }
    let n = n.max(1) as f64;
    h.iter_mut().for_each(|x| *x /= n);
    h
}

fn flat(h: &FingerprintHistogram) -> Vec<f64> {
    let n: u64 = h.counts.iter().flatten().sum();
    let n = n.max(1) as f64;
    h.counts.iter().flatten().map(|&c| c as f64 / n).collect()
}

fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Grid of (f_i, f_e) tried by the fit.
fn grid() -> Vec<(f64, f64)> {
    let mut g = Vec::new();
    for i in 0..=20 {
        for e in 0..=10 {
            g.push((i as f64 * 0.025, e as f64 * 0.005));
        }
    }
    g
}

/// The grid point whose model fingerprint (from `d`) is closest to `target`.
fn best_fit(d: &ModelDraws, target: &[f64], bins: usize) -> (f64, f64, f64) {
    let mut best = (0.0, 0.0, f64::INFINITY);
    for (fi, fe) in grid() {
        let dd = dist(&model_hist(d, fi, fe, bins), target);
        if dd < best.2 {
            best = (fi, fe, dd);
        }
    }
    best
}

/// The result of [`KlimekFit`].
#[derive(Debug, Clone, Serialize)]
pub struct KlimekEstimate {
    /// Clean-peak parameters estimated from the data.
    pub base: KlimekBase,
    /// Fitted incremental fraud fraction.
    pub incremental: f64,
    /// Fitted extreme fraud fraction.
    pub extreme: f64,
    /// 95% parametric-bootstrap interval of the incremental fraction.
    pub incremental_interval: (f64, f64),
    /// 95% parametric-bootstrap interval of the extreme fraction.
    pub extreme_interval: (f64, f64),
    /// Bootstrap p-value of f_i + f_e under the clean model (f_i = f_e = 0).
    pub p_value: f64,
    /// Replicates of each bootstrap.
    pub bootstrap: usize,
}

fn quantile(x: &mut [f64], q: f64) -> f64 {
    x.sort_by(|a, b| a.total_cmp(b));
    if x.is_empty() {
        return f64::NAN;
    }
    let k = ((x.len() - 1) as f64 * q).round() as usize;
    x[k]
}

/// Fits the Klimek et al. model to a table (see [`KlimekFit`]).
pub fn klimek_fit(
    s: &Stations,
    bins: usize,
    seed: u64,
    bootstrap: usize,
) -> Result<KlimekEstimate, ForensicsError> {
    let na = |reason: &str| ForensicsError::NotApplicable {
        test: KLIMEK_FINGERPRINT,
        reason: reason.to_string(),
    };
    let (_, t, v) = rates(s).ok_or_else(|| na("no options"))?;
    if t.len() < 50 {
        return Err(na("fewer than 50 stations"));
    }
    let base = KlimekBase::estimate(&t, &v);
    let target = flat(&FingerprintHistogram::from_rates(&t, &v, bins));
    let stream = test_seed(seed, KLIMEK_FINGERPRINT);
    let n = t.len();
    let model = draws(&base, n, &mut replicate_rng(stream, 0));
    let (fi, fe, _) = best_fit(&model, &target, bins);
    // Parametric bootstrap: data drawn from the fitted model (and from the
    // clean model, for the p-value) with fresh draws, refitted on the grid.
    let boot = |offset: usize, bfi: f64, bfe: f64| {
        replicates(mix_stream(stream, offset), bootstrap, |rng| {
            let d = draws(&base, n, rng);
            let h = model_hist(&d, bfi, bfe, bins);
            let (a, b, _) = best_fit(&model, &h, bins);
            (a, b)
        })
    };
    let fitted = boot(1, fi, fe);
    let mut bi: Vec<f64> = fitted.iter().map(|x| x.0).collect();
    let mut be: Vec<f64> = fitted.iter().map(|x| x.1).collect();
    let clean = boot(2, 0.0, 0.0);
    let sums: Vec<f64> = clean.iter().map(|x| x.0 + x.1).collect();
    let p_value = upper_p(fi + fe, &sums);
    Ok(KlimekEstimate {
        base,
        incremental: fi,
        extreme: fe,
        incremental_interval: (quantile(&mut bi, 0.025), quantile(&mut bi, 0.975)),
        extreme_interval: (quantile(&mut be, 0.025), quantile(&mut be, 0.975)),
        p_value,
        bootstrap,
    })
}

fn mix_stream(stream: u64, offset: usize) -> u64 {
    super::util::mix(stream ^ (offset as u64).wrapping_mul(0xA076_1D64_78BD_642F))
}

/// The Klimek et al. fraud model fitted to the election fingerprint
/// (Klimek, Yegorov, Hanel & Thurner 2012, "Statistical detection of
/// systematic election irregularities", PNAS 109(41):16469–16473, model in
/// the main text and SI).
///
/// Model: each station's turnout a ~ N(ā, σ_a) and leader share v ~ N(v̄, σ_v)
/// (clamped to [0, 1]), with ā, σ_a, v̄, σ_v the median and 1.4826·MAD of the
/// data (the clean peak). With probability f_i a station has incremental
/// fraud: a fraction x ~ U(0, 1) of its non-voters is cast for the leader and
/// the same fraction of the others' votes is moved to the leader; with
/// probability f_e it has extreme fraud, the same with x = 1 − |N(0, 0.075)|.
/// (The uniform x and the 0.075 are this implementation's choices.)
/// Fit: the (f_i, f_e) on the grid {0, 0.025, …, 0.5} × {0, 0.005, …, 0.05}
/// minimising the squared distance between the data's and the model's
/// normalised `bins`×`bins` fingerprints, with common random numbers across
/// grid points. Interval: 2.5–97.5% of fits to data simulated from the fitted
/// model (parametric bootstrap). p-value: the share of fits to data simulated
/// from the clean model (f_i = f_e = 0) with f_i + f_e at least the observed.
#[derive(Debug, Clone)]
pub struct KlimekFit {
    /// Bins per axis of the fitted fingerprint.
    pub bins: usize,
    /// Upper bound on bootstrap replicates (each is a full refit).
    pub max_bootstrap: usize,
}

impl Default for KlimekFit {
    fn default() -> Self {
        KlimekFit {
            bins: 20,
            max_bootstrap: 100,
        }
    }
}

impl ForensicTest for KlimekFit {
    fn code(&self) -> &'static str {
        KLIMEK_FINGERPRINT
    }

    fn run(&self, input: &Input<'_>, options: &Options) -> Result<Finding, ForensicsError> {
        let reps = options.replicates.min(self.max_bootstrap).max(1);
        let e = klimek_fit(input.stations, self.bins, options.seed, reps)?;
        let mut f = Finding::new(
            KLIMEK_FINGERPRINT,
            "Election fingerprint: Klimek fraud model",
        );
        f.statistic_name = "fitted fraud fraction f_i + f_e".into();
        f.statistic = e.incremental + e.extreme;
        f.p_value = Some(e.p_value);
        f.effect_name = "incremental fraud fraction f_i".into();
        f.effect = e.incremental;
        f.detail("incremental f_i", e.incremental);
        f.detail("incremental low", e.incremental_interval.0);
        f.detail("incremental high", e.incremental_interval.1);
        f.detail("extreme f_e", e.extreme);
        f.detail("extreme low", e.extreme_interval.0);
        f.detail("extreme high", e.extreme_interval.1);
        f.detail("clean turnout", e.base.turnout);
        f.detail("clean turnout sd", e.base.turnout_sd);
        f.detail("clean share", e.base.share);
        f.detail("clean share sd", e.base.share_sd);
        // Stations in the top-right corner of the fingerprint drive f_e.
        if let Some((idx, t, v)) = rates(input.stations) {
            f.set_stations(
                idx.iter()
                    .zip(t.iter().zip(&v))
                    .filter(|(_, (a, b))| **a >= 0.9 && **b >= 0.9)
                    .map(|(&i, _)| input.stations.ids[i].clone())
                    .collect(),
            );
        }
        f.null = "Clean model: turnout and leader share are normal around the clean peak \
                  (median, MAD), independent across stations, with no fraud (f_i = f_e = 0)."
            .into();
        f.caveat = "The model assumes one clean peak; honest regional differences (a second \
                    peak, a correlated tail) are fitted as fraud. The fractions are model \
                    parameters, not counts of stolen votes. Listed stations are those with \
                    turnout and share both at least 90%."
            .into();
        f.citation = "Klimek, Yegorov, Hanel & Thurner 2012, PNAS 109(41):16469–16473".into();
        f.seed = options.seed;
        f.replicates = reps;
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_bins() {
        // (0.05, 0.95) -> row 0, col 9 of 10; (1.0, 1.0) -> last bin; (0.5, 0.5) -> (5, 5).
        let h = FingerprintHistogram::from_rates(&[0.05, 1.0, 0.5], &[0.95, 1.0, 0.5], 10);
        assert_eq!(h.counts[0][9], 1);
        assert_eq!(h.counts[9][9], 1);
        assert_eq!(h.counts[5][5], 1);
    }

    #[test]
    fn model_recovers_planted_fractions() {
        // Data drawn from the model itself with f_i = 0.2, f_e = 0.02.
        let base = KlimekBase {
            turnout: 0.6,
            turnout_sd: 0.08,
            share: 0.5,
            share_sd: 0.07,
        };
        let n = 20_000;
        let data = draws(&base, n, &mut replicate_rng(123, 0));
        let target = model_hist(&data, 0.2, 0.02, 20);
        let model = draws(&base, n, &mut replicate_rng(456, 0));
        let (fi, fe, _) = best_fit(&model, &target, 20);
        assert!((fi - 0.2).abs() <= 0.05, "f_i {fi}");
        assert!((fe - 0.02).abs() <= 0.01, "f_e {fe}");
        // Clean data fit close to zero.
        let clean = model_hist(&data, 0.0, 0.0, 20);
        let (fi, fe, _) = best_fit(&model, &clean, 20);
        assert!(fi <= 0.05 && fe <= 0.005, "{fi} {fe}");
    }
}
