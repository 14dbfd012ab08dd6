"""gather peer: `await asyncio.gather(*[child(i) for i in range(n)])`, per task
(as bench/gather.c does with N = 1e6; here N = 1e5 to keep the run short)."""
import asyncio

import benchlib


async def child(x):
    return x * 2


async def main(count):
    res = await asyncio.gather(*[child(i) for i in range(count)])
    if sum(res) != count * (count - 1):
        benchlib.fail("gather: wrong sum")


def run(count):
    asyncio.run(main(count))


who = benchlib.loop_name()
benchlib.row("gather N=1e6", who, benchlib.ns_per_op(run, benchlib.n(100000), 3), "ns")
