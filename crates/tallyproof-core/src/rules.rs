//! Validation rules: stable codes, severities and what each checks.
//!
//! Codes never change meaning and are never reused. They appear in the
//! quarantine file, in JSON output and in reports. `docs/rules.md` is
//! generated from [`Rule::ALL`] (`tallyproof rules --markdown`).

use serde::{Deserialize, Serialize};

/// What happens to a sheet that breaks a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// The sheet is quarantined: kept with its reason, not counted.
    Error,
    /// The sheet is accepted and counted, and flagged for forensics.
    Warning,
}

impl Severity {
    /// "error" or "warning".
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

macro_rules! rules {
    ($( $(#[doc = $doc:literal])* $name:ident = ($code:literal, $slug:literal, $sev:ident); )*) => {
        /// A validation rule.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum Rule { $( $(#[doc = $doc])* $name, )* }

        impl Rule {
            /// Every rule, in code order.
            pub const ALL: &'static [Rule] = &[ $(Rule::$name,)* ];

            /// The stable code, e.g. `E003`.
            pub fn code(self) -> &'static str { match self { $(Rule::$name => $code,)* } }

            /// The stable slug, e.g. `options-sum`.
            pub fn slug(self) -> &'static str { match self { $(Rule::$name => $slug,)* } }

            /// The severity unless the config overrides it.
            pub fn default_severity(self) -> Severity { match self { $(Rule::$name => Severity::$sev,)* } }

            /// What the rule checks, in one paragraph.
            pub fn description(self) -> &'static str {
                match self { $(Rule::$name => concat!($($doc, "\n"),*).trim_ascii(),)* }
            }
        }
    };
}

rules! {
    /// A row has a different number of fields from the header: a shifted or
    /// truncated row whose numbers cannot be trusted column by column.
    FieldCount = ("E001", "field-count", Error);
    /// The fields that build the station id are empty, so the sheet cannot be
    /// attributed to a station.
    MissingStation = ("E002", "station-missing", Error);
    /// A count is not a whole number (text, decimals, thousands separators).
    CountUnparseable = ("E003", "count-unparseable", Error);
    /// A count is negative.
    CountNegative = ("E004", "count-negative", Error);
    /// A count is empty where the config says empty counts are errors, or
    /// only some counts of a row are empty.
    CountEmpty = ("E005", "count-empty", Error);
    /// The options do not add up to the valid votes printed on the sheet.
    OptionsSum = ("E006", "options-sum", Error);
    /// Valid + null (+ blank) differs from the ballots printed on the sheet.
    BallotsMismatch = ("E007", "ballots-mismatch", Error);
    /// More ballots (or votes) than registered voters at the station.
    BallotsOverRegistered = ("E008", "ballots-over-registered", Error);
    /// The same station appears with different numbers. Every copy is kept in
    /// the quarantine, none is counted, until a person resolves it.
    Conflict = ("E009", "conflict", Error);
    /// The station is not in the registry given with `--registry`.
    UnknownStation = ("E010", "unknown-station", Error);
    /// Long shape: an option value the config does not name, or per-station
    /// fields that differ between a station's rows.
    LongShape = ("E011", "long-shape", Error);
    /// A field is longer than 4,096 bytes: not a tally sheet.
    FieldTooLong = ("E012", "field-too-long", Error);
    /// Every registered voter voted (ballots = registered): rare in clean
    /// elections, a classic mark of stuffing.
    FullTurnout = ("W101", "full-turnout", Warning);
    /// One option has every valid vote at a station with at least 10 votes.
    Unanimous = ("W102", "unanimous", Warning);
    /// An identical copy of a sheet already read; merged into one.
    DuplicateMerged = ("W103", "duplicate-merged", Warning);
}

impl Rule {
    /// A rule by code (`E006`) or slug (`options-sum`), case-insensitive.
    pub fn from_name(name: &str) -> Option<Rule> {
        Rule::ALL
            .iter()
            .copied()
            .find(|r| r.code().eq_ignore_ascii_case(name) || r.slug().eq_ignore_ascii_case(name))
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code(), self.slug())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_slugs_are_unique() {
        let mut codes: Vec<_> = Rule::ALL.iter().map(|r| r.code()).collect();
        let mut slugs: Vec<_> = Rule::ALL.iter().map(|r| r.slug()).collect();
        codes.sort();
        slugs.sort();
        codes.dedup();
        slugs.dedup();
        assert_eq!(codes.len(), Rule::ALL.len());
        assert_eq!(slugs.len(), Rule::ALL.len());
        for r in Rule::ALL {
            assert_eq!(Rule::from_name(r.code()), Some(*r));
            assert_eq!(Rule::from_name(r.slug()), Some(*r));
            assert!(!r.description().is_empty());
            let warn = r.code().starts_with('W');
            assert_eq!(warn, r.default_severity() == Severity::Warning);
        }
    }
}
