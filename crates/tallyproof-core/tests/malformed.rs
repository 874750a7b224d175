//! The malformed-input corpus (`tests/malformed/` at the repository root):
//! every file gives its documented error or quarantine entries, and no
//! valid row is lost: rows read = accepted + quarantined + listed without a
//! sheet + merged.
//!
//! Each file is read with `corpus.toml`, or with the config of the same
//! name beside it (`empty_id_part.csv` with `empty_id_part.toml`); and read
//! twice, as usual and streamed in tiny blocks, with the same outcome.

use std::path::{Path, PathBuf};

use tallyproof_core::inputs::sheet_files;
use tallyproof_core::{Config, NoProgress, Rule, read_files, read_files_in_blocks};

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/malformed")
}

enum Expect {
    /// accepted, listed without sheet, merged, quarantined (line, codes), warnings (codes)
    Read {
        accepted: usize,
        missing: usize,
        merged: usize,
        quarantined: &'static [(u64, &'static [&'static str])],
        warnings: &'static [&'static str],
    },
    /// The whole file is refused with a message containing this text.
    Refused(&'static str),
}

use Expect::*;

const fn ok(accepted: usize, quarantined: &'static [(u64, &'static [&'static str])]) -> Expect {
    Read {
        accepted,
        missing: 0,
        merged: 0,
        quarantined,
        warnings: &[],
    }
}

const CASES: &[(&str, Expect)] = &[
    ("ok.csv", ok(5, &[])),
    ("truncated_row.csv", ok(5, &[(4, &["E001"])])),
    ("text_in_count.csv", ok(5, &[(3, &["E003"])])),
    ("negative_count.csv", ok(5, &[(7, &["E004"])])),
    ("wrong_delimiter.csv", Refused("no column \"station\"")),
    (
        "conflicting_duplicate.csv",
        ok(4, &[(3, &["E009"]), (7, &["E009"])]),
    ),
    (
        "identical_duplicate.csv",
        Read {
            accepted: 5,
            missing: 0,
            merged: 1,
            quarantined: &[],
            warnings: &["W103"],
        },
    ),
    ("bom.csv", ok(5, &[])),
    ("latin1_names.csv", ok(5, &[])),
    ("cr_only.csv", ok(5, &[(4, &["E003"])])),
    ("crlf.csv", ok(5, &[(4, &["E003"])])),
    ("empty.csv", Refused("the file is empty")),
    ("header_only.csv", ok(0, &[])),
    (
        "missing_column.csv",
        Refused("no column \"B\" (for option B)"),
    ),
    ("absurdly_long_field.csv", ok(5, &[(5, &["E012"])])),
    ("options_do_not_sum.csv", ok(5, &[(7, &["E006"])])),
    ("ballots_over_registered.csv", ok(5, &[(7, &["E008"])])),
    ("ballots_mismatch.csv", ok(5, &[(7, &["E007"])])),
    (
        "empty_counts_sheet_missing.csv",
        Read {
            accepted: 5,
            missing: 2,
            merged: 0,
            quarantined: &[],
            warnings: &[],
        },
    ),
    ("partly_empty_counts.csv", ok(5, &[(7, &["E005"])])),
    ("extra_fields.csv", ok(5, &[(3, &["E001"])])),
    ("quoted_newline.csv", ok(6, &[(9, &["E003"])])),
    ("missing_station_id.csv", ok(5, &[(7, &["E002"])])),
    ("decimal_count.csv", ok(5, &[(7, &["E003"])])),
    ("thousands_separator.csv", ok(5, &[(7, &["E003"])])),
    ("huge_number.csv", ok(5, &[(7, &["E003"])])),
    (
        "full_turnout.csv",
        Read {
            accepted: 6,
            missing: 0,
            merged: 0,
            quarantined: &[],
            warnings: &["W101"],
        },
    ),
    (
        "unanimous.csv",
        Read {
            accepted: 6,
            missing: 0,
            merged: 0,
            quarantined: &[],
            warnings: &["W102"],
        },
    ),
    ("whitespace_and_blank_lines.csv", ok(5, &[])),
    ("sheets.csv.gz", ok(5, &[])),
    (
        "truncated.csv.gz",
        Refused("gzip data is corrupt or truncated"),
    ),
    (
        "binary_garbage.csv",
        Refused("binary data, not delimited text"),
    ),
    ("sheets.jsonl", ok(5, &[(3, &["E001"]), (7, &["E004"])])),
    ("quote_never_closed.csv", ok(6, &[(7, &["E001"])])),
    ("bom_forced_1252.csv", ok(5, &[])),
    // A directory: its sheet files in name order (notes.txt left out).
    ("directory", ok(5, &[])),
    (
        "directory_without_sheets",
        Refused("a directory with no sheet file in it"),
    ),
    (
        "empty_id_part.csv",
        ok(3, &[(5, &["E002"]), (6, &["E002"]), (7, &["E002"])]),
    ),
    // Refused from the first MiB of text: a gzip file is decompressed only
    // that far (the test `bad_starts_are_refused_from_the_first_megabyte`
    // has the plain cases).
    (
        "no_line_end.csv.gz",
        Refused("no line end in the first 1 MiB"),
    ),
    ("zeros.csv.gz", Refused("a NUL byte at byte offset 0")),
    (
        "empty_id_part_long.csv",
        ok(2, &[(8, &["E002"]), (9, &["E002"]), (10, &["E002"])]),
    ),
];

/// Files read with a warning about the file as a whole: (file, text of
/// the warning). Every other file is read without one.
const FILE_WARNINGS: &[(&str, &str)] = &[(
    "bom_forced_1252.csv",
    "starts with a UTF-8 byte-order mark but [input] encoding = \"windows-1252\" is set",
)];

/// The config a corpus file is read with.
fn config_for(path: &Path) -> Config {
    let own = path.with_extension("toml");
    let cfg = if own.exists() {
        own
    } else {
        corpus().join("corpus.toml")
    };
    Config::from_path(&cfg).unwrap()
}

#[test]
fn corpus_is_large_enough() {
    let files = std::fs::read_dir(corpus())
        .unwrap()
        .filter(|e| {
            let p = e.as_ref().unwrap().path();
            p.extension().is_none_or(|x| x != "toml")
        })
        .count();
    assert!(files >= 25, "{files} files");
    assert_eq!(files, CASES.len(), "every corpus file has an expectation");
}

#[test]
fn every_malformed_file_gives_its_documented_outcome() {
    let mut failures = Vec::new();
    for (name, expect) in CASES {
        let path = corpus().join(name);
        let cfg = config_for(&path);
        for block in [None, Some(16)] {
            // As the CLI reads its arguments: a directory is expanded.
            let got = sheet_files(&[&path], &[]).and_then(|files| match block {
                None => read_files(&cfg, &files, None, &NoProgress),
                Some(b) => read_files_in_blocks(&cfg, &files, None, &NoProgress, b),
            });
            let name = match block {
                None => name.to_string(),
                Some(b) => format!("{name} (in blocks of {b} bytes)"),
            };
            check(&name, expect, got, &mut failures);
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Compare one reading of a corpus file with its expected outcome.
fn check(
    name: &str,
    expect: &Expect,
    got: Result<tallyproof_core::Dataset, tallyproof_core::Error>,
    failures: &mut Vec<String>,
) {
    {
        let file = name.split(' ').next().unwrap_or(name);
        match (expect, got) {
            (Refused(msg), Err(e)) => {
                let e = e.to_string();
                if !e.contains(msg) || !e.contains(file) {
                    failures.push(format!(
                        "{name}: error {e:?} should name the file and say {msg:?}"
                    ));
                }
            }
            (Refused(msg), Ok(_)) => {
                failures.push(format!("{name}: read, expected refusal {msg:?}"))
            }
            (Read { .. }, Err(e)) => failures.push(format!("{name}: refused: {e}")),
            (
                Read {
                    accepted,
                    missing,
                    merged,
                    quarantined,
                    warnings,
                },
                Ok(ds),
            ) => {
                let s = ds.summary();
                if s.rows_read != s.accepted + s.quarantined + s.missing + s.merged {
                    failures.push(format!("{name}: rows lost: {s:?}"));
                }
                if (ds.sheets.len(), ds.missing.len(), s.merged as usize)
                    != (*accepted, *missing, *merged)
                {
                    failures.push(format!(
                        "{name}: accepted/missing/merged {}/{}/{}, expected {accepted}/{missing}/{merged}",
                        ds.sheets.len(),
                        ds.missing.len(),
                        s.merged
                    ));
                }
                let got: Vec<(u64, Vec<&str>)> = ds
                    .quarantine
                    .iter()
                    .map(|q| {
                        (
                            q.source.line,
                            q.reasons.iter().map(|r| r.rule.code()).collect(),
                        )
                    })
                    .collect();
                let want: Vec<(u64, Vec<&str>)> =
                    quarantined.iter().map(|(l, c)| (*l, c.to_vec())).collect();
                if got != want {
                    failures.push(format!("{name}: quarantine {got:?}, expected {want:?}"));
                }
                for q in &ds.quarantine {
                    if q.reasons.iter().any(|r| r.message.is_empty()) || q.record.is_empty() {
                        failures.push(format!("{name}: entry without message or record: {q:?}"));
                    }
                }
                let file_warnings: Vec<&String> =
                    ds.files.iter().flat_map(|f| &f.warnings).collect();
                let want = FILE_WARNINGS.iter().find(|(f, _)| *f == file);
                let fine = match want {
                    Some((_, w)) => file_warnings.len() == 1 && file_warnings[0].contains(w),
                    None => file_warnings.is_empty(),
                };
                if !fine {
                    failures.push(format!(
                        "{name}: file warnings {file_warnings:?}, expected {want:?}"
                    ));
                }
                let flags: Vec<&str> = ds.flags.iter().map(|f| f.reason.rule.code()).collect();
                if flags != *warnings {
                    failures.push(format!("{name}: warnings {flags:?}, expected {warnings:?}"));
                }
            }
        }
    }
}

#[test]
fn an_empty_part_of_a_station_id_is_named() {
    for name in ["empty_id_part.csv", "empty_id_part_long.csv"] {
        let path = corpus().join(name);
        let ds = read_files(&config_for(&path), &[&path], None, &NoProgress).unwrap();
        let messages: Vec<&str> = ds
            .quarantine
            .iter()
            .map(|q| q.reasons[0].message.as_str())
            .collect();
        let centro =
            "the station id column \"CENTRO\" is empty (the id is built from CENTRO, MESA)";
        let mesa = "the station id column \"MESA\" is empty (the id is built from CENTRO, MESA)";
        let want: &[&str] = if name.contains("long") {
            &[centro, centro, centro]
        } else {
            &[centro, centro, mesa]
        };
        assert_eq!(messages, want, "{name}");
        // No sheet of a padded empty centre ("000000000.01").
        assert!(
            (0..ds.sheets.len()).all(|i| !ds.sheets.station.get(i).starts_with("000000000")),
            "{name}"
        );
        assert!(ds.quarantine.iter().all(|q| q.station.is_none()), "{name}");
    }
}

#[test]
fn latin1_names_are_decoded() {
    let cfg = Config::from_path(&corpus().join("corpus.toml")).unwrap();
    let ds = read_files(
        &cfg,
        &[corpus().join("latin1_names.csv")],
        None,
        &NoProgress,
    )
    .unwrap();
    assert!(
        ds.units[0].names.iter().any(|n| n == "Región Andina"),
        "{:?}",
        ds.units[0].names
    );
    assert_eq!(ds.files[0].encoding, "windows-1252");
}

#[test]
fn quarantine_file_reimports_once_fixed() {
    let cfg = Config::from_path(&corpus().join("corpus.toml")).unwrap();
    let ds = read_files(
        &cfg,
        &[corpus().join("text_in_count.csv")],
        None,
        &NoProgress,
    )
    .unwrap();
    let mut buf = Vec::new();
    tallyproof_core::quarantine::write_csv(&ds, &mut buf).unwrap();
    let text = String::from_utf8(buf).unwrap();
    assert!(text.contains("E003"), "{text}");
    // The person fixes the typo "1OO" -> "100" and reads the file back.
    let fixed = text.replace("1OO", "100");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("fixed.csv");
    std::fs::write(&p, fixed).unwrap();
    let again = read_files(&cfg, &[&p], None, &NoProgress).unwrap();
    assert_eq!(again.sheets.len(), 1);
    assert!(again.quarantine.is_empty());
    assert_eq!(again.sheets.station.get(0), "S006");
    assert!(Rule::from_name("E003").is_some());
}

#[test]
fn bad_starts_are_refused_from_the_first_megabyte() {
    let cfg = config_for(&corpus().join("ok.csv"));
    let dir = tempfile::tempdir().unwrap();
    let header = b"station,region,region_name,registered,ballots,null,valid,A,B,C";
    let long_line = [&header[..], &b",x".repeat(1 << 20)].concat();
    let mut nul_late = b"station,A\n".repeat(100_000); // 1,000,000 bytes
    nul_late.extend_from_slice(b"S1,\0\n");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "long.csv",
            long_line.clone(),
            "no line end in the first 1 MiB",
        ),
        ("zeros.csv", vec![0; 3 << 20], "a NUL byte at byte offset 0"),
        ("utf16.csv", b"\xFF\xFEs\0t\0".to_vec(), "UTF-16 text"),
        (
            "nul_late.csv",
            nul_late,
            "a NUL byte at byte offset 1000003",
        ),
        // A quote never closed in the header: a record over the limit.
        (
            "quoted.csv",
            [&b"station,\"A\n"[..], &b"x\n".repeat(600_000)].concat(),
            "the header record is over 1 MiB",
        ),
    ];
    for (name, bytes, want) in &cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        for block in [1 << 20, 16] {
            let e = read_files_in_blocks(&cfg, &[&p], None, &NoProgress, block)
                .unwrap_err()
                .to_string();
            assert!(e.contains(want) && e.contains(name), "{name}: {e}");
            // The error never carries the bad line itself.
            assert!(e.len() < 600, "{name}: {} bytes of error", e.len());
        }
        let e = tallyproof_core::read_bytes(&cfg, name, bytes.clone(), None, &NoProgress)
            .unwrap_err()
            .to_string();
        assert!(e.contains(want), "{name} in memory: {e}");
    }
    // Under the limit, a long header line is read (and a missing column
    // named with the header's names cut short).
    let p = dir.path().join("wide.csv");
    std::fs::write(
        &p,
        [&b"station"[..], &b",x".repeat(100_000), b"\nS1\n"].concat(),
    )
    .unwrap();
    let e = read_files(&cfg, &[&p], None, &NoProgress)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no column \"region\"") && e.contains("(100001 columns in all)"),
        "{e}"
    );
    assert!(e.len() < 1000, "{} bytes of error", e.len());
}

