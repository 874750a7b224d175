//! Readers: from sheet files (CSV, gzip CSV, JSON Lines) to a validated
//! [`Dataset`].
//!
//! The CSV path is built for election night: a UTF-8 file (plain or gzip)
//! streams from disk in blocks cut at record boundaries and parsed in
//! parallel while the next blocks are read (so a file is never held whole
//! in memory); other inputs (Windows-1252, JSON Lines, Parquet) are decoded
//! whole and split into chunks the same way. Counts are parsed from bytes without
//! allocating, and accepted sheets are stored columnar. Every row ends in exactly one place: an
//! accepted sheet, the quarantine (with its reasons), a station listed
//! without a sheet, or a merge into an identical copy.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::config::{Config, CountSpec, Empty, Encoding, IdPart, Shape};
use crate::error::{Error, suggest};
use crate::model::{
    Dataset, Flag, MissingSheet, Provenance, Quarantined, Reason, Sheets, SourceFile, Units,
};
use crate::registry::Registry;
use crate::rules::{Rule, Severity};
use crate::sheet::{Num, bare_digits, parse_field};

mod stream;

/// The longest field accepted, in bytes.
pub const MAX_FIELD: usize = 4096;

/// Receives progress while files are read. The library never prints; the
/// binary draws a bar from these calls.
pub trait Progress: Sync {
    /// A file of `bytes` bytes is about to be read: bytes as stored when it
    /// streams from disk (compressed, for gzip), decoded bytes when it is
    /// decoded whole (Windows-1252, JSON Lines, Parquet, bytes in memory).
    fn start_file(&self, _path: &str, _bytes: u64) {}
    /// `bytes` more bytes of it were read, counted as in `start_file`.
    fn advance(&self, _bytes: u64) {}
}

/// Progress that goes nowhere.
pub struct NoProgress;
impl Progress for NoProgress {}

/// Read and validate sheet files into one dataset.
///
/// Files ending in `.jsonl` or `.ndjson` are read as JSON Lines (one object
/// per sheet, keys as column names); Parquet files (detected from their
/// bytes) column by column, a row's "line" being its row number plus one as
/// if the file had a header line; anything else as delimited text
/// (gzip-compressed or not, detected from the bytes).
pub fn read_files<P: AsRef<Path>>(
    cfg: &Config,
    paths: &[P],
    registry: Option<&Registry>,
    progress: &dyn Progress,
) -> Result<Dataset, Error> {
    read_files_in_blocks(cfg, paths, registry, progress, stream::BLOCK)
}

/// [`read_files`], with plain and gzip files streamed in blocks of `block`
/// bytes (at least 1) instead of the usual few MiB. For tests and fuzzing,
/// which check that the block size never changes what is read.
#[doc(hidden)]
pub fn read_files_in_blocks<P: AsRef<Path>>(
    cfg: &Config,
    paths: &[P],
    registry: Option<&Registry>,
    progress: &dyn Progress,
    block: usize,
) -> Result<Dataset, Error> {
    let inputs = paths.iter().map(|p| {
        let path = p.as_ref();
        Input::Path(path.display().to_string(), path.to_path_buf())
    });
    read_inputs(cfg, inputs, registry, progress, block.max(1))
}

/// Read and validate one sheet file held in memory, exactly as
/// [`read_files`] reads a file named `name` with these contents: the name
/// decides JSON Lines against delimited text and appears in provenance and
/// messages.
///
/// ```
/// use tallyproof_core::{Config, NoProgress, read_bytes};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let cfg = Config::from_toml(r#"
///     [election]
///     name = "Example"
///     [station]
///     id = ["station"]
///     [[options]]
///     key = "A"
/// "#)?;
/// let ds = read_bytes(&cfg, "sheets.csv", b"station,A\n1,10\n2,x\n".to_vec(), None, &NoProgress)?;
/// assert_eq!((ds.sheets.len(), ds.quarantine.len()), (1, 1));
/// # Ok(()) }
/// ```
pub fn read_bytes(
    cfg: &Config,
    name: &str,
    bytes: Vec<u8>,
    registry: Option<&Registry>,
    progress: &dyn Progress,
) -> Result<Dataset, Error> {
    read_inputs(
        cfg,
        std::iter::once(Input::Bytes(name.to_string(), bytes)),
        registry,
        progress,
        stream::BLOCK,
    )
}

/// One input: a file to open, or bytes already in memory; each with the
/// name that appears in provenance and messages.
enum Input {
    Path(String, PathBuf),
    Bytes(String, Vec<u8>),
}

/// Where the text of a file read can be found again, to re-read rows by
/// offset: in memory (decoded), or in the file, plain or gzip (offsets in
/// the text after a BOM of `skip` bytes).
enum Text {
    Memory(Vec<u8>),
    File {
        path: PathBuf,
        skip: u64,
        gzip: bool,
    },
}

/// Read inputs in order into one dataset; plain UTF-8 files on disk stream
/// in blocks of `block` bytes.
fn read_inputs(
    cfg: &Config,
    inputs: impl Iterator<Item = Input>,
    registry: Option<&Registry>,
    progress: &dyn Progress,
    block: usize,
) -> Result<Dataset, Error> {
    let mut ds = Dataset {
        options: cfg.option_keys(),
        levels: cfg.levels.iter().map(|l| l.key.clone()).collect(),
        units: vec![Units::default(); cfg.levels.len()],
        sheets: Sheets::with_shape(cfg.levels.len(), cfg.options.len(), present(cfg)),
        ..Default::default()
    };
    let mut buffers = Vec::new();
    for input in inputs {
        let (name, raw) = match input {
            Input::Bytes(name, raw) => (name, raw),
            Input::Path(name, path) => match stream::open(cfg, &name, &path, block)? {
                stream::Opened::Whole(raw) => (name, raw),
                stream::Opened::Stream(st) => {
                    match stream::read_wide_stream(cfg, &mut ds, &name, st, progress)? {
                        stream::Streamed::Done { header, skip, gzip } => {
                            buffers.push((Text::File { path, skip, gzip }, *header));
                            continue;
                        }
                        stream::Streamed::ReadWhole => {
                            let raw = std::fs::read(&path).map_err(|e| Error::Io {
                                path: name.clone(),
                                source: e,
                            })?;
                            (name, raw)
                        }
                    }
                }
            },
        };
        #[cfg(feature = "parquet")]
        let (raw, is_parquet) = if crate::parquet_input::is_parquet(&raw) {
            let delim = cfg.input.delimiter.as_bytes()[0];
            (crate::parquet_input::to_delimited(&name, raw, delim)?, true)
        } else {
            (raw, false)
        };
        #[cfg(not(feature = "parquet"))]
        let is_parquet = false;
        let (text, gzip, encoding) = decode(&name, raw, cfg.input.encoding)?;
        let encoding = if is_parquet { "parquet" } else { encoding };
        let file_index = ds.files.len() as u32;
        progress.start_file(&name, text.len() as u64);
        let is_jsonl = is_json_lines(&name);
        let mut json_lines = None;
        let (text, header) = if is_jsonl {
            let j = jsonl_to_csv(cfg, &name, &text)?;
            for (line, message, raw) in j.errors {
                ds.quarantine.push(Quarantined {
                    source: Provenance {
                        file: file_index,
                        line,
                        offset: u64::MAX,
                    },
                    station: None,
                    reasons: vec![Reason {
                        rule: Rule::FieldCount,
                        severity: Severity::Error,
                        message: format!("not a JSON object: {message}"),
                    }],
                    record: vec![raw],
                });
            }
            json_lines = Some(j.lines);
            (j.csv, j.header)
        } else {
            let header = read_header(cfg, &name, &text)?;
            (text, header)
        };
        ds.files.push(SourceFile {
            path: name.clone(),
            header: header.names.clone(),
            rows: 0,
            bytes: text.len() as u64,
            encoding,
            gzip,
        });
        let rows = match cfg.input.shape {
            Shape::Wide => read_wide(cfg, &mut ds, file_index, &text, &header, progress)?,
            Shape::Long => read_long(cfg, &mut ds, file_index, &text, &header, progress)?,
        };
        ds.files[file_index as usize].rows = rows;
        if let Some(map) = json_lines {
            // CSV line n (the header is line 1) is JSON line map[n - 2].
            let fix = |p: &mut Provenance| {
                if p.file == file_index && p.offset != u64::MAX {
                    p.line = map.get(p.line as usize - 2).copied().unwrap_or(p.line);
                }
            };
            ds.sheets.source.iter_mut().for_each(fix);
            ds.quarantine.iter_mut().for_each(|q| fix(&mut q.source));
            ds.missing.iter_mut().for_each(|m| fix(&mut m.source));
            ds.files[file_index as usize].rows += ds
                .quarantine
                .iter()
                .filter(|q| q.source.file == file_index && q.source.offset == u64::MAX)
                .count() as u64;
        }
        buffers.push((Text::Memory(text), header));
    }
    resolve_duplicates(cfg, &mut ds, &buffers);
    if let Some(reg) = registry {
        check_registry(cfg, &mut ds, reg, &buffers);
    }
    ds.quarantine
        .sort_by_key(|q| (q.source.file, q.source.line, q.source.offset));
    Ok(ds)
}

