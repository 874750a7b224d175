#!/usr/bin/env bash
# Monte Carlo forensics side by side: the whole-percent resampling of Kobak,
# Shpilkin & Pshenichnikov (2016) on Russia 2018, 1,000 resamples, in
# tallyproof (crates/tallyproof-stats/examples/forensics_russia.rs) and in
# the NumPy reference (crates/tallyproof-stats/benches/kobak_numpy.py), the
# latter both as Kobak resample (binomial draws) and with tallyproof's
# method (exact per-station probabilities, Bernoulli draws).
#
#   bench/montecarlo.sh             # from anywhere
#
# Environment:
#   RUNS                  runs per implementation (default 3)
#   REPS                  resamples (default 1000)
#   CARGO_TARGET_DIR      where to build (default: target-bench)
#   TALLYPROOF_REAL_DATA  the shared data directory (default: ../shared/data)
#
# Uses bench/.venv (made by bench/compare.sh). Prints a Markdown table: the
# resampling time as each program reports it (median and each run), the
# process CPU time and peak memory (/usr/bin/time -v), and the ratios, after
# checking that all three find the same observed whole-percent counts.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RUNS=${RUNS:-3}
REPS=${REPS:-1000}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target-bench}
REAL=$(cd "${TALLYPROOF_REAL_DATA:-$ROOT/../shared/data}" && pwd)
export TALLYPROOF_REAL_DATA=$REAL
RU=$REAL/russia-president-uik/russia_2018_president_uik.csv.gz
PY=$ROOT/bench/.venv/bin/python
[ -f "$RU" ] || { echo "bench: missing $RU" >&2; exit 2; }
[ -x "$PY" ] || { echo "bench: run bench/compare.sh first (it makes bench/.venv)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }

cargo build --release -p tallyproof-stats --example forensics_russia >&2
EX=$CARGO_TARGET_DIR/release/examples/forensics_russia
NP=$ROOT/crates/tallyproof-stats/benches/kobak_numpy.py

# run NAME CMD...: RUNS runs; prints "name|observed|secs|user|sys|maxrss_kb" per run.
run() {
  local name=$1
  shift
  for _ in $(seq "$RUNS"); do
    local out log
    out=$(mktemp)
    log=$(mktemp)
    /usr/bin/time -v "$@" > "$out" 2> "$log"
    local secs observed
    secs=$(grep -oE '(resamples.* in|threads:) [0-9.]+ s' "$out" | grep -oE '[0-9.]+ s$' | cut -d' ' -f1)
    observed=$(grep -oE 'observed [0-9]+' "$out" | cut -d' ' -f2 | paste -sd/ -)
    local user sys rss
    user=$(awk -F': ' '/User time/ {print $2}' "$log")
    sys=$(awk -F': ' '/System time/ {print $2}' "$log")
    rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$log")
    echo "$name|$observed|$secs|$user|$sys|$rss"
    rm -f "$out" "$log"
  done
}

{
  run tallyproof "$EX" "$REPS"
  run numpy-binomial "$PY" "$NP" "$RU" "$REPS"
  run numpy-shortcut "$PY" "$NP" "$RU" "$REPS" --shortcut
} > "${TMPDIR:-/tmp}/tallyproof-montecarlo.$$"

"$PY" - "${TMPDIR:-/tmp}/tallyproof-montecarlo.$$" "$REPS" <<'EOF'
import statistics, sys
rows = [l.strip().split("|") for l in open(sys.argv[1]) if l.strip()]
reps = sys.argv[2]
by = {}
for name, obs, secs, user, sys_, rss in rows:
    by.setdefault(name, []).append((obs, float(secs), float(user) + float(sys_), int(rss)))
observed = {o for runs in by.values() for o, *_ in runs}
if len(observed) != 1:
    sys.exit(f"bench: the implementations disagree on the observed counts: {observed}")
print(f"observed whole-percent counts (turnout/leader/either), all agree: {observed.pop()}\n")
print(f"| implementation | {reps} resamples, s (median) | each run | process CPU s (median) | peak RSS MiB | tallyproof / it (time) |")
print("|---|---:|---|---:|---:|---:|")
med = {n: statistics.median(s for _, s, _, _ in r) for n, r in by.items()}
for name, runs in by.items():
    cpu = statistics.median(c for _, _, c, _ in runs)
    rss = max(r for *_, r in runs) / 1024
    each = " ".join(f"{s:.2f}" for _, s, _, _ in runs)
    ratio = med["tallyproof"] / med[name]
    faster = "" if name == "tallyproof" else f" (tallyproof {1 / ratio:.1f}× faster)"
    print(f"| {name} | {med[name]:.2f} | {each} | {cpu:.2f} | {rss:.0f} | **{ratio:.3f}**{faster} |")
EOF
rm -f "${TMPDIR:-/tmp}/tallyproof-montecarlo.$$"
