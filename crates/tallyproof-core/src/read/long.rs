//! Long rows: a row per station and option, grouped into one sheet per
//! station before the same checks as wide rows.

#[allow(unused_imports)]
use super::*;

/// Long shape: rows are (station, option, votes); per-station columns repeat
/// on each row. Rows of other contests (`[input] where`) are counted and
/// left out; the others are grouped by station into one sheet each, then go
/// through the same checks as wide rows. Option rows with a role (`role =
/// "null"` / `"blank"`) are the sheet's null and blank counts.
pub(crate) fn read_long(
    cfg: &Config,
    ds: &mut Dataset,
    file: u32,
    text: &[u8],
    header: &Header,
    progress: &dyn Progress,
) -> Result<u64, Error> {
    let cols = &header.cols;
    if cols.long_option.is_none() || cols.long_votes.is_none() {
        return Ok(0);
    }
    let body = &text[header.body_start.min(text.len())..];
    let mut rdr = csv_builder(cfg).from_reader(body);
    let mut line = 1 + memchr::memchr_iter(header.eol, &text[..header.body_start]).count() as u64;
    let mut counted = 0usize;
    let mut next = || {
        let mut rec = csv::ByteRecord::new();
        if !rdr.read_byte_record(&mut rec).unwrap_or(false) {
            return None;
        }
        let start = rec.position().map_or(counted, |p| p.byte() as usize);
        line += memchr::memchr_iter(header.eol, &body[counted..start.max(counted)]).count() as u64;
        counted = start.max(counted);
        let source = Provenance {
            file,
            line,
            offset: (header.body_start + start) as u64,
        };
        Some((rec, source))
    };
    let chunk = group_long(cfg, file, header, &mut next);
    progress.advance(body.len() as u64);
    Ok(merge_chunks(ds, vec![chunk]))
}

