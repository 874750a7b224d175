//! Figures on real elections, checked against the totals their publishers
//! and the press report (see each data folder's PROVENANCE.md).
//!
//! These run when TALLYPROOF_REAL_DATA names the shared data folder, and
//! fail loudly when it is set but a file is missing.

use std::path::PathBuf;

use tallyproof_core::{Config, NoProgress, Registry, read_files, tabulate};

fn data(rel: &str) -> Option<PathBuf> {
    let root = std::env::var_os("TALLYPROOF_REAL_DATA")?;
    let p = PathBuf::from(root).join(rel);
    assert!(
        p.exists(),
        "TALLYPROOF_REAL_DATA is set but {} is missing",
        p.display()
    );
    Some(p)
}

fn config(name: &str) -> Config {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../configs")
        .join(name);
    Config::from_path(&p).unwrap()
}

#[test]
fn venezuela_2024_v1() {
    let Some(csv) = data("venezuela-2024-resultadosconvzla/RESULTADOS_2024_CSV_V1.csv") else {
        return;
    };
    let units = data("venezuela-2024-coverage/convzla_units_2024-08-01.csv").unwrap();
    let cfg = config("ve2024.toml");
    let reg = Registry::from_path(&cfg, &units).unwrap();
    let ds = read_files(&cfg, &[&csv], Some(&reg), &NoProgress).unwrap();
    assert_eq!(ds.sheets.len(), 24_532);
    assert!(ds.quarantine.is_empty());
    let nat = tabulate(&cfg, &ds, Some(&reg), None);
    let n = &nat.units[0];
    let eg = cfg.option_index("EG").unwrap();
    let nm = cfg.option_index("NM").unwrap();
    // PROVENANCE.md: EG 7,156,462; NM 3,241,461; the others 261,205;
    // valid 10,659,128; null 1,139; RE 17,745,239.
    assert_eq!(n.votes[eg], 7_156_462);
    assert_eq!(n.votes[nm], 3_241_461);
    assert_eq!(n.valid - n.votes[eg] - n.votes[nm], 261_205);
    assert_eq!(n.valid, 10_659_128);
    assert_eq!(n.null, Some(1_139));
    assert_eq!(n.registered_in_sheets, Some(17_745_239));
    // 24,532 of 30,026 mesas = 81.70%.
    assert_eq!(n.stations_known, Some(30_026));
    assert!((n.sheet_coverage.unwrap() - 0.8170).abs() < 5e-5);
    // The registry has no registered voters; the config's national figure
    // (the CNE's 21,321,805) completes it: 17,745,239 / 21,321,805 = 83.23%.
    assert_eq!(n.registered_known, Some(21_321_805));
    assert!((n.voter_coverage.unwrap() - 0.83226).abs() < 1e-5);
    // States add up to the nation, and every state has its denominator.
    let states = tabulate(&cfg, &ds, Some(&reg), Some(0));
    assert_eq!(states.units.len(), 24);
    for o in 0..cfg.options.len() {
        let sum: u64 = states.units.iter().map(|u| u.votes[o]).sum();
        assert_eq!(sum, n.votes[o], "option {}", cfg.options[o].key);
    }
    assert_eq!(states.units.iter().map(|u| u.sheets).sum::<u64>(), 24_532);
    assert_eq!(
        states
            .units
            .iter()
            .map(|u| u.stations_known.unwrap())
            .sum::<u64>(),
        30_026
    );
    // Distrito Capital: 1,534 of its 2,260 mesas (coverage file, state 1).
    let dc = states.units.iter().find(|u| u.code == "01").unwrap();
    assert_eq!((dc.sheets, dc.stations_known), (1_534, Some(2_260)));
    // Station ids are the acta codes' first part: 9-digit centre, 2-digit mesa.
    assert_eq!(ds.sheets.station.get(0), "010113042.01");
    // Municipalities are keyed by state and municipality; the registry does
    // not describe them, so their coverage is unknown.
    let muni = tabulate(&cfg, &ds, Some(&reg), Some(1));
    assert!(muni.units.iter().all(|u| u.stations_known.is_none()));
    assert_eq!(
        muni.units.iter().map(|u| u.votes[eg]).sum::<u64>(),
        7_156_462
    );
}

#[test]
fn venezuela_2024_v1_without_registry_has_unknown_coverage_below_nation() {
    let Some(csv) = data("venezuela-2024-resultadosconvzla/RESULTADOS_2024_CSV_V1.csv") else {
        return;
    };
    let cfg = config("ve2024.toml");
    let ds = read_files(&cfg, &[&csv], None, &NoProgress).unwrap();
    let states = tabulate(&cfg, &ds, None, Some(0));
    assert!(states.units.iter().all(|u| u.sheet_coverage.is_none()));
    // The national count of mesas comes from the config.
    let nat = tabulate(&cfg, &ds, None, None);
    assert_eq!(nat.units[0].stations_known, Some(30_026));
}

