//! The strata of the projection, built from validated sheets and the
//! station registry: per unit of a level, the sheets in hand and the
//! stations without one (with their registered voters when the registry
//! lists them one by one).

use std::collections::{HashMap, HashSet};

use tallyproof_core::evidence::Universe;
use tallyproof_core::{Config, Dataset, Registry};

use super::{ProjectionError, Stratum};

/// Strata and a sentence saying where their missing stations come from.
#[derive(Debug, Clone)]
pub struct Strata {
    /// One per unit of the level (one national stratum without a level or
    /// without per-unit denominators).
    pub strata: Vec<Stratum>,
    /// Where the missing stations come from, in words.
    pub note: String,
}

/// Strata from the sheets and the registry: per unit of `level`, the sheets
/// in hand and the stations without one.
///
/// - A registry of stations gives the missing stations one by one, each
///   placed in its unit, with its registered voters (a stratum where some
///   missing station lacks them falls back to expansion by stations).
/// - A registry of units gives each unit's number of stations.
/// - Otherwise the config's `stations_total` (in `uni`) gives one national
///   stratum; without it there is no denominator and this is an error.
pub fn strata_from_dataset(
    cfg: &Config,
    ds: &Dataset,
    registry: Option<&Registry>,
    uni: &Universe,
    level: Option<usize>,
) -> Result<Strata, ProjectionError> {
    let k = cfg.options.len();
    let s = &ds.sheets;
    let mut strata: Vec<Stratum> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut get = |code: &str, strata: &mut Vec<Stratum>| -> usize {
        *index.entry(code.to_string()).or_insert_with(|| {
            strata.push(Stratum {
                name: code.to_string(),
                votes: vec![Vec::new(); k],
                registered: s.registered.as_ref().map(|_| Vec::new()),
                missing: 0,
                missing_registered: None,
            });
            strata.len() - 1
        })
    };
    for i in 0..s.len() {
        let code = level.map_or("", |l| ds.units[l].codes[s.geo[l][i] as usize].as_str());
        let h = get(code, &mut strata);
        for j in 0..k {
            strata[h].votes[j].push(u64::from(s.votes[j][i]));
        }
        if let (Some(r), Some(col)) = (strata[h].registered.as_mut(), s.registered.as_ref()) {
            r.push(u64::from(col[i]));
        }
    }
    let note;
    match (registry, level) {
        (Some(reg), _) if reg.knows_stations() => {
            let have: HashSet<&str> = s.station.iter().collect();
            for st in reg.stations() {
                if have.contains(st.id.as_str()) {
                    continue;
                }
                let code = match level {
                    Some(l) => st.units[l].clone().unwrap_or_default(),
                    None => String::new(),
                };
                let h = get(&code, &mut strata);
                strata[h].missing += 1;
                let first = strata[h].missing == 1;
                match (st.registered, &mut strata[h].missing_registered) {
                    (Some(r), Some(v)) => v.push(r),
                    (Some(r), slot @ None) if first => *slot = Some(vec![r]),
                    _ => {}
                }
            }
            // A stratum where some missing stations lack registered voters
            // falls back to expansion.
            for st in &mut strata {
                if st
                    .missing_registered
                    .as_ref()
                    .is_some_and(|v| v.len() as u64 != st.missing)
                {
                    st.missing_registered = None;
                }
            }
            note = format!("missing stations from the registry {}", reg.path);
        }
        (Some(reg), Some(l)) if reg.level(l).is_some() => {
            let known = reg
                .level(l)
                .map(|m| {
                    m.iter()
                        .map(|(c, k)| (c.clone(), k.stations))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            for (code, n) in known {
                let h = get(&code, &mut strata);
                let have = strata[h].votes[0].len() as u64;
                strata[h].missing = n.saturating_sub(have);
            }
            note = format!(
                "missing stations per {} from the registry {} (their registered voters are not known one by one)",
                cfg.levels[l].key, reg.path
            );
        }
        _ => {
            let Some(n) = uni.stations_total else {
                return Err(ProjectionError::NoDenominator);
            };
            // Without unit denominators the missing stations cannot be
            // placed in strata: one national stratum.
            let all_votes: Vec<Vec<u64>> = (0..k)
                .map(|j| {
                    strata
                        .iter()
                        .flat_map(|st| st.votes[j].iter().copied())
                        .collect()
                })
                .collect();
            let registered = s
                .registered
                .as_ref()
                .map(|c| c.iter().map(|&x| u64::from(x)).collect());
            strata = vec![Stratum {
                name: "national".into(),
                votes: all_votes,
                registered,
                missing: n.saturating_sub(s.len() as u64),
                missing_registered: None,
            }];
            note = "no per-unit denominators: one national stratum, so the projection assumes the missing stations are missing at random nationally".into();
        }
    }
    Ok(Strata { strata, note })
}
