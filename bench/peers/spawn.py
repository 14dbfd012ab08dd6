"""spawn peer: create a task, run it to completion, collect the result, per task
(`acc += await asyncio.create_task(child(i))`, as bench/spawn.c does)."""
import asyncio

import benchlib


async def child(x):
    return x * 2


async def parent(count):
    acc = 0
    for i in range(count):
        acc += await asyncio.create_task(child(i))
    if acc != count * (count - 1):
        benchlib.fail("spawn: wrong sum")


def run(count):
    asyncio.run(parent(count))


who = benchlib.loop_name()
benchlib.row("spawn", who, benchlib.ns_per_op(run, benchlib.n(50000)), "ns")
