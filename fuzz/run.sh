#!/bin/sh
# Build the fuzz targets and run each for RUNS executions (default 1,000,000)
# from the seeds in tests/malformed/ and configs/. Run from the repository root
# or from fuzz/.
set -eu
cd "$(dirname "$0")"
RUNS=${RUNS:-1000000}
export RUSTC_BOOTSTRAP=1
for t in read_csv read_jsonl; do
  mkdir -p corpus/$t
  cp ../tests/malformed/*.csv ../tests/malformed/*.gz ../tests/malformed/*.jsonl corpus/$t/
done
# read_stream's first byte picks the block size and gzip: each CSV seed in
# blocks of 1 and 7 bytes, plain, and of 7 bytes, gzip-compressed.
mkdir -p corpus/read_stream
for f in ../tests/malformed/*.csv; do
  b=$(basename "$f" .csv)
  for k in 000 006 206; do
    { printf "\\$k"; cat "$f"; } > "corpus/read_stream/$b-$k"
  done
done
mkdir -p corpus/config
cp ../tests/malformed/corpus.toml ../configs/*.toml corpus/config/
cargo fuzz build --sanitizer none
for t in ${TARGETS:-read_csv read_jsonl read_stream config}; do
  echo "== $t"
  cargo fuzz run --sanitizer none "$t" -- -runs="$RUNS" -timeout=20 -print_final_stats=1 2>&1 | tee "target/$t.log" | grep -E '^(Done|stat::number_of_executed_units|==.*ERROR)' || true
done
