#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""asyncio twin of ringo's timer-move benchmark.

Enters ``asyncio.timeout_at`` 100 s ahead and calls ``reschedule`` N times
(default 1,000,000), each time a little later (a new call_at TimerHandle
per move, the old one cancelled), then yields once.

Metric: ``timer_move_ns`` = wall ns / N.

Usage: timer.py [--n N]
"""
import argparse
import asyncio
import sys
import time


async def workload(n):
    loop = asyncio.get_running_loop()
    base = loop.time() + 100
    async with asyncio.timeout_at(base) as cm:
        t0 = time.perf_counter_ns()
        for i in range(1, n + 1):
            cm.reschedule(base + i * 1e-9)
        await asyncio.sleep(0)
        elapsed = time.perf_counter_ns() - t0
    return elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="number of moves")
    args = ap.parse_args()
    if args.n < 1:
        ap.error("need --n >= 1")
    elapsed = asyncio.run(workload(args.n))
    print(f"timer_move_ns {elapsed / args.n:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
