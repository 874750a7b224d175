//! Simulated audits, the check that the methods keep their promise: on
//! elections whose reported winner is wrong, an audit at risk limit α
//! confirms the reported winner in at most a fraction α of them (the
//! definition of a risk-limiting audit, Lindeman & Stark 2012, "A Gentle
//! Introduction to Risk-Limiting Audits" §2); and, on correct outcomes,
//! how many stations or ballots and rounds they take.
//!
//! The election: `stations` stations of 200–600 ballots, options A, B and
//! "other" (≈ 10%); the truth has B ahead of A by one vote (the hardest
//! wrong outcome to catch, a near tie); the reported results move votes
//! from B to A in randomly chosen stations until A leads by `margin` of
//! the ballots: at most `max_move` votes at a time, so that with a small
//! `max_move` (10) the overstatement is spread over most stations, and with
//! `u64::MAX` it is concentrated in the fewest stations, each moving all of
//! B's votes (the hardest case for a sheet-level comparison audit: a sample
//! that misses those few stations sees only exact sheets). The audit draws sequentially and may stop after any draw
//! (a stronger test than stopping only at the end of a round), up to the
//! population for sheet methods and `ballot_cap` ballots for BRAVO.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::assertions::{Method, Observations};
use super::macro_::Macro;
use super::plan::{Assumptions, plan};
use super::state::{AuditState, Decision, assess};
use super::{AuditError, Reported, StationResult};

/// A simulated election: reported results and the truth, station by station.
#[derive(Debug, Clone)]
pub struct Simulated {
    /// What was reported.
    pub reported: Reported,
    /// The true votes, in the same station order.
    pub truth: Vec<Vec<u64>>,
}

/// An election of `stations` stations whose reported result gives A a
/// lead of `margin` (a share of the ballots); if `wrong`, the truth has B
/// ahead by a vote, else the truth is the reported result. Spread errors
/// (at most 10 votes moved at a time): [`election_with`] with 10.
pub fn election(
    stations: usize,
    margin: f64,
    wrong: bool,
    seed: u64,
) -> Result<Simulated, AuditError> {
    election_with(stations, margin, wrong, 10, seed)
}

/// [`election`] with at most `max_move` votes moved from B to A at a time
/// (`u64::MAX`: all of a station's B votes, the fewest stations altered).
pub fn election_with(
    stations: usize,
    margin: f64,
    wrong: bool,
    max_move: u64,
    seed: u64,
) -> Result<Simulated, AuditError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut truth = Vec::with_capacity(stations);
    let mut ballots = Vec::with_capacity(stations);
    for _ in 0..stations {
        let b: u64 = rng.random_range(200..=600);
        let other = b / 10;
        let a = (b - other) / 2;
        truth.push(vec![a, b - other - a, other]);
        ballots.push(b);
    }
    let total: u64 = ballots.iter().sum();
    let mut lead: i64 = truth.iter().map(|v| v[0] as i64 - v[1] as i64).sum();
    let target = (margin * total as f64).round() as i64;
    if wrong {
        // Truth: B ahead by one vote (A votes moved to B at random stations).
        while lead > -1 {
            let i = rng.random_range(0..stations);
            if truth[i][0] > 0 {
                truth[i][0] -= 1;
                truth[i][1] += 1;
                lead -= 2;
            }
        }
    }
    // Reported: B votes moved to A at random stations (at most `max_move`
    // at a time) until A leads by the margin; for a correct outcome this is
    // the truth too.
    let mut reported = truth.clone();
    while lead < target {
        let i = rng.random_range(0..stations);
        let k = reported[i][1]
            .min(((target - lead) as u64).div_ceil(2))
            .min(max_move);
        reported[i][1] -= k;
        reported[i][0] += k;
        lead += 2 * k as i64;
    }
    if !wrong {
        truth = reported.clone();
    }
    let st: Vec<StationResult> = reported
        .iter()
        .zip(&ballots)
        .enumerate()
        .map(|(i, (v, &b))| StationResult {
            station: format!("S{i:06}"),
            votes: v.clone(),
            ballots: b,
        })
        .collect();
    let reported = Reported::new(vec!["A".into(), "B".into(), "other".into()], st)?;
    Ok(Simulated { reported, truth })
}

