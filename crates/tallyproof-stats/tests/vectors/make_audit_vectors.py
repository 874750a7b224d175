"""Compute the audit test vectors in this folder from the reference code.

Run with a virtual environment that has numpy and scipy (nothing else), with
Arlo and SHANGRLA checked out outside the repository:

    python3 -m venv /work/venvs/audit && /work/venvs/audit/bin/pip install numpy scipy
    /work/venvs/audit/bin/python make_audit_vectors.py /work/ref/arlo /work/ref/shangrla

It imports only the math modules: Arlo's server/audit_math/{macro,bravo,
sampler_contest}.py and SHANGRLA's shangrla/core/NonnegMean.py. The inputs
are generated here from a seeded numpy generator and written into the JSON
with the outputs, so the Rust tests need no random numbers to agree.
"""

import json
import subprocess
import sys
from decimal import Decimal

import numpy as np

arlo, shangrla = sys.argv[1], sys.argv[2]
sys.path.insert(0, f"{arlo}/server")
sys.path.insert(0, f"{shangrla}/shangrla/core")

from audit_math import macro, bravo  # noqa: E402
from audit_math.sampler_contest import Contest  # noqa: E402
from NonnegMean import NonnegMean  # noqa: E402
import warnings  # noqa: E402

warnings.simplefilter("ignore")


def commit(path):
    try:
        return subprocess.check_output(["git", "-C", path, "rev-parse", "HEAD"], text=True).strip()
    except Exception:
        return None


rng = np.random.default_rng(20241202)
ARLO_COMMIT = sys.argv[3] if len(sys.argv) > 3 else commit(arlo)
SHANGRLA_COMMIT = sys.argv[4] if len(sys.argv) > 4 else commit(shangrla)
CMD = "python3 make_audit_vectors.py /work/ref/arlo /work/ref/shangrla ARLO_COMMIT SHANGRLA_COMMIT"


def fnum(x):
    x = float(x)
    if x == float("inf"):
        return "inf"
    return x


