//! The election fingerprint and the Klimek et al. fraud model.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::shape::rates;
use super::util::{binomial, replicate_rng, replicates_with, test_seed, upper_p};
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

/// Where station `k` of the model falls at fraud fraction x.
fn fraud_bin(d: &ModelDraws, k: usize, x: f64, bins: usize) -> usize {
    let (a, v) = (d.a[k], d.v[k]);
    // A fraction x of non-voters (1 − a) is added as leader votes and a
    // fraction x of the others' votes a(1 − v) is moved to the leader.
    let t = a + x * (1.0 - a);
    let w = if t > 0.0 {
        (a * v + x * (1.0 - a) + x * a * (1.0 - v)) / t
    } else {
        0.0
    };
    bin(t, bins) * bins + bin(w, bins)
}

/// Normalised fingerprint of the model at fraud fractions (f_i, f_e),
/// station by station (the definition; [`ModelTable`] computes the same fast).
#[cfg(test)]
fn model_hist(d: &ModelDraws, fi: f64, fe: f64, bins: usize) -> Vec<f64> {
    let n = d.a.len();
    let mut h = vec![0.0; bins * bins];
    for k in 0..n {
        let x = if d.u[k] < fe {
            d.x_ext[k]
        } else if d.u[k] < fe + fi {
            d.x_inc[k]
        } else {
            0.0
        };
        h[fraud_bin(d, k, x, bins)] += 1.0;
    }
    let n = n.max(1) as f64;
    h.iter_mut().for_each(|x| *x /= n);
    h
}

/// Resolution of the fraud fractions: the thresholds f_e and f_e + f_i on a
/// station's uniform are rounded to multiples of this.
const STEP: f64 = 0.001;
/// Largest f_i + f_e on the grid (0.5 + 0.05).
const MAX_FRAUD: f64 = 0.55;

/// The model's fingerprint at every (f_i, f_e), from one set of draws:
/// stations are bucketed by their uniform u in steps of [`STEP`], and each
/// bucket keeps the histogram of its stations clean, with incremental fraud
/// and with extreme fraud. A station is extreme when u < f_e, incremental
/// when f_e ≤ u < f_e + f_i, clean otherwise, so the fingerprint at any
/// (f_i, f_e) is a sum of three prefix sums over buckets: O(bins²) per point
/// instead of O(stations).
struct ModelTable {
    cells: usize,
    /// Prefix sums over buckets of the clean, incremental and extreme
    /// histograms: `pre[kind][b·cells + c]` = stations in buckets < b.
    pre: [Vec<f64>; 3],
    /// The clean histogram of every station.
    clean_all: Vec<f64>,
    n: f64,
}

impl ModelTable {
    fn new(d: &ModelDraws, bins: usize) -> Self {
        let cells = bins * bins;
        let nb = (MAX_FRAUD / STEP).round() as usize + 1;
        let mut pre = [
            vec![0.0; (nb + 1) * cells],
            vec![0.0; (nb + 1) * cells],
            vec![0.0; (nb + 1) * cells],
        ];
        let mut clean_all = vec![0.0; cells];
        for k in 0..d.a.len() {
            let c0 = fraud_bin(d, k, 0.0, bins);
            clean_all[c0] += 1.0;
            let b = (d.u[k] / STEP).floor() as usize;
            if b < nb {
                let base = (b + 1) * cells;
                pre[0][base + c0] += 1.0;
                pre[1][base + fraud_bin(d, k, d.x_inc[k], bins)] += 1.0;
                pre[2][base + fraud_bin(d, k, d.x_ext[k], bins)] += 1.0;
            }
        }
        for p in &mut pre {
            for b in 1..=nb {
                for c in 0..cells {
                    p[b * cells + c] += p[(b - 1) * cells + c];
                }
            }
        }
        ModelTable {
            cells,
            pre,
            clean_all,
            n: d.a.len().max(1) as f64,
        }
    }