/// Whether a file is read as JSON Lines, by its name.
fn is_json_lines(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz"]
        .iter()
        .any(|e| lower.ends_with(e))
}

fn present(cfg: &Config) -> [bool; 6] {
    let c = &cfg.columns;
    [
        c.registered.is_some(),
        c.valid.is_some(),
        c.null.is_some(),
        c.blank.is_some(),
        c.ballots.is_some(),
        c.issued.is_some(),
    ]
}

/// Decompress (gzip by magic number), strip a UTF-8 BOM and decode to UTF-8.
fn decode(name: &str, raw: Vec<u8>, enc: Encoding) -> Result<(Vec<u8>, bool, &'static str), Error> {
    let gzip = raw.len() >= 2 && raw[0] == 0x1f && raw[1] == 0x8b;
    let raw = if gzip {
        let mut out = Vec::with_capacity(raw.len() * 4);
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| Error::Input {
                file: name.to_string(),
                message: format!("gzip data is corrupt or truncated: {e}"),
            })?;
        out
    } else {
        raw
    };
    let body = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&raw);
    match enc {
        Encoding::Utf8 => match std::str::from_utf8(body) {
            Ok(_) => Ok((strip_bom(raw), gzip, "utf-8")),
            Err(e) => {
                let line = 1 + body[..e.valid_up_to()]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
                Err(Error::Input {
                    file: name.to_string(),
                    message: format!(
                        "line {line}: not valid UTF-8 (byte offset {}); set [input] encoding = \"windows-1252\" for Latin-1 files",
                        e.valid_up_to()
                    ),
                })
            }
        },
        Encoding::Auto if std::str::from_utf8(body).is_ok() => Ok((strip_bom(raw), gzip, "utf-8")),
        Encoding::Auto | Encoding::Windows1252 => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(body);
            Ok((text.into_owned().into_bytes(), gzip, "windows-1252"))
        }
    }
}

fn strip_bom(mut v: Vec<u8>) -> Vec<u8> {
    if v.starts_with(b"\xEF\xBB\xBF") {
        v.drain(..3);
    }
    v
}

/// The header of a file and the column index of every config name.
pub(crate) struct Header {
    pub(crate) names: Vec<String>,
    /// Byte offset of the first data row.
    body_start: usize,
    /// The terminator used to count lines (`\n`, or `\r` for CR-only files).
    eol: u8,
    cols: Columns,
}

/// Per level: the columns its code is built from, and its name column.
type LevelColumns = (Vec<(usize, IdPart)>, Option<usize>);

/// Column indices resolved against a header.
struct Columns {
    id: Vec<(usize, IdPart)>,
    levels: Vec<LevelColumns>,
    /// Per option: the columns that add up (wide), empty for long.
    options: Vec<Vec<usize>>,
    /// registered, valid, null, blank, ballots, issued.
    extras: [Option<Vec<usize>>; 6],
    long_option: Option<usize>,
    long_votes: Option<usize>,
}

fn csv_builder(cfg: &Config) -> csv::ReaderBuilder {
    let mut b = csv::ReaderBuilder::new();
    b.has_headers(false)
        .flexible(true)
        .delimiter(cfg.input.delimiter.as_bytes()[0]);
    b
}

fn read_header(cfg: &Config, name: &str, text: &[u8]) -> Result<Header, Error> {
    let mut rdr = csv_builder(cfg).from_reader(text);
    let mut rec = csv::ByteRecord::new();
    let got = rdr.read_byte_record(&mut rec).map_err(|e| Error::Input {
        file: name.to_string(),
        message: format!("cannot read the header: {e}"),
    })?;
    if !got {
        return Err(Error::Input {
            file: name.to_string(),
            message: "the file is empty: no header row".to_string(),
        });
    }
    let names: Vec<String> = rec
        .iter()
        .map(|f| String::from_utf8_lossy(f).trim().to_string())
        .collect();
    let body_start = rdr.position().byte() as usize;
    let eol = if memchr::memchr(b'\n', text).is_some() {
        b'\n'
    } else {
        b'\r'
    };
    let cols = resolve(cfg, name, &names)?;
    Ok(Header {
        names,
        body_start,
        eol,
        cols,
    })
}

fn resolve(cfg: &Config, file: &str, names: &[String]) -> Result<Columns, Error> {
    let find = |col: &str, what: &str| -> Result<usize, Error> {
        let want = col.trim();
        names
            .iter()
            .position(|n| n == want)
            .or_else(|| names.iter().position(|n| n.eq_ignore_ascii_case(want)))
            .ok_or_else(|| Error::Input {
                file: file.to_string(),
                message: format!(
                    "no column {col:?} (for {what}){}; the header has: {}",
                    suggest(col, names.iter().map(String::as_str)),
                    names.join(", ")
                ),
            })
    };
    let parts = |ps: &[IdPart], what: &str| -> Result<Vec<(usize, IdPart)>, Error> {
        ps.iter()
            .map(|p| Ok((find(p.column(), what)?, p.clone())))
            .collect()
    };
    let id = parts(&cfg.station.id, "the station id")?;
    let mut levels = Vec::new();
    for l in &cfg.levels {
        let what = format!("level {}", l.key);
        let code = parts(l.code.parts(), &what)?;
        let name = l.name.as_deref().map(|n| find(n, &what)).transpose()?;
        levels.push((code, name));
    }
    let count = |spec: &CountSpec, what: &str| -> Result<Vec<usize>, Error> {
        spec.columns().iter().map(|c| find(c, what)).collect()
    };
    let mut options = Vec::new();
    let (mut long_option, mut long_votes) = (None, None);
    match cfg.input.shape {
        Shape::Wide => {
            for o in &cfg.options {
                let what = format!("option {}", o.key);
                let cols = match &o.columns {
                    Some(spec) => count(spec, &what)?,
                    None => vec![find(&o.key, &what)?],
                };
                options.push(cols);
            }
        }
        Shape::Long => {
            options = vec![Vec::new(); cfg.options.len()];
            if let (Some(oc), Some(vc)) = (&cfg.input.option_column, &cfg.input.votes_column) {
                long_option = Some(find(oc, "the option column")?);
                long_votes = Some(find(vc, "the votes column")?);
            }
        }
    }
    let c = &cfg.columns;
    let specs = [
        (&c.registered, "registered"),
        (&c.valid, "valid"),
        (&c.null, "null"),
        (&c.blank, "blank"),
        (&c.ballots, "ballots"),
        (&c.issued, "issued"),
    ];
    let mut extras: [Option<Vec<usize>>; 6] = Default::default();
    for (slot, (spec, what)) in extras.iter_mut().zip(specs) {
        *slot = spec.as_ref().map(|s| count(s, what)).transpose()?;
    }
    Ok(Columns {
        id,
        levels,
        options,
        extras,
        long_option,
        long_votes,
    })
}

