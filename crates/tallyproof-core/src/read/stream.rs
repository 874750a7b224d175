//! Streaming a plain delimited file from disk: blocks of a few MiB are read
//! by one thread, cut at record boundaries, and parsed in parallel while the
//! next blocks are read. The file is never held whole in memory, so peak
//! memory is the accepted sheets plus a few blocks, whatever the file size;
//! rows are re-read from the file by offset when their original fields are
//! needed (duplicates, registry misses).
//!
//! Only the common case streams: a regular file (not a pipe), wide shape,
//! not JSON Lines, not gzip or Parquet, UTF-8 (declared or detected) with
//! `\n` line ends. Everything
//! else is read whole and decoded as before; a file detected as not UTF-8
//! half-way is re-read whole and decoded as Windows-1252.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};

use rayon::prelude::*;

use super::{Chunk, Header, RowCtx, merge_chunk, parse_chunk, read_header, severities};
use crate::config::{Config, Encoding, Shape};
use crate::error::Error;
use crate::model::{Dataset, Sheets, SourceFile};
use crate::read::Progress;

/// Bytes per block: large enough that per-block work (a chunk's unit table,
/// its merge) is negligible, small enough that the blocks in flight are a
/// small part of memory.
pub(super) const BLOCK: usize = 2 << 20;

/// The end of the last complete record in `buf` (just after a `\n` with an
/// even number of quotes before it), if any.
pub(super) fn record_cut(buf: &[u8]) -> Option<usize> {
    if memchr::memchr(b'"', buf).is_none() {
        return memchr::memrchr(b'\n', buf).map(|p| p + 1);
    }
    let mut even = true;
    let mut last = None;
    for at in memchr::memchr2_iter(b'\n', b'"', buf) {
        if buf[at] == b'"' {
            even = !even;
        } else if even {
            last = Some(at + 1);
        }
    }
    last
}

/// How a file on disk is to be read.
pub(super) enum Opened {
    /// Read whole: its bytes.
    Whole(Vec<u8>),
    /// Streamed: the open file, positioned after `head`, and `head`, the
    /// first bytes (at least the header record); in blocks of `block` bytes.
    Stream {
        file: File,
        head: Vec<u8>,
        len: u64,
        block: usize,
    },
}

/// Read `len` more bytes (or to the end) into `buf`; the count read.
fn fill(file: &mut File, buf: &mut Vec<u8>, len: usize) -> std::io::Result<usize> {
    file.by_ref().take(len as u64).read_to_end(buf)
}

/// Open a file and decide whether it streams.
pub(super) fn open(cfg: &Config, name: &str, path: &Path, block: usize) -> Result<Opened, Error> {
    let io = |e| Error::Io {
        path: name.to_string(),
        source: e,
    };
    let lower = name.to_ascii_lowercase();
    let is_jsonl = [".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz"]
        .iter()
        .any(|e| lower.ends_with(e));
    let may_stream = cfg.input.shape == Shape::Wide
        && !is_jsonl
        && matches!(cfg.input.encoding, Encoding::Utf8 | Encoding::Auto);
    if !may_stream {
        return std::fs::read(path).map(Opened::Whole).map_err(io);
    }
    let mut file = File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    // Only a regular file can be read again by offset (not a pipe).
    if !meta.is_file() {
        let mut all = Vec::new();
        file.read_to_end(&mut all).map_err(io)?;
        return Ok(Opened::Whole(all));
    }
    let len = meta.len();
    // Smaller blocks for smaller files: enough of them to keep every thread
    // busy, and fewer bytes in flight.
    let threads = rayon::current_num_threads();
    let block = block.min((len as usize / (threads * 8)).max(64 << 10));
    let mut head = Vec::with_capacity(block.min(len as usize + 1));
    // Enough for the magic numbers of gzip and Parquet.
    let first = block.max(8);
    let mut eof = fill(&mut file, &mut head, first).map_err(io)? < first;
    let magic = head.starts_with(&[0x1f, 0x8b]) || head.starts_with(b"PAR1");
    // The header record must be whole in `head`.
    while !eof
        && !magic
        && record_cut(head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head)).is_none()
    {
        eof = fill(&mut file, &mut head, block).map_err(io)? < block;
    }
    if eof || magic {
        if !eof {
            file.read_to_end(&mut head).map_err(io)?;
        }
        return Ok(Opened::Whole(head));
    }
    Ok(Opened::Stream {
        file,
        head,
        len,
        block,
    })
}

