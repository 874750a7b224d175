//! Digit tests: last-digit uniformity and second-digit Benford (2BL).

use statrs::distribution::{Binomial, ChiSquared, ContinuousCDF, Discrete};

use super::util::{binomial, replicates_with, test_seed, upper_p};
use super::{
    Finding, ForensicTest, ForensicsError, Input, LAST_DIGIT, Options, SECOND_DIGIT, Stations,
};

/// The cells (station, option) that enter a digit test: counts of at least
/// `min_count` votes, with the valid votes they are drawn from.
fn cells(s: &Stations, min_count: u64) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (j, col) in s.votes.iter().enumerate() {
        for (i, &c) in col.iter().enumerate() {
            if c >= min_count && s.valid[i] > 0 {
                out.push((i, j));
            }
        }
    }
    out
}

/// The last decimal digit.
pub fn last_digit(c: u64) -> usize {
    (c % 10) as usize
}

/// The second decimal digit of a count of at least 10, else `None`.
pub fn second_digit(mut c: u64) -> Option<usize> {
    if c < 10 {
        return None;
    }
    while c >= 100 {
        c /= 10;
    }
    Some((c % 10) as usize)
}

/// Second-digit Benford probabilities: P(d2 = k) = Σ_{d1=1}^{9} log10(1 + 1/(10·d1 + k))
/// (Mebane 2006, "Election forensics: vote counts and Benford's law", eq. 1).
pub fn benford_second() -> [f64; 10] {
    let mut p = [0.0; 10];
    for (k, pk) in p.iter_mut().enumerate() {
        for d1 in 1..=9 {
            *pk += (1.0 + 1.0 / (10.0 * d1 as f64 + k as f64)).log10();
        }
    }
    p
}

/// Pearson's X² = Σ (O − E)²/E of digit counts against probabilities.
pub fn chi_square(counts: &[u64; 10], probs: &[f64; 10]) -> f64 {
    let n: u64 = counts.iter().sum();
    if n == 0 {
        return 0.0;
    }
    counts
        .iter()
        .zip(probs)
        .map(|(&o, &p)| {
            let e = p * n as f64;
            (o as f64 - e).powi(2) / e
        })
        .sum()
}

fn textbook_p(x2: f64) -> f64 {
    match ChiSquared::new(9.0) {
        Ok(d) => 1.0 - d.cdf(x2),
        Err(_) => f64::NAN,
    }
}

struct DigitOutcome {
    counts: [u64; 10],
    x2: f64,
    p_mc: f64,
    null_mean: f64,
    n: usize,
    top_digit: usize,
    top_ids: Vec<String>,
    /// The expected digit frequencies the statistic is measured against.
    expected: [f64; 10],
}

/// The expected digit probabilities of a set of (valid votes, count) cells.
type Expected = dyn Fn(&[(u64, u64)]) -> [f64; 10] + Sync;