/// Where the rows of a text begin, found without parsing fields, exactly as
/// [`parse_chunk`] reads them from a record start: the CSV rules of the
/// `csv` crate (a quote opens a quoted field only at the start of a field;
/// inside one, `""` is a quote and a line end is part of the field; a `\r`
/// or `\n` outside one ends the record; empty lines are skipped) and this
/// reader's recovery from an unclosed quote (a record that swallowed a line
/// end and came out with the wrong number of fields, or with a field over
/// [`MAX_FIELD`] bytes, is cut at the end of its first line, and reading
/// resumes on the next). Texts are split only where a reading from the
/// start would begin a fresh record, so that the rows do not depend on how
/// the text is split: into blocks, chunks or threads.
#[derive(Clone, Copy)]
pub(crate) struct Cuts {
    delim: u8,
    eol: u8,
    /// The header's width, for the recovery rule; `None` for the header
    /// itself, read without it.
    nfields: Option<usize>,
}

/// How a record read from its start ends.
enum RecordEnd {
    /// At the terminator at this index, read as it is.
    At(usize),
    /// Cut at the end of its first line by the recovery rule, which is
    /// certain once the text up to this index is read (its end, or where a
    /// field that swallowed a line end passed [`MAX_FIELD`] bytes).
    Recovered(usize),
    /// Not within the text.
    Open,
}

impl Cuts {
    pub(crate) fn new(delim: u8, eol: u8, nfields: Option<usize>) -> Cuts {
        Cuts {
            delim,
            eol,
            nfields,
        }
    }

    /// The end of the last line (just after an `eol` byte) at which
    /// reading `buf` from its start (a record start) begins a fresh record.
    pub(crate) fn last(&self, buf: &[u8]) -> Option<usize> {
        if memchr::memchr(b'"', buf).is_none() {
            // No quote: every line end is a record end.
            return memchr::memrchr(self.eol, buf).map(|p| p + 1);
        }
        let mut last = None;
        let mut pos = 0;
        // A text cut before the end of a record that the recovery cut short
        // would show that record shorter, and the recovery would not see
        // it: no cut before it ends.
        let mut not_before = 0;
        let cut = |c: usize, not_before: usize, last: &mut Option<usize>| {
            if c >= not_before {
                *last = Some(c);
            }
        };
        while pos < buf.len() {
            let Some(line_end) = memchr::memchr(self.eol, &buf[pos..]).map(|k| pos + k) else {
                return last;
            };
            if memchr::memchr(b'"', &buf[pos..line_end]).is_none() {
                cut(line_end + 1, not_before, &mut last);
                pos = line_end + 1;
                continue;
            }
            match self.record_end(buf, pos) {
                RecordEnd::Open => return last,
                RecordEnd::Recovered(t) => {
                    not_before = t + 1;
                    pos = line_end + 1;
                }
                RecordEnd::At(t) => {
                    if buf[t] == self.eol {
                        cut(t + 1, not_before, &mut last);
                    }
                    pos = t + 1;
                }
            }
        }
        last
    }

    /// Read one record from `start` (a record start, not an empty line):
    /// where it ends, and whether the recovery rule cuts it.
    fn record_end(&self, buf: &[u8], start: usize) -> RecordEnd {
        #[derive(PartialEq)]
        enum St {
            FieldStart,
            Unquoted,
            Quoted,
            QuoteInQuoted,
        }
        let mut st = St::FieldStart;
        let (mut fields, mut len, mut longest) = (1usize, 0usize, 0usize);
        let mut swallowed_eol = false;
        for (i, &b) in buf.iter().enumerate().skip(start) {
            match st {
                St::Quoted => {
                    if b == b'"' {
                        st = St::QuoteInQuoted;
                    } else {
                        len += 1;
                        swallowed_eol |= b == self.eol;
                        // Both conditions only grow: the recovery will cut
                        // this record whatever follows, so the scan need not
                        // wait for its end (a quote never closed would
                        // otherwise hold the rest of the file in one block).
                        if swallowed_eol && len > MAX_FIELD && self.nfields.is_some() {
                            return RecordEnd::Recovered(i);
                        }
                    }
                    continue;
                }
                St::QuoteInQuoted if b == b'"' => {
                    len += 1;
                    st = St::Quoted;
                    continue;
                }
                St::FieldStart if b == b'"' => {
                    st = St::Quoted;
                    continue;
                }
                _ => {}
            }
            if b == self.delim {
                longest = longest.max(len);
                (fields, len, st) = (fields + 1, 0, St::FieldStart);
            } else if b == b'\n' || b == b'\r' {
                longest = longest.max(len);
                let wrong = self.nfields.is_some_and(|n| fields != n) || longest > MAX_FIELD;
                return if swallowed_eol && wrong && self.nfields.is_some() {
                    RecordEnd::Recovered(i)
                } else {
                    RecordEnd::At(i)
                };
            } else {
                len += 1;
                st = St::Unquoted;
            }
        }
        RecordEnd::Open
    }
}

/// Split `body` into about `n` chunks at record starts (see [`Cuts`]).
fn chunk_bounds(body: &[u8], cuts: Cuts, n: usize, min: usize) -> Vec<(usize, usize)> {
    let target = (body.len() / n.max(1)).max(min.max(1));
    let mut bounds = Vec::new();
    let mut start = 0;
    while start < body.len() {
        let mut want = start + target;
        let end = loop {
            if want >= body.len() {
                break body.len();
            }
            match cuts.last(&body[start..want]) {
                Some(c) => break start + c,
                None => want += target,
            }
        };
        bounds.push((start, end));
        start = end;
    }
    bounds
}

/// Parsed counts of one row.
struct RowCounts<'a> {
    options: &'a [u64],
    extras: [Option<u64>; 6],
}

/// The per-chunk output.
struct Chunk {
    sheets: Sheets,
    units: Vec<Units>,
    flags: Vec<Flag>,
    quarantine: Vec<Quarantined>,
    missing: Vec<MissingSheet>,
    rows: u64,
}

impl Chunk {
    /// Store an accepted sheet and its warnings.
    fn accept(
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

struct RowCtx<'a> {
    cfg: &'a Config,
    cols: &'a Columns,
    names: &'a [String],
    nfields: usize,
    file: u32,
    severities: crate::sheet::Severities,
}

impl RowCtx<'_> {
    fn reason(&self, rule: Rule, message: String) -> Reason {
        self.severities.reason(rule, message)
    }
}

/// The fields of one row: a CSV byte record, or a plain line split at the
/// delimiter.
trait Fields {
    /// How many fields.
    fn width(&self) -> usize;
    /// Field `i`, if there is one.
    fn at(&self, i: usize) -> Option<&[u8]>;
    /// Every field, in order.
    fn all(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.width()).filter_map(|i| self.at(i))
    }
}

impl Fields for csv::ByteRecord {
    fn width(&self) -> usize {
        self.len()
    }
    fn at(&self, i: usize) -> Option<&[u8]> {
        self.get(i)
    }
}

/// A line without quotes, split at the delimiter.
struct Plain<'a> {
    line: &'a [u8],
    /// Per field: its end in `line` (it starts after the previous end and
    /// its delimiter).
    ends: Vec<usize>,
}

impl Fields for Plain<'_> {
    fn width(&self) -> usize {
        self.ends.len()
    }
    fn at(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] + 1 };
        Some(&self.line[start..end])
    }
}

fn field(rec: &impl Fields, i: usize) -> &str {
    std::str::from_utf8(rec.at(i).unwrap_or(b"")).unwrap_or("")
}

fn record_strings(rec: &impl Fields) -> Vec<String> {
    rec.all()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect()
}

/// Build the station id into `out`; false when every part is empty.
fn build_id(parts: &[(usize, IdPart)], rec: &impl Fields, sep: &str, out: &mut String) -> bool {
    out.clear();
    let mut any = false;
    for (k, (i, p)) in parts.iter().enumerate() {
        if k > 0 {
            out.push_str(sep);
        }
        let raw = field(rec, *i);
        any |= !crate::config::trim(raw).is_empty();
        p.render(raw, out);
    }
    any
}

/// Parse and check one row. Returns Ok(counts, warnings) for an accepted
/// sheet, Err(reasons) for a rejected one; `Ok(None)` for a station listed
/// without a sheet.
#[allow(clippy::type_complexity)]
fn check_row<'o>(
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

fn col_name<'a>(ctx: &'a RowCtx<'_>, i: usize) -> &'a str {
    ctx.names.get(i).map_or("", String::as_str)
}

