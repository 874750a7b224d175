//! Published test vectors: RFC 6962 Merkle trees, C2SP signed notes and
//! checkpoints, C2SP tlog-tiles paths.

use tallyproof_ledger::{
    Checkpoint, Hash, SignedCheckpoint, SignerKey, Tree, VerifierKey, key_id, leaf_hash, node_hash,
    open_note, parse_note, tile_index_path, tile_path, verify_consistency, verify_inclusion,
};

fn h(s: &str) -> Hash {
    Hash::from_hex(s).unwrap_or_else(|| panic!("bad hex {s}"))
}

/// The eight leaf inputs of the Certificate Transparency reference tests,
/// as published in transparency-dev/merkle `testonly/constants.go`
/// (`LeafInputs`), originally certificate-transparency `merkle_tree_test.cc`.
fn leaves() -> Vec<Vec<u8>> {
    [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|s| hex::decode(s).unwrap_or_default())
    .collect()
}

/// Root of the first n leaves, n = 0..=8: transparency-dev/merkle
/// `testonly/constants.go` (`RootHashes`, `EmptyRootHash`).
const ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn tree(n: usize) -> Tree {
    Tree::from_leaf_hashes(leaves()[..n].iter().map(|l| leaf_hash(l)))
}

/// RFC 6962 §2.1 hashing; vectors from transparency-dev/merkle
/// `rfc6962/rfc6962_test.go` (`TestRFC6962Hasher`).
#[test]
fn rfc6962_hasher_vectors() {
    assert_eq!(Hash::empty_root(), h(ROOTS[0]), "empty root");
    assert_eq!(leaf_hash(b""), h(ROOTS[1]), "empty leaf");
    assert_eq!(
        leaf_hash(b"L123456"),
        h("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"),
        "leaf L123456"
    );
    // HashChildren("N123", "N456") hashes raw bytes, not 32-byte hashes:
    // check it with the same formula, SHA-256(0x01 || l || r).
    let mut raw = vec![1u8];
    raw.extend_from_slice(b"N123N456");
    use sha2::Digest as _;
    let got: [u8; 32] = sha2::Sha256::digest(&raw).into();
    assert_eq!(
        Hash(got),
        h("aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"),
        "node N123/N456"
    );
}

/// RFC 6962 §2.1 MTH for every size 0..=8 (transparency-dev/merkle
/// `testonly/constants.go` `RootHashes`).
#[test]
fn rfc6962_roots() {
    for (n, want) in ROOTS.iter().enumerate() {
        let t = tree(8);
        assert_eq!(t.root(n as u64).ok(), Some(h(want)), "root of size {n}");
        assert_eq!(
            tree(n).root(n as u64).ok(),
            Some(h(want)),
            "fresh tree of size {n}"
        );
    }
}

