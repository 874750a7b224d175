//! The answer to a photo says at once whether its QR code was read, and
//! when it was not, why, and asks for a close-up of the code.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;

#[tokio::test]
async fn an_unread_photo_is_answered_at_once_with_the_reason_and_a_close_up_request() {
    let t = common::TestApp::new(common::Backend::Sqlite).await.unwrap();
    // A grey JPEG with no code in it.
    let img = image::GrayImage::from_fn(400, 300, |x, y| {
        image::Luma([((x * 7 + y * 3) % 200) as u8])
    });
    let mut jpeg = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut jpeg),
        image::ImageFormat::Jpeg,
    )
    .unwrap();
    let mut b = Vec::new();
    b.extend_from_slice(
        b"--B\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.jpg\"\r\n\r\n",
    );
    b.extend_from_slice(&jpeg);
    b.extend_from_slice(b"\r\n--B--\r\n");
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/uploads")
        .header(header::AUTHORIZATION, format!("Bearer {}", t.witness1))
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=B")
        .body(Body::from(b))
        .unwrap();
    let (s, _, body) = t.call(req).await;
    assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&body));
    let v: Value = serde_json::from_slice(&body).unwrap();
    // Decided within the request, not left pending.
    assert_eq!(v["qr"]["qr"], "unread", "{v}");
    let reason = v["qr"]["reason"].as_str().unwrap();
    assert!(reason.contains("no QR code decoded"), "{reason}");
    let advice = v["qr"]["advice"].as_str().unwrap();
    assert!(advice.contains("close-up of the QR code"), "{advice}");
    assert!(advice.contains("type the numbers"), "{advice}");
    // The store says the same.
    let sha = v["sha256"].as_str().unwrap();
    let (_, st) = t
        .json("GET", &format!("/api/v1/uploads/{sha}"), None, None)
        .await;
    assert_eq!(st["qr"], "unread", "{st}");
}
