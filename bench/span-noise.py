#!/usr/bin/env python3
"""How often a healthy service's goodput falls below the recovery line by chance, per span length.

The evidence behind `MIN_SPAN_INTENTS` (model/src/results/verdict.rs): run a scenario long and
steady (no collapse), then count, for each service and span length, the spans (every start) whose
goodput ratio is below 90% of the service's own whole-run ratio, the line recovery is judged
against. Quiet services fail in clusters, so short spans dip far more often than a binomial
estimate says.

    for s in $(seq 1 10); do
        spillway sim run bench/estate-10x20.toml --strategy deadline --seed $s \\
            --set 'workload.phases[1].rate=250' --set 'workload.phases[2].duration=1100s' -o out/long$s
    done
    python3 bench/span-noise.py out/long*/

Prints one line per service and span length (windows): its mean intents per span and the share
of spans below the line, over all the runs given.
"""

import json
import sys

SPANS = (5, 10, 16, 25, 32, 50, 64, 100)


def main() -> int:
    dirs = sys.argv[1:]
    if not dirs:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: span-noise.py RESULTS_DIR...", file=sys.stderr)
        return 2
    tally = {}
    for d in dirs:
        with open(f"{d.rstrip('/')}/results.json") as f:
            r = json.load(f)
        windows = r["windows"]
        # Leave out the drain after the arrivals stop (no intents start there).
        end = max((i for i, w in enumerate(windows) if w["counters"]["intents"] > 0), default=-1) + 1
        windows = windows[:end]
        for name in r["summary"].get("services", {}):
            o = [w.get("services", {}).get(name, {}).get("offered", 0) for w in windows]
            k = [w.get("services", {}).get(name, {}).get("successes", 0) for w in windows]
            if sum(o) == 0:
                continue
            goal = 0.9 * sum(k) / sum(o)
            rate = sum(o) / len(o)
            for span in SPANS:
                below = n = 0
                for i in range(len(o) - span + 1):
                    oo = sum(o[i : i + span])
                    if oo == 0:
                        continue
                    n += 1
                    below += sum(k[i : i + span]) / oo < goal
                t = tally.setdefault((name, span), [0, 0, 0.0, 0])
                t[0] += below
                t[1] += n
                t[2] += rate * span
                t[3] += 1
    print(f"{'service':14s} {'span':>5s} {'intents':>8s} {'below the line':>22s}")
    for (name, span), (below, n, intents, runs) in sorted(tally.items()):
        share = below / n * 100 if n else 0.0
        print(f"{name:14s} {span:5d} {intents / runs:8.0f} {below:8d}/{n:<8d} {share:6.3f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