/// A block of text cut at record boundaries.
struct Block {
    idx: usize,
    /// Offset in the text of `buf[0]`.
    base: u64,
    /// Line of `buf[0]`.
    first_line: u64,
    buf: Vec<u8>,
}

/// The first byte that is not UTF-8: its line and offset in the text.
struct NotUtf8 {
    line: u64,
    offset: u64,
}

/// The outcome of streaming one file.
pub(super) enum Streamed {
    /// Read: the header and the bytes the BOM took.
    Done { header: Box<Header>, skip: u64 },
    /// Not to be streamed after all (not UTF-8 under `encoding = "auto"`,
    /// or a header in error): read it whole instead.
    ReadWhole,
}

/// The lengths of a dataset's parts, to take back a file read in part.
struct Lengths {
    sheets: usize,
    flags: usize,
    quarantine: usize,
    missing: usize,
    units: Vec<usize>,
}

impl Lengths {
    fn of(ds: &Dataset) -> Lengths {
        Lengths {
            sheets: ds.sheets.len(),
            flags: ds.flags.len(),
            quarantine: ds.quarantine.len(),
            missing: ds.missing.len(),
            units: ds.units.iter().map(|u| u.len()).collect(),
        }
    }

    fn restore(&self, ds: &mut Dataset) {
        ds.sheets.truncate(self.sheets);
        ds.flags.truncate(self.flags);
        ds.quarantine.truncate(self.quarantine);
        ds.missing.truncate(self.missing);
        for (u, &n) in ds.units.iter_mut().zip(&self.units) {
            u.truncate(n);
        }
    }
}

/// Cut the stream into blocks and send them, recycling the buffers parsed.
#[allow(clippy::too_many_arguments)]
fn split(
    file: &mut File,
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
    let mut target = block;
    let mut idx = 0;
    loop {
        if abort.load(Ordering::Relaxed) {
            return Ok(());
        }
        while !eof && pending.len() < target {
            let want = target - pending.len();
            eof = fill(file, &mut pending, want)? < want;
        }
        if pending.is_empty() {
            return Ok(());
        }
        let cut = if eof {
            pending.len()
        } else {
            match record_cut(&pending) {
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
        let lines = memchr::memchr_iter(b'\n', &pending).count() as u64;
        let len = pending.len() as u64;
        let sent = tx.send(Block {
            idx,
            base,
            first_line: line,
            buf: pending,
        });
        if sent.is_err() {
            return Ok(());
        }
        idx += 1;
        base += len;
        line += lines;
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
    mut file: File,
    head: Vec<u8>,
    len: u64,
    block: usize,
    progress: &dyn Progress,
) -> Result<Streamed, Error> {
    let skip: u64 = if head.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let text0 = &head[skip as usize..];
    // A file whose header cannot be used is read whole, for the error
    // (and its precedence among errors) to be the same either way.
    let Ok(header) = read_header(cfg, name, text0) else {
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
    progress.start_file(name, len - skip);
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
        let estimate = (len as f64 / per_line * 1.02) as usize + 1024;
        ds.sheets.reserve(estimate, (len as f64 * 1.02) as usize);
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
    let split_result = std::thread::scope(|s| {
        let reader = s.spawn(|| {
            split(
                &mut file,
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
                        Ok(_) => {
                            let spare = spares.lock().ok().and_then(|mut v| v.pop());
                            Ok(parse_chunk(
                                ctx,
                                &b.buf,
                                b.base,
                                header,
                                b.first_line,
                                spare,
                            ))
                        }
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
                    progress.advance(len);
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
                    Ok(c) if bad.is_none() => {
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
    if let Some(bad) = bad {
        before.restore(ds);
        return not_utf8(bad.line, bad.offset);
    }
    if let Err(e) = split_result {
        before.restore(ds);
        return Err(Error::Io {
            path: name.to_string(),
            source: e,
        });
    }
    ds.files.push(SourceFile {
        path: name.to_string(),
        header: header.names.clone(),
        rows: 0,
        bytes,
        encoding: "utf-8",
        gzip: false,
    });
    ds.files[file_index as usize].rows = rows;
    Ok(Streamed::Done {
        header: Box::new(header),
        skip,
    })
}
