"""The one timing rule of the benchmarks: the best of `repeats` runs (the least disturbed one)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_seconds(fn: Callable[[], object], repeats: int) -> float:
    """Wall seconds of the fastest of `repeats` calls of `fn`."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)
