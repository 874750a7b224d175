//! Public, reproducible random samples of stations: Rivest's consistent
//! sampler (Rivest 2018, the `consistent_sampler` package, version 1.0.10).
//!
//! # Method
//!
//! Each station gets a *ticket number*, a real number in (0, 1) written as a
//! decimal string, computed from the public seed and the station id alone:
//!
//! - `seed_hash = hex(SHA-256(utf8(seed)))` (64 lowercase hex digits);
//! - the first ticket of id `i` is `uniform(seed_hash ‖ i)`, where
//!   `uniform(s)` takes `SHA-256(utf8(s))` as a 256-bit integer, writes it in
//!   decimal (zero-padded to at least 64 digits), reverses the digits (the
//!   low-order digits are the unbiased ones) and puts `"0."` in front;
//! - stations are drawn in increasing ticket order (as strings, which is the
//!   numeric order here; ties are broken by id, then generation).
//!
//! Sampling with replacement gives a drawn station a new, larger ticket, its
//! next *generation*: from ticket `x`, keep the leading run of 9s of its
//! fraction (`x ‖ "0"` up to its first digit below 9), append the fraction
//! digits of `uniform(x ‖ ":" ‖ k)` for `k = 1, 2, …`, and take the first
//! result that is larger than `x ‖ "0"`.
//!
//! The order does not depend on the order of the list, adding or removing a
//! station does not reorder the others (a subset's order is the whole order
//! filtered), and anyone with the seed and the list can redo it. Stratified
//! draws take each stratum's stations in their own consistent order with the
//! same seed.
//!
//! Every function here matches the reference package exactly: the test
//! vectors in `tests/vectors/consistent_sampler.json` were computed with it
//! (`tests/vectors/make_sampler_vectors.py` says how).
//!
//! # What a sample is worth
//!
//! A sample is only random if the seed was fixed after the frame and before
//! anyone saw the data: publish [`Seed::commitment`] first, reveal the seed
//! later. A seed chosen after the data is seen can be chosen to pick any
//! sample and is worthless. The frame must be complete: a station missing
//! from it can never be drawn.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashSet};
use std::fmt::Write as _;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tallyproof_core::Registry;

/// The method name written into a published sample.
pub const METHOD: &str = "consistent_sampler (Rivest 2018): SHA-256 tickets, version 1.0.10";

/// The domain tag of a seed commitment: the commitment is
/// `hex(SHA-256(utf8(COMMITMENT_TAG ‖ seed)))`.
pub const COMMITMENT_TAG: &str = "tallyproof-seed-commitment-v1:";

/// Digits shown of a ticket number after its leading run of 9s, as the
/// reference package shows them by default.
pub const DISPLAY_DIGITS: usize = 9;

/// Errors of sampling.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SampleError {
    /// The seed is empty.
    #[error("the seed is empty: a sample needs a seed fixed in public before the data is seen")]
    EmptySeed,
    /// The same id appears twice in the frame.
    #[error("station {0:?} appears twice in the frame: ids must be distinct")]
    DuplicateId(String),
    /// The registry only counts stations per unit.
    #[error(
        "the registry {0} is a `units` registry: it counts stations per unit but lists no station \
         ids, so it cannot be a sampling frame. Give a `stations` registry (one row per station, \
         e.g. the sheets' own file when it lists every station)"
    )]
    UnitsRegistry(String),
    /// A station of the frame has no unit at the strata level.
    #[error("station {station:?} has no {level} in the registry: it cannot be put in a stratum")]
    NoStratum {
        /// The station id.
        station: String,
        /// The strata level's key.
        level: String,
    },
    /// A stratum named in an allocation is not in the frame.
    #[error("stratum {0:?} is not in the frame")]
    UnknownStratum(String),
    /// More stations asked of a stratum than it has (without replacement).
    #[error("stratum {stratum:?} has {available} stations; {size} asked without replacement")]
    TooMany {
        /// The stratum.
        stratum: String,
        /// The size asked.
        size: usize,
        /// The stations it has.
        available: usize,
    },
    /// The frame is empty.
    #[error("the frame has no stations")]
    EmptyFrame,
}

/// A public seed and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    text: String,
    hash: String,
}