/// Shared engine: X² of `digit(count)` against `expected(cells)`, the digit
/// probabilities under the null; with `simulate`, the null distribution of X²
/// comes from resampling each station's valid votes among the options
/// multinomially at the observed shares (each count binomial around its
/// observed rate), else from χ²(9).
#[allow(clippy::too_many_arguments)]
fn digit_test(
    s: &Stations,
    code: &'static str,
    min_count: u64,
    digit: fn(u64) -> Option<usize>,
    expected: &Expected,
    options: &Options,
    simulate: bool,
    progress: &dyn super::Progress,
) -> Result<DigitOutcome, ForensicsError> {
    let cs = cells(s, min_count);
    let mut counts = [0u64; 10];
    for &(i, j) in &cs {
        if let Some(d) = digit(s.votes[j][i]) {
            counts[d] += 1;
        }
    }
    let n: u64 = counts.iter().sum();
    if n < 50 {
        return Err(ForensicsError::NotApplicable {
            test: code,
            reason: format!("only {n} counts of at least {min_count} votes (need 50)"),
        });
    }
    let pairs: Vec<(u64, u64)> = cs
        .iter()
        .map(|&(i, j)| (s.valid[i], s.votes[j][i]))
        .collect();
    let probs = expected(&pairs);
    let x2 = chi_square(&counts, &probs);
    let stream = test_seed(options.seed, code);
    let reps = if simulate { options.replicates } else { 0 };
    // The stations with a tested cell, and which of their options are tested.
    let k = s.votes.len();
    let mut flags: Vec<Vec<bool>> = vec![Vec::new(); s.valid.len()];
    for &(i, j) in &cs {
        if flags[i].is_empty() {
            flags[i] = vec![false; k];
        }
        flags[i][j] = true;
    }
    let tested: Vec<(usize, Vec<bool>)> = flags
        .into_iter()
        .enumerate()
        .filter(|(_, t)| !t.is_empty())
        .collect();
    progress.length(reps as u64);
    let sims = replicates_with(stream, reps, progress, |rng| {
        // The statistic of a resampled election, its expectation recomputed
        // from the resampled counts as the observed one is from the observed.
        let mut c = [0u64; 10];
        let mut sim_pairs = Vec::with_capacity(pairs.len());
        for (i, t) in &tested {
            // The station's valid votes split multinomially at its observed
            // shares (conditional binomials), so its counts keep their sum.
            let v = s.valid[*i];
            let mut left = v;
            let mut left_share = 1.0;
            for (j, col) in s.votes.iter().enumerate() {
                let share = col[*i] as f64 / v as f64;
                let x = if j + 1 == k {
                    left
                } else if left_share <= 0.0 {
                    0
                } else {
                    binomial(rng, left, (share / left_share).min(1.0))
                };
                left -= x;
                left_share -= share;
                if t[j] && x >= min_count {
                    if let Some(d) = digit(x) {
                        c[d] += 1;
                    }
                    sim_pairs.push((v, x));
                }
            }
        }
        chi_square(&c, &expected(&sim_pairs))
    });
    let (p_mc, null_mean) = if simulate {
        (
            upper_p(x2, &sims),
            sims.iter().sum::<f64>() / sims.len().max(1) as f64,
        )
    } else {
        // X² against known probabilities: χ²(9), mean 9.
        (textbook_p(x2), 9.0)
    };
    // The digit most over-represented relative to expectation.
    let mut top_digit = 0;
    let mut top_excess = f64::NEG_INFINITY;
    for d in 0..10 {
        let ex = counts[d] as f64 - probs[d] * n as f64;
        if ex > top_excess {
            top_excess = ex;
            top_digit = d;
        }
    }
    let mut top_ids: Vec<String> = cs
        .iter()
        .filter(|&&(i, j)| digit(s.votes[j][i]) == Some(top_digit))
        .map(|&(i, _)| s.ids[i].clone())
        .collect();
    top_ids.dedup();
    Ok(DigitOutcome {
        counts,
        x2,
        p_mc,
        null_mean,
        n: n as usize,
        top_digit,
        top_ids,
        expected: probs,
    })
}

/// The probabilities that a Binomial(n, p) count has second digit 0–9
/// (counts below 10 have none, so the ten values sum to P(X ≥ 10)). The
/// binomial probabilities are stepped from the mode by the ratio
/// P(a+1)/P(a) = (n − a)/(a + 1) · p/(1 − p), over mode ± (8 sd + 10) (the
/// mass outside is below 10⁻¹⁴).
pub fn second_digit_probs(n: u64, p: f64) -> [f64; 10] {
    let mut out = [0.0; 10];
    if n < 10 || p.is_nan() || p <= 0.0 {
        return out;
    }
    if p >= 1.0 {
        if let Some(d) = second_digit(n) {
            out[d] = 1.0;
        }
        return out;
    }
    let nf = n as f64;
    let mode = (((nf + 1.0) * p).floor() as u64).min(n);
    let pm = match Binomial::new(p, n) {
        Ok(b) => b.pmf(mode),
        Err(_) => return out,
    };
    let sd = (nf * p * (1.0 - p)).sqrt();
    let span = (8.0 * sd + 10.0).ceil() as u64;
    let lo = mode.saturating_sub(span);
    let hi = mode.saturating_add(span).min(n);
    let r = p / (1.0 - p);
    let mut f = pm;
    for a in mode..=hi {
        if let Some(d) = second_digit(a) {
            out[d] += f;
        }
        f *= (n - a) as f64 / (a + 1) as f64 * r;
    }
    let mut f = pm;
    for a in (lo..mode).rev() {
        f *= (a + 1) as f64 / ((n - a) as f64 * r);
        if let Some(d) = second_digit(a) {
            out[d] += f;
        }
    }
    out
}

/// The second-digit frequencies expected under binomial resampling of the
/// cells: Σ_cells P(d2 = k) / Σ_cells P(X ≥ 10).
fn resampled_second_digits(cells: &[(u64, u64)]) -> [f64; 10] {
    let mut sum = [0.0; 10];
    for &(v, x) in cells {
        let q = second_digit_probs(v, x as f64 / v as f64);
        for (a, b) in sum.iter_mut().zip(q) {
            *a += b;
        }
    }
    let total: f64 = sum.iter().sum();
    if total > 0.0 {
        for a in &mut sum {
            *a /= total;
        }
    }
    sum
}

