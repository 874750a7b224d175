//! The audit on real reported results: the Venezuela 2024 V1 sheets
//! (resultadosconvzla) as the reported results, with simulated recounts
//! that agree with every sheet, and that differ on 1% of the sampled
//! sheets (draws 1, 101, 201, …: 10 votes moved from González to Maduro;
//! for BRAVO those ballots read as Maduro). Figures in
//! docs/audit.md (`--nocapture` prints them).
//!
//! Runs when TALLYPROOF_REAL_DATA names the shared data folder, and fails
//! loudly when it is set but the file is missing.

use std::path::PathBuf;

use tallyproof_core::{Config, NoProgress, read_files};
use tallyproof_stats::audit::plan::{Assumptions, plan};
use tallyproof_stats::audit::state::{Decision, assess};
use tallyproof_stats::audit::{AuditState, Method, Reported};

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
fn venezuela_2024_v1_audit() {
    let Some(csv) = data("venezuela-2024-resultadosconvzla/RESULTADOS_2024_CSV_V1.csv") else {
        return;
    };
    let cfg = Config::from_path(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../configs/ve2024.toml"),
    )
    .unwrap();
    let ds = read_files(&cfg, &[&csv], None, &NoProgress).unwrap();
    let rep = Reported::from_dataset(&ds).unwrap();
    assert_eq!(rep.stations.len(), 24_532);
    let out = rep.outcome().unwrap();
    let eg = rep.options.iter().position(|o| o == "EG").unwrap();
    let nm = rep.options.iter().position(|o| o == "NM").unwrap();
    assert_eq!(out.winner, eg);
    assert_eq!(out.totals[eg], 7_156_462);
    let assume = Assumptions {
        error_rate: 0.01,
        error_votes: 20.0,
    };
    for m in Method::ALL {
        let p = plan(&rep, m, 0.05, assume).unwrap();
        for differ in [false, true] {
            let mut st = AuditState::new(
                m,
                0.05,
                Some("tallyproof ve2024 audit test 2024-07-28"),
                assume,
                rep.clone(),
                vec![],
            )
            .unwrap();
            let mut rounds = 0;
            let mut size = p.size;
            let decision = loop {
                rounds += 1;
                let draws = st.add_round(size).unwrap().draws.clone();
                for d in draws {
                    let i = rep.index_of(&d.station).unwrap();
                    let mut v = rep.stations[i].votes.clone();
                    if m.draws_sheets() {
                        if differ && d.number % 100 == 1 && !st.audited.contains_key(&d.station) {
                            let k = v[eg].min(10);
                            v[eg] -= k;
                            v[nm] += k;
                        }
                        st.audited.entry(d.station.clone()).or_insert(v);
                    } else {
                        // The drawn ballot's vote as the reported sheet gives it:
                        // ballots numbered option by option, the rest blank/null.
                        let mut b = d.ballot.unwrap() - 1;
                        let mut vote = None;
                        for (o, &n) in v.iter().enumerate() {
                            if b < n {
                                vote = Some(rep.options[o].clone());
                                break;
                            }
                            b -= n;
                        }
                        if differ && d.number % 100 == 1 {
                            vote = Some("NM".to_string());
                        }
                        st.ballots.insert(d.number, vote);
                    }
                }
                let a = assess(&st).unwrap();
                match a.decision.clone() {
                    Decision::NextRound { size: s } if rounds < 10 => size = s,
                    d => break (d, a),
                }
            };
            let (d, a) = decision;
            eprintln!(
                "{} plan {} {} | recounts {}: {} draws, {} rounds, {} discrepancies, max risk {:.2e}, {:?}",
                m.as_str(),
                p.size,
                p.unit,
                if differ { "differ on 1%" } else { "agree" },
                a.drawn,
                rounds,
                a.discrepancies,
                a.assertions.iter().map(|r| r.risk).fold(0.0, f64::max),
                d
            );
            assert_eq!(
                d,
                Decision::Confirmed,
                "{} differ={differ}: {a:?}",
                m.as_str()
            );
            assert!(
                a.drawn < 2_000,
                "{}: {} draws for a 36-point margin",
                m.as_str(),
                a.drawn
            );
        }
    }
}
