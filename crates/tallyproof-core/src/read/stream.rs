//! Streaming a delimited or JSON Lines file from disk: blocks of up to a few MiB are read
//! (and decompressed, for gzip) by one thread, cut where a reading from the
//! start would begin a record (see [`Cuts`]), and parsed in parallel while
//! the next blocks are read. The file is never held whole in memory, so
//! peak memory is the accepted sheets plus a few blocks, whatever the file
//! size; rows are re-read from the file by offset when their original
//! fields are needed (duplicates, registry misses).
//!
//! Only the common case streams: a regular file (not a pipe), plain or
//! gzip-compressed, wide shape, delimited text or JSON Lines (not
//! Parquet), UTF-8 (declared or detected) with `\n` line ends; JSON Lines
//! are cut at every line end. Everything else is read whole and
//! decoded as before; a file found not to be UTF-8 half-way, or cut short,
//! is read again whole, so that the outcome is the same either way.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use flate2::read::MultiGzDecoder;
use rayon::prelude::*;

use super::{
    Chunk, Cuts, Header, MAX_HEADER, Place, RowCtx, Seen, check_start, is_json_lines, json_header,
    merge_chunk, parse_chunk, parse_json_chunk, read_header, severities,
};
use crate::config::{Config, Encoding, Shape};
use crate::error::Error;
use crate::model::{Dataset, Sheets, SourceFile};
use crate::read::Progress;

/// Bytes per block: large enough that per-block work (a chunk's unit table,
/// its merge) is negligible, small enough that the blocks in flight are a
/// small part of memory.
pub(super) const BLOCK: usize = 2 << 20;

/// How a file on disk is to be read.
pub(super) enum Opened {
    /// Read whole: its bytes as stored.
    Whole(Vec<u8>),
    /// Streamed.
    Stream(Stream),
}

/// A file being streamed.
pub(super) struct Stream {
    /// The text after `head`: the file, or its gzip decompression.
    src: Box<dyn Read + Send>,
    /// The first bytes of the text, at least the header record.
    head: Vec<u8>,
    /// The file's size as stored.
    len: u64,
    /// Bytes of the file read so far (compressed bytes for gzip).
    consumed: Arc<AtomicU64>,
    /// Whether the file is gzip-compressed.
    pub(super) gzip: bool,
    /// Bytes a block.
    block: usize,
    /// The file, to hash what the text did not need (a gzip member's
    /// trailing bytes).
    path: std::path::PathBuf,
    /// SHA-256 of the file's bytes read so far.
    hasher: Arc<Mutex<sha2::Sha256>>,
}

/// Counts and hashes the bytes read through it.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
    hasher: Arc<Mutex<sha2::Sha256>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        if let Ok(mut h) = self.hasher.lock() {
            sha2::Digest::update(&mut *h, &buf[..n]);
        }
        Ok(n)
    }
}