/// Where a chunk of text lies in its file.
#[derive(Clone, Copy)]
struct Place {
    /// Offset in the text of the chunk's first byte.
    offset: u64,
    /// Line of the chunk's first byte.
    first_line: u64,
    /// Line ends in the chunk (counted once, by whoever cut it).
    line_ends: usize,
}

/// Parse the rows in `slice`, which starts at a record boundary at `place`;
/// into `spare`'s columns when given (a chunk's columns, merged and handed
/// back, to spare the allocator and the kernel a fresh set per chunk).
fn parse_chunk(
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
fn is_plain(slice: &[u8], header: &Header) -> bool {
    header.eol == b'\n'
        && memchr::memchr(b'"', slice).is_none()
        && memchr::memchr_iter(b'\r', slice).all(|i| i + 1 == slice.len() || slice[i + 1] == b'\n')
}

/// The rows of a plain slice (see [`is_plain`]): one per non-empty line,
/// fields between delimiters, exactly as the CSV reader reads them, without
/// its per-byte state machine.
fn parse_plain(
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
fn parse_chunk_with(
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
    let mut sheets = match spare {
        Some(mut s) => {
            s.clear();
            s
        }
        None => Sheets::with_shape(nlevels, cols.options.len(), present(cfg)),
    };
    sheets.reserve(lines, slice.len() / ctx.nfields.max(1));
    let mut out = Chunk {
        sheets,
        units: vec![Units::default(); nlevels],
        flags: Vec::new(),
        quarantine: Vec::new(),
        missing: Vec::new(),
        rows: 0,
    };
    let mut st = RowState {
        id: String::new(),
        code: String::new(),
        geo: vec![0u32; nlevels],
        last_raw: vec![Vec::new(); nlevels],
        options: Vec::with_capacity(cols.options.len()),
    };
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
struct RowState {
    id: String,
    code: String,
    geo: Vec<u32>,
    /// Per level: the raw fields its code was last built from.
    last_raw: Vec<Vec<Vec<u8>>>,
    options: Vec<u64>,
}

/// Check one row (its fields split, its source known) and file it: an
/// accepted sheet, a station without a sheet, or the quarantine.
fn process_row(
    ctx: &RowCtx<'_>,
    rec: &impl Fields,
    source: Provenance,
    st: &mut RowState,
    out: &mut Chunk,
) {
    let cfg = ctx.cfg;
    let cols = ctx.cols;
    let has_id = build_id(&cols.id, rec, &cfg.station.separator, &mut st.id);
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
    if !has_id {
        pre.push(ctx.reason(
            Rule::MissingStation,
            "the station id columns are empty".to_string(),
        ));
    }
    if !pre.is_empty() {
        out.quarantine.push(Quarantined {
            source,
            station: has_id.then(|| st.id.clone()),
            reasons: pre,
            record: record_strings(rec),
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
        }),
    }
}

fn severities(cfg: &Config) -> crate::sheet::Severities {
    crate::sheet::Severities::of(cfg)
}

fn read_wide(
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

fn merge_chunks(ds: &mut Dataset, chunks: Vec<Chunk>) -> u64 {
    chunks.into_iter().map(|c| merge_chunk(ds, c).0).sum()
}

/// Append one chunk's sheets, flags, quarantine and missing stations to
/// the dataset, re-interning its units; the rows it read, and its columns
/// to reuse.
fn merge_chunk(ds: &mut Dataset, c: Chunk) -> (u64, Sheets) {
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
    ds.missing.extend(c.missing.into_iter().map(|mut m| {
        for (l, g) in m.geo.iter_mut().enumerate() {
            *g = map[l][*g as usize];
        }
        m
    }));
    (c.rows, c.sheets)
}

/// Long shape: rows are (station, option, votes); per-station columns repeat
/// on each row. Rows are grouped by station into one sheet each, then go
/// through the same checks as wide rows.
fn read_long(
    cfg: &Config,
    ds: &mut Dataset,
    file: u32,
    text: &[u8],
    header: &Header,
    progress: &dyn Progress,
) -> Result<u64, Error> {
    let cols = &header.cols;
    let (Some(oc), Some(vc)) = (cols.long_option, cols.long_votes) else {
        return Ok(0);
    };
    let body = &text[header.body_start.min(text.len())..];
    let mut rdr = csv_builder(cfg).from_reader(body);
    let mut rec = csv::ByteRecord::new();
    let value_of: HashMap<&str, usize> = cfg
        .options
        .iter()
        .enumerate()
        .map(|(i, o)| (o.value.as_deref().unwrap_or(&o.key), i))
        .collect();
    // Per station: its rows, in order.
    struct Group {
        rows: Vec<(csv::ByteRecord, Provenance)>,
        problems: Vec<String>,
    }
    let mut order: Vec<String> = Vec::new();
    let mut groups: HashMap<String, Group> = HashMap::new();
    let mut bad_rows: Vec<(csv::ByteRecord, Provenance, Vec<Reason>)> = Vec::new();
    let mut id = String::new();
    let mut line = 1 + memchr::memchr_iter(header.eol, &text[..header.body_start]).count() as u64;
    let mut counted = 0usize;
    let sev = severities(cfg);
    let reason = |rule: Rule, message: String| sev.reason(rule, message);
    while rdr.read_byte_record(&mut rec).unwrap_or(false) {
        let start = rec.position().map_or(counted, |p| p.byte() as usize);
        line += memchr::memchr_iter(header.eol, &body[counted..start.max(counted)]).count() as u64;
        counted = start.max(counted);
        let source = Provenance {
            file,
            line,
            offset: (header.body_start + start) as u64,
        };
        if rec.len() != header.names.len() {
            let r = reason(
                Rule::FieldCount,
                format!(
                    "{} fields where the header has {}",
                    rec.len(),
                    header.names.len()
                ),
            );
            bad_rows.push((rec.clone(), source, vec![r]));
            continue;
        }
        if !build_id(&cols.id, &rec, &cfg.station.separator, &mut id) {
            let r = reason(
                Rule::MissingStation,
                "the station id columns are empty".into(),
            );
            bad_rows.push((rec.clone(), source, vec![r]));
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
                "line {line}: option {opt:?} is not in the config{}",
                suggest(opt, value_of.keys().copied())
            ));
        }
        g.rows.push((rec.clone(), source));
    }
    progress.advance(body.len() as u64);
    // Assemble each station into a synthetic wide record and check it.
    let n = cfg.options.len();
    let mut synth_names: Vec<String> = cfg.options.iter().map(|o| o.key.clone()).collect();
    synth_names.extend(header.names.iter().cloned());
    let synth_cols = Columns {
        id: Vec::new(),
        levels: Vec::new(),
        options: (0..n).map(|i| vec![i]).collect(),
        extras: header
            .cols
            .extras
            .clone()
            .map(|o| o.map(|v| v.into_iter().map(|i| i + n).collect())),
        long_option: None,
        long_votes: None,
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
    };
    let mut code = String::new();
    let mut options = Vec::with_capacity(n);
    for st in &order {
        let Some(g) = groups.remove(st) else { continue };
        chunk.rows += 1;
        let first = &g.rows[0];
        let mut problems = g.problems;
        let mut votes: Vec<Option<Vec<u8>>> = vec![None; n];
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
                        src.line, cfg.options[o].key
                    )),
                    _ => votes[o] = Some(v),
                }
            }
        }
        for (o, v) in votes.iter().enumerate() {
            if v.is_none() && problems.is_empty() && ctx.cfg.input.empty == Empty::Error {
                problems.push(format!("no row for option {}", cfg.options[o].key));
            }
        }
        let mut synth = csv::ByteRecord::new();
        for v in &votes {
            synth.push_field(v.as_deref().unwrap_or(b""));
        }
        for f in first.0.iter() {
            synth.push_field(f);
        }
        let record: Vec<String> = g.rows.iter().flat_map(|(r, _)| record_strings(r)).collect();
        if !problems.is_empty() {
            chunk.quarantine.push(Quarantined {
                source: first.1,
                station: Some(st.clone()),
                reasons: problems
                    .into_iter()
                    .map(|p| reason(Rule::LongShape, p))
                    .collect(),
                record,
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
        });
    }
    Ok(merge_chunks(ds, vec![chunk]))
}

