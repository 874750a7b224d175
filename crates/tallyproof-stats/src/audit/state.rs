//! The state of an audit: one serde value (the CLI keeps it as one JSON
//! file) holding everything needed to recompute every draw and every risk
//! from scratch: the reported results, the method, the risk limit, the
//! seed, the rounds and what was found. [`assess`] is a pure function of
//! it, so a second observer with the same file gets the same risk.
//!
//! Rounds: the risk is the ALPHA p-value over every audited draw so far in
//! draw order (Stark 2023 §2: a test supermartingale, valid at any
//! stopping time, so rounds may be added as the data ask); the next
//! round's size is Arlo's for each method — MACRO's Kaplan–Markov size from
//! the risk so far (Stark 2009 §3), BRAVO's size with a 0.9 chance of
//! stopping in that round if the reported shares are right (Lindeman,
//! Stark & Yates 2012 §3; Arlo `autoselect_sample_size`), and for ALPHA
//! SHANGRLA's `find_sample_size` on the draws so far followed by the
//! population the plan assumes.
//!
//! Draws (all reproducible from the seed's SHA-256, `h = hex(SHA-256(seed))`,
//! with Rivest's `uniform` of [`crate::sample`]):
//! - `alpha`: stations in consistent-sampler order, without replacement
//!   ([`crate::sample::draw_without_replacement`]);
//! - `macro`: draw j picks the station whose cumulative bound Σ u_p (stations
//!   in id order) first reaches U·uniform(h ‖ ":macro:" ‖ j): probability
//!   u_p/U, with replacement (PPEB, Aslam, Popa & Rivest 2008);
//! - `bravo`: draw j picks ballot ⌊B·uniform(h ‖ ":ballot:" ‖ j)⌋ of the B
//!   ballots numbered station by station in id order: uniform, with
//!   replacement.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::assertions::{Method, Observations};
use super::assorter::Assorter;
use super::bravo::{self, Pair};
use super::plan::Assumptions;
use super::{AuditError, Reported, check_risk_limit};
use crate::sample::{Seed, draw_without_replacement, uniform};

/// The state file's format tag.
pub const FORMAT: &str = "tallyproof-audit-1";

/// One drawn unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draw {
    /// 1-based draw number.
    pub number: u64,
    /// The ticket (consistent-sampler ticket or the uniform used), as text.
    pub ticket: String,
    /// The station drawn (or holding the ballot drawn).
    pub station: String,
    /// For ballot polling: the ballot's 1-based number within its station.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ballot: Option<u64>,
}

/// One round: the draws added to the sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round {
    /// 1-based round number.
    pub number: u32,
    /// Draws made in this round, in order.
    pub draws: Vec<Draw>,
}

/// Everything about one audit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditState {
    /// [`FORMAT`].
    pub format: String,
    /// The method.
    pub method: Method,
    /// The risk limit α.
    pub risk_limit: f64,
    /// The public seed, fixed after the reported results were published;
    /// given when the first round is drawn.
    pub seed: Option<String>,
    /// What next-round sizes assume.
    pub assumptions: Assumptions,
    /// Where the reported results came from (file names and SHA-256s).
    pub reported_from: Vec<String>,
    /// The reported results: the population.
    pub reported: Reported,
    /// The rounds drawn so far.
    pub rounds: Vec<Round>,
    /// Audited results of sheets, by station (votes in option order).
    pub audited: BTreeMap<String, Vec<u64>>,
    /// Ballot polling: the vote found on each drawn ballot, by draw number
    /// (an option key, or `None` for a ballot with no vote in the pair's
    /// options: blank, null, other).
    pub ballots: BTreeMap<u64, Option<String>>,
}

/// The decision after an assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// Every assertion's risk is at most α: the reported winner is
    /// confirmed at this risk limit; stop.
    Confirmed,
    /// Draws of the current rounds are not yet audited.
    AwaitingResults {
        /// How many.
        outstanding: u64,
    },
    /// Go on: draw this many more.
    NextRound {
        /// Further draws.
        size: u64,
    },
    /// Count every sheet (or ballot) by hand: the sample reached the
    /// population, or the size needed would.
    FullHandCount,
}

