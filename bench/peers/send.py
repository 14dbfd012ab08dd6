"""send peer: Python generator send (resume + yield round trip)."""
import benchlib


def gen():
    v = yield
    while True:
        v = yield v + 1


def run(count):
    g = gen()
    next(g)
    send = g.send
    acc = 0
    for i in range(count):
        acc += send(i)
    if acc != count + count * (count - 1) // 2:
        benchlib.fail("send: wrong sum")


if benchlib.loop_name() == "asyncio":  # no event loop involved: measure once
    benchlib.row("send", "python", benchlib.ns_per_op(run, benchlib.n(3000000)), "ns")
