//! `tallyproof quickcount`: a quick count (parallel vote tabulation) on a
//! random sample of stations.
//!
//! ```text
//! tallyproof quickcount plan --config C --registry R --margin 0.005 [--confidence 0.95]
//!     [--strata LEVEL] [--target share|margin] [--shares 0.5,0.45] [--turnout 0.6]
//!     [--low-turnout 0.1] [--non-response 0.1] [--icc 0.1] [--pilot FILE...]
//!     [--json] [--out PLAN.json]
//! tallyproof quickcount estimate --config C --registry R --sample SAMPLE.json FILE...
//!     [--announcement A] [--confidence 0.95] [--json]
//! ```
//!
//! `plan` gives the sample size per stratum for a half-width `--margin` on
//! the leader's share (or on the margin between the first two) at the given
//! confidence, with stations as clusters of voters: the design effect comes
//! from the registry's station sizes and an intraclass correlation (`--icc`;
//! 0.06 was measured within states on Venezuela 2024's sheets), or from a
//! pilot (sheets of an earlier election). Each stratum's size is raised for
//! stations that never report (`--non-response`) and the plan is made at a
//! turnout `--low-turnout` below `--turnout`. `--out` writes the plan for
//! `tallyproof sample --plan`.
//!
//! `estimate` first redoes the published sample from its seed and the frame
//! and refuses one that is not the draw it claims to be. It then reads the
//! sheets (any input the other commands take), keeps those of sampled
//! stations, and gives each option's share with its interval (combined
//! ratio estimator, stratified, finite-population correction; Cochran 1977
//! ch. 6), the realised sample per stratum with a warning when arrivals
//! differ by stratum, and with `--announcement`, each announced share inside
//! or outside the interval and by how many standard errors.
//! Every figure assumes a complete frame, a seed fixed before the data, and
//! sheets missing at random and independent within strata.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use tallyproof_core::{Announcement, Config, Dataset, NoProgress, read_files};
use tallyproof_stats::quickcount::{self, PilotStratum, PlanParams, Target};
use tallyproof_stats::sample::PublishedSample;

use super::input::{Input, Loaded};
use super::sample::{check_sample, load_frame};
mod render;
use render::{render_estimate, render_plan};

/// Plan or estimate a quick count.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(clap::Subcommand, Debug)]
enum Sub {
    /// Sample size per stratum for a target margin.
    Plan(PlanArgs),
    /// Shares with intervals from the sheets of the sampled stations.
    Estimate(EstimateArgs),
}

#[derive(clap::Args, Debug)]
struct PlanArgs {
    /// The election config (TOML).
    #[arg(long, short = 'c', value_name = "CONFIG")]
    config: PathBuf,
    /// The frame: a `stations` registry with registered voters per station.
    #[arg(long, value_name = "FILE")]
    registry: PathBuf,
    /// Half-width of the interval (0.005 = ±0.5 percentage points).
    #[arg(long)]
    margin: f64,
    /// Confidence of the interval.
    #[arg(long, default_value_t = 0.95)]
    confidence: f64,
    /// The level whose units are the strata (default: the config's [analysis] strata).
    #[arg(long, value_name = "LEVEL")]
    strata: Option<String>,
    /// Do not stratify, even if the config names strata.
    #[arg(long, conflicts_with = "strata")]
    no_strata: bool,
    /// The margin is on the leader's `share`, or on the `margin` between the first two.
    #[arg(long, default_value = "share", value_parser = ["share", "margin"])]
    target: String,
    /// Expected shares of the first (and second) option; 0.5 is the worst case for a share.
    #[arg(long, value_delimiter = ',', default_value = "0.5,0.5")]
    shares: Vec<f64>,
    /// Expected turnout (valid votes over registered voters).
    #[arg(long, default_value_t = 0.6)]
    turnout: f64,
    /// Allowance for turnout below plan (0.1: plan at 10% less).
    #[arg(long, default_value_t = 0.1)]
    low_turnout: f64,
    /// Share of sampled stations expected never to report.
    #[arg(long, default_value_t = 0.1)]
    non_response: f64,
    /// Intraclass correlation of vote choice within a station, within strata.
    #[arg(long, default_value_t = 0.1)]
    icc: f64,
    /// Pilot sheets (an earlier election, read with the same config) to measure the variance.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pilot: Vec<PathBuf>,
    /// Write the plan (JSON) for `tallyproof sample --plan`.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args, Debug)]
struct EstimateArgs {
    #[command(flatten)]
    input: Input,
    /// The published sample (from `tallyproof sample --out`).
    #[arg(long, value_name = "FILE")]
    sample: PathBuf,
    /// An announcement to set beside the quick count.
    #[arg(long, short = 'a', value_name = "FILE")]
    announcement: Option<PathBuf>,
    /// Confidence of the intervals.
    #[arg(long, default_value_t = 0.95)]
    confidence: f64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        Sub::Plan(a) => plan(a),
        Sub::Estimate(a) => estimate(a),
    }
}

