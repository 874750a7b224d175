//! The data model: accepted sheets held columnar, the quarantine, stations
//! listed without a sheet, and where every row came from.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::rules::{Rule, Severity};
use crate::sheet::{Counts, Origin, Sheet, SourceKind};

/// The last component of a path as typed (either separator), for
/// provenance that must not publish an operator's folders.
pub fn file_name(path: &str) -> String {
    path.rsplit(['/', '\\']).next().unwrap_or(path).to_string()
}

/// A file that was read.
#[derive(Debug, Clone, Serialize)]
pub struct SourceFile {
    /// The path as given: for messages on the operator's own screen, never
    /// for publication (it can name a user and folders).
    pub path: String,
    /// The file's name, without its folders: what provenance publishes.
    pub name: String,
    /// SHA-256 of the file's bytes as stored (before decompression),
    /// lower-case hex: which file, exactly, a sheet came from.
    pub sha256: String,
    /// The header row, as read (after decoding).
    pub header: Vec<String>,
    /// Data rows read (records after the header, blank lines not counted),
    /// less those left out by `[input] where`; for long files, stations.
    pub rows: u64,
    /// Rows left out by `[input] where`: rows of other contests.
    pub filtered: u64,
    /// Bytes after decompression.
    pub bytes: u64,
    /// The encoding the text was decoded from.
    pub encoding: &'static str,
    /// Whether the file was gzip-compressed.
    pub gzip: bool,
    /// What looked wrong with the file as a whole, though it was read (a
    /// UTF-8 byte-order mark under a forced `encoding = "windows-1252"`).
    pub warnings: Vec<String>,
}

/// Where a row came from: file (index into [`Dataset::files`]) and line
/// (1-based, counting the header as line 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// Index into [`Dataset::files`].
    pub file: u32,
    /// 1-based line where the row starts.
    pub line: u64,
    /// Byte offset of the row in the decoded file.
    #[serde(skip)]
    pub offset: u64,
}

/// The units of one geographic level, interned.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Units {
    /// Unit codes, in order of first appearance.
    pub codes: Vec<String>,
    /// Unit names (empty when the file has none).
    pub names: Vec<String>,
    #[serde(skip)]
    index: HashMap<String, u32>,
}

impl Units {
    /// The index of a code, adding it if new.
    pub fn intern(&mut self, code: &str, name: &str) -> u32 {
        if let Some(&i) = self.index.get(code) {
            return i;
        }
        let i = self.codes.len() as u32;
        self.codes.push(code.to_string());
        self.names.push(name.to_string());
        self.index.insert(code.to_string(), i);
        i
    }

    /// Keep the first `n` units.
    pub fn truncate(&mut self, n: usize) {
        for c in self.codes.drain(n.min(self.codes.len())..) {
            self.index.remove(&c);
        }
        self.names.truncate(n);
    }

    /// The index of a code, if present.
    pub fn get(&self, code: &str) -> Option<u32> {
        self.index.get(code).copied()
    }

    /// How many units.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
}

/// Strings stored back to back, without an allocation per string.
#[derive(Debug, Clone, Default)]
pub struct StrColumn {
    data: String,
    ends: Vec<usize>,
}

impl StrColumn {
    /// Append one string.
    pub fn push(&mut self, s: &str) {
        self.data.push_str(s);
        self.ends.push(self.data.len());
    }

    /// The i-th string.
    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.data[start..self.ends[i]]
    }

    /// How many strings.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Iterate in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }

    /// Append every string of another column.
    pub fn extend_from(&mut self, other: &StrColumn) {
        let base = self.data.len();
        self.data.push_str(&other.data);
        self.ends.extend(other.ends.iter().map(|e| e + base));
    }

    /// Room for `n` more strings of `bytes` bytes in all.
    pub fn reserve(&mut self, n: usize, bytes: usize) {
        self.ends.reserve(n);
        self.data.reserve(bytes);
    }

    /// Keep the first `n` strings.
    pub fn truncate(&mut self, n: usize) {
        if n < self.len() {
            self.data
                .truncate(if n == 0 { 0 } else { self.ends[n - 1] });
            self.ends.truncate(n);
        }
    }

    /// Keep the strings whose mask entry is true.
    pub fn retain_mask(&mut self, keep: &[bool]) {
        let mut out = StrColumn::default();
        for (i, k) in keep.iter().enumerate() {
            if *k {
                out.push(self.get(i));
            }
        }
        *self = out;
    }
}

/// An optional count column: present for every accepted sheet when the
/// config maps it, absent otherwise.
pub type CountColumn = Option<Vec<u32>>;