impl Seed {
    /// A seed from its text (any Unicode; hashed as UTF-8). Rivest suggests
    /// at least 20 decimal digits from dice rolled in public.
    pub fn new(text: &str) -> Result<Seed, SampleError> {
        if text.is_empty() {
            return Err(SampleError::EmptySeed);
        }
        Ok(Seed {
            text: text.to_string(),
            hash: sha256_hex(text.as_bytes()),
        })
    }

    /// The seed's text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `hex(SHA-256(utf8(seed)))`, the key of every ticket. Knowing it is
    /// knowing the sample: never publish it before the draw.
    pub fn hash_hex(&self) -> &str {
        &self.hash
    }

    /// The commitment to publish before the seed is revealed:
    /// `hex(SHA-256(utf8(COMMITMENT_TAG ‖ seed)))`. It is not the seed's own
    /// hash, which would give every ticket away. Anyone can check it later,
    /// e.g. `printf '%s' 'tallyproof-seed-commitment-v1:SEED' | sha256sum`.
    pub fn commitment(&self) -> String {
        commitment_of(&self.text)
    }
}

/// The commitment of a seed text (see [`Seed::commitment`]).
pub fn commitment_of(seed: &str) -> String {
    let mut h = Sha256::new();
    h.update(COMMITMENT_TAG.as_bytes());
    h.update(seed.as_bytes());
    hex::encode(h.finalize())
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A ticket number: a real number in (0, 1) as the decimal string `"0.ddd…"`.
/// Ordered as strings, as the reference package orders them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TicketNumber(String);

impl TicketNumber {
    /// From a string `"0.ddd…"` (digits only after the point).
    pub fn parse(s: &str) -> Option<TicketNumber> {
        let rest = s.strip_prefix("0.")?;
        rest.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| TicketNumber(s.to_string()))
    }

    /// The full number, `"0.ddd…"`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Position of the first fraction digit below 9 in `self ‖ "0"`.
    fn first_non_nine(&self) -> usize {
        let b = self.0.as_bytes();
        (2..b.len()).find(|&i| b[i] < b'9').unwrap_or(b.len())
    }

    /// The number cut (not rounded) to `digits` significant digits after its
    /// leading run of 9s, as the package's `trim` shows it.
    pub fn trimmed(&self, digits: usize) -> &str {
        let end = (self.first_non_nine() + digits).min(self.0.len());
        &self.0[..end]
    }

    /// The number as a float (for display and arithmetic, not for ordering).
    pub fn to_f64(&self) -> f64 {
        self.0
            .get(..self.0.len().min(20))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0.0)
    }

    /// A pseudorandom number larger than this one, in (self, 1): the next
    /// generation's ticket number.
    pub fn next(&self) -> TicketNumber {
        let mut x0 = self.0.clone();
        x0.push('0');
        let p = self.first_non_nine();
        let mut k: u64 = 0;
        loop {
            k += 1;
            let mut input = String::with_capacity(self.0.len() + 12);
            input.push_str(&self.0);
            input.push(':');
            let _ = write!(input, "{k}");
            let u = uniform(input.as_bytes());
            let mut y = String::with_capacity(p + u.0.len());
            y.push_str(&x0[..p]);
            y.push_str(&u.0[2..]);
            if y > x0 {
                return TicketNumber(y);
            }
        }
    }
}

/// `uniform(s)`: SHA-256 of `s` as a 256-bit integer, in decimal zero-padded
/// to at least 64 digits, digits reversed, `"0."` in front (the package's
/// `sha256_uniform`).
pub fn uniform(input: &[u8]) -> TicketNumber {
    let d = Sha256::digest(input);
    let mut limbs = [0u64; 4];
    for (i, limb) in limbs.iter_mut().enumerate() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&d[8 * i..8 * i + 8]);
        *limb = u64::from_be_bytes(w);
    }
    // Decimal digits, least significant first, by division by 10^19.
    const TEN19: u128 = 10_000_000_000_000_000_000;
    let mut rev = Vec::with_capacity(80);
    while limbs.iter().any(|&l| l != 0) {
        let mut rem: u128 = 0;
        for limb in limbs.iter_mut() {
            let cur = (rem << 64) | u128::from(*limb);
            *limb = (cur / TEN19) as u64;
            rem = cur % TEN19;
        }
        let mut chunk = rem as u64;
        let last = limbs.iter().all(|&l| l == 0);
        for _ in 0..19 {
            if last && chunk == 0 {
                break;
            }
            rev.push(b'0' + (chunk % 10) as u8);
            chunk /= 10;
        }
    }
    while rev.len() < 64 {
        rev.push(b'0');
    }
    let mut s = String::with_capacity(rev.len() + 2);
    s.push_str("0.");
    s.extend(rev.iter().map(|&b| b as char));
    TicketNumber(s)
}

