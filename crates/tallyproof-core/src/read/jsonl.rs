//! JSON Lines: one flat object per sheet, keys as column names.

#[allow(unused_imports)]
use super::*;

/// JSON Lines converted to CSV text.
pub(crate) struct Jsonl {
    pub(crate) csv: Vec<u8>,
    pub(crate) header: Header,
    /// Per CSV data row: its line in the JSON Lines file.
    pub(crate) lines: Vec<u64>,
    /// Lines that are not JSON objects: (line, error, raw text).
    pub(crate) errors: Vec<(u64, String, String)>,
    /// The provenance a line states of itself (see
    /// [`crate::model::RowOrigin::KEYS`]), by line.
    pub(crate) origins: Vec<(u64, crate::model::RowOrigin)>,
}

/// The provenance fields of one JSON object, if it has any.
fn row_origin(obj: &serde_json::Map<String, serde_json::Value>) -> Option<crate::model::RowOrigin> {
    let get = |k: &str| obj.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let o = crate::model::RowOrigin {
        kind: get("source").and_then(|s| crate::sheet::SourceKind::parse(&s)),
        image: get("image"),
        image_sha256: get("image_sha256"),
        qr_payload: get("qr_payload"),
        received_at: get("received_at"),
        submitted_by: get("submitted_by"),
    };
    (o != crate::model::RowOrigin::default()).then_some(o)
}

/// JSON Lines: each line one flat object; keys are column names. The lines
/// are turned into CSV with a header of every key seen, so that they pass
/// through the same reader and checks as CSV.
pub(crate) fn jsonl_to_csv(cfg: &Config, name: &str, text: &[u8]) -> Result<Jsonl, Error> {
    let mut keys: Vec<String> = Vec::new();
    let mut key_index: HashMap<String, usize> = HashMap::new();
    let mut rows: Vec<Vec<(usize, String)>> = Vec::new();
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    let mut origins = Vec::new();
    for (n, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(line) {
            Ok(obj) => {
                if let Some(o) = row_origin(&obj) {
                    origins.push((n as u64 + 1, o));
                }
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
        origins,
    })
}
