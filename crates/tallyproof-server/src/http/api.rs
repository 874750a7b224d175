//! The JSON API under `/api/v1`, `/healthz`, `/openapi.json` and photos.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tallyproof_core::sheet::{Origin, SourceKind, parse_fields};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

use super::error::ApiError;
use crate::AppState;
use crate::auth::{AnyWitness, Reviewer};
use crate::flow::SheetState;
use crate::store::{EntryRow, NewUpload, StationRecord};
use crate::upload::{QrResult, sniff};

/// The OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(title = "tallyproof", description = "Tally sheets on election night: witnesses' double entry, review, public results"),
    paths(
        healthz, totals, station, entries, uploads, upload_status, review, review_decide, image,
        super::pages::dashboard, super::pages::unit, super::pages::station, super::pages::search,
        super::pages::login_form, super::pages::login, super::pages::logout, super::pages::enter_form,
        super::pages::enter, super::pages::review_page, super::pages::review_decide, super::pages::upload
    ),
    components(schemas(EntryRequest, DecisionRequest, UploadBody, super::pages::LoginForm, super::pages::CsrfForm, super::pages::DecisionForm)),
    modifiers(&Security)
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
        }
    }
}

/// Whether the service and its store answer.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "up")))]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let (version, _) = state.store.version().await?;
    let pending = state.store.pending_upload_count().await?;
    Ok(Json(
        json!({ "ok": true, "version": version, "photos_pending": pending }),
    ))
}

/// This document.
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// `?level=L&unit=U`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct TotalsQuery {
    /// A level key of the config; none for the nation.
    pub level: Option<String>,
    /// A unit code of that level; none for every unit.
    pub unit: Option<String>,
}

/// Totals, shares and coverage of the counted sheets: national, every unit
/// of a level, or one unit.
#[utoipa::path(get, path = "/api/v1/totals", params(TotalsQuery), responses((status = 200, description = "totals"), (status = 404, description = "no such level or unit")))]
pub async fn totals(
    State(state): State<AppState>,
    Query(q): Query<TotalsQuery>,
) -> Result<Json<Value>, ApiError> {
    let snap = state.snapshot().await?;
    let tab = match q.level.as_deref() {
        None => &snap.national,
        Some(l) => {
            let i = state
                .cfg
                .levels
                .iter()
                .position(|x| x.key == l)
                .ok_or(ApiError::NotFound)?;
            &snap.levels[i]
        }
    };
    let units: Vec<_> = match q.unit.as_deref() {
        Some(u) => tab.units.iter().filter(|x| x.code == u).collect(),
        None => tab.units.iter().collect(),
    };
    if units.is_empty() && q.unit.is_some() {
        return Err(ApiError::NotFound);
    }
    Ok(Json(json!({
        "level": q.level,
        "options": tab.options,
        "denominator": tab.denominator,
        "units": units,
        "last_change": snap.last_change.map(crate::rfc3339),
    })))
}

/// The public view of an entry: numbers shown only once the sheet counts
/// (blind entry), or when it is an import.
pub fn public_entries(rec: &StationRecord) -> Vec<Value> {
    let open = matches!(rec.sheet, Some(SheetState::Agreed | SheetState::Resolved));
    rec.entries
        .iter()
        .map(|e: &EntryRow| {
            let show = open || matches!(e.kind, SourceKind::Import | SourceKind::Official);
            json!({
                "id": e.id,
                "source": e.kind.as_str(),
                "by": e.witness_name,
                "state": e.state.as_str(),
                "received": crate::rfc3339(e.at),
                "counts": if show { serde_json::to_value(&e.counts).unwrap_or(Value::Null) } else { Value::Null },
                "file": e.origin.file,
                "image_sha256": e.origin.image_sha256,
            })
        })
        .collect()
}

