#!/usr/bin/env bash
# Router load benchmark (see README.md). Builds release binaries, then runs the load generator.
# Knobs: BENCH_CLIENTS (default 50), BENCH_SECONDS (default 15), CARGO_TARGET_DIR,
# BENCH_CALLGRIND=N (instructions per request under callgrind over N requests, no load run),
# BENCH_QUERY=listing, BENCH_TOKEN=same|fresh (a signed access token on every request).
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -p router --bin router --example router-bench
ROUTER_BIN="$target/release/router" "$target/release/examples/router-bench"