/// RFC 6962 §2.1.1 audit paths: transparency-dev/merkle
/// `testonly/reference_test.go` (`TestRefInclusionProof`) and
/// `proof/verify_test.go` (`inclusionProofs`, given there with 1-based leaf
/// numbers).
#[test]
fn rfc6962_inclusion_vectors() {
    let vectors: &[(u64, u64, &[&str])] = &[
        (0, 1, &[]),
        (
            0,
            2,
            &["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"],
        ),
        (
            1,
            2,
            &["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"],
        ),
        (
            2,
            3,
            &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
        ),
        (
            1,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];
    let t = tree(8);
    let ls = leaves();
    for (vi, (index, size, want)) in vectors.iter().enumerate() {
        let want: Vec<Hash> = want.iter().map(|s| h(s)).collect();
        let got = t.inclusion_proof(*index, *size).unwrap_or_default();
        assert_eq!(got, want, "vector {vi}: PATH({index}, D[{size}])");
        let root = h(ROOTS[*size as usize]);
        let leaf = leaf_hash(&ls[*index as usize]);
        assert!(
            verify_inclusion(*index, *size, &leaf, &got, &root).is_ok(),
            "vector {vi}: verify"
        );
        // Corruptions after transparency-dev/merkle `corruptInclusionProof`.
        assert!(
            verify_inclusion(*index + 1, *size, &leaf, &got, &root).is_err(),
            "vector {vi}: index+1"
        );
        assert!(
            verify_inclusion(*index, *size * 2, &leaf, &got, &root).is_err(),
            "vector {vi}: size*2"
        );
        assert!(verify_inclusion(*index, *size, &leaf_hash(b"WrongLeaf"), &got, &root).is_err());
        assert!(verify_inclusion(*index, *size, &leaf, &got, &Hash::empty_root()).is_err());
        let mut longer = got.clone();
        longer.push(root);
        assert!(
            verify_inclusion(*index, *size, &leaf, &longer, &root).is_err(),
            "vector {vi}: trailing root"
        );
        for i in 0..got.len() {
            let mut bad = got.clone();
            bad[i].0[0] ^= 8;
            assert!(
                verify_inclusion(*index, *size, &leaf, &bad, &root).is_err(),
                "vector {vi}: bit flip {i}"
            );
        }
        if !got.is_empty() {
            assert!(verify_inclusion(*index, *size, &leaf, &got[..got.len() - 1], &root).is_err());
        }
    }
}

/// RFC 6962 §2.1.2 consistency proofs: transparency-dev/merkle
/// `proof/verify_test.go` (`consistencyProofs`), the CT reference vectors.
#[test]
fn rfc6962_consistency_vectors() {
    let vectors: &[(u64, u64, &[&str])] = &[
        (1, 1, &[]),
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    let t = tree(8);
    for (vi, (old, new, want)) in vectors.iter().enumerate() {
        let want: Vec<Hash> = want.iter().map(|s| h(s)).collect();
        let got = t.consistency_proof(*old, *new).unwrap_or_default();
        assert_eq!(got, want, "vector {vi}: PROOF({old}, D[{new}])");
        let (r1, r2) = (h(ROOTS[*old as usize]), h(ROOTS[*new as usize]));
        assert!(
            verify_consistency(*old, *new, &r1, &r2, &got).is_ok(),
            "vector {vi}: verify"
        );
        assert!(verify_consistency(*old, *new, &r2, &r1, &got).is_err() || old == new);
        for i in 0..got.len() {
            let mut bad = got.clone();
            bad[i].0[31] ^= 1;
            assert!(
                verify_consistency(*old, *new, &r1, &r2, &bad).is_err(),
                "vector {vi}: flip {i}"
            );
        }
    }
    // node_hash is used for the level-1 hashes in the vectors above.
    let ls = leaves();
    assert_eq!(
        node_hash(&leaf_hash(&ls[0]), &leaf_hash(&ls[1])),
        h(ROOTS[2])
    );
}

// C2SP signed-note: the key pair and note of the Go reference
// implementation's tests (golang.org/x/mod/sumdb/note, note_test.go:
// TestNewVerifier, TestNewSigner, TestSign), which the spec's key ID
// recommendation (signed-note.md §Signatures) reproduces.
const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const PETER_TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

#[test]
fn signed_note_key_formats_and_key_id() {
    let v = VerifierKey::parse(PETER_VKEY).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v.name(), "PeterNeumann");
    assert_eq!(v.id(), 0xc74f20a3);
    // key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4]
    assert_eq!(
        key_id("PeterNeumann", 0x01, v.ed25519().as_bytes()),
        0xc74f20a3
    );
    assert_eq!(v.to_string(), PETER_VKEY);

    let s = SignerKey::parse(PETER_SKEY).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.verifier(), v);
    assert_eq!(s.to_private_string(), PETER_SKEY);
    assert!(
        !format!("{s:?}").contains("AYEK"),
        "Debug must not show the private key"
    );
}

/// Manglings of the verifier key must be rejected (after note_test.go
/// `TestNewVerifier`: every proper substring and every single-byte increment).
#[test]
fn signed_note_verifier_key_manglings() {
    let b = PETER_VKEY.as_bytes();
    for i in 0..=b.len() {
        for j in i + 1..=b.len() {
            if i == 0 && j == b.len() {
                continue;
            }
            if let Ok(s) = std::str::from_utf8(&b[i..j]) {
                assert!(VerifierKey::parse(s).is_err(), "substring {s:?} accepted");
            }
        }
    }
    for i in 0..b.len() {
        let mut m = b.to_vec();
        m[i] = m[i].wrapping_add(1);
        if let Ok(s) = std::str::from_utf8(&m) {
            assert!(VerifierKey::parse(s).is_err(), "mangled {s:?} accepted");
        }
    }
    // note_test.go: wrong length key and unknown algorithm, with adjusted key hashes.
    assert!(
        VerifierKey::parse(
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
        )
        .is_err()
    );
    assert!(
        VerifierKey::parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
            .is_err()
    );
}

