#!/usr/bin/env bash
# Peak memory of the simulator's batch commands at sizes users reach: a sweep of 1,024 points of
# the ten-service estate (bench/estate-10x20.toml: five services' queue bounds, one axis each), a
# 4,000-point sweep of M/M/2 (bench/mm2-fifo-100k.toml cut to 1,000 s: concurrency x workers), 500
# replications of the death spiral, and the death spiral with a 48-hour tail (an unbounded queue
# that never drains: the run stops at the simulator's cap of 4 million requests held at once).
# Each runs once under /usr/bin/time; the table gives wall time, peak RSS and what ended it.
#
#     bash bench/sim-memory.sh
#
# Knobs (environment): CARGO_TARGET_DIR; OLD=/path/to/an/older/spillway runs each case with that
# binary too, side by side (under `ulimit -v` of 4 GiB, so a run that would exhaust memory aborts
# instead of swapping).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-sim-loadgen.sh"

need_time
build_tools
quiet_wait
notes=$(tool_notes)

sed -E -e 's/^duration = "[0-9]+s"/duration = "1000s"/' -e 's/^window = "[0-9]+s"/window = "100s"/' \
    "$ROOT/bench/mm2-fifo-100k.toml" >"$SCRATCH/mm2-short.toml"
sed -e 's/duration = "120s"/duration = "48h"/' -e 's/window = "1s"/window = "10s"/' \
    "$ROOT/scenarios/death-spiral.toml" >"$SCRATCH/ds48h.toml"
grep -q '"48h"' "$SCRATCH/ds48h.toml" || die "could not lengthen the death spiral's last phase"

estate=(sim sweep "$ROOT/bench/estate-10x20.toml" --vary gateway.strategy=bounded)
for s in accounts orders billing risk inventory; do
    estate+=(--vary "gateway.services.$s.queue_capacity=5,20,50,80")
done
CASES=(
    "sweep, estate, 1,024 points|${estate[*]} -o OUT"
    "sweep, M/M/2 1,000 s, 4,000 points|sim sweep $SCRATCH/mm2-short.toml --vary gateway.concurrency=1..40 --vary backend.services[0].workers=1..100 -o OUT"
    "sim run --replications 500, death spiral|sim run $ROOT/scenarios/death-spiral.toml --replications 500 -o OUT"
    "sim run, death spiral with a 48 h tail|sim run $SCRATCH/ds48h.toml -o OUT"
)

echo "## Simulator memory: sweeps, replications, a run that never drains"
echo
echo "$notes"
echo
echo "| case | binary | wall | peak RSS | ended |"
echo "|---|---|---|---|---|"
n=0
for c in "${CASES[@]}"; do
    name=${c%%|*}
    args=${c#*|}
    for bin in "$SPILLWAY" ${OLD:+"$OLD"}; do
        n=$((n + 1))
        out="$SCRATCH/run-$n"
        # shellcheck disable=SC2086 # the arguments are words
        set -- ${args//OUT/$out.d}
        t0=$(date +%s%N)
        rc=0
        (ulimit -v 4194304 && /usr/bin/time -v "$bin" "$@" >"$out.out" 2>"$out.err") || rc=$?
        t1=$(date +%s%N)
        rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out.err")
        case $rc in
            0) ended="done" ;;
            3) ended="done (a threshold failed: exit 3)" ;;
            *) ended="exit $rc" ;;
        esac
        grep -q "memory allocation of" "$out.err" && ended="out of memory (exit $rc)"
        grep -q "INCOMPLETE" "$out.out" && ended="$ended, $(grep -o 'INCOMPLETE: [^]]*' "$out.out" | head -1)"
        label=$([ "$bin" = "$SPILLWAY" ] && echo "this tree" || echo "OLD")
        printf '| %s | %s | %s s | %s MiB | %s |\n' "$name" "$label" \
            "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')" "$(( ${rss:-0} / 1024 ))" "$ended"
        rm -rf "$out.d"
    done
done
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
