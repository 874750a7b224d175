//! Payload formats: from a QR code's text to counts per party line.
//!
//! A [`PayloadFormat`] parses the raw text into a [`Payload`]: the sheet's
//! code, the station id, the counts per party line in printed order and
//! the null votes. How lines sum into options (candidates) is data, not
//! code: a [`LineGrouping`] maps each option key to its lines, so an
//! election config can carry it.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A parsed QR payload: one tally sheet's counts as the machine printed
/// them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    /// Name of the [`PayloadFormat`] that parsed it.
    pub format: String,
    /// The sheet's own code as carried in the payload (for Venezuela 2024,
    /// the acta code `CCCCCCCCC.MM.1.0001`).
    pub sheet_code: String,
    /// The polling station's id in the form the rest of tallyproof uses
    /// (for Venezuela 2024, `CCCCCCCCC.MM`).
    pub station_id: String,
    /// Counts per party line ("tarjeta"), in the order printed on the sheet.
    pub lines: Vec<u64>,
    /// Null (spoilt) votes.
    pub null_votes: u64,
    /// Valid votes where the payload states them separately; `None` when
    /// they are only the sum of `lines`.
    pub stated_valid_votes: Option<u64>,
    /// Further counts the payload carries, by name, in payload order.
    pub extra: Vec<NamedCount>,
}

impl Payload {
    /// The sum of all lines: the valid votes. `None` on overflow.
    pub fn lines_total(&self) -> Option<u64> {
        self.lines
            .iter()
            .try_fold(0u64, |acc, &n| acc.checked_add(n))
    }

    /// Checks that the counts are consistent: the lines sum without
    /// overflow and, where the payload states valid votes, to that figure.
    pub fn check_totals(&self) -> Result<u64, PayloadError> {
        let total = self.lines_total().ok_or(PayloadError::Overflow)?;
        if let Some(stated) = self.stated_valid_votes
            && stated != total
        {
            return Err(PayloadError::DoesNotAddUp {
                what: "sum of the party lines vs stated valid votes".into(),
                expected: stated,
                found: total,
            });
        }
        self.null_votes
            .checked_add(total)
            .ok_or(PayloadError::Overflow)?;
        Ok(total)
    }
}

/// A count with a name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedCount {
    /// The count's name or key.
    pub name: String,
    /// The count.
    pub count: u64,
}

/// Why a QR payload was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// The text is not in this format at all (another kind of QR code: a
    /// URL, another country's sheet). Kept apart from the malformed cases
    /// below, which look like this format but are broken.
    #[error("not a {format} payload: {reason}")]
    Foreign {
        /// The format that was expected.
        format: String,
        /// What gave it away.
        reason: String,
    },
    /// Wrong number of `!`-separated (or similar) fields.
    #[error("expected {expected} fields, found {found}")]
    FieldCount {
        /// Fields the format has.
        expected: usize,
        /// Fields in the payload.
        found: usize,
    },
    /// A count is not a non-negative integer.
    #[error("{field} is not a non-negative integer: {value:?}")]
    NotANumber {
        /// Which field or line.
        field: String,
        /// The offending text (truncated to 40 characters).
        value: String,
    },
    /// Wrong number of party lines.
    #[error("expected {expected} party lines, found {found}")]
    LineCount {
        /// Lines the format or grouping expects.
        expected: usize,
        /// Lines in the payload.
        found: usize,
    },
    /// The sheet code does not have the expected shape.
    #[error("sheet code {code:?} does not match {expected}")]
    BadSheetCode {
        /// The code found.
        code: String,
        /// The expected shape.
        expected: String,
    },
    /// Counts that should agree do not.
    #[error("counts do not add up: {what}: expected {expected}, found {found}")]
    DoesNotAddUp {
        /// Which totals disagree.
        what: String,
        /// The stated figure.
        expected: u64,
        /// The computed figure.
        found: u64,
    },
    /// A sum of counts overflows 64 bits.
    #[error("counts do not add up: the sum overflows")]
    Overflow,
}

impl PayloadError {
    /// True when the payload is not of this format at all, as opposed to
    /// malformed or inconsistent.
    pub fn is_foreign(&self) -> bool {
        matches!(self, PayloadError::Foreign { .. })
    }

    /// True when the payload parsed but its counts are inconsistent.
    pub fn is_inconsistent(&self) -> bool {
        matches!(
            self,
            PayloadError::DoesNotAddUp { .. } | PayloadError::Overflow
        )
    }
}

/// A per-country (per-election) QR payload format.
pub trait PayloadFormat: Send + Sync {
    /// A short stable name, such as `ve2024`.
    fn name(&self) -> &str;
    /// Parses a payload's text.
    fn parse(&self, raw: &str) -> Result<Payload, PayloadError>;
    /// Names of the party lines in printed order, for groupings that
    /// refer to lines by name; empty when the format has none.
    fn line_names(&self) -> &[&str] {
        &[]
    }
}

/// Parses a non-negative integer count in plain decimal digits.
pub fn parse_count(field: impl fmt::Display, text: &str) -> Result<u64, PayloadError> {
    let not_a_number = || PayloadError::NotANumber {
        field: field.to_string(),
        value: text.chars().take(40).collect(),
    };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_a_number());
    }
    text.parse::<u64>().map_err(|_| not_a_number())
}

