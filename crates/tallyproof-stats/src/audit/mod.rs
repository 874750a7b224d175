//! Risk-limiting audits of tally sheets.
//!
//! Every audit here is, as in SHANGRLA (Stark 2020, "Sets of Half-Average
//! Nulls Generate Risk-Limiting Audits: SHANGRLA", Voting '20 §2), a set of
//! *assertions*: "the mean of this assorter over the population is more
//! than 1/2", where an [`assorter::Assorter`] maps a unit (a sheet, or a
//! ballot) to a value in `[0, u]`. Each assertion is tested by a
//! risk-measuring function over the sequence of assorter values drawn,
//! [`nonneg_mean::NonnegMean`] (ALPHA, Stark 2023). An audit method is data
//! ([`Method`] → assorters, test parameters and sampling design, in
//! [`assertions`]), not a code path:
//!
//! | method | unit | assorter | test | sampling |
//! |---|---|---|---|---|
//! | `macro` | sheet | MACRO taint, one for the contest (Stark 2008/2009) | Kaplan–Markov = ALPHA, η = u, read at the last draw (as Arlo) | with replacement, probability ∝ u_p (PPEB) |
//! | `alpha` | sheet | SHANGRLA overstatement, per winner–loser pair | ALPHA, SHANGRLA's default η | without replacement, uniform |
//! | `bravo` | ballot | plurality, per pair | ALPHA, η = reported pairwise share = BRAVO | with replacement, uniform over ballots |
//!
//! Arlo's own formulas for MACRO and BRAVO (sample sizes and risks,
//! `server/audit_math/{macro,bravo}.py`) are in [`macro_`] and [`bravo`];
//! the state of an audit, from which anyone recomputes the same risk, is
//! [`state::AuditState`]. Everything is a pure function of numbers.

use serde::{Deserialize, Serialize};

pub mod assertions;
pub mod assorter;
pub mod bravo;
pub mod calibration;
pub mod macro_;
pub mod nonneg_mean;
pub mod plan;
pub mod state;

pub use assertions::{Assertion, Method};
pub use state::AuditState;

/// Why an audit computation cannot proceed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The reported results have no stations or fewer than two options.
    #[error(
        "the reported results have {stations} stations and {options} options: nothing to audit"
    )]
    Empty {
        /// Stations in the reported results.
        stations: usize,
        /// Options in the contest.
        options: usize,
    },
    /// The top two options are tied: no winner to confirm; count by hand.
    #[error("{a} and {b} are tied at {votes} votes: there is no reported winner to confirm")]
    Tie {
        /// One of the tied options.
        a: String,
        /// The other.
        b: String,
        /// Their votes.
        votes: u64,
    },
    /// A station reports more votes for the options than ballots.
    #[error("station {station}: {votes} votes for the options but {ballots} ballots")]
    MoreVotesThanBallots {
        /// The station.
        station: String,
        /// Sum of its option votes.
        votes: u64,
        /// Its ballots.
        ballots: u64,
    },
    /// The same station appears twice in the reported results.
    #[error("station {0} appears twice in the reported results")]
    DuplicateStation(String),
    /// An audited result names a station that is not in the reported results.
    #[error("audited station {0} is not in the reported results")]
    UnknownStation(String),
    /// An audited result has a different number of options.
    #[error("station {station}: the audited result has {got} options, the contest {want}")]
    OptionCount {
        /// The station.
        station: String,
        /// Options in the audited result.
        got: usize,
        /// Options in the contest.
        want: usize,
    },
    /// A risk limit outside (0, 1).
    #[error("the risk limit must be in (0, 1), not {0}")]
    RiskLimit(f64),
    /// The state file does not fit its own reported results (a hand edit).
    #[error("the audit state is inconsistent: {0}")]
    State(String),
}

/// One station's result: votes per option (contest order) and ballots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationResult {
    /// The station id.
    pub station: String,
    /// Votes per option, in the contest's option order.
    pub votes: Vec<u64>,
    /// Ballots in the station (cast: valid + null + blank, or as printed):
    /// the cards of the population. At least the sum of `votes`.
    pub ballots: u64,
}

