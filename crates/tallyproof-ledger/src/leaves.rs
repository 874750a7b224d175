//! Leaf records from the sheets of `tallyproof-core`: one sheet
//! ([`LeafRecord::from_sheet`]), or every sheet of a [`Dataset`], accepted and
//! quarantined, in input order ([`leaves_from_dataset`]), as `tallyproof log
//! append` logs them.
//!
//! A leaf records the input file by its name and the SHA-256 of its bytes,
//! never by the path as typed (issue 11: an operator's absolute path names
//! a user and folders, and the log is public).

use tallyproof_core::Dataset;
use tallyproof_core::sheet::{Origin, Sheet, Verdict};

use crate::record::{LeafRecord, Provenance, Status, file_name_of};

impl Status {
    /// The status a validation verdict gives a leaf: accepted (flags are not
    /// logged), or quarantined with every reason's rule code, in order.
    pub fn of(verdict: &Verdict) -> Status {
        match verdict {
            Verdict::Accepted { .. } => Status::Accepted,
            Verdict::Rejected { reasons } => {
                Status::Quarantined(reasons.iter().map(|r| r.rule.code().to_string()).collect())
            }
        }
    }
}

impl From<&Origin> for Provenance {
    /// The same fields; `file` cut to its last path component, in case a
    /// caller put a path there.
    fn from(o: &Origin) -> Provenance {
        Provenance {
            kind: o.kind,
            file: o.file.as_deref().map(|f| file_name_of(f).to_string()),
            file_sha256: o.file_sha256.clone(),
            line: o.line,
            image_sha256: o.image_sha256.clone(),
            qr_payload: o.qr_payload.clone(),
            received: o.received_at.clone(),
            submitted_by: o.submitted_by.clone(),
        }
    }
}

impl LeafRecord {
    /// The leaf of one sheet: its station, contest (empty when the sheet
    /// names none), every count, `status`, and its origin as provenance.
    /// `options` are the option keys in the order of `sheet.counts.options`
    /// (the config's order); a count without a key is named `#<position>`.
    ///
    /// ```
    /// use tallyproof_core::sheet::{Counts, Origin, Sheet, SourceKind};
    /// use tallyproof_ledger::{LeafRecord, Status};
    /// let mut counts = Counts::new(2);
    /// counts.options = vec![120, 80];
    /// let mut origin = Origin::new(SourceKind::Witness);
    /// origin.submitted_by = Some("witness-17".into());
    /// let sheet = Sheet::new("010101001", counts, origin);
    /// let leaf = LeafRecord::from_sheet(&sheet, &["A".into(), "B".into()], Status::Accepted);
    /// assert_eq!(leaf.counts, vec![("A".to_string(), 120), ("B".to_string(), 80)]);
    /// assert_eq!(leaf.provenance.submitted_by.as_deref(), Some("witness-17"));
    /// ```
    pub fn from_sheet(sheet: &Sheet, options: &[String], status: Status) -> LeafRecord {
        let c = &sheet.counts;
        LeafRecord {
            station: sheet.station.clone(),
            contest: sheet.contest.clone().unwrap_or_default(),
            counts: c
                .options
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let key = options.get(i).cloned().unwrap_or_else(|| format!("#{i}"));
                    (key, v)
                })
                .collect(),
            null: c.null,
            blank: c.blank,
            ballots: c.ballots,
            registered: c.registered,
            valid: c.valid,
            issued: c.issued,
            status,
            provenance: Provenance::from(&sheet.origin),
            supersedes: None,
        }
    }
}

/// One leaf per sheet of `ds`, accepted and quarantined alike, in input
/// order (file, then line), with the origin the reader recorded
/// ([`Dataset::sheet`], [`Dataset::origin`]). `contest` is used for sheets
/// that name none; `received` for sheets whose origin has no time of
/// receipt. The leaf's `file` is always the name of the input file that
/// `file-sha256` and `line` refer to (for a scanned sheet too: its image is
/// identified by `image-sha256`). A quarantined sheet carries its rule codes
/// and no counts (its fields may not parse); one without a station id is
/// logged as `(no id: <file name>:<line>)`.
pub fn leaves_from_dataset(ds: &Dataset, contest: &str, received: Option<&str>) -> Vec<LeafRecord> {
    let file_name = |f: u32| ds.files.get(f as usize).map(|f| f.name.clone());
    let mut out: Vec<((u32, u64), LeafRecord)> =
        Vec::with_capacity(ds.sheets.len() + ds.quarantine.len());
    for i in 0..ds.sheets.len() {
        let mut sheet = ds.sheet(i);
        let src = ds.sheets.source[i];
        sheet.origin.file = file_name(src.file);
        out.push((
            (src.file, src.line),
            LeafRecord::from_sheet(&sheet, &ds.options, Status::Accepted),
        ));
    }
    for q in &ds.quarantine {
        let mut origin = ds.origin(&q.source);
        origin.file = file_name(q.source.file);
        let station = q
            .station
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| {
                format!(
                    "(no id: {}:{})",
                    origin.file.as_deref().unwrap_or("?"),
                    q.source.line
                )
            });
        let mut r = LeafRecord::new(&station, "", origin.kind);
        r.status = Status::Quarantined(
            q.reasons
                .iter()
                .map(|x| x.rule.code().to_string())
                .collect(),
        );
        r.provenance = Provenance::from(&origin);
        out.push(((q.source.file, q.source.line), r));
    }
    out.sort_by_key(|(k, _)| *k);
    out.into_iter()
        .map(|(_, mut r)| {
            if r.contest.is_empty() {
                r.contest = contest.to_string();
            }
            if r.provenance.received.is_none() {
                r.provenance.received = received.map(str::to_string);
            }
            r
        })
        .collect()
}
