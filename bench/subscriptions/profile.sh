#!/usr/bin/env bash
# Where the router's time goes during the subscriptions bench (see bench/README.md): runs the
# bench at BENCH_SUBSCRIBERS (default 10000) with 15 events, waits until the router holds that
# many sockets, then records 3 s of the event phase with `perf record -g` (report:
# `perf report -i /tmp/router-subscriptions.perf --no-children --sort sym`) and counts 2 s of
# router CPU with `perf stat`. Run it under `flock /work/bench.lock`.
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}"
n="${BENCH_SUBSCRIBERS:-10000}"
ulimit -n "$(ulimit -Hn)"
cargo build --release -p router --bin router --example subscriptions-bench
uptime
ROUTER_ACCESS_LOG=off BENCH_SUBSCRIBERS="$n" BENCH_EVENTS=15 ROUTER_BIN="$target/release/router" \
  "$target/release/examples/subscriptions-bench" &
bench=$!
router=""
for _ in $(seq 1 480); do
  router=$(pgrep -n -f "^$target/release/router" || true)
  if [ -n "$router" ] && [ "$(ls "/proc/$router/fd" 2>/dev/null | wc -l)" -gt "$n" ]; then
    break
  fi
  sleep 0.5
done
# The bench waits 2 s after the last subscriber before its first event.
sleep 2.5
perf record -F 999 -g -p "$router" -o /tmp/router-subscriptions.perf -- sleep 3
perf stat -e task-clock,context-switches -p "$router" -- sleep 2
wait "$bench"
