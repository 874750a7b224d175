//! C2SP signed notes with Ed25519 keys (<https://c2sp.org/signed-note>).
//!
//! A note is a text ending in a newline, a blank line, and one or more
//! signature lines `— <key name> base64(key ID || signature)`. Keys are
//! exchanged in the verifier-key form of the Go `sumdb/note` package, which
//! transparency-log tooling shares:
//! `<name>+<8 hex digits of key ID>+base64(0x01 || 32-byte public key)`; the
//! private form is `PRIVATE+KEY+<name>+<key ID>+base64(0x01 || 32-byte seed)`.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _, VerifyingKey};

use crate::error::{Error, Result};
use crate::merkle::sha256;

/// Signature type byte of Ed25519 (C2SP signed-note §Signature types).
pub const ALG_ED25519: u8 = 0x01;

/// Verifiers must accept at least 16 signatures (C2SP signed-note §Format);
/// more than this many are rejected as malformed.
pub const MAX_SIGNATURES: usize = 100;

const EM_DASH_SPACE: &str = "\u{2014} ";

/// Key ID of a key: `SHA-256(key name || 0x0A || signature type || public
/// key)[:4]`, read big-endian (C2SP signed-note §Signatures).
pub fn key_id(name: &str, alg: u8, public_key: &[u8]) -> u32 {
    let h = sha256(&[name.as_bytes(), b"\n", &[alg], public_key]);
    u32::from_be_bytes([h[0], h[1], h[2], h[3]])
}

/// Whether `name` may name a key: non-empty, no Unicode space, no `+`
/// (C2SP signed-note §Format).
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

fn malformed(what: &str, kind: &'static str, reason: impl Into<String>) -> Error {
    Error::Malformed {
        what: what.to_string(),
        kind,
        reason: reason.into(),
    }
}

/// A public Ed25519 note key: what a verifier needs.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    id: u32,
    key: VerifyingKey,
}

impl VerifierKey {
    /// Parses `<name>+<hex key ID>+base64(0x01 || key)`, checking that the key
    /// ID is the one C2SP signed-note §Signatures recommends for this key.
    pub fn parse(s: &str) -> Result<Self> {
        let kind = "verifier key";
        let s = s.trim_end_matches('\n');
        let mut parts = s.splitn(3, '+');
        let (Some(name), Some(id16), Some(key64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed(s, kind, "expected <name>+<key ID>+<key>"));
        };
        if !is_valid_key_name(name) {
            return Err(malformed(s, kind, format!("invalid key name {name:?}")));
        }
        let id =
            parse_key_id(id16).ok_or_else(|| malformed(s, kind, "key ID is not 8 hex digits"))?;
        let raw = B64
            .decode(key64)
            .map_err(|e| malformed(s, kind, format!("key is not base64: {e}")))?;
        let Some((&alg, pk)) = raw.split_first() else {
            return Err(malformed(s, kind, "empty key"));
        };
        if alg != ALG_ED25519 {
            return Err(malformed(
                s,
                kind,
                format!("unsupported signature type 0x{alg:02x}"),
            ));
        }
        let pk: [u8; 32] = pk.try_into().map_err(|_| {
            malformed(
                s,
                kind,
                format!("Ed25519 key has {} bytes, not 32", pk.len()),
            )
        })?;
        let key = VerifyingKey::from_bytes(&pk)
            .map_err(|e| malformed(s, kind, format!("not an Ed25519 point: {e}")))?;
        if key_id(name, ALG_ED25519, &pk) != id {
            return Err(malformed(s, kind, "key ID does not match name and key"));
        }
        Ok(VerifierKey {
            name: name.to_string(),
            id,
            key,
        })
    }

    /// Builds the verifier key of an Ed25519 public key under `name`.
    pub fn from_ed25519(name: &str, key: VerifyingKey) -> Result<Self> {
        if !is_valid_key_name(name) {
            return Err(malformed(name, "verifier key", "invalid key name"));
        }
        Ok(VerifierKey {
            name: name.to_string(),
            id: key_id(name, ALG_ED25519, key.as_bytes()),
            key,
        })
    }

