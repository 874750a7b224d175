//! Fraud injected into a simulated election: the ground truth for the power
//! of the forensic tests.
//!
//! Each [`Fraud`] changes the counts of a share of stations chosen at random
//! (seeded) and keeps every sheet internally consistent (options add up to
//! the valid votes, ballots = valid + null, ballots ≤ registered), so that the
//! result passes validation like a real falsified protocol would.
//! [`back_computed`] turns true totals into an announcement computed from
//! rounded percentages.
//!
//! ```
//! use tallyproof_stats::fraud::{inject, Fraud};
//! use tallyproof_stats::simulate::{simulate, SimParams};
//!
//! let mut sim = simulate(&SimParams { stations: 500, ..SimParams::default() })?;
//! let log = inject(&mut sim, &[Fraud::Stuffing { share: 0.05, fraction: (0.2, 0.8), beneficiary: None }], 7)?;
//! assert_eq!(log[0].stations.len(), 25);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::simulate::Simulation;

/// Errors of fraud injection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FraudError {
    /// A parameter is out of range.
    #[error("invalid fraud parameter: {0}")]
    Param(String),
}

/// Which rate is rounded to a whole percentage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Rounded {
    /// Turnout: ballots / registered.
    Turnout,
    /// The beneficiary's share of the ballots in the boxes.
    Share,
    /// Both.
    Both,
}

/// One kind of fraud, applied at a share of stations.
#[derive(Debug, Clone, Serialize)]
pub enum Fraud {
    /// Ballot stuffing: a fraction x ~ U(lo, hi) of the station's non-voters
    /// is added as valid ballots for the beneficiary.
    Stuffing {
        /// Share of stations affected (0 to 1).
        share: f64,
        /// Range (lo, hi) of the fraction of non-voters stuffed.
        fraction: (f64, f64),
        /// Option index that gains; `None` = the option with most votes.
        beneficiary: Option<usize>,
    },
    /// Vote transfer: a fraction x ~ U(lo, hi) of every other option's votes
    /// is moved to the beneficiary (ballots unchanged).
    Transfer {
        /// Share of stations affected.
        share: f64,
        /// Range of the fraction moved.
        fraction: (f64, f64),
        /// Option index that gains; `None` = the option with most votes.
        beneficiary: Option<usize>,
    },
    /// Protocols written to a whole-percent target: the rate is raised to
    /// the next whole percent k, by adding ballots for the beneficiary
    /// (turnout: ballots = round(registered·k/100)) or by moving other
    /// options' votes to it (share: beneficiary = round(in_boxes·k/100)).
    /// A station already at 100% or whose target exceeds 99% is left alone.
    WholePercent {
        /// Share of stations affected.
        share: f64,
        /// Which rate.
        rate: Rounded,
        /// Option index that gains; `None` = the option with most votes.
        beneficiary: Option<usize>,
    },
}

/// What one injection did.
#[derive(Debug, Clone, Serialize)]
pub struct Injected {
    /// The fraud applied.
    pub fraud: Fraud,
    /// Indices of the stations changed.
    pub stations: Vec<usize>,
    /// Votes gained by the beneficiary in all.
    pub votes_gained: u64,
}

fn check_share(share: f64) -> Result<(), FraudError> {
    if (0.0..=1.0).contains(&share) {
        Ok(())
    } else {
        Err(FraudError::Param(format!("share {share} not in [0, 1]")))
    }
}

fn check_fraction((lo, hi): (f64, f64)) -> Result<(), FraudError> {
    if 0.0 <= lo && lo <= hi && hi <= 1.0 {
        Ok(())
    } else {
        Err(FraudError::Param(format!(
            "fraction range ({lo}, {hi}) not within 0 ≤ lo ≤ hi ≤ 1"
        )))
    }
}

/// round(share·n) distinct stations with a sheet, chosen uniformly (partial
/// Fisher–Yates), returned in increasing order.
fn choose(sim: &Simulation, share: f64, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let mut pool: Vec<usize> = (0..sim.len()).filter(|&i| sim.has_sheet[i]).collect();
    let k = ((share * pool.len() as f64).round() as usize).min(pool.len());
    for a in 0..k {
        let b = rng.random_range(a..pool.len());
        pool.swap(a, b);
    }
    pool.truncate(k);
    pool.sort_unstable();
    pool
}