/// A station's sheet: its status, the numbers that count, every source,
/// photos, and its inclusion proof in the signed log.
#[utoipa::path(get, path = "/api/v1/stations/{id}", params(("id" = String, Path, description = "station id")), responses((status = 200, description = "the station"), (status = 404, description = "unknown station")))]
pub async fn station(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let rec = state.record(&id).await?.ok_or(ApiError::NotFound)?;
    let proof = match state.log.as_ref() {
        Some(log) => log
            .prove(&id)
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .last()
            .map(|p| json!({
                "index": p.index,
                "tree_size": p.tree_size,
                "leaf_hash": p.leaf_hash.to_hex(),
                "inclusion_proof": p.inclusion_proof.iter().map(|h| h.to_hex()).collect::<Vec<_>>(),
                "checkpoint": p.checkpoint,
                "tlog_proof": p.to_tlog_proof(),
            })),
        None => None,
    };
    Ok(Json(station_json(&state.cfg, &rec, proof)))
}

/// The public JSON of a station's record, with `proof` as given (the live
/// proof, or where a static export keeps it).
pub fn station_json(
    cfg: &tallyproof_core::Config,
    rec: &StationRecord,
    proof: Option<Value>,
) -> Value {
    let counted = rec
        .counted_entry
        .and_then(|c| rec.entries.iter().find(|e| e.id == c))
        .map(|e| &e.counts);
    json!({
        "station": rec.info.id,
        "units": rec.info.units,
        "registered": rec.info.registered,
        "status": rec.sheet.map(SheetState::as_str),
        "options": cfg.options.iter().map(|o| o.key.clone()).collect::<Vec<_>>(),
        "counted": counted,
        "entries": public_entries(rec),
        "photos": rec.uploads.iter().map(|u| json!({"sha256": u.sha256, "qr": u.qr_status})).collect::<Vec<_>>(),
        "flags": rec.flags.iter().map(|f| json!({"reason": f.reason, "sha256": f.sha256, "at": crate::rfc3339(f.at)})).collect::<Vec<_>>(),
        "proof": proof,
    })
}

/// A witness's transcription of one sheet.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EntryRequest {
    /// The station id.
    pub station: String,
    /// Option keys and `registered`, `valid`, `null`, `blank`, `ballots`,
    /// `issued`, as typed.
    pub fields: BTreeMap<String, String>,
    /// A key of the client's choosing: a retry with the same key stores
    /// nothing new and returns the first receipt (also as the
    /// `Idempotency-Key` header).
    pub idempotency_key: Option<String>,
}

/// The answer to an entry: its state and the sheet's, never the other
/// entries' numbers (entry is blind).
#[derive(Debug, Serialize)]
struct EntryResponse {
    entry: i64,
    entry_state: &'static str,
    sheet: &'static str,
    replayed: bool,
    message: &'static str,
}

/// What an entry's outcome means to the witness who sent it.
pub fn message(sheet: SheetState, entry: crate::flow::EntryState) -> &'static str {
    use crate::flow::EntryState as E;
    match (sheet, entry) {
        (SheetState::Pending, _) => {
            "received: the sheet counts once a second, independent entry agrees"
        }
        (_, E::Matched) => "received: it agrees with an independent entry, and the sheet counts",
        (SheetState::InReview, _) | (_, E::Disputed) => {
            "received: it differs from another entry of this sheet; a reviewer will compare them with the photo"
        }
        _ => "received",
    }
}

/// Send a transcription (token of a witness whose scope covers the station).
#[utoipa::path(post, path = "/api/v1/entries", request_body = EntryRequest, security(("bearer" = [])), responses((status = 201, description = "stored"), (status = 200, description = "a retry: the first receipt"), (status = 401, description = "no valid token"), (status = 403, description = "station outside the token's scope"), (status = 422, description = "does not pass validation: rule code → messages")))]
pub async fn entries(
    State(state): State<AppState>,
    AnyWitness(w): AnyWitness,
    headers: HeaderMap,
    Json(req): Json<EntryRequest>,
) -> Result<Response, ApiError> {
    let key = req.idempotency_key.clone().or_else(|| {
        headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    });
    if key.as_ref().is_some_and(|k| k.len() > 200) {
        return Err(ApiError::field("idempotency_key", "longer than 200 bytes"));
    }
    let receipt = submit_typed(&state, &w, &req.station, &req.fields, key).await?;
    let status = if receipt.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let body = EntryResponse {
        entry: receipt.entry,
        entry_state: receipt.entry_state.as_str(),
        sheet: receipt.sheet.as_str(),
        replayed: receipt.replayed,
        message: message(receipt.sheet, receipt.entry_state),
    };
    Ok((status, Json(body)).into_response())
}

