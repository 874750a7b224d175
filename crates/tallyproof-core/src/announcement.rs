//! An authority's announcement: the totals it published, the coverage it
//! claimed ("after processing 96.87% of the protocols"), and its sources.
//!
//! TOML (or JSON with the same keys):
//!
//! ```toml
//! label = "CNE bulletin 2"
//! authority = "Consejo Nacional Electoral"
//! time = "2024-08-02"
//! sources = ["https://…"]
//!
//! [coverage]
//! stations_share = "96.87"      # percent, as printed: the precision is read from it
//! voters_processed = 20654431   # registered voters in the processed stations, if given
//! registered = 21321805         # all registered voters, if given
//!
//! [totals]                      # option keys of the config, or group names
//! NM = 6408844
//! EG = 5326104
//!
//! [groups]                      # totals published for several options together
//! others = ["LM", "JABE"]
//!
//! [summary]
//! valid = 12335884
//! null = 50785
//! cast = 12386669
//! turnout = "59.97"
//! ```
//!
//! Shares are decimals as printed. A string keeps trailing zeros ("80.0" is
//! read to one decimal); a TOML number is read at its shortest form.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize};

use crate::config::Config;
use crate::error::{Error, suggest};

/// A decimal number as printed: `digits / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Decimal {
    /// The digits without the point.
    pub digits: u64,
    /// How many digits follow the point.
    pub scale: u32,
}

impl Decimal {
    /// Parse "96.87", "80", "0.5".
    pub fn parse(s: &str) -> Option<Decimal> {
        let s = s.trim().trim_end_matches('%').trim();
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if int.len() + frac.len() > 15 {
            return None;
        }
        let digits: u64 = format!("{int}{frac}").parse().ok()?;
        Some(Decimal {
            digits,
            scale: frac.len() as u32,
        })
    }

    /// The value as a float (for display only).
    pub fn value(&self) -> f64 {
        self.digits as f64 / 10f64.powi(self.scale as i32)
    }

    /// The lowest value that rounds to this one at its printed precision,
    /// as a fraction of 100 (for a percentage): (2·digits − 1) / (2·10^scale·100).
    /// Returns (numerator, denominator).
    pub fn low_end_fraction_of_percent(&self) -> (u128, u128) {
        let num = (2 * u128::from(self.digits)).saturating_sub(1);
        let den = 2 * 10u128.pow(self.scale) * 100;
        (num, den)
    }
}

impl std::fmt::Display for Decimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = 10u64.pow(self.scale);
        if self.scale == 0 {
            write!(f, "{}", self.digits)
        } else {
            write!(
                f,
                "{}.{:0width$}",
                self.digits / p,
                self.digits % p,
                width = self.scale as usize
            )
        }
    }
}

fn de_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        S(String),
        F(f64),
        I(u64),
    }
    let raw: Option<Raw> = Option::deserialize(d)?;
    let s = match raw {
        None => return Ok(None),
        Some(Raw::S(s)) => s,
        Some(Raw::F(f)) => format!("{f}"),
        Some(Raw::I(i)) => i.to_string(),
    };
    Decimal::parse(&s)
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not a decimal number")))
}

/// The coverage an announcement claims.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coverage {
    /// Share of stations (tally sheets, protocols, actas) processed, in percent.
    #[serde(default, deserialize_with = "de_decimal")]
    pub stations_share: Option<Decimal>,
    /// Number of stations processed, when given as a count.
    #[serde(default)]
    pub stations: Option<u64>,
    /// The total number of stations, when the announcement gives it.
    #[serde(default)]
    pub stations_total: Option<u64>,
    /// Share of registered voters in the processed stations, in percent.
    #[serde(default, deserialize_with = "de_decimal")]
    pub voters_share: Option<Decimal>,
    /// Registered voters in the processed stations, when given as a count.
    #[serde(default)]
    pub voters_processed: Option<u64>,
    /// All registered voters.
    #[serde(default)]
    pub registered: Option<u64>,
}

/// Summary figures of an announcement.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// Valid votes.
    #[serde(default)]
    pub valid: Option<u64>,
    /// Null ballots.
    #[serde(default)]
    pub null: Option<u64>,
    /// Blank ballots.
    #[serde(default)]
    pub blank: Option<u64>,
    /// Votes cast.
    #[serde(default)]
    pub cast: Option<u64>,
    /// Turnout in percent, as printed.
    #[serde(default, deserialize_with = "de_decimal")]
    pub turnout: Option<Decimal>,
}

