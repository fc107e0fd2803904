#!/usr/bin/env bash
# The one test command (README, .ci/run): runs every workspace test on the embedded defaults,
# then again against real PostgreSQL, RabbitMQ and Redis, which it installs (from Debian's
# packages, only if missing) and starts on loopback with throwaway data directories, and stops
# afterwards. A server that cannot start fails the run; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_PORT=${PG_PORT:-55432}
REDIS_PORT=${REDIS_PORT:-56379}
AMQP_PORT=${AMQP_PORT:-55672}
RABBIT_DIST_PORT=${RABBIT_DIST_PORT:-$((AMQP_PORT + 1))}
STATE=$(mktemp -d /tmp/shop-test.XXXXXX)
chmod 755 "$STATE"

log() { printf '\n== %s\n' "$*"; }
fail() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }

# --- install what is missing -------------------------------------------------------------
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
missing=()
[ -n "$(pg_bin)" ] || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
command -v cargo-nextest >/dev/null || missing+=(cargo-nextest)
# The router's GraphiQL browser test: Debian's Chromium, Node and npm.
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
# The livestream go-live test: nginx with the RTMP module, and ffmpeg to publish.
[ -x /usr/sbin/nginx ] || missing+=(nginx-core)
[ -f /usr/lib/nginx/modules/ngx_rtmp_module.so ] || missing+=(libnginx-mod-rtmp)
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
# notifications' tests run a real SMTP server on Debian's interpreter (tests/smtp_sink.py).
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || missing+=(python3-aiosmtpd)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt_missing=("${missing[@]/cargo-nextest/}")
  if [ -n "${apt_missing[*]// /}" ]; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    # The packages' own services are not wanted: this script starts private instances.
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq ${apt_missing[*]} >/dev/null
  fi
  command -v cargo-nextest >/dev/null || cargo install --locked cargo-nextest
fi
# playwright-core for that test (drives the system Chromium; downloads no browser).
[ -d router/tests/browser/node_modules/playwright-core ] \
  || (cd router/tests/browser && npm ci --ignore-scripts --no-audit --no-fund)

# As root, run each server as its own system user (PostgreSQL refuses root).
as() { local user=$1; shift; if [ "$(id -u)" = 0 ]; then runuser -u "$user" -- "$@"; else "$@"; fi; }
own() { if [ "$(id -u)" = 0 ]; then chown -R "$1" "$2"; fi; }

cleanup() {
  set +e
  [ -f "$STATE/pg/postmaster.pid" ] && as postgres "$(pg_bin)/pg_ctl" -D "$STATE/pg" -m immediate stop >/dev/null 2>&1
  [ -f "$STATE/redis.pid" ] && kill "$(cat "$STATE/redis.pid")" 2>/dev/null
  [ -x "$STATE/rabbitmqctl" ] && "$STATE/rabbitmqctl" stop >/dev/null 2>&1
  rm -rf "$STATE"
}
trap cleanup EXIT

# --- start the servers -------------------------------------------------------------------
log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
mkdir -p "$STATE/pg"; own postgres "$STATE/pg"
as postgres "$(pg_bin)/initdb" -D "$STATE/pg" -U postgres --auth=trust -E UTF8 >"$STATE/initdb.log" 2>&1 \
  || { cat "$STATE/initdb.log" || true; fail "initdb"; }
as postgres "$(pg_bin)/pg_ctl" -D "$STATE/pg" -l "$STATE/pg/server.log" -w -t 60 start \
  -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $STATE/pg -c max_connections=400 -c fsync=off -c synchronous_commit=off" >/dev/null \
  || { cat "$STATE/pg/server.log" || true; fail "PostgreSQL did not start"; }

log "starting Redis on 127.0.0.1:$REDIS_PORT"
mkdir -p "$STATE/redis"; own redis "$STATE/redis" 2>/dev/null || true
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --dir "$STATE/redis" --pidfile "$STATE/redis.pid" --logfile "$STATE/redis/redis.log" \
  || fail "Redis did not start"

log "starting RabbitMQ on 127.0.0.1:$AMQP_PORT"
mkdir -p "$STATE/rabbit"; own rabbitmq "$STATE/rabbit"
RABBIT_ENV=(
  HOME="$STATE/rabbit"
  RABBITMQ_NODENAME=shoptest-$AMQP_PORT@localhost
  RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  RABBITMQ_NODE_PORT="$AMQP_PORT"
  RABBITMQ_DIST_PORT="$RABBIT_DIST_PORT"
  RABBITMQ_MNESIA_BASE="$STATE/rabbit/mnesia"
  RABBITMQ_LOG_BASE="$STATE/rabbit/log"
  RABBITMQ_ENABLED_PLUGINS_FILE="$STATE/rabbit/enabled_plugins"
)
echo '[].' >"$STATE/rabbit/enabled_plugins"; own rabbitmq "$STATE/rabbit"
# rabbitmqctl for this private node (the broker-outage test calls it with stop_app/start_app).
cat >"$STATE/rabbitmqctl" <<CTL
#!/usr/bin/env bash
if [ "\$(id -u)" = 0 ]; then
  exec runuser -u rabbitmq -- env HOME="$STATE/rabbit" /usr/lib/rabbitmq/bin/rabbitmqctl -n shoptest-$AMQP_PORT@localhost "\$@"
fi
exec env HOME="$STATE/rabbit" /usr/lib/rabbitmq/bin/rabbitmqctl -n shoptest-$AMQP_PORT@localhost "\$@"
CTL
chmod +x "$STATE/rabbitmqctl"
(cd "$STATE" && as rabbitmq env "${RABBIT_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server -detached) \
  >"$STATE/rabbit-start.log" 2>&1 || { cat "$STATE/rabbit-start.log" || true; fail "RabbitMQ did not start"; }
# -detached returns before the Erlang node exists; await_startup needs the node, so retry.
for _ in $(seq 1 120); do
  "$STATE/rabbitmqctl" -q await_startup --timeout 5 >/dev/null 2>&1 && break
  sleep 1
done
"$STATE/rabbitmqctl" -q await_startup --timeout 5 >/dev/null 2>&1 \
  || { cat "$STATE/rabbit-start.log"; tail -n 40 "$STATE"/rabbit/log/*.log || true; fail "RabbitMQ did not come up"; }

# --- run the tests -----------------------------------------------------------------------
# Arguments narrow the run (e.g. `-p accounts`); none means the whole workspace.
# A narrowed run may hold no broker-outage test; the full run must.
SCOPE=("$@" --no-tests=pass); [ $# -gt 0 ] || SCOPE=(--workspace)
export RUST_BACKTRACE=0
log "tests on the embedded defaults (SQLite, in-process bus, in-memory cache)"
cargo nextest run "${SCOPE[@]}" --profile ci -E 'not test(broker_outage)'

log "tests against PostgreSQL, RabbitMQ and Redis"
export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
export TEST_AMQP_URL="amqp://guest:guest@127.0.0.1:$AMQP_PORT/%2f"
export TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
export TEST_RABBITMQ_CTL="$STATE/rabbitmqctl"
# The router's tests ran above; the modules that use these servers when they are set run again:
# the binary's cache invalidation consumer (RabbitMQ), and APQ, rate limits and the response
# cache shared between router instances (Redis).
cargo nextest run "${SCOPE[@]}" --profile ci \
  -E '(not package(router) or test(/^(cache_events|persisted|rate_limit|response_cache)::/)) and not test(broker_outage)'

log "broker outage (stops and restarts RabbitMQ, so it runs alone)"
cargo nextest run "${SCOPE[@]}" --profile ci --test-threads 1 -E 'test(broker_outage)'
