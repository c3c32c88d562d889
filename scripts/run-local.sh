#!/usr/bin/env bash
# Runs the five ndrs services as separate processes on this machine, the way the cluster runs
# them (one binary per service, PostgreSQL schemas per service, Redis Streams between them), for
# debugging.
#
#   scripts/run-local.sh start [--no-build]   build, migrate, issue the aggregator's service token,
#                                             start the services, wait until `ndrs health` passes
#   scripts/run-local.sh status               `ndrs health` against the running services
#   scripts/run-local.sh smoke                as an organiser: assemble and list a candidate
#   scripts/run-local.sh demo                 the `ndrs demo` walk-through against these processes
#   scripts/run-local.sh env                  print the environment (eval it to use target/debug/ndrs)
#   scripts/run-local.sh stop                 stop the services, revoke the service token
#   scripts/run-local.sh reset                (services stopped) drop the database and this system's
#                                             Redis streams, so that `demo` can run again
#
# Environment (all optional):
#   NDRS_LOCAL_DATABASE_URL  default postgres://postgres@127.0.0.1:5432/ndrs_local (created if missing)
#   NDRS_LOCAL_REDIS_URL     default redis://127.0.0.1:6379
#   NDRS_LOCAL_DIR           logs, pids and the token id; default ${TMPDIR:-/tmp}/ndrs-local
#   NDRS_LOCAL_CYCLE         cycle year used by `smoke`; default 2023
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="$ROOT/target/debug"
RUN_DIR="${NDRS_LOCAL_DIR:-${TMPDIR:-/tmp}/ndrs-local}"
DATABASE_URL="${NDRS_LOCAL_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ndrs_local}"
REDIS_URL="${NDRS_LOCAL_REDIS_URL:-redis://127.0.0.1:6379}"
CYCLE="${NDRS_LOCAL_CYCLE:-2023}"
# Started in this order (stage services before the aggregator that calls them).
SERVICES=(production compute circulation application aggregator)
declare -A PORT=([aggregator]=50050 [production]=50051 [compute]=50052 [circulation]=50053 [application]=50054)

log() { printf '[run-local] %s\n' "$*"; }
die() { printf '[run-local] error: %s\n' "$*" >&2; exit 1; }

# The same NDRS__* variables as the Kubernetes ConfigMap and Secret, pointed at loopback.
export_env() {
    unset NDRS_ENV
    export NDRS__SERVER__HOST=127.0.0.1
    export NDRS__DATABASE__URL="$DATABASE_URL"
    export NDRS__AUTH__IDENTITY_DATABASE_URL="$DATABASE_URL"
    export NDRS__BUS__KIND=redis
    export NDRS__BUS__REDIS_URL="$REDIS_URL"
    # Own stream prefix, so tests using the same Redis do not see this system's events.
    export NDRS__BUS__NAMESPACE=ndrs-local
    export NDRS__TELEMETRY__JSON_LOGS=false
    export NDRS__TELEMETRY__LOG_FILTER="${NDRS__TELEMETRY__LOG_FILTER:-info}"
    local stage
    for stage in production compute circulation application; do
        export "NDRS__AGGREGATOR__${stage^^}_URL=http://127.0.0.1:${PORT[$stage]}"
    done
}

