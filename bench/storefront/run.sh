#!/usr/bin/env bash
# Storefront load benchmark through the router: starts the release launcher (every subgraph and
# the router in one process) on a fresh data set of BENCH_PRODUCTS seeded products, on SQLite or
# on a private PostgreSQL, then drives three storefront pages with wrk at BENCH_CLIENTS
# concurrent connections: a category listing, a product detail page and a faceted search. For
# each it prints RPS, p50/p90/p99 latency, bad responses, and the SQL statements per request of
# every subgraph (read from their /metrics), then the launcher's CPU time and peak RSS.
#
#   bench/storefront/run.sh                                  # SQLite, 10k products
#   BENCH_DB=postgres BENCH_PRODUCTS=1000000 bench/storefront/run.sh
#
# Needs wrk, python3 and curl (and PostgreSQL's server binaries for BENCH_DB=postgres).
set -euo pipefail
cd "$(dirname "$0")/../.."

PRODUCTS=${BENCH_PRODUCTS:-10000}
DB=${BENCH_DB:-sqlite}
CLIENTS=${BENCH_CLIENTS:-50}
THREADS=$(( CLIENTS < 2 ? CLIENTS : 2 ))   # wrk wants at least one connection per thread
SECONDS_EACH=${BENCH_SECONDS:-15}
PG_PORT=${BENCH_PG_PORT:-55532}
KEEP=${BENCH_KEEP:-}          # a directory to keep (and reuse) the seeded data in
SEED=${BENCH_SEED:-true}      # false: trust a fully seeded BENCH_KEEP (a top-up pass over 1M takes minutes)
ROUTER=http://127.0.0.1:4000
HERE=bench/storefront
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

echo "starting the launcher ($DB, $PRODUCTS products; the first start seeds them)" >&2
started=$(date +%s)
"$TARGET/release/shop" >"$STATE/shop.log" 2>&1 &
SHOP_PID=$!
until curl -sf "$ROUTER/health" >/dev/null; do
  kill -0 "$SHOP_PID" 2>/dev/null || { tail -n 30 "$STATE/shop.log"; exit 1; }
  sleep 1
done
echo "ready after $(( $(date +%s) - started )) s" >&2

# Request bodies, from the live data: leaf categories, product slugs, search phrases.
python3 "$HERE/bodies.py" "$ROUTER/graphql" "$STATE"

statements() {
  for port in 4001 4002 4003 4004 4005; do
    curl -sf "http://127.0.0.1:$port/metrics" | awk '/^shop_db_statements_total/ { sub(/.*service="/, ""); sub(/"}/, ""); print }' || true
  done
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SHOP_PID/stat"; }

printf '\n| page | clients | requests | bad | RPS | p50 ms | p90 ms | p99 ms | CPU ms/request | SQL statements per request |\n|---|---|---|---|---|---|---|---|---|---|\n'
for page in listing detail search; do
  BODIES="$STATE/$page.jsonl" wrk -t"$THREADS" -c"$CLIENTS" -d3s -s "$HERE/requests.lua" "$ROUTER" >/dev/null 2>&1 # warm-up
  statements >"$STATE/before"
  ticks=$(cpu_ticks)
  out=$(BODIES="$STATE/$page.jsonl" wrk -t"$THREADS" -c"$CLIENTS" -d"${SECONDS_EACH}s" --timeout 10s -s "$HERE/requests.lua" "$ROUTER" 2>"$STATE/$page.err")
  statements >"$STATE/after"
  python3 "$HERE/report.py" "$page" "$CLIENTS" "$STATE/before" "$STATE/after" "$ticks" "$(cpu_ticks)" <<<"$out"
  if [ -s "$STATE/$page.err" ]; then sed 's/^/  /' "$STATE/$page.err" >&2; fi
done
echo
echo "launcher peak RSS: $(awk '/VmHWM/ { printf "%.0f MiB", $2 / 1024 }' "/proc/$SHOP_PID/status"); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
