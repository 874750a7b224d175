//! The QR decoder's queue is the store: a photo stored as pending is
//! decoded even when no request is waiting for it (as after a restart),
//! and an upload that is not decoded within the server's wait is answered
//! 202 with where its result will be. Batched entries (the import's):
//! each entry stands or falls alone inside one transaction.

mod common;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use tallyproof_core::sheet::SourceKind;
use tallyproof_server::flow::SheetState;
use tallyproof_server::store::{NewEntry, NewUpload, StoreError};

/// A JPEG with no QR code in it, different for each `seed`.
fn blank_jpeg(seed: u32) -> Vec<u8> {
    let img = image::GrayImage::from_fn(320, 240, |x, y| {
        image::Luma([((x * 7 + y * 3 + seed * 11) % 200) as u8])
    });
    let mut jpeg = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut jpeg),
        image::ImageFormat::Jpeg,
    )
    .unwrap();
    jpeg
}

fn multipart(token: &str, bytes: &[u8]) -> Request<Body> {
    let mut b = Vec::new();
    b.extend_from_slice(
        b"--B\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.jpg\"\r\n\r\n",
    );
    b.extend_from_slice(bytes);
    b.extend_from_slice(b"\r\n--B--\r\n");
    Request::builder()
        .method("POST")
        .uri("/api/v1/uploads")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=B")
        .body(Body::from(b))
        .unwrap()
}

/// Poll the photo's status until it is no longer pending (30 s at most).
async fn settled(t: &common::TestApp, sha: &str) -> Value {
    let t0 = Instant::now();
    loop {
        let (s, v) = t
            .json("GET", &format!("/api/v1/uploads/{sha}"), None, None)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        if v["qr"] != "pending" {
            return v;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "photo {sha} still pending after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_pending_photo_that_no_request_queued_is_decoded(t: common::TestApp) {
    // Stored straight into the store, as a photo whose request ended with
    // the process: nobody woke the decoder for it.
    let jpeg = blank_jpeg(1);
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(&jpeg));
    let w = t
        .store
        .witness_by_token(&tallyproof_server::auth::hash(&t.witness1))
        .await
        .unwrap()
        .unwrap();
    let prior = t
        .store
        .put_upload(NewUpload {
            sha256: sha.clone(),
            content_type: "image/jpeg",
            bytes: jpeg,
            station: None,
            uploaded_by: w.id,
            at: 1,
        })
        .await
        .unwrap();
    assert!(prior.is_none());
    assert_eq!(t.store.pending_upload_count().await.unwrap(), 1);
    let v = settled(&t, &sha).await;
    assert_eq!(v["qr"], "unread", "{v}");
    assert!(
        v["reason"].as_str().unwrap().contains("no QR code decoded"),
        "{v}"
    );
    assert_eq!(t.store.pending_upload_count().await.unwrap(), 0);
    // Decided once: a second result for the same photo is refused.
    assert!(
        !t.store
            .set_qr(&sha, "read", Some("01-001"), None)
            .await
            .unwrap()
    );
}
both!(
    pending_photo_decoded,
    a_pending_photo_that_no_request_queued_is_decoded
);

async fn an_upload_past_the_wait_is_answered_202_and_decoded_after(t: common::TestApp) {
    t.state.decoder.set_wait(0);
    let (s, _, body) = t.call(multipart(&t.witness1, &blank_jpeg(2))).await;
    assert_eq!(
        s,
        StatusCode::ACCEPTED,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["qr"]["qr"], "pending", "{v}");
    let sha = v["sha256"].as_str().unwrap();
    assert_eq!(
        v["qr"]["check"].as_str().unwrap(),
        format!("/api/v1/uploads/{sha}")
    );
    let done = settled(&t, sha).await;
    assert_eq!(done["qr"], "unread", "{done}");
    // Sent again once decoded: answered from the store at once, 201.
    let (s, _, body) = t.call(multipart(&t.witness1, &blank_jpeg(2))).await;
    assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&body));
    let again: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(again["already_stored"], true);
    assert_eq!(again["qr"]["qr"], "unread", "{again}");
}
both!(
    upload_past_wait,
    an_upload_past_the_wait_is_answered_202_and_decoded_after
);

fn import(station: &str, a: u64, b: u64) -> NewEntry {
    common::entry(station, SourceKind::Import, None, (a, b), 5)
}

async fn a_batch_stores_each_entry_alone(t: common::TestApp) {
    let version = t.store.version().await.unwrap().0;
    let out = t
        .store
        .submit_many(vec![
            import("01-001", 60, 30),
            import("no-such-station", 1, 1),
            import("01-002", 10, 20),
            // The same sheet again in the same batch: a duplicate.
            import("01-001", 60, 30),
            // Different numbers for a counted import: review.
            import("01-002", 11, 20),
        ])
        .await
        .unwrap();
    assert_eq!(out.len(), 5);
    let r0 = out[0].as_ref().unwrap();
    assert_eq!(r0.sheet, SheetState::Agreed);
    assert!(r0.counted_transition.is_some());
    assert!(
        matches!(&out[1], Err(StoreError::UnknownStation(s)) if s == "no-such-station"),
        "{:?}",
        out[1]
    );
    assert_eq!(out[2].as_ref().unwrap().sheet, SheetState::Agreed);
    assert!(out[3].as_ref().unwrap().duplicate);
    assert_eq!(out[3].as_ref().unwrap().entry, r0.entry);
    assert_eq!(out[4].as_ref().unwrap().sheet, SheetState::InReview);
    // Nothing of the refused entry is left; the others are stored as one
    // change of version.
    assert!(t.store.record("no-such-station").await.unwrap().is_none());
    assert_eq!(t.store.version().await.unwrap().0, version + 1);
    let rec = t.store.record("01-002").await.unwrap().unwrap();
    assert_eq!(rec.entries.len(), 2);
    // 01-002 is in review and keeps the numbers that counted first.
    let counted = t.store.counted().await.unwrap();
    assert_eq!(counted.len(), 2);
    let c2 = counted.iter().find(|c| c.info.id == "01-002").unwrap();
    assert_eq!(c2.state, SheetState::InReview);
    assert_eq!(c2.counts.options, vec![10, 20]);
    // The same as one entry at a time would give.
    let states = t.store.state_counts().await.unwrap();
    assert!(states.contains(&(SheetState::Agreed, 1)), "{states:?}");
    assert!(states.contains(&(SheetState::InReview, 1)), "{states:?}");
}
both!(batch, a_batch_stores_each_entry_alone);
