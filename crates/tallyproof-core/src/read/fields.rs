//! The fields of one row, from a CSV record or a plain line, and the
//! station id built from them.

#[allow(unused_imports)]
use super::*;

/// The fields of one row: a CSV byte record, or a plain line split at the
/// delimiter.
pub(crate) trait Fields {
    /// How many fields.
    fn width(&self) -> usize;
    /// Field `i`, if there is one.
    fn at(&self, i: usize) -> Option<&[u8]>;
    /// Every field, in order.
    fn all(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.width()).filter_map(|i| self.at(i))
    }
}

impl Fields for csv::ByteRecord {
    fn width(&self) -> usize {
        self.len()
    }
    fn at(&self, i: usize) -> Option<&[u8]> {
        self.get(i)
    }
}

/// A line without quotes, split at the delimiter.
pub(crate) struct Plain<'a> {
    pub(crate) line: &'a [u8],
    /// Per field: its end in `line` (it starts after the previous end and
    /// its delimiter).
    pub(crate) ends: Vec<usize>,
}

impl Fields for Plain<'_> {
    fn width(&self) -> usize {
        self.ends.len()
    }
    fn at(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] + 1 };
        Some(&self.line[start..end])
    }
}

pub(crate) fn field(rec: &impl Fields, i: usize) -> &str {
    std::str::from_utf8(rec.at(i).unwrap_or(b"")).unwrap_or("")
}

pub(crate) fn record_strings(rec: &impl Fields) -> Vec<String> {
    rec.all()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect()
}

/// Build the station id into `out`; `Err` with the reason (rule E002's
/// message) when a part is empty. A part left empty is never padded or
/// joined into an id: an empty `CENTRO` under `pad = 9` would otherwise
/// become centre `000000000`, and two such rows a false conflict.
pub(crate) fn build_station_id(
    parts: &[(usize, IdPart)],
    rec: &impl Fields,
    sep: &str,
    out: &mut String,
) -> Result<(), String> {
    build_id(parts, rec, sep, out);
    let empty: Vec<&str> = parts
        .iter()
        .filter(|(i, _)| crate::config::trim(field(rec, *i)).is_empty())
        .map(|(_, p)| p.column())
        .collect();
    if empty.is_empty() {
        return Ok(());
    }
    Err(if parts.len() == 1 {
        format!("the station id column {:?} is empty", empty[0])
    } else if empty.len() == parts.len() {
        "the station id columns are empty".to_string()
    } else {
        let all: Vec<&str> = parts.iter().map(|(_, p)| p.column()).collect();
        format!(
            "the station id column{} {} {} empty (the id is built from {})",
            if empty.len() > 1 { "s" } else { "" },
            empty
                .iter()
                .map(|c| format!("{c:?}"))
                .collect::<Vec<_>>()
                .join(", "),
            if empty.len() > 1 { "are" } else { "is" },
            all.join(", ")
        )
    })
}

/// Build an id or a unit code into `out`; false when every part is empty.
pub(crate) fn build_id(
    parts: &[(usize, IdPart)],
    rec: &impl Fields,
    sep: &str,
    out: &mut String,
) -> bool {
    out.clear();
    let mut any = false;
    for (k, (i, p)) in parts.iter().enumerate() {
        if k > 0 {
            out.push_str(sep);
        }
        let raw = field(rec, *i);
        any |= !crate::config::trim(raw).is_empty();
        p.render(raw, out);
    }
    any
}