/// How often simulated audits of wrong outcomes confirmed them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WrongWinnerRow {
    /// The method.
    pub method: Method,
    /// Reported margin, share of ballots.
    pub margin: f64,
    /// Most votes moved from B to A at a time in the reported results
    /// (10: spread; `u64::MAX`: concentrated).
    pub max_move: u64,
    /// Audits run.
    pub audits: u64,
    /// Audits that confirmed the wrong winner.
    pub confirmed: u64,
    /// confirmed / audits.
    pub rate: f64,
}

/// Run `audits` sequential audits of one wrong-outcome election per audit
/// (a new election and a new sample each time), the reported results
/// moving at most `max_move` votes at a time ([`election_with`]).
#[allow(clippy::too_many_arguments)]
pub fn wrong_winner(
    method: Method,
    stations: usize,
    margin: f64,
    max_move: u64,
    alpha: f64,
    audits: u64,
    ballot_cap: u64,
    seed: u64,
) -> Result<WrongWinnerRow, AuditError> {
    let mut confirmed = 0;
    for k in 0..audits {
        let sim = election_with(
            stations,
            margin,
            true,
            max_move,
            seed ^ (k.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        )?;
        let rep = &sim.reported;
        let out = rep.outcome()?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(k).wrapping_mul(31));
        let obs = match method {
            Method::Alpha => {
                let mut order: Vec<usize> = (0..stations).collect();
                for i in (1..order.len()).rev() {
                    order.swap(i, rng.random_range(0..=i));
                }
                Observations::Sheets(
                    order
                        .into_iter()
                        .map(|i| (i, sim.truth[i].clone()))
                        .collect(),
                )
            }
            Method::Macro => {
                let m = Macro::new(rep, &out);
                let cum: Vec<f64> = m
                    .max_error
                    .iter()
                    .scan(0.0, |a, w| {
                        *a += w;
                        Some(*a)
                    })
                    .collect();
                Observations::Sheets(
                    (0..stations)
                        .map(|_| {
                            let t = rng.random::<f64>() * m.total;
                            let i = cum.partition_point(|&c| c <= t).min(stations - 1);
                            (i, sim.truth[i].clone())
                        })
                        .collect(),
                )
            }
            Method::Bravo => {
                // A ballot at random: a station by its ballots, then a vote by
                // the station's true counts.
                let b: Vec<f64> = rep.stations.iter().map(|s| s.ballots as f64).collect();
                let cum: Vec<f64> = b
                    .iter()
                    .scan(0.0, |a, w| {
                        *a += w;
                        Some(*a)
                    })
                    .collect();
                let total = cum[cum.len() - 1];
                Observations::Ballots(
                    (0..ballot_cap)
                        .map(|_| {
                            let t = rng.random::<f64>() * total;
                            let i = cum.partition_point(|&c| c <= t).min(stations - 1);
                            let v = &sim.truth[i];
                            let r = rng.random_range(0..rep.stations[i].ballots);
                            if r < v[0] {
                                Some(0)
                            } else if r < v[0] + v[1] {
                                Some(1)
                            } else {
                                Some(2)
                            }
                        })
                        .collect(),
                )
            }
        };
        let any_time = method.assertions(rep, &out).iter().all(|a| {
            let r = a.risk(rep, &obs);
            // Confirmed if the risk reached α at some draw; for the assertions
            // together, a conservative count: each assertion crossed somewhere.
            r.history.iter().any(|&p| p <= alpha)
        });
        confirmed += u64::from(any_time);
    }
    Ok(WrongWinnerRow {
        method,
        margin,
        max_move,
        audits,
        confirmed,
        rate: confirmed as f64 / audits as f64,
    })
}

/// Sample sizes and rounds of round-by-round audits of correct outcomes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrectRow {
    /// The method.
    pub method: Method,
    /// Reported (and true) margin.
    pub margin: f64,
    /// Share of sampled sheets whose recount differs (each moves 2 votes
    /// from A to B).
    pub error_rate: f64,
    /// Audits run.
    pub audits: u64,
    /// The first round's planned size.
    pub first_round: u64,
    /// Mean draws at the end.
    pub mean_draws: f64,
    /// Mean rounds.
    pub mean_rounds: f64,
    /// Audits that ended in a full hand count.
    pub full_counts: u64,
    /// Audits confirmed at the end of round 1, 2, … (index 0 is round 1).
    pub confirmed_in_round: Vec<u64>,
}