fn fill(f: &mut Finding, o: DigitOutcome, options: &Options, simulated: bool) {
    f.statistic_name = "Pearson X² over 10 digits".into();
    f.statistic = o.x2;
    f.p_value = Some(o.p_mc);
    f.effect_name = "X² minus its null mean".into();
    f.effect = o.x2 - o.null_mean;
    f.detail("counts tested", o.n as f64);
    if simulated {
        f.detail("X² textbook p (χ², 9 df)", textbook_p(o.x2));
    }
    for (d, c) in o.counts.iter().enumerate() {
        f.detail(&format!("digit {d}"), *c as f64);
    }
    f.detail("most over-represented digit", o.top_digit as f64);
    f.set_stations(o.top_ids);
    if simulated {
        f.seed = options.seed;
        f.replicates = options.replicates;
    }
}

/// The cells (station, option) whose expected count, from the other
/// stations of the station's group, is at least `min_expected`: option j at
/// station i is kept when v_i · (G_gj − x_ij) / (V_g − v_i) ≥ min_expected,
/// with G_gj the option's votes and V_g the valid votes of group g. The rule
/// does not look at the cell's own count beyond the station's valid votes v_i,
/// so it cannot favour some of its digits (a threshold on the count itself,
/// x ≥ 100, keeps 100–109 and drops 90–99: on a falling density of counts
/// that over-represents low digits, the artefact behind false alarms at
/// 20,000 stations). Groups of one station use the national shares.
#[allow(clippy::needless_range_loop)]
pub fn expected_cells(s: &Stations, min_expected: f64) -> Vec<(usize, usize)> {
    let (g, ng) = s.groups();
    let k = s.votes.len();
    let mut gv = vec![0u64; ng];
    let mut gn = vec![0usize; ng];
    let mut gx = vec![vec![0u64; k]; ng];
    for i in 0..s.len() {
        gv[g[i]] += s.valid[i];
        gn[g[i]] += 1;
        for j in 0..k {
            gx[g[i]][j] += s.votes[j][i];
        }
    }
    let tv: u64 = gv.iter().sum();
    let tx: Vec<u64> = (0..k).map(|j| s.votes[j].iter().sum()).collect();
    let mut out = Vec::new();
    for i in 0..s.len() {
        let v = s.valid[i];
        if v == 0 {
            continue;
        }
        let gi = g[i];
        let (rest_v, local) = if gn[gi] >= 2 && gv[gi] > v {
            (gv[gi] - v, true)
        } else {
            (tv.saturating_sub(v), false)
        };
        if rest_v == 0 {
            continue;
        }
        for j in 0..k {
            let x = s.votes[j][i];
            let rest_x = if local { gx[gi][j] - x } else { tx[j] - x };
            let e = v as f64 * rest_x as f64 / rest_v as f64;
            if e >= min_expected {
                out.push((i, j));
            }
        }
    }
    out
}

/// Last-digit uniformity of vote counts (Beber & Scacco 2012, "What the
/// numbers say: a digit-based test for election fraud", Political Analysis
/// 20(2):211–234, §3).
///
/// Statistic: Pearson X² = Σ_d (O_d − n/10)²/(n/10) over the last digits of
/// the counts of the cells chosen by [`expected_cells`]: every option at every
/// station where its count expected from the other stations of the group is
/// at least `min_expected` (default 100). Null: each such count is a
/// binomial draw given the station's valid votes (multinomial across the
/// options), with a spread of at least about 7 votes; the last digit of such a
/// count is uniform within 0.2·exp(−2π²σ²/100) ≤ 0.001 per cell (the
/// binomial's characteristic function at frequency 1/10), whatever its
/// mean, so the digits are independent and uniform and X² ~ χ²(9). The cells
/// are chosen without looking at their own counts, so the selection leaves
/// the digits alone; choosing them by the count itself (x ≥ 100) does not,
/// and rejected clean elections of 20,000 stations.
/// p-value: P(χ²(9) ≥ X²), exact as the cells grow in number.
#[derive(Debug, Clone)]
pub struct LastDigit {
    /// Cells whose count expected from the rest of their group is below
    /// this are left out (small counts' last digits need not be uniform).
    pub min_expected: f64,
}

impl Default for LastDigit {
    fn default() -> Self {
        LastDigit {
            min_expected: 100.0,
        }
    }
}

