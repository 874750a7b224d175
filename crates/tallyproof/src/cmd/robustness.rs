//! `tallyproof robustness`: how far the stations not yet in hand could move
//! the result. Two answers, side by side:
//!
//! - the worst case, with no assumptions: the share of the registered voters
//!   of the missing stations the runner-up would need to overturn the lead;
//! - a projection, assuming the missing sheets are missing at random within
//!   strata (a level of the config): each option's final total with a 95%
//!   bootstrap interval, and the probability that the winner differs from
//!   the leader in hand.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use tallyproof_core::evidence::{Universe, WorstCase, worst_case};
use tallyproof_core::{Announcement, Config, Dataset, Registry};
use tallyproof_stats::projection::{Projection, ProjectionParams, Stratum, project};

use super::input::{Input, Loaded};
use crate::output::{Table, int, opt_int, pct};

/// The effect the missing stations could have.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    input: Input,
    /// An announcement whose registered-voter total completes the denominators.
    #[arg(long, short = 'a', value_name = "FILE")]
    announcement: Option<PathBuf>,
    /// The level whose units are the strata (default: the config's [analysis] strata).
    #[arg(long, value_name = "LEVEL")]
    strata: Option<String>,
    /// Bootstrap replicates.
    #[arg(long, default_value_t = 2000)]
    replicates: usize,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Loaded {
        config,
        registry,
        data,
    } = args.input.load()?;
    let ann = args
        .announcement
        .as_ref()
        .map(|p| Announcement::from_path(p))
        .transpose()?;
    let uni = Universe::new(&config, &data, registry.as_ref(), ann.as_ref());
    let wc = worst_case(&config, &data, uni.clone());
    let level = match args.strata.as_deref().or(config.analysis.strata.as_deref()) {
        Some(l) => Some(config.level_index(l)?),
        None => None,
    };
    let (strata, note) = build_strata(&config, &data, registry.as_ref(), &uni, level)?;
    let proj = project(
        &strata,
        &ProjectionParams {
            replicates: args.replicates,
            seed: args.seed,
            level: 0.95,
        },
    )?;
    if args.json {
        let v = serde_json::json!({
            "worst_case": wc,
            "projection": proj,
            "strata": level.map(|l| config.levels[l].key.clone()),
            "strata_note": note,
            "options": config.option_keys(),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", render(&config, &wc, &proj, &note));
    }
    Ok(ExitCode::SUCCESS)
}

/// Strata from the sheets and the registry: per unit of the level, the
/// sheets in hand and the stations without one.
fn build_strata(
    cfg: &Config,
    ds: &Dataset,
    registry: Option<&Registry>,
    uni: &Universe,
    level: Option<usize>,
) -> Result<(Vec<Stratum>, String)> {
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
                bail!(
                    "the number of stations is unknown: give --registry, or [election] stations_total in the config"
                );
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
    Ok((strata, note))
}

/// The people's view.
pub fn render(cfg: &Config, wc: &WorstCase, p: &Projection, note: &str) -> String {
    let mut out = String::from("== Worst case (no assumptions)\n");
    out.push_str(&format!(
        "leader in the sheets: {} by {} votes over {}; stations without a sheet: {}; their registered voters: {}.\n",
        wc.leader,
        int(wc.lead),
        wc.runner_up,
        opt_int(wc.universe.stations_missing()),
        opt_int(wc.registered_missing)
    ));
    out.push_str(&format!("{}\n", wc.explanation));
    out.push_str(&format!(
        "\n== Projection\nassumption: {}\nestimator: {}; {}.\n",
        p.assumptions, p.estimator, note
    ));
    if !p.pooled_strata.is_empty() {
        out.push_str(&format!(
            "strata with no sheet in hand, projected from all strata pooled: {}\n",
            p.pooled_strata.join(", ")
        ));
    }
    let mut order: Vec<usize> = (0..p.options.len()).collect();
    order.sort_by(|&a, &b| p.options[b].estimate.total_cmp(&p.options[a].estimate));
    let mut t = Table::new([
        "option",
        "in hand",
        "projected",
        "95% interval",
        "share",
        "95% interval of share",
    ]);
    for &j in &order {
        let o = &p.options[j];
        t.row([
            cfg.options[o.option].key.clone(),
            int(o.in_hand),
            int(o.estimate.round() as u64),
            format!(
                "{} – {}",
                int(o.low.round() as u64),
                int(o.high.round() as u64)
            ),
            pct(Some(o.share)),
            format!("{} – {}", pct(Some(o.share_low)), pct(Some(o.share_high))),
        ]);
    }
    out.push_str(&t.render());
    out.push_str(&format!(
        "probability that the winner differs from the leader in hand ({}): {} of replicates{}\n",
        cfg.options[p.leader_in_hand].key,
        pct(Some(p.p_winner_differs)),
        if p.p_winner_differs == 0.0 {
            // Rule of three: with 0 events in n trials, 3/n is a 95% upper bound.
            format!(
                " (none of {}; 95% upper bound {:.2}% by the rule of three)",
                int(p.params.replicates as u64),
                300.0 / p.params.replicates as f64
            )
        } else {
            String::new()
        }
    ));
    out
}
