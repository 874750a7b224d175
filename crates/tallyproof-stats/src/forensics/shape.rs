//! Turnout–share slope and the shape of the turnout and share distributions.

use rand::RngExt;
use rand_distr::StandardNormal;

use super::util::{mean_sd, normal_two_sided, replicate_rng, replicates_with, test_seed, upper_p};
use super::{
    DISTRIBUTION_SHAPE, Finding, ForensicTest, ForensicsError, Input, Options, Stations,
    TURNOUT_SHARE_SLOPE,
};

/// Turnout (ballots / registered) and leader share (leader / (valid +
/// invalid)) of every station where both are defined, with the station index
/// and its group.
pub(crate) fn rates(s: &Stations) -> Option<(Vec<usize>, Vec<f64>, Vec<f64>)> {
    let leader = s.leader()?;
    let mut idx = Vec::new();
    let mut t = Vec::new();
    let mut v = Vec::new();
    for i in 0..s.len() {
        let boxes = s.in_boxes(i);
        if s.registered[i] > 0 && boxes > 0 && s.ballots[i] <= s.registered[i] {
            idx.push(i);
            t.push(s.ballots[i] as f64 / s.registered[i] as f64);
            v.push(s.votes[leader][i] as f64 / boxes as f64);
        }
    }
    Some((idx, t, v))
}

/// Pooled within-group least-squares slope of y on x:
/// b = Σ_g Σ_i (x_i − x̄_g)(y_i − ȳ_g) / Σ_g Σ_i (x_i − x̄_g)².
pub fn within_slope(x: &[f64], y: &[f64], group: &[usize], groups: usize) -> f64 {
    let mut sx = vec![0.0; groups];
    let mut sy = vec![0.0; groups];
    let mut n = vec![0.0; groups];
    for ((&a, &b), &g) in x.iter().zip(y).zip(group) {
        sx[g] += a;
        sy[g] += b;
        n[g] += 1.0;
    }
    let mut sxy = 0.0;
    let mut sxx = 0.0;
    for ((&a, &b), &g) in x.iter().zip(y).zip(group) {
        let dx = a - sx[g] / n[g];
        sxy += dx * (b - sy[g] / n[g]);
        sxx += dx * dx;
    }
    if sxx > 0.0 { sxy / sxx } else { 0.0 }
}

/// Slope of the leader's share on turnout across stations, within
/// geographic groups ([`Stations::region`], the finest level known)
/// (Sobyanin & Sukhovolsky's turnout–share regression; see Myagkov, Ordeshook
/// & Shakin 2009, "The Forensics of Election Fraud", ch. 3).
///
/// Statistic: the pooled within-group least-squares slope b of leader share
/// on turnout (see [`within_slope`]). Null: within each group, turnout and
/// leader share are unrelated, so permuting turnout among a group's stations
/// leaves the distribution of b unchanged. Two-sided permutation p-value
/// (1 + #{|b*| ≥ |b|})/(R + 1) below [`SLOPE_NORMAL_FROM`] stations; from
/// there on, the normal approximation of the permutation distribution with
/// its exact moments: under within-group permutation the numerator
/// S = Σ_g Σ_i (t_π(i) − t̄_g)(v_i − v̄_g) has mean 0 and variance
/// Σ_g Σ_i (t_i − t̄_g)² · Σ_i (v_i − v̄_g)² / (n_g − 1) (Hoeffding 1951,
/// "A combinatorial central limit theorem", Ann. Math. Stat. 22:558–566,
/// Theorem 3), and S/sd(S) is then normal to within the Monte Carlo error of
/// 1,000 permutations (checked in the tests). Ballot stuffing for the leader
/// raises turnout and share together and makes b positive; a negative b is
/// the opposite of what it does.
#[derive(Debug, Clone, Copy, Default)]
pub struct TurnoutShareSlope;

/// From this many stations on, [`TurnoutShareSlope`] uses the normal
/// approximation of its permutation distribution (exact moments) instead of
/// drawing permutations.
pub const SLOPE_NORMAL_FROM: usize = 2_000;

