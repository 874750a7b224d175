//! Risk-measuring functions over a sequence of assorter values: tests of
//! the null hypothesis that the mean of a population of values in `[0, u]`
//! is at most `t` (1/2 for every assertion here).
//!
//! One test, [`NonnegMean::alpha_mart`], the ALPHA supermartingale (Stark
//! 2023, "ALPHA: Audit that Learns from Previously Hand-Audited Ballots",
//! Annals of Applied Statistics 17(1) §2 eq. (7)–(9)), parametrised by an
//! estimator of the alternative mean η_j ([`Estimator`]). The classical
//! tests are special cases, and the audit methods are data that pick one:
//!
//! - BRAVO (Lindeman, Stark & Yates 2012) is ALPHA with replacement, values
//!   in {0, 1/2, 1} and a fixed η = the reported share of the winner among
//!   the pair (Stark 2023 §2.2.1: "ALPHA ... with η_j = η ... is BRAVO").
//! - MACRO's Kaplan–Markov product (Stark 2009, "Efficient post-election
//!   audits of multiple contests" eq. (13); Stark 2023 §2.2) is ALPHA with a
//!   fixed η = u on the rescaled taints.
//!
//! The arithmetic follows SHANGRLA's `NonnegMean.alpha_mart` (pbstark/SHANGRLA,
//! `shangrla/core/NonnegMean.py`), including its edge rules, and is checked
//! against it on vectors (`tests/vectors/shangrla_alpha.json`).

use serde::{Deserialize, Serialize};

/// Machine epsilon, as numpy's `np.finfo(float).eps`.
const EPS: f64 = f64::EPSILON;

/// How η_j, the alternative mean used to bet on draw j, is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Estimator {
    /// A fixed alternative: the population mean is η (`None`: SHANGRLA's
    /// default η = t + (u − t)/2). Without replacement, η_j is the mean of
    /// the values not yet drawn if the population mean were η:
    /// η_j = (N·η − S_j)/(N − j + 1) (Stark 2023 §2.2 eq. (9) with a fixed
    /// alternative; SHANGRLA `fixed_alternative_mean`).
    Fixed {
        /// The alternative population mean, in (t, u].
        eta: Option<f64>,
    },
    /// The truncated shrinkage estimator (Stark 2023 §2.5.2 eq. (17);
    /// SHANGRLA `shrink_trunc`): the sample mean shrunk towards η with
    /// weight `d`, then towards u with weight `f`/sd, truncated into
    /// (m_j + e_j, u(1 − ε) − e_j) with e_j = c/√(d + j − 1).
    ShrinkTrunc {
        /// Initial alternative mean, in (t, u).
        eta: f64,
        /// Truncation scale (`None`: (η − t)/2 − ε).
        c: Option<f64>,
        /// Weight of η relative to one observation (SHANGRLA's default 100).
        d: f64,
        /// Weight of u, divided by the running standard deviation (default 0).
        f: f64,
        /// Floor on the running standard deviation (default 10⁻⁶).
        minsd: f64,
    },
}

/// Whether draws come with or without replacement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "size", rename_all = "snake_case")]
pub enum Population {
    /// Sampling with replacement (SHANGRLA's `N = np.inf`).
    WithReplacement,
    /// Sampling without replacement from this many units.
    Finite(u64),
}

/// Which martingale value the p-value is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reading {
    /// 1 / max_j T_j: valid at any stopping time by Ville's inequality
    /// (SHANGRLA `alpha_mart`).
    RunningMax,
    /// 1 / T_n at the last draw: Arlo's MACRO and BRAVO risk.
    Last,
}

/// A test of "the mean of values in [0, u] is at most t" with ALPHA.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NonnegMean {
    /// Upper bound on every value.
    pub u: f64,
    /// The null mean (1/2 for an assertion).
    pub t: f64,
    /// With or without replacement.
    pub population: Population,
    /// The alternative-mean estimator.
    pub estimator: Estimator,
    /// How the p-value is read from the martingale.
    pub reading: Reading,
}

/// A p-value and its history, draw by draw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Risk {
    /// The p-value after all draws (1 with no draws).
    pub p_value: f64,
    /// min(1, 1/T_j) after draw j.
    pub history: Vec<f64>,
}

/// numpy's `isclose(a, b, atol, rtol)`: |a − b| ≤ atol + rtol·|b| for
/// finite values; infinities are close only to an equal infinity (without
/// that rule, |0 − ∞| ≤ rtol·∞ made a martingale past f64's range "close
/// to 0", read as a risk of 1).
fn isclose(a: f64, b: f64, atol: f64, rtol: f64) -> bool {
    if a.is_infinite() || b.is_infinite() {
        return a == b;
    }
    (a - b).abs() <= atol + rtol * b.abs()
}

impl NonnegMean {
    /// ALPHA with the default estimator (fixed η = t + (u − t)/2), t = 1/2,
    /// the p-value read at the running maximum: SHANGRLA's `NonnegMean()`
    /// defaults.
    pub fn alpha(u: f64, population: Population) -> NonnegMean {
        NonnegMean {
            u,
            t: 0.5,
            population,
            estimator: Estimator::Fixed { eta: None },
            reading: Reading::RunningMax,
        }
    }

