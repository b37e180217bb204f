#!/usr/bin/env python3
"""The M/M/2 FIFO model of bench/mm2-fifo.toml in SimPy, for bench/sim-vs-simpy.sh.

Poisson arrivals at 1.6/s, exponential service with mean 1 s, two servers, one FIFO queue
(utilisation 0.8). Simulates N customers (arrivals stop after N) and measures the mean wait in
the queue (Erlang C: 1.7778 s), as spillway reports it (`summary.queue_wait.mean`).

    pip install simpy
    python3 bench/simpy_mm2.py --n 1000000 --seed 1

Prints one JSON line: n, mean_wait_s, sim_time_s, wall_s (the simulation loop alone, interpreter
start-up and import excluded) and customers_per_s.
"""

import argparse
import json
import random
import sys
import time

import simpy

LAMBDA = 1.6
MU = 1.0
SERVERS = 2


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="customers to simulate")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.n < 1:
        ap.error("--n must be >= 1")

    rng = random.Random(a.seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=SERVERS)
    stats = {"waits": 0.0, "served": 0}

    def customer(env):
        arrived = env.now
        with servers.request() as req:
            yield req
            stats["waits"] += env.now - arrived
            yield env.timeout(rng.expovariate(MU))
        stats["served"] += 1

    def arrivals(env):
        for _ in range(a.n):
            yield env.timeout(rng.expovariate(LAMBDA))
            env.process(customer(env))

    env.process(arrivals(env))
    t0 = time.perf_counter()
    env.run()  # until every customer has been served
    wall = time.perf_counter() - t0
    n = stats["served"]
    print(
        json.dumps(
            {
                "tool": "simpy " + simpy.__version__,
                "python": sys.version.split()[0],
                "n": n,
                "mean_wait_s": stats["waits"] / n,
                "sim_time_s": env.now,
                "wall_s": wall,
                "customers_per_s": n / wall,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
