//! Methods as data: each [`Method`] turns the reported results into a list
//! of [`Assertion`]s, each an assorter with the ALPHA parameters that test
//! it, and each audit risk is one [`NonnegMean::alpha_mart`] call over the
//! assorter values of the units drawn, in draw order.

use serde::{Deserialize, Serialize};

use super::assorter::{Assorter, SheetOverstatement};
use super::macro_::Macro;
use super::nonneg_mean::{Estimator, NonnegMean, Population, Reading, Risk};
use super::{Outcome, Reported};

/// An audit method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// MACRO batch comparison, stations as batches, PPEB with replacement
    /// (Stark 2008, 2009; as Arlo computes it).
    Macro,
    /// SHANGRLA's overstatement assorter on sheets with the ALPHA
    /// supermartingale, uniform without replacement (Stark 2020, 2023).
    Alpha,
    /// BRAVO ballot polling, ballots drawn uniformly with replacement
    /// (Lindeman, Stark & Yates 2012).
    Bravo,
}

impl Method {
    /// Every method, in the order plans print them.
    pub const ALL: [Method; 3] = [Method::Macro, Method::Alpha, Method::Bravo];

    /// `macro`, `alpha` or `bravo`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Macro => "macro",
            Method::Alpha => "alpha",
            Method::Bravo => "bravo",
        }
    }

    /// The method named by [`Method::as_str`].
    pub fn parse(s: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Whether the units drawn are sheets (stations) rather than ballots.
    pub fn draws_sheets(self) -> bool {
        !matches!(self, Method::Bravo)
    }

    /// Whether a station or ballot can be drawn more than once.
    pub fn with_replacement(self) -> bool {
        !matches!(self, Method::Alpha)
    }

    /// The assertions that together imply the reported winner won.
    pub fn assertions(self, rep: &Reported, out: &Outcome) -> Vec<Assertion> {
        let name = |i: usize| rep.options[i].as_str();
        match self {
            Method::Macro => {
                let m = Macro::new(rep, out);
                let a = Assorter::MacroTaint(m);
                let u = a.upper_bound();
                vec![Assertion {
                    label: format!(
                        "{} beats every other option (MACRO, all pairs)",
                        name(out.winner)
                    ),
                    winner: out.winner,
                    loser: None,
                    test: NonnegMean {
                        u,
                        t: 0.5,
                        population: Population::WithReplacement,
                        estimator: Estimator::Fixed { eta: Some(u) },
                        reading: Reading::Last,
                    },
                    assorter: a,
                }]
            }
            Method::Alpha => out
                .losers
                .iter()
                .map(|&l| {
                    let s = SheetOverstatement::new(rep, out, l);
                    Assertion {
                        label: format!("{} beats {}", name(out.winner), name(l)),
                        winner: out.winner,
                        loser: Some(l),
                        test: NonnegMean::alpha(
                            s.upper_bound(),
                            Population::Finite(rep.stations.len() as u64),
                        ),
                        assorter: Assorter::SheetOverstatement(s),
                    }
                })
                .collect(),
            Method::Bravo => out
                .losers
                .iter()
                .map(|&l| {
                    let (w, lv) = (out.totals[out.winner] as f64, out.totals[l] as f64);
                    Assertion {
                        label: format!("{} beats {}", name(out.winner), name(l)),
                        winner: out.winner,
                        loser: Some(l),
                        test: NonnegMean {
                            u: 1.0,
                            t: 0.5,
                            population: Population::WithReplacement,
                            estimator: Estimator::Fixed {
                                eta: Some(w / (w + lv)),
                            },
                            reading: Reading::Last,
                        },
                        assorter: Assorter::Plurality {
                            winner: out.winner,
                            loser: l,
                        },
                    }
                })
                .collect(),
        }
    }
}

/// One assertion: "the mean of this assorter is more than 1/2", with the
/// test that measures the risk of accepting it.
#[derive(Debug, Clone, PartialEq)]
pub struct Assertion {
    /// For people: "A beats B".
    pub label: String,
    /// The reported winner.
    pub winner: usize,
    /// The loser, or `None` for an assertion over every pair (MACRO).
    pub loser: Option<usize>,
    /// The assorter.
    pub assorter: Assorter,
    /// The risk-measuring function.
    pub test: NonnegMean,
}

/// What was drawn and what the audit found.
#[derive(Debug, Clone, PartialEq)]
pub enum Observations {
    /// Sheets, in draw order: (index in the reported results, audited votes).
    Sheets(Vec<(usize, Vec<u64>)>),
    /// Ballots, in draw order: the option each is a vote for, if any.
    Ballots(Vec<Option<usize>>),
}

impl Assertion {
    /// The assorter values of the draws, in order (empty when the
    /// observations are of the other kind of unit).
    pub fn values(&self, rep: &Reported, obs: &Observations) -> Vec<f64> {
        match obs {
            Observations::Sheets(v) => v
                .iter()
                .filter_map(|(i, a)| self.assorter.sheet(*i, &rep.stations[*i], a))
                .collect(),
            Observations::Ballots(v) => v.iter().filter_map(|b| self.assorter.ballot(*b)).collect(),
        }
    }

    /// The risk: the p-value of "the assertion is false" after the draws.
    pub fn risk(&self, rep: &Reported, obs: &Observations) -> Risk {
        self.test.alpha_mart(&self.values(rep, obs))
    }
}