    /// m_j, the population mean of the values not yet drawn if the null
    /// held with mean `t`, before each draw: (N·t − S_j)/(N − j + 1), or t
    /// with replacement (Stark 2023 §2.2 eq. (8); SHANGRLA `sjm`).
    fn null_means(&self, t: f64, x: &[f64]) -> Vec<f64> {
        match self.population {
            Population::WithReplacement => vec![t; x.len()],
            Population::Finite(n) => {
                let n = n as f64;
                let mut s = 0.0;
                x.iter()
                    .enumerate()
                    .map(|(i, &xi)| {
                        let m = (n * t - s) / (n - i as f64);
                        s += xi;
                        m
                    })
                    .collect()
            }
        }
    }

    /// η_j for each draw.
    fn etas(&self, x: &[f64], m: &[f64]) -> Vec<f64> {
        let (u, t) = (self.u, self.t);
        match self.estimator {
            Estimator::Fixed { eta } => {
                let eta = eta.unwrap_or(t + (u - t) / 2.0);
                // Without replacement the implied mean of the rest can leave
                // [0, u] (SHANGRLA warns and goes on, and the product can
                // turn negative); held in [0, u], each factor keeps
                // expectation 1 under the null and stays nonnegative
                // (Stark 2023 §2.2: any predictable η_j in [0, u]).
                self.null_means(eta, x)
                    .into_iter()
                    .map(|e| e.clamp(0.0, u))
                    .collect()
            }
            Estimator::ShrinkTrunc {
                eta,
                c,
                d,
                f,
                minsd,
            } => {
                let mut c = c.unwrap_or((eta - t) / 2.0 - EPS);
                if u - c < t + c {
                    c = (u - c) / 2.0;
                }
                // Welford's running mean and (population) variance; the sd
                // used for draw j is that of the first j − 1 draws, and 1
                // for the first two draws (SHANGRLA `shrink_trunc`).
                let mut out = Vec::with_capacity(x.len());
                let (mut s, mut mean, mut m2) = (0.0, 0.0, 0.0);
                for (i, &xi) in x.iter().enumerate() {
                    let j = (i + 1) as f64;
                    let sd = if i < 2 {
                        1.0
                    } else {
                        (m2 / i as f64).sqrt().max(minsd)
                    };
                    let weighted = ((d * eta + s) / (d + j - 1.0) + u * f / sd) / (1.0 + f / sd);
                    let tol = c / (d + j - 1.0).sqrt();
                    let low = m[i] * (1.0 + EPS) + tol;
                    out.push((u * (1.0 - EPS) - tol).min(weighted.max(low)));
                    s += xi;
                    let old = mean;
                    mean += (xi - mean) / j;
                    m2 += (xi - old) * (xi - mean);
                }
                out
            }
        }
    }

    /// The ALPHA martingale T_j over draws `x` (in the order drawn), and
    /// the p-value. Stark 2023 §2.2 eq. (7): T_j = Π_{i ≤ j} (x_i·η_i/m_i +
    /// (u − x_i)(u − η_i)/(u − m_i))/u. Edge rules as SHANGRLA: T_j = 0
    /// where m_j > u, T_j = 1 where m_j is 0 or u or T_j vanishes, T_j = ∞
    /// where m_j < 0, and T_n = ∞ when the sample total alone exceeds N·t;
    /// once m_j > u, every later T_j is taken as 0 as well (then 1, as
    /// SHANGRLA reads a vanished martingale).
    pub fn alpha_mart(&self, x: &[f64]) -> Risk {
        let (u, t) = (self.u, self.t);
        let m = self.null_means(t, x);
        let eta = self.etas(x, &m);
        let atol = 2.0 * EPS;
        // The product is kept as a sign and the log of its magnitude: over
        // thousands of draws it passes f64's range (a 10% pair after 5,000
        // ballots is e^1400), where a plain product turns to ∞, then ∞·0 =
        // NaN, read as a p-value of 1.
        let (mut sign, mut log_abs) = (1.0f64, 0.0f64);
        let mut certain_null = false;
        let mut terms: Vec<f64> = x
            .iter()
            .zip(&m)
            .zip(&eta)
            .map(|((&xi, &mi), &ei)| {
                let f = (xi * ei / mi + (u - xi) * (u - ei) / (u - mi)) / u;
                if f.is_nan() {
                    log_abs = f64::NAN;
                } else {
                    if f < 0.0 {
                        sign = -sign;
                    }
                    log_abs += f.abs().ln();
                }
                let mut term = sign * log_abs.exp();
                // m_j > u: the values not yet drawn cannot bring the mean
                // up to t, so the null is certainly true from here on.
                // SHANGRLA zeroes only this position and lets the product
                // run on (it can turn negative, a p-value below 0); here
                // every later T_j is 0 too.
                certain_null |= mi > u;
                if certain_null {
                    term = 0.0;
                }
                if isclose(0.0, mi, atol, 1e-5) || isclose(u, mi, atol, 1e-6) {
                    term = 1.0;
                }
                if isclose(0.0, term, atol, 1e-5) {
                    term = 1.0;
                }
                if mi < 0.0 {
                    term = f64::INFINITY;
                }
                term
            })
            .collect();
        if let (Population::Finite(n), Some(last)) = (self.population, terms.last_mut()) {
            let total: f64 = x.iter().sum();
            if total > n as f64 * t {
                *last = f64::INFINITY;
            }
        }
        let history: Vec<f64> = terms.iter().map(|&tj| p_of(tj)).collect();
        let p_value = match self.reading {
            Reading::RunningMax => p_of(terms.iter().copied().fold(f64::NAN, f64::max)),
            Reading::Last => terms.last().map_or(1.0, |&tj| p_of(tj)),
        };
        Risk {
            p_value: if x.is_empty() { 1.0 } else { p_value },
            history,
        }
    }

