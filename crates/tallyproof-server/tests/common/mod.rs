//! A TestApp over either store: SQLite in a temporary file, or a fresh
//! PostgreSQL database on the server that `TALLYPROOF_TEST_POSTGRES` names
//! (CI sets it; without it the PostgreSQL tests say so and pass only
//! outside CI).
#![allow(dead_code)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use sqlx::Connection;
use tallyproof_core::Config;
use tallyproof_core::sheet::{Counts, Origin, Sheet, SourceKind};
use tallyproof_server::store::{NewEntry, Role, StationInfo, Store};
use tallyproof_server::{AppState, app, auth, log::LogSink, store};
use tower::ServiceExt;

pub const CONFIG: &str = r#"
[election]
name = "Test election"
[station]
id = ["station"]
[[levels]]
key = "region"
code = "region"
name = "region_name"
[[levels]]
key = "district"
code = "district"
[columns]
registered = "registered"
valid = "valid"
[[options]]
key = "A"
[[options]]
key = "B"
"#;

pub fn config() -> Config {
    Config::from_toml(CONFIG).unwrap()
}

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh database URL for `backend`, or `None` (with a note) when
/// PostgreSQL is not configured outside CI. The temp dir lives as long as
/// the returned guard.
pub async fn fresh_url(backend: Backend) -> Option<(String, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    match backend {
        Backend::Sqlite => Some((format!("sqlite:{}", dir.path().join("t.db").display()), dir)),
        Backend::Postgres => {
            let Ok(admin) = std::env::var("TALLYPROOF_TEST_POSTGRES") else {
                if std::env::var("CI").is_ok_and(|v| v == "true") {
                    panic!(
                        "CI=true but TALLYPROOF_TEST_POSTGRES is not set: the PostgreSQL tests cannot run"
                    );
                }
                eprintln!("note: TALLYPROOF_TEST_POSTGRES is not set; skipping a PostgreSQL test");
                return None;
            };
            let name = format!("tp_test_{}", hex::encode(rand::random::<[u8; 8]>()));
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .unwrap_or_else(|e| panic!("TALLYPROOF_TEST_POSTGRES={admin}: {e}"));
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .unwrap();
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            Some((format!("{base}/{name}"), dir))
        }
    }
}

/// An entry of `station` from `kind` (and `witness`): options A and B as
/// given, 100 registered, valid their sum, received at `at`.
pub fn entry(
    station: &str,
    kind: SourceKind,
    witness: Option<i64>,
    (a, b): (u64, u64),
    at: i64,
) -> NewEntry {
    NewEntry {
        sheet: Sheet {
            station: station.into(),
            contest: None,
            counts: Counts {
                options: vec![a, b],
                registered: Some(100),
                valid: Some(a + b),
                ..Counts::default()
            },
            origin: Origin::new(kind),
        },
        witness,
        idempotency_key: None,
        at,
    }
}

pub async fn stations(store: &dyn Store) {
    let st: Vec<StationInfo> = ["01-001", "01-002", "01-003", "02-001", "02-002"]
        .iter()
        .map(|id| StationInfo {
            id: id.to_string(),
            units: vec![
                (id[..2].to_string(), format!("Region {}", &id[..2])),
                (format!("{}-d", &id[..2]), String::new()),
            ],
            registered: Some(100),
        })
        .collect();
    store.put_stations(&st).await.unwrap();
}

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub store: Arc<dyn Store>,
    pub witness1: String,
    pub witness2: String,
    pub reviewer: String,
    /// A witness whose scope is stations starting with "02".
    pub scoped: String,
    pub _dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn new(backend: Backend) -> Option<TestApp> {
        let (url, dir) = fresh_url(backend).await?;
        let store = store::open(&url).await.unwrap();
        stations(store.as_ref()).await;
        let mut tok = Vec::new();
        for (name, role, pre) in [
            ("Ana", Role::Witness, vec![]),
            ("Beto", Role::Witness, vec![]),
            ("Rita", Role::Reviewer, vec![]),
            ("Zoe", Role::Witness, vec!["02".to_string()]),
        ] {
            let (t, h) = auth::new_token();
            store.add_witness(name, role, &pre, &h, 0).await.unwrap();
            tok.push(t);
        }
        let log =
            LogSink::open_or_init(&dir.path().join("log"), "test.tallyproof.example/log").unwrap();
        let state = AppState::new(store.clone(), config(), None, Vec::new(), Some(log));
        state.start_decoder();
        Some(TestApp {
            router: app(state.clone()),
            state,
            store,
            witness1: tok[0].clone(),
            witness2: tok[1].clone(),
            reviewer: tok[2].clone(),
            scoped: tok[3].clone(),
            _dir: dir,
        })
    }

    pub async fn call(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        (status, headers, body)
    }

    pub async fn json(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        let (s, _, body) = self.call(req).await;
        let v = serde_json::from_slice(&body).unwrap_or(Value::Null);
        (s, v)
    }

    pub async fn get_html(&self, path: &str, token: Option<&str>) -> (StatusCode, String) {
        let mut b = Request::builder().uri(path);
        if let Some(t) = token {
            b = b.header(header::COOKIE, format!("tp_token={t}"));
        }
        let (s, _, body) = self.call(b.body(Body::empty()).unwrap()).await;
        (s, String::from_utf8_lossy(&body).into_owned())
    }

    /// A witness entry: A, B, registered, valid.
    pub async fn enter(&self, token: &str, station: &str, a: u64, b: u64) -> (StatusCode, Value) {
        let body = serde_json::json!({
            "station": station,
            "fields": {"A": a.to_string(), "B": b.to_string(), "registered": "100", "valid": (a + b).to_string()},
        });
        self.json("POST", "/api/v1/entries", Some(token), Some(body))
            .await
    }
}

/// `$name_sqlite` and `$name_postgres`, each running `$body(TestApp)`.
#[macro_export]
macro_rules! both {
    ($name:ident, $f:ident) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                if let Some(t) = common::TestApp::new(common::Backend::Sqlite).await {
                    $f(t).await;
                }
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(t) = common::TestApp::new(common::Backend::Postgres).await {
                    $f(t).await;
                }
            }
        }
    };
}