/// One assertion's risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssertionRisk {
    /// "A beats B".
    pub label: String,
    /// The p-value of "the assertion is false" after the audited draws.
    pub risk: f64,
    /// Whether it is at most α.
    pub confirmed: bool,
}

/// The result of [`assess`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// Draws so far.
    pub drawn: u64,
    /// Draws with an audited result, in order without a gap (the risk uses
    /// these).
    pub audited: u64,
    /// Draws whose audited result differs from the reported one (sheets)
    /// or ballots drawn (polling).
    pub discrepancies: u64,
    /// Per assertion.
    pub assertions: Vec<AssertionRisk>,
    /// What to do next.
    pub decision: Decision,
}

impl AuditState {
    /// A new audit with no rounds.
    pub fn new(
        method: Method,
        risk_limit: f64,
        seed: Option<&str>,
        assumptions: Assumptions,
        reported: Reported,
        reported_from: Vec<String>,
    ) -> Result<AuditState, AuditError> {
        check_risk_limit(risk_limit)?;
        reported.outcome()?;
        if let Some(s) = seed {
            Seed::new(s).map_err(|e| AuditError::State(e.to_string()))?;
        }
        Ok(AuditState {
            format: FORMAT.to_string(),
            method,
            risk_limit,
            seed: seed.map(str::to_string),
            assumptions,
            reported_from,
            reported,
            rounds: Vec::new(),
            audited: BTreeMap::new(),
            ballots: BTreeMap::new(),
        })
    }

    /// Draws so far, in order.
    pub fn draws(&self) -> impl Iterator<Item = &Draw> {
        self.rounds.iter().flat_map(|r| &r.draws)
    }

    /// The population: stations, or ballots for polling.
    pub fn population(&self) -> u64 {
        match self.method {
            Method::Bravo => self.reported.stations.iter().map(|s| s.ballots).sum(),
            _ => self.reported.stations.len() as u64,
        }
    }

    /// Draws `from+1 ..= to`, recomputed from the seed.
    pub fn compute_draws(&self, from: u64, to: u64) -> Result<Vec<Draw>, AuditError> {
        let text = self.seed.as_deref().ok_or_else(|| {
            AuditError::State("no seed yet: give one when drawing the first round".into())
        })?;
        let seed = Seed::new(text).map_err(|e| AuditError::State(e.to_string()))?;
        let rep = &self.reported;
        let pps = |tag: &str, weights: &[f64]| -> Vec<Draw> {
            let total: f64 = weights.iter().sum();
            let mut cum = Vec::with_capacity(weights.len());
            let mut acc = 0.0;
            for w in weights {
                acc += w;
                cum.push(acc);
            }
            (from + 1..=to)
                .map(|j| {
                    let t = uniform(format!("{}:{tag}:{j}", seed.hash_hex()).as_bytes());
                    let target = t.to_f64() * total;
                    let i = cum.partition_point(|&c| c <= target).min(weights.len() - 1);
                    let ballot =
                        (tag == "ballot").then(|| (target - (cum[i] - weights[i])) as u64 + 1);
                    Draw {
                        number: j,
                        ticket: t.trimmed(20).to_string(),
                        station: rep.stations[i].station.clone(),
                        ballot: ballot.map(|b| b.min(rep.stations[i].ballots)),
                    }
                })
                .collect()
        };
        Ok(match self.method {
            Method::Alpha => {
                let ids: Vec<&str> = rep.stations.iter().map(|s| s.station.as_str()).collect();
                let t = draw_without_replacement(&seed, &ids, to as usize)
                    .map_err(|e| AuditError::State(e.to_string()))?;
                t.into_iter()
                    .enumerate()
                    .skip(from as usize)
                    .map(|(k, t)| Draw {
                        number: k as u64 + 1,
                        ticket: t.number.trimmed(20).to_string(),
                        station: t.id,
                        ballot: None,
                    })
                    .collect()
            }
            Method::Macro => {
                let out = rep.outcome()?;
                pps("macro", &super::macro_::Macro::new(rep, &out).max_error)
            }
            Method::Bravo => {
                let w: Vec<f64> = rep.stations.iter().map(|s| s.ballots as f64).collect();
                pps("ballot", &w)
            }
        })
    }

