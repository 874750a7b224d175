//! A quick version of `examples/audit_calibration.rs` (the full run, with
//! 10,000 audits per margin and method, is in docs/audit.md): simulated
//! audits of a wrong reported winner confirm it in at most α of them (up to
//! sampling error), and audits of correct outcomes finish.

use tallyproof_stats::audit::Method;
use tallyproof_stats::audit::calibration::{correct_outcome, wrong_winner};

const ALPHA: f64 = 0.05;

#[test]
fn wrong_winners_are_rarely_confirmed() {
    // 400 audits: the count of confirmations is at most Binomial(400, α)
    // if the audit is risk-limiting; P(Binomial(400, 0.05) > 32) < 0.001
    // (mean 20, sd 4.36: 32 is 2.75 sd above).
    for m in Method::ALL {
        let r = wrong_winner(m, 150, 0.05, ALPHA, 400, 3000, 99).unwrap();
        assert!(
            r.confirmed <= 32,
            "{}: confirmed {} of 400 wrong winners at α = {ALPHA}",
            m.as_str(),
            r.confirmed
        );
    }
}

#[test]
fn wrong_winners_at_a_wide_margin_are_caught() {
    // A reported lead of 20% of the ballots when B truly leads: the
    // overstatement is huge, so confirmations should be rarer still.
    for m in Method::ALL {
        let r = wrong_winner(m, 150, 0.20, ALPHA, 200, 3000, 5).unwrap();
        assert!(
            r.confirmed <= 20,
            "{}: confirmed {} of 200",
            m.as_str(),
            r.confirmed
        );
    }
}

#[test]
fn correct_outcomes_are_confirmed() {
    // A true 20% lead over 300 stations: each method should confirm
    // without a full hand count.
    for m in Method::ALL {
        let r = correct_outcome(m, 300, 0.20, ALPHA, 0.0, 20, 3).unwrap();
        assert_eq!(r.full_counts, 0, "{}: {r:?}", m.as_str());
        assert!(r.mean_draws >= 1.0 && r.mean_rounds >= 1.0, "{r:?}");
    }
}