/// A reference to a party line: its 1-based position on the sheet, or its
/// name as given by [`PayloadFormat::line_names`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LineRef {
    /// 1-based position in printed order.
    Index(usize),
    /// Line name (for Venezuela 2024, the party abbreviation).
    Name(String),
}

impl fmt::Display for LineRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineRef::Index(i) => write!(f, "line {i}"),
            LineRef::Name(n) => write!(f, "line {n:?}"),
        }
    }
}

/// How party lines sum into options: an ordered list of option keys, each
/// with its lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineGrouping {
    /// Option key and the lines that sum into it, in output order.
    pub options: Vec<(String, Vec<LineRef>)>,
}

/// A grouping that does not fit a format.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GroupingError {
    /// A line index is 0 or past the last line.
    #[error("option {option}: {line} is out of range 1..={lines}")]
    OutOfRange {
        /// Option key.
        option: String,
        /// The reference.
        line: LineRef,
        /// Number of lines in the format.
        lines: usize,
    },
    /// A line name the format does not know.
    #[error("option {option}: unknown {line}")]
    UnknownName {
        /// Option key.
        option: String,
        /// The reference.
        line: LineRef,
    },
    /// A line assigned to two options, or twice to one.
    #[error("line {index} is assigned twice (options {first} and {second})")]
    Duplicate {
        /// 1-based line index.
        index: usize,
        /// First option.
        first: String,
        /// Second option.
        second: String,
    },
    /// A line assigned to no option: its votes would vanish.
    #[error("line {index} is assigned to no option")]
    Unassigned {
        /// 1-based line index.
        index: usize,
    },
    /// The same option key twice.
    #[error("option {0} appears twice")]
    DuplicateOption(String),
}

impl LineGrouping {
    /// Resolves names to indices and checks that the options partition
    /// the `line_count` lines exactly: every line in exactly one option,
    /// so that the options add up to the valid votes.
    pub fn resolve(
        &self,
        line_names: &[&str],
        line_count: usize,
    ) -> Result<ResolvedGrouping, GroupingError> {
        let mut owner: Vec<Option<&str>> = vec![None; line_count];
        let mut options = Vec::with_capacity(self.options.len());
        for (key, refs) in &self.options {
            if options.iter().any(|(k, _): &(String, Vec<usize>)| k == key) {
                return Err(GroupingError::DuplicateOption(key.clone()));
            }
            let mut indices = Vec::with_capacity(refs.len());
            for r in refs {
                let idx = match r {
                    LineRef::Index(i) if (1..=line_count).contains(i) => i - 1,
                    LineRef::Index(_) => {
                        return Err(GroupingError::OutOfRange {
                            option: key.clone(),
                            line: r.clone(),
                            lines: line_count,
                        });
                    }
                    LineRef::Name(n) => line_names
                        .iter()
                        .position(|name| name.eq_ignore_ascii_case(n))
                        .filter(|&i| i < line_count)
                        .ok_or_else(|| GroupingError::UnknownName {
                            option: key.clone(),
                            line: r.clone(),
                        })?,
                };
                if let Some(first) = owner[idx] {
                    return Err(GroupingError::Duplicate {
                        index: idx + 1,
                        first: first.to_string(),
                        second: key.clone(),
                    });
                }
                owner[idx] = Some(key);
                indices.push(idx);
            }
            options.push((key.clone(), indices));
        }
        if let Some(i) = owner.iter().position(Option::is_none) {
            return Err(GroupingError::Unassigned { index: i + 1 });
        }
        Ok(ResolvedGrouping {
            options,
            line_count,
        })
    }
}

/// A [`LineGrouping`] checked against a format: indices in range, each
/// line in exactly one option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedGrouping {
    options: Vec<(String, Vec<usize>)>,
    line_count: usize,
}

impl ResolvedGrouping {
    /// The option keys in output order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.options.iter().map(|(k, _)| k.as_str())
    }

    /// Sums a payload's lines into options, checking that the payload has
    /// the expected number of lines and that the options add up to the
    /// valid votes.
    pub fn apply(&self, payload: &Payload) -> Result<Vec<NamedCount>, PayloadError> {
        if payload.lines.len() != self.line_count {
            return Err(PayloadError::LineCount {
                expected: self.line_count,
                found: payload.lines.len(),
            });
        }
        let valid = payload.check_totals()?;
        let mut out = Vec::with_capacity(self.options.len());
        let mut sum = 0u64;
        for (key, idx) in &self.options {
            let count = idx.iter().try_fold(0u64, |acc, &i| {
                payload.lines.get(i).and_then(|&n| acc.checked_add(n))
            });
            let count = count.ok_or(PayloadError::Overflow)?;
            sum = sum.checked_add(count).ok_or(PayloadError::Overflow)?;
            out.push(NamedCount {
                name: key.clone(),
                count,
            });
        }
        if sum != valid {
            return Err(PayloadError::DoesNotAddUp {
                what: "sum of the options vs sum of the party lines".into(),
                expected: valid,
                found: sum,
            });
        }
        Ok(out)
    }
}
