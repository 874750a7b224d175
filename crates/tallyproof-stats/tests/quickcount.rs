//! Quick counts on simulated elections: the 95% interval covers the full
//! count about 95% of the time (the quick version of
//! `examples/quickcount_coverage.rs`, whose table is in docs/sampling.md),
//! with arrivals that differ by region (missing at random within regions);
//! and a plan's size gives about the margin it promises.
//!
//! Method: Cochran 1977 ch. 6 (combined ratio estimator, stratified, with
//! finite-population correction); plan: Estok, Nevitte & Cowan 2002 ch. 5,
//! Kish 1965 ch. 5.

use std::collections::BTreeMap;

use rayon::prelude::*;
use tallyproof_stats::quickcount::{
    self, PilotStratum, PlanParams, StratumInput, Target, simulated_trial,
};
use tallyproof_stats::sample::{Frame, FrameStation, Seed, draw};
use tallyproof_stats::simulate::{SimParams, Simulation, simulate};

fn election(seed: u64, stations: usize) -> Simulation {
    simulate(&SimParams {
        stations,
        options: 4,
        seed,
        missing_share: 0.0,
    })
    .unwrap()
}

#[test]
fn the_95_interval_covers_the_full_count_about_95_percent_of_the_time() {
    // 240 elections of 4,000 stations, 400 drawn, regions losing 0–30% of
    // their sampled sheets at random. Binomial(240, 0.95) has mean 228 and
    // sd 3.4: outside [214, 239] has probability below 0.001 if calibrated.
    let trials: Vec<_> = (0..240u64)
        .into_par_iter()
        .map(|r| {
            let sim = election(1000 + r, 4_000);
            simulated_trial(&sim, &format!("seed-{r}"), 400, &[0.0, 0.1, 0.3], 0.95).unwrap()
        })
        .collect();
    let leader = trials.iter().filter(|t| t.covered[0]).count();
    let second = trials.iter().filter(|t| t.covered[1]).count();
    let margin = trials.iter().filter(|t| t.margin_covered).count();
    for (name, c) in [
        ("first option", leader),
        ("second", second),
        ("margin", margin),
    ] {
        assert!((214..=239).contains(&c), "{name}: {c} of 240 covered");
    }
    // The regions' arrival rates differ by design: the warning must say so
    // in most trials (400 draws, rates 100/90/70%).
    let warned = trials.iter().filter(|t| t.warned).count();
    assert!(warned > 120, "warned in {warned} of 240");
}

#[test]
fn with_equal_arrivals_the_bias_warning_is_rare() {
    // All regions lose 10%: a chi-squared test at 5% warns in about 5%.
    let warned = (0..100u64)
        .into_par_iter()
        .filter(|&r| {
            let sim = election(5000 + r, 3_000);
            simulated_trial(&sim, &format!("s{r}"), 500, &[0.1], 0.95)
                .unwrap()
                .warned
        })
        .count();
    assert!(warned <= 14, "warned in {warned} of 100");
}

fn frame_of(sim: &Simulation) -> Frame {
    Frame {
        level: Some("region".into()),
        stations: (0..sim.len())
            .map(|i| FrameStation {
                id: sim.station_id(i),
                stratum: format!("{:02}", sim.region[i] + 1),
                registered: Some(u64::from(sim.registered[i])),
            })
            .collect(),
    }
}

