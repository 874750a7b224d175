//! Forensic stations from sheets read by `tallyproof-core`.

use tallyproof_core::Dataset;

use super::{ForensicsError, Stations};

impl Stations {
    /// The accepted sheets of a dataset: turnout numerator = ballots issued
    /// where the config maps them, else ballots cast; valid votes as printed,
    /// else the sum of the options; invalid = null ballots (0 when the
    /// sheets carry none); groups = the units of the finest geographic level.
    pub fn from_dataset(ds: &Dataset) -> Result<Stations, ForensicsError> {
        let sh = &ds.sheets;
        let n = sh.len();
        let col = |c: &Option<Vec<u32>>| -> Vec<u64> {
            match c {
                Some(v) => v.iter().map(|&x| u64::from(x)).collect(),
                None => vec![0; n],
            }
        };
        let valid: Vec<u64> = match &sh.valid {
            Some(v) => v.iter().map(|&x| u64::from(x)).collect(),
            None => (0..n).map(|i| sh.options_total(i)).collect(),
        };
        let s = Stations::new(
            sh.station.iter().map(str::to_string).collect(),
            col(&sh.registered),
            (0..n).map(|i| sh.turnout_numerator(i)).collect(),
            valid,
            col(&sh.null),
            ds.options.clone(),
            sh.votes
                .iter()
                .map(|v| v.iter().map(|&x| u64::from(x)).collect())
                .collect(),
        )?;
        let region = match (sh.geo.last(), ds.units.last()) {
            (Some(g), Some(u)) => g.iter().map(|&k| u.codes[k as usize].clone()).collect(),
            _ => Vec::new(),
        };
        s.with_regions(region)
    }
}
