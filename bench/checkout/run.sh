#!/usr/bin/env bash
# Checkout load benchmark through the router: starts the release launcher (bench/launcher.sh;
# PostgreSQL with BENCH_DB=postgres, events over a private RabbitMQ with BENCH_AMQP=true), then
# drives BENCH_CLIENTS concurrent guest shoppers for BENCH_SECONDS with load.py: cart, add,
# shipping quote, checkout, SSE subscription to the order, pay with the test provider, wait for
# PAID. Prints checkouts reaching PAID per second, checkout latency, payment-to-subscriber
# latency (p50/p99), failures, then the launcher's CPU per paid checkout and peak RSS.
#
#   BENCH_DB=postgres BENCH_AMQP=true bench/checkout/run.sh      # the issue's setting, 50 clients
#   BENCH_CLIENTS=1 bench/checkout/run.sh                        # SQLite, in-process bus, latency
#
# Needs python3, curl and wrk's companions from bench/launcher.sh (PostgreSQL's and RabbitMQ's
# server binaries for those modes).
set -euo pipefail
cd "$(dirname "$0")/../.."

CLIENTS=${BENCH_CLIENTS:-50}
SECONDS_EACH=${BENCH_SECONDS:-30}
. bench/launcher.sh

statements >"$STATE/before"
ticks=$(cpu_ticks)
printf '\n| clients | paid checkouts | per second | checkout p50 / p99 ms | pay → subscriber sees PAID p50 / p99 ms | failures |\n|---|---|---|---|---|---|\n'
out=$(python3 bench/checkout/load.py "$ROUTER/graphql" "$CLIENTS" "$SECONDS_EACH")
echo "$out"
statements >"$STATE/after"
paid=$(echo "$out" | awk -F'|' '{ gsub(/ /, "", $3); print $3 }')
echo
echo "launcher CPU per paid checkout: $(awk -v t0="$ticks" -v t1="$(cpu_ticks)" -v n="$paid" 'BEGIN { printf "%.1f ms", (t1 - t0) * 10 / (n > 0 ? n : 1) }')"
echo "SQL statements per paid checkout: $(python3 - "$STATE/before" "$STATE/after" "$paid" <<'PY'
import sys
read = lambda p: {k: int(v) for k, v in (l.split() for l in open(p) if l.strip())}
b, a, n = read(sys.argv[1]), read(sys.argv[2]), max(int(sys.argv[3] or 0), 1)
print(", ".join(f"{s} {(a[s] - b.get(s, 0)) / n:.1f}" for s in sorted(a) if a[s] != b.get(s, 0)))
PY
)"
echo "launcher peak RSS: $(peak_rss); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
