"""NumPy reference for the whole-percent resampling of Kobak, Shpilkin &
Pshenichnikov (2016) on Russia 2018, the baseline for
examples/forensics_russia.rs.

Same definitions as tallyproof_stats::forensics::integer: turnout = ballots
issued (early + in station + mobile) / registered; leader share = Putin /
(valid + invalid); included when registered >= 100, valid + invalid > 0,
turnout <= 99% and share <= 99%; "whole" = within 0.05 pp of an integer,
in integer arithmetic. Null: Binomial(registered, turnout) and
Binomial(valid + invalid, share), resampled R times.

    python3 kobak_numpy.py $TALLYPROOF_REAL_DATA/russia-president-uik/russia_2018_president_uik.csv.gz [R]
"""
import sys
import time

import numpy as np
import pandas as pd


def whole(a, b):
    d = (a * 100) % b
    return 20 * np.minimum(d, b - d) <= b


def main():
    path = sys.argv[1]
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
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
    for r in range(reps):
        b = rng.binomial(reg, pt)
        v = rng.binomial(boxes, pl)
        a, bb = whole(b, reg), whole(v, boxes)
        sims[r] = a.sum(), bb.sum(), (a | bb).sum()
    secs = time.perf_counter() - t0
    m, s = sims.mean(0), sims.std(0, ddof=1)
    print(f"included {keep.sum()}; {reps} resamples in {secs:.2f} s (numpy, one thread)")
    for name, k in (("turnout", 0), ("leader", 1), ("either", 2)):
        print(f"{name}: observed {obs[k]}, null mean {m[k]:.1f} (sd {s[k]:.1f}), "
              f"excess {obs[k] - m[k]:.0f}, z {(obs[k] - m[k]) / s[k]:.1f}")


if __name__ == "__main__":
    main()
