//! Wide rows: one row a sheet, parsed in parallel chunks, each row
//! checked and filed (accepted, quarantined, or a station without a sheet).

#[allow(unused_imports)]
use super::*;

/// Parsed counts of one row.
pub(crate) struct RowCounts<'a> {
    pub(crate) options: &'a [u64],
    pub(crate) extras: [Option<u64>; 6],
}

/// The per-chunk output.
pub(crate) struct Chunk {
    pub(crate) sheets: Sheets,
    pub(crate) units: Vec<Units>,
    pub(crate) flags: Vec<Flag>,
    pub(crate) quarantine: Vec<Quarantined>,
    pub(crate) missing: Vec<MissingSheet>,
    pub(crate) rows: u64,
    /// Rows left out by `[input] where` (not in `rows`).
    pub(crate) filtered: u64,
    /// JSON Lines: the provenance lines state of themselves, by (file, line).
    pub(crate) origins: Vec<((u32, u64), crate::model::RowOrigin)>,
    /// JSON Lines: lines that were objects, and per column whether any had
    /// a key for it.
    pub(crate) objects: u64,
    pub(crate) seen: Vec<bool>,
}

impl Chunk {
    /// An empty chunk for rows of this config's shape.
    pub(crate) fn new(cfg: &Config, nlevels: usize, noptions: usize) -> Chunk {
        Chunk {
            sheets: Sheets::with_shape(nlevels, noptions, present(cfg)),
            units: vec![Units::default(); nlevels],
            flags: Vec::new(),
            quarantine: Vec::new(),
            missing: Vec::new(),
            rows: 0,
            filtered: 0,
            origins: Vec::new(),
            objects: 0,
            seen: Vec::new(),
        }
    }

    /// Store an accepted sheet and its warnings.
    pub(crate) fn accept(
        &mut self,
        station: &str,
        geo: &[u32],
        counts: &RowCounts<'_>,
        source: Provenance,
        warnings: Vec<Reason>,
    ) {
        let s = &mut self.sheets;
        let row = s.len();
        s.station.push(station);
        for (l, g) in geo.iter().enumerate() {
            s.geo[l].push(*g);
        }
        for (o, v) in counts.options.iter().enumerate() {
            s.votes[o].push(*v as u32);
        }
        let cols6 = [
            &mut s.registered,
            &mut s.valid,
            &mut s.null,
            &mut s.blank,
            &mut s.ballots,
            &mut s.issued,
        ];
        for (col, v) in cols6.into_iter().zip(counts.extras) {
            if let (Some(c), Some(v)) = (col.as_mut(), v) {
                c.push(v as u32);
            }
        }
        s.source.push(source);
        self.flags.extend(
            warnings
                .into_iter()
                .map(|reason| Flag { sheet: row, reason }),
        );
    }
}

pub(crate) struct RowCtx<'a> {
    pub(crate) cfg: &'a Config,
    pub(crate) cols: &'a Columns,
    pub(crate) names: &'a [String],
    pub(crate) nfields: usize,
    pub(crate) file: u32,
    pub(crate) severities: crate::sheet::Severities,
}

impl RowCtx<'_> {
    pub(crate) fn reason(&self, rule: Rule, message: String) -> Reason {
        self.severities.reason(rule, message)
    }
}

