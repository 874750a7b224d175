//! Whole-percentage turnout and leader share (Kobak, Shpilkin & Pshenichnikov).

use serde::Serialize;

use rand::Rng;
use rayon::prelude::*;
use statrs::distribution::{Binomial, Discrete};

use super::util::{is_whole_percent, replicates_with, test_seed, upper_p};
use super::{Finding, ForensicTest, ForensicsError, INTEGER_PERCENTAGES, Input, Options, Stations};

/// Excess of stations whose turnout or leader share is a whole percentage.
///
/// Definitions (Kobak, Shpilkin & Pshenichnikov 2016, "Integer percentages as
/// electoral falsification fingerprints", Annals of Applied Statistics
/// 10(1):54–73, §2, and the authors' notebooks): turnout t = ballots issued /
/// registered; leader share s = leader votes / (valid + invalid). A station is
/// included when registered ≥ 100, valid + invalid > 0, t ≤ 99% and s ≤ 99%.
/// A value is "whole" when it lies within ±0.05 percentage points of an
/// integer percent, decided exactly as 20·min(d, b − d) ≤ b with
/// d = 100·a mod b for the fraction a/b.
///
/// Null (§3 of the paper): each included station's counts are binomial
/// around its own rates, ballots* ~ Binomial(registered, t) and
/// leader* ~ Binomial(valid + invalid, s), independently across stations;
/// whole percentages then occur only as often as the smooth distribution of
/// rates makes them. A resampled station is whole with probability
/// q = [`whole_prob`]`(n, rate)`, computed exactly, so the number of whole
/// stations is a sum of independent Bernoulli(q) indicators: its null mean
/// Σq and variance Σq(1 − q) are exact, with no resampling. The statistic is
/// the number N of stations whose turnout or share is whole; the anomaly is
/// N − E N*, its size in null standard deviations z = (N − E N*)/sd N*, and
/// Kobak et al.'s Monte Carlo p-value (1 + #{N* ≥ N})/(R + 1) of the
/// combined count, each replicate drawing the indicators as Bernoulli(q)
/// (the same null as drawing the binomial counts, at a fraction of the
/// cost), is reported as "combined p". The test's p-value is
/// that of the largest of the three counts (turnout, leader share, either),
/// each standardised by its exact null mean Σq and variance Σq(1 − q) (the
/// counts are sums of independent Bernoulli(q) indicators), referred to the
/// trivariate normal with the exact null correlations ([`IntegerCounts::p_min`]):
/// rounding of turnout alone is not diluted by the share's noise, and the
/// p-value has no Monte Carlo floor of 1/(R + 1), so it survives
/// Benjamini–Hochberg across the suite.
#[derive(Debug, Clone, Copy, Default)]
pub struct IntegerPercentages;

/// Counts of whole percentages, observed and under the null.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntegerCounts {
    /// Stations included by the paper's rules.
    pub included: usize,
    /// Observed stations with whole-percent turnout.
    pub turnout: usize,
    /// Observed stations with whole-percent leader share.
    pub leader: usize,
    /// Observed stations with either.
    pub combined: usize,
    /// Null mean of each (turnout, leader, combined): exact, Σq.
    pub null_mean: [f64; 3],
    /// Null standard deviation of each: exact, √Σq(1 − q).
    pub null_sd: [f64; 3],
    /// Upper-tail Monte Carlo p-value of the combined count over the
    /// replicates, (1 + #{N* ≥ N})/(R + 1).
    pub p_value: f64,
    /// The test's p-value: P(the largest of the three standardised counts
    /// (turnout, leader, either) is at least the observed largest) under
    /// their exact null means, variances and correlations, normal
    /// approximation; as powerful against rounding of turnout alone as of both.
    pub p_min: f64,
    /// Ids of stations with a whole turnout or share.
    pub whole_ids: Vec<String>,
}

impl IntegerCounts {
    /// Anomalies: observed minus null mean, for (turnout, leader, combined).
    pub fn anomaly(&self) -> [f64; 3] {
        [
            self.turnout as f64 - self.null_mean[0],
            self.leader as f64 - self.null_mean[1],
            self.combined as f64 - self.null_mean[2],
        ]
    }

    /// Anomalies in null standard deviations.
    pub fn z(&self) -> [f64; 3] {
        let a = self.anomaly();
        [
            a[0] / self.null_sd[0],
            a[1] / self.null_sd[1],
            a[2] / self.null_sd[2],
        ]
    }
}

