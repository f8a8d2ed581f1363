#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""asyncio twin of ringo's spawn+gather benchmark.

Creates N tasks (default 100,000) of a trivial coroutine that returns its
index, then ``await asyncio.gather(*tasks)`` and checks the results come back
in order.  Timing covers the first create_task through the end of gather
(the order check is outside the timed region).

Metric: ``spawn_gather_ns`` = wall ns / N.

Usage: spawn_gather.py [--n N]
"""
import argparse
import asyncio
import sys
import time


async def trivial(i):
    return i


async def workload(n):
    create_task = asyncio.create_task
    t0 = time.perf_counter_ns()
    tasks = [create_task(trivial(i)) for i in range(n)]
    results = await asyncio.gather(*tasks)
    elapsed = time.perf_counter_ns() - t0
    if results != list(range(n)):
        raise SystemExit("spawn_gather.py: results out of order")
    return elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="number of tasks")
    args = ap.parse_args()
    if args.n < 1:
        ap.error("--n must be >= 1")
    asyncio.run(workload(min(args.n, 10_000)))  # untimed warm-up
    elapsed = asyncio.run(workload(args.n))
    print(f"spawn_gather_ns {elapsed / args.n:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
