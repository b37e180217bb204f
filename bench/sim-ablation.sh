#!/usr/bin/env bash
# Where the simulator's time per request goes, by ablation: the M/M/2 FIFO run of
# bench/sim-vs-simpy.sh, timed with the normal build and with a build whose per-request recorder
# calls are compiled out (bench/ablate-recorder.patch, applied to a copy of the tree), in
# alternating rounds. The difference is what recording costs; what is left above the bare loop
# (sim/examples/bare_mm2.rs) is the client, gateway and backend model and the engine around them.
# It answers "how close can the 100x SimPy goal get without recording?" with a measurement.
#
#     bash bench/sim-ablation.sh
#
# Knobs (environment): N (requests, 1000000), ROUNDS (7), CARGO_TARGET_DIR (the ablated build
# goes to "$CARGO_TARGET_DIR-ablation", or target-ablation, so rebuilds are incremental).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-sim-loadgen.sh"

N=${N:-1000000}
ROUNDS=${ROUNDS:-7}
ABL_TARGET="${TARGET_DIR%/}-ablation"

need_time
git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1 || die "needs a git checkout (the ablated copy is a worktree)"
echo "building (cargo build --release, target dirs $TARGET_DIR and $ABL_TARGET) ..." >&2
(cd "$ROOT" && cargo build --release --locked -q -p spillway &&
    cargo build --release --locked -q -p spillway-sim --example bare_mm2) >&2
TREE="$SCRATCH/ablated"
git -C "$ROOT" worktree add -q --detach "$TREE" HEAD
trap 'git -C "$ROOT" worktree remove --force "$TREE" 2>/dev/null || true; cleanup' EXIT
# The working tree's changes and new files too, so both builds are of the same code (the
# normal one builds the working tree).
changes="$SCRATCH/worktree.diff"
git -C "$ROOT" diff HEAD --binary >"$changes"
if [[ -s $changes ]]; then
    git -C "$TREE" apply "$changes" || die "could not copy the working tree's changes into $TREE"
fi
(cd "$ROOT" && git ls-files --others --exclude-standard -z | xargs -0 -r cp --parents -t "$TREE") ||
    die "could not copy the working tree's new files into $TREE"
git -C "$TREE" apply "$ROOT/bench/ablate-recorder.patch" || die "bench/ablate-recorder.patch no longer applies to sim/src/engine.rs: update it"
(cd "$TREE" && CARGO_TARGET_DIR="$ABL_TARGET" cargo build --release --locked -q -p spillway) >&2
ABLATED="$ABL_TARGET/release/spillway"
quiet_wait
notes=$(tool_notes)

dur=$((N * 10 / 16))
scen="$SCRATCH/mm2-$N.toml"
sed -E "s/^duration = \"[0-9]+s\"/duration = \"${dur}s\"/" "$ROOT/bench/mm2-fifo.toml" >"$scen"
grep -q "duration = \"${dur}s\"" "$scen" || die "could not set the duration in $scen"

RES="$SCRATCH/res.tsv" # build round wall_s
: >"$RES"
for round in $(seq 1 "$ROUNDS"); do
    for b in normal ablated; do
        bin=$SPILLWAY
        [[ $b == ablated ]] && bin=$ABLATED
        out="$SCRATCH/$b-$round"
        timed "$out" "$bin" sim run "$scen" -o "$out.d"
        read -r wall _ _ _ < <(time_fields "$out")
        printf '%s\t%s\t%s\n' "$b" "$round" "$wall" >>"$RES"
        rm -rf "$out.d"
    done
    out="$SCRATCH/bare-$round"
    timed "$out" "$EX/bare_mm2" "$N"
    printf 'bare\t%s\t%s\n' "$round" "$(json_get "$out.out" 'r["wall_s"]')" >>"$RES"
    echo "  round $round done" >&2
done

echo "## Simulator ablation: M/M/2 FIFO, $N requests"
echo
echo "$notes"
echo "$ROUNDS alternating rounds; whole process for both builds, loop only for the bare loop"
echo
awk -F'\t' -v n="$N" "$AWK_MEDIAN"'
{ v[$1] = v[$1] (v[$1] == "" ? "" : " ") $3 }
END {
    a = median(v["normal"]); b = median(v["ablated"]); f = median(v["bare"])
    printf "| build | wall per run (median) | ns per request |\n|---|---|---|\n"
    printf "| normal | %.3f s | %.0f |\n", a, a * 1e9 / n
    printf "| per-request recording compiled out | %.3f s | %.0f |\n", b, b * 1e9 / n
    printf "| bare Rust loop (floor) | %.3f s | %.0f |\n", f, f * 1e9 / n
    printf "\nrecording: %.0f ns per request (%.0f%% of the run); model and engine above the floor: %.0f ns\n", (a - b) * 1e9 / n, 100 * (a - b) / a, (b - f) * 1e9 / n
}' "$RES"
