#!/usr/bin/env bash
# Reproduces every figure of docs/benchmarks.md § "tallyproof serve": on
# loopback, for each store, station look-ups, entries, the time from a
# second agreeing entry to the agreed result, 3 MB photo uploads with QR
# decoding, and overload at twice the capacity with the default limits
# (429/503, then recovery).
#
#   bench/server.sh [sqlite|postgres|both]
#
# Environment: STATIONS (20000), SECS (15, per wrk run), PORT (18080),
# TALLYPROOF_BENCH_POSTGRES (an admin URL, e.g.
# postgres://postgres@127.0.0.1:5433/postgres, for the PostgreSQL store),
# PHOTO (a JPEG of about 3 MB; default: made by the acta crate's
# phone_photos example from the real actas, needs TALLYPROOF_REAL_DATA),
# WORK (a scratch folder; default a new temp dir), TP (a built tallyproof
# binary; default: build it).
# Needs wrk, python3, curl; builds the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-sqlite}"
STATIONS="${STATIONS:-20000}"
SECS="${SECS:-15}"
PORT="${PORT:-18080}"
WORK="${WORK:-$(mktemp -d /tmp/tallyproof-bench-server.XXXXXX)}"
export BENCH_LUA="$PWD/bench/server"
BASE="http://127.0.0.1:$PORT"
if [ -z "${TP:-}" ]; then
  cargo build --release -q -p tallyproof
  TP="${CARGO_TARGET_DIR:-target}/release/tallyproof"
fi

echo "# work dir $WORK; $STATIONS stations; ${SECS}s per run; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ ! -f "$WORK/sim/sheets.csv" ]; then
  "$TP" simulate --stations "$STATIONS" --seed 7 --out "$WORK/sim" > /dev/null
  python3 bench/server/prep.py "$WORK/sim/sheets.csv" "$WORK" $((STATIONS / 10))
fi
if [ -z "${PHOTO:-}" ]; then
  PHOTO="$WORK/photo.jpg"
  if [ ! -f "$PHOTO" ]; then
    cargo run --release -q -p tallyproof-acta --example phone_photos -- --upload-photo "$PHOTO"
  fi
fi
echo "# photo $(stat -c %s "$PHOTO") bytes"
export BENCH_STATIONS="$WORK/stations.txt" BENCH_ENTRIES="$WORK/entries.txt" BENCH_PHOTO="$PHOTO" BENCH_THREADS=2

