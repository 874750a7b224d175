//! Property tests: inclusion and consistency proofs (RFC 9162 §2.1.3,
//! §2.1.4) verify for random sizes and indices, fail when any byte of the
//! proof, leaf or root changes; the leaf encoding round-trips and is
//! canonical.

use proptest::prelude::*;
use tallyproof_ledger::{
    Hash, LeafRecord, Provenance, SourceKind, Status, Tree, leaf_hash, node_hash,
    verify_consistency, verify_inclusion,
};

fn tree(n: u64) -> Tree {
    Tree::from_leaf_hashes((0..n).map(|i| leaf_hash(&i.to_be_bytes())))
}

/// MTH straight from RFC 6962 §2.1, recursive over the leaf hashes.
fn reference_root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Hash::empty_root(),
        1 => leaves[0],
        n => {
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            node_hash(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
        }
    }
}

fn flip(h: &mut Hash, byte: usize, bit: u8) {
    h.0[byte % 32] ^= 1 << (bit % 8);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn root_matches_reference(n in 0u64..600) {
        let t = tree(n);
        let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        for size in [0, n / 3, n / 2, n] {
            prop_assert_eq!(t.root(size).ok(), Some(reference_root(&leaves[..size as usize])));
        }
    }

    #[test]
    fn inclusion_verifies_and_rejects_flips(
        size in 1u64..3000, idx in any::<prop::sample::Index>(),
        which in any::<prop::sample::Index>(), byte in 0usize..32, bit in 0u8..8,
    ) {
        let t = tree(size + 17);
        let index = idx.index(size as usize) as u64;
        let root = t.root(size).unwrap_or_default();
        let leaf = t.leaf(index).unwrap_or_default();
        let proof = t.inclusion_proof(index, size).unwrap_or_default();
        prop_assert!(verify_inclusion(index, size, &leaf, &proof, &root).is_ok());
        // Any changed byte in the proof, the leaf or the root fails.
        if !proof.is_empty() {
            let mut bad = proof.clone();
            flip(&mut bad[which.index(proof.len())], byte, bit);
            prop_assert!(verify_inclusion(index, size, &leaf, &bad, &root).is_err());
        }
        let mut bad_leaf = leaf;
        flip(&mut bad_leaf, byte, bit);
        prop_assert!(verify_inclusion(index, size, &bad_leaf, &proof, &root).is_err());
        let mut bad_root = root;
        flip(&mut bad_root, byte, bit);
        prop_assert!(verify_inclusion(index, size, &leaf, &proof, &bad_root).is_err());
        // Claiming the sibling's position fails (the hashing order differs).
        // (A wrong *size* with the same path shape can verify: sizes are
        // bound by the signed checkpoint, not by the proof.)
        if index ^ 1 < size {
            prop_assert!(verify_inclusion(index ^ 1, size, &leaf, &proof, &root).is_err());
        }
        prop_assert!(verify_inclusion(index, size, &leaf, &proof, &root).is_ok());
    }

    #[test]
    fn consistency_verifies_and_rejects_flips(
        new in 1u64..3000, old_i in any::<prop::sample::Index>(),
        which in any::<prop::sample::Index>(), byte in 0usize..32, bit in 0u8..8,
    ) {
        let t = tree(new + 5);
        let old = old_i.index(new as usize) as u64 + 1;
        let (r1, r2) = (t.root(old).unwrap_or_default(), t.root(new).unwrap_or_default());
        let proof = t.consistency_proof(old, new).unwrap_or_default();
        prop_assert!(verify_consistency(old, new, &r1, &r2, &proof).is_ok());
        if !proof.is_empty() {
            let mut bad = proof.clone();
            flip(&mut bad[which.index(proof.len())], byte, bit);
            prop_assert!(verify_consistency(old, new, &r1, &r2, &bad).is_err());
            prop_assert!(verify_consistency(old, new, &r1, &r2, &proof[..proof.len() - 1]).is_err());
        }
        let mut b1 = r1;
        flip(&mut b1, byte, bit);
        prop_assert!(verify_consistency(old, new, &b1, &r2, &proof).is_err());
        let mut b2 = r2;
        flip(&mut b2, byte, bit);
        prop_assert!(verify_consistency(old, new, &r1, &b2, &proof).is_err());
        if old < new {
            // A fork: same old tree, different newest leaf.
            let mut forked = Tree::from_leaf_hashes((0..new - 1).map(|i| leaf_hash(&i.to_be_bytes())));
            forked.push(leaf_hash(b"forged"));
            let fr = forked.root(new).unwrap_or_default();
            prop_assert!(verify_consistency(old, new, &r1, &fr, &proof).is_err());
        }
    }

    #[test]
    fn record_round_trips(
        station in "[0-9A-Za-z]{1,12}", contest in "\\PC{0,12}",
        counts in prop::collection::btree_map("\\PC{1,10}", any::<u64>(), 0..8),
        null in any::<Option<u64>>(), registered in any::<Option<u64>>(),
        rules in prop::option::of(prop::collection::vec("[A-Z]{1,3}[0-9]{2}", 1..4)),
        line in any::<Option<u64>>(), qr in prop::option::of("\\PC{0,40}"),
        img in prop::option::of(any::<[u8; 32]>()), sup in any::<Option<u64>>(),
        file in prop::option::of("[^/\\\\\u{0}]{1,20}"), file_sha in prop::option::of(any::<[u8; 32]>()),
        valid in any::<Option<u64>>(), by in prop::option::of("\\PC{0,20}"),
    ) {
        use unicode_normalization::UnicodeNormalization;
        let counts: Vec<(String, u64)> = {
            let mut seen = std::collections::HashSet::new();
            counts.into_iter().filter(|(k, _)| seen.insert(k.nfc().collect::<String>())).collect()
        };
        let rec = LeafRecord {
            station, contest, counts, null, blank: Some(0), ballots: None, registered,
            valid, issued: None,
            status: rules.map_or(Status::Accepted, Status::Quarantined),
            provenance: Provenance {
                kind: SourceKind::Scan,
                file: file.filter(|f| f != "." && f != ".."),
                file_sha256: file_sha.map(hex::encode), line,
                image_sha256: img.map(hex::encode), qr_payload: qr, received: None,
                submitted_by: by,
            },
            supersedes: sup,
        };
        let bytes = rec.encode().unwrap_or_default();
        let back = LeafRecord::decode(&bytes, 0);
        prop_assert!(back.is_ok(), "{:?}", back);
        let back = back.unwrap_or_else(|_| rec.clone());
        // Decoding gives the NFC form; encoding that again is byte-identical.
        prop_assert_eq!(back.encode().unwrap_or_default(), bytes.clone());
        // Any single-byte change is rejected or decodes to a different record.
        for i in (0..bytes.len()).step_by(7) {
            let mut m = bytes.clone();
            m[i] ^= 0x01;
            if let Ok(r) = LeafRecord::decode(&m, 0) {
                prop_assert_ne!(r.encode().unwrap_or_default(), bytes.clone());
            }
        }
    }
}

