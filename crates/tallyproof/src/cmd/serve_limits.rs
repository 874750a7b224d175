//! The limits of `tallyproof serve`: rates per address and per token, caps
//! on requests in flight, and the deadline of a request body.
//!
//!   --rate-per-address N   requests/s per client address (0: off) [50]
//!   --burst-per-address N  requests at once per address [200]
//!   --writes-per-token N   writes/s per token (0: off) [2]
//!   --burst-per-token N    writes at once per token [60]
//!   --max-in-flight N      requests in flight, more get 503 (0: off) [512]
//!   --max-writes-in-flight N  writes in flight, more get 503 (0: off) [64]
//!   --body-deadline S      seconds for a whole request body [120]
//!   --trust-forwarded-for  key on the last X-Forwarded-For address (behind a proxy)

use std::time::Duration;

use tallyproof_server::http::limits::{Limits, Rate};

/// Rate limits and load shedding (429 and 503 with Retry-After).
#[derive(clap::Args, Debug, Clone)]
pub struct LimitArgs {
    /// Requests per second per client address, sustained (0: no limit).
    #[arg(long, default_value_t = 50.0, value_name = "N")]
    rate_per_address: f64,
    /// Requests at once per client address.
    #[arg(long, default_value_t = 200, value_name = "N")]
    burst_per_address: u32,
    /// Writes per second per token, sustained (0: no limit).
    #[arg(long, default_value_t = 2.0, value_name = "N")]
    writes_per_token: f64,
    /// Writes at once per token.
    #[arg(long, default_value_t = 60, value_name = "N")]
    burst_per_token: u32,
    /// Requests in flight at most; more are answered 503 at once (0: no cap).
    #[arg(long, default_value_t = 512, value_name = "N")]
    max_in_flight: usize,
    /// Writes in flight at most; more are answered 503 at once (0: no cap).
    #[arg(long, default_value_t = 64, value_name = "N")]
    max_writes_in_flight: usize,
    /// Seconds a client has to send a whole request body.
    #[arg(long, default_value_t = 120, value_name = "S")]
    body_deadline: u64,
    /// Behind a proxy that appends the client's address to
    /// X-Forwarded-For: key the address limit on its last address.
    /// Without a proxy this would let clients choose their own key.
    #[arg(long)]
    trust_forwarded_for: bool,
}

impl LimitArgs {
    /// The limits these flags give.
    pub fn limits(&self) -> Limits {
        let rate = |per_second: f64, burst: u32| {
            (per_second > 0.0).then_some(Rate {
                per_second,
                burst: burst.max(1),
            })
        };
        Limits {
            per_address: rate(self.rate_per_address, self.burst_per_address),
            per_token_writes: rate(self.writes_per_token, self.burst_per_token),
            max_in_flight: self.max_in_flight,
            max_writes_in_flight: self.max_writes_in_flight,
            body_deadline: Duration::from_secs(self.body_deadline.max(1)),
            trust_forwarded: self.trust_forwarded_for,
        }
    }
}