    /// The first draw at which the p-value falls to `alpha` or below when
    /// the population is `x` with each value repeated ⌈N/len(x)⌉ times in
    /// place (SHANGRLA `NonnegMean.sample_size` with `reps=None`); N if it
    /// never does. `None` with replacement (no N) or no values.
    pub fn sample_size_repeated(&self, x: &[f64], alpha: f64) -> Option<u64> {
        let Population::Finite(n) = self.population else {
            return None;
        };
        if x.is_empty() {
            return None;
        }
        let k = (n as usize).div_ceil(x.len());
        let pop: Vec<f64> = x
            .iter()
            .flat_map(|&v| std::iter::repeat_n(v, k))
            .take(n as usize)
            .collect();
        Some(self.first_crossing(&pop, alpha).unwrap_or(n))
    }

    /// The 1-based index of the first draw whose p-value is at most `alpha`.
    pub fn first_crossing(&self, x: &[f64], alpha: f64) -> Option<u64> {
        let r = self.alpha_mart(x);
        r.history
            .iter()
            .position(|&p| p <= alpha)
            .map(|i| i as u64 + 1)
    }
}

/// min(1, 1/T), with numpy's reading of a NaN (1).
fn p_of(t: f64) -> f64 {
    let p = 1.0 / t;
    if p.is_nan() { 1.0 } else { p.min(1.0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bravo_factors_by_hand() {
        // With replacement, m = 1/2, u = 1, fixed η = 0.6: a winner vote
        // multiplies T by η/m = 1.2, a loser vote by (1 − η)/(1 − m) = 0.8,
        // a vote for neither by (η + (1 − η))·... = 1 (Stark 2023 §2.2.1).
        let t = NonnegMean {
            estimator: Estimator::Fixed { eta: Some(0.6) },
            reading: Reading::Last,
            ..NonnegMean::alpha(1.0, Population::WithReplacement)
        };
        let r = t.alpha_mart(&[1.0, 1.0, 0.0, 0.5]);
        // T = 1.2 · 1.2 · 0.8 · 1 = 1.152, p = 1/1.152.
        assert!((r.p_value - 1.0 / 1.152).abs() < 1e-12);
        assert!((r.history[0] - 1.0 / 1.2).abs() < 1e-12);
    }

    #[test]
    fn long_samples_do_not_overflow() {
        // BRAVO for a pair with η = 0.83 after 2,788 votes for the winner
        // and 549 for the loser (a real round-1 sample of a 5% race, pair
        // winner–third): ln T = 2788 ln 1.66 + 549 ln 0.34 = 1413.0 − 592.3
        // = 820.7, far past f64's ~709.8; the risk is e^−820.7 ≈ 0, not 1.
        let t = NonnegMean {
            estimator: Estimator::Fixed { eta: Some(0.83) },
            reading: Reading::Last,
            ..NonnegMean::alpha(1.0, Population::WithReplacement)
        };
        let mut x = vec![1.0; 2788];
        x.extend(std::iter::repeat_n(0.0, 549));
        let r = t.alpha_mart(&x);
        assert_eq!(r.p_value, 0.0, "{}", r.p_value);
        // And in the other order (the small factors first): the same.
        x.reverse();
        assert_eq!(t.alpha_mart(&x).p_value, 0.0);
        // A moderate sample is unchanged: 1.66² · 0.34 = 0.936904, p = 1/0.936904 → 1.
        let r = t.alpha_mart(&[1.0, 1.0, 0.0]);
        assert_eq!(r.p_value, 1.0);
        assert!((r.history[1] - 1.0 / (1.66f64 * 1.66)).abs() < 1e-12);
    }

    #[test]
    fn without_replacement_total_past_null_is_certain() {
        // N = 4, t = 1/2: a sample total above N·t = 2 cannot come from a
        // population whose mean is 1/2 or less.
        let t = NonnegMean::alpha(1.0, Population::Finite(4));
        let r = t.alpha_mart(&[1.0, 1.0, 1.0]);
        assert_eq!(r.p_value, 0.0);
    }
}
