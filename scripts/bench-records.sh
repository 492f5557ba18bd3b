#!/usr/bin/env bash
# kctl produce / kctl consume side by side with kcat (issue 10), in one run,
# against one `kctl cluster up --ephemeral` (kfake, in its own process).
#
#   scripts/bench-records.sh [KCTL_BINARY] [PORTS] [LINES] [RUNS]
#
# Defaults: bin/kctl, free ports (0,0,0), 1,000,000 lines of 100 bytes, 5 runs.
# Produce: each run writes LINES lines from a file into a freshly created
# 3-partition topic (acks=all for both). Consume: each run reads the same
# LINES records from a 3-partition topic to the end seen at start (-e) into
# /dev/null. Timings by hyperfine -N; peak RSS by /usr/bin/time -v.
set -euo pipefail
kctl=$(realpath "${1:-bin/kctl}")
ports=${2:-0,0,0}
lines=${3:-1000000}
runs=${4:-5}
cd "$(dirname "$0")/.."
command -v kcat >/dev/null || { echo "kcat not installed (apt-get install kcat)"; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine not installed (apt-get install hyperfine)"; exit 1; }

dir=$(mktemp -d)
touch "$dir/cluster.log"
"$kctl" cluster up --ephemeral --ports "$ports" >"$dir/cluster.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 100); do grep -q '^ready' "$dir/cluster.log" && break; sleep 0.1; done
B=$(sed -n 's/^bootstrap: //p' "$dir/cluster.log")
export KCTL_BROKERS=$B

# LINES lines of exactly 100 bytes (plus the newline), each different.
awk -v n="$lines" 'BEGIN { pad = sprintf("%93s", ""); gsub(/ /, "x", pad);
  for (i = 0; i < n; i++) printf "%07d%s\n", i, pad }' >"$dir/lines.txt"

topic() { printf 'managedPrefixes: [bench.]\ntopics:\n  - {name: %s, partitions: 3, replicationFactor: 3}\n' "$1"; }
topic bench.consume >"$dir/consume.yaml"
printf 'managedPrefixes: [bench.]\ntopics:\n  - {name: bench.consume, partitions: 3, replicationFactor: 3}\n  - {name: bench.produce, partitions: 3, replicationFactor: 3}\n' >"$dir/produce.yaml"
# reset.sh: delete bench.produce and create it again, empty (hyperfine --prepare).
cat >"$dir/reset.sh" <<SH
"$kctl" apply -f "$dir/consume.yaml" --prune --max-deletes 1 --yes >/dev/null
"$kctl" apply -f "$dir/produce.yaml" --yes >/dev/null
SH
sh "$dir/reset.sh"

echo "== produce: $lines lines of 100 bytes from a file, acks=all, 3 partitions, fresh topic per run"
# The embedded cluster slows down as deleted topics pile up in it, which
# favours whichever command runs first: the pair runs twice, in both orders.
kctl_p="$kctl produce bench.produce --file $dir/lines.txt"
kcat_p="kcat -P -X acks=all -b $B -t bench.produce -l $dir/lines.txt"
hyperfine -N --runs "$runs" --prepare "sh $dir/reset.sh" \
  --command-name "kctl produce --file" "$kctl_p" --command-name "kcat -P -X acks=all -l" "$kcat_p"
hyperfine -N --runs "$runs" --prepare "sh $dir/reset.sh" \
  --command-name "kcat -P -X acks=all -l" "$kcat_p" --command-name "kctl produce --file" "$kctl_p"
sh "$dir/reset.sh"
/usr/bin/time -v "$kctl" produce bench.produce --file "$dir/lines.txt" 2>"$dir/t1" || { cat "$dir/t1"; exit 1; }
echo "kctl produce: $(grep '^produced' "$dir/t1"); peak RSS $(awk '/Maximum resident/ {print $6}' "$dir/t1") KiB"
sh "$dir/reset.sh"
/usr/bin/time -v kcat -P -X acks=all -b "$B" -t bench.produce -l "$dir/lines.txt" 2>"$dir/t2"
echo "kcat -P: peak RSS $(awk '/Maximum resident/ {print $6}' "$dir/t2") KiB"

echo
echo "== consume: $lines records (3 partitions) to the end seen at start, to /dev/null"
"$kctl" produce bench.consume --file "$dir/lines.txt"
got_kctl=$("$kctl" consume bench.consume -e | wc -l)
got_kcat=$(kcat -C -e -q -b "$B" -t bench.consume | wc -l)
echo "records read: kctl $got_kctl, kcat $got_kcat"
kctl_c="$kctl consume bench.consume -e"
kcat_c="kcat -C -e -q -b $B -t bench.consume"
hyperfine -N --warmup 1 --runs "$runs" --command-name "kctl consume -e" "$kctl_c" --command-name "kcat -C -e -q" "$kcat_c"
hyperfine -N --warmup 1 --runs "$runs" --command-name "kcat -C -e -q" "$kcat_c" --command-name "kctl consume -e" "$kctl_c"
/usr/bin/time -v "$kctl" consume bench.consume -e >/dev/null 2>"$dir/t3"
/usr/bin/time -v kcat -C -e -q -b "$B" -t bench.consume >/dev/null 2>"$dir/t4"
echo "peak RSS: kctl consume $(awk '/Maximum resident/ {print $6}' "$dir/t3") KiB, kcat -C $(awk '/Maximum resident/ {print $6}' "$dir/t4") KiB"
echo "embedded cluster (kfake) peak RSS so far: $(awk '/VmHWM/ {print $2}' /proc/$pid/status) KiB"
