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

/// Sheets per block summed in parallel (small under test, for the tests to
/// cross block boundaries).
const BLOCK_ROWS: usize = if cfg!(test) { 7 } else { 1 << 16 };

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
    let nopt = ds.options.len();
    // Sums per block of sheets in parallel, then added up: integer sums,
    // so the result does not depend on the split.
    let blocks: Vec<std::ops::Range<usize>> = (0..s.len())
        .step_by(BLOCK_ROWS)
        .map(|a| a..(a + BLOCK_ROWS).min(s.len()))
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
            let geo = level.map(|l| &s.geo[l][r.clone()]);
            // Column by column: each a straight pass, summed per unit.
            let add = |to: &mut dyn FnMut(usize, u64), col: &[u32]| match geo {
                None => to(0, col.iter().map(|&v| u64::from(v)).sum()),
                Some(g) => {
                    for (&u, &v) in g.iter().zip(col) {
                        to(u as usize, u64::from(v));
                    }
                }
            };
            match geo {
                None => t.sheets[0] += r.len() as u64,
                Some(g) => g.iter().for_each(|&u| t.sheets[u as usize] += 1),
            }
            for (o, col) in s.votes.iter().enumerate() {
                add(&mut |u, v| t.votes[u][o] += v, &col[r.clone()]);
            }
            fn slice<'a>(c: &'a Option<Vec<u32>>, r: &std::ops::Range<usize>) -> Option<&'a [u32]> {
                c.as_ref().map(|c| &c[r.clone()])
            }
            let part = |c| slice(c, r);
            if let Some(c) = part(&s.registered) {
                add(&mut |u, v| t.reg[u] += v, c);
            }
            if let Some(c) = part(&s.null) {
                add(&mut |u, v| t.null[u] += v, c);
            }
            if let Some(c) = part(&s.blank) {
                add(&mut |u, v| t.blank[u] += v, c);
            }
            // Votes cast as `Sheets::cast` defines them: ballots where
            // printed, else valid (or the options' sum) + null + blank.
            let mut cast_cols: Vec<&[u32]> = Vec::new();
            if let Some(c) = part(&s.ballots) {
                cast_cols.push(c);
            } else {
                match part(&s.valid) {
                    Some(c) => cast_cols.push(c),
                    None => cast_cols.extend(s.votes.iter().map(|c| &c[r.clone()])),
                }
                cast_cols.extend(part(&s.null));
                cast_cols.extend(part(&s.blank));
            }
            for c in &cast_cols {
                add(&mut |u, v| t.cast[u] += v, c);
            }
            match part(&s.issued) {
                Some(c) => add(&mut |u, v| t.issued[u] += v, c),
                None => t.issued.clone_from(&t.cast),
            }
            t
        })
        .reduce(|| Sums::new(nunits, nopt), Sums::add);
    let mut listed = vec![0u64; nunits];
    let mut listed_reg = vec![Some(0u64); nunits];
    for m in &ds.missing {
        let u = level.map_or(0, |l| m.geo[l] as usize);
        listed[u] += 1;
        listed_reg[u] = listed_reg[u]
            .zip(m.registered)
            .map(|(a, b)| a + u64::from(b));
    }
    // With no other denominator, a file that lists stations without a
    // sheet (rows with every count empty) is taken as the list of every
    // station: its stations are the denominator, and it says so.
    let self_frame =
        registry.is_none() && cfg.election.stations_total.is_none() && !ds.missing.is_empty();
    let quarantined_only = if self_frame && level.is_none() {
        stations_only_quarantined(ds)
    } else {
        0
    };
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
        (None, _) if self_frame => format!(
            "the input itself, assumed to list every station: {} row(s) with every count empty are stations without a sheet{}",
            crate::thousands(ds.missing.len() as u64),
            if level.is_some() {
                "; quarantined sheets are not placed in a unit"
            } else {
                "; stations with only quarantined sheets count as without a sheet"
            }
        ),
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
            (None, _) if self_frame => (
                Some(sheets[u] + listed[u] + quarantined_only),
                s.registered
                    .as_ref()
                    .and(listed_reg[u])
                    .filter(|_| quarantined_only == 0)
                    .map(|l| reg[u] + l),
            ),
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
        // Looked up in a set: a scan of the units per registry unit is
        // quadratic (20,000 districts: 2e8 comparisons).
        let have: std::collections::HashSet<String> =
            units.iter().map(|u| u.code.clone()).collect();
        for (code, k) in map {
            if !have.contains(code) {
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

/// Stations that appear in the quarantine but neither among the accepted
/// sheets nor among the stations listed without a sheet.
fn stations_only_quarantined(ds: &Dataset) -> u64 {
    let mut seen: std::collections::HashSet<&str> = ds.sheets.station.iter().collect();
    seen.extend(ds.missing.iter().map(|m| m.station.as_str()));
    let mut only = std::collections::HashSet::new();
    for q in &ds.quarantine {
        if let Some(st) = q.station.as_deref()
            && !seen.contains(st)
        {
            only.insert(st);
        }
    }
    only.len() as u64
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
    use super::{natural_cmp, tabulate};
    use crate::config::Config;
    use crate::model::{Dataset, Provenance, Sheets, Units};
    use proptest::prelude::*;

    proptest! {
        /// Block-wise, column-wise sums equal the per-sheet definitions
        /// (`Sheets::cast`, `Sheets::turnout_numerator`) summed row by row,
        /// whichever count columns the sheets carry, nationally and per unit.
        #[test]
        fn sums_match_the_per_sheet_definitions(
            rows in proptest::collection::vec(
                (0u32..4, proptest::collection::vec(0u32..1000, 9)),
                0..300,
            ),
            present in proptest::array::uniform6(any::<bool>()),
        ) {
            let cfg = Config::from_toml(
                "[election]\nname = \"t\"\n[station]\nid = [\"s\"]\n[[levels]]\nkey = \"r\"\ncode = \"r\"\n[[options]]\nkey = \"A\"\n[[options]]\nkey = \"B\"\n[[options]]\nkey = \"C\"\n",
            )
            .unwrap();
            let mut sheets = Sheets::with_shape(1, 3, present);
            let mut units = Units::default();
            for u in 0..4 {
                units.intern(&u.to_string(), "");
            }
            for (k, (u, v)) in rows.iter().enumerate() {
                sheets.station.push(&k.to_string());
                sheets.geo[0].push(*u);
                for (col, x) in sheets.votes.iter_mut().zip(v) {
                    col.push(*x);
                }
                let extras = [
                    &mut sheets.registered,
                    &mut sheets.valid,
                    &mut sheets.null,
                    &mut sheets.blank,
                    &mut sheets.ballots,
                    &mut sheets.issued,
                ];
                for (c, x) in extras.into_iter().zip(&v[3..]) {
                    if let Some(c) = c {
                        c.push(*x);
                    }
                }
                sheets.source.push(Provenance { file: 0, line: k as u64 + 2, offset: 0 });
            }
            let ds = Dataset {
                options: vec!["A".into(), "B".into(), "C".into()],
                levels: vec!["r".into()],
                units: vec![units],
                sheets,
                ..Default::default()
            };
            for level in [None, Some(0)] {
                let t = tabulate(&cfg, &ds, None, level);
                for unit in &t.units {
                    let mine: Vec<usize> = (0..ds.sheets.len())
                        .filter(|&i| level.is_none() || ds.units[0].codes[ds.sheets.geo[0][i] as usize] == unit.code)
                        .collect();
                    let s = &ds.sheets;
                    prop_assert_eq!(unit.sheets, mine.len() as u64);
                    for o in 0..3 {
                        prop_assert_eq!(unit.votes[o], mine.iter().map(|&i| u64::from(s.votes[o][i])).sum::<u64>());
                    }
                    prop_assert_eq!(unit.cast, mine.iter().map(|&i| s.cast(i)).sum::<u64>());
                    let issued: u64 = mine.iter().map(|&i| s.turnout_numerator(i)).sum();
                    let reg = s.registered.as_ref().map(|r| mine.iter().map(|&i| u64::from(r[i])).sum::<u64>());
                    prop_assert_eq!(unit.registered_in_sheets, reg);
                    let turnout = reg.filter(|&r| r > 0).map(|r| issued as f64 / r as f64);
                    prop_assert_eq!(unit.turnout, turnout);
                    prop_assert_eq!(unit.null, s.null.as_ref().map(|c| mine.iter().map(|&i| u64::from(c[i])).sum::<u64>()));
                    prop_assert_eq!(unit.blank, s.blank.as_ref().map(|c| mine.iter().map(|&i| u64::from(c[i])).sum::<u64>()));
                }
            }
        }
    }

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

/// Sheets in hand against the stations known, nationally: what any
/// analysis of the sheets alone should say first, since it sees only the
/// stations with a sheet.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// Accepted sheets.
    pub sheets: u64,
    /// Stations known (registry, config, or the input's own rows without a
    /// sheet), when known.
    pub stations_known: Option<u64>,
    /// Stations known without an accepted sheet, when known.
    pub without_sheet: Option<u64>,
    /// Where the stations known come from (see [`Tabulation::denominator`]).
    pub denominator: String,
}

impl Coverage {
    /// One line for people: "91,946 of 94,214 stations have a sheet
    /// (2,268 without); stations known from …".
    pub fn line(&self) -> String {
        match (self.stations_known, self.without_sheet) {
            (Some(k), Some(w)) => format!(
                "{} of {} stations have a sheet ({} without); stations known from {}",
                crate::thousands(self.sheets),
                crate::thousands(k),
                crate::thousands(w),
                self.denominator
            ),
            _ => format!(
                "{} stations have a sheet; how many have none is unknown ({})",
                crate::thousands(self.sheets),
                self.denominator
            ),
        }
    }
}

/// The national [`Coverage`] of a dataset.
pub fn coverage(cfg: &Config, ds: &Dataset, registry: Option<&Registry>) -> Coverage {
    let t = tabulate(cfg, ds, registry, None);
    let u = &t.units[0];
    Coverage {
        sheets: u.sheets,
        stations_known: u.stations_known,
        without_sheet: u.stations_known.map(|k| k.saturating_sub(u.sheets)),
        denominator: t.denominator.clone(),
    }
}
