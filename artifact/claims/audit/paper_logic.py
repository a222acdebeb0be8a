"""Does a claim hold on the paper's own numbers? The audit's core question, for derived values,
ranges, orderings and trends, over intervals (each printed number with its rounding).

A check yields the gap between what the paper states and what its other numbers give (0 when
they can agree) and the paper's standard error of that quantity; `classify` turns the two into
nothing (consistent), `minor` (a gap within audit.n_se standard errors: rounding of per-seed
values, the order of averaging) or `contradiction` (the two numbers cannot both hold).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from artifact.claims.registry.models import Claim
from artifact.claims.registry.operands import interval_value
from artifact.claims.registry.quantities import LeafLookup, PaperIndex
from artifact.claims.registry.values import Interval

Severity = Literal["contradiction", "minor"]


@dataclass
class Check:
    """One audit check: passed when severity is None."""

    id: str
    check: str
    severity: Severity | None
    explanation: str
    locations: list[str]
    values: dict[str, str]
    claims: list[str] = field(default_factory=list)
    marks: list[str] = field(default_factory=list)


def claim_check(check_id: str, kind: str, severity: Severity | None, explanation: str,
                claims: list[Claim], marks: list[str] | None = None,
                extra: dict[str, str] | None = None) -> Check:  # fmt: skip
    """A check about claims: locations and values are the claims' own."""
    values: dict[str, str] = {}
    for claim in claims:
        label = claim.location if claim.location not in values else f"{claim.location} [{claim.id}]"
        values[label] = claim.value.raw if claim.value is not None else claim.text
    values |= extra or {}
    return Check(check_id, kind, severity, explanation, list(values), values,
                 [c.id for c in claims], list(marks or []))  # fmt: skip


def classify(gap: float, se: float, n_se: float, holds: bool = True) -> Severity | None:
    if gap <= 0:
        return None if holds else "minor"  # touching a strict bound: a rounding matter
    return "minor" if gap <= n_se * se else "contradiction"


@dataclass(frozen=True)
class Held:
    holds: bool
    gap: float
    se: float
    computed: str


def _order_gap(left: Interval, right: Interval, relation: str) -> tuple[bool, float]:
    if relation in (">", ">="):
        possible = left.hi > right.lo if relation == ">" else left.hi >= right.lo
        return possible, max(0.0, right.lo - left.hi)
    possible = left.lo < right.hi if relation == "<" else left.lo <= right.hi
    return possible, max(0.0, left.lo - right.hi)


def _trend_gap(claim: Claim, before: Interval, after: Interval, band: float) -> tuple[bool, float]:
    cap, scale = claim.max_rel_change, abs(before.mid)
    least_change = before.gap(after)
    if claim.direction in ("increase", "decrease"):
        holds, gap = _order_gap(after, before, ">" if claim.direction == "increase" else "<")
        if cap is not None and least_change > cap * scale:
            return False, max(gap, least_change - cap * scale)
        return holds, gap
    if claim.direction == "stable":
        excess = least_change - band * scale
        return excess <= 0, max(0.0, excess)
    allowance = (cap or 0.0) * scale
    if claim.direction == "no_decrease":
        gap = (before.lo - allowance) - after.hi
    else:
        gap = after.lo - (before.hi + allowance)
    return gap <= 0, max(0.0, gap)


def paper_holds(claim: Claim, index: PaperIndex, value_of: LeafLookup | None = None) -> Held | None:
    """Whether `claim` holds on the paper's numbers (primary values, or `value_of`); None when
    the paper gives no number for an operand. A single-seed claim is tried on the means."""
    value_of = value_of or index.leaf_interval
    spread_rule = index.registry.rules[index.registry.audit.spread_rule]
    n = claim.n or 1

    def se(operand) -> float:
        result = index.propagated(operand, spread_rule, n, value_of)
        return result[1] if result is not None else 0.0

    results: list[tuple[bool, float, float, str]] = []
    if claim.kind == "derived":
        got = interval_value(claim.expr, value_of)
        if got is not None:
            stated = claim.value.interval()
            results.append(
                (stated.overlaps(got), stated.gap(got), se(claim.expr), f"{claim.expr} = {got}")
            )
    elif claim.kind == "range" and claim.statistic in ("mean", "std"):
        stated = claim.value.interval()
        for operand in claim.metrics:
            got = (
                _std_interval(operand, index)
                if claim.statistic == "std"
                else interval_value(operand, value_of)
            )
            if got is not None:
                spread = 0.0 if claim.statistic == "std" else se(operand)
                results.append(
                    (stated.overlaps(got), stated.gap(got), spread, f"{operand} = {got}")
                )
    elif claim.kind in ("ordering", "trend"):
        band = index.registry.rules[claim.tolerance].rel_band
        for left, right in claim.pairs:
            a, b = interval_value(left, value_of), interval_value(right, value_of)
            if a is None or b is None:
                continue
            if claim.kind == "ordering":
                holds, gap = _order_gap(a, b, claim.relation)
            else:
                holds, gap = _trend_gap(claim, a, b, band)
            results.append(
                (holds, gap, math.hypot(se(left), se(right)), f"{left} = {a}, {right} = {b}")
            )
    if not results:
        return None
    return Held(all(r[0] for r in results), max(r[1] for r in results), max(r[2] for r in results),
                "; ".join(r[3] for r in results))  # fmt: skip


def _std_interval(operand, index: PaperIndex) -> Interval | None:
    """The paper's printed std of a metric, with its rounding."""
    if not isinstance(operand, str):
        return None
    for claim in index.registry.claims:
        if (claim.id not in index.marked and claim.kind == "mean_std" and claim.seed is None
                and index.canonical(claim.metric) == index.canonical(operand) and claim.value.std is not None):  # fmt: skip
            half = (claim.value.std_resolution or 0.0) / 2
            return Interval(claim.value.std - half, claim.value.std + half)
    return None
