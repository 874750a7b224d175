//! `tallyproof validate`: check every sheet, print the summary by rule, and
//! write the quarantine (every rejected sheet with its original fields and
//! reasons, re-importable once fixed).
//!
//! Exit code 1 when any sheet was quarantined, as a linter would; 0 when
//! all were accepted (warnings do not count).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use tallyproof_core::Dataset;
use tallyproof_core::quarantine;

use super::input::{Input, Loaded};
use crate::output::{Table, int};

/// Validate sheets.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    input: Input,
    /// Write every rejected sheet here (CSV: the reasons, then the original fields).
    #[arg(long, value_name = "OUT.csv")]
    quarantine: Option<PathBuf>,
    /// How many rejected sheets to list on screen.
    #[arg(long, default_value_t = 20)]
    show: usize,
    /// Print JSON instead of tables (every rejected sheet included).
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Loaded { config, data, .. } = args.input.load()?;
    if let Some(path) = &args.quarantine {
        let f =
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        quarantine::write(&config, &data, std::io::BufWriter::new(f))
            .with_context(|| format!("writing {}", path.display()))?;
        if quarantine::encoding_of(&data) != "utf-8" {
            eprintln!(
                "note: {} is written in {}, the input's encoding: read it back with the same config",
                path.display(),
                quarantine::encoding_of(&data)
            );
        }
    }
    if args.json {
        let q: Vec<_> = data
            .quarantine
            .iter()
            .map(|q| {
                serde_json::json!({
                    "file": data.files.get(q.source.file as usize).map(|f| f.path.clone()),
                    "line": q.source.line,
                    "station": q.station,
                    "reasons": q.reasons,
                    "record": q.record,
                    "more": q.more,
                })
            })
            .collect();
        let flags: Vec<_> = data
            .flags
            .iter()
            .map(|f| {
                let src = &data.sheets.source[f.sheet];
                serde_json::json!({
                    "file": data.files.get(src.file as usize).map(|f| f.path.clone()),
                    "line": src.line,
                    "station": data.sheets.station.get(f.sheet),
                    "reason": f.reason,
                })
            })
            .collect();
        let v = serde_json::json!({
            "files": data.files,
            "summary": data.summary(),
            "quarantine": q,
            "warnings": flags,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", render(&data, args.show));
        if let Some(p) = &args.quarantine {
            println!("quarantine written to {}", p.display());
        }
    }
    Ok(if data.quarantine.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The validation summary for people.
pub fn render(data: &Dataset, show: usize) -> String {
    let s = data.summary();
    let mut out = format!(
        "{} rows read: {} accepted, {} quarantined, {} listed without a sheet, {} identical copies merged\n",
        int(s.rows_read),
        int(s.accepted),
        int(s.quarantined),
        int(s.missing),
        int(s.merged)
    );
    if s.other_contests > 0 {
        out.push_str(&format!(
            "{} rows of other contests left out by [input] where (not validated)\n",
            int(s.other_contests)
        ));
    }
    if !s.by_rule.is_empty() {
        let mut t = Table::new(["code", "rule", "severity", "sheets"]);
        for r in &s.by_rule {
            t.row([
                r.rule.code().to_string(),
                r.rule.slug().to_string(),
                r.severity.as_str().to_string(),
                int(r.sheets),
            ]);
        }
        out.push('\n');
        out.push_str(&t.render());
    }
    if !data.quarantine.is_empty() && show > 0 {
        out.push_str("\nquarantined:\n");
        for q in data.quarantine.iter().take(show) {
            let station = q.station.as_deref().unwrap_or("(no station id)");
            for r in &q.reasons {
                out.push_str(&format!(
                    "  {} station {}: {} {}: {}\n",
                    data.locate(&q.source),
                    station,
                    r.rule.code(),
                    r.rule.slug(),
                    r.message
                ));
            }
        }
        if data.quarantine.len() > show {
            out.push_str(&format!(
                "  … and {} more (--quarantine OUT.csv writes them all)\n",
                int((data.quarantine.len() - show) as u64)
            ));
        }
    }
    out
}
