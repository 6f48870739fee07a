"""The two statistics every benchmark here uses."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], repeat: int, rounds: int = 5) -> float:
    """Seconds per call: the best of several rounds (noise on a shared machine only adds)."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, (time.perf_counter() - start) / repeat)
    return best


def percentile(samples: list[float], pct: float) -> float:
    """The pct-th percentile (0-100) of the samples, nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]
