//! The station registry: every station that exists, with or without a sheet.
//! It is the denominator of coverage. Two kinds, described in the config's
//! `[registry]` section:
//!
//! - `stations`: a row per station (id, geography, registered voters);
//! - `units`: a row per geographic unit with its number of stations (and
//!   registered voters when known), for when only aggregate counts are
//!   published, as for Venezuela 2024.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

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
#[derive(Debug, Clone)]
pub struct Registry {
    /// The file it was read from.
    pub path: String,
    kind: RegistryKind,
    stations: HashSet<String>,
    entries: Vec<RegistryStation>,
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
        let raw = std::fs::read(path).map_err(|e| Error::Io {
            path: name.clone(),
            source: e,
        })?;
        let raw = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&raw).to_vec();
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(spec.delimiter.as_bytes().first().copied().unwrap_or(b','))
            .flexible(true)
            .from_reader(&raw[..]);
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
            stations: HashSet::new(),
            entries: Vec::new(),
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
        let text = |rec: &csv::ByteRecord, i: usize| -> String {
            String::from_utf8_lossy(rec.get(i).unwrap_or(b"")).into_owned()
        };
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
                let mut maps: HashMap<usize, BTreeMap<String, Known>> = HashMap::new();
                while rdr
                    .read_byte_record(&mut rec)
                    .map_err(|e| input_err(e.to_string()))?
                {
                    let line = rec.position().map_or(0, |p| p.line());
                    if !filter.iter().all(|(i, v)| text(&rec, *i).trim() == v) {
                        continue;
                    }
                    render(&id, &rec, &cfg.station.separator, &mut buf);
                    if !out.stations.insert(buf.clone()) {
                        return Err(input_err(format!(
                            "line {line}: station {buf:?} appears twice"
                        )));
                    }
                    let registered = reg_col.map(|i| num(&rec, i, line)).transpose()?;
                    out.national.stations += 1;
                    national_registered = match (national_registered, registered) {
                        (Some(a), Some(b)) => Some(a + b),
                        _ => None,
                    };
                    let mut entry = RegistryStation {
                        id: buf.clone(),
                        units: vec![None; cfg.levels.len()],
                        registered,
                    };
                    for (l, p) in &levels {
                        render(p, &rec, "/", &mut buf);
                        entry.units[*l] = Some(buf.clone());
                        let e = maps
                            .entry(*l)
                            .or_default()
                            .entry(buf.clone())
                            .or_insert(Known {
                                stations: 0,
                                registered: Some(0),
                            });
                        e.stations += 1;
                        e.registered = match (e.registered, registered) {
                            (Some(a), Some(b)) => Some(a + b),
                            _ => None,
                        };
                    }
                    out.entries.push(entry);
                }
                for (l, m) in maps {
                    out.per_level[l] = Some(m);
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
        self.stations.contains(id)
    }

    /// The stations of a `stations` registry (empty for a `units` one).
    pub fn stations(&self) -> &[RegistryStation] {
        &self.entries
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
