//! One tally sheet as a value, as every source produces it (a file row, a
//! scanned QR code, a witness's typed entry, an official publication), and
//! the one validation every source goes through.
//!
//! - [`Sheet`]: station id, contest, [`Counts`] and its [`Origin`].
//! - [`parse_fields`]: text fields (a web form, a JSON object) to a
//!   [`Sheet`], with the same parse rules (E003, E004, E005, E012) and
//!   messages as the file readers.
//! - [`validate`]: (config, one sheet) to a [`Verdict`]: accepted, accepted
//!   with flags, or rejected with reasons, under the same rule codes and
//!   severities the readers use; the readers call the same checks
//!   ([`check_counts`]) for every row.
//! - The checks that need other sheets (an identical copy, a conflicting
//!   copy, a station not in the registry) are [`crate::collate`].
//!
//! ```
//! use tallyproof_core::Config;
//! use tallyproof_core::sheet::{Counts, Origin, Sheet, SourceKind, Verdict, validate};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let cfg = Config::from_toml(r#"
//!     [election]
//!     name = "Example"
//!     [station]
//!     id = ["station"]
//!     [columns]
//!     valid = "valid"
//!     [[options]]
//!     key = "A"
//!     [[options]]
//!     key = "B"
//! "#)?;
//! let mut counts = Counts::new(2);
//! counts.options = vec![10, 5];
//! counts.valid = Some(16);
//! let sheet = Sheet::new("S1", counts, Origin::new(SourceKind::Witness));
//! match validate(&cfg, &sheet) {
//!     Verdict::Rejected { reasons } => assert_eq!(reasons[0].rule.code(), "E006"),
//!     Verdict::Accepted { .. } => unreachable!("10 + 5 is not 16"),
//! }
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::model::Reason;
use crate::rules::{Rule, Severity};

/// Who produced a sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// A file read by an organiser (CSV, JSON Lines, Parquet).
    Import,
    /// A tally-sheet image whose QR code was decoded.
    Scan,
    /// A person's typed transcription.
    Witness,
    /// The authority's own publication.
    Official,
}

impl SourceKind {
    /// `import`, `scan`, `witness` or `official`.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Import => "import",
            SourceKind::Scan => "scan",
            SourceKind::Witness => "witness",
            SourceKind::Official => "official",
        }
    }

    /// The kind named by [`SourceKind::as_str`].
    pub fn parse(s: &str) -> Option<SourceKind> {
        [
            SourceKind::Import,
            SourceKind::Scan,
            SourceKind::Witness,
            SourceKind::Official,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// Where one sheet came from. Every field but `kind` is optional: a file
/// row has a file and a line, a scan an image hash and its QR payload, a
/// witness entry a submitter and a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// Who produced it.
    pub kind: SourceKind,
    /// The file's name (not its path: a path can name the operator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// SHA-256 of the file's bytes as stored, lower-case hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_sha256: Option<String>,
    /// 1-based line in the file where the sheet's (first) row starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// SHA-256 of the tally-sheet image, lower-case hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_sha256: Option<String>,
    /// The QR code's payload as decoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_payload: Option<String>,
    /// When it was received, RFC 3339 in UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<String>,
    /// Who submitted it, when a person did (a witness's public name or id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_by: Option<String>,
}

impl Origin {
    /// An origin of this kind with nothing else known.
    pub fn new(kind: SourceKind) -> Origin {
        Origin {
            kind,
            file: None,
            file_sha256: None,
            line: None,
            image_sha256: None,
            qr_payload: None,
            received_at: None,
            submitted_by: None,
        }
    }
}

/// The names of the six counts besides the options, in the fixed order of
/// [`Counts::extras`].
pub const EXTRA_NAMES: [&str; 6] = ["registered", "valid", "null", "blank", "ballots", "issued"];

/// The numbers of one sheet. `None` means the sheet (or the config) has no
/// such figure.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counts {
    /// Votes per option, in config order.
    pub options: Vec<u64>,
    /// Registered voters.
    pub registered: Option<u64>,
    /// Valid votes as printed.
    pub valid: Option<u64>,
    /// Null (invalid) ballots.
    pub null: Option<u64>,
    /// Blank ballots.
    pub blank: Option<u64>,
    /// Ballots cast as printed.
    pub ballots: Option<u64>,
    /// Ballots issued.
    pub issued: Option<u64>,
}

impl Counts {
    /// Zero votes for `options` options, no other figure.
    pub fn new(options: usize) -> Counts {
        Counts {
            options: vec![0; options],
            ..Counts::default()
        }
    }

