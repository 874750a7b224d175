//! Totals and shares per option at any level of the geography, with
//! coverage: sheets in hand over stations known, registered voters covered
//! over registered voters known.
//!
//! Coverage needs a denominator from outside the sheets: a registry, or the
//! national figures in the config. Without one it is unknown (`None`), never
//! 100%.

use rayon::prelude::*;
use serde::Serialize;

use crate::config::Config;
use crate::model::Dataset;
use crate::registry::Registry;

/// The totals of one unit (or of the nation).
#[derive(Debug, Clone, Serialize)]
pub struct UnitTotals {
    /// The unit code (empty for the nation).
    pub code: String,
    /// The unit name, when known.
    pub name: String,
    /// Accepted sheets in the unit.
    pub sheets: u64,
    /// Stations listed in the input without a sheet.
    pub listed_without_sheet: u64,
    /// Stations known in the unit (registry or config), when known.
    pub stations_known: Option<u64>,
    /// sheets / stations_known.
    pub sheet_coverage: Option<f64>,
    /// Registered voters at the stations with a sheet, when the sheets carry them.
    pub registered_in_sheets: Option<u64>,
    /// Registered voters known in the unit (registry or config).
    pub registered_known: Option<u64>,
    /// registered_in_sheets / registered_known.
    pub voter_coverage: Option<f64>,
    /// Votes per option (config order).
    pub votes: Vec<u64>,
    /// Each option's share of the options' total (valid votes).
    pub shares: Vec<Option<f64>>,
    /// The sum of the options.
    pub valid: u64,
    /// Null ballots, when the sheets carry them.
    pub null: Option<u64>,
    /// Blank ballots, when the sheets carry them.
    pub blank: Option<u64>,
    /// Votes cast: ballots if printed, else valid + null + blank.
    pub cast: u64,
    /// Turnout numerator (ballots issued where printed, else cast) over
    /// registered_in_sheets.
    pub turnout: Option<f64>,
}

/// A tabulation at one level.
#[derive(Debug, Clone, Serialize)]
pub struct Tabulation {
    /// The level key; `None` for the national total.
    pub level: Option<String>,
    /// Option keys.
    pub options: Vec<String>,
    /// Where the station and voter denominators come from.
    pub denominator: String,
    /// One row per unit, ordered by code (the nation alone when national).
    pub units: Vec<UnitTotals>,
}

/// Per-unit sums over some sheets.
struct Sums {
    votes: Vec<Vec<u64>>,
    sheets: Vec<u64>,
    reg: Vec<u64>,
    null: Vec<u64>,
    blank: Vec<u64>,
    cast: Vec<u64>,
    issued: Vec<u64>,
}

impl Sums {
    fn new(nunits: usize, nopt: usize) -> Sums {
        let zeros = vec![0u64; nunits];
        Sums {
            votes: vec![vec![0u64; nopt]; nunits],
            sheets: zeros.clone(),
            reg: zeros.clone(),
            null: zeros.clone(),
            blank: zeros.clone(),
            cast: zeros.clone(),
            issued: zeros,
        }
    }

    fn add(mut self, other: Sums) -> Sums {
        let add = |a: &mut Vec<u64>, b: &[u64]| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        for (a, b) in self.votes.iter_mut().zip(&other.votes) {
            add(a, b);
        }
        add(&mut self.sheets, &other.sheets);
        add(&mut self.reg, &other.reg);
        add(&mut self.null, &other.null);
        add(&mut self.blank, &other.blank);
        add(&mut self.cast, &other.cast);
        add(&mut self.issued, &other.issued);
        self
    }
}

fn ratio(a: Option<u64>, b: Option<u64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0 => Some(a as f64 / b as f64),
        _ => None,
    }
}

