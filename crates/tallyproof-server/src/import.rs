//! Sheets read from files (by `tallyproof_core::read_files`, validated
//! there, quarantine kept) into the store as imports: each counts on
//! arrival unless a witness entry already disagrees. The stations and
//! their geography go into the store first; the counted ones are then
//! appended to the log in one batch and one checkpoint.

use serde::Serialize;
use tallyproof_core::Dataset;
use tallyproof_core::sheet::{Sheet, SourceKind};

use crate::AppState;
use crate::flow::SheetState;
use crate::http::error::ApiError;
use crate::store::{NewEntry, StationInfo};

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    /// Stations new to the store.
    pub stations_added: u64,
    /// Sheets stored that now count.
    pub counted: u64,
    /// Sheets identical to an import already held (nothing stored).
    pub duplicates: u64,
    /// Sheets that disagree with entries held: now in review.
    pub in_review: u64,
    /// Rows the readers quarantined (not imported; see the quarantine file).
    pub quarantined: u64,
}

/// Station `i` of a data set with its units.
pub fn station_info(ds: &Dataset, i: usize) -> StationInfo {
    let units = ds
        .units
        .iter()
        .enumerate()
        .map(|(l, u)| {
            let k = ds.sheets.geo[l][i] as usize;
            (u.codes[k].clone(), u.names[k].clone())
        })
        .collect();
    StationInfo {
        id: ds.sheets.station.get(i).to_string(),
        units,
        registered: ds.sheets.registered.as_ref().map(|r| u64::from(r[i])),
    }
}

/// Sheet `i` of a data set, with its file's name, SHA-256 and line as
/// provenance ([`Dataset::sheet`]), as an import.
pub fn sheet_of(ds: &Dataset, i: usize) -> Sheet {
    let mut s = ds.sheet(i);
    s.origin.kind = SourceKind::Import;
    s
}

/// Sheets stored per transaction by [`import`]: one commit per batch,
/// not per sheet.
pub const BATCH: usize = 5_000;

/// Import every accepted sheet of `ds`, [`BATCH`] sheets per transaction
/// ([`crate::store::Store::submit_many`]); `progress` is told how many
/// sheets are done after each batch.
pub async fn import(
    state: &AppState,
    ds: &Dataset,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ImportReport, ApiError> {
    let mut rep = ImportReport {
        quarantined: ds.quarantine.len() as u64,
        ..ImportReport::default()
    };
    let infos: Vec<StationInfo> = (0..ds.sheets.len()).map(|i| station_info(ds, i)).collect();
    rep.stations_added = state.store.put_stations(&infos).await?;
    drop(infos);
    let mut to_log = Vec::new();
    let n = ds.sheets.len();
    let mut done = 0usize;
    while done < n {
        let end = (done + BATCH).min(n);
        let sheets: Vec<Sheet> = (done..end).map(|i| sheet_of(ds, i)).collect();
        let entries = sheets
            .iter()
            .map(|sheet| NewEntry {
                sheet: sheet.clone(),
                witness: None,
                idempotency_key: None,
                at: crate::now(),
            })
            .collect();
        let receipts = state.store.submit_many(entries).await?;
        for (sheet, r) in sheets.into_iter().zip(receipts) {
            let r = r?;
            if r.duplicate {
                rep.duplicates += 1;
            } else if r.sheet == SheetState::InReview {
                rep.in_review += 1;
            } else {
                rep.counted += 1;
            }
            if let Some(t) = r.counted_transition {
                to_log.push((sheet, t));
            }
        }
        done = end;
        progress(done as u64);
    }
    crate::service::log_many(state, to_log).await?;
    Ok(rep)
}
