//! The quarantine file: every rejected sheet with its original fields and
//! its reasons, as CSV that a person can fix and read back in.
//!
//! Columns: `_file`, `_line`, `_station`, `_codes`, `_reasons`, then the
//! original header of the first input file. Reading the file back with the
//! same config works because columns are found by name and the extra
//! columns are ignored: [`write`] uses the config's delimiter and the
//! first input's encoding (UTF-8, or Windows-1252 when the input was), and
//! a long file's sheet is written one row per option, as it was read.

use std::io::Write;

use crate::config::Config;
use crate::model::Dataset;

/// Write the quarantine as comma-separated UTF-8 CSV.
pub fn write_csv<W: Write>(ds: &Dataset, out: W) -> Result<(), csv::Error> {
    write_with(ds, b',', out)
}

/// Write the quarantine so that it reads back with `cfg`: its delimiter,
/// and the encoding the first input file was decoded from (the file then
/// says which, in [`encoding_of`]).
pub fn write<W: Write>(cfg: &Config, ds: &Dataset, mut out: W) -> Result<(), csv::Error> {
    let delim = cfg
        .input
        .delimiter
        .as_bytes()
        .first()
        .copied()
        .unwrap_or(b',');
    if encoding_of(ds) == "windows-1252" {
        let mut utf8 = Vec::new();
        write_with(ds, delim, &mut utf8)?;
        let text = String::from_utf8_lossy(&utf8);
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
        out.write_all(&bytes)?;
        return Ok(());
    }
    write_with(ds, delim, out)
}

/// The encoding [`write`] uses: the first input file's.
pub fn encoding_of(ds: &Dataset) -> &'static str {
    match ds.files.first().map(|f| f.encoding) {
        Some("windows-1252") => "windows-1252",
        _ => "utf-8",
    }
}

fn write_with<W: Write>(ds: &Dataset, delim: u8, out: W) -> Result<(), csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .delimiter(delim)
        .from_writer(out);
    let header: Vec<String> = ds
        .files
        .first()
        .map(|f| f.header.clone())
        .unwrap_or_default();
    let mut head = vec![
        "_file".to_string(),
        "_line".into(),
        "_station".into(),
        "_codes".into(),
        "_reasons".into(),
    ];
    head.extend(header.iter().cloned());
    w.write_record(&head)?;
    for q in &ds.quarantine {
        let file = ds
            .files
            .get(q.source.file as usize)
            .map_or("", |f| f.path.as_str());
        let codes: Vec<&str> = q.reasons.iter().map(|r| r.rule.code()).collect();
        let reasons: Vec<String> = q
            .reasons
            .iter()
            .map(|r| format!("{} {}: {}", r.rule.code(), r.rule.slug(), r.message))
            .collect();
        let mut row = vec![
            file.to_string(),
            q.source.line.to_string(),
            q.station.clone().unwrap_or_default(),
            codes.join(" "),
            reasons.join("; "),
        ];
        // Files whose header differs from the first file's are written under
        // the first header only when the field counts agree; otherwise the
        // fields follow as they are (the _file column says where they came from).
        let prefix = row.clone();
        row.extend(q.record.iter().cloned());
        w.write_record(&row)?;
        for more in &q.more {
            let mut row = prefix.clone();
            row.extend(more.iter().cloned());
            w.write_record(&row)?;
        }
    }
    w.flush()?;
    Ok(())
}
