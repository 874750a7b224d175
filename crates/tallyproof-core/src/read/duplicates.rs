//! Sheets of the same station: identical copies merge, disagreeing ones
//! are quarantined as a conflict; rows needed again are re-read by offset.

#[allow(unused_imports)]
use super::*;

/// Re-reads the original fields of rows by offset, from the decoded text
/// in memory or from the file, with one CSV reader per file (building a
/// reader costs more than reading a row).
pub(crate) struct Originals<'a> {
    pub(crate) texts: &'a [(Text, Header)],
    pub(crate) cfg: &'a Config,
    /// Per file: not opened yet, or its reader (none when it cannot be
    /// opened again).
    pub(crate) readers: Vec<Option<Option<RowReader<'a>>>>,
    pub(crate) rec: csv::ByteRecord,
    /// JSON Lines files on disk, opened to re-read lines.
    pub(crate) raw: Vec<Option<Box<dyn ReadSeek + 'a>>>,
}

pub(crate) type RowReader<'a> = csv::Reader<Box<dyn ReadSeek + 'a>>;

pub(crate) trait ReadSeek: Read + std::io::Seek {}
impl<T: Read + std::io::Seek> ReadSeek for T {}

impl<'a> Originals<'a> {
    pub(crate) fn new(texts: &'a [(Text, Header)], cfg: &'a Config) -> Self {
        Originals {
            texts,
            cfg,
            readers: texts.iter().map(|_| None).collect(),
            rec: csv::ByteRecord::new(),
            raw: texts.iter().map(|_| None).collect(),
        }
    }

    /// The fields of the row at `p`, checked to be station `station`'s;
    /// `None` when they cannot be re-read (a file changed or removed since
    /// it was read).
    pub(crate) fn get(&mut self, p: &Provenance, station: &str) -> Option<Vec<String>> {
        let i = p.file as usize;
        let (Some((text, header)), Some(slot)) = (self.texts.get(i), self.readers.get_mut(i))
        else {
            return None;
        };
        let cfg = self.cfg;
        let from = match text {
            Text::Memory(t) => p.offset.min(t.len() as u64),
            Text::File { skip, .. } => p.offset + skip,
        };
        if let Some(keys) = &header.json {
            match text {
                Text::Memory(t) => {
                    reread_json(keys, header.names.len(), t, from as usize, &mut self.rec)?
                }
                Text::File { path, gzip, .. } => {
                    let raw = self.raw.get_mut(i)?;
                    if raw.is_none() {
                        *raw = Some(if *gzip {
                            Box::new(stream::GzText::new(path)) as Box<dyn ReadSeek + 'a>
                        } else {
                            Box::new(std::fs::File::open(path).ok()?)
                        });
                    }
                    let r = raw.as_mut()?;
                    r.seek(std::io::SeekFrom::Start(from)).ok()?;
                    let mut line = Vec::new();
                    std::io::BufRead::read_until(&mut std::io::BufReader::new(r), b'\n', &mut line)
                        .ok()?;
                    reread_json(keys, header.names.len(), &line, 0, &mut self.rec)?
                }
            }
            let mut id = String::new();
            build_id(&header.cols.id, &self.rec, &cfg.station.separator, &mut id);
            return (id == station).then(|| record_strings(&self.rec));
        }
        let rdr = slot.get_or_insert_with(|| {
            let r: Box<dyn ReadSeek + 'a> = match text {
                Text::Memory(t) => Box::new(std::io::Cursor::new(t.as_slice())),
                Text::File {
                    path, gzip: true, ..
                } => Box::new(stream::GzText::new(path)),
                Text::File { path, .. } => Box::new(std::fs::File::open(path).ok()?),
            };
            Some(csv_builder(cfg).from_reader(r))
        });
        let rdr = rdr.as_mut()?;
        rdr.seek_raw(std::io::SeekFrom::Start(from), csv::Position::new())
            .ok()?;
        if !rdr.read_byte_record(&mut self.rec).ok()? {
            return None;
        }
        let mut id = String::new();
        build_id(&header.cols.id, &self.rec, &cfg.station.separator, &mut id);
        (id == station).then(|| record_strings(&self.rec))
    }

    /// [`Originals::get`], as the record of a quarantine entry and a note
    /// for its reason when the fields could not be re-read.
    pub(crate) fn record(&mut self, p: &Provenance, station: &str) -> (Vec<String>, &'static str) {
        match self.get(p, station) {
            Some(r) => (r, ""),
            None => (
                Vec::new(),
                "; its original fields could not be re-read (the file changed or went away after it was read)",
            ),
        }
    }
}

