//! What the public pages show, computed by the core library from the
//! counted sheets: a [`Dataset`] of the counted numbers, tabulated
//! nationally and at every level, each announcement's feasibility and the
//! worst case of the stations not in hand. Rebuilt when the store's
//! version moves; shared read-only between requests.

use tallyproof_core::evidence::{Feasibility, Universe, WorstCase, feasibility, worst_case};
use tallyproof_core::model::{Provenance, Units};
use tallyproof_core::sheet::mapped_extras;
use tallyproof_core::{Announcement, Config, Dataset, Registry, Sheets, Tabulation, tabulate};

use crate::flow::SheetState;
use crate::store::Counted;

/// The public view at one version of the store.
#[derive(Debug)]
pub struct Snapshot {
    /// The store's version it was built from.
    pub version: i64,
    /// Unix seconds of the last change of a sheet.
    pub last_change: Option<i64>,
    /// The counted sheets as a data set.
    pub dataset: Dataset,
    /// National totals.
    pub national: Tabulation,
    /// Per level of the config.
    pub levels: Vec<Tabulation>,
    /// Each announcement's label and feasibility (or why it could not be checked).
    pub feasibility: Vec<(String, Result<Feasibility, String>)>,
    /// The worst case of the stations not in hand.
    pub worst: WorstCase,
    /// Sheets per state.
    pub states: Vec<(SheetState, i64)>,
}

/// A [`Dataset`] of counted sheets built one sheet at a time (as the store
/// streams them). Counts above `u32::MAX` never pass validation; they are
/// clamped here only so that a corrupt row cannot panic.
pub struct DatasetBuilder {
    sheets: Sheets,
    units: Vec<Units>,
}

impl DatasetBuilder {
    /// An empty data set of the config's shape.
    pub fn new(cfg: &Config) -> DatasetBuilder {
        let levels = cfg.levels.len();
        DatasetBuilder {
            sheets: Sheets::with_shape(levels, cfg.options.len(), mapped_extras(cfg)),
            units: (0..levels).map(|_| Units::default()).collect(),
        }
    }

    /// Add one counted sheet.
    pub fn push(&mut self, c: &Counted) {
        let small = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        let sheets = &mut self.sheets;
        sheets.station.push(&c.info.id);
        for (l, u) in self.units.iter_mut().enumerate() {
            let (code, name) = c
                .info
                .units
                .get(l)
                .map_or(("", ""), |(a, b)| (a.as_str(), b.as_str()));
            let i = u.intern(code, name);
            sheets.geo[l].push(i);
        }
        for (o, col) in sheets.votes.iter_mut().enumerate() {
            col.push(small(c.counts.options.get(o).copied().unwrap_or(0)));
        }
        let extras = c.counts.extras();
        let cols = [
            &mut sheets.registered,
            &mut sheets.valid,
            &mut sheets.null,
            &mut sheets.blank,
            &mut sheets.ballots,
            &mut sheets.issued,
        ];
        for (k, col) in cols.into_iter().enumerate() {
            if let Some(col) = col.as_mut() {
                col.push(small(extras[k].unwrap_or(0)));
            }
        }
        sheets.source.push(Provenance {
            file: 0,
            line: 0,
            offset: 0,
        });
    }

    /// The data set.
    pub fn finish(self, cfg: &Config) -> Dataset {
        Dataset {
            options: cfg.options.iter().map(|o| o.key.clone()).collect(),
            levels: cfg.levels.iter().map(|l| l.key.clone()).collect(),
            files: Vec::new(),
            units: self.units,
            sheets: self.sheets,
            ..Dataset::default()
        }
    }
}

/// Build the public view over the counted sheets, as a data set
/// ([`DatasetBuilder`]).
pub fn build(
    cfg: &Config,
    registry: Option<&Registry>,
    announcements: &[Announcement],
    ds: Dataset,
    states: Vec<(SheetState, i64)>,
    version: i64,
    last_change: Option<i64>,
) -> Snapshot {
    let national = tabulate(cfg, &ds, registry, None);
    let levels = (0..cfg.levels.len())
        .map(|l| tabulate(cfg, &ds, registry, Some(l)))
        .collect();
    let feasibility = announcements
        .iter()
        .map(|a| {
            (
                a.label.clone(),
                feasibility(cfg, &ds, registry, a).map_err(|e| e.to_string()),
            )
        })
        .collect();
    let uni = Universe::new(cfg, &ds, registry, announcements.first());
    let worst = worst_case(cfg, &ds, uni);
    Snapshot {
        version,
        last_change,
        dataset: ds,
        national,
        levels,
        feasibility,
        worst,
        states,
    }
}
