//! Evidence against an announcement: reconciliation, exact feasibility
//! bounds, and the worst case of the stations not in hand.
//!
//! Everything here is integer arithmetic on the sheets in hand; no
//! statistics and no assumption beyond the one each result states.
//!
//! # Feasibility (the assumption: the sheets in hand are genuine)
//!
//! An announcement that claims a share `p` of the `N` stations processed can
//! only be the sum of genuine sheets over a set `P` of stations with
//! `|P| ≥ p·N`, reading `p` at the low end of its printed rounding (96.87%
//! means at least 96.865%). Let `H` be the stations in hand, `M` the others,
//! and `U = N − ⌈p·N⌉` the stations that may be left out. For a total `y`
//! (an option, a group of options, valid votes):
//!
//! - `min y = Σ_H y − (the U largest y_i in H)`: leave out the stations in
//!   hand that hold the most `y`, count nothing from `M`;
//! - `max y = Σ_H y + R_M`: every registered voter of the stations not in
//!   hand votes `y` (`R_M` = registered voters not covered by the sheets).
//!
//! Both are attained by some admissible `P` (exactness is checked against
//! brute force in the property tests), so an announced figure outside
//! `[min, max]` is impossible under the assumption, by the printed margin.
//! When the claim is a share of registered voters, leaving out stations is
//! limited by their registered voters instead of their number: a knapsack,
//! bounded from both sides (the fractional relaxation gives a bound that
//! holds; a greedy choice gives one that is attained), and called exact only
//! when the two meet.
//!
//! The method follows the feasibility argument of "phantoms to evil
//! zombies": stations without a sheet are given the worst values they could
//! have (Bañuelos & Stark 2012, "Limiting risk by turning manifest phantoms
//! into evil zombies", arXiv:1207.3413), here to bound what an announcement
//! can contain rather than to audit it.

use serde::Serialize;

use crate::announcement::{Announcement, Decimal, Target};
use crate::config::Config;
use crate::error::Error;
use crate::model::Dataset;
use crate::registry::Registry;
use crate::thousands as fmt_int;

/// The denominators the analyses need, with where each came from.
#[derive(Debug, Clone, Serialize)]
pub struct Universe {
    /// All stations (with or without a sheet).
    pub stations_total: Option<u64>,
    /// Where `stations_total` comes from.
    pub stations_source: String,
    /// All registered voters.
    pub registered_total: Option<u64>,
    /// Where `registered_total` comes from.
    pub registered_source: String,
    /// Stations with an accepted sheet.
    pub sheets: u64,
    /// Registered voters at the stations with a sheet, when the sheets carry them.
    pub registered_in_sheets: Option<u64>,
}

impl Universe {
    /// Gather the denominators: the registry first, then the config, then
    /// the announcement.
    pub fn new(
        cfg: &Config,
        ds: &Dataset,
        registry: Option<&Registry>,
        ann: Option<&Announcement>,
    ) -> Universe {
        let (stations_total, stations_source) = if let Some(r) = registry {
            (Some(r.national().stations), format!("registry {}", r.path))
        } else if let Some(n) = cfg.election.stations_total {
            (Some(n), "config [election] stations_total".into())
        } else if let Some(n) = ann.and_then(|a| a.coverage.stations_total) {
            (Some(n), "the announcement".into())
        } else {
            (None, "unknown".into())
        };
        let (registered_total, registered_source) =
            if let Some(n) = registry.and_then(|r| r.national().registered) {
                (Some(n), "registry".into())
            } else if let Some(n) = cfg.election.registered_total {
                (Some(n), "config [election] registered_total".into())
            } else if let Some(n) = ann.and_then(|a| a.coverage.registered) {
                (Some(n), "the announcement".into())
            } else {
                (None, "unknown".into())
            };
        Universe {
            stations_total,
            stations_source,
            registered_total,
            registered_source,
            sheets: ds.sheets.len() as u64,
            registered_in_sheets: ds
                .sheets
                .registered
                .as_ref()
                .map(|r| r.iter().map(|&x| u64::from(x)).sum()),
        }
    }

    /// Stations without an accepted sheet.
    pub fn stations_missing(&self) -> Option<u64> {
        self.stations_total.map(|n| n.saturating_sub(self.sheets))
    }