/// The SHA-256 of the whole file: the bytes read through [`Counting`], then
/// any the text did not need.
fn file_sha256(
    st_path: &Path,
    hasher: &Mutex<sha2::Sha256>,
    consumed: u64,
) -> Result<String, Error> {
    use sha2::Digest;
    let mut h = hasher.lock().map(|h| h.clone()).unwrap_or_default();
    let io = |e| Error::Io {
        path: st_path.display().to_string(),
        source: e,
    };
    let mut f = File::open(st_path).map_err(io)?;
    f.seek(std::io::SeekFrom::Start(consumed)).map_err(io)?;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Read `len` more bytes (or to the end) into `buf`; the count read.
fn fill(src: &mut dyn Read, buf: &mut Vec<u8>, len: usize) -> std::io::Result<usize> {
    src.take(len as u64).read_to_end(buf)
}

/// Open a file and decide whether it streams.
pub(super) fn open(cfg: &Config, name: &str, path: &Path, block: usize) -> Result<Opened, Error> {
    let io = |e| Error::Io {
        path: name.to_string(),
        source: e,
    };
    let whole = || std::fs::read(path).map(Opened::Whole).map_err(io);
    let mut file = File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    // Only a regular file can be read again by offset (not a pipe). Either
    // way, binary input or an endless first line is refused from the first
    // megabyte, before the rest is read.
    if !meta.is_file() {
        let mut all = Vec::new();
        fill(&mut file, &mut all, 3 + MAX_HEADER + 1).map_err(io)?;
        check_start(name, &all[..])?;
        file.read_to_end(&mut all).map_err(io)?;
        return Ok(Opened::Whole(all));
    }
    check_start(name, &mut file)?;
    let json = is_json_lines(name);
    let may_stream = cfg.input.shape == Shape::Wide
        && matches!(cfg.input.encoding, Encoding::Utf8 | Encoding::Auto);
    if !may_stream {
        return whole();
    }
    let len = meta.len();
    let mut magic = Vec::with_capacity(4);
    fill(&mut file, &mut magic, 4).map_err(io)?;
    if magic.starts_with(b"PAR1") {
        return whole();
    }
    let gzip = magic.starts_with(&[0x1f, 0x8b]);
    file.rewind().map_err(io)?;
    let consumed = Arc::new(AtomicU64::new(0));
    let hasher = Arc::new(Mutex::new(<sha2::Sha256 as sha2::Digest>::new()));
    let counted = Counting {
        inner: file,
        count: consumed.clone(),
        hasher: hasher.clone(),
    };
    let mut src: Box<dyn Read + Send> = if gzip {
        Box::new(MultiGzDecoder::new(BufReader::with_capacity(
            1 << 16,
            counted,
        )))
    } else {
        Box::new(counted)
    };
    // Smaller blocks for smaller files: enough of them to keep every thread
    // busy, and fewer bytes in flight (gzip text is about four times the
    // file).
    let threads = rayon::current_num_threads();
    let text_len = if gzip { len.saturating_mul(4) } else { len };
    let block = block.min((text_len as usize / (threads * 8)).max(64 << 10));
    let mut head = Vec::with_capacity(block.min(text_len as usize + 1));
    // A gzip stream that fails here (corrupt, truncated) is read whole, for
    // the error to be the same either way.
    let Ok(n) = fill(&mut src, &mut head, block) else {
        return whole();
    };
    let mut eof = n < block;
    // The header record must be whole in `head`.
    let delim = cfg.input.delimiter.as_bytes()[0];
    let header_cut = if json {
        Cuts::lines()
    } else {
        Cuts::new(delim, b'\n', None)
    };
    // Past the header's limit with no record end, the file is read whole
    // no further: read_header refuses it from its first bytes.
    let mut scanned = 0;
    while !eof && head.len() <= 3 + MAX_HEADER {
        // Only the bytes read since the last look can hold the first cut
        // (a quoted field that runs on is rescanned, at most to the limit).
        let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
        if memchr::memchr2(b'\n', b'\r', &text[scanned.min(text.len())..]).is_some()
            && header_cut.last(text).is_some()
        {
            break;
        }
        scanned = text.len();
        // Growing by what is held keeps the rescans linear in all.
        let step = block.max(head.len());
        let Ok(n) = fill(&mut src, &mut head, step) else {
            return whole();
        };
        eof = n < step;
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
    if !eof && head.len() > 3 + MAX_HEADER && header_cut.last(text).is_none() {
        read_header(cfg, name, text)?;
        // A header that ends, but not at a `\n` (CR-only line ends): read
        // whole, as such files are.
        return whole();
    }
    if eof {
        return if gzip {
            whole()
        } else {
            Ok(Opened::Whole(head))
        };
    }
    Ok(Opened::Stream(Stream {
        src,
        head,
        len,
        consumed,
        gzip,
        block,
        path: path.to_path_buf(),
        hasher,
    }))
}

/// A block of text cut at record boundaries.
struct Block {
    idx: usize,
    /// Offset in the text of `buf[0]`.
    base: u64,
    /// Line of `buf[0]`.
    first_line: u64,
    /// Line ends in `buf`.
    line_ends: usize,
    buf: Vec<u8>,
    /// Bytes of the file read for this block (compressed bytes for gzip).
    consumed: u64,
}

/// The first byte that is not UTF-8: its line and offset in the text.
struct NotUtf8 {
    line: u64,
    offset: u64,
}

/// The outcome of streaming one file.
pub(super) enum Streamed {
    /// Read: the header, the bytes the BOM took, whether it was gzip.
    Done {
        header: Box<Header>,
        skip: u64,
        gzip: bool,
    },
    /// Not to be streamed after all (not UTF-8 under `encoding = "auto"`,
    /// or a header in error): read it whole instead.
    ReadWhole,
}

/// The lengths of a dataset's parts, to take back a file read in part.
struct Lengths {
    files: usize,
    sheets: usize,
    flags: usize,
    quarantine: usize,
    missing: usize,
    units: Vec<usize>,
    filtered: u64,
}

impl Lengths {
    fn of(ds: &Dataset) -> Lengths {
        Lengths {
            files: ds.files.len(),
            sheets: ds.sheets.len(),
            flags: ds.flags.len(),
            quarantine: ds.quarantine.len(),
            missing: ds.missing.len(),
            units: ds.units.iter().map(|u| u.len()).collect(),
            filtered: ds.filtered,
        }
    }

    fn restore(&self, ds: &mut Dataset) {
        ds.sheets.truncate(self.sheets);
        ds.flags.truncate(self.flags);
        ds.quarantine.truncate(self.quarantine);
        ds.missing.truncate(self.missing);
        ds.filtered = self.filtered;
        ds.origins.retain(|(f, _), _| (*f as usize) < self.files);
        for (u, &n) in ds.units.iter_mut().zip(&self.units) {
            u.truncate(n);
        }
    }
}

/// Cut the stream into blocks and send them, recycling the buffers parsed.
#[allow(clippy::too_many_arguments)]
fn split(
    cuts: Cuts,
    src: &mut dyn Read,
    consumed: &AtomicU64,
    mut pending: Vec<u8>,
    mut base: u64,
    mut line: u64,
    block: usize,
    max_buffers: usize,
    tx: mpsc::SyncSender<Block>,
    recycled: mpsc::Receiver<Vec<u8>>,
    abort: &AtomicBool,
) -> std::io::Result<()> {
    let mut buffers = 1;
    let mut eof = false;
    let mut reported = consumed.load(Ordering::Relaxed);
    let mut target = block;
    let mut idx = 0;
    loop {
        if abort.load(Ordering::Relaxed) {
            return Ok(());
        }
        while !eof && pending.len() < target {
            let want = target - pending.len();
            eof = fill(src, &mut pending, want)? < want;
        }
        if pending.is_empty() {
            return Ok(());
        }
        let cut = if eof {
            pending.len()
        } else {
            match cuts.last(&pending) {
                Some(c) => c,
                // A quoted field runs past the block: read on.
                None => {
                    target = pending.len() + block;
                    continue;
                }
            }
        };
        target = block;
        let mut next = match recycled.try_recv() {
            Ok(b) => b,
            Err(_) if buffers < max_buffers => {
                buffers += 1;
                Vec::with_capacity(block)
            }
            Err(_) => match recycled.recv() {
                Ok(b) => b,
                Err(_) => return Ok(()),
            },
        };
        next.clear();
        next.extend_from_slice(&pending[cut..]);
        pending.truncate(cut);
        let line_ends = memchr::memchr_iter(b'\n', &pending).count();
        let len = pending.len() as u64;
        let now = consumed.load(Ordering::Relaxed);
        let sent = tx.send(Block {
            idx,
            base,
            first_line: line,
            line_ends,
            buf: pending,
            consumed: now - reported,
        });
        reported = now;
        if sent.is_err() {
            return Ok(());
        }
        idx += 1;
        base += len;
        line += line_ends as u64;
        pending = next;
    }
}

/// Stream one opened file into `ds` as file number `file_index`. Nothing is
/// added to `ds` unless the whole file was read.
#[allow(clippy::too_many_arguments)]
pub(super) fn read_wide_stream(
    cfg: &Config,
    ds: &mut Dataset,
    name: &str,
    stream: Stream,
    progress: &dyn Progress,
) -> Result<Streamed, Error> {
    let Stream {
        mut src,
        head,
        len,
        consumed,
        gzip,
        block,
        path,
        hasher,
    } = stream;
    let skip: u64 = if head.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let text0 = &head[skip as usize..];
    // A file whose header cannot be used is read whole, for the error
    // (and its precedence among errors) to be the same either way.
    let json = is_json_lines(name);
    let header = if json {
        json_header(cfg, name)
    } else {
        read_header(cfg, name, text0)
    };
    let Ok(header) = header else {
        return Ok(Streamed::ReadWhole);
    };
    let not_utf8 = |line: u64, offset: u64| -> Result<Streamed, Error> {
        match cfg.input.encoding {
            Encoding::Auto => Ok(Streamed::ReadWhole),
            _ => Err(Error::Input {
                file: name.to_string(),
                message: format!(
                    "line {line}: not valid UTF-8 (byte offset {offset}); set [input] encoding = \"windows-1252\" for Latin-1 files"
                ),
            }),
        }
    };
    if let Err(e) = std::str::from_utf8(&text0[..header.body_start]) {
        let at = e.valid_up_to();
        let line = 1 + memchr::memchr_iter(b'\n', &text0[..at]).count() as u64;
        return not_utf8(line, at as u64);
    }
    let file_index = ds.files.len() as u32;
    progress.start_file(name, len);
    progress.advance(consumed.load(Ordering::Relaxed));
    let ctx = RowCtx {
        cfg,
        cols: &header.cols,
        names: &header.names,
        nfields: header.names.len(),
        file: file_index,
        severities: severities(cfg),
    };
    // The line of the first byte after the header (the header's own line
    // when a `\r\n` was cut after its `\r`).
    let body_line = 1 + memchr::memchr_iter(b'\n', &text0[..header.body_start]).count() as u64;
    let pending = text0[header.body_start..].to_vec();
    drop(head);
    // Room for the whole file's sheets, estimated from the first block's
    // line length: growing the columns by copying would leave the old
    // copies in the allocator's free lists.
    if !pending.is_empty() {
        let lines = memchr::memchr_iter(b'\n', &pending).count().max(1) as f64;
        let per_line = pending.len() as f64 / lines;
        // The text's length: the file's, or about four times a gzip file's
        // (an estimate too small only costs a copy of the columns).
        let text_len = if gzip { len as f64 * 4.0 } else { len as f64 };
        let estimate = (text_len / per_line * 1.02) as usize + 1024;
        ds.sheets.reserve(estimate, (text_len * 1.02) as usize);
    }
    let threads = rayon::current_num_threads();
    let (tx, rx) = mpsc::sync_channel::<Block>(threads);
    let (back, recycled) = mpsc::channel::<Vec<u8>>();
    let (done, parsed) = mpsc::channel::<(usize, u64, Result<Chunk, NotUtf8>)>();
    let abort = AtomicBool::new(false);
    // Merged chunks' columns, handed back to the parsers.
    let spares = Mutex::new(Vec::<Sheets>::new());
    let body_start = header.body_start as u64;
    let before = Lengths::of(ds);
    let mut bytes = body_start;
    let mut rows = 0;
    let mut bad = None;
    let mut seen = Seen::default();
    let split_result = std::thread::scope(|s| {
        let reader = s.spawn(|| {
            split(
                if json {
                    Cuts::lines()
                } else {
                    Cuts::new(
                        cfg.input.delimiter.as_bytes()[0],
                        b'\n',
                        Some(header.names.len()),
                    )
                },
                &mut *src,
                &consumed,
                pending,
                body_start,
                body_line,
                block,
                threads + 2,
                tx,
                recycled,
                &abort,
            )
        });
        let (ctx, header, abort, spares) = (&ctx, &header, &abort, &spares);
        s.spawn(move || {
            rx.into_iter()
                .par_bridge()
                .for_each_with((back, done), |(back, done), b| {
                    let out = match std::str::from_utf8(&b.buf) {
                        Ok(_) => Ok(match &header.json {
                            Some(keys) => parse_json_chunk(ctx, keys, &b.buf, b.base, b.first_line),
                            None => {
                                let spare = spares.lock().ok().and_then(|mut v| v.pop());
                                let place = Place {
                                    offset: b.base,
                                    first_line: b.first_line,
                                    line_ends: b.line_ends,
                                };
                                parse_chunk(ctx, &b.buf, place, header, spare)
                            }
                        }),
                        Err(e) => {
                            abort.store(true, Ordering::Relaxed);
                            let at = e.valid_up_to();
                            Err(NotUtf8 {
                                line: b.first_line
                                    + memchr::memchr_iter(b'\n', &b.buf[..at]).count() as u64,
                                offset: b.base + at as u64,
                            })
                        }
                    };
                    let len = b.buf.len() as u64;
                    progress.advance(b.consumed);
                    let _ = back.send(b.buf);
                    let _ = done.send((b.idx, len, out));
                });
        });
        // Merge in file order as chunks arrive, so that only the chunks
        // parsed ahead of the next one wait in memory.
        let mut waiting = BTreeMap::new();
        let mut next = 0;
        for (idx, len, out) in parsed {
            waiting.insert(idx, (len, out));
            while let Some((len, out)) = waiting.remove(&next) {
                next += 1;
                match out {
                    Ok(mut c) if bad.is_none() => {
                        seen.add(&mut c);
                        bytes += len;
                        let (n, sheets) = merge_chunk(ds, c);
                        rows += n;
                        if let Ok(mut v) = spares.lock() {
                            v.push(sheets);
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        bad.get_or_insert(e);
                    }
                }
            }
        }
        match reader.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    // A read error (the file cut short, corrupt gzip) comes before any
    // verdict on the text: the file is read again whole, which reports it
    // exactly as reading it whole in the first place does.
    if split_result.is_err() {
        before.restore(ds);
        return Ok(Streamed::ReadWhole);
    }
    if let Some(bad) = bad {
        before.restore(ds);
        return not_utf8(bad.line, bad.offset);
    }
    if json && let Err(e) = seen.check(cfg, name, &header) {
        before.restore(ds);
        return Err(e);
    }
    ds.files.push(SourceFile {
        path: name.to_string(),
        name: crate::model::file_name(name),
        sha256: file_sha256(&path, &hasher, consumed.load(Ordering::Relaxed))?,
        header: header.names.clone(),
        rows: 0,
        filtered: ds.filtered - before.filtered,
        bytes,
        encoding: "utf-8",
        gzip,
        warnings: Vec::new(),
    });
    ds.files[file_index as usize].rows = rows;
    Ok(Streamed::Done {
        header: Box::new(header),
        skip,
        gzip,
    })
}

/// The decompressed text of a gzip file, readable at any offset: forward
/// by reading on, backward by starting over. Rows are re-read in file
/// order, so a file is decompressed about once more in all.
pub(super) struct GzText {
    path: std::path::PathBuf,
    dec: Option<MultiGzDecoder<BufReader<File>>>,
    pos: u64,
}

impl GzText {
    pub(super) fn new(path: &Path) -> GzText {
        GzText {
            path: path.to_path_buf(),
            dec: None,
            pos: 0,
        }
    }
}

impl GzText {
    /// The decoder, opened at the start of the text if it is not open.
    fn decoder(&mut self) -> std::io::Result<&mut MultiGzDecoder<BufReader<File>>> {
        if self.dec.is_none() {
            let f = File::open(&self.path)?;
            self.pos = 0;
            self.dec = Some(MultiGzDecoder::new(BufReader::new(f)));
        }
        self.dec
            .as_mut()
            .ok_or_else(|| std::io::Error::other("the gzip decoder did not open"))
    }
}

impl Read for GzText {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.decoder()?.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for GzText {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            std::io::SeekFrom::Start(n) => n,
            std::io::SeekFrom::Current(0) => return Ok(self.pos),
            _ => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::Unsupported,
                    "a gzip text is only read at an offset from its start",
                ));
            }
        };
        if target < self.pos {
            self.dec = None;
        }
        self.decoder()?;
        let skip = target - self.pos;
        let copied = std::io::copy(&mut self.by_ref().take(skip), &mut std::io::sink())?;
        if copied < skip {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the gzip text is shorter than when it was read",
            ));
        }
        Ok(self.pos)
    }
}
