#!/usr/bin/env bash
# make bench: every benchmark of docs/benchmarks.md. Arg 1: the kctl binary.
# Each section echoes a heading and runs its commands. Go benchmarks run against
# in-process kfake; binary timings use hyperfine when installed
# (apt-get install hyperfine) and a plain loop otherwise.
# Run one section: scripts/bench.sh bin/kctl describe|provision|export|...
set -euo pipefail
kctl=$(realpath "${1:-bin/kctl}")
only=${2:-}
cd "$(dirname "$0")/.."

# time_cmd NAME CMD...: mean wall time of a command over repeated runs.
time_cmd() {
  local name=$1; shift
  if command -v hyperfine >/dev/null 2>&1; then
    hyperfine -N --warmup 3 --runs 30 --command-name "$name" "$*" 2>/dev/null | sed -n "1,3p"
  else
    local start end n=20
    start=$(date +%s%N)
    for _ in $(seq $n); do "$@" >/dev/null; done
    end=$(date +%s%N)
    echo "$name: mean $(( (end - start) / n / 1000000 )) ms over $n runs"
  fi
}

# --- describe (issue 2) -----------------------------------------------------
describe_bench() {
  echo "== describe: kctl describe topics -o json vs kcat -L -J, 200 topics x 3 partitions"
  local log pid bootstrap
  log=$(mktemp)
  "$kctl" cluster up --ephemeral --ports 0,0,0 >"$log" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$log"; trap - RETURN' RETURN
  for _ in $(seq 100); do grep -q '^ready' "$log" && break; sleep 0.1; done
  bootstrap=$(sed -n 's/^bootstrap: //p' "$log")
  go run ./scripts/seedtopics -b "$bootstrap" -n 200 -p 3
  time_cmd "kctl describe topics -o json" "$kctl" describe topics -o json -b "$bootstrap"
  if command -v kcat >/dev/null 2>&1; then
    time_cmd "kcat -L -J" kcat -L -J -b "$bootstrap"
  else
    echo "kcat not installed: skipped (apt-get install kcat)"
  fi
  go test -run '^$' -bench BenchmarkDescribe -benchmem ./internal/feature/inspect/
  kill $pid; wait $pid 2>/dev/null || true
  rm -f "$log"
}

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
  trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"; trap - RETURN' RETURN
  for _ in $(seq 100); do grep -q '^ready' "$log" && break; sleep 0.1; done
  export KCTL_BROKERS=$(sed -n 's/^bootstrap: //p' "$log")
  for n in 500 10000; do
    # 10,000 topics × 3 partitions × RF 3 on 3 brokers is above the default
    # limits.partitionsPerBroker (4,000): the file raises it.
    { echo "managedPrefixes: [bench.]"; echo "limits: {partitionsPerBroker: 100000}"; echo "topics:"
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

# --- kctl lag ---------------------------------------------------------------
lag_bench() {
	echo "== kctl lag: Go benchmarks (in-process 3-broker kfake) =="
	go test ./internal/feature/groups/lag -run '^$' -bench . -benchtime 50x

	echo
	echo "== kctl lag: the binary against 'kctl cluster up' =="
	local log pid brokers
	log=$(mktemp)
	"$kctl" cluster up --ephemeral --ports 0,0,0 >"$log" 2>&1 &
	pid=$!
	trap 'kill "$pid" 2>/dev/null || true; rm -f "$log" "$log.out"; trap - RETURN' RETURN
	for _ in $(seq 100); do grep -q '^ready' "$log" && break; sleep 0.1; done
	brokers=$(sed -n 's/^bootstrap: //p' "$log")
	# one-group-000: 200 partitions; many-group-000..499: 10 partitions each.
	KCTL_LAG_BENCH_BROKERS=$brokers go test ./internal/feature/groups/lag -run '^TestBenchFixture$' -count=1 >/dev/null
	"$kctl" lag one-group-000 -b "$brokers" >"$log.out"
	head -4 "$log.out"
	if command -v hyperfine >/dev/null; then
		hyperfine -N --warmup 3 --runs 30 \
			"$kctl lag one-group-000 -b $brokers" \
			"$kctl lag one-group-000 -b $brokers -o json"
		hyperfine -N --warmup 1 --runs 10 "$kctl lag -b $brokers"
	else
		local start end
		start=$(date +%s%N)
		for _ in $(seq 30); do "$kctl" lag one-group-000 -b "$brokers" >/dev/null; done
		end=$(date +%s%N)
		echo "kctl lag one-group-000: $(((end - start) / 30000000)) ms per run (30 runs)"
		start=$(date +%s%N)
		for _ in $(seq 10); do "$kctl" lag -b "$brokers" >/dev/null; done
		end=$(date +%s%N)
		echo "kctl lag (500 groups): $(((end - start) / 10000000)) ms per run (10 runs)"
	fi
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	rm -f "$log" "$log.out"
}

# --- smoke (issue 5) ----------------------------------------------------------
smoke_bench() {
  echo "== smoke: kctl smoke --embedded wall time (cluster start included)"
  time_cmd "kctl smoke --embedded" "$kctl" smoke --embedded
  echo "== smoke: --count 1000 end-to-end latency (Go benchmark, fresh in-process cluster per run)"
  go test ./smoke -run '^$' -bench SmokeCount1000 -benchtime 3x
  echo "== smoke: the binary, --count 1000"
  "$kctl" smoke --embedded --count 1000 | tail -3
}

# --- services (issue 4): kctl serve users / kctl serve email ----------------
services_bench() {
  echo "== services: outbox relay, 100,000-row backlog to Kafka (Go benchmark, in-process 3-broker kfake)"
  go test ./services/users -run '^$' -bench 'OutboxRelay' -benchtime 3x
  echo "== services: email service, zero-delay sender, 100,000-record backlog"
  go test ./services/email -run '^$' -bench 'EmailDrain|EmailLogBatch' -benchtime 3x
  echo "== services: sign-ups over HTTP at concurrency 32 vs the bcrypt ceiling"
  go test ./services/users -run '^$' -bench 'BcryptCeiling|SignUp' -benchtime 300x
}

# --- export (issue 11) --------------------------------------------------------
export_bench() {
  echo "== export: Go benchmark, 10,000 topics (in-process 3-broker kfake; Metadata + DescribeConfigs (+ the 3 access requests) + YAML + self-check)"
  go test ./provision -run '^$' -bench Export10000 -benchtime 5x -benchmem
  echo "== export: the binary against 'kctl cluster up', 10,000 topics with configs"
  local dir log pid
  dir=$(mktemp -d)
  log="$dir/cluster.log"
  "$kctl" cluster up --ephemeral --ports 0,0,0 >"$log" 2>&1 &
  pid=$!
  trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"; trap - RETURN' RETURN
  for _ in $(seq 100); do grep -q '^ready' "$log" && break; sleep 0.1; done
  export KCTL_BROKERS=$(sed -n 's/^bootstrap: //p' "$log")
  { echo "limits: {partitionsPerBroker: 100000}"; echo "topics:"
    for i in $(seq -f '%05g' 1 10000); do
      echo "  - {name: bench.t$i, partitions: 3, replicationFactor: 3, config: {min.insync.replicas: 2, retention.ms: $(( (10#$i % 7 + 1) ))d}}"
    done; } >"$dir/t10000.yaml"
  "$kctl" apply -f "$dir/t10000.yaml" --yes >/dev/null
  "$kctl" export -f "$dir/exported.yaml"
  "$kctl" plan -f "$dir/exported.yaml" --detailed-exitcode | tail -1
  if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 1 --runs 10 "$kctl export" "$kctl export --no-access"
  else
    time "$kctl" export >/dev/null
  fi
}

for section in describe provision lag services smoke export; do
  if [ -z "$only" ] || [ "$only" = "$section" ]; then "${section}_bench"; fi
done
