#!/usr/bin/env bash
# Memory and time per results window: the same traffic recorded in few or many windows
# (`run.window`, default 1 s), in the simulator and in the load generator. Every window keeps its
# own latency histograms, so a long run at a short window grows with its number of windows, not
# with its number of requests.
#
#   sim:     bench/mm2-fifo.toml for 36,000 s (~57,600 requests) with window 3600 s (10 windows)
#            and 1 s (36,000 windows, the default window of a 10-hour scenario);
#   loadgen: ~36,000 requests against bench_upstream: --phases 36s@1000 (36 windows of 1 s), and
#            --phases 3600s@10 --time-scale 100 (the same real traffic, 3,600 windows of 1 s
#            scenario time: an hour-long scenario compressed).
#
#     bash bench/results-window-memory.sh
#
# Knobs (environment): UPSTREAM_PORT (19306), CARGO_TARGET_DIR.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-sim-loadgen.sh"

UPSTREAM_PORT=${UPSTREAM_PORT:-19306}
URL="http://127.0.0.1:$UPSTREAM_PORT/bench"

need_time
build_tools
quiet_wait
notes=$(tool_notes)

RES="$SCRATCH/res.tsv" # tool label windows attempts wall rss json_bytes
: >"$RES"
row() { # TOOL LABEL OUT_PREFIX DIR
    local wall rss
    read -r wall rss _ _ < <(time_fields "$3")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$(json_get "$4/results.json" 'len(r["windows"])')" \
        "$(json_get "$4/results.json" 'r["summary"]["attempts"]')" "$wall" "$rss" "$(stat -c %s "$4/results.json")" >>"$RES"
    tail -1 "$RES" >&2
}

for w in 3600 1; do
    scen="$SCRATCH/mm2-w$w.toml"
    # A 600 s client timeout (no wait comes near it at utilisation 0.8): the file's 100,000 s
    # would count 100,000 windows of possible in-flight time after arrivals end, past the cap.
    sed -E -e 's/^duration = "[0-9]+s"/duration = "36000s"/' -e "s/^window = \"[0-9]+s\"/window = \"${w}s\"/" \
        -e 's/^timeout = "[0-9]+s"/timeout = "600s"/' \
        "$ROOT/bench/mm2-fifo.toml" >"$scen"
    timed "$SCRATCH/sim-$w" "$SPILLWAY" sim run "$scen" -o "$SCRATCH/sim-$w.d"
    row sim "spillway sim run (36,000 s, window ${w} s)" "$SCRATCH/sim-$w" "$SCRATCH/sim-$w.d"
done

start_upstream "$UPSTREAM_PORT" --threads 1
timed_rc "$SCRATCH/lg-36" 120 "$SPILLWAY" loadgen run --target "$URL" --phases 36s@1000 --timeout 2s --no-progress -o "$SCRATCH/lg-36.d"
rc=$(cat "$SCRATCH/lg-36.rc"); [[ $rc == 0 ]] || { tail -5 "$SCRATCH/lg-36.err" >&2; die "loadgen (lg-36) exited $rc"; }
row loadgen "loadgen --phases 36s@1000" "$SCRATCH/lg-36" "$SCRATCH/lg-36.d"
timed_rc "$SCRATCH/lg-3600" 120 "$SPILLWAY" loadgen run --target "$URL" --phases 3600s@10 --time-scale 100 --timeout 2s --no-progress -o "$SCRATCH/lg-3600.d"
rc=$(cat "$SCRATCH/lg-3600.rc"); [[ $rc == 0 ]] || { tail -5 "$SCRATCH/lg-3600.err" >&2; die "loadgen (lg-3600) exited $rc"; }
row loadgen "loadgen --phases 3600s@10 --time-scale 100" "$SCRATCH/lg-3600" "$SCRATCH/lg-3600.d"

echo "## Results windows: memory and time per window"
echo
echo "$notes"
echo
echo "| run | windows | requests | wall | peak RSS | results.json | RSS per window (vs the few-window run) |"
echo "|---|---|---|---|---|---|---|"
awk -F'\t' '{
    if (!($1 in base)) { base[$1] = $6; bw[$1] = $3; per = "-" }
    else per = sprintf("%.1f KiB", ($6 - base[$1]) / ($3 - bw[$1]))
    printf "| %s | %d | %d | %.2f s | %.1f MiB | %.1f MiB | %s |\n", $2, $3, $4, $5, $6 / 1024, $7 / 1048576, per
}' "$RES"
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
