//! `tallyproof forensics`: the forensic suite on the sheets in hand.
//!
//! Usage: `tallyproof forensics --config C FILE... [--announcement A]
//! [--seed S] [--replicates R] [--tests a,b,...] [--json]`
//!
//! Runs the default suite (`tallyproof_stats::forensics::DEFAULT_SUITE`), or
//! the tests named by `--tests` (any of `TESTS`, such as
//! `second-digit-benford`), and adjusts the p-values of the tests calibrated
//! at this number of stations by Benjamini–Hochberg; the others are shown as
//! exploratory. The first line is the headline: what the calibrated tests
//! found, with its direction and meaning, or that they found nothing. A test
//! running over a second shows a progress bar on stderr. Every simulated null uses `--seed`,
//! printed in the output, so anyone can recompute the figures. Each finding
//! is printed with its null hypothesis and its caveat. Findings are data:
//! the exit code is 0 whatever they say.

use std::process::ExitCode;

use anyhow::Result;
use tallyproof_core::Dataset;
use tallyproof_stats::forensics::{
    self, Announcement, Input as FInput, Options, Stations, SuiteReport,
};

use super::input::{Input, Loaded};

/// Forensic tests with Benjamini–Hochberg across the suite.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    input: Input,
    /// An announcement (TOML or JSON) whose totals are checked for
    /// back-computation from rounded percentages.
    #[arg(long, value_name = "FILE")]
    announcement: Option<std::path::PathBuf>,
    /// Seed of every simulated null.
    #[arg(long, default_value_t = 20240728)]
    seed: u64,
    /// Replicates of each simulated null.
    #[arg(long, default_value_t = 1000)]
    replicates: usize,
    /// Comma-separated test codes (default: the default suite).
    #[arg(long, value_delimiter = ',')]
    tests: Vec<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Also run the suite on N clean look-alikes of this election (fitted
    /// to its sheets; seeded by --seed) and print each test's rejection
    /// rate beside its p-value; the headline then names only tests
    /// calibrated on them.
    #[arg(long, value_name = "N", default_value_t = 0)]
    calibrate_like: usize,
}

/// The accepted sheets as forensic stations (see [`Stations::from_dataset`]).
pub fn stations(ds: &Dataset) -> Result<Stations> {
    Ok(Stations::from_dataset(ds)?)
}

/// Runs the suite on loaded sheets.
pub fn suite(
    data: &Dataset,
    ann: Option<&tallyproof_core::Announcement>,
    tests: &[String],
    options: &Options,
) -> Result<SuiteReport> {
    let st = stations(data)?;
    let fa = ann.map(|a| Announcement {
        label: a.label.clone(),
        option_keys: a.totals.keys().cloned().collect(),
        totals: a.totals.values().copied().collect(),
    });
    let mut input = FInput::new(&st);
    if let Some(a) = &fa {
        input = input.with_announcement(a);
    }
    let names: Vec<&str> = if tests.is_empty() {
        forensics::DEFAULT_SUITE.to_vec()
    } else {
        tests.iter().map(String::as_str).collect()
    };
    Ok(forensics::run_suite_with_progress(
        &names,
        &input,
        options,
        &TestBar::default(),
    )?)
}

/// A progress bar per test on stderr, drawn only once the test has run for
/// a second.
#[derive(Default)]
struct TestBar(std::sync::Mutex<Option<(indicatif::ProgressBar, std::time::Instant, bool)>>);

