//! Assorters: maps from a unit (a sheet, or a ballot) to a value in
//! `[0, u]` whose population mean is more than 1/2 exactly when an
//! assertion about the reported outcome is true (Stark 2020, SHANGRLA §2).

use serde::{Deserialize, Serialize};

use super::macro_::Macro;
use super::{Outcome, Reported, StationResult};

/// SHANGRLA's overstatement assorter for the pair (w, ℓ) with sheets as
/// the units, drawn uniformly.
///
/// On ballots the plurality assorter is a(b) = (1[b is for w] − 1[b is
/// for ℓ] + 1)/2 ∈ [0, 1] (Stark 2020 §3.1). A station p with b_p ballots
/// holds the sum A_p = (v_wp − v_ℓp + b_p)/2; dividing by the mean ballots
/// per station b̄ = B/P makes x_p = A_p/b̄ a value whose mean over the P
/// stations is the mean of a over the B ballots, with upper bound
/// u = max_p b_p/b̄. The overstatement of a sheet is ω_p = x_p(reported) −
/// x_p(audited), and the overstatement assorter is (Stark 2020 §3.2 eq.
/// (4); SHANGRLA `Assertion.overstatement_assorter`)
///
/// B_p = (1 − ω_p/u)/(2 − v/u),  v = 2·mean(x) − 1 = (V_w − V_ℓ)/B,
///
/// with values in [0, 2/(2 − v/u)]; mean(B) > 1/2 exactly when w's true
/// total beats ℓ's. An audited difference is clamped into [−b_p, b_p] (a
/// sheet cannot move the pair by more than its reported ballots; clamping
/// only shrinks an understatement or is the worst case), so B_p stays in
/// its range.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SheetOverstatement {
    /// The reported winner.
    pub winner: usize,
    /// The loser.
    pub loser: usize,
    /// b̄, mean ballots per station.
    pub mean_ballots: f64,
    /// u = max_p b_p/b̄, the bound of the station assorter x.
    pub bound: f64,
    /// v = (V_w − V_ℓ)/B, the reported assorter margin.
    pub margin: f64,
}

impl SheetOverstatement {
    /// The assorter for (w, ℓ) over the reported results.
    pub fn new(rep: &Reported, out: &Outcome, loser: usize) -> SheetOverstatement {
        let p = rep.stations.len() as f64;
        let b = out.ballots as f64;
        let mean_ballots = b / p;
        let max_b = rep.stations.iter().map(|s| s.ballots).max().unwrap_or(0) as f64;
        let margin = (out.totals[out.winner] as f64 - out.totals[loser] as f64) / b;
        SheetOverstatement {
            winner: out.winner,
            loser,
            mean_ballots,
            bound: max_b / mean_ballots,
            margin,
        }
    }

    /// 2/(2 − v/u), the bound of B.
    pub fn upper_bound(&self) -> f64 {
        2.0 / (2.0 - self.margin / self.bound)
    }

    /// B for an overstatement ω (in units of x): SHANGRLA
    /// `make_overstatement` takes ω as a multiple of u.
    pub fn of_overstatement(&self, omega: f64) -> f64 {
        (1.0 - omega / self.bound) / (2.0 - self.margin / self.bound)
    }

    /// The station assorter x for a vote difference d in a station of b
    /// ballots, with d clamped into [−b, b].
    fn x(&self, d: i64, b: u64) -> f64 {
        let b = b as i64;
        (d.clamp(-b, b) + b) as f64 / (2.0 * self.mean_ballots)
    }

    /// B_p for a reported sheet and its audited votes.
    pub fn value(&self, reported: &StationResult, audited: &[u64]) -> f64 {
        let d = |v: &[u64]| v[self.winner] as i64 - v[self.loser] as i64;
        let omega =
            self.x(d(&reported.votes), reported.ballots) - self.x(d(audited), reported.ballots);
        self.of_overstatement(omega)
    }

    /// ω for a sheet whose audited result moves `votes` votes of the
    /// pair's margin (a transfer from w to ℓ moves 2).
    pub fn omega_for_votes(&self, votes: f64) -> f64 {
        votes / (2.0 * self.mean_ballots)
    }
}

/// An assorter: what one drawn unit contributes to an assertion.
#[derive(Debug, Clone, PartialEq)]
pub enum Assorter {
    /// Sheet-level comparison, one pair: [`SheetOverstatement`].
    SheetOverstatement(SheetOverstatement),
    /// MACRO, the whole contest: a drawn station with taint t contributes
    /// x = (1 − t)/(2(1 − 1/U)) ∈ [0, 1/(2(1 − 1/U))], whose mean under
    /// PPEB sampling is (1 − Σe_p/U)/(2(1 − 1/U)): more than 1/2 exactly
    /// when the total relative overstatement Σ e_p is below 1 (Stark 2009
    /// §3 eq. (8)); ALPHA with η = u on x is the Kaplan–Markov product
    /// Π (1 − 1/U)/(1 − t_i) (eq. (13)).
    MacroTaint(Macro),
    /// Ballot polling, one pair: a(b) = 1 for w, 0 for ℓ, 1/2 otherwise
    /// (Stark 2020 §3.1).
    Plurality {
        /// The reported winner.
        winner: usize,
        /// The loser.
        loser: usize,
    },
}

impl Assorter {
    /// The largest value the assorter takes.
    pub fn upper_bound(&self) -> f64 {
        match self {
            Assorter::SheetOverstatement(s) => s.upper_bound(),
            Assorter::MacroTaint(m) => 1.0 / (2.0 * (1.0 - 1.0 / m.total)),
            Assorter::Plurality { .. } => 1.0,
        }
    }

    /// The value of a drawn sheet: station `i` of the reported results,
    /// with these audited votes. `None` for a ballot-polling assorter.
    pub fn sheet(&self, i: usize, reported: &StationResult, audited: &[u64]) -> Option<f64> {
        match self {
            Assorter::SheetOverstatement(s) => Some(s.value(reported, audited)),
            Assorter::MacroTaint(m) => {
                let t = m.taint(i, reported, audited);
                Some(if t.is_finite() {
                    (1.0 - t).max(0.0) * self.upper_bound()
                } else {
                    0.0
                })
            }
            Assorter::Plurality { .. } => None,
        }
    }

    /// The value of a drawn ballot: the option it is a vote for, if any.
    /// `None` for a sheet assorter.
    pub fn ballot(&self, vote: Option<usize>) -> Option<f64> {
        match self {
            Assorter::Plurality { winner, loser } => Some(match vote {
                Some(v) if v == *winner => 1.0,
                Some(v) if v == *loser => 0.0,
                _ => 0.5,
            }),
            _ => None,
        }
    }
}
