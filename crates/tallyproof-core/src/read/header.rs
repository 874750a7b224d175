//! The header row and the column of every name the config uses.

#[allow(unused_imports)]
use super::*;

/// The header of a file and the column index of every config name.
pub(crate) struct Header {
    pub(crate) names: Vec<String>,
    /// Byte offset of the first data row.
    pub(crate) body_start: usize,
    /// The terminator used to count lines (`\n`, or `\r` for CR-only files).
    pub(crate) eol: u8,
    pub(crate) cols: Columns,
    /// For a JSON Lines file: how its keys map to the columns.
    pub(crate) json: Option<JsonKeys>,
}

/// Per level: the columns its code is built from, and its name column.
pub(crate) type LevelColumns = (Vec<(usize, IdPart)>, Option<usize>);

/// Column indices resolved against a header.
pub(crate) struct Columns {
    pub(crate) id: Vec<(usize, IdPart)>,
    pub(crate) levels: Vec<LevelColumns>,
    /// Per option: the columns that add up (wide), empty for long.
    pub(crate) options: Vec<Vec<usize>>,
    /// registered, valid, null, blank, ballots, issued.
    pub(crate) extras: [Option<Vec<usize>>; 6],
    pub(crate) long_option: Option<usize>,
    pub(crate) long_votes: Option<usize>,
    /// `[input] where`: per column, the values a row must hold.
    pub(crate) filter: Vec<(usize, Vec<String>)>,
}

/// The longest header line accepted, in bytes: a file with no line end in
/// its first this many bytes is refused before it is read.
pub(crate) const MAX_HEADER: usize = 1 << 20;

/// Look at the start of a file's text, decompressing gzip only as far as
/// needed, and refuse at once what is not line-based text: NUL bytes in the
/// first [`MAX_HEADER`] bytes (binary input), or no line end in them while
/// the text goes on (a header line over the limit). At most about
/// [`MAX_HEADER`] bytes are read and held, whatever the file's size, so that
/// a file of zeros or a single endless line costs a megabyte, not the
/// file's size, and its error does not print it. A Parquet file (binary by
/// design) and anything that cannot be read here (a corrupt gzip stream) are
/// left for the reader proper to accept or report.
pub(crate) fn check_start(name: &str, mut src: impl Read) -> Result<(), Error> {
    let io = |e| Error::Io {
        path: name.to_string(),
        source: e,
    };
    // A BOM, the header's bytes, and one more to know the text goes on.
    let want = (3 + MAX_HEADER + 1) as u64;
    let mut magic = Vec::with_capacity(4);
    (&mut src).take(4).read_to_end(&mut magic).map_err(io)?;
    if magic.starts_with(b"PAR1") {
        return Ok(());
    }
    let gzip = magic.starts_with(&[0x1f, 0x8b]);
    let mut head = Vec::new();
    let rest = std::io::Cursor::new(magic).chain(src);
    if gzip {
        let mut dec = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(rest));
        // On a gzip error the bytes decompressed so far stay in `head`, and
        // the error is the reader's to report.
        let _ = (&mut dec).take(want).read_to_end(&mut head);
    } else {
        rest.take(want).read_to_end(&mut head).map_err(io)?;
    }
    // Not going on: the whole text, or all a corrupt gzip stream gave.
    check_head(name, &head, (head.len() as u64) < want)
}

/// [`check_start`] on the first bytes of a text: `whole` when they are all
/// of it (a header without a line end then ends the file).
pub(crate) fn check_head(name: &str, head: &[u8], whole: bool) -> Result<(), Error> {
    let refuse = |message: String| {
        Err(Error::Input {
            file: name.to_string(),
            message,
        })
    };
    let window = &head[..head.len().min(3 + MAX_HEADER)];
    if let Some(at) = memchr::memchr(0, window) {
        let hint = if window.starts_with(b"\xFF\xFE") || window.starts_with(b"\xFE\xFF") {
            "UTF-16 text: save it as UTF-8"
        } else if window.starts_with(b"PK\x03\x04") {
            "a ZIP archive, perhaps an .xlsx or .ods spreadsheet: export the sheets as CSV"
        } else {
            "a spreadsheet, an archive or an image? export the sheets as CSV"
        };
        return refuse(format!(
            "binary data, not delimited text: a NUL byte at byte offset {at} ({hint})"
        ));
    }
    if memchr::memchr2(b'\n', b'\r', window).is_none() && (!whole || head.len() > window.len()) {
        return refuse(format!(
            "no line end in the first {} MiB: the header line is longer than that, the limit (is this a delimited text file?)",
            MAX_HEADER >> 20
        ));
    }
    Ok(())
}

pub(crate) fn csv_builder(cfg: &Config) -> csv::ReaderBuilder {
    let mut b = csv::ReaderBuilder::new();
    b.has_headers(false)
        .flexible(true)
        .delimiter(cfg.input.delimiter.as_bytes()[0]);
    b
}

pub(crate) fn read_header(cfg: &Config, name: &str, text: &[u8]) -> Result<Header, Error> {
    // The header record is parsed from its first bytes only: a quoted field
    // that never closes must not make it the whole file.
    let cap = (MAX_HEADER + 1).min(text.len());
    let mut rdr = csv_builder(cfg).from_reader(&text[..cap]);
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
    if body_start > MAX_HEADER {
        return Err(Error::Input {
            file: name.to_string(),
            message: format!(
                "the header record is over {} MiB long, the limit (a quote never closed?)",
                MAX_HEADER >> 20
            ),
        });
    }
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
        json: None,
    })
}

/// The header's names for an error message, cut short past a few hundred
/// characters (a binary or misread header can be a megabyte).
fn listing(names: &[String]) -> String {
    const ROOM: usize = 400;
    let mut out = String::new();
    for (k, n) in names.iter().enumerate() {
        if out.len() + n.len() > ROOM {
            let mut cut = ROOM.saturating_sub(out.len()).min(n.len());
            while !n.is_char_boundary(cut) {
                cut -= 1;
            }
            if k > 0 {
                out.push_str(", ");
            }
            out.push_str(&n[..cut]);
            out.push_str(&format!("… ({} columns in all)", names.len()));
            return out;
        }
        if k > 0 {
            out.push_str(", ");
        }
        out.push_str(n);
    }
    out
}

pub(crate) fn resolve(cfg: &Config, file: &str, names: &[String]) -> Result<Columns, Error> {
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
                    listing(names)
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
    let filter = cfg
        .input
        .filter
        .iter()
        .map(|(col, v)| Ok((find(col, "[input] where")?, v.to_vec())))
        .collect::<Result<_, Error>>()?;
    Ok(Columns {
        id,
        levels,
        options,
        extras,
        long_option,
        long_votes,
        filter,
    })
}
