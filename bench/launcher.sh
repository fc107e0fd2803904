# Sourced by the load benchmarks (bench/*/run.sh): builds the release launcher and starts it
# (every subgraph and the router in one process) on a fresh data set of BENCH_PRODUCTS seeded
# products, on SQLite or on a private PostgreSQL (BENCH_DB=postgres), waits for the router, and
# stops everything on exit. Also the measuring helpers the benchmarks share: per-subgraph SQL
# statement counters and the launcher's CPU ticks.
#
# Sets: ROUTER, STATE (a temporary directory), SHOP_PID, TARGET; reads BENCH_PRODUCTS, BENCH_DB,
# BENCH_PG_PORT, BENCH_KEEP (a directory to keep and reuse the seeded data in), BENCH_SEED
# (false: trust a fully seeded BENCH_KEEP) and BENCH_AMQP (true: a private RabbitMQ on
# BENCH_AMQP_PORT carries the events instead of the in-process bus).

PRODUCTS=${BENCH_PRODUCTS:-10000}
DB=${BENCH_DB:-sqlite}
PG_PORT=${BENCH_PG_PORT:-55532}
AMQP=${BENCH_AMQP:-false}
AMQP_PORT=${BENCH_AMQP_PORT:-55772}
KEEP=${BENCH_KEEP:-}
SEED=${BENCH_SEED:-true}
ROUTER=http://127.0.0.1:4000
TARGET=${CARGO_TARGET_DIR:-target}

STATE=$(mktemp -d /tmp/shop-bench.XXXXXX)
chmod 755 "$STATE"
DATA=${KEEP:-$STATE/data}
mkdir -p "$DATA"
as() { local user=$1; shift; if [ "$(id -u)" = 0 ]; then runuser -u "$user" -- "$@"; else "$@"; fi; }
cleanup() {
  set +e
  [ -n "${SHOP_PID:-}" ] && kill "$SHOP_PID" 2>/dev/null && wait "$SHOP_PID" 2>/dev/null
  [ -f "$DATA/pg/postmaster.pid" ] && as postgres "$PG_BIN/pg_ctl" -D "$DATA/pg" -m fast stop >/dev/null
  [ -x "$STATE/rabbitmqctl" ] && "$STATE/rabbitmqctl" stop >/dev/null 2>&1
  rm -rf "$STATE"
}
trap cleanup EXIT

for tool in wrk python3 curl; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install $tool)" >&2; exit 1; }
done
cargo build --release -p shop >&2

export DATA_DIR="$DATA" SEED_DEMO_DATA="$SEED" SEED_PRODUCTS="$PRODUCTS" LOG_LEVEL=${LOG_LEVEL:-warn}
if [ "$DB" = postgres ]; then
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  if [ ! -f "$DATA/pg/PG_VERSION" ]; then
    mkdir -p "$DATA/pg"; [ "$(id -u)" = 0 ] && chown postgres "$DATA/pg"
    as postgres "$PG_BIN/initdb" -D "$DATA/pg" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  as postgres "$PG_BIN/pg_ctl" -D "$DATA/pg" -l "$DATA/pg/server.log" -w start \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $DATA/pg -c max_connections=300 -c shared_buffers=512MB" >/dev/null
  export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
fi

if [ "$AMQP" = true ]; then
  mkdir -p "$STATE/rabbit"; [ "$(id -u)" = 0 ] && chown rabbitmq "$STATE/rabbit"
  echo '[].' >"$STATE/rabbit/enabled_plugins"; [ "$(id -u)" = 0 ] && chown rabbitmq "$STATE/rabbit/enabled_plugins"
  node=shopbench-$AMQP_PORT@localhost
  cat >"$STATE/rabbitmqctl" <<CTL
#!/usr/bin/env bash
if [ "\$(id -u)" = 0 ]; then exec runuser -u rabbitmq -- env HOME="$STATE/rabbit" /usr/lib/rabbitmq/bin/rabbitmqctl -n $node "\$@"; fi
exec env HOME="$STATE/rabbit" /usr/lib/rabbitmq/bin/rabbitmqctl -n $node "\$@"
CTL
  chmod +x "$STATE/rabbitmqctl"
  (cd "$STATE" && as rabbitmq env HOME="$STATE/rabbit" RABBITMQ_NODENAME=$node RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$AMQP_PORT" RABBITMQ_DIST_PORT=$((AMQP_PORT + 1)) RABBITMQ_MNESIA_BASE="$STATE/rabbit/mnesia" \
    RABBITMQ_LOG_BASE="$STATE/rabbit/log" RABBITMQ_ENABLED_PLUGINS_FILE="$STATE/rabbit/enabled_plugins" \
    /usr/lib/rabbitmq/bin/rabbitmq-server -detached) >/dev/null 2>&1
  for _ in $(seq 1 120); do "$STATE/rabbitmqctl" -q await_startup --timeout 5 >/dev/null 2>&1 && break; sleep 1; done
  export AMQP_URL="amqp://guest:guest@127.0.0.1:$AMQP_PORT/%2f"
fi

echo "starting the launcher ($DB, events over $([ "$AMQP" = true ] && echo RabbitMQ || echo the in-process bus), $PRODUCTS products; the first start seeds them)" >&2
started=$(date +%s)
"$TARGET/release/shop" >"$STATE/shop.log" 2>&1 &
SHOP_PID=$!
until curl -sf "$ROUTER/health" >/dev/null; do
  kill -0 "$SHOP_PID" 2>/dev/null || { tail -n 30 "$STATE/shop.log"; exit 1; }
  sleep 1
done
echo "ready after $(( $(date +%s) - started )) s" >&2

# "service count" lines: every subgraph's SQL statements so far, from its /metrics.
statements() {
  for port in 4001 4002 4003 4004 4005 4006 4007 4008 4009 4010; do
    curl -sf "http://127.0.0.1:$port/metrics" | awk '/^shop_db_statements_total/ { sub(/.*service="/, ""); sub(/"}/, ""); print }' || true
  done
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SHOP_PID/stat"; }
peak_rss() { awk '/VmHWM/ { printf "%.0f MiB", $2 / 1024 }' "/proc/$SHOP_PID/status"; }
