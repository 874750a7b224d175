//! The station registry: every station that exists, with or without a sheet.
//! It is the denominator of coverage. Two kinds, described in the config's
//! `[registry]` section:
//!
//! - `stations`: a row per station (id, geography, registered voters);
//! - `units`: a row per geographic unit with its number of stations (and
//!   registered voters when known), for when only aggregate counts are
//!   published, as for Venezuela 2024.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::OnceLock;

use crate::config::{Columns1, Config, IdPart, RegistryKind};
use crate::error::{Error, suggest};

/// Stations and registered voters known per unit.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// Stations in the unit.
    pub stations: u64,
    /// Registered voters in the unit, when the registry gives them.
    pub registered: Option<u64>,
}

/// One station of a `stations` registry.
#[derive(Debug, Clone)]
pub struct RegistryStation {
    /// The station id, built as the config builds it.
    pub id: String,
    /// Per level of the config: the unit code, when the registry gives it.
    pub units: Vec<Option<String>>,
    /// Registered voters, when given.
    pub registered: Option<u64>,
}

/// A loaded registry.
///
/// The stations of a `stations` registry are held compactly (a million
/// stations take about 50 MB): their ids in one buffer with a hash index,
/// each station's unit per level as a number.
/// [`Registry::stations`] builds the per-station values on first use.
#[derive(Debug, Clone)]
pub struct Registry {
    /// The file it was read from.
    pub path: String,
    kind: RegistryKind,
    index: StationIndex,
    /// Per level of the config: per station, its unit's number in
    /// `unit_codes` (empty for a level the registry does not describe).
    station_units: Vec<Vec<u32>>,
    /// Per level: the codes of the units numbered in `station_units`.
    unit_codes: Vec<Vec<String>>,
    /// Per station: registered voters, or `NO_COUNT`.
    station_registered: Vec<u64>,
    entries: OnceLock<Vec<RegistryStation>>,
    /// Per level index: unit code -> known counts. `None` for a level the
    /// registry does not describe.
    per_level: Vec<Option<BTreeMap<String, Known>>>,
    national: Known,
}

