//! Two sources of sheets for the same stations, compared station by
//! station: scanned images against a CSV, a witness's entries against the
//! official publication, one file against another.
//!
//! Sheets are paired by station id. The fields compared are the option
//! keys both sources carry and the other counts ([`EXTRA_NAMES`]) that
//! both carry; per-field differences are [`Counts::differences`] over
//! those fields. Only accepted sheets are compared: a quarantined sheet is
//! counted on its side, and its station is in neither source's list.
//!
//! ```
//! use tallyproof_core::{Config, NoProgress, read_bytes};
//! use tallyproof_core::crosscheck::compare;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let cfg = Config::from_toml(r#"
//!     [election]
//!     name = "Example"
//!     [station]
//!     id = ["station"]
//!     [[options]]
//!     key = "A"
//!     [[options]]
//!     key = "B"
//! "#)?;
//! let a = read_bytes(&cfg, "a.csv", b"station,A,B\n1,10,5\n2,7,9\n".to_vec(), None, &NoProgress)?;
//! let b = read_bytes(&cfg, "b.csv", b"station,A,B\n1,10,5\n2,7,8\n".to_vec(), None, &NoProgress)?;
//! let r = compare(("a.csv", &a), ("b.csv", &b));
//! assert_eq!((r.in_both, r.agree, r.disagree), (2, 1, 1));
//! assert_eq!(r.differences[0].field, "B");
//! assert_eq!((r.differences[0].a, r.differences[0].b), (9, 8));
//! # Ok(()) }
//! ```

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::model::Dataset;
use crate::sheet::{Counts, EXTRA_NAMES};

/// One field on which the two sources disagree for a station.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Difference {
    /// Station id.
    pub station: String,
    /// An option key or one of [`EXTRA_NAMES`] (`valid`, `null`, ...).
    pub field: String,
    /// Value in A.
    pub a: u64,
    /// Value in B.
    pub b: u64,
}

/// One source's name and how many of its sheets were accepted and
/// quarantined.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Side {
    /// The source's name (its file, as the caller names it).
    pub file: String,
    /// Sheets accepted by validation (the ones compared).
    pub sheets: usize,
    /// Sheets quarantined (not compared).
    pub quarantined: usize,
}

/// The comparison of two sources.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Report {
    /// Source A.
    pub a: Side,
    /// Source B.
    pub b: Side,
    /// Fields compared: the common option keys in A's order, then the
    /// common counts in the order of [`EXTRA_NAMES`].
    pub fields: Vec<String>,
    /// Stations in both sources.
    pub in_both: usize,
    /// Of those, stations equal on every field.
    pub agree: usize,
    /// Of those, stations with at least one difference.
    pub disagree: usize,
    /// Stations only in A, sorted.
    pub only_in_a: Vec<String>,
    /// Stations only in B, sorted.
    pub only_in_b: Vec<String>,
    /// Every difference, by station (sorted) then field.
    pub differences: Vec<Difference>,
}

/// Which fields two sources have in common, and where each finds them.
#[derive(Debug, Clone)]
struct Fields {
    /// Common option keys, in A's order.
    keys: Vec<String>,
    /// Per common key: its index in A's options and in B's.
    index: Vec<(usize, usize)>,
    /// Per extra count: whether both carry it.
    extras: [bool; 6],
}

impl Fields {
    fn new(
        a_options: &[String],
        a_extras: [bool; 6],
        b_options: &[String],
        b_extras: [bool; 6],
    ) -> Self {
        let mut keys = Vec::new();
        let mut index = Vec::new();
        for (i, k) in a_options.iter().enumerate() {
            if let Some(j) = b_options.iter().position(|o| o == k) {
                keys.push(k.clone());
                index.push((i, j));
            }
        }
        let mut extras = [false; 6];
        for (k, e) in extras.iter_mut().enumerate() {
            *e = a_extras[k] && b_extras[k];
        }
        Fields {
            keys,
            index,
            extras,
        }
    }

    fn names(&self) -> Vec<String> {
        let mut out = self.keys.clone();
        out.extend(
            EXTRA_NAMES
                .iter()
                .zip(self.extras)
                .filter(|(_, on)| *on)
                .map(|(n, _)| n.to_string()),
        );
        out
    }

