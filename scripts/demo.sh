#!/usr/bin/env bash
# make demo: the main job on the embedded cluster. kctl smoke --embedded starts
# a 3-broker Kafka cluster in-process, applies topics.yaml, starts the users
# and email services, signs up users and checks every step of the path.
# --env replicated: topics.yaml's base as written (RF 3, min.insync.replicas
# 2), which the embedded cluster's 3 brokers can hold; without it smoke
# --embedded picks the file's one-broker local environment (RF 1).
set -euo pipefail
kctl=${1:-bin/kctl}
cd "$(dirname "$0")/.."
echo "\$ kctl smoke --embedded --env replicated --count 5"
exec "$kctl" smoke --embedded --env replicated --count 5
