//! BRAVO ballot-polling sample sizes and risk, as Arlo computes them
//! (votingworks/arlo `server/audit_math/bravo.py`; one winner, one vote
//! per ballot).
//!
//! Lindeman, Stark & Yates 2012, "BRAVO: Ballot-polling Risk-limiting
//! Audits to Verify Outcomes", EVT/WOTE '12 §3: for each winner w and loser
//! ℓ, with s_wℓ = p_w/(p_w + p_ℓ) the reported share of w among ballots for
//! either, the test statistic after a sample with n_w ballots for w and n_ℓ
//! for ℓ is T_wℓ = (s_wℓ/(1/2))^{n_w} ((1 − s_wℓ)/(1/2))^{n_ℓ}, and the risk
//! is 1/T_wℓ. The average sample number is §3 eq. (4) (ASN ≈ (ln(1/α) +
//! z_w/2)/(p_w z_w + p_ℓ z_ℓ), z_w = ln 2s_wℓ, z_ℓ = ln(2 − 2s_wℓ)); the
//! sizes that complete in one round with a given probability are Mark
//! Lindeman's normal approximation refined on the binomial quantile, as in
//! Arlo's `bravo_sample_sizes`.

use statrs::distribution::{Binomial, ContinuousCDF, DiscreteCDF, Normal};

/// One winner–loser pair's reported shares of all ballots.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    /// Winner's votes / ballots.
    pub p_w: f64,
    /// Loser's votes / ballots.
    pub p_l: f64,
    /// Winner's votes in the sample so far.
    pub sample_w: u64,
    /// Loser's votes in the sample so far.
    pub sample_l: u64,
}

impl Pair {
    /// s_wℓ = p_w/(p_w + p_ℓ).
    pub fn share(&self) -> f64 {
        self.p_w / (self.p_w + self.p_l)
    }

    /// ln T_wℓ of the sample so far (Lindeman, Stark & Yates 2012 §3),
    /// in logs so that large samples neither overflow nor underflow.
    pub fn log_statistic(&self) -> f64 {
        let s = self.share();
        let mut t = 0.0f64;
        if self.sample_w > 0 {
            t += self.sample_w as f64 * (s / 0.5).ln();
        }
        if self.sample_l > 0 {
            t += self.sample_l as f64 * ((1.0 - s) / 0.5).ln();
        }
        t
    }

    /// The risk 1/T capped at 1 (Arlo `compute_risk`).
    pub fn risk(&self) -> f64 {
        let t = self.log_statistic();
        if t.is_nan() || t == f64::NEG_INFINITY {
            1.0
        } else {
            (-t).exp().min(1.0)
        }
    }

    /// The average sample number from here (Arlo
    /// `get_expected_sample_size`), possibly ≤ 0 when the sample already
    /// meets α.
    pub fn asn(&self, alpha: f64) -> i64 {
        let s = self.share();
        let z_w = (2.0 * s).ln();
        let z_l = (2.0 - 2.0 * s).ln();
        (((1.0 / alpha).ln() - self.log_statistic() + z_w / 2.0)
            / (self.p_w * z_w + self.p_l * z_l))
            .ceil() as i64
    }

    fn parts(&self, alpha: f64) -> (f64, f64, f64, f64, f64) {
        let p_wr = self.p_w + self.p_l;
        let p_w2 = self.p_w / p_wr;
        let p_r2 = 1.0 - p_w2;
        let plus = (p_w2 / 0.5).ln();
        let minus = (p_r2 / 0.5).ln();
        let threshold =
            (1.0 / alpha).ln() - (self.sample_w as f64 * plus + self.sample_l as f64 * minus);
        (p_wr, p_w2, plus, minus, threshold)
    }

    /// The probability that a round of `asn` ballots completes the audit
    /// if the reported shares are right, rounded to 2 decimals (Arlo
    /// `expected_prob`).
    pub fn completion_probability(&self, alpha: f64, asn: u64) -> f64 {
        let (p_wr, p_w2, plus, minus, threshold) = self.parts(alpha);
        if threshold <= 0.0 {
            return 0.0;
        }
        let n = asn as f64 * p_wr;
        let r_x = (threshold - minus * n) / (plus - minus);
        let z = (r_x - n * p_w2) / (n * p_w2 * (1.0 - p_w2)).sqrt();
        let p = std_normal().cdf(-z);
        (p * 100.0).round() / 100.0
    }

