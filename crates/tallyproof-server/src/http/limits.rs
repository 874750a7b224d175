//! Limits that keep the service up on election night: a rate limit per
//! client address on every request and per token on every write (429 with
//! `Retry-After`, by `tower_governor`'s GCRA), a cap on requests in
//! flight, with a smaller one for writes (503 with `Retry-After` at once
//! instead of a queue that grows until everything times out), and a
//! deadline for a whole request body (a slow upload cannot hold a
//! connection and a worker for ever).
//!
//! The address is the TCP peer's, so the router must be served with
//! `into_make_service_with_connect_info::<SocketAddr>()` ([`super::serve`]
//! does). `X-Forwarded-For` is read only when [`Limits::trust_forwarded`]
//! is set, for a service behind a proxy that appends the client's
//! address: then the last address of the header is the key, the one the
//! proxy wrote (the earlier ones are the client's to invent).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use tower_governor::GovernorError;
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::KeyExtractor;
use tower_http::timeout::RequestBodyDeadlineLayer;

/// A rate: `burst` requests at once, then one more every `1/per_second`
/// seconds (the generic cell rate algorithm).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Requests per second, sustained.
    pub per_second: f64,
    /// Requests allowed at once after a quiet spell.
    pub burst: u32,
}

/// The limits of [`apply`]. A `None` rate or a zero cap is off.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Every request, per client address.
    pub per_address: Option<Rate>,
    /// Every write (any method but GET and HEAD), per token (per address
    /// when the request has none).
    pub per_token_writes: Option<Rate>,
    /// Requests in flight at most; more get 503 at once.
    pub max_in_flight: usize,
    /// Writes in flight at most; more get 503 at once.
    pub max_writes_in_flight: usize,
    /// A request body must be whole within this time.
    pub body_deadline: Duration,
    /// Key addresses on the last `X-Forwarded-For` address.
    pub trust_forwarded: bool,
}

impl Default for Limits {
    /// Per address 50 requests/s with bursts of 200 (generous: mobile
    /// carriers put many phones behind one address; the public at large
    /// is served from the static export); per token 2 writes/s with
    /// bursts of 60 (a witness types a sheet in a minute; a coordinator
    /// sends a batch); 512 requests and 64 writes in flight; 120 s for a
    /// body (an 8 MB photo at 0.5 Mbit/s).
    fn default() -> Limits {
        Limits {
            per_address: Some(Rate {
                per_second: 50.0,
                burst: 200,
            }),
            per_token_writes: Some(Rate {
                per_second: 2.0,
                burst: 60,
            }),
            max_in_flight: 512,
            max_writes_in_flight: 64,
            body_deadline: Duration::from_secs(120),
            trust_forwarded: false,
        }
    }
}

impl Limits {
    /// No rate limits and no caps (the body deadline stays): for
    /// measuring capacity.
    pub fn off() -> Limits {
        Limits {
            per_address: None,
            per_token_writes: None,
            max_in_flight: 0,
            max_writes_in_flight: 0,
            ..Limits::default()
        }
    }
}

/// The key of a rate limit: a token's hash (first 16 bytes of SHA-256),
/// else the client's address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ClientKey {
    /// A request with a token.
    Token([u8; 16]),
    /// A request without one.
    Address(IpAddr),
}

/// The client's address: the TCP peer, or the last `X-Forwarded-For`
/// address when trusted.
#[derive(Debug, Clone, Copy)]
pub struct AddressKey {
    /// Read `X-Forwarded-For`.
    pub trust_forwarded: bool,
}

impl AddressKey {
    fn address<T>(&self, req: &axum::http::Request<T>) -> Option<IpAddr> {
        if self.trust_forwarded {
            let last = req
                .headers()
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|a| a.trim().parse::<IpAddr>().ok())
                .next_back();
            if last.is_some() {
                return last;
            }
        }
        req.extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
    }
}

impl KeyExtractor for AddressKey {
    type Key = IpAddr;
    fn extract<T>(&self, req: &axum::http::Request<T>) -> Result<IpAddr, GovernorError> {
        self.address(req).ok_or(GovernorError::UnableToExtractKey)
    }
}

/// The token of a write, else the client's address.
#[derive(Debug, Clone, Copy)]
pub struct TokenKey {
    /// How to find the address of a request without a token.
    pub address: AddressKey,
}

impl KeyExtractor for TokenKey {
    type Key = ClientKey;
    fn extract<T>(&self, req: &axum::http::Request<T>) -> Result<ClientKey, GovernorError> {
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .or_else(|| cookie_token(req.headers()));
        if let Some(t) = token {
            let d = Sha256::digest(t.as_bytes());
            let mut k = [0u8; 16];
            k.copy_from_slice(&d[..16]);
            return Ok(ClientKey::Token(k));
        }
        self.address
            .address(req)
            .map(ClientKey::Address)
            .ok_or(GovernorError::UnableToExtractKey)
    }
}

fn cookie_token(h: &axum::http::HeaderMap) -> Option<&str> {
    h.get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            kv.trim()
                .strip_prefix(crate::auth::COOKIE)
                .and_then(|r| r.strip_prefix('='))
        })
}

