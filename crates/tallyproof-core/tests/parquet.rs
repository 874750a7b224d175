//! Parquet input gives the same sheets as the same table in CSV.
#![cfg(feature = "parquet")]

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, UInt32Array};
use parquet::arrow::ArrowWriter;
use tallyproof_core::{Config, NoProgress, read_files, tabulate};

const CONFIG: &str = r#"
[election]
name = "parquet"
[station]
id = ["station"]
[[levels]]
key = "region"
code = "region"
[columns]
registered = "registered"
valid = "valid"
[[options]]
key = "A"
[[options]]
key = "B"
"#;

#[test]
fn parquet_reads_like_csv() {
    let cfg = Config::from_toml(CONFIG).unwrap();
    let cols: Vec<(&str, ArrayRef)> = vec![
        (
            "station",
            Arc::new(StringArray::from(vec!["s1", "s2", "s3", "s4"])),
        ),
        (
            "region",
            Arc::new(StringArray::from(vec!["N", "N", "S", "S"])),
        ),
        (
            "registered",
            Arc::new(UInt32Array::from(vec![100, 200, 300, 400])),
        ),
        ("valid", Arc::new(Int64Array::from(vec![50, 120, 200, 10]))),
        // pandas writes integer columns with gaps as floats: 30.0 is 30; a
        // NaN is an empty count (s4 has A empty: quarantined); 2.5 is not a
        // whole number (s3: quarantined).
        (
            "A",
            Arc::new(Float64Array::from(vec![30.0, 100.0, 2.5, f64::NAN])),
        ),
        ("B", Arc::new(Int64Array::from(vec![20, 20, 198, 10]))),
    ];
    let batch = RecordBatch::try_from_iter(cols).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sheets.parquet");
    let mut w =
        ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let ds = read_files(&cfg, &[&path], None, &NoProgress).unwrap();
    assert_eq!(ds.files[0].encoding, "parquet");
    assert_eq!(ds.sheets.len(), 2);
    let q: Vec<(String, &str)> = ds
        .quarantine
        .iter()
        .map(|q| (q.station.clone().unwrap(), q.reasons[0].rule.code()))
        .collect();
    assert_eq!(
        q,
        vec![("s3".to_string(), "E003"), ("s4".to_string(), "E005")]
    );
    let n = tabulate(&cfg, &ds, None, None);
    assert_eq!(n.units[0].votes, vec![130, 40]);
    assert_eq!(n.units[0].registered_in_sheets, Some(300));
    // Rows are numbered as lines of the same table in CSV with a header.
    assert_eq!(ds.quarantine[0].source.line, 4);
}