/// P(X/n is within ±0.05 points of a whole percent) for X ~ Binomial(n, p):
/// the sum of the binomial probabilities of the counts a with
/// 20·min(d, n − d) ≤ n, d = 100·a mod n, over mode ± (12 sd + 10) (the
/// mass outside is below 10⁻³⁰). Probabilities are stepped from the mode by
/// the ratio P(a+1)/P(a) = (n − a)/(a + 1) · p/(1 − p).
pub fn whole_prob(n: u64, p: f64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    if p <= 0.0 || p >= 1.0 || p.is_nan() {
        let a = if p >= 1.0 { n } else { 0 };
        return if is_whole_percent(a, n) { 1.0 } else { 0.0 };
    }
    let nf = n as f64;
    let mode = (((nf + 1.0) * p).floor() as u64).min(n);
    let pm = match Binomial::new(p, n) {
        Ok(b) => b.pmf(mode),
        Err(_) => return 0.0,
    };
    let sd = (nf * p * (1.0 - p)).sqrt();
    let span = (12.0 * sd + 10.0).ceil() as u64;
    let lo = mode.saturating_sub(span);
    let hi = mode.saturating_add(span).min(n);
    let r = p / (1.0 - p);
    let whole = |d: u64| 20 * d.min(n - d) <= n;
    let mut total = 0.0;
    // Upward from the mode, with d = 100·a mod n kept incrementally.
    let step = 100 % n;
    let d_mode = ((u128::from(mode) * 100) % u128::from(n)) as u64;
    let (mut f, mut d) = (pm, d_mode);
    for a in mode..=hi {
        if whole(d) {
            total += f;
        }
        f *= (n - a) as f64 / (a + 1) as f64 * r;
        d += step;
        if d >= n {
            d -= n;
        }
    }
    let (mut f, mut d) = (pm, d_mode);
    for a in (lo..mode).rev() {
        f *= (a + 1) as f64 / ((n - a) as f64 * r);
        d = if d >= step { d - step } else { d + n - step };
        if whole(d) {
            total += f;
        }
    }
    total.min(1.0)
}

/// The index of stations kept by the paper's inclusion rules, with the
/// leader's votes and the ballots in the boxes.
fn included(s: &Stations, leader: usize) -> Vec<usize> {
    (0..s.len())
        .filter(|&i| {
            let reg = s.registered[i];
            let boxes = s.in_boxes(i);
            let l = s.votes[leader][i];
            reg >= 100
                && boxes > 0
                && u128::from(s.ballots[i]) * 100 <= u128::from(reg) * 99
                && u128::from(l) * 100 <= u128::from(boxes) * 99
        })
        .collect()
}

/// P(max(Z_t, Z_l, Z_c) ≥ z) for standard normals with Z_t, Z_l independent
/// and corr(Z_t, Z_c) = ρ_t, corr(Z_l, Z_c) = ρ_l: writing
/// Z_c = ρ_t Z_t + ρ_l Z_l + c·W (c = √(1 − ρ_t² − ρ_l²), W independent),
/// P(max ≥ z) = Q(z) + Φ(z)Q(z) + ∫∫_{x,y<z} φ(x)φ(y) Q((z − ρ_t x − ρ_l y)/c) dx dy
/// with Q = 1 − Φ, the integral by Simpson's rule on [−9, z]² (400 × 400).
pub(crate) fn max_z_p(z: f64, rho_t: f64, rho_l: f64) -> f64 {
    use statrs::distribution::{Continuous, ContinuousCDF, Normal};
    let Ok(nd) = Normal::new(0.0, 1.0) else {
        return f64::NAN;
    };
    let q = |x: f64| nd.sf(x);
    let c2 = 1.0 - rho_t * rho_t - rho_l * rho_l;
    let lo = -9.0;
    if z <= lo {
        return 1.0;
    }
    let mut out = q(z) + nd.cdf(z) * q(z);
    if c2 <= 1e-12 {
        // Degenerate (Z_c a function of the other two): the bound without it.
        return out.min(1.0);
    }
    let c = c2.sqrt();
    let m = 400;
    let h = (z - lo) / m as f64;
    let w = |k: usize| {
        if k == 0 || k == m {
            1.0
        } else if k % 2 == 1 {
            4.0
        } else {
            2.0
        }
    };
    let mut total = 0.0;
    for i in 0..=m {
        let x = lo + i as f64 * h;
        let fx = nd.pdf(x) * w(i);
        let mut inner = 0.0;
        for j in 0..=m {
            let y = lo + j as f64 * h;
            inner += w(j) * nd.pdf(y) * q((z - rho_t * x - rho_l * y) / c);
        }
        total += fx * inner;
    }
    out += total * h * h / 9.0;
    out.min(1.0)
}