/// The rows of a long file, from `next` (each with its place), grouped by
/// station into one checked sheet each.
pub(crate) fn group_long(
    cfg: &Config,
    file: u32,
    header: &Header,
    next: &mut dyn FnMut() -> Option<(csv::ByteRecord, Provenance)>,
) -> Chunk {
    let cols = &header.cols;
    let (Some(oc), Some(vc)) = (cols.long_option, cols.long_votes) else {
        return Chunk::new(cfg, cols.levels.len(), cfg.options.len());
    };
    // Slots: the counted options, then the options with a role.
    let all_options: Vec<&crate::config::OptionSpec> =
        cfg.options.iter().chain(&cfg.role_options).collect();
    let value_of: HashMap<&str, usize> = all_options
        .iter()
        .enumerate()
        .map(|(i, o)| (o.value.as_deref().unwrap_or(&o.key), i))
        .collect();
    let mut filtered = 0u64;
    // Per station: its rows, in order.
    struct Group {
        rows: Vec<(csv::ByteRecord, Provenance)>,
        problems: Vec<String>,
    }
    let mut order: Vec<String> = Vec::new();
    let mut groups: HashMap<String, Group> = HashMap::new();
    let mut bad_rows: Vec<(csv::ByteRecord, Provenance, Vec<Reason>)> = Vec::new();
    let mut id = String::new();
    let sev = severities(cfg);
    let reason = |rule: Rule, message: String| sev.reason(rule, message);
    while let Some((rec, source)) = next() {
        if !passes(&cols.filter, &rec) {
            filtered += 1;
            continue;
        }
        if rec.len() != header.names.len() {
            let r = reason(
                Rule::FieldCount,
                format!(
                    "{} fields where the header has {}",
                    rec.len(),
                    header.names.len()
                ),
            );
            bad_rows.push((rec, source, vec![r]));
            continue;
        }
        if let Err(m) = build_station_id(&cols.id, &rec, &cfg.station.separator, &mut id) {
            let r = reason(Rule::MissingStation, m);
            bad_rows.push((rec, source, vec![r]));
            continue;
        }
        let g = groups.entry(id.clone()).or_insert_with(|| {
            order.push(id.clone());
            Group {
                rows: Vec::new(),
                problems: Vec::new(),
            }
        });
        let opt = field(&rec, oc).trim();
        if !value_of.contains_key(opt) {
            g.problems.push(format!(
                "line {}: option {opt:?} is not in the config{}",
                source.line,
                suggest(opt, value_of.keys().copied())
            ));
        }
        g.rows.push((rec, source));
    }
    // Assemble each station into a synthetic wide record and check it:
    // the options' votes, the role rows' votes, then the first row.
    let n = cfg.options.len();
    let slots = all_options.len();
    let mut synth_names: Vec<String> = all_options.iter().map(|o| o.key.clone()).collect();
    synth_names.extend(header.names.iter().cloned());
    let mut extras = header
        .cols
        .extras
        .clone()
        .map(|o| o.map(|v| v.into_iter().map(|i| i + slots).collect::<Vec<_>>()));
    for (k, r) in cfg.role_options.iter().enumerate() {
        let slot = match r.role {
            Some(crate::config::Role::Null) => 2,
            _ => 3,
        };
        extras[slot].get_or_insert_with(Vec::new).push(n + k);
    }
    let synth_cols = Columns {
        id: Vec::new(),
        levels: Vec::new(),
        options: (0..n).map(|i| vec![i]).collect(),
        extras,
        long_option: None,
        long_votes: None,
        filter: Vec::new(),
    };
    let ctx = RowCtx {
        cfg,
        cols: &synth_cols,
        names: &synth_names,
        nfields: synth_names.len(),
        file,
        severities: sev.clone(),
    };
    let mut chunk = Chunk {
        sheets: Sheets::with_shape(cols.levels.len(), n, present(cfg)),
        units: vec![Units::default(); cols.levels.len()],
        flags: Vec::new(),
        quarantine: Vec::new(),
        missing: Vec::new(),
        rows: 0,
        filtered,
        origins: Vec::new(),
        objects: 0,
        seen: Vec::new(),
    };
    let mut code = String::new();
    let mut options = Vec::with_capacity(n);
    for st in &order {
        let Some(g) = groups.remove(st) else { continue };
        chunk.rows += 1;
        let first = &g.rows[0];
        let mut problems = g.problems;
        let mut votes: Vec<Option<Vec<u8>>> = vec![None; slots];
        for (r, src) in &g.rows {
            for k in header.cols.extras.iter().flatten().flatten() {
                if r.get(*k).map(<[u8]>::trim_ascii) != first.0.get(*k).map(<[u8]>::trim_ascii) {
                    problems.push(format!(
                        "line {}: {:?} differs from line {}",
                        src.line, header.names[*k], first.1.line
                    ));
                }
            }
            if let Some(&o) = value_of.get(field(r, oc).trim()) {
                let v = r.get(vc).unwrap_or(b"").trim_ascii().to_vec();
                match &votes[o] {
                    Some(prev) if *prev != v => problems.push(format!(
                        "line {}: option {} given twice with different votes",
                        src.line, all_options[o].key
                    )),
                    _ => votes[o] = Some(v),
                }
            }
        }
        for (o, v) in votes.iter().enumerate() {
            if v.is_none() && problems.is_empty() && ctx.cfg.input.empty == Empty::Error {
                problems.push(format!("no row for option {}", all_options[o].key));
            }
        }
        let mut synth = csv::ByteRecord::new();
        for v in &votes {
            synth.push_field(v.as_deref().unwrap_or(b""));
        }
        for f in first.0.iter() {
            synth.push_field(f);
        }
        // Every row of the sheet, each as read, so that the quarantine file
        // reads back in with the same config.
        let record = record_strings(&first.0);
        let more: Vec<Vec<String>> = g.rows[1..].iter().map(|(r, _)| record_strings(r)).collect();
        if !problems.is_empty() {
            chunk.quarantine.push(Quarantined {
                source: first.1,
                station: Some(st.clone()),
                reasons: problems
                    .into_iter()
                    .map(|p| reason(Rule::LongShape, p))
                    .collect(),
                record,
                more,
            });
            continue;
        }
        let mut geo = Vec::new();
        for (l, (parts, name_col)) in cols.levels.iter().enumerate() {
            build_id(parts, &first.0, "/", &mut code);
            let name = name_col.map_or("", |i| field(&first.0, i).trim());
            geo.push(chunk.units[l].intern(&code, name));
        }
        match check_row(&ctx, &synth, st, &mut options) {
            Ok(Some((counts, warnings))) => {
                chunk.accept(st, &geo, &counts, first.1, warnings);
            }
            Ok(None) => chunk.missing.push(MissingSheet {
                station: st.clone(),
                geo,
                registered: None,
                source: first.1,
            }),
            Err((reasons, _)) => chunk.quarantine.push(Quarantined {
                source: first.1,
                station: Some(st.clone()),
                reasons,
                record,
                more,
            }),
        }
    }
    for (r, source, reasons) in bad_rows {
        chunk.rows += 1;
        chunk.quarantine.push(Quarantined {
            source,
            station: None,
            reasons,
            record: record_strings(&r),
            more: Vec::new(),
        });
    }
    chunk
}