    /// Add a round of `size` draws (fewer if the population runs out,
    /// without replacement).
    pub fn add_round(&mut self, size: u64) -> Result<&Round, AuditError> {
        let from = self.draws().count() as u64;
        let mut to = from + size;
        if self.method == Method::Alpha {
            to = to.min(self.population());
        }
        let draws = self.compute_draws(from, to)?;
        let number = self.rounds.len() as u32 + 1;
        self.rounds.push(Round { number, draws });
        self.rounds
            .last()
            .ok_or_else(|| AuditError::State("no round".into()))
    }

    /// Whether a station has been drawn.
    pub fn is_drawn(&self, station: &str) -> bool {
        self.draws().any(|d| d.station == station)
    }

    /// Record the audited votes of a drawn station (replacing an earlier
    /// record of it).
    pub fn record_sheet(&mut self, station: &str, votes: Vec<u64>) -> Result<(), AuditError> {
        if self.reported.index_of(station).is_none() {
            return Err(AuditError::UnknownStation(station.to_string()));
        }
        if !self.is_drawn(station) {
            return Err(AuditError::State(format!(
                "station {station} was not drawn"
            )));
        }
        if votes.len() != self.reported.options.len() {
            return Err(AuditError::OptionCount {
                station: station.to_string(),
                got: votes.len(),
                want: self.reported.options.len(),
            });
        }
        self.audited.insert(station.to_string(), votes);
        Ok(())
    }

    /// Record the vote found on drawn ballot `draw` (an option key, or
    /// `None` for blank, null or other).
    pub fn record_ballot(&mut self, draw: u64, vote: Option<&str>) -> Result<(), AuditError> {
        if !self.draws().any(|d| d.number == draw) {
            return Err(AuditError::State(format!(
                "ballot draw {draw} was not drawn"
            )));
        }
        if let Some(v) = vote
            && !self.reported.options.iter().any(|o| o == v)
        {
            return Err(AuditError::State(format!(
                "draw {draw}: option {v} is not in the contest"
            )));
        }
        self.ballots.insert(draw, vote.map(str::to_string));
        Ok(())
    }

    /// Check that every recorded draw is the one the seed gives.
    pub fn verify_draws(&self) -> Result<(), AuditError> {
        let mine: Vec<&Draw> = self.draws().collect();
        let again = self.compute_draws(0, mine.len() as u64)?;
        for (a, b) in mine.iter().zip(&again) {
            if *a != b {
                return Err(AuditError::State(format!(
                    "draw {} is station {} in the file but station {} from the seed",
                    a.number, a.station, b.station
                )));
            }
        }
        Ok(())
    }
}

