//! `tallyproof serve`: the web service of election night. Witnesses send
//! sheets (typed, or photos whose QR code is read); a sheet counts once
//! two independent entries agree; disagreements wait for a reviewer; the
//! public sees totals, coverage, the checks of each announcement and every
//! station's sheet with its proof in the signed log.
//!
//!   tallyproof serve --config C [--db sqlite:tally.db | --db postgres://…]
//!                    [--bind 127.0.0.1:8080] [--log DIR] [--registry R]
//!                    [--announcement A…]
//!   tallyproof serve --demo      a simulated election, with tokens to try it
//!   limits: see `serve_limits` (--rate-per-address, --max-in-flight, …)

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use tallyproof_core::sheet::{Origin, SourceKind, parse_fields};
use tallyproof_core::{Announcement, Config, NoProgress, Registry, read_files};
use tallyproof_server::{AppState, demo, http, log::LogSink, store};
use tallyproof_stats::simulate::{SimParams, simulate};

/// Serve the public site, the witnesses' forms and the JSON API.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The election config (TOML).
    #[arg(
        long,
        short = 'c',
        value_name = "CONFIG",
        required_unless_present = "demo"
    )]
    config: Option<PathBuf>,
    /// The store: sqlite:FILE (created on first start) or postgres://…
    #[arg(long, default_value = "sqlite:tally.db")]
    db: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: String,
    /// Keep the signed log of counted sheets in this folder (created if new).
    #[arg(long, value_name = "DIR")]
    log: Option<PathBuf>,
    /// A registry of every station: the coverage denominator; its stations
    /// are added to the store so that witnesses can enter them.
    #[arg(long, value_name = "FILE")]
    registry: Option<PathBuf>,
    /// Announcements to check on the dashboard.
    #[arg(long, value_name = "FILE")]
    announcement: Vec<PathBuf>,
    /// A simulated election in a temporary SQLite file, with a few entries
    /// pending and in review; prints two witness tokens and a reviewer token.
    #[arg(long)]
    demo: bool,
    /// Stations of the demo's election.
    #[arg(long, default_value_t = 2_000)]
    stations: usize,
    /// Milliseconds an upload waits for its QR code's decoding before it
    /// is answered 202 (pending) with where the result will be.
    #[arg(long, default_value_t = tallyproof_server::upload::DEFAULT_WAIT_MS, value_name = "MS")]
    upload_wait_ms: u64,
    /// Photos decoded at once (each takes a core while it runs).
    #[arg(long, default_value_t = 1, value_name = "N")]
    decoders: usize,
    /// Stations' records kept in memory for look-ups, each dropped when
    /// the store says its station changed (0: every look-up asks the
    /// database).
    #[arg(long, default_value_t = tallyproof_server::records::DEFAULT_CAPACITY, value_name = "N")]
    record_cache: usize,
    #[command(flatten)]
    limits: super::serve_limits::LimitArgs,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run_async(args))
}

async fn run_async(args: Args) -> Result<ExitCode> {
    let listener = tokio::net::TcpListener::bind(&args.bind)
        .await
        .with_context(|| format!("listening on {}", args.bind))?;
    let addr = listener.local_addr()?;
    let state = if args.demo {
        demo_state(&args, addr).await?
    } else {
        let Some(cfg_path) = &args.config else {
            bail!("--config is needed (or --demo)");
        };
        let cfg = Config::from_path(cfg_path)?;
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
        let st = store::open(&args.db)
            .await
            .with_context(|| format!("opening {}", args.db))?;
        if let Some(r) = &registry {
            st.put_stations(&demo::registry_stations(r)).await?;
        }
        let log = match &args.log {
            Some(d) => Some(LogSink::open_or_init(d, &log_origin(&cfg))?),
            None => None,
        };
        let state = AppState::new(st, cfg, registry, anns, log);
        println!("tallyproof serve: {} on http://{addr}/", args.db);
        state
    };
    state.decoder.set_wait(args.upload_wait_ms);
    state.decoder.set_workers(args.decoders);
    state.records.set_capacity(args.record_cache);
    http::serve_with(state, listener, &args.limits.limits()).await?;
    Ok(ExitCode::SUCCESS)
}

