//! RFC 6962 / RFC 9162 Merkle tree hashes, inclusion and consistency proofs.
//!
//! The tree is the one of RFC 6962 §2.1: `MTH({}) = SHA-256()`,
//! `MTH({d0}) = SHA-256(0x00 || d0)`, and for `n > 1`, with `k` the largest
//! power of two smaller than `n`,
//! `MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))`.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// A SHA-256 value: a leaf hash, an interior node hash or a root hash.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The root of the empty tree, `SHA-256()` (RFC 6962 §2.1).
    pub fn empty_root() -> Self {
        Hash(sha256(&[]))
    }

    /// Lower-case hexadecimal form.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Standard base64 form (RFC 4648 §4), as C2SP checkpoints write it.
    pub fn to_base64(&self) -> String {
        B64.encode(self.0)
    }

    /// Parses the standard base64 form of a 32-byte hash.
    pub fn from_base64(s: &str) -> Option<Self> {
        let bytes = B64.decode(s).ok()?;
        Some(Hash(bytes.try_into().ok()?))
    }

    /// Parses 64 hexadecimal digits.
    pub fn from_hex(s: &str) -> Option<Self> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).ok()?;
        Some(Hash(out))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl serde::Serialize for Hash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_base64())
    }
}

impl<'de> serde::Deserialize<'de> for Hash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Hash::from_base64(&s)
            .ok_or_else(|| serde::de::Error::custom("not the base64 of a 32-byte hash"))
    }
}

pub(crate) fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// Leaf hash of an entry: `SHA-256(0x00 || entry)` (RFC 6962 §2.1,
/// RFC 9162 §2.1.1).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    Hash(sha256(&[&[0x00], entry]))
}

/// Interior node hash: `SHA-256(0x01 || left || right)` (RFC 6962 §2.1,
/// RFC 9162 §2.1.1).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Hash(sha256(&[&[0x01], &left.0, &right.0]))
}

/// The largest power of two strictly smaller than `n` (`n >= 2`), the split
/// point `k` of RFC 6962 §2.1.
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// A Merkle tree held as its complete subtrees.
///
/// `level(h)[j]` is the hash of leaves `[j·2^h, (j+1)·2^h)`; level 0 holds the
/// leaf hashes. Any `MTH(D[a:b])` of RFC 6962 §2.1 is assembled from these in
/// `O(log² n)` hashes at worst, so proofs for any size up to [`Tree::size`]
/// come without rehashing the entries.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    levels: Vec<Vec<Hash>>,
}

impl Tree {
    /// An empty tree.
    pub fn new() -> Self {
        Tree {
            levels: vec![Vec::new()],
        }
    }

    /// Builds a tree from leaf hashes in order.
    pub fn from_leaf_hashes(leaves: impl IntoIterator<Item = Hash>) -> Self {
        let mut t = Tree::new();
        for h in leaves {
            t.push(h);
        }
        t
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Appends a leaf hash and completes every subtree it closes.
    pub fn push(&mut self, leaf: Hash) {
        let mut k = 0;
        let mut h = leaf;
        loop {
            if self.levels.len() <= k {
                self.levels.push(Vec::new());
            }
            let level = &mut self.levels[k];
            level.push(h);
            if level.len() % 2 == 1 {
                break;
            }
            let n = level.len();
            h = node_hash(&level[n - 2], &level[n - 1]);
            k += 1;
        }
    }

    /// Leaf hash at `index`, if it exists.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.levels
            .first()
            .and_then(|l| l.get(usize::try_from(index).ok()?))
            .copied()
    }

    /// The complete-subtree hashes at height `h` (for tiles: C2SP tlog-tiles
    /// §Merkle Tree stores heights 0, 8, 16, …).
    pub fn level(&self, h: usize) -> &[Hash] {
        self.levels.get(h).map_or(&[], |l| l.as_slice())
    }

    /// `MTH(D[start:end])` (RFC 6962 §2.1), `start < end <= size`.
    fn subtree(&self, start: u64, end: u64) -> Hash {
        let len = end - start;
        if len.is_power_of_two() && start.is_multiple_of(len) {
            let h = len.trailing_zeros() as usize;
            return self.levels[h][(start >> h) as usize];
        }
        let k = split(len);
        node_hash(
            &self.subtree(start, start + k),
            &self.subtree(start + k, end),
        )
    }

