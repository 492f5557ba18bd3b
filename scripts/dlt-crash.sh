#!/usr/bin/env bash
# dlt-crash.sh: kill -9 `kctl dlt replay --yes` several times mid-run,
# then let a run finish, and count the records on the destination
# (read_committed, as kctl consume reads) against the distinct
# kctl-replayed-from headers: duplicates must be 0, none lost.
#
#   scripts/dlt-crash.sh [N records] [kills] [first port]
set -euo pipefail
N=${1:-20000}
KILLS=${2:-6}
P=${3:-44092}
B=127.0.0.1:$P
TMP=$(mktemp -d)
KCTL=$TMP/kctl
if [ -n "${KCTL_BIN:-}" ]; then cp "$KCTL_BIN" "$KCTL"; else go build -o "$KCTL" ./cmd/kctl; fi
"$KCTL" cluster up --ephemeral --ports $P,$((P+1)),$((P+2)) >"$TMP/cluster.log" 2>&1 &
CL=$!
trap 'kill $CL 2>/dev/null; wait $CL 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 150); do grep -q "^ready" "$TMP/cluster.log" && break; sleep 0.2; done
cat >"$TMP/topics.yaml" <<YAML
cluster:
  brokers: [$B]
managedPrefixes: [bigdlt, dest2]
topics:
  - {name: bigdlt, partitions: 3, replicationFactor: 1}
  - {name: dest2, partitions: 3, replicationFactor: 1}
YAML
"$KCTL" -b $B apply -f "$TMP/topics.yaml" --yes >/dev/null
seq "$N" | "$KCTL" -b $B produce bigdlt -H kafka_dlt-original-topic=dest2 -H kafka_dlt-exception-fqcn=x.SendError >/dev/null
for i in $(seq "$KILLS"); do
	"$KCTL" -b $B dlt replay --dlt bigdlt --group crash2 --to dest2 --yes >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf 0.%02d $(( RANDOM % 40 + 5 )))"
	kill -9 $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
done
echo "after the kills: $("$KCTL" -b $B consume dest2 -e --format "%o\n" | wc -l) records on dest2"
"$KCTL" -b $B dlt replay --dlt bigdlt --group crash2 --to dest2 --yes >"$TMP/final.txt" 2>&1 || { tail -5 "$TMP/final.txt"; exit 1; }
"$KCTL" -b $B consume dest2 -e --format '%h\n' >"$TMP/dest.txt"
total=$(wc -l <"$TMP/dest.txt")
distinct=$(grep -o 'kctl-replayed-from=[^,]*' "$TMP/dest.txt" | sort -u | wc -l)
echo "dead letters: $N; on dest2 (read_committed): $total records, $distinct distinct kctl-replayed-from; duplicates: $((total - distinct))"
[ "$total" -eq "$distinct" ] && [ "$distinct" -eq "$N" ]