fn leader(sim: &Simulation) -> usize {
    let totals = sim.true_totals();
    let mut best = 0;
    for (j, &t) in totals.iter().enumerate() {
        if t > totals[best] {
            best = j;
        }
    }
    best
}

/// Moves up to `amount` votes from the other options to `to` at station `i`,
/// proportionally to their votes (largest remainders last). Returns the
/// votes moved.
fn move_votes(sim: &mut Simulation, i: usize, to: usize, amount: u32) -> u32 {
    let others: u32 = (0..sim.votes.len())
        .filter(|&j| j != to)
        .map(|j| sim.votes[j][i])
        .sum();
    let amount = amount.min(others);
    if amount == 0 {
        return 0;
    }
    let mut moved = 0u32;
    for j in 0..sim.votes.len() {
        if j == to {
            continue;
        }
        let take = (u64::from(sim.votes[j][i]) * u64::from(amount) / u64::from(others)) as u32;
        sim.votes[j][i] -= take;
        moved += take;
    }
    // The remainder from the largest other options, one by one.
    while moved < amount {
        let mut best = None;
        for j in 0..sim.votes.len() {
            if j != to
                && sim.votes[j][i] > 0
                && best.is_none_or(|b: usize| sim.votes[j][i] > sim.votes[b][i])
            {
                best = Some(j);
            }
        }
        match best {
            Some(b) => {
                sim.votes[b][i] -= 1;
                moved += 1;
            }
            None => break,
        }
    }
    sim.votes[to][i] += moved;
    moved
}

/// Adds `extra` valid ballots for `to` at station `i`.
fn stuff(sim: &mut Simulation, i: usize, to: usize, extra: u32) {
    sim.ballots[i] += extra;
    sim.votes[to][i] += extra;
}

/// The smallest whole percent k with k/100 ≥ a/b (k = ⌈100a/b⌉).
fn next_whole(a: u32, b: u32) -> u64 {
    (u64::from(a) * 100).div_ceil(u64::from(b))
}

/// round(b·k/100), halves up, in integers.
fn at_percent(b: u32, k: u64) -> u32 {
    ((2 * u64::from(b) * k + 100) / 200) as u32
}

/// Applies the frauds in order, each to its own random stations (seeded by
/// `seed`; injection `n` uses its own stream). Returns what each did.
pub fn inject(
    sim: &mut Simulation,
    frauds: &[Fraud],
    seed: u64,
) -> Result<Vec<Injected>, FraudError> {
    let mut log = Vec::with_capacity(frauds.len());
    for (n, fraud) in frauds.iter().enumerate() {
        let mut rng =
            ChaCha8Rng::seed_from_u64(seed ^ (0x5DEECE66D_u64.wrapping_mul(n as u64 + 1)));
        let k = sim.votes.len();
        let resolve = |b: Option<usize>, sim: &Simulation| -> Result<usize, FraudError> {
            let b = b.unwrap_or_else(|| leader(sim));
            if b < k {
                Ok(b)
            } else {
                Err(FraudError::Param(format!(
                    "beneficiary {b} but {k} options"
                )))
            }
        };
        let mut gained = 0u64;
        let stations = match fraud {
            Fraud::Stuffing {
                share,
                fraction,
                beneficiary,
            } => {
                check_share(*share)?;
                check_fraction(*fraction)?;
                let to = resolve(*beneficiary, sim)?;
                let st = choose(sim, *share, &mut rng);
                for &i in &st {
                    let x = rng.random_range(fraction.0..=fraction.1);
                    let nonvoters = sim.registered[i].saturating_sub(sim.ballots[i]);
                    let extra = (f64::from(nonvoters) * x).round() as u32;
                    stuff(sim, i, to, extra);
                    gained += u64::from(extra);
                }
                st
            }
            Fraud::Transfer {
                share,
                fraction,
                beneficiary,
            } => {
                check_share(*share)?;
                check_fraction(*fraction)?;
                let to = resolve(*beneficiary, sim)?;
                let st = choose(sim, *share, &mut rng);
                for &i in &st {
                    let x = rng.random_range(fraction.0..=fraction.1);
                    let others = sim.valid(i) - sim.votes[to][i];
                    let amount = (f64::from(others) * x).round() as u32;
                    gained += u64::from(move_votes(sim, i, to, amount));
                }
                st
            }
            Fraud::WholePercent {
                share,
                rate,
                beneficiary,
            } => {
                check_share(*share)?;
                let to = resolve(*beneficiary, sim)?;
                let st = choose(sim, *share, &mut rng);
                let mut changed = Vec::new();
                for &i in &st {
                    let mut did = false;
                    if matches!(rate, Rounded::Turnout | Rounded::Both) && sim.registered[i] > 0 {
                        let kk = next_whole(sim.ballots[i], sim.registered[i]);
                        if kk <= 99 {
                            let target = at_percent(sim.registered[i], kk).max(sim.ballots[i]);
                            let extra = target - sim.ballots[i];
                            stuff(sim, i, to, extra);
                            gained += u64::from(extra);
                            did = true;
                        }
                    }
                    if matches!(rate, Rounded::Share | Rounded::Both) && sim.ballots[i] > 0 {
                        let kk = next_whole(sim.votes[to][i], sim.ballots[i]);
                        if kk <= 99 {
                            let target = at_percent(sim.ballots[i], kk).min(sim.valid(i));
                            if target > sim.votes[to][i] {
                                let need = target - sim.votes[to][i];
                                gained += u64::from(move_votes(sim, i, to, need));
                            }
                            did = true;
                        }
                    }
                    if did {
                        changed.push(i);
                    }
                }
                changed
            }
        };
        log.push(Injected {
            fraud: fraud.clone(),
            stations,
            votes_gained: gained,
        });
    }
    Ok(log)
}

