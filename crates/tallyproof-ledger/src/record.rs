//! What a leaf carries, and its canonical encoding.
//!
//! The encoding is specified field by field in `docs/ledger-format.md`. In
//! short: a header line, then one line per field in a fixed order; integers in
//! decimal without leading zeroes; strings as `<byte length>:<UTF-8 NFC
//! bytes>`; an absent optional value as `-`. [`LeafRecord::decode`] accepts
//! exactly the bytes [`LeafRecord::encode`] produces, so one record has one
//! encoding and one leaf hash.

use serde::{Deserialize, Serialize};
use unicode_normalization::{UnicodeNormalization, is_nfc};

use crate::error::{Error, Result};

/// First line of every leaf.
pub const LEAF_HEADER: &str = "tallyproof-leaf/1";

/// Largest entry: C2SP tlog-tiles entry bundles prefix each entry with a
/// big-endian `uint16` length.
pub const MAX_ENTRY_BYTES: usize = u16::MAX as usize;

/// Where a sheet came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A file of transcribed results (CSV, JSONL, …).
    Import,
    /// A scanned tally-sheet image.
    Scan,
    /// A witness upload.
    Witness,
    /// The authority's own publication.
    Official,
}

impl SourceKind {
    /// The word used in the encoding.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Import => "import",
            SourceKind::Scan => "scan",
            SourceKind::Witness => "witness",
            SourceKind::Official => "official",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "import" => SourceKind::Import,
            "scan" => SourceKind::Scan,
            "witness" => SourceKind::Witness,
            "official" => SourceKind::Official,
            _ => return None,
        })
    }
}

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
    /// Input file, as the user named it.
    pub file: Option<String>,
    /// Line (or record number) in that file, 1-based.
    pub line: Option<u64>,
    /// SHA-256 of the sheet image, 64 hexadecimal digits.
    pub image_sha256: Option<String>,
    /// The QR payload printed on the sheet, as decoded.
    pub qr_payload: Option<String>,
    /// When the sheet was received (RFC 3339 recommended).
    pub received: Option<String>,
}

impl Provenance {
    /// Provenance with only the source kind known.
    pub fn new(kind: SourceKind) -> Self {
        Provenance {
            kind,
            file: None,
            line: None,
            image_sha256: None,
            qr_payload: None,
            received: None,
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
            status: Status::Accepted,
            provenance: Provenance::new(kind),
            supersedes: None,
        }
    }

    /// The canonical encoding (docs/ledger-format.md). Strings are put into
    /// Unicode NFC; the image hash into lower case. Fails on an empty station,
    /// a repeated option, an empty rule code, a malformed image hash, or more
    /// than [`MAX_ENTRY_BYTES`] bytes.
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
        let p = &self.provenance;
        w.0.extend_from_slice(b"source ");
        w.0.extend_from_slice(p.kind.as_str().as_bytes());
        w.0.push(b'\n');
        w.opt_str_field("file", p.file.as_deref());
        w.opt_int_field("line", p.line);
        let img = match &p.image_sha256 {
            None => None,
            Some(h) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(h.to_ascii_lowercase())
            }
            Some(h) => return Err(invalid(format!("image sha256 {h:?} is not 64 hex digits"))),
        };
        w.0.extend_from_slice(b"image-sha256 ");
        match img {
            None => w.0.push(b'-'),
            Some(h) => w.0.extend_from_slice(h.as_bytes()),
        }
        w.0.push(b'\n');
        w.opt_str_field("qr", p.qr_payload.as_deref());
        w.opt_str_field("received", p.received.as_deref());
        w.opt_int_field("supersedes", self.supersedes);
        if w.0.len() > MAX_ENTRY_BYTES {
            return Err(invalid(format!(
                "encoded record has {} bytes, more than {MAX_ENTRY_BYTES}",
                w.0.len()
            )));
        }
        Ok(w.0)
    }

    /// Decodes a canonical encoding; `index` only names the entry in errors.
    /// Anything [`LeafRecord::encode`] would not have produced is rejected.
    pub fn decode(bytes: &[u8], index: u64) -> Result<Self> {
        let mut r = Reader {
            b: bytes,
            pos: 0,
            index,
        };
        r.literal(LEAF_HEADER)?;
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
        let line = r.opt_int_field("line")?;
        r.literal("image-sha256 ")?;
        let image_sha256 = if r.try_literal("-\n") {
            None
        } else {
            let h = r.word()?;
            if h.len() != 64 || !h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                return Err(r.err("image-sha256 is not 64 lower-case hex digits"));
            }
            Some(h)
        };
        let qr_payload = r.opt_str_field("qr")?;
        let received = r.opt_str_field("received")?;
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
            status,
            provenance: Provenance {
                kind,
                file,
                line,
                image_sha256,
                qr_payload,
                received,
            },
            supersedes,
        })
    }
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
