"""The statistics every benchmark here uses."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_in_turns(fns: list[Callable[[], object]], repeat: int, rounds: int = 5) -> list[float]:
    """Seconds per call of each function, its best round (noise on a shared machine only
    adds). In each round every function runs `repeat` calls in turn, who goes first
    rotating: a figure and its floor timed in the same rounds see the same machine, where
    timed one after the other, a machine whose speed drifts (a shared one does, over
    seconds) would slow one and not the other."""
    best = [float("inf")] * len(fns)
    for round_ in range(rounds):
        for offset in range(len(fns)):
            i = (round_ + offset) % len(fns)
            start = time.perf_counter()
            for _ in range(repeat):
                fns[i]()
            best[i] = min(best[i], (time.perf_counter() - start) / repeat)
    return best


def percentile(samples: list[float], pct: float) -> float:
    """The pct-th percentile (0-100) of the samples, nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]
