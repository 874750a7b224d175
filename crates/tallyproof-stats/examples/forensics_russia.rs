//! Forensics on Russia 2018 (97,699 precincts): the whole-percent test with
//! 1,000 binomial resamples, timed, and the rest of the suite, each test
//! timed on its own, then the default suite in one run. With
//! `--simulate N` the stations are a clean simulated election of N stations
//! (seed 1, 4 options) instead.
//!
//! ```text
//! TALLYPROOF_REAL_DATA=/work/shared/data \
//!   cargo run --release -p tallyproof-stats --example forensics_russia -- [replicates] [--suite]
//! cargo run --release -p tallyproof-stats --example forensics_russia -- 1000 --suite --simulate 1000000
//! ```
//! The NumPy reference of the same resampling is `benches/kobak_numpy.py`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use tallyproof_stats::forensics::integer::integer_counts;
use tallyproof_stats::forensics::{
    DEFAULT_SUITE, Input, Options, Stations, TESTS, run_suite, test_by_name,
};
use tallyproof_stats::simulate::{SimParams, simulate};

/// CPU seconds (user + system, all threads) this process has used so far,
/// from /proc/self/stat (Linux; 0 elsewhere). On a loaded machine the wall
/// time of a test says little; its CPU time, and CPU over wall (the threads
/// it kept busy), say what it costs.
fn cpu_secs() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which ends at the last ')'): state is
    // field 3, utime field 14, stime field 15, in clock ticks (100 per second).
    let Some(rest) = stat.rsplit_once(')').map(|x| x.1) else {
        return 0.0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |k: usize| f.get(k).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let reps: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let suite = args.iter().any(|a| a == "--suite");
    let simulated: Option<usize> = args
        .iter()
        .position(|a| a == "--simulate")
        .and_then(|k| args.get(k + 1))
        .and_then(|a| a.parse().ok());
    let t0 = Instant::now();
    let s = if let Some(n) = simulated {
        let sim = match simulate(&SimParams {
            stations: n,
            options: 4,
            seed: 1,
            missing_share: 0.0,
        }) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        };
        Stations::from(&sim)
    } else {
        let Some(path) =
            common::dataset::real_data("russia-president-uik/russia_2018_president_uik.csv.gz")
        else {
            eprintln!("set TALLYPROOF_REAL_DATA");
            std::process::exit(2);
        };
        let cfg = common::dataset::config("ru2018.toml");
        let ds = common::dataset::read(&cfg, &[path]);
        common::dataset::stations(&ds)
    };
    println!(
        "read {} stations in {:.2} s",
        s.len(),
        t0.elapsed().as_secs_f64()
    );
    let t1 = Instant::now();
    let c1 = cpu_secs();
    let r = match integer_counts(&s, 2018, reps) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    let secs = t1.elapsed().as_secs_f64();
    let cpu = cpu_secs() - c1;
    let a = r.anomaly();
    let z = r.z();
    println!(
        "integer percentages, {reps} resamples, {} threads: {secs:.2} s wall, {cpu:.2} s CPU",
        rayon::current_num_threads()
    );
    println!("included stations: {}", r.included);
    println!(
        "turnout: observed {}, null mean {:.1} (sd {:.1}), excess {:.0}, z {:.1}",
        r.turnout, r.null_mean[0], r.null_sd[0], a[0], z[0]
    );
    println!(
        "leader:  observed {}, null mean {:.1} (sd {:.1}), excess {:.0}, z {:.1}",
        r.leader, r.null_mean[1], r.null_sd[1], a[1], z[1]
    );
    println!(
        "either:  observed {}, null mean {:.1} (sd {:.1}), excess {:.0}, z {:.1}, p {:.4}",
        r.combined, r.null_mean[2], r.null_sd[2], a[2], z[2], r.p_value
    );
    if suite {
        let opts = Options {
            seed: 2018,
            replicates: reps,
            level: 0.05,
        };
        println!("each test on its own ({reps} replicates asked):");
        // second-digit-benford (not in the default suite) only with --all.
        let all = args.iter().any(|a| a == "--all");
        for name in TESTS.iter().filter(|n| all || DEFAULT_SUITE.contains(n)) {
            let t = match test_by_name(name) {
                Ok(t) => t,
                Err(e) => panic!("{e}"),
            };
            let t3 = Instant::now();
            let c3 = cpu_secs();
            let r = t.run(&Input::new(&s), &opts);
            println!(
                "  {name:<26} {:>8.2} s wall {:>8.2} s CPU  p {}",
                t3.elapsed().as_secs_f64(),
                cpu_secs() - c3,
                match r {
                    Ok(f) => f.p_value.map_or("-".into(), |p| format!("{p:.3e}")),
                    Err(e) => e.to_string(),
                }
            );
        }
        let t2 = Instant::now();
        let c2 = cpu_secs();
        let rep = match run_suite(DEFAULT_SUITE, &Input::new(&s), &opts) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        };
        println!(
            "default suite in one run: {:.1} s wall, {:.1} s CPU; headline: {}",
            t2.elapsed().as_secs_f64(),
            cpu_secs() - c2,
            rep.summary()
        );
        for f in &rep.findings {
            println!(
                "  {:<22} statistic {:>12.4} p {:>9} BH {:>9} effect {:.4}",
                f.code,
                f.statistic,
                f.p_value.map_or("-".into(), |p| format!("{p:.2e}")),
                f.p_adjusted.map_or("-".into(), |p| format!("{p:.2e}")),
                f.effect
            );
            for d in &f.details {
                println!("      {} = {:.4}", d.name, d.value);
            }
        }
    }
}
