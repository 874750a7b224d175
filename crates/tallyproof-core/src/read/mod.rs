//! Readers: from sheet files (CSV, gzip CSV, JSON Lines) to a validated
//! [`Dataset`].
//!
//! The path is built for election night: a UTF-8 file (plain or gzip, CSV
//! or JSON Lines) streams from disk in blocks cut at record boundaries and
//! parsed in parallel while the next blocks are read (so a file is never
//! held whole in memory); other inputs (Windows-1252, Parquet, long files)
//! are decoded whole and split into chunks the same way. A JSON line is
//! parsed straight into the fields of the columns the config names and
//! checked as a CSV row is. Counts are parsed from bytes without
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

mod cuts;
mod decode;
mod duplicates;
mod fields;
mod header;
mod jsonl;
mod long;
mod registry;
mod stream;
mod wide;
#[allow(unused_imports)]
use cuts::*;
#[allow(unused_imports)]
use decode::*;
pub(crate) use duplicates::hash_id;
#[allow(unused_imports)]
use duplicates::*;
#[allow(unused_imports)]
use fields::*;
#[allow(unused_imports)]
use header::*;
#[allow(unused_imports)]
use jsonl::*;
#[allow(unused_imports)]
use long::*;
#[allow(unused_imports)]
use registry::*;
#[allow(unused_imports)]
use wide::*;

/// The longest field accepted, in bytes.
pub const MAX_FIELD: usize = 4096;

/// Receives progress while files are read. The library never prints; the
/// binary draws a bar from these calls.
pub trait Progress: Sync {
    /// A file of `bytes` bytes is about to be read: bytes as stored when it
    /// streams from disk (compressed, for gzip), decoded bytes when it is
    /// decoded whole (Windows-1252, Parquet, long files, bytes in memory).
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
            Input::Bytes(name, raw) => {
                check_start(&name, &raw[..])?;
                (name, raw)
            }
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
        let sha256 = sha256_hex(&raw);
        #[cfg(feature = "parquet")]
        let (raw, is_parquet) = if crate::parquet_input::is_parquet(&raw) {
            let delim = cfg.input.delimiter.as_bytes()[0];
            (crate::parquet_input::to_delimited(&name, raw, delim)?, true)
        } else {
            (raw, false)
        };
        #[cfg(not(feature = "parquet"))]
        let is_parquet = false;
        let (text, gzip, encoding, warnings) = decode(&name, raw, cfg.input.encoding)?;
        let encoding = if is_parquet { "parquet" } else { encoding };
        let file_index = ds.files.len() as u32;
        let filtered_before = ds.filtered;
        progress.start_file(&name, text.len() as u64);
        let is_jsonl = is_json_lines(&name);
        let header = if is_jsonl {
            json_header(cfg, &name)?
        } else {
            read_header(cfg, &name, &text)?
        };
        ds.files.push(SourceFile {
            path: name.clone(),
            name: crate::model::file_name(&name),
            sha256,
            header: header.names.clone(),
            rows: 0,
            filtered: 0,
            bytes: text.len() as u64,
            encoding,
            gzip,
            warnings,
        });
        let rows = match (cfg.input.shape, is_jsonl) {
            (Shape::Wide, false) => read_wide(cfg, &mut ds, file_index, &text, &header, progress)?,
            (Shape::Long, false) => read_long(cfg, &mut ds, file_index, &text, &header, progress)?,
            (Shape::Wide, true) => {
                read_json_wide(cfg, &mut ds, file_index, &text, &header, progress)?
            }
            (Shape::Long, true) => {
                read_json_long(cfg, &mut ds, file_index, &text, &header, progress)?
            }
        };
        ds.files[file_index as usize].rows = rows;
        ds.files[file_index as usize].filtered = ds.filtered - filtered_before;
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

/// SHA-256 of bytes, lower-case hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Whether a file is read as JSON Lines, by its name.
fn is_json_lines(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz"]
        .iter()
        .any(|e| lower.ends_with(e))
}

fn present(cfg: &Config) -> [bool; 6] {
    crate::sheet::mapped_extras(cfg)
}

#[cfg(test)]
mod tests;