/// Round-by-round audits through [`AuditState`] and [`assess`], each with
/// its own seed; recounts differ from the reported sheet on `error_rate`
/// of the sampled sheets (2 votes moved from A to B each).
pub fn correct_outcome(
    method: Method,
    stations: usize,
    margin: f64,
    alpha: f64,
    error_rate: f64,
    audits: u64,
    seed: u64,
) -> Result<CorrectRow, AuditError> {
    let sim = election(stations, margin, false, seed)?;
    let assume = Assumptions {
        error_rate,
        error_votes: 4.0,
    };
    let first = plan(&sim.reported, method, alpha, assume)?.size;
    let (mut draws, mut rounds, mut full) = (0u64, 0u64, 0u64);
    let mut by_round: Vec<u64> = Vec::new();
    let opts = sim.reported.options.clone();
    for k in 0..audits {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ k);
        let mut st = AuditState::new(
            method,
            alpha,
            Some(&format!("sim-{seed}-{k}")),
            assume,
            sim.reported.clone(),
            vec![],
        )?;
        let mut size = first.max(1);
        loop {
            st.add_round(size)?;
            let new: Vec<_> = st
                .rounds
                .last()
                .map(|r| r.draws.clone())
                .unwrap_or_default();
            for d in new {
                let i = st.reported.index_of(&d.station).unwrap_or(0);
                if method.draws_sheets() {
                    let mut v = sim.truth[i].clone();
                    if !st.audited.contains_key(&d.station)
                        && rng.random::<f64>() < error_rate
                        && v[0] >= 2
                    {
                        v[0] -= 2;
                        v[1] += 2;
                    }
                    st.audited.entry(d.station.clone()).or_insert(v);
                } else {
                    let v = &sim.truth[i];
                    let r = d.ballot.unwrap_or(1) - 1;
                    let o = if r < v[0] {
                        0
                    } else if r < v[0] + v[1] {
                        1
                    } else {
                        2
                    };
                    st.ballots.insert(d.number, Some(opts[o].clone()));
                }
            }
            let a = assess(&st)?;
            match a.decision {
                Decision::NextRound { size: s } if st.rounds.len() < 20 => size = s,
                Decision::Confirmed => {
                    let r = st.rounds.len();
                    if by_round.len() < r {
                        by_round.resize(r, 0);
                    }
                    by_round[r - 1] += 1;
                    break;
                }
                _ => {
                    full += 1;
                    break;
                }
            }
        }
        draws += st.draws().count() as u64;
        rounds += st.rounds.len() as u64;
    }
    Ok(CorrectRow {
        method,
        margin,
        error_rate,
        audits,
        first_round: first,
        mean_draws: draws as f64 / audits as f64,
        mean_rounds: rounds as f64 / audits as f64,
        full_counts: full,
        confirmed_in_round: by_round,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_population_of_a_wrong_outcome_has_risk_one() {
        // Auditing every sheet of a wrong outcome: the sheet-level
        // overstatement assorter's mean is below 1/2, so the risk is 1.
        let sim = election(200, 0.05, true, 1).unwrap();
        let rep = &sim.reported;
        let out = rep.outcome().unwrap();
        let lead: i64 = sim.truth.iter().map(|v| v[0] as i64 - v[1] as i64).sum();
        assert!(lead < 0 && lead > -200, "lead {lead}");
        let obs = Observations::Sheets((0..200).map(|i| (i, sim.truth[i].clone())).collect());
        let a = &Method::Alpha.assertions(rep, &out)[0];
        let x = a.values(rep, &obs);
        let mean = x.iter().sum::<f64>() / x.len() as f64;
        assert!(mean < 0.5, "mean {mean}");
        let r = a.risk(rep, &obs);
        let min = r.history.iter().copied().fold(1.0, f64::min);
        assert!(min > 0.05, "risk fell to {min}; p-value {}", r.p_value);
    }
}
