//! Statistics over tally sheets: the election simulator that serves as ground
//! truth, forensic tests, projections and sampling.
//!
//! Everything here sees plain numbers (per-station counts), never files, so
//! each method can be checked on simulated elections where the truth is known.
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod audit;
pub mod forensics;
pub mod fraud;
pub mod like;
pub mod projection;
pub mod quickcount;
pub mod sample;
pub mod simulate;
