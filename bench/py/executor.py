#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""asyncio twin of ringo's executor benchmark.

serial: one task awaits ``loop.run_in_executor(None, noop, i)`` N times
(default 20,000): the round trip of a job that does nothing.
parallel: T tasks (default 64) each await K such jobs (default 1,000),
sharing the default executor.

The default executor is a ThreadPoolExecutor of 4 threads, as ringo's.

Metric: ``serial_ns`` or ``parallel_ns`` = wall ns / jobs.

Usage: executor.py --mode serial|parallel [--n N] [--tasks T] [--per-task K]
"""
import os
import sys

# This directory holds queue.py (the queue benchmark's twin), which would
# shadow the standard module concurrent.futures imports.
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import concurrent.futures  # noqa: E402
import time  # noqa: E402


def noop(x):
    return x


async def serial(n):
    loop = asyncio.get_running_loop()
    loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(4))
    t0 = time.perf_counter_ns()
    for i in range(n):
        if await loop.run_in_executor(None, noop, i) != i:
            raise RuntimeError("wrong result")
    return time.perf_counter_ns() - t0


async def submitter(loop, k):
    for i in range(k):
        if await loop.run_in_executor(None, noop, i) != i:
            raise RuntimeError("wrong result")


async def parallel(tasks, k):
    loop = asyncio.get_running_loop()
    loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(4))
    t0 = time.perf_counter_ns()
    await asyncio.gather(*(submitter(loop, k) for _ in range(tasks)))
    return time.perf_counter_ns() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mode", choices=["serial", "parallel"], required=True)
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--tasks", type=int, default=64)
    ap.add_argument("--per-task", type=int, default=1_000)
    args = ap.parse_args()
    if args.mode == "serial":
        asyncio.run(serial(max(1, args.n // 20)))  # untimed warm-up
        ns = asyncio.run(serial(args.n))
        print(f"serial_ns {ns / args.n:.1f}")
    else:
        asyncio.run(parallel(args.tasks, max(1, args.per_task // 20)))
        ns = asyncio.run(parallel(args.tasks, args.per_task))
        print(f"parallel_ns {ns / (args.tasks * args.per_task):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
