"""What a piece of work costs in CPU seconds of the thread that does it, for performance tests.

Wall-clock budgets fail on a loaded machine (CI shares 2 CPUs; here 8 people share them): a 20k-pod
build took 15 s wall for 3.6 s of CPU. The CPU time of the calling thread does not count the time
other processes had the CPU, so performance tests compare it with a baseline measured in the same
run (the same work at a tenth of the size: linear work costs about 10x, quadratic 100x).
benchmarks/ keeps the wall-clock figures."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def cpu_seconds(work: Callable[[], T], repeat: int = 1) -> tuple[float, T]:
    """The least CPU time of the calling thread over `repeat` runs of `work`, and its last result."""
    best = float("inf")
    result: T
    for _ in range(repeat):
        t0 = time.thread_time()
        result = work()
        best = min(best, time.thread_time() - t0)
    return best, result


def child_cpu_seconds(work: Callable[[], T], repeat: int = 1) -> tuple[float, T]:
    """The least CPU time of the child processes `work` starts and waits for (a shell and what it
    runs), over `repeat` runs, and its last result."""

    def children() -> float:
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        return r.ru_utime + r.ru_stime

    best = float("inf")
    result: T
    for _ in range(repeat):
        t0 = children()
        result = work()
        best = min(best, children() - t0)
    return best, result