    /// Key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Key ID.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The Ed25519 public key.
    pub fn ed25519(&self) -> &VerifyingKey {
        &self.key
    }

    /// Verifies an Ed25519 signature over `msg` (RFC 8032 §5.1.7).
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = <[u8; 64]>::try_from(sig) else {
            return false;
        };
        self.key
            .verify(msg, &ed25519_dalek::Signature::from_bytes(&sig))
            .is_ok()
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = Vec::with_capacity(33);
        raw.push(ALG_ED25519);
        raw.extend_from_slice(self.key.as_bytes());
        write!(f, "{}+{:08x}+{}", self.name, self.id, B64.encode(raw))
    }
}

impl fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifierKey({self})")
    }
}

fn parse_key_id(s: &str) -> Option<u32> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

/// A private Ed25519 note key. Its `Debug` form never shows the key, and it
/// has no `Display`: the only way to text is [`SignerKey::to_private_string`].
#[derive(Clone)]
pub struct SignerKey {
    name: String,
    id: u32,
    key: SigningKey,
}

impl fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignerKey({}+{:08x}+<private>)", self.name, self.id)
    }
}

impl SignerKey {
    /// Generates a fresh key named `name` from the operating system's random
    /// source.
    pub fn generate(name: &str) -> Result<Self> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| Error::Random(e.to_string()))?;
        Self::from_seed(name, seed)
    }

    /// The key with this RFC 8032 seed.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self> {
        if !is_valid_key_name(name) {
            return Err(malformed(name, "signer key", "invalid key name"));
        }
        let key = SigningKey::from_bytes(&seed);
        Ok(SignerKey {
            name: name.to_string(),
            id: key_id(name, ALG_ED25519, key.verifying_key().as_bytes()),
            key,
        })
    }

    /// Parses `PRIVATE+KEY+<name>+<key ID>+base64(0x01 || seed)`.
    pub fn parse(s: &str) -> Result<Self> {
        let kind = "signer key";
        let what = "signer key file";
        let s = s.trim_end_matches('\n');
        let Some(rest) = s.strip_prefix("PRIVATE+KEY+") else {
            return Err(malformed(what, kind, "missing PRIVATE+KEY+ prefix"));
        };
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id16), Some(key64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed(what, kind, "expected <name>+<key ID>+<key>"));
        };
        let id = parse_key_id(id16)
            .ok_or_else(|| malformed(what, kind, "key ID is not 8 hex digits"))?;
        let raw = B64
            .decode(key64)
            .map_err(|_| malformed(what, kind, "key is not base64"))?;
        let Some((&alg, seed)) = raw.split_first() else {
            return Err(malformed(what, kind, "empty key"));
        };
        if alg != ALG_ED25519 {
            return Err(malformed(
                what,
                kind,
                format!("unsupported signature type 0x{alg:02x}"),
            ));
        }
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| malformed(what, kind, "Ed25519 seed is not 32 bytes"))?;
        let k = Self::from_seed(name, seed)?;
        if k.id != id {
            return Err(malformed(what, kind, "key ID does not match name and key"));
        }
        Ok(k)
    }

    /// The private text form. Write it only to a file readable by its owner.
    pub fn to_private_string(&self) -> String {
        let mut raw = Vec::with_capacity(33);
        raw.push(ALG_ED25519);
        raw.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.id,
            B64.encode(raw)
        )
    }

    /// Key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The matching verifier key.
    pub fn verifier(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    /// Signs `text` and returns the whole signed note: text, blank line,
    /// signature line (C2SP signed-note §Format; Ed25519 per RFC 8032 over the
    /// note text including its final newline).
    pub fn sign_note(&self, text: &str) -> Result<String> {
        check_text(text, "note text")?;
        let sig = self.key.sign(text.as_bytes());
        let mut blob = Vec::with_capacity(68);
        blob.extend_from_slice(&self.id.to_be_bytes());
        blob.extend_from_slice(&sig.to_bytes());
        Ok(format!(
            "{text}\n{EM_DASH_SPACE}{} {}\n",
            self.name,
            B64.encode(blob)
        ))
    }
}