    /// Registered voters at the stations without a sheet.
    pub fn registered_missing(&self) -> Option<u64> {
        match (self.registered_total, self.registered_in_sheets) {
            (Some(t), Some(h)) => Some(t.saturating_sub(h)),
            _ => None,
        }
    }
}

/// One line of the reconciliation.
#[derive(Debug, Clone, Serialize)]
pub struct ReconcileRow {
    /// Option key or group name.
    pub key: String,
    /// Announced.
    pub announced: u64,
    /// In the sheets in hand.
    pub in_sheets: u64,
    /// announced − in_sheets.
    pub difference: i64,
    /// Share of the announced valid votes.
    pub announced_share: Option<f64>,
    /// Share of the valid votes in the sheets.
    pub sheets_share: Option<f64>,
}

/// The reconciliation at one level (national, or a unit).
#[derive(Debug, Clone, Serialize)]
pub struct Reconciliation {
    /// "national", or "level code".
    pub scope: String,
    /// One row per announced total.
    pub rows: Vec<ReconcileRow>,
}

/// A verdict on one announced figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    /// Inside the bounds.
    Possible,
    /// Below the minimum compatible with the sheets, by `margin`.
    ImpossibleBelow {
        /// min − announced.
        margin: u64,
    },
    /// Above the maximum compatible with the sheets, by `margin`.
    ImpossibleAbove {
        /// announced − max.
        margin: u64,
    },
    /// A bound is unknown (a denominator is missing); the known side holds.
    Undetermined,
}

impl Verdict {
    fn of(announced: u64, min: u64, max: Option<u64>) -> Verdict {
        if announced < min {
            Verdict::ImpossibleBelow {
                margin: min - announced,
            }
        } else if let Some(mx) = max.filter(|&m| announced > m) {
            Verdict::ImpossibleAbove {
                margin: announced - mx,
            }
        } else if max.is_none() {
            Verdict::Undetermined
        } else {
            Verdict::Possible
        }
    }

    /// Whether the figure is impossible.
    pub fn impossible(&self) -> bool {
        matches!(
            self,
            Verdict::ImpossibleBelow { .. } | Verdict::ImpossibleAbove { .. }
        )
    }
}

/// The bounds of one announced total.
#[derive(Debug, Clone, Serialize)]
pub struct Bound {
    /// Option key, group name, or "valid".
    pub key: String,
    /// Announced.
    pub announced: u64,
    /// In the sheets in hand.
    pub in_sheets: u64,
    /// The smallest total compatible with the sheets and the claim.
    pub min: u64,
    /// The largest (unknown without the registered voters of the stations not in hand).
    pub max: Option<u64>,
    /// Whether `min` is exact (attained) or a bound that holds.
    pub exact: bool,
    /// The verdict.
    pub verdict: Verdict,
    /// For a figure below the minimum: the largest share of stations that
    /// could have been processed for the figure to be possible.
    pub max_coverage_compatible: Option<f64>,
    /// The fewest stations in hand that must be left out of the count.
    pub stations_to_leave_out: Option<u64>,
    /// The result in words, with its assumption.
    pub explanation: String,
}

/// A joint check across figures.
#[derive(Debug, Clone, Serialize)]
pub struct JointCheck {
    /// What is checked.
    pub check: String,
    /// Whether it fails.
    pub impossible: bool,
    /// The numbers and the assumption, in words.
    pub explanation: String,
}

/// The feasibility of an announcement against the sheets in hand.
#[derive(Debug, Clone, Serialize)]
pub struct Feasibility {
    /// The assumption every result rests on.
    pub assumption: String,
    /// The claim as read.
    pub claim: String,
    /// The denominators.
    pub universe: Universe,
    /// Smallest number of stations the claim allows to have been processed.
    pub min_processed: Option<u64>,
    /// Stations that may have been left out of the count (N − min_processed).
    pub may_leave_out: Option<u64>,
    /// Bounds under the stations claim.
    pub stations: Vec<Bound>,
    /// Bounds under the voters claim, when the announcement gives one.
    pub voters: Vec<Bound>,
    /// Checks across figures.
    pub joint: Vec<JointCheck>,
    /// Whether any figure is impossible.
    pub any_impossible: bool,
}

/// Per-station values of a target in the sheets in hand.
fn values(ds: &Dataset, options: &[usize]) -> Vec<u64> {
    let s = &ds.sheets;
    (0..s.len())
        .map(|i| options.iter().map(|&o| u64::from(s.votes[o][i])).sum())
        .collect()
}

