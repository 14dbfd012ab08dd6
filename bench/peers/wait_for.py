"""wait_for peer: await a fresh child task, plainly and through
asyncio.wait_for(task, 10) (never fires); the difference is the overhead."""
import asyncio

import benchlib


async def child(x):
    return x


async def parent(count, use_wf):
    acc = 0
    for i in range(count):
        t = asyncio.create_task(child(i))
        acc += await (asyncio.wait_for(t, 10) if use_wf else t)
    if acc != count * (count - 1) // 2:
        benchlib.fail("wait_for: wrong sum")


who = benchlib.loop_name()
plain = benchlib.ns_per_op(lambda n: asyncio.run(parent(n, False)), benchlib.n(100000), 3)
wf = benchlib.ns_per_op(lambda n: asyncio.run(parent(n, True)), benchlib.n(100000), 3)
benchlib.row("await child task", who, plain, "ns")
benchlib.row("wait_for(child task, 10 s)", who, wf, "ns")
benchlib.row("wait_for overhead", who, wf - plain, "ns")
