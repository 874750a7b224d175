//! JSON Lines: one flat object per sheet, keys as column names, read
//! natively: each line is parsed straight into the fields of the columns
//! the config names, in parallel chunks cut at line ends, and goes through
//! the same row checks as a CSV row.

#[allow(unused_imports)]
use super::*;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::borrow::Cow;

/// The columns of a JSON Lines file: every column the config names, in the
/// order the config names them, once each. Keys the config does not name
/// are skipped unread; provenance keys ([`crate::model::RowOrigin::KEYS`])
/// are kept apart.
#[derive(Clone, Debug)]
pub(crate) struct JsonKeys {
    exact: HashMap<String, usize>,
    folded: HashMap<String, usize>,
}

impl JsonKeys {
    fn new(names: &[String]) -> JsonKeys {
        let mut exact = HashMap::new();
        let mut folded = HashMap::new();
        for (i, n) in names.iter().enumerate() {
            exact.entry(n.clone()).or_insert(i);
            folded.entry(n.to_ascii_lowercase()).or_insert(i);
        }
        JsonKeys { exact, folded }
    }

    /// The column of a key: its exact name, else its name in any case (as
    /// a CSV header is matched).
    fn column(&self, key: &str) -> Option<(usize, bool)> {
        if let Some(&i) = self.exact.get(key) {
            return Some((i, true));
        }
        if key.bytes().any(|b| b.is_ascii_uppercase()) {
            self.folded.get(&key.to_ascii_lowercase())
        } else {
            self.folded.get(key)
        }
        .map(|&i| (i, false))
    }
}

/// Every column name the config uses, once each, in the config's order.
fn config_columns(cfg: &Config) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |c: &str| {
        let c = c.trim();
        if !out.iter().any(|o| o == c) {
            out.push(c.to_string());
        }
    };
    for p in &cfg.station.id {
        add(p.column());
    }
    for l in &cfg.levels {
        for p in l.code.parts() {
            add(p.column());
        }
        if let Some(n) = &l.name {
            add(n);
        }
    }
    match cfg.input.shape {
        Shape::Wide => {
            for o in &cfg.options {
                match &o.columns {
                    Some(spec) => spec.columns().iter().for_each(|c| add(c)),
                    None => add(&o.key),
                }
            }
        }
        Shape::Long => {
            for c in [&cfg.input.option_column, &cfg.input.votes_column]
                .into_iter()
                .flatten()
            {
                add(c);
            }
        }
    }
    let c = &cfg.columns;
    for spec in [
        &c.registered,
        &c.valid,
        &c.null,
        &c.blank,
        &c.ballots,
        &c.issued,
    ]
    .into_iter()
    .flatten()
    {
        spec.columns().iter().for_each(|c| add(c));
    }
    for col in cfg.input.filter.keys() {
        add(col);
    }
    out
}

/// The header of a JSON Lines file: the config's columns (see
/// [`config_columns`]); every line is one record, from byte 0.
pub(crate) fn json_header(cfg: &Config, name: &str) -> Result<Header, Error> {
    let names = config_columns(cfg);
    let cols = resolve(cfg, name, &names)?;
    Ok(Header {
        json: Some(JsonKeys::new(&names)),
        names,
        body_start: 0,
        eol: b'\n',
        cols,
    })
}

/// One line parsed: its fields in header order, and what it says of its
/// own provenance.
pub(crate) struct JsonLine<'k> {
    keys: &'k JsonKeys,
    /// Per column: its text, and whether a key named it exactly.
    values: Vec<Option<(Vec<u8>, bool)>>,
    origin: crate::model::RowOrigin,
    /// A column given twice in the object.
    twice: Option<String>,
}

impl<'k> JsonLine<'k> {
    pub(crate) fn new(keys: &'k JsonKeys, width: usize) -> JsonLine<'k> {
        JsonLine {
            keys,
            values: vec![None; width],
            origin: Default::default(),
            twice: None,
        }
    }

    /// Parse `line` into the fields of `rec` (every column, empty where the
    /// object has no key for it). `Err` with the parser's message when the
    /// line is not a JSON object.
    pub(crate) fn parse(&mut self, line: &[u8], rec: &mut csv::ByteRecord) -> Result<(), String> {
        self.values.iter_mut().for_each(|v| *v = None);
        self.origin = Default::default();
        self.twice = None;
        let mut de = serde_json::Deserializer::from_slice(line);
        de.deserialize_map(ObjectVisitor(self))
            .and_then(|()| de.end())
            .map_err(|e| e.to_string())?;
        rec.clear();
        for v in &self.values {
            rec.push_field(v.as_ref().map_or(&b""[..], |(t, _)| t.as_slice()));
        }
        Ok(())
    }

    /// Which columns this line has a key for.
    pub(crate) fn present(&self) -> impl Iterator<Item = bool> + '_ {
        self.values.iter().map(Option::is_some)
    }

