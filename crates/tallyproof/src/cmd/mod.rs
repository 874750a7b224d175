//! One module per subcommand; shared input handling in [`input`].

pub mod audit;
pub mod crosscheck;
pub mod demo;
pub mod export;
pub mod forensics;
pub mod forensics_like;
pub mod import;
pub mod input;
pub mod log;
pub mod quickcount;
pub mod reconcile;
pub mod report;
pub mod robustness;
pub mod rules;
pub mod sample;
pub mod scan;
pub mod serve;
pub mod serve_limits;
pub mod simulate;
pub mod tabulate;
pub mod validate;
pub mod witness;
