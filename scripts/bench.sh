#!/usr/bin/env bash
# make bench: every benchmark of docs/benchmarks.md. Arg 1: the kctl binary.
# Go benchmarks run against in-process kfake; binary timings use hyperfine when
# installed (apt-get install hyperfine) and a plain loop otherwise.
set -euo pipefail
kctl=$(realpath "${1:-bin/kctl}")
cd "$(dirname "$0")/.."

# time_cmd NAME CMD...: mean wall time of a command over repeated runs.
time_cmd() {
  local name=$1; shift
  if command -v hyperfine >/dev/null 2>&1; then
    hyperfine -N --warmup 3 --runs 30 --command-name "$name" "$*" 2>/dev/null | sed -n '1,3p'
  else
    local start end n=20
    start=$(date +%s%N)
    for _ in $(seq $n); do "$@" >/dev/null; done
    end=$(date +%s%N)
    echo "$name: mean $(( (end - start) / n / 1000000 )) ms over $n runs"
  fi
}

echo "== describe: kctl describe topics -o json vs kcat -L -J, 200 topics x 3 partitions"
log=$(mktemp)
"$kctl" cluster up --ephemeral --ports 0,0,0 >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q '^ready' "$log" && break; sleep 0.1; done
bootstrap=$(sed -n 's/^bootstrap: //p' "$log")
go run ./scripts/seedtopics -b "$bootstrap" -n 200 -p 3
time_cmd "kctl describe topics -o json" "$kctl" describe topics -o json -b "$bootstrap"
if command -v kcat >/dev/null 2>&1; then
  time_cmd "kcat -L -J" kcat -L -J -b "$bootstrap"
else
  echo "kcat not installed: skipped (apt-get install kcat)"
fi
go test -run '^$' -bench BenchmarkDescribe -benchmem ./internal/inspect/
kill $pid; wait $pid 2>/dev/null || true
trap - EXIT
rm -f "$log"