/// The fraud kinds a user names on the command line (`KIND=SHARE`).
pub const KINDS: &[&str] = &["stuffing", "whole-turnout", "whole-share", "transfer"];

/// Fraction of a station's non-voters added as ballots by `stuffing`, and
/// of the other options' votes moved by `transfer`, drawn per station from
/// U(lo, hi).
pub const STUFFING_FRACTION: (f64, f64) = (0.2, 0.8);
/// See [`STUFFING_FRACTION`].
pub const TRANSFER_FRACTION: (f64, f64) = (0.1, 0.3);

impl Fraud {
    /// Parses `KIND=SHARE`: `stuffing` ([`Fraud::Stuffing`] of
    /// [`STUFFING_FRACTION`] of the non-voters), `whole-turnout` and
    /// `whole-share` ([`Fraud::WholePercent`] of turnout or of the leader's
    /// share), `transfer` ([`Fraud::Transfer`] of [`TRANSFER_FRACTION`] of
    /// the other options' votes); SHARE is the share of stations with a
    /// sheet that are altered, in [0, 1]. The beneficiary is the leader.
    pub fn parse(spec: &str) -> Result<Fraud, FraudError> {
        let Some((kind, share)) = spec.split_once('=') else {
            return Err(FraudError::Param(format!(
                "fraud \"{spec}\" is not KIND=SHARE (kinds: {})",
                KINDS.join(", ")
            )));
        };
        let share: f64 = share.trim().parse().map_err(|_| {
            FraudError::Param(format!(
                "fraud \"{spec}\": share \"{share}\" is not a number"
            ))
        })?;
        check_share(share)?;
        let beneficiary = None;
        match kind.trim() {
            "stuffing" => Ok(Fraud::Stuffing {
                share,
                fraction: STUFFING_FRACTION,
                beneficiary,
            }),
            "whole-turnout" => Ok(Fraud::WholePercent {
                share,
                rate: Rounded::Turnout,
                beneficiary,
            }),
            "whole-share" => Ok(Fraud::WholePercent {
                share,
                rate: Rounded::Share,
                beneficiary,
            }),
            "transfer" => Ok(Fraud::Transfer {
                share,
                fraction: TRANSFER_FRACTION,
                beneficiary,
            }),
            other => Err(FraudError::Param(format!(
                "unknown fraud kind \"{other}\" (kinds: {})",
                KINDS.join(", ")
            ))),
        }
    }

