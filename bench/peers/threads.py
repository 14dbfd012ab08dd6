"""Peer of bench/threads.c: asyncio.to_thread round trip of an empty function."""
import asyncio
import time

import benchlib as b


def empty():
    return 1


async def main(n):
    s = 0
    for _ in range(n):
        s += await asyncio.to_thread(empty)
    if s != n:
        b.fail("threads: wrong result")


if __name__ == "__main__":
    who = b.loop_name()
    n = b.n(20000)
    t0 = time.perf_counter_ns()
    asyncio.run(main(n))
    b.row("to_thread round trip", who, (time.perf_counter_ns() - t0) / n, "ns")
