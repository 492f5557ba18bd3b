#!/usr/bin/env bash
# Benchmarks of kctl (make bench). Arg 1: the kctl binary. Figures are
# recorded in docs/benchmarks.md.
set -euo pipefail
kctl=${1:-bin/kctl}

# --- kctl lag ---------------------------------------------------------------
bench_lag() {
	echo "== kctl lag: Go benchmarks (in-process 3-broker kfake) =="
	go test ./internal/lag -run '^$' -bench . -benchtime 50x

	echo
	echo "== kctl lag: the binary against 'kctl cluster up' =="
	local log pid brokers
	log=$(mktemp)
	"$kctl" cluster up --ephemeral --ports 0,0,0 >"$log" 2>&1 &
	pid=$!
	trap 'kill "$pid" 2>/dev/null || true; rm -f "$log" "$log.out"' EXIT
	for _ in $(seq 100); do grep -q '^ready' "$log" && break; sleep 0.1; done
	brokers=$(sed -n 's/^bootstrap: //p' "$log")
	# one-group-000: 200 partitions; many-group-000..499: 10 partitions each.
	KCTL_LAG_BENCH_BROKERS=$brokers go test ./internal/lag -run '^TestBenchFixture$' -count=1 >/dev/null
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
	trap - EXIT
}
bench_lag
