"""Test vectors for tallyproof's consistent sampler (crates/tallyproof-stats/src/sample.rs).

Runs Ronald L. Rivest's reference package `consistent_sampler` (PyPI, version
recorded in the output) and writes consistent_sampler.json beside this file.

    python3 -m venv /work/venvs/sampler
    /work/venvs/sampler/bin/pip install consistent_sampler==1.0.10
    /work/venvs/sampler/bin/python crates/tallyproof-stats/tests/vectors/make_sampler_vectors.py

Only the package's public functions are called; nothing of it is copied.
"""

import json
import os
from importlib.metadata import version

from consistent_sampler import consistent_sampler as cs


def station_ids(n):
    # Ids shaped like the Venezuelan mesa ids tallyproof builds ("CCCCCCCCC.MM").
    return ["%09d.%02d" % (10101001 + 7 * (i // 5) * 1013, 1 + i % 5) for i in range(n)]


def full_order(ids, seed, take=None, with_replacement=False):
    # The package's own sampler, at full precision (digits=200 keeps every digit).
    kw = {} if take is None else {"take": take}
    return [list(t) for t in cs.sampler(ids, seed, with_replacement=with_replacement,
                                        digits=200, **kw)]


def trimmed_order(ids, seed, take=None, with_replacement=False):
    kw = {} if take is None else {"take": take}
    return [list(t) for t in cs.sampler(ids, seed, with_replacement=with_replacement, **kw)]


out = {
    "provenance": {
        "package": "consistent_sampler (PyPI)",
        "version": version("consistent_sampler"),
        "script": "crates/tallyproof-stats/tests/vectors/make_sampler_vectors.py",
        "command": "/work/venvs/sampler/bin/python crates/tallyproof-stats/tests/vectors/make_sampler_vectors.py",
        "note": "sampler() output tuples are [ticket_number, id, generation]; 'full' lists use digits=200 (untrimmed), 'trimmed' lists the package's default digits=9",
    },
    "sha256_uniform": [[s, cs.sha256_uniform(s)] for s in ["abc", "", "ñandú", "0.25471:1"]],
    "first_fraction": [[i, s, cs.first_fraction(i, s)] for (i, s) in [
        ("AB-130", "01382438112797316654"),
        ("Mérida-01", "01382438112797316654"),
        ("010113042.01", "semilla ñandú Ωμέγα 🎲 28-07-2024"),
    ]],
    "next_fraction": [[x, cs.next_fraction(x)] for x in [
        "0.25471", "0.9", "0.999", "0.9999999", "0.99990", "0.", "0.5",
        cs.first_fraction("AB-130", "01382438112797316654"),
    ]],
    "trim": [[x, d, cs.trim(x, d)] for (x, d) in [
        ("0.9991234567890", 4), ("0.12345678912345", 9), ("0.999", 9), ("0.1", 9), ("0.99999999999912", 2),
    ]],
    "cases": [],
}

small = ["ab-1", "ab-2", "cd-1", "ef-3"]
ids1000 = station_ids(1000)
ids_unicode = ["Mérida-%02d" % i for i in range(1, 21)] + ["Zulia-%02d" % i for i in range(1, 21)] + ["Ñirihuao-7", "東京-1", "Αθήνα-3"]

cases = [
    ("doc example without replacement", small, 314159, False, None),
    ("doc example with replacement", ["A#2", "B#7", "C#1", "D#4"], 314159, True, 8),
    ("1000 station ids, full order", ids1000, "01382438112797316654", False, None),
    ("1000 station ids, first 50", ids1000, "01382438112797316654", False, 50),
    ("non-ASCII seed", ids1000[:300], "semilla ñandú Ωμέγα 🎲 28-07-2024", False, None),
    ("non-ASCII ids and seed", ids_unicode, "Säo Paulo – 2024", False, None),
    ("with replacement, 1000 ids, 1500 draws", ids1000, "71828182845904523536", True, 1500),
    ("with replacement, 3 ids, 400 draws (deep generations)", ["x", "y", "z"], "14142135623730950488", True, 400),
]
for name, ids, seed, wr, take in cases:
    out["cases"].append({
        "name": name,
        "seed": str(seed),
        "with_replacement": wr,
        "take": take,
        "ids": ids,
        "full": full_order(ids, seed, take, wr),
        # The package's default 9-digit display, for the smaller cases.
        "trimmed": trimmed_order(ids, seed, take, wr) if len(ids) <= 300 else None,
    })

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "consistent_sampler.json"), "w", encoding="utf-8") as f:
    json.dump(out, f, ensure_ascii=False, indent=0)
    f.write("\n")