#[test]
fn a_forced_windows_1252_on_utf8_says_the_names_are_garbled() {
    let path = corpus().join("bom_forced_1252.csv");
    let ds = read_files(&config_for(&path), &[&path], None, &NoProgress).unwrap();
    // Read as asked: "é" (UTF-8 C3 A9) is two Windows-1252 letters, "Ã©".
    assert_eq!(ds.files[0].encoding, "windows-1252");
    assert!(
        ds.units[0].names.iter().any(|n| n == "RegiÃ³n Andina"),
        "{:?}",
        ds.units[0].names
    );
    assert_eq!(
        ds.files[0].header[0], "station",
        "the BOM is not part of a name"
    );
    let w = &ds.files[0].warnings;
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("(\"Región\" reads as \"RegiÃ³n\")"),
        "{}",
        w[0]
    );
    assert!(
        w[0].contains("set encoding = \"utf-8\" or \"auto\""),
        "{}",
        w[0]
    );
    // The same file without the BOM, valid UTF-8: the same warning's reason
    // is the letters; under "auto" no warning and the names are right.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("no_bom.csv");
    std::fs::write(&p, &std::fs::read(&path).unwrap()[3..]).unwrap();
    let ds = read_files(&config_for(&path), &[&p], None, &NoProgress).unwrap();
    assert!(ds.files[0].warnings[0].contains("is valid UTF-8 with letters outside ASCII"));
    let ds = read_files(
        &config_for(&corpus().join("ok.csv")),
        &[&path],
        None,
        &NoProgress,
    )
    .unwrap();
    assert!(ds.files[0].warnings.is_empty());
    assert!(ds.units[0].names.iter().any(|n| n == "Región Andina"));
    // A real Windows-1252 file under the forced encoding: no warning.
    let p = corpus().join("latin1_names.csv");
    let ds = read_files(&config_for(&path), &[&p], None, &NoProgress).unwrap();
    assert!(
        ds.files[0].warnings.is_empty(),
        "{:?}",
        ds.files[0].warnings
    );
}

#[test]
fn a_directory_reads_as_its_sheet_files_in_name_order() {
    let dir = corpus().join("directory");
    let files = sheet_files(&[&dir], &[]).unwrap();
    let ds = read_files(&config_for(&dir), &files, None, &NoProgress).unwrap();
    let names: Vec<&str> = ds
        .files
        .iter()
        .map(|f| f.path.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(names, ["1_north.csv", "2_south.csv"]);
    // S001 and S002 from the first file, S003 to S005 from the second.
    let rows: Vec<u64> = ds.files.iter().map(|f| f.rows).collect();
    assert_eq!(rows, [2, 3]);
    let stations: Vec<&str> = ds.sheets.station.iter().collect();
    assert_eq!(stations, ["S001", "S002", "S003", "S004", "S005"]);
}