fn plan(a: PlanArgs) -> Result<ExitCode> {
    let cfg0 = tallyproof_core::Config::from_path(&a.config)?;
    let level = match (a.no_strata, a.strata.as_deref()) {
        (true, _) => None,
        (false, Some(l)) => Some(l.to_string()),
        (false, None) => cfg0.analysis.strata.clone(),
    };
    let (cfg, frame) = load_frame(&a.config, &a.registry, level.as_deref())?;
    let p1 = a.shares.first().copied().unwrap_or(0.5);
    let p2 = a.shares.get(1).copied().unwrap_or(1.0 - p1);
    let target = match a.target.as_str() {
        "margin" => Target::FirstTwoMargin {
            first: p1,
            second: p2,
        },
        _ => Target::LeaderShare { share: p1 },
    };
    let params = PlanParams {
        margin: a.margin,
        confidence: a.confidence,
        target,
        turnout: a.turnout,
        low_turnout: a.low_turnout,
        non_response: a.non_response,
        icc: a.icc,
    };
    let pilot = if a.pilot.is_empty() {
        None
    } else {
        let ds = read_files(&cfg, &a.pilot, None, &NoProgress).context("reading the pilot")?;
        let li = level.as_deref().map(|l| cfg.level_index(l)).transpose()?;
        let mut by: std::collections::BTreeMap<String, Vec<Vec<u64>>> = Default::default();
        let s = &ds.sheets;
        for i in 0..s.len() {
            let name = li.map_or(tallyproof_stats::sample::ALL.to_string(), |l| {
                ds.units[l].codes[s.geo[l][i] as usize].clone()
            });
            by.entry(name)
                .or_default()
                .push(s.votes.iter().map(|v| u64::from(v[i])).collect());
        }
        Some(
            by.into_iter()
                .map(|(name, sheets)| PilotStratum { name, sheets })
                .collect::<Vec<_>>(),
        )
    };
    let p = quickcount::plan(&frame, &params, pilot.as_deref())?;
    if let Some(out) = &a.out {
        std::fs::write(out, serde_json::to_string_pretty(&p)? + "\n")
            .with_context(|| format!("writing {}", out.display()))?;
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&p)?);
    } else {
        print!("{}", render_plan(&p));
        if let Some(out) = &a.out {
            println!(
                "plan written to {} (for `tallyproof sample --plan`)",
                out.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn estimate(a: EstimateArgs) -> Result<ExitCode> {
    let Some(registry) = a.input.registry.as_ref() else {
        bail!("--registry is required: the frame the sample was drawn from");
    };
    let sample = checked_sample(&a.input.config, registry, &a.sample)?;
    let Loaded { config, data, .. } = a.input.load()?;
    let ann = a
        .announcement
        .as_ref()
        .map(|p| Announcement::from_path(p))
        .transpose()?;
    let (est, outside, comparisons) =
        quick_count(&config, &data, &sample, ann.as_ref(), a.confidence)?;
    if a.json {
        let v = serde_json::json!({
            "estimate": est,
            "sheets_outside_sample": outside,
            "announcement": comparisons.as_ref().map(|(l, c)| serde_json::json!({"label": l, "comparisons": c})),
            "sample": {"seed": sample.seed, "seed_commitment": sample.seed_commitment, "frame_digest": sample.frame_digest},
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", render_estimate(&est, outside, comparisons.as_ref()));
    }
    Ok(ExitCode::SUCCESS)
}

/// The published sample, redone from its seed and the frame; an error
/// naming every difference when it is not the draw it claims to be.
pub(crate) fn checked_sample(
    config: &Path,
    registry: &Path,
    path: &Path,
) -> Result<PublishedSample> {
    let (sample, diffs) = check_sample((config, registry), path)?;
    if !diffs.is_empty() {
        let reasons: Vec<String> = diffs.iter().map(|d| format!("- {d}")).collect();
        bail!(
            "the sample {} is not the published draw, so no quick count is made from it:\n{}",
            path.display(),
            reasons.join("\n")
        );
    }
    Ok(sample)
}

/// The quick count on the sheets of a checked sample: the estimate, the
/// sheets in hand outside the sample, and the comparison with an
/// announcement.
pub(crate) fn quick_count(
    config: &Config,
    data: &Dataset,
    sample: &PublishedSample,
    ann: Option<&Announcement>,
    confidence: f64,
) -> Result<QuickCountFigures> {
    let matched = quickcount::match_sheets(sample, &data.sheets)?;
    let keys = config.option_keys();
    let est = quickcount::estimate(&keys, &matched.strata, confidence)?;
    let comparisons = match ann {
        None => None,
        Some(ann) => {
            let targets = ann.targets(config)?;
            let covered: usize = targets.iter().map(|t| t.options.len()).sum();
            let denom = if covered == keys.len() {
                targets
                    .iter()
                    .filter_map(|t| ann.totals.get(&t.key))
                    .sum::<u64>()
            } else if let Some(v) = ann.summary.valid {
                v
            } else {
                bail!(
                    "the announcement gives neither every option's total nor valid votes: its shares cannot be computed"
                );
            };
            let t: Vec<(String, Vec<usize>, u64)> = targets
                .into_iter()
                .filter_map(|t| {
                    ann.totals
                        .get(&t.key)
                        .map(|&v| (t.key.clone(), t.options.clone(), v))
                })
                .collect();
            Some((
                ann.label.clone(),
                quickcount::compare(&matched.strata, keys.len(), &t, denom, confidence)?,
            ))
        }
    };
    Ok((est, matched.outside_sample, comparisons))
}

/// An estimate, the sheets outside the sample, and (label, comparisons).
pub(crate) type QuickCountFigures = (
    quickcount::Estimate,
    usize,
    Option<(String, Vec<quickcount::Comparison>)>,
);
