#!/usr/bin/env bash
# Cart load benchmark through the router: starts the release launcher on a fresh seeded data set
# (bench/launcher.sh: SQLite by default, BENCH_DB=postgres for a private PostgreSQL), creates
# guest carts through the router, then drives two requests with wrk at BENCH_CLIENTS concurrent
# connections: a cart page (5 lines with variant title, price, stock, thumbnail, discounts and
# totals; cart, catalog, inventory, media and discounts in one request) and addCartLine. For
# each it prints RPS, p50/p90/p99 latency, bad responses, CPU per request and the SQL statements
# per request of every subgraph.
#
#   bench/cart/run.sh                                        # SQLite, 10k products, 50 clients
#   BENCH_DB=postgres BENCH_CLIENTS=1 bench/cart/run.sh
#
# Needs wrk, python3 and curl (and PostgreSQL's server binaries for BENCH_DB=postgres).
set -euo pipefail
cd "$(dirname "$0")/../.."

CLIENTS=${BENCH_CLIENTS:-50}
THREADS=$(( CLIENTS < 2 ? CLIENTS : 2 ))   # wrk wants at least one connection per thread
SECONDS_EACH=${BENCH_SECONDS:-15}
HERE=bench/cart
. bench/launcher.sh

echo "creating carts through the router" >&2
python3 "$HERE/bodies.py" "$ROUTER/graphql" "$STATE"

printf '\n| request | clients | requests | bad | RPS | p50 ms | p90 ms | p99 ms | CPU ms/request | SQL statements per request |\n|---|---|---|---|---|---|---|---|---|---|\n'
for page in page add; do
  # Warm-up only for the read: every add changes a cart, and the add bodies are finite.
  [ "$page" = page ] && BODIES="$STATE/$page.jsonl" wrk -t"$THREADS" -c"$CLIENTS" -d3s -s bench/storefront/requests.lua "$ROUTER" >/dev/null 2>&1
  statements >"$STATE/before"
  ticks=$(cpu_ticks)
  out=$(BODIES="$STATE/$page.jsonl" wrk -t"$THREADS" -c"$CLIENTS" -d"${SECONDS_EACH}s" --timeout 10s -s bench/storefront/requests.lua "$ROUTER" 2>"$STATE/$page.err")
  statements >"$STATE/after"
  python3 bench/storefront/report.py "cart $page" "$CLIENTS" "$STATE/before" "$STATE/after" "$ticks" "$(cpu_ticks)" <<<"$out"
  if [ -s "$STATE/$page.err" ]; then sed 's/^/  /' "$STATE/$page.err" >&2; fi
done
echo
echo "launcher peak RSS: $(peak_rss); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
