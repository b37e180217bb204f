#!/usr/bin/env bash
# The load generator's schedule accuracy: how late each intent's first attempt is sent after its
# intended (scheduled) time, at 1k and 10k intents/s against a trivial local hyper server
# (reference-gateway/examples/bench_upstream.rs, one thread, answers at once). Reports the
# generator's own verdict (results.json `generator.lateness_p99_s`, `lagging`) and the whole-run
# `send_lateness` histogram of `totals` (1 us resolution, 3 significant digits).
#
#     bash bench/loadgen-lateness.sh
#
# Knobs (environment): RATES ("1000 10000"), DURATION (s per run, 20), ROUNDS (3, rates
# alternating), UPSTREAM_PORT (19302), CARGO_TARGET_DIR. Goal: p99 < 1 ms.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-sim-loadgen.sh"

RATES=${RATES:-"1000 10000"}
DURATION=${DURATION:-20}
ROUNDS=${ROUNDS:-3}
UPSTREAM_PORT=${UPSTREAM_PORT:-19302}
URL="http://127.0.0.1:$UPSTREAM_PORT/bench"

need_time
build_tools
quiet_wait
notes=$(tool_notes)
start_upstream "$UPSTREAM_PORT" --threads 1

RES="$SCRATCH/res.tsv" # rate round <results_hist fields...> cpu_s other_cpus
: >"$RES"
for round in $(seq 1 "$ROUNDS"); do
    for rate in $RATES; do
        out="$SCRATCH/lg-$rate-$round"
        read -r b0 t0 < <(machine_ticks)
        u0=$(cpu_ticks "$UP")
        timed_rc "$out" $((DURATION + 60)) "$SPILLWAY" loadgen run --target "$URL" --phases "${DURATION}s@$rate" \
            --timeout 2s --no-progress -o "$out.d"
        u1=$(cpu_ticks "$UP")
        read -r b1 t1 < <(machine_ticks)
        [[ -r $out.d/results.json ]] || { tail -5 "$out.err" >&2; die "loadgen at $rate/s wrote no results (exit $(cat "$out.rc"))"; }
        read -r _ _ user sys < <(time_fields "$out")
        lg=$(awk -v u="$user" -v s="$sys" -v hz="$CLK_TCK" 'BEGIN { printf "%d", (u + s) * hz }')
        # Other tenants of the machine during the run, in CPUs (busy minus loadgen and upstream).
        other=$(awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) -v l="$lg" -v u=$((u1 - u0)) -v n="$(nproc)" \
            'BEGIN { o = (b - l - u) / t * n; printf "%.2f", (o < 0 ? 0 : o) }')
        printf '%s\t%s\t%s\t%s\t%s\n' "$rate" "$round" "$(lg_line "$out.d")" "$(echo "$user + $sys" | bc -l)" "$other" >>"$RES"
        echo "  $rate/s round $round: $(cut -f7,10,12 <<<"$(lg_line "$out.d")" | awk '{printf "lateness p99 %s ms (generator: %s ms), lagging %s", $1, $2, $3}')" >&2
    done
done

echo "## Load generator: send lateness (actual vs intended send time)"
echo
echo "$notes"
echo "command: spillway loadgen run --target $URL --phases ${DURATION}s@R --timeout 2s --no-progress -o DIR; target bench_upstream (1 thread) on the same machine; $ROUNDS rounds, rates alternating"
echo
echo "| R (intents/s) | round | intents | lateness mean | p50 | p90 | p99 | p99.9 | max | generator.lateness_p99_s | unsent | lagging | goodput ratio | loadgen CPUs busy | other load | p99 < 1 ms |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
# rate round file metric count mean p50 p90 p99 p999 max lp99 unsent lagging offered attempts goodput timeouts errors duration cpu other
sort -t$'\t' -k1,1n -k2,2n "$RES" | awk -F'\t' -v d="$DURATION" '{
    printf "| %d | %d | %d | %s ms | %s ms | %s ms | %s ms | %s ms | %s ms | %.6f | %s | %s | %s | %.2f | %s CPU | %s |\n", $1, $2, $5, $6, $7, $8, $9, $10, $11, $12 / 1000, $13, $14, $17, $21 / d, $22, ($9 < 1.0 ? "yes" : "NO")
}'
echo
echo "lateness: send_lateness of totals (whole run, 3 significant digits, 1 us floor). other load: machine busy time not spent by loadgen or the upstream, in CPUs (above ~0.1 the run was disturbed by other tenants)."
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
