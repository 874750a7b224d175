//! Rate limits, load shedding and the body deadline, through the router
//! that `serve` runs ([`limits::apply`] over `app`), with the client's
//! address in the request's extensions as `serve`'s connect info puts it.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tallyproof_server::http::limits::{self, Limits, Rate};
use tower::ServiceExt;

fn from(router: &Router, ip: [u8; 4]) -> Router {
    router
        .clone()
        .layer(axum::Extension(ConnectInfo(SocketAddr::from((ip, 40_000)))))
}

async fn status(router: &Router, req: Request<Body>) -> (StatusCode, Option<u64>) {
    let res = router.clone().oneshot(req).await.unwrap();
    let retry = res
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let s = res.status();
    let _ = res.into_body().collect().await;
    (s, retry)
}

fn get(path: &str) -> Request<Body> {
    Request::builder().uri(path).body(Body::empty()).unwrap()
}

fn entry(token: &str, station: &str) -> Request<Body> {
    let body = serde_json::json!({
        "station": station,
        "fields": {"A": "10", "B": "20", "registered": "100", "valid": "30"},
    });
    Request::builder()
        .method("POST")
        .uri("/api/v1/entries")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn an_address_over_its_rate_gets_429_then_recovers() {
    let t = common::TestApp::new(common::Backend::Sqlite).await.unwrap();
    let lim = Limits {
        // 3 at once, then one every 100 ms.
        per_address: Some(Rate {
            per_second: 10.0,
            burst: 3,
        }),
        ..Limits::off()
    };
    let r = limits::apply(t.router.clone(), &lim);
    let a = from(&r, [192, 0, 2, 1]);
    let b = from(&r, [192, 0, 2, 2]);
    for k in 0..3 {
        assert_eq!(status(&a, get("/healthz")).await.0, StatusCode::OK, "#{k}");
    }
    let (s, retry) = status(&a, get("/healthz")).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry.is_some_and(|r| r >= 1), "Retry-After {retry:?}");
    // Another address has its own allowance.
    assert_eq!(status(&b, get("/healthz")).await.0, StatusCode::OK);
    // After the window (one cell is 100 ms) the first address is served again.
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(status(&a, get("/healthz")).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_token_over_its_write_rate_gets_429_others_and_reads_do_not() {
    let t = common::TestApp::new(common::Backend::Sqlite).await.unwrap();
    let lim = Limits {
        per_token_writes: Some(Rate {
            per_second: 5.0,
            burst: 2,
        }),
        ..Limits::off()
    };
    let r = from(&limits::apply(t.router.clone(), &lim), [192, 0, 2, 1]);
    for st in ["01-001", "01-002"] {
        let (s, _) = status(&r, entry(&t.witness1, st)).await;
        assert_eq!(s, StatusCode::CREATED, "{st}");
    }
    let (s, retry) = status(&r, entry(&t.witness1, "01-003")).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry.is_some_and(|r| r >= 1));
    // The refused entry was not stored: the station has no sheet.
    let rec = t.store.record("01-003").await.unwrap().unwrap();
    assert!(rec.entries.is_empty());
    // Same address, another token: served. Reads by the first: served.
    let (s, _) = status(&r, entry(&t.witness2, "01-003")).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(
        status(&r, get("/api/v1/stations/01-001")).await.0,
        StatusCode::OK
    );
    // One cell is 200 ms: after it the first token writes again.
    tokio::time::sleep(Duration::from_millis(450)).await;
    let (s, _) = status(&r, entry(&t.witness1, "01-003")).await;
    assert_eq!(s, StatusCode::CREATED);
}

/// An upload whose body has begun and waits for more: it ends when
/// the returned sender is dropped.
async fn stalled_upload(
    token: &str,
) -> (
    Request<Body>,
    http_body_util::channel::Sender<axum::body::Bytes>,
) {
    let (mut tx, body) = http_body_util::Channel::<axum::body::Bytes>::new(4);
    let head = b"--X\r\nContent-Disposition: form-data; name=\"photo\"\r\n\r\n\xFF\xD8\xFF";
    tx.send_data(axum::body::Bytes::from_static(head))
        .await
        .unwrap();
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/uploads")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=X")
        .body(Body::new(body))
        .unwrap();
    (req, tx)
}

#[tokio::test]
async fn over_the_cap_in_flight_the_service_answers_503_at_once_and_recovers() {
    let t = common::TestApp::new(common::Backend::Sqlite).await.unwrap();
    let lim = Limits {
        max_in_flight: 2,
        max_writes_in_flight: 1,
        ..Limits::off()
    };
    let r = from(&limits::apply(t.router.clone(), &lim), [192, 0, 2, 1]);
    // One slow upload holds the only write slot and one of two slots.
    let (req, tx) = stalled_upload(&t.witness1).await;
    let slow = tokio::spawn({
        let r = r.clone();
        async move { status(&r, req).await }
    });
    // Let it reach the handler.
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (s, retry) = status(&r, entry(&t.witness2, "01-001")).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "a second write");
    assert_eq!(retry, Some(1));
    // A read still fits in the other slot.
    assert_eq!(status(&r, get("/healthz")).await.0, StatusCode::OK);
    // The slow upload ends (its body is cut short: not a photo).
    drop(tx);
    let (s, _) = tokio::time::timeout(Duration::from_secs(10), slow)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(s, StatusCode::SERVICE_UNAVAILABLE);
    // Recovered: the write that was refused now goes through.
    let (s, _) = status(&r, entry(&t.witness2, "01-001")).await;
    assert_eq!(s, StatusCode::CREATED);
}

#[tokio::test]
async fn a_body_slower_than_the_deadline_is_cut_off() {
    let t = common::TestApp::new(common::Backend::Sqlite).await.unwrap();
    let lim = Limits {
        body_deadline: Duration::from_millis(300),
        ..Limits::off()
    };
    let r = from(&limits::apply(t.router.clone(), &lim), [192, 0, 2, 1]);
    let (req, tx) = stalled_upload(&t.witness1).await;
    // The body never ends while `tx` lives: only the deadline can answer.
    let (s, _) = tokio::time::timeout(Duration::from_secs(20), status(&r, req))
        .await
        .expect("the deadline did not cut the body off");
    drop(tx);
    assert!(s.is_client_error(), "{s}");
    let rec = t.store.record("01-001").await.unwrap().unwrap();
    assert!(rec.uploads.is_empty());
}

#[test]
fn default_limits_are_on() {
    let d = Limits::default();
    assert!(d.per_address.is_some() && d.per_token_writes.is_some());
    assert!(d.max_in_flight > d.max_writes_in_flight && d.max_writes_in_flight > 0);
    assert!(!d.trust_forwarded);
}