impl Registry {
    /// Read a registry file as the config's `[registry]` section describes.
    pub fn from_path(cfg: &Config, path: &Path) -> Result<Registry, Error> {
        let name = path.display().to_string();
        let spec = cfg.registry.as_ref().ok_or_else(|| Error::Config {
            file: None,
            line: None,
            message: "--registry needs a [registry] section in the config that says how to read it"
                .into(),
        })?;
        let input_err = |message: String| Error::Input {
            file: name.clone(),
            message,
        };
        let io = |e| Error::Io {
            path: name.clone(),
            source: e,
        };
        // Streamed from the file (never held whole), past a UTF-8 BOM.
        let mut file = BufReader::with_capacity(1 << 16, std::fs::File::open(path).map_err(io)?);
        let first = file.fill_buf().map_err(io)?;
        // Room for every station, estimated from the first lines' length:
        // growing the index would re-read every id placed so far.
        let lines = memchr::memchr_iter(b'\n', first).count().max(1);
        let per_line = (first.len() / lines).max(1);
        let size = std::fs::metadata(path).map_or(0, |m| m.len()) as usize;
        let estimate = (size / per_line).saturating_add(size / per_line / 16 + 16);
        if first.starts_with(b"\xEF\xBB\xBF") {
            file.consume(3);
        }
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(spec.delimiter.as_bytes().first().copied().unwrap_or(b','))
            .flexible(true)
            .buffer_capacity(1 << 16)
            .from_reader(file);
        let header: Vec<String> = rdr
            .byte_headers()
            .map_err(|e| input_err(format!("cannot read the header: {e}")))?
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_string())
            .collect();
        let find = |col: &str| -> Result<usize, Error> {
            header.iter().position(|h| h == col).ok_or_else(|| {
                input_err(format!(
                    "no column {col:?}{}",
                    suggest(col, header.iter().map(String::as_str))
                ))
            })
        };
        let parts = |c: &Columns1| -> Result<Vec<(usize, IdPart)>, Error> {
            c.parts()
                .iter()
                .map(|p| Ok((find(p.column())?, p.clone())))
                .collect()
        };
        let filter: Vec<(usize, String)> = spec
            .filter
            .iter()
            .map(|(c, v)| Ok((find(c)?, v.clone())))
            .collect::<Result<_, Error>>()?;
        let reg_col = spec.registered.as_deref().map(find).transpose()?;
        let mut out = Registry {
            path: name.clone(),
            kind: spec.kind,
            index: StationIndex::default(),
            station_units: Vec::new(),
            unit_codes: Vec::new(),
            station_registered: Vec::new(),
            entries: OnceLock::new(),
            per_level: vec![None; cfg.levels.len()],
            national: Known::default(),
        };
        let mut national_registered = Some(0u64);
        let mut rec = csv::ByteRecord::new();
        let mut buf = String::new();
        let num = |rec: &csv::ByteRecord, i: usize, line: u64| -> Result<u64, Error> {
            let f = rec.get(i).unwrap_or(b"").trim_ascii();
            std::str::from_utf8(f)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(|| {
                    input_err(format!(
                        "line {line}: column {:?} is {:?}, not a whole number",
                        header[i],
                        String::from_utf8_lossy(f)
                    ))
                })
        };
        fn text(rec: &csv::ByteRecord, i: usize) -> std::borrow::Cow<'_, str> {
            String::from_utf8_lossy(rec.get(i).unwrap_or(b""))
        }
        let render =
            |ps: &[(usize, IdPart)], rec: &csv::ByteRecord, sep: &str, out: &mut String| {
                out.clear();
                for (k, (i, p)) in ps.iter().enumerate() {
                    if k > 0 {
                        out.push_str(sep);
                    }
                    p.render(&text(rec, *i), out);
                }
            };
        match spec.kind {
            RegistryKind::Units => {
                let level_key = spec.level.as_deref().unwrap_or_default();
                let level = cfg.level_index(level_key)?;
                let code = parts(spec.code.as_ref().ok_or_else(|| {
                    input_err("[registry] code is required for kind = \"units\"".into())
                })?)?;
                let st_col = find(spec.stations.as_deref().unwrap_or_default())?;
                let mut map = BTreeMap::new();
                while rdr
                    .read_byte_record(&mut rec)
                    .map_err(|e| input_err(e.to_string()))?
                {
                    let line = rec.position().map_or(0, |p| p.line());
                    if !filter.iter().all(|(i, v)| text(&rec, *i).trim() == v) {
                        continue;
                    }
                    render(&code, &rec, "/", &mut buf);
                    let stations = num(&rec, st_col, line)?;
                    let registered = reg_col.map(|i| num(&rec, i, line)).transpose()?;
                    out.national.stations += stations;
                    national_registered = match (national_registered, registered) {
                        (Some(a), Some(b)) => Some(a + b),
                        _ => None,
                    };
                    if map
                        .insert(
                            buf.clone(),
                            Known {
                                stations,
                                registered,
                            },
                        )
                        .is_some()
                    {
                        return Err(input_err(format!(
                            "line {line}: unit {buf:?} appears twice"
                        )));
                    }
                }
                out.per_level[level] = Some(map);
            }
            RegistryKind::Stations => {
                let id = match &spec.code {
                    Some(c) => parts(c)?,
                    None => cfg
                        .station
                        .id
                        .iter()
                        .map(|p| Ok((find(p.column())?, p.clone())))
                        .collect::<Result<_, Error>>()?,
                };
                let mut levels = Vec::new();
                for (l, lv) in cfg.levels.iter().enumerate() {
                    let c = spec.levels.get(&lv.key).unwrap_or(&lv.code);
                    // A level whose columns the registry lacks is left undescribed.
                    if let Ok(p) = parts(c) {
                        levels.push((l, p));
                    }
                }
                // Per described level: unit code -> number, the codes and
                // counts by number, and the last code seen (files are
                // usually sorted by geography).
                struct Level {
                    at: usize,
                    parts: Vec<(usize, IdPart)>,
                    number: HashMap<String, u32, BuildHasherDefault<IdHasher>>,
                    known: Vec<Known>,
                    last: Option<u32>,
                }
                let mut levels: Vec<Level> = levels
                    .into_iter()
                    .map(|(at, parts)| Level {
                        at,
                        parts,
                        number: HashMap::default(),
                        known: Vec::new(),
                        last: None,
                    })
                    .collect();
                // Ids take about a third of a line (a guess: only a
                // reservation).
                out.index.reserve(estimate, size / 3);
                out.station_units = vec![Vec::new(); cfg.levels.len()];
                for lv in &levels {
                    out.station_units[lv.at].reserve(estimate);
                }
                out.station_registered.reserve(estimate);
                // Per station: its line, to name a station listed twice.
                let mut lines: Vec<u64> = Vec::with_capacity(estimate);
                out.unit_codes = vec![Vec::new(); cfg.levels.len()];
                let mut code = String::new();
                while rdr
                    .read_byte_record(&mut rec)
                    .map_err(|e| input_err(e.to_string()))?
                {
                    let line = rec.position().map_or(0, |p| p.line());
                    if !filter.iter().all(|(i, v)| text(&rec, *i).trim() == v) {
                        continue;
                    }
                    render(&id, &rec, &cfg.station.separator, &mut buf);
                    out.index.push(&buf);
                    lines.push(line);
                    let registered = reg_col.map(|i| num(&rec, i, line)).transpose()?;
                    out.national.stations += 1;
                    national_registered = match (national_registered, registered) {
                        (Some(a), Some(b)) => Some(a + b),
                        _ => None,
                    };
                    out.station_registered.push(registered.unwrap_or(NO_COUNT));
                    for lv in &mut levels {
                        render(&lv.parts, &rec, "/", &mut code);
                        let codes = &mut out.unit_codes[lv.at];
                        let u = match lv.last {
                            Some(u) if codes[u as usize] == code => u,
                            _ => match lv.number.get(code.as_str()) {
                                Some(&u) => u,
                                None => {
                                    let u = codes.len() as u32;
                                    codes.push(code.clone());
                                    lv.number.insert(code.clone(), u);
                                    lv.known.push(Known {
                                        stations: 0,
                                        registered: Some(0),
                                    });
                                    u
                                }
                            },
                        };
                        lv.last = Some(u);
                        out.station_units[lv.at].push(u);
                        let e = &mut lv.known[u as usize];
                        e.stations += 1;
                        e.registered = match (e.registered, registered) {
                            (Some(a), Some(b)) => Some(a + b),
                            _ => None,
                        };
                    }
                }
                if let Some((_, second)) = out.index.build() {
                    return Err(input_err(format!(
                        "line {}: station {:?} appears twice",
                        lines[second],
                        out.index.get(second)
                    )));
                }
                drop(lines);
                for lv in levels {
                    let map: BTreeMap<String, Known> = out.unit_codes[lv.at]
                        .iter()
                        .cloned()
                        .zip(lv.known)
                        .collect();
                    out.per_level[lv.at] = Some(map);
                }
            }
        }
        out.national.registered = if reg_col.is_some() {
            national_registered
        } else {
            None
        };
        Ok(out)
    }

    /// Whether the registry lists individual stations.
    pub fn knows_stations(&self) -> bool {
        self.kind == RegistryKind::Stations
    }

    /// Whether a station is listed (always false for a units registry).
    pub fn has_station(&self, id: &str) -> bool {
        self.index.find(id).is_some()
    }

    /// The number of station `id` in the registry's order, looked at
    /// `hint` first: sheets in the registry's order are found without
    /// hashing (the next sheet's station is the next station).
    pub(crate) fn station_position(&self, id: &str, hint: usize) -> Option<usize> {
        if hint < self.index.len() && self.index.get(hint) == id {
            return Some(hint);
        }
        self.index.find(id)
    }

    /// How many stations a `stations` registry lists (0 for a `units` one).
    pub fn station_count(&self) -> usize {
        self.index.len()
    }

    /// The stations of a `stations` registry (empty for a `units` one), in
    /// the registry's order. Built on first call from the compact storage:
    /// code that only needs ids and units can use [`Registry::has_station`]
    /// and [`Registry::station_count`] instead.
    pub fn stations(&self) -> &[RegistryStation] {
        self.entries.get_or_init(|| {
            (0..self.index.len())
                .map(|i| RegistryStation {
                    id: self.index.get(i).to_string(),
                    units: self
                        .station_units
                        .iter()
                        .zip(&self.unit_codes)
                        .map(|(units, codes)| units.get(i).map(|&u| codes[u as usize].clone()))
                        .collect(),
                    registered: self
                        .station_registered
                        .get(i)
                        .copied()
                        .filter(|&r| r != NO_COUNT),
                })
                .collect()
        })
    }

    /// Known counts nationally.
    pub fn national(&self) -> &Known {
        &self.national
    }

    /// Known counts for the units of a level, if the registry describes it.
    pub fn level(&self, level: usize) -> Option<&BTreeMap<String, Known>> {
        self.per_level.get(level).and_then(Option::as_ref)
    }
}