#[test]
fn russia_2018() {
    let Some(gz) = data("russia-president-uik/russia_2018_president_uik.csv.gz") else {
        return;
    };
    let cfg = config("ru2018.toml");
    let ds = read_files(&cfg, &[&gz], None, &NoProgress).unwrap();
    assert_eq!(ds.sheets.len(), 97_699);
    assert!(ds.quarantine.is_empty(), "{:?}", &ds.quarantine[..1]);
    let n = &tabulate(&cfg, &ds, None, None).units[0];
    // PROVENANCE.md: Putin 56,430,712 (the official total); registered
    // 109,008,428; valid 72,787,734; invalid 791,258.
    assert_eq!(n.votes[cfg.option_index("putin").unwrap()], 56_430_712);
    assert_eq!(n.registered_in_sheets, Some(109_008_428));
    assert_eq!(n.valid, 72_787_734);
    assert_eq!(n.null, Some(791_258));
    // Without a registry, coverage is unknown, never 100%.
    assert_eq!(n.sheet_coverage, None);
    let regions = tabulate(&cfg, &ds, None, Some(0));
    assert_eq!(
        regions.units.iter().map(|u| u.valid).sum::<u64>(),
        72_787_734
    );
}

fn ve_with_registry() -> Option<(Config, Registry, tallyproof_core::Dataset)> {
    let csv = data("venezuela-2024-resultadosconvzla/RESULTADOS_2024_CSV_V1.csv")?;
    let units = data("venezuela-2024-coverage/convzla_units_2024-08-01.csv").unwrap();
    let cfg = config("ve2024.toml");
    let reg = Registry::from_path(&cfg, &units).unwrap();
    let ds = read_files(&cfg, &[&csv], Some(&reg), &NoProgress).unwrap();
    Some((cfg, reg, ds))
}

fn announcement(name: &str) -> tallyproof_core::Announcement {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../announcements")
        .join(name);
    tallyproof_core::Announcement::from_path(&p).unwrap()
}

#[test]
fn venezuela_bulletin_2_is_impossible_for_gonzalez() {
    use tallyproof_core::evidence::{Verdict, feasibility};
    let Some((cfg, reg, ds)) = ve_with_registry() else {
        return;
    };
    let ann = announcement("ve2024-cne-2.toml");
    let f = feasibility(&cfg, &ds, Some(&reg), &ann).unwrap();
    // 96.87% of 30,026 read as at least 96.865%: ceil(30,026 × 0.96865) = 29,085
    // stations processed, so at most 941 left out.
    assert_eq!(f.min_processed, Some(29_085));
    assert_eq!(f.may_leave_out, Some(941));
    let eg = f.stations.iter().find(|b| b.key == "EG").unwrap();
    // Computed independently (Python over the CSV): 7,156,462 minus the 941
    // largest EG values = 6,696,357; reaching 5,326,104 needs leaving out
    // the 4,217 largest, i.e. at most 85.96% of stations processed.
    assert_eq!(eg.in_sheets, 7_156_462);
    assert_eq!(eg.min, 6_696_357);
    assert_eq!(
        eg.verdict,
        Verdict::ImpossibleBelow {
            margin: 6_696_357 - 5_326_104
        }
    );
    assert_eq!(eg.stations_to_leave_out, Some(4_217));
    assert!((eg.max_coverage_compatible.unwrap() - 0.859_555).abs() < 1e-6);
    // Maduro's figure is within the bounds: the stations not in hand could hold it.
    let nm = f.stations.iter().find(|b| b.key == "NM").unwrap();
    assert_eq!(nm.verdict, Verdict::Possible);
    // The voters claim: also impossible, whether the bound is exact or not.
    let eg_v = f.voters.iter().find(|b| b.key == "EG").unwrap();
    assert!(eg_v.verdict.impossible());
    assert!(
        f.joint
            .iter()
            .any(|j| j.impossible && j.check.starts_with("EG jointly"))
    );
    assert!(f.any_impossible);
}

#[test]
fn venezuela_bulletin_1_reconciles_the_others_group() {
    use tallyproof_core::evidence::{feasibility, reconcile};
    let Some((cfg, reg, ds)) = ve_with_registry() else {
        return;
    };
    let ann = announcement("ve2024-cne-1.toml");
    let rec = reconcile(&cfg, &ds, &ann).unwrap();
    let others = rec[0].rows.iter().find(|r| r.key == "others").unwrap();
    assert_eq!(others.in_sheets, 261_205);
    assert_eq!(others.difference, 462_704 - 261_205);
    let f = feasibility(&cfg, &ds, Some(&reg), &ann).unwrap();
    // 80% read as at least 79.5%: ceil(30,026 × 0.795) = 23,871.
    assert_eq!(f.min_processed, Some(23_871));
    let eg = f.stations.iter().find(|b| b.key == "EG").unwrap();
    assert!(eg.verdict.impossible(), "{eg:?}");
}