/// The answer of a refused request: `status`, `Retry-After` in whole
/// seconds (at least 1) and a JSON error.
fn refusal(status: StatusCode, retry_after: u64, why: &str) -> Response {
    let mut r = (
        status,
        axum::Json(serde_json::json!({ "error": why, "retry_after": retry_after.max(1) })),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&retry_after.max(1).to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

fn governor_error(e: GovernorError) -> Response<Body> {
    match e {
        GovernorError::TooManyRequests { wait_time, .. } => refusal(
            StatusCode::TOO_MANY_REQUESTS,
            wait_time,
            "too many requests: slow down and try again after Retry-After seconds",
        ),
        GovernorError::UnableToExtractKey => refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            1,
            "the client's address is unknown (serve with connect info)",
        ),
        GovernorError::Other { code, msg, .. } => refusal(code, 1, msg.as_deref().unwrap_or("")),
    }
}

fn is_write(m: &Method) -> bool {
    m != Method::GET && m != Method::HEAD
}

#[derive(Clone)]
struct Caps {
    all: Option<Arc<Semaphore>>,
    writes: Option<Arc<Semaphore>>,
}

async fn cap(
    axum::extract::State(caps): axum::extract::State<Caps>,
    req: Request,
    next: Next,
) -> Response {
    let busy = || {
        refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            1,
            "the service is at capacity: try again in a moment",
        )
    };
    let _all = match &caps.all {
        Some(s) => match s.clone().try_acquire_owned() {
            Ok(p) => Some(p),
            Err(_) => return busy(),
        },
        None => None,
    };
    let _w = match &caps.writes {
        Some(s) if is_write(req.method()) => match s.clone().try_acquire_owned() {
            Ok(p) => Some(p),
            Err(_) => return busy(),
        },
        _ => None,
    };
    next.run(req).await
}

fn period(r: Rate) -> Duration {
    let per = if r.per_second.is_finite() && r.per_second > 0.0 {
        r.per_second
    } else {
        1.0
    };
    Duration::from_nanos(((1e9 / per) as u64).max(1))
}

/// `router` behind `limits`. Outermost first: the caps (cheapest, so an
/// overloaded service spends nothing on refused requests), the address
/// rate, the token rate on writes, the body deadline.
pub fn apply(router: Router, limits: &Limits) -> Router {
    let mut r = router.layer(RequestBodyDeadlineLayer::new(limits.body_deadline));
    let address = AddressKey {
        trust_forwarded: limits.trust_forwarded,
    };
    if let Some(rate) = limits.per_token_writes
        && let Some(cfg) = GovernorConfigBuilder::default()
            .period(period(rate))
            .burst_size(rate.burst.max(1))
            .methods(vec![
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .key_extractor(TokenKey { address })
            .finish()
    {
        let cfg = Arc::new(cfg);
        let l = cfg.limiter().clone();
        forget_idle(move || {
            l.retain_recent();
            l.shrink_to_fit();
        });
        r = r.layer(GovernorLayer::new(cfg).error_handler(governor_error));
    }
    if let Some(rate) = limits.per_address
        && let Some(cfg) = GovernorConfigBuilder::default()
            .period(period(rate))
            .burst_size(rate.burst.max(1))
            .key_extractor(address)
            .finish()
    {
        let cfg = Arc::new(cfg);
        let l = cfg.limiter().clone();
        forget_idle(move || {
            l.retain_recent();
            l.shrink_to_fit();
        });
        r = r.layer(GovernorLayer::new(cfg).error_handler(governor_error));
    }
    let caps = Caps {
        all: (limits.max_in_flight > 0).then(|| Arc::new(Semaphore::new(limits.max_in_flight))),
        writes: (limits.max_writes_in_flight > 0)
            .then(|| Arc::new(Semaphore::new(limits.max_writes_in_flight))),
    };
    if caps.all.is_some() || caps.writes.is_some() {
        r = r.layer(middleware::from_fn_with_state(caps, cap));
    }
    r
}

/// Run `sweep` once a minute: it drops the keys whose limit has fully
/// replenished, so that a limiter's map does not grow with every client
/// ever seen.
fn forget_idle(sweep: impl Fn() + Send + 'static) {
    if tokio::runtime::Handle::try_current().is_err() {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            sweep();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_only_when_trusted_and_last_address_wins() {
        let mut req = axum::http::Request::new(());
        req.headers_mut().insert(
            "x-forwarded-for",
            HeaderValue::from_static("1.2.3.4, 10.0.0.7"),
        );
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 9))));
        let untrusted = AddressKey {
            trust_forwarded: false,
        };
        let trusted = AddressKey {
            trust_forwarded: true,
        };
        assert_eq!(
            untrusted.extract(&req).ok(),
            Some(IpAddr::from([127, 0, 0, 1]))
        );
        assert_eq!(
            trusted.extract(&req).ok(),
            Some(IpAddr::from([10, 0, 0, 7]))
        );
    }

    #[test]
    fn writes_key_on_the_token_else_the_address() {
        let k = TokenKey {
            address: AddressKey {
                trust_forwarded: false,
            },
        };
        let mut a = axum::http::Request::new(());
        a.headers_mut().insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer tp_a"),
        );
        let mut b = axum::http::Request::new(());
        b.headers_mut().insert(
            header::COOKIE,
            HeaderValue::from_static("x=1; tp_token=tp_a"),
        );
        let mut c = axum::http::Request::new(());
        c.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 1], 9))));
        let ka = k.extract(&a).ok();
        assert!(matches!(ka, Some(ClientKey::Token(_))));
        // The same token by header or by cookie is the same client.
        assert_eq!(ka, k.extract(&b).ok());
        assert_eq!(
            k.extract(&c).ok(),
            Some(ClientKey::Address(IpAddr::from([192, 0, 2, 1])))
        );
        assert!(k.extract(&axum::http::Request::new(())).is_err());
    }

    #[test]
    fn period_is_the_inverse_rate() {
        let r = |per_second| Rate {
            per_second,
            burst: 1,
        };
        assert_eq!(period(r(2.0)), Duration::from_millis(500));
        assert_eq!(period(r(0.5)), Duration::from_secs(2));
        assert_eq!(period(r(0.0)), Duration::from_secs(1));
    }
}
