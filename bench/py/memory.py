#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""asyncio twin of ringo's per-task memory benchmark.

Reads VmRSS from /proc/self/status, starts N tasks (default 100,000) that
each ``await asyncio.sleep(60)``, waits until every task has started (so each
holds its coroutine frame, Task object and TimerHandle), reads VmRSS again,
then cancels everything and exits.  The delta includes the list holding the
Task references (8 bytes/task), which ringo's benchmark also needs in some
form.  No warm-up round: a prior round would leave freed arenas that the
measured round reuses, understating the cost.

Metric: ``rss_per_task_bytes`` = (VmRSS after - VmRSS before) / N.

Linux-only (needs /proc/self/status).

Usage: memory.py [--n N]
"""
import argparse
import asyncio
import sys

SLEEP = 60.0


def vm_rss_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                parts = line.split()
                assert parts[2] == "kB"
                return int(parts[1]) * 1024
    raise SystemExit("memory.py: VmRSS not found in /proc/self/status")


async def workload(n):
    started = 0

    async def sleeper():
        nonlocal started
        started += 1
        await asyncio.sleep(SLEEP)

    # Make sure nothing that is lazily created on first use (e.g. the
    # sleep() machinery, the loop's ready deque) is charged to the tasks.
    await asyncio.sleep(0)
    before = vm_rss_bytes()
    tasks = [asyncio.create_task(sleeper()) for _ in range(n)]
    while started < n:
        await asyncio.sleep(0)
    after = vm_rss_bytes()

    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return after - before


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="number of tasks")
    args = ap.parse_args()
    if args.n < 1:
        ap.error("--n must be >= 1")
    delta = asyncio.run(workload(args.n))
    print(f"rss_per_task_bytes {delta / args.n:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
