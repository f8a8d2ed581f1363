#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""asyncio twin of ringo's subprocess benchmark.

--what spawn: N processes (default 100) of /bin/true, 8 at a time, each
``await create_subprocess_exec(...)`` then ``await proc.wait()``.
Metric: ``spawn_us`` = wall us / N.

--what cat: N MiB (default 16) through ``cat`` with
``await proc.communicate(data)``, checked byte for byte.
Metric: ``cat_ms`` = wall ms, spawn to exit.

Usage: process.py --what spawn|cat [--n N]
"""
import argparse
import asyncio
import sys
import time


async def spawner(state, n):
    while state[0] < n:
        state[0] += 1
        proc = await asyncio.create_subprocess_exec("/bin/true")
        if await proc.wait() != 0:
            raise SystemExit("process.py: /bin/true failed")


async def spawn(n):
    state = [0]
    t0 = time.perf_counter_ns()
    await asyncio.gather(*(spawner(state, n) for _ in range(8)))
    return time.perf_counter_ns() - t0


async def cat(data):
    t0 = time.perf_counter_ns()
    proc = await asyncio.create_subprocess_exec(
        "cat", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate(data)
    elapsed = time.perf_counter_ns() - t0
    if proc.returncode != 0 or out != data:
        raise SystemExit("process.py: cat changed the data")
    return elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--what", choices=["spawn", "cat"], required=True)
    ap.add_argument("--n", type=int, default=0)
    args = ap.parse_args()
    if args.what == "spawn":
        n = args.n or 100
        asyncio.run(spawn(8))  # untimed warm-up
        print(f"spawn_us {asyncio.run(spawn(n)) / n / 1000:.1f}")
    else:
        data = bytes((i * 31 + (i >> 12)) & 0xFF for i in range((args.n or 16) << 20))
        asyncio.run(cat(data[:1 << 20]))  # untimed warm-up
        print(f"cat_ms {asyncio.run(cat(data)) / 1e6:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
