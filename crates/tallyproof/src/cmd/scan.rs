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
//! `--out FILE` writes one JSON object per decoded sheet (JSON Lines),
//! keyed by the config's column names so that the other subcommands read
//! it back: the station-id columns, each option's column, the valid and
//! null columns, and the provenance fields `source` (`scan`), `image`,
//! `image_sha256` and `qr_payload`.
//!
//! `--json` prints every image's result and the summary as one JSON
//! document. Exit code 0 when every image gave a sheet, 1 when any image
//! failed, 2 on bad usage or an unreadable config.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};
use tallyproof_acta::ve2024::{VE2024_CARD_COUNT, ve2024_grouping};
use tallyproof_acta::{
    Decoded, ImageScan, LineGrouping, LineRef, Scanner, Summary, Ve2024, list_images,
};
use tallyproof_core::Config;

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
    let grouping = grouping(&config)?;
    let scanner = Scanner::new(Ve2024)
        .with_grouping(&grouping, VE2024_CARD_COUNT)
        .with_context(|| format!("the party lines in {}", args.config.display()))?;
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
    if let Some(out) = &args.out {
        write_jsonl(&config, &scans, out)?;
    }
    if args.json {
        let v = serde_json::json!({
            "format": scanner.format_name(),
            "images": scans,
            "summary": summary,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", render(&scans, &summary));
    }
    Ok(if summary.decoded == summary.images {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Party lines per option from the config; the Venezuela 2024 default
/// when no option lists any.
fn grouping(config: &Config) -> Result<LineGrouping> {
    if config.options.iter().all(|o| o.lines.is_empty()) {
        let default = ve2024_grouping();
        let keys = config.option_keys();
        if default.options.iter().any(|(k, _)| !keys.contains(k)) {
            bail!(
                "the config's options list no party `lines`, and its keys are not the Venezuela 2024 ones"
            );
        }
        return Ok(default);
    }
    if let Some(o) = config.options.iter().find(|o| o.lines.is_empty()) {
        bail!("option {} lists no party `lines`", o.key);
    }
    Ok(LineGrouping {
        options: config
            .options
            .iter()
            .map(|o| {
                (
                    o.key.clone(),
                    o.lines.iter().map(|l| LineRef::Name(l.clone())).collect(),
                )
            })
            .collect(),
    })
}

fn render(scans: &[ImageScan], summary: &Summary) -> String {
    let mut out = String::new();
    let mut t = Table::new(["image", "station", "valid", "null", "result"]);
    for s in scans {
        match s.result() {
            Ok(d) => t.row([
                s.file_name.clone(),
                d.payload.station_id.clone(),
                d.payload.lines_total().map_or_else(String::new, int),
                int(d.payload.null_votes),
                "decoded".to_string(),
            ]),
            Err(f) => t.row([
                s.file_name.clone(),
                String::new(),
                String::new(),
                String::new(),
                format!("{}: {}", f.reason, f.detail),
            ]),
        }
    }
    out.push_str(&t.render());
    out.push_str(&format!(
        "\n{} images: {} decoded, {} failed\n",
        int(summary.images as u64),
        int(summary.decoded as u64),
        int((summary.images - summary.decoded) as u64)
    ));
    for (reason, n) in &summary.failed {
        out.push_str(&format!("  {reason}: {}\n", int(*n as u64)));
    }
    out
}

/// One flat JSON object per decoded sheet, keyed by the config's columns.
fn sheet_object(config: &Config, scan: &ImageScan, d: &Decoded) -> Result<Map<String, Value>> {
    let mut obj = Map::new();
    let sep = config.station.separator.as_str();
    // A config whose station id is cut from one column (the acta code, say)
    // gets the sheet's own code in that column when it renders to the
    // station id; otherwise the station id is split into the id's columns.
    if let [only] = config.station.id.as_slice() {
        let mut rendered = String::new();
        only.render(&d.payload.sheet_code, &mut rendered);
        let value = if rendered == d.payload.station_id {
            d.payload.sheet_code.as_str()
        } else {
            d.payload.station_id.as_str()
        };
        obj.insert(only.column().to_string(), Value::from(value));
    } else {
        let parts: Vec<&str> = if sep.is_empty() {
            vec![d.payload.station_id.as_str()]
        } else {
            d.payload.station_id.split(sep).collect()
        };
        if parts.len() != config.station.id.len() {
            bail!(
                "{}: station id {:?} has {} part(s) but the config's [station] id has {}",
                scan.path,
                d.payload.station_id,
                parts.len(),
                config.station.id.len()
            );
        }
        for (part, spec) in parts.iter().zip(&config.station.id) {
            obj.insert(spec.column().to_string(), Value::from(*part));
        }
    }
    for o in &config.options {
        let count = d
            .options
            .iter()
            .find(|c| c.name == o.key)
            .map_or(0, |c| c.count);
        let column = o
            .columns
            .as_ref()
            .and_then(|c| c.columns().first().cloned())
            .unwrap_or_else(|| o.key.clone());
        obj.insert(column, Value::from(count));
    }
    if let Some(col) = config
        .columns
        .valid
        .as_ref()
        .and_then(|c| c.columns().first())
    {
        obj.insert(
            col.clone(),
            Value::from(d.payload.lines_total().unwrap_or(0)),
        );
    }
    if let Some(col) = config
        .columns
        .null
        .as_ref()
        .and_then(|c| c.columns().first())
    {
        obj.insert(col.clone(), Value::from(d.payload.null_votes));
    }
    obj.insert("source".into(), Value::from("scan"));
    obj.insert("image".into(), Value::from(scan.path.clone()));
    obj.insert(
        "image_sha256".into(),
        Value::from(scan.sha256.clone().unwrap_or_default()),
    );
    obj.insert("qr_payload".into(), Value::from(d.raw_payload.clone()));
    Ok(obj)
}

fn write_jsonl(config: &Config, scans: &[ImageScan], out: &PathBuf) -> Result<()> {
    let file = std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let mut w = std::io::BufWriter::new(file);
    for s in scans {
        if let Ok(d) = s.result() {
            let obj = sheet_object(config, s, d)?;
            serde_json::to_writer(&mut w, &obj)?;
            w.write_all(b"\n")?;
        }
    }
    w.flush()
        .with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}