/// Figures for one unit of a level.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitFigures {
    /// The level key.
    pub level: String,
    /// The unit code, as the config builds it.
    pub code: String,
    /// Totals per option or group.
    pub totals: BTreeMap<String, u64>,
}

/// An authority's announcement.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Announcement {
    /// A short label ("CNE bulletin 2").
    pub label: String,
    /// Who announced it.
    #[serde(default)]
    pub authority: Option<String>,
    /// When, as published.
    #[serde(default)]
    pub time: Option<String>,
    /// Where the figures were published or reported.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Notes on the figures (misquotes, derivations).
    #[serde(default)]
    pub notes: Vec<String>,
    /// The claimed coverage.
    #[serde(default)]
    pub coverage: Coverage,
    /// National totals per option key or group name.
    pub totals: BTreeMap<String, u64>,
    /// Groups of options published as one figure.
    #[serde(default)]
    pub groups: BTreeMap<String, Vec<String>>,
    /// Valid, null, blank, cast, turnout.
    #[serde(default)]
    pub summary: Summary,
    /// Figures per unit of a level, where published.
    #[serde(default)]
    pub units: Vec<UnitFigures>,
}

/// What an announced total counts: one option, or several together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// The key in the announcement.
    pub key: String,
    /// Indices of the config's options that add up to it.
    pub options: Vec<usize>,
}

impl Announcement {
    /// Read an announcement from TOML or JSON (by extension).
    pub fn from_path(path: &Path) -> Result<Announcement, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let parsed = if is_json {
            serde_json::from_str(&text).map_err(|e| Error::Config {
                file: None,
                line: Some(e.line()),
                message: e.to_string(),
            })
        } else {
            toml::from_str(&text).map_err(|e| Error::Config {
                file: None,
                line: e.span().map(|s| {
                    text.as_bytes()[..s.start.min(text.len())]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count()
                        + 1
                }),
                message: e.message().trim().to_string(),
            })
        };
        parsed.map_err(|e| e.in_file(path))
    }

    /// Resolve each announced total to the config's options, checking that
    /// every key is an option or a group of options.
    pub fn targets(&self, cfg: &Config) -> Result<Vec<Target>, Error> {
        let bad = |message: String| Error::Config {
            file: None,
            line: None,
            message,
        };
        let known: Vec<&str> = cfg
            .options
            .iter()
            .map(|o| o.key.as_str())
            .chain(self.groups.keys().map(String::as_str))
            .collect();
        let mut out = Vec::new();
        for key in self.totals.keys() {
            let options = if let Some(members) = self.groups.get(key) {
                members
                    .iter()
                    .map(|m| {
                        cfg.option_index(m).ok_or_else(|| {
                            bad(format!(
                                "group {key:?} names {m:?}, not an option of the config{}",
                                suggest(m, cfg.options.iter().map(|o| o.key.as_str()))
                            ))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?
            } else {
                vec![cfg.option_index(key).ok_or_else(|| {
                    bad(format!(
                        "total {key:?} is neither an option of the config nor a group{}",
                        suggest(key, known.iter().copied())
                    ))
                })?]
            };
            out.push(Target {
                key: key.clone(),
                options,
            });
        }
        // Config order for options, then groups.
        out.sort_by_key(|t| (t.options.len() > 1, t.options.first().copied().unwrap_or(0)));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_their_printed_precision() {
        let d = Decimal::parse("96.87").unwrap();
        assert_eq!((d.digits, d.scale), (9687, 2));
        assert_eq!(d.to_string(), "96.87");
        // 96.87% at two decimals means at least 96.865%: 19373 / 20000.
        assert_eq!(d.low_end_fraction_of_percent(), (19373, 20000));
        let d = Decimal::parse("80").unwrap();
        assert_eq!(d.low_end_fraction_of_percent(), (159, 200)); // 79.5%
        assert_eq!(Decimal::parse("80.0").unwrap().scale, 1);
        assert!(Decimal::parse("9x").is_none());
        assert!(Decimal::parse("").is_none());
        assert_eq!(Decimal::parse("0.05").unwrap().to_string(), "0.05");
    }
}