/// Tabulate at `level` (index into the config's levels), or nationally when
/// `None`.
pub fn tabulate(
    cfg: &Config,
    ds: &Dataset,
    registry: Option<&Registry>,
    level: Option<usize>,
) -> Tabulation {
    let s = &ds.sheets;
    let nunits = level.map_or(1, |l| ds.units[l].len());
    let unit_of = |i: usize| level.map_or(0, |l| s.geo[l][i] as usize);
    let nopt = ds.options.len();
    // Sums per block of sheets in parallel, then added up: integer sums,
    // so the result does not depend on the split.
    let blocks: Vec<std::ops::Range<usize>> = (0..s.len())
        .step_by(1 << 16)
        .map(|a| a..(a + (1 << 16)).min(s.len()))
        .collect();
    let Sums {
        votes,
        sheets,
        reg,
        null,
        blank,
        cast,
        issued,
    } = blocks
        .par_iter()
        .map(|r| {
            let mut t = Sums::new(nunits, nopt);
            for i in r.clone() {
                let u = unit_of(i);
                t.sheets[u] += 1;
                for (o, col) in s.votes.iter().enumerate() {
                    t.votes[u][o] += u64::from(col[i]);
                }
                if let Some(r) = &s.registered {
                    t.reg[u] += u64::from(r[i]);
                }
                if let Some(n) = &s.null {
                    t.null[u] += u64::from(n[i]);
                }
                if let Some(b) = &s.blank {
                    t.blank[u] += u64::from(b[i]);
                }
                t.cast[u] += s.cast(i);
                t.issued[u] += s.turnout_numerator(i);
            }
            t
        })
        .reduce(|| Sums::new(nunits, nopt), Sums::add);
    let mut listed = vec![0u64; nunits];
    for m in &ds.missing {
        listed[level.map_or(0, |l| m.geo[l] as usize)] += 1;
    }
    let known_level = match (registry, level) {
        (Some(r), Some(l)) => r.level(l),
        _ => None,
    };
    let denominator = match (registry, level) {
        (Some(r), None) => format!("registry {}", r.path),
        (Some(r), Some(l)) if r.level(l).is_some() => format!("registry {}", r.path),
        (Some(_), Some(_)) => "unknown: the registry does not describe this level".into(),
        (None, None) if cfg.election.stations_total.is_some() => {
            "config [election] stations_total / registered_total".into()
        }
        _ => "unknown: no registry given".into(),
    };
    let mut units = Vec::with_capacity(nunits);
    for u in 0..nunits {
        let (code, name) = match level {
            Some(l) => (ds.units[l].codes[u].clone(), ds.units[l].names[u].clone()),
            None => (String::new(), String::new()),
        };
        let (stations_known, registered_known) = match (registry, level) {
            (Some(r), None) => (
                Some(r.national().stations),
                r.national().registered.or(cfg.election.registered_total),
            ),
            (Some(_), Some(_)) => match known_level.and_then(|m| m.get(&code)) {
                Some(k) => (Some(k.stations), k.registered),
                None if known_level.is_some() => (Some(0), Some(0)),
                None => (None, None),
            },
            (None, None) => (cfg.election.stations_total, cfg.election.registered_total),
            (None, Some(_)) => (None, None),
        };
        let registered_in_sheets = s.registered.as_ref().map(|_| reg[u]);
        let valid: u64 = votes[u].iter().sum();
        units.push(UnitTotals {
            code,
            name,
            sheets: sheets[u],
            listed_without_sheet: listed[u],
            stations_known,
            sheet_coverage: ratio(Some(sheets[u]), stations_known),
            registered_in_sheets,
            registered_known,
            voter_coverage: ratio(registered_in_sheets, registered_known),
            shares: votes[u]
                .iter()
                .map(|&v| ratio(Some(v), Some(valid)))
                .collect(),
            votes: votes[u].clone(),
            valid,
            null: s.null.as_ref().map(|_| null[u]),
            blank: s.blank.as_ref().map(|_| blank[u]),
            cast: cast[u],
            turnout: ratio(Some(issued[u]), registered_in_sheets),
        });
    }
    // Units the registry knows that have no sheet at all.
    if let (Some(map), Some(_)) = (known_level, level) {
        for (code, k) in map {
            if !units.iter().any(|u| &u.code == code) {
                units.push(UnitTotals {
                    code: code.clone(),
                    name: String::new(),
                    sheets: 0,
                    listed_without_sheet: 0,
                    stations_known: Some(k.stations),
                    sheet_coverage: ratio(Some(0), Some(k.stations)),
                    registered_in_sheets: s.registered.as_ref().map(|_| 0),
                    registered_known: k.registered,
                    voter_coverage: ratio(s.registered.as_ref().map(|_| 0), k.registered),
                    votes: vec![0; nopt],
                    shares: vec![None; nopt],
                    valid: 0,
                    null: s.null.as_ref().map(|_| 0),
                    blank: s.blank.as_ref().map(|_| 0),
                    cast: 0,
                    turnout: None,
                });
            }
        }
    }
    units.sort_by(|a, b| natural_cmp(&a.code, &b.code));
    Tabulation {
        level: level.map(|l| ds.levels[l].clone()),
        options: ds.options.clone(),
        denominator,
        units,
    }
}

/// Order codes numerically where they are numbers ("2" before "10").
///
/// Segments (split on `/`) that are numbers come before those that are not,
/// so that the order is total ("2" < "10" < "1a", never a cycle).
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let mut ai = a.split('/');
    let mut bi = b.split('/');
    loop {
        match (ai.next(), bi.next()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(x), Some(y)) => {
                let c = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(p), Ok(q)) => p.cmp(&q).then(x.cmp(y)),
                    (Ok(_), Err(_)) => std::cmp::Ordering::Less,
                    (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if c != std::cmp::Ordering::Equal {
                    return c;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::natural_cmp;

    #[test]
    fn natural_order_is_total() {
        // Found by fuzzing: "2" < "10" by number, "10" < "1a" and "1a" < "2"
        // by text made a cycle, and sorting units panicked.
        let codes = ["1a", "10", "2", "+5", "5", "b", "", "2/x", "2/10", "2/9"];
        let mut v: Vec<&str> = codes.to_vec();
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            v,
            ["2", "2/9", "2/10", "2/x", "+5", "5", "10", "", "1a", "b"]
        );
        for a in codes {
            for b in codes {
                for c in codes {
                    if natural_cmp(a, b).is_le() && natural_cmp(b, c).is_le() {
                        assert!(natural_cmp(a, c).is_le(), "{a} {b} {c}");
                    }
                }
                assert_eq!(natural_cmp(a, b), natural_cmp(b, a).reverse());
            }
        }
    }
}
