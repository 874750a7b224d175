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

pub(crate) fn csv_builder(cfg: &Config) -> csv::ReaderBuilder {
    let mut b = csv::ReaderBuilder::new();
    b.has_headers(false)
        .flexible(true)
        .delimiter(cfg.input.delimiter.as_bytes()[0]);
    b
}

pub(crate) fn read_header(cfg: &Config, name: &str, text: &[u8]) -> Result<Header, Error> {
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