/// A typed entry through the core library's parser, then stored.
pub async fn submit_typed(
    state: &AppState,
    w: &crate::store::Witness,
    station: &str,
    fields: &BTreeMap<String, String>,
    key: Option<String>,
) -> Result<crate::store::Receipt, ApiError> {
    let station = station.trim();
    if !w.covers(station) {
        return Err(ApiError::Forbidden(format!(
            "station {station:?} is outside this token's scope"
        )));
    }
    let mut origin = Origin::new(SourceKind::Witness);
    origin.submitted_by = Some(w.name.clone());
    origin.received_at = Some(crate::rfc3339(crate::now()));
    let sheet = parse_fields(&state.cfg, station, fields, origin)
        .map_err(|r| ApiError::from_reasons(&r))?;
    crate::service::submit_sheet(state, sheet, Some(w.id), key).await
}

/// Send a photo of a sheet (multipart: `photo`, and optionally `station`).
/// Answers whether its QR code was read when the decoder gets to it within
/// the server's wait (`serve --upload-wait-ms`, 1.5 s by default; 201);
/// otherwise 202 with where the result will be. When the code was not
/// read, the answer asks for a close-up of the code.
#[utoipa::path(post, path = "/api/v1/uploads", request_body(content = UploadBody, content_type = "multipart/form-data"), security(("bearer" = [])), responses((status = 201, description = "stored and decoded; qr says whether the code was read"), (status = 202, description = "stored; not decoded yet: qr.check is where the result will be"), (status = 401, description = "no valid token"), (status = 413, description = "too large"), (status = 422, description = "not a JPEG or PNG"), (status = 503, description = "too many photos wait for the decoder: not stored; send again later")))]
pub async fn uploads(
    State(state): State<AppState>,
    AnyWitness(w): AnyWitness,
    form: Multipart,
) -> Result<Response, ApiError> {
    let f = read_upload(form).await?;
    let v = receive_photo(&state, &w, f.photo, f.station).await?;
    let status = if v["qr"]["qr"] == "pending" {
        StatusCode::ACCEPTED
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(v)).into_response())
}

/// A photo upload, as the OpenAPI document describes it (multipart).
#[derive(Debug, ToSchema)]
pub struct UploadBody {
    /// The photo: JPEG or PNG bytes.
    #[schema(value_type = String, format = Binary)]
    pub photo: Vec<u8>,
    /// The station it is sent for.
    pub station: Option<String>,
    /// The HTML form's CSRF field (`/upload` only).
    pub csrf: Option<String>,
}

/// The fields of an upload form.
pub struct UploadForm {
    /// The photo's bytes, when sent.
    pub photo: Option<Vec<u8>>,
    /// The station it is sent for, when given.
    pub station: Option<String>,
    /// The form's CSRF field (the HTML form's), when given.
    pub csrf: Option<String>,
}

/// Read a multipart upload: `photo`, `station` and `csrf`; other fields
/// are skipped.
pub async fn read_upload(mut form: Multipart) -> Result<UploadForm, ApiError> {
    let mut f = UploadForm {
        photo: None,
        station: None,
        csrf: None,
    };
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| ApiError::BadRequest(e.to_string()))?
    {
        match field.name() {
            Some("photo") => {
                let b = field.bytes().await.map_err(|e| {
                    ApiError::TooLarge(format!("the photo could not be read whole: {e}"))
                })?;
                f.photo = Some(b.to_vec());
            }
            Some(name @ ("station" | "csrf")) => {
                let slot = if name == "station" {
                    &mut f.station
                } else {
                    &mut f.csrf
                };
                let t = field
                    .text()
                    .await
                    .map_err(|e| ApiError::BadRequest(e.to_string()))?;
                let t = t.trim().to_string();
                if !t.is_empty() {
                    *slot = Some(t);
                }
            }
            _ => {}
        }
    }
    Ok(f)
}

