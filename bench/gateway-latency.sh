#!/usr/bin/env bash
# Added latency of `spillway gateway --strategy passthrough` over a direct call, at moderate
# open-loop load, against a trivial upstream that answers at once (examples/bench_upstream.rs).
# nginx (reverse proxy, upstream keep-alive, access log off) runs in the same interleaved
# schedule as a reference for what a proxy hop costs on this machine.
#
#     bash bench/gateway-latency.sh
#
# Knobs (environment): RATE (req/s per path, default 500), DURATION (s per round, 20),
# WARMUP (s, 2), ROUNDS (3), NGINX_WORKERS (2), UPSTREAM_PORT (19001), GATEWAY_PORT (19080),
# NGINX_PORT (19090), NGINX=0 to leave nginx out.
# Goal (issue): added p50 < 100 us, added p99 < 500 us.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

RATE=${RATE:-500}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-3}
NGINX=${NGINX:-1}
NGINX_WORKERS=${NGINX_WORKERS:-2}
UPSTREAM_PORT=${UPSTREAM_PORT:-19001}
GATEWAY_PORT=${GATEWAY_PORT:-19080}
NGINX_PORT=${NGINX_PORT:-19090}

need curl
[[ $NGINX == 1 ]] && need nginx
build
for p in "$UPSTREAM_PORT" "$GATEWAY_PORT" "$NGINX_PORT"; do port_free "$p"; done
quiet_wait

start upstream "$EX/bench_upstream" --listen "127.0.0.1:$UPSTREAM_PORT" --threads 1
UP=$LAST_PID
start gateway "$BIN/spillway" gateway --strategy passthrough \
    --upstream "http://127.0.0.1:$UPSTREAM_PORT" --listen "127.0.0.1:$GATEWAY_PORT"
GW=$LAST_PID
targets=(--target "direct=http://127.0.0.1:$UPSTREAM_PORT/bench"
    --target "gateway=http://127.0.0.1:$GATEWAY_PORT/bench")
procs=("$UP" "$GW")
if [[ $NGINX == 1 ]]; then
    start_nginx nginx "$NGINX_WORKERS" "127.0.0.1:$NGINX_PORT" "127.0.0.1:$UPSTREAM_PORT"
    NG=$LAST_PID
    procs+=("$NG")
    targets+=(--target "nginx=http://127.0.0.1:$NGINX_PORT/bench")
fi
wait_http "http://127.0.0.1:$UPSTREAM_PORT/"
wait_http "http://127.0.0.1:$GATEWAY_PORT/healthz"
[[ $NGINX == 1 ]] && wait_http "http://127.0.0.1:$NGINX_PORT/"

echo "## Gateway added latency (passthrough)"
echo
machine_notes
echo "load: open loop, ${RATE} req/s per path, one interleaved schedule (direct, gateway$([[ $NGINX == 1 ]] && echo ", nginx")), ${ROUNDS} x ${DURATION} s after ${WARMUP} s warm-up; keep-alive connections; no CPU pinning"
echo "processes: upstream 1 thread; gateway default tokio runtime ($(nproc) workers); nginx worker_processes ${NGINX_WORKERS}; driver 1 thread"
echo
read -r busy0 total0 < <(machine_ticks)
ours0=$(cpu_ticks "${procs[@]}")
t0=$(date +%s.%N)
# Bounded: ROUNDS x (WARMUP + DURATION) plus slack.
limit=$(( ROUNDS * (WARMUP + DURATION + 10) + 30 ))
timeout "$limit" "$EX/bench_latency" "${targets[@]}" --rate "$RATE" --duration "$DURATION" \
    --warmup "$WARMUP" --rounds "$ROUNDS" --goal gateway:100:500 2>"$SCRATCH/driver.err" \
    || { cat "$SCRATCH/driver.err" >&2; die "latency driver failed"; }
t1=$(date +%s.%N)
read -r busy1 total1 < <(machine_ticks)
ours1=$(cpu_ticks "${procs[@]}")
echo
awk -v b=$((busy1 - busy0)) -v t=$((total1 - total0)) -v o=$((ours1 - ours0)) -v hz="$CLK_TCK" -v s0="$t0" -v s1="$t1" -v n="$(nproc)" 'BEGIN {
    secs = s1 - s0
    printf "machine CPU busy during the run: %.0f%% of %d CPUs; servers under test (upstream, gateway, nginx): %.2f CPU; everything else (driver, other tenants): %.2f CPU\n",
        100 * b / t, n, o / hz / secs, (b - o) / hz / secs
}'
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
