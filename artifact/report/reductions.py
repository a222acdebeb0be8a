"""This run's side of the table cells the aggregate holds no single key for: a per-seed
difference or relative change (Table 3), a range across seeds (Tables 6-7), a change of the
seed mean between two points of training (Table 2, 6) or a ratio of means (Table 2).

Each returns a function of aggregate.json's `metrics`; None when a key is missing.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from artifact.experiment.aggregate import mean_std

Metrics = dict[str, dict]  # aggregate.json's "metrics": key -> {mean, std, n, values, seeds}


def _summary(values: list[float]) -> dict | None:
    # A seed whose change is undefined (a relative change from 0) has no value to average.
    values = [value for value in values if math.isfinite(value)]
    if not values:
        return None
    return mean_std(values)


def _by_seed(metrics: Metrics, key: str) -> dict[int, float]:
    entry = metrics.get(key) or {}
    return dict(zip(entry.get("seeds", []), entry.get("values", []), strict=False))


def paired(keys: tuple[str, ...], combine: Callable[..., float]) -> Callable[[Metrics], object]:
    """Per-seed `combine(*values of keys)`, then mean ± std over the seeds all keys share."""

    def compute(metrics: Metrics) -> object:
        columns = [_by_seed(metrics, key) for key in keys]
        seeds = sorted(set.intersection(*(set(c) for c in columns)))
        return _summary([combine(*(c[s] for c in columns)) for s in seeds])

    return compute


def seed_range(keys: tuple[str, ...]) -> Callable[[Metrics], object]:
    """[min, max] over seeds of the per-seed sum of `keys` (the paper's 'range across seeds')."""

    def compute(metrics: Metrics) -> object:
        columns = [_by_seed(metrics, key) for key in keys]
        seeds = set.intersection(*(set(c) for c in columns))
        totals = [sum(c[s] for c in columns) for s in seeds]
        return [min(totals), max(totals)] if totals else None

    return compute


def _mean(metrics: Metrics, key: str) -> float | None:
    entry = metrics.get(key)
    return entry["mean"] if entry else None


def change(before: str, after: str, digits: int) -> Callable[[Metrics], object]:
    def compute(metrics: Metrics) -> object:
        start, end = _mean(metrics, before), _mean(metrics, after)
        if start is None or end is None:
            return None
        relative = f" ({(end - start) / start * 100:+.0f}%)" if start else ""
        return f"{start:.{digits}f} → {end:.{digits}f}{relative}"

    return compute


def ratio(numerator: str, denominator: str) -> Callable[[Metrics], object]:
    def compute(metrics: Metrics) -> object:
        top, bottom = _mean(metrics, numerator), _mean(metrics, denominator)
        return top / bottom if top is not None and bottom else None

    return compute
