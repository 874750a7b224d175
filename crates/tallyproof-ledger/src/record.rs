//! What a leaf carries, and its canonical encoding.
//!
//! The encoding is specified field by field in `docs/ledger-format.md`. In
//! short: a header line, then one line per field in a fixed order; integers in
//! decimal without leading zeroes; strings as `<byte length>:<UTF-8 NFC
//! bytes>`; an absent optional value as `-`. [`LeafRecord::decode`] accepts
//! exactly the bytes [`LeafRecord::encode`] produces, so one record has one
//! encoding and one leaf hash.
//!
//! Version 2 (`tallyproof-leaf/2`, written since the input file is recorded
//! by name and content hash instead of the path typed) adds `valid`,
//! `issued`, `file-sha256` and `submitted-by`, and requires `file` to be a
//! bare file name. Entries of version 1 (`tallyproof-leaf/1`) still decode,
//! so logs written before keep verifying; their new fields decode as absent.

use serde::{Deserialize, Serialize};
use unicode_normalization::{UnicodeNormalization, is_nfc};

use crate::error::{Error, Result};

/// First line of every leaf written (version 2).
pub const LEAF_HEADER: &str = "tallyproof-leaf/2";

/// First line of a version-1 leaf: still decoded, never written.
pub const LEAF_HEADER_V1: &str = "tallyproof-leaf/1";

/// Largest entry: C2SP tlog-tiles entry bundles prefix each entry with a
/// big-endian `uint16` length.
pub const MAX_ENTRY_BYTES: usize = u16::MAX as usize;

pub use tallyproof_core::sheet::SourceKind;

/// Whether validation accepted the sheet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "status", content = "rules")]
pub enum Status {
    /// Accepted (possibly with warnings, which are not logged).
    Accepted,
    /// Quarantined, with the codes of the rules it broke, in the order given.
    Quarantined(Vec<String>),
}

/// Provenance of a sheet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// Source kind.
    pub kind: SourceKind,
    /// Name of the input file, without any directory: never the path as
    /// typed, which can name the operator and their folders.
    pub file: Option<String>,
    /// SHA-256 of the input file's bytes as stored, 64 hexadecimal digits.
    pub file_sha256: Option<String>,
    /// Line (or record number) in that file, 1-based.
    pub line: Option<u64>,
    /// SHA-256 of the sheet image, 64 hexadecimal digits.
    pub image_sha256: Option<String>,
    /// The QR payload printed on the sheet, as decoded.
    pub qr_payload: Option<String>,
    /// When the sheet was received (RFC 3339 recommended).
    pub received: Option<String>,
    /// Who submitted it, when a person did (a witness's public name or id).
    pub submitted_by: Option<String>,
}

impl Provenance {
    /// Provenance with only the source kind known.
    pub fn new(kind: SourceKind) -> Self {
        Provenance {
            kind,
            file: None,
            file_sha256: None,
            line: None,
            image_sha256: None,
            qr_payload: None,
            received: None,
            submitted_by: None,
        }
    }
}

/// One sheet as the log records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeafRecord {
    /// Station id (non-empty).
    pub station: String,
    /// Contest.
    pub contest: String,
    /// Votes per option, in the order of the sheet; keys are unique.
    pub counts: Vec<(String, u64)>,
    /// Null (invalid) votes, where known.
    pub null: Option<u64>,
    /// Blank votes, where known.
    pub blank: Option<u64>,
    /// Ballots cast, where printed.
    pub ballots: Option<u64>,
    /// Registered voters, where known.
    pub registered: Option<u64>,
    /// Valid votes as printed, where printed.
    pub valid: Option<u64>,
    /// Ballots issued, where known.
    pub issued: Option<u64>,
    /// Accepted or quarantined.
    pub status: Status,
    /// Where the sheet came from.
    pub provenance: Provenance,
    /// Leaf index of the sheet this one corrects.
    pub supersedes: Option<u64>,
}

impl LeafRecord {
    /// An accepted record with no counts yet.
    pub fn new(station: &str, contest: &str, kind: SourceKind) -> Self {
        LeafRecord {
            station: station.to_string(),
            contest: contest.to_string(),
            counts: Vec::new(),
            null: None,
            blank: None,
            ballots: None,
            registered: None,
            valid: None,
            issued: None,
            status: Status::Accepted,
            provenance: Provenance::new(kind),
            supersedes: None,
        }
    }