/// Parse and check one row. Returns Ok(counts, warnings) for an accepted
/// sheet, Err(reasons) for a rejected one; `Ok(None)` for a station listed
/// without a sheet.
#[allow(clippy::type_complexity)]
pub(crate) fn check_row<'o>(
    ctx: &RowCtx<'_>,
    rec: &impl Fields,
    station: &str,
    options: &'o mut Vec<u64>,
) -> Result<Option<(RowCounts<'o>, Vec<Reason>)>, (Vec<Reason>, Option<u64>)> {
    let mut errors = Vec::new();
    let cols = ctx.cols;
    let mut empty_fields: Vec<&str> = Vec::new();
    let mut filled = 0usize;
    let mut parse =
        |idxs: &[usize], what: &str, errors: &mut Vec<Reason>, is_vote: bool| -> Option<u64> {
            if let [i] = idxs
                && let Some(v) = bare_digits(rec.at(*i).unwrap_or(b""))
            {
                filled += usize::from(is_vote);
                return Some(v);
            }
            let mut sum = 0u64;
            let mut ok = true;
            let mut empty = false;
            for &i in idxs {
                match parse_field(rec.at(i).unwrap_or(b"")) {
                    Num::Value(v) => sum += v,
                    Num::Empty => empty = true,
                    Num::Bad(s) => {
                        ok = false;
                        errors.push(ctx.reason(
                            Rule::CountUnparseable,
                            format!(
                                "{what} (column {:?}) is {s:?}, not a whole number",
                                col_name(ctx, i)
                            ),
                        ));
                    }
                    Num::Negative(s) => {
                        ok = false;
                        errors.push(ctx.reason(
                            Rule::CountNegative,
                            format!("{what} (column {:?}) is negative: {s}", col_name(ctx, i)),
                        ));
                    }
                }
            }
            if empty {
                if is_vote {
                    empty_fields.push(match what {
                        "registered" => "registered",
                        _ => "a count",
                    });
                }
                return None;
            }
            if is_vote {
                filled += 1;
            }
            if ok { Some(sum) } else { None }
        };
    options.clear();
    let mut any_bad_option = false;
    for (o, idxs) in cols.options.iter().enumerate() {
        match parse(idxs, &ctx.cfg.options[o].key, &mut errors, true) {
            Some(v) => options.push(v),
            None => {
                any_bad_option = true;
                options.push(0);
            }
        }
    }
    const NAMES: [&str; 6] = ["registered", "valid", "null", "blank", "ballots", "issued"];
    let mut extras = [None; 6];
    let mut extra_bad = [false; 6];
    for (k, spec) in cols.extras.iter().enumerate() {
        if let Some(idxs) = spec {
            extras[k] = parse(idxs, NAMES[k], &mut errors, k != 0);
            extra_bad[k] = extras[k].is_none();
        }
    }
    let vote_fields = cols.options.len() + cols.extras[1..].iter().filter(|s| s.is_some()).count();
    let n_empty = empty_fields.len();
    if n_empty > 0 {
        if n_empty == vote_fields && errors.is_empty() && ctx.cfg.input.empty == Empty::Missing {
            return Ok(None);
        }
        let msg = if ctx.cfg.input.empty == Empty::Error {
            format!("{n_empty} count field(s) empty; the config says empty counts are errors")
        } else {
            format!(
                "{n_empty} of {vote_fields} count fields empty and {filled} filled: a sheet is either whole or missing"
            )
        };
        errors.push(ctx.reason(Rule::CountEmpty, msg));
    }
    let _ = station;
    if !errors.is_empty() || any_bad_option || extra_bad.iter().any(|b| *b) {
        if errors.is_empty() {
            // Only the registered voters can be empty without an error so
            // far: a sheet whose votes are filled in needs them too, or
            // its registered column would have no entry.
            let msg = match (extra_bad[0], cols.extras[0].as_deref()) {
                (true, Some([i, ..])) => format!(
                    "registered (column {:?}) is empty on a sheet with votes",
                    col_name(ctx, *i)
                ),
                _ => "a count is empty".into(),
            };
            errors.push(ctx.reason(Rule::CountEmpty, msg));
        }
        return Err((errors, extras[0]));
    }
    let mut warnings = Vec::new();
    crate::sheet::check_counts(
        ctx.cfg,
        &ctx.severities,
        options,
        extras,
        &mut errors,
        &mut warnings,
    );
    let registered = extras[0];
    if !errors.is_empty() {
        errors.extend(warnings);
        return Err((errors, registered));
    }
    Ok(Some((RowCounts { options, extras }, warnings)))
}

pub(crate) fn col_name<'a>(ctx: &'a RowCtx<'_>, i: usize) -> &'a str {
    ctx.names.get(i).map_or("", String::as_str)
}

/// Where a chunk of text lies in its file.
#[derive(Clone, Copy)]
pub(crate) struct Place {
    /// Offset in the text of the chunk's first byte.
    pub(crate) offset: u64,
    /// Line of the chunk's first byte.
    pub(crate) first_line: u64,
    /// Line ends in the chunk (counted once, by whoever cut it).
    pub(crate) line_ends: usize,
}

/// Parse the rows in `slice`, which starts at a record boundary at `place`;
/// into `spare`'s columns when given (a chunk's columns, merged and handed
/// back, to spare the allocator and the kernel a fresh set per chunk).
pub(crate) fn parse_chunk(
    ctx: &RowCtx<'_>,
    slice: &[u8],
    place: Place,
    header: &Header,
    spare: Option<Sheets>,
) -> Chunk {
    parse_chunk_with(ctx, slice, place, header, true, spare)
}

/// Whether `slice` can be split line by line at the delimiter with the
/// same result as a CSV reader: `\n` line ends, no quote anywhere, and no
/// `\r` other than before a `\n` or at the very end (a CSV reader ends a
/// record at a lone `\r`).
pub(crate) fn is_plain(slice: &[u8], header: &Header) -> bool {
    header.eol == b'\n'
        && memchr::memchr(b'"', slice).is_none()
        && memchr::memchr_iter(b'\r', slice).all(|i| i + 1 == slice.len() || slice[i + 1] == b'\n')
}

