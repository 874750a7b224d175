//! `tallyproof scan` and `tallyproof crosscheck` on the real Venezuelan
//! 2024 data. Run only when `TALLYPROOF_REAL_DATA` is set; fail loudly
//! when it is set but the files are missing.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tallyproof"))
}

fn real(name: &str) -> Option<PathBuf> {
    let root = std::env::var_os("TALLYPROOF_REAL_DATA")?;
    let p = Path::new(&root).join(name);
    assert!(
        p.exists(),
        "TALLYPROOF_REAL_DATA is set but {} is missing",
        p.display()
    );
    Some(p)
}

fn ve_config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/ve2024.toml")
}

/// How to read ipince/vzlapi `actas.csv` (see
/// venezuela-2024-qr-decoded/PROVENANCE.md): station id from the acta
/// code's first two pieces, one column per candidate.
const IPINCE: &str = r#"
[election]
name = "Venezuela 2024, actas decoded from their QR codes (ipince/vzlapi)"
[station]
id = [{ column = "Acta", split = ".", take = 2 }]
separator = "."
[[options]]
key = "NM"
columns = "Maduro"
[[options]]
key = "LM"
columns = "Martinez"
[[options]]
key = "JABE"
columns = "Bertucci"
[[options]]
key = "JOBR"
columns = "Brito"
[[options]]
key = "AE"
columns = "Ecarri"
[[options]]
key = "CF"
columns = "Fermin"
[[options]]
key = "DC"
columns = "Ceballos"
[[options]]
key = "EG"
columns = "Gonzalez"
[[options]]
key = "EM"
columns = "Marquez"
[[options]]
key = "BERA"
columns = "Rausseo"
"#;

#[test]
fn scan_lists_every_real_image_and_writes_sheets() {
    let Some(images) = real("venezuela-2024-acta-images") else {
        return;
    };
    let dir = tempfile::tempdir().expect("scratch dir");
    let out = dir.path().join("sheets.jsonl");
    let o = bin()
        .args(["scan", "--json", "--config"])
        .arg(ve_config())
        .arg(&images)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run tallyproof");
    assert_eq!(
        o.status.code(),
        Some(1),
        "one image fails: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON output");
    assert_eq!(v["summary"]["images"], 12);
    assert_eq!(v["summary"]["decoded"], 11);
    let failed: Vec<&serde_json::Value> = v["images"]
        .as_array()
        .expect("images")
        .iter()
        .filter(|i| i["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["file_name"], "qr-unreadable-incomplete-1.jpg");
    assert_eq!(failed[0]["reason"], "no-qr-found");
    let text = std::fs::read_to_string(&out).expect("sheets.jsonl");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 11);
    let mobile = lines
        .iter()
        .find(|l| {
            l["image"]
                .as_str()
                .is_some_and(|s| s.ends_with("qr-readable-mobile-1.jpg"))
        })
        .expect("mobile photo decoded");
    // expected.csv: 240111018.01, EG 317, NM 207, valid 536, null 1.
    assert_eq!(mobile["CENTRO"], "240111018");
    assert_eq!(mobile["MESA"], "01");
    assert_eq!(mobile["EG"], 317);
    assert_eq!(mobile["NM"], 207);
    assert_eq!(mobile["VOTOS_VALIDOS"], 536);
    assert_eq!(mobile["VOTOS_NULOS"], 1);
    // The image's file name, never its path.
    assert_eq!(mobile["image"], "qr-readable-mobile-1.jpg");
    // configs/ve2024.toml reads registered voters (RE), which the QR code
    // does not carry: every scanned sheet lacks a figure the config reads.
    assert_eq!(v["accepted"], 0);
    assert_eq!(v["rejected"], 11);
    for s in v["sheets"].as_array().expect("sheets") {
        assert_eq!(s["verdict"], "rejected", "{s}");
        assert_eq!(s["reasons"][0]["rule"], "CountEmpty", "{s}");
    }
}

#[test]
fn scanned_sheets_are_accepted_and_read_back_under_the_qr_config() {
    let Some(images) = real("venezuela-2024-acta-images") else {
        return;
    };
    let qr_config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/ve2024-qr.toml");
    let dir = tempfile::tempdir().expect("scratch dir");
    let out = dir.path().join("sheets.jsonl");
    let o = bin()
        .args(["scan", "--json", "--config"])
        .arg(&qr_config)
        .arg(&images)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run tallyproof");
    // 1: the image whose code is cut off.
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON output");
    assert_eq!(v["accepted"], 11);
    assert_eq!(v["rejected"], 0);
    let o = bin()
        .args(["tabulate", "--json", "--config"])
        .arg(&qr_config)
        .arg(&out)
        .output()
        .expect("run tallyproof");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let t: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON output");
    // expected.csv's columns summed over its 11 readable codes (python3
    // csv.DictReader), in the config's option order NM, LM, JABE, JOBR, AE,
    // CF, DC, EG, EM, BERA; votos_validos sums to 4,701.
    let national = &t["national"]["units"][0];
    assert_eq!(national["sheets"], 11);
    assert_eq!(
        national["votes"],
        serde_json::json!([1457, 25, 10, 18, 34, 3, 3, 3116, 10, 25])
    );
    assert_eq!(national["valid"], 4701);
}

#[test]
fn crosscheck_finds_the_seven_actas_that_differ() {
    let (Some(v1), Some(qr)) = (
        real("venezuela-2024-resultadosconvzla/RESULTADOS_2024_CSV_V1.csv"),
        real("venezuela-2024-qr-decoded/ipince_actas_qr_by_candidate.csv"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().expect("scratch dir");
    let cfg_b = dir.path().join("ipince.toml");
    std::fs::write(&cfg_b, IPINCE).expect("write config");
    let o = bin()
        .args(["crosscheck", "--json", "--config"])
        .arg(ve_config())
        .arg("--config-b")
        .arg(&cfg_b)
        .arg(&v1)
        .arg(&qr)
        .output()
        .expect("run tallyproof");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON output");
    // PROVENANCE.md of venezuela-2024-qr-decoded: 21,924 actas in V1, seven
    // of which differ by a few votes; 28 QR-decoded actas are not in V1.
    assert_eq!(v["in_both"], 21_924);
    assert_eq!(v["disagree"], 7);
    assert_eq!(v["agree"], 21_917);
    assert_eq!(v["only_in_b"].as_array().map(Vec::len), Some(28));
    let mut stations: Vec<&str> = v["differences"]
        .as_array()
        .expect("differences")
        .iter()
        .filter_map(|d| d["station"].as_str())
        .collect();
    stations.dedup();
    assert_eq!(
        stations,
        [
            "030602001.02",
            "070301020.01",
            "070904028.04",
            "070908043.01",
            "110202070.01",
            "190601010.01",
            "200701014.02"
        ]
    );
    for d in v["differences"].as_array().expect("differences") {
        let (a, b) = (d["a"].as_i64().expect("a"), d["b"].as_i64().expect("b"));
        assert!((1..=3).contains(&(a - b).abs()), "{d}");
    }
    // QR value first, CSV value second in PROVENANCE.md: 110202070.01 Maduro 201/204.
    assert!(
        v["differences"]
            .as_array()
            .expect("differences")
            .iter()
            .any(|d| {
                d["station"] == "110202070.01"
                    && d["field"] == "NM"
                    && d["a"] == 204
                    && d["b"] == 201
            })
    );
}