/// The within-group slope b, its permutation z = S/sd(S) and the exact
/// permutation standard deviation of b (see [`TurnoutShareSlope`]).
pub fn slope_z(x: &[f64], y: &[f64], group: &[usize], groups: usize) -> (f64, f64, f64) {
    let mut sx = vec![0.0; groups];
    let mut sy = vec![0.0; groups];
    let mut n = vec![0.0; groups];
    for ((&a, &b), &g) in x.iter().zip(y).zip(group) {
        sx[g] += a;
        sy[g] += b;
        n[g] += 1.0;
    }
    let mut sxy = 0.0;
    let mut sxx = 0.0;
    let mut gxx = vec![0.0; groups];
    let mut gyy = vec![0.0; groups];
    for ((&a, &b), &g) in x.iter().zip(y).zip(group) {
        let dx = a - sx[g] / n[g];
        let dy = b - sy[g] / n[g];
        sxy += dx * dy;
        sxx += dx * dx;
        gxx[g] += dx * dx;
        gyy[g] += dy * dy;
    }
    let var: f64 = (0..groups)
        .filter(|&g| n[g] >= 2.0)
        .map(|g| gxx[g] * gyy[g] / (n[g] - 1.0))
        .sum();
    if sxx <= 0.0 || var <= 0.0 {
        return (0.0, 0.0, 0.0);
    }
    (sxy / sxx, sxy / var.sqrt(), var.sqrt() / sxx)
}

impl ForensicTest for TurnoutShareSlope {
    fn code(&self) -> &'static str {
        TURNOUT_SHARE_SLOPE
    }

    fn run_with(
        &self,
        input: &Input<'_>,
        options: &Options,
        progress: &dyn super::Progress,
    ) -> Result<Finding, ForensicsError> {
        let s = input.stations;
        let na = |reason: &str| ForensicsError::NotApplicable {
            test: TURNOUT_SHARE_SLOPE,
            reason: reason.to_string(),
        };
        let (idx, t, v) = rates(s).ok_or_else(|| na("no options"))?;
        if idx.len() < 10 {
            return Err(na("fewer than 10 stations with turnout and share"));
        }
        let (all_groups, ng) = s.groups();
        let g: Vec<usize> = idx.iter().map(|&i| all_groups[i]).collect();
        let (b, z, sd_b) = slope_z(&t, &v, &g, ng);
        let normal = idx.len() >= SLOPE_NORMAL_FROM;
        let p = if normal {
            normal_two_sided(z)
        } else {
            // Members of each group, for within-group permutation.
            let mut members: Vec<Vec<usize>> = vec![Vec::new(); ng];
            for (k, &gk) in g.iter().enumerate() {
                members[gk].push(k);
            }
            let stream = test_seed(options.seed, TURNOUT_SHARE_SLOPE);
            progress.length(options.replicates as u64);
            let sims = replicates_with(stream, options.replicates, progress, |rng| {
                let mut tp = t.clone();
                for m in &members {
                    // Fisher–Yates over the group's positions.
                    for a in (1..m.len()).rev() {
                        let c = rng.random_range(0..=a);
                        tp.swap(m[a], m[c]);
                    }
                }
                within_slope(&tp, &v, &g, ng).abs()
            });
            upper_p(b.abs(), &sims)
        };
        let (tm, _) = mean_sd(&t);
        let (vm, _) = mean_sd(&v);
        // Stations that pull the slope up most: both rates far above the means.
        let mut contrib: Vec<(f64, usize)> = (0..idx.len())
            .map(|k| ((t[k] - tm) * (v[k] - vm), idx[k]))
            .filter(|(c, _)| *c > 0.0)
            .collect();
        contrib.sort_by(|a, b| b.0.total_cmp(&a.0));
        contrib.truncate(50);
        let mut f = Finding::new(TURNOUT_SHARE_SLOPE, "Slope of leader share on turnout");
        f.statistic_name = "within-group slope (share points per turnout point)".into();
        f.statistic = b;
        f.p_value = Some(p);
        f.effect_name = "slope".into();
        f.effect = b;
        f.detail("stations", idx.len() as f64);
        f.detail("groups", ng as f64);
        f.detail("permutation z", z);
        f.detail("permutation sd of the slope", sd_b);
        f.detail(
            "direction (+1 as stuffing for the leader, −1 opposite)",
            b.signum(),
        );
        f.set_stations(contrib.iter().map(|&(_, i)| s.ids[i].clone()).collect());
        f.null =
            "Within each geographic group, a station's turnout tells nothing about its leader \
                  share: permuting turnout among the group's stations changes nothing."
                .into();
        f.caveat = "Turnout and support can be related without fraud (rural or older \
                    electorates that both vote more and favour one side). A slope is a \
                    symptom to explain, not proof; it is most telling beside a fingerprint \
                    that smears toward (100%, 100%). The listed stations are those with both \
                    rates furthest above average."
            .into();
        f.citation = "Sobyanin & Sukhovolsky 1993; Myagkov, Ordeshook & Shakin 2009, The \
                      Forensics of Election Fraud, ch. 3"
            .into();
        if normal {
            f.null.push_str(
                " p-value: normal approximation of the permutation distribution with its \
                 exact mean and variance (Hoeffding 1951).",
            );
        } else {
            f.seed = options.seed;
            f.replicates = options.replicates;
        }
        Ok(f)
    }
}