    /// The canonical encoding, version 2 (docs/ledger-format.md). Strings are
    /// put into Unicode NFC; hashes into lower case. Fails on an empty station,
    /// a repeated option, an empty rule code, a file given as a path rather
    /// than a name, a malformed hash, or more than [`MAX_ENTRY_BYTES`] bytes.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let invalid = |reason: String| Error::InvalidRecord {
            station: self.station.clone(),
            reason,
        };
        if self.station.is_empty() {
            return Err(invalid("empty station id".into()));
        }
        let mut seen = std::collections::HashSet::new();
        for (k, _) in &self.counts {
            if !seen.insert(k.nfc().collect::<String>()) {
                return Err(invalid(format!("option {k:?} appears twice")));
            }
        }
        let p = &self.provenance;
        if let Some(f) = &p.file
            && !is_file_name(f)
        {
            return Err(invalid(format!(
                "file {f:?} is not a bare file name (a leaf records the name, never a path)"
            )));
        }
        let hex = |what: &str, h: &Option<String>| match h {
            None => Ok(None),
            Some(h) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Ok(Some(h.to_ascii_lowercase()))
            }
            Some(h) => Err(invalid(format!("{what} {h:?} is not 64 hex digits"))),
        };
        let file_sha = hex("file sha256", &p.file_sha256)?;
        let img = hex("image sha256", &p.image_sha256)?;
        let mut w = Writer(Vec::with_capacity(256));
        w.0.extend_from_slice(LEAF_HEADER.as_bytes());
        w.0.push(b'\n');
        w.str_field("station", &self.station);
        w.str_field("contest", &self.contest);
        w.int_field("counts", self.counts.len() as u64);
        for (k, v) in &self.counts {
            w.0.extend_from_slice(b"count ");
            w.string(k);
            w.0.push(b' ');
            w.int(*v);
            w.0.push(b'\n');
        }
        w.opt_int_field("null", self.null);
        w.opt_int_field("blank", self.blank);
        w.opt_int_field("ballots", self.ballots);
        w.opt_int_field("registered", self.registered);
        w.opt_int_field("valid", self.valid);
        w.opt_int_field("issued", self.issued);
        match &self.status {
            Status::Accepted => w.0.extend_from_slice(b"status accepted\n"),
            Status::Quarantined(rules) => {
                w.0.extend_from_slice(b"status quarantined ");
                w.int(rules.len() as u64);
                w.0.push(b'\n');
                for r in rules {
                    if r.is_empty() {
                        return Err(invalid("empty rule code".into()));
                    }
                    w.str_field("rule", r);
                }
            }
        }
        w.0.extend_from_slice(b"source ");
        w.0.extend_from_slice(p.kind.as_str().as_bytes());
        w.0.push(b'\n');
        w.opt_str_field("file", p.file.as_deref());
        w.opt_word_field("file-sha256", file_sha.as_deref());
        w.opt_int_field("line", p.line);
        w.opt_word_field("image-sha256", img.as_deref());
        w.opt_str_field("qr", p.qr_payload.as_deref());
        w.opt_str_field("received", p.received.as_deref());
        w.opt_str_field("submitted-by", p.submitted_by.as_deref());
        w.opt_int_field("supersedes", self.supersedes);
        if w.0.len() > MAX_ENTRY_BYTES {
            return Err(invalid(format!(
                "encoded record has {} bytes, more than {MAX_ENTRY_BYTES}",
                w.0.len()
            )));
        }
        Ok(w.0)
    }

    /// Decodes a canonical encoding of version 2, or of version 1 (logs
    /// written before; the fields version 1 lacks decode as absent); `index`
    /// only names the entry in errors. Anything the encoder of that version
    /// would not have produced is rejected.
    pub fn decode(bytes: &[u8], index: u64) -> Result<Self> {
        let mut r = Reader {
            b: bytes,
            pos: 0,
            index,
        };
        let v2 = if r.try_literal(LEAF_HEADER) {
            true
        } else if r.try_literal(LEAF_HEADER_V1) {
            false
        } else {
            return Err(r.err(&format!("expected {LEAF_HEADER:?} or {LEAF_HEADER_V1:?}")));
        };
        r.literal("\n")?;
        let station = r.str_field("station")?;
        if station.is_empty() {
            return Err(r.err("empty station id"));
        }
        let contest = r.str_field("contest")?;
        let n = r.int_field("counts")?;
        let mut counts = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..n {
            r.literal("count ")?;
            let k = r.string()?;
            r.literal(" ")?;
            let v = r.int()?;
            r.literal("\n")?;
            if !seen.insert(k.clone()) {
                return Err(r.err(&format!("option {k:?} appears twice")));
            }
            counts.push((k, v));
        }
        let null = r.opt_int_field("null")?;
        let blank = r.opt_int_field("blank")?;
        let ballots = r.opt_int_field("ballots")?;
        let registered = r.opt_int_field("registered")?;
        let (valid, issued) = if v2 {
            (r.opt_int_field("valid")?, r.opt_int_field("issued")?)
        } else {
            (None, None)
        };
        r.literal("status ")?;
        let status = if r.try_literal("accepted\n") {
            Status::Accepted
        } else {
            r.literal("quarantined ")?;
            let n = r.int()?;
            r.literal("\n")?;
            let mut rules = Vec::new();
            for _ in 0..n {
                let rule = r.str_field("rule")?;
                if rule.is_empty() {
                    return Err(r.err("empty rule code"));
                }
                rules.push(rule);
            }
            Status::Quarantined(rules)
        };
        r.literal("source ")?;
        let word = r.word()?;
        let kind =
            SourceKind::parse(&word).ok_or_else(|| r.err(&format!("unknown source {word:?}")))?;
        let file = r.opt_str_field("file")?;
        if v2
            && let Some(f) = &file
            && !is_file_name(f)
        {
            return Err(r.err("file is not a bare file name"));
        }
        let file_sha256 = if v2 {
            r.opt_hex_field("file-sha256")?
        } else {
            None
        };
        let line = r.opt_int_field("line")?;
        let image_sha256 = r.opt_hex_field("image-sha256")?;
        let qr_payload = r.opt_str_field("qr")?;
        let received = r.opt_str_field("received")?;
        let submitted_by = if v2 {
            r.opt_str_field("submitted-by")?
        } else {
            None
        };
        let supersedes = r.opt_int_field("supersedes")?;
        if r.pos != bytes.len() {
            return Err(r.err("trailing bytes after the last field"));
        }
        Ok(LeafRecord {
            station,
            contest,
            counts,
            null,
            blank,
            ballots,
            registered,
            valid,
            issued,
            status,
            provenance: Provenance {
                kind,
                file,
                file_sha256,
                line,
                image_sha256,
                qr_payload,
                received,
                submitted_by,
            },
            supersedes,
        })
    }
}

