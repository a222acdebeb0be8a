"""Evaluate a claim's operand (a metric key, a number or an expression) three ways:

- on the run: aggregate.json's mean, spread and per-seed values, the spread of an expression
  propagated by the delta method (independent operands: conservative for positively
  correlated ones such as two metrics of the same runs);
- on the paper: over intervals (each printed number with its rounding), exact for these ops
  because each is monotone in each argument where the arguments are positive;
- per seed, pairing operands by seed label (Top-k and L1 runs of a seed share stages 1-2).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from artifact.claims.registry.models import Expr, Operand, operand_leaves
from artifact.claims.registry.values import Interval


def _ratio(a: float, b: float) -> float:
    return a / b if b != 0 else math.nan


OPS: dict[str, Callable[[Sequence[float]], float]] = {
    "ratio": lambda x: _ratio(x[0], x[1]),
    "difference": lambda x: x[0] - x[1],
    "relative_change_pct": lambda x: 100 * (_ratio(x[0], x[1]) - 1),
    "percent_of": lambda x: 100 * _ratio(x[0], x[1]),
    "reduction_pct": lambda x: 100 * (1 - _ratio(x[0], x[1])),
    "sum": lambda x: math.fsum(x),
    "product": lambda x: math.prod(x),
    "count": lambda x: float(len(x)),
    "min": min,
    "max": max,
}


@dataclass(frozen=True)
class Observation:
    """A run-side quantity: mean, per-seed spread (sample std), standard error of the mean,
    number of seeds and the per-seed values."""

    mean: float
    std: float
    se: float
    n: int
    by_seed: Mapping[int, float] = field(default_factory=dict)

    @classmethod
    def from_entry(cls, entry: Mapping) -> Observation:
        n = int(entry.get("n") or len(entry.get("values") or []) or 1)
        std = float(entry.get("std") or 0.0)
        seeds, values = entry.get("seeds") or [], entry.get("values") or []
        by_seed = {int(s): float(v) for s, v in zip(seeds, values, strict=False)}
        return cls(float(entry["mean"]), std, std / math.sqrt(n), n, by_seed)


def point_value(operand: Operand, values: Mapping[str, float]) -> float:
    if isinstance(operand, Expr):
        return OPS[operand.op]([point_value(o, values) for o in operand.of])
    if isinstance(operand, str):
        return values[operand]
    return float(operand)


def propagate(
    operand: Operand, means: Mapping[str, float], ses: Mapping[str, float]
) -> tuple[float, float]:
    """Value and delta-method standard error of `operand` (numerical partial derivatives)."""
    value = point_value(operand, means)
    variance = 0.0
    for name in dict.fromkeys(operand_leaves(operand)):
        step = 1e-6 * max(1.0, abs(means[name]))
        shifted = dict(means)
        shifted[name] += step
        slope = (point_value(operand, shifted) - value) / step
        variance += (slope * ses.get(name, 0.0)) ** 2
    return value, math.sqrt(variance)


def missing_leaves(operand: Operand, metrics: Mapping[str, Mapping]) -> list[str]:
    return [leaf for leaf in operand_leaves(operand) if leaf not in metrics]


def observe(
    operand: Operand, metrics: Mapping[str, Mapping], seed: int | None = None
) -> Observation:
    """The run's value of `operand` (callers check missing_leaves first). With `seed`, the
    mean is that seed's value and `se` the per-seed spread (one draw, not a mean)."""
    leaves = {leaf: Observation.from_entry(metrics[leaf]) for leaf in operand_leaves(operand)}
    by_seed = seed_values(operand, leaves)
    seeded = [obs for obs in leaves.values() if obs.by_seed]
    if seeded and any(set(obs.by_seed) != set(by_seed) for obs in seeded):
        # Some seeds leave the quantity undefined (x / 0) or lack a leaf: its mean, spread and
        # n come from the seeds it was computed on, never from the other seeds' means.
        leaves = {name: _restricted(obs, by_seed) for name, obs in leaves.items()}
    means = {name: obs.mean for name, obs in leaves.items()}
    value, se = propagate(operand, means, {name: obs.se for name, obs in leaves.items()})
    _, std = propagate(operand, means, {name: obs.std for name, obs in leaves.items()})
    n = min((obs.n for obs in leaves.values()), default=1)
    if seeded and not by_seed:
        value = math.nan  # no seed defines it: not computable, whatever the means say
    if seed is not None:
        if seed not in by_seed:
            raise KeyError(seed)
        return Observation(by_seed[seed], std, std, 1, {seed: by_seed[seed]})
    return Observation(value, std, se, n, by_seed)


def _restricted(obs: Observation, seeds: Mapping[int, float]) -> Observation:
    """`obs` over `seeds` only (a leaf without per-seed values is kept as it is)."""
    if not obs.by_seed:
        return obs
    values = [obs.by_seed[s] for s in seeds if s in obs.by_seed]
    if not values:
        return Observation(math.nan, 0.0, 0.0, 0, {})
    mean = math.fsum(values) / len(values)
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    return Observation(mean, std, std / math.sqrt(len(values)), len(values),
                       {s: obs.by_seed[s] for s in seeds if s in obs.by_seed})  # fmt: skip


def seed_values(operand: Operand, leaves: Mapping[str, Observation]) -> dict[int, float]:
    """Per-seed values of `operand`, over the seeds every seeded leaf has."""
    seeded = [obs.by_seed for obs in leaves.values() if obs.by_seed]
    if not seeded:
        return {}
    common = sorted(set.intersection(*(set(values) for values in seeded)))
    out = {}
    for seed in common:
        values = {name: obs.by_seed.get(seed, obs.mean) for name, obs in leaves.items()}
        value = point_value(operand, values)
        if math.isfinite(value):  # a seed where the quantity is undefined (x / 0) has no value
            out[seed] = value
    return out


def interval_value(
    operand: Operand,
    leaf: Callable[[str], Interval | None],
    count_of: Callable[[str], int] = lambda name: 1,
) -> Interval | None:
    """The interval of `operand` when each leaf may be anywhere in its interval; None when a
    leaf is unknown or the result is unbounded (a denominator interval that reaches 0)."""
    if isinstance(operand, str):
        return leaf(operand)
    if not isinstance(operand, Expr):
        return Interval.point(float(operand))
    if operand.op == "count":
        return Interval.point(
            float(sum(count_of(o) if isinstance(o, str) else 1 for o in operand.of))
        )
    args = [interval_value(o, leaf, count_of) for o in operand.of]
    if any(arg is None for arg in args):
        return None
    corners = [OPS[operand.op](list(c)) for c in itertools.product(*((a.lo, a.hi) for a in args))]
    if not all(math.isfinite(c) for c in corners):
        return None
    if operand.op in ("ratio", "relative_change_pct", "percent_of", "reduction_pct"):
        low, high = args[1].lo, args[1].hi
        if low <= 0 <= high:
            return None
    return Interval(min(corners), max(corners))
