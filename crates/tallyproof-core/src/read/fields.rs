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

/// Build the station id into `out`; false when every part is empty.
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