/// Sample skewness g1 = m3 / m2^(3/2) and excess kurtosis g2 = m4 / m2² − 3,
/// with m_k the k-th central sample moment (Joanes & Gill 1998, The
/// Statistician 47(1):183–189, "type 1").
pub fn skew_kurtosis(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
    for &v in x {
        let d = v - m;
        m2 += d * d;
        m3 += d * d * d;
        m4 += d * d * d * d;
    }
    m2 /= n;
    m3 /= n;
    m4 /= n;
    (m3 / m2.powf(1.5), m4 / (m2 * m2) - 3.0)
}

/// Hartigan's dip statistic of a sample: the largest distance between its
/// empirical distribution function and the closest unimodal distribution
/// function (Hartigan & Hartigan 1985, Annals of Statistics 13(1):70–84;
/// algorithm AS 217, Hartigan 1985, Applied Statistics 34(3):320–325, with
/// the corrections in R's diptest package). The sample is sorted in place.
/// Like R's `diptest::dip` (min.is.0 = FALSE) the result is at least 1/(2n).
pub fn dip(x: &mut [f64]) -> f64 {
    x.sort_by(|a, b| a.total_cmp(b));
    let n = x.len();
    if n < 2 {
        return if n == 1 { 0.5 } else { 0.0 };
    }
    let mut dip_val = 1.0_f64;
    if x[0] == x[n - 1] {
        return dip_val / (2.0 * n as f64);
    }
    // 1-based indices as in AS 217; index 0 is unused.
    let xx = |i: usize| x[i - 1];
    let mut mn = vec![0usize; n + 1];
    let mut mj = vec![0usize; n + 1];
    let mut gcm = vec![0usize; n + 2];
    let mut lcm = vec![0usize; n + 2];
    mn[1] = 1;
    for j in 2..=n {
        mn[j] = j - 1;
        loop {
            let mnj = mn[j];
            let mnmnj = mn[mnj];
            if mnj == 1
                || (xx(j) - xx(mnj)) * ((mnj - mnmnj) as f64)
                    < (xx(mnj) - xx(mnmnj)) * ((j - mnj) as f64)
            {
                break;
            }
            mn[j] = mnmnj;
        }
    }
    mj[n] = n;
    for k in (1..n).rev() {
        mj[k] = k + 1;
        loop {
            let mjk = mj[k];
            let mjmjk = mj[mjk];
            if mjk == n
                || (xx(k) - xx(mjk)) * (mjk as f64 - mjmjk as f64)
                    < (xx(mjk) - xx(mjmjk)) * (k as f64 - mjk as f64)
            {
                break;
            }
            mj[k] = mjmjk;
        }
    }
    let mut low = 1usize;
    let mut high = n;
    loop {
        gcm[1] = high;
        let mut i = 1;
        while gcm[i] > low {
            gcm[i + 1] = mn[gcm[i]];
            i += 1;
        }
        let l_gcm = i;
        let mut ig = l_gcm;
        let mut ix = ig - 1;
        lcm[1] = low;
        let mut i = 1;
        while lcm[i] < high {
            lcm[i + 1] = mj[lcm[i]];
            i += 1;
        }
        let l_lcm = i;
        let mut ih = l_lcm;
        let mut iv = 2;
        let mut d = 0.0_f64;
        if l_gcm != 2 || l_lcm != 2 {
            loop {
                let gcmix = gcm[ix];
                let lcmiv = lcm[iv];
                if gcmix > lcmiv {
                    let gcmi1 = gcm[ix + 1];
                    let dx = (lcmiv as f64 - gcmi1 as f64 + 1.0)
                        - (xx(lcmiv) - xx(gcmi1)) * (gcmix as f64 - gcmi1 as f64)
                            / (xx(gcmix) - xx(gcmi1));
                    iv += 1;
                    if dx >= d {
                        d = dx;
                        ig = ix + 1;
                        ih = iv - 1;
                    }
                } else {
                    let lcmiv1 = lcm[iv - 1];
                    let dx = (xx(gcmix) - xx(lcmiv1)) * (lcmiv as f64 - lcmiv1 as f64)
                        / (xx(lcmiv) - xx(lcmiv1))
                        - (gcmix as f64 - lcmiv1 as f64 - 1.0);
                    ix -= 1;
                    if dx >= d {
                        d = dx;
                        ig = ix + 1;
                        ih = iv;
                    }
                }
                if ix < 1 {
                    ix = 1;
                }
                if iv > l_lcm {
                    iv = l_lcm;
                }
                if gcm[ix] == lcm[iv] {
                    break;
                }
            }
        } else {
            d = 1.0;
        }
        if d < dip_val {
            break;
        }
        let mut dip_l = 0.0_f64;
        for j in ig..l_gcm {
            let mut max_t = 1.0_f64;
            let (jb, je) = (gcm[j + 1], gcm[j]);
            if je - jb > 1 && xx(je) != xx(jb) {
                let c = (je - jb) as f64 / (xx(je) - xx(jb));
                for jj in jb..=je {
                    let t = (jj - jb + 1) as f64 - (xx(jj) - xx(jb)) * c;
                    if max_t < t {
                        max_t = t;
                    }
                }
            }
            dip_l = dip_l.max(max_t);
        }
        let mut dip_u = 0.0_f64;
        for j in ih..l_lcm {
            let mut max_t = 1.0_f64;
            let (jb, je) = (lcm[j], lcm[j + 1]);
            if je - jb > 1 && xx(je) != xx(jb) {
                let c = (je - jb) as f64 / (xx(je) - xx(jb));
                for jj in jb..=je {
                    let t = (xx(jj) - xx(jb)) * c - (jj as f64 - jb as f64 - 1.0);
                    if max_t < t {
                        max_t = t;
                    }
                }
            }
            dip_u = dip_u.max(max_t);
        }
        dip_val = dip_val.max(dip_l.max(dip_u));
        if low == gcm[ig] && high == lcm[ih] {
            break;
        }
        low = gcm[ig];
        high = lcm[ih];
    }
    dip_val / (2.0 * n as f64)
}

