//! A quick calibration of the forensic tests on simulated elections (the
//! full one is `examples/forensics_calibration.rs`, tables in
//! docs/forensics-calibration.md).
//!
//! On 40 clean elections a test at level 0.05 rejects about 2 times; the
//! band here is wide (at most 8 of 40: for a calibrated test
//! P(Binomial(40, 0.05) ≥ 9) ≈ 0.0003), so the test only catches gross
//! miscalibration. Power is checked where it must be near 1. One size is
//! 20,000 stations, where the old last-digit null (uniform digits of counts
//! of at least 100) failed.

use tallyproof_stats::forensics::{
    DISTRIBUTION_SHAPE, INTEGER_PERCENTAGES, Input, LAST_DIGIT, Options, SECOND_DIGIT, Stations,
    TURNOUT_SHARE_SLOPE, test_by_name,
};
use tallyproof_stats::fraud::{Fraud, Rounded, inject};
use tallyproof_stats::simulate::{SimParams, simulate};

const ELECTIONS: u64 = 40;

fn rejections(test: &str, fraud: Option<Fraud>) -> u64 {
    rejections_at(test, fraud, 600, ELECTIONS)
}

fn rejections_at(test: &str, fraud: Option<Fraud>, stations: usize, elections: u64) -> u64 {
    let t = match test_by_name(test) {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    };
    let mut rejected = 0;
    for e in 0..elections {
        let mut sim = match simulate(&SimParams {
            stations,
            options: 3,
            seed: 900 + e,
            missing_share: 0.0,
        }) {
            Ok(s) => s,
            Err(err) => panic!("{err}"),
        };
        if let Some(f) = &fraud
            && let Err(err) = inject(&mut sim, std::slice::from_ref(f), e)
        {
            panic!("{err}");
        }
        let st = Stations::from(&sim);
        let opts = Options {
            seed: e,
            replicates: 60,
            level: 0.05,
        };
        match t.run(&Input::new(&st), &opts) {
            Ok(f) => rejected += u64::from(f.p_value.is_some_and(|p| p <= 0.05)),
            Err(err) => panic!("{test}: {err}"),
        }
    }
    rejected
}

#[test]
fn false_positive_rates_are_not_gross() {
    for test in [INTEGER_PERCENTAGES, LAST_DIGIT, TURNOUT_SHARE_SLOPE] {
        let r = rejections(test, None);
        eprintln!("{test}: {r} of {ELECTIONS} clean elections rejected");
        assert!(
            r <= 8,
            "{test}: {r} of {ELECTIONS} clean elections rejected"
        );
    }
}

#[test]
fn second_digit_and_shape_false_positive_rates() {
    // Both tests' nulls are simulated to fit the data; at most 6 of 40
    // (for a calibrated test P(Binomial(40, 0.05) ≥ 7) ≈ 0.003).
    for test in [SECOND_DIGIT, DISTRIBUTION_SHAPE] {
        let r = rejections(test, None);
        eprintln!("{test}: {r} of {ELECTIONS} clean elections rejected");
        assert!(
            r <= 6,
            "{test}: {r} of {ELECTIONS} clean elections rejected"
        );
    }
}

#[test]
fn whole_percent_protocols_at_a_tenth_of_stations_are_found() {
    // 60 of 600 stations moved to whole percents: an excess of about
    // 60·(1 − 0.19) ≈ 49 against a null sd of about sqrt(600·0.19·0.81) ≈ 9.6.
    let r = rejections(
        INTEGER_PERCENTAGES,
        Some(Fraud::WholePercent {
            share: 0.1,
            rate: Rounded::Both,
            beneficiary: None,
        }),
    );
    assert!(r >= 36, "found in {r} of {ELECTIONS}");
}

#[test]
fn heavy_stuffing_moves_the_slope() {
    let r = rejections(
        TURNOUT_SHARE_SLOPE,
        Some(Fraud::Stuffing {
            share: 0.1,
            fraction: (0.5, 0.9),
            beneficiary: None,
        }),
    );
    assert!(r >= 30, "found in {r} of {ELECTIONS}");
}

#[test]
fn false_positive_rates_at_20000_stations() {
    // 20 clean elections of 20,000 stations: at most 5 rejections of 20
    // (for a calibrated test P(Binomial(20, 0.05) ≥ 6) ≈ 0.0003; the old
    // last-digit null rejected about half of them).
    for test in [LAST_DIGIT, TURNOUT_SHARE_SLOPE, INTEGER_PERCENTAGES] {
        let r = rejections_at(test, None, 20_000, 20);
        eprintln!("{test}: {r} of 20 clean elections of 20,000 stations rejected");
        assert!(r <= 5, "{test}: {r} of 20 clean elections rejected");
    }
}

#[test]
fn power_at_20000_stations() {
    // Whole-percent turnout at 1% of 20,000 stations: 200 stations, an
    // excess of about 180 whole turnouts against a null sd of about 42.
    let r = rejections_at(
        INTEGER_PERCENTAGES,
        Some(Fraud::WholePercent {
            share: 0.01,
            rate: Rounded::Turnout,
            beneficiary: None,
        }),
        20_000,
        10,
    );
    assert!(r >= 8, "whole turnout found in {r} of 10");
    // Stuffing at 5% of stations raises turnout and share together.
    let r = rejections_at(
        TURNOUT_SHARE_SLOPE,
        Some(Fraud::Stuffing {
            share: 0.05,
            fraction: (0.2, 0.8),
            beneficiary: None,
        }),
        20_000,
        10,
    );
    assert!(r >= 9, "stuffing found in {r} of 10");
}
