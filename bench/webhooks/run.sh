#!/usr/bin/env bash
# Webhook fan-out benchmark: events/s delivered to 10 local endpoints by the webhooks subgraph
# on PostgreSQL + RabbitMQ (default: the servers on 127.0.0.1:25432 / :25672; override with
# TEST_DATABASE_URL / TEST_AMQP_URL, or set both empty for SQLite + the in-process bus).
# BENCH_EVENTS (1000) events, BENCH_PER_ENDPOINT (8) concurrent requests per endpoint.
set -euo pipefail
cd "$(dirname "$0")/../.."
export TEST_DATABASE_URL="${TEST_DATABASE_URL-postgres://postgres@127.0.0.1:25432/postgres}"
export TEST_AMQP_URL="${TEST_AMQP_URL-amqp://guest:guest@127.0.0.1:25672/%2f}"
export RUST_LOG="${RUST_LOG:-warn}"
cargo run --release -q -p webhooks --example fanout_bench