/// The sum of the `k` largest values.
pub fn top_sum(values: &[u64], k: u64) -> u64 {
    let k = (k as usize).min(values.len());
    if k == 0 {
        return 0;
    }
    let mut v = values.to_vec();
    let idx = v.len() - k;
    v.select_nth_unstable(idx);
    v[idx..].iter().sum()
}

/// The fewest largest values whose sum reaches `need`, if any number does.
pub fn fewest_to_reach(values: &[u64], need: u64) -> Option<u64> {
    if need == 0 {
        return Some(0);
    }
    let mut v = values.to_vec();
    v.sort_unstable_by(|a, b| b.cmp(a));
    let mut acc = 0u64;
    for (k, x) in v.iter().enumerate() {
        acc += x;
        if acc >= need {
            return Some(k as u64 + 1);
        }
    }
    None
}

/// The least whole number of stations at or above `num/den · n`.
pub fn ceil_share(n: u64, num: u128, den: u128) -> u64 {
    let x = u128::from(n) * num;
    x.div_ceil(den) as u64
}

/// Bounds on the most of `value` that can be removed by leaving out items
/// whose `weight`s add up to at most `budget` (0/1 knapsack). Returns
/// (attained, upper): a greedy choice that is feasible, and the fractional
/// relaxation that no choice exceeds (Dantzig 1957). Equal when exact.
pub fn knapsack_bounds(value: &[u64], weight: &[u64], budget: u64) -> (u64, u64) {
    let mut idx: Vec<usize> = (0..value.len()).filter(|&i| value[i] > 0).collect();
    // By value per weight, descending; zero weight first.
    idx.sort_unstable_by(|&a, &b| {
        let (va, wa, vb, wb) = (
            u128::from(value[a]),
            u128::from(weight[a]),
            u128::from(value[b]),
            u128::from(weight[b]),
        );
        (vb * wa).cmp(&(va * wb)).then(a.cmp(&b))
    });
    let mut left = budget;
    let mut attained = 0u64;
    let mut upper = None;
    for &i in &idx {
        if weight[i] <= left {
            left -= weight[i];
            attained += value[i];
        } else if upper.is_none() {
            // The relaxation takes this item's fraction and stops.
            let frac = (u128::from(value[i]) * u128::from(left)) / u128::from(weight[i]);
            upper = Some(attained + frac as u64);
        }
    }
    // Items taken after the first that did not fit only raise `attained`;
    // the relaxation's bound stays the bound at the first misfit.
    let upper = upper.unwrap_or(attained).max(attained);
    (attained, upper)
}

/// Reconcile an announcement with the sheets: announced, in the sheets,
/// difference and shares, nationally and for each unit the announcement
/// gives figures for.
pub fn reconcile(
    cfg: &Config,
    ds: &Dataset,
    ann: &Announcement,
) -> Result<Vec<Reconciliation>, Error> {
    let targets = ann.targets(cfg)?;
    let mut out = Vec::new();
    let ann_valid = announced_valid(cfg, ann, &targets);
    let row = |t: &Target, announced: u64, in_sheets: u64, valid_h: u64, ann_valid: Option<u64>| {
        ReconcileRow {
            key: t.key.clone(),
            announced,
            in_sheets,
            difference: announced as i64 - in_sheets as i64,
            announced_share: ann_valid
                .filter(|&v| v > 0)
                .map(|v| announced as f64 / v as f64),
            sheets_share: (valid_h > 0).then(|| in_sheets as f64 / valid_h as f64),
        }
    };
    let s = &ds.sheets;
    let valid_h: u64 = (0..s.len()).map(|i| s.options_total(i)).sum();
    let mut rows = Vec::new();
    for t in &targets {
        let in_sheets: u64 = values(ds, &t.options).iter().sum();
        rows.push(row(t, ann.totals[&t.key], in_sheets, valid_h, ann_valid));
    }
    out.push(Reconciliation {
        scope: "national".into(),
        rows,
    });
    for u in &ann.units {
        let l = cfg.level_index(&u.level)?;
        let Some(code) = ds.units[l].get(&u.code) else {
            continue;
        };
        let in_unit: Vec<usize> = (0..s.len()).filter(|&i| s.geo[l][i] == code).collect();
        let valid_u: u64 = in_unit.iter().map(|&i| s.options_total(i)).sum();
        let ann_valid_u: u64 = u.totals.values().sum();
        let mut rows = Vec::new();
        for t in &targets {
            let Some(&announced) = u.totals.get(&t.key) else {
                continue;
            };
            let in_sheets: u64 = in_unit
                .iter()
                .map(|&i| {
                    t.options
                        .iter()
                        .map(|&o| u64::from(s.votes[o][i]))
                        .sum::<u64>()
                })
                .sum();
            rows.push(row(t, announced, in_sheets, valid_u, Some(ann_valid_u)));
        }
        out.push(Reconciliation {
            scope: format!("{} {}", u.level, u.code),
            rows,
        });
    }
    Ok(out)
}

