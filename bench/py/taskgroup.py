#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""asyncio twin of ringo's task group benchmark.

Inside ``async with asyncio.TaskGroup() as tg`` creates N children
(default 100,000) of a trivial coroutine that returns its index; the block
exits once all are done.  Timing covers entering the group through its
exit.  An untimed warm-up round (up to 10,000 children) runs first.

Metric: ``taskgroup_ns`` = wall ns / N.

Usage: taskgroup.py [--n N]
"""
import argparse
import asyncio
import sys
import time


async def trivial(i):
    return i


async def workload(n):
    t0 = time.perf_counter_ns()
    async with asyncio.TaskGroup() as tg:
        create_task = tg.create_task
        for i in range(n):
            create_task(trivial(i))
    return time.perf_counter_ns() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="number of children")
    args = ap.parse_args()
    if args.n < 1:
        ap.error("--n must be >= 1")
    asyncio.run(workload(min(args.n, 10_000)))  # untimed warm-up
    elapsed = asyncio.run(workload(args.n))
    print(f"taskgroup_ns {elapsed / args.n:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