/// The example of docs/ledger-format.md §1, byte for byte.
const DOC_V2: &str = "tallyproof-leaf/2\n\
station 9:010101001\n\
contest 12:presidential\n\
counts 2\n\
count 6:MADURO 120\n\
count 9:GONZÁLEZ 310\n\
null 2\n\
blank -\n\
ballots -\n\
registered 500\n\
valid 430\n\
issued -\n\
status quarantined 1\n\
rule 4:E006\n\
source scan\n\
file 17:actas-zulia.jsonl\n\
file-sha256 0c5c1c4a1d9e0c1f1b7c1e0b6c8f5e2a9d3b4c5d6e7f8091a2b3c4d5e6f70819\n\
line 2\n\
image-sha256 abababababababababababababababababababababababababababababababab\n\
qr 14:ACTA-010101001\n\
received 20:2024-07-29T06:00:00Z\n\
submitted-by 10:witness-17\n\
supersedes 0\n";

/// The version-1 example that docs/ledger-format.md gave before version 2,
/// as `LeafRecord::encode` wrote it at commit 745b6e7.
const DOC_V1: &str = "tallyproof-leaf/1\n\
station 9:010101001\n\
contest 12:presidential\n\
counts 2\n\
count 6:MADURO 120\n\
count 9:GONZÁLEZ 310\n\
null 2\n\
blank -\n\
ballots -\n\
registered 500\n\
status quarantined 1\n\
rule 6:SUM001\n\
source import\n\
file 14:RESULTADOS.csv\n\
line 2\n\
image-sha256 abababababababababababababababababababababababababababababababab\n\
qr -\n\
received -\n\
supersedes 0\n";

#[test]
fn encoding_is_documented_form() {
    let mut r = LeafRecord::new("010101001", "presidential", SourceKind::Scan);
    r.counts = vec![("MADURO".into(), 120), ("GONZÁLEZ".into(), 310)];
    r.null = Some(2);
    r.registered = Some(500);
    r.valid = Some(430);
    r.status = Status::Quarantined(vec!["E006".into()]);
    let p = &mut r.provenance;
    p.file = Some("actas-zulia.jsonl".into());
    p.file_sha256 = Some("0C5C1C4A1D9E0C1F1B7C1E0B6C8F5E2A9D3B4C5D6E7F8091A2B3C4D5E6F70819".into());
    p.line = Some(2);
    p.image_sha256 = Some("AB".repeat(32));
    p.qr_payload = Some("ACTA-010101001".into());
    p.received = Some("2024-07-29T06:00:00Z".into());
    p.submitted_by = Some("witness-17".into());
    r.supersedes = Some(0);
    let text = String::from_utf8(r.encode().unwrap_or_default()).unwrap_or_default();
    assert_eq!(text, DOC_V2);
    // Hashes decode in the lower case they are written in.
    for h in [
        &mut r.provenance.file_sha256,
        &mut r.provenance.image_sha256,
    ] {
        *h = h.as_ref().map(|h| h.to_ascii_lowercase());
    }
    assert_eq!(LeafRecord::decode(DOC_V2.as_bytes(), 0).ok(), Some(r));
    // The documented example is also the docs' text.
    let doc = include_str!("../../../docs/ledger-format.md");
    assert!(
        doc.contains(DOC_V2),
        "docs/ledger-format.md §1 example differs"
    );
}