/// Skewness, excess kurtosis and Hartigan's dip of turnout and of the
/// leader's share across stations, taken as deviations from the median of
/// the station's geographic group when groups are known (so that honest
/// differences between districts do not make modes of their own).
///
/// The p-value is that of the dip test (Hartigan & Hartigan 1985) of both
/// variables, with a null that fits the data. The uniform, the least
/// favourable unimodal null, makes the test conservative for the smooth,
/// bell-shaped distributions of clean elections: it rejected none of 500 clean
/// simulated elections. Cheng & Hall 1998 ("Calibrating the excess mass and
/// dip tests of modality", JRSS B 60(3):579–589) show that for a smooth
/// unimodal density f with mode m the dip's null distribution depends on f
/// only through f''(m)/f(m)³, and calibrate the test by simulating from a
/// smooth distribution with that constant instead of the uniform. Here the
/// calibration distribution is the normal (its constant is fixed, not
/// estimated from the data), group by group: each station's value is drawn from
/// N(0, s_g²), with s_g the standard deviation of its group's values,
/// and centred by its group's median as the data are, so the null keeps the
/// mixture of group spreads. The turnout and share dips are combined by
/// their smaller Monte Carlo p-value, calibrated on the joint simulations
/// (Westfall & Young 1993), so the test's size is the level. Skewness and
/// kurtosis are descriptive: a second mode or a heavy right tail at high
/// turnout and share is what ballot stuffing leaves (Myagkov, Ordeshook &
/// Shakin 2009, ch. 3).
/// The dips are computed on a seeded random sample of whole groups holding
/// about [`SHAPE_MAX_STATIONS`] stations (every station of each group drawn,
/// so that the centring and the spread of a group are those of the full
/// data) with at most [`SHAPE_MAX_REPLICATES`] simulated nulls: each
/// replicate sorts its sample, and a second mode that matters shows in
/// 10,000 stations as well as in a million.
#[derive(Debug, Clone, Copy, Default)]
pub struct DistributionShape;

