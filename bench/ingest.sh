#!/usr/bin/env bash
# Ingest benchmark: read + validate + tabulate with the release binary on a
# simulated 1,000,000-station, 10-option file and on Russia 2018.
#
#   bench/ingest.sh                 # from the repository root
#
# Environment:
#   RUNS                  timed runs per case after one warm-up (default 5)
#   CARGO_TARGET_DIR      where to build (default: target-bench)
#   BENCH_DATA            where the simulated file goes (default: bench/data)
#   TALLYPROOF_REAL_DATA  the shared data directory (default: ../shared/data)
#   STATIONS              stations in the simulated file (default 1000000)
#
# Prints a Markdown table: median wall time, rows/s, CPU use and peak
# resident memory (from /usr/bin/time -v) per case.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RUNS=${RUNS:-5}
STATIONS=${STATIONS:-1000000}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target-bench}
DATA=${BENCH_DATA:-$ROOT/bench/data}
REAL=${TALLYPROOF_REAL_DATA:-$ROOT/../shared/data}
RU=$REAL/russia-president-uik/russia_2018_president_uik.csv.gz

if [ ! -x /usr/bin/time ]; then
  echo "bench: /usr/bin/time is missing (apt-get install time)" >&2
  exit 2
fi
[ -f "$RU" ] || { echo "bench: missing $RU" >&2; exit 2; }

cargo build --release -p tallyproof >&2
BIN=$CARGO_TARGET_DIR/release/tallyproof

SIM=$DATA/sim-$STATIONS
if [ ! -f "$SIM/sheets.csv" ]; then
  "$BIN" simulate --stations "$STATIONS" --options 10 --seed 1 --out "$SIM" >&2
fi

# run_once CMD...: run under /usr/bin/time -v; print "seconds maxrss_kb cpu% cpu_seconds".
# validate exits 1 when it quarantined sheets: that is a finding, not a failure.
run_once() {
  local log
  log=$(mktemp)
  set +e
  /usr/bin/time -v "$@" > /dev/null 2> "$log"
  local rc=$?
  set -e
  if [ "$rc" -gt 1 ]; then
    cat "$log" >&2
    rm -f "$log"
    echo "bench: command failed ($rc): $*" >&2
    exit 2
  fi
  awk -F': ' '
    /Elapsed \(wall clock\)/ {
      n = split($2, p, ":"); s = 0
      for (i = 1; i <= n; i++) s = s * 60 + p[i]
    }
    /Maximum resident set size/ { m = $2 }
    /Percent of CPU/ { c = $2 }
    /User time|System time/ { u += $2 }
    END { printf "%.2f %d %s %.2f\n", s, m, c, u }' "$log"
  rm -f "$log"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# bench NAME ROWS BYTES CMD...
bench() {
  local name=$1 rows=$2 bytes=$3
  shift 3
  run_once "$@" > /dev/null # warm-up: page cache, CPU frequency
  local times=() mems=() cpus=() secs=()
  for _ in $(seq "$RUNS"); do
    read -r t m c u < <(run_once "$@")
    times+=("$t")
    mems+=("$m")
    cpus+=("${c%\%}")
    secs+=("$u")
  done
  local t m c u
  t=$(printf '%s\n' "${times[@]}" | median)
  m=$(printf '%s\n' "${mems[@]}" | median)
  c=$(printf '%s\n' "${cpus[@]}" | median)
  u=$(printf '%s\n' "${secs[@]}" | median)
  awk -v name="$name" -v rows="$rows" -v bytes="$bytes" -v t="$t" -v m="$m" -v c="$c" -v u="$u" \
    -v all="$(printf '%s ' "${times[@]}")" 'BEGIN {
      printf "| %s | %d | %.0f | %.2f | %s| %.0f | %.2f | %d%% | %.0f | %.2f |\n",
        name, rows, bytes / 1048576, t, all, rows / t, u, c, m / 1024, m * 1024 / bytes
    }'
}

decoded_bytes() { case "$1" in *.gz) gzip -dc "$1" | wc -c ;; *) wc -c < "$1" ;; esac; }

SIM_ROWS=$(($(wc -l < "$SIM/sheets.csv") - 1))
SIM_BYTES=$(decoded_bytes "$SIM/sheets.csv")
RU_ROWS=$(($(gzip -dc "$RU" | wc -l) - 1))
RU_BYTES=$(decoded_bytes "$RU")

echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB RAM; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "binary: $("$BIN" --version 2>/dev/null || echo tallyproof), $(rustc --version)"
echo "runs: 1 warm-up + $RUNS timed; median shown"
echo
echo "| case | rows | MiB (decoded) | median wall s | all runs (s) | rows/s | CPU s (user+sys) | CPU use | peak RSS MiB | RSS / decoded size |"
echo "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|"
bench "tabulate sim ${STATIONS} x 10" "$SIM_ROWS" "$SIM_BYTES" "$BIN" tabulate --json --config "$SIM/election.toml" "$SIM/sheets.csv"
bench "validate sim ${STATIONS} x 10" "$SIM_ROWS" "$SIM_BYTES" "$BIN" validate --json --config "$SIM/election.toml" "$SIM/sheets.csv"
bench "tabulate Russia 2018 (gzip)" "$RU_ROWS" "$RU_BYTES" "$BIN" tabulate --json --config configs/ru2018.toml "$RU"
bench "validate Russia 2018 (gzip)" "$RU_ROWS" "$RU_BYTES" "$BIN" validate --json --config configs/ru2018.toml "$RU"
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
