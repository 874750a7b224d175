//! The quarantine file: every rejected sheet with its original fields and
//! its reasons, as CSV that a person can fix and read back in.
//!
//! Columns: `_file`, `_line`, `_station`, `_codes`, `_reasons`, then the
//! original header of the first input file. Reading the file back with the
//! same config works because columns are found by name and the extra
//! columns are ignored.

use std::io::Write;

use crate::model::Dataset;

/// Write the quarantine as CSV.
pub fn write_csv<W: Write>(ds: &Dataset, out: W) -> Result<(), csv::Error> {
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(out);
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
        row.extend(q.record.iter().cloned());
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}