/// One station's ticket in one generation. Ordered as the package orders its
/// tuples: ticket number, then id, then generation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Ticket {
    /// The ticket number.
    pub number: TicketNumber,
    /// The station id.
    pub id: String,
    /// 1 for the first ticket, then 2, 3, … when drawn with replacement.
    pub generation: u32,
}

impl Ticket {
    /// The ticket of the next generation (same id, larger number).
    pub fn next(&self) -> Ticket {
        Ticket {
            number: self.number.next(),
            id: self.id.clone(),
            generation: self.generation + 1,
        }
    }
}

/// The first-generation ticket of `id` under `seed`.
pub fn first_ticket(seed: &Seed, id: &str) -> Ticket {
    let mut input = String::with_capacity(64 + id.len());
    input.push_str(&seed.hash);
    input.push_str(id);
    Ticket {
        number: uniform(input.as_bytes()),
        id: id.to_string(),
        generation: 1,
    }
}

fn check_distinct<S: AsRef<str>>(ids: &[S]) -> Result<(), SampleError> {
    let mut seen = HashSet::with_capacity(ids.len());
    for id in ids {
        if !seen.insert(id.as_ref()) {
            return Err(SampleError::DuplicateId(id.as_ref().to_string()));
        }
    }
    Ok(())
}

/// The first `take` stations in sampling order, without replacement (all of
/// them if `take` is at least the number of ids). Ids must be distinct.
pub fn draw_without_replacement<S: AsRef<str> + Sync>(
    seed: &Seed,
    ids: &[S],
    take: usize,
) -> Result<Vec<Ticket>, SampleError> {
    check_distinct(ids)?;
    let mut t: Vec<Ticket> = ids
        .par_iter()
        .map(|id| first_ticket(seed, id.as_ref()))
        .collect();
    if take < t.len() {
        if take == 0 {
            return Ok(Vec::new());
        }
        t.select_nth_unstable(take - 1);
        t.truncate(take);
    }
    t.par_sort_unstable();
    Ok(t)
}

/// The first `take` draws with replacement: each drawn station goes back
/// with its next-generation ticket. Ids must be distinct and not empty.
pub fn draw_with_replacement<S: AsRef<str> + Sync>(
    seed: &Seed,
    ids: &[S],
    take: usize,
) -> Result<Vec<Ticket>, SampleError> {
    check_distinct(ids)?;
    if ids.is_empty() {
        return if take == 0 {
            Ok(Vec::new())
        } else {
            Err(SampleError::EmptyFrame)
        };
    }
    // Only the `take` smallest first tickets can be drawn before the
    // `take`-th draw, so the heap starts with those.
    let first = draw_without_replacement(seed, ids, take)?;
    let mut heap: BinaryHeap<Reverse<Ticket>> = first.into_iter().map(Reverse).collect();
    let mut out = Vec::with_capacity(take);
    while out.len() < take {
        let Some(Reverse(t)) = heap.pop() else { break };
        heap.push(Reverse(t.next()));
        out.push(t);
    }
    Ok(out)
}

/// One station of a sampling frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameStation {
    /// The station id.
    pub id: String,
    /// Its stratum (`"all"` when the frame is not stratified).
    pub stratum: String,
    /// Registered voters, when the frame gives them.
    pub registered: Option<u64>,
}

/// The list every station is drawn from: every station that exists, each in
/// one stratum.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    /// The strata level's key, if stratified.
    pub level: Option<String>,
    /// The stations.
    pub stations: Vec<FrameStation>,
}

/// The stratum name of an unstratified frame.
pub const ALL: &str = "all";