    /// The kind's command-line name.
    pub fn kind(&self) -> &'static str {
        match self {
            Fraud::Stuffing { .. } => "stuffing",
            Fraud::Transfer { .. } => "transfer",
            Fraud::WholePercent {
                rate: Rounded::Turnout,
                ..
            } => "whole-turnout",
            Fraud::WholePercent {
                rate: Rounded::Share,
                ..
            } => "whole-share",
            Fraud::WholePercent {
                rate: Rounded::Both,
                ..
            } => "whole-both",
        }
    }
}

/// How one station's sheet was altered: its counts before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alteration {
    /// Station index in the simulation.
    pub index: usize,
    /// Station id as written in the sheets.
    pub station: String,
    /// Indices (into the injections) of the frauds that changed it.
    pub frauds: Vec<usize>,
    /// Ballots cast before and after.
    pub ballots: (u32, u32),
    /// Per option: votes before and after.
    pub votes: Vec<(u32, u32)>,
}

/// Every station whose counts differ between `before` and `after` (the
/// same election before and after [`inject`]), with the injections of
/// `log` that chose it, in station order.
pub fn alterations(before: &Simulation, after: &Simulation, log: &[Injected]) -> Vec<Alteration> {
    let mut out = Vec::new();
    for i in 0..before.len().min(after.len()) {
        let same = before.ballots[i] == after.ballots[i]
            && before
                .votes
                .iter()
                .zip(&after.votes)
                .all(|(a, b)| a[i] == b[i]);
        if same {
            continue;
        }
        out.push(Alteration {
            index: i,
            station: after.station_id(i),
            frauds: log
                .iter()
                .enumerate()
                .filter(|(_, l)| l.stations.binary_search(&i).is_ok())
                .map(|(n, _)| n)
                .collect(),
            ballots: (before.ballots[i], after.ballots[i]),
            votes: before
                .votes
                .iter()
                .zip(&after.votes)
                .map(|(a, b)| (a[i], b[i]))
                .collect(),
        });
    }
    out
}