/// Computes the observed and null counts (see [`IntegerPercentages`]).
pub fn integer_counts(
    s: &Stations,
    seed: u64,
    reps: usize,
) -> Result<IntegerCounts, ForensicsError> {
    integer_counts_with(s, seed, reps, &super::NoProgress)
}

fn integer_counts_with(
    s: &Stations,
    seed: u64,
    reps: usize,
    progress: &dyn super::Progress,
) -> Result<IntegerCounts, ForensicsError> {
    let leader = s.leader().ok_or(ForensicsError::NotApplicable {
        test: INTEGER_PERCENTAGES,
        reason: "no options".into(),
    })?;
    let idx = included(s, leader);
    if idx.is_empty() {
        return Err(ForensicsError::NotApplicable {
            test: INTEGER_PERCENTAGES,
            reason: "no station meets the inclusion rules".into(),
        });
    }
    let lv = &s.votes[leader];
    let (mut t, mut l, mut c) = (0, 0, 0);
    let mut whole_ids = Vec::new();
    for &i in &idx {
        let wt = is_whole_percent(s.ballots[i], s.registered[i]);
        let wl = is_whole_percent(lv[i], s.in_boxes(i));
        t += usize::from(wt);
        l += usize::from(wl);
        if wt || wl {
            c += 1;
            whole_ids.push(s.ids[i].clone());
        }
    }
    // Each station's whole-percent indicators under the binomial resample
    // are Bernoulli(q) with q computed exactly (see `whole_prob`), so a
    // replicate draws two uniforms per station instead of two binomials:
    // the same null distribution, far fewer operations.
    let q: Vec<(f64, f64)> = idx
        .par_iter()
        .map(|&i| {
            let reg = s.registered[i];
            let boxes = s.in_boxes(i);
            (
                whole_prob(reg, s.ballots[i] as f64 / reg as f64),
                whole_prob(boxes, lv[i] as f64 / boxes as f64),
            )
        })
        .collect();
    // The exact null moments: each count is a sum of independent Bernoulli
    // indicators (turnout q_t, share q_l, either q_c = 1 − (1 − q_t)(1 − q_l)),
    // so its mean and variance are known, and Cov(I_t, I_c) = q_t(1 − q_c),
    // Cov(I_l, I_c) = q_l(1 − q_c), I_t ⊥ I_l.
    let (mut mt, mut vt, mut ml, mut vl, mut mc, mut vc, mut ct, mut cl) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for &(a, b) in &q {
        let e = 1.0 - (1.0 - a) * (1.0 - b);
        mt += a;
        vt += a * (1.0 - a);
        ml += b;
        vl += b * (1.0 - b);
        mc += e;
        vc += e * (1.0 - e);
        ct += a * (1.0 - e);
        cl += b * (1.0 - e);
    }
    // The Monte Carlo p-value of the combined count (Kobak et al.'s): a
    // replicate draws each station's "either" indicator as Bernoulli(q_c),
    // one 32-bit uniform compared with round(q_c·2³²) (Bernoulli(q_c) within
    // 2⁻³³), two stations per 64-bit draw. Only the combined count is
    // simulated: the means and standard deviations above are exact.
    let th: Vec<u64> = q
        .iter()
        .map(|&(a, b)| ((1.0 - (1.0 - a) * (1.0 - b)) * 4_294_967_296.0).round() as u64)
        .collect();
    let stream = test_seed(seed, INTEGER_PERCENTAGES);
    progress.length(reps as u64);
    let comb = replicates_with(stream, reps, progress, |rng| {
        let mut c = 0u32;
        let mut pairs = th.chunks_exact(2);
        for pair in &mut pairs {
            let u = rng.next_u64();
            c += u32::from((u >> 32) < pair[0]);
            c += u32::from((u & 0xFFFF_FFFF) < pair[1]);
        }
        if let [last] = pairs.remainder() {
            c += u32::from(u64::from(rng.next_u32()) < *last);
        }
        f64::from(c)
    });
    // The test's p-value: the largest of the three standardised counts
    // (continuity-corrected) referred to its trivariate normal null, with no
    // Monte Carlo floor.
    let zs = |obs: usize, m: f64, v: f64| {
        if v > 0.0 {
            (obs as f64 - 0.5 - m) / v.sqrt()
        } else {
            f64::NEG_INFINITY
        }
    };
    let zmax = zs(t, mt, vt).max(zs(l, ml, vl)).max(zs(c, mc, vc));
    let (rt, rl) = if vc > 0.0 && vt > 0.0 && vl > 0.0 {
        (ct / (vt * vc).sqrt(), cl / (vl * vc).sqrt())
    } else {
        (0.0, 0.0)
    };
    let p_min = max_z_p(zmax, rt, rl);
    Ok(IntegerCounts {
        included: idx.len(),
        turnout: t,
        leader: l,
        combined: c,
        null_mean: [mt, ml, mc],
        null_sd: [vt.sqrt(), vl.sqrt(), vc.sqrt()],
        p_value: upper_p(c as f64, &comb),
        p_min,
        whole_ids,
    })
}

