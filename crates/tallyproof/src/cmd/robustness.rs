//! `tallyproof robustness`: how far the stations not yet in hand could move
//! the result. Two answers, side by side:
//!
//! - the worst case, with no assumptions: the share of the registered voters
//!   of the missing stations the runner-up would need to overturn the lead;
//! - a projection, assuming the missing sheets are missing at random within
//!   strata (a level of the config): each option's final total with a 95%
//!   bootstrap interval, and the probability that the winner differs from
//!   the leader in hand.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use tallyproof_core::evidence::{Universe, WorstCase, worst_case};
use tallyproof_core::{Announcement, Config};
use tallyproof_stats::projection::{
    Projection, ProjectionParams, Strata, project, strata_from_dataset,
};

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
    let Strata { strata, note } =
        strata_from_dataset(&config, &data, registry.as_ref(), &uni, level)?;
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
