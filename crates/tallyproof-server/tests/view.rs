//! The public view patched with the sheets changed since it was built
//! (`Store::changed_since`, `snapshot::patched`) equals the view built
//! whole from the store, step after step of a random stream of imports,
//! witness entries that agree or differ, flags, reviewers' decisions and
//! stations given names, on both stores.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tallyproof_core::sheet::SourceKind;
use tallyproof_server::flow::SheetState;
use tallyproof_server::snapshot::Snapshot;
use tallyproof_server::store::{NewEntry, StationInfo};
use tallyproof_server::{AppState, auth};

fn entry(station: &str, kind: SourceKind, witness: Option<i64>, n: (u64, u64)) -> NewEntry {
    common::entry(station, kind, witness, n, 10)
}

/// A counted row: its units (code, name), votes and other counts.
type Row = (Vec<(String, String)>, Vec<u32>, Vec<u32>);

/// Each counted row of a view, by station.
fn rows(s: &Snapshot) -> BTreeMap<String, Row> {
    let ds = &s.dataset;
    let sh = &ds.sheets;
    (0..sh.station.len())
        .map(|r| {
            let units = (0..sh.geo.len())
                .map(|l| {
                    let i = sh.geo[l][r] as usize;
                    (ds.units[l].codes[i].clone(), ds.units[l].names[i].clone())
                })
                .collect();
            let votes = sh.votes.iter().map(|c| c[r]).collect();
            let extras = [
                &sh.registered,
                &sh.valid,
                &sh.null,
                &sh.blank,
                &sh.ballots,
                &sh.issued,
            ]
            .iter()
            .filter_map(|c| c.as_ref().map(|c| c[r]))
            .collect();
            (sh.station.get(r).to_string(), (units, votes, extras))
        })
        .collect()
}

async fn same_as_whole(t: &common::TestApp, patched: &Snapshot) {
    let whole = AppState::new(t.store.clone(), common::config(), None, Vec::new(), None)
        .snapshot()
        .await
        .unwrap();
    assert_eq!(patched.version, whole.version);
    assert_eq!(rows(patched), rows(&whole));
    let json = |x: &Snapshot| serde_json::to_value((&x.national, &x.levels, &x.worst)).unwrap();
    assert_eq!(json(patched), json(&whole));
    assert_eq!(patched.states, whole.states);
}

