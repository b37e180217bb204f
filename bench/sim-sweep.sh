#!/usr/bin/env bash
# A simulator parameter sweep, timed end to end: 1,000 points of ~100k requests each
# (bench/mm2-fifo-100k.toml: M/M/2 FIFO; gateway.concurrency 1..10 x rate 1.55..1.64/s x client
# timeout 10 values), `spillway sim sweep` on all cores (rayon), sweep.csv and sweep.json
# written. Reports wall time, simulated requests per second over the whole sweep, CPU use and
# peak RSS.
#
#     bash bench/sim-sweep.sh
#
# Knobs (environment): ROUNDS (1), CARGO_TARGET_DIR. Goal: under a minute on 2 cores.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-sim-loadgen.sh"

ROUNDS=${ROUNDS:-1}
AXES=(
    --vary 'gateway.concurrency=1..10'
    --vary 'workload.phases[0].rate=1.55,1.56,1.57,1.58,1.59,1.60,1.61,1.62,1.63,1.64'
    --vary 'clients.timeout=1s,2s,3s,5s,10s,20s,30s,60s,300s,100000s'
)

need_time
build_tools
quiet_wait
notes=$(tool_notes)

RES="$SCRATCH/res.tsv" # round points attempts wall rss user sys
: >"$RES"
for round in $(seq 1 "$ROUNDS"); do
    out="$SCRATCH/sweep-$round"
    timed "$out" "$SPILLWAY" sim sweep "$ROOT/bench/mm2-fifo-100k.toml" "${AXES[@]}" --slo 'p99<10s' -o "$out.d"
    read -r wall rss user sys < <(time_fields "$out")
    read -r points attempts min max < <(python3 - "$out.d/sweep.csv" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
a = [int(r["attempts"]) for r in rows]
print(len(rows), sum(a), min(a), max(a))
EOF
    )
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$points" "$attempts" "$wall" "$rss" "$user" "$sys" "$min" "$max" >>"$RES"
    echo "  round $round: $points points, $attempts requests in $wall s" >&2
    sed -n '1,3p' "$out.out" >&2
    rm -rf "$out.d"
done

echo "## Simulator sweep: 1,000 points x ~100k requests"
echo
echo "$notes"
echo "command: spillway sim sweep bench/mm2-fifo-100k.toml ${AXES[*]} --slo 'p99<10s' ($(nproc) rayon threads)"
echo
echo "| round | points | requests (total) | requests per point (min..max) | wall | simulated requests/s | CPU user+sys | CPUs busy (avg) | peak RSS | under a minute |"
echo "|---|---|---|---|---|---|---|---|---|---|"
awk -F'\t' '{
    printf "| %d | %d | %d | %d..%d | %.2f s | %.2f M/s | %.1f s | %.2f | %.1f MiB | %s |\n", $1, $2, $3, $8, $9, $4, $3 / $4 / 1e6, $6 + $7, ($6 + $7) / $4, $5 / 1024, ($4 < 60 ? "yes" : "NO")
}' "$RES"
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
