//! The election config: one TOML file that describes an election and how to
//! read its tally sheets, so that a user can add any election without code.
//!
//! ```toml
//! [election]
//! name = "Example presidential election"
//! stations_total = 1200            # optional: the national number of stations
//!
//! [input]
//! shape = "wide"                   # or "long": a row per option per station
//! delimiter = ","
//! encoding = "auto"                # "utf-8", "windows-1252" (also for Latin-1), "auto"
//! empty = "missing"                # empty counts mean "sheet missing", or "error"
//!
//! [station]
//! id = [{ column = "CENTRE", pad = 9 }, { column = "TABLE", pad = 2 }]
//! separator = "."
//!
//! [[levels]]
//! key = "state"
//! code = "STATE_CODE"
//! name = "STATE_NAME"
//!
//! [columns]
//! registered = "REGISTERED"
//! valid = "VALID"
//! null = "NULL"
//!
//! [[options]]
//! key = "A"
//! name = "Candidate A"
//! columns = ["A_PARTY1", "A_PARTY2"]   # party lines that sum into the candidate
//! ```
//!
//! Every key is checked: an unknown key is an error that names it and the
//! nearest known key; a column the file does not have is an error that names
//! it and the nearest header (see [`crate::read`]).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, suggest};
use crate::rules::{Rule, Severity};

/// A parsed, checked election config.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// What the election is.
    pub election: Election,
    /// How to read the input files.
    #[serde(default)]
    pub input: Input,
    /// How a station's id is built from columns.
    pub station: StationSpec,
    /// The geography, from the top level down (for example state, municipality, parish).
    #[serde(default)]
    pub levels: Vec<Level>,
    /// The non-option count columns.
    #[serde(default)]
    pub columns: Columns,
    /// The options (candidates, parties, answers), in the order they are printed.
    /// Options with a `role` are moved to [`Config::role_options`] when the
    /// config is read: these are the counted ones.
    pub options: Vec<OptionSpec>,
    /// Long shape: option rows that carry the null or the blank count
    /// (`role = "null"` / `"blank"`), taken out of `options` when the
    /// config is read, so that shares are of valid votes.
    #[serde(skip)]
    pub role_options: Vec<OptionSpec>,
    /// Validation settings.
    #[serde(default)]
    pub validation: Validation,
    /// How to read a station registry given with `--registry`.
    #[serde(default)]
    pub registry: Option<RegistrySpec>,
    /// Stratification and other analysis settings.
    #[serde(default)]
    pub analysis: Analysis,
}

/// The election itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Election {
    /// A human-readable name.
    pub name: String,
    /// The election day, as printed (ISO 8601 recommended).
    #[serde(default)]
    pub date: Option<String>,
    /// The contest on the sheets (for files holding one contest).
    #[serde(default)]
    pub contest: Option<String>,
    /// The national number of stations (tables, polling stations) when known
    /// from the authority, used as the coverage denominator when no registry
    /// is given.
    #[serde(default)]
    pub stations_total: Option<u64>,
    /// The national number of registered voters when known.
    #[serde(default)]
    pub registered_total: Option<u64>,
    /// Where the figures above come from.
    #[serde(default)]
    pub sources: Vec<String>,
}

/// The physical form of the input.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Wide (a column per option) or long (a row per option per station).
    #[serde(default)]
    pub shape: Shape,
    /// Field delimiter, one ASCII character (`"\t"` for tab).
    #[serde(default = "default_delimiter")]
    pub delimiter: String,
    /// Text encoding.
    #[serde(default)]
    pub encoding: Encoding,
    /// What an empty numeric field means.
    #[serde(default)]
    pub empty: Empty,
    /// For `shape = "long"`: the column naming the option.
    #[serde(default)]
    pub option_column: Option<String>,
    /// For `shape = "long"`: the column with the option's votes.
    #[serde(default)]
    pub votes_column: Option<String>,
    /// Keep only the rows whose columns hold these values (a value or a
    /// list of values per column; every column must match), e.g.
    /// `where = { office = "ELECTORS OF PRESIDENT AND VICE PRESIDENT" }`
    /// for one contest out of a file of many. Applied before validation:
    /// rows left out are counted as rows of other contests, never
    /// validated, never silent.
    #[serde(default, rename = "where")]
    pub filter: BTreeMap<String, Values>,
}