/// The sheets of every station that appears more than once: each group in
/// input order, groups ordered by their first sheet.
///
/// Station ids are hashed in parallel and the (hash, index) pairs sorted, so
/// that only ids with equal hashes are compared; a million sheets need 16 MB
/// and no hash table.
pub(crate) fn duplicate_groups(stations: &crate::model::StrColumn) -> Vec<Vec<usize>> {
    // Files sorted by station id (the usual export) have no duplicates if
    // every id is greater than the one before: one pass, no sort.
    let ascending = (1..stations.len())
        .into_par_iter()
        .with_min_len(1 << 14)
        .all(|i| stations.get(i - 1) < stations.get(i));
    if ascending {
        return Vec::new();
    }
    let mut keys: Vec<(u64, usize)> = (0..stations.len())
        .into_par_iter()
        .map(|i| (hash_id(stations.get(i).as_bytes()), i))
        .collect();
    keys.par_sort_unstable();
    let mut groups = Vec::new();
    for run in keys.chunk_by(|a, b| a.0 == b.0) {
        if run.len() < 2 {
            continue;
        }
        // Equal hashes: split by the ids themselves, keeping index order.
        let mut rest: Vec<usize> = run.iter().map(|&(_, i)| i).collect();
        while rest.len() >= 2 {
            let id = stations.get(rest[0]);
            let (same, other): (Vec<usize>, Vec<usize>) =
                rest.iter().partition(|&&j| stations.get(j) == id);
            if same.len() >= 2 {
                groups.push(same);
            }
            rest = other;
        }
    }
    groups.sort_unstable();
    groups
}

/// A fast non-cryptographic hash of a station id (FxHash's multiply-rotate
/// over 8-byte words, with the length mixed in).
pub(crate) fn hash_id(b: &[u8]) -> u64 {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut h = (b.len() as u64).wrapping_mul(K);
    let mut words = b.chunks_exact(8);
    for w in &mut words {
        let mut a = [0u8; 8];
        a.copy_from_slice(w);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(a)).wrapping_mul(K);
    }
    let mut a = [0u8; 8];
    a[..words.remainder().len()].copy_from_slice(words.remainder());
    h = (h.rotate_left(5) ^ u64::from_le_bytes(a)).wrapping_mul(K);
    // Final avalanche (from SplitMix64) so that the sort spreads evenly.
    h ^= h >> 31;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^ (h >> 29)
}

/// Same station twice: identical copies merge into the first (flagged);
/// copies that disagree all go to the quarantine as a conflict, none counted.
pub(crate) fn resolve_duplicates(cfg: &Config, ds: &mut Dataset, buffers: &[(Text, Header)]) {
    let n = ds.sheets.len();
    let groups = duplicate_groups(&ds.sheets.station);
    if groups.is_empty() {
        return;
    }
    let sev = severities(cfg);
    let mut originals = Originals::new(buffers, cfg);
    let mut keep = vec![true; n];
    let mut new_flags = Vec::new();
    let mut new_q = Vec::new();
    for g in groups {
        let all_same = g.iter().all(|&i| ds.sheets.same_numbers(g[0], i));
        if all_same {
            for &i in &g[1..] {
                keep[i] = false;
                new_flags.push((
                    g[0],
                    sev.reason(
                        Rule::DuplicateMerged,
                        format!(
                            "identical copy at {} merged into this sheet",
                            ds.locate(&ds.sheets.source[i])
                        ),
                    ),
                ));
            }
        } else {
            for &i in &g {
                keep[i] = false;
                let others: Vec<String> = g
                    .iter()
                    .filter(|&&j| j != i)
                    .map(|&j| ds.locate(&ds.sheets.source[j]))
                    .collect();
                new_q.push(Quarantined {
                    source: ds.sheets.source[i],
                    station: Some(ds.sheets.station.get(i).to_string()),
                    reasons: vec![Reason {
                        rule: Rule::Conflict,
                        severity: Severity::Error,
                        message: format!(
                            "station appears {} times with different numbers; other copies at {}",
                            g.len(),
                            others.join(", ")
                        ),
                    }],
                    record: Vec::new(),
                    more: Vec::new(),
                });
            }
        }
    }
    // The original fields, re-read in file order (a gzip text is read
    // forward once).
    let mut order: Vec<usize> = (0..new_q.len()).collect();
    order.sort_by_key(|&k| (new_q[k].source.file, new_q[k].source.offset));
    for k in order {
        let q = &mut new_q[k];
        let (record, note) = originals.record(&q.source, q.station.as_deref().unwrap_or(""));
        q.record = record;
        q.reasons[0].message.push_str(note);
    }
    remove_sheets(ds, &keep);
    // Flags on the kept sheets point at their new indices.
    let new_index = reindex(&keep);
    for (i, r) in new_flags {
        if let Some(j) = new_index[i] {
            ds.flags.push(Flag {
                sheet: j,
                reason: r,
            });
        }
    }
    ds.quarantine.extend(new_q);
}

pub(crate) fn reindex(keep: &[bool]) -> Vec<Option<usize>> {
    let mut next = 0;
    keep.iter()
        .map(|&k| {
            if k {
                next += 1;
                Some(next - 1)
            } else {
                None
            }
        })
        .collect()
}

/// Remove sheets (keep[i] == false) and the flags on them.
pub(crate) fn remove_sheets(ds: &mut Dataset, keep: &[bool]) {
    let idx = reindex(keep);
    ds.flags.retain_mut(|f| match idx[f.sheet] {
        Some(j) => {
            f.sheet = j;
            true
        }
        None => false,
    });
    ds.sheets.retain_mask(keep);
}