/// A log origin from the election's name: lower-case letters, digits, dashes.
fn log_origin(cfg: &Config) -> String {
    let slug: String = cfg
        .election
        .name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("tallyproof.local/{}", slug.trim_matches('-'))
}

async fn demo_state(args: &Args, addr: std::net::SocketAddr) -> Result<AppState> {
    let seed = 2024;
    let dir = tempfile::Builder::new()
        .prefix("tallyproof-serve-demo-")
        .tempdir()?
        .keep();
    let sim = simulate(&SimParams {
        stations: args.stations,
        options: 5,
        seed,
        missing_share: 0.15,
    })?;
    let paths = super::simulate::write(&sim, &dir)?;
    let cfg = Config::from_path(&paths[0])?;
    let registry = Registry::from_path(&cfg, &paths[2])?;
    let ds = read_files(&cfg, &[&paths[1]], Some(&registry), &NoProgress)?;
    let ann_path = dir.join("announcement.toml");
    std::fs::write(&ann_path, super::demo::inflated_announcement(&sim, seed))?;
    let ann = Announcement::from_path(&ann_path)?;
    // The true sheets of six stations without one: what witnesses bring.
    let late = (0..sim.len())
        .filter(|&i| !sim.has_sheet[i])
        .take(6)
        .map(|i| {
            let mut f = std::collections::BTreeMap::new();
            for (k, key) in sim.option_keys.iter().enumerate() {
                f.insert(key.clone(), sim.votes[k][i].to_string());
            }
            f.insert("registered".into(), sim.registered[i].to_string());
            f.insert("ballots".into(), sim.ballots[i].to_string());
            f.insert("null".into(), sim.null[i].to_string());
            f.insert("valid".into(), sim.valid(i).to_string());
            let mapped = tallyproof_core::sheet::mapped_extras(&cfg);
            for (k, name) in tallyproof_core::sheet::EXTRA_NAMES.iter().enumerate() {
                if !mapped[k] {
                    f.remove(*name);
                }
            }
            parse_fields(
                &cfg,
                &sim.station_id(i),
                &f,
                Origin::new(SourceKind::Witness),
            )
            .map_err(|r| anyhow::anyhow!("simulated sheet: {r:?}"))
        })
        .collect::<Result<Vec<_>>>()?;
    let db = format!("sqlite:{}", dir.join("tally.db").display());
    let st: Arc<dyn store::Store> = store::open(&db).await?;
    let log = LogSink::open_or_init(&dir.join("log"), "tallyproof.local/demo")?;
    let state = AppState::new(st, cfg, Some(registry.clone()), vec![ann], Some(log));
    let t = demo::seed(&state, &ds, Some(&registry), &late).await?;
    println!(
        "tallyproof serve --demo: a simulated election of {} stations (seed {seed}) in {}\n",
        sim.len(),
        dir.display()
    );
    println!(
        "imported {} sheets ({} quarantined by validation); witness entries: {} pending, {} agreed, {} in review",
        t.import.counted,
        t.import.quarantined,
        t.pending.len(),
        t.agreed.len(),
        t.in_review.len()
    );
    println!("\nOpen http://{addr}/ and log in at http://{addr}/login with a token (shown once):");
    println!("  witness Ana   {}", t.witnesses[0]);
    println!("  witness Beto  {}", t.witnesses[1]);
    println!("  reviewer Rita {}", t.reviewer);
    if let Some(s) = t.pending.first() {
        println!("\nStation {s} waits for a second entry: http://{addr}/stations/{s}");
    }
    if let Some(s) = t.in_review.first() {
        println!("Station {s} is in review: http://{addr}/review (as Rita)");
    }
    println!(
        "\nOr by the API:\n  curl -H 'Authorization: Bearer {}' -H 'Content-Type: application/json' \\\n    -d '{{\"station\":\"…\",\"fields\":{{\"A\":\"…\"}}}}' http://{addr}/api/v1/entries",
        t.witnesses[1]
    );
    println!("Stop with Ctrl-C.");
    Ok(state)
}
