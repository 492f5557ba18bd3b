#!/usr/bin/env bash
# The main job on the embedded cluster. Until `kctl smoke` lands: start the
# embedded 3-broker cluster, describe it, stop it.
set -euo pipefail
kctl=${1:-bin/kctl}
log=$(mktemp)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
"$kctl" cluster up --ephemeral --ports 0,0,0 >"$log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q '^ready' "$log" && break; sleep 0.1; done
cat "$log"
export KCTL_BROKERS=$(sed -n 's/^bootstrap: //p' "$log")
echo; echo "\$ kctl describe cluster"; "$kctl" describe cluster
