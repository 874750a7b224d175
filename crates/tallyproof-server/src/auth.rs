//! Tokens and who may do what.
//!
//! A token is 256 random bits, shown once when made; the store keeps only
//! its SHA-256. A request's token is hashed, looked up by its hash, and
//! the stored hash compared with the computed one in constant time
//! (`subtle`). Tokens never reach a log: handlers take the extractors
//! below, which hold the witness, never the token.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::AppState;
use crate::http::error::ApiError;
use crate::store::{Role, Witness};

/// The name of the cookie that carries a token for the HTML forms.
pub const COOKIE: &str = "tp_token";

/// A new token (`tp_` and 64 hex digits) and its SHA-256.
pub fn new_token() -> (String, String) {
    let bytes: [u8; 32] = rand::random();
    let token = format!("tp_{}", hex::encode(bytes));
    let h = hash(&token);
    (token, h)
}

/// SHA-256 of a token, lower-case hex.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The form token that goes with a login: SHA-256 of the server's secret
/// and the token's hash. A page from another site cannot know it.
pub fn csrf_for(secret: &[u8; 32], token_sha256: &str) -> String {
    let mut h = Sha256::new();
    h.update(secret);
    h.update(token_sha256.as_bytes());
    hex::encode(h.finalize())
}

/// Whether a form's CSRF field is the one for this witness.
pub fn csrf_ok(secret: &[u8; 32], w: &Witness, given: &str) -> bool {
    let want = csrf_for(secret, &w.token_sha256);
    bool::from(want.as_bytes().ct_eq(given.as_bytes()))
}

/// The token a request carries: `Authorization: Bearer …`, else, when
/// `cookie` (the HTML pages, whose forms carry a CSRF field), the login
/// cookie. The JSON API takes the header only, so that no other site's
/// form can act through a logged-in browser.
fn token_of(parts: &Parts, cookie: bool) -> Option<String> {
    if let Some(v) = parts.headers.get(axum::http::header::AUTHORIZATION) {
        let v = v.to_str().ok()?;
        return v.strip_prefix("Bearer ").map(|t| t.trim().to_string());
    }
    if !cookie {
        return None;
    }
    for v in parts.headers.get_all(axum::http::header::COOKIE) {
        let Ok(v) = v.to_str() else { continue };
        for kv in v.split(';') {
            if let Some(t) = kv
                .trim()
                .strip_prefix(COOKIE)
                .and_then(|r| r.strip_prefix('='))
            {
                return Some(t.to_string());
            }
        }
    }
    None
}

async fn authenticate(parts: &Parts, state: &AppState, cookie: bool) -> Result<Witness, ApiError> {
    let token = token_of(parts, cookie).ok_or(ApiError::Unauthorized)?;
    if token.len() > 200 {
        return Err(ApiError::Unauthorized);
    }
    let h = hash(&token);
    let w = state
        .store
        .witness_by_token(&h)
        .await
        .map_err(ApiError::from)?
        .ok_or(ApiError::Unauthorized)?;
    if bool::from(w.token_sha256.as_bytes().ct_eq(h.as_bytes())) {
        Ok(w)
    } else {
        Err(ApiError::Unauthorized)
    }
}

/// Anyone with a token (witness, reviewer or admin) in `Authorization:
/// Bearer` (the JSON API).
#[derive(Debug, Clone)]
pub struct AnyWitness(pub Witness);

/// A reviewer or an admin, by `Authorization: Bearer` (the JSON API).
#[derive(Debug, Clone)]
pub struct Reviewer(pub Witness);

/// A token if the request has a valid one, in the header or the login
/// cookie; pages use it to show forms and, with the CSRF field, to act.
#[derive(Debug, Clone)]
pub struct MaybeWitness(pub Option<Witness>);

impl FromRequestParts<AppState> for AnyWitness {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(AnyWitness(authenticate(parts, state, false).await?))
    }
}

impl FromRequestParts<AppState> for Reviewer {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let w = authenticate(parts, state, false).await?;
        if w.role >= Role::Reviewer {
            Ok(Reviewer(w))
        } else {
            Err(ApiError::Forbidden("this needs a reviewer's token".into()))
        }
    }
}

impl FromRequestParts<AppState> for MaybeWitness {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match authenticate(parts, state, true).await {
            Ok(w) => Ok(MaybeWitness(Some(w))),
            Err(ApiError::Unauthorized) => Ok(MaybeWitness(None)),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bits_and_differ() {
        let (a, ha) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 3 + 64);
        assert_eq!(hash(&a), ha);
        // SHA-256("abc") from FIPS 180-2 appendix B.1.
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
