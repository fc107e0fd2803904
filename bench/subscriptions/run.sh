#!/usr/bin/env bash
# Subscriptions at scale (see bench/README.md): N idle WebSocket subscribers through the router.
# Knobs: BENCH_SUBSCRIBERS (default 1000,5000,10000), BENCH_EVENTS (default 5), CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}"
# 10,000 subscribers need 10,000 sockets on each side of the router.
ulimit -n "$(ulimit -Hn)"
cargo build --release -p router --bin router --example subscriptions-bench
ROUTER_BIN="$target/release/router" "$target/release/examples/subscriptions-bench"
