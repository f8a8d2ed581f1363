#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""asyncio twin of ringo's queue ping-pong benchmark.

P pairs of tasks (default 100) run at once; in each pair, ping puts an item
on one asyncio.Queue(maxsize=1) and gets the answer from a second one, while
pong gets from the first and puts item + 1 on the second.  Every item is one
put and one get that wakes the other task.  N items in all (default
1,000,000; each round trip is two items).

Metric: ``queue_ns`` = wall ns (from the first create_task until every ping
task is done) / items moved.

Usage: queue.py [--n ITEMS] [--pairs P]
"""
import argparse
import asyncio
import sys
import time


async def pong(to_pong, to_ping):
    get, put = to_pong.get, to_ping.put
    while True:
        item = await get()
        if item is None:
            return
        await put(item + 1)


async def ping(to_pong, to_ping, rounds):
    get, put = to_ping.get, to_pong.put
    item = 0
    for _ in range(rounds):
        await put(item)
        item = await get()
    assert item == rounds


async def workload(pairs, rounds):
    queues = [(asyncio.Queue(1), asyncio.Queue(1)) for _ in range(pairs)]
    t0 = time.perf_counter_ns()
    pongs = [asyncio.create_task(pong(a, b)) for a, b in queues]
    pings = [asyncio.create_task(ping(a, b, rounds)) for a, b in queues]
    await asyncio.gather(*pings)
    elapsed = time.perf_counter_ns() - t0
    for a, _ in queues:
        await a.put(None)
    await asyncio.gather(*pongs)
    return elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="items in all")
    ap.add_argument("--pairs", type=int, default=100, help="concurrent pairs")
    args = ap.parse_args()
    if args.pairs < 1 or args.n < 2 * args.pairs:
        ap.error("need --pairs >= 1 and --n >= 2 * --pairs")
    rounds = args.n // 2 // args.pairs
    items = 2 * rounds * args.pairs
    asyncio.run(workload(args.pairs, max(1, rounds // 10)))  # untimed warm-up
    elapsed = asyncio.run(workload(args.pairs, rounds))
    print(f"queue_ns {elapsed / items:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
