//! One error for every handler: a status, and a JSON body under
//! `/api/v1` (an HTML page for the forms, see [`super::pages`]). A 422
//! carries a map from the core library's rule codes (or a field name) to
//! messages. Database and internal errors are 500s whose details go to
//! the log, never to the client.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tallyproof_core::model::Reason;

use crate::store::StoreError;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No token, or an unknown one.
    #[error("this needs a valid token (Authorization: Bearer …)")]
    Unauthorized,
    /// The token does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// Nothing here.
    #[error("not found")]
    NotFound,
    /// The input does not pass validation: rule code or field → messages.
    #[error("the sheet does not pass validation")]
    Unprocessable(BTreeMap<String, Vec<String>>),
    /// The state does not allow this now.
    #[error("{0}")]
    Conflict(String),
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// Too large.
    #[error("{0}")]
    TooLarge(String),
    /// The service is busy: try again later.
    #[error("{0}")]
    Busy(String),
    /// Anything else; the detail is logged, not shown.
    #[error("internal error")]
    Internal(String),
}

#[derive(Serialize)]
struct Body<'a> {
    error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<&'a BTreeMap<String, Vec<String>>>,
}

impl ApiError {
    /// A 422 from the core library's reasons, keyed by rule code.
    pub fn from_reasons(reasons: &[Reason]) -> ApiError {
        let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for r in reasons {
            m.entry(r.rule.code().to_string())
                .or_default()
                .push(r.message.clone());
        }
        ApiError::Unprocessable(m)
    }

    /// A 422 on one field.
    pub fn field(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::Unprocessable(BTreeMap::from([(field.to_string(), vec![message.into()])]))
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The field map of a 422.
    pub fn fields(&self) -> Option<&BTreeMap<String, Vec<String>>> {
        match self {
            ApiError::Unprocessable(m) => Some(m),
            _ => None,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::UnknownStation(s) => ApiError::field(
                "station",
                format!("{s:?} is not a station of this election"),
            ),
            StoreError::UnknownEntry(id) => {
                ApiError::field("entry", format!("entry {id} is not one of this station's"))
            }
            StoreError::Forbidden(f) => ApiError::Conflict(f.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let status = self.status();
        let body = Body {
            error: self.to_string(),
            fields: self.fields(),
        };
        let mut r = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}
