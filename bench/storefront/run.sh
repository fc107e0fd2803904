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
#   ROUTER_CACHE=off BENCH_PAGES="listing detail" bench/storefront/run.sh   # cold path only
#
# The router's response cache is on by default, so after the warm-up the pages are served from
# it; ROUTER_CACHE=off measures the subgraphs' path. BENCH_PAGES picks the pages.
#
# Needs wrk, python3 and curl (and PostgreSQL's server binaries for BENCH_DB=postgres).
set -euo pipefail
cd "$(dirname "$0")/../.."

CLIENTS=${BENCH_CLIENTS:-50}
THREADS=$(( CLIENTS < 2 ? CLIENTS : 2 ))   # wrk wants at least one connection per thread
SECONDS_EACH=${BENCH_SECONDS:-15}
HERE=bench/storefront
. bench/launcher.sh

# Request bodies, from the live data: leaf categories, product slugs, search phrases.
python3 "$HERE/bodies.py" "$ROUTER/graphql" "$STATE"

printf '\n| page | clients | requests | bad | RPS | p50 ms | p90 ms | p99 ms | CPU ms/request | SQL statements per request |\n|---|---|---|---|---|---|---|---|---|---|\n'
for page in ${BENCH_PAGES:-listing detail search}; do
  BODIES="$STATE/$page.jsonl" wrk -t"$THREADS" -c"$CLIENTS" -d3s -s "$HERE/requests.lua" "$ROUTER" >/dev/null 2>&1 # warm-up
  statements >"$STATE/before"
  ticks=$(cpu_ticks)
  out=$(BODIES="$STATE/$page.jsonl" wrk -t"$THREADS" -c"$CLIENTS" -d"${SECONDS_EACH}s" --timeout 10s -s "$HERE/requests.lua" "$ROUTER" 2>"$STATE/$page.err")
  statements >"$STATE/after"
  python3 "$HERE/report.py" "$page" "$CLIENTS" "$STATE/before" "$STATE/after" "$ticks" "$(cpu_ticks)" <<<"$out"
  if [ -s "$STATE/$page.err" ]; then sed 's/^/  /' "$STATE/$page.err" >&2; fi
done
echo
echo "launcher peak RSS: $(peak_rss); load average: $(cut -d' ' -f1-3 /proc/loadavg); response cache ${ROUTER_CACHE:-on}"
curl -s "$ROUTER/metrics" | grep '^router_cache_events_total' | sed 's/^/  /' || true