/// Whether `s` is a file name a leaf may carry: non-empty, not `.` or `..`,
/// without `/`, `\` or NUL (docs/ledger-format.md §1).
pub fn is_file_name(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '\\', '\0'])
}

/// The last component of a path as typed (after the last `/` or `\`): what a
/// leaf records as the input file.
pub fn file_name_of(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

struct Writer(Vec<u8>);

impl Writer {
    fn int(&mut self, v: u64) {
        self.0.extend_from_slice(v.to_string().as_bytes());
    }
    fn string(&mut self, s: &str) {
        let n: String = s.nfc().collect();
        self.int(n.len() as u64);
        self.0.push(b':');
        self.0.extend_from_slice(n.as_bytes());
    }
    fn tag(&mut self, tag: &str) {
        self.0.extend_from_slice(tag.as_bytes());
        self.0.push(b' ');
    }
    fn str_field(&mut self, tag: &str, s: &str) {
        self.tag(tag);
        self.string(s);
        self.0.push(b'\n');
    }
    fn opt_str_field(&mut self, tag: &str, s: Option<&str>) {
        self.tag(tag);
        match s {
            None => self.0.push(b'-'),
            Some(s) => self.string(s),
        }
        self.0.push(b'\n');
    }
    fn opt_word_field(&mut self, tag: &str, s: Option<&str>) {
        self.tag(tag);
        match s {
            None => self.0.push(b'-'),
            Some(s) => self.0.extend_from_slice(s.as_bytes()),
        }
        self.0.push(b'\n');
    }
    fn int_field(&mut self, tag: &str, v: u64) {
        self.tag(tag);
        self.int(v);
        self.0.push(b'\n');
    }
    fn opt_int_field(&mut self, tag: &str, v: Option<u64>) {
        self.tag(tag);
        match v {
            None => self.0.push(b'-'),
            Some(v) => self.int(v),
        }
        self.0.push(b'\n');
    }
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
    index: u64,
}

impl Reader<'_> {
    fn err(&self, reason: &str) -> Error {
        Error::MalformedEntry {
            index: self.index,
            reason: format!("at byte {}: {reason}", self.pos),
        }
    }
    fn try_literal(&mut self, lit: &str) -> bool {
        if self.b[self.pos..].starts_with(lit.as_bytes()) {
            self.pos += lit.len();
            true
        } else {
            false
        }
    }
    fn literal(&mut self, lit: &str) -> Result<()> {
        if self.try_literal(lit) {
            Ok(())
        } else {
            Err(self.err(&format!("expected {lit:?}")))
        }
    }
    /// Decimal without leading zeroes (`0` itself allowed).
    fn int(&mut self) -> Result<u64> {
        let start = self.pos;
        while self.pos < self.b.len() && self.b[self.pos].is_ascii_digit() {
            self.pos += 1;
        }
        let digits = &self.b[start..self.pos];
        if digits.is_empty() {
            return Err(self.err("expected a decimal integer"));
        }
        if digits.len() > 1 && digits[0] == b'0' {
            return Err(self.err("integer with a leading zero"));
        }
        let mut v: u64 = 0;
        for &d in digits {
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(d - b'0')))
                .ok_or_else(|| self.err("integer above 2^64-1"))?;
        }
        Ok(v)
    }
    fn string(&mut self) -> Result<String> {
        let n = self.int()?;
        self.literal(":")?;
        let n = usize::try_from(n).map_err(|_| self.err("string length out of range"))?;
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| self.err("string runs past the end of the entry"))?;
        let s = std::str::from_utf8(&self.b[self.pos..end])
            .map_err(|_| self.err("string is not UTF-8"))?;
        if !is_nfc(s) {
            return Err(self.err("string is not in Unicode NFC"));
        }
        self.pos = end;
        Ok(s.to_string())
    }
    /// Rest of the line (up to the newline, consumed), as ASCII.
    fn word(&mut self) -> Result<String> {
        let rest = &self.b[self.pos..];
        let Some(nl) = rest.iter().position(|&c| c == b'\n') else {
            return Err(self.err("missing newline"));
        };
        let w = std::str::from_utf8(&rest[..nl]).map_err(|_| self.err("not UTF-8"))?;
        let w = w.to_string();
        self.pos += nl + 1;
        Ok(w)
    }
    fn tag(&mut self, tag: &str) -> Result<()> {
        self.literal(tag)?;
        self.literal(" ")
    }
    fn str_field(&mut self, tag: &str) -> Result<String> {
        self.tag(tag)?;
        let s = self.string()?;
        self.literal("\n")?;
        Ok(s)
    }
    fn opt_str_field(&mut self, tag: &str) -> Result<Option<String>> {
        self.tag(tag)?;
        if self.try_literal("-\n") {
            return Ok(None);
        }
        let s = self.string()?;
        self.literal("\n")?;
        Ok(Some(s))
    }
    /// `<tag> -` or `<tag> <64 lower-case hex digits>`.
    fn opt_hex_field(&mut self, tag: &str) -> Result<Option<String>> {
        self.tag(tag)?;
        if self.try_literal("-\n") {
            return Ok(None);
        }
        let h = self.word()?;
        if h.len() != 64 || !h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(self.err(&format!("{tag} is not 64 lower-case hex digits")));
        }
        Ok(Some(h))
    }
    fn int_field(&mut self, tag: &str) -> Result<u64> {
        self.tag(tag)?;
        let v = self.int()?;
        self.literal("\n")?;
        Ok(v)
    }
    fn opt_int_field(&mut self, tag: &str) -> Result<Option<u64>> {
        self.tag(tag)?;
        if self.try_literal("-\n") {
            return Ok(None);
        }
        let v = self.int()?;
        self.literal("\n")?;
        Ok(Some(v))
    }
}