    /// Registered, valid, null, blank, ballots, issued.
    pub fn extras(&self) -> [Option<u64>; 6] {
        [
            self.registered,
            self.valid,
            self.null,
            self.blank,
            self.ballots,
            self.issued,
        ]
    }

    /// Set the six extras in the order of [`Counts::extras`].
    pub fn set_extras(&mut self, e: [Option<u64>; 6]) {
        [
            self.registered,
            self.valid,
            self.null,
            self.blank,
            self.ballots,
            self.issued,
        ] = e;
    }

    /// The sum of the options' votes.
    pub fn options_total(&self) -> u64 {
        self.options.iter().sum()
    }

    /// Every figure that differs between two sheets' counts, by name
    /// (option keys from `options`, then [`EXTRA_NAMES`]); empty when they
    /// carry the same numbers.
    pub fn differences(&self, other: &Counts, options: &[String]) -> Vec<Difference> {
        let mut out = Vec::new();
        let n = self.options.len().max(other.options.len());
        for o in 0..n {
            let (a, b) = (self.options.get(o).copied(), other.options.get(o).copied());
            if a != b {
                let field = options.get(o).cloned().unwrap_or_else(|| format!("#{o}"));
                out.push(Difference { field, a, b });
            }
        }
        for (k, (a, b)) in self.extras().into_iter().zip(other.extras()).enumerate() {
            if a != b {
                out.push(Difference {
                    field: EXTRA_NAMES[k].to_string(),
                    a,
                    b,
                });
            }
        }
        out
    }
}

/// One figure on which two sheets differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    /// An option key or one of [`EXTRA_NAMES`].
    pub field: String,
    /// The first sheet's figure.
    pub a: Option<u64>,
    /// The second sheet's figure.
    pub b: Option<u64>,
}

/// One tally sheet, from any source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sheet {
    /// The station's id, as the config builds it.
    pub station: String,
    /// The contest, when the source names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contest: Option<String>,
    /// Its numbers.
    pub counts: Counts,
    /// Where it came from.
    pub origin: Origin,
}

impl Sheet {
    /// A sheet for `station` with these counts and origin.
    pub fn new(station: impl Into<String>, counts: Counts, origin: Origin) -> Sheet {
        Sheet {
            station: station.into(),
            contest: None,
            counts,
            origin,
        }
    }
}

/// The outcome of validating one sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    /// Counted; `flags` are warnings (empty when the sheet is clean).
    Accepted {
        /// Warnings, e.g. W101 full turnout.
        flags: Vec<Reason>,
    },
    /// Not counted; errors first, then any warnings.
    Rejected {
        /// Why.
        reasons: Vec<Reason>,
    },
}

impl Verdict {
    /// Whether the sheet is counted.
    pub fn is_accepted(&self) -> bool {
        matches!(self, Verdict::Accepted { .. })
    }

    /// Every reason, errors and warnings.
    pub fn reasons(&self) -> &[Reason] {
        match self {
            Verdict::Accepted { flags } => flags,
            Verdict::Rejected { reasons } => reasons,
        }
    }
}

/// The severity of every rule under a config, looked up once.
#[derive(Debug, Clone)]
pub struct Severities([Severity; Rule::ALL.len()]);

impl Severities {
    /// The severities `cfg` sets (defaults where it sets none).
    pub fn of(cfg: &Config) -> Severities {
        let mut s = [Severity::Error; Rule::ALL.len()];
        for (i, r) in Rule::ALL.iter().enumerate() {
            s[i] = cfg.severity(*r);
        }
        Severities(s)
    }

    /// A reason for `rule` with its severity.
    pub fn reason(&self, rule: Rule, message: String) -> Reason {
        let severity = Rule::ALL
            .iter()
            .position(|r| *r == rule)
            .map_or(rule.default_severity(), |i| self.0[i]);
        Reason {
            rule,
            severity,
            message,
        }
    }
}