/// A value or a list of values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Values {
    /// One value.
    One(String),
    /// Any of these.
    Any(Vec<String>),
}

impl Values {
    /// The values, as a list.
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            Values::One(v) => vec![v.clone()],
            Values::Any(v) => v.clone(),
        }
    }
}

impl Default for Input {
    fn default() -> Self {
        Input {
            shape: Shape::Wide,
            delimiter: default_delimiter(),
            encoding: Encoding::Auto,
            empty: Empty::Missing,
            option_column: None,
            votes_column: None,
            filter: BTreeMap::new(),
        }
    }
}

fn default_delimiter() -> String {
    ",".to_string()
}

/// Wide or long input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    /// A column per option.
    #[default]
    Wide,
    /// A row per option per station.
    Long,
}

/// Text encodings accepted on input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    /// UTF-8 when the bytes are valid UTF-8, else Windows-1252.
    #[default]
    Auto,
    /// UTF-8, with or without a byte-order mark.
    #[serde(rename = "utf-8", alias = "utf8")]
    Utf8,
    /// Windows-1252, a superset of the printable ISO-8859-1 (Latin-1).
    #[serde(
        rename = "windows-1252",
        alias = "latin-1",
        alias = "latin1",
        alias = "iso-8859-1",
        alias = "cp1252"
    )]
    Windows1252,
}

/// What an empty numeric field means.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Empty {
    /// A row whose counts are all empty is a station without a sheet; a row
    /// with only some counts empty is an error.
    #[default]
    Missing,
    /// Any empty count is an error.
    Error,
}

/// How a station id is built.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationSpec {
    /// The parts of the id, joined by `separator`.
    pub id: Vec<IdPart>,
    /// What joins the parts.
    #[serde(default = "default_separator")]
    pub separator: String,
}

fn default_separator() -> String {
    "/".to_string()
}

/// One part of a station id or a geographic code: a column, optionally
/// zero-padded on the left, or cut to its first `take` pieces split on `split`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IdPart {
    /// The column's value as it is.
    Column(String),
    /// The column's value, transformed.
    Spec(IdPartSpec),
}

/// A transformed id part.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdPartSpec {
    /// The column.
    pub column: String,
    /// Left-pad with zeros to this width (digits only).
    #[serde(default)]
    pub pad: Option<usize>,
    /// Split the value on this string and keep the first `take` pieces.
    #[serde(default)]
    pub split: Option<String>,
    /// How many pieces to keep after `split`.
    #[serde(default)]
    pub take: Option<usize>,
    /// Keep only the first this many characters (after padding): a state
    /// code that is the first two digits of a centre code.
    #[serde(default)]
    pub prefix: Option<usize>,
}

impl IdPart {
    /// The column this part reads.
    pub fn column(&self) -> &str {
        match self {
            IdPart::Column(c) => c,
            IdPart::Spec(s) => &s.column,
        }
    }

    /// Append this part's value, built from the raw field, to `out`.
    pub fn render(&self, raw: &str, out: &mut String) {
        let raw = trim(raw);
        match self {
            IdPart::Column(_) => out.push_str(raw),
            IdPart::Spec(s) => {
                let piece = match (&s.split, s.take) {
                    (Some(sep), Some(n)) if !sep.is_empty() => {
                        let mut end = raw.len();
                        let mut seen = 0;
                        for (i, _) in raw.match_indices(sep.as_str()) {
                            seen += 1;
                            if seen == n {
                                end = i;
                                break;
                            }
                        }
                        &raw[..end]
                    }
                    _ => raw,
                };
                let start = out.len();
                if let Some(w) = s.pad
                    && piece.len() < w
                    && piece.bytes().all(|b| b.is_ascii_digit())
                {
                    for _ in piece.len()..w {
                        out.push('0');
                    }
                }
                out.push_str(piece);
                if let Some(n) = s.prefix
                    && let Some((cut, _)) = out[start..].char_indices().nth(n)
                {
                    out.truncate(start + cut);
                }
            }
        }
    }
}