    /// The normalised fingerprint at (f_i, f_e).
    fn hist(&self, fi: f64, fe: f64, out: &mut [f64]) {
        let a = ((fe / STEP).round().max(0.0) as usize) * self.cells;
        let c = (((fe + fi) / STEP).round().max(0.0) as usize) * self.cells;
        let cells = self.cells;
        let [pc, pi, pe] = &self.pre;
        for k in 0..cells {
            let v = self.clean_all[k] - pc[c + k] + (pi[c + k] - pi[a + k]) + pe[a + k];
            out[k] = v / self.n;
        }
    }

    fn dist(&self, fi: f64, fe: f64, target: &[f64], buf: &mut [f64]) -> f64 {
        self.hist(fi, fe, buf);
        dist(buf, target)
    }
}

fn flat(h: &FingerprintHistogram) -> Vec<f64> {
    let n: u64 = h.counts.iter().flatten().sum();
    let n = n.max(1) as f64;
    h.counts.iter().flatten().map(|&c| c as f64 / n).collect()
}

fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Coarse grid steps of (f_i, f_e), then the fine steps searched around the
/// best coarse point.
const COARSE: (f64, f64) = (0.025, 0.005);
const FINE: (f64, f64) = (0.005, 0.001);

/// The (f_i, f_e) whose model fingerprint is closest to `target`: the best
/// point of the coarse grid {0, 0.025, …, 0.5} × {0, 0.005, …, 0.05}, then
/// of the fine grid (steps 0.005 and 0.001) within one coarse step of it,
/// then a parabola through the distances at the best fine point and its two
/// neighbours on each axis (moved at most half a fine step), so the estimate
/// is continuous and its bootstrap spread is not cut to grid points.
fn best_fit(m: &ModelTable, target: &[f64]) -> (f64, f64, f64) {
    let mut buf = vec![0.0; m.cells];
    let mut best = (0.0, 0.0, f64::INFINITY);
    for i in 0..=20 {
        for e in 0..=10 {
            let (fi, fe) = (i as f64 * COARSE.0, e as f64 * COARSE.1);
            let dd = m.dist(fi, fe, target, &mut buf);
            if dd < best.2 {
                best = (fi, fe, dd);
            }
        }
    }
    let (ci, ce) = (best.0, best.1);
    for i in -5i32..=5 {
        for e in -5i32..=5 {
            let fi = ci + f64::from(i) * FINE.0;
            let fe = ce + f64::from(e) * FINE.1;
            if !(-1e-12..=0.5 + 1e-12).contains(&fi) || !(-1e-12..=0.05 + 1e-12).contains(&fe) {
                continue;
            }
            let dd = m.dist(fi, fe, target, &mut buf);
            if dd < best.2 {
                best = (fi.max(0.0), fe.max(0.0), dd);
            }
        }
    }
    let (bi, be, d0) = best;
    let shift = |dm: f64, dp: f64, h: f64| {
        let curv = dm - 2.0 * d0 + dp;
        if curv > 0.0 {
            (0.5 * h * (dm - dp) / curv).clamp(-0.5 * h, 0.5 * h)
        } else {
            0.0
        }
    };
    let mut fi = bi;
    if bi - FINE.0 >= -1e-12 && bi + FINE.0 <= 0.5 + 1e-12 {
        let dm = m.dist(bi - FINE.0, be, target, &mut buf);
        let dp = m.dist(bi + FINE.0, be, target, &mut buf);
        fi = bi + shift(dm, dp, FINE.0);
    }
    let mut fe = be;
    if be - FINE.1 >= -1e-12 && be + FINE.1 <= 0.05 + 1e-12 {
        let dm = m.dist(bi, be - FINE.1, target, &mut buf);
        let dp = m.dist(bi, be + FINE.1, target, &mut buf);
        fe = be + shift(dm, dp, FINE.1);
    }
    (fi, fe, d0)
}