/// The rows of a plain slice (see [`is_plain`]): one per non-empty line,
/// fields between delimiters, exactly as the CSV reader reads them, without
/// its per-byte state machine.
pub(crate) fn parse_plain(
    ctx: &RowCtx<'_>,
    slice: &[u8],
    base_offset: u64,
    first_line: u64,
    st: &mut RowState,
    out: &mut Chunk,
) {
    let delim = ctx.cfg.input.delimiter.as_bytes()[0];
    let mut row = Plain {
        line: &[],
        ends: Vec::with_capacity(ctx.nfields + 1),
    };
    let mut line = first_line;
    let mut pos = 0;
    while pos < slice.len() {
        let end = memchr::memchr(b'\n', &slice[pos..]).map_or(slice.len(), |k| pos + k);
        let mut text = &slice[pos..end];
        if let [rest @ .., b'\r'] = text {
            text = rest;
        }
        if !text.is_empty() {
            row.line = text;
            row.ends.clear();
            // Fields are a few bytes long: a byte loop beats a vector
            // search restarted at every delimiter.
            for (i, &b) in text.iter().enumerate() {
                if b == delim {
                    row.ends.push(i);
                }
            }
            row.ends.push(text.len());
            out.rows += 1;
            let source = Provenance {
                file: ctx.file,
                line,
                offset: base_offset + pos as u64,
            };
            process_row(ctx, &row, source, st, out);
        }
        line += 1;
        pos = end + 1;
    }
}

/// [`parse_chunk`], with the plain-line path allowed or not.
pub(crate) fn parse_chunk_with(
    ctx: &RowCtx<'_>,
    slice: &[u8],
    place: Place,
    header: &Header,
    plain_ok: bool,
    spare: Option<Sheets>,
) -> Chunk {
    let Place {
        offset: base_offset,
        first_line,
        line_ends,
    } = place;
    let cfg = ctx.cfg;
    let cols = ctx.cols;
    let nlevels = cols.levels.len();
    // Rows are lines in the usual file: room for them all up front, so that
    // no column is copied as it grows.
    let lines = line_ends + 1;
    let mut out = Chunk::new(cfg, nlevels, cols.options.len());
    if let Some(mut s) = spare {
        s.clear();
        out.sheets = s;
    }
    out.sheets.reserve(lines, slice.len() / ctx.nfields.max(1));
    let mut st = RowState::new(nlevels, cols.options.len());
    if plain_ok && is_plain(slice, header) {
        parse_plain(ctx, slice, base_offset, first_line, &mut st, &mut out);
        return out;
    }
    // Where the reader started in `slice`: it restarts after an unclosed quote.
    let mut base = 0usize;
    let mut rdr = csv_builder(cfg).from_reader(slice);
    let mut rec = csv::ByteRecord::new();
    let mut line = first_line;
    let mut counted_to = 0usize;
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                // The csv crate only fails on I/O or invalid UTF-8 in string
                // records; neither happens on an in-memory byte record. Stop
                // the chunk with a quarantine entry rather than loop.
                out.quarantine.push(Quarantined {
                    source: Provenance {
                        file: ctx.file,
                        line,
                        offset: base_offset + counted_to as u64,
                    },
                    station: None,
                    reasons: vec![ctx.reason(Rule::FieldCount, format!("unreadable row: {e}"))],
                    record: Vec::new(),
                    more: Vec::new(),
                });
                out.rows += 1;
                break;
            }
        }
        let pos = rec.position();
        let mut start = pos.map_or(counted_to, |p| base + p.byte() as usize);
        line += memchr::memchr_iter(header.eol, &slice[counted_to..start.max(counted_to)]).count()
            as u64;
        counted_to = start.max(counted_to);
        // The reader's position is where the previous record ended: the
        // record itself starts after any blank lines (or the `\n` of a
        // `\r\n`) in between.
        while let Some(&b) = slice.get(counted_to)
            && (b == b'\n' || b == b'\r')
        {
            line += u64::from(b == header.eol);
            counted_to += 1;
        }
        start = counted_to;
        out.rows += 1;
        let source = Provenance {
            file: ctx.file,
            line,
            offset: base_offset + start as u64,
        };
        // A quote opened and never closed swallows the lines after it into
        // one field. Quarantine the physical line where it opened and read
        // on from the next line, so that no row after it is lost.
        // The same when the row happens to come out with the right number
        // of fields but a field that swallowed lines is over the limit: a
        // second unbalanced quote further down closed the first.
        if (rec.len() != ctx.nfields || rec.iter().any(|f| f.len() > MAX_FIELD))
            && rec.iter().any(|f| memchr::memchr(header.eol, f).is_some())
        {
            let end =
                memchr::memchr(header.eol, &slice[start..]).map_or(slice.len(), |k| start + k);
            let raw = String::from_utf8_lossy(&slice[start..end]);
            let raw = raw.trim_end_matches('\r');
            out.quarantine.push(Quarantined {
                source,
                station: None,
                reasons: vec![ctx.reason(
                    Rule::FieldCount,
                    "a quoted field opens here and does not close on this line; the row is cut at the line end".into(),
                )],
                record: raw.split(cfg.input.delimiter.as_str()).map(str::to_string).collect(),
                more: Vec::new(),
            });
            base = (end + 1).min(slice.len());
            counted_to = base;
            line += 1;
            rdr = csv_builder(cfg).from_reader(&slice[base..]);
            continue;
        }
        process_row(ctx, &rec, source, &mut st, &mut out);
    }
    out
}