/// The checks of one sheet's numbers against each other (E006 options
/// sum, E007 ballots, E008 over registered, W101 full turnout, W102
/// unanimous, and counts past `u32::MAX`), as every reader and
/// [`validate`] run them. `extras` in the order of [`Counts::extras`].
/// Findings go to `errors` or `warnings` by their severity under the
/// config.
pub fn check_counts(
    cfg: &Config,
    sev: &Severities,
    options: &[u64],
    extras: [Option<u64>; 6],
    errors: &mut Vec<Reason>,
    warnings: &mut Vec<Reason>,
) {
    let opt_sum: u64 = options.iter().sum();
    let mut push = |rule: Rule, msg: String| {
        let r = sev.reason(rule, msg);
        if r.severity == Severity::Error {
            errors.push(r);
        } else {
            warnings.push(r);
        }
    };
    let [registered, valid, null, blank, ballots, issued] = extras;
    if let Some(v) = valid
        && v != opt_sum
    {
        push(
            Rule::OptionsSum,
            format!("options add up to {opt_sum} but the sheet prints {v} valid votes"),
        );
    }
    let valid_or_sum = valid.unwrap_or(opt_sum);
    let cast = valid_or_sum + null.unwrap_or(0) + blank.unwrap_or(0);
    if let Some(b) = ballots
        && b != cast
    {
        let parts = if blank.is_some() {
            "valid + null + blank"
        } else if null.is_some() {
            "valid + null"
        } else {
            "valid"
        };
        push(
            Rule::BallotsMismatch,
            format!("{parts} = {cast} but the sheet prints {b} ballots"),
        );
    }
    if let Some(reg) = registered {
        let (what, n) = match (ballots, issued) {
            (Some(b), Some(i)) if i > b => ("ballots issued", i),
            (Some(b), _) => ("ballots", b),
            (None, Some(i)) => ("ballots issued", i),
            (None, None) => ("votes cast", cast),
        };
        if n > reg {
            push(
                Rule::BallotsOverRegistered,
                format!("{what} {n} exceed the {reg} registered voters"),
            );
        } else if reg > 0 && n == reg {
            push(
                Rule::FullTurnout,
                format!("{what} {n} equal the registered voters: 100% turnout"),
            );
        }
    }
    if opt_sum >= 10
        && let Some(o) = options.iter().position(|&v| v == opt_sum)
    {
        let key = cfg.options.get(o).map_or("an option", |s| s.key.as_str());
        push(
            Rule::Unanimous,
            format!("{key} has all {opt_sum} valid votes"),
        );
    }
    let big = options
        .iter()
        .chain(extras.iter().flatten())
        .any(|&v| v > u64::from(u32::MAX));
    if big {
        errors.push(sev.reason(
            Rule::CountUnparseable,
            "a count exceeds 4,294,967,295: not a polling-station figure".into(),
        ));
    }
}

/// The count columns a config maps, in the order of [`Counts::extras`].
pub fn mapped_extras(cfg: &Config) -> [bool; 6] {
    let c = &cfg.columns;
    [
        c.registered.is_some(),
        c.valid.is_some(),
        c.null.is_some() || cfg.role_options.iter().any(|o| o.role == Some(Role::Null)),
        c.blank.is_some() || cfg.role_options.iter().any(|o| o.role == Some(Role::Blank)),
        c.ballots.is_some(),
        c.issued.is_some(),
    ]
}

pub use crate::config::Role;

/// Validate one sheet under `cfg`: its shape (one count per option of the
/// config, every figure the config maps present: E005; a station id:
/// E002), then [`check_counts`]. The same rules, codes, messages and
/// severities as the file readers; the checks against other sheets are
/// [`crate::collate`].
pub fn validate(cfg: &Config, sheet: &Sheet) -> Verdict {
    let sev = Severities::of(cfg);
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    if crate::config::trim(&sheet.station).is_empty() {
        errors.push(sev.reason(
            Rule::MissingStation,
            "the sheet has no station id".to_string(),
        ));
    }
    let want = cfg.options.len();
    let c = &sheet.counts;
    if c.options.len() != want {
        errors.push(sev.reason(
            Rule::CountEmpty,
            format!(
                "the sheet has {} option counts; the config names {want} options",
                c.options.len()
            ),
        ));
    }
    let mapped = mapped_extras(cfg);
    for (k, (m, v)) in mapped.iter().zip(c.extras()).enumerate() {
        if *m && v.is_none() {
            errors.push(sev.reason(
                Rule::CountEmpty,
                format!("{} is empty; the config reads it", EXTRA_NAMES[k]),
            ));
        }
    }
    if errors.is_empty() {
        check_counts(
            cfg,
            &sev,
            &c.options,
            c.extras(),
            &mut errors,
            &mut warnings,
        );
    }
    if errors.is_empty() {
        Verdict::Accepted { flags: warnings }
    } else {
        errors.extend(warnings);
        Verdict::Rejected { reasons: errors }
    }
}

