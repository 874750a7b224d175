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
    /// A row has a different number of fields from the header (a shifted or
    /// truncated row whose numbers cannot be trusted column by column); a
    /// quoted field opens and does not close on its line (the line is
    /// quarantined and reading goes on at the next one); a JSON Lines line
    /// is not a JSON object, or gives one of the config's columns twice.
    FieldCount = ("E001", "field-count", Error);
    /// A column that builds the station id is empty (after trimming
    /// spaces; the message names it), so the sheet cannot be attributed to
    /// a station: with several id columns, one empty part would otherwise
    /// build a wrong id (an empty centre padded to `000000000`); for a
    /// sheet given as a value (a form, a scan), the station id is empty.
    MissingStation = ("E002", "station-missing", Error);
    /// A count is not a whole number: text, decimals, thousands separators,
    /// more than 12 digits, or over 4,294,967,295. Spaces around it, a
    /// leading `+` and `-0` are accepted.
    CountUnparseable = ("E003", "count-unparseable", Error);
    /// A count is negative (a minus sign before a number other than 0).
    CountNegative = ("E004", "count-negative", Error);
    /// Under `empty = "error"`, any count field is empty. Under
    /// `empty = "missing"` (the default), some but not all of a row's vote
    /// fields (the options and the valid, null, blank, ballots and issued
    /// columns the config maps) are empty, or the registered voters are
    /// empty on a row whose votes are filled in; a row whose vote fields are
    /// all empty is a station without a sheet, not an error. A sheet given
    /// as a value lacks an option's count or a figure the config maps.
    CountEmpty = ("E005", "count-empty", Error);
    /// The config maps a valid-votes column and the options' votes do not
    /// add up to the valid votes printed on the sheet.
    OptionsSum = ("E006", "options-sum", Error);
    /// The config maps a ballots column and the ballots printed differ from
    /// valid + null + blank: the valid votes printed (the options' sum when
    /// no valid column is mapped) plus the null and blank votes where
    /// mapped.
    BallotsMismatch = ("E007", "ballots-mismatch", Error);
    /// The config maps registered voters and the votes at the station exceed
    /// them: ballots issued when both ballots and issued are mapped and
    /// issued is the larger, else ballots, else issued, else votes cast
    /// (valid or the options' sum, + null + blank).
    BallotsOverRegistered = ("E008", "ballots-over-registered", Error);
    /// The same station id appears more than once in the files read
    /// together, with different numbers (any option or count). Every copy
    /// is kept in the quarantine, none is counted, until a person resolves
    /// it. Always an error: `[validation.severity]` does not lower it.
    Conflict = ("E009", "conflict", Error);
    /// The station is not in the registry given with `--registry`; checked
    /// only when the registry lists stations (`kind = "stations"`), not
    /// units. As a warning, the sheet is counted and flagged.
    UnknownStation = ("E010", "unknown-station", Error);
    /// Long shape: an option value the config does not name; a station's
    /// rows that differ in a count column (registered, valid, ...); one
    /// option given twice with different votes; under `empty = "error"`, no
    /// row for one of the options. A sheet given as fields names a field
    /// that is neither an option nor a count.
    LongShape = ("E011", "long-shape", Error);
    /// A field is longer than 4,096 bytes: not a tally sheet.
    FieldTooLong = ("E012", "field-too-long", Error);
    /// The config maps registered voters (more than 0) and the votes at the
    /// station, counted as for E008 (ballots issued or ballots where mapped,
    /// else votes cast), equal them: 100% turnout, rare in clean elections,
    /// a classic mark of stuffing.
    FullTurnout = ("W101", "full-turnout", Warning);
    /// One option has every vote of the options (all others 0) at a sheet
    /// whose options add up to at least 10.
    Unanimous = ("W102", "unanimous", Warning);
    /// The same station id again with the same numbers (every option and
    /// count): the copy is merged into the first sheet read, which is
    /// flagged once per copy.
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
