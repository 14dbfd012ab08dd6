"""queue peer (not named queue.py: that would shadow the stdlib module for every peer here): one producer, one consumer through asyncio.Queue(64), per item."""
import asyncio

import benchlib


async def main(count):
    q = asyncio.Queue(64)
    acc = 0

    async def prod():
        for i in range(count):
            await q.put(i)

    async def cons():
        nonlocal acc
        for _ in range(count):
            acc += await q.get()
            q.task_done()

    await asyncio.gather(prod(), cons())
    if acc != count * (count - 1) // 2:
        benchlib.fail("queue: wrong sum")


def run(count):
    asyncio.run(main(count))


who = benchlib.loop_name()
ns = benchlib.ns_per_op(run, benchlib.n(300000), 3)
benchlib.row("queue put/get per item", who, ns, "ns")
benchlib.row("queue items/s", who, 1e9 / ns, "items/s", "higher")
