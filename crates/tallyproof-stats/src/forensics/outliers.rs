//! Outlier stations listed by id: full turnout, unanimity, identical sheets.

use std::collections::BTreeMap;

use super::{Finding, ForensicTest, ForensicsError, Input, OUTLIERS, Options, Stations};

/// Stations whose sheets are implausible on their face, listed by id.
///
/// - full turnout: ballots ≥ registered (every registered voter voted);
/// - unanimity: one option has every valid vote, with at least
///   `min_votes` valid votes;
/// - identical sheets: two or more stations with the same votes per option
///   and the same invalid count, with at least `min_identical` valid votes
///   (below that, chance coincidences are common).
///
/// This is a listing, not a test: it has no p-value and is left out of the
/// Benjamini–Hochberg correction. Each listed station is a lead for a person
/// to check against the sheet (DESIGN §4: these are validation warnings).
#[derive(Debug, Clone)]
pub struct Outliers {
    /// Smallest valid vote count for a unanimous station to be listed.
    pub min_votes: u64,
    /// Smallest valid vote count for identical sheets to be listed.
    pub min_identical: u64,
}

impl Default for Outliers {
    fn default() -> Self {
        Outliers {
            min_votes: 10,
            min_identical: 50,
        }
    }
}

/// The three lists of [`Outliers`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutlierLists {
    /// Stations with ballots ≥ registered.
    pub full_turnout: Vec<String>,
    /// Stations where one option has every valid vote.
    pub unanimous: Vec<String>,
    /// Groups of stations with identical sheets.
    pub identical: Vec<Vec<String>>,
}

/// Computes the lists of [`Outliers`].
pub fn outlier_lists(s: &Stations, min_votes: u64, min_identical: u64) -> OutlierLists {
    let mut out = OutlierLists::default();
    let mut sheets: BTreeMap<(Vec<u64>, u64), Vec<usize>> = BTreeMap::new();
    for i in 0..s.len() {
        if s.registered[i] > 0 && s.ballots[i] >= s.registered[i] {
            out.full_turnout.push(s.ids[i].clone());
        }
        let v = s.valid[i];
        if v >= min_votes && s.votes.iter().any(|c| c[i] == v) {
            out.unanimous.push(s.ids[i].clone());
        }
        if v >= min_identical {
            let key: Vec<u64> = s.votes.iter().map(|c| c[i]).collect();
            sheets.entry((key, s.invalid[i])).or_default().push(i);
        }
    }
    for group in sheets.into_values() {
        if group.len() > 1 {
            out.identical
                .push(group.into_iter().map(|i| s.ids[i].clone()).collect());
        }
    }
    out
}

impl ForensicTest for Outliers {
    fn code(&self) -> &'static str {
        OUTLIERS
    }

    fn run_with(
        &self,
        input: &Input<'_>,
        _options: &Options,
        _progress: &dyn super::Progress,
    ) -> Result<Finding, ForensicsError> {
        let s = input.stations;
        let l = outlier_lists(s, self.min_votes, self.min_identical);
        let mut ids: Vec<String> = Vec::new();
        ids.extend(l.full_turnout.iter().cloned());
        ids.extend(l.unanimous.iter().cloned());
        for g in &l.identical {
            ids.extend(g.iter().cloned());
        }
        let mut seen = std::collections::BTreeSet::new();
        ids.retain(|id| seen.insert(id.clone()));
        let mut f = Finding::new(OUTLIERS, "Stations with implausible sheets");
        f.statistic_name = "stations listed".into();
        f.statistic = ids.len() as f64;
        f.effect_name = "share of stations listed".into();
        f.effect = if s.is_empty() {
            0.0
        } else {
            ids.len() as f64 / s.len() as f64
        };
        f.detail("full turnout", l.full_turnout.len() as f64);
        f.detail("unanimous", l.unanimous.len() as f64);
        f.detail("identical-sheet groups", l.identical.len() as f64);
        f.detail(
            "stations in identical groups",
            l.identical.iter().map(Vec::len).sum::<usize>() as f64,
        );
        f.set_stations(ids);
        f.null = format!(
            "None: a listing. Full turnout = ballots ≥ registered; unanimity = one option \
             has all valid votes (≥ {} valid); identical = same votes per option and same \
             invalid count at different stations (≥ {} valid).",
            self.min_votes, self.min_identical
        );
        f.caveat = "Small stations (hospitals, ships, remote villages) can honestly be \
                    unanimous or at full turnout, and a data-entry copy can make two sheets \
                    identical: check each listed station against its sheet."
            .into();
        f.citation = "tallyproof DESIGN §4–5 (validation warnings); Myagkov, Ordeshook & \
                      Shakin 2009, ch. 3"
            .into();
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_by_hand() {
        // a: 100 of 100 registered voted -> full turnout.
        // b: 40 valid, all for x -> unanimous.
        // c and d: identical sheets (60, 40 | 2 invalid), 100 valid each.
        // e: like c but 3 invalid -> not identical.
        let s = Stations::new(
            ["a", "b", "c", "d", "e"].map(String::from).to_vec(),
            vec![100, 300, 500, 600, 500],
            vec![100, 40, 102, 102, 103],
            vec![100, 40, 100, 100, 100],
            vec![0, 0, 2, 2, 3],
            vec!["x".into(), "y".into()],
            vec![vec![50, 40, 60, 60, 60], vec![50, 0, 40, 40, 40]],
        );
        let s = match s {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        };
        let l = outlier_lists(&s, 10, 50);
        assert_eq!(l.full_turnout, vec!["a".to_string()]);
        assert_eq!(l.unanimous, vec!["b".to_string()]);
        assert_eq!(l.identical, vec![vec!["c".to_string(), "d".to_string()]]);
    }
}