/// Sniff, store and decode a photo from `w` for `station`: the answer the
/// API sends (and the HTML receipt shows), `qr` saying whether the code
/// was read.
pub async fn receive_photo(
    state: &AppState,
    w: &crate::store::Witness,
    photo: Option<Vec<u8>>,
    station: Option<String>,
) -> Result<Value, ApiError> {
    let bytes = photo.ok_or_else(|| ApiError::field("photo", "no photo field"))?;
    let content_type =
        sniff(&bytes).ok_or_else(|| ApiError::field("photo", "not a JPEG or PNG image"))?;
    if let Some(s) = &station {
        if !w.covers(s) {
            return Err(ApiError::Forbidden(format!(
                "station {s:?} is outside this token's scope"
            )));
        }
        if state.store.station(s).await?.is_none() {
            return Err(ApiError::field(
                "station",
                format!("{s:?} is not a station of this election"),
            ));
        }
    }
    if state.decoder.backlog() >= crate::upload::BACKLOG_LIMIT {
        return Err(ApiError::Busy(format!(
            "{} photos wait for the QR decoder: this one was not stored; send it again in a minute, or type the numbers",
            state.decoder.backlog()
        )));
    }
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let result = state.decoder.watch(&sha256);
    let prior = state
        .store
        .put_upload(NewUpload {
            sha256: sha256.clone(),
            content_type,
            bytes,
            station: station.clone(),
            uploaded_by: w.id,
            at: crate::now(),
        })
        .await;
    let prior = match prior {
        Ok(p) => p,
        Err(e) => {
            state.decoder.unwatch(&sha256);
            return Err(e.into());
        }
    };
    if let Some(s) = &station {
        state.records.evict(s);
    }
    let flag = match (&prior, &station) {
        (Some(Some(first)), Some(s)) if s != first => {
            flag_reused_photo(state, &sha256, first, s, w.id).await?;
            Some(format!(
                "this photo was already sent for station {first}: the same image for two stations puts both in review"
            ))
        }
        _ => None,
    };
    let qr: Value = if prior.is_some() {
        state.decoder.unwatch(&sha256);
        match state.store.upload(&sha256).await? {
            Some(u) if u.qr_status == "pending" => pending_json(state, &sha256),
            Some(u) => json!({"qr": u.qr_status, "station": u.qr_station, "reason": u.qr_reason}),
            None => Value::Null,
        }
    } else {
        let wait = state.decoder.worth_waiting();
        state.decoder.queued();
        if wait {
            match tokio::time::timeout(state.decoder.wait(), result).await {
                Ok(Ok(r)) => qr_json(&r),
                _ => pending_json(state, &sha256),
            }
        } else {
            pending_json(state, &sha256)
        }
    };
    Ok(json!({
        "sha256": sha256,
        "content_type": content_type,
        "station": station,
        "already_stored": prior.is_some(),
        "flag": flag,
        "qr": qr,
    }))
}

/// The same photo sent for two stations: both sheets go to review, each
/// with a reason naming the other.
async fn flag_reused_photo(
    state: &AppState,
    sha256: &str,
    first: &str,
    second: &str,
    by: i64,
) -> Result<(), ApiError> {
    let at = crate::now();
    let short = &sha256[..12];
    for (station, other, how) in [(first, second, "later"), (second, first, "earlier")] {
        let reason = format!(
            "the same photo (sha256 {short}…) was sent for this station and, {how}, for station {other}"
        );
        state
            .store
            .flag(station, &reason, Some(sha256), Some(by), at)
            .await?;
        state.records.evict(station);
    }
    Ok(())
}

/// A photo not decoded yet: where to look for its result.
fn pending_json(state: &AppState, sha256: &str) -> Value {
    json!({
        "qr": "pending",
        "check": format!("/api/v1/uploads/{sha256}"),
        "queue": state.decoder.backlog(),
    })
}

