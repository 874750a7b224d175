//! The election simulator.
