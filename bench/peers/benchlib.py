"""Helpers for the Python peers (same ROW format as bench/bench.h; see bench/rules.mk)."""
import asyncio
import os
import statistics
import sys
import time


def quick():
    """BENCH_QUICK=1: a smoke run (counts / 100)."""
    return os.environ.get("BENCH_QUICK", "0") not in ("", "0")


def n(count):
    return max(1, count // 100) if quick() else count


def loop_name():
    """'asyncio' or 'uvloop' (BENCH_LOOP, set by bench/run.sh); installs uvloop's policy."""
    name = os.environ.get("BENCH_LOOP", "asyncio")
    if name == "uvloop":
        import uvloop
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return name


def ns_per_op(fn, count, reps=5):
    """Median ns per operation of fn(count) over reps runs, after one warm-up."""
    fn(min(count, 1000))
    times = []
    for _ in range(3 if quick() else reps):
        t0 = time.perf_counter_ns()
        fn(count)
        times.append((time.perf_counter_ns() - t0) / count)
    return statistics.median(times)


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def row(workload, who, value, unit, better="lower", target=""):
    print("ROW\t%s\t%s\t%.4g\t%s\t%s\t%s" % (workload, who, value, unit, better, target))
    sys.stdout.flush()


def fail(what):
    sys.stderr.write("bench: FAILED: %s\n" % what)
    sys.exit(1)
