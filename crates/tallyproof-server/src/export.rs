//! The public site as static files, for any web server or CDN (what serves
//! the public when a million people look at once): the dashboard and
//! every unit's page as HTML, the totals and every station as JSON, and
//! the signed log's tiles and checkpoint (`tallyproof_ledger::Log::export`).
//!
//! Layout under the output folder:
//! - `index.html`, `units/<level>/<code>/index.html`, `static/style.css`;
//! - `lookup/<prefix>.html`: the station pages of every station whose id
//!   starts with `<prefix>`, one section each at `#<id>`, and
//!   `lookup/index.html`, the list of those pages with their first and last
//!   ids (a station is found from a CDN without a query);
//! - `images/<sha256>.<png|jpg>`: the photos those pages show;
//! - `api/v1/totals.json` and `api/v1/totals/<level>.json`;
//! - `api/v1/stations/<prefix>.json`: the stations whose id starts with
//!   `<prefix>`, as `GET /api/v1/stations/{id}` gives them, keyed by id;
//!   the prefix length is the shortest that keeps every file at most
//!   [`BUNDLE_MAX`] stations, and is written in `api/v1/stations/index.json`;
//!   a station's `proof` names the log's station bundle that holds its
//!   sheets and inclusion proofs;
//! - the log's `checkpoint`, `vkey`, `tile/…` and `stations/…` (the
//!   ledger's layout, `tallyproof_ledger::Log::export`), which
//!   `tallyproof log verify --site` checks.
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
use crate::templates as t;

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
    /// Photos written under `images/`.
    pub images: u64,
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
    let home = pages::dashboard(State(state.clone()), MaybeWitness(None))
        .await
        .into_response();
    write(out, "index.html", &static_links(&body(home).await?, n))?;
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
            write(out, &rel, &static_links(&body(r).await?, n))?;
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
    // The log first: each station's page says which of the log's station
    // bundles holds its sheets and proofs.
    let index = match state.log.as_ref() {
        Some(log) => {
            rep.log_size = Some(
                log.export(out)
                    .map_err(|e| ApiError::Internal(e.to_string()))?,
            );
            let bytes = std::fs::read(out.join(tallyproof_ledger::INDEX_PATH)).map_err(|e| {
                ApiError::Internal(format!("{}: {e}", tallyproof_ledger::INDEX_PATH))
            })?;
            Some(
                tallyproof_ledger::StationIndex::parse(&bytes)
                    .map_err(|e| ApiError::Internal(e.to_string()))?,
            )
        }
        None => None,
    };
    let mut lookup = Vec::new();
    let mut photos = std::collections::BTreeSet::new();
    let mut start = 0;
    while start < ids.len() {
        let p = prefix_of(&ids[start], n);
        let end = start
            + ids[start..]
                .iter()
                .take_while(|id| prefix_of(id, n) == p)
                .count();
        let group = &ids[start..end];
        let recs = state.store.records_of(group).await?;
        let mut bundle: BTreeMap<String, Value> = BTreeMap::new();
        let mut views = Vec::with_capacity(recs.len());
        for rec in &recs {
            let row = index.as_ref().and_then(|ix| ix.find(&rec.info.id));
            let leaf = rec.transitions.iter().filter_map(|t| t.leaf).max();
            let proof = row.map(|r| json!({"log_bundle": r.file, "leaf": leaf}));
            bundle.insert(
                rec.info.id.clone(),
                api::station_json(&state.cfg, rec, proof),
            );
            let mut v = pages::station_view(&state.cfg, rec);
            v.photos = rec
                .uploads
                .iter()
                .map(|u| {
                    (
                        format!("/images/{}", image_file(&u.sha256, &u.content_type)),
                        format!("sha256 {} · QR code {}", u.sha256, u.qr_status),
                    )
                })
                .collect();
            for u in &rec.uploads {
                photos.insert(u.sha256.clone());
            }
            v.static_proof = row.map(|r| {
                format!(
                    "In the signed log: {}leaf bundle /{} (with its inclusion proof against the exported checkpoint).",
                    leaf.map_or(String::new(), |l| format!("leaf {l}, in the station ")),
                    r.file
                )
            });
            views.push(v);
        }
        let name = bundle_name(p, n);
        write(
            out,
            &format!("api/v1/stations/{name}.json"),
            &serde_json::to_vec(&bundle).map_err(|e| ApiError::Internal(e.to_string()))?,
        )?;
        rep.json += 1;
        rep.stations += recs.len() as u64;
        let first = group.first().cloned().unwrap_or_default();
        let last = group.last().cloned().unwrap_or_default();
        let page = t::StationsBundle {
            title: if p.is_empty() {
                "Stations".into()
            } else {
                format!("Stations {p}…")
            },
            election: state.cfg.election.name.clone(),
            who: None,
            csrf: String::new(),
            stations: views,
        };
        write(
            out,
            &format!("lookup/{name}.html"),
            &static_links(&render(&page)?, n),
        )?;
        rep.pages += 1;
        lookup.push((
            format!("/lookup/{}.html", url_path(&name)),
            first,
            last,
            group.len(),
        ));
        start = end;
    }
    write(
        out,
        "api/v1/stations/index.json",
        json!({"prefix_len": n, "escape": "bytes outside [A-Za-z0-9._-] as %XX", "stations": ids.len(), "files": "api/v1/stations/<prefix>.json and lookup/<prefix>.html#<station>; with prefix_len 0, one file named all"}).to_string().as_bytes(),
    )?;
    let list = t::List {
        title: "Find a station".into(),
        election: state.cfg.election.name.clone(),
        who: None,
        csrf: String::new(),
        paragraphs: vec![format!(
            "{} stations, on pages by the first {n} characters of their id: open the page whose range holds your station's id, and find it there (its address is /lookup/<the first {n} characters>.html#<id>).",
            tallyproof_core::thousands(ids.len() as u64)
        )],
        headers: vec![
            "stations".into(),
            "first".into(),
            "last".into(),
            "count".into(),
        ],
        rows: lookup
            .into_iter()
            .map(|(href, first, last, k)| {
                let label = format!("{first} … {last}");
                (
                    href,
                    label,
                    vec![first, last, tallyproof_core::thousands(k as u64)],
                )
            })
            .collect(),
    };
    write(out, "lookup/index.html", &static_links(&render(&list)?, n))?;
    rep.pages += 1;
    for sha in &photos {
        if let Some((ct, bytes)) = state.store.upload_bytes(sha).await? {
            write(out, &format!("images/{}", image_file(sha, &ct)), &bytes)?;
            rep.images += 1;
        }
    }
    Ok(rep)
}

