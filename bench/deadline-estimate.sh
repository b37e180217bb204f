#!/usr/bin/env bash
# The deadline strategy's two service-time predictions side by side: `gateway.deadline_estimate
# = "api"` (each API's typical time times the service's load factor, the default) against
# "service" (one running estimate over all the service's APIs), on every shipped scenario and
# bench/estate-10x20.toml, each run under `deadline` with R seeds (`sim run --replications`).
# Prints a markdown table of goodput ratio, wasted work and the share of metastable seeds.
#
#     bash bench/deadline-estimate.sh
#
# Knobs (environment): R (seeds per cell, 10), CARGO_TARGET_DIR.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

R=${R:-10}
echo "building (cargo build --release --bin spillway) ..." >&2
(cd "$ROOT" && cargo build --release --locked -q --bin spillway) >&2
SPILLWAY="$BIN/spillway"

echo "## deadline: per-API against per-service service-time prediction"
echo
echo "commit $(git -C "$ROOT" rev-parse --short HEAD), $R seeds per cell (each scenario's seed onwards), strategy deadline"
echo
echo "| scenario | estimate | goodput ratio (mean ± 95% CI) | wasted work | metastable seeds |"
echo "|---|---|---|---|---|"
for f in "$ROOT"/scenarios/*.toml "$ROOT/bench/estate-10x20.toml"; do
    for e in api service; do
        # Exit 3: a threshold of the file failed, which is a result here, not an error.
        rc=0
        out=$("$SPILLWAY" sim run "$f" --set gateway.strategy=deadline --set gateway.deadline_estimate=$e \
            --replications "$R" -o "$SCRATCH/out" 2>/dev/null) || rc=$?
        [[ $rc == 0 || $rc == 3 ]] || die "sim run $f ($e) exited $rc"
        field() { awk -v k="$1" '$0 ~ "^  "k" " { sub("^  "k" +", ""); print; exit }' <<<"$out"; }
        printf '| %s | %s | %s | %s | %s |\n' "$(basename "$f" .toml)" "$e" "$(field "goodput ratio")" \
            "$(field "wasted work")" "$(field metastable)"
    done
done
