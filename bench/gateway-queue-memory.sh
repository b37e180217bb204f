#!/usr/bin/env bash
# Memory per queued request: `spillway gateway --strategy fifo --concurrency 1` in front of an
# upstream that does not answer for an hour (examples/bench_upstream.rs --hold-ms 3600000);
# one warm-up request takes the only slot, then N clients each queue one request; the gateway's
# VmRSS (/proc/PID/status) is read before and once /metrics shows
# spillway_gateway_queue_depth = N (examples/bench_queue_memory.rs). Run twice on a fresh
# gateway each: HTTP/1.1 (one connection per request) and h2c (N streams over the driver's 50
# connections, N/50 each; the gateway allows 65,536 concurrent streams per connection).
#
#     bash bench/gateway-queue-memory.sh
#
# A reference row runs the same HTTP/1.1 clients against the trivial hyper server itself.
#
# Knobs (environment): N (10000), MODES ("h1 h2"), REFERENCE (1; 0 to skip the reference row),
# UPSTREAM_PORT (19001), GATEWAY_PORT (19080).
# Goal (issue): (RSS after - RSS before) / N < 4 KiB.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

N=${N:-10000}
MODES=${MODES:-h1 h2}
UPSTREAM_PORT=${UPSTREAM_PORT:-19001}
GATEWAY_PORT=${GATEWAY_PORT:-19080}

need curl
build
for p in "$UPSTREAM_PORT" "$GATEWAY_PORT"; do port_free "$p"; done
quiet_wait
# Client and gateway each hold N sockets (+ the upstream side and some slack).
want=$((N + 1000))
if [[ $(ulimit -n) -lt $want ]]; then
    ulimit -n "$want" 2>/dev/null || die "ulimit -n is $(ulimit -n), need $want for N=$N"
fi
notes=$(machine_notes)

rows="$SCRATCH/rows.md"
: >"$rows"
start upstream "$EX/bench_upstream" --listen "127.0.0.1:$UPSTREAM_PORT" --threads 1 --hold-ms 3600000
UP=$LAST_PID
wait_http_tcp() {
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    die "nothing listens on 127.0.0.1:$1 after 10 s"
}
wait_http_tcp "$UPSTREAM_PORT" # it never answers: only check that it listens

header=--print-header
for mode in $MODES; do
    start "gateway-$mode" "$BIN/spillway" gateway --strategy fifo --concurrency 1 \
        --upstream "http://127.0.0.1:$UPSTREAM_PORT" --listen "127.0.0.1:$GATEWAY_PORT"
    GW=$LAST_PID
    wait_http "http://127.0.0.1:$GATEWAY_PORT/healthz"
    echo "$mode: gateway pid $GW ($(ls /proc/"$GW"/task | wc -l) threads), N=$N ..." >&2
    backlog=$(ss -ltnH "sport = :$GATEWAY_PORT" 2>/dev/null | awk '{print $3}' | head -1)
    ovf0=$(nstat -az TcpExtListenOverflows 2>/dev/null | awk '/ListenOverflows/{print $2}')
    # Bounded: connects + 25 s for the queue + slack.
    timeout 90 "$EX/bench_queue_memory" --gateway "127.0.0.1:$GATEWAY_PORT" --pid "$GW" --n "$N" \
        --mode "$mode" $header >>"$rows" 2>"$SCRATCH/driver-$mode.err" \
        || { cat "$SCRATCH/driver-$mode.err" >&2; die "queue-memory driver failed ($mode)"; }
    cat "$SCRATCH/driver-$mode.err" >&2
    ovf1=$(nstat -az TcpExtListenOverflows 2>/dev/null | awk '/ListenOverflows/{print $2}')
    echo "- $mode: gateway listen backlog ${backlog:-?}; machine-wide TCP listen-queue overflows during the run: $(( ${ovf1:-0} - ${ovf0:-0} )); $(grep -h '^(connections' "$SCRATCH/driver-$mode.err" | tr -d '()')" >>"$SCRATCH/notes.md"
    header=
    stop "$GW"
done

# Reference: the same HTTP/1.1 clients against the trivial hyper server itself (it holds every
# request): hyper's own cost per connection, without the gateway.
if [[ ${REFERENCE:-1} == 1 ]]; then
    echo "reference: trivial hyper server pid $UP, N=$N ..." >&2
    timeout 90 "$EX/bench_queue_memory" --gateway "127.0.0.1:$UPSTREAM_PORT" --pid "$UP" --n "$N" \
        --mode h1 --plain $header >>"$rows" 2>"$SCRATCH/driver-ref.err" \
        || { cat "$SCRATCH/driver-ref.err" >&2; die "queue-memory driver failed (reference)"; }
    cat "$SCRATCH/driver-ref.err" >&2
fi

echo "## Gateway memory per queued request (fifo, concurrency 1)"
echo
echo "$notes"
echo "gateway: default tokio runtime ($(nproc) workers), glibc malloc; upstream holds every request for an hour; one warm-up request in flight; no CPU pinning"
echo
cat "$rows"
echo
cat "$SCRATCH/notes.md"
