#!/usr/bin/env bash
# Side by side: tallyproof, DuckDB, polars and pandas on the same job (read
# the sheet CSV, count the rows whose options do not add up to the valid
# votes, total each option nationally and per first-level region).
#
#   bench/compare.sh                      # from anywhere
#
# Environment:
#   RUNS                  timed runs per tool and file after one warm-up (default 5)
#   SIZES                 simulated station counts (default "100000 1000000 5000000")
#   TOOLS                 (default "tallyproof duckdb polars pandas pandas-pyarrow")
#   CARGO_TARGET_DIR      where to build (default: target-bench)
#   BENCH_DATA            where generated files go (default: bench/data)
#   TALLYPROOF_REAL_DATA  the shared data directory (default: ../shared/data)
#
# Creates bench/.venv (pandas, polars, duckdb, pyarrow, numpy from PyPI) on
# first use. Checks that every tool gives the same failure count and the same
# national and regional totals before it reports any time. Writes the table
# to stdout and to $BENCH_DATA/compare.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target-bench}
export BENCH_DATA=${BENCH_DATA:-$ROOT/bench/data}
REAL=${TALLYPROOF_REAL_DATA:-$ROOT/../shared/data}
RU=$REAL/russia-president-uik/russia_2018_president_uik.csv.gz
VENV=$ROOT/bench/.venv

[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
[ -f "$RU" ] || { echo "bench: missing $RU" >&2; exit 2; }

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import pandas, polars, duckdb, pyarrow, numpy' 2> /dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet pandas polars duckdb pyarrow numpy
fi

cargo build --release -p tallyproof >&2
BIN=$CARGO_TARGET_DIR/release/tallyproof
mkdir -p "$BENCH_DATA"

# Russia 2018, decompressed so that every tool reads the same plain CSV.
# The job counts only the options-sum rule as a failure: the other rules
# tallyproof also checks (ballots against valid + null, ballots against
# registered) are made warnings here, so that every tool totals the same rows.
if [ ! -f "$BENCH_DATA/ru2018/sheets.csv" ]; then
  mkdir -p "$BENCH_DATA/ru2018"
  gzip -dc "$RU" > "$BENCH_DATA/ru2018/sheets.csv.tmp"
  mv "$BENCH_DATA/ru2018/sheets.csv.tmp" "$BENCH_DATA/ru2018/sheets.csv"
fi
{
  cat configs/ru2018.toml
  printf '\n[validation.severity]\nE007 = "warning"\nE008 = "warning"\n'
} > "$BENCH_DATA/ru2018/election.toml"

FILES=("ru2018:$BENCH_DATA/ru2018")
for n in ${SIZES:-100000 1000000 5000000}; do
  dir=$BENCH_DATA/sim-$n
  if [ ! -f "$dir/sheets.csv" ]; then
    "$BIN" simulate --stations "$n" --options 10 --seed 1 --out "$dir" >&2
  fi
  FILES+=("sim-$n:$dir")
done

exec "$VENV/bin/python" "$ROOT/bench/compare.py" --bin "$BIN" --runs "${RUNS:-5}" \
  --tools "${TOOLS:-tallyproof duckdb polars pandas pandas-pyarrow}" \
  --out "$BENCH_DATA/compare.md" "${FILES[@]}"
