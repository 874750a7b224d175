//! The router: public pages and JSON, the witnesses' and reviewers' API
//! and forms. Every route that changes data takes an extractor from
//! [`crate::auth`]; the OpenAPI document marks which routes need a token
//! and a test walks it.

pub mod api;
pub mod error;
pub mod limits;
pub mod pages;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sha2::{Digest, Sha256};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::{RequestBodyDeadlineLayer, RequestBodyTimeoutLayer};

use crate::AppState;

/// Largest photo accepted, in bytes.
pub const UPLOAD_MAX: usize = 8 * 1024 * 1024;
/// Largest body of any other request, in bytes.
pub const BODY_MAX: usize = 64 * 1024;
/// A body must keep arriving: no gap longer than this.
pub const BODY_IDLE: Duration = Duration::from_secs(20);
/// A whole body must arrive within this (a slow upload is cut off): 8 MB
/// in 120 s is 560 kbit/s, slower than a phone's 3G.
pub const BODY_DEADLINE: Duration = Duration::from_secs(120);

/// The Content-Security-Policy of every response: nothing but this
/// origin's own styles, images and forms; no scripts at all.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The service's router over `state`.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::dashboard))
        .route("/units/{level}/{code}", get(pages::unit))
        .route("/stations/{id}", get(pages::station))
        .route("/search", get(pages::search))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/enter", get(pages::enter_form).post(pages::enter))
        .route("/review", get(pages::review_page))
        .route("/review/{station}", post(pages::review_decide))
        .route(
            "/upload",
            post(pages::upload).layer(DefaultBodyLimit::max(UPLOAD_MAX)),
        )
        .route("/static/style.css", get(pages::style))
        .route("/images/{sha256}", get(api::image))
        .route("/healthz", get(api::healthz))
        .route("/openapi.json", get(api::openapi))
        .route("/api/v1/totals", get(api::totals))
        .route("/api/v1/stations/{id}", get(api::station))
        .route("/api/v1/entries", post(api::entries))
        .route(
            "/api/v1/uploads",
            post(api::uploads).layer(DefaultBodyLimit::max(UPLOAD_MAX)),
        )
        .route("/api/v1/uploads/{sha256}", get(api::upload_status))
        .route("/api/v1/review", get(api::review))
        .route("/api/v1/review/{station}", post(api::review_decide))
        .fallback(|| async { error::ApiError::NotFound })
        .layer(DefaultBodyLimit::max(BODY_MAX))
        .layer(middleware::from_fn(headers_and_etag))
        .layer(CompressionLayer::new())
        .layer(RequestBodyLimitLayer::new(UPLOAD_MAX + BODY_MAX))
        .layer(RequestBodyTimeoutLayer::new(BODY_IDLE))
        .layer(RequestBodyDeadlineLayer::new(BODY_DEADLINE))
        .with_state(state)
}

/// Serve `state` on `listener` until Ctrl-C, after appending to the log
/// any counted sheet a killed process left out of it.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    serve_with(state, listener, &limits::Limits::default()).await
}

/// [`serve`] behind `limits` ([`limits::apply`]).
pub async fn serve_with(
    state: AppState,
    listener: tokio::net::TcpListener,
    limits: &limits::Limits,
) -> std::io::Result<()> {
    crate::service::repair_log(&state)
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    state.start_decoder();
    state.start_watcher();
    let app = limits::apply(app(state), limits)
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

/// Security headers on every response; on a successful GET an ETag of
/// the body, and 304 when the client already has it.
async fn headers_and_etag(req: Request, next: Next) -> Response {
    let is_get = req.method() == Method::GET;
    let inm = req.headers().get(header::IF_NONE_MATCH).cloned();
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Not no-referrer: under it Chromium sends `Origin: null` with a
    // form's POST, which the same-origin check must refuse.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !is_get || res.status() != StatusCode::OK {
        return res;
    }
    if !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    let (mut parts, body) = res.into_parts();
    let bytes = match axum::body::to_bytes(body, UPLOAD_MAX * 2).await {
        Ok(b) => b,
        Err(_) => return error::ApiError::Internal("response body".into()).into_response(),
    };
    let digest = Sha256::digest(&bytes);
    let tag = format!("\"{}\"", hex::encode(&digest[..16]));
    if let Ok(v) = HeaderValue::from_str(&tag) {
        parts.headers.insert(header::ETAG, v);
    }
    if inm.as_ref().and_then(|v| v.to_str().ok()) == Some(tag.as_str()) {
        parts.status = StatusCode::NOT_MODIFIED;
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}
