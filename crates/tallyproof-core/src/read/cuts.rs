//! Cutting text into records: where a reading from the start begins a
//! record, under the CSV quoting rules and the unclosed-quote recovery.

#[allow(unused_imports)]
use super::*;

/// Where the rows of a text begin, found without parsing fields, exactly as
/// [`parse_chunk`] reads them from a record start: the CSV rules of the
/// `csv` crate (a quote opens a quoted field only at the start of a field;
/// inside one, `""` is a quote and a line end is part of the field; a `\r`
/// or `\n` outside one ends the record; empty lines are skipped) and this
/// reader's recovery from an unclosed quote (a record that swallowed a line
/// end and came out with the wrong number of fields, or with a field over
/// [`MAX_FIELD`] bytes, is cut at the end of its first line, and reading
/// resumes on the next). Texts are split only where a reading from the
/// start would begin a fresh record, so that the rows do not depend on how
/// the text is split: into blocks, chunks or threads.
#[derive(Clone, Copy)]
pub(crate) struct Cuts {
    pub(crate) delim: u8,
    pub(crate) eol: u8,
    /// The header's width, for the recovery rule; `None` for the header
    /// itself, read without it.
    pub(crate) nfields: Option<usize>,
    /// Every line end is a record end (JSON Lines: no quoting rules).
    pub(crate) lines: bool,
}

/// How a record read from its start ends.
pub(crate) enum RecordEnd {
    /// At the terminator at this index, read as it is.
    At(usize),
    /// Cut at the end of its first line by the recovery rule, which is
    /// certain once the text up to this index is read (its end, or where a
    /// field that swallowed a line end passed [`MAX_FIELD`] bytes).
    Recovered(usize),
    /// Not within the text.
    Open,
}

impl Cuts {
    pub(crate) fn new(delim: u8, eol: u8, nfields: Option<usize>) -> Cuts {
        Cuts {
            delim,
            eol,
            nfields,
            lines: false,
        }
    }

    /// Cuts at every `\n`: the records of JSON Lines.
    pub(crate) fn lines() -> Cuts {
        Cuts {
            delim: b',',
            eol: b'\n',
            nfields: None,
            lines: true,
        }
    }

    /// The end of the last line (just after an `eol` byte) at which
    /// reading `buf` from its start (a record start) begins a fresh record.
    pub(crate) fn last(&self, buf: &[u8]) -> Option<usize> {
        if self.lines || memchr::memchr(b'"', buf).is_none() {
            // No quote: every line end is a record end.
            return memchr::memrchr(self.eol, buf).map(|p| p + 1);
        }
        let mut last = None;
        let mut pos = 0;
        // A text cut before the end of a record that the recovery cut short
        // would show that record shorter, and the recovery would not see
        // it: no cut before it ends.
        let mut not_before = 0;
        let cut = |c: usize, not_before: usize, last: &mut Option<usize>| {
            if c >= not_before {
                *last = Some(c);
            }
        };
        while pos < buf.len() {
            let Some(line_end) = memchr::memchr(self.eol, &buf[pos..]).map(|k| pos + k) else {
                return last;
            };
            if memchr::memchr(b'"', &buf[pos..line_end]).is_none() {
                cut(line_end + 1, not_before, &mut last);
                pos = line_end + 1;
                continue;
            }
            match self.record_end(buf, pos) {
                RecordEnd::Open => return last,
                RecordEnd::Recovered(t) => {
                    not_before = t + 1;
                    pos = line_end + 1;
                }
                RecordEnd::At(t) => {
                    if buf[t] == self.eol {
                        cut(t + 1, not_before, &mut last);
                    }
                    pos = t + 1;
                }
            }
        }
        last
    }

    /// Read one record from `start` (a record start, not an empty line):
    /// where it ends, and whether the recovery rule cuts it.
    pub(crate) fn record_end(&self, buf: &[u8], start: usize) -> RecordEnd {
        #[derive(PartialEq)]
        enum St {
            FieldStart,
            Unquoted,
            Quoted,
            QuoteInQuoted,
        }
        let mut st = St::FieldStart;
        let (mut fields, mut len, mut longest) = (1usize, 0usize, 0usize);
        let mut swallowed_eol = false;
        for (i, &b) in buf.iter().enumerate().skip(start) {
            match st {
                St::Quoted => {
                    if b == b'"' {
                        st = St::QuoteInQuoted;
                    } else {
                        len += 1;
                        swallowed_eol |= b == self.eol;
                        // Both conditions only grow: the recovery will cut
                        // this record whatever follows, so the scan need not
                        // wait for its end (a quote never closed would
                        // otherwise hold the rest of the file in one block).
                        if swallowed_eol && len > MAX_FIELD && self.nfields.is_some() {
                            return RecordEnd::Recovered(i);
                        }
                    }
                    continue;
                }
                St::QuoteInQuoted if b == b'"' => {
                    len += 1;
                    st = St::Quoted;
                    continue;
                }
                St::FieldStart if b == b'"' => {
                    st = St::Quoted;
                    continue;
                }
                _ => {}
            }
            if b == self.delim {
                longest = longest.max(len);
                (fields, len, st) = (fields + 1, 0, St::FieldStart);
            } else if b == b'\n' || b == b'\r' {
                longest = longest.max(len);
                let wrong = self.nfields.is_some_and(|n| fields != n) || longest > MAX_FIELD;
                return if swallowed_eol && wrong && self.nfields.is_some() {
                    RecordEnd::Recovered(i)
                } else {
                    RecordEnd::At(i)
                };
            } else {
                len += 1;
                st = St::Unquoted;
            }
        }
        RecordEnd::Open
    }
}

/// Split `body` into about `n` chunks at record starts (see [`Cuts`]).
pub(crate) fn chunk_bounds(body: &[u8], cuts: Cuts, n: usize, min: usize) -> Vec<(usize, usize)> {
    let target = (body.len() / n.max(1)).max(min.max(1));
    let mut bounds = Vec::new();
    let mut start = 0;
    while start < body.len() {
        let mut want = start + target;
        let end = loop {
            if want >= body.len() {
                break body.len();
            }
            match cuts.last(&body[start..want]) {
                Some(c) => break start + c,
                None => want += target,
            }
        };
        bounds.push((start, end));
        start = end;
    }
    bounds
}
