//! A quick count on Venezuela 2024's V1 sheets taken as the full count: a
//! sample of the size the plan gives for ±0.5 pp covers the full-file
//! shares. Runs when TALLYPROOF_REAL_DATA names the shared data folder and
//! fails loudly when it is set but the file is missing.
//!
//! The frame is the V1 file itself (configs/ve2024-frame.toml reads it as a
//! `stations` registry: 24,532 mesas with registered voters), strata are the
//! states. Full-file shares (PROVENANCE.md): EG 7,156,462 and NM 3,241,461
//! of 10,659,128 valid votes, 67.139% and 30.410%.

use std::path::PathBuf;

use tallyproof_core::{Config, NoProgress, Registry, read_files};
use tallyproof_stats::quickcount::{self, PlanParams, Target};
use tallyproof_stats::sample::{Frame, Seed, draw};

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

#[test]
fn venezuela_2024_quick_count_of_the_planned_size_covers_the_full_file() {
    let Some(csv) = data("venezuela-2024-resultadosconvzla/RESULTADOS_2024_CSV_V1.csv") else {
        return;
    };
    let cfg = Config::from_path(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../configs/ve2024-frame.toml"),
    )
    .unwrap();
    let reg = Registry::from_path(&cfg, &csv).unwrap();
    let state = cfg.level_index("state").unwrap();
    let frame = Frame::from_registry(&reg, Some((state, "state"))).unwrap();
    assert_eq!(frame.stations.len(), 24_532);
    let ds = read_files(&cfg, &[&csv], Some(&reg), &NoProgress).unwrap();
    let keys = cfg.option_keys();
    let eg = cfg.option_index("EG").unwrap();
    let nm = cfg.option_index("NM").unwrap();
    let truth = |j: usize| -> f64 {
        let tot: u64 = ds
            .sheets
            .votes
            .iter()
            .flatten()
            .map(|&v| u64::from(v))
            .sum();
        ds.sheets.votes[j]
            .iter()
            .map(|&v| u64::from(v))
            .sum::<u64>() as f64
            / tot as f64
    };
    let (t_eg, t_nm) = (truth(eg), truth(nm));
    // 7,156,462 / 10,659,128 and 3,241,461 / 10,659,128.
    assert!((t_eg - 0.671_39).abs() < 1e-5, "{t_eg}");
    assert!((t_nm - 0.304_10).abs() < 1e-5, "{t_nm}");

    let params = PlanParams {
        margin: 0.005,
        confidence: 0.95,
        target: Target::LeaderShare { share: 0.5 },
        turnout: 0.6,
        low_turnout: 0.1,
        non_response: 0.1,
        icc: 0.1,
    };
    let plan = quickcount::plan(&frame, &params, None).unwrap();
    assert!(plan.size > 1_000 && plan.size < 24_532, "{}", plan.size);
    // Every drawn mesa's sheet is in hand here (the file is the full count).
    let runs = 20;
    let mut covered = [0usize; 2];
    let mut half = 0.0;
    for r in 0..runs {
        let seed = Seed::new(&format!("ve2024-quickcount-{r}")).unwrap();
        let s = draw(&seed, &frame, &plan.sizes(), false).unwrap();
        let m = quickcount::match_sheets(&s, &ds.sheets).unwrap();
        assert_eq!(
            m.strata.iter().map(|x| x.sheets.len()).sum::<usize>(),
            plan.size
        );
        let e = quickcount::estimate(&keys, &m.strata, 0.95).unwrap();
        let (a, b) = (&e.options[eg].share, &e.options[nm].share);
        if r == 0 {
            // The first draw, reported in docs/sampling.md.
            assert!(a.low <= t_eg && t_eg <= a.high, "EG {a:?} vs {t_eg}");
            assert!(b.low <= t_nm && t_nm <= b.high, "NM {b:?} vs {t_nm}");
        }
        covered[0] += usize::from(a.low <= t_eg && t_eg <= a.high);
        covered[1] += usize::from(b.low <= t_nm && t_nm <= b.high);
        half += (a.high - a.estimate) / runs as f64;
    }
    // Binomial(20, 0.95): 16 or fewer has probability 0.016.
    assert!(covered.iter().all(|&c| c >= 17), "{covered:?} of {runs}");
    // The plan's assumptions are conservative here (icc 0.1 against 0.06
    // measured, and the non-response allowance all in hand): the realised
    // half-width is within the ±0.5 pp planned.
    assert!(half <= 0.005, "mean half-width {half}");
}
