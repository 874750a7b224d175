//! Russia 2018 presidential election, one row per precinct (UIK): the
//! whole-percentage anomaly of Kobak, Shpilkin & Pshenichnikov.
//!
//! Runs only when `TALLYPROOF_REAL_DATA` is set (for example to
//! `/work/shared/data`); fails when it is set but the file is missing.

mod common;

use tallyproof_stats::forensics::integer::integer_counts;
use tallyproof_stats::forensics::{
    INTEGER_PERCENTAGES, Input, LAST_DIGIT, OUTLIERS, Options, run_suite,
};

const FILE: &str = "russia-president-uik/russia_2018_president_uik.csv.gz";

#[test]
fn russia_2018_whole_percent_anomaly() {
    let Some(path) = common::dataset::real_data(FILE) else {
        eprintln!("TALLYPROOF_REAL_DATA not set: skipped");
        return;
    };
    let cfg = common::dataset::config("ru2018.toml");
    let ds = common::dataset::read(&cfg, &[path]);
    let s = common::dataset::stations(&ds);
    eprintln!(
        "{} sheets accepted, {} quarantined",
        s.len(),
        ds.quarantine.len()
    );
    // PROVENANCE.md: 97,699 rows; the sheets are consistent, so nearly all
    // are accepted.
    assert!(s.len() > 97_000, "{} stations", s.len());
    let r = match integer_counts(&s, 2018, 200) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    let a = r.anomaly();
    let z = r.z();
    eprintln!(
        "included {}; turnout whole {} (null {:.1}, excess {:.0}, z {:.1}); leader whole {} \
         (null {:.1}, excess {:.0}, z {:.1}); combined {} (null {:.1} ± {:.1}, excess {:.0}, z {:.1})",
        r.included,
        r.turnout,
        r.null_mean[0],
        a[0],
        z[0],
        r.leader,
        r.null_mean[1],
        a[1],
        z[1],
        r.combined,
        r.null_mean[2],
        r.null_sd[2],
        a[2],
        z[2]
    );
    // Kobak's published figures for 2018 (dkobak/elections; DESIGN §5):
    // combined excess about 1,709 stations, turnout about 1,296, leader about
    // 859, about 15 null standard deviations. Their null is a different
    // random draw, so agree within 10%.
    assert!((a[2] - 1709.0).abs() < 171.0, "combined excess {}", a[2]);
    assert!((a[0] - 1296.0).abs() < 130.0, "turnout excess {}", a[0]);
    assert!((a[1] - 859.0).abs() < 86.0, "leader excess {}", a[1]);
    assert!(z[2] > 12.0, "combined z {}", z[2]);
    assert!(r.p_value < 0.01);

    // The suite runs on the whole country and the anomaly survives BH.
    let opts = Options {
        seed: 2018,
        replicates: 50,
        level: 0.05,
    };
    let rep = match run_suite(
        &[INTEGER_PERCENTAGES, LAST_DIGIT, OUTLIERS],
        &Input::new(&s),
        &opts,
    ) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    assert!(rep.significant().any(|f| f.code == INTEGER_PERCENTAGES));
}