/// An announcement back-computed from percentages: each total c_i becomes
/// round(p_i·T) with p_i = round(d·c_i/T)/d the share rounded to a grid of
/// step 1/d (d = 1000 for one-decimal percents) and T = Σ c_i. This is how
/// totals look when an authority publishes percentages first and derives
/// the counts from them (DESIGN §5).
pub fn back_computed(totals: &[u64], d: u64) -> Vec<u64> {
    let t: u128 = totals.iter().map(|&c| u128::from(c)).sum();
    if t == 0 || d == 0 {
        return totals.to_vec();
    }
    let d = u128::from(d);
    totals
        .iter()
        .map(|&c| {
            let j = (2 * u128::from(c) * d + t) / (2 * t);
            ((2 * j * t + d) / (2 * d)) as u64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forensics::announcement::evaluate_grid;
    use crate::simulate::{SimParams, simulate};

    fn sim(n: usize) -> Simulation {
        match simulate(&SimParams {
            stations: n,
            options: 4,
            seed: 11,
            missing_share: 0.0,
        }) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    fn consistent(s: &Simulation) {
        for i in 0..s.len() {
            let sum: u32 = s.votes.iter().map(|v| v[i]).sum();
            assert_eq!(sum, s.valid(i), "station {i}");
            assert!(s.ballots[i] <= s.registered[i], "station {i}");
        }
    }

    #[test]
    fn stuffing_adds_to_leader_only() {
        let mut s = sim(400);
        let before = s.true_totals();
        let lead = leader(&s);
        let log = match inject(
            &mut s,
            &[Fraud::Stuffing {
                share: 0.05,
                fraction: (0.5, 0.5),
                beneficiary: None,
            }],
            3,
        ) {
            Ok(l) => l,
            Err(e) => panic!("{e}"),
        };
        // 5% of 400 = 20 stations.
        assert_eq!(log[0].stations.len(), 20);
        let after = s.true_totals();
        assert_eq!(after[lead] - before[lead], log[0].votes_gained);
        for j in 0..after.len() {
            if j != lead {
                assert_eq!(after[j], before[j]);
            }
        }
        consistent(&s);
    }

    #[test]
    fn transfer_keeps_ballots() {
        let mut s = sim(300);
        let ballots = s.ballots.clone();
        let before: u64 = s.true_totals().iter().sum();
        if let Err(e) = inject(
            &mut s,
            &[Fraud::Transfer {
                share: 0.1,
                fraction: (0.2, 0.4),
                beneficiary: Some(1),
            }],
            4,
        ) {
            panic!("{e}");
        }
        assert_eq!(s.ballots, ballots);
        assert_eq!(s.true_totals().iter().sum::<u64>(), before);
        consistent(&s);
    }

    #[test]
    fn whole_percent_turnout() {
        use crate::forensics::is_whole_percent;
        let mut s = sim(500);
        let log = match inject(
            &mut s,
            &[Fraud::WholePercent {
                share: 1.0,
                rate: Rounded::Turnout,
                beneficiary: None,
            }],
            5,
        ) {
            Ok(l) => l,
            Err(e) => panic!("{e}"),
        };
        // Registered ≥ 1000 guarantees |round(r·k/100) − r·k/100| ≤ 0.5, i.e.
        // ≤ 0.05 pp: every changed station of that size is whole.
        for &i in &log[0].stations {
            if s.registered[i] >= 1000 {
                assert!(is_whole_percent(
                    u64::from(s.ballots[i]),
                    u64::from(s.registered[i])
                ));
            }
        }
        assert!(log[0].stations.len() > 400);
        consistent(&s);
    }

    #[test]
    fn parses_kind_and_share() {
        let f = Fraud::parse("stuffing=0.05").unwrap();
        assert!(
            matches!(f, Fraud::Stuffing { share, fraction, .. } if share == 0.05 && fraction == STUFFING_FRACTION)
        );
        assert_eq!(f.kind(), "stuffing");
        for k in KINDS {
            assert_eq!(Fraud::parse(&format!("{k}=0.01")).unwrap().kind(), *k);
        }
        assert!(Fraud::parse("stuffing").is_err());
        assert!(Fraud::parse("stuffing=1.5").is_err());
        assert!(Fraud::parse("stuffing=x").is_err());
        assert!(Fraud::parse("burning=0.1").is_err());
    }

    #[test]
    fn alterations_are_the_injected_stations() {
        let before = sim(600);
        let mut after = before.clone();
        let frauds = [
            Fraud::parse("stuffing=0.05").unwrap(),
            Fraud::parse("transfer=0.05").unwrap(),
        ];
        let log = inject(&mut after, &frauds, 9).unwrap();
        let alt = alterations(&before, &after, &log);
        // Every altered station was chosen by some injection, and every
        // chosen station that changed is listed once.
        let mut chosen: Vec<usize> = log.iter().flat_map(|l| l.stations.clone()).collect();
        chosen.sort_unstable();
        chosen.dedup();
        assert!(alt.iter().all(|a| !a.frauds.is_empty()));
        assert!(alt.iter().all(|a| chosen.binary_search(&a.index).is_ok()));
        // Stuffing at 5% of 600 = 30 stations, each with non-voters and a
        // fraction of at least 0.2 of them: all change.
        let stuffed = alt.iter().filter(|a| a.frauds.contains(&0)).count();
        assert_eq!(stuffed, 30);
        for a in &alt {
            let gained: i64 = a
                .votes
                .iter()
                .map(|(b, c)| i64::from(*c) - i64::from(*b))
                .sum();
            assert_eq!(gained, i64::from(a.ballots.1) - i64::from(a.ballots.0));
        }
    }

    #[test]
    fn back_computed_totals_hit_the_grid() {
        // 600,123 / 399,877 of T = 1,000,000: one-decimal shares 60.0% and 40.0%
        // -> 600,000 and 400,000.
        assert_eq!(
            back_computed(&[600_123, 399_877], 1000),
            vec![600_000, 400_000]
        );
        let a = back_computed(&[5_150_000, 4_446_000, 462_774], 1000);
        let g = evaluate_grid(&a, 1000);
        assert!(g.hits.iter().all(Option::is_some));
    }
}
