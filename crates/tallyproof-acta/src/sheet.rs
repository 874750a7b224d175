//! A decoded image as a tally sheet: the [`Sheet`] every other source
//! produces, validated by the same rules, and its JSON Lines record.
//!
//! - [`grouping`]: the party lines of each option, from the config's
//!   `lines`, for [`crate::Scanner::with_grouping`].
//! - [`sheet_of`]: a [`Decoded`] payload to a [`Sheet`]: the payload's
//!   station id, the counts per option of the config (the party lines
//!   summed through the config's `lines`), the valid votes (the lines'
//!   sum) and the null votes, and an [`Origin`] of kind
//!   [`SourceKind::Scan`] with the image's file name (never its path),
//!   SHA-256 and QR payload.
//! - [`validated`]: the sheet of every decoded image with its
//!   [`Verdict`] under [`tallyproof_core::sheet::validate`], so that a scan
//!   gets the rule codes of any other sheet.
//! - [`json_record`]: the sheet as one flat JSON object keyed by the
//!   config's column names, which the JSON Lines reader reads back with
//!   the same config.

use serde::Serialize;
use serde_json::{Map, Value};
use tallyproof_core::Config;
use tallyproof_core::sheet::{Counts, Origin, Sheet, SourceKind, Verdict, validate};

use crate::format::{LineGrouping, LineRef};
use crate::scan::{Decoded, ImageScan};

/// Why a config does not fit scanned sheets, or a decoded image does not
/// make a sheet under it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SheetError {
    /// Some options list party `lines` and this one lists none.
    #[error("option {0} lists no party `lines`")]
    NoLines(String),
    /// No option lists party `lines`, and the format's default grouping
    /// names an option the config does not have.
    #[error(
        "the config's options list no party `lines`, and the format's default grouping has option {0}, which the config does not"
    )]
    DefaultKeys(String),
    /// An option of the config has no count in the decoded payload: the
    /// scanner's grouping was not built from this config.
    #[error("{image}: the decoded sheet has no count for option {option}")]
    MissingOption {
        /// The image's file name.
        image: String,
        /// The option key.
        option: String,
    },
    /// The station id does not split into the config's id columns.
    #[error(
        "station id {station:?} has {parts} part(s) but the config's [station] id has {columns}"
    )]
    StationParts {
        /// The station id.
        station: String,
        /// Its parts, split on the config's separator.
        parts: usize,
        /// The config's id columns.
        columns: usize,
    },
    /// The station id, written into the config's id columns, does not
    /// read back as itself (a padding or prefix the id does not have).
    #[error("station id {station:?} reads back through the config's [station] id as {read:?}")]
    StationReadBack {
        /// The station id.
        station: String,
        /// What the config builds from the columns written.
        read: String,
    },
}

/// The party lines of each option of `cfg`, by card name, in config
/// order; `default` (the format's own grouping) when no option lists any
/// `lines` and every option of `default` is in the config.
pub fn grouping(cfg: &Config, default: LineGrouping) -> Result<LineGrouping, SheetError> {
    if cfg.options.iter().all(|o| o.lines.is_empty()) {
        if let Some((k, _)) = default
            .options
            .iter()
            .find(|(k, _)| cfg.option_index(k).is_none())
        {
            return Err(SheetError::DefaultKeys(k.clone()));
        }
        return Ok(default);
    }
    if let Some(o) = cfg.options.iter().find(|o| o.lines.is_empty()) {
        return Err(SheetError::NoLines(o.key.clone()));
    }
    Ok(LineGrouping {
        options: cfg
            .options
            .iter()
            .map(|o| {
                let lines = o.lines.iter().map(|l| LineRef::Name(l.clone())).collect();
                (o.key.clone(), lines)
            })
            .collect(),
    })
}

/// The sheet of one decoded image under `cfg`. Every option of the config
/// must have a count in `decoded` (the scanner's grouping is built from
/// the config's `lines`); valid votes are the sum of the party lines and
/// null votes the payload's. Registered voters, blank votes and ballots
/// are not on the QR code and stay `None`.
pub fn sheet_of(cfg: &Config, scan: &ImageScan, decoded: &Decoded) -> Result<Sheet, SheetError> {
    let mut counts = Counts::default();
    for o in &cfg.options {
        let count = decoded
            .options
            .iter()
            .find(|c| c.name == o.key)
            .ok_or_else(|| SheetError::MissingOption {
                image: scan.file_name.clone(),
                option: o.key.clone(),
            })?;
        counts.options.push(count.count);
    }
    counts.valid = decoded.payload.lines_total();
    counts.null = Some(decoded.payload.null_votes);
    let mut origin = Origin::new(SourceKind::Scan);
    origin.file = Some(scan.file_name.clone());
    origin.image_sha256 = scan.sha256.clone();
    origin.qr_payload = Some(decoded.raw_payload.clone());
    Ok(Sheet::new(
        decoded.payload.station_id.clone(),
        counts,
        origin,
    ))
}