/// The risk so far, per assertion, and what to do next; recomputed from
/// the state alone (draws checked against the seed first).
pub fn assess(state: &AuditState) -> Result<Assessment, AuditError> {
    state.verify_draws()?;
    let rep = &state.reported;
    let out = rep.outcome()?;
    let alpha = check_risk_limit(state.risk_limit)?;
    let draws: Vec<&Draw> = state.draws().collect();
    let mut discrepancies = 0;
    let obs = if state.method.draws_sheets() {
        let mut v = Vec::new();
        for d in &draws {
            let Some(a) = state.audited.get(&d.station) else {
                break;
            };
            let i = rep
                .index_of(&d.station)
                .ok_or_else(|| AuditError::UnknownStation(d.station.clone()))?;
            if a.len() != rep.options.len() {
                return Err(AuditError::OptionCount {
                    station: d.station.clone(),
                    got: a.len(),
                    want: rep.options.len(),
                });
            }
            discrepancies += u64::from(*a != rep.stations[i].votes);
            v.push((i, a.clone()));
        }
        Observations::Sheets(v)
    } else {
        let mut v = Vec::new();
        for d in &draws {
            let Some(b) = state.ballots.get(&d.number) else {
                break;
            };
            let vote = match b {
                Some(k) => Some(rep.options.iter().position(|o| o == k).ok_or_else(|| {
                    AuditError::State(format!(
                        "draw {}: option {k} is not in the contest",
                        d.number
                    ))
                })?),
                None => None,
            };
            v.push(vote);
        }
        Observations::Ballots(v)
    };
    let audited = match &obs {
        Observations::Sheets(v) => v.len(),
        Observations::Ballots(v) => v.len(),
    } as u64;
    let asserts = state.method.assertions(rep, &out);
    let mut risks = Vec::new();
    for a in &asserts {
        let r = a.risk(rep, &obs);
        risks.push(AssertionRisk {
            label: a.label.clone(),
            risk: r.p_value,
            confirmed: r.p_value <= alpha,
        });
    }
    let drawn = draws.len() as u64;
    let population = state.population();
    let decision = if risks.iter().all(|r| r.confirmed) && audited > 0 {
        Decision::Confirmed
    } else if audited < drawn {
        Decision::AwaitingResults {
            outstanding: drawn - audited,
        }
    } else if drawn >= population {
        Decision::FullHandCount
    } else {
        let size = next_size(state, &asserts, &obs, &risks, alpha);
        if drawn + size >= population && state.method != Method::Bravo {
            Decision::FullHandCount
        } else {
            Decision::NextRound { size: size.max(1) }
        }
    };
    Ok(Assessment {
        drawn,
        audited,
        discrepancies: if state.method.draws_sheets() {
            discrepancies
        } else {
            audited
        },
        assertions: risks,
        decision,
    })
}

/// Further draws expected to reach α, from what was seen so far.
fn next_size(
    state: &AuditState,
    asserts: &[super::Assertion],
    obs: &Observations,
    risks: &[AssertionRisk],
    alpha: f64,
) -> u64 {
    let rep = &state.reported;
    let drawn = state.draws().count() as u64;
    match (state.method, obs) {
        (Method::Macro, _) => {
            let Assorter::MacroTaint(m) = &asserts[0].assorter else {
                return 1;
            };
            m.sample_size(alpha, risks[0].risk, risks[0].confirmed, rep.stations.len())
        }
        (Method::Alpha, Observations::Sheets(_)) => {
            let mut need = 0u64;
            for (a, r) in asserts.iter().zip(risks) {
                let Assorter::SheetOverstatement(s) = &a.assorter else {
                    continue;
                };
                if r.confirmed {
                    continue;
                }
                // The values seen, then the rest of the population as the
                // plan assumes it (SHANGRLA `find_sample_size` with a prefix).
                let mut x = a.values(rep, obs);
                let big = s.of_overstatement(0.0);
                let small = s.of_overstatement(s.omega_for_votes(state.assumptions.error_votes));
                let k = if state.assumptions.error_rate > 0.0 {
                    ((1.0 / state.assumptions.error_rate) as usize).max(1)
                } else {
                    usize::MAX
                };
                let n = rep.stations.len();
                for j in x.len()..n {
                    x.push(
                        if k != usize::MAX && (j - drawn as usize).is_multiple_of(k) {
                            small
                        } else {
                            big
                        },
                    );
                }
                let hit = a.test.first_crossing(&x, alpha).unwrap_or(n as u64);
                need = need.max(hit.saturating_sub(drawn));
            }
            need
        }
        (Method::Bravo, Observations::Ballots(v)) => {
            let out = match rep.outcome() {
                Ok(o) => o,
                Err(_) => return 1,
            };
            let n = out.ballots as f64;
            let pairs: Vec<Pair> = out
                .losers
                .iter()
                .map(|&l| Pair {
                    p_w: out.totals[out.winner] as f64 / n,
                    p_l: out.totals[l] as f64 / n,
                    sample_w: v.iter().filter(|b| **b == Some(out.winner)).count() as u64,
                    sample_l: v.iter().filter(|b| **b == Some(l)).count() as u64,
                })
                .collect();
            bravo::sample_sizes(alpha, &pairs, out.ballots)
                .and_then(|o| {
                    o.iter()
                        .find(|o| o.label == "0.9")
                        .or_else(|| o.first())
                        .map(|o| o.size)
                })
                .unwrap_or(1)
        }
        _ => 1,
    }
}
