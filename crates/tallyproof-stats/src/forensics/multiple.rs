//! Multiple-testing control across the suite.

/// Benjamini–Hochberg step-up adjusted p-values (Benjamini & Hochberg 1995,
/// JRSS B 57(1):289–300, §3): with the m available p-values sorted
/// p(1) ≤ … ≤ p(m), the adjusted value of p(i) is
/// min over j ≥ i of min(1, m·p(j)/j). Rejecting every hypothesis whose
/// adjusted value is at most q controls the false discovery rate at q when
/// the tests are independent or positively dependent (PRDS).
/// `None` entries (descriptive findings) are skipped and stay `None`.
pub fn benjamini_hochberg(p: &[Option<f64>]) -> Vec<Option<f64>> {
    let mut idx: Vec<(usize, f64)> = p
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i, v)))
        .collect();
    idx.sort_by(|a, b| a.1.total_cmp(&b.1));
    let m = idx.len() as f64;
    let mut out = vec![None; p.len()];
    let mut running = 1.0_f64;
    for (rank, &(i, v)) in idx.iter().enumerate().rev() {
        let adj = (v * m / (rank as f64 + 1.0)).min(1.0);
        running = running.min(adj);
        out[i] = Some(running);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_r_p_adjust() {
        // R 4.x: p.adjust(c(0.01, 0.04, 0.03, 0.005), "BH")
        //   sorted 0.005, 0.01, 0.03, 0.04; m = 4
        //   0.04·4/4 = 0.04; 0.03·4/3 = 0.04; 0.01·4/2 = 0.02; 0.005·4/1 = 0.02
        //   -> 0.02 0.04 0.04 0.02 (in input order)
        let out = benjamini_hochberg(&[Some(0.01), Some(0.04), None, Some(0.03), Some(0.005)]);
        let want = [Some(0.02), Some(0.04), None, Some(0.04), Some(0.02)];
        for (o, w) in out.iter().zip(want) {
            match (o, w) {
                (Some(a), Some(b)) => assert!((a - b).abs() < 1e-12, "{a} vs {b}"),
                (None, None) => {}
                _ => panic!("{out:?}"),
            }
        }
    }

    #[test]
    fn caps_at_one() {
        assert_eq!(
            benjamini_hochberg(&[Some(0.9), Some(0.8)]),
            vec![Some(0.9), Some(0.9)]
        );
    }
}