/// Accepted sheets, one entry per sheet in every column.
#[derive(Debug, Clone, Default)]
pub struct Sheets {
    /// Station ids.
    pub station: StrColumn,
    /// Per level, per sheet: index into that level's [`Units`].
    pub geo: Vec<Vec<u32>>,
    /// Per option (config order), per sheet: votes.
    pub votes: Vec<Vec<u32>>,
    /// Registered voters.
    pub registered: CountColumn,
    /// Valid votes as printed.
    pub valid: CountColumn,
    /// Null ballots.
    pub null: CountColumn,
    /// Blank ballots.
    pub blank: CountColumn,
    /// Ballots cast as printed.
    pub ballots: CountColumn,
    /// Ballots issued.
    pub issued: CountColumn,
    /// Where each sheet came from.
    pub source: Vec<Provenance>,
}

impl Sheets {
    /// An empty set with the given shape.
    pub fn with_shape(levels: usize, options: usize, present: [bool; 6]) -> Sheets {
        let col = |p: bool| if p { Some(Vec::new()) } else { None };
        Sheets {
            station: StrColumn::default(),
            geo: vec![Vec::new(); levels],
            votes: vec![Vec::new(); options],
            registered: col(present[0]),
            valid: col(present[1]),
            null: col(present[2]),
            blank: col(present[3]),
            ballots: col(present[4]),
            issued: col(present[5]),
            source: Vec::new(),
        }
    }

    /// How many sheets.
    pub fn len(&self) -> usize {
        self.source.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.source.is_empty()
    }

    /// The optional count columns, in a fixed order: registered, valid,
    /// null, blank, ballots, issued.
    pub fn extras(&self) -> [&CountColumn; 6] {
        [
            &self.registered,
            &self.valid,
            &self.null,
            &self.blank,
            &self.ballots,
            &self.issued,
        ]
    }

    fn extras_mut(&mut self) -> [&mut CountColumn; 6] {
        [
            &mut self.registered,
            &mut self.valid,
            &mut self.null,
            &mut self.blank,
            &mut self.ballots,
            &mut self.issued,
        ]
    }

    /// The sum of option votes at sheet `i`.
    pub fn options_total(&self, i: usize) -> u64 {
        self.votes.iter().map(|v| u64::from(v[i])).sum()
    }

    /// Votes cast at sheet `i`: ballots if printed, else valid (or the sum of
    /// options) + null + blank.
    pub fn cast(&self, i: usize) -> u64 {
        if let Some(b) = &self.ballots {
            return u64::from(b[i]);
        }
        let valid = match &self.valid {
            Some(v) => u64::from(v[i]),
            None => self.options_total(i),
        };
        valid
            + self.null.as_ref().map_or(0, |n| u64::from(n[i]))
            + self.blank.as_ref().map_or(0, |b| u64::from(b[i]))
    }

    /// Ballots issued at sheet `i` where printed, else votes cast: the
    /// turnout numerator.
    pub fn turnout_numerator(&self, i: usize) -> u64 {
        match &self.issued {
            Some(v) => u64::from(v[i]),
            None => self.cast(i),
        }
    }

    /// Whether two sheets carry the same numbers.
    pub fn same_numbers(&self, a: usize, b: usize) -> bool {
        self.votes.iter().all(|v| v[a] == v[b])
            && self
                .extras()
                .iter()
                .all(|c| c.as_ref().is_none_or(|c| c[a] == c[b]))
    }

    /// Room for `n` more sheets whose station ids take about `id_bytes`
    /// bytes in all.
    pub fn reserve(&mut self, n: usize, id_bytes: usize) {
        self.station.reserve(n, id_bytes);
        for c in self.geo.iter_mut().chain(self.votes.iter_mut()) {
            c.reserve(n);
        }
        for c in self.extras_mut().into_iter().flatten() {
            c.reserve(n);
        }
        self.source.reserve(n);
    }

    /// Remove every sheet, keeping the columns' room.
    pub fn clear(&mut self) {
        self.truncate(0);
    }

    /// Keep the first `n` sheets.
    pub fn truncate(&mut self, n: usize) {
        self.station.truncate(n);
        for c in self.geo.iter_mut().chain(self.votes.iter_mut()) {
            c.truncate(n);
        }
        for c in self.extras_mut().into_iter().flatten() {
            c.truncate(n);
        }
        self.source.truncate(n);
    }