/// No count of registered voters.
const NO_COUNT: u64 = u64::MAX;

/// Station ids in one buffer, found through their hashes sorted into
/// buckets (a hash table built by sorting, so that building it reads and
/// writes memory in order: a million random inserts into a table cost a
/// cache miss each, a third of the time of a registry read). A million ids
/// take their bytes plus about 30 MB.
#[derive(Debug, Clone, Default)]
struct StationIndex {
    data: String,
    /// Per id: where it ends in `data`.
    ends: Vec<usize>,
    /// Per id, while ids are added: its hash.
    hashes: Vec<u64>,
    /// Once built: entries (the hash's high 32 bits, then the id's number)
    /// in the order of their hashes.
    sorted: Vec<u64>,
    /// Bucket `b` (the hash's top `bits` bits) is `sorted[starts[b]..starts[b + 1]]`.
    starts: Vec<u32>,
    bits: u32,
}

impl StationIndex {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.data[start..self.ends[i]]
    }

    /// Room for `n` ids of about `bytes` bytes in all.
    fn reserve(&mut self, n: usize, bytes: usize) {
        self.data.reserve(bytes);
        self.ends.reserve(n);
        self.hashes.reserve(n);
    }

    /// Add an id (found only once [`StationIndex::build`] has run).
    fn push(&mut self, id: &str) {
        self.hashes.push(hash_id(id.as_bytes()));
        self.data.push_str(id);
        self.ends.push(self.data.len());
    }

    /// Sort the hashes into buckets; the numbers of the first two ids that
    /// are equal, if any.
    fn build(&mut self) -> Option<(usize, usize)> {
        use rayon::slice::ParallelSliceMut;
        let n = self.len();
        let mut pairs: Vec<(u64, u32)> = std::mem::take(&mut self.hashes)
            .into_iter()
            .enumerate()
            .map(|(i, h)| (h, i as u32))
            .collect();
        pairs.par_sort_unstable();
        // About four ids a bucket.
        self.bits = (n / 4).max(1).next_power_of_two().trailing_zeros().max(1);
        let buckets = 1usize << self.bits;
        self.starts = vec![0; buckets + 1];
        let mut dup = None;
        let mut b = 0;
        for (k, &(h, i)) in pairs.iter().enumerate() {
            let bucket = (h >> (64 - self.bits)) as usize;
            while b < bucket {
                b += 1;
                self.starts[b] = k as u32;
            }
            if dup.is_none() && k > 0 {
                let (h0, i0) = pairs[k - 1];
                if h0 == h && self.get(i0 as usize) == self.get(i as usize) {
                    dup = Some((i0.min(i) as usize, i0.max(i) as usize));
                }
            }
        }
        while b < buckets {
            b += 1;
            self.starts[b] = n as u32;
        }
        self.sorted = pairs
            .into_iter()
            .map(|(h, i)| (h >> 32 << 32) | u64::from(i))
            .collect();
        dup
    }

    fn find(&self, id: &str) -> Option<usize> {
        if self.sorted.is_empty() {
            return None;
        }
        let h = hash_id(id.as_bytes());
        let b = (h >> (64 - self.bits)) as usize;
        let (from, to) = (self.starts[b] as usize, self.starts[b + 1] as usize);
        self.sorted[from..to]
            .iter()
            .filter(|&&v| v >> 32 == h >> 32)
            .map(|&v| (v & 0xffff_ffff) as usize)
            .find(|&i| self.get(i) == id)
    }
}

