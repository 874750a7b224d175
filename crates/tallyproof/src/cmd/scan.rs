//! `tallyproof scan`: read the QR code of each tally-sheet image and turn
//! it into a sheet with provenance.
//!
//! ```text
//! tallyproof scan --config C IMAGE_OR_DIR... [--json] [--out sheets.jsonl]
//! ```
//!
//! Each image is hashed (SHA-256), its QR code decoded and parsed with the
//! payload format (`--format`, default `ve2024`), and the party lines are
//! summed into the config's options through each option's `lines`.
//! Directories are searched recursively for `.jpg`, `.jpeg` and `.png`
//! files; a file named on the command line is always scanned, so a
//! non-image is reported, not skipped. Every image is listed: decoded, or
//! failed with a reason code (`not-an-image`, `corrupt`, `too-large`,
//! `no-qr-found`, `foreign-payload`, `malformed-payload`,
//! `counts-dont-add-up`, `unreadable`, `decoder-crashed`).
//!
//! Each decoded image becomes a sheet (`tallyproof_acta::sheet`) and is
//! validated by the rules every sheet goes through
//! (`tallyproof_core::sheet::validate`): the `sheet` column says
//! `accepted`, `accepted` with its warnings (`W102`), or `rejected` with
//! its error codes.
//!
//! `--out FILE` writes one JSON object per decoded sheet, accepted or not
//! (JSON Lines), keyed by the config's column names so that the other
//! subcommands read it back (and quarantine a rejected one with the same
//! codes): the station-id columns, each option's column, the valid and
//! null columns where the config maps them, and the provenance fields
//! `source` (`scan`), `image` (the image's file name, not its path),
//! `image_sha256` and `qr_payload`.
//!
//! `--json` prints every image's result, every sheet with its verdict,
//! and the summary as one JSON document. Exit code 0 when every image gave
//! an accepted sheet, 1 when any image failed or any sheet was rejected,
//! 2 on bad usage or an unreadable config.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde::Serialize;
use tallyproof_acta::sheet::{ScannedSheet, grouping, json_record, validated};
use tallyproof_acta::ve2024::{VE2024_CARD_COUNT, ve2024_grouping};
use tallyproof_acta::{ImageScan, Scanner, Summary, Ve2024, list_images};
use tallyproof_core::Config;
use tallyproof_core::sheet::Verdict;

use crate::output::{Table, int};
use crate::progress::Bar;

/// Read tally-sheet images' QR codes into sheets.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The election config (TOML): options with their party `lines`, and
    /// the column names used in `--out`.
    #[arg(long, short = 'c', value_name = "CONFIG")]
    config: PathBuf,
    /// Image files or directories of images.
    #[arg(required = true, value_name = "IMAGE_OR_DIR")]
    inputs: Vec<PathBuf>,
    /// The QR payload format.
    #[arg(long, default_value = "ve2024", value_parser = ["ve2024"])]
    format: String,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
    /// Write the decoded sheets as JSON Lines to this file.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let config = Config::from_path(&args.config)?;
    let lines = || format!("the party lines in {}", args.config.display());
    let grouping = grouping(&config, ve2024_grouping()).with_context(lines)?;
    let scanner = Scanner::new(Ve2024)
        .with_grouping(&grouping, VE2024_CARD_COUNT)
        .with_context(lines)?;
    let files = list_images(&args.inputs);
    let bar = args
        .inputs
        .iter()
        .any(|p| p.is_dir())
        .then(|| Bar::items(files.len() as u64, "images"));
    let scans = scanner.scan_files(&files, |_| {
        if let Some(b) = &bar {
            b.inc(1);
        }
    });
    if let Some(b) = &bar {
        b.finish();
    }
    let summary = Summary::of(&scans);
    let sheets = validated(&config, &scans)
        .with_context(|| format!("the options of {}", args.config.display()))?;
    let accepted = sheets.iter().filter(|s| s.verdict.is_accepted()).count();
    if let Some(out) = &args.out {
        write_jsonl(&config, &sheets, out)?;
    }
    if args.json {
        let v = serde_json::json!({
            "format": scanner.format_name(),
            "images": scans,
            "sheets": sheets.iter().map(|s| SheetRow {
                image: &scans[s.image].file_name,
                station: &s.sheet.station,
                verdict: &s.verdict,
            }).collect::<Vec<_>>(),
            "summary": summary,
            "accepted": accepted,
            "rejected": sheets.len() - accepted,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", render(&scans, &sheets, &summary));
    }
    Ok(
        if summary.decoded == summary.images && accepted == sheets.len() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        },
    )
}

/// One sheet's verdict in `--json`: `{"image", "station", "verdict":
/// "accepted", "flags": [...]}` or `"rejected", "reasons": [...]`.
#[derive(Serialize)]
struct SheetRow<'a> {
    image: &'a str,
    station: &'a str,
    #[serde(flatten)]
    verdict: &'a Verdict,
}

/// `accepted`, `accepted: W102`, `rejected: E006 E008`.
fn verdict(s: &ScannedSheet) -> String {
    let codes: Vec<&str> = s.verdict.reasons().iter().map(|r| r.rule.code()).collect();
    let word = if s.verdict.is_accepted() {
        "accepted"
    } else {
        "rejected"
    };
    if codes.is_empty() {
        word.to_string()
    } else {
        format!("{word}: {}", codes.join(" "))
    }
}

fn render(scans: &[ImageScan], sheets: &[ScannedSheet], summary: &Summary) -> String {
    let mut out = String::new();
    let mut t = Table::new(["image", "station", "valid", "null", "result", "sheet"]);
    let mut by_image = vec![None; scans.len()];
    for x in sheets {
        by_image[x.image] = Some(x);
    }
    for (s, x) in scans.iter().zip(by_image) {
        match (s.result(), x) {
            (Ok(_), Some(x)) => t.row([
                s.file_name.clone(),
                x.sheet.station.clone(),
                x.sheet.counts.valid.map_or_else(String::new, int),
                x.sheet.counts.null.map_or_else(String::new, int),
                "decoded".to_string(),
                verdict(x),
            ]),
            (r, _) => t.row([
                s.file_name.clone(),
                String::new(),
                String::new(),
                String::new(),
                r.err()
                    .map_or_else(String::new, |f| format!("{}: {}", f.reason, f.detail)),
                String::new(),
            ]),
        }
    }
    out.push_str(&t.render());
    let accepted = sheets.iter().filter(|s| s.verdict.is_accepted()).count();
    out.push_str(&format!(
        "\n{} images: {} decoded, {} failed\n{} sheets: {} accepted, {} rejected\n",
        int(summary.images as u64),
        int(summary.decoded as u64),
        int((summary.images - summary.decoded) as u64),
        int(sheets.len() as u64),
        int(accepted as u64),
        int((sheets.len() - accepted) as u64)
    ));
    for (reason, n) in &summary.failed {
        out.push_str(&format!("  {reason}: {}\n", int(*n as u64)));
    }
    out
}

fn write_jsonl(config: &Config, sheets: &[ScannedSheet], out: &PathBuf) -> Result<()> {
    let file = std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let mut w = std::io::BufWriter::new(file);
    for s in sheets {
        serde_json::to_writer(&mut w, &json_record(config, &s.sheet)?)?;
        w.write_all(b"\n")?;
    }
    w.flush()
        .with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}
