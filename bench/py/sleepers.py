#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""asyncio twin of ringo's concurrent-sleepers benchmark.

N tasks (default 100,000) each ``await asyncio.sleep(DELAY)`` (default
0.05 s) concurrently.  Timing runs from the first create_task to gather
completion, so it includes spawning, timer insertion, the sleep itself and
the wake-up/teardown of every task.  The ideal result is DELAY; everything
above that is scheduler/timer overhead.

Metric: ``sleepers_ms`` = wall milliseconds.

Usage: sleepers.py [--n N] [--delay SECONDS]
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
    ap.add_argument("--n", type=int, default=100_000, help="number of tasks")
    ap.add_argument("--delay", type=float, default=0.05, help="sleep seconds")
    args = ap.parse_args()
    if args.n < 1 or args.delay < 0:
        ap.error("need --n >= 1 and --delay >= 0")
    asyncio.run(workload(min(args.n, 10_000), args.delay))  # untimed warm-up
    elapsed = asyncio.run(workload(args.n, args.delay))
    print(f"sleepers_ms {elapsed / 1e6:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