/// Largest sample of stations [`DistributionShape`] computes its dips on.
pub const SHAPE_MAX_STATIONS: usize = 10_000;
/// Largest number of simulated nulls of [`DistributionShape`].
pub const SHAPE_MAX_REPLICATES: usize = 300;

/// Subtracts from each value the median of its group.
fn center_by_group(x: &mut [f64], g: &[usize], ng: usize) {
    let mut members: Vec<Vec<f64>> = vec![Vec::new(); ng];
    for (&v, &k) in x.iter().zip(g) {
        members[k].push(v);
    }
    let med: Vec<f64> = members
        .iter_mut()
        .map(|m| {
            m.sort_by(|a, b| a.total_cmp(b));
            let n = m.len();
            if n == 0 {
                0.0
            } else if n % 2 == 1 {
                m[n / 2]
            } else {
                0.5 * (m[n / 2 - 1] + m[n / 2])
            }
        })
        .collect();
    for (v, &k) in x.iter_mut().zip(g) {
        *v -= med[k];
    }
}

/// The standard deviation of each group's values (0 for a group of one).
fn group_sd(x: &[f64], g: &[usize], ng: usize) -> Vec<f64> {
    let mut members: Vec<Vec<f64>> = vec![Vec::new(); ng];
    for (&v, &k) in x.iter().zip(g) {
        members[k].push(v);
    }
    members
        .iter()
        .map(|m| {
            let (_, sd) = mean_sd(m);
            if sd.is_finite() { sd } else { 0.0 }
        })
        .collect()
}

/// The p-value of min(p_a, p_b) for two statistics simulated jointly
/// (Westfall & Young 1993, ch. 2): the observed pair and the R simulated
/// pairs are exchangeable under the null; each gets its upper-tail p-value
/// among all R + 1 of its kind, and the combined p-value is the share of the
/// R + 1 pairs whose smaller p-value is at most the observed one.
pub(crate) fn min_p_combined(a: f64, b: f64, sims_a: &[f64], sims_b: &[f64]) -> f64 {
    let all_a: Vec<f64> = std::iter::once(a).chain(sims_a.iter().copied()).collect();
    let all_b: Vec<f64> = std::iter::once(b).chain(sims_b.iter().copied()).collect();
    let m = all_a.len() as f64;
    let p_of = |all: &[f64], x: f64| all.iter().filter(|&&y| y >= x - 1e-12).count() as f64 / m;
    let mins: Vec<f64> = all_a
        .iter()
        .zip(&all_b)
        .map(|(&x, &y)| p_of(&all_a, x).min(p_of(&all_b, y)))
        .collect();
    let obs = mins[0];
    mins.iter().filter(|&&q| q <= obs + 1e-12).count() as f64 / m
}

