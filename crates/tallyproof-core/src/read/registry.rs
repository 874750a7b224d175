//! The registry stage: sheets of stations the registry does not list.

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
    let mut keep = vec![true; n];
    let mut q = Vec::new();
    let mut originals = Originals::new(buffers, cfg);
    let sev = cfg.severity(Rule::UnknownStation);
    for (i, k) in keep.iter_mut().enumerate() {
        let st = ds.sheets.station.get(i);
        if !reg.has_station(st) {
            let mut r = Reason {
                rule: Rule::UnknownStation,
                severity: sev,
                message: format!("station {st:?} is not in the registry"),
            };
            if sev == Severity::Error {
                *k = false;
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
    }
    if !q.is_empty() {
        remove_sheets(ds, &keep);
        ds.quarantine.extend(q);
    }
}
