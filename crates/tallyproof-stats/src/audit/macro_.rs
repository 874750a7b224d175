//! MACRO batch comparison with stations as batches, as Arlo computes it
//! (votingworks/arlo `server/audit_math/macro.py`, for one contest: pending
//! and unauditable ballots 0, no runoff).
//!
//! Stark 2008, "A Sharper Discrepancy Measure for Post-Election Audits",
//! Annals of Applied Statistics 2(3) §3 (the maximum relative overstatement)
//! and Stark 2009, "Efficient Post-Election Audits of Multiple Contests:
//! 2009 California Tests", §3 eqs. (5)–(13) (MACRO with sampling
//! proportional to the error bound, PPEB):
//!
//! - V_wℓ = reported votes of winner w minus loser ℓ over the contest;
//! - the bound of station p: u_p = max_{w,ℓ} ((v_wp − v_ℓp) + b_p)/V_wℓ
//!   (b_p its ballots), U = Σ_p u_p: the outcome is wrong only if the
//!   total relative overstatement Σ_p e_p reaches 1;
//! - the error of an audited station: e_p = max(0, max_{w,ℓ} ((v_wp − v_ℓp)
//!   − (a_wp − a_ℓp))/V_wℓ), its taint t_p = e_p/u_p ∈ [0, 1];
//! - drawing stations with replacement with probability u_p/U, the risk
//!   after draws 1..n is P = Π (1 − 1/U)/(1 − t_i) (Kaplan–Markov);
//! - the sample size to reach α from the risk so far r (1 before the first
//!   round): n = ⌈(ln α − ln r)/ln(1 − 1/U)⌉ + 1, at most the number of
//!   stations (Arlo's `get_sample_sizes`: "+1 to allow for small
//!   discrepancies").
//!
//! In [`super::assertions`] the same test is [`super::nonneg_mean`]'s ALPHA
//! with η = u on x = (1 − t)/(2(1 − 1/U)).

use super::{Outcome, Reported, StationResult};

/// The MACRO quantities of a contest: V_wℓ per pair, u_p per station, U.
#[derive(Debug, Clone, PartialEq)]
pub struct Macro {
    /// (winner, loser, V_wℓ) for every pair.
    pub pairs: Vec<(usize, usize, i64)>,
    /// u_p per station, in [`Reported`] order (∞ when some V_wℓ ≤ 0).
    pub max_error: Vec<f64>,
    /// U = Σ u_p.
    pub total: f64,
}

/// v_w − v_ℓ of a vote vector.
fn diff(votes: &[u64], w: usize, l: usize) -> i64 {
    votes[w] as i64 - votes[l] as i64
}

impl Macro {
    /// u_p and U for the reported results (Stark 2009 eq. (5); Arlo
    /// `compute_max_error`, `compute_U`).
    pub fn new(rep: &Reported, out: &Outcome) -> Macro {
        let pairs: Vec<(usize, usize, i64)> = out
            .losers
            .iter()
            .map(|&l| (out.winner, l, diff(&out.totals, out.winner, l)))
            .collect();
        let max_error: Vec<f64> = rep
            .stations
            .iter()
            .map(|s| Macro::bound(&pairs, s))
            .collect();
        let total = max_error.iter().sum();
        Macro {
            pairs,
            max_error,
            total,
        }
    }

    fn bound(pairs: &[(usize, usize, i64)], s: &StationResult) -> f64 {
        let mut e = 0.0f64;
        for &(w, l, v) in pairs {
            if v <= 0 {
                return f64::INFINITY;
            }
            let u = (diff(&s.votes, w, l) + s.ballots as i64) as f64 / v as f64;
            if u > e {
                e = u;
            }
        }
        e
    }

    /// e_p of an audited station: the largest positive relative
    /// overstatement over the pairs, 0 if none (Arlo `compute_error`,
    /// understatements counted as 0 "to be conservative").
    pub fn error(&self, reported: &StationResult, audited: &[u64]) -> f64 {
        let mut best: Option<(f64, i64)> = None;
        for &(w, l, v) in &self.pairs {
            let err = diff(&reported.votes, w, l) - diff(audited, w, l);
            if err == 0 {
                continue;
            }
            let weighted = if v > 0 {
                err as f64 / v as f64
            } else {
                f64::INFINITY
            };
            if best.is_none_or(|(b, _)| weighted > b) {
                best = Some((weighted, err));
            }
        }
        match best {
            Some((weighted, err)) if err > 0 => weighted,
            _ => 0.0,
        }
    }

    /// t_p = e_p/u_p of station `i` (∞ when either is infinite).
    pub fn taint(&self, i: usize, reported: &StationResult, audited: &[u64]) -> f64 {
        let e = self.error(reported, audited);
        let u = self.max_error[i];
        if e.is_infinite() || u.is_infinite() {
            return f64::INFINITY;
        }
        e / u
    }

    /// Arlo's `compute_risk` over taints in ticket order: (risk capped at
    /// 1, whether the uncapped risk is at most α). An infinite taint means
    /// a full hand count: (1, false).
    pub fn risk(&self, taints: &[f64], alpha: f64) -> (f64, bool) {
        let mut p = 1.0f64;
        let step = 1.0 - 1.0 / self.total;
        for &t in taints {
            if t.is_infinite() {
                return (1.0, false);
            }
            if t == 1.0 {
                p = f64::INFINITY;
            } else {
                p *= step / (1.0 - t);
            }
        }
        (p.min(1.0), p <= alpha)
    }

    /// Arlo's `get_sample_sizes`: the number of further draws expected to
    /// reach α from risk `risk` (1 before the first round) if no more
    /// discrepancies are found, plus one; at most `stations`; 0 when α is
    /// reached.
    pub fn sample_size(&self, alpha: f64, risk: f64, confirmed: bool, stations: usize) -> u64 {
        if self.total.is_infinite() {
            return stations as u64;
        }
        if confirmed {
            return 0;
        }
        let est = (alpha.ln() - risk.ln()) / (1.0 - 1.0 / self.total).ln();
        let n = est.ceil() + 1.0;
        (n.max(0.0) as u64).min(stations as u64)
    }
}