pid_of() { # prints the pid of a running service, or nothing
    local file="$RUN_DIR/$1.pid" pid
    [[ -f "$file" ]] || return 0
    pid="$(cat "$file")"
    # Only a live process that still runs our binary (pids get reused).
    if [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "ndrs-$1"; then
        echo "$pid"
    fi
}

ensure_database() {
    local base="${DATABASE_URL%/*}" name="${DATABASE_URL##*/}"
    name="${name%%\?*}"
    command -v psql >/dev/null || die "psql not found (needed to create database $name)"
    if ! psql "$base/postgres" -tAc 'SELECT 1' >/dev/null 2>&1; then
        die "PostgreSQL not reachable at $base"
    fi
    if [[ "$(psql "$base/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'")" != 1 ]]; then
        log "creating database $name"
        psql "$base/postgres" -qc "CREATE DATABASE \"$name\"" >/dev/null
    fi
}

ensure_redis() {
    if command -v redis-cli >/dev/null; then
        [[ "$(redis-cli -u "$REDIS_URL" ping 2>/dev/null)" == PONG ]] || die "Redis not reachable at $REDIS_URL"
    fi
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

stop() {
    local svc pid waited any=0
    for svc in "${SERVICES[@]}"; do
        pid="$(pid_of "$svc")"
        if [[ -n "$pid" ]]; then
            kill -TERM "$pid" 2>/dev/null || true
            any=1
        fi
    done
    for svc in "${SERVICES[@]}"; do
        pid="$(pid_of "$svc")"
        waited=0
        while [[ -n "$pid" ]] && ((waited < 100)); do
            sleep 0.1
            waited=$((waited + 1))
            pid="$(pid_of "$svc")"
        done
        if [[ -n "$pid" ]]; then
            log "$svc (pid $pid) did not stop in 10s; killing"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        rm -f "$RUN_DIR/$svc.pid"
    done
    if [[ -f "$RUN_DIR/service-token.id" ]]; then
        export_env
        "$BIN/ndrs" admin revoke-token "$(cat "$RUN_DIR/service-token.id")" >/dev/null 2>&1 || true
        rm -f "$RUN_DIR/service-token.id"
    fi
    if ((any)); then log "stopped"; else log "nothing was running"; fi
}

start() {
    local build=1 svc token token_id deadline
    [[ "${1:-}" == "--no-build" ]] && build=0
    for svc in "${SERVICES[@]}"; do
        [[ -z "$(pid_of "$svc")" ]] || die "$svc already running (pid $(pid_of "$svc")); run: $0 stop"
    done
    if ((build)); then
        log "cargo build (debug) of the CLI and the five services"
        cargo build -p ndrs-cli -p ndrs-production -p ndrs-compute -p ndrs-circulation \
            -p ndrs-application -p ndrs-aggregator
    fi
    for svc in ndrs "${SERVICES[@]/#/ndrs-}"; do
        [[ -x "$BIN/$svc" ]] || die "$BIN/$svc not built (run without --no-build)"
    done
    for svc in "${SERVICES[@]}"; do
        port_free "${PORT[$svc]}" || die "port ${PORT[$svc]} ($svc) is already in use"
    done
    ensure_database
    ensure_redis
    mkdir -p "$RUN_DIR"
    export_env

    log "migrating (ndrs migrate, as the Kubernetes Job does)"
    "$BIN/ndrs" migrate >"$RUN_DIR/migrate.log" 2>&1 || { cat "$RUN_DIR/migrate.log" >&2; die "ndrs migrate failed"; }

    log "issuing the aggregator's service token"
    token="$("$BIN/ndrs" admin issue-token --name aggregator-local --role service 2>"$RUN_DIR/issue-token.log")" \
        || { cat "$RUN_DIR/issue-token.log" >&2; die "ndrs admin issue-token failed"; }
    [[ -n "$token" ]] || die "ndrs admin issue-token printed no token"
    # stderr: "issued token <id> for <name> (<role>); ..." -- keep the id to revoke it at stop.
    token_id="$(sed -n 's/^issued token \([^ ]*\) .*/\1/p' "$RUN_DIR/issue-token.log")"
    [[ -n "$token_id" ]] && printf '%s\n' "$token_id" >"$RUN_DIR/service-token.id"

    for svc in "${SERVICES[@]}"; do
        if [[ "$svc" == aggregator ]]; then
            NDRS__AGGREGATOR__SERVICE_TOKEN="$token" nohup "$BIN/ndrs-$svc" >"$RUN_DIR/$svc.log" 2>&1 </dev/null &
        else
            nohup "$BIN/ndrs-$svc" >"$RUN_DIR/$svc.log" 2>&1 </dev/null &
        fi
        echo $! >"$RUN_DIR/$svc.pid"
        log "started ndrs-$svc (pid $!, port ${PORT[$svc]}, log $RUN_DIR/$svc.log)"
    done

    log "waiting for every service to report SERVING (ndrs health)"
    deadline=$((SECONDS + 120))
    until "$BIN/ndrs" health >"$RUN_DIR/health.log" 2>&1; do
        for svc in "${SERVICES[@]}"; do
            if [[ -z "$(pid_of "$svc")" ]]; then
                log "ndrs-$svc exited; last lines of $RUN_DIR/$svc.log:"
                tail -n 20 "$RUN_DIR/$svc.log" >&2 || true
                stop
                die "ndrs-$svc did not start"
            fi
        done
        if ((SECONDS > deadline)); then
            cat "$RUN_DIR/health.log" >&2
            stop
            die "services not healthy after 120s"
        fi
        sleep 1
    done
    cat "$RUN_DIR/health.log"
    log "all five services are up; logs and pids in $RUN_DIR"
    log "use the CLI against them:  eval \"\$($0 env)\"; target/debug/ndrs health"
    log "stop them:                 $0 stop"
}

# Drops the local database and this system's Redis streams (namespace ndrs-local). The demo acts
# a survey out from its start, so a second `demo` needs this.
reset() {
    local svc base="${DATABASE_URL%/*}" name="${DATABASE_URL##*/}"
    name="${name%%\?*}"
    for svc in "${SERVICES[@]}"; do
        [[ -z "$(pid_of "$svc")" ]] || die "$svc is running (pid $(pid_of "$svc")); run: $0 stop"
    done
    command -v psql >/dev/null || die "psql not found (needed to drop database $name)"
    log "dropping database $name"
    psql "$base/postgres" -qc "DROP DATABASE IF EXISTS \"$name\"" >/dev/null
    if command -v redis-cli >/dev/null; then
        local keys
        keys="$(redis-cli -u "$REDIS_URL" --scan --pattern 'ndrs-local*' | wc -l)"
        redis-cli -u "$REDIS_URL" --scan --pattern 'ndrs-local*' | xargs -r redis-cli -u "$REDIS_URL" del >/dev/null
        log "deleted $keys Redis key(s) under ndrs-local"
    else
        log "redis-cli not found: Redis keys under ndrs-local are left (the services re-read them)"
    fi
    rm -rf "$RUN_DIR"
}

smoke() {
    local token token_id
    export_env
    token="$("$BIN/ndrs" admin issue-token --name run-local-smoke --role organiser 2>"$RUN_DIR/smoke-token.log")"
    token_id="$(sed -n 's/^issued token \([^ ]*\) .*/\1/p' "$RUN_DIR/smoke-token.log")"
    local rc=0
    NDRS_TOKEN="$token" "$BIN/ndrs" candidate assemble --cycle "$CYCLE" || rc=$?
    ((rc == 0)) && { NDRS_TOKEN="$token" "$BIN/ndrs" candidate list --cycle "$CYCLE" || rc=$?; }
    if [[ -n "$token_id" ]]; then
        "$BIN/ndrs" admin revoke-token "$token_id" >/dev/null 2>&1 || true
    fi
    return "$rc"
}

case "${1:-start}" in
    start) shift || true; start "$@" ;;
    stop) stop ;;
    status) export_env; "$BIN/ndrs" health ;;
    smoke) smoke ;;
    demo) export_env; "$BIN/ndrs" demo --remote ;;
    reset) reset ;;
    env)
        export_env
        env | grep '^NDRS__' | sort | sed "s/^\([^=]*\)=\(.*\)$/export \1='\2'/"
        ;;
    *) die "usage: $0 [start [--no-build]|status|smoke|demo|env|stop|reset]" ;;
esac
