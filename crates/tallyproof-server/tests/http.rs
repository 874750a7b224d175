//! HTTP tests through `oneshot` on `app(state)`, each on SQLite and on
//! PostgreSQL.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

async fn two_witnesses_agree_and_the_sheet_counts(t: common::TestApp) {
    let (s, v) = t.enter(&t.witness1, "01-001", 60, 30).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["sheet"], "pending");
    // Blind: the public page holds the first entry's numbers back.
    let (_, st) = t.json("GET", "/api/v1/stations/01-001", None, None).await;
    assert_eq!(st["status"], "pending");
    assert_eq!(st["entries"][0]["counts"], Value::Null);
    assert_eq!(st["counted"], Value::Null);
    // The same witness again is not a second entry.
    let (_, v) = t.enter(&t.witness1, "01-001", 60, 30).await;
    assert_eq!(v["sheet"], "pending");
    let (s, v) = t.enter(&t.witness2, "01-001", 60, 30).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(v["sheet"], "agreed");
    assert_eq!(v["entry_state"], "matched");
    let (_, st) = t.json("GET", "/api/v1/stations/01-001", None, None).await;
    assert_eq!(st["status"], "agreed");
    assert_eq!(st["counted"]["options"], json!([60, 30]));
    // In the signed log, with a proof against the latest checkpoint.
    assert_eq!(st["proof"]["index"], 0);
    assert_eq!(st["proof"]["tree_size"], 1);
    // Totals: 60 and 30 of 90 valid votes, 1 sheet of 5 stations known
    // to the store (no registry: coverage has no denominator).
    let (_, tot) = t.json("GET", "/api/v1/totals", None, None).await;
    assert_eq!(tot["units"][0]["votes"], json!([60, 30]));
    assert_eq!(tot["units"][0]["sheets"], 1);
    let (_, tot) = t
        .json("GET", "/api/v1/totals?level=region&unit=01", None, None)
        .await;
    assert_eq!(tot["units"][0]["votes"], json!([60, 30]));
    let (s, _) = t
        .json("GET", "/api/v1/totals?level=region&unit=09", None, None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
both!(agree, two_witnesses_agree_and_the_sheet_counts);

async fn a_disagreement_is_reviewed_and_resolved(t: common::TestApp) {
    t.enter(&t.witness1, "01-002", 50, 40).await;
    let (_, v) = t.enter(&t.witness2, "01-002", 55, 40).await;
    assert_eq!(v["sheet"], "in-review");
    assert_eq!(v["entry_state"], "disputed");
    // Witnesses cannot see the queue.
    let (s, _) = t
        .json("GET", "/api/v1/review", Some(&t.witness1), None)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, q) = t
        .json("GET", "/api/v1/review", Some(&t.reviewer), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let item = &q["queue"][0];
    assert_eq!(item["station"], "01-002");
    assert_eq!(item["entries"][0]["counts"]["options"], json!([50, 40]));
    assert_eq!(item["entries"][1]["counts"]["options"], json!([55, 40]));
    let chosen = item["entries"][1]["id"].as_i64().unwrap();
    let (s, _) = t
        .json(
            "POST",
            "/api/v1/review/01-002",
            Some(&t.reviewer),
            Some(json!({"entry": chosen, "note": "the photo shows 55"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, st) = t.json("GET", "/api/v1/stations/01-002", None, None).await;
    assert_eq!(st["status"], "resolved");
    assert_eq!(st["counted"]["options"], json!([55, 40]));
    // A second decision on a resolved sheet is a conflict.
    let (s, _) = t
        .json(
            "POST",
            "/api/v1/review/01-002",
            Some(&t.reviewer),
            Some(json!({"entry": chosen, "note": "again"})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // The decision is kept with who and why.
    let rec = t.store.record("01-002").await.unwrap().unwrap();
    assert_eq!(rec.decisions.len(), 1);
    assert_eq!(rec.decisions[0].reviewer, "Rita");
    assert_eq!(rec.decisions[0].note, "the photo shows 55");
    let (_, q) = t
        .json("GET", "/api/v1/review", Some(&t.reviewer), None)
        .await;
    assert_eq!(q["queue"], json!([]));
}
both!(review, a_disagreement_is_reviewed_and_resolved);

async fn validation_codes_become_the_422_field_map(t: common::TestApp) {
    // 10 + 5 is not 16: E006 from tallyproof_core::sheet::validate.
    let (s, v) = t.enter(&t.witness1, "01-003", 10, 5).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let body = json!({"station": "01-003", "fields": {"A": "10", "B": "5", "registered": "100", "valid": "16"}});
    let (s, v) = t
        .json("POST", "/api/v1/entries", Some(&t.witness2), Some(body))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["fields"]["E006"].is_array(), "{v}");
    // "1O" for 10: E003 from parse_fields.
    let body = json!({"station": "01-003", "fields": {"A": "1O", "B": "5", "registered": "100", "valid": "15"}});
    let (s, v) = t
        .json("POST", "/api/v1/entries", Some(&t.witness2), Some(body))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["fields"]["E003"].is_array(), "{v}");
    // Unknown station.
    let (s, v) = t.enter(&t.witness2, "99-999", 1, 1).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["fields"]["station"].is_array(), "{v}");
    // Nothing rejected was stored.
    let rec = t.store.record("01-003").await.unwrap().unwrap();
    assert_eq!(rec.entries.len(), 1);
}
both!(validation, validation_codes_become_the_422_field_map);

async fn an_idempotency_key_makes_a_retry_harmless(t: common::TestApp) {
    let body = json!({"station": "02-001", "fields": {"A": "1", "B": "2", "registered": "100", "valid": "3"}, "idempotency_key": "k-1"});
    let (s1, v1) = t
        .json(
            "POST",
            "/api/v1/entries",
            Some(&t.witness1),
            Some(body.clone()),
        )
        .await;
    let (s2, v2) = t
        .json("POST", "/api/v1/entries", Some(&t.witness1), Some(body))
        .await;
    assert_eq!(s1, StatusCode::CREATED);
    assert_eq!(s2, StatusCode::OK);
    assert_eq!(v1["entry"], v2["entry"]);
    assert_eq!(v2["replayed"], true);
    assert_eq!(
        t.store
            .record("02-001")
            .await
            .unwrap()
            .unwrap()
            .entries
            .len(),
        1
    );
}
both!(idempotency, an_idempotency_key_makes_a_retry_harmless);

async fn scopes_and_roles(t: common::TestApp) {
    let (s, _) = t.enter(&t.scoped, "01-001", 1, 2).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = t.enter(&t.scoped, "02-002", 1, 2).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = t.enter("tp_0000", "02-002", 1, 2).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = t
        .json(
            "POST",
            "/api/v1/review/02-002",
            Some(&t.witness1),
            Some(json!({"entry": 1, "note": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
both!(scopes, scopes_and_roles);

async fn every_route_that_needs_a_token_refuses_without_one(t: common::TestApp) {
    let (s, doc) = t.json("GET", "/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    let paths = doc["paths"].as_object().unwrap();
    let mut checked = 0;
    for (path, ops) in paths {
        let concrete = path
            .replace("{id}", "01-001")
            .replace("{station}", "01-001")
            .replace("{level}", "region")
            .replace("{code}", "01")
            .replace("{sha256}", &"0".repeat(64));
        for (method, op) in ops.as_object().unwrap() {
            let secured = op.get("security").is_some();
            let m = method.to_uppercase();
            // Every route that changes data needs a token, but logging in.
            if m != "GET" && path != "/login" {
                assert!(
                    secured,
                    "{m} {path} changes data and is not marked as needing a token"
                );
            }
            let req = Request::builder()
                .method(m.as_str())
                .uri(&concrete)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("csrf=x&entry=1&note=x&token=x"))
                .unwrap();
            let (status, _, _) = t.call(req).await;
            if secured {
                assert_eq!(
                    status,
                    StatusCode::UNAUTHORIZED,
                    "{m} {path} without a token"
                );
                checked += 1;
            } else if path != "/login" {
                // (Logging in with a wrong token is a 401 by design.)
                assert_ne!(status, StatusCode::UNAUTHORIZED, "{m} {path} is public");
            }
        }
    }
    assert!(checked >= 8, "only {checked} secured routes found");
}
both!(
    tokens_required,
    every_route_that_needs_a_token_refuses_without_one
);

async fn pages_render_and_forms_need_csrf(t: common::TestApp) {
    t.enter(&t.witness1, "01-001", 60, 30).await;
    t.enter(&t.witness2, "01-001", 60, 30).await;
    let (s, html) = t.get_html("/", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Test election"), "{html}");
    assert!(html.contains("66.67%"), "A's share, 60/90: {html}");
    let (s, html) = t.get_html("/stations/01-001", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("agreed") && html.contains("Leaf 0"), "{html}");
    let (s, html) = t.get_html("/units/region/01", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("01-d"), "{html}");
    let (s, html) = t.get_html("/units/district/01-d", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("/stations/01-001"), "{html}");
    let (s, html) = t.get_html("/search?q=Region%2002", None).await;
    assert_eq!(s, StatusCode::OK);
    let (s2, _) = t.get_html("/search?q=01-001", None).await;
    assert_eq!(s2, StatusCode::SEE_OTHER);
    let _ = html;
    // The entry form for a logged-in witness carries a CSRF field.
    let (s, html) = t.get_html("/enter", Some(&t.witness1)).await;
    assert_eq!(s, StatusCode::OK);
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let post = |csrf: String, origin: Option<&'static str>| {
        let mut b = Request::builder()
            .method("POST")
            .uri("/enter")
            .header(header::COOKIE, format!("tp_token={}", t.witness1))
            .header(header::HOST, "localhost")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(o) = origin {
            b = b.header(header::ORIGIN, o);
        }
        b.body(Body::from(format!(
            "csrf={csrf}&station=02-002&A=3&B=4&registered=100&valid=7"
        )))
        .unwrap()
    };
    let (s, _, _) = t.call(post("wrong".into(), None)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = t
        .call(post(csrf.clone(), Some("https://evil.example")))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, body) = t.call(post(csrf, Some("http://localhost"))).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(
        t.store
            .record("02-002")
            .await
            .unwrap()
            .unwrap()
            .entries
            .len(),
        1
    );
}
both!(pages, pages_render_and_forms_need_csrf);

async fn gets_have_etags_csp_and_gzip(t: common::TestApp) {
    let req = Request::builder()
        .uri("/api/v1/totals")
        .body(Body::empty())
        .unwrap();
    let (s, h, _) = t.call(req).await;
    assert_eq!(s, StatusCode::OK);
    let csp = h
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'none'"));
    let etag = h.get(header::ETAG).unwrap().clone();
    let req = Request::builder()
        .uri("/api/v1/totals")
        .header(header::IF_NONE_MATCH, etag)
        .body(Body::empty())
        .unwrap();
    let (s, _, body) = t.call(req).await;
    assert_eq!(s, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    let req = Request::builder()
        .uri("/")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let (_, h, _) = t.call(req).await;
    assert_eq!(h.get(header::CONTENT_ENCODING).unwrap(), "gzip");
}
both!(etags, gets_have_etags_csp_and_gzip);

async fn a_large_body_is_refused(t: common::TestApp) {
    let big = "x".repeat(100 * 1024);
    let body = json!({"station": "01-001", "fields": {"A": big}});
    let (s, _) = t
        .json("POST", "/api/v1/entries", Some(&t.witness1), Some(body))
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
}
both!(body_limit, a_large_body_is_refused);

async fn photos_are_sniffed_and_stored_by_hash(t: common::TestApp) {
    let boundary = "XyZ";
    let form = |bytes: &[u8]| {
        let mut b = Vec::new();
        b.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"station\"\r\n\r\n01-001\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"../../etc/passwd\"\r\nContent-Type: image/png\r\n\r\n").as_bytes());
        b.extend_from_slice(bytes);
        b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        Request::builder()
            .method("POST")
            .uri("/api/v1/uploads")
            .header(header::AUTHORIZATION, format!("Bearer {}", t.witness1))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(b))
            .unwrap()
    };
    let (s, _, body) = t.call(form(b"GIF89a not an image we take")).await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        String::from_utf8_lossy(&body)
    );
    // A real PNG without a QR code: stored, and the answer asks for a close-up.
    let mut png = Vec::new();
    let img = image::RgbImage::from_pixel(64, 64, image::Rgb([255, 255, 255]));
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let (s, _, body) = t.call(form(&png)).await;
    assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&body));
    let v: Value = serde_json::from_slice(&body).unwrap();
    use sha2::Digest;
    assert_eq!(v["sha256"], hex::encode(sha2::Sha256::digest(&png)));
    assert_eq!(v["qr"]["qr"], "unread", "{v}");
    assert!(v["qr"]["advice"].as_str().unwrap().contains("close-up"));
    let (s, h, got) = t
        .call(
            Request::builder()
                .uri(format!("/images/{}", v["sha256"].as_str().unwrap()))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h.get(header::CONTENT_TYPE).unwrap(), "image/png");
    assert_eq!(got, png);
    // A path in place of a hash reaches nothing.
    let (s, _, _) = t
        .call(
            Request::builder()
                .uri("/images/..%2F..%2Fetc%2Fpasswd")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
both!(uploads, photos_are_sniffed_and_stored_by_hash);

/// A multipart upload of `bytes` for `station` by `token`.
fn upload(token: &str, station: &str, bytes: &[u8]) -> Request<Body> {
    let boundary = "b0undary";
    let mut b = Vec::new();
    b.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"station\"\r\n\r\n{station}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"sheet.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes());
    b.extend_from_slice(bytes);
    b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Request::builder()
        .method("POST")
        .uri("/api/v1/uploads")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(b))
        .unwrap()
}

async fn the_same_photo_for_two_stations_puts_both_in_review(t: common::TestApp) {
    // 01-001 counts (two witnesses agree); 01-002 has no entry yet.
    t.enter(&t.witness1, "01-001", 60, 30).await;
    let (_, v) = t.enter(&t.witness2, "01-001", 60, 30).await;
    assert_eq!(v["sheet"], "agreed");
    let mut png = Vec::new();
    let img =
        image::RgbImage::from_fn(48, 48, |x, y| image::Rgb([(x * 5) as u8, (y * 5) as u8, 7]));
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(&png));
    let (s, _, body) = t.call(upload(&t.witness1, "01-001", &png)).await;
    assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&body));
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["flag"], Value::Null, "a first photo is not flagged");
    // The same photo again for the same station: nothing to flag.
    let (_, _, body) = t.call(upload(&t.witness1, "01-001", &png)).await;
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["already_stored"], true);
    assert_eq!(v["flag"], Value::Null);
    let (_, st) = t.json("GET", "/api/v1/stations/01-001", None, None).await;
    assert_eq!(st["status"], "agreed");
    // Another witness sends it for another station: both go to review.
    let (s, _, body) = t.call(upload(&t.witness2, "01-002", &png)).await;
    assert_eq!(s, StatusCode::CREATED);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert!(
        v["flag"]
            .as_str()
            .unwrap()
            .contains("already sent for station 01-001"),
        "{v}"
    );
    let (_, a) = t.json("GET", "/api/v1/stations/01-001", None, None).await;
    assert_eq!(a["status"], "in-review", "{a}");
    let reason = a["flags"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("later, for station 01-002"), "{reason}");
    assert_eq!(a["flags"][0]["sha256"], sha);
    // The numbers agreed before still count until a reviewer decides.
    assert_eq!(a["counted"]["options"], json!([60, 30]));
    let (_, b) = t.json("GET", "/api/v1/stations/01-002", None, None).await;
    assert_eq!(b["status"], "in-review", "{b}");
    assert!(
        b["flags"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("earlier, for station 01-001")
    );
    assert_eq!(b["photos"][0]["sha256"], sha, "the photo shows on both");
    // The reviewer's queue holds both, with the reason and the photo.
    let (_, q) = t
        .json("GET", "/api/v1/review", Some(&t.reviewer), None)
        .await;
    let queued: Vec<&str> = q["queue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["station"].as_str().unwrap())
        .collect();
    assert_eq!(queued.len(), 2, "{q}");
    assert!(queued.contains(&"01-001") && queued.contains(&"01-002"));
    for x in q["queue"].as_array().unwrap() {
        assert_eq!(x["flags"].as_array().unwrap().len(), 1, "{x}");
        assert_eq!(x["photos"][0], sha);
    }
    let (_, html) = t.get_html("/review", Some(&t.reviewer)).await;
    assert!(html.contains("Flagged: the same photo"), "{html}");
    // A witness's entry for the flagged station waits for the reviewer,
    // who decides it.
    let (_, v) = t.enter(&t.witness1, "01-002", 50, 40).await;
    assert_eq!(v["sheet"], "in-review", "{v}");
    let id = v["entry"].as_i64().unwrap();
    let (s, v) = t
        .json(
            "POST",
            "/api/v1/review/01-002",
            Some(&t.reviewer),
            Some(json!({"entry": id, "note": "the photo is of 01-001; this entry matches the paper"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, b) = t.json("GET", "/api/v1/stations/01-002", None, None).await;
    assert_eq!(b["status"], "resolved");
    assert_eq!(b["counted"]["options"], json!([50, 40]));
}
both!(
    reused_photo,
    the_same_photo_for_two_stations_puts_both_in_review
);

async fn the_api_takes_a_bearer_token_not_the_login_cookie(t: common::TestApp) {
    // A logged-in browser's cookie does not act on the JSON API: another
    // site's form could send it there without the pages' CSRF field.
    let body = json!({"station": "01-001", "fields": {"A": "1", "B": "2", "registered": "100", "valid": "3"}});
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/entries")
        .header(header::COOKIE, format!("tp_token={}", t.witness1))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let (s, _, _) = t.call(req).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // The same token as a Bearer header is accepted.
    let (s, _) = t
        .json("POST", "/api/v1/entries", Some(&t.witness1), Some(body))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // And the cookie still opens the pages.
    let (s, html) = t.get_html("/enter", Some(&t.witness1)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("action=\"/upload\""),
        "the photo form posts to the page route"
    );
}
both!(
    bearer_only_api,
    the_api_takes_a_bearer_token_not_the_login_cookie
);