    /// The compared fields of one side's counts: common options in A's
    /// order, extras only where both carry them.
    fn project(&self, c: &Counts, side_b: bool) -> Counts {
        let options = self
            .index
            .iter()
            .map(|&(i, j)| {
                let o = if side_b { j } else { i };
                c.options.get(o).copied().unwrap_or(0)
            })
            .collect();
        let mut e = c.extras();
        for (k, v) in e.iter_mut().enumerate() {
            if !self.extras[k] {
                *v = None;
            }
        }
        let mut out = Counts {
            options,
            ..Counts::default()
        };
        out.set_extras(e);
        out
    }

    fn differences(&self, station: &str, a: &Counts, b: &Counts) -> Vec<Difference> {
        let (pa, pb) = (self.project(a, false), self.project(b, true));
        pa.differences(&pb, &self.keys)
            .into_iter()
            .filter_map(|d| {
                Some(Difference {
                    station: station.to_string(),
                    field: d.field,
                    a: d.a?,
                    b: d.b?,
                })
            })
            .collect()
    }
}

/// The figures on which two sheets of one station differ, over the fields
/// both carry: the option keys common to `a_options` and `b_options`
/// (matched by key, in A's order) and the counts both sheets have. The
/// one-pair form of [`compare`], for a sheet received against one held.
pub fn compare_sheets(
    station: &str,
    a_options: &[String],
    a: &Counts,
    b_options: &[String],
    b: &Counts,
) -> Vec<Difference> {
    let present = |c: &Counts| c.extras().map(|v| v.is_some());
    Fields::new(a_options, present(a), b_options, present(b)).differences(station, a, b)
}

/// The counts of accepted sheet `i` of a dataset.
fn counts_at(ds: &Dataset, i: usize) -> Counts {
    let mut c = Counts {
        options: ds.sheets.votes.iter().map(|v| u64::from(v[i])).collect(),
        ..Counts::default()
    };
    c.set_extras(
        ds.sheets
            .extras()
            .map(|col| col.as_ref().map(|v| u64::from(v[i]))),
    );
    c
}

/// The first accepted sheet of each station (a reader merges identical
/// copies and quarantines conflicting ones, so there is one).
fn first_by_station(ds: &Dataset) -> HashMap<&str, usize> {
    let mut out = HashMap::with_capacity(ds.sheets.len());
    for i in 0..ds.sheets.len() {
        out.entry(ds.sheets.station.get(i)).or_insert(i);
    }
    out
}