/// The reported results of one single-winner plurality contest, per
/// station, sorted by station id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reported {
    /// Option keys, in contest order.
    pub options: Vec<String>,
    /// One entry per station, sorted by id, ids unique.
    pub stations: Vec<StationResult>,
}

/// The reported outcome: totals and who won.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Votes per option.
    pub totals: Vec<u64>,
    /// Ballots in all stations.
    pub ballots: u64,
    /// Index of the reported winner (most votes).
    pub winner: usize,
    /// Indices of the other options, most votes first.
    pub losers: Vec<usize>,
}

impl Reported {
    /// Sort by station, check that ids are unique, votes fit in ballots,
    /// and there are at least two options and one station.
    pub fn new(
        options: Vec<String>,
        mut stations: Vec<StationResult>,
    ) -> Result<Reported, AuditError> {
        if stations.is_empty() || options.len() < 2 {
            return Err(AuditError::Empty {
                stations: stations.len(),
                options: options.len(),
            });
        }
        stations.sort_by(|a, b| a.station.cmp(&b.station));
        for w in stations.windows(2) {
            if w[0].station == w[1].station {
                return Err(AuditError::DuplicateStation(w[0].station.clone()));
            }
        }
        for s in &stations {
            if s.votes.len() != options.len() {
                return Err(AuditError::OptionCount {
                    station: s.station.clone(),
                    got: s.votes.len(),
                    want: options.len(),
                });
            }
            let v: u64 = s.votes.iter().sum();
            if v > s.ballots {
                return Err(AuditError::MoreVotesThanBallots {
                    station: s.station.clone(),
                    votes: v,
                    ballots: s.ballots,
                });
            }
        }
        Ok(Reported { options, stations })
    }

    /// The reported results from the accepted sheets of a dataset: votes per
    /// option and ballots cast (as printed, else valid or the options'
    /// sum, plus null and blank) per station.
    pub fn from_dataset(data: &tallyproof_core::Dataset) -> Result<Reported, AuditError> {
        let sh = &data.sheets;
        let stations = (0..sh.len())
            .map(|i| StationResult {
                station: sh.station.get(i).to_string(),
                votes: sh.votes.iter().map(|v| u64::from(v[i])).collect(),
                ballots: sh.cast(i).max(sh.options_total(i)),
            })
            .collect();
        Reported::new(data.options.clone(), stations)
    }

    /// Index of a station by id.
    pub fn index_of(&self, station: &str) -> Option<usize> {
        self.stations
            .binary_search_by(|s| s.station.as_str().cmp(station))
            .ok()
    }

    /// Totals, the winner and the losers; an error on a tie for first.
    pub fn outcome(&self) -> Result<Outcome, AuditError> {
        let k = self.options.len();
        let mut totals = vec![0u64; k];
        let mut ballots = 0u64;
        for s in &self.stations {
            for (t, v) in totals.iter_mut().zip(&s.votes) {
                *t += v;
            }
            ballots += s.ballots;
        }
        let mut order: Vec<usize> = (0..k).collect();
        order.sort_by(|&a, &b| totals[b].cmp(&totals[a]).then(a.cmp(&b)));
        let (w, r) = (order[0], order[1]);
        if totals[w] == totals[r] {
            return Err(AuditError::Tie {
                a: self.options[w].clone(),
                b: self.options[r].clone(),
                votes: totals[w],
            });
        }
        Ok(Outcome {
            winner: w,
            losers: order[1..].to_vec(),
            totals,
            ballots,
        })
    }
}

/// Check a risk limit.
pub fn check_risk_limit(alpha: f64) -> Result<f64, AuditError> {
    if alpha > 0.0 && alpha < 1.0 {
        Ok(alpha)
    } else {
        Err(AuditError::RiskLimit(alpha))
    }
}