fn check_text(text: &str, what: &str) -> Result<()> {
    if !text.ends_with('\n') {
        return Err(malformed(what, "note", "text does not end in a newline"));
    }
    if let Some(c) = text.chars().find(|&c| c < ' ' && c != '\n') {
        return Err(malformed(
            what,
            "note",
            format!("control character U+{:04X}", c as u32),
        ));
    }
    Ok(())
}

/// One signature line of a note, not yet verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    /// Key name.
    pub name: String,
    /// Key ID (first four bytes of the blob, big-endian).
    pub id: u32,
    /// The signature bytes after the key ID.
    pub signature: Vec<u8>,
}

/// Splits a signed note into its text and signature lines, checking the
/// syntax of C2SP signed-note §Format but no signature.
pub fn parse_note(note: &str, what: &str) -> Result<(String, Vec<NoteSignature>)> {
    if let Some(c) = note.chars().find(|&c| c < ' ' && c != '\n') {
        return Err(malformed(
            what,
            "note",
            format!("control character U+{:04X}", c as u32),
        ));
    }
    let Some(split) = note.rfind("\n\n") else {
        return Err(malformed(
            what,
            "note",
            "no blank line before the signatures",
        ));
    };
    let text = &note[..split + 1];
    let sigs = &note[split + 2..];
    if sigs.is_empty() || !sigs.ends_with('\n') {
        return Err(malformed(
            what,
            "note",
            "signature block missing or not newline-terminated",
        ));
    }
    let mut out = Vec::new();
    for line in sigs[..sigs.len() - 1].split('\n') {
        if out.len() == MAX_SIGNATURES {
            return Err(malformed(
                what,
                "note",
                format!("more than {MAX_SIGNATURES} signatures"),
            ));
        }
        let Some(rest) = line.strip_prefix(EM_DASH_SPACE) else {
            return Err(malformed(
                what,
                "note",
                format!("signature line {line:?} lacks the em dash"),
            ));
        };
        let Some((name, b64)) = rest.split_once(' ') else {
            return Err(malformed(
                what,
                "note",
                format!("signature line {line:?} lacks a space"),
            ));
        };
        if !is_valid_key_name(name) {
            return Err(malformed(
                what,
                "note",
                format!("invalid key name {name:?}"),
            ));
        }
        let blob = B64
            .decode(b64)
            .map_err(|_| malformed(what, "note", format!("signature of {name} is not base64")))?;
        if blob.len() < 5 {
            return Err(malformed(
                what,
                "note",
                format!("signature of {name} is too short"),
            ));
        }
        out.push(NoteSignature {
            name: name.to_string(),
            id: u32::from_be_bytes([blob[0], blob[1], blob[2], blob[3]]),
            signature: blob[4..].to_vec(),
        });
    }
    Ok((text.to_string(), out))
}

/// Opens a signed note with one trusted key and returns its text (C2SP
/// signed-note §Signatures): signatures by other keys are ignored; a
/// signature by the trusted key must verify; at least one must be present.
pub fn open_note(note: &str, key: &VerifierKey, what: &str) -> Result<String> {
    let (text, sigs) = parse_note(note, what)?;
    let mut verified = false;
    for s in &sigs {
        if s.name == key.name && s.id == key.id {
            if !key.verify(text.as_bytes(), &s.signature) {
                return Err(Error::BadSignature {
                    what: what.to_string(),
                    reason: format!("signature by {}+{:08x} does not verify", s.name, s.id),
                });
            }
            verified = true;
        }
    }
    if !verified {
        let seen: Vec<String> = sigs
            .iter()
            .map(|s| format!("{}+{:08x}", s.name, s.id))
            .collect();
        return Err(Error::BadSignature {
            what: what.to_string(),
            reason: format!(
                "no signature by the trusted key {}+{:08x}; signed by {}",
                key.name,
                key.id,
                seen.join(", ")
            ),
        });
    }
    Ok(text)
}
