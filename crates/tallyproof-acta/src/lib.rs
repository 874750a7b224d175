//! Tally-sheet images.
#![deny(missing_docs)]
pub mod preprocess;
pub mod reader;