/// The announced valid votes: the sum of the totals when they cover every
/// option exactly once, else the summary's valid votes.
fn announced_valid(cfg: &Config, ann: &Announcement, targets: &[Target]) -> Option<u64> {
    let mut covered = vec![0u32; cfg.options.len()];
    for t in targets {
        for &o in &t.options {
            covered[o] += 1;
        }
    }
    if covered.iter().all(|&c| c == 1) {
        Some(targets.iter().map(|t| ann.totals[&t.key]).sum())
    } else {
        ann.summary.valid
    }
}

/// Check an announcement against the sheets in hand.
pub fn feasibility(
    cfg: &Config,
    ds: &Dataset,
    registry: Option<&Registry>,
    ann: &Announcement,
) -> Result<Feasibility, Error> {
    let targets = ann.targets(cfg)?;
    let uni = Universe::new(cfg, ds, registry, Some(ann));
    let assumption = "the sheets in hand are genuine, and the announced totals are sums of genuine sheets over the stations the authority says it processed".to_string();
    let cov = &ann.coverage;
    // The claim in stations.
    let (min_processed, claim) = match (uni.stations_total, cov.stations, cov.stations_share) {
        (_, Some(k), _) => (Some(k), format!("{} stations processed", fmt_int(k))),
        (Some(n), None, Some(p)) => {
            let (num, den) = p.low_end_fraction_of_percent();
            let k = ceil_share(n, num, den);
            (
                Some(k),
                format!(
                    "{p}% of {} stations processed, read as at least {}% (the low end of its rounding): at least {} stations",
                    fmt_int(n),
                    low_end_text(p),
                    fmt_int(k)
                ),
            )
        }
        (None, None, Some(p)) => (
            None,
            format!(
                "{p}% of stations processed, but the number of stations is unknown (give a registry or [election] stations_total)"
            ),
        ),
        _ => (None, "no coverage claimed in stations".to_string()),
    };
    let n = uni.stations_total;
    let may_leave_out = match (n, min_processed) {
        (Some(n), Some(k)) => Some(n.saturating_sub(k)),
        _ => None,
    };
    let r_m = uni.registered_missing();
    let mut all_targets: Vec<(String, Vec<usize>, u64)> = targets
        .iter()
        .map(|t| (t.key.clone(), t.options.clone(), ann.totals[&t.key]))
        .collect();
    let ann_valid = announced_valid(cfg, ann, &targets);
    if let Some(v) = ann.summary.valid.or(ann_valid) {
        all_targets.push(("valid".into(), (0..cfg.options.len()).collect(), v));
    }
    let mut stations = Vec::new();
    if let (Some(u), Some(n)) = (may_leave_out.filter(|_| min_processed.is_some()), n) {
        for (key, opts, announced) in &all_targets {
            let v = values(ds, opts);
            let in_sheets: u64 = v.iter().sum();
            let min = in_sheets - top_sum(&v, u);
            let max = r_m.map(|r| in_sheets + r);
            let verdict = Verdict::of(*announced, min, max);
            let (leave, share) = match verdict {
                Verdict::ImpossibleBelow { .. } => {
                    let k = fewest_to_reach(&v, in_sheets - announced);
                    (k, k.map(|k| (n.saturating_sub(k)) as f64 / n as f64))
                }
                _ => (None, None),
            };
            let explanation = match &verdict {
                Verdict::ImpossibleBelow { margin } => format!(
                    "IMPOSSIBLE: {key} announced {} is {} below the least total compatible with the sheets, {}. The sheets in hand give {key} {}; with at most {} stations left out of the count, leaving out the {} sheets with the most {key} votes still leaves {}.{} Assumes {assumption}.",
                    fmt_int(*announced),
                    fmt_int(*margin),
                    fmt_int(min),
                    fmt_int(in_sheets),
                    fmt_int(u),
                    fmt_int(u),
                    fmt_int(min),
                    match (leave, share) {
                        (Some(k), Some(sh)) => format!(
                            " For the announced figure, at least {} sheets in hand would have to be left out, so at most {:.2}% of the stations could have been processed.",
                            fmt_int(k),
                            sh * 100.0
                        ),
                        _ => " No choice of stations gets this low.".to_string(),
                    }
                ),
                Verdict::ImpossibleAbove { margin } => format!(
                    "IMPOSSIBLE: {key} announced {} is {} above the most compatible with the sheets, {}: the sheets' {} plus every one of the {} registered voters of the stations not in hand. Assumes {assumption}.",
                    fmt_int(*announced),
                    fmt_int(*margin),
                    fmt_int(max.unwrap_or(0)),
                    fmt_int(in_sheets),
                    fmt_int(r_m.unwrap_or(0))
                ),
                Verdict::Possible => format!(
                    "possible: {} lies within [{}, {}].",
                    fmt_int(*announced),
                    fmt_int(min),
                    fmt_int(max.unwrap_or(0))
                ),
                Verdict::Undetermined => format!(
                    "not below the minimum {}; the maximum is unknown because the registered voters of the stations not in hand are unknown.",
                    fmt_int(min)
                ),
            };
            stations.push(Bound {
                key: key.clone(),
                announced: *announced,
                in_sheets,
                min,
                max,
                exact: true,
                verdict,
                max_coverage_compatible: share,
                stations_to_leave_out: leave,
                explanation,
            });
        }
    }
    // The claim in registered voters.
    let mut voters = Vec::new();
    let voters_low = match (cov.voters_processed, cov.voters_share, uni.registered_total) {
        (Some(v), _, _) => Some(v),
        (None, Some(p), Some(r)) => {
            let (num, den) = p.low_end_fraction_of_percent();
            Some(ceil_share(r, num, den))
        }
        _ => None,
    };
    if let (Some(vlow), Some(rt), Some(reg)) = (
        voters_low,
        uni.registered_total,
        ds.sheets.registered.as_ref(),
    ) {
        let budget = rt.saturating_sub(vlow);
        let weight: Vec<u64> = reg.iter().map(|&x| u64::from(x)).collect();
        for (key, opts, announced) in &all_targets {
            let v = values(ds, opts);
            let in_sheets: u64 = v.iter().sum();
            let (attained, upper) = knapsack_bounds(&v, &weight, budget);
            // The true minimum lies in [in − upper, in − attained].
            let min = in_sheets - upper;
            let exact = attained == upper;
            let max = r_m.map(|r| in_sheets + r);
            let verdict = Verdict::of(*announced, min, max);
            let bound_kind = if exact {
                "exact".to_string()
            } else {
                format!(
                    "a bound from the fractional relaxation of the knapsack; a choice of stations reaching {} exists, so the true minimum lies between the two",
                    fmt_int(in_sheets - attained)
                )
            };
            let explanation = match &verdict {
                Verdict::ImpossibleBelow { margin } => format!(
                    "IMPOSSIBLE: {key} announced {} is {} below the least total compatible with the sheets when the processed stations hold at least {} registered voters: {} ({bound_kind}). Leaving out sheets in hand whose registered voters add up to at most {} cannot remove more than {} {key} votes. Assumes {assumption}.",
                    fmt_int(*announced),
                    fmt_int(*margin),
                    fmt_int(vlow),
                    fmt_int(min),
                    fmt_int(budget),
                    fmt_int(upper)
                ),
                Verdict::ImpossibleAbove { margin } => format!(
                    "IMPOSSIBLE: {key} announced {} is {} above the most compatible with the sheets, {}. Assumes {assumption}.",
                    fmt_int(*announced),
                    fmt_int(*margin),
                    fmt_int(max.unwrap_or(0))
                ),
                _ => format!(
                    "possible under the voters claim: {} against a minimum of {} ({}).",
                    fmt_int(*announced),
                    fmt_int(min),
                    if exact { "exact" } else { "relaxation bound" }
                ),
            };
            voters.push(Bound {
                key: key.clone(),
                announced: *announced,
                in_sheets,
                min,
                max,
                exact,
                verdict,
                max_coverage_compatible: None,
                stations_to_leave_out: None,
                explanation,
            });
        }
    }
    let joint = joint_checks(cfg, ds, ann, &targets, &uni, ann_valid, voters_low);
    let any_impossible = stations.iter().any(|b| b.verdict.impossible())
        || voters.iter().any(|b| b.verdict.impossible())
        || joint.iter().any(|j| j.impossible);
    Ok(Feasibility {
        assumption,
        claim,
        universe: uni,
        min_processed,
        may_leave_out,
        stations,
        voters,
        joint,
        any_impossible,
    })
}