impl ForensicTest for LastDigit {
    fn code(&self) -> &'static str {
        LAST_DIGIT
    }

    fn run_with(
        &self,
        input: &Input<'_>,
        _options: &Options,
        _progress: &dyn super::Progress,
    ) -> Result<Finding, ForensicsError> {
        let s = input.stations;
        let cs = expected_cells(s, self.min_expected);
        let mut counts = [0u64; 10];
        for &(i, j) in &cs {
            counts[last_digit(s.votes[j][i])] += 1;
        }
        let n: u64 = counts.iter().sum();
        if n < 50 {
            return Err(ForensicsError::NotApplicable {
                test: LAST_DIGIT,
                reason: format!(
                    "only {n} counts expected at {} votes or more (need 50)",
                    self.min_expected
                ),
            });
        }
        let x2 = chi_square(&counts, &[0.1; 10]);
        let mut top_digit = 0;
        for d in 0..10 {
            if counts[d] > counts[top_digit] {
                top_digit = d;
            }
        }
        let mut top_ids: Vec<String> = cs
            .iter()
            .filter(|&&(i, j)| last_digit(s.votes[j][i]) == top_digit)
            .map(|&(i, _)| s.ids[i].clone())
            .collect();
        top_ids.sort();
        top_ids.dedup();
        let o = DigitOutcome {
            counts,
            x2,
            p_mc: textbook_p(x2),
            null_mean: 9.0,
            n: n as usize,
            top_digit,
            top_ids,
            expected: [0.1; 10],
        };
        let mut f = Finding::new(LAST_DIGIT, "Last digits of vote counts");
        fill(&mut f, o, &Options::default(), false);
        f.null = format!(
            "The last digits of the counts expected (from the rest of their district) at {} \
             votes or more are independent and uniform on 0–9 (X² ~ χ²(9)): binomial \
             variation of counts that large spreads them evenly; people who invent numbers \
             favour some digits.",
            self.min_expected
        );
        f.caveat = "Detects invented counts, not stuffing or transfer done by adding real \
                    ballots; rounding of counts to multiples of 5 or 10 shows here too. Read \
                    the digit counts beside the p-value: at a million counts a small, \
                    systematic habit of the people filling the sheets is significant."
            .into();
        f.citation = "Beber & Scacco 2012, Political Analysis 20(2):211–234, §3".into();
        Ok(f)
    }
}

/// Second-digit Benford test (2BL) of vote counts (Mebane 2006; Mebane 2011,
/// "Comment on 'Benford's law and the detection of election fraud'",
/// Political Analysis 19(3):269–272).
///
/// Mebane's statistic, Pearson X² of the second digits of counts ≥ 10 against
/// 2BL, P(d2 = k) = Σ_{d1} log10(1 + 1/(10·d1 + k)), and the mean second digit
/// (4.187 under 2BL) are reported with the textbook χ²(9) p-value. Clean counts
/// need not follow 2BL (Deckert, Myagkov & Ordeshook 2011): counts bounded by
/// station size and support span too few orders of magnitude. So the p-value
/// asks instead whether the second digits are those that honest binomial
/// variation around each station's own rates produces. Statistic: Pearson X²
/// of the observed second digits against the frequencies expected when each
/// count is Binomial(valid, count/valid) (computed exactly,
/// Σ_cells P(d2 = k) / Σ_cells P(X ≥ 10)). Null distribution: the same
/// statistic of resampled elections, each station's valid votes split among
/// the options multinomially at its observed shares, with the expectation
/// recomputed from the resampled counts as it is from the observed ones (the
/// expectation is fitted to the data, so a fixed one would make the test
/// conservative). Measuring the
/// distance from the resampling expectation, not from 2BL, matters: the
/// distance from 2BL of clean counts is large and depends on the spread of
/// counts, which the resampling widens, so a null of resampled 2BL distances
/// does not fit the observed one.
#[derive(Debug, Clone)]
pub struct SecondDigit {
    /// Counts below this are left out (they have no second digit below 10).
    pub min_count: u64,
    /// Upper bound on resampled elections (each recomputes the expectation
    /// of every cell).
    pub max_replicates: usize,
}

impl Default for SecondDigit {
    fn default() -> Self {
        SecondDigit {
            min_count: 10,
            max_replicates: 200,
        }
    }
}

