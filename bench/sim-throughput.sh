#!/usr/bin/env bash
# Simulator speed: (1) criterion's simulated requests/s of `sim::simulate` on one core (M/M/2
# FIFO, ~200k requests; the death-spiral scenario), and (2) the whole program, `spillway sim run`
# (release binary: scenario load, simulation, results.json + results.hlog written) on M/M/2
# FIFO runs of ~100k, ~1M and ~10M requests: wall time, simulated requests per second and peak
# RSS (/usr/bin/time -v), which should stay flat with run length.
#
#     bash bench/sim-throughput.sh
#
# Knobs (environment): ROUNDS (whole-program runs per size, median reported; 3),
# SIZES (requests, approximate; "100000 1000000 10000000"), CRITERION (1: run the criterion
# bench; 0: skip), CARGO_TARGET_DIR. The M/M/2 scenario is bench/mm2-fifo.toml with its
# duration set to requests / 1.6 s.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-sim-loadgen.sh"

ROUNDS=${ROUNDS:-3}
SIZES=${SIZES:-"100000 1000000 10000000"}
CRITERION=${CRITERION:-1}

need_time
build_tools
quiet_wait
notes=$(tool_notes)

# --- (1) criterion ---------------------------------------------------------------------------
crit_table=""
if [[ $CRITERION == 1 ]]; then
    echo "running cargo bench -p spillway-sim --bench sim_throughput ..." >&2
    (cd "$ROOT" && cargo bench --locked -q -p spillway-sim --bench sim_throughput) >"$SCRATCH/criterion.txt" 2>&1 \
        || { tail -30 "$SCRATCH/criterion.txt" >&2; die "cargo bench failed"; }
    grep -E '^simulate/|time:|thrpt:' "$SCRATCH/criterion.txt" >&2 || true
    for b in mm2_fifo_200k death_spiral_fifo; do
        d="$TARGET_DIR/criterion/simulate/$b/new"
        [[ -r $d/estimates.json && -r $d/benchmark.json ]] || die "criterion wrote no $d/estimates.json"
        crit_table+=$(python3 - "$d" "$b" <<'EOF'
import json, sys
d, name = sys.argv[1], sys.argv[2]
e = json.load(open(d + "/estimates.json"))
b = json.load(open(d + "/benchmark.json"))
n = b["throughput"]["Elements"]
m = e["mean"]
lo, hi = m["confidence_interval"]["lower_bound"], m["confidence_interval"]["upper_bound"]
med = e["median"]["point_estimate"]
r = lambda ns: n / (ns / 1e9) / 1e6
print(f"| {name} | {n:,} | {m['point_estimate']/1e6:.1f} ms | {r(m['point_estimate']):.2f} M/s [{r(hi):.2f}, {r(lo):.2f}] | {r(med):.2f} M/s |")
EOF
        )$'\n'
    done
fi

# --- (2) whole program -----------------------------------------------------------------------
RES="$SCRATCH/whole.tsv" # size:window round attempts wall rss user sys mean_wait windows window
: >"$RES"
# Runs: each size with the file's 10000 s window, and (WINDOW_CHECK=1) the largest size again
# with a window as many times longer as it has more requests than 1M: as many windows as the 1M
# run, so what remains of the memory growth is per request, not per window.
runs=()
largest=0
for size in $SIZES; do
    runs+=("$size:10000")
    [[ $size -gt $largest ]] && largest=$size
done
if [[ ${WINDOW_CHECK:-1} == 1 && $largest -gt 1000000 ]]; then
    runs+=("$largest:$((10000 * largest / 1000000))")
fi
for run in "${runs[@]}"; do
    size=${run%%:*}
    window=${run##*:}
    dur=$((size * 10 / 16))
    scen="$SCRATCH/mm2-$size-$window.toml"
    sed -E -e "s/^duration = \"[0-9]+s\"/duration = \"${dur}s\"/" -e "s/^window = \"[0-9]+s\"/window = \"${window}s\"/" \
        "$ROOT/bench/mm2-fifo.toml" >"$scen"
    grep -q "duration = \"${dur}s\"" "$scen" || die "could not set the duration in $scen"
    grep -q "window = \"${window}s\"" "$scen" || die "could not set the window in $scen"
    for round in $(seq 1 "$ROUNDS"); do
        out="$SCRATCH/run-$size-$window-$round"
        timed "$out" "$SPILLWAY" sim run "$scen" -o "$out.d"
        read -r wall rss user sys < <(time_fields "$out")
        attempts=$(json_get "$out.d/results.json" 'r["summary"]["attempts"]')
        wait=$(json_get "$out.d/results.json" 'r["summary"]["queue_wait"]["mean"]')
        windows=$(json_get "$out.d/results.json" 'len(r["windows"])')
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$size:$window" "$round" "$attempts" "$wall" "$rss" "$user" "$sys" "$wait" "$windows" "$window" >>"$RES"
        echo "  $size (window $window s) round $round: $attempts requests in $wall s, peak RSS $rss KiB" >&2
        rm -rf "$out.d"
    done
done

echo "## Simulator throughput"
echo
echo "$notes"
if [[ -n $crit_table ]]; then
    echo
    echo "criterion (\`cargo bench -p spillway-sim --bench sim_throughput\`, one core, sample size 10): simulated requests (attempts) per second of sim::simulate; mean [95% CI] and median"
    echo
    echo "| case | requests per iteration | mean time | requests/s (mean [95% CI]) | requests/s (median) |"
    echo "|---|---|---|---|---|"
    printf '%s' "$crit_table"
fi
echo
echo "whole program: \`/usr/bin/time -v spillway sim run mm2-N.toml\` (bench/mm2-fifo.toml, duration = N / 1.6 s; window 10000 s as in the file, and the largest N again with a longer window), $ROUNDS rounds, median wall time; peak RSS is the largest over the rounds"
echo
echo "| requests | simulated time | window | windows | wall (median) | rounds (s) | simulated requests/s | CPU user+sys (median round) | peak RSS | mean wait (Erlang C: 1.778 s) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
awk -F'\t' "$AWK_MEDIAN"'
{
    k = $1
    if (!(k in walls)) order[++n] = k
    walls[k] = walls[k] (walls[k] == "" ? "" : " ") sprintf("%.3f", $4)
    cpus[k] = cpus[k] (cpus[k] == "" ? "" : " ") ($6 + $7)
    if ($5 + 0 > rss[k] + 0) rss[k] = $5
    att[k] = $3; wait[k] = $8; win[k] = $9; wl[k] = $10; split(k, sz, ":"); size[k] = sz[1]
}
END {
    for (i = 1; i <= n; i++) {
        k = order[i]; w = median(walls[k]); r = walls[k]; gsub(/ /, ", ", r)
        printf "| %d | %d s | %d s | %d | %.3f s | %s | %.2f M/s | %.2f s | %.1f MiB | %.4f s |\n", att[k], size[k] * 10 / 16, wl[k], win[k], w, r, att[k] / w / 1e6, median(cpus[k]), rss[k] / 1024, wait[k]
    }
}' "$RES"
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