    /// The provenance the line states of itself, if any.
    pub(crate) fn origin(&self) -> Option<crate::model::RowOrigin> {
        (self.origin != crate::model::RowOrigin::default()).then(|| self.origin.clone())
    }
}

struct ObjectVisitor<'a, 'k>(&'a mut JsonLine<'k>);

impl<'de> Visitor<'de> for ObjectVisitor<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let line = self.0;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let col = line.keys.column(&key);
            let is_origin = crate::model::RowOrigin::KEYS.contains(&key.as_ref());
            if col.is_none() && !is_origin {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let text = map.next_value_seed(Scalar)?;
            if is_origin && let Ok(s) = std::str::from_utf8(&text) {
                let o = &mut line.origin;
                let slot = match key.as_ref() {
                    "source" => {
                        o.kind = crate::sheet::SourceKind::parse(s);
                        None
                    }
                    "image" => Some(&mut o.image),
                    "image_sha256" => Some(&mut o.image_sha256),
                    "qr_payload" => Some(&mut o.qr_payload),
                    "received_at" => Some(&mut o.received_at),
                    _ => Some(&mut o.submitted_by),
                };
                if let Some(slot) = slot
                    && !text.is_empty()
                {
                    *slot = Some(s.to_string());
                }
            }
            if let Some((i, exact)) = col {
                match &line.values[i] {
                    // A key in another case does not replace the exact one.
                    Some((_, true)) if !exact => {}
                    Some((_, was_exact)) if *was_exact == exact => {
                        line.twice.get_or_insert_with(|| key.to_string());
                        line.values[i] = Some((text, exact));
                    }
                    _ => line.values[i] = Some((text, exact)),
                }
            }
        }
        Ok(())
    }
}

/// A value as the text of a field: a string as it is, a number or a
/// boolean as JSON writes it, `null` as empty, an array or object as a
/// marker that no count parses.
struct Scalar;

