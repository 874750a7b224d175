//! What the public pages show, computed by the core library from the
//! counted sheets: a [`Dataset`] of the counted numbers, tabulated
//! nationally and at every level, each announcement's feasibility and the
//! worst case of the stations not in hand. Rebuilt when the store's
//! version moves; shared read-only between requests.

use tallyproof_core::evidence::{Feasibility, Universe, WorstCase, feasibility, worst_case};
use tallyproof_core::model::{Provenance, StrColumn, Units};
use tallyproof_core::sheet::mapped_extras;
use tallyproof_core::{Announcement, Config, Dataset, Registry, Sheets, Tabulation, tabulate};

use crate::flow::SheetState;
use crate::store::{Changed, Counted};

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
    /// Where each station's row is in `dataset`.
    pub index: RowIndex,
}

/// A [`Dataset`] of counted sheets built one sheet at a time (as the store
/// streams them), or patched: a sheet's row overwritten with its numbers
/// now. Counts above `u32::MAX` never pass validation; they are clamped
/// here only so that a corrupt row cannot panic.
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

    /// How many sheets.
    pub fn len(&self) -> usize {
        self.sheets.station.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.sheets.station.is_empty()
    }

    /// Add one counted sheet.
    pub fn push(&mut self, c: &Counted) {
        let sheets = &mut self.sheets;
        sheets.station.push(&c.info.id);
        for g in sheets.geo.iter_mut() {
            g.push(0);
        }
        for col in sheets.votes.iter_mut() {
            col.push(0);
        }
        for col in extra_columns(sheets).into_iter().flatten() {
            col.push(0);
        }
        sheets.source.push(Provenance {
            file: 0,
            line: 0,
            offset: 0,
        });
        let row = self.len() - 1;
        self.set(row, c);
    }

    /// Overwrite the numbers and units of row `row` (whose station is
    /// `c`'s) with `c`'s.
    pub fn set(&mut self, row: usize, c: &Counted) {
        let small = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        let sheets = &mut self.sheets;
        for (l, u) in self.units.iter_mut().enumerate() {
            let (code, name) = c
                .info
                .units
                .get(l)
                .map_or(("", ""), |(a, b)| (a.as_str(), b.as_str()));
            let i = u.intern(code, name);
            // A unit's name once one of its stations gives it (station
            // names are filled in, never changed).
            if u.names[i as usize].is_empty() && !name.is_empty() {
                u.names[i as usize] = name.to_string();
            }
            sheets.geo[l][row] = i;
        }
        for (o, col) in sheets.votes.iter_mut().enumerate() {
            col[row] = small(c.counts.options.get(o).copied().unwrap_or(0));
        }
        let extras = c.counts.extras();
        for (k, col) in extra_columns(sheets).into_iter().enumerate() {
            if let Some(col) = col {
                col[row] = small(extras[k].unwrap_or(0));
            }
        }
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

/// The optional count columns in the order of [`tallyproof_core::sheet::Counts::extras`].
fn extra_columns(sheets: &mut Sheets) -> [Option<&mut Vec<u32>>; 6] {
    [
        sheets.registered.as_mut(),
        sheets.valid.as_mut(),
        sheets.null.as_mut(),
        sheets.blank.as_mut(),
        sheets.ballots.as_mut(),
        sheets.issued.as_mut(),
    ]
}

/// The data set of `prev` brought up to date by the sheets changed since
/// it was built ([`crate::store::Store::changed_since`]): a changed sheet's
/// row overwritten, a sheet that counts for the first time added. With the
/// index of its rows, none when so many were added since the last sort
/// that a new one is due. None when a sheet stopped counting (rare: a
/// whole rebuild then).
pub fn patched(prev: &Snapshot, changes: Vec<Changed>) -> Option<(Dataset, Option<RowIndex>)> {
    let mut index = prev.index.clone();
    let mut b = DatasetBuilder {
        sheets: prev.dataset.sheets.clone(),
        units: prev.dataset.units.clone(),
    };
    for ch in changes {
        let row = index.find(&b.sheets.station, &ch.station);
        match (row, ch.counted) {
            (Some(r), Some(c)) => b.set(r, &c),
            (None, Some(c)) => {
                b.push(&c);
                index.add(&ch.station, b.len() - 1);
            }
            (Some(_), None) => return None,
            (None, None) => {}
        }
    }
    let resort = index.added() > index.sorted.len() / 8 + 4096;
    let ds = Dataset {
        options: prev.dataset.options.clone(),
        levels: prev.dataset.levels.clone(),
        units: b.units,
        sheets: b.sheets,
        ..Dataset::default()
    };
    Some((ds, (!resort).then_some(index)))
}

/// Where each station's row is in a data set: the rows of the data set's
/// first build sorted by station id (searched by bisection, four bytes a
/// row), and the rows added since in a map.
#[derive(Debug, Clone, Default)]
pub struct RowIndex {
    sorted: Vec<u32>,
    added: std::collections::HashMap<String, u32>,
}

impl RowIndex {
    /// The index of every row of a data set whose station ids are `st`.
    pub fn of(st: &StrColumn) -> RowIndex {
        let mut sorted: Vec<u32> = (0..st.len() as u32).collect();
        sorted.sort_unstable_by(|&a, &b| st.get(a as usize).cmp(st.get(b as usize)));
        RowIndex {
            sorted,
            added: Default::default(),
        }
    }

    /// The row of `station` among the station ids `st` indexed.
    pub fn find(&self, st: &StrColumn, station: &str) -> Option<usize> {
        if let Ok(k) = self
            .sorted
            .binary_search_by(|&r| st.get(r as usize).cmp(station))
        {
            return Some(self.sorted[k] as usize);
        }
        self.added.get(station).map(|&r| r as usize)
    }

    /// Record that `station` was added at `row`.
    pub fn add(&mut self, station: &str, row: usize) {
        self.added.insert(station.to_string(), row as u32);
    }

    /// How many rows were added since the sort.
    pub fn added(&self) -> usize {
        self.added.len()
    }
}

/// Build the public view over the counted sheets, as a data set
/// ([`DatasetBuilder`]), with the index of its rows (made here when none
/// is given), at the store's version and time of last change
/// ([`crate::store::Store::version`]).
pub fn build(
    cfg: &Config,
    registry: Option<&Registry>,
    announcements: &[Announcement],
    ds: Dataset,
    index: Option<RowIndex>,
    states: Vec<(SheetState, i64)>,
    (version, last_change): (i64, Option<i64>),
) -> Snapshot {
    let index = index.unwrap_or_else(|| RowIndex::of(&ds.sheets.station));
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
        index,
    }
}