/// JSON Lines converted to CSV text.
struct Jsonl {
    csv: Vec<u8>,
    header: Header,
    /// Per CSV data row: its line in the JSON Lines file.
    lines: Vec<u64>,
    /// Lines that are not JSON objects: (line, error, raw text).
    errors: Vec<(u64, String, String)>,
}

/// JSON Lines: each line one flat object; keys are column names. The lines
/// are turned into CSV with a header of every key seen, so that they pass
/// through the same reader and checks as CSV.
fn jsonl_to_csv(cfg: &Config, name: &str, text: &[u8]) -> Result<Jsonl, Error> {
    let mut keys: Vec<String> = Vec::new();
    let mut key_index: HashMap<String, usize> = HashMap::new();
    let mut rows: Vec<Vec<(usize, String)>> = Vec::new();
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for (n, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(line) {
            Ok(obj) => {
                let mut row = Vec::new();
                for (k, v) in obj {
                    let i = *key_index.entry(k.clone()).or_insert_with(|| {
                        keys.push(k.clone());
                        keys.len() - 1
                    });
                    let s = match v {
                        serde_json::Value::Null => String::new(),
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    };
                    row.push((i, s));
                }
                rows.push(row);
                lines.push(n as u64 + 1);
            }
            Err(e) => errors.push((
                n as u64 + 1,
                e.to_string(),
                String::from_utf8_lossy(line).into_owned(),
            )),
        }
    }
    let delim = cfg.input.delimiter.as_bytes()[0];
    let mut w = csv::WriterBuilder::new()
        .delimiter(delim)
        .flexible(true)
        .from_writer(Vec::new());
    let io = |e: csv::Error| Error::Input {
        file: name.to_string(),
        message: e.to_string(),
    };
    w.write_record(&keys).map_err(io)?;
    for row in rows {
        let mut fields = vec![String::new(); keys.len()];
        for (i, s) in row {
            fields[i] = s;
        }
        w.write_record(&fields).map_err(io)?;
    }
    let csv = w.into_inner().map_err(|e| Error::Input {
        file: name.to_string(),
        message: e.to_string(),
    })?;
    let header = read_header(cfg, name, &csv)?;
    Ok(Jsonl {
        csv,
        header,
        lines,
        errors,
    })
}

/// Re-reads the original fields of rows by offset, from the decoded text
/// in memory or from the file, with one CSV reader per file (building a
/// reader costs more than reading a row).
struct Originals<'a> {
    texts: &'a [(Text, Header)],
    cfg: &'a Config,
    /// Per file: not opened yet, or its reader (none when it cannot be
    /// opened again).
    readers: Vec<Option<Option<RowReader<'a>>>>,
    rec: csv::ByteRecord,
}

type RowReader<'a> = csv::Reader<Box<dyn ReadSeek + 'a>>;

trait ReadSeek: Read + std::io::Seek {}
impl<T: Read + std::io::Seek> ReadSeek for T {}

impl<'a> Originals<'a> {
    fn new(texts: &'a [(Text, Header)], cfg: &'a Config) -> Self {
        Originals {
            texts,
            cfg,
            readers: texts.iter().map(|_| None).collect(),
            rec: csv::ByteRecord::new(),
        }
    }

    /// The fields of the row at `p`, checked to be station `station`'s;
    /// `None` when they cannot be re-read (a file changed or removed since
    /// it was read).
    fn get(&mut self, p: &Provenance, station: &str) -> Option<Vec<String>> {
        let i = p.file as usize;
        let (Some((text, header)), Some(slot)) = (self.texts.get(i), self.readers.get_mut(i))
        else {
            return None;
        };
        let cfg = self.cfg;
        let from = match text {
            Text::Memory(t) => p.offset.min(t.len() as u64),
            Text::File { skip, .. } => p.offset + skip,
        };
        let rdr = slot.get_or_insert_with(|| {
            let r: Box<dyn ReadSeek + 'a> = match text {
                Text::Memory(t) => Box::new(std::io::Cursor::new(t.as_slice())),
                Text::File {
                    path, gzip: true, ..
                } => Box::new(stream::GzText::new(path)),
                Text::File { path, .. } => Box::new(std::fs::File::open(path).ok()?),
            };
            Some(csv_builder(cfg).from_reader(r))
        });
        let rdr = rdr.as_mut()?;
        rdr.seek_raw(std::io::SeekFrom::Start(from), csv::Position::new())
            .ok()?;
        if !rdr.read_byte_record(&mut self.rec).ok()? {
            return None;
        }
        let mut id = String::new();
        build_id(&header.cols.id, &self.rec, &cfg.station.separator, &mut id);
        (id == station).then(|| record_strings(&self.rec))
    }

    /// [`Originals::get`], as the record of a quarantine entry and a note
    /// for its reason when the fields could not be re-read.
    fn record(&mut self, p: &Provenance, station: &str) -> (Vec<String>, &'static str) {
        match self.get(p, station) {
            Some(r) => (r, ""),
            None => (
                Vec::new(),
                "; its original fields could not be re-read (the file changed or went away after it was read)",
            ),
        }
    }
}

/// The sheets of every station that appears more than once: each group in
/// input order, groups ordered by their first sheet.
///
/// Station ids are hashed in parallel and the (hash, index) pairs sorted, so
/// that only ids with equal hashes are compared; a million sheets need 16 MB
/// and no hash table.
fn duplicate_groups(stations: &crate::model::StrColumn) -> Vec<Vec<usize>> {
    // Files sorted by station id (the usual export) have no duplicates if
    // every id is greater than the one before: one pass, no sort.
    let ascending = (1..stations.len())
        .into_par_iter()
        .with_min_len(1 << 14)
        .all(|i| stations.get(i - 1) < stations.get(i));
    if ascending {
        return Vec::new();
    }
    let mut keys: Vec<(u64, usize)> = (0..stations.len())
        .into_par_iter()
        .map(|i| (hash_id(stations.get(i).as_bytes()), i))
        .collect();
    keys.par_sort_unstable();
    let mut groups = Vec::new();
    for run in keys.chunk_by(|a, b| a.0 == b.0) {
        if run.len() < 2 {
            continue;
        }
        // Equal hashes: split by the ids themselves, keeping index order.
        let mut rest: Vec<usize> = run.iter().map(|&(_, i)| i).collect();
        while rest.len() >= 2 {
            let id = stations.get(rest[0]);
            let (same, other): (Vec<usize>, Vec<usize>) =
                rest.iter().partition(|&&j| stations.get(j) == id);
            if same.len() >= 2 {
                groups.push(same);
            }
            rest = other;
        }
    }
    groups.sort_unstable();
    groups
}

/// A fast non-cryptographic hash of a station id (FxHash's multiply-rotate
/// over 8-byte words, with the length mixed in).
fn hash_id(b: &[u8]) -> u64 {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut h = (b.len() as u64).wrapping_mul(K);
    let mut words = b.chunks_exact(8);
    for w in &mut words {
        let mut a = [0u8; 8];
        a.copy_from_slice(w);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(a)).wrapping_mul(K);
    }
    let mut a = [0u8; 8];
    a[..words.remainder().len()].copy_from_slice(words.remainder());
    h = (h.rotate_left(5) ^ u64::from_le_bytes(a)).wrapping_mul(K);
    // Final avalanche (from SplitMix64) so that the sort spreads evenly.
    h ^= h >> 31;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^ (h >> 29)
}

