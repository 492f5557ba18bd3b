#!/usr/bin/env bash
# Benchmarks (make bench). Arg 1 is the kctl binary. Each section echoes a
# heading and runs its commands; figures are recorded in docs/benchmarks.md.
set -euo pipefail
kctl=$(realpath "${1:-bin/kctl}")
cd "$(dirname "$0")/.."

# --- provision (issue 3): validate / plan / apply ---------------------------
provision_bench() {
  echo "== provision: Go benchmarks (in-process 3-broker kfake; parse + Observe + Diff + Apply)"
  go test ./provision -run '^$' -bench . -benchtime 3x

  echo "== provision: the kctl binary against the embedded cluster"
  local dir log pid
  dir=$(mktemp -d)
  log="$dir/cluster.log"
  "$kctl" cluster up --ephemeral --ports 0,0,0 >"$log" 2>&1 &
  pid=$!
  trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' RETURN
  for _ in $(seq 100); do grep -q '^ready' "$log" && break; sleep 0.1; done
  export KCTL_BROKERS=$(sed -n 's/^bootstrap: //p' "$log")
  for n in 500 10000; do
    { echo "managedPrefixes: [bench.]"; echo "topics:"
      for i in $(seq -f '%05g' 1 "$n"); do
        echo "  - {name: bench.t$i, partitions: 3, replicationFactor: 3, config: {min.insync.replicas: 2}}"
      done; } >"$dir/t$n.yaml"
  done
  printf 'managedPrefixes: [bench.]\ntopics: []\n' >"$dir/none.yaml"
  local wipe="$kctl apply -f $dir/none.yaml --prune --max-deletes 100000 --yes"
  if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 1 --runs 10 --prepare "$wipe" "$kctl apply -f $dir/t500.yaml --yes"
    hyperfine -N --runs 3 --prepare "$wipe" "$kctl apply -f $dir/t10000.yaml --yes"
    $kctl apply -f "$dir/t10000.yaml" --yes >/dev/null
    hyperfine -N --warmup 1 --runs 10 "$kctl plan -f $dir/t10000.yaml --detailed-exitcode"
  else
    $wipe >/dev/null 2>&1; time "$kctl" apply -f "$dir/t500.yaml" --yes >/dev/null
    $wipe >/dev/null 2>&1; time "$kctl" apply -f "$dir/t10000.yaml" --yes >/dev/null
    time "$kctl" plan -f "$dir/t10000.yaml" --detailed-exitcode
  fi
}
provision_bench