fn low_end_text(p: Decimal) -> String {
    // (2·digits − 1) / 2 at one more decimal place.
    let d = Decimal {
        digits: (2 * p.digits).saturating_sub(1) * 5,
        scale: p.scale + 1,
    };
    d.to_string()
}

fn joint_checks(
    cfg: &Config,
    ds: &Dataset,
    ann: &Announcement,
    targets: &[Target],
    uni: &Universe,
    ann_valid: Option<u64>,
    voters_low: Option<u64>,
) -> Vec<JointCheck> {
    let mut out = Vec::new();
    let sum_totals: u64 = targets.iter().map(|t| ann.totals[&t.key]).sum();
    if let (Some(v), Some(_)) = (ann.summary.valid, ann_valid)
        && targets.iter().map(|t| t.options.len()).sum::<usize>() == cfg.options.len()
    {
        out.push(JointCheck {
            check: "the announced totals add up to the announced valid votes".into(),
            impossible: sum_totals != v,
            explanation: format!(
                "the announced totals add up to {}; the announced valid votes are {}.",
                fmt_int(sum_totals),
                fmt_int(v)
            ),
        });
    }
    let s = &ann.summary;
    if let (Some(c), Some(v)) = (s.cast, s.valid) {
        let parts = v + s.null.unwrap_or(0) + s.blank.unwrap_or(0);
        out.push(JointCheck {
            check: "valid + null (+ blank) = votes cast".into(),
            impossible: parts != c,
            explanation: format!(
                "valid + null + blank = {}; announced votes cast {}.",
                fmt_int(parts),
                fmt_int(c)
            ),
        });
    }
    if let (Some(c), Some(t), Some(vp)) = (s.cast, s.turnout, voters_low) {
        let got = c as f64 / vp as f64 * 100.0;
        let half = 0.5 / 10f64.powi(t.scale as i32);
        let ok = (got - t.value()).abs() <= half + 1e-12;
        out.push(JointCheck {
            check: "the printed turnout is votes cast over the registered voters of the processed stations".into(),
            impossible: false,
            explanation: format!(
                "{} / {} = {:.4}%; printed {}% ({}).",
                fmt_int(c),
                fmt_int(vp),
                got,
                t,
                if ok { "agrees at the printed precision" } else { "does not agree: the turnout's denominator is another figure" }
            ),
        });
    }
    let cast = s.cast.or(ann_valid);
    if let (Some(c), Some(vp)) = (cast, voters_low) {
        out.push(JointCheck {
            check: "votes cast at most the registered voters of the processed stations".into(),
            impossible: c > vp,
            explanation: format!(
                "{} votes against {} registered voters in the processed stations.",
                fmt_int(c),
                fmt_int(vp)
            ),
        });
    }
    // The stations not in hand can add at most their registered voters. So
    // the processed sheets in hand must hold at least (announced valid − R_M)
    // valid votes, which limits how much of any option can be left out.
    if let (Some(av), Some(rm)) = (ann_valid, uni.registered_missing()) {
        let sh = &ds.sheets;
        let valid: Vec<u64> = (0..sh.len()).map(|i| sh.options_total(i)).collect();
        let valid_h: u64 = valid.iter().sum();
        let need_kept = av.saturating_sub(rm);
        let removable_valid = valid_h.saturating_sub(need_kept);
        for t in targets {
            let v = values(ds, &t.options);
            let in_sheets: u64 = v.iter().sum();
            let announced = ann.totals[&t.key];
            if announced >= in_sheets {
                continue;
            }
            let need_removed = in_sheets - announced;
            let (_, upper) = knapsack_bounds(&v, &valid, removable_valid);
            let impossible = upper < need_removed;
            out.push(JointCheck {
                check: format!("{} jointly with the valid votes and the registered voters not in hand", t.key),
                impossible,
                explanation: format!(
                    "{}: for {} to be {}, sheets in hand holding at least {} {} votes must be left out. The stations not in hand have {} registered voters, so the sheets kept must hold at least {} − {} = {} of the announced valid votes: at most {} valid votes can be left out, and no choice of sheets within that leaves out more than {} {} votes (fractional knapsack bound). Holds whatever the coverage claim; assumes the sheets in hand are genuine and the votes of stations not in hand do not exceed their registered voters.",
                    if impossible { "IMPOSSIBLE" } else { "possible" },
                    t.key,
                    fmt_int(announced),
                    fmt_int(need_removed),
                    t.key,
                    fmt_int(rm),
                    fmt_int(av),
                    fmt_int(rm),
                    fmt_int(need_kept),
                    fmt_int(removable_valid),
                    fmt_int(upper),
                    t.key
                ),
            });
        }
    }
    out
}