/// Reused buffers for the rows of one chunk.
pub(crate) struct RowState {
    pub(crate) id: String,
    pub(crate) code: String,
    pub(crate) geo: Vec<u32>,
    /// Per level: the raw fields its code was last built from.
    pub(crate) last_raw: Vec<Vec<Vec<u8>>>,
    pub(crate) options: Vec<u64>,
}

impl RowState {
    /// Buffers for rows with `nlevels` levels and `noptions` options.
    pub(crate) fn new(nlevels: usize, noptions: usize) -> RowState {
        RowState {
            id: String::new(),
            code: String::new(),
            geo: vec![0u32; nlevels],
            last_raw: vec![Vec::new(); nlevels],
            options: Vec::with_capacity(noptions),
        }
    }
}

/// Whether a row holds the values `[input] where` asks for: every filter
/// column (a row too short to have one passes, and fails E001 instead).
pub(crate) fn passes(filter: &[(usize, Vec<String>)], rec: &impl Fields) -> bool {
    filter.iter().all(|(i, values)| match rec.at(*i) {
        None => true,
        Some(f) => {
            let v = crate::config::trim(std::str::from_utf8(f).unwrap_or(""));
            values.iter().any(|w| w.trim() == v)
        }
    })
}

/// Check one row (its fields split, its source known) and file it: an
/// accepted sheet, a station without a sheet, or the quarantine.
pub(crate) fn process_row(
    ctx: &RowCtx<'_>,
    rec: &impl Fields,
    source: Provenance,
    st: &mut RowState,
    out: &mut Chunk,
) {
    let cfg = ctx.cfg;
    let cols = ctx.cols;
    if !passes(&cols.filter, rec) {
        // Counted by the caller as a row read: it is a row of another
        // contest instead.
        out.rows -= 1;
        out.filtered += 1;
        return;
    }
    let id_missing = build_station_id(&cols.id, rec, &cfg.station.separator, &mut st.id).err();
    let mut pre = Vec::new();
    if rec.width() != ctx.nfields {
        pre.push(ctx.reason(
            Rule::FieldCount,
            format!(
                "{} fields where the header has {}",
                rec.width(),
                ctx.nfields
            ),
        ));
    }
    if let Some((i, f)) = rec.all().enumerate().find(|(_, f)| f.len() > MAX_FIELD) {
        pre.push(ctx.reason(
            Rule::FieldTooLong,
            format!(
                "field {} ({:?}) is {} bytes long, over the {MAX_FIELD}-byte limit",
                i + 1,
                ctx.names.get(i).map_or("", String::as_str),
                f.len()
            ),
        ));
    }
    if let Some(m) = &id_missing {
        pre.push(ctx.reason(Rule::MissingStation, m.clone()));
    }
    if !pre.is_empty() {
        out.quarantine.push(Quarantined {
            source,
            station: id_missing.is_none().then(|| st.id.clone()),
            reasons: pre,
            record: record_strings(rec),
            more: Vec::new(),
        });
        return;
    }
    for (l, (parts, name_col)) in cols.levels.iter().enumerate() {
        // Files are usually sorted by geography: most rows repeat the raw
        // code fields of the row before, hence its unit, which skips
        // building the code and the hash lookup.
        let last = &mut st.last_raw[l];
        let same = !out.units[l].is_empty()
            && parts
                .iter()
                .zip(last.iter())
                .all(|((i, _), raw)| rec.at(*i).unwrap_or(b"") == raw.as_slice());
        if !same {
            build_id(parts, rec, "/", &mut st.code);
            let name = name_col.map_or("", |i| crate::config::trim(field(rec, i)));
            st.geo[l] = out.units[l].intern(&st.code, name);
            last.resize(parts.len(), Vec::new());
            for ((i, _), raw) in parts.iter().zip(last.iter_mut()) {
                raw.clear();
                raw.extend_from_slice(rec.at(*i).unwrap_or(b""));
            }
        }
    }
    match check_row(ctx, rec, &st.id, &mut st.options) {
        Ok(Some((counts, warnings))) => {
            out.accept(&st.id, &st.geo, &counts, source, warnings);
        }
        Ok(None) => {
            let reg = cols.extras[0].as_ref().and_then(|idxs| {
                match parse_field(rec.at(idxs[0]).unwrap_or(b"")) {
                    Num::Value(v) => u32::try_from(v).ok(),
                    _ => None,
                }
            });
            out.missing.push(MissingSheet {
                station: st.id.clone(),
                geo: st.geo.clone(),
                registered: reg,
                source,
            });
        }
        Err((reasons, _)) => out.quarantine.push(Quarantined {
            source,
            station: Some(st.id.clone()),
            reasons,
            record: record_strings(rec),
            more: Vec::new(),
        }),
    }
}

