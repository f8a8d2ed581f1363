#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""asyncio twin of ringo's one-million-sleepers benchmark.

N tasks (default 1,000,000) each ``await asyncio.sleep(DELAY)`` (default
1 s), all gathered.  Timing runs from before the first create_task until
gather completes, so it includes creating and tearing down every task; the
ideal result is DELAY.  No warm-up round (it would cost as much as the run).
Needs roughly 1-1.5 GB of RAM at the default N.

Metric: ``million_s`` = wall seconds.

Usage: million.py [--n N] [--delay SECONDS]
"""
import argparse
import asyncio
import sys
import time


async def sleeper(delay):
    await asyncio.sleep(delay)


async def workload(n, delay):
    create_task = asyncio.create_task
    t0 = time.perf_counter_ns()
    tasks = [create_task(sleeper(delay)) for _ in range(n)]
    await asyncio.gather(*tasks)
    return time.perf_counter_ns() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="number of tasks")
    ap.add_argument("--delay", type=float, default=1.0, help="sleep seconds")
    args = ap.parse_args()
    if args.n < 1 or args.delay < 0:
        ap.error("need --n >= 1 and --delay >= 0")
    elapsed = asyncio.run(workload(args.n, args.delay))
    print(f"million_s {elapsed / 1e9:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