async fn a_patched_view_equals_one_built_whole(t: common::TestApp) {
    let ids: Vec<String> = (0..30)
        .map(|i| format!("{:02}-{:03}", 3 + i % 3, i))
        .collect();
    let info = |id: &str, name: &str| StationInfo {
        id: id.to_string(),
        units: vec![
            (id[..2].to_string(), name.to_string()),
            (format!("{}-{}", &id[..2], &id[3..5]), String::new()),
        ],
        registered: Some(100),
    };
    let st: Vec<_> = ids.iter().map(|id| info(id, "")).collect();
    t.store.put_stations(&st).await.unwrap();
    let id_of = async |token: &str| {
        t.store
            .witness_by_token(&auth::hash(token))
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let (w1, w2, rita) = (
        id_of(&t.witness1).await,
        id_of(&t.witness2).await,
        id_of(&t.reviewer).await,
    );
    let mut rng = StdRng::seed_from_u64(7);
    let numbers = [(60, 30), (55, 35)];
    let first = t.state.snapshot().await.unwrap();
    same_as_whole(&t, &first).await;
    let mut kinds = BTreeMap::new();
    for step in 0..120 {
        let station = ids[rng.random_range(0..ids.len())].clone();
        let n = numbers[rng.random_range(0..numbers.len())];
        let kind = rng.random_range(0..6);
        *kinds.entry(kind).or_insert(0) += 1;
        match kind {
            // A refused entry or flag (a transition that does not exist)
            // changes nothing, which the comparison checks as well.
            0 => {
                _ = t
                    .store
                    .submit(entry(&station, SourceKind::Import, None, n))
                    .await
            }
            1 => {
                _ = t
                    .store
                    .submit(entry(&station, SourceKind::Witness, Some(w1), n))
                    .await
            }
            2 => {
                _ = t
                    .store
                    .submit(entry(&station, SourceKind::Witness, Some(w2), n))
                    .await
            }
            3 => {
                _ = t
                    .store
                    .flag(&station, "test flag", None, Some(w1), 11)
                    .await
            }
            4 => {
                let rec = t.store.record(&station).await.unwrap().unwrap();
                if rec.sheet == Some(SheetState::InReview)
                    && let Some(e) = rec.entries.last()
                {
                    t.store
                        .decide(&station, rita, e.id, "test", 12)
                        .await
                        .unwrap();
                }
            }
            _ => {
                let name = format!("Region {}", &station[..2]);
                t.store
                    .put_stations(&[info(&station, &name)])
                    .await
                    .unwrap();
            }
        }
        if step % 4 == 3 {
            let view = t.state.snapshot().await.unwrap();
            same_as_whole(&t, &view).await;
        }
    }
    let view = t.state.snapshot().await.unwrap();
    same_as_whole(&t, &view).await;
    // Something was counted, and every view after the first was patched.
    assert!(view.dataset.sheets.station.len() > 10, "{kinds:?}");
    assert!(
        view.states
            .iter()
            .any(|(s, n)| *s == SheetState::Resolved && *n > 0),
        "{:?}",
        view.states
    );
    assert_eq!(t.state.snapshot_whole.load(Ordering::Relaxed), 1);
}
both!(patched_view, a_patched_view_equals_one_built_whole);

/// Every station's record as the cache gives it (the store's when not
/// held).
async fn all_records(t: &common::TestApp, ids: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for id in ids {
        let rec = t.state.record(id).await.unwrap();
        out.push(serde_json::to_string(&rec.as_deref()).unwrap());
    }
    out
}

async fn cached_records_follow_the_store(t: common::TestApp) {
    let ids: Vec<String> = ["01-001", "01-002", "01-003", "02-001", "02-002"]
        .map(String::from)
        .to_vec();
    let w1 = t
        .store
        .witness_by_token(&auth::hash(&t.witness1))
        .await
        .unwrap()
        .unwrap()
        .id;
    // Before the watcher's first pass nothing is cached.
    assert_eq!(t.state.records.ticket(), None);
    all_records(&t, &ids).await;
    assert!(t.state.records.is_empty());
    t.state.refresh_records().await.unwrap();
    let mut rng = StdRng::seed_from_u64(11);
    for step in 0..40 {
        // Fill the cache, then change the store behind its back (not
        // through the service, which would drop the record itself).
        let before = all_records(&t, &ids).await;
        assert_eq!(t.state.records.len(), ids.len(), "step {step}");
        let station = &ids[rng.random_range(0..ids.len())];
        let n = [(60, 30), (55, 35)][rng.random_range(0..2)];
        match rng.random_range(0..3) {
            0 => {
                _ = t
                    .store
                    .submit(entry(station, SourceKind::Import, None, n))
                    .await
            }
            1 => {
                _ = t
                    .store
                    .submit(entry(station, SourceKind::Witness, Some(w1), n))
                    .await
            }
            _ => _ = t.store.flag(station, "test flag", None, Some(w1), 11).await,
        }
        // Until the watcher's pass the cache answers as before ...
        assert_eq!(all_records(&t, &ids).await, before, "step {step}");
        t.state.refresh_records().await.unwrap();
        // ... and after it, as the store does.
        let mut fresh = Vec::new();
        for id in &ids {
            let rec = t.store.record(id).await.unwrap();
            fresh.push(serde_json::to_string(&rec).unwrap());
        }
        assert_eq!(all_records(&t, &ids).await, fresh, "step {step}");
    }
    // A record read while a pass ran is not kept (it may predate a change
    // that pass dropped).
    let ticket = t.state.records.ticket().unwrap();
    t.state.records.evict("01-001");
    let rec = std::sync::Arc::new(t.store.record("01-001").await.unwrap().unwrap());
    t.store
        .submit(entry("01-001", SourceKind::Witness, Some(w1), (1, 2)))
        .await
        .unwrap();
    t.state.refresh_records().await.unwrap();
    t.state.records.put(ticket, rec);
    let held = t.state.record("01-001").await.unwrap().unwrap();
    assert!(held.entries.iter().any(|e| e.counts.options == vec![1, 2]));
}
both!(cached_records, cached_records_follow_the_store);