/// Same station twice: identical copies merge into the first (flagged);
/// copies that disagree all go to the quarantine as a conflict, none counted.
fn resolve_duplicates(cfg: &Config, ds: &mut Dataset, buffers: &[(Text, Header)]) {
    let n = ds.sheets.len();
    let groups = duplicate_groups(&ds.sheets.station);
    if groups.is_empty() {
        return;
    }
    let sev = severities(cfg);
    let mut originals = Originals::new(buffers, cfg);
    let mut keep = vec![true; n];
    let mut new_flags = Vec::new();
    let mut new_q = Vec::new();
    for g in groups {
        let all_same = g.iter().all(|&i| ds.sheets.same_numbers(g[0], i));
        if all_same {
            for &i in &g[1..] {
                keep[i] = false;
                new_flags.push((
                    g[0],
                    sev.reason(
                        Rule::DuplicateMerged,
                        format!(
                            "identical copy at {} merged into this sheet",
                            ds.locate(&ds.sheets.source[i])
                        ),
                    ),
                ));
            }
        } else {
            for &i in &g {
                keep[i] = false;
                let others: Vec<String> = g
                    .iter()
                    .filter(|&&j| j != i)
                    .map(|&j| ds.locate(&ds.sheets.source[j]))
                    .collect();
                new_q.push(Quarantined {
                    source: ds.sheets.source[i],
                    station: Some(ds.sheets.station.get(i).to_string()),
                    reasons: vec![Reason {
                        rule: Rule::Conflict,
                        severity: Severity::Error,
                        message: format!(
                            "station appears {} times with different numbers; other copies at {}",
                            g.len(),
                            others.join(", ")
                        ),
                    }],
                    record: Vec::new(),
                });
            }
        }
    }
    // The original fields, re-read in file order (a gzip text is read
    // forward once).
    let mut order: Vec<usize> = (0..new_q.len()).collect();
    order.sort_by_key(|&k| (new_q[k].source.file, new_q[k].source.offset));
    for k in order {
        let q = &mut new_q[k];
        let (record, note) = originals.record(&q.source, q.station.as_deref().unwrap_or(""));
        q.record = record;
        q.reasons[0].message.push_str(note);
    }
    remove_sheets(ds, &keep);
    // Flags on the kept sheets point at their new indices.
    let new_index = reindex(&keep);
    for (i, r) in new_flags {
        if let Some(j) = new_index[i] {
            ds.flags.push(Flag {
                sheet: j,
                reason: r,
            });
        }
    }
    ds.quarantine.extend(new_q);
}

fn reindex(keep: &[bool]) -> Vec<Option<usize>> {
    let mut next = 0;
    keep.iter()
        .map(|&k| {
            if k {
                next += 1;
                Some(next - 1)
            } else {
                None
            }
        })
        .collect()
}

/// Remove sheets (keep[i] == false) and the flags on them.
fn remove_sheets(ds: &mut Dataset, keep: &[bool]) {
    let idx = reindex(keep);
    ds.flags.retain_mut(|f| match idx[f.sheet] {
        Some(j) => {
            f.sheet = j;
            true
        }
        None => false,
    });
    ds.sheets.retain_mask(keep);
}

