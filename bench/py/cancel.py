#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""asyncio twin of ringo's mass-cancellation benchmark.

N tasks (default 100,000) each ``await asyncio.sleep(10)``.  Once every task
has started (and is therefore parked on its timer), the timed region cancels
every task and awaits ``asyncio.gather(*tasks, return_exceptions=True)``
until all are done.  Afterwards it verifies every task ended cancelled.

Metric: ``cancel_ns`` = wall ns of (cancel all + gather) / N.

Usage: cancel.py [--n N]
"""
import argparse
import asyncio
import sys
import time

SLEEP = 10.0


async def workload(n):
    started = 0

    async def sleeper():
        nonlocal started
        started += 1
        await asyncio.sleep(SLEEP)

    tasks = [asyncio.create_task(sleeper()) for _ in range(n)]
    # The tasks' first steps were queued before us, so one sleep(0) normally
    # suffices; loop anyway in case scheduling order ever changes.
    while started < n:
        await asyncio.sleep(0)

    t0 = time.perf_counter_ns()
    for t in tasks:
        t.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    elapsed = time.perf_counter_ns() - t0

    ok = all(isinstance(r, asyncio.CancelledError) for r in results)
    if not ok or not all(t.cancelled() for t in tasks):
        raise SystemExit("cancel.py: not every task was cancelled")
    return elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="number of tasks")
    args = ap.parse_args()
    if args.n < 1:
        ap.error("--n must be >= 1")
    asyncio.run(workload(min(args.n, 10_000)))  # untimed warm-up
    elapsed = asyncio.run(workload(args.n))
    print(f"cancel_ns {elapsed / args.n:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
