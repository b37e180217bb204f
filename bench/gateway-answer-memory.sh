#!/usr/bin/env bash
# The gateway's memory under clients that ask for large answers and do not take them: 20
# HTTP/1.1 clients that never read a 15 MB answer each, and one h2c connection with a zero
# flow-control window and 40 such streams. The gateway reads answers whole (so a slow client
# never pins a backend worker); `--answer-memory` (default 128 MiB) bounds what it holds and
# `--min-send-rate` how long. Prints the gateway's peak RSS per case, sampled every 0.2 s.
#
#     bash bench/gateway-answer-memory.sh                     # this checkout's build
#     GATEWAY_BIN=/path/to/old/spillway bash bench/gateway-answer-memory.sh   # another build
#
# Knobs: N_H1 (20), N_H2 (40), SIZE (15000000 bytes), SECS (12 s each case), BACKEND_PORT
# (18185), GATEWAY_PORT (18186), GATEWAY_ARGS (extra gateway flags, e.g. --answer-memory 32MiB).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

N_H1=${N_H1:-20}
N_H2=${N_H2:-40}
SIZE=${SIZE:-15000000}
SECS=${SECS:-12}
BACKEND_PORT=${BACKEND_PORT:-18185}
GATEWAY_PORT=${GATEWAY_PORT:-18186}
need python3 curl
if [[ -z ${GATEWAY_BIN:-} ]]; then
    (cd "$ROOT" && cargo build --release --locked -q) >&2
    GATEWAY_BIN="$BIN/spillway"
fi
port_free "$BACKEND_PORT"
port_free "$GATEWAY_PORT"
start backend python3 "$ROOT/bench/slow_clients.py" backend "$BACKEND_PORT"

# case_run NAME MODE N: a fresh gateway, the clients, the peak RSS while they hold on.
case_run() {
    local name=$1 mode=$2 n=$3 gw peak=0 rss
    # shellcheck disable=SC2086
    start "gateway-$mode" "$GATEWAY_BIN" gateway --listen "127.0.0.1:$GATEWAY_PORT" \
        --upstream "http://127.0.0.1:$BACKEND_PORT" --strategy bounded --concurrency 8 \
        --queue-capacity 50 ${GATEWAY_ARGS:-}
    gw=$LAST_PID
    wait_http "http://127.0.0.1:$GATEWAY_PORT/metrics"
    python3 "$ROOT/bench/slow_clients.py" "$mode" "$GATEWAY_PORT" "$n" "$SIZE" "$SECS" &
    local clients=$!
    while kill -0 "$clients" 2>/dev/null; do
        rss=$(awk '/VmRSS/{print $2}' "/proc/$gw/status" 2>/dev/null || echo 0)
        ((rss > peak)) && peak=$rss
        sleep 0.2
    done
    wait "$clients" || true
    local held
    held=$(curl -s "http://127.0.0.1:$GATEWAY_PORT/metrics" | awk '/^spillway_gateway_answer_bytes_held /{print $2}')
    printf '| %s | %d x %d bytes | %.0f MB | %s |\n' "$name" "$n" "$SIZE" "$((peak / 1024))" "${held:-not exported}"
    stop "$gw"
}

echo "| case | answers asked | gateway peak RSS | answer bytes held after the clients left |"
echo "|---|---|---|---|"
case_run "HTTP/1.1, never read" noread "$N_H1"
case_run "h2c, window 0" h2hold "$N_H2"
