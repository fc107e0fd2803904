#!/usr/bin/env bash
# Livestream audience at scale (see bench/README.md): N subscribers of one stream's
# livestreamEvents through the launcher's router, chat at one message a second.
# Knobs: BENCH_SUBSCRIBERS (default 1000,5000,10000), BENCH_MESSAGES (default 10),
# BENCH_AUTHOR_NAME (true: the subscription also asks accounts for the author's name),
# BENCH_BACKEND (embedded, the default: SQLite, in-process bus, in-memory cache; or real:
# PostgreSQL, RabbitMQ and Redis from TEST_DATABASE_URL/TEST_AMQP_URL/TEST_REDIS_URL, e.g.
# after `source /work/devsrv/env.sh`), CARGO_TARGET_DIR. Every launcher setting passes through
# (LIVESTREAM_CHAT_RATE_MAX defaults to 1000 here: the default 5 per 10 s is below 1 msg/s).
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}"
# 10,000 subscribers are 10,000 sockets in the launcher and 10,000 in the bench client.
ulimit -n "$(ulimit -Hn)"
cargo build --release -p shop
cargo build --release -p router --example livestream-bench
if [ "${BENCH_BACKEND:-embedded}" = real ]; then
  : "${TEST_DATABASE_URL:?source /work/devsrv/env.sh first}" "${TEST_AMQP_URL:?}" "${TEST_REDIS_URL:?}"
  # A database, queue prefix and cache prefix of its own and an exchange only this benchmark
  # uses, so nothing else on the shared servers sees this run's data or events.
  db="livebench_$$"
  psql -q "$TEST_DATABASE_URL" -c "CREATE DATABASE $db"
  cleanup() {
    psql -q "$TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
    if [ -n "${TEST_RABBITMQ_CTL:-}" ]; then
      "$TEST_RABBITMQ_CTL" list_queues -q name 2>/dev/null | grep "^$db\\." |
        while read -r q; do "$TEST_RABBITMQ_CTL" delete_queue "$q" </dev/null >/dev/null; done || true
    fi
  }
  trap cleanup EXIT
  export DATABASE_URL="${TEST_DATABASE_URL%/*}/$db" AMQP_URL="$TEST_AMQP_URL" REDIS_URL="$TEST_REDIS_URL"
  # One exchange for every run (rabbitmqctl cannot delete exchanges); the queues are per run.
  export QUEUE_PREFIX="$db." EVENTS_EXCHANGE="livebench.events" CACHE_PREFIX="$db"
fi
SHOP_BIN="$target/release/shop" "$target/release/examples/livestream-bench"