/// Ed25519 is deterministic (RFC 8032), so signing the reference text must
/// reproduce the reference note byte for byte (note_test.go `TestSign`).
#[test]
fn signed_note_reference_signature() {
    let s = SignerKey::parse(PETER_SKEY).unwrap_or_else(|e| panic!("{e}"));
    let note = s.sign_note(PETER_TEXT).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(note, format!("{PETER_TEXT}\n{PETER_SIG}"));
    let v = VerifierKey::parse(PETER_VKEY).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        open_note(&note, &v, "peter").ok().as_deref(),
        Some(PETER_TEXT)
    );
    let tampered = note.replace("cryptography", "cryptographY");
    assert!(open_note(&tampered, &v, "peter").is_err());
    // A signature by an unknown key is ignored; without a known one the note is rejected.
    let other = SignerKey::from_seed("PeterNeumann", [7; 32]).unwrap_or_else(|e| panic!("{e}"));
    let forged = other
        .sign_note(PETER_TEXT)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(open_note(&forged, &v, "forged").is_err());
    // Both signatures: the known one verifies, the unknown one is ignored.
    let both = format!(
        "{note}{}",
        forged
            .rsplit_once('\n')
            .map_or("", |_| forged.lines().last().unwrap_or(""))
    );
    let both = format!("{both}\n");
    assert_eq!(
        open_note(&both, &v, "both").ok().as_deref(),
        Some(PETER_TEXT)
    );
}

/// The note example of C2SP signed-note (signed-note.md, top): text with an
/// empty line inside, separated from the signatures by the *last* empty line.
#[test]
fn signed_note_spec_example_parses() {
    let note = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned \u{e8} subito sera.\n\n\u{2014} quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";
    let (text, sigs) = parse_note(note, "spec example").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        text,
        "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned \u{e8} subito sera.\n"
    );
    assert_eq!(sigs.len(), 1);
    assert_eq!(sigs[0].name, "quasimodo.example/salvatore");
    assert_eq!(sigs[0].id, 0x367ba04b); // base64 "NnugSz..." starts 36 7b a0 4b
    assert_eq!(sigs[0].signature.len(), 64);
    // Malformed variants.
    assert!(parse_note(&note.replace('\u{2014}', "-"), "x").is_err());
    assert!(parse_note(note.trim_end(), "x").is_err());
    assert!(parse_note(&note.replace("sera.", "sera.\u{7}"), "x").is_err());
}

/// The checkpoint example of C2SP tlog-checkpoint (tlog-checkpoint.md, top).
#[test]
fn checkpoint_spec_example_parses() {
    let note = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
    let (text, sigs) = parse_note(note, "spec").unwrap_or_else(|e| panic!("{e}"));
    let cp = Checkpoint::parse(&text, "spec").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cp.origin, "example.com/behind-the-sofa");
    assert_eq!(cp.size, 20852163);
    assert_eq!(
        cp.root.to_base64(),
        "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
    );
    assert_eq!(cp.text(), text);
    assert_eq!(sigs[0].name, "example.com/behind-the-sofa");
    // §Note text: no leading zeroes, at least three non-empty lines.
    assert!(
        Checkpoint::parse(
            "o\n020852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
            "x"
        )
        .is_err()
    );
    assert!(Checkpoint::parse("o\n1\n", "x").is_err());
    assert!(
        Checkpoint::parse(
            "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\nx\n",
            "x"
        )
        .is_err()
    );
    assert!(Checkpoint::parse("o\n1\nCsUY\n", "x").is_err());
}

#[test]
fn checkpoint_sign_and_open_round_trip() {
    let k = SignerKey::from_seed("example.org/log", [1; 32]).unwrap_or_else(|e| panic!("{e}"));
    let cp = Checkpoint::new("example.org/log", 8, h(ROOTS[8]))
        .sign(&k)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        cp.note()
            .starts_with("example.org/log\n8\nXcnaeacGWamtVZy3Ad7Zoqudgjqt")
    );
    let back =
        SignedCheckpoint::open(cp.note(), &k.verifier(), "cp").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, cp);
    // Origin must match the key name.
    assert!(
        Checkpoint::new("other.org/log", 8, h(ROOTS[8]))
            .sign(&k)
            .is_err()
    );
}

/// C2SP tlog-tiles §Merkle Tree: "index 1234067 will be encoded as
/// x001/x234/067"; §Partial Tiles: "a tree of size 70,000 will be represented
/// by 273 full level 0 tiles, one partial level 0 tile of width 112, one full
/// level 1 tile, one partial level 1 tile of width 17, and one partial level 2
/// tile of width 1".
#[test]
fn tlog_tiles_paths() {
    assert_eq!(tile_index_path(1234067), "x001/x234/067");
    assert_eq!(tile_index_path(0), "000");
    assert_eq!(tile_index_path(1000), "x001/000");
    assert_eq!(tile_path(Some(0), 273, 112), "tile/0/273.p/112");
    assert_eq!(tile_path(Some(1), 1, 17), "tile/1/001.p/17");
    assert_eq!(tile_path(None, 5, 256), "tile/entries/005");
    let size: u64 = 70_000;
    assert_eq!((size / 256, size % 256), (273, 112));
    assert_eq!((size >> 8) / 256, 1);
    assert_eq!((size >> 8) % 256, 17);
    assert_eq!((size >> 16) % 256, 1);
}