/// Pairs the accepted sheets of two datasets by station and compares them
/// field by field. `a` and `b` are each a source's name (as it is to be
/// reported) and its dataset.
pub fn compare(a: (&str, &Dataset), b: (&str, &Dataset)) -> Report {
    let (a_name, a) = a;
    let (b_name, b) = b;
    let present = |ds: &Dataset| ds.sheets.extras().map(Option::is_some);
    let fields = Fields::new(&a.options, present(a), &b.options, present(b));
    let in_a: BTreeMap<&str, usize> = first_by_station(a).into_iter().collect();
    let in_b = first_by_station(b);
    let mut differences = Vec::new();
    let (mut in_both, mut agree) = (0, 0);
    let mut only_in_a = Vec::new();
    for (&station, &i) in &in_a {
        let Some(&j) = in_b.get(station) else {
            only_in_a.push(station.to_string());
            continue;
        };
        in_both += 1;
        let d = fields.differences(station, &counts_at(a, i), &counts_at(b, j));
        if d.is_empty() {
            agree += 1;
        }
        differences.extend(d);
    }
    let mut only_in_b: Vec<String> = in_b
        .keys()
        .filter(|s| !in_a.contains_key(*s))
        .map(|s| s.to_string())
        .collect();
    only_in_b.sort_unstable();
    let side = |file: &str, ds: &Dataset| Side {
        file: file.to_string(),
        sheets: ds.sheets.len(),
        quarantined: ds.quarantine.len(),
    };
    Report {
        a: side(a_name, a),
        b: side(b_name, b),
        fields: fields.names(),
        in_both,
        agree,
        disagree: in_both - agree,
        only_in_a,
        only_in_b,
        differences,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, NoProgress, read_bytes};

    fn config(columns: &str, options: &[&str]) -> Config {
        let mut t = format!("[election]\nname = \"t\"\n[station]\nid = [\"station\"]\n{columns}\n");
        for o in options {
            t.push_str(&format!("[[options]]\nkey = \"{o}\"\n"));
        }
        Config::from_toml(&t).unwrap()
    }

    fn read(cfg: &Config, name: &str, text: &str) -> Dataset {
        read_bytes(cfg, name, text.as_bytes().to_vec(), None, &NoProgress).unwrap()
    }

    const VN: &str = "[columns]\nvalid = \"valid\"\nnull = \"null\"";

    #[test]
    fn pairs_by_station_and_lists_every_difference() {
        let cfg = config(VN, &["A", "B"]);
        // Station 3 in A prints 9 valid for 4 + 4: E006, quarantined.
        let a = read(
            &cfg,
            "a.csv",
            "station,A,B,valid,null\n1,10,5,15,1\n2,7,9,16,0\n3,4,4,9,2\n5,1,0,1,0\n",
        );
        // Columns in another order; station 2 differs on A (7/8) and valid
        // (16/17); 4 only here; 5 only in A; 3 here but quarantined in A.
        let b = read(
            &cfg,
            "b.csv",
            "station,null,B,A,valid\n1,1,5,10,15\n2,0,9,8,17\n3,2,4,4,8\n4,0,1,1,2\n",
        );
        assert_eq!((a.sheets.len(), a.quarantine.len()), (3, 1));
        let r = compare(("a.csv", &a), ("b.csv", &b));
        assert_eq!(r.fields, ["A", "B", "valid", "null"]);
        assert_eq!(
            r.a,
            Side {
                file: "a.csv".into(),
                sheets: 3,
                quarantined: 1
            }
        );
        assert_eq!((r.b.sheets, r.b.quarantined), (4, 0));
        // A's stations {1, 2, 5}, B's {1, 2, 3, 4}: both {1, 2}.
        assert_eq!((r.in_both, r.agree, r.disagree), (2, 1, 1));
        assert_eq!(r.only_in_a, ["5"]);
        assert_eq!(r.only_in_b, ["3", "4"]);
        let d = |field: &str, a, b| Difference {
            station: "2".into(),
            field: field.into(),
            a,
            b,
        };
        assert_eq!(r.differences, [d("A", 7, 8), d("valid", 16, 17)]);
    }

    #[test]
    fn compares_only_the_fields_both_carry() {
        // A has options A, B and a null column; B has C, A and no null:
        // only A is compared (B's 99 null-less figures are not).
        let a = read(
            &config("[columns]\nnull = \"null\"", &["A", "B"]),
            "a.csv",
            "station,A,B,null\n1,3,4,0\n2,5,5,1\n",
        );
        let b = read(
            &config("", &["C", "A"]),
            "b.csv",
            "station,C,A\n1,99,3\n2,0,6\n",
        );
        let r = compare(("a", &a), ("b", &b));
        assert_eq!(r.fields, ["A"]);
        assert_eq!((r.in_both, r.agree, r.disagree), (2, 1, 1));
        assert_eq!(
            r.differences,
            [Difference {
                station: "2".into(),
                field: "A".into(),
                a: 5,
                b: 6
            }]
        );
    }

    #[test]
    fn one_pair_of_sheets() {
        let a = Counts {
            options: vec![10, 5, 2],
            valid: Some(17),
            null: Some(1),
            registered: Some(40),
            ..Counts::default()
        };
        // B names the options in another order, has no registered count,
        // and differs on X (5/6) and null (1/0).
        let b = Counts {
            options: vec![6, 10, 2],
            valid: Some(17),
            null: Some(0),
            ..Counts::default()
        };
        let keys = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let d = compare_sheets(
            "S",
            &keys(&["W", "X", "Y"]),
            &a,
            &keys(&["X", "W", "Y"]),
            &b,
        );
        let diff = |field: &str, a, b| Difference {
            station: "S".into(),
            field: field.into(),
            a,
            b,
        };
        assert_eq!(d, [diff("X", 5, 6), diff("null", 1, 0)]);
        assert!(compare_sheets("S", &keys(&["W"]), &a, &keys(&["W"]), &a).is_empty());
    }
}