impl Frame {
    /// The frame of a `stations` registry, stratified by the level at
    /// `strata` (index and key) if given. A `units` registry cannot be a
    /// frame: it has no station ids.
    pub fn from_registry(
        registry: &Registry,
        strata: Option<(usize, &str)>,
    ) -> Result<Frame, SampleError> {
        if !registry.knows_stations() {
            return Err(SampleError::UnitsRegistry(registry.path.clone()));
        }
        let mut stations = Vec::with_capacity(registry.stations().len());
        for s in registry.stations() {
            let stratum = match strata {
                None => ALL.to_string(),
                Some((l, key)) => {
                    s.units
                        .get(l)
                        .cloned()
                        .flatten()
                        .ok_or_else(|| SampleError::NoStratum {
                            station: s.id.clone(),
                            level: key.to_string(),
                        })?
                }
            };
            stations.push(FrameStation {
                id: s.id.clone(),
                stratum,
                registered: s.registered,
            });
        }
        let frame = Frame {
            level: strata.map(|(_, k)| k.to_string()),
            stations,
        };
        frame.check()?;
        Ok(frame)
    }

    /// Checks that the frame is not empty and its ids are distinct.
    pub fn check(&self) -> Result<(), SampleError> {
        if self.stations.is_empty() {
            return Err(SampleError::EmptyFrame);
        }
        let ids: Vec<&str> = self.stations.iter().map(|s| s.id.as_str()).collect();
        check_distinct(&ids)
    }

    /// Station ids per stratum, strata in name order.
    pub fn strata(&self) -> BTreeMap<String, Vec<&str>> {
        let mut m: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for s in &self.stations {
            m.entry(s.stratum.clone()).or_default().push(&s.id);
        }
        m
    }

    /// `hex(SHA-256)` of the lines `id TAB stratum LF`, sorted by id: it
    /// names the frame (and its strata) independently of the file's order.
    pub fn digest(&self) -> String {
        let mut lines: Vec<(&str, &str)> = self
            .stations
            .iter()
            .map(|s| (s.id.as_str(), s.stratum.as_str()))
            .collect();
        lines.sort_unstable();
        let mut h = Sha256::new();
        for (id, st) in lines {
            h.update(id.as_bytes());
            h.update(b"\t");
            h.update(st.as_bytes());
            h.update(b"\n");
        }
        hex::encode(h.finalize())
    }
}

/// Sample size per stratum, proportional to the stations in each stratum
/// (largest remainders, Hamilton's method), at least one per stratum when
/// `total` allows it, never more than a stratum has.
pub fn proportional_allocation(frame: &Frame, total: usize) -> BTreeMap<String, usize> {
    let strata = frame.strata();
    let n: usize = strata.values().map(Vec::len).sum();
    let total = total.min(n);
    let mut alloc: BTreeMap<String, usize> = BTreeMap::new();
    let mut rems: Vec<(f64, String)> = Vec::new();
    let mut given = 0usize;
    for (name, ids) in &strata {
        let exact = total as f64 * ids.len() as f64 / n.max(1) as f64;
        let mut a = exact.floor() as usize;
        if a == 0 && total >= strata.len() {
            a = 1;
        }
        a = a.min(ids.len());
        given += a;
        rems.push((exact - a as f64, name.clone()));
        alloc.insert(name.clone(), a);
    }
    rems.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut i = 0;
    while given < total && !rems.is_empty() {
        let name = &rems[i % rems.len()].1;
        let cap = strata.get(name).map_or(0, Vec::len);
        if let Some(a) = alloc.get_mut(name)
            && *a < cap
        {
            *a += 1;
            given += 1;
        }
        i += 1;
        if i > 4 * rems.len() + total {
            break;
        }
    }
    while given > total {
        // Minimums pushed the total over: take back from the largest.
        let Some((_, a)) = alloc.iter_mut().max_by_key(|(_, a)| **a) else {
            break;
        };
        *a -= 1;
        given -= 1;
    }
    alloc
}

/// One drawn station as a published sample lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draw {
    /// The station id.
    pub id: String,
    /// Its ticket number, shown as the package shows it (9 digits after the
    /// leading 9s).
    pub ticket: String,
    /// Generation (1 without replacement).
    pub generation: u32,
}

/// One stratum of a published sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StratumSample {
    /// The stratum.
    pub name: String,
    /// Stations of the stratum in the frame.
    pub frame_stations: usize,
    /// Registered voters of the stratum in the frame, when known.
    pub frame_registered: Option<u64>,
    /// The draws, in sampling order.
    pub draws: Vec<Draw>,
}