#[test]
fn a_plan_from_a_pilot_gives_the_margin_it_promises() {
    // The pilot is the election itself (an earlier election just like it),
    // so the plan's variance is right and the realised half-width of the
    // leader's share should be near the target: mean within 12% over 30
    // draws.
    let sim = election(77, 20_000);
    let frame = frame_of(&sim);
    let mut by: BTreeMap<String, Vec<Vec<u64>>> = BTreeMap::new();
    for (i, st) in frame.stations.iter().enumerate() {
        by.entry(st.stratum.clone())
            .or_default()
            .push(sim.votes.iter().map(|v| u64::from(v[i])).collect());
    }
    let pilot: Vec<PilotStratum> = by
        .into_iter()
        .map(|(name, sheets)| PilotStratum { name, sheets })
        .collect();
    let params = PlanParams {
        margin: 0.005,
        confidence: 0.95,
        target: Target::LeaderShare { share: 0.5 },
        turnout: 0.6,
        low_turnout: 0.0,
        non_response: 0.0,
        icc: 0.1,
    };
    let plan = quickcount::plan(&frame, &params, Some(&pilot)).unwrap();
    assert!(
        plan.expected_margin <= 0.005 + 1e-9,
        "{}",
        plan.expected_margin
    );
    assert!(plan.size > 50 && plan.size < 20_000, "{}", plan.size);
    let keys = sim.option_keys.clone();
    let index: std::collections::HashMap<String, usize> =
        (0..sim.len()).map(|i| (sim.station_id(i), i)).collect();
    let hws: Vec<f64> = (0..30)
        .into_par_iter()
        .map(|r| {
            let s = draw(
                &Seed::new(&format!("p{r}")).unwrap(),
                &frame,
                &plan.sizes(),
                false,
            )
            .unwrap();
            let strata: Vec<StratumInput> = s
                .strata
                .iter()
                .map(|st| StratumInput {
                    name: st.name.clone(),
                    frame_stations: st.frame_stations,
                    drawn: st.draws.len(),
                    sheets: st
                        .draws
                        .iter()
                        .map(|d| {
                            let i = index[&d.id];
                            sim.votes.iter().map(|v| u64::from(v[i])).collect()
                        })
                        .collect(),
                })
                .collect();
            let e = quickcount::estimate(&keys, &strata, 0.95).unwrap();
            let lead = e.options.iter().find(|o| o.option == e.leader).unwrap();
            lead.share.high - lead.share.estimate
        })
        .collect();
    let mean = hws.iter().sum::<f64>() / hws.len() as f64;
    assert!((mean / 0.005 - 1.0).abs() < 0.12, "mean half-width {mean}");
}

#[test]
fn more_non_response_and_lower_turnout_ask_for_more_stations() {
    let sim = election(3, 10_000);
    let frame = frame_of(&sim);
    let base = PlanParams {
        margin: 0.01,
        confidence: 0.95,
        target: Target::LeaderShare { share: 0.5 },
        turnout: 0.6,
        low_turnout: 0.0,
        non_response: 0.0,
        icc: 0.05,
    };
    let n = |p: &PlanParams| quickcount::plan(&frame, p, None).unwrap();
    let p0 = n(&base);
    let p99 = n(&PlanParams {
        confidence: 0.99,
        ..base.clone()
    });
    let nr = n(&PlanParams {
        non_response: 0.2,
        ..base.clone()
    });
    let lt = n(&PlanParams {
        low_turnout: 0.3,
        ..base.clone()
    });
    let mg = n(&PlanParams {
        target: Target::FirstTwoMargin {
            first: 0.5,
            second: 0.5,
        },
        ..base.clone()
    });
    assert!(p99.needed > p0.needed);
    // Non-response raises the draw by 1/(1 − 0.2) = 1.25, not the sheets needed.
    assert_eq!(nr.needed, p0.needed);
    assert!((nr.size as f64 / p0.size as f64 - 1.25).abs() < 0.05);
    assert!(lt.needed > p0.needed);
    // A margin between two halves: σ² = 1 against 0.25 for a share.
    assert!(mg.needed as f64 > 2.5 * p0.needed as f64);
    // Design effect 1 + ρ(m − 1) > 1 for clusters of voters.
    assert!(p0.design_effect > 1.0);
    // With icc 0 a station is as good as its voters drawn at random:
    // n voters = z² p(1−p) / E² = 1.959964² · 0.25 / 0.002² = 240,098.9, so
    // n stations = 1 / (1 / (240,098.9 / x̄) + 1 / N) with the fpc.
    let srs = n(&PlanParams {
        icc: 0.0,
        margin: 0.002,
        ..base
    });
    let want = 1.0 / (srs.mean_votes / 240_098.9 + 1.0 / 10_000.0);
    assert!(
        (srs.needed as f64 - want).abs() <= 1.0 + srs.strata.len() as f64,
        "{} vs {want}",
        srs.needed
    );
}
