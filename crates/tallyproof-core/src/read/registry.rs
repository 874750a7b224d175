//! The registry stage: sheets of stations the registry does not list.

use rayon::prelude::*;

#[allow(unused_imports)]
use super::*;

pub(crate) fn check_registry(
    cfg: &Config,
    ds: &mut Dataset,
    reg: &Registry,
    buffers: &[(Text, Header)],
) {
    if !reg.knows_stations() {
        return;
    }
    let n = ds.sheets.len();
    // The lookups in parallel; the (usually few) misses filed in order.
    const RUN: usize = 1 << 14;
    let misses: Vec<usize> = (0..n.div_ceil(RUN))
        .into_par_iter()
        .flat_map_iter(|c| {
            // Within a run of sheets, each station is looked for first just
            // after the one before it.
            let mut hint = usize::MAX;
            let sheets = &ds.sheets;
            (c * RUN..((c + 1) * RUN).min(n)).filter(move |&i| {
                match reg.station_position(sheets.station.get(i), hint.wrapping_add(1)) {
                    Some(j) => {
                        hint = j;
                        false
                    }
                    None => true,
                }
            })
        })
        .collect();
    if misses.is_empty() {
        return;
    }
    let mut keep = vec![true; n];
    let mut q = Vec::new();
    let mut originals = Originals::new(buffers, cfg);
    let sev = cfg.severity(Rule::UnknownStation);
    for i in misses {
        let st = ds.sheets.station.get(i);
        let mut r = Reason {
            rule: Rule::UnknownStation,
            severity: sev,
            message: format!("station {st:?} is not in the registry"),
        };
        if sev == Severity::Error {
            keep[i] = false;
            let (record, note) = originals.record(&ds.sheets.source[i], st);
            r.message.push_str(note);
            q.push(Quarantined {
                source: ds.sheets.source[i],
                station: Some(st.to_string()),
                reasons: vec![r],
                record,
                more: Vec::new(),
            });
        } else {
            ds.flags.push(Flag {
                sheet: i,
                reason: r,
            });
        }
    }
    if !q.is_empty() {
        remove_sheets(ds, &keep);
        ds.quarantine.extend(q);
    }
}