run_store() {
  local name="$1" db="$2"
  echo
  echo "## $name"
  rm -rf "$WORK/log-$name"
  local t0=$(date +%s.%N)
  "$TP" import --db "$db" --config "$WORK/sim/election.toml" --registry "$WORK/sim/registry.csv" \
    --log "$WORK/log-$name" "$WORK/import.csv" | tail -1
  echo "import: $(echo "$(date +%s.%N) - $t0" | bc) s"
  : > "$WORK/tokens-$name.txt"
  for i in $(seq 1 40); do
    "$TP" witness add --db "$db" --name "bench$i" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' >> "$WORK/tokens-$name.txt"
  done
  export BENCH_TOKENS="$WORK/tokens-$name.txt"
  serve() {
    "$TP" serve --db "$db" --config "$WORK/sim/election.toml" --registry "$WORK/sim/registry.csv" \
      --log "$WORK/log-$name" --bind "127.0.0.1:$PORT" "$@" > "$WORK/serve-$name.log" 2>&1 &
    SERVER=$!
    for _ in $(seq 1 600); do curl -sf "$BASE/healthz" > /dev/null && break; sleep 0.1; done
  }
  stop() { kill "$SERVER"; wait "$SERVER" 2> /dev/null || true; }
  OFF=(--rate-per-address 0 --writes-per-token 0 --max-in-flight 0 --max-writes-in-flight 0)

  serve "${OFF[@]}"
  echo "RSS at rest: $(ps -o rss= -p "$SERVER") KB"
  echo "### look-ups, 100 connections (limits off)"
  wrk -t2 -c100 -d"${SECS}s" -s bench/server/lookup.lua "$BASE" | grep -E 'status|p50|Non-2xx|Socket'
  echo "RSS after look-ups: $(ps -o rss= -p "$SERVER") KB"
  echo "### station pages (HTML), 100 connections (limits off)"
  BENCH_PATH=/stations/ wrk -t2 -c100 -d"${SECS}s" -s bench/server/lookup.lua "$BASE" | grep -E 'status|p50|Socket'
  echo "### entries, 20 connections (limits off)"
  wrk -t2 -c20 -d"${SECS}s" -s bench/server/entries.lua "$BASE" | grep -E 'status|p50|Socket'
  echo "### entries at 100/s offered (10 connections, 100 ms apart; limits off)"
  BENCH_DELAY_MS=100 BENCH_START=4000 wrk -t2 -c10 -d"${SECS}s" -s bench/server/entries.lua "$BASE" | grep -E 'status|p50|Socket'
  echo "### totals, 100 connections (limits off)"
  BENCH_PATH="/api/v1/totals?level=region&x=" wrk -t2 -c100 -d"${SECS}s" -s bench/server/lookup.lua "$BASE" | grep -E 'status|p50|Socket'
  stop

  # A fresh slice of held-out stations for the agreement timing.
  serve "${OFF[@]}"
  echo "### second entry → agreed on the station and in the totals"
  python3 bench/server/agree.py "$BASE" "$WORK/entries.txt" "$BENCH_TOKENS" 20 0
  echo "### the same, during 100 connections of look-ups"
  wrk -t2 -c100 -d"${SECS}s" -s bench/server/lookup.lua "$BASE" > /dev/null &
  local W=$!
  sleep 1
  python3 bench/server/agree.py "$BASE" "$WORK/entries.txt" "$BENCH_TOKENS" 10 20
  wait "$W"
  echo "### uploads of the photo, 20 connections (limits off)"
  wrk -t2 -c20 -d"${SECS}s" --timeout 30s -s bench/server/uploads.lua "$BASE" | grep -E 'status|p50|marked|Socket'
  # The decoder works off the request path: how fast it drains its queue.
  # Polled until the queue is empty (at most 60 s), so that the rate is
  # the drain's and not the window's.
  local p0 t1 p1
  pending() { curl -s "$BASE/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["photos_pending"])'; }
  p0=$(pending)
  t0=$(date +%s.%N)
  p1=$p0
  for _ in $(seq 1 240); do
    [ "$p1" -eq 0 ] && break
    sleep 0.25
    p1=$(pending)
  done
  t1=$(date +%s.%N)
  echo "decoder: $p0 photos pending when the uploads stopped, $p1 after $(echo "$t1 - $t0" | bc | cut -c1-4) s: $(echo "scale=2; ($p0 - $p1) / ($t1 - $t0)" | bc) decoded/s"
  stop

  serve --rate-per-address 0 --writes-per-token 0
  echo "### overload, caps only (as from many addresses): look-ups, 1,000 connections"
  wrk -t2 -c1000 -d"${SECS}s" -s bench/server/lookup.lua "$BASE" | grep -E 'status|p50|Socket'
  echo "recovery: $(curl -s -o /dev/null -w '%{http_code} in %{time_total}s' "$BASE/api/v1/stations/$(head -1 "$WORK/stations.txt")")"
  echo "### overload, caps only: entries, 200 connections"
  wrk -t2 -c200 -d"${SECS}s" -s bench/server/entries.lua "$BASE" | grep -E 'status|p50|Socket'
  echo "recovery: $(curl -s -o /dev/null -w '%{http_code} in %{time_total}s' "$BASE/api/v1/stations/$(head -1 "$WORK/stations.txt")")"
  stop

  serve
  echo "### overload with the default limits: look-ups, 1,000 connections from one address"
  wrk -t2 -c1000 -d"${SECS}s" -s bench/server/lookup.lua "$BASE" | grep -E 'status|p50|Socket'
  echo "recovery: $(curl -s -o /dev/null -w '%{http_code} in %{time_total}s' "$BASE/api/v1/stations/$(head -1 "$WORK/stations.txt")") (after 1 s: "
  sleep 1
  echo "  $(curl -s -o /dev/null -w '%{http_code} in %{time_total}s' "$BASE/api/v1/stations/$(head -1 "$WORK/stations.txt")"))"
  echo "### overload with the default limits: entries, 200 connections, 40 tokens"
  wrk -t2 -c200 -d"${SECS}s" -s bench/server/entries.lua "$BASE" | grep -E 'status|p50|Socket'
  sleep 2
  echo "recovery: $(curl -s -o /dev/null -w '%{http_code} in %{time_total}s' "$BASE/api/v1/stations/$(head -1 "$WORK/stations.txt")")"
  stop
}

if [ "$which" = sqlite ] || [ "$which" = both ]; then
  rm -f "$WORK"/tally.db*
  run_store sqlite "sqlite:$WORK/tally.db"
fi
if [ "$which" = postgres ] || [ "$which" = both ]; then
  : "${TALLYPROOF_BENCH_POSTGRES:?set TALLYPROOF_BENCH_POSTGRES to an admin URL}"
  db="tp_bench_$$"
  psql "$TALLYPROOF_BENCH_POSTGRES" -qc "CREATE DATABASE $db"
  run_store postgres "${TALLYPROOF_BENCH_POSTGRES%/*}/$db"
fi