/// A fingerprint of `n` stations drawn from the model's cell probabilities
/// `p`: Multinomial(n, p) by conditional binomials (exact draws), normalised.
fn multinomial_hist(rng: &mut ChaCha8Rng, n: u64, p: &[f64]) -> Vec<f64> {
    let mut left = n;
    let mut mass = 1.0;
    let mut out = vec![0.0; p.len()];
    for (o, &q) in out.iter_mut().zip(p) {
        if left == 0 {
            break;
        }
        let x = if mass <= q || mass <= 0.0 {
            left
        } else {
            binomial(rng, left, q / mass)
        };
        *o = x as f64 / n.max(1) as f64;
        left -= x;
        mass -= q;
    }
    out
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
    /// Permutation p-value of f_i + f_e: the share of fits to the data with
    /// turnout permuted within groups at least the observed.
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
    klimek_fit_with(s, bins, seed, bootstrap, &super::NoProgress)
}

/// Model stations drawn for the fit: at least this many, so that the
/// model's own sampling noise is small beside the data's.
const MODEL_MIN: usize = 200_000;

fn klimek_fit_with(
    s: &Stations,
    bins: usize,
    seed: u64,
    bootstrap: usize,
    progress: &dyn super::Progress,
) -> Result<KlimekEstimate, ForensicsError> {
    let na = |reason: &str| ForensicsError::NotApplicable {
        test: KLIMEK_FINGERPRINT,
        reason: reason.to_string(),
    };
    let (idx, t, v) = rates(s).ok_or_else(|| na("no options"))?;
    if t.len() < 50 {
        return Err(na("fewer than 50 stations"));
    }
    let base = KlimekBase::estimate(&t, &v);
    let target = flat(&FingerprintHistogram::from_rates(&t, &v, bins));
    let stream = test_seed(seed, KLIMEK_FINGERPRINT);
    let n = t.len();
    let m = n.max(MODEL_MIN);
    // The model the data are fitted against (common random numbers for
    // every grid point), and an independent one the bootstrap data are drawn
    // from, so that the bootstrap carries the model's sampling noise too.
    let model = ModelTable::new(&draws(&base, m, &mut replicate_rng(stream, 0)), bins);
    let source = ModelTable::new(&draws(&base, m, &mut replicate_rng(stream, 1)), bins);
    let (fi, fe, _) = best_fit(&model, &target);
    // Parametric bootstrap for the interval: n stations drawn from the
    // fitted model, their fingerprint a multinomial draw from the model's
    // cell probabilities, refitted.
    progress.length(2 * bootstrap as u64);
    let boot = |offset: usize, bfi: f64, bfe: f64| {
        let mut p = vec![0.0; model.cells];
        source.hist(bfi, bfe, &mut p);
        replicates_with(mix_stream(stream, offset), bootstrap, progress, |rng| {
            let h = multinomial_hist(rng, n as u64, &p);
            let (a, b, _) = best_fit(&model, &h);
            (a, b)
        })
    };
    let fitted = boot(1, fi, fe);
    let mut bi: Vec<f64> = fitted.iter().map(|x| x.0).collect();
    let mut be: Vec<f64> = fitted.iter().map(|x| x.1).collect();
    // The p-value's null: within each group, turnout is unrelated to the
    // leader's share, so permuting the stations' turnout bins among the
    // group's stations leaves the fingerprint's distribution unchanged; each
    // permuted fingerprint is refitted against the same model (the median
    // and MAD, hence the model, do not change under permutation).
    let (all_groups, ng) = s.groups();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); ng];
    for (k, &i) in idx.iter().enumerate() {
        members[all_groups[i]].push(k);
    }
    members.retain(|m| m.len() >= 2);
    let tb: Vec<u16> = t.iter().map(|&x| bin(x, bins) as u16).collect();
    let vb: Vec<u16> = v.iter().map(|&x| bin(x, bins) as u16).collect();
    let inv_n = 1.0 / n as f64;
    let sums = replicates_with(mix_stream(stream, 3), bootstrap, progress, |rng| {
        let mut tp = tb.clone();
        for m in &members {
            // Fisher–Yates over the group's positions.
            for a in (1..m.len()).rev() {
                let c = rng.random_range(0..=a);
                tp.swap(m[a], m[c]);
            }
        }
        let mut h = vec![0.0; bins * bins];
        for (&a, &b) in tp.iter().zip(&vb) {
            h[usize::from(a) * bins + usize::from(b)] += inv_n;
        }
        let (a, b, _) = best_fit(&model, &h);
        a + b
    });
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
/// Fit: the (f_i, f_e) minimising the squared distance between the data's
/// and the model's normalised `bins`×`bins` fingerprints, searched on the
/// grid {0, 0.025, …, 0.5} × {0, 0.005, …, 0.05}, then on a fine grid
/// (steps 0.005 and 0.001) around the best point, then refined by a parabola
/// through the distances at the best fine point and its neighbours, with
/// common random numbers across grid points (the model is at least 200,000
/// drawn stations). Interval: 2.5–97.5% of fits to data simulated from the
/// fitted model (parametric bootstrap: the data's fingerprint is a
/// multinomial draw of as many stations as the data from an independent
/// model draw's cell probabilities, so the interval carries the sampling
/// noise of data and model). The finer grid and the parabola keep the
/// interval from collapsing to one grid point on large data, as it did with
/// the old 0.025 × 0.005 grid on Russia 2018. p-value: within-group
/// permutation (the null of [`super::TurnoutShareSlope`]): within each
/// geographic group a station's turnout tells nothing about its leader
/// share, so the fingerprints of the data with turnout permuted among each
/// group's stations are draws from the null; the p-value is the share of
/// their fits with f_i + f_e at least the observed. (A parametric null from
/// the clean normal model rejected 15.5% of clean simulated elections of
/// 20,000 stations: the fit reads the misfit of the normal peak as fraud,
/// and the permuted data carry that misfit too.)
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
            max_bootstrap: 200,
        }
    }
}

