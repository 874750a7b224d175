//! The consistent sampler against the reference package.
//!
//! Vectors: `tests/vectors/consistent_sampler.json`, computed by running
//! Rivest's `consistent_sampler` 1.0.10 (PyPI) with
//! `tests/vectors/make_sampler_vectors.py` (its header gives the command).
//! Rivest 2018, `consistent_sampler` module docstring: ticket numbers from
//! SHA-256 of the seed's hash and the id; draws in increasing ticket order;
//! with replacement, the next generation's ticket is larger.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde::Deserialize;
use tallyproof_stats::sample::{
    self, Frame, FrameStation, Seed, TicketNumber, draw_with_replacement, draw_without_replacement,
    first_ticket, uniform,
};

#[derive(Deserialize)]
struct Vectors {
    provenance: BTreeMap<String, String>,
    sha256_uniform: Vec<(String, String)>,
    first_fraction: Vec<(String, String, String)>,
    next_fraction: Vec<(String, String)>,
    trim: Vec<(String, usize, String)>,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    seed: String,
    with_replacement: bool,
    take: Option<usize>,
    ids: Vec<String>,
    full: Vec<(String, String, u32)>,
    trimmed: Option<Vec<(String, String, u32)>>,
}

fn vectors() -> Vectors {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/consistent_sampler.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn provenance_names_the_package_version() {
    let v = vectors();
    assert_eq!(v.provenance["version"], "1.0.10");
    assert!(v.provenance["command"].contains("make_sampler_vectors.py"));
}

#[test]
fn sha256_uniform_matches() {
    for (i, (input, want)) in vectors().sha256_uniform.iter().enumerate() {
        assert_eq!(
            uniform(input.as_bytes()).as_str(),
            want,
            "vector {i}: {input:?}"
        );
    }
}

#[test]
fn first_tickets_match_including_non_ascii() {
    for (i, (id, seed, want)) in vectors().first_fraction.iter().enumerate() {
        let s = Seed::new(seed).unwrap();
        assert_eq!(
            first_ticket(&s, id).number.as_str(),
            want,
            "vector {i}: {id:?} {seed:?}"
        );
    }
}

#[test]
fn next_fraction_matches_including_runs_of_nines() {
    for (i, (x, want)) in vectors().next_fraction.iter().enumerate() {
        let t = TicketNumber::parse(x).unwrap();
        assert_eq!(t.next().as_str(), want, "vector {i}: {x}");
    }
}

#[test]
fn trim_matches() {
    for (i, (x, d, want)) in vectors().trim.iter().enumerate() {
        let t = TicketNumber::parse(x).unwrap();
        assert_eq!(t.trimmed(*d), want, "vector {i}: {x} {d}");
    }
}

#[test]
fn every_case_matches_in_order_ticket_and_generation() {
    let v = vectors();
    assert!(v.cases.len() >= 8);
    for case in &v.cases {
        let seed = Seed::new(&case.seed).unwrap();
        let take = case.take.unwrap_or(case.ids.len());
        let got = if case.with_replacement {
            draw_with_replacement(&seed, &case.ids, take).unwrap()
        } else {
            draw_without_replacement(&seed, &case.ids, take).unwrap()
        };
        assert_eq!(got.len(), case.full.len(), "{}", case.name);
        for (k, (t, (num, id, generation))) in got.iter().zip(&case.full).enumerate() {
            assert_eq!(
                (t.number.as_str(), t.id.as_str(), t.generation),
                (num.as_str(), id.as_str(), *generation),
                "{}: draw {k}",
                case.name
            );
        }
        if let Some(trimmed) = &case.trimmed {
            for (k, (t, (num, id, _))) in got.iter().zip(trimmed).enumerate() {
                assert_eq!(
                    t.number.trimmed(sample::DISPLAY_DIGITS),
                    num,
                    "{}: {k}",
                    case.name
                );
                assert_eq!(&t.id, id);
            }
        }
    }
}

#[test]
fn the_case_with_deep_generations_reaches_long_runs_of_nines() {
    // Guards the vectors themselves: the with-replacement case on three ids
    // must exercise the leading-9s rule of next_fraction.
    let v = vectors();
    let case = v.cases.iter().find(|c| c.name.contains("deep")).unwrap();
    let last = &case.full.last().unwrap().0;
    assert!(last.starts_with("0.999999999999"), "{last}");
}

#[test]
fn list_order_and_duplicates() {
    let seed = Seed::new("314159").unwrap();
    let ids = ["ab-1", "ab-2", "cd-1", "ef-3"];
    let rev: Vec<&str> = ids.iter().rev().copied().collect();
    let a = draw_without_replacement(&seed, &ids, 4).unwrap();
    let b = draw_without_replacement(&seed, &rev, 4).unwrap();
    assert_eq!(a, b);
    assert!(matches!(
        draw_without_replacement(&seed, &["x", "y", "x"], 1),
        Err(sample::SampleError::DuplicateId(id)) if id == "x"
    ));
    assert!(Seed::new("").is_err());
}

fn frame(n: usize, strata: usize) -> Frame {
    Frame {
        level: Some("region".into()),
        stations: (0..n)
            .map(|i| FrameStation {
                id: format!("S{i:05}"),
                stratum: format!("R{}", i % strata),
                registered: Some(100 + i as u64),
            })
            .collect(),
    }
}

#[test]
fn stratified_draws_are_each_strata_own_consistent_order() {
    let f = frame(600, 3);
    let seed = Seed::new("27182818284590452353").unwrap();
    let sizes: BTreeMap<String, usize> = [
        ("R0".to_string(), 5),
        ("R1".to_string(), 7),
        ("R2".to_string(), 0),
    ]
    .into();
    let s = sample::draw(&seed, &f, &sizes, false).unwrap();
    for st in &s.strata {
        let ids: Vec<&str> = f
            .stations
            .iter()
            .filter(|x| x.stratum == st.name)
            .map(|x| x.id.as_str())
            .collect();
        let want = draw_without_replacement(&seed, &ids, sizes[&st.name]).unwrap();
        let got: Vec<&str> = st.draws.iter().map(|d| d.id.as_str()).collect();
        let want: Vec<&str> = want.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(got, want, "{}", st.name);
        assert_eq!(st.frame_stations, 200);
    }
    assert!(sample::verify(&s, &f).is_empty());
}

#[test]
fn verify_names_each_kind_of_tampering() {
    let f = frame(300, 2);
    let seed = Seed::new("seed-0001").unwrap();
    let sizes = sample::proportional_allocation(&f, 20);
    assert_eq!(sizes.values().sum::<usize>(), 20);
    let s = sample::draw(&seed, &f, &sizes, false).unwrap();
    // A station swapped for one not drawn.
    let mut t = s.clone();
    t.strata[0].draws[3].id = "S99999".into();
    let d = sample::verify(&t, &f);
    assert!(
        matches!(&d[..], [sample::Discrepancy::Draws { position: 4, .. }]),
        "{d:?}"
    );
    // Another seed, with its own commitment: the draws differ.
    let mut t = s.clone();
    t.seed = "seed-0002".into();
    t.seed_commitment = sample::commitment_of("seed-0002");
    assert!(matches!(
        sample::verify(&t, &f)[0],
        sample::Discrepancy::Draws { .. }
    ));
    // The seed does not match its commitment.
    let mut t = s.clone();
    t.seed_commitment = sample::commitment_of("other");
    assert!(matches!(
        sample::verify(&t, &f)[0],
        sample::Discrepancy::Commitment { .. }
    ));
    // A station added to the frame: the digest changes.
    let mut g = f.clone();
    g.stations.push(FrameStation {
        id: "NEW".into(),
        stratum: "R0".into(),
        registered: None,
    });
    assert!(
        sample::verify(&s, &g)
            .iter()
            .any(|d| matches!(d, sample::Discrepancy::FrameDigest { .. }))
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Rivest 2018: a subset's order is the whole order filtered, so adding
    /// stations never reorders the others.
    #[test]
    fn subset_order_is_the_filtered_whole(n in 2usize..120, keep in proptest::collection::vec(any::<bool>(), 120), seed in "[ -~]{1,30}") {
        let s = Seed::new(&seed).unwrap();
        let ids: Vec<String> = (0..n).map(|i| format!("id-{i}")).collect();
        let whole = draw_without_replacement(&s, &ids, n).unwrap();
        let sub: Vec<String> = ids.iter().zip(&keep).filter(|(_, k)| **k).map(|(i, _)| i.clone()).collect();
        let part = draw_without_replacement(&s, &sub, sub.len()).unwrap();
        let filtered: Vec<_> = whole.into_iter().filter(|t| sub.contains(&t.id)).collect();
        prop_assert_eq!(part, filtered);
    }

    /// Each id's tickets increase with generation, and the draws with
    /// replacement come in increasing ticket order.
    #[test]
    fn with_replacement_is_increasing(n in 1usize..20, take in 0usize..200, seed in "[0-9]{1,20}") {
        let s = Seed::new(&seed).unwrap();
        let ids: Vec<String> = (0..n).map(|i| format!("s{i}")).collect();
        let d = draw_with_replacement(&s, &ids, take).unwrap();
        prop_assert_eq!(d.len(), take);
        for w in d.windows(2) {
            prop_assert!(w[0].number < w[1].number);
        }
    }
}
