//! `tallyproof witness add`: a token for a witness, a reviewer or an
//! admin, printed once (the store keeps only its SHA-256).
//!
//!   tallyproof witness add --db sqlite:tally.db --name NAME
//!                          [--stations PREFIX…] [--role witness|reviewer|admin]

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use tallyproof_server::store::{self, Role};

/// Manage the people who send and review sheets.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(clap::Subcommand, Debug)]
enum Sub {
    /// Add a person and print their token once.
    Add(AddArgs),
}

#[derive(clap::Args, Debug)]
struct AddArgs {
    /// The store: sqlite:FILE or postgres://…
    #[arg(long, default_value = "sqlite:tally.db")]
    db: String,
    /// Their public name (shown beside their entries).
    #[arg(long)]
    name: String,
    /// Station-id prefixes they may send sheets for (default: every station).
    #[arg(long, value_name = "PREFIX", num_args = 1..)]
    stations: Vec<String>,
    /// witness, reviewer or admin.
    #[arg(long, default_value = "witness")]
    role: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Sub::Add(a) = args.command;
    let Some(role) = Role::parse(&a.role) else {
        bail!(
            "--role must be witness, reviewer or admin, not {:?}",
            a.role
        );
    };
    if a.name.trim().is_empty() {
        bail!("--name is empty");
    }
    let (token, hash) = tallyproof_server::auth::new_token();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let id = rt.block_on(async {
        let st = store::open(&a.db)
            .await
            .with_context(|| format!("opening {}", a.db))?;
        let id = st
            .add_witness(
                a.name.trim(),
                role,
                &a.stations,
                &hash,
                tallyproof_server::now(),
            )
            .await?;
        anyhow::Ok(id)
    })?;
    if a.json {
        println!(
            "{}",
            serde_json::json!({"id": id, "name": a.name.trim(), "role": role.as_str(), "stations": a.stations, "token": token})
        );
    } else {
        let scope = if a.stations.is_empty() {
            "every station".to_string()
        } else {
            format!("stations starting with {}", a.stations.join(", "))
        };
        println!("{} {} (id {id}), {scope}", role.as_str(), a.name.trim());
        println!("token (shown once, keep it safe): {token}");
    }
    Ok(ExitCode::SUCCESS)
}
