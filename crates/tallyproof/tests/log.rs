//! `tallyproof log …`, run as a user would.

use std::path::Path;
use std::process::{Command, Output};

use tallyproof_ledger::{VerifierKey, verify_consistency, verify_export, verify_tlog_proof};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tallyproof"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running tallyproof: {e}"))
}

fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}

const CONFIG: &str = r#"
[election]
name = "Example"
contest = "president"
[station]
id = ["station"]
[columns]
valid = "valid"
[[options]]
key = "A"
[[options]]
key = "B"
"#;

#[test]
fn init_append_prove_verify_export() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = tmp.path();
    let (cfg, csv, jsonl, log) = (
        d.join("e.toml"),
        d.join("s.csv"),
        d.join("scan.jsonl"),
        d.join("L"),
    );
    std::fs::write(&cfg, CONFIG).unwrap_or_else(|e| panic!("{e}"));
    // Station 3 does not add up: quarantined, and logged all the same.
    std::fs::write(&csv, "station,A,B,valid\n1,10,5,15\n2,7,9,16\n3,1,1,3\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let img4 = "a".repeat(64);
    let img1 = "b".repeat(64);
    std::fs::write(
        &jsonl,
        format!(
            "{{\"station\":\"4\",\"A\":3,\"B\":4,\"valid\":7,\"source\":\"scan\",\"image\":\"img4.jpg\",\"image_sha256\":\"{img4}\",\"qr_payload\":\"QR-4\"}}\n\
             {{\"station\":\"1\",\"A\":11,\"B\":5,\"valid\":16,\"source\":\"scan\",\"image\":\"img1.jpg\",\"image_sha256\":\"{img1}\",\"qr_payload\":\"QR-1\"}}\n"
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));

    // init prints the verifier key only; the private key stays in a 0600 file.
    let vkey_text = ok(&[
        "log",
        "init",
        "--dir",
        s(&log),
        "--origin",
        "example.org/test",
    ]);
    let vkey = VerifierKey::parse(vkey_text.trim()).unwrap_or_else(|e| panic!("{e}"));
    let skey = std::fs::read_to_string(log.join("skey")).unwrap_or_default();
    assert!(!vkey_text.contains(skey.trim()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(log.join("skey"))
            .map(|m| m.permissions().mode())
            .unwrap_or(0);
        assert_eq!(mode & 0o777, 0o600);
    }

    // Append the CSV (3 sheets, one quarantined) and sign.
    let out = ok(&[
        "log",
        "append",
        "--dir",
        s(&log),
        "--config",
        s(&cfg),
        s(&csv),
        "--checkpoint",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(
        (v["appended"].as_u64(), v["quarantined"].as_u64()),
        (Some(3), Some(1))
    );

    // Append the scanned sheets as corrections, then checkpoint separately.
    let out = ok(&[
        "log",
        "append",
        "--dir",
        s(&log),
        "--config",
        s(&cfg),
        s(&jsonl),
        "--corrects",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["first_index"].as_u64(), Some(3));
    ok(&["log", "checkpoint", "--dir", s(&log)]);

    // Station 1: the imported sheet and the scanned correction that supersedes it.
    let out = ok(&["log", "prove", "--dir", s(&log), "--station", "1", "--json"]);
    let proofs: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let proofs = proofs.as_array().cloned().unwrap_or_default();
    assert_eq!(proofs.len(), 2);
    assert_eq!(proofs[1]["index"].as_u64(), Some(4));
    let rec = &proofs[1]["record"];
    assert_eq!(rec["supersedes"].as_u64(), Some(0));
    assert_eq!(rec["provenance"]["kind"], "scan");
    assert_eq!(
        rec["provenance"]["image_sha256"].as_str(),
        Some(img1.as_str())
    );
    assert_eq!(rec["provenance"]["qr_payload"], "QR-1");
    // The leaf names the input file, never the (absolute) path it was given
    // as, and carries the SHA-256 of its bytes.
    let first = &proofs[0]["record"]["provenance"];
    assert_eq!(first["file"], "s.csv");
    let csv_sha = sha256_hex(&std::fs::read(&csv).unwrap_or_default());
    assert_eq!(first["file_sha256"].as_str(), Some(csv_sha.as_str()));
    assert_eq!(rec["provenance"]["file"], "scan.jsonl");
    let entry = proofs[0]["entry"].as_str().unwrap_or_default();
    assert!(entry.starts_with("tallyproof-leaf/2\n"), "{entry}");
    assert!(!entry.contains(s(d)), "a leaf carries the path: {entry}");
    // The quarantined sheet is in the log with its rule code.
    let out = ok(&["log", "prove", "--dir", s(&log), "--station", "3", "--json"]);
    let q: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(q[0]["record"]["status"]["status"], "quarantined");

    // The text form is a C2SP tlog-proof that verifies with the key alone.
    let text = ok(&["log", "prove", "--dir", s(&log), "--station", "4"]);
    let (index, record, cp) = verify_tlog_proof(&text, &vkey).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((index, record.station.as_str(), cp.size()), (3, "4", 5));

    // Consistency from the first checkpoint (size 3) to the latest (size 5).
    let out = ok(&[
        "log",
        "consistency",
        "--dir",
        s(&log),
        "--from",
        "3",
        "--json",
    ]);
    let c: tallyproof_ledger_json::Consistency =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    verify_consistency(3, 5, &c.old_root(), &c.new_root(), &c.proof())
        .unwrap_or_else(|e| panic!("{e}"));

    // verify: exit 0, then exit 1 naming the entry once a digit is changed.
    let out = ok(&["log", "verify", "--dir", s(&log), "--key", vkey_text.trim()]);
    assert!(out.starts_with("ok:"), "{out}");
    ok(&[
        "log",
        "export",
        "--dir",
        s(&log),
        "--out",
        s(&d.join("site")),
    ]);
    verify_export(&d.join("site"), &vkey).unwrap_or_else(|e| panic!("{e}"));
    let site = d.join("site");
    assert!(site.join("stations/index.json").is_file());
    assert!(site.join("stations/0.json").is_file());

    // The site checks with the key alone; one station is found in it.
    let out = ok(&[
        "log",
        "verify",
        "--site",
        s(&site),
        "--key",
        vkey_text.trim(),
    ]);
    assert!(
        out.starts_with("ok: the site reproduces the signed checkpoint of size 5"),
        "{out}"
    );
    let out = ok(&[
        "log",
        "verify",
        "--site",
        s(&site),
        "--key",
        vkey_text.trim(),
        "--station",
        "1",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["sheets"].as_array().map(|a| a.len()), Some(2));
    assert_eq!(v["key_from_site"], false);
    // Without a key, it says the site's own key was used.
    let out = ok(&["log", "verify", "--site", s(&site)]);
    assert!(out.contains("site's own vkey"), "{out}");
    // One changed byte in the station bundle: exit 1, naming the file.
    let bundle = site.join("stations/0.json");
    let mut b = std::fs::read(&bundle).unwrap_or_default();
    let at = b.windows(5).position(|w| w == b"count").unwrap_or(0) + 10;
    b[at] ^= 0x01;
    std::fs::write(&bundle, &b).unwrap_or_else(|e| panic!("{e}"));
    let out = run(&[
        "log",
        "verify",
        "--site",
        s(&site),
        "--key",
        vkey_text.trim(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("stations/0.json"), "{err}");
    // Not a site at all: bad usage.
    assert_eq!(
        run(&["log", "verify", "--site", s(&d.join("nothing"))])
            .status
            .code(),
        Some(2)
    );

    // No consistency proof from the empty tree, and the message says why.
    let out = run(&["log", "consistency", "--dir", s(&log), "--from", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("RFC 9162 §2.1.4") && err.contains("consistent with the empty one"),
        "{err}"
    );

    let entries = log.join("entries");
    let mut b = std::fs::read(&entries).unwrap_or_default();
    let pos = b.windows(9).position(|w| w == b"count 1:B").unwrap_or(0) + 10;
    b[pos] = if b[pos] == b'9' { b'8' } else { b'9' };
    std::fs::write(&entries, &b).unwrap_or_else(|e| panic!("{e}"));
    let out = run(&["log", "verify", "--dir", s(&log)]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("entry 0 (station 1)"), "{err}");
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

/// The JSON of `log consistency`, read back with hashes in base64.
mod tallyproof_ledger_json {
    use tallyproof_ledger::Hash;

    #[derive(serde::Deserialize)]
    pub struct Consistency {
        old_root: String,
        new_root: String,
        proof: Vec<String>,
    }

    fn h(s: &str) -> Hash {
        Hash::from_base64(s).unwrap_or_default()
    }

    impl Consistency {
        pub fn old_root(&self) -> Hash {
            h(&self.old_root)
        }
        pub fn new_root(&self) -> Hash {
            h(&self.new_root)
        }
        pub fn proof(&self) -> Vec<Hash> {
            self.proof.iter().map(|s| h(s)).collect()
        }
    }
}

#[test]
fn bad_usage_exits_2() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = run(&["log", "checkpoint", "--dir", s(&tmp.path().join("missing"))]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&[
        "log",
        "init",
        "--dir",
        s(&tmp.path().join("L")),
        "--origin",
        "has space",
    ]);
    assert_eq!(out.status.code(), Some(2));
}
