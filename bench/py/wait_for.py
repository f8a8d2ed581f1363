#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""asyncio twin of ringo's wait_for benchmark.

Creates one task that returns 7, awaits it, then calls
``await asyncio.wait_for(task, 10)`` N times (default 200,000) on the
finished task and checks every result.

Metric: ``wait_for_ns`` = wall ns / N.

Usage: wait_for.py [--n N]
"""
import argparse
import asyncio
import sys
import time


async def trivial():
    return 7


async def workload(n):
    task = asyncio.create_task(trivial())
    await task
    wait_for = asyncio.wait_for
    total = 0
    t0 = time.perf_counter_ns()
    for _ in range(n):
        total += await wait_for(task, 10)
    elapsed = time.perf_counter_ns() - t0
    if total != 7 * n:
        raise SystemExit("wait_for.py: wrong results")
    return elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200_000, help="number of calls")
    args = ap.parse_args()
    if args.n < 1:
        ap.error("--n must be >= 1")
    asyncio.run(workload(min(args.n, 10_000)))  # untimed warm-up
    elapsed = asyncio.run(workload(args.n))
    print(f"wait_for_ns {elapsed / args.n:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