pub(crate) fn severities(cfg: &Config) -> crate::sheet::Severities {
    crate::sheet::Severities::of(cfg)
}

pub(crate) fn read_wide(
    cfg: &Config,
    ds: &mut Dataset,
    file: u32,
    text: &[u8],
    header: &Header,
    progress: &dyn Progress,
) -> Result<u64, Error> {
    let ctx = RowCtx {
        cfg,
        cols: &header.cols,
        names: &header.names,
        nfields: header.names.len(),
        file,
        severities: severities(cfg),
    };
    let body = &text[header.body_start.min(text.len())..];
    let threads = rayon::current_num_threads();
    let cuts = Cuts::new(
        cfg.input.delimiter.as_bytes()[0],
        header.eol,
        Some(header.names.len()),
    );
    let bounds = chunk_bounds(body, cuts, threads * 4, 1 << 20);
    // Line number at the start of each chunk: the header's lines plus the
    // line ends in the chunks before.
    // The line of the first byte after the header (the header's own line
    // when a `\r\n` was cut after its `\r`).
    let body_line = 1 + memchr::memchr_iter(header.eol, &text[..header.body_start]).count() as u64;
    let ends: Vec<u64> = bounds
        .par_iter()
        .map(|&(a, b)| memchr::memchr_iter(header.eol, &body[a..b]).count() as u64)
        .collect();
    let mut firsts = Vec::with_capacity(bounds.len());
    let mut acc = body_line;
    for e in &ends {
        firsts.push(acc);
        acc += e;
    }
    let base = header.body_start;
    let chunks: Vec<Chunk> = bounds
        .par_iter()
        .zip(firsts.par_iter().zip(ends.par_iter()))
        .map(|(&(a, b), (&first, &ends))| {
            let place = Place {
                offset: (base + a) as u64,
                first_line: first,
                line_ends: ends as usize,
            };
            let c = parse_chunk(&ctx, &text[base + a..base + b], place, header, None);
            progress.advance((b - a) as u64);
            c
        })
        .collect();
    Ok(merge_chunks(ds, chunks))
}

pub(crate) fn merge_chunks(ds: &mut Dataset, chunks: Vec<Chunk>) -> u64 {
    chunks.into_iter().map(|c| merge_chunk(ds, c).0).sum()
}

/// Append one chunk's sheets, flags, quarantine and missing stations to
/// the dataset, re-interning its units; the rows it read, and its columns
/// to reuse.
pub(crate) fn merge_chunk(ds: &mut Dataset, c: Chunk) -> (u64, Sheets) {
    let map: Vec<Vec<u32>> = c
        .units
        .iter()
        .enumerate()
        .map(|(l, u)| {
            (0..u.len())
                .map(|i| ds.units[l].intern(&u.codes[i], &u.names[i]))
                .collect()
        })
        .collect();
    let offset = ds.sheets.len();
    ds.sheets.append(&c.sheets, &map);
    ds.flags.extend(c.flags.into_iter().map(|mut f| {
        f.sheet += offset;
        f
    }));
    ds.quarantine.extend(c.quarantine);
    ds.filtered += c.filtered;
    ds.origins.extend(c.origins);
    ds.missing.extend(c.missing.into_iter().map(|mut m| {
        for (l, g) in m.geo.iter_mut().enumerate() {
            *g = map[l][*g as usize];
        }
        m
    }));
    (c.rows, c.sheets)
}
