"""lock peer: uncontended `async with lock`, and two tasks handing it over
(each holds it across one `await asyncio.sleep(0)`), per acquisition."""
import asyncio

import benchlib


async def uncontended(count):
    lock = asyncio.Lock()
    c = 0
    for _ in range(count):
        async with lock:
            c += 1
    if c != count:
        benchlib.fail("lock: uncontended")


async def contended(count):
    lock = asyncio.Lock()
    shared = 0

    async def worker(k):
        nonlocal shared
        for _ in range(k):
            async with lock:
                shared += 1
                await asyncio.sleep(0)

    await asyncio.gather(worker(count // 2), worker(count // 2))
    if shared != 2 * (count // 2):
        benchlib.fail("lock: contended")


who = benchlib.loop_name()
benchlib.row("lock uncontended", who,
             benchlib.ns_per_op(lambda n: asyncio.run(uncontended(n)), benchlib.n(1000000), 3), "ns")
benchlib.row("lock contended hand-off", who,
             benchlib.ns_per_op(lambda n: asyncio.run(contended(n)), benchlib.n(200000), 3), "ns")