impl ForensicTest for KlimekFit {
    fn code(&self) -> &'static str {
        KLIMEK_FINGERPRINT
    }

    fn run_with(
        &self,
        input: &Input<'_>,
        options: &Options,
        progress: &dyn super::Progress,
    ) -> Result<Finding, ForensicsError> {
        let reps = options.replicates.min(self.max_bootstrap).max(1);
        let e = klimek_fit_with(input.stations, self.bins, options.seed, reps, progress)?;
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
        f.null = "Within each geographic group, a station's turnout tells nothing about its \
                  leader share: the fit f_i + f_e is compared with its fits to the data with \
                  turnout permuted among each group's stations. The interval: parametric \
                  bootstrap from the fitted model (turnout and share normal around the clean \
                  peak, median and MAD)."
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
        let model = ModelTable::new(&draws(&base, n, &mut replicate_rng(456, 0)), 20);
        let (fi, fe, _) = best_fit(&model, &target);
        assert!((fi - 0.2).abs() <= 0.05, "f_i {fi}");
        assert!((fe - 0.02).abs() <= 0.01, "f_e {fe}");
        // Clean data fit close to zero.
        let clean = model_hist(&data, 0.0, 0.0, 20);
        let (fi, fe, _) = best_fit(&model, &clean);
        assert!(fi <= 0.05 && fe <= 0.005, "{fi} {fe}");
    }

    #[test]
    fn table_matches_station_by_station_histogram() {
        // The prefix-sum fingerprint equals the direct one wherever the
        // thresholds are multiples of STEP.
        let base = KlimekBase {
            turnout: 0.6,
            turnout_sd: 0.1,
            share: 0.55,
            share_sd: 0.08,
        };
        let d = draws(&base, 5_000, &mut replicate_rng(7, 0));
        let m = ModelTable::new(&d, 20);
        let mut buf = vec![0.0; 400];
        for &(fi, fe) in &[(0.0, 0.0), (0.2, 0.02), (0.475, 0.05), (0.013, 0.007)] {
            m.hist(fi, fe, &mut buf);
            let want = model_hist(&d, fi, fe, 20);
            for (a, b) in buf.iter().zip(&want) {
                assert!((a - b).abs() < 1e-12, "({fi}, {fe}): {a} vs {b}");
            }
        }
    }
}
