//! Shared helpers: seed derivation, binomial draws, Monte Carlo p-values.

use rand::SeedableRng;
use rand::distr::Distribution;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use statrs::distribution::Binomial;

/// SplitMix64 finaliser (Steele, Lea & Flood 2014): a bijective mix of 64 bits.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of one test's stream: the suite seed mixed with the test code
/// (FNV-1a of its bytes), so that tests do not share random numbers.
pub(crate) fn test_seed(seed: u64, code: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in code.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    mix(seed ^ h)
}

/// The generator of replicate `r` of a stream: independent of thread count.
pub(crate) fn replicate_rng(stream: u64, r: usize) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(mix(stream.wrapping_add(mix(r as u64))))
}

/// A Binomial(n, p) draw (BTPE / inversion as implemented by statrs);
/// `p` is clamped to [0, 1].
pub(crate) fn binomial<R: rand::Rng + ?Sized>(rng: &mut R, n: u64, p: f64) -> u64 {
    if n == 0 || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    match Binomial::new(p, n) {
        Ok(b) => b.sample(rng),
        Err(_) => 0,
    }
}

/// Runs `f` once per replicate in parallel, each with its own generator.
#[cfg(test)]
pub(crate) fn replicates<T, F>(stream: u64, count: usize, f: F) -> Vec<T>
where
    T: Send,
    F: Fn(&mut ChaCha8Rng) -> T + Sync + Send,
{
    replicates_with(stream, count, &super::NoProgress, f)
}

/// [`replicates`], reporting each finished replicate to `progress`. The
/// results are in replicate order, so they do not depend on the number of
/// threads.
pub(crate) fn replicates_with<T, F>(
    stream: u64,
    count: usize,
    progress: &dyn super::Progress,
    f: F,
) -> Vec<T>
where
    T: Send,
    F: Fn(&mut ChaCha8Rng) -> T + Sync + Send,
{
    (0..count)
        .into_par_iter()
        .map(|r| {
            let mut rng = replicate_rng(stream, r);
            let out = f(&mut rng);
            progress.advance(1);
            out
        })
        .collect()
}

/// Two-sided normal p-value 2·(1 − Φ(|z|)).
pub(crate) fn normal_two_sided(z: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    match Normal::new(0.0, 1.0) {
        Ok(n) => (2.0 * n.cdf(-z.abs())).min(1.0),
        Err(_) => f64::NAN,
    }
}

/// Upper-tail Monte Carlo p-value (1 + #{sim >= obs}) / (R + 1)
/// (Davison & Hinkley 1997, eq. 4.11), which is valid at every R.
pub(crate) fn upper_p(observed: f64, sims: &[f64]) -> f64 {
    let ge = sims.iter().filter(|&&s| s >= observed - 1e-12).count();
    (1 + ge) as f64 / (1 + sims.len()) as f64
}

/// Mean and sample standard deviation.
pub(crate) fn mean_sd(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    if x.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let m = x.iter().sum::<f64>() / n;
    if x.len() < 2 {
        return (m, f64::NAN);
    }
    let v = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0);
    (m, v.sqrt())
}

/// Whether 100·a/b lies within ±0.05 of a whole number, decided in exact
/// integer arithmetic: with d = (100·a) mod b, the distance to the nearest
/// whole percent is min(d, b − d)/b percentage points, and
/// min(d, b − d)/b ≤ 1/20 ⇔ 20·min(d, b − d) ≤ b.
pub fn is_whole_percent(a: u64, b: u64) -> bool {
    if b == 0 {
        return false;
    }
    if a < u64::MAX / 100 && b < u64::MAX / 20 {
        let d = (a * 100) % b;
        return 20 * d.min(b - d) <= b;
    }
    let d = (u128::from(a) * 100) % u128::from(b);
    let near = d.min(u128::from(b) - d);
    20 * near <= u128::from(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_percent_exact_boundaries() {
        // 1/3 = 33.333…%: 0.333 pp from 33, not whole.
        assert!(!is_whole_percent(1, 3));
        // 50/100 = 50% exactly.
        assert!(is_whole_percent(50, 100));
        // 2001/4000 = 50.025%: 0.025 pp from 50, whole.
        assert!(is_whole_percent(2001, 4000));
        // 201/400 = 50.25%: not whole.
        assert!(!is_whole_percent(201, 400));
        // 401/800 = 50.125%: not whole. 801/1600 = 50.0625%: not whole.
        assert!(!is_whole_percent(801, 1600));
        // 10001/20000 = 50.005%: whole.
        assert!(is_whole_percent(10001, 20000));
        // Exactly 0.05 away: 1001/2000 = 50.05% -> d = 100100 mod 2000 = 100,
        // 20·100 = 2000 ≤ 2000: counted as whole (the boundary is inclusive).
        assert!(is_whole_percent(1001, 2000));
        // 0.0501 away is not: 10005/20000 = 50.025 (whole), 10011/20000 = 50.055 (not).
        assert!(!is_whole_percent(10011, 20000));
        // The u128 path agrees: a = 2^62 + 1, b = 2^63 (a/b = 50% + 2^-63):
        // whole. a = 3·2^60, b = 2^63 + 2 (3/8 less a little = 37.4999…%): not whole.
        assert!(is_whole_percent((1 << 62) + 1, 1 << 63));
        assert!(!is_whole_percent(3 << 60, (1 << 63) + 2));
    }

    #[test]
    fn binomial_mean_and_variance() {
        // Binomial(2000, 0.3): mean 600, variance 2000·0.3·0.7 = 420.
        let draws = replicates(7, 20_000, |r| binomial(r, 2000, 0.3) as f64);
        let (m, sd) = mean_sd(&draws);
        // Standard error of the mean: sqrt(420/20000) = 0.145.
        assert!((m - 600.0).abs() < 0.6, "mean {m}");
        assert!((sd * sd - 420.0).abs() < 20.0, "variance {}", sd * sd);
        // Small mean (inversion branch): Binomial(30, 0.1): mean 3, variance 2.7.
        let draws = replicates(8, 20_000, |r| binomial(r, 30, 0.1) as f64);
        let (m, sd) = mean_sd(&draws);
        assert!((m - 3.0).abs() < 0.05, "mean {m}");
        assert!((sd * sd - 2.7).abs() < 0.15, "variance {}", sd * sd);
    }

    #[test]
    fn replicates_are_deterministic() {
        let a = replicates(42, 100, |r| binomial(r, 1000, 0.5));
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build();
        let b = match pool {
            Ok(p) => p.install(|| replicates(42, 100, |r| binomial(r, 1000, 0.5))),
            Err(e) => panic!("{e}"),
        };
        assert_eq!(a, b);
    }

    #[test]
    fn monte_carlo_p() {
        // obs 5 against sims {1,5,7,2}: two sims >= 5, p = (1+2)/(1+4) = 0.6.
        assert!((upper_p(5.0, &[1.0, 5.0, 7.0, 2.0]) - 0.6).abs() < 1e-12);
    }
}
