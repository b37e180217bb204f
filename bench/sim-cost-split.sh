#!/usr/bin/env bash
# Where the simulator's time per request goes, for speed work on the SimPy goal: the same M/M/2
# FIFO run (bench/mm2-fifo.toml, N requests) timed in process (sim/examples/quick.rs) three ways,
# in alternating rounds of one process each:
#   full        the engine as it is: workload, client model, gateway policy, backend model,
#               and the recorder (windowed histograms, counters, per-group figures);
#   no-record   the same engine built from a scratch copy of the tree in which the engine's
#               per-request recorder calls are deleted (intent offered, attempt sent and
#               finished, intent finished, queue waits, backend work): what everything but the
#               recording costs. Its results are empty; only its time means anything;
#   bare        sim/examples/bare_mm2.rs: the same queue as a bare event loop (no model at all).
# So full - no-record is the recording's cost, no-record - bare the model's and the engine's.
# The deletion is a handful of regular expressions over sim/src/engine.rs; the script checks
# each matched and stops if the engine has changed so that one no longer does.
#
#     bash bench/sim-cost-split.sh
#
# Knobs (environment): N (requests, 1000000), ROUNDS (5), CARGO_TARGET_DIR (the tree's build;
# the scratch copy builds in its own target dir under /tmp, about a minute the first time).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

N=${N:-1000000}
ROUNDS=${ROUNDS:-5}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
COPY_TARGET=${COPY_TARGET:-/tmp/spillway-cost-split-target}
command -v python3 >/dev/null || die "python3 not found (it edits the scratch copy)"

echo "building the tree's quick and bare_mm2 examples ..." >&2
(cd "$ROOT" && cargo build --release --locked -q -p spillway-sim --example quick --example bare_mm2) >&2
cp "$TARGET_DIR/release/examples/quick" "$SCRATCH/quick-full"
cp "$TARGET_DIR/release/examples/bare_mm2" "$SCRATCH/bare"

echo "copying the tree (git archive of HEAD plus uncommitted changes) and deleting the recorder calls ..." >&2
mkdir -p "$SCRATCH/tree"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
    tar --null -T - -cf - 2>/dev/null) | tar -xf - -C "$SCRATCH/tree"
python3 - "$SCRATCH/tree/sim/src/engine.rs" <<'EOF'
import re, sys
path = sys.argv[1]
src = open(path).read()
calls = [
    r"self\.recorder\.intent_offered\(a\.tag\(\), a\.at\);",
    r"self\.recorder\s*\.attempt_sent\([^;]*;",
    r"self\.recorder\.queue_wait\(now, Duration::ZERO\);",
    r"self\.recorder\.backend_work\(now, done\.busy, done\.wasted\);",
    r"self\.recorder\s*\.attempt_finished_us\([^;]*;",
    r"self\.recorder\s*\.intent_finished_us\([^;]*;",
    r"self\.recorder\.queue_wait\(now, waited\);",
]
for c in calls:
    src, n = re.subn(c, "", src)
    if n == 0:
        sys.exit(f"the engine has changed: no match for {c} in {path}; update bench/sim-cost-split.sh")
open(path, "w").write(src)
EOF
echo "building the copy without recording (target dir $COPY_TARGET) ..." >&2
(cd "$SCRATCH/tree" && CARGO_TARGET_DIR="$COPY_TARGET" cargo build --release --locked -q -p spillway-sim --example quick) >&2
cp "$COPY_TARGET/release/examples/quick" "$SCRATCH/quick-norec"

dur=$((N * 10 / 16))
scen="$SCRATCH/mm2-$N.toml"
sed -E "s/^duration = \"[0-9]+s\"/duration = \"${dur}s\"/" "$ROOT/bench/mm2-fifo.toml" >"$scen"
grep -q "duration = \"${dur}s\"" "$scen" || die "could not set the duration in $scen"

# ms_of LINE: the milliseconds in quick's last line ("... attempts in 133.2ms: ...").
ms_of() {
    python3 -c '
import re, sys
m = re.search(r" in ([0-9.]+)(ms|s|µs):", sys.argv[1])
if not m: sys.exit("no time in: " + sys.argv[1])
v = float(m.group(1)); u = m.group(2)
print(v * {"ms": 1, "s": 1000, "µs": 0.001}[u])' "$1"
}
RES="$SCRATCH/res.tsv"
: >"$RES"
for round in $(seq 1 "$ROUNDS"); do
    for kind in full norec; do
        line=$("$SCRATCH/quick-$kind" "$scen" | tail -1)
        printf '%s\t%s\n' "$kind" "$(ms_of "$line")" >>"$RES"
    done
    bare=$(N="$N" "$SCRATCH/bare" "$N" 2>/dev/null | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["wall_s"]*1000)')
    printf 'bare\t%s\n' "$bare" >>"$RES"
    echo "  round $round done" >&2
done
python3 - "$RES" "$N" <<'EOF'
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().split("\n") if l]
n = int(sys.argv[2])
by = {}
for k, v in rows:
    by.setdefault(k, []).append(float(v))
med = {k: statistics.median(v) for k, v in by.items()}
ns = lambda ms: ms * 1e6 / n
print(f"## Simulator cost split: M/M/2 FIFO, {n} requests, median of {len(by['full'])} alternating rounds\n")
print("| build | ms per run (median) | rounds (ms) | ns per request |")
print("|---|---|---|---|")
names = {"full": "full engine (`quick`)", "norec": "engine without per-request recording", "bare": "bare event loop (`bare_mm2`)"}
for k in ("full", "norec", "bare"):
    print(f"| {names[k]} | {med[k]:.1f} | {', '.join(f'{x:.1f}' for x in by[k])} | {ns(med[k]):.0f} |")
print()
rec = med["full"] - med["norec"]
model = med["norec"] - med["bare"]
print(f"recording: {ns(rec):.0f} ns per request ({rec / med['full'] * 100:.0f}% of the full run); "
      f"model and engine without it: {ns(model):.0f} ns; the bare loop: {ns(med['bare']):.0f} ns")
EOF
