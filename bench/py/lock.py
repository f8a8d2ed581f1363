#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""asyncio twin of ringo's lock hand-off benchmark.

P pairs of tasks (default 1), each pair on its own asyncio.Lock. In a pair
the two tasks take turns: the holder releases the lock, which goes to the
other task (asyncio.Lock is FIFO: a task calling acquire() while another is
queued queues behind it), then acquires again and waits for its turn. Every
release inside the measured region hands the lock over; the script checks
that the turns strictly alternate.

Metric: ``lock_handoff_ns`` = wall ns (from the first release until every
task is done) / hand-offs, with N hand-offs in all (default 1,000,000).

Usage: lock.py [--n HANDOFFS] [--pairs P]
"""
import argparse
import asyncio
import sys
import time


class Pair:
    def __init__(self, n):
        self.lock = asyncio.Lock()
        self.n = n
        self.last = -1
        self.broken = False


async def taker(p, me):
    lock = p.lock
    await lock.acquire()
    for _ in range(p.n):
        if p.last == me:
            p.broken = True
        p.last = me
        lock.release()
        await lock.acquire()
    lock.release()


async def workload(pairs, total):
    ps = [Pair(total // pairs // 2) for _ in range(pairs)]
    tasks = []
    for p in ps:
        await p.lock.acquire()  # held until both tasks queue
        tasks.append(asyncio.create_task(taker(p, 0)))
        tasks.append(asyncio.create_task(taker(p, 1)))
    await asyncio.sleep(0)  # every task queues on its lock
    t0 = time.perf_counter_ns()
    for p in ps:
        p.lock.release()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter_ns() - t0
    if any(p.broken for p in ps):
        raise SystemExit("lock.py: a task took the lock twice in a row")
    # main's release, 2n in the loops, the first task's final release
    handoffs = sum(2 * p.n + 2 for p in ps)
    return elapsed / handoffs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="total hand-offs")
    ap.add_argument("--pairs", type=int, default=1, help="pairs of tasks")
    args = ap.parse_args()
    if args.pairs < 1 or args.n < 2 * args.pairs:
        ap.error("need --pairs >= 1 and --n >= 2 * --pairs")
    asyncio.run(workload(args.pairs, max(2 * args.pairs, args.n // 20)))  # warm-up
    print(f"lock_handoff_ns {asyncio.run(workload(args.pairs, args.n)):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
