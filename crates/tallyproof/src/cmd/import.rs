//! `tallyproof import`: sheet files into the service's store. They are
//! read and validated as `tallyproof validate` does (rejected rows stay in
//! the quarantine file, never in the store); each accepted sheet counts on
//! arrival with its file and line as provenance, unless a witness entry
//! already disagrees, which sends it to review. Importing the same file
//! twice stores nothing new.
//!
//!   tallyproof import --db sqlite:tally.db --config C [--registry R]
//!                     [--log DIR] [--quarantine Q.csv] FILE…

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use tallyproof_server::{AppState, demo, import, log::LogSink, store};

use super::input::{Input, Loaded};
use crate::output::int;

/// Import sheet files into the store.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The store: sqlite:FILE or postgres://…
    #[arg(long, default_value = "sqlite:tally.db")]
    db: String,
    #[command(flatten)]
    input: Input,
    /// The signed log to append the counted sheets to (the server's --log).
    #[arg(long, value_name = "DIR")]
    log: Option<PathBuf>,
    /// Write the quarantined rows here (CSV).
    #[arg(long, value_name = "FILE")]
    quarantine: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Loaded {
        config,
        registry,
        data,
    } = args.input.load()?;
    if let Some(q) = &args.quarantine {
        let f = std::fs::File::create(q).with_context(|| format!("creating {}", q.display()))?;
        tallyproof_core::quarantine::write_csv(&data, f)?;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = rt.block_on(async {
        let st = store::open(&args.db)
            .await
            .with_context(|| format!("opening {}", args.db))?;
        if let Some(r) = &registry {
            st.put_stations(&demo::registry_stations(r)).await?;
        }
        let log = match &args.log {
            Some(d) => Some(LogSink::open_or_init(d, "tallyproof.local/import")?),
            None => None,
        };
        let state = AppState::new(st, config, registry, Vec::new(), log);
        let bar = crate::progress::Bar::items(data.sheets.len() as u64, "sheets stored");
        let r = import::import(&state, &data, &|n| bar.set(n))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"));
        bar.finish();
        r
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("imported into {}:", args.db);
        println!("  {} sheets now count", int(report.counted));
        println!("  {} already held (identical)", int(report.duplicates));
        println!(
            "  {} disagree with entries held: in review",
            int(report.in_review)
        );
        println!(
            "  {} rows quarantined by validation",
            int(report.quarantined)
        );
        println!("  {} stations new to the store", int(report.stations_added));
    }
    Ok(ExitCode::SUCCESS)
}
