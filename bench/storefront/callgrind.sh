#!/usr/bin/env bash
# Instructions per cold storefront page, load-independent: runs the release launcher under
# callgrind (instrumentation off until measured) on a data set seeded once natively, sends
# CG_WARM pages one at a time, then measures CG_N more and prints the instructions per page.
# The router's supergraph watcher (it re-fetches and recomposes every subgraph SDL every 5 s)
# is subtracted, since its ticks land in the window at random. The database server's own
# work is not counted.
#
#   BENCH_KEEP=/tmp/cg-sqlite bench/storefront/callgrind.sh                     # SQLite listing
#   BENCH_DB=postgres BENCH_KEEP=/tmp/cg-pg CG_PAGE=detail bench/storefront/callgrind.sh
#
# Needs valgrind (callgrind_control, callgrind_annotate) besides what run.sh needs.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${BENCH_KEEP:?BENCH_KEEP: a directory to seed the data in once and reuse}"
export BENCH_KEEP ROUTER_CACHE=${ROUTER_CACHE:-off} BENCH_PRODUCTS=${BENCH_PRODUCTS:-1000}
PAGE=${CG_PAGE:-listing}
N=${CG_N:-40}
WARM=${CG_WARM:-10}
TARGET=${CARGO_TARGET_DIR:-target}
cargo build --release -p shop >&2
# Seed natively first (under valgrind it would take minutes).
BENCH_SECONDS=1 BENCH_CLIENTS=1 BENCH_PAGES=$PAGE bench/storefront/run.sh >/dev/null

OUT=$(mktemp -d /tmp/shop-callgrind.XXXXXX)
mkdir -p "$OUT/release"
cat >"$OUT/release/shop" <<W
#!/bin/sh
exec valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=$OUT/callgrind.out.%p "$(realpath "$TARGET/release/shop")"
W
chmod +x "$OUT/release/shop"
BIN_DIR=$OUT
(
  export BENCH_SEED=false
  # The launcher helper builds and starts "$TARGET/release/shop": here the valgrind wrapper.
  cargo() { :; }
  export -f cargo
  CARGO_TARGET_DIR=$BIN_DIR
  . bench/launcher.sh
  python3 bench/storefront/bodies.py "$ROUTER/graphql" "$STATE"
  for _ in 1 2 3 4; do cat "$STATE/$PAGE.jsonl"; done >"$STATE/bodies"
  send() { sed -n "$1,$2p" "$STATE/bodies" | while read -r body; do
    curl -sf -o /dev/null -H 'Content-Type: application/json' -d "$body" "$ROUTER/graphql"; done; }
  send 1 "$WARM"
  callgrind_control -i on "$SHOP_PID" >/dev/null 2>&1
  send $((WARM + 1)) $((WARM + N))
  callgrind_control -i off "$SHOP_PID" >/dev/null 2>&1
  callgrind_control -d "$SHOP_PID" >/dev/null 2>&1
  sleep 2
)
f=$(ls "$OUT"/callgrind.out.*.1)
callgrind_annotate --inclusive=yes "$f" 2>/dev/null | awk -v n="$N" -v page="$PAGE" '
  /PROGRAM TOTALS/ { gsub(",", "", $1); total = $1 }
  /router::reload::spawn_watcher::\{\{closure\}\} \[/ { gsub(",", "", $1); if (!watch) watch = $1 }
  END { printf "%s: %.2f M instructions per page (%d pages; total %.1f M, supergraph watcher %.1f M subtracted)\n",
        page, (total - watch) / n / 1e6, n, total / 1e6, watch / 1e6 }'
echo "profile: $f"