# ---------------------------------------------------------------- MACRO
macro_vectors = []
for case in range(12):
    n_batches = int(rng.integers(5, 60))
    n_cands = int(rng.integers(2, 5))
    cands = [f"c{i}" for i in range(n_cands)]
    lean = rng.dirichlet(np.ones(n_cands) * 3)
    lean = np.sort(lean)[::-1]
    batches = {}
    for b in range(n_batches):
        size = int(rng.integers(50, 800))
        votes = rng.multinomial(size, lean)
        other = int(rng.integers(0, max(1, size // 20)))
        batches[f"b{b:03d}"] = {
            "contest": {**{c: int(v) for c, v in zip(cands, votes)}, "ballots": size + other}
        }
    totals = {c: sum(batches[b]["contest"][c] for b in batches) for c in cands}
    ballots = sum(batches[b]["contest"]["ballots"] for b in batches)
    contest = Contest("contest", {**totals, "ballots": ballots, "numWinners": 1, "votesAllowed": 1})
    if len(set(totals.values())) < len(totals):
        continue
    u = {b: macro.compute_max_error(batches[b], contest, 0) for b in batches}
    U = macro.compute_U(batches, contest)
    first = {}
    for rl in (5, 10, 25):
        try:
            first[str(rl)] = macro.get_sample_sizes(rl, contest, batches, {}, {}, [])
        except Exception as e:  # noqa: BLE001
            first[str(rl)] = str(e)
    # a sample of batches (with repetition), audited with some errors
    n_sample = int(rng.integers(1, min(n_batches - 1, 25) + 1))
    keys = sorted(batches)
    drawn = [keys[int(i)] for i in rng.integers(0, n_batches, size=n_sample)]
    audited = {}
    for b in set(drawn):
        rep = batches[b]["contest"]
        aud = dict(rep)
        kind = rng.integers(0, 4)
        if kind == 1:  # overstatement: winner lost some votes to the runner-up
            k = int(rng.integers(1, 6))
            w, l = max(totals, key=totals.get), sorted(totals, key=totals.get)[-2]
            k = min(k, aud[w])
            aud[w] -= k
            aud[l] += k
        elif kind == 2:  # understatement
            k = int(rng.integers(1, 6))
            w, l = max(totals, key=totals.get), sorted(totals, key=totals.get)[-2]
            k = min(k, aud[l])
            aud[l] -= k
            aud[w] += k
        audited[b] = {"contest": aud}
    tickets = {f"0.{i:018d}": b for i, b in enumerate(drawn)}
    rounds = {}
    for rl in (5, 10, 25):
        risk, ok = macro.compute_risk(rl, contest, batches, audited, tickets, [])
        try:
            nxt = macro.get_sample_sizes(rl, contest, batches, audited, tickets, [])
        except Exception as e:  # noqa: BLE001
            nxt = str(e)
        rounds[str(rl)] = {"risk": fnum(risk), "confirmed": bool(ok), "next_size": nxt}
    macro_vectors.append({
        "candidates": cands,
        "batches": {b: batches[b]["contest"] for b in keys},
        "max_error": {b: fnum(u[b]) for b in keys},
        "U": fnum(U),
        "first_round_size": first,
        "drawn_in_ticket_order": drawn,
        "audited": {b: audited[b]["contest"] for b in sorted(audited)},
        "after_sample": rounds,
    })

# ---------------------------------------------------------------- BRAVO
bravo_vectors = []
for case in range(16):
    n_cands = int(rng.integers(2, 5))
    cands = [f"c{i}" for i in range(n_cands)]
    ballots = int(rng.integers(1000, 2_000_000))
    share = np.sort(rng.dirichlet(np.ones(n_cands) * 2))[::-1]
    valid = int(ballots * rng.uniform(0.85, 1.0))
    votes = rng.multinomial(valid, share)
    tally = {c: int(v) for c, v in zip(cands, votes)}
    if len(set(tally.values())) < len(tally):
        continue
    contest = Contest("contest", {**tally, "ballots": ballots, "numWinners": 1, "votesAllowed": 1})
    sizes = {}
    for rl in (5, 10):
        try:
            out = bravo.get_sample_size(rl, contest, None, None)
            sizes[str(rl)] = {k: {"size": int(v["size"]), "prob": v["prob"]} for k, v in out.items()}
        except Exception as e:  # noqa: BLE001
            sizes[str(rl)] = str(e)
    # a sample drawn from a population shaped like the reported shares (a correct outcome)
    n = int(rng.integers(20, 3000))
    p = np.append(votes, ballots - valid) / ballots
    s = rng.multinomial(n, p)
    sample = {c: int(x) for c, x in zip(cands, s[:-1])}
    risks = {}
    for rl in (5, 10):
        m, ok = bravo.compute_risk(rl, contest, {"r1": sample})
        risks[str(rl)] = {"risk": {f"{w}|{l}": fnum(v) for (w, l), v in m.items()}, "confirmed": bool(ok)}
        try:
            nxt = bravo.get_sample_size(rl, contest, {"r1": dict(sample)}, None)
            risks[str(rl)]["next"] = {k: {"size": int(v["size"]), "prob": v["prob"]} for k, v in nxt.items()}
        except Exception as e:  # noqa: BLE001
            risks[str(rl)]["next"] = str(e)
    bravo_vectors.append({
        "tally": tally, "ballots": ballots, "sample_size": sizes,
        "sample": sample, "after_sample": risks,
    })

# ---------------------------------------------------------------- NonnegMean (ALPHA)
alpha_vectors = []
for case in range(30):
    u = float(rng.choice([1.0, 1.0, 2.0, 1.5, 1.0 / (2 * 0.45)]))
    n = int(rng.integers(5, 200))
    finite = bool(rng.integers(0, 2))
    N = int(n + rng.integers(0, 400)) if finite else None
    mean = rng.uniform(0.3, 0.85) * u
    kind = rng.integers(0, 3)
    if kind == 0:  # continuous values in [0, u]
        x = np.clip(rng.beta(2, 2, size=n) * 2 * mean, 0, u)
    elif kind == 1:  # comparison-like: mostly one big value, a few small ones
        big = u / 2 + rng.uniform(0.0, u / 2)
        x = np.full(n, big)
        errs = rng.random(n) < rng.uniform(0.0, 0.1)
        x[errs] = rng.choice([0.0, big / 2], size=int(errs.sum()))
    else:  # polling-like: 0, 1/2, 1 (times u)
        x = rng.choice([0.0, 0.5 * u, u], p=[0.4, 0.15, 0.45], size=n)
    x = [float(v) for v in x]
    estim = ["fixed_default", "fixed", "shrink_trunc"][int(rng.integers(0, 3))]
    kw = {}
    if estim == "fixed":
        kw["eta"] = float(0.5 + rng.uniform(0.05, 0.95) * (u - 0.5))
    if estim == "shrink_trunc":
        kw["eta"] = float(0.5 + rng.uniform(0.3, 0.95) * (u - 0.5))
        kw["d"] = float(rng.choice([10, 100]))
        kw["f"] = float(rng.choice([0, 0.1]))
    test = NonnegMean(
        test=NonnegMean.alpha_mart,
        # estim=None is NonnegMean's default: fixed_alternative_mean with
        # eta = t + (u - t)/2, set in __init__ only when estim is None.
        estim={"shrink_trunc": NonnegMean.shrink_trunc, "fixed": NonnegMean.fixed_alternative_mean}.get(estim),
        u=u, N=N if finite else np.inf, t=0.5, **kw,
    )
    p, hist = test.test(np.array(x))
    vec = {
        "u": u, "N": N, "estimator": estim, "params": kw, "x": x,
        "p_value": fnum(p), "p_history": [fnum(h) for h in hist],
    }
    if finite:
        for alpha in (0.05, 0.1):
            vec.setdefault("sample_size", {})[str(alpha)] = int(test.sample_size(x, alpha=alpha))
    alpha_vectors.append(vec)

prov = {
    "generated_by": "crates/tallyproof-stats/tests/vectors/make_audit_vectors.py",
    "command": CMD,
    "python": sys.version.split()[0],
    "numpy": np.__version__,
}
import scipy  # noqa: E402

prov["scipy"] = scipy.__version__
here = sys.argv[5] if len(sys.argv) > 5 else "."
json.dump({"provenance": {**prov, "repository": "github.com/votingworks/arlo", "commit": ARLO_COMMIT,
                          "code": "server/audit_math/macro.py: compute_max_error, compute_U, get_sample_sizes, compute_risk (pending and unauditable ballots 0, no runoff)"},
           "vectors": macro_vectors}, open(f"{here}/arlo_macro.json", "w"), indent=1)
json.dump({"provenance": {**prov, "repository": "github.com/votingworks/arlo", "commit": ARLO_COMMIT,
                          "code": "server/audit_math/bravo.py: get_sample_size, compute_risk (one winner, one vote per ballot)"},
           "vectors": bravo_vectors}, open(f"{here}/arlo_bravo.json", "w"), indent=1)
json.dump({"provenance": {**prov, "repository": "github.com/pbstark/SHANGRLA", "commit": SHANGRLA_COMMIT,
                          "code": "shangrla/core/NonnegMean.py: NonnegMean.alpha_mart with fixed_alternative_mean (default eta = t + (u - t)/2, or the given eta) or shrink_trunc; NonnegMean.sample_size with reps=None; t = 1/2"},
           "vectors": alpha_vectors}, open(f"{here}/shangrla_alpha.json", "w"), indent=1)
print(len(macro_vectors), len(bravo_vectors), len(alpha_vectors))