/// A sample as it is published: everything needed to redo it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedSample {
    /// The method ([`METHOD`]).
    pub method: String,
    /// The seed.
    pub seed: String,
    /// The seed's commitment ([`Seed::commitment`]), published before it.
    pub seed_commitment: String,
    /// The frame's digest ([`Frame::digest`]).
    pub frame_digest: String,
    /// Stations in the frame.
    pub frame_stations: usize,
    /// The strata level, if stratified.
    pub strata_level: Option<String>,
    /// Whether drawn with replacement.
    pub with_replacement: bool,
    /// Per stratum, in name order.
    pub strata: Vec<StratumSample>,
    /// What the sample assumes.
    pub assumptions: Vec<String>,
}

/// What every sample assumes, printed with it.
pub fn assumptions() -> Vec<String> {
    vec![
        "the frame is complete: a station missing from it can never be drawn".into(),
        "the seed was fixed (its commitment published) before any result was seen; a seed chosen \
         after the data is worthless"
            .into(),
        "each stratum is drawn in its own consistent order with the same seed".into(),
    ]
}

impl PublishedSample {
    /// All drawn station ids (each once), in stratum then sampling order.
    pub fn station_ids(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for s in &self.strata {
            for d in &s.draws {
                if seen.insert(d.id.as_str()) {
                    out.push(d.id.as_str());
                }
            }
        }
        out
    }

    /// Total draws.
    pub fn size(&self) -> usize {
        self.strata.iter().map(|s| s.draws.len()).sum()
    }
}

/// Draw `sizes[stratum]` stations from each stratum of the frame (strata
/// not named get none), each in its own consistent order under the seed.
pub fn draw(
    seed: &Seed,
    frame: &Frame,
    sizes: &BTreeMap<String, usize>,
    with_replacement: bool,
) -> Result<PublishedSample, SampleError> {
    frame.check()?;
    let strata = frame.strata();
    for name in sizes.keys() {
        if !strata.contains_key(name) {
            return Err(SampleError::UnknownStratum(name.clone()));
        }
    }
    let mut registered: BTreeMap<&str, Option<u64>> = BTreeMap::new();
    for s in &frame.stations {
        let e = registered.entry(s.stratum.as_str()).or_insert(Some(0));
        *e = match (*e, s.registered) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
    }
    let mut out = Vec::with_capacity(strata.len());
    for (name, ids) in &strata {
        let size = sizes.get(name).copied().unwrap_or(0);
        let tickets = if with_replacement {
            draw_with_replacement(seed, ids, size)?
        } else {
            if size > ids.len() {
                return Err(SampleError::TooMany {
                    stratum: name.clone(),
                    size,
                    available: ids.len(),
                });
            }
            draw_without_replacement(seed, ids, size)?
        };
        out.push(StratumSample {
            name: name.clone(),
            frame_stations: ids.len(),
            frame_registered: registered.get(name.as_str()).copied().flatten(),
            draws: tickets
                .into_iter()
                .map(|t| Draw {
                    ticket: t.number.trimmed(DISPLAY_DIGITS).to_string(),
                    id: t.id,
                    generation: t.generation,
                })
                .collect(),
        });
    }
    Ok(PublishedSample {
        method: METHOD.to_string(),
        seed: seed.as_str().to_string(),
        seed_commitment: seed.commitment(),
        frame_digest: frame.digest(),
        frame_stations: frame.stations.len(),
        strata_level: frame.level.clone(),
        with_replacement,
        strata: out,
        assumptions: assumptions(),
    })
}

/// One way a published sample differs from the draw it claims to be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum Discrepancy {
    /// The seed is empty.
    EmptySeed,
    /// The published commitment is not the seed's.
    Commitment {
        /// As published.
        published: String,
        /// Of the seed.
        computed: String,
    },
    /// The frame is not the one the sample was drawn from.
    FrameDigest {
        /// As published.
        published: String,
        /// Of the frame given.
        computed: String,
    },
    /// The strata level differs.
    StrataLevel {
        /// As published.
        published: Option<String>,
        /// Of the frame given.
        frame: Option<String>,
    },
    /// A stratum of the sample is not in the frame.
    UnknownStratum(String),
    /// The draw could not be redone.
    Redraw(String),
    /// A stratum's draws differ from the redone draw.
    Draws {
        /// The stratum.
        stratum: String,
        /// First position (1-based) that differs.
        position: usize,
        /// What the sample lists there (id, ticket), if anything.
        published: Option<(String, String)>,
        /// What the redone draw gives there, if anything.
        expected: Option<(String, String)>,
    },
}

