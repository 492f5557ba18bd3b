#!/usr/bin/env bash
# make demo: the main job on the embedded cluster. kctl smoke --embedded starts
# a 3-broker Kafka cluster in-process, applies topics.yaml, starts the users
# and email services, signs up users and checks every step of the path.
set -euo pipefail
kctl=${1:-bin/kctl}
cd "$(dirname "$0")/.."
echo "\$ kctl smoke --embedded --count 5"
exec "$kctl" smoke --embedded --count 5
