//! Announced totals back-computed from rounded percentages.

use serde::Serialize;

use super::{ANNOUNCEMENT_PERCENTAGES, Finding, ForensicTest, ForensicsError, Input, Options};

/// An authority's announced totals per option.
#[derive(Debug, Clone, Serialize)]
pub struct Announcement {
    /// Label (for example "CNE bulletin 1").
    pub label: String,
    /// Option keys, in the order of `totals`.
    pub option_keys: Vec<String>,
    /// Announced votes per option.
    pub totals: Vec<u64>,
}

/// Whether the totals look computed from percentages: each announced total
/// c_i equals round(p·T) for some p on a grid of step 1/d (d = 100 for whole
/// percents, 1000 for one decimal, 10 000 for two), where T = Σ c_i.
///
/// Null: the last digits of each total are unrelated to T, so that c_i falls
/// on any of the T + 1 values 0..=T with locally uniform probability. The set
/// of grid values {round(j·T/d) : j = 0..=d} has at most d + 1 members, so one
/// total lands on it with probability q = (d + 1)/(T + 1). The totals add up
/// to T, so only k − 1 of k totals are free: with m of k totals on the grid,
/// the p-value is P(Binomial(k − 1, q) ≥ m − 1), which for m = k is
/// q^(k−1) ≈ (d/T)^(k−1) (DESIGN §5). The grids are fixed in advance
/// ([`AnnouncementPercentages::grids`]); the reported p-value is the
/// smallest over grids times the number of grids (Bonferroni, the
/// look-elsewhere correction).
///
/// Example: the Venezuelan CNE bulletin 1 of 29 July 2024 gave Maduro
/// 5,150,092, González 4,445,978 and others 462,704 (T = 10,058,774); these
/// are round(0.512·T), round(0.442·T) and round(0.046·T). With d = 1000,
/// q = 1001/10,058,775 ≈ 9.95·10⁻⁵ and q² ≈ 9.9·10⁻⁹, about 1 in 10⁸.
#[derive(Debug, Clone)]
pub struct AnnouncementPercentages {
    /// Grid denominators tried, fixed before looking at the data.
    pub grids: Vec<u64>,
}

impl Default for AnnouncementPercentages {
    fn default() -> Self {
        AnnouncementPercentages {
            grids: vec![100, 1000, 10_000],
        }
    }
}

/// The outcome on one grid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridResult {
    /// Grid denominator d (percent with log10(d) − 2 decimals).
    pub denominator: u64,
    /// For each option, the grid index j with round(j·T/d) = c_i, if any.
    pub hits: Vec<Option<u64>>,
    /// Per-total probability q of a hit under the null.
    pub q: f64,
    /// P(Binomial(k − 1, q) ≥ m − 1).
    pub p_value: f64,
}

/// round(j·T/d) with halves rounded up, in integers.
fn round_div(j: u64, t: u64, d: u64) -> u128 {
    (2 * u128::from(j) * u128::from(t) + u128::from(d)) / (2 * u128::from(d))
}

/// The grid index j with round(j·T/d) = c, if one exists.
pub fn grid_hit(c: u64, t: u64, d: u64) -> Option<u64> {
    if t == 0 || d == 0 {
        return None;
    }
    // j ≈ c·d/T; round(j·T/d) is monotone in j, so check the neighbours.
    let j0 = (u128::from(c) * u128::from(d) / u128::from(t)) as u64;
    (j0.saturating_sub(1)..=(j0 + 1).min(d)).find(|&j| round_div(j, t, d) == u128::from(c))
}

/// P(Binomial(n, q) ≥ k), summed exactly (n is the number of options).
fn binom_upper(n: u64, q: f64, k: u64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    let mut total = 0.0;
    for x in k..=n {
        let mut c = 1.0;
        for i in 0..x {
            c *= (n - i) as f64 / (i + 1) as f64;
        }
        total += c * q.powi(x as i32) * (1.0 - q).powi((n - x) as i32);
    }
    total.min(1.0)
}

/// Evaluates one grid.
pub fn evaluate_grid(totals: &[u64], d: u64) -> GridResult {
    let t: u64 = totals.iter().sum();
    let hits: Vec<Option<u64>> = totals.iter().map(|&c| grid_hit(c, t, d)).collect();
    let m = hits.iter().filter(|h| h.is_some()).count() as u64;
    let k = totals.len() as u64;
    let q = ((d + 1) as f64 / (t as f64 + 1.0)).min(1.0);
    let p_value = binom_upper(k.saturating_sub(1), q, m.saturating_sub(1));
    GridResult {
        denominator: d,
        hits,
        q,
        p_value,
    }
}