    /// The sample size that completes the audit in one round with
    /// probability `q` if the reported shares are right (Arlo
    /// `bravo_sample_sizes`): the larger root of the normal approximation,
    /// then increased until the `1 − q` binomial quantile of winner votes
    /// reaches the threshold, then divided by p_w + p_ℓ for the ballots
    /// that are for neither; 0 when the sample already meets α.
    pub fn quantile_size(&self, alpha: f64, q: f64, total_ballots: u64) -> u64 {
        let (p_wr, p_w2, plus, minus, threshold) = self.parts(alpha);
        if threshold <= 0.0 {
            return 0;
        }
        let p_r2 = 1.0 - p_w2;
        let z = -std_normal().inverse_cdf(q);
        let d = p_w2 * p_r2;
        let f = threshold / (plus - minus);
        let g = minus / (plus - minus) + p_w2;
        let q_a = g * g;
        let q_b = -(z * z * d + 2.0 * f * g);
        let q_c = f * f;
        let radical = (q_b * q_b - 4.0 * q_a * q_c).max(0.0).sqrt();
        let root = if q > 0.5 {
            (-q_b + radical) / (2.0 * q_a)
        } else {
            (-q_b - radical) / (2.0 * q_a)
        };
        let mut size = root.floor().max(0.0) as u64;
        let mut stat = f64::NEG_INFINITY;
        while stat.is_nan() || (stat < threshold && size < total_ballots) {
            let x_c = binom_ppf(1.0 - q, size, p_w2);
            stat = x_c * plus + (size as f64 - x_c) * minus;
            if stat.is_nan() || stat < threshold {
                size += 1;
            }
        }
        (size as f64 / p_wr).ceil() as u64
    }
}

fn std_normal() -> Normal {
    // (0, 1) is a valid normal; the fallback is never taken.
    Normal::new(0.0, 1.0).unwrap_or_else(|_| Normal::standard())
}

/// scipy's `binom.ppf(q, n, p)`: the smallest k with P(X ≤ k) ≥ q.
pub fn binom_ppf(q: f64, n: u64, p: f64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let Ok(b) = Binomial::new(p, n) else {
        return f64::NAN;
    };
    // Binary search on the CDF, starting from the whole range.
    let (mut lo, mut hi) = (0u64, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if b.cdf(mid) >= q {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo as f64
}

/// One option of Arlo's `get_sample_size` for one round.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SizeOption {
    /// "asn", "0.7", "0.8", "0.9" or "all-ballots".
    pub label: String,
    /// Ballots to draw.
    pub size: u64,
    /// Probability of completing in this round if the reported shares are
    /// right (None for a full hand count).
    pub prob: Option<f64>,
}

/// Arlo's `get_sample_size` for one winner: the ASN and the sizes that
/// complete with probability 0.7, 0.8 and 0.9 (the largest over the
/// pairs); a full hand count when the 0.9 size is a quarter of the ballots
/// or more in an election of over 100,000 ballots. `pairs` are the
/// winner's pairs with the sample so far; `None` when the sample already
/// meets α ("Sample indicates the audit is over").
pub fn sample_sizes(alpha: f64, pairs: &[Pair], total_ballots: u64) -> Option<Vec<SizeOption>> {
    if pairs.iter().any(|p| p.p_w == p.p_l) {
        return Some(vec![SizeOption {
            label: "all-ballots".to_string(),
            size: total_ballots,
            prob: None,
        }]);
    }
    let live: Vec<&Pair> = pairs.iter().filter(|p| p.p_l > 0.0).collect();
    if live.is_empty() {
        return Some(vec![SizeOption {
            label: "asn".to_string(),
            size: 1,
            prob: Some(1.0),
        }]);
    }
    let mut asn = 0i64;
    let mut worst: Option<&Pair> = None;
    for p in &live {
        let n = p.asn(alpha);
        if n > asn {
            asn = n;
            worst = Some(p);
        }
    }
    let worst = worst?;
    let asn = asn as u64;
    let mut out = vec![SizeOption {
        label: "asn".to_string(),
        size: asn,
        prob: Some(worst.completion_probability(alpha, asn)),
    }];
    for (label, q) in [("0.7", 0.7), ("0.8", 0.8), ("0.9", 0.9)] {
        let size = live
            .iter()
            .map(|p| p.quantile_size(alpha, q, total_ballots))
            .max()
            .unwrap_or(0);
        if size != 0 {
            out.push(SizeOption {
                label: label.to_string(),
                size,
                prob: Some(q),
            });
        }
    }
    let big = out.iter().find(|o| o.label == "0.9").map(|o| o.size);
    if total_ballots > 100_000 && big.is_some_and(|s| s as f64 >= 0.25 * total_ballots as f64) {
        return Some(vec![SizeOption {
            label: "all-ballots".to_string(),
            size: total_ballots,
            prob: None,
        }]);
    }
    Some(out)
}
