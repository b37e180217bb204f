#!/usr/bin/env bash
# Two spillway binaries on the same simulation, interleaved: OLD, NEW, OLD, NEW, ... so that a
# host that speeds up or slows down during the run moves both alike. Reports each binary's wall
# time (the whole process, as bench/sim-vs-simpy.sh times it) and CPU time (user + sys), as the
# minimum, first quartile and median over the rounds, and NEW's change against OLD. For a change
# whose effect is a few percent, which one run of sim-vs-simpy.sh cannot tell from noise.
#
#     bash bench/sim-ab.sh OLD_BINARY NEW_BINARY
#
# Knobs (environment): N (requests, 1000000: the M/M/2 FIFO run of sim-vs-simpy.sh), ROUNDS (30),
# PIN (a CPU number: every run pinned to it with taskset; unset, none). Both binaries must write
# the same results (compared byte for byte on the last round's files).
#
# Each round runs both, in turn order swapped every round, and also reports the round's own
# ratio (new/old wall): on a host whose speed moves between runs (this VM's 1M run took 0.14 to
# 0.29 s), the spread of those paired ratios says how much a median can be trusted.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[[ $# == 2 ]] || die "usage: bash bench/sim-ab.sh OLD_BINARY NEW_BINARY"
OLD=$1
NEW=$2
for b in "$OLD" "$NEW"; do
    [[ -x $b && -f $b ]] || die "$b: not an executable file"
done
N=${N:-1000000}
ROUNDS=${ROUNDS:-30}
[[ $N =~ ^[1-9][0-9]*$ && $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "N and ROUNDS must be whole numbers above 0"

dur=$((N * 10 / 16))
scen="$SCRATCH/mm2-$N.toml"
sed -E "s/^duration = \"[0-9]+s\"/duration = \"${dur}s\"/" "$ROOT/bench/mm2-fifo.toml" >"$scen"
grep -q "duration = \"${dur}s\"" "$scen" || die "could not set the duration in $scen"
quiet_wait

# Timed from Python: the wall clock around each process, and its CPU time from the kernel's
# accounting of children (microseconds; /usr/bin/time reports hundredths of a second).
PIN=${PIN:-}
[[ -z $PIN || $PIN =~ ^[0-9]+$ ]] || die "PIN must be a CPU number"
python3 - "$OLD" "$NEW" "$scen" "$SCRATCH" "$N" "$ROUNDS" "$PIN" <<'PY'
import filecmp, resource, statistics, subprocess, sys, time

old, new, scen, scratch, n, rounds, pin = sys.argv[1:]
prefix = ["taskset", "-c", pin] if pin else []
times = {"old": [], "new": []}
for r in range(int(rounds)):
    order = (("old", old), ("new", new))
    for which, binary in order if r % 2 == 0 else order[::-1]:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        run = subprocess.run(prefix + [binary, "sim", "run", scen, "-o", f"{scratch}/{which}.d"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - t0
        if run.returncode != 0:
            sys.exit(f"error: {binary} failed ({run.returncode}):\n{run.stderr[-2000:]}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        times[which].append((wall, cpu))
    print(f"  round {r + 1} of {rounds}", file=sys.stderr)
for f in ("results.json", "results.hlog"):
    if not filecmp.cmp(f"{scratch}/old.d/{f}", f"{scratch}/new.d/{f}", shallow=False):
        sys.exit(f"error: the two binaries wrote different {f}")


def stats(which, col):
    xs = sorted(t[col] for t in times[which])
    return xs[0], xs[len(xs) // 4], statistics.median(xs)


print(f"## Interleaved: {n} M/M/2 requests, {rounds} rounds each\n")
print(f"old: {old}\nnew: {new}\n")
print("| time | binary | min | q1 | median |")
print("|---|---|---|---|---|")
for col, name in ((0, "wall (ms)"), (1, "CPU, user + sys (ms)")):
    o, w = stats("old", col), stats("new", col)
    print(f"| {name} | old | {o[0]*1e3:.1f} | {o[1]*1e3:.1f} | {o[2]*1e3:.1f} |")
    print(f"| {name} | new | {w[0]*1e3:.1f} | {w[1]*1e3:.1f} | {w[2]*1e3:.1f} |")
    print(f"| {name} | new/old | {w[0]/o[0]:.3f} | {w[1]/o[1]:.3f} | {w[2]/o[2]:.3f} |")
paired = sorted(nw[0] / od[0] for nw, od in zip(times["new"], times["old"]))
q = lambda p: paired[round(p * (len(paired) - 1))]
print(f"\nwall, each round's new/old: median {statistics.median(paired):.3f}, "
      f"quartiles {q(0.25):.3f} and {q(0.75):.3f}" + (f" (pinned to CPU {pin})" if pin else ""))
PY