/// The worst case of the stations not in hand, without assumptions.
#[derive(Debug, Clone, Serialize)]
pub struct WorstCase {
    /// The leader in the sheets.
    pub leader: String,
    /// The runner-up in the sheets.
    pub runner_up: String,
    /// Leader minus runner-up in the sheets.
    pub lead: u64,
    /// The denominators.
    pub universe: Universe,
    /// Registered voters at the stations not in hand.
    pub registered_missing: Option<u64>,
    /// Share of those voters the runner-up needs if the leader gets none of them.
    pub share_needed_if_leader_gets_none: Option<f64>,
    /// Share the runner-up needs at 100% turnout with every vote going to one of the two.
    pub share_needed_two_way: Option<f64>,
    /// Whether any outcome of the missing stations overturns the lead.
    pub can_overturn: Option<bool>,
    /// The result in words.
    pub explanation: String,
}

/// How far the stations not in hand could move the result: the share of
/// their registered voters the runner-up would need to overturn the lead
/// in the sheets. Stations without a sheet are counted at their worst for
/// the leader, as phantoms become "evil zombies" in Bañuelos & Stark (2012).
pub fn worst_case(cfg: &Config, ds: &Dataset, uni: Universe) -> WorstCase {
    let totals: Vec<u64> = ds
        .sheets
        .votes
        .iter()
        .map(|v| v.iter().map(|&x| u64::from(x)).sum())
        .collect();
    let mut order: Vec<usize> = (0..totals.len()).collect();
    order.sort_by_key(|&o| std::cmp::Reverse(totals[o]));
    let (l, r) = (order[0], order.get(1).copied().unwrap_or(order[0]));
    let lead = totals[l] - totals[r];
    let rm = uni.registered_missing();
    let (none, two, can, explanation) = match rm {
        Some(0) => (
            None,
            None,
            Some(false),
            "every registered voter is covered by the sheets in hand: the missing stations cannot change the result".to_string(),
        ),
        Some(m) => {
            let a = lead as f64 / m as f64;
            let b = (lead as f64 + m as f64) / (2.0 * m as f64);
            let can = m > lead;
            let text = if can {
                format!(
                    "to overturn a lead of {} votes, {} would need more than {:.2}% of the {} registered voters of the stations not in hand if {} got none of them, or more than {:.2}% at 100% turnout with every vote going to one of the two.",
                    fmt_int(lead),
                    cfg.options[r].key,
                    a * 100.0,
                    fmt_int(m),
                    cfg.options[l].key,
                    b * 100.0
                )
            } else {
                format!(
                    "the lead of {} votes cannot be overturned: the stations not in hand have only {} registered voters, so even if every one of them voted, all for {}, {} would still lead by {}.",
                    fmt_int(lead),
                    fmt_int(m),
                    cfg.options[r].key,
                    cfg.options[l].key,
                    fmt_int(lead - m)
                )
            };
            (Some(a), Some(b), Some(can), text)
        }
        None => (
            None,
            None,
            None,
            "the registered voters of the stations not in hand are unknown: give a registry with registered voters, or [election] registered_total in the config".to_string(),
        ),
    };
    WorstCase {
        leader: cfg.options[l].key.clone(),
        runner_up: cfg.options[r].key.clone(),
        lead,
        universe: uni,
        registered_missing: rm,
        share_needed_if_leader_gets_none: none,
        share_needed_two_way: two,
        can_overturn: can,
        explanation: format!(
            "{explanation} Assumes nothing about how the missing stations voted; takes the sheets in hand as genuine."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn top_sum_and_fewest() {
        assert_eq!(top_sum(&[5, 1, 9, 3], 2), 14);
        assert_eq!(top_sum(&[5, 1, 9, 3], 0), 0);
        assert_eq!(top_sum(&[5, 1], 9), 6);
        assert_eq!(fewest_to_reach(&[5, 1, 9, 3], 10), Some(2));
        assert_eq!(fewest_to_reach(&[5, 1, 9, 3], 19), None);
        // 96.87% of 30,026 read as at least 96.865%: 30,026 × 19,373 / 20,000
        // = 29,084.79, so at least 29,085 stations.
        assert_eq!(ceil_share(30_026, 19_373, 20_000), 29_085);
    }

    #[test]
    fn knapsack_by_hand() {
        // values 60, 100, 120; weights 10, 20, 30; budget 50: the classic
        // example, whose 0/1 optimum is 220 (items 2 and 3) and fractional
        // optimum 240 (items 1, 2 and 2/3 of item 3).
        let (a, u) = knapsack_bounds(&[60, 100, 120], &[10, 20, 30], 50);
        assert_eq!(u, 240);
        assert!(a <= 220);
        let (a, u) = knapsack_bounds(&[60, 100], &[10, 20], 30);
        assert_eq!((a, u), (160, 160));
    }

    /// Brute force: every subset P of the stations with |P| ≥ k. A station
    /// in hand contributes its value; one not in hand anything in
    /// [0, registered].
    fn brute_stations(vals: &[u64], in_hand: &[bool], reg: &[u64], k: usize) -> (u64, u64) {
        let n = vals.len();
        let mut lo = u64::MAX;
        let mut hi = 0;
        for mask in 0u32..(1 << n) {
            if (mask.count_ones() as usize) < k {
                continue;
            }
            let mut mn = 0;
            let mut mx = 0;
            for i in 0..n {
                if mask & (1 << i) != 0 {
                    if in_hand[i] {
                        mn += vals[i];
                        mx += vals[i];
                    } else {
                        mx += reg[i];
                    }
                }
            }
            lo = lo.min(mn);
            hi = hi.max(mx);
        }
        (lo, hi)
    }

    proptest! {
        #[test]
        fn station_bounds_are_exact(
            rows in proptest::collection::vec((0u64..50, any::<bool>(), 0u64..60), 1..11),
            share in 0u64..=100,
        ) {
            let vals: Vec<u64> = rows.iter().map(|r| r.0).collect();
            let in_hand: Vec<bool> = rows.iter().map(|r| r.1).collect();
            let reg: Vec<u64> = rows.iter().map(|r| r.0.max(r.2)).collect();
            let n = rows.len() as u64;
            let k = ceil_share(n, u128::from(share), 100);
            let held: Vec<u64> = (0..vals.len()).filter(|&i| in_hand[i]).map(|i| vals[i]).collect();
            let in_sheets: u64 = held.iter().sum();
            let u = n - k;
            let min = in_sheets - top_sum(&held, u);
            let r_m: u64 = (0..vals.len()).filter(|&i| !in_hand[i]).map(|i| reg[i]).sum();
            let max = in_sheets + r_m;
            let (blo, bhi) = brute_stations(&vals, &in_hand, &reg, k as usize);
            prop_assert_eq!(min, blo);
            prop_assert_eq!(max, bhi);
        }

        #[test]
        fn voter_bounds_bracket_the_exact_minimum(
            rows in proptest::collection::vec((0u64..50, 1u64..80), 1..11),
            budget in 0u64..300,
        ) {
            let vals: Vec<u64> = rows.iter().map(|r| r.0).collect();
            let w: Vec<u64> = rows.iter().map(|r| r.1).collect();
            let (att, up) = knapsack_bounds(&vals, &w, budget);
            let mut best = 0;
            for mask in 0u32..(1 << rows.len()) {
                let (mut v, mut ww) = (0, 0);
                for i in 0..rows.len() {
                    if mask & (1 << i) != 0 { v += vals[i]; ww += w[i]; }
                }
                if ww <= budget { best = best.max(v); }
            }
            prop_assert!(att <= best, "attained {} > optimum {}", att, best);
            prop_assert!(best <= up, "optimum {} > bound {}", best, up);
            if att == up { prop_assert_eq!(best, up); }
        }
    }
}
