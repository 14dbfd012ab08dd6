"""Peer of bench/sleepers.c: N asyncio tasks sleeping a random 0-100 ms; wall time."""
import asyncio
import random
import time

import benchlib as b


async def main(n):
    rnd = random.Random(12345)
    await asyncio.gather(*(asyncio.sleep(rnd.randint(0, 100) / 1000) for _ in range(n)))


if __name__ == "__main__":
    who = b.loop_name()
    n = b.n(200000)
    t0 = time.perf_counter()
    asyncio.run(main(n))
    b.row(f"sleepers N={n}", who, time.perf_counter() - t0, "s")