impl forensics::Progress for TestBar {
    fn start(&self, code: &'static str) {
        let pb = indicatif::ProgressBar::hidden();
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:30}] {pos}/{len} replicates {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        pb.set_message(code);
        if let Ok(mut g) = self.0.lock() {
            *g = Some((pb, std::time::Instant::now(), false));
        }
    }

    fn length(&self, steps: u64) {
        if let Ok(g) = self.0.lock()
            && let Some((pb, ..)) = g.as_ref()
        {
            pb.set_length(steps);
        }
    }

    fn advance(&self, steps: u64) {
        if let Ok(mut g) = self.0.lock()
            && let Some((pb, t0, shown)) = g.as_mut()
        {
            pb.inc(steps);
            if !*shown && t0.elapsed().as_secs_f64() > 1.0 {
                pb.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                *shown = true;
            }
        }
    }

    fn finish(&self, _code: &'static str) {
        if let Ok(mut g) = self.0.lock()
            && let Some((pb, ..)) = g.take()
        {
            pb.finish_and_clear();
        }
    }
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Loaded {
        config,
        data,
        registry,
    } = args.input.load()?;
    let coverage = tallyproof_core::coverage(&config, &data, registry.as_ref());
    let ann = args
        .announcement
        .as_ref()
        .map(|p| tallyproof_core::Announcement::from_path(p))
        .transpose()?;
    let options = Options {
        seed: args.seed,
        replicates: args.replicates,
        level: 0.05,
    };
    let mut report = suite(&data, ann.as_ref(), &args.tests, &options)?;
    let like = (args.calibrate_like > 0)
        .then(|| {
            super::forensics_like::calibrate(&config, &data, &report, &options, args.calibrate_like)
        })
        .transpose()?;
    if let Some(c) = &like {
        c.apply(&mut report);
    }
    if args.json {
        let v = serde_json::json!({
            "election": config.election.name,
            "stations": data.sheets.len(),
            "coverage": coverage,
            "forensics": report,
            "calibrate_like": like,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "Coverage: {}. The tests see only the stations with a sheet.",
            coverage.line()
        );
        print!(
            "{}",
            render(&config.election.name, data.sheets.len(), &report)
        );
        if let Some(c) = &like {
            print!("\n{}", super::forensics_like::render(c, &report));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn num(x: f64) -> String {
    if x.is_nan() {
        "-".into()
    } else if x != 0.0 && (x.abs() < 1e-3 || x.abs() >= 1e9) {
        format!("{x:.3e}")
    } else if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.4}")
    }
}

/// The text view: one block per finding, with its null and caveat.
pub fn render(election: &str, stations: usize, r: &SuiteReport) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{election}: forensics on {stations} stations; seed {}, {} replicates; \
         Benjamini–Hochberg at {}\n\n",
        r.seed, r.replicates, r.level
    ));
    out.push_str(&format!("Headline: {}\n\n", r.summary()));
    for f in &r.findings {
        let flag = if f.p_value.is_some() && !f.calibrated {
            "exploratory: not calibrated at this size, not in the headline"
        } else if f.p_adjusted.is_some_and(|p| p <= r.level) {
            "SIGNIFICANT"
        } else if f.p_value.is_none() {
            "listing"
        } else {
            "not significant"
        };
        out.push_str(&format!("[{}] {} — {flag}\n", f.code, f.title));
        out.push_str(&format!("  {}: {}\n", f.statistic_name, num(f.statistic)));
        if let Some(p) = f.p_value {
            out.push_str(&format!(
                "  p = {}, BH-adjusted p = {}\n",
                num(p),
                f.p_adjusted.map_or("-".into(), num)
            ));
        }
        out.push_str(&format!("  {}: {}\n", f.effect_name, num(f.effect)));
        for d in &f.details {
            out.push_str(&format!("    {}: {}\n", d.name, num(d.value)));
        }
        if f.stations_total > 0 {
            let shown: Vec<&str> = f.stations.iter().take(10).map(String::as_str).collect();
            out.push_str(&format!(
                "  stations ({}): {}{}\n",
                f.stations_total,
                shown.join(", "),
                if f.stations_total > shown.len() {
                    ", …"
                } else {
                    ""
                }
            ));
        }
        out.push_str(&format!("  null: {}\n", f.null));
        out.push_str(&format!("  caveat: {}\n", f.caveat));
        out.push_str(&format!("  source: {}\n\n", f.citation));
    }
    for s in &r.skipped {
        out.push_str(&format!("[{}] not run: {}\n", s.code, s.reason));
    }
    out
}