#[test]
fn version_1_entries_still_decode() {
    let r = LeafRecord::decode(DOC_V1.as_bytes(), 0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.station, "010101001");
    assert_eq!(r.counts[1], ("GONZÁLEZ".to_string(), 310));
    assert_eq!(r.registered, Some(500));
    assert_eq!(r.status, Status::Quarantined(vec!["SUM001".into()]));
    assert_eq!(r.provenance.file.as_deref(), Some("RESULTADOS.csv"));
    // Fields version 1 lacks decode as absent.
    assert_eq!((r.valid, r.issued), (None, None));
    assert_eq!(r.provenance.file_sha256, None);
    assert_eq!(r.provenance.submitted_by, None);
    // A version-1 leaf kept the path as typed; it still decodes.
    let with_path = DOC_V1.replace("file 14:RESULTADOS.csv", "file 24:/home/ana/RESULTADOS.csv");
    assert!(LeafRecord::decode(with_path.as_bytes(), 0).is_ok());
    // A version-1 header with version-2 fields, or the reverse, is not canonical.
    let mixed = DOC_V1.replace("registered 500\n", "registered 500\nvalid -\nissued -\n");
    assert!(LeafRecord::decode(mixed.as_bytes(), 0).is_err());
    let v2_short = DOC_V1.replacen("tallyproof-leaf/1", "tallyproof-leaf/2", 1);
    assert!(LeafRecord::decode(v2_short.as_bytes(), 0).is_err());
    // Re-encoding writes version 2.
    let again = r.encode().unwrap_or_default();
    assert!(again.starts_with(b"tallyproof-leaf/2\n"));
}

#[test]
fn a_leaf_records_a_file_name_never_a_path() {
    let mut r = LeafRecord::new("1", "c", SourceKind::Import);
    for path in [
        "/home/ana/actas.csv",
        "C:\\Users\\ana\\actas.csv",
        "dir/actas.csv",
        "..",
        "",
    ] {
        r.provenance.file = Some(path.into());
        assert!(r.encode().is_err(), "encoded file {path:?}");
    }
    r.provenance.file = Some("actas.csv".into());
    let e = String::from_utf8(r.encode().unwrap_or_default()).unwrap_or_default();
    assert!(e.contains("file 9:actas.csv\n"));
    // A hand-made version-2 entry carrying a path is rejected on decoding.
    let bad = e.replace("file 9:actas.csv", "file 14:/tmp/actas.csv");
    assert!(LeafRecord::decode(bad.as_bytes(), 0).is_err());
    assert_eq!(
        tallyproof_ledger::file_name_of("/home/ana/actas.csv"),
        "actas.csv"
    );
    assert_eq!(
        tallyproof_ledger::file_name_of("C:\\x\\actas.csv"),
        "actas.csv"
    );
    assert_eq!(tallyproof_ledger::file_name_of("actas.csv"), "actas.csv");
}

#[test]
fn encoding_normalises_to_nfc_and_rejects_non_canonical() {
    // "GONZÁLEZ" with a combining acute accent (NFD) encodes as the NFC form.
    let mut a = LeafRecord::new("1", "c", SourceKind::Official);
    a.counts = vec![("GONZA\u{301}LEZ".into(), 1)];
    let mut b = a.clone();
    b.counts = vec![("GONZ\u{c1}LEZ".into(), 1)];
    assert_eq!(a.encode().ok(), b.encode().ok());
    let enc = String::from_utf8(b.encode().unwrap_or_default()).unwrap_or_default();
    // Hand-written non-canonical variants are rejected.
    for bad in [
        enc.replace("count 9:GONZ\u{c1}LEZ 1", "count 10:GONZA\u{301}LEZ 1"), // not NFC
        enc.replace("GONZ\u{c1}LEZ 1", "GONZ\u{c1}LEZ 01"),                   // leading zero
        enc.replace("null -", "null  -"),                                     // extra space
        format!("{enc}\n"),                                                   // trailing bytes
        enc.replace("source official", "source rumour"),                      // unknown word
    ] {
        assert!(
            LeafRecord::decode(bad.as_bytes(), 3).is_err(),
            "accepted {bad:?}"
        );
    }
    // Duplicate options, empty station and bad image hashes are refused.
    let mut d = a.clone();
    d.counts.push(("GONZ\u{c1}LEZ".into(), 2));
    assert!(d.encode().is_err());
    assert!(LeafRecord::new("", "c", SourceKind::Scan).encode().is_err());
    let mut i = a.clone();
    i.provenance.image_sha256 = Some("xyz".into());
    assert!(i.encode().is_err());
    let mut big = a;
    big.provenance.qr_payload = Some("q".repeat(70_000));
    assert!(big.encode().is_err());
}