    /// Append all sheets of `other`, remapping its geography through `geo_map`
    /// (per level: other's unit index -> this set's unit index).
    pub fn append(&mut self, other: &Sheets, geo_map: &[Vec<u32>]) {
        self.station.extend_from(&other.station);
        for (l, col) in self.geo.iter_mut().enumerate() {
            col.extend(other.geo[l].iter().map(|&u| geo_map[l][u as usize]));
        }
        for (o, col) in self.votes.iter_mut().enumerate() {
            col.extend_from_slice(&other.votes[o]);
        }
        for (mine, theirs) in self.extras_mut().into_iter().zip(other.extras()) {
            if let (Some(m), Some(t)) = (mine.as_mut(), theirs.as_ref()) {
                m.extend_from_slice(t);
            }
        }
        self.source.extend_from_slice(&other.source);
    }

    /// Keep the sheets whose mask entry is true.
    pub fn retain_mask(&mut self, keep: &[bool]) {
        fn filt<T: Copy>(v: &mut Vec<T>, keep: &[bool]) {
            let mut i = 0;
            v.retain(|_| {
                let k = keep[i];
                i += 1;
                k
            });
        }
        self.station.retain_mask(keep);
        for g in &mut self.geo {
            filt(g, keep);
        }
        for v in &mut self.votes {
            filt(v, keep);
        }
        for c in self.extras_mut().into_iter().flatten() {
            filt(c, keep);
        }
        filt(&mut self.source, keep);
    }
}

/// One reason a sheet was quarantined or flagged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// The rule.
    pub rule: Rule,
    /// Its severity under the config.
    pub severity: Severity,
    /// What exactly is wrong, with the values involved.
    pub message: String,
}

/// A rejected sheet, kept whole with its reasons.
#[derive(Debug, Clone, Serialize)]
pub struct Quarantined {
    /// Where it came from.
    pub source: Provenance,
    /// The station id, when it could be built.
    pub station: Option<String>,
    /// Why it was rejected (errors first).
    pub reasons: Vec<Reason>,
    /// The original fields of the row, as read.
    pub record: Vec<String>,
    /// Long files: the sheet's further rows (one per option), as read, so
    /// that the quarantine file holds every row and reads back in.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub more: Vec<Vec<String>>,
}

/// A warning on an accepted sheet.
#[derive(Debug, Clone, Serialize)]
pub struct Flag {
    /// Index of the sheet in [`Dataset::sheets`].
    pub sheet: usize,
    /// The reason.
    pub reason: Reason,
}

/// A station listed in the input with every vote count empty: known to
/// exist, no sheet in hand.
#[derive(Debug, Clone, Serialize)]
pub struct MissingSheet {
    /// The station id.
    pub station: String,
    /// Per level: unit index.
    pub geo: Vec<u32>,
    /// Registered voters, when the row gives them.
    pub registered: Option<u32>,
    /// Where it came from.
    pub source: Provenance,
}

/// What a row states of its own origin besides its file and line: the
/// provenance fields of a JSON Lines row (`source`, `image`,
/// `image_sha256`, `qr_payload`, `received_at`, `submitted_by`), as
/// `tallyproof scan` and the web service write them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RowOrigin {
    /// `source`: import, scan, witness or official.
    pub kind: Option<SourceKind>,
    /// `image`: the image's file name.
    pub image: Option<String>,
    /// `image_sha256`.
    pub image_sha256: Option<String>,
    /// `qr_payload`.
    pub qr_payload: Option<String>,
    /// `received_at`.
    pub received_at: Option<String>,
    /// `submitted_by`.
    pub submitted_by: Option<String>,
}

impl RowOrigin {
    /// The JSON Lines keys that carry provenance rather than counts.
    pub const KEYS: [&'static str; 6] = [
        "source",
        "image",
        "image_sha256",
        "qr_payload",
        "received_at",
        "submitted_by",
    ];
}

/// Everything read from a set of input files.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Option keys, in config order.
    pub options: Vec<String>,
    /// Level keys, top down.
    pub levels: Vec<String>,
    /// The files read.
    pub files: Vec<SourceFile>,
    /// Per level: the units seen.
    pub units: Vec<Units>,
    /// Accepted sheets.
    pub sheets: Sheets,
    /// Warnings on accepted sheets.
    pub flags: Vec<Flag>,
    /// Rejected sheets, in input order.
    pub quarantine: Vec<Quarantined>,
    /// Stations listed without a sheet.
    pub missing: Vec<MissingSheet>,
    /// Provenance stated by rows themselves (JSON Lines), by (file, line).
    pub origins: BTreeMap<(u32, u64), RowOrigin>,
    /// Rows left out by the config's `[input] where` filter (rows of other
    /// contests), per file: counted, never validated, never silent.
    pub filtered: u64,
}

