"""park peer: RSS growth per asyncio task suspended on a future (N tasks await
one shared future; compare with bench/park.c, workload "park (RSS)")."""
import asyncio
import gc

import benchlib


async def parked(fut):
    return await fut + 1


async def main(count):
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    gc.collect()
    rss0 = benchlib.rss_bytes()
    tasks = [asyncio.create_task(parked(fut)) for _ in range(count)]
    await asyncio.sleep(0)  # every task runs up to its await
    rss1 = benchlib.rss_bytes()
    fut.set_result(41)
    results = await asyncio.gather(*tasks)
    if sum(results) != 42 * count:
        benchlib.fail("park: wrong results")
    return (rss1 - rss0) / count


who = benchlib.loop_name()
benchlib.row("park (RSS)", who, asyncio.run(main(benchlib.n(100000))), "B")