/// `str::trim`, without the Unicode scan when the ends are visible ASCII
/// (every whitespace character is either at most a space or not ASCII).
pub(crate) fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(&a), Some(&b)) if (0x21..0x80).contains(&a) && (0x21..0x80).contains(&b) => s,
        _ => s.trim(),
    }
}

/// One geographic level.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    /// Short key (`state`), used on the command line (`--level state`).
    pub key: String,
    /// The column(s) whose values identify a unit of this level; several
    /// columns are joined with `/` (a municipality numbered within its state
    /// needs both codes).
    pub code: Columns1,
    /// The column with the unit's name, when the file has one.
    #[serde(default)]
    pub name: Option<String>,
}

/// One or several columns, given as a string or a list.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Columns1 {
    /// A single column.
    One(IdPart),
    /// Several columns.
    Many(Vec<IdPart>),
}

impl Columns1 {
    /// The parts, as a slice.
    pub fn parts(&self) -> &[IdPart] {
        match self {
            Columns1::One(p) => std::slice::from_ref(p),
            Columns1::Many(v) => v,
        }
    }
}

/// One count: a column, or several whose values add up (party lines).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CountSpec {
    /// A single column.
    One(String),
    /// Several columns that add up.
    Sum(Vec<String>),
}

impl CountSpec {
    /// The columns, as a slice.
    pub fn columns(&self) -> &[String] {
        match self {
            CountSpec::One(c) => std::slice::from_ref(c),
            CountSpec::Sum(v) => v,
        }
    }
}

/// The non-option count columns. Each is optional; the checks that need a
/// column run only when it is mapped.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    /// Registered voters of the station.
    #[serde(default)]
    pub registered: Option<CountSpec>,
    /// Valid votes, as printed on the sheet.
    #[serde(default)]
    pub valid: Option<CountSpec>,
    /// Null (invalid, spoilt) ballots.
    #[serde(default)]
    pub null: Option<CountSpec>,
    /// Blank ballots, where counted apart from null ones.
    #[serde(default)]
    pub blank: Option<CountSpec>,
    /// Ballots found in the boxes (cast), as printed.
    #[serde(default)]
    pub ballots: Option<CountSpec>,
    /// Ballots issued to voters (the turnout numerator where it differs
    /// from ballots cast, as in Russian protocols).
    #[serde(default)]
    pub issued: Option<CountSpec>,
}

/// One option on the sheet.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionSpec {
    /// Short stable key (`EG`), used in announcements and output.
    pub key: String,
    /// Full name.
    #[serde(default)]
    pub name: Option<String>,
    /// Wide shape: the column(s) with this option's votes; several columns
    /// (party lines) add up. Defaults to the key.
    #[serde(default)]
    pub columns: Option<CountSpec>,
    /// Long shape: the value of the option column that means this option.
    /// Defaults to the key.
    #[serde(default)]
    pub value: Option<String>,
    /// The party lines (cards) printed for this option, in printed order.
    /// Scanned sheets carry a count per line; these names map them here.
    #[serde(default)]
    pub lines: Vec<String>,
    /// Long shape: this option row is not a candidate but the sheet's null
    /// or blank count (over- and under-votes in US precinct files).
    #[serde(default)]
    pub role: Option<Role>,
}

/// What a long file's option row other than a candidate carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The null (invalid, over-voted) count.
    Null,
    /// The blank (under-voted) count.
    Blank,
}

impl OptionSpec {
    /// The display name: the name if given, else the key.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.key)
    }
}

/// Validation settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Validation {
    /// Severity overrides by rule code or slug, e.g.
    /// `{ "ballots-mismatch" = "warning" }`.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
}

/// How to read a registry file given with `--registry`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrySpec {
    /// A row per station, or a row per geographic unit with its number of stations.
    pub kind: RegistryKind,
    /// Field delimiter.
    #[serde(default = "default_delimiter")]
    pub delimiter: String,
    /// Keep only rows whose column equals the value (all must match).
    #[serde(default, rename = "where")]
    pub filter: BTreeMap<String, String>,
    /// `kind = "units"`: which level (key) the rows describe.
    #[serde(default)]
    pub level: Option<String>,
    /// `kind = "units"`: the column(s) with the unit code, built as the
    /// level's code is; `kind = "stations"`: the station id parts (default:
    /// the config's `[station] id`).
    #[serde(default)]
    pub code: Option<Columns1>,
    /// `kind = "units"`: the column with the number of stations in the unit.
    #[serde(default)]
    pub stations: Option<String>,
    /// The column with registered voters (of the station or of the unit).
    #[serde(default)]
    pub registered: Option<String>,
    /// `kind = "stations"`: the geography columns, per level key (default:
    /// the config's levels).
    #[serde(default)]
    pub levels: BTreeMap<String, Columns1>,
}