impl ForensicTest for SecondDigit {
    fn code(&self) -> &'static str {
        SECOND_DIGIT
    }

    fn run_with(
        &self,
        input: &Input<'_>,
        options: &Options,
        progress: &dyn super::Progress,
    ) -> Result<Finding, ForensicsError> {
        let s = input.stations;
        let options = &Options {
            replicates: options.replicates.min(self.max_replicates).max(1),
            ..options.clone()
        };
        let o = digit_test(
            s,
            SECOND_DIGIT,
            self.min_count,
            second_digit,
            &resampled_second_digits,
            options,
            true,
            progress,
        )?;
        let n = o.n as f64;
        let mean2 = o
            .counts
            .iter()
            .enumerate()
            .map(|(d, &c)| d as f64 * c as f64)
            .sum::<f64>()
            / n;
        let mean_expected: f64 = o
            .expected
            .iter()
            .enumerate()
            .map(|(d, &q)| d as f64 * q)
            .sum();
        let benford_x2 = chi_square(&o.counts, &benford_second());
        let mut f = Finding::new(SECOND_DIGIT, "Second digits of vote counts (2BL)");
        fill(&mut f, o, options, true);
        f.statistic_name =
            "Pearson X² of second digits against their resampling expectation".into();
        f.detail("X² against 2BL (Mebane)", benford_x2);
        f.detail(
            "X² against 2BL, textbook p (χ², 9 df)",
            textbook_p(benford_x2),
        );
        f.detail("mean second digit (2BL: 4.187)", mean2);
        f.detail("mean second digit expected under resampling", mean_expected);
        f.null = "Each count is binomial around its station's share of the valid votes; its \
                  second digit is then distributed as such resampling makes it, whatever the \
                  distance of the clean digits from Benford's 2BL."
            .into();
        f.caveat = "Deckert, Myagkov & Ordeshook 2011 (Political Analysis 19(3):245–268) show \
                    that clean elections can violate 2BL and fraudulent ones can satisfy it: \
                    the 2BL distance depends on station sizes and support, not on fraud. The \
                    p-value therefore compares the digits with their resampling expectation; \
                    the distance from 2BL and its textbook p-value are shown for comparison \
                    only. Neither is evidence of fraud alone."
            .into();
        f.citation = "Mebane 2006 (2BL); Deckert, Myagkov & Ordeshook 2011, Political \
                      Analysis 19(3):245–268"
            .into();
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn benford_second_digit_table() {
        // Reference, Python 3 (math.log10), rounded to 5 decimals:
        //   [sum(log10(1 + 1/(10*d + k)) for d in range(1, 10)) for k in range(10)]
        //   = 0.11968 0.11389 0.10882 0.10433 0.10031 0.09668 0.09337 0.09035 0.08757 0.08500
        let want = [
            0.11968, 0.11389, 0.10882, 0.10433, 0.10031, 0.09668, 0.09337, 0.09035, 0.08757,
            0.08500,
        ];
        let p = benford_second();
        for (a, b) in p.iter().zip(want) {
            assert!((a - b).abs() < 5e-6, "{a} vs {b}");
        }
        // Mean 4.187 (Mebane 2006).
        let mean: f64 = p.iter().enumerate().map(|(k, v)| k as f64 * v).sum();
        assert!((mean - 4.187).abs() < 5e-4);
    }

    #[test]
    fn second_digit_probs_match_direct_sum() {
        use statrs::distribution::{Binomial, Discrete};
        for &(n, p) in &[(40u64, 0.3), (700, 0.45), (1500, 0.02), (12, 0.9)] {
            let b = Binomial::new(p, n).unwrap_or_else(|e| panic!("{e}"));
            let mut want = [0.0; 10];
            for a in 0..=n {
                if let Some(d) = second_digit(a) {
                    want[d] += b.pmf(a);
                }
            }
            let got = second_digit_probs(n, p);
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() < 1e-12, "n {n} p {p}: {g} vs {w}");
            }
        }
        // p = 1: the count is n.
        assert_eq!(second_digit_probs(47, 1.0)[7], 1.0);
    }

    #[test]
    fn digits() {
        assert_eq!(second_digit(9), None);
        assert_eq!(second_digit(10), Some(0));
        assert_eq!(second_digit(47), Some(7));
        assert_eq!(second_digit(3_861), Some(8));
        assert_eq!(last_digit(3_861), 1);
    }

    #[test]
    fn chi_square_by_hand() {
        // 100 digits: 20 zeros, 80 spread as 10,10,10,10,10,10,10,5,5 over 1..9.
        // E = 10 each: (20−10)²/10 + 7·0 + 2·(5−10)²/10 = 10 + 5 = 15.
        let c = [20, 10, 10, 10, 10, 10, 10, 10, 5, 5];
        assert!((chi_square(&c, &[0.1; 10]) - 15.0).abs() < 1e-12);
        // scipy 1.x: scipy.stats.chi2.sf(15, 9) = 0.0909359765798051
        assert!((textbook_p(15.0) - 0.09093598).abs() < 1e-6);
    }
}