impl std::fmt::Display for Discrepancy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |x: &Option<(String, String)>| match x {
            Some((id, t)) => format!("station {id} (ticket {t})"),
            None => "nothing".to_string(),
        };
        match self {
            Discrepancy::EmptySeed => write!(f, "the sample's seed is empty"),
            Discrepancy::Commitment {
                published,
                computed,
            } => write!(
                f,
                "the seed does not match the published commitment {published} (its commitment is {computed})"
            ),
            Discrepancy::FrameDigest {
                published,
                computed,
            } => write!(
                f,
                "the frame differs from the one the sample was drawn from (digest {computed}, the sample says {published})"
            ),
            Discrepancy::StrataLevel { published, frame } => write!(
                f,
                "the sample is stratified by {} but the frame by {}",
                published.as_deref().unwrap_or("nothing"),
                frame.as_deref().unwrap_or("nothing")
            ),
            Discrepancy::UnknownStratum(s) => {
                write!(f, "stratum {s:?} of the sample is not in the frame")
            }
            Discrepancy::Redraw(e) => write!(f, "the draw cannot be redone: {e}"),
            Discrepancy::Draws {
                stratum,
                position,
                published,
                expected,
            } => write!(
                f,
                "stratum {stratum:?}, draw {position}: the sample lists {}, the seed and frame give {}",
                show(published),
                show(expected)
            ),
        }
    }
}

/// Redo a published sample from its seed and the frame, and list every way
/// it differs (empty: the sample is the draw it claims to be). The frame must
/// be stratified by the same level as the sample.
pub fn verify(sample: &PublishedSample, frame: &Frame) -> Vec<Discrepancy> {
    let mut out = Vec::new();
    let seed = match Seed::new(&sample.seed) {
        Ok(s) => s,
        Err(_) => return vec![Discrepancy::EmptySeed],
    };
    if seed.commitment() != sample.seed_commitment {
        out.push(Discrepancy::Commitment {
            published: sample.seed_commitment.clone(),
            computed: seed.commitment(),
        });
    }
    if sample.strata_level != frame.level {
        out.push(Discrepancy::StrataLevel {
            published: sample.strata_level.clone(),
            frame: frame.level.clone(),
        });
        return out;
    }
    let digest = frame.digest();
    if digest != sample.frame_digest {
        out.push(Discrepancy::FrameDigest {
            published: sample.frame_digest.clone(),
            computed: digest,
        });
    }
    let strata = frame.strata();
    let mut sizes = BTreeMap::new();
    for s in &sample.strata {
        if !strata.contains_key(&s.name) {
            out.push(Discrepancy::UnknownStratum(s.name.clone()));
        } else {
            sizes.insert(s.name.clone(), s.draws.len());
        }
    }
    let redone = match draw(&seed, frame, &sizes, sample.with_replacement) {
        Ok(r) => r,
        Err(e) => {
            out.push(Discrepancy::Redraw(e.to_string()));
            return out;
        }
    };
    for s in &sample.strata {
        let Some(r) = redone.strata.iter().find(|r| r.name == s.name) else {
            continue;
        };
        let n = s.draws.len().max(r.draws.len());
        for k in 0..n {
            let p = s.draws.get(k);
            let e = r.draws.get(k);
            if p != e {
                let pair = |d: Option<&Draw>| d.map(|d| (d.id.clone(), d.ticket.clone()));
                out.push(Discrepancy::Draws {
                    stratum: s.name.clone(),
                    position: k + 1,
                    published: pair(p),
                    expected: pair(e),
                });
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_of_abc_is_the_packages_docstring_value() {
        // consistent_sampler.sha256_uniform("abc") docstring (version 1.0.10).
        assert_eq!(
            uniform(b"abc").as_str(),
            "0.56998071861792858926477341561059638840106636224182943832566300809078486324348"
        );
    }

    #[test]
    fn commitment_is_not_the_seed_hash() {
        let s = Seed::new("01382438112797316654").unwrap();
        assert_ne!(s.commitment(), s.hash_hex());
        assert_eq!(s.commitment().len(), 64);
    }
}