/// The file name (without extension) of the bundle of `prefix`: `all`
/// when there is one bundle (prefix length 0), else the escaped prefix.
pub fn bundle_name(prefix: &str, n: usize) -> String {
    if n == 0 {
        "all".into()
    } else {
        component(prefix)
    }
}

/// A file name as a URL path segment: the `%` of its escapes escaped, so
/// that a server's decoding gives the file's own name back.
fn url_path(name: &str) -> String {
    name.replace('%', "%25")
}

fn prefix_of(id: &str, n: usize) -> &str {
    // A prefix cut at a byte inside a character keeps the whole id.
    id.get(..n.min(id.len())).unwrap_or(id)
}

/// A photo's file in the site: its SHA-256 and the extension of its type.
fn image_file(sha256: &str, content_type: &str) -> String {
    let ext = if content_type == "image/png" {
        "png"
    } else {
        "jpg"
    };
    format!("{sha256}.{ext}")
}

fn render<T: askama::Template>(t: &T) -> Result<Vec<u8>, ApiError> {
    t.render()
        .map(String::into_bytes)
        .map_err(|e| ApiError::Internal(format!("template: {e}")))
}

/// A page of the live service made static: the header's search (a query
/// to the service) becomes the link to the station finder, the log-in
/// link goes, and each station link (`/stations/ID`) points at the
/// station's section of its bundle page (`/lookup/PREFIX.html#ID`), with
/// `n` the bundles' prefix length.
fn static_links(html: &[u8], n: usize) -> Vec<u8> {
    let s = String::from_utf8_lossy(html);
    let s = replace_between(
        &s,
        "<form class=\"search\"",
        "</form>",
        "<a class=\"search\" href=\"/lookup/\">Find a station</a>",
    );
    let s = s.replace("<a href=\"/login\">Witness log-in</a>", "");
    let s = rewrite_hrefs(&s, "href=\"/stations/", |id| {
        format!(
            "/lookup/{}.html#{}",
            url_path(&bundle_name(prefix_of(id, n), n)),
            component(id)
        )
    });
    // A unit's page is a folder's index.html: link the folder itself.
    let s = rewrite_hrefs(&s, "href=\"/units/", |rest| match rest.split_once('/') {
        Some((level, code)) => format!(
            "/units/{}/{}/",
            url_path(&component(level)),
            url_path(&component(code))
        ),
        None => format!("/units/{rest}"),
    });
    s.into_bytes()
}

/// Every `href` that starts with `start` (`href="/x/`) becomes `href="…"`
/// of what `to` makes of the rest of its (unescaped) value.
fn rewrite_hrefs(s: &str, start: &str, to: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(start) {
        out.push_str(&rest[..i]);
        let tail = &rest[i + start.len()..];
        let Some(j) = tail.find('"') else {
            out.push_str(&rest[i..]);
            rest = "";
            break;
        };
        let target = to(&unescape(&tail[..j]));
        out.push_str("href=\"");
        out.push_str(&target.replace('&', "&amp;").replace('"', "&quot;"));
        out.push('"');
        rest = &tail[j + 1..];
    }
    out.push_str(rest);
    out
}

/// The text of an attribute value as askama escapes it.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn replace_between(s: &str, start: &str, end: &str, with: &str) -> String {
    match s.find(start) {
        Some(a) => match s[a..].find(end) {
            Some(b) => format!("{}{}{}", &s[..a], with, &s[a + b + end.len()..]),
            None => s.to_string(),
        },
        None => s.to_string(),
    }
}