/// Outcome of parsing one count field.
pub(crate) enum Num {
    Value(u64),
    Empty,
    Bad(String),
    Negative(String),
}

/// One to nine bare digits, the form of nearly every count, parsed without
/// a branch per digit; `None` for anything else.
#[inline(always)]
pub(crate) fn bare_digits(f: &[u8]) -> Option<u64> {
    if f.is_empty() || f.len() > 9 {
        return None;
    }
    let mut v = 0u64;
    let mut ok = true;
    for &b in f {
        let d = b.wrapping_sub(b'0');
        ok &= d <= 9;
        v = v * 10 + u64::from(d);
    }
    ok.then_some(v)
}

/// Parse one count field as every reader does: surrounding spaces allowed,
/// a leading `+`, `-0`; no decimals, separators or text.
#[inline]
pub(crate) fn parse_field(f: &[u8]) -> Num {
    match bare_digits(f) {
        Some(v) => Num::Value(v),
        None => parse_field_general(f),
    }
}

#[cold]
#[inline(never)]
fn parse_field_general(f: &[u8]) -> Num {
    let t = f.trim_ascii();
    if t.is_empty() {
        return Num::Empty;
    }
    let (neg, digits) = match t.first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || digits.len() > 12 {
        return Num::Bad(String::from_utf8_lossy(t).into_owned());
    }
    let mut v: u64 = 0;
    for &b in digits {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return Num::Bad(String::from_utf8_lossy(t).into_owned());
        }
        v = v * 10 + u64::from(d);
    }
    if neg && v > 0 {
        Num::Negative(String::from_utf8_lossy(t).into_owned())
    } else {
        Num::Value(v)
    }
}

/// Text fields to a [`Sheet`]: what a web form or a JSON object gives.
/// `fields` maps option keys and [`EXTRA_NAMES`] to their text; a figure
/// the config does not map is ignored only if empty. Parse errors are the
/// readers' (E003 not a number, E004 negative, E005 empty under the
/// config's `empty` rule, E012 over 4,096 bytes); a sheet whose every
/// count is empty is E005 too (a form is never a station "without a
/// sheet"). The result still needs [`validate`].
pub fn parse_fields(
    cfg: &Config,
    station: &str,
    fields: &BTreeMap<String, String>,
    origin: Origin,
) -> Result<Sheet, Vec<Reason>> {
    let sev = Severities::of(cfg);
    let mut errors = Vec::new();
    let get = |what: &str, errors: &mut Vec<Reason>| -> Option<u64> {
        let text = fields.get(what).map_or("", String::as_str);
        if text.len() > crate::read::MAX_FIELD {
            errors.push(sev.reason(
                Rule::FieldTooLong,
                format!("{what} is {} bytes long", text.len()),
            ));
            return None;
        }
        match parse_field(text.as_bytes()) {
            Num::Value(v) => Some(v),
            Num::Empty => {
                errors.push(sev.reason(Rule::CountEmpty, format!("{what} is empty")));
                None
            }
            Num::Bad(s) => {
                errors.push(sev.reason(
                    Rule::CountUnparseable,
                    format!("{what} is {s:?}, not a whole number"),
                ));
                None
            }
            Num::Negative(s) => {
                errors.push(sev.reason(Rule::CountNegative, format!("{what} is negative: {s}")));
                None
            }
        }
    };
    let mut counts = Counts::default();
    for o in &cfg.options {
        counts.options.push(get(&o.key, &mut errors).unwrap_or(0));
    }
    let mapped = mapped_extras(cfg);
    let mut extras = [None; 6];
    for k in 0..6 {
        if mapped[k] {
            extras[k] = get(EXTRA_NAMES[k], &mut errors);
        }
    }
    counts.set_extras(extras);
    let known = |k: &str| {
        cfg.options.iter().any(|o| o.key == k)
            || EXTRA_NAMES.iter().zip(mapped).any(|(n, m)| m && *n == k)
    };
    for (k, v) in fields {
        if !known(k) && !v.trim().is_empty() {
            errors.push(sev.reason(
                Rule::LongShape,
                format!("{k:?} is not an option or a count of this election's sheets"),
            ));
        }
    }
    if crate::config::trim(station).is_empty() {
        errors.push(sev.reason(Rule::MissingStation, "the station id is empty".into()));
    }
    if errors.is_empty() {
        Ok(Sheet::new(station, counts, origin))
    } else {
        Err(errors)
    }
}
