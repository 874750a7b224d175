//! The public site as static files, for any web server or CDN (what serves
//! the public when a million people look at once): the dashboard and
//! every unit's page as HTML, the totals and every station as JSON, and
//! the signed log's tiles and checkpoint (`tallyproof_ledger::Log::export`).
//!
//! Layout under the output folder:
//! - `index.html`, `units/<level>/<code>/index.html`, `static/style.css`;
//! - `api/v1/totals.json` and `api/v1/totals/<level>.json`;
//! - `api/v1/stations/<prefix>.json`: the stations whose id starts with
//!   `<prefix>`, as `GET /api/v1/stations/{id}` gives them, keyed by id;
//!   the prefix length is the shortest that keeps every file at most
//!   [`BUNDLE_MAX`] stations, and is written in `api/v1/stations/index.json`;
//! - the log's `checkpoint`, `tile/…` and `station/…` (the ledger's layout).
//!
//! Every name is built from codes escaped to `[A-Za-z0-9._-]` and `%XX`:
//! nothing from the data becomes a path of its own choosing.

use std::collections::BTreeMap;
use std::path::Path;

use axum::body::to_bytes;
use axum::extract::{Path as UrlPath, Query, State};
use axum::response::IntoResponse;
use serde::Serialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::MaybeWitness;
use crate::http::error::ApiError;
use crate::http::{api, pages};

/// Stations per JSON bundle at most.
pub const BUNDLE_MAX: usize = 1_000;

/// What an export wrote.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SiteReport {
    /// HTML pages.
    pub pages: u64,
    /// JSON files of totals and station bundles.
    pub json: u64,
    /// Stations in the bundles.
    pub stations: u64,
    /// The length of the id prefix that names a bundle.
    pub prefix_len: usize,
    /// The log's tree size, when a log is kept.
    pub log_size: Option<u64>,
}

/// `code` as one safe path component.
pub fn component(code: &str) -> String {
    let mut s = String::new();
    for (i, b) in code.bytes().enumerate() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || (b == b'.' && i > 0) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    if s.is_empty() { "%00".into() } else { s }
}

fn write(out: &Path, rel: &str, bytes: &[u8]) -> Result<(), ApiError> {
    let p = out.join(rel);
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d)
            .map_err(|e| ApiError::Internal(format!("{}: {e}", d.display())))?;
    }
    std::fs::write(&p, bytes).map_err(|e| ApiError::Internal(format!("{}: {e}", p.display())))
}

async fn body(r: axum::response::Response) -> Result<Vec<u8>, ApiError> {
    to_bytes(r.into_body(), usize::MAX)
        .await
        .map(|b| b.to_vec())
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// The shortest prefix length that keeps every bundle at most `max` ids.
pub fn prefix_len(ids: &[String], max: usize) -> usize {
    let longest = ids.iter().map(String::len).max().unwrap_or(0);
    (0..=longest)
        .find(|&n| {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for id in ids {
                let k = id.get(..n.min(id.len())).unwrap_or(id);
                *counts.entry(k).or_default() += 1;
            }
            counts.values().all(|&c| c <= max)
        })
        .unwrap_or(longest)
}

/// Write the site into `out`.
pub async fn export(state: &AppState, out: &Path) -> Result<SiteReport, ApiError> {
    let mut rep = SiteReport::default();
    let home = pages::dashboard(State(state.clone()), MaybeWitness(None))
        .await
        .into_response();
    write(out, "index.html", &body(home).await?)?;
    write(out, "static/style.css", crate::templates::STYLE.as_bytes())?;
    rep.pages += 1;
    let snap = state.snapshot().await?;
    for (li, level) in state.cfg.levels.iter().enumerate() {
        for code in &snap.dataset.units[li].codes {
            let r = pages::unit(
                State(state.clone()),
                MaybeWitness(None),
                UrlPath((level.key.clone(), code.clone())),
            )
            .await
            .into_response();
            let rel = format!(
                "units/{}/{}/index.html",
                component(&level.key),
                component(code)
            );
            write(out, &rel, &body(r).await?)?;
            rep.pages += 1;
        }
        let t = api::totals(
            State(state.clone()),
            Query(api::TotalsQuery {
                level: Some(level.key.clone()),
                unit: None,
            }),
        )
        .await?;
        write(
            out,
            &format!("api/v1/totals/{}.json", component(&level.key)),
            &serde_json::to_vec(&t.0).map_err(|e| ApiError::Internal(e.to_string()))?,
        )?;
        rep.json += 1;
    }
    let t = api::totals(
        State(state.clone()),
        Query(api::TotalsQuery {
            level: None,
            unit: None,
        }),
    )
    .await?;
    write(
        out,
        "api/v1/totals.json",
        &serde_json::to_vec(&t.0).map_err(|e| ApiError::Internal(e.to_string()))?,
    )?;
    rep.json += 1;
    // Every station the store knows, in id order, by pages of the store.
    let mut ids = Vec::new();
    let mut after = String::new();
    loop {
        let page = state.store.stations_after(&after, 10_000).await?;
        let Some(last) = page.last() else { break };
        after = last.clone();
        ids.extend(page);
    }
    // Byte order here, whatever the database's collation: a bundle's ids are
    // then contiguous.
    ids.sort();
    let n = prefix_len(&ids, BUNDLE_MAX);
    rep.prefix_len = n;
    let mut bundle: BTreeMap<String, Value> = BTreeMap::new();
    let mut current: Option<String> = None;
    for id in &ids {
        let p = id.get(..n.min(id.len())).unwrap_or(id).to_string();
        if current.as_ref().is_some_and(|c| c != &p) {
            let c = current.take().unwrap_or_default();
            write(
                out,
                &format!("api/v1/stations/{}.json", component(&c)),
                &serde_json::to_vec(&bundle).map_err(|e| ApiError::Internal(e.to_string()))?,
            )?;
            rep.json += 1;
            bundle.clear();
        }
        current = Some(p);
        let v = api::station(State(state.clone()), UrlPath(id.clone())).await?;
        bundle.insert(id.clone(), v.0);
        rep.stations += 1;
    }
    if let Some(c) = current {
        write(
            out,
            &format!("api/v1/stations/{}.json", component(&c)),
            &serde_json::to_vec(&bundle).map_err(|e| ApiError::Internal(e.to_string()))?,
        )?;
        rep.json += 1;
    }
    write(
        out,
        "api/v1/stations/index.json",
        json!({"prefix_len": n, "escape": "bytes outside [A-Za-z0-9._-] as %XX", "stations": ids.len()}).to_string().as_bytes(),
    )?;
    if let Some(log) = state.log.as_ref() {
        rep.log_size = Some(
            log.export(out)
                .map_err(|e| ApiError::Internal(e.to_string()))?,
        );
    }
    Ok(rep)
}
