//! The people's view of a drawn sample.

use std::fmt::Write as _;

use tallyproof_stats::sample::{self, Discrepancy, Frame, PublishedSample, Seed};

use crate::output::{Table, int};

/// The summary per stratum and, if `list`, every draw.
pub fn render(s: &PublishedSample, list: bool) -> String {
    let mut out = format!(
        "{} draws from a frame of {} stations ({}), {}.\nseed {:?}, commitment {}\nframe digest {}\n",
        int(s.size() as u64),
        int(s.frame_stations as u64),
        s.strata_level
            .as_ref()
            .map_or("not stratified".to_string(), |l| format!("strata by {l}")),
        if s.with_replacement {
            "with replacement"
        } else {
            "without replacement"
        },
        s.seed,
        s.seed_commitment,
        s.frame_digest
    );
    let mut t = Table::new(["stratum", "stations", "drawn"]);
    for st in &s.strata {
        t.row([
            st.name.clone(),
            int(st.frame_stations as u64),
            int(st.draws.len() as u64),
        ]);
    }
    out.push_str(&t.render());
    if list {
        let mut t = Table::new(["stratum", "order", "station", "ticket", "generation"]);
        for st in &s.strata {
            for (k, d) in st.draws.iter().enumerate() {
                t.row([
                    st.name.clone(),
                    (k + 1).to_string(),
                    d.id.clone(),
                    d.ticket.clone(),
                    d.generation.to_string(),
                ]);
            }
        }
        out.push('\n');
        out.push_str(&t.render());
    }
    out.push_str("assumes: ");
    out.push_str(&s.assumptions.join("; "));
    out.push('\n');
    out
}

/// What `sample commit` prints.
pub fn commit(seed: &Seed, frame: Option<&Frame>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "seed commitment: {}", seed.commitment());
    let _ = writeln!(
        out,
        "  = SHA-256 of \"{}\" followed by the seed (UTF-8); publish it now, reveal the seed later.",
        sample::COMMITMENT_TAG
    );
    if let Some(fr) = frame {
        let _ = writeln!(
            out,
            "frame digest:    {} ({} stations{})",
            fr.digest(),
            int(fr.stations.len() as u64),
            fr.level
                .as_ref()
                .map_or(String::new(), |l| format!(", strata by {l}"))
        );
    }
    let _ = writeln!(
        out,
        "A seed chosen after any result is seen is worthless: it can be chosen to pick any sample."
    );
    out
}

/// What `sample verify` prints.
pub fn verify(s: &PublishedSample, d: &[Discrepancy]) -> String {
    let mut out = String::new();
    if d.is_empty() {
        let _ = writeln!(
            out,
            "the sample is the draw: {} draws redone from seed {:?} and the frame ({} stations); the seed matches its commitment {}.",
            int(s.size() as u64),
            s.seed,
            int(s.frame_stations as u64),
            s.seed_commitment
        );
        let _ = writeln!(
            out,
            "This shows the draw was done right, not when the seed was fixed: check that the commitment was published before the data."
        );
    } else {
        let _ = writeln!(out, "the sample is NOT the draw it claims to be:");
        for x in d {
            let _ = writeln!(out, "- {x}");
        }
    }
    out
}
