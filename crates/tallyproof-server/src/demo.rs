//! `tallyproof serve --demo`: a simulated election in the store, with a
//! few witness entries in every state, so that a newcomer sees the whole
//! site and can try the witness flow with the tokens it prints.

use std::collections::BTreeMap;

use tallyproof_core::sheet::{EXTRA_NAMES, Sheet, SourceKind, mapped_extras};
use tallyproof_core::{Dataset, Registry};

use crate::AppState;
use crate::http::error::ApiError;
use crate::import::{ImportReport, import};
use crate::store::{Role, StationInfo};

/// The tokens made for the demo, shown once.
#[derive(Debug, Clone)]
pub struct DemoTokens {
    /// Two witnesses' tokens (names Ana and Beto).
    pub witnesses: [String; 2],
    /// A reviewer's token (name Rita).
    pub reviewer: String,
    /// What the import did.
    pub import: ImportReport,
    /// Stations left pending a second entry, in review, and agreed by two witnesses.
    pub pending: Vec<String>,
    /// Stations in review.
    pub in_review: Vec<String>,
    /// Stations agreed by two witnesses.
    pub agreed: Vec<String>,
}

/// The registry's stations as the store keeps them (unit names unknown).
pub fn registry_stations(reg: &Registry) -> Vec<StationInfo> {
    reg.stations()
        .iter()
        .map(|s| StationInfo {
            id: s.id.clone(),
            units: s
                .units
                .iter()
                .map(|u| (u.clone().unwrap_or_default(), String::new()))
                .collect(),
            registered: s.registered,
        })
        .collect()
}

/// A sheet's numbers as the text fields a witness types.
pub fn fields_of(cfg: &tallyproof_core::Config, sheet: &Sheet) -> BTreeMap<String, String> {
    let mut f: BTreeMap<String, String> = cfg
        .options
        .iter()
        .zip(&sheet.counts.options)
        .map(|(o, v)| (o.key.clone(), v.to_string()))
        .collect();
    for (k, (m, v)) in mapped_extras(cfg)
        .iter()
        .zip(sheet.counts.extras())
        .enumerate()
    {
        if let (true, Some(v)) = (m, v) {
            f.insert(EXTRA_NAMES[k].to_string(), v.to_string());
        }
    }
    f
}

/// Import `ds`, add two witnesses and a reviewer, and enter `late` (true
/// sheets of stations without one in `ds`, at least 6 for every state to
/// appear): the first two wait for a second entry, the next two are
/// agreed by both witnesses, the next two disagree (moving 10 votes
/// between the first two options) and wait for review. One imported
/// sheet also receives a disagreeing witness entry.
pub async fn seed(
    state: &AppState,
    ds: &Dataset,
    registry: Option<&Registry>,
    late: &[Sheet],
) -> Result<DemoTokens, ApiError> {
    if let Some(r) = registry {
        state.store.put_stations(&registry_stations(r)).await?;
    }
    let report = import(state, ds, &|_| ()).await?;
    let mut ids = Vec::new();
    let mut tokens = Vec::new();
    for (name, role) in [
        ("Ana", Role::Witness),
        ("Beto", Role::Witness),
        ("Rita", Role::Reviewer),
    ] {
        let (t, h) = crate::auth::new_token();
        ids.push(
            state
                .store
                .add_witness(name, role, &[], &h, crate::now())
                .await?,
        );
        tokens.push(t);
    }
    let ana = state
        .store
        .witness_by_token(&crate::auth::hash(&tokens[0]))
        .await?
        .ok_or(ApiError::NotFound)?;
    let beto = state
        .store
        .witness_by_token(&crate::auth::hash(&tokens[1]))
        .await?
        .ok_or(ApiError::NotFound)?;
    let (mut pending, mut in_review, mut agreed) = (Vec::new(), Vec::new(), Vec::new());
    for (k, s) in late.iter().enumerate() {
        let f = fields_of(&state.cfg, s);
        crate::http::api::submit_typed(state, &ana, &s.station, &f, None).await?;
        match k % 6 {
            0 | 1 => pending.push(s.station.clone()),
            2 | 3 => {
                crate::http::api::submit_typed(state, &beto, &s.station, &f, None).await?;
                agreed.push(s.station.clone());
            }
            _ => {
                let mut g = s.clone();
                if g.counts.options.len() >= 2 && g.counts.options[0] >= 10 {
                    g.counts.options[0] -= 10;
                    g.counts.options[1] += 10;
                }
                crate::http::api::submit_typed(
                    state,
                    &beto,
                    &s.station,
                    &fields_of(&state.cfg, &g),
                    None,
                )
                .await?;
                in_review.push(s.station.clone());
            }
        }
    }
    if !ds.sheets.is_empty() {
        let mut g = crate::import::sheet_of(ds, 0);
        g.origin.kind = SourceKind::Witness;
        if g.counts.options.len() >= 2 && g.counts.options[0] >= 5 {
            g.counts.options[0] -= 5;
            g.counts.options[1] += 5;
        }
        crate::http::api::submit_typed(state, &beto, &g.station, &fields_of(&state.cfg, &g), None)
            .await?;
        in_review.push(g.station.clone());
    }
    Ok(DemoTokens {
        witnesses: [tokens[0].clone(), tokens[1].clone()],
        reviewer: tokens[2].clone(),
        import: report,
        pending,
        in_review,
        agreed,
    })
}