use crate::read::hash_id;

/// [`hash_id`] as a `Hasher`, for the unit codes' map.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = (self.0.rotate_left(5) ^ hash_id(bytes)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_finds_every_id_and_no_other() {
        for n in [1, 3, 5000] {
            let mut ix = StationIndex::default();
            for i in 0..n {
                ix.push(&format!("S{i:05}"));
            }
            assert_eq!(ix.build(), None);
            assert_eq!(ix.len(), n);
            for i in 0..n {
                assert_eq!(ix.find(&format!("S{i:05}")), Some(i));
            }
            for miss in ["S5000", "S0004", "", "S000420"] {
                assert_eq!(ix.find(miss), None, "{miss}");
            }
        }
        let mut ix = StationIndex::default();
        for id in ["a", "b", "c", "b", "a"] {
            ix.push(id);
        }
        let dup = ix.build().unwrap();
        assert!(dup == (1, 3) || dup == (0, 4), "{dup:?}");
        assert!(StationIndex::default().find("S1").is_none());
    }

    fn config() -> Config {
        Config::from_toml(
            r#"
            [election]
            name = "t"
            [station]
            id = ["station"]
            [[levels]]
            key = "region"
            code = "region"
            [[levels]]
            key = "district"
            code = ["region", "district"]
            [[levels]]
            key = "ward"
            code = "ward"
            [[options]]
            key = "A"
            [registry]
            kind = "stations"
            registered = "registered"
            where = { status = "open" }
            "#,
        )
        .unwrap()
    }

    #[test]
    fn a_stations_registry_counts_per_unit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        // A BOM; S4 is closed (filtered out); the ward column is absent,
        // so that level is not described.
        std::fs::write(
            &p,
            "\u{feff}station,region,district,registered,status\n\
             S1,1,1,100,open\nS2,1,1,200,open\nS3,1,2,50,open\n\
             S4,2,1,70,closed\nS5,2,1,30,open\n",
        )
        .unwrap();
        let r = Registry::from_path(&config(), &p).unwrap();
        assert_eq!(r.station_count(), 4);
        assert!(r.has_station("S1") && r.has_station("S5"));
        assert!(!r.has_station("S4") && !r.has_station("S"));
        // 100 + 200 + 50 + 30 = 380 registered in 4 stations.
        assert_eq!(
            (r.national().stations, r.national().registered),
            (4, Some(380))
        );
        let region: Vec<(&str, u64, Option<u64>)> = r
            .level(0)
            .unwrap()
            .iter()
            .map(|(c, k)| (c.as_str(), k.stations, k.registered))
            .collect();
        assert_eq!(region, [("1", 3, Some(350)), ("2", 1, Some(30))]);
        let district: Vec<(&str, u64)> = r
            .level(1)
            .unwrap()
            .iter()
            .map(|(c, k)| (c.as_str(), k.stations))
            .collect();
        assert_eq!(district, [("1/1", 2), ("1/2", 1), ("2/1", 1)]);
        assert!(r.level(2).is_none());
        let s3 = &r.stations()[2];
        assert_eq!(s3.id, "S3");
        assert_eq!(s3.units, [Some("1".into()), Some("1/2".into()), None]);
        assert_eq!(s3.registered, Some(50));
        assert_eq!(r.stations().len(), 4);
    }

    #[test]
    fn a_station_listed_twice_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        std::fs::write(
            &p,
            "station,region,district,registered,status\nS1,1,1,1,open\nS1,1,1,1,open\n",
        )
        .unwrap();
        let e = Registry::from_path(&config(), &p).unwrap_err().to_string();
        assert!(e.contains("line 3: station \"S1\" appears twice"), "{e}");
    }
}
