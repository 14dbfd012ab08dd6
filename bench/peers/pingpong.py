"""pingpong peer: two asyncio tasks hand a token back and forth, per round trip.
Each side completes the other's future and awaits a fresh one of its own
(the same protocol as bench/pingpong.c)."""
import asyncio

import benchlib


class Shared:
    pass


async def pinger(s, count):
    acc = 0
    for i in range(count):
        s.ping = s.loop.create_future()
        s.pong.set_result(i)
        acc += await s.ping
    return acc


async def ponger(s, count):
    for _ in range(count):
        v = await s.pong
        s.pong = s.loop.create_future()
        s.ping.set_result(v + 1)


async def game(count):
    s = Shared()
    s.loop = asyncio.get_running_loop()
    s.pong = s.loop.create_future()
    tb = asyncio.create_task(ponger(s, count))
    acc = await asyncio.create_task(pinger(s, count))
    await tb
    if acc != count + count * (count - 1) // 2:
        benchlib.fail("pingpong: wrong sum")


def run(count):
    asyncio.run(game(count))


who = benchlib.loop_name()
benchlib.row("pingpong", who, benchlib.ns_per_op(run, benchlib.n(100000)), "ns")
