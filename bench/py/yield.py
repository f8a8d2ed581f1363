#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""asyncio twin of ringo's sleep(0) yield benchmark.

T tasks (default 100) each perform K = N / T ``await asyncio.sleep(0)``
calls, all running concurrently on the default asyncio event loop, for a
total of N yields (default 1,000,000).  Every yield goes through the loop's
ready queue, so this measures a full scheduler round trip per yield.

Metric: ``yield_ns`` = wall ns (from first create_task until all tasks are
done) / total yields actually performed (T * K).

Usage: yield.py [--n TOTAL_YIELDS] [--tasks T]
"""
import argparse
import asyncio
import sys
import time


async def worker(k):
    sleep = asyncio.sleep
    for _ in range(k):
        await sleep(0)


async def workload(tasks, k):
    t0 = time.perf_counter_ns()
    ts = [asyncio.create_task(worker(k)) for _ in range(tasks)]
    await asyncio.gather(*ts)
    return time.perf_counter_ns() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="total yields")
    ap.add_argument("--tasks", type=int, default=100, help="concurrent tasks")
    args = ap.parse_args()
    if args.tasks < 1 or args.n < args.tasks:
        ap.error("need --tasks >= 1 and --n >= --tasks")
    k = args.n // args.tasks
    total = k * args.tasks
    asyncio.run(workload(args.tasks, max(1, k // 20)))  # untimed warm-up
    elapsed = asyncio.run(workload(args.tasks, k))
    print(f"yield_ns {elapsed / total:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
