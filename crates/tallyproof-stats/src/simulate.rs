//! The election simulator: realistic clean elections whose truth is known,
//! the ground truth for every statistical method and the built-in demo.
//!
//! # Model
//!
//! A hierarchical logit-normal model in the spirit of the multilevel models
//! of turnout and vote choice (Gelman & Hill 2007, ch. 14), with the
//! heterogeneity that forensic tests must not mistake for fraud:
//!
//! - geography: regions of unequal size (Gamma(2) weights), districts
//!   within regions, stations within districts;
//! - urbanness `u ~ Beta(2, 2)` per district; registered voters per station
//!   `round(exp(N(ln(400 + 1200 u), 0.35²)))`, clamped to `[30, 4000]`;
//! - turnout `logit t = 0.4 + a_region + a_district − 0.3 u + e_station`
//!   with `a ~ N(0, 0.3²)`, `N(0, 0.2²)`, `e ~ N(0, 0.25²)`;
//! - option shares: softmax of base logits (a close race between the first
//!   two options, then smaller ones), region and district effects per option,
//!   an urban effect for the second option, station noise;
//! - counts: ballots `~ Binomial(registered, t)`, null `~ Binomial(ballots,
//!   p_null)` with `p_null` about 1.5%, votes multinomial in the valid ballots
//!   (drawn as conditional binomials).
//!
//! Stations without a sheet are missing at random within regions: each
//! region has its own missing rate (log-normal around the requested share),
//! independent of the votes given the region. That is the assumption of the
//! stratified projection, so the projection can be checked against it.
//!
//! Every draw comes from ChaCha8 seeded by the given seed; stations use
//! their own stream, so the result is the same for any number of threads.

use std::fmt::Write as _;
use std::io::{self, Write};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Binomial, Distribution, Gamma, StandardNormal};
use rayon::prelude::*;
use serde::Serialize;

/// What to simulate.
#[derive(Debug, Clone, Serialize)]
pub struct SimParams {
    /// Number of stations.
    pub stations: usize,
    /// Number of options (2 to 26).
    pub options: usize,
    /// Seed of every random draw.
    pub seed: u64,
    /// Share of stations whose sheet is missing (0 to 0.95).
    pub missing_share: f64,
}

impl Default for SimParams {
    fn default() -> Self {
        SimParams {
            stations: 10_000,
            options: 5,
            seed: 1,
            missing_share: 0.0,
        }
    }
}

/// A simulated election, one entry per station in every column.
#[derive(Debug, Clone, Serialize)]
pub struct Simulation {
    /// The parameters it was drawn with.
    pub params: SimParams,
    /// Option keys ("A", "B", …).
    pub option_keys: Vec<String>,
    /// Option names.
    pub option_names: Vec<String>,
    /// Region names (index = region code − 1).
    pub region_names: Vec<String>,
    /// Per district: its region index.
    pub district_region: Vec<u32>,
    /// Per station: region index.
    pub region: Vec<u32>,
    /// Per station: district index (national numbering).
    pub district: Vec<u32>,
    /// Per station: registered voters.
    pub registered: Vec<u32>,
    /// Per station: ballots cast.
    pub ballots: Vec<u32>,
    /// Per station: null ballots.
    pub null: Vec<u32>,
    /// Per option, per station: votes.
    pub votes: Vec<Vec<u32>>,
    /// Per station: whether its sheet is in hand.
    pub has_sheet: Vec<bool>,
}

/// Errors of the simulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A parameter is out of range.
    #[error("invalid simulation parameter: {0}")]
    Param(String),
}

/// A draw from N(0, sd²).
fn gauss(rng: &mut ChaCha8Rng, sd: f64) -> f64 {
    let z: f64 = rng.sample(StandardNormal);
    z * sd
}

