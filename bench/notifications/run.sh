#!/usr/bin/env bash
# Notifications benchmark (see bench/README.md, "Notifications"): emails rendered and sent per
# second to a real SMTP sink (Debian's python3-aiosmtpd).
#   bench/notifications/run.sh                                    # SQLite + in-process bus
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:25432/postgres \
#   BENCH_AMQP_URL=amqp://guest:guest@127.0.0.1:25672/%2f bench/notifications/run.sh
# Knobs: BENCH_EVENTS (2000), NOTIFICATIONS_DELIVERY_CONCURRENCY (8).
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -p notifications --example notifications-bench
TEST_DATABASE_URL="${BENCH_DATABASE_URL:-}" TEST_AMQP_URL="${BENCH_AMQP_URL:-}" \
  RUST_LOG="${RUST_LOG:-warn}" "$target/release/examples/notifications-bench"