impl Dataset {
    /// The full origin of a row: its file's name and hash and its line
    /// (all three of the same file), and whatever the row states of itself
    /// (a scan's image hash and QR payload).
    pub fn origin(&self, p: &Provenance) -> Origin {
        let file = self.files.get(p.file as usize);
        let row = self.origins.get(&(p.file, p.line));
        let mut o = Origin::new(row.and_then(|r| r.kind).unwrap_or(SourceKind::Import));
        o.file = file.map(|f| f.name.clone());
        o.file_sha256 = file.map(|f| f.sha256.clone());
        o.line = Some(p.line);
        if let Some(r) = row {
            o.image_sha256 = r.image_sha256.clone();
            o.qr_payload = r.qr_payload.clone();
            o.received_at = r.received_at.clone();
            o.submitted_by = r.submitted_by.clone();
        }
        o
    }

    /// The counts of accepted sheet `i`.
    pub fn counts(&self, i: usize) -> Counts {
        let s = &self.sheets;
        let mut c = Counts {
            options: s.votes.iter().map(|v| u64::from(v[i])).collect(),
            ..Counts::default()
        };
        let e = s.extras().map(|col| col.as_ref().map(|v| u64::from(v[i])));
        c.set_extras(e);
        c
    }

    /// Accepted sheet `i` as a value, with its full origin.
    pub fn sheet(&self, i: usize) -> Sheet {
        Sheet {
            station: self.sheets.station.get(i).to_string(),
            contest: None,
            counts: self.counts(i),
            origin: self.origin(&self.sheets.source[i]),
        }
    }

    /// "file:line" for a provenance.
    pub fn locate(&self, p: &Provenance) -> String {
        let f = self
            .files
            .get(p.file as usize)
            .map_or("?", |f| f.path.as_str());
        format!("{f}:{}", p.line)
    }

    /// Rows read in all files.
    pub fn rows_read(&self) -> u64 {
        self.files.iter().map(|f| f.rows).sum()
    }

    /// Counts of quarantined sheets and of flags, by rule.
    pub fn summary(&self) -> ValidationSummary {
        let mut by_rule: std::collections::BTreeMap<Rule, RuleCount> = Default::default();
        for q in &self.quarantine {
            // A sheet counts once under each rule it breaks, however many
            // findings (a long file's station can break E011 on every row).
            let mut rules: Vec<(Rule, Severity)> =
                q.reasons.iter().map(|r| (r.rule, r.severity)).collect();
            rules.sort();
            rules.dedup_by_key(|r| r.0);
            for (rule, severity) in rules {
                let e = by_rule.entry(rule).or_insert(RuleCount {
                    rule,
                    severity,
                    sheets: 0,
                });
                e.sheets += 1;
            }
        }
        for f in &self.flags {
            let e = by_rule.entry(f.reason.rule).or_insert(RuleCount {
                rule: f.reason.rule,
                severity: f.reason.severity,
                sheets: 0,
            });
            e.sheets += 1;
        }
        ValidationSummary {
            rows_read: self.rows_read(),
            accepted: self.sheets.len() as u64,
            quarantined: self.quarantine.len() as u64,
            missing: self.missing.len() as u64,
            other_contests: self.filtered,
            merged: self
                .flags
                .iter()
                .filter(|f| f.reason.rule == Rule::DuplicateMerged)
                .count() as u64,
            by_rule: by_rule.into_values().collect(),
        }
    }
}

/// How many sheets each rule hit.
#[derive(Debug, Clone, Serialize)]
pub struct RuleCount {
    /// The rule.
    pub rule: Rule,
    /// Its severity under the config.
    pub severity: Severity,
    /// Sheets it hit.
    pub sheets: u64,
}

/// The validation summary of a [`Dataset`]. Every row read is accounted
/// for: `rows_read = accepted + quarantined + missing + merged`.
#[derive(Debug, Clone, Serialize)]
pub struct ValidationSummary {
    /// Data rows read.
    pub rows_read: u64,
    /// Sheets accepted.
    pub accepted: u64,
    /// Sheets quarantined.
    pub quarantined: u64,
    /// Stations listed without a sheet.
    pub missing: u64,
    /// Rows left out by `[input] where`: rows of other contests, not
    /// validated (not in `rows_read`).
    pub other_contests: u64,
    /// Identical copies merged into an accepted sheet.
    pub merged: u64,
    /// Per rule.
    pub by_rule: Vec<RuleCount>,
}
