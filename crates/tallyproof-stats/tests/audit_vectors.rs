//! The audit mathematics against vectors computed by the reference code:
//! Arlo's `server/audit_math/macro.py` and `bravo.py` (votingworks/arlo)
//! and SHANGRLA's `NonnegMean` (pbstark/SHANGRLA). Each file's
//! `provenance` names the repository, the commit and the command
//! (`tests/vectors/make_audit_vectors.py`). Failures name the vector's index.

use std::collections::BTreeMap;

use serde_json::Value;
use tallyproof_stats::audit::bravo::{self, Pair};
use tallyproof_stats::audit::macro_::Macro;
use tallyproof_stats::audit::nonneg_mean::{Estimator, NonnegMean, Population, Reading};
use tallyproof_stats::audit::{Reported, StationResult};

fn load(name: &str) -> Value {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let v: Value = serde_json::from_str(&text).unwrap();
    let prov = &v["provenance"];
    assert!(
        prov["commit"].as_str().is_some_and(|c| c.len() == 40),
        "{name}: no commit"
    );
    assert!(prov["command"].is_string(), "{name}: no command");
    v
}

fn num(v: &Value) -> f64 {
    match v {
        Value::String(s) if s == "inf" => f64::INFINITY,
        _ => v.as_f64().unwrap(),
    }
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    if a.is_infinite() || b.is_infinite() {
        return a == b;
    }
    (a - b).abs() <= rel * b.abs().max(1e-300) || (a - b).abs() < 1e-300
}