/// The kind of registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RegistryKind {
    /// One row per station.
    Stations,
    /// One row per geographic unit, with its number of stations.
    Units,
}

/// Analysis settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Analysis {
    /// The level whose units are the strata of projections and samples.
    #[serde(default)]
    pub strata: Option<String>,
}

impl Config {
    /// Read and check a config file.
    pub fn from_path(path: &Path) -> Result<Config, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        Config::from_toml(&text).map_err(|e| e.in_file(path))
    }

    /// Parse and check a config from TOML text.
    pub fn from_toml(text: &str) -> Result<Config, Error> {
        let mut cfg: Config = toml::from_str(text).map_err(|e| Error::Config {
            file: None,
            message: improve_serde_message(e.message()),
            line: e.span().map(|s| line_of(text, s.start)),
        })?;
        cfg.check()?;
        let (roles, counted) = std::mem::take(&mut cfg.options)
            .into_iter()
            .partition(|o| o.role.is_some());
        cfg.options = counted;
        cfg.role_options = roles;
        cfg.check_roles()?;
        Ok(cfg)
    }

    fn check(&self) -> Result<(), Error> {
        let bad = |message: String| Error::Config {
            file: None,
            message,
            line: None,
        };
        if self.options.is_empty() {
            return Err(bad("the config names no [[options]]".into()));
        }
        if self.station.id.is_empty() {
            return Err(bad(
                "[station] id is empty: name the column(s) that identify a station".into(),
            ));
        }
        let d = self.input.delimiter.as_bytes();
        if d.len() != 1 {
            return Err(bad(format!(
                "[input] delimiter must be one ASCII character, got {:?}",
                self.input.delimiter
            )));
        }
        let mut seen = std::collections::HashSet::new();
        for o in &self.options {
            if o.key.trim().is_empty() {
                return Err(bad("an option has an empty key".into()));
            }
            if !seen.insert(o.key.as_str()) {
                return Err(bad(format!("option key {:?} appears twice", o.key)));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for l in &self.levels {
            if !seen.insert(l.key.as_str()) {
                return Err(bad(format!("level key {:?} appears twice", l.key)));
            }
        }
        if self.input.shape == Shape::Long
            && (self.input.option_column.is_none() || self.input.votes_column.is_none())
        {
            return Err(bad(
                "[input] shape = \"long\" needs option_column and votes_column".into(),
            ));
        }
        for key in self.validation.severity.keys() {
            if Rule::from_name(key).is_none() {
                let names: Vec<&str> = Rule::ALL
                    .iter()
                    .flat_map(|r| [r.code(), r.slug()])
                    .collect();
                return Err(bad(format!(
                    "[validation.severity] names an unknown rule {key:?}{}",
                    suggest(key, names.iter().copied())
                )));
            }
        }
        if let Some(s) = &self.analysis.strata {
            self.level_index(s)?;
        }
        if let Some(r) = &self.registry {
            if r.kind == RegistryKind::Units {
                let level = r.level.as_deref().ok_or_else(|| {
                    bad("[registry] kind = \"units\" needs level = \"<level key>\"".into())
                })?;
                self.level_index(level)?;
                if r.code.is_none() || r.stations.is_none() {
                    return Err(bad(
                        "[registry] kind = \"units\" needs code and stations columns".into(),
                    ));
                }
            }
            for key in r.levels.keys() {
                self.level_index(key)?;
            }
        }
        Ok(())
    }

    fn check_roles(&self) -> Result<(), Error> {
        let bad = |message: String| Error::Config {
            file: None,
            message,
            line: None,
        };
        if self.options.is_empty() {
            return Err(bad(
                "every [[options]] has a role: the config names no option to count".into(),
            ));
        }
        if !self.role_options.is_empty() && self.input.shape != Shape::Long {
            return Err(bad(format!(
                "option {:?} has a role, which only long files use; in a wide file map [columns] null or blank",
                self.role_options[0].key
            )));
        }
        for r in &self.role_options {
            let (col, name) = match r.role {
                Some(Role::Null) => (&self.columns.null, "null"),
                _ => (&self.columns.blank, "blank"),
            };
            if col.is_some() {
                return Err(bad(format!(
                    "option {:?} has role = {name:?} and [columns] maps {name} too: choose one",
                    r.key
                )));
            }
        }
        Ok(())
    }

    /// The index of a level by key, or an error naming the nearest key.
    pub fn level_index(&self, key: &str) -> Result<usize, Error> {
        self.levels
            .iter()
            .position(|l| l.key == key)
            .ok_or_else(|| Error::Config {
                file: None,
                message: format!(
                    "unknown level {key:?}{}",
                    suggest(key, self.levels.iter().map(|l| l.key.as_str()))
                ),
                line: None,
            })
    }

    /// The index of an option by key.
    pub fn option_index(&self, key: &str) -> Option<usize> {
        self.options.iter().position(|o| o.key == key)
    }

    /// The option keys, in config order.
    pub fn option_keys(&self) -> Vec<String> {
        self.options.iter().map(|o| o.key.clone()).collect()
    }

    /// The severity of a rule under this config's overrides.
    pub fn severity(&self, rule: Rule) -> Severity {
        for (k, s) in &self.validation.severity {
            if Rule::from_name(k) == Some(rule) {
                return *s;
            }
        }
        rule.default_severity()
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// serde says "unknown field `delimter`, expected one of `shape`, `delimiter`";
/// add the nearest match so the user sees the fix.
fn improve_serde_message(msg: &str) -> String {
    let msg = msg.trim();
    let Some(rest) = msg.strip_prefix("unknown field `") else {
        return msg.to_string();
    };
    let Some((field, tail)) = rest.split_once('`') else {
        return msg.to_string();
    };
    let expected: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
    format!(
        "unknown key {field:?}{}",
        suggest(field, expected.iter().copied())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: &str = r#"
[election]
name = "t"
[station]
id = ["ID"]
[[options]]
key = "A"
"#;

    #[test]
    fn minimal_config_parses() {
        let c = Config::from_toml(MIN).unwrap();
        assert_eq!(c.options[0].key, "A");
        assert_eq!(c.input.delimiter, ",");
    }

    #[test]
    fn unknown_key_names_it_and_suggests() {
        let text = format!("{MIN}\n[input]\ndelimter = \";\"\n");
        let e = Config::from_toml(&text).unwrap_err().to_string();
        assert!(e.contains("\"delimter\""), "{e}");
        assert!(e.contains("did you mean \"delimiter\""), "{e}");
        assert!(e.contains("line"), "{e}");
    }

    #[test]
    fn id_part_padding_and_split() {
        let p = IdPart::Spec(IdPartSpec {
            column: "C".into(),
            pad: Some(9),
            split: None,
            take: None,
            prefix: None,
        });
        let mut s = String::new();
        p.render("10113042", &mut s);
        assert_eq!(s, "010113042");
        let p = IdPart::Spec(IdPartSpec {
            column: "C".into(),
            pad: Some(9),
            split: None,
            take: None,
            prefix: Some(4),
        });
        s = "x".into();
        p.render("10113042", &mut s);
        assert_eq!(s, "x0101");
        let p = IdPart::Spec(IdPartSpec {
            column: "Acta".into(),
            pad: None,
            split: Some(".".into()),
            take: Some(2),
            prefix: None,
        });
        s.clear();
        p.render("010101001.01.1.0001", &mut s);
        assert_eq!(s, "010101001.01");
    }

    #[test]
    fn unknown_rule_in_severity_is_rejected() {
        let text = format!("{MIN}\n[validation.severity]\nbalots-mismatch = \"warning\"\n");
        let e = Config::from_toml(&text).unwrap_err().to_string();
        assert!(e.contains("ballots-mismatch"), "{e}");
    }
}
