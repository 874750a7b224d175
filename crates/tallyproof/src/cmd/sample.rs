//! `tallyproof sample`: a public, reproducible random sample of stations by
//! Rivest's consistent sampler (SHA-256 of the seed and each station id).
//!
//! ```text
//! tallyproof sample commit --seed-source FILE|- [--config C --registry R] [--json]
//! tallyproof sample --config C --registry R (--seed SEED | --seed-source FILE|-)
//!                   (--size N | --plan PLAN.json) [--strata LEVEL] [--with-replacement]
//!                   [--json] [--out SAMPLE.json]
//! tallyproof sample verify --config C --registry R --sample SAMPLE.json [--json]
//! ```
//!
//! First `commit`: it prints the commitment to publish *before* the seed is
//! revealed (and, given the frame, the frame's digest). A seed chosen after
//! the data is seen can pick any sample it likes and is worthless: fix the
//! seed in public (dice rolled on camera, 20 digits or more), publish the
//! commitment, then reveal the seed. Then draw: each station's ticket
//! depends only on the seed and its id, so the order does not depend on the
//! registry's row order, adding a station does not reshuffle the others, and
//! anyone can redo the draw. With `--strata`, each stratum is drawn in its
//! own consistent order; `--size N` is split in proportion to the stations
//! of each stratum, `--plan` takes each stratum's size from
//! `tallyproof quickcount plan --out`. `verify` redoes a published sample
//! from its seed and the frame, and names the first difference.
//!
//! The frame is the registry: it must be a `stations` registry (a row per
//! station). A `units` registry only counts stations per unit and cannot be
//! a frame. A seed read from a file loses one trailing line end.
//! Exit codes: 0 done (`verify`: the sample is the draw); 1 `verify` found
//! a difference; 2 bad usage or unreadable input.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use tallyproof_core::{Config, Registry};
use tallyproof_stats::quickcount::Plan;
use tallyproof_stats::sample::{
    self, Frame, PublishedSample, Seed, commitment_of, proportional_allocation,
};

use crate::output::int;

mod render;
use render::render;

/// Draw, commit to or verify a public random sample of stations.
#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Sub>,
    #[command(flatten)]
    draw: DrawArgs,
}