/// One decoded image's sheet and its verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScannedSheet {
    /// Index of the image in the scans given to [`validated`].
    pub image: usize,
    /// The sheet.
    pub sheet: Sheet,
    /// Its verdict under the config.
    pub verdict: Verdict,
}

/// The sheet and verdict of every decoded image, in input order; images
/// that did not decode have none (their [`ImageScan`] says why).
pub fn validated(cfg: &Config, scans: &[ImageScan]) -> Result<Vec<ScannedSheet>, SheetError> {
    let mut out = Vec::new();
    for (i, s) in scans.iter().enumerate() {
        if let Ok(d) = s.result() {
            let sheet = sheet_of(cfg, s, d)?;
            let verdict = validate(cfg, &sheet);
            out.push(ScannedSheet {
                image: i,
                sheet,
                verdict,
            });
        }
    }
    Ok(out)
}

/// The sheet as one flat JSON object keyed by the config's columns, as
/// the JSON Lines reader reads it back with the same config: the station
/// id in its id column(s) (split on the separator when there are
/// several), each option's count in its (first) column, each other count
/// the config maps and the sheet carries in its (first) column, and the
/// provenance: `source` (the origin's kind), `image` (the file name),
/// `image_sha256` and `qr_payload`, where known.
pub fn json_record(cfg: &Config, sheet: &Sheet) -> Result<Map<String, Value>, SheetError> {
    let mut obj = Map::new();
    let ids = &cfg.station.id;
    let sep = cfg.station.separator.as_str();
    let parts: Vec<&str> = if ids.len() == 1 || sep.is_empty() {
        vec![sheet.station.as_str()]
    } else {
        sheet.station.split(sep).collect()
    };
    if parts.len() != ids.len() {
        return Err(SheetError::StationParts {
            station: sheet.station.clone(),
            parts: parts.len(),
            columns: ids.len(),
        });
    }
    let mut read = String::new();
    for (k, (part, spec)) in parts.iter().zip(ids).enumerate() {
        if k > 0 {
            read.push_str(sep);
        }
        spec.render(part, &mut read);
        obj.insert(spec.column().to_string(), Value::from(*part));
    }
    if read != sheet.station {
        return Err(SheetError::StationReadBack {
            station: sheet.station.clone(),
            read,
        });
    }
    for (o, count) in cfg.options.iter().zip(&sheet.counts.options) {
        let column = o
            .columns
            .as_ref()
            .and_then(|c| c.columns().first().cloned())
            .unwrap_or_else(|| o.key.clone());
        obj.insert(column, Value::from(*count));
    }
    let c = &cfg.columns;
    let specs = [
        &c.registered,
        &c.valid,
        &c.null,
        &c.blank,
        &c.ballots,
        &c.issued,
    ];
    for (spec, value) in specs.into_iter().zip(sheet.counts.extras()) {
        if let (Some(col), Some(v)) = (spec.as_ref().and_then(|s| s.columns().first()), value) {
            obj.insert(col.clone(), Value::from(v));
        }
    }
    let o = &sheet.origin;
    obj.insert("source".into(), Value::from(o.kind.as_str()));
    for (key, v) in [
        ("image", &o.file),
        ("image_sha256", &o.image_sha256),
        ("qr_payload", &o.qr_payload),
    ] {
        if let Some(v) = v {
            obj.insert(key.into(), Value::from(v.clone()));
        }
    }
    Ok(obj)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::PayloadFormat;
    use crate::scan::Outcome;
    use crate::ve2024::{VE2024_CARD_COUNT, Ve2024, ve2024_grouping};
    use tallyproof_core::rules::Rule;

    /// The crate's example payload: acta 240111028.01.1.0001, 38 cards, 0
    /// null votes.
    const RAW: &str = "240111028.01.1.0001!17,1,1,0,5,1,0,1,2,0,0,1,1,1,0,0,0,1,0,0,\
                       0,0,0,0,0,0,0,0,0,0,0,0,0,0,4,43,1,0!0!0";

    const KEYS: [&str; 10] = [
        "NM", "LM", "JABE", "JOBR", "AE", "CF", "DC", "EG", "EM", "BERA",
    ];

    fn config(station: &str, columns: &str) -> Config {
        let mut t =
            format!("[election]\nname = \"t\"\n[station]\n{station}\n[columns]\n{columns}\n");
        for k in KEYS {
            t.push_str(&format!(
                "[[options]]\nkey = \"{k}\"\ncolumns = \"col_{k}\"\n"
            ));
        }
        Config::from_toml(&t).unwrap()
    }

    fn qr_config() -> Config {
        config(
            "id = [{ column = \"Acta\", split = \".\", take = 2 }]\nseparator = \".\"",
            "valid = \"V\"\nnull = \"N\"",
        )
    }

    fn scan_of(raw: &str) -> ImageScan {
        let payload = Ve2024.parse(raw).unwrap();
        let grouping = grouping(&qr_config(), ve2024_grouping())
            .unwrap()
            .resolve(Ve2024.line_names(), VE2024_CARD_COUNT)
            .unwrap();
        let options = grouping.apply(&payload).unwrap();
        ImageScan {
            path: "/home/someone/actas/a1.jpg".into(),
            file_name: "a1.jpg".into(),
            sha256: Some("ab".repeat(32)),
            bytes: Some(1),
            dimensions: None,
            attempts: 1,
            outcome: Outcome::Decoded(Decoded {
                raw_payload: raw.into(),
                payload,
                options,
                variant: "test".into(),
            }),
        }
    }

    #[test]
    fn a_decoded_payload_is_a_sheet_with_its_provenance() {
        let cfg = qr_config();
        let scan = scan_of(RAW);
        let d = scan.result().unwrap();
        let sheet = sheet_of(&cfg, &scan, d).unwrap();
        assert_eq!(sheet.station, "240111028.01");
        // Cards 1-13 NM: 17+1+1+0+5+1+0+1+2+0+0+1+1 = 30; 14-19 LM:
        // 1+0+0+0+1+0 = 2; 20 JABE 0; 21-24 JOBR 0; 25-30 AE 0; 31 CF 0;
        // 32-33 DC 0; 34-36 EG 0+4+43 = 47; 37 EM 1; 38 BERA 0. Sum 80.
        assert_eq!(sheet.counts.options, [30, 2, 0, 0, 0, 0, 0, 47, 1, 0]);
        assert_eq!((sheet.counts.valid, sheet.counts.null), (Some(80), Some(0)));
        assert_eq!(sheet.counts.registered, None);
        assert_eq!(sheet.origin.kind, SourceKind::Scan);
        // The name, never the path.
        assert_eq!(sheet.origin.file.as_deref(), Some("a1.jpg"));
        assert_eq!(sheet.origin.qr_payload.as_deref(), Some(RAW));
        assert_eq!(sheet.origin.image_sha256, Some("ab".repeat(32)));
        assert_eq!(validate(&cfg, &sheet), Verdict::Accepted { flags: vec![] });

        let rec = json_record(&cfg, &sheet).unwrap();
        assert_eq!(rec["Acta"], "240111028.01");
        assert_eq!(rec["col_NM"], 30);
        assert_eq!(rec["col_EG"], 47);
        assert_eq!(rec["V"], 80);
        assert_eq!(rec["N"], 0);
        assert_eq!(rec["source"], "scan");
        assert_eq!(rec["image"], "a1.jpg");
        assert_eq!(rec["qr_payload"], RAW);
        // 10 options, Acta, V, N and 4 provenance fields.
        assert_eq!(rec.len(), 17);
        // The core reader reads the record back to the same numbers.
        let line = format!("{}\n", Value::Object(rec));
        let ds = tallyproof_core::read_bytes(
            &cfg,
            "s.jsonl",
            line.into_bytes(),
            None,
            &tallyproof_core::NoProgress,
        )
        .unwrap();
        assert_eq!((ds.sheets.len(), ds.quarantine.len()), (1, 0));
        assert_eq!(ds.sheets.station.get(0), "240111028.01");
        let votes: Vec<u32> = ds.sheets.votes.iter().map(|v| v[0]).collect();
        assert_eq!(votes, [30, 2, 0, 0, 0, 0, 0, 47, 1, 0]);
        assert_eq!(ds.sheets.valid.as_ref().map(|v| v[0]), Some(80));
    }

    #[test]
    fn a_scan_gets_the_rule_codes_of_any_sheet() {
        // A config that reads registered voters: the QR code has none, so
        // the sheet lacks a figure the config reads (E005).
        let cfg = config("id = [\"Acta\"]", "registered = \"R\"\nvalid = \"V\"");
        let scan = scan_of(RAW);
        let sheet = sheet_of(&cfg, &scan, scan.result().unwrap()).unwrap();
        let v = validate(&cfg, &sheet);
        assert!(!v.is_accepted());
        assert_eq!(v.reasons()[0].rule, Rule::CountEmpty);
        // 12 of 12 valid votes for NM (cards 1 and 13 hold 11 and 1):
        // W102 unanimous, accepted with the flag.
        let raw = "240111028.01.1.0001!11,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,\
                   0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0!2!0";
        let cfg = qr_config();
        let scans = [scan_of(raw)];
        let out = validated(&cfg, &scans).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].sheet.counts.options[0], 12);
        assert!(out[0].verdict.is_accepted());
        let codes: Vec<&str> = out[0]
            .verdict
            .reasons()
            .iter()
            .map(|r| r.rule.code())
            .collect();
        assert_eq!(codes, ["W102"]);
    }

    #[test]
    fn station_ids_split_into_the_config_columns_and_read_back() {
        let cfg = config(
            "id = [{ column = \"C\", pad = 9 }, { column = \"M\", pad = 2 }]\nseparator = \".\"",
            "",
        );
        let scan = scan_of(RAW);
        let sheet = sheet_of(&cfg, &scan, scan.result().unwrap()).unwrap();
        let rec = json_record(&cfg, &sheet).unwrap();
        assert_eq!((&rec["C"], &rec["M"]), (&"240111028".into(), &"01".into()));
        // No valid or null column in this config: neither is written.
        assert!(!rec.contains_key("V") && !rec.contains_key("N"));

        let three = config("id = [\"A\", \"B\", \"C\"]\nseparator = \".\"", "");
        assert_eq!(
            json_record(&three, &sheet),
            Err(SheetError::StationParts {
                station: "240111028.01".into(),
                parts: 2,
                columns: 3
            })
        );
        let prefix = config("id = [{ column = \"A\", prefix = 9 }]", "");
        assert_eq!(
            json_record(&prefix, &sheet),
            Err(SheetError::StationReadBack {
                station: "240111028.01".into(),
                read: "240111028".into()
            })
        );
    }

    #[test]
    fn the_grouping_comes_from_the_config() {
        let cfg = qr_config();
        // No option lists lines: the format's default.
        assert_eq!(grouping(&cfg, ve2024_grouping()), Ok(ve2024_grouping()));
        let two = Config::from_toml(
            "[election]\nname = \"t\"\n[station]\nid = [\"s\"]\n\
             [[options]]\nkey = \"EG\"\nlines = [\"UNTC\", \"MPV\"]\n\
             [[options]]\nkey = \"X\"\n",
        )
        .unwrap();
        assert_eq!(
            grouping(&two, ve2024_grouping()),
            Err(SheetError::NoLines("X".into()))
        );
        let other = Config::from_toml(
            "[election]\nname = \"t\"\n[station]\nid = [\"s\"]\n[[options]]\nkey = \"EG\"\n",
        )
        .unwrap();
        // The default's first option is EG, its second NM.
        assert_eq!(
            grouping(&other, ve2024_grouping()),
            Err(SheetError::DefaultKeys("NM".into()))
        );
        // A config with an option the scanner's grouping lacks.
        let scan = scan_of(RAW);
        let extra = Config::from_toml(
            "[election]\nname = \"t\"\n[station]\nid = [\"s\"]\n[[options]]\nkey = \"ZZ\"\n",
        )
        .unwrap();
        assert_eq!(
            sheet_of(&extra, &scan, scan.result().unwrap()),
            Err(SheetError::MissingOption {
                image: "a1.jpg".into(),
                option: "ZZ".into()
            })
        );
        let named = Config::from_toml(
            "[election]\nname = \"t\"\n[station]\nid = [\"s\"]\n\
             [[options]]\nkey = \"EG\"\nlines = [\"UNTC\", \"MPV\", \"MUD\"]\n",
        )
        .unwrap();
        let g = grouping(&named, ve2024_grouping()).unwrap();
        assert_eq!(
            g.options,
            [(
                "EG".to_string(),
                vec![
                    LineRef::Name("UNTC".into()),
                    LineRef::Name("MPV".into()),
                    LineRef::Name("MUD".into())
                ]
            )]
        );
    }
}
