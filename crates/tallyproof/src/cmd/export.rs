//! `tallyproof export`: the public site as static files for any web server
//! or CDN: the dashboard and every unit's page (HTML), every station's page
//! and JSON bundled by id prefix (`lookup/<prefix>.html#<id>`,
//! `api/v1/stations/<prefix>.json`), the photos, and the signed log's tiles
//! and station bundles, which `tallyproof log verify --site SITE` checks.
//!
//!   tallyproof export --db sqlite:tally.db --config C [--registry R]
//!                     [--log DIR] [--announcement A…] --out SITE

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use tallyproof_core::{Announcement, Config, Registry};
use tallyproof_server::{AppState, export, log::LogSink, store};

use crate::output::int;

/// Write the public site as static files.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The store: sqlite:FILE or postgres://…
    #[arg(long, default_value = "sqlite:tally.db")]
    db: String,
    /// The election config (TOML).
    #[arg(long, short = 'c', value_name = "CONFIG")]
    config: PathBuf,
    /// A registry of every station: the coverage denominator.
    #[arg(long, value_name = "FILE")]
    registry: Option<PathBuf>,
    /// The signed log (the server's --log), exported beside the pages.
    #[arg(long, value_name = "DIR")]
    log: Option<PathBuf>,
    /// Announcements to check on the dashboard.
    #[arg(long, value_name = "FILE")]
    announcement: Vec<PathBuf>,
    /// The folder to write.
    #[arg(long, value_name = "SITE")]
    out: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let cfg = Config::from_path(&args.config)?;
    let registry = args
        .registry
        .as_ref()
        .map(|r| Registry::from_path(&cfg, r))
        .transpose()
        .context("reading the registry")?;
    let anns = args
        .announcement
        .iter()
        .map(|a| Announcement::from_path(a))
        .collect::<Result<Vec<_>, _>>()?;
    let log = match &args.log {
        Some(d) => Some(LogSink::open_or_init(d, "tallyproof.local/export")?),
        None => None,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let rep = rt.block_on(async {
        let st = store::open(&args.db)
            .await
            .with_context(|| format!("opening {}", args.db))?;
        let state = AppState::new(st, cfg, registry, anns, log);
        export::export(&state, &args.out)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rep)?);
    } else {
        println!("wrote {}:", args.out.display());
        println!(
            "  {} HTML pages (stations at lookup/<prefix>.html#<id>, listed in lookup/index.html)",
            int(rep.pages)
        );
        println!(
            "  {} JSON files ({} stations, bundled by the first {} characters of their id)",
            int(rep.json),
            int(rep.stations),
            rep.prefix_len
        );
        if rep.images > 0 {
            println!("  {} photos under images/", int(rep.images));
        }
        match rep.log_size {
            Some(n) => println!(
                "  the signed log's tiles and checkpoint ({} leaves)",
                int(n)
            ),
            None => println!("  no log (give --log DIR to include it)"),
        }
    }
    Ok(ExitCode::SUCCESS)
}
