"""NumPy reference for the whole-percent resampling of Kobak, Shpilkin &
Pshenichnikov (2016) on Russia 2018, the baseline for
examples/forensics_russia.rs.

Same definitions as tallyproof_stats::forensics::integer: turnout = ballots
issued (early + in station + mobile) / registered; leader share = Putin /
(valid + invalid); included when registered >= 100, valid + invalid > 0,
turnout <= 99% and share <= 99%; "whole" = within 0.05 pp of an integer,
in integer arithmetic. Null: Binomial(registered, turnout) and
Binomial(valid + invalid, share), resampled R times.

    python3 kobak_numpy.py $TALLYPROOF_REAL_DATA/russia-president-uik/russia_2018_president_uik.csv.gz [R] [--shortcut]

With --shortcut it resamples as tallyproof does: each station's probability
q of landing on a whole percent under the null is computed once, exactly
(the binomial probabilities of the whole counts summed), and each resample
draws two Bernoulli(q) indicators per station instead of two binomial
counts. The statistic has the same null distribution; this isolates what
the method gains from what the language gains. The time includes computing q.
"""
import sys
import time

import numpy as np
import pandas as pd


def whole(a, b):
    d = (a * 100) % b
    return 20 * np.minimum(d, b - d) <= b


def whole_prob(n, p, log_fact):
    """P(X/n within 0.05 pp of a whole percent), X ~ Binomial(n, p), per
    station: the pmf summed over the whole counts within mode +/- (12 sd + 10),
    in batches of stations over a padded window."""
    out = np.zeros(len(n))
    sd = np.sqrt(n * p * (1 - p))
    span = np.ceil(12 * sd + 10).astype(np.int64)
    mode = np.minimum(np.floor((n + 1) * p).astype(np.int64), n)
    lo = np.maximum(mode - span, 0)
    hi = np.minimum(mode + span, n)
    width = int((hi - lo).max()) + 1
    batch = max(1, 20_000_000 // width)
    with np.errstate(divide="ignore", invalid="ignore"):
        for s in range(0, len(n), batch):
            e = min(s + batch, len(n))
            a = lo[s:e, None] + np.arange(width)[None, :]
            nn = n[s:e, None]
            ok = a <= hi[s:e, None]
            a = np.where(ok, a, 0)
            pp = p[s:e, None]
            # a·log p and (n − a)·log(1 − p), taken as 0 when the count is 0.
            logpmf = (log_fact[nn] - log_fact[a] - log_fact[nn - a]
                      + np.where(a > 0, a * np.log(pp), 0.0)
                      + np.where(nn - a > 0, (nn - a) * np.log1p(-pp), 0.0))
            pmf = np.where(ok & whole(a, nn), np.exp(logpmf), 0.0)
            out[s:e] = pmf.sum(1)
    return out


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    shortcut = "--shortcut" in sys.argv
    path = args[0]
    reps = int(args[1]) if len(args) > 1 else 1000
    df = pd.read_csv(path)
    c = df.columns
    reg = df[c[3]].to_numpy(np.int64)
    issued = (df[c[5]] + df[c[6]] + df[c[7]]).to_numpy(np.int64)
    boxes = (df[c[11]] + df[c[12]]).to_numpy(np.int64)
    putin = df[[x for x in c if x.startswith("Путин")][0]].to_numpy(np.int64)
    keep = (reg >= 100) & (boxes > 0) & (issued * 100 <= reg * 99) & (putin * 100 <= boxes * 99)
    reg, issued, boxes, putin = reg[keep], issued[keep], boxes[keep], putin[keep]
    wt, wl = whole(issued, reg), whole(putin, boxes)
    obs = np.array([wt.sum(), wl.sum(), (wt | wl).sum()])
    rng = np.random.default_rng(2018)
    pt, pl = issued / reg, putin / boxes
    t0 = time.perf_counter()
    sims = np.empty((reps, 3))
    if shortcut:
        log_fact = np.concatenate(([0.0], np.cumsum(np.log(np.arange(1, reg.max() + 1)))))
        qt = whole_prob(reg, pt, log_fact)
        ql = whole_prob(boxes, pl, log_fact)
        for r in range(reps):
            a = rng.random(len(qt)) < qt
            bb = rng.random(len(ql)) < ql
            sims[r] = a.sum(), bb.sum(), (a | bb).sum()
    else:
        for r in range(reps):
            b = rng.binomial(reg, pt)
            v = rng.binomial(boxes, pl)
            a, bb = whole(b, reg), whole(v, boxes)
            sims[r] = a.sum(), bb.sum(), (a | bb).sum()
    secs = time.perf_counter() - t0
    m, s = sims.mean(0), sims.std(0, ddof=1)
    how = "Bernoulli(q) shortcut" if shortcut else "binomial draws"
    print(f"included {keep.sum()}; {reps} resamples in {secs:.2f} s (numpy, one thread, {how})")
    for name, k in (("turnout", 0), ("leader", 1), ("either", 2)):
        print(f"{name}: observed {obs[k]}, null mean {m[k]:.1f} (sd {s[k]:.1f}), "
              f"excess {obs[k] - m[k]:.0f}, z {(obs[k] - m[k]) / s[k]:.1f}")


if __name__ == "__main__":
    main()