impl ForensicTest for IntegerPercentages {
    fn code(&self) -> &'static str {
        INTEGER_PERCENTAGES
    }

    fn run_with(
        &self,
        input: &Input<'_>,
        options: &Options,
        progress: &dyn super::Progress,
    ) -> Result<Finding, ForensicsError> {
        let s = input.stations;
        let r = integer_counts_with(s, options.seed, options.replicates, progress)?;
        let a = r.anomaly();
        let z = r.z();
        let mut f = Finding::new(
            INTEGER_PERCENTAGES,
            "Excess of whole-percent turnout or leader share",
        );
        f.statistic_name = "stations with whole-percent turnout or leader share".into();
        f.statistic = r.combined as f64;
        f.p_value = Some(r.p_min);
        f.effect_name = "excess stations (observed − null mean)".into();
        f.effect = a[2];
        f.detail("included stations", r.included as f64);
        f.detail("turnout whole", r.turnout as f64);
        f.detail("turnout null mean", r.null_mean[0]);
        f.detail("turnout excess", a[0]);
        f.detail("turnout z", z[0]);
        f.detail("leader whole", r.leader as f64);
        f.detail("leader null mean", r.null_mean[1]);
        f.detail("leader excess", a[1]);
        f.detail("leader z", z[1]);
        f.detail("combined null mean", r.null_mean[2]);
        f.detail("combined null sd", r.null_sd[2]);
        f.detail("combined z", z[2]);
        f.detail("combined p", r.p_value);
        f.set_stations(r.whole_ids);
        f.null = "Included stations (registered ≥ 100, valid + invalid > 0, turnout and leader \
                  share ≤ 99%) have binomial counts around their own turnout and leader share, \
                  independently; whole percentages (±0.05 pp) then occur only as often as the \
                  smooth spread of rates makes them. p-value: the largest of the three counts \
                  (turnout, share, either) standardised by its exact null mean and variance, \
                  against the trivariate normal with the exact null correlations."
            .into();
        f.caveat = "An excess means some protocols were written to round targets, not which \
                    ones: the listed stations include the many that are whole by chance. Very \
                    small stations hit whole percents often by arithmetic; they are excluded \
                    below 100 registered, and the null accounts for the rest."
            .into();
        f.citation = "Kobak, Shpilkin & Pshenichnikov 2016, Annals of Applied Statistics \
                      10(1):54–73, §2–3"
            .into();
        f.seed = options.seed;
        f.replicates = options.replicates;
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::super::util::binomial;
    use super::*;

    #[test]
    fn max_z_p_closed_forms() {
        use statrs::distribution::{ContinuousCDF, Normal};
        let nd = Normal::new(0.0, 1.0).unwrap_or_else(|e| panic!("{e}"));
        // Independent: P(max of 3 ≥ z) = 1 − Φ(z)³.
        for z in [-1.0, 0.0, 1.5, 2.5, 4.0] {
            let want = 1.0 - nd.cdf(z).powi(3);
            let got = max_z_p(z, 0.0, 0.0);
            assert!(
                (got - want).abs() < 1e-7 * want.max(1e-3),
                "z {z}: {got} vs {want}"
            );
        }
        // Correlated (ρ_t = ρ_l = 0.6), against 400,000 simulated triples:
        // standard error sqrt(p(1 − p)/400000) ≈ 0.0004 at p ≈ 0.07.
        use rand::RngExt;
        use rand_distr::StandardNormal;
        let mut rng = super::super::util::replicate_rng(3, 0);
        let c = (1.0f64 - 0.72).sqrt();
        let z = 2.0;
        let n = 400_000;
        let hits = (0..n)
            .filter(|_| {
                let x: f64 = rng.sample(StandardNormal);
                let y: f64 = rng.sample(StandardNormal);
                let w: f64 = rng.sample(StandardNormal);
                x.max(y).max(0.6 * x + 0.6 * y + c * w) >= z
            })
            .count();
        let mc = hits as f64 / n as f64;
        let got = max_z_p(z, 0.6, 0.6);
        assert!((got - mc).abs() < 0.0016, "{got} vs {mc}");
    }

    #[test]
    fn whole_prob_matches_direct_sum() {
        // Direct: Σ over a = 0..=n of pmf(a)·[a/n whole], with statrs' pmf.
        for &(n, p) in &[
            (100u64, 0.5),
            (1234, 0.613),
            (2937, 0.071),
            (57, 0.3),
            (15_000, 0.82),
        ] {
            let b = match Binomial::new(p, n) {
                Ok(b) => b,
                Err(e) => panic!("{e}"),
            };
            let direct: f64 = (0..=n)
                .filter(|&a| is_whole_percent(a, n))
                .map(|a| b.pmf(a))
                .sum();
            let fast = whole_prob(n, p);
            assert!(
                (fast - direct).abs() < 1e-10, // ratio recursion: rounding over ~1,000 steps
                "n {n} p {p}: {fast} vs {direct}"
            );
        }
        // n = 100: every count is a whole percent.
        assert!((whole_prob(100, 0.37) - 1.0).abs() < 1e-12);
        // n = 1000: a whole iff a ≡ 0 (mod 10) (d = 100a mod 1000 ∈ {0, 100, …};
        // 20·min(d, 1000 − d) ≤ 1000 only for d = 0), so q ≈ 1/10.
        assert!((whole_prob(1000, 0.4) - 0.1).abs() < 1e-3);
    }

    fn stations(reg: Vec<u64>, ballots: Vec<u64>, leader: Vec<u64>) -> Stations {
        let n = reg.len();
        let other: Vec<u64> = ballots.iter().zip(&leader).map(|(b, l)| b - l).collect();
        let r = Stations::new(
            (0..n).map(|i| format!("s{i}")).collect(),
            reg,
            ballots.clone(),
            ballots,
            vec![0; n],
            vec!["lead".into(), "other".into()],
            vec![leader, other],
        );
        match r {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn inclusion_rules_and_observed_counts() {
        // s0: 1000 reg, 700 ballots (70.0%, whole), leader 351/700 = 50.14% (not).
        // s1: 1000 reg, 995 ballots (99.5% > 99%: excluded).
        // s2: 99 reg (< 100: excluded).
        // s3: 2000 reg, 1333 ballots (66.65%, not), leader 1000/1333 = 75.02% (whole).
        // s4: 1000 reg, 612 ballots (61.2%, not), leader 607/612 = 99.18% (> 99%: excluded).
        // Leader: column "lead" totals 351+..., larger than "other".
        let s = stations(
            vec![1000, 1000, 99, 2000, 1000],
            vec![700, 995, 60, 1333, 612],
            vec![351, 900, 50, 1000, 607],
        );
        let r = match integer_counts(&s, 1, 200) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(r.included, 2);
        assert_eq!((r.turnout, r.leader, r.combined), (1, 1, 2));
        assert_eq!(r.whole_ids, vec!["s0".to_string(), "s3".to_string()]);
        // Whole-percent probabilities under the null, by hand. d = 100·a mod n
        // runs through residues with period n/gcd(100, n), and a count is whole
        // when min(d, n − d) ≤ n/20; the binomial spreads over many periods, so
        // q ≈ the share of whole residues:
        //   s0 turnout, n = 1000: d ∈ {0, 100, …, 900}, only d = 0: q = 1/10;
        //   s0 share, n = 700: d ∈ {0, 100, …, 600}, only d = 0: q = 1/7;
        //   s3 turnout, n = 2000: d ∈ {0, 100, …, 1900}; 0, 100, 1900: q = 3/20;
        //   s3 share, n = 1333 (gcd 1): d ≤ 66 or ≥ 1267, 133 of 1333 residues;
        //   the binomial (sd 15.8) covers only ~100 counts, fewer than one
        //   period, so q is near but not at 133/1333 = 0.0998 (exactly: 0.0987,
        //   checked against the direct sum in `whole_prob_matches_direct_sum`).
        let q = [
            whole_prob(1000, 0.7),
            whole_prob(700, 351.0 / 700.0),
            whole_prob(2000, 1333.0 / 2000.0),
            whole_prob(1333, 1000.0 / 1333.0),
        ];
        let want = [0.1, 1.0 / 7.0, 0.15, 133.0 / 1333.0];
        for (a, b) in q.iter().zip(want) {
            assert!((a - b).abs() < 2e-3, "{q:?}");
        }
        // Exact null means: turnout 0.1 + 0.15 = 0.25; share 0.1429 + 0.0987 =
        // 0.2416; either: (1 − 0.9·6/7) + (1 − 0.85·0.9013) = 0.2286 + 0.2339
        // = 0.4625 (each q within 2·10⁻³ of the value used, checked above).
        // Variances Σq(1 − q): turnout 0.09 + 0.1275 = 0.2175.
        assert!((r.null_mean[0] - 0.25).abs() < 4e-3, "{:?}", r.null_mean);
        assert!((r.null_mean[1] - 0.2416).abs() < 4e-3, "{:?}", r.null_mean);
        assert!((r.null_mean[2] - 0.4625).abs() < 4e-3, "{:?}", r.null_mean);
        assert!(
            (r.null_sd[0] - 0.2175f64.sqrt()).abs() < 4e-3,
            "{:?}",
            r.null_sd
        );
        // The Monte Carlo mean of the combined count agrees with the exact one:
        // over 4000 replicates its standard error is about √0.35/√4000 ≈ 0.01.
        let r = match integer_counts(&s, 1, 4000) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        };
        // P(N* ≥ 2) = q_c0·q_c3 ≈ 0.2286·0.2339 ≈ 0.0535, so the Monte Carlo
        // p-value of the observed N = 2 is about that (sd √(0.05·0.95/4000) ≈ 0.0035).
        assert!((r.p_value - 0.0535).abs() < 0.012, "{}", r.p_value);
    }

    #[test]
    fn clean_binomial_election_has_no_excess_and_planted_one_does() {
        use rand::RngExt;
        let mut rng = super::super::util::replicate_rng(99, 0);
        let n = 3000;
        let mut reg = Vec::new();
        let mut bal = Vec::new();
        let mut lead = Vec::new();
        for _ in 0..n {
            let r: u64 = rng.random_range(500..3000);
            let t: f64 = rng.random_range(0.4..0.8);
            let b = binomial(&mut rng, r, t);
            let share: f64 = rng.random_range(0.4..0.7);
            let l = binomial(&mut rng, b, share);
            reg.push(r);
            bal.push(b);
            lead.push(l);
        }
        let clean = stations(reg.clone(), bal.clone(), lead.clone());
        let r = match integer_counts(&clean, 5, 300) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        };
        // About a fifth of stations are whole by chance (0.1 + 0.1 − 0.01 ≈ 0.19).
        assert!((r.null_mean[2] / 3000.0 - 0.19).abs() < 0.02);
        assert!(r.z()[2].abs() < 4.0, "clean z {}", r.z()[2]);
        // Plant 150 stations (5%) with turnout set to exactly 75%.
        for i in 0..150 {
            bal[i] = reg[i] * 3 / 4;
            lead[i] = lead[i].min(bal[i]);
            if reg[i] % 4 != 0 {
                // 3r/4 truncated is within 0.25/r ≤ 0.05% of 75% for r ≥ 500.
            }
        }
        let planted = stations(reg, bal, lead);
        let r = match integer_counts(&planted, 5, 300) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        };
        // Expected excess ≈ 150·(1 − 0.19) ≈ 121.
        assert!((r.anomaly()[2] - 121.0).abs() < 35.0, "{:?}", r.anomaly());
        assert!(r.p_value < 0.01);
    }
}
