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

use crate::error::Result;
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
/// order (file, then line). `contest` is used for sheets that name none;
/// `received` for sheets whose origin has no time of receipt. A quarantined
/// sheet carries its rule codes and no counts (its fields may not parse); one
/// without a station id is logged as `(no id: <file name>:<line>)`.
pub fn leaves_from_dataset(
    ds: &Dataset,
    contest: &str,
    received: Option<&str>,
) -> Result<Vec<LeafRecord>> {
    let origins = adapter::Origins::new(ds)?;
    let mut out: Vec<((u32, u64), LeafRecord)> =
        Vec::with_capacity(ds.sheets.len() + ds.quarantine.len());
    for i in 0..ds.sheets.len() {
        let sheet = origins.sheet(ds, i);
        let src = ds.sheets.source[i];
        out.push((
            (src.file, src.line),
            LeafRecord::from_sheet(&sheet, &ds.options, Status::Accepted),
        ));
    }
    for q in &ds.quarantine {
        let origin = origins.origin(q.source.file, q.source.line);
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
    Ok(out
        .into_iter()
        .map(|(_, mut r)| {
            if r.contest.is_empty() {
                r.contest = contest.to_string();
            }
            if r.provenance.received.is_none() {
                r.provenance.received = received.map(str::to_string);
            }
            r
        })
        .collect())
}

/// What the core reader does not carry yet: a sheet of the columnar store
/// as a [`Sheet`], each file's name and SHA-256, and the scan provenance
/// that `tallyproof scan` writes into its JSON Lines.
mod adapter {
    use std::collections::HashMap;
    use std::io::Read;

    use sha2::{Digest, Sha256};
    use tallyproof_core::Dataset;
    use tallyproof_core::sheet::{Counts, Origin, Sheet, SourceKind};

    use crate::error::{Result, io};
    use crate::record::file_name_of;

    #[derive(Default, Clone)]
    struct Extra {
        kind: Option<SourceKind>,
        image_sha256: Option<String>,
        qr_payload: Option<String>,
    }

    struct File {
        name: String,
        sha256: String,
        extras: HashMap<u64, Extra>,
    }

    pub(super) struct Origins(Vec<File>);

    impl Origins {
        pub(super) fn new(ds: &Dataset) -> Result<Origins> {
            let mut files = Vec::new();
            for f in &ds.files {
                let lower = f.path.to_ascii_lowercase();
                let jsonl = lower.ends_with(".jsonl") || lower.ends_with(".ndjson");
                files.push(File {
                    name: file_name_of(&f.path).to_string(),
                    sha256: sha256_of(&f.path)?,
                    extras: if jsonl {
                        jsonl_extras(&std::fs::read(&f.path).map_err(io(&f.path))?)
                    } else {
                        HashMap::new()
                    },
                });
            }
            Ok(Origins(files))
        }

        pub(super) fn origin(&self, file: u32, line: u64) -> Origin {
            let f = self.0.get(file as usize);
            let x = f
                .and_then(|f| f.extras.get(&line))
                .cloned()
                .unwrap_or_default();
            let mut o = Origin::new(x.kind.unwrap_or(SourceKind::Import));
            o.file = f.map(|f| f.name.clone());
            o.file_sha256 = f.map(|f| f.sha256.clone());
            o.line = Some(line);
            o.image_sha256 = x.image_sha256;
            o.qr_payload = x.qr_payload;
            o
        }

        pub(super) fn sheet(&self, ds: &Dataset, i: usize) -> Sheet {
            let s = &ds.sheets;
            let col = |c: &Option<Vec<u32>>| c.as_ref().map(|v| u64::from(v[i]));
            let mut counts = Counts::new(0);
            counts.options = s.votes.iter().map(|v| u64::from(v[i])).collect();
            counts.registered = col(&s.registered);
            counts.valid = col(&s.valid);
            counts.null = col(&s.null);
            counts.blank = col(&s.blank);
            counts.ballots = col(&s.ballots);
            counts.issued = col(&s.issued);
            let src = s.source[i];
            Sheet::new(s.station.get(i), counts, self.origin(src.file, src.line))
        }
    }

    /// SHA-256 of a file's bytes as stored, read in blocks.
    fn sha256_of(path: &str) -> Result<String> {
        let mut f = std::fs::File::open(path).map_err(io(path))?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf).map_err(io(path))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        Ok(hex::encode(h.finalize()))
    }

    fn jsonl_extras(text: &[u8]) -> HashMap<u64, Extra> {
        let mut out = HashMap::new();
        for (n, line) in text.split(|&b| b == b'\n').enumerate() {
            let Ok(obj) = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(
                line.trim_ascii(),
            ) else {
                continue;
            };
            let get = |k: &str| obj.get(k).and_then(|v| v.as_str()).map(str::to_string);
            out.insert(
                n as u64 + 1,
                Extra {
                    kind: get("source").and_then(|s| SourceKind::parse(&s)),
                    image_sha256: get("image_sha256"),
                    qr_payload: get("qr_payload"),
                },
            );
        }
        out
    }
}