#[derive(clap::Args, Debug)]
struct FrameArgs {
    /// The election config (TOML).
    #[arg(long, short = 'c', value_name = "CONFIG")]
    config: Option<PathBuf>,
    /// The frame: a `stations` registry listing every station.
    #[arg(long, value_name = "FILE")]
    registry: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct DrawArgs {
    #[command(flatten)]
    frame: FrameArgs,
    /// The seed (revealed after its commitment was published).
    #[arg(long, conflicts_with = "seed_source")]
    seed: Option<String>,
    /// Read the seed from a file (`-` for standard input).
    #[arg(long, value_name = "FILE")]
    seed_source: Option<PathBuf>,
    /// Stations to draw in all (split across strata in proportion to their stations).
    #[arg(long, conflicts_with = "plan")]
    size: Option<usize>,
    /// A plan from `tallyproof quickcount plan --out`: each stratum's size.
    #[arg(long, value_name = "PLAN")]
    plan: Option<PathBuf>,
    /// The level whose units are the strata.
    #[arg(long, value_name = "LEVEL")]
    strata: Option<String>,
    /// Draw with replacement (a station may come up again, with a later generation).
    #[arg(long)]
    with_replacement: bool,
    /// Write the published sample (JSON) to this file; print only the summary.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Subcommand, Debug)]
enum Sub {
    /// Print the commitment to publish before the seed is revealed. A seed
    /// chosen after the data is seen is worthless: fix it first, in public.
    Commit {
        /// Where the seed is: a file, or `-` for standard input.
        #[arg(long, value_name = "FILE")]
        seed_source: PathBuf,
        #[command(flatten)]
        frame: FrameArgs,
        /// The level whose units are the strata (for the frame digest).
        #[arg(long, value_name = "LEVEL")]
        strata: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check a published sample against its seed and the frame.
    Verify {
        #[command(flatten)]
        frame: FrameArgs,
        /// The published sample (from `tallyproof sample --out`).
        #[arg(long, value_name = "FILE")]
        sample: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Read a seed from a file or standard input, less one trailing line end.
fn read_seed(path: &Path) -> Result<String> {
    let text = if path == Path::new("-") {
        std::io::read_to_string(std::io::stdin()).context("reading the seed from standard input")?
    } else {
        std::fs::read_to_string(path)
            .with_context(|| format!("reading the seed from {}", path.display()))?
    };
    let t = text.strip_suffix('\n').unwrap_or(&text);
    Ok(t.strip_suffix('\r').unwrap_or(t).to_string())
}

/// The frame: a `stations` registry, stratified by `strata` if given.
pub fn load_frame(config: &Path, registry: &Path, strata: Option<&str>) -> Result<(Config, Frame)> {
    let cfg = Config::from_path(config)?;
    let reg = Registry::from_path(&cfg, registry).context("reading the registry")?;
    let level = strata
        .map(|l| cfg.level_index(l).map(|i| (i, l)))
        .transpose()?;
    let frame = Frame::from_registry(&reg, level)?;
    Ok((cfg, frame))
}

fn need_frame(f: &FrameArgs) -> Result<(&Path, &Path)> {
    match (&f.config, &f.registry) {
        (Some(c), Some(r)) => Ok((c, r)),
        _ => bail!("--config and --registry are required: the registry is the sampling frame"),
    }
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        Some(Sub::Commit {
            seed_source,
            frame,
            strata,
            json,
        }) => commit(&seed_source, &frame, strata.as_deref(), json),
        Some(Sub::Verify {
            frame,
            sample,
            json,
        }) => verify(&frame, &sample, json),
        None => draw(args.draw),
    }
}

fn commit(source: &Path, f: &FrameArgs, strata: Option<&str>, json: bool) -> Result<ExitCode> {
    let seed = Seed::new(&read_seed(source)?)?;
    let frame = match (&f.config, &f.registry) {
        (Some(c), Some(r)) => Some(load_frame(c, r, strata)?.1),
        (None, None) => None,
        _ => bail!("give both --config and --registry, or neither"),
    };
    if json {
        let v = serde_json::json!({
            "seed_commitment": seed.commitment(),
            "commitment_rule": format!("hex(SHA-256(utf8(\"{}\" + seed)))", sample::COMMITMENT_TAG),
            "frame_digest": frame.as_ref().map(Frame::digest),
            "frame_stations": frame.as_ref().map(|f| f.stations.len()),
            "strata_level": frame.as_ref().and_then(|f| f.level.clone()),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", render::commit(&seed, frame.as_ref()));
    Ok(ExitCode::SUCCESS)
}

fn draw(a: DrawArgs) -> Result<ExitCode> {
    let (config, registry) = need_frame(&a.frame)?;
    let seed_text = match (&a.seed, &a.seed_source) {
        (Some(s), _) => s.clone(),
        (None, Some(p)) => read_seed(p)?,
        (None, None) => bail!("give --seed or --seed-source"),
    };
    let seed = Seed::new(&seed_text)?;
    let plan: Option<Plan> = a
        .plan
        .as_ref()
        .map(|p| -> Result<Plan> {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not a quick-count plan", p.display()))
        })
        .transpose()?;
    let strata = match (&plan, a.strata.as_deref()) {
        (Some(p), Some(l)) if p.strata_level.as_deref() != Some(l) => bail!(
            "the plan is stratified by {}, not {l}",
            p.strata_level.as_deref().unwrap_or("nothing")
        ),
        (Some(p), _) => p.strata_level.clone(),
        (None, l) => l.map(str::to_string),
    };
    let (_, frame) = load_frame(config, registry, strata.as_deref())?;
    let sizes = match (&plan, a.size) {
        (Some(p), _) => {
            if p.frame_stations != frame.stations.len() {
                eprintln!(
                    "warning: the plan was made for a frame of {} stations; this one has {}",
                    int(p.frame_stations as u64),
                    int(frame.stations.len() as u64)
                );
            }
            p.sizes()
        }
        (None, Some(n)) => proportional_allocation(&frame, n),
        (None, None) => bail!("give --size N or --plan FILE"),
    };
    let s = sample::draw(&seed, &frame, &sizes, a.with_replacement)?;
    if let Some(out) = &a.out {
        std::fs::write(out, serde_json::to_string_pretty(&s)? + "\n")
            .with_context(|| format!("writing {}", out.display()))?;
    }
    if a.json {
        if a.out.is_none() {
            println!("{}", serde_json::to_string_pretty(&s)?);
        } else {
            let v = serde_json::json!({"written": a.out, "size": s.size(), "frame_stations": s.frame_stations});
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", render(&s, a.out.is_none()));
    if let Some(out) = &a.out {
        println!("sample written to {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Read a published sample and check it against the frame; the list of
/// differences (empty when it is the draw it claims to be).
pub fn check_sample(
    f: (&Path, &Path),
    path: &Path,
) -> Result<(PublishedSample, Vec<sample::Discrepancy>)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let s: PublishedSample = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a published sample", path.display()))?;
    let (_, frame) = load_frame(f.0, f.1, s.strata_level.as_deref())?;
    let d = sample::verify(&s, &frame);
    Ok((s, d))
}

fn verify(f: &FrameArgs, path: &Path, json: bool) -> Result<ExitCode> {
    let (s, d) = check_sample(need_frame(f)?, path)?;
    let code = if d.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    };
    if json {
        let v = serde_json::json!({
            "matches": d.is_empty(),
            "discrepancies": d.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "size": s.size(),
            "seed_commitment": s.seed_commitment,
            "commitment_of_seed": commitment_of(&s.seed),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(code);
    }
    print!("{}", render::verify(&s, &d));
    Ok(code)
}