#[test]
fn macro_matches_arlo() {
    let v = load("arlo_macro.json");
    let vectors = v["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 10);
    let mut unconfirmed = 0;
    for (i, c) in vectors.iter().enumerate() {
        let cands: Vec<String> = c["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect();
        let batches = c["batches"].as_object().unwrap();
        let result = |b: &Value, id: &str| StationResult {
            station: id.to_string(),
            votes: cands.iter().map(|k| b[k].as_u64().unwrap()).collect(),
            ballots: b["ballots"].as_u64().unwrap(),
        };
        let stations: Vec<StationResult> = batches.iter().map(|(id, b)| result(b, id)).collect();
        let rep = Reported::new(cands.clone(), stations).unwrap();
        let out = rep.outcome().unwrap();
        let m = Macro::new(&rep, &out);
        for (j, s) in rep.stations.iter().enumerate() {
            let want = num(&c["max_error"][&s.station]);
            assert!(
                close(m.max_error[j], want, 1e-12),
                "vector {i} station {}: u_p {} vs Arlo {want}",
                s.station,
                m.max_error[j]
            );
        }
        assert!(
            close(m.total, num(&c["U"]), 1e-12),
            "vector {i}: U {} vs {}",
            m.total,
            c["U"]
        );
        for (rl, want) in c["first_round_size"].as_object().unwrap() {
            let alpha = rl.parse::<f64>().unwrap() / 100.0;
            let got = m.sample_size(alpha, 1.0, false, rep.stations.len());
            assert_eq!(
                Some(got),
                want.as_u64(),
                "vector {i} risk limit {rl}%: first round"
            );
        }
        let audited: BTreeMap<String, Vec<u64>> = c["audited"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(id, b)| (id.clone(), result(b, id).votes))
            .collect();
        let taints: Vec<f64> = c["drawn_in_ticket_order"]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| {
                let id = id.as_str().unwrap();
                let k = rep.index_of(id).unwrap();
                m.taint(k, &rep.stations[k], &audited[id])
            })
            .collect();
        for (rl, want) in c["after_sample"].as_object().unwrap() {
            let alpha = rl.parse::<f64>().unwrap() / 100.0;
            let (risk, ok) = m.risk(&taints, alpha);
            assert!(
                close(risk, num(&want["risk"]), 1e-9),
                "vector {i} risk limit {rl}%: risk {risk} vs Arlo {}",
                want["risk"]
            );
            assert_eq!(
                ok,
                want["confirmed"].as_bool().unwrap(),
                "vector {i} risk limit {rl}%: confirmed"
            );
            unconfirmed += usize::from(!ok);
            if let Some(n) = want["next_size"].as_u64() {
                let got = m.sample_size(alpha, risk, ok, rep.stations.len());
                assert_eq!(got, n, "vector {i} risk limit {rl}%: next round size");
            }
            // The same risk through the one abstraction: ALPHA with η = u
            // on the rescaled taints, read at the last draw.
            let a = &tallyproof_stats::audit::Method::Macro.assertions(&rep, &out)[0];
            let obs = tallyproof_stats::audit::assertions::Observations::Sheets(
                c["drawn_in_ticket_order"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|id| {
                        let id = id.as_str().unwrap();
                        (rep.index_of(id).unwrap(), audited[id].clone())
                    })
                    .collect(),
            );
            let r = a.risk(&rep, &obs);
            assert!(
                close(r.p_value, num(&want["risk"]), 1e-9),
                "vector {i} risk limit {rl}%: ALPHA form {} vs Arlo {}",
                r.p_value,
                want["risk"]
            );
        }
    }
    assert!(
        unconfirmed > 0,
        "the vectors should include samples that do not confirm"
    );
}

#[test]
fn bravo_matches_arlo() {
    let v = load("arlo_bravo.json");
    let vectors = v["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 10);
    for (i, c) in vectors.iter().enumerate() {
        let tally = c["tally"].as_object().unwrap();
        let ballots = c["ballots"].as_u64().unwrap();
        let mut by: Vec<(&String, u64)> = tally
            .iter()
            .map(|(k, v)| (k, v.as_u64().unwrap()))
            .collect();
        by.sort_by_key(|a| std::cmp::Reverse(a.1));
        let (w, wv) = by[0];
        let pairs = |sample: Option<&Value>| -> Vec<Pair> {
            by[1..]
                .iter()
                .map(|(l, lv)| Pair {
                    p_w: wv as f64 / ballots as f64,
                    p_l: *lv as f64 / ballots as f64,
                    sample_w: sample.map_or(0, |s| s[w].as_u64().unwrap()),
                    sample_l: sample.map_or(0, |s| s[l.as_str()].as_u64().unwrap()),
                })
                .collect()
        };
        let check = |want: &Value, got: Option<Vec<bravo::SizeOption>>, what: &str| match want {
            Value::String(s) => {
                assert!(
                    got.is_none(),
                    "vector {i} {what}: Arlo says {s}, got {got:?}"
                )
            }
            Value::Object(o) => {
                let got = got.unwrap_or_else(|| panic!("vector {i} {what}: no sizes"));
                assert_eq!(got.len(), o.len(), "vector {i} {what}: {got:?} vs {o:?}");
                for g in &got {
                    let label = g.label.as_str();
                    let e = &o[label];
                    assert_eq!(
                        Some(g.size),
                        e["size"].as_u64(),
                        "vector {i} {what} {label}: size"
                    );
                    if let (Some(p), Some(q)) = (g.prob, e["prob"].as_f64()) {
                        assert!(
                            (p - q).abs() < 0.0101,
                            "vector {i} {what} {label}: prob {p} vs {q}"
                        );
                    }
                }
            }
            _ => panic!("vector {i}: bad expectation"),
        };
        for (rl, want) in c["sample_size"].as_object().unwrap() {
            let alpha = rl.parse::<f64>().unwrap() / 100.0;
            check(
                want,
                bravo::sample_sizes(alpha, &pairs(None), ballots),
                &format!("first round at {rl}%"),
            );
        }
        let sample = &c["sample"];
        for (rl, want) in c["after_sample"].as_object().unwrap() {
            let alpha = rl.parse::<f64>().unwrap() / 100.0;
            let ps = pairs(Some(sample));
            let mut all = true;
            for (p, (l, _)) in ps.iter().zip(&by[1..]) {
                let key = format!("{w}|{l}");
                let want_r = num(&want["risk"][&key]);
                assert!(
                    close(p.risk(), want_r, 1e-9),
                    "vector {i} {rl}% {key}: risk {} vs Arlo {want_r}",
                    p.risk()
                );
                all &= p.risk() <= alpha;
            }
            assert_eq!(
                all,
                want["confirmed"].as_bool().unwrap(),
                "vector {i} {rl}%: confirmed"
            );
            check(
                &want["next"],
                bravo::sample_sizes(alpha, &ps, ballots),
                &format!("next round at {rl}%"),
            );
        }
    }
}

#[test]
fn alpha_matches_shangrla() {
    let v = load("shangrla_alpha.json");
    let vectors = v["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 20);
    let mut clamped = 0;
    for (i, c) in vectors.iter().enumerate() {
        let u = num(&c["u"]);
        let population = c["N"]
            .as_u64()
            .map_or(Population::WithReplacement, Population::Finite);
        let p = &c["params"];
        let estimator = match c["estimator"].as_str().unwrap() {
            "fixed_default" => Estimator::Fixed { eta: None },
            "fixed" => Estimator::Fixed {
                eta: Some(num(&p["eta"])),
            },
            "shrink_trunc" => Estimator::ShrinkTrunc {
                eta: num(&p["eta"]),
                c: None,
                d: num(&p["d"]),
                f: num(&p["f"]),
                minsd: 1e-6,
            },
            e => panic!("vector {i}: estimator {e}"),
        };
        let t = NonnegMean {
            u,
            t: 0.5,
            population,
            estimator,
            reading: Reading::RunningMax,
        };
        let x: Vec<f64> = c["x"].as_array().unwrap().iter().map(num).collect();
        let r = t.alpha_mart(&x);
        // Where SHANGRLA's fixed alternative without replacement implies an
        // η_j outside [0, u] (it warns and goes on), tallyproof holds η_j in
        // [0, u]: the histories agree up to that draw.
        let eta0 = match estimator {
            Estimator::Fixed { eta } => Some(eta.unwrap_or(0.5 + (u - 0.5) / 2.0)),
            _ => None,
        };
        let mut agree_to = x.len();
        if let (Some(eta), Population::Finite(n)) = (eta0, population) {
            let mut s = 0.0;
            for (j, xj) in x.iter().enumerate() {
                let e = (n as f64 * eta - s) / (n as f64 - j as f64);
                if !(0.0..=u).contains(&e) {
                    agree_to = j;
                    break;
                }
                s += xj;
            }
        }
        let want = num(&c["p_value"]);
        if agree_to == x.len() {
            assert!(
                close(r.p_value, want, 1e-9),
                "vector {i}: p {} vs SHANGRLA {want}",
                r.p_value
            );
        } else {
            clamped += 1;
        }
        for (j, h) in c["p_history"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .take(agree_to)
        {
            assert!(
                close(r.history[j], num(h), 1e-9),
                "vector {i} draw {}: p {} vs SHANGRLA {}",
                j + 1,
                r.history[j],
                h
            );
        }
        if let Some(s) = c.get("sample_size").and_then(Value::as_object) {
            for (alpha, n) in s {
                let got = t.sample_size_repeated(&x, alpha.parse().unwrap());
                assert_eq!(got, n.as_u64(), "vector {i} α = {alpha}: sample size");
            }
        }
    }
    assert!(
        clamped <= 3,
        "{clamped} vectors leave [0, u]: too few checked whole"
    );
}
