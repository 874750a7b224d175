//! Apache Parquet sheet files, read column by column and turned into
//! delimited text so that they pass through the same reader and checks as
//! CSV. Integer columns are written in decimal; float columns must hold
//! whole numbers (pandas writes integer columns with gaps as floats), and a
//! null or NaN becomes an empty field.

use std::fmt::Write as _;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::error::Error;

/// Whether the bytes are a Parquet file (magic "PAR1" at both ends).
pub fn is_parquet(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1")
}

fn cell(col: &ArrayRef, row: usize, name: &str, out: &mut String) -> Result<(), String> {
    if col.is_null(row) {
        return Ok(());
    }
    macro_rules! int {
        ($t:ty) => {{
            let _ = write!(out, "{}", col.as_primitive::<$t>().value(row));
        }};
    }
    match col.data_type() {
        DataType::Int8 => int!(Int8Type),
        DataType::Int16 => int!(Int16Type),
        DataType::Int32 => int!(Int32Type),
        DataType::Int64 => int!(Int64Type),
        DataType::UInt8 => int!(UInt8Type),
        DataType::UInt16 => int!(UInt16Type),
        DataType::UInt32 => int!(UInt32Type),
        DataType::UInt64 => int!(UInt64Type),
        DataType::Float32 | DataType::Float64 => {
            let v = if matches!(col.data_type(), DataType::Float32) {
                f64::from(col.as_primitive::<Float32Type>().value(row))
            } else {
                col.as_primitive::<Float64Type>().value(row)
            };
            if v.is_nan() {
                return Ok(());
            }
            if v.fract() == 0.0 && v.abs() < 1e15 {
                let _ = write!(out, "{}", v as i64);
            } else {
                // Kept as written: the count check reports it as not a whole number.
                let _ = write!(out, "{v}");
            }
        }
        DataType::Utf8 => out.push_str(col.as_string::<i32>().value(row)),
        DataType::LargeUtf8 => out.push_str(col.as_string::<i64>().value(row)),
        DataType::Utf8View => out.push_str(col.as_string_view().value(row)),
        DataType::Boolean => {
            let _ = write!(out, "{}", col.as_boolean().value(row));
        }
        DataType::Dictionary(_, _) => {
            let d = col.as_any_dictionary();
            let key = d.normalized_keys()[row];
            cell(d.values(), key, name, out)?;
        }
        other => {
            return Err(format!(
                "column {name:?} has type {other}, which sheets do not use"
            ));
        }
    }
    Ok(())
}

/// Convert a Parquet file to delimited text with a header row.
pub fn to_delimited(name: &str, bytes: Vec<u8>, delimiter: u8) -> Result<Vec<u8>, Error> {
    let err = |m: String| Error::Input {
        file: name.to_string(),
        message: m,
    };
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
        .map_err(|e| err(format!("not a readable Parquet file: {e}")))?;
    let names: Vec<String> = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let reader = builder
        .build()
        .map_err(|e| err(format!("cannot read the Parquet file: {e}")))?;
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .from_writer(Vec::new());
    w.write_record(&names).map_err(|e| err(e.to_string()))?;
    let mut fields = vec![String::new(); names.len()];
    for batch in reader {
        let batch = batch.map_err(|e| err(format!("corrupt Parquet data: {e}")))?;
        for row in 0..batch.num_rows() {
            for (c, f) in fields.iter_mut().enumerate() {
                f.clear();
                cell(batch.column(c), row, &names[c], f).map_err(&err)?;
            }
            w.write_record(&fields).map_err(|e| err(e.to_string()))?;
        }
    }
    w.into_inner().map_err(|e| err(e.to_string()))
}