fn qr_json(r: &QrResult) -> Value {
    match r {
        QrResult::Read {
            station,
            entry,
            problem,
        } => json!({
            "qr": "read",
            "station": station,
            "entry": entry.as_ref().map(|e| json!({"entry": e.entry, "entry_state": e.entry_state.as_str(), "sheet": e.sheet.as_str()})),
            "problem": problem,
        }),
        QrResult::Unread { reason, advice } => {
            json!({"qr": "unread", "reason": reason, "advice": advice})
        }
    }
}

fn check_sha(s: &str) -> Result<(), ApiError> {
    if s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

/// Whether a photo's QR code was read.
#[utoipa::path(get, path = "/api/v1/uploads/{sha256}", params(("sha256" = String, Path, description = "the photo's SHA-256")), responses((status = 200, description = "the photo's decoding"), (status = 404, description = "unknown")))]
pub async fn upload_status(
    State(state): State<AppState>,
    Path(sha): Path<String>,
) -> Result<Json<Value>, ApiError> {
    check_sha(&sha)?;
    let u = state.store.upload(&sha).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(
        json!({"sha256": u.sha256, "station": u.station, "qr": u.qr_status, "qr_station": u.qr_station, "reason": u.qr_reason}),
    ))
}

/// A photo, by its SHA-256 (never by a name).
#[utoipa::path(get, path = "/images/{sha256}", params(("sha256" = String, Path, description = "the photo's SHA-256")), responses((status = 200, description = "the image"), (status = 404, description = "unknown")))]
pub async fn image(
    State(state): State<AppState>,
    Path(sha): Path<String>,
) -> Result<Response, ApiError> {
    check_sha(&sha)?;
    let (ct, bytes) = state
        .store
        .upload_bytes(&sha)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&ct).map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    Ok(r)
}

/// The review queue: each station in review with its entries side by side
/// and its photos.
#[utoipa::path(get, path = "/api/v1/review", security(("bearer" = [])), responses((status = 200, description = "stations in review"), (status = 401, description = "no valid token"), (status = 403, description = "not a reviewer")))]
pub async fn review(
    State(state): State<AppState>,
    Reviewer(_): Reviewer,
) -> Result<Json<Value>, ApiError> {
    let mut out = Vec::new();
    for s in state.store.review_queue(100).await? {
        if let Some(rec) = state.store.record(&s).await? {
            out.push(json!({
                "station": s,
                "entries": rec.entries.iter().map(|e| json!({
                    "id": e.id, "source": e.kind.as_str(), "by": e.witness_name,
                    "state": e.state.as_str(), "counts": e.counts, "received": crate::rfc3339(e.at),
                })).collect::<Vec<_>>(),
                "photos": rec.uploads.iter().map(|u| u.sha256.clone()).collect::<Vec<_>>(),
                "flags": rec.flags.iter().map(|f| json!({"reason": f.reason, "sha256": f.sha256, "by": f.who, "at": crate::rfc3339(f.at)})).collect::<Vec<_>>(),
            }));
        }
    }
    Ok(Json(
        json!({ "options": state.cfg.options.iter().map(|o| o.key.clone()).collect::<Vec<_>>(), "queue": out }),
    ))
}

/// A reviewer's decision.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DecisionRequest {
    /// The entry whose numbers are right.
    pub entry: i64,
    /// Why (kept with the decision).
    pub note: String,
}

/// Decide a sheet in review: the chosen entry's numbers count.
#[utoipa::path(post, path = "/api/v1/review/{station}", params(("station" = String, Path, description = "station id")), request_body = DecisionRequest, security(("bearer" = [])), responses((status = 200, description = "resolved"), (status = 401, description = "no valid token"), (status = 403, description = "not a reviewer"), (status = 409, description = "the sheet is not in review")))]
pub async fn review_decide(
    State(state): State<AppState>,
    Reviewer(w): Reviewer,
    Path(station): Path<String>,
    Json(req): Json<DecisionRequest>,
) -> Result<Json<Value>, ApiError> {
    if req.note.len() > 2000 {
        return Err(ApiError::field("note", "longer than 2,000 bytes"));
    }
    crate::service::decide(&state, &station, w.id, req.entry, &req.note).await?;
    Ok(Json(
        json!({"station": station, "sheet": SheetState::Resolved.as_str(), "entry": req.entry}),
    ))
}
