#!/usr/bin/env bash
# How `spillway scenario check` scales with a file's size: N phases (names checked against
# each other), N mix entries naming an unknown service or API (problems located in the file),
# and N valid mix entries. Each file is generated here; each binary checks each file once,
# alternating, bounded by `timeout` (a quadratic check of the larger files ran for minutes).
#
#     OLD=/path/to/an/older/spillway bash bench/scenario-check-scale.sh
#
# Knobs (environment): OLD (a second binary to compare; optional), SIZES ("20000 50000"),
# LIMIT (s per check, 90), CARGO_TARGET_DIR.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-sim-loadgen.sh"

SIZES=${SIZES:-20000 50000}
LIMIT=${LIMIT:-90}
(cd "$ROOT" && cargo build --release --locked -q -p spillway) >&2
bins=("$SPILLWAY")
[[ -n ${OLD:-} ]] && bins+=("$OLD")

gen() { # gen KIND N FILE
    local kind=$1 n=$2 f=$3
    {
        echo '[run]'
        echo 'seed = 1'
        if [[ $kind == phases ]]; then
            awk -v n="$n" 'BEGIN { for (k = 0; k < n; k++) printf "[[workload.phases]]\nname = \"p%d\"\nduration = \"1s\"\nrate = 1\n", k }'
        else
            printf '[[workload.phases]]\nduration = "10s"\nrate = 20\n'
        fi
        printf '[[backend.services]]\nname = "legacy"\nworkers = 4\napis = 1000\nservice_time = "20ms"\n'
        case $kind in
        bad-service) awk -v n="$n" 'BEGIN { for (k = 0; k < n; k++) printf "[[workload.mix]]\nservice = \"nope\"\n" }' ;;
        bad-api) awk -v n="$n" 'BEGIN { for (k = 0; k < n; k++) printf "[[workload.mix]]\nservice = \"legacy\"\napi = \"a%d\"\n", k }' ;;
        valid-mix) awk -v n="$n" 'BEGIN { for (k = 0; k < n; k++) printf "[[workload.mix]]\nservice = \"legacy\"\napi = \"api-%d\"\n", k % 1000 + 1 }' ;;
        esac
    } >"$f"
}

echo "## scenario check: time by file size"
echo
tool_notes
echo
echo "| file | size | $(for b in "${bins[@]}"; do printf '%s | ' "$b"; done)"
echo "|---|---|$(for _ in "${bins[@]}"; do printf -- '---|'; done)"
for n in $SIZES; do
    for kind in phases bad-service bad-api valid-mix; do
        f="$SCRATCH/$kind-$n.toml"
        gen "$kind" "$n" "$f"
        row="| $n $kind | $(du -h "$f" | cut -f1) |"
        for b in "${bins[@]}"; do
            t0=$(date +%s%N)
            rc=0
            timeout "$LIMIT" "$b" scenario check "$f" >/dev/null 2>&1 || rc=$?
            ms=$((($(date +%s%N) - t0) / 1000000))
            case $rc in
            0 | 2) row+=" $(awk -v ms="$ms" 'BEGIN { printf "%.2f s", ms / 1000 }') |" ;; # 2: the file's problems, listed
            124) row+=" over ${LIMIT} s (stopped) |" ;;
            *) die "$b scenario check $f exited $rc" ;;
            esac
        done
        echo "$row"
    done
done
