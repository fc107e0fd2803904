#!/usr/bin/env bash
# Audit benchmark (see bench/README.md, "Audit"). Builds the release example, then runs it.
#   bench/audit/run.sh                                   # auditLog pages on 1M entries, SQLite
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:25432/postgres bench/audit/run.sh
#   BENCH_MODE=consume BENCH_DATABASE_URL=postgres://... BENCH_AMQP_URL=amqp://... bench/audit/run.sh
# Knobs: BENCH_ENTRIES (1000000), BENCH_REQUESTS (200 per filter), BENCH_EVENTS (10000).
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -p audit --example audit-bench
RUST_LOG="${RUST_LOG:-warn}" "$target/release/examples/audit-bench"