impl<'de> DeserializeSeed<'de> for Scalar {
    type Value = Vec<u8>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<u8>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Scalar {
    type Value = Vec<u8>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_str<E>(self, v: &str) -> Result<Vec<u8>, E> {
        Ok(v.as_bytes().to_vec())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Vec<u8>, E> {
        Ok(v.to_string().into_bytes())
    }
    fn visit_i64<E>(self, v: i64) -> Result<Vec<u8>, E> {
        Ok(v.to_string().into_bytes())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Vec<u8>, E> {
        Ok(serde_json::Number::from_f64(v)
            .map_or_else(|| v.to_string(), |n| n.to_string())
            .into_bytes())
    }
    fn visit_bool<E>(self, v: bool) -> Result<Vec<u8>, E> {
        Ok(v.to_string().into_bytes())
    }
    fn visit_unit<E>(self) -> Result<Vec<u8>, E> {
        Ok(Vec::new())
    }
    fn visit_none<E>(self) -> Result<Vec<u8>, E> {
        Ok(Vec::new())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut s: A) -> Result<Vec<u8>, A::Error> {
        while s.next_element::<IgnoredAny>()?.is_some() {}
        Ok(b"[a JSON array]".to_vec())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Vec<u8>, A::Error> {
        while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(b"{a JSON object}".to_vec())
    }
}

/// The quarantine entry of a line that is not a JSON object.
fn not_an_object(file: u32, line: u64, offset: u64, message: &str, raw: &[u8]) -> Quarantined {
    Quarantined {
        source: Provenance { file, line, offset },
        station: None,
        reasons: vec![Reason {
            rule: Rule::FieldCount,
            severity: Severity::Error,
            message: format!("not a JSON object: {message}"),
        }],
        record: vec![String::from_utf8_lossy(raw).into_owned()],
        more: Vec::new(),
    }
}

/// The lines of `text[a..b]` (cut at line ends), each with its line
/// number and offset: blank lines are skipped.
fn lines(
    text: &[u8],
    a: usize,
    b: usize,
    first_line: u64,
) -> impl Iterator<Item = (u64, usize, &[u8])> {
    let mut at = a;
    let mut line = first_line;
    std::iter::from_fn(move || {
        while at < b {
            let end = memchr::memchr(b'\n', &text[at..b]).map_or(b, |e| at + e);
            let (n, start) = (line, at);
            at = end + 1;
            line += 1;
            let l = text[start..end].trim_ascii();
            if !l.is_empty() {
                return Some((n, start, l));
            }
        }
        None
    })
}

/// Parse the JSON lines of `slice` (whole lines; its first byte at
/// `offset` in the text, on line `first_line`) into a chunk, each line
/// checked as a wide row.
pub(crate) fn parse_json_chunk(
    ctx: &RowCtx<'_>,
    keys: &JsonKeys,
    slice: &[u8],
    offset: u64,
    first_line: u64,
) -> Chunk {
    let nlevels = ctx.cols.levels.len();
    let mut out = Chunk::new(ctx.cfg, nlevels, ctx.cols.options.len());
    out.seen = vec![false; ctx.names.len()];
    let mut st = RowState::new(nlevels, ctx.cols.options.len());
    let mut parsed = JsonLine::new(keys, ctx.names.len());
    let mut rec = csv::ByteRecord::new();
    let file = ctx.file;
    for (line, at, raw) in lines(slice, 0, slice.len(), first_line) {
        let at = offset + at as u64;
        out.rows += 1;
        if let Err(m) = parsed.parse(raw, &mut rec) {
            out.quarantine.push(not_an_object(file, line, at, &m, raw));
            continue;
        }
        out.objects += 1;
        for (s, p) in out.seen.iter_mut().zip(parsed.present()) {
            *s |= p;
        }
        if let Some(o) = parsed.origin() {
            out.origins.push(((file, line), o));
        }
        let source = Provenance {
            file,
            line,
            offset: at,
        };
        if let Some(k) = &parsed.twice {
            out.quarantine.push(Quarantined {
                source,
                station: None,
                reasons: vec![ctx.reason(
                    Rule::FieldCount,
                    format!("key {k:?} is given twice in the object"),
                )],
                record: vec![String::from_utf8_lossy(raw).into_owned()],
                more: Vec::new(),
            });
            continue;
        }
        process_row(ctx, &rec, source, &mut st, &mut out);
    }
    out
}

/// What the chunks of one file saw of its columns: per column whether any
/// line had it, and how many lines were objects.
#[derive(Default)]
pub(crate) struct Seen {
    columns: Vec<bool>,
    objects: u64,
    read: u64,
}

impl Seen {
    /// Take a chunk's part before it is merged.
    pub(crate) fn add(&mut self, c: &mut Chunk) {
        if self.columns.len() < c.seen.len() {
            self.columns.resize(c.seen.len(), false);
        }
        for (s, p) in self.columns.iter_mut().zip(&c.seen) {
            *s |= p;
        }
        self.objects += c.objects;
        self.read += c.rows + c.filtered;
    }

    /// [`check_seen`] on what was seen.
    pub(crate) fn check(&self, cfg: &Config, name: &str, header: &Header) -> Result<(), Error> {
        check_seen(cfg, name, header, &self.columns, self.read, self.objects)
    }
}

/// Read a JSON Lines text of the wide shape (held in memory) into `ds`:
/// the rows it read.
pub(crate) fn read_json_wide(
    cfg: &Config,
    ds: &mut Dataset,
    file: u32,
    text: &[u8],
    header: &Header,
    progress: &dyn Progress,
) -> Result<u64, Error> {
    let Some(keys) = &header.json else {
        return Ok(0);
    };
    let ctx = RowCtx {
        cfg,
        cols: &header.cols,
        names: &header.names,
        nfields: header.names.len(),
        file,
        severities: severities(cfg),
    };
    let threads = rayon::current_num_threads();
    let bounds = line_bounds(text, threads * 4, 1 << 20);
    let ends: Vec<u64> = bounds
        .par_iter()
        .map(|&(a, b)| memchr::memchr_iter(b'\n', &text[a..b]).count() as u64)
        .collect();
    let mut firsts = Vec::with_capacity(bounds.len());
    let mut acc = 1;
    for e in &ends {
        firsts.push(acc);
        acc += e;
    }
    let mut chunks: Vec<Chunk> = bounds
        .par_iter()
        .zip(firsts.par_iter())
        .map(|(&(a, b), &first)| {
            let c = parse_json_chunk(&ctx, keys, &text[a..b], a as u64, first);
            progress.advance((b - a) as u64);
            c
        })
        .collect();
    let mut seen = Seen::default();
    chunks.iter_mut().for_each(|c| seen.add(c));
    seen.check(cfg, &ds.files[file as usize].path, header)?;
    Ok(merge_chunks(ds, chunks))
}

/// A column the config names that no line of the file has is the same
/// error as a CSV header without it (the listing shows the keys that were
/// seen); a file with no line at all is an empty file. `read`: the lines
/// read; `objects`: those that were JSON objects.
fn check_seen(
    cfg: &Config,
    name: &str,
    header: &Header,
    seen: &[bool],
    read: u64,
    objects: u64,
) -> Result<(), Error> {
    if read == 0 {
        return Err(Error::Input {
            file: name.to_string(),
            message: "the file is empty: no JSON object".to_string(),
        });
    }
    if objects == 0 || seen.iter().all(|s| *s) {
        // Every column found, or no line an object (each is quarantined
        // with the parser's reason).
        return Ok(());
    }
    let names: Vec<String> = header
        .names
        .iter()
        .zip(seen)
        .filter(|(_, s)| **s)
        .map(|(n, _)| n.clone())
        .collect();
    resolve(cfg, name, &names).map(|_| ()).map_err(|e| match e {
        Error::Input { file, message } => Error::Input {
            file,
            message: message.replace("; the header has:", " in any line; the lines have:"),
        },
        other => other,
    })
}

/// Read a JSON Lines text of the long shape into `ds`: the rows it read.
pub(crate) fn read_json_long(
    cfg: &Config,
    ds: &mut Dataset,
    file: u32,
    text: &[u8],
    header: &Header,
    progress: &dyn Progress,
) -> Result<u64, Error> {
    let Some(keys) = &header.json else {
        return Ok(0);
    };
    let mut parsed = JsonLine::new(keys, header.names.len());
    let mut seen = vec![false; header.names.len()];
    let mut bad = Vec::new();
    let mut origins = Vec::new();
    let mut all = lines(text, 0, text.len(), 1);
    let mut next = || {
        for (line, offset, raw) in all.by_ref() {
            let mut rec = csv::ByteRecord::new();
            let source = Provenance {
                file,
                line,
                offset: offset as u64,
            };
            match parsed.parse(raw, &mut rec) {
                Err(m) => bad.push(not_an_object(file, line, offset as u64, &m, raw)),
                Ok(()) => {
                    for (s, p) in seen.iter_mut().zip(parsed.present()) {
                        *s |= p;
                    }
                    if let Some(o) = parsed.origin() {
                        origins.push(((file, line), o));
                    }
                    return Some((rec, source));
                }
            }
        }
        None
    };
    let mut chunk = group_long(cfg, file, header, &mut next);
    progress.advance(text.len() as u64);
    let not_objects = bad.len() as u64;
    let lines_read = lines(text, 0, text.len(), 1).count() as u64;
    check_seen(
        cfg,
        &ds.files[file as usize].path,
        header,
        &seen,
        lines_read,
        lines_read - not_objects,
    )?;
    chunk.rows += not_objects;
    chunk.quarantine.extend(bad);
    chunk.origins = origins;
    Ok(merge_chunks(ds, vec![chunk]))
}

/// Cut `text` into about `n` pieces of at least `min` bytes, each ending
/// just after a line end (or at the end).
pub(crate) fn line_bounds(text: &[u8], n: usize, min: usize) -> Vec<(usize, usize)> {
    let size = (text.len() / n.max(1)).max(min);
    let mut out = Vec::new();
    let mut a = 0;
    while a < text.len() {
        let want = (a + size).min(text.len());
        let b = if want == text.len() {
            want
        } else {
            memchr::memchr(b'\n', &text[want..]).map_or(text.len(), |e| want + e + 1)
        };
        out.push((a, b));
        a = b;
    }
    out
}

/// Re-read the line at `offset` of a JSON Lines text into `rec`.
pub(crate) fn reread_json(
    keys: &JsonKeys,
    width: usize,
    text: &[u8],
    offset: usize,
    rec: &mut csv::ByteRecord,
) -> Option<()> {
    let rest = text.get(offset..)?;
    let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
    JsonLine::new(keys, width)
        .parse(rest[..end].trim_ascii(), rec)
        .ok()
}