fn check_registry(cfg: &Config, ds: &mut Dataset, reg: &Registry, buffers: &[(Text, Header)]) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_respect_quotes() {
        let body = b"a,\"x\ny\",1\nb,2,3\nc,\"p\nq\",4\nd,5,6";
        let cuts = Cuts::new(b',', b'\n', Some(3));
        for min in 1..12 {
            let b = chunk_bounds(body, cuts, 100, min);
            let joined: Vec<u8> = b.iter().flat_map(|&(s, e)| body[s..e].to_vec()).collect();
            assert_eq!(joined, body.to_vec());
            for &(_, e) in &b {
                assert!(
                    [0, 10, 16, 26, body.len()].contains(&e),
                    "split inside a record at {e} (min {min})"
                );
            }
        }
    }

    #[test]
    fn read_bytes_matches_read_files() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/malformed");
        let cfg = Config::from_path(&dir.join("corpus.toml")).unwrap();
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                continue;
            }
            let name = path.display().to_string();
            let bytes = std::fs::read(&path).unwrap();
            let from_file = read_files(&cfg, &[&path], None, &NoProgress);
            let from_bytes = read_bytes(&cfg, &name, bytes, None, &NoProgress);
            match (from_file, from_bytes) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a.sheets.station.len(), b.sheets.station.len(), "{name}");
                    assert_eq!(a.sheets.votes, b.sheets.votes, "{name}");
                    assert_eq!(a.sheets.source, b.sheets.source, "{name}");
                    assert_eq!(
                        format!("{:?}", a.quarantine),
                        format!("{:?}", b.quarantine),
                        "{name}"
                    );
                    assert_eq!(format!("{:?}", a.flags), format!("{:?}", b.flags), "{name}");
                    assert_eq!(a.rows_read(), b.rows_read(), "{name}");
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{name}"),
                (a, b) => panic!("{name}: {:?} vs {:?}", a.is_ok(), b.is_ok()),
            }
            seen += 1;
        }
        assert!(seen >= 25);
    }

    /// Everything a read produces, as text, to compare two reads.
    fn fingerprint(ds: &Dataset) -> String {
        let s = &ds.sheets;
        format!(
            "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
            s.station.iter().collect::<Vec<_>>(),
            s.geo,
            s.votes,
            s.extras(),
            s.source
                .iter()
                .map(|p| (p.file, p.line, p.offset))
                .collect::<Vec<_>>(),
            ds.units
                .iter()
                .map(|u| (&u.codes, &u.names))
                .collect::<Vec<_>>(),
            ds.quarantine,
            ds.flags,
            ds.missing,
            ds.files
                .iter()
                .map(|f| (&f.header, f.rows, f.bytes, f.encoding, f.gzip))
                .collect::<Vec<_>>(),
        )
    }

    /// Streaming a file in blocks of any size gives exactly what reading it
    /// whole gives: same sheets, lines, offsets, quarantine (with the
    /// original fields re-read from the file), flags and errors.
    #[test]
    fn streaming_in_any_block_size_matches_reading_whole() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/malformed");
        let mut cfg = Config::from_path(&dir.join("corpus.toml")).unwrap();
        let tmp = std::env::temp_dir().join(format!("tallyproof-stream-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).unwrap();
        // Files big enough to span many blocks: the corpus files repeated,
        // with their station ids made unique, and one with a Latin-1 byte
        // far from the start.
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_none_or(|e| e != "toml"))
            .collect();
        paths.sort();
        let ok = std::fs::read_to_string(dir.join("ok.csv")).unwrap();
        let (head, body) = ok.split_once('\n').unwrap();
        let mut big = format!("{head}\n");
        for k in 0..40 {
            for line in body.lines() {
                let (id, rest) = line.split_once(',').unwrap();
                big.push_str(&format!("{id}-{k},{rest}\n"));
            }
            if k == 20 {
                big.push_str("\"S-q\",\"quoted\nname\",,,,,,,,\n");
            }
        }
        let big_path = tmp.join("big.csv");
        std::fs::write(&big_path, &big).unwrap();
        let mut latin = big.clone().into_bytes();
        latin.extend_from_slice(b"S-late,Regi\xf3n 1,1,100,50,2,48,20,20,8\n");
        let latin_path = tmp.join("late_latin1.csv");
        std::fs::write(&latin_path, &latin).unwrap();
        let mut dup = big.clone();
        dup.push_str(body.lines().next().unwrap());
        dup.push('\n');
        let dup_path = tmp.join("late_duplicate.csv");
        std::fs::write(&dup_path, &dup).unwrap();
        // Conflicting copies interleaved (S1-0, S2-0, S1-0', S2-0'), so that
        // rows are re-read out of file order.
        let mut conflicts = big.clone();
        for id in ["S001-0", "S002-0"] {
            conflicts.push_str(&format!("{id},1,North,500,203,3,200,100,80,20\n"));
        }
        let conflicts_path = tmp.join("conflicts.csv");
        std::fs::write(&conflicts_path, &conflicts).unwrap();
        // An unclosed quote whose record swallows the next lines (the last
        // of which opens another): the recovery cuts it at its first line,
        // and no block may end inside it (found by fuzzing).
        let mut recovered = big.clone();
        recovered.push_str("S101,1,North,500,203,3,200,100,80,\"20\n");
        recovered.push_str("S104,1,North,500,203,3,200,100,80,20\n");
        recovered.push_str("S102,1,\"North,500,203,3,200,100,80,20\n");
        recovered.push_str("S103,1,North,500,203,3,200,100,80,20\n");
        recovered.push_str(&big[big.find('\n').unwrap() + 1..].replace("S0", "T0"));
        let recovered_path = tmp.join("recovered.csv");
        std::fs::write(&recovered_path, &recovered).unwrap();
        // A quote never closed near the start, more than MAX_FIELD bytes of
        // rows after it.
        let mut never_closed = format!("{head}\nS900,1,\"North,500,203,3,200,100,80,20\n");
        for k in ["U", "V", "W"] {
            never_closed.push_str(
                &big[big.find('\n').unwrap() + 1..]
                    .replace('"', "")
                    .replace("S0", k),
            );
        }
        assert!(never_closed.len() > 2 * MAX_FIELD);
        let never_closed_path = tmp.join("never_closed.csv");
        std::fs::write(&never_closed_path, &never_closed).unwrap();
        paths.extend([
            big_path,
            latin_path,
            dup_path,
            conflicts_path,
            recovered_path,
            never_closed_path,
        ]);
        // Each again gzip-compressed, and one cut short far from the start.
        for p in paths.clone().iter().filter(|p| p.starts_with(&tmp)) {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            std::io::Write::write_all(&mut enc, &std::fs::read(p).unwrap()).unwrap();
            let gz = enc.finish().unwrap();
            let gz_path = p.with_extension("csv.gz");
            std::fs::write(&gz_path, &gz).unwrap();
            paths.push(gz_path);
            if p.ends_with("big.csv") {
                let cut_path = tmp.join("big_cut.csv.gz");
                std::fs::write(&cut_path, &gz[..gz.len() * 2 / 3]).unwrap();
                paths.push(cut_path);
            }
        }
        for encoding in [Encoding::Auto, Encoding::Utf8] {
            cfg.input.encoding = encoding;
            for path in &paths {
                let name = path.display().to_string();
                let whole =
                    read_bytes(&cfg, &name, std::fs::read(path).unwrap(), None, &NoProgress);
                for block in [1, 7, 64, 1000, stream::BLOCK] {
                    let input = Input::Path(name.clone(), path.clone());
                    let streamed =
                        read_inputs(&cfg, std::iter::once(input), None, &NoProgress, block);
                    match (&whole, streamed) {
                        (Ok(a), Ok(b)) => {
                            let (a, b) = (fingerprint(a), fingerprint(&b));
                            if let Some((x, y)) = a.lines().zip(b.lines()).find(|(x, y)| x != y) {
                                let cut = |t: &str| t.chars().take(400).collect::<String>();
                                panic!("{name}, block {block}:\n{}\n{}", cut(x), cut(y));
                            }
                        }
                        (Err(a), Err(b)) => {
                            assert_eq!(a.to_string(), b.to_string(), "{name}, block {block}")
                        }
                        (a, b) => panic!("{name}, block {block}: {a:?} vs {b:?}"),
                    }
                }
            }
        }
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    /// A pipe cannot be read again by offset: it is read whole, and a
    /// conflicting duplicate keeps its original fields.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_pipe_is_read_whole() {
        use std::io::Write;
        use std::os::fd::AsRawFd;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/malformed");
        let cfg = Config::from_path(&dir.join("corpus.toml")).unwrap();
        let bytes = std::fs::read(dir.join("conflicting_duplicate.csv")).unwrap();
        let (reader, mut writer) = std::io::pipe().unwrap();
        let path = PathBuf::from(format!("/proc/self/fd/{}", reader.as_raw_fd()));
        let feed = bytes.clone();
        let t = std::thread::spawn(move || writer.write_all(&feed).unwrap());
        let input = Input::Path("pipe".into(), path);
        let piped = read_inputs(&cfg, std::iter::once(input), None, &NoProgress, 8).unwrap();
        t.join().unwrap();
        let whole = read_bytes(&cfg, "pipe", bytes, None, &NoProgress).unwrap();
        assert!(piped.quarantine.iter().any(|q| !q.record.is_empty()));
        assert_eq!(fingerprint(&piped), fingerprint(&whole));
    }

    /// A row re-read from a file that changed since it was read is not
    /// taken for the original: the quarantine entry says so instead.
    #[test]
    fn rows_re_read_from_a_changed_file_are_refused() {
        let cfg = corpus_config();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.csv");
        let text = b"station,registered,valid,A,B\nS1,100,50,30,20\nS2,100,40,30,10\n";
        std::fs::write(&path, text).unwrap();
        let header = read_header(&cfg, "s.csv", text).unwrap();
        let texts = vec![(
            Text::File {
                path: path.clone(),
                skip: 0,
                gzip: false,
            },
            header,
        )];
        let mut originals = Originals::new(&texts, &cfg);
        let p = Provenance {
            file: 0,
            line: 3,
            offset: 45,
        };
        assert_eq!(
            originals.record(&p, "S2").0,
            ["S2", "100", "40", "30", "10"]
        );
        assert_eq!(originals.get(&p, "S1"), None);
        std::fs::write(
            &path,
            b"station,registered,valid,A,B\nS1,100,50,30,20\nS3,100,40,30,10\n",
        )
        .unwrap();
        let (record, note) = originals.record(&p, "S2");
        assert!(record.is_empty());
        assert!(note.contains("could not be re-read"));
    }

    #[test]
    fn record_cuts_follow_the_csv_rules_and_the_recovery() {
        let cuts = Cuts::new(b',', b'\n', Some(3));
        let body = b"a,\"x\ny\",1\nb,2,3\nc,\"p\nq\",4\nd";
        assert_eq!(cuts.last(body), Some(body.len() - 1));
        assert_eq!(cuts.last(b"a,\"x\ny"), None);
        assert_eq!(cuts.last(b"a,\"x\",z\ny,\"z"), Some(8));
        assert_eq!(cuts.last(b"no line end"), None);
        // A quote inside an unquoted field is a character, not an opening.
        assert_eq!(cuts.last(b"a,5\",b\nc,\"d\ne\",f\n"), Some(17));
        // `""` inside a quoted field is a quote.
        assert_eq!(cuts.last(b"a,\"b\"\"\nc\",d\n"), Some(12));
        // An unclosed quote swallowing a line into a record of the wrong
        // width: the record is cut at its first line end, and reading goes
        // on from the next line, where the quote below opens nothing.
        assert_eq!(cuts.last(b"a,\"b\nc,d,e\"\nf,g,h\n"), Some(18));
        assert_eq!(cuts.last(b"a,\"b\nc,d,e\"\n"), Some(12));
        assert_eq!(cuts.last(b"a,\"b\nc,d,e\"\nf,\"g"), Some(12));
        // Never inside the extent of a record the recovery cut short: read
        // alone, its first line would be a record of its own.
        assert_eq!(cuts.last(b"a,\"b\nc\nd\",e,f,g\rX"), None);
        // A quote never closed: the record is known to be cut short once
        // its field passes MAX_FIELD bytes, and the lines after it are
        // records again, without waiting for the end of the text.
        let mut open = b"x,\"y\n".to_vec();
        for _ in 0..1000 {
            open.extend_from_slice(b"1,2,3\n");
        }
        assert_eq!(cuts.last(&open), Some(open.len()));
        assert_eq!(cuts.last(b"a,\"b\nc\nd\",e,f,g\n"), Some(16));
        // The header is read without the recovery.
        let header = Cuts::new(b',', b'\n', None);
        assert_eq!(header.last(b"a,\"b\nc,d,e\"\n"), Some(12));
    }

    /// A chunk's outcome as text, to compare two parses.
    fn chunk_print(c: &Chunk) -> String {
        let s = &c.sheets;
        format!(
            "{} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
            c.rows,
            s.station.iter().collect::<Vec<_>>(),
            s.geo,
            s.votes,
            s.extras(),
            s.source,
            c.units
                .iter()
                .map(|u| (&u.codes, &u.names))
                .collect::<Vec<_>>(),
            c.quarantine,
            c.flags,
            c.missing
        )
    }

    proptest::proptest! {
        /// The plain-line splitter reads every quote-free text exactly as
        /// the CSV reader does: rows, fields, lines, offsets, and every
        /// verdict on them.
        #[test]
        fn plain_lines_parse_as_the_csv_reader_does(
            rows in proptest::collection::vec(
                (
                    proptest::collection::vec(
                        proptest::prop_oneof![
                            proptest::strategy::Just(String::new()),
                            "[0-9]{1,4}",
                            " ?[0-9]{1,3} ?",
                            "[a-z -]{0,6}",
                            "-[0-9]",
                            "[0-9]{13}",
                        ],
                        0..9,
                    ),
                    0..4u8,
                ),
                0..30,
            ),
            last_newline in proptest::bool::ANY,
        ) {
            let cfg = two_options("[[levels]]\nkey = \"r\"\ncode = \"region\"\n");
            let mut text = String::from("station,region,registered,valid,A,B\n");
            for (k, (fields, end)) in rows.iter().enumerate() {
                // Mostly well-formed rows with a unique station, some not.
                if fields.len() == 5 {
                    text.push_str(&format!("S{k},{}", fields[..5].join(",")));
                } else {
                    text.push_str(&fields.join(","));
                }
                text.push_str(match end {
                    0 => "\n",
                    1 => "\r\n",
                    2 => "\n\n",
                    _ => "\r\n\r\n",
                });
            }
            if !last_newline {
                while text.ends_with('\n') || text.ends_with('\r') {
                    text.pop();
                }
            }
            let header = read_header(&cfg, "t.csv", text.as_bytes()).unwrap();
            let ctx = RowCtx {
                cfg: &cfg,
                cols: &header.cols,
                names: &header.names,
                nfields: header.names.len(),
                file: 0,
                severities: severities(&cfg),
            };
            let body = &text.as_bytes()[header.body_start..];
            let first = 1 + memchr::memchr_iter(b'\n', &text.as_bytes()[..header.body_start])
                .count() as u64;
            proptest::prop_assume!(is_plain(body, &header));
            let place = Place {
                offset: header.body_start as u64,
                first_line: first,
                line_ends: memchr::memchr_iter(b'\n', body).count(),
            };
            let plain = parse_chunk_with(&ctx, body, place, &header, true, None);
            let csv = parse_chunk_with(&ctx, body, place, &header, false, None);
            proptest::prop_assert_eq!(chunk_print(&plain), chunk_print(&csv));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(256))]
        /// Any bytes after a good header (quotes, `\r`, blank lines, bytes
        /// that are not UTF-8), plain or gzip, streamed in any block size,
        /// read exactly as when read whole: same sheets, lines, offsets,
        /// quarantine, flags, or the same error.
        #[test]
        fn streaming_any_bytes_matches_reading_whole(
            body in proptest::collection::vec(
                proptest::sample::select(b"a1 9,,\"\n\n\r-\xc3\xa9".to_vec()),
                0..400,
            ),
            block in 1usize..64,
            gzip in proptest::bool::ANY,
            utf8_only in proptest::bool::ANY,
        ) {
            let mut cfg = corpus_config();
            cfg.input.encoding = if utf8_only { Encoding::Utf8 } else { Encoding::Auto };
            let mut bytes = b"station,registered,valid,A,B\n".to_vec();
            bytes.extend_from_slice(&body);
            if gzip {
                let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                std::io::Write::write_all(&mut enc, &bytes).unwrap();
                bytes = enc.finish().unwrap();
            }
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("s.csv");
            std::fs::write(&path, &bytes).unwrap();
            let name = path.display().to_string();
            let whole = read_bytes(&cfg, &name, bytes, None, &NoProgress);
            let input = Input::Path(name.clone(), path.clone());
            let streamed = read_inputs(&cfg, std::iter::once(input), None, &NoProgress, block);
            match (&whole, &streamed) {
                (Ok(a), Ok(b)) => proptest::prop_assert_eq!(fingerprint(a), fingerprint(b)),
                (Err(a), Err(b)) => proptest::prop_assert_eq!(a.to_string(), b.to_string()),
                (a, b) => proptest::prop_assert!(false, "{:?} vs {:?}", a.is_ok(), b.is_ok()),
            }
        }
    }

    #[test]
    fn plain_needs_no_quotes_and_no_lone_cr() {
        let h = read_header(&corpus_config(), "t", b"station,registered,valid,A,B\n").unwrap();
        assert!(is_plain(b"a,1\r\nb,2\r", &h));
        assert!(!is_plain(b"a,\"1\"\n", &h));
        assert!(!is_plain(b"a,1\rb,2\n", &h));
    }

    fn corpus_config() -> Config {
        two_options("")
    }

    /// Options A and B, registered and valid columns, and `extra` TOML
    /// (levels) after the station id.
    fn two_options(extra: &str) -> Config {
        Config::from_toml(&format!(
            r#"
            [election]
            name = "t"
            [station]
            id = ["station"]
            {extra}
            [columns]
            registered = "registered"
            valid = "valid"
            [[options]]
            key = "A"
            [[options]]
            key = "B"
            "#
        ))
        .unwrap()
    }

    #[test]
    fn empty_registered_on_a_sheet_with_votes_is_quarantined() {
        // Found by fuzzing: the sheet was accepted without an entry in the
        // registered column, which then no longer lined up with the others.
        let cfg = corpus_config();
        let csv = b"station,registered,valid,A,B\n1,100,30,10,20\n2,,30,10,20\n3,,,,\n4,90,5,2,3\n";
        let ds = read_bytes(&cfg, "t.csv", csv.to_vec(), None, &NoProgress).unwrap();
        assert_eq!(ds.sheets.len(), 2);
        assert_eq!(ds.sheets.registered.as_ref().map(Vec::len), Some(2));
        assert_eq!(ds.missing.len(), 1);
        assert_eq!(ds.quarantine.len(), 1);
        let q = &ds.quarantine[0];
        assert_eq!((q.source.line, q.reasons[0].rule), (3, Rule::CountEmpty));
        assert!(q.reasons[0].message.contains("registered"), "{q:?}");
        // The same sheet as JSON Lines, with the key left out.
        let jsonl = b"{\"station\":\"1\",\"registered\":100,\"valid\":30,\"A\":10,\"B\":20}\n{\"station\":\"2\",\"valid\":30,\"A\":10,\"B\":20}\n";
        let ds = read_bytes(&cfg, "t.jsonl", jsonl.to_vec(), None, &NoProgress).unwrap();
        assert_eq!(ds.sheets.len(), 1);
        assert_eq!(ds.sheets.registered.as_ref().map(Vec::len), Some(1));
        assert_eq!(ds.quarantine.len(), 1);
        assert_eq!(ds.quarantine[0].source.line, 2);
    }

    #[test]
    fn duplicate_groups_match_a_hash_map() {
        let ids = [
            "a",
            "b",
            "a",
            "c",
            "b",
            "a",
            "",
            "",
            "d",
            "abcdefghij",
            "abcdefghij",
        ];
        let mut col = crate::model::StrColumn::default();
        ids.iter().for_each(|s| col.push(s));
        assert_eq!(
            duplicate_groups(&col),
            vec![vec![0, 2, 5], vec![1, 4], vec![6, 7], vec![9, 10]]
        );
        assert_ne!(hash_id(b"abcdefgh"), hash_id(b"abcdefgh\0"));
    }

    #[test]
    fn two_unbalanced_quotes_do_not_swallow_the_rows_between() {
        // Found by a line-number test on a simulated file: the second quote
        // closed the first, the row came out with the right field count and
        // every row between went to the quarantine inside one long field.
        let cfg = corpus_config();
        let mut csv = String::from("station,registered,valid,A,B\n");
        for i in 0..400 {
            match i {
                10 => csv.push_str("s10,100,\"30,10,20\n"),
                300 => csv.push_str("s300,100,30\",10,20\n"),
                _ => csv.push_str(&format!("s{i},100,30,10,20\n")),
            }
        }
        let ds = read_bytes(&cfg, "t.csv", csv.into_bytes(), None, &NoProgress).unwrap();
        assert_eq!(ds.rows_read(), 400);
        assert_eq!(ds.sheets.len(), 398);
        let lines: Vec<u64> = ds.quarantine.iter().map(|q| q.source.line).collect();
        assert_eq!(lines, vec![12, 302]);
    }

    #[test]
    fn parse_numbers() {
        assert!(matches!(parse_field(b" 42 "), Num::Value(42)));
        assert!(matches!(parse_field(b""), Num::Empty));
        assert!(matches!(parse_field(b"-3"), Num::Negative(_)));
        assert!(matches!(parse_field(b"-0"), Num::Value(0)));
        assert!(matches!(parse_field(b"1.5"), Num::Bad(_)));
        assert!(matches!(parse_field(b"1,234"), Num::Bad(_)));
        assert!(matches!(parse_field(b"abc"), Num::Bad(_)));
        assert!(matches!(parse_field(b"99999999999999"), Num::Bad(_)));
    }
}