impl ForensicTest for DistributionShape {
    fn code(&self) -> &'static str {
        DISTRIBUTION_SHAPE
    }

    fn run_with(
        &self,
        input: &Input<'_>,
        options: &Options,
        progress: &dyn super::Progress,
    ) -> Result<Finding, ForensicsError> {
        let na = |reason: &str| ForensicsError::NotApplicable {
            test: DISTRIBUTION_SHAPE,
            reason: reason.to_string(),
        };
        let (mut idx, mut t, mut v) = rates(input.stations).ok_or_else(|| na("no options"))?;
        if idx.len() < 10 {
            return Err(na("fewer than 10 stations"));
        }
        let all = idx.len();
        let stream = test_seed(options.seed, DISTRIBUTION_SHAPE);
        let (all_groups, ng) = input.stations.groups();
        if all > SHAPE_MAX_STATIONS {
            let mut rng = replicate_rng(stream ^ 0x5AB5_A3D1_E000_0001, 0);
            let mut pos: Vec<usize> = if ng > 1 {
                // Whole groups, in a seeded random order, until the sample
                // holds SHAPE_MAX_STATIONS stations: each kept group keeps
                // all its stations, so the deviations from its median and its
                // spread are those of the full data. (A sample of stations
                // broke groups of 50 into ones and twos at 1,000,000
                // stations, and the null's spread, estimated from one or two
                // deviations, no longer matched the data's.)
                let mut members: Vec<Vec<usize>> = vec![Vec::new(); ng];
                for (k, &i) in idx.iter().enumerate() {
                    members[all_groups[i]].push(k);
                }
                let mut order: Vec<usize> = (0..ng).collect();
                for a in (1..ng).rev() {
                    let c = rng.random_range(0..=a);
                    order.swap(a, c);
                }
                let mut pos = Vec::with_capacity(SHAPE_MAX_STATIONS + 64);
                for &gk in &order {
                    if pos.len() >= SHAPE_MAX_STATIONS {
                        break;
                    }
                    pos.extend_from_slice(&members[gk]);
                }
                pos
            } else {
                // A seeded random sample of stations (partial Fisher–Yates).
                let mut pos: Vec<usize> = (0..all).collect();
                for a in 0..SHAPE_MAX_STATIONS {
                    let c = rng.random_range(a..all);
                    pos.swap(a, c);
                }
                pos.truncate(SHAPE_MAX_STATIONS);
                pos
            };
            pos.sort_unstable();
            idx = pos.iter().map(|&k| idx[k]).collect();
            t = pos.iter().map(|&k| t[k]).collect();
            v = pos.iter().map(|&k| v[k]).collect();
        }
        let reps = options.replicates.clamp(1, SHAPE_MAX_REPLICATES);
        if ng > 1 {
            let g: Vec<usize> = idx.iter().map(|&i| all_groups[i]).collect();
            center_by_group(&mut t, &g, ng);
            center_by_group(&mut v, &g, ng);
        }
        let g: Vec<usize> = if ng > 1 {
            idx.iter().map(|&i| all_groups[i]).collect()
        } else {
            vec![0; idx.len()]
        };
        let (ts, tk) = skew_kurtosis(&t);
        let (vs, vk) = skew_kurtosis(&v);
        let sd_t = group_sd(&t, &g, ng);
        let sd_v = group_sd(&v, &g, ng);
        let dt = dip(&mut t);
        let dv = dip(&mut v);
        // The null: in each group, normal deviations with the group's
        // standard deviation, centred like the data.
        let draw = |rng: &mut rand_chacha::ChaCha8Rng, sd: &[f64]| {
            let mut x: Vec<f64> = g
                .iter()
                .map(|&k| sd[k] * rng.sample::<f64, _>(StandardNormal))
                .collect();
            if ng > 1 {
                center_by_group(&mut x, &g, ng);
            }
            dip(&mut x)
        };
        progress.length(reps as u64);
        let sims = replicates_with(stream, reps, progress, |rng| {
            (draw(rng, &sd_t), draw(rng, &sd_v))
        });
        let sims_t: Vec<f64> = sims.iter().map(|s| s.0).collect();
        let sims_v: Vec<f64> = sims.iter().map(|s| s.1).collect();
        let pt = upper_p(dt, &sims_t);
        let pv = upper_p(dv, &sims_v);
        let p = min_p_combined(dt, dv, &sims_t, &sims_v);
        let mut f = Finding::new(DISTRIBUTION_SHAPE, "Shape of turnout and leader share");
        f.statistic_name = "largest dip (turnout, leader share)".into();
        f.statistic = dt.max(dv);
        f.p_value = Some(p);
        f.effect_name = "dip of turnout".into();
        f.effect = dt;
        f.detail("turnout skewness", ts);
        f.detail("turnout excess kurtosis", tk);
        f.detail("turnout dip", dt);
        f.detail("turnout dip p", pt);
        f.detail("share skewness", vs);
        f.detail("share excess kurtosis", vk);
        f.detail("share dip", dv);
        f.detail("share dip p", pv);
        f.detail("stations in the dip", idx.len() as f64);
        f.null = "Turnout and leader share, as deviations from their group's median where \
                  groups are known, each come from a smooth unimodal distribution; the dips \
                  are compared with those of normal deviations with each group's spread \
                  (a normal calibration, after Cheng & Hall 1998), the two combined by their smaller p-value."
            .into();
        f.caveat = "The normal calibration assumes a clean distribution shaped like the \
                    normal at its mode; a flatter top, or a sharper peak with heavy tails (as \
                    real turnout often has), can reject without a second mode. Two modes can \
                    come from honest regional differences (two kinds of districts); \
                    skewness and kurtosis are descriptive and have no null here. The dip is \
                    weak against stuffing at a few percent of stations."
            .into();
        f.citation = "Hartigan & Hartigan 1985, Annals of Statistics 13(1):70–84; Cheng & \
                      Hall 1998, JRSS B 60(3):579–589; Westfall & Young 1993; Joanes & Gill \
                      1998"
            .into();
        if all > SHAPE_MAX_STATIONS {
            f.null.push_str(&format!(
                " Computed on {} of the {all} stations: whole groups drawn in a seeded random \
                 order until at least {SHAPE_MAX_STATIONS} stations (the same seed gives the \
                 same sample).",
                idx.len()
            ));
        }
        f.seed = options.seed;
        f.replicates = reps;
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_tables_are_sampled_by_whole_groups() {
        // 12,000 stations in 300 groups of 40 (> SHAPE_MAX_STATIONS): groups are
        // drawn whole until at least 10,000 stations, so the sample holds
        // 250 groups, exactly 10,000 stations, and every group is in or out.
        let n = 12_000usize;
        let reg = vec![1000u64; n];
        let ballots: Vec<u64> = (0..n).map(|i| 500 + (i as u64 * 37) % 300).collect();
        let lead: Vec<u64> = ballots.iter().map(|b| b / 2 + 7).collect();
        let other: Vec<u64> = ballots.iter().zip(&lead).map(|(b, l)| b - l).collect();
        let s = Stations::new(
            (0..n).map(|i| format!("s{i}")).collect(),
            reg,
            ballots.clone(),
            ballots,
            vec![0; n],
            vec!["a".into(), "b".into()],
            vec![lead, other],
        )
        .and_then(|s| s.with_regions((0..n).map(|i| format!("g{}", i % 300)).collect()))
        .unwrap_or_else(|e| panic!("{e}"));
        let opts = Options {
            seed: 3,
            replicates: 3,
            level: 0.05,
        };
        let f = DistributionShape
            .run(&Input::new(&s), &opts)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.get("stations in the dip"), Some(10_000.0));
        assert!(f.null.contains("whole groups"), "{}", f.null);
    }

    #[test]
    fn dip_matches_reference() {
        // Reference: Python package diptest 0.12.0 (a port of R diptest's C
        // code), diptest.dipstat(x), which equals R's dip() when above 1/(2n).
        let mut a = [1.0, 1.1, 1.2, 5.0, 5.1, 5.2, 5.3, 9.0, 9.1, 9.2];
        assert!((dip(&mut a) - 0.1425).abs() < 1e-12);
        let mut b = [
            0.1, 0.2, 0.25, 0.3, 0.9, 1.0, 1.05, 1.1, 1.7, 1.9, 3.0, 3.1, 3.15, 3.2, 3.3,
        ];
        assert!((dip(&mut b) - 0.13484848484848486).abs() < 1e-12);
        // diptest.dipstat of [((i*37) % 101) + 200*(i >= 120) + i/1000 for i in range(200)]
        // = 0.10109094907071929 (two clusters, 120 and 80 points).
        let mut d: Vec<f64> = (0..200u32)
            .map(|i| {
                f64::from((i * 37) % 101) + if i >= 120 { 200.0 } else { 0.0 } + f64::from(i) * 1e-3
            })
            .collect();
        assert!((dip(&mut d) - 0.10109094907071929).abs() < 1e-12);
        // diptest.dipstat of [((i*i*13) % 257)/257 for i in range(300)] = 0.029178403755868533.
        let mut e: Vec<f64> = (0..300u32)
            .map(|i| f64::from((i * i * 13) % 257) / 257.0)
            .collect();
        assert!((dip(&mut e) - 0.029178403755868533).abs() < 1e-12);
        // Evenly spaced points: the floor 1/(2n) = 0.05 of R's default.
        let mut c: Vec<f64> = (0..10).map(f64::from).collect();
        assert!((dip(&mut c) - 0.05).abs() < 1e-12);
    }

    #[test]
    fn min_p_combined_by_hand() {
        // Observed (a, b) = (5, 0) with sims a = {1, 6, 2}, b = {0, 1, 2}.
        // The four values of a (5, 1, 6, 2) have upper-tail p 2/4, 4/4, 1/4, 3/4;
        // those of b (0, 0, 1, 2) have 4/4, 4/4, 2/4, 1/4. The smaller per pair:
        // 2/4, 4/4, 1/4, 1/4; three are at most the observed 2/4 -> 3/4.
        let p = min_p_combined(5.0, 0.0, &[1.0, 6.0, 2.0], &[0.0, 1.0, 2.0]);
        assert!((p - 0.75).abs() < 1e-12, "{p}");
        // Observed (9, 9): a (9, 1, 6, 2) -> 1/4, 4/4, 2/4, 3/4; b (9, 0, 1, 2) ->
        // 1/4, 4/4, 3/4, 2/4. Smaller: 1/4, 4/4, 2/4, 2/4; one at most 1/4 -> 1/4.
        let p = min_p_combined(9.0, 9.0, &[1.0, 6.0, 2.0], &[0.0, 1.0, 2.0]);
        assert!((p - 0.25).abs() < 1e-12, "{p}");
    }

    #[test]
    fn skew_kurtosis_by_hand() {
        // x = 1, 2, 3, 10: mean 4; deviations −3, −2, −1, 6.
        // m2 = (9+4+1+36)/4 = 12.5; m3 = (−27−8−1+216)/4 = 45; m4 = (81+16+1+1296)/4 = 348.5.
        // g1 = 45/12.5^1.5 = 1.01823; g2 = 348.5/156.25 − 3 = −0.7696.
        let (s, k) = skew_kurtosis(&[1.0, 2.0, 3.0, 10.0]);
        assert!((s - 45.0 / 12.5f64.powf(1.5)).abs() < 1e-12);
        assert!((k - (348.5 / 156.25 - 3.0)).abs() < 1e-12);
    }

    #[test]
    fn slope_normal_matches_permutations() {
        use super::super::util::{replicate_rng, replicates};
        // 3,000 stations in 30 groups of different spreads, a weak slope.
        let mut rng = replicate_rng(31, 0);
        let n = 3000;
        let g: Vec<usize> = (0..n).map(|i| i % 30).collect();
        let x: Vec<f64> = g
            .iter()
            .map(|&k| (1.0 + k as f64 / 10.0) * rng.sample::<f64, _>(StandardNormal))
            .collect();
        let y: Vec<f64> = x
            .iter()
            .map(|&a| 0.02 * a + rng.sample::<f64, _>(StandardNormal))
            .collect();
        let (b, z, sd) = slope_z(&x, &y, &g, 30);
        assert!((b - within_slope(&x, &y, &g, 30)).abs() < 1e-12);
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); 30];
        for (k, &gk) in g.iter().enumerate() {
            members[gk].push(k);
        }
        let sims = replicates(5, 2000, |rng| {
            let mut xp = x.clone();
            for m in &members {
                for a in (1..m.len()).rev() {
                    let c = rng.random_range(0..=a);
                    xp.swap(m[a], m[c]);
                }
            }
            within_slope(&xp, &y, &g, 30)
        });
        // The permutation sd of b agrees with the exact one (sampling error
        // of an sd from 2,000 draws: about 1.6%).
        let (m, sd_mc) = mean_sd(&sims);
        assert!(m.abs() < 4.0 * sd / 2000f64.sqrt(), "mean {m}");
        assert!((sd_mc / sd - 1.0).abs() < 0.06, "{sd_mc} vs {sd}");
        // And the two p-values agree (Monte Carlo error about 0.01).
        let abs: Vec<f64> = sims.iter().map(|v| v.abs()).collect();
        let p_mc = upper_p(b.abs(), &abs);
        let p_n = normal_two_sided(z);
        assert!((p_mc - p_n).abs() < 0.04, "{p_mc} vs {p_n} (z {z})");
    }

    #[test]
    fn within_slope_by_hand() {
        // Group 0: (0,0),(1,1) slope 1; group 1: (10,0),(11,-1) slope −1;
        // pooled: Σdx·dy = 0.25+0.25 −0.25−0.25 = 0 -> 0.
        let x = [0.0, 1.0, 10.0, 11.0];
        let y = [0.0, 1.0, 0.0, -1.0];
        assert_eq!(within_slope(&x, &y, &[0, 0, 1, 1], 2), 0.0);
        // One group: x̄ = 5.5, ȳ = 0; Σdx·dy = −5.5·0 + −4.5·1 + 4.5·0 + 5.5·(−1) = −10;
        // Σdx² = 30.25+20.25+20.25+30.25 = 101 -> −10/101.
        assert!((within_slope(&x, &y, &[0; 4], 1) + 10.0 / 101.0).abs() < 1e-12);
    }
}
