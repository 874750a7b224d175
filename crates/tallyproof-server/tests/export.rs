//! The static export: a store with agreed, pending, in-review and resolved
//! sheets and a photo is written as a site; the log's part passes the
//! ledger's `verify_site` (what `tallyproof log verify --site` runs); one
//! changed byte in a hash tile or in a station bundle is named; every
//! station is found from `lookup/index.html` through its prefix page, and
//! the unit pages link into those pages.

mod common;

use std::path::Path;

use serde_json::{Value, json};
use tallyproof_ledger::Error;

fn flip_one_byte(p: &Path, at: usize) {
    let mut b = std::fs::read(p).unwrap();
    b[at] ^= 0x01;
    std::fs::write(p, b).unwrap();
}

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[tokio::test]
async fn the_exported_site_verifies_and_finds_every_station() {
    let t = common::TestApp::new(common::Backend::Sqlite).await.unwrap();
    t.enter(&t.witness1, "01-001", 60, 30).await;
    t.enter(&t.witness2, "01-001", 60, 30).await;
    t.enter(&t.witness1, "01-002", 50, 40).await;
    let (_, v) = t.enter(&t.witness2, "01-002", 55, 35).await;
    assert_eq!(v["sheet"], "in-review");
    t.enter(&t.witness1, "02-001", 20, 30).await;
    t.enter(&t.witness2, "02-001", 20, 30).await;
    t.enter(&t.witness1, "02-002", 10, 10).await;
    t.enter(&t.witness1, "01-003", 70, 20).await;
    let (_, v) = t.enter(&t.witness2, "01-003", 71, 19).await;
    let id = v["entry"].as_i64().unwrap();
    let (s, _) = t
        .json(
            "POST",
            "/api/v1/review/01-003",
            Some(&t.reviewer),
            Some(json!({"entry": id, "note": "the photo shows 71"})),
        )
        .await;
    assert_eq!(s, axum::http::StatusCode::OK);
    let site = tempfile::tempdir().unwrap();
    let rep = tallyproof_server::export::export(&t.state, site.path())
        .await
        .unwrap();
    // Three sheets count (01-001, 02-001 agreed; 01-003 resolved): three leaves.
    assert_eq!(rep.log_size, Some(3));
    assert_eq!(rep.stations, 5);
    // Five ids of 6 characters and at most 1,000 to a bundle: one bundle,
    // prefix length 0.
    assert_eq!(rep.prefix_len, 0);

    let ok = tallyproof_ledger::verify_site(site.path(), None).unwrap();
    assert_eq!(ok.tree_size, 3);

    // The finder lists the one page; the page holds every station.
    let finder = std::fs::read_to_string(site.path().join("lookup/index.html")).unwrap();
    assert!(finder.contains("href=\"/lookup/all.html\""), "{finder}");
    let page = std::fs::read_to_string(site.path().join("lookup/all.html")).unwrap();
    for st in ["01-001", "01-002", "01-003", "02-001", "02-002"] {
        assert!(
            page.contains(&format!("<section class=\"station\" id=\"{st}\">")),
            "{st}"
        );
    }
    assert!(page.contains("resolved by a reviewer"));
    assert!(page.contains("pending a second entry"));
    assert!(
        !page.contains("action=\"/search\""),
        "no live search on a static page"
    );
    // Blind entry holds in the export too: 02-002's single entry has no
    // numbers in the JSON.
    let bundle: Value = serde_json::from_slice(
        &std::fs::read(site.path().join("api/v1/stations/all.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(bundle["02-002"]["entries"][0]["counts"], Value::Null);
    assert_eq!(bundle["01-001"]["counted"]["options"], json!([60, 30]));
    assert_eq!(bundle["01-001"]["proof"]["log_bundle"], "stations/0.json");
    // A district page links each station into its bundle page.
    let unit = std::fs::read_to_string(site.path().join("units/district/01-d/index.html")).unwrap();
    assert!(unit.contains("href=\"/lookup/all.html#01-001\""), "{unit}");
    assert!(!unit.contains("href=\"/stations/"), "{unit}");
    // The station of a leaf is found in the log's own bundle as well.
    let proofs = tallyproof_ledger::lookup_station(site.path(), None, "01-003").unwrap();
    assert_eq!(proofs.len(), 1);

    // No page links to a file the site lacks.
    let mut all = Vec::new();
    files_under(site.path(), &mut all);
    let rel: std::collections::HashSet<String> = all
        .iter()
        .map(|p| format!("/{}", p.strip_prefix(site.path()).unwrap().display()))
        .collect();
    for p in all
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
    {
        let html = std::fs::read_to_string(p).unwrap();
        for part in html.split("href=\"").skip(1) {
            let href = &part[..part.find('"').unwrap()];
            let path = href.split('#').next().unwrap();
            if path.is_empty() || !path.starts_with('/') || path == "/openapi.json" {
                continue;
            }
            let file = if path.ends_with('/') {
                format!("{path}index.html")
            } else {
                path.to_string()
            };
            assert!(
                rel.contains(&file),
                "{} links to {href}, not in the site",
                p.display()
            );
        }
    }

    // One changed byte in a hash tile, then in a station bundle: named.
    let tile = site.path().join("tile/0/000.p/3");
    flip_one_byte(&tile, 5);
    match tallyproof_ledger::verify_site(site.path(), None) {
        Err(Error::Site { file, .. }) => assert_eq!(file, "tile/0/000.p/3"),
        other => panic!("a changed tile verified: {other:?}"),
    }
    flip_one_byte(&tile, 5);
    tallyproof_ledger::verify_site(site.path(), None).unwrap();
    let b = site.path().join("stations/0.json");
    let text = std::fs::read_to_string(&b).unwrap();
    let at = text.find("\"proof\"").unwrap() + 12;
    flip_one_byte(&b, at);
    match tallyproof_ledger::verify_site(site.path(), None) {
        Err(Error::Site { file, .. }) => assert_eq!(file, "stations/0.json"),
        other => panic!("a changed station bundle verified: {other:?}"),
    }
}
