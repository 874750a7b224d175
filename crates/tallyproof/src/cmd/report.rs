//! `tallyproof report`: one self-contained HTML file with the headline
//! (who leads in the sheets, coverage, the feasibility verdict, forensic
//! findings that survive Benjamini–Hochberg), the per-region table, the
//! charts and every forensic test with its assumption and caveat.
//!
//! Usage: `tallyproof report --config C FILE... [--announcement A]
//! [--registry R] [--seed S] [--replicates N] [--sample SAMPLE.json] -o report.html`
//!
//! With `--sample` (a published draw from `tallyproof sample --out`, checked
//! against its seed and the `--registry` frame first) the report gains a
//! quick-count section: each option's share with its 95% interval, the
//! realised sample per stratum, the comparison with the announcement, and
//! what the figures assume.
//!
//! The file has inline SVG charts and inline styles: no network, no script.
//! It reads on a phone and prints on paper.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use tallyproof_core::evidence::{Verdict as CoreVerdict, feasibility};
use tallyproof_core::{Announcement, Config, Dataset, Registry, tabulate};
use tallyproof_report::{
    Coverage, OptionTotal, QuickCount, RegionRow, ReportData, Verdict, int, render,
};
use tallyproof_stats::forensics::Options;

use super::input::{Input, Loaded};

/// The HTML report.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    input: Input,
    /// An announcement (TOML or JSON) to check for feasibility and for
    /// back-computed percentages.
    #[arg(long, short = 'a', value_name = "FILE")]
    announcement: Option<PathBuf>,
    /// Seed of every simulated null.
    #[arg(long, default_value_t = 20240728)]
    seed: u64,
    /// Replicates of each simulated null.
    #[arg(long, default_value_t = 1000)]
    replicates: usize,
    /// A published sample (`tallyproof sample --out`): adds a quick count of
    /// its sheets (needs --registry, the frame it was drawn from).
    #[arg(long, value_name = "SAMPLE.json")]
    sample: Option<PathBuf>,
    /// Where to write the HTML file.
    #[arg(long, short = 'o', value_name = "FILE")]
    out: PathBuf,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let sample = match (&args.sample, &args.input.registry) {
        (None, _) => None,
        (Some(_), None) => {
            anyhow::bail!("--sample needs --registry: the frame the sample was drawn from")
        }
        (Some(p), Some(r)) => Some(super::quickcount::checked_sample(&args.input.config, r, p)?),
    };
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
    let options = Options {
        seed: args.seed,
        replicates: args.replicates,
        level: 0.05,
    };
    let mut sources = vec![format!("config {}", args.input.config.display())];
    if let Some(p) = &args.announcement {
        sources.push(format!("announcement file {}", p.display()));
    }
    let quick = match (&sample, &args.sample) {
        (Some(smp), Some(path)) => {
            let (estimate, outside_sample, announcement) =
                super::quickcount::quick_count(&config, &data, smp, ann.as_ref(), 0.95)?;
            sources.push(format!("published sample {}", path.display()));
            Some(QuickCount {
                estimate,
                outside_sample,
                seed: smp.seed.clone(),
                sample_file: path.display().to_string(),
                announcement,
            })
        }
        _ => None,
    };
    let text = html_with(
        &config,
        &data,
        registry.as_ref(),
        ann.as_ref(),
        &options,
        &sources,
        quick,
    )?;
    std::fs::write(&args.out, text).with_context(|| format!("writing {}", args.out.display()))?;
    println!("{}", args.out.display());
    Ok(ExitCode::SUCCESS)
}

/// The report's HTML for loaded sheets: runs the forensic suite, tabulates
/// nationally and by the first level, checks the announcement's feasibility
/// when one is given. `sources` are listed at the end of the report.
pub fn html(
    config: &Config,
    data: &Dataset,
    registry: Option<&Registry>,
    ann: Option<&Announcement>,
    options: &Options,
    sources: &[String],
) -> Result<String> {
    html_with(config, data, registry, ann, options, sources, None)
}

/// [`html`] with a quick-count section when `quick` is given.
pub fn html_with(
    config: &Config,
    data: &Dataset,
    registry: Option<&Registry>,
    ann: Option<&Announcement>,
    options: &Options,
    sources: &[String],
    quick: Option<QuickCount>,
) -> Result<String> {
    let suite = super::forensics::suite(data, ann, &[], options)?;
    let stations = super::forensics::stations(data)?;
    let national = tabulate(config, data, registry, None);
    let by_region = (!config.levels.is_empty()).then(|| tabulate(config, data, registry, Some(0)));
    let n = national.units.first().context("empty tabulation")?;
    let opts: Vec<OptionTotal> = config
        .options
        .iter()
        .zip(&n.votes)
        .map(|(o, &v)| OptionTotal::new(&o.key, o.name.as_deref().unwrap_or(&o.key), v))
        .collect();
    let regions: Vec<RegionRow> = by_region
        .map(|t| {
            t.units
                .iter()
                .map(|u| RegionRow {
                    name: if u.name.is_empty() {
                        u.code.clone()
                    } else {
                        u.name.clone()
                    },
                    sheets: u.sheets,
                    votes: u.votes.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut rd = ReportData::new(&config.election.name, &stations)
        .with_options(opts)
        .with_coverage(Coverage {
            sheets: n.sheets,
            stations_known: n.stations_known,
            registered_covered: n.registered_in_sheets,
            registered_known: n.registered_known,
            quarantined: data.quarantine.len() as u64,
        })
        .with_regions(regions)
        .with_forensics(&suite);
    if let Some(q) = quick {
        rd = rd.with_quick_count(q);
    }
    for s in sources {
        rd = rd.with_source(s);
    }
    for f in &data.files {
        rd = rd.with_source(&format!("{} ({} rows)", f.path, f.rows));
    }
    if let Some(a) = ann {
        let feas = feasibility(config, data, registry, a)?;
        let mut lines = vec![
            format!("Assumption: {}.", feas.assumption),
            format!("Claim: {}.", feas.claim),
        ];
        for b in feas.stations.iter().chain(&feas.voters) {
            match &b.verdict {
                CoreVerdict::ImpossibleBelow { margin } => lines.push(format!(
                    "{}: announced {}, at least {} below the smallest total compatible with the sheets ({}).",
                    b.key,
                    int(b.announced),
                    int(*margin),
                    int(b.min)
                )),
                CoreVerdict::ImpossibleAbove { margin } => lines.push(format!(
                    "{}: announced {}, {} above the largest total compatible with the sheets.",
                    b.key,
                    int(b.announced),
                    int(*margin)
                )),
                _ => {}
            }
        }
        rd = rd
            .with_verdict(Verdict {
                label: a.label.clone(),
                possible: !feas.any_impossible,
                lines,
            })
            .with_source(&format!("announcement {}", a.label));
    }
    rd = rd.with_source(&format!(
        "forensics: seed {}, {} replicates",
        options.seed, options.replicates
    ));
    Ok(render(&rd)?)
}
