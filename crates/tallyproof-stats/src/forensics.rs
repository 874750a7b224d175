//! Forensic tests on per-station counts.
