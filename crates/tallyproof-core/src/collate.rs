//! The checks that need other sheets, one new sheet at a time: an identical
//! copy of a sheet already held (W103, merged), a copy that disagrees (E009,
//! a conflict a person resolves), a station the registry does not list
//! (E010). The file readers run the same checks over a whole set at once
//! (`read/duplicates.rs`, `read/registry.rs`); a service that receives
//! sheets one by one runs them here, with the same rule codes.
//!
//! ```
//! use tallyproof_core::collate::{Collation, Offer};
//! use tallyproof_core::sheet::{Counts, Origin, Sheet, SourceKind};
//! let mut held = Collation::new(vec!["A".into(), "B".into()]);
//! let mut c = Counts::new(2);
//! c.options = vec![10, 5];
//! let first = Sheet::new("S1", c.clone(), Origin::new(SourceKind::Import));
//! assert!(matches!(held.offer(&first, None), Offer::New));
//! assert!(matches!(held.offer(&first, None), Offer::Identical { .. }));
//! c.options[1] = 6;
//! let other = Sheet::new("S1", c, Origin::new(SourceKind::Witness));
//! match held.offer(&other, None) {
//!     Offer::Conflict { differences, .. } => assert_eq!(differences[0].field, "B"),
//!     _ => unreachable!("5 votes against 6"),
//! }
//! ```

use std::collections::HashMap;

use serde::Serialize;

use crate::registry::Registry;
use crate::rules::Rule;
use crate::sheet::{Counts, Difference, Severities, Sheet};

/// What a new sheet is, against the sheets already held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "offer", rename_all = "kebab-case")]
pub enum Offer {
    /// The first sheet of its station.
    New,
    /// The same numbers as sheet number `of` (in the order offered): W103,
    /// merged into it.
    Identical {
        /// The sheet it copies.
        of: usize,
    },
    /// Different numbers from the station's other sheet(s): E009. None of
    /// the station's sheets counts until a person decides.
    Conflict {
        /// The station's earlier sheets, in the order offered.
        with: Vec<usize>,
        /// How it differs from the first of them.
        differences: Vec<Difference>,
    },
    /// The registry given does not list the station: E010.
    UnknownStation,
}

impl Offer {
    /// The rule the outcome falls under, if any.
    pub fn rule(&self) -> Option<Rule> {
        match self {
            Offer::New => None,
            Offer::Identical { .. } => Some(Rule::DuplicateMerged),
            Offer::Conflict { .. } => Some(Rule::Conflict),
            Offer::UnknownStation => Some(Rule::UnknownStation),
        }
    }
}

/// The sheets held so far, by station: what a new sheet is checked
/// against.
#[derive(Debug, Clone, Default)]
pub struct Collation {
    options: Vec<String>,
    counts: Vec<Counts>,
    by_station: HashMap<String, Vec<usize>>,
}

impl Collation {
    /// Nothing held yet; `options` are the config's option keys, to name
    /// differences.
    pub fn new(options: Vec<String>) -> Collation {
        Collation {
            options,
            ..Collation::default()
        }
    }

    /// How many sheets were offered.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// Whether none was.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Check `sheet` against those held and hold it (unless its station is
    /// unknown to `registry`, when given and listing stations). The first
    /// sheet of a station is new; a later one with the same numbers as the
    /// first is identical; any other is a conflict (and so are all later
    /// ones, whatever their numbers, as the readers treat a group with any
    /// disagreement).
    pub fn offer(&mut self, sheet: &Sheet, registry: Option<&Registry>) -> Offer {
        if let Some(reg) = registry
            && reg.knows_stations()
            && !reg.has_station(&sheet.station)
        {
            return Offer::UnknownStation;
        }
        let idx = self.counts.len();
        self.counts.push(sheet.counts.clone());
        let group = self.by_station.entry(sheet.station.clone()).or_default();
        group.push(idx);
        let earlier = &group[..group.len() - 1];
        let Some(&first) = earlier.first() else {
            return Offer::New;
        };
        let all_same = earlier
            .iter()
            .all(|&j| self.counts[j] == self.counts[first]);
        let differences = self.counts[first].differences(&sheet.counts, &self.options);
        if all_same && differences.is_empty() {
            Offer::Identical { of: first }
        } else {
            Offer::Conflict {
                with: earlier.to_vec(),
                differences,
            }
        }
    }

    /// The reason, with the readers' wording, for an offer that falls
    /// under a rule.
    pub fn reason(
        &self,
        sev: &Severities,
        sheet: &Sheet,
        offer: &Offer,
    ) -> Option<crate::model::Reason> {
        let msg = match offer {
            Offer::New => return None,
            Offer::Identical { of } => format!("identical copy of sheet {of} merged into it"),
            Offer::Conflict { with, differences } => {
                let diffs: Vec<String> = differences
                    .iter()
                    .map(|d| format!("{} {} vs {}", d.field, show(d.a), show(d.b)))
                    .collect();
                format!(
                    "station {:?} has {} other sheet(s) with different numbers ({})",
                    sheet.station,
                    with.len(),
                    diffs.join(", ")
                )
            }
            Offer::UnknownStation => format!("station {:?} is not in the registry", sheet.station),
        };
        offer.rule().map(|r| sev.reason(r, msg))
    }
}

fn show(v: Option<u64>) -> String {
    v.map_or_else(|| "none".into(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sheet::{Origin, SourceKind};

    fn sheet(station: &str, a: u64, b: u64) -> Sheet {
        let mut c = Counts::new(2);
        c.options = vec![a, b];
        Sheet::new(station, c, Origin::new(SourceKind::Witness))
    }

    #[test]
    fn once_a_station_disagrees_every_later_copy_is_a_conflict() {
        let mut held = Collation::new(vec!["A".into(), "B".into()]);
        assert_eq!(held.offer(&sheet("S1", 1, 2), None), Offer::New);
        assert_eq!(held.offer(&sheet("S2", 1, 2), None), Offer::New);
        assert_eq!(
            held.offer(&sheet("S1", 1, 2), None),
            Offer::Identical { of: 0 }
        );
        let Offer::Conflict { with, differences } = held.offer(&sheet("S1", 1, 3), None) else {
            panic!("2 against 3 is a conflict");
        };
        assert_eq!(with, vec![0, 2]);
        assert_eq!(
            differences,
            vec![Difference {
                field: "B".into(),
                a: Some(2),
                b: Some(3)
            }]
        );
        // The first copy again: the station is in conflict already.
        assert!(matches!(
            held.offer(&sheet("S1", 1, 2), None),
            Offer::Conflict { .. }
        ));
        assert_eq!(held.len(), 5);
    }
}