impl ForensicTest for AnnouncementPercentages {
    fn code(&self) -> &'static str {
        ANNOUNCEMENT_PERCENTAGES
    }

    fn run_with(
        &self,
        input: &Input<'_>,
        _options: &Options,
        _progress: &dyn super::Progress,
    ) -> Result<Finding, ForensicsError> {
        let a = input.announcement.ok_or(ForensicsError::NotApplicable {
            test: ANNOUNCEMENT_PERCENTAGES,
            reason: "no announcement given".into(),
        })?;
        if a.totals.len() < 2 || self.grids.is_empty() {
            return Err(ForensicsError::NotApplicable {
                test: ANNOUNCEMENT_PERCENTAGES,
                reason: "needs at least two announced totals and one grid".into(),
            });
        }
        let results: Vec<GridResult> = self
            .grids
            .iter()
            .map(|&d| evaluate_grid(&a.totals, d))
            .collect();
        let mut best = &results[0];
        for r in &results {
            if r.p_value < best.p_value {
                best = r;
            }
        }
        let t: u64 = a.totals.iter().sum();
        let m = best.hits.iter().filter(|h| h.is_some()).count();
        let mut f = Finding::new(
            ANNOUNCEMENT_PERCENTAGES,
            "Announced totals equal to rounded percentages of their sum",
        );
        f.statistic_name = "totals on the best grid".into();
        f.statistic = m as f64;
        f.p_value = Some((best.p_value * self.grids.len() as f64).min(1.0));
        f.effect_name = "grid denominator (100 = whole percent)".into();
        f.effect = best.denominator as f64;
        f.detail("total", t as f64);
        f.detail("options", a.totals.len() as f64);
        for r in &results {
            let hits = r.hits.iter().filter(|h| h.is_some()).count();
            f.detail(&format!("hits on grid 1/{}", r.denominator), hits as f64);
            f.detail(&format!("p on grid 1/{}", r.denominator), r.p_value);
        }
        for (key, h) in a.option_keys.iter().zip(&best.hits) {
            if let Some(j) = h {
                f.detail(
                    &format!("{key} percent"),
                    *j as f64 * 100.0 / best.denominator as f64,
                );
            }
        }
        f.null = format!(
            "The last digits of each announced total are unrelated to their sum: each total is \
             equally likely to fall anywhere near its value, so it lands on a value round(p·T) \
             for p on a grid of step 1/d with probability (d+1)/(T+1); the totals add up to T, \
             so k−1 of k are free. Grids fixed in advance: {:?}; the p-value is the smallest \
             over grids times their number (Bonferroni).",
            self.grids
        );
        f.caveat = "A hit shows that the totals were derived from percentages (or chosen to \
                    match them), not that the percentages are false; an authority that counted \
                    correctly would not normally publish totals of this form. The test says \
                    nothing about the sheets."
            .into();
        f.citation = "tallyproof DESIGN §5 (back-computed percentages; grid fixed in advance, \
                      Bonferroni over grids)"
            .into();
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forensics::Stations;

    fn ve() -> Announcement {
        Announcement {
            label: "CNE bulletin 1".into(),
            option_keys: vec!["maduro".into(), "gonzalez".into(), "others".into()],
            totals: vec![5_150_092, 4_445_978, 462_704],
        }
    }

    #[test]
    fn venezuela_bulletin_one() {
        // T = 5,150,092 + 4,445,978 + 462,704 = 10,058,774.
        // 0.512·T = 5,150,092.29 -> 5,150,092; 0.442·T = 4,445,978.11 -> 4,445,978;
        // 0.046·T = 462,703.60 -> 462,704. All three on the 1/1000 grid.
        let g = evaluate_grid(&ve().totals, 1000);
        assert_eq!(g.hits, vec![Some(512), Some(442), Some(46)]);
        // q = 1001/10,058,775 = 9.9515e-5; q² = 9.903e-9.
        assert!((g.q - 1001.0 / 10_058_775.0).abs() < 1e-15);
        assert!((g.p_value - 9.903e-9).abs() < 0.01e-9, "{}", g.p_value);
        // Whole percents: 51.2% is not whole, so at most others could hit.
        let g100 = evaluate_grid(&ve().totals, 100);
        assert_eq!(g100.hits[0], None);
        let empty = Stations::new(vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        let empty = match empty {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        };
        let a = ve();
        let f = match AnnouncementPercentages::default().run(
            &Input::new(&empty).with_announcement(&a),
            &Options::default(),
        ) {
            Ok(f) => f,
            Err(e) => panic!("{e}"),
        };
        // Bonferroni over 3 grids: 3 · 9.903e-9 = 2.97e-8.
        let p = f.p_value.unwrap_or(1.0);
        assert!((p - 2.971e-8).abs() < 0.01e-8, "{p}");
        assert_eq!(f.effect, 1000.0);
        assert_eq!(f.get("maduro percent"), Some(51.2));
    }

    #[test]
    fn ordinary_totals_do_not_hit() {
        // T = 1,000,003; 1/1000 grid step 1000.003: c = 412,345 needs j = 412.34 -> no.
        let g = evaluate_grid(&[412_345, 587_658], 1000);
        assert_eq!(g.hits, vec![None, None]);
        assert_eq!(g.p_value, 1.0);
    }
}