    /// Root hash `MTH(D[0:size])` of the first `size` leaves (RFC 6962 §2.1).
    pub fn root(&self, size: u64) -> Result<Hash> {
        if size > self.size() {
            return Err(Error::OutOfRange(format!(
                "root of size {size} requested from a tree of size {}",
                self.size()
            )));
        }
        Ok(if size == 0 {
            Hash::empty_root()
        } else {
            self.subtree(0, size)
        })
    }

    /// Audit path `PATH(index, D[0:size])` (RFC 6962 §2.1.1, RFC 9162
    /// §2.1.3.1), leaf-side sibling first.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>> {
        if index >= size || size > self.size() {
            return Err(Error::OutOfRange(format!(
                "inclusion of leaf {index} in a tree of size {size} (log size {})",
                self.size()
            )));
        }
        let mut out = Vec::new();
        self.path(index, 0, size, &mut out);
        Ok(out)
    }

    fn path(&self, m: u64, start: u64, end: u64, out: &mut Vec<Hash>) {
        let n = end - start;
        if n <= 1 {
            return;
        }
        let k = split(n);
        if m < k {
            self.path(m, start, start + k, out);
            out.push(self.subtree(start + k, end));
        } else {
            self.path(m - k, start + k, end, out);
            out.push(self.subtree(start, start + k));
        }
    }

    /// Consistency proof `PROOF(old, D[0:new])` (RFC 6962 §2.1.2, RFC 9162
    /// §2.1.4.1). Empty when `old == new`; `old` must be at least 1.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>> {
        if old == 0 && new <= self.size() {
            return Err(Error::EmptyOldTree { new_size: new });
        }
        if old == 0 || old > new || new > self.size() {
            return Err(Error::OutOfRange(format!(
                "consistency from size {old} to size {new} (log size {})",
                self.size()
            )));
        }
        let mut out = Vec::new();
        if old < new {
            self.subproof(old, 0, new, true, &mut out);
        }
        Ok(out)
    }

    fn subproof(&self, m: u64, start: u64, end: u64, whole: bool, out: &mut Vec<Hash>) {
        let n = end - start;
        if m == n {
            if !whole {
                out.push(self.subtree(start, end));
            }
            return;
        }
        let k = split(n);
        if m <= k {
            self.subproof(m, start, start + k, whole, out);
            out.push(self.subtree(start + k, end));
        } else {
            self.subproof(m - k, start + k, end, false, out);
            out.push(self.subtree(start, start + k));
        }
    }
}

/// Verifies an inclusion proof (RFC 9162 §2.1.3.2): that `leaf` is leaf
/// `index` of the tree of `size` leaves whose root is `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<()> {
    if index >= size {
        return Err(Error::ProofFailed(format!(
            "leaf index {index} is not below tree size {size}"
        )));
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return Err(Error::ProofFailed(format!(
                "inclusion proof for leaf {index} in size {size} is too long"
            )));
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(Error::ProofFailed(format!(
            "inclusion proof for leaf {index} in size {size} is too short"
        )));
    }
    if r != *root {
        return Err(Error::ProofFailed(format!(
            "inclusion proof for leaf {index} in size {size} yields root {r}, expected {root}"
        )));
    }
    Ok(())
}

/// Verifies a consistency proof (RFC 9162 §2.1.4.2): that the tree of size
/// `old` with root `old_root` is a prefix of the tree of size `new` with root
/// `new_root`.
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<()> {
    let fail = |why: &str| {
        Err(Error::ProofFailed(format!(
            "consistency {old} -> {new}: {why}"
        )))
    };
    if old == 0 {
        return fail(
            "a consistency proof is defined only from a non-empty tree (RFC 9162 §2.1.4); \
             every tree is consistent with the empty one",
        );
    }
    if old > new {
        return fail("sizes out of order");
    }
    if old == new {
        if !proof.is_empty() {
            return fail("proof between equal sizes must be empty");
        }
        if old_root != new_root {
            return fail("equal sizes with different roots");
        }
        return Ok(());
    }
    if proof.is_empty() {
        return fail("empty proof");
    }
    // "If first is an exact power of 2, then prepend first_hash to the
    // consistency_path array."
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let (mut fnode, mut snode) = (old - 1, new - 1);
    if fnode & 1 == 1 {
        while fnode & 1 == 1 {
            fnode >>= 1;
            snode >>= 1;
        }
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if snode == 0 {
            return fail("proof too long");
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return fail("proof too short");
    }
    if fr != *old_root {
        return fail("proof does not reproduce the old root");
    }
    if sr != *new_root {
        return fail("proof does not reproduce the new root");
    }
    Ok(())
}
