#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python analogue of ringo's raw fiber context switch.

What it measures
    The cost of one ``coro.send(None)`` on a coroutine that is suspended in a
    trivial generator-based awaitable (``Yield.__await__`` is a bare
    ``yield``).  Each send resumes the coroutine's frame, runs one loop
    iteration of ``await Yield()``, and suspends it again, handing control
    back to the caller.  No event loop is involved.

Why it is the analogue
    A ringo context switch swaps the CPU from one fiber's stack to another's
    and back with no scheduler work in between.  In CPython the equivalent
    primitive -- the thing every asyncio Task step is built on -- is resuming
    a suspended coroutine frame with ``send`` and getting control back when it
    yields.  One send is therefore one resume + one suspend (a round trip),
    which is the cheapest possible "switch" a Python coroutine can do; any
    asyncio-level ping-pong (Futures, call_soon) adds scheduler cost on top.

Metric
    ``switch_ns`` = wall nanoseconds / number of sends (default N = 2,000,000).
    The asyncio event loop is not used here (asyncio.run would only add
    noise), so there is nothing loop-specific to configure.

Usage: switch.py [--n N]
"""
import argparse
import sys
import time


class Yield:
    """Minimal generator-based awaitable: suspends exactly once."""

    __slots__ = ()

    def __await__(self):
        yield


async def body(n):
    y = Yield()
    for _ in range(n):
        await y


def run(n):
    coro = body(n)
    send = coro.send
    send(None)  # start the coroutine: runs up to the first suspension
    t0 = time.perf_counter_ns()
    for _ in range(n - 1):
        send(None)
    t1 = time.perf_counter_ns()
    try:
        send(None)  # final resume: loop ends, coroutine returns
    except StopIteration:
        pass
    else:
        raise SystemExit("switch.py: coroutine did not finish")
    return t1 - t0, n - 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=2_000_000, help="number of sends")
    args = ap.parse_args()
    if args.n < 2:
        ap.error("--n must be >= 2")
    run(min(args.n, 100_000))  # untimed warm-up
    elapsed, sends = run(args.n)
    print(f"switch_ns {elapsed / sends:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
