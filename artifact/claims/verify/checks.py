"""The numeric test behind each claim kind, run against aggregate.json (claims/README.md says
the same in words). Each returns an Outcome; verdicts.py turns it into a verdict.

mean_std, derived: |ours - paper| <= n_se * sqrt(se_paper^2 + se_ours^2) + rounding, where
    se = std / sqrt(n) (a Welch-style difference of two means; one draw for a single seed).
point, setup:      |ours - paper| <= rel * |paper| + abs + rounding.
range:             our mean (widened by n_se * se) inside the range; or our seeds' min-max
                   overlapping it; or our std below the bound times a chi-square allowance.
ordering:          the order holds for the means and for every seed (paired by seed).
trend:             before -> after moves as stated, for the means and every seed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from scipy.stats import chi2

from artifact.claims.registry.models import Claim, Operand, Rule
from artifact.claims.registry.operands import Observation, missing_leaves, observe
from artifact.claims.registry.quantities import PaperIndex
from artifact.claims.registry.values import Interval


@dataclass(frozen=True)
class Outcome:
    passed: bool | None  # None: shown, not judged
    observed: str
    tolerance: str
    distance: float | None = None
    mean: float | None = None
    std: float | None = None
    n: int | None = None
    values: tuple[float, ...] = ()
    seeds: tuple[int, ...] = ()
    note: str | None = None


class MissingMetrics(Exception):
    """The aggregate lacks what a claim reads; args[0] lists the keys or paths."""


def fmt(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "-"
    return f"{x:,.4g}" if abs(x) >= 1000 else f"{x:.4g}"


def _observe(operand: Operand, metrics: Mapping, seed: int | None = None) -> Observation:
    missing = missing_leaves(operand, metrics)
    if missing:
        raise MissingMetrics(missing)
    try:
        obs = observe(operand, metrics, seed)
    except KeyError:
        raise MissingMetrics([f"seed {seed} of {operand}"]) from None
    if not math.isfinite(obs.mean):
        raise MissingMetrics([f"{operand} (not finite: a zero denominator?)"])
    return obs


def _describe(obs: Observation, single_seed: bool) -> str:
    if single_seed or obs.n == 1:
        return fmt(obs.mean)
    return f"{fmt(obs.mean)} ± {fmt(obs.std)} (n={obs.n})"


def check_statistical(claim: Claim, rule: Rule, metrics: Mapping, index: PaperIndex) -> Outcome:
    operand = claim.metric if claim.kind == "mean_std" else claim.expr
    obs = _observe(operand, metrics, claim.seed)
    se_paper, source = index.paper_se(claim, rule)
    se_ours = obs.se
    expected = claim.value.mean
    slack = claim.value.half_width + rule.abs + rule.rel * abs(expected)
    allowed = rule.n_se * math.hypot(se_paper, se_ours) + slack
    diff = obs.mean - expected
    tolerance = (f"|Δ| ≤ {rule.n_se:g}·√(se_paper² + se_ours²) + {fmt(slack)} = {rule.n_se:g}·"
                 f"√({fmt(se_paper)}² + {fmt(se_ours)}²) + {fmt(slack)} = {fmt(allowed)} "
                 f"(se_paper: {source})")  # fmt: skip
    return Outcome(abs(diff) <= allowed, f"{_describe(obs, claim.seed is not None)}; Δ = {fmt(diff)}",
                   tolerance, abs(diff) / allowed if allowed > 0 else math.inf, obs.mean, obs.std,
                   obs.n, tuple(obs.by_seed.values()), tuple(obs.by_seed))  # fmt: skip


def check_point(claim: Claim, rule: Rule, metrics: Mapping) -> Outcome:
    obs = _observe(claim.metric or claim.expr, metrics, claim.seed)
    expected = claim.value.mean
    allowed = rule.rel * abs(expected) + rule.abs + claim.value.half_width
    diff = obs.mean - expected
    passed = abs(diff) <= allowed * (1 + 1e-9) + 1e-12
    tolerance = (
        f"|Δ| ≤ {rule.rel:g}·|paper| + {fmt(rule.abs + claim.value.half_width)} = {fmt(allowed)}"
    )
    distance = abs(diff) / allowed if allowed > 0 else (0.0 if diff == 0 else math.inf)
    return Outcome(passed, f"{fmt(obs.mean)}; Δ = {fmt(diff)} ({diff / expected:+.1%})" if expected
                   else fmt(obs.mean), tolerance, distance, obs.mean, obs.std, obs.n)  # fmt: skip


def _chi_allowance(n: int, quantile: float) -> tuple[float, float]:
    """Factors by which a sample std of n values may fall below / rise above the true std."""
    if n < 2:
        return 0.0, math.inf
    df = n - 1
    return math.sqrt(chi2.ppf(1 - quantile, df) / df), math.sqrt(chi2.ppf(quantile, df) / df)


def check_range(claim: Claim, rule: Rule, metrics: Mapping) -> Outcome:
    stated = claim.value.interval()
    parts, passed, distance = [], True, 0.0
    for operand in claim.metrics:
        obs = _observe(operand, metrics, claim.seed)
        if claim.statistic == "seeds":
            values = list(obs.by_seed.values()) or [obs.mean]
            ours = Interval(min(values), max(values))
            ok = ours.overlaps(stated)
            parts.append(f"{operand}: {fmt(ours.lo)} – {fmt(ours.hi)}")
            gap = ours.gap(stated)
        elif claim.statistic == "std":
            low_factor, high_factor = _chi_allowance(obs.n, rule.quantile)
            allowed = Interval(stated.lo * low_factor if math.isfinite(stated.lo) else -math.inf,
                               stated.hi * high_factor if math.isfinite(stated.hi) else math.inf)  # fmt: skip
            ok = allowed.contains(obs.std)
            parts.append(f"{operand}: std {fmt(obs.std)} (n={obs.n})")
            gap = allowed.gap(Interval.point(obs.std))
        else:
            widen = rule.n_se * obs.se + rule.abs
            allowed = Interval(stated.lo - widen, stated.hi + widen, stated.lo_open, stated.hi_open)
            ok = allowed.contains(obs.mean)
            parts.append(f"{operand}: {_describe(obs, claim.seed is not None)}")
            gap = allowed.gap(Interval.point(obs.mean))
        passed &= ok
        scale = max(abs(stated.hi) if math.isfinite(stated.hi) else abs(stated.lo), 1e-12)
        distance = max(distance, gap / scale)
    how = {"seeds": "our seeds' min–max overlaps the stated range (± rounding)",
           "std": f"our std within the bound × the χ² allowance at {rule.quantile:g}",
           "mean": f"our mean ± {rule.n_se:g}·se inside {stated}"}[claim.statistic]  # fmt: skip
    return Outcome(passed, "; ".join(parts), how, distance)


_RELATIONS = {">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
              "<": lambda a, b: a < b, "<=": lambda a, b: a <= b}  # fmt: skip


def _seedwise(
    left: Observation, right: Observation, seed: int | None
) -> list[tuple[int, float, float]]:
    common = sorted(set(left.by_seed) & set(right.by_seed))
    if seed is not None:
        common = [s for s in common if s == seed]
    return [(s, left.by_seed[s], right.by_seed[s]) for s in common]


def check_ordering(claim: Claim, metrics: Mapping) -> Outcome:
    holds, parts = True, []
    relation = _RELATIONS[claim.relation]
    for left, right in claim.pairs:
        lo, ro = _observe(left, metrics), _observe(right, metrics)
        pairs = _seedwise(lo, ro, claim.seed)
        if claim.seed is not None and not pairs:
            raise MissingMetrics([f"seed {claim.seed} of {left} / {right}"])
        ok_seeds = [relation(a, b) for _, a, b in pairs]
        ok = all(ok_seeds) and (claim.seed is not None or relation(lo.mean, ro.mean))
        holds &= ok
        marks = ", ".join(
            f"{s}: {'✓' if o else '✗'}" for (s, _, _), o in zip(pairs, ok_seeds, strict=True)
        )
        shown = f"{fmt(pairs[0][1])} {claim.relation} {fmt(pairs[0][2])}" if claim.seed is not None \
            else f"{fmt(lo.mean)} {claim.relation} {fmt(ro.mean)}"  # fmt: skip
        parts.append(f"{left} vs {right}: {shown}" + (f" (seeds {marks})" if marks else ""))
    scope = f"seed {claim.seed}" if claim.seed is not None else "the means and every seed"
    return Outcome(holds, "; ".join(parts), f"sign over seeds: {claim.relation} holds for {scope}")


def _trend_ok(
    direction: str, delta: float, before: float, noise: float, rule: Rule, cap: float | None
) -> bool:
    if direction == "increase":
        return delta > 0 and (cap is None or abs(delta) <= cap * abs(before))
    if direction == "decrease":
        return delta < 0 and (cap is None or abs(delta) <= cap * abs(before))
    if direction == "stable":
        return abs(delta) <= max(rule.n_se * noise, rule.rel_band * abs(before))
    allowance = max(rule.n_se * noise, (cap or 0.0) * abs(before))
    return delta >= -allowance if direction == "no_decrease" else delta <= allowance


def check_trend(claim: Claim, rule: Rule, metrics: Mapping) -> Outcome:
    holds, parts = True, []
    for before, after in claim.pairs:
        bo, ao = _observe(before, metrics), _observe(after, metrics)
        pairs = _seedwise(bo, ao, None)
        deltas = {s: a - b for s, b, a in pairs}
        spread = (math.sqrt(sum((d - sum(deltas.values()) / len(deltas)) ** 2 for d in deltas.values())
                            / (len(deltas) - 1)) if len(deltas) > 1 else math.hypot(bo.std, ao.std))  # fmt: skip
        if claim.seed is not None:
            if claim.seed not in deltas:
                raise MissingMetrics([f"seed {claim.seed} of {before} -> {after}"])
            checks = [(deltas[claim.seed], bo.by_seed[claim.seed], spread)]
        else:
            se = spread / math.sqrt(len(deltas)) if len(deltas) > 1 else math.hypot(bo.se, ao.se)
            checks = [(ao.mean - bo.mean, bo.mean, se)]
            if claim.direction in ("increase", "decrease"):  # the sign must hold in every seed
                checks += [(d, bo.by_seed[s], spread) for s, d in deltas.items()]
        ok = all(
            _trend_ok(claim.direction, d, b, noise, rule, claim.max_rel_change)
            for d, b, noise in checks
        )
        holds &= ok
        d0, b0 = checks[0][0], checks[0][1]
        parts.append(f"{before} → {after}: {fmt(b0)} → {fmt(b0 + d0)} (Δ {fmt(d0)}, "
                     f"{d0 / b0:+.1%})" if b0 else f"{before} → {after}: Δ {fmt(d0)}")  # fmt: skip
    cap = (
        f", |Δ| ≤ {claim.max_rel_change:.0%} of before" if claim.max_rel_change is not None else ""
    )
    rules = {"stable": f"|Δ| ≤ max({rule.n_se:g}·se_Δ, {rule.rel_band:.0%} of before)",
             "no_decrease": f"Δ ≥ −max({rule.n_se:g}·se_Δ{cap and ', cap·before'})",
             "no_increase": f"Δ ≤ max({rule.n_se:g}·se_Δ{cap and ', cap·before'})"}  # fmt: skip
    how = rules.get(claim.direction, f"{claim.direction} in the mean and every seed") + cap
    return Outcome(holds, "; ".join(parts), how)


def _config_value(config: Mapping, path: str) -> object:
    node: object = config
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise MissingMetrics([f"config.{path}"])
        node = node[part]
    return node


def check_setup(claim: Claim, rule: Rule, metrics: Mapping, config: Mapping | None) -> Outcome:
    if claim.config is None:
        return check_point(claim, rule, metrics)
    if config is None:
        raise MissingMetrics(["config (aggregate.json records no resolved config)"])
    actual = _config_value(config, claim.config)
    value = claim.value
    if claim.reduce == "count":
        actual = len(actual)
    elif claim.reduce == "range":
        actual = [min(actual), max(actual)]
    if value.shape == "list":
        expected = list(value.items)
        ok = len(expected) == len(actual) and all(
            math.isclose(float(a), e) if isinstance(e, float) else str(a) == e
            for a, e in zip(actual, expected, strict=True))  # fmt: skip
    elif value.shape == "range":
        ends = (
            (actual[0], value.low, value.resolution),
            (actual[1], value.high, value.high_resolution),
        )
        ok = all(abs(a - e) <= r / 2 + 1e-12 for a, e, r in ends)
    elif value.shape == "literal":
        ok = str(actual).lower() == value.literal.lower()
    else:
        ok = isinstance(actual, int | float) and abs(
            actual - value.mean
        ) <= value.half_width + 1e-12 * abs(value.mean)
    return Outcome(ok, f"config {claim.config}{'' if claim.reduce == 'value' else f' ({claim.reduce})'} = {actual}",
                   "equal to the paper's value (up to its rounding)")  # fmt: skip


def check_informational(claim: Claim, metrics: Mapping, config: Mapping | None) -> Outcome:
    operand = claim.expr or claim.metric
    observed = "-"
    if operand is not None and not missing_leaves(operand, metrics):
        observed = fmt(observe(operand, metrics).mean)
    elif claim.config is not None and config is not None:
        try:
            observed = str(_config_value(config, claim.config))
        except MissingMetrics:
            observed = "-"
    return Outcome(None, observed, "shown side by side, never pass or fail")