fn binomial(rng: &mut ChaCha8Rng, n: u32, p: f64) -> u32 {
    if n == 0 || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    match Binomial::new(u64::from(n), p) {
        Ok(b) => b.sample(rng) as u32,
        Err(_) => 0,
    }
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Draw a clean election.
pub fn simulate(params: &SimParams) -> Result<Simulation, SimError> {
    let n = params.stations;
    let k = params.options;
    if n == 0 {
        return Err(SimError::Param("stations must be at least 1".into()));
    }
    if !(2..=26).contains(&k) {
        return Err(SimError::Param(format!("options must be 2 to 26, got {k}")));
    }
    if !(0.0..=0.95).contains(&params.missing_share) {
        return Err(SimError::Param(format!(
            "missing share must be in [0, 0.95], got {}",
            params.missing_share
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
    let n_regions = (((n as f64).sqrt() / 4.0).round() as usize)
        .clamp(3, 40)
        .min(n);
    let n_districts = (n / 40).clamp(n_regions, 20_000.max(n_regions));
    let gamma = Gamma::new(2.0, 1.0).map_err(|e| SimError::Param(e.to_string()))?;
    // Region sizes and each district's region.
    let rw: Vec<f64> = (0..n_regions).map(|_| gamma.sample(&mut rng)).collect();
    let rsum: f64 = rw.iter().sum();
    let mut district_region = Vec::with_capacity(n_districts);
    // Every region gets at least one district; the rest follow the weights.
    for r in 0..n_regions {
        district_region.push(r as u32);
    }
    for _ in n_regions..n_districts {
        let mut x = rng.random::<f64>() * rsum;
        let mut r = 0;
        while r + 1 < n_regions && x >= rw[r] {
            x -= rw[r];
            r += 1;
        }
        district_region.push(r as u32);
    }
    district_region.sort_unstable();
    // District weights for station assignment.
    let dw: Vec<f64> = (0..n_districts).map(|_| gamma.sample(&mut rng)).collect();
    let beta = Beta::new(2.0, 2.0).map_err(|e| SimError::Param(e.to_string()))?;
    let urban: Vec<f64> = (0..n_districts).map(|_| beta.sample(&mut rng)).collect();
    let region_turnout: Vec<f64> = (0..n_regions).map(|_| gauss(&mut rng, 0.3)).collect();
    let district_turnout: Vec<f64> = (0..n_districts).map(|_| gauss(&mut rng, 0.2)).collect();
    let base: Vec<f64> = (0..k)
        .map(|j| match j {
            0 => 0.0,
            1 => -0.35,
            _ => -2.0 - 0.35 * (j as f64 - 2.0),
        })
        .collect();
    let region_pref: Vec<Vec<f64>> = (0..n_regions)
        .map(|_| {
            (0..k)
                .map(|j| gauss(&mut rng, if j < 2 { 0.4 } else { 0.3 }))
                .collect()
        })
        .collect();
    let district_pref: Vec<Vec<f64>> = (0..n_districts)
        .map(|_| (0..k).map(|_| gauss(&mut rng, 0.2)).collect())
        .collect();
    let region_missing: Vec<f64> = (0..n_regions)
        .map(|_| (gauss(&mut rng, 0.5)).exp())
        .collect();
    let mean_rm: f64 = region_missing.iter().sum::<f64>() / n_regions as f64;
    let region_missing: Vec<f64> = region_missing
        .iter()
        .map(|m| (params.missing_share * m / mean_rm).clamp(0.0, 0.95))
        .collect();
    // Stations: each district gets at least one, the rest by weight.
    let dsum: f64 = dw.iter().sum();
    let mut cum = Vec::with_capacity(n_districts);
    let mut acc = 0.0;
    for w in &dw {
        acc += w / dsum;
        cum.push(acc);
    }
    let mut district: Vec<u32> = (0..n_districts.min(n) as u32).collect();
    for _ in district.len()..n {
        let x = rng.random::<f64>();
        let d = cum.partition_point(|&c| c < x).min(n_districts - 1);
        district.push(d as u32);
    }
    district.sort_unstable();
    let seed = params.seed;
    struct Row {
        registered: u32,
        ballots: u32,
        null: u32,
        votes: Vec<u32>,
        has_sheet: bool,
    }
    let rows: Vec<Row> = district
        .par_iter()
        .enumerate()
        .map(|(i, &d)| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(i as u64 + 1);
            let d = d as usize;
            let r = district_region[d] as usize;
            let u = urban[d];
            let size = (400.0 + 1200.0 * u).ln() + gauss(&mut rng, 0.35);
            let registered = (size.exp().round() as u32).clamp(30, 4000);
            let t = logistic(
                0.4 + region_turnout[r] + district_turnout[d] - 0.3 * u + gauss(&mut rng, 0.25),
            );
            let ballots = binomial(&mut rng, registered, t);
            let p_null = logistic(-4.2 + gauss(&mut rng, 0.3));
            let null = binomial(&mut rng, ballots, p_null);
            let valid = ballots - null;
            let logits: Vec<f64> = (0..k)
                .map(|j| {
                    base[j]
                        + region_pref[r][j]
                        + district_pref[d][j]
                        + if j == 1 { 0.8 * (u - 0.5) } else { 0.0 }
                        + gauss(&mut rng, 0.15)
                })
                .collect();
            let mx = logits.iter().cloned().fold(f64::MIN, f64::max);
            let w: Vec<f64> = logits.iter().map(|l| (l - mx).exp()).collect();
            let mut left_w: f64 = w.iter().sum();
            let mut left = valid;
            let mut votes = vec![0u32; k];
            for j in 0..k {
                let v = if j + 1 == k {
                    left
                } else {
                    binomial(&mut rng, left, w[j] / left_w)
                };
                votes[j] = v;
                left -= v;
                left_w -= w[j];
            }
            let has_sheet = rng.random::<f64>() >= region_missing[r];
            Row {
                registered,
                ballots,
                null,
                votes,
                has_sheet,
            }
        })
        .collect();
    let region: Vec<u32> = district
        .iter()
        .map(|&d| district_region[d as usize])
        .collect();
    let mut votes = vec![Vec::with_capacity(n); k];
    for row in &rows {
        for (j, v) in row.votes.iter().enumerate() {
            votes[j].push(*v);
        }
    }
    let option_keys: Vec<String> = (0..k)
        .map(|j| ((b'A' + j as u8) as char).to_string())
        .collect();
    Ok(Simulation {
        params: params.clone(),
        option_names: option_keys
            .iter()
            .map(|c| format!("Candidate {c}"))
            .collect(),
        option_keys,
        region_names: (0..n_regions)
            .map(|r| format!("Region {}", r + 1))
            .collect(),
        district_region,
        region,
        district,
        registered: rows.iter().map(|r| r.registered).collect(),
        ballots: rows.iter().map(|r| r.ballots).collect(),
        null: rows.iter().map(|r| r.null).collect(),
        votes,
        has_sheet: rows.iter().map(|r| r.has_sheet).collect(),
    })
}

impl Simulation {
    /// Number of stations.
    pub fn len(&self) -> usize {
        self.registered.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.registered.is_empty()
    }

    /// The station id: region, district, station numbers.
    pub fn station_id(&self, i: usize) -> String {
        format!(
            "{:02}-{:05}-{:07}",
            self.region[i] + 1,
            self.district[i] + 1,
            i + 1
        )
    }

    /// Valid votes at station `i`.
    pub fn valid(&self, i: usize) -> u32 {
        self.ballots[i] - self.null[i]
    }

    /// True totals per option over every station (sheets in hand or not).
    pub fn true_totals(&self) -> Vec<u64> {
        self.votes
            .iter()
            .map(|v| v.iter().map(|&x| u64::from(x)).sum())
            .collect()
    }

    /// Write the sheets in hand as CSV (one row per station with a sheet).
    pub fn write_sheets<W: Write>(&self, mut w: W) -> io::Result<()> {
        let mut line = String::with_capacity(256);
        line.push_str("region,region_name,district,station,registered,ballots,null,valid");
        for k in &self.option_keys {
            line.push(',');
            line.push_str(k);
        }
        line.push('\n');
        w.write_all(line.as_bytes())?;
        for i in 0..self.len() {
            if !self.has_sheet[i] {
                continue;
            }
            line.clear();
            let r = self.region[i] as usize;
            let _ = write!(
                line,
                "{},{},{},{},{},{},{},{}",
                r + 1,
                self.region_names[r],
                self.district[i] + 1,
                self.station_id(i),
                self.registered[i],
                self.ballots[i],
                self.null[i],
                self.valid(i)
            );
            for v in &self.votes {
                let _ = write!(line, ",{}", v[i]);
            }
            line.push('\n');
            w.write_all(line.as_bytes())?;
        }
        w.flush()
    }

    /// Write the registry of every station (with or without a sheet).
    pub fn write_registry<W: Write>(&self, mut w: W) -> io::Result<()> {
        writeln!(w, "region,district,station,registered")?;
        for i in 0..self.len() {
            writeln!(
                w,
                "{},{},{},{}",
                self.region[i] + 1,
                self.district[i] + 1,
                self.station_id(i),
                self.registered[i]
            )?;
        }
        w.flush()
    }

    /// The election config that reads [`Simulation::write_sheets`] and
    /// [`Simulation::write_registry`].
    pub fn config_toml(&self) -> String {
        let mut s = String::new();
        let p = &self.params;
        let _ = writeln!(
            s,
            "# Simulated election: {} stations, {} options, seed {}, missing share {}.\n",
            p.stations, p.options, p.seed, p.missing_share
        );
        let _ = writeln!(
            s,
            "[election]\nname = \"Simulated election (seed {})\"\ncontest = \"simulated\"\n",
            p.seed
        );
        s.push_str("[station]\nid = [\"station\"]\n\n");
        s.push_str("[[levels]]\nkey = \"region\"\ncode = \"region\"\nname = \"region_name\"\n\n");
        s.push_str("[[levels]]\nkey = \"district\"\ncode = \"district\"\n\n");
        s.push_str(
            "[columns]\nregistered = \"registered\"\nballots = \"ballots\"\nnull = \"null\"\nvalid = \"valid\"\n\n",
        );
        for (k, name) in self.option_keys.iter().zip(&self.option_names) {
            let _ = writeln!(s, "[[options]]\nkey = \"{k}\"\nname = \"{name}\"\n");
        }
        s.push_str("[analysis]\nstrata = \"region\"\n\n");
        s.push_str(
            "[registry]\nkind = \"stations\"\ncode = \"station\"\nregistered = \"registered\"\n",
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sim(n: usize, seed: u64, missing: f64) -> Simulation {
        simulate(&SimParams {
            stations: n,
            options: 5,
            seed,
            missing_share: missing,
        })
        .unwrap()
    }

    #[test]
    fn deterministic_for_a_seed() {
        let a = sim(2000, 7, 0.2);
        let b = sim(2000, 7, 0.2);
        assert_eq!(a.votes, b.votes);
        assert_eq!(a.has_sheet, b.has_sheet);
        let c = sim(2000, 8, 0.2);
        assert_ne!(a.votes, c.votes);
    }

    #[test]
    fn counts_are_consistent() {
        let s = sim(5000, 3, 0.1);
        for i in 0..s.len() {
            let sum: u32 = s.votes.iter().map(|v| v[i]).sum();
            assert_eq!(sum, s.valid(i));
            assert!(s.ballots[i] <= s.registered[i]);
            assert!(s.null[i] <= s.ballots[i]);
        }
    }

    #[test]
    fn realistic_heterogeneity() {
        let s = sim(20_000, 11, 0.25);
        let t: Vec<f64> = (0..s.len())
            .map(|i| f64::from(s.ballots[i]) / f64::from(s.registered[i]))
            .collect();
        let mean = t.iter().sum::<f64>() / t.len() as f64;
        let sd = (t.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / t.len() as f64).sqrt();
        assert!((0.45..0.75).contains(&mean), "mean turnout {mean}");
        // Not i.i.d.: spread well beyond binomial noise (about 0.02 for 700 voters).
        assert!(sd > 0.06, "turnout sd {sd}");
        // Turnout differs between regions.
        let mut by_region = vec![(0.0, 0.0); s.region_names.len()];
        for i in 0..s.len() {
            let r = s.region[i] as usize;
            by_region[r].0 += f64::from(s.ballots[i]);
            by_region[r].1 += f64::from(s.registered[i]);
        }
        let rt: Vec<f64> = by_region.iter().map(|(a, b)| a / b).collect();
        let spread =
            rt.iter().cloned().fold(0.0, f64::max) - rt.iter().cloned().fold(1.0, f64::min);
        assert!(spread > 0.1, "regional turnout spread {spread}");
        // About the requested share of sheets is missing.
        let miss = s.has_sheet.iter().filter(|h| !**h).count() as f64 / s.len() as f64;
        assert!((0.15..0.35).contains(&miss), "missing {miss}");
        // The two leading options are close nationally (a contested race).
        let tot = s.true_totals();
        let valid: u64 = tot.iter().sum();
        let a = tot[0] as f64 / valid as f64;
        let b = tot[1] as f64 / valid as f64;
        assert!(a > 0.2 && b > 0.2, "shares {a} {b}");
    }

    #[test]
    fn rejects_bad_params() {
        assert!(
            simulate(&SimParams {
                stations: 0,
                ..Default::default()
            })
            .is_err()
        );
        assert!(
            simulate(&SimParams {
                options: 1,
                ..Default::default()
            })
            .is_err()
        );
        assert!(
            simulate(&SimParams {
                missing_share: 0.99,
                ..Default::default()
            })
            .is_err()
        );
    }
}
