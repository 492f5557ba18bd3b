#!/usr/bin/env bash
# make bench: every benchmark of docs/benchmarks.md. Arg 1: the kctl binary.
# Each section echoes a heading and runs its commands. Go benchmarks run against
# in-process kfake; binary timings use hyperfine when installed
# (apt-get install hyperfine) and a plain loop otherwise.
# Run one section: scripts/bench.sh bin/kctl floor|describe|provision|export|...
# floor (issue 21) rewrites its table in docs/benchmarks.md; BENCH_RUNS (15) and
# BENCH_PRODUCE_N (1000000) tune it.
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

# --- the floor (issue 21): every row of the issue against its peer, one run --
# Each row is a hyperfine median (-N, --warmup 3, --runs ${BENCH_RUNS:-15}) on one
# fresh embedded cluster; a peer that is not installed is "—". The table and
# the commands go between the floor markers of docs/benchmarks.md.
floor_bench() {
  if ! command -v hyperfine >/dev/null 2>&1; then
    echo "== floor: hyperfine not installed (apt-get install hyperfine): skipped"
    return 0
  fi
  echo "== floor: the rows of issue 21 against their peers (medians of ${BENCH_RUNS:-15} runs)"
  local runs=${BENCH_RUNS:-15} dir log pid B rows
  dir=$(mktemp -d)
  log="$dir/cluster.log"
  rows="$dir/rows"
  : >"$rows"
  "$kctl" cluster up --ephemeral --ports 0,0,0 >"$log" 2>&1 &
  pid=$!
  trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"; trap - RETURN' RETURN
  for _ in $(seq 100); do grep -q '^ready' "$log" && break; sleep 0.1; done
  B=$(sed -n 's/^bootstrap: //p' "$log")

  # median_ms NAME [hyperfine args...]: run hyperfine, print the median in ms.
  median_ms() {
    local json="$dir/$1.json"; shift
    if ! hyperfine -N --style none --warmup 3 --runs "$runs" --export-json "$json" "$@" >"$json.log" 2>&1; then
      echo "hyperfine failed: $*" >&2; tail -5 "$json.log" "$dir/prep.log" >&2 2>/dev/null; echo "—"; return
    fi
    jq -r '.results[0].median * 1000 | . * 10 | round / 10' "$json"
  }
  # row WORK KCTL_CMD PEER_NAME PEER_CMD [PREPARE]: one line of the table.
  row() {
    local work=$1 kcmd=$2 pname=$3 pcmd=$4 prep=${5:-} k p ratio
    local pa=() ; [ -n "$prep" ] && pa=(--prepare "$prep")
    k=$(median_ms "k$(wc -l <"$rows")" "${pa[@]}" "$kcmd")
    p="not installed"; ratio="—"
    if [ -n "$pcmd" ] && command -v "${pcmd%% *}" >/dev/null 2>&1; then
      p=$(median_ms "p$(wc -l <"$rows")" "${pa[@]}" "$pcmd")
      [ "$k" != "—" ] && [ "$p" != "—" ] && ratio=$(awk -v k="$k" -v p="$p" 'BEGIN { printf "%.2f×", k / p }')
    fi
    local peer="—"
    if [ -n "$pname" ]; then
      case $p in "not installed" | "—") peer="$pname: $p" ;; *) peer="$pname $p ms" ;; esac
    fi
    [ "$k" != "—" ] && k="$k ms"
    printf '| %s | %s | %s | %s |\n' "$work" "$k" "$peer" "$ratio" | tee -a "$rows"
    printf '%s\t%s\t%s\n' "$work" "$kcmd" "${pcmd:-}" >>"$dir/cmds"
  }

  cat >"$dir/hello.go" <<'GO'
package main

import "os"

