//! `tallyproof`: tally sheets in, evidence out.
//!
//! The binary only parses arguments, draws progress, prints and maps
//! results to exit codes; the work is done by the library crates.
//!
//! Exit codes: 0 the command ran (findings, such as an impossible
//! announcement, are data, not failures); 1 `validate` quarantined sheets;
//! 2 bad usage or unreadable input.

mod cmd;
mod output;
mod progress;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Turn per-polling-station tally sheets into evidence: validated totals,
/// coverage, checks of announced results, forensics, and a signed public
/// record of every sheet.
#[derive(Parser)]
#[command(name = "tallyproof", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole pipeline on a built-in simulated election.
    Demo(cmd::demo::Args),
    /// Write a realistic simulated election (sheets, registry, config).
    Simulate(cmd::simulate::Args),
    /// Validate sheets and print totals and shares with coverage.
    Tabulate(cmd::tabulate::Args),
    /// Validate sheets: summary by rule, and the quarantine file.
    Validate(cmd::validate::Args),
    /// Check an authority's announced totals against the sheets: differences and feasibility.
    Reconcile(cmd::reconcile::Args),
    /// Forensic tests on the sheets, with Benjamini–Hochberg across the suite.
    Forensics(cmd::forensics::Args),
    /// How far the stations not in hand could move the result: worst case and projection.
    Robustness(cmd::robustness::Args),
    /// One self-contained HTML report: headline, regions, charts, forensics.
    Report(cmd::report::Args),
    /// List the validation rules with their codes and severities.
    Rules(cmd::rules::Args),
    /// Read tally-sheet images' QR codes into sheets with provenance.
    Scan(cmd::scan::Args),
    /// Compare two sources of sheets station by station.
    Crosscheck(cmd::crosscheck::Args),
    /// The signed, append-only Merkle log of every sheet: init, append,
    /// checkpoint, prove, consistency, verify, export.
    Log(cmd::log::Args),
    /// A public random sample of stations (Rivest's consistent sampler): commit, draw, verify.
    Sample(cmd::sample::Args),
    /// Quick count on a sample of stations: plan the size, estimate shares with intervals.
    Quickcount(cmd::quickcount::Args),
    /// Risk-limiting audits: plan, sample, record, assess (MACRO, ALPHA, BRAVO).
    Audit(cmd::audit::Args),
    /// The web service: public results, witnesses' double entry, review.
    Serve(cmd::serve::Args),
    /// Sheet files into the service's store, validated, as imports.
    Import(cmd::import::Args),
    /// Tokens for witnesses, reviewers and admins.
    Witness(cmd::witness::Args),
    /// The public site as static files: pages, JSON and the log's tiles.
    Export(cmd::export::Args),
}

fn main() -> ExitCode {
    quiet_on_broken_pipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(a) => cmd::demo::run(a),
        Command::Simulate(a) => cmd::simulate::run(a),
        Command::Tabulate(a) => cmd::tabulate::run(a),
        Command::Validate(a) => cmd::validate::run(a),
        Command::Reconcile(a) => cmd::reconcile::run(a),
        Command::Forensics(a) => cmd::forensics::run(a),
        Command::Robustness(a) => cmd::robustness::run(a),
        Command::Report(a) => cmd::report::run(a),
        Command::Rules(a) => cmd::rules::run(a),
        Command::Scan(a) => cmd::scan::run(a),
        Command::Crosscheck(a) => cmd::crosscheck::run(a),
        Command::Log(a) => cmd::log::run(a),
        Command::Sample(a) => cmd::sample::run(a),
        Command::Quickcount(a) => cmd::quickcount::run(a),
        Command::Audit(a) => cmd::audit::run(a),
        Command::Serve(a) => cmd::serve::run(a),
        Command::Import(a) => cmd::import::run(a),
        Command::Witness(a) => cmd::witness::run(a),
        Command::Export(a) => cmd::export::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", message(&e));
            ExitCode::from(2)
        }
    }
}

/// An error and its causes on one line, each cause once: a library error
/// that already prints its cause (a file name and the I/O error) does not
/// get it twice.
fn message(e: &anyhow::Error) -> String {
    let mut out = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !out.contains(&c) {
            out.push_str(": ");
            out.push_str(&c);
        }
    }
    out
}

/// `tallyproof … | head` closes the pipe early; printing then fails. That is
/// the reader's choice, not an error: end quietly as other tools do.
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}
