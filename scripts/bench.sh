#!/usr/bin/env bash
# Benchmarks (make bench). Arg 1 is the kctl binary. Each section echoes a
# heading and runs its commands; figures are recorded in docs/benchmarks.md.
set -euo pipefail
kctl=${1:-bin/kctl}
cd "$(dirname "$0")/.."

# --- services (issue 4): kctl serve users / kctl serve email ----------------
bench_services() {
	echo "== services: outbox relay, 100,000-row backlog to Kafka (in-process 3-broker kfake)"
	go test ./smoke/users -run '^$' -bench 'OutboxRelay' -benchtime 3x
	echo "== services: email service, zero-delay sender, 100,000-record backlog"
	go test ./smoke/email -run '^$' -bench 'EmailDrain|EmailLogBatch' -benchtime 3x
	echo "== services: sign-ups over HTTP at concurrency 32 vs the bcrypt ceiling"
	go test ./smoke/users -run '^$' -bench 'BcryptCeiling|SignUp' -benchtime 300x
}
bench_services