func main() { os.Stdout.WriteString("hello\n") }
GO
  (cd "$dir" && CGO_ENABLED=0 go build -o hello hello.go)
  row "process start: \`kctl version\` / \`kcat -V\`" "$kctl version" kcat "kcat -V"
  row "process start: a Go hello world (static)" "$dir/hello" "" ""

  go run ./scripts/seedtopics -b "$B" -n 200 -p 3
  row "describe 200 topics × 3 partitions, \`-o json\` / \`kcat -L -J\`" \
    "$kctl describe topics -o json -b $B" kcat "kcat -L -J -b $B"

  KCTL_LAG_BENCH_BROKERS=$B go test ./internal/feature/groups/lag -run '^TestBenchFixture$' -count=1 >/dev/null
  row "lag of a group on a 200-partition topic / \`kaf group describe\`" \
    "$kctl lag one-group-000 -b $B" kaf "kaf group describe one-group-000 -b $B"

  { echo "managedPrefixes: [floor.]"; echo "limits: {partitionsPerBroker: 100000}"; echo "topics:"
    for i in $(seq -f '%05g' 1 500); do echo "  - {name: floor.t$i, partitions: 3, replicationFactor: 3}"; done
  } >"$dir/t500.yaml"
  printf 'managedPrefixes: [floor.]\ntopics: []\n' >"$dir/none.yaml"
  row "create 500 topics (3 p, RF 3), \`apply --yes\`" \
    "$kctl apply -f $dir/t500.yaml --yes -b $B" "" "" \
    "$kctl apply -f $dir/none.yaml --prune --max-deletes 100000 --yes -b $B"
  "$kctl" apply -f "$dir/none.yaml" --prune --max-deletes 100000 --yes -b "$B" >/dev/null 2>&1

  { echo "managedPrefixes: [floor.]"; echo "limits: {partitionsPerBroker: 100000}"; echo "topics:"
    for i in $(seq -f '%05g' 1 10000); do echo "  - {name: floor.t$i, partitions: 3, replicationFactor: 3}"; done
  } >"$dir/t10000.yaml"
  "$kctl" apply -f "$dir/t10000.yaml" --yes -b "$B" >/dev/null
  row "no-op plan of 10,000 topics" "$kctl plan -f $dir/t10000.yaml -b $B" "" ""
  "$kctl" apply -f "$dir/none.yaml" --prune --max-deletes 100000 --yes -b "$B" >/dev/null 2>&1

  # 1M × 100 B (BENCH_PRODUCE_N); the topic is deleted and created again
  # before every run, so the cluster does not hold every run's records.
  local n=${BENCH_PRODUCE_N:-1000000}
  /usr/bin/python3 -c "import sys; l=b'x'*100+b'\n'; sys.stdout.buffer.write(l*$n)" >"$dir/records.txt"
  printf 'managedPrefixes: [floor.]\nlimits: {partitionsPerBroker: 100000}\ntopics:\n  - {name: floor.produce, partitions: 3, replicationFactor: 3}\n' >"$dir/produce.yaml"
  printf '#!/bin/sh\n%s apply -f %s --prune --max-deletes 10 --yes -b %s >%s 2>&1 && %s apply -f %s --yes -b %s >>%s 2>&1\n' \
    "$kctl" "$dir/none.yaml" "$B" "$dir/prep.log" "$kctl" "$dir/produce.yaml" "$B" "$dir/prep.log" >"$dir/prep.sh"
  chmod +x "$dir/prep.sh"
  row "produce $n × 100 B acks=all / \`kcat -P\`" \
    "$kctl produce floor.produce --file $dir/records.txt -b $B" kcat \
    "kcat -P -b $B -t floor.produce -X acks=all -l $dir/records.txt" "$dir/prep.sh"

  local md="docs/benchmarks.md" table="$dir/table.md"
  {
    echo "<!-- floor:begin (written by scripts/bench.sh floor; do not edit by hand) -->"
    echo "Run of $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end;"
    echo "\`scripts/bench.sh bin/kctl floor\`, hyperfine -N --warmup 3 --runs $runs, medians, one embedded cluster."
    echo
    echo "| work | kctl | peer | kctl / peer |"
    echo "|---|---|---|---|"
    cat "$rows"
    echo
    echo "Commands (\$B is the cluster's bootstrap, files are written by the script):"
    echo
    echo '```'
    awk -F'\t' -v d="$dir/" -v b="$B" -v k="$kctl" '{ for (i = 2; i <= 3; i++) if ($i != "") { gsub(d, "", $i); gsub(b, "$B", $i); gsub(k, "kctl", $i); print $i } }' "$dir/cmds"
    echo '```'
    echo "<!-- floor:end -->"
  } >"$table"
  if grep -q '<!-- floor:begin' "$md"; then
    awk -v t="$table" '/<!-- floor:begin/ { while ((getline l < t) > 0) print l; skip = 1; next } /<!-- floor:end -->/ { skip = 0; next } !skip' "$md" >"$md.new"
    mv "$md.new" "$md"
  else
    { echo; echo "## The floor (issue 21): every row against its peer"; echo; cat "$table"; } >>"$md"
  fi
  echo "table written to $md"
}

for section in floor describe provision lag services smoke export; do
  if [ -z "$only" ] || [ "$only" = "$section" ]; then "${section}_bench"; fi
done
