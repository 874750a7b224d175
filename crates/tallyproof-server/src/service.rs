//! The steps every way in shares (the JSON API, the HTML forms, the QR
//! decoder, the import command): validate through the core library,
//! store, and append what came to count to the signed log.

use tallyproof_core::sheet::{Sheet, Verdict, validate};

use crate::AppState;
use crate::http::error::ApiError;
use crate::store::{NewEntry, Receipt, StoreError};

/// Validate `sheet` ([`tallyproof_core::sheet::validate`]) and store it
/// as an entry from `witness` (none: an import). A rejected sheet is a
/// 422 whose fields are its rule codes; nothing is stored.
pub async fn submit_sheet(
    state: &AppState,
    sheet: Sheet,
    witness: Option<i64>,
    idempotency_key: Option<String>,
) -> Result<Receipt, ApiError> {
    if let Verdict::Rejected { reasons } = validate(&state.cfg, &sheet) {
        return Err(ApiError::from_reasons(&reasons));
    }
    let receipt = state
        .store
        .submit(NewEntry {
            sheet: sheet.clone(),
            witness,
            idempotency_key,
            at: crate::now(),
        })
        .await?;
    if let Some(t) = receipt.counted_transition {
        log_counted(state, &sheet, t).await?;
    }
    state.records.evict(&sheet.station);
    Ok(receipt)
}

/// A reviewer's decision, stored, and the chosen numbers logged.
pub async fn decide(
    state: &AppState,
    station: &str,
    reviewer: i64,
    entry: i64,
    note: &str,
) -> Result<(), ApiError> {
    let t = state
        .store
        .decide(station, reviewer, entry, note, crate::now())
        .await?;
    let rec = state
        .store
        .record(station)
        .await?
        .ok_or(ApiError::NotFound)?;
    if let Some(e) = rec.entries.iter().find(|e| e.id == entry) {
        let sheet = Sheet {
            station: station.to_string(),
            contest: None,
            counts: e.counts.clone(),
            origin: e.origin.clone(),
        };
        log_counted(state, &sheet, t).await?;
    }
    state.records.evict(station);
    Ok(())
}

/// Append a sheet that came to count, superseding the station's earlier
/// leaf, and note the leaf on its transition row.
async fn log_counted(state: &AppState, sheet: &Sheet, transition: i64) -> Result<(), ApiError> {
    log_many(state, vec![(sheet.clone(), transition)]).await
}

/// Append sheets that came to count in one batch and one checkpoint, and
/// note each leaf on its transition row.
pub async fn log_many(state: &AppState, sheets: Vec<(Sheet, i64)>) -> Result<(), ApiError> {
    if state.log.is_none() || sheets.is_empty() {
        return Ok(());
    }
    let me = state.clone();
    let transitions: Vec<i64> = sheets.iter().map(|(_, t)| *t).collect();
    let stations: Vec<String> = sheets.iter().map(|(s, _)| s.station.clone()).collect();
    let first = tokio::task::spawn_blocking(move || -> Result<u64, crate::log::LogError> {
        let Some(log) = me.log.as_ref() else {
            return Ok(0);
        };
        log.record_many(&me.cfg, sheets.iter().map(|(s, _)| s))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("log task: {e}")))?
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut leaves = Vec::with_capacity(transitions.len());
    for (k, t) in transitions.into_iter().enumerate() {
        let leaf =
            i64::try_from(first + k as u64).map_err(|e| ApiError::Internal(e.to_string()))?;
        leaves.push((t, leaf));
    }
    for chunk in leaves.chunks(crate::import::BATCH) {
        state
            .store
            .set_leaves(chunk)
            .await
            .map_err(|e: StoreError| ApiError::from(e))?;
    }
    state.records.evict_twice(&stations);
    Ok(())
}

/// Append to the log every sheet that came to count but whose append was
/// cut short (the process was killed between the store's commit and the
/// log's), in the order they came to count. Returns how many.
pub async fn repair_log(state: &AppState) -> Result<usize, ApiError> {
    if state.log.is_none() {
        return Ok(0);
    }
    let missing = state.store.unlogged().await?;
    let n = missing.len();
    let sheets = missing
        .into_iter()
        .map(|(t, station, e)| {
            (
                Sheet {
                    station,
                    contest: None,
                    counts: e.counts,
                    origin: e.origin,
                },
                t,
            )
        })
        .collect();
    log_many(state, sheets).await?;
    Ok(n)
}
